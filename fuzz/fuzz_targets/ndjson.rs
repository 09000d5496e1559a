//! Fuzz the NDJSON reader: no panic, every record counted, and the same
//! lines rejected whichever attributes are read (as `cxl profile` reads all
//! of them and `cxl eval` only those its policy names, without the actor).
#![no_main]

mod common;

use cxl::events::{AttributeFilter, InputFormat, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let all = ReadOptions::new(InputFormat::Ndjson);
    let mut narrow = all.clone();
    narrow.attributes = AttributeFilter::only(["csat", "tier"]);
    narrow.read_actor = false;
    let (rejected, stats) = common::read_all(data, &all);
    let (narrow_rejected, narrow_stats) = common::read_all(data, &narrow);
    assert_eq!(rejected, narrow_rejected);
    assert_eq!(stats, narrow_stats);
});

//! Fuzz the XES reader: no panic, every record counted, with the standard
//! lifecycle filter and without it.
#![no_main]

mod common;

use cxl::events::{InputFormat, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut options = ReadOptions::new(InputFormat::Xes);
    common::read_all(data, &options);
    options.all_lifecycle = true;
    common::read_all(data, &options);
});

//! Fuzz the CSV reader: no panic, every record counted. The first byte
//! picks the delimiter (`,`, `;`, tab), as logs come with any of them.
#![no_main]

mod common;

use cxl::events::{InputFormat, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, log)) = data.split_first() else {
        return;
    };
    let mut options = ReadOptions::new(InputFormat::Csv);
    options.delimiter = [b',', b';', b'\t'][usize::from(pick % 3)];
    common::read_all(log, &options);
});

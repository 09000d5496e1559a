//! Fuzz compressed input: the first byte picks the format (NDJSON, CSV,
//! XES); the rest is read as it is when it starts with the gzip magic bytes
//! (mutated streams: bad headers, CRC errors, truncation, trailing bytes),
//! else gzip-compressed here first (so the readers behind the decoder are
//! reached too). No panic, every record counted.
#![no_main]

mod common;

use cxl::events::{InputFormat, ReadOptions};
use flate2::write::GzEncoder;
use flate2::Compression;
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let format = [InputFormat::Ndjson, InputFormat::Csv, InputFormat::Xes][usize::from(pick % 3)];
    let options = ReadOptions::new(format);
    if rest.starts_with(&[0x1f, 0x8b]) {
        common::read_all(rest, &options);
        return;
    }
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    if encoder.write_all(rest).is_err() {
        return;
    }
    if let Ok(compressed) = encoder.finish() {
        common::read_all(&compressed, &options);
    }
});

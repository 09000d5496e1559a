//! Helpers shared by the `events_*` tests: read a whole input into records.
#![allow(dead_code)]

use cxl::events::{
    Customer, Event, EventReader, InputError, InputFormat, Names, ReadOptions, ReadStats, Record,
    Rejection,
};
use std::path::{Path, PathBuf};

/// The public real logs the repository carries (examples/real/logs).
pub fn logs_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/real/logs")).to_path_buf()
}

/// Our small bad and good fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/logs")).join(name)
}

/// Everything read from one input.
#[derive(Default)]
pub struct Read {
    pub events: Vec<Event>,
    pub customers: Vec<Customer>,
    pub rejected: Vec<Rejection>,
    pub stats: ReadStats,
    pub error: Option<InputError>,
    pub names: Names,
}

impl Read {
    pub fn name(&self, event: &Event) -> &str {
        self.names.words.resolve(event.name)
    }
    pub fn customer(&self, event: &Event) -> &str {
        self.names.customers.resolve(event.customer)
    }
    /// Distinct customers among the events.
    pub fn cases(&self) -> usize {
        let mut ids: Vec<_> = self.events.iter().map(|e| e.customer).collect();
        ids.sort();
        ids.dedup();
        ids.len()
    }
    /// Asserts nothing was lost: accepted + rejected = read, and the counts match.
    pub fn assert_nothing_lost(&self) {
        let s = self.stats;
        assert_eq!(s.accepted + s.rejected, s.read, "{s:?}");
        assert_eq!(s.accepted, self.events.len() as u64);
        assert_eq!(s.rejected, self.rejected.len() as u64);
    }
}

/// Reads a file with options (format from the name unless given).
pub fn read_with(path: &Path, options: ReadOptions) -> Read {
    let file = std::fs::File::open(path).expect("open fixture");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_string();
    read_from(file, &name, options)
}

/// Reads a file with the default options of its format.
pub fn read(path: &Path) -> Read {
    let format = InputFormat::from_path(path).expect("known extension");
    read_with(path, ReadOptions::new(format))
}

/// Reads any input.
pub fn read_from(input: impl std::io::Read + 'static, name: &str, options: ReadOptions) -> Read {
    let mut out = Read::default();
    let mut reader = match EventReader::new(input, name, 0, &options) {
        Ok(reader) => reader,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    loop {
        match reader.next_record(&mut out.names) {
            Ok(Some(Record::Event(e))) => out.events.push(e),
            Ok(Some(Record::Customer(c))) => out.customers.push(c),
            Ok(Some(Record::Rejected(r))) => out.rejected.push(*r),
            Ok(None) => break,
            Err(e) => {
                out.error = Some(e);
                assert!(matches!(reader.next_record(&mut out.names), Ok(None)));
                break;
            }
        }
    }
    out.stats = reader.stats();
    out
}

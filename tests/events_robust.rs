//! The readers never panic and never lose a record, whatever bytes they get:
//! random bytes, and valid fixtures with bytes cut, flipped or inserted.

mod events_common;

use cxl::events::{CustomersReader, InputFormat, Names, ReadOptions, Record, Value};
use events_common::{fixture, read_from};
use proptest::prelude::*;

const FORMATS: [InputFormat; 3] = [InputFormat::Ndjson, InputFormat::Csv, InputFormat::Xes];

fn seeds() -> Vec<Vec<u8>> {
    [
        "claims.ndjson",
        "bad.ndjson",
        "bad.csv",
        "semicolon.csv",
        "bad-values.xes",
        "malformed.xes",
    ]
    .iter()
    .map(|name| std::fs::read(fixture(name)).expect("fixture"))
    .collect()
}

fn read_all(bytes: Vec<u8>) {
    for format in FORMATS {
        let got = read_from(
            std::io::Cursor::new(bytes.clone()),
            "fuzz",
            ReadOptions::new(format),
        );
        got.assert_nothing_lost();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        read_all(bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        seed in 0usize..6,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = seeds().swap_remove(seed);
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        read_all(bytes);
    }
}

#[test]
fn gzip_of_garbage_is_an_error_not_a_panic() {
    let bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5];
    for format in FORMATS {
        let got = read_from(
            std::io::Cursor::new(bytes.clone()),
            "x.gz",
            ReadOptions::new(format),
        );
        got.assert_nothing_lost();
        assert!(got.error.is_some(), "{format:?}");
    }
}

#[test]
fn customers_file_gives_customer_records() {
    let text = concat!(
        "{\"customer\":\"c1\",\"tier\":\"gold\",\"lifetime_value\":52000}\n",
        "{\"tier\":\"silver\"}\n",
        "\n",
        "{\"customer\":7,\"tenure_days\":12,\"since\":\"2026-01-01T00:00:00Z\"}\n",
    );
    let mut reader =
        CustomersReader::new(text.as_bytes(), "customers.ndjson".into(), 1, "customer");
    let mut names = Names::new();
    let mut records = Vec::new();
    while let Some(record) = reader.next_record(&mut names).expect("readable") {
        records.push(record);
    }
    assert_eq!(records.len(), 3);
    let Record::Customer(first) = &records[0] else {
        panic!("{:?}", records[0])
    };
    assert_eq!(names.customers.resolve(first.id), "c1");
    assert_eq!(first.origin.file, 1);
    let tier = names.words.get("tier").expect("tier");
    assert_eq!(first.attrs[0], (tier, Value::Text("gold".into())));
    let Record::Rejected(missing) = &records[1] else {
        panic!("{:?}", records[1])
    };
    assert_eq!(missing.line, Some(2));
    assert_eq!(missing.reason, "missing customer field `customer`");
    let Record::Customer(third) = &records[2] else {
        panic!("{:?}", records[2])
    };
    assert_eq!(names.customers.resolve(third.id), "7");
    assert_eq!(third.origin.line, 4);
    assert!(matches!(third.attrs[1].1, Value::Time(_)));
}

#[test]
fn invalid_utf8_in_ndjson_and_csv_is_a_rejection_with_a_line() {
    let ndjson =
        b"{\"customer\":\"c1\",\"step\":\"a\",\"time\":\"2026-03-01\"}\n{\"customer\":\"\xff\"}\n"
            .to_vec();
    let got = read_from(
        std::io::Cursor::new(ndjson),
        "u.ndjson",
        ReadOptions::new(InputFormat::Ndjson),
    );
    got.assert_nothing_lost();
    assert_eq!(got.rejected[0].line, Some(2));
    assert_eq!(got.rejected[0].reason, "not valid UTF-8 at byte 14");
    let csv =
        b"customer,step,time\nc1,a,2026-03-01\nc\xff,b,2026-03-01\nc2,c,2026-03-02\n".to_vec();
    let got = read_from(
        std::io::Cursor::new(csv),
        "u.csv",
        ReadOptions::new(InputFormat::Csv),
    );
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 2);
    assert_eq!(got.rejected[0].line, Some(3));
    assert_eq!(got.rejected[0].reason, "not valid UTF-8 in field 1");
    assert_eq!(got.rejected[0].raw, "c\u{fffd},b,2026-03-01");
}

#[test]
fn xes_trace_attributes_after_events_still_reach_the_customer() {
    let got = events_common::read(&fixture("late-attrs.xes"));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    let customers: Vec<(String, usize)> = got
        .customers
        .iter()
        .map(|c| (got.names.customers.resolve(c.id).to_string(), c.attrs.len()))
        .collect();
    // c1: announced before its first event, then its late `tier` in a second record;
    // c2: its event waits until `concept:name` is read.
    assert_eq!(
        customers,
        [("c1".into(), 0), ("c1".into(), 1), ("c2".into(), 1)]
    );
    let owners: Vec<&str> = got.events.iter().map(|e| got.customer(e)).collect();
    assert_eq!(owners, ["c1", "c1", "c2"]);
}

/// Counts the bytes a reader has taken from its input.
struct Counted(
    std::io::Cursor<Vec<u8>>,
    std::rc::Rc<std::cell::Cell<usize>>,
);

impl std::io::Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1.set(self.1.get() + n);
        Ok(n)
    }
}

#[test]
fn a_long_xes_trace_is_streamed_not_held() {
    let mut xes = String::from("<log><trace><string key=\"concept:name\" value=\"c1\"/>\n");
    for i in 0..50_000 {
        xes.push_str(&format!(
            "<event><string key=\"concept:name\" value=\"s{i}\"/>\
             <date key=\"time:timestamp\" value=\"2026-03-01T10:00:00Z\"/></event>\n"
        ));
    }
    xes.push_str("</trace></log>\n");
    let total = xes.len();
    let taken = std::rc::Rc::new(std::cell::Cell::new(0));
    let input = Counted(std::io::Cursor::new(xes.into_bytes()), taken.clone());
    let options = ReadOptions::new(InputFormat::Xes);
    let mut reader = cxl::events::EventReader::new(input, "long.xes", 0, &options).expect("reader");
    let mut names = Names::new();
    let mut events = 0;
    while let Some(record) = reader.next_record(&mut names).expect("readable") {
        if matches!(record, Record::Event(_)) {
            events += 1;
            if events == 10 {
                assert!(
                    taken.get() < total / 10,
                    "read {} of {total} bytes",
                    taken.get()
                );
            }
        }
    }
    assert_eq!(events, 50_000);
}

//! The NDJSON reader's customer cache never hands out an id the caller has
//! forgotten: after `CustomerIds::forget` a freed id goes to the next new
//! customer, and the reader must not reuse it for the old one. Names (steps,
//! channels, keys) live in their own table and are never forgotten.

use cxl::events::{Event, EventReader, InputFormat, Names, ReadOptions, Record};

fn next_event(reader: &mut EventReader, names: &mut Names) -> Event {
    match reader.next_record(names).expect("readable") {
        Some(Record::Event(event)) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

const LOG: &str = concat!(
    r#"{"customer":"c1","step":"start","time":"2026-03-01T00:00:00Z","channel":"web","csat":5}"#,
    "\n",
    r#"{"customer":"c1","step":"start","time":"2026-03-01T00:01:00Z","channel":"web","csat":4}"#,
    "\n",
);

#[test]
fn a_forgotten_customer_is_interned_again() {
    let options = ReadOptions::new(InputFormat::Ndjson);
    let mut reader = EventReader::new(LOG.as_bytes(), "in", 0, &options).expect("reader");
    let mut names = Names::new();
    let first = next_event(&mut reader, &mut names);
    names.customers.forget(first.customer);
    let intruder = names.customers.intern("someone else");
    assert_eq!(intruder, first.customer, "the freed id is reused");
    let second = next_event(&mut reader, &mut names);
    assert_eq!(names.customers.resolve(second.customer), "c1");
    assert_ne!(second.customer, intruder);
}

#[test]
fn forgetting_a_customer_leaves_names_alone() {
    let options = ReadOptions::new(InputFormat::Ndjson);
    let mut reader = EventReader::new(LOG.as_bytes(), "in", 0, &options).expect("reader");
    let mut names = Names::new();
    let first = next_event(&mut reader, &mut names);
    names.customers.forget(first.customer);
    let second = next_event(&mut reader, &mut names);
    assert_eq!(second.name, first.name);
    assert_eq!(second.channel, first.channel);
    assert_eq!(second.attrs[0].0, first.attrs[0].0);
    assert_eq!(names.words.resolve(second.name), "start");
    assert_eq!(names.words.resolve(second.channel.expect("channel")), "web");
    assert_eq!(names.words.resolve(second.attrs[0].0), "csat");
}

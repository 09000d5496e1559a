//! The NDJSON reader's caches (previous customer, names, attribute keys) never
//! hand out a symbol the caller has forgotten: after `Interner::forget` a
//! freed symbol goes to the next new name, and the reader must not reuse it.

use cxl::events::{Event, EventReader, InputFormat, Interner, ReadOptions, Record};

fn next_event(reader: &mut EventReader, interner: &mut Interner) -> Event {
    match reader.next_record(interner).expect("readable") {
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
    let mut interner = Interner::new();
    let first = next_event(&mut reader, &mut interner);
    interner.forget(first.customer);
    let intruder = interner.intern("someone else");
    assert_eq!(intruder, first.customer, "the freed symbol is reused");
    let second = next_event(&mut reader, &mut interner);
    assert_eq!(interner.resolve(second.customer), "c1");
    assert_ne!(second.customer, intruder);
}

#[test]
fn forgotten_names_and_keys_are_interned_again() {
    let options = ReadOptions::new(InputFormat::Ndjson);
    let mut reader = EventReader::new(LOG.as_bytes(), "in", 0, &options).expect("reader");
    let mut interner = Interner::new();
    let first = next_event(&mut reader, &mut interner);
    let key = first.attrs[0].0;
    for symbol in [first.name, first.channel.expect("channel"), key] {
        interner.forget(symbol);
    }
    let intruders: Vec<_> = (0..3).map(|i| interner.intern(&format!("x{i}"))).collect();
    let second = next_event(&mut reader, &mut interner);
    assert_eq!(interner.resolve(second.name), "start");
    assert_eq!(interner.resolve(second.channel.expect("channel")), "web");
    assert_eq!(interner.resolve(second.attrs[0].0), "csat");
    for symbol in [
        second.name,
        second.channel.expect("channel"),
        second.attrs[0].0,
    ] {
        assert!(!intruders.contains(&symbol));
    }
}

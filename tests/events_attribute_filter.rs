//! The attribute filter read option (`ReadOptions::attributes`): kept keys are
//! read with their types, the others are left out (not even interned), the
//! mapped fields are not affected, and the same lines are rejected. Likewise
//! `ReadOptions::read_actor`: actors left out are not interned, and the same
//! lines are rejected.

use cxl::events::{
    AttributeFilter, Event, EventReader, InputFormat, Names, ReadOptions, Record, Rejection, Value,
};

struct Got {
    events: Vec<Event>,
    customers: Vec<cxl::events::Customer>,
    rejected: Vec<Rejection>,
    names: Names,
}

fn read(text: &'static str, format: InputFormat, attributes: AttributeFilter) -> Got {
    let mut options = ReadOptions::new(format);
    options.attributes = attributes;
    read_with(text, &options)
}

fn read_with(text: &'static str, options: &ReadOptions) -> Got {
    let mut reader = EventReader::new(text.as_bytes(), "in", 0, options).expect("reader");
    let mut got = Got {
        events: Vec::new(),
        customers: Vec::new(),
        rejected: Vec::new(),
        names: Names::new(),
    };
    while let Some(record) = reader.next_record(&mut got.names).expect("readable") {
        match record {
            Record::Event(e) => got.events.push(e),
            Record::Customer(c) => got.customers.push(c),
            Record::Rejected(r) => got.rejected.push(*r),
        }
    }
    got
}

/// An event's attributes as (key, value) text pairs, in order.
fn attrs(got: &Got, event: &Event) -> Vec<(String, Value)> {
    event
        .attrs
        .iter()
        .map(|(k, v)| (got.names.words.resolve(*k).to_string(), v.clone()))
        .collect()
}

/// The `i`th customer record's attributes as `key=value` texts, in order.
fn customer_attrs(got: &Got, i: usize) -> Vec<String> {
    got.customers[i]
        .attrs
        .iter()
        .map(|(k, v)| format!("{}={}", got.names.words.resolve(*k), v.to_text()))
        .collect()
}

const LOG: &str = concat!(
    r#"{"customer":"c1","step":"Claim reported","time":"2026-03-01T00:00:48Z","channel":"web","actor":"intake","tenure_days":89,"csat":5,"tier":"gold","seen":"2026-03-01T00:00:00+01:00","vip":true,"tags":["a",1]}"#,
    "\n",
    r#"{"tier":null,"csat":4.5,"customer":"c2","step":"decide","time":"2026-03-01T01:00:00Z","notes":{"a":1}}"#,
    "\n",
    r#"{"customer":"c3","step":"decide","time":"2026-03-01T02:00:00Z","tenure_days":[1,}"#,
    "\n",
    r#"{"customer":"c4","step":"decide","time":"yesterday","tenure_days":1}"#,
    "\n",
);

#[test]
fn ndjson_keeps_only_the_named_attributes_with_their_types() {
    let only = AttributeFilter::only(["csat", "tier", "seen", "vip", "tags"]);
    let got = read(LOG, InputFormat::Ndjson, only);
    assert_eq!(got.events.len(), 2);
    let first = &got.events[0];
    let seen: jiff::Timestamp = "2026-02-28T23:00:00Z".parse().expect("time");
    assert_eq!(
        attrs(&got, first),
        vec![
            ("csat".to_string(), Value::Number(5.0)),
            ("tier".to_string(), Value::Text("gold".into())),
            ("seen".to_string(), Value::Time(seen)),
            ("vip".to_string(), Value::Bool(true)),
            (
                "tags".to_string(),
                Value::List(vec![Value::Text("a".into()), Value::Number(1.0)])
            ),
        ]
    );
    assert_eq!(
        attrs(&got, &got.events[1]),
        vec![("csat".to_string(), Value::Number(4.5))]
    );
    // Left-out keys are not interned at all.
    assert_eq!(got.names.words.get("tenure_days"), None);
    assert_eq!(got.names.words.get("notes"), None);
    // Mapped fields are read as without a filter.
    let all = read(LOG, InputFormat::Ndjson, AttributeFilter::All);
    let mapped = |g: &Got, e: &Event| {
        let name = |s: Option<cxl::events::Symbol>| s.map(|s| g.names.words.resolve(s).to_string());
        (
            Some(g.names.customers.resolve(e.customer).to_string()),
            name(Some(e.name)),
            e.time,
            name(e.channel),
            name(e.actor),
            e.origin,
        )
    };
    for (a, b) in got.events.iter().zip(&all.events) {
        assert_eq!(mapped(&got, a), mapped(&all, b));
    }
    assert_eq!(all.events[0].attrs.len(), 6);
    assert!(all.names.words.get("tenure_days").is_some());
}

#[test]
fn ndjson_rejects_the_same_lines_with_or_without_a_filter() {
    let only = read(LOG, InputFormat::Ndjson, AttributeFilter::only(["csat"]));
    let all = read(LOG, InputFormat::Ndjson, AttributeFilter::All);
    assert_eq!(only.rejected, all.rejected);
    let lines: Vec<Option<u64>> = only.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![Some(3), Some(4)]);
    assert!(only.rejected[0].reason.starts_with("not valid JSON"));
}

#[test]
fn an_empty_filter_keeps_no_attribute() {
    let none = read(
        LOG,
        InputFormat::Ndjson,
        AttributeFilter::only(Vec::<String>::new()),
    );
    assert_eq!(none.events.len(), 2);
    assert!(none.events.iter().all(|e| e.attrs.is_empty()));
    assert!(none.events[0].channel.is_some() && none.events[0].actor.is_some());
}

#[test]
fn csv_keeps_only_the_named_columns_and_case_columns() {
    const CSV: &str = "customer,step,time,csat,tier,case:segment,case:region\n\
        c1,start,2026-03-01T00:00:00Z,5,gold,retail,north\n\
        c1,end,2026-03-01T01:00:00Z,3,silver,retail,north\n";
    let got = read(
        CSV,
        InputFormat::Csv,
        AttributeFilter::only(["csat", "segment"]),
    );
    assert_eq!(got.events.len(), 2);
    assert_eq!(
        attrs(&got, &got.events[0]),
        vec![("csat".to_string(), Value::Number(5.0))]
    );
    assert_eq!(got.customers.len(), 1);
    let customer = customer_attrs(&got, 0);
    assert_eq!(customer, vec!["segment=retail"]);
    assert_eq!(got.names.words.get("tier"), None);
    let all = read(CSV, InputFormat::Csv, AttributeFilter::All);
    assert_eq!(all.events[0].attrs.len(), 2);
    assert_eq!(all.customers[0].attrs.len(), 2);
}

#[test]
fn xes_keeps_only_the_named_attributes_and_still_reads_its_own_keys() {
    // `lifecycle:transition` is not kept, yet the lifecycle filter still drops
    // the `start` event; `concept:name` and `time:timestamp` are mapped fields.
    const XES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace>
    <string key="concept:name" value="c1"/>
    <string key="tier" value="gold"/>
    <int key="tenure_days" value="30"/>
    <event>
      <string key="concept:name" value="Claim reported"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2026-03-01T00:00:00.000+00:00"/>
    </event>
    <event>
      <string key="concept:name" value="Claim reported"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2026-03-01T00:05:00.000+00:00"/>
      <int key="csat" value="4"/>
      <string key="note" value="free text nobody reads"/>
    </event>
  </trace>
</log>
"#;
    let got = read(
        XES,
        InputFormat::Xes,
        AttributeFilter::only(["csat", "tier"]),
    );
    assert_eq!(
        got.events.len(),
        1,
        "the start transition is still filtered"
    );
    assert_eq!(
        attrs(&got, &got.events[0]),
        vec![("csat".to_string(), Value::Number(4.0))]
    );
    assert_eq!(got.names.customers.resolve(got.events[0].customer), "c1");
    let customer = customer_attrs(&got, 0);
    assert_eq!(customer, vec!["tier=gold"]);
    let all = read(XES, InputFormat::Xes, AttributeFilter::All);
    assert_eq!(all.events[0].attrs.len(), 3, "csat, note and the lifecycle");
    assert_eq!(all.customers[0].attrs.len(), 2);
}

/// Lines whose actor is every JSON type, on both NDJSON paths (the second line
/// has an escape, so it goes the serde way).
const ACTORS: &str = concat!(
    r#"{"customer":"c1","step":"a","time":"2026-03-01T00:00:00Z","actor":"Ann","csat":5}"#,
    "\n",
    r#"{"customer":"c1","step":"b\u0021","time":"2026-03-01T00:01:00Z","actor":"Bo\"b"}"#,
    "\n",
    r#"{"customer":"c2","step":"a","time":"2026-03-01T00:02:00Z","actor":42}"#,
    "\n",
    r#"{"customer":"c3","step":"a","time":"2026-03-01T00:03:00Z","actor":null}"#,
    "\n",
    r#"{"customer":"c4","step":"a","time":"2026-03-01T00:04:00Z","actor":true}"#,
    "\n",
    r#"{"customer":"c5","step":"a","time":"2026-03-01T00:05:00Z","actor":{"name":"Ann"}}"#,
    "\n",
    r#"{"customer":"c6","step":"a","time":"2026-03-01T00:06:00Z","actor":["Ann"]}"#,
    "\n",
    r#"{"actor":[],"customer":"c7","step":"a","time":"2026-03-01T00:07:00Z"}"#,
    "\n",
);

#[test]
fn actors_left_out_are_not_interned_and_the_same_lines_are_rejected() {
    let mut options = ReadOptions::new(InputFormat::Ndjson);
    let with = read_with(ACTORS, &options);
    options.read_actor = false;
    let without = read_with(ACTORS, &options);
    // The same lines are read, and the same ones rejected for the same reasons.
    assert_eq!(without.rejected, with.rejected);
    assert!(!with.rejected.is_empty(), "an object actor is rejected");
    let origins = |g: &Got| g.events.iter().map(|e| e.origin).collect::<Vec<_>>();
    assert_eq!(origins(&without), origins(&with));
    assert!(with.events.iter().any(|e| e.actor.is_some()));
    assert!(without.events.iter().all(|e| e.actor.is_none()));
    // The rest of each event is as read with the actor.
    for (a, b) in without.events.iter().zip(&with.events) {
        let name = |g: &Got, s| g.names.words.resolve(s).to_string();
        assert_eq!(
            without.names.customers.resolve(a.customer),
            with.names.customers.resolve(b.customer)
        );
        assert_eq!(name(&without, a.name), name(&with, b.name));
        assert_eq!((a.time, a.attrs.len()), (b.time, b.attrs.len()));
    }
    for actor in ["Ann", "Bo\"b", "42"] {
        assert!(with.names.words.get(actor).is_some(), "{actor} read");
        assert_eq!(without.names.words.get(actor), None, "{actor} left out");
    }
}

#[test]
fn csv_and_xes_leave_actors_out_too_without_interning_them() {
    const CSV: &str = "customer,step,time,actor\nc1,start,2026-03-01T00:00:00Z,Ann\n";
    const XES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace>
    <string key="concept:name" value="c1"/>
    <event>
      <string key="concept:name" value="Claim reported"/>
      <string key="org:resource" value="Ann"/>
      <date key="time:timestamp" value="2026-03-01T00:05:00.000+00:00"/>
    </event>
  </trace>
</log>
"#;
    for (text, format) in [(CSV, InputFormat::Csv), (XES, InputFormat::Xes)] {
        let mut options = ReadOptions::new(format);
        let with = read_with(text, &options);
        options.read_actor = false;
        let without = read_with(text, &options);
        assert_eq!(with.events.len(), 1, "{format:?}");
        assert!(with.events[0].actor.is_some(), "{format:?} reads the actor");
        assert_eq!(without.events.len(), 1, "{format:?}");
        assert_eq!(without.events[0].actor, None, "{format:?} leaves it out");
        assert!(
            with.names.words.get("Ann").is_some(),
            "{format:?} reads Ann"
        );
        assert_eq!(
            without.names.words.get("Ann"),
            None,
            "{format:?} interns no actor"
        );
    }
}

#[test]
fn xes_attributes_left_out_are_still_checked_so_the_same_events_are_rejected() {
    // Bad values under keys nobody reads: an int, a date, a boolean in a
    // list, a float on the trace, an attribute without a value. They reject
    // their event (or trace) whether the filter keeps them or not.
    const XES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace>
    <string key="concept:name" value="c1"/>
    <event>
      <string key="concept:name" value="a"/>
      <date key="time:timestamp" value="2026-03-01T00:00:00.000+00:00"/>
      <int key="score" value="many"/>
    </event>
    <event>
      <string key="concept:name" value="b"/>
      <date key="time:timestamp" value="2026-03-01T00:01:00.000+00:00"/>
      <date key="seen" value="yesterday"/>
    </event>
    <event>
      <string key="concept:name" value="c"/>
      <date key="time:timestamp" value="2026-03-01T00:02:00.000+00:00"/>
      <list key="flags"><values><boolean key="f" value="maybe"/></values></list>
    </event>
    <event>
      <string key="concept:name" value="d"/>
      <date key="time:timestamp" value="2026-03-01T00:03:00.000+00:00"/>
      <string key="note"/>
    </event>
    <event>
      <string key="concept:name" value="e"/>
      <date key="time:timestamp" value="2026-03-01T00:04:00.000+00:00"/>
      <int key="score" value="3"/>
      <boolean key="vip" value="TRUE"/>
      <string key="org:resource" value="Ann"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="c2"/>
    <float key="weight" value="heavy"/>
    <event>
      <string key="concept:name" value="a"/>
      <date key="time:timestamp" value="2026-03-01T00:05:00.000+00:00"/>
    </event>
  </trace>
</log>
"#;
    let all = read(XES, InputFormat::Xes, AttributeFilter::All);
    let what = |g: &Got| {
        g.rejected
            .iter()
            .map(|r| (r.line, r.element.clone(), r.reason.clone()))
            .collect::<Vec<_>>()
    };
    let reasons: Vec<String> = all.rejected.iter().map(|r| r.reason.clone()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    for (reason, says) in reasons.iter().zip([
        "`many` is not an int",
        "yesterday",
        "`maybe` is not a boolean",
        "`<string>` has no `value`",
        "trace attribute `weight`: `heavy` is not a float",
    ]) {
        assert!(reason.contains(says), "{reason:?} says {says:?}");
    }
    assert_eq!(all.events.len(), 1);
    let e = &all.events[0];
    assert_eq!(
        attrs(&all, e),
        vec![
            ("score".to_string(), Value::Number(3.0)),
            ("vip".to_string(), Value::Bool(true)),
        ]
    );
    let mut narrow = ReadOptions::new(InputFormat::Xes);
    narrow.attributes = AttributeFilter::only(["vip"]);
    narrow.read_actor = false;
    for options in [narrow, {
        let mut o = ReadOptions::new(InputFormat::Xes);
        o.attributes = AttributeFilter::only(Vec::<String>::new());
        o
    }] {
        let got = read_with(XES, &options);
        assert_eq!(what(&got), what(&all), "{:?}", options.attributes);
        assert_eq!(got.events.len(), 1);
        for key in ["score", "seen", "flags", "weight"] {
            assert_eq!(got.names.words.get(key), None, "{key} is not interned");
        }
    }
}

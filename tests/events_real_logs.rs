//! Every real log in examples/real/logs reads without error, with the counts
//! PM4Py reports (see examples/real/logs/SOURCES.md).

mod events_common;

use cxl::events::{InputFormat, ReadOptions, Value};
use events_common::{logs_dir, read, read_with};

fn check(file: &str, cases: usize, events: usize) -> events_common::Read {
    let path = logs_dir().join(file);
    let mut options = ReadOptions::new(InputFormat::from_path(&path).expect("format"));
    options.all_lifecycle = true;
    let got = read_with(&path, options);
    assert!(got.error.is_none(), "{file}: {:?}", got.error);
    got.assert_nothing_lost();
    assert!(
        got.rejected.is_empty(),
        "{file}: {:?}",
        got.rejected.first()
    );
    assert_eq!(got.cases(), cases, "{file} cases");
    assert_eq!(got.events.len(), events, "{file} events");
    got
}

#[test]
fn running_example_xes() {
    let got = check("running-example.xes", 6, 42);
    assert_eq!(got.customers.len(), 6);
    let first = &got.events[0];
    assert_eq!(got.customer(first), "3");
    assert_eq!(got.name(first), "register request");
    assert_eq!(first.time.to_string(), "2010-12-30T13:32:00Z");
    assert_eq!(
        first.actor.map(|a| got.names.words.resolve(a)),
        Some("Pete")
    );
    let costs = got.names.words.get("Costs").expect("Costs interned");
    assert_eq!(first.attr(costs), Some(&Value::Text("50".into())));
    assert_eq!(first.origin.line, 23);
}

#[test]
fn running_example_csv() {
    let got = check("running-example.csv", 6, 42);
    let first = &got.events[0];
    assert_eq!(got.customer(first), "3");
    assert_eq!(got.name(first), "register request");
    assert_eq!(first.time.to_string(), "2010-12-30T13:32:00Z");
    assert_eq!(first.origin.line, 2);
    let costs = got.names.words.get("Costs").expect("Costs interned");
    assert_eq!(first.attr(costs), Some(&Value::Number(50.0)));
}

#[test]
fn roadtraffic_does_not_trust_header_counts() {
    let got = check("roadtraffic100traces.xes", 100, 390);
    let amount = got.names.words.get("amount").expect("amount");
    assert!(got
        .events
        .iter()
        .any(|e| matches!(e.attr(amount), Some(Value::Number(_)))));
}

#[test]
fn compressed_logs() {
    check("03_repairExample.xes.gz", 1104, 11_855);
    check("02_teleclaims.xes.gz", 3512, 46_138);
    check("06_bpic2013_closed.xes.gz", 1487, 6660);
    check("07_bpic2013_incidents.xes.gz", 7554, 65_533);
    check("helpdesk.xes.gz", 4580, 21_348);
}

#[test]
fn bpic2012_all_and_complete_only() {
    check("bpic2012.xes.gz", 13_087, 262_200);
    let got = read(&logs_dir().join("bpic2012.xes.gz"));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 164_506);
    assert_eq!(got.stats.filtered, 262_200 - 164_506);
}

#[test]
fn receipt_csv_and_xes_give_identical_events() {
    let xes = check("08_receipt.xes.gz", 1434, 8577);
    let csv = check("receipt.csv", 1434, 8577);
    let key = |r: &events_common::Read, e: &cxl::events::Event| {
        (
            r.customer(e).to_string(),
            r.name(e).to_string(),
            e.time,
            e.actor.map(|a| r.names.words.resolve(a).to_string()),
        )
    };
    let a: Vec<_> = xes.events.iter().map(|e| key(&xes, e)).collect();
    let b: Vec<_> = csv.events.iter().map(|e| key(&csv, e)).collect();
    assert_eq!(a, b);
    assert_eq!(xes.customers.len(), 1434);
    assert_eq!(csv.customers.len(), 1434);
}

#[test]
fn bpic2013_non_standard_lifecycles_are_kept_by_default() {
    let got = read(&logs_dir().join("06_bpic2013_closed.xes.gz"));
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.events.len(), 6660);
    assert_eq!(got.stats.filtered, 0);
    let mut names: Vec<_> = got.events.iter().map(|e| got.name(e)).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names, ["Accepted", "Completed", "Queued", "Unmatched"]);
}

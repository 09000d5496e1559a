//! Shared by the simulation tests: policies, writing simulated records as
//! NDJSON, and evaluating them through the real reader and evaluator.
#![allow(dead_code)]

use cxl::eval::{EvalOptions, Evaluator, Finding, Report};
use cxl::events::{EventReader, InputFormat, ReadOptions, Record};
use cxl::simulate::{write, SimEvent, Trace};
use cxl::Policy;

/// The design sketch's claims policy.
pub const SKETCH: &str = include_str!("../fixtures/valid/design_sketch.cxl");

/// The worked claims example.
pub const CLAIMS: &str = include_str!("../../examples/claims.cxl");

/// The telecom fault-repair example: a repeated round `{1,3}`, an optional survey.
pub const TELECOM: &str = include_str!("../../examples/telecom_support.cxl");

/// A support policy with weights, `takes`, a loop, an optional end, `J.*` and
/// journey-start limits, and segments over `in`, `not` and comparisons.
pub const SUPPORT: &str = include_str!("support.cxl");

/// A compiled policy.
pub fn policy(text: &str) -> Policy {
    Policy::compile(text).expect("the test policy compiles")
}

/// Records as NDJSON bytes.
pub fn ndjson(events: &[SimEvent]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        write::ndjson_line(&mut out, e).expect("writing to memory");
    }
    out
}

/// Every trace's records merged in time order (stable: a trace's own order
/// breaks ties, then the trace order).
pub fn merge(traces: &[Trace]) -> Vec<SimEvent> {
    let mut all: Vec<(i64, usize, usize, SimEvent)> = Vec::new();
    for (t, trace) in traces.iter().enumerate() {
        let mut max = i64::MIN;
        for (i, e) in trace.events.iter().enumerate() {
            max = max.max(e.time);
            all.push((max, t, i, e.clone()));
        }
    }
    all.sort_by_key(|(at, t, i, _)| (*at, *t, *i));
    all.into_iter().map(|(.., e)| e).collect()
}

/// Evaluate NDJSON bytes: the report and every finding (streamed and final).
pub fn evaluate(policy: &Policy, bytes: Vec<u8>) -> (Report, Vec<Finding>) {
    let mut evaluator = Evaluator::new(policy.program.clone(), EvalOptions::default());
    let options = ReadOptions::new(InputFormat::Ndjson);
    let mut reader = EventReader::new(std::io::Cursor::new(bytes), "sim.ndjson", 0, &options)
        .expect("an in-memory reader");
    let mut findings = Vec::new();
    while let Some(record) = reader
        .next_record(evaluator.names_mut())
        .expect("no input error")
    {
        match record {
            Record::Event(e) => findings.extend(evaluator.push(e)),
            Record::Customer(c) => evaluator.push_customer(c),
            Record::Rejected(r) => findings.extend(evaluator.push_rejected(&r)),
        }
    }
    let (report, last) = evaluator.finish(None).expect("no as-of, no error");
    findings.extend(last);
    (report, findings)
}

/// The report as JSON with input line numbers removed (they name positions in
/// the file, which a reordering changes on purpose).
pub fn report_json_without_lines(report: &Report) -> String {
    let mut value = serde_json::to_value(report).expect("a report serializes");
    strip_lines(&mut value);
    value.to_string()
}

fn strip_lines(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("line");
            map.values_mut().for_each(strip_lines);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_lines),
        _ => {}
    }
}

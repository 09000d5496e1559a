//! Any number of evaluators gives one evaluator's output, byte for byte: random
//! logs of many customers (events out of order within the lateness window,
//! late events, duplicates, unmapped names, rejected lines, deadlines, customer
//! and rate escalations, more than one idle sweep) evaluated by one
//! [`Evaluator`] and by [`Sharded`] runs of 1, 2, 3 and 8, rendered as text,
//! JSON and NDJSON the way `cxl eval` renders them, with the escalations and
//! the alignment records (`--alignments`).

use cxl::eval::{
    AlignmentRecord, Alignments, EvalOptions, Evaluator, Output, ReadAhead, Retention, Sharded,
    Source,
};
use cxl::events::{EventReader, InputFormat, ReadOptions, Record};
use cxl::report::{self, TextOptions};
use cxl::Policy;
use proptest::prelude::*;
use std::convert::Infallible;
use std::fmt::Write;
use std::num::NonZeroUsize;

const POLICY: &str = r#"use std/cx
journey j "Job" {
  goal done
  abandon after 6h
  step start { match "start" }
  step work  { match "work" }
  step check { match "check" }
  step done  { match "done" }
  path start -> work -> check? -> done
}
expect j.work { within 30m after start }
expect j.done {
  within 2h after start
  warn after 1h after start
}
expect j.* { csat >= 4 else yellow }
escalate stuck "A job is stuck" {
  when broken(j.work) or off_path(j)
  notify "Desk" severity red within 1h
  then notify "Lead" after 3h unless reached(done)
}
escalate slow_work "Work is late for many" {
  when broken(j.work) rate > 20% over 1h
  notify "Manager" severity yellow
  then notify "Director" after 2h
}
"#;

/// One line of a random log: a customer's event at a time (seconds from the
/// start), or a line that cannot be read.
#[derive(Debug, Clone)]
enum Line {
    Event {
        customer: u16,
        name: u8,
        at: i64,
        csat: Option<u8>,
    },
    Bad,
    /// A customer's line without its time (rejected).
    NoTime(u16),
    /// A blank line (not a record).
    Blank,
}

const NAMES: [&str; 7] = [
    "start",
    "work",
    "check",
    "done",
    "work",
    "noise",
    "other noise",
];

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        60 => (0u16..400, 0u8..7, -500i64..500, prop::option::weighted(0.2, 1u8..6))
            .prop_map(|(customer, name, jitter, csat)| Line::Event { customer, name, at: jitter, csat }),
        // Far behind: late for the lateness window.
        2 => (0u16..400, 0u8..7).prop_map(|(customer, name)| Line::Event { customer, name, at: -30_000, csat: None }),
        1 => Just(Line::Bad),
        1 => (0u16..400).prop_map(Line::NoTime),
        1 => Just(Line::Blank),
    ]
}

/// The log as NDJSON: line `i` is about `i` × `pace` seconds in, plus its jitter.
fn ndjson(lines: &[Line], pace: i64) -> String {
    let mut out = String::new();
    let start = 1_767_225_600; // 2026-01-01T00:00:00Z
    for (i, l) in lines.iter().enumerate() {
        match l {
            Line::Event {
                customer,
                name,
                at,
                csat,
            } => {
                let time = jiff::Timestamp::from_second(start + i as i64 * pace + at)
                    .expect("a time in range");
                let step = NAMES[*name as usize];
                // Lines of other shapes than the common one (the customer
                // first, plain) are read whole by every shard.
                let _ = match i % 7 {
                    3 => write!(
                        out,
                        r#"{{"step":"{step}","customer":"c{customer}","time":"{time}""#
                    ),
                    5 => write!(
                        out,
                        r#"{{"customer":"\u0063{customer}","step":"{step}","time":"{time}""#
                    ),
                    _ => write!(
                        out,
                        r#"{{"customer":"c{customer}","step":"{step}","time":"{time}""#
                    ),
                };
                if let Some(csat) = csat {
                    let _ = write!(out, r#","csat":{csat}"#);
                }
                out.push_str("}\n");
            }
            // Told at a glance, or read whole by every shard.
            Line::Bad if i % 2 == 0 => out.push_str("{\"customer\":\"broken\"\n"),
            Line::Bad => out.push_str("not json\n"),
            Line::NoTime(customer) => {
                let _ = writeln!(out, r#"{{"customer":"c{customer}","step":"work"}}"#);
            }
            Line::Blank => out.push('\n'),
        }
    }
    out
}

/// What `cxl eval` prints in each format, with the escalations file and the
/// alignments file after it.
fn render(policy: &Policy, log: &str, threads: usize) -> [String; 3] {
    [Retention::PerGroup(3), Retention::All, Retention::None].map(|retention| {
        let options = EvalOptions {
            retention,
            alignments: Alignments::Records,
            ..EvalOptions::default()
        };
        let mut lines = String::new();
        let mut escalations = String::new();
        let mut aligned = String::new();
        let mut align = |records: Vec<AlignmentRecord>| {
            for r in records {
                aligned += &(serde_json::to_string(&r).expect("json") + "\n");
            }
        };
        let mut emit = |findings: Vec<cxl::eval::Finding>,
                        fired: &[cxl::eval::EscalationRecord]| {
            if retention == Retention::None {
                for f in findings {
                    lines += &(serde_json::to_string(&f).expect("json") + "\n");
                }
                for r in fired {
                    lines += &(report::escalation_line(r).expect("json") + "\n");
                }
            }
            for r in fired {
                escalations += &(serde_json::to_string(r).expect("json") + "\n");
            }
        };
        let read = ReadOptions::new(InputFormat::Ndjson);
        let report = if threads == 0 {
            // One evaluator, as `cxl eval --threads 1` runs it.
            let mut evaluator = Evaluator::new(policy.program.clone(), options);
            let reader = EventReader::new(
                std::io::Cursor::new(log.to_string()),
                "log.ndjson",
                0,
                &read,
            )
            .expect("a reader");
            let mut reader = ReadAhead::new(reader);
            while let Some(record) = reader.next_record(&mut evaluator).expect("readable") {
                match record {
                    Record::Event(event) => {
                        let findings = evaluator.push(event);
                        emit(findings, &evaluator.take_escalations());
                        align(evaluator.take_alignments());
                    }
                    Record::Rejected(rejection) => {
                        let findings = evaluator.push_rejected(&rejection);
                        emit(findings, &evaluator.take_escalations());
                        align(evaluator.take_alignments());
                    }
                    Record::Customer(customer) => evaluator.push_customer(customer),
                }
            }
            let finished = evaluator.finish_all(None).expect("no as-of");
            emit(finished.findings, &finished.escalations);
            align(finished.alignments);
            finished.report
        } else {
            let shards = NonZeroUsize::new(threads).expect("not zero");
            let source = Source {
                input: Box::new(std::io::Cursor::new(log.to_string())),
                name: "log.ndjson".into(),
                options: read,
            };
            let outcome = Sharded::new(policy, options, shards)
                .run(source, None, false, |output| {
                    match output {
                        Output::Decided(findings, fired) => emit(findings, &fired),
                        Output::Aligned(records) => align(records),
                        Output::Rejected(_) => {}
                    }
                    Ok::<(), Infallible>(())
                })
                .expect("the run ends");
            outcome.report
        };
        for r in &report.escalations {
            escalations += &(serde_json::to_string(r).expect("json") + "\n");
        }
        let printed = match retention {
            Retention::PerGroup(show) => report::render_text(
                &report,
                &TextOptions {
                    policy_name: "p.cxl",
                    log_name: "log.ndjson",
                    explain: true,
                    show,
                },
            ),
            Retention::All => serde_json::to_string_pretty(&report).expect("json"),
            Retention::None => lines + &report::summary_line(&report).expect("json"),
        };
        assert!(!aligned.is_empty(), "alignment records are written");
        printed + "\n--- escalations\n" + &escalations + "\n--- alignments\n" + &aligned
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// One evaluator and 1, 2, 3 and 8 sharded ones print the same bytes.
    #[test]
    fn any_number_of_evaluators_prints_the_same(
        lines in prop::collection::vec(line(), 4500..9000),
        pace in 1i64..40,
    ) {
        let policy = Policy::compile(POLICY).expect("the policy compiles");
        let log = ndjson(&lines, pace);
        let one = render(&policy, &log, 0);
        for threads in [1, 2, 3, 8] {
            let many = render(&policy, &log, threads);
            for (format, (a, b)) in ["text", "json", "ndjson"].iter().zip(one.iter().zip(&many)) {
                prop_assert!(a == b, "{format} differs with {threads} evaluators:\n{}", first_difference(a, b));
            }
        }
    }
}

/// The first line where two outputs differ, for the message.
fn first_difference(a: &str, b: &str) -> String {
    let at = a.lines().zip(b.lines()).position(|(x, y)| x != y);
    match at {
        Some(i) => format!(
            "line {}:\n  one: {}\n many: {}",
            i + 1,
            a.lines().nth(i).unwrap_or(""),
            b.lines().nth(i).unwrap_or("")
        ),
        None => format!("lengths {} and {}", a.len(), b.len()),
    }
}

/// The logs above do decide things: findings of every kind the property is
/// about, escalations of both kinds, and more than one sweep.
#[test]
fn the_random_logs_exercise_what_they_claim_to() {
    let lines: Vec<Line> = (0..9000u32)
        .map(|i| {
            if i % 997 == 0 {
                Line::Bad
            } else {
                Line::Event {
                    customer: (i * 7 % 400) as u16,
                    name: (i * 13 % 7) as u8,
                    at: if i % 501 == 0 {
                        -30_000
                    } else {
                        i64::from(i % 9) * 50 - 200
                    },
                    csat: (i % 5 == 0).then_some((i % 5) as u8 + 1),
                }
            }
        })
        .collect();
    let policy = Policy::compile(POLICY).expect("the policy compiles");
    let [_, json, _] = render(&policy, &ndjson(&lines, 10), 2);
    for kind in [
        "late_event",
        "unmapped_event",
        "rejected_record",
        "sla_breach",
        "sla_warning",
        "unexpected_step",
        "metric_below",
        "stalled",
    ] {
        assert!(json.contains(&format!("\"{kind}\"")), "no {kind}");
    }
    assert!(
        json.contains("\"escalation\": \"stuck\""),
        "no customer escalation"
    );
    assert!(
        json.contains("\"escalation\": \"slow_work\""),
        "no rate escalation"
    );
}

/// A rejected record counts towards the idle sweep: when the sweep it sets
/// off fires an escalation, one evaluator hands it out then, as shards do.
#[test]
fn a_sweep_after_a_rejected_record_hands_out_its_escalations_at_once() {
    // c0 starts and goes quiet; 8,190 records of others later, the 8,192nd
    // record is rejected, and its sweep finds c0 idle with `work` overdue.
    let mut lines = vec![Line::Event {
        customer: 0,
        name: 0,
        at: 0,
        csat: None,
    }];
    lines.extend((1..8191u32).map(|i| Line::Event {
        customer: 1 + (i % 300) as u16,
        name: 3,
        at: 0,
        csat: None,
    }));
    lines.push(Line::Bad);
    let policy = Policy::compile(POLICY).expect("the policy compiles");
    let log = ndjson(&lines, 10);
    let one = render(&policy, &log, 0);
    let two = render(&policy, &log, 2);
    let [_, _, ndjson_one] = &one;
    let escalation = ndjson_one
        .lines()
        .position(|l| l.contains(r#""escalation":"stuck""#) && l.contains(r#""customer":"c0""#))
        .expect("c0's escalation");
    let rejected = ndjson_one
        .lines()
        .position(|l| l.contains("rejected_record"))
        .expect("the rejected record");
    // Between them only the sweep's findings about c0: not at the end.
    let between: Vec<&str> = ndjson_one
        .lines()
        .skip(rejected + 1)
        .take(escalation - rejected - 1)
        .collect();
    assert!(
        escalation > rejected && between.iter().all(|l| l.contains(r#""customer":"c0""#)),
        "c0's escalation at line {escalation}, the rejected record at {rejected}"
    );
    for (format, (a, b)) in ["text", "json", "ndjson"].iter().zip(one.iter().zip(&two)) {
        assert!(a == b, "{format} differs:\n{}", first_difference(a, b));
    }
}

//! Fuzz `eval` end to end, as the CLI runs it: a bundled policy, a log in
//! one of the three formats, the evaluator's narrowed read options, read
//! ahead, every record pushed, the report built and rendered. The first
//! byte picks the policy and the format. No panic; every record read is an
//! event or a rejection of the report's input counts.
#![no_main]

use cxl::eval::{EvalOptions, Evaluator, ReadAhead, Retention};
use cxl::events::{EventReader, InputFormat, ReadOptions, Record};
use cxl::Policy;
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::sync::OnceLock;

const POLICIES: [&str; 3] = [
    include_str!("../../examples/claims.cxl"),
    include_str!("../../examples/telecom_support.cxl"),
    include_str!("../../examples/real/repair.cxl"),
];

fn policies() -> &'static [Policy] {
    static COMPILED: OnceLock<Vec<Policy>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        POLICIES
            .iter()
            .filter_map(|text| Policy::compile(text).ok())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, log)) = data.split_first() else {
        return;
    };
    let policies = policies();
    let Some(policy) = policies.get(usize::from(pick & 3) % policies.len().max(1)) else {
        return;
    };
    let format =
        [InputFormat::Ndjson, InputFormat::Csv, InputFormat::Xes][usize::from(pick >> 2) % 3];
    let retention =
        [Retention::All, Retention::PerGroup(3), Retention::None][usize::from(pick >> 4) % 3];
    let mut evaluator = Evaluator::new(policy.program.clone(),
        EvalOptions {
            lateness: 600,
            retention,
        },
    );
    let mut options = ReadOptions::new(format);
    evaluator.narrow(&mut options);
    let Ok(reader) = EventReader::new(Cursor::new(log.to_vec()), "fuzz", 0, &options) else {
        return;
    };
    let mut reader = ReadAhead::new(reader);
    let (mut events, mut rejected) = (0u64, 0u64);
    while let Ok(Some(record)) = reader.next_record(&mut evaluator) {
        match record {
            Record::Event(event) => {
                events += 1;
                drop(evaluator.push(event));
                drop(evaluator.take_escalations());
            }
            Record::Customer(customer) => evaluator.push_customer(customer),
            Record::Rejected(r) => {
                rejected += 1;
                drop(evaluator.push_rejected(&r));
            }
        }
    }
    let stats = reader.stats();
    assert_eq!((stats.accepted, stats.rejected), (events, rejected));
    let Ok((report, _)) = evaluator.finish(None) else {
        panic!("no as-of time, no as-of error");
    };
    assert_eq!(report.input.events, events);
    assert_eq!(report.input.rejected, rejected);
    let _ = serde_json::to_string(&report);
    let text_options = cxl::report::TextOptions {
        policy_name: "fuzz.cxl",
        log_name: "fuzz",
        explain: true,
        show: 3,
    };
    let _ = cxl::report::render_text(&report, &text_options);
});

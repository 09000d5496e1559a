//! Properties of the evaluator, checked on simulated logs: the ideal journey is
//! clean, one mutation gives exactly its finding, reordering within the lateness
//! window changes nothing, and evaluation is deterministic.

mod simulate_common;

use cxl::eval::{Category, Finding, FindingKind};
use cxl::simulate::{Deviation, Rng, SimOptions, Simulator, Trace};
use proptest::prelude::*;
use simulate_common::{
    evaluate, merge, ndjson, policy, report_json_without_lines, CLAIMS, SKETCH, SUPPORT, TELECOM,
};
use std::collections::BTreeSet;

fn options(seed: u64, customers: u64, concurrency: usize) -> SimOptions {
    SimOptions {
        customers,
        seed,
        concurrency,
        ..SimOptions::default()
    }
}

/// Off the path, or a time limit missed.
fn off_path_or_sla(f: &Finding) -> bool {
    f.kind.category() == Category::OffPath
        || matches!(
            f.kind,
            FindingKind::Stalled | FindingKind::SlaBreach | FindingKind::SlaWarning
        )
}

fn policies() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(SKETCH), Just(SUPPORT), Just(CLAIMS), Just(TELECOM)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// (a) Every simulated ideal trace evaluates with no finding at all (so no
    /// off-path and no SLA finding).
    #[test]
    fn ideal_traces_are_clean(text in policies(), seed in any::<u64>(), customers in 1u64..40, concurrency in 1usize..20) {
        let policy = policy(text);
        let sim = Simulator::new(&policy, options(seed, customers, concurrency)).expect("a simulator");
        let events: Vec<_> = sim.stream().collect();
        let (report, findings) = evaluate(&policy, ndjson(&events));
        prop_assert!(findings.is_empty(), "seed {seed}: {:#?}", findings.first());
        prop_assert_eq!(report.input.events, events.len() as u64);
        let entered: u64 = report.journeys.iter().map(|j| j.entered).sum();
        prop_assert_eq!(entered, customers);
    }

    /// (b) One mutation of one customer's ideal trace yields exactly the finding
    /// kinds it is made for, for that customer, and nothing off the path or late
    /// for anyone else.
    #[test]
    fn one_mutation_gives_its_finding(
        text in policies(),
        seed in any::<u64>(),
        customers in 1u64..8,
        which in 0usize..3,
        victim in any::<prop::sample::Index>(),
    ) {
        let policy = policy(text);
        let sim = Simulator::new(&policy, options(seed, customers, 4)).expect("a simulator");
        let start = sim.options().start.as_second();
        let mut traces: Vec<Trace> = (0..customers).map(|n| sim.ideal(n, start + n as i64 * 1800)).collect();
        let v = victim.index(traces.len());
        let deviation = [Deviation::SkipStep, Deviation::SwapSteps, Deviation::Delay][which];
        let mut rng = Rng::new(seed ^ 0xABCD);
        let deviated = sim.deviate(&traces[v], deviation, &mut rng);
        prop_assume!(deviated.is_some());
        traces[v] = deviated.expect("assumed");
        let expected: BTreeSet<FindingKind> =
            traces[v].deviation.as_ref().expect("deviated").expected.iter().copied().collect();
        let (_, findings) = evaluate(&policy, ndjson(&merge(&traces)));
        let victim_id = traces[v].customer.clone();
        let got: BTreeSet<FindingKind> = findings
            .iter()
            .filter(|f| f.customer.as_deref() == Some(victim_id.as_str()) && off_path_or_sla(f))
            .map(|f| f.kind)
            .collect();
        prop_assert_eq!(&got, &expected, "{:?} on {}: {:#?}", deviation, victim_id, findings);
        let others: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.customer.as_deref() != Some(victim_id.as_str()) && off_path_or_sla(f))
            .collect();
        prop_assert!(others.is_empty(), "{:#?}", others);
    }

    /// (c) Shuffling each customer's events within the lateness window changes
    /// nothing in the report (deviations included, input line numbers aside).
    #[test]
    fn reordering_within_the_window_changes_nothing(text in policies(), seed in any::<u64>(), customers in 1u64..25) {
        let policy = policy(text);
        let mut o = options(seed, customers, 6);
        o.deviation_rate = 0.5;
        o.deviations = vec![
            Deviation::SkipStep, Deviation::SwapSteps, Deviation::Delay, Deviation::WrongChannel,
            Deviation::BadMetric, Deviation::RepeatedAsk, Deviation::TooManyAttempts,
            Deviation::Repeat, Deviation::Abandon, Deviation::Duplicate, Deviation::Unmapped,
        ];
        let sim = Simulator::new(&policy, o).expect("a simulator");
        let events: Vec<_> = sim.stream().collect();
        let (before, _) = evaluate(&policy, ndjson(&events));
        // Arrival = time + a jitter under half the window: two events of a
        // customer swap only when less than half a window apart.
        let lateness = sim.options().lateness as i64;
        let mut rng = Rng::new(seed);
        let mut keyed: Vec<(i64, usize, _)> = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| (e.time + rng.below(lateness as u64 / 2) as i64, i, e))
            .collect();
        keyed.sort_by_key(|(k, i, _)| (*k, *i));
        let shuffled: Vec<_> = keyed.into_iter().map(|(.., e)| e).collect();
        let (after, _) = evaluate(&policy, ndjson(&shuffled));
        prop_assert_eq!(report_json_without_lines(&before), report_json_without_lines(&after));
    }

    /// (d) The same seed gives the same log and byte-identical JSON reports.
    #[test]
    fn runs_are_byte_identical(text in policies(), seed in any::<u64>(), customers in 1u64..30) {
        let policy = policy(text);
        let run = || {
            let mut o = options(seed, customers, 5);
            o.deviation_rate = 0.4;
            let sim = Simulator::new(&policy, o).expect("a simulator");
            let log = ndjson(&sim.stream().collect::<Vec<_>>());
            let (report, _) = evaluate(&policy, log.clone());
            (log, serde_json::to_string(&report).expect("json"))
        };
        let (log1, json1) = run();
        let (log2, json2) = run();
        prop_assert_eq!(log1, log2);
        prop_assert_eq!(json1, json2);
    }
}

//! Every deviation the simulator injects produces the finding kinds it promises,
//! on the design sketch and on a support policy, through the real reader and
//! evaluator.

mod simulate_common;

use cxl::eval::FindingKind;
use cxl::simulate::{Deviation, Rng, SimOptions, Simulator, Trace};
use simulate_common::{evaluate, merge, ndjson, policy, CLAIMS, SKETCH, SUPPORT, TELECOM};

/// Kinds reported about the input as a whole, without a customer.
fn input_wide(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::UnmappedEvent | FindingKind::RejectedRecord
    )
}

/// For each seed until one applies: deviate one of three customers and check
/// that every promised kind is reported for them.
fn check(text: &str, d: Deviation) -> usize {
    let policy = policy(text);
    let mut applied = 0;
    for seed in 0..40u64 {
        let o = SimOptions {
            seed,
            ..SimOptions::default()
        };
        let sim = Simulator::new(&policy, o).expect("a simulator");
        let start = sim.options().start.as_second();
        let mut traces: Vec<Trace> = (0..3)
            .map(|n| sim.ideal(n, start + n as i64 * 600))
            .collect();
        let Some(deviated) = sim.deviate(&traces[1], d, &mut Rng::new(seed)) else {
            continue;
        };
        applied += 1;
        traces[1] = deviated;
        let applied_to = traces[1].deviation.clone().expect("a deviation");
        assert_eq!(applied_to.deviation, d);
        let (_, findings) = evaluate(&policy, ndjson(&merge(&traces)));
        for kind in &applied_to.expected {
            let found = findings.iter().any(|f| {
                let who =
                    input_wide(*kind) || f.customer.as_deref() == Some(traces[1].customer.as_str());
                // Three customers end close together: an abandoned journey is
                // still open at the end of input.
                let same = f.kind == *kind
                    || (*kind == FindingKind::Abandoned && f.kind == FindingKind::Incomplete);
                who && same
            });
            assert!(found, "{d:?} seed {seed}: no {kind:?} in {findings:#?}");
        }
        // The other customers stay clean.
        let others: Vec<_> = findings
            .iter()
            .filter(|f| {
                f.customer
                    .as_deref()
                    .is_some_and(|c| c != traces[1].customer)
            })
            .collect();
        assert!(others.is_empty(), "{d:?} seed {seed}: {others:#?}");
    }
    applied
}

#[test]
fn every_deviation_gives_its_findings_on_the_sketch() {
    for d in Deviation::ALL {
        let applied = check(SKETCH, d);
        assert!(applied > 0, "{d:?} never applied to the sketch");
    }
}

#[test]
fn every_deviation_gives_its_findings_on_the_support_policy() {
    for d in Deviation::ALL {
        let applied = check(SUPPORT, d);
        // The support policy has no asks_once and no attempt limit.
        let inapplicable = matches!(d, Deviation::RepeatedAsk | Deviation::TooManyAttempts);
        assert_eq!(applied == 0, inapplicable, "{d:?} applied {applied} times");
    }
}

#[test]
fn deviation_names_round_trip() {
    for d in Deviation::ALL {
        assert_eq!(Deviation::parse(d.as_str()), Some(d));
    }
    assert_eq!(Deviation::parse("nope"), None);
}

#[test]
fn every_deviation_gives_its_findings_on_the_claims_example() {
    for d in Deviation::ALL {
        let applied = check(CLAIMS, d);
        assert!(applied > 0, "{d:?} never applied to the claims example");
    }
}

#[test]
fn every_deviation_gives_its_findings_on_the_telecom_example() {
    // Asks and attempt limits are on the steps of the contact round, which the
    // ideal trace plays once: those deviations add a second round.
    for d in Deviation::ALL {
        let applied = check(TELECOM, d);
        assert!(applied > 0, "{d:?} never applied to the telecom example");
    }
}

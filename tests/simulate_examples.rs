//! The example logs are simulated, and stay what the simulator makes of the
//! example policies: every finding kind appears when they are evaluated, and
//! regenerating them gives the same bytes. To regenerate after a change:
//!
//! ```text
//! cxl simulate examples/claims.cxl --customers 600 --seed 2 --deviations 0.25 --concurrency 30 > examples/claims.ndjson
//! cxl simulate examples/telecom_support.cxl --customers 600 --seed 2 --deviations 0.25 --concurrency 10 --stagger 30m > examples/telecom_support.ndjson
//! ```

mod simulate_common;

use cxl::eval::FindingKind;
use cxl::simulate::{SimOptions, Simulator};
use simulate_common::{evaluate, ndjson, policy, CLAIMS, TELECOM};

fn options(concurrency: usize, stagger: u64) -> SimOptions {
    SimOptions {
        customers: 600,
        seed: 2,
        deviation_rate: 0.25,
        concurrency,
        stagger,
        ..SimOptions::default()
    }
}

fn check(text: &str, file: &str, o: SimOptions) {
    let policy = policy(text);
    let sim = Simulator::new(&policy, o).expect("a simulator");
    let made = ndjson(&sim.stream().collect::<Vec<_>>());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let committed = std::fs::read(&path).expect("the example log exists");
    assert!(committed.len() < 2_000_000, "{file} is too large to commit");
    assert!(
        made == committed,
        "{file} is not what the simulator makes now: regenerate it (see this test's docs)"
    );
    let (report, _) = evaluate(&policy, committed);
    for &kind in FindingKind::ALL {
        assert!(
            report.finding_counts.get(&kind).is_some_and(|n| *n > 0),
            "{file}: no {kind} finding"
        );
    }
    let entered: u64 = report.journeys.iter().map(|j| j.entered).sum();
    assert!(entered > 500, "{file}: {entered} journeys entered");
}

#[test]
fn the_claims_log_is_simulated_and_shows_every_finding_kind() {
    check(CLAIMS, "examples/claims.ndjson", options(30, 300));
}

#[test]
fn the_telecom_log_is_simulated_and_shows_every_finding_kind() {
    check(
        TELECOM,
        "examples/telecom_support.ndjson",
        options(10, 1800),
    );
}

//! The simulator on every policy the repository ships that compiles (examples,
//! real-log policies, fixtures, warnings included): it never panics, its ideal
//! customers enter their journey and finish it with no finding off the path and
//! no time limit missed, and with deviations it still runs through the reader
//! and the evaluator.

mod simulate_common;

use cxl::eval::{Category, FindingKind};
use cxl::simulate::{SimOptions, Simulator};
use cxl::Policy;
use simulate_common::{evaluate, ndjson};
use std::path::{Path, PathBuf};

fn policies() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "examples",
        "examples/real",
        "tests/fixtures/valid",
        "tests/fixtures/invalid",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "cxl")),
        );
    }
    files.sort();
    files
}

#[test]
fn every_shipped_policy_simulates_cleanly() {
    let mut simulated = 0;
    for path in policies() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let Ok(policy) = Policy::compile(&text) else {
            continue;
        };
        let options = SimOptions {
            customers: 30,
            seed: 7,
            ..SimOptions::default()
        };
        let Ok(sim) = Simulator::new(&policy, options.clone()) else {
            continue;
        };
        simulated += 1;
        let events: Vec<_> = sim.stream().collect();
        let (report, findings) = evaluate(&policy, ndjson(&events));
        let bad: Vec<_> = findings
            .iter()
            .filter(|f| {
                f.kind.category() == Category::OffPath
                    || matches!(
                        f.kind,
                        FindingKind::Stalled | FindingKind::SlaBreach | FindingKind::SlaWarning
                    )
            })
            .collect();
        assert!(bad.is_empty(), "{}: {bad:#?}", path.display());
        let entered: u64 = report.journeys.iter().map(|j| j.entered).sum();
        // A segment over a mapped field (`channel`) cannot be put on events.
        let columns = cxl::simulate::write::Columns::for_policy(&policy);
        if !sim.attribute_names().iter().any(|a| columns.is_mapped(a)) {
            assert_eq!(
                entered,
                30,
                "{}: customers outside their segments",
                path.display()
            );
        }
        let deviated = Simulator::new(
            &policy,
            SimOptions {
                deviation_rate: 0.8,
                ..options
            },
        )
        .expect("a simulator");
        let events: Vec<_> = deviated.stream().collect();
        let _ = evaluate(&policy, ndjson(&events));
    }
    assert!(simulated >= 10, "only {simulated} policies simulated");
}

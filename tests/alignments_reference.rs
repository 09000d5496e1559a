//! cxl's optimal alignment costs agree with PM4Py's on bundled public logs.
//!
//! The reference costs in `tests/fixtures/alignments/` were computed by PM4Py
//! (`tools/pm4py_alignments.py`, which says how) for process trees written to
//! be equivalent to the journeys here; this test needs no Python.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `cxl eval POLICY LOG --alignments FILE`: each customer's (cost, fitness),
/// one instance per case.
fn cxl_costs(policy: &PathBuf, log: &str, name: &str) -> BTreeMap<String, (u64, f64)> {
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.alignments.ndjson"));
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .arg("eval")
        .arg(policy)
        .arg(format!("{ROOT}/examples/real/logs/{log}"))
        .args(["--format", "json", "--fail-on", "never", "--alignments"])
        .arg(&file)
        .output()
        .expect("cxl runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&file).expect("the alignments file");
    let mut costs = BTreeMap::new();
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).expect("a JSON line");
        assert_eq!(record["instance"], 1, "one instance per case: {record}");
        let customer = record["customer"].as_str().expect("a customer").to_string();
        let cost = record["cost"].as_u64().expect("a cost");
        let fitness = record["fitness"].as_f64().expect("a fitness");
        costs.insert(customer, (cost, fitness));
    }
    costs
}

/// The reference: case id → [cost, fitness].
fn reference(name: &str) -> BTreeMap<String, (u64, f64)> {
    let path = format!("{ROOT}/tests/fixtures/alignments/{name}.json");
    let text = std::fs::read_to_string(&path).expect("the reference costs");
    let value: BTreeMap<String, (u64, f64)> = serde_json::from_str(&text).expect("JSON");
    value
}

fn assert_agree(name: &str, ours: &BTreeMap<String, (u64, f64)>) -> u64 {
    let theirs = reference(name);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{name}: the same cases"
    );
    for (case, (cost, fitness)) in &theirs {
        let (our_cost, our_fitness) = ours[case];
        assert_eq!(our_cost, *cost, "{name}: case {case}");
        assert!(
            (our_fitness - fitness).abs() < 1e-9,
            "{name}: case {case}: fitness {our_fitness} against {fitness}"
        );
    }
    theirs.values().map(|(c, _)| c).sum()
}

/// A scratch copy of an example policy with `from` replaced by `to`.
fn variant(policy: &str, from: &str, to: &str, name: &str) -> PathBuf {
    let text =
        std::fs::read_to_string(format!("{ROOT}/examples/real/{policy}")).expect("the policy");
    assert!(text.contains(from), "{policy} has `{from}`");
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.cxl"));
    std::fs::write(&path, text.replace(from, to)).expect("a scratch policy");
    path
}

/// The repair log (1,104 cases) against its journey with `archive`
/// required, as the log's reference model has it: 104 cases are never
/// archived.
#[test]
fn repair_costs_agree_with_pm4py() {
    let policy = variant(
        "repair.cxl",
        "-> archive?\n",
        "-> archive\n",
        "repair-archived",
    );
    let ours = cxl_costs(&policy, "03_repairExample.xes.gz", "repair-archived");
    let total = assert_agree("repair-archived", &ours);
    assert!(total > 0, "some cases do not fit");
}

/// The repair log against a stricter journey: `inform` before the repair
/// rather than beside it. (Every step stays on the path, so a case is one
/// instance: a step off the path re-synchronises inside it.)
#[test]
fn repair_costs_agree_with_pm4py_on_a_stricter_journey() {
    let policy = variant(
        "repair.cxl",
        "-> (inform & (simple | complex) -> test -> (restart -> (simple | complex) -> test)*)\n       -> archive?\n",
        "-> inform -> (simple | complex) -> test -> (restart -> (simple | complex) -> test)*\n       -> archive\n",
        "repair-sequential",
    );
    let ours = cxl_costs(&policy, "03_repairExample.xes.gz", "repair-sequential");
    let total = assert_agree("repair-sequential", &ours);
    assert!(
        total > 200,
        "many cases inform the user after the repair: {total}"
    );
}

/// The running example (6 cases) against its journey: every case fits.
#[test]
fn running_example_costs_agree_with_pm4py() {
    let policy = PathBuf::from(format!("{ROOT}/examples/real/running_example.cxl"));
    let ours = cxl_costs(&policy, "running-example.xes", "running");
    assert_eq!(assert_agree("running", &ours), 0);
}

//! `cxl compare POLICY LOG [--ideal LOG]`, run as a user runs it: a log
//! compared with itself changes nothing; the bundled claims log against the
//! simulator's ideal shows the deviations it was made with.

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const CLAIMS: &str = "examples/claims.cxl";
const CLAIMS_LOG: &str = "examples/claims.ndjson";

fn cxl(args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("cxl runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8(output.stdout).expect("UTF-8"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> Value {
    let (code, out, err) = cxl(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("JSON")
}

#[test]
fn a_log_compared_with_itself_changes_nothing() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compare_cli");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let ideal = dir.join("ideal.ndjson");
    let (code, out, err) = cxl(&["simulate", CLAIMS, "--customers", "300"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&ideal, out).expect("written");
    let ideal = ideal.to_str().expect("UTF-8");
    let c = json(&[
        "compare", CLAIMS, ideal, "--ideal", ideal, "--format", "json",
    ]);
    let journey = &c["journeys"][0];
    assert_eq!(journey["actual_customers"], 300);
    assert_eq!(journey["ideal_customers"], 300);
    for step in journey["steps"].as_array().expect("steps") {
        assert_eq!(step["change"], 0.0, "{step}");
        assert_eq!(step["ideal_duration"], step["actual_duration"], "{step}");
    }
    assert_eq!(journey["changed_most"], Value::Array(vec![]));
    assert_eq!(journey["forbidden"], Value::Array(vec![]));
    for v in journey["variants"].as_array().expect("variants") {
        assert_eq!(v["allowed"], true, "an ideal walk is allowed: {v}");
        assert_eq!(v["share"], v["ideal_share"]);
    }
}

#[test]
fn the_claims_log_against_the_ideal_shows_its_deviations() {
    let c = json(&["compare", CLAIMS, CLAIMS_LOG, "--format", "json"]);
    assert_eq!(c["ideal"], "simulated");
    assert!(c["counting"]
        .as_str()
        .expect("text")
        .starts_with("customers, not events"));
    let journey = &c["journeys"][0];
    assert_eq!(journey["actual_customers"], 600);
    assert_eq!(
        journey["ideal_conformance"], 100.0,
        "the ideal fits its path"
    );
    let forbidden = journey["forbidden"].as_array().expect("forbidden");
    assert!(!forbidden.is_empty(), "the log has off-path customers");
    let counts: Vec<u64> = forbidden
        .iter()
        .map(|f| f["count"].as_u64().expect("a count"))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "most first");
    let variants = journey["variants"].as_array().expect("variants");
    assert!(variants.iter().any(|v| v["allowed"] == false));
    assert!(
        variants[0]["allowed"] == true,
        "most customers keep to the path"
    );
    // The funnel is in path order: the first step first, the goal last.
    let steps = journey["steps"].as_array().expect("steps");
    assert_eq!(steps[0]["step"], "report_claim");
    assert_eq!(steps[steps.len() - 1]["step"], "settled");
    let (code, text, _) = cxl(&["compare", CLAIMS, CLAIMS_LOG]);
    assert_eq!(code, 0);
    assert!(text.contains("transitions the path forbids"), "{text}");
    assert!(text.contains("changed most:"), "{text}");
}

#[test]
fn an_unreadable_ideal_log_is_a_usage_error() {
    let (code, _, err) = cxl(&["compare", CLAIMS, CLAIMS_LOG, "--ideal", "nope.ndjson"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.ndjson"), "{err}");
}

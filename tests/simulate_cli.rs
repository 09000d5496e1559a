//! `cxl simulate` end to end: reproducible output, both formats readable by
//! `cxl eval` with the same result, and usage errors with exit code 2.

use assert_cmd::Command;
use std::path::PathBuf;

const SKETCH: &str = "tests/fixtures/valid/design_sketch.cxl";

fn simulate(args: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .arg("simulate")
        .arg(SKETCH)
        .args(args)
        .output()
        .expect("cxl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("cxl-simulate-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("a temp file");
    path
}

fn eval_json(log: &PathBuf) -> serde_json::Value {
    let out = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .args(["eval", SKETCH])
        .arg(log)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .expect("cxl runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

#[test]
fn the_same_seed_gives_the_same_log_and_another_seed_another() {
    let args = ["--customers", "40", "--seed", "9", "--deviations", "0.5"];
    let a = simulate(&args);
    assert_eq!(a, simulate(&args));
    assert_ne!(
        a,
        simulate(&["--customers", "40", "--seed", "10", "--deviations", "0.5"])
    );
    let text = String::from_utf8(a).expect("UTF-8");
    assert!(text.lines().count() > 40 * 5);
    assert!(text.starts_with(
        "{\"customer\":\"c000000\",\"step\":\"Claim reported\",\"time\":\"2026-03-01T00:00:00Z\""
    ));
}

#[test]
fn csv_and_ndjson_evaluate_alike() {
    let args = [
        "--customers",
        "200",
        "--seed",
        "4",
        "--deviations",
        "0.6",
        "--only",
        "skip_step,swap_steps,delay,wrong_channel,bad_metric,abandon,duplicate,unmapped,malformed",
    ];
    let ndjson = temp("a.ndjson", &simulate(&args));
    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let csv = temp("a.csv", &simulate(&csv_args));
    let (a, b) = (eval_json(&ndjson), eval_json(&csv));
    assert_eq!(a["finding_counts"], b["finding_counts"]);
    assert_eq!(a["journeys"], b["journeys"]);
    let counts = a["finding_counts"].as_object().expect("counts");
    for kind in [
        "unexpected_step",
        "stalled",
        "sla_breach",
        "wrong_channel",
        "duplicate_event",
        "rejected_record",
        "unmapped_event",
    ] {
        assert!(counts.contains_key(kind), "no {kind} in {counts:?}");
    }
    let _ = std::fs::remove_file(ndjson);
    let _ = std::fs::remove_file(csv);
}

#[test]
fn usage_errors_exit_2() {
    for bad in [
        vec!["--journey", "nope"],
        vec!["--only", "skip_step,nope"],
        vec!["--start", "yesterday"],
        vec!["--deviations", "2"],
    ] {
        Command::cargo_bin("cxl")
            .expect("the cxl binary")
            .arg("simulate")
            .arg(SKETCH)
            .args(&bad)
            .assert()
            .code(2);
    }
}

#[test]
fn the_policy_source_mapping_is_written_and_read_back_without_flags() {
    let policy = temp(
        "source.cxl",
        br#"source {
  format "csv"
  delimiter ";"
  customer "Ticket ID"
  step "activity", "status"
  time "Logged at"
  channel "Medium"
}
journey t "Ticket" {
  goal closed
  step opened { via web, phone; match "Opened+new" }
  step worked { match "Work+active" }
  step closed { via email; match "Closed+done" }
  path opened -> worked+ -> closed
}
expect t.closed { within 2d after opened }
"#,
    );
    let out = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .arg("simulate")
        .arg(&policy)
        .args(["--customers", "40", "--seed", "3", "--source"])
        .output()
        .expect("cxl runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    assert!(
        text.starts_with("Ticket ID;activity;status;Logged at;Medium;actor\n"),
        "{text}"
    );
    assert!(text.contains(";Opened;new;"), "{text}");
    // A `.log` name says nothing of the format: the policy's source does.
    let log = temp("source.log", &out.stdout);
    let out = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .args(["eval"])
        .arg(&policy)
        .arg(&log)
        .args(["--format", "json"])
        .output()
        .expect("cxl runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["journeys"][0]["entered"], 40);
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    // Without --source, cxl's own keys and NDJSON.
    let plain = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .arg("simulate")
        .arg(&policy)
        .args(["--customers", "2"])
        .output()
        .expect("cxl runs");
    let plain = String::from_utf8(plain.stdout).expect("UTF-8");
    assert!(
        plain.starts_with("{\"customer\":\"c000000\",\"step\":\"Opened+new\""),
        "{plain}"
    );
    let _ = std::fs::remove_file(policy);
    let _ = std::fs::remove_file(log);
}

//! `cxl profile` through the real binary: exit codes, stdout and stderr.

mod events_common;

use assert_cmd::Command;
use events_common::{fixture, logs_dir};

fn cxl() -> Command {
    Command::cargo_bin("cxl").expect("the cxl binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn profile_text_of_a_real_log() {
    let out = cxl()
        .arg("profile")
        .arg(logs_dir().join("running-example.csv"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("records         42 read = 42 accepted + 0 rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("variants (6 distinct"), "{stdout}");
    assert!(out.stderr.is_empty());
}

#[test]
fn profile_json_from_stdin_with_a_mapping() {
    let csv = std::fs::read(fixture("semicolon.csv")).expect("fixture");
    let out = cxl()
        .args([
            "profile",
            "-",
            "--input-format",
            "csv",
            "--delimiter",
            ";",
            "--format",
            "json",
        ])
        .args(["--map", "customer=case_id,step=activity,time=ts"])
        .write_stdin(csv)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["file"], "<stdin>");
    assert_eq!(json["records"]["accepted"], 2);
    assert_eq!(json["records"]["rejected"], 1);
    assert_eq!(json["rejections"][0]["line"], 4);
}

#[test]
fn profile_input_errors_exit_2_with_a_message() {
    let out = cxl()
        .arg("profile")
        .arg(fixture("missing-column.csv"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no column `step` for the step field"),
        "{stderr}"
    );

    let out = cxl().args(["profile", "log.txt"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("use --input-format"),
        "{}",
        text(&out.stderr)
    );

    let out = cxl()
        .arg("profile")
        .arg(fixture("bad.csv"))
        .args(["--map", "custmer=id"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `customer`?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn profile_of_a_broken_log_shows_what_was_read_then_exits_2() {
    let out = cxl()
        .arg("profile")
        .arg(fixture("unclosed.xes"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("records         2 read = 1 accepted + 1 rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("stopped         "), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unclosed.xes:11: malformed XML"),
        "{stderr}"
    );
}

#[test]
fn profile_xes_classifier_and_lifecycle_flags() {
    let log = logs_dir().join("02_teleclaims.xes.gz");
    let out = cxl()
        .arg("profile")
        .arg(&log)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["events"], 24_825, "complete events only");
    assert_eq!(json["records"]["filtered"], 21_313);
    let out = cxl()
        .arg("profile")
        .arg(&log)
        .args(["--all-lifecycle", "--format", "json"])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["events"], 46_138);
    let out = cxl()
        .arg("profile")
        .arg(&log)
        .args(["--classifier", "nope"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no classifier `nope`"),
        "{}",
        text(&out.stderr)
    );
}

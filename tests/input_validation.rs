//! What the readers refuse, through the `cxl` binary: the same lines whatever
//! the verb or the policy, an empty customer id, a time far outside the
//! window of event times (which would move the run's "now"), and an
//! `--as-of` earlier than the events read.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

const CLAIMS_POLICY: &str = "examples/claims.cxl";
const CLAIMS_LOG: &str = "examples/claims.ndjson";

/// `cxl` run from the crate root.
fn cxl() -> Command {
    let mut cmd = Command::cargo_bin("cxl").expect("the cxl binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Exit code, stdout and stderr of a run.
fn run(args: &[&str]) -> (i32, String, String) {
    let output = cxl().args(args).output().expect("cxl runs");
    (
        output.status.code().expect("cxl exits with a code"),
        String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A fresh scratch file holding `text`.
fn scratch(name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("input_validation");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the scratch file is written");
    path.to_string_lossy().into_owned()
}

/// A line of the claims log, for customer `customer`, with `extra` fields.
fn claim(customer: &str, time: &str, extra: &str) -> String {
    format!(r#"{{"customer":"{customer}","step":"Claim reported","time":"{time}"{extra}}}"#)
}

/// Good lines and lines that are bad in ways the policy does not read.
fn mixed_log() -> (String, BTreeSet<u64>) {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let t = "2026-03-01T00:00:00Z";
    let lines = [
        (claim("c1", t, ""), false),
        (claim("c2", t, r#","zz":1e999"#), true),
        (claim("c3", t, r#","zz":"\ud800""#), true),
        (claim("c4", t, &format!(r#","zz":{deep}"#)), true),
        (claim("c5", t, r#","zz":{"a":[1,"\udc00"]}"#), true),
        (claim("", t, ""), true),
        (claim("  ", t, ""), true),
        (claim("c6", "2026-03-01T00:00:00+25:00", ""), true),
        (claim("c7", "99999999999999999999", ""), true),
        (claim("c8", "2300-01-01T00:00:00Z", ""), true),
        (claim("c9", t, r#","zz":[1,{"b":null}],"csat":5"#), false),
    ];
    let bad = (1..)
        .zip(&lines)
        .filter(|(_, (_, bad))| *bad)
        .map(|(n, _)| n)
        .collect();
    let text: Vec<&str> = lines.iter().map(|(line, _)| line.as_str()).collect();
    (text.join("\n") + "\n", bad)
}

fn lines_of(rejections: &[Value]) -> BTreeSet<u64> {
    rejections
        .iter()
        .map(|r| r["line"].as_u64().expect("a line number"))
        .collect()
}

/// `cxl eval` (whose policy reads only a few attributes) rejected fewer lines
/// than `cxl profile` (which reads them all): a number out of range, a lone
/// surrogate and nesting past the limit passed when the policy did not read
/// the field. Now both reject exactly the bad lines.
#[test]
fn eval_and_profile_reject_the_same_lines() {
    let (log, bad) = mixed_log();
    let log = scratch("mixed.ndjson", &log);
    let rejects = scratch("mixed.rejects.ndjson", "");
    let (code, stdout, stderr) = run(&[
        "eval",
        CLAIMS_POLICY,
        &log,
        "--format",
        "json",
        "--reject-file",
        &rejects,
    ]);
    // Most of these lines are bad on purpose, so the run is not a verdict (3).
    assert!(matches!(code, 0 | 1 | 3), "{code}: {stderr}");
    let report = json(&stdout);
    let written: Vec<Value> = std::fs::read_to_string(&rejects)
        .expect("the reject file")
        .lines()
        .map(json)
        .collect();
    assert_eq!(lines_of(&written), bad, "eval: {written:#?}");
    assert_eq!(report["input"]["rejected"], bad.len());

    let (code, stdout, stderr) = run(&["profile", &log, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let profile = json(&stdout);
    let rejections = profile["rejections"].as_array().expect("rejections");
    assert_eq!(lines_of(rejections), bad, "profile: {rejections:#?}");
    // And for the same reasons.
    let reasons = |list: &[Value]| -> Vec<String> {
        list.iter()
            .map(|r| r["reason"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(reasons(&written), reasons(rejections));
}

/// An empty customer id merged every such record into one customer; it is
/// rejected with file, line and reason, as CSV does.
#[test]
fn an_empty_customer_id_is_rejected() {
    let t = "2026-03-01T00:00:00Z";
    let log = [claim("c1", t, ""), claim("", t, ""), claim(r" \t", t, "")].join("\n");
    let log = scratch("empty-customer.ndjson", &log);
    let (code, stdout, stderr) = run(&["profile", &log, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let profile = json(&stdout);
    assert_eq!(profile["cases"], 1, "{profile:#}");
    let rejections = profile["rejections"].as_array().expect("rejections");
    assert_eq!(lines_of(rejections), BTreeSet::from([2, 3]));
    for r in rejections {
        assert_eq!(r["file"], log.as_str());
        assert_eq!(r["reason"], "missing customer: field `customer` is empty");
    }
}

/// One line whose time is a 20-digit number was read as epoch nanoseconds of
/// the year 5138 and became the run's as-of time: on the bundled claims log
/// abandoned customers went from 5 to 11. It is rejected, quoting the value,
/// and the report is the one without it.
#[test]
fn a_far_future_time_does_not_move_now() {
    let base = std::fs::read_to_string(CLAIMS_LOG).expect("the claims log");
    let spoiled = format!("{base}{}\n", claim("c000001", "99999999999999999999", ""));
    let spoiled = scratch("claims-far-future.ndjson", &spoiled);
    let rejects = scratch("claims-far-future.rejects.ndjson", "");
    let report = |log: &str| {
        let args = [
            "eval",
            CLAIMS_POLICY,
            log,
            "--format",
            "json",
            "--reject-file",
            &rejects,
        ];
        let (code, stdout, stderr) = run(&args);
        assert!(code == 0 || code == 1, "{code}: {stderr}");
        json(&stdout)
    };
    let (plain, with_bad) = (report(CLAIMS_LOG), report(&spoiled));
    assert_eq!(with_bad["as_of"], plain["as_of"]);
    assert_eq!(with_bad["journeys"], plain["journeys"]);
    assert_eq!(with_bad["journeys"][0]["abandoned"], 5);
    assert_eq!(
        with_bad["input"]["rejected"].as_u64(),
        plain["input"]["rejected"].as_u64().map(|n| n + 1)
    );
    let rejections: Vec<Value> = std::fs::read_to_string(&rejects)
        .expect("the reject file")
        .lines()
        .map(json)
        .collect();
    let lines = base.lines().count() as u64 + 1;
    let last = rejections.iter().find(|r| r["line"] == lines);
    let reason = last.and_then(|r| r["reason"].as_str()).unwrap_or("");
    assert!(
        reason.contains("epoch time `99999999999999999999` read as nanoseconds is 5138-"),
        "{reason}"
    );
    assert!(reason.contains("ambiguous"), "{reason}");
}

/// `--as-of` earlier than events already read was accepted silently, and the
/// report claimed an as-of time older than events it includes: a usage error.
#[test]
fn an_as_of_before_the_events_is_a_usage_error() {
    let (code, stdout, stderr) = run(&[
        "eval",
        CLAIMS_POLICY,
        CLAIMS_LOG,
        "--as-of",
        "2026-04-01T00:00:00Z",
    ]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("--as-of"), "{stderr}");
    assert!(
        stderr.contains(
            "2026-04-01T00:00:00Z is earlier than the latest event read, at 2026-05-11T08:29:34Z"
        ),
        "{stderr}"
    );
    // At or after the latest event it is read as before.
    let (code, stdout, stderr) = run(&[
        "eval",
        CLAIMS_POLICY,
        CLAIMS_LOG,
        "--as-of",
        "2026-05-11T08:29:34Z",
        "--format",
        "json",
    ]);
    assert!(code == 0 || code == 1, "{code}: {stderr}");
    assert_eq!(json(&stdout)["as_of"], "2026-05-11T08:29:34Z");
}

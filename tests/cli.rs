//! The `cxl` binary, run as a user runs it: `check`, `eval` (formats, exit codes,
//! reject and escalation files, `--as-of`, `--explain`), `graph` and `--help`.
//!
//! The fixture policy `tests/fixtures/eval/claims.cxl` with its log `claims.ndjson`
//! covers several finding kinds: a clean customer (c1), a gold customer who skips
//! a step and is escalated (c2), a customer whose acknowledgement is late, by the
//! wrong channel, with a poor rating (c3), unmapped events (c4), a line that is not
//! JSON, and a customer whose deadline is still open at the end (c5).

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const POLICY: &str = "tests/fixtures/eval/claims.cxl";
const LOG: &str = "tests/fixtures/eval/claims.ndjson";
const CLEAN: &str = "tests/fixtures/eval/clean.ndjson";
const YELLOW: &str = "tests/fixtures/eval/yellow.ndjson";
const BROKEN_POLICY: &str = "tests/fixtures/eval/broken.cxl";
const SKETCH: &str = "tests/fixtures/valid/design_sketch.cxl";

/// `cxl` run from the crate root, so fixture paths in output are stable.
fn cxl() -> Command {
    let mut cmd = Command::cargo_bin("cxl").expect("the cxl binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// What a run gave: exit code, stdout, stderr.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Ran {
    let output = cxl().args(args).output().expect("cxl runs");
    Ran {
        code: output.status.code().expect("cxl exits with a code"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A fresh scratch file path for this test (removed first if left over).
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(json).collect()
}

// ---- --help ----------------------------------------------------------------------

#[test]
fn help_lists_the_verbs() {
    let ran = run(&["--help"]);
    assert_eq!(ran.code, 0);
    for verb in ["check", "eval", "graph", "profile"] {
        assert!(
            ran.stdout.lines().any(|l| l.trim_start().starts_with(verb)),
            "`{verb}` missing from:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn an_unknown_verb_is_a_usage_error() {
    let ran = run(&["frobnicate"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("frobnicate"), "{}", ran.stderr);
}

// ---- check -----------------------------------------------------------------------

#[test]
fn check_a_clean_file() {
    let ran = run(&["check", SKETCH]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, "");
    assert!(
        ran.stderr
            .contains("design_sketch.cxl: 0 errors, 0 warnings"),
        "{}",
        ran.stderr
    );
}

#[test]
fn check_a_broken_file_for_a_person() {
    let ran = run(&["check", BROKEN_POLICY]);
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stdout, "", "human output goes to stderr");
    for expected in [
        "E0203",
        "journey `claim` has no step `setled`",
        "broken.cxl:5:18",
        "did you mean `settled`?",
        "broken.cxl: 1 error, 1 warning",
    ] {
        assert!(
            ran.stderr.contains(expected),
            "`{expected}` in:\n{}",
            ran.stderr
        );
    }
}

#[test]
fn check_a_broken_file_as_json() {
    let ran = run(&["check", "--format", "json", BROKEN_POLICY]);
    assert_eq!(ran.code, 1);
    let diagnostics = json(&ran.stdout);
    let diagnostics = diagnostics.as_array().expect("an array of diagnostics");
    let found: Vec<(&str, &str, u64, u64)> = diagnostics
        .iter()
        .map(|d| {
            let label = &d["labels"][0];
            (
                d["code"].as_str().expect("a code"),
                d["level"].as_str().expect("a level"),
                label["line"].as_u64().expect("a line"),
                label["column"].as_u64().expect("a column"),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![("W0401", "warning", 4, 8), ("E0203", "error", 5, 18)]
    );
    assert_eq!(diagnostics[1]["file"], BROKEN_POLICY);
}

#[test]
fn check_a_missing_file_is_a_usage_error() {
    let ran = run(&["check", "tests/fixtures/eval/no-such-policy.cxl"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("cannot read"), "{}", ran.stderr);
}

/// A directory is searched for `.cxl` files, recursively, in name order.
#[test]
fn check_a_directory_checks_every_policy_under_it() {
    let ran = run(&["check", "--format", "json", "tests/fixtures/eval"]);
    assert_eq!(ran.code, 1, "broken.cxl has an error: {}", ran.stderr);
    let files: std::collections::BTreeSet<String> = json(&ran.stdout)
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["file"].as_str().expect("a file").to_string())
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        ["tests/fixtures/eval/broken.cxl"]
    );
    let ran = run(&["check", "tests/fixtures/eval"]);
    let checked: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.ends_with("warnings") || l.ends_with("warning"))
        .filter_map(|l| l.split(": ").next())
        .collect();
    assert_eq!(
        checked,
        [
            "tests/fixtures/eval/broken.cxl",
            "tests/fixtures/eval/claims.cxl",
            "tests/fixtures/eval/crm_source.cxl"
        ]
    );
}

// ---- eval: formats -----------------------------------------------------------------

#[test]
fn eval_text() {
    let ran = run(&["eval", POLICY, LOG]);
    assert_eq!(ran.code, 1, "red findings fail the run: {}", ran.stderr);
    assert_eq!(ran.stderr, "");
    insta::assert_snapshot!(ran.stdout);
}

#[test]
fn eval_json() {
    let ran = run(&["eval", "--format", "json", POLICY, LOG]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let report = json(&ran.stdout);
    insta::assert_snapshot!(ran.stdout);
    // The counts agree with the findings listed.
    let findings = report["findings"].as_array().expect("findings");
    let counted: u64 = report["finding_counts"]
        .as_object()
        .expect("finding_counts")
        .values()
        .map(|n| n.as_u64().expect("a count"))
        .sum();
    assert_eq!(findings.len() as u64, counted);
}

#[test]
fn eval_ndjson_one_finding_per_line_then_the_summary() {
    let ran = run(&["eval", "--format", "ndjson", POLICY, LOG]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let mut records = lines(&ran.stdout);
    let summary = records.pop().expect("a summary line");
    assert_eq!(summary["summary"], true);
    assert!(
        summary.get("findings").is_none(),
        "the summary has no findings"
    );
    assert!(records.iter().all(|r| r.get("summary").is_none()));
    let mut kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().expect("each line has a kind"))
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        vec![
            "escalation",
            "incomplete",
            "incomplete",
            "metric_below",
            "rejected_record",
            "sla_breach",
            "sla_warning",
            "stalled",
            "unexpected_step",
            "unmapped_event",
            "wrong_channel",
        ]
    );
    // The same findings as the JSON report, as a set.
    let report = json(&run(&["eval", "--format", "json", POLICY, LOG]).stdout);
    let mut streamed: Vec<String> = records
        .iter()
        .filter(|r| r["kind"] != "escalation")
        .map(Value::to_string)
        .collect();
    let mut reported: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(Value::to_string)
        .collect();
    streamed.sort();
    reported.sort();
    assert_eq!(streamed, reported);
    assert_eq!(summary["finding_counts"], report["finding_counts"]);
    // And the same escalations, each marked as one.
    let escalated: Vec<Value> = records
        .iter()
        .filter(|r| r["kind"] == "escalation")
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().map(|m| m.remove("kind"));
            r
        })
        .collect();
    assert_eq!(Value::from(escalated), report["escalations"]);
    assert_eq!(summary["escalations_fired"], report["escalations_fired"]);
}

#[test]
fn eval_reads_the_log_from_stdin() {
    let log = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CLEAN))
        .expect("the clean log");
    let output = cxl()
        .args(["eval", "--format", "json", POLICY, "-"])
        .write_stdin(log)
        .output()
        .expect("cxl runs");
    assert_eq!(output.status.code(), Some(0));
    let report = json(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(report["input"]["events"], 4);
    assert_eq!(report["journeys"][0]["reached_goal"], 1);
}

// ---- eval: exit codes --------------------------------------------------------------

#[test]
fn eval_exit_0_on_a_clean_log() {
    let ran = run(&["eval", POLICY, CLEAN]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains("findings: none"), "{}", ran.stdout);
}

#[test]
fn eval_fail_on_yellow() {
    let ran = run(&["eval", POLICY, YELLOW]);
    assert_eq!(ran.code, 0, "a yellow finding does not fail by default");
    assert!(ran.stdout.contains("findings: 1 yellow"), "{}", ran.stdout);
    let ran = run(&["eval", "--fail-on", "yellow", POLICY, YELLOW]);
    assert_eq!(ran.code, 1);
    let ran = run(&["eval", "--fail-on", "never", POLICY, LOG]);
    assert_eq!(ran.code, 0, "never fails, even on red");
}

#[test]
fn eval_exit_2_on_a_missing_log() {
    let ran = run(&["eval", POLICY, "tests/fixtures/eval/no-such-log.ndjson"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .contains("cannot read `tests/fixtures/eval/no-such-log.ndjson`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn eval_exit_2_on_a_missing_policy() {
    let ran = run(&["eval", "tests/fixtures/eval/no-such-policy.cxl", LOG]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("cannot read"), "{}", ran.stderr);
}

#[test]
fn eval_exit_2_on_a_bad_policy() {
    let ran = run(&["eval", BROKEN_POLICY, LOG]);
    assert_eq!(ran.code, 2);
    assert_eq!(ran.stdout, "");
    assert!(ran.stderr.contains("E0203"), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("`tests/fixtures/eval/broken.cxl` has errors: 1 error, 1 warning"),
        "{}",
        ran.stderr
    );
}

#[test]
fn eval_strict_stops_at_a_bad_line_with_exit_2() {
    let ran = run(&["eval", "--strict", POLICY, LOG]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("claims.ndjson:13") && ran.stderr.contains("(--strict)"),
        "{}",
        ran.stderr
    );
    let ran = run(&["eval", "--strict", POLICY, CLEAN]);
    assert_eq!(ran.code, 0, "nothing to reject: {}", ran.stderr);
}

#[test]
fn eval_bad_flags_are_usage_errors() {
    for args in [
        ["--as-of", "next tuesday"],
        ["--lateness", "soon"],
        ["--format", "xml"],
        ["--fail-on", "green"],
    ] {
        let ran = run(&["eval", args[0], args[1], POLICY, LOG]);
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(args[0]) || ran.stderr.contains(args[1]),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

// ---- eval: files written -----------------------------------------------------------

#[test]
fn eval_reject_file_keeps_every_bad_record() {
    let path = scratch("rejects.ndjson");
    let target = path.to_str().expect("a UTF-8 path");
    let ran = run(&["eval", "--reject-file", target, POLICY, LOG]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let written = std::fs::read_to_string(&path).expect("the reject file");
    let records = lines(&written);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["file"], LOG);
    assert_eq!(record["line"], 13);
    assert_eq!(record["raw"], "this line is not json");
    assert!(
        record["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("not valid JSON")),
        "{record}"
    );
}

#[test]
fn eval_reject_file_is_empty_for_a_clean_log() {
    let path = scratch("no-rejects.ndjson");
    let target = path.to_str().expect("a UTF-8 path");
    let ran = run(&["eval", "--reject-file", target, POLICY, CLEAN]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(std::fs::read_to_string(&path).expect("the reject file"), "");
}

#[test]
fn eval_escalations_file_one_record_per_notification() {
    let path = scratch("escalations.ndjson");
    let target = path.to_str().expect("a UTF-8 path");
    // A day and a half later c2 is still not settled: the second tier fires too.
    let ran = run(&[
        "eval",
        "--escalations",
        target,
        "--as-of",
        "2026-03-02T22:00:00Z",
        POLICY,
        LOG,
    ]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let records = lines(&std::fs::read_to_string(&path).expect("the escalations file"));
    let when = "off_path(claim) and segment(gold)";
    let policy = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(POLICY))
        .expect("the policy");
    let start = policy.find(when).expect("the escalation's condition");
    let rule = serde_json::json!({
        "span": {"start": start, "end": start + when.len()},
        "line": 24,
        "text": when,
    });
    // Both tiers name the finding the escalation fired on: c2 skipped `acknowledge`.
    let fired_on = serde_json::json!({
        "kind": "unexpected_step",
        "step": "decide",
        "time": "2026-03-01T10:20:00Z",
    });
    assert_eq!(
        policy.lines().nth(23).map(str::trim),
        Some("when off_path(claim) and segment(gold)")
    );
    assert_eq!(
        records,
        vec![
            serde_json::json!({
                "escalation": "vip_off_path",
                "tier": 1,
                "recipient": "Claims concierge",
                "severity": "red",
                "time": "2026-03-01T10:20:00Z",
                "respond_by": "2026-03-01T14:20:00Z",
                "customer": "c2",
                "journey": "claim",
                "instance": 1,
                "reason": "condition holds",
                "finding": fired_on,
                "rule": rule,
            }),
            serde_json::json!({
                "escalation": "vip_off_path",
                "tier": 2,
                "recipient": "Head of claims",
                "severity": "red",
                "time": "2026-03-02T10:20:00Z",
                "customer": "c2",
                "journey": "claim",
                "instance": 1,
                "reason": "no change 1d after tier 1",
                "finding": fired_on,
                "rule": rule,
            }),
        ]
    );
}

// ---- eval: --as-of and --explain ---------------------------------------------------

/// (met, missed, pending, pending_at_risk) of the `within 1h after report` rule.
fn within_verdicts(report: &Value) -> (u64, u64, u64, u64) {
    let rule = report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["rule"]["text"] == "within 1h after report")
        .expect("the within rule");
    let n = |k: &str| rule[k].as_u64().expect("a count");
    (n("met"), n("missed"), n("pending"), n("pending_at_risk"))
}

#[test]
fn eval_as_of_turns_pending_into_missed() {
    // c5 reported at 12:45: acknowledgement due by 13:45, warning at 13:30.
    let at = |as_of: Option<&str>| {
        let mut args = vec!["eval", "--format", "json", POLICY, LOG];
        if let Some(time) = as_of {
            args.extend(["--as-of", time]);
        }
        let ran = run(&args);
        json(&ran.stdout)
    };
    let by_default = at(None);
    assert_eq!(
        by_default["as_of"], "2026-03-01T13:00:00Z",
        "the latest event"
    );
    assert_eq!(within_verdicts(&by_default), (1, 1, 1, 0));
    let at_risk = at(Some("2026-03-01T13:40:00Z"));
    assert_eq!(within_verdicts(&at_risk), (1, 1, 0, 1));
    let exactly = at(Some("2026-03-01T13:45:00Z"));
    assert_eq!(
        within_verdicts(&exactly),
        (1, 1, 0, 1),
        "the deadline is inclusive"
    );
    let later = at(Some("2026-03-01T14:00:00Z"));
    assert_eq!(within_verdicts(&later), (1, 2, 0, 0));
    let stalled: Vec<&str> = later["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "stalled")
        .map(|f| f["customer"].as_str().expect("a customer"))
        .collect();
    assert_eq!(stalled, vec!["c3", "c5"]);
}

/// A live stream (a pipe its writer keeps open) gets each finding and each
/// escalation as soon as the record that decided it, not at the end of input
/// nor after a batch of later records.
#[test]
fn eval_on_a_live_stream_reports_as_records_come() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command as Std, Stdio};
    use std::time::Duration;
    let escalations = scratch("live-escalations.ndjson");
    let mut child = Std::new(env!("CARGO_BIN_EXE_cxl"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "eval",
            "--format",
            "ndjson",
            "--lateness",
            "0s",
            "--escalations",
        ])
        .arg(&escalations)
        .args([POLICY, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cxl runs");
    let mut stdin = child.stdin.take().expect("a pipe to cxl");
    let stdout = child.stdout.take().expect("a pipe from cxl");
    let (lines, arrived) = std::sync::mpsc::channel();
    let reading = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.expect("cxl writes text")).is_err() {
                break;
            }
        }
    });
    // A gold customer skips `acknowledge`: off the path, and escalated.
    let log = "{\"customer\":\"c2\",\"step\":\"Claim reported\",\"time\":\"2026-03-01T10:00:00Z\",\"channel\":\"phone\",\"tier\":\"gold\"}\n\
               {\"customer\":\"c2\",\"step\":\"decide\",\"time\":\"2026-03-01T10:20:00Z\"}\n";
    stdin.write_all(log.as_bytes()).expect("cxl reads");
    stdin.flush().expect("cxl reads");
    // The input stays open: the finding must come without its end.
    let first = arrived
        .recv_timeout(Duration::from_secs(30))
        .expect("a finding while the input is still open");
    assert_eq!(json(&first)["kind"], "unexpected_step", "{first}");
    // The escalation it set off goes out on stdout too, right after it.
    let second = arrived
        .recv_timeout(Duration::from_secs(30))
        .expect("the escalation while the input is still open");
    assert_eq!(json(&second)["kind"], "escalation", "{second}");
    assert_eq!(json(&second)["escalation"], "vip_off_path", "{second}");
    let routed = std::fs::read_to_string(&escalations).expect("the escalations file");
    assert!(
        routed.contains("vip_off_path"),
        "routed at once: {routed:?}"
    );
    drop(stdin);
    let status = child.wait().expect("cxl ends");
    reading.join().expect("all of stdout read");
    assert_eq!(status.code(), Some(0), "yellow and info findings only");
}

#[test]
fn eval_explain_shows_rule_anchor_deadline_and_evidence() {
    let ran = run(&["eval", "--explain", POLICY, LOG]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let breach =
        "      2026-03-01T11:30:00Z  c3 claim#1  `acknowledge` 1h 30m after `report`, 30m late (reported `stalled` at the deadline)\n\
                  \x20       rule: line 18: within 1h after report\n\
                  \x20       anchor: `Claim reported` at 2026-03-01T10:00:00Z (line 7)\n\
                  \x20       deadline: 2026-03-01T11:00:00Z (inclusive)\n\
                  \x20       event: `acknowledge` at 2026-03-01T11:30:00Z (line 8)\n";
    assert!(ran.stdout.contains(breach), "{}", ran.stdout);
    // The anchor is said once, with its event, in the order things happened.
    assert!(!ran.stdout.contains("anchor: 2026-"), "{}", ran.stdout);
    let plain = run(&["eval", POLICY, LOG]);
    assert!(!plain.stdout.contains("deadline:"), "only with --explain");
}

// ---- eval: no false green -----------------------------------------------------------

/// Write `text` to a scratch file named `name`; its path.
fn scratch_file(name: &str, text: &str) -> String {
    let path = scratch(name);
    std::fs::write(&path, text).expect("a scratch file");
    path.to_str().expect("a UTF-8 path").to_string()
}

/// The kinds of a JSON report's `problems`.
fn problem_kinds(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .expect("a problems list")
        .iter()
        .map(|p| p["kind"].as_str().expect("a problem kind").to_string())
        .collect()
}

#[test]
fn eval_of_a_log_that_matches_no_step_judges_nothing_and_fails() {
    let log = scratch_file(
        "unmapped-only.ndjson",
        "{\"customer\":\"c1\",\"step\":\"page_view\",\"time\":\"2026-03-01T10:00:00Z\"}\n\
         {\"customer\":\"c2\",\"step\":\"page_view\",\"time\":\"2026-03-01T10:05:00Z\"}\n",
    );
    for fail_on in ["red", "yellow", "never"] {
        let ran = run(&["eval", "--fail-on", fail_on, POLICY, &log]);
        assert_eq!(ran.code, 3, "--fail-on {fail_on}: {}", ran.stdout);
        assert!(
            ran.stdout.starts_with("NOTHING JUDGED"),
            "said first: {}",
            ran.stdout
        );
        assert!(
            ran.stdout
                .trim_end()
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("NOTHING JUDGED")),
            "and last: {}",
            ran.stdout
        );
        // No conformance figure for a journey nobody entered, least of all 100%.
        let row = ran
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("claim "))
            .expect("the journey's row");
        assert!(!row.contains('%'), "{row}");
    }
    let ran = run(&["eval", "--format", "json", POLICY, &log]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let report = json(&ran.stdout);
    assert_eq!(report["judged"], false);
    assert_eq!(problem_kinds(&report), ["nothing_judged", "most_unmapped"]);
    assert_eq!(report["journeys"][0]["conformance"], Value::Null);
    let ran = run(&["eval", "--format", "ndjson", POLICY, &log]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let summary = lines(&ran.stdout).pop().expect("a summary line");
    assert_eq!(summary["judged"], false);
    assert_eq!(problem_kinds(&summary), ["nothing_judged", "most_unmapped"]);
}

#[test]
fn eval_of_customers_all_outside_the_segments_judges_nothing() {
    let policy = scratch_file(
        "gold-only.cxl",
        "segment gold { when tier == \"gold\" }\n\
         journey claim {\n  for gold\n  goal settled\n  step report { match \"Claim reported\" }\n  \
         step settled\n  path report -> settled\n}\n",
    );
    let log = scratch_file(
        "standard-customers.ndjson",
        "{\"customer\":\"c1\",\"step\":\"Claim reported\",\"time\":\"2026-03-01T10:00:00Z\",\"tier\":\"standard\"}\n\
         {\"customer\":\"c1\",\"step\":\"settled\",\"time\":\"2026-03-01T11:00:00Z\"}\n",
    );
    let ran = run(&["eval", "--format", "json", &policy, &log]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let report = json(&ran.stdout);
    assert_eq!(report["input"]["out_of_segment"], 2);
    assert_eq!(report["judged"], false);
    assert_eq!(problem_kinds(&report), ["nothing_judged"]);
    let text = run(&["eval", &policy, &log]);
    assert_eq!(text.code, 3);
    assert!(
        text.stdout.contains("outside the journeys' segments"),
        "{}",
        text.stdout
    );
}

#[test]
fn eval_of_a_log_whose_records_are_all_rejected_judges_nothing() {
    let log = scratch_file("all-rejected.ndjson", "not json\n{\"customer\":\n[1, 2]\n");
    let ran = run(&["eval", "--format", "json", POLICY, &log]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let report = json(&ran.stdout);
    assert_eq!(report["input"]["rejected"], 3);
    assert_eq!(problem_kinds(&report), ["nothing_judged", "most_rejected"]);
}

#[test]
fn eval_with_most_events_unmapped_fails_though_some_were_judged() {
    let clean = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CLEAN))
        .expect("the clean log");
    let noise: String = (0..5)
        .map(|i| format!("{{\"customer\":\"c9\",\"step\":\"page_view\",\"time\":\"2026-03-01T10:0{i}:00Z\"}}\n"))
        .collect();
    let log = scratch_file("mostly-unmapped.ndjson", &(clean.clone() + &noise));
    let ran = run(&["eval", "--format", "json", POLICY, &log]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let report = json(&ran.stdout);
    assert_eq!(report["judged"], true);
    assert_eq!(problem_kinds(&report), ["most_unmapped"]);
    assert_eq!(report["journeys"][0]["conformance"], 100.0);
    // Half is not most: four unmapped beside four mapped pass.
    let half: String = noise.lines().take(4).map(|l| format!("{l}\n")).collect();
    let log = scratch_file("half-unmapped.ndjson", &(clean + &half));
    let ran = run(&["eval", "--format", "json", POLICY, &log]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(problem_kinds(&json(&ran.stdout)), Vec::<String>::new());
}

// ---- eval: escalations on the stream, and what they fired on ------------------------

#[test]
fn eval_ndjson_carries_each_escalation_as_a_record() {
    let ran = run(&[
        "eval",
        "--format",
        "ndjson",
        "--as-of",
        "2026-03-02T22:00:00Z",
        POLICY,
        LOG,
    ]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let mut records = lines(&ran.stdout);
    let summary = records.pop().expect("a summary line");
    let escalations: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "escalation")
        .collect();
    let tiers: Vec<(&str, u64)> = escalations
        .iter()
        .map(|e| {
            (
                e["escalation"].as_str().unwrap_or("?"),
                e["tier"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(tiers, [("vip_off_path", 1), ("vip_off_path", 2)]);
    assert_eq!(summary["escalations_fired"], 2);
    assert!(
        summary.get("escalations").is_none(),
        "the summary lists no escalations beside the ones streamed: {summary}"
    );
    // Each goes out as it fires, after the finding it fired on (here both are
    // decided at the end of the file; on a live stream, as soon as the record
    // that decides them comes: see the live tests).
    let at = |pred: &dyn Fn(&Value) -> bool| records.iter().position(pred).expect("a record");
    let skipped = at(&|r| r["kind"] == "unexpected_step" && r["customer"] == "c2");
    let first = at(&|r| r["kind"] == "escalation" && r["tier"] == 1);
    assert!(first > skipped, "{}", ran.stdout);
}

#[test]
fn eval_explain_says_which_finding_an_escalation_fired_on() {
    let ran = run(&["eval", "--explain", POLICY, LOG]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stdout
            .contains("    fired on: `unexpected_step` at claim.decide, 2026-03-01T10:20:00Z\n"),
        "{}",
        ran.stdout
    );
    let report = json(&run(&["eval", "--format", "json", POLICY, LOG]).stdout);
    assert_eq!(
        report["escalations"][0]["finding"],
        serde_json::json!({"kind": "unexpected_step", "step": "decide", "time": "2026-03-01T10:20:00Z"})
    );
}

// ---- eval: live streams ----------------------------------------------------------

/// `cxl eval ARGS` reading a pipe its writer keeps open; its stdout line by line.
struct Live {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    arrived: std::sync::mpsc::Receiver<String>,
    reading: Option<std::thread::JoinHandle<()>>,
}

impl Live {
    fn start(args: &[&str]) -> Live {
        use std::io::{BufRead, BufReader};
        use std::process::{Command as Std, Stdio};
        let mut child = Std::new(env!("CARGO_BIN_EXE_cxl"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cxl runs");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("a pipe from cxl");
        let (lines, arrived) = std::sync::mpsc::channel();
        let reading = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if lines.send(line.expect("cxl writes text")).is_err() {
                    break;
                }
            }
        });
        Live {
            child,
            stdin,
            arrived,
            reading: Some(reading),
        }
    }

    fn send(&mut self, text: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("the input is open");
        stdin.write_all(text.as_bytes()).expect("cxl reads");
        stdin.flush().expect("cxl reads");
    }

    /// The records that come out, until one `is` what is awaited; fails after 30 s.
    fn until(&mut self, is: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let line = self
                .arrived
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("still waiting while the input is open; got {seen:?}"));
            let record = json(&line);
            let done = is(&record);
            seen.push(record);
            if done {
                return seen;
            }
        }
    }

    /// Close the input; the exit code, the records after those taken, and stderr.
    fn close(mut self) -> (i32, Vec<Value>, String) {
        use std::io::Read;
        drop(self.stdin.take());
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).expect("stderr is text");
        }
        let status = self.child.wait().expect("cxl ends");
        if let Some(reading) = self.reading.take() {
            reading.join().expect("all of stdout read");
        }
        let rest = self.arrived.try_iter().map(|l| json(&l)).collect();
        (status.code().expect("an exit code"), rest, stderr)
    }
}

#[test]
fn eval_on_a_live_stream_reports_an_overdue_step_as_event_time_passes_it() {
    let mut live = Live::start(&["eval", "--format", "ndjson", POLICY, "-"]);
    // c1's acknowledgement is due by 11:00; c6's record says it is 11:20, and with
    // the default lateness of 10m the watermark is 11:10: nothing can still come
    // before 11:00, so c1 has stalled.
    live.send(
        "{\"customer\":\"c1\",\"step\":\"Claim reported\",\"time\":\"2026-03-01T10:00:00Z\",\"channel\":\"web\"}\n",
    );
    live.send(
        "{\"customer\":\"c6\",\"step\":\"Claim reported\",\"time\":\"2026-03-01T11:20:00Z\",\"channel\":\"web\"}\n",
    );
    let seen = live.until(|r| r["kind"] == "stalled");
    let stalled = seen.last().expect("a record");
    assert_eq!(stalled["customer"], "c1", "{seen:?}");
    assert_eq!(stalled["time"], "2026-03-01T11:00:00Z");
    let (code, rest, _) = live.close();
    assert_eq!(code, 1, "a red finding: {rest:?}");
    assert!(
        rest.iter()
            .all(|r| r["kind"] != "stalled" || r["customer"] != "c1"),
        "reported once: {rest:?}"
    );
}

/// A log grouped by customer, piped in, is not a live stream in event-time order:
/// each customer's first events come hours behind the previous customer's last.
/// Once that is clear, pauses no longer move event time on, so a customer's own
/// later events still count (here an acknowledgement in time, sent after a pause
/// that came after a later customer's records).
#[test]
fn eval_of_a_piped_log_out_of_time_order_is_not_judged_by_its_pauses() {
    let mut live = Live::start(&["eval", "--format", "ndjson", POLICY, "-"]);
    let journey = |c: usize, day: u32| {
        format!(
            "{{\"customer\":\"g{c}\",\"step\":\"Claim reported\",\"time\":\"2026-03-{day:02}T10:00:00Z\",\"channel\":\"web\"}}\n\
             {{\"customer\":\"g{c}\",\"step\":\"acknowledge\",\"time\":\"2026-03-{day:02}T10:30:00Z\",\"channel\":\"email\"}}\n\
             {{\"customer\":\"g{c}\",\"step\":\"decide\",\"time\":\"2026-03-{day:02}T11:00:00Z\"}}\n\
             {{\"customer\":\"g{c}\",\"step\":\"settled\",\"time\":\"2026-03-{day:02}T12:00:00Z\",\"csat\":5}}\n"
        )
    };
    // Twelve customers, one a day, the last one first: eleven start a day behind.
    let grouped: String = (1..=12).map(|c| journey(c, 20 - c as u32)).collect();
    live.send(&grouped);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // A customer from the start of the month, beside one from the day after the
    // last: on a live stream, event time would now be the 20th, and the first
    // customer's acknowledgement overdue.
    live.send(
        "{\"customer\":\"late\",\"step\":\"Claim reported\",\"time\":\"2026-03-01T10:00:00Z\",\"channel\":\"web\"}\n\
         {\"customer\":\"g13\",\"step\":\"Claim reported\",\"time\":\"2026-03-20T10:00:00Z\",\"channel\":\"web\"}\n",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    live.send(
        "{\"customer\":\"late\",\"step\":\"acknowledge\",\"time\":\"2026-03-01T10:30:00Z\",\"channel\":\"email\"}\n",
    );
    let (code, records, stderr) = live.close();
    let kinds: Vec<&str> = records
        .iter()
        .filter(|r| r["customer"] == "late")
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["incomplete"], "{records:?}");
    assert_eq!(code, 0, "{records:?}");
    assert!(
        stderr.contains("is not in event-time order (11 of"),
        "said why: {stderr}"
    );
}

// ---- graph -------------------------------------------------------------------------

#[test]
fn graph_dot() {
    let ran = run(&["graph", SKETCH]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    insta::assert_snapshot!(ran.stdout);
}

#[test]
fn graph_mermaid() {
    let ran = run(&["graph", "--format", "mermaid", SKETCH]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.starts_with("flowchart LR\n"), "{}", ran.stdout);
    // The steps view (the default): each step once, captioned with its owner
    // and channels when it has them.
    for step in ["report_claim", "acknowledge", "appraise", "settled"] {
        assert_eq!(
            ran.stdout.matches(&format!("(\"{step}")).count(),
            1,
            "{step}: {}",
            ran.stdout
        );
    }
}

#[test]
fn graph_json() {
    let ran = run(&["graph", "--format", "json", SKETCH]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let graph = json(&ran.stdout);
    let edges = graph["edges"].as_array().expect("edges");
    assert!(!edges.is_empty());
    assert_eq!(edges[0]["from"], "n0");
}

#[test]
fn graph_of_an_unknown_journey_is_a_usage_error() {
    let ran = run(&["graph", "--journey", "nope", SKETCH]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("journeys: claim"), "{}", ran.stderr);
}

#[test]
fn graph_of_a_broken_policy_fails() {
    let ran = run(&["graph", BROKEN_POLICY]);
    assert_eq!(ran.code, 1);
    assert!(ran.stderr.contains("E0203"), "{}", ran.stderr);
}

// ---- eval: more flags --------------------------------------------------------------

#[test]
fn eval_customers_file_decides_segments() {
    const OFF_PATH: &str = "tests/fixtures/eval/offpath.ndjson";
    const CUSTOMERS: &str = "tests/fixtures/eval/customers.ndjson";
    let escalations = |extra: &[&str]| {
        let mut args = vec!["eval", "--format", "json"];
        args.extend(extra);
        args.extend([POLICY, OFF_PATH]);
        let report = json(&run(&args).stdout);
        report["escalations"].as_array().expect("escalations").len()
    };
    assert_eq!(escalations(&[]), 0, "c9 is not known to be gold");
    assert_eq!(
        escalations(&["--customers", CUSTOMERS]),
        1,
        "now c9 is gold"
    );
}

#[test]
fn eval_show_limits_findings_per_group() {
    let ran = run(&["eval", "--show", "1", POLICY, LOG]);
    assert!(
        ran.stdout.contains(
            "  info incomplete x2  tests/fixtures/eval/claims.cxl:14  `path report -> acknowledge -> decide -> settled`\n      2026-03-01T13:00:00Z  c2 claim#1  journey `claim` not \
             finished at the end of input: next could be `settled`\n      ... and 1 more\n"
        ),
        "{}",
        ran.stdout
    );
}

#[test]
fn eval_input_error_is_exit_2() {
    let ran = run(&["eval", POLICY, "tests/fixtures/logs/missing-column.csv"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("no column `step`") && ran.stderr.contains("--map step=COLUMN"),
        "{}",
        ran.stderr
    );
}

#[test]
fn eval_unknown_log_format_is_exit_2() {
    let ran = run(&["eval", POLICY, "tests/fixtures/eval/claims.cxl"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("--input-format"), "{}", ran.stderr);
}

// ---- the policy's own `source` ----------------------------------------------------

#[test]
fn eval_reads_a_csv_export_by_the_policys_source_settings() {
    let policy = "tests/fixtures/eval/crm_source.cxl";
    let log = "tests/fixtures/eval/crm_export.csv";
    let ran = run(&["eval", "--format", "json", policy, log]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let report = json(&ran.stdout);
    assert_eq!(report["input"]["events"], 6);
    assert_eq!(report["input"]["unmapped"], 0);
    let found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("kind"), s("customer"), s("time"))
        })
        .collect();
    // 09:30 at +01:00 is 08:30Z: four hours later the answer has not come.
    let expected = [
        ("stalled", "T-2", "2026-03-01T12:30:00Z"),
        ("sla_breach", "T-2", "2026-03-01T14:30:00Z"),
        ("wrong_channel", "T-2", "2026-03-01T14:30:00Z"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(found, expected);
    // A flag still wins over the policy: a comma delimiter reads no `Ticket ID` column.
    let flagged = run(&["eval", "--delimiter", ",", policy, log]);
    assert_eq!(flagged.code, 2, "{}", flagged.stdout);
    assert!(flagged.stderr.contains("Ticket ID"), "{}", flagged.stderr);
}

// ---- --threads ----------------------------------------------------------------------

/// What `cxl eval` gave with `--threads N`: exit code, stdout, stderr, and the
/// reject and escalations files.
fn eval_threads(threads: &str, extra: &[&str]) -> (i32, String, String, String, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let rejects = dir.path().join("rejects.ndjson");
    let escalations = dir.path().join("escalations.ndjson");
    let mut args = vec!["eval", "--threads", threads];
    args.extend_from_slice(extra);
    let (rejects_arg, escalations_arg) = (
        rejects.to_string_lossy().to_string(),
        escalations.to_string_lossy().to_string(),
    );
    args.extend_from_slice(&["--reject-file", &rejects_arg]);
    args.extend_from_slice(&["--escalations", &escalations_arg]);
    let ran = run(&args);
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    (
        ran.code,
        ran.stdout,
        ran.stderr,
        read(&rejects),
        read(&escalations),
    )
}

#[test]
fn eval_prints_the_same_on_any_number_of_threads() {
    let customers = "tests/fixtures/eval/customers.ndjson";
    for format in ["text", "json", "ndjson"] {
        for extra in [
            vec![POLICY, LOG],
            vec![POLICY, LOG, "--explain", "--show", "1"],
            vec![POLICY, LOG, "--customers", customers],
            vec![POLICY, LOG, "--as-of", "2026-12-31T00:00:00Z"],
        ] {
            let mut args = extra.clone();
            args.extend_from_slice(&["--format", format]);
            let one = eval_threads("1", &args);
            assert!(one.0 == 1 || one.0 == 0, "{args:?}: {}", one.2);
            assert!(!one.3.is_empty(), "the log has a line that is not JSON");
            for threads in ["2", "3", "8"] {
                assert_eq!(
                    eval_threads(threads, &args),
                    one,
                    "--threads {threads} {args:?}"
                );
            }
        }
    }
}

#[test]
fn eval_threads_stop_as_one_thread_does() {
    // A rejected line with --strict, an as-of before the last event: exit 2
    // with the same message, after the same output.
    for extra in [
        vec![POLICY, LOG, "--strict", "--format", "ndjson"],
        vec![
            POLICY,
            LOG,
            "--as-of",
            "2020-01-01T00:00:00Z",
            "--format",
            "ndjson",
        ],
        vec![POLICY, "tests/fixtures/eval/missing.ndjson"],
    ] {
        let one = eval_threads("1", &extra);
        assert_eq!(one.0, 2, "{extra:?}: {}", one.2);
        assert!(!one.2.contains("panicked"), "{}", one.2);
        assert_eq!(eval_threads("4", &extra), one, "{extra:?}");
    }
    let zero = run(&["eval", "--threads", "0", POLICY, LOG]);
    assert_eq!(zero.code, 2, "{}", zero.stderr);
}

/// A log cut off mid-stream: the report covers what was read, then exit 2.
#[test]
fn eval_threads_report_an_input_error_after_the_summary() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let log = dir.path().join("cut.ndjson.gz");
    let text = std::fs::read(LOG).expect("the log");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &text).expect("compressed");
    let bytes = gz.finish().expect("compressed");
    std::fs::write(&log, &bytes[..bytes.len() - 12]).expect("written");
    let log = log.to_string_lossy().to_string();
    let one = eval_threads("1", &[POLICY, &log, "--format", "json"]);
    assert_eq!(one.0, 2, "{}", one.2);
    assert!(
        one.1.contains("\"events\""),
        "the summary is printed: {}",
        one.1
    );
    assert_eq!(eval_threads("2", &[POLICY, &log, "--format", "json"]), one);
}

/// Every verb `cxl --help` lists, but `help` itself.
fn verbs() -> Vec<String> {
    let help = run(&["--help"]).stdout;
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|v| v != "help")
        .collect()
}

#[test]
fn completion_scripts_are_made_for_every_shell_and_bash_parses_its_own() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let ran = run(&["completions", shell]);
        assert_eq!(ran.code, 0, "{shell}: {}", ran.stderr);
        for verb in verbs() {
            assert!(ran.stdout.contains(&verb), "{shell} lacks {verb}");
        }
    }
    let script = scratch("cxl.bash");
    std::fs::write(&script, run(&["completions", "bash"]).stdout).expect("write");
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .expect("bash runs");
    assert!(status.success(), "bash -n rejects the script");
    assert_eq!(run(&["completions", "tcsh"]).code, 2);
}

#[test]
fn the_man_page_is_roff_and_names_every_verb() {
    let ran = run(&["man"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.starts_with(".ie \\n(.g .ds Aq") || ran.stdout.contains(".TH cxl"),
        "{}",
        &ran.stdout[..200]
    );
    let verbs = verbs();
    assert!(verbs.len() >= 9, "{verbs:?}");
    for verb in verbs {
        assert!(
            ran.stdout.contains(&format!(".SS \"cxl {verb}\"")),
            "the page lacks {verb}"
        );
    }
    assert!(
        ran.stdout.contains("\\-\\-check"),
        "fmt's options are listed"
    );
}

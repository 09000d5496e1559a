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
        .map(|r| r["kind"].as_str().expect("each line is a finding"))
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        vec![
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
    let mut streamed: Vec<String> = records.iter().map(Value::to_string).collect();
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
    for step in ["report_claim", "acknowledge", "appraise", "settled"] {
        assert!(ran.stdout.contains(&format!("(\"{step}\")")), "{step}");
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

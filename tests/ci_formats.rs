//! The CI formats of the `cxl` binary (issue 18, item 4): `--format sarif` and
//! `--format github` on `check`, `test` and `eval`, and `test --format json`:
//! where each result points, what it says, and that exit codes are those of the
//! other formats. That the SARIF documents follow the official schema is checked
//! in `tests/output_schemas.rs`.

use assert_cmd::Command;
use serde_json::Value;

const POLICY: &str = "tests/fixtures/eval/claims.cxl";
const LOG: &str = "tests/fixtures/eval/claims.ndjson";
const TESTS: &str = "tests/fixtures/ci/tests.cxl";
const UNKNOWN_STEP: &str = "tests/fixtures/invalid/E0203_unknown_step.cxl";

/// What a run gave: exit code and stdout.
fn run(args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("cxl runs");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    (output.status.code().expect("an exit code"), stdout)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"].as_array().expect("results")
}

/// The text of a SARIF region in `text` (1-based lines, columns in characters,
/// the end column exclusive), to show a result points at what it means.
fn region_text(text: &str, region: &Value) -> String {
    let at = |line: &Value, column: &Value| {
        let (line, column) = (
            line.as_u64().expect("a line"),
            column.as_u64().expect("a column"),
        );
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        let rest = &text[start..];
        start
            + rest
                .char_indices()
                .nth(column as usize - 1)
                .map_or(rest.len(), |(i, _)| i)
    };
    let start = at(&region["startLine"], &region["startColumn"]);
    let end = at(&region["endLine"], &region["endColumn"]);
    text[start..end].to_string()
}

#[test]
fn check_as_sarif_names_every_code_and_points_at_each_diagnostic() {
    let (code, out) = run(&["check", "--format", "sarif", UNKNOWN_STEP]);
    assert_eq!(code, 1, "errors are exit 1 in every format");
    let sarif = json(&out);
    assert_eq!(sarif["version"], "2.1.0");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(
        rules.len(),
        cxl::Code::ALL.len(),
        "the whole table of codes"
    );
    let w0401 = rules.iter().find(|r| r["id"] == "W0401").expect("W0401");
    assert_eq!(w0401["defaultConfiguration"]["level"], "warning");
    assert_eq!(
        w0401["shortDescription"]["text"],
        "a step declared but never used in the journey's `path`"
    );
    let text = std::fs::read_to_string(UNKNOWN_STEP).expect("the fixture");
    let first = &results(&sarif)[0];
    assert_eq!(first["ruleId"], "E0203");
    assert_eq!(
        rules[first["ruleIndex"].as_u64().expect("an index") as usize]["id"],
        "E0203"
    );
    assert_eq!(first["level"], "error");
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], UNKNOWN_STEP);
    assert_eq!(region_text(&text, &location["region"]), "resolvd");
    assert_eq!(
        first["message"]["text"],
        "journey `support` has no step `resolvd`\nhelp: did you mean `resolved`?"
    );
    insta::assert_snapshot!(
        "check_sarif_results",
        serde_json::to_string_pretty(results(&sarif)).expect("JSON")
    );

    let (code, out) = run(&["check", "--format", "sarif", "examples/claims.cxl"]);
    assert_eq!(code, 0, "a clean policy");
    assert_eq!(results(&json(&out)).len(), 0);
}

#[test]
fn check_as_github_commands_one_line_per_diagnostic() {
    let (code, out) = run(&["check", "--format", "github", UNKNOWN_STEP]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("check_github", out);
    let (code, out) = run(&[
        "check",
        "--format",
        "github",
        "--deny-warnings",
        "tests/fixtures/invalid/W0401_step_not_in_path.cxl",
    ]);
    assert_eq!(code, 1, "--deny-warnings fails on a warning, made an error");
    assert!(
        !out.is_empty()
            && out
                .lines()
                .all(|l| l.starts_with("::error file=tests/fixtures/invalid/W0401")),
        "{out}"
    );
}

#[test]
fn eval_results_point_at_the_rule_with_the_customer_as_properties() {
    let (code, out) = run(&["eval", "--format", "sarif", POLICY, LOG]);
    let (json_code, report) = run(&["eval", "--format", "json", POLICY, LOG]);
    assert_eq!(code, json_code, "the exit code of every format");
    let (sarif, report) = (json(&out), json(&report));
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(
        results(&sarif).len(),
        findings.len(),
        "a result per finding"
    );
    let policy = std::fs::read_to_string(POLICY).expect("the policy");
    // Paired by what they are about: the JSON report lists findings as they
    // are decided, SARIF in the report's order.
    let key = |kind: &Value, customer: Option<&Value>, time: &Value, message: String| {
        let customer = customer.and_then(Value::as_str).unwrap_or("").to_string();
        (kind.to_string(), customer, time.to_string(), message)
    };
    let mut by_result: Vec<&Value> = results(&sarif).iter().collect();
    by_result.sort_by_key(|r| {
        let message = r["message"]["text"].as_str().unwrap_or("");
        let message = message.rsplit_once(" (").map_or(message, |(m, _)| m);
        key(
            &r["ruleId"],
            r["properties"].get("customer"),
            &r["properties"]["time"],
            message.to_string(),
        )
    });
    let mut by_finding: Vec<&Value> = findings.iter().collect();
    by_finding.sort_by_key(|f| {
        let message = f["message"].as_str().unwrap_or("").to_string();
        key(&f["kind"], f.get("customer"), &f["time"], message)
    });
    for (result, finding) in by_result.into_iter().zip(by_finding) {
        assert_eq!(result["ruleId"], finding["kind"]);
        let location = &result["locations"][0]["physicalLocation"];
        if let Some(rule) = finding.get("rule") {
            assert_eq!(location["artifactLocation"]["uri"], POLICY);
            // The span is the clause, or the name of the step whose clause it is.
            let at = region_text(&policy, &location["region"]);
            assert!(
                !at.is_empty() && rule["text"].as_str().expect("text").contains(&at),
                "{at} in {rule}"
            );
            assert_eq!(location["region"]["startLine"], rule["line"]);
        } else {
            assert_eq!(location["artifactLocation"]["uri"], LOG, "{finding}");
        }
        assert_eq!(
            result["properties"]["customer"],
            finding.get("customer").cloned().unwrap_or(Value::Null)
        );
        assert_eq!(result["properties"]["time"], finding["time"]);
    }
    let c3 = results(&sarif)
        .iter()
        .find(|r| r["ruleId"] == "wrong_channel")
        .expect("c3 came by fax");
    assert_eq!(c3["level"], "warning", "yellow is a warning");
    assert_eq!(c3["properties"]["journey"], "claim");
    assert_eq!(c3["properties"]["logLine"], 7, "the line of the fax event");
    assert_eq!(c3["properties"]["log"], LOG);
    assert_eq!(
        c3["message"]["text"],
        "`report` via `fax`, expected `web` or `phone` (c3 claim#1, 2026-03-01T10:00:00Z)"
    );
    let stalled = results(&sarif)
        .iter()
        .find(|r| r["ruleId"] == "stalled")
        .expect("c3 stalled");
    assert_eq!(stalled["level"], "error", "red is an error");
    let rejected = results(&sarif)
        .iter()
        .find(|r| r["ruleId"] == "rejected_record")
        .expect("a bad line");
    assert_eq!(
        rejected["locations"][0]["physicalLocation"]["region"]["startLine"],
        13
    );
}

#[test]
fn eval_as_github_keeps_the_exit_code_of_fail_on() {
    let (code, out) = run(&["eval", "--format", "github", POLICY, LOG]);
    assert_eq!(code, 1, "a red finding");
    insta::assert_snapshot!("eval_github", out);
    let (code, _) = run(&[
        "eval",
        "--format",
        "github",
        "--fail-on",
        "never",
        POLICY,
        LOG,
    ]);
    assert_eq!(code, 0);
}

#[test]
fn test_results_as_json_sarif_and_github() {
    let (code, out) = run(&["test", "--format", "json", TESTS]);
    assert_eq!(code, 1, "a test fails");
    let doc = json(&out);
    assert_eq!(
        doc["totals"],
        serde_json::json!({"tests": 2, "passed": 1, "failed": 1, "check_errors": 0})
    );
    let failed = &doc["tests"][1];
    assert_eq!(failed["name"], "an acknowledgement on time breaks it too");
    assert_eq!(
        (failed["file"].as_str(), failed["line"].as_u64()),
        (Some(TESTS), Some(20))
    );
    assert_eq!(failed["status"], "failed");
    // The message is the explanation `cxl test` prints: the failure, then what
    // happened instead; `failures` has the same, structured.
    assert_eq!(
        failed["message"],
        "line 24: expected broken claim.acknowledge for c1, but there was none\n  \
         c1 got: incomplete on claim\n  \
         c1's events: report at 2026-03-02T09:00:00Z, acknowledge at +30m"
    );
    assert_eq!(
        failed["failures"],
        serde_json::json!([{
            "line": 24,
            "message": "expected broken claim.acknowledge for c1, but there was none",
            "context": [
                "c1 got: incomplete on claim",
                "c1's events: report at 2026-03-02T09:00:00Z, acknowledge at +30m"
            ]
        }])
    );
    assert_eq!(doc["tests"][0]["status"], "passed");
    assert_eq!(doc["tests"][0]["message"], Value::Null);

    let (code, out) = run(&["test", "--format", "sarif", TESTS]);
    assert_eq!(code, 1);
    let sarif = json(&out);
    assert_eq!(results(&sarif).len(), 1, "one failed test");
    let result = &results(&sarif)[0];
    assert_eq!(result["ruleId"], "test_failed");
    assert!(
        result["message"]["text"]
            .as_str()
            .is_some_and(|m| m.ends_with("\n  c1 got: incomplete on claim\n  c1's events: report at 2026-03-02T09:00:00Z, acknowledge at +30m")),
        "the explanation is in the message: {result}"
    );
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["endLine"].as_u64()),
        (Some(20), Some(25)),
        "the test's span"
    );

    let (code, out) = run(&["test", "--format", "github", TESTS]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "::error file=tests/fixtures/ci/tests.cxl,line=20,endLine=25,title=test_failed::test \
         `an acknowledgement on time breaks it too` failed%0Aline 24: expected broken \
         claim.acknowledge for c1, but there was none%0A  c1 got: incomplete on claim%0A  \
         c1's events: report at 2026-03-02T09:00:00Z, acknowledge at +30m\n"
    );

    let (code, out) = run(&["test", "--format", "github", "examples/claims.cxl"]);
    assert_eq!((code, out.as_str()), (0, ""), "passing tests say nothing");
}

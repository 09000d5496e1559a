//! `cxl test` as a user runs it: failures that say what happened instead,
//! `--filter`, `--coverage` and `--coverage-min`, JUnit with `file`, `line` and
//! `time`, and a report in every format (text, JUnit, JSON, SARIF, GitHub) even
//! when a policy does not check.
//!
//! The fixture `tests/fixtures/test_runner/gold_claims.cxl` has one passing test
//! and two failing ones: a customer outside the journey because of a typo in
//! their tier, and a customer in it who got other findings than expected.

use assert_cmd::Command;

const POLICY: &str = "tests/fixtures/test_runner/gold_claims.cxl";
const BROKEN_POLICY: &str = "tests/fixtures/eval/broken.cxl";

/// What a run gave: exit code, stdout, stderr.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `cxl` run from the crate root, so fixture paths in output are stable.
fn run(args: &[&str]) -> Ran {
    let mut cmd = Command::cargo_bin("cxl").expect("the cxl binary is built");
    let output = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("cxl runs");
    Ran {
        code: output.status.code().expect("cxl exits with a code"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// JUnit XML with every `time="..."` emptied: times differ from run to run.
fn untimed(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(at) = rest.find(" time=\"") {
        let (before, after) = rest.split_at(at + " time=\"".len());
        out.push_str(before);
        rest = after.find('"').map_or("", |end| &after[end..]);
    }
    out.push_str(rest);
    out
}

#[test]
fn a_failure_says_what_happened_instead() {
    let ran = run(&["test", POLICY]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    // Outside the journey: each of its segments against the values the test gave.
    assert!(
        ran.stdout
            .contains("c1 was outside journey `claim`, which is for gold, platinum:"),
        "{}",
        ran.stdout
    );
    assert!(ran
        .stdout
        .contains("gold: `tier == \"gold\"` is false, with tier = \"glod\""));
    // In the journey: what they got instead.
    assert!(ran.stdout.contains(
        "c2 got: stalled at claim.acknowledge, sla_breach at claim.acknowledge, incomplete on claim, escalation gold_in_trouble -> \"Claims concierge\""
    ));
    // The customer who was in the journey gets no segment lines.
    assert!(!ran.stdout.contains("c2 was outside"));
    insta::assert_snapshot!("failure_explained", ran.stdout);
}

#[test]
fn filter_runs_the_tests_whose_name_contains_the_text() {
    let ran = run(&["test", "--filter", "on time", POLICY]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(ran
        .stdout
        .contains("an acknowledgement on time is no finding"));
    assert!(!ran.stdout.contains("late acknowledgement"));
    assert!(ran
        .stdout
        .ends_with("\n1 passed, 0 failed, 2 filtered out\n"));
}

#[test]
fn a_filter_that_selects_no_test_is_a_usage_error() {
    let ran = run(&["test", "--filter", "no such test", POLICY]);
    assert_eq!(ran.code, 2);
    assert_eq!(ran.stdout, "");
    assert_eq!(
        ran.stderr,
        "error: no test name contains `no such test` (3 tests in 1 file)\n"
    );
}

#[test]
fn coverage_says_what_the_tests_exercised() {
    let ran = run(&["test", "--coverage", POLICY]);
    assert_eq!(ran.code, 1, "two tests fail: {}", ran.stderr);
    let table = &ran.stdout[ran.stdout.find("\ncoverage of").expect("a coverage table")..];
    insta::assert_snapshot!("coverage_table", table);
}

#[test]
fn coverage_counts_only_the_tests_that_ran() {
    let all = run(&["test", "--coverage", POLICY]);
    let one = run(&["test", "--coverage", "--filter", "on time", POLICY]);
    let head = |ran: &Ran| {
        ran.stdout
            .lines()
            .find(|l| l.starts_with("coverage of"))
            .expect("a total line")
            .to_string()
    };
    // The passing test alone has no finding, so no escalation tier fires; with
    // the failing ones the first tier does.
    assert!(
        one.stdout.contains("escalation tiers      0/2"),
        "{}",
        one.stdout
    );
    assert!(
        all.stdout.contains("escalation tiers      1/2"),
        "{}",
        all.stdout
    );
    assert_ne!(head(&all), head(&one));
}

#[test]
fn coverage_min_fails_below_it() {
    let ran = run(&[
        "test",
        "--filter",
        "on time",
        "--coverage-min",
        "90",
        POLICY,
    ]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert!(
        ran.stdout.contains("coverage of"),
        "--coverage-min implies --coverage"
    );
    assert!(
        ran.stderr.contains(&format!(
            "error: the tests of {POLICY} exercise 50% of it, below --coverage-min 90"
        )),
        "{}",
        ran.stderr
    );
    let ran = run(&[
        "test",
        "--filter",
        "on time",
        "--coverage-min",
        "30",
        POLICY,
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let ran = run(&["test", "--coverage-min", "101", POLICY]);
    assert_eq!(ran.code, 2, "a percentage: {}", ran.stderr);
}

#[test]
fn junit_gives_file_line_and_time_of_each_testcase() {
    let ran = run(&["test", "--format", "junit", POLICY]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let cases: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("<testcase "))
        .collect();
    assert_eq!(cases.len(), 3, "{}", ran.stdout);
    for (case, line) in cases.iter().zip([27, 35, 42]) {
        assert!(case.contains(&format!("file=\"{POLICY}\"")), "{case}");
        assert!(case.contains(&format!(" line=\"{line}\"")), "{case}");
        let time = case
            .split(" time=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("a time in seconds: {case}"));
        assert!(time >= 0.0, "{case}");
    }
    // The failure's body carries the explanation.
    assert!(ran
        .stdout
        .contains("  c1 was outside journey `claim`, which is for gold, platinum:"));
    // The coverage table goes to stderr, so stdout stays one XML document.
    let covered = run(&["test", "--format", "junit", "--coverage", POLICY]);
    assert_eq!(untimed(&covered.stdout), untimed(&ran.stdout));
    assert!(covered
        .stderr
        .contains(&format!("coverage of {POLICY}: 7/12  58%")));
}

#[test]
fn a_policy_that_does_not_check_still_gets_a_junit_report() {
    let ran = run(&["test", "--format", "junit", POLICY, BROKEN_POLICY]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    // The other policy's tests ran, and the check error is a failing testcase.
    assert!(ran.stdout.contains(&format!(
        "<testsuite name=\"{POLICY}\" tests=\"3\" failures=\"2\""
    )));
    assert!(ran.stdout.contains(&format!(
        "<testsuite name=\"{BROKEN_POLICY}\" tests=\"1\" failures=\"1\""
    )));
    assert!(ran.stdout.contains(&format!(
        "<testcase name=\"does not check: E0203 journey `claim` has no step `setled`\" classname=\"{BROKEN_POLICY}\" file=\"{BROKEN_POLICY}\" line=\"5\""
    )), "{}", ran.stdout);
    assert!(ran.stdout.ends_with("</testsuites>\n"));
    // The diagnostics themselves go to stderr, as `cxl check` prints them.
    assert!(ran.stderr.contains("has no step `setled`"));
}

#[test]
fn a_policy_that_does_not_check_is_a_failure_in_the_text_report() {
    let ran = run(&["test", BROKEN_POLICY]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        format!(
            "FAIL  {BROKEN_POLICY}:5  does not check: E0203 journey `claim` has no step `setled`\n\n0 passed, 0 failed, 1 check error\n"
        )
    );
}

#[test]
fn a_directory_runs_the_tests_of_every_policy_under_it() {
    let dir = run(&["test", "tests/fixtures/test_runner"]);
    let file = run(&["test", POLICY]);
    assert_eq!(dir.code, 1);
    assert_eq!(dir.stdout, file.stdout);
    let missing = run(&["test", "tests/fixtures/no-such-dir"]);
    assert_eq!(missing.code, 2);
    assert!(missing
        .stderr
        .starts_with("error: cannot read `tests/fixtures/no-such-dir`"));
}

#[test]
fn a_policy_that_does_not_check_still_gets_a_json_sarif_and_github_report() {
    let ran = run(&["test", "--format", "json", POLICY, BROKEN_POLICY]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let doc: serde_json::Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    assert_eq!(
        doc["totals"],
        serde_json::json!({"tests": 4, "passed": 1, "failed": 3, "check_errors": 1})
    );
    let error = &doc["tests"][3];
    assert_eq!(
        error["name"],
        "does not check: E0203 journey `claim` has no step `setled`"
    );
    assert_eq!(
        (error["file"].as_str(), error["line"].as_u64()),
        (Some(BROKEN_POLICY), Some(5))
    );
    assert_eq!(error["status"], "failed");
    // The other policy's failures carry their explanation.
    assert!(
        doc["tests"][1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("\n  c1 was outside journey `claim`")),
        "{}",
        doc["tests"][1]
    );

    // SARIF and GitHub: the error itself, at its place, as `cxl check` gives it.
    let ran = run(&["test", "--format", "sarif", POLICY, BROKEN_POLICY]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let sarif: serde_json::Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let rules: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(rules, ["test_failed", "test_failed", "E0203"]);
    let location = &results[2]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], BROKEN_POLICY);
    assert_eq!(location["region"]["startLine"], 5);

    let ran = run(&["test", "--format", "github", POLICY, BROKEN_POLICY]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.stdout);
    assert!(
        lines[0].contains("%0A  c1 was outside journey `claim`"),
        "{}",
        lines[0]
    );
    assert!(
        lines[2].starts_with(&format!(
            "::error file={BROKEN_POLICY},line=5,col=18,endLine=5,endColumn=23,title=E0203::journey `claim` has no step `setled`"
        )),
        "{}",
        lines[2]
    );
}

#[test]
fn coverage_goes_to_stderr_with_every_format_for_machines() {
    for format in ["json", "sarif", "github"] {
        let plain = run(&["test", "--format", format, POLICY]);
        let covered = run(&["test", "--format", format, "--coverage", POLICY]);
        assert_eq!(covered.code, 1, "{format}: {}", covered.stderr);
        assert_eq!(covered.stdout, plain.stdout, "{format}: stdout unchanged");
        assert!(
            covered
                .stderr
                .contains(&format!("coverage of {POLICY}: 7/12  58%")),
            "{format}: {}",
            covered.stderr
        );
    }
}

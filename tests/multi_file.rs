//! Policies in several files (`use "segments.cxl"`) and `cxl eval` over a
//! policy directory, several logs and stdin, through the real binary. The
//! fixtures are in `tests/fixtures/multi/`, one directory per case.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const MULTI: &str = "tests/fixtures/multi";
const CLAIMS: &str = "examples/claims.cxl";
const CLAIMS_LOG: &str = "examples/claims.ndjson";

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
    run_with(args, "")
}

fn run_with(args: &[&str], stdin: &str) -> Ran {
    let output = cxl()
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("cxl runs");
    Ran {
        code: output.status.code().expect("cxl exits with a code"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the output is JSON")
}

/// The diagnostics of `cxl check --format json` on `path`.
fn check_json(path: &str) -> Vec<Value> {
    let ran = run(&["check", "--format", "json", path]);
    match json(&ran.stdout) {
        Value::Array(items) => items,
        other => panic!("not an array: {other}"),
    }
}

/// (code, file, line) of each diagnostic's primary label.
fn places(diagnostics: &[Value]) -> Vec<(String, String, u64)> {
    diagnostics
        .iter()
        .map(|d| {
            let label = d["labels"]
                .as_array()
                .and_then(|ls| ls.iter().find(|l| l["primary"] == true))
                .expect("a primary label");
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                label["file"].as_str().unwrap_or_default().to_string(),
                label["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn an_error_in_a_used_file_is_shown_in_that_file() {
    let ran = run(&["check", &format!("{MULTI}/used_error/main.cxl")]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    insta::assert_snapshot!(ran.stderr);
    let found = check_json(&format!("{MULTI}/used_error/main.cxl"));
    assert_eq!(
        places(&found),
        [(
            "E0301".to_string(),
            format!("{MULTI}/used_error/segments.cxl"),
            2
        )]
    );
    // The JSON label's offsets are within the used file.
    let text = std::fs::read_to_string(format!("{MULTI}/used_error/segments.cxl"))
        .expect("fixture is readable");
    let label = &found[0]["labels"][0];
    let (start, end) = (
        label["start"].as_u64().unwrap_or_default() as usize,
        label["end"].as_u64().unwrap_or_default() as usize,
    );
    assert_eq!(&text[start..end], "lifetime_value >= \"high\"");
}

#[test]
fn sarif_and_github_point_into_the_used_file() {
    let path = format!("{MULTI}/used_error");
    let ran = run(&["check", "--format", "github", &path]);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stdout.starts_with(&format!(
            "::error file={MULTI}/used_error/segments.cxl,line=2,col="
        )),
        "{}",
        ran.stdout
    );
    let ran = run(&["check", "--format", "sarif", &path]);
    let sarif = json(&ran.stdout);
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        format!("{MULTI}/used_error/segments.cxl")
    );
    assert_eq!(location["region"]["startLine"], 2);
}

#[test]
fn a_cycle_is_e0215_at_the_use_that_closes_it() {
    let found = check_json(&format!("{MULTI}/cycle/a.cxl"));
    assert_eq!(
        places(&found),
        [("E0215".to_string(), format!("{MULTI}/cycle/b.cxl"), 1)]
    );
    assert_eq!(
        found[0]["message"],
        format!("`{MULTI}/cycle/a.cxl` uses itself")
    );
    // Checked as a directory, the two files are one policy, reported once.
    let ran = run(&["check", &format!("{MULTI}/cycle")]);
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stderr.matches("E0215").count(), 1, "{}", ran.stderr);
}

#[test]
fn a_missing_file_is_e0216_at_its_use() {
    let found = check_json(&format!("{MULTI}/missing/main.cxl"));
    assert_eq!(
        places(&found),
        [("E0216".to_string(), format!("{MULTI}/missing/main.cxl"), 1)]
    );
    assert_eq!(
        found[0]["message"],
        format!("cannot read `{MULTI}/missing/segments.cxl`")
    );
    assert_eq!(
        found[0]["labels"][0]["message"],
        "no such file or directory"
    );
}

#[test]
fn a_file_used_twice_is_read_once_and_a_used_file_is_not_checked_alone() {
    let ran = run(&["check", &format!("{MULTI}/diamond")]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // One policy: main.cxl with what it uses; left.cxl, right.cxl and
    // common.cxl are not policies of their own (their segments would be unused).
    assert_eq!(
        ran.stderr,
        format!("{MULTI}/diamond/main.cxl: 0 errors, 0 warnings\n")
    );
}

#[test]
fn a_name_declared_in_two_files_points_at_both() {
    let found = check_json(&format!("{MULTI}/duplicate"));
    assert_eq!(found.len(), 1, "{found:?}");
    let labels: Vec<(String, bool)> = found[0]["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap_or_default().to_string(),
                l["primary"] == true,
            )
        })
        .collect();
    assert_eq!(found[0]["code"], "E0207");
    assert_eq!(
        labels,
        // main.cxl is read first: its `gold` is the first, the used file's the second.
        [
            (format!("{MULTI}/duplicate/segments.cxl"), true),
            (format!("{MULTI}/duplicate/main.cxl"), false)
        ]
    );
    let ran = run(&["check", &format!("{MULTI}/duplicate")]);
    insta::assert_snapshot!(ran.stderr);
}

#[test]
fn tests_in_a_used_file_run_with_its_file_and_line() {
    let ran = run(&["test", &format!("{MULTI}/tested")]);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stdout.starts_with(&format!(
            "ok    {MULTI}/tested/tests.cxl:3  a customer who reaches b\n\
             FAIL  {MULTI}/tested/tests.cxl:10  a customer who never reaches b\n\
             \x20       line 13: expected reached j.b for bob"
        )),
        "{}",
        ran.stdout
    );
    let ran = run(&["test", "--format", "junit", &format!("{MULTI}/tested")]);
    assert!(
        ran.stdout
            .contains(&format!("file=\"{MULTI}/tested/tests.cxl\" line=\"10\"")),
        "{}",
        ran.stdout
    );
}

#[test]
fn fmt_formats_each_file_and_keeps_its_use_lines() {
    let ran = run(&["fmt", "--check", MULTI]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("main.cxl");
    std::fs::write(&path, "use   \"segments.cxl\"\nuse std/cx\n").expect("written");
    let ran = run(&["fmt", path.to_str().expect("UTF-8")]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let formatted = std::fs::read_to_string(&path).expect("readable");
    assert_eq!(formatted, "use \"segments.cxl\"\nuse std/cx\n");
}

/// A policy split in two: the declarations before `cut` (a byte offset at the
/// start of a line) stay in main.cxl, which uses rest.cxl for the others.
fn split(text: &str, cut: usize, dir: &Path) {
    let main = format!("{}\nuse \"parts/rest.cxl\"\n", &text[..cut]);
    std::fs::create_dir_all(dir.join("parts")).expect("a directory");
    std::fs::write(dir.join("main.cxl"), main).expect("written");
    std::fs::write(dir.join("parts/rest.cxl"), &text[cut..]).expect("written");
}

/// An eval JSON report with what says where a rule is written (its span, its
/// line and its file, which differ when split) taken out.
fn without_places(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(rule) = map.get_mut("rule").and_then(Value::as_object_mut) {
                    for key in ["span", "line", "file"] {
                        rule.remove(key);
                    }
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

/// The offsets where a top-level declaration starts a line (a cut point).
fn declaration_starts(text: &str) -> Vec<usize> {
    let keywords = [
        "segment ",
        "journey ",
        "expect ",
        "expectations ",
        "escalate ",
        "test ",
    ];
    let mut at = 0;
    let mut starts = Vec::new();
    for line in text.split_inclusive('\n') {
        if keywords.iter().any(|k| line.starts_with(k)) {
            starts.push(at);
        }
        at += line.len();
    }
    starts
}

#[test]
fn a_policy_split_across_files_evaluates_as_the_one_file_does() {
    let text = std::fs::read_to_string(CLAIMS).expect("the example is readable");
    // One name for the log in both runs: findings about its records quote it.
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join(CLAIMS_LOG);
    let log = log.to_str().expect("UTF-8");
    let whole = run(&["eval", "--format", "json", CLAIMS, log]);
    assert_eq!(whole.code, 1, "{}", whole.stderr);
    let whole = without_places(json(&whole.stdout));
    let starts = declaration_starts(&text);
    assert!(starts.len() > 10, "{starts:?}");
    for cut in starts {
        let dir = tempfile::tempdir().expect("a temporary directory");
        split(&text, cut, dir.path());
        let main = dir.path().join("main.cxl");
        let main = main.to_str().expect("UTF-8");
        let split_run = run(&["eval", "--format", "json", main, log]);
        assert_eq!(split_run.code, 1, "cut at {cut}: {}", split_run.stderr);
        assert_eq!(
            without_places(json(&split_run.stdout)),
            whole,
            "cut at {cut}"
        );
        // The directory is the same policy (rest.cxl is read once).
        let dir_run = run(&[
            "eval",
            "--format",
            "json",
            dir.path().to_str().expect("UTF-8"),
            log,
        ]);
        assert_eq!(dir_run.stdout, split_run.stdout, "cut at {cut}");
        // The inline tests pass split as they do whole.
        let tests = run(&["test", main]);
        assert_eq!(tests.code, 0, "cut at {cut}: {}", tests.stdout);
    }
}

#[test]
fn a_finding_of_a_rule_in_a_used_file_points_at_that_file() {
    let text = std::fs::read_to_string(CLAIMS).expect("the example is readable");
    let cut = text
        .find("\nexpect claim.acknowledge")
        .expect("the expectation")
        + 1;
    let dir = tempfile::tempdir().expect("a temporary directory");
    split(&text, cut, dir.path());
    let main = dir.path().join("main.cxl");
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join(CLAIMS_LOG);
    let ran = run(&[
        "eval",
        "--format",
        "sarif",
        main.to_str().expect("UTF-8"),
        log.to_str().expect("UTF-8"),
    ]);
    let sarif = json(&ran.stdout);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let rest = dir.path().join("parts/rest.cxl");
    let acknowledge = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == rest.to_str().expect("UTF-8")
        })
        .expect("a finding at a rule of rest.cxl");
    let line = acknowledge["locations"][0]["physicalLocation"]["region"]["startLine"]
        .as_u64()
        .expect("a line");
    // Lines are within rest.cxl, which starts at the cut.
    assert!(line < text[cut..].lines().count() as u64, "{line}");
    let text_report = run(&[
        "eval",
        main.to_str().expect("UTF-8"),
        log.to_str().expect("UTF-8"),
    ]);
    assert!(
        text_report.stdout.contains(&format!("{}:", rest.display())),
        "{}",
        text_report.stdout
    );
}

/// The claims log cut in two after `lines` lines, written in `dir`.
fn two_logs(dir: &Path, lines: usize) -> (String, String) {
    let log = std::fs::read_to_string(CLAIMS_LOG).expect("the log is readable");
    let at = log
        .match_indices('\n')
        .nth(lines - 1)
        .map(|(i, _)| i + 1)
        .expect("long enough");
    let (first, second) = (dir.join("first.ndjson"), dir.join("second.ndjson"));
    std::fs::write(&first, &log[..at]).expect("written");
    std::fs::write(&second, &log[at..]).expect("written");
    (
        first.to_str().expect("UTF-8").to_string(),
        second.to_str().expect("UTF-8").to_string(),
    )
}

/// An eval JSON report without the log names and lines that differ between
/// one log and the same records in two, its findings and escalations sorted
/// (a live stream, as a pipe is, decides them as it pauses, in another order).
fn without_log_places(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("line");
                map.remove("message");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    for key in ["findings", "escalations"] {
        if let Some(items) = value.get_mut(key).and_then(Value::as_array_mut) {
            items.sort_by_key(|item| item.to_string());
        }
    }
    value
}

#[test]
fn several_logs_are_one_input_and_a_rejected_record_names_its_file_and_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (first, second) = two_logs(dir.path(), 2000);
    let whole = run(&["eval", "--format", "json", CLAIMS, CLAIMS_LOG]);
    let rejects = dir.path().join("rejects.ndjson");
    let rejects = rejects.to_str().expect("UTF-8");
    let both = run(&[
        "eval",
        "--format",
        "json",
        "--reject-file",
        rejects,
        CLAIMS,
        &first,
        &second,
    ]);
    assert_eq!(both.code, whole.code, "{}", both.stderr);
    assert_eq!(
        without_log_places(json(&both.stdout)),
        without_log_places(json(&whole.stdout))
    );
    // Each rejected record names its own file and its line in that file:
    // the one log's line n past the cut is line n - 2000 of the second.
    let whole_rejects = dir.path().join("whole-rejects.ndjson");
    let whole_rejects = whole_rejects.to_str().expect("UTF-8");
    run(&["eval", "--reject-file", whole_rejects, CLAIMS, CLAIMS_LOG]);
    let places = |path: &str| -> Vec<(String, u64)> {
        std::fs::read_to_string(path)
            .expect("a reject file")
            .lines()
            .map(|l| {
                let r = json(l);
                let file = r["file"].as_str().unwrap_or_default().to_string();
                (file, r["line"].as_u64().unwrap_or_default())
            })
            .collect()
    };
    let expected: Vec<(String, u64)> = places(whole_rejects)
        .into_iter()
        .map(|(_, line)| match line {
            ..=2000 => (first.clone(), line),
            _ => (second.clone(), line - 2000),
        })
        .collect();
    assert!(expected.iter().any(|(f, _)| *f == second), "{expected:?}");
    assert_eq!(places(rejects), expected);
}

#[test]
fn stdin_is_a_log_among_others() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (first, second) = two_logs(dir.path(), 1000);
    let rest = std::fs::read_to_string(&second).expect("readable");
    let whole = run(&["eval", "--format", "json", CLAIMS, CLAIMS_LOG]);
    let piped = run_with(&["eval", "--format", "json", CLAIMS, &first, "-"], &rest);
    assert_eq!(piped.code, whole.code, "{}", piped.stderr);
    assert_eq!(
        without_log_places(json(&piped.stdout)),
        without_log_places(json(&whole.stdout))
    );
    let twice = run(&["eval", CLAIMS, "-", "-"]);
    assert_eq!(twice.code, 2);
    assert_eq!(twice.stderr, "error: stdin (`-`) can be read once\n");
}

#[test]
fn eval_refuses_an_output_over_any_input() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (first, second) = two_logs(dir.path(), 1000);
    let before = std::fs::read_to_string(&second).expect("readable");
    let ran = run(&["eval", "--reject-file", &second, CLAIMS, &first, &second]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("is the same file as"), "{}", ran.stderr);
    assert_eq!(std::fs::read_to_string(&second).expect("readable"), before);
    // A file the policy uses is an input too.
    let used = format!("{MULTI}/diamond/common.cxl");
    let before = std::fs::read_to_string(&used).expect("readable");
    let ran = run(&[
        "eval",
        "--escalations",
        &used,
        &format!("{MULTI}/diamond"),
        CLAIMS_LOG,
    ]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains(&format!("the policy `{used}`")),
        "{}",
        ran.stderr
    );
    assert_eq!(std::fs::read_to_string(&used).expect("readable"), before);
}

#[test]
fn eval_of_a_directory_without_policies_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ran = run(&["eval", dir.path().to_str().expect("UTF-8"), CLAIMS_LOG]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("no `.cxl` file under"),
        "{}",
        ran.stderr
    );
}

#[test]
fn the_verbs_that_take_one_policy_file_read_what_it_uses() {
    let main = format!("{MULTI}/diamond/main.cxl");
    let graph = run(&["graph", &main]);
    assert_eq!(graph.code, 0, "{}", graph.stderr);
    assert!(
        graph.stdout.starts_with("digraph \"j\""),
        "{}",
        graph.stdout
    );
    let simulated = run(&["simulate", "--customers", "3", &main]);
    assert_eq!(simulated.code, 0, "{}", simulated.stderr);
    assert_eq!(simulated.stdout.lines().count(), 6, "{}", simulated.stdout);
    let broken = run(&["graph", &format!("{MULTI}/used_error/main.cxl")]);
    assert_eq!(broken.code, 1);
    assert!(
        broken
            .stderr
            .contains(&format!("[{MULTI}/used_error/segments.cxl:2:39]")),
        "{}",
        broken.stderr
    );
}

#[test]
fn coverage_names_the_file_of_each_item() {
    let ran = run(&["test", "--coverage", &format!("{MULTI}/diamond")]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.contains(&format!(
            "  segments              0/2     0%  not exercised:\n    \
             {MULTI}/diamond/left.cxl line 2 gold\n    \
             {MULTI}/diamond/right/right.cxl line 2 silver\n"
        )),
        "{}",
        ran.stdout
    );
}

#[test]
fn a_problem_in_a_file_two_policies_use_is_reported_once() {
    let found = check_json(&format!("{MULTI}/shared"));
    let codes: Vec<&str> = found.iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["E0301"], "{found:?}");
    let ran = run(&["check", &format!("{MULTI}/shared")]);
    assert_eq!(ran.code, 1);
    // Two policies; common/segments.cxl is part of both, and not one of its own.
    let summaries: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.ends_with(" warnings"))
        .collect();
    assert_eq!(
        summaries,
        [
            format!("{MULTI}/shared/one/claims.cxl: 1 error, 0 warnings"),
            format!("{MULTI}/shared/two.cxl: 0 errors, 0 warnings")
        ]
    );
}

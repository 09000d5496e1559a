//! The front end at its edges, through the real binary: policies nested or chained
//! far deeper than anyone writes, and diagnostics on very long lines. `cxl check`
//! and `cxl eval` must answer with a result or a diagnostic (exit 1 for `check`,
//! 2 for `eval` on a policy with errors), never abort on a stack overflow (134) or
//! panic (101).

use assert_cmd::Command;
use std::path::PathBuf;

const LOG: &str = "tests/fixtures/eval/claims.ndjson";

/// What a run gave: exit code and stderr.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Write `policy` to a scratch file named `name` and run `cxl ARGS... FILE [LOG]`.
fn run_on(name: &str, policy: &str, args: &[&str], log: bool) -> Ran {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("frontend_cli");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, policy).expect("the policy is written");
    let mut cmd = Command::cargo_bin("cxl").expect("the cxl binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .arg(&path);
    if log {
        cmd.arg(LOG);
    }
    let output = cmd.output().expect("cxl runs");
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn check(name: &str, policy: &str) -> Ran {
    run_on(name, policy, &["check"], false)
}

fn eval(name: &str, policy: &str) -> Ran {
    run_on(name, policy, &["eval"], true)
}

/// A journey the segment conditions below can be used by, so that only the
/// condition under test gives diagnostics.
const JOURNEY: &str =
    "journey claim {\n  for big\n  goal settled\n  step report\n  step settled\n  path report -> settled\n}\n";

fn segment(condition: &str) -> String {
    format!("segment big {{ when {condition} }}\n{JOURNEY}")
}

fn chain(op: &str, terms: usize) -> String {
    (0..terms)
        .map(|i| format!("x == {i}"))
        .collect::<Vec<_>>()
        .join(&format!(" {op} "))
}

#[test]
fn a_chain_of_25_000_ors_checks_and_evaluates() {
    let policy = segment(&chain("or", 25_000));
    let ran = check("or_chain.cxl", &policy);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let ran = eval("or_chain.cxl", &policy);
    // The log's customers have no `x`: all are outside `big`, so the run
    // judged nothing, and says so with exit 3 (not a crash, not a false green).
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(ran.stdout.contains("claim"), "{}", ran.stdout);
    assert!(ran.stdout.starts_with("NOTHING JUDGED"), "{}", ran.stdout);
}

#[test]
fn a_chain_of_25_000_ands_checks_and_evaluates() {
    let policy = segment(&chain("and", 25_000));
    assert_eq!(check("and_chain.cxl", &policy).code, 0);
    assert_eq!(
        eval("and_chain.cxl", &policy).code,
        3,
        "nothing judged, as above"
    );
}

/// Every kind of nesting, far past the limit: E0109 at the first token too deep.
#[test]
fn deep_nesting_is_one_diagnostic_in_check_and_eval() {
    let deep = 10_000;
    let cases = [
        (
            "parens",
            segment(&format!("{}x == 1{}", "(".repeat(deep), ")".repeat(deep))),
        ),
        ("nots", segment(&format!("{}x == 1", "not ".repeat(deep)))),
        (
            "lists",
            segment(&format!("x in {}1{}", "[".repeat(deep), "]".repeat(deep))),
        ),
        (
            "path",
            format!(
                "journey j {{\n  step a\n  path {}a{}\n}}\n",
                "(".repeat(deep),
                ")".repeat(deep)
            ),
        ),
        (
            "postfix",
            format!("journey j {{\n  step a\n  path a{}\n}}\n", "?".repeat(deep)),
        ),
    ];
    for (name, policy) in cases {
        let file = format!("deep_{name}.cxl");
        let ran = check(&file, &policy);
        assert_eq!(ran.code, 1, "{name}: {}", ran.stderr);
        assert_eq!(
            ran.stderr.matches("E0109").count(),
            1,
            "{name}: {}",
            ran.stderr
        );
        assert!(ran.stderr.contains("nested more than 128 deep"), "{name}");
        assert!(ran.stderr.contains("1 error"), "{name}: {}", ran.stderr);
        let ran = eval(&file, &policy);
        assert_eq!(ran.code, 2, "{name}: {}", ran.stderr);
        assert!(ran.stderr.contains("E0109"), "{name}: {}", ran.stderr);
    }
}

/// Nesting up to the limit is a policy like any other.
#[test]
fn nesting_up_to_the_limit_checks_clean() {
    let depth = cxl::syntax::MAX_NESTING;
    let policy = segment(&format!("{}x == 1{}", "(".repeat(depth), ")".repeat(depth)));
    let ran = check("nesting_at_limit.cxl", &policy);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

/// A one-line policy of 100 KB with an error at its end: miette lays labels out
/// with a format width of their column, which panicked past 65 535.
#[test]
fn a_diagnostic_past_column_65_535_is_rendered() {
    let policy = format!("segment big {{ when {} or y == }}", chain("or", 10_000));
    assert!(policy.len() > 100_000);
    for ran in [
        check("long_line.cxl", &policy),
        eval("long_line.cxl", &policy),
    ] {
        assert!(ran.code == 1 || ran.code == 2, "{}", ran.stderr);
        assert!(ran.stderr.contains("E0101"), "{}", ran.stderr);
        let column = policy.len();
        assert!(
            ran.stderr.contains(&format!("long_line.cxl:1:{column}]")),
            "{}",
            &ran.stderr[..ran.stderr.len().min(2000)]
        );
        // Only the text around the label is shown, not the whole line.
        assert!(ran.stderr.len() < 2_000, "{} bytes", ran.stderr.len());
    }
}

//! `cxl report POLICY LOG -o FILE`, run as a user runs it: one self-contained
//! HTML page (no script, nothing from the network), every value from the
//! policy or the log escaped, the output never over an input, and the maps'
//! health matching the evaluation.

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const CLAIMS: &str = "examples/claims.cxl";
const CLAIMS_LOG: &str = "examples/claims.ndjson";
const HOSTILE: &str = "tests/fixtures/report/hostile.cxl";
const HOSTILE_LOG: &str = "tests/fixtures/report/hostile.ndjson";

struct Ran {
    code: i32,
    stderr: String,
}

fn run(args: &[&str]) -> Ran {
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("cxl runs");
    Ran {
        code: output.status.code().expect("an exit code"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A fresh scratch path.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report_cli");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// The page `cxl report` writes for `policy` and `log`.
fn page(policy: &str, log: &str, name: &str) -> String {
    let out = scratch(name);
    let ran = run(&["report", policy, log, "-o", out.to_str().expect("UTF-8")]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    std::fs::read_to_string(&out).expect("the page was written")
}

#[test]
fn the_page_is_self_contained() {
    let html = page(CLAIMS, CLAIMS_LOG, "claims.html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    // No script, no request: the policy forbids both, and nothing asks.
    assert!(
        html.contains("default-src 'none'"),
        "a CSP that forbids the network"
    );
    assert!(!html.to_lowercase().contains("<script"), "no script");
    for attr in ["src=", "href=", "@import", "url(http"] {
        assert!(!html.contains(attr), "no `{attr}`: nothing is fetched");
    }
    // The only URL is the SVG namespace.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(urls, namespaces, "only SVG namespaces name a URL");
    for section in [
        "id=\"summary\"",
        "id=\"findings\"",
        "id=\"escalations\"",
        "id=\"data-quality\"",
        "<h3>Funnel</h3>",
        "<h3>Time to goal</h3>",
        "class=\"journey-map\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
}

#[test]
fn every_value_from_the_policy_and_the_log_is_escaped() {
    let html = page(HOSTILE, HOSTILE_LOG, "hostile.html");
    let lower = html.to_lowercase();
    for raw in ["<script", "<img", "<b>", "<svg onload", "onerror=alert"] {
        assert!(!lower.contains(raw), "`{raw}` got through unescaped");
    }
    for shown in [
        // the journey's label, a stage's label, a step's label and owner
        "&lt;script&gt;alert(&#39;journey&#39;)&lt;/script&gt;",
        "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;script&gt;alert(&quot;step&quot;)&lt;/script&gt;",
        "O&#39;Brien &amp; &lt;b&gt;Sons&lt;/b&gt;",
        // customer ids among the examples
        "&lt;script&gt;alert(&#39;c&#39;)&lt;/script&gt;",
        "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;",
        // an event name that matches no step
        "&lt;svg onload=alert(4)&gt;",
    ] {
        assert!(html.contains(shown), "`{shown}` is shown as text");
    }
}

#[test]
fn the_output_never_overwrites_an_input() {
    for input in [CLAIMS, CLAIMS_LOG] {
        let before = std::fs::read(input).expect("readable");
        let ran = run(&["report", CLAIMS, CLAIMS_LOG, "-o", input]);
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        assert!(ran.stderr.contains(input), "{}", ran.stderr);
        assert_eq!(std::fs::read(input).expect("readable"), before);
    }
}

#[test]
fn a_run_that_judged_nothing_exits_3_and_says_so_on_the_page() {
    let out = scratch("nothing.html");
    let ran = run(&[
        "report",
        CLAIMS,
        HOSTILE_LOG,
        "-o",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let html = std::fs::read_to_string(&out).expect("the page was written");
    assert!(html.contains("data-problem=\"nothing_judged\""), "{html}");
}

#[test]
fn a_broken_policy_is_a_usage_error_and_writes_nothing() {
    let out = scratch("broken.html");
    let ran = run(&[
        "report",
        "tests/fixtures/eval/broken.cxl",
        CLAIMS_LOG,
        "-o",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(!out.exists());
}

/// The steps' `data-health` on the page is the evaluation's health, step by step.
#[test]
fn the_dots_match_the_evaluation() {
    let html = page(CLAIMS, CLAIMS_LOG, "dots.html");
    let output = Command::cargo_bin("cxl")
        .expect("built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["eval", "--format", "json", CLAIMS, CLAIMS_LOG])
        .output()
        .expect("cxl runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let steps = report["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    for step in steps {
        let name = step["step"].as_str().expect("a name");
        let health = step["health"].as_str().expect("a health");
        let group = format!("data-step=\"{name}\" data-health=\"{health}\"");
        assert_eq!(html.matches(&group).count(), 1, "{group}");
    }
}

#[test]
fn the_page_of_the_claims_example_is_snapshotted() {
    let html = page(CLAIMS, CLAIMS_LOG, "snapshot.html");
    insta::assert_snapshot!("report_claims_html", html);
}

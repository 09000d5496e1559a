//! `cxl test FILES`: run the policies' inline tests; text, or for CI JUnit XML,
//! JSON, SARIF or GitHub workflow commands.

use super::common::{self, LintArgs, Stop, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use super::output;
use cxl::report::{self, annotation};
use cxl::scenario::{run_tests, TestResult};
use serde_json::json;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// One line per test, failures explained.
    Text,
    /// JUnit XML, for CI systems.
    Junit,
    /// One JSON document: every test with its status, and the totals.
    Json,
    /// One SARIF 2.1.0 document: a result per failed test, at the test.
    Sarif,
    /// GitHub Actions workflow commands: an annotation per failed test.
    Github,
}

/// Arguments of `cxl test`.
#[derive(clap::Args)]
pub struct TestArgs {
    /// Policy files whose tests to run.
    #[arg(required = true)]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: TestFormat,
    #[command(flatten)]
    lints: LintArgs,
}

/// Run every test; exit 1 when one fails, 2 when a policy does not compile.
pub fn run(args: &TestArgs) -> u8 {
    test(args).unwrap_or_else(|stop| stop.exit_code())
}

fn test(args: &TestArgs) -> Result<u8, Stop> {
    output::plan_policies(&args.files)?;
    let levels = args.lints.levels()?;
    let mut suites = Vec::new();
    let mut annotations = Vec::new();
    for path in &args.files {
        let text = match common::read_file(path) {
            Ok(text) => text,
            Err(code) => return Ok(code),
        };
        match common::compile(&text, &levels) {
            Ok(policy) => {
                let results = run_tests(&policy, &text);
                annotations.extend(annotation::from_tests(&results, path, &text));
                suites.push((path.clone(), results));
            }
            Err(diagnostics) => {
                common::print_human(&diagnostics, path, &text);
                to_stderr!("{path}: {}", common::count_summary(&diagnostics));
                return Ok(EXIT_USAGE);
            }
        }
    }
    let out = match args.format {
        TestFormat::Text => text(&suites),
        TestFormat::Junit => junit(&suites),
        TestFormat::Json => {
            serde_json::to_string_pretty(&json(&suites)).map_err(|e| e.to_string())? + "\n"
        }
        TestFormat::Sarif => {
            let sarif = report::render_sarif(&annotation::test_rules(), &annotations);
            serde_json::to_string_pretty(&sarif).map_err(|e| e.to_string())? + "\n"
        }
        TestFormat::Github => report::render_github(&annotations),
    };
    output::print(&out)?;
    let failed = suites.iter().flat_map(|(_, r)| r).any(|r| !r.passed());
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

fn text(suites: &[(String, Vec<TestResult>)]) -> String {
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for (path, results) in suites {
        for r in results {
            if r.passed() {
                passed += 1;
                out.push_str(&format!("ok    {path}:{}  {}\n", r.line, r.name));
            } else {
                failed += 1;
                out.push_str(&format!("FAIL  {path}:{}  {}\n", r.line, r.name));
                for why in &r.failures {
                    out.push_str(&format!("        {why}\n"));
                }
            }
        }
    }
    out.push_str(&format!("\n{passed} passed, {failed} failed\n"));
    out
}

/// Every test with its file, line, status and failures, then the totals
/// (schema: `schemas/test.schema.json`).
fn json(suites: &[(String, Vec<TestResult>)]) -> serde_json::Value {
    let tests: Vec<serde_json::Value> = suites
        .iter()
        .flat_map(|(path, results)| results.iter().map(move |r| (path, r)))
        .map(|(path, r)| {
            json!({
                "name": r.name,
                "file": path,
                "line": r.line,
                "status": if r.passed() { "passed" } else { "failed" },
                "message": (!r.passed()).then(|| r.failures.join("\n")),
                "failures": r.failures,
            })
        })
        .collect();
    let failed = tests.iter().filter(|t| t["status"] == "failed").count();
    json!({
        "tests": tests,
        "totals": { "tests": tests.len(), "passed": tests.len() - failed, "failed": failed },
    })
}

fn junit(suites: &[(String, Vec<TestResult>)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (path, results) in suites {
        let failures = results.iter().filter(|r| !r.passed()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml(path),
            results.len()
        ));
        for r in results {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                xml(&r.name),
                xml(path)
            ));
            if r.passed() {
                out.push_str("/>\n");
            } else {
                out.push_str(">\n");
                out.push_str(&format!(
                    "      <failure message=\"{}\">{}</failure>\n",
                    xml(r.failures.first().map_or("", String::as_str)),
                    xml(&r.failures.join("\n"))
                ));
                out.push_str("    </testcase>\n");
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

//! `cxl test FILES`: run the policies' inline tests; text, or for CI JUnit XML,
//! JSON, SARIF or GitHub workflow commands. `--filter` picks tests by name,
//! `--coverage` says what they exercised. A policy that does not check still
//! gets a report in every format: its errors are failures.

use super::common::{self, LintArgs, Stop, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use super::output;
use cxl::diagnostic::{Lines, Sources};
use cxl::report::{self, annotation};
use cxl::scenario::{run_test, Coverage, Exercised, Failure, TestResult};
use cxl::{Diagnostic, Policy};
use serde_json::json;
use std::time::Instant;

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
    /// Policy files, or directories searched for `.cxl` files (recursively).
    #[arg(required = true)]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: TestFormat,
    /// Run only the tests whose name contains TEXT (case-sensitive); none is exit 2.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Say what the tests exercised of each policy: steps, expectations,
    /// escalation tiers and segments (after the results; on stderr with the
    /// formats for machines: junit, json, sarif, github).
    #[arg(long)]
    coverage: bool,
    /// Exit 1 when a policy's coverage is below N percent (implies --coverage).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    coverage_min: Option<u8>,
    #[command(flatten)]
    lints: LintArgs,
}

/// One test's result and how long it took.
struct Timed {
    result: TestResult,
    seconds: f64,
    /// The file the test is written in (a policy's tests may be in a file it uses).
    file: String,
}

/// What came of one policy file.
enum Suite {
    /// Its selected tests ran.
    Ran {
        results: Vec<Timed>,
        /// Tests left out by `--filter`.
        filtered_out: usize,
        coverage: Coverage,
    },
    /// It does not check: each error, with its line, is a failure.
    DoesNotCheck { errors: Vec<(usize, String)> },
}

/// Run every test; exit 1 when one fails (or coverage is below `--coverage-min`),
/// 2 when a policy does not check or `--filter` selects no test.
pub fn run(args: &TestArgs) -> u8 {
    test(args).unwrap_or_else(|stop| stop.exit_code())
}

fn test(args: &TestArgs) -> Result<u8, Stop> {
    let files = common::policy_files(&args.files)?;
    let levels = args.lints.levels()?;
    let policies = common::policies(&files)?;
    let mut suites = Vec::new();
    let mut annotations = Vec::new();
    for loaded in &policies {
        let sources = &loaded.sources;
        let path = sources.files().first().map_or("", |f| f.name.as_str());
        let suite = match common::compile(loaded, &levels) {
            Ok(policy) => {
                let suite = run_suite(&policy, sources.text(), args.filter.as_deref());
                if let Suite::Ran { results, .. } = &suite {
                    let results = results.iter().map(|t| &t.result);
                    annotations.extend(annotation::from_tests(results, sources));
                }
                suite
            }
            Err(diagnostics) => {
                common::print_human_files(&diagnostics, sources);
                to_stderr!("{path}: {}", common::count_summary(&diagnostics));
                let failing: Vec<Diagnostic> = diagnostics
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .collect();
                annotations.extend(annotation::from_diagnostics(&failing, sources));
                Suite::DoesNotCheck {
                    errors: errors(&failing, sources),
                }
            }
        };
        suites.push((path.to_string(), suite));
    }
    let selected: usize = suites
        .iter()
        .map(|(_, s)| match s {
            Suite::Ran { results, .. } => results.len(),
            Suite::DoesNotCheck { .. } => 0,
        })
        .sum();
    let unchecked = suites
        .iter()
        .any(|(_, s)| matches!(s, Suite::DoesNotCheck { .. }));
    if let (Some(filter), 0, false) = (&args.filter, selected, unchecked) {
        let total: usize = suites
            .iter()
            .map(|(_, s)| match s {
                Suite::Ran { filtered_out, .. } => *filtered_out,
                Suite::DoesNotCheck { .. } => 0,
            })
            .sum();
        let files = suites.len();
        to_stderr!(
            "error: no test name contains `{filter}` ({total} test{} in {files} file{})",
            if total == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" }
        );
        return Ok(EXIT_USAGE);
    }
    let mut out = match args.format {
        TestFormat::Text => text(&suites, args.filter.is_some()),
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
    let min = args.coverage_min;
    let table = if args.coverage || min.is_some() {
        coverage_table(&suites)
    } else {
        String::new()
    };
    // The formats for machines keep stdout one document.
    match args.format {
        TestFormat::Text => out.push_str(&table),
        _ if !table.is_empty() => to_stderr!("{}", table.trim_end()),
        _ => {}
    }
    output::print(&out)?;
    if unchecked {
        return Ok(EXIT_USAGE);
    }
    let failed = suites.iter().any(|(_, s)| match s {
        Suite::Ran { results, .. } => results.iter().any(|t| !t.result.passed()),
        Suite::DoesNotCheck { .. } => true,
    });
    let mut below = false;
    if let Some(min) = min {
        for (path, suite) in &suites {
            if let Suite::Ran { coverage, .. } = suite {
                if coverage.percent() < f64::from(min) {
                    to_stderr!(
                        "error: the tests of {path} exercise {}% of it, below --coverage-min {min}",
                        coverage.percent().floor()
                    );
                    below = true;
                }
            }
        }
    }
    Ok(if failed || below {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// Run the tests of one policy that `filter` selects, each timed.
fn run_suite(policy: &Policy, text: &str, filter: Option<&str>) -> Suite {
    let mut results = Vec::new();
    let mut exercised = Exercised::default();
    let mut filtered_out = 0;
    for case in &policy.tests {
        if filter.is_some_and(|f| !case.name.value.contains(f)) {
            filtered_out += 1;
            continue;
        }
        let started = Instant::now();
        let result = run_test(policy, text, case);
        let seconds = started.elapsed().as_secs_f64();
        exercised.merge(&result.exercised);
        let file = policy.sources.locate(result.span);
        let file = file.map_or_else(String::new, |(f, _)| f.name.clone());
        results.push(Timed {
            result,
            seconds,
            file,
        });
    }
    Suite::Ran {
        results,
        filtered_out,
        coverage: Coverage::of(policy, &exercised),
    }
}

/// The errors of a policy that does not check, as (line, `CODE message`); an
/// error in another file than the policy's first names that file.
fn errors(diagnostics: &[Diagnostic], sources: &Sources) -> Vec<(usize, String)> {
    let lines = Lines::new(sources);
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let at = d.primary_span().map(|s| s.start);
            let line = at.map_or(1, |at| lines.line(at));
            let file = at.and_then(|at| lines.file(at)).filter(|f| {
                sources
                    .files()
                    .first()
                    .is_some_and(|first| first.name != *f)
            });
            match file {
                Some(file) => (line, format!("{} {} (in {file})", d.code, d.message)),
                None => (line, format!("{} {}", d.code, d.message)),
            }
        })
        .collect()
}

fn text(suites: &[(String, Suite)], filtered: bool) -> String {
    let mut out = String::new();
    let (mut passed, mut failed, mut check_errors, mut left_out) = (0, 0, 0, 0);
    for (path, suite) in suites {
        match suite {
            Suite::Ran {
                results,
                filtered_out,
                ..
            } => {
                left_out += filtered_out;
                for Timed {
                    result: r, file, ..
                } in results
                {
                    if r.passed() {
                        passed += 1;
                        out.push_str(&format!("ok    {file}:{}  {}\n", r.line, r.name));
                        continue;
                    }
                    failed += 1;
                    out.push_str(&format!("FAIL  {file}:{}  {}\n", r.line, r.name));
                    for failure in &r.failures {
                        out.push_str(&format!("        {failure}\n"));
                        for line in &failure.context {
                            out.push_str(&format!("          {line}\n"));
                        }
                    }
                }
            }
            Suite::DoesNotCheck { errors } => {
                for (line, error) in errors {
                    check_errors += 1;
                    out.push_str(&format!("FAIL  {path}:{line}  does not check: {error}\n"));
                }
            }
        }
    }
    out.push_str(&format!("\n{passed} passed, {failed} failed"));
    if check_errors > 0 {
        let s = if check_errors == 1 { "" } else { "s" };
        out.push_str(&format!(", {check_errors} check error{s}"));
    }
    if filtered {
        out.push_str(&format!(", {left_out} filtered out"));
    }
    out.push('\n');
    out
}

/// Every test with its file, line, status and failures (each with what happened
/// instead), then the totals; each error of a policy that does not check is a
/// failed test, as in JUnit (schema: `schemas/test.schema.json`).
fn json(suites: &[(String, Suite)]) -> serde_json::Value {
    let mut tests = Vec::new();
    let (mut passed, mut failed, mut check_errors) = (0, 0, 0);
    for (path, suite) in suites {
        match suite {
            Suite::Ran { results, .. } => {
                for Timed {
                    result: r, file, ..
                } in results
                {
                    if r.passed() {
                        passed += 1;
                    } else {
                        failed += 1;
                    }
                    tests.push(json!({
                        "name": r.name,
                        "file": file,
                        "line": r.line,
                        "status": if r.passed() { "passed" } else { "failed" },
                        "message": (!r.passed()).then(|| explained(&r.failures)),
                        "failures": r.failures,
                    }));
                }
            }
            Suite::DoesNotCheck { errors } => {
                for (line, error) in errors {
                    failed += 1;
                    check_errors += 1;
                    let failure = Failure {
                        line: *line,
                        message: format!("does not check: {error}"),
                        context: Vec::new(),
                    };
                    tests.push(json!({
                        "name": failure.message,
                        "file": path,
                        "line": line,
                        "status": "failed",
                        "message": failure.to_string(),
                        "failures": [failure],
                    }));
                }
            }
        }
    }
    json!({
        "tests": tests,
        "totals": {
            "tests": tests.len(),
            "passed": passed,
            "failed": failed,
            "check_errors": check_errors,
        },
    })
}

/// A failed test's failures, each followed by what happened instead (indented),
/// a line each: the message of its JUnit failure, JSON entry and annotation.
fn explained(failures: &[Failure]) -> String {
    let mut body = Vec::new();
    for failure in failures {
        body.push(failure.to_string());
        body.extend(failure.context.iter().map(|c| format!("  {c}")));
    }
    body.join("\n")
}

/// Per policy: the total, then one line per kind with what was not exercised.
fn coverage_table(suites: &[(String, Suite)]) -> String {
    let mut out = String::new();
    for (path, suite) in suites {
        let Suite::Ran { coverage, .. } = suite else {
            continue;
        };
        out.push_str(&format!(
            "\ncoverage of {path}: {}/{}  {}%\n",
            coverage.covered(),
            coverage.total(),
            coverage.percent().floor()
        ));
        for kind in &coverage.kinds {
            let missed: Vec<String> = kind
                .items
                .iter()
                .filter(|i| !i.covered)
                .map(|i| match &i.file {
                    Some(file) => format!("{file} line {} {}", i.line, i.name),
                    None => format!("line {} {}", i.line, i.name),
                })
                .collect();
            out.push_str(&format!(
                "  {:<17} {:>7}  {:>4}%",
                kind.kind,
                format!("{}/{}", kind.covered(), kind.items.len()),
                kind.percent().floor()
            ));
            if !missed.is_empty() {
                out.push_str("  not exercised:");
                for m in missed {
                    out.push_str(&format!("\n    {m}"));
                }
            }
            out.push('\n');
        }
    }
    out
}

fn junit(suites: &[(String, Suite)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (path, suite) in suites {
        let file = xml(path);
        match suite {
            Suite::Ran { results, .. } => {
                let failures = results.iter().filter(|t| !t.result.passed()).count();
                let time: f64 = results.iter().map(|t| t.seconds).sum();
                out.push_str(&format!(
                    "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">\n",
                    results.len()
                ));
                for Timed {
                    result: r,
                    seconds,
                    file: written,
                } in results
                {
                    out.push_str(&format!(
                        "    <testcase name=\"{}\" classname=\"{file}\" file=\"{}\" line=\"{}\" time=\"{seconds:.3}\"",
                        xml(&r.name),
                        xml(written),
                        r.line
                    ));
                    let Some(first) = r.failures.first() else {
                        out.push_str("/>\n");
                        continue;
                    };
                    out.push_str(&format!(
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                        xml(&first.to_string()),
                        xml(&explained(&r.failures))
                    ));
                }
            }
            Suite::DoesNotCheck { errors } => {
                out.push_str(&format!(
                    "  <testsuite name=\"{file}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\" time=\"0.000\">\n",
                    n = errors.len()
                ));
                for (line, error) in errors {
                    let error = xml(error);
                    out.push_str(&format!(
                        "    <testcase name=\"does not check: {error}\" classname=\"{file}\" file=\"{file}\" line=\"{line}\" time=\"0.000\">\n      <failure message=\"{error}\">{file}:{line}: {error}</failure>\n    </testcase>\n"
                    ));
                }
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

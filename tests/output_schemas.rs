//! The machine-readable outputs of `cxl` follow the JSON Schemas in `schemas/`
//! (draft 2020-12): `eval --format json` and `--format ndjson` (each line), the
//! `--escalations` and `--reject-file` files, `check --format json`,
//! `profile --format json` and `graph --format json`, `test --format json`, on
//! the bundled examples, every diagnostic fixture, and the real public logs of
//! `examples/real/`; and the SARIF of `check`, `test` and `eval` against the
//! official SARIF 2.1.0 schema (`schemas/sarif-2.1.0.json`).
//!
//! The schemas are strict (required fields, enums for levels and kinds, no
//! unknown fields where the shape is fixed), so a change to an output that the
//! schemas do not describe fails here; the tests at the end show that they reject
//! outputs with a field missing, added or misspelt.

use assert_cmd::Command;
use jsonschema::Validator;
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

/// The real logs and the example policy for each, with the flags it needs
/// (as in examples/real/README.md).
const REAL: &[(&str, &str, &[&str])] = &[
    ("running_example.cxl", "running-example.xes", &[]),
    ("running_example.cxl", "running-example.csv", &[]),
    ("road_traffic.cxl", "roadtraffic100traces.xes", &[]),
    ("repair.cxl", "03_repairExample.xes.gz", &[]),
    ("teleclaims.cxl", "02_teleclaims.xes.gz", &[]),
    ("receipt.cxl", "08_receipt.xes.gz", &[]),
    ("receipt.cxl", "receipt.csv", &[]),
    (
        "bpic2013_closed.cxl",
        "06_bpic2013_closed.xes.gz",
        &["--classifier", "Activity classifier"],
    ),
    (
        "bpic2013_incidents.cxl",
        "07_bpic2013_incidents.xes.gz",
        &[],
    ),
    ("helpdesk.cxl", "helpdesk.xes.gz", &[]),
    ("bpic2012.cxl", "bpic2012.xes.gz", &[]),
];

/// The bundled example policies and their logs.
const EXAMPLES: &[(&str, &str)] = &[
    ("examples/claims.cxl", "examples/claims.ndjson"),
    (
        "examples/telecom_support.cxl",
        "examples/telecom_support.ndjson",
    ),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The validator of `schemas/NAME`, its relative `$ref`s resolved beside it.
fn schema(name: &str) -> Validator {
    let path = repo().join("schemas").join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{name} declares draft 2020-12"
    );
    jsonschema::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("{name} is not a valid schema: {e}"));
    jsonschema::draft202012::options()
        .with_base_uri(format!("file://{}", path.display()))
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every violation of `value` against `validator`, as text; empty when valid.
fn violations(validator: &Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Panic with every violation, naming what was validated.
fn assert_valid(validator: &Validator, value: &Value, what: &str) {
    let errors = violations(validator, value);
    assert!(
        errors.is_empty(),
        "{what} does not follow its schema:\n{}",
        errors.into_iter().take(20).collect::<Vec<_>>().join("\n")
    );
}

/// `cxl ARGS` from the repository root: exit code and stdout.
fn cxl(args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("cxl")
        .expect("the cxl binary")
        .current_dir(repo())
        .args(args)
        .output()
        .expect("cxl runs");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    (output.status.code().unwrap_or(-1), stdout)
}

fn parse(text: &str, what: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what} is not JSON ({e})"))
}

/// A fresh scratch path for an output file.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("output_schemas");
    fs::create_dir_all(&dir).expect("a scratch folder");
    let path = dir.join(name);
    let _ = fs::remove_file(&path);
    path
}

/// Every line of an NDJSON file against `validator`; how many lines there were.
fn assert_lines_valid(validator: &Validator, path: &Path, what: &str) -> usize {
    let text = fs::read_to_string(path).unwrap_or_default();
    for (n, line) in text.lines().enumerate() {
        assert_valid(
            validator,
            &parse(line, what),
            &format!("{what}, line {}", n + 1),
        );
    }
    text.lines().count()
}

/// `args` followed by `more`.
fn with<'a>(args: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    args.iter().chain(more).copied().collect()
}

/// `cxl eval` of one policy on one log, in JSON and in NDJSON with the
/// escalation and reject files, every output against its schema.
fn eval_outputs_follow_the_schemas(policy: &str, log: &str, extra: &[&str]) {
    let what = format!("cxl eval {policy} {log}");
    let mut args = vec!["eval", policy, log, "--fail-on", "never"];
    args.extend(extra);

    let (code, out) = cxl(&with(&args, &["--format", "json"]));
    assert_eq!(code, 0, "{what} --format json failed");
    let report = parse(&out, &what);
    assert_valid(
        &schema("eval.schema.json"),
        &report,
        &format!("{what} --format json"),
    );

    let name = Path::new(log)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_default();
    let escalations = scratch(&format!("{name}.escalations.ndjson"));
    let rejects = scratch(&format!("{name}.rejects.ndjson"));
    let alignments = scratch(&format!("{name}.alignments.ndjson"));
    let files = [
        "--format",
        "ndjson",
        "--escalations",
        escalations.to_str().expect("a UTF-8 path"),
        "--reject-file",
        rejects.to_str().expect("a UTF-8 path"),
        "--alignments",
        alignments.to_str().expect("a UTF-8 path"),
    ];
    let (code, out) = cxl(&with(&args, &files));
    assert_eq!(code, 0, "{what} --format ndjson failed");
    let line = schema("eval-ndjson.schema.json");
    let lines: Vec<Value> = out.lines().map(|l| parse(l, &what)).collect();
    for (n, value) in lines.iter().enumerate() {
        assert_valid(
            &line,
            value,
            &format!("{what} --format ndjson, line {}", n + 1),
        );
    }
    let last = lines.last().expect("the summary line");
    assert_eq!(
        last["summary"], true,
        "{what}: the last NDJSON line is the summary"
    );
    let summaries = lines.iter().filter(|l| l["summary"] == true).count();
    assert_eq!(summaries, 1, "{what}: one summary line");

    let fired = assert_lines_valid(&schema("eval-escalations.schema.json"), &escalations, &what);
    assert_eq!(
        Some(fired as u64),
        report["escalations_fired"].as_u64(),
        "{what}: escalations file"
    );
    let aligned = assert_lines_valid(&schema("alignments.schema.json"), &alignments, &what);
    let instances: u64 = report["journeys"]
        .as_array()
        .expect("journeys")
        .iter()
        .map(|j| j["entered"].as_u64().expect("entered"))
        .sum();
    assert_eq!(
        aligned as u64, instances,
        "{what}: one alignment record per journey instance"
    );
    let rejected = assert_lines_valid(&schema("eval-rejects.schema.json"), &rejects, &what);
    assert_eq!(
        Some(rejected as u64),
        report["input"]["rejected"].as_u64(),
        "{what}: reject file"
    );
}

#[test]
fn eval_outputs_of_the_bundled_examples_follow_the_schemas() {
    for (policy, log) in EXAMPLES {
        eval_outputs_follow_the_schemas(policy, log, &[]);
    }
}

#[test]
fn eval_outputs_of_the_real_logs_follow_the_schemas() {
    for (policy, log, extra) in REAL {
        let policy = format!("examples/real/{policy}");
        let log = format!("examples/real/logs/{log}");
        eval_outputs_follow_the_schemas(&policy, &log, extra);
    }
}

#[test]
fn profiles_follow_the_schema() {
    let validator = schema("profile.schema.json");
    let logs = EXAMPLES.iter().map(|(_, log)| log.to_string());
    let real = REAL
        .iter()
        .map(|(_, log, _)| format!("examples/real/logs/{log}"));
    let mut seen = std::collections::BTreeSet::new();
    for log in logs.chain(real).filter(|l| seen.insert(l.clone())) {
        let (code, out) = cxl(&["profile", &log, "--format", "json"]);
        assert_eq!(code, 0, "cxl profile {log} failed");
        assert_valid(
            &validator,
            &parse(&out, &log),
            &format!("cxl profile {log}"),
        );
    }
}

/// Every `.cxl` file under `dir`, sorted.
fn policies(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cxl"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    files.sort();
    files
}

#[test]
fn graphs_follow_the_schema() {
    let validator = schema("graph.schema.json");
    let mut shapes = (0, 0);
    for policy in policies("examples")
        .into_iter()
        .chain(policies("examples/real"))
    {
        let (code, out) = cxl(&["graph", &policy, "--format", "json"]);
        assert_eq!(code, 0, "cxl graph {policy} failed");
        let graph = parse(&out, &policy);
        assert_valid(&validator, &graph, &format!("cxl graph {policy}"));
        if graph.is_array() {
            shapes.1 += 1;
        } else {
            shapes.0 += 1;
        }
    }
    assert!(
        shapes.0 > 0 && shapes.1 > 0,
        "both shapes, one journey and several, are tried: {shapes:?}"
    );
}

#[test]
fn comparisons_follow_the_schema() {
    let validator = schema("compare.schema.json");
    for (policy, log) in EXAMPLES {
        let (code, out) = cxl(&["compare", policy, log, "--format", "json"]);
        assert_eq!(code, 0, "cxl compare {policy} {log} failed");
        let value = parse(&out, policy);
        assert_valid(&validator, &value, &format!("cxl compare {policy}"));
        assert_eq!(value["ideal"], "simulated");
    }
    let (policy, log, _) = REAL
        .iter()
        .find(|(p, _, _)| *p == "helpdesk.cxl")
        .expect("the helpdesk log");
    let policy = format!("examples/real/{policy}");
    let log = format!("examples/real/logs/{log}");
    let (code, out) = cxl(&[
        "compare", &policy, &log, "--ideal", &log, "--format", "json",
    ]);
    assert_eq!(code, 0, "cxl compare {policy} --ideal {log} failed");
    let value = parse(&out, &policy);
    assert_valid(&validator, &value, "cxl compare --ideal");
    let mut wrong = value;
    wrong["journeys"][0]["steps"][0]["actual_reach"] = json!(1.5);
    assert!(
        !violations(&validator, &wrong).is_empty(),
        "a reach of 150% is refused"
    );
}

#[test]
fn check_diagnostics_follow_the_schema() {
    let validator = schema("check.schema.json");
    let mut files = policies("tests/fixtures/invalid");
    files.extend(policies("examples"));
    files.extend(policies("examples/real"));
    // Policies in several files: labels in the files they use.
    files.push("tests/fixtures/multi".to_string());
    let args: Vec<&str> = ["check", "--format", "json"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, out) = cxl(&args);
    assert_eq!(code, 1, "the invalid fixtures have errors");
    let diagnostics = parse(&out, "cxl check --format json");
    assert_valid(&validator, &diagnostics, "cxl check --format json");
    let count = diagnostics.as_array().map_or(0, Vec::len);
    assert!(
        count >= files.len() / 2,
        "only {count} diagnostics for {} files",
        files.len()
    );
    let (code, out) = cxl(&["check", "--format", "json", "examples/claims.cxl"]);
    assert_eq!(
        (code, parse(&out, "clean")),
        (0, json!([])),
        "a clean policy gives []"
    );
}

/// The official SARIF 2.1.0 schema (OASIS, with errata 01; JSON Schema draft 4).
fn sarif_schema() -> Validator {
    let path = repo().join("schemas/sarif-2.1.0.json");
    let text = fs::read_to_string(&path).expect("schemas/sarif-2.1.0.json");
    let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the SARIF schema: {e}"))
}

/// `cxl ARGS --format sarif` against the official schema; its results.
fn assert_sarif(validator: &Validator, args: &[&str], expected_code: i32) -> Vec<Value> {
    let args = with(args, &["--format", "sarif"]);
    let what = format!("cxl {}", args.join(" "));
    let (code, out) = cxl(&args);
    assert_eq!(code, expected_code, "{what}");
    let sarif = parse(&out, &what);
    assert_valid(validator, &sarif, &what);
    assert_eq!(
        sarif["$schema"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    sarif["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn sarif_outputs_follow_the_official_schema() {
    let validator = sarif_schema();
    let mut files = policies("tests/fixtures/invalid");
    files.extend(policies("examples"));
    files.extend(policies("examples/real"));
    let check: Vec<&str> = std::iter::once("check")
        .chain(files.iter().map(String::as_str))
        .collect();
    let results = assert_sarif(&validator, &check, 1);
    assert!(
        results.len() >= files.len() / 2,
        "{} results",
        results.len()
    );
    assert!(
        results.iter().any(|r| r["relatedLocations"].is_array()),
        "secondary labels"
    );

    let results = assert_sarif(&validator, &["test", "tests/fixtures/ci/tests.cxl"], 1);
    assert_eq!(results.len(), 1, "one failed test");
    let results = assert_sarif(&validator, &["test", "examples/claims.cxl"], 0);
    assert!(results.is_empty());

    // The smaller real logs: the larger ones give hundreds of megabytes of the
    // same shapes, and their JSON reports are checked above.
    let real = [REAL[0], REAL[2], REAL[3], REAL[6]];
    let logs = EXAMPLES
        .iter()
        .map(|&(p, l)| (p.to_string(), l.to_string(), &[][..]));
    let real = real.iter().map(|(p, l, extra)| {
        (
            format!("examples/real/{p}"),
            format!("examples/real/logs/{l}"),
            *extra,
        )
    });
    for (policy, log, extra) in logs.chain(real) {
        let args = with(&["eval", &policy, &log, "--fail-on", "never"], extra);
        let results = assert_sarif(&validator, &args, 0);
        assert!(!results.is_empty(), "{policy} on {log}: findings");
    }
}

#[test]
fn test_results_follow_the_schema() {
    let validator = schema("test.schema.json");
    let mut files = policies("examples");
    files.push("tests/fixtures/ci/tests.cxl".to_string());
    let args: Vec<&str> = ["test", "--format", "json"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, out) = cxl(&args);
    assert_eq!(code, 1, "the fixture has a failing test");
    let results = parse(&out, "cxl test --format json");
    assert_valid(&validator, &results, "cxl test --format json");
    assert!(results["totals"]["passed"].as_u64() > Some(1), "{results}");
    // A policy that does not check: its errors are failed tests.
    let (code, out) = cxl(&["test", "--format", "json", "tests/fixtures/eval/broken.cxl"]);
    assert_eq!(code, 2, "the policy does not check");
    let results = parse(&out, "cxl test --format json (does not check)");
    assert_valid(
        &validator,
        &results,
        "cxl test --format json (does not check)",
    );
    assert_eq!(results["totals"]["check_errors"], 1, "{results}");
}

/// The schemas matter: outputs with a field missing, added, misspelt or of the
/// wrong type are refused.
mod strictness {
    use super::*;

    fn first_finding() -> Value {
        let (_, out) = cxl(&[
            "eval",
            "examples/claims.cxl",
            "examples/claims.ndjson",
            "--format",
            "ndjson",
        ]);
        let line = out.lines().next().expect("a finding");
        parse(line, "the first finding")
    }

    fn refused(validator: &Validator, value: &Value, change: &str) {
        assert!(
            !violations(validator, value).is_empty(),
            "the schema accepts an output with {change}"
        );
    }

    #[test]
    fn a_finding_with_a_wrong_field_is_refused() {
        let validator = schema("eval-ndjson.schema.json");
        let finding = first_finding();
        assert_valid(&validator, &finding, "the first finding");
        let mut v = finding.clone();
        v["level"] = json!("orange");
        refused(&validator, &v, "level `orange`");
        let mut v = finding.clone();
        v["kind"] = json!("late");
        refused(&validator, &v, "kind `late`");
        let mut v = finding.clone();
        v["colour"] = json!("red");
        refused(&validator, &v, "an unknown field");
        let mut v = finding.clone();
        v.as_object_mut().map(|m| m.remove("message"));
        refused(&validator, &v, "no message");
        let mut v = finding;
        v["time"] = json!("yesterday");
        refused(&validator, &v, "a time that is not RFC 3339");
    }

    #[test]
    fn a_report_with_a_wrong_field_is_refused() {
        let validator = schema("eval.schema.json");
        let (_, out) = cxl(&[
            "eval",
            "examples/claims.cxl",
            "examples/claims.ndjson",
            "--format",
            "json",
        ]);
        let report = parse(&out, "the report");
        assert_valid(&validator, &report, "the report");
        let mut v = report.clone();
        v["summary"] = json!(true);
        refused(&validator, &v, "`summary` in the JSON report");
        let mut v = report.clone();
        v["input"].as_object_mut().map(|m| m.remove("rejected"));
        refused(&validator, &v, "no rejected count");
        let mut v = report.clone();
        v["steps"][0]["health"] = json!("amber");
        refused(&validator, &v, "health `amber`");
        let mut v = report;
        v["level_counts"]["critical"] = json!(1);
        refused(&validator, &v, "a level `critical` in level_counts");
    }

    #[test]
    fn a_summary_line_is_not_a_report_and_a_report_is_not_a_line() {
        let line = schema("eval-ndjson.schema.json");
        let (_, out) = cxl(&[
            "eval",
            "examples/claims.cxl",
            "examples/claims.ndjson",
            "--format",
            "json",
        ]);
        let report = parse(&out, "the report");
        refused(&line, &report, "the whole report as an NDJSON line");
    }

    #[test]
    fn a_sarif_result_with_a_wrong_field_is_refused() {
        let validator = sarif_schema();
        let (_, out) = cxl(&[
            "check",
            "--format",
            "sarif",
            "tests/fixtures/invalid/E0203_unknown_step.cxl",
        ]);
        let sarif = parse(&out, "sarif");
        assert_valid(&validator, &sarif, "sarif");
        let mut bad = sarif.clone();
        bad["runs"][0]["results"][0]["level"] = json!("red");
        refused(&validator, &bad, "a level SARIF does not have");
        let mut bad = sarif.clone();
        bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            json!(0);
        refused(&validator, &bad, "a line 0");
        let mut bad = sarif;
        bad["runs"][0]["results"][0]["message"] = json!("text");
        refused(&validator, &bad, "a message that is not a message object");
    }

    #[test]
    fn a_graph_or_diagnostic_with_a_wrong_field_is_refused() {
        let graph = schema("graph.schema.json");
        let (_, out) = cxl(&["graph", "examples/claims.cxl", "--format", "json"]);
        let value = parse(&out, "the graph");
        let mut v = value.clone();
        v["edges"][0]["to"] = json!("node 3");
        refused(&graph, &v, "an edge to `node 3`");
        let mut v = value;
        v["nodes"][1]["kind"] = json!("stage");
        refused(&graph, &v, "a node of kind `stage`");

        let check = schema("check.schema.json");
        let (_, out) = cxl(&[
            "check",
            "--format",
            "json",
            "tests/fixtures/invalid/E0101_single_equals.cxl",
        ]);
        let value = parse(&out, "the diagnostics");
        assert_valid(&check, &value, "the diagnostics");
        let mut v = value;
        v[0]["level"] = json!("fatal");
        refused(&check, &v, "level `fatal`");
    }
}

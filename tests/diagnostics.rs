//! What a user sees for a broken policy: every file in `tests/fixtures/invalid/` is
//! parsed and checked, and its diagnostics are rendered in plain text and
//! snapshotted, so a new case is a new file. Key diagnostics are also asserted field
//! by field below, so a careless snapshot update cannot hide a regression.

use cxl::check::{check, Checked, Origin, Type};
use cxl::diagnostic::{render_human, Code, Diagnostic};
use cxl::syntax::parse;

/// Syntax diagnostics first, then the check's.
fn diagnose(text: &str) -> (Vec<Diagnostic>, Checked) {
    let parsed = parse(text);
    let checked = check(&parsed.file);
    let mut all = parsed.diagnostics;
    all.extend(checked.diagnostics.iter().cloned());
    (all, checked)
}

#[test]
fn invalid_fixtures() {
    insta::glob!("fixtures/invalid/*.cxl", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("fixture name");
        // The whole front end, as `cxl check` runs it: syntax, check, graph lints.
        let diags = cxl::check_source(&text);
        assert!(!diags.is_empty(), "{name} has no diagnostic");
        insta::assert_snapshot!(render_human(&diags, name, &text, false));
        // A fixture is named for the code it is about: `E0201_unknown_segment.cxl`;
        // a file with several errors of one stage names the stage: `E01_...`.
        let expected = name.split('_').next().unwrap_or_default();
        assert!(
            diags.iter().any(|d| d.code.as_str().starts_with(expected)),
            "{name} does not report {expected}"
        );
    });
}

/// The text a diagnostic's primary label underlines.
fn underlined<'a>(d: &Diagnostic, text: &'a str) -> &'a str {
    let span = d.primary_span().expect("a primary label");
    &text[span.start..span.end]
}

/// The only diagnostic with `code`.
fn only(diags: &[Diagnostic], code: Code) -> Diagnostic {
    let found: Vec<_> = diags.iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "expected one {code}, got {diags:#?}");
    found[0].clone()
}

#[test]
fn the_standard_library_parses_and_checks_clean() {
    for name in cxl::stdlib::module_names() {
        let text = cxl::stdlib::module(name).expect("module text");
        let (diags, checked) = diagnose(text);
        assert_eq!(diags, vec![], "{name}");
        assert!(checked.scope.metrics.len() >= 3, "{name} declares metrics");
        assert!(
            checked.scope.expectation_sets.len() >= 3,
            "{name} declares sets"
        );
    }
}

#[test]
fn a_used_module_brings_its_declarations_with_their_origin() {
    let text = "use std/cx\nmetric csat { range 1..10; higher is better }\n";
    let (diags, checked) = diagnose(text);
    assert_eq!(diags, vec![]);
    let scope = &checked.scope;
    assert_eq!(scope.modules, vec!["std/cx".to_string()]);
    assert_eq!(
        scope.metrics["csat"].origin,
        Origin::File,
        "the file shadows the module"
    );
    assert_eq!(scope.metrics["ces"].origin, Origin::Module("std/cx".into()));
    assert!(scope.expectation_sets.contains_key("frictionless"));
}

#[test]
fn a_typo_in_a_metric_suggests_the_declared_one() {
    let text =
        "use std/cx\njourney j { goal b; path a -> b; step a; step b }\nexpect j.b { cast >= 4 }\n";
    let (diags, _) = diagnose(text);
    let d = only(&diags, Code::UnknownMetric);
    assert_eq!(d.message, "unknown metric `cast`");
    assert_eq!(d.help.as_deref(), Some("did you mean `csat`?"));
    assert_eq!(underlined(&d, text), "cast");
}

#[test]
fn a_metric_of_an_unused_module_says_which_module_to_use() {
    let text = "journey j { goal b; path a -> b; step a; step b }\nexpect j.b { csat >= 4 }\n";
    let (diags, _) = diagnose(text);
    let d = only(&diags, Code::UnknownMetric);
    assert_eq!(
        d.help.as_deref(),
        Some("`csat` is declared in `std/cx`: add `use std/cx` at the top of the file")
    );
}

#[test]
fn an_unknown_step_suggests_a_step_of_the_same_journey() {
    let text = "journey j { goal settled; path report -> settled; step report; step settled }\n\
                journey k { goal setled; path setled; step setled }\n\
                expect j.setled { within 1h after report }\n";
    let (diags, _) = diagnose(text);
    let d = only(&diags, Code::UnknownStep);
    assert_eq!(d.message, "journey `j` has no step `setled`");
    assert_eq!(d.help.as_deref(), Some("did you mean `settled`?"));
    assert_eq!(underlined(&d, text), "setled");
}

#[test]
fn a_duplicate_name_points_at_both_declarations() {
    let text =
        "segment gold { when tier == \"gold\" }\nsegment gold { when tier == \"platinum\" }\n";
    let (diags, _) = diagnose(text);
    let d = only(&diags, Code::DuplicateName);
    assert_eq!(d.message, "segment `gold` is already declared");
    assert_eq!(d.labels.len(), 2);
    assert!(d.labels[0].primary && !d.labels[1].primary);
    assert_eq!(
        d.labels[0].span.start,
        text.rfind("gold {").expect("second")
    );
    assert_eq!(d.labels[1].span.start, text.find("gold {").expect("first"));
    assert_eq!(d.labels[1].message, "first declared here");
}

#[test]
fn an_attribute_used_as_two_types_has_two_labels() {
    let text = "segment gold { when tier == \"gold\" }\nsegment odd { when tier >= 5 }\n";
    let (diags, checked) = diagnose(text);
    let d = only(&diags, Code::ConflictingAttributeType);
    assert_eq!(
        d.message,
        "attribute `tier` is used as text and as a number"
    );
    assert_eq!(underlined(&d, text), "tier >= 5");
    assert_eq!(d.labels[1].message, "compared with text here");
    assert_eq!(checked.attribute_types.get("tier"), Some(&Type::Text));
}

#[test]
fn comparing_text_with_a_number_is_a_type_error() {
    let text = "segment odd { when \"gold\" >= 5 }\n";
    let (diags, _) = diagnose(text);
    let d = diags
        .iter()
        .find(|d| d.code == Code::TypeMismatch)
        .expect("E0301");
    assert_eq!(d.message, "cannot compare text with a number");
    assert_eq!(underlined(d, text), "5");
}

#[test]
fn contradictory_thresholds_through_a_set_are_labelled_at_the_use() {
    let text = "use std/cx\njourney j { goal b; path a -> b; step a; step b }\n\
                expect j.b { use delighted\n csat <= 3 else yellow }\n";
    let (diags, _) = diagnose(text);
    let d = only(&diags, Code::ContradictoryThresholds);
    assert_eq!(d.message, "`csat <= 3` contradicts `csat >= 4`");
    assert_eq!(underlined(&d, text), "csat <= 3 else yellow");
    let secondary = d.labels.iter().find(|l| !l.primary).expect("secondary");
    assert_eq!(&text[secondary.span.start..secondary.span.end], "delighted");
}

#[test]
fn a_clean_policy_has_no_diagnostics() {
    let text = CLAIM;
    let (diags, checked) = diagnose(text);
    assert_eq!(render_human(&diags, "valid_claim.cxl", text, false), "");
    assert_eq!(checked.scope.journeys.len(), 1);
    assert_eq!(checked.scope.expects.len(), 3);
    assert_eq!(checked.scope.tests.len(), 1);
}

/// The policy of the language sketch, which must check clean.
const CLAIM: &str = r#"
# Property claims: the ideal journey for our two most important segments.
use std/cx

segment gold "Gold policyholders" {
  when tier == "gold" or lifetime_value >= 50_000
}
segment newcomer { when tenure_days < 90 }

journey claim "Property claim" {
  for gold, newcomer
  goal settled
  abandon after 30d

  stage intake {
    step report_claim  { via web, app, phone; owner "Claims intake"; match "Claim reported" }
    step acknowledge   { via email, sms }
  }
  stage assessment {
    step appraise      { backstage; owner "Loss adjusters" }
    step request_docs  { via email, portal }
    step decide        { backstage }
  }
  stage resolution {
    step accept   { via email, letter }
    step deny     { via letter, phone }
    step payout
    step settled
  }

  path report_claim -> acknowledge -> (appraise & request_docs{0,2}) -> decide
       -> (accept -> payout 80% | deny 20%) -> settled
}

expect claim.acknowledge {
  within 1h after report_claim
  warn after 45m after report_claim
}
expect claim.* {
  use frictionless
  csat >= 4 else yellow
  csat >= 2 else red
}
expect claim.settled for gold { within 10d after report_claim }

escalate vip_off_path {
  when off_path(claim) and segment(gold)
  notify "Claims concierge" severity red within 4h
  then notify "Head of claims" after 1d unless reached(settled)
}
escalate slow_acknowledgement {
  when broken(claim.acknowledge) rate > 10% over 1d
  notify "Intake lead" severity yellow
}

test "late acknowledgement of a gold customer escalates" {
  customer c1 { tier: "gold" }
  c1 report_claim at 2026-03-01T10:00Z via web
  c1 acknowledge  at +2h via email { csat: 2 }
  expect broken claim.acknowledge for c1
  expect escalation vip_off_path for c1 -> none
}
"#;

#[test]
fn valid_fixtures_check_clean() {
    insta::glob!("fixtures/valid/*.cxl", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("fixture name");
        let (diags, _) = diagnose(&text);
        assert_eq!(render_human(&diags, name, &text, false), "", "{name}");
    });
}

/// A large generated policy: `journeys` journeys of `steps` steps each, an `expect`
/// per step, a segment and an escalation per journey, and a test of 1,000 events.
fn large_policy(journeys: usize, steps: usize) -> String {
    use std::fmt::Write;
    let mut out = String::from("use std/cx\n");
    for j in 0..journeys {
        let _ = writeln!(
            out,
            "segment s{j} {{ when tier == \"t{j}\" and spend >= {j} }}"
        );
        let _ = writeln!(out, "journey j{j} {{\n  for s{j}\n  goal x{}", steps - 1);
        for s in 0..steps {
            let _ = writeln!(out, "  step x{s} {{ via email; owner \"Team\" }}");
        }
        let path: Vec<String> = (0..steps).map(|s| format!("x{s}")).collect();
        let _ = writeln!(out, "  path {}\n}}", path.join(" -> "));
        for s in 1..steps {
            let _ = writeln!(
                out,
                "expect j{j}.x{s} {{ within 1h after x0; warn after 30m after x0; use delighted; csat >= 4 else yellow }}"
            );
        }
        let _ = writeln!(
            out,
            "escalate e{j} {{ when off_path(j{j}) and segment(s{j}); notify \"Lead\" within 4h }}"
        );
    }
    out.push_str("test \"many events\" {\n  customer c1 { tier: \"t0\", spend: 5 }\n");
    out.push_str("  c1 x0 at 2026-03-01T10:00Z\n");
    for i in 1..1000 {
        let _ = writeln!(out, "  c1 x{} at +1m {{ csat: 4 }}", i % steps);
    }
    out.push_str("}\n");
    out
}

#[test]
fn a_large_policy_checks_clean() {
    let text = large_policy(20, 20);
    let (diags, checked) = diagnose(&text);
    assert_eq!(diags, vec![]);
    assert_eq!(checked.scope.journeys.len(), 20);
}

/// `cargo test --test diagnostics -- --ignored --nocapture` prints the time taken.
#[test]
#[ignore = "a measurement, not a check"]
fn measure_a_large_policy() {
    let text = large_policy(200, 50);
    let start = std::time::Instant::now();
    let parsed = parse(&text);
    let parse_time = start.elapsed();
    let checked = check(&parsed.file);
    let check_time = start.elapsed() - parse_time;
    assert!(parsed.diagnostics.is_empty() && checked.diagnostics.is_empty());
    eprintln!(
        "{} bytes, {} lines: parse {parse_time:?}, check {check_time:?}",
        text.len(),
        text.lines().count()
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Lines of real policies, to be shuffled into plausible broken ones.
    fn lines() -> Vec<String> {
        let mut lines: Vec<String> = CLAIM.lines().map(String::from).collect();
        for name in cxl::stdlib::module_names() {
            let text = cxl::stdlib::module(name).unwrap_or_default();
            lines.extend(text.lines().map(String::from));
        }
        lines
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any mix of policy lines parses and checks without a panic, and every
        /// label points inside the text.
        #[test]
        fn check_never_panics_on_shuffled_policies(picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..60)) {
            let lines = lines();
            let text: String = picks.iter().map(|i| format!("{}\n", i.get(&lines))).collect();
            let (diags, _) = diagnose(&text);
            for d in &diags {
                for label in &d.labels {
                    prop_assert!(label.span.start <= label.span.end && label.span.end <= text.len());
                }
            }
        }
    }
}

/// Only the diagnostics of `text`, as `cxl check` gives them, for a fixture.
fn fixture_diagnostics(name: &str) -> (Vec<Diagnostic>, String) {
    let path = format!(
        "{}/tests/fixtures/invalid/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    (cxl::check_source(&text), text)
}

#[test]
fn a_broken_step_is_one_error_and_its_journey_is_still_known() {
    let (diags, text) = fixture_diagnostics("E0101_stray_colon_in_a_step.cxl");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = only(&diags, Code::Syntax);
    assert_eq!(underlined(&d, &text), ":");
    assert!(
        d.message.ends_with("after `book`, found `:`"),
        "{}",
        d.message
    );
    // What was recovered from the broken journey: its name and its steps.
    let parsed = parse(&text);
    assert_eq!(parsed.file.broken.len(), 1);
    let declares: Vec<&str> = parsed.file.broken[0]
        .declares
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(declares, ["stay", "book", "checkin", "checkout"]);
    assert!(parsed.file.broken[0].mentions.contains(&"vip".to_string()));
}

#[test]
fn a_broken_escalation_is_one_error_and_its_test_says_nothing_more() {
    let (diags, text) = fixture_diagnostics("E0101_double_ampersand_in_an_escalation.cxl");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = only(&diags, Code::Syntax);
    assert_eq!(underlined(&d, &text), "&");
    assert_eq!(
        d.help.as_deref(),
        Some("conditions are joined with the words `and`, `or` and `not`")
    );
}

#[test]
fn nesting_too_deep_is_one_error_at_the_first_level_too_deep() {
    let (diags, text) = fixture_diagnostics("E0109_nested_too_deep.cxl");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = only(&diags, Code::NestingTooDeep);
    assert_eq!(d.message, "nested more than 128 deep");
    let at = d.primary_span().expect("a label").start;
    let line_start = text.find("segment big").expect("the segment");
    assert_eq!(at - line_start, "segment big { when ".len() + 128);
    assert_eq!(underlined(&d, &text), "(");
}

/// A stage left open points at the stage, not at its journey: the indentation
/// says where the block ends, the `}` is put there for the parser, and nothing
/// else is reported (the journey's later stage is not "not allowed here").
#[test]
fn an_unclosed_stage_is_one_error_at_the_stage() {
    let (diags, text) = fixture_diagnostics("E0103_unclosed_stage.cxl");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = only(&diags, Code::UnbalancedBrace);
    assert_eq!(
        d.labels[0].span.start,
        text.find("arrival {").expect("the stage") + "arrival ".len()
    );
    assert_eq!(
        d.labels[1].span.start,
        text.find("stage departure").expect("the next stage")
    );
    assert_eq!(d.labels[1].message, "its `}` is missing before this line");
}

/// Two blocks that end before the same line both get their `}` there; a
/// file indented against its braces falls back to the end of the declaration.
#[test]
fn unclosed_blocks_are_placed_by_indentation_or_at_the_end() {
    let nested = "journey j {\n  goal b\n  stage s {\n    step a { match \"A\"\n  stage t {\n    step b { match \"B\" }\n  }\n  path a -> b\n}\n";
    let diags = cxl::check_source(nested);
    let opened: Vec<usize> = diags
        .iter()
        .filter(|d| d.code == Code::UnbalancedBrace)
        .map(|d| d.labels[0].span.start)
        .collect();
    assert_eq!(
        opened,
        [
            nested.find("s {").expect("s") + 2,
            nested.find("a {").expect("a") + 2
        ]
    );
    assert!(
        diags.iter().all(|d| d.code == Code::UnbalancedBrace),
        "{diags:#?}"
    );
    let flat =
        "journey j {\ngoal b\nstep a { match \"A\"\nstep b { match \"B\" }\npath a -> b\n}\n";
    let diags = cxl::check_source(flat);
    let d = only(&diags, Code::UnbalancedBrace);
    assert_eq!(d.labels[1].message, "the declaration ends here");
}

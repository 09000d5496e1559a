//! The parser: the design sketch parses to the expected tree, key syntax errors
//! field by field, and no input makes it panic.

use cxl::syntax::{self, Decl, PathKind};
use cxl::Code;
use proptest::prelude::*;

const SKETCH: &str = include_str!("fixtures/valid/design_sketch.cxl");

#[test]
fn design_sketch_parses_cleanly() {
    let parsed = syntax::parse(SKETCH);
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let kinds: Vec<&str> = parsed
        .file
        .decls
        .iter()
        .map(|d| match d {
            Decl::Use(_) => "use",
            Decl::Source(_) => "source",
            Decl::Metric(_) => "metric",
            Decl::Segment(_) => "segment",
            Decl::Journey(_) => "journey",
            Decl::Expect(_) => "expect",
            Decl::ExpectationSet(_) => "expectations",
            Decl::Escalate(_) => "escalate",
            Decl::Test(_) => "test",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "use", "segment", "segment", "journey", "expect", "expect", "expect", "escalate",
            "escalate", "test"
        ]
    );
    let Some(Decl::Journey(claim)) = parsed.file.decls.get(3) else {
        panic!("fourth declaration is the journey")
    };
    assert_eq!(claim.name.name, "claim");
    assert_eq!(claim.steps().count(), 9);
    assert_eq!(claim.goal().map(|g| g.name.as_str()), Some("settled"));
    assert_eq!(claim.abandon_after().map(|d| d.seconds), Some(30 * 86_400));
    let path = claim.path().expect("a path");
    let PathKind::Seq { parts } = &path.kind else {
        panic!("the path is a sequence")
    };
    assert_eq!(parts.len(), 6);
    assert!(matches!(parts[2].kind, PathKind::Parallel { .. }));
    // Spans point at the text they came from.
    assert_eq!(&SKETCH[claim.name.span.start..claim.name.span.end], "claim");
    assert!(SKETCH[path.span.start..path.span.end].starts_with("report_claim\n"));
    assert_eq!(parsed.comments.len(), 10);
}

/// Parse `text` and return its one diagnostic's code, message, help and the text
/// under its primary label.
fn only_error(text: &str) -> (Code, String, Option<String>, String) {
    let parsed = syntax::parse(text);
    assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
    let d = &parsed.diagnostics[0];
    let span = d.primary_span().expect("a primary label");
    (
        d.code,
        d.message.clone(),
        d.help.clone(),
        text[span.start..span.end].to_string(),
    )
}

#[test]
fn missing_step_after_arrow_speaks_the_users_language() {
    let (code, message, help, under) = only_error("journey j {\n  step a\n  path a ->\n}\n");
    assert_eq!(code, Code::Syntax);
    assert_eq!(message, "expected a step name or `(` after `->`, found `}`");
    assert!(help.is_some_and(|h| h.contains("`->` (then)")));
    assert_eq!(under, "}");
}

#[test]
fn keyword_as_name_is_explained() {
    let (code, message, help, under) = only_error("segment in { when x == 1 }");
    assert_eq!(code, Code::Syntax);
    assert_eq!(message, "expected a name after `segment`, found `in`");
    assert_eq!(
        help.as_deref(),
        Some("`in` is a keyword and cannot be used as a name; pick another name")
    );
    assert_eq!(under, "in");
}

#[test]
fn unknown_duration_unit_is_its_own_error() {
    let (code, message, _, under) = only_error("journey j { abandon after 3mo\n step a\n path a }");
    assert_eq!(code, Code::InvalidDuration);
    assert_eq!(message, "unknown duration unit `mo` in `3mo`");
    assert_eq!(under, "3mo");
}

#[test]
fn every_broken_declaration_is_reported_and_good_ones_survive() {
    let text = "segment a { when x == }\nsegment b { when y > 1 }\njourney j { path a -> }\nsegment c { when z }\n";
    let parsed = syntax::parse(text);
    let codes: Vec<Code> = parsed.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::Syntax, Code::Syntax]);
    assert_eq!(parsed.file.decls.len(), 2, "segments b and c parse");
}

#[test]
fn unclosed_brace_does_not_swallow_the_next_declaration() {
    let text = "journey j {\n  step a\n  path a\n\nsegment gold { when tier == \"gold\" }\n";
    let parsed = syntax::parse(text);
    assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.diagnostics[0].code, Code::UnbalancedBrace);
    assert_eq!(
        parsed.diagnostics[0].primary_span().map(|s| s.start),
        Some(10)
    );
    assert_eq!(parsed.file.decls.len(), 2, "both declarations still parse");
}

#[test]
fn path_precedence_is_alt_then_parallel_then_sequence() {
    let parsed = syntax::parse("journey j { path a -> b & c -> d | e 20% }");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let Some(Decl::Journey(j)) = parsed.file.decls.first() else {
        panic!("a journey")
    };
    let PathKind::Alt { branches } = &j.path().expect("path").kind else {
        panic!("alt on top")
    };
    assert_eq!(branches.len(), 2);
    assert!(matches!(branches[0].path.kind, PathKind::Parallel { .. }));
    assert_eq!(branches[1].weight.map(|w| w.value), Some(20.0));
}

/// Check the invariants any parse must keep, whatever the input.
fn assert_well_formed(text: &str) {
    let parsed = syntax::parse(text);
    for d in &parsed.diagnostics {
        for label in &d.labels {
            assert!(
                label.span.start <= label.span.end && label.span.end <= text.len(),
                "{d:?}"
            );
            assert!(
                text.is_char_boundary(label.span.start) && text.is_char_boundary(label.span.end),
                "{d:?}"
            );
        }
        assert!(!d.message.is_empty());
    }
    let _ = cxl::diagnostic::render_human(&parsed.diagnostics, "fuzz.cxl", text, false);
}

/// One random edit of a text: delete, duplicate or insert a token-ish piece.
fn mutate(text: &str, at: usize, kind: u8, insert: &str) -> String {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut out = text.to_string();
    match kind % 3 {
        0 => {
            let mut end = (at + 3).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            out.replace_range(at..end, "");
        }
        1 => out.insert_str(at, insert),
        _ => out.truncate(at),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        assert_well_formed(&text);
    }

    #[test]
    fn never_panics_on_token_soup(words in prop::collection::vec(prop::sample::select(vec![
        "journey", "step", "path", "{", "}", "(", ")", "->", "|", "&", "a", "b", "*", "?", "{2,1}",
        "expect", "a.b", "within", "4h", "after", "\"x", "\"y\"", "when", "==", "and", "segment",
        "test", "at", "+2h", "2026-03-01T10:00Z", "10%", "rate", "over", "notify", "#", "\n", ";",
    ]), 0..60)) {
        assert_well_formed(&words.join(" "));
    }

    #[test]
    fn never_panics_on_mutated_sketch(edits in prop::collection::vec((any::<usize>(), any::<u8>(),
        prop::sample::select(vec!["{", "}", "\"", "->", "(", "é", "'", "#", "step", "1e999", "99999999999h", "{0,99999}"])), 1..4)) {
        let mut text = SKETCH.to_string();
        for (at, kind, insert) in edits {
            text = mutate(&text, at, kind, insert);
        }
        assert_well_formed(&text);
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let deep = format!(
        "journey j {{ path {}a{} }}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert_well_formed(&deep);
    let deep_expr = format!(
        "segment s {{ when {}x{} }}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert_well_formed(&deep_expr);
    let nots = format!("segment s {{ when {} x }}", "not ".repeat(5000));
    assert_well_formed(&nots);
}

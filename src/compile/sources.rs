//! Where a journey's own rules are written — its `path` and `abandon after`
//! clauses — so that the findings they give (`unexpected_step`,
//! `too_many_repeats` and `incomplete`; `abandoned`) quote and point at them,
//! as an expectation's findings point at the expectation.

use super::rules::RuleSource;
use crate::check::{Checked, Origin};
use crate::diagnostic::Lines;
use crate::diagnostic::Span;
use crate::syntax::JourneyItem;
use serde::Serialize;

/// The clauses of one journey that findings come from; `None` for a clause
/// the journey does not have, or a journey not written in the policy file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JourneyRules {
    /// `path ...`: what `unexpected_step` and `too_many_repeats` break, and
    /// an `incomplete` instance has not finished.
    pub path: Option<RuleSource>,
    /// `abandon after D`: how long an `abandoned` instance was idle.
    pub abandon: Option<RuleSource>,
}

/// The rule sources of journey `journey`, declared in the file `text`: its
/// first `path` and `abandon after` clauses, as the compiler takes them.
pub(crate) fn journey_rules(
    checked: &Checked,
    journey: &str,
    text: &str,
    lines: &Lines<'_>,
) -> JourneyRules {
    let mut rules = JourneyRules::default();
    let Some(declared) = checked
        .scope
        .journeys
        .get(journey)
        .filter(|d| d.origin == Origin::File)
    else {
        return rules;
    };
    for item in &declared.item.items {
        match item {
            JourneyItem::Path { span, .. } if rules.path.is_none() => {
                rules.path = clause(text, lines, *span);
            }
            JourneyItem::AbandonAfter { span, .. } if rules.abandon.is_none() => {
                rules.abandon = clause(text, lines, *span);
            }
            _ => {}
        }
    }
    rules
}

/// The clause written at `span`, as one line of text (comments dropped,
/// blanks collapsed: a `path` is often written over several lines).
fn clause(text: &str, lines: &Lines<'_>, span: Span) -> Option<RuleSource> {
    let one_line: Vec<&str> = text
        .get(span.start..span.end)?
        .lines()
        .flat_map(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace()
        })
        .collect();
    Some(RuleSource {
        span,
        file: lines.file(span.start),
        line: lines.line(span.start),
        text: one_line.join(" "),
        set: None,
        module: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_over_several_lines_reads_as_one() {
        let text =
            "journey j {\n  path a -> b   # first\n     -> (c | d)\n  abandon   after\n 30d }";
        let path = Span::new(
            text.find("path").unwrap_or_default(),
            text.find(')').unwrap_or_default() + 1,
        );
        let sources = crate::diagnostic::Sources::single("p.cxl", text);
        let lines = Lines::new(&sources);
        let source = clause(text, &lines, path).expect("a clause");
        assert_eq!(source.text, "path a -> b -> (c | d)");
        assert_eq!((source.line, source.span), (2, path));
        let abandon = Span::new(
            text.find("abandon").unwrap_or_default(),
            text.find("30d").unwrap_or_default() + 3,
        );
        let source = clause(text, &lines, abandon).expect("a clause");
        assert_eq!(
            (source.text.as_str(), source.line),
            ("abandon after 30d", 4)
        );
    }

    #[test]
    fn the_clauses_are_the_parser_s_with_their_keywords() {
        let text = "journey j {\n  goal b\n  step a\n  step b\n  path # the order\n    a -> b\n  abandon after 2d\n}\n";
        let policy = crate::Policy::compile(text).expect("the policy compiles");
        let rules = &policy.program.journey_rules[0];
        let path = rules.path.as_ref().expect("a path");
        assert_eq!((path.text.as_str(), path.line), ("path a -> b", 5));
        assert_eq!(
            &text[path.span.start..path.span.end],
            "path # the order\n    a -> b"
        );
        let abandon = rules.abandon.as_ref().expect("an abandon clause");
        assert_eq!(
            (abandon.text.as_str(), abandon.line),
            ("abandon after 2d", 7)
        );
    }
}

//! Where a journey's own rules are written — its `path` and `abandon after`
//! clauses — so that the findings they give (`unexpected_step`,
//! `too_many_repeats` and `incomplete`; `abandoned`) quote and point at them,
//! as an expectation's findings point at the expectation.

use super::rules::RuleSource;
use crate::check::{Checked, Origin};
use crate::diagnostic::LineIndex;
use crate::syntax::Span;
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

/// The rule sources of journey `journey`, declared in the file `text`.
pub(crate) fn journey_rules(
    checked: &Checked,
    journey: &str,
    text: &str,
    lines: &LineIndex,
) -> JourneyRules {
    let Some(declared) = checked
        .scope
        .journeys
        .get(journey)
        .filter(|d| d.origin == Origin::File)
    else {
        return JourneyRules::default();
    };
    let item = &declared.item;
    let clause = |keywords: &[&str], operand: Span| clause(text, lines, keywords, operand);
    JourneyRules {
        path: item.path().and_then(|p| clause(&["path"], p.span)),
        abandon: item
            .abandon_after()
            .and_then(|d| clause(&["abandon", "after"], d.span)),
    }
}

/// The clause that starts with `keywords` and ends with its operand at
/// `operand`, as one line of text (comments dropped, blanks collapsed: a
/// `path` is often written over several lines).
fn clause(text: &str, lines: &LineIndex, keywords: &[&str], operand: Span) -> Option<RuleSource> {
    let start = keywords
        .iter()
        .rev()
        .try_fold(operand.start, |at, keyword| {
            keyword_before(text, keyword, at)
        })?;
    let written = text.get(start..operand.end)?;
    let one_line: Vec<&str> = written
        .lines()
        .flat_map(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace()
        })
        .collect();
    Some(RuleSource {
        span: Span::new(start, operand.end),
        line: lines.line(start),
        text: one_line.join(" "),
        set: None,
        module: None,
    })
}

/// Where `keyword` starts, when it is the token just before `at` (only blanks
/// and comments between them).
fn keyword_before(text: &str, keyword: &str, at: usize) -> Option<usize> {
    let before = text.get(..at)?;
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    before.rmatch_indices(keyword).find_map(|(start, _)| {
        let end = start + keyword.len();
        let bounded = !before[..start].ends_with(is_name) && !before[end..].starts_with(is_name);
        // Between the keyword and `at`: blanks, and comments to the end of a line.
        let between = before[end..]
            .lines()
            .all(|line| line.split('#').next().unwrap_or_default().trim().is_empty());
        (bounded && between).then_some(start)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_is_the_token_just_before_its_operand() {
        let text = "journey j {\n  goal # the goal is `done`\n    done\n}";
        let at = text.rfind("done").unwrap_or_default();
        assert_eq!(keyword_before(text, "goal", at), text.find("goal"));
        // Not a keyword inside a longer name, nor one with a token after it.
        assert_eq!(keyword_before("goalie done", "goal", 7), None);
        assert_eq!(keyword_before("goal x done", "goal", 7), None);
    }

    #[test]
    fn a_path_over_several_lines_reads_as_one() {
        let text = "path a -> b   # first\n     -> (c | d)\n";
        let operand = Span::new(5, text.find(')').unwrap_or_default() + 1);
        let lines = LineIndex::new(text);
        let source = clause(text, &lines, &["path"], operand).expect("a clause");
        assert_eq!(source.text, "path a -> b -> (c | d)");
        assert_eq!((source.line, source.span.start), (1, 0));
        let text = "journey j {\n  abandon   after\n 30d }";
        let at = text.find("30d").unwrap_or_default();
        let source = clause(
            text,
            &LineIndex::new(text),
            &["abandon", "after"],
            Span::new(at, at + 3),
        );
        assert_eq!(
            source.map(|s| (s.text, s.line)),
            Some(("abandon after 30d".to_string(), 2))
        );
    }
}

//! The lints over the clauses of one `expect` block once `use SET` is expanded:
//! thresholds that contradict each other (E0405) and warnings that come at or after
//! their limit (W0407). A clause brought in from a standard module's set is labelled
//! at the `use` that brought it in.
//!
//! Two `within`s on one anchor are not reported: with different severities they are
//! a tiered SLA (`within 1h else yellow` then `within 4h`), which is legitimate.

use super::interval::Interval;
use super::journeys::fmt_num;
use super::{Cx, ExpandedClause, Origin};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Anchor, Clause, ClauseKind, CmpOp, Span, Step, StepProp};

/// Run the lints over the expanded clauses of one block.
pub(super) fn lint(cx: &mut Cx<'_>, expanded: &[ExpandedClause<'_>]) {
    lint_contradictions(cx, expanded);
    lint_late_warnings(cx, expanded);
}

/// Where an expanded clause is shown: at the clause when it is written in this file,
/// otherwise at the `use` that brought it in.
fn place(e: &ExpandedClause<'_>) -> Span {
    match (e.via, e.set) {
        (Some(via), Some(set)) if set.origin != Origin::File => via.span,
        _ => clause_span(e.clause),
    }
}

/// A label for an expanded clause: what it says, and the set it comes from.
fn note(e: &ExpandedClause<'_>, text: String) -> String {
    match (e.via, e.set) {
        (Some(via), Some(set)) if set.origin != Origin::File => {
            format!("{text}, from `{}`", via.name)
        }
        _ => text,
    }
}

/// The clause from its first word to its last: the parser's span may take trailing
/// blanks and comments.
pub(super) fn clause_span(clause: &Clause) -> Span {
    let start = Span::new(clause.span.start, clause.span.start);
    let anchor_span = |a: &Anchor| match a {
        Anchor::Step { step } => step.span,
        Anchor::JourneyStart { span } => *span,
    };
    let last = match &clause.kind {
        ClauseKind::Within {
            limit,
            anchor,
            severity,
        } => severity
            .map(|s| s.span)
            .unwrap_or_else(|| anchor_span(anchor).to(limit.span)),
        ClauseKind::WarnAfter { anchor, .. } => anchor_span(anchor),
        ClauseKind::Via { channels, severity } => severity
            .map(|s| s.span)
            .or_else(|| channels.last().map(|c| c.span))
            .unwrap_or(start),
        ClauseKind::Metric {
            value, severity, ..
        }
        | ClauseKind::Attempts {
            value, severity, ..
        } => severity.map(|s| s.span).unwrap_or(value.span),
        ClauseKind::AsksOnce { items, severity } => severity
            .map(|s| s.span)
            .or_else(|| items.last().map(|i| i.span))
            .unwrap_or(clause.span),
        ClauseKind::Use { set } => set.span,
    };
    if last.end <= clause.span.end && last.end > start.start {
        start.to(last)
    } else {
        clause.span
    }
}

/// The thing a threshold constrains (a metric or the attempt count), and its limit.
fn threshold(kind: &ClauseKind) -> Option<(&str, CmpOp, f64)> {
    match kind {
        ClauseKind::Metric {
            metric, op, value, ..
        } => Some((metric.name.as_str(), *op, value.value)),
        ClauseKind::Attempts { op, value, .. } => Some(("attempts", *op, value.value)),
        _ => None,
    }
}

/// E0405: two thresholds on one metric (or on attempts) that no value meets together.
fn lint_contradictions(cx: &mut Cx<'_>, expanded: &[ExpandedClause<'_>]) {
    for (i, later) in expanded.iter().enumerate() {
        let Some((name, op, value)) = threshold(&later.clause.kind) else {
            continue;
        };
        let earlier = expanded.iter().take(i).find(|e| {
            threshold(&e.clause.kind)
                .is_some_and(|(n, o, v)| n == name && Interval::contradict((op, value), (o, v)))
        });
        let Some(earlier) = earlier else { continue };
        let Some((_, eop, evalue)) = threshold(&earlier.clause.kind) else {
            continue;
        };
        let (a, b) = (
            format!("{name} {} {}", op.as_str(), fmt_num(value)),
            format!("{name} {} {}", eop.as_str(), fmt_num(evalue)),
        );
        let mut d = Diagnostic::new(
            Code::ContradictoryThresholds,
            format!("`{a}` contradicts `{b}`"),
        )
        .with_label(place(later), format!("`{a}`"))
        .with_help(format!(
            "no value meets both, so every {} breaks one of them; remove one, or make them overlap",
            if name == "attempts" {
                "step"
            } else {
                "response"
            }
        ));
        if place(earlier) != place(later) {
            d = d.with_secondary(place(earlier), note(earlier, format!("`{b}`")));
        }
        cx.report(d);
    }
}

/// E0405: a `via` expectation at a step that is never on any of those channels.
/// Only the file's own journeys are checked here (a module has none).
pub(super) fn lint_channels(cx: &mut Cx<'_>, step: &Step, expanded: &[ExpandedClause<'_>]) {
    let allowed: Vec<&str> = step.channels().map(|c| c.name.as_str()).collect();
    let Some(step_via) = step.props.iter().find_map(|p| match p {
        StepProp::Via { span, .. } => Some(*span),
        _ => None,
    }) else {
        return;
    };
    for e in expanded {
        let ClauseKind::Via { channels, .. } = &e.clause.kind else {
            continue;
        };
        if channels.iter().any(|c| allowed.contains(&c.name.as_str())) {
            continue;
        }
        let wanted = channels
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let name = &step.name.name;
        cx.report(
            Diagnostic::new(
                Code::ContradictoryThresholds,
                format!("`via {wanted}` contradicts the channels of step `{name}`"),
            )
            .with_label(place(e), note(e, format!("`via {wanted}`")))
            .with_secondary(
                step_via,
                format!("`{name}` happens only {}", list_via(&allowed)),
            )
            .with_help(format!(
                "expect one of the step's channels, or add the channel to the `via` of `{name}`"
            )),
        );
    }
}

fn list_via(channels: &[&str]) -> String {
    format!("via {}", super::names::list(channels.iter().copied(), 8))
}

/// W0407: a `warn after` at or after the shortest `within` on the same anchor.
fn lint_late_warnings(cx: &mut Cx<'_>, expanded: &[ExpandedClause<'_>]) {
    for warn in expanded {
        let ClauseKind::WarnAfter { limit, anchor } = &warn.clause.kind else {
            continue;
        };
        let limit_of = |e: &&ExpandedClause<'_>| match &e.clause.kind {
            ClauseKind::Within {
                limit: l,
                anchor: a,
                ..
            } if same_anchor(a, anchor) => Some(l.seconds),
            _ => None,
        };
        let Some(within) = expanded
            .iter()
            .filter(|e| limit_of(e).is_some())
            .min_by_key(|e| limit_of(e))
        else {
            continue;
        };
        let Some(within_limit) = limit_of(&within) else {
            continue;
        };
        if limit.seconds < within_limit {
            continue;
        }
        let (w, l) = (fmt_duration(limit.seconds), fmt_duration(within_limit));
        let mut d = Diagnostic::new(
            Code::WarningNeverFires,
            format!("the warning at {w} comes at or after the {l} limit, so it never warns"),
        )
        .with_label(place(warn), note(warn, format!("warns at {w}")))
        .with_help("a warning must come before the limit it warns about: make `warn after` shorter than `within`");
        if place(within) != place(warn) {
            d = d.with_secondary(place(within), note(within, format!("the limit is {l}")));
        }
        cx.report(d);
    }
}

fn same_anchor(a: &Anchor, b: &Anchor) -> bool {
    match (a, b) {
        (Anchor::JourneyStart { .. }, Anchor::JourneyStart { .. }) => true,
        (Anchor::Step { step: x }, Anchor::Step { step: y }) => x.name == y.name,
        _ => false,
    }
}

/// A duration as written: `1h30m`, `2d`, `0s`.
pub(super) fn fmt_duration(seconds: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (604_800, "w"),
        (86_400, "d"),
        (3_600, "h"),
        (60, "m"),
        (1, "s"),
    ];
    if seconds == 0 {
        return "0s".to_string();
    }
    let mut rest = seconds;
    let mut out = String::new();
    for (size, unit) in UNITS {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fmt_duration;

    #[test]
    fn durations_print_in_the_largest_units() {
        assert_eq!(fmt_duration(0), "0s");
        assert_eq!(fmt_duration(45 * 60), "45m");
        assert_eq!(fmt_duration(5400), "1h30m");
        assert_eq!(fmt_duration(86_400 * 8), "1w1d");
    }
}

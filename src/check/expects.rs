//! Checks of `expect` blocks and `expectations` sets: the target and segments of a
//! block, the names in its clauses (metrics, sets, anchor steps), thresholds within a
//! metric's range and attempt limits that can hold (E0305), and, after `use SET` is
//! expanded, thresholds that contradict each other (E0405) and warnings that come at
//! or after their limit (W0407).
//!
//! Two `within`s on one anchor are not reported: with different severities they are
//! a tiered SLA (`within 1h else yellow` then `within 4h`), which is legitimate.

use super::interval::Interval;
use super::journeys::fmt_num;
use super::names::{has_step, secondary_if_file, unknown_step};
use super::{Cx, ExpandedClause, Origin};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Anchor, Clause, ClauseKind, CmpOp, Expect, Journey, Metric, Number, Span};

/// Check every `expect` block and expectation set of the file.
pub(super) fn check_all(cx: &mut Cx<'_>) {
    let scope = cx.scope;
    for set in scope.expectation_sets.values() {
        if set.origin == Origin::File {
            set.item.clauses.iter().for_each(|c| check_clause(cx, c));
        }
    }
    for expect in &scope.expects {
        if expect.origin == Origin::File {
            check_expect(cx, &expect.item);
        }
    }
}

fn check_expect(cx: &mut Cx<'_>, expect: &Expect) {
    let journey = cx.resolve_target_or_report(&expect.target);
    for segment in &expect.segments {
        if cx.resolve_segment(segment) {
            if let Some(j) = journey {
                check_segment_of_journey(cx, j, segment);
            }
        }
    }
    expect.clauses.iter().for_each(|c| check_clause(cx, c));
    let expanded = cx.scope.expand(&expect.clauses);
    if let Some(j) = journey {
        expanded.iter().for_each(|e| check_anchor(cx, j, e));
    }
    lint_contradictions(cx, &expanded);
    lint_late_warnings(cx, &expanded);
}

/// E0201: `expect J.S for SEG` where `J` has a `for` that does not name `SEG`.
fn check_segment_of_journey(cx: &mut Cx<'_>, j: &Journey, segment: &crate::syntax::Ident) {
    let segments = j.segments();
    if segments.is_empty() || segments.iter().any(|s| s.name == segment.name) {
        return;
    }
    let name = &j.name.name;
    let origin = cx
        .scope
        .journeys
        .get(name)
        .map(|d| d.origin.clone())
        .unwrap_or(Origin::File);
    let for_span = segments
        .iter()
        .map(|s| s.span)
        .reduce(Span::to)
        .unwrap_or(j.name.span);
    let listed = super::names::list(segments.iter().map(|s| s.name.as_str()), 8);
    let d = Diagnostic::new(
        Code::UnknownSegment,
        format!(
            "segment `{}` is not one of the segments of journey `{name}`",
            segment.name
        ),
    )
    .with_label(segment.span, format!("not in the `for` of `{name}`"))
    .with_help(format!(
        "journey `{name}` is for {listed}; add `{}` to its `for`, or name one of those",
        segment.name
    ));
    cx.report(secondary_if_file(
        d,
        &origin,
        for_span,
        "the journey's segments",
    ));
}

/// The checks of one clause that need no target: names, ranges, attempt limits.
fn check_clause(cx: &mut Cx<'_>, clause: &Clause) {
    match &clause.kind {
        ClauseKind::Metric {
            metric, op, value, ..
        } => {
            if let Some(declared) = cx.resolve_metric(metric) {
                let (item, origin) = (declared.item.clone(), declared.origin.clone());
                check_threshold(cx, &item, &origin, *op, value, clause_span(clause));
            }
        }
        ClauseKind::Attempts { op, value, .. } => {
            check_attempts(cx, *op, value, clause_span(clause))
        }
        ClauseKind::Use { set } => {
            cx.resolve_set(set);
        }
        ClauseKind::Within { .. }
        | ClauseKind::WarnAfter { .. }
        | ClauseKind::Via { .. }
        | ClauseKind::AsksOnce { .. } => {}
    }
}

/// E0305: a threshold outside the metric's range, or one no value in range meets.
fn check_threshold(
    cx: &mut Cx<'_>,
    m: &Metric,
    origin: &Origin,
    op: CmpOp,
    value: &Number,
    span: Span,
) {
    let Some((lo, hi)) = m.range else { return };
    let name = &m.name.name;
    let range = format!("{}..{}", fmt_num(lo.value), fmt_num(hi.value));
    let help = format!(
        "`{name}` goes from {} to {}",
        fmt_num(lo.value),
        fmt_num(hi.value)
    );
    let range_span = lo.span.to(hi.span);
    if value.value < lo.value || value.value > hi.value {
        let d = Diagnostic::new(
            Code::OutOfRange,
            format!(
                "threshold {} is outside the range of `{name}`",
                fmt_num(value.value)
            ),
        )
        .with_label(value.span, format!("not in {range}"))
        .with_help(format!("{help}; pick a threshold in that range"));
        cx.report(secondary_if_file(
            d,
            origin,
            range_span,
            "range declared here",
        ));
        return;
    }
    let within_range = Interval::closed(lo.value, hi.value);
    if !Interval::satisfiable(op, value.value, &within_range) {
        let d = Diagnostic::new(
            Code::OutOfRange,
            format!(
                "`{name} {} {}` can never hold",
                op.as_str(),
                fmt_num(value.value)
            ),
        )
        .with_label(span, format!("no `{name}` in {range} meets this"))
        .with_help(help);
        cx.report(secondary_if_file(
            d,
            origin,
            range_span,
            "range declared here",
        ));
    }
}

/// E0305: an attempt limit that is not a whole number, or that one attempt cannot meet.
fn check_attempts(cx: &mut Cx<'_>, op: CmpOp, value: &Number, span: Span) {
    if value.value.fract() != 0.0 {
        cx.report(
            Diagnostic::new(
                Code::OutOfRange,
                format!(
                    "attempt limit {} is not a whole number",
                    fmt_num(value.value)
                ),
            )
            .with_label(value.span, "not a whole number")
            .with_help("attempts are counted: write a limit such as `attempts <= 3`"),
        );
    } else if !Interval::satisfiable(op, value.value, &Interval::at_least(1.0)) {
        cx.report(
            Diagnostic::new(
                Code::OutOfRange,
                format!(
                    "`attempts {} {}` can never hold",
                    op.as_str(),
                    fmt_num(value.value)
                ),
            )
            .with_label(span, "no step can meet this")
            .with_help("every step is attempted at least once; allow 1 attempt or more"),
        );
    }
}

/// E0203 for an anchor step the target journey does not have.
fn check_anchor(cx: &mut Cx<'_>, j: &Journey, e: &ExpandedClause<'_>) {
    let (ClauseKind::Within {
        anchor: Anchor::Step { step },
        ..
    }
    | ClauseKind::WarnAfter {
        anchor: Anchor::Step { step },
        ..
    }) = &e.clause.kind
    else {
        return;
    };
    if has_step(j, &step.name) {
        return;
    }
    let d = unknown_step(j, step);
    match (e.via, e.set) {
        (Some(via), Some(set)) if set.origin != Origin::File => {
            let mut d = d;
            d.labels.clear();
            d.message
                .push_str(&format!(" (used by expectation set `{}`)", via.name));
            cx.report(d.with_label(via.span, format!("its clauses use `{}`", step.name)));
        }
        (Some(via), _) => cx.report(d.with_secondary(via.span, "used here")),
        _ => cx.report(d),
    }
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

//! Checks of `expect` blocks and `expectations` sets: the target and segments of a
//! block, the names in its clauses (metrics, sets, anchor steps), thresholds within a
//! metric's range and attempt limits that can hold (E0305); then, with `use SET`
//! expanded, the lints of `expect_lints`.

use super::expect_lints::clause_span;
use super::interval::Interval;
use super::journeys::fmt_num;
use super::names::{has_step, secondary_if_file, unknown_step};
use super::{Cx, ExpandedClause, Origin};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Anchor, Clause, ClauseKind, CmpOp, Expect, Journey, Metric, Number, Span};

/// Check every `expect` block and expectation set of the file.
pub(super) fn check_all(cx: &mut Cx<'_>) {
    let scope = cx.scope;
    for metric in scope.metrics.values() {
        if metric.origin == Origin::File {
            check_metric(cx, &metric.item);
        }
    }
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

/// E0305: a metric's range must go upwards.
fn check_metric(cx: &mut Cx<'_>, m: &Metric) {
    let Some((lo, hi)) = m.range else { return };
    if lo.value < hi.value {
        return;
    }
    cx.report(
        Diagnostic::new(
            Code::OutOfRange,
            format!("the range of metric `{}` is empty", m.name.name),
        )
        .with_label(lo.span.to(hi.span), "no value is in this range")
        .with_help("write the lowest value first, as in `range 1..5`"),
    );
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
        let from_file = cx
            .scope
            .journeys
            .get(&j.name.name)
            .is_some_and(|d| d.origin == Origin::File);
        let step = expect.target.step.as_ref().filter(|_| from_file);
        if let Some(step) = step.and_then(|s| j.steps().find(|(_, t)| t.name.name == s.name)) {
            super::expect_lints::lint_channels(cx, step.1, &expanded);
        }
    }
    super::expect_lints::lint(cx, &expanded);
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

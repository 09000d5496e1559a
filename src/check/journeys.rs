//! Checks of each journey of the file on its own: its clauses (one `goal`, one
//! `path`, ...), its steps and stages, the names in its `for`, `goal` and `path`,
//! branch weights and step durations; and the lints W0401 (a step outside the path)
//! and W0408 (no goal). The graph lints (unreachable goal, dead ends) are `compile`'s.

use super::names::{has_step, unknown_step};
use super::scope::report_repeats;
use super::{Cx, Origin};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Branch, Journey, JourneyItem, PathExpr, PathKind, Span, StepProp};
use std::collections::BTreeSet;

/// Check every journey declared in the file.
pub(super) fn check_all(cx: &mut Cx<'_>) {
    let scope = cx.scope;
    for journey in scope.journeys.values() {
        if journey.origin == Origin::File {
            check_journey(cx, &journey.item);
        }
    }
}

fn check_journey(cx: &mut Cx<'_>, j: &Journey) {
    check_clauses(cx, j);
    let within = format!(" in journey `{}`", j.name.name);
    let steps = j.steps().map(|(_, s)| &s.name);
    report_repeats(steps, "step", &within, &mut cx.diags);
    report_repeats(j.stages().map(|s| &s.name), "stage", &within, &mut cx.diags);
    for (_, step) in j.steps() {
        check_takes(cx, &step.props);
    }
    for segment in j.segments() {
        cx.resolve_segment(segment);
    }
    if let Some(goal) = j.goal() {
        if !has_step(j, &goal.name) {
            cx.report(unknown_step(j, goal));
        }
    }
    match j.path() {
        Some(path) => {
            let mut used = BTreeSet::new();
            check_path(cx, j, path, &mut used);
            lint_steps_not_in_path(cx, j, &used);
        }
        None => cx.report(
            Diagnostic::new(
                Code::MissingClause,
                format!("journey `{}` has no `path`", j.name.name),
            )
            .with_label(j.name.span, "this journey needs a `path`")
            .with_help("add `path a -> b -> c` to say in which orders its steps may happen"),
        ),
    }
    if j.goal().is_none() {
        cx.report(
            Diagnostic::new(
                Code::NoGoal,
                format!("journey `{}` has no goal", j.name.name),
            )
            .with_label(j.name.span, "no `goal` step")
            .with_help(
                "add `goal STEP`, the step that means the customer got what they came for; \
                     without it a completed journey cannot be told from an abandoned one",
            ),
        );
    }
}

/// E0211: `for`, `goal`, `abandon after` and `path` may each appear once.
fn check_clauses(cx: &mut Cx<'_>, j: &Journey) {
    let mut first: [Option<Span>; 4] = [None; 4];
    const NAMES: [&str; 4] = ["for", "goal", "abandon after", "path"];
    for item in &j.items {
        let (slot, span) = match item {
            JourneyItem::For { span, .. } => (0, *span),
            JourneyItem::Goal(goal) => (1, goal.span),
            JourneyItem::AbandonAfter { after, .. } => (2, after.span),
            JourneyItem::Path { path, .. } => (3, path.span),
            JourneyItem::Stage(_) | JourneyItem::Step(_) => continue,
        };
        let Some(name) = NAMES.get(slot) else {
            continue;
        };
        match first.get_mut(slot) {
            Some(Some(earlier)) => cx.report(
                Diagnostic::new(
                    Code::DuplicateClause,
                    format!("journey `{}` has more than one `{name}`", j.name.name),
                )
                .with_label(span, format!("second `{name}`"))
                .with_secondary(*earlier, format!("first `{name}` here"))
                .with_help(format!(
                    "a journey has one `{name}`: keep one and remove the other"
                )),
            ),
            Some(empty) => *empty = Some(span),
            None => {}
        }
    }
}

/// E0305: `takes min..max` with `min` above `max`.
fn check_takes(cx: &mut Cx<'_>, props: &[StepProp]) {
    for prop in props {
        if let StepProp::Takes { min, max, span } = prop {
            if min.seconds > max.seconds {
                cx.report(
                    Diagnostic::new(
                        Code::OutOfRange,
                        "the shortest time of `takes` is longer than its longest",
                    )
                    .with_label(*span, "backwards range")
                    .with_help("write the shorter duration first, as in `takes 10m..2h`"),
                );
            }
        }
    }
}

/// The step names of a path (E0203 when undeclared) and its branch weights.
fn check_path(cx: &mut Cx<'_>, j: &Journey, path: &PathExpr, used: &mut BTreeSet<String>) {
    match &path.kind {
        PathKind::Step { step } => {
            if !has_step(j, &step.name) {
                cx.report(unknown_step(j, step));
            }
            used.insert(step.name.clone());
        }
        PathKind::Seq { parts } => parts.iter().for_each(|p| check_path(cx, j, p, used)),
        PathKind::Parallel { branches } => branches.iter().for_each(|p| check_path(cx, j, p, used)),
        PathKind::Alt { branches } => {
            check_weights(cx, path.span, branches);
            branches
                .iter()
                .for_each(|b| check_path(cx, j, &b.path, used));
        }
        PathKind::Optional { inner }
        | PathKind::Star { inner }
        | PathKind::Plus { inner }
        | PathKind::Repeat { inner, .. } => check_path(cx, j, inner, used),
    }
}

/// E0305: branch weights are all given or none, each 0–100%, adding up to 100%.
fn check_weights(cx: &mut Cx<'_>, span: Span, branches: &[Branch]) {
    let weights: Vec<_> = branches.iter().filter_map(|b| b.weight).collect();
    if weights.is_empty() {
        return;
    }
    if let Some(unweighted) = branches.iter().find(|b| b.weight.is_none()) {
        cx.report(
            Diagnostic::new(
                Code::OutOfRange,
                "only some branches of this choice have a weight",
            )
            .with_label(unweighted.path.span, "no weight")
            .with_help("give every branch a weight, adding up to 100%, or give none"),
        );
        return;
    }
    let mut in_range = true;
    for w in &weights {
        if !(0.0..=100.0).contains(&w.value) {
            in_range = false;
            cx.report(
                Diagnostic::new(
                    Code::OutOfRange,
                    format!("branch weight {}% is not a share", fmt_num(w.value)),
                )
                .with_label(w.span, "not between 0% and 100%")
                .with_help("a weight is the share of customers taking the branch, from 0% to 100%"),
            );
        }
    }
    let sum: f64 = weights.iter().map(|w| w.value).sum();
    if in_range && (sum - 100.0).abs() > 1e-6 {
        cx.report(
            Diagnostic::new(
                Code::OutOfRange,
                format!("branch weights add up to {}%, not 100%", fmt_num(sum)),
            )
            .with_label(span, format!("weights add up to {}%", fmt_num(sum)))
            .with_help(
                "every customer takes exactly one branch, so the weights must add up to 100%",
            ),
        );
    }
}

/// W0401: steps declared in the journey but not named in its path.
fn lint_steps_not_in_path(cx: &mut Cx<'_>, j: &Journey, used: &BTreeSet<String>) {
    for (_, step) in j.steps() {
        if used.contains(&step.name.name) {
            continue;
        }
        cx.report(
            Diagnostic::new(
                Code::StepNotInPath,
                format!("step `{}` is not in the path of journey `{}`", step.name.name, j.name.name),
            )
            .with_label(step.name.span, "never used in the `path`")
            .with_help("add it to the `path`, or remove it: as it stands every event at this step is off the path"),
        );
    }
}

/// A number as a person writes it: `90`, `12.5`.
pub(super) fn fmt_num(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let s = format!("{value:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_num;

    #[test]
    fn numbers_print_as_written() {
        assert_eq!(fmt_num(90.0), "90");
        assert_eq!(fmt_num(12.5), "12.5");
        assert_eq!(fmt_num(-1.0), "-1");
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
    }
}

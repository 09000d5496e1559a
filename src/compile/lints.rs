//! The graph lints: E0402 (goal unreachable), W0403 (dead-end step) and E0404
//! (anchor never precedes its target). They ask the compiled [`JourneyGraph`]
//! the same questions the evaluator does, so a lint and a finding never disagree.
//!
//! Names the journey does not declare are skipped here: the checker reports them
//! (E0203), and a lint on a name that means nothing would only add noise.

use super::graph::JourneyGraph;
use super::journey::CompiledJourney;
use super::{NodeIndex, StepId};
use crate::check::{ExpandedClause, Origin};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{self, Anchor, Clause, ClauseKind, Ident};
use std::collections::VecDeque;

/// Lint a compiled journey against its declaration: E0402 when the goal is on no
/// path, W0403 for each step from which the goal can never be reached (steps that
/// only ever come after the goal are fine).
pub fn lint_journey(journey: &syntax::Journey, compiled: &CompiledJourney) -> Vec<Diagnostic> {
    let (Some(goal_ident), Some(goal), Some(path_span)) =
        (journey.goal(), compiled.goal, compiled.path_span)
    else {
        return Vec::new();
    };
    let graph = &compiled.graph;
    if graph.nodes_of(goal).is_empty() {
        return vec![Diagnostic::new(
            Code::GoalUnreachable,
            format!(
                "the goal `{}` of journey `{}` is not on any path",
                goal_ident.name, compiled.name
            ),
        )
        .with_label(goal_ident.span, "this goal")
        .with_secondary(path_span, "no path of the journey reaches it")
        .with_help(format!(
            "no customer can ever reach the goal, so every journey counts as failed; \
             add `{}` to the path, or make a step of the path the goal",
            goal_ident.name
        ))];
    }
    let after_goal = after(graph, graph.nodes_of(goal));
    (0..compiled.steps.len())
        .map(|i| StepId(i as u32))
        .filter(|&s| s != goal)
        .filter_map(|s| dead_end(compiled, s, goal, goal_ident, &after_goal))
        .collect()
}

/// Which nodes some path reaches from `roots` (by one edge or more).
fn after(graph: &JourneyGraph, roots: &[NodeIndex]) -> Vec<bool> {
    let mut seen = vec![false; graph.node_count()];
    let mut queue: VecDeque<NodeIndex> = roots.iter().copied().collect();
    while let Some(u) = queue.pop_front() {
        for v in graph.successors(u) {
            if !seen[v.index()] {
                seen[v.index()] = true;
                queue.push_back(v);
            }
        }
    }
    seen
}

fn dead_end(
    compiled: &CompiledJourney,
    step: StepId,
    goal: StepId,
    goal_ident: &Ident,
    after_goal: &[bool],
) -> Option<Diagnostic> {
    let graph = &compiled.graph;
    let nodes = graph.nodes_of(step);
    let dead = |n: &NodeIndex| !graph.reaches(*n, goal) && !after_goal[n.index()];
    if nodes.is_empty() || !nodes.iter().all(dead) {
        return None;
    }
    let name = compiled.step_name(step);
    let at = nodes.first().and_then(|&n| graph.occurrence(n))?;
    Some(
        Diagnostic::new(
            Code::DeadEndStep,
            format!(
                "no path from `{name}` reaches the goal `{}`",
                goal_ident.name
            ),
        )
        .with_label(
            at,
            format!("after `{name}` the journey can never reach its goal"),
        )
        .with_secondary(goal_ident.span, "the goal")
        .with_help(format!(
            "customers who take `{name}` end the journey without reaching `{goal}`; if it is a \
             legitimate exit (a refusal, a cancellation), they will be counted as not reaching \
             the goal and this warning can stay; otherwise add a path from `{name}` to `{goal}`",
            goal = goal_ident.name
        )),
    )
}

/// Lint the clauses written in an `expect` block on `compiled` (the journey its
/// target names): E0404 for each `within` or `warn after` anchored to a step that
/// can never come before the target step. For a `journey.*` target every step of
/// the path except the anchor itself is checked, and each clause is reported
/// once, naming the steps its anchor can never precede. Clauses brought in by
/// `use SET` are not seen here: see [`lint_expect_expanded`].
pub fn lint_expect(expect: &syntax::Expect, compiled: &CompiledJourney) -> Vec<Diagnostic> {
    let sites: Vec<Site<'_>> = expect
        .clauses
        .iter()
        .map(|clause| Site { clause, via: None })
        .collect();
    lint_sites(expect, &sites, compiled)
}

/// [`lint_expect`] over the block's clauses with every `use SET` expanded by the
/// checker ([`Scope::expand`](crate::check::Scope::expand)). A clause from a set
/// declared in the same file is labelled at its anchor, with the `use` as a
/// secondary label; one from a standard module (whose text is elsewhere) is
/// labelled at the `use`.
pub fn lint_expect_expanded(
    expect: &syntax::Expect,
    clauses: &[ExpandedClause<'_>],
    compiled: &CompiledJourney,
) -> Vec<Diagnostic> {
    let sites: Vec<Site<'_>> = clauses
        .iter()
        .map(|e| Site {
            clause: e.clause,
            via: e
                .via
                .map(|via| (via, e.set.is_some_and(|s| s.origin == Origin::File))),
        })
        .collect();
    lint_sites(expect, &sites, compiled)
}

/// A clause to lint, and the `use` that brought it in (with whether its set is
/// declared in the file being linted).
struct Site<'a> {
    clause: &'a Clause,
    via: Option<(&'a Ident, bool)>,
}

fn lint_sites(
    expect: &syntax::Expect,
    sites: &[Site<'_>],
    compiled: &CompiledJourney,
) -> Vec<Diagnostic> {
    let graph = &compiled.graph;
    let targets: Vec<StepId> = match &expect.target.step {
        Some(t) => compiled.step_id(&t.name).into_iter().collect(),
        None => (0..compiled.steps.len())
            .map(|i| StepId(i as u32))
            .collect(),
    };
    let targets: Vec<StepId> = targets
        .into_iter()
        .filter(|&t| !graph.nodes_of(t).is_empty())
        .collect();
    let mut out = Vec::new();
    for site in sites {
        let anchor = match &site.clause.kind {
            ClauseKind::Within {
                anchor: Anchor::Step { step },
                ..
            }
            | ClauseKind::WarnAfter {
                anchor: Anchor::Step { step },
                ..
            } => step,
            _ => continue,
        };
        let Some(a) = compiled.step_id(&anchor.name) else {
            continue;
        };
        let never: Vec<StepId> = targets
            .iter()
            .copied()
            .filter(|&t| (expect.target.step.is_some() || t != a) && !graph.can_precede(a, t))
            .collect();
        if !never.is_empty() {
            out.push(never_precedes(expect, compiled, anchor, site.via, &never));
        }
    }
    out
}

fn never_precedes(
    expect: &syntax::Expect,
    compiled: &CompiledJourney,
    anchor: &Ident,
    via: Option<(&Ident, bool)>,
    never: &[StepId],
) -> Diagnostic {
    let names: Vec<String> = never
        .iter()
        .map(|&s| format!("`{}`", compiled.step_name(s)))
        .collect();
    let steps = names.join(", ");
    let (target_span, target_note) = match &expect.target.step {
        Some(t) => (t.span, "the step the time limit is for".to_string()),
        None => (
            expect.target.span,
            format!("the time limit is for every step, {steps} included"),
        ),
    };
    let d = Diagnostic::new(
        Code::AnchorNeverPrecedes,
        format!(
            "`{}` never comes before {steps} on any path of journey `{}`",
            anchor.name, compiled.name
        ),
    );
    let d = match via {
        None => d.with_label(anchor.span, "this anchor"),
        Some((via, true)) => d
            .with_label(anchor.span, "this anchor")
            .with_secondary(via.span, format!("brought in by this `use {}`", via.name)),
        Some((via, false)) => d.with_label(
            via.span,
            format!("this set has a time limit after `{}`", anchor.name),
        ),
    };
    d.with_secondary(target_span, target_note)
        .with_help(format!(
        "a time limit is measured from the latest earlier `{}`, and no path of the journey has \
         one before {steps}, so the limit can never apply there; anchor it to a step that comes \
         earlier, or to `journey start`",
        anchor.name
    ))
}

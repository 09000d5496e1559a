//! Deadlines in event time: time limits that pass without their step (`stalled`,
//! `sla_warning`), journeys without progress (`abandoned`), and escalation tiers
//! that come due. Everything due strictly before `until` fires, earliest first;
//! a step at exactly its deadline is in time.

use super::apply::{close, finding, report, report_by, Context};
use super::checks::{anchor_name, duration};
use super::escalate;
use super::finding::{Finding, FindingKind, Level};
use super::instance::{ActivationState, CustomerState, Instance};
use super::tally::{timestamp, RuleRef, Site, Tally, Verdict};
use crate::compile::Check;

/// What comes due next in an instance.
enum Due {
    Activation(usize),
    Abandon,
    Escalation(usize),
}

/// Fire everything due before `until` in every open instance of the customer.
pub(crate) fn fire_all(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    until: i64,
    out: &mut Vec<Finding>,
) {
    let mut journeys: smallvec::SmallVec<[usize; 4]> =
        cust.instances.iter().map(|i| i.journey).collect();
    journeys.sort_unstable();
    for j in journeys {
        fire_journey(ctx, cust, tally, j, until, out);
    }
}

/// Fire everything due before `until` in the customer's instances of journey `j`
/// (the open one, and an abandoned one whose escalation tiers are still due).
#[inline]
pub(crate) fn fire_journey(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    j: usize,
    until: i64,
    out: &mut Vec<Finding>,
) {
    // Mostly nothing can be due yet: say so without a call.
    if cust
        .instances
        .iter()
        .any(|i| i.journey == j && i.due_hint < until)
    {
        fire_due(ctx, cust, tally, j, until, out);
    }
}

/// [`fire_journey`] once something may be due.
#[inline(never)]
fn fire_due(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    j: usize,
    until: i64,
    out: &mut Vec<Finding>,
) {
    while let Some(k) = first_due(ctx, cust, j, until) {
        let mut inst = cust.instances.swap_remove(k);
        let keep = fire_instance(ctx, cust, &mut inst, tally, until, out);
        // Firing moves deadlines (a next tier, abandonment): look again next time.
        inst.due_hint = i64::MIN;
        if keep {
            cust.instances.push(inst);
        } else {
            cust.retire(inst);
        }
    }
}

/// The first instance of journey `j` with something due before `until`; the
/// others learn exactly when their next deadline is.
fn first_due(ctx: &Context<'_>, cust: &mut CustomerState, j: usize, until: i64) -> Option<usize> {
    for (k, inst) in cust.instances.iter_mut().enumerate() {
        if inst.journey != j || inst.due_hint >= until {
            continue;
        }
        match next_due(ctx, inst) {
            Some((at, _)) if at < until => return Some(k),
            Some((at, _)) => inst.due_hint = at,
            None => inst.due_hint = i64::MAX,
        }
    }
    None
}

/// Fire what is due in one instance; false when the instance is done with.
#[inline(never)]
fn fire_instance(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    until: i64,
    out: &mut Vec<Finding>,
) -> bool {
    while let Some((at, due)) = next_due(ctx, inst).filter(|(at, _)| *at < until) {
        match due {
            Due::Activation(a) => deadline(ctx, cust, inst, tally, a, out),
            Due::Escalation(x) => escalate::tier_due(ctx, cust, inst, tally, x),
            Due::Abandon => {
                let journey = &ctx.program.journeys[inst.journey];
                if inst.can_stop(journey) {
                    close(ctx, cust, inst, tally, true);
                    return false;
                }
                abandon(ctx, cust, inst, tally, at, out);
            }
        }
    }
    // An ended instance stays only while escalation tiers are still due.
    !inst.ended || inst.escalations.iter().any(|x| x.due != i64::MAX)
}

/// No progress for the journey's `abandon after` time: report it, let escalations
/// see it, and end the instance.
#[cold]
fn abandon(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    at: i64,
    out: &mut Vec<Finding>,
) {
    let journey = &ctx.program.journeys[inst.journey];
    let message = format!(
        "no progress on journey `{}` for {} after `{}`",
        journey.name,
        duration(at - inst.last_progress),
        last_step_name(ctx, inst)
    );
    let f = finding(
        ctx,
        cust,
        inst,
        FindingKind::Abandoned,
        Level::Red,
        at,
        None,
        message,
    );
    let (site, rule) = (Site::journey(inst.journey), RuleRef::Abandon(inst.journey));
    report_by(ctx, inst, tally, f, site, rule, out);
    escalate::check_customer(ctx, cust, inst, tally, at);
    close(ctx, cust, inst, tally, false);
}

fn last_step_name<'a>(ctx: &'a Context<'_>, inst: &Instance) -> &'a str {
    let journey = &ctx.program.journeys[inst.journey];
    inst.steps
        .iter()
        .map(|st| st.last_seen)
        .enumerate()
        .filter(|(_, t)| *t != i64::MIN)
        .max_by_key(|(_, t)| *t)
        .map_or("start", |(s, _)| journey.steps[s].name.as_str())
}

/// The earliest thing due in the instance, with its time.
fn next_due(ctx: &Context<'_>, inst: &Instance) -> Option<(i64, Due)> {
    let mut best: Option<(i64, Due)> = None;
    let ended = inst.ended;
    let mut consider = |at: i64, due: Due| {
        if best.as_ref().is_none_or(|(b, _)| at < *b) {
            best = Some((at, due));
        }
    };
    for (i, a) in inst.activations.iter().enumerate() {
        if a.state == ActivationState::Pending && !ended {
            consider(a.due, Due::Activation(i));
        }
    }
    for (i, x) in inst.escalations.iter().enumerate() {
        if x.due != i64::MAX {
            consider(x.due, Due::Escalation(i));
        }
    }
    if let Some(after) = ctx.program.journeys[inst.journey]
        .abandon_after
        .filter(|_| !ended)
    {
        consider(
            inst.last_progress.saturating_add(after as i64 * 1000),
            Due::Abandon,
        );
    }
    best
}

/// A time limit's deadline passed without its step.
#[cold]
fn deadline(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    a: usize,
    out: &mut Vec<Finding>,
) {
    let activation = inst.activations[a].clone();
    let e = activation.expectation;
    let expectation = &ctx.program.expectations[e];
    let journey = &ctx.program.journeys[inst.journey];
    let Some(step) = expectation.step else {
        inst.activations.remove(a);
        return;
    };
    if !inst.can_reach(journey, step) {
        // The customer took another branch: this limit no longer applies.
        tally.verdict(e, Verdict::NotApplicable);
        inst.activations.remove(a);
        return;
    }
    inst.activations[a].state = ActivationState::Overdue;
    tally.verdict(e, Verdict::Missed);
    let (kind, limit, anchor) = match expectation.check {
        Check::Within { limit, anchor } => (FindingKind::Stalled, limit, anchor),
        Check::WarnAfter { limit, anchor } => (FindingKind::SlaWarning, limit, anchor),
        _ => return,
    };
    let verb = if kind == FindingKind::Stalled {
        "still no"
    } else {
        "at risk: no"
    };
    let message = format!(
        "{verb} `{}` {} after {}",
        journey.step_name(step),
        duration(limit as i64 * 1000),
        anchor_name(ctx, inst, anchor)
    );
    let mut f = finding(
        ctx,
        cust,
        inst,
        kind,
        expectation.severity.into(),
        activation.due,
        Some(step),
        message,
    );
    f.anchor = Some(timestamp(activation.anchor));
    f.deadline = Some(timestamp(activation.due));
    f.rule = Some(expectation.source.clone());
    if activation.anchor_event.0 != u32::MAX {
        f.evidence.push(ctx.evidence(
            activation.anchor_event,
            activation.anchor,
            activation.anchor_line,
            "anchor",
        ));
    }
    report(inst, tally, f, Site::rule(inst.journey, step, e), out);
    escalate::check_customer(ctx, cust, inst, tally, activation.due);
}

//! Escalations: customer-level rules fire their first tier when their condition
//! first holds for a journey instance, then each later tier when due unless its
//! `unless` holds by then; each tier fires at most once per instance. Step-level
//! rules (`broken(j.s) rate > 10% over 1d`) are computed over time buckets at the
//! end, so their result does not depend on the order the input came in.

use super::apply::{Context, CustomerFacts};
use super::condition;
use super::finding::Level;
use super::instance::{CustomerState, FiredEscalation, Instance, LastFinding};
use super::summary::{EscalationRecord, FindingRef};
use super::tally::{timestamp, Tally};
use crate::compile::{EscalationRule, Trigger};

/// A rate is judged only over at least this many visits in the window, so that
/// one bad visit out of two does not page a team lead.
pub const MIN_RATE_SAMPLE: u64 = 10;

/// Buckets per window for rates: the window slides in steps of 1/24 of itself.
pub(crate) const BUCKETS_PER_WINDOW: i64 = 24;

/// Fire customer-level escalations whose condition now holds for the instance.
#[inline]
pub(crate) fn check_customer(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    t: i64,
) {
    // Rules that depend only on findings (and segments, fixed at the start) need
    // no new look while the instance has no new finding.
    let new_findings = inst.findings_at_escalation_check != Some(inst.findings);
    inst.findings_at_escalation_check = Some(inst.findings);
    if new_findings || ctx.index.any_escalation_every_step {
        look_at_rules(ctx, cust, inst, tally, t, new_findings);
    }
}

/// [`check_customer`] past its quick test: apart from the per-event path, so
/// that path stays small.
#[inline(never)]
fn look_at_rules(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    t: i64,
    new_findings: bool,
) {
    for (r, rule) in ctx.program.escalations.iter().enumerate() {
        let Some(when) = &ctx.index.escalation_when[r] else {
            continue;
        };
        if !new_findings && !ctx.index.escalation_every_step[r] {
            continue;
        }
        if !rule.journeys.is_empty() && !rule.journeys.contains(&inst.journey) {
            continue;
        }
        if inst.escalations.iter().any(|x| x.rule == r) || rule.tiers.is_empty() {
            continue;
        }
        let holds = condition::holds(when, &CustomerFacts::new(ctx, cust, Some(inst)));
        if !holds {
            continue;
        }
        // Without a severity of its own, a tier is as serious as the worst
        // finding of the instance so far.
        let level = rule.tiers[0]
            .severity
            .map_or(inst.worst.max(Level::Yellow), Level::from);
        // Set off by the finding that came since the last look, if one did.
        let finding = inst.last_finding.filter(|_| new_findings);
        let mut fired = record(ctx, cust, inst, rule, 0, t, level);
        fired.reason = "condition holds".to_string();
        fired.finding = finding_ref(ctx, inst, finding);
        tally.escalation(fired);
        let due = rule
            .tiers
            .get(1)
            .map_or(i64::MAX, |next| t.saturating_add(next.after as i64 * 1000));
        inst.expect_due(due);
        inst.escalations.push(FiredEscalation {
            rule: r,
            next_tier: 1,
            due,
            level,
            finding,
        });
    }
}

/// The finding an escalation fired on, as a record names it.
fn finding_ref(
    ctx: &Context<'_>,
    inst: &Instance,
    finding: Option<LastFinding>,
) -> Option<FindingRef> {
    let (kind, step, time) = finding?;
    let journey = &ctx.program.journeys[inst.journey];
    Some(FindingRef {
        kind,
        step: step.map(|s| journey.step_name(s).to_string()),
        time: timestamp(time),
    })
}

/// A later tier of an escalation is due: fire it unless its `unless` holds.
pub(crate) fn tier_due(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    x: usize,
) {
    let fired = inst.escalations[x].clone();
    let rule = &ctx.program.escalations[fired.rule];
    let Some(tier) = rule.tiers.get(fired.next_tier) else {
        inst.escalations[x].due = i64::MAX;
        return;
    };
    let unless = ctx.index.tier_unless[fired.rule].get(fired.next_tier);
    let cancelled = unless
        .and_then(Option::as_ref)
        .is_some_and(|u| condition::holds(u, &CustomerFacts::new(ctx, cust, Some(inst))));
    if cancelled {
        inst.escalations[x].due = i64::MAX;
        return;
    }
    let level = tier.severity.map_or(fired.level, Level::from);
    let mut record = record(ctx, cust, inst, rule, fired.next_tier, fired.due, level);
    record.reason = format!(
        "no change {} after tier {}",
        super::checks::duration(tier.after as i64 * 1000),
        fired.next_tier
    );
    record.finding = finding_ref(ctx, inst, fired.finding);
    tally.escalation(record);
    let next = fired.next_tier + 1;
    inst.escalations[x].next_tier = next;
    inst.escalations[x].due = rule.tiers.get(next).map_or(i64::MAX, |n| {
        fired.due.saturating_add(n.after as i64 * 1000)
    });
}

/// The record of tier `tier` of a customer-level escalation, with no reason
/// and no finding yet: the caller says why.
fn record(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &Instance,
    rule: &EscalationRule,
    tier: usize,
    t: i64,
    level: Level,
) -> EscalationRecord {
    let tier_rule = &rule.tiers[tier];
    EscalationRecord {
        escalation: rule.name.clone(),
        tier: tier + 1,
        recipient: tier_rule.recipient.clone(),
        severity: level,
        time: timestamp(t),
        respond_by: tier_rule
            .within
            .map(|w| timestamp(t.saturating_add(w as i64 * 1000))),
        customer: Some(ctx.names.customers.resolve(cust.id).to_string()),
        journey: Some(ctx.program.journeys[inst.journey].name.clone()),
        instance: Some(inst.number),
        step: None,
        reason: String::new(),
        finding: None,
        rule: rule.source.clone(),
    }
}

/// Step-level rules: slide each rule's window over its buckets in time order; the
/// first tier fires when the rate crosses the threshold (again only after it fell
/// back), each later tier when due if the rate still holds then.
pub(crate) fn rates(program: &crate::compile::Program, tally: &mut Tally) {
    for (r, rule) in program.escalations.iter().enumerate() {
        let Trigger::Rate {
            journey,
            step,
            off_path,
            op,
            threshold,
            window,
        } = &rule.trigger
        else {
            continue;
        };
        let width = bucket_width(*window);
        let states = window_states(tally, r, |rate, visits| {
            visits >= MIN_RATE_SAMPLE && op.holds(rate, *threshold)
        });
        let holds_at = |t: i64| {
            let b = t.div_euclid(width);
            let i = states.partition_point(|s| s.bucket <= b);
            i > 0 && states[i - 1].holds && states[i - 1].bucket > b - BUCKETS_PER_WINDOW
        };
        let j = &program.journeys[*journey];
        let what = step.map_or_else(
            || "any step".to_string(),
            |s| format!("`{}`", j.step_name(s)),
        );
        let how = if *off_path { "off path" } else { "broken" };
        let mut previous = false;
        let mut last_bucket = i64::MIN;
        for state in &states {
            // Buckets without data for a whole window: the rate fell back to nothing.
            if state.bucket.saturating_sub(last_bucket) >= BUCKETS_PER_WINDOW {
                previous = false;
            }
            last_bucket = state.bucket;
            if state.holds && !previous {
                let reason = format!(
                    "{what} {how} on {:.1}% of {} visits in {} (threshold {} {}%)",
                    state.rate,
                    state.visits,
                    super::checks::duration(*window as i64 * 1000),
                    op.as_str(),
                    super::checks::fmt(*threshold)
                );
                let mut t = (state.bucket + 1) * width;
                for (tier, tier_rule) in rule.tiers.iter().enumerate() {
                    if tier > 0 {
                        t = t.saturating_add(tier_rule.after as i64 * 1000);
                        if !holds_at(t) {
                            break;
                        }
                    }
                    tally.escalation(EscalationRecord {
                        escalation: rule.name.clone(),
                        tier: tier + 1,
                        recipient: tier_rule.recipient.clone(),
                        severity: tier_rule.severity.map_or(Level::Yellow, Level::from),
                        time: timestamp(t),
                        respond_by: tier_rule
                            .within
                            .map(|w| timestamp(t.saturating_add(w as i64 * 1000))),
                        customer: None,
                        journey: Some(j.name.clone()),
                        instance: None,
                        step: step.map(|s| j.step_name(s).to_string()),
                        reason: reason.clone(),
                        finding: None,
                        rule: rule.source.clone(),
                    });
                }
            }
            previous = state.holds;
        }
    }
}

/// The rate over the window ending at one bucket.
struct WindowState {
    bucket: i64,
    visits: u64,
    rate: f64,
    holds: bool,
}

/// The window's rate at every bucket that has data, in time order.
fn window_states(tally: &Tally, rule: usize, holds: impl Fn(f64, u64) -> bool) -> Vec<WindowState> {
    let mut in_window: std::collections::VecDeque<(i64, u64, u64)> = Default::default();
    let (mut visits, mut flagged) = (0u64, 0u64);
    let mut states = Vec::new();
    for (b, (v, f)) in tally.rate_buckets(rule) {
        in_window.push_back((b, v, f));
        visits += v;
        flagged += f;
        while in_window
            .front()
            .is_some_and(|(old, ..)| *old <= b - BUCKETS_PER_WINDOW)
        {
            if let Some((_, ov, of)) = in_window.pop_front() {
                visits -= ov;
                flagged -= of;
            }
        }
        let rate = if visits == 0 {
            0.0
        } else {
            flagged.min(visits) as f64 * 100.0 / visits as f64
        };
        states.push(WindowState {
            bucket: b,
            visits,
            rate,
            holds: holds(rate, visits),
        });
    }
    states
}

/// Width of one rate bucket in ms: 1/24 of the window, at least a minute.
pub(crate) fn bucket_width(window: u64) -> i64 {
    ((window as i64 * 1000) / BUCKETS_PER_WINDOW).max(60_000)
}

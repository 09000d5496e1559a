//! Deviations at a touchpoint and in the data: a step past its deadline, the
//! wrong channel, a bad metric, a repeated ask, a late event, an extra record
//! (unmapped or malformed).

use super::order::{insert_round, rounds};
use super::{customer_limits, ideal, shift, steps, CHANNELS};
use crate::compile::{AnchorRef, CompiledJourney};
use crate::eval::FindingKind;
use crate::simulate::plan::Limit;
use crate::simulate::rng::Rng;
use crate::simulate::timing;
use crate::simulate::{AttrValue, RecordKind, SimEvent, Simulator, Trace};

pub(super) fn delay(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let plan = sim.plan(t.journey);
    let segment = t.segment.clone();
    let applies = |l: &Limit| {
        l.segments.is_empty() || segment.as_ref().is_some_and(|seg| l.segments.contains(seg))
    };
    // (target event index, anchor event index, limit) of each within that a step fulfils.
    let mut candidates: Vec<(usize, usize, u64)> = Vec::new();
    for l in plan.limits.iter().filter(|l| !l.warn && applies(l)) {
        let Some(target) = l.target else { continue };
        let too_long = journey.abandon_after.is_some_and(|a| l.limit >= a / 2);
        if too_long {
            continue;
        }
        for k in (0..s.len()).filter(|&k| s[k] == target) {
            let anchor = match l.anchor {
                AnchorRef::JourneyStart => Some(0),
                AnchorRef::Step(a) => (0..k).find(|&i| s[i] == a),
            };
            if let Some(a) = anchor.filter(|&a| a < k) {
                candidates.push((k, a, l.limit));
            }
        }
    }
    let &(k, a, limit) = rng.pick(&candidates)?;
    let due = t.events[a].time + limit as i64;
    let late_by = rng.between(60, 3600.min(limit.max(60))) as i64;
    shift(t, k, due + late_by - t.events[k].time);
    // Everything the shift makes late, for this customer's segment.
    let limits = customer_limits(sim, t);
    let times: Vec<i64> = t.events.iter().map(|e| e.time).collect();
    let expected = timing::late_kinds(&limits, &journey.graph, &s, &times);
    Some(expected)
}

pub(super) fn wrong_channel(
    sim: &Simulator<'_>,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let plan = sim.plan(t.journey);
    let candidates: Vec<usize> = (0..t.events.len())
        .filter(|&k| match t.events[k].kind {
            RecordKind::Step(s) => !plan.steps[s.index()].channels.is_empty(),
            _ => false,
        })
        .collect();
    let k = *rng.pick(&candidates)?;
    let RecordKind::Step(s) = t.events[k].kind else {
        return None;
    };
    let named = &plan.steps[s.index()].named_channels;
    let wrong: Vec<&str> = CHANNELS
        .into_iter()
        .filter(|c| !named.iter().any(|n| n == c))
        .collect();
    t.events[k].channel = Some(rng.pick(&wrong)?.to_string());
    Some(vec![FindingKind::WrongChannel])
}

pub(super) fn bad_metric(
    sim: &Simulator<'_>,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let plan = sim.plan(t.journey);
    let mut candidates: Vec<(usize, usize, f64, FindingKind)> = Vec::new();
    for (k, e) in t.events.iter().enumerate() {
        let RecordKind::Step(s) = e.kind else {
            continue;
        };
        for (a, (key, _)) in e.attrs.iter().enumerate() {
            let Some(m) = plan.steps[s.index()]
                .metrics
                .iter()
                .find(|m| &m.name == key)
            else {
                continue;
            };
            if m.lo > m.range.0 {
                candidates.push((k, a, m.range.0, FindingKind::MetricBelow));
            } else if m.hi < m.range.1 {
                candidates.push((k, a, m.range.1, FindingKind::MetricAbove));
            }
        }
    }
    let &(k, a, value, kind) = rng.pick(&candidates)?;
    t.events[k].attrs[a].1 = AttrValue::Number(value);
    Some(vec![kind])
}

pub(super) fn repeated_ask(
    sim: &Simulator<'_>,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let plan = sim.plan(t.journey);
    // A rule that applies to this customer, and two events at steps it covers
    // (the evaluator remembers asks only where an `asks_once` applies).
    let mut candidates: Vec<(usize, Vec<usize>)> = Vec::new();
    for (r, rule) in plan.ask_rules.iter().enumerate() {
        let applies = rule.segments.is_empty()
            || t.segment
                .as_ref()
                .is_some_and(|s| rule.segments.contains(s));
        let covered: Vec<usize> = (0..t.events.len())
            .filter(|&k| match t.events[k].kind {
                RecordKind::Step(s) => rule.step.is_none_or(|x| x == s),
                _ => false,
            })
            .collect();
        if applies && covered.len() >= 2 {
            candidates.push((r, covered));
        }
    }
    if candidates.is_empty() {
        return asked_again_in_a_round(sim, t, rng);
    }
    let (r, covered) = rng.pick(&candidates)?.clone();
    let rule = &plan.ask_rules[r];
    let items = if rule.items.is_empty() {
        &plan.ask_items
    } else {
        &rule.items
    };
    let item = rng.pick(items)?.clone();
    let a = rng.index(covered.len() - 1);
    let b = a + 1 + rng.index(covered.len() - a - 1);
    for e in t.events.iter_mut() {
        e.attrs
            .retain(|(k, v)| !(k == "asked" && *v == AttrValue::Text(item.clone())));
    }
    for k in [covered[a], covered[b]] {
        let e = &mut t.events[k];
        e.attrs.retain(|(k, _)| k != "asked");
        e.attrs
            .push(("asked".to_string(), AttrValue::Text(item.clone())));
    }
    Some(vec![FindingKind::RepeatedAsk])
}

/// A repeated ask through a second round of steps (a customer who comes back
/// and is asked again): the round's copy of a step an `asks_once` covers asks
/// for the same item as the original.
fn asked_again_in_a_round(
    sim: &Simulator<'_>,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let journey = &sim.policy.program.journeys[t.journey];
    let plan = sim.plan(t.journey);
    let rule = plan.ask_rules.iter().find(|r| {
        r.segments.is_empty() || t.segment.as_ref().is_some_and(|s| r.segments.contains(s))
    })?;
    let covers = |e: &SimEvent| match e.kind {
        RecordKind::Step(s) => rule.step.is_none_or(|x| x == s),
        _ => false,
    };
    let gap = rng.between(60, 3600) as i64;
    let candidates: Vec<(usize, usize)> = rounds(sim, journey, t, gap)
        .into_iter()
        .filter(|&(k, j)| t.events[k..=j].iter().any(covers))
        .collect();
    let &(k, j) = rng.pick(&candidates)?;
    let x = (k..=j).find(|&x| covers(&t.events[x]))?;
    let items = if rule.items.is_empty() {
        &plan.ask_items
    } else {
        &rule.items
    };
    let item = rng.pick(items)?.clone();
    insert_round(t, k, j, gap);
    let copy = j + 1 + (x - k);
    for e in t.events.iter_mut() {
        e.attrs
            .retain(|(k, v)| !(k == "asked" && *v == AttrValue::Text(item.clone())));
    }
    for at in [x, copy] {
        let e = &mut t.events[at];
        e.attrs.retain(|(k, _)| k != "asked");
        e.attrs
            .push(("asked".to_string(), AttrValue::Text(item.clone())));
    }
    let mut expected = vec![FindingKind::RepeatedAsk];
    let s = steps(t);
    let over = (k..=j).any(|y| {
        plan.steps[s[y].index()]
            .max_visits
            .is_some_and(|m| s.iter().filter(|&&z| z == s[y]).count() as u32 > m)
    });
    if over {
        expected.push(FindingKind::TooManyAttempts);
    }
    Some(expected)
}

pub(super) fn late(sim: &Simulator<'_>, t: &mut Trace, rng: &mut Rng) -> Option<Vec<FindingKind>> {
    ideal(t)?;
    let lateness = sim.options.lateness as i64;
    let last = t.events.last()?.time;
    // Event k is late when some later event i, released before the trace ends
    // (at most `last - lateness`), is applied before it arrives.
    let candidates: Vec<usize> = (1..t.events.len().saturating_sub(1))
        .filter(|&k| {
            t.events[k + 1..]
                .iter()
                .any(|e| e.time > t.events[k].time && e.time <= last - lateness)
        })
        .collect();
    let k = *rng.pick(&candidates)?;
    let event = t.events.remove(k);
    t.events.push(event);
    Some(vec![FindingKind::LateEvent])
}

/// Insert an extra record between two of the trace's events.
pub(super) fn insert_extra(
    t: &mut Trace,
    rng: &mut Rng,
    name: String,
    kind: RecordKind,
) -> Option<()> {
    let k = rng.index(t.events.len());
    let base = t.events.get(k)?;
    let record = SimEvent {
        customer: base.customer.clone(),
        name,
        kind,
        time: base.time,
        channel: None,
        actor: None,
        attrs: Vec::new(),
    };
    t.events.insert(k + 1, record);
    Some(())
}

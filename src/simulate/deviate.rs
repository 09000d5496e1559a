//! [`Deviation`]s: one realistic thing going wrong in a customer's trace, each
//! made so that the evaluator reports a known finding kind. A deviation that
//! cannot apply to a trace (no step with a channel rule, no time limit, a path
//! with nothing to skip) returns `None`, and the stream tries another.

use super::plan::Limit;
use super::rng::Rng;
use super::timing::reaches;
use super::{Applied, AttrValue, RecordKind, SimEvent, Simulator, Trace};
use crate::compile::{AnchorRef, CompiledJourney, StepId};
use crate::eval::FindingKind;

/// One kind of deviation from the ideal journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Deviation {
    /// Leave out a step the path requires: `unexpected_step` at the next one.
    /// Only where no time limit passes because of it.
    SkipStep,
    /// Two steps back to back in the wrong order: `unexpected_step`. Only where
    /// no time limit passes because of it.
    SwapSteps,
    /// A step after its `within` deadline: `stalled`, then `sla_breach`.
    Delay,
    /// A step on a channel its `via` does not allow: `wrong_channel`.
    WrongChannel,
    /// A metric outside what an expectation accepts: `metric_below`/`metric_above`.
    BadMetric,
    /// The customer is asked again for an item already given: `repeated_ask`.
    RepeatedAsk,
    /// A step the path allows again, more often than its attempt limit: `too_many_attempts`.
    TooManyAttempts,
    /// A step again where the path cannot repeat it: `too_many_repeats`.
    Repeat,
    /// The customer stops midway: `abandoned` (or `incomplete` at the end of input).
    Abandon,
    /// The same event recorded twice: `duplicate_event`.
    Duplicate,
    /// An event arriving after later ones beyond the lateness window: `late_event`.
    Late,
    /// An event whose name no step matches: `unmapped_event`.
    Unmapped,
    /// A line the reader cannot read: `rejected_record`.
    Malformed,
}

impl Deviation {
    /// Every deviation.
    pub const ALL: [Deviation; 13] = [
        Deviation::SkipStep,
        Deviation::SwapSteps,
        Deviation::Delay,
        Deviation::WrongChannel,
        Deviation::BadMetric,
        Deviation::RepeatedAsk,
        Deviation::TooManyAttempts,
        Deviation::Repeat,
        Deviation::Abandon,
        Deviation::Duplicate,
        Deviation::Late,
        Deviation::Unmapped,
        Deviation::Malformed,
    ];

    /// The name used on the command line, `skip_step`.
    pub fn as_str(self) -> &'static str {
        match self {
            Deviation::SkipStep => "skip_step",
            Deviation::SwapSteps => "swap_steps",
            Deviation::Delay => "delay",
            Deviation::WrongChannel => "wrong_channel",
            Deviation::BadMetric => "bad_metric",
            Deviation::RepeatedAsk => "repeated_ask",
            Deviation::TooManyAttempts => "too_many_attempts",
            Deviation::Repeat => "repeat",
            Deviation::Abandon => "abandon",
            Deviation::Duplicate => "duplicate",
            Deviation::Late => "late",
            Deviation::Unmapped => "unmapped",
            Deviation::Malformed => "malformed",
        }
    }

    /// The deviation named `name` (as [`as_str`](Self::as_str) writes it).
    pub fn parse(name: &str) -> Option<Deviation> {
        Deviation::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// Event names used for unmapped events, when no step matches them.
const UNMAPPED: [&str; 4] = ["Page viewed", "Survey sent", "Reminder sent", "Agent note"];

/// Channels tried for a wrong channel.
const CHANNELS: [&str; 8] = [
    "fax", "letter", "phone", "email", "sms", "web", "app", "portal",
];

pub(super) fn apply(
    sim: &Simulator<'_>,
    trace: &Trace,
    d: Deviation,
    rng: &mut Rng,
) -> Option<Trace> {
    let journey = &sim.policy.journeys[trace.journey];
    let mut t = trace.clone();
    let expected = match d {
        Deviation::SkipStep => skip(sim, journey, &mut t, rng)?,
        Deviation::SwapSteps => swap(sim, journey, &mut t, rng)?,
        Deviation::Delay => delay(sim, journey, &mut t, rng)?,
        Deviation::WrongChannel => wrong_channel(sim, &mut t, rng)?,
        Deviation::BadMetric => bad_metric(sim, &mut t, rng)?,
        Deviation::RepeatedAsk => repeated_ask(sim, &mut t, rng)?,
        Deviation::TooManyAttempts => too_many_attempts(sim, journey, &mut t, rng)?,
        Deviation::Repeat => repeat(journey, &mut t, rng)?,
        Deviation::Abandon => abandon(journey, &mut t, rng)?,
        Deviation::Duplicate => {
            let k = rng.index(t.events.len());
            let copy = t.events.get(k)?.clone();
            t.events.insert(k + 1, copy);
            vec![FindingKind::DuplicateEvent]
        }
        Deviation::Late => late(sim, &mut t, rng)?,
        Deviation::Unmapped => {
            let names: Vec<&str> = UNMAPPED
                .into_iter()
                .filter(|n| {
                    !sim.policy
                        .journeys
                        .iter()
                        .any(|j| j.steps.iter().any(|s| s.match_names.iter().any(|m| m == n)))
                })
                .collect();
            let name = rng.pick(&names)?.to_string();
            insert_extra(&mut t, rng, name, RecordKind::Unmapped)?;
            vec![FindingKind::UnmappedEvent]
        }
        Deviation::Malformed => {
            let name = t.events.first()?.name.clone();
            insert_extra(&mut t, rng, name, RecordKind::Malformed)?;
            vec![FindingKind::RejectedRecord]
        }
    };
    t.deviation = Some(Applied {
        deviation: d,
        expected,
    });
    Some(t)
}

/// The step of each event (the trace is ideal: all are steps).
fn steps(t: &Trace) -> Vec<StepId> {
    t.events
        .iter()
        .filter_map(|e| match e.kind {
            RecordKind::Step(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// The evaluator's active node set after each prefix: `out[k]` after `k` steps.
fn prefixes(journey: &CompiledJourney, steps: &[StepId]) -> Vec<Vec<u32>> {
    let mut out = vec![journey.graph.initial()];
    let mut next = Vec::new();
    for &s in steps {
        let last = out.last().cloned().unwrap_or_default();
        journey.graph.advance_into(&last, s, &mut next);
        out.push(next.clone());
    }
    out
}

fn allows(journey: &CompiledJourney, from: &[u32], step: StepId) -> bool {
    let mut next = Vec::new();
    journey.graph.advance_into(from, step, &mut next);
    !next.is_empty()
}

/// Only ideal traces (every record a step, in order) are deviated.
fn ideal(t: &Trace) -> Option<Vec<StepId>> {
    let s = steps(t);
    (t.deviation.is_none() && s.len() == t.events.len()).then_some(s)
}

/// Put the customer's segment attributes on the first record again, wherever
/// the deviation moved them.
fn profile_first(t: &mut Trace) {
    for e in t.events.iter_mut() {
        e.attrs
            .retain(|(k, _)| !t.profile.iter().any(|(p, _)| p == k));
    }
    if let Some(first) = t.events.first_mut() {
        first.attrs.splice(0..0, t.profile.iter().cloned());
    }
}

/// Shift events `from..` by `delta` seconds.
fn shift(t: &mut Trace, from: usize, delta: i64) {
    for e in t.events.iter_mut().skip(from) {
        e.time = e.time.saturating_add(delta);
    }
}

fn skip(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    let candidates: Vec<usize> = (0..s.len().saturating_sub(1))
        .filter(|&i| !allows(journey, &pre[i], s[i + 1]))
        .filter(|&i| {
            let mut u = t.clone();
            skip_at(&mut u, i);
            on_time(sim, journey, &u)
        })
        .collect();
    let i = *rng.pick(&candidates)?;
    skip_at(t, i);
    Some(vec![FindingKind::UnexpectedStep])
}

/// Leave out event `i`; the next step takes its time, so no time limit moves later.
fn skip_at(t: &mut Trace, i: usize) {
    let removed = t.events.remove(i);
    let back = t.events[i].time - removed.time;
    shift(t, i, -back);
    profile_first(t);
}

/// True when a (deviated) trace meets every time limit of its customer, as the
/// evaluator follows it: the deviation then shows as itself alone.
fn on_time(sim: &Simulator<'_>, journey: &CompiledJourney, t: &Trace) -> bool {
    let limits = customer_limits(sim, t);
    let steps = steps(t);
    let times: Vec<i64> = t.events.iter().map(|e| e.time).collect();
    super::timing::late_kinds(&limits, &journey.graph, &steps, &times).is_empty()
}

/// The time limits that apply to the trace's customer.
fn customer_limits(sim: &Simulator<'_>, t: &Trace) -> Vec<Limit> {
    sim.plan(t.journey)
        .limits
        .iter()
        .filter(|l| {
            l.segments.is_empty() || t.segment.as_ref().is_some_and(|s| l.segments.contains(s))
        })
        .cloned()
        .collect()
}

fn swap(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    // Steps i and i+1 where the path refuses the second first, with a step
    // after the pair; the swap must not make a time limit pass as well.
    let candidates: Vec<usize> = (0..s.len().saturating_sub(2))
        .filter(|&i| s[i] != s[i + 1] && !allows(journey, &pre[i], s[i + 1]))
        .filter(|&i| {
            let mut u = t.clone();
            swap_at(&mut u, i);
            on_time(sim, journey, &u)
        })
        .collect();
    let i = *rng.pick(&candidates)?;
    swap_at(t, i);
    Some(vec![FindingKind::UnexpectedStep])
}

/// Swap events i and i+1, back to back, with the next step right after them, so
/// no time limit moves later.
fn swap_at(t: &mut Trace, i: usize) {
    let first = t.events[i].time;
    let mut a = t.events[i].clone();
    let mut b = t.events[i + 1].clone();
    b.time = first;
    a.time = first + 1;
    t.events[i] = b;
    t.events[i + 1] = a;
    let next = t.events[i + 2].time;
    shift(t, i + 2, first + 2 - next);
    profile_first(t);
}

fn delay(
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
    let expected = super::timing::late_kinds(&limits, &journey.graph, &s, &times);
    Some(expected)
}

fn wrong_channel(sim: &Simulator<'_>, t: &mut Trace, rng: &mut Rng) -> Option<Vec<FindingKind>> {
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

fn bad_metric(sim: &Simulator<'_>, t: &mut Trace, rng: &mut Rng) -> Option<Vec<FindingKind>> {
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

fn repeated_ask(sim: &Simulator<'_>, t: &mut Trace, rng: &mut Rng) -> Option<Vec<FindingKind>> {
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
    let journey = &sim.policy.journeys[t.journey];
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

/// A copy of event `k` at `time`, without its customer or ask attributes.
fn again(t: &Trace, k: usize, time: i64) -> SimEvent {
    let mut copy = t.events[k].clone();
    copy.time = time;
    copy.attrs
        .retain(|(key, _)| key != "asked" && !t.profile.iter().any(|(p, _)| p == key));
    copy
}

fn too_many_attempts(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let plan = sim.plan(t.journey);
    let at_limit = |x: StepId| {
        plan.steps[x.index()]
            .max_visits
            .is_some_and(|m| s.iter().filter(|&&y| y == x).count() as u32 == m)
    };
    let gap = rng.between(60, 3600) as i64;
    let candidates: Vec<(usize, usize)> = rounds(sim, journey, t, gap)
        .into_iter()
        .filter(|&(k, j)| s[k..=j].iter().any(|&x| at_limit(x)))
        .collect();
    let &(k, j) = rng.pick(&candidates)?;
    insert_round(t, k, j, gap);
    Some(vec![FindingKind::TooManyAttempts])
}

/// Rounds `(k, j)`: steps `k..=j` that the path allows again right after `j`,
/// with the rest of the trace still on the path after them, and no time limit
/// passing when they are inserted `gap` seconds after event `j`.
fn rounds(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &Trace,
    gap: i64,
) -> Vec<(usize, usize)> {
    let Some(s) = ideal(t) else {
        return Vec::new();
    };
    let pre = prefixes(journey, &s);
    let mut out = Vec::new();
    for j in 0..s.len() {
        for k in 0..=j {
            let mut p = pre[j + 1].clone();
            let mut next = Vec::new();
            let on_path = s[k..=j].iter().all(|&x| {
                journey.graph.advance_into(&p, x, &mut next);
                std::mem::swap(&mut p, &mut next);
                !p.is_empty()
            }) && s.get(j + 1).is_none_or(|&n| allows(journey, &p, n));
            if on_path {
                let mut u = t.clone();
                insert_round(&mut u, k, j, gap);
                if on_time(sim, journey, &u) {
                    out.push((k, j));
                }
            }
        }
    }
    out
}

/// Insert copies of events `k..=j` (their gaps kept) `gap` seconds after event
/// `j`, and move the rest of the trace later by as much.
fn insert_round(t: &mut Trace, k: usize, j: usize, gap: i64) {
    let base = t.events[k].time;
    let end = t.events[j].time;
    let copies: Vec<SimEvent> = (k..=j)
        .map(|x| again(t, x, end + gap + (t.events[x].time - base)))
        .collect();
    shift(t, j + 1, gap + (end - base));
    let at = j + 1;
    t.events.splice(at..at, copies);
}

fn repeat(journey: &CompiledJourney, t: &mut Trace, rng: &mut Rng) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    // Repeat step k right after event j (k <= j < last) where it cannot come again.
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for j in 0..s.len().saturating_sub(1) {
        for (k, &step) in s.iter().enumerate().take(j + 1) {
            if !reaches(&journey.graph, &pre[j + 1], step)
                && t.events[j + 1].time - t.events[j].time > 1
            {
                candidates.push((k, j));
            }
        }
    }
    let &(k, j) = rng.pick(&candidates)?;
    let copy = again(t, k, t.events[j].time + 1);
    t.events.insert(j + 1, copy);
    Some(vec![FindingKind::TooManyRepeats])
}

fn abandon(journey: &CompiledJourney, t: &mut Trace, rng: &mut Rng) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    let candidates: Vec<usize> = (1..s.len())
        .filter(|&k| {
            !pre[k].iter().any(|&n| {
                journey
                    .graph
                    .is_accepting(crate::compile::NodeIndex::new(n as usize))
            })
        })
        .collect();
    let k = *rng.pick(&candidates)?;
    t.events.truncate(k);
    let kind = if journey.abandon_after.is_some() {
        FindingKind::Abandoned
    } else {
        FindingKind::Incomplete
    };
    Some(vec![kind])
}

fn late(sim: &Simulator<'_>, t: &mut Trace, rng: &mut Rng) -> Option<Vec<FindingKind>> {
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
fn insert_extra(t: &mut Trace, rng: &mut Rng, name: String, kind: RecordKind) -> Option<()> {
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

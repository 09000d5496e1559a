//! [`Deviation`]s: one realistic thing going wrong in a customer's trace, each
//! made so that the evaluator reports a known finding kind. A deviation that
//! cannot apply to a trace (no step with a channel rule, no time limit, a path
//! with nothing to skip) returns `None`, and the stream tries another.

mod order;
mod touch;

use super::plan::Limit;
use super::rng::Rng;
use super::{Applied, RecordKind, SimEvent, Simulator, Trace};
use crate::compile::{CompiledJourney, StepId};
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
    let journey = &sim.policy.program.journeys[trace.journey];
    let mut t = trace.clone();
    let expected = match d {
        Deviation::SkipStep => order::skip(sim, journey, &mut t, rng)?,
        Deviation::SwapSteps => order::swap(sim, journey, &mut t, rng)?,
        Deviation::Delay => touch::delay(sim, journey, &mut t, rng)?,
        Deviation::WrongChannel => touch::wrong_channel(sim, &mut t, rng)?,
        Deviation::BadMetric => touch::bad_metric(sim, &mut t, rng)?,
        Deviation::RepeatedAsk => touch::repeated_ask(sim, &mut t, rng)?,
        Deviation::TooManyAttempts => order::too_many_attempts(sim, journey, &mut t, rng)?,
        Deviation::Repeat => order::repeat(journey, &mut t, rng)?,
        Deviation::Abandon => order::abandon(journey, &mut t, rng)?,
        Deviation::Duplicate => {
            let k = rng.index(t.events.len());
            let copy = t.events.get(k)?.clone();
            t.events.insert(k + 1, copy);
            vec![FindingKind::DuplicateEvent]
        }
        Deviation::Late => touch::late(sim, &mut t, rng)?,
        Deviation::Unmapped => {
            let names: Vec<&str> = UNMAPPED
                .into_iter()
                .filter(|n| {
                    !sim.policy
                        .program
                        .journeys
                        .iter()
                        .any(|j| j.steps.iter().any(|s| s.match_names.iter().any(|m| m == n)))
                })
                .collect();
            let name = rng.pick(&names)?.to_string();
            touch::insert_extra(&mut t, rng, name, RecordKind::Unmapped)?;
            vec![FindingKind::UnmappedEvent]
        }
        Deviation::Malformed => {
            let name = t.events.first()?.name.clone();
            touch::insert_extra(&mut t, rng, name, RecordKind::Malformed)?;
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

/// A copy of event `k` at `time`, without its customer or ask attributes.
fn again(t: &Trace, k: usize, time: i64) -> SimEvent {
    let mut copy = t.events[k].clone();
    copy.time = time;
    copy.attrs
        .retain(|(key, _)| key != "asked" && !t.profile.iter().any(|(p, _)| p == key));
    copy
}

//! Stage `simulate`: the ideal journey, played. From a compiled [`Policy`] the
//! simulator makes customers, walks each one's journey graph (`walk`), times
//! the steps so that every time limit is met (`timing`), picks channels and
//! metric values every expectation accepts (`plan`), and writes the events in
//! the formats the evaluator reads ([`write`](mod@write)). On request it injects
//! [`Deviation`]s, each made to produce a known finding kind, and it interleaves
//! customers into one time-ordered stream with a bounded number in flight
//! ([`Stream`]).
//!
//! What a simulated customer is:
//! - **Journey**: the one asked for (`journey`), or one of the policy's
//!   journeys with a path, chosen uniformly.
//! - **Attributes**: the journey is for some segments; one is chosen uniformly
//!   and attributes that satisfy its `when` are solved for (`attrs`): equality
//!   and comparisons of an attribute with a literal, `in` lists, `and`/`or`/`not`,
//!   `segment(x)`. They are written on the customer's first event (the evaluator
//!   decides segments when an instance opens, from what it knows then).
//! - **Steps**: edge weights normalised over a node's outgoing edges;
//!   unweighted edges (and stopping, at an accepting node) share the rest.
//! - **Times**: `takes min..max`, else 2 minutes to 6 hours, shrunk where a time
//!   limit (of any segment), a `J.*` limit or `abandon after` needs it.
//! - **Channels**: uniformly among those the step's `via` and every channel
//!   expectation allow. **Metrics**: a whole value (when the scale is whole)
//!   inside what every metric expectation accepts, on every frontstage step and
//!   on steps an expectation names. **Asks**: now and then an `asked` item, never
//!   one asked before, when an `asks_once` applies.
//! - **Event names**: the step's first `match` name (or its own name).
//!
//! **Deviations** ([`Deviation`]) are injected into ideal traces and say which
//! finding kinds they produce ([`Applied::expected`]). Those that move steps or
//! times (skip, swap, delay, a second round) are checked against the time
//! limits as the evaluator follows the customer (including its
//! re-synchronisation after a step out of order), so a skipped or swapped step
//! shows as `unexpected_step` alone and a delay names every limit it breaks.
//!
//! Limitations: one constraint per attribute is solved (`age > 20 and age < 30`
//! gives 21, which happens to hold; contradictory bounds are not detected);
//! segment scopes of time limits, channels and metrics are all honoured at once
//! (an ideal trace meets the rules of every segment); a step's `takes` gives way
//! to the time limits; loops are played at most as often as attempt limits
//! allow, and 64 steps at most.
//!
//! Reproducible: everything comes from one seed through a splitmix64 [`Rng`],
//! and each customer draws from its own derived generator, so customer `n` is
//! the same whatever the concurrency. The library reads no clock: the start time
//! is an option.

mod attrs;
mod deviate;
mod plan;
mod rng;
mod stream;
mod timing;
mod walk;
pub mod write;

pub use deviate::Deviation;
pub use rng::Rng;
pub use stream::Stream;

use crate::compile::{Policy, StepId};
use crate::eval::FindingKind;
use jiff::Timestamp;
use plan::JourneyPlan;

/// Options of a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// How many customers.
    pub customers: u64,
    /// The seed: the same seed gives the same output.
    pub seed: u64,
    /// Share of customers (0 to 1) that get one deviation.
    pub deviation_rate: f64,
    /// Which deviations may be injected (default: all).
    pub deviations: Vec<Deviation>,
    /// When the first customer starts.
    pub start: Timestamp,
    /// Most customers in flight at once.
    pub concurrency: usize,
    /// Mean gap in seconds between one customer's start and the next's.
    pub stagger: u64,
    /// Only this journey (default: any journey with a path).
    pub journey: Option<String>,
    /// The evaluator's lateness window in seconds, which late events must exceed.
    pub lateness: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            customers: 100,
            seed: 0,
            deviation_rate: 0.0,
            deviations: Deviation::ALL.to_vec(),
            start: Timestamp::from_second(1_772_323_200).unwrap_or(Timestamp::UNIX_EPOCH),
            concurrency: 50,
            stagger: 300,
            journey: None,
            lateness: crate::eval::DEFAULT_LATENESS,
        }
    }
}

/// Why a simulation cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// `journey` names no journey of the policy.
    #[error("no journey `{name}` in the policy (journeys: {known})")]
    UnknownJourney {
        /// The name asked for.
        name: String,
        /// The policy's journeys, comma-separated.
        known: String,
    },
    /// No journey has a step to play.
    #[error("the policy has no journey with a path to simulate")]
    NothingToPlay,
}

/// An attribute value written on an event.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
}

/// What a simulated record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// An event of a step.
    Step(StepId),
    /// An event whose name no step matches.
    Unmapped,
    /// A line the reader must reject.
    Malformed,
}

/// One simulated record.
#[derive(Debug, Clone, PartialEq)]
pub struct SimEvent {
    /// The customer id.
    pub customer: String,
    /// The event name (a step's first `match` name).
    pub name: String,
    /// What it is.
    pub kind: RecordKind,
    /// Event time, in seconds since the Unix epoch.
    pub time: i64,
    /// The channel, if any.
    pub channel: Option<String>,
    /// Who acted (the step's owner), if known.
    pub actor: Option<String>,
    /// Every other attribute, in order.
    pub attrs: Vec<(String, AttrValue)>,
}

impl SimEvent {
    /// The event time as a timestamp (saturating at the ends of time).
    pub fn timestamp(&self) -> Timestamp {
        seconds_to_timestamp(self.time)
    }

    /// The first attribute named `key`.
    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// A deviation injected into a trace, and what it must produce.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// Which deviation.
    pub deviation: Deviation,
    /// The finding kinds it produces for this customer (at least the first).
    pub expected: Vec<FindingKind>,
}

/// One customer's records, in the order they are emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The customer id.
    pub customer: String,
    /// The journey, by index in [`crate::Program::journeys`].
    pub journey: usize,
    /// The segment the customer was made for, if the journey names any.
    pub segment: Option<String>,
    /// The attributes that put the customer in that segment (on the first record).
    pub profile: Vec<(String, AttrValue)>,
    /// The records in emission order (time order, except late events).
    pub events: Vec<SimEvent>,
    /// The deviation injected, if any.
    pub deviation: Option<Applied>,
}

/// The simulator of one policy.
pub struct Simulator<'p> {
    policy: &'p Policy,
    options: SimOptions,
    plans: Vec<JourneyPlan>,
    /// Journeys customers are made for.
    journeys: Vec<usize>,
}

/// Generator streams, so each purpose draws independently.
const STREAM_CUSTOMER: u64 = 1;
const STREAM_DEVIATION: u64 = 2;
pub(crate) const STREAM_SCHEDULE: u64 = 3;

impl<'p> Simulator<'p> {
    /// A simulator of `policy`.
    pub fn new(policy: &'p Policy, options: SimOptions) -> Result<Simulator<'p>, SimError> {
        let playable = |j: &crate::compile::CompiledJourney| j.graph.node_count() > 1;
        let journeys: Vec<usize> = match &options.journey {
            Some(name) => match policy.program.journeys.iter().position(|j| &j.name == name) {
                Some(j) => vec![j],
                None => {
                    let known: Vec<&str> = policy
                        .program
                        .journeys
                        .iter()
                        .map(|j| j.name.as_str())
                        .collect();
                    return Err(SimError::UnknownJourney {
                        name: name.clone(),
                        known: known.join(", "),
                    });
                }
            },
            None => (0..policy.program.journeys.len()).collect(),
        };
        let journeys: Vec<usize> = journeys
            .into_iter()
            .filter(|&j| playable(&policy.program.journeys[j]))
            .collect();
        if journeys.is_empty() {
            return Err(SimError::NothingToPlay);
        }
        let plans = (0..policy.program.journeys.len())
            .map(|j| JourneyPlan::new(policy, j))
            .collect();
        Ok(Simulator {
            policy,
            options,
            plans,
            journeys,
        })
    }

    /// The policy simulated.
    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    /// The options.
    pub fn options(&self) -> &SimOptions {
        &self.options
    }

    /// The id of customer `n`.
    pub fn customer_id(n: u64) -> String {
        format!("c{n:06}")
    }

    /// The ideal trace of customer `n`, starting at `start` (seconds since the epoch).
    pub fn ideal(&self, n: u64, start: i64) -> Trace {
        let mut rng = Rng::derive(self.options.seed, STREAM_CUSTOMER, n);
        let j = self.journeys[rng.index(self.journeys.len())];
        let journey = &self.policy.program.journeys[j];
        let plan = &self.plans[j];
        let segment = rng.pick(&journey.segments).cloned();
        let attrs = segment
            .as_ref()
            .and_then(|s| self.policy.segments.iter().find(|r| &r.name == s))
            .map(|rule| attrs::for_segment(self.policy, rule, &mut rng))
            .unwrap_or_default();
        let walk = walk::walk(journey, plan, &mut rng);
        let takes: Vec<Option<(u64, u64)>> = walk
            .steps
            .iter()
            .map(|s| plan.steps[s.index()].takes)
            .collect();
        let gaps = timing::durations(&takes, &walk.constraints, journey.abandon_after, &mut rng);
        let customer = Self::customer_id(n);
        let mut time = start;
        let mut asked: Vec<&str> = Vec::new();
        let mut events = Vec::with_capacity(walk.steps.len());
        for (k, (&step, gap)) in walk.steps.iter().zip(&gaps).enumerate() {
            time = time.saturating_add(*gap as i64);
            let sp = &plan.steps[step.index()];
            let mut event = SimEvent {
                customer: customer.clone(),
                name: sp.event.clone(),
                kind: RecordKind::Step(step),
                time,
                channel: rng.pick(&sp.channels).cloned(),
                actor: sp.owner.clone(),
                attrs: if k == 0 { attrs.clone() } else { Vec::new() },
            };
            for m in &sp.metrics {
                if m.targeted || (!sp.backstage && rng.chance(0.7)) {
                    event
                        .attrs
                        .push((m.name.clone(), AttrValue::Number(good_value(m, &mut rng))));
                }
            }
            if !sp.backstage && rng.chance(0.3) {
                let fresh: Vec<&str> = plan
                    .ask_items
                    .iter()
                    .map(String::as_str)
                    .filter(|i| !asked.contains(i))
                    .collect();
                if let Some(item) = rng.pick(&fresh).copied() {
                    asked.push(item);
                    event
                        .attrs
                        .push(("asked".to_string(), AttrValue::Text(item.to_string())));
                }
            }
            events.push(event);
        }
        Trace {
            customer,
            journey: j,
            segment,
            profile: attrs,
            events,
            deviation: None,
        }
    }

    /// Customer `n` as the stream makes them: ideal, or with one deviation for a
    /// share `deviation_rate` of customers.
    pub fn customer(&self, n: u64, start: i64) -> Trace {
        let trace = self.ideal(n, start);
        let mut rng = Rng::derive(self.options.seed, STREAM_DEVIATION, n);
        if self.options.deviations.is_empty() || !rng.chance(self.options.deviation_rate) {
            return trace;
        }
        let kinds = &self.options.deviations;
        let first = rng.index(kinds.len());
        for i in 0..kinds.len() {
            let d = kinds[(first + i) % kinds.len()];
            if let Some(deviated) = self.deviate(&trace, d, &mut rng) {
                return deviated;
            }
        }
        trace
    }

    /// `trace` with deviation `d` injected, or `None` when it does not apply to
    /// this trace (no step with a channel rule, no time limit, ...).
    pub fn deviate(&self, trace: &Trace, d: Deviation, rng: &mut Rng) -> Option<Trace> {
        deviate::apply(self, trace, d, rng)
    }

    /// Every customer, interleaved in time order.
    pub fn stream(&self) -> Stream<'_, 'p> {
        Stream::new(self)
    }

    /// Every attribute name the simulation may write, sorted: segment
    /// attributes, metrics, `asked`.
    pub fn attribute_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for s in &self.policy.segments {
            if let Some(when) = &s.when {
                attrs::names(when, &mut names);
            }
        }
        for &j in &self.journeys {
            let plan = &self.plans[j];
            for step in &plan.steps {
                names.extend(step.metrics.iter().map(|m| m.name.clone()));
            }
            if !plan.ask_items.is_empty() {
                names.push("asked".to_string());
            }
        }
        names.sort();
        names.dedup();
        names
    }

    pub(crate) fn plan(&self, j: usize) -> &JourneyPlan {
        &self.plans[j]
    }
}

/// A value every expectation on the metric accepts, leaning to the good end.
fn good_value(m: &plan::MetricPlan, rng: &mut Rng) -> f64 {
    if m.integral {
        let (lo, hi) = (m.lo.ceil() as i64, m.hi.floor() as i64);
        if lo <= hi {
            return rng.between(0, (hi - lo) as u64) as f64 + lo as f64;
        }
    }
    match m.better {
        Some(crate::compile::Better::Lower) => m.lo,
        _ => m.hi,
    }
}

/// Seconds since the epoch as a timestamp, saturating.
pub(crate) fn seconds_to_timestamp(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(if s < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

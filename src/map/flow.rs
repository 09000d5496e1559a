//! [`Flow`]: what customers actually did on each journey, read beside an
//! evaluation for the map's overlay and the report: the transitions between
//! steps they took, how many reached each step, where each one's record
//! ended, their time to the goal, and the finding kinds at each step.
//!
//! Events are mapped to steps by the steps' `match` names, as the evaluator
//! maps them, and taken per customer in the order the log gives them (a log
//! sorted by time, or grouped by customer, reads the same). One customer is one
//! walk through a journey: counts are customers, not events.

use super::Transition;
use crate::compile::{Policy, StepId};
use crate::eval::{Finding, FindingKind};
use crate::events::{Event, Interner};
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// One customer's walk through one journey.
#[derive(Debug, Clone)]
struct Walk {
    last: Option<StepId>,
    first: Timestamp,
    reached_goal: bool,
    seen: Vec<bool>,
}

/// What customers did on one journey.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JourneyFlow {
    /// Customers with at least one event of the journey.
    pub customers: u64,
    /// Transitions taken, each counted once per time a customer took it.
    pub transitions: BTreeMap<Transition, u64>,
    /// Per step: customers who reached it at least once.
    pub reached: Vec<u64>,
    /// Per step: customers whose last event of the journey was it.
    pub ended: Vec<u64>,
    /// Seconds from each customer's first event to their first goal event,
    /// sorted.
    pub times_to_goal: Vec<u64>,
    /// Per step: findings there, by kind.
    pub kinds: Vec<BTreeMap<FindingKind, u64>>,
}

/// The observer: feed it every event (before the evaluator takes it) and every
/// finding, then [`Flow::finish`].
#[derive(Debug)]
pub struct Flow<'p> {
    policy: &'p Policy,
    by_name: HashMap<String, Vec<(usize, StepId)>>,
    walks: HashMap<String, Vec<Option<Walk>>>,
    journeys: Vec<JourneyFlow>,
}

impl<'p> Flow<'p> {
    /// An observer of the journeys of `policy`.
    pub fn new(policy: &'p Policy) -> Flow<'p> {
        let mut by_name: HashMap<String, Vec<(usize, StepId)>> = HashMap::new();
        let mut journeys = Vec::new();
        for (j, journey) in policy.journeys.iter().enumerate() {
            for (i, step) in journey.steps.iter().enumerate() {
                let id = StepId(u32::try_from(i).unwrap_or(u32::MAX));
                for name in &step.match_names {
                    let entry = by_name.entry(name.clone()).or_default();
                    if !entry.contains(&(j, id)) {
                        entry.push((j, id));
                    }
                }
            }
            let n = journey.steps.len();
            journeys.push(JourneyFlow {
                reached: vec![0; n],
                ended: vec![0; n],
                kinds: vec![BTreeMap::new(); n],
                ..JourneyFlow::default()
            });
        }
        Flow {
            policy,
            by_name,
            walks: HashMap::new(),
            journeys,
        }
    }

    /// Take one event; `names` resolves its symbols (the evaluator's interner).
    pub fn event(&mut self, event: &Event, names: &Interner) {
        let Some(steps) = self.by_name.get(names.resolve(event.name)) else {
            return;
        };
        let count = self.policy.journeys.len();
        let walks = self
            .walks
            .entry(names.resolve(event.customer).to_string())
            .or_insert_with(|| vec![None; count]);
        for &(j, step) in steps {
            let (Some(slot), Some(journey), Some(flow)) = (
                walks.get_mut(j),
                self.policy.journeys.get(j),
                self.journeys.get_mut(j),
            ) else {
                continue;
            };
            let walk = slot.get_or_insert_with(|| {
                flow.customers += 1;
                Walk {
                    last: None,
                    first: event.time,
                    reached_goal: false,
                    seen: vec![false; journey.steps.len()],
                }
            });
            *flow.transitions.entry((walk.last, step)).or_default() += 1;
            walk.last = Some(step);
            if let Some(seen) = walk.seen.get_mut(step.index()) {
                if !*seen {
                    *seen = true;
                    if let Some(r) = flow.reached.get_mut(step.index()) {
                        *r += 1;
                    }
                }
            }
            if journey.goal == Some(step) && !walk.reached_goal {
                walk.reached_goal = true;
                let seconds = event.time.duration_since(walk.first).as_secs().max(0);
                flow.times_to_goal.push(seconds.unsigned_abs());
            }
        }
    }

    /// Take findings, as the evaluator returns them.
    pub fn findings(&mut self, findings: &[Finding]) {
        for f in findings {
            let (Some(journey), Some(step)) = (&f.journey, &f.step) else {
                continue;
            };
            let Some(j) = self.policy.journeys.iter().position(|x| &x.name == journey) else {
                continue;
            };
            let Some(step) = self.policy.journeys[j].step_id(step) else {
                continue;
            };
            if let Some(kinds) = self.journeys[j].kinds.get_mut(step.index()) {
                *kinds.entry(f.kind).or_default() += 1;
            }
        }
    }

    /// What was seen, per journey in the policy's order.
    pub fn finish(mut self) -> Vec<JourneyFlow> {
        for walks in self.walks.values() {
            for (j, walk) in walks.iter().enumerate() {
                let Some(last) = walk.as_ref().and_then(|w| w.last) else {
                    continue;
                };
                if let Some(ended) = self.journeys[j].ended.get_mut(last.index()) {
                    *ended += 1;
                }
            }
        }
        for flow in &mut self.journeys {
            flow.times_to_goal.sort_unstable();
        }
        self.journeys
    }
}

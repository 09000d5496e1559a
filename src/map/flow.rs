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
use crate::events::{Event, Names};
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// One customer's walk through one journey.
#[derive(Debug, Clone)]
struct Walk {
    last: Option<StepId>,
    first: Timestamp,
    last_time: Timestamp,
    /// The steps in order, up to [`MAX_VARIANT`].
    path: Vec<StepId>,
    reached_goal: bool,
    seen: Vec<bool>,
}

/// Steps of a walk kept for its variant: longer walks are one variant per
/// first [`MAX_VARIANT`] steps.
pub const MAX_VARIANT: usize = 200;

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
    /// Per step: seconds from the customer's previous event of the journey to
    /// each event of the step (not for a walk's first event), sorted.
    pub gaps: Vec<Vec<u64>>,
    /// Variants: each walk's sequence of steps, with how many customers took it.
    pub variants: BTreeMap<Vec<StepId>, u64>,
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
        for (j, journey) in policy.program.journeys.iter().enumerate() {
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
                gaps: vec![Vec::new(); n],
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

    /// Take one event; `names` resolves its symbols (the evaluator's).
    pub fn event(&mut self, event: &Event, names: &Names) {
        let Some(steps) = self.by_name.get(names.words.resolve(event.name)) else {
            return;
        };
        let steps = steps.clone();
        let customer = names.customers.resolve(event.customer);
        for (j, step) in steps {
            self.step(customer, j, step, event.time);
        }
    }

    /// Take one step of journey `j` (by index in the policy) by `customer` at `time`.
    pub fn step(&mut self, customer: &str, j: usize, step: StepId, time: Timestamp) {
        let count = self.policy.program.journeys.len();
        let walks = match self.walks.get_mut(customer) {
            Some(walks) => walks,
            None => self
                .walks
                .entry(customer.to_string())
                .or_insert_with(|| vec![None; count]),
        };
        let (Some(slot), Some(journey), Some(flow)) = (
            walks.get_mut(j),
            self.policy.program.journeys.get(j),
            self.journeys.get_mut(j),
        ) else {
            return;
        };
        let walk = slot.get_or_insert_with(|| {
            flow.customers += 1;
            Walk {
                last: None,
                first: time,
                last_time: time,
                path: Vec::new(),
                reached_goal: false,
                seen: vec![false; journey.steps.len()],
            }
        });
        *flow.transitions.entry((walk.last, step)).or_default() += 1;
        if walk.last.is_some() {
            if let Some(gaps) = flow.gaps.get_mut(step.index()) {
                gaps.push(seconds(walk.last_time, time));
            }
        }
        walk.last = Some(step);
        walk.last_time = time;
        if walk.path.len() < MAX_VARIANT {
            walk.path.push(step);
        }
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
            flow.times_to_goal.push(seconds(walk.first, time));
        }
    }

    /// Take findings, as the evaluator returns them.
    pub fn findings(&mut self, findings: &[Finding]) {
        for f in findings {
            let (Some(journey), Some(step)) = (&f.journey, &f.step) else {
                continue;
            };
            let Some(j) = self
                .policy
                .program
                .journeys
                .iter()
                .position(|x| &x.name == journey)
            else {
                continue;
            };
            let Some(step) = self.policy.program.journeys[j].step_id(step) else {
                continue;
            };
            if let Some(kinds) = self.journeys[j].kinds.get_mut(step.index()) {
                *kinds.entry(f.kind).or_default() += 1;
            }
        }
    }

    /// What was seen, per journey in the policy's order.
    pub fn finish(mut self) -> Vec<JourneyFlow> {
        for walks in self.walks.into_values() {
            for (j, walk) in walks.into_iter().enumerate() {
                let Some(walk) = walk else { continue };
                let Some(flow) = self.journeys.get_mut(j) else {
                    continue;
                };
                if let Some(ended) = walk.last.and_then(|l| flow.ended.get_mut(l.index())) {
                    *ended += 1;
                }
                *flow.variants.entry(walk.path).or_default() += 1;
            }
        }
        for flow in &mut self.journeys {
            flow.times_to_goal.sort_unstable();
            for gaps in &mut flow.gaps {
                gaps.sort_unstable();
            }
        }
        self.journeys
    }
}

/// Whole seconds from `from` to `to`, 0 when `to` is earlier.
fn seconds(from: Timestamp, to: Timestamp) -> u64 {
    to.duration_since(from).as_secs().max(0).unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + 60 * minute).expect("a time")
    }

    #[test]
    fn a_flow_counts_customers_transitions_variants_and_times() {
        let policy = Policy::compile(
            "journey j { goal c step a { } step b { } step c { } path a -> b? -> c }",
        )
        .expect("compiles");
        let j = &policy.program.journeys[0];
        let (a, b, c) = (
            j.step_id("a").expect("a"),
            j.step_id("b").expect("b"),
            j.step_id("c").expect("c"),
        );
        let mut flow = Flow::new(&policy);
        flow.step("x", 0, a, at(0));
        flow.step("x", 0, b, at(5));
        flow.step("x", 0, c, at(7));
        flow.step("y", 0, a, at(1));
        flow.step("y", 0, c, at(21));
        flow.step("z", 0, b, at(2));
        let flows = flow.finish();
        let f = &flows[0];
        assert_eq!(f.customers, 3);
        assert_eq!(f.reached, vec![2, 2, 2]);
        assert_eq!(f.transitions.get(&(None, a)), Some(&2));
        assert_eq!(f.transitions.get(&(None, b)), Some(&1));
        assert_eq!(f.transitions.get(&(Some(a), c)), Some(&1));
        assert_eq!(f.times_to_goal, vec![7 * 60, 20 * 60]);
        assert_eq!(f.gaps[c.index()], vec![2 * 60, 20 * 60]);
        assert_eq!(f.ended, vec![0, 1, 2], "z stopped at b");
        assert_eq!(f.variants.get(&vec![a, b, c]), Some(&1));
        assert_eq!(f.variants.get(&vec![b]), Some(&1));
    }
}

//! The lookup tables of a [`super::Program`], built once at compile time so
//! that the per-event path only indexes vectors: which steps an event name
//! means (its route), which expectations apply at a step, which time limits a
//! step (or a journey's start) opens, each condition compiled.

use super::condition::Cond;
use super::journey::CompiledJourney;
use super::rules::{EscalationRule, Expectation, Trigger};
use super::{AnchorRef, Check, CmpOp, StepId};
use crate::events::{Interner, Symbol};
use rustc_hash::FxHashMap as HashMap;

/// The event attribute that says what a step asked the customer for.
const ASKED: &str = "asked";

/// The journey steps one event name means.
pub(crate) type Route = Box<[(usize, StepId)]>;

/// Who a rule or journey applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// No `for`: every customer.
    Everyone,
    /// `for gold, newcomer`: customers in one of these segments (by index).
    Segments(Vec<usize>),
}

impl Scope {
    /// True when a customer in `segments` is in scope.
    #[inline]
    pub(crate) fn admits(&self, segments: &[usize]) -> bool {
        match self {
            Scope::Everyone => true,
            // Looked at only here: most rules are for everyone.
            Scope::Segments(wanted) => wanted.iter().any(|w| segments.contains(w)),
        }
    }
}

/// A metric rule as the per-event check needs it: the attribute it reads and
/// its threshold, so the check reads no expectation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MetricRule {
    /// The attribute (metric name) it reads.
    pub key: Symbol,
    /// The expectation.
    pub e: usize,
    /// How the event's value must compare: `value op threshold` must hold.
    pub op: CmpOp,
    /// The value it is compared with.
    pub threshold: f64,
}

/// Everything checked or opened when one step happens, in one record: an
/// event finds its step's rules with one lookup, in two cache lines, not in
/// seven tables.
#[derive(Debug, Clone)]
pub(crate) struct StepRules {
    /// Channel rules.
    pub channel: Box<[usize]>,
    /// Metric rules, grouped by the attribute each reads.
    pub metric: Box<[MetricRule]>,
    /// Repeated-ask rules.
    pub asks: Box<[usize]>,
    /// Attempt limits.
    pub attempts: Box<[usize]>,
    /// Time limits on `J.*` targets, checked against their anchor.
    pub since_anchor: Box<[usize]>,
    /// Time limits whose target is this step (fulfilled when it happens).
    pub fulfilled_by: Box<[usize]>,
    /// Time limits opened when this step happens (their anchor).
    pub anchored_at: Box<[usize]>,
}

/// The tables.
#[derive(Debug)]
pub(crate) struct PolicyIndex {
    /// Each event name's route, by symbol (none past the end).
    routes: Vec<Route>,
    /// The rules of each step, by journey and step index.
    steps: Vec<Vec<StepRules>>,
    /// Time limits opened when a journey instance starts.
    pub anchored_at_start: Vec<Vec<usize>>,
    /// How many time limits an instance of each journey may open in all (at
    /// most 16): room reserved once, so activations do not grow one by one.
    pub activations_hint: Vec<usize>,
    /// For a `within`, the earliest `warn after` on the same target and anchor.
    pub warn_for: Vec<Option<u64>>,
    /// Each segment's condition, compiled.
    pub segment_when: Vec<Option<Cond>>,
    /// Each customer-level escalation's condition, compiled (`None` for rates).
    pub escalation_when: Vec<Option<Cond>>,
    /// Each escalation tier's `unless`, compiled, by escalation and tier.
    pub tier_unless: Vec<Vec<Option<Cond>>>,
    /// Who each expectation applies to (`for gold`).
    pub expectation_scope: Vec<Scope>,
    /// Who each journey is designed for.
    pub journey_scope: Vec<Scope>,
    /// The symbol of the `asked` attribute that `asks_once` reads.
    pub asked: Symbol,
    /// Attributes that segment and escalation conditions read, by symbol index:
    /// the ones worth remembering about a customer from their events.
    customer_attr_mask: Vec<bool>,
    /// For a channel expectation, the symbols of its allowed channels.
    pub channel_symbols: Vec<Vec<Symbol>>,
    /// For an escalation, whether its condition can change without a new finding
    /// (it reads attributes or `reached`), so it is looked at on every step.
    pub escalation_every_step: Vec<bool>,
    /// Every event attribute the evaluation reads: what conditions read, metric
    /// names and `asked`. A reader may leave the others out.
    pub attributes_read: std::collections::BTreeSet<String>,
    /// Whether any escalation is so.
    pub any_escalation_every_step: bool,
}

impl PolicyIndex {
    /// The tables of compiled rules; `customer_attrs` are the attributes the
    /// conditions read. Interns `asked` and every step's `match` names (after
    /// what the rules named), so every name an evaluation reads is in `names`.
    pub(crate) fn new(rules: Rules<'_>, names: &mut Interner) -> PolicyIndex {
        let Rules {
            journeys,
            segments,
            expectations,
            escalations,
            conditions,
        } = rules;
        let empty = || by_step(journeys);
        let (mut fulfilled_by, mut anchored_at) = (empty(), empty());
        let (mut channel_at, mut asks_at) = (empty(), empty());
        let (mut attempts_at, mut since_anchor_at) = (empty(), empty());
        let mut metric_at: Vec<Vec<Vec<MetricRule>>> = by_step(journeys);
        let mut anchored_at_start = vec![Vec::new(); journeys.len()];
        for (e, expectation) in expectations.iter().enumerate() {
            let j = expectation.journey;
            let steps: Vec<usize> = match expectation.step {
                Some(s) => vec![s.index()],
                None => (0..journeys[j].steps.len()).collect(),
            };
            let anchor = match expectation.check {
                Check::Within { anchor, .. } | Check::WarnAfter { anchor, .. } => Some(anchor),
                _ => None,
            };
            match (anchor, expectation.step) {
                (Some(anchor), Some(target)) => {
                    fulfilled_by[j][target.index()].push(e);
                    match anchor {
                        AnchorRef::Step(a) => anchored_at[j][a.index()].push(e),
                        AnchorRef::JourneyStart => anchored_at_start[j].push(e),
                    }
                }
                (Some(_), None) => steps.iter().for_each(|&s| since_anchor_at[j][s].push(e)),
                (None, _) => {
                    let list = match &expectation.check {
                        Check::Metric { metric, op, value } => {
                            let rule = MetricRule {
                                key: names.intern(metric),
                                e,
                                op: *op,
                                threshold: *value,
                            };
                            steps.iter().for_each(|&s| metric_at[j][s].push(rule));
                            continue;
                        }
                        Check::Attempts { .. } => &mut attempts_at,
                        Check::Channel { .. } => &mut channel_at,
                        Check::AsksOnce { .. } => &mut asks_at,
                        _ => continue,
                    };
                    steps.iter().for_each(|&s| list[j][s].push(e));
                }
            }
        }
        // Metric rules by attribute (policy order within one), so an event's
        // value of each is looked up once.
        metric_at
            .iter_mut()
            .flatten()
            .for_each(|rules| rules.sort_by_key(|r| (r.key.index(), r.e)));
        let activations_hint = anchored_at_start
            .iter()
            .zip(&anchored_at)
            .map(|(start, steps)| (start.len() + steps.iter().map(Vec::len).sum::<usize>()).min(16))
            .collect();
        let warn_for = expectations
            .iter()
            .map(|e| match e.check {
                Check::Within { anchor, .. } => expectations
                    .iter()
                    .filter(|w| w.journey == e.journey && w.step == e.step)
                    .filter_map(|w| match w.check {
                        Check::WarnAfter { limit, anchor: a } if a == anchor => Some(limit),
                        _ => None,
                    })
                    .min(),
                _ => None,
            })
            .collect();
        let channel_symbols = expectations
            .iter()
            .map(|e| match &e.check {
                Check::Channel { allowed } => allowed.iter().map(|c| names.intern(c)).collect(),
                _ => Vec::new(),
            })
            .collect();
        let escalation_every_step: Vec<bool> = escalations
            .iter()
            .map(|e| match &e.trigger {
                Trigger::Customer { when } => when.reads_more_than_findings(),
                Trigger::Rate { .. } => false,
            })
            .collect();
        let segment_index: HashMap<&str, usize> = segments
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let scope = |names: &[String]| match names {
            [] => Scope::Everyone,
            _ => Scope::Segments(
                names
                    .iter()
                    .filter_map(|n| segment_index.get(n.as_str()).copied())
                    .collect(),
            ),
        };
        let expectation_scope = expectations.iter().map(|e| scope(&e.segments)).collect();
        let journey_scope = journeys.iter().map(|j| scope(&j.segments)).collect();
        let customer_attrs = conditions.attrs;
        let mut attributes_read: std::collections::BTreeSet<String> = customer_attrs
            .iter()
            .map(|s| names.resolve(*s).to_string())
            .collect();
        for e in expectations {
            if let Check::Metric { metric, .. } = &e.check {
                attributes_read.insert(metric.clone());
            }
        }
        attributes_read.insert(ASKED.to_string());
        let mut customer_attr_mask = Vec::new();
        for symbol in &customer_attrs {
            let i = symbol.index();
            if customer_attr_mask.len() <= i {
                customer_attr_mask.resize(i + 1, false);
            }
            customer_attr_mask[i] = true;
        }
        let asked = names.intern(ASKED);
        let routes = routes(journeys, names);
        PolicyIndex {
            customer_attr_mask,
            channel_symbols,
            attributes_read,
            any_escalation_every_step: escalation_every_step.iter().any(|b| *b),
            escalation_every_step,
            asked,
            routes,
            steps: journeys
                .iter()
                .enumerate()
                .map(|(j, journey)| {
                    (0..journey.steps.len())
                        .map(|s| StepRules {
                            channel: std::mem::take(&mut channel_at[j][s]).into(),
                            metric: std::mem::take(&mut metric_at[j][s]).into(),
                            asks: std::mem::take(&mut asks_at[j][s]).into(),
                            attempts: std::mem::take(&mut attempts_at[j][s]).into(),
                            since_anchor: std::mem::take(&mut since_anchor_at[j][s]).into(),
                            fulfilled_by: std::mem::take(&mut fulfilled_by[j][s]).into(),
                            anchored_at: std::mem::take(&mut anchored_at[j][s]).into(),
                        })
                        .collect()
                })
                .collect(),
            activations_hint,
            anchored_at_start,
            warn_for,
            segment_when: conditions.segment_when,
            escalation_when: escalations
                .iter()
                .map(|e| match &e.trigger {
                    Trigger::Customer { when } => Some(when.clone()),
                    Trigger::Rate { .. } => None,
                })
                .collect(),
            tier_unless: escalations
                .iter()
                .map(|e| e.tiers.iter().map(|t| t.unless.clone()).collect())
                .collect(),
            expectation_scope,
            journey_scope,
        }
    }

    /// True when conditions read the attribute `key`.
    #[inline]
    pub(crate) fn is_customer_attr(&self, key: Symbol) -> bool {
        self.customer_attr_mask
            .get(key.index())
            .copied()
            .unwrap_or(false)
    }

    /// The rules of step `s` of journey `j` (both compiled ids, as a route
    /// gives them).
    #[inline]
    pub(crate) fn step_rules(&self, j: usize, s: StepId) -> &StepRules {
        &self.steps[j][s.index()]
    }

    /// The journey steps an event name means (by the steps' `match` names, or
    /// their own names when they have none); none for a name the policy
    /// does not know.
    #[inline]
    pub(crate) fn route(&self, name: Symbol) -> &[(usize, StepId)] {
        self.routes.get(name.index()).map_or(&[], |r| &r[..])
    }
}

/// An empty list per step of every journey.
fn by_step<T: Clone>(journeys: &[CompiledJourney]) -> Vec<Vec<Vec<T>>> {
    journeys
        .iter()
        .map(|j| vec![Vec::new(); j.steps.len()])
        .collect()
}

/// Each event name's route, by symbol: every step's `match` names interned.
fn routes(journeys: &[CompiledJourney], names: &mut Interner) -> Vec<Route> {
    let mut routes: Vec<Vec<(usize, StepId)>> = Vec::new();
    for (j, journey) in journeys.iter().enumerate() {
        for (i, step) in journey.steps.iter().enumerate() {
            for name in &step.match_names {
                let symbol = names.intern(name).index();
                if routes.len() <= symbol {
                    routes.resize(symbol + 1, Vec::new());
                }
                let route = &mut routes[symbol];
                if !route.contains(&(j, StepId(i as u32))) {
                    route.push((j, StepId(i as u32)));
                }
            }
        }
    }
    routes.into_iter().map(Vec::into_boxed_slice).collect()
}

/// What the tables are built from.
pub(crate) struct Rules<'a> {
    pub journeys: &'a [CompiledJourney],
    /// Segment names, in name order.
    pub segments: &'a [String],
    pub expectations: &'a [Expectation],
    pub escalations: &'a [EscalationRule],
    /// The compiled conditions of segments, and what conditions read.
    pub conditions: Conditions,
}

/// The segments' conditions, compiled, and every attribute conditions read.
pub(crate) struct Conditions {
    pub segment_when: Vec<Option<Cond>>,
    pub attrs: Vec<Symbol>,
}

#[cfg(test)]
mod tests {
    use crate::Policy;

    #[test]
    fn attributes_read_are_conditions_metrics_and_asked() {
        let policy = Policy::compile(
            r#"
use std/cx
segment gold { when tier == "gold" or account.value >= 50_000 }
journey claim {
  for gold
  goal done
  step start { }
  step done { }
  path start -> done
}
expect claim.done {
  csat >= 4 else yellow
  asks_once policy_number
}
escalate trouble { when off_path(claim) and region == "north" notify "Lead" within 1h }
"#,
        )
        .expect("compiles");
        let read: Vec<&str> = policy
            .program
            .index
            .attributes_read
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(
            read,
            ["account.value", "asked", "csat", "region", "tier"],
            "what conditions read, metric names and `asked`; not `policy_number`"
        );
    }
}

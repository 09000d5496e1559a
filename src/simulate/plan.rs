//! [`JourneyPlan`]: what the simulator needs to know of one journey, read once
//! from the compiled policy: per step the event name, the channels every
//! applicable `via` allows, the metric values every metric expectation accepts,
//! the most visits the attempt limits allow; and the journey's time limits.
//!
//! Segment scopes (`expect claim.settled for gold`) are ignored here on purpose:
//! an ideal trace that meets every rule of every segment meets its own.

use crate::compile::{AnchorRef, Check, CompiledJourney, Policy, StepId};
use crate::compile::{Better, CmpOp};

/// A time limit of the journey (`within`, `warn after`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Limit {
    /// The target step; `None` for `J.*` (checked at every step).
    pub target: Option<StepId>,
    pub anchor: AnchorRef,
    /// Seconds.
    pub limit: u64,
    /// True for `warn after`.
    pub warn: bool,
    /// The segments it is scoped to (empty: everyone).
    pub segments: Vec<String>,
}

/// The values a metric may take at a step, and which way is good.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricPlan {
    pub name: String,
    /// Accepted values: every expectation holds in `[lo, hi]`.
    pub lo: f64,
    pub hi: f64,
    /// The metric's declared range (or the accepted values widened).
    pub range: (f64, f64),
    pub better: Option<Better>,
    /// Whole numbers only (every bound is whole).
    pub integral: bool,
    /// True when an expectation names this step (not only `J.*`).
    pub targeted: bool,
}

/// An `asks_once` rule: where it applies and which items it names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AskRule {
    /// The step it is expected at; `None` for `J.*`.
    pub step: Option<StepId>,
    pub segments: Vec<String>,
    /// The items it names; empty: every item.
    pub items: Vec<String>,
}

/// One step, ready to be played.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StepPlan {
    /// The event name written to the log (the step's first `match` name).
    pub event: String,
    /// Channels that satisfy the step's `via` and every channel expectation.
    pub channels: Vec<String>,
    /// Channels some rule names, for a wrong-channel deviation to avoid.
    pub named_channels: Vec<String>,
    pub metrics: Vec<MetricPlan>,
    /// The most visits the attempt limits allow.
    pub max_visits: Option<u32>,
    pub owner: Option<String>,
    pub backstage: bool,
    pub takes: Option<(u64, u64)>,
}

/// One journey, ready to be played.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JourneyPlan {
    pub steps: Vec<StepPlan>,
    pub limits: Vec<Limit>,
    /// Items the customer may be asked for (`asked`), when an `asks_once` applies.
    pub ask_items: Vec<String>,
    /// The `asks_once` rules, for a repeated-ask deviation.
    pub ask_rules: Vec<AskRule>,
}

/// Items asked for when `asks_once *` names none.
const DEFAULT_ITEMS: [&str; 6] = [
    "policy_number",
    "address",
    "phone",
    "incident_date",
    "photos",
    "bank_details",
];

impl JourneyPlan {
    /// The plan of journey `j` of `policy`.
    pub(crate) fn new(policy: &Policy, j: usize) -> JourneyPlan {
        let journey = &policy.program.journeys[j];
        let applies = |e: &crate::compile::Expectation, s: usize| {
            e.journey == j && e.step.is_none_or(|t| t.index() == s)
        };
        let steps = (0..journey.steps.len())
            .map(|s| step_plan(policy, journey, s, |e| applies(e, s)))
            .collect();
        let mut limits = Vec::new();
        let mut ask_items: Vec<String> = Vec::new();
        let mut ask_rules = Vec::new();
        for e in policy
            .program
            .expectations
            .iter()
            .filter(|e| e.journey == j)
        {
            match &e.check {
                Check::Within { limit, anchor } | Check::WarnAfter { limit, anchor } => limits
                    .push(Limit {
                        target: e.step,
                        anchor: *anchor,
                        limit: *limit,
                        warn: matches!(e.check, Check::WarnAfter { .. }),
                        segments: e.segments.clone(),
                    }),
                Check::AsksOnce { items } => {
                    ask_rules.push(AskRule {
                        step: e.step,
                        segments: e.segments.clone(),
                        items: items.clone(),
                    });
                    for item in items {
                        if !ask_items.contains(item) {
                            ask_items.push(item.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        if !ask_rules.is_empty() && ask_items.is_empty() {
            ask_items = DEFAULT_ITEMS.iter().map(|s| s.to_string()).collect();
        }
        JourneyPlan {
            steps,
            limits,
            ask_items,
            ask_rules,
        }
    }
}

fn step_plan(
    policy: &Policy,
    journey: &CompiledJourney,
    s: usize,
    applies: impl Fn(&crate::compile::Expectation) -> bool,
) -> StepPlan {
    let info = &journey.steps[s];
    let mut channels = info.channels.clone();
    let mut named = info.channels.clone();
    let mut max_visits: Option<u32> = None;
    let mut metrics: Vec<MetricPlan> = Vec::new();
    for e in policy.program.expectations.iter().filter(|e| applies(e)) {
        match &e.check {
            Check::Channel { allowed } => {
                named.extend(allowed.iter().cloned());
                let narrowed: Vec<String> = if channels.is_empty() {
                    allowed.clone()
                } else {
                    channels
                        .iter()
                        .filter(|c| allowed.contains(c))
                        .cloned()
                        .collect()
                };
                if !narrowed.is_empty() {
                    channels = narrowed;
                }
            }
            Check::Attempts { op, value } => {
                let most = match op {
                    CmpOp::Le | CmpOp::Eq => Some(value.floor()),
                    CmpOp::Lt => Some(value.ceil() - 1.0),
                    _ => None,
                };
                if let Some(most) = most.filter(|m| *m >= 1.0) {
                    let most = most.min(u32::MAX as f64) as u32;
                    max_visits = Some(max_visits.map_or(most, |m| m.min(most)));
                }
            }
            Check::Metric { metric, op, value } => {
                let k = match metrics.iter().position(|m| m.name == *metric) {
                    Some(k) => k,
                    None => {
                        metrics.push(new_metric(policy, metric));
                        metrics.len() - 1
                    }
                };
                narrow(&mut metrics[k], *op, *value);
                metrics[k].targeted |= e.step.is_some();
            }
            _ => {}
        }
    }
    named.sort();
    named.dedup();
    StepPlan {
        event: info
            .match_names
            .first()
            .cloned()
            .unwrap_or_else(|| info.name.clone()),
        channels,
        named_channels: named,
        metrics,
        max_visits,
        owner: info.owner.clone(),
        backstage: info.backstage,
        takes: info.takes,
    }
}

fn new_metric(policy: &Policy, name: &str) -> MetricPlan {
    let info = policy.program.metrics.get(name);
    let range = info.and_then(|m| m.range).unwrap_or((0.0, 10.0));
    MetricPlan {
        name: name.to_string(),
        lo: range.0,
        hi: range.1,
        range,
        better: info.and_then(|m| m.better),
        integral: range.0.fract() == 0.0 && range.1.fract() == 0.0,
        targeted: false,
    }
}

/// Keep only the values for which `value op threshold` holds.
fn narrow(m: &mut MetricPlan, op: CmpOp, threshold: f64) {
    m.integral &= threshold.fract() == 0.0;
    let step = if m.integral { 1.0 } else { 0.01 };
    match op {
        CmpOp::Ge => m.lo = m.lo.max(threshold),
        CmpOp::Gt => m.lo = m.lo.max(threshold + step),
        CmpOp::Le => m.hi = m.hi.min(threshold),
        CmpOp::Lt => m.hi = m.hi.min(threshold - step),
        CmpOp::Eq => {
            m.lo = threshold;
            m.hi = threshold;
        }
        CmpOp::Ne => {}
    }
    if m.lo > m.hi {
        m.hi = m.lo;
    }
    m.range = (m.range.0.min(m.lo), m.range.1.max(m.hi));
}

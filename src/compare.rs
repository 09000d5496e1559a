//! `cxl compare`: the ideal journey against the actual one, per journey, from
//! two runs of the same policy: each run an evaluation's [`Report`] with the
//! [`JourneyFlow`]s observed beside it. The ideal run is the simulator's (the
//! policy's branch weights and `takes`) or a second log (`--ideal`: before and
//! after, last month and this month).
//!
//! Everything is counted per customer: each customer's events of a journey are
//! one walk, and a step counts once per customer however often they came back
//! (customers, not events). Durations are seconds; shares are fractions.

use crate::compile::{Check, Policy};
use crate::eval::Report;
use crate::events::time::human_duration;
use crate::map::{JourneyFlow, JourneyMap};
use serde::Serialize;
use std::fmt::Write;

/// Variants listed per journey, most taken first.
const TOP_VARIANTS: usize = 10;
/// Forbidden transitions listed per journey, most taken first.
const TOP_FORBIDDEN: usize = 10;
/// Steps named under "changed most".
const TOP_CHANGES: usize = 3;

/// One run: its name, evaluation and flows.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// What it is: a log's name, or `simulated`.
    pub source: &'a str,
    /// Its evaluation.
    pub report: &'a Report,
    /// What customers did, per journey in the policy's order.
    pub flows: &'a [JourneyFlow],
}

/// Percentiles of a set of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// How many.
    pub count: u64,
    /// The median.
    pub p50: Option<u64>,
    /// The 90th percentile.
    pub p90: Option<u64>,
    /// The 95th percentile.
    pub p95: Option<u64>,
}

impl Spread {
    /// The spread of sorted durations (nearest rank).
    pub fn of(sorted: &[u64]) -> Spread {
        let at = |p: usize| {
            if sorted.is_empty() {
                return None;
            }
            let rank = (p * sorted.len()).div_ceil(100).max(1);
            sorted.get(rank - 1).copied()
        };
        Spread {
            count: sorted.len() as u64,
            p50: at(50),
            p90: at(90),
            p95: at(95),
        }
    }
}

/// One step, ideal against actual.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepComparison {
    /// The step.
    pub step: String,
    /// Share of the ideal run's customers who reached it.
    pub ideal_reach: f64,
    /// Share of the actual run's customers who reached it.
    pub actual_reach: f64,
    /// `actual_reach - ideal_reach`.
    pub change: f64,
    /// Time from the customer's previous event, in the ideal run.
    pub ideal_duration: Spread,
    /// Time from the customer's previous event, in the actual run.
    pub actual_duration: Spread,
    /// Its `within` rules: how often each was met in the actual run.
    pub slas: Vec<SlaComparison>,
}

/// One `within` rule of a step, met or missed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaComparison {
    /// The rule as written.
    pub rule: String,
    /// The policy line.
    pub line: usize,
    /// Its limit, in seconds.
    pub limit_seconds: u64,
    /// Share met of those judged, in the ideal run.
    pub ideal_within: Option<f64>,
    /// Share met of those judged, in the actual run.
    pub actual_within: Option<f64>,
}

/// One variant of the actual run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantComparison {
    /// Its steps, in order.
    pub steps: Vec<String>,
    /// Customers who took it in the actual run.
    pub count: u64,
    /// Their share of the actual run's customers.
    pub share: f64,
    /// Their share of the ideal run's customers.
    pub ideal_share: f64,
    /// True when the path allows it as a whole journey.
    pub allowed: bool,
}

/// A transition the path forbids, taken in the actual run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForbiddenTransition {
    /// From this step (`start`: as a first step).
    pub from: String,
    /// To this one.
    pub to: String,
    /// How often.
    pub count: u64,
}

/// One journey, ideal against actual.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyComparison {
    /// The journey.
    pub journey: String,
    /// Customers in the ideal run.
    pub ideal_customers: u64,
    /// Customers in the actual run.
    pub actual_customers: u64,
    /// Conformance (percent of instances that fit) in the ideal run.
    pub ideal_conformance: Option<f64>,
    /// Conformance in the actual run.
    pub actual_conformance: Option<f64>,
    /// Time from a customer's first event to the goal, ideal.
    pub ideal_time_to_goal: Spread,
    /// Time to goal, actual.
    pub actual_time_to_goal: Spread,
    /// The funnel: every step in path order.
    pub steps: Vec<StepComparison>,
    /// The actual run's most taken variants.
    pub variants: Vec<VariantComparison>,
    /// The transitions the path forbids that the actual run took, most first.
    pub forbidden: Vec<ForbiddenTransition>,
    /// The steps whose reach changed most, most first.
    pub changed_most: Vec<String>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// How the counts are made.
    pub counting: &'static str,
    /// The ideal run's source.
    pub ideal: String,
    /// The actual run's source.
    pub actual: String,
    /// Per journey, in the policy's order.
    pub journeys: Vec<JourneyComparison>,
}

/// What the counts mean, said in every output.
pub const COUNTING: &str =
    "customers, not events: each customer's events of a journey are one walk, \
and a step counts once per customer however often they came back";

/// Compare two runs of `policy`.
pub fn compare(policy: &Policy, ideal: Run<'_>, actual: Run<'_>) -> Comparison {
    let journeys = (0..policy.program.journeys.len())
        .map(|j| {
            let empty = JourneyFlow::default();
            let i = ideal.flows.get(j).unwrap_or(&empty);
            let a = actual.flows.get(j).unwrap_or(&empty);
            journey_comparison(policy, j, i, a, ideal.report, actual.report)
        })
        .collect();
    Comparison {
        counting: COUNTING,
        ideal: ideal.source.to_string(),
        actual: actual.source.to_string(),
        journeys,
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn journey_comparison(
    policy: &Policy,
    j: usize,
    ideal: &JourneyFlow,
    actual: &JourneyFlow,
    ideal_report: &Report,
    actual_report: &Report,
) -> JourneyComparison {
    let journey = &policy.program.journeys[j];
    let map = JourneyMap::new(journey);
    let mut order: Vec<usize> = (0..journey.steps.len()).collect();
    order.sort_by_key(|&i| (map.places.get(i).map_or(0, |p| p.rank), i));
    let at = |v: &Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
    let steps: Vec<StepComparison> = order
        .iter()
        .map(|&i| {
            let ideal_reach = share(at(&ideal.reached, i), ideal.customers);
            let actual_reach = share(at(&actual.reached, i), actual.customers);
            let gaps = |f: &JourneyFlow| Spread::of(f.gaps.get(i).map_or(&[][..], Vec::as_slice));
            StepComparison {
                step: journey.steps[i].name.clone(),
                ideal_reach,
                actual_reach,
                change: actual_reach - ideal_reach,
                ideal_duration: gaps(ideal),
                actual_duration: gaps(actual),
                slas: slas(policy, j, i, ideal_report, actual_report),
            }
        })
        .collect();
    let mut changed: Vec<&StepComparison> = steps.iter().filter(|s| s.change != 0.0).collect();
    changed.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
    let conformance = |r: &Report| {
        r.journeys
            .iter()
            .find(|s| s.journey == journey.name)
            .and_then(|s| s.conformance)
    };
    JourneyComparison {
        journey: journey.name.clone(),
        ideal_customers: ideal.customers,
        actual_customers: actual.customers,
        ideal_conformance: conformance(ideal_report),
        actual_conformance: conformance(actual_report),
        ideal_time_to_goal: Spread::of(&ideal.times_to_goal),
        actual_time_to_goal: Spread::of(&actual.times_to_goal),
        variants: variants(journey, ideal, actual),
        forbidden: forbidden(&map, actual),
        changed_most: changed
            .iter()
            .take(TOP_CHANGES)
            .map(|s| s.step.clone())
            .collect(),
        steps,
    }
}

/// The `within` rules of step `i` of journey `j`, with how often each was met.
fn slas(
    policy: &Policy,
    j: usize,
    i: usize,
    ideal: &Report,
    actual: &Report,
) -> Vec<SlaComparison> {
    let journey = &policy.program.journeys[j];
    let step = &journey.steps[i].name;
    policy
        .program
        .expectations
        .iter()
        .filter(|e| e.journey == j && e.step.is_some_and(|s| s.index() == i))
        .filter_map(|e| match e.check {
            Check::Within { limit, .. } => {
                let within = |r: &Report| {
                    r.rules
                        .iter()
                        .find(|s| {
                            s.journey == journey.name && &s.step == step && s.rule == e.source
                        })
                        .filter(|s| s.met + s.missed > 0)
                        .map(|s| share(s.met, s.met + s.missed))
                };
                Some(SlaComparison {
                    rule: e.source.text.clone(),
                    line: e.source.line,
                    limit_seconds: limit,
                    ideal_within: within(ideal),
                    actual_within: within(actual),
                })
            }
            _ => None,
        })
        .collect()
}

fn variants(
    journey: &crate::compile::CompiledJourney,
    ideal: &JourneyFlow,
    actual: &JourneyFlow,
) -> Vec<VariantComparison> {
    let mut all: Vec<(&Vec<crate::compile::StepId>, u64)> =
        actual.variants.iter().map(|(v, n)| (v, *n)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    all.into_iter()
        .take(TOP_VARIANTS)
        .map(|(steps, count)| VariantComparison {
            steps: steps
                .iter()
                .map(|s| journey.step_name(*s).to_string())
                .collect(),
            count,
            share: share(count, actual.customers),
            ideal_share: share(
                ideal.variants.get(steps).copied().unwrap_or(0),
                ideal.customers,
            ),
            allowed: journey.graph.accepts(steps),
        })
        .collect()
}

fn forbidden(map: &JourneyMap<'_>, actual: &JourneyFlow) -> Vec<ForbiddenTransition> {
    let j = map.journey;
    let mut out: Vec<ForbiddenTransition> = actual
        .transitions
        .iter()
        .filter(|(t, n)| **n > 0 && !map.allows(**t))
        .map(|(&(from, to), &count)| ForbiddenTransition {
            from: from.map_or("start", |s| j.step_name(s)).to_string(),
            to: j.step_name(to).to_string(),
            count,
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.from.cmp(&b.from))
            .then(a.to.cmp(&b.to))
    });
    out.truncate(TOP_FORBIDDEN);
    out
}

fn percent(f: f64) -> String {
    format!("{:.1}%", 100.0 * f)
}

fn duration(s: Option<u64>) -> String {
    s.map_or("-".to_string(), |s| human_duration(s as i64))
}

/// The comparison as text for a person.
pub fn render_text(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cxl compare: ideal {} against actual {}",
        c.ideal, c.actual
    );
    let _ = writeln!(out, "counts are {}", c.counting);
    for j in &c.journeys {
        let _ = writeln!(
            out,
            "\njourney {}: {} customers ideal, {} actual; conformance {} ideal, {} actual",
            j.journey,
            j.ideal_customers,
            j.actual_customers,
            j.ideal_conformance
                .map_or("-".into(), |c| format!("{c:.1}%")),
            j.actual_conformance
                .map_or("-".into(), |c| format!("{c:.1}%")),
        );
        let _ = writeln!(
            out,
            "time to goal: median {} ideal, {} actual; p90 {} ideal, {} actual",
            duration(j.ideal_time_to_goal.p50),
            duration(j.actual_time_to_goal.p50),
            duration(j.ideal_time_to_goal.p90),
            duration(j.actual_time_to_goal.p90),
        );
        let _ = writeln!(
            out,
            "\n  {:<24} {:>8} {:>8} {:>8}  {:>10} {:>10}",
            "step (funnel)", "ideal", "actual", "change", "ideal p50", "actual p50"
        );
        for s in &j.steps {
            let _ = writeln!(
                out,
                "  {:<24} {:>8} {:>8} {:>8}  {:>10} {:>10}",
                s.step,
                percent(s.ideal_reach),
                percent(s.actual_reach),
                format!("{:+.1}", 100.0 * s.change),
                duration(s.ideal_duration.p50),
                duration(s.actual_duration.p50),
            );
            for sla in &s.slas {
                let _ = writeln!(
                    out,
                    "    line {}: `{}`: {} within ideal, {} actual",
                    sla.line,
                    sla.rule,
                    sla.ideal_within.map_or("-".into(), percent),
                    sla.actual_within.map_or("-".into(), percent),
                );
            }
        }
        let _ = writeln!(out, "\n  top variants (actual share, ideal share, allowed)");
        for v in &j.variants {
            let _ = writeln!(
                out,
                "  {:>6} {:>6} {}  {}",
                percent(v.share),
                percent(v.ideal_share),
                if v.allowed { "yes" } else { "NO " },
                v.steps.join(" -> ")
            );
        }
        if !j.forbidden.is_empty() {
            let _ = writeln!(out, "\n  transitions the path forbids (actual)");
            for f in &j.forbidden {
                let _ = writeln!(out, "  {:>6}  {} -> {}", f.count, f.from, f.to);
            }
        }
        if !j.changed_most.is_empty() {
            let _ = writeln!(out, "\n  changed most: {}", j.changed_most.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Spread::of(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!((s.p50, s.p90, s.p95), (Some(5), Some(9), Some(10)));
        assert_eq!(Spread::of(&[]).p50, None);
        assert_eq!(Spread::of(&[7]).p95, Some(7));
    }
}

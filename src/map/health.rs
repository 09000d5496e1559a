//! [`JourneyHealth`]: the overlay of an evaluation on a journey's map: each
//! step's dot (the report's [`Health`], by its documented thresholds), its
//! counts and top finding kinds, and what customers actually did
//! ([`JourneyFlow`]).

use super::flow::JourneyFlow;
use crate::compile::CompiledJourney;
use crate::eval::{FindingKind, Health, JourneySummary, Report};

/// How many finding kinds a step's hover names.
const TOP_KINDS: usize = 3;

/// One step's health on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct StepHealth {
    /// Its dot.
    pub health: Health,
    /// Times a customer met it.
    pub visits: u64,
    /// Yellow findings at it.
    pub yellow: u64,
    /// Red findings at it.
    pub red: u64,
    /// Customers who reached it.
    pub reached: u64,
    /// Customers whose record of the journey ended there, where the path does
    /// not end: they dropped off.
    pub drop_off: u64,
    /// The most frequent finding kinds at it, most first.
    pub top_kinds: Vec<(FindingKind, u64)>,
}

/// An evaluation laid over one journey's map.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyHealth {
    /// The journey's summary.
    pub summary: Option<JourneySummary>,
    /// Per step, indexed by step id.
    pub steps: Vec<StepHealth>,
    /// What customers did, when it was observed.
    pub flow: Option<JourneyFlow>,
}

impl JourneyHealth {
    /// The health of `journey` in `report`, with the flow observed beside it.
    pub fn new(
        journey: &CompiledJourney,
        report: &Report,
        flow: Option<&JourneyFlow>,
    ) -> JourneyHealth {
        let steps = journey
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let summary = report
                    .steps
                    .iter()
                    .find(|s| s.journey == journey.name && s.step == step.name);
                let ends = journey
                    .graph
                    .nodes_of(crate::compile::StepId(i as u32))
                    .iter()
                    .any(|&n| journey.graph.is_accepting(n));
                let at = |v: Option<&Vec<u64>>| v.and_then(|v| v.get(i)).copied().unwrap_or(0);
                let mut top_kinds: Vec<(FindingKind, u64)> = flow
                    .and_then(|f| f.kinds.get(i))
                    .map(|k| k.iter().map(|(k, n)| (*k, *n)).collect())
                    .unwrap_or_default();
                top_kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                top_kinds.truncate(TOP_KINDS);
                StepHealth {
                    health: summary.map_or(Health::None, |s| s.health),
                    visits: summary.map_or(0, |s| s.visits),
                    yellow: summary.map_or(0, |s| s.yellow),
                    red: summary.map_or(0, |s| s.red),
                    reached: at(flow.map(|f| &f.reached)),
                    drop_off: if ends { 0 } else { at(flow.map(|f| &f.ended)) },
                    top_kinds,
                }
            })
            .collect();
        JourneyHealth {
            summary: report
                .journeys
                .iter()
                .find(|j| j.journey == journey.name)
                .cloned(),
            steps,
            flow: flow.cloned(),
        }
    }
}

//! [`Program`]: a policy compiled to the frozen, immutable form every
//! evaluator runs. Its vocabulary (step `match` names, the attribute keys
//! and channels its rules read) is interned once; conditions, step rules,
//! routes (event name → journey steps), time limits and per-journey sizes are
//! compiled. Nothing of `syntax` is reachable from it, and it is `Send +
//! Sync`: evaluators on several threads share one through an `Arc`.

use super::condition::Cond;
use super::index::PolicyIndex;
use super::journey::CompiledJourney;
use super::rules::{EscalationRule, Expectation};
use super::sources::JourneyRules;
use super::Better;
use crate::events::Interner;
use std::collections::BTreeMap;

/// What the evaluator needs to know of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    /// Which direction is good, if declared.
    pub better: Option<Better>,
    /// Its declared range, if any.
    pub range: Option<(f64, f64)>,
}

/// A policy compiled for evaluation (see the module documentation). Made by
/// [`super::Policy::compile`] and held in [`super::Policy::program`].
#[derive(Debug)]
pub struct Program {
    /// Journeys, in name order.
    pub journeys: Vec<CompiledJourney>,
    /// Segment names, in name order (a segment's index is its place here).
    pub segments: Vec<String>,
    /// Every expectation, with step-level `via` channels first, then `expect`
    /// blocks in source order.
    pub expectations: Vec<Expectation>,
    /// Escalations, in name order.
    pub escalations: Vec<EscalationRule>,
    /// Metrics by name.
    pub metrics: BTreeMap<String, MetricInfo>,
    /// Per journey (same order), where its `path` and `abandon after` are
    /// written, for the findings they give.
    pub journey_rules: Vec<JourneyRules>,
    /// Every name the program reads, interned once; never changed after.
    vocabulary: Interner,
    /// The lookup tables of the per-event path.
    pub(crate) index: PolicyIndex,
}

// Evaluators on several threads share one program.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<Program>()
};

/// The parts a [`Program`] is made of; the conditions are compiled into
/// `vocabulary` already.
pub(crate) struct Parts {
    pub journeys: Vec<CompiledJourney>,
    pub segments: Vec<String>,
    pub segment_when: Vec<Option<Cond>>,
    pub expectations: Vec<Expectation>,
    pub escalations: Vec<EscalationRule>,
    pub metrics: BTreeMap<String, MetricInfo>,
    pub journey_rules: Vec<JourneyRules>,
    pub vocabulary: Interner,
    /// Every attribute a condition reads.
    pub condition_attrs: Vec<crate::events::Symbol>,
}

impl Program {
    /// Freeze the parts, building the lookup tables.
    pub(crate) fn new(parts: Parts) -> Program {
        let Parts {
            journeys,
            segments,
            segment_when,
            expectations,
            escalations,
            metrics,
            journey_rules,
            mut vocabulary,
            condition_attrs,
        } = parts;
        let index = PolicyIndex::new(
            super::index::Rules {
                journeys: &journeys,
                segments: &segments,
                expectations: &expectations,
                escalations: &escalations,
                conditions: super::index::Conditions {
                    segment_when,
                    attrs: condition_attrs,
                },
            },
            &mut vocabulary,
        );
        Program {
            journeys,
            segments,
            expectations,
            escalations,
            metrics,
            journey_rules,
            vocabulary,
            index,
        }
    }

    /// Every name the program reads: step `match` names, attribute keys,
    /// channels. A name not here means nothing to any rule.
    pub fn vocabulary(&self) -> &Interner {
        &self.vocabulary
    }

    /// Every event attribute the evaluation reads: what conditions read,
    /// metric names and `asked`. A reader may leave the others out.
    pub fn attributes_read(&self) -> &std::collections::BTreeSet<String> {
        &self.index.attributes_read
    }
}

//! [`Report`]: the result of an evaluation, ready for any renderer: input counts,
//! per-journey and per-step summaries with health, per-rule verdicts, findings
//! and escalations.

use super::finding::{Finding, FindingKind, Level};
use crate::compile::RuleSource;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// What came in, and what became of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InputCounts {
    /// Events pushed into the evaluator.
    pub events: u64,
    /// Events that matched no step (see `unmapped`).
    pub unmapped: u64,
    /// Events older than the lateness window.
    pub late: u64,
    /// Events recorded twice.
    pub duplicates: u64,
    /// Records that could not be read.
    pub rejected: u64,
    /// Events of customers outside every segment of the journey.
    pub out_of_segment: u64,
}

/// One journey, over all customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneySummary {
    /// The journey.
    pub journey: String,
    /// Its label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Instances started.
    pub entered: u64,
    /// Instances that reached the goal.
    pub reached_goal: u64,
    /// Instances that ended at an end of the path.
    pub completed: u64,
    /// Instances abandoned.
    pub abandoned: u64,
    /// Instances still open, not at an end, at `as_of`.
    pub open: u64,
    /// Instances that fit the path: they ended at an end of it (or were at one
    /// at `as_of`) with no off-path finding.
    pub fit: u64,
    /// Instances with an off-path finding: a step out of order, too many
    /// repeats, or abandoned.
    pub unfit: u64,
    /// Instances with no other off-path finding that were not at an end of the
    /// path at `as_of`: they stopped (or are still) short of its end.
    pub incomplete: u64,
    /// `fit` as a share of the instances judged (`fit + unfit + incomplete`,
    /// which is `entered`), in percent: PM4Py's share of fitting traces on a
    /// finished log. `None` when no instance was judged.
    pub conformance: Option<f64>,
    /// Median time from start to goal, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_seconds_to_goal: Option<u64>,
    /// The optimal alignments of the instances that ended (at the end of
    /// input every instance does); `None` when alignments were off or no
    /// instance ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alignment: Option<AlignmentSummary>,
}

/// How many buckets [`AlignmentSummary::costs`] has: costs 0 to 9, then 10
/// or more.
pub const COST_BUCKETS: usize = 11;

/// A journey's optimal alignments, summed up (see `docs/language.md`, the
/// eval section).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlignmentSummary {
    /// Instances aligned.
    pub instances: u64,
    /// Their mean fitness, in `[0, 1]`.
    pub fitness_mean: f64,
    /// The share of them with cost 0 (the trace is a complete path), in `[0, 1]`.
    pub perfect_share: f64,
    /// Their mean cost.
    pub cost_mean: f64,
    /// How many had each cost: index `i` counts cost `i`; the last index,
    /// [`COST_BUCKETS`] − 1, counts that cost or more.
    pub costs: Vec<u64>,
}

/// The seed's coloured dots: how a step is doing across customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Not visited: nothing to judge.
    None,
    /// Working well.
    Green,
    /// Making people unhappy.
    Yellow,
    /// Making people very unhappy.
    Red,
}

/// Health thresholds: a step is red when red findings reach this share of its
/// visits, and yellow when findings of any colour reach [`YELLOW_SHARE`].
pub const RED_SHARE: f64 = 0.10;
/// See [`RED_SHARE`].
pub const YELLOW_SHARE: f64 = 0.05;

impl Health {
    /// Health from visits and finding counts, by [`RED_SHARE`] and [`YELLOW_SHARE`].
    /// A step nobody reached while customers waited for it (`stalled`) is judged
    /// on its findings: the share is taken of visits or findings, whichever is more.
    pub fn judge(visits: u64, yellow: u64, red: u64) -> Health {
        let base = visits.max(yellow + red);
        if base == 0 {
            return Health::None;
        }
        let share = |n: u64| n as f64 / base as f64;
        if share(red) >= RED_SHARE {
            Health::Red
        } else if share(red + yellow) >= YELLOW_SHARE {
            Health::Yellow
        } else {
            Health::Green
        }
    }
}

/// One step, over all customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepSummary {
    /// The journey.
    pub journey: String,
    /// The step.
    pub step: String,
    /// Its stage, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Below the line of visibility.
    pub backstage: bool,
    /// Times a customer met it.
    pub visits: u64,
    /// Yellow findings at it.
    pub yellow: u64,
    /// Red findings at it.
    pub red: u64,
    /// Its health.
    pub health: Health,
}

/// Verdicts of one expectation rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSummary {
    /// The journey.
    pub journey: String,
    /// The step, or `*`.
    pub step: String,
    /// Where the rule is written.
    pub rule: RuleSource,
    /// Met.
    pub met: u64,
    /// Missed.
    pub missed: u64,
    /// Open and fine at `as_of`.
    pub pending: u64,
    /// Open and past the warning at `as_of`.
    pub pending_at_risk: u64,
    /// Opened, then moot: the customer took a branch without the step.
    pub not_applicable: u64,
    /// True when the rule was never triggered at all.
    pub vacuous: bool,
}

/// One notification of an escalation tier: a record a pipeline can route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationRecord {
    /// The escalation's name.
    pub escalation: String,
    /// Which tier, from 1.
    pub tier: usize,
    /// Who is notified.
    pub recipient: String,
    /// How serious.
    pub severity: Level,
    /// When it fired (event time).
    pub time: Timestamp,
    /// When the recipient must respond by, if the tier says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respond_by: Option<Timestamp>,
    /// The customer, for customer-level escalations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The journey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<String>,
    /// The journey instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    /// The step, for step-level escalations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Why.
    pub reason: String,
    /// The finding the escalation fired on (for a customer-level escalation set
    /// off by one; every tier names the first tier's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingRef>,
    /// The rule.
    pub rule: RuleSource,
}

/// Which finding something refers to: its kind, step and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRef {
    /// Its kind.
    pub kind: FindingKind,
    /// Its step, if it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Its time.
    pub time: Timestamp,
}

/// How many findings one rule produced at one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingGroup {
    /// Their kind.
    pub kind: FindingKind,
    /// Their level.
    pub level: Level,
    /// The rule, for findings that come from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleSource>,
    /// How many.
    pub count: u64,
}

/// More than this share of the events matching no step makes a run's verdicts
/// untrustworthy ([`Problem::MostUnmapped`]): the policy's `match` names, or the
/// log's mapping, are likely wrong.
pub const UNMAPPED_SHARE: f64 = 0.5;
/// More than this share of the records (events read plus records rejected)
/// rejected makes a run's verdicts untrustworthy ([`Problem::MostRejected`]).
pub const REJECTED_SHARE: f64 = 0.5;

/// Why a run's verdicts must not be read as "all good", whatever its findings:
/// too little of the input was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// No journey instance was started, so none was judged: nothing matched a
    /// step, every customer was outside the journeys' segments, or nothing
    /// could be read.
    NothingJudged,
    /// More than [`UNMAPPED_SHARE`] of the events matched no step.
    MostUnmapped {
        /// Events that matched no step.
        unmapped: u64,
        /// Events read.
        events: u64,
    },
    /// More than [`REJECTED_SHARE`] of the records could not be read.
    MostRejected {
        /// Records rejected.
        rejected: u64,
        /// Records read: events and rejected records.
        records: u64,
    },
}

impl Problem {
    /// The problems of a run with these input counts and journeys.
    pub fn of(input: &InputCounts, journeys: &[JourneySummary]) -> Vec<Problem> {
        let mut problems = Vec::new();
        if journeys.iter().all(|j| j.entered == 0) {
            problems.push(Problem::NothingJudged);
        }
        let most = |part: u64, whole: u64, share: f64| part as f64 > share * whole as f64;
        if most(input.unmapped, input.events, UNMAPPED_SHARE) {
            problems.push(Problem::MostUnmapped {
                unmapped: input.unmapped,
                events: input.events,
            });
        }
        let records = input.events + input.rejected;
        if most(input.rejected, records, REJECTED_SHARE) {
            problems.push(Problem::MostRejected {
                rejected: input.rejected,
                records,
            });
        }
        problems
    }

    /// Its name in JSON, `nothing_judged`.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::NothingJudged => "nothing_judged",
            Problem::MostUnmapped { .. } => "most_unmapped",
            Problem::MostRejected { .. } => "most_rejected",
        }
    }

    /// One line for a person.
    pub fn message(&self, input: &InputCounts) -> String {
        let percent = |part: u64, whole: u64| 100.0 * part as f64 / whole.max(1) as f64;
        match *self {
            Problem::NothingJudged => format!(
                "no journey instance was judged: of {} events, {} match no step and {} are of \
                 customers outside the journeys' segments; {} records rejected",
                input.events, input.unmapped, input.out_of_segment, input.rejected
            ),
            Problem::MostUnmapped { unmapped, events } => format!(
                "{unmapped} of {events} events ({:.1}%) match no step of any journey: check the \
                 steps' `match` names and the log's mapping",
                percent(unmapped, events)
            ),
            Problem::MostRejected { rejected, records } => format!(
                "{rejected} of {records} records ({:.1}%) could not be read",
                percent(rejected, records)
            ),
        }
    }
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The time deadlines were judged against at the end.
    pub as_of: Timestamp,
    /// True when at least one journey instance was judged. A run that judged
    /// nothing is no evidence that all is well, whatever its findings say.
    pub judged: bool,
    /// What makes the run's verdicts untrustworthy (empty when nothing does):
    /// see [`Problem`].
    pub problems: Vec<Problem>,
    /// Input counts.
    pub input: InputCounts,
    /// Per journey.
    pub journeys: Vec<JourneySummary>,
    /// Per step, journeys in order, steps in declaration order.
    pub steps: Vec<StepSummary>,
    /// Per expectation rule.
    pub rules: Vec<RuleSummary>,
    /// Findings counted by kind (all of them, kept or not).
    pub finding_counts: BTreeMap<FindingKind, u64>,
    /// Findings counted by level.
    pub level_counts: BTreeMap<Level, u64>,
    /// Findings counted by kind, level and rule: the groups of the text output.
    pub finding_groups: Vec<FindingGroup>,
    /// The findings kept (see [`super::Retention`]), in report order.
    pub findings: Vec<Finding>,
    /// Findings not kept, by retention.
    pub findings_not_kept: u64,
    /// Escalations fired, in time order (empty with `Retention::None`: the caller
    /// took them as they came).
    pub escalations: Vec<EscalationRecord>,
    /// How many escalation notifications fired in all.
    pub escalations_fired: u64,
    /// Events that matched no step, by name.
    pub unmapped: BTreeMap<String, u64>,
}

impl Report {
    /// The most serious level of any finding, if any.
    pub fn worst(&self) -> Option<Level> {
        self.level_counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(l, _)| *l)
            .max()
    }
}

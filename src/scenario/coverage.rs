//! What a policy's tests exercise: its steps (an event of a test stood for
//! them), expectations (a test decided them: met or missed),
//! escalation tiers (one fired) and segments (a test customer was in one when
//! their first event came), per file, for `cxl test --coverage`.

use super::Outcome;
use crate::compile::Policy;
use serde::Serialize;
use std::collections::BTreeSet;

/// What one or more test runs exercised of one policy, by index into its
/// [`crate::compile::Program`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exercised {
    /// (journey, step) pairs.
    steps: BTreeSet<(usize, usize)>,
    /// Expectations.
    expectations: BTreeSet<usize>,
    /// (escalation, tier) pairs, tiers from 0.
    tiers: BTreeSet<(usize, usize)>,
    /// Segments.
    segments: BTreeSet<usize>,
}

impl Exercised {
    /// Add what `other` exercised.
    pub fn merge(&mut self, other: &Exercised) {
        self.steps.extend(&other.steps);
        self.expectations.extend(&other.expectations);
        self.tiers.extend(&other.tiers);
        self.segments.extend(&other.segments);
    }

    /// What one scenario's outcome exercised.
    pub(super) fn of(policy: &Policy, outcome: &Outcome) -> Exercised {
        let program = &policy.program;
        let mut exercised = Exercised::default();
        // The report lists steps journey by journey, in the program's order.
        let pairs = program
            .journeys
            .iter()
            .enumerate()
            .flat_map(|(j, journey)| (0..journey.steps.len()).map(move |s| (j, s)));
        for (pair, step) in pairs.zip(&outcome.report.steps) {
            if step.visits > 0 {
                exercised.steps.insert(pair);
            }
        }
        // The report lists rules in the program's order of expectations. A
        // deadline still open at the end decided nothing: not exercised.
        for (e, rule) in outcome.report.rules.iter().enumerate() {
            if rule.met + rule.missed > 0 {
                exercised.expectations.insert(e);
            }
        }
        for record in &outcome.report.escalations {
            if let Some(e) = program
                .escalations
                .iter()
                .position(|x| x.name == record.escalation)
            {
                exercised.tiers.insert((e, record.tier.saturating_sub(1)));
            }
        }
        for seen in &outcome.customers {
            for j in 0..program.journeys.len() {
                if let Some(start) = seen.journey_start(program, j) {
                    exercised.segments.extend(start.segments);
                }
            }
        }
        exercised
    }
}

/// One thing that tests can exercise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageItem {
    /// How a person names it: `claim.acknowledge`, `line 18 claim.acknowledge
    /// within 1h after report`, `gold_claim tier 2 "Head of claims"`, `gold`.
    pub name: String,
    /// 1-based line where it is written, in its file.
    pub line: usize,
    /// The file it is written in, when the policy has several (`use "..."`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// True when a test exercised it.
    pub covered: bool,
    /// Where it is written, as an offset of the policy's files read one after
    /// the other: the order items are listed in.
    #[serde(skip)]
    at: usize,
}

/// The items of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageKind {
    /// `steps`, `expectations`, `escalation tiers` or `segments`.
    pub kind: &'static str,
    /// Every item of the policy of this kind, by line.
    pub items: Vec<CoverageItem>,
}

impl CoverageKind {
    /// How many items were exercised.
    pub fn covered(&self) -> usize {
        self.items.iter().filter(|i| i.covered).count()
    }

    /// The share exercised, in percent (100 when there is nothing to exercise).
    pub fn percent(&self) -> f64 {
        percent(self.covered(), self.items.len())
    }
}

/// What the tests of one policy exercised, kind by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Steps, expectations, escalation tiers, segments.
    pub kinds: Vec<CoverageKind>,
}

impl Coverage {
    /// The coverage of `policy` by the runs in `exercised`; lines are within
    /// the file each item is written in.
    pub fn of(policy: &Policy, exercised: &Exercised) -> Coverage {
        let program = &policy.program;
        // Lines within each file of the policy (its text is their joined text).
        let lines = crate::diagnostic::Lines::new(&policy.sources);
        let item = |name: String, at: usize, covered: bool| CoverageItem {
            name,
            line: lines.line(at),
            file: lines.file(at),
            covered,
            at,
        };
        let steps = program
            .journeys
            .iter()
            .enumerate()
            .flat_map(|(j, journey)| {
                journey.steps.iter().enumerate().map(move |(s, step)| {
                    item(
                        format!("{}.{}", journey.name, step.name),
                        step.span.start,
                        exercised.steps.contains(&(j, s)),
                    )
                })
            })
            .collect();
        let expectations = program
            .expectations
            .iter()
            .enumerate()
            .map(|(e, x)| {
                let journey = &program.journeys[x.journey];
                let target = x.step.map_or("*", |s| journey.step_name(s));
                let set = x
                    .source
                    .set
                    .as_ref()
                    .map_or(String::new(), |s| format!(" (from {s})"));
                item(
                    format!("{}.{target} `{}`{set}", journey.name, x.source.text),
                    x.source.span.start,
                    exercised.expectations.contains(&e),
                )
            })
            .collect();
        let tiers = program
            .escalations
            .iter()
            .enumerate()
            .flat_map(|(e, x)| {
                x.tiers.iter().enumerate().map(move |(t, tier)| {
                    item(
                        format!("{} tier {} \"{}\"", x.name, t + 1, tier.recipient),
                        x.source.span.start,
                        exercised.tiers.contains(&(e, t)),
                    )
                })
            })
            .collect();
        let segments = program
            .segments
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let when = policy.segments.get(i).and_then(|s| s.when.as_ref());
                let mut segment = item(
                    name.clone(),
                    when.map_or(0, |w| w.span.start),
                    exercised.segments.contains(&i),
                );
                if when.is_none() {
                    (segment.line, segment.file) = (0, None);
                }
                segment
            })
            .collect();
        let mut coverage = Coverage {
            kinds: vec![
                CoverageKind {
                    kind: "steps",
                    items: steps,
                },
                CoverageKind {
                    kind: "expectations",
                    items: expectations,
                },
                CoverageKind {
                    kind: "escalation tiers",
                    items: tiers,
                },
                CoverageKind {
                    kind: "segments",
                    items: segments,
                },
            ],
        };
        // In the order they are written, which is how a person looks for them.
        for kind in &mut coverage.kinds {
            kind.items.sort_by_key(|item| item.at);
        }
        coverage
    }

    /// How many items of every kind were exercised.
    pub fn covered(&self) -> usize {
        self.kinds.iter().map(CoverageKind::covered).sum()
    }

    /// How many items there are of every kind.
    pub fn total(&self) -> usize {
        self.kinds.iter().map(|k| k.items.len()).sum()
    }

    /// The share exercised, in percent (100 when there is nothing to exercise).
    pub fn percent(&self) -> f64 {
        percent(self.covered(), self.total())
    }
}

/// `covered` of `total` in percent; 100 when `total` is 0.
fn percent(covered: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}

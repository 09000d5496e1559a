//! Running counts of an evaluation, and the [`Report`] built from them at the
//! end. Every finding passes through [`Tally::emit`], which counts it for its
//! kind, step health, rule and rate windows, and keeps it if retention allows.

mod merge;

pub(crate) use merge::merge_unmapped;

use super::escalate::bucket_width;
use super::finding::{Category, Finding, FindingKind, Level};
use super::median::Durations;
use super::summary::{
    EscalationRecord, FindingGroup, Health, InputCounts, JourneySummary, Report, RuleSummary,
    StepSummary,
};
use super::Retention;
use crate::compile::{Program, RuleSource, StepId, Trigger};
use crate::events::{Event, Interner, Rejection, Symbol};
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Milliseconds since the epoch as a timestamp (clamped into jiff's range).
pub(crate) fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Where in the input a finding was decided, for putting the findings of
/// several evaluators (see `eval::shard`) in the order one would have given
/// them: the input record (`tick`) whose push decided it, then the sweep after
/// it (`phase` 1, customers by their last record, `key`); findings decided at
/// the end have tick `u64::MAX` and come by customer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Stamp {
    pub tick: u64,
    pub phase: u8,
    pub key: u64,
}

impl Stamp {
    /// A push or a rejected record at `tick`.
    pub(crate) fn push(tick: u64) -> Stamp {
        Stamp {
            tick,
            phase: 0,
            key: 0,
        }
    }

    /// The sweep after the push at `tick`, of the customer whose last record is `key`.
    pub(crate) fn sweep(tick: u64, key: u64) -> Stamp {
        Stamp {
            tick,
            phase: 1,
            key,
        }
    }

    /// The end of input.
    pub(crate) fn finish() -> Stamp {
        Stamp::push(u64::MAX)
    }
}

/// An unmapped event name's count, and the time and line of its first event.
pub(crate) type Unmapped = (u64, Timestamp, u64);

/// The outcome of one activation or evaluation of an expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Met,
    Missed,
    Pending,
    AtRisk,
    NotApplicable,
}

/// The rule of the policy a finding comes from: findings are grouped by it,
/// and quote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RuleRef {
    /// An expectation, by index.
    Expectation(usize),
    /// A journey's `path` (by journey index): off it, or not at its end.
    Path(usize),
    /// A journey's `abandon after`.
    Abandon(usize),
}

impl RuleRef {
    /// Where the rule is written; `None` for a journey clause not in the file.
    pub(crate) fn source(self, program: &Program) -> Option<&RuleSource> {
        let journey = |j: usize| program.journey_rules.get(j);
        match self {
            RuleRef::Expectation(e) => program.expectations.get(e).map(|x| &x.source),
            RuleRef::Path(j) => journey(j)?.path.as_ref(),
            RuleRef::Abandon(j) => journey(j)?.abandon.as_ref(),
        }
    }
}

/// Where a finding belongs, for counting.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site {
    pub journey: Option<usize>,
    pub step: Option<StepId>,
    pub rule: Option<RuleRef>,
}

impl Site {
    pub(crate) fn input() -> Site {
        Site {
            journey: None,
            step: None,
            rule: None,
        }
    }
    pub(crate) fn journey(j: usize) -> Site {
        Site {
            journey: Some(j),
            step: None,
            rule: None,
        }
    }
    pub(crate) fn step(j: usize, s: StepId) -> Site {
        Site {
            journey: Some(j),
            step: Some(s),
            rule: None,
        }
    }
    pub(crate) fn rule(j: usize, s: StepId, e: usize) -> Site {
        Site {
            journey: Some(j),
            step: Some(s),
            rule: Some(RuleRef::Expectation(e)),
        }
    }
    /// The same site, for a finding of a journey's own clause.
    pub(crate) fn by(self, rule: RuleRef) -> Site {
        Site {
            rule: Some(rule),
            ..self
        }
    }
}

#[derive(Default, Clone)]
struct JourneyTally {
    entered: u64,
    reached_goal: u64,
    completed: u64,
    abandoned: u64,
    open: u64,
    fit: u64,
    unfit: u64,
    incomplete: u64,
    /// Seconds from start to goal, for the median, in bounded memory.
    times_to_goal: Durations,
    /// Alignments of the instances that ended.
    aligned: AlignedTally,
}

/// The alignments of a journey's ended instances, summed so that the sum does
/// not depend on the order of adding (fitness in billionths), so that shards
/// merge to exactly one evaluator's figures.
#[derive(Default, Clone)]
pub(crate) struct AlignedTally {
    pub instances: u64,
    pub fitness_nanos: u64,
    pub cost_sum: u64,
    /// Instances by cost: index `i` counts cost `i`, the last one
    /// [`crate::eval::COST_BUCKETS`] − 1 or more.
    pub costs: [u64; crate::eval::COST_BUCKETS],
}

impl AlignedTally {
    fn add(&mut self, cost: u32, fitness: f64) {
        self.instances += 1;
        // Fitness is in [0, 1]: rounded to billionths, it fits.
        self.fitness_nanos += (fitness.clamp(0.0, 1.0) * 1e9).round() as u64;
        self.cost_sum += u64::from(cost);
        let bucket = (cost as usize).min(crate::eval::COST_BUCKETS - 1);
        self.costs[bucket] += 1;
    }

    pub(crate) fn absorb(&mut self, other: &AlignedTally) {
        self.instances += other.instances;
        self.fitness_nanos += other.fitness_nanos;
        self.cost_sum += other.cost_sum;
        for (mine, theirs) in self.costs.iter_mut().zip(other.costs) {
            *mine += theirs;
        }
    }

    fn summary(&self) -> Option<crate::eval::AlignmentSummary> {
        (self.instances > 0).then(|| {
            let n = self.instances as f64;
            crate::eval::AlignmentSummary {
                instances: self.instances,
                // To billionths, as summed: no digits the sum does not hold.
                fitness_mean: (self.fitness_nanos as f64 / n).round() / 1e9,
                perfect_share: self.costs[0] as f64 / n,
                cost_mean: self.cost_sum as f64 / n,
                costs: self.costs.to_vec(),
            }
        })
    }
}

impl JourneyTally {
    /// Judge an instance once, as it ends or at the end of input: unfit with an
    /// off-path finding, else fit at an end of the path, else incomplete.
    fn judge(&mut self, off_path: bool, at_end: bool) {
        if off_path {
            self.unfit += 1;
        } else if at_end {
            self.fit += 1;
        } else {
            self.incomplete += 1;
        }
    }

    /// `fit` as a percentage of the instances judged; none when none was.
    fn conformance(&self) -> Option<f64> {
        let judged = self.fit + self.unfit + self.incomplete;
        (judged > 0).then(|| 100.0 * self.fit as f64 / judged as f64)
    }
}

#[derive(Default, Clone, Copy)]
struct StepTally {
    visits: u64,
    yellow: u64,
    red: u64,
}

#[derive(Default, Clone, Copy)]
struct RuleTally {
    met: u64,
    missed: u64,
    pending: u64,
    at_risk: u64,
    not_applicable: u64,
}

/// A step-level escalation's counts: (journey, step or any, off-path?, bucket width).
struct RateCounter {
    journey: usize,
    step: Option<StepId>,
    off_path: bool,
    width: i64,
    buckets: Buckets,
}

/// A step-level rate's counts per time bucket, in bucket order: (bucket,
/// (visits, findings)), a bucket being `time.div_euclid(width)`.
///
/// Plain data on purpose: the counts of two evaluators of one policy over
/// parts of one log (shards by customer) add up bucket by bucket
/// ([`Buckets::merge`]) to exactly the counts of one evaluator over the whole,
/// whatever the order of either, so a sharded run decides its rates on the
/// merged counts and gets the same escalations.
///
/// A sorted vector, not a map: visits come nearly in time order, so the bucket
/// is almost always the last one (one comparison, where a `BTreeMap` entry cost
/// about 70 instructions a visit). An outlying timestamp only inserts one entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Buckets(Vec<(i64, (u64, u64))>);

impl Buckets {
    /// Add `other`'s counts to these, bucket by bucket (a sorted merge).
    pub(crate) fn merge(&mut self, other: &Buckets) {
        let mut merged = Vec::with_capacity(self.0.len() + other.0.len());
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    let (x, y) = (a.next(), b.next());
                    x.zip(y)
                        .map(|(x, y)| (x.0, (x.1 .0 + y.1 .0, x.1 .1 + y.1 .1)))
                }
                (Some(x), Some(y)) if x.0 < y.0 => a.next().copied(),
                (Some(_), Some(_)) | (None, Some(_)) => b.next().copied(),
                (Some(_), None) => a.next().copied(),
                (None, None) => None,
            };
            match next {
                Some(entry) => merged.push(entry),
                None => break,
            }
        }
        self.0 = merged;
    }

    /// The counts of bucket `b`, zero when new.
    fn entry(&mut self, b: i64) -> &mut (u64, u64) {
        let at = match self.0.last() {
            Some((last, _)) if *last == b => self.0.len() - 1,
            Some((last, _)) if *last < b => self.push(b),
            None => self.push(b),
            Some(_) => match self.0.binary_search_by_key(&b, |(k, _)| *k) {
                Ok(at) => at,
                Err(at) => {
                    self.0.insert(at, (b, (0, 0)));
                    at
                }
            },
        };
        &mut self.0[at].1
    }

    fn push(&mut self, b: i64) -> usize {
        self.0.push((b, (0, 0)));
        self.0.len() - 1
    }
}

/// The running counts.
pub(crate) struct Tally {
    retention: Retention,
    pub input: InputCounts,
    journeys: Vec<JourneyTally>,
    steps: Vec<Vec<StepTally>>,
    rules: Vec<RuleTally>,
    kinds: BTreeMap<FindingKind, u64>,
    levels: BTreeMap<Level, u64>,
    kept: Vec<Finding>,
    not_kept: u64,
    /// Counts by kind, rule and level; ordered, so that groups whose rules share
    /// a line (two rules of one `use`) still come out in one order.
    groups: BTreeMap<(FindingKind, Option<RuleRef>, Level), u64>,
    escalations: Vec<EscalationRecord>,
    fresh_escalations: Vec<EscalationRecord>,
    escalations_fired: u64,
    /// Alignment records not yet taken (with `Alignments::Records`).
    fresh_alignments: Vec<crate::eval::AlignmentRecord>,
    unmapped: FxHashMap<Symbol, Unmapped>,
    /// The unmapped names with their counts, once resolved at the end.
    unmapped_named: Vec<(String, Unmapped)>,
    rates: Vec<Option<RateCounter>>,
    /// Where in the input the findings now emitted are decided.
    pub stamp: Stamp,
    /// With [`Retention::PerGroup`] in a shard: each kept finding's stamp and
    /// rule, so that merged shards keep the same findings one evaluator would.
    stamps: Option<Vec<(Stamp, Option<RuleRef>)>>,
    /// By journey and step: the rates (escalation indices) that count it.
    rates_at: Vec<Vec<Vec<usize>>>,
}

impl Tally {
    pub(crate) fn new(program: &Program, retention: Retention) -> Tally {
        let rates: Vec<Option<RateCounter>> = program
            .escalations
            .iter()
            .map(|e| match e.trigger {
                Trigger::Rate {
                    journey,
                    step,
                    off_path,
                    window,
                    ..
                } => Some(RateCounter {
                    journey,
                    step,
                    off_path,
                    width: bucket_width(window),
                    buckets: Buckets::default(),
                }),
                Trigger::Customer { .. } => None,
            })
            .collect();
        let rates_at = program
            .journeys
            .iter()
            .enumerate()
            .map(|(j, journey)| {
                (0..journey.steps.len())
                    .map(|s| {
                        (0..rates.len())
                            .filter(|&r| {
                                rates[r].as_ref().is_some_and(|rate: &RateCounter| {
                                    rate.journey == j && rate.step.is_none_or(|rs| rs.index() == s)
                                })
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Tally {
            rates_at,
            retention,
            input: InputCounts::default(),
            journeys: vec![JourneyTally::default(); program.journeys.len()],
            steps: program
                .journeys
                .iter()
                .map(|j| vec![StepTally::default(); j.steps.len()])
                .collect(),
            rules: vec![RuleTally::default(); program.expectations.len()],
            kinds: BTreeMap::new(),
            levels: BTreeMap::new(),
            kept: Vec::new(),
            not_kept: 0,
            groups: BTreeMap::new(),
            escalations: Vec::new(),
            fresh_escalations: Vec::new(),
            escalations_fired: 0,
            fresh_alignments: Vec::new(),
            unmapped: FxHashMap::default(),
            unmapped_named: Vec::new(),
            rates,
            stamp: Stamp::default(),
            stamps: None,
        }
    }

    /// Count a finding and keep it if retention allows; hand it to the caller too.
    pub(crate) fn emit(&mut self, site: Site, finding: Finding, out: &mut Vec<Finding>) {
        *self.kinds.entry(finding.kind).or_default() += 1;
        *self.levels.entry(finding.level).or_default() += 1;
        match finding.kind {
            FindingKind::LateEvent => self.input.late += 1,
            FindingKind::DuplicateEvent => self.input.duplicates += 1,
            _ => {}
        }
        if let (Some(j), Some(s)) = (site.journey, site.step) {
            if let Some(step) = self.steps.get_mut(j).and_then(|st| st.get_mut(s.index())) {
                match finding.level {
                    Level::Red => step.red += 1,
                    Level::Yellow => step.yellow += 1,
                    Level::Info => {}
                }
            }
            let t = finding.time.as_millisecond();
            let off_path = finding.kind.category() == Category::OffPath;
            let broken = finding.kind.category() == Category::BrokenStep;
            for &r in rates_at(&self.rates_at, j, s) {
                if let Some(rate) = self.rates[r].as_mut() {
                    if (rate.off_path && off_path) || (!rate.off_path && broken) {
                        rate.buckets.entry(t.div_euclid(rate.width)).1 += 1;
                    }
                }
            }
        }
        let count = self
            .groups
            .entry((finding.kind, site.rule, finding.level))
            .or_default();
        *count += 1;
        let keep = match self.retention {
            Retention::All => true,
            Retention::None => false,
            Retention::PerGroup(n) => *count <= n as u64,
        };
        if keep {
            if let Some(stamps) = &mut self.stamps {
                stamps.push((self.stamp, site.rule));
            }
            self.kept.push(finding.clone());
        } else {
            self.not_kept += 1;
        }
        out.push(finding);
    }

    pub(crate) fn verdict(&mut self, e: usize, verdict: Verdict) {
        let Some(rule) = self.rules.get_mut(e) else {
            return;
        };
        match verdict {
            Verdict::Met => rule.met += 1,
            Verdict::Missed => rule.missed += 1,
            Verdict::Pending => rule.pending += 1,
            Verdict::AtRisk => rule.at_risk += 1,
            Verdict::NotApplicable => rule.not_applicable += 1,
        }
    }

    /// Count a visit of step `s` of journey `j` at `t`. (Inline: every event
    /// comes here; left out of line, it cost about 30 instructions an event.)
    #[inline]
    pub(crate) fn visit(&mut self, j: usize, s: StepId, t: i64) {
        if let Some(step) = self.steps.get_mut(j).and_then(|st| st.get_mut(s.index())) {
            step.visits += 1;
        }
        for &r in rates_at(&self.rates_at, j, s) {
            if let Some(rate) = self.rates[r].as_mut() {
                rate.buckets.entry(t.div_euclid(rate.width)).0 += 1;
            }
        }
    }

    pub(crate) fn entered(&mut self, j: usize) {
        self.journeys[j].entered += 1;
    }

    pub(crate) fn out_of_segment(&mut self) {
        self.input.out_of_segment += 1;
    }

    pub(crate) fn reached_goal(&mut self, j: usize, elapsed_ms: i64) {
        self.journeys[j].reached_goal += 1;
        let seconds = u32::try_from(elapsed_ms.max(0) / 1000).unwrap_or(u32::MAX);
        self.journeys[j].times_to_goal.push(seconds);
    }

    /// An instance ended before the end of input.
    pub(crate) fn closed(&mut self, j: usize, off_path: bool, completed: bool) {
        let tally = &mut self.journeys[j];
        if completed {
            tally.completed += 1;
        } else {
            tally.abandoned += 1;
        }
        tally.judge(off_path, completed);
    }

    /// An instance ended with an optimal alignment of this cost and fitness.
    pub(crate) fn aligned(&mut self, j: usize, cost: u32, fitness: f64) {
        self.journeys[j].aligned.add(cost, fitness);
    }

    /// Hand out an instance's alignment record (see `take_alignments`).
    pub(crate) fn alignment(&mut self, record: crate::eval::AlignmentRecord) {
        self.fresh_alignments.push(record);
    }

    /// The alignment records made since the last call.
    pub(crate) fn take_alignments(&mut self) -> Vec<crate::eval::AlignmentRecord> {
        std::mem::take(&mut self.fresh_alignments)
    }

    /// How many alignment records wait to be taken.
    pub(crate) fn fresh_alignments(&self) -> usize {
        self.fresh_alignments.len()
    }

    /// An instance open at the end of input.
    pub(crate) fn still_open(&mut self, j: usize, off_path: bool, completed: bool) {
        let tally = &mut self.journeys[j];
        if completed {
            tally.completed += 1;
        } else {
            tally.open += 1;
        }
        tally.judge(off_path, completed);
    }

    /// Record an escalation: with [`Retention::All`] kept for the report; with
    /// [`Retention::None`] only counted and handed to the caller (see
    /// `Evaluator::take_escalations`), so a long stream keeps no growing list;
    /// with [`Retention::PerGroup`] handed to the caller, and the first kept.
    pub(crate) fn escalation(&mut self, record: EscalationRecord) {
        self.escalations_fired += 1;
        match self.retention {
            Retention::None => self.fresh_escalations.push(record),
            Retention::All => self.escalations.push(record),
            Retention::PerGroup(n) => {
                // Every one goes to the caller; only the first in report
                // order are kept, sorted and cut whenever twice as many piled
                // up, so memory stays flat.
                let keep = n.saturating_mul(ESCALATIONS_PER_GROUP);
                self.fresh_escalations.push(record.clone());
                self.escalations.push(record);
                if self.escalations.len() >= keep.saturating_mul(2).max(64) {
                    sort_escalations(&mut self.escalations);
                    self.escalations.truncate(keep);
                }
            }
        }
    }

    /// The escalations recorded since the last call, unless [`Retention::All`].
    pub(crate) fn take_escalations(&mut self) -> Vec<EscalationRecord> {
        std::mem::take(&mut self.fresh_escalations)
    }

    /// How many escalations wait to be taken.
    pub(crate) fn fresh_escalations(&self) -> usize {
        self.fresh_escalations.len()
    }

    /// Count an event whose name matches no step. Its evidence is the
    /// earliest such event by time (the first read among equal times), not the
    /// first to arrive: events reordered within the lateness window must give
    /// the same report.
    pub(crate) fn unmapped(&mut self, event: &Event) {
        self.input.unmapped += 1;
        let entry = self
            .unmapped
            .entry(event.name)
            .or_insert((0, event.time, event.origin.line));
        entry.0 += 1;
        if event.time < entry.1 {
            (entry.1, entry.2) = (event.time, event.origin.line);
        }
    }

    pub(crate) fn rejected(
        &mut self,
        rejection: &Rejection,
        time: Timestamp,
        out: &mut Vec<Finding>,
    ) {
        self.input.rejected += 1;
        let mut f = Finding::new(
            FindingKind::RejectedRecord,
            Level::Yellow,
            time,
            rejection.to_string(),
        );
        f.evidence.push(super::Evidence {
            event: rejection.raw.chars().take(200).collect(),
            time,
            line: rejection.line.unwrap_or(0),
            role: "record",
        });
        self.emit(Site::input(), f, out);
    }

    /// The unmapped names with their counts, by name, resolved through `names`.
    pub(crate) fn take_unmapped(&mut self, names: &Interner) -> Vec<(String, Unmapped)> {
        let mut entries: Vec<(String, Unmapped)> = self
            .unmapped
            .drain()
            .map(|(s, v)| (names.resolve(s).to_string(), v))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// The end of the evaluation, once every customer is done: one
    /// `unmapped_event` finding per name of `unmapped` (by name, with its
    /// count), the step-level escalations, and the report as of `as_of_ms`;
    /// also the escalations not yet taken.
    pub(crate) fn conclude(
        mut self,
        program: &Program,
        unmapped: Vec<(String, Unmapped)>,
        as_of_ms: i64,
        out: &mut Vec<Finding>,
    ) -> (Report, Vec<EscalationRecord>) {
        self.stamp = Stamp::finish();
        for (name, (count, first, line)) in &unmapped {
            let message = format!("`{name}` matches no step of any journey ({count} events)");
            let mut f = Finding::new(FindingKind::UnmappedEvent, Level::Info, *first, message);
            f.count = Some(*count);
            f.evidence.push(super::Evidence {
                event: name.clone(),
                time: *first,
                line: *line,
                role: "first",
            });
            self.emit(Site::input(), f, out);
        }
        self.unmapped_named = unmapped;
        super::escalate::rates(program, &mut self);
        let fresh = self.take_escalations();
        (self.report(program, timestamp(as_of_ms)), fresh)
    }

    pub(crate) fn rate_buckets(&self, rule: usize) -> impl Iterator<Item = (i64, (u64, u64))> + '_ {
        self.rates
            .get(rule)
            .and_then(Option::as_ref)
            .into_iter()
            .flat_map(|r| r.buckets.0.iter().copied())
    }

    /// The report, from the counts.
    fn report(mut self, program: &Program, as_of: Timestamp) -> Report {
        self.kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        sort_escalations(&mut self.escalations);
        if let Retention::PerGroup(n) = self.retention {
            self.escalations
                .truncate(n.saturating_mul(ESCALATIONS_PER_GROUP));
        }
        let journeys: Vec<JourneySummary> = program
            .journeys
            .iter()
            .zip(&mut self.journeys)
            .map(|(j, t)| {
                let median = t.times_to_goal.median();
                JourneySummary {
                    journey: j.name.clone(),
                    label: j.label.clone(),
                    entered: t.entered,
                    reached_goal: t.reached_goal,
                    completed: t.completed,
                    abandoned: t.abandoned,
                    open: t.open,
                    fit: t.fit,
                    unfit: t.unfit,
                    incomplete: t.incomplete,
                    conformance: t.conformance(),
                    median_seconds_to_goal: median,
                    alignment: t.aligned.summary(),
                }
            })
            .collect();
        let steps = program
            .journeys
            .iter()
            .zip(&self.steps)
            .flat_map(|(j, tallies)| {
                j.steps.iter().zip(tallies).map(move |(s, t)| StepSummary {
                    journey: j.name.clone(),
                    step: s.name.clone(),
                    stage: s
                        .stage
                        .and_then(|i| j.stages.get(i))
                        .map(|st| st.name.clone()),
                    backstage: s.backstage,
                    visits: t.visits,
                    yellow: t.yellow,
                    red: t.red,
                    health: Health::judge(t.visits, t.yellow, t.red),
                })
            })
            .collect();
        let rules = program
            .expectations
            .iter()
            .zip(&self.rules)
            .map(|(e, t)| {
                let journey = &program.journeys[e.journey];
                RuleSummary {
                    journey: journey.name.clone(),
                    step: e
                        .step
                        .map_or_else(|| "*".to_string(), |s| journey.step_name(s).to_string()),
                    rule: e.source.clone(),
                    met: t.met,
                    missed: t.missed,
                    pending: t.pending,
                    pending_at_risk: t.at_risk,
                    not_applicable: t.not_applicable,
                    vacuous: t.met + t.missed + t.pending + t.at_risk + t.not_applicable == 0,
                }
            })
            .collect();
        let mut finding_groups: Vec<FindingGroup> = self
            .groups
            .iter()
            .map(|((kind, rule, level), count)| FindingGroup {
                kind: *kind,
                level: *level,
                rule: rule.and_then(|r| r.source(program).cloned()),
                count: *count,
            })
            .collect();
        // Rules in the order they are written: by offset, which orders the
        // files of a policy as they were read (a line is within its file).
        finding_groups.sort_by(|a, b| {
            (
                std::cmp::Reverse(a.level),
                a.kind,
                a.rule.as_ref().map(|r| (r.span.start, r.line)),
            )
                .cmp(&(
                    std::cmp::Reverse(b.level),
                    b.kind,
                    b.rule.as_ref().map(|r| (r.span.start, r.line)),
                ))
        });
        let problems = super::summary::Problem::of(&self.input, &journeys);
        Report {
            as_of,
            judged: !problems.contains(&super::summary::Problem::NothingJudged),
            problems,
            finding_groups,
            input: self.input,
            journeys,
            steps,
            rules,
            finding_counts: self.kinds,
            level_counts: self.levels,
            findings: self.kept,
            findings_not_kept: self.not_kept,
            escalations: self.escalations,
            escalations_fired: self.escalations_fired,
            unmapped: self
                .unmapped_named
                .iter()
                .map(|(name, v)| (name.clone(), v.0))
                .collect(),
        }
    }
}

/// With [`Retention::PerGroup`]`(n)`, the report keeps the first `n` times
/// this many escalations in report order (the text output shows as many).
pub const ESCALATIONS_PER_GROUP: usize = 4;

/// Escalations in report order: by time, escalation, customer and tier, in
/// the order they fired among equals (a stable sort).
fn sort_escalations(records: &mut [EscalationRecord]) {
    records.sort_by(|a, b| {
        (a.time, &a.escalation, &a.customer, a.tier).cmp(&(
            b.time,
            &b.escalation,
            &b.customer,
            b.tier,
        ))
    });
}

/// The rates (escalation indices) that count step `s` of journey `j`.
fn rates_at(table: &[Vec<Vec<usize>>], j: usize, s: StepId) -> &[usize] {
    table
        .get(j)
        .and_then(|steps| steps.get(s.index()))
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::Buckets;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Whatever the order of buckets, the counts and their order are a map's.
        #[test]
        fn buckets_count_like_a_map(visits in prop::collection::vec((-5i64..40, any::<bool>()), 0..200)) {
            let mut buckets = Buckets::default();
            let mut map: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
            for (b, finding) in visits {
                let (ours, theirs) = (buckets.entry(b), map.entry(b).or_default());
                if finding { ours.1 += 1; theirs.1 += 1 } else { ours.0 += 1; theirs.0 += 1 }
            }
            prop_assert_eq!(buckets.0, map.into_iter().collect::<Vec<_>>());
        }

        /// Counts split in two in any way and merged are the counts of the whole.
        #[test]
        fn merged_buckets_count_like_the_whole(
            visits in prop::collection::vec((-5i64..40, any::<bool>(), any::<bool>()), 0..200),
        ) {
            let (mut whole, mut left, mut right) =
                (Buckets::default(), Buckets::default(), Buckets::default());
            for (b, finding, side) in visits {
                let part = if side { &mut left } else { &mut right };
                for counts in [whole.entry(b), part.entry(b)] {
                    if finding { counts.1 += 1 } else { counts.0 += 1 }
                }
            }
            left.merge(&right);
            prop_assert_eq!(left, whole);
        }
    }
}

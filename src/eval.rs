//! Stage `eval`: the streaming engine that replays recorded interactions on a
//! compiled [`Program`] and says who left the ideal journey, which touchpoints broke
//! their expectations, and who must be alerted.
//!
//! One pass, event by event. Per customer, events are applied in time order: a
//! small reorder buffer holds each customer's events for the lateness window, and
//! an event older than what was already applied is a `late_event`. Each journey
//! the customer is on has an *instance*: the set of graph positions they may be at
//! (so `&` branches and ambiguous paths need no special case), visit counts, and the
//! open time limits ("activations"). Deadlines fire in event time: before a
//! customer's next event is applied, when [`Evaluator::advance_to`] passes them, and
//! at [`Evaluator::finish`] against `as_of`. The library reads no clock and prints
//! nothing; a file and a stream take the same path. A reader of a file is best
//! wrapped in [`ReadAhead`], which reads records ahead in batches, so the state
//! of the customers they name is on its way into the cache when their turn
//! comes and reading and applying each keep their code in the instruction cache
//! (the results are the same, only sooner).

mod ahead;
mod align;
mod apply;
mod asked;
mod checks;
mod condition;
mod customers;
mod escalate;
mod finding;
mod instance;
mod median;
mod shard;
mod summary;
mod tally;
mod timers;

pub use ahead::ReadAhead;
pub use align::{AlignedMove, AlignmentRecord, Alignments, MoveKind};
pub(crate) use condition::{attributes as condition_attributes, in_segment};
pub use finding::{Category, Evidence, Finding, FindingKind, Level};
pub use shard::{Output, RunError, RunOutcome, Sharded, Source};
pub use summary::{
    AlignmentSummary, EscalationRecord, FindingGroup, FindingRef, Health, InputCounts,
    JourneySummary, Problem, Report, RuleSummary, StepSummary, COST_BUCKETS, RED_SHARE,
    REJECTED_SHARE, UNMAPPED_SHARE, YELLOW_SHARE,
};
pub use tally::ESCALATIONS_PER_GROUP;

use crate::compile::Program;
use crate::events::{Customer, CustomerId, Event, Names, Rejection, Symbol, Value};
use customers::{Customers, Slot, Warm};
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use std::sync::Arc;
use tally::Tally;

/// An as-of time earlier than an event already read ([`Evaluator::finish`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the as-of time {as_of} is earlier than the latest event read, at {latest}")]
pub struct AsOfError {
    /// The as-of time asked for.
    pub as_of: Timestamp,
    /// The latest event time read.
    pub latest: Timestamp,
}

/// How many findings the report keeps (the counts are always complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Every finding.
    All,
    /// At most this many findings per kind and rule, and this many times
    /// [`ESCALATIONS_PER_GROUP`] escalations, the first in report order; the
    /// rest are only counted.
    PerGroup(usize),
    /// None: the caller takes them from `push` as they come.
    None,
}

/// What [`Evaluator::finish_all`] gives.
#[derive(Debug)]
pub struct Finished {
    /// The report.
    pub report: Report,
    /// The findings decided at the end (all of them with [`Retention::All`]).
    pub findings: Vec<Finding>,
    /// The escalations not yet taken (none with [`Retention::All`]).
    pub escalations: Vec<EscalationRecord>,
    /// The alignment records not yet taken.
    pub alignments: Vec<AlignmentRecord>,
}

/// Options of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    /// How far back (seconds) a customer's events may arrive out of order and still
    /// be put in order. Default: [`DEFAULT_LATENESS`].
    pub lateness: u64,
    /// Which findings the report keeps.
    pub retention: Retention,
    /// What is computed of optimal alignments. Default: [`Alignments::Summary`].
    pub alignments: Alignments,
}

/// The default lateness window: 10 minutes.
pub const DEFAULT_LATENESS: u64 = 600;

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            lateness: DEFAULT_LATENESS,
            retention: Retention::All,
            alignments: Alignments::Summary,
        }
    }
}

/// After this many records without news of a customer, and once the watermark has
/// passed their last event, a customer counts as idle: their buffer is applied,
/// their deadlines fire, and a customer with no open journey is forgotten. This
/// keeps memory to the customers in flight on time-ordered streams, and is
/// harmless on case-ordered logs, where a customer's records are contiguous.
/// The sweep scans every customer, so it must not run too often; but finished
/// customers left waiting for it make the table the hot loop works in larger.
/// 4,096 records was the best trade measured (`cargo bench --bench eval`: 0.75M
/// events/s with 65,536, 0.95M with 4,096, 0.85M with 1,024).
const IDLE_RECORDS: u64 = 1 << 12;

/// The read-only context of an evaluator, borrowed field by field so that the
/// customers and the tally stay free to change.
macro_rules! context {
    ($e:expr) => {
        apply::Context {
            program: &$e.program,
            index: &$e.program.index,
            names: &$e.names,
            profiles: &$e.profiles,
            lateness_ms: ($e.options.lateness as i64).saturating_mul(1000),
            alignments: $e.options.alignments,
        }
    };
}

/// The evaluator: push events in, take findings out, finish with a [`Report`].
/// Evaluators on several threads may share one [`Program`].
pub struct Evaluator {
    program: Arc<Program>,
    names: Names,
    options: EvalOptions,
    customers: Customers,
    profiles: FxHashMap<CustomerId, Vec<(Symbol, Value)>>,
    tally: Tally,
    /// Latest event time seen, in milliseconds.
    max_time: Option<i64>,
    /// Records pushed (events and rejected records); in a shard, the
    /// input's count so far.
    records: u64,
    /// In a shard, the input record being applied (see [`tally::Stamp`]).
    tick: u64,
}

impl Evaluator {
    /// An evaluator of `program` (a compiled policy's [`crate::Policy::program`]).
    pub fn new(program: Arc<Program>, options: EvalOptions) -> Self {
        let names = Names::with_vocabulary(program.vocabulary().clone());
        Evaluator {
            tally: Tally::new(&program, options.retention),
            program,
            names,
            options,
            customers: Customers::default(),
            profiles: FxHashMap::default(),
            max_time: None,
            records: 0,
            tick: 0,
        }
    }

    /// The names of events and attributes (starting with the program's
    /// vocabulary) and the customers' ids: readers intern into them.
    pub fn names_mut(&mut self) -> &mut Names {
        &mut self.names
    }

    /// Leave out of `options` what this evaluation never reads, so a reader
    /// saves the work: the attributes its policy does not name (see
    /// [`crate::events::AttributeFilter`]) and the actor.
    ///
    /// ```
    /// use cxl::eval::{EvalOptions, Evaluator};
    /// use cxl::events::{InputFormat, ReadOptions};
    ///
    /// let policy = cxl::Policy::compile(
    ///     "use std/cx\njourney j { goal a step a { } path a }\nexpect j.a { csat >= 4 else yellow }",
    /// )
    /// .expect("the policy compiles");
    /// let evaluator = Evaluator::new(policy.program, EvalOptions::default());
    /// let mut options = ReadOptions::new(InputFormat::Ndjson);
    /// evaluator.narrow(&mut options);
    /// assert!(options.attributes.keeps("csat"));
    /// assert!(!options.attributes.keeps("tenure_days"));
    /// assert!(!options.read_actor);
    /// ```
    pub fn narrow(&self, options: &mut crate::events::ReadOptions) {
        options.attributes =
            crate::events::AttributeFilter::Only(self.program.attributes_read().clone());
        // No rule, finding or report looks at who acted.
        options.read_actor = false;
    }

    /// The names and customer ids, for resolving symbols.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Record a customer's attributes (a customers file, XES trace attributes).
    pub fn push_customer(&mut self, customer: Customer) {
        let attrs = self.profiles.entry(customer.id).or_default();
        for (key, value) in customer.attrs {
            match attrs.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => attrs.push((key, value)),
            }
        }
    }

    /// Record a record that could not be read: counted and reported, never dropped.
    /// Like an event, a rejected record counts towards the idle sweep (see
    /// [`Evaluator::push`]), so it may decide findings about customers and
    /// fire escalations ([`Evaluator::take_escalations`]).
    pub fn push_rejected(&mut self, rejection: &Rejection) -> Vec<Finding> {
        let mut out = Vec::new();
        self.records += 1;
        let time = self
            .max_time
            .map_or(Timestamp::UNIX_EPOCH, tally::timestamp);
        self.tally.rejected(rejection, time, &mut out);
        self.sweep_when_due(&mut out);
        out
    }

    /// Apply one event; returns the findings it decided (possibly about earlier
    /// events released from the reorder buffer, or deadlines it passed). Every
    /// 4,096th record read (events and rejected records: what a reader can
    /// count without reading a record whole, so that shards reading one input
    /// side by side agree on it) also sweeps idle customers, after the record.
    pub fn push(&mut self, event: Event) -> Vec<Finding> {
        let mut out = Vec::new();
        self.records += 1;
        self.apply_event(event, &mut out);
        self.sweep_when_due(&mut out);
        out
    }

    /// The idle sweep, after every [`IDLE_RECORDS`]th record.
    #[inline]
    fn sweep_when_due(&mut self, out: &mut Vec<Finding>) {
        // At fixed counts, whoever counts them: a shard that only counts the
        // input's records sweeps where a single evaluator does. Before the
        // first event there is no customer to sweep.
        if self.records % IDLE_RECORDS == 0 {
            if let Some(max) = self.max_time {
                let watermark = max.saturating_sub(self.lateness_ms());
                self.sweep_idle(watermark, out, None);
            }
        }
    }

    /// Count and apply one event, the [`Self::records`]th; no sweep.
    #[inline]
    fn apply_event(&mut self, event: Event, out: &mut Vec<Finding>) {
        self.tally.input.events += 1;
        let millis = event.time.as_millisecond();
        self.max_time = Some(self.max_time.map_or(millis, |m| m.max(millis)));
        if self.program.index.route(event.name).is_empty() {
            self.tally.unmapped(&event);
            return;
        }
        let ctx = context!(self);
        let slot = self.customers.get_or_insert(event.customer);
        slot.last_record = self.records;
        apply::receive(&ctx, &mut slot.state, &mut self.tally, event, millis, out);
        slot.max_seen = slot.state.max_seen;
    }

    /// The lateness window in milliseconds.
    fn lateness_ms(&self) -> i64 {
        (self.options.lateness as i64).saturating_mul(1000)
    }

    /// A stream's watermark: the latest event time seen, minus the lateness
    /// window; `None` before the first event. Every event before it that
    /// could still come would be more than the window out of order, so a
    /// stream can [`Evaluator::advance_to`] it: what is due before it is decided.
    pub fn watermark(&self) -> Option<Timestamp> {
        let lateness_ms = (self.options.lateness as i64).saturating_mul(1000);
        self.max_time
            .map(|max| tally::timestamp(max.saturating_sub(lateness_ms)))
    }

    /// Declare that event time has reached `time` (a stream's watermark, or "now"):
    /// customers' events buffered before it are applied and every deadline before
    /// it fires. Customers are taken in the order of their last event in the
    /// input: a live stream calls this whenever its input pauses.
    pub fn advance_to(&mut self, time: Timestamp) -> Vec<Finding> {
        let mut out = Vec::new();
        let until = time.as_millisecond();
        let ctx = context!(self);
        for (_, id) in self.customers.select_in_order(|_| true) {
            if let Some(slot) = self.customers.get_mut(id) {
                let customer = &mut slot.state;
                apply::release(&ctx, customer, &mut self.tally, until, &mut out);
                timers::fire_all(&ctx, customer, &mut self.tally, until, &mut out);
            }
        }
        out
    }

    /// End of input: apply everything buffered, fire deadlines before `as_of`
    /// (default: the latest event time seen), close open journeys as abandoned or
    /// incomplete, and build the report.
    /// Unless [`Retention::All`], take the last escalations with
    /// [`Evaluator::finish_streaming`] instead.
    ///
    /// An `as_of` earlier than an event already pushed is an [`AsOfError`]
    /// (a report as of then would include events after its own "now"); with
    /// `None` there is none.
    pub fn finish(self, as_of: Option<Timestamp>) -> Result<(Report, Vec<Finding>), AsOfError> {
        let (report, findings, _) = self.finish_streaming(as_of)?;
        Ok((report, findings))
    }

    /// [`Evaluator::finish`], also returning the escalations not yet taken
    /// (unless [`Retention::All`]; empty with it).
    pub fn finish_streaming(
        self,
        as_of: Option<Timestamp>,
    ) -> Result<(Report, Vec<Finding>, Vec<EscalationRecord>), AsOfError> {
        let finished = self.finish_all(as_of)?;
        Ok((finished.report, finished.findings, finished.escalations))
    }

    /// [`Evaluator::finish_streaming`], also returning the alignment records
    /// not yet taken (with [`Alignments::Records`]: the instances that ended
    /// at the end of input, by customer id).
    pub fn finish_all(mut self, as_of: Option<Timestamp>) -> Result<Finished, AsOfError> {
        let as_of_ms = as_of_millis(as_of, self.max_time)?;
        let mut out = Vec::new();
        self.finish_customers(as_of_ms, &mut out, None);
        let alignments = self.tally.take_alignments();
        let unmapped = self.tally.take_unmapped(&self.names.words);
        let (report, fresh) = self
            .tally
            .conclude(&self.program, unmapped, as_of_ms, &mut out);
        Ok(Finished {
            report,
            findings: out,
            escalations: fresh,
            alignments,
        })
    }

    /// The customers' part of [`Evaluator::finish`]: each customer in flight,
    /// by id, has their buffer applied, deadlines before `as_of_ms` fired and
    /// open journeys closed. With `marks`, where each customer's findings and
    /// escalations end.
    fn finish_customers(
        &mut self,
        as_of_ms: i64,
        out: &mut Vec<Finding>,
        mut marks: Option<&mut Vec<shard::Mark>>,
    ) {
        let ctx = context!(self);
        self.tally.stamp = tally::Stamp::finish();
        for id in self.sorted_customers() {
            if let Some(Slot {
                state: mut customer,
                ..
            }) = self.customers.remove(id)
            {
                apply::release(&ctx, &mut customer, &mut self.tally, i64::MAX, out);
                timers::fire_all(&ctx, &mut customer, &mut self.tally, as_of_ms, out);
                apply::close_all_at_end(&ctx, &mut customer, &mut self.tally, as_of_ms, out);
                if let Some(marks) = marks.as_deref_mut() {
                    marks.push(shard::Mark::new(
                        0,
                        out.len(),
                        self.tally.fresh_escalations(),
                        self.tally.fresh_alignments(),
                    ));
                }
            }
        }
    }

    /// Forget a finished customer's id, so memory stays with the customers in
    /// flight. Kept: ids with a profile (a later event must find it).
    fn forget_customer(&mut self, id: CustomerId) {
        if !self.profiles.contains_key(&id) {
            self.names.customers.forget(id);
        }
    }

    /// Start loading into the cache the state of a customer whose event comes
    /// soon (see [`ReadAhead`]). A hint: nothing changes.
    pub(crate) fn warm(&self, customer: CustomerId, what: Warm) {
        self.customers.warm(customer, what);
    }

    /// How many more records can be pushed before one may forget customers
    /// (the idle sweep), at least 1. A reader must not intern customer ids
    /// ahead of that push: a customer it names could be forgotten under it.
    pub(crate) fn pushes_before_sweep(&self) -> u64 {
        IDLE_RECORDS - self.records % IDLE_RECORDS
    }

    /// Unless [`Retention::All`], the escalations fired since the last call,
    /// for the caller to route as they come; with `All` they wait in the report.
    pub fn take_escalations(&mut self) -> Vec<EscalationRecord> {
        self.tally.take_escalations()
    }

    /// With [`Alignments::Records`], the alignment records of the instances
    /// that ended since the last call, in the order they ended.
    pub fn take_alignments(&mut self) -> Vec<AlignmentRecord> {
        self.tally.take_alignments()
    }

    /// Customers in a fixed order (by id), so output never depends on hashing.
    fn sorted_customers(&self) -> Vec<CustomerId> {
        let mut ids: Vec<CustomerId> = self.customers.iter().map(|(id, _)| id).collect();
        let names = &self.names.customers;
        ids.sort_by(|a, b| names.resolve(*a).cmp(names.resolve(*b)));
        ids
    }

    /// Apply and forget idle customers (see [`IDLE_RECORDS`]) against
    /// `watermark` (ms), in the order of their last event, so that the order
    /// does not depend on which other customers share the evaluator. With
    /// `marks`, where each customer's findings and escalations end.
    fn sweep_idle(
        &mut self,
        watermark: i64,
        out: &mut Vec<Finding>,
        mut marks: Option<&mut Vec<shard::Mark>>,
    ) {
        let ctx = context!(self);
        let records = self.records;
        let idle = self
            .customers
            .select_in_order(|c| records - c.last_record >= IDLE_RECORDS && c.max_seen < watermark);
        let mut done = Vec::new();
        for (last, id) in idle {
            if let Some(slot) = self.customers.get_mut(id) {
                self.tally.stamp = tally::Stamp::sweep(self.tick, last);
                let customer = &mut slot.state;
                apply::release(&ctx, customer, &mut self.tally, watermark, out);
                timers::fire_all(&ctx, customer, &mut self.tally, watermark, out);
                if customer.instances.is_empty() && customer.buffer.is_empty() {
                    done.push(id);
                }
                if let Some(marks) = marks.as_deref_mut() {
                    marks.push(shard::Mark::new(
                        last,
                        out.len(),
                        self.tally.fresh_escalations(),
                        self.tally.fresh_alignments(),
                    ));
                }
            }
        }
        for id in done {
            self.customers.retire(id);
            self.forget_customer(id);
        }
    }
}

/// The as-of time in milliseconds: `as_of`, or the latest event time seen
/// (`latest`, ms); an error when `as_of` is before `latest`.
fn as_of_millis(as_of: Option<Timestamp>, latest: Option<i64>) -> Result<i64, AsOfError> {
    match (as_of, latest) {
        // Compared in milliseconds, the engine's unit of event time.
        (Some(as_of), Some(latest)) if as_of.as_millisecond() < latest => Err(AsOfError {
            as_of,
            latest: tally::timestamp(latest),
        }),
        (Some(as_of), _) => Ok(as_of.as_millisecond()),
        (None, latest) => Ok(latest.unwrap_or(0)),
    }
}

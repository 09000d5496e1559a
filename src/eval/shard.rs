//! One evaluation on every core: [`Sharded`] splits the customers by a
//! stable hash of their id ([`Share`]) across several [`Evaluator`]s on one
//! policy, each on a thread of its own, and merges what they decide into
//! exactly what one evaluator gives, in the same order.
//!
//! How records reach the evaluators is chosen once, in [`Sharded::run`]:
//!
//! - **side by side** (NDJSON, [`side`]): one thread reads (and inflates) the
//!   input and hands the same bytes to every evaluator's thread, whose own
//!   reader reads whole only its customers' lines, telling the others' at a
//!   glance ([`crate::events::SharedReader`]): reading, not only evaluating,
//!   is spread over the cores. At every sweep the evaluators meet to agree on
//!   the input's latest event time.
//! - **dispatched** (XES, CSV, [`dispatch`]): one reader must read every
//!   record, so its thread sends each event to its evaluator.
//!
//! Customers never meet in an evaluator: each finding, escalation and count
//! belongs to one customer, except those about the input as a whole, which
//! need the whole input. So the reader's thread (the dispatcher) keeps what is
//! global, and every evaluator knows it the same way:
//!
//! - each event carries its number in the input (its *tick*, and the count of
//!   records so far), which the evaluator uses as a single one uses its own
//!   counts;
//! - the idle sweep runs after every [`IDLE_RECORDS`]th record of the input,
//!   at the input's watermark (latest event time − lateness), not each
//!   evaluator's own;
//! - a rejected record's finding is decided by the merging thread at the
//!   input's latest event time before it, as one evaluator would.
//!
//! The order is defined by the input, not by who evaluated what: findings come
//! by the tick that decided them; within a tick, the pushed event's
//! customer's first, then the sweep's by each customer's last record (unique
//! to them), each customer's in the order they were decided; a tick's
//! escalations after its findings. At the end, customers come by id, then the
//! `unmapped_event` findings (one per name, of all evaluators' counts) and the
//! step-level escalations (over all evaluators' rate buckets, added bucket by
//! bucket). A single [`Evaluator`] follows the same order, so any number of
//! evaluators gives its output byte for byte. The report's counts are sums;
//! the findings a report keeps per group are chosen again in input order (see
//! `Tally::settle_kept`).
//!
//! Evaluators work on a period of input ([`IDLE_RECORDS`] records, up to a
//! sweep) while the next is read and the caller's thread merges and hands out
//! the one before; channels are bounded, so memory stays a few periods of
//! records.

mod dispatch;
mod merge;
mod side;
mod work;

use super::tally::{Stamp, Tally};
use super::{AsOfError, EscalationRecord, EvalOptions, Evaluator, Finding, Report, IDLE_RECORDS};
use crate::compile::Policy;
use crate::events::{Customer, InputError, InputFormat, Names, ReadOptions, Rejection};
use jiff::Timestamp;
use std::io::Read;
use std::num::NonZeroUsize;

/// Where one customer's findings, escalations and alignment records end in
/// a sweep or at the end: `key` is the customer's last record (0 at the end).
pub(crate) struct Mark {
    key: u64,
    findings: usize,
    escalations: usize,
    alignments: usize,
}

impl Mark {
    pub(crate) fn new(key: u64, findings: usize, escalations: usize, alignments: usize) -> Mark {
        Mark {
            key,
            findings,
            escalations,
            alignments,
        }
    }
}

/// What a sharded run hands its caller as it goes, in the order one
/// evaluator would decide it.
#[derive(Debug)]
pub enum Output<'a> {
    /// A record that could not be read (for a reject file), just before the
    /// finding about it.
    Rejected(&'a Rejection),
    /// What was decided at one point of the input: findings, then the
    /// escalations they set off. With [`super::Retention::None`] only, as
    /// with [`Evaluator::push`] and [`Evaluator::take_escalations`]; otherwise
    /// the report keeps them.
    Decided(Vec<Finding>, Vec<EscalationRecord>),
    /// With [`super::Alignments::Records`], the alignment records of the
    /// instances that ended at one point of the input, in the order one
    /// evaluator gives them ([`Evaluator::take_alignments`]); after that
    /// point's [`Output::Decided`].
    Aligned(Vec<super::AlignmentRecord>),
}

/// The end of a sharded run.
#[derive(Debug)]
pub struct RunOutcome {
    /// The report, as one evaluator would give it.
    pub report: Report,
    /// An error that stopped reading: the report covers the records before it.
    pub input_error: Option<InputError>,
}

/// Why a sharded run stopped before its report.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E> {
    /// The caller's output failed.
    #[error("{0}")]
    Output(E),
    /// A record could not be read and the run was strict.
    #[error("{0} (strict)")]
    Strict(Rejection),
    /// The log could not be opened.
    #[error(transparent)]
    Open(InputError),
    /// The as-of time is earlier than an event read.
    #[error(transparent)]
    AsOf(#[from] AsOfError),
    /// An evaluator's or the reader's thread stopped unexpectedly.
    #[error("an evaluation thread stopped unexpectedly")]
    Thread,
}

/// The input of a sharded run: a log, its name in messages, how to read it.
pub struct Source {
    /// The log (plain or gzip), read on a thread of its own.
    pub input: Box<dyn Read + Send>,
    /// Its name in messages and rejections.
    pub name: String,
    /// How to read it (see [`Sharded::narrow`]).
    pub options: ReadOptions,
}

/// Several evaluators of one policy, each with a share of the customers, and
/// the reader on a thread of its own: the same output as one [`Evaluator`],
/// sooner on several cores.
///
/// ```
/// use cxl::eval::{EvalOptions, Output, Retention, Sharded, Source};
/// use cxl::events::{InputFormat, ReadOptions};
/// use std::num::NonZeroUsize;
///
/// let policy = cxl::Policy::compile("journey j { goal b step a { } step b { } path a -> b }")
///     .expect("the policy compiles");
/// let options = EvalOptions { retention: Retention::None, ..EvalOptions::default() };
/// let two = NonZeroUsize::new(2).expect("not zero");
/// let sharded = Sharded::new(&policy, options, two);
/// let log: &[u8] = br#"{"customer":"c1","step":"a","time":"2026-03-01T10:00:00Z"}
/// {"customer":"c2","step":"b","time":"2026-03-01T10:05:00Z"}
/// "#;
/// let source = Source {
///     input: Box::new(log),
///     name: "log.ndjson".into(),
///     options: ReadOptions::new(InputFormat::Ndjson),
/// };
/// let mut kinds = Vec::new();
/// let outcome = sharded.run(source, None, false, |output| {
///     if let Output::Decided(findings, _) = output {
///         kinds.extend(findings.iter().map(|f| f.kind.as_str()));
///     }
///     Ok::<(), std::convert::Infallible>(())
/// })?;
/// assert_eq!(outcome.report.journeys[0].reached_goal, 1);
/// // At the end, customers come by id: c1 never finished, c2 skipped `a`.
/// assert_eq!(kinds, ["incomplete", "unexpected_step"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sharded<'p> {
    policy: &'p Policy,
    options: EvalOptions,
    shards: Vec<Evaluator>,
    /// The names customer records are interned into.
    names: Names,
    customers: Vec<Customer>,
}

impl<'p> Sharded<'p> {
    /// `shards` evaluators of `policy`.
    pub fn new(policy: &'p Policy, options: EvalOptions, shards: NonZeroUsize) -> Self {
        let shards = (0..shards.get())
            .map(|_| Evaluator::new(policy.program.clone(), options))
            .collect();
        Sharded {
            policy,
            options,
            shards,
            names: Names::new(),
            customers: Vec::new(),
        }
    }

    /// The names customer records are interned into (see
    /// [`Sharded::push_customer`]).
    pub fn names_mut(&mut self) -> &mut Names {
        &mut self.names
    }

    /// Record a customer's attributes (a customers file), named in
    /// [`Sharded::names_mut`], before the run.
    pub fn push_customer(&mut self, customer: Customer) {
        self.customers.push(customer);
    }

    /// As [`Evaluator::narrow`].
    pub fn narrow(&self, options: &mut ReadOptions) {
        if let Some(first) = self.shards.first() {
            first.narrow(options);
        }
    }

    /// Read `source` to its end and evaluate it; hand `output` what is
    /// decided as it comes, and return the report. `as_of` is as in
    /// [`Evaluator::finish`]. With `strict`, the first rejected record stops
    /// the run (after everything decided before it was handed out).
    ///
    /// This is where the strategy is chosen (see the module's text): an
    /// NDJSON log is read side by side by every evaluator, another is read
    /// by one reader that dispatches its events.
    pub fn run<E>(
        self,
        source: Source,
        as_of: Option<Timestamp>,
        strict: bool,
        mut output: impl FnMut(Output<'_>) -> Result<(), E>,
    ) -> Result<RunOutcome, RunError<E>> {
        let mut tally = Tally::new(&self.policy.program, self.options.retention);
        tally.keep_stamps();
        let merger = merge::Merger::new(self.policy, tally, strict);
        match source.options.format {
            InputFormat::Ndjson => side::run(self, source, merger, as_of, &mut output),
            InputFormat::Csv | InputFormat::Xes => {
                dispatch::run(self, source, merger, as_of, strict, &mut output)
            }
        }
    }
}

/// The run's `result`, once its threads have ended: every channel is closed
/// by then, so a thread still running sees it and stops. A thread that
/// panicked makes an otherwise good run an error.
fn joined<T, E>(
    handles: Vec<std::thread::ScopedJoinHandle<'_, ()>>,
    result: Result<T, RunError<E>>,
) -> Result<T, RunError<E>> {
    let mut stopped = false;
    for handle in handles {
        stopped |= handle.join().is_err();
    }
    match result {
        Ok(_) if stopped => Err(RunError::Thread),
        result => result,
    }
}

/// How many periods of input may wait in each channel.
const PERIODS_AHEAD: usize = 2;

/// To an evaluator's thread.
enum ToShard {
    /// The dispatcher's next period.
    Batch(dispatch::Batch),
    /// The end of input, judged as of this time (ms).
    Finish(i64),
}

/// From an evaluator's thread to the merging thread.
enum FromShard {
    Period(ShardPeriod),
    Done {
        pieces: Vec<Piece>,
        tally: Box<Tally>,
        unmapped: Vec<(String, super::tally::Unmapped)>,
    },
}

/// What an evaluator decided in a period and, read side by side, what it
/// read that is the input's as a whole.
#[derive(Default)]
struct ShardPeriod {
    pieces: Vec<Piece>,
    /// Rejected records it read, by tick.
    rejected: Vec<(u64, Rejection)>,
    /// Each tick at which its latest event time rose, with the new time (ms).
    latest: Vec<(u64, i64)>,
    /// Read side by side: how its reading ended (the last period only).
    end: Option<ReadEnd>,
}

/// How one reader's reading ended.
struct ReadEnd {
    error: Option<InputError>,
}

/// What one customer's (or one record's) processing at one point decided.
struct Piece {
    stamp: Stamp,
    /// At the end, the customer: pieces come by it.
    customer: Option<String>,
    rejection: Option<Rejection>,
    findings: Vec<Finding>,
    escalations: Vec<EscalationRecord>,
    alignments: Vec<super::AlignmentRecord>,
}

impl Piece {
    fn order(&self) -> (Stamp, Option<&str>) {
        (self.stamp, self.customer.as_deref())
    }
}

/// The reader's part of a period, for the merging thread.
#[derive(Default)]
struct Period {
    /// Rejected records, with their tick and the input's latest event time then.
    rejected: Vec<(u64, Rejection, Option<i64>)>,
    end: Option<End>,
}

/// How reading ended.
#[derive(Default)]
struct End {
    latest: Option<i64>,
    error: Option<InputError>,
    strict: Option<Rejection>,
    /// The log could not be opened.
    unopened: Option<InputError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluators are moved to threads of their own.
    #[test]
    fn an_evaluator_can_move_to_another_thread() {
        fn send<T: Send>() {}
        send::<Evaluator>();
        send::<Tally>();
    }
}

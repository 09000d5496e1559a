//! One evaluation on every core: [`Sharded`] splits the customers by a
//! stable hash of their id across several [`Evaluator`]s on one policy, each
//! on a thread of its own, with the reader on another, and merges what they
//! decide into exactly what one evaluator gives, in the same order.
//!
//! Customers never meet in an evaluator: each finding, escalation and count
//! belongs to one customer, except those about the input as a whole, which
//! need the whole input. So the reader's thread (the dispatcher) keeps what is
//! global and tells every evaluator:
//!
//! - each event carries its number in the input (its *tick*, and the count of
//!   events so far), which the evaluator uses as a single one uses its own
//!   counts;
//! - the idle sweep runs after every [`IDLE_RECORDS`]th event of the input,
//!   announced to every evaluator with the input's watermark (latest event
//!   time − lateness), not each evaluator's own;
//! - a rejected record's finding is decided by the merging thread at the
//!   input's latest event time, as one evaluator would.
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
//! Evaluators work on a period of input ([`IDLE_RECORDS`] events, up to a
//! sweep) while the dispatcher reads the next and the caller's thread merges
//! and hands out the one before; channels are bounded, so memory stays a few
//! periods of records.

use super::tally::{merge_unmapped, Stamp, Tally};
use super::{
    as_of_millis, AsOfError, EscalationRecord, EvalOptions, Evaluator, Finding, Report,
    IDLE_RECORDS,
};
use crate::compile::Policy;
use crate::events::{
    Customer, Event, EventReader, InputError, Interner, Origin, ReadOptions, Record, Rejection,
    Symbol, Value,
};
use jiff::Timestamp;
use std::num::NonZeroUsize;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Where one customer's findings and escalations end in a sweep or at the
/// end: `key` is the customer's last record (0 at the end).
pub(crate) struct Mark {
    key: u64,
    findings: usize,
    escalations: usize,
}

impl Mark {
    pub(crate) fn new(key: u64, findings: usize, escalations: usize) -> Mark {
        Mark {
            key,
            findings,
            escalations,
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
    /// escalations they set off. Findings with [`super::Retention::None`]
    /// only, as [`Evaluator::push`] gives them; escalations unless
    /// [`super::Retention::All`], as [`Evaluator::take_escalations`] gives
    /// them; otherwise the report keeps them.
    Decided(Vec<Finding>, Vec<EscalationRecord>),
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

/// Several evaluators of one policy, each with a share of the customers, and
/// the reader on a thread of its own: the same output as one [`Evaluator`],
/// sooner on several cores.
///
/// ```
/// use cxl::eval::{EvalOptions, Output, Retention, Sharded};
/// use cxl::events::{EventReader, InputFormat, ReadOptions};
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
/// let read = ReadOptions::new(InputFormat::Ndjson);
/// let mut kinds = Vec::new();
/// let outcome = sharded.run(
///     || EventReader::new(log, "log.ndjson", 0, &read),
///     None,
///     false,
///     |output| {
///         if let Output::Decided(findings, _) = output {
///             kinds.extend(findings.iter().map(|f| f.kind.as_str()));
///         }
///         Ok::<(), std::convert::Infallible>(())
///     },
/// )?;
/// assert_eq!(outcome.report.journeys[0].reached_goal, 1);
/// // At the end, customers come by id: c1 never finished, c2 skipped `a`.
/// assert_eq!(kinds, ["incomplete", "unexpected_step"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sharded<'p> {
    policy: &'p Policy,
    options: EvalOptions,
    shards: Vec<Evaluator>,
    /// The dispatcher's names: the reader interns into them.
    names: Interner,
    customers: Vec<Customer>,
}

impl<'p> Sharded<'p> {
    /// `shards` evaluators of `policy`.
    pub fn new(policy: &'p Policy, options: EvalOptions, shards: NonZeroUsize) -> Self {
        let shards = (0..shards.get())
            .map(|_| {
                let mut evaluator = Evaluator::new(policy.program.clone(), options);
                evaluator.tally.keep_stamps();
                evaluator
            })
            .collect();
        Sharded {
            policy,
            options,
            shards,
            names: Interner::new(),
            customers: Vec::new(),
        }
    }

    /// The names customer records are interned into (see
    /// [`Sharded::push_customer`]).
    pub fn names_mut(&mut self) -> &mut Interner {
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

    /// Read the log that `reader` opens (on the reader's thread) to its end
    /// and evaluate it; hand `output` what is decided as it comes, and
    /// return the report. `as_of` is as in [`Evaluator::finish`]. With
    /// `strict`, the first rejected record stops the run (after everything
    /// decided before it was handed out).
    pub fn run<E>(
        self,
        reader: impl FnOnce() -> Result<EventReader, InputError> + Send,
        as_of: Option<Timestamp>,
        strict: bool,
        mut output: impl FnMut(Output<'_>) -> Result<(), E>,
    ) -> Result<RunOutcome, RunError<E>> {
        let Sharded {
            policy,
            options,
            shards,
            names,
            customers,
        } = self;
        let hand_out = HandOut::of(options.retention);
        let mut tally = Tally::new(&policy.program, options.retention);
        tally.keep_stamps();
        std::thread::scope(|scope| {
            let (to_main, from_reader) = sync_channel::<Period>(PERIODS_AHEAD * 2);
            let mut to_shards = Vec::new();
            let mut from_shards = Vec::new();
            let mut handles = Vec::new();
            for evaluator in shards {
                let (to_shard, inbox) = sync_channel::<ToShard>(PERIODS_AHEAD);
                let (outbox, from_shard) = sync_channel::<FromShard>(PERIODS_AHEAD);
                handles.push(scope.spawn(move || serve(evaluator, inbox, outbox, hand_out)));
                to_shards.push(to_shard);
                from_shards.push(from_shard);
            }
            let dispatcher = Dispatcher::new(names, to_shards.clone(), to_main, options);
            let read = move || match reader() {
                Ok(reader) => dispatcher.run(reader, customers, strict),
                Err(error) => dispatcher.fail(error),
            };
            handles.push(scope.spawn(read));
            let merger = Merger {
                policy,
                tally,
                from_reader,
                from_shards,
                to_shards,
            };
            let result = merger.run(as_of, &mut output);
            // Every channel is closed by now: a thread still running sees it
            // and stops.
            let mut stopped = false;
            for handle in handles {
                stopped |= handle.join().is_err();
            }
            match result {
                Ok(_) if stopped => Err(RunError::Thread),
                result => result,
            }
        })
    }
}

/// How many periods of input may wait in each channel.
const PERIODS_AHEAD: usize = 2;

/// An event on its way to its evaluator, its names in the dispatcher's
/// symbols (defined in the batch) and its customer by id.
struct Parcel {
    customer: Box<str>,
    name: Symbol,
    time: Timestamp,
    channel: Option<Symbol>,
    actor: Option<Symbol>,
    attrs: Vec<(Symbol, Value)>,
    origin: Origin,
}

/// A customer's attributes on their way to its evaluator.
struct CustomerParcel {
    id: Box<str>,
    attrs: Vec<(Symbol, Value)>,
    origin: Origin,
}

enum Item {
    Event {
        tick: u64,
        record: u64,
        parcel: Parcel,
    },
    Customer(CustomerParcel),
    /// The sweep after the push at `tick`, at the input's `watermark` (ms).
    Sweep {
        tick: u64,
        record: u64,
        watermark: i64,
    },
}

/// One period of an evaluator's input.
#[derive(Default)]
struct Batch {
    /// The dispatcher's names first used in this period.
    names: Vec<(Symbol, Box<str>)>,
    items: Vec<Item>,
}

enum ToShard {
    Batch(Batch),
    /// The end of input, judged as of this time (ms).
    Finish(i64),
}

enum FromShard {
    Period(Vec<Piece>),
    Done {
        pieces: Vec<Piece>,
        tally: Box<Tally>,
        unmapped: Vec<(String, super::tally::Unmapped)>,
    },
}

/// What one customer's (or one record's) processing at one point decided.
struct Piece {
    stamp: Stamp,
    /// At the end, the customer: pieces come by it.
    customer: Option<String>,
    rejection: Option<Rejection>,
    findings: Vec<Finding>,
    escalations: Vec<EscalationRecord>,
}

impl Piece {
    fn order(&self) -> (Stamp, Option<&str>) {
        (self.stamp, self.customer.as_deref())
    }
}

/// The dispatcher's part of a period, for the merging thread.
struct Period {
    /// Rejected records, with their tick and the input's latest event time then.
    rejected: Vec<(u64, Rejection, Option<i64>)>,
    end: Option<End>,
}

/// How reading ended.
struct End {
    latest: Option<i64>,
    error: Option<InputError>,
    strict: Option<Rejection>,
    /// The log could not be opened.
    unopened: Option<InputError>,
}

/// The reader's thread: reads records, sends each event to its customer's
/// evaluator, and announces the sweeps.
struct Dispatcher {
    names: Interner,
    to_shards: Vec<SyncSender<ToShard>>,
    to_main: SyncSender<Period>,
    lateness_ms: i64,
    batches: Vec<Batch>,
    rejected: Vec<(u64, Rejection, Option<i64>)>,
    /// Names sent to the evaluators, by symbol: never forgotten here.
    defined: Vec<bool>,
    new_names: Vec<(Symbol, Box<str>)>,
    /// Customers' last event, by symbol (0: not in flight), and those in flight.
    seen: Vec<u64>,
    in_flight: Vec<Symbol>,
    tick: u64,
    records: u64,
    max_time: Option<i64>,
}

impl Dispatcher {
    fn new(
        names: Interner,
        to_shards: Vec<SyncSender<ToShard>>,
        to_main: SyncSender<Period>,
        options: EvalOptions,
    ) -> Dispatcher {
        Dispatcher {
            names,
            batches: to_shards.iter().map(|_| Batch::default()).collect(),
            to_shards,
            to_main,
            lateness_ms: (options.lateness as i64).saturating_mul(1000),
            rejected: Vec::new(),
            defined: Vec::new(),
            new_names: Vec::new(),
            seen: Vec::new(),
            in_flight: Vec::new(),
            tick: 0,
            records: 0,
            max_time: None,
        }
    }

    /// The log could not be opened: nothing was read.
    fn fail(mut self, error: InputError) {
        let mut end = self.end(None, None);
        end.unopened = Some(error);
        self.send(Some(end));
    }

    fn end(&self, error: Option<InputError>, strict: Option<Rejection>) -> End {
        End {
            latest: self.max_time,
            error,
            strict,
            unopened: None,
        }
    }

    fn run(mut self, mut reader: EventReader, customers: Vec<Customer>, strict: bool) {
        for customer in customers {
            self.customer(customer);
        }
        let end = loop {
            let record = match reader.next_record(&mut self.names) {
                Ok(Some(record)) => record,
                Ok(None) => break self.end(None, None),
                Err(error) => break self.end(Some(error), None),
            };
            self.tick += 1;
            match record {
                Record::Event(event) => {
                    if !self.event(event) {
                        return;
                    }
                }
                Record::Customer(customer) => self.customer(customer),
                Record::Rejected(rejection) if strict => break self.end(None, Some(*rejection)),
                Record::Rejected(rejection) => {
                    self.rejected.push((self.tick, *rejection, self.max_time));
                }
            }
        };
        self.send(Some(end));
    }

    /// Send an event to its evaluator; after every [`IDLE_RECORDS`]th, a
    /// sweep to all and the period out. False when the run has stopped.
    fn event(&mut self, event: Event) -> bool {
        self.records += 1;
        let millis = event.time.as_millisecond();
        self.max_time = Some(self.max_time.map_or(millis, |m| m.max(millis)));
        self.note_customer(event.customer);
        let parcel = self.parcel(event);
        let shard = self.shard_of(&parcel.customer);
        self.batches[shard].items.push(Item::Event {
            tick: self.tick,
            record: self.records,
            parcel,
        });
        if self.records % IDLE_RECORDS != 0 {
            return true;
        }
        let watermark = self
            .max_time
            .unwrap_or(millis)
            .saturating_sub(self.lateness_ms);
        for batch in &mut self.batches {
            batch.items.push(Item::Sweep {
                tick: self.tick,
                record: self.records,
                watermark,
            });
        }
        self.forget_idle();
        self.send(None)
    }

    fn customer(&mut self, customer: Customer) {
        let parcel = CustomerParcel {
            id: self.names.resolve(customer.id).into(),
            attrs: customer
                .attrs
                .into_iter()
                .map(|(k, v)| (self.define(k), v))
                .collect(),
            origin: customer.origin,
        };
        let shard = self.shard_of(&parcel.id);
        self.batches[shard].items.push(Item::Customer(parcel));
    }

    /// The transport of an event to another evaluator: its customer by id,
    /// its names by the dispatcher's symbols, defined once to every evaluator.
    fn parcel(&mut self, event: Event) -> Parcel {
        Parcel {
            customer: self.names.resolve(event.customer).into(),
            name: self.define(event.name),
            time: event.time,
            channel: event.channel.map(|c| self.define(c)),
            actor: event.actor.map(|a| self.define(a)),
            attrs: event
                .attrs
                .into_iter()
                .map(|(k, v)| (self.define(k), v))
                .collect(),
            origin: event.origin,
        }
    }

    /// A name (not a customer id) sent to the evaluators: defined to them
    /// the first time.
    fn define(&mut self, name: Symbol) -> Symbol {
        let i = name.index();
        if self.defined.len() <= i {
            self.defined.resize(i + 1, false);
        }
        if !self.defined[i] {
            self.defined[i] = true;
            self.new_names.push((name, self.names.resolve(name).into()));
        }
        name
    }

    fn note_customer(&mut self, id: Symbol) {
        let i = id.index();
        if self.seen.len() <= i {
            self.seen.resize(i + 1, 0);
        }
        if self.seen[i] == 0 {
            self.in_flight.push(id);
        }
        self.seen[i] = self.records;
    }

    /// Forget the ids of customers not heard of for [`IDLE_RECORDS`] events
    /// (as an evaluator's sweep does), so the dispatcher's names stay with
    /// the customers in flight. Names sent to the evaluators stay.
    fn forget_idle(&mut self) {
        let (records, seen, defined, names) =
            (self.records, &mut self.seen, &self.defined, &mut self.names);
        self.in_flight.retain(|&id| {
            let i = id.index();
            if records - seen[i] < IDLE_RECORDS {
                return true;
            }
            seen[i] = 0;
            if !defined.get(i).copied().unwrap_or(false) {
                names.forget(id);
            }
            false
        });
    }

    /// The evaluator of a customer: a stable hash (FNV-1a) of their id, so
    /// the split is the same on every run and platform.
    fn shard_of(&self, id: &str) -> usize {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        (hash % self.batches.len() as u64) as usize
    }

    /// Send the period to every evaluator and to the merging thread. False
    /// when the run has stopped (a receiver is gone).
    fn send(&mut self, end: Option<End>) -> bool {
        let names = std::mem::take(&mut self.new_names);
        for (to_shard, batch) in self.to_shards.iter().zip(&mut self.batches) {
            let batch = Batch {
                names: names.clone(),
                items: std::mem::take(&mut batch.items),
            };
            if to_shard.send(ToShard::Batch(batch)).is_err() {
                return false;
            }
        }
        let period = Period {
            rejected: std::mem::take(&mut self.rejected),
            end,
        };
        self.to_main.send(period).is_ok()
    }
}

/// An evaluator's thread: applies its batches and answers each with what it
/// decided, then finishes its customers when told.
fn serve(
    mut evaluator: Evaluator,
    inbox: Receiver<ToShard>,
    outbox: SyncSender<FromShard>,
    hand_out: HandOut,
) {
    let mut names = Translation::default();
    let mut out = Vec::new();
    let mut marks = Vec::new();
    while let Ok(message) = inbox.recv() {
        match message {
            ToShard::Batch(batch) => {
                names.define(batch.names);
                let mut pieces = Vec::new();
                for item in batch.items {
                    match item {
                        Item::Event {
                            tick,
                            record,
                            parcel,
                        } => {
                            let event = names.event(parcel, &mut evaluator.names);
                            evaluator.push_at(tick, record, event, &mut out);
                            if hand_out.escalations {
                                pieces.push(Piece {
                                    stamp: Stamp::push(tick),
                                    customer: None,
                                    rejection: None,
                                    findings: hand_out.findings(&mut out),
                                    escalations: evaluator.take_escalations(),
                                });
                            }
                        }
                        Item::Customer(parcel) => {
                            let customer = names.customer(parcel, &mut evaluator.names);
                            evaluator.push_customer(customer);
                        }
                        Item::Sweep {
                            tick,
                            record,
                            watermark,
                        } => {
                            evaluator.tick = tick;
                            evaluator.records = record;
                            evaluator.sweep_idle(watermark, &mut out, Some(&mut marks));
                            if hand_out.escalations {
                                cut(&mut out, &mut evaluator, &mut marks, hand_out, |key| {
                                    Stamp::sweep(tick, key)
                                })
                                .for_each(|piece| pieces.push(piece));
                            }
                        }
                    }
                    if !hand_out.escalations {
                        out.clear();
                        marks.clear();
                    }
                }
                if outbox.send(FromShard::Period(pieces)).is_err() {
                    return;
                }
            }
            ToShard::Finish(as_of_ms) => {
                evaluator.finish_customers(as_of_ms, &mut out, Some(&mut marks));
                if !hand_out.escalations {
                    out.clear();
                    marks.clear();
                }
                let mut pieces: Vec<Piece> =
                    cut(&mut out, &mut evaluator, &mut marks, hand_out, |_| {
                        Stamp::finish()
                    })
                    .collect();
                for piece in &mut pieces {
                    let first = piece.findings.first().and_then(|f| f.customer.as_ref());
                    let first = first
                        .or_else(|| piece.escalations.first().and_then(|e| e.customer.as_ref()));
                    piece.customer = first.cloned();
                }
                let unmapped = evaluator.tally.take_unmapped(&evaluator.names);
                let done = FromShard::Done {
                    pieces,
                    tally: Box::new(evaluator.tally),
                    unmapped,
                };
                // The merging thread may have stopped: nothing more to do.
                let _ = outbox.send(done);
                return;
            }
        }
    }
}

/// What an evaluator's thread hands out as it goes, by retention: with
/// [`Retention::None`](super::Retention::None) findings and escalations; with
/// `PerGroup` the escalations only (the report keeps the findings it shows,
/// and every escalation goes out, as [`Evaluator::take_escalations`] gives
/// them); with `All` nothing (the report keeps everything).
#[derive(Clone, Copy)]
struct HandOut {
    findings: bool,
    escalations: bool,
}

impl HandOut {
    fn of(retention: super::Retention) -> HandOut {
        use super::Retention;
        HandOut {
            findings: retention == Retention::None,
            escalations: retention != Retention::All,
        }
    }

    /// The findings in `out` to hand out (taken), or none (`out` cleared).
    fn findings(self, out: &mut Vec<Finding>) -> Vec<Finding> {
        if self.findings {
            std::mem::take(out)
        } else {
            out.clear();
            Vec::new()
        }
    }
}

/// The findings and escalations of a sweep or of the end, cut into one piece
/// per customer who had any, by `marks` (which it empties).
fn cut<'a>(
    out: &'a mut Vec<Finding>,
    evaluator: &mut Evaluator,
    marks: &'a mut Vec<Mark>,
    hand_out: HandOut,
    stamp: impl Fn(u64) -> Stamp + 'a,
) -> impl Iterator<Item = Piece> + 'a {
    let mut findings = out.drain(..);
    let mut escalations = evaluator.take_escalations().into_iter();
    let (mut f, mut e) = (0, 0);
    marks.drain(..).filter_map(move |mark| {
        let mut theirs: Vec<Finding> = findings.by_ref().take(mark.findings - f).collect();
        let piece = Piece {
            stamp: stamp(mark.key),
            customer: None,
            rejection: None,
            findings: hand_out.findings(&mut theirs),
            escalations: escalations.by_ref().take(mark.escalations - e).collect(),
        };
        (f, e) = (mark.findings, mark.escalations);
        (!piece.findings.is_empty() || !piece.escalations.is_empty()).then_some(piece)
    })
}

/// An evaluator's symbols for the dispatcher's names.
#[derive(Default)]
struct Translation {
    /// By the dispatcher's symbol: the name, and its symbol here with the
    /// generation it had (an evaluator forgets ids, and an id may be spelt
    /// as a name).
    names: Vec<Option<Translated>>,
}

/// A name, and its symbol in the evaluator with that symbol's generation,
/// once interned there.
type Translated = (Box<str>, Option<(Symbol, u32)>);

impl Translation {
    fn define(&mut self, names: Vec<(Symbol, Box<str>)>) {
        for (symbol, name) in names {
            let i = symbol.index();
            if self.names.len() <= i {
                self.names.resize_with(i + 1, || None);
            }
            self.names[i] = Some((name, None));
        }
    }

    /// The evaluator's symbol for the dispatcher's `symbol`.
    fn symbol(&mut self, symbol: Symbol, names: &mut Interner) -> Symbol {
        let Some(Some((name, here))) = self.names.get_mut(symbol.index()) else {
            // Every name is defined before it is used; an empty name is the
            // least wrong answer if not.
            return names.intern("");
        };
        match here {
            Some((s, generation)) if names.is_current(*s, *generation) => *s,
            _ => {
                let s = names.intern(name);
                *here = Some((s, names.generation(s)));
                s
            }
        }
    }

    fn event(&mut self, parcel: Parcel, names: &mut Interner) -> Event {
        Event {
            customer: names.intern(&parcel.customer),
            name: self.symbol(parcel.name, names),
            time: parcel.time,
            channel: parcel.channel.map(|c| self.symbol(c, names)),
            actor: parcel.actor.map(|a| self.symbol(a, names)),
            attrs: parcel
                .attrs
                .into_iter()
                .map(|(k, v)| (self.symbol(k, names), v))
                .collect(),
            origin: parcel.origin,
        }
    }

    fn customer(&mut self, parcel: CustomerParcel, names: &mut Interner) -> Customer {
        Customer {
            id: names.intern(&parcel.id),
            attrs: parcel
                .attrs
                .into_iter()
                .map(|(k, v)| (self.symbol(k, names), v))
                .collect(),
            origin: parcel.origin,
        }
    }
}

/// The caller's thread: merges the evaluators' periods in input order and
/// hands them out; at the end, merges their tallies into the report.
struct Merger<'p> {
    policy: &'p Policy,
    /// The count of rejected records, and at the end of everything.
    tally: Tally,
    from_reader: Receiver<Period>,
    from_shards: Vec<Receiver<FromShard>>,
    to_shards: Vec<SyncSender<ToShard>>,
}

impl Merger<'_> {
    fn run<E>(
        mut self,
        as_of: Option<Timestamp>,
        output: &mut impl FnMut(Output<'_>) -> Result<(), E>,
    ) -> Result<RunOutcome, RunError<E>> {
        let end = loop {
            let period = self.from_reader.recv().map_err(|_| RunError::Thread)?;
            let mut pieces = Vec::new();
            for (tick, rejection, latest) in period.rejected {
                let mut findings = Vec::new();
                self.tally.stamp = Stamp::push(tick);
                let time = latest.map_or(Timestamp::UNIX_EPOCH, super::tally::timestamp);
                self.tally.rejected(&rejection, time, &mut findings);
                pieces.push(Piece {
                    stamp: Stamp::push(tick),
                    customer: None,
                    rejection: Some(rejection),
                    findings,
                    escalations: Vec::new(),
                });
            }
            for from_shard in &self.from_shards {
                match from_shard.recv() {
                    Ok(FromShard::Period(theirs)) => pieces.extend(theirs),
                    _ => return Err(RunError::Thread),
                }
            }
            hand_out(pieces, output)?;
            if let Some(end) = period.end {
                break end;
            }
        };
        if let Some(error) = end.unopened {
            return Err(RunError::Open(error));
        }
        if let Some(rejection) = end.strict {
            return Err(RunError::Strict(rejection));
        }
        let as_of_ms = as_of_millis(as_of, end.latest)?;
        for to_shard in &self.to_shards {
            to_shard
                .send(ToShard::Finish(as_of_ms))
                .map_err(|_| RunError::Thread)?;
        }
        let mut pieces = Vec::new();
        let mut unmapped = Vec::new();
        for from_shard in &self.from_shards {
            match from_shard.recv() {
                Ok(FromShard::Done {
                    pieces: theirs,
                    tally,
                    unmapped: names,
                }) => {
                    pieces.extend(theirs);
                    self.tally.absorb(*tally);
                    unmapped.push(names);
                }
                _ => return Err(RunError::Thread),
            }
        }
        self.tally.settle_kept();
        pieces.sort_by(|a, b| a.order().cmp(&b.order()));
        let (mut findings, mut escalations) = (Vec::new(), Vec::new());
        for piece in pieces {
            findings.extend(piece.findings);
            escalations.extend(piece.escalations);
        }
        let (report, fresh) = self.tally.conclude(
            &self.policy.program,
            merge_unmapped(unmapped),
            as_of_ms,
            &mut findings,
        );
        escalations.extend(fresh);
        if !findings.is_empty() || !escalations.is_empty() {
            output(Output::Decided(findings, escalations)).map_err(RunError::Output)?;
        }
        Ok(RunOutcome {
            report,
            input_error: end.error,
        })
    }
}

/// Hand out one period's pieces in input order: by tick, each tick's
/// findings before its escalations.
fn hand_out<E>(
    mut pieces: Vec<Piece>,
    output: &mut impl FnMut(Output<'_>) -> Result<(), E>,
) -> Result<(), RunError<E>> {
    // Stable: pieces of one stamp are one customer's or one record's.
    pieces.sort_by(|a, b| a.order().cmp(&b.order()));
    let mut pieces = pieces.into_iter().peekable();
    while let Some(first) = pieces.next() {
        let tick = first.stamp.tick;
        let (mut findings, mut escalations) = (Vec::new(), Vec::new());
        let mut piece = Some(first);
        while let Some(p) = piece {
            if let Some(rejection) = &p.rejection {
                output(Output::Rejected(rejection)).map_err(RunError::Output)?;
            }
            findings.extend(p.findings);
            escalations.extend(p.escalations);
            piece = pieces.next_if(|next| next.stamp.tick == tick);
        }
        if !findings.is_empty() || !escalations.is_empty() {
            output(Output::Decided(findings, escalations)).map_err(RunError::Output)?;
        }
    }
    Ok(())
}

impl Evaluator {
    /// In a shard: apply the event that is the input's `record`th, read as
    /// its `tick`th record; no sweep (the dispatcher announces those).
    fn push_at(&mut self, tick: u64, record: u64, event: Event, out: &mut Vec<Finding>) {
        self.tick = tick;
        self.records = record;
        self.tally.stamp = Stamp::push(tick);
        self.apply_event(event, out);
    }
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

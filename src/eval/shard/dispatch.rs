//! The dispatched strategy of a sharded run, for inputs that one reader
//! must read whole (XES, CSV): the reader's thread (the dispatcher) reads
//! every record, sends each event to its customer's evaluator with its names
//! as text, and announces the sweeps; it keeps what is global (the ticks, the
//! input's latest event time, the rejected records) for the merging thread.

use super::merge::{Channels, Merger};
use super::work::Shard;
use super::{
    joined, End, FromShard, Output, Period, RunError, RunOutcome, Sharded, Source, ToShard,
    IDLE_RECORDS, PERIODS_AHEAD,
};
use crate::eval::EvalOptions;
use crate::events::{
    Customer, CustomerId, Event, EventReader, InputError, Interner, Names, Origin, Record,
    Rejection, Share, Symbol, Value,
};
use jiff::Timestamp;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

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
pub(super) struct Batch {
    /// The dispatcher's names first used in this period.
    names: Vec<(Symbol, Box<str>)>,
    items: Vec<Item>,
}

/// The reader's thread: reads records, sends each event to its customer's
/// evaluator, and announces the sweeps.
pub(super) struct Dispatcher {
    names: Names,
    to_shards: Vec<SyncSender<ToShard>>,
    to_main: SyncSender<Period>,
    lateness_ms: i64,
    batches: Vec<Batch>,
    rejected: Vec<(u64, Rejection, Option<i64>)>,
    /// Names sent to the evaluators, by symbol.
    defined: Vec<bool>,
    new_names: Vec<(Symbol, Box<str>)>,
    /// Customers' last event, by id (0: not in flight), and those in flight.
    seen: Vec<u64>,
    in_flight: Vec<CustomerId>,
    tick: u64,
    records: u64,
    max_time: Option<i64>,
}

impl Dispatcher {
    fn new(
        names: Names,
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
                    self.records += 1;
                    self.rejected.push((self.tick, *rejection, self.max_time));
                    if !self.counted() {
                        return;
                    }
                }
            }
        };
        self.send(Some(end));
    }

    /// Send an event to its evaluator (see [`Self::counted`]). False when
    /// the run has stopped.
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
        self.counted()
    }

    /// After the [`Self::records`]th record: every [`IDLE_RECORDS`]th, a
    /// sweep to all (once there was an event) and the period out. False when
    /// the run has stopped.
    fn counted(&mut self) -> bool {
        if self.records % IDLE_RECORDS != 0 {
            return true;
        }
        let Some(max) = self.max_time else {
            return self.send(None);
        };
        let watermark = max.saturating_sub(self.lateness_ms);
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
            id: self.names.customers.resolve(customer.id).into(),
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
            customer: self.names.customers.resolve(event.customer).into(),
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
            self.new_names
                .push((name, self.names.words.resolve(name).into()));
        }
        name
    }

    fn note_customer(&mut self, id: CustomerId) {
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
    /// (as an evaluator's sweep does), so the dispatcher's table of ids stays
    /// with the customers in flight.
    fn forget_idle(&mut self) {
        let (records, seen, ids) = (self.records, &mut self.seen, &mut self.names.customers);
        self.in_flight.retain(|&id| {
            let i = id.index();
            if records - seen[i] < IDLE_RECORDS {
                return true;
            }
            seen[i] = 0;
            ids.forget(id);
            false
        });
    }

    /// The evaluator of a customer (see [`Share::owner`]).
    fn shard_of(&self, id: &str) -> usize {
        let count = u32::try_from(self.batches.len())
            .ok()
            .and_then(std::num::NonZeroU32::new)
            .unwrap_or(std::num::NonZeroU32::MIN);
        Share::owner(id.as_bytes(), count) as usize
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
pub(super) fn serve(mut shard: Shard, inbox: Receiver<ToShard>, outbox: SyncSender<FromShard>) {
    let mut names = Translation::default();
    while let Ok(message) = inbox.recv() {
        match message {
            ToShard::Batch(batch) => {
                names.define(batch.names);
                for item in batch.items {
                    match item {
                        Item::Event {
                            tick,
                            record,
                            parcel,
                        } => {
                            let event = names.event(parcel, &mut shard.evaluator.names);
                            shard.event(tick, record, event);
                        }
                        Item::Customer(parcel) => {
                            let customer = names.customer(parcel, &mut shard.evaluator.names);
                            shard.evaluator.push_customer(customer);
                        }
                        Item::Sweep {
                            tick,
                            record,
                            watermark,
                        } => shard.sweep(tick, record, watermark),
                    }
                }
                if outbox.send(FromShard::Period(shard.period())).is_err() {
                    return;
                }
            }
            ToShard::Finish(as_of_ms) => {
                // The merging thread may have stopped: nothing more to do.
                let _ = outbox.send(shard.finish(as_of_ms));
                return;
            }
        }
    }
}

/// An evaluator's symbols for the dispatcher's names.
#[derive(Default)]
struct Translation {
    /// By the dispatcher's symbol: the name, and its symbol here once
    /// interned there (names are never forgotten).
    names: Vec<Option<Translated>>,
}

/// A name, and its symbol in the evaluator once interned there.
type Translated = (Box<str>, Option<Symbol>);

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
        *here.get_or_insert_with(|| names.intern(name))
    }

    fn event(&mut self, parcel: Parcel, names: &mut Names) -> Event {
        let words = &mut names.words;
        Event {
            customer: names.customers.intern(&parcel.customer),
            name: self.symbol(parcel.name, words),
            time: parcel.time,
            channel: parcel.channel.map(|c| self.symbol(c, words)),
            actor: parcel.actor.map(|a| self.symbol(a, words)),
            attrs: parcel
                .attrs
                .into_iter()
                .map(|(k, v)| (self.symbol(k, words), v))
                .collect(),
            origin: parcel.origin,
        }
    }

    fn customer(&mut self, parcel: CustomerParcel, names: &mut Names) -> Customer {
        Customer {
            id: names.customers.intern(&parcel.id),
            attrs: parcel
                .attrs
                .into_iter()
                .map(|(k, v)| (self.symbol(k, &mut names.words), v))
                .collect(),
            origin: parcel.origin,
        }
    }
}

/// A sharded run with one reader dispatching events (see the module's text).
pub(super) fn run<E>(
    sharded: Sharded<'_>,
    source: Source,
    merger: Merger<'_>,
    as_of: Option<Timestamp>,
    strict: bool,
    output: &mut impl FnMut(Output<'_>) -> Result<(), E>,
) -> Result<RunOutcome, RunError<E>> {
    let Sharded {
        options,
        shards,
        names,
        customers,
        ..
    } = sharded;
    std::thread::scope(|scope| {
        let (to_main, from_reader) = sync_channel::<Period>(PERIODS_AHEAD * 2);
        let mut to_shards = Vec::new();
        let mut from_shards = Vec::new();
        let mut handles = Vec::new();
        for evaluator in shards {
            let (to_shard, inbox) = sync_channel::<ToShard>(PERIODS_AHEAD);
            let (outbox, from_shard) = sync_channel::<FromShard>(PERIODS_AHEAD);
            let shard = Shard::new(evaluator);
            handles.push(scope.spawn(move || serve(shard, inbox, outbox)));
            to_shards.push(to_shard);
            from_shards.push(from_shard);
        }
        let dispatcher = Dispatcher::new(names, to_shards.clone(), to_main, options);
        let Source {
            input,
            name,
            options: read,
        } = source;
        let read = move || match EventReader::new(input, &name, 0, &read) {
            Ok(reader) => dispatcher.run(reader, customers, strict),
            Err(error) => dispatcher.fail(error),
        };
        handles.push(scope.spawn(read));
        let channels = Channels {
            from_reader: Some(from_reader),
            from_shards,
            to_shards,
        };
        let result = merger.run(channels, as_of, output);
        joined(handles, result)
    })
}

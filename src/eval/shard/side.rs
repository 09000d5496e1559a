//! The side-by-side strategy of a sharded run, for NDJSON: one thread reads
//! (and inflates) the input once and hands the same bytes to every
//! evaluator's thread; each reads every line, whole only those of its own
//! customers (see [`crate::events::SharedReader`]), so that reading is spread
//! over the cores with evaluating.
//!
//! Each evaluator counts every record, so all agree on each record's tick
//! without a word. What needs the whole input is agreed as follows:
//!
//! - the sweep's watermark: at every [`IDLE_RECORDS`]th record the evaluators
//!   meet at a [`Clock`], each bringing its latest event time, and sweep at
//!   the latest of all;
//! - a rejected record's finding: the evaluator that read it hands it to the
//!   merging thread with the ticks at which its latest event time rose, so
//!   the merging thread dates it at the latest event time of all before it.
//!
//! A record whose customer cannot be told at a glance is read whole by
//! every evaluator; the customer's own keeps it, and a rejected one is
//! reported by the first evaluator.

use super::merge::{Channels, Merger};
use super::work::Shard;
use super::{
    joined, FromShard, Output, ReadEnd, RunError, RunOutcome, ShardPeriod, Sharded, Source,
    ToShard, IDLE_RECORDS, PERIODS_AHEAD,
};
use crate::events::share::{self, ShareSource};
use crate::events::{Customer, Event, Names, Record, Share, Shared};
use jiff::Timestamp;
use std::num::NonZeroU32;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Condvar, Mutex};

/// A sharded run with every evaluator reading the input side by side.
pub(super) fn run<E>(
    sharded: Sharded<'_>,
    source: Source,
    merger: Merger<'_>,
    as_of: Option<Timestamp>,
    output: &mut impl FnMut(Output<'_>) -> Result<(), E>,
) -> Result<RunOutcome, RunError<E>> {
    let Sharded {
        options,
        shards,
        names,
        customers,
        ..
    } = sharded;
    let count = u32::try_from(shards.len())
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or(RunError::Thread)?;
    let mut shards: Vec<Shard> = shards.into_iter().map(Shard::new).collect();
    for customer in customers {
        give_customer(&mut shards, &names, customer, count);
    }
    let lateness_ms = (options.lateness as i64).saturating_mul(1000);
    let clock = Clock::new(shards.len());
    let (tee, sources) = share::split(source.input, &source.name, &source.options, count);
    std::thread::scope(|scope| {
        let mut to_shards = Vec::new();
        let mut from_shards = Vec::new();
        let mut handles = Vec::new();
        for (shard, source) in shards.into_iter().zip(sources) {
            let (to_shard, inbox) = sync_channel::<ToShard>(1);
            let (outbox, from_shard) = sync_channel::<FromShard>(PERIODS_AHEAD);
            let clock = &clock;
            let reading = Reading {
                clock,
                lateness_ms,
                inbox,
                outbox,
            };
            handles.push(scope.spawn(move || reading.run(shard, source)));
            to_shards.push(to_shard);
            from_shards.push(from_shard);
        }
        let (said, opened) = sync_channel(1);
        handles.push(scope.spawn(move || {
            tee.run(|result| {
                // The merging thread waits for this word first.
                let _ = said.send(result);
            })
        }));
        let result = match opened.recv() {
            Ok(Ok(())) => {
                let channels = Channels {
                    from_reader: None,
                    from_shards,
                    to_shards,
                };
                merger.run(channels, as_of, output)
            }
            Ok(Err(error)) => Err(RunError::Open(error)),
            Err(_) => Err(RunError::Thread),
        };
        if result.is_err() {
            clock.abandon();
        }
        joined(handles, result)
    })
}

/// A customers file's record, to the evaluator of its customer.
fn give_customer(shards: &mut [Shard], names: &Names, customer: Customer, count: NonZeroU32) {
    let id = names.customers.resolve(customer.id);
    let owner = Share::owner(id.as_bytes(), count) as usize;
    let Some(shard) = shards.get_mut(owner) else {
        return;
    };
    let here = &mut shard.evaluator.names;
    let customer = Customer {
        id: here.customers.intern(id),
        attrs: customer
            .attrs
            .into_iter()
            .map(|(key, value)| (here.words.intern(names.words.resolve(key)), value))
            .collect(),
        origin: customer.origin,
    };
    shard.evaluator.push_customer(customer);
}

/// One evaluator's thread reading its share.
struct Reading<'c> {
    clock: &'c Clock,
    lateness_ms: i64,
    inbox: Receiver<ToShard>,
    outbox: SyncSender<FromShard>,
}

impl Reading<'_> {
    fn run(self, mut shard: Shard, source: ShareSource) {
        // Whatever way this thread ends early, the others must not wait for
        // it at the clock.
        let leave = Leave(self.clock);
        let Some(mut reader) = source.open() else {
            return;
        };
        let share = reader.share();
        let mut records = 0u64;
        let mut latest: Option<i64> = None;
        let mut period = ShardPeriod::default();
        let error = loop {
            let shared = match reader.next_record(&mut shard.evaluator.names) {
                Ok(Some(shared)) => shared,
                Ok(None) => break None,
                Err(error) => break Some(error),
            };
            records += 1;
            let mine = match shared {
                Shared::Elsewhere => None,
                Shared::Mine(record) => Some(record),
                Shared::Unsure(Record::Event(event)) => {
                    let own = share.owns(shard.evaluator.names.customers.resolve(event.customer));
                    if !own {
                        shard.evaluator.forget_customer(event.customer);
                    }
                    own.then_some(Record::Event(event))
                }
                Shared::Unsure(rejected @ Record::Rejected(_)) => {
                    (share.index() == 0).then_some(rejected)
                }
                // NDJSON has no customer records.
                Shared::Unsure(Record::Customer(_)) => None,
            };
            match mine {
                Some(Record::Event(event)) => {
                    take(&mut shard, &mut latest, &mut period, records, event);
                }
                Some(Record::Rejected(rejection)) => period.rejected.push((records, *rejection)),
                Some(Record::Customer(_)) | None => {}
            }
            if records % IDLE_RECORDS != 0 {
                continue;
            }
            let Some(input_latest) = self.clock.meet(records / IDLE_RECORDS, latest) else {
                return;
            };
            if let Some(max) = input_latest {
                shard.sweep(records, records, max.saturating_sub(self.lateness_ms));
            }
            if !self.send(&mut shard, &mut period, None) {
                return;
            }
        };
        if !self.send(&mut shard, &mut period, Some(ReadEnd { error })) {
            return;
        }
        std::mem::forget(leave);
        if let Ok(ToShard::Finish(as_of_ms)) = self.inbox.recv() {
            // The merging thread may have stopped: nothing more to do.
            let _ = self.outbox.send(shard.finish(as_of_ms));
        }
    }

    /// Hand the period to the merging thread; false when it has stopped.
    fn send(&self, shard: &mut Shard, period: &mut ShardPeriod, end: Option<ReadEnd>) -> bool {
        let mut out = shard.period();
        out.rejected = std::mem::take(&mut period.rejected);
        out.latest = std::mem::take(&mut period.latest);
        out.end = end;
        self.outbox.send(FromShard::Period(out)).is_ok()
    }
}

/// Apply one of this evaluator's events, the input's `records`th record,
/// noting when its latest event time rises.
#[inline]
fn take(
    shard: &mut Shard,
    latest: &mut Option<i64>,
    period: &mut ShardPeriod,
    records: u64,
    event: Event,
) {
    let millis = event.time.as_millisecond();
    if latest.is_none_or(|l| millis > l) {
        *latest = Some(millis);
        period.latest.push((records, millis));
    }
    shard.event(records, records, event);
}

/// Abandons the clock when dropped: a thread that ends early lets the
/// others go.
struct Leave<'c>(&'c Clock);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// Where the evaluators meet at each sweep to agree on the input's latest
/// event time.
struct Clock {
    state: Mutex<ClockState>,
    turned: Condvar,
    shards: usize,
}

#[derive(Default)]
struct ClockState {
    /// How many evaluators have reached the meeting under way.
    arrived: usize,
    /// The last meeting all reached.
    done: u64,
    /// The latest event time of all, so far.
    latest: Option<i64>,
    /// The latest event time at the last two meetings, by parity: a meeting's
    /// is read by all before the one after next can begin.
    at: [Option<i64>; 2],
    abandoned: bool,
}

impl Clock {
    fn new(shards: usize) -> Clock {
        Clock {
            state: Mutex::new(ClockState::default()),
            turned: Condvar::new(),
            shards,
        }
    }

    /// Meet the others at the `meeting`th sweep with this evaluator's
    /// `latest` event time: the input's latest event time, once all came;
    /// `None` when the run was abandoned.
    fn meet(&self, meeting: u64, latest: Option<i64>) -> Option<Option<i64>> {
        let mut state = self.state.lock().ok()?;
        if state.abandoned {
            return None;
        }
        state.latest = state.latest.max(latest);
        state.arrived += 1;
        let slot = (meeting % 2) as usize;
        if state.arrived == self.shards {
            state.arrived = 0;
            state.done = meeting;
            state.at[slot] = state.latest;
            self.turned.notify_all();
        }
        while state.done < meeting {
            if state.abandoned {
                return None;
            }
            state = self.turned.wait(state).ok()?;
        }
        Some(state.at[slot])
    }

    /// Let every evaluator waiting, or to wait, go: the run is over.
    fn abandon(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.abandoned = true;
        }
        self.turned.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_gives_each_meeting_the_latest_of_all() {
        let clock = Clock::new(2);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                (1..=3)
                    .map(|m| clock.meet(m, Some(10 * m as i64)))
                    .collect::<Vec<_>>()
            });
            let here: Vec<_> = (1..=3).map(|m| clock.meet(m, Some(5))).collect();
            let there = other.join().expect("the other thread ends");
            let expected = vec![Some(Some(10)), Some(Some(20)), Some(Some(30))];
            assert_eq!(here, expected);
            assert_eq!(there, expected);
        });
    }

    #[test]
    fn an_abandoned_clock_lets_a_waiting_evaluator_go() {
        let clock = Clock::new(2);
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| clock.meet(1, Some(1)));
            clock.abandon();
            assert_eq!(waiting.join().expect("the thread ends"), None);
        });
    }
}

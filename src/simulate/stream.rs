//! [`Stream`]: every simulated customer interleaved into one time-ordered stream
//! of records, with at most `concurrency` customers in flight. The first ones
//! start a random gap apart (mean `stagger`); whenever a customer's last record
//! is out, the next customer takes the free slot a random gap later. Records come
//! out by emission time (a late event is emitted after the later events it
//! follows); ties go to the lower customer number, so the order is reproducible.
//! Memory holds only the customers in flight.

use super::rng::Rng;
use super::{SimEvent, Simulator, Trace, STREAM_SCHEDULE};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One customer in flight: their trace, the next record, and the emission time
/// of each record (a running maximum of event times).
struct Slot {
    trace: Trace,
    next: usize,
    emit: Vec<i64>,
}

/// The interleaved records of a simulation; an iterator.
pub struct Stream<'s, 'p> {
    sim: &'s Simulator<'p>,
    rng: Rng,
    slots: Vec<Option<Slot>>,
    /// (emission time, customer number, slot).
    heap: BinaryHeap<Reverse<(i64, u64, usize)>>,
    started: u64,
    /// Traces started, by deviation, for a caller's summary.
    deviations: Vec<(super::Deviation, u64)>,
}

impl<'s, 'p> Stream<'s, 'p> {
    pub(super) fn new(sim: &'s Simulator<'p>) -> Stream<'s, 'p> {
        let options = sim.options();
        let concurrency = options.concurrency.max(1);
        let mut stream = Stream {
            sim,
            rng: Rng::derive(options.seed, STREAM_SCHEDULE, 0),
            slots: Vec::new(),
            heap: BinaryHeap::new(),
            started: 0,
            deviations: Vec::new(),
        };
        let mut at = options.start.as_second();
        for slot in 0..concurrency {
            if stream.started >= options.customers {
                break;
            }
            stream.slots.push(None);
            stream.start(slot, at);
            at += stream.gap();
        }
        stream
    }

    /// How many customers got each deviation so far.
    pub fn deviations(&self) -> &[(super::Deviation, u64)] {
        &self.deviations
    }

    /// How many customers have started.
    pub fn started(&self) -> u64 {
        self.started
    }

    fn gap(&mut self) -> i64 {
        let mean = self.sim.options().stagger;
        self.rng.between(0, mean.saturating_mul(2)) as i64
    }

    /// Start the next customer in `slot` at `at`.
    fn start(&mut self, slot: usize, at: i64) {
        let n = self.started;
        self.started += 1;
        let trace = self.sim.customer(n, at);
        if let Some(applied) = &trace.deviation {
            match self
                .deviations
                .iter_mut()
                .find(|(d, _)| *d == applied.deviation)
            {
                Some((_, c)) => *c += 1,
                None => self.deviations.push((applied.deviation, 1)),
            }
        }
        let mut max = i64::MIN;
        let emit: Vec<i64> = trace
            .events
            .iter()
            .map(|e| {
                max = max.max(e.time);
                max
            })
            .collect();
        if let Some(&first) = emit.first() {
            self.heap.push(Reverse((first, n, slot)));
            self.slots[slot] = Some(Slot {
                trace,
                next: 0,
                emit,
            });
        } else {
            // A customer without records frees the slot at once.
            self.slots[slot] = None;
            if self.started < self.sim.options().customers {
                let at = at + self.gap();
                self.start(slot, at);
            }
        }
    }
}

impl Iterator for Stream<'_, '_> {
    type Item = SimEvent;

    fn next(&mut self) -> Option<SimEvent> {
        let Reverse((at, n, slot)) = self.heap.pop()?;
        let s = self.slots.get_mut(slot)?.as_mut()?;
        let event = s.trace.events.get(s.next)?.clone();
        s.next += 1;
        match s.emit.get(s.next) {
            Some(&next) => self.heap.push(Reverse((next, n, slot))),
            None => {
                self.slots[slot] = None;
                if self.started < self.sim.options().customers {
                    let start = at + self.gap();
                    self.start(slot, start);
                }
            }
        }
        Some(event)
    }
}

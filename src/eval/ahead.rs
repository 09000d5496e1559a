//! Reading a few records ahead of the evaluator, so that the state of the
//! customers they name is already on its way into the cache when their turn
//! comes.
//!
//! Applying an event mostly waits on memory: a customer's state was last used
//! thousands of events earlier and has left the cache. The record that will be
//! applied a few records from now is known, so its customer's state can be
//! fetched while the records before it are applied. It is fetched in three
//! steps (the customer's slot in the table, the state it points to, then what
//! the state points to), one record apart, as each needs the one before to
//! have arrived. The hints change nothing the evaluator computes: records
//! reach it in the same order, and names are interned in the same order
//! relative to the pushes that forget customers, so the output is the same as
//! pushing each record as it is read.

use super::{Evaluator, Warm};
use crate::events::{EventReader, InputError, ReadStats, Record};
use std::collections::VecDeque;

/// How many records are read beyond the one handed out: one for each step of
/// the fetch, each given an event's time (about half a microsecond, several
/// times a miss to memory) to arrive. Measured on the bench log (1M events,
/// 2,000 customers in flight): reading ahead took end to end from a median of
/// 0.68 s to 0.58 s in one alternated run; 1 to 8 records ahead were all
/// within the noise of each other from 3 on.
const AHEAD: usize = 3;

/// An [`EventReader`] that reads a few records ahead of an [`Evaluator`].
///
/// ```
/// use cxl::eval::{EvalOptions, Evaluator, ReadAhead};
/// use cxl::events::{EventReader, InputFormat, ReadOptions, Record};
///
/// let policy = cxl::Policy::compile("journey j { goal b step a { } step b { } path a -> b }")
///     .expect("the policy compiles");
/// let mut evaluator = Evaluator::new(&policy, EvalOptions::default());
/// let log: &[u8] = br#"{"customer":"c1","step":"a","time":"2026-03-01T10:00:00Z"}
/// {"customer":"c1","step":"b","time":"2026-03-01T10:05:00Z"}
/// "#;
/// let reader = EventReader::new(log, "log.ndjson", 0, &ReadOptions::new(InputFormat::Ndjson))?;
/// let mut records = ReadAhead::new(reader);
/// while let Some(record) = records.next_record(&mut evaluator)? {
///     if let Record::Event(event) = record {
///         evaluator.push(event);
///     }
/// }
/// let (report, _) = evaluator.finish(None);
/// assert_eq!(report.journeys[0].reached_goal, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ReadAhead {
    reader: EventReader,
    /// Records read and not yet handed out, oldest first.
    held: VecDeque<Record>,
    /// An error met while reading ahead: handed out after the records before it.
    error: Option<InputError>,
    /// The reader has no more records.
    ended: bool,
}

impl ReadAhead {
    /// Read `reader`'s records ahead of an evaluator.
    pub fn new(reader: EventReader) -> Self {
        ReadAhead {
            reader,
            held: VecDeque::with_capacity(AHEAD + 1),
            error: None,
            ended: false,
        }
    }

    /// The next record, for `evaluator` (whose interner names it); `None` at
    /// the end. An input error comes after every record read before it, as
    /// from [`EventReader::next_record`].
    pub fn next_record(
        &mut self,
        evaluator: &mut Evaluator<'_>,
    ) -> Result<Option<Record>, InputError> {
        // Every record held is pushed before the next push that may forget
        // a customer, or is that push: none is held across it.
        let room = usize::try_from(evaluator.pushes_before_sweep())
            .unwrap_or(usize::MAX)
            .min(AHEAD + 1);
        while self.held.len() < room && !self.ended && self.error.is_none() {
            match self.reader.next_record(evaluator.names_mut()) {
                Ok(Some(record)) => {
                    // Each record held moves one step on: its slot when read,
                    // then the state the slot points to, then what the state
                    // points to, each a record's time after the one before.
                    if let Record::Event(event) = &record {
                        evaluator.warm(event.customer, Warm::Slot);
                    }
                    let n = self.held.len();
                    for (back, what) in [(1, Warm::State), (2, Warm::Journeys)] {
                        if let Some(Record::Event(event)) =
                            n.checked_sub(back).and_then(|i| self.held.get(i))
                        {
                            evaluator.warm(event.customer, what);
                        }
                    }
                    self.held.push_back(record);
                }
                Ok(None) => self.ended = true,
                Err(error) => self.error = Some(error),
            }
        }
        match self.held.pop_front() {
            Some(record) => Ok(Some(record)),
            None => self.error.take().map_or(Ok(None), Err),
        }
    }

    /// What the reader has read so far (records held ahead included).
    pub fn stats(&self) -> ReadStats {
        self.reader.stats()
    }
}

//! Reading records ahead of the evaluator, in batches, so that the state of
//! the customers they name is already on its way into the cache when their
//! turn comes, and so that reading and applying each keep their code in the
//! instruction cache.
//!
//! Applying an event mostly waits on memory: a customer's state was last used
//! thousands of events earlier and has left the cache. The records that will
//! be applied next are known, so their customers' state can be fetched while
//! the records before them are applied. It is fetched in four steps: the
//! customer's slot in the table when the record is read, then the state the
//! slot points to, the instances the state points to, and last the steps and
//! time limits the instances point to. Each step reads a pointer the step
//! before fetched, so each comes a record or two after it: a hint that reads
//! a pointer not yet in the cache waits for it, as a load would.
//!
//! The reader's code and the evaluator's do not both fit in the instruction
//! cache: taking turns record by record, each evicts the other. Read in
//! batches, each runs long enough to pay for bringing its code back. The
//! hints and batches change nothing the evaluator computes: records reach it
//! in the same order, and names are interned in the same order relative to
//! the pushes that forget customers, so the output is the same as pushing
//! each record as it is read.

use super::{Evaluator, Warm};
use crate::events::{EventReader, InputError, ReadStats, Record};
use std::collections::VecDeque;

/// When no more than this many records are held, the next batch is read:
/// these are the records whose state is being fetched. The next record's
/// steps are fetched, the third's instances and the fifth's state (the slot
/// of each was fetched when it was read). Measured with a noisy neighbour
/// (a process reading 32-64 MB at random on the other core, so the large
/// shared cache misses): the median end to end fell from 0.630 s to 0.535 s
/// against fetching the state one record ahead and the instances with their
/// steps and limits at the next (8 alternated runs; 1.33 s to 1.27 s in 10
/// runs with two such neighbours), for 1% more instructions. Further apart
/// (the 2nd, 4th and 7th records, or the 3rd, 6th and 10th) was no better.
const AHEAD: usize = FETCH[FETCH.len() - 1].0 + 1;

/// What is fetched for each record next in line, by its place among the
/// records held once the one handed out is taken (see [`AHEAD`]).
const FETCH: [(usize, Warm); 3] = [(0, Warm::Steps), (2, Warm::Instances), (4, Warm::State)];

/// How many records a batch holds. Measured on the bench log (1M events,
/// 2,000 customers in flight): record by record, the instruction cache missed
/// 29 times an event end to end (callgrind, 32 KiB cache), against 0.1 for
/// the reader alone and 2.5 for the evaluator alone. Batches of 32 took that
/// to 9, 128 to 5.5, 256 to 4.8. End to end (`cargo bench --bench eval`,
/// median of 10 alternated runs) went from 0.400 s to 0.365 s with 64, 0.360 s
/// with 128 and 0.355 s with 256. 128 records (80 bytes each, and their
/// attributes) stay in the data cache until they are applied.
const BATCH: usize = 128;

/// An [`EventReader`] that reads records ahead of an [`Evaluator`], in
/// batches of up to 128 records. A batch ends early where the input has
/// nothing more buffered, so on a live NDJSON stream the records it has sent
/// go on at once instead of waiting for later ones, and
/// [`ReadAhead::would_wait`] says when to flush what they found. (A CSV or
/// XES reader cannot tell, and reads full batches.)
///
/// ```
/// use cxl::eval::{EvalOptions, Evaluator, ReadAhead};
/// use cxl::events::{EventReader, InputFormat, ReadOptions, Record};
///
/// let policy = cxl::Policy::compile("journey j { goal b step a { } step b { } path a -> b }")
///     .expect("the policy compiles");
/// let mut evaluator = Evaluator::new(policy.program, EvalOptions::default());
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
/// let (report, _) = evaluator.finish(None)?;
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
            held: VecDeque::with_capacity(BATCH),
            error: None,
            ended: false,
        }
    }

    /// The next record, for `evaluator` (whose interner names it); `None` at
    /// the end. An input error comes after every record read before it, as
    /// from [`EventReader::next_record`].
    pub fn next_record(&mut self, evaluator: &mut Evaluator) -> Result<Option<Record>, InputError> {
        // Read a batch when few are held, so the reader's code and the
        // evaluator's each stay in the instruction cache for a while; every
        // record held is pushed before the next push that may forget a
        // customer, or is that push: none is held across it.
        if self.held.len() <= AHEAD {
            let room = usize::try_from(evaluator.pushes_before_sweep())
                .unwrap_or(usize::MAX)
                .min(BATCH);
            // A batch ends early where the input has nothing more buffered:
            // on a live stream, the records held go on at once rather than
            // wait for the next ones to arrive.
            while self.held.len() < room
                && !self.ended
                && self.error.is_none()
                && (self.held.is_empty() || self.reader.buffered())
            {
                match self.reader.next_record(evaluator.names_mut()) {
                    Ok(Some(record)) => {
                        if let Record::Event(event) = &record {
                            evaluator.warm(event.customer, Warm::Slot);
                        }
                        self.held.push_back(record);
                    }
                    Ok(None) => self.ended = true,
                    Err(error) => self.error = Some(error),
                }
            }
        }
        let record = self.held.pop_front();
        // The records next in line each move one step on (see `AHEAD`).
        for (at, what) in FETCH {
            if let Some(Record::Event(event)) = self.held.get(at) {
                evaluator.warm(event.customer, what);
            }
        }
        match record {
            Some(record) => Ok(Some(record)),
            None => self.error.take().map_or(Ok(None), Err),
        }
    }

    /// True when the next [`ReadAhead::next_record`] may wait for input: no
    /// record is held and none is buffered, as on a live stream that has sent
    /// all it has. A caller that buffers its output flushes it then, so that
    /// what the records so far found goes out without waiting for the next.
    pub fn would_wait(&self) -> bool {
        self.held.is_empty() && !self.ended && self.error.is_none() && !self.reader.buffered()
    }

    /// What the reader has read so far (records held ahead included).
    pub fn stats(&self) -> ReadStats {
        self.reader.stats()
    }
}

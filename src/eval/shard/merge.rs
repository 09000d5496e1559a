//! The merging thread (the caller's): takes each period from every
//! evaluator (and the dispatcher, when there is one), decides the rejected
//! records' findings at the input's latest event time before each, hands all
//! out in input order, and at the end merges the evaluators' tallies into the
//! report.

use super::{End, FromShard, Output, Period, Piece, ReadEnd, RunError, RunOutcome, ToShard};
use crate::compile::Policy;
use crate::eval::as_of_millis;
use crate::eval::tally::{merge_unmapped, timestamp, Stamp, Tally};
use crate::events::Rejection;
use jiff::Timestamp;
use std::sync::mpsc::{Receiver, SyncSender};

/// The caller's side of a sharded run.
pub(super) struct Merger<'p> {
    policy: &'p Policy,
    /// The count of rejected records, and at the end of everything.
    tally: Tally,
    strict: bool,
    /// Read side by side: each evaluator's latest event time so far (ms).
    latest: Vec<Option<i64>>,
}

/// The channels of a run, as the merging thread sees them.
pub(super) struct Channels {
    /// The dispatcher's periods, when one reader dispatches.
    pub(super) from_reader: Option<Receiver<Period>>,
    pub(super) from_shards: Vec<Receiver<FromShard>>,
    pub(super) to_shards: Vec<SyncSender<ToShard>>,
}

impl<'p> Merger<'p> {
    pub(super) fn new(policy: &'p Policy, tally: Tally, strict: bool) -> Merger<'p> {
        Merger {
            policy,
            tally,
            strict,
            latest: Vec::new(),
        }
    }

    pub(super) fn run<E>(
        mut self,
        channels: Channels,
        as_of: Option<Timestamp>,
        output: &mut impl FnMut(Output<'_>) -> Result<(), E>,
    ) -> Result<RunOutcome, RunError<E>> {
        self.latest = vec![None; channels.from_shards.len()];
        let end = loop {
            let mut period = match &channels.from_reader {
                Some(from_reader) => from_reader.recv().map_err(|_| RunError::Thread)?,
                None => Period::default(),
            };
            let mut pieces = Vec::new();
            let mut ends = Vec::new();
            let mut rejected = Vec::new();
            let mut latest = Vec::new();
            for from_shard in &channels.from_shards {
                let Ok(FromShard::Period(theirs)) = from_shard.recv() else {
                    return Err(RunError::Thread);
                };
                pieces.extend(theirs.pieces);
                rejected.extend(theirs.rejected);
                latest.push(theirs.latest);
                ends.extend(theirs.end);
            }
            self.date_rejected(rejected, &latest, &mut period);
            if !ends.is_empty() {
                period.end = Some(self.side_end(ends, channels.from_shards.len())?);
            }
            for (tick, rejection, latest) in period.rejected {
                if self.strict {
                    pieces.retain(|piece| piece.stamp.tick < tick);
                    hand_out(pieces, output)?;
                    return Err(RunError::Strict(rejection));
                }
                pieces.push(self.rejected(tick, rejection, latest));
            }
            hand_out(pieces, output)?;
            if let Some(end) = period.end {
                break end;
            }
        };
        self.finish(channels, end, as_of, output)
    }

    /// Read side by side, evaluators read rejected records: each is dated at
    /// the latest event time of all evaluators before its tick, and joins
    /// the period's in tick order.
    fn date_rejected(
        &mut self,
        mut rejected: Vec<(u64, Rejection)>,
        latest: &[Vec<(u64, i64)>],
        period: &mut Period,
    ) {
        rejected.sort_by_key(|(tick, _)| *tick);
        for (tick, rejection) in rejected {
            let before = self
                .latest
                .iter()
                .zip(latest)
                .filter_map(|(&so_far, rises)| {
                    let seen = rises.partition_point(|(t, _)| *t < tick);
                    seen.checked_sub(1).map(|i| rises[i].1).or(so_far)
                })
                .max();
            period.rejected.push((tick, rejection, before));
        }
        for (so_far, rises) in self.latest.iter_mut().zip(latest) {
            if let Some(&(_, time)) = rises.last() {
                *so_far = Some(time);
            }
        }
    }

    /// Read side by side, every evaluator read the input to the same end:
    /// the latest event time is the latest of all, the error the first's.
    fn side_end<E>(&self, ends: Vec<ReadEnd>, shards: usize) -> Result<End, RunError<E>> {
        if ends.len() != shards {
            return Err(RunError::Thread);
        }
        Ok(End {
            latest: self.latest.iter().flatten().copied().max(),
            error: ends.into_iter().find_map(|end| end.error),
            ..End::default()
        })
    }

    /// The finding about a rejected record at `tick`, decided at `latest`.
    fn rejected(&mut self, tick: u64, rejection: Rejection, latest: Option<i64>) -> Piece {
        let mut findings = Vec::new();
        self.tally.stamp = Stamp::push(tick);
        let time = latest.map_or(Timestamp::UNIX_EPOCH, timestamp);
        self.tally.rejected(&rejection, time, &mut findings);
        Piece {
            stamp: Stamp::push(tick),
            customer: None,
            rejection: Some(rejection),
            findings,
            escalations: Vec::new(),
            alignments: Vec::new(),
        }
    }

    /// The end: every evaluator finishes its customers, and the tallies
    /// merge into the report.
    fn finish<E>(
        mut self,
        channels: Channels,
        end: End,
        as_of: Option<Timestamp>,
        output: &mut impl FnMut(Output<'_>) -> Result<(), E>,
    ) -> Result<RunOutcome, RunError<E>> {
        if let Some(error) = end.unopened {
            return Err(RunError::Open(error));
        }
        if let Some(rejection) = end.strict {
            return Err(RunError::Strict(rejection));
        }
        let as_of_ms = as_of_millis(as_of, end.latest)?;
        for to_shard in &channels.to_shards {
            to_shard
                .send(ToShard::Finish(as_of_ms))
                .map_err(|_| RunError::Thread)?;
        }
        let mut pieces = Vec::new();
        let mut unmapped = Vec::new();
        for from_shard in &channels.from_shards {
            let Ok(FromShard::Done {
                pieces: theirs,
                tally,
                unmapped: names,
            }) = from_shard.recv()
            else {
                return Err(RunError::Thread);
            };
            pieces.extend(theirs);
            self.tally.absorb(*tally);
            unmapped.push(names);
        }
        self.tally.settle_kept();
        pieces.sort_by(|a, b| a.order().cmp(&b.order()));
        let (mut findings, mut escalations, mut alignments) = (Vec::new(), Vec::new(), Vec::new());
        for piece in pieces {
            findings.extend(piece.findings);
            escalations.extend(piece.escalations);
            alignments.extend(piece.alignments);
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
        if !alignments.is_empty() {
            output(Output::Aligned(alignments)).map_err(RunError::Output)?;
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
        let (mut findings, mut escalations, mut alignments) = (Vec::new(), Vec::new(), Vec::new());
        let mut piece = Some(first);
        while let Some(p) = piece {
            if let Some(rejection) = &p.rejection {
                output(Output::Rejected(rejection)).map_err(RunError::Output)?;
            }
            findings.extend(p.findings);
            escalations.extend(p.escalations);
            alignments.extend(p.alignments);
            piece = pieces.next_if(|next| next.stamp.tick == tick);
        }
        if !findings.is_empty() || !escalations.is_empty() {
            output(Output::Decided(findings, escalations)).map_err(RunError::Output)?;
        }
        if !alignments.is_empty() {
            output(Output::Aligned(alignments)).map_err(RunError::Output)?;
        }
    }
    Ok(())
}

//! One shard's evaluator at work, whichever way its records come: it applies
//! events and sweeps at the input's ticks and cuts what they decide into
//! [`Piece`]s for the merging thread.

use super::{FromShard, Mark, Piece, ShardPeriod};
use crate::eval::tally::Stamp;
use crate::eval::{Evaluator, Finding};
use crate::events::Event;

/// An evaluator in a shard, and what it decided but has not handed on.
pub(super) struct Shard {
    pub(super) evaluator: Evaluator,
    /// What is handed on as decided (the rest the tally keeps).
    hand_out: HandOut,
    out: Vec<Finding>,
    marks: Vec<Mark>,
    pieces: Vec<Piece>,
}

impl Shard {
    pub(super) fn new(mut evaluator: Evaluator) -> Shard {
        evaluator.tally.keep_stamps();
        let hand_out = HandOut::of(evaluator.options);
        Shard {
            evaluator,
            hand_out,
            out: Vec::new(),
            marks: Vec::new(),
            pieces: Vec::new(),
        }
    }

    /// Apply the event that is the input's `record`th record, read as its
    /// `tick`th; no sweep.
    #[inline]
    pub(super) fn event(&mut self, tick: u64, record: u64, event: Event) {
        let evaluator = &mut self.evaluator;
        evaluator.tick = tick;
        evaluator.records = record;
        evaluator.tally.stamp = Stamp::push(tick);
        evaluator.apply_event(event, &mut self.out);
        if !self.hand_out.any() {
            self.out.clear();
            return;
        }
        let escalations = evaluator.take_escalations();
        let alignments = evaluator.take_alignments();
        let findings = self.hand_out.findings(&mut self.out);
        if !findings.is_empty() || !escalations.is_empty() || !alignments.is_empty() {
            self.pieces.push(Piece {
                stamp: Stamp::push(tick),
                customer: None,
                rejection: None,
                findings,
                escalations,
                alignments,
            });
        }
    }

    /// The idle sweep after the `record`th record (the `tick`th), at the
    /// input's `watermark` (ms).
    pub(super) fn sweep(&mut self, tick: u64, record: u64, watermark: i64) {
        self.evaluator.tick = tick;
        self.evaluator.records = record;
        self.evaluator
            .sweep_idle(watermark, &mut self.out, Some(&mut self.marks));
        if self.hand_out.any() {
            let hand_out = self.hand_out;
            let cut = cut(
                &mut self.out,
                &mut self.evaluator,
                &mut self.marks,
                hand_out,
                |key| Stamp::sweep(tick, key),
            );
            self.pieces.extend(cut);
        } else {
            self.out.clear();
            self.marks.clear();
        }
    }

    /// What was decided since the last call.
    pub(super) fn period(&mut self) -> ShardPeriod {
        ShardPeriod {
            pieces: std::mem::take(&mut self.pieces),
            ..ShardPeriod::default()
        }
    }

    /// The end of input as of `as_of_ms`: every customer finished, by id.
    pub(super) fn finish(mut self, as_of_ms: i64) -> FromShard {
        let evaluator = &mut self.evaluator;
        evaluator.finish_customers(as_of_ms, &mut self.out, Some(&mut self.marks));
        if !self.hand_out.any() {
            self.out.clear();
            self.marks.clear();
        }
        let hand_out = self.hand_out;
        let mut pieces: Vec<Piece> =
            cut(&mut self.out, evaluator, &mut self.marks, hand_out, |_| {
                Stamp::finish()
            })
            .collect();
        for piece in &mut pieces {
            let first = piece.findings.first().and_then(|f| f.customer.as_ref());
            let first =
                first.or_else(|| piece.escalations.first().and_then(|e| e.customer.as_ref()));
            let first = first.or_else(|| piece.alignments.first().map(|a| &a.customer));
            piece.customer = first.cloned();
        }
        let unmapped = evaluator.tally.take_unmapped(&evaluator.names.words);
        FromShard::Done {
            pieces,
            tally: Box::new(self.evaluator.tally),
            unmapped,
        }
    }
}

/// What a shard hands on as decided: with
/// [`Retention::None`](crate::eval::Retention::None) findings and escalations;
/// with `PerGroup` the escalations only (the report keeps the findings it
/// shows, and every escalation goes out, as [`Evaluator::take_escalations`]
/// gives them); with `All` nothing (the report keeps everything). Alignment
/// records, whatever the retention, when they are asked for.
#[derive(Clone, Copy)]
struct HandOut {
    findings: bool,
    escalations: bool,
    alignments: bool,
}

impl HandOut {
    fn of(options: crate::eval::EvalOptions) -> HandOut {
        use crate::eval::{Alignments, Retention};
        HandOut {
            findings: options.retention == Retention::None,
            escalations: options.retention != Retention::All,
            alignments: options.alignments == Alignments::Records,
        }
    }

    /// Whether anything is handed out.
    fn any(self) -> bool {
        self.escalations || self.alignments
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
    let mut alignments = evaluator.take_alignments().into_iter();
    let (mut f, mut e, mut a) = (0, 0, 0);
    marks.drain(..).filter_map(move |mark| {
        let mut theirs: Vec<Finding> = findings.by_ref().take(mark.findings - f).collect();
        let piece = Piece {
            stamp: stamp(mark.key),
            customer: None,
            rejection: None,
            findings: hand_out.findings(&mut theirs),
            escalations: escalations.by_ref().take(mark.escalations - e).collect(),
            alignments: alignments.by_ref().take(mark.alignments - a).collect(),
        };
        (f, e, a) = (mark.findings, mark.escalations, mark.alignments);
        let any = !piece.findings.is_empty()
            || !piece.escalations.is_empty()
            || !piece.alignments.is_empty();
        any.then_some(piece)
    })
}

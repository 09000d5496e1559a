//! Optimal alignments per journey instance, kept as the instance goes (see
//! `compile::align` for the algorithm and the tie-break) and concluded when it
//! ends: its cost, its fitness and, on request, one optimal move sequence as
//! an [`AlignmentRecord`].
//!
//! The *trace* of an instance is the journey steps it was moved along, in the
//! order applied: each event in time order that is a step of the journey
//! (after the reorder buffer; a duplicate record and an event later than the
//! lateness window do not move an instance, so they are not in it).
//!
//! What is kept per instance: while the trace fits the path (every step so
//! far was one the path allows), only the trace, one step and its time per
//! event (16 bytes), as the cost is 0 and the positions the evaluator keeps
//! anyway are the alignment; at the first step off the path, the cost vector
//! (one number per graph node) is built from the trace and then updated per
//! event. The trace is kept while `(length + 1) × nodes` stays within
//! [`MOVE_CELLS`] (for a journey of 50 nodes, 20,970 events), so the moves
//! can be rebuilt at the end; past it the trace is let go and only the cost
//! is given, with a note.

use crate::compile::{JourneyGraph, Move, StepId, MOVE_CELLS};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::VecDeque;

/// What an evaluation computes of alignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alignments {
    /// Nothing: no cost, no fitness.
    Off,
    /// Each instance's cost and fitness, summed up per journey in the report.
    #[default]
    Summary,
    /// Also one [`AlignmentRecord`] per instance, with its moves, for the
    /// caller to take ([`crate::eval::Evaluator::take_alignments`]).
    Records,
}

/// The kind of a move of an alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MoveKind {
    /// The event is the path's next step.
    Sync,
    /// An event the path cannot take there.
    Log,
    /// A step the path needs that did not happen.
    Model,
}

/// One move of an [`AlignmentRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlignedMove {
    /// What kind of move.
    pub kind: MoveKind,
    /// The journey step.
    pub step: String,
    /// The event's time (synchronous and log moves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_time: Option<Timestamp>,
}

/// One journey instance's optimal alignment with its journey's path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlignmentRecord {
    /// The customer.
    pub customer: String,
    /// The journey.
    pub journey: String,
    /// The instance's number (1 for the customer's first of the journey).
    pub instance: u32,
    /// How many log and model moves the optimal alignment has.
    pub cost: u32,
    /// `1 − cost / (trace_len + length of the shortest complete path)`; 1
    /// when both are 0.
    pub fitness: f64,
    /// How many events the trace has.
    pub trace_len: u32,
    /// One optimal move sequence; `None` past the trace length kept.
    pub moves: Option<Vec<AlignedMove>>,
    /// Why `moves` is missing, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// PM4Py's fitness for the standard cost function.
pub(crate) fn fitness(cost: u32, trace_len: u32, shortest: u32) -> f64 {
    let denominator = u64::from(trace_len) + u64::from(shortest);
    if denominator == 0 {
        return 1.0;
    }
    (1.0 - f64::from(cost) / denominator as f64).max(0.0)
}

/// An instance's alignment so far (see the module's text).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracker {
    /// The trace's steps with their times (ms), while kept.
    trace: Vec<(StepId, i64)>,
    /// How many events the trace has.
    len: u32,
    /// The closed cost vector; empty while the trace fits the path.
    costs: Vec<u32>,
    /// The trace was let go: cost only.
    dropped: bool,
    queue: VecDeque<u32>,
}

/// The cost and moves of a concluded alignment.
pub(crate) struct Concluded {
    pub cost: u32,
    pub trace_len: u32,
    /// The moves, resolved: (kind, step, event time in ms).
    pub moves: Option<Vec<(MoveKind, StepId, Option<i64>)>>,
}

impl Tracker {
    /// Start again for a new instance, keeping a modest allocation.
    pub(crate) fn restart(&mut self) {
        if self.trace.capacity() > 1024 {
            self.trace = Vec::new();
        } else {
            self.trace.clear();
        }
        self.costs.clear();
        self.len = 0;
        self.dropped = false;
    }

    /// Whether one more event still leaves the trace short enough to keep.
    fn room(&self, graph: &JourneyGraph) -> bool {
        !self.dropped && (self.trace.len() + 2).saturating_mul(graph.node_count()) <= MOVE_CELLS
    }

    /// The instance met `step` at `t` (ms); `fits` when the path allowed it
    /// from where the evaluator had the customer.
    #[inline]
    pub(crate) fn step(&mut self, graph: &JourneyGraph, step: StepId, t: i64, fits: bool) {
        self.len = self.len.saturating_add(1);
        let room = self.room(graph);
        if self.costs.is_empty() {
            if fits && room {
                self.trace.push((step, t));
                return;
            }
            self.costs.extend_from_slice(graph.initial_costs());
            for &(s, _) in &self.trace {
                graph.align_step(&mut self.costs, s, &mut self.queue);
            }
        }
        graph.align_step(&mut self.costs, step, &mut self.queue);
        if room {
            self.trace.push((step, t));
        } else if !self.dropped {
            self.dropped = true;
            self.trace = Vec::new();
        }
    }

    /// The alignment of the whole trace; `at_end` when the evaluator has the
    /// customer at an end of the path; `moves` when they are wanted.
    pub(crate) fn conclude(&self, graph: &JourneyGraph, at_end: bool, moves: bool) -> Concluded {
        let trace_len = self.len;
        if self.costs.is_empty() && at_end {
            // The whole trace is a complete path: all synchronous.
            let moves = moves.then(|| {
                self.trace
                    .iter()
                    .map(|&(s, t)| (MoveKind::Sync, s, Some(t)))
                    .collect()
            });
            return Concluded {
                cost: 0,
                trace_len,
                moves,
            };
        }
        if self.dropped {
            return Concluded {
                cost: graph.end_cost(&self.costs),
                trace_len,
                moves: None,
            };
        }
        let steps: Vec<StepId> = self.trace.iter().map(|&(s, _)| s).collect();
        if !moves {
            return Concluded {
                cost: if self.costs.is_empty() {
                    graph.alignment_cost(&steps)
                } else {
                    graph.end_cost(&self.costs)
                },
                trace_len,
                moves: None,
            };
        }
        let alignment = graph.align(&steps);
        let event = |i: usize| self.trace.get(i).copied();
        let moves = alignment.moves.map(|moves| {
            moves
                .into_iter()
                .filter_map(|m| match m {
                    Move::Sync { event: i, .. } => {
                        event(i).map(|(s, t)| (MoveKind::Sync, s, Some(t)))
                    }
                    Move::Log { event: i } => event(i).map(|(s, t)| (MoveKind::Log, s, Some(t))),
                    Move::Model { node } => graph.step(node).map(|s| (MoveKind::Model, s, None)),
                })
                .collect()
        });
        Concluded {
            cost: alignment.cost,
            trace_len,
            moves,
        }
    }
}

/// An instance ends (at an end of the path when `at_end`): count its
/// alignment in the tally and, when asked for, hand out its record.
pub(crate) fn conclude(
    ctx: &super::apply::Context<'_>,
    cust: &super::instance::CustomerState,
    inst: &super::instance::Instance,
    tally: &mut super::tally::Tally,
    at_end: bool,
) {
    if ctx.alignments == Alignments::Off {
        return;
    }
    let journey = &ctx.program.journeys[inst.journey];
    let records = ctx.alignments == Alignments::Records;
    let done = inst.alignment.conclude(&journey.graph, at_end, records);
    let fitness = fitness(done.cost, done.trace_len, journey.graph.shortest_complete());
    tally.aligned(inst.journey, done.cost, fitness);
    if !records {
        return;
    }
    let note = done.moves.is_none().then(|| {
        format!(
            "moves not kept past {} events on this journey: cost only",
            MOVE_CELLS / journey.graph.node_count().max(1) - 1
        )
    });
    let moves = done.moves.map(|moves| {
        moves
            .into_iter()
            .map(|(kind, step, time)| AlignedMove {
                kind,
                step: journey.step_name(step).to_string(),
                event_time: time.map(super::tally::timestamp),
            })
            .collect()
    });
    tally.alignment(AlignmentRecord {
        customer: ctx.names.customers.resolve(cust.id).to_string(),
        journey: journey.name.clone(),
        instance: inst.number,
        cost: done.cost,
        fitness,
        trace_len: done.trace_len,
        moves,
        note,
    });
}

//! Optimal alignments of a trace with a journey's path, as process miners
//! define them for the standard cost function: a *synchronous move* (the
//! trace's step is the path's next step) costs 0, a *log move* (a step of the
//! trace the path does not take) 1, a *model move* (a step the path takes that
//! the trace lacks) 1. The least cost is the edit distance, with insertions and
//! deletions only, from the trace to the nearest word of the path's language.
//!
//! A journey's graph is a position automaton whose edges into a node all read
//! that node's step, so a model move is one edge and the least cost over a
//! trace prefix is one number per node: the cost of the best alignment of the
//! prefix whose path part ends at that node ([`JourneyGraph::align_step`]
//! updates it per event, as online conformance checking with prefix alignments
//! does). Every vector the functions here take or give is *closed*: no node
//! costs more than a predecessor plus one (the model moves are already
//! folded in), so the cost to end the journey is the least cost of an
//! accepting node.
//!
//! One optimal move sequence ([`JourneyGraph::align`]) is rebuilt from the
//! vectors of every prefix, walking back from the end: at each point a
//! synchronous move is preferred, then a log move, then a model move; among
//! nodes, the first in the graph (the lowest index: the occurrence written
//! first in the path). The end is the accepting node of least cost, the first
//! on a tie. So the sequence is a function of the trace and the path alone.

use super::graph::JourneyGraph;
use super::StepId;
use petgraph::graph::NodeIndex;
use std::collections::VecDeque;

/// How many cells (trace length + 1 times node count) [`JourneyGraph::align`]
/// may use to rebuild moves: 4 MiB of costs. Past it, only the cost is given.
pub const MOVE_CELLS: usize = 1 << 20;

/// One move of an alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// The trace's event `event` (its index) is the path's next step, at `node`.
    Sync {
        /// The index of the event in the trace.
        event: usize,
        /// The graph node the path takes.
        node: NodeIndex,
    },
    /// The trace's event `event` is a step the path does not take here.
    Log {
        /// The index of the event in the trace.
        event: usize,
    },
    /// The path takes the step at `node`, which the trace lacks.
    Model {
        /// The graph node the path takes.
        node: NodeIndex,
    },
}

/// The optimal alignment of a whole trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alignment {
    /// Its cost: how many log and model moves.
    pub cost: u32,
    /// One optimal move sequence (see the module's text for which); `None`
    /// when the trace is too long to rebuild it (see [`MOVE_CELLS`]).
    pub moves: Option<Vec<Move>>,
}

/// A cost no alignment reaches: every node is reachable from the start, so it
/// only stands for "not yet computed".
const FAR: u32 = u32::MAX / 2;

impl JourneyGraph {
    /// The closed cost vector of the empty trace: each node's distance from
    /// the start (model moves only).
    pub fn initial_costs(&self) -> &[u32] {
        &self.from_start
    }

    /// The length of the shortest complete path: the cost of aligning the
    /// empty trace, and the second term of fitness's denominator.
    pub fn shortest_complete(&self) -> u32 {
        self.least_accepting(&self.from_start).0
    }

    /// The cost to end the journey from a closed cost vector, and the
    /// accepting node that gives it (the first on a tie).
    pub fn end_cost(&self, costs: &[u32]) -> u32 {
        self.least_accepting(costs).0
    }

    fn least_accepting(&self, costs: &[u32]) -> (u32, usize) {
        let mut best = (FAR, 0);
        for (node, &cost) in costs.iter().enumerate() {
            if cost < best.0 && self.is_accepting(NodeIndex::new(node)) {
                best = (cost, node);
            }
        }
        best
    }

    /// Extend the closed cost vector `costs` of a trace by one event of
    /// `step`: a log move from every node, a synchronous move into every node
    /// of `step`, then the model moves that follow. `queue` is room the
    /// caller keeps, so a step allocates nothing once it has grown.
    pub fn align_step(&self, costs: &mut [u32], step: StepId, queue: &mut VecDeque<u32>) {
        queue.clear();
        // Synchronous moves, from the costs before this event.
        let mut syncs: smallvec::SmallVec<[(u32, u32); 4]> = smallvec::SmallVec::new();
        for &v in self.nodes_of(step) {
            let best = self
                .preds_of(v.index())
                .iter()
                .filter_map(|&u| costs.get(u as usize).copied())
                .min()
                .unwrap_or(FAR);
            syncs.push((v.index() as u32, best));
        }
        // Log moves: a closed vector stays closed when every cost rises by one.
        for cost in costs.iter_mut() {
            *cost = cost.saturating_add(1).min(FAR);
        }
        for (v, best) in syncs {
            if let Some(cost) = costs.get_mut(v as usize) {
                if best < *cost {
                    *cost = best;
                    queue.push_back(v);
                }
            }
        }
        // Model moves from what the synchronous moves lowered: relaxation
        // along edges of cost one until nothing lowers (each push lowers a
        // cost, so it ends).
        while let Some(u) = queue.pop_front() {
            let next = costs.get(u as usize).map_or(FAR, |c| c + 1);
            for &(_, v) in self.succ_of(u as usize) {
                if let Some(cost) = costs.get_mut(v as usize) {
                    if next < *cost {
                        *cost = next;
                        queue.push_back(v);
                    }
                }
            }
        }
    }

    /// The cost of aligning `trace` with the path, from scratch.
    pub fn alignment_cost(&self, trace: &[StepId]) -> u32 {
        let mut costs = self.from_start.clone();
        let mut queue = VecDeque::new();
        for &step in trace {
            self.align_step(&mut costs, step, &mut queue);
        }
        self.end_cost(&costs)
    }

    /// The optimal alignment of `trace` with the path: its cost and, when
    /// `(trace.len() + 1) × nodes` is at most [`MOVE_CELLS`], one optimal
    /// move sequence (see the module's text for which).
    pub fn align(&self, trace: &[StepId]) -> Alignment {
        let n = self.node_count();
        let cells = trace.len().saturating_add(1).saturating_mul(n);
        if cells > MOVE_CELLS {
            return Alignment {
                cost: self.alignment_cost(trace),
                moves: None,
            };
        }
        let mut rows: Vec<u32> = Vec::with_capacity(cells);
        rows.extend_from_slice(&self.from_start);
        let mut queue = VecDeque::new();
        for (i, &step) in trace.iter().enumerate() {
            rows.extend_from_within(i * n..(i + 1) * n);
            self.align_step(&mut rows[(i + 1) * n..], step, &mut queue);
        }
        let (cost, end) = self.least_accepting(&rows[trace.len() * n..]);
        Alignment {
            cost,
            moves: self.walk_back(trace, &rows, end),
        }
    }

    /// One optimal move sequence, walking back from `end` after the whole
    /// trace through the cost vectors of every prefix, `rows`.
    fn walk_back(&self, trace: &[StepId], rows: &[u32], end: usize) -> Option<Vec<Move>> {
        let n = self.node_count();
        let cost = |i: usize, v: usize| rows.get(i * n + v).copied().unwrap_or(FAR);
        let (mut i, mut v) = (trace.len(), end);
        let mut moves = Vec::new();
        // Each move lowers the event index or the cost, so the walk ends
        // within this many moves; the bound only guards against a bug.
        let limit = trace.len() + cost(i, v) as usize + 1;
        while i > 0 || v != 0 {
            if moves.len() > limit {
                return None;
            }
            let c = cost(i, v);
            let pred = |row: usize, want: u32| {
                self.preds_of(v)
                    .iter()
                    .map(|&u| u as usize)
                    .filter(|&u| cost(row, u) == want)
                    .min()
            };
            let step = self.node_step(v);
            if i > 0 && step == trace.get(i - 1).copied() {
                if let Some(u) = pred(i - 1, c) {
                    moves.push(Move::Sync {
                        event: i - 1,
                        node: NodeIndex::new(v),
                    });
                    (i, v) = (i - 1, u);
                    continue;
                }
            }
            if i > 0 && cost(i - 1, v).saturating_add(1) == c {
                moves.push(Move::Log { event: i - 1 });
                i -= 1;
                continue;
            }
            let u = pred(i, c.checked_sub(1)?)?;
            moves.push(Move::Model {
                node: NodeIndex::new(v),
            });
            v = u;
        }
        moves.reverse();
        Some(moves)
    }
}

/// Each node's distance from the start, by breadth-first search.
pub(super) fn distances_from_start(graph: &JourneyGraph) -> Vec<u32> {
    let mut dist = vec![FAR; graph.node_count()];
    let mut queue = VecDeque::new();
    if let Some(d) = dist.first_mut() {
        *d = 0;
        queue.push_back(0usize);
    }
    while let Some(u) = queue.pop_front() {
        let next = dist[u] + 1;
        for &(_, v) in graph.succ_of(u) {
            if next < dist[v as usize] {
                dist[v as usize] = next;
                queue.push_back(v as usize);
            }
        }
    }
    dist
}

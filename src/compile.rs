//! Stage `compile`: journeys to graphs. Each journey's `path` becomes a
//! position (Glushkov) automaton held in petgraph, the journey map that the
//! evaluator replays events on, the simulator walks and `cxl graph` draws; the
//! graph lints (E0402, W0403, E0404) run on that same graph, so lints and
//! evaluator agree exactly.
//!
//! # The construction
//!
//! Step names are interned to [`StepId`]s: indices into the journey's step table
//! in declaration order. The graph has a start node plus **one node per step
//! occurrence** (a *position*); an edge `u → v` means "the step of `v` may come
//! right after `u`". Every edge into a node reads that node's step (the Glushkov
//! property), so "node ⇒ step" holds and the state of a customer is just the set
//! of nodes they may be at. A word of steps is accepted when some path from the
//! start spells it and ends at an accepting node.
//!
//! The graph is built compositionally from *fragments*: for each sub-expression
//! `e`, its positions, its internal edges, `first(e)` (positions that can begin a
//! word), `last(e)` (positions that can end one) and `nullable(e)` (whether it
//! accepts the empty word). These are the textbook Glushkov rules:
//!
//! | path | first | last | nullable | new edges |
//! |---|---|---|---|---|
//! | step `s` | {p} | {p} | no | — |
//! | `a -> b` | first(a) ∪ (first(b) if a nullable) | last(b) ∪ (last(a) if b nullable) | both | last(a) × first(b) |
//! | `a \| b` | first(a) ∪ first(b) | last(a) ∪ last(b) | either | — |
//! | `a?` | first(a) | last(a) | yes | — |
//! | `a*` | first(a) | last(a) | yes | last(a) × first(a) |
//! | `a+` | first(a) | last(a) | nullable(a) | last(a) × first(a) |
//!
//! `a{m,n}` is `m` copies of `a` in sequence followed by `(a (a (…)?)?)?` nested
//! `n - m` deep; `a{m,}` is `m` copies followed by `a*`; `a{n}` is `a{n,n}`. Copies
//! are fresh positions, so the language is exactly that of the written-out
//! expression. The nesting keeps the first set of the optional tail to one copy,
//! so a deterministic `a` gives a deterministic tail. When `a` is nullable, a copy
//! can stand in for its own absence: `a{m,n}` is built as `a{0,n}` and `a{m,}`
//! as `a*`, and the tail's copies are simply chained (a skipped copy is the same
//! as a later one), which is the same language with a linear number of edges.
//!
//! `a & b` (every interleaving of a word of `a` with a word of `b`) is a product.
//! Its nodes are triples `(x, y, side)` with `x` a position of `a` or a's start,
//! `y` a position of `b` or b's start, and `side` saying which of the two moved
//! last; the node carries the step of that side's position, so the Glushkov
//! property still holds. From `(x, y, _)` there is an edge to `(x', y, left)` for
//! each edge `x → x'` of `a` (from a's start: each `x'` in first(a)), and to
//! `(x, y', right)` likewise for `b`. first = the targets of moves from
//! `(start, start)`; a node is in last when both `x` and `y` may end (in last, or
//! the start of a nullable side); nullable = both nullable. This is the ordinary
//! product of two automata for the shuffle, so it is sound; and because the
//! result is again a fragment, `&` nests inside `*`, `{m,n}`, `|` and other `&`s.
//! `a & b & c` is `(a & b) & c`. Only nodes reachable from `(start, start)` are
//! made (breadth first), and each of them can finish (both sides can), so every
//! node of every graph lies on some complete path: the graph is trim.
//!
//! # Bounds
//!
//! A product has up to `2 (|a| + 1)(|b| + 1)` nodes and `a{m,n}` has `n |a|`, so
//! paths can blow up. Every combinator checks before it allocates: a graph has at
//! most [`MAX_NODES`] nodes and [`MAX_EDGES`] edges, and a path nests at most
//! [`MAX_DEPTH`] levels; past that compilation stops with E0701 (`PathTooLarge`)
//! on the sub-expression that blew up. A repetition is refused from its bounds
//! alone, before any copy is made, so `a{0,100000}` fails at once.
//!
//! # Weights
//!
//! Weighted alternatives (`accept 80% | deny 20%`) do not change the language.
//! Their weights are kept on the graph's edges ([`Edge::weight`]): an edge
//! entering a branch's first position carries the branch's weight as a fraction,
//! multiplied by the weights of enclosing weighted alternatives; edges of `&`
//! products keep the weight of the component edge they copy. Weights are not
//! normalised: a weighted branch with two first positions gives both edges its
//! weight, and an edge no weighted alternative decides has none; the simulator
//! normalises over a node's outgoing edges.
//!
//! # Using the graph
//!
//! [`JourneyGraph::advance_into`] is the evaluator's step: the set of active
//! nodes after an event, from flat successor tables sorted by step, allocating
//! nothing once its buffer has grown.
//! [`JourneyGraph::detour`] names the steps a customer skipped and where to
//! re-synchronise after a step the path does not allow.

mod align;
mod automaton;
mod condition;
mod detour;
mod graph;
mod index;
mod journey;
mod lints;
mod ops;
mod path;
mod policy;
mod product;
mod program;
mod render;
mod rules;
mod sources;
mod suppress;
#[cfg(test)]
mod tests;

pub use align::{Alignment, Move, MOVE_CELLS};
pub use condition::Cond;
#[cfg(test)]
pub(crate) use condition::Resolver;
pub use detour::Detour;
pub use graph::{ActiveSet, Edge, GraphNode, JourneyGraph, NodeSet};
pub(crate) use index::{MetricRule, PolicyIndex};
pub use journey::{compile_journey, CompiledJourney, StageInfo, StepInfo};
pub use lints::{lint_expect, lint_expect_expanded, lint_journey};
pub use ops::{Better, CmpOp, Severity};
pub use petgraph::graph::NodeIndex;
pub use policy::{diagnostics, loaded_diagnostics, Policy, SegmentRule, SourceSettings};
pub use program::{MetricInfo, Program};
pub use render::{
    caption, dot_escape, dot_label, mermaid_escape, mermaid_label, percent, render_dot,
    render_json, render_mermaid,
};
pub use rules::{AnchorRef, Check, EscalationRule, Expectation, RuleSource, TierRule, Trigger};
pub use sources::JourneyRules;

use serde::Serialize;

/// Most nodes in one journey graph, the start node included.
pub const MAX_NODES: usize = 4096;

/// Most edges in one journey graph.
pub const MAX_EDGES: usize = 1 << 18;

/// Deepest nesting of a path expression.
pub const MAX_DEPTH: usize = 200;

/// A step of one journey: its index in the journey's step table (declaration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct StepId(pub u32);

impl StepId {
    /// The index into the step table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

//! [`JourneyGraph`]: a journey's compiled path, the journey map, held in petgraph,
//! with the queries the lints, the evaluator and the simulator ask of it.
//!
//! Node 0 is the start node; every other node is one step occurrence, and all
//! edges into a node read that node's step (the Glushkov property), so an active
//! set of nodes is the whole state of a customer on the journey. Beside the
//! petgraph graph the struct keeps flat tables, precomputed once: successors
//! sorted by step (for [`JourneyGraph::advance_into`], the evaluator's hot path),
//! the nodes of each step, the steps reachable from each node (a bitset), and
//! which nodes can still finish.

use super::automaton::{dedup_edges, Arc, Fragment};
use super::StepId;
use crate::diagnostic::Span;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::VecDeque;

/// A set of active graph nodes (raw indices, sorted): where a customer may be.
/// Usually one or two nodes, so it lives inline without allocating.
pub type ActiveSet = smallvec::SmallVec<[u32; 4]>;

/// Where [`JourneyGraph::advance_into`] can write a set of nodes: a `Vec<u32>`
/// or an [`ActiveSet`].
pub trait NodeSet: Extend<u32> {
    /// Empty the set, keeping its room.
    fn clear(&mut self);
    /// Add a node.
    fn push(&mut self, node: u32);
    /// Sort and drop repeats.
    fn sort_dedup(&mut self);
}

impl NodeSet for Vec<u32> {
    fn clear(&mut self) {
        Vec::clear(self);
    }
    fn push(&mut self, node: u32) {
        Vec::push(self, node);
    }
    fn sort_dedup(&mut self) {
        self.sort_unstable();
        self.dedup();
    }
}

impl NodeSet for ActiveSet {
    fn clear(&mut self) {
        smallvec::SmallVec::clear(self);
    }
    fn push(&mut self, node: u32) {
        smallvec::SmallVec::push(self, node);
    }
    fn sort_dedup(&mut self) {
        self.sort_unstable();
        self.dedup();
    }
}

/// A node of a journey graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphNode {
    /// The step this node is an occurrence of; `None` for the start node.
    pub step: Option<StepId>,
    /// Where the occurrence is written in the path (empty for the start node).
    /// Nodes made by `&` or `{m,n}` share the span of the occurrence they copy.
    pub occurrence: Span,
}

/// An edge of a journey graph: "this step may come next".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// The simulation weight of taking this edge, as a fraction (`80%` is `0.8`):
    /// the product of the weights of the weighted alternatives (`accept 80% | deny 20%`)
    /// whose branch this edge enters; `None` when no weighted alternative decides it.
    /// The language ignores weights.
    pub weight: Option<f64>,
}

/// A journey's compiled path: a position automaton over [`StepId`]s.
#[derive(Clone)]
pub struct JourneyGraph {
    graph: DiGraph<GraphNode, Edge>,
    accepting: Vec<bool>,
    step_count: usize,
    /// Node `n`'s successors are `succ[succ_start[n]..succ_start[n + 1]]`, sorted by (step, node).
    succ_start: Vec<u32>,
    succ: Vec<(StepId, u32)>,
    by_step: Vec<Vec<NodeIndex>>,
    /// Bitset per node of the steps of the nodes reachable by one edge or more.
    reach: Vec<u64>,
    words: usize,
    finish: Vec<bool>,
    /// Node `n`'s predecessors are `pred[pred_start[n]..pred_start[n + 1]]`,
    /// sorted, for alignments (see `align.rs`).
    pred_start: Vec<u32>,
    pred: Vec<u32>,
    /// Each node's distance from the start: the cost vector of the empty trace.
    pub(super) from_start: Vec<u32>,
}

impl std::fmt::Debug for JourneyGraph {
    /// A summary: graphs can have thousands of nodes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JourneyGraph")
            .field("nodes", &self.node_count())
            .field("edges", &self.edge_count())
            .field("steps", &self.step_count)
            .finish()
    }
}

impl JourneyGraph {
    /// The graph of a fragment over `step_count` steps: a start node, then one
    /// node per position in construction order.
    pub(crate) fn from_fragment(fragment: &Fragment, step_count: usize) -> JourneyGraph {
        let mut graph = DiGraph::with_capacity(fragment.positions.len() + 1, fragment.edges.len());
        let start = graph.add_node(GraphNode {
            step: None,
            occurrence: Span::default(),
        });
        for p in &fragment.positions {
            graph.add_node(GraphNode {
                step: Some(p.step),
                occurrence: p.span,
            });
        }
        let mut edges: Vec<Arc> = fragment
            .first
            .iter()
            .map(|f| Arc {
                from: 0,
                to: f.pos + 1,
                weight: f.weight,
            })
            .chain(fragment.edges.iter().map(|e| Arc {
                from: e.from + 1,
                to: e.to + 1,
                weight: e.weight,
            }))
            .collect();
        dedup_edges(&mut edges);
        for e in &edges {
            graph.add_edge(
                NodeIndex::new(e.from as usize),
                NodeIndex::new(e.to as usize),
                Edge { weight: e.weight },
            );
        }
        let mut accepting = vec![false; graph.node_count()];
        accepting[start.index()] = fragment.nullable;
        for &l in &fragment.last {
            accepting[l as usize + 1] = true;
        }
        let mut g = JourneyGraph {
            graph,
            accepting,
            step_count,
            succ_start: Vec::new(),
            succ: Vec::new(),
            by_step: Vec::new(),
            reach: Vec::new(),
            words: step_count.div_ceil(64).max(1),
            finish: Vec::new(),
            pred_start: Vec::new(),
            pred: Vec::new(),
            from_start: Vec::new(),
        };
        g.index(&edges);
        g.compute_reach();
        g.compute_finish();
        g.from_start = super::align::distances_from_start(&g);
        g
    }

    fn index(&mut self, edges: &[Arc]) {
        let n = self.graph.node_count();
        let mut lists: Vec<Vec<(StepId, u32)>> = vec![Vec::new(); n];
        for e in edges {
            if let Some(step) = self.node_step(e.to as usize) {
                lists[e.from as usize].push((step, e.to));
            }
        }
        self.succ_start = Vec::with_capacity(n + 1);
        for mut list in lists {
            list.sort_unstable();
            // Node counts are bounded by MAX_NODES, so offsets fit in u32.
            self.succ_start.push(self.succ.len() as u32);
            self.succ.extend(list);
        }
        self.succ_start.push(self.succ.len() as u32);
        let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
        for e in edges {
            if let Some(list) = preds.get_mut(e.to as usize) {
                list.push(e.from);
            }
        }
        self.pred_start = Vec::with_capacity(n + 1);
        for mut list in preds {
            list.sort_unstable();
            list.dedup();
            self.pred_start.push(self.pred.len() as u32);
            self.pred.extend(list);
        }
        self.pred_start.push(self.pred.len() as u32);
        self.by_step = vec![Vec::new(); self.step_count];
        for node in self.graph.node_indices() {
            if let Some(list) = self.graph[node]
                .step
                .and_then(|s| self.by_step.get_mut(s.index()))
            {
                list.push(node);
            }
        }
    }

    pub(super) fn node_step(&self, node: usize) -> Option<StepId> {
        self.graph
            .node_weight(NodeIndex::new(node))
            .and_then(|n| n.step)
    }

    pub(super) fn succ_of(&self, node: usize) -> &[(StepId, u32)] {
        match (self.succ_start.get(node), self.succ_start.get(node + 1)) {
            (Some(&a), Some(&b)) => self.succ.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The nodes with an edge into `node`, sorted.
    pub(super) fn preds_of(&self, node: usize) -> &[u32] {
        match (self.pred_start.get(node), self.pred_start.get(node + 1)) {
            (Some(&a), Some(&b)) => self.pred.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Steps reachable from each node, by strongly connected components in
    /// reverse topological order (petgraph's iterative Kosaraju returns them so;
    /// its Tarjan recurses, and a 4096-node chain would overflow the stack).
    fn compute_reach(&mut self) {
        let w = self.words;
        self.reach = vec![0; self.graph.node_count() * w];
        for scc in petgraph::algo::kosaraju_scc(&self.graph) {
            let mut set = vec![0u64; w];
            for &u in &scc {
                for &(step, v) in self.succ_of(u.index()) {
                    set[step.index() / 64] |= 1 << (step.index() % 64);
                    let v = v as usize;
                    for (i, word) in set.iter_mut().enumerate() {
                        *word |= self.reach[v * w + i];
                    }
                }
            }
            for &u in &scc {
                self.reach[u.index() * w..(u.index() + 1) * w].copy_from_slice(&set);
            }
        }
    }

    fn compute_finish(&mut self) {
        let mut finish = self.accepting.clone();
        let mut queue: VecDeque<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|n| finish[n.index()])
            .collect();
        while let Some(v) = queue.pop_front() {
            for u in self
                .graph
                .neighbors_directed(v, petgraph::Direction::Incoming)
            {
                if !finish[u.index()] {
                    finish[u.index()] = true;
                    queue.push_back(u);
                }
            }
        }
        self.finish = finish;
    }

    /// The underlying petgraph graph, for algorithms and renderers.
    pub fn graph(&self) -> &DiGraph<GraphNode, Edge> {
        &self.graph
    }

    /// The start node: before the customer's first step.
    pub fn start(&self) -> NodeIndex {
        NodeIndex::new(0)
    }

    /// How many nodes, the start node included.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// How many edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// How many steps the journey declares (the size of the step table).
    pub fn step_count(&self) -> usize {
        self.step_count
    }

    /// The step a node is an occurrence of; `None` for the start node (or no node).
    pub fn step(&self, node: NodeIndex) -> Option<StepId> {
        self.node_step(node.index())
    }

    /// Where a node's occurrence is written in the path.
    pub fn occurrence(&self, node: NodeIndex) -> Option<Span> {
        self.graph.node_weight(node).map(|n| n.occurrence)
    }

    /// The nodes that may come right after `node`, sorted by step, then node.
    pub fn successors(&self, node: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.succ_of(node.index())
            .iter()
            .map(|&(_, v)| NodeIndex::new(v as usize))
    }

    /// The edges out of `node` with their simulation weights, in (target) order.
    pub fn outgoing(&self, node: NodeIndex) -> Vec<(NodeIndex, Option<f64>)> {
        let mut out: Vec<_> = self
            .graph
            .edges(node)
            .map(|e| {
                use petgraph::visit::EdgeRef;
                (e.target(), e.weight().weight)
            })
            .collect();
        out.sort_by_key(|(n, _)| *n);
        out
    }

    /// True when the journey may end at `node` (the path is complete there).
    pub fn is_accepting(&self, node: NodeIndex) -> bool {
        self.accepting.get(node.index()).copied().unwrap_or(false)
    }

    /// Every node that is an occurrence of `step`, in construction order.
    pub fn nodes_of(&self, step: StepId) -> &[NodeIndex] {
        self.by_step.get(step.index()).map_or(&[], Vec::as_slice)
    }

    /// The active set before the customer's first step: just the start node.
    pub fn initial(&self) -> Vec<u32> {
        vec![0]
    }

    /// One NFA step: the nodes reachable from the sorted, deduplicated active set
    /// `from` by reading `step`, sorted and deduplicated. Empty: the path does not
    /// allow `step` here.
    pub fn advance(&self, from: &[NodeIndex], step: StepId) -> Vec<NodeIndex> {
        let from: Vec<u32> = from.iter().map(|n| n.index() as u32).collect();
        let mut out = Vec::new();
        self.advance_into(&from, step, &mut out);
        out.into_iter()
            .map(|n| NodeIndex::new(n as usize))
            .collect()
    }

    /// [`advance`](Self::advance) on raw node indices, writing into `out` (cleared
    /// first) so the evaluator's hot loop allocates nothing once `out` has grown.
    pub fn advance_into<S: NodeSet>(&self, from: &[u32], step: StepId, out: &mut S) {
        out.clear();
        // Mostly one node with one successor by `step`: no search, no sort.
        if let [u] = from {
            let succ = self.succ_of(*u as usize);
            if succ.len() <= 8 {
                for &(s, v) in succ {
                    if s == step {
                        out.push(v);
                    }
                }
                return;
            }
        }
        for &u in from {
            let succ = self.succ_of(u as usize);
            let lo = succ.partition_point(|&(s, _)| s < step);
            out.extend(
                succ[lo..]
                    .iter()
                    .take_while(|&&(s, _)| s == step)
                    .map(|&(_, v)| v),
            );
        }
        if from.len() > 1 {
            out.sort_dedup();
        }
    }

    /// True when the whole sequence `steps` is a complete path of the journey.
    pub fn accepts(&self, steps: &[StepId]) -> bool {
        let mut active = self.initial();
        let mut next = Vec::new();
        for &step in steps {
            self.advance_into(&active, step, &mut next);
            std::mem::swap(&mut active, &mut next);
            if active.is_empty() {
                return false;
            }
        }
        active.iter().any(|&n| self.accepting[n as usize])
    }

    /// True when, from `node`, a path of one edge or more reaches an occurrence of `step`.
    pub fn reaches(&self, node: NodeIndex, step: StepId) -> bool {
        let i = step.index();
        i < self.step_count
            && self
                .reach
                .get(node.index() * self.words + i / 64)
                .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// True when some complete path has an `a` somewhere before a `b`.
    ///
    /// Every node of a compiled graph lies on a complete path (the construction
    /// only makes reachable nodes, and each can finish), so this is: some
    /// occurrence of `a` reaches an occurrence of `b`.
    pub fn can_precede(&self, a: StepId, b: StepId) -> bool {
        self.nodes_of(a).iter().any(|&n| self.reaches(n, b))
    }

    /// True when a complete path goes on from `node` (it is accepting, or leads to
    /// an accepting node).
    pub fn can_finish(&self, node: NodeIndex) -> bool {
        self.finish.get(node.index()).copied().unwrap_or(false)
    }
}

//! Detours: where a customer who did a step the path does not allow next is
//! taken to be, and which steps they skipped on the way. The evaluator names the
//! skipped steps in `unexpected_step` and re-synchronises to the targets.

use super::graph::JourneyGraph;
use super::{NodeIndex, StepId};

/// The nearest way from an active set to an occurrence of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detour {
    /// The steps strictly between the active set and the step, in order, on one
    /// shortest path (the first found, so deterministic); empty when the step may
    /// come next.
    pub skipped: Vec<StepId>,
    /// Every occurrence of the step at that shortest distance, sorted: the active
    /// set after the step.
    pub targets: Vec<NodeIndex>,
}

impl JourneyGraph {
    /// The nearest occurrences of `step` from the active set `from` (breadth
    /// first, layer by layer), and the steps skipped to get there; `None` when no
    /// path from `from` leads to `step`.
    pub fn detour(&self, from: &[NodeIndex], step: StepId) -> Option<Detour> {
        let n = self.node_count();
        let mut parent: Vec<Option<u32>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut layer: Vec<u32> = Vec::new();
        for u in from.iter().map(|u| u.index()).filter(|&u| u < n) {
            if !seen[u] {
                seen[u] = true;
                // Node counts are bounded by MAX_NODES, far below u32::MAX.
                layer.push(u as u32);
            }
        }
        while !layer.is_empty() {
            if let Some(detour) = self.arrive(&layer, &parent, step) {
                return Some(detour);
            }
            let mut next = Vec::new();
            for &u in &layer {
                for &(_, v) in self.succ_of(u as usize) {
                    if !seen[v as usize] {
                        seen[v as usize] = true;
                        parent[v as usize] = Some(u);
                        next.push(v);
                    }
                }
            }
            layer = next;
        }
        None
    }

    /// The detour ending with one edge from `layer` into `step`, if any.
    fn arrive(&self, layer: &[u32], parent: &[Option<u32>], step: StepId) -> Option<Detour> {
        let mut via = None;
        let mut targets = Vec::new();
        for &u in layer {
            for &(s, v) in self.succ_of(u as usize) {
                if s == step {
                    via.get_or_insert(u);
                    targets.push(v);
                }
            }
        }
        let via = via?;
        targets.sort_unstable();
        targets.dedup();
        Some(Detour {
            skipped: self.skipped(parent, via),
            targets: targets
                .into_iter()
                .map(|v| NodeIndex::new(v as usize))
                .collect(),
        })
    }

    /// The steps on the breadth-first tree path ending at `node`, roots excluded.
    fn skipped(&self, parent: &[Option<u32>], mut node: u32) -> Vec<StepId> {
        let mut steps = Vec::new();
        while let Some(p) = parent.get(node as usize).copied().flatten() {
            steps.extend(self.node_step(node as usize));
            node = p;
        }
        steps.reverse();
        steps
    }

    /// The fewest steps the customer skipped to get from the active set `from` to
    /// the next occurrence of `step`: the steps strictly between, in order; empty
    /// when `step` may come next; `None` when no path leads to `step`.
    pub fn shortest_path_to(&self, from: &[NodeIndex], step: StepId) -> Option<Vec<StepId>> {
        self.detour(from, step).map(|d| d.skipped)
    }

    /// Where a customer who just did `step` from the active set `from` is taken
    /// to be: the nearest occurrences of `step` ahead of them, or, when none is
    /// ahead (a step repeated out of order, going back), every occurrence of
    /// `step`. Empty only for a step that is not on the path at all.
    pub fn resync(&self, from: &[NodeIndex], step: StepId) -> Vec<NodeIndex> {
        match self.detour(from, step) {
            Some(d) => d.targets,
            None => self.nodes_of(step).to_vec(),
        }
    }
}

//! [`Dfa`]: an optional determinised form of a [`JourneyGraph`], for the
//! evaluator's fast path: one table lookup per event instead of a set update.
//!
//! Built by the subset construction from the start node, breadth first, so state
//! ids follow discovery order and are deterministic. Each state remembers its set
//! of graph nodes, so the evaluator can drop back to the graph (detours,
//! re-synchronisation) at any time. A path with many `&` or overlapping
//! alternatives can have exponentially many subsets: construction stops at the
//! caller's bound and returns `None`, and the evaluator then uses
//! [`JourneyGraph::advance_into`] directly.

use super::graph::JourneyGraph;
use super::StepId;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// A deterministic automaton over the steps of one journey.
#[derive(Debug, Clone)]
pub struct Dfa {
    step_count: usize,
    /// `trans[state * step_count + step]`: the next state, or [`Dfa::DEAD`].
    trans: Vec<u32>,
    accepting: Vec<bool>,
    /// The graph nodes each state stands for, sorted.
    sets: Vec<Vec<u32>>,
}

impl Dfa {
    /// The transition target meaning "the path does not allow this step here".
    pub const DEAD: u32 = u32::MAX;

    /// The state before the first step (the set holding only the start node).
    pub fn start(&self) -> u32 {
        0
    }

    /// How many states.
    pub fn state_count(&self) -> usize {
        self.sets.len()
    }

    /// The state after `step` from `state`; `None` when the path does not allow it.
    pub fn next(&self, state: u32, step: StepId) -> Option<u32> {
        if step.index() >= self.step_count {
            return None;
        }
        let i = (state as usize).checked_mul(self.step_count)? + step.index();
        self.trans.get(i).copied().filter(|&t| t != Self::DEAD)
    }

    /// True when the journey may end in `state`.
    pub fn is_accepting(&self, state: u32) -> bool {
        self.accepting.get(state as usize).copied().unwrap_or(false)
    }

    /// The graph nodes `state` stands for, sorted (raw indices, as
    /// [`JourneyGraph::advance_into`] takes them).
    pub fn nodes(&self, state: u32) -> &[u32] {
        self.sets.get(state as usize).map_or(&[], Vec::as_slice)
    }

    /// True when the whole sequence `steps` is a complete path.
    pub fn accepts(&self, steps: &[StepId]) -> bool {
        let mut state = self.start();
        for &s in steps {
            match self.next(state, s) {
                Some(t) => state = t,
                None => return false,
            }
        }
        self.is_accepting(state)
    }
}

impl JourneyGraph {
    /// Determinise the graph by the subset construction; `None` when it would
    /// need more than `max_states` states.
    pub fn determinize(&self, max_states: usize) -> Option<Dfa> {
        let n_steps = self.step_count();
        let mut ids: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
        let mut dfa = Dfa {
            step_count: n_steps,
            trans: Vec::new(),
            accepting: Vec::new(),
            sets: Vec::new(),
        };
        let mut queue = VecDeque::new();
        let start = self.initial();
        ids.insert(start.clone(), 0);
        dfa.accepting.push(self.set_accepts(&start));
        dfa.sets.push(start);
        queue.push_back(0u32);
        let mut next = Vec::new();
        while let Some(state) = queue.pop_front() {
            let from = dfa.sets.get(state as usize)?.clone();
            for step in 0..n_steps {
                // Step tables are far smaller than u32::MAX entries.
                self.advance_into(&from, StepId(step as u32), &mut next);
                let target = if next.is_empty() {
                    Dfa::DEAD
                } else if let Some(&id) = ids.get(&next) {
                    id
                } else {
                    if dfa.sets.len() >= max_states {
                        return None;
                    }
                    let id = dfa.sets.len() as u32;
                    ids.insert(next.clone(), id);
                    dfa.accepting.push(self.set_accepts(&next));
                    dfa.sets.push(next.clone());
                    queue.push_back(id);
                    id
                };
                dfa.trans.push(target);
            }
        }
        Some(dfa)
    }

    fn set_accepts(&self, nodes: &[u32]) -> bool {
        nodes
            .iter()
            .any(|&n| self.is_accepting(petgraph::graph::NodeIndex::new(n as usize)))
    }
}

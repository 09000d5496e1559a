//! The map's layered layout, computed without a layout engine so that it is
//! the same on every machine.
//!
//! 1. **Ranks.** A depth-first walk from the start over the step transitions,
//!    successors in declaration order, marks the edges that close a cycle
//!    (repeats, `&` interleavings); the rest is acyclic, and a step's rank is
//!    its longest distance from the start there: path order.
//! 2. **Columns.** Stages in declaration order (steps outside every stage
//!    last), and within a stage one column per rank its steps use.
//! 3. **Rows.** In a column, frontstage steps stack upwards from the line of
//!    visibility and backstage steps downwards from it, in declaration order.

use super::Transition;
use crate::compile::{CompiledJourney, StepId};
use std::collections::{BTreeMap, BTreeSet};

/// Where one step is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Its column, from 0 at the left.
    pub column: usize,
    /// Its row on its side of the line: 0 is next to the line.
    pub row: usize,
    /// Below the line of visibility.
    pub backstage: bool,
    /// Its rank: the longest distance from the start in path order.
    pub rank: usize,
}

/// A computed layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Per step, indexed by [`StepId`].
    pub places: Vec<Place>,
    /// The number of columns.
    pub columns: usize,
    /// The most frontstage steps in one column.
    pub front_rows: usize,
    /// The most backstage steps in one column.
    pub back_rows: usize,
}

/// Lay out the steps of `journey` whose transitions are `edges`.
pub fn layout(journey: &CompiledJourney, edges: &BTreeSet<Transition>) -> Layout {
    let n = journey.steps.len();
    let ranks = ranks(n, edges);
    let stage_of = |i: usize| {
        journey.steps[i]
            .stage
            .filter(|&s| s < journey.stages.len())
            .unwrap_or(journey.stages.len())
    };
    let keys: BTreeSet<(usize, usize)> = (0..n).map(|i| (stage_of(i), ranks[i])).collect();
    let column_of: BTreeMap<(usize, usize), usize> =
        keys.into_iter().enumerate().map(|(c, k)| (k, c)).collect();
    let columns = column_of.len();
    let mut used = vec![[0usize; 2]; columns];
    let mut places = Vec::with_capacity(n);
    for (i, step) in journey.steps.iter().enumerate() {
        let column = column_of
            .get(&(stage_of(i), ranks[i]))
            .copied()
            .unwrap_or(0);
        let side = &mut used[column][usize::from(step.backstage)];
        places.push(Place {
            column,
            row: *side,
            backstage: step.backstage,
            rank: ranks[i],
        });
        *side += 1;
    }
    Layout {
        places,
        columns,
        front_rows: used.iter().map(|u| u[0]).max().unwrap_or(0),
        back_rows: used.iter().map(|u| u[1]).max().unwrap_or(0),
    }
}

/// Each step's rank: its longest distance from the start over the
/// transitions that close no cycle (from 1; steps the start never reaches
/// count from their own predecessors, or are 1).
fn ranks(n: usize, edges: &BTreeSet<Transition>) -> Vec<usize> {
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    // Node 0 is the start, node i + 1 is step i; `edges` is sorted, so each
    // list is in declaration order.
    let node = |s: Option<StepId>| s.map_or(0, |s| s.index() + 1);
    for &(from, to) in edges {
        if to.index() < n {
            succ[node(from)].push(to.index() + 1);
        }
    }
    let back = back_edges(&succ);
    let mut indegree = vec![0usize; n + 1];
    for (u, list) in succ.iter().enumerate() {
        for &v in list {
            if !back.contains(&(u, v)) {
                indegree[v] += 1;
            }
        }
    }
    let mut rank = vec![0usize; n + 1];
    let mut ready: BTreeSet<usize> = (0..=n).filter(|&v| indegree[v] == 0).collect();
    while let Some(u) = ready.pop_first() {
        for &v in &succ[u] {
            if back.contains(&(u, v)) {
                continue;
            }
            rank[v] = rank[v].max(rank[u] + 1);
            indegree[v] -= 1;
            if indegree[v] == 0 {
                ready.insert(v);
            }
        }
    }
    rank.iter().skip(1).map(|&r| r.max(1)).collect()
}

/// The edges a depth-first walk from the start (then from every node not yet
/// seen, in order) finds closing a cycle. Iterative: a 4096-step chain must
/// not overflow the stack.
fn back_edges(succ: &[Vec<usize>]) -> BTreeSet<(usize, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; succ.len()];
    let mut back = BTreeSet::new();
    for root in 0..succ.len() {
        if mark[root] != Mark::New {
            continue;
        }
        mark[root] = Mark::Open;
        let mut stack = vec![(root, 0usize)];
        while let Some((u, i)) = stack.pop() {
            let Some(&v) = succ[u].get(i) else {
                mark[u] = Mark::Done;
                continue;
            };
            stack.push((u, i + 1));
            match mark[v] {
                Mark::New => {
                    mark[v] = Mark::Open;
                    stack.push((v, 0));
                }
                Mark::Open => {
                    back.insert((u, v));
                }
                Mark::Done => {}
            }
        }
    }
    back
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(list: &[(Option<u32>, u32)]) -> BTreeSet<Transition> {
        list.iter()
            .map(|&(a, b)| (a.map(StepId), StepId(b)))
            .collect()
    }

    #[test]
    fn a_chain_ranks_in_path_order() {
        let e = edges(&[(None, 0), (Some(0), 1), (Some(1), 2)]);
        assert_eq!(ranks(3, &e), vec![1, 2, 3]);
    }

    #[test]
    fn a_loop_back_does_not_push_steps_right() {
        // a -> (b -> c)* -> d: the c -> b edge closes a cycle.
        let e = edges(&[
            (None, 0),
            (Some(0), 1),
            (Some(0), 3),
            (Some(1), 2),
            (Some(2), 1),
            (Some(2), 3),
        ]);
        assert_eq!(ranks(4, &e), vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_step_the_start_never_reaches_still_gets_a_rank() {
        let e = edges(&[(None, 0)]);
        assert_eq!(ranks(2, &e), vec![1, 1]);
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let n = 5000u32;
        let mut list = vec![(None, 0)];
        list.extend((1..n).map(|i| (Some(i - 1), i)));
        let r = ranks(n as usize, &edges(&list));
        assert_eq!(r.last(), Some(&(n as usize)));
    }
}

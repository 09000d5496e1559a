//! The product construction for `a & b`: every interleaving of a word of `a`
//! with a word of `b`, as a Glushkov fragment again, so that `&` nests inside
//! every other operator. See the module docs of [`super`] for why it is sound.

use super::automaton::{Arc, Entry, Fragment, Limits, Position, TooLarge};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// One side of a product: state 0 is the side's start, state `i + 1` its position `i`.
struct Side<'a> {
    fragment: &'a Fragment,
    /// Successors of each state, with weights.
    succ: Vec<Vec<(u32, Option<f64>)>>,
    /// Whether the side may stop in each state.
    done: Vec<bool>,
}

impl<'a> Side<'a> {
    fn new(fragment: &'a Fragment) -> Side<'a> {
        let n = fragment.positions.len();
        let mut succ = vec![Vec::new(); n + 1];
        let mut done = vec![false; n + 1];
        done[0] = fragment.nullable;
        for f in &fragment.first {
            succ[0].push((f.pos + 1, f.weight));
        }
        for e in &fragment.edges {
            succ[e.from as usize + 1].push((e.to + 1, e.weight));
        }
        for &l in &fragment.last {
            done[l as usize + 1] = true;
        }
        Side {
            fragment,
            succ,
            done,
        }
    }

    fn position(&self, state: u32) -> Position {
        // INVARIANT: a side moved into `state`, so `state >= 1` names a position.
        self.fragment.positions[state as usize - 1]
    }
}

/// Which side of a product moved last, and so labels the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Moved {
    Left,
    Right,
}

/// The product under construction: nodes keyed by (left state, right state, side).
struct Product<'a> {
    left: Side<'a>,
    right: Side<'a>,
    ids: FxHashMap<(u32, u32, Moved), u32>,
    keys: Vec<(u32, u32)>,
    out: Fragment,
    queue: VecDeque<u32>,
    limits: &'a Limits,
}

impl Product<'_> {
    fn visit(&mut self, l: u32, r: u32, moved: Moved) -> Result<u32, TooLarge> {
        if let Some(&id) = self.ids.get(&(l, r, moved)) {
            return Ok(id);
        }
        let id = self.out.positions.len();
        self.limits.nodes(id + 1)?;
        let position = match moved {
            Moved::Left => self.left.position(l),
            Moved::Right => self.right.position(r),
        };
        self.out.positions.push(position);
        self.keys.push((l, r));
        // `id` is bounded by the node limit, far below u32::MAX.
        let id = id as u32;
        self.ids.insert((l, r, moved), id);
        self.queue.push_back(id);
        if self.left.done[l as usize] && self.right.done[r as usize] {
            self.out.last.push(id);
        }
        Ok(id)
    }

    /// All moves from the product state (l, r): (target id, weight).
    fn moves(&mut self, l: u32, r: u32) -> Result<Vec<(u32, Option<f64>)>, TooLarge> {
        let mut moves = Vec::new();
        for i in 0..self.left.succ[l as usize].len() {
            let (next, weight) = self.left.succ[l as usize][i];
            moves.push((self.visit(next, r, Moved::Left)?, weight));
        }
        for i in 0..self.right.succ[r as usize].len() {
            let (next, weight) = self.right.succ[r as usize][i];
            moves.push((self.visit(l, next, Moved::Right)?, weight));
        }
        Ok(moves)
    }
}

/// `a & b`: every interleaving of a word of `a` with a word of `b`.
///
/// Product nodes are (left state, right state, side that moved last), built
/// breadth-first from (start, start), so only reachable nodes exist; each node
/// carries the step of the side that moved into it (the Glushkov property).
pub(crate) fn interleave(
    a: &Fragment,
    b: &Fragment,
    limits: &Limits,
) -> Result<Fragment, TooLarge> {
    let mut p = Product {
        left: Side::new(a),
        right: Side::new(b),
        ids: FxHashMap::default(),
        keys: Vec::new(),
        out: Fragment::default(),
        queue: VecDeque::new(),
        limits,
    };
    for (to, weight) in p.moves(0, 0)? {
        p.out.first.push(Entry { pos: to, weight });
    }
    while let Some(id) = p.queue.pop_front() {
        let (l, r) = p.keys[id as usize];
        for (to, weight) in p.moves(l, r)? {
            limits.edges(p.out.edges.len() + 1)?;
            p.out.edges.push(Arc {
                from: id,
                to,
                weight,
            });
        }
    }
    p.out.nullable = a.nullable && b.nullable;
    Ok(p.out)
}

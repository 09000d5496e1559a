//! Glushkov fragments: the pure, compositional construction of a journey's
//! position automaton from a [`PathExpr`].
//!
//! A [`Fragment`] is the automaton of one sub-expression without its start node:
//! its positions (one per step occurrence, each labelled with one step), its
//! internal edges, its `first` set (positions that can begin a word, each with
//! the weight of the weighted alternatives that choose it), its `last` set
//! (positions that can end a word), and whether it accepts the empty word.
//! Operators combine fragments (`&` is in [`super::product`]);
//! [`super::graph::JourneyGraph`] adds the start node. Every combinator checks [`Limits`] before it allocates, so a huge
//! `{m,n}` or `&` fails fast with [`TooLarge`] instead of exhausting memory.

use super::StepId;
use crate::diagnostic::Span;

/// One position of a fragment: a step occurrence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Position {
    /// The step read when entering this position.
    pub step: StepId,
    /// Where the occurrence was written in the path.
    pub span: Span,
}

/// An edge between two positions of a fragment, with its simulation weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Arc {
    pub from: u32,
    pub to: u32,
    pub weight: Option<f64>,
}

/// A position that can begin a word of the fragment, with the weight of entering it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    pub pos: u32,
    pub weight: Option<f64>,
}

/// The automaton of one sub-expression, without a start node.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fragment {
    pub positions: Vec<Position>,
    pub edges: Vec<Arc>,
    pub first: Vec<Entry>,
    pub last: Vec<u32>,
    pub nullable: bool,
}

/// Why a construction was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TooLarge {
    /// More positions than [`Limits::positions`].
    Nodes,
    /// More edges than [`Limits::edges`].
    Edges,
}

/// Size bounds every combinator enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most positions in one fragment (the graph adds one start node).
    pub positions: usize,
    /// Most edges in one fragment (the graph adds the start edges).
    pub edges: usize,
}

impl Limits {
    /// Refuse more than the allowed positions.
    pub(crate) fn nodes(&self, n: usize) -> Result<(), TooLarge> {
        if n > self.positions {
            Err(TooLarge::Nodes)
        } else {
            Ok(())
        }
    }

    /// Refuse more than the allowed edges.
    pub(crate) fn edges(&self, n: usize) -> Result<(), TooLarge> {
        if n > self.edges {
            Err(TooLarge::Edges)
        } else {
            Ok(())
        }
    }
}

/// Combine two optional weights: the product of those given.
pub(crate) fn combine(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x * y),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Position `n` of a fragment appended at `offset`.
pub(crate) fn shift(n: u32, offset: usize) -> u32 {
    // INVARIANT: fragments hold at most `Limits::positions` (< u32::MAX) positions.
    n + offset as u32
}

impl Fragment {
    /// The fragment of the empty word: no positions, nullable.
    pub fn empty() -> Fragment {
        Fragment {
            nullable: true,
            ..Fragment::default()
        }
    }

    /// The fragment of one step occurrence.
    pub fn step(step: StepId, span: Span) -> Fragment {
        Fragment {
            positions: vec![Position { step, span }],
            edges: Vec::new(),
            first: vec![Entry {
                pos: 0,
                weight: None,
            }],
            last: vec![0],
            nullable: false,
        }
    }

    /// Append `other`'s positions and edges, shifted; returns the offset used.
    fn absorb(&mut self, other: &Fragment) -> usize {
        let offset = self.positions.len();
        self.positions.extend_from_slice(&other.positions);
        self.edges.extend(other.edges.iter().map(|e| Arc {
            from: shift(e.from, offset),
            to: shift(e.to, offset),
            weight: e.weight,
        }));
        offset
    }

    /// Add an edge from every last position to every first position.
    fn close_loop(&mut self, limits: &Limits) -> Result<(), TooLarge> {
        limits.edges(self.edges.len() + self.last.len() * self.first.len())?;
        for &l in &self.last {
            for f in &self.first {
                self.edges.push(Arc {
                    from: l,
                    to: f.pos,
                    weight: f.weight,
                });
            }
        }
        dedup_edges(&mut self.edges);
        Ok(())
    }
}

/// Sort edges by (from, to) and drop repeats, keeping the first weight seen.
pub(crate) fn dedup_edges(edges: &mut Vec<Arc>) {
    edges.sort_by_key(|e| (e.from, e.to));
    edges.dedup_by_key(|e| (e.from, e.to));
}

/// `a -> b`.
pub(crate) fn seq(mut a: Fragment, b: &Fragment, limits: &Limits) -> Result<Fragment, TooLarge> {
    limits.nodes(a.positions.len() + b.positions.len())?;
    limits.edges(a.edges.len() + b.edges.len() + a.last.len() * b.first.len())?;
    let offset = a.absorb(b);
    for &l in &a.last {
        for f in &b.first {
            a.edges.push(Arc {
                from: l,
                to: shift(f.pos, offset),
                weight: f.weight,
            });
        }
    }
    if a.nullable {
        a.first.extend(b.first.iter().map(|f| Entry {
            pos: shift(f.pos, offset),
            weight: f.weight,
        }));
    }
    let b_last = b.last.iter().map(|&l| shift(l, offset));
    a.last = if b.nullable {
        a.last.iter().copied().chain(b_last).collect()
    } else {
        b_last.collect()
    };
    a.nullable &= b.nullable;
    Ok(a)
}

/// `a | b | ...`, each branch with its weight as a fraction (`80%` is `0.8`).
pub(crate) fn alt(
    branches: Vec<(Fragment, Option<f64>)>,
    limits: &Limits,
) -> Result<Fragment, TooLarge> {
    if branches.is_empty() {
        // Not produced by the parser; the empty word is the graceful reading.
        return Ok(Fragment::empty());
    }
    let total: usize = branches.iter().map(|(f, _)| f.positions.len()).sum();
    limits.nodes(total)?;
    limits.edges(branches.iter().map(|(f, _)| f.edges.len()).sum())?;
    let mut out = Fragment::default();
    for (branch, weight) in &branches {
        let offset = out.absorb(branch);
        out.first.extend(branch.first.iter().map(|f| Entry {
            pos: shift(f.pos, offset),
            weight: combine(f.weight, *weight),
        }));
        out.last
            .extend(branch.last.iter().map(|&l| shift(l, offset)));
        out.nullable |= branch.nullable;
    }
    Ok(out)
}

/// `a?`.
pub(crate) fn optional(mut a: Fragment) -> Fragment {
    a.nullable = true;
    a
}

/// `a*`.
pub(crate) fn star(mut a: Fragment, limits: &Limits) -> Result<Fragment, TooLarge> {
    a.close_loop(limits)?;
    a.nullable = true;
    Ok(a)
}

/// `a+`.
pub(crate) fn plus(mut a: Fragment, limits: &Limits) -> Result<Fragment, TooLarge> {
    a.close_loop(limits)?;
    Ok(a)
}

/// `a{min,max}` (`max` of `None`: no upper bound), by copying `a`:
/// `a{m,n}` is `m` copies of `a` followed by `(a (a (…)?)?)?` nested `n - m` deep,
/// which keeps the first set small (deterministic when `a` is); `a{m,}` is `m`
/// copies followed by `a*`. A `max` below `min` is read as `min`. A nullable `a`
/// can stand in for its own absence, so then `a{m,n}` is built as `a{0,n}` and
/// `a{m,}` as `a*`: the same language, without the quadratic edges a chain of
/// nullable copies would add.
pub(crate) fn repeat(
    a: &Fragment,
    min: u32,
    max: Option<u32>,
    limits: &Limits,
) -> Result<Fragment, TooLarge> {
    let max = max.map(|m| m.max(min));
    if a.positions.is_empty() {
        // Copies of the empty word are the empty word.
        return Ok(Fragment::empty());
    }
    let min = if a.nullable { 0 } else { min };
    let copies = u64::from(max.unwrap_or(min.saturating_add(1)));
    let size = (a.positions.len() as u64).saturating_mul(copies);
    if size > limits.positions as u64 {
        return Err(TooLarge::Nodes);
    }
    let tail = match max {
        None => star(a.clone(), limits)?,
        Some(max) => optional_chain(a, max - min, limits)?,
    };
    let mut out = Fragment::empty();
    for _ in 0..min {
        out = seq(out, a, limits)?;
    }
    seq(out, &tail, limits)
}

/// `(a (a (…)?)?)?` with `k` copies `C1..Ck` of `a`, built in linear time:
/// edges last(Ci) × first(Ci+1), first = first(C1), last = every last(Ci),
/// nullable. For a non-nullable `a` these are exactly the nested Glushkov rules.
/// For a nullable `a` the nested rules would also let a copy be skipped (edges
/// to later copies, and their first positions in first); any word spelled that
/// way is also spelled by consecutive copies, as copies are identical, so the
/// language is the same and the graph stays small.
fn optional_chain(a: &Fragment, k: u32, limits: &Limits) -> Result<Fragment, TooLarge> {
    let k = k as usize;
    let n = a.positions.len();
    if k == 0 {
        return Ok(Fragment::empty());
    }
    limits.nodes(n * k)?;
    let cross = a.last.len() * a.first.len();
    limits.edges((a.edges.len() + cross).saturating_mul(k))?;
    let mut out = Fragment::empty();
    for i in 0..k {
        let offset = out.absorb(a);
        if i + 1 < k {
            for &l in &a.last {
                for f in &a.first {
                    let (from, to) = (shift(l, offset), shift(f.pos, offset + n));
                    out.edges.push(Arc {
                        from,
                        to,
                        weight: f.weight,
                    });
                }
            }
        }
        out.last.extend(a.last.iter().map(|&l| shift(l, offset)));
    }
    out.first = a.first.clone();
    Ok(out)
}

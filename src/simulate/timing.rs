//! Time in an ideal trace. [`Tracker`] follows the time limits the evaluator
//! would open and close along a sequence of steps, and collects every interval
//! that must stay within a limit: `(from, to, seconds)` over event indices. Those
//! intervals are exactly the evaluator's checks: an open `within`/`warn after`
//! (one activation per anchor occurrence, the oldest fulfilled first) must not
//! pass its deadline before any event while its target can still come; a `J.*`
//! limit is checked at every step against the latest earlier anchor; and no gap
//! may reach the journey's `abandon after`.
//!
//! [`durations`] then draws each gap from the step's `takes min..max` (default:
//! 2 minutes to 6 hours) and shrinks the gaps inside any interval that is too
//! long until each interval uses at most 90% of its limit. Limits win over
//! `takes`: an ideal trace meets every time limit.

use super::plan::Limit;
use super::rng::Rng;
use crate::compile::{AnchorRef, JourneyGraph, NodeIndex, StepId};
use crate::eval::FindingKind;

/// Default gap before a step without `takes`: 2 minutes to 6 hours.
const DEFAULT_TAKES: (u64, u64) = (120, 6 * 3600);

/// Share of a limit an ideal trace uses at most.
const MARGIN: f64 = 0.9;

/// An interval of event indices `(from, to)` that must last at most `limit` seconds.
pub(crate) type Constraint = (usize, usize, u64);

/// Follows open time limits along a sequence of steps.
pub(crate) struct Tracker<'a> {
    limits: &'a [Limit],
    /// Open activations: (limit index, event index of the anchor).
    pending: Vec<(usize, usize)>,
    /// Event index of the latest occurrence of each step.
    last_seen: Vec<Option<usize>>,
    /// Intervals that must stay within their limits.
    pub constraints: Vec<Constraint>,
    /// For each constraint: the limit, and whether the event at its end is the
    /// limit's target (which then fulfils it, late if the interval is too long).
    pub tags: Vec<(usize, bool)>,
    /// How many events so far.
    pub len: usize,
}

impl<'a> Tracker<'a> {
    pub(crate) fn new(limits: &'a [Limit], steps: usize) -> Tracker<'a> {
        Tracker {
            limits,
            pending: Vec::new(),
            last_seen: vec![None; steps],
            constraints: Vec::new(),
            tags: Vec::new(),
            len: 0,
        }
    }

    /// The next event is `step`; `before` is the evaluator's active node set
    /// before it.
    pub(crate) fn push(&mut self, graph: &JourneyGraph, before: &[u32], step: StepId) {
        let k = self.len;
        if k == 0 {
            for (i, l) in self.limits.iter().enumerate() {
                if l.target.is_some() && l.anchor == AnchorRef::JourneyStart {
                    self.pending.push((i, 0));
                }
            }
        }
        // Open limits whose target can still come must not pass before this event.
        for &(i, a) in &self.pending {
            let l = &self.limits[i];
            if l.target.is_some_and(|t| reaches(graph, before, t)) {
                self.constraints.push((a, k, l.limit));
                self.tags.push((i, l.target == Some(step)));
            }
        }
        // The step fulfils the oldest open activation of each limit on it.
        for (i, l) in self.limits.iter().enumerate() {
            if l.target == Some(step) {
                if let Some(p) = self.pending.iter().position(|&(x, _)| x == i) {
                    self.pending.remove(p);
                }
            }
        }
        // `J.*` limits: since the latest earlier anchor.
        for (i, l) in self.limits.iter().enumerate() {
            if l.target.is_some() {
                continue;
            }
            let from = match l.anchor {
                AnchorRef::JourneyStart => Some(0),
                AnchorRef::Step(a) if a == step => None,
                AnchorRef::Step(a) => self.last_seen.get(a.index()).copied().flatten(),
            };
            if let Some(from) = from {
                self.constraints.push((from, k, l.limit));
                self.tags.push((i, false));
            }
        }
        if let Some(slot) = self.last_seen.get_mut(step.index()) {
            *slot = Some(k);
        }
        for (i, l) in self.limits.iter().enumerate() {
            if l.anchor == AnchorRef::Step(step) && l.target.is_some() && l.target != Some(step) {
                self.pending.push((i, k));
            }
        }
        self.len += 1;
    }

    /// The target of the oldest open limit that can still come from `positions`.
    pub(crate) fn waiting_for(&self, graph: &JourneyGraph, positions: &[u32]) -> Option<StepId> {
        self.pending
            .iter()
            .filter_map(|&(i, _)| self.limits[i].target)
            .find(|&t| reaches(graph, positions, t))
    }

    /// True when stopping at `positions` leaves no open limit whose target can
    /// still come (it would be reported as stalled).
    pub(crate) fn can_stop(&self, graph: &JourneyGraph, positions: &[u32]) -> bool {
        self.pending.iter().all(|&(i, _)| {
            self.limits[i]
                .target
                .is_none_or(|t| !reaches(graph, positions, t))
        })
    }
}

/// The time-limit findings a sequence of steps at `times` (seconds) gets, with
/// the evaluator's way of following a customer who leaves the path: a
/// `within` whose deadline passes with its target still to come is `stalled`,
/// and `sla_breach` when the target comes; a `warn after` is `sla_warning`; a
/// `J.*` limit is `sla_breach` (or `sla_warning`) at the step that is too late.
pub(crate) fn late_kinds(
    limits: &[Limit],
    graph: &JourneyGraph,
    steps: &[StepId],
    times: &[i64],
) -> Vec<FindingKind> {
    let mut tracker = Tracker::new(limits, graph.step_count());
    let mut positions = graph.initial();
    let mut next = Vec::new();
    let mut seen = vec![false; graph.step_count()];
    for &step in steps {
        tracker.push(graph, &positions, step);
        graph.advance_into(&positions, step, &mut next);
        if !next.is_empty() {
            std::mem::swap(&mut positions, &mut next);
        } else {
            // As the evaluator does: a step the path cannot repeat leaves the
            // customer where they are; any other step out of order re-synchronises
            // at every occurrence of that step.
            let from: Vec<NodeIndex> = positions
                .iter()
                .map(|&n| NodeIndex::new(n as usize))
                .collect();
            let repeat = graph.shortest_path_to(&from, step).is_none()
                && seen.get(step.index()).copied().unwrap_or(false);
            if !repeat {
                positions = graph
                    .nodes_of(step)
                    .iter()
                    .map(|n| n.index() as u32)
                    .collect();
            }
        }
        if let Some(s) = seen.get_mut(step.index()) {
            *s = true;
        }
    }
    let mut kinds = Vec::new();
    for (&(from, to, limit), &(i, fulfils)) in tracker.constraints.iter().zip(&tracker.tags) {
        let (Some(a), Some(b)) = (times.get(from), times.get(to)) else {
            continue;
        };
        if b - a <= limit as i64 {
            continue;
        }
        let l = &limits[i];
        let found: &[FindingKind] = match (l.target.is_some(), l.warn) {
            (_, true) => &[FindingKind::SlaWarning],
            (true, false) if fulfils => &[FindingKind::Stalled, FindingKind::SlaBreach],
            (true, false) => &[FindingKind::Stalled],
            (false, false) => &[FindingKind::SlaBreach],
        };
        for kind in found {
            if !kinds.contains(kind) {
                kinds.push(*kind);
            }
        }
    }
    // A limit still open at the end, its target still possible, stalls there.
    if !tracker.can_stop(graph, &positions) && !kinds.contains(&FindingKind::Stalled) {
        kinds.push(FindingKind::Stalled);
    }
    kinds.sort();
    kinds
}

/// True when `step` can come next or later from one of `nodes`.
pub(crate) fn reaches(graph: &JourneyGraph, nodes: &[u32], step: StepId) -> bool {
    nodes
        .iter()
        .any(|&n| graph.reaches(NodeIndex::new(n as usize), step))
}

/// Gaps in seconds before each event (the first is 0), drawn from `takes` and
/// shrunk until every constraint holds with a margin.
pub(crate) fn durations(
    takes: &[Option<(u64, u64)>],
    constraints: &[Constraint],
    abandon_after: Option<u64>,
    rng: &mut Rng,
) -> Vec<u64> {
    let mut gaps: Vec<u64> = takes
        .iter()
        .enumerate()
        .map(|(k, t)| {
            if k == 0 {
                return 0;
            }
            let (lo, hi) = t.unwrap_or(DEFAULT_TAKES);
            rng.between(lo.max(1), hi.max(1))
        })
        .collect();
    let mut all: Vec<Constraint> = constraints.to_vec();
    if let Some(after) = abandon_after {
        all.extend((1..gaps.len()).map(|k| (k - 1, k, after)));
    }
    for _ in 0..64 {
        let mut changed = false;
        for &(from, to, limit) in &all {
            if to <= from || to >= gaps.len() {
                continue;
            }
            let budget = (limit as f64 * MARGIN).floor().max(1.0);
            let sum: u64 = gaps[from + 1..=to].iter().sum();
            if sum as f64 <= budget {
                continue;
            }
            let factor = budget / sum as f64;
            for g in &mut gaps[from + 1..=to] {
                *g = ((*g as f64 * factor).floor() as u64).max(1);
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_only_the_intervals_that_are_too_long() {
        let mut rng = Rng::new(1);
        let takes = vec![
            None,
            Some((7200, 7200)),
            Some((7200, 7200)),
            Some((100, 100)),
        ];
        // Events 0..2 within one hour; 2..3 free.
        let gaps = durations(&takes, &[(0, 2, 3600)], None, &mut rng);
        assert_eq!(gaps[0], 0);
        assert!(gaps[1] + gaps[2] <= 3240, "{gaps:?}");
        assert_eq!(gaps[3], 100);
        let gaps = durations(&takes, &[], Some(3000), &mut rng);
        assert!(gaps[1..].iter().all(|g| *g <= 2700), "{gaps:?}");
    }
}

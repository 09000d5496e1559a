//! Deviations in the order of steps: a step left out, two steps swapped, a step
//! again where the path cannot repeat it, a second round of steps past an
//! attempt limit, a journey abandoned midway.

use super::{again, allows, ideal, on_time, prefixes, profile_first, shift};
use crate::compile::{CompiledJourney, StepId};
use crate::eval::FindingKind;
use crate::simulate::rng::Rng;
use crate::simulate::timing::reaches;
use crate::simulate::{SimEvent, Simulator, Trace};

pub(super) fn skip(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    let candidates: Vec<usize> = (0..s.len().saturating_sub(1))
        .filter(|&i| !allows(journey, &pre[i], s[i + 1]))
        .filter(|&i| {
            let mut u = t.clone();
            skip_at(&mut u, i);
            on_time(sim, journey, &u)
        })
        .collect();
    let i = *rng.pick(&candidates)?;
    skip_at(t, i);
    Some(vec![FindingKind::UnexpectedStep])
}

/// Leave out event `i`; the next step takes its time, so no time limit moves later.
fn skip_at(t: &mut Trace, i: usize) {
    let removed = t.events.remove(i);
    let back = t.events[i].time - removed.time;
    shift(t, i, -back);
    profile_first(t);
}

pub(super) fn swap(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    // Steps i and i+1 where the path refuses the second first, with a step
    // after the pair; the swap must not make a time limit pass as well.
    let candidates: Vec<usize> = (0..s.len().saturating_sub(2))
        .filter(|&i| s[i] != s[i + 1] && !allows(journey, &pre[i], s[i + 1]))
        .filter(|&i| {
            let mut u = t.clone();
            swap_at(&mut u, i);
            on_time(sim, journey, &u)
        })
        .collect();
    let i = *rng.pick(&candidates)?;
    swap_at(t, i);
    Some(vec![FindingKind::UnexpectedStep])
}

/// Swap events i and i+1, back to back, with the next step right after them, so
/// no time limit moves later.
fn swap_at(t: &mut Trace, i: usize) {
    let first = t.events[i].time;
    let mut a = t.events[i].clone();
    let mut b = t.events[i + 1].clone();
    b.time = first;
    a.time = first + 1;
    t.events[i] = b;
    t.events[i + 1] = a;
    let next = t.events[i + 2].time;
    shift(t, i + 2, first + 2 - next);
    profile_first(t);
}

pub(super) fn too_many_attempts(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let plan = sim.plan(t.journey);
    let at_limit = |x: StepId| {
        plan.steps[x.index()]
            .max_visits
            .is_some_and(|m| s.iter().filter(|&&y| y == x).count() as u32 == m)
    };
    let gap = rng.between(60, 3600) as i64;
    let candidates: Vec<(usize, usize)> = rounds(sim, journey, t, gap)
        .into_iter()
        .filter(|&(k, j)| s[k..=j].iter().any(|&x| at_limit(x)))
        .collect();
    let &(k, j) = rng.pick(&candidates)?;
    insert_round(t, k, j, gap);
    Some(vec![FindingKind::TooManyAttempts])
}

/// Rounds `(k, j)`: steps `k..=j` that the path allows again right after `j`,
/// with the rest of the trace still on the path after them, and no time limit
/// passing when they are inserted `gap` seconds after event `j`.
pub(super) fn rounds(
    sim: &Simulator<'_>,
    journey: &CompiledJourney,
    t: &Trace,
    gap: i64,
) -> Vec<(usize, usize)> {
    let Some(s) = ideal(t) else {
        return Vec::new();
    };
    let pre = prefixes(journey, &s);
    let mut out = Vec::new();
    for j in 0..s.len() {
        for k in 0..=j {
            let mut p = pre[j + 1].clone();
            let mut next = Vec::new();
            let on_path = s[k..=j].iter().all(|&x| {
                journey.graph.advance_into(&p, x, &mut next);
                std::mem::swap(&mut p, &mut next);
                !p.is_empty()
            }) && s.get(j + 1).is_none_or(|&n| allows(journey, &p, n));
            if on_path {
                let mut u = t.clone();
                insert_round(&mut u, k, j, gap);
                if on_time(sim, journey, &u) {
                    out.push((k, j));
                }
            }
        }
    }
    out
}

/// Insert copies of events `k..=j` (their gaps kept) `gap` seconds after event
/// `j`, and move the rest of the trace later by as much.
pub(super) fn insert_round(t: &mut Trace, k: usize, j: usize, gap: i64) {
    let base = t.events[k].time;
    let end = t.events[j].time;
    let copies: Vec<SimEvent> = (k..=j)
        .map(|x| again(t, x, end + gap + (t.events[x].time - base)))
        .collect();
    shift(t, j + 1, gap + (end - base));
    let at = j + 1;
    t.events.splice(at..at, copies);
}

pub(super) fn repeat(
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    // Repeat step k right after event j (k <= j < last) where it cannot come again.
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for j in 0..s.len().saturating_sub(1) {
        for (k, &step) in s.iter().enumerate().take(j + 1) {
            if !reaches(&journey.graph, &pre[j + 1], step)
                && t.events[j + 1].time - t.events[j].time > 1
            {
                candidates.push((k, j));
            }
        }
    }
    let &(k, j) = rng.pick(&candidates)?;
    let copy = again(t, k, t.events[j].time + 1);
    t.events.insert(j + 1, copy);
    Some(vec![FindingKind::TooManyRepeats])
}

pub(super) fn abandon(
    journey: &CompiledJourney,
    t: &mut Trace,
    rng: &mut Rng,
) -> Option<Vec<FindingKind>> {
    let s = ideal(t)?;
    let pre = prefixes(journey, &s);
    let candidates: Vec<usize> = (1..s.len())
        .filter(|&k| {
            !pre[k].iter().any(|&n| {
                journey
                    .graph
                    .is_accepting(crate::compile::NodeIndex::new(n as usize))
            })
        })
        .collect();
    let k = *rng.pick(&candidates)?;
    t.events.truncate(k);
    let kind = if journey.abandon_after.is_some() {
        FindingKind::Abandoned
    } else {
        FindingKind::Incomplete
    };
    Some(vec![kind])
}

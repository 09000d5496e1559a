//! Merging the tallies of evaluators that each saw part of the customers
//! (see `eval::shard`) into the one a single evaluator would have kept: sums
//! of counts, durations and rate buckets merged exactly, and the findings a
//! report keeps chosen again in the input's order.

use super::{Stamp, Tally, Unmapped};
use crate::eval::summary::InputCounts;
use crate::eval::Retention;
use std::collections::BTreeMap;

impl Tally {
    /// Keep each kept finding's stamp, so that [`Tally::absorb`] can choose
    /// the findings a report keeps in the input's order.
    pub(crate) fn keep_stamps(&mut self) {
        if matches!(self.retention, Retention::PerGroup(_)) {
            self.stamps = Some(Vec::new());
        }
    }

    /// Add the counts of `other`, a tally of the same policy and retention
    /// over other customers. Once every part is absorbed, call
    /// [`Tally::settle_kept`].
    pub(crate) fn absorb(&mut self, other: Tally) {
        // Destructured, so that a count added to the tally must be merged here.
        let Tally {
            retention: _,
            input,
            journeys,
            steps,
            rules,
            kinds,
            levels,
            kept,
            not_kept,
            groups,
            escalations,
            fresh_escalations,
            escalations_fired,
            fresh_alignments,
            unmapped,
            unmapped_named: _,
            rates,
            stamp: _,
            stamps,
            rates_at: _,
        } = other;
        add_input(&mut self.input, input);
        for (mine, theirs) in self.journeys.iter_mut().zip(journeys) {
            mine.entered += theirs.entered;
            mine.reached_goal += theirs.reached_goal;
            mine.completed += theirs.completed;
            mine.abandoned += theirs.abandoned;
            mine.open += theirs.open;
            mine.fit += theirs.fit;
            mine.unfit += theirs.unfit;
            mine.incomplete += theirs.incomplete;
            mine.times_to_goal.absorb(theirs.times_to_goal);
            mine.aligned.absorb(&theirs.aligned);
        }
        for (mine, theirs) in self.steps.iter_mut().flatten().zip(steps.iter().flatten()) {
            mine.visits += theirs.visits;
            mine.yellow += theirs.yellow;
            mine.red += theirs.red;
        }
        for (mine, theirs) in self.rules.iter_mut().zip(rules) {
            mine.met += theirs.met;
            mine.missed += theirs.missed;
            mine.pending += theirs.pending;
            mine.at_risk += theirs.at_risk;
            mine.not_applicable += theirs.not_applicable;
        }
        add_counts(&mut self.kinds, kinds);
        add_counts(&mut self.levels, levels);
        add_counts(&mut self.groups, groups);
        self.kept.extend(kept);
        if let (Some(mine), Some(theirs)) = (&mut self.stamps, stamps) {
            mine.extend(theirs);
        }
        self.not_kept += not_kept;
        self.escalations.extend(escalations);
        self.fresh_escalations.extend(fresh_escalations);
        self.escalations_fired += escalations_fired;
        self.fresh_alignments.extend(fresh_alignments);
        debug_assert!(unmapped.is_empty(), "take_unmapped before absorbing");
        merge_rates(&mut self.rates, rates);
    }

    /// With [`Retention::PerGroup`], keep again the first findings of each
    /// group in the input's order, as one evaluator would have: each part
    /// kept its own first ones, so the first ones of the whole are among them.
    pub(crate) fn settle_kept(&mut self) {
        let (Retention::PerGroup(n), Some(stamps)) = (self.retention, self.stamps.take()) else {
            return;
        };
        let mut all: Vec<_> = stamps
            .into_iter()
            .zip(std::mem::take(&mut self.kept))
            .collect();
        // Stable: findings of one stamp are one customer's, from one part, in
        // the order it decided them. At the end, customers come by id.
        all.sort_by(|((a, _), fa), ((b, _), fb)| {
            a.cmp(b).then_with(|| {
                if a.tick == Stamp::finish().tick {
                    fa.customer.cmp(&fb.customer)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
        });
        let mut counts: BTreeMap<_, usize> = BTreeMap::new();
        let mut stamps = Vec::new();
        for ((stamp, rule), finding) in all {
            let count = counts
                .entry((finding.kind, rule, finding.level))
                .or_default();
            *count += 1;
            if *count <= n {
                stamps.push((stamp, rule));
                self.kept.push(finding);
            }
        }
        let emitted: u64 = self.groups.values().sum();
        self.not_kept = emitted - self.kept.len() as u64;
        self.stamps = Some(stamps);
    }
}

/// The unmapped names of several parts, merged: counts added, the first
/// event the earliest by time (the first read, by line, among equal times).
pub(crate) fn merge_unmapped(parts: Vec<Vec<(String, Unmapped)>>) -> Vec<(String, Unmapped)> {
    let mut merged: BTreeMap<String, Unmapped> = BTreeMap::new();
    for (name, (count, time, line)) in parts.into_iter().flatten() {
        let entry = merged.entry(name).or_insert((0, time, line));
        entry.0 += count;
        if (time, line) < (entry.1, entry.2) {
            (entry.1, entry.2) = (time, line);
        }
    }
    merged.into_iter().collect()
}

fn add_input(mine: &mut InputCounts, theirs: InputCounts) {
    let InputCounts {
        events,
        unmapped,
        late,
        duplicates,
        rejected,
        out_of_segment,
    } = theirs;
    mine.events += events;
    mine.unmapped += unmapped;
    mine.late += late;
    mine.duplicates += duplicates;
    mine.rejected += rejected;
    mine.out_of_segment += out_of_segment;
}

fn add_counts<K: Ord>(mine: &mut BTreeMap<K, u64>, theirs: BTreeMap<K, u64>) {
    for (key, n) in theirs {
        *mine.entry(key).or_default() += n;
    }
}

/// The rate buckets of another part added to ours, bucket by bucket: the
/// counts are sums, so the rates over them are exactly one evaluator's.
fn merge_rates(mine: &mut [Option<super::RateCounter>], theirs: Vec<Option<super::RateCounter>>) {
    for (mine, theirs) in mine.iter_mut().zip(theirs) {
        let (Some(mine), Some(theirs)) = (mine.as_mut(), theirs) else {
            continue;
        };
        mine.buckets.merge(&theirs.buckets);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Buckets;
    use super::*;

    #[test]
    fn rate_buckets_merge_by_bucket() {
        let counter = |buckets: Vec<(i64, (u64, u64))>| {
            Some(super::super::RateCounter {
                journey: 0,
                step: None,
                off_path: false,
                width: 60_000,
                buckets: Buckets(buckets),
            })
        };
        let mut mine = vec![counter(vec![(1, (2, 1)), (4, (1, 0))]), None];
        merge_rates(
            &mut mine,
            vec![counter(vec![(0, (1, 1)), (4, (3, 2)), (9, (1, 0))]), None],
        );
        let got = mine[0].as_ref().map(|r| r.buckets.0.clone());
        assert_eq!(
            got,
            Some(vec![(0, (1, 1)), (1, (2, 1)), (4, (4, 2)), (9, (1, 0))])
        );
    }
}

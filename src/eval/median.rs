//! The median time to goal in bounded memory. Durations are kept exactly while
//! there are few of them (a day's log); past [`EXACT_LIMIT`] they move into a
//! log-scale histogram whose buckets are at most 1/128 of their value wide, so
//! the median stays within 0.8% and memory stays flat however long the log is.

/// How many durations are kept exactly before the histogram takes over.
pub(crate) const EXACT_LIMIT: usize = 1 << 16;

/// Values below this have a bucket each; above, 128 buckets per power of two.
const LINEAR: u32 = 128;
const SUB_BITS: u32 = 7;
const BUCKETS: usize = (LINEAR + (32 - SUB_BITS) * LINEAR) as usize;

/// Durations in seconds, for their (lower) median.
#[derive(Debug, Clone, Default)]
pub(crate) struct Durations {
    exact: Vec<u32>,
    histogram: Option<Box<[u64]>>,
    count: u64,
}

impl Durations {
    /// Add one duration.
    pub(crate) fn push(&mut self, seconds: u32) {
        self.count += 1;
        match &mut self.histogram {
            Some(h) => h[bucket(seconds)] += 1,
            None if self.exact.len() < EXACT_LIMIT => self.exact.push(seconds),
            None => {
                let mut h = vec![0u64; BUCKETS].into_boxed_slice();
                for v in self.exact.drain(..).chain([seconds]) {
                    h[bucket(v)] += 1;
                }
                self.exact = Vec::new();
                self.histogram = Some(h);
            }
        }
    }

    /// Add every duration of `other`, as if each had been pushed here: the
    /// same durations, in whatever order and however split, give the same
    /// state, so evaluators of parts of a log merge exactly.
    pub(crate) fn absorb(&mut self, mut other: Durations) {
        if self.histogram.is_none() && other.histogram.is_some() {
            std::mem::swap(self, &mut other);
        }
        match (&mut self.histogram, other.histogram) {
            (Some(mine), Some(theirs)) => {
                mine.iter_mut()
                    .zip(theirs.iter())
                    .for_each(|(a, b)| *a += b);
                self.count += other.count;
            }
            _ => other.exact.into_iter().for_each(|v| self.push(v)),
        }
    }

    /// The lower median (the value at rank ⌊(n−1)/2⌋), exact while few, else
    /// the middle of its histogram bucket; `None` when empty.
    pub(crate) fn median(&mut self) -> Option<u64> {
        let rank = self.count.checked_sub(1)? / 2;
        match &self.histogram {
            None => {
                self.exact.sort_unstable();
                self.exact.get(rank as usize).map(|&s| u64::from(s))
            }
            Some(h) => {
                let mut seen = 0u64;
                let i = h.iter().position(|&n| {
                    seen += n;
                    seen > rank
                })?;
                Some(middle(i))
            }
        }
    }
}

/// The histogram bucket of a value.
fn bucket(v: u32) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let exponent = 31 - v.leading_zeros(); // ≥ SUB_BITS
    let shift = exponent - SUB_BITS;
    let mantissa = (v >> shift) - LINEAR; // 0..LINEAR
    (LINEAR + shift * LINEAR + mantissa) as usize
}

/// The middle value of a bucket.
fn middle(i: usize) -> u64 {
    let i = i as u64;
    let linear = u64::from(LINEAR);
    if i < linear {
        return i;
    }
    let shift = (i - linear) / linear;
    let mantissa = (i - linear) % linear;
    let low = (linear + mantissa) << shift;
    low + ((1u64 << shift) >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_median(mut values: Vec<u32>) -> u64 {
        values.sort_unstable();
        u64::from(values[(values.len() - 1) / 2])
    }

    #[test]
    fn few_durations_give_the_exact_lower_median() {
        let mut d = Durations::default();
        assert_eq!(d.median(), None);
        for v in [30, 10, 20, 40] {
            d.push(v);
        }
        assert_eq!(d.median(), Some(20));
    }

    #[test]
    fn parts_absorbed_give_the_median_of_the_whole() {
        for split in [0, 10, EXACT_LIMIT - 5, EXACT_LIMIT + 7, 2 * EXACT_LIMIT] {
            let values: Vec<u32> = (0..2 * EXACT_LIMIT as u32 + 3)
                .map(|v| v * 7919 % 100_003)
                .collect();
            let (mut whole, mut left, mut right) = (
                Durations::default(),
                Durations::default(),
                Durations::default(),
            );
            values.iter().for_each(|&v| whole.push(v));
            values[..split].iter().for_each(|&v| left.push(v));
            values[split..].iter().for_each(|&v| right.push(v));
            left.absorb(right);
            assert_eq!((left.count, left.histogram.is_some()), (whole.count, true));
            assert_eq!(left.median(), whole.median(), "split at {split}");
        }
        let (mut a, mut b) = (Durations::default(), Durations::default());
        [5, 1, 9].iter().for_each(|&v| a.push(v));
        [3, 4].iter().for_each(|&v| b.push(v));
        a.absorb(b);
        assert_eq!((a.median(), a.histogram.is_none()), (Some(4), true));
    }

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for v in (0..1_000_000u32).chain([u32::MAX - 1, u32::MAX]) {
            let b = bucket(v);
            assert!(b >= last && b < BUCKETS, "{v} in bucket {b}");
            last = b;
            let m = middle(b);
            let error = (m as f64 - f64::from(v)).abs() / f64::from(v.max(1));
            assert!(error <= 1.0 / 128.0, "{v}: middle {m}");
        }
    }

    #[test]
    fn many_durations_stay_within_one_percent_in_flat_memory() {
        // A deterministic spread of durations from seconds to weeks.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let values: Vec<u32> = (0..EXACT_LIMIT * 3)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 2_000_000) as u32
            })
            .collect();
        let mut d = Durations::default();
        values.iter().for_each(|&v| d.push(v));
        assert!(d.exact.capacity() == 0 && d.histogram.is_some());
        let got = d.median().expect("a median") as f64;
        let want = exact_median(values) as f64;
        assert!((got - want).abs() / want < 0.01, "{got} vs {want}");
    }
}

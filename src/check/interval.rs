//! Intervals of numbers, to tell whether thresholds can hold together: `csat >= 4`
//! and `csat <= 3` cannot; `csat > 5` cannot within the range `1..5`.

use crate::syntax::CmpOp;

/// A set of numbers `lo..hi`, each end open or closed (infinite ends are open).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Interval {
    lo: f64,
    lo_closed: bool,
    hi: f64,
    hi_closed: bool,
}

impl Interval {
    /// `lo..=hi`.
    pub(super) fn closed(lo: f64, hi: f64) -> Self {
        Interval {
            lo,
            lo_closed: true,
            hi,
            hi_closed: true,
        }
    }

    /// `lo..`.
    pub(super) fn at_least(lo: f64) -> Self {
        Interval::closed(lo, f64::INFINITY)
    }

    /// The values `x` with `x op value`; `None` for `!=`, which is not an interval.
    fn of(op: CmpOp, value: f64) -> Option<Self> {
        let (inf, ninf) = (f64::INFINITY, f64::NEG_INFINITY);
        let interval = |lo, lo_closed, hi, hi_closed| Interval {
            lo,
            lo_closed,
            hi,
            hi_closed,
        };
        match op {
            CmpOp::Eq => Some(Interval::closed(value, value)),
            CmpOp::Ne => None,
            CmpOp::Lt => Some(interval(ninf, false, value, false)),
            CmpOp::Le => Some(interval(ninf, false, value, true)),
            CmpOp::Gt => Some(interval(value, false, inf, false)),
            CmpOp::Ge => Some(interval(value, true, inf, false)),
        }
    }

    fn intersect(self, other: Interval) -> Interval {
        let (lo, lo_closed) = match self.lo.partial_cmp(&other.lo) {
            Some(std::cmp::Ordering::Greater) => (self.lo, self.lo_closed),
            Some(std::cmp::Ordering::Less) => (other.lo, other.lo_closed),
            _ => (self.lo, self.lo_closed && other.lo_closed),
        };
        let (hi, hi_closed) = match self.hi.partial_cmp(&other.hi) {
            Some(std::cmp::Ordering::Less) => (self.hi, self.hi_closed),
            Some(std::cmp::Ordering::Greater) => (other.hi, other.hi_closed),
            _ => (self.hi, self.hi_closed && other.hi_closed),
        };
        Interval {
            lo,
            lo_closed,
            hi,
            hi_closed,
        }
    }

    fn is_empty(&self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && !(self.lo_closed && self.hi_closed))
    }

    /// True when some `x` in `within` has `x op value`.
    pub(super) fn satisfiable(op: CmpOp, value: f64, within: &Interval) -> bool {
        match Interval::of(op, value) {
            Some(interval) => !interval.intersect(*within).is_empty(),
            None => !(within.lo == value && within.hi == value),
        }
    }

    /// True when no number meets both `x a.0 a.1` and `x b.0 b.1`.
    pub(super) fn contradict(a: (CmpOp, f64), b: (CmpOp, f64)) -> bool {
        match (Interval::of(a.0, a.1), Interval::of(b.0, b.1)) {
            (Some(x), Some(y)) => x.intersect(y).is_empty(),
            (None, Some(y)) => y == Interval::closed(a.1, a.1),
            (Some(x), None) => x == Interval::closed(b.1, b.1),
            (None, None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CmpOp::*;

    #[test]
    fn opposite_bounds_that_do_not_meet_contradict() {
        assert!(Interval::contradict((Ge, 4.0), (Le, 3.0)));
        assert!(Interval::contradict((Gt, 3.0), (Le, 3.0)));
        assert!(Interval::contradict((Eq, 2.0), (Ne, 2.0)));
        assert!(Interval::contradict((Eq, 2.0), (Eq, 3.0)));
    }

    #[test]
    fn bounds_that_meet_or_tier_do_not_contradict() {
        assert!(!Interval::contradict((Ge, 3.0), (Le, 3.0)));
        assert!(!Interval::contradict((Ge, 4.0), (Ge, 2.0)));
        assert!(!Interval::contradict((Ne, 2.0), (Ne, 3.0)));
        assert!(!Interval::contradict((Ne, 2.0), (Ge, 2.0)));
    }

    #[test]
    fn thresholds_are_checked_against_a_range() {
        let csat = Interval::closed(1.0, 5.0);
        assert!(!Interval::satisfiable(Gt, 5.0, &csat));
        assert!(Interval::satisfiable(Ge, 5.0, &csat));
        assert!(!Interval::satisfiable(Lt, 1.0, &csat));
        assert!(!Interval::satisfiable(Le, 0.0, &Interval::at_least(1.0)));
        assert!(Interval::satisfiable(Le, 1.0, &Interval::at_least(1.0)));
        assert!(!Interval::satisfiable(Ne, 3.0, &Interval::closed(3.0, 3.0)));
    }
}

//! The times cxl accepts: a window of calendar time, epoch numbers whose unit
//! their size gives, and offsets of at most 18 hours.
//!
//! One bad value must not move "now": the run's as-of time defaults to the
//! latest event time, so a single time far in the future (a 20-digit number
//! read as epoch nanoseconds lands in the year 5138) would fire every
//! deadline of every customer. Every time read is therefore checked against
//! [`WINDOW_START`]..[`WINDOW_END`] and rejected, with the value quoted, when
//! it falls outside.
//!
//! An epoch number's unit is taken from its size (`|n| < 1e11` seconds, `<
//! 1e14` milliseconds, `< 1e17` microseconds, else nanoseconds); a number
//! whose reading in that unit falls outside the window is rejected as having
//! an ambiguous unit (50000000000 is the year 3554 in seconds but 1971 in
//! milliseconds: no rule can tell which was meant). Together this leaves
//! gaps of sizes that are never read (for example 7.3e9..1e11).

use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::Timestamp;

/// The earliest time read, 1900-01-01T00:00:00Z (inclusive).
pub const WINDOW_START: Timestamp = Timestamp::constant(-2_208_988_800, 0);

/// The end of the times read, 2200-01-01T00:00:00Z (exclusive).
pub const WINDOW_END: Timestamp = Timestamp::constant(7_258_118_400, 0);

/// The largest offset from UTC read, 18 hours (as RFC 9557 and the
/// java.time and ISO 8601 profiles limit it), in seconds.
pub(super) const MAX_OFFSET: i64 = 18 * 3600;

/// True for a time in the window.
#[inline(always)]
pub(super) fn in_window(ts: Timestamp) -> bool {
    (WINDOW_START..WINDOW_END).contains(&ts)
}

/// True for seconds since the epoch in the window (the fast path's test).
#[inline(always)]
pub(super) fn seconds_in_window(seconds: i64) -> bool {
    (WINDOW_START.as_second()..WINDOW_END.as_second()).contains(&seconds)
}

/// `ts` when it is in the window, else the reason, quoting `text` as written.
pub(super) fn windowed(ts: Timestamp, text: &str) -> Result<Timestamp, String> {
    match in_window(ts) {
        true => Ok(ts),
        false => Err(out_of_range(text)),
    }
}

/// The reason for a well-formed time outside the window.
pub(super) fn out_of_range(text: &str) -> String {
    format!("time `{text}` is out of range: times run from {WINDOW_START} to {WINDOW_END}")
}

/// The unit of an epoch number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EpochUnit {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl EpochUnit {
    /// The unit a number of this magnitude is read in.
    pub(super) fn of(magnitude: f64) -> EpochUnit {
        if magnitude < 1e11 {
            EpochUnit::Seconds
        } else if magnitude < 1e14 {
            EpochUnit::Milliseconds
        } else if magnitude < 1e17 {
            EpochUnit::Microseconds
        } else {
            EpochUnit::Nanoseconds
        }
    }

    /// [`Self::of`] for an integer, exactly (a float near a limit may round
    /// across it).
    pub(super) fn of_integer(magnitude: u128) -> EpochUnit {
        match magnitude {
            m if m < 100_000_000_000 => EpochUnit::Seconds,
            m if m < 100_000_000_000_000 => EpochUnit::Milliseconds,
            m if m < 100_000_000_000_000_000 => EpochUnit::Microseconds,
            _ => EpochUnit::Nanoseconds,
        }
    }

    /// Nanoseconds in one unit.
    pub(super) fn nanos(self) -> i64 {
        match self {
            EpochUnit::Seconds => 1_000_000_000,
            EpochUnit::Milliseconds => 1_000_000,
            EpochUnit::Microseconds => 1_000,
            EpochUnit::Nanoseconds => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            EpochUnit::Seconds => "seconds",
            EpochUnit::Milliseconds => "milliseconds",
            EpochUnit::Microseconds => "microseconds",
            EpochUnit::Nanoseconds => "nanoseconds",
        }
    }
}

/// The time an epoch number `text` means in `unit` (`None`: past what the
/// calendar holds), when it is in the window; else why not.
pub(super) fn epoch(
    ts: Option<Timestamp>,
    text: &str,
    unit: EpochUnit,
) -> Result<Timestamp, String> {
    let read = match ts {
        Some(ts) if in_window(ts) => return Ok(ts),
        Some(ts) => ts.to_string(),
        None => "past the calendar's range".to_string(),
    };
    Err(format!(
        "epoch time `{text}` read as {} is {read}, outside {WINDOW_START} to {WINDOW_END}: \
         its unit is ambiguous",
        unit.name()
    ))
}

/// True for an offset (in seconds) of at most 18 hours from UTC.
#[inline(always)]
pub(super) fn offset_ok(seconds: i64) -> bool {
    seconds.abs() <= MAX_OFFSET
}

/// The numeric offset written in a time that jiff reads, in seconds.
pub(super) fn written_offset(text: &str) -> Option<i64> {
    let pieces = Pieces::parse(text).ok()?;
    match pieces.offset()? {
        PiecesOffset::Numeric(numeric) => Some(i64::from(numeric.offset().seconds())),
        _ => None,
    }
}

/// The reason for a time whose offset is more than 18 hours from UTC.
pub(super) fn offset_too_far(text: &str, seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let (hours, minutes) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    format!(
        "time `{text}` has the offset {sign}{hours:02}:{minutes:02}, more than 18 hours from UTC"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_what_its_docs_say() {
        assert_eq!(WINDOW_START.to_string(), "1900-01-01T00:00:00Z");
        assert_eq!(WINDOW_END.to_string(), "2200-01-01T00:00:00Z");
    }
}

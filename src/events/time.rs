//! Event time parsing: RFC 3339 and XES dates, the common CSV forms, and epoch
//! numbers, turned into `jiff::Timestamp`s.
//!
//! Accepted forms (see [`ACCEPTED_FORMATS`]):
//! - `2024-03-01T10:00:00+01:00`, `…Z`, with or without fractional seconds
//!   (RFC 3339 and XES `date`), `t` or a space in place of `T`, offsets as
//!   `+01:00`, `+0100` or `+01`;
//! - naive `2024-03-01 10:00:00`, `2024-03-01T10:00`, `2024-03-01`, read in the
//!   configured time zone (default UTC);
//! - epoch numbers (JSON numbers, or strings of digits): by magnitude,
//!   `|n| < 1e11` is seconds, `< 1e14` milliseconds, `< 1e17` microseconds,
//!   otherwise nanoseconds.
//!
//! Every time must fall in [`WINDOW_START`]..[`WINDOW_END`] (1900 to 2200),
//! with an offset of at most ±18:00; anything else is rejected with the value
//! quoted, and an epoch number outside it as having an ambiguous unit (see
//! `time/window.rs`), so one bad value cannot move the run's "now".
//!
//! The common shapes are parsed by hand (no allocation, a few dozen
//! nanoseconds); anything else falls back to jiff's ISO 8601 parser.
//! A fixed-offset zone (`UTC`, `+01:00`) needs no time-zone database; a named
//! IANA zone is resolved by the caller (jiff reads the OS database on Linux).

mod window;

pub use window::{WINDOW_END, WINDOW_START};

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use window::EpochUnit;

/// The accepted time formats, for error messages.
pub const ACCEPTED_FORMATS: &str =
    "RFC 3339 (2024-03-01T10:00:00+01:00, 2024-03-01T10:00:00.123Z), \
naive 2024-03-01 10:00:00 / 2024-03-01T10:00 / 2024-03-01 (read in the configured time zone), \
or epoch seconds/milliseconds as a number";

/// Parses event times; holds the zone used for naive times.
#[derive(Debug, Clone)]
pub struct TimeParser {
    zone: TimeZone,
    /// The zone's offset in seconds when it is fixed, for a fast path.
    fixed_offset: Option<i64>,
}

impl Default for TimeParser {
    fn default() -> Self {
        Self::new(TimeZone::UTC)
    }
}

/// The pieces of a date-time read by the fast path.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset: Option<i64>,
}

impl TimeParser {
    /// A parser reading naive times in `zone`.
    pub fn new(zone: TimeZone) -> Self {
        let fixed_offset = zone.to_fixed_offset().ok().map(|o| i64::from(o.seconds()));
        TimeParser { zone, fixed_offset }
    }

    /// Parses a textual time; the error is a reason quoting the value.
    pub fn parse_str(&self, text: &str) -> Result<Timestamp, String> {
        self.parse_text(text, true)
    }

    /// [`Self::parse_str`] for a reader of many lines, on bytes the caller
    /// checked as UTF-8: the common shape `YYYY-MM-DD(T|t| )HH:MM:SS[fraction][offset]`
    /// whose date is the one in `last` reuses its day number (a log's times
    /// come in runs of one day) and is never made a `str`; anything else goes
    /// the general way. Same results, same errors. Inlined into the reader
    /// (one time a line); only the common shape's code comes with it.
    #[inline(always)]
    pub(crate) fn parse_bytes_cached(
        &self,
        text: &[u8],
        last: &mut LastDay,
    ) -> Result<Timestamp, String> {
        match self.parse_common(text, last) {
            Some(ts) => Ok(ts),
            None => self.parse_general(text),
        }
    }

    /// [`Self::parse_str`] on bytes, out of the reader's way.
    #[cold]
    #[inline(never)]
    fn parse_general(&self, text: &[u8]) -> Result<Timestamp, String> {
        self.parse_str(&String::from_utf8_lossy(text))
    }

    /// The common shape with seconds, the date (and the minute) through
    /// `last`; `None` for anything else (including every error, left to the
    /// general path).
    #[inline(always)]
    fn parse_common(&self, b: &[u8], last: &mut LastDay) -> Option<Timestamp> {
        let h: &[u8; 19] = b.get(..19)?.try_into().ok()?;
        // The same date, hour and minute as the last time read (a log's
        // times come in runs): only the seconds are new.
        let local = match last.minute_of(h) {
            Some(minute) => minute + i64::from(seconds(h)?),
            None => self.local_seconds(h, last)?,
        };
        let (nanos, offset) = match b.get(19..)? {
            [b'Z' | b'z'] => (0, Some(0)),
            rest => fraction_and_offset(rest)?,
        };
        let offset = offset.or(self.fixed_offset)?;
        // Outside the window, or too far an offset: the general path says why.
        let seconds = local - offset;
        if !window::seconds_in_window(seconds) || offset.abs() > window::MAX_OFFSET {
            return None;
        }
        Timestamp::new(seconds, i32::try_from(nanos).ok()?).ok()
    }

    /// The seconds since the epoch of the date and clock time at the start
    /// of `h`, as written (no offset), the date through `last`; its minute
    /// is remembered in `last`.
    #[inline(never)]
    fn local_seconds(&self, h: &[u8; 19], last: &mut LastDay) -> Option<i64> {
        let days = last.days_of(h)?;
        if !matches!(h[10], b'T' | b't' | b' ') {
            return None;
        }
        let (hour, minute, _) = clock(h)?;
        if hour > 23 || minute > 59 {
            return None;
        }
        let start = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60;
        last.minute = (minute_key(h), start);
        Some(start + i64::from(seconds(h)?))
    }

    /// [`Self::parse_str`], with the hand-written fast path or without it
    /// (the reference the fast path is tested against).
    fn parse_text(&self, text: &str, fast: bool) -> Result<Timestamp, String> {
        // A time usually starts with a digit and ends in a letter or digit:
        // nothing to trim.
        let b = text.as_bytes();
        let bare = b.first().is_some_and(u8::is_ascii_digit)
            && b.last().is_some_and(u8::is_ascii_alphanumeric);
        let trimmed = if bare { text } else { text.trim() };
        let civil = parse_fast(trimmed.as_bytes()).filter(|_| fast);
        if let Some(civil) = civil.filter(|c| c.offset.is_none_or(window::offset_ok)) {
            if let Some(ts) = self.civil_to_timestamp(&civil) {
                return window::windowed(ts, text);
            }
        }
        if looks_numeric(trimmed) {
            if let Ok(number) = trimmed.parse::<i128>() {
                return self.parse_integer(number);
            }
            if let Ok(number) = trimmed.parse::<f64>() {
                return self.parse_number(number);
            }
        }
        if let Some(problem) = offset_problem(trimmed, text) {
            return Err(problem);
        }
        match self.parse_slow(trimmed) {
            Some(ts) => window::windowed(ts, text),
            // Well formed, but a time the calendar cannot hold.
            None if parse_fast(trimmed.as_bytes()).is_some() => Err(window::out_of_range(text)),
            None => Err(bad_time(text)),
        }
    }

    /// Parses an epoch number, choosing the unit by magnitude (see the
    /// module docs); a time outside the window is refused.
    pub fn parse_number(&self, number: f64) -> Result<Timestamp, String> {
        let text = number.to_string();
        if !number.is_finite() {
            return Err(bad_time(&text));
        }
        let unit = EpochUnit::of(number.abs());
        let whole = number.trunc();
        // Finite, so the cast is exact up to `i128`'s range and saturates
        // past it (far past any time).
        let fraction_nanos = ((number - whole) * unit.nanos() as f64).round() as i128;
        let ts = (whole as i128)
            .checked_mul(i128::from(unit.nanos()))
            .and_then(|nanos| nanos.checked_add(fraction_nanos))
            .and_then(|nanos| Timestamp::from_nanosecond(nanos).ok());
        window::epoch(ts, &text, unit)
    }

    /// Parses an integer epoch number exactly, choosing the unit by
    /// magnitude; a time outside the window is refused.
    pub fn parse_integer(&self, number: i128) -> Result<Timestamp, String> {
        let unit = EpochUnit::of_integer(number.unsigned_abs());
        let ts = number
            .checked_mul(i128::from(unit.nanos()))
            .and_then(|nanos| Timestamp::from_nanosecond(nanos).ok());
        window::epoch(ts, &number.to_string(), unit)
    }

    fn civil_to_timestamp(&self, c: &Civil) -> Option<Timestamp> {
        let offset = match (c.offset, self.fixed_offset) {
            (Some(offset), _) | (None, Some(offset)) => offset,
            (None, None) => return self.zoned(c),
        };
        let days = days_from_civil(c.year, c.month, c.day);
        let seconds = days * 86_400
            + i64::from(c.hour) * 3600
            + i64::from(c.minute) * 60
            + i64::from(c.second)
            - offset;
        let nanos = i32::try_from(c.nanos).ok()?;
        Timestamp::new(seconds, nanos).ok()
    }

    fn zoned(&self, c: &Civil) -> Option<Timestamp> {
        let dt = DateTime::new(
            i16::try_from(c.year).ok()?,
            i8::try_from(c.month).ok()?,
            i8::try_from(c.day).ok()?,
            i8::try_from(c.hour).ok()?,
            i8::try_from(c.minute).ok()?,
            i8::try_from(c.second).ok()?,
            i32::try_from(c.nanos).ok()?,
        )
        .ok()?;
        self.zone.to_timestamp(dt).ok()
    }

    fn parse_slow(&self, text: &str) -> Option<Timestamp> {
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Some(ts);
        }
        if let Ok(dt) = text.parse::<DateTime>() {
            return self.zone.to_timestamp(dt).ok();
        }
        None
    }
}

/// A fixed-offset zone from `UTC`, `Z`, `+01:00`, `-0530` or `+01`; `None` for
/// anything else (named IANA zones need a time-zone database: the caller's choice).
pub fn fixed_zone(text: &str) -> Option<TimeZone> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text.eq_ignore_ascii_case("z") {
        return Some(TimeZone::UTC);
    }
    let seconds = parse_offset(text.as_bytes())??;
    if !window::offset_ok(seconds) {
        return None;
    }
    let offset = jiff::tz::Offset::from_seconds(i32::try_from(seconds).ok()?).ok()?;
    Some(TimeZone::fixed(offset))
}

/// Why the offset written in `trimmed` is refused (more than 18 hours from
/// UTC), quoting `text`; `None` when it has none or a good one. The shapes
/// the fast path reads are asked it first (it reads a longer fraction than
/// jiff, so the fast path and jiff refuse the same offsets).
#[cold]
fn offset_problem(trimmed: &str, text: &str) -> Option<String> {
    let offset = match parse_fast(trimmed.as_bytes()) {
        Some(civil) => civil.offset?,
        None => window::written_offset(trimmed)?,
    };
    (!window::offset_ok(offset)).then(|| window::offset_too_far(text, offset))
}

fn bad_time(text: &str) -> String {
    format!("cannot read time `{text}`: expected {ACCEPTED_FORMATS}")
}

fn looks_numeric(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// Reads `n` ASCII digits at `at` as a number.
fn digits(bytes: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = bytes.get(at..at + n)?;
    slice.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// The fast path: `YYYY-MM-DD[(T|t| )HH:MM[:SS[.fff]]][Z|±HH[:MM]]`.
fn parse_fast(b: &[u8]) -> Option<Civil> {
    if b.get(16) == Some(&b':') {
        return parse_full(b);
    }
    let year = i64::from(digits(b, 0, 4)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut civil = Civil {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: None,
    };
    if b.len() == 10 {
        return Some(civil);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    civil.hour = digits(b, 11, 2)?;
    civil.minute = digits(b, 14, 2)?;
    let mut at = 16;
    if b.get(at) == Some(&b':') {
        // A leap second reads as :59, as jiff reads it; :61 and above are wrong.
        civil.second = match digits(b, 17, 2)? {
            60 => 59,
            second if second > 60 => return None,
            second => second,
        };
        at = 19;
        if matches!(b.get(at), Some(b'.' | b',')) {
            at += 1;
            let (nanos, used) = fraction(&b[at..])?;
            civil.nanos = nanos;
            at += used;
        }
    }
    if civil.hour > 23 || civil.minute > 59 {
        return None;
    }
    civil.offset = parse_offset(&b[at..])?;
    Some(civil)
}

/// The common shape with seconds, `YYYY-MM-DD(T|t| )HH:MM:SS[(.|,)fff][offset]`,
/// read from a fixed array (the same result as the general path in
/// [`parse_fast`], in fewer steps).
fn parse_full(b: &[u8]) -> Option<Civil> {
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let h: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    let d = |i: usize| u32::from(h[i].wrapping_sub(b'0'));
    let shaped = h[4] == b'-'
        && h[7] == b'-'
        && matches!(h[10], b'T' | b't' | b' ')
        && h[13] == b':'
        && h[16] == b':';
    if !shaped || DIGITS.iter().any(|&i| d(i) > 9) {
        return None;
    }
    let two = |i: usize| d(i) * 10 + d(i + 1);
    let year = i64::from(two(0) * 100 + two(2));
    let (month, day, hour, minute) = (two(5), two(8), two(11), two(14));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 {
        return None;
    }
    // A leap second reads as :59, as jiff reads it; :61 and above are wrong.
    let second = match two(17) {
        60 => 59,
        second if second > 60 => return None,
        second => second,
    };
    let (nanos, offset) = fraction_and_offset(b.get(19..)?)?;
    Some(Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset,
    })
}

/// `HH:MM:SS` at bytes 11 to 18, read as one word: the hour, minute and
/// second as written (not range-checked); `None` unless six digits and two
/// colons.
fn clock(h: &[u8; 19]) -> Option<(u32, u32, u32)> {
    let w = word_at(h, 11);
    // Bytes 2 and 5 of the word are the colons, the others digits.
    const COLON_MASK: u64 = 0x0000_FF00_00FF_0000;
    const COLONS: u64 = 0x0000_3A00_003A_0000;
    const DIGIT_MASK: u64 = 0xFFFF_00FF_FF00_FFFF;
    const ZEROS: u64 = 0x3030_0030_3000_3030;
    if w & COLON_MASK != COLONS {
        return None;
    }
    // Each digit byte minus '0' (by xor): 0..=9 for a digit. A byte over 9
    // gets its high bit set by adding 0x76 (or has it already); a carry
    // out of a byte only comes from one that is flagged itself.
    let d = (w & DIGIT_MASK) ^ ZEROS;
    const HIGH: u64 = 0x8080_0080_8000_8080;
    const OVER_NINE: u64 = 0x7676_0076_7600_7676;
    if (d | d.wrapping_add(OVER_NINE)) & HIGH != 0 {
        return None;
    }
    let byte = |i: u32| ((d >> (8 * i)) & 0xFF) as u32;
    let two = |i: u32| byte(i) * 10 + byte(i + 1);
    Some((two(0), two(3), two(6)))
}

/// What follows the seconds: `[(.|,)fff][offset]`, as nanoseconds and the
/// offset (`None` for a naive time).
fn fraction_and_offset(b: &[u8]) -> Option<(u32, Option<i64>)> {
    let mut at = 0;
    let mut nanos = 0;
    if matches!(b.first(), Some(b'.' | b',')) {
        at += 1;
        let (value, used) = fraction(b.get(at..)?)?;
        nanos = value;
        at += used;
    }
    Some((nanos, parse_offset(b.get(at..)?)?))
}

/// The day number of the date last read by [`TimeParser::parse_bytes_cached`],
/// keyed by its ten bytes (`YYYY-MM-DD`), and the seconds at the start of
/// the minute last read, keyed by its sixteen (`YYYY-MM-DDTHH:MM`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LastDay {
    /// The date's bytes, packed; zero (never a date) until one is read.
    key: (u64, u16),
    /// Its days since 1970-01-01.
    days: i64,
    /// The minute's bytes, packed (zero, never a time, until one is read:
    /// only a prefix checked whole is kept), and its seconds since the
    /// epoch as written (no offset).
    minute: ((u64, u64), i64),
}

/// The eight bytes of `h` from `at` (up to 11) as a little-endian word,
/// read at once (a word put together byte by byte costs a dozen
/// instructions).
#[inline(always)]
fn word_at(h: &[u8; 19], at: usize) -> u64 {
    h.get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_le_bytes)
}

/// The first sixteen bytes of `h` (`YYYY-MM-DDTHH:MM`), packed.
fn minute_key(h: &[u8; 19]) -> (u64, u64) {
    (word_at(h, 0), word_at(h, 8))
}

/// The seconds of `HH:MM:SS` at bytes 16 to 18 (`:SS`): a leap second
/// reads as 59, as jiff reads it; `None` for 61 and above, or no colon and
/// two digits (as [`clock`] and the general path check them).
fn seconds(h: &[u8; 19]) -> Option<u32> {
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    if h[16] != b':' {
        return None;
    }
    match digit(h[17])? * 10 + digit(h[18])? {
        60 => Some(59),
        second if second > 60 => None,
        second => Some(second),
    }
}

impl LastDay {
    /// The seconds (as written) at the start of the minute that `h` starts
    /// with, when it is the last one read.
    #[inline]
    fn minute_of(&self, h: &[u8; 19]) -> Option<i64> {
        (minute_key(h) == self.minute.0).then_some(self.minute.1)
    }

    /// The day number of the date that `h` starts with, from the last one
    /// when it is the same; `None` when it is not a valid date.
    fn days_of(&mut self, h: &[u8; 19]) -> Option<i64> {
        let key = (word_at(h, 0), u16::from_le_bytes([h[8], h[9]]));
        if key == self.key {
            return Some(self.days);
        }
        let days = date_days(h)?;
        self.key = key;
        self.days = days;
        Some(days)
    }
}

/// The day number of a valid `YYYY-MM-DD` at the start of `h`, checked as
/// [`parse_full`] checks it.
fn date_days(h: &[u8; 19]) -> Option<i64> {
    let d = |i: usize| u32::from(h[i].wrapping_sub(b'0'));
    if h[4] != b'-' || h[7] != b'-' || [0, 1, 2, 3, 5, 6, 8, 9].iter().any(|&i| d(i) > 9) {
        return None;
    }
    let two = |i: usize| d(i) * 10 + d(i + 1);
    let year = i64::from(two(0) * 100 + two(2));
    let (month, day) = (two(5), two(8));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Fractional seconds: up to 9 digits kept, more digits are read and dropped.
fn fraction(b: &[u8]) -> Option<(u32, usize)> {
    let used = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if used == 0 {
        return None;
    }
    let kept = used.min(9);
    let value = digits(b, 0, kept)?;
    Some((value * 10u32.pow(9 - u32::try_from(kept).ok()?), used))
}

/// `""` (naive) → `Some(None)`; `Z`, `+01:00`, `+0100`, `+01` → `Some(Some(seconds))`.
fn parse_offset(b: &[u8]) -> Option<Option<i64>> {
    let sign = match b.first() {
        None => return Some(None),
        Some(b'Z' | b'z') if b.len() == 1 => return Some(Some(0)),
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let hours = digits(b, 1, 2)?;
    let minutes = match b.len() {
        3 => 0,
        5 => digits(b, 3, 2)?,
        6 if b.get(3) == Some(&b':') => digits(b, 4, 2)?,
        _ => return None,
    };
    if hours > 25 || minutes > 59 {
        return None;
    }
    Some(Some(
        sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60),
    ))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A duration in seconds as `3d 4h`, `2h 5m`, `4m 10s` or `9s` (two largest units).
pub fn human_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let Some(first) = units.iter().position(|&(size, _)| s >= size) else {
        return "0s".into();
    };
    let mut out = String::from(sign);
    let mut rest = s;
    for &(size, unit) in units.iter().skip(first).take(2) {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            if out.len() > sign.len() {
                out.push(' ');
            }
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{n}{unit}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;

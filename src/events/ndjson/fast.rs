//! The fast path of NDJSON reading: a hand-written scanner for the common line,
//! a flat JSON object whose keys are plain strings and whose values are strings
//! without escapes, numbers, `true`, `false` or `null`.
//!
//! Reading is in two phases. [`scan`] checks the whole line and notes where
//! each key and value is, with no side effect; any line outside the subset
//! (escapes, nested values, more than [`MAX_ENTRIES`] keys, a syntax error,
//! anything unsure) makes it return `None`, and the caller reads the line
//! with serde instead, so rejections keep serde's messages. Only a line that
//! scanned whole is applied ([`LineSeed::apply`]), through the same per-field
//! code as the serde path, in the same order: the result and the names's
//! state are the same.
//! [`scan_pending`] is [`scan`] over input not yet split into lines: the
//! line's end is where its object and trailing blanks end at a `\n`.
//!
//! The scanner reads bytes: it checks as UTF-8 only the strings with a
//! non-ASCII byte (everything else it accepts is ASCII), so a line it takes is
//! UTF-8 without a check of the whole line.
//!
//! Numbers: plain integers of up to 18 digits are read here; every other
//! number token (`-0`, fractions, exponents, long integers) is read by
//! serde_json on its own, the same code that reads it inside a line.

use super::cache::{CachedKey, KeyCache, Slot};
use super::json::{text_value, LineSeed, Scalar};
use super::names::utf8;
use crate::events::Value;
use serde::Deserialize;

/// A value read by the scanner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Token {
    /// A string without escapes: its byte range in the line (quotes excluded).
    Str(Span),
    /// An integer that fits an `i64`.
    Int(i64),
    /// A larger integer that fits a `u64`.
    UInt(u64),
    /// Any other number.
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A byte range of the scanned input in 32 bits (the scanner takes no input
/// of 4 GiB or more, see [`object`]), so that an entry is small.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Span(u32, u32);

impl Span {
    /// The range `start..end`, both within a scanned input (so they fit).
    #[inline(always)]
    fn new(start: usize, end: usize) -> Span {
        Span(start as u32, end as u32)
    }

    /// Its bytes in `line` (none if out of range).
    #[inline(always)]
    fn of(self, line: &[u8]) -> &[u8] {
        line.get(self.0 as usize..self.1 as usize).unwrap_or(b"")
    }
}

/// One key and its value, as byte ranges of the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Entry {
    key: Span,
    /// The key's slot, when it is the cached key of its position.
    slot: Option<Slot>,
    value: Token,
}

/// The most keys a line read by the scanner may have (a line with more goes
/// the general way).
pub(super) const MAX_ENTRIES: usize = 64;

/// The scanned entries of a line, in a fixed array (no capacity to check
/// or grow per key; the count is kept in a register while scanning).
#[derive(Debug, Clone)]
pub(super) struct Entries {
    list: [Entry; MAX_ENTRIES],
    len: usize,
    /// How many of them may be attributes (not known to hold a mapped
    /// field), counted while scanning: the attributes' vector is sized by it.
    attrs: usize,
}

impl Default for Entries {
    fn default() -> Self {
        const NONE: Entry = Entry {
            key: Span(0, 0),
            slot: None,
            value: Token::Null,
        };
        Entries {
            list: [NONE; MAX_ENTRIES],
            len: 0,
            attrs: 0,
        }
    }
}

impl Entries {
    /// The entries of the last line scanned.
    fn as_slice(&self) -> &[Entry] {
        self.list.get(..self.len).unwrap_or(&[])
    }

    /// How many of the last line's entries may be attributes: the capacity
    /// its attributes' vector needs.
    pub(super) fn attrs(&self) -> usize {
        self.attrs
    }
}

/// Scans `line` into `out` (cleared first); `None` when the line is not in
/// the fast subset and must be read by serde. A key equal to the cached key
/// of its position is matched as is and takes its slot (read only here).
pub(super) fn scan(b: &[u8], cache: &KeyCache, out: &mut Entries) -> Option<()> {
    let i = object::<false>(b, cache, out)?;
    (skip_ws::<false>(b, i) == b.len()).then_some(())
}

/// Scans the line at the start of `pending` (input not yet split into
/// lines) as [`scan`] would once it is split: the line is found by the scan
/// itself, so it need not be searched for its `\n` first. The line's length
/// without its `\n` or `\r\n`, and the bytes up to just past its `\n`;
/// `None` when the line is not in the fast subset, has no `\n` in
/// `pending`, or is longer than `max` (all left to the line reader).
pub(super) fn scan_pending(
    pending: &[u8],
    cache: &KeyCache,
    out: &mut Entries,
    max: usize,
) -> Option<(usize, usize)> {
    let b = pending;
    let i = object::<true>(b, cache, out)?;
    // Nothing but blanks to the `\n` (a `\r` among them, as [`scan`] takes
    // a `\r` left before the end for a blank).
    let newline = skip_ws::<true>(b, i);
    if b.get(newline) != Some(&b'\n') || newline > max {
        return None;
    }
    let text = match newline.checked_sub(1).and_then(|at| b.get(at)) {
        Some(b'\r') => newline - 1,
        _ => newline,
    };
    Some((text, newline + 1))
}

/// Scans a JSON object at the start of `b` into `out` (cleared first); the
/// index just past its `}`. With `IN_BUFFER` a `\n` is never a blank, so the
/// object must lie within one line.
#[inline(always)]
fn object<const IN_BUFFER: bool>(b: &[u8], cache: &KeyCache, out: &mut Entries) -> Option<usize> {
    out.len = 0;
    // Offsets are kept in 32 bits: a larger input goes the general way.
    if u32::try_from(b.len()).is_err() {
        return None;
    }
    let cached = &cache.keys;
    // Entries filled so far (stored in `out` once the object is whole).
    let mut count = 0;
    // Entries that may be attributes (for the size of their vector).
    let mut attrs = 0;
    let mut i = skip_ws::<IN_BUFFER>(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws::<IN_BUFFER>(b, i + 1);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            // Most lines have no blank between tokens: the blanks are
            // skipped only where the expected byte is missing.
            if b.get(i) != Some(&b'"') {
                i = skip_ws::<IN_BUFFER>(b, i);
                if b.get(i) != Some(&b'"') {
                    return None;
                }
            }
            let key_start = i + 1;
            let known = match cached.get(count) {
                // The cached key of this position, quotes and colon included.
                Some(c) if c.at(b, i) => Some(c),
                // Another cached key (attribute keys vary in which and where).
                _ => probe(b, i, cache),
            };
            let (key_end, slot) = match known {
                Some(c) => {
                    i += c.pattern.len();
                    (key_start + c.text.len(), Some(c.slot))
                }
                None => {
                    let end = string_end(b, key_start)?;
                    let key = b.get(key_start..end)?;
                    let known = cached.iter().find(|c| same(c.text.as_bytes(), key));
                    i = skip_ws::<IN_BUFFER>(b, end + 1);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    i += 1;
                    (end, known.map(|c| c.slot))
                }
            };
            // The value is written in place (no copy of a returned token).
            let entry = out.list.get_mut(count)?;
            *entry = Entry {
                key: Span::new(key_start, key_end),
                slot,
                value: Token::Null,
            };
            count += 1;
            attrs += usize::from(!is_mapped(slot));
            i = match value(b, i, &mut entry.value) {
                Some(next) => next,
                None => value_after_blanks::<IN_BUFFER>(b, i, &mut entry.value)?,
            };
            let mut after = b.get(i);
            if !matches!(after, Some(b',' | b'}')) {
                i = skip_ws::<IN_BUFFER>(b, i);
                after = b.get(i);
            }
            match after {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    out.len = count;
    out.attrs = attrs;
    Some(i)
}

/// The value after blanks at `i` (out of line: values seldom have blanks
/// before them); `None` when there are none, as the value at `i` was not
/// one.
#[cold]
#[inline(never)]
fn value_after_blanks<const IN_BUFFER: bool>(b: &[u8], i: usize, out: &mut Token) -> Option<usize> {
    let from = skip_ws::<IN_BUFFER>(b, i);
    if from == i {
        return None;
    }
    value(b, from, out)
}

/// The cached key whose pattern is at `at`: its first eight bytes are
/// compared with those of each key whose first two bytes hash alike (one
/// compare each, no scan of the key first), then the whole pattern with the
/// one that agrees.
#[inline(always)]
fn probe<'c>(b: &[u8], at: usize, cache: &'c KeyCache) -> Option<&'c CachedKey> {
    let word = b
        .get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map(u64::from_le_bytes)?;
    // Only the keys whose first two bytes (after the quote) hash alike.
    let mut candidates = cache.candidates(word);
    while candidates != 0 {
        let index = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        let c = cache.keys.get(index)?;
        if word & c.mask == c.head && c.at(b, at) {
            return Some(c);
        }
    }
    None
}

/// Byte equality, quick for short slices (no library call).
#[inline]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let half = |s: &[u8], at: usize| {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map(u32::from_le_bytes)
    };
    match n {
        0 => true,
        // First, middle and last bytes: all of them (no library call).
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=32 => {
            word(a, 0) == word(b, 0)
                && word(a, 8) == word(b, 8)
                && word(a, n - 16) == word(b, n - 16)
                && word(a, n - 8) == word(b, n - 8)
        }
        _ => a == b,
    }
}

/// The index past JSON whitespace from `i`.
#[inline(always)]
fn skip_ws<const IN_BUFFER: bool>(b: &[u8], mut i: usize) -> usize {
    // Most lines have no whitespace between tokens.
    if b.get(i).is_some_and(|&c| c > b' ') {
        return i;
    }
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'\r') => i += 1,
            Some(b'\n') if !IN_BUFFER => i += 1,
            _ => return i,
        }
    }
}

/// The index of the closing quote of a string whose text starts at `start`;
/// `None` for an escape, a control character, no closing quote or text that
/// is not UTF-8. ASCII text (the common case) is checked as it is scanned;
/// other text is checked as UTF-8 here, so the line need not be checked whole.
#[inline(always)]
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    // Sixteen bytes at a time as two words (one bounds check; most strings
    // of a log end within them): the lowest flagged byte is the first quote,
    // backslash, control character or non-ASCII byte.
    while let Some(w) = b
        .get(i..i + 16)
        .and_then(|w| <[u8; 16]>::try_from(w).ok())
        .map(u128::from_le_bytes)
    {
        let (low, high) = (w as u64, (w >> 64) as u64);
        let (low, high) = (special(low), special(high));
        if low | high != 0 {
            let at = match low {
                0 => i + 8 + (high.trailing_zeros() / 8) as usize,
                _ => i + (low.trailing_zeros() / 8) as usize,
            };
            return end_at(b, start, at);
        }
        i += 16;
    }
    let rest = b.get(i..)?;
    let at = rest
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))?;
    end_at(b, start, i + at)
}

/// The end of a string at the first flagged byte `at`: its closing quote, or
/// past non-ASCII text to the closing quote.
#[inline(always)]
fn end_at(b: &[u8], start: usize, at: usize) -> Option<usize> {
    match *b.get(at)? {
        b'"' => Some(at),
        0x80.. => non_ascii_end(b, start, at),
        _ => None,
    }
}

/// The closing quote of a string with a non-ASCII byte at `from`, when the
/// whole text is UTF-8.
#[cold]
#[inline(never)]
fn non_ascii_end(b: &[u8], start: usize, from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    let at = from
        + rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
    if b.get(at) != Some(&b'"') {
        return None;
    }
    std::str::from_utf8(b.get(start..at)?).ok()?;
    Some(at)
}

/// High bits set on the bytes of `w` (eight, little-endian) that are
/// `"`, `\\`, below 0x20 or above 0x7f (exact up to the first such byte;
/// bytes after it may be flagged wrongly: a borrow only leaves a byte that
/// is flagged itself).
#[inline(always)]
pub(super) fn special(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    // Flipping bit 1 maps `"` (0x22) to 0x20 and keeps the control
    // characters below 0x20, so one compare finds both: a byte below 0x21
    // gets its high bit by the subtraction. A byte over 0x7f has it already
    // (and keeps it through the xors), which also covers the false flags a
    // subtraction gives such a byte.
    let quote_or_control = (w ^ (ONES * 0x02)).wrapping_sub(ONES * 0x21);
    let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    (quote_or_control | backslash | w) & HIGH
}

/// Reads the value at `i` into `out`; the index just past it.
#[inline(always)]
fn value(b: &[u8], i: usize, out: &mut Token) -> Option<usize> {
    let mut literal = |text: &[u8], token: Token| {
        let end = i + text.len();
        (b.get(i..end)? == text).then(|| *out = token)?;
        Some(end)
    };
    match *b.get(i)? {
        b'"' => {
            let end = string_end(b, i + 1)?;
            *out = Token::Str(Span::new(i + 1, end));
            Some(end + 1)
        }
        b't' => literal(b"true", Token::Bool(true)),
        b'f' => literal(b"false", Token::Bool(false)),
        b'n' => literal(b"null", Token::Null),
        b'-' | b'0'..=b'9' => number(b, i, out),
        _ => None,
    }
}

/// The longest integer read by hand: 18 digits always fit an `i64`.
const MAX_DIGITS: usize = 18;

/// A number token at `i`: a plain integer by hand, anything else by serde_json.
#[inline(always)]
fn number(b: &[u8], i: usize, out: &mut Token) -> Option<usize> {
    // Most numbers of a log are one digit (a score, a count): one followed
    // by anything that cannot continue a number is that digit.
    if let Some(&[digit @ b'0'..=b'9', next]) = b.get(i..i + 2) {
        if !matches!(next, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
            *out = Token::Int(i64::from(digit - b'0'));
            return Some(i + 1);
        }
    }
    let negative = b.get(i) == Some(&b'-');
    let digits_start = i + usize::from(negative);
    let mut end = digits_start;
    let mut n: i64 = 0;
    while let Some(&c @ b'0'..=b'9') = b.get(end) {
        n = n.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
        end += 1;
    }
    let count = end - digits_start;
    let plain = count > 0
        && count <= MAX_DIGITS
        && (count == 1 || b.get(digits_start) != Some(&b'0'))
        && !(negative && n == 0)
        && !matches!(b.get(end), Some(b'.' | b'e' | b'E' | b'+' | b'-'));
    if plain {
        *out = Token::Int(if negative { -n } else { n });
        return Some(end);
    }
    let (token, end) = other_number(b, i)?;
    *out = token;
    Some(end)
}

/// Any number but a plain short integer: the whole run of number characters
/// at `i`, read by serde_json.
#[cold]
#[inline(never)]
fn other_number(b: &[u8], i: usize) -> Option<(Token, usize)> {
    let rest = b.get(i..)?;
    let len = rest
        .iter()
        .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .unwrap_or(rest.len());
    let text = rest.get(..len)?;
    let mut de = serde_json::Deserializer::from_slice(text);
    let token = match Scalar::deserialize(&mut de).ok()? {
        Scalar::Int(n) => match (i64::try_from(n), u64::try_from(n)) {
            (Ok(n), _) => Token::Int(n),
            (_, Ok(n)) => Token::UInt(n),
            _ => return None,
        },
        Scalar::Num(x) => Token::Num(x),
        _ => return None,
    };
    de.end().ok()?;
    Some((token, i + len))
}

impl Token {
    /// The value as a mapped field reads it.
    fn scalar(self, line: &[u8]) -> Scalar<'_> {
        match self {
            Token::Str(span) => Scalar::Str(utf8(span.of(line))),
            Token::Int(n) => Scalar::Int(i128::from(n)),
            Token::UInt(n) => Scalar::Int(i128::from(n)),
            Token::Num(x) => Scalar::Num(x),
            Token::Bool(_) => Scalar::Bool,
            Token::Null => Scalar::Null,
        }
    }

    /// The value as an attribute; `None` for `null`.
    fn attr(self, line: &[u8]) -> Option<Value> {
        match self {
            Token::Str(span) => Some(text_value(&utf8(span.of(line)))),
            // Like serde's `visit_i64`/`visit_u64`: the integer's nearest float.
            Token::Int(n) => Some(Value::Number(n as f64)),
            Token::UInt(n) => Some(Value::Number(n as f64)),
            Token::Num(x) => Some(Value::Number(x)),
            Token::Bool(v) => Some(Value::Bool(v)),
            Token::Null => None,
        }
    }
}

impl LineSeed<'_> {
    /// Applies a scanned line, key by key, as the serde visitor would.
    /// The caller sizes `parsed.attrs` ([`Entries::attrs`]): a vector made
    /// with its capacity is cheaper than one grown or replaced here.
    pub(super) fn apply(mut self, line: &[u8], entries: &Entries) {
        for entry in entries.as_slice() {
            let slot = match entry.slot {
                Some(slot) => slot,
                None => self.unseen_slot(line, entry),
            };
            match slot {
                Slot::Attr(symbol) => {
                    let value = match entry.value {
                        // Through the cache of texts that repeat.
                        Token::Str(span) => Some(self.cache.texts.value(span.of(line))),
                        value => value.attr(line),
                    };
                    if let Some(value) = value {
                        self.parsed.attrs.push((symbol, value));
                    }
                }
                Slot::Skip => {}
                slot => match entry.value {
                    Token::Str(span) => self.mapped_bytes(slot, span.of(line)),
                    _ => self.mapped_other(slot, line, entry),
                },
            }
        }
    }

    /// The slot of a key the scan did not find cached (out of line: the
    /// loop over a line's keys stays small). It is not at its position in
    /// the cache (the position is only where `slot` looks first), so none
    /// is counted.
    #[cold]
    #[inline(never)]
    fn unseen_slot(&mut self, line: &[u8], entry: &Entry) -> Slot {
        self.slot(usize::MAX, &utf8(entry.key.of(line)))
    }

    /// A mapped field holding something other than a string (seldom: out
    /// of line).
    #[cold]
    #[inline(never)]
    fn mapped_other(&mut self, slot: Slot, line: &[u8], entry: &Entry) {
        let key = utf8(entry.key.of(line));
        self.mapped(slot, &key, entry.value.scalar(line));
    }
}

/// True for a key known to hold a mapped field (or to be left out).
#[inline(always)]
fn is_mapped(slot: Option<Slot>) -> bool {
    matches!(slot, Some(slot) if !matches!(slot, Slot::Attr(_)))
}

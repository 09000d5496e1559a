//! Caches that keep NDJSON reading fast: the slot of each key position (lines
//! of one log usually share their keys and key order), and the name caches of
//! [`super::names`] (steps, channels, actors; recent customers), and the
//! last date read.

use super::names::{CustomerCache, NameCache, TextCache};
use crate::events::time::LastDay;
use crate::events::Symbol;

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Customer,
    Time,
    /// The step key at this index (an index, not a `usize`, so that a
    /// slot, and each scanned entry, is smaller).
    Step(u32),
    Channel,
    Actor,
    /// A mapped field the caller does not want (the actor, for the
    /// evaluator): its value is checked as the field's would be, not kept.
    Unread,
    Attr(Symbol),
    /// An attribute the reader was asked to leave out.
    Skip,
}

/// How many key positions are remembered.
pub(crate) const CACHED_KEYS: usize = 64;

/// A key seen before, with its slot.
#[derive(Debug)]
pub(crate) struct CachedKey {
    /// The key as read (unescaped).
    pub(crate) text: Box<str>,
    /// What it holds.
    pub(crate) slot: Slot,
    /// `"key":` when the key needs no escape in JSON (no quote, backslash or
    /// control character), so the fast path may match it in a line as is;
    /// empty otherwise.
    pub(crate) pattern: Box<[u8]>,
    /// The pattern's first (up to) eight bytes as a little-endian word, and
    /// the mask of those bytes (zero for no pattern: never a match).
    pub(crate) head: u64,
    pub(crate) mask: u64,
    /// The pattern's last eight bytes, when it is longer than eight: with
    /// `head`, a pattern of up to sixteen bytes is matched with two
    /// compares of words held here (no length dispatch, no pointer to
    /// follow).
    tail: u64,
}

impl CachedKey {
    /// A cache entry for `text`.
    pub(crate) fn new(text: &str, slot: Slot) -> Self {
        let plain = text.bytes().all(|c| c != b'"' && c != b'\\' && c >= 0x20);
        let pattern: Box<[u8]> = match plain {
            true => [b"\"", text.as_bytes(), b"\":"].concat().into(),
            false => Box::default(),
        };
        let n = pattern.len().min(8);
        let mut head = [0u8; 8];
        if let (Some(to), Some(from)) = (head.get_mut(..n), pattern.get(..n)) {
            to.copy_from_slice(from);
        }
        // No pattern (n = 0): a full mask against a zero head, which no key
        // matches (its first byte is a quote).
        let mask = match n {
            1..=7 => (1u64 << (8 * n)) - 1,
            _ => u64::MAX,
        };
        let mut tail = [0u8; 8];
        if let Some(last) = pattern
            .len()
            .checked_sub(8)
            .and_then(|at| pattern.get(at..))
        {
            tail.copy_from_slice(last);
        }
        CachedKey {
            text: Box::from(text),
            slot,
            pattern,
            head: u64::from_le_bytes(head),
            mask,
            tail: u64::from_le_bytes(tail),
        }
    }

    /// True when this key's pattern (`"key":`) is at `at` in `b`; never
    /// for a key without one. Needs eight bytes at `at` (a line has them
    /// after a key but near its very end, where the caller goes the
    /// general way).
    #[inline(always)]
    pub(crate) fn at(&self, b: &[u8], at: usize) -> bool {
        let word = |from: usize| {
            b.get(from..from + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map(u64::from_le_bytes)
        };
        let n = self.pattern.len();
        match word(at) {
            // An empty pattern has a zero head under a full mask: no match.
            Some(w) if w & self.mask == self.head => match n {
                0..=8 => true,
                9..=16 => word(at + n - 8) == Some(self.tail),
                _ => b.get(at..at + n) == Some(&*self.pattern),
            },
            _ => false,
        }
    }
}

/// The slot of each key position of the last lines: lines of one log usually
/// have the same keys in the same order, so one string compare replaces the
/// mapped-key tests and the interning of attribute keys.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    /// Key text and slot per key position (in the order first seen; add
    /// with [`Self::add_key`]).
    pub(crate) keys: Vec<CachedKey>,
    /// For each hash of a key's first two bytes (after the quote; the
    /// closing quote for a key of one byte), the keys (bits by index in
    /// `keys`) whose pattern starts so: a key missing its position is probed
    /// against these few only.
    by_first: FirstBytes,
    /// Names that repeat.
    pub(crate) names: NameCache,
    /// Recent customers.
    pub(crate) customers: CustomerCache,
    /// String attribute values that repeat.
    pub(crate) texts: TextCache,
    /// The date of the last time read.
    pub(crate) day: LastDay,
}

impl KeyCache {
    /// Remembers a key and its slot (up to [`CACHED_KEYS`] keys).
    pub(crate) fn add_key(&mut self, text: &str, slot: Slot) {
        if self.keys.len() < CACHED_KEYS {
            let key = CachedKey::new(text, slot);
            self.by_first.add(&key, self.keys.len());
            self.keys.push(key);
        }
    }

    /// The keys (bits by index) whose pattern may be the one whose first
    /// eight bytes are `head` (little-endian): those whose two bytes after
    /// the quote hash alike.
    #[inline]
    pub(crate) fn candidates(&self, head: u64) -> u64 {
        self.by_first.0[usize::from(two_bytes((head >> 8) as u16))]
    }
}

/// A hash of a key's first two bytes (little-endian) to a byte.
#[inline(always)]
fn two_bytes(pair: u16) -> u8 {
    (pair.wrapping_mul(0x9E37) >> 8) as u8
}

/// Bits of key indexes by a hash of a key's first two bytes.
#[derive(Debug)]
struct FirstBytes([u64; 256]);

impl Default for FirstBytes {
    fn default() -> Self {
        FirstBytes([0; 256])
    }
}

impl FirstBytes {
    /// Adds `key`, at `index` (below 64) in the cache; a key without a
    /// pattern is never probed.
    fn add(&mut self, key: &CachedKey, index: usize) {
        if let (Some(&[first, second]), Some(bit)) =
            (key.pattern.get(1..3), 1u64.checked_shl(index as u32))
        {
            self.0[usize::from(two_bytes(u16::from_le_bytes([first, second])))] |= bit;
        }
    }
}

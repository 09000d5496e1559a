//! Caches that keep NDJSON reading fast: the slot of each key position (lines
//! of one log usually share their keys and key order), and the name caches of
//! [`super::names`] (steps, channels, actors; recent customers), and the
//! last date read.

use super::names::{CustomerCache, NameCache};
use crate::events::time::LastDay;
use crate::events::{Interner, Symbol};

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Customer,
    Time,
    Step(usize),
    Channel,
    Actor,
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
}

impl CachedKey {
    /// A cache entry for `text`.
    pub(crate) fn new(text: &str, slot: Slot) -> Self {
        let plain = text.bytes().all(|c| c != b'"' && c != b'\\' && c >= 0x20);
        let pattern = match plain {
            true => [b"\"", text.as_bytes(), b"\":"].concat().into(),
            false => Box::default(),
        };
        CachedKey {
            text: Box::from(text),
            slot,
            pattern,
        }
    }
}

/// The slot of each key position of the last lines: lines of one log usually
/// have the same keys in the same order, so one string compare replaces the
/// mapped-key tests and the interning of attribute keys.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    /// Key text and slot per key position.
    pub(crate) keys: Vec<CachedKey>,
    /// The interner's epoch when the symbols below were checked.
    epoch: u64,
    /// Names that repeat.
    pub(crate) names: NameCache,
    /// Recent customers.
    pub(crate) customers: CustomerCache,
    /// The date of the last time read.
    pub(crate) day: LastDay,
}

impl KeyCache {
    /// Drops the attribute keys the interner may have forgotten since the
    /// last line (the evaluator forgets customers who are done, and a freed
    /// symbol is given to the next new name; the name caches check their own).
    pub(crate) fn revalidate(&mut self, interner: &Interner) {
        if self.epoch == interner.epoch() {
            return;
        }
        self.epoch = interner.epoch();
        self.keys.retain(|key| match key.slot {
            Slot::Attr(symbol) => interner.get(&key.text) == Some(symbol),
            _ => true,
        });
    }
}

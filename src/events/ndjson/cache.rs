//! Caches that keep NDJSON reading fast: the slot of each key position (lines
//! of one log usually share their keys and key order), a small direct-mapped
//! cache of names that repeat (steps, channels, actors), and the previous
//! line's customer.

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
    /// True when the key needs no escape in JSON (no quote, backslash or
    /// control character), so the fast path may match it in a line as is.
    pub(crate) plain: bool,
}

impl CachedKey {
    /// A cache entry for `text`.
    pub(crate) fn new(text: &str, slot: Slot) -> Self {
        let plain = text.bytes().all(|c| c != b'"' && c != b'\\' && c >= 0x20);
        CachedKey {
            text: Box::from(text),
            slot,
            plain,
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
    /// The previous line's customer: logs grouped by customer hit it every time.
    pub(crate) last_customer: Option<(String, Symbol)>,
}

impl KeyCache {
    /// Drops the symbols the interner may have forgotten since the last line
    /// (the evaluator forgets customers who are done, and a freed symbol is
    /// given to the next new name).
    pub(crate) fn revalidate(&mut self, interner: &Interner) {
        if self.epoch == interner.epoch() {
            return;
        }
        self.epoch = interner.epoch();
        self.keys.retain(|key| match key.slot {
            Slot::Attr(symbol) => interner.get(&key.text) == Some(symbol),
            _ => true,
        });
        self.names = NameCache::default();
        self.last_customer = None;
    }
}

/// How many names the small cache holds (a power of two).
const CACHED_NAMES: usize = 64;

/// A direct-mapped cache of names that repeat on many lines (a log has few
/// steps, channels and actors but many customers): a hit costs one short
/// compare in a small table instead of a probe of the big interner table.
#[derive(Debug)]
pub(crate) struct NameCache(Vec<Option<(Box<str>, Symbol)>>);

impl Default for NameCache {
    fn default() -> Self {
        NameCache(vec![None; CACHED_NAMES])
    }
}

impl NameCache {
    /// The symbol of `name`, from the cache when it is there.
    pub(crate) fn intern(&mut self, name: &str, interner: &mut Interner) -> Symbol {
        let b = name.as_bytes();
        let mix = b.len()
            ^ usize::from(b.first().copied().unwrap_or(0)) << 1
            ^ usize::from(b.last().copied().unwrap_or(0)) << 2
            ^ usize::from(b.get(b.len() / 2).copied().unwrap_or(0)) << 3;
        let index = mix % CACHED_NAMES;
        if let Some(Some((cached, symbol))) = self.0.get(index) {
            if super::fast::same(cached.as_bytes(), b) {
                return *symbol;
            }
        }
        let symbol = interner.intern(name);
        if let Some(entry) = self.0.get_mut(index) {
            *entry = Some((Box::from(name), symbol));
        }
        symbol
    }
}

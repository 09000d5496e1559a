//! Small direct-mapped caches in front of the interner: names that repeat on
//! many lines (steps, channels, actors) and recent customers. A hit costs a
//! short compare in a small table instead of a probe of the big interner
//! table (a cache miss when it holds many customers).
//!
//! Each entry remembers the interner's epoch when it was checked; after the
//! caller forgets a name (`Interner::forget`) an entry is trusted only once the
//! interner confirms it, so a freed symbol is never handed out again.

use super::fast::same;
use crate::events::{Interner, Symbol};
use std::borrow::Cow;

/// How many names the small cache holds (a power of two).
const CACHED_NAMES: usize = 256;

/// A cached name and its symbol, as of an interner epoch.
#[derive(Debug, Clone)]
struct Named {
    name: Box<str>,
    symbol: Symbol,
    epoch: u64,
}

/// Names that repeat on many lines (a log has few steps, channels and actors).
#[derive(Debug)]
pub(crate) struct NameCache(Vec<Option<Named>>);

impl Default for NameCache {
    fn default() -> Self {
        NameCache(vec![None; CACHED_NAMES])
    }
}

impl NameCache {
    /// The symbol of `name` (UTF-8, checked by the caller), from the cache
    /// when it is there: a hit compares bytes with a known name, so only a
    /// miss makes it a `str`. The hit is inlined into the caller (a name
    /// is looked up on most lines), the miss is not.
    #[inline(always)]
    pub(crate) fn intern(&mut self, b: &[u8], interner: &mut Interner) -> Symbol {
        let index = slot_of(b) % CACHED_NAMES;
        if let Some(Some(cached)) = self.0.get_mut(index) {
            if cached.epoch == interner.epoch() && same(cached.name.as_bytes(), b) {
                return cached.symbol;
            }
        }
        self.refill(index, b, interner)
    }

    /// The symbol of `b` on a miss (or a hit from before the interner
    /// forgot a name, confirmed by it), cached at `index`.
    #[cold]
    #[inline(never)]
    fn refill(&mut self, index: usize, b: &[u8], interner: &mut Interner) -> Symbol {
        let Some(entry) = self.0.get_mut(index) else {
            return interner.intern(&utf8(b));
        };
        let epoch = interner.epoch();
        if let Some(cached) = entry {
            if same(cached.name.as_bytes(), b) && interner.get(&cached.name) == Some(cached.symbol)
            {
                cached.epoch = epoch;
                return cached.symbol;
            }
        }
        let name = utf8(b);
        let symbol = interner.intern(&name);
        *entry = Some(Named {
            name: Box::from(name),
            symbol,
            epoch,
        });
        symbol
    }
}

/// How many customers the cache holds (a power of two).
const CACHED_CUSTOMERS: usize = 4096;

/// The longest customer id cached (an entry is then 32 bytes: two to a
/// cache line, none across two).
const CUSTOMER_BYTES: usize = 19;

/// The length of a slot never filled (over [`CUSTOMER_BYTES`]: its bytes
/// are never read).
const NEVER: u8 = u8::MAX;

/// A cached customer id, inline.
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Recent {
    /// The id's length, or [`NEVER`].
    len: u8,
    bytes: [u8; CUSTOMER_BYTES],
    symbol: Symbol,
    epoch: u64,
}

/// A slot never filled.
const EMPTY: Recent = Recent {
    len: NEVER,
    bytes: [0; CUSTOMER_BYTES],
    symbol: Symbol(0),
    epoch: 0,
};

/// Recent customers: a customer's events are usually close together, so most
/// lines find their customer here.
#[derive(Debug, Default)]
pub(crate) struct CustomerCache(Vec<Recent>);

impl CustomerCache {
    /// The symbol of customer `b` (UTF-8, checked by the caller), from the
    /// cache when it is there. The hit is inlined into the caller, the miss
    /// is not.
    #[inline(always)]
    pub(crate) fn intern(&mut self, b: &[u8], interner: &mut Interner) -> Symbol {
        let index = slot_of(b) % CACHED_CUSTOMERS;
        if let Some(entry) = self.0.get(index) {
            // No bytes for a slot never filled: a miss.
            if let Some(cached) = entry.bytes.get(..usize::from(entry.len)) {
                if entry.epoch == interner.epoch() && same(cached, b) {
                    return entry.symbol;
                }
            }
        }
        self.refill(index, b, interner)
    }

    /// The symbol of customer `b` on a miss, cached at `index` (the cache
    /// is made on the first miss).
    #[cold]
    #[inline(never)]
    fn refill(&mut self, index: usize, b: &[u8], interner: &mut Interner) -> Symbol {
        let len = b.len();
        let symbol = interner.intern(&utf8(b));
        if len > CUSTOMER_BYTES {
            return symbol;
        }
        if self.0.is_empty() {
            self.0 = vec![EMPTY; CACHED_CUSTOMERS];
        }
        let Some(entry) = self.0.get_mut(index) else {
            return symbol;
        };
        // Written in place: a whole new entry built aside costs a slow copy.
        if let Some(head) = entry.bytes.get_mut(..len) {
            head.copy_from_slice(b);
        }
        entry.len = len as u8;
        entry.symbol = symbol;
        entry.epoch = interner.epoch();
        symbol
    }
}

/// Bytes the caller has checked as UTF-8, as a `str`; were they not, they
/// would be read lossily (never a panic on input).
pub(crate) fn utf8(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// A hash of a name for the caches: its first and last eight bytes, mixed.
#[inline(always)]
fn slot_of(b: &[u8]) -> usize {
    // Whole words where the name is long enough; four-byte halves for a
    // shorter one (like `c000001`); byte by byte below four (a
    // variable-length copy into a word stalls on the read back).
    let n = b.len();
    let half = |at: usize| {
        b.get(at..at + 4)
            .and_then(|h| <[u8; 4]>::try_from(h).ok())
            .map_or(0, |h| u64::from(u32::from_le_bytes(h)))
    };
    let (head, tail) = match (b.get(..8), n.checked_sub(8).and_then(|at| b.get(at..))) {
        (Some(first), Some(last)) => (word(first), word(last)),
        _ if n >= 4 => (half(0) | half(n - 4) << 32, 0),
        _ => {
            let short = b
                .iter()
                .enumerate()
                .fold(0u64, |w, (i, &c)| w | u64::from(c) << (8 * i));
            (short, 0)
        }
    };
    let mixed = (head ^ tail.rotate_left(29) ^ b.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 48) as usize
}

/// Eight bytes as a word (zero when `bytes` is not eight long).
fn word(bytes: &[u8]) -> u64 {
    <[u8; 8]>::try_from(bytes).map_or(0, u64::from_le_bytes)
}

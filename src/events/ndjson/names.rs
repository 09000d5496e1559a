//! Small direct-mapped caches in front of the interner: names that repeat on
//! many lines (steps, channels, actors) and recent customers. A hit costs a
//! short compare in a small table instead of a probe of the big interner
//! table (a cache miss when it holds many customers).
//!
//! Each entry keeps its symbol's generation (`Interner::generation`) from
//! when it was filled; a hit needs the same bytes and that generation still
//! current. Forgetting a name (`Interner::forget`) changes only its own
//! symbol's generation: entries of other names stay hits, and a freed symbol
//! given to a later name is never handed out for the old one.

use super::fast::same;
use super::json::text_value;
use crate::events::{Interner, Symbol, Value};
use std::borrow::Cow;

/// How many names the small cache holds (a power of two).
const CACHED_NAMES: usize = 256;

/// A cached name, its symbol and the symbol's generation.
#[derive(Debug, Clone)]
struct Named {
    name: Box<str>,
    symbol: Symbol,
    gen: u32,
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
        match self.lookup(b, interner) {
            Ok(symbol) => symbol,
            Err(index) => self.refill(index, b, interner),
        }
    }

    /// The cached symbol of `name`, still current, or the slot to refill.
    #[inline(always)]
    fn lookup(&self, b: &[u8], interner: &Interner) -> Result<Symbol, usize> {
        let index = slot_of(b) % CACHED_NAMES;
        if let Some(Some(cached)) = self.0.get(index) {
            if same(cached.name.as_bytes(), b) && interner.is_current(cached.symbol, cached.gen) {
                return Ok(cached.symbol);
            }
        }
        Err(index)
    }

    /// The symbol of `b` on a miss (or when the interner forgot the cached
    /// symbol), cached at `index`.
    #[cold]
    #[inline(never)]
    fn refill(&mut self, index: usize, b: &[u8], interner: &mut Interner) -> Symbol {
        let name = utf8(b);
        let symbol = interner.intern(&name);
        let gen = interner.generation(symbol);
        match self.0.get_mut(index) {
            // The same name again, its symbol forgotten: keep the text.
            Some(Some(cached)) if same(cached.name.as_bytes(), b) => {
                cached.symbol = symbol;
                cached.gen = gen;
            }
            Some(entry) => {
                *entry = Some(Named {
                    name: Box::from(name),
                    symbol,
                    gen,
                });
            }
            None => {}
        }
        symbol
    }
}

/// How many attribute texts the small cache holds (a power of two).
const CACHED_TEXTS: usize = 256;

/// The longest text cached: values that repeat are short (a tier, a reason),
/// and a long one kept would hold memory that follows the log, not the
/// customers in flight.
const CACHED_TEXT_LEN: usize = 64;

/// String attribute values that repeat (a reason asked, a tier): a hit
/// copies the text held here instead of checking the bytes as UTF-8 and
/// testing them for a time again. Texts only: a time attribute is seldom
/// repeated, and is read the general way.
#[derive(Debug)]
pub(crate) struct TextCache(Vec<Option<Box<str>>>);

impl Default for TextCache {
    fn default() -> Self {
        TextCache(vec![None; CACHED_TEXTS])
    }
}

impl TextCache {
    /// The attribute value of string `b` (UTF-8, checked by the caller), as
    /// [`text_value`] reads it.
    #[inline(always)]
    pub(crate) fn value(&mut self, b: &[u8]) -> Value {
        if b.len() > CACHED_TEXT_LEN {
            return text_value(&utf8(b));
        }
        let index = slot_of(b) % CACHED_TEXTS;
        if let Some(Some(text)) = self.0.get(index) {
            if same(text.as_bytes(), b) {
                return Value::Text(text.clone());
            }
        }
        self.refill(index, b)
    }

    /// The value of `b` on a miss; a text is cached at `index`.
    #[cold]
    #[inline(never)]
    fn refill(&mut self, index: usize, b: &[u8]) -> Value {
        let value = text_value(&utf8(b));
        if let (Value::Text(text), Some(entry)) = (&value, self.0.get_mut(index)) {
            *entry = Some(text.clone());
        }
        value
    }
}

/// How many customers the cache holds (a power of two).
const CACHED_CUSTOMERS: usize = 4096;

/// The longest customer id cached (an entry is then 32 bytes: two to a
/// cache line, none across two).
const CUSTOMER_BYTES: usize = 23;

/// The length of a slot never filled (over [`CUSTOMER_BYTES`]: its bytes
/// are never read).
const NEVER: u8 = u8::MAX;

/// A cached customer id, inline, with its symbol and the symbol's
/// generation.
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Recent {
    /// The id's length, or [`NEVER`].
    len: u8,
    bytes: [u8; CUSTOMER_BYTES],
    symbol: Symbol,
    gen: u32,
}

// Two entries to a cache line.
const _: () = assert!(std::mem::size_of::<Recent>() == 32);

/// A slot never filled.
const EMPTY: Recent = Recent {
    len: NEVER,
    bytes: [0; CUSTOMER_BYTES],
    symbol: Symbol(0),
    gen: 0,
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
        match self.lookup(b, interner) {
            Ok(symbol) => symbol,
            Err(index) => self.refill(index, b, interner),
        }
    }

    /// The cached symbol of customer `b`, still current, or the slot to
    /// refill.
    #[inline(always)]
    fn lookup(&self, b: &[u8], interner: &Interner) -> Result<Symbol, usize> {
        let index = slot_of(b) % CACHED_CUSTOMERS;
        if let Some(entry) = self.0.get(index) {
            // No bytes for a slot never filled: a miss.
            if let Some(cached) = entry.bytes.get(..usize::from(entry.len)) {
                if same(cached, b) && interner.is_current(entry.symbol, entry.gen) {
                    return Ok(entry.symbol);
                }
            }
        }
        Err(index)
    }

    /// The symbol of customer `b` on a miss (or when the interner forgot the
    /// cached symbol), cached at `index` (the cache is made on the first miss).
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
        entry.gen = interner.generation(symbol);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_texts_read_as_uncached_ones_and_long_ones_are_not_kept() {
        let mut cache = TextCache::default();
        let long = "x".repeat(CACHED_TEXT_LEN + 1);
        let texts = [
            "gold",
            "bank_details",
            "gold",
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00Z",
            long.as_str(),
            long.as_str(),
            "",
        ];
        for text in texts {
            assert_eq!(cache.value(text.as_bytes()), text_value(text), "{text:?}");
        }
        assert!(
            cache.0.iter().flatten().all(|t| t.len() <= CACHED_TEXT_LEN),
            "no long text is kept"
        );
        assert!(
            cache.0.iter().flatten().all(|t| !t.starts_with("2026")),
            "a time is not kept as a text"
        );
        // Many distinct texts, so slots are shared and overwritten.
        let many: Vec<String> = (0..2 * CACHED_TEXTS).map(|i| format!("t{i}")).collect();
        for round in ["", " again"] {
            for text in &many {
                assert_eq!(
                    cache.value(text.as_bytes()),
                    text_value(text),
                    "{text:?}{round}"
                );
            }
        }
    }

    #[test]
    fn a_forgotten_customer_is_not_returned_for_its_old_id() {
        let mut interner = Interner::new();
        let mut cache = CustomerCache::default();
        let a = cache.intern(b"customer-a", &mut interner);
        interner.forget(a);
        let b = interner.intern("customer-b");
        assert_eq!(b, a, "the freed symbol is reused");
        assert_eq!(
            cache.lookup(b"customer-a", &interner),
            Err(slot_of(b"customer-a") % CACHED_CUSTOMERS)
        );
        let again = cache.intern(b"customer-a", &mut interner);
        assert_ne!(again, b);
        assert_eq!(interner.resolve(again), "customer-a");
        assert_eq!(
            cache.lookup(b"customer-a", &interner),
            Ok(again),
            "refilled"
        );
        assert_eq!(interner.resolve(b), "customer-b");
    }

    #[test]
    fn a_forgotten_name_is_not_returned_for_its_old_text() {
        let mut interner = Interner::new();
        let mut cache = NameCache::default();
        let a = cache.intern(b"Claim reported", &mut interner);
        interner.forget(a);
        let b = interner.intern("Claim closed");
        assert_eq!(b, a, "the freed symbol is reused");
        let again = cache.intern(b"Claim reported", &mut interner);
        assert_ne!(again, b);
        assert_eq!(interner.resolve(again), "Claim reported");
        assert_eq!(cache.intern(b"Claim closed", &mut interner), b);
    }

    #[test]
    fn forgetting_one_customer_keeps_the_others_cached() {
        let mut interner = Interner::new();
        let mut customers = CustomerCache::default();
        let mut names = NameCache::default();
        let step = names.intern(b"acknowledge", &mut interner);
        let kept = customers.intern(b"c000001", &mut interner);
        let done = customers.intern(b"c000002", &mut interner);
        interner.forget(done);
        let next = customers.intern(b"c000003", &mut interner);
        assert_eq!(next, done, "the freed symbol is reused");
        // Hits without asking the interner: their symbols were not forgotten.
        assert_eq!(customers.lookup(b"c000001", &interner), Ok(kept));
        assert_eq!(customers.lookup(b"c000003", &interner), Ok(next));
        assert_eq!(names.lookup(b"acknowledge", &interner), Ok(step));
        assert!(customers.lookup(b"c000002", &interner).is_err());
    }

    #[test]
    fn cached_symbols_always_resolve_to_their_name() {
        // Many ids over few slots, forgotten and interned again in a
        // pseudo-random order: every symbol handed out stands for its id.
        let mut interner = Interner::new();
        let mut customers = CustomerCache::default();
        let mut names = NameCache::default();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Ids of 1 to 30 bytes: inline, at the longest cached, too long.
            let width = 1 + (state >> 20) as usize % 30;
            let id = format!("{:0width$}", state % 9_000);
            let customer = customers.intern(id.as_bytes(), &mut interner);
            assert_eq!(interner.resolve(customer), id);
            let name = format!("n{}", state >> 40 & 1023);
            let named = names.intern(name.as_bytes(), &mut interner);
            assert_eq!(interner.resolve(named), name);
            if state & 3 == 0 {
                interner.forget(customer);
            }
            if state & 63 == 1 {
                interner.forget(named);
            }
        }
    }
}

//! Small direct-mapped caches in front of the interner: names that repeat on
//! many lines (steps, channels, actors) and recent customers. A hit costs a
//! short compare in a small table instead of a probe of the big interner
//! table (a cache miss when it holds many customers).
//!
//! Names are never forgotten, so a cached name's symbol is good for the whole
//! run. Customers are: each customer entry keeps its id's generation
//! (`CustomerIds::generation`) from when it was filled, and a hit needs the
//! same bytes and that generation still current. Forgetting a customer
//! changes only its own id's generation: entries of other customers stay
//! hits, and a freed id given to a later customer is never handed out for
//! the old one.

use super::fast::same;
use super::json::text_value;
use crate::events::{CustomerId, CustomerIds, Interner, Symbol, Value};
use std::borrow::Cow;

/// How many names the small cache holds (a power of two).
const CACHED_NAMES: usize = 256;

/// A cached name and its symbol.
#[derive(Debug, Clone)]
struct Named {
    name: Box<str>,
    symbol: Symbol,
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
        match self.lookup(b) {
            Ok(symbol) => symbol,
            Err(index) => self.refill(index, b, interner),
        }
    }

    /// The cached symbol of `name`, or the slot to refill.
    #[inline(always)]
    fn lookup(&self, b: &[u8]) -> Result<Symbol, usize> {
        let index = slot_of(b) % CACHED_NAMES;
        if let Some(Some(cached)) = self.0.get(index) {
            if same(cached.name.as_bytes(), b) {
                return Ok(cached.symbol);
            }
        }
        Err(index)
    }

    /// The symbol of `b` on a miss, cached at `index`.
    #[cold]
    #[inline(never)]
    fn refill(&mut self, index: usize, b: &[u8], interner: &mut Interner) -> Symbol {
        let name = utf8(b);
        let symbol = interner.intern(&name);
        if let Some(entry) = self.0.get_mut(index) {
            *entry = Some(Named {
                name: Box::from(name),
                symbol,
            });
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

/// A cached customer id, inline, with its interned id and the id's
/// generation.
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Recent {
    /// The id's length, or [`NEVER`].
    len: u8,
    bytes: [u8; CUSTOMER_BYTES],
    id: CustomerId,
    gen: u32,
}

// Two entries to a cache line.
const _: () = assert!(std::mem::size_of::<Recent>() == 32);

/// A slot never filled.
const EMPTY: Recent = Recent {
    len: NEVER,
    bytes: [0; CUSTOMER_BYTES],
    id: CustomerId(0),
    gen: 0,
};

/// Recent customers: a customer's events are usually close together, so most
/// lines find their customer here.
#[derive(Debug, Default)]
pub(crate) struct CustomerCache(Vec<Recent>);

impl CustomerCache {
    /// The id of customer `b` (UTF-8, checked by the caller), from the
    /// cache when it is there. The hit is inlined into the caller, the miss
    /// is not.
    #[inline(always)]
    pub(crate) fn intern(&mut self, b: &[u8], ids: &mut CustomerIds) -> CustomerId {
        match self.lookup(b, ids) {
            Ok(id) => id,
            Err(index) => self.refill(index, b, ids),
        }
    }

    /// The cached id of customer `b`, still current, or the slot to refill.
    #[inline(always)]
    fn lookup(&self, b: &[u8], ids: &CustomerIds) -> Result<CustomerId, usize> {
        let index = slot_of(b) % CACHED_CUSTOMERS;
        if let Some(entry) = self.0.get(index) {
            // No bytes for a slot never filled: a miss.
            if let Some(cached) = entry.bytes.get(..usize::from(entry.len)) {
                if same(cached, b) && ids.is_current(entry.id, entry.gen) {
                    return Ok(entry.id);
                }
            }
        }
        Err(index)
    }

    /// The id of customer `b` on a miss (or when the cached id was
    /// forgotten), cached at `index` (the cache is made on the first miss).
    #[cold]
    #[inline(never)]
    fn refill(&mut self, index: usize, b: &[u8], ids: &mut CustomerIds) -> CustomerId {
        let len = b.len();
        let id = ids.intern(&utf8(b));
        if len > CUSTOMER_BYTES {
            return id;
        }
        if self.0.is_empty() {
            self.0 = vec![EMPTY; CACHED_CUSTOMERS];
        }
        let Some(entry) = self.0.get_mut(index) else {
            return id;
        };
        // Written in place: a whole new entry built aside costs a slow copy.
        if let Some(head) = entry.bytes.get_mut(..len) {
            head.copy_from_slice(b);
        }
        entry.len = len as u8;
        entry.id = id;
        entry.gen = ids.generation(id);
        id
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
        let mut ids = CustomerIds::new();
        let mut cache = CustomerCache::default();
        let a = cache.intern(b"customer-a", &mut ids);
        ids.forget(a);
        let b = ids.intern("customer-b");
        assert_eq!(b, a, "the freed id is reused");
        assert_eq!(
            cache.lookup(b"customer-a", &ids),
            Err(slot_of(b"customer-a") % CACHED_CUSTOMERS)
        );
        let again = cache.intern(b"customer-a", &mut ids);
        assert_ne!(again, b);
        assert_eq!(ids.resolve(again), "customer-a");
        assert_eq!(cache.lookup(b"customer-a", &ids), Ok(again), "refilled");
        assert_eq!(ids.resolve(b), "customer-b");
    }

    #[test]
    fn forgetting_one_customer_keeps_the_others_cached() {
        let mut ids = CustomerIds::new();
        let mut customers = CustomerCache::default();
        let kept = customers.intern(b"c000001", &mut ids);
        let done = customers.intern(b"c000002", &mut ids);
        ids.forget(done);
        let next = customers.intern(b"c000003", &mut ids);
        assert_eq!(next, done, "the freed id is reused");
        // Hits without asking the table: their ids were not forgotten.
        assert_eq!(customers.lookup(b"c000001", &ids), Ok(kept));
        assert_eq!(customers.lookup(b"c000003", &ids), Ok(next));
        assert!(customers.lookup(b"c000002", &ids).is_err());
    }

    #[test]
    fn cached_symbols_always_resolve_to_their_name() {
        // Many ids over few slots, forgotten and interned again in a
        // pseudo-random order: every id handed out stands for its customer,
        // and every name's symbol for its name.
        let mut ids = CustomerIds::new();
        let mut words = Interner::new();
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
            let customer = customers.intern(id.as_bytes(), &mut ids);
            assert_eq!(ids.resolve(customer), id);
            let name = format!("n{}", state >> 40 & 1023);
            let named = names.intern(name.as_bytes(), &mut words);
            assert_eq!(words.resolve(named), name);
            if state & 3 == 0 {
                ids.forget(customer);
            }
        }
    }
}

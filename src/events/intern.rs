//! The string tables: event names and attribute keys become [`Symbol`]s and
//! customer ids [`CustomerId`]s (small integers), so the evaluator compares
//! integers in its hot loop.
//!
//! Names and customers are kept apart ([`Names`]): the policy's vocabulary
//! starts the [`Interner`] and nothing in it is ever forgotten, while
//! [`CustomerIds`] forgets customers who are done and reuses their indices.
//! The caller owns one `Names` and passes it by `&mut` to every reader.

use rustc_hash::FxHashMap;
use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};

/// Names up to this many bytes are stored inside the hash table itself, so a
/// lookup compares them without following a pointer (one cache miss, not two,
/// in a table of many customers).
const INLINE: usize = 22;

/// A table key: short names inline, long ones boxed.
#[derive(Debug, Clone)]
enum Key {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl Key {
    fn new(name: &str) -> Key {
        let bytes = name.as_bytes();
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= INLINE => {
                let mut inline = [0u8; INLINE];
                inline[..bytes.len()].copy_from_slice(bytes);
                Key::Inline(len, inline)
            }
            _ => Key::Heap(bytes.into()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Key::Inline(len, bytes) => &bytes[..usize::from(*len)],
            Key::Heap(bytes) => bytes,
        }
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Key {}

/// An interned string: an index into an [`Interner`].
///
/// Symbols are ordered by the order in which strings were first interned, not
/// alphabetically; sort by [`Interner::resolve`] where order reaches output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(pub u32);

impl Symbol {
    /// The index of this symbol in its interner.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The table of names: event names, attribute keys, channels and actors.
///
/// Names are never forgotten: a log has few of them, so memory does not grow
/// with the log, and a symbol cached anywhere stays valid for the whole run.
/// Customer ids, which do grow with the log, live apart in [`CustomerIds`].
#[derive(Debug, Default, Clone)]
pub struct Interner {
    map: FxHashMap<Key, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// The symbol for `name`, interning it if it is new. Allocates only when
    /// `name` has not been seen before.
    pub fn intern(&mut self, name: &str) -> Symbol {
        Symbol(intern(&mut self.map, name, |name| {
            push(&mut self.names, name)
        }))
    }

    /// The symbol for `name` if it has been interned, without interning it.
    pub fn get(&self, name: &str) -> Option<Symbol> {
        self.map.get(name.as_bytes()).map(|&index| Symbol(index))
    }

    /// The string a symbol stands for; the empty string for a symbol from
    /// another interner that is out of range here.
    pub fn resolve(&self, symbol: Symbol) -> &str {
        self.names.get(symbol.index()).map_or("", |name| name)
    }

    /// How many distinct strings have been interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when nothing has been interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A customer id interned in a [`CustomerIds`] table: an index into it.
///
/// Ids of forgotten customers are given to later ones, so an id held past
/// its customer's end must be checked with [`CustomerIds::is_current`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(pub u32);

impl CustomerId {
    /// The index of this id in its table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The customers' ids: interned like names, but forgotten when a customer is
/// done, so memory follows the customers in flight rather than every
/// customer ever seen. A forgotten index is reused by the next new customer;
/// each index has a generation (how many times it was forgotten), so a cache
/// outside the table knows when an id it holds is stale.
#[derive(Debug, Default, Clone)]
pub struct CustomerIds {
    map: FxHashMap<Key, u32>,
    ids: Vec<Box<str>>,
    /// Each index's generation, parallel to `ids`.
    gens: Vec<u32>,
    /// Indices of forgotten ids, reused by the next new ones.
    free: Vec<u32>,
}

impl CustomerIds {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of customer `name`, interning it if it is new.
    pub fn intern(&mut self, name: &str) -> CustomerId {
        let (ids, gens, free) = (&mut self.ids, &mut self.gens, &mut self.free);
        CustomerId(intern(&mut self.map, name, |name| match free.pop() {
            Some(index) => {
                if let Some(slot) = ids.get_mut(index as usize) {
                    *slot = name.into();
                }
                index
            }
            None => {
                gens.push(0);
                push(ids, name)
            }
        }))
    }

    /// Forget a customer, whose index may then be given to a later one: call
    /// this only when nothing holds `id` (or what holds it checks
    /// [`Self::is_current`]). Its generation changes.
    pub fn forget(&mut self, id: CustomerId) {
        let (Some(name), Some(gen)) = (self.ids.get_mut(id.index()), self.gens.get_mut(id.index()))
        else {
            return;
        };
        if self.map.remove(name.as_bytes()).is_some() {
            *name = Box::from("");
            *gen += 1;
            // An index at the last generation is never given out again, so
            // a generation is never reused for another customer.
            if *gen < u32::MAX {
                self.free.push(id.0);
            }
        }
    }

    /// The generation of `id`, to keep with it in a cache (see
    /// [`Self::is_current`]); 0 for an id out of range here.
    pub fn generation(&self, id: CustomerId) -> u32 {
        self.gens.get(id.index()).copied().unwrap_or(0)
    }

    /// True when `id`, cached with generation `gen` (from
    /// [`Self::generation`] when it was interned), has not been forgotten
    /// since: it still stands for the same customer.
    #[inline(always)]
    pub fn is_current(&self, id: CustomerId, gen: u32) -> bool {
        self.gens.get(id.index()) == Some(&gen)
    }

    /// The id of customer `name` if it is in flight, without interning it.
    pub fn get(&self, name: &str) -> Option<CustomerId> {
        self.map
            .get(name.as_bytes())
            .map(|&index| CustomerId(index))
    }

    /// The customer's id as text; the empty string for a forgotten or
    /// out-of-range id.
    pub fn resolve(&self, id: CustomerId) -> &str {
        self.ids.get(id.index()).map_or("", |name| name)
    }

    /// How many indices the table has handed out (in flight or free).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no customer was ever interned.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Names and customer ids: what a reader turns a record's text into.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// Event names, attribute keys, channels, actors.
    pub words: Interner,
    /// Customer ids.
    pub customers: CustomerIds,
}

impl Names {
    /// Empty tables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tables whose words start as `vocabulary` (a policy's names).
    pub fn with_vocabulary(vocabulary: Interner) -> Self {
        Names {
            words: vocabulary,
            customers: CustomerIds::new(),
        }
    }
}

/// The index of `name` in `map`, adding it with `add` (which stores the
/// name and returns its index) if it is new. A short name is looked up and
/// inserted with one hash and one probe (its key costs no allocation); a
/// long one is looked up first, so that only a new one is copied.
fn intern(map: &mut FxHashMap<Key, u32>, name: &str, add: impl FnOnce(&str) -> u32) -> u32 {
    if name.len() <= INLINE {
        return match map.entry(Key::new(name)) {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => *slot.insert(add(name)),
        };
    }
    if let Some(&index) = map.get(name.as_bytes()) {
        return index;
    }
    let index = add(name);
    map.insert(Key::new(name), index);
    index
}

/// Appends `name` to `names`: its index.
fn push(names: &mut Vec<Box<str>>, name: &str) -> u32 {
    // INVARIANT: more than u32::MAX distinct names would exhaust memory first.
    let index = u32::try_from(names.len()).unwrap_or(u32::MAX);
    names.push(name.into());
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forgotten_customer_frees_its_index_for_the_next() {
        let mut ids = CustomerIds::new();
        let a = ids.intern("customer-a");
        let b = ids.intern("customer-b");
        ids.forget(a);
        assert_eq!(ids.get("customer-a"), None);
        assert_eq!(ids.resolve(b), "customer-b");
        let c = ids.intern("customer-c");
        assert_eq!(c, a, "the freed index is reused");
        assert_eq!(ids.resolve(c), "customer-c");
        assert_eq!(
            ids.intern("customer-a").index(),
            2,
            "a forgotten customer comes back as new"
        );
        ids.forget(CustomerId(99));
    }

    #[test]
    fn forgetting_changes_only_that_ids_generation() {
        let mut ids = CustomerIds::new();
        let a = ids.intern("customer-a");
        let b = ids.intern("customer-b");
        let (gen_a, gen_b) = (ids.generation(a), ids.generation(b));
        assert!(ids.is_current(a, gen_a) && ids.is_current(b, gen_b));
        ids.forget(a);
        assert!(!ids.is_current(a, gen_a), "a is stale");
        assert!(ids.is_current(b, gen_b), "b is not");
        let c = ids.intern("customer-c");
        assert_eq!(c, a);
        assert!(ids.is_current(c, ids.generation(c)));
        assert!(!ids.is_current(c, gen_a), "the reused index is stale for a");
        assert!(!ids.is_current(CustomerId(99), 0), "out of range");
    }

    #[test]
    fn an_index_at_the_last_generation_is_never_reused() {
        let mut ids = CustomerIds::new();
        let a = ids.intern("customer-a");
        ids.gens[a.index()] = u32::MAX - 1;
        ids.forget(a);
        assert_eq!(ids.generation(a), u32::MAX);
        let b = ids.intern("customer-b");
        assert_ne!(b, a, "retired");
        assert_eq!(ids.resolve(a), "");
    }

    #[test]
    fn interning_is_stable_and_resolves() {
        let mut interner = Interner::new();
        let a = interner.intern("Claim reported");
        let b = interner.intern("acknowledge");
        assert_ne!(a, b);
        assert_eq!(interner.intern("Claim reported"), a);
        assert_eq!(interner.resolve(b), "acknowledge");
        assert_eq!(interner.get("missing"), None);
        assert_eq!(interner.len(), 2);
        assert_eq!(interner.resolve(Symbol(99)), "");
        let long = "a name longer than twenty-two bytes";
        let l = interner.intern(long);
        assert_eq!(interner.intern(long), l);
        assert_eq!(interner.get(long), Some(l));
        assert_eq!(interner.resolve(l), long);
        let mut ids = CustomerIds::new();
        let c = ids.intern(long);
        assert_eq!(ids.intern(long), c);
        assert_eq!(ids.resolve(c), long);
    }
}

//! The string interner: event names, attribute keys and customer ids become
//! `Symbol`s (small integers), so the evaluator compares integers in its hot loop.
//!
//! The caller owns one `Interner` and passes it by `&mut` to every reader; the
//! policy compiler interns step `match` names into the same table first.

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

/// A table of interned strings.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    map: FxHashMap<Key, u32>,
    names: Vec<Box<str>>,
    /// Each symbol's generation, parallel to `names`: how many times the
    /// symbol has been forgotten. A symbol cached outside the interner with
    /// its generation still stands for the same name while the two agree.
    gens: Vec<u32>,
    /// Indices of forgotten names, reused by the next new names.
    free: Vec<u32>,
    /// How many names have been forgotten: a cache holding a few symbols
    /// checks them all again when it changes (one compare per line).
    epoch: u64,
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// The symbol for `name`, interning it if it is new. Allocates only when
    /// `name` has not been seen before.
    pub fn intern(&mut self, name: &str) -> Symbol {
        // A short name is looked up and inserted with one hash and one probe
        // (its key costs no allocation); a long one is looked up first, so
        // that only a new one is copied.
        if name.len() <= INLINE {
            return match self.map.entry(Key::new(name)) {
                Entry::Occupied(found) => Symbol(*found.get()),
                Entry::Vacant(slot) => {
                    let index = Self::add(&mut self.names, &mut self.gens, &mut self.free, name);
                    slot.insert(index);
                    Symbol(index)
                }
            };
        }
        if let Some(&index) = self.map.get(name.as_bytes()) {
            return Symbol(index);
        }
        let index = Self::add(&mut self.names, &mut self.gens, &mut self.free, name);
        self.map.insert(Key::new(name), index);
        Symbol(index)
    }

    /// Stores a new name under a forgotten index, or the next one: its
    /// index (the caller maps the name to it).
    fn add(names: &mut Vec<Box<str>>, gens: &mut Vec<u32>, free: &mut Vec<u32>, name: &str) -> u32 {
        match free.pop() {
            Some(index) => {
                if let Some(slot) = names.get_mut(index as usize) {
                    *slot = name.into();
                }
                index
            }
            None => {
                // INVARIANT: more than u32::MAX distinct names would exhaust memory first.
                let index = u32::try_from(names.len()).unwrap_or(u32::MAX);
                names.push(name.into());
                gens.push(0);
                index
            }
        }
    }

    /// Forget a name, so that memory follows the names in use rather than every
    /// name ever seen (the evaluator forgets customers who are done). Its symbol
    /// may be given to a later name: call this only when nothing holds `symbol`.
    /// Its generation changes, so caches that hold it know it is stale.
    pub fn forget(&mut self, symbol: Symbol) {
        let (Some(name), Some(gen)) = (
            self.names.get_mut(symbol.index()),
            self.gens.get_mut(symbol.index()),
        ) else {
            return;
        };
        if self.map.remove(name.as_bytes()).is_some() {
            *name = Box::from("");
            *gen += 1;
            // A symbol at the last generation is never given out again, so
            // a generation is never reused for another name.
            if *gen < u32::MAX {
                self.free.push(symbol.0);
            }
            self.epoch += 1;
        }
    }

    /// Changes whenever a name is forgotten: symbols cached outside the
    /// interner are all still valid while this stays the same.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The generation of `symbol`, to keep with it in a cache (see
    /// [`Self::is_current`]); 0 for a symbol out of range here.
    pub(crate) fn generation(&self, symbol: Symbol) -> u32 {
        self.gens.get(symbol.index()).copied().unwrap_or(0)
    }

    /// True when `symbol`, cached with generation `gen` (from
    /// [`Self::generation`] when it was interned or looked up), has not been
    /// forgotten since: it still stands for the same name. False for a symbol
    /// out of range here.
    #[inline(always)]
    pub(crate) fn is_current(&self, symbol: Symbol, gen: u32) -> bool {
        self.gens.get(symbol.index()) == Some(&gen)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forgotten_name_frees_its_symbol_for_the_next() {
        let mut names = Interner::new();
        let a = names.intern("customer-a");
        let b = names.intern("customer-b");
        names.forget(a);
        assert_eq!(names.get("customer-a"), None);
        assert_eq!(names.resolve(b), "customer-b");
        let c = names.intern("customer-c");
        assert_eq!(c, a, "the freed symbol is reused");
        assert_eq!(names.resolve(c), "customer-c");
        assert_eq!(
            names.intern("customer-a").index(),
            2,
            "a forgotten name comes back as new"
        );
        names.forget(Symbol(99));
    }

    #[test]
    fn forgetting_changes_only_that_symbols_generation() {
        let mut names = Interner::new();
        let a = names.intern("customer-a");
        let b = names.intern("customer-b");
        let (gen_a, gen_b) = (names.generation(a), names.generation(b));
        assert!(names.is_current(a, gen_a) && names.is_current(b, gen_b));
        names.forget(a);
        assert!(!names.is_current(a, gen_a), "a is stale");
        assert!(names.is_current(b, gen_b), "b is not");
        let c = names.intern("customer-c");
        assert_eq!(c, a);
        assert!(names.is_current(c, names.generation(c)));
        assert!(
            !names.is_current(c, gen_a),
            "the reused symbol is stale for a"
        );
        assert!(!names.is_current(Symbol(99), 0), "out of range");
    }

    #[test]
    fn a_symbol_at_the_last_generation_is_never_reused() {
        let mut names = Interner::new();
        let a = names.intern("customer-a");
        names.gens[a.index()] = u32::MAX - 1;
        names.forget(a);
        assert_eq!(names.generation(a), u32::MAX);
        let b = names.intern("customer-b");
        assert_ne!(b, a, "retired");
        assert_eq!(names.resolve(a), "");
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
    }
}

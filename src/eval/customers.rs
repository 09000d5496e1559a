//! The customers in flight, found by their id's symbol without hashing.
//!
//! Symbols are small dense indices (the interner reuses the ids of forgotten
//! customers), so a vector indexed by symbol is as compact as a hash table and
//! needs no hash or probe per event. Its slots are small: what the idle sweep
//! reads sits in the slot, and the customer's state is boxed, so the whole
//! table stays in cache and the sweep reads only the table.

use super::instance::CustomerState;
use crate::events::Symbol;

/// One customer in the table.
pub(crate) struct Slot {
    /// The record count when this customer was last heard of.
    pub last_record: u64,
    /// A copy of the state's latest event time seen (ms), for the sweep.
    pub max_seen: i64,
    /// Everything else about the customer.
    pub state: Box<CustomerState>,
}

/// The customers in flight, by symbol.
#[derive(Default)]
pub(crate) struct Customers {
    slots: Vec<Option<Slot>>,
}

impl Customers {
    /// The customer's slot, made empty if they are new.
    pub(crate) fn get_or_insert(&mut self, id: Symbol) -> &mut Slot {
        let i = id.index();
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i].get_or_insert_with(|| Slot {
            last_record: 0,
            max_seen: i64::MIN,
            state: Box::new(CustomerState::new(id)),
        })
    }

    /// The customer's slot, if they are in flight.
    pub(crate) fn get_mut(&mut self, id: Symbol) -> Option<&mut Slot> {
        self.slots.get_mut(id.index()).and_then(Option::as_mut)
    }

    /// Take the customer out of the table.
    pub(crate) fn remove(&mut self, id: Symbol) -> Option<Slot> {
        self.slots.get_mut(id.index()).and_then(Option::take)
    }

    /// The customers in flight with their slots, in symbol order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Symbol, &Slot)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| Some((Symbol(i as u32), slot.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_come_and_go_by_symbol() {
        let mut table = Customers::default();
        table.get_or_insert(Symbol(7)).last_record = 1;
        table.get_or_insert(Symbol(2)).last_record = 2;
        // A second look finds the same slot, not a new one.
        assert_eq!(table.get_or_insert(Symbol(7)).last_record, 1);
        let ids: Vec<u32> = table.iter().map(|(id, _)| id.0).collect();
        assert_eq!(ids, [2, 7]);
        assert_eq!(table.remove(Symbol(7)).map(|s| s.last_record), Some(1));
        assert!(table.remove(Symbol(7)).is_none());
        assert!(table.get_mut(Symbol(7)).is_none());
        assert!(table.get_mut(Symbol(1000)).is_none());
        // A reused symbol starts afresh.
        assert_eq!(table.get_or_insert(Symbol(7)).last_record, 0);
        assert_eq!(table.get_or_insert(Symbol(7)).state.id, Symbol(7));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Any run of inserts, updates and removals leaves the table holding
        /// what a map would, and iterating it gives the ids in order.
        #[test]
        fn the_table_behaves_as_a_map(ops in prop::collection::vec((0u8..3, 0u32..64, any::<u64>()), 0..200)) {
            let mut table = Customers::default();
            let mut model: BTreeMap<u32, u64> = BTreeMap::new();
            for (op, id, value) in ops {
                match op {
                    0 => {
                        table.get_or_insert(Symbol(id)).last_record = value;
                        model.insert(id, value);
                    }
                    1 => {
                        let got = table.remove(Symbol(id)).map(|s| s.last_record);
                        prop_assert_eq!(got, model.remove(&id));
                    }
                    _ => {
                        let got = table.get_mut(Symbol(id)).map(|s| s.last_record);
                        prop_assert_eq!(got, model.get(&id).copied());
                    }
                }
            }
            let listed: Vec<(u32, u64)> = table.iter().map(|(id, s)| (id.0, s.last_record)).collect();
            let expected: Vec<(u32, u64)> = model.into_iter().collect();
            prop_assert_eq!(listed, expected);
        }
    }
}

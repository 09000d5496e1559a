//! The customers in flight, found by their id without hashing.
//!
//! Ids are small dense indices (the table of ids reuses those of forgotten
//! customers), so a vector indexed by id needs no hash or probe per event.
//! Its slots are small: what the idle sweep reads sits in the slot, and the
//! customer's state is boxed, so the table stays in cache. The ids of the
//! customers in flight are also listed densely, so the sweep visits only them,
//! however many other ids (customers with a profile, not yet seen) the table
//! of ids holds.

use super::instance::CustomerState;
use crate::events::CustomerId;

/// What [`Customers::warm`] starts loading. A customer's state is reached
/// through pointers, so it is fetched in steps, each once the one before has
/// arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Warm {
    /// The customer's slot in the table (its address needs no load).
    Slot,
    /// The state: attributes, reorder buffer, recent records.
    State,
    /// The open instances and the buffered event's attributes (for a new
    /// customer: the instance the spare state keeps).
    Instances,
    /// The instances' steps and time limits.
    Steps,
}

/// One customer in the table.
pub(crate) struct Slot {
    /// The record count when this customer was last heard of.
    pub last_record: u64,
    /// A copy of the state's latest event time seen (ms), for the sweep.
    pub max_seen: i64,
    /// Everything else about the customer.
    pub state: Box<CustomerState>,
    /// Where the customer is in the list of those in flight.
    live_at: usize,
}

/// The customers in flight, by symbol.
#[derive(Default)]
pub(crate) struct Customers {
    slots: Vec<Option<Slot>>,
    /// The customers in flight, in no order.
    live: Vec<CustomerId>,
    /// States of forgotten customers, emptied, for new customers to reuse:
    /// a new customer then writes a few fields, not a whole fresh state, and
    /// costs no allocation. Boxed on purpose: the boxes are what is reused.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<CustomerState>>,
}

impl Customers {
    /// The customer's slot, made empty if they are new. Inline, with the new
    /// customer's part out of line: every event comes here, and where the
    /// compiler left the whole out of line it cost 1% more instructions.
    #[inline]
    pub(crate) fn get_or_insert(&mut self, id: CustomerId) -> &mut Slot {
        let i = id.index();
        if self.slots.len() <= i {
            self.grow(i);
        }
        let (live, spare) = (&mut self.live, &mut self.spare);
        match &mut self.slots[i] {
            Some(slot) => slot,
            empty => empty.insert(Self::new_slot(live, spare, id)),
        }
    }

    /// Room in the table for symbol index `i`.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, i: usize) {
        self.slots.resize_with(i + 1, || None);
    }

    /// The slot of a customer new in flight, with a reused state if there is one.
    #[cold]
    #[inline(never)]
    #[expect(clippy::vec_box, reason = "the spare states' boxes are what is reused")]
    fn new_slot(
        live: &mut Vec<CustomerId>,
        spare: &mut Vec<Box<CustomerState>>,
        id: CustomerId,
    ) -> Slot {
        live.push(id);
        let state = match spare.pop() {
            Some(mut state) => {
                state.id = id;
                state
            }
            None => Box::new(CustomerState::new(id)),
        };
        Slot {
            last_record: 0,
            max_seen: i64::MIN,
            state,
            live_at: live.len() - 1,
        }
    }

    /// Forget a customer, keeping their emptied state for a new one.
    pub(crate) fn retire(&mut self, id: CustomerId) {
        if let Some(slot) = self.remove(id) {
            let mut state = slot.state;
            state.clear();
            self.spare.push(state);
        }
    }

    /// Start loading into the cache what an event of customer `id` will
    /// touch, one step of the way (see [`Warm`]). A customer not in flight
    /// will get the spare state on top, so that one is warmed. A hint only;
    /// nothing changes.
    pub(crate) fn warm(&self, id: CustomerId, what: Warm) {
        let slot = self.slots.get(id.index());
        // The slot is only hinted: reading it (below) would wait for it. (One
        // function with an early return: split into helpers, it was no longer
        // inlined into `ReadAhead`, +1.2% instructions end to end.)
        if what == Warm::Slot {
            if let Some(slot) = slot {
                cache_hint::prefetch(slot);
            }
            return;
        }
        let state = match slot {
            Some(Some(slot)) => &slot.state,
            _ => match self.spare.last() {
                Some(spare) => spare,
                None => return,
            },
        };
        match what {
            Warm::Slot => {} // hinted above
            Warm::State => cache_hint::prefetch(&**state),
            Warm::Instances => state.warm_instances(),
            Warm::Steps => state.warm_steps(),
        }
    }

    /// The customer's slot, if they are in flight.
    pub(crate) fn get_mut(&mut self, id: CustomerId) -> Option<&mut Slot> {
        self.slots.get_mut(id.index()).and_then(Option::as_mut)
    }

    /// Take the customer out of the table.
    pub(crate) fn remove(&mut self, id: CustomerId) -> Option<Slot> {
        let slot = self.slots.get_mut(id.index()).and_then(Option::take)?;
        self.live.swap_remove(slot.live_at);
        if let Some(&moved) = self.live.get(slot.live_at) {
            if let Some(other) = self.get_mut(moved) {
                other.live_at = slot.live_at;
            }
        }
        Some(slot)
    }

    /// The customers in flight that `pick` selects, with their last record
    /// number, in that order. Record numbers are the input's, one per event,
    /// so the order is the same however customers are split between
    /// evaluators (see `eval::shard`), and each customer has their own.
    /// (Only the few picked are sorted: keys of eight bytes, cheap beside
    /// the scan.)
    pub(crate) fn select_in_order(
        &self,
        mut pick: impl FnMut(&Slot) -> bool,
    ) -> Vec<(u64, CustomerId)> {
        let mut picked: Vec<(u64, CustomerId)> = self
            .live
            .iter()
            .filter_map(|&id| {
                let slot = self.slots.get(id.index())?.as_ref()?;
                pick(slot).then_some((slot.last_record, id))
            })
            .collect();
        picked.sort_unstable_by_key(|&(last, id)| (last, id.0));
        picked
    }

    /// The customers in flight with their slots, in no fixed order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (CustomerId, &Slot)> {
        self.live.iter().filter_map(|&id| {
            let slot = self.slots.get(id.index())?.as_ref()?;
            Some((id, slot))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_come_and_go_by_symbol() {
        let mut table = Customers::default();
        table.get_or_insert(CustomerId(7)).last_record = 1;
        table.get_or_insert(CustomerId(2)).last_record = 2;
        // A second look finds the same slot, not a new one.
        assert_eq!(table.get_or_insert(CustomerId(7)).last_record, 1);
        let mut ids: Vec<u32> = table.iter().map(|(id, _)| id.0).collect();
        ids.sort_unstable();
        assert_eq!(ids, [2, 7]);
        assert_eq!(table.remove(CustomerId(7)).map(|s| s.last_record), Some(1));
        assert!(table.remove(CustomerId(7)).is_none());
        assert!(table.get_mut(CustomerId(7)).is_none());
        assert!(table.get_mut(CustomerId(1000)).is_none());
        // A reused symbol starts afresh.
        assert_eq!(table.get_or_insert(CustomerId(7)).last_record, 0);
        assert_eq!(table.get_or_insert(CustomerId(7)).state.id, CustomerId(7));
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
        fn the_table_behaves_as_a_map(ops in prop::collection::vec((0u8..4, 0u32..200, any::<u64>()), 0..300)) {
            let mut table = Customers::default();
            let mut model: BTreeMap<u32, u64> = BTreeMap::new();
            for (op, id, value) in ops {
                match op {
                    0 => {
                        let new = !model.contains_key(&id);
                        let slot = table.get_or_insert(CustomerId(id));
                        if new {
                            // A new customer's state is fresh, even when it
                            // reuses a retired one's.
                            prop_assert!(is_fresh(&slot.state, CustomerId(id)));
                        }
                        slot.last_record = value;
                        dirty(&mut slot.state);
                        model.insert(id, value);
                    }
                    1 => {
                        let got = table.remove(CustomerId(id)).map(|s| s.last_record);
                        prop_assert_eq!(got, model.remove(&id));
                    }
                    2 => {
                        table.retire(CustomerId(id));
                        model.remove(&id);
                    }
                    _ => {
                        let got = table.get_mut(CustomerId(id)).map(|s| s.last_record);
                        prop_assert_eq!(got, model.get(&id).copied());
                    }
                }
            }
            // Selecting gives the picked ids by last record, as a filter and a sort would.
            let odd: Vec<(u64, u32)> = table.select_in_order(|s| s.last_record % 2 == 1).iter().map(|(last, id)| (*last, id.0)).collect();
            let mut expected_odd: Vec<(u64, u32)> = model.iter().filter(|(_, v)| *v % 2 == 1).map(|(id, v)| (*v, *id)).collect();
            expected_odd.sort_unstable();
            prop_assert_eq!(odd, expected_odd);
            let mut listed: Vec<(u32, u64)> = table.iter().map(|(id, s)| (id.0, s.last_record)).collect();
            listed.sort_unstable();
            let expected: Vec<(u32, u64)> = model.into_iter().collect();
            prop_assert_eq!(listed, expected);
        }
    }

    /// The state as [`CustomerState::new`] makes it.
    fn is_fresh(state: &CustomerState, id: CustomerId) -> bool {
        let key = (crate::events::Symbol(1), 5, None);
        state.id == id
            && state.attrs.is_empty()
            && state.buffer.is_empty()
            && state.max_seen == i64::MIN
            && state.applied_max == i64::MIN
            && !state.recent.contains(&key)
            && state.instances.is_empty()
            && state.opened.is_empty()
    }

    /// Use the state as a customer would.
    fn dirty(state: &mut CustomerState) {
        state
            .attrs
            .push((crate::events::Symbol(3), crate::events::Value::Bool(true)));
        state.max_seen = 5;
        state.applied_max = 5;
        state.recent.push((crate::events::Symbol(1), 5, None));
        state.next_number(0);
    }
}

//! The information items a journey instance has asked the customer for, and
//! where each was asked first: what "never ask twice for the same
//! information" is checked against.
//!
//! The items' text sits in one buffer, so looking an item up reads the list and
//! the buffer, two allocations however many items there are (not one per
//! item, each cold by the time the customer's next event comes), and an
//! instance restarted for a new customer reuses both.

use crate::events::Symbol;
use std::ops::Range;

/// Items asked in one instance, in the order first asked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Asked {
    /// Every item's text, one after the other.
    text: String,
    items: Vec<Item>,
}

/// Where an item was first asked, and where its text ends in [`Asked::text`]
/// (it starts where the previous one ends).
#[derive(Debug, Clone, Copy)]
struct Item {
    end: usize,
    /// Time (ms), event name and line of the event that asked.
    time: i64,
    event: Symbol,
    line: u64,
}

/// Where an item was first asked: time (ms), event name and line.
pub(crate) type FirstAsked = (i64, Symbol, u64);

impl Asked {
    /// How many items have been asked.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Forget every item, keeping the room they took.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.items.clear();
    }

    /// Remember `item`, asked at `time` by event `event` on `line`.
    pub(crate) fn push(&mut self, item: &str, time: i64, event: Symbol, line: u64) {
        self.text.push_str(item);
        self.items.push(Item {
            end: self.text.len(),
            time,
            event,
            line,
        });
    }

    /// The index of `item` among the items at `range` (by index), if it is one.
    pub(crate) fn find(&self, item: &str, range: Range<usize>) -> Option<usize> {
        range.into_iter().find(|&i| self.text_of(i) == Some(item))
    }

    /// Where item `i` was first asked.
    pub(crate) fn first_asked(&self, i: usize) -> Option<FirstAsked> {
        self.items.get(i).map(|it| (it.time, it.event, it.line))
    }

    /// The text of item `i`.
    fn text_of(&self, i: usize) -> Option<&str> {
        let start = match i.checked_sub(1) {
            Some(before) => self.items.get(before)?.end,
            None => 0,
        };
        self.text.get(start..self.items.get(i)?.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_found_by_text_within_a_range_and_say_where_they_were_asked() {
        let mut asked = Asked::default();
        asked.push("iban", 1_000, Symbol(1), 10);
        asked.push("policy_number", 2_000, Symbol(2), 20);
        asked.push("ibanx", 3_000, Symbol(3), 30);
        asked.push("", 4_000, Symbol(4), 40);
        asked.push("äöü", 5_000, Symbol(5), 50);
        assert_eq!(asked.len(), 5);
        assert_eq!(asked.find("iban", 0..5), Some(0));
        assert_eq!(asked.find("ibanx", 0..5), Some(2));
        assert_eq!(asked.find("iban", 1..5), None, "outside the range");
        assert_eq!(asked.find("policy_number", 2..5), None);
        assert_eq!(asked.find("äöü", 0..5), Some(4));
        assert_eq!(asked.find("", 0..5), Some(3));
        assert_eq!(asked.find("missing", 0..5), None);
        assert_eq!(
            asked.find("iban", 0..99),
            Some(0),
            "a range past the end ends"
        );
        assert_eq!(asked.first_asked(1), Some((2_000, Symbol(2), 20)));
        assert_eq!(asked.first_asked(5), None);
        asked.clear();
        assert_eq!(asked.len(), 0);
        assert_eq!(asked.find("iban", 0..5), None);
        asked.push("policy_number", 6_000, Symbol(6), 60);
        assert_eq!(asked.find("policy_number", 0..1), Some(0));
        assert_eq!(asked.first_asked(0), Some((6_000, Symbol(6), 60)));
    }
}

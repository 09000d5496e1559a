//! The mapped fields of a line (customer, step, time, channel, actor): how a
//! value of each JSON type is stored, shared by the serde and fast paths. A
//! string (the common case) goes straight to [`LineSeed::mapped_bytes`].

use super::cache::Slot;
use super::json::{LineSeed, Scalar};
use super::names::utf8;
use crate::events::{CustomerId, Symbol};
use jiff::Timestamp;
use std::borrow::Cow;

impl LineSeed<'_> {
    /// Stores the value of a mapped field (every slot but `Attr` and `Skip`).
    pub(super) fn mapped(&mut self, slot: Slot, key: &str, value: Scalar<'_>) {
        if let Scalar::Str(text) = &value {
            return self.mapped_str(slot, text);
        }
        match slot {
            Slot::Customer if self.parsed.customer.is_some() => self.customer_twice(),
            Slot::Customer => self.parsed.customer = self.customer_id(key, value),
            Slot::Time => self.parsed.time = self.time_of(key, value),
            Slot::Step(i) if self.keys.step.len() != 1 => match value.text() {
                Ok(text) => self.step_part(i, text.map(Cow::into_owned)),
                Err(kind) => self.wrong_type(key, kind),
            },
            Slot::Step(_) => self.parsed.step = self.name(key, value),
            Slot::Channel => self.parsed.channel = self.name(key, value),
            Slot::Actor => self.parsed.actor = self.name(key, value),
            Slot::Unread => {
                if let Err(kind) = value.text() {
                    self.wrong_type(key, kind);
                }
            }
            Slot::Attr(_) | Slot::Skip => {}
        }
    }

    /// Stores a string held by a mapped field.
    pub(super) fn mapped_str(&mut self, slot: Slot, text: &str) {
        self.mapped_bytes(slot, text.as_bytes());
    }

    /// Stores a string held by a mapped field, as bytes the caller checked
    /// as UTF-8: the caches compare bytes, so a known name is never made a
    /// `str` again.
    #[inline(always)]
    pub(super) fn mapped_bytes(&mut self, slot: Slot, text: &[u8]) {
        match slot {
            // An empty id would merge every such record into one customer.
            Slot::Customer if blank(text) => self.empty_customer(),
            Slot::Customer if self.parsed.customer.is_some() => self.customer_twice(),
            Slot::Customer => {
                self.parsed.customer =
                    Some(self.cache.customers.intern(text, &mut self.names.customers));
            }
            Slot::Time => {
                let parsed = self.time.parse_bytes_cached(text, &mut self.cache.day);
                self.parsed.time = parsed.map_err(|reason| self.problem(reason)).ok();
            }
            Slot::Step(i) if self.keys.step.len() != 1 => {
                self.step_part(i, Some(utf8(text).into_owned()));
            }
            Slot::Step(_) => {
                self.parsed.step = Some(self.cache.names.intern(text, &mut self.names.words))
            }
            Slot::Channel => {
                self.parsed.channel = Some(self.cache.names.intern(text, &mut self.names.words));
            }
            Slot::Actor => {
                self.parsed.actor = Some(self.cache.names.intern(text, &mut self.names.words))
            }
            Slot::Attr(_) | Slot::Skip | Slot::Unread => {}
        }
    }

    /// Keeps the line's first problem (out of line: most lines have none).
    #[cold]
    #[inline(never)]
    fn problem(&mut self, reason: String) {
        self.parsed.problem.get_or_insert(reason);
    }

    /// A line that names its customer twice: which customer it is about is
    /// not clear, so it is rejected (never the last or first one silently).
    #[cold]
    fn customer_twice(&mut self) {
        let key = &self.keys.customer;
        self.problem(format!("the customer field `{key}` is given twice"));
    }

    /// A customer id that is empty or blank: rejected, as in CSV.
    #[cold]
    #[inline(never)]
    fn empty_customer(&mut self) {
        let key = &self.keys.customer;
        self.problem(format!("missing customer: field `{key}` is empty"));
    }

    fn wrong_type(&mut self, key: &str, kind: &str) {
        self.problem(format!("field `{key}` holds {kind}, expected a string"));
    }

    /// A customer id that is not a string (an id may be `42`).
    fn customer_id(&mut self, key: &str, value: Scalar<'_>) -> Option<CustomerId> {
        match value.text() {
            Ok(Some(text)) => Some(self.names.customers.intern(&text)),
            Ok(None) => None,
            Err(kind) => {
                self.wrong_type(key, kind);
                None
            }
        }
    }

    /// A value that is not a string, as a name, through the small cache of names that repeat
    /// (steps, channels, actors), which keeps them out of the big table.
    fn name(&mut self, key: &str, value: Scalar<'_>) -> Option<Symbol> {
        match value.text() {
            Ok(Some(text)) => Some(
                self.cache
                    .names
                    .intern(text.as_bytes(), &mut self.names.words),
            ),
            Ok(None) => None,
            Err(kind) => {
                self.wrong_type(key, kind);
                None
            }
        }
    }

    /// One part of a step name made of several fields.
    fn step_part(&mut self, index: u32, text: Option<String>) {
        let parts = &mut self.parsed.step_parts;
        parts.resize(self.keys.step.len(), None);
        if let Some(slot) = parts.get_mut(index as usize) {
            *slot = text;
        }
    }

    fn time_of(&mut self, key: &str, value: Scalar<'_>) -> Option<Timestamp> {
        let parsed = match value {
            Scalar::Str(text) => self
                .time
                .parse_bytes_cached(text.as_bytes(), &mut self.cache.day),
            Scalar::Num(n) => self.time.parse_number(n),
            Scalar::Int(n) => self.time.parse_integer(n),
            Scalar::Null => return None,
            other => Err(format!(
                "field `{key}` holds {}, expected a time",
                other.kind()
            )),
        };
        parsed.map_err(|reason| self.problem(reason)).ok()
    }
}

/// True for text that is empty or only whitespace (as CSV's `trim` sees it).
/// One byte decides for nearly every id: a first byte that is neither
/// whitespace nor the start of a non-ASCII character.
#[inline(always)]
fn blank(text: &[u8]) -> bool {
    match text.first() {
        None => true,
        Some(&c) if c.is_ascii_whitespace() || c >= 0x80 => utf8(text).trim().is_empty(),
        Some(_) => false,
    }
}

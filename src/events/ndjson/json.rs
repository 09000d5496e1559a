//! The serde side of NDJSON reading: one line is deserialized straight into the
//! mapped fields and typed attributes, borrowing strings from the line and
//! interning them without allocating when the name is already known.

use super::cache::{KeyCache, Slot};
use crate::events::time::TimeParser;
use crate::events::{AttributeFilter, CustomerId, Event, Names, Origin, Record, Symbol, Value};
use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The keys that hold mapped fields.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub(crate) customer: String,
    pub(crate) step: Vec<String>,
    pub(crate) time: String,
    pub(crate) channel: Option<String>,
    pub(crate) actor: Option<String>,
    /// False: the actor is checked, not kept (see `ReadOptions::read_actor`).
    pub(crate) read_actor: bool,
}

/// What one line held.
#[derive(Default)]
pub(crate) struct Parsed {
    pub(crate) customer: Option<CustomerId>,
    pub(crate) step: Option<Symbol>,
    pub(crate) step_parts: Vec<Option<String>>,
    pub(crate) time: Option<Timestamp>,
    pub(crate) channel: Option<Symbol>,
    pub(crate) actor: Option<Symbol>,
    pub(crate) attrs: Vec<(Symbol, Value)>,
    /// The first field-level problem (wrong type, bad time).
    pub(crate) problem: Option<String>,
}

impl Parsed {
    /// Nothing read yet, with room for `attrs` attributes.
    #[inline(always)]
    pub(crate) fn with_attrs(attrs: usize) -> Parsed {
        Parsed {
            // Never more than a line's entries (a bound the allocation's
            // size checks can rely on).
            attrs: Vec::with_capacity(attrs.min(super::fast::MAX_ENTRIES)),
            ..Parsed::default()
        }
    }

    /// The event record the line holds, given the fields an event cannot do
    /// without (built in place: a record moved through a result costs copies).
    #[inline(always)]
    pub(crate) fn into_event_record(
        self,
        customer: CustomerId,
        name: Symbol,
        time: Timestamp,
        origin: Origin,
    ) -> Record {
        Record::Event(Event {
            customer,
            name,
            time,
            channel: self.channel,
            actor: self.actor,
            attrs: self.attrs,
            origin,
        })
    }
}

/// Deserializes one line into a [`Parsed`].
pub(crate) struct LineSeed<'s> {
    pub(crate) keys: &'s Keys,
    pub(crate) cache: &'s mut KeyCache,
    pub(crate) names: &'s mut Names,
    pub(crate) time: &'s TimeParser,
    pub(crate) attributes: &'s AttributeFilter,
    pub(crate) parsed: &'s mut Parsed,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut position = 0;
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            let key: &str = &key;
            let slot = self.slot(position, key);
            position += 1;
            match slot {
                Slot::Attr(symbol) => {
                    if let Some(value) = map.next_value::<Attr>()?.0 {
                        self.parsed.attrs.push((symbol, value));
                    }
                }
                Slot::Skip => {
                    map.next_value::<Checked>()?;
                }
                slot => {
                    let value = map.next_value::<Scalar<'de>>()?;
                    self.mapped(slot, key, value);
                }
            }
        }
        Ok(())
    }
}

impl LineSeed<'_> {
    /// The slot of the key at `position` on the line.
    pub(super) fn slot(&mut self, position: usize, key: &str) -> Slot {
        // Lines of one log mostly repeat their keys in one order: try the key's
        // position first, then every key seen; a new key is classified once.
        if let Some(cached) = self.cache.keys.get(position) {
            if *cached.text == *key {
                return cached.slot;
            }
        }
        if let Some(cached) = self.cache.keys.iter().find(|c| *c.text == *key) {
            return cached.slot;
        }
        let slot = self.classify(key);
        self.cache.add_key(key, slot);
        slot
    }

    fn classify(&mut self, key: &str) -> Slot {
        let keys = self.keys;
        if key == keys.customer {
            Slot::Customer
        } else if key == keys.time {
            Slot::Time
        } else if let Some(i) = keys
            .step
            .iter()
            .position(|k| k == key)
            .and_then(|i| u32::try_from(i).ok())
        {
            Slot::Step(i)
        } else if keys.channel.as_deref() == Some(key) {
            Slot::Channel
        } else if keys.actor.as_deref() == Some(key) {
            if keys.read_actor {
                Slot::Actor
            } else {
                Slot::Unread
            }
        } else if self.attributes.keeps(key) {
            Slot::Attr(self.names.words.intern(key))
        } else {
            Slot::Skip
        }
    }
}

/// A string key or value, borrowed from the line when it has no escapes.
pub(crate) struct Str<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// The value of a mapped field.
pub(crate) enum Scalar<'de> {
    Str(Cow<'de, str>),
    Num(f64),
    Int(i128),
    Bool,
    Null,
    Compound(&'static str),
}

impl<'de> Scalar<'de> {
    /// What the value is, for messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Scalar::Str(_) => "a string",
            Scalar::Num(_) | Scalar::Int(_) => "a number",
            Scalar::Bool => "a boolean",
            Scalar::Null => "null",
            Scalar::Compound(kind) => kind,
        }
    }

    /// The value as text: strings and numbers are accepted (an id may be `42`).
    pub(super) fn text(self) -> Result<Option<Cow<'de, str>>, &'static str> {
        match self {
            Scalar::Str(s) => Ok(Some(s)),
            Scalar::Int(i) => Ok(Some(Cow::Owned(i.to_string()))),
            Scalar::Num(n) => Ok(Some(Cow::Owned(crate::events::format_number(n)))),
            Scalar::Null => Ok(None),
            other => Err(other.kind()),
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(i128::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(i128::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound("an object"))
    }
}

/// An attribute value; `None` for JSON `null` (an absent attribute).
pub(crate) struct Attr(pub(crate) Option<Value>);

impl<'de> de::Deserialize<'de> for Attr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AttrVisitor).map(Attr)
    }
}

struct AttrVisitor;

impl<'de> Visitor<'de> for AttrVisitor {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(text_value(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Value::Number(v as f64)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Value::Number(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Value::Number(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Attr(item)) = seq.next_element::<Attr>()? {
            items.extend(item);
        }
        Ok(Some(Value::List(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            object.insert(k, v);
        }
        Ok(Some(Value::Text(
            serde_json::Value::Object(object).to_string().into(),
        )))
    }
}

/// An attribute value left out, checked as [`Attr`] checks one (numbers in
/// range, strings with valid escapes, nesting within serde_json's depth
/// limit) but not kept: which lines are rejected must not depend on which
/// attributes the caller reads. (`IgnoredAny` checks none of these.)
pub(crate) struct Checked;

impl<'de> de::Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Checked)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// A string attribute: a time when it has the RFC 3339 shape with an offset
/// (a cheap test first), text otherwise.
pub(crate) fn text_value(text: &str) -> Value {
    let b = text.as_bytes();
    let timelike = (20..=35).contains(&b.len())
        && b.get(4) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't'))
        && (matches!(b.last(), Some(b'Z' | b'z'))
            || matches!(
                b.len().checked_sub(6).and_then(|i| b.get(i)),
                Some(b'+' | b'-')
            ));
    if timelike {
        if let Ok(ts) = TimeParser::default().parse_str(text) {
            return Value::Time(ts);
        }
    }
    Value::Text(text.into())
}

//! The XES elements the reader works with (read by [`super::scan`]), and
//! the typed values of attribute elements.

use crate::events::time::{LastDay, TimeParser};
use crate::events::Value;
use std::borrow::Cow;

/// The kind of an XES attribute element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Date,
    Int,
    Float,
    Boolean,
    Id,
    List,
    Container,
}

/// An XES element name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Log,
    Trace,
    Event,
    Global,
    Classifier,
    Values,
    Attr(Kind),
    Other,
}

impl Tag {
    /// The tag of a local element name.
    pub(crate) fn of(name: &[u8]) -> Tag {
        // By length, then as a fixed-size array: compares of whole words,
        // where a match on byte strings calls `memcmp` per candidate.
        fn is<const N: usize>(name: &[u8], want: &[u8; N]) -> bool {
            <[u8; N]>::try_from(name).is_ok_and(|a| a == *want)
        }
        match name.len() {
            2 if is(name, b"id") => Tag::Attr(Kind::Id),
            3 if is(name, b"log") => Tag::Log,
            3 if is(name, b"int") => Tag::Attr(Kind::Int),
            4 if is(name, b"date") => Tag::Attr(Kind::Date),
            4 if is(name, b"list") => Tag::Attr(Kind::List),
            5 if is(name, b"trace") => Tag::Trace,
            5 if is(name, b"event") => Tag::Event,
            5 if is(name, b"float") => Tag::Attr(Kind::Float),
            6 if is(name, b"string") => Tag::Attr(Kind::Str),
            6 if is(name, b"global") => Tag::Global,
            6 if is(name, b"values") => Tag::Values,
            7 if is(name, b"boolean") => Tag::Attr(Kind::Boolean),
            9 if is(name, b"container") => Tag::Attr(Kind::Container),
            10 if is(name, b"classifier") => Tag::Classifier,
            _ => Tag::Other,
        }
    }
}

/// A start (or empty) element with the XML attributes XES uses, borrowed
/// from the item buffer where no unescaping was needed (see [`Elem::into_owned`]
/// to keep it past the next item).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Elem<'a> {
    pub(crate) tag: Tag,
    /// True for `<x/>`: no children and no end tag follow.
    pub(crate) empty: bool,
    pub(crate) key: Option<Cow<'a, str>>,
    pub(crate) value: Option<Cow<'a, str>>,
    /// `name` (classifier), `scope` (global) or `keys` (classifier) as read.
    pub(crate) name: Option<Cow<'a, str>>,
    /// The element's own name, for a [`Tag::Other`] (to name it in messages).
    pub(crate) other: Option<Cow<'a, str>>,
    pub(crate) scope: Option<Cow<'a, str>>,
    pub(crate) keys: Option<Cow<'a, str>>,
}

impl Elem<'_> {
    /// The element, owning its texts.
    pub(crate) fn into_owned(self) -> Elem<'static> {
        let own = |text: Option<Cow<'_, str>>| text.map(|t| Cow::Owned(t.into_owned()));
        Elem {
            tag: self.tag,
            empty: self.empty,
            key: own(self.key),
            value: own(self.value),
            name: own(self.name),
            other: own(self.other),
            scope: own(self.scope),
            keys: own(self.keys),
        }
    }
}

/// One step of the XML stream, reduced to what XES needs.
#[derive(Debug, PartialEq)]
pub(crate) enum Item<'a> {
    Start(Elem<'a>),
    End(Tag),
    Eof,
}

impl Item<'_> {
    /// The item, owning its texts.
    pub(crate) fn into_owned(self) -> Item<'static> {
        match self {
            Item::Start(elem) => Item::Start(elem.into_owned()),
            Item::End(tag) => Item::End(tag),
            Item::Eof => Item::Eof,
        }
    }
}

/// The typed value of an attribute element without children.
pub(crate) fn typed_value(
    kind: Kind,
    text: &str,
    time: &TimeParser,
    last: &mut LastDay,
) -> Result<Value, String> {
    match kind {
        Kind::Str | Kind::Id => Ok(Value::Text(text.into())),
        Kind::List | Kind::Container => Ok(Value::List(Vec::new())),
        _ => scalar_value(kind, text, time, last),
    }
}

/// Checks a value as [`typed_value`] would type it, without keeping it
/// (nothing is allocated for a good value).
pub(crate) fn check_value(
    kind: Kind,
    text: &str,
    time: &TimeParser,
    last: &mut LastDay,
) -> Result<(), String> {
    match kind {
        Kind::Str | Kind::Id | Kind::List | Kind::Container => Ok(()),
        _ => scalar_value(kind, text, time, last).map(drop),
    }
}

/// The value of a date, number or boolean.
fn scalar_value(
    kind: Kind,
    text: &str,
    time: &TimeParser,
    last: &mut LastDay,
) -> Result<Value, String> {
    let trimmed = text.trim();
    match kind {
        Kind::Date => time
            .parse_bytes_cached(text.as_bytes(), last)
            .map(Value::Time),
        Kind::Int => trimmed
            .parse::<i64>()
            .map(|i| Value::Number(i as f64))
            .map_err(|_| format!("`{text}` is not an int")),
        Kind::Float => trimmed
            .parse::<f64>()
            .map(Value::Number)
            .map_err(|_| format!("`{text}` is not a float")),
        Kind::Boolean if trimmed.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Kind::Boolean if trimmed.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        Kind::Boolean => Err(format!("`{text}` is not a boolean")),
        Kind::Str | Kind::Id => Ok(Value::Text(text.into())),
        Kind::List | Kind::Container => Ok(Value::List(Vec::new())),
    }
}

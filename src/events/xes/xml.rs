//! The XML layer under the XES reader: a line-counting `BufRead`, and XES
//! elements read from quick-xml events into small owned values.

use crate::events::time::TimeParser;
use crate::events::Value;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use std::io::{self, BufRead, Read};

/// A `BufRead` that counts the newlines consumed through it.
pub(crate) struct Counting<R> {
    inner: R,
    newlines: u64,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R) -> Self {
        Counting { inner, newlines: 0 }
    }

    /// Newlines consumed so far.
    pub(crate) fn newlines(&self) -> u64 {
        self.newlines
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.newlines += count_newlines(out.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            self.newlines += count_newlines(buf.get(..amt).unwrap_or(buf));
        }
        self.inner.consume(amt);
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

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
    fn of(name: &[u8]) -> Tag {
        match name {
            b"log" => Tag::Log,
            b"trace" => Tag::Trace,
            b"event" => Tag::Event,
            b"global" => Tag::Global,
            b"classifier" => Tag::Classifier,
            b"values" => Tag::Values,
            b"string" => Tag::Attr(Kind::Str),
            b"date" => Tag::Attr(Kind::Date),
            b"int" => Tag::Attr(Kind::Int),
            b"float" => Tag::Attr(Kind::Float),
            b"boolean" => Tag::Attr(Kind::Boolean),
            b"id" => Tag::Attr(Kind::Id),
            b"list" => Tag::Attr(Kind::List),
            b"container" => Tag::Attr(Kind::Container),
            _ => Tag::Other,
        }
    }
}

/// A start (or empty) element with the XML attributes XES uses.
#[derive(Debug, Clone)]
pub(crate) struct Elem {
    pub(crate) tag: Tag,
    /// True for `<x/>`: no children and no end tag follow.
    pub(crate) empty: bool,
    pub(crate) key: Option<String>,
    pub(crate) value: Option<String>,
    /// `name` (classifier), `scope` (global) or `keys` (classifier) as read.
    pub(crate) name: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) keys: Option<String>,
}

/// One step of the XML stream, reduced to what XES needs.
#[derive(Debug)]
pub(crate) enum Item {
    Start(Elem),
    End(Tag),
    Eof,
}

/// Reads the next element start or end, skipping text, comments and declarations.
pub(crate) fn next_item<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    buf: &mut Vec<u8>,
) -> Result<Item, quick_xml::Error> {
    loop {
        buf.clear();
        match xml.read_event_into(buf)? {
            XmlEvent::Start(e) => return elem(&e, false).map(Item::Start),
            XmlEvent::Empty(e) => return elem(&e, true).map(Item::Start),
            XmlEvent::End(e) => return Ok(Item::End(Tag::of(e.local_name().as_ref()))),
            XmlEvent::Eof => return Ok(Item::Eof),
            _ => {}
        }
    }
}

fn elem(e: &BytesStart<'_>, empty: bool) -> Result<Elem, quick_xml::Error> {
    let mut out = Elem {
        tag: Tag::of(e.local_name().as_ref()),
        empty,
        key: None,
        value: None,
        name: None,
        scope: None,
        keys: None,
    };
    if out.tag == Tag::Other || out.tag == Tag::Log {
        return Ok(out);
    }
    for attribute in e.attributes() {
        let attribute = attribute?;
        let slot = match attribute.key.local_name().as_ref() {
            b"key" => &mut out.key,
            b"value" => &mut out.value,
            b"name" => &mut out.name,
            b"scope" => &mut out.scope,
            b"keys" => &mut out.keys,
            _ => continue,
        };
        *slot = Some(attribute.unescape_value()?.into_owned());
    }
    Ok(out)
}

/// The typed value of an attribute element without children.
pub(crate) fn typed_value(kind: Kind, text: String, time: &TimeParser) -> Result<Value, String> {
    let trimmed = text.trim();
    match kind {
        Kind::Str | Kind::Id => Ok(Value::Text(text.into_boxed_str())),
        Kind::Date => time.parse_str(&text).map(Value::Time),
        Kind::Int => trimmed
            .parse::<i64>()
            .map(|i| Value::Number(i as f64))
            .map_err(|_| format!("`{text}` is not an int")),
        Kind::Float => trimmed
            .parse::<f64>()
            .map(Value::Number)
            .map_err(|_| format!("`{text}` is not a float")),
        Kind::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{text}` is not a boolean")),
        },
        Kind::List | Kind::Container => Ok(Value::List(Vec::new())),
    }
}

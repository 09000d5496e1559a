//! The XML layer under the XES reader: a line-counting `BufRead`, and XES
//! elements read from quick-xml events into small owned values.

use crate::events::time::TimeParser;
use crate::events::Value;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use std::io::{self, BufRead, Read};

/// A `BufRead` that counts the newlines consumed through it, and caps the
/// bytes one XML item may take: quick-xml reads a whole item (a tag with its
/// attributes, a comment, a run of text) into memory, so past the cap the
/// input fails with [`ItemTooLong`] instead of growing a buffer without end.
pub(crate) struct Counting<R> {
    inner: R,
    newlines: u64,
    /// Bytes consumed since [`Counting::start_item`].
    item: u64,
    /// Newlines consumed before [`Counting::start_item`].
    item_newlines: u64,
    /// The most bytes one item may take.
    limit: u64,
}

/// The error an XML item over the cap fails with (inside an `io::Error`).
#[derive(Debug, thiserror::Error)]
#[error("an XML item is over the record size limit")]
pub(crate) struct ItemTooLong;

impl<R> Counting<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Counting {
            inner,
            newlines: 0,
            item: 0,
            item_newlines: 0,
            limit: u64::try_from(limit).unwrap_or(u64::MAX),
        }
    }

    /// Newlines consumed so far.
    pub(crate) fn newlines(&self) -> u64 {
        self.newlines
    }

    /// Starts counting the bytes of the next item.
    pub(crate) fn start_item(&mut self) {
        self.item = 0;
        self.item_newlines = self.newlines;
    }

    /// The 1-based line where the current item started.
    pub(crate) fn item_line(&self) -> u64 {
        self.item_newlines + 1
    }

    fn add(&mut self, bytes: &[u8]) {
        self.newlines += count_newlines(bytes);
        self.item = self.item.saturating_add(bytes.len() as u64);
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.add(out.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.item > self.limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, ItemTooLong));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let consumed = buf.get(..amt).unwrap_or(buf);
            let (newlines, len) = (count_newlines(consumed), consumed.len() as u64);
            self.newlines += newlines;
            self.item = self.item.saturating_add(len);
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
    /// The element's own name, for a [`Tag::Other`] (to name it in messages).
    pub(crate) other: Option<Box<str>>,
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
    xml: &mut quick_xml::Reader<Counting<R>>,
    buf: &mut Vec<u8>,
) -> Result<Item, quick_xml::Error> {
    loop {
        buf.clear();
        xml.get_mut().start_item();
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
        other: None,
        scope: None,
        keys: None,
    };
    if out.tag == Tag::Other {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        out.other = Some(name.into_boxed_str());
        return Ok(out);
    }
    if out.tag == Tag::Log {
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

//! The XML layer under the XES reader: a line-counting `BufRead`, and XES
//! elements read from quick-xml events into small owned values.

use crate::events::time::{LastDay, TimeParser};
use crate::events::Value;
use quick_xml::events::attributes::Attributes;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use std::borrow::Cow;
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

/// A start (or empty) element with the XML attributes XES uses, borrowed
/// from the item buffer where no unescaping was needed (see [`Elem::into_owned`]
/// to keep it past the next item).
#[derive(Debug, Clone)]
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
#[derive(Debug)]
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

/// Reads the next element start or end, skipping text, comments and
/// declarations. The element borrows `buf`, which holds the item as read.
pub(crate) fn next_item<'b, R: BufRead>(
    xml: &mut quick_xml::Reader<Counting<R>>,
    buf: &'b mut Vec<u8>,
) -> Result<Item<'b>, quick_xml::Error> {
    // The start tag's place in `buf` is kept as numbers, so that the loop
    // ends its borrow of `buf` and the element borrows it afresh.
    let (start, len, name_len, empty) = loop {
        buf.clear();
        xml.get_mut().start_item();
        let (e, empty) = match xml.read_event_into(buf)? {
            XmlEvent::Start(e) => (e, false),
            XmlEvent::Empty(e) => (e, true),
            XmlEvent::End(e) => return Ok(Item::End(Tag::of(e.local_name().as_ref()))),
            XmlEvent::Eof => return Ok(Item::Eof),
            _ => continue,
        };
        let name_len = e.name().as_ref().len();
        let content: &[u8] = &e;
        if std::str::from_utf8(content).is_err() {
            // Not UTF-8: quick-xml's way, for its errors.
            return owned_elem(&e, empty).map(Item::Start);
        }
        break (content.as_ptr() as usize, content.len(), name_len, empty);
    };
    // quick-xml reads every tag into `buf`.
    let offset = start.wrapping_sub(buf.as_ptr() as usize);
    let Some(content) = buf.get(offset..offset.saturating_add(len)) else {
        let lost = io::Error::other("an XML tag was not read into its buffer");
        return Err(quick_xml::Error::Io(std::sync::Arc::new(lost)));
    };
    let text = std::str::from_utf8(content).unwrap_or_default();
    let mut out = Elem::bare(text.as_bytes(), name_len, empty);
    if matches!(out.tag, Tag::Other | Tag::Log) {
        return Ok(Item::Start(out));
    }
    let mut attributes = Attributes::new(text, name_len);
    attributes.with_checks(false);
    let mut seen: [&[u8]; 8] = [&[]; 8];
    for (i, attribute) in attributes.enumerate() {
        let attribute = attribute?;
        let name = attribute.key.into_inner();
        let earlier = seen.get(..i.min(seen.len())).unwrap_or_default();
        if i >= seen.len() || earlier.contains(&name) {
            // Many attributes, or a duplicate: quick-xml's own check says.
            return checked_attributes(text, name_len, out).map(Item::Start);
        }
        if let Some(slot) = seen.get_mut(i) {
            *slot = name;
        }
        if let Some(slot) = out.slot(attribute.key.local_name().into_inner()) {
            *slot = Some(attribute.unescape_value()?);
        }
    }
    Ok(Item::Start(out))
}

impl<'a> Elem<'a> {
    /// The element of a start tag's content, without its attributes read.
    fn bare(content: &[u8], name_len: usize, empty: bool) -> Elem<'a> {
        let name = content.get(..name_len).unwrap_or_default();
        let local = match memchr::memchr(b':', name) {
            Some(at) => name.get(at + 1..).unwrap_or_default(),
            None => name,
        };
        let tag = Tag::of(local);
        let other =
            (tag == Tag::Other).then(|| Cow::Owned(String::from_utf8_lossy(local).into_owned()));
        Elem {
            tag,
            empty,
            key: None,
            value: None,
            name: None,
            other,
            scope: None,
            keys: None,
        }
    }

    /// Where the XML attribute `name` goes, if XES uses it.
    fn slot(&mut self, name: &[u8]) -> Option<&mut Option<Cow<'a, str>>> {
        match name {
            b"key" => Some(&mut self.key),
            b"value" => Some(&mut self.value),
            b"name" => Some(&mut self.name),
            b"scope" => Some(&mut self.scope),
            b"keys" => Some(&mut self.keys),
            _ => None,
        }
    }
}

/// The attributes of [`next_item`] with quick-xml's checks (many
/// attributes, or a duplicate name).
#[cold]
fn checked_attributes<'a>(
    text: &'a str,
    name_len: usize,
    out: Elem<'a>,
) -> Result<Elem<'a>, quick_xml::Error> {
    let mut out = Elem::bare(text.as_bytes(), name_len, out.empty);
    for attribute in Attributes::new(text, name_len) {
        let attribute = attribute?;
        if let Some(slot) = out.slot(attribute.key.local_name().into_inner()) {
            *slot = Some(attribute.unescape_value()?);
        }
    }
    Ok(out)
}

/// The element of a start tag that is not UTF-8, read the general way (for
/// quick-xml's errors), owning its texts.
#[cold]
fn owned_elem(e: &BytesStart<'_>, empty: bool) -> Result<Elem<'static>, quick_xml::Error> {
    let mut out = Elem::bare(e.as_ref(), e.name().as_ref().len(), empty);
    if matches!(out.tag, Tag::Other | Tag::Log) {
        return Ok(out);
    }
    for attribute in e.attributes() {
        let attribute = attribute?;
        if let Some(slot) = out.slot(attribute.key.local_name().as_ref()) {
            *slot = Some(Cow::Owned(attribute.unescape_value()?.into_owned()));
        }
    }
    Ok(out)
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

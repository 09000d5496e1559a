//! The XML layer as it was, over quick-xml: the reference the scanner
//! ([`super::scan`]) is tested against, item for item and line for line.

use super::xml::{Elem, Item, Tag};
use quick_xml::events::attributes::Attributes;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};

/// The quick-xml reader as the XES reader used it.
pub(crate) struct Reference<R> {
    xml: quick_xml::Reader<Counting<R>>,
    buf: Vec<u8>,
}

impl<R: BufRead> Reference<R> {
    /// A reader of `input`, items capped at `limit` bytes.
    pub(crate) fn new(input: R, limit: usize) -> Self {
        let mut xml = quick_xml::Reader::from_reader(Counting::new(input, limit));
        xml.config_mut().trim_text(true);
        Reference {
            xml,
            buf: Vec::new(),
        }
    }

    /// The next element start or end, owning its texts.
    pub(crate) fn next_item(&mut self) -> Result<Item<'static>, quick_xml::Error> {
        next_item(&mut self.xml, &mut self.buf).map(Item::into_owned)
    }

    /// The 1-based line the reader is on.
    pub(crate) fn line(&self) -> u64 {
        self.xml.get_ref().newlines() + 1
    }

    /// Input bytes consumed so far.
    pub(crate) fn position(&self) -> u64 {
        self.xml.buffer_position()
    }
}

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
    fn new(inner: R, limit: usize) -> Self {
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
    #[allow(dead_code)]
    fn item_line(&self) -> u64 {
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

/// Reads the next element start or end, skipping text, comments and
/// declarations. The element borrows `buf`, which holds the item as read.
fn next_item<'b, R: BufRead>(
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

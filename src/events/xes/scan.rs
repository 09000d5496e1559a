//! The XML layer under the XES reader: a scanner for what XES is, reading
//! from one large buffer of its own (filled straight from the input), with
//! no copy of a tag and no allocation for a value without an entity.
//!
//! XES is elements with a few attributes each (`<string key=".." value=".."/>`),
//! indentation between them, and a header of comments and a declaration. So:
//! `memchr` finds each `<`; a start tag's end is found outside quotes (as
//! XML's grammar, and quick-xml, find it), then its attributes are split on
//! borrowed bytes, only `key`, `value`, `name`, `scope` and `keys` kept (by
//! their local name) and checked for duplicates; a value is unescaped only
//! when it holds a `&` (the predefined entities and numeric character
//! references; anything else is an error). A tag whose attributes are read
//! is checked to be UTF-8 once; elements XES readers skip (`<log>`,
//! `<extension>`, unknown ones) have their end found but their attributes
//! left unread. End tags must match the open element; text, comments,
//! processing instructions, CDATA and a DOCTYPE are skipped.
//!
//! Every item (a tag, comment, or run of text) is capped by the record size
//! limit, so memory is bounded whatever the input: past it reading stops with
//! [`ScanError::TooLong`], naming the line the item started on. Lines are
//! counted only when asked for, over the bytes consumed since last asked.

use super::xml::{Elem, Item, Tag};
use memchr::{memchr, memchr2_iter, memchr3};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};

/// The buffer's size to begin with; it grows only for an item longer than
/// the room left after moving the current item to its start.
const CHUNK: usize = 256 * 1024;

/// Why the XML cannot be read on.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// The input failed.
    Io(io::Error),
    /// One item (a tag, comment or text) is over the record size limit.
    TooLong,
    /// The XML is malformed; the message says how.
    Malformed(String),
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::Io(e) => write!(f, "I/O error: {e}"),
            ScanError::TooLong => f.write_str("an XML item is over the record size limit"),
            ScanError::Malformed(message) => f.write_str(message),
        }
    }
}

fn malformed<T>(message: impl Into<String>) -> Result<T, ScanError> {
    Err(ScanError::Malformed(message.into()))
}

/// What the scanner stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markup {
    /// A start or empty element ([`Scanner::item`] reads it).
    Start,
    /// An end tag.
    End(Tag),
    /// Text that is not all whitespace (only with [`Scanner::advance`]).
    Text,
    /// A comment or processing instruction (the XML declaration among them).
    Comment,
    /// CDATA.
    CData,
    /// A DOCTYPE.
    Other,
    /// The end of the input.
    Eof,
}

/// Where one XML attribute's value is in the buffer.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: usize,
    end: usize,
    /// True when the value holds a `&` (it must be unescaped).
    amp: bool,
}

/// The XES attributes of the start tag last read, in the order of
/// [`SLOTS`].
type Slots = [Option<Span>; 5];

/// Up to this many attributes in a tag, duplicates are looked for one by one.
const FEW: usize = 16;

/// The XML attributes XES uses (by local name), in the order of [`Slots`].
const SLOTS: [&[u8]; 5] = [b"key", b"value", b"name", b"scope", b"keys"];

/// The XML scanner over a `Read`.
pub(crate) struct Scanner<R> {
    inner: R,
    /// Input read but not yet consumed is `buf[pos..end]`.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// True once the input has given its last byte.
    eof: bool,
    /// Input bytes dropped from the front of `buf` so far.
    base: u64,
    /// Newlines in the input before `buf[counted]` (counted when asked).
    newlines: Cell<u64>,
    counted: Cell<usize>,
    /// The line the last item started on.
    item_line: u64,
    /// The record size limit: the most bytes one item may take.
    limit: usize,
    /// The names of the open elements, one after the other; `opened` holds
    /// where each starts.
    names: Vec<u8>,
    opened: Vec<usize>,
    /// The start tag last read: its tag, whether it is empty, its name in
    /// `buf`, and its XES attributes.
    tag: Tag,
    empty: bool,
    name: (usize, usize),
    slots: Slots,
    /// The names of its attributes, for the duplicate check.
    attr_names: Vec<(usize, usize)>,
}

impl<R: Read> Scanner<R> {
    /// A scanner of `inner` whose items are capped at `limit` bytes.
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Self::with_chunk(inner, limit, CHUNK)
    }

    /// A scanner whose buffer starts at `chunk` bytes (small ones test the
    /// refills).
    pub(crate) fn with_chunk(inner: R, limit: usize, chunk: usize) -> Self {
        Scanner {
            inner,
            buf: vec![0; chunk.max(16)],
            pos: 0,
            end: 0,
            eof: false,
            base: 0,
            newlines: Cell::new(0),
            counted: Cell::new(0),
            item_line: 1,
            limit,
            names: Vec::new(),
            opened: Vec::new(),
            tag: Tag::Other,
            empty: false,
            name: (0, 0),
            slots: Slots::default(),
            attr_names: Vec::new(),
        }
    }

    /// Input bytes consumed so far.
    pub(crate) fn position(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The 1-based line the scanner is on (after the item last read).
    pub(crate) fn line(&self) -> u64 {
        self.line_at(self.pos)
    }

    /// The 1-based line the last item (or the one too long) started on.
    pub(crate) fn item_line(&self) -> u64 {
        self.item_line
    }

    /// The line of `buf[at]`, counting newlines from where last counted
    /// (never before it: positions only grow).
    fn line_at(&self, at: usize) -> u64 {
        let counted = self.counted.get();
        if at > counted {
            let more = self.buf.get(counted..at).map_or(0, count_newlines);
            self.newlines.set(self.newlines.get() + more);
            self.counted.set(at);
        }
        self.newlines.get() + 1
    }

    /// Reads more input after `buf[..end]`, first moving `buf[keep..end]`
    /// to the front (and growing the buffer when that leaves little room).
    /// Returns how far `keep` moved, or `None` at the end of the input.
    fn fill(&mut self, keep: usize) -> Result<Option<usize>, ScanError> {
        if self.eof {
            return Ok(None);
        }
        let room = self.buf.len() - self.end;
        let mut shift = 0;
        if room < self.buf.len() / 4 {
            self.line_at(keep);
            self.buf.copy_within(keep..self.end, 0);
            shift = keep;
            self.base += keep as u64;
            self.end -= keep;
            self.pos -= keep.min(self.pos);
            self.counted.set(self.counted.get() - keep);
            if self.buf.len() - self.end < self.buf.len() / 4 {
                let len = self.buf.len();
                self.buf.resize(len * 2, 0);
            }
        }
        loop {
            let Some(space) = self.buf.get_mut(self.end..) else {
                return Ok(None);
            };
            match self.inner.read(space) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(None);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(Some(shift));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ScanError::Io(e)),
            }
        }
    }

    /// The next element start or end (or the end of input), skipping text,
    /// comments and declarations. A start is read with [`Self::item`].
    pub(crate) fn advance_element(&mut self) -> Result<Markup, ScanError> {
        loop {
            match self.next_markup(false)? {
                Markup::Comment | Markup::CData | Markup::Other | Markup::Text => {}
                markup => return Ok(markup),
            }
        }
    }

    /// The next item of any kind; text that is all whitespace is skipped.
    pub(crate) fn advance(&mut self) -> Result<Markup, ScanError> {
        self.next_markup(true)
    }

    /// The next item; text is skipped, and reported when `text` is set and
    /// it is not all whitespace.
    fn next_markup(&mut self, text: bool) -> Result<Markup, ScanError> {
        // Text up to the next `<`.
        let mut run: usize = 0;
        let mut run_line = None;
        let mut blank = true;
        loop {
            let rest = self.buf.get(self.pos..self.end).unwrap_or_default();
            let found = find_lt(rest);
            let len = found.unwrap_or(rest.len());
            if text && blank {
                let skipped = rest.get(..len).unwrap_or_default();
                blank = skipped.iter().all(|&b| is_space(b));
            }
            if run.saturating_add(len) > self.limit {
                self.item_line = run_line.unwrap_or_else(|| self.line_at(self.pos));
                return Err(ScanError::TooLong);
            }
            if found.is_some() {
                if text && !blank {
                    self.pos += len;
                    return Ok(Markup::Text);
                }
                self.pos += len;
                break;
            }
            if run_line.is_none() && len > 0 {
                run_line = Some(self.line_at(self.pos));
            }
            run += len;
            self.pos = self.end;
            if self.fill(self.pos)?.is_none() {
                return Ok(if text && !blank && run > 0 {
                    Markup::Text
                } else {
                    Markup::Eof
                });
            }
        }
        // `buf[pos]` is `<`.
        let start = self.pos;
        if let Some(len) = self.plain_tag(start) {
            self.pos = start + len;
            return Ok(Markup::Start);
        }
        let (start, len) = self.markup_end(start)?;
        self.pos = start + len;
        let Some(markup) = self.buf.get(start + 1..start + len - 1) else {
            return malformed("a tag was lost from its buffer");
        };
        match markup.first() {
            Some(b'/') => self.end_tag(start + 2, start + len - 1).map(Markup::End),
            Some(b'?') => Ok(Markup::Comment),
            Some(b'!') if markup.starts_with(b"!--") => Ok(Markup::Comment),
            Some(b'!') if markup.starts_with(b"![") => Ok(Markup::CData),
            Some(b'!') => Ok(Markup::Other),
            _ => self
                .start_tag(start + 1, start + len - 1)
                .map(|()| Markup::Start),
        }
    }

    /// Reads the start tag at `buf[start]` (a `<`) in one pass when it has
    /// the plain shape XES writers give it: an element XES reads, then
    /// `key="…"`-like attributes that XES uses, each once, single-spaced or
    /// more, their names without prefix, and `>` or `/>` right after. The
    /// tag's length, or `None` for anything else (or a tag the buffer cuts),
    /// which the general way reads with the same result.
    fn plain_tag(&mut self, start: usize) -> Option<usize> {
        let bytes = self.buf.get(start..self.end)?;
        let mut i = 1;
        while bytes.get(i).is_some_and(|&b| b.is_ascii_alphanumeric()) {
            i += 1;
        }
        let tag = Tag::of(bytes.get(1..i)?);
        if matches!(tag, Tag::Other | Tag::Log) {
            return None;
        }
        let name = (start + 1, start + i);
        let mut slots = Slots::default();
        let empty = loop {
            match *bytes.get(i)? {
                b'>' => {
                    i += 1;
                    break false;
                }
                b'/' if bytes.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break true;
                }
                b' ' | b'\t' | b'\n' | b'\r' => {}
                _ => return None,
            }
            while bytes.get(i).is_some_and(|&b| is_space(b)) {
                i += 1;
            }
            let key_start = i;
            while bytes.get(i).is_some_and(|&b| b.is_ascii_alphabetic()) {
                i += 1;
            }
            let slot = slot_of(bytes.get(key_start..i)?)?;
            if bytes.get(i) != Some(&b'=') {
                return None;
            }
            let quote = *bytes.get(i + 1)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            i += 2;
            let value_start = i;
            let mut amp = false;
            loop {
                let b = *bytes.get(i)?;
                if b == quote {
                    break;
                }
                amp |= b == b'&';
                i += 1;
            }
            let place = slots.get_mut(slot)?;
            if place.is_some() {
                return None;
            }
            *place = Some(Span {
                start: start + value_start,
                end: start + i,
                amp,
            });
            i += 1;
        };
        if !empty {
            let name = bytes.get(1..name.1 - start)?;
            self.opened.push(self.names.len());
            self.names.extend_from_slice(name);
        }
        self.tag = tag;
        self.empty = empty;
        self.name = name;
        self.slots = slots;
        Some(i)
    }

    /// Finds the end of the markup at `buf[start]` (a `<`), reading more
    /// input as needed: `(start, len)` with `len` up to and with its `>`
    /// (`start` moves when the buffer is refilled).
    fn markup_end(&mut self, mut start: usize) -> Result<(usize, usize), ScanError> {
        let mut line = None;
        loop {
            let bytes = self.buf.get(start..self.end).unwrap_or_default();
            match markup_len(bytes) {
                Ok(Some(len)) => return Ok((start, len)),
                Ok(None) => {}
                Err(message) => return malformed(message),
            }
            if bytes.len() > self.limit {
                self.item_line = line.unwrap_or_else(|| self.line_at(start));
                return Err(ScanError::TooLong);
            }
            if line.is_none() {
                line = Some(self.line_at(start));
            }
            match self.fill(start)? {
                Some(shift) => start -= shift,
                None => {
                    self.pos = self.end;
                    let bytes = self.buf.get(start..self.end).unwrap_or_default();
                    return malformed(unclosed(bytes));
                }
            }
        }
    }

    /// Checks an end tag (its name in `buf[from..to]`) against the open element.
    fn end_tag(&mut self, from: usize, to: usize) -> Result<Tag, ScanError> {
        let content = self.buf.get(from..to).unwrap_or_default();
        let trimmed = content
            .iter()
            .rposition(|&b| !is_space(b))
            .map_or(content, |last| content.get(..=last).unwrap_or(content));
        let Some(open) = self.opened.pop() else {
            let name = String::from_utf8_lossy(trimmed);
            return malformed(format!(
                "ill-formed document: close tag `</{name}>` does not match any open tag"
            ));
        };
        let expected = self.names.get(open..).unwrap_or_default();
        if expected != trimmed {
            let (expected, found) = (
                String::from_utf8_lossy(expected).into_owned(),
                String::from_utf8_lossy(trimmed),
            );
            self.names.truncate(open);
            return malformed(format!(
                "ill-formed document: expected `</{expected}>`, but `</{found}>` was found"
            ));
        }
        self.names.truncate(open);
        Ok(Tag::of(local_name(trimmed)))
    }

    /// Reads a start tag (its content in `buf[from..to]`, without `<` and `>`).
    fn start_tag(&mut self, from: usize, to: usize) -> Result<(), ScanError> {
        let content = self.buf.get(from..to).unwrap_or_default();
        let (empty, to) = match content.last() {
            Some(b'/') => (true, to - 1),
            _ => (false, to),
        };
        let content = self.buf.get(from..to).unwrap_or_default();
        let name_len = content
            .iter()
            .position(|&b| is_space(b))
            .unwrap_or(content.len());
        let name = content.get(..name_len).unwrap_or_default();
        if !empty {
            self.opened.push(self.names.len());
            self.names.extend_from_slice(name);
        }
        self.tag = Tag::of(local_name(name));
        self.empty = empty;
        self.name = (from, from + name_len);
        self.slots = Slots::default();
        if matches!(self.tag, Tag::Other | Tag::Log) {
            // Read no further: XES readers skip these elements.
            return Ok(());
        }
        self.attributes(from + name_len, to)
    }

    /// Splits the attributes of a start tag (`buf[from..to]`, after its name).
    fn attributes(&mut self, from: usize, to: usize) -> Result<(), ScanError> {
        self.attr_names.clear();
        let bytes = self.buf.get(..to).unwrap_or_default();
        let mut many: Option<FxHashMap<&[u8], usize>> = None;
        let mut at = from;
        loop {
            // A key: up to `=` or whitespace.
            while bytes.get(at).is_some_and(|&b| is_space(b)) {
                at += 1;
            }
            if at >= to {
                return Ok(());
            }
            let key_start = at;
            while bytes.get(at).is_some_and(|&b| b != b'=' && !is_space(b)) {
                at += 1;
            }
            let key = (key_start, at);
            while bytes.get(at).is_some_and(|&b| is_space(b)) {
                at += 1;
            }
            if bytes.get(at) != Some(&b'=') {
                return malformed(format!(
                    "error while parsing attribute: position {}: attribute key must be directly followed by `=` or space",
                    key.1 - from
                ));
            }
            at += 1;
            while bytes.get(at).is_some_and(|&b| is_space(b)) {
                at += 1;
            }
            let quote = match bytes.get(at) {
                Some(&q @ (b'"' | b'\'')) => q,
                Some(_) => {
                    return malformed(format!(
                        "error while parsing attribute: position {}: attribute value must be enclosed in `\"` or `'`",
                        at - from
                    ))
                }
                None => {
                    return malformed(format!(
                        "error while parsing attribute: position {}: `=` must be followed by an attribute value",
                        to - from
                    ))
                }
            };
            let value_start = at + 1;
            let rest = bytes.get(value_start..).unwrap_or_default();
            let Some(len) = memchr(quote, rest) else {
                return malformed(format!(
                    "error while parsing attribute: position {}: missing closing quote `{}` in attribute value",
                    to - from,
                    quote as char
                ));
            };
            let value = rest.get(..len).unwrap_or_default();
            at = value_start + len + 1;
            let key_bytes = bytes.get(key.0..key.1).unwrap_or_default();
            let previous = match &mut many {
                Some(seen) => seen.insert(key_bytes, key.0),
                None => {
                    let previous = self
                        .attr_names
                        .iter()
                        .find(|(s, e)| bytes.get(*s..*e) == Some(key_bytes))
                        .map(|(s, _)| *s);
                    self.attr_names.push(key);
                    if self.attr_names.len() > FEW && previous.is_none() {
                        // Past a few names, a map keeps the check linear.
                        let names = self.attr_names.iter();
                        let seen = names.filter_map(|&(s, e)| Some((bytes.get(s..e)?, s)));
                        many = Some(seen.collect());
                    }
                    previous
                }
            };
            if let Some(previous) = previous {
                return malformed(format!(
                    "error while parsing attribute: position {}: duplicated attribute, previous declaration at position {}",
                    key.0 - from,
                    previous - from
                ));
            }
            let local = local_name(key_bytes);
            if let Some(slot) = SLOTS.iter().position(|s| *s == local) {
                if let Some(slot) = self.slots.get_mut(slot) {
                    *slot = Some(Span {
                        start: value_start,
                        end: value_start + len,
                        amp: memchr(b'&', value).is_some(),
                    });
                }
            }
        }
    }

    /// The start tag last read, its texts borrowed from the buffer (unescaped
    /// into strings of their own where they hold an entity).
    pub(crate) fn elem(&self) -> Result<Elem<'_>, ScanError> {
        let name = self.buf.get(self.name.0..self.name.1).unwrap_or_default();
        let other = (self.tag == Tag::Other)
            .then(|| Cow::Owned(String::from_utf8_lossy(local_name(name)).into_owned()));
        let [key, value, name, scope, keys] = self.slots;
        Ok(Elem {
            tag: self.tag,
            empty: self.empty,
            key: self.text(key)?,
            value: self.text(value)?,
            name: self.text(name)?,
            other,
            scope: self.text(scope)?,
            keys: self.text(keys)?,
        })
    }

    /// The next element start or end, read.
    pub(crate) fn next_item(&mut self) -> Result<Item<'_>, ScanError> {
        match self.advance_element()? {
            Markup::Start => self.elem().map(Item::Start),
            Markup::End(tag) => Ok(Item::End(tag)),
            _ => Ok(Item::Eof),
        }
    }

    /// The local name of the start tag last read (for messages).
    pub(crate) fn local_name(&self) -> Cow<'_, str> {
        let name = self.buf.get(self.name.0..self.name.1).unwrap_or_default();
        String::from_utf8_lossy(local_name(name))
    }

    /// An attribute's value, unescaped.
    fn text(&self, span: Option<Span>) -> Result<Option<Cow<'_, str>>, ScanError> {
        let Some(span) = span else {
            return Ok(None);
        };
        let bytes = self.buf.get(span.start..span.end).unwrap_or_default();
        // Only the values XES reads are checked to be UTF-8 (once each).
        let Ok(text) = std::str::from_utf8(bytes) else {
            return malformed("invalid UTF-8 in a tag");
        };
        if !span.amp {
            return Ok(Some(Cow::Borrowed(text)));
        }
        unescape(text).map(|t| Some(Cow::Owned(t)))
    }
}

/// The length of the markup at the start of `bytes` (a `<`) up to and with
/// its `>`, or `None` when `bytes` ends before it; an error for `<!` that
/// starts no comment, CDATA or DOCTYPE.
fn markup_len(bytes: &[u8]) -> Result<Option<usize>, &'static str> {
    let after = |from: usize, pattern: &[u8]| {
        let rest = bytes.get(from..)?;
        memchr::memmem::find(rest, pattern).map(|at| from + at + pattern.len())
    };
    match bytes.get(1) {
        None => Ok(None),
        Some(b'/') => Ok(memchr(b'>', bytes).map(|at| at + 1)),
        // `<?…?>`: a `>` after a `?` ends it.
        Some(b'?') => Ok(after(2, b"?>")),
        Some(b'!') => {
            let rest = bytes.get(2..).unwrap_or_default();
            if rest.len() < 7 && (b"--".starts_with(rest) || b"[CDATA[".starts_with(rest)) {
                return Ok(None);
            }
            if rest.len() < 7 && b"DOCTYPE".starts_with(&rest.to_ascii_uppercase()) {
                return Ok(None);
            }
            if rest.starts_with(b"--") {
                // `<!-->` does not close it: the search starts after `<!--`.
                Ok(after(4, b"-->"))
            } else if rest.starts_with(b"[CDATA[") {
                Ok(after(9, b"]]>"))
            } else if rest
                .get(..7)
                .is_some_and(|d| d.eq_ignore_ascii_case(b"DOCTYPE"))
            {
                Ok(doctype_len(bytes))
            } else {
                Err("syntax error: unknown or missed symbol in markup")
            }
        }
        Some(_) => Ok(tag_len(bytes)),
    }
}

/// The length of a start tag up to and with its `>`, found outside quotes.
fn tag_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 1;
    loop {
        let rest = bytes.get(at..)?;
        let found = memchr3(b'>', b'"', b'\'', rest)?;
        let quote = *rest.get(found)?;
        if quote == b'>' {
            return Some(at + found + 1);
        }
        let value = rest.get(found + 1..)?;
        at += found + 1 + memchr(quote, value)? + 1;
    }
}

/// The length of a DOCTYPE up to its `>`, with its internal subset's
/// markup (`<…>` pairs) inside it.
fn doctype_len(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate().skip(1) {
        match b {
            b'<' => depth += 1,
            b'>' if depth == 0 => return Some(i + 1),
            b'>' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The message for markup the input ends in.
fn unclosed(bytes: &[u8]) -> &'static str {
    let rest = bytes.get(1..).unwrap_or_default();
    match rest.first() {
        Some(b'?') => "syntax error: processing instruction or xml declaration not closed: `?>` not found before end of input",
        Some(b'!') if rest.starts_with(b"!--") => {
            "syntax error: comment not closed: `-->` not found before end of input"
        }
        Some(b'!') if rest.starts_with(b"![") => {
            "syntax error: CDATA not closed: `]]>` not found before end of input"
        }
        Some(b'!') => "syntax error: DOCTYPE not closed: `>` not found before end of input",
        _ => "syntax error: tag not closed: `>` not found before end of input",
    }
}

/// The slot of an XES attribute name, if it is one.
fn slot_of(name: &[u8]) -> Option<usize> {
    fn is<const N: usize>(name: &[u8], want: &[u8; N]) -> bool {
        <[u8; N]>::try_from(name).is_ok_and(|a| a == *want)
    }
    match name.len() {
        3 if is(name, b"key") => Some(0),
        5 if is(name, b"value") => Some(1),
        4 if is(name, b"name") => Some(2),
        5 if is(name, b"scope") => Some(3),
        4 if is(name, b"keys") => Some(4),
        _ => None,
    }
}

/// The first `<` in `bytes`: between XES tags there are only a few bytes
/// of indentation, cheaper looked at one by one than with a search.
fn find_lt(bytes: &[u8]) -> Option<usize> {
    let head = bytes.get(..16).unwrap_or(bytes);
    match head.iter().position(|&b| b == b'<') {
        Some(at) => Some(at),
        None => memchr(b'<', bytes.get(head.len()..)?).map(|at| at + head.len()),
    }
}

/// XML whitespace.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A name without its namespace prefix (up to the first `:`).
fn local_name(name: &[u8]) -> &[u8] {
    match memchr(b':', name) {
        Some(at) => name.get(at + 1..).unwrap_or_default(),
        None => name,
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Unescapes an attribute value: the five predefined entities and numeric
/// character references (not zero, not a surrogate); any other `&` is an error.
pub(crate) fn unescape(raw: &str) -> Result<String, ScanError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut last = 0;
    let mut marks = memchr2_iter(b'&', b';', bytes);
    while let Some(start) = marks.by_ref().find(|&p| bytes.get(p) == Some(&b'&')) {
        let end = match marks.next() {
            Some(end) if bytes.get(end) == Some(&b';') => end,
            _ => {
                return malformed(format!(
                    "Error while escaping character at range {:?}: Cannot find ';' after '&'",
                    start..raw.len()
                ))
            }
        };
        out.push_str(raw.get(last..start).unwrap_or_default());
        let entity = raw.get(start + 1..end).unwrap_or_default();
        match entity {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "apos" => out.push('\''),
            "quot" => out.push('"'),
            _ => match entity.strip_prefix('#') {
                Some(number) => out.push(char_ref(number)?),
                None => {
                    return malformed(format!(
                        "at {:?}: unrecognized entity `{entity}`",
                        start + 1..end
                    ))
                }
            },
        }
        last = end + 1;
    }
    out.push_str(raw.get(last..).unwrap_or_default());
    Ok(out)
}

/// The character of a numeric reference (`#` cut): decimal, or hex after `x`.
fn char_ref(number: &str) -> Result<char, ScanError> {
    let (digits, radix) = match number.strip_prefix('x') {
        Some(hex) => (hex, 16),
        None => (number, 10),
    };
    if digits.starts_with(['+', '-']) {
        return malformed("invalid character reference: unexpected number sign");
    }
    let code = match u32::from_str_radix(digits, radix) {
        Ok(code) => code,
        Err(e) => return malformed(format!("invalid character reference: {e}")),
    };
    if code == 0 {
        return malformed("invalid character reference: 0x0 character is not permitted in XML");
    }
    match char::from_u32(code) {
        Some(c) => Ok(c),
        None => malformed(format!(
            "invalid character reference: `{code}` is not a valid codepoint"
        )),
    }
}

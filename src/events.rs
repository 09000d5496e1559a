//! Stage `events`: interaction records in, [`Record`]s out.
//!
//! Owns the [`Event`] record and its [`Value`]s, the [`Names`] that turn names
//! and customer ids into integers, the field [`Mapping`], time parsing ([`time`]), and streaming
//! readers for NDJSON, CSV and XES (plain or gzip, detected by magic bytes).
//!
//! A reader is pulled one record at a time ([`EventReader::next_record`]) and
//! never holds more than one record (an NDJSON line, a CSV record, an XES event
//! or a trace's attributes) in memory, each within the record size limit
//! ([`ReadOptions::max_record`], 1 MiB by default).
//! A bad record is never dropped: it becomes a [`Rejection`] naming the file, the
//! line (or XES element) and the reason; [`ReadStats`] keeps
//! `accepted + rejected = read`, and every XES `<event>` element, wherever it
//! is, is one or the other. Problems that stop reading altogether (a missing
//! CSV column, malformed XML or content after `</log>`, a truncated or corrupt
//! gzip stream, an XML item over the size limit, an I/O error) are an
//! [`InputError`]; the records read before it have already been handed out.
//! Every input is read to its end, so a gzip stream's checksum is always checked.
//!
//! Attributes are kept in input order; [`Event::attr`] returns the first one with
//! a key. The library opens no files: callers pass any `Read`.
//!
//! ```
//! use cxl::events::{EventReader, InputFormat, Names, ReadOptions, Record};
//!
//! let log: &[u8] = br#"{"customer":"c1","step":"Claim reported","time":"2026-03-01T10:00:00Z","csat":5}
//! {"customer":"c1","step":"acknowledge"}
//! "#;
//! let options = ReadOptions::new(InputFormat::Ndjson);
//! let mut reader = EventReader::new(log, "claims.ndjson", 0, &options)?;
//! let mut names = Names::new();
//! let reported = names.words.intern("Claim reported");
//! while let Some(record) = reader.next_record(&mut names)? {
//!     match record {
//!         Record::Event(event) => assert_eq!(event.name, reported),
//!         Record::Rejected(bad) => assert_eq!(bad.to_string(), "claims.ndjson:2: missing time field `time`"),
//!         Record::Customer(_) => {}
//!     }
//! }
//! let stats = reader.stats();
//! assert_eq!((stats.read, stats.accepted, stats.rejected), (2, 1, 1));
//! # Ok::<(), cxl::events::InputError>(())
//! ```

mod csv;
mod gzip;
mod intern;
mod lines;
mod mapping;
mod ndjson;
mod reader;
mod reject;
pub(crate) mod share;
pub mod time;
mod xes;

pub use intern::{CustomerId, CustomerIds, Interner, Names, Symbol};
pub use mapping::{Field, InputFormat, Mapping, MappingError};
pub use ndjson::CustomersReader;
pub use reader::{AttributeFilter, EventReader, ReadOptions, DEFAULT_MAX_LINE};
pub use reject::RejectWriter;
pub use share::{Share, Shared, SharedReader};

use jiff::Timestamp;
use serde::Serialize;

/// Attributes: key and value pairs in input order.
pub type Attrs = Vec<(Symbol, Value)>;

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number (JSON number, XES `int`/`float`, a CSV cell that reads as one).
    Number(f64),
    /// Text. Not interned: attribute values may be unique (ids, free text), and
    /// interning them would grow memory with the log.
    Text(Box<str>),
    /// A boolean.
    Bool(bool),
    /// A point in time (XES `date`, a JSON or CSV string in RFC 3339 form).
    Time(Timestamp),
    /// A list (JSON array, XES `list` or `container`).
    List(Vec<Value>),
}

impl Value {
    /// The value as text, borrowed when it is text already.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::Text(text) => std::borrow::Cow::Borrowed(text),
            other => std::borrow::Cow::Owned(other.to_text()),
        }
    }

    /// The value as a display string (numbers without a trailing `.0`).
    pub fn to_text(&self) -> String {
        match self {
            Value::Number(n) => format_number(*n),
            Value::Text(text) => text.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Time(ts) => ts.to_string(),
            Value::List(items) => {
                let parts: Vec<String> = items.iter().map(Value::to_text).collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }
}

/// A number as text: integers without a fractional part.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// Where a record came from: the caller's file index and the 1-based line
/// (for XES, the line of the `<event>` or `<trace>` start tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Origin {
    /// The index of the input file, as the caller numbered them.
    pub file: u32,
    /// The 1-based line number.
    pub line: u64,
}

/// One interaction: a customer met a step (activity) at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The customer (XES: the case).
    pub customer: CustomerId,
    /// The activity or step name as written in the log (several mapped fields joined by `+`).
    pub name: Symbol,
    /// When it happened.
    pub time: Timestamp,
    /// The channel, when mapped and present.
    pub channel: Option<Symbol>,
    /// Who acted (XES `org:resource`), when mapped and present.
    pub actor: Option<Symbol>,
    /// Every other field, in input order.
    pub attrs: Vec<(Symbol, Value)>,
    /// Where it was read.
    pub origin: Origin,
}

impl Event {
    /// The first attribute with this key.
    pub fn attr(&self, key: Symbol) -> Option<&Value> {
        self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// Attributes of a customer: XES trace attributes, CSV `case:` columns, or a
/// line of a customers file.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// The customer id.
    pub id: CustomerId,
    /// Its attributes, in input order.
    pub attrs: Vec<(Symbol, Value)>,
    /// Where it was read.
    pub origin: Origin,
}

/// A record that could not be read, with enough to find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The file name as the caller gave it.
    pub file: String,
    /// The 1-based line, when known.
    pub line: Option<u64>,
    /// The XES element (e.g. `trace 3 ("case-7") event 2`), for XES input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// Why it was rejected.
    pub reason: String,
    /// The record as read (truncated for very long lines).
    pub raw: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(element) = &self.element {
            write!(f, " ({element})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// One item read from an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// An interaction.
    Event(Event),
    /// Customer attributes (given before that customer's events in XES).
    Customer(Customer),
    /// A record that could not be read (boxed: it is rare and large, and
    /// every record handed out is as big as the largest kind).
    Rejected(Box<Rejection>),
}

/// Counts of what a reader has handed out: `accepted + rejected = read`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadStats {
    /// Event records read (accepted or rejected).
    pub read: u64,
    /// Events handed out.
    pub accepted: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Customer records handed out (not counted in `read`).
    pub customers: u64,
    /// Well-formed events left out on purpose (an XES standard lifecycle
    /// transition other than `complete`), not counted in `read`.
    pub filtered: u64,
}

/// A problem that stops reading an input. Records handed out before it stay valid.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The input could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file name.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input holds nothing at all.
    #[error("{file}: the input is empty")]
    Empty {
        /// The file name.
        file: String,
    },
    /// The compressed input ends before its end marker.
    #[error(
        "{file}: the gzip stream is truncated after line {line}; the records before it were read"
    )]
    Truncated {
        /// The file name.
        file: String,
        /// The last line read.
        line: u64,
    },
    /// The compressed input fails its integrity check: a CRC or length
    /// mismatch, undecodable data, or bytes after the end of the compressed
    /// data. What was read from it may be wrong.
    #[error(
        "{file}: the gzip stream is corrupt ({reason}), found after line {line}; the records read from it cannot be trusted"
    )]
    Corrupt {
        /// The file name.
        file: String,
        /// The last line read.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// One item of the input is larger than the record size limit
    /// ([`ReadOptions::max_record`]), and reading cannot go on past it.
    #[error(
        "{file}:{line}: {what} is longer than the record size limit of {limit} bytes; reading stopped here (raise the limit with --max-record-size)"
    )]
    TooLarge {
        /// The file name.
        file: String,
        /// The line where the item starts.
        line: u64,
        /// What is too large (`an XML comment`, …).
        what: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A mapped field is not a column of the CSV header.
    #[error(transparent)]
    MissingColumn(Box<MissingColumn>),
    /// The XML is malformed where reading cannot go on.
    #[error(transparent)]
    Xml(Box<XmlError>),
    /// `--classifier` names a classifier the log does not declare.
    #[error(transparent)]
    UnknownClassifier(Box<UnknownClassifier>),
    /// The input is not of the expected kind at all (e.g. no `<log>` in XES).
    #[error("{file}: {message}")]
    NotALog {
        /// The file name.
        file: String,
        /// What is wrong.
        message: String,
    },
}

impl InputError {
    /// The error of a failed read of `file` after `line`: a corrupt gzip
    /// stream, a truncated one (it ended early), or another I/O error.
    pub(crate) fn from_io(file: &str, line: u64, source: std::io::Error) -> InputError {
        let file = file.to_string();
        if let Some(fault) = gzip::GzipFault::of(&source) {
            let reason = fault.to_string();
            return InputError::Corrupt { file, line, reason };
        }
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            return InputError::Truncated { file, line };
        }
        InputError::Io { file, source }
    }
}

// The rare errors with several texts are boxed in [`InputError`]: every
// `next_record` result is as large as its largest error, and a small result
// moves each record for less.

/// A mapped field is not a column of the CSV header ([`InputError::MissingColumn`]).
#[derive(Debug, thiserror::Error)]
#[error("{file}: no column `{column}` for the {field} field; the header has: {columns}{hint}")]
pub struct MissingColumn {
    /// The file name.
    pub file: String,
    /// The mapped field.
    pub field: Field,
    /// The column the mapping names.
    pub column: String,
    /// The header's columns, comma-separated.
    pub columns: String,
    /// A "did you mean" hint, possibly empty.
    pub hint: String,
}

/// The XML is malformed where reading cannot go on ([`InputError::Xml`]).
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: malformed XML{element}: {message}")]
pub struct XmlError {
    /// The file name.
    pub file: String,
    /// The line where it went wrong.
    pub line: u64,
    /// The element being read, as ` in <trace> …`, possibly empty.
    pub element: String,
    /// What is wrong.
    pub message: String,
}

/// `--classifier` names a classifier the log does not declare
/// ([`InputError::UnknownClassifier`]).
#[derive(Debug, thiserror::Error)]
#[error("{file}: no classifier `{name}`; the log declares: {available}")]
pub struct UnknownClassifier {
    /// The file name.
    pub file: String,
    /// The requested classifier.
    pub name: String,
    /// The declared classifiers, comma-separated.
    pub available: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each record moves through the readers as this result: the rare large
    /// kinds (rejections, errors) are boxed so it stays the size of an event.
    #[test]
    fn a_read_result_is_the_size_of_an_event() {
        let result = std::mem::size_of::<Result<Option<Record>, InputError>>();
        assert_eq!(result, std::mem::size_of::<Event>());
    }
}

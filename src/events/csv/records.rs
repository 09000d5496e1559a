//! CSV records from lines, with a quote that never closes found and
//! recovered from.
//!
//! Lines come from the capped [`LineReader`] and are parsed by csv-core. A
//! record is one line, unless a quoted field is open at the line's end: then
//! it goes on over the next lines until the quote closes. A quote that does
//! not close before the end of the input, nor within the record size limit,
//! whose closing quote is followed by other text than a delimiter or the line
//! end (RFC 4180; a record of one line is read leniently, as csv-core does),
//! or whose closing leaves the row with another number of fields than the
//! header, is taken as unterminated: the line where it opened is rejected,
//! and reading goes on at the next line (the lines read ahead are read
//! again), as DuckDB's CSV reader does when told to ignore errors. So one
//! stray `"` costs one row, not the rest of the file, and memory stays
//! within the limit.

use crate::events::lines::{Line, LineReader};
use std::collections::VecDeque;
use std::io::{self, Read};

/// How many bytes of a rejected line are kept for the reject file.
const HEAD: usize = 1024;

/// What [`Records::next`] found.
pub(crate) enum Next {
    /// A record, now in [`Records::row`]; `line` is where it starts.
    Row { line: u64 },
    /// A record that cannot be read.
    Bad {
        /// The line where it starts.
        line: u64,
        /// Why.
        reason: String,
        /// Its text (the head of its first line).
        raw: String,
    },
}

/// The fields of the record last read.
#[derive(Default)]
pub(crate) struct Row {
    text: String,
    /// The end of each field in `text`.
    ends: Vec<usize>,
}

impl Row {
    /// How many fields it has.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    /// Its fields in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// A line taken from the input that will be read again.
enum Held {
    Text(u64, Vec<u8>),
    TooLong(u64, u64, Vec<u8>),
}

impl Held {
    fn of(line: u64, read: Line<'_>) -> Held {
        match read {
            Line::Text(text) => Held::Text(line, text.to_vec()),
            Line::TooLong { len, head } => Held::TooLong(line, len, head.to_vec()),
        }
    }
}

/// Reads CSV records.
pub(crate) struct Records<R> {
    lines: LineReader<R>,
    /// Lines read ahead for a quote that did not close, to be read again.
    replay: VecDeque<Held>,
    parser: Parser,
    max: usize,
}

impl<R: Read> Records<R> {
    /// Records of `input`, each at most `max` bytes.
    pub(crate) fn new(input: R, max: usize, delimiter: u8) -> Self {
        let core = csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        Records {
            lines: LineReader::new(input, max),
            replay: VecDeque::new(),
            parser: Parser {
                core,
                out: vec![0; 1024],
                ends: vec![0; 32],
                nout: 0,
                nend: 0,
                delimiter,
                row: Row::default(),
            },
            max,
        }
    }

    /// The record last read.
    pub(crate) fn row(&self) -> &Row {
        &self.parser.row
    }

    /// The line last read (for an error while reading).
    pub(crate) fn line(&self) -> u64 {
        self.lines.line()
    }

    /// The next record, skipping blank lines; `fields` is how many fields a
    /// record spanning lines must have (the header's), if known.
    pub(crate) fn next(&mut self, fields: Option<usize>) -> io::Result<Option<Next>> {
        loop {
            let held;
            let (line, read) = match self.replay.pop_front() {
                Some(h) => {
                    held = h;
                    match &held {
                        Held::Text(line, text) => (*line, Line::Text(text)),
                        Held::TooLong(line, len, head) => {
                            (*line, Line::TooLong { len: *len, head })
                        }
                    }
                }
                None => match self.lines.next_line()? {
                    Some(next) => next,
                    None => return Ok(None),
                },
            };
            let text = match read {
                Line::TooLong { len, head } => {
                    return Ok(Some(too_long(line, len, head, self.max)))
                }
                Line::Text([]) => continue,
                Line::Text(text) => text,
            };
            self.parser.start();
            if self.parser.feed_line(text) {
                return Ok(Some(self.parser.finish(line)));
            }
            let mut quotes = Quotes::new(self.parser.delimiter);
            quotes.scan(text);
            let head = lossy(text);
            let size = text.len() + 1;
            return self.continued(line, head, size, quotes, fields).map(Some);
        }
    }

    /// A record whose quoted field is open at the end of its first line:
    /// reads on until the quote closes, or takes it as unterminated.
    fn continued(
        &mut self,
        start: u64,
        head: String,
        mut size: usize,
        mut quotes: Quotes,
        fields: Option<usize>,
    ) -> io::Result<Next> {
        let mut held = Vec::new();
        let why = loop {
            let next = match self.replay.pop_front() {
                Some(next) => next,
                None => match self.lines.next_line()? {
                    Some((line, read)) => Held::of(line, read),
                    None => break "is not closed before the end of the input".to_string(),
                },
            };
            let Held::Text(_, text) = &next else {
                held.push(next);
                break self.not_within_limit();
            };
            size = size.saturating_add(text.len() + 1);
            let well_quoted = quotes.scan(text);
            let ended = size <= self.max && self.parser.feed_line(text);
            held.push(next);
            if size > self.max {
                break self.not_within_limit();
            }
            if !well_quoted {
                let at = start + held.len() as u64;
                break format!("is closed on line {at} by a quote followed by more text (not by a delimiter or the line end)");
            }
            if !ended {
                continue;
            }
            let found = self.parser.nend;
            match fields {
                Some(wanted) if wanted != found => {
                    break format!("closes {} lines later in a row of {found} fields (the header has {wanted})", held.len());
                }
                _ => return Ok(self.parser.finish(start)),
            }
        };
        for line in held.into_iter().rev() {
            self.replay.push_front(line);
        }
        Ok(Next::Bad {
            line: start,
            reason: format!(
                "unterminated quoted field: the quote opened on line {start} {why}; reading goes on at the next line"
            ),
            raw: head,
        })
    }

    fn not_within_limit(&self) -> String {
        format!(
            "is not closed within the record size limit of {} bytes",
            self.max
        )
    }
}

/// RFC 4180 quoting, checked over the lines of a record that spans lines.
struct Quotes {
    delimiter: u8,
    state: Quoting,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: it closes the field, or is the first
    /// of a doubled `""`.
    QuoteInQuoted,
}

impl Quotes {
    fn new(delimiter: u8) -> Self {
        Quotes {
            delimiter,
            state: Quoting::FieldStart,
        }
    }

    /// Reads one line of the record; false when a closing quote is followed
    /// by something other than a delimiter, a quote or the line end.
    fn scan(&mut self, line: &[u8]) -> bool {
        use Quoting::*;
        for &byte in line {
            self.state = match (self.state, byte) {
                (FieldStart, b'"') => Quoted,
                (FieldStart | Unquoted | QuoteInQuoted, b) if b == self.delimiter => FieldStart,
                (FieldStart | Unquoted, _) => Unquoted,
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) | (QuoteInQuoted, b'"') => Quoted,
                (QuoteInQuoted, _) => return false,
            };
        }
        // The line end: inside quotes it is text, elsewhere it ends the record.
        if self.state != Quoted {
            self.state = FieldStart;
        }
        true
    }
}

/// csv-core, and the record it is building.
struct Parser {
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    nout: usize,
    nend: usize,
    delimiter: u8,
    row: Row,
}

impl Parser {
    fn start(&mut self) {
        self.core.reset();
        (self.nout, self.nend) = (0, 0);
    }

    /// Parses one line and its line end; true when the record ended there.
    fn feed_line(&mut self, text: &[u8]) -> bool {
        self.feed(text) || self.feed(b"\n")
    }

    fn feed(&mut self, mut input: &[u8]) -> bool {
        use csv_core::ReadRecordResult as R;
        loop {
            let out = self.out.get_mut(self.nout..).unwrap_or_default();
            let ends = self.ends.get_mut(self.nend..).unwrap_or_default();
            let (result, nin, nout, nend) = self.core.read_record(input, out, ends);
            input = input.get(nin..).unwrap_or_default();
            self.nout += nout;
            self.nend += nend;
            match result {
                R::InputEmpty => return false,
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record | R::End => return true,
            }
        }
    }

    /// The record parsed, as a row (or rejected when not UTF-8).
    fn finish(&mut self, line: u64) -> Next {
        let bytes = self.out.get(..self.nout).unwrap_or_default();
        let ends = self.ends.get(..self.nend).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                self.row.text.clear();
                self.row.text.push_str(text);
                self.row.ends.clear();
                self.row.ends.extend_from_slice(ends);
                Next::Row { line }
            }
            Err(e) => {
                let at = e.valid_up_to();
                let field = ends.iter().position(|&end| end > at).unwrap_or(0) + 1;
                let mut start = 0;
                let fields: Vec<String> = ends
                    .iter()
                    .map(|&end| {
                        let field = bytes.get(start..end).unwrap_or_default();
                        start = end;
                        String::from_utf8_lossy(field).into_owned()
                    })
                    .collect();
                Next::Bad {
                    line,
                    reason: format!("not valid UTF-8 in field {field}"),
                    raw: fields.join(&char::from(self.delimiter).to_string()),
                }
            }
        }
    }
}

fn too_long(line: u64, len: u64, head: &[u8], max: usize) -> Next {
    Next::Bad {
        line,
        reason: format!("line is {len} bytes long, over the record size limit of {max} bytes"),
        raw: format!("{}… ({len} bytes)", lossy(head)),
    }
}

/// The head of a line as text, for the reject file.
fn lossy(text: &[u8]) -> String {
    String::from_utf8_lossy(text.get(..HEAD).unwrap_or(text)).into_owned()
}

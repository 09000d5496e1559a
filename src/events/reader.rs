//! [`EventReader`]: one pull interface over the three formats, with gzip
//! detection (by magic bytes, for every format; the stream is checked to its
//! end, see [`super::gzip`]), UTF-8 BOM removal, and the [`ReadStats`]
//! bookkeeping.

use super::csv::CsvReader;
use super::gzip::{inflating, MAGIC};
use super::ndjson::NdjsonReader;
use super::share::{Glance, Share, SharedReader};
use super::time::TimeParser;
use super::xes::XesReader;
use super::{InputError, InputFormat, Mapping, Names, ReadStats, Record};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};

/// The default record size limit, 1 MiB ([`ReadOptions::max_record`]).
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// How to read an input.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The format.
    pub format: InputFormat,
    /// Which fields hold the customer, step, time, channel and actor.
    pub mapping: Mapping,
    /// Time parsing, with the zone for naive times.
    pub time: TimeParser,
    /// The CSV delimiter (default `,`).
    pub delimiter: u8,
    /// An XES classifier whose keys make the step name (`--classifier`).
    pub classifier: Option<String>,
    /// Keep XES events of every lifecycle transition (by default the standard
    /// transitions other than `complete` are left out).
    pub all_lifecycle: bool,
    /// The record size limit, in bytes (default 1 MiB), so that memory stays
    /// bounded whatever the input holds. An NDJSON line or a CSV record (all
    /// its lines, when a quoted field spans several) over it is rejected and
    /// reading goes on; an XES event over it is rejected, and one XML item
    /// over it (an attribute's value, a comment, a run of text) stops reading
    /// with [`InputError::TooLarge`].
    pub max_record: usize,
    /// Which attributes to keep (default: all). The others are left out of
    /// events and customers without being typed, allocated or interned; the
    /// mapped fields (customer, step, time, channel, actor) are not affected.
    pub attributes: AttributeFilter,
    /// Read the actor field (default: true). False leaves it out of events
    /// (`Event::actor` is `None`) without interning it, in every format; an
    /// NDJSON value is still checked as an actor's would be, so the same
    /// lines are rejected.
    pub read_actor: bool,
}

/// Which attribute keys a reader keeps.
///
/// The NDJSON and CSV readers apply it (CSV `case:` columns by their name
/// without the prefix); a left-out NDJSON value is still checked as JSON, so
/// the same lines are rejected. The XES reader reads every attribute (it needs
/// the lifecycle, classifier and mapped keys whatever the filter says), then
/// leaves the others out of events and customers.
///
/// A caller that needs only some attributes (the evaluator reads only those its
/// policy names) saves the work of reading the others:
///
/// ```
/// use cxl::events::{AttributeFilter, InputFormat, ReadOptions};
///
/// let mut options = ReadOptions::new(InputFormat::Ndjson);
/// options.attributes = AttributeFilter::only(["csat", "tier"]);
/// assert!(options.attributes.keeps("csat"));
/// assert!(!options.attributes.keeps("tenure_days"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AttributeFilter {
    /// Every attribute (the default).
    #[default]
    All,
    /// Only the attributes with these keys.
    Only(BTreeSet<String>),
}

impl AttributeFilter {
    /// A filter keeping only `keys`.
    pub fn only<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AttributeFilter::Only(keys.into_iter().map(Into::into).collect())
    }

    /// True when attributes named `key` are kept.
    pub fn keeps(&self, key: &str) -> bool {
        match self {
            AttributeFilter::All => true,
            AttributeFilter::Only(keys) => keys.contains(key),
        }
    }
}

impl ReadOptions {
    /// The defaults for a format.
    pub fn new(format: InputFormat) -> Self {
        ReadOptions {
            format,
            mapping: Mapping::for_format(format),
            time: TimeParser::default(),
            delimiter: b',',
            classifier: None,
            all_lifecycle: false,
            max_record: DEFAULT_MAX_LINE,
            attributes: AttributeFilter::All,
            read_actor: true,
        }
    }
}

pub(crate) type Input = Box<dyn BufRead>;

enum Inner {
    Ndjson(Box<NdjsonReader<Input>>),
    Csv(Box<CsvReader<Input>>),
    Xes(Box<XesReader<Input>>),
}

/// Reads records from one input, in a pull, streaming fashion.
pub struct EventReader {
    inner: Inner,
    stats: ReadStats,
}

impl EventReader {
    /// A reader of `input` (plain or gzip), named `file` in messages and
    /// numbered `file_index` in each record's origin.
    pub fn new(
        input: impl Read + 'static,
        file: &str,
        file_index: u32,
        options: &ReadOptions,
    ) -> Result<EventReader, InputError> {
        let input = decompressed(input, file)?;
        EventReader::from_decoded(input, file, file_index, options)
    }

    /// A reader of `input` as [`decompressed`] gives it.
    pub(crate) fn from_decoded(
        input: Input,
        file: &str,
        file_index: u32,
        options: &ReadOptions,
    ) -> Result<EventReader, InputError> {
        let file = file.to_string();
        let o = options;
        let inner = match o.format {
            InputFormat::Ndjson => {
                let mut reader = NdjsonReader::new(
                    input,
                    file,
                    file_index,
                    &o.mapping,
                    o.time.clone(),
                    o.max_record,
                    o.attributes.clone(),
                );
                if !o.read_actor {
                    reader.leave_out_actor();
                }
                Inner::Ndjson(Box::new(reader))
            }
            InputFormat::Csv => Inner::Csv(Box::new(CsvReader::new(input, file, file_index, o)?)),
            InputFormat::Xes => Inner::Xes(Box::new(XesReader::new(input, file, file_index, o))),
        };
        Ok(EventReader {
            inner,
            stats: ReadStats::default(),
        })
    }

    /// The next record, `None` at the end, or an error that stops reading
    /// (after which `None` follows).
    pub fn next_record(&mut self, names: &mut Names) -> Result<Option<Record>, InputError> {
        // The result is handed on as it came (not taken apart by `?` and
        // built again): the reader's record is written once, in place.
        let result = match &mut self.inner {
            Inner::Ndjson(r) => r.next_record(names),
            Inner::Csv(r) => r.next_record(names),
            Inner::Xes(r) => r.next_record(names),
        };
        let Ok(record) = &result else {
            return result;
        };
        match record {
            Some(Record::Event(_)) => {
                self.stats.read += 1;
                self.stats.accepted += 1;
            }
            Some(Record::Rejected(_)) => {
                self.stats.read += 1;
                self.stats.rejected += 1;
            }
            Some(Record::Customer(_)) => self.stats.customers += 1,
            None => {}
        }
        if let Inner::Xes(r) = &self.inner {
            self.stats.filtered = r.filtered();
        }
        result
    }

    /// False when reading the next record may have to wait for more input,
    /// as on a live stream that has sent all it has: then a caller that holds
    /// records or output should hand them on first. Only the NDJSON reader
    /// knows; a CSV or XES reader always says true.
    pub fn buffered(&self) -> bool {
        match &self.inner {
            Inner::Ndjson(r) => r.buffered(),
            Inner::Csv(_) | Inner::Xes(_) => true,
        }
    }

    /// This reader as one of several reading the same input side by side,
    /// each with a share of its customers (see [`SharedReader`]). Only an
    /// NDJSON input can be read so; another is handed back.
    pub fn share(self, share: Share) -> Result<SharedReader, EventReader> {
        match self.inner {
            Inner::Ndjson(reader) => Ok(SharedReader {
                glance: Glance::new(reader.customer_key()),
                reader,
                share,
            }),
            inner => Err(EventReader { inner, ..self }),
        }
    }

    /// What has been read so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }
}

/// Wraps `input` in a buffer, a checking gzip decoder (on a thread of its
/// own) when it starts with the gzip magic bytes, and skips a UTF-8 byte
/// order mark.
pub(crate) fn decompressed(input: impl Read + 'static, file: &str) -> Result<Input, InputError> {
    let io_error = |source| InputError::from_io(file, 0, source);
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let head = buffered.fill_buf().map_err(io_error)?;
    let mut out: Input = if head.starts_with(&MAGIC) {
        inflating(buffered)
    } else {
        Box::new(buffered)
    };
    let head = out.fill_buf().map_err(io_error)?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        out.consume(3);
    }
    Ok(out)
}

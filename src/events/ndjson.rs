//! The NDJSON reader: one JSON object per line, from any `BufRead` (a file or
//! stdin), and the customers file reader built on it.
//!
//! Each line is read in place (capped, see [`super::lines`]) and deserialized
//! without copying its strings; blank lines are skipped and not counted. Keys
//! that are not mapped fields become typed attributes: numbers, strings (RFC
//! 3339 strings with an offset become times), booleans, arrays as lists, nested
//! objects as their JSON text; `null` means absent. Attributes the caller left
//! out ([`super::AttributeFilter`]) are skipped without being typed or interned,
//! but checked as JSON as a kept one is, so which lines are rejected does not
//! depend on which attributes are read. An empty or blank customer id is
//! rejected, as in CSV.
//!
//! A line in the common flat shape is read by a hand-written scanner
//! ([`fast`]); any other line, and any line with an error, by serde
//! ([`json`]). Both store the fields through the same code ([`fields`]), so
//! they give the same records and the same rejections. After the first
//! record the scanner reads straight from the line reader's pending input and
//! finds the line's end itself; a line it cannot take goes the line way.
//! Only serde's lines are checked as UTF-8 whole: the scanner checks the
//! non-ASCII strings it meets, and the rest of such a line is ASCII.

mod cache;
mod fast;
#[cfg(test)]
mod fast_props;
mod fields;
mod json;
mod names;

use super::lines::{Line, LineReader};
use super::share::{Glance, Share};
use super::time::TimeParser;
use super::{AttributeFilter, Customer, InputError, Mapping, Names, Origin, Record, Rejection};
use cache::KeyCache;
use fast::Entries;
use json::{Keys, LineSeed, Parsed};
use serde::de::DeserializeSeed;
use std::io::BufRead;

/// Whether lines are events or customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Events,
    Customers,
}

/// Reads NDJSON records.
pub(crate) struct NdjsonReader<R> {
    lines: LineReader<R>,
    ctx: Ctx,
}

/// Everything but the line reader, so a borrowed line and the context can be used together.
struct Ctx {
    keys: Keys,
    cache: KeyCache,
    time: TimeParser,
    attributes: AttributeFilter,
    /// The fast path's scan of the current line (reused).
    entries: Entries,
    /// False to read every line with serde (to test the fast path against it).
    fast: bool,
    file: String,
    file_index: u32,
    mode: Mode,
    done: bool,
    /// True once a non-blank line has been read.
    seen_record: bool,
    max_line: usize,
}

impl<R: BufRead> NdjsonReader<R> {
    /// An event reader.
    pub(crate) fn new(
        input: R,
        file: String,
        file_index: u32,
        mapping: &Mapping,
        time: TimeParser,
        max_line: usize,
        attributes: AttributeFilter,
    ) -> Self {
        let keys = Keys {
            customer: mapping.customer.clone(),
            step: mapping.step.clone(),
            time: mapping.time.clone(),
            channel: mapping.channel.clone(),
            actor: mapping.actor.clone(),
            read_actor: true,
        };
        NdjsonReader {
            lines: LineReader::new(input, max_line),
            ctx: Ctx {
                keys,
                cache: KeyCache::default(),
                time,
                attributes,
                entries: Entries::default(),
                fast: true,
                file,
                file_index,
                mode: Mode::Events,
                done: false,
                seen_record: false,
                max_line,
            },
        }
    }

    /// Check the actor field of each line, and leave it out of events.
    pub(crate) fn leave_out_actor(&mut self) {
        self.ctx.keys.read_actor = false;
    }

    /// True when the next record can be read without waiting on the input.
    pub(crate) fn buffered(&self) -> bool {
        self.ctx.done || self.lines.buffered()
    }

    /// The next record, or `None` at the end.
    #[inline]
    pub(crate) fn next_record(&mut self, names: &mut Names) -> Result<Option<Record>, InputError> {
        let ctx = &mut self.ctx;
        if ctx.done {
            return Ok(None);
        }
        // The common line, found and scanned in one pass over the input
        // (after the first record, whose checks the line path makes).
        if ctx.fast && ctx.seen_record {
            let found = fast::scan_pending(
                self.lines.pending(),
                &ctx.cache,
                &mut ctx.entries,
                ctx.max_line,
            );
            if let Some((text, next)) = found {
                let (line_no, text) = self.lines.take_found(text, next);
                return Ok(Some(ctx.scanned(text, line_no, names)));
            }
        }
        self.next_line_record(names)
    }

    /// With the input read in shares: whether the next line is `share`'s,
    /// told at a glance (see [`super::share`]); another share's line is
    /// passed over. `None` when the line is not in the glance's shape, or is
    /// the first (whose checks the line path makes), or at the end.
    #[inline]
    pub(crate) fn glance(&mut self, glance: &Glance, share: Share) -> Option<bool> {
        if self.ctx.done || !self.ctx.seen_record {
            return None;
        }
        let (text, next, owner) =
            glance.place(self.lines.pending(), self.ctx.max_line, share.count())?;
        if owner == share.index() {
            return Some(true);
        }
        self.lines.take_found(text, next);
        Some(false)
    }

    /// The customer field's key.
    pub(crate) fn customer_key(&self) -> &str {
        &self.ctx.keys.customer
    }

    /// [`Self::next_record`] through the line reader: the first record, a
    /// line the scanner did not take, blank lines, the end of input (out
    /// of line: the common line stays in a small function).
    #[inline(never)]
    fn next_line_record(&mut self, names: &mut Names) -> Result<Option<Record>, InputError> {
        let ctx = &mut self.ctx;
        loop {
            let line = match self.lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    ctx.done = true;
                    return match self.lines.any_bytes() {
                        true => Ok(None),
                        false => Err(InputError::Empty {
                            file: ctx.file.clone(),
                        }),
                    };
                }
                Err(e) => {
                    ctx.done = true;
                    return Err(ctx.io_error(e, self.lines.line()));
                }
            };
            let (line_no, line) = line;
            let text = match line {
                Line::TooLong { len, head } => {
                    let reason = format!(
                        "line is {len} bytes long, over the limit of {} bytes",
                        ctx.max_line
                    );
                    let raw = format!("{}… ({len} bytes)", String::from_utf8_lossy(head));
                    return Ok(Some(Record::Rejected(ctx.reject(line_no, reason, raw))));
                }
                Line::Text(text) => text,
            };
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if !ctx.seen_record && text.trim_ascii_start().starts_with(b"[") {
                ctx.done = true;
                return Err(InputError::NotALog {
                    file: ctx.file.clone(),
                    message: format!(
                        "line {line_no}: a JSON array, not NDJSON (one object per line); \
                         convert it with `jq -c '.[]'`"
                    ),
                });
            }
            ctx.seen_record = true;
            let mut parsed = Parsed::default();
            let seed = LineSeed {
                keys: &ctx.keys,
                cache: &mut ctx.cache,
                names,
                time: &ctx.time,
                attributes: &ctx.attributes,
                parsed: &mut parsed,
            };
            let fast = ctx.fast.then_some(&mut ctx.entries);
            let result = parse_line(text, seed, fast);
            let origin = Origin {
                file: ctx.file_index,
                line: line_no,
            };
            let outcome = match result {
                Err(reason) => Err(reason),
                Ok(()) => ctx.build(parsed, origin, names),
            };
            return Ok(Some(match outcome {
                Ok(record) => record,
                Err(reason) => {
                    let raw = String::from_utf8_lossy(text).into_owned();
                    Record::Rejected(ctx.reject(line_no, reason, raw))
                }
            }));
        }
    }
}

impl Ctx {
    /// The record of a line in the fast subset, already scanned into `entries`.
    #[inline(always)]
    fn scanned(&mut self, text: &[u8], line_no: u64, names: &mut Names) -> Record {
        let mut parsed = Parsed::with_attrs(self.entries.attrs());
        LineSeed {
            keys: &self.keys,
            cache: &mut self.cache,
            names,
            time: &self.time,
            attributes: &self.attributes,
            parsed: &mut parsed,
        }
        .apply(text, &self.entries);
        let origin = Origin {
            file: self.file_index,
            line: line_no,
        };
        // The common event, with every field it needs, built in place (a
        // record moved through `build`'s result costs a copy or two).
        if let (None, Mode::Events, Some(customer), Some(name), Some(time)) = (
            &parsed.problem,
            self.mode,
            parsed.customer,
            parsed.step,
            parsed.time,
        ) {
            return parsed.into_event_record(customer, name, time, origin);
        }
        self.built(parsed, text, origin, names)
    }

    /// [`Self::build`]'s record, or the line's rejection.
    #[cold]
    #[inline(never)]
    fn built(&self, parsed: Parsed, text: &[u8], origin: Origin, names: &mut Names) -> Record {
        match self.build(parsed, origin, names) {
            Ok(record) => record,
            Err(reason) => {
                let raw = String::from_utf8_lossy(text).into_owned();
                Record::Rejected(self.reject(origin.line, reason, raw))
            }
        }
    }

    fn io_error(&self, e: std::io::Error, line: u64) -> InputError {
        InputError::from_io(&self.file, line, e)
    }

    fn reject(&self, line: u64, reason: String, raw: String) -> Box<Rejection> {
        Box::new(Rejection {
            file: self.file.clone(),
            line: Some(line),
            element: None,
            reason,
            raw,
        })
    }

    #[inline]
    fn build(&self, parsed: Parsed, origin: Origin, names: &mut Names) -> Result<Record, String> {
        if let Some(problem) = parsed.problem {
            return Err(problem);
        }
        let customer = parsed
            .customer
            .ok_or_else(|| self.missing(&self.keys.customer, "customer"))?;
        if self.mode == Mode::Customers {
            return Ok(Record::Customer(Customer {
                id: customer,
                attrs: parsed.attrs,
                origin,
            }));
        }
        let name = match parsed.step {
            Some(name) => name,
            None => self.joined_step(&parsed.step_parts, names)?,
        };
        let time = parsed
            .time
            .ok_or_else(|| self.missing(&self.keys.time, "time"))?;
        Ok(parsed.into_event_record(customer, name, time, origin))
    }

    fn joined_step(
        &self,
        parts: &[Option<String>],
        names: &mut Names,
    ) -> Result<super::Symbol, String> {
        let mut joined = String::new();
        for (i, key) in self.keys.step.iter().enumerate() {
            let part = parts
                .get(i)
                .and_then(Option::as_deref)
                .ok_or_else(|| self.missing(key, "step"))?;
            if i > 0 {
                joined.push('+');
            }
            joined.push_str(part);
        }
        Ok(names.words.intern(&joined))
    }

    fn missing(&self, key: &str, field: &str) -> String {
        format!("missing {field} field `{key}`")
    }
}

/// A serde_json error as a reason: syntax or type, with the column (the line is ours).
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    let what = match e.classify() {
        serde_json::error::Category::Data => "not a JSON object",
        _ => "not valid JSON",
    };
    match e.column() {
        0 => format!("{what}: {message}"),
        column => format!("{what}: {message} at column {column}"),
    }
}

/// Parses one line. With `fast` (a reused scan buffer), a line in the fast
/// subset is read by hand ([`fast`]), which checks only its non-ASCII strings
/// as UTF-8 (all else in such a line is ASCII). Any other line is checked as
/// UTF-8 whole, so a bad byte is reported the same either way, and read by
/// serde.
fn parse_line(text: &[u8], seed: LineSeed<'_>, fast: Option<&mut Entries>) -> Result<(), String> {
    if let Some(entries) = fast {
        if fast::scan(text, seed.cache, entries).is_some() {
            seed.parsed.attrs.reserve_exact(entries.attrs());
            seed.apply(text, entries);
            return Ok(());
        }
    }
    let text = std::str::from_utf8(text)
        .map_err(|e| format!("not valid UTF-8 at byte {}", e.valid_up_to() + 1))?;
    let mut de = serde_json::Deserializer::from_str(text);
    seed.deserialize(&mut de).map_err(|e| json_error(&e))?;
    de.end().map_err(|e| json_error(&e))
}

/// Reads a customers file: NDJSON lines with a customer key (by default
/// `customer`); every other key is a customer attribute.
pub struct CustomersReader<R> {
    inner: NdjsonReader<R>,
}

impl<R: BufRead> CustomersReader<R> {
    /// A reader of `input`, named `file` in rejections, with the customer id under `key`.
    pub fn new(input: R, file: String, file_index: u32, key: &str) -> Self {
        let mut mapping = Mapping::for_format(super::InputFormat::Ndjson);
        mapping.customer = key.to_string();
        mapping.step = Vec::new();
        mapping.time = String::new();
        mapping.channel = None;
        mapping.actor = None;
        let mut inner = NdjsonReader::new(
            input,
            file,
            file_index,
            &mapping,
            TimeParser::default(),
            super::DEFAULT_MAX_LINE,
            AttributeFilter::All,
        );
        inner.ctx.mode = Mode::Customers;
        CustomersReader { inner }
    }

    /// The next [`Record::Customer`] or [`Record::Rejected`], or `None` at the end.
    pub fn next_record(&mut self, names: &mut Names) -> Result<Option<Record>, InputError> {
        self.inner.next_record(names)
    }
}

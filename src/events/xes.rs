//! The XES reader (IEEE 1849): streams the log with a scanner of its own
//! ([`scan`]), event by event.
//! A trace's events go out as soon as its customer id is known (XES puts trace
//! attributes first); only events read before that wait, so memory does not
//! grow with the log, nor with a long trace.
//!
//! - Trace attributes become a [`Record::Customer`], given before the trace's
//!   events (attributes that come after events follow in a second one); the
//!   customer id is the trace's `concept:name` by default (`case:KEY` in a
//!   mapping names a trace attribute; a plain key is looked up on the event
//!   first, then on the trace).
//! - Event attributes of every XES type become typed attributes: `string`,
//!   `id` → text, `date` → time, `int`, `float` → number, `boolean`, and
//!   `list`/`container` → a list of their children's values. Meta-attributes
//!   nested inside a scalar attribute are skipped. A value that does not parse
//!   as its declared type rejects the event, naming the attribute.
//! - `<global scope="event">` declarations are defaults, not events: they fill in
//!   a missing later part of a multi-key step name (never the activity itself,
//!   the customer or the time).
//!   Log-level attributes (the `meta_*` statistics) are skipped, never trusted.
//! - `<classifier name keys>`: with `--classifier NAME` its keys make the step name.
//! - Lifecycle: by default an event whose `lifecycle:transition` is a standard
//!   XES transition other than `complete` (`schedule`, `start`, `suspend`, …, any
//!   case) is left out and counted in [`super::ReadStats::filtered`]; `complete`
//!   events, events without the attribute, and events with non-standard values
//!   (BPIC 2013's `In Progress`, `Awaiting Assignment`) are kept. All are kept
//!   with the option, or when the step name itself includes `lifecycle:transition`.
//! - Malformed XML stops reading: the events read so far are handed out, the
//!   event being read is rejected, then an [`InputError::Xml`] names the line and
//!   the element.
//! - Every `<event>` element is read or rejected: one that is not directly in a
//!   `<trace>` (in a nested trace, an unknown wrapper, `<global>`, another
//!   event) is rejected with its line. A trace whose customer id is missing or
//!   empty rejects its events. After `</log>` the input is read to its end
//!   (so a gzip stream is checked whole); anything but comments there is an
//!   [`InputError::Xml`].
//! - Sizes are capped by the record size limit: one XML item over it stops
//!   reading ([`InputError::TooLarge`]); an event, a list, or a trace's
//!   attributes over it are rejected, as are events that wait over it for a
//!   late customer id.

mod attrs;
mod event;
#[cfg(test)]
mod reference;
mod scan;
#[cfg(test)]
mod tests;
mod xml;

use super::time::{LastDay, TimeParser};
use super::{
    AttributeFilter, InputError, Mapping, Names, Origin, ReadOptions, Record, Rejection, Symbol,
    UnknownClassifier, Value, XmlError,
};
use attrs::split_keys;
use scan::{Markup, ScanError, Scanner};
use std::collections::VecDeque;
use std::io::BufRead;
use xml::{Elem, Item, Tag};

/// Lists nested deeper than this are cut (a guard against a stack overflow).
const MAX_DEPTH: u32 = 32;

/// The key of the XES lifecycle transition.
const LIFECYCLE: &str = "lifecycle:transition";

/// Why the XML could not be read on.
enum Fail {
    Xml(ScanError),
    Eof(&'static str),
}

/// The interned keys of the mapped fields.
struct Keys {
    customer: Symbol,
    /// The customer key as written, for messages.
    customer_name: String,
    customer_trace_only: bool,
    /// The keys an event's mapping reads (whatever the attribute filter
    /// says): the step keys, time, lifecycle, channel, the actor when it is
    /// read, and the customer when an event may carry its own.
    event_keys: Vec<String>,
    step: Vec<Symbol>,
    step_defaults: Vec<Option<String>>,
    time: Symbol,
    channel: Option<Symbol>,
    actor: Option<Symbol>,
    lifecycle: Symbol,
    keep_all: bool,
}

/// An event as read, before mapping.
struct Pending {
    attrs: Vec<(Symbol, Value)>,
    line: u64,
    index: u64,
    problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Log,
    /// After `</log>`: read to the end, where only comments may follow.
    AfterLog,
    Done,
}

/// Reads XES records.
pub(crate) struct XesReader<R: BufRead> {
    xml: Scanner<R>,
    file: String,
    file_index: u32,
    time: TimeParser,
    mapping: Mapping,
    classifier: Option<String>,
    all_lifecycle: bool,
    /// The record size limit ([`ReadOptions::max_record`]).
    max_record: usize,
    /// Which attributes events and customers keep (read in full first: the
    /// lifecycle, classifier and mapped keys are needed whatever it says).
    attributes: AttributeFilter,
    /// False: actors are left out of events (`ReadOptions::read_actor`).
    read_actor: bool,
    /// The last date read (a log's dates come in runs of one day).
    last_day: LastDay,
    keys: Option<Keys>,
    phase: Phase,
    /// The trace being read, if any.
    trace: Option<trace::TraceRead>,
    queue: VecDeque<Record>,
    error: Option<InputError>,
    event_defaults: Vec<(String, String)>,
    classifiers: Vec<(String, Vec<String>)>,
    traces: u64,
    filtered: u64,
}

mod trace;

impl<R: BufRead> XesReader<R> {
    /// A reader of `input`.
    pub(crate) fn new(input: R, file: String, file_index: u32, options: &ReadOptions) -> Self {
        XesReader {
            xml: Scanner::new(input, options.max_record),
            file,
            file_index,
            time: options.time.clone(),
            mapping: options.mapping.clone(),
            classifier: options.classifier.clone(),
            all_lifecycle: options.all_lifecycle,
            max_record: options.max_record,
            attributes: options.attributes.clone(),
            read_actor: options.read_actor,
            last_day: LastDay::default(),
            keys: None,
            phase: Phase::Start,
            trace: None,
            queue: VecDeque::new(),
            error: None,
            event_defaults: Vec::new(),
            classifiers: Vec::new(),
            traces: 0,
            filtered: 0,
        }
    }

    /// Events left out by the lifecycle filter so far.
    pub(crate) fn filtered(&self) -> u64 {
        self.filtered
    }

    /// The next record, or `None` at the end.
    pub(crate) fn next_record(&mut self, names: &mut Names) -> Result<Option<Record>, InputError> {
        loop {
            if let Some(record) = self.queue.pop_front() {
                return Ok(Some(record));
            }
            if let Some(error) = self.error.take() {
                self.phase = Phase::Done;
                return Err(error);
            }
            match self.phase {
                Phase::Done => return Ok(None),
                Phase::Start => self.find_log(),
                Phase::AfterLog => self.after_log(),
                Phase::Log if self.trace.is_some() => self.trace_item(names),
                Phase::Log => self.log_item(names),
            }
        }
    }

    /// The 1-based line the reader is on.
    fn line(&self) -> u64 {
        self.xml.line()
    }

    /// The next item, borrowing the scanner's buffer.
    fn next(&mut self) -> Result<Item<'_>, Fail> {
        self.xml.next_item().map_err(Fail::Xml)
    }

    /// The next item, owning its texts (for callers that read on before
    /// they are done with it).
    fn next_owned(&mut self) -> Result<Item<'static>, Fail> {
        self.next().map(Item::into_owned)
    }

    fn find_log(&mut self) {
        match self.next_owned() {
            Ok(Item::Start(e)) if e.tag == Tag::Log => self.phase = Phase::Log,
            Ok(Item::Eof) if self.xml.position() == 0 => {
                self.error = Some(InputError::Empty {
                    file: self.file.clone(),
                });
            }
            Ok(_) => {
                self.error = Some(InputError::NotALog {
                    file: self.file.clone(),
                    message: format!(
                        "line {}: expected a `<log>` element (is this XES?)",
                        self.line()
                    ),
                });
            }
            Err(fail) => self.fail(fail, ""),
        }
    }

    /// Reads one item directly under `<log>`.
    fn log_item(&mut self, names: &mut Names) {
        let elem = match self.next_owned() {
            Ok(Item::Start(elem)) => elem,
            Ok(Item::End(_)) => {
                self.phase = Phase::AfterLog;
                return;
            }
            Ok(Item::Eof) => return self.fail(Fail::Eof("log"), ""),
            Err(fail) => return self.fail(fail, ""),
        };
        let result = match elem.tag {
            Tag::Trace | Tag::Event => {
                if let Err(e) = self.ensure_keys(names) {
                    self.error = Some(e);
                    return;
                }
                if elem.tag == Tag::Trace {
                    self.start_trace(&elem, names);
                } else {
                    self.read_stray_event(elem.empty, names);
                }
                Ok(())
            }
            Tag::Global => self.read_global(&elem),
            Tag::Classifier => {
                self.add_classifier(&elem);
                self.skip(&elem)
            }
            _ => self.skip(&elem),
        };
        if let Err(fail) = result {
            self.fail(fail, "");
        }
    }

    /// Reads one item after `</log>`: the end of input, a comment or a
    /// processing instruction; anything else is an error, as XML allows one
    /// root element. Reading to the end also checks a compressed input whole.
    fn after_log(&mut self) {
        let what = match self.xml.advance() {
            Ok(Markup::Eof) => {
                self.phase = Phase::Done;
                return;
            }
            Ok(Markup::Comment) => return,
            Ok(Markup::Start) => format!("an element `<{}>`", self.xml.local_name()),
            Ok(Markup::Text | Markup::CData) => "text".to_string(),
            Ok(Markup::End(_) | Markup::Other) => "markup".to_string(),
            Err(e) => return self.fail(Fail::Xml(e), ""),
        };
        self.error = Some(InputError::Xml(Box::new(XmlError {
            file: self.file.clone(),
            line: self.line(),
            element: String::new(),
            message: format!(
                "{what} after `</log>`: the log must end the file, and nothing after it is read"
            ),
        })));
    }

    fn add_classifier(&mut self, elem: &Elem<'_>) {
        if let (Some(name), Some(keys)) = (&elem.name, &elem.keys) {
            self.classifiers.push((name.to_string(), split_keys(keys)));
        }
    }

    /// Turns a failure into the error that stops reading.
    fn fail(&mut self, fail: Fail, element: &str) {
        let line = self.line();
        let file = self.file.clone();
        let element = if element.is_empty() {
            String::new()
        } else {
            format!(" in {element}")
        };
        self.error = Some(match fail {
            Fail::Xml(ScanError::TooLong) => InputError::TooLarge {
                file,
                line: self.xml.item_line(),
                what: format!("an XML item (a tag, comment or text){element}"),
                limit: self.max_record,
            },
            Fail::Xml(ScanError::Io(e)) => InputError::from_io(&file, line, e),
            Fail::Xml(ScanError::Malformed(message)) => InputError::Xml(Box::new(XmlError {
                file,
                line,
                element,
                message,
            })),
            Fail::Eof(what) => InputError::Xml(Box::new(XmlError {
                file,
                line,
                element,
                message: format!("the input ends inside `<{what}>`: a closing tag is missing"),
            })),
        });
    }

    /// Interns the mapped keys, applying `--classifier`, once the header is read.
    fn ensure_keys(&mut self, names: &mut Names) -> Result<(), InputError> {
        if self.keys.is_some() {
            return Ok(());
        }
        if let Some(name) = &self.classifier {
            let found = self
                .classifiers
                .iter()
                .find(|(n, _)| n == name)
                .or_else(|| {
                    self.classifiers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                });
            match found {
                Some((_, keys)) => self.mapping.step = keys.clone(),
                None => {
                    let found: Vec<String> = self
                        .classifiers
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect();
                    return Err(InputError::UnknownClassifier(Box::new(UnknownClassifier {
                        file: self.file.clone(),
                        name: name.clone(),
                        available: if found.is_empty() {
                            "none".into()
                        } else {
                            found.join(", ")
                        },
                    })));
                }
            }
        }
        let m = &self.mapping;
        let (customer, customer_trace_only) = match m.customer.strip_prefix("case:") {
            Some(key) => (key, true),
            None => (m.customer.as_str(), false),
        };
        // The first key (the activity itself) never takes a default.
        let step_defaults = m
            .step
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let default = self.event_defaults.iter().find(|(d, _)| d == k);
                default.filter(|_| i > 0).map(|(_, v)| v.clone())
            })
            .collect();
        let mut event_keys = m.step.clone();
        event_keys.push(m.time.clone());
        event_keys.push(LIFECYCLE.to_string());
        event_keys.extend(m.channel.clone());
        event_keys.extend(m.actor.clone().filter(|_| self.read_actor));
        if !customer_trace_only {
            event_keys.push(customer.to_string());
        }
        self.keys = Some(Keys {
            customer: names.words.intern(customer),
            customer_name: customer.to_string(),
            customer_trace_only,
            event_keys,
            step: m.step.iter().map(|k| names.words.intern(k)).collect(),
            step_defaults,
            time: names.words.intern(&m.time),
            channel: m.channel.as_deref().map(|k| names.words.intern(k)),
            actor: m.actor.as_deref().map(|k| names.words.intern(k)),
            lifecycle: names.words.intern(LIFECYCLE),
            keep_all: self.all_lifecycle || m.step_has_lifecycle(),
        });
        Ok(())
    }

    fn reject(&self, line: u64, element: String, reason: String, raw: String) -> Record {
        Record::Rejected(Box::new(Rejection {
            file: self.file.clone(),
            line: Some(line),
            element: Some(element),
            reason,
            raw,
        }))
    }

    /// True when an event's attribute `key` is read: the mapping reads it,
    /// or the attribute filter keeps it. Others are checked, not kept.
    fn event_reads(keys: Option<&Keys>, filter: &AttributeFilter, key: &str) -> bool {
        filter.keeps(key) || keys.is_none_or(|k| k.event_keys.iter().any(|e| e == key))
    }

    fn origin(&self, line: u64) -> Origin {
        Origin {
            file: self.file_index,
            line,
        }
    }
}

//! Reading one `<trace>`: its attributes and events, handed on as a
//! [`Customer`] record and [`Event`](crate::events::Event)s (or rejections naming the element).

use super::attrs::kind_name;
use super::event::raw_event;
use super::scan::Markup;
use super::xml::{check_value, typed_value, Elem, Item, Kind, Tag};
use super::{Fail, Pending, XesReader};
use crate::events::{Customer, CustomerId, Names, Record, Symbol, Value};
use std::borrow::Cow;
use std::io::BufRead;

/// A trace being read. Its events go out as soon as its customer is known
/// (trace attributes come before events in XES), so memory does not grow with
/// the length of a trace; events read before that wait here, up to the record
/// size limit, as do the trace's attributes.
pub(super) struct TraceRead {
    index: u64,
    line: u64,
    /// The input position of its start tag.
    start: u64,
    /// Bytes of input its attributes took.
    attr_bytes: u64,
    attrs: Vec<(Symbol, Value)>,
    problem: Option<String>,
    /// The customer id, once its attribute has been read.
    customer: Option<CustomerId>,
    /// True once the customer record is queued: events then go straight out.
    announced: bool,
    /// Trace attributes read after the customer record was queued.
    late: Vec<(Symbol, Value)>,
    /// Events read before the customer was known.
    waiting: Vec<Pending>,
    /// Events read so far, for numbering.
    count: u64,
}

impl<R: BufRead> XesReader<R> {
    /// Starts reading a `<trace>`.
    pub(super) fn start_trace(&mut self, elem: &Elem<'_>, names: &mut Names) {
        self.traces += 1;
        let trace = TraceRead {
            index: self.traces,
            line: self.line(),
            start: self.xml.position(),
            attr_bytes: 0,
            attrs: Vec::new(),
            problem: None,
            customer: None,
            announced: false,
            late: Vec::new(),
            waiting: Vec::new(),
            count: 0,
        };
        if elem.empty {
            self.finish_trace(trace, names);
        } else {
            self.trace = Some(trace);
        }
    }

    /// Reads one item of the current trace.
    pub(super) fn trace_item(&mut self, names: &mut Names) {
        let Some(mut trace) = self.trace.take() else {
            return;
        };
        match self.trace_step(&mut trace, names) {
            Ok(true) => self.trace = Some(trace),
            Ok(false) => self.finish_trace(trace, names),
            Err(fail) => {
                let described = describe(&trace, names);
                self.finish_trace(trace, names);
                self.fail(fail, &described);
            }
        }
    }

    /// Reads one child of `<trace>`; `Ok(false)` at `</trace>`.
    fn trace_step(&mut self, trace: &mut TraceRead, names: &mut Names) -> Result<bool, Fail> {
        match self.next_owned()? {
            Item::Start(child) if child.tag == Tag::Event => {
                trace.count += 1;
                let (pending, fail) = self.read_event(child.empty, trace.count, names);
                self.limit_waiting(trace);
                self.trace_event(trace, pending, names);
                fail.map_or(Ok(true), Err)
            }
            Item::Start(child) if matches!(child.tag, Tag::Attr(_)) => {
                let before = self.xml.position();
                // The customer key and the keys the filter keeps are kept;
                // the others are checked, not kept.
                let key = child.key.as_deref().unwrap_or_default();
                let keep = self.keys.as_ref().is_some_and(|k| k.customer_name == key)
                    || self.attributes.keeps(key);
                let (key, value) = self.read_attr(child, 0, keep)?;
                let read = self.xml.position().saturating_sub(before);
                trace.attr_bytes = trace.attr_bytes.saturating_add(read);
                if trace.attr_bytes > self.max_record as u64 {
                    let limit = self.max_record;
                    trace.problem.get_or_insert_with(|| {
                        format!("the trace's attributes are larger than the record size limit of {limit} bytes")
                    });
                    (trace.attrs, trace.late) = (Vec::new(), Vec::new());
                    return Ok(true);
                }
                match value {
                    Ok(Some(value)) => self.trace_attr(trace, &key, value, names),
                    Ok(None) => {}
                    Err(reason) => {
                        let reason = format!("trace attribute `{key}`: {reason}");
                        trace.problem.get_or_insert(reason);
                    }
                }
                Ok(true)
            }
            Item::Start(child) => self.skip(&child).map(|()| true),
            Item::End(_) => Ok(false),
            Item::Eof => Err(Fail::Eof("trace")),
        }
    }

    /// A trace attribute kept: the customer id, or one for the customer record.
    fn trace_attr(&self, trace: &mut TraceRead, key: &str, value: Value, names: &mut Names) {
        let is_customer = self.keys.as_ref().is_some_and(|k| k.customer_name == key);
        if is_customer && trace.customer.is_none() {
            // An empty id is no id: its events are rejected, not merged
            // into one customer `""`.
            let id = value.as_text();
            if !id.trim().is_empty() {
                trace.customer = Some(names.customers.intern(&id));
            }
        }
        if !is_customer && !self.attributes.keeps(key) {
            return;
        }
        let key = names.words.intern(key);
        if trace.announced {
            trace.late.push((key, value));
        } else {
            trace.attrs.push((key, value));
        }
    }

    /// Sends an event on (after the customer record and the events that
    /// waited for it), or keeps it until the customer is known. A trace with
    /// a problem sends its events on at once: they are rejected.
    fn trace_event(&mut self, trace: &mut TraceRead, pending: Pending, names: &mut Names) {
        if !trace.announced && trace.problem.is_none() {
            if trace.customer.is_none() {
                trace.waiting.push(pending);
                return;
            }
            self.announce(trace);
        }
        self.send_waiting(trace, names);
        self.send(trace, pending, names);
    }

    /// Queues the record of one event of the trace.
    fn send(&mut self, trace: &TraceRead, pending: Pending, names: &mut Names) {
        let (problem, customer, index) = (&trace.problem, trace.customer, trace.index);
        if let Some(record) = self.event_record(problem, customer, index, pending, names) {
            self.queue.push_back(record);
        }
    }

    /// Queues the events that waited for the customer.
    fn send_waiting(&mut self, trace: &mut TraceRead, names: &mut Names) {
        for pending in std::mem::take(&mut trace.waiting) {
            self.send(trace, pending, names);
        }
    }

    /// Events wait for the customer id only within the record size limit:
    /// past it the trace is rejected, so memory stays bounded.
    fn limit_waiting(&mut self, trace: &mut TraceRead) {
        let read = self.xml.position().saturating_sub(trace.start);
        if trace.announced || trace.problem.is_some() || read <= self.max_record as u64 {
            return;
        }
        let Some(keys) = &self.keys else {
            return;
        };
        if !keys.customer_trace_only {
            // Events may carry their own customer: send them on without
            // the trace's (those without one are rejected).
            return self.announce(trace);
        }
        let key = &keys.customer_name;
        trace.problem = Some(format!(
            "the trace's `{key}` is not within its first {} bytes (the record size limit)",
            self.max_record
        ));
    }

    /// Queues the customer record of the trace's attributes.
    fn announce(&mut self, trace: &mut TraceRead) {
        trace.announced = true;
        let (Some(id), Some(keys)) = (trace.customer, &self.keys) else {
            return;
        };
        let mut attrs = std::mem::take(&mut trace.attrs);
        attrs.retain(|(k, _)| *k != keys.customer);
        let origin = self.origin(trace.line);
        self.queue
            .push_back(Record::Customer(Customer { id, attrs, origin }));
    }

    /// Queues what the trace still holds, at its end (or where reading stopped).
    fn finish_trace(&mut self, mut trace: TraceRead, names: &mut Names) {
        if !trace.announced && trace.customer.is_some() && trace.problem.is_none() {
            self.announce(&mut trace);
        }
        self.send_waiting(&mut trace, names);
        if let (Some(id), false) = (trace.customer, trace.late.is_empty()) {
            let origin = self.origin(trace.line);
            let attrs = std::mem::take(&mut trace.late);
            self.queue
                .push_back(Record::Customer(Customer { id, attrs, origin }));
        }
    }

    /// Reads one `<event>`; on a failure, the partial event comes back marked.
    ///
    /// Its attributes are read as they come, borrowed from the item buffer:
    /// an attribute the mapping does not read and the filter does not keep
    /// is checked (its type) but neither kept nor its key interned. Lists,
    /// containers and attributes with children go the general way.
    fn read_event(
        &mut self,
        empty: bool,
        index: u64,
        names: &mut Names,
    ) -> (Pending, Option<Fail>) {
        let mut pending = Pending {
            attrs: Vec::new(),
            line: self.line(),
            index,
            problem: None,
        };
        if empty {
            return (pending, None);
        }
        let start = self.xml.position();
        let mut too_large = false;
        let fail = loop {
            // The child is read from the scanner's buffer, which stays
            // borrowed (shared) while its value is typed.
            match self.xml.advance_element() {
                Ok(Markup::Start) => {}
                Ok(Markup::End(_)) => return (pending, None),
                Ok(_) => break Fail::Eof("event"),
                Err(e) => break Fail::Xml(e),
            }
            let child = match self.xml.elem() {
                Ok(child) => child,
                Err(e) => break Fail::Xml(e),
            };
            let read = match child.tag {
                Tag::Attr(kind) if child.empty && !matches!(kind, Kind::List | Kind::Container) => {
                    let key = child.key.unwrap_or_default();
                    let keep = Self::event_reads(self.keys.as_ref(), &self.attributes, &key);
                    let (time, last) = (&self.time, &mut self.last_day);
                    let value = match child.value.as_deref() {
                        Some(text) if keep => typed_value(kind, text, time, last).map(Some),
                        Some(text) => check_value(kind, text, time, last).map(|()| None),
                        None => Err(format!("`<{}>` has no `value`", kind_name(kind))),
                    };
                    Ok((key, value))
                }
                _ => {
                    let child = child.into_owned();
                    let key = child.key.as_deref().unwrap_or_default();
                    let keep = Self::event_reads(self.keys.as_ref(), &self.attributes, key);
                    self.read_attr(child, 0, keep)
                        .map(|(key, value)| (Cow::Owned(key), value))
                }
            };
            if !too_large && self.xml.position().saturating_sub(start) > self.max_record as u64 {
                // Past the limit the event's attributes are dropped as
                // they come, so memory stays bounded; the event is rejected.
                too_large = true;
                pending.attrs = Vec::new();
                let limit = self.max_record;
                pending.problem = Some(format!(
                    "the event is larger than the record size limit of {limit} bytes"
                ));
            }
            match read {
                Ok(_) if too_large => {}
                Ok((key, Ok(Some(value)))) => pending.attrs.push((names.words.intern(&key), value)),
                Ok((_, Ok(None))) => {}
                Ok((key, Err(reason))) => {
                    pending
                        .problem
                        .get_or_insert(format!("attribute `{key}`: {reason}"));
                }
                Err(fail) => break fail,
            }
        };
        let reason = match &fail {
            Fail::Xml(e) => format!("malformed XML: {e}; reading stopped here"),
            Fail::Eof(what) => format!("the input ends inside `<{what}>`; reading stopped here"),
        };
        pending.problem = Some(reason);
        (pending, Some(fail))
    }

    /// An `<event>` directly under `<log>`: read, then rejected.
    pub(super) fn read_stray_event(&mut self, empty: bool, names: &mut Names) {
        let (pending, fail) = self.read_event(empty, 1, names);
        let raw = raw_event(&pending, names);
        let record = self.reject(
            pending.line,
            "<event> outside any <trace>".into(),
            "an event must be inside a `<trace>` (its customer)".into(),
            raw,
        );
        self.queue.push_back(record);
        if let Some(fail) = fail {
            self.fail(fail, "<event>");
        }
    }
}

/// The trace, for messages: its number, customer and first line.
fn describe(trace: &TraceRead, names: &Names) -> String {
    match trace.customer {
        Some(id) => format!(
            "<trace> {} (`{}`, opened at line {})",
            trace.index,
            names.customers.resolve(id),
            trace.line
        ),
        None => format!("<trace> {} (opened at line {})", trace.index, trace.line),
    }
}

//! Reading one `<trace>`: its attributes and events, then mapping them to a
//! [`Customer`] record and [`Event`]s (or rejections naming the element).

use super::{Fail, Pending, XesReader};
use crate::events::xes::xml::{Elem, Item, Tag};
use crate::events::{Customer, Event, Interner, Record, Symbol, Value};
use std::io::BufRead;

/// A trace as read.
struct TraceRead {
    index: u64,
    line: u64,
    attrs: Vec<(Symbol, Value)>,
    problem: Option<String>,
    events: Vec<Pending>,
}

impl<R: BufRead> XesReader<R> {
    /// Reads a whole `<trace>` and queues its records.
    pub(super) fn read_trace(&mut self, elem: &Elem, interner: &mut Interner) {
        self.traces += 1;
        let mut trace = TraceRead {
            index: self.traces,
            line: self.line(),
            attrs: Vec::new(),
            problem: None,
            events: Vec::new(),
        };
        let fail = if elem.empty {
            None
        } else {
            self.trace_body(&mut trace, interner).err()
        };
        let described = self.describe(&trace);
        self.finish_trace(trace, interner);
        if let Some(fail) = fail {
            self.fail(fail, &described);
        }
    }

    fn trace_body(&mut self, trace: &mut TraceRead, interner: &mut Interner) -> Result<(), Fail> {
        loop {
            match self.next()? {
                Item::Start(child) if child.tag == Tag::Event => {
                    let index = trace.events.len() as u64 + 1;
                    let (pending, fail) = self.read_event(&child, index, interner);
                    trace.events.push(pending);
                    if let Some(fail) = fail {
                        return Err(fail);
                    }
                }
                Item::Start(child) if matches!(child.tag, Tag::Attr(_)) => {
                    match self.read_attr(child, 0)? {
                        (key, Ok(value)) => trace.attrs.push((interner.intern(&key), value)),
                        (key, Err(reason)) => {
                            trace
                                .problem
                                .get_or_insert(format!("trace attribute `{key}`: {reason}"));
                        }
                    }
                }
                Item::Start(child) => self.skip(&child)?,
                Item::End(_) => return Ok(()),
                Item::Eof => return Err(Fail::Eof("trace")),
            }
        }
    }

    /// Reads one `<event>`; on a failure, the partial event comes back marked.
    fn read_event(
        &mut self,
        elem: &Elem,
        index: u64,
        interner: &mut Interner,
    ) -> (Pending, Option<Fail>) {
        let mut pending = Pending {
            attrs: Vec::new(),
            line: self.line(),
            index,
            problem: None,
        };
        if elem.empty {
            return (pending, None);
        }
        let fail = loop {
            let child = match self.next() {
                Ok(Item::Start(child)) => child,
                Ok(Item::End(_)) => return (pending, None),
                Ok(Item::Eof) => break Fail::Eof("event"),
                Err(fail) => break fail,
            };
            match self.read_attr(child, 0) {
                Ok((key, Ok(value))) => pending.attrs.push((interner.intern(&key), value)),
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
    pub(super) fn read_stray_event(&mut self, elem: &Elem, interner: &mut Interner) {
        let (pending, fail) = self.read_event(elem, 1, interner);
        let raw = raw_event(&pending, interner);
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

    /// Queues the trace's customer record and its events (or rejections).
    fn finish_trace(&mut self, trace: TraceRead, interner: &mut Interner) {
        let Some(keys) = &self.keys else { return };
        let customer = trace
            .attrs
            .iter()
            .find(|(k, _)| *k == keys.customer)
            .map(|(_, v)| interner.intern(&v.to_text()));
        if let (Some(id), None) = (customer, &trace.problem) {
            let attrs = trace
                .attrs
                .iter()
                .filter(|(k, _)| *k != keys.customer)
                .cloned()
                .collect();
            let origin = self.origin(trace.line);
            self.queue
                .push_back(Record::Customer(Customer { id, attrs, origin }));
        }
        for pending in trace.events {
            if let Some(record) =
                self.event_record(&trace.problem, customer, trace.index, pending, interner)
            {
                self.queue.push_back(record);
            }
        }
    }

    /// The record of one event: an event, a rejection, or `None` when filtered out.
    fn event_record(
        &mut self,
        trace_problem: &Option<String>,
        customer: Option<Symbol>,
        trace_index: u64,
        pending: Pending,
        interner: &mut Interner,
    ) -> Option<Record> {
        let element = format!(
            "<trace> {trace_index} ({}), <event> {}",
            customer.map_or("no concept:name".into(), |c| format!(
                "`{}`",
                interner.resolve(c)
            )),
            pending.index
        );
        let line = pending.line;
        let mut pending = pending;
        let problem = pending.problem.take().or_else(|| trace_problem.clone());
        let outcome = match problem {
            Some(reason) => Err(reason),
            None => self.map_event(customer, &mut pending.attrs, line, interner),
        };
        match outcome {
            Ok(Some(event)) => Some(Record::Event(event)),
            Ok(None) => {
                self.filtered += 1;
                None
            }
            Err(reason) => Some(self.reject(line, element, reason, raw_event(&pending, interner))),
        }
    }

    /// Maps an event's attributes to an [`Event`]; `Ok(None)` when the lifecycle filter drops it.
    fn map_event(
        &self,
        trace_customer: Option<Symbol>,
        attrs: &mut Vec<(Symbol, Value)>,
        line: u64,
        interner: &mut Interner,
    ) -> Result<Option<Event>, String> {
        let Some(keys) = &self.keys else {
            return Err("no header".into());
        };
        let get = |key: Symbol| attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
        if !keys.keep_all {
            let lifecycle = get(keys.lifecycle).map(Value::as_text);
            if lifecycle.is_some_and(|l| is_standard_non_complete(&l)) {
                return Ok(None);
            }
        }
        let event_customer = get(keys.customer).filter(|_| !keys.customer_trace_only);
        let customer = match event_customer {
            Some(value) => interner.intern(&value.as_text()),
            None => trace_customer.ok_or_else(|| {
                let key = interner.resolve(keys.customer);
                format!("missing customer: the trace has no `{key}`")
            })?,
        };
        let name = self.step_name(keys, &get, interner)?;
        let time = match get(keys.time) {
            Some(Value::Time(ts)) => *ts,
            Some(other) => self.time.parse_str(&other.as_text())?,
            None => {
                let key = interner.resolve(keys.time);
                return Err(format!("missing time field `{key}`"));
            }
        };
        let mut text_of = |key: Option<Symbol>| {
            let value = key.and_then(&get)?;
            Some(interner.intern(&value.as_text()))
        };
        let channel = text_of(keys.channel);
        let actor = text_of(keys.actor);
        let mapped = |k: &Symbol| {
            keys.step.contains(k)
                || *k == keys.time
                || Some(*k) == keys.channel
                || Some(*k) == keys.actor
                || (!keys.customer_trace_only && *k == keys.customer)
        };
        attrs.retain(|(k, _)| !mapped(k));
        Ok(Some(Event {
            customer,
            name,
            time,
            channel,
            actor,
            attrs: std::mem::take(attrs),
            origin: self.origin(line),
        }))
    }

    /// The step name: the step keys' values joined by `+` (later keys may take
    /// a `<global>` default).
    fn step_name<'a>(
        &self,
        keys: &super::Keys,
        get: &dyn Fn(Symbol) -> Option<&'a Value>,
        interner: &mut Interner,
    ) -> Result<Symbol, String> {
        let mut name = String::new();
        for (i, (&key, default)) in keys.step.iter().zip(&keys.step_defaults).enumerate() {
            let part = match (get(key), default) {
                (Some(value), _) => value.as_text(),
                (None, Some(default)) => default.as_str().into(),
                (None, None) => {
                    return Err(format!("missing step field `{}`", interner.resolve(key)))
                }
            };
            if keys.step.len() == 1 {
                return Ok(interner.intern(&part));
            }
            if i > 0 {
                name.push('+');
            }
            name.push_str(&part);
        }
        Ok(interner.intern(&name))
    }

    fn describe(&self, trace: &TraceRead) -> String {
        let id = self
            .keys
            .as_ref()
            .and_then(|keys| trace.attrs.iter().find(|(k, _)| *k == keys.customer));
        match id {
            Some((_, v)) => format!(
                "<trace> {} (`{}`, opened at line {})",
                trace.index,
                v.to_text(),
                trace.line
            ),
            None => format!("<trace> {} (opened at line {})", trace.index, trace.line),
        }
    }
}

/// The transitions of the XES standard lifecycle model other than `complete`.
const NON_COMPLETE: [&str; 12] = [
    "schedule",
    "assign",
    "withdraw",
    "reassign",
    "start",
    "suspend",
    "resume",
    "pi_abort",
    "ate_abort",
    "autoskip",
    "manualskip",
    "unknown",
];

/// True for a standard lifecycle transition other than `complete` (any case).
fn is_standard_non_complete(value: &str) -> bool {
    NON_COMPLETE.iter().any(|t| t.eq_ignore_ascii_case(value))
}

/// An event's attributes as `key="value"` text, for the reject file.
fn raw_event(pending: &Pending, interner: &Interner) -> String {
    let parts: Vec<String> = pending
        .attrs
        .iter()
        .map(|(k, v)| format!("{}={:?}", interner.resolve(*k), v.to_text()))
        .collect();
    format!("<event {}>", parts.join(" "))
}

//! Mapping one XES event: its attributes to an [`Event`] (customer, step
//! name, time, channel, actor), the lifecycle filter, or a rejection naming
//! the trace and event.

use super::{Pending, XesReader};
use crate::events::{AttributeFilter, CustomerId, Event, Names, Record, Symbol, Value};
use std::io::BufRead;

impl<R: BufRead> XesReader<R> {
    /// The record of one event: an event, a rejection, or `None` when filtered out.
    pub(super) fn event_record(
        &mut self,
        trace_problem: &Option<String>,
        customer: Option<CustomerId>,
        trace_index: u64,
        pending: Pending,
        names: &mut Names,
    ) -> Option<Record> {
        let line = pending.line;
        let mut pending = pending;
        let problem = pending.problem.take().or_else(|| trace_problem.clone());
        let outcome = match problem {
            Some(reason) => Err(reason),
            None => self.map_event(customer, &mut pending.attrs, line, names),
        };
        match outcome {
            Ok(Some(event)) => Some(Record::Event(event)),
            Ok(None) => {
                self.filtered += 1;
                None
            }
            Err(reason) => {
                let element = format!(
                    "<trace> {trace_index} ({}), <event> {}",
                    customer.map_or("no concept:name".into(), |c| format!(
                        "`{}`",
                        names.customers.resolve(c)
                    )),
                    pending.index
                );
                Some(self.reject(line, element, reason, raw_event(&pending, names)))
            }
        }
    }

    /// Maps an event's attributes to an [`Event`]; `Ok(None)` when the lifecycle filter drops it.
    fn map_event(
        &self,
        trace_customer: Option<CustomerId>,
        attrs: &mut Vec<(Symbol, Value)>,
        line: u64,
        names: &mut Names,
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
        let key = names.words.resolve(keys.customer);
        let customer = match event_customer {
            Some(value) if value.as_text().trim().is_empty() => {
                return Err(format!("missing customer: the event's `{key}` is empty"));
            }
            Some(value) => names.customers.intern(&value.as_text()),
            None => trace_customer.ok_or_else(|| {
                format!("missing customer: the trace has no `{key}`, or it is empty")
            })?,
        };
        let name = self.step_name(keys, &get, names)?;
        let time = match get(keys.time) {
            Some(Value::Time(ts)) => *ts,
            Some(other) => self.time.parse_str(&other.as_text())?,
            None => {
                let key = names.words.resolve(keys.time);
                return Err(format!("missing time field `{key}`"));
            }
        };
        let mut text_of = |key: Option<Symbol>| {
            let value = key.and_then(&get)?;
            Some(names.words.intern(&value.as_text()))
        };
        let channel = text_of(keys.channel);
        let actor = if self.read_actor {
            text_of(keys.actor)
        } else {
            None
        };
        let mapped = |k: &Symbol| {
            keys.step.contains(k)
                || *k == keys.time
                || Some(*k) == keys.channel
                || Some(*k) == keys.actor
                || (!keys.customer_trace_only && *k == keys.customer)
        };
        attrs.retain(|(k, _)| !mapped(k));
        if self.attributes != AttributeFilter::All {
            attrs.retain(|(k, _)| self.attributes.keeps(names.words.resolve(*k)));
        }
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
        names: &mut Names,
    ) -> Result<Symbol, String> {
        let mut name = String::new();
        for (i, (&key, default)) in keys.step.iter().zip(&keys.step_defaults).enumerate() {
            let part = match (get(key), default) {
                (Some(value), _) => value.as_text(),
                (None, Some(default)) => default.as_str().into(),
                (None, None) => {
                    return Err(format!("missing step field `{}`", names.words.resolve(key)))
                }
            };
            if keys.step.len() == 1 {
                return Ok(names.words.intern(&part));
            }
            if i > 0 {
                name.push('+');
            }
            name.push_str(&part);
        }
        Ok(names.words.intern(&name))
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
pub(super) fn raw_event(pending: &Pending, names: &Names) -> String {
    let parts: Vec<String> = pending
        .attrs
        .iter()
        .map(|(k, v)| format!("{}={:?}", names.words.resolve(*k), v.to_text()))
        .collect();
    format!("<event {}>", parts.join(" "))
}

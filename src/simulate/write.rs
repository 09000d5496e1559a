//! Writing simulated records in the formats the evaluator reads: NDJSON (the
//! customer, step, time, channel and actor fields, then the attributes) and CSV
//! (a header of those columns and every attribute the simulation can write).
//! Field names are cxl's own by default; [`Columns::for_policy`] follows the
//! policy's `source` mapping instead (an event name `a+b` for a `step` joined
//! from two fields is split across them), so `cxl eval` reads the output back
//! with no flags. A malformed record is written as a line the
//! reader rejects: truncated JSON, or a CSV row whose time is not a time.

use super::{AttrValue, RecordKind, SimEvent, Simulator};
use crate::compile::Policy;
use std::io::{self, Write};

/// The names of the mapped fields, and the CSV delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The customer field.
    pub customer: String,
    /// The step (event name) fields: an event name is split on `+` across
    /// several, as the reader joins them.
    pub step: Vec<String>,
    /// The time field.
    pub time: String,
    /// The channel field.
    pub channel: String,
    /// The actor field.
    pub actor: String,
    /// The CSV delimiter.
    pub delimiter: char,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            customer: "customer".to_string(),
            step: vec!["step".to_string()],
            time: "time".to_string(),
            channel: "channel".to_string(),
            actor: "actor".to_string(),
            delimiter: ',',
        }
    }
}

impl Columns {
    /// True when `key` is one of the mapped fields (an attribute of that name
    /// cannot be written: the reader would take it for the field).
    pub fn is_mapped(&self, key: &str) -> bool {
        key == self.customer
            || self.step.iter().any(|s| s == key)
            || key == self.time
            || key == self.channel
            || key == self.actor
    }

    /// The step fields with the parts of an event name: split on `+` when the
    /// step joins several fields and the name has as many parts, else the whole
    /// name in the first field.
    fn step_cells<'a>(&'a self, name: &'a str) -> Vec<(&'a str, &'a str)> {
        let parts: Vec<&str> = name.splitn(self.step.len().max(1), '+').collect();
        if self.step.len() > 1 && parts.len() == self.step.len() {
            self.step.iter().map(String::as_str).zip(parts).collect()
        } else {
            self.step
                .first()
                .map(|f| (f.as_str(), name))
                .into_iter()
                .collect()
        }
    }

    /// The defaults, with the policy's `source` mapping and delimiter applied.
    pub fn for_policy(policy: &Policy) -> Columns {
        let mut c = Columns::default();
        for (field, column) in &policy.source.fields {
            let first = column.split('+').next().unwrap_or(column).to_string();
            match field.as_str() {
                "customer" => c.customer = first,
                "step" => c.step = column.split('+').map(String::from).collect(),
                "time" => c.time = first,
                "channel" => c.channel = first,
                "actor" => c.actor = first,
                _ => {}
            }
        }
        if let Some(d) = policy.source.delimiter {
            c.delimiter = d;
        }
        c
    }
}

/// Write one record as an NDJSON line with the default field names.
pub fn ndjson_line(out: &mut impl Write, e: &SimEvent) -> io::Result<()> {
    ndjson_line_as(out, e, &Columns::default())
}

/// Write one record as an NDJSON line with the given field names.
pub fn ndjson_line_as(out: &mut impl Write, e: &SimEvent, c: &Columns) -> io::Result<()> {
    write!(out, "{{{}:{}", quote(&c.customer), quote(&e.customer))?;
    for (field, part) in c.step_cells(&e.name) {
        write!(out, ",{}:{}", quote(field), quote(part))?;
    }
    write!(out, ",{}:\"{}\"", quote(&c.time), e.timestamp())?;
    if e.kind == RecordKind::Malformed {
        return writeln!(out);
    }
    if let Some(channel) = &e.channel {
        write!(out, ",{}:{}", quote(&c.channel), quote(channel))?;
    }
    if let Some(actor) = &e.actor {
        write!(out, ",{}:{}", quote(&c.actor), quote(actor))?;
    }
    for (k, v) in e.attrs.iter().filter(|(k, _)| !c.is_mapped(k)) {
        write!(out, ",{}:{}", quote(k), json_value(v))?;
    }
    writeln!(out, "}}")
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn json_value(v: &AttrValue) -> String {
    match v {
        AttrValue::Number(n) if n.is_finite() => crate::events::format_number(*n),
        AttrValue::Number(_) => "null".to_string(),
        AttrValue::Text(t) => quote(t),
        AttrValue::Bool(b) => b.to_string(),
    }
}

/// The CSV header of a simulation: the mapped fields, then every attribute.
pub fn csv_columns(sim: &Simulator<'_>, c: &Columns) -> Vec<String> {
    let mut columns = vec![c.customer.clone()];
    columns.extend(c.step.iter().cloned());
    columns.extend([c.time.clone(), c.channel.clone(), c.actor.clone()]);
    columns.extend(
        sim.attribute_names()
            .into_iter()
            .filter(|a| !c.is_mapped(a)),
    );
    columns
}

/// Write the CSV header.
pub fn csv_header(out: &mut impl Write, columns: &[String], c: &Columns) -> io::Result<()> {
    let cells: Vec<String> = columns.iter().map(|x| csv_cell(x, c.delimiter)).collect();
    writeln!(out, "{}", cells.join(&c.delimiter.to_string()))
}

/// Write one record as a CSV row under `columns` (as [`csv_columns`] makes them).
pub fn csv_row(
    out: &mut impl Write,
    columns: &[String],
    e: &SimEvent,
    c: &Columns,
) -> io::Result<()> {
    let d = c.delimiter;
    let cell = |s: &str| csv_cell(s, d);
    let steps = c.step_cells(&e.name);
    let mut cells: Vec<String> = vec![cell(&e.customer)];
    for field in &c.step {
        let part = steps
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, p)| *p);
        cells.push(cell(part));
    }
    cells.extend([
        if e.kind == RecordKind::Malformed {
            "not-a-time".to_string()
        } else {
            e.timestamp().to_string()
        },
        e.channel.as_deref().map(cell).unwrap_or_default(),
        e.actor.as_deref().map(cell).unwrap_or_default(),
    ]);
    for key in columns.iter().skip(4 + c.step.len()) {
        cells.push(
            e.attr(key)
                .map(|v| match v {
                    AttrValue::Text(t) => cell(t),
                    other => json_value(other),
                })
                .unwrap_or_default(),
        );
    }
    writeln!(out, "{}", cells.join(&d.to_string()))
}

fn csv_cell(s: &str, delimiter: char) -> String {
    if s.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

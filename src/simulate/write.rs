//! Writing simulated records in the formats the evaluator reads: NDJSON (keys
//! `customer`, `step`, `time`, `channel`, `actor`, then the attributes) and CSV
//! (a header of those columns and every attribute the simulation can write).
//! A malformed record is written as a line the reader rejects: truncated JSON,
//! or a CSV row whose time is not a time.

use super::{AttrValue, RecordKind, SimEvent, Simulator};
use std::io::{self, Write};

/// Write one record as an NDJSON line.
pub fn ndjson_line(out: &mut impl Write, e: &SimEvent) -> io::Result<()> {
    let time = e.timestamp();
    if e.kind == RecordKind::Malformed {
        return writeln!(
            out,
            "{{\"customer\":{},\"step\":{},\"time\":\"{time}\"",
            quote(&e.customer),
            quote(&e.name)
        );
    }
    write!(
        out,
        "{{\"customer\":{},\"step\":{},\"time\":\"{time}\"",
        quote(&e.customer),
        quote(&e.name)
    )?;
    if let Some(c) = &e.channel {
        write!(out, ",\"channel\":{}", quote(c))?;
    }
    if let Some(a) = &e.actor {
        write!(out, ",\"actor\":{}", quote(a))?;
    }
    for (k, v) in &e.attrs {
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

/// The CSV columns of a simulation: the fixed ones, then every attribute name.
pub fn csv_columns(sim: &Simulator<'_>) -> Vec<String> {
    let mut columns: Vec<String> = ["customer", "step", "time", "channel", "actor"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    columns.extend(sim.attribute_names());
    columns
}

/// Write the CSV header.
pub fn csv_header(out: &mut impl Write, columns: &[String]) -> io::Result<()> {
    let cells: Vec<String> = columns.iter().map(|c| csv_cell(c)).collect();
    writeln!(out, "{}", cells.join(","))
}

/// Write one record as a CSV row under `columns`.
pub fn csv_row(out: &mut impl Write, columns: &[String], e: &SimEvent) -> io::Result<()> {
    let cells: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "customer" => csv_cell(&e.customer),
            "step" => csv_cell(&e.name),
            "time" if e.kind == RecordKind::Malformed => "not-a-time".to_string(),
            "time" => e.timestamp().to_string(),
            "channel" => e.channel.as_deref().map(csv_cell).unwrap_or_default(),
            "actor" => e.actor.as_deref().map(csv_cell).unwrap_or_default(),
            key => e
                .attr(key)
                .map(|v| match v {
                    AttrValue::Text(t) => csv_cell(t),
                    other => json_value(other),
                })
                .unwrap_or_default(),
        })
        .collect();
    writeln!(out, "{}", cells.join(","))
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

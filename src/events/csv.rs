//! The CSV reader: a header row, columns mapped by name, typed attributes.
//!
//! The delimiter is configurable; quoting, CRLF line ends and a UTF-8 BOM are
//! handled. Records are found by [`records`]: a quote that never closes costs
//! the line it opened on, not the rest of the file, and a record over the
//! size limit is rejected without being held. A mapped column missing from the header is an [`InputError`]
//! naming it and listing the header (with a "did you mean"). Cells are typed by
//! their text: `true`/`false`, numbers (not ids with leading zeros), dates
//! (`YYYY-MM-DD…`), else text; an empty cell is an absent attribute, and a
//! column with an empty name (a pandas index) is skipped. Columns named
//! `case:…` (PM4Py's case attributes) become customer attributes, without the
//! prefix, in a [`Record::Customer`] given whenever the customer differs from
//! the previous row's (once per case when rows are grouped by case).

mod records;

use super::time::TimeParser;
use super::{
    AttributeFilter, Attrs, Customer, CustomerId, Event, Field, InputError, Mapping, MissingColumn,
    Names, Origin, ReadOptions, Record, Rejection, Symbol, Value,
};
use records::{Next, Records, Row};
use std::io::Read;

/// Column indexes of the mapped fields.
struct Columns {
    customer: usize,
    step: Vec<usize>,
    time: usize,
    channel: Option<usize>,
    actor: Option<usize>,
}

/// An unmapped column.
struct AttrColumn {
    index: usize,
    key: Symbol,
    case: bool,
}

/// Reads CSV records.
pub(crate) struct CsvReader<R: Read> {
    records: Records<R>,
    header: Vec<String>,
    columns: Columns,
    attrs: Option<Vec<AttrColumn>>,
    file: String,
    file_index: u32,
    time: TimeParser,
    attributes: AttributeFilter,
    /// False: actors are left out of events (`ReadOptions::read_actor`).
    read_actor: bool,
    delimiter: u8,
    last_customer: Option<CustomerId>,
    pending: Option<Event>,
    done: bool,
}

impl<R: Read> CsvReader<R> {
    /// Reads the header and maps the columns.
    pub(crate) fn new(
        input: R,
        file: String,
        file_index: u32,
        options: &ReadOptions,
    ) -> Result<Self, InputError> {
        let mut records = Records::new(input, options.max_record, options.delimiter);
        let header: Vec<String> = match records.next(None) {
            Ok(Some(Next::Row { .. })) => records.row().iter().map(str::to_string).collect(),
            Ok(Some(Next::Bad { line, reason, .. })) => {
                let message = format!("line {line}: cannot read the CSV header: {reason}");
                return Err(InputError::NotALog { file, message });
            }
            Ok(None) => Vec::new(),
            Err(e) => return Err(InputError::from_io(&file, records.line(), e)),
        };
        if header.iter().all(String::is_empty) {
            return Err(InputError::Empty { file });
        }
        let columns = map_columns(&header, &options.mapping, &file)?;
        Ok(CsvReader {
            records,
            header,
            columns,
            attrs: None,
            file,
            file_index,
            time: options.time.clone(),
            attributes: options.attributes.clone(),
            read_actor: options.read_actor,
            delimiter: options.delimiter,
            last_customer: None,
            pending: None,
            done: false,
        })
    }

    /// The next record, or `None` at the end.
    pub(crate) fn next_record(&mut self, names: &mut Names) -> Result<Option<Record>, InputError> {
        if let Some(event) = self.pending.take() {
            return Ok(Some(Record::Event(event)));
        }
        if self.done {
            return Ok(None);
        }
        if self.attrs.is_none() {
            self.attrs = Some(self.attr_columns(names));
        }
        match self.records.next(Some(self.header.len())) {
            Ok(Some(Next::Row { line })) => Ok(Some(self.row(names, line))),
            Ok(Some(Next::Bad { line, reason, raw })) => {
                Ok(Some(Record::Rejected(Box::new(Rejection {
                    file: self.file.clone(),
                    line: Some(line),
                    element: None,
                    reason,
                    raw,
                }))))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(InputError::from_io(&self.file, self.records.line(), e))
            }
        }
    }

    fn attr_columns(&self, names: &mut Names) -> Vec<AttrColumn> {
        let c = &self.columns;
        let mapped = |i: usize| {
            i == c.customer
                || i == c.time
                || c.step.contains(&i)
                || c.channel == Some(i)
                || c.actor == Some(i)
        };
        let mut out = Vec::new();
        for (index, name) in self.header.iter().enumerate() {
            if name.is_empty() || mapped(index) {
                continue;
            }
            let (key, case) = match name.strip_prefix("case:") {
                Some(rest) => (rest, true),
                None => (name.as_str(), false),
            };
            if !self.attributes.keeps(key) {
                continue;
            }
            out.push(AttrColumn {
                index,
                key: names.words.intern(key),
                case,
            });
        }
        out
    }

    fn row(&mut self, names: &mut Names, line: u64) -> Record {
        match self.event(names, line) {
            Ok((event, customer_attrs)) => {
                let new_customer = self.last_customer != Some(event.customer);
                self.last_customer = Some(event.customer);
                match customer_attrs {
                    Some(attrs) if new_customer => {
                        let customer = Customer {
                            id: event.customer,
                            attrs,
                            origin: event.origin,
                        };
                        self.pending = Some(event);
                        Record::Customer(customer)
                    }
                    _ => Record::Event(event),
                }
            }
            Err(reason) => Record::Rejected(Box::new(Rejection {
                file: self.file.clone(),
                line: Some(line),
                element: None,
                reason,
                raw: self.raw(),
            })),
        }
    }

    /// The event of the current row, and its customer attributes when there are `case:` columns.
    fn event(&self, names: &mut Names, line: u64) -> Result<(Event, Option<Attrs>), String> {
        let r = self.records.row();
        if r.len() != self.header.len() {
            return Err(format!(
                "the row has {} fields, the header has {}",
                r.len(),
                self.header.len()
            ));
        }
        let c = &self.columns;
        let customer = self.required(c.customer, Field::Customer)?;
        let mut step = String::new();
        for (i, &index) in c.step.iter().enumerate() {
            if i > 0 {
                step.push('+');
            }
            step.push_str(self.required(index, Field::Step)?);
        }
        let time = self.time.parse_str(self.required(c.time, Field::Time)?)?;
        let optional = |index: Option<usize>, names: &mut Names| {
            let text = index.and_then(|i| r.get(i)).filter(|t| !t.is_empty());
            text.map(|t| names.words.intern(t))
        };
        let channel = optional(c.channel, names);
        let actor = optional(c.actor.filter(|_| self.read_actor), names);
        let (attrs, case_attrs) = self.attributes();
        Ok((
            Event {
                customer: names.customers.intern(customer),
                name: names.words.intern(&step),
                time,
                channel,
                actor,
                attrs,
                origin: Origin {
                    file: self.file_index,
                    line,
                },
            },
            case_attrs,
        ))
    }

    fn attributes(&self) -> (Attrs, Option<Attrs>) {
        let mut attrs = Vec::new();
        let mut case_attrs: Option<Attrs> = None;
        for column in self.attrs.iter().flatten() {
            if column.case {
                case_attrs.get_or_insert_with(Vec::new);
            }
            let Some(text) = self.fields().get(column.index).filter(|t| !t.is_empty()) else {
                continue;
            };
            let value = infer(text, &self.time);
            match (&mut case_attrs, column.case) {
                (Some(case), true) => case.push((column.key, value)),
                _ => attrs.push((column.key, value)),
            }
        }
        (attrs, case_attrs)
    }

    fn fields(&self) -> &Row {
        self.records.row()
    }

    fn required(&self, index: usize, field: Field) -> Result<&str, String> {
        let text = self.fields().get(index).unwrap_or("");
        if text.trim().is_empty() {
            let column = self.header.get(index).map_or("", String::as_str);
            return Err(format!("missing {field}: column `{column}` is empty"));
        }
        Ok(text)
    }

    /// The row as text again, quoted where needed.
    fn raw(&self) -> String {
        let delimiter = char::from(self.delimiter);
        let fields: Vec<String> = self
            .fields()
            .iter()
            .map(|f| {
                if f.contains([delimiter, '"', '\n', '\r']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.to_string()
                }
            })
            .collect();
        fields.join(&delimiter.to_string())
    }
}

/// The type a cell's text implies.
fn infer(text: &str, time: &TimeParser) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    let b = text.as_bytes();
    if b.len() >= 10 && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') {
        if let Ok(ts) = time.parse_str(text) {
            return Value::Time(ts);
        }
    }
    let digits = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let leading_zero = digits.len() > 1 && digits[0] == b'0' && digits[1].is_ascii_digit();
    if digits.first().is_some_and(u8::is_ascii_digit) && !leading_zero {
        if let Ok(n) = text.parse::<f64>() {
            return Value::Number(n);
        }
    }
    Value::Text(text.into())
}

/// Finds each mapped field's column, falling back to PM4Py's names for defaults.
fn map_columns(header: &[String], mapping: &Mapping, file: &str) -> Result<Columns, InputError> {
    let find = |name: &str| header.iter().position(|h| h == name);
    let resolve = |field: Field, name: &str| -> Result<Option<usize>, InputError> {
        if let Some(i) = find(name) {
            return Ok(Some(i));
        }
        let explicit = mapping.explicit.contains(&field);
        if !explicit {
            if let Some(i) = Mapping::pm4py_column(field).and_then(find) {
                return Ok(Some(i));
            }
            if matches!(field, Field::Channel | Field::Actor) {
                return Ok(None);
            }
        }
        Err(missing_column(header, field, name, file))
    };
    let required = |field: Field, name: &str| {
        resolve(field, name)?.ok_or_else(|| missing_column(header, field, name, file))
    };
    let mut step = Vec::new();
    for name in &mapping.step {
        step.push(required(Field::Step, name)?);
    }
    let optional = |field: Field, name: Option<&String>| match name {
        Some(name) => resolve(field, name),
        None => Ok(None),
    };
    Ok(Columns {
        customer: required(Field::Customer, &mapping.customer)?,
        step,
        time: required(Field::Time, &mapping.time)?,
        channel: optional(Field::Channel, mapping.channel.as_ref())?,
        actor: optional(Field::Actor, mapping.actor.as_ref())?,
    })
}

fn missing_column(header: &[String], field: Field, column: &str, file: &str) -> InputError {
    let lower = column.to_ascii_lowercase();
    let hint = header
        .iter()
        .map(|h| (strsim::levenshtein(&h.to_ascii_lowercase(), &lower), h))
        .filter(|(d, h)| *d <= 3.max(column.len() / 3) && !h.is_empty())
        .min_by_key(|(d, _)| *d)
        .map(|(_, h)| format!("; did you mean `{h}`? (use --map {field}={h})"))
        .unwrap_or_else(|| format!("; map it with --map {field}=COLUMN"));
    let columns: Vec<String> = header.iter().map(|h| format!("`{h}`")).collect();
    InputError::MissingColumn(Box::new(MissingColumn {
        file: file.to_string(),
        field,
        column: column.to_string(),
        columns: columns.join(", "),
        hint,
    }))
}

//! The flags every verb that reads a log shares, and opening the log with them.

use cxl::compile::SourceSettings;
use cxl::events::time::{fixed_zone, TimeParser};
use cxl::events::{InputFormat, ReadOptions};
use std::io::Read;
use std::path::Path;

/// How to read a log: its format, field mapping, time zone and XES choices.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// The log's format, when its name does not say (ndjson, csv, xes).
    #[arg(long, value_name = "FORMAT")]
    pub input_format: Option<String>,
    /// Field mapping, e.g. `customer=case_id,step=activity,time=timestamp`;
    /// `step=a+b` joins fields.
    #[arg(long, value_name = "MAP")]
    pub map: Option<String>,
    /// Zone for times without an offset: `UTC` (default), `+01:00`, or an IANA
    /// name such as `Europe/Amsterdam` (needs the system time-zone database).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// XES: use this declared classifier's keys as the step name.
    #[arg(long, value_name = "NAME")]
    pub classifier: Option<String>,
    /// XES: keep events of every lifecycle transition, not only `complete`.
    #[arg(long)]
    pub all_lifecycle: bool,
    /// CSV delimiter (one character; default `,`).
    #[arg(long)]
    pub delimiter: Option<char>,
    /// The record size limit (default 1MiB; a number of bytes, or with a
    /// KiB, MiB or GiB suffix): a longer NDJSON line, CSV record or XES event
    /// is rejected, and a longer XML item stops reading.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_record_size: Option<usize>,
}

/// Read options, the opened input, and its display name.
pub type Opened = (ReadOptions, Box<dyn Read + Send>, String);

impl InputArgs {
    /// Options from the flags, and `log` opened (`-` is stdin, read as NDJSON
    /// unless `--input-format` says otherwise).
    pub fn open(&self, log: &str) -> Result<Opened, String> {
        self.open_with(log, &SourceSettings::default())
    }

    /// The format `log` is read in: `--input-format`, else the policy's
    /// `source`, else NDJSON on stdin, else the file name's extension.
    pub fn format_of(&self, log: &str, source: &SourceSettings) -> Result<InputFormat, String> {
        match self.input_format.as_ref().or(source.format.as_ref()) {
            Some(text) => text.parse::<InputFormat>().map_err(|e| e.to_string()),
            None if log == "-" => Ok(InputFormat::Ndjson),
            None => InputFormat::from_path(Path::new(log)).ok_or_else(|| {
                format!("cannot tell the format of `{log}` from its name: use --input-format ndjson|csv|xes")
            }),
        }
    }

    /// As [`InputArgs::open`], with a policy's `source` settings as defaults that
    /// the flags override field by field.
    pub fn open_with(&self, log: &str, source: &SourceSettings) -> Result<Opened, String> {
        let stdin = log == "-";
        let format = self.format_of(log, source)?;
        let mut options = ReadOptions::new(format);
        let from_policy: Vec<String> = source
            .fields
            .iter()
            .map(|(f, c)| format!("{f}={c}"))
            .collect();
        if !from_policy.is_empty() {
            options.mapping = options
                .mapping
                .parse_overrides(&from_policy.join(","))
                .map_err(|e| format!("the policy's `source`: {e}"))?;
        }
        if let Some(map) = &self.map {
            options.mapping = options
                .mapping
                .parse_overrides(map)
                .map_err(|e| e.to_string())?;
        }
        if let Some(zone) = self.timezone.as_ref().or(source.timezone.as_ref()) {
            options.time = TimeParser::new(zone_named(zone)?);
        }
        options.classifier = self
            .classifier
            .clone()
            .or_else(|| source.classifier.clone());
        options.all_lifecycle = self.all_lifecycle || source.all_lifecycle.unwrap_or(false);
        let delimiter = self.delimiter.or(source.delimiter).unwrap_or(',');
        options.delimiter = u8::try_from(delimiter)
            .map_err(|_| format!("delimiter `{delimiter}` is not a single-byte character"))?;
        if let Some(size) = self.max_record_size {
            options.max_record = size;
        }
        if stdin {
            return Ok((options, Box::new(std::io::stdin()), "<stdin>".into()));
        }
        let file = std::fs::File::open(log).map_err(|e| format!("cannot read `{log}`: {e}"))?;
        Ok((options, Box::new(file), log.to_string()))
    }
}

fn zone_named(text: &str) -> Result<jiff::tz::TimeZone, String> {
    if let Some(zone) = fixed_zone(text) {
        return Ok(zone);
    }
    jiff::tz::TimeZone::get(text).map_err(|e| {
        format!("unknown time zone `{text}` ({e}); use UTC, an offset like +01:00, or an IANA name")
    })
}

/// A size in bytes: a number, optionally followed by `KiB`, `MiB` or `GiB`.
fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let (digits, unit) = match trimmed.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, ""),
    };
    let shift = match unit.trim() {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        other => return Err(format!("unknown size unit `{other}`: use KiB, MiB or GiB")),
    };
    let number: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 4MiB)"))?;
    match number.checked_mul(1 << shift) {
        Some(0) | None => Err(format!("`{text}` is not a usable size")),
        Some(bytes) => Ok(bytes),
    }
}

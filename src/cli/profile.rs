//! `cxl profile LOG`: what a log holds, before a policy is written for it —
//! cases, events, rejections, time span, activities, variants, directly-follows
//! pairs, case durations. Text for a person, or JSON.

use super::common::{EXIT_OK, EXIT_USAGE};
use cxl::events::time::{fixed_zone, TimeParser};
use cxl::events::{EventReader, InputFormat, Interner, ReadOptions};
use cxl::profile::{read_profile, render_text};
use std::io::Read;
use std::path::Path;

/// How the profile is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileFormat {
    /// Aligned sections for a person.
    Text,
    /// One JSON object, for machines.
    Json,
}

/// Arguments of `cxl profile`.
#[derive(clap::Args)]
pub struct ProfileArgs {
    /// The log: .ndjson/.jsonl/.json, .csv or .xes (optionally .gz); `-` reads stdin.
    log: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: ProfileFormat,
    /// The log's format, when its name does not say (ndjson, csv, xes).
    #[arg(long, value_name = "FORMAT")]
    input_format: Option<String>,
    /// Field mapping, e.g. `customer=case_id,step=activity,time=timestamp`;
    /// `step=a+b` joins fields.
    #[arg(long, value_name = "MAP")]
    map: Option<String>,
    /// Zone for times without an offset: `UTC` (default), `+01:00`, or an IANA
    /// name such as `Europe/Amsterdam` (needs the system time-zone database).
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
    /// XES: use this declared classifier's keys as the step name.
    #[arg(long, value_name = "NAME")]
    classifier: Option<String>,
    /// XES: keep events of every lifecycle transition, not only `complete`.
    #[arg(long)]
    all_lifecycle: bool,
    /// CSV delimiter (one character).
    #[arg(long, default_value = ",")]
    delimiter: char,
    /// How many variants, pairs and rejections to show.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Profile the log; exit 0, or 2 on a usage or input error (after printing what was read).
pub fn run(args: &ProfileArgs) -> u8 {
    let (options, input, name) = match prepare(args) {
        Ok(ready) => ready,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let mut reader = match EventReader::new(input, &name, 0, &options) {
        Ok(reader) => reader,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    };
    let mut interner = Interner::new();
    let (profile, error) = read_profile(&mut reader, &mut interner, &name, args.top);
    match args.format {
        ProfileFormat::Text => print!("{}", render_text(&profile)),
        ProfileFormat::Json => match serde_json::to_string_pretty(&profile) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        },
    }
    match error {
        Some(error) => {
            eprintln!("error: {error}");
            EXIT_USAGE
        }
        None => EXIT_OK,
    }
}

type Prepared = (ReadOptions, Box<dyn Read>, String);

/// Options from the flags, and the opened input.
fn prepare(args: &ProfileArgs) -> Result<Prepared, String> {
    let stdin = args.log == "-";
    let format = match &args.input_format {
        Some(text) => text.parse::<InputFormat>().map_err(|e| e.to_string())?,
        None if stdin => InputFormat::Ndjson,
        None => InputFormat::from_path(Path::new(&args.log)).ok_or_else(|| {
            format!(
                "cannot tell the format of `{}` from its name: use --input-format ndjson|csv|xes",
                args.log
            )
        })?,
    };
    let mut options = ReadOptions::new(format);
    if let Some(map) = &args.map {
        options.mapping = options
            .mapping
            .parse_overrides(map)
            .map_err(|e| e.to_string())?;
    }
    if let Some(zone) = &args.timezone {
        options.time = TimeParser::new(zone_named(zone)?);
    }
    options.classifier.clone_from(&args.classifier);
    options.all_lifecycle = args.all_lifecycle;
    options.delimiter = u8::try_from(args.delimiter).map_err(|_| {
        format!(
            "--delimiter `{}` is not a single-byte character",
            args.delimiter
        )
    })?;
    if stdin {
        return Ok((options, Box::new(std::io::stdin()), "<stdin>".into()));
    }
    let file =
        std::fs::File::open(&args.log).map_err(|e| format!("cannot read `{}`: {e}", args.log))?;
    Ok((options, Box::new(file), args.log.clone()))
}

fn zone_named(text: &str) -> Result<jiff::tz::TimeZone, String> {
    if let Some(zone) = fixed_zone(text) {
        return Ok(zone);
    }
    jiff::tz::TimeZone::get(text).map_err(|e| {
        format!("unknown time zone `{text}` ({e}); use UTC, an offset like +01:00, or an IANA name")
    })
}

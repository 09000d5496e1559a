//! `cxl profile LOG`: what a log holds, before a policy is written for it —
//! cases, events, rejections, time span, activities, variants, directly-follows
//! pairs, case durations. Text for a person, or JSON.

use super::common::{EXIT_OK, EXIT_USAGE};
use super::input::{InputArgs, Opened};
use cxl::events::{EventReader, Interner};
use cxl::profile::{read_profile, render_text};

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
    #[command(flatten)]
    input: InputArgs,
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

/// Options from the flags, and the opened input.
fn prepare(args: &ProfileArgs) -> Result<Opened, String> {
    args.input.open(&args.log)
}

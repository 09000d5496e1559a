//! `cxl profile LOG`: what a log holds, before a policy is written for it —
//! cases, events, rejections, time span, activities, variants, directly-follows
//! pairs, case durations. Text for a person, or JSON.

use super::common::{Stop, EXIT_OK, EXIT_USAGE};
use super::input::InputArgs;
use super::output;
use cxl::events::{EventReader, Names};
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
    profile(args).unwrap_or_else(|stop| stop.exit_code())
}

fn profile(args: &ProfileArgs) -> Result<u8, Stop> {
    output::plan(&[("the log", Some(&args.log))], [])?;
    let (options, input, name) = args.input.open(&args.log)?;
    let mut reader = EventReader::new(input, &name, 0, &options).map_err(|e| e.to_string())?;
    let mut names = Names::new();
    let (profile, error) = read_profile(&mut reader, &mut names, &name, args.top);
    let out = match args.format {
        ProfileFormat::Text => render_text(&profile),
        ProfileFormat::Json => {
            serde_json::to_string_pretty(&profile).map_err(|e| e.to_string())? + "\n"
        }
    };
    output::print(&out)?;
    match error {
        Some(error) => {
            to_stderr!("error: {error}");
            Ok(EXIT_USAGE)
        }
        None => Ok(EXIT_OK),
    }
}

//! `cxl compare POLICY LOG [--ideal SIMULATED.ndjson]`: the ideal journey
//! against the actual one, per journey, as text or JSON. The ideal run is the
//! simulator's ideal journeys (the policy's weights and `takes`, a fixed seed),
//! or with `--ideal` a second log run through the same policy.

use super::common::{Stop, EXIT_OK};
use super::input::InputArgs;
use super::output;
use super::report::{compile, observe, times};
use cxl::compare::{compare, render_text, Run};
use cxl::events::{InputFormat, ReadOptions};
use cxl::simulate::{write, SimOptions, Simulator};

/// How many ideal customers the simulator plays when no `--ideal` log is given.
const IDEAL_CUSTOMERS: u64 = 2000;

/// How the comparison is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// Tables for a person.
    Text,
    /// One JSON document (schemas/compare.schema.json).
    Json,
}

/// Arguments of `cxl compare`.
#[derive(clap::Args)]
pub struct CompareArgs {
    /// The policy file.
    policy: String,
    /// The actual log.
    log: String,
    /// The ideal (or earlier) log, read with the same flags; default: the
    /// simulator's ideal journeys.
    #[arg(long, value_name = "LOG")]
    ideal: Option<String>,
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: CompareFormat,
    /// How far out of order a customer's events may arrive and still be put in order.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    lateness: String,
}

/// Print the comparison; exit 0, or 2 on a usage, input or output error.
pub fn run(args: &CompareArgs) -> u8 {
    run_compare(args).unwrap_or_else(|stop| stop.exit_code())
}

fn run_compare(args: &CompareArgs) -> Result<u8, Stop> {
    output::plan(
        &[
            ("the policy", Some(args.policy.as_str())),
            ("the log", Some(args.log.as_str())),
            ("--ideal", args.ideal.as_deref()),
        ],
        [],
    )?;
    let policy = compile(&args.policy)?;
    let (_, lateness) = times(None, &args.lateness)?;
    let (ideal_name, ideal) = match &args.ideal {
        Some(log) => {
            let opened = args.input.open_with(log, &policy.source)?;
            (log.clone(), observe(&policy, opened, lateness, None)?)
        }
        None => {
            let simulated = simulate(&policy)?;
            let name = "simulated".to_string();
            let opened = (
                ReadOptions::new(InputFormat::Ndjson),
                simulated,
                name.clone(),
            );
            (name, observe(&policy, opened, lateness, None)?)
        }
    };
    let opened = args.input.open_with(&args.log, &policy.source)?;
    let log_name = opened.2.clone();
    let actual = observe(&policy, opened, lateness, None)?;
    let comparison = compare(
        &policy,
        Run {
            source: &ideal_name,
            report: &ideal.0,
            flows: &ideal.1,
        },
        Run {
            source: &log_name,
            report: &actual.0,
            flows: &actual.1,
        },
    );
    let out = match args.format {
        CompareFormat::Text => render_text(&comparison),
        CompareFormat::Json => {
            serde_json::to_string_pretty(&comparison).map_err(|e| e.to_string())? + "\n"
        }
    };
    output::print(&out)?;
    Ok(EXIT_OK)
}

/// The simulator's ideal journeys as an NDJSON log in memory.
fn simulate(policy: &cxl::Policy) -> Result<Box<dyn std::io::Read + Send>, Stop> {
    let sim = Simulator::new(
        policy,
        SimOptions {
            customers: IDEAL_CUSTOMERS,
            ..SimOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let mut log = Vec::new();
    for event in sim.stream() {
        write::ndjson_line(&mut log, &event).map_err(|e| e.to_string())?;
    }
    Ok(Box::new(std::io::Cursor::new(log)))
}

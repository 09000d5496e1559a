//! `cxl simulate POLICY`: play the ideal journey for many customers, with
//! deviations on request, and write the events to stdout as NDJSON or CSV, in
//! time order. A summary of what was injected goes to stderr.

use super::common::{self, Stop, EXIT_FINDINGS, EXIT_OK};
use super::output::{self, RecordWriter, WriteError};
use cxl::simulate::{write, Deviation, SimOptions, Simulator};

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SimFormat {
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header.
    Csv,
}

/// Arguments of `cxl simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The policy file.
    policy: String,
    /// How many customers.
    #[arg(long, default_value_t = 100)]
    customers: u64,
    /// The seed: the same seed gives the same output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of customers (0 to 1) that get one deviation from the ideal journey.
    #[arg(long, default_value_t = 0.0)]
    deviations: f64,
    /// Only these deviations, comma-separated (skip_step, swap_steps, delay,
    /// wrong_channel, bad_metric, repeated_ask, too_many_attempts, repeat,
    /// abandon, duplicate, late, unmapped, malformed); default: all.
    #[arg(long, value_name = "LIST")]
    only: Option<String>,
    /// When the first customer starts (RFC 3339).
    #[arg(long, default_value = "2026-03-01T00:00Z")]
    start: String,
    /// Most customers in flight at once.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Mean gap between customer starts (a duration such as `5m`).
    #[arg(long, default_value = "5m")]
    stagger: String,
    /// Only this journey (default: any journey, chosen at random per customer).
    #[arg(long)]
    journey: Option<String>,
    /// The evaluator's lateness window that late events must exceed.
    #[arg(long, default_value = "10m")]
    lateness: String,
    /// Output format (default: ndjson; with `--source`, the policy's `source`
    /// format when it is csv).
    #[arg(long, value_enum)]
    format: Option<SimFormat>,
    /// Write the fields under the names of the policy's `source` mapping (and
    /// its CSV delimiter), so `cxl eval POLICY LOG` reads the log with no flags;
    /// by default cxl's own keys are written: customer, step, time, channel, actor.
    #[arg(long)]
    source: bool,
}

/// Run the simulation; exit 1 when the policy has errors, 2 for bad usage.
pub fn run(args: &SimulateArgs) -> u8 {
    simulate(args).unwrap_or_else(|stop| stop.exit_code())
}

fn simulate(args: &SimulateArgs) -> Result<u8, Stop> {
    output::plan(&[("the policy", Some(&args.policy))], [])?;
    let Ok(policy) = common::compile_entry(&args.policy)? else {
        return Ok(EXIT_FINDINGS);
    };
    let sim = Simulator::new(&policy, options(args)?).map_err(|e| e.to_string())?;
    let (format, names) = if args.source {
        let format = match policy.source.format.as_deref() {
            Some("csv") => SimFormat::Csv,
            _ => SimFormat::Ndjson,
        };
        (format, write::Columns::for_policy(&policy))
    } else {
        (SimFormat::Ndjson, write::Columns::default())
    };
    emit(&sim, args.format.unwrap_or(format), &names)?;
    Ok(EXIT_OK)
}

fn options(args: &SimulateArgs) -> Result<SimOptions, String> {
    let start = cxl::events::time::TimeParser::default()
        .parse_str(&args.start)
        .map_err(|e| format!("--start: {e}"))?;
    let stagger =
        cxl::syntax::parse_duration(&args.stagger).map_err(|e| format!("--stagger: {e}"))?;
    let lateness =
        cxl::syntax::parse_duration(&args.lateness).map_err(|e| format!("--lateness: {e}"))?;
    if !(0.0..=1.0).contains(&args.deviations) {
        return Err("--deviations: a share between 0 and 1".to_string());
    }
    let deviations = match &args.only {
        None => Deviation::ALL.to_vec(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Deviation::parse(s).ok_or_else(|| format!("--only: no deviation `{s}`")))
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(SimOptions {
        customers: args.customers,
        seed: args.seed,
        deviation_rate: args.deviations,
        deviations,
        start,
        concurrency: args.concurrency.max(1),
        stagger,
        journey: args.journey.clone(),
        lateness,
    })
}

/// Every record to stdout, one whole record at a time, then a summary on stderr.
fn emit(sim: &Simulator<'_>, format: SimFormat, names: &write::Columns) -> Result<(), WriteError> {
    let mut out = RecordWriter::stdout();
    let mut stream = sim.stream();
    let mut records = 0u64;
    for a in sim.attribute_names().iter().filter(|a| names.is_mapped(a)) {
        to_stderr!(
            "warning: a segment reads the attribute `{a}`, which is also a mapped field: \
             it cannot be written on events, and customers may fall outside their segments"
        );
    }
    match format {
        SimFormat::Ndjson => {
            for e in stream.by_ref() {
                out.record(|line| write::ndjson_line_as(line, &e, names))?;
                records += 1;
            }
        }
        SimFormat::Csv => {
            let columns = write::csv_columns(sim, names);
            out.record(|line| write::csv_header(line, &columns, names))?;
            for e in stream.by_ref() {
                out.record(|row| write::csv_row(row, &columns, &e, names))?;
                records += 1;
            }
        }
    }
    out.flush()?;
    let mut injected: Vec<String> = stream
        .deviations()
        .iter()
        .map(|(d, n)| format!("{} {n}", d.as_str()))
        .collect();
    injected.sort();
    to_stderr!(
        "simulated {} customers, {records} records; deviations: {}",
        stream.started(),
        if injected.is_empty() {
            "none".to_string()
        } else {
            injected.join(", ")
        }
    );
    Ok(())
}

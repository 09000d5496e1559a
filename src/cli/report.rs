//! `cxl report POLICY LOG -o report.html`: evaluate a log and write one
//! self-contained HTML page: the summary, each journey's map with its health,
//! funnel and time to goal, findings by rule, escalations by team, data
//! quality. Exit 0 when the page is written, 3 when the run judged too little
//! to be a verdict (the page says so too), 2 on a usage, input or output error.

use super::common::{self, Stop, EXIT_OK, EXIT_UNJUDGED};
use super::input::{InputArgs, Opened};
use super::output::{self, OutputFile};
use cxl::eval::{EvalOptions, Evaluator, ReadAhead, Report, Retention};
use cxl::events::{EventReader, Record};
use cxl::map::{Flow, JourneyFlow};
use cxl::report::{render_html, HtmlInput};
use cxl::Policy;
use jiff::Timestamp;

/// Findings kept per kind and rule: the page shows a few example customers each.
const EXAMPLES_KEPT: usize = 5;
/// A progress line on stderr every this many records.
const PROGRESS_EVERY: u64 = 1_000_000;

/// Arguments of `cxl report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The policy file.
    policy: String,
    /// The log: .ndjson/.jsonl/.json, .csv or .xes (optionally .gz); `-` reads stdin.
    log: String,
    /// The HTML file to write (never one of the inputs).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: String,
    #[command(flatten)]
    input: InputArgs,
    /// Judge open deadlines against this time (RFC 3339); default: the latest event time.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// How far out of order a customer's events may arrive and still be put in order.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    lateness: String,
}

/// Evaluate an opened log with a [`Flow`] beside the evaluator: the report,
/// and what customers did per journey. A line on stderr every
/// [`PROGRESS_EVERY`] records says how far it got.
pub(super) fn observe(
    policy: &Policy,
    (mut options, input, name): Opened,
    lateness: u64,
    as_of: Option<Timestamp>,
) -> Result<(Report, Vec<JourneyFlow>), Stop> {
    let mut evaluator = Evaluator::new(
        std::sync::Arc::clone(&policy.program),
        EvalOptions {
            lateness,
            retention: Retention::PerGroup(EXAMPLES_KEPT),
            ..EvalOptions::default()
        },
    );
    let mut flow = Flow::new(policy);
    evaluator.narrow(&mut options);
    let reader = EventReader::new(input, &name, 0, &options).map_err(|e| e.to_string())?;
    let mut reader = ReadAhead::new(reader);
    let mut records = 0u64;
    let mut escalations = Vec::new();
    while let Some(record) = reader
        .next_record(&mut evaluator)
        .map_err(|e| e.to_string())?
    {
        records += 1;
        if records % PROGRESS_EVERY == 0 {
            to_stderr!("cxl: {records} records of `{name}` read");
        }
        match record {
            Record::Event(event) => {
                flow.event(&event, evaluator.names());
                flow.findings(&evaluator.push(event));
                // The report keeps only the first escalations: the page
                // counts them all by team.
                escalations.extend(evaluator.take_escalations());
            }
            Record::Customer(customer) => evaluator.push_customer(customer),
            Record::Rejected(rejection) => flow.findings(&evaluator.push_rejected(&rejection)),
        }
    }
    let (mut report, last, fresh) = evaluator
        .finish_streaming(as_of)
        .map_err(|e| format!("--as-of: {e}"))?;
    escalations.extend(fresh);
    report.escalations = escalations;
    flow.findings(&last);
    Ok((report, flow.finish()))
}

/// The policy at `path`, compiled; its errors printed and a usage error.
pub(super) fn compile(path: &str) -> Result<Policy, Stop> {
    common::compile_entry(path)?
        .map_err(|summary| Stop::Usage(format!("`{path}` has errors: {summary}")))
}

/// `--as-of` and `--lateness`, parsed.
pub(super) fn times(as_of: Option<&str>, lateness: &str) -> Result<(Option<Timestamp>, u64), Stop> {
    let as_of = as_of
        .map(|t| cxl::events::time::TimeParser::default().parse_str(t))
        .transpose()
        .map_err(|e| format!("--as-of: {e}"))?;
    let lateness = cxl::syntax::parse_duration(lateness).map_err(|e| format!("--lateness: {e}"))?;
    Ok((as_of, lateness))
}

/// Write the report.
pub fn run(args: &ReportArgs) -> u8 {
    report(args).unwrap_or_else(|stop| stop.exit_code())
}

fn report(args: &ReportArgs) -> Result<u8, Stop> {
    let [target] = output::plan(
        &[
            ("the policy", Some(args.policy.as_str())),
            ("the log", Some(args.log.as_str())),
        ],
        [("-o", Some(args.output.as_str()))],
    )?;
    let target = target.ok_or_else(|| "-o: no file to write".to_string())?;
    let policy = compile(&args.policy)?;
    let (as_of, lateness) = times(args.as_of.as_deref(), &args.lateness)?;
    let (options, input, name) = args.input.open_with(&args.log, &policy.source)?;
    let (report, flows) = observe(&policy, (options, input, name.clone()), lateness, as_of)?;
    let page = render_html(&HtmlInput {
        policy: &policy,
        report: &report,
        flows: &flows,
        policy_name: &args.policy,
        log_name: &name,
    });
    let mut file = OutputFile::create(&target, false)?;
    file.text(&page)?;
    file.finish()?;
    Ok(if report.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_UNJUDGED
    })
}

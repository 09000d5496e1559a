//! `cxl report POLICY LOG -o report.html`: evaluate a log and write one
//! self-contained HTML page: the summary, each journey's map with its health,
//! funnel and time to goal, findings by rule, escalations by team, data
//! quality. Exit 0 when the page is written, 3 when the run judged too little
//! to be a verdict (the page says so too), 2 on a usage, input or output error.

use super::common::{self, Stop, EXIT_OK, EXIT_UNJUDGED};
use super::input::InputArgs;
use super::output::{self, OutputFile};
use cxl::eval::{EvalOptions, Evaluator, ReadAhead, Retention};
use cxl::events::{EventReader, Record};
use cxl::map::Flow;
use cxl::report::{render_html, HtmlInput};
use cxl::Policy;

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
    let text =
        common::read_file(&args.policy).map_err(|_| format!("cannot read `{}`", args.policy))?;
    let policy = match Policy::compile(&text) {
        Ok(policy) => policy,
        Err(diagnostics) => {
            common::print_human(&diagnostics, &args.policy, &text);
            return Err(Stop::Usage(format!(
                "`{}` has errors: {}",
                args.policy,
                common::count_summary(&diagnostics)
            )));
        }
    };
    let as_of = args
        .as_of
        .as_deref()
        .map(|t| cxl::events::time::TimeParser::default().parse_str(t))
        .transpose()
        .map_err(|e| format!("--as-of: {e}"))?;
    let lateness =
        cxl::syntax::parse_duration(&args.lateness).map_err(|e| format!("--lateness: {e}"))?;
    let mut evaluator = Evaluator::new(
        &policy,
        EvalOptions {
            lateness,
            retention: Retention::PerGroup(EXAMPLES_KEPT),
        },
    );
    let mut flow = Flow::new(&policy);
    let (mut options, input, name) = args.input.open_with(&args.log, &policy.source)?;
    evaluator.narrow(&mut options);
    let reader = EventReader::new(input, &name, 0, &options).map_err(|e| e.to_string())?;
    let mut reader = ReadAhead::new(reader);
    let mut records = 0u64;
    while let Some(record) = reader
        .next_record(&mut evaluator)
        .map_err(|e| e.to_string())?
    {
        records += 1;
        if records % PROGRESS_EVERY == 0 {
            to_stderr!("cxl report: {records} records read");
        }
        match record {
            Record::Event(event) => {
                flow.event(&event, evaluator.names());
                flow.findings(&evaluator.push(event));
            }
            Record::Customer(customer) => evaluator.push_customer(customer),
            Record::Rejected(rejection) => flow.findings(&evaluator.push_rejected(&rejection)),
        }
    }
    let (report, last) = evaluator
        .finish(as_of)
        .map_err(|e| format!("--as-of: {e}"))?;
    flow.findings(&last);
    let flows = flow.finish();
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
    if records >= PROGRESS_EVERY {
        to_stderr!("cxl report: wrote `{}`", args.output);
    }
    Ok(if report.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_UNJUDGED
    })
}

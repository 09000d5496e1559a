//! `cxl eval POLICY LOG`: replay a log on a policy; print the summary and findings,
//! write escalations and rejected records where asked; exit 1 when findings reach
//! `--fail-on`, 3 when the run judged too little to be a verdict. A live stream's
//! watermark moves on whenever its input pauses.

use super::common::{self, LintArgs, Stop, EXIT_FINDINGS, EXIT_OK, EXIT_UNJUDGED};
use super::input::InputArgs;
use super::output::{self, OutputFile, RecordWriter};
use cxl::eval::{
    AlignmentRecord, Alignments, EscalationRecord, EvalOptions, Evaluator, Finding, Level, Output,
    ReadAhead, Report, Retention, RunError, Sharded, Source,
};
use cxl::events::{CustomersReader, EventReader, InputFormat, Record, RejectWriter};
use cxl::report::{self, annotation, TextOptions};
use cxl::Policy;
use jiff::Timestamp;
use std::fs::File;
use std::io::Write;
use std::num::NonZeroUsize;

/// How the result is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalFormat {
    /// Summary and findings grouped by rule, for a person.
    Text,
    /// One JSON report.
    Json,
    /// One finding per line as it is decided, then the summary as the last line.
    Ndjson,
    /// One SARIF 2.1.0 document: a result per finding, at its rule in the policy.
    Sarif,
    /// GitHub Actions workflow commands: an annotation per finding.
    Github,
}

/// Which findings fail the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Red findings.
    Red,
    /// Yellow or red findings.
    Yellow,
    /// Never.
    Never,
}

/// Arguments of `cxl eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The policy: a file, or a directory whose `.cxl` files (recursively) are
    /// one policy.
    policy: String,
    /// The logs: .ndjson/.jsonl/.json, .csv or .xes (optionally .gz), read one
    /// after the other as one input; `-` reads stdin.
    #[arg(required = true, value_name = "LOG")]
    logs: Vec<String>,
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: EvalFormat,
    /// Exit 1 when there are findings at or above this level.
    #[arg(long, value_enum, default_value = "red")]
    fail_on: FailOn,
    /// Judge open deadlines against this time (RFC 3339); default: the latest event time.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// How far out of order a customer's events may arrive and still be put in order
    /// (a duration such as `10m`, `1h`).
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    lateness: String,
    /// Stop at the first record that cannot be read (exit 2).
    #[arg(long)]
    strict: bool,
    /// Write records that could not be read to this file (NDJSON: file, line, reason, raw).
    #[arg(long, value_name = "FILE")]
    reject_file: Option<String>,
    /// Write every escalation to this file, one NDJSON record per notification.
    #[arg(long, value_name = "FILE")]
    escalations: Option<String>,
    /// Write each journey instance's optimal alignment with its path to this
    /// file, one NDJSON record per instance as it ends: cost, fitness and
    /// one optimal sequence of moves.
    #[arg(long, value_name = "FILE", conflicts_with = "no_alignments")]
    alignments: Option<String>,
    /// Compute no alignments: the report leaves out fitness (a little faster).
    #[arg(long)]
    no_alignments: bool,
    /// Customer attributes, NDJSON with a `customer` key.
    #[arg(long, value_name = "FILE")]
    customers: Option<String>,
    /// Show why each finding came out as it did: rule, anchor, deadline, evidence.
    #[arg(long)]
    explain: bool,
    /// How many findings to show per rule in text output.
    #[arg(long, default_value_t = 5)]
    show: usize,
    /// How many evaluators share the customers, each on a thread of its own
    /// (the reading gets another); default: every core for an NDJSON log
    /// (read side by side by every evaluator: wall clock for more CPU), 1 for
    /// XES and CSV (they barely gain yet). The output is the same for every
    /// number. A live stream (a pipe or FIFO) and several logs are read on
    /// one thread.
    #[arg(long, value_name = "N")]
    threads: Option<NonZeroUsize>,
    #[command(flatten)]
    lints: LintArgs,
}

/// Run the evaluation.
pub fn run(args: &EvalArgs) -> u8 {
    evaluate(args).unwrap_or_else(|stop| stop.exit_code())
}

fn evaluate(args: &EvalArgs) -> Result<u8, Stop> {
    let files = common::policy_files(std::slice::from_ref(&args.policy))?;
    if files.is_empty() {
        return Err(Stop::Usage(format!(
            "no `.cxl` file under `{}`",
            args.policy
        )));
    }
    if args.logs.iter().filter(|l| *l == "-").count() > 1 {
        return Err(Stop::Usage("stdin (`-`) can be read once".to_string()));
    }
    let loaded = common::load_policy(&files)?;
    let mut inputs: Vec<(&str, Option<&str>)> = loaded
        .sources
        .files()
        .iter()
        .map(|f| ("the policy", Some(f.name.as_str())))
        .collect();
    inputs.extend(args.logs.iter().map(|l| ("the log", Some(l.as_str()))));
    inputs.push(("--customers", args.customers.as_deref()));
    let [reject_file, escalations_file, alignments_file] = output::plan(
        &inputs,
        [
            ("--reject-file", args.reject_file.as_deref()),
            ("--escalations", args.escalations.as_deref()),
            ("--alignments", args.alignments.as_deref()),
        ],
    )?;
    let policy = match common::compile(&loaded, &args.lints.levels()?) {
        Ok(policy) => policy,
        Err(diagnostics) => {
            common::print_human_files(&diagnostics, &loaded.sources);
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
    // JSON and NDJSON write each finding as it is decided and keep none:
    // their memory does not grow with the log. Text keeps what it shows.
    let retention = match args.format {
        EvalFormat::Text => Retention::PerGroup(args.show.max(1)),
        EvalFormat::Json | EvalFormat::Ndjson => Retention::None,
        // Annotations are rendered from the whole report at the end.
        EvalFormat::Sarif | EvalFormat::Github => Retention::All,
    };
    let alignments = if args.no_alignments {
        Alignments::Off
    } else if args.alignments.is_some() {
        Alignments::Records
    } else {
        Alignments::Summary
    };
    let options = EvalOptions {
        lateness,
        retention,
        alignments,
    };
    let targets = [reject_file, escalations_file, alignments_file];
    // A live stream is judged as it pauses, which one evaluator in step with
    // the reader does; its pace is its producer's, not a core's.
    let live = args.logs.iter().any(|log| output::is_stream(log));
    let threads = match args.threads {
        Some(threads) => threads,
        None => default_threads(args, &policy)?,
    };
    let Evaluated {
        report,
        name,
        input_error,
        mut out,
        streaming,
        files: [rejects, escalations, aligned],
    } = if live || threads.get() == 1 || args.logs.len() > 1 {
        evaluate_here(args, &policy, options, as_of, targets, live)?
    } else {
        evaluate_sharded(args, &policy, options, as_of, targets, threads)?
    };
    // Every escalation went to the file as it fired (no format keeps all).
    // The files are in place before the summary shows on stdout.
    for file in [rejects, escalations, aligned].into_iter().flatten() {
        file.finish()?;
    }
    let rendered = match args.format {
        EvalFormat::Text => {
            let options = TextOptions {
                policy_name: &args.policy,
                log_name: &name,
                explain: args.explain,
                show: args.show,
            };
            report::render_text(&report, &options)
        }
        EvalFormat::Json => streaming.finish_json(&mut out, report.clone())?,
        EvalFormat::Ndjson => report::summary_line(&report).map_err(|e| e.to_string())? + "\n",
        EvalFormat::Sarif | EvalFormat::Github => {
            let files = annotation::FindingFiles {
                policy: &policy.sources,
                log: &name,
            };
            let annotations = annotation::from_findings(&report.findings, files);
            if args.format == EvalFormat::Github {
                report::render_github(&annotations)
            } else {
                let sarif = report::render_sarif(&annotation::finding_rules(), &annotations);
                serde_json::to_string_pretty(&sarif).map_err(|e| e.to_string())? + "\n"
            }
        }
    };
    out.text(&rendered)?;
    out.flush()?;
    if let Some(error) = input_error {
        return Err(Stop::Usage(format!(
            "{error}; {} events were read and evaluated before it",
            report.input.events
        )));
    }
    Ok(exit_code(&report, args.fail_on))
}

/// What an evaluation leaves for its summary: the report, the log's name, an
/// error that stopped reading, and the outputs still open.
struct Evaluated {
    report: Report,
    name: String,
    input_error: Option<String>,
    out: RecordWriter<std::io::StdoutLock<'static>>,
    /// How stdout took the findings (a JSON document still to finish).
    streaming: Streaming,
    /// The reject file and the escalations file, when asked for.
    files: [Option<OutputFile>; 3],
}

/// The output files asked for; a live stream's are written as it goes.
fn open_files(
    targets: [Option<output::Target>; 3],
    live: bool,
) -> Result<[Option<OutputFile>; 3], Stop> {
    let [rejects, escalations, aligned] =
        targets.map(|target| target.map(|t| OutputFile::create(&t, live)).transpose());
    Ok([rejects?, escalations?, aligned?])
}

/// One evaluator on this thread, reading ahead of it: for one thread, and
/// for a live stream, whose watermark moves on when it pauses.
fn evaluate_here(
    args: &EvalArgs,
    policy: &Policy,
    options: EvalOptions,
    as_of: Option<Timestamp>,
    targets: [Option<output::Target>; 3],
    live: bool,
) -> Result<Evaluated, Stop> {
    let mut evaluator = Evaluator::new(policy.program.clone(), options);
    if let Some(path) = &args.customers {
        let mut customers = Vec::new();
        read_customers(evaluator.names_mut(), path, &mut |c| customers.push(c))?;
        customers
            .into_iter()
            .for_each(|c| evaluator.push_customer(c));
    }
    let mut out = RecordWriter::stdout();
    let mut streaming = Streaming::new(args.format)?;
    streaming.open(&mut out)?;
    let mut stream = Stream::new(live);
    let [mut rejects, mut escalations, mut aligned] = open_files(targets, live)?;
    let mut input_error = None;
    let mut names = Vec::new();
    // Several logs are one input, read in the order given; each reader names
    // its own file and counts its own lines.
    for log in &args.logs {
        let (mut read_options, input, name) = args.input.open_with(log, &policy.source)?;
        names.push(name.clone());
        evaluator.narrow(&mut read_options);
        let reader = EventReader::new(input, &name, 0, &read_options).map_err(|e| e.to_string())?;
        let mut reader = ReadAhead::new(reader);
        loop {
            let record = match reader.next_record(&mut evaluator) {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(error) => {
                    input_error = Some(error.to_string());
                    break;
                }
            };
            let mut sink = Sink {
                out: &mut out,
                escalations: escalations.as_mut(),
                streaming: &mut streaming,
            };
            match record {
                Record::Event(event) => {
                    stream.check_order(&evaluator, event.time, &name);
                    let findings = evaluator.push(event);
                    // Streaming output keeps no list of escalations: route them now.
                    sink.emit(findings, &evaluator.take_escalations())?;
                    write_ended_alignments(aligned.as_mut(), &mut evaluator)?;
                }
                Record::Customer(customer) => evaluator.push_customer(customer),
                Record::Rejected(rejection) => {
                    if args.strict {
                        return Err(strict(&rejection));
                    }
                    if let Some(writer) = rejects.as_mut() {
                        writer.record(|line| RejectWriter::new(line).write(&rejection))?;
                    }
                    // A rejected record counts towards the idle sweep, which may
                    // fire escalations: they go out now, as after an event.
                    let findings = evaluator.push_rejected(&rejection);
                    sink.emit(findings, &evaluator.take_escalations())?;
                    write_ended_alignments(aligned.as_mut(), &mut evaluator)?;
                }
            }
            // A live stream has sent all it has: event time has reached its
            // watermark, so what is due before it is decided now, and what it gave
            // so far goes out now, not when the next records come (a file gets
            // here once a refill, and is judged as it comes, never by pauses).
            // The files first: once a finding shows on stdout, its escalation and
            // rejects are written.
            if reader.would_wait() {
                if let Some(watermark) = stream.advance(&evaluator) {
                    let findings = evaluator.advance_to(watermark);
                    sink.emit(findings, &evaluator.take_escalations())?;
                    write_ended_alignments(aligned.as_mut(), &mut evaluator)?;
                }
                if let Some(writer) = escalations.as_mut() {
                    writer.flush()?;
                }
                if let Some(writer) = aligned.as_mut() {
                    writer.flush()?;
                }
                if let Some(writer) = rejects.as_mut() {
                    writer.flush()?;
                }
                out.flush()?;
            }
        }
        if input_error.is_some() {
            break;
        }
    }
    let name = names.join(", ");
    let finished = evaluator
        .finish_all(as_of)
        .map_err(|e| format!("--as-of: {e}"))?;
    let (report, last, fresh) = (finished.report, finished.findings, finished.escalations);
    write_alignments(aligned.as_mut(), &finished.alignments)?;
    let mut sink = Sink {
        out: &mut out,
        escalations: escalations.as_mut(),
        streaming: &mut streaming,
    };
    // Every escalation went to the file as it fired (no format keeps all).
    sink.emit(last, &fresh)?;
    Ok(Evaluated {
        report,
        name,
        input_error,
        out,
        streaming,
        files: [rejects, escalations, aligned],
    })
}

/// Without `--threads`: every core for an NDJSON log, where evaluators read
/// side by side and a second core saves wall clock (0.7 of one's on 10 M
/// events, at 1.4 times the CPU); one for XES and CSV, which one reader hands
/// on and where more evaluators barely pay.
fn default_threads(args: &EvalArgs, policy: &Policy) -> Result<NonZeroUsize, Stop> {
    let log = args.logs.first().map_or("-", String::as_str);
    Ok(match args.input.format_of(log, &policy.source)? {
        InputFormat::Ndjson => std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
        InputFormat::Csv | InputFormat::Xes => NonZeroUsize::MIN,
    })
}

/// `threads` evaluators, each with a share of the customers, and the reader
/// on a thread of its own: the same output as [`evaluate_here`].
fn evaluate_sharded(
    args: &EvalArgs,
    policy: &Policy,
    options: EvalOptions,
    as_of: Option<Timestamp>,
    targets: [Option<output::Target>; 3],
    threads: NonZeroUsize,
) -> Result<Evaluated, Stop> {
    let mut sharded = Sharded::new(policy, options, threads);
    if let Some(path) = &args.customers {
        let mut customers = Vec::new();
        read_customers(sharded.names_mut(), path, &mut |c| customers.push(c))?;
        customers.into_iter().for_each(|c| sharded.push_customer(c));
    }
    let mut out = RecordWriter::stdout();
    let mut streaming = Streaming::new(args.format)?;
    streaming.open(&mut out)?;
    let log = args.logs.first().map_or("-", String::as_str);
    let (mut read_options, input, name) = args.input.open_with(log, &policy.source)?;
    sharded.narrow(&mut read_options);
    let [mut rejects, mut escalations, mut aligned] = open_files(targets, false)?;
    let source = Source {
        input,
        name: name.clone(),
        options: read_options,
    };
    let outcome = sharded.run(source, as_of, args.strict, |output| match output {
        Output::Rejected(rejection) => match rejects.as_mut() {
            Some(writer) => writer.record(|line| RejectWriter::new(line).write(rejection)),
            None => Ok(()),
        }
        .map_err(Stop::from),
        Output::Decided(findings, fired) => Sink {
            out: &mut out,
            escalations: escalations.as_mut(),
            streaming: &mut streaming,
        }
        .emit(findings, &fired),
        Output::Aligned(records) => write_alignments(aligned.as_mut(), &records),
    });
    let outcome = outcome.map_err(|error| match error {
        RunError::Output(stop) => stop,
        RunError::Strict(rejection) => strict(&rejection),
        RunError::Open(error) => Stop::Usage(error.to_string()),
        RunError::AsOf(error) => Stop::Usage(format!("--as-of: {error}")),
        RunError::Thread => Stop::Usage(error.to_string()),
    })?;
    Ok(Evaluated {
        report: outcome.report,
        name,
        input_error: outcome.input_error.map(|e| e.to_string()),
        out,
        streaming,
        files: [rejects, escalations, aligned],
    })
}

/// A rejected record stops a `--strict` run.
fn strict(rejection: &cxl::events::Rejection) -> Stop {
    Stop::Usage(format!("{rejection} (--strict)"))
}

/// Read a customers file, interning into `names` and handing each customer on.
fn read_customers(
    names: &mut cxl::events::Names,
    path: &str,
    push: &mut dyn FnMut(cxl::events::Customer),
) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    let mut reader = CustomersReader::new(
        std::io::BufReader::new(file),
        path.to_string(),
        1,
        "customer",
    );
    while let Some(record) = reader.next_record(names).map_err(|e| e.to_string())? {
        match record {
            Record::Customer(customer) => push(customer),
            Record::Rejected(rejection) => return Err(format!("{rejection}")),
            Record::Event(_) => {}
        }
    }
    Ok(())
}

/// Where findings and escalations go as they are decided: with `--format
/// ndjson`, one line each on stdout; with `--format json`, the findings into
/// the document's `findings` array on stdout and the escalations, until that
/// array is closed, to a temporary file; escalations also to the
/// `--escalations` file.
struct Sink<'a, W: Write> {
    out: &'a mut RecordWriter<W>,
    escalations: Option<&'a mut OutputFile>,
    streaming: &'a mut Streaming,
}

/// How stdout takes findings and escalations as they are decided.
enum Streaming {
    /// Not at all: text, SARIF and GitHub annotations show what the report
    /// kept.
    No,
    /// One NDJSON line each.
    Ndjson,
    /// Into a `--format json` document (see [`report::JSON_OPEN`]).
    Json(JsonDocument),
}

/// What a `--format json` document being written has had so far.
struct JsonDocument {
    findings: u64,
    escalations: u64,
    /// The `escalations` array's items, held in a temporary file (not in
    /// memory) until the `findings` array is closed.
    held: std::io::BufWriter<File>,
}

impl Streaming {
    fn new(format: EvalFormat) -> Result<Streaming, Stop> {
        Ok(match format {
            EvalFormat::Text | EvalFormat::Sarif | EvalFormat::Github => Streaming::No,
            EvalFormat::Ndjson => Streaming::Ndjson,
            EvalFormat::Json => {
                let held = tempfile::tempfile()
                    .map_err(|e| format!("cannot make a temporary file: {e}"))?;
                Streaming::Json(JsonDocument {
                    findings: 0,
                    escalations: 0,
                    held: std::io::BufWriter::new(held),
                })
            }
        })
    }

    /// Begin the `--format json` document on `out` (nothing for the others).
    fn open<W: Write>(&self, out: &mut RecordWriter<W>) -> Result<(), Stop> {
        if let Streaming::Json(_) = self {
            out.text(report::JSON_OPEN)?;
        }
        Ok(())
    }

    /// The rest of a `--format json` document, from the end of its
    /// `findings`: the escalations held, then the summary. Every finding and
    /// escalation is in the document, so none counts as not kept.
    fn finish_json<W: Write>(
        self,
        out: &mut RecordWriter<W>,
        mut report: Report,
    ) -> Result<String, Stop> {
        let Streaming::Json(doc) = self else {
            return Ok(String::new());
        };
        out.text(report::json_array_end(doc.findings))?;
        out.text(report::JSON_ESCALATIONS)?;
        let failed = |e: std::io::Error| format!("cannot read back a temporary file: {e}");
        let mut held = doc.held.into_inner().map_err(|e| failed(e.into_error()))?;
        use std::io::{BufRead, Seek};
        held.rewind().map_err(failed)?;
        let mut held = std::io::BufReader::new(held);
        let mut line = String::new();
        while held.read_line(&mut line).map_err(failed)? > 0 {
            out.text(&line)?;
            line.clear();
        }
        out.text(report::json_array_end(doc.escalations))?;
        report.findings_not_kept = 0;
        Ok(report::json_summary(&report).map_err(|e| e.to_string())?)
    }
}

impl<W: Write> Sink<'_, W> {
    /// Findings, then the escalations they set off. (Most events decide
    /// nothing: that case costs a test, not a call.)
    #[inline]
    fn emit(&mut self, findings: Vec<Finding>, fired: &[EscalationRecord]) -> Result<(), Stop> {
        if findings.is_empty() && fired.is_empty() {
            return Ok(());
        }
        self.write(findings, fired)
    }

    #[inline(never)]
    fn write(&mut self, findings: Vec<Finding>, fired: &[EscalationRecord]) -> Result<(), Stop> {
        match self.streaming {
            Streaming::No => {}
            Streaming::Ndjson => {
                for f in findings {
                    self.out
                        .line(&serde_json::to_string(&f).map_err(|e| e.to_string())?)?;
                }
                for record in fired {
                    self.out
                        .line(&report::escalation_line(record).map_err(|e| e.to_string())?)?;
                }
            }
            Streaming::Json(doc) => {
                for f in findings {
                    let item = report::json_item(&f, doc.findings == 0);
                    self.out.text(&item.map_err(|e| e.to_string())?)?;
                    doc.findings += 1;
                }
                for record in fired {
                    let item = report::json_item(record, doc.escalations == 0);
                    // Held apart as it will be printed, separator included.
                    let item = item.map_err(|e| e.to_string())?;
                    doc.held
                        .write_all(item.as_bytes())
                        .map_err(|e| format!("cannot write a temporary file: {e}"))?;
                    doc.escalations += 1;
                }
            }
        }
        write_escalations(self.escalations.as_deref_mut(), fired)
    }
}

/// A live stream's watermark, which moves on when the stream pauses.
///
/// Only a pipe, a FIFO or a terminal is live ([`output::is_stream`]): a regular file is finished, and is
/// judged at its end, so its result never depends on where reads happen to
/// pause. A stream that turns out not to be in event-time order (a log
/// grouped by customer, piped in) stops being treated as live: there the
/// watermark would fire deadlines before a customer's own later events came.
struct Stream {
    on: bool,
    /// The watermark last advanced to.
    advanced: Option<Timestamp>,
    events: u64,
    /// Events that came behind the watermark.
    behind: u64,
}

/// A stream counts as out of event-time order once more than this many events,
/// and more than 1% of them, came behind the watermark: late events are
/// expected now and then on a live stream (each is a `late_event`), not in
/// every customer's records.
const BEHIND_ALLOWED: u64 = 10;

impl Stream {
    fn new(on: bool) -> Stream {
        Stream {
            on,
            advanced: None,
            events: 0,
            behind: 0,
        }
    }

    /// Count an event about to be pushed; stop treating the stream as live
    /// when too many come behind the watermark (see [`BEHIND_ALLOWED`]).
    fn check_order(&mut self, evaluator: &Evaluator, time: Timestamp, name: &str) {
        if !self.on {
            return;
        }
        self.events += 1;
        if evaluator.watermark().is_some_and(|w| time < w) {
            self.behind += 1;
            if self.behind > BEHIND_ALLOWED && self.behind * 100 > self.events {
                self.on = false;
                to_stderr!(
                    "note: `{name}` is not in event-time order ({} of {} events came more than \
                     the lateness window late): deadlines are judged as its records come, not as \
                     it pauses",
                    self.behind,
                    self.events
                );
            }
        }
    }

    /// The watermark to advance to, when the stream is live and it moved on.
    fn advance(&mut self, evaluator: &Evaluator) -> Option<Timestamp> {
        let watermark = evaluator.watermark().filter(|_| self.on)?;
        if self.advanced.is_some_and(|a| a >= watermark) {
            return None;
        }
        self.advanced = Some(watermark);
        Some(watermark)
    }
}

/// One NDJSON line per escalation record, when an escalations file was asked for.
fn write_escalations(
    out: Option<&mut OutputFile>,
    records: &[EscalationRecord],
) -> Result<(), Stop> {
    let Some(out) = out else { return Ok(()) };
    for record in records {
        out.line(&serde_json::to_string(record).map_err(|e| e.to_string())?)?;
    }
    Ok(())
}

/// Write alignment records to the `--alignments` file, if there is one.
/// The alignment records of the instances that ended since the last call,
/// taken from `evaluator` only when there is a file for them (after every
/// record, so a run without `--alignments` pays no call).
fn write_ended_alignments(
    out: Option<&mut OutputFile>,
    evaluator: &mut Evaluator,
) -> Result<(), Stop> {
    match out {
        Some(out) => write_alignments(Some(out), &evaluator.take_alignments()),
        None => Ok(()),
    }
}

fn write_alignments(out: Option<&mut OutputFile>, records: &[AlignmentRecord]) -> Result<(), Stop> {
    let Some(out) = out else { return Ok(()) };
    for record in records {
        out.line(&serde_json::to_string(record).map_err(|e| e.to_string())?)?;
    }
    Ok(())
}

/// 3 when the run judged too little to be read as a verdict (see
/// [`Report::problems`]), whatever `--fail-on` says; else 1 on findings at or
/// above `--fail-on`.
fn exit_code(report: &Report, fail_on: FailOn) -> u8 {
    if !report.problems.is_empty() {
        return EXIT_UNJUDGED;
    }
    let threshold = match fail_on {
        FailOn::Red => Level::Red,
        FailOn::Yellow => Level::Yellow,
        FailOn::Never => return EXIT_OK,
    };
    if report.worst().is_some_and(|worst| worst >= threshold) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `cxl eval` as a parser of its own, to read its flags in a test.
    #[derive(Parser)]
    struct Eval {
        #[command(flatten)]
        args: EvalArgs,
    }

    fn threads(argv: &[&str]) -> Result<usize, Stop> {
        let policy = Policy::compile("use std/cx\njourney j { goal a step a { } path a }")
            .map_err(|_| Stop::Usage("the test policy compiles".into()))?;
        let eval = Eval::try_parse_from(std::iter::once("eval").chain(argv.iter().copied()))
            .map_err(|e| Stop::Usage(e.to_string()))?;
        default_threads(&eval.args, &policy).map(NonZeroUsize::get)
    }

    #[test]
    fn an_ndjson_log_gets_every_core_and_xes_or_csv_one() -> Result<(), Stop> {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        assert_eq!(threads(&["p.cxl", "log.ndjson"])?, cores);
        assert_eq!(threads(&["p.cxl", "-"])?, cores, "stdin is NDJSON");
        assert_eq!(threads(&["p.cxl", "log.xes.gz"])?, 1);
        assert_eq!(threads(&["p.cxl", "log.csv"])?, 1);
        let named = ["p.cxl", "log.txt", "--input-format", "csv"];
        assert_eq!(threads(&named)?, 1, "the flag names the format");
        Ok(())
    }
}

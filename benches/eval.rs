//! The speed benchmark: `cargo bench --bench eval`.
//!
//! Generates a log of simulated claims (examples/claims.cxl when present, else
//! the design sketch) with 5% deviations and reports, single-threaded:
//! (a) the floor: bare serde_json parsing of its lines into a small borrowed
//! struct; (b) end to end: `EventReader` + `Evaluator` from the file, events/s,
//! as `cxl eval` runs them (same allocator, reader keeping only the attributes
//! the policy reads); (c) the evaluator alone, on events read into memory first
//! (pushed one by one, without `ReadAhead`'s cache hints, so on a busy host it
//! can take longer than (b));
//! (d) peak RSS of an evaluation of 1M and of 10M events with the same
//! number of customers in flight, each in a child process reading the log on
//! stdin, fed by the simulator in this process (so the simulator's memory is
//! not counted, and no 10M-line file is written): the library (a child of
//! this binary, its VmHWM), then `cxl eval` with `--format text`, `json` and
//! `ndjson` (the binary under GNU `/usr/bin/time`). Memory should grow with
//! customers in flight, not with the log: within 2 MiB from 1M to 10M.
//!
//! (a) to (c) run in turn five times (`CXL_BENCH_REPEAT`), each reported by
//! its best and median run, as a shared machine is noisy; so is the ratio of
//! (b) to the (a) run just before it, round by round.
//!
//! Environment: `CXL_BENCH_EVENTS` (default 1000000) sizes (a) to (c);
//! `CXL_BENCH_FILE` uses a log made earlier (`cxl simulate`) instead;
//! `CXL_BENCH_RSS` (default `1000000,10000000`) lists the RSS runs, empty to
//! skip; `CXL_BENCH_ONLY=end_to_end|evaluator|reader` runs one part, for
//! profiling (`reader`: the `EventReader` alone, every record dropped;
//! `rss`: (d) alone, without generating the log of (a) to (c)), after
//! the 4 MB latency (below) with `CXL_BENCH_LATENCY=1`;
//! `CXL_BENCH_NEIGHBOUR=64` runs a noisy neighbour while it measures: a child
//! process that reads and writes 64 MB at random, to see the figures of a
//! busy host (whose other machines keep the shared cache full) on demand.
//!
//! `CXL_BENCH_ONLY=threads` compares `cxl eval --threads 2` with `--threads 1`
//! on the log instead (`CXL_BENCH_EVENTS=10000000` for the figure):
//! one [`Evaluator`] reading ahead on this thread against a [`Sharded`] run of
//! two evaluators with the reader on a thread of its own, alternated
//! `CXL_BENCH_REPEAT` times, each by wall clock and CPU time (the process's,
//! from /proc/self/stat), with the load average before; the reports must be
//! equal.
//!
//! Before and after the rounds it reports the host's memory latency (random
//! dependent loads over 512 KB, 4 MB and 64 MB), and before each (b) the
//! latency over 4 MB, printed beside that round's (b): the evaluator waits on
//! memory, so these say whether the figures were taken on a quiet host or a
//! busy one (see docs/architecture.md §5). A last line sums (b) up apart for
//! the rounds after a quiet reading (under 50 ns) and after a busy one (over
//! 100 ns).

use cxl::eval::{EvalOptions, Evaluator, ReadAhead, Retention, Sharded, Source};
use cxl::events::{EventReader, InputFormat, ReadOptions, Record};
use cxl::simulate::{write, SimOptions, Simulator, Stream};
use cxl::Policy;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The same allocator as the `cxl` binary, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Customers in flight in every run.
const CONCURRENCY: usize = 2000;
/// The child-process marker: `CXL_BENCH_CHILD=1` runs one RSS measurement on stdin.
const CHILD: &str = "CXL_BENCH_CHILD";
/// The noisy neighbour's marker: `CXL_BENCH_NEIGHBOUR_CHILD=MB` runs one.
const NEIGHBOUR_CHILD: &str = "CXL_BENCH_NEIGHBOUR_CHILD";

fn policy_text() -> (String, &'static str) {
    for path in [
        "examples/claims.cxl",
        "tests/fixtures/valid/design_sketch.cxl",
    ] {
        if let Ok(text) = std::fs::read_to_string(path) {
            return (text, path);
        }
    }
    panic!("run from the package root: no policy found");
}

fn sim_options(customers: u64) -> SimOptions {
    SimOptions {
        customers,
        seed: 42,
        deviation_rate: 0.05,
        concurrency: CONCURRENCY,
        stagger: 30,
        ..SimOptions::default()
    }
}

/// Roughly how many customers make `events` events (measured on a sample).
fn customers_for(sim_policy: &Policy, events: u64) -> u64 {
    let sim = Simulator::new(sim_policy, sim_options(2000)).expect("a simulator");
    let sample = sim.stream().count() as f64 / 2000.0;
    ((events as f64 / sample).ceil() as u64).max(1)
}

/// The simulated log as NDJSON bytes on demand: a `Read` over a stream.
struct SimReader {
    stream: Stream<'static, 'static>,
    buf: Vec<u8>,
    pos: usize,
    left: u64,
}

impl Read for SimReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            for _ in 0..256 {
                if self.left == 0 {
                    break;
                }
                match self.stream.next() {
                    Some(e) => write::ndjson_line(&mut self.buf, &e)?,
                    None => break,
                }
                self.left -= 1;
            }
            if self.buf.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// An evaluator as a pipeline runs it (no findings kept), and NDJSON read
/// options keeping only the attributes its policy reads, as `cxl eval` does.
fn streaming(policy: &Policy) -> (Evaluator, ReadOptions) {
    let evaluator = Evaluator::new(
        policy.program.clone(),
        EvalOptions {
            retention: Retention::None,
            ..EvalOptions::default()
        },
    );
    let mut options = ReadOptions::new(InputFormat::Ndjson);
    evaluator.narrow(&mut options);
    (evaluator, options)
}

/// Evaluate a log: (records read, findings, interned names at the end).
fn evaluate(policy: &Policy, input: impl Read + 'static, name: &str) -> (u64, u64, usize) {
    let (mut evaluator, options) = streaming(policy);
    let reader = EventReader::new(input, name, 0, &options).expect("a reader");
    let mut reader = ReadAhead::new(reader);
    let mut findings = 0u64;
    while let Some(record) = reader.next_record(&mut evaluator).expect("readable") {
        findings += match record {
            Record::Event(e) => {
                let n = evaluator.push(e).len() as u64;
                // A pipeline routes escalations as they come; nothing piles up.
                drop(evaluator.take_escalations());
                n
            }
            Record::Customer(c) => {
                evaluator.push_customer(c);
                0
            }
            Record::Rejected(r) => evaluator.push_rejected(&r).len() as u64,
        };
    }
    let stats = reader.stats();
    let symbols = evaluator.names().words.len() + evaluator.names().customers.len();
    let (report, last) = evaluator.finish(None).expect("no as-of, no error");
    findings += last.len() as u64;
    assert_eq!(report.input.events + stats.rejected, stats.read);
    (stats.read, findings, symbols)
}

/// The evaluator's share: every record read into memory first, then only
/// `push` and `finish` timed. Returns (events pushed, seconds).
fn evaluate_in_memory(policy: &Policy, path: &std::path::Path) -> (u64, f64) {
    let (mut evaluator, options) = streaming(policy);
    let file = std::fs::File::open(path).expect("readable");
    let mut reader = EventReader::new(file, "bench.ndjson", 0, &options).expect("a reader");
    let mut records = Vec::new();
    while let Some(record) = reader.next_record(evaluator.names_mut()).expect("readable") {
        records.push(record);
    }
    let start = Instant::now();
    let mut pushed = 0u64;
    for record in records {
        match record {
            Record::Event(e) => {
                pushed += 1;
                drop(evaluator.push(e));
                drop(evaluator.take_escalations());
            }
            Record::Customer(c) => evaluator.push_customer(c),
            Record::Rejected(r) => drop(evaluator.push_rejected(&r)),
        }
    }
    drop(evaluator.finish(None));
    (pushed, start.elapsed().as_secs_f64())
}

/// The reader's share: every record read, and dropped (with the evaluator's
/// names and attribute filter, as `cxl eval` reads). Returns (records, seconds).
fn read_only(policy: &Policy, path: &std::path::Path) -> (u64, f64) {
    let (mut evaluator, options) = streaming(policy);
    let start = Instant::now();
    let file = std::fs::File::open(path).expect("readable");
    let mut reader = EventReader::new(file, "bench.ndjson", 0, &options).expect("a reader");
    let mut read = 0u64;
    while let Some(record) = reader.next_record(evaluator.names_mut()).expect("readable") {
        read += 1;
        drop(record);
    }
    (read, start.elapsed().as_secs_f64())
}

fn count_lines(path: &std::path::Path) -> u64 {
    let file = BufReader::new(std::fs::File::open(path).expect("readable"));
    file.lines().count() as u64
}

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
        .unwrap_or_else(|| "n/a".to_string())
}

/// One RSS measurement in this (child) process: the log comes on stdin, so the
/// simulator that makes it (in the parent) is not counted.
fn child() {
    let (text, _) = policy_text();
    let policy: &'static Policy = Box::leak(Box::new(Policy::compile(&text).expect("compiles")));
    let before = status("VmRSS:");
    let start = Instant::now();
    let (read, _, symbols) = evaluate(policy, std::io::stdin(), "stdin");
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{read}\t{symbols}\t{before}\t{}\t{secs:.1}",
        status("VmHWM:")
    );
}

/// What a peak-RSS run measures: the library in a child of this binary
/// (`Evaluator` with `Retention::None`, as a pipeline embeds it), or the `cxl`
/// binary itself with one `--format`.
#[derive(Clone, Copy)]
enum RssTarget {
    Library,
    Cli(&'static str),
}

/// Feed `events` simulated events to a child process that evaluates them and
/// reports its peak RSS; returns its tab-separated line (records read,
/// interned names, RSS before, peak RSS, seconds) and the customers.
///
/// The `cxl` binary is run under `/usr/bin/time -f %M` (GNU time), which
/// reports the child's peak RSS as the kernel counted it (`ru_maxrss`), so the
/// whole run is seen, rendering the report at the end included; its stdout
/// goes to /dev/null. Its log comes on stdin, a pipe, so it runs as on a live
/// stream (see docs/language.md), as a pipeline feeding it would.
fn measure_rss(
    policy: &'static Policy,
    policy_path: &str,
    events: u64,
    target: RssTarget,
) -> Result<(String, u64), String> {
    let customers = customers_for(policy, events);
    let sim: &'static Simulator<'static> = Box::leak(Box::new(
        Simulator::new(policy, sim_options(customers)).map_err(|e| format!("{e:?}"))?,
    ));
    let mut command = match target {
        RssTarget::Library => {
            let mut c = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
            c.env(CHILD, "1").stdout(Stdio::piped());
            c
        }
        RssTarget::Cli(format) => {
            let mut c = Command::new("/usr/bin/time");
            c.args([
                "-f",
                "%M",
                env!("CARGO_BIN_EXE_cxl"),
                "eval",
                policy_path,
                "-",
            ])
            .args(["--format", format])
            .stdout(Stdio::null());
            c
        }
    };
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut input = child.stdin.take().ok_or("no stdin")?;
    let mut reader = SimReader {
        stream: sim.stream(),
        buf: Vec::new(),
        pos: 0,
        left: events,
    };
    std::io::copy(&mut reader, &mut input).map_err(|e| e.to_string())?;
    drop(input);
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = match target {
        RssTarget::Library if out.status.success() => {
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        }
        // `cxl eval` exits 1 on findings; GNU time passes the code on, and
        // prints the peak (KiB) as the last line of stderr.
        RssTarget::Cli(_) if matches!(out.status.code(), Some(0 | 1)) => {
            let kib = stderr.lines().last().unwrap_or("").trim();
            format!("-\t-\t-\t{kib} kB\t{secs:.1}")
        }
        _ => return Err(stderr.trim().to_string()),
    };
    Ok((line, customers))
}

fn generate(policy: &Policy, events: u64, path: &std::path::Path) -> u64 {
    let sim =
        Simulator::new(policy, sim_options(customers_for(policy, events))).expect("a simulator");
    let mut out = BufWriter::new(std::fs::File::create(path).expect("a temp file"));
    let mut n = 0;
    for e in sim.stream().take(events as usize) {
        write::ndjson_line(&mut out, &e).expect("writable");
        n += 1;
    }
    out.flush().expect("writable");
    n
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Line<'a> {
    customer: &'a str,
    step: &'a str,
    time: &'a str,
    #[serde(default)]
    channel: Option<&'a str>,
}

fn floor(path: &std::path::Path) -> (u64, f64) {
    let start = Instant::now();
    let mut reader =
        BufReader::with_capacity(1 << 16, std::fs::File::open(path).expect("readable"));
    let mut line = String::new();
    let mut parsed = 0u64;
    while reader.read_line(&mut line).expect("readable") > 0 {
        if serde_json::from_str::<Line<'_>>(line.trim_end()).is_ok() {
            parsed += 1;
        }
        line.clear();
    }
    (parsed, start.elapsed().as_secs_f64())
}

/// Under `cargo test --all-targets` (no `--bench` flag) the bench checks on a
/// small simulated log that the floor and the evaluator read every event, and says
/// so in one closing line.
fn smoke() {
    let (text, _) = policy_text();
    let policy = Policy::compile(&text).expect("the policy compiles");
    let path = std::env::temp_dir().join(format!("cxl-bench-smoke-{}.ndjson", std::process::id()));
    let written = generate(&policy, 5_000, &path);
    let (parsed, _) = floor(&path);
    let file = std::fs::File::open(&path).expect("readable");
    let (read, _, _) = evaluate(&policy, file, "smoke.ndjson");
    assert!(evaluate_on(&policy, &path, 1) == evaluate_on(&policy, &path, 2));
    let _ = std::fs::remove_file(&path);
    // cxl reads every line; the borrowed floor struct skips the few with escapes.
    assert_eq!(read, written, "cxl reads every simulated event");
    assert!(
        parsed * 100 >= written * 99,
        "the floor parsed {parsed} of {written}"
    );
    println!("eval: 1 passed, 0 failed");
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    if let Some(mb) = std::env::var(NEIGHBOUR_CHILD)
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return neighbour(mb);
    }
    if !std::env::args().any(|a| a == "--bench") {
        return smoke();
    }
    let events: u64 = std::env::var("CXL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (text, policy_path) = policy_text();
    let policy = Policy::compile(&text).expect("the policy compiles");
    if std::env::var("CXL_BENCH_ONLY").as_deref() == Ok("rss") {
        return peak_rss(policy, policy_path);
    }
    // `CXL_BENCH_FILE` reuses a log made earlier (by `cxl simulate`), and keeps it.
    let given = std::env::var_os("CXL_BENCH_FILE").map(std::path::PathBuf::from);
    let path = given.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("cxl-bench-{}.ndjson", std::process::id()))
    });
    let start = Instant::now();
    let written = match &given {
        Some(_) => count_lines(&path),
        None => generate(&policy, events, &path),
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "policy {policy_path}; {written} events ({:.0} MB) simulated in {:.1}s, {CONCURRENCY} customers in flight",
        size as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let _neighbour = std::env::var("CXL_BENCH_NEIGHBOUR")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map(Neighbour::start);
    // For profiling one part: `CXL_BENCH_ONLY=evaluator`, `end_to_end` or `reader`;
    // with `CXL_BENCH_LATENCY=1`, after the shared cache's latency, so that
    // alternated runs of two builds can be compared on alike spells.
    if std::env::var_os("CXL_BENCH_ONLY").is_some()
        && std::env::var_os("CXL_BENCH_LATENCY").is_some()
    {
        println!("4 MB latency before: {:.0} ns", latency_ns(4 << 20));
    }
    let part = match std::env::var("CXL_BENCH_ONLY").as_deref() {
        Ok("evaluator") => Some(("evaluator alone", evaluate_in_memory(&policy, &path))),
        Ok("reader") => Some(("reader alone", read_only(&policy, &path))),
        Ok("threads") => return threads(&policy, &path, given.is_none()),
        Ok("end_to_end") => {
            let start = Instant::now();
            let file = std::fs::File::open(&path).expect("readable");
            let (n, _, _) = evaluate(&policy, file, "bench.ndjson");
            Some(("end to end", (n, start.elapsed().as_secs_f64())))
        }
        _ => None,
    };
    if let Some((name, (n, secs))) = part {
        println!("{name}: {n} events in {secs:.2}s, {:.0}/s", n as f64 / secs);
        return;
    }
    // A shared machine is noisy: (a) to (c) run in turn `CXL_BENCH_REPEAT`
    // times (default 5), so each is seen in the same spells as the others,
    // and each is reported by its best and its median run.
    let repeat: usize = std::env::var("CXL_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let latency_before = host_latency();
    let mut seconds: [Vec<f64>; 3] = Default::default();
    // The shared cache's latency just before each (b), to read beside it.
    let mut shared_ns = Vec::with_capacity(repeat);
    let (mut parsed, mut read, mut findings, mut in_memory) = (0, 0, 0, 0);
    for _ in 0..repeat {
        let (n, secs) = floor(&path);
        parsed = n;
        seconds[0].push(secs);
        shared_ns.push(latency_ns(4 << 20));
        let start = Instant::now();
        let file = std::fs::File::open(&path).expect("readable");
        (read, findings, _) = evaluate(&policy, file, "bench.ndjson");
        seconds[1].push(start.elapsed().as_secs_f64());
        let (n, secs) = evaluate_in_memory(&policy, &path);
        in_memory = n;
        seconds[2].push(secs);
    }
    if given.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    println!();
    println!("{repeat} runs of each, in turn:");
    println!();
    println!("| measure | events | best s | median s | best events/s | median events/s |");
    println!("|---|---|---|---|---|---|");
    let measures = [
        ("(a) serde_json floor, borrowed struct", parsed),
        ("(b) EventReader + Evaluator, end to end", read),
        (
            "(c) Evaluator alone, events read into memory first",
            in_memory,
        ),
    ];
    let rounds: Vec<String> = shared_ns
        .iter()
        .zip(&seconds[1])
        .map(|(ns, b)| format!("{ns:.0} ns {b:.3} s"))
        .collect();
    let classes = by_host(&shared_ns, &seconds[1], read);
    // Each round's (b) beside the (a) run just before it: a busy machine slows
    // both, so the pair's ratio varies less than either alone.
    let mut ratios: Vec<f64> = seconds[0]
        .iter()
        .zip(&seconds[1])
        .map(|(a, b)| (read as f64 / b) / (parsed as f64 / a))
        .collect();
    ratios.sort_by(|x, y| y.total_cmp(x));
    for ((name, events), secs) in measures.into_iter().zip(&mut seconds) {
        secs.sort_by(f64::total_cmp);
        let (best, median) = (secs[0], secs[secs.len() / 2]);
        println!(
            "| {name} | {events} | {best:.3} | {median:.3} | {:.0} | {:.0} |",
            events as f64 / best,
            events as f64 / median
        );
    }
    println!(
        "(b) ÷ (a) in events/s, round by round: best {:.2}, median {:.2}",
        ratios[0],
        ratios[ratios.len() / 2]
    );
    println!("(b) found {findings} findings");
    println!(
        "(b) round by round, after the latency of random loads over 4 MB: {}",
        rounds.join(", ")
    );
    println!("(b) by the host's state before the round: {classes}");
    println!(
        "host memory latency, random loads over 512 KB / 4 MB / 64 MB: {latency_before} before, {} after",
        host_latency()
    );
    peak_rss(policy, policy_path);
}

/// (d): peak RSS at each size of `CXL_BENCH_RSS`, of the library and of `cxl
/// eval` with each output format, all with the same customers in flight.
fn peak_rss(policy: Policy, policy_path: &str) {
    let runs = std::env::var("CXL_BENCH_RSS").unwrap_or_else(|_| "1000000,10000000".to_string());
    let runs: Vec<u64> = runs
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    if runs.is_empty() {
        return;
    }
    println!();
    println!(
        "| (d) peak RSS | events | customers | interned names | RSS before | peak RSS (VmHWM) | seconds |"
    );
    println!("|---|---|---|---|---|---|---|");
    let policy: &'static Policy = Box::leak(Box::new(policy));
    let targets = [
        ("library", RssTarget::Library),
        ("cxl eval --format text", RssTarget::Cli("text")),
        ("cxl eval --format json", RssTarget::Cli("json")),
        ("cxl eval --format ndjson", RssTarget::Cli("ndjson")),
    ];
    for (what, target) in targets {
        for &n in &runs {
            match measure_rss(policy, policy_path, n, target) {
                Ok((line, customers)) => {
                    let cells: Vec<&str> = line.split('\t').collect();
                    if let [read, symbols, before, peak, secs] = cells[..] {
                        println!(
                            "| {what}, {n} events, {CONCURRENCY} in flight | {read} | {customers} | {symbols} | {before} | {peak} | {secs} |"
                        );
                    } else {
                        println!("| {what}, {n} | unexpected: {line} |");
                    }
                }
                Err(e) => println!("| {what}, {n} | failed: {e} |"),
            }
        }
    }
}

/// (b)'s rounds summed up by how busy the host was just before each: quiet
/// when random loads over 4 MB took under 50 ns (the shared cache answered
/// them), busy over 100 ns (memory did), as "quiet: n rounds, best / median
/// events/s; busy: ...". The rounds between are counted in neither.
/// `--threads 1` against `--threads 2` (see the top of the file), alternated.
fn threads(policy: &Policy, path: &std::path::Path, remove: bool) {
    let repeat: usize = std::env::var("CXL_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut runs: [Vec<(f64, f64)>; 2] = Default::default();
    let mut reports: [String; 2] = Default::default();
    for round in 0..repeat {
        for (i, threads) in [1usize, 2].into_iter().enumerate() {
            let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
            let (cpu, start) = (cpu_seconds(), Instant::now());
            let report = evaluate_on(policy, path, threads);
            let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
            println!(
                "round {round}: --threads {threads}: {wall:.2}s wall, {cpu:.2}s CPU (load before: {})",
                load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            );
            runs[i].push((wall, cpu));
            reports[i] = report;
        }
    }
    assert!(reports[0] == reports[1], "one thread and two differ");
    let median = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    let (w1, w2) = (median(&runs[0], |r| r.0), median(&runs[1], |r| r.0));
    let (c1, c2) = (median(&runs[0], |r| r.1), median(&runs[1], |r| r.1));
    println!(
        "median: --threads 1 {w1:.2}s wall {c1:.2}s CPU; --threads 2 {w2:.2}s wall {c2:.2}s CPU; \
         speed-up {:.2}x, reports equal",
        w1 / w2
    );
    if remove {
        let _ = std::fs::remove_file(path);
    }
}

/// Evaluate the log as `cxl eval --threads N --format text` does; the report as JSON.
fn evaluate_on(policy: &Policy, path: &std::path::Path, threads: usize) -> String {
    let options = EvalOptions {
        retention: Retention::PerGroup(5),
        ..EvalOptions::default()
    };
    let mut read = ReadOptions::new(InputFormat::Ndjson);
    let report = match std::num::NonZeroUsize::new(threads).filter(|n| n.get() > 1) {
        None => {
            let mut evaluator = Evaluator::new(policy.program.clone(), options);
            evaluator.narrow(&mut read);
            let file = std::fs::File::open(path).expect("readable");
            let reader = EventReader::new(file, "bench.ndjson", 0, &read).expect("a reader");
            let mut reader = ReadAhead::new(reader);
            while let Some(record) = reader.next_record(&mut evaluator).expect("readable") {
                match record {
                    Record::Event(e) => {
                        drop(evaluator.push(e));
                        // As `cxl eval` does (to its escalations file).
                        drop(evaluator.take_escalations());
                    }
                    Record::Customer(c) => evaluator.push_customer(c),
                    Record::Rejected(r) => drop(evaluator.push_rejected(&r)),
                }
            }
            evaluator.finish(None).expect("no as-of").0
        }
        Some(n) => {
            let sharded = Sharded::new(policy, options, n);
            sharded.narrow(&mut read);
            let file = std::fs::File::open(path).expect("readable");
            let source = Source {
                input: Box::new(file),
                name: "bench.ndjson".into(),
                options: read,
            };
            let outcome = sharded.run(source, None, false, |_| {
                Ok::<(), std::convert::Infallible>(())
            });
            outcome.expect("the run ends").report
        }
    };
    serde_json::to_string(&report).expect("a report")
}

/// CPU time of this process so far (all threads), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the
    // 14th and 15th of the whole line, in clock ticks (100 a second on Linux).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn by_host(shared_ns: &[f64], seconds: &[f64], events: u64) -> String {
    let classes = [("quiet", 0.0, 50.0), ("busy", 100.0, f64::INFINITY)];
    let summary: Vec<String> = classes
        .iter()
        .map(|&(name, low, high)| {
            let mut rates: Vec<f64> = shared_ns
                .iter()
                .zip(seconds)
                .filter(|(ns, _)| (low..high).contains(*ns))
                .map(|(_, s)| events as f64 / s)
                .collect();
            rates.sort_by(|x, y| y.total_cmp(x));
            match rates.first() {
                Some(best) => format!(
                    "{name}: {} rounds, best {best:.0} / median {:.0} events/s",
                    rates.len(),
                    rates[rates.len() / 2]
                ),
                None => format!("{name}: no round"),
            }
        })
        .collect();
    summary.join("; ")
}

/// The host's memory latency now, over 512 KB (within a core's own 1 MB
/// cache), 4 MB (the shared cache, and the size of the evaluator's state with
/// 2,000 customers in flight) and 64 MB (memory), as "N / N / N ns".
fn host_latency() -> String {
    let [core, shared, memory] = [512 << 10, 4 << 20, 64 << 20].map(latency_ns);
    format!("{core:.0} / {shared:.0} / {memory:.0} ns")
}

/// Nanoseconds a load takes when each load's address comes from the one
/// before, over `bytes` of memory visited in one random cycle of its cache
/// lines: the prefetchers cannot guess it, so what answers is the smallest
/// cache (or the memory) that holds `bytes`, as fast as the neighbours let it.
fn latency_ns(bytes: usize) -> f64 {
    const WORDS_A_LINE: usize = 8;
    let lines = (bytes / 64).max(2);
    let mut next = vec![0u64; lines * WORDS_A_LINE];
    // Sattolo's shuffle: one cycle through every line.
    let mut order: Vec<usize> = (0..lines).collect();
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..lines).rev() {
        order.swap(i, (xorshift(&mut x) % i as u64) as usize);
    }
    for (i, &line) in order.iter().enumerate() {
        next[line * WORDS_A_LINE] = (order[(i + 1) % lines] * WORDS_A_LINE) as u64;
    }
    // One round to bring the pages in, then timed.
    let loads = lines.max(1 << 20);
    let mut at = 0usize;
    for _ in 0..lines {
        at = next[at] as usize;
    }
    let start = Instant::now();
    for _ in 0..loads {
        at = next[at] as usize;
    }
    std::hint::black_box(at);
    start.elapsed().as_secs_f64() * 1e9 / loads as f64
}

/// A noisy neighbour in a child process, stopped when dropped.
struct Neighbour(std::process::Child);

impl Neighbour {
    fn start(mb: usize) -> Neighbour {
        let exe = std::env::current_exe().expect("the bench's own path");
        let child = Command::new(exe)
            .env(NEIGHBOUR_CHILD, mb.to_string())
            // The child stops when this pipe closes, however this process ends.
            .stdin(Stdio::piped())
            .spawn()
            .expect("a neighbour process");
        println!("with a noisy neighbour: a process reading and writing {mb} MB at random");
        Neighbour(child)
    }
}

impl Drop for Neighbour {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Read and write `mb` megabytes at random until stdin closes: what the other
/// machines of a busy host do to the caches they share with this one.
fn neighbour(mb: usize) {
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let mut words: Vec<u64> = (0..(mb.max(1) << 17) as u64).collect();
    let (mut x, mut sum) = (0x9e37_79b9_7f4a_7c15_u64, 0u64);
    loop {
        // An index the prefetchers cannot guess.
        let i = (xorshift(&mut x) % words.len() as u64) as usize;
        sum = sum.wrapping_add(words[i]);
        words[i] = std::hint::black_box(sum);
    }
}

/// The next number of a xorshift sequence (`x` must not be 0): cheap, and
/// random enough that no prefetcher follows it.
fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

//! Ingest benchmark: events per second and peak memory for the three readers.
//!
//! Run with `cargo bench --bench ingest`. It writes a 1,000,000-line NDJSON file
//! of claims-like events to the temp dir (once), then measures, in order:
//! bare serde_json parsing of those lines into a borrowed struct (the floor),
//! the cxl NDJSON reader (all attributes, then only `csat`), the CSV reader on `receipt.csv` and the XES reader on
//! `bpic2012.xes.gz` (the largest real log). `CXL_INGEST_FILE=path` measures
//! the two NDJSON phases on that file instead of the generated one.
//!
//! Then BPIC 2012 side by side: its 262,200 events (every lifecycle) as plain
//! XES, as the `.xes.gz` itself, and converted (once, to the temp dir, by
//! [`convert_bpic`]) to NDJSON and CSV with the same fields; each phase's line
//! gives its rate as a ratio to the NDJSON reader's on those events. The
//! `bpic` phases alone: `cargo bench --bench ingest -- bpic`; one of them under
//! callgrind: `valgrind --tool=callgrind target/release/deps/ingest-* --bench
//! "bpic XES plain"`. Peak RSS is `VmHWM` from
//! /proc/self/status after each phase (it only grows); rates are given per
//! wall second and per CPU second of the reading thread.

use cxl::events::{AttributeFilter, EventReader, InputFormat, Names, ReadOptions, Record};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The same allocator as the `cxl` binary, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LINES: u64 = 1_000_000;
const STEPS: [&str; 8] = [
    "Claim reported",
    "acknowledge",
    "appraise",
    "request_docs",
    "decide",
    "accept",
    "payout",
    "settled",
];
const CHANNELS: [&str; 4] = ["web", "app", "email", "phone"];

fn logs() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/real/logs")).to_path_buf()
}

fn generate(path: &Path) -> std::io::Result<()> {
    if std::fs::metadata(path)
        .map(|m| m.len() > 0)
        .unwrap_or(false)
    {
        return Ok(());
    }
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let start = 1_772_359_200u64; // 2026-03-01T10:00:00Z
    for i in 0..LINES {
        let customer = (i * 7919) % 100_000;
        let step = STEPS[(i % 8) as usize];
        let channel = CHANNELS[(i % 4) as usize];
        let secs = start + i * 3;
        let t = jiff::Timestamp::from_second(secs as i64).expect("in range");
        writeln!(
            out,
            r#"{{"customer":"c{customer:06}","step":"{step}","time":"{t}","channel":"{channel}","actor":"agent{}","csat":{},"claim_amount":{}.5,"tier":"{}"}}"#,
            i % 50,
            i % 5 + 1,
            i % 10_000,
            if i % 3 == 0 { "gold" } else { "silver" }
        )?;
    }
    out.flush()
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Borrowed<'a> {
    #[serde(borrow)]
    customer: &'a str,
    #[serde(borrow)]
    step: &'a str,
    #[serde(borrow)]
    time: &'a str,
    #[serde(borrow)]
    channel: Option<&'a str>,
    #[serde(borrow)]
    actor: Option<&'a str>,
    csat: Option<f64>,
    claim_amount: Option<f64>,
    #[serde(borrow)]
    tier: Option<&'a str>,
}

fn floor(path: &Path) -> u64 {
    let mut input = BufReader::with_capacity(1 << 16, std::fs::File::open(path).expect("open"));
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf).expect("read") == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        // Lines that do not fit the struct (malformed, escapes) are not counted.
        if let Ok(parsed) = serde_json::from_slice::<Borrowed<'_>>(line) {
            n += u64::from(!parsed.customer.is_empty());
        }
    }
    n
}

fn ingest(path: &Path, format: InputFormat, all_lifecycle: bool) -> (u64, u64) {
    ingest_with(path, format, all_lifecycle, AttributeFilter::All)
}

fn ingest_with(
    path: &Path,
    format: InputFormat,
    all_lifecycle: bool,
    attributes: AttributeFilter,
) -> (u64, u64) {
    let mut options = ReadOptions::new(format);
    options.all_lifecycle = all_lifecycle;
    options.attributes = attributes;
    let file = std::fs::File::open(path).expect("open");
    let name = path.display().to_string();
    let mut reader = EventReader::new(file, &name, 0, &options).expect("reader");
    let mut names = Names::new();
    let mut events = 0u64;
    while let Some(record) = reader.next_record(&mut names).expect("readable") {
        if let Record::Event(event) = record {
            events += u64::from(event.name.0 < u32::MAX);
        }
    }
    let stats = reader.stats();
    assert_eq!(stats.accepted + stats.rejected, stats.read);
    (events, stats.rejected)
}

/// This thread's time on a CPU, in seconds (from /proc/thread-self/schedstat):
/// steadier than wall time on a shared machine.
fn cpu_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos: f64 = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    nanos / 1e9
}

fn report(what: &str, events: u64, seconds: f64, cpu: f64) {
    println!(
        "{what:<50} {events:>9} events  wall {seconds:>6.3} s = {:>9.0}/s  cpu {cpu:>6.3} s = {:>9.0}/s  peak RSS {:>6} KiB",
        events as f64 / seconds,
        events as f64 / cpu,
        peak_rss_kib()
    );
}

/// Runs a phase `runs` times and reports it; its events per CPU second, or
/// `None` when the phase was not selected.
fn timed(what: &str, runs: u32, mut f: impl FnMut() -> u64) -> Option<f64> {
    // `cargo bench --bench ingest -- WORD` runs only the phases whose name has WORD.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|w| what.contains(w.as_str())) {
        return None;
    }
    let start = Instant::now();
    let cpu = cpu_seconds();
    let mut events = 0;
    for _ in 0..runs {
        events += f();
    }
    let cpu = cpu_seconds() - cpu;
    report(what, events, start.elapsed().as_secs_f64(), cpu);
    Some(events as f64 / cpu)
}

/// The BPIC 2012 files of the side-by-side phases, written once to the temp dir.
struct Bpic {
    gz: PathBuf,
    xes: PathBuf,
    ndjson: PathBuf,
    csv: PathBuf,
}

impl Bpic {
    fn new() -> Bpic {
        let dir = std::env::temp_dir();
        let bpic = Bpic {
            gz: logs().join("bpic2012.xes.gz"),
            xes: dir.join("cxl-ingest-bpic2012.xes"),
            ndjson: dir.join("cxl-ingest-bpic2012.ndjson"),
            csv: dir.join("cxl-ingest-bpic2012.csv"),
        };
        convert_bpic(&bpic).expect("convert BPIC 2012");
        bpic
    }
}

/// Writes BPIC 2012 as plain XES (inflated), and its events (every
/// lifecycle) as NDJSON and CSV with the same fields: customer, step, time,
/// actor and `lifecycle:transition`, read from the log by cxl's XES reader.
fn convert_bpic(bpic: &Bpic) -> std::io::Result<()> {
    let done = |p: &Path| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false);
    if !done(&bpic.xes) {
        let mut input = flate2::read::MultiGzDecoder::new(std::fs::File::open(&bpic.gz)?);
        let mut out = BufWriter::new(std::fs::File::create(&bpic.xes)?);
        std::io::copy(&mut input, &mut out)?;
        out.flush()?;
    }
    if done(&bpic.ndjson) && done(&bpic.csv) {
        return Ok(());
    }
    let mut options = ReadOptions::new(InputFormat::Xes);
    options.all_lifecycle = true;
    let file = std::fs::File::open(&bpic.gz)?;
    let mut reader = EventReader::new(file, "bpic2012", 0, &options).expect("reader");
    let mut names = Names::new();
    let mut ndjson = BufWriter::new(std::fs::File::create(&bpic.ndjson)?);
    let mut csv = BufWriter::new(std::fs::File::create(&bpic.csv)?);
    writeln!(csv, "customer,step,time,actor,lifecycle:transition")?;
    while let Some(record) = reader.next_record(&mut names).expect("readable") {
        let Record::Event(event) = record else {
            continue;
        };
        let lifecycle = names.words.get("lifecycle:transition");
        let lifecycle = event
            .attrs
            .iter()
            .find(|(k, _)| Some(*k) == lifecycle)
            .map(|(_, v)| v.to_text())
            .unwrap_or_default();
        let fields = [
            names.customers.resolve(event.customer).to_string(),
            names.words.resolve(event.name).to_string(),
            event.time.to_string(),
            event
                .actor
                .map(|a| names.words.resolve(a).to_string())
                .unwrap_or_default(),
            lifecycle,
        ];
        let line = serde_json::json!({
            "customer": fields[0], "step": fields[1], "time": fields[2],
            "actor": fields[3], "lifecycle:transition": fields[4],
        });
        writeln!(ndjson, "{line}")?;
        let cells: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
        writeln!(csv, "{}", cells.join(","))?;
    }
    ndjson.flush()?;
    csv.flush()
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The BPIC 2012 phases: each reader's rate beside the NDJSON reader's on the
/// same events, and PM4Py's `rustxes` on the `.xes.gz` when
/// `CXL_RUSTXES_PYTHON` names a Python that has it.
fn bpic_phases() {
    let bpic = Bpic::new();
    let ndjson = timed("bpic NDJSON reader (converted)", 1, || {
        ingest(&bpic.ndjson, InputFormat::Ndjson, true).0
    });
    let ratio = |rate: Option<f64>| {
        if let (Some(rate), Some(ndjson)) = (rate, ndjson) {
            println!(
                "{:>50} {:.2} of the NDJSON reader's rate",
                "",
                rate / ndjson
            );
        }
    };
    ratio(timed("bpic CSV reader (converted)", 1, || {
        ingest(&bpic.csv, InputFormat::Csv, true).0
    }));
    ratio(timed("bpic XES plain reader", 1, || {
        ingest(&bpic.xes, InputFormat::Xes, true).0
    }));
    ratio(timed("bpic XES gz reader", 1, || {
        ingest(&bpic.gz, InputFormat::Xes, true).0
    }));
    let only = || AttributeFilter::only(["AMOUNT_REQ"]);
    ratio(timed("bpic XES gz reader (only AMOUNT_REQ)", 1, || {
        ingest_with(&bpic.gz, InputFormat::Xes, true, only()).0
    }));
    if let Some(python) = std::env::var_os("CXL_RUSTXES_PYTHON") {
        let script = "import sys, time, rustxes\n\
            t = time.perf_counter(); log = rustxes.import_xes(sys.argv[1])\n\
            print(f'{time.perf_counter() - t:.3f}')";
        let out = std::process::Command::new(python)
            .args(["-c", script])
            .arg(&bpic.gz)
            .output();
        match out {
            Ok(out) if out.status.success() => println!(
                "{:<50} wall {} s (rustxes.import_xes, to a polars frame)",
                "bpic rustxes (PM4Py's Rust importer), .xes.gz",
                String::from_utf8_lossy(&out.stdout).trim()
            ),
            Ok(out) => println!("rustxes failed: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) => println!("rustxes could not run: {e}"),
        }
    }
}

/// Under `cargo test --all-targets` (no `--bench` flag) the bench only checks that
/// its phases run and agree, on a small file, and says so in one closing line.
fn smoke() {
    let path = std::env::temp_dir().join(format!("cxl-ingest-smoke-{}.ndjson", std::process::id()));
    let mut out = BufWriter::new(std::fs::File::create(&path).expect("temp file"));
    for i in 0..2_000u64 {
        writeln!(
            out,
            r#"{{"customer":"c{}","step":"{}","time":"2026-03-01T10:{:02}:00Z","channel":"web"}}"#,
            i % 97,
            STEPS[(i % 8) as usize],
            i % 60
        )
        .expect("write");
    }
    drop(out);
    assert_eq!(floor(&path), 2_000);
    assert_eq!(ingest(&path, InputFormat::Ndjson, false), (2_000, 0));
    let only = AttributeFilter::only(["csat"]);
    assert_eq!(
        ingest_with(&path, InputFormat::Ndjson, false, only),
        (2_000, 0)
    );
    let _ = std::fs::remove_file(&path);
    println!("ingest: 1 passed, 0 failed");
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return smoke();
    }
    // CXL_INGEST_FILE=path measures the NDJSON phases on that file instead.
    let path = match std::env::var_os("CXL_INGEST_FILE") {
        Some(file) => PathBuf::from(file),
        None => {
            let path = std::env::temp_dir().join("cxl-ingest-bench-1m.ndjson");
            generate(&path).expect("generate the NDJSON file");
            path
        }
    };
    println!("peak RSS before reading: {} KiB", peak_rss_kib());
    timed("serde_json borrowed struct (floor), NDJSON", 1, || {
        floor(&path)
    });
    timed("cxl NDJSON reader", 1, || {
        ingest(&path, InputFormat::Ndjson, false).0
    });
    timed("cxl NDJSON (only attribute csat) reader", 1, || {
        let only = AttributeFilter::only(["csat"]);
        ingest_with(&path, InputFormat::Ndjson, false, only).0
    });
    timed("cxl CSV reader, receipt.csv x20", 20, || {
        ingest(&logs().join("receipt.csv"), InputFormat::Csv, false).0
    });
    timed(
        "cxl XES reader, bpic2012.xes.gz (all lifecycles)",
        1,
        || ingest(&logs().join("bpic2012.xes.gz"), InputFormat::Xes, true).0,
    );
    bpic_phases();
}

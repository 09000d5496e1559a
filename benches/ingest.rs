//! Ingest benchmark: events per second and peak memory for the three readers.
//!
//! Run with `cargo bench --bench ingest`. It writes a 1,000,000-line NDJSON file
//! of claims-like events to the temp dir (once), then measures, in order:
//! bare serde_json parsing of those lines into a borrowed struct (the floor),
//! the cxl NDJSON reader (all attributes, then only `csat`), the CSV reader on `receipt.csv` and the XES reader on
//! `bpic2012.xes.gz` (the largest real log). `CXL_INGEST_FILE=path` measures
//! the two NDJSON phases on that file instead of the generated one. Peak RSS is `VmHWM` from
//! /proc/self/status after each phase (it only grows); rates are given per
//! wall second and per CPU second of the reading thread.

use cxl::events::{AttributeFilter, EventReader, InputFormat, Interner, ReadOptions, Record};
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
    let mut interner = Interner::new();
    let mut events = 0u64;
    while let Some(record) = reader.next_record(&mut interner).expect("readable") {
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

fn timed(what: &str, runs: u32, mut f: impl FnMut() -> u64) {
    // `cargo bench --bench ingest -- WORD` runs only the phases whose name has WORD.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|w| what.contains(w.as_str())) {
        return;
    }
    let start = Instant::now();
    let cpu = cpu_seconds();
    let mut events = 0;
    for _ in 0..runs {
        events += f();
    }
    report(
        what,
        events,
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
    );
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
}

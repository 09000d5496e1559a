//! `ReadAhead` changes nothing the evaluator computes: records come in the
//! same order, and customers forgotten by the idle sweep and met again later
//! are the same new customers as when each record is pushed as it is read.
//! On a live stream it hands on what has come before asking for more.

use cxl::compile::Program;
use cxl::eval::{EvalOptions, Evaluator, Finding, FindingKind, ReadAhead, Report};
use cxl::events::{EventReader, InputError, InputFormat, ReadOptions, Record};
use cxl::Policy;
use std::fmt::Write;
use std::sync::Arc;

const POLICY: &str = "journey claim {
    goal settle
    step open { }
    step check { }
    step settle { }
    path open -> check -> settle
}";

/// Customers who finish, go quiet for thousands of records (so the idle sweep
/// forgets them) and come back at every offset from a sweep, some off path
/// (`settle` before `check`), some unfinished, plus bad and unmapped lines.
fn log() -> String {
    let mut text = String::new();
    let mut second = 0u64;
    for pass in 0..4u64 {
        for i in 0..1700u64 {
            let customer = (i * 7 + pass * 13) % 1900;
            let steps: &[&str] = match (i + pass) % 5 {
                0 => &["open", "settle"],
                1 => &["open", "check"],
                2 => &["open", "check", "settle", "nothing we know"],
                _ => &["open", "check", "settle"],
            };
            for step in steps {
                second += 1;
                let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
                let day = 1 + h / 24;
                let h = h % 24;
                let _ = writeln!(
                    text,
                    r#"{{"customer":"c{customer}","step":"{step}","time":"2026-03-{day:02}T{h:02}:{m:02}:{s:02}Z"}}"#
                );
            }
            if i % 997 == 0 {
                text.push_str("{\"customer\": broken\n");
            }
        }
    }
    text
}

/// Evaluate `log`, reading ahead or not: every finding in order, and the report.
fn evaluate(program: &Arc<Program>, log: &str, ahead: bool) -> (Vec<Finding>, Report, u64) {
    let mut evaluator = Evaluator::new(Arc::clone(program), EvalOptions::default());
    let options = ReadOptions::new(InputFormat::Ndjson);
    let input = std::io::Cursor::new(log.as_bytes().to_vec());
    let mut reader = EventReader::new(input, "log.ndjson", 0, &options).expect("a reader");
    let mut findings = Vec::new();
    let mut take = |record: Record, evaluator: &mut Evaluator| match record {
        Record::Event(e) => findings.extend(evaluator.push(e)),
        Record::Rejected(r) => findings.extend(evaluator.push_rejected(&r)),
        Record::Customer(c) => evaluator.push_customer(c),
    };
    let read = if ahead {
        let mut records = ReadAhead::new(reader);
        while let Some(record) = records.next_record(&mut evaluator).expect("readable") {
            take(record, &mut evaluator);
        }
        records.stats().read
    } else {
        while let Some(record) = reader.next_record(evaluator.names_mut()).expect("readable") {
            take(record, &mut evaluator);
        }
        reader.stats().read
    };
    let (report, last) = evaluator.finish(None).expect("no as-of, no error");
    findings.extend(last);
    (findings, report, read)
}

#[test]
fn reading_ahead_gives_the_same_findings_in_the_same_order() {
    let policy = Policy::compile(POLICY).expect("compiles");
    let log = log();
    let (plain, plain_report, read) = evaluate(&policy.program, &log, false);
    let (ahead, ahead_report, read_ahead) = evaluate(&policy.program, &log, true);
    assert_eq!(read, read_ahead);
    assert!(read > 3 * 4096, "the log spans several idle sweeps");
    // Customers came back after being forgotten: they opened a first
    // instance again, and some did so off path.
    assert!(plain
        .iter()
        .any(|f| f.instance == Some(1) && f.kind == FindingKind::UnexpectedStep));
    let json = |f: &Finding| serde_json::to_string(f).expect("json");
    if let Some(i) = (0..plain.len().max(ahead.len()))
        .find(|&i| plain.get(i).map(json) != ahead.get(i).map(json))
    {
        panic!(
            "finding {i} differs:\n  each as read: {:?}\n  read ahead:   {:?}",
            plain.get(i).map(json),
            ahead.get(i).map(json)
        );
    }
    assert_eq!(plain_report, ahead_report);
    let broken = log.lines().filter(|l| l.contains("broken")).count();
    assert_eq!(plain_report.input.rejected, broken as u64);
}

/// Evaluators on threads share one compiled program (`Arc<Program>`): each
/// computes what one evaluator alone does.
#[test]
fn evaluators_on_threads_share_one_program() {
    let policy = Policy::compile(POLICY).expect("compiles");
    let log = log();
    let (alone, alone_report, _) = evaluate(&policy.program, &log, true);
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let program = Arc::clone(&policy.program);
                let log = &log;
                scope.spawn(move || evaluate(&program, log, true))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(Arc::strong_count(&policy.program), 1, "the threads let go");
    for (findings, report, _) in runs {
        assert_eq!(findings, alone);
        assert_eq!(report, alone_report);
    }
}

/// A reader that fails after some bytes.
struct Failing(&'static [u8]);

impl std::io::Read for Failing {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = out.len().min(self.0.len()).min(40);
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn an_input_error_comes_after_every_record_read_before_it() {
    let policy = Policy::compile(POLICY).expect("compiles");
    let mut evaluator = Evaluator::new(policy.program.clone(), EvalOptions::default());
    let lines = concat!(
        r#"{"customer":"a","step":"open","time":"2026-03-01T00:00:00Z"}"#,
        "\n",
        r#"{"customer":"b","step":"open","time":"2026-03-01T00:00:01Z"}"#,
        "\n",
    );
    let options = ReadOptions::new(InputFormat::Ndjson);
    let reader =
        EventReader::new(Failing(lines.as_bytes()), "log.ndjson", 0, &options).expect("a reader");
    let mut records = ReadAhead::new(reader);
    let mut customers = Vec::new();
    let error: InputError = loop {
        match records.next_record(&mut evaluator) {
            Ok(Some(Record::Event(e))) => {
                customers.push(evaluator.names().customers.resolve(e.customer).to_string());
                evaluator.push(e);
            }
            Ok(Some(other)) => panic!("unexpected {other:?}"),
            Ok(None) => panic!("the error was lost"),
            Err(error) => break error,
        }
    };
    assert_eq!(customers, ["a", "b"]);
    assert!(error.to_string().contains("the disk went away"), "{error}");
}

/// An input that hands out one chunk a read, as a live stream's pipe does,
/// and counts the reads, so a test sees when more input was asked for.
struct Live {
    chunks: std::collections::VecDeque<&'static [u8]>,
    reads: std::rc::Rc<std::cell::Cell<usize>>,
}

impl std::io::Read for Live {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads.set(self.reads.get() + 1);
        let Some(chunk) = self.chunks.pop_front() else {
            return Ok(0);
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        if n < chunk.len() {
            self.chunks.push_front(&chunk[n..]);
        }
        Ok(n)
    }
}

/// On a live stream, the records it has sent are handed on before more input
/// is asked for (a read that would wait for the writer), and `would_wait`
/// says when the next record needs more: a caller flushes its output then.
#[test]
fn a_live_stream_s_records_go_on_before_more_input_is_read() {
    let policy = Policy::compile(POLICY).expect("the policy compiles");
    let mut evaluator = Evaluator::new(policy.program.clone(), EvalOptions::default());
    let reads = std::rc::Rc::new(std::cell::Cell::new(0));
    let first: &[u8] =
        b"{\"customer\":\"c1\",\"step\":\"open\",\"time\":\"2026-03-01T10:00:00Z\"}\n\
{\"customer\":\"c2\",\"step\":\"open\",\"time\":\"2026-03-01T10:01:00Z\"}\n";
    let second: &[u8] =
        b"{\"customer\":\"c1\",\"step\":\"check\",\"time\":\"2026-03-01T10:02:00Z\"}\n";
    let live = Live {
        chunks: [first, second].into(),
        reads: reads.clone(),
    };
    let options = ReadOptions::new(InputFormat::Ndjson);
    let reader = EventReader::new(live, "live.ndjson", 0, &options).expect("a reader");
    let mut records = ReadAhead::new(reader);
    let mut next = |records: &mut ReadAhead| match records.next_record(&mut evaluator) {
        Ok(Some(Record::Event(e))) => Some(e.origin.line),
        Ok(Some(_)) => panic!("only events here"),
        Ok(None) => None,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(next(&mut records), Some(1));
    assert_eq!(reads.get(), 1, "the first chunk only");
    assert!(!records.would_wait(), "the second record is held");
    assert_eq!(next(&mut records), Some(2));
    assert_eq!(reads.get(), 1, "still the first chunk only");
    assert!(records.would_wait(), "the next record needs more input");
    assert_eq!(next(&mut records), Some(3));
    assert_eq!(reads.get(), 2);
    assert_eq!(next(&mut records), None);
    assert!(!records.would_wait(), "the input has ended");
}

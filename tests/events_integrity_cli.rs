//! Broken CSV, XES and gzip input through the real binary: `cxl eval` and
//! `cxl profile` count every record, and exit 2 with a message naming the file
//! on corrupt or oversized input (issue 15).

use assert_cmd::Command;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::PathBuf;

const T: &str = "2026-03-01T10:00:00Z";
const POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/claims.cxl");

fn cxl() -> Command {
    Command::cargo_bin("cxl").expect("the cxl binary")
}

/// Writes `bytes` to a file of this test's own (tests run in parallel).
fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("events_integrity_cli");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], log: &PathBuf) -> Run {
    let out = cxl().args(args).arg(log).output().expect("runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn eval(log: &PathBuf, flags: &[&str]) -> Run {
    let out = cxl()
        .args(["eval", POLICY])
        .arg(log)
        .args(flags)
        .output()
        .expect("runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn event(step: &str) -> String {
    format!(
        "<event><string key=\"concept:name\" value=\"{step}\"/><date key=\"time:timestamp\" value=\"{T}\"/></event>"
    )
}

fn trace(id: &str, body: &str) -> String {
    format!("<trace><string key=\"concept:name\" value=\"{id}\"/>{body}</trace>")
}

#[test]
fn csv_unterminated_quote_is_one_rejected_row_and_strict_fails() {
    let log = file(
        "quote.csv",
        format!("customer,step,time\nc1,\"Claim reported,{T}\nc2,Claim reported,{T}\nc3,Claim reported,{T}\n")
            .as_bytes(),
    );
    let profile = run(&["profile"], &log);
    assert_eq!(profile.code, Some(0), "{}", profile.stderr);
    assert!(
        profile
            .stdout
            .contains("records         3 read = 2 accepted + 1 rejected"),
        "{}",
        profile.stdout
    );
    let strict = eval(&log, &["--strict"]);
    assert_eq!(strict.code, Some(2), "{}", strict.stdout);
    assert!(
        strict
            .stderr
            .contains("quote.csv:2: unterminated quoted field"),
        "{}",
        strict.stderr
    );
    let lenient = eval(&log, &["--format", "json"]);
    assert_ne!(lenient.code, Some(2), "{}", lenient.stderr);
    let json: serde_json::Value = serde_json::from_str(&lenient.stdout).expect("json");
    assert_eq!(json["input"]["rejected"], 1, "{json}");
}

#[test]
fn xes_events_outside_a_trace_are_rejected_and_strict_fails() {
    let log = file(
        "nested.xes",
        format!(
            "<log>\n{}\n<wrap>{}</wrap>\n</log>\n",
            trace(
                "c1",
                &format!(
                    "{}{}",
                    event("Claim reported"),
                    trace("c9", &event("Claim closed"))
                )
            ),
            trace("c5", &event("Claim reported")),
        )
        .as_bytes(),
    );
    let profile = run(&["profile"], &log);
    assert_eq!(profile.code, Some(0), "{}", profile.stderr);
    assert!(
        profile
            .stdout
            .contains("records         3 read = 1 accepted + 2 rejected"),
        "{}",
        profile.stdout
    );
    let strict = eval(&log, &["--strict"]);
    assert_eq!(strict.code, Some(2), "{}", strict.stdout);
    assert!(
        strict
            .stderr
            .contains("nested.xes:2 (<event> in a nested <trace>)"),
        "{}",
        strict.stderr
    );
}

#[test]
fn xes_content_after_the_log_exits_2() {
    let log = file(
        "after.xes",
        format!(
            "<log>{}</log>\n{}\n",
            trace("c1", &event("Claim reported")),
            trace("c2", &event("Claim reported"))
        )
        .as_bytes(),
    );
    for result in [run(&["profile"], &log), eval(&log, &[])] {
        assert_eq!(result.code, Some(2), "{}", result.stdout);
        assert!(
            result
                .stderr
                .contains("after.xes:2: malformed XML: an element `<trace>` after `</log>`"),
            "{}",
            result.stderr
        );
    }
}

#[test]
fn xes_empty_case_id_is_a_rejection_in_eval() {
    let log = file(
        "empty-id.xes",
        format!("<log>\n{}\n</log>\n", trace("", &event("Claim reported"))).as_bytes(),
    );
    let strict = eval(&log, &["--strict"]);
    assert_eq!(strict.code, Some(2), "{}", strict.stdout);
    assert!(
        strict.stderr.contains("empty-id.xes:2") && strict.stderr.contains("missing customer"),
        "{}",
        strict.stderr
    );
}

#[test]
fn gzip_with_a_crc_error_exits_2_naming_the_file() {
    let text = format!(
        "<log>{}{}</log>\n",
        trace("c1", &event("Claim reported")),
        trace("c2", &event("Claim reported"))
    );
    let mut encoder = GzEncoder::new(Vec::new(), Compression::none());
    encoder.write_all(text.as_bytes()).expect("in memory");
    let mut bytes = encoder.finish().expect("in memory");
    let at = bytes.windows(4).position(|w| w == b"2026").expect("a time");
    bytes[at + 3] ^= 1; // 2026 becomes 2027: still a time, only the CRC tells
    let log = file("flipped.xes.gz", &bytes);
    for result in [run(&["profile"], &log), eval(&log, &[])] {
        assert_eq!(result.code, Some(2), "{}", result.stdout);
        assert!(
            result
                .stderr
                .contains("flipped.xes.gz: the gzip stream is corrupt (a CRC check fails"),
            "{}",
            result.stderr
        );
    }
}

#[test]
fn an_xml_item_over_the_record_size_limit_exits_2_and_the_limit_can_be_raised() {
    let comment = "x".repeat(2 << 20);
    let log = file(
        "comment.xes",
        format!(
            "<log><!-- {comment} -->{}</log>\n",
            trace("c1", &event("Claim reported"))
        )
        .as_bytes(),
    );
    for result in [run(&["profile"], &log), eval(&log, &[])] {
        assert_eq!(result.code, Some(2), "{}", result.stdout);
        assert!(
            result.stderr.contains("comment.xes:1: an XML item (a tag, comment or text) is longer than the record size limit of 1048576 bytes"),
            "{}",
            result.stderr
        );
    }
    let raised = run(&["profile", "--max-record-size", "4MiB"], &log);
    assert_eq!(raised.code, Some(0), "{}", raised.stderr);
    let bad = run(&["profile", "--max-record-size", "4XB"], &log);
    assert_eq!(bad.code, Some(2));
    assert!(
        bad.stderr.contains("unknown size unit `XB`"),
        "{}",
        bad.stderr
    );
}

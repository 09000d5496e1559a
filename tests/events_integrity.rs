//! Every record counted, corrupt input an error, memory bounded: the CSV and
//! XES readers and gzip input on inputs made to break them (issue 15).

mod events_common;

use cxl::events::{InputError, InputFormat, ReadOptions};
use events_common::{read_from, Read};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{self, Cursor, Write};

const T: &str = "2026-03-01T10:00:00Z";

fn csv(text: &str) -> Read {
    let options = ReadOptions::new(InputFormat::Csv);
    read_from(Cursor::new(text.as_bytes().to_vec()), "log.csv", options)
}

fn xes(text: &str) -> Read {
    let options = ReadOptions::new(InputFormat::Xes);
    read_from(Cursor::new(text.as_bytes().to_vec()), "log.xes", options)
}

fn steps(got: &Read) -> Vec<String> {
    got.events.iter().map(|e| got.name(e).to_string()).collect()
}

fn customers(got: &Read) -> Vec<String> {
    got.events
        .iter()
        .map(|e| got.customer(e).to_string())
        .collect()
}

fn reasons(got: &Read) -> Vec<(Option<u64>, String)> {
    got.rejected
        .iter()
        .map(|r| (r.line, r.reason.clone()))
        .collect()
}

// ---- CSV: a quote that never closes ----

#[test]
fn csv_unterminated_quote_rejects_its_line_and_the_rest_is_read() {
    let got = csv(&format!(
        "customer,step,time\nc1,\"a,{T}\nc2,b,{T}\nc3,c,{T}\n"
    ));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(customers(&got), ["c2", "c3"]);
    let [(line, reason)] = reasons(&got).try_into().expect("one rejection");
    assert_eq!(line, Some(2));
    assert!(
        reason.starts_with("unterminated quoted field: the quote opened on line 2"),
        "{reason}"
    );
}

#[test]
fn csv_quote_closed_by_a_later_rows_quote_does_not_swallow_the_rows_between() {
    // The stray quote on line 3 would close at line 5's first quote, making
    // one record of lines 3–5 with the header's three fields.
    let got = csv(&format!(
        "customer,step,time\nc1,\"a\nb\",{T}\nc2,\"open,{T}\nc3,x,{T}\nc4,\"q\",{T}\nc5,\"x\"\"y\",{T}\n"
    ));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(customers(&got), ["c1", "c3", "c4", "c5"]);
    assert_eq!(steps(&got), ["a\nb", "x", "q", "x\"y"]);
    let [(line, reason)] = reasons(&got).try_into().expect("one rejection");
    assert_eq!(line, Some(4));
    assert!(reason.contains("the quote opened on line 4"), "{reason}");
}

#[test]
fn csv_quoted_field_over_the_size_limit_is_rejected_and_reading_goes_on() {
    let mut options = ReadOptions::new(InputFormat::Csv);
    options.max_record = 1024;
    let mut text = "customer,step,time\nc1,\"long\n".to_string();
    for _ in 0..100 {
        text.push_str("0123456789012345678901234567890123456789\n");
    }
    text.push_str(&format!("closes\",{T}\nc2,b,{T}\n"));
    let got = read_from(Cursor::new(text.into_bytes()), "log.csv", options);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    let first = &got.rejected[0];
    assert_eq!(first.line, Some(2));
    assert!(
        first
            .reason
            .contains("is not closed within the record size limit of 1024 bytes"),
        "{}",
        first.reason
    );
    assert_eq!(
        customers(&got),
        ["c2"],
        "the row after the long record is read"
    );
}

/// An endless input: `head`, then `fill` again and again (up to `limit`
/// bytes, so a reader that reads it all ends, however slowly), counting the
/// bytes handed out.
struct Endless {
    head: Vec<u8>,
    fill: Vec<u8>,
    served: std::rc::Rc<std::cell::Cell<u64>>,
    limit: u64,
}

impl Endless {
    fn new(head: &str, fill: &str) -> (Endless, std::rc::Rc<std::cell::Cell<u64>>) {
        let served = std::rc::Rc::new(std::cell::Cell::new(0));
        let input = Endless {
            head: head.as_bytes().to_vec(),
            fill: fill.as_bytes().to_vec(),
            served: served.clone(),
            limit: 5 << 30,
        };
        (input, served)
    }
}

impl io::Read for Endless {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let at = self.served.get();
        if at >= self.limit {
            return Ok(0);
        }
        let mut n = 0;
        for slot in out.iter_mut().take(64 * 1024) {
            let i = at + n as u64;
            let head = self.head.len() as u64;
            *slot = if i < head {
                self.head[i as usize]
            } else {
                self.fill[((i - head) % self.fill.len() as u64) as usize]
            };
            n += 1;
        }
        self.served.set(at + n as u64);
        Ok(n)
    }
}

#[test]
fn csv_unterminated_quote_in_an_endless_input_is_rejected_fast() {
    let head = format!("customer,step,time\nc1,\"a,{T}\n");
    let (input, served) = Endless::new(&head, &format!("c2,b,{T}\n"));
    let options = ReadOptions::new(InputFormat::Csv);
    let mut reader =
        cxl::events::EventReader::new(input, "endless.csv", 0, &options).expect("header");
    let mut names = cxl::events::Names::new();
    let first = reader.next_record(&mut names).expect("reads");
    match first {
        Some(cxl::events::Record::Rejected(r)) => {
            assert_eq!(r.line, Some(2));
            assert!(r.reason.contains("record size limit"), "{}", r.reason);
        }
        other => panic!("{other:?}"),
    }
    assert!(served.get() < 4 << 20, "read {} bytes", served.get());
    let next = reader.next_record(&mut names).expect("reads");
    assert!(
        matches!(next, Some(cxl::events::Record::Event(_))),
        "{next:?}"
    );
}

// ---- XES: every <event> read or rejected ----

fn event(step: &str) -> String {
    format!(
        "<event><string key=\"concept:name\" value=\"{step}\"/><date key=\"time:timestamp\" value=\"{T}\"/></event>"
    )
}

fn trace(id: &str, body: &str) -> String {
    format!("<trace><string key=\"concept:name\" value=\"{id}\"/>{body}</trace>")
}

#[test]
fn xes_events_in_nested_traces_and_unknown_wrappers_are_rejected_with_their_line() {
    let text = [
        "<log>".to_string(),
        trace(
            "c1",
            &format!(
                "{}\n{}\n<wrap>{}</wrap>\n",
                event("a"),
                trace("c9", &event("x")),
                event("y")
            ),
        ),
        format!("<wrap>\n{}</wrap>", trace("c5", &event("z"))),
        format!("<global scope=\"event\">{}</global>", event("g")),
        trace("c2", &format!("<event><string key=\"concept:name\" value=\"b\"/><date key=\"time:timestamp\" value=\"{T}\"/>\n{}</event>", event("inner"))),
        "</log>".to_string(),
    ]
    .join("\n");
    let got = xes(&text);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.stats.read, text.matches("<event>").count() as u64);
    assert_eq!(steps(&got), ["a"]);
    let lines: Vec<(Option<u64>, Option<&str>)> = got
        .rejected
        .iter()
        .map(|r| (r.line, r.element.as_deref()))
        .collect();
    assert_eq!(
        lines,
        [
            (Some(3), Some("<event> in a nested <trace>")),
            (Some(4), Some("<event> in <wrap>")),
            (Some(7), Some("<event> in <wrap>")),
            (Some(8), Some("<event> in <global>")),
            (Some(10), Some("<event> in another <event> or an attribute")),
            (Some(9), Some("<trace> 2 (`c2`), <event> 1")),
        ]
    );
}

#[test]
fn xes_content_after_the_log_is_an_error() {
    let text = format!(
        "<log>{}</log>\n<!-- a comment is fine -->\n{}",
        trace("c1", &event("a")),
        trace("c2", &event("b"))
    );
    let got = xes(&text);
    got.assert_nothing_lost();
    assert_eq!(steps(&got), ["a"]);
    let error = got.error.expect("an error").to_string();
    assert_eq!(
        error,
        "log.xes:3: malformed XML: an element `<trace>` after `</log>`: the log must end the file, and nothing after it is read"
    );
    let got = xes(&format!(
        "<log>{}</log>\n<!-- end -->\n",
        trace("c1", &event("a"))
    ));
    assert!(got.error.is_none(), "{:?}", got.error);
    let got = xes(&format!("<log>{}</log>\ntext", trace("c1", &event("a"))));
    assert!(got.error.is_some(), "text after </log>");
}

#[test]
fn xes_empty_or_missing_case_id_is_rejected_not_merged() {
    let text = format!(
        "<log>\n{}\n{}\n<trace>{}</trace>\n{}\n</log>",
        trace("", &event("a")),
        trace("  ", &event("b")),
        event("c"),
        trace("c1", &event("d")),
    );
    let got = xes(&text);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(customers(&got), ["c1"]);
    assert_eq!(
        reasons(&got),
        [
            (
                Some(2),
                "missing customer: the trace has no `concept:name`, or it is empty".to_string()
            ),
            (
                Some(3),
                "missing customer: the trace has no `concept:name`, or it is empty".to_string()
            ),
            (
                Some(4),
                "missing customer: the trace has no `concept:name`, or it is empty".to_string()
            ),
        ]
    );
    assert!(got
        .customers
        .iter()
        .all(|c| got.names.customers.resolve(c.id) == "c1"));
}

#[test]
fn xes_an_event_over_the_size_limit_is_rejected_and_reading_goes_on() {
    let mut options = ReadOptions::new(InputFormat::Xes);
    options.max_record = 1024;
    let mut big = String::from("<event><string key=\"concept:name\" value=\"big\"/>");
    for i in 0..100 {
        big.push_str(&format!("<string key=\"k{i}\" value=\"0123456789\"/>"));
    }
    big.push_str(&format!(
        "<date key=\"time:timestamp\" value=\"{T}\"/></event>"
    ));
    let text = format!(
        "<log>{}</log>",
        trace("c1", &format!("{}{big}{}", event("a"), event("b")))
    );
    let got = read_from(Cursor::new(text.into_bytes()), "log.xes", options);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(steps(&got), ["a", "b"]);
    assert_eq!(
        reasons(&got)[0].1,
        "the event is larger than the record size limit of 1024 bytes"
    );
}

#[test]
fn xes_events_wait_for_a_late_case_id_only_within_the_size_limit() {
    let mut options = ReadOptions::new(InputFormat::Xes);
    options.max_record = 1024;
    let events: String = (0..40).map(|_| event("a")).collect();
    let body = format!("{events}<string key=\"concept:name\" value=\"c1\"/>");
    let text = format!(
        "<log><trace>{body}</trace>{}</log>",
        trace("c2", &event("b"))
    );
    let got = read_from(Cursor::new(text.into_bytes()), "log.xes", options);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(customers(&got), ["c2"]);
    assert_eq!(got.rejected.len(), 40);
    assert!(
        got.rejected[0]
            .reason
            .contains("is not within its first 1024 bytes"),
        "{}",
        got.rejected[0].reason
    );
}

#[test]
fn xes_a_comment_or_value_larger_than_the_limit_stops_reading_fast() {
    let cases = [
        ("<log><!-- ", "x", "an XML item"),
        (
            "<log><trace><string key=\"concept:name\" value=\"",
            "a",
            "an XML item",
        ),
    ];
    for (head, fill, what) in cases {
        let (input, served) = Endless::new(head, fill);
        let got = read_from(input, "huge.xes", ReadOptions::new(InputFormat::Xes));
        match &got.error {
            Some(InputError::TooLarge {
                file,
                line,
                limit,
                what: said,
            }) => {
                assert_eq!((file.as_str(), *line, *limit), ("huge.xes", 1, 1 << 20));
                assert!(said.starts_with(what), "{said}");
            }
            other => panic!("{other:?}"),
        }
        assert!(served.get() < 4 << 20, "read {} bytes", served.get());
    }
}

// ---- gzip: read to the end, and checked ----

fn gz(data: &[u8], level: Compression) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), level);
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fn xes_log() -> String {
    format!(
        "<log>{}{}</log>\n",
        trace("c1", &event("a")),
        trace("c2", &event("b"))
    )
}

fn read_gz(bytes: Vec<u8>, name: &str) -> Read {
    let format = if name.contains(".xes") {
        InputFormat::Xes
    } else if name.contains(".csv") {
        InputFormat::Csv
    } else {
        InputFormat::Ndjson
    };
    read_from(Cursor::new(bytes), name, ReadOptions::new(format))
}

#[test]
fn gzip_with_a_changed_byte_is_corrupt_in_every_format() {
    let inputs = [
        ("log.xes.gz", xes_log()),
        (
            "log.csv.gz",
            format!("customer,step,time\nc1,a,{T}\nc2,b,{T}\n"),
        ),
        (
            "log.ndjson.gz",
            format!("{{\"customer\":\"c1\",\"step\":\"a\",\"time\":\"{T}\"}}\n"),
        ),
    ];
    for (name, text) in inputs {
        // Stored, not deflated: the flipped bit changes a digit of a time,
        // which reads as well-formed data; only the CRC tells.
        let mut bytes = gz(text.as_bytes(), Compression::none());
        let at = bytes.windows(4).position(|w| w == b"2026").expect("a time");
        bytes[at + 3] ^= 1;
        let got = read_gz(bytes, name);
        match &got.error {
            Some(InputError::Corrupt { file, reason, .. }) => {
                assert_eq!(file, name);
                assert!(reason.contains("CRC"), "{reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
        let message = got.error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with(&format!("{name}: the gzip stream is corrupt")),
            "{message}"
        );
    }
}

#[test]
fn gzip_with_trailing_garbage_is_corrupt_and_several_members_are_read() {
    let mut bytes = gz(xes_log().as_bytes(), Compression::default());
    bytes.extend_from_slice(b"garbage");
    let got = read_gz(bytes, "log.xes.gz");
    match &got.error {
        Some(InputError::Corrupt { reason, .. }) => {
            assert!(reason.contains("not gzip"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let text = format!("customer,step,time\nc1,a,{T}\n");
    let mut bytes = gz(text.as_bytes(), Compression::default());
    bytes.extend(gz(format!("c2,b,{T}\n").as_bytes(), Compression::default()));
    let got = read_gz(bytes, "log.csv.gz");
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(customers(&got), ["c1", "c2"]);
}

/// Gives its bytes, then fails as a disk can.
struct FailsAfter(Cursor<Vec<u8>>);

impl io::Read for FailsAfter {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self.0.read(out)? {
            0 => Err(io::Error::other("the disk went away")),
            n => Ok(n),
        }
    }
}

#[test]
fn gzip_input_that_fails_while_inflated_is_an_io_error_after_the_records_read() {
    // Many traces, so that the failure comes after some were handed on.
    let traces: String = (0..2_000)
        .map(|i| trace(&format!("c{i}"), &event("a")))
        .collect();
    let bytes = gz(
        format!("<log>{traces}</log>\n").as_bytes(),
        Compression::default(),
    );
    let half = bytes[..bytes.len() / 2].to_vec();
    let got = read_from(
        FailsAfter(Cursor::new(half)),
        "log.xes.gz",
        ReadOptions::new(InputFormat::Xes),
    );
    match &got.error {
        Some(InputError::Io { file, source }) => {
            assert_eq!(file, "log.xes.gz");
            assert_eq!(source.to_string(), "the disk went away");
        }
        other => panic!("{other:?}"),
    }
    assert!(!got.events.is_empty(), "the events before it were read");
    got.assert_nothing_lost();
}

//! Bad input: every bad record is reported with its file and line (or XES
//! element) and a clear reason, and nothing is lost (accepted + rejected = read).

mod events_common;

use cxl::events::{InputError, InputFormat, ReadOptions, Value};
use events_common::{fixture, read, read_from, read_with};
use std::io::Write;

fn reasons(got: &events_common::Read) -> Vec<(Option<u64>, String)> {
    got.rejected
        .iter()
        .map(|r| (r.line, r.reason.clone()))
        .collect()
}

#[test]
fn ndjson_bad_lines_are_rejected_with_line_and_reason() {
    let got = read(&fixture("bad.ndjson"));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.stats.read, 11);
    assert_eq!(got.events.len(), 2);
    let r = reasons(&got);
    let expect = [
        (2, "not valid JSON: expected ident at column 2"),
        (3, "missing time field `time`"),
        (4, "missing customer field `customer`"),
        (5, "missing step field `step`"),
        (6, "cannot read time `next tuesday`: expected RFC 3339"),
        (7, "field `time` holds a boolean, expected a time"),
        (8, "field `customer` holds an object, expected a string"),
        (
            9,
            "not a JSON object: invalid type: sequence, expected a JSON object",
        ),
        (
            10,
            "not valid JSON: EOF while parsing an object at column 62",
        ),
    ];
    assert_eq!(r.len(), expect.len(), "{r:#?}");
    for ((line, reason), (want_line, want)) in r.iter().zip(expect) {
        assert_eq!(*line, Some(want_line));
        assert!(reason.starts_with(want), "line {want_line}: {reason}");
    }
    assert!(got.rejected.iter().all(|r| r.file == "bad.ndjson"));
    assert_eq!(got.rejected[0].raw, "this is not json");
}

#[test]
fn ndjson_good_lines_are_typed() {
    let got = read(&fixture("claims.ndjson"));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 5, "blank lines are skipped, not counted");
    let i = &got.names.words;
    let first = &got.events[0];
    let attr = |name: &str| first.attr(i.get(name).expect(name)).cloned();
    assert_eq!(attr("csat"), Some(Value::Number(5.0)));
    assert_eq!(attr("vip"), Some(Value::Bool(true)));
    assert_eq!(
        attr("tags"),
        Some(Value::List(vec![
            Value::Text("a".into()),
            Value::Number(1.0)
        ]))
    );
    assert_eq!(attr("meta"), Some(Value::Text("{\"k\":1}".into())));
    assert_eq!(attr("note"), None, "null attributes are absent");
    assert_eq!(first.attrs.len(), 5);
    assert_eq!(first.channel.map(|c| i.resolve(c)), Some("web"));
    let second = &got.events[1];
    assert_eq!(second.time.to_string(), "2026-03-01T09:30:00Z");
    let sent = second.attr(i.get("sent").expect("sent"));
    assert!(matches!(sent, Some(Value::Time(_))), "{sent:?}");
    assert_eq!(got.customer(&got.events[2]), "42");
    assert_eq!(
        got.events[2].time, got.events[3].time,
        "epoch s and ms agree"
    );
    assert_eq!(got.events[3].channel, None);
    assert_eq!(got.customer(&got.events[4]), "cé");
    assert_eq!(got.events[4].origin.line, 6);
}

#[test]
fn ndjson_line_over_one_mebibyte_is_rejected_and_reading_continues() {
    let mut text = Vec::new();
    writeln!(
        text,
        r#"{{"customer":"c1","step":"a","time":"2026-03-01T10:00:00Z"}}"#
    )
    .expect("mem");
    write!(
        text,
        r#"{{"customer":"c1","step":"b","time":"2026-03-01T10:00:00Z","pad":""#
    )
    .expect("mem");
    text.extend(std::iter::repeat_n(b'x', 2 << 20));
    writeln!(text, r#""}}"#).expect("mem");
    writeln!(
        text,
        r#"{{"customer":"c1","step":"c","time":"2026-03-01T10:00:00Z"}}"#
    )
    .expect("mem");
    let got = read_from(
        std::io::Cursor::new(text),
        "big.ndjson",
        ReadOptions::new(InputFormat::Ndjson),
    );
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 2);
    let r = &got.rejected[0];
    assert_eq!(r.line, Some(2));
    assert!(
        r.reason.contains("over the limit of 1048576 bytes"),
        "{}",
        r.reason
    );
    assert!(r.raw.len() < 2000, "the raw text of a long line is cut");
}

#[test]
fn csv_bad_rows_name_the_line() {
    let got = read(&fixture("bad.csv"));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.stats.read, 8);
    assert_eq!(got.events.len(), 3);
    let expect = [
        (3, "cannot read time `2026-02-30 10:00`"),
        (4, "missing customer: column `customer` is empty"),
        (5, "missing step: column `step` is empty"),
        (6, "missing time: column `time` is empty"),
        (7, "the row has 3 fields, the header has 4"),
    ];
    let r = reasons(&got);
    assert_eq!(r.len(), expect.len(), "{r:#?}");
    for ((line, reason), (want_line, want)) in r.iter().zip(expect) {
        assert_eq!(*line, Some(want_line));
        assert!(reason.starts_with(want), "line {want_line}: {reason}");
    }
    assert_eq!(got.name(&got.events[1]), "settled\nwith a newline");
    assert_eq!(
        got.events[2].origin.line, 10,
        "a quoted newline counts as a line"
    );
}

#[test]
fn csv_with_bom_crlf_semicolons_and_a_mapping() {
    let mut options = ReadOptions::new(InputFormat::Csv);
    options.delimiter = b';';
    options.mapping = options
        .mapping
        .parse_overrides("customer=case_id,step=activity,time=ts")
        .expect("mapping");
    let got = read_with(&fixture("semicolon.csv"), options);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 2);
    assert_eq!(
        got.customer(&got.events[0]),
        "A-1",
        "the BOM is not part of the header"
    );
    assert_eq!(got.name(&got.events[0]), "Claim; reported");
    let i = &got.names.words;
    let amount = i.get("amount").expect("amount");
    assert_eq!(got.events[0].attr(amount), Some(&Value::Number(12.5)));
    assert_eq!(got.events[1].attr(amount), None, "empty cell = absent");
    let note = i.get("note").expect("note");
    assert_eq!(
        got.events[0].attr(note),
        Some(&Value::Text("said \"hi\"".into()))
    );
    assert_eq!(got.events[1].time.to_string(), "2026-03-01T11:00:00Z");
    assert_eq!(got.rejected[0].line, Some(4));
    assert!(
        got.rejected[0].reason.contains("6 fields"),
        "{}",
        got.rejected[0].reason
    );
}

#[test]
fn csv_missing_mapped_column_is_fatal_and_suggests() {
    let got = read(&fixture("missing-column.csv"));
    let err = got.error.expect("fatal").to_string();
    assert_eq!(
        err,
        "missing-column.csv: no column `step` for the step field; the header has: `customer`, \
         `activity`, `time`; map it with --map step=COLUMN"
    );
    let mut options = ReadOptions::new(InputFormat::Csv);
    options.mapping = options
        .mapping
        .parse_overrides("time=tme")
        .expect("mapping");
    options.mapping = options
        .mapping
        .parse_overrides("step=activity")
        .expect("mapping");
    let got = read_with(&fixture("missing-column.csv"), options);
    let err = got.error.expect("fatal").to_string();
    assert!(err.contains("no column `tme` for the time field"), "{err}");
    assert!(
        err.contains("did you mean `time`? (use --map time=time)"),
        "{err}"
    );
}

#[test]
fn empty_files_are_an_error_in_every_format() {
    for name in ["empty.csv", "empty.ndjson", "empty.xes"] {
        let got = read(&fixture(name));
        assert_eq!(got.stats.read, 0);
        match got.error {
            Some(InputError::Empty { file }) => assert_eq!(file, name),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn xes_bad_values_reject_the_event_naming_the_element() {
    let got = read(&fixture("bad-values.xes"));
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 2);
    assert_eq!(
        got.stats.filtered, 1,
        "the `start` event is filtered, not rejected"
    );
    let r: Vec<_> = got
        .rejected
        .iter()
        .map(|r| {
            (
                r.line,
                r.element.clone().unwrap_or_default(),
                r.reason.clone(),
            )
        })
        .collect();
    let expect = [
        (
            23,
            "<trace> 1 (`case-1`), <event> 2",
            "attribute `time:timestamp`: cannot read time `2026-13-45T10:00:00`",
        ),
        (
            27,
            "<trace> 1 (`case-1`), <event> 3",
            "attribute `amount`: `abc` is not an int",
        ),
        (
            36,
            "<trace> 1 (`case-1`), <event> 5",
            "missing time field `time:timestamp`",
        ),
        (
            48,
            "<trace> 2 (no concept:name), <event> 1",
            "missing customer: the trace has no `concept:name`",
        ),
    ];
    assert_eq!(r.len(), expect.len(), "{r:#?}");
    for ((line, element, reason), (want_line, want_element, want)) in r.iter().zip(expect) {
        assert_eq!(*line, Some(want_line), "{element}");
        assert_eq!(element, want_element);
        assert!(reason.starts_with(want), "{reason}");
    }
    let i = &got.names.words;
    let docs = got.events[0].attr(i.get("docs").expect("docs"));
    assert_eq!(
        docs,
        Some(&Value::List(vec![
            Value::Text("photo".into()),
            Value::Number(2.0)
        ]))
    );
    let last = &got.events[1];
    assert_eq!(
        last.attr(i.get("approved").expect("k")),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        last.attr(i.get("score").expect("k")),
        Some(&Value::Number(4.5))
    );
    let address = last.attr(i.get("address").expect("k"));
    assert_eq!(
        address,
        Some(&Value::List(vec![Value::Text("Ghent".into())]))
    );
}

#[test]
fn xes_classifier_and_all_lifecycles() {
    let mut options = ReadOptions::new(InputFormat::Xes);
    options.classifier = Some("activity CLASSIFIER".into());
    let got = read_with(&fixture("bad-values.xes"), options);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.assert_nothing_lost();
    assert_eq!(
        got.stats.filtered, 0,
        "lifecycle is part of the name: nothing filtered"
    );
    let names: Vec<_> = got.events.iter().map(|e| got.name(e)).collect();
    assert_eq!(
        names,
        ["Claim reported+complete", "decide+UNKNOWN"],
        "a global fills a missing later key"
    );
    let mut options = ReadOptions::new(InputFormat::Xes);
    options.classifier = Some("Resource".into());
    let err = read_with(&fixture("bad-values.xes"), options)
        .error
        .expect("fatal")
        .to_string();
    assert_eq!(
        err,
        "bad-values.xes: no classifier `Resource`; the log declares: `Activity classifier`"
    );
}

#[test]
fn xes_malformed_xml_keeps_what_was_read_and_names_the_line() {
    let got = read(&fixture("malformed.xes"));
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 1);
    assert_eq!(got.customers.len(), 1);
    assert_eq!(got.rejected.len(), 1);
    let r = &got.rejected[0];
    assert_eq!(r.line, Some(9));
    assert_eq!(
        r.element.as_deref(),
        Some("<trace> 1 (`case-1`), <event> 2")
    );
    assert!(r.reason.starts_with("malformed XML: "), "{}", r.reason);
    let err = got.error.expect("fatal").to_string();
    assert!(
        err.starts_with(
            "malformed.xes:12: malformed XML in <trace> 1 (`case-1`, opened at line 3)"
        ),
        "{err}"
    );
    assert!(err.contains("evnt"), "{err}");
}

#[test]
fn xes_unclosed_tags_are_an_error_after_the_events_read() {
    let got = read(&fixture("unclosed.xes"));
    got.assert_nothing_lost();
    assert_eq!(got.events.len(), 1);
    assert_eq!(
        got.rejected.len(),
        1,
        "the event being read is rejected, not dropped"
    );
    assert_eq!(got.rejected[0].line, Some(9));
    let err = got.error.expect("fatal").to_string();
    assert!(err.contains("the input ends inside `<event>`"), "{err}");
    let got = read(&fixture("notxes.xes"));
    let err = got.error.expect("fatal").to_string();
    assert_eq!(
        err,
        "notxes.xes: line 2: expected a `<log>` element (is this XES?)"
    );
}

#[test]
fn truncated_gzip_is_an_error_after_the_records_read() {
    let whole = std::fs::read(events_common::logs_dir().join("02_teleclaims.xes.gz")).expect("log");
    let cut = whole[..whole.len() / 2].to_vec();
    let got = read_from(
        std::io::Cursor::new(cut),
        "cut.xes.gz",
        ReadOptions::new(InputFormat::Xes),
    );
    got.assert_nothing_lost();
    assert!(got.events.len() > 1000, "{}", got.events.len());
    match got.error {
        Some(InputError::Truncated { file, line }) => {
            assert_eq!(file, "cut.xes.gz");
            assert!(line > 1000);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_json_array_is_not_ndjson() {
    let text = b"\n[{\"customer\":\"c1\",\"step\":\"a\",\"time\":\"2026-03-01\"}]\n".to_vec();
    let got = read_from(
        std::io::Cursor::new(text),
        "a.json",
        ReadOptions::new(InputFormat::Ndjson),
    );
    assert_eq!(got.stats.read, 0);
    let err = got.error.expect("fatal").to_string();
    assert_eq!(
        err,
        "a.json: line 2: a JSON array, not NDJSON (one object per line); convert it with `jq -c '.[]'`"
    );
}

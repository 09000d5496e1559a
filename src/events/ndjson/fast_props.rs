//! Property tests: the fast path reads every line exactly as the serde path
//! does (same records, same rejections, same interned names), on random flat
//! and not-so-flat JSON lines with random corruptions.

use super::cache::KeyCache;
use super::fast::{scan, special, Entries};
use super::{CustomersReader, NdjsonReader};
use crate::events::time::TimeParser;
use crate::events::{AttributeFilter, InputFormat, Mapping, Names, DEFAULT_MAX_LINE};
use proptest::prelude::*;

/// Every record as debug text (so `-0.0` and `0.0` differ), then every name.
/// A reader giving the log a few bytes at a time (sizes cycling up to 97),
/// so lines are often cut at the end of what the line reader holds.
struct Chunky<'a> {
    data: &'a [u8],
    turn: usize,
}

impl std::io::Read for Chunky<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.turn += 1;
        let n = (self.turn * 37 % 97 + 1)
            .min(out.len())
            .min(self.data.len());
        let (now, rest) = self.data.split_at(n);
        if let Some(to) = out.get_mut(..n) {
            to.copy_from_slice(now);
        }
        self.data = rest;
        Ok(n)
    }
}

impl std::io::BufRead for Chunky<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(self.data)
    }
    fn consume(&mut self, n: usize) {
        self.data = self.data.get(n..).unwrap_or_default();
    }
}

fn read_all(log: &[u8], mapping: &Mapping, filter: &AttributeFilter, fast: bool) -> Vec<String> {
    let mut reader = NdjsonReader::new(
        Chunky { data: log, turn: 0 },
        "t.ndjson".into(),
        0,
        mapping,
        TimeParser::default(),
        DEFAULT_MAX_LINE,
        filter.clone(),
    );
    reader.ctx.fast = fast;
    let mut names = Names::new();
    let mut out = Vec::new();
    loop {
        match reader.next_record(&mut names) {
            Ok(Some(record)) => out.push(format!("{record:?}")),
            Ok(None) => break,
            Err(e) => {
                out.push(format!("error {e}"));
                break;
            }
        }
    }
    out.extend((0..names.words.len()).map(|i| {
        names
            .words
            .resolve(crate::events::Symbol(i as u32))
            .to_string()
    }));
    out.extend((0..names.customers.len()).map(|i| {
        names
            .customers
            .resolve(crate::events::CustomerId(i as u32))
            .to_string()
    }));
    out
}

fn read_customers(log: &[u8], fast: bool) -> Vec<String> {
    let mut reader = CustomersReader::new(log, "c.ndjson".into(), 0, "customer");
    reader.inner.ctx.fast = fast;
    let mut names = Names::new();
    let mut out = Vec::new();
    while let Ok(Some(record)) = reader.next_record(&mut names) {
        out.push(format!("{record:?}"));
    }
    out
}

const KEYS: &[&str] = &[
    "customer",
    "step",
    "time",
    "channel",
    "actor",
    "csat",
    "tier",
    "amount",
    "when",
    "note",
    "",
    "ключ",
    "a\\\"b",
    "\\u0063ustomer",
    "st\\u0065p",
    "a\\tb",
    "a\tb",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "01",
    "-01",
    "00",
    "1.5",
    "-1.5",
    "0.1e-5",
    "1e400",
    "-1e400",
    "1E5",
    "1e+5",
    "1e-5",
    "1.",
    "-",
    ".5",
    "+1",
    "1e",
    "1.5.5",
    "1-2",
    "123456789012345678",
    "-123456789012345678",
    "1234567890123456789",
    "-1234567890123456789",
    "12345678901234567890",
    "123456789012345678901234",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1.7976931348623157e308",
    "5e-324",
    "2.5e-324",
    "1e-400",
    "0.0",
    "-0.0",
    "0e0",
    "1700000000",
    "1700000000123",
    "99999999999999999",
    "0.30000000000000004",
    "2.2250738585072011e-308",
    "9007199254740993",
];

const STRINGS: &[&str] = &[
    "",
    "c000001",
    "Claim reported",
    "web",
    "gold",
    "héllo wörld",
    "日本語",
    "emoji 😀",
    "a\\\"b",
    "line\\nbreak",
    "tab\\there",
    "\\u00e9",
    "\\ud83d\\ude00",
    "back\\\\slash",
    "\\/",
    "2026-03-01T00:00:48Z",
    "2026-03-01T00:00:48+01:00",
    "2026-03-01T00:00:48.123456789-05:30",
    "2024-02-29T23:59:59Z",
    "2023-02-29T00:00:00Z",
    "2026-03-01T24:00:00Z",
    "2026-03-01T10:00:60Z",
    "2026-03-01 10:00:00",
    "2026-03-01",
    "1700000000",
    "-1700000000.5",
    "yesterday",
    "2026-13-01T00:00:00Z",
    "2026-03-01T00:00:48+14:00",
    "2026-03-01T00:00:48-00:00",
    "raw\ttab",
    "\\x",
    "\\u12",
    "ctrl\u{1}x",
    "\\ud800",
    "a\\udc00b",
    "  ",
];

const OTHERS: &[&str] = &[
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "falsey",
    "[]",
    "{}",
    "[1, \"a\", null, [true]]",
    "{\"a\": 1, \"b\": [2]}",
    "[\"2026-03-01T00:00:48Z\", null, 1.5]",
    "[1,]",
    "{\"a\"}",
    "NaN",
    "Infinity",
    "[1e400]",
    "{\"a\": -1e999}",
    "[\"\\ud800\"]",
    "{\"\\udfff\": 1}",
    DEEP,
];

/// Nesting deeper than serde_json's limit (128).
const DEEP: &str = concat!(
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
);

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(|k| format!("\"{k}\"")),
        1 => "[a-z_]{1,8}".prop_map(|k| format!("\"{k}\"")),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(|s| format!("\"{s}\"")),
        1 => "[ -~&&[^\"\\\\]]{0,12}".prop_map(|s| format!("\"{s}\"")),
        2 => prop::sample::select(NUMBERS).prop_map(str::to_string),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|x| format!("{x:e}")),
        1 => any::<f64>().prop_map(|x| x.to_string()),
        2 => prop::sample::select(OTHERS).prop_map(str::to_string),
    ]
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just("\t"), 1 => Just(" \r "), 1 => Just("  ")]
}

/// How a line is spoiled, if at all.
#[derive(Debug, Clone)]
enum Corruption {
    None,
    Truncate(usize),
    Insert(usize, char),
    Delete(usize),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    let chars = prop::sample::select(vec![
        '"', ',', ':', '{', '}', '[', '\\', 'x', '1', ' ', '\u{0}', 'é', '\n', '\r',
    ]);
    prop_oneof![
        6 => Just(Corruption::None),
        1 => any::<usize>().prop_map(Corruption::Truncate),
        1 => (any::<usize>(), chars).prop_map(|(at, c)| Corruption::Insert(at, c)),
        1 => any::<usize>().prop_map(Corruption::Delete),
    ]
}

fn spoil(line: String, how: &Corruption) -> String {
    let boundary = |at: usize| {
        let mut at = at % (line.len() + 1);
        while !line.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match *how {
        Corruption::None => line,
        Corruption::Truncate(at) => line[..boundary(at)].to_string(),
        Corruption::Insert(at, c) => {
            let mut out = line.clone();
            out.insert(boundary(at), c);
            out
        }
        Corruption::Delete(at) => {
            let mut out = line.clone();
            let at = boundary(at);
            if at < out.len() {
                out.remove(at);
            }
            out
        }
    }
}

fn line() -> impl Strategy<Value = String> {
    let pair = (key(), ws(), ws(), value(), ws());
    (ws(), prop::collection::vec(pair, 0..9), ws(), corruption()).prop_map(
        |(lead, pairs, tail, how)| {
            let mut out = format!("{lead}{{");
            for (i, (k, w1, w2, v, w3)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format!("{w1}{k}{w2}:{w3}{v}{w1}"));
            }
            out.push_str(&format!("}}{tail}"));
            spoil(out, &how)
        },
    )
}

/// Bytes that are never UTF-8 where they are put: a lone continuation byte,
/// a lead byte cut short (or cutting a character), bytes never used.
const BAD_BYTES: &[u8] = &[0x80, 0xBF, 0xC3, 0xE6, 0xF0, 0xC0, 0xFF];

/// `log` with each `(at, byte)` put at byte `at` (modulo the length).
fn with_bad_bytes(log: &str, bad: &[(usize, u8)]) -> Vec<u8> {
    let mut bytes = log.as_bytes().to_vec();
    for &(at, byte) in bad {
        bytes.insert(at % (bytes.len() + 1), byte);
    }
    bytes
}

fn mappings() -> Vec<Mapping> {
    let plain = Mapping::for_format(InputFormat::Ndjson);
    let mut joined = plain.clone();
    joined.step = vec!["step".into(), "note".into()];
    joined.channel = None;
    vec![plain, joined]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fast_path_reads_like_serde(
        lines in prop::collection::vec(line(), 1..12),
        only in any::<bool>(),
        bad in prop::collection::vec((any::<usize>(), prop::sample::select(BAD_BYTES)), 0..3),
    ) {
        let log = lines.join("\n");
        let bytes = with_bad_bytes(&log, &bad);
        let log = String::from_utf8_lossy(&bytes);
        let filter = match only {
            true => AttributeFilter::only(["csat", "tier", "when", "ключ"]),
            false => AttributeFilter::All,
        };
        for mapping in mappings() {
            let fast = read_all(&bytes, &mapping, &filter, true);
            let slow = read_all(&bytes, &mapping, &filter, false);
            prop_assert_eq!(fast, slow, "log:\n{}", log);
        }
        prop_assert_eq!(read_customers(&bytes, true), read_customers(&bytes, false));
    }
}

/// The rejections of a log (line and reason), read with `filter` and the
/// actor read or left out.
fn rejections(log: &[u8], filter: &AttributeFilter, read_actor: bool) -> Vec<String> {
    let mapping = Mapping::for_format(InputFormat::Ndjson);
    let mut reader = NdjsonReader::new(
        Chunky { data: log, turn: 0 },
        "t.ndjson".into(),
        0,
        &mapping,
        TimeParser::default(),
        DEFAULT_MAX_LINE,
        filter.clone(),
    );
    if !read_actor {
        reader.leave_out_actor();
    }
    let mut names = Names::new();
    let mut out = Vec::new();
    loop {
        match reader.next_record(&mut names) {
            Ok(Some(crate::events::Record::Rejected(r))) => out.push(r.to_string()),
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                out.push(format!("error {e}"));
                break;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// One validation for every verb: the lines rejected (and why) are the
    /// same whichever attributes the caller reads (`cxl profile` reads all,
    /// `cxl eval` only those its policy names, without the actor).
    #[test]
    fn rejections_do_not_depend_on_the_attributes_read(
        lines in prop::collection::vec(line(), 1..12),
        bad in prop::collection::vec((any::<usize>(), prop::sample::select(BAD_BYTES)), 0..2),
    ) {
        let log = with_bad_bytes(&lines.join("\n"), &bad);
        let all = rejections(&log, &AttributeFilter::All, true);
        for (filter, read_actor) in [
            (AttributeFilter::only(["csat", "tier"]), false),
            (AttributeFilter::only(Vec::<String>::new()), false),
            (AttributeFilter::only(["amount", "when", "note"]), true),
        ] {
            let narrow = rejections(&log, &filter, read_actor);
            prop_assert_eq!(&narrow, &all, "log:\n{}", String::from_utf8_lossy(&log));
        }
    }
}

/// The lines `cxl eval` accepted when its policy did not read the field
/// (a number out of range, a lone surrogate, nesting past the limit) are
/// rejected whatever is read.
#[test]
fn a_bad_value_is_rejected_even_when_left_out() {
    let head = r#"{"customer":"c","step":"s","time":"2026-03-01T00:00:00Z","zz":"#;
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    for (value, reason) in [
        ("1e999", "number out of range"),
        ("\"\\ud800\"", "hex escape"),
        ("[\"x\\udc00\"]", "lone leading surrogate"),
        (deep.as_str(), "recursion limit exceeded"),
    ] {
        let log = format!("{head}{value}}}\n");
        let narrow = rejections(log.as_bytes(), &AttributeFilter::only(["csat"]), false);
        assert_eq!(narrow.len(), 1, "{value:.40}: {narrow:?}");
        assert!(narrow[0].contains(reason), "{narrow:?}");
        assert_eq!(
            narrow,
            rejections(log.as_bytes(), &AttributeFilter::All, true)
        );
    }
}

/// Keys of every pattern length the key cache matches differently (up to
/// eight bytes with quotes and colon, up to sixteen, longer), many a prefix
/// of another, and mapped keys.
const SHAPE_KEYS: &[&str] = &[
    "customer",
    "step",
    "time",
    "channel",
    "actor",
    "a",
    "ab",
    "abcd",
    "abcde",
    "abcdefghijkl",
    "abcdefghijklm",
    "abcdefghijklmnopq",
    "abcdefghijklmnopqr",
    "tier",
    "tiers",
    "ti",
    "ключ",
];

/// One line of a log whose lines share a key order: the keys of `order`
/// that `keep` keeps, in that order but for the pair `swap` exchanges (if
/// any), with the values of `values` (cycled) and blanks where `spaced`.
fn shaped_line(
    order: &[usize],
    keep: &[bool],
    swap: Option<usize>,
    values: &[String],
    spaced: bool,
) -> String {
    let mut keys: Vec<&str> = order
        .iter()
        .zip(keep.iter().chain(std::iter::repeat(&true)))
        .filter(|(_, &k)| k)
        .filter_map(|(&k, _)| SHAPE_KEYS.get(k).copied())
        .collect();
    if let (Some(swap), true) = (swap, keys.len() > 1) {
        let at = swap % (keys.len() - 1);
        keys.swap(at, at + 1);
    }
    let gap = if spaced { " " } else { "" };
    let pairs: Vec<String> = keys
        .iter()
        .zip(values.iter().cycle())
        .map(|(k, v)| format!("\"{k}\":{gap}{v}"))
        .collect();
    format!("{{{}}}", pairs.join(&format!(",{gap}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Lines that mostly repeat one key order (what the key cache learns),
    /// with keys left out, two swapped, blanks, escapes, non-ASCII text
    /// and cut lines, read alike by both paths.
    #[test]
    fn lines_of_one_shape_read_like_serde(
        order in prop::collection::vec(0..SHAPE_KEYS.len(), 1..10),
        lines in prop::collection::vec(
            (
                prop::collection::vec(prop::bool::weighted(0.85), 0..10),
                prop::option::weighted(0.15, any::<usize>()),
                prop::collection::vec(value(), 1..4),
                prop::bool::weighted(0.1),
                corruption(),
            ),
            1..12,
        ),
        cut_last in any::<bool>(),
    ) {
        let mut log = String::new();
        for (keep, swap, values, spaced, how) in &lines {
            let line = shaped_line(&order, keep, *swap, values, *spaced);
            log.push_str(&spoil(line, how));
            log.push('\n');
        }
        if cut_last {
            // The last line without its `\n`, ending at the input's end.
            log.pop();
        }
        for mapping in mappings() {
            let fast = read_all(log.as_bytes(), &mapping, &AttributeFilter::All, true);
            let slow = read_all(log.as_bytes(), &mapping, &AttributeFilter::All, false);
            prop_assert_eq!(fast, slow, "log:\n{}", log);
        }
    }
}

/// The first byte of `word` that ends a plain string run, byte by byte.
fn first_special(word: [u8; 8]) -> Option<usize> {
    word.iter()
        .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// The word-at-a-time test flags first the byte a byte-by-byte scan
    /// stops at, whatever follows it (bytes near the edges of the classes
    /// chosen often).
    #[test]
    fn special_flags_the_first_byte_that_ends_a_plain_run(
        word in prop::array::uniform8(prop_oneof![
            4 => 0x20u8..0x7f,
            1 => prop::sample::select(vec![
                0x00u8, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80,
                0x81, 0xa1, 0xc3, 0xff, 0x02, 0x1e,
            ]),
        ]),
    ) {
        let flags = special(u64::from_le_bytes(word));
        let first = (flags != 0).then(|| (flags.trailing_zeros() / 8) as usize);
        prop_assert_eq!(first, first_special(word), "{:02x?}", word);
    }
}

#[test]
fn a_cached_key_with_an_escape_is_not_matched_raw() {
    let mapping = Mapping::for_format(InputFormat::Ndjson);
    for log in [
        "{\"a\\tb\":1}\n{\"a\tb\":2}",
        "{\"a\\\"b\":1}\n{\"a\"b\":2}",
    ] {
        let log = log.as_bytes();
        let fast = read_all(log, &mapping, &AttributeFilter::All, true);
        assert!(
            fast.iter().any(|r| r.contains("not valid JSON")),
            "{fast:?}"
        );
        assert_eq!(fast, read_all(log, &mapping, &AttributeFilter::All, false));
    }
}

#[test]
fn the_common_line_takes_the_fast_path() {
    let mut entries = Entries::default();
    for line in [
        r#"{"customer":"c000001","step":"Claim reported","time":"2026-03-01T00:00:48Z","channel":"web","actor":"Claims intake","tenure_days":89,"csat":5}"#,
        r#" { "a" : -1.5e3 , "b":null,"c":true,"d":false, "e":"日本", "f": 0, "g": -0 } "#,
        "{}",
        "{\t}",
    ] {
        assert!(
            scan(line.as_bytes(), &KeyCache::default(), &mut entries).is_some(),
            "{line}"
        );
    }
    for line in [
        r#"{"a":"\n"}"#,
        r#"{"a":[1]}"#,
        r#"{"a":{"b":1}}"#,
        r#"{"a":1,}"#,
        r#"{"a":01}"#,
        r#"{"a":1e400}"#,
        r#"{"a":1} x"#,
        r#"{"a" 1}"#,
        r#"["a"]"#,
        "{\"a\":\"\t\"}",
    ] {
        assert!(
            scan(line.as_bytes(), &KeyCache::default(), &mut entries).is_none(),
            "{line}"
        );
    }
}

#[test]
fn bad_utf8_in_any_field_is_rejected_alike() {
    let line = r#"{"customer":"c1","step":"Claim é","time":"2026-03-01T00:00:48Z","channel":"web","actor":"Ann","tier":"gold","csat":5}"#;
    let mapping = Mapping::for_format(InputFormat::Ndjson);
    let mut at = 0;
    let mut checked = 0;
    // A bad byte in each position of the line, after a good line that fills the caches.
    while at <= line.len() {
        for bad in BAD_BYTES {
            let mut log = format!("{line}\n").into_bytes();
            let mut spoiled = line.as_bytes().to_vec();
            spoiled.insert(at, *bad);
            log.extend_from_slice(&spoiled);
            let fast = read_all(&log, &mapping, &AttributeFilter::All, true);
            assert_eq!(fast, read_all(&log, &mapping, &AttributeFilter::All, false));
            if std::str::from_utf8(&spoiled).is_err() {
                let second = fast.get(1).map_or("", String::as_str);
                assert!(second.contains("not valid UTF-8 at byte"), "{second}");
                checked += 1;
            }
        }
        at += 1;
    }
    assert!(checked > line.len(), "{checked}");
}

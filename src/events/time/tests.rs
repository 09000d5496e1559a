//! Tests of time parsing: the accepted forms, and the fast path against the
//! reference parser (jiff) on random valid and invalid times.

use super::*;

fn utc(text: &str) -> String {
    TimeParser::default()
        .parse_str(text)
        .map(|t| t.to_string())
        .unwrap_or_else(|e| e)
}

#[test]
fn rfc3339_and_xes_forms() {
    assert_eq!(utc("2010-12-30T14:32:00.000+01:00"), "2010-12-30T13:32:00Z");
    assert_eq!(
        utc("2011-10-11 13:45:40.276000+02:00"),
        "2011-10-11T11:45:40.276Z"
    );
    assert_eq!(utc("2024-03-01T10:00:00Z"), "2024-03-01T10:00:00Z");
    assert_eq!(utc("2024-03-01T10:00:00-0530"), "2024-03-01T15:30:00Z");
    assert_eq!(utc("1970-01-01T00:00:00"), "1970-01-01T00:00:00Z");
    assert_eq!(utc("2024-02-29"), "2024-02-29T00:00:00Z");
    assert_eq!(utc("2024-03-01 10:00"), "2024-03-01T10:00:00Z");
    assert_eq!(utc("1969-12-31T23:59:59.5Z"), "1969-12-31T23:59:59.5Z");
}

#[test]
fn naive_times_use_the_zone() {
    let offset = jiff::tz::Offset::from_seconds(3600).expect("offset");
    let parser = TimeParser::new(TimeZone::fixed(offset));
    let ts = parser.parse_str("2024-03-01 10:00:00").expect("time");
    assert_eq!(ts.to_string(), "2024-03-01T09:00:00Z");
    let ts = parser.parse_str("2024-03-01T10:00:00Z").expect("time");
    assert_eq!(ts.to_string(), "2024-03-01T10:00:00Z");
}

#[test]
fn fixed_zones() {
    let zone = fixed_zone("-05:30").expect("offset");
    let ts = TimeParser::new(zone)
        .parse_str("2024-03-01 10:00")
        .expect("time");
    assert_eq!(ts.to_string(), "2024-03-01T15:30:00Z");
    assert!(fixed_zone("UTC").is_some());
    assert!(fixed_zone("Europe/Amsterdam").is_none());
}

#[test]
fn epoch_numbers_by_magnitude() {
    let parser = TimeParser::default();
    let s = parser.parse_number(1_700_000_000.0).expect("s");
    let ms = parser.parse_number(1_700_000_000_000.0).expect("ms");
    assert_eq!(s, ms);
    assert_eq!(utc("1700000000"), "2023-11-14T22:13:20Z");
    assert_eq!(utc("1700000000123"), "2023-11-14T22:13:20.123Z");
}

#[test]
fn bad_times_quote_the_value_and_list_formats() {
    for bad in [
        "2024-02-30",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "",
        "2024-03-01T25:00",
    ] {
        let err = TimeParser::default().parse_str(bad).expect_err(bad);
        assert!(err.contains(&format!("`{bad}`")), "{err}");
        assert!(err.contains("RFC 3339"), "{err}");
    }
}

#[test]
fn a_well_formed_time_past_the_calendar_s_range_says_so() {
    for late in ["9999-12-31T23:59:59Z", "9999-12-31"] {
        let err = TimeParser::default().parse_str(late).expect_err(late);
        assert!(err.contains(&format!("`{late}` is out of range")), "{err}");
        assert!(
            err.contains("1900-01-01T00:00:00Z to 2200-01-01T00:00:00Z"),
            "the times it reads: {err}"
        );
    }
}

/// One bad value must not move "now": times outside 1900..2200 are refused,
/// in every form and on every path, quoting the value; the edges are kept.
#[test]
fn times_outside_the_window_are_refused() {
    let parser = TimeParser::default();
    for text in [
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "2200-01-01T00:00:00.5+00:00",
        "1899-12-31T23:00:00+01:30",
        "5138-11-16T09:46:40Z",
        "1000-01-01",
        "2300-06-01 10:00:00",
    ] {
        let err = parser.parse_str(text).expect_err(text);
        assert!(err.contains(&format!("`{text}` is out of range")), "{err}");
        let mut last = LastDay::default();
        assert_eq!(
            parser.parse_bytes_cached(text.as_bytes(), &mut last),
            Err(err)
        );
    }
    for text in [
        "1900-01-01T00:00:00Z",
        "1899-12-31T23:00:00-01:00",
        "2199-12-31T23:59:59.999999999Z",
        "1970-01-01T00:00:00Z",
        "1970-01-02 12:00",
    ] {
        assert!(parser.parse_str(text).is_ok(), "{text}");
    }
}

/// A 20-digit time was read as epoch nanoseconds of the year 5138 and became
/// the run's as-of time; an epoch number whose reading leaves the window
/// is refused as having an ambiguous unit, quoting it.
#[test]
fn epoch_numbers_outside_the_window_are_ambiguous() {
    let parser = TimeParser::default();
    for (text, unit) in [
        ("99999999999999999999", "nanoseconds"),
        ("50000000000", "seconds"),
        ("9000000000", "seconds"),
        ("-3000000000", "seconds"),
        ("99999999999999", "milliseconds"),
        ("99999999999999999", "microseconds"),
        ("9999999999999999999999999999999", "nanoseconds"),
    ] {
        let err = parser.parse_str(text).expect_err(text);
        assert!(
            err.contains(&format!("epoch time `{text}` read as {unit}")),
            "{err}"
        );
        assert!(err.contains("ambiguous"), "{err}");
        let number: i128 = text.parse().expect("an integer");
        assert_eq!(parser.parse_integer(number), Err(err));
    }
    let err = parser.parse_number(1e20).expect_err("1e20");
    assert!(
        err.contains(
            "epoch time `100000000000000000000` read as nanoseconds is 5138-11-16T09:46:40Z"
        ),
        "{err}"
    );
    // 1970 and the edges of each unit still read.
    for (number, time) in [
        (0, "1970-01-01T00:00:00Z"),
        (86_400, "1970-01-02T00:00:00Z"),
        (-2_208_988_800, "1900-01-01T00:00:00Z"),
        (7_258_118_399, "2199-12-31T23:59:59Z"),
        (100_000_000_000, "1973-03-03T09:46:40Z"),
        (100_000_000_000_000, "1973-03-03T09:46:40Z"),
        (100_000_000_000_000_000, "1973-03-03T09:46:40Z"),
    ] {
        let ts = parser.parse_integer(number).expect("in the window");
        assert_eq!(ts.to_string(), time);
        assert_eq!(parser.parse_number(number as f64), Ok(ts));
    }
}

/// Offsets run to ±18:00; `+25:00` was read.
#[test]
fn offsets_beyond_eighteen_hours_are_refused() {
    let parser = TimeParser::default();
    for text in [
        "2026-03-01T10:00:00+25:00",
        "2026-03-01T10:00:00+18:01",
        "2026-03-01T10:00:00-1830",
        "2026-03-01T10:00:00.123+19",
        "2026-03-01T10:00+20:00",
        "2026-03-01T10:00:00+19:00[Etc/UTC]",
    ] {
        let err = parser.parse_str(text).expect_err(text);
        assert!(err.contains(&format!("`{text}` has the offset")), "{err}");
        assert!(err.contains("more than 18 hours from UTC"), "{err}");
        let mut last = LastDay::default();
        assert_eq!(
            parser.parse_bytes_cached(text.as_bytes(), &mut last),
            Err(err)
        );
    }
    for text in ["2026-03-01T10:00:00+18:00", "2026-03-01T10:00:00-18:00"] {
        assert!(parser.parse_str(text).is_ok(), "{text}");
    }
    assert!(fixed_zone("+18:00").is_some());
    assert!(fixed_zone("+19:00").is_none());
}

#[test]
fn fast_path_agrees_with_jiff() {
    for text in [
        "2000-02-29T23:59:59.999999999+14:00",
        "1999-12-31T00:00:00-12:00",
        "2100-03-01T12:34:56.7Z",
    ] {
        let ours = TimeParser::default().parse_str(text).expect("ours");
        let theirs: Timestamp = text.parse().expect("jiff");
        assert_eq!(ours, theirs, "{text}");
    }
}

use proptest::prelude::*;

/// A date-time in the shapes the fast path reads, with fields that are often
/// out of range: `YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)fff]]][offset]`.
fn shaped() -> impl Strategy<Value = String> {
    let year = prop_oneof![
        1960u32..2101,
        0u32..10_000,
        Just(2000),
        Just(1900),
        Just(2024)
    ];
    let day = prop_oneof![1u32..32, 0u32..100];
    let hour = prop_oneof![0u32..24, 0u32..100];
    let minute = prop_oneof![0u32..60, 0u32..100];
    let second = prop_oneof![0u32..60, Just(60), Just(61), 0u32..100];
    let sep = prop::sample::select(vec!["T", "t", " ", "_"]);
    let fraction = prop_oneof![
        Just(String::new()),
        "[.,][0-9]{1,12}".prop_map(|f| f),
        Just(".".to_string()),
    ];
    let offset = prop_oneof![
        Just("Z".to_string()),
        Just("z".to_string()),
        Just(String::new()),
        (prop::sample::select(vec!["+", "-"]), 0u32..27, 0u32..61)
            .prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
        (prop::sample::select(vec!["+", "-"]), 0u32..27, 0u32..61)
            .prop_map(|(s, h, m)| format!("{s}{h:02}{m:02}")),
        (prop::sample::select(vec!["+", "-"]), 0u32..27).prop_map(|(s, h)| format!("{s}{h:02}")),
        Just("+14:00".to_string()),
        Just("-00:00".to_string()),
        Just("+1:00".to_string()),
        Just("UTC".to_string()),
    ];
    let time = prop_oneof![
        1 => Just(String::new()),
        1 => (sep.clone(), hour.clone(), minute.clone()).prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
        6 => (sep, hour, minute, second, fraction).prop_map(|(s, h, m, sec, f)| format!("{s}{h:02}:{m:02}:{sec:02}{f}")),
    ];
    (year, 0u32..14, day, time, offset)
        .prop_map(|(y, mo, d, t, o)| format!("{y:04}-{mo:02}-{d:02}{t}{o}"))
}

/// The fast path's result and the reference's. The fast path reads a
/// fraction of more than 9 digits and drops the rest (jiff refuses it), so
/// there the reference reads the text cut to 9 digits, under the same message.
fn both(parser: &TimeParser, text: &str) -> (Result<Timestamp, String>, Result<Timestamp, String>) {
    let fast = parser.parse_text(text, true);
    let cut = cut_fraction(text);
    let reference = parser
        .parse_text(&cut, false)
        .map_err(|e| e.replace(&format!("`{cut}`"), &format!("`{text}`")));
    (fast, reference)
}

/// `text` with a fraction of seconds cut to 9 digits.
fn cut_fraction(text: &str) -> String {
    let Some(_) = text.get(19..20).filter(|c| matches!(*c, "." | ",")) else {
        return text.to_string();
    };
    let digits = text[20..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return text.to_string();
    }
    format!("{}{}", &text[..29], &text[20 + digits..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn fast_path_equals_the_reference_parser(text in shaped()) {
        let (fast, reference) = both(&TimeParser::default(), &text);
        prop_assert_eq!(fast, reference, "{}", text);
    }

    #[test]
    fn fast_path_equals_the_reference_in_a_fixed_zone(text in shaped(), hours in -12i32..15) {
        let zone = TimeZone::fixed(jiff::tz::Offset::from_seconds(hours * 3600).expect("offset"));
        let (fast, reference) = both(&TimeParser::new(zone), &text);
        prop_assert_eq!(fast, reference, "{}", text);
    }

    #[test]
    fn fast_path_equals_the_reference_on_any_text(text in "[0-9T:.+Z -]{0,30}") {
        let (fast, reference) = both(&TimeParser::default(), &text);
        prop_assert_eq!(fast, reference, "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The cached path, over a run of times that often share their date,
    /// reads each exactly as the general path does.
    #[test]
    fn cached_day_path_equals_the_general_path(
        texts in prop::collection::vec(prop_oneof![
            3 => shaped(),
            2 => ("2026-03-0[1-2]", "[Tt _]", "[0-9]{2}:[0-9]{2}:[0-9]{2}", "(\\.[0-9]{1,3})?", "(Z|z|\\+01:00|-0530|)")
                .prop_map(|(d, s, t, f, o)| format!("{d}{s}{t}{f}{o}")),
            // Runs of one minute (the minute cache), with any seconds.
            3 => ("2026-03-01T1[01]:0[01]:[0-9]{2}", "(\\.[0-9]{1,3})?", "(Z|z|\\+01:00|-0530|)")
                .prop_map(|(t, f, o)| format!("{t}{f}{o}")),
            1 => "[0-9T:.+Z -]{0,30}",
        ], 1..20),
        hours in prop::option::of(-12i32..15),
    ) {
        let parser = match hours {
            Some(h) => TimeParser::new(TimeZone::fixed(jiff::tz::Offset::from_seconds(h * 3600).expect("offset"))),
            None => TimeParser::default(),
        };
        let mut last = LastDay::default();
        for text in &texts {
            prop_assert_eq!(parser.parse_bytes_cached(text.as_bytes(), &mut last), parser.parse_str(text), "{}", text);
        }
    }
}

#[test]
fn edge_times_agree_with_the_reference() {
    for text in [
        "2023-02-29T00:00:00Z",
        "2024-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "2026-03-01T24:00:00Z",
        "2026-03-01T23:59:60Z",
        "2026-03-01T23:59:61Z",
        "2026-03-01T10:00:00+14:00",
        "2026-03-01T10:00:00-00:00",
        "2026-03-01T10:00:00+25:59",
        "2026-03-01T10:00:00+26:00",
        "2026-03-01T10:00:00.1Z",
        "2026-03-01T10:00:00.123456789Z",
        "2026-03-01T10:00:00.1234567891Z",
        "2026-03-01T10:00:00,123456789999+01:00",
        "2026-03-01T10:00:00.Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ] {
        let (fast, reference) = both(&TimeParser::default(), text);
        assert_eq!(fast, reference, "{text}");
        // The cached path, first on a new date, then on a date it knows.
        let mut last = LastDay::default();
        for _ in 0..2 {
            let cached = TimeParser::default().parse_bytes_cached(text.as_bytes(), &mut last);
            assert_eq!(cached, TimeParser::default().parse_str(text), "{text}");
        }
    }
}

#[test]
fn the_common_shapes_take_the_fast_path() {
    for text in [
        "2026-03-01T00:00:48Z",
        "2026-03-01T00:00:48.5+01:00",
        "2026-03-01 00:00:48",
        "2026-03-01T00:00",
        "2026-03-01",
    ] {
        assert!(parse_fast(text.as_bytes()).is_some(), "{text}");
    }
}

#[test]
fn every_byte_in_the_clock_reads_like_the_general_path() {
    let parser = TimeParser::default();
    let base = *b"2026-03-01T12:34:56Z";
    for at in 10..20 {
        for byte in 0..=255u8 {
            let mut text = base;
            text[at] = byte;
            // With nothing cached, then after the unspoiled time (its
            // date and minute cached).
            for primed in [false, true] {
                let mut last = LastDay::default();
                if primed {
                    assert!(parser.parse_bytes_cached(&base, &mut last).is_ok());
                }
                let cached = parser.parse_bytes_cached(&text, &mut last);
                match std::str::from_utf8(&text) {
                    Ok(text) => assert_eq!(cached, parser.parse_str(text), "{text}"),
                    Err(_) => assert!(cached.is_err(), "{at} {byte}"),
                }
            }
        }
    }
}

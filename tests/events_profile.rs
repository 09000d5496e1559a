//! `cxl profile`: the profile of real logs, as text (snapshots) and as values.

mod events_common;

use cxl::events::{EventReader, InputFormat, Names, ReadOptions};
use cxl::profile::{read_profile, render_text, Profile};
use events_common::{fixture, logs_dir};
use std::path::Path;

fn profile(path: &Path, options: ReadOptions, top: usize) -> Profile {
    let name = path.file_name().and_then(|n| n.to_str()).expect("name");
    let file = std::fs::File::open(path).expect("open");
    let mut reader = EventReader::new(file, name, 0, &options).expect("reader");
    let mut names = Names::new();
    let (profile, error) = read_profile(&mut reader, &mut names, name, top);
    assert!(error.is_none(), "{error:?}");
    profile
}

fn default_profile(path: &Path) -> Profile {
    let format = InputFormat::from_path(path).expect("format");
    profile(path, ReadOptions::new(format), 10)
}

#[test]
fn running_example_profile_text() {
    let p = default_profile(&logs_dir().join("running-example.xes"));
    // The numbers SOURCES.md gives (from PM4Py), checked field by field.
    assert_eq!((p.cases, p.events, p.distinct_variants), (6, 42, 6));
    assert_eq!(p.activities.len(), 8);
    let e = p.events_per_case.as_ref().expect("cases");
    assert_eq!((e.min, e.max), (5, 13));
    assert!((e.mean - 7.0).abs() < 1e-9);
    let span = p.time_span.as_ref().expect("span");
    assert_eq!(span.first, "2010-12-30T10:02:00Z");
    assert_eq!(span.last, "2011-01-24T13:56:00Z");
    insta::assert_snapshot!("running_example", render_text(&p));
}

#[test]
fn csv_and_xes_running_example_profile_alike() {
    let xes = default_profile(&logs_dir().join("running-example.xes"));
    let csv = default_profile(&logs_dir().join("running-example.csv"));
    assert_eq!(xes.variants, csv.variants);
    assert_eq!(xes.directly_follows, csv.directly_follows);
    assert_eq!(xes.case_duration, csv.case_duration);
}

#[test]
fn bpic2013_closed_with_lifecycle_in_the_step_name() {
    let path = logs_dir().join("06_bpic2013_closed.xes.gz");
    let mut options = ReadOptions::new(InputFormat::Xes);
    options.mapping = options
        .mapping
        .parse_overrides("step=concept:name+lifecycle:transition")
        .expect("mapping");
    let p = profile(&path, options, 8);
    assert_eq!((p.cases, p.events), (1487, 6660));
    assert_eq!(p.activities.len(), 7, "act+lc in SOURCES.md");
    let e = p.events_per_case.as_ref().expect("cases");
    assert_eq!((e.min, e.max), (1, 35));
    insta::assert_snapshot!("bpic2013_closed_act_lc", render_text(&p));
}

#[test]
fn variant_counts_match_pm4py() {
    for (file, variants) in [
        ("08_receipt.xes.gz", 116),
        ("helpdesk.xes.gz", 226),
        ("02_teleclaims.xes.gz", 12),
        ("03_repairExample.xes.gz", 77),
        ("06_bpic2013_closed.xes.gz", 183),
        ("07_bpic2013_incidents.xes.gz", 1511),
    ] {
        let path = logs_dir().join(file);
        let mut options = ReadOptions::new(InputFormat::Xes);
        // PM4Py counts variants on every event, whatever its lifecycle.
        options.all_lifecycle = true;
        let p = profile(&path, options, 3);
        assert_eq!(p.distinct_variants, variants, "{file}");
        let share: f64 = p.variants.iter().map(|v| v.share).sum();
        assert!(share > 0.0 && share <= 1.0);
    }
}

#[test]
fn profile_of_bad_input_shows_rejections_and_json_round_trips() {
    let p = default_profile(&fixture("bad.csv"));
    assert_eq!(p.records.rejected, 5);
    assert_eq!(p.rejections.len(), 5);
    assert_eq!(p.rejections[0].line, Some(3));
    let json = serde_json::to_value(&p).expect("json");
    assert_eq!(json["records"]["read"], 8);
    assert_eq!(
        json["rejections"][1]["reason"],
        "missing customer: column `customer` is empty"
    );
    assert_eq!(json["cases"], 3);
    insta::assert_snapshot!("bad_csv", render_text(&p));
}

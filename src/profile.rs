//! `cxl profile`: what a CX architect needs to know about a log before writing a
//! policy — cases, events, rejections, the time span, activities, the most
//! frequent variants and directly-follows pairs, case durations, events per case.
//!
//! A [`ProfileBuilder`] takes events one by one (memory grows with the events
//! kept per case: a name and a time each) and [`ProfileBuilder::finish`] turns
//! them into a [`Profile`], a plain serializable value; [`render_text`] shows it.
//! Every list is sorted (count descending, then name), so output is deterministic.

mod render;

use crate::events::{
    CustomerId, Event, EventReader, InputError, Interner, Names, ReadStats, Record, Rejection,
    Symbol,
};
use jiff::Timestamp;
use rustc_hash::FxHashMap;
use serde::Serialize;

pub use crate::events::time::human_duration;
pub use render::render_text;

/// A log's profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// The log's name as given.
    pub file: String,
    /// Records read, accepted, rejected, filtered.
    pub records: ReadStats,
    /// Distinct customers (cases) among the accepted events.
    pub cases: u64,
    /// Accepted events.
    pub events: u64,
    /// The earliest and latest event times, and the span between them.
    pub time_span: Option<TimeSpan>,
    /// Activities (event names) by count.
    pub activities: Vec<Activity>,
    /// How many distinct variants there are.
    pub distinct_variants: u64,
    /// The most frequent variants.
    pub variants: Vec<Variant>,
    /// How many distinct directly-follows pairs there are.
    pub distinct_pairs: u64,
    /// The most frequent directly-follows pairs.
    pub directly_follows: Vec<Follows>,
    /// Case duration (first to last event) percentiles, in seconds.
    pub case_duration: Option<Percentiles>,
    /// Events per case percentiles.
    pub events_per_case: Option<Percentiles>,
    /// The first rejections (at most the top count).
    pub rejections: Vec<Rejection>,
    /// The error that stopped reading, if any (the profile covers what was read).
    pub error: Option<String>,
}

/// The time covered by a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeSpan {
    /// The earliest event time (RFC 3339, UTC).
    pub first: String,
    /// The latest event time (RFC 3339, UTC).
    pub last: String,
    /// Seconds between them.
    pub seconds: i64,
}

/// One activity and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// The event name.
    pub name: String,
    /// How many events have it.
    pub events: u64,
    /// How many cases have it at least once.
    pub cases: u64,
}

/// One variant: the sequence of activities of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    /// The activities in time order.
    pub activities: Vec<String>,
    /// How many cases follow it.
    pub cases: u64,
    /// Its share of all cases, 0 to 1.
    pub share: f64,
}

/// A directly-follows pair: `to` came right after `from` in a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Follows {
    /// The earlier activity.
    pub from: String,
    /// The next activity.
    pub to: String,
    /// How often.
    pub count: u64,
    /// The median time between them, in seconds (lower median).
    pub median_gap_seconds: i64,
}

/// Percentiles of a distribution (nearest rank).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    /// The smallest value.
    pub min: i64,
    /// The median.
    pub p50: i64,
    /// The 90th percentile.
    pub p90: i64,
    /// The 99th percentile.
    pub p99: i64,
    /// The largest value.
    pub max: i64,
    /// The mean.
    pub mean: f64,
}

impl Percentiles {
    /// The percentiles of `values` (sorted here); `None` when empty.
    pub fn of(values: &mut [i64]) -> Option<Percentiles> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let n = values.len();
        let rank = |p: usize| values[(p * n).div_ceil(100).clamp(1, n) - 1];
        let sum: f64 = values.iter().map(|&v| v as f64).sum();
        Some(Percentiles {
            min: *values.first()?,
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: *values.last()?,
            mean: sum / n as f64,
        })
    }
}

/// Collects events for a [`Profile`].
#[derive(Debug, Default)]
pub struct ProfileBuilder {
    /// Per customer: (time, input order, name).
    cases: FxHashMap<CustomerId, Vec<(Timestamp, u64, Symbol)>>,
    events: u64,
    rejections: Vec<Rejection>,
    keep_rejections: usize,
}

impl ProfileBuilder {
    /// A builder that keeps the first `top` rejections.
    pub fn new(top: usize) -> Self {
        ProfileBuilder {
            keep_rejections: top,
            ..Self::default()
        }
    }

    /// Adds one event.
    pub fn push(&mut self, event: &Event) {
        self.cases
            .entry(event.customer)
            .or_default()
            .push((event.time, self.events, event.name));
        self.events += 1;
    }

    /// Notes one rejection (the first few are kept for the profile).
    pub fn reject(&mut self, rejection: &Rejection) {
        if self.rejections.len() < self.keep_rejections {
            self.rejections.push(rejection.clone());
        }
    }

    /// The profile of everything pushed, with the top `top` variants and pairs.
    pub fn finish(
        self,
        interner: &Interner,
        file: &str,
        records: ReadStats,
        top: usize,
    ) -> Profile {
        let mut cases: Vec<Vec<(Timestamp, u64, Symbol)>> = self.cases.into_values().collect();
        for case in &mut cases {
            case.sort_unstable_by_key(|&(time, order, _)| (time, order));
        }
        let name = |s: Symbol| interner.resolve(s).to_string();
        let (distinct_variants, variants) = variants(&cases, top, &name);
        let (distinct_pairs, directly_follows) = follows(&cases, top, &name);
        let mut durations: Vec<i64> = cases.iter().map(duration).collect();
        let mut lengths: Vec<i64> = cases.iter().map(|c| c.len() as i64).collect();
        Profile {
            file: file.to_string(),
            records,
            cases: cases.len() as u64,
            events: self.events,
            time_span: time_span(&cases),
            activities: activities(&cases, &name),
            distinct_variants,
            variants,
            distinct_pairs,
            directly_follows,
            case_duration: Percentiles::of(&mut durations),
            events_per_case: Percentiles::of(&mut lengths),
            rejections: self.rejections,
            error: None,
        }
    }
}

/// Reads a whole input into a profile; an error that stops reading is kept in
/// [`Profile::error`] and returned, and the profile covers what was read.
pub fn read_profile(
    reader: &mut EventReader,
    names: &mut Names,
    file: &str,
    top: usize,
) -> (Profile, Option<InputError>) {
    let mut builder = ProfileBuilder::new(top);
    let error = loop {
        match reader.next_record(names) {
            Ok(Some(Record::Event(event))) => builder.push(&event),
            Ok(Some(Record::Rejected(rejection))) => builder.reject(&rejection),
            Ok(Some(Record::Customer(_))) => {}
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let mut profile = builder.finish(&names.words, file, reader.stats(), top);
    profile.error = error.as_ref().map(ToString::to_string);
    (profile, error)
}

type Case = Vec<(Timestamp, u64, Symbol)>;

fn duration(case: &Case) -> i64 {
    match (case.first(), case.last()) {
        (Some(first), Some(last)) => last.0.as_second() - first.0.as_second(),
        _ => 0,
    }
}

fn time_span(cases: &[Case]) -> Option<TimeSpan> {
    let first = cases.iter().filter_map(|c| c.first()).map(|e| e.0).min()?;
    let last = cases.iter().filter_map(|c| c.last()).map(|e| e.0).max()?;
    Some(TimeSpan {
        first: first.to_string(),
        last: last.to_string(),
        seconds: last.as_second() - first.as_second(),
    })
}

fn activities(cases: &[Case], name: &dyn Fn(Symbol) -> String) -> Vec<Activity> {
    let mut counts: FxHashMap<Symbol, (u64, u64)> = FxHashMap::default();
    for case in cases {
        let mut seen: Vec<Symbol> = case.iter().map(|e| e.2).collect();
        for &s in &seen {
            counts.entry(s).or_default().0 += 1;
        }
        seen.sort_unstable();
        seen.dedup();
        for s in seen {
            counts.entry(s).or_default().1 += 1;
        }
    }
    let mut out: Vec<Activity> = counts
        .into_iter()
        .map(|(s, (events, cases))| Activity {
            name: name(s),
            events,
            cases,
        })
        .collect();
    out.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.name.cmp(&b.name)));
    out
}

fn variants(cases: &[Case], top: usize, name: &dyn Fn(Symbol) -> String) -> (u64, Vec<Variant>) {
    let mut counts: FxHashMap<Vec<Symbol>, u64> = FxHashMap::default();
    for case in cases {
        *counts
            .entry(case.iter().map(|e| e.2).collect())
            .or_default() += 1;
    }
    let distinct = counts.len() as u64;
    let total = cases.len().max(1) as f64;
    let mut out: Vec<Variant> = counts
        .into_iter()
        .map(|(seq, n)| Variant {
            activities: seq.into_iter().map(name).collect(),
            cases: n,
            share: n as f64 / total,
        })
        .collect();
    out.sort_by(|a, b| {
        b.cases
            .cmp(&a.cases)
            .then_with(|| a.activities.cmp(&b.activities))
    });
    out.truncate(top);
    (distinct, out)
}

fn follows(cases: &[Case], top: usize, name: &dyn Fn(Symbol) -> String) -> (u64, Vec<Follows>) {
    let mut gaps: FxHashMap<(Symbol, Symbol), Vec<i64>> = FxHashMap::default();
    for case in cases {
        for pair in case.windows(2) {
            let gap = pair[1].0.as_second() - pair[0].0.as_second();
            gaps.entry((pair[0].2, pair[1].2)).or_default().push(gap);
        }
    }
    let distinct = gaps.len() as u64;
    let mut out: Vec<Follows> = gaps
        .into_iter()
        .map(|((from, to), mut g)| {
            let count = g.len() as u64;
            let mid = g.len().saturating_sub(1) / 2;
            let (_, median, _) = g.select_nth_unstable(mid);
            Follows {
                from: name(from),
                to: name(to),
                count,
                median_gap_seconds: *median,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to)))
    });
    out.truncate(top);
    (distinct, out)
}

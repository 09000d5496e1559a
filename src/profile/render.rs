//! The text rendering of a [`Profile`]: aligned sections a person reads.

use super::{Percentiles, Profile};
use crate::events::time::human_duration;
use std::fmt::Write;

/// A name with control characters escaped, so one item stays on one line.
fn shown(name: &str) -> String {
    if !name.chars().any(char::is_control) {
        return name.to_string();
    }
    name.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The profile as text.
pub fn render_text(p: &Profile) -> String {
    let mut out = String::new();
    header(&mut out, p);
    activities(&mut out, p);
    variants(&mut out, p);
    follows(&mut out, p);
    rejections(&mut out, p);
    out
}

fn header(out: &mut String, p: &Profile) {
    let r = &p.records;
    let _ = writeln!(out, "log             {}", p.file);
    let _ = write!(
        out,
        "records         {} read = {} accepted + {} rejected",
        r.read, r.accepted, r.rejected
    );
    if r.filtered > 0 {
        let _ = write!(
            out,
            "; {} left out by lifecycle (start, schedule, …; see --all-lifecycle)",
            r.filtered
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "cases           {}", p.cases);
    let _ = writeln!(out, "events          {}", p.events);
    if let Some(span) = &p.time_span {
        let _ = writeln!(
            out,
            "time span       {} → {} ({})",
            span.first,
            span.last,
            human_duration(span.seconds)
        );
    }
    if let Some(d) = &p.case_duration {
        let _ = writeln!(
            out,
            "case duration   p50 {}, p90 {}, p99 {}, max {}",
            human_duration(d.p50),
            human_duration(d.p90),
            human_duration(d.p99),
            human_duration(d.max)
        );
    }
    if let Some(e) = &p.events_per_case {
        let _ = writeln!(out, "events per case {}", counts(e));
    }
    if let Some(error) = &p.error {
        let _ = writeln!(out, "stopped         {error}");
    }
}

fn counts(e: &Percentiles) -> String {
    format!(
        "min {}, p50 {}, p90 {}, p99 {}, max {}, mean {:.1}",
        e.min, e.p50, e.p90, e.p99, e.max, e.mean
    )
}

fn activities(out: &mut String, p: &Profile) {
    let _ = writeln!(out, "\nactivities ({})", p.activities.len());
    let _ = writeln!(out, "  {:>8}  {:>8}  activity", "events", "cases");
    for a in &p.activities {
        let _ = writeln!(out, "  {:>8}  {:>8}  {}", a.events, a.cases, shown(&a.name));
    }
}

fn variants(out: &mut String, p: &Profile) {
    let _ = writeln!(
        out,
        "\nvariants ({} distinct; the {} most frequent)",
        p.distinct_variants,
        p.variants.len()
    );
    let _ = writeln!(
        out,
        "  {:>8}  {:>6}  {:>6}  activities",
        "cases", "share", "events"
    );
    for v in &p.variants {
        let _ = writeln!(
            out,
            "  {:>8}  {:>5.1}%  {:>6}  {}",
            v.cases,
            v.share * 100.0,
            v.activities.len(),
            shown(&v.activities.join(" → "))
        );
    }
}

fn follows(out: &mut String, p: &Profile) {
    let _ = writeln!(
        out,
        "\ndirectly-follows pairs ({} distinct; the {} most frequent)",
        p.distinct_pairs,
        p.directly_follows.len()
    );
    let _ = writeln!(out, "  {:>8}  {:>10}  from → to", "count", "median gap");
    for f in &p.directly_follows {
        let _ = writeln!(
            out,
            "  {:>8}  {:>10}  {} → {}",
            f.count,
            human_duration(f.median_gap_seconds),
            shown(&f.from),
            shown(&f.to)
        );
    }
}

fn rejections(out: &mut String, p: &Profile) {
    if p.rejections.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nrejected records (the first {} of {})",
        p.rejections.len(),
        p.records.rejected
    );
    for r in &p.rejections {
        let _ = writeln!(out, "  {r}");
    }
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(59), "59s");
        assert_eq!(human_duration(3600), "1h");
        assert_eq!(human_duration(3 * 86_400 + 4 * 3600 + 5), "3d 4h");
        assert_eq!(human_duration(2 * 3600 + 5 * 60 + 7), "2h 5m");
        assert_eq!(human_duration(-90), "-1m 30s");
    }
}

//! What happened instead, when an `expect` line does not hold: for each customer
//! it is about, what they got (findings and escalations), whether they were in
//! the journey's segments and why not (each segment's condition against the
//! attribute values the test gave), and their events. A few lines a person reads
//! to tell a wrong test from a wrong policy.

use super::{Outcome, Seen};
use crate::compile::Policy;
use crate::eval::{condition_attributes, Finding};
use crate::events::{time::human_duration, Symbol, Value};
use crate::syntax::{TestExpect, TestExpectKind};

/// At most this many findings and escalations, events, and customers are listed.
const MAX_ITEMS: usize = 6;
const MAX_EVENTS: usize = 8;
const MAX_CUSTOMERS: usize = 4;

/// The context lines of a failed `expect`.
pub(super) fn context(
    policy: &Policy,
    text: &str,
    expect: &TestExpect,
    outcome: &Outcome,
) -> Vec<String> {
    let who: Vec<&Seen> = match &expect.customer {
        Some(c) => outcome
            .customers
            .iter()
            .filter(|s| s.id == c.name)
            .collect(),
        None => outcome.customers.iter().collect(),
    };
    let mut lines = Vec::new();
    for seen in who.iter().take(MAX_CUSTOMERS) {
        lines.push(got(seen, outcome));
        for j in journeys(policy, expect, seen) {
            lines.extend(membership(policy, text, seen, j));
        }
        lines.push(events(seen));
    }
    if who.len() > MAX_CUSTOMERS {
        lines.push(format!("and {} more customers", who.len() - MAX_CUSTOMERS));
    }
    lines
}

/// The journeys an expectation is about: the one it names, an escalation's, or
/// (for a finding anywhere) those the customer's events belong to.
fn journeys(policy: &Policy, expect: &TestExpect, seen: &Seen) -> Vec<usize> {
    let program = &policy.program;
    let by_name = |name: &str| program.journeys.iter().position(|j| j.name == name);
    let named = match &expect.kind {
        TestExpectKind::Broken(t) | TestExpectKind::Reached(t) => by_name(&t.journey.name),
        TestExpectKind::Finding { at: Some(t), .. } => by_name(&t.journey.name),
        TestExpectKind::OffPath(j) => by_name(&j.name),
        TestExpectKind::Escalation(name) => {
            let journeys = program
                .escalations
                .iter()
                .find(|e| e.name == name.name)
                .map(|e| e.journeys.clone())
                .unwrap_or_default();
            if !journeys.is_empty() {
                return journeys;
            }
            None
        }
        TestExpectKind::Finding { at: None, .. } => None,
    };
    if let Some(j) = named {
        return vec![j];
    }
    let mut of_events: Vec<usize> = seen
        .events
        .iter()
        .flat_map(|e| e.steps.iter().map(|&(j, _)| j))
        .collect();
    of_events.sort_unstable();
    of_events.dedup();
    of_events
}

/// `c1 got: stalled at claim.acknowledge; escalation e -> "Concierge"`.
fn got(seen: &Seen, outcome: &Outcome) -> String {
    let mine = |c: &Option<String>| c.as_deref() == Some(seen.id.as_str());
    let mut items: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| mine(&f.customer))
        .map(finding_text)
        .collect();
    items.extend(
        outcome
            .report
            .escalations
            .iter()
            .filter(|e| mine(&e.customer))
            .map(|e| format!("escalation {} -> \"{}\"", e.escalation, e.recipient)),
    );
    if items.is_empty() {
        return format!("{} got no findings and no escalations", seen.id);
    }
    format!("{} got: {}", seen.id, capped(items, MAX_ITEMS))
}

fn finding_text(f: &Finding) -> String {
    match (&f.journey, &f.step) {
        (Some(j), Some(s)) => format!("{} at {j}.{s}", f.kind),
        (Some(j), None) => format!("{} on {j}", f.kind),
        _ => f.kind.to_string(),
    }
}

/// Nothing when the customer was in journey `j`; else why not: no event of it,
/// or each of its segments' conditions against their attributes.
fn membership(policy: &Policy, text: &str, seen: &Seen, j: usize) -> Vec<String> {
    let program = &policy.program;
    let journey = &program.journeys[j];
    let Some(start) = seen.journey_start(program, j) else {
        return vec![format!(
            "{} has no event of journey `{}`",
            seen.id, journey.name
        )];
    };
    if start.admitted {
        return Vec::new();
    }
    let known = start.known;
    let mut lines = vec![format!(
        "{} was outside journey `{}`, which is for {}:",
        seen.id,
        journey.name,
        journey.segments.join(", ")
    )];
    for name in &journey.segments {
        let Some(i) = program.segments.iter().position(|s| s == name) else {
            continue;
        };
        let condition = policy
            .segments
            .get(i)
            .and_then(|s| s.when.as_ref())
            .and_then(|w| text.get(w.span.start..w.span.end))
            .unwrap_or("");
        let mut read = Vec::new();
        if let Some(Some(when)) = program.index.segment_when.get(i) {
            condition_attributes(when, &mut read);
        }
        let values: Vec<String> = read
            .iter()
            .map(|&key| attribute(policy, known, key))
            .collect();
        lines.push(format!(
            "  {name}: `{condition}` is false, with {}",
            if values.is_empty() {
                "no attributes".to_string()
            } else {
                values.join(", ")
            }
        ));
    }
    lines
}

/// `tier = "glod"`, or `tier not given`.
fn attribute(policy: &Policy, known: &[(Symbol, Value)], key: Symbol) -> String {
    let name = policy.program.vocabulary().resolve(key);
    match known.iter().rev().find(|(k, _)| *k == key) {
        Some((_, Value::Text(t))) => format!("{name} = \"{t}\""),
        Some((_, v)) => format!("{name} = {}", v.to_text()),
        None => format!("{name} not given"),
    }
}

/// `c1's events: report at 2026-03-02T09:00:00Z, acknowledge at +2h`.
fn events(seen: &Seen) -> String {
    if seen.events.is_empty() {
        return format!("{} has no events", seen.id);
    }
    let mut previous = None;
    let items: Vec<String> = seen
        .events
        .iter()
        .map(|e| {
            let at = match previous {
                Some(p) if e.time >= p => {
                    format!(
                        "+{}",
                        human_duration(e.time.as_second() - jiff::Timestamp::as_second(p))
                    )
                }
                _ => e.time.to_string(),
            };
            previous = Some(e.time);
            let unmatched = if e.steps.is_empty() { " (no step)" } else { "" };
            format!("{}{unmatched} at {at}", e.name)
        })
        .collect();
    format!("{}'s events: {}", seen.id, capped(items, MAX_EVENTS))
}

/// The items joined with `, `; past `max`, `and N more`.
fn capped(items: Vec<String>, max: usize) -> String {
    let more = items.len().saturating_sub(max);
    let mut shown: Vec<String> = items.into_iter().take(max).collect();
    if more > 0 {
        shown.push(format!("and {more} more"));
    }
    shown.join(", ")
}

//! The expectations checked when a step happens: channel, metrics, repeated asks,
//! attempt limits, time since an anchor (for `J.*` targets), and the fulfilment of
//! open time limits. Each rule gets its own verdict; of several rules broken by
//! one event in the same way (two thresholds on `csat`), only the most severe
//! becomes a finding.

use super::apply::{anchor_time, finding, in_scope, report, Context, WithEvidence};
use super::asked::FirstAsked;
use super::finding::{Finding, FindingKind, Level};
use super::instance::{ActivationState, CustomerState, Instance};
use super::tally::{Site, Tally, Verdict};
use crate::compile::CmpOp;
use crate::compile::MetricRule;
use crate::compile::{Check, StepId};
use crate::events::{Event, Value};

/// One step of one customer being checked: what every check reads.
#[derive(Clone, Copy)]
pub(crate) struct StepCheck<'a> {
    pub ctx: &'a Context<'a>,
    pub cust: &'a CustomerState,
    pub step: StepId,
    pub event: &'a Event,
    /// The event's time in ms (computed once).
    pub time: i64,
}

impl StepCheck<'_> {
    /// A finding about this step of the instance, at `time` (ms).
    fn finding(
        &self,
        inst: &Instance,
        kind: FindingKind,
        level: Level,
        time: i64,
        message: String,
    ) -> Finding {
        finding(
            self.ctx,
            self.cust,
            inst,
            kind,
            level,
            time,
            Some(self.step),
            message,
        )
    }
}

/// A candidate finding: the rule, its kind, a key that says "the same problem"
/// (the metric name, the asked item), and the finding.
type Candidate = (usize, FindingKind, String, Finding);

/// Checks that do not depend on event order: channel, metrics, repeated asks.
pub(crate) fn order_free(
    at: &StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    out: &mut Vec<Finding>,
) {
    let StepCheck {
        ctx, step, event, ..
    } = *at;
    let rules = ctx.index.step_rules(inst.journey, step);
    let mut candidates: Vec<Candidate> = Vec::new();
    if let Some(channel) = event.channel {
        for &e in &*rules.channel {
            if in_scope(ctx, e, inst) {
                channel_rule(at, inst, tally, e, channel, &mut candidates);
            }
        }
    }
    // Most events carry no metric: a rule is only looked at when its attribute
    // is there. The rules come by attribute, so each is looked up once.
    let mut looked_up = None;
    for rule in &*rules.metric {
        let actual = match looked_up {
            Some((k, actual)) if k == rule.key => actual,
            _ => {
                let actual = event.attr(rule.key).and_then(number);
                looked_up = Some((rule.key, actual));
                actual
            }
        };
        if let Some(actual) = actual {
            if in_scope(ctx, rule.e, inst) {
                metric_rule(at, inst, tally, rule, actual, &mut candidates);
            }
        }
    }
    let asks = &rules.asks;
    if let Some(asked) = event.attr(ctx.index.asked).filter(|_| !asks.is_empty()) {
        asks_rules(at, inst, tally, asks, asked, &mut candidates);
    }
    emit_most_severe(at, inst, tally, candidates, out);
}

/// A channel rule: the event's channel is one the step allows.
fn channel_rule(
    at: &StepCheck<'_>,
    inst: &Instance,
    tally: &mut Tally,
    e: usize,
    channel: crate::events::Symbol,
    candidates: &mut Vec<Candidate>,
) {
    if at.ctx.index.channel_symbols[e].contains(&channel) {
        tally.verdict(e, Verdict::Met);
        return;
    }
    tally.verdict(e, Verdict::Missed);
    candidates.push(wrong_channel(at, inst, e, channel));
}

/// The finding of a channel rule the event broke.
#[cold]
#[inline(never)]
fn wrong_channel(
    at: &StepCheck<'_>,
    inst: &Instance,
    e: usize,
    channel: crate::events::Symbol,
) -> Candidate {
    let StepCheck { ctx, step, .. } = *at;
    let expectation = &ctx.program.expectations[e];
    let allowed = match &expectation.check {
        Check::Channel { allowed } => list(allowed),
        _ => String::new(),
    };
    let message = format!(
        "`{}` via `{}`, expected {allowed}",
        name(ctx, inst, step),
        ctx.names.words.resolve(channel),
    );
    let t = at.time;
    let kind = FindingKind::WrongChannel;
    let f = at.finding(inst, kind, expectation.severity.into(), t, message);
    (e, kind, String::new(), f)
}

/// A metric rule: the event's value of the metric meets the threshold.
fn metric_rule(
    at: &StepCheck<'_>,
    inst: &Instance,
    tally: &mut Tally,
    rule: &MetricRule,
    actual: f64,
    candidates: &mut Vec<Candidate>,
) {
    if rule.op.holds(actual, rule.threshold) {
        tally.verdict(rule.e, Verdict::Met);
        return;
    }
    tally.verdict(rule.e, Verdict::Missed);
    candidates.push(metric_missed(at, inst, rule, actual));
}

/// The finding of a metric rule the event broke.
#[cold]
#[inline(never)]
fn metric_missed(at: &StepCheck<'_>, inst: &Instance, rule: &MetricRule, actual: f64) -> Candidate {
    let StepCheck { ctx, step, .. } = *at;
    let (e, op, value) = (rule.e, rule.op, rule.threshold);
    let expectation = &ctx.program.expectations[e];
    let metric = ctx.names.words.resolve(rule.key);
    let below = matches!(op, CmpOp::Ge | CmpOp::Gt)
        || (matches!(op, CmpOp::Eq | CmpOp::Ne) && actual < value);
    let kind = if below {
        FindingKind::MetricBelow
    } else {
        FindingKind::MetricAbove
    };
    let message = format!(
        "{metric} {} at `{}`: expected {metric} {} {}",
        fmt(actual),
        name(ctx, inst, step),
        op.as_str(),
        fmt(value)
    );
    let t = at.time;
    let f = at.finding(inst, kind, expectation.severity.into(), t, message);
    (e, kind, metric.to_string(), f)
}

/// Repeated-ask rules: each item the event asked for must not have been asked
/// before in the instance. New items are remembered once, whatever the rules.
fn asks_rules(
    at: &StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    rules: &[usize],
    asked: &Value,
    candidates: &mut Vec<Candidate>,
) {
    let StepCheck { ctx, event, .. } = *at;
    let t = at.time;
    // Items asked before this event; the ones after `before` are this event's,
    // remembered once whatever the rules (two rules may name one item).
    let before = inst.asked.len();
    for &e in rules {
        if !in_scope(ctx, e, inst) {
            continue;
        }
        let Check::AsksOnce { items } = &ctx.program.expectations[e].check else {
            continue;
        };
        for_each_item(asked, &mut |item| {
            if !items.is_empty() && !items.iter().any(|i| i == item) {
                return;
            }
            match inst
                .asked
                .find(item, 0..before)
                .and_then(|i| inst.asked.first_asked(i))
            {
                Some(first) => {
                    tally.verdict(e, Verdict::Missed);
                    candidates.push(repeated_ask(at, inst, e, item, first));
                }
                None => {
                    tally.verdict(e, Verdict::Met);
                    if inst.asked.find(item, before..inst.asked.len()).is_none() {
                        inst.asked.push(item, t, event.name, event.origin.line);
                    }
                }
            }
        });
    }
}

/// The finding of an item asked again: `first` says where it was asked first.
#[cold]
#[inline(never)]
fn repeated_ask(
    at: &StepCheck<'_>,
    inst: &Instance,
    e: usize,
    item: &str,
    first: FirstAsked,
) -> Candidate {
    let StepCheck { ctx, step, .. } = *at;
    let expectation = &ctx.program.expectations[e];
    let (first_t, first_name, first_line) = first;
    let message = format!("asked again for `{item}` at `{}`", name(ctx, inst, step));
    let level = expectation.severity.into();
    let kind = FindingKind::RepeatedAsk;
    let t = at.time;
    let mut f = at.finding(inst, kind, level, t, message);
    f.evidence
        .push(ctx.evidence(first_name, first_t, first_line, "first ask"));
    (e, kind, item.to_string(), f)
}

/// Attempt limits: the number of visits of the step in this instance. Each rule
/// reports once per instance.
pub(crate) fn attempts(
    at: &StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    out: &mut Vec<Finding>,
) {
    let StepCheck { ctx, step, .. } = *at;
    let rules = &ctx.index.step_rules(inst.journey, step).attempts;
    if rules.is_empty() {
        return;
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    let visits = inst.steps[step.index()].visits as f64;
    for &e in rules {
        let expectation = &ctx.program.expectations[e];
        let Check::Attempts { op, value } = expectation.check else {
            continue;
        };
        if !in_scope(ctx, e, inst) || inst.reported.contains(&e) {
            continue;
        }
        if op.holds(visits, value) {
            continue;
        }
        inst.reported.push(e);
        tally.verdict(e, Verdict::Missed);
        let message = format!(
            "`{}` tried {} times: expected attempts {} {}",
            name(ctx, inst, step),
            fmt(visits),
            op.as_str(),
            fmt(value)
        );
        let f = at.finding(
            inst,
            FindingKind::TooManyAttempts,
            expectation.severity.into(),
            at.time,
            message,
        );
        candidates.push((e, FindingKind::TooManyAttempts, String::new(), f));
    }
    emit_most_severe(at, inst, tally, candidates, out);
}

/// Time limits on `J.*` targets: checked when a step happens, against the
/// latest anchor before it (no absence detection: not every step must happen).
pub(crate) fn since_anchor(
    at: &StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    out: &mut Vec<Finding>,
) {
    let StepCheck { ctx, step, .. } = *at;
    let rules = &ctx.index.step_rules(inst.journey, step).since_anchor;
    if rules.is_empty() {
        return;
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    let t = at.time;
    for &e in rules {
        let expectation = &ctx.program.expectations[e];
        let (limit, anchor, warn) = match expectation.check {
            Check::Within { limit, anchor } => (limit, anchor, false),
            Check::WarnAfter { limit, anchor } => (limit, anchor, true),
            _ => continue,
        };
        if anchor == crate::compile::AnchorRef::Step(step) || !in_scope(ctx, e, inst) {
            continue;
        }
        let Some(from) = anchor_time(inst, anchor) else {
            continue;
        };
        let due = from.saturating_add(limit as i64 * 1000);
        if t <= due {
            tally.verdict(e, Verdict::Met);
            continue;
        }
        tally.verdict(e, Verdict::Missed);
        let kind = if warn {
            FindingKind::SlaWarning
        } else {
            FindingKind::SlaBreach
        };
        let message = format!(
            "`{}` {} after {}, limit {}",
            name(ctx, inst, step),
            duration(t - from),
            anchor_name(ctx, inst, anchor),
            duration(limit as i64 * 1000)
        );
        let mut f = at.finding(inst, kind, expectation.severity.into(), t, message);
        f.anchor = Some(super::tally::timestamp(from));
        f.deadline = Some(super::tally::timestamp(due));
        candidates.push((e, kind, String::new(), f));
    }
    emit_most_severe(at, inst, tally, candidates, out);
}

/// The step happened: it fulfils the oldest open activation of each time limit
/// that targets it. In time: met. After its deadline: a late `sla_breach`.
pub(crate) fn fulfil(
    at: &StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    out: &mut Vec<Finding>,
) {
    let StepCheck { ctx, step, .. } = *at;
    let rules = &ctx.index.step_rules(inst.journey, step).fulfilled_by;
    if rules.is_empty() {
        return;
    }
    let t = at.time;
    let mut candidates: Vec<Candidate> = Vec::new();
    for &e in rules {
        // The oldest pending activation; only when none is pending, the oldest
        // overdue one (which makes this step late).
        let pending = inst
            .activations
            .iter()
            .position(|a| a.expectation == e && a.state == ActivationState::Pending);
        let Some(k) = pending.or_else(|| inst.activations.iter().position(|a| a.expectation == e))
        else {
            continue;
        };
        let a = inst.activations.remove(k);
        let expectation = &ctx.program.expectations[e];
        match (a.state, &expectation.check) {
            (ActivationState::Pending, _) => tally.verdict(e, Verdict::Met),
            (ActivationState::Overdue, Check::Within { anchor, .. }) => {
                let message = format!(
                    "`{}` {} after {}, {} late (reported `stalled` at the deadline)",
                    name(ctx, inst, step),
                    duration(t - a.anchor),
                    anchor_name(ctx, inst, *anchor),
                    duration(t - a.due)
                );
                // The miss was counted, at the rule's level, when the step stalled;
                // its late arrival is recorded, but does not count twice.
                let mut f = at.finding(inst, FindingKind::SlaBreach, Level::Info, t, message);
                f.anchor = Some(super::tally::timestamp(a.anchor));
                f.deadline = Some(super::tally::timestamp(a.due));
                if a.anchor_event.0 != u32::MAX {
                    f.evidence.push(ctx.evidence(
                        a.anchor_event,
                        a.anchor,
                        a.anchor_line,
                        "anchor",
                    ));
                }
                candidates.push((e, FindingKind::SlaBreach, String::new(), f));
            }
            _ => {}
        }
    }
    emit_most_severe(at, inst, tally, candidates, out);
}

/// Of candidates of the same kind and key, emit only the most severe (the first
/// in policy order among equals), with the event as evidence.
#[inline]
fn emit_most_severe(
    at: &StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    candidates: Vec<Candidate>,
    out: &mut Vec<Finding>,
) {
    if !candidates.is_empty() {
        emit_sorted(at, inst, tally, candidates, out);
    }
}

#[cold]
#[inline(never)]
fn emit_sorted(
    at: &StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    mut candidates: Vec<Candidate>,
    out: &mut Vec<Finding>,
) {
    let StepCheck {
        ctx, step, event, ..
    } = *at;
    // Stable sort: most severe first, policy order among equals (the checks
    // push their candidates kind by kind).
    candidates.sort_by_key(|c| (std::cmp::Reverse(c.3.level), c.0));
    let mut seen: Vec<(FindingKind, String)> = Vec::new();
    for (e, kind, key, f) in candidates {
        if seen.contains(&(kind, key.clone())) {
            continue;
        }
        seen.push((kind, key));
        let mut f = f.with_event(ctx, event, "event");
        f.rule = Some(ctx.program.expectations[e].source.clone());
        report(inst, tally, f, Site::rule(inst.journey, step, e), out);
    }
}

fn name<'a>(ctx: &'a Context<'_>, inst: &Instance, step: StepId) -> &'a str {
    ctx.program.journeys[inst.journey].step_name(step)
}

pub(crate) fn anchor_name(
    ctx: &Context<'_>,
    inst: &Instance,
    anchor: crate::compile::AnchorRef,
) -> String {
    match anchor {
        crate::compile::AnchorRef::JourneyStart => "journey start".to_string(),
        crate::compile::AnchorRef::Step(a) => format!("`{}`", name(ctx, inst, a)),
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(" or ")
}

/// Call `found` with each item an event says it asked the customer for: its
/// `asked` attribute, a list or a comma-separated text.
fn for_each_item(value: &Value, found: &mut dyn FnMut(&str)) {
    match value {
        // By hand: `str::split` with `trim` costs several times more, and this
        // runs for every event that says what it asked.
        Value::Text(t) => {
            let mut rest: &str = t;
            loop {
                // Items are short: a plain scan beats `memchr`'s setup.
                let (item, next) = match rest.bytes().position(|b| b == b',') {
                    Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                    None => (rest, None),
                };
                let item = trim(item);
                if !item.is_empty() {
                    found(item);
                }
                match next {
                    Some(next) => rest = next,
                    None => break,
                }
            }
        }
        Value::List(list) => list.iter().for_each(|v| for_each_item(v, found)),
        other => found(&other.to_text()),
    }
}

/// `str::trim`, with a quick answer for the usual item that has no space at
/// either end (`trim` itself handles all of Unicode's white space, at a cost).
fn trim(item: &str) -> &str {
    let clean = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    let bytes = item.as_bytes();
    if clean(bytes.first()) && clean(bytes.last()) {
        item
    } else {
        item.trim()
    }
}

/// A metric value: a number, or text that reads as one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// A number without a needless `.0`.
pub(crate) fn fmt(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// Milliseconds as a short duration: `2h 5m`, `45s`, `3d 4h`.
pub(crate) fn duration(ms: i64) -> String {
    crate::events::time::human_duration(ms.max(0) / 1000)
}

#[cfg(test)]
mod tests {
    use super::for_each_item;
    use crate::events::Value;
    use proptest::prelude::*;

    fn items(value: &Value) -> Vec<String> {
        let mut found = Vec::new();
        for_each_item(value, &mut |item| found.push(item.to_string()));
        found
    }

    proptest! {
        /// The items of a text are its comma-separated parts, trimmed as
        /// `str::trim` does (Unicode white space too), empty ones left out.
        #[test]
        fn items_are_the_trimmed_parts(text in "[a-c, \t\u{a0}\u{3000}é]{0,24}") {
            let expected: Vec<String> = text
                .split(',')
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(String::from)
                .collect();
            prop_assert_eq!(items(&Value::Text(text.as_str().into())), expected);
        }
    }

    #[test]
    fn items_of_a_list_and_of_other_values() {
        let list = Value::List(vec![
            Value::Text("iban, policy_number".into()),
            Value::Number(7.0),
        ]);
        assert_eq!(items(&list), ["iban", "policy_number", "7"]);
    }
}

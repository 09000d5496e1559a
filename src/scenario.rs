//! Running a policy's inline `test` blocks: each scenario's customers and events go
//! through the real evaluator, and its `expect` lines are checked against the
//! findings and escalations that come out. Beside `eval`, on top of it.

use crate::compile::Policy;
use crate::eval::{AsOfError, Category, EvalOptions, Evaluator, Finding, Report, Retention};
use crate::events::{Customer, Event, Origin, Value};
use crate::syntax::{
    EventName, Expr, ExprKind, Ident, Span, Target, TestCase, TestExpect, TestExpectKind, TestItem,
    TestOutcome, TestTime,
};
use jiff::Timestamp;
use serde::Serialize;

/// The result of one test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// 1-based line of the test in the policy.
    pub line: usize,
    /// The whole test declaration in the policy, for reports that point at it.
    pub span: Span,
    /// One line per expectation that did not hold; empty when the test passed.
    pub failures: Vec<String>,
}

impl TestResult {
    /// True when every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Run every inline test of `policy`, whose source text is `text`.
pub fn run_tests(policy: &Policy, text: &str) -> Vec<TestResult> {
    policy
        .tests
        .iter()
        .map(|test| run_test(policy, text, test))
        .collect()
}

/// What one scenario produced.
struct Outcome {
    findings: Vec<Finding>,
    report: Report,
    /// (customer, journey, step) of every event that named a step.
    visits: Vec<(String, String, String)>,
}

fn run_test(policy: &Policy, text: &str, test: &TestCase) -> TestResult {
    let line = |span: Span| crate::diagnostic::line_col(text, span.start).0;
    let mut failures = Vec::new();
    let outcome = match play(policy, test, &line) {
        Ok(outcome) => outcome,
        Err(e) => {
            failures.push(format!("line {}: {e}", line(test.span)));
            return TestResult {
                name: test.name.value.clone(),
                line: line(test.span),
                span: test.span,
                failures,
            };
        }
    };
    for item in &test.items {
        if let TestItem::Expect(expect) = item {
            if let Err(why) = check(expect, &outcome) {
                failures.push(format!("line {}: {why}", line(expect.span)));
            }
        }
    }
    TestResult {
        name: test.name.value.clone(),
        line: line(test.span),
        span: test.span,
        failures,
    }
}

/// Push the scenario through an evaluator.
fn play(
    policy: &Policy,
    test: &TestCase,
    line: &dyn Fn(Span) -> usize,
) -> Result<Outcome, AsOfError> {
    let options = EvalOptions {
        lateness: crate::eval::DEFAULT_LATENESS,
        retention: Retention::All,
    };
    let mut evaluator = Evaluator::new(std::sync::Arc::clone(&policy.program), options);
    let mut findings = Vec::new();
    let mut visits = Vec::new();
    let mut clock: Option<Timestamp> = None;
    for item in &test.items {
        match item {
            TestItem::Customer { id, attrs, span } => {
                let names = evaluator.names_mut();
                let customer = Customer {
                    id: names.intern(&id.name),
                    attrs: attrs
                        .iter()
                        .map(|(k, v)| (names.intern(&k.name), value(v)))
                        .collect(),
                    origin: Origin {
                        file: 0,
                        line: line(*span) as u64,
                    },
                };
                evaluator.push_customer(customer);
            }
            TestItem::Event(e) => {
                let time = match &e.at {
                    TestTime::Absolute { value, .. } => *value,
                    TestTime::Relative(d) => {
                        let base = clock.unwrap_or(Timestamp::UNIX_EPOCH);
                        base.checked_add(jiff::SignedDuration::from_secs(d.seconds as i64))
                            .unwrap_or(base)
                    }
                };
                clock = Some(time);
                let name = event_name(policy, &e.step);
                if let EventName::Step(step) = &e.step {
                    for j in policy
                        .program
                        .journeys
                        .iter()
                        .filter(|j| j.step_id(&step.name).is_some())
                    {
                        visits.push((e.customer.name.clone(), j.name.clone(), step.name.clone()));
                    }
                }
                let names = evaluator.names_mut();
                let event = Event {
                    customer: names.intern(&e.customer.name),
                    name: names.intern(&name),
                    time,
                    channel: e.via.as_ref().map(|c| names.intern(&c.name)),
                    actor: None,
                    attrs: e
                        .attrs
                        .iter()
                        .map(|(k, v)| (names.intern(&k.name), value(v)))
                        .collect(),
                    origin: Origin {
                        file: 0,
                        line: line(e.span) as u64,
                    },
                };
                findings.extend(evaluator.push(event));
            }
            TestItem::Expect(_) => {}
        }
    }
    // As of the latest event (events may be listed out of order).
    let (report, last) = evaluator.finish(None)?;
    findings.extend(last);
    Ok(Outcome {
        findings,
        report,
        visits,
    })
}

/// The event name a test event stands for: a step's first `match` name (as the
/// log would have it), or the raw name as written.
fn event_name(policy: &Policy, name: &EventName) -> String {
    match name {
        EventName::Raw(text) => text.value.clone(),
        EventName::Step(step) => policy
            .program
            .journeys
            .iter()
            .find_map(|j| j.step_id(&step.name).and_then(|s| j.step_info(s)))
            .and_then(|info| info.match_names.first().cloned())
            .unwrap_or_else(|| step.name.clone()),
    }
}

/// A test attribute's value (literals only; the checker reports anything else).
fn value(expr: &Expr) -> Value {
    match &expr.kind {
        ExprKind::Number { value } | ExprKind::Percent { value } => Value::Number(*value),
        ExprKind::Duration { seconds } => Value::Number(*seconds as f64),
        ExprKind::Text { value } => Value::Text(value.as_str().into()),
        ExprKind::Bool { value } => Value::Bool(*value),
        ExprKind::Time { value } => Value::Time(*value),
        ExprKind::List { items } => Value::List(items.iter().map(value).collect()),
        _ => Value::Text(String::new().into()),
    }
}

/// Check one `expect` line; `Err` says what was expected and what happened.
fn check(expect: &TestExpect, outcome: &Outcome) -> Result<(), String> {
    let who = expect.customer.as_ref().map(|c| c.name.as_str());
    let for_who = who.map_or(String::new(), |c| format!(" for {c}"));
    let (what, found) = match &expect.kind {
        TestExpectKind::Broken(target) => (
            format!("broken {}", target_text(target)),
            count(outcome, who, |f| {
                f.kind.category() == Category::BrokenStep && at(f, target)
            }),
        ),
        TestExpectKind::OffPath(journey) => (
            format!("off_path {}", journey.name),
            count(outcome, who, |f| {
                f.kind.category() == Category::OffPath
                    && f.journey.as_deref() == Some(journey.name.as_str())
            }),
        ),
        TestExpectKind::Finding { kind, at: target } => (
            format!(
                "finding {}{}",
                kind.name,
                target
                    .as_ref()
                    .map_or(String::new(), |t| format!(" at {}", target_text(t)))
            ),
            count(outcome, who, |f| {
                f.kind.as_str() == kind.name && target.as_ref().is_none_or(|t| at(f, t))
            }),
        ),
        TestExpectKind::Reached(target) => {
            let n = outcome
                .visits
                .iter()
                .filter(|(c, j, s)| {
                    who.is_none_or(|w| w == c)
                        && *j == target.journey.name
                        && target.step.as_ref().is_none_or(|t| t.name == *s)
                })
                .count();
            (format!("reached {}", target_text(target)), n)
        }
        TestExpectKind::Escalation(name) => {
            return check_escalation(name, who, expect.outcome.as_ref(), outcome)
        }
    };
    let want_none = matches!(expect.outcome, Some(TestOutcome::None(_)));
    match (want_none, found) {
        (false, 0) => Err(format!("expected {what}{for_who}, but there was none")),
        (true, n) if n > 0 => Err(format!(
            "expected no {what}{for_who}, but there were {n}{}",
            first(outcome, &what)
        )),
        _ => Ok(()),
    }
}

fn check_escalation(
    name: &Ident,
    who: Option<&str>,
    wanted: Option<&TestOutcome>,
    outcome: &Outcome,
) -> Result<(), String> {
    let fired: Vec<&str> = outcome
        .report
        .escalations
        .iter()
        .filter(|e| {
            e.escalation == name.name && who.is_none_or(|w| e.customer.as_deref() == Some(w))
        })
        .map(|e| e.recipient.as_str())
        .collect();
    let for_who = who.map_or(String::new(), |c| format!(" for {c}"));
    match wanted {
        Some(TestOutcome::None(_)) if !fired.is_empty() => Err(format!(
            "expected escalation {}{for_who} not to fire, but it notified {}",
            name.name,
            quoted(&fired)
        )),
        Some(TestOutcome::Recipient(r)) if !fired.contains(&r.value.as_str()) => Err(format!(
            "expected escalation {}{for_who} to notify \"{}\", but it notified {}",
            name.name,
            r.value,
            if fired.is_empty() {
                "nobody".to_string()
            } else {
                quoted(&fired)
            }
        )),
        None if fired.is_empty() => Err(format!(
            "expected escalation {}{for_who}, but it did not fire",
            name.name
        )),
        _ => Ok(()),
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(outcome: &Outcome, who: Option<&str>, pred: impl Fn(&Finding) -> bool) -> usize {
    outcome
        .findings
        .iter()
        .filter(|f| who.is_none_or(|w| f.customer.as_deref() == Some(w)) && pred(f))
        .count()
}

/// The first finding's message, to show what happened instead.
fn first(outcome: &Outcome, what: &str) -> String {
    let kind = what.split_whitespace().nth(1).unwrap_or_default();
    outcome
        .findings
        .iter()
        .find(|f| {
            f.kind.as_str() == kind || what.starts_with("broken") || what.starts_with("off_path")
        })
        .map_or(String::new(), |f| format!(" (first: {})", f.message))
}

fn at(f: &Finding, target: &Target) -> bool {
    f.journey.as_deref() == Some(target.journey.name.as_str())
        && target
            .step
            .as_ref()
            .is_none_or(|s| f.step.as_deref() == Some(s.name.as_str()))
}

fn target_text(target: &Target) -> String {
    match &target.step {
        Some(s) => format!("{}.{}", target.journey.name, s.name),
        None => format!("{}.*", target.journey.name),
    }
}

//! Running a policy's inline `test` blocks: each scenario's customers and events go
//! through the real evaluator, and its `expect` lines are checked against the
//! findings and escalations that come out. Beside `eval`, on top of it.
//!
//! A failed expectation says what happened instead (`explain`): what the
//! customer got, whether they were in the journey's segments and why not, and
//! their events. Each run also records what it exercised, for [`Coverage`].

mod coverage;
mod explain;

pub use coverage::{Coverage, CoverageItem, CoverageKind, Exercised};

use crate::compile::{Policy, Program, StepId};
use crate::eval::{AsOfError, Category, EvalOptions, Evaluator, Finding, Report, Retention};
use crate::events::{Customer, Event, Origin, Symbol, Value};
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
    /// One per expectation that did not hold; empty when the test passed.
    pub failures: Vec<Failure>,
    /// What the scenario exercised of the policy, for coverage.
    #[serde(skip)]
    pub exercised: Exercised,
}

impl TestResult {
    /// True when every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One expectation that did not hold (or a scenario that could not be played).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// 1-based line of the `expect` (of the test, when the scenario could not be played).
    pub line: usize,
    /// What was expected and what happened instead, in one line.
    pub message: String,
    /// What happened, a line each: what the customers concerned got, whether
    /// they were in the journey's segments (and why not), their events.
    pub context: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
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
    /// (customer, journey, step) of every event that stands for a step of a
    /// journey the customer was in.
    visits: Vec<(String, String, String)>,
    /// The test's customers, in the order they are declared.
    customers: Vec<Seen>,
}

/// What the test gave of one customer, to explain a failure with.
struct Seen {
    id: String,
    /// Their attributes as the evaluator knows them: declared, then given on
    /// their events (in the test's order; the latest value counts).
    attrs: Vec<(Symbol, Value)>,
    /// Their events, in the order written.
    events: Vec<SeenEvent>,
}

impl Seen {
    /// Whether journey `j` took the customer in, the segments they were in and
    /// the attributes known then: at their first event of `j` that found them in
    /// its segments (the evaluator tries at each event until one does), else at
    /// their last event of `j`. `None` when no event of theirs is of `j`.
    fn journey_start(&self, program: &Program, j: usize) -> Option<JourneyStart<'_>> {
        let mut last = None;
        for (at, e) in self
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.steps.iter().any(|&(ej, _)| ej == j))
        {
            let known = self.attrs.get(..e.attrs_known).unwrap_or(&self.attrs);
            let segments: Vec<usize> = (0..program.segments.len())
                .filter(|&i| crate::eval::in_segment(program, i, known))
                .collect();
            let admitted = program.index.journey_scope[j].admits(&segments);
            let start = JourneyStart {
                admitted,
                at,
                segments,
                known,
            };
            if admitted {
                return Some(start);
            }
            last = Some(start);
        }
        last
    }
}

/// What [`Seen::journey_start`] found.
struct JourneyStart<'a> {
    /// In the journey's segments.
    admitted: bool,
    /// The event (index into [`Seen::events`]) it was decided at.
    at: usize,
    /// The segments (by index) the customer was in.
    segments: Vec<usize>,
    /// The attributes known then.
    known: &'a [(Symbol, Value)],
}

/// One event of a test.
struct SeenEvent {
    time: Timestamp,
    /// As written: a step name, or a raw name in quotes.
    name: String,
    /// The (journey, step) pairs it stands for.
    steps: Vec<(usize, StepId)>,
    /// How many of the customer's `attrs` were known once it happened.
    attrs_known: usize,
}

/// Run one inline test of `policy` (one of `policy.tests`), whose source text is
/// `text` (the joined text of its files, [`Policy::sources`]); lines are
/// within the file each span is in.
pub fn run_test(policy: &Policy, text: &str, test: &TestCase) -> TestResult {
    let lines = crate::diagnostic::Lines::new(&policy.sources);
    let line = |span: Span| lines.line(span.start);
    let mut failures = Vec::new();
    let outcome = match play(policy, test, &line) {
        Ok(outcome) => outcome,
        Err(e) => {
            failures.push(Failure {
                line: line(test.span),
                message: e.to_string(),
                context: Vec::new(),
            });
            return TestResult {
                name: test.name.value.clone(),
                line: line(test.span),
                span: test.span,
                failures,
                exercised: Exercised::default(),
            };
        }
    };
    for item in &test.items {
        if let TestItem::Expect(expect) = item {
            if let Err(message) = check(expect, &outcome) {
                failures.push(Failure {
                    line: line(expect.span),
                    message,
                    context: explain::context(policy, text, expect, &outcome),
                });
            }
        }
    }
    TestResult {
        name: test.name.value.clone(),
        line: line(test.span),
        span: test.span,
        failures,
        exercised: Exercised::of(policy, &outcome),
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
        // A test's expectations never read alignments.
        alignments: crate::eval::Alignments::Off,
    };
    let mut evaluator = Evaluator::new(std::sync::Arc::clone(&policy.program), options);
    let mut findings = Vec::new();
    let mut customers: Vec<Seen> = Vec::new();
    let mut clock: Option<Timestamp> = None;
    for item in &test.items {
        match item {
            TestItem::Customer { id, attrs, span } => {
                let names = evaluator.names_mut();
                let attrs: Vec<(Symbol, Value)> = attrs
                    .iter()
                    .map(|(k, v)| (names.words.intern(&k.name), value(v)))
                    .collect();
                customers.push(Seen {
                    id: id.name.clone(),
                    attrs: attrs.clone(),
                    events: Vec::new(),
                });
                let customer = Customer {
                    id: names.customers.intern(&id.name),
                    attrs,
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
                let steps = steps_of(policy, &name);
                let names = evaluator.names_mut();
                let attrs: Vec<(Symbol, Value)> = e
                    .attrs
                    .iter()
                    .map(|(k, v)| (names.words.intern(&k.name), value(v)))
                    .collect();
                if let Some(seen) = customers.iter_mut().find(|c| c.id == e.customer.name) {
                    seen.attrs.extend(attrs.iter().cloned());
                    seen.events.push(SeenEvent {
                        time,
                        name: match &e.step {
                            EventName::Raw(text) => format!("\"{}\"", text.value),
                            EventName::Step(step) => step.name.clone(),
                        },
                        steps,
                        attrs_known: seen.attrs.len(),
                    });
                }
                let event = Event {
                    customer: names.customers.intern(&e.customer.name),
                    name: names.words.intern(&name),
                    time,
                    channel: e.via.as_ref().map(|c| names.words.intern(&c.name)),
                    actor: None,
                    attrs,
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
    // A step is reached by a customer the journey admitted (in its segments).
    let program = &policy.program;
    let mut visits = Vec::new();
    for seen in &customers {
        let starts: Vec<Option<usize>> = (0..program.journeys.len())
            .map(|j| {
                seen.journey_start(program, j)
                    .filter(|s| s.admitted)
                    .map(|s| s.at)
            })
            .collect();
        for (at, e) in seen.events.iter().enumerate() {
            for &(j, step) in &e.steps {
                if starts[j].is_some_and(|start| at >= start) {
                    let journey = &program.journeys[j];
                    visits.push((
                        seen.id.clone(),
                        journey.name.clone(),
                        journey.step_name(step).to_string(),
                    ));
                }
            }
        }
    }
    Ok(Outcome {
        findings,
        report,
        visits,
        customers,
    })
}

/// The (journey, step) pairs an event of this name stands for, as the evaluator
/// routes it: through the steps' `match` names.
fn steps_of(policy: &Policy, name: &str) -> Vec<(usize, StepId)> {
    let program = &policy.program;
    program
        .vocabulary()
        .get(name)
        .map_or_else(Vec::new, |symbol| program.index.route(symbol).to_vec())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<TestResult> {
        let policy = Policy::compile(text).expect("the policy compiles");
        run_tests(&policy, text)
    }

    /// A raw event name stands for the step whose `match` lists it, for
    /// `reached` as for the evaluator.
    #[test]
    fn a_raw_event_name_reaches_its_step() {
        let results = run(r#"journey claim {
  step report { match "Claim reported" }
  step settled
  path report -> settled
}

test "a raw event name reaches its step" {
  customer c1
  c1 "Claim reported" at 2026-03-02T09:00Z
  expect reached claim.report for c1
  expect reached claim.settled for c1 -> none
}
"#);
        assert_eq!(results[0].failures, Vec::new());
    }

    /// Outside the journey's segments: each segment's condition against the
    /// values the test gave; such a customer reaches no step of the journey.
    #[test]
    fn a_customer_outside_the_segments_is_explained_and_reaches_nothing() {
        let results = run(r#"segment gold { when tier == "gold" }

journey claim {
  for gold
  step report
  step settled
  path report -> settled
}

test "t" {
  customer c1 { tier: "silver" }
  c1 report at 2026-03-02T09:00Z
  c1 settled at +1h
  expect reached claim.settled for c1
}
"#);
        let failure = &results[0].failures[0];
        assert_eq!(failure.line, 14);
        assert_eq!(
            failure.context,
            vec![
                "c1 got no findings and no escalations",
                "c1 was outside journey `claim`, which is for gold:",
                "  gold: `tier == \"gold\"` is false, with tier = \"silver\"",
                "c1's events: report at 2026-03-02T09:00:00Z, settled at +1h",
            ]
        );
    }

    /// An attribute given on a later event counts from then: the evaluator
    /// opens the journey at the first event that finds the customer in it.
    #[test]
    fn an_attribute_on_a_later_event_lets_the_customer_in_from_then() {
        let results = run(r#"segment gold { when tier == "gold" }

journey claim {
  for gold
  step report
  step settled
  path report -> settled
}

test "t" {
  customer c1
  c1 report at 2026-03-02T09:00Z
  c1 settled at +1h { tier: "gold" }
  expect reached claim.settled for c1
  expect reached claim.report for c1 -> none
  expect off_path claim for c1
}
"#);
        assert_eq!(results[0].failures, Vec::new());
    }
}

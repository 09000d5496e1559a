//! Checks of inline `test` blocks: their customers (declared once, E0207; known,
//! E0209), the steps, journeys and escalations they name, the first event's time,
//! metric values on events (E0304, E0305), and customer attribute types, which join
//! the file's attribute table (E0304).

use super::exprs::Context;
use super::journeys::fmt_num;
use super::names::{list, suggest};
use super::scope::report_repeats;
use super::types::Type;
use super::{Cx, Origin};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::syntax::{
    EventName, Expr, ExprKind, Ident, TestCase, TestEvent, TestExpect, TestExpectKind, TestItem,
    TestOutcome, TestTime,
};
use std::collections::BTreeSet;

/// Check every test of the file.
pub(super) fn check_all(cx: &mut Cx<'_>) {
    let scope = cx.scope;
    for test in &scope.tests {
        if test.origin == Origin::File {
            check_test(cx, &test.item);
        }
    }
}

fn check_test(cx: &mut Cx<'_>, test: &TestCase) {
    let ids = test.items.iter().filter_map(|item| match item {
        TestItem::Customer { id, .. } => Some(id),
        _ => None,
    });
    let customers = report_repeats(ids, "customer", " in this test", &mut cx.diags);
    let mut first_event = true;
    for item in &test.items {
        match item {
            TestItem::Customer { attrs, .. } => attrs
                .iter()
                .for_each(|(name, value)| customer_attr(cx, name, value)),
            TestItem::Event(event) => {
                check_event(cx, test, event, first_event, &customers);
                first_event = false;
            }
            TestItem::Expect(expect) => check_expect(cx, expect, &customers),
        }
    }
}

/// A customer attribute's type joins the file's table (E0304 on a conflict).
fn customer_attr(cx: &mut Cx<'_>, name: &Ident, value: &Expr) {
    let ty = cx.infer(value, Context::Escalation);
    cx.attrs
        .record(name.name.clone(), ty, name.span.to(value.span), "given as");
}

/// E0209 when a test names a customer it does not declare.
fn check_customer(cx: &mut Cx<'_>, id: &Ident, customers: &BTreeSet<&str>) {
    if customers.contains(id.name.as_str()) {
        return;
    }
    let help = suggest(&id.name, customers.iter().copied(), || {
        format!(
            "declare it in this test with `customer {} {{ ... }}`",
            id.name
        )
    });
    cx.report(
        Diagnostic::new(
            Code::UnknownCustomer,
            format!("unknown customer `{}`", id.name),
        )
        .with_label(id.span, "not declared in this test")
        .with_help(help),
    );
}

fn check_event(
    cx: &mut Cx<'_>,
    test: &TestCase,
    event: &TestEvent,
    first: bool,
    customers: &BTreeSet<&str>,
) {
    check_customer(cx, &event.customer, customers);
    if let EventName::Step(step) = &event.step {
        cx.resolve_any_step(step);
    }
    if let (true, TestTime::Relative(d)) = (first, &event.at) {
        cx.report(
            Diagnostic::new(
                Code::MissingClause,
                format!("the first event of test `{}` has no absolute time", test.name.value),
            )
            .with_label(d.span, "relative to no earlier event")
            .with_help("give the first event a date and time, as in `at 2026-03-01T10:00Z`; later ones may say `at +2h`"),
        );
    }
    for (name, value) in &event.attrs {
        metric_value(cx, name, value);
    }
}

/// A metric given on an event must be a number (E0304) within its range (E0305).
fn metric_value(cx: &mut Cx<'_>, name: &Ident, value: &Expr) {
    let scope = cx.scope;
    let Some(metric) = scope.metrics.get(&name.name) else {
        return;
    };
    let ty = cx.infer(value, Context::Escalation);
    if ty != Type::Number && ty != Type::Unknown {
        cx.report(
            Diagnostic::new(
                Code::ConflictingAttributeType,
                format!(
                    "metric `{}` is a number, but it is given {} here",
                    name.name,
                    ty.describe()
                ),
            )
            .with_label(value.span, format!("this is {}", ty.describe()))
            .with_help(format!(
                "give `{}` a number, as in `{{ {}: 4 }}`",
                name.name, name.name
            )),
        );
        return;
    }
    let (ExprKind::Number { value: v }, Some((lo, hi))) = (&value.kind, metric.item.range) else {
        return;
    };
    if *v < lo.value || *v > hi.value {
        let range = format!("{}..{}", fmt_num(lo.value), fmt_num(hi.value));
        cx.report(
            Diagnostic::new(
                Code::OutOfRange,
                format!(
                    "`{}` {} is outside its range {range}",
                    name.name,
                    fmt_num(*v)
                ),
            )
            .with_label(value.span, format!("not in {range}"))
            .with_help(format!(
                "`{}` goes from {} to {}",
                name.name,
                fmt_num(lo.value),
                fmt_num(hi.value)
            )),
        );
    }
}

fn check_expect(cx: &mut Cx<'_>, expect: &TestExpect, customers: &BTreeSet<&str>) {
    if let Some(customer) = &expect.customer {
        check_customer(cx, customer, customers);
    }
    match &expect.kind {
        TestExpectKind::Broken(target) => {
            cx.resolve_target_or_report(target);
        }
        TestExpectKind::Reached(target) => {
            if cx.resolve_target_or_report(target).is_some() && target.step.is_none() {
                cx.report(
                    Diagnostic::new(
                        Code::BadArgument,
                        "`reached` needs one step, not every step",
                    )
                    .with_label(target.span, "every step")
                    .with_help(format!(
                        "name the step, as in `reached {}.STEP`",
                        target.journey.name
                    )),
                );
            }
        }
        TestExpectKind::OffPath(journey) => {
            cx.resolve_journey(journey);
        }
        TestExpectKind::Escalation(name) => check_escalation(cx, name, expect.outcome.as_ref()),
        TestExpectKind::Finding { at, .. } => {
            if let Some(target) = at {
                cx.resolve_target_or_report(target);
            }
        }
    }
    if let (Some(TestOutcome::Recipient(r)), false) = (
        &expect.outcome,
        matches!(expect.kind, TestExpectKind::Escalation(_)),
    ) {
        cx.report(
            Diagnostic::new(
                Code::BadArgument,
                "only `expect escalation` can say who is notified",
            )
            .with_label(r.span, "a recipient")
            .with_help(
                "write `-> none` to expect that it does not happen, or expect an escalation",
            ),
        );
    }
}

/// E0210: an unknown escalation, or a recipient it never notifies.
fn check_escalation(cx: &mut Cx<'_>, name: &Ident, outcome: Option<&TestOutcome>) {
    let scope = cx.scope;
    let Some(escalation) = scope.escalations.get(&name.name) else {
        if scope.broken.declares(&name.name) {
            return;
        }
        let help = suggest(
            &name.name,
            scope.escalations.keys().map(String::as_str),
            || "declare it with `escalate NAME { when ...; notify \"...\" }`".to_string(),
        );
        cx.report(
            Diagnostic::new(
                Code::UnknownEscalation,
                format!("unknown escalation `{}`", name.name),
            )
            .with_label(name.span, "no escalation has this name")
            .with_help(help),
        );
        return;
    };
    let Some(TestOutcome::Recipient(recipient)) = outcome else {
        return;
    };
    let recipients: Vec<&str> = escalation
        .item
        .tiers
        .iter()
        .map(|t| t.recipient.value.as_str())
        .collect();
    if recipients.is_empty() || recipients.contains(&recipient.value.as_str()) {
        return;
    }
    let help = did_you_mean(&recipient.value, recipients.iter().copied()).unwrap_or_else(|| {
        format!(
            "`{}` notifies {}",
            name.name,
            list(recipients.iter().copied(), 8)
        )
    });
    cx.report(
        Diagnostic::new(
            Code::UnknownEscalation,
            format!(
                "escalation `{}` never notifies `{}`",
                name.name, recipient.value
            ),
        )
        .with_label(recipient.span, "not one of its recipients")
        .with_help(help),
    );
}

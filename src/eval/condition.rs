//! Evaluating condition expressions (segment `when`, escalation `when`/`unless`)
//! against what is known of a customer at one moment.
//!
//! A missing attribute makes a comparison false (and its negation true), as a
//! customer without a `tier` is not a gold customer. Text that reads as a number
//! compares as one, because CSV exports carry numbers as text.

use crate::events::Value;
use crate::syntax::{CmpOp, Expr, ExprKind, Ident, LogicOp};
use jiff::Timestamp;
use std::cmp::Ordering;

/// What a condition can ask about a customer and their journeys.
pub(crate) trait Facts {
    /// The customer attribute at a dotted path (`address.country`).
    fn attr(&self, path: &[Ident]) -> Option<&Value>;
    /// Whether the customer is in the segment.
    fn in_segment(&self, segment: &str) -> bool;
    /// Whether the customer's instance of the journey has left the path.
    fn off_path(&self, journey: &str) -> bool;
    /// Whether the step (any step for `None`) broke an expectation in the instance.
    fn broken(&self, journey: &str, step: Option<&str>) -> bool;
    /// Whether the customer reached the step (in `journey`, or in any journey of the rule).
    fn reached(&self, journey: Option<&str>, step: &str) -> bool;
}

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
enum Val<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
    Bool(bool),
    Time(Timestamp),
    List(Vec<Val<'a>>),
}

/// True when `expr` holds.
pub(crate) fn holds(expr: &Expr, facts: &dyn Facts) -> bool {
    truthy(&eval(expr, facts))
}

fn truthy(v: &Val<'_>) -> bool {
    matches!(v, Val::Bool(true))
}

// Values borrow from the expression and the facts: evaluating allocates nothing
// but lists.
fn eval<'a>(expr: &'a Expr, facts: &'a dyn Facts) -> Val<'a> {
    match &expr.kind {
        ExprKind::Number { value } => Val::Number(*value),
        ExprKind::Text { value } => Val::Text(value),
        ExprKind::Bool { value } => Val::Bool(*value),
        ExprKind::Duration { seconds } => Val::Number(*seconds as f64),
        ExprKind::Percent { value } => Val::Number(*value),
        ExprKind::Time { value } => Val::Time(*value),
        ExprKind::Path { parts, .. } => facts.attr(parts).map_or(Val::Missing, from_value),
        ExprKind::List { items } => Val::List(items.iter().map(|i| eval(i, facts)).collect()),
        ExprKind::Call { func, args } => Val::Bool(call(&func.name, args, facts)),
        ExprKind::Not { inner } => Val::Bool(!holds(inner, facts)),
        ExprKind::Logic {
            op: LogicOp::And,
            lhs,
            rhs,
        } => Val::Bool(holds(lhs, facts) && holds(rhs, facts)),
        ExprKind::Logic {
            op: LogicOp::Or,
            lhs,
            rhs,
        } => Val::Bool(holds(lhs, facts) || holds(rhs, facts)),
        ExprKind::Compare { op, lhs, rhs } => {
            Val::Bool(compare(*op, &eval(lhs, facts), &eval(rhs, facts)))
        }
        ExprKind::In { lhs, list } => {
            let needle = eval(lhs, facts);
            match eval(list, facts) {
                Val::List(items) => Val::Bool(items.iter().any(|i| compare(CmpOp::Eq, &needle, i))),
                other => Val::Bool(compare(CmpOp::Eq, &needle, &other)),
            }
        }
        // Rates are step-level; the compiler makes them their own trigger.
        ExprKind::Rate { .. } => Val::Bool(false),
    }
}

fn from_value(v: &Value) -> Val<'_> {
    match v {
        Value::Number(n) => Val::Number(*n),
        Value::Text(t) => Val::Text(t),
        Value::Bool(b) => Val::Bool(*b),
        Value::Time(t) => Val::Time(*t),
        Value::List(items) => Val::List(items.iter().map(from_value).collect()),
    }
}

/// `journey.step` or `journey.*` argument parts.
fn parts(args: &[Expr]) -> (Option<&str>, Option<&str>, bool) {
    match args.first().map(|a| &a.kind) {
        Some(ExprKind::Path { parts, star }) => (
            parts.first().map(|p| p.name.as_str()),
            parts.get(1).map(|p| p.name.as_str()),
            star.is_some(),
        ),
        _ => (None, None, false),
    }
}

fn call(func: &str, args: &[Expr], facts: &dyn Facts) -> bool {
    let (first, second, _) = parts(args);
    match (func, first) {
        ("off_path", Some(journey)) => facts.off_path(journey),
        ("broken", Some(journey)) => facts.broken(journey, second),
        ("segment", Some(segment)) => facts.in_segment(segment),
        ("reached", Some(first)) => match second {
            Some(step) => facts.reached(Some(first), step),
            None => facts.reached(None, first),
        },
        _ => false,
    }
}

fn compare(op: CmpOp, lhs: &Val<'_>, rhs: &Val<'_>) -> bool {
    match ordering(lhs, rhs) {
        Some(ord) => match op {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        },
        // Incomparable values are unequal; a missing value makes no order hold.
        None => op == CmpOp::Ne && !matches!((lhs, rhs), (Val::Missing, _) | (_, Val::Missing)),
    }
}

fn ordering(lhs: &Val<'_>, rhs: &Val<'_>) -> Option<Ordering> {
    match (lhs, rhs) {
        (Val::Number(a), Val::Number(b)) => a.partial_cmp(b),
        (Val::Number(a), Val::Text(b)) => {
            b.trim().parse::<f64>().ok().and_then(|b| a.partial_cmp(&b))
        }
        (Val::Text(a), Val::Number(b)) => {
            a.trim().parse::<f64>().ok().and_then(|a| a.partial_cmp(b))
        }
        (Val::Text(a), Val::Text(b)) => Some(a.cmp(b)),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        (Val::Text(a), Val::Bool(b)) | (Val::Bool(b), Val::Text(a)) => {
            (a.eq_ignore_ascii_case(&b.to_string())).then_some(Ordering::Equal)
        }
        (Val::Time(a), Val::Time(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, Decl};

    struct Customer(Vec<(&'static str, Value)>);

    impl Facts for Customer {
        fn attr(&self, path: &[Ident]) -> Option<&Value> {
            let key: Vec<&str> = path.iter().map(|p| p.name.as_str()).collect();
            self.0
                .iter()
                .find(|(k, _)| *k == key.join("."))
                .map(|(_, v)| v)
        }
        fn in_segment(&self, segment: &str) -> bool {
            segment == "gold"
        }
        fn off_path(&self, journey: &str) -> bool {
            journey == "claim"
        }
        fn broken(&self, _: &str, step: Option<&str>) -> bool {
            step == Some("acknowledge")
        }
        fn reached(&self, _: Option<&str>, step: &str) -> bool {
            step == "settled"
        }
    }

    fn when(text: &str) -> Expr {
        let parsed = parse(&format!("segment s {{ when {text} }}"));
        match parsed.file.decls.into_iter().next() {
            Some(Decl::Segment(s)) => s.when.expect("a condition"),
            _ => panic!("{text} does not parse: {:?}", parsed.diagnostics),
        }
    }

    #[test]
    fn conditions() {
        let c = Customer(vec![
            ("tier", Value::Text("gold".into())),
            ("lifetime_value", Value::Text("60000".into())),
            ("tenure_days", Value::Number(30.0)),
        ]);
        let t = |s: &str| holds(&when(s), &c);
        assert!(t(r#"tier == "gold" or lifetime_value >= 50_000"#));
        assert!(
            t("lifetime_value >= 50_000"),
            "text that reads as a number compares as one"
        );
        assert!(t(r#"tier in ["gold", "platinum"]"#));
        assert!(!t("missing_attribute > 3"));
        assert!(!t("missing_attribute == 3"));
        assert!(t("not missing_attribute == 3"));
        assert!(t("tenure_days < 90 and segment(gold) and off_path(claim)"));
        assert!(t("broken(claim.acknowledge) and not broken(claim.decide)"));
        assert!(t("reached(settled)"));
        assert!(!t(r#"tier < 3"#));
    }
}

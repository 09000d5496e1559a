//! Conditions (segment `when`, escalation `when`/`unless`), compiled by the
//! program ([`Cond`]), evaluated against what is known of a customer at one
//! moment without allocating.
//!
//! A missing attribute makes a comparison false (and its negation true), as a
//! customer without a `tier` is not a gold customer. Text that reads as a number
//! compares as one, because CSV exports carry numbers as text. A name that the
//! policy does not define (the checker rejects them) makes its call false.

use crate::compile::{CmpOp, Cond, StepId};
use crate::events::{Symbol, Value};
use jiff::Timestamp;
use std::cmp::Ordering;

/// What a condition can ask about a customer and their journeys.
pub(crate) trait Facts {
    /// The customer attribute with this (interned, dotted) name.
    fn attr(&self, key: Symbol) -> Option<&Value>;
    /// Whether the customer is in the segment (by index).
    fn in_segment(&self, segment: usize) -> bool;
    /// Whether the customer's instance of the journey has left the path.
    fn off_path(&self, journey: usize) -> bool;
    /// Whether the step (any step for `None`) broke an expectation in the instance.
    fn broken(&self, journey: usize, step: Option<StepId>) -> bool;
    /// Whether the customer reached the step: in `journey`, or in any journey of
    /// theirs. `step` gives the step's id in each journey (by journey index).
    fn reached(&self, journey: Option<usize>, step: &[Option<StepId>]) -> bool;
}

/// A value during evaluation: borrowed from the condition or the facts.
#[derive(Debug, Clone, PartialEq)]
enum Val<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
    Bool(bool),
    Time(Timestamp),
    /// A list literal of the condition.
    Items(&'a [Cond]),
    /// A list attribute of the customer.
    Values(&'a [Value]),
}

/// True when `cond` holds.
///
/// The same as evaluating it and asking for `true`, but the connectives and
/// the questions about journeys are answered here, without making a value:
/// segments and escalation rules are mostly made of them.
pub(crate) fn holds<F: Facts>(cond: &Cond, facts: &F) -> bool {
    match cond {
        Cond::Bool(b) => *b,
        Cond::Segment(s) => facts.in_segment(*s),
        Cond::OffPath(j) => facts.off_path(*j),
        Cond::Broken(j, s) => facts.broken(*j, *s),
        Cond::Reached(j, ids) => facts.reached(*j, ids),
        Cond::Not(inner) => !holds(inner, facts),
        Cond::And(l, r) => holds(l, facts) && holds(r, facts),
        Cond::Or(l, r) => holds(l, facts) || holds(r, facts),
        Cond::Compare(op, l, r) => compare(*op, &operand(l, facts), &operand(r, facts)),
        _ => matches!(eval(cond, facts), Val::Bool(true)),
    }
}

/// [`eval`], with the usual operands of a comparison (an attribute, a
/// literal) taken without a call.
#[inline]
fn operand<'a, F: Facts>(cond: &'a Cond, facts: &'a F) -> Val<'a> {
    match cond {
        Cond::Number(n) => Val::Number(*n),
        Cond::Text(t) => Val::Text(t),
        Cond::Attr(key) => facts.attr(*key).map_or(Val::Missing, from_value),
        _ => eval(cond, facts),
    }
}

fn eval<'a, F: Facts>(cond: &'a Cond, facts: &'a F) -> Val<'a> {
    match cond {
        Cond::Number(n) => Val::Number(*n),
        Cond::Text(t) => Val::Text(t),
        Cond::Bool(b) => Val::Bool(*b),
        Cond::Time(t) => Val::Time(*t),
        Cond::Attr(key) => facts.attr(*key).map_or(Val::Missing, from_value),
        Cond::List(items) => Val::Items(items),
        // Answered by `holds`, which takes each of these without a fallback.
        Cond::Segment(_)
        | Cond::OffPath(_)
        | Cond::Broken(..)
        | Cond::Reached(..)
        | Cond::Not(_)
        | Cond::And(..)
        | Cond::Or(..)
        | Cond::Compare(..) => Val::Bool(holds(cond, facts)),
        Cond::In(l, list) => {
            let needle = eval(l, facts);
            Val::Bool(match eval(list, facts) {
                Val::Items(items) => items
                    .iter()
                    .any(|i| compare(CmpOp::Eq, &needle, &eval(i, facts))),
                Val::Values(values) => values
                    .iter()
                    .any(|v| compare(CmpOp::Eq, &needle, &from_value(v))),
                other => compare(CmpOp::Eq, &needle, &other),
            })
        }
    }
}

fn from_value(v: &Value) -> Val<'_> {
    match v {
        Value::Number(n) => Val::Number(*n),
        Value::Text(t) => Val::Text(t),
        Value::Bool(b) => Val::Bool(*b),
        Value::Time(t) => Val::Time(*t),
        Value::List(items) => Val::Values(items),
    }
}

fn compare(op: CmpOp, lhs: &Val<'_>, rhs: &Val<'_>) -> bool {
    match ordering(lhs, rhs) {
        Some(ord) => op.holds_for(ord),
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

/// Whether a customer with these attributes (and nothing else known) is in
/// segment `segment` of `program`: what the evaluator decides when an instance
/// opens, for the test runner to say why a customer was outside a journey.
pub(crate) fn in_segment(
    program: &crate::compile::Program,
    segment: usize,
    attrs: &[(Symbol, Value)],
) -> bool {
    struct Known<'a>(&'a [(Symbol, Value)]);
    impl Facts for Known<'_> {
        fn attr(&self, key: Symbol) -> Option<&Value> {
            self.0.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v)
        }
        // A segment's condition reads attributes only (the checker's E0208).
        fn in_segment(&self, _: usize) -> bool {
            false
        }
        fn off_path(&self, _: usize) -> bool {
            false
        }
        fn broken(&self, _: usize, _: Option<StepId>) -> bool {
            false
        }
        fn reached(&self, _: Option<usize>, _: &[Option<StepId>]) -> bool {
            false
        }
    }
    program
        .index
        .segment_when
        .get(segment)
        .and_then(Option::as_ref)
        .is_some_and(|when| holds(when, &Known(attrs)))
}

/// Every attribute `cond` reads, in order of first mention.
pub(crate) fn attributes(cond: &Cond, out: &mut Vec<Symbol>) {
    match cond {
        Cond::Attr(key) if !out.contains(key) => out.push(*key),
        Cond::List(items) => items.iter().for_each(|c| attributes(c, out)),
        Cond::Not(inner) => attributes(inner, out),
        Cond::And(l, r) | Cond::Or(l, r) | Cond::Compare(_, l, r) | Cond::In(l, r) => {
            attributes(l, out);
            attributes(r, out);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{Policy, Resolver};
    use crate::events::Interner;

    const POLICY: &str = r#"
segment gold { when tier == "gold" }
journey claim {
  for gold
  goal settled
  step acknowledge { }
  step decide { }
  step settled { }
  path acknowledge -> decide -> settled
}
"#;

    /// A customer with attributes by name, in segment `gold`, off path in
    /// `claim`, broken at `acknowledge`, who reached `settled`.
    struct Customer {
        attrs: Vec<(Symbol, Value)>,
        policy: Policy,
    }

    impl Facts for Customer {
        fn attr(&self, key: Symbol) -> Option<&Value> {
            self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
        }
        fn in_segment(&self, segment: usize) -> bool {
            self.policy.program.segments[segment] == "gold"
        }
        fn off_path(&self, journey: usize) -> bool {
            self.policy.program.journeys[journey].name == "claim"
        }
        fn broken(&self, journey: usize, step: Option<StepId>) -> bool {
            step == self.policy.program.journeys[journey].step_id("acknowledge")
        }
        fn reached(&self, _: Option<usize>, step: &[Option<StepId>]) -> bool {
            step[0] == self.policy.program.journeys[0].step_id("settled")
        }
    }

    fn when(text: &str, policy: &Policy, names: &mut Interner) -> Cond {
        let parsed = crate::syntax::parse(&format!("segment s {{ when {text} }}"));
        let expr = match parsed.file.decls.into_iter().next() {
            Some(crate::syntax::Decl::Segment(s)) => s.when.expect("a condition"),
            _ => panic!("{text} does not parse: {:?}", parsed.diagnostics),
        };
        Resolver {
            journeys: &policy.program.journeys,
            segments: &policy.program.segments,
            names,
            attrs: Vec::new(),
        }
        .compile(&expr)
    }

    #[test]
    fn conditions() {
        let policy = Policy::compile(POLICY).expect("compiles");
        let mut names = Interner::new();
        let attrs = vec![
            (names.intern("tier"), Value::Text("gold".into())),
            (names.intern("lifetime_value"), Value::Text("60000".into())),
            (names.intern("tenure_days"), Value::Number(30.0)),
            (
                names.intern("tags"),
                Value::List(vec![Value::Text("vip".into())]),
            ),
        ];
        let conds: Vec<(&str, Cond)> = [
            r#"tier == "gold" or lifetime_value >= 50_000"#,
            "lifetime_value >= 50_000",
            r#"tier in ["gold", "platinum"]"#,
            r#""vip" in tags"#,
            "missing_attribute > 3",
            "missing_attribute == 3",
            "not missing_attribute == 3",
            "tenure_days < 90 and segment(gold) and off_path(claim)",
            "broken(claim.acknowledge) and not broken(claim.decide)",
            "reached(settled)",
            "reached(claim.decide)",
            "tier < 3",
            "off_path(nosuchjourney)",
            "broken(claim.nosuchstep)",
        ]
        .into_iter()
        .map(|t| (t, when(t, &policy, &mut names)))
        .collect();
        let c = Customer { attrs, policy };
        let results: Vec<(&str, bool)> = conds.iter().map(|(t, w)| (*t, holds(w, &c))).collect();
        assert_eq!(
            results,
            vec![
                (r#"tier == "gold" or lifetime_value >= 50_000"#, true),
                ("lifetime_value >= 50_000", true),
                (r#"tier in ["gold", "platinum"]"#, true),
                (r#""vip" in tags"#, true),
                ("missing_attribute > 3", false),
                ("missing_attribute == 3", false),
                ("not missing_attribute == 3", true),
                (
                    "tenure_days < 90 and segment(gold) and off_path(claim)",
                    true
                ),
                (
                    "broken(claim.acknowledge) and not broken(claim.decide)",
                    true
                ),
                ("reached(settled)", true),
                ("reached(claim.decide)", false),
                ("tier < 3", false),
                ("off_path(nosuchjourney)", false),
                ("broken(claim.nosuchstep)", false),
            ]
        );
    }
}

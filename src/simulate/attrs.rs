//! Customer attributes that put a customer in a segment: a small solver over a
//! segment's `when` condition. It reads comparisons of an attribute with a literal
//! (`tier == "gold"`, `tenure_days < 90`, `lifetime_value >= 50_000`), `in` lists,
//! bare boolean attributes, `not`, `and`, `or` (one side, chosen at random) and
//! `segment(other)` should the language allow it there. Anything else (calls on journeys, comparisons of two
//! attributes) is left unsatisfied: the customer gets no attribute for it.

use super::rng::Rng;
use super::AttrValue;
use crate::compile::{Policy, SegmentRule};
use crate::syntax::{CmpOp, Expr, ExprKind, LogicOp};

/// How deep `segment(x)` references are followed.
const MAX_DEPTH: u8 = 8;

/// Attributes that satisfy `segment`'s condition, in the order they were decided.
pub(crate) fn for_segment(
    policy: &Policy,
    segment: &SegmentRule,
    rng: &mut Rng,
) -> Vec<(String, AttrValue)> {
    let mut out = Vec::new();
    if let Some(when) = &segment.when {
        satisfy(policy, when, true, rng, &mut out, 0);
    }
    out
}

/// Make `expr` evaluate to `want`, adding attributes to `out`.
fn satisfy(
    policy: &Policy,
    expr: &Expr,
    want: bool,
    rng: &mut Rng,
    out: &mut Vec<(String, AttrValue)>,
    depth: u8,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match &expr.kind {
        ExprKind::Logic { op, lhs, rhs } => {
            // `a or b` true, or `a and b` false: one side is enough.
            let either = (*op == LogicOp::Or) == want;
            if either {
                let side = if rng.chance(0.5) { lhs } else { rhs };
                satisfy(policy, side, want, rng, out, depth + 1);
            } else {
                satisfy(policy, lhs, want, rng, out, depth + 1);
                satisfy(policy, rhs, want, rng, out, depth + 1);
            }
        }
        ExprKind::Not { inner } => satisfy(policy, inner, !want, rng, out, depth + 1),
        ExprKind::Path { parts, .. } => set(out, path_name(parts), AttrValue::Bool(want)),
        ExprKind::Compare { op, lhs, rhs } => match (&lhs.kind, &rhs.kind) {
            (ExprKind::Path { parts, .. }, lit) => compare(out, path_name(parts), *op, lit, want),
            (lit, ExprKind::Path { parts, .. }) => {
                compare(out, path_name(parts), flip(*op), lit, want)
            }
            _ => {}
        },
        ExprKind::In { lhs, list } => {
            if let (ExprKind::Path { parts, .. }, ExprKind::List { items }) =
                (&lhs.kind, &list.kind)
            {
                let name = path_name(parts);
                if want {
                    if let Some(value) = rng.pick(items).and_then(|i| literal(&i.kind)) {
                        set(out, name, value);
                    }
                } else {
                    set(out, name, AttrValue::Text("other".to_string()));
                }
            }
        }
        ExprKind::Call { func, args } if func.name == "segment" => {
            let named = args.first().and_then(|a| match &a.kind {
                ExprKind::Path { parts, .. } => parts.first(),
                _ => None,
            });
            let rule = named.and_then(|n| policy.segments.iter().find(|s| s.name == n.name));
            if let Some(when) = rule.and_then(|r| r.when.as_ref()) {
                satisfy(policy, when, want, rng, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn path_name(parts: &[crate::syntax::Ident]) -> String {
    let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    names.join(".")
}

/// `a op b` is `b flip(op) a`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// The opposite comparison: `not (a < b)` is `a >= b`.
fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

fn literal(kind: &ExprKind) -> Option<AttrValue> {
    match kind {
        ExprKind::Number { value } => Some(AttrValue::Number(*value)),
        ExprKind::Text { value } => Some(AttrValue::Text(value.clone())),
        ExprKind::Bool { value } => Some(AttrValue::Bool(*value)),
        ExprKind::Percent { value } => Some(AttrValue::Number(*value)),
        ExprKind::Duration { seconds } => Some(AttrValue::Number(*seconds as f64)),
        _ => None,
    }
}

/// Make `name op lit` evaluate to `want`.
fn compare(
    out: &mut Vec<(String, AttrValue)>,
    name: String,
    op: CmpOp,
    lit: &ExprKind,
    want: bool,
) {
    let op = if want { op } else { negate(op) };
    let Some(value) = literal(lit) else { return };
    let value = match (op, value) {
        (CmpOp::Eq, v) => v,
        (CmpOp::Ne, AttrValue::Number(n)) => AttrValue::Number(n + 1.0),
        (CmpOp::Ne, AttrValue::Bool(b)) => AttrValue::Bool(!b),
        (CmpOp::Ne, AttrValue::Text(t)) => AttrValue::Text(format!("not {t}")),
        (CmpOp::Ge | CmpOp::Le, v) => v,
        (CmpOp::Gt, AttrValue::Number(n)) => AttrValue::Number(n.floor() + 1.0),
        (CmpOp::Lt, AttrValue::Number(n)) => AttrValue::Number(n.ceil() - 1.0),
        (_, v) => v,
    };
    set(out, name, value);
}

/// Set an attribute unless an earlier part of the condition already decided it.
fn set(out: &mut Vec<(String, AttrValue)>, name: String, value: AttrValue) {
    if !out.iter().any(|(k, _)| *k == name) {
        out.push((name, value));
    }
}

/// Every attribute a segment condition reads (paths compared or tested).
pub(crate) fn names(expr: &Expr, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Path { parts, .. } => out.push(path_name(parts)),
        ExprKind::Logic { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            names(lhs, out);
            names(rhs, out);
        }
        ExprKind::In { lhs, .. } => names(lhs, out),
        ExprKind::Not { inner } => names(inner, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(policy_text: &str, segment: &str, seed: u64) -> Vec<(String, AttrValue)> {
        let policy = Policy::compile(policy_text).expect("compiles");
        let rule = policy
            .segments
            .iter()
            .find(|s| s.name == segment)
            .expect("the segment");
        for_segment(&policy, rule, &mut Rng::new(seed))
    }

    const TEXT: &str = r#"
segment gold { when tier == "gold" or lifetime_value >= 50_000 }
segment young { when age < 30 and not churned and plan in ["basic", "plus"] }
segment mixed { when (tier == "gold" or vip) and score > 2.5 and not (age >= 65) }
journey j { for gold, young, mixed
  goal a
  step a
  path a }
"#;

    #[test]
    fn comparisons_lists_negations_and_references_are_satisfied() {
        let young = solve(TEXT, "young", 1);
        assert!(young.contains(&("age".to_string(), AttrValue::Number(29.0))));
        assert!(young.contains(&("churned".to_string(), AttrValue::Bool(false))));
        assert!(young
            .iter()
            .any(|(k, v)| k == "plan"
                && matches!(v, AttrValue::Text(t) if t == "basic" || t == "plus")));
        let mixed = solve(TEXT, "mixed", 3);
        assert!(mixed.contains(&("score".to_string(), AttrValue::Number(3.0))));
        assert!(mixed.contains(&("age".to_string(), AttrValue::Number(64.0))));
        assert!(mixed.iter().any(|(k, v)| (k == "tier"
            && *v == AttrValue::Text("gold".to_string()))
            || (k == "vip" && *v == AttrValue::Bool(true))));
    }

    #[test]
    fn either_side_of_an_or_is_chosen() {
        let sides: Vec<String> = (0..20)
            .map(|seed| solve(TEXT, "gold", seed)[0].0.clone())
            .collect();
        assert!(sides.iter().any(|k| k == "tier"));
        assert!(sides.iter().any(|k| k == "lifetime_value"));
        let gold = solve(TEXT, "gold", 0);
        assert!(
            gold == vec![("tier".to_string(), AttrValue::Text("gold".to_string()))]
                || gold == vec![("lifetime_value".to_string(), AttrValue::Number(50_000.0))]
        );
    }
}

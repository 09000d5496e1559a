//! Types of condition expressions (segment and escalation `when`, `unless`): every
//! expression gets a [`Type`]; comparisons of incompatible types (E0301), conditions
//! that are not true/false (E0302), and one customer attribute used as two types
//! across the file (E0304, via [`Attributes`]). Calls are checked in `calls`.

use super::Cx;
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{CmpOp, Expr, ExprKind, LogicOp, Span};
use std::collections::BTreeMap;

/// The type of an expression or a customer attribute.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// `4`, `50_000`, `2.5`
    Number,
    /// `"gold"`
    Text,
    /// `true`, or a condition.
    Bool,
    /// `4h`
    Duration,
    /// `10%`
    Percent,
    /// `2026-03-01T10:00Z`
    Time,
    /// `["gold", "platinum"]`
    List(Box<Type>),
    /// Not known: an attribute nothing has pinned down yet, or an expression that
    /// already has an error. Compatible with every type.
    Unknown,
}

impl Type {
    /// How a person would say it: "a number", "text", "true/false".
    pub fn describe(&self) -> String {
        match self {
            Type::Number => "a number".into(),
            Type::Text => "text".into(),
            Type::Bool => "true/false".into(),
            Type::Duration => "a duration".into(),
            Type::Percent => "a percentage".into(),
            Type::Time => "a time".into(),
            Type::List(inner) if **inner == Type::Unknown => "a list".into(),
            Type::List(inner) => format!("a list of {}", inner.plural()),
            Type::Unknown => "a value of unknown type".into(),
        }
    }

    /// Many values of this type: "numbers", "text".
    fn plural(&self) -> String {
        match self {
            Type::Number => "numbers".into(),
            Type::Text => "text".into(),
            Type::Bool => "true/false values".into(),
            Type::Duration => "durations".into(),
            Type::Percent => "percentages".into(),
            Type::Time => "times".into(),
            Type::List(_) => "lists".into(),
            Type::Unknown => "values".into(),
        }
    }

    /// True when `a` and `b` can stand on the two sides of `==`.
    fn compatible(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => true,
            (Type::List(a), Type::List(b)) => a.compatible(b),
            (a, b) => a == b,
        }
    }

    fn is_known(&self) -> bool {
        *self != Type::Unknown
    }
}

/// Every use of every customer attribute with the type it was used as; conflicts are
/// found once all uses are in, so the first use in source order sets the type.
#[derive(Debug, Default)]
pub(crate) struct Attributes {
    uses: BTreeMap<String, Vec<(Span, Type, &'static str)>>,
}

impl Attributes {
    /// Record that attribute `name` was used as `ty` at `span` (`how`: "compared with",
    /// "given as").
    pub(super) fn record(&mut self, name: String, ty: Type, span: Span, how: &'static str) {
        if ty.is_known() {
            self.uses.entry(name).or_default().push((span, ty, how));
        }
    }

    /// E0304 for each use whose type differs from the first use's.
    pub(super) fn conflicts(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (name, uses) in &self.uses {
            let mut uses = uses.clone();
            uses.sort_by_key(|(span, _, _)| (span.start, span.end));
            let Some((first_span, first_ty, first_how)) = uses.first().cloned() else {
                continue;
            };
            for (span, ty, how) in uses.iter().skip(1) {
                if ty.compatible(&first_ty) {
                    continue;
                }
                let (a, b) = (first_ty.describe(), ty.describe());
                out.push(
                    Diagnostic::new(
                        Code::ConflictingAttributeType,
                        format!("attribute `{name}` is used as {a} and as {b}"),
                    )
                    .with_label(*span, format!("{how} {b} here"))
                    .with_secondary(first_span, format!("{first_how} {a} here"))
                    .with_help(format!(
                        "each customer attribute has one type; use `{name}` as {a} everywhere, \
                         or use two attributes"
                    )),
                );
            }
        }
        out
    }

    /// The type of each attribute: that of its first use.
    pub(super) fn types(&self) -> BTreeMap<String, Type> {
        self.uses
            .iter()
            .filter_map(|(name, uses)| {
                let first = uses
                    .iter()
                    .min_by_key(|(span, _, _)| (span.start, span.end))?;
                Some((name.clone(), first.1.clone()))
            })
            .collect()
    }
}

/// Where a condition stands, which decides the functions it may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// A segment's `when`: customer attributes only.
    Segment,
    /// An escalation's `when` or a tier's `unless`.
    Escalation,
}

/// The attribute an expression names, if it is a plain path (`tier`, `address.city`).
pub(super) fn attribute_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Path { parts, star: None } => Some(
            parts
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("."),
        ),
        _ => None,
    }
}

impl Cx<'_> {
    /// Check a condition: its type must be true/false (E0302), `what` names it
    /// (`` `when` ``).
    pub(super) fn check_condition(&mut self, e: &Expr, ctx: Context, what: &str) {
        let ty = self.infer(e, ctx);
        self.expect_bool(e, &ty, what);
    }

    /// E0302 unless `ty` is true/false; an attribute used here becomes true/false.
    fn expect_bool(&mut self, e: &Expr, ty: &Type, what: &str) {
        if let Some(name) = attribute_name(e) {
            self.attrs.record(name, Type::Bool, e.span, "tested as");
            return;
        }
        if ty.is_known() && *ty != Type::Bool {
            self.report(
                Diagnostic::new(
                    Code::NotBoolean,
                    format!("{what} needs true/false, but this is {}", ty.describe()),
                )
                .with_label(e.span, format!("this is {}", ty.describe()))
                .with_help(
                    "build conditions from comparisons such as `tier == \"gold\"`, joined with \
                         `and`, `or` and `not`",
                ),
            );
        }
    }

    /// The type of `e`, reporting what is wrong inside it.
    pub(super) fn infer(&mut self, e: &Expr, ctx: Context) -> Type {
        match &e.kind {
            ExprKind::Number { .. } => Type::Number,
            ExprKind::Text { .. } => Type::Text,
            ExprKind::Bool { .. } => Type::Bool,
            ExprKind::Duration { .. } => Type::Duration,
            ExprKind::Time { .. } => Type::Time,
            ExprKind::Percent { value } => {
                self.check_percent(*value, e.span);
                Type::Percent
            }
            ExprKind::Path { .. } => Type::Unknown,
            ExprKind::List { items } => self.infer_list(items, ctx),
            ExprKind::Call { func, args } => self.check_call(func, args, ctx),
            ExprKind::Not { inner } => {
                let ty = self.infer(inner, ctx);
                self.expect_bool(inner, &ty, "`not`");
                Type::Bool
            }
            ExprKind::Logic { op, lhs, rhs } => {
                let what = match op {
                    LogicOp::And => "`and`",
                    LogicOp::Or => "`or`",
                };
                for side in [lhs, rhs] {
                    let ty = self.infer(side, ctx);
                    self.expect_bool(side, &ty, what);
                }
                Type::Bool
            }
            ExprKind::Compare { op, lhs, rhs } => {
                self.check_compare(*op, lhs, rhs, ctx);
                Type::Bool
            }
            ExprKind::In { lhs, list } => {
                self.check_in(lhs, list, ctx);
                Type::Bool
            }
            ExprKind::Rate {
                condition,
                threshold,
                window,
                ..
            } => {
                self.check_rate(condition, threshold, window, ctx);
                Type::Bool
            }
        }
    }

    /// E0305: a percentage below 0% or above 100%.
    pub(super) fn check_percent(&mut self, value: f64, span: Span) {
        if !(0.0..=100.0).contains(&value) {
            self.report(
                Diagnostic::new(
                    Code::OutOfRange,
                    format!(
                        "percentage {}% is out of range",
                        super::journeys::fmt_num(value)
                    ),
                )
                .with_label(span, "not between 0% and 100%")
                .with_help("a percentage here is a share of customers or events, from 0% to 100%"),
            );
        }
    }

    fn infer_list(&mut self, items: &[Expr], ctx: Context) -> Type {
        let mut elem = Type::Unknown;
        for item in items {
            let ty = self.infer(item, ctx);
            if !ty.compatible(&elem) {
                self.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!(
                            "a list cannot hold both {} and {}",
                            elem.describe(),
                            ty.describe()
                        ),
                    )
                    .with_label(item.span, format!("this is {}", ty.describe()))
                    .with_help("every element of a list must be the same kind of value"),
                );
            } else if !elem.is_known() {
                elem = ty;
            }
        }
        Type::List(Box::new(elem))
    }

    fn check_compare(&mut self, op: CmpOp, lhs: &Expr, rhs: &Expr, ctx: Context) {
        // From the first operand to the last: the parser's span may take trailing blanks.
        let span = lhs.span.to(rhs.span);
        let lt = self.infer(lhs, ctx);
        let rt = self.infer(rhs, ctx);
        if let Some(name) = attribute_name(lhs) {
            self.attrs.record(name, rt.clone(), span, "compared with");
        }
        if let Some(name) = attribute_name(rhs) {
            self.attrs.record(name, lt.clone(), span, "compared with");
        }
        if !lt.compatible(&rt) {
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("cannot compare {} with {}", lt.describe(), rt.describe()),
                )
                .with_label(rhs.span, format!("this is {}", rt.describe()))
                .with_secondary(lhs.span, format!("this is {}", lt.describe()))
                .with_help(format!(
                    "both sides of `{}` must be the same kind of value",
                    op.as_str()
                )),
            );
            return;
        }
        let known = if lt.is_known() { lt } else { rt };
        let ordering = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
        if ordering && matches!(known, Type::Text | Type::Bool | Type::List(_)) {
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{}` cannot order {}", op.as_str(), known.describe()),
                )
                .with_label(span, format!("ordering {}", known.describe()))
                .with_help(format!(
                    "{} can only be compared with `==` and `!=`; to accept several values, use \
                     `in [...]`",
                    known.describe()
                )),
            );
        }
    }

    fn check_in(&mut self, lhs: &Expr, list: &Expr, ctx: Context) {
        let span = lhs.span.to(list.span);
        let lt = self.infer(lhs, ctx);
        let list_ty = self.infer(list, ctx);
        let elem = match list_ty {
            Type::List(elem) => *elem,
            Type::Unknown => Type::Unknown,
            other => {
                self.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`in` needs a list, but this is {}", other.describe()),
                    )
                    .with_label(list.span, format!("this is {}", other.describe()))
                    .with_help("write the values in brackets: `tier in [\"gold\", \"platinum\"]`"),
                );
                return;
            }
        };
        if let Some(name) = attribute_name(lhs) {
            self.attrs.record(name, elem.clone(), span, "compared with");
        }
        if !lt.compatible(&elem) {
            self.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!(
                        "cannot look for {} in a list of {}",
                        lt.describe(),
                        elem.describe()
                    ),
                )
                .with_label(list.span, format!("a list of {}", elem.describe()))
                .with_secondary(lhs.span, format!("this is {}", lt.describe()))
                .with_help("the value and the list's elements must be the same kind of value"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_describe_themselves_in_plain_words() {
        assert_eq!(Type::Bool.describe(), "true/false");
        assert_eq!(
            Type::List(Box::new(Type::Text)).describe(),
            "a list of text"
        );
        assert_eq!(
            Type::List(Box::new(Type::Number)).describe(),
            "a list of numbers"
        );
    }

    #[test]
    fn unknown_is_compatible_with_everything_else_is_not() {
        assert!(Type::Unknown.compatible(&Type::Text));
        assert!(Type::Number.compatible(&Type::Unknown));
        assert!(!Type::Number.compatible(&Type::Text));
        assert!(!Type::List(Box::new(Type::Number)).compatible(&Type::List(Box::new(Type::Text))));
    }

    #[test]
    fn the_first_use_in_source_order_sets_the_type() {
        let mut attrs = Attributes::default();
        attrs.record(
            "tier".into(),
            Type::Number,
            Span::new(50, 60),
            "compared with",
        );
        attrs.record(
            "tier".into(),
            Type::Text,
            Span::new(10, 20),
            "compared with",
        );
        attrs.record(
            "tier".into(),
            Type::Unknown,
            Span::new(0, 5),
            "compared with",
        );
        let diags = attrs.conflicts();
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].message,
            "attribute `tier` is used as text and as a number"
        );
        assert_eq!(diags[0].primary_span(), Some(Span::new(50, 60)));
        assert_eq!(attrs.types().get("tier"), Some(&Type::Text));
    }
}

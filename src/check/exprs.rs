//! Type checking of condition expressions (segment and escalation `when`, `unless`):
//! every expression gets a [`Type`]; comparisons of incompatible types (E0301) and
//! conditions that are not true/false (E0302) are reported, and every attribute use
//! goes to the file's [`super::types::Attributes`] table. Calls are checked in `calls`.

use super::types::Type;
use super::Cx;
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{CmpOp, Expr, ExprKind, LogicOp, Span};

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

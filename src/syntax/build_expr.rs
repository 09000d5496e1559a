//! Building path expressions, expectation clauses and condition expressions.

use super::ast::*;
use super::build::{children, Builder, P};
use super::parser::Rule;
use crate::diagnostic::{Code, Diagnostic};
use pest::iterators::Pairs;

/// Repetition bounds above this are refused here: they could only ever blow the
/// compiler's node limit, and a huge number must not become a huge allocation.
const MAX_REPEAT: u32 = 1000;

impl Builder<'_> {
    /// `path_alt = { path_branch ~ ("|" ~ path_branch)* }`
    pub(crate) fn path_alt(&mut self, pair: P<'_>) -> Option<PathExpr> {
        let span = self.span(&pair);
        let mut branches = Vec::new();
        for branch in pair.into_inner() {
            let mut inner = branch.into_inner();
            let path = self.path_par(inner.next()?)?;
            let weight = inner.next().map(|w| self.percent(&w));
            branches.push(Branch { path, weight });
        }
        if branches.len() == 1 && branches[0].weight.is_none() {
            return branches.pop().map(|b| b.path);
        }
        Some(PathExpr {
            kind: PathKind::Alt { branches },
            span,
        })
    }

    fn path_par(&mut self, pair: P<'_>) -> Option<PathExpr> {
        let span = self.span(&pair);
        let mut parts = pair
            .into_inner()
            .map(|p| self.path_seq(p))
            .collect::<Option<Vec<_>>>()?;
        if parts.len() == 1 {
            return parts.pop();
        }
        Some(PathExpr {
            kind: PathKind::Parallel { branches: parts },
            span,
        })
    }

    fn path_seq(&mut self, pair: P<'_>) -> Option<PathExpr> {
        let span = self.span(&pair);
        let mut parts = pair
            .into_inner()
            .map(|p| self.path_postfix(p))
            .collect::<Option<Vec<_>>>()?;
        if parts.len() == 1 {
            return parts.pop();
        }
        Some(PathExpr {
            kind: PathKind::Seq { parts },
            span,
        })
    }

    fn path_postfix(&mut self, pair: P<'_>) -> Option<PathExpr> {
        let mut inner = pair.into_inner();
        let atom = inner.next()?;
        let mut expr = match atom.as_rule() {
            Rule::step_name => PathExpr {
                kind: PathKind::Step {
                    step: self.ident(&atom.clone().into_inner().next()?),
                },
                span: self.span(&atom),
            },
            _ => {
                let mut group = self.path_alt(atom.clone().into_inner().next()?)?;
                group.span = self.span(&atom);
                group
            }
        };
        for op in inner {
            let span = expr.span.to(self.span(&op));
            let boxed = Box::new(expr);
            let kind = match op.as_rule() {
                Rule::optional_op => PathKind::Optional { inner: boxed },
                Rule::star_op => PathKind::Star { inner: boxed },
                Rule::plus_op => PathKind::Plus { inner: boxed },
                _ => {
                    let (min, max) = self.repeat_bounds(&op);
                    PathKind::Repeat {
                        inner: boxed,
                        min,
                        max,
                    }
                }
            };
            expr = PathExpr { kind, span };
        }
        Some(expr)
    }

    /// `{m}`, `{m,}`, `{m,n}`, validated.
    fn repeat_bounds(&mut self, op: &P<'_>) -> (u32, Option<u32>) {
        let span = self.span(op);
        let parse = |p: Option<P<'_>>| p.map(|p| p.as_str().parse::<u32>().unwrap_or(u32::MAX));
        let min = parse(children(op, Rule::repeat_min).next()).unwrap_or(0);
        let comma = children(op, Rule::repeat_comma).next().is_some();
        let max = if comma {
            parse(children(op, Rule::repeat_max).next())
        } else {
            Some(min)
        };
        let problem = if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
            Some(format!("repetition bound over {MAX_REPEAT}"))
        } else if max.is_some_and(|m| m < min) {
            Some(format!(
                "repetition `{}` has its bounds backwards",
                op.as_str()
            ))
        } else if max == Some(0) {
            Some("repetition `{0}` allows nothing".to_string())
        } else {
            None
        };
        if let Some(message) = problem {
            self.diagnostics.push(
                Diagnostic::new(Code::InvalidRepetition, message)
                    .with_label(span, "these bounds")
                    .with_help(format!(
                        "write `{{min,max}}` with min <= max <= {MAX_REPEAT}, `{{n}}` for exactly n, or `{{min,}}` for no upper bound"
                    )),
            );
            return (0, Some(1));
        }
        (min, max)
    }

    /// The clauses of an `expect` or `expectations` body.
    pub(crate) fn clauses(&mut self, pairs: Pairs<'_, Rule>) -> Option<Vec<Clause>> {
        let mut clauses = Vec::new();
        for pair in pairs {
            let span = self.span(&pair);
            let kind = match pair.as_rule() {
                Rule::within_clause => ClauseKind::Within {
                    limit: self.duration(&children(&pair, Rule::duration).next()?),
                    anchor: self.anchor(&children(&pair, Rule::anchor).next()?)?,
                    severity: self.else_severity(&pair),
                },
                Rule::warn_clause => ClauseKind::WarnAfter {
                    limit: self.duration(&children(&pair, Rule::duration).next()?),
                    anchor: self.anchor(&children(&pair, Rule::anchor).next()?)?,
                },
                Rule::via_clause => ClauseKind::Via {
                    channels: children(&pair, Rule::ident)
                        .map(|p| self.ident(&p))
                        .collect(),
                    severity: self.else_severity(&pair),
                },
                Rule::asks_clause => ClauseKind::AsksOnce {
                    items: children(&pair, Rule::ident)
                        .map(|p| self.ident(&p))
                        .collect(),
                    severity: self.else_severity(&pair),
                },
                Rule::attempts_clause => ClauseKind::Attempts {
                    op: cmp_op(&children(&pair, Rule::cmp_op).next()?),
                    value: self.number(&children(&pair, Rule::number).next()?),
                    severity: self.else_severity(&pair),
                },
                Rule::use_clause => ClauseKind::Use {
                    set: self.ident(&children(&pair, Rule::ident).next()?),
                },
                Rule::metric_clause => ClauseKind::Metric {
                    metric: self.ident(&children(&pair, Rule::ident).next()?),
                    op: cmp_op(&children(&pair, Rule::cmp_op).next()?),
                    value: self.number(&children(&pair, Rule::number).next()?),
                    severity: self.else_severity(&pair),
                },
                _ => continue,
            };
            clauses.push(Clause { kind, span });
        }
        Some(clauses)
    }

    fn anchor(&self, pair: &P<'_>) -> Option<Anchor> {
        let inner = pair
            .clone()
            .into_inner()
            .find(|p| p.as_rule() != Rule::k_after)?;
        Some(match inner.as_rule() {
            Rule::journey_start => Anchor::JourneyStart {
                span: self.span(&inner),
            },
            _ => Anchor::Step {
                step: self.ident(&inner),
            },
        })
    }

    /// `expr = { or_expr }` and everything below it.
    pub(crate) fn expr(&mut self, pair: P<'_>) -> Option<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::paren => {
                let mut inner = self.expr(pair.into_inner().next()?)?;
                inner.span = span;
                Some(inner)
            }
            Rule::or_expr | Rule::and_expr => {
                let op = if pair.as_rule() == Rule::or_expr {
                    LogicOp::Or
                } else {
                    LogicOp::And
                };
                let operands = pair
                    .into_inner()
                    .filter(|p| !matches!(p.as_rule(), Rule::k_or | Rule::k_and))
                    .map(|p| self.expr(p))
                    .collect::<Option<Vec<_>>>()?;
                balanced(op, operands)
            }
            Rule::not_expr => {
                let mut inner = pair.into_inner();
                let first = inner.next()?;
                if first.as_rule() == Rule::k_not {
                    let operand = self.expr(inner.next()?)?;
                    Some(Expr {
                        kind: ExprKind::Not {
                            inner: Box::new(operand),
                        },
                        span,
                    })
                } else {
                    self.expr(first)
                }
            }
            Rule::compare => self.compare(pair, span),
            _ => self.value(pair, span),
        }
    }

    fn compare(&mut self, pair: P<'_>, span: super::Span) -> Option<Expr> {
        let mut inner = pair.into_inner();
        let lhs = inner.next()?;
        if lhs.as_rule() == Rule::rate_expr {
            return self.rate(lhs, span);
        }
        let lhs = self.expr(lhs)?;
        let Some(op) = inner.next() else {
            return Some(lhs);
        };
        let rhs = Box::new(self.expr(inner.next()?)?);
        let kind = match op.as_rule() {
            Rule::k_in => ExprKind::In {
                lhs: Box::new(lhs),
                list: rhs,
            },
            _ => ExprKind::Compare {
                op: cmp_op(&op),
                lhs: Box::new(lhs),
                rhs,
            },
        };
        Some(Expr { kind, span })
    }

    fn rate(&mut self, pair: P<'_>, span: super::Span) -> Option<Expr> {
        let call = self.expr(children(&pair, Rule::call).next()?)?;
        let kind = ExprKind::Rate {
            condition: Box::new(call),
            op: cmp_op(&children(&pair, Rule::cmp_op).next()?),
            threshold: self.percent(&children(&pair, Rule::percent).next()?),
            window: self.duration(&children(&pair, Rule::duration).next()?),
        };
        Some(Expr { kind, span })
    }

    fn value(&mut self, pair: P<'_>, span: super::Span) -> Option<Expr> {
        let kind = match pair.as_rule() {
            Rule::number => ExprKind::Number {
                value: self.number(&pair).value,
            },
            Rule::percent => ExprKind::Percent {
                value: self.percent(&pair).value,
            },
            Rule::duration => ExprKind::Duration {
                seconds: self.duration(&pair).seconds,
            },
            Rule::string => ExprKind::Text {
                value: self.text(&pair).value,
            },
            Rule::boolean => ExprKind::Bool {
                value: pair.as_str() == "true",
            },
            Rule::timestamp => ExprKind::Time {
                value: self.timestamp(&pair),
            },
            Rule::list => ExprKind::List {
                items: pair
                    .into_inner()
                    .map(|p| self.expr(p))
                    .collect::<Option<Vec<_>>>()?,
            },
            Rule::call => {
                let mut inner = pair.into_inner();
                let func = self.ident(&inner.next()?);
                let args = inner.map(|p| self.expr(p)).collect::<Option<Vec<_>>>()?;
                ExprKind::Call { func, args }
            }
            Rule::attr_path => {
                let mut parts = Vec::new();
                let mut star = None;
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::star => star = Some(self.span(&part)),
                        _ => parts.push(self.ident(&part)),
                    }
                }
                ExprKind::Path { parts, star }
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }
}

/// A chain `a or b or c ...` as a balanced tree of `Logic` nodes: `and` and `or`
/// are associative, so the shape does not change the meaning, and a balanced tree
/// of n operands is log2(n) deep, where a left-leaning one would be n deep and a
/// long chain would exhaust the stack of every stage that walks the tree. Up to
/// three operands the tree is the left-leaning one, `(a or b) or c`.
fn balanced(op: LogicOp, mut operands: Vec<Expr>) -> Option<Expr> {
    if operands.len() <= 1 {
        return operands.pop();
    }
    let right = operands.split_off(operands.len().div_ceil(2));
    let lhs = balanced(op, operands)?;
    let rhs = balanced(op, right)?;
    let span = lhs.span.to(rhs.span);
    Some(Expr {
        kind: ExprKind::Logic {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    })
}

fn cmp_op(pair: &P<'_>) -> CmpOp {
    match pair.as_str() {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<=" => CmpOp::Le,
        ">=" => CmpOp::Ge,
        "<" => CmpOp::Lt,
        _ => CmpOp::Gt,
    }
}

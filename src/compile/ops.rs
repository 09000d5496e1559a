//! The small values of compiled rules: a comparison, a severity, which way a
//! metric is better. The compiled [`super::Program`] carries these, not the
//! AST's own, so that nothing of `syntax` is reachable from it; each is made
//! from its AST counterpart by `From`.

use crate::syntax;
use serde::Serialize;
use std::cmp::Ordering;

/// A comparison of a compiled rule (`csat >= 4`, `attempts <= 3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// True when `lhs op rhs` holds.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            CmpOp::Eq => lhs == rhs,
            CmpOp::Ne => lhs != rhs,
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs >= rhs,
        }
    }

    /// True when `lhs op rhs` holds for operands that compare as `ordering`.
    pub fn holds_for(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Eq => ordering == Ordering::Equal,
            CmpOp::Ne => ordering != Ordering::Equal,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Le => ordering != Ordering::Greater,
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Ge => ordering != Ordering::Less,
        }
    }
}

impl From<syntax::CmpOp> for CmpOp {
    fn from(op: syntax::CmpOp) -> CmpOp {
        match op {
            syntax::CmpOp::Eq => CmpOp::Eq,
            syntax::CmpOp::Ne => CmpOp::Ne,
            syntax::CmpOp::Lt => CmpOp::Lt,
            syntax::CmpOp::Le => CmpOp::Le,
            syntax::CmpOp::Gt => CmpOp::Gt,
            syntax::CmpOp::Ge => CmpOp::Ge,
        }
    }
}

/// How bad breaking a compiled rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// At risk, or making customers unhappy.
    Yellow,
    /// Broken, or making customers very unhappy.
    Red,
}

impl From<syntax::Severity> for Severity {
    fn from(severity: syntax::Severity) -> Severity {
        match severity {
            syntax::Severity::Yellow => Severity::Yellow,
            syntax::Severity::Red => Severity::Red,
        }
    }
}

/// Which direction of a metric is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Higher values are better (CSAT, NPS).
    Higher,
    /// Lower values are better (customer effort).
    Lower,
}

impl From<syntax::Better> for Better {
    fn from(better: syntax::Better) -> Better {
        match better {
            syntax::Better::Higher => Better::Higher,
            syntax::Better::Lower => Better::Lower,
        }
    }
}

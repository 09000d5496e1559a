//! Conditions (segment `when`, escalation `when` and `unless`) compiled once,
//! with every name resolved: attributes to symbols of the program's
//! vocabulary, segments, journeys and steps to indices. The evaluator answers
//! a [`Cond`] against what it knows of a customer (`eval`'s `holds`).

use super::journey::CompiledJourney;
use super::{CmpOp, StepId};
use crate::events::{Interner, Symbol};
use crate::syntax::{Expr, ExprKind, LogicOp};
use jiff::Timestamp;

/// A condition with its names resolved. A name the policy does not define
/// (the checker rejects them) is `Bool(false)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// A number (durations in seconds, percentages as written).
    Number(f64),
    /// A text.
    Text(String),
    /// `true` or `false`.
    Bool(bool),
    /// A point in time.
    Time(Timestamp),
    /// A customer attribute (its dotted name, interned).
    Attr(Symbol),
    /// A list literal.
    List(Vec<Cond>),
    /// `segment(s)`: the segment's index.
    Segment(usize),
    /// `off_path(j)`: the journey's index.
    OffPath(usize),
    /// `broken(j)` or `broken(j.s)`.
    Broken(usize, Option<StepId>),
    /// `reached(j.s)` or `reached(s)`: the journey, if named, and the step's
    /// id in each journey (by journey index).
    Reached(Option<usize>, Box<[Option<StepId>]>),
    /// `not c`.
    Not(Box<Cond>),
    /// `a and b`.
    And(Box<Cond>, Box<Cond>),
    /// `a or b`.
    Or(Box<Cond>, Box<Cond>),
    /// `a op b`.
    Compare(CmpOp, Box<Cond>, Box<Cond>),
    /// `a in list`.
    In(Box<Cond>, Box<Cond>),
}

impl Cond {
    /// True when the condition reads something besides findings and
    /// segments: attributes, or `reached(...)`, which can change without a
    /// new finding.
    pub(crate) fn reads_more_than_findings(&self) -> bool {
        match self {
            Cond::Attr(_) | Cond::Reached(..) => true,
            Cond::Not(inner) => inner.reads_more_than_findings(),
            Cond::And(l, r) | Cond::Or(l, r) | Cond::Compare(_, l, r) | Cond::In(l, r) => {
                l.reads_more_than_findings() || r.reads_more_than_findings()
            }
            Cond::List(items) => items.iter().any(Cond::reads_more_than_findings),
            _ => false,
        }
    }
}

/// Resolves the names conditions use, interning attributes into the
/// program's vocabulary and remembering which ones conditions read.
pub(crate) struct Resolver<'a> {
    pub journeys: &'a [CompiledJourney],
    pub segments: &'a [String],
    pub names: &'a mut Interner,
    /// Every attribute a condition compiled so far reads, in first-read order.
    pub attrs: Vec<Symbol>,
}

impl Resolver<'_> {
    /// Compile `expr`.
    pub(crate) fn compile(&mut self, expr: &Expr) -> Cond {
        match &expr.kind {
            ExprKind::Number { value } => Cond::Number(*value),
            ExprKind::Text { value } => Cond::Text(value.clone()),
            ExprKind::Bool { value } => Cond::Bool(*value),
            ExprKind::Duration { seconds } => Cond::Number(*seconds as f64),
            ExprKind::Percent { value } => Cond::Number(*value),
            ExprKind::Time { value } => Cond::Time(*value),
            ExprKind::Path { parts, .. } => {
                let joined: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                let key = self.names.intern(&joined.join("."));
                if !self.attrs.contains(&key) {
                    self.attrs.push(key);
                }
                Cond::Attr(key)
            }
            ExprKind::List { items } => Cond::List(items.iter().map(|i| self.compile(i)).collect()),
            ExprKind::Call { func, args } => self.call(&func.name, args),
            ExprKind::Not { inner } => Cond::Not(Box::new(self.compile(inner))),
            ExprKind::Logic { op, lhs, rhs } => {
                let (l, r) = (Box::new(self.compile(lhs)), Box::new(self.compile(rhs)));
                match op {
                    LogicOp::And => Cond::And(l, r),
                    LogicOp::Or => Cond::Or(l, r),
                }
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let (l, r) = (Box::new(self.compile(lhs)), Box::new(self.compile(rhs)));
                Cond::Compare((*op).into(), l, r)
            }
            ExprKind::In { lhs, list } => {
                let (l, r) = (Box::new(self.compile(lhs)), Box::new(self.compile(list)));
                Cond::In(l, r)
            }
            // Rates are step-level; the compiler makes them their own trigger.
            ExprKind::Rate { .. } => Cond::Bool(false),
        }
    }

    fn call(&self, func: &str, args: &[Expr]) -> Cond {
        let (first, second) = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Path { parts, .. }) => (
                parts.first().map(|p| p.name.as_str()),
                parts.get(1).map(|p| p.name.as_str()),
            ),
            _ => (None, None),
        };
        let journeys = self.journeys;
        let journey = |name: &str| journeys.iter().position(|j| j.name == name);
        let resolved = match (func, first) {
            ("off_path", Some(j)) => journey(j).map(Cond::OffPath),
            ("broken", Some(j)) => journey(j).and_then(|j| match second {
                None => Some(Cond::Broken(j, None)),
                Some(s) => journeys[j].step_id(s).map(|s| Cond::Broken(j, Some(s))),
            }),
            ("segment", Some(s)) => self
                .segments
                .iter()
                .position(|seg| seg == s)
                .map(Cond::Segment),
            ("reached", Some(first)) => {
                let (j, step) = match second {
                    Some(step) => (journey(first).map(Some), step),
                    None => (Some(None), first),
                };
                j.map(|j| {
                    let ids = journeys.iter().map(|jr| jr.step_id(step)).collect();
                    Cond::Reached(j, ids)
                })
            }
            _ => None,
        };
        resolved.unwrap_or(Cond::Bool(false))
    }
}

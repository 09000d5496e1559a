//! Expectations and escalations in the compact form the evaluator runs: names
//! resolved to journey indices and [`StepId`]s, `use SET` expanded, durations in
//! seconds, and each rule's source kept for findings to quote.

use super::condition::{Cond, Resolver};
use super::journey::CompiledJourney;
use super::{CmpOp, Severity, StepId};
use crate::check::{ExpandedClause, Origin};
use crate::diagnostic::Span;
use crate::syntax::{Anchor, ClauseKind, Expr, ExprKind, Tier};
use serde::Serialize;

/// Where a rule is written, for findings to point at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSource {
    /// Span in the policy file: the clause itself, or the `use SET` that brought it in.
    pub span: Span,
    /// The policy file `span` is in, when the policy has several files (`use
    /// "segments.cxl"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line of `span` in its policy file.
    pub line: usize,
    /// The rule as written (the clause, or the whole `when` of an escalation).
    pub text: String,
    /// The expectation set the clause comes from, if any (`frictionless`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// The standard module the clause is written in, if any (`std/cx`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
}

/// What a time limit is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorRef {
    /// The latest earlier occurrence of this step.
    Step(StepId),
    /// The event that opened the journey instance.
    JourneyStart,
}

/// The check an expectation makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// The target step happens at most `limit` seconds after the anchor (inclusive).
    Within {
        /// Seconds.
        limit: u64,
        /// Measured from.
        anchor: AnchorRef,
    },
    /// Past `limit` seconds after the anchor without the target step, it is at risk.
    WarnAfter {
        /// Seconds.
        limit: u64,
        /// Measured from.
        anchor: AnchorRef,
    },
    /// The step's events use one of these channels.
    Channel {
        /// Allowed channels.
        allowed: Vec<String>,
    },
    /// `metric op value` holds on every event of the step that carries the metric.
    Metric {
        /// The metric (event attribute) name.
        metric: String,
        /// The comparison that must hold.
        op: CmpOp,
        /// The threshold.
        value: f64,
    },
    /// No information item is asked twice in one journey instance.
    AsksOnce {
        /// The items; empty means every item.
        items: Vec<String>,
    },
    /// `attempts op value` holds for the number of visits of the step.
    Attempts {
        /// The comparison that must hold.
        op: CmpOp,
        /// The limit.
        value: f64,
    },
}

/// One expectation at one journey's steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    /// Index of the journey in [`super::Program::journeys`].
    pub journey: usize,
    /// The target step, or `None` for every step (`J.*`).
    pub step: Option<StepId>,
    /// Only for customers in one of these segments (empty: everyone on the journey).
    pub segments: Vec<String>,
    /// What is checked.
    pub check: Check,
    /// How bad a violation is.
    pub severity: Severity,
    /// Where it is written.
    pub source: RuleSource,
}

/// Build the expectation of one expanded clause; `None` for clauses that check
/// nothing by themselves (`use`) or name an unknown anchor (the checker reports it).
pub(crate) fn expectation(
    journey_index: usize,
    journey: &CompiledJourney,
    step: Option<StepId>,
    segments: &[String],
    clause: &ExpandedClause<'_>,
    source: RuleSource,
) -> Option<Expectation> {
    let anchor = |a: &Anchor| match a {
        Anchor::JourneyStart { .. } => Some(AnchorRef::JourneyStart),
        Anchor::Step { step } => journey.step_id(&step.name).map(AnchorRef::Step),
    };
    let sev =
        |s: &Option<crate::syntax::SeverityLit>, default| s.map_or(default, |s| s.value.into());
    let (check, severity) = match &clause.clause.kind {
        ClauseKind::Within {
            limit,
            anchor: a,
            severity,
        } => (
            Check::Within {
                limit: limit.seconds,
                anchor: anchor(a)?,
            },
            sev(severity, Severity::Red),
        ),
        ClauseKind::WarnAfter { limit, anchor: a } => (
            Check::WarnAfter {
                limit: limit.seconds,
                anchor: anchor(a)?,
            },
            Severity::Yellow,
        ),
        ClauseKind::Via { channels, severity } => (
            Check::Channel {
                allowed: channels.iter().map(|c| c.name.clone()).collect(),
            },
            sev(severity, Severity::Yellow),
        ),
        ClauseKind::Metric {
            metric,
            op,
            value,
            severity,
        } => (
            Check::Metric {
                metric: metric.name.clone(),
                op: (*op).into(),
                value: value.value,
            },
            sev(severity, Severity::Red),
        ),
        ClauseKind::AsksOnce { items, severity } => (
            Check::AsksOnce {
                items: items.iter().map(|i| i.name.clone()).collect(),
            },
            sev(severity, Severity::Yellow),
        ),
        ClauseKind::Attempts {
            op,
            value,
            severity,
        } => (
            Check::Attempts {
                op: (*op).into(),
                value: value.value,
            },
            sev(severity, Severity::Red),
        ),
        ClauseKind::Use { .. } => return None,
    };
    Some(Expectation {
        journey: journey_index,
        step,
        segments: segments.to_vec(),
        check,
        severity,
        source,
    })
}

/// The source of an expanded clause: in the file, the clause itself; from a set,
/// the `use SET` line in the file, with the set and module named.
pub(crate) fn clause_source(
    clause: &ExpandedClause<'_>,
    text: &str,
    lines: &crate::diagnostic::Lines<'_>,
) -> RuleSource {
    let module = clause.set.and_then(|s| match &s.origin {
        Origin::Module(m) => Some(m.clone()),
        Origin::File => None,
    });
    let clause_text = match &module {
        Some(m) => crate::stdlib::module(m)
            .and_then(|t| t.get(clause.clause.span.start..clause.clause.span.end)),
        None => text.get(clause.clause.span.start..clause.clause.span.end),
    };
    let span = clause.via.map_or(clause.clause.span, |v| v.span);
    RuleSource {
        span,
        file: lines.file(span.start),
        line: lines.line(span.start),
        text: clause_text.unwrap_or_default().to_string(),
        set: clause.set.map(|s| s.item.name.name.clone()),
        module,
    }
}

/// A customer-level escalation, or a step-level one over a rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Trigger {
    /// Fires for one customer's journey instance when `when` holds for it.
    Customer {
        /// The condition, compiled.
        #[serde(skip)]
        when: Cond,
    },
    /// Fires for a step when the share of its visits with a finding crosses a threshold.
    Rate {
        /// The journey.
        journey: usize,
        /// The step counted, or `None` for every step of the journey.
        step: Option<StepId>,
        /// `true` for `off_path(...)`, `false` for `broken(...)`.
        off_path: bool,
        /// The comparison.
        op: CmpOp,
        /// Threshold in percent.
        threshold: f64,
        /// Window in seconds.
        window: u64,
    },
}

/// One tier of an escalation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierRule {
    /// Who is notified.
    pub recipient: String,
    /// Severity of the notification, if set (else the triggering finding's).
    pub severity: Option<Severity>,
    /// How fast the recipient must respond, in seconds.
    pub within: Option<u64>,
    /// Seconds after the previous tier (0 for the first tier).
    pub after: u64,
    /// The tier is cancelled when this holds by the time it is due (compiled).
    #[serde(skip)]
    pub unless: Option<Cond>,
}

/// An escalation rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationRule {
    /// Its name.
    pub name: String,
    /// When it fires.
    pub trigger: Trigger,
    /// Its tiers, first first.
    pub tiers: Vec<TierRule>,
    /// The journeys its condition names (`off_path(claim)`), by index; empty means all.
    pub journeys: Vec<usize>,
    /// Where it is written.
    pub source: RuleSource,
}

/// Compile a tier.
pub(crate) fn tier(tier: &Tier, conditions: &mut Resolver<'_>) -> TierRule {
    TierRule {
        recipient: tier.recipient.value.clone(),
        severity: tier.severity.map(|s| s.value.into()),
        within: tier.within.map(|d| d.seconds),
        after: tier.after.map_or(0, |d| d.seconds),
        unless: tier.unless.as_ref().map(|u| conditions.compile(u)),
    }
}

/// The journeys an escalation condition names, through `off_path(j)`, `broken(j.s)`.
pub(crate) fn named_journeys(expr: &Expr, journeys: &[CompiledJourney], out: &mut Vec<usize>) {
    match &expr.kind {
        ExprKind::Call { func, args } if matches!(func.name.as_str(), "off_path" | "broken") => {
            if let Some(ExprKind::Path { parts, .. }) = args.first().map(|a| &a.kind) {
                if let Some(j) = parts
                    .first()
                    .and_then(|p| journeys.iter().position(|j| j.name == p.name))
                {
                    if !out.contains(&j) {
                        out.push(j);
                    }
                }
            }
        }
        ExprKind::Not { inner } => named_journeys(inner, journeys, out),
        ExprKind::Logic { lhs, rhs, .. } => {
            named_journeys(lhs, journeys, out);
            named_journeys(rhs, journeys, out);
        }
        ExprKind::Rate { condition, .. } => named_journeys(condition, journeys, out),
        _ => {}
    }
}

/// The trigger of an escalation: a rate when its whole `when` is one.
pub(crate) fn trigger(when: &Expr, conditions: &mut Resolver<'_>) -> Trigger {
    let journeys = conditions.journeys;
    let ExprKind::Rate {
        condition,
        op,
        threshold,
        window,
    } = &when.kind
    else {
        return Trigger::Customer {
            when: conditions.compile(when),
        };
    };
    let (off_path, journey, step) = match &condition.kind {
        ExprKind::Call { func, args } => {
            let parts = match args.first().map(|a| &a.kind) {
                Some(ExprKind::Path { parts, .. }) => parts.as_slice(),
                _ => &[],
            };
            let journey = parts
                .first()
                .and_then(|p| journeys.iter().position(|j| j.name == p.name));
            let step =
                journey.and_then(|j| parts.get(1).and_then(|s| journeys[j].step_id(&s.name)));
            (func.name == "off_path", journey, step)
        }
        _ => (false, None, None),
    };
    match journey {
        Some(journey) => Trigger::Rate {
            journey,
            step,
            off_path,
            op: (*op).into(),
            threshold: threshold.value,
            window: window.seconds,
        },
        None => Trigger::Customer {
            when: conditions.compile(when),
        },
    }
}

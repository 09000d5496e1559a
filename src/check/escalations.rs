//! Checks of segments and escalations: each needs a `when` (E0212) that is a
//! true/false condition (see `exprs`); an escalation must notify someone (E0406).

use super::exprs::Context;
use super::{Cx, Origin};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Escalation, Segment};

/// Check every segment and escalation declared in the file, in source order (so the
/// first use of an attribute is the first one written).
pub(super) fn check_all(cx: &mut Cx<'_>) {
    let scope = cx.scope;
    let mut segments: Vec<&Segment> = scope
        .segments
        .values()
        .filter(|s| s.origin == Origin::File)
        .map(|s| &s.item)
        .collect();
    segments.sort_by_key(|s| s.span.start);
    for segment in segments {
        check_segment(cx, segment);
    }
    for escalation in scope.escalations.values() {
        if escalation.origin == Origin::File {
            check_escalation(cx, &escalation.item);
        }
    }
}

fn check_segment(cx: &mut Cx<'_>, segment: &Segment) {
    match &segment.when {
        Some(when) => cx.check_condition(when, Context::Segment, "`when`"),
        None => cx.report(
            Diagnostic::new(Code::MissingClause, format!("segment `{}` has no `when`", segment.name.name))
                .with_label(segment.name.span, "this segment needs a `when`")
                .with_help("add `when CONDITION` saying which customers are in it, as in `when tier == \"gold\"`"),
        ),
    }
}

fn check_escalation(cx: &mut Cx<'_>, e: &Escalation) {
    let name = &e.name.name;
    match &e.when {
        Some(when) => cx.check_condition(when, Context::Escalation, "`when`"),
        None => cx.report(
            Diagnostic::new(
                Code::MissingClause,
                format!("escalation `{name}` has no `when`"),
            )
            .with_label(e.name.span, "this escalation needs a `when`")
            .with_help("add `when CONDITION` saying when it fires, as in `when off_path(claim)`"),
        ),
    }
    if e.tiers.is_empty() {
        cx.report(
            Diagnostic::new(
                Code::NoRecipient,
                format!("escalation `{name}` notifies nobody"),
            )
            .with_label(e.name.span, "no `notify`")
            .with_help("add `notify \"Team name\"` saying who is told when it fires"),
        );
    }
    for tier in &e.tiers {
        if tier.recipient.value.trim().is_empty() {
            cx.report(
                Diagnostic::new(
                    Code::NoRecipient,
                    format!("escalation `{name}` notifies an empty name"),
                )
                .with_label(tier.recipient.span, "nobody is named here")
                .with_help(
                    "name the person or team to notify, as in `notify \"Claims concierge\"`",
                ),
            );
        }
        if let Some(unless) = &tier.unless {
            cx.check_condition(unless, Context::Escalation, "`unless`");
        }
    }
}

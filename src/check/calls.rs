//! The functions conditions may call, `off_path(journey)`, `broken(journey.step)`,
//! `segment(segment)` and `reached(step)`, and `rate ... over`: unknown functions
//! (E0208), arguments of the wrong number or kind (E0303), and the names inside them.

use super::exprs::Context;
use super::names::{has_step, unknown_step};
use super::types::Type;
use super::Cx;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::syntax::{Duration, Expr, ExprKind, Ident, Percent, Span};

/// The functions conditions may call, with what each takes.
const FUNCTIONS: [(&str, &str); 4] = [
    ("off_path", "a journey"),
    ("broken", "a step, as `journey.step` or `journey.*`"),
    ("segment", "a segment"),
    ("reached", "a step"),
];

impl Cx<'_> {
    /// Check a call; its type is true/false (unknown when the function is).
    pub(super) fn check_call(&mut self, func: &Ident, args: &[Expr], ctx: Context) -> Type {
        let Some((name, takes)) = FUNCTIONS.iter().find(|(f, _)| *f == func.name) else {
            self.report(unknown_function(func));
            return Type::Unknown;
        };
        if ctx == Context::Segment {
            self.report(not_in_segments(name, func));
            return Type::Bool;
        }
        let [arg] = args else {
            self.report(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{name}` takes one argument, not {}", args.len()),
                )
                .with_label(func.span, format!("called with {} arguments", args.len()))
                .with_help(format!("`{name}` takes {takes}")),
            );
            return Type::Bool;
        };
        let ExprKind::Path { parts, star } = &arg.kind else {
            let ty = self.infer(arg, ctx).describe();
            self.report(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{name}` takes {takes}, but this is {ty}"),
                )
                .with_label(arg.span, format!("this is {ty}"))
                .with_help(call_help(name)),
            );
            return Type::Bool;
        };
        self.check_path_arg(name, takes, parts, *star, arg.span);
        Type::Bool
    }

    /// The one argument of a call, a name or dotted name, by function.
    fn check_path_arg(
        &mut self,
        name: &str,
        takes: &str,
        parts: &[Ident],
        star: Option<Span>,
        span: Span,
    ) {
        match (name, parts, star) {
            ("off_path", [journey], None) => self.journey_arg(name, journey),
            ("broken", [journey], Some(_)) => {
                self.resolve_journey(journey);
            }
            ("broken" | "reached", [journey, step], None) => self.step_arg(journey, step),
            ("broken", [step], None) => self.bare_broken(step, span),
            ("segment", [segment], None) => self.segment_arg(segment),
            ("reached", [step], None) => self.reached_arg(step),
            _ => self.report(
                Diagnostic::new(Code::BadArgument, format!("`{name}` takes {takes}"))
                    .with_label(span, format!("not {takes}"))
                    .with_help(call_help(name)),
            ),
        }
    }

    /// What a bare name is, when it is something other than what was asked for.
    fn kind_of(&self, name: &str) -> Option<&'static str> {
        let s = self.scope;
        if s.journeys.contains_key(name) {
            Some("a journey")
        } else if s.segments.contains_key(name) {
            Some("a segment")
        } else if s.escalations.contains_key(name) {
            Some("an escalation")
        } else if s.metrics.contains_key(name) {
            Some("a metric")
        } else if self.steps.binary_search(&name).is_ok() {
            Some("a step")
        } else {
            None
        }
    }

    fn wrong_kind(&mut self, func: &str, wanted: &str, arg: &Ident, is: &str) {
        self.report(
            Diagnostic::new(
                Code::BadArgument,
                format!("`{func}` takes {wanted}, but `{}` is {is}", arg.name),
            )
            .with_label(arg.span, format!("{is}, not {wanted}"))
            .with_help(call_help(func)),
        );
    }

    fn journey_arg(&mut self, func: &str, journey: &Ident) {
        match self.kind_of(&journey.name) {
            Some("a journey") => {}
            Some(other) => self.wrong_kind(func, "a journey", journey, other),
            None => {
                self.resolve_journey(journey);
            }
        }
    }

    fn step_arg(&mut self, journey: &Ident, step: &Ident) {
        let scope = self.scope;
        match scope.journeys.get(&journey.name) {
            Some(j) if !has_step(&j.item, &step.name) => self.report(unknown_step(&j.item, step)),
            Some(_) => {}
            None => {
                self.resolve_journey(journey);
            }
        }
    }

    /// `broken(x)`: a journey without a step, or a step without its journey.
    fn bare_broken(&mut self, name: &Ident, span: Span) {
        let scope = self.scope;
        let owner = scope
            .journeys
            .values()
            .find(|j| has_step(&j.item, &name.name))
            .map(|j| j.item.name.name.clone());
        let help = match (self.kind_of(&name.name), owner) {
            (Some("a journey"), _) => format!(
                "write `broken({0}.STEP)` for one step, or `broken({0}.*)` for any step of `{0}`",
                name.name
            ),
            (_, Some(journey)) => format!("write `broken({journey}.{})`", name.name),
            _ => call_help("broken"),
        };
        self.report(
            Diagnostic::new(Code::BadArgument, "`broken` needs a step of a journey")
                .with_label(span, "no step named")
                .with_help(help),
        );
    }

    fn segment_arg(&mut self, segment: &Ident) {
        match self.kind_of(&segment.name) {
            Some(other)
                if other != "a segment" && !self.scope.segments.contains_key(&segment.name) =>
            {
                self.wrong_kind("segment", "a segment", segment, other)
            }
            _ => {
                self.resolve_segment(segment);
            }
        }
    }

    fn reached_arg(&mut self, step: &Ident) {
        match self.kind_of(&step.name) {
            Some(other) if self.steps.binary_search(&step.name.as_str()).is_err() => {
                self.wrong_kind("reached", "a step", step, other)
            }
            _ => self.resolve_any_step(step),
        }
    }

    /// `COND rate OP P% over D`.
    pub(super) fn check_rate(
        &mut self,
        condition: &Expr,
        threshold: &Percent,
        window: &Duration,
        ctx: Context,
    ) {
        self.infer(condition, ctx);
        if !matches!(condition.kind, ExprKind::Call { .. }) {
            self.report(
                Diagnostic::new(
                    Code::BadArgument,
                    "`rate` counts how often a call such as `broken(...)` holds",
                )
                .with_label(condition.span, "not a call")
                .with_help("write for example `broken(claim.acknowledge) rate > 10% over 1d`"),
            );
        }
        self.check_percent(threshold.value, threshold.span);
        if window.seconds == 0 {
            self.report(
                Diagnostic::new(Code::OutOfRange, "the window of `rate` is empty")
                    .with_label(window.span, "zero length")
                    .with_help("count over a window of some length, as in `over 1d`"),
            );
        }
    }
}

fn call_help(func: &str) -> String {
    match func {
        "off_path" => {
            "write `off_path(claim)` with a journey; to test one step, use `broken(claim.STEP)`"
        }
        "broken" => {
            "write `broken(claim.acknowledge)` for one step, or `broken(claim.*)` for any step"
        }
        "segment" => "write `segment(gold)` with a segment declared by `segment gold { ... }`",
        _ => "write `reached(settled)` with a step, or `reached(claim.settled)`",
    }
    .to_string()
}

/// E0208: a function that does not exist.
fn unknown_function(func: &Ident) -> Diagnostic {
    let help = did_you_mean(&func.name, FUNCTIONS.iter().map(|(f, _)| *f)).unwrap_or_else(|| {
        "the functions are `off_path(journey)`, `broken(journey.step)`, `segment(segment)` \
         and `reached(step)`"
            .to_string()
    });
    Diagnostic::new(
        Code::UnknownFunction,
        format!("unknown function `{}`", func.name),
    )
    .with_label(func.span, "no function has this name")
    .with_help(help)
}

/// E0208: a journey function in a segment condition.
fn not_in_segments(name: &str, func: &Ident) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownFunction,
        format!("function `{name}` cannot be used in a segment condition"),
    )
    .with_label(func.span, "not allowed in a segment")
    .with_help(
        "a customer's segments are decided from their attributes when a journey starts; \
         test journeys and steps in an escalation's `when` instead",
    )
}

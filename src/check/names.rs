//! Resolving names against the [`Scope`]: the lookups every check shares, and the
//! "unknown name" and "declared twice" diagnostics with their did-you-mean help.

use super::{Cx, Declared, Origin, Scope};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::syntax::{Ident, Journey, Span, Target};

/// "did you mean `x`?" when a candidate is close, otherwise `otherwise()`.
pub(super) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    did_you_mean(name, candidates).unwrap_or_else(otherwise)
}

/// `` `a`, `b`, `c` `` (at most `max` names, then "…").
pub(super) fn list<'a>(names: impl IntoIterator<Item = &'a str>, max: usize) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut out = names
        .iter()
        .take(max)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        out.push_str(", ...");
    }
    out
}

/// E0207: `name` is declared again; `first` is where it was first declared.
pub(super) fn duplicate(kind: &str, name: &Ident, first: Span, within: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateName,
        format!("{kind} `{}` is already declared{within}", name.name),
    )
    .with_label(name.span, "declared again here")
    .with_secondary(first, "first declared here")
    .with_help(format!(
        "give each {kind} its own name, or merge the two into one"
    ))
}

/// E0203: `journey` has no step `step`.
pub(super) fn unknown_step(journey: &Journey, step: &Ident) -> Diagnostic {
    let j = &journey.name.name;
    let steps = || journey.steps().map(|(_, s)| s.name.name.as_str());
    let help = suggest(&step.name, steps(), || {
        if steps().next().is_none() {
            format!("journey `{j}` declares no steps")
        } else {
            format!("the steps of `{j}` are {}", list(steps(), 8))
        }
    });
    Diagnostic::new(
        Code::UnknownStep,
        format!("journey `{j}` has no step `{}`", step.name),
    )
    .with_label(step.span, format!("not a step of `{j}`"))
    .with_help(help)
}

/// True when `journey` declares a step called `name`.
pub(super) fn has_step(journey: &Journey, name: &str) -> bool {
    journey.steps().any(|(_, s)| s.name.name == name)
}

/// The step names of every journey in scope, sorted and without repeats.
pub(super) fn all_steps(scope: &Scope) -> Vec<&str> {
    let mut steps: Vec<&str> = scope
        .journeys
        .values()
        .flat_map(|j| j.item.steps().map(|(_, s)| s.name.name.as_str()))
        .collect();
    steps.sort_unstable();
    steps.dedup();
    steps
}

/// The modules' metric names that are close to `name`, with their module, for help text.
fn metric_in_modules(name: &str) -> Option<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for module in crate::stdlib::module_names() {
        let Some(text) = crate::stdlib::module(module) else {
            continue;
        };
        for decl in crate::syntax::parse(text).file.decls {
            if let crate::syntax::Decl::Metric(m) = decl {
                found.push((m.name.name, (*module).to_string()));
            }
        }
    }
    if let Some((metric, module)) = found.iter().find(|(m, _)| m == name) {
        return Some((metric.clone(), module.clone()));
    }
    let hint = did_you_mean(name, found.iter().map(|(m, _)| m.as_str()))?;
    found
        .into_iter()
        .find(|(m, _)| hint.contains(&format!("`{m}`")))
}

impl<'a> Cx<'a> {
    /// Resolve a segment name, marking it used; E0201 when it is not declared.
    pub(super) fn resolve_segment(&mut self, ident: &Ident) -> bool {
        self.used_segments.insert(ident.name.clone());
        let segments = &self.scope.segments;
        if segments.contains_key(&ident.name) {
            return true;
        }
        if self.scope.broken.declares(&ident.name) {
            return false;
        }
        let hint = did_you_mean(&ident.name, segments.keys().map(String::as_str));
        if let Some(meant) = hint
            .as_ref()
            .and_then(|h| segments.keys().find(|s| h.contains(&format!("`{s}`"))))
        {
            // The segment meant is used, misspelt: no "never used" on top of this error.
            self.used_segments.insert(meant.clone());
        }
        let help = hint.unwrap_or_else(|| {
            format!(
                "declare it with `segment {} {{ when ... }}`, saying which customers are in it",
                ident.name
            )
        });
        self.report(
            Diagnostic::new(
                Code::UnknownSegment,
                format!("unknown segment `{}`", ident.name),
            )
            .with_label(ident.span, "no segment has this name")
            .with_help(help),
        );
        false
    }

    /// Resolve a journey name; E0202 when it is not declared.
    pub(super) fn resolve_journey(&mut self, ident: &Ident) -> Option<&'a Declared<Journey>> {
        let scope = self.scope;
        if let Some(journey) = scope.journeys.get(&ident.name) {
            return Some(journey);
        }
        if scope.broken.declares(&ident.name) {
            return None;
        }
        let help = suggest(
            &ident.name,
            scope.journeys.keys().map(String::as_str),
            || {
                if scope.journeys.is_empty() {
                    "this file declares no journeys".to_string()
                } else {
                    format!(
                        "the journeys are {}",
                        list(scope.journeys.keys().map(String::as_str), 8)
                    )
                }
            },
        );
        self.report(
            Diagnostic::new(
                Code::UnknownJourney,
                format!("unknown journey `{}`", ident.name),
            )
            .with_label(ident.span, "no journey has this name")
            .with_help(help),
        );
        None
    }

    /// Resolve `journey.step` or `journey.*`: E0202 or E0203 when a part is unknown.
    /// Returns the journey when it is known (even if the step is not).
    pub(super) fn resolve_target(&mut self, target: &Target) -> Option<&'a Journey> {
        let scope = self.scope;
        let journey = &scope.journeys.get(&target.journey.name)?.item;
        if let Some(step) = &target.step {
            if !has_step(journey, &step.name) {
                self.report(unknown_step(journey, step));
            }
        }
        Some(journey)
    }

    /// Like [`Cx::resolve_target`], and also E0202 when the journey is unknown.
    pub(super) fn resolve_target_or_report(&mut self, target: &Target) -> Option<&'a Journey> {
        let scope = self.scope;
        if !scope.journeys.contains_key(&target.journey.name) {
            self.resolve_journey(&target.journey);
            return None;
        }
        self.resolve_target(target)
    }

    /// Resolve a step name written on its own (`reached(settled)`, a test event):
    /// E0203 when no journey in scope has it.
    pub(super) fn resolve_any_step(&mut self, ident: &Ident) {
        let steps = &self.steps;
        if steps.binary_search(&ident.name.as_str()).is_ok()
            || self.scope.broken.declares(&ident.name)
        {
            return;
        }
        let help = suggest(&ident.name, steps.iter().copied(), || {
            "declare it as a `step` of a journey, or name it `journey.step`".to_string()
        });
        self.report(
            Diagnostic::new(
                Code::UnknownStep,
                format!("no journey has a step `{}`", ident.name),
            )
            .with_label(ident.span, "not a step of any journey")
            .with_help(help),
        );
    }

    /// Resolve a metric name; E0206 when it is not declared.
    pub(super) fn resolve_metric(
        &mut self,
        ident: &Ident,
    ) -> Option<&'a Declared<crate::syntax::Metric>> {
        let scope = self.scope;
        if let Some(metric) = scope.metrics.get(&ident.name) {
            return Some(metric);
        }
        if scope.broken.declares(&ident.name) {
            return None;
        }
        let name = &ident.name;
        let help = match did_you_mean(name, scope.metrics.keys().map(String::as_str)) {
            Some(hint) => hint,
            None => match metric_in_modules(name) {
                Some((m, module)) if &m == name => {
                    format!("`{m}` is declared in `{module}`: add `use {module}` at the top of the file")
                }
                Some((m, module)) => {
                    format!("did you mean `{m}`? it is declared in `{module}`: add `use {module}`")
                }
                None => format!(
                    "declare it, e.g. `metric {name} {{ range 1..5; higher is better }}`, or \
                     `use std/cx` for the standard CX metrics"
                ),
            },
        };
        self.report(
            Diagnostic::new(Code::UnknownMetric, format!("unknown metric `{name}`"))
                .with_label(ident.span, "no metric has this name")
                .with_help(help),
        );
        None
    }

    /// Resolve an expectation set name; E0204 when it is not declared.
    pub(super) fn resolve_set(&mut self, ident: &Ident) -> bool {
        let scope = self.scope;
        if scope.expectation_sets.contains_key(&ident.name) {
            return true;
        }
        if scope.broken.declares(&ident.name) {
            return false;
        }
        let help = suggest(
            &ident.name,
            scope.expectation_sets.keys().map(String::as_str),
            || {
                "declare it with `expectations NAME { ... }`, or `use std/cx` for the standard \
             sets (`frictionless`, `responsive`, `resolved_first_time`, `delighted`)"
                    .to_string()
            },
        );
        self.report(
            Diagnostic::new(
                Code::UnknownExpectationSet,
                format!("unknown expectation set `{}`", ident.name),
            )
            .with_label(ident.span, "no expectation set has this name")
            .with_help(help),
        );
        false
    }
}

/// Add a secondary label at `span` only when `origin` is the checked file (a
/// module's spans point into another text).
pub(super) fn secondary_if_file(
    d: Diagnostic,
    origin: &Origin,
    span: Span,
    msg: &str,
) -> Diagnostic {
    if *origin == Origin::File {
        d.with_secondary(span, msg)
    } else {
        d
    }
}

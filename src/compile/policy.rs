//! [`Policy`]: a whole policy file checked and compiled, the one value the
//! test runner, the simulator and the renderers take; the evaluator takes its
//! [`Program`]. `Policy::compile` runs the whole front end: parse, check,
//! compile the journeys and rules, run the graph lints, apply the policy's
//! `# cxl: allow(...)` suppressions.

use super::condition::Resolver;
use super::journey::{compile_journey, CompiledJourney};
use super::lints::{lint_expect_expanded, lint_journey};
use super::program::{MetricInfo, Parts, Program};
use super::rules::{self, EscalationRule, Expectation};
use super::sources;
use super::suppress;
use super::Severity;
use crate::check::{self, Checked, Origin};
use crate::diagnostic::{self, Diagnostic, Sources};
use crate::events::Interner;
use crate::syntax::{Expr, TestCase};
use std::sync::Arc;

/// A segment as written: who a customer is, decided from their attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRule {
    /// Its name.
    pub name: String,
    /// Its membership condition.
    pub when: Option<Expr>,
}

/// A checked and compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// What the evaluator runs: journeys, rules and vocabulary, compiled.
    pub program: Arc<Program>,
    /// Segments, in name order (as [`Program::segments`]), with their
    /// conditions as written, for the simulator.
    pub segments: Vec<SegmentRule>,
    /// The file's inline tests, in source order.
    pub tests: Vec<TestCase>,
    /// Warnings found on the way (errors stop compilation).
    pub warnings: Vec<Diagnostic>,
    /// The file's `source` settings: defaults for reading its logs.
    pub source: SourceSettings,
    /// The policy's files and their text: what its spans point into.
    pub sources: Arc<Sources>,
}

/// A policy's `source` settings, each `None` when not given. The command line's
/// input flags override them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSettings {
    /// `format "csv"`.
    pub format: Option<String>,
    /// Field mapping as `field=column` pairs (`step` columns joined with `+`).
    pub fields: Vec<(String, String)>,
    /// `timezone "+01:00"`.
    pub timezone: Option<String>,
    /// `classifier "Activity classifier"`.
    pub classifier: Option<String>,
    /// `lifecycle "all"` (true) or `"complete"` (false).
    pub all_lifecycle: Option<bool>,
    /// `delimiter ";"`.
    pub delimiter: Option<char>,
}

impl SourceSettings {
    fn from_ast(source: &crate::syntax::Source) -> Self {
        let mut settings = SourceSettings::default();
        for s in &source.settings {
            let values: Vec<String> = s.values.iter().map(|v| v.value.clone()).collect();
            let first = values.first().cloned().unwrap_or_default();
            match s.key.name.as_str() {
                "format" => settings.format = Some(first),
                "timezone" => settings.timezone = Some(first),
                "classifier" => settings.classifier = Some(first),
                "lifecycle" => settings.all_lifecycle = Some(first == "all"),
                "delimiter" => settings.delimiter = first.chars().next(),
                field => settings.fields.push((field.to_string(), values.join("+"))),
            }
        }
        settings
    }
}

impl Policy {
    /// Compile a policy's text. On success the policy carries any warnings; on
    /// failure every diagnostic (errors and warnings), sorted by position.
    pub fn compile(text: &str) -> Result<Policy, Vec<Diagnostic>> {
        Policy::compile_loaded(&crate::load::Loaded::single("", text))
    }

    /// Compile a policy made of the files [`crate::load`] read (`use
    /// "segments.cxl"`): spans point into [`Loaded::sources`](crate::load::Loaded),
    /// which says in which file.
    pub fn compile_loaded(loaded: &crate::load::Loaded) -> Result<Policy, Vec<Diagnostic>> {
        let parsed = &loaded.parsed;
        let text = loaded.sources.text();
        let checked = check::check(&parsed.file);
        let mut diagnostics = parsed.diagnostics.clone();
        diagnostics.extend(checked.diagnostics.iter().cloned());
        let journeys = compile_journeys(&checked, &mut diagnostics);
        // Suppressions before anything sees the diagnostics: `check`, `test`,
        // `eval` and the language server alike.
        let diagnostics = suppress::apply(diagnostics, &parsed.comments, &parsed.file, text);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(diagnostics);
        }
        Ok(build(&checked, journeys, &loaded.sources, diagnostics))
    }
}

/// Every diagnostic of a policy's text: syntax, names, types, graph lints.
pub fn diagnostics(text: &str) -> Vec<Diagnostic> {
    loaded_diagnostics(&crate::load::Loaded::single("", text))
}

/// Every diagnostic of a policy made of several files, with the problems of
/// reading them (E0215, E0216).
pub fn loaded_diagnostics(loaded: &crate::load::Loaded) -> Vec<Diagnostic> {
    match Policy::compile_loaded(loaded) {
        Ok(policy) => policy.warnings,
        Err(diagnostics) => diagnostics,
    }
}

/// Compile each journey and lint it and its expectations; user declarations only
/// are linted (standard modules are checked by their own tests).
fn compile_journeys(checked: &Checked, diagnostics: &mut Vec<Diagnostic>) -> Vec<CompiledJourney> {
    let mut journeys = Vec::new();
    for declared in checked.scope.journeys.values() {
        match compile_journey(&declared.item) {
            Ok(compiled) => {
                if declared.origin == Origin::File {
                    diagnostics.extend(lint_journey(&declared.item, &compiled));
                }
                journeys.push(compiled);
            }
            Err(errors) => {
                // The checker already reports unknown steps (with suggestions).
                diagnostics.extend(
                    errors
                        .into_iter()
                        .filter(|d| d.code != crate::Code::UnknownStep),
                );
            }
        }
    }
    for expect in &checked.scope.expects {
        let journey = journeys
            .iter()
            .find(|j| j.name == expect.item.target.journey.name);
        if let (Some(journey), Origin::File) = (journey, &expect.origin) {
            let clauses = checked.scope.expand(&expect.item.clauses);
            diagnostics.extend(lint_expect_expanded(&expect.item, &clauses, journey));
        }
    }
    journeys
}

fn build(
    checked: &Checked,
    journeys: Vec<CompiledJourney>,
    sources: &Sources,
    warnings: Vec<Diagnostic>,
) -> Policy {
    let scope = &checked.scope;
    let text = sources.text();
    let lines = diagnostic::Lines::new(sources);
    let expectations = expectations(checked, &journeys, text, &lines);
    let segments: Vec<SegmentRule> = scope
        .segments
        .values()
        .map(|s| SegmentRule {
            name: s.item.name.name.clone(),
            when: s.item.when.clone(),
        })
        .collect();
    let segment_names: Vec<String> = segments.iter().map(|s| s.name.clone()).collect();
    let mut vocabulary = Interner::new();
    let mut conditions = Resolver {
        journeys: &journeys,
        segments: &segment_names,
        names: &mut vocabulary,
        attrs: Vec::new(),
    };
    let segment_when = segments
        .iter()
        .map(|s| s.when.as_ref().map(|w| conditions.compile(w)))
        .collect();
    let escalations = escalations(checked, text, &lines, &mut conditions);
    let condition_attrs = std::mem::take(&mut conditions.attrs);
    let program = Program::new(Parts {
        segments: segment_names,
        segment_when,
        expectations,
        escalations,
        metrics: scope
            .metrics
            .iter()
            .map(|(name, m)| {
                let info = MetricInfo {
                    better: m.item.better.map(|b| b.value.into()),
                    range: m.item.range.map(|(lo, hi)| (lo.value, hi.value)),
                };
                (name.clone(), info)
            })
            .collect(),
        journey_rules: journeys
            .iter()
            .map(|j| sources::journey_rules(checked, &j.name, text, &lines))
            .collect(),
        journeys,
        vocabulary,
        condition_attrs,
    });
    Policy {
        program: Arc::new(program),
        segments,
        tests: scope
            .tests
            .iter()
            .filter(|t| t.origin == Origin::File)
            .map(|t| t.item.clone())
            .collect(),
        source: scope
            .sources
            .iter()
            .find(|s| s.origin == Origin::File)
            .map(|s| SourceSettings::from_ast(&s.item))
            .unwrap_or_default(),
        warnings,
        sources: Arc::new(sources.clone()),
    }
}

/// Every expectation: step-level `via` channels first, then `expect` blocks
/// in source order.
fn expectations(
    checked: &Checked,
    journeys: &[CompiledJourney],
    text: &str,
    lines: &diagnostic::Lines<'_>,
) -> Vec<Expectation> {
    let scope = &checked.scope;
    let mut expectations = step_channel_expectations(journeys, lines);
    for expect in &scope.expects {
        let Some(j) = journeys
            .iter()
            .position(|j| j.name == expect.item.target.journey.name)
        else {
            continue;
        };
        let journey = &journeys[j];
        let step = match &expect.item.target.step {
            Some(s) => match journey.step_id(&s.name) {
                Some(id) => Some(id),
                None => continue,
            },
            None => None,
        };
        let segments: Vec<String> = expect
            .item
            .segments
            .iter()
            .map(|s| s.name.clone())
            .collect();
        for clause in scope.expand(&expect.item.clauses) {
            let source = rules::clause_source(&clause, text, lines);
            expectations.extend(rules::expectation(
                j, journey, step, &segments, &clause, source,
            ));
        }
    }
    expectations
}

/// Every escalation with a `when`, in name order, its conditions compiled.
fn escalations(
    checked: &Checked,
    text: &str,
    lines: &diagnostic::Lines<'_>,
    conditions: &mut Resolver<'_>,
) -> Vec<EscalationRule> {
    let mut out = Vec::new();
    for declared in checked.scope.escalations.values() {
        let e = &declared.item;
        let Some(when) = e.when.as_ref() else {
            continue;
        };
        let mut named = Vec::new();
        rules::named_journeys(when, conditions.journeys, &mut named);
        named.sort_unstable();
        out.push(EscalationRule {
            name: e.name.name.clone(),
            trigger: rules::trigger(when, conditions),
            tiers: e.tiers.iter().map(|t| rules::tier(t, conditions)).collect(),
            journeys: named,
            source: rules::RuleSource {
                span: when.span,
                file: lines.file(when.span.start),
                line: lines.line(when.span.start),
                text: text
                    .get(when.span.start..when.span.end)
                    .unwrap_or_default()
                    .to_string(),
                set: None,
                module: None,
            },
        });
    }
    out
}

/// A step's own `via` is an expectation too: a wrong channel there is yellow.
fn step_channel_expectations(
    journeys: &[CompiledJourney],
    lines: &diagnostic::Lines<'_>,
) -> Vec<Expectation> {
    let mut out = Vec::new();
    for (j, journey) in journeys.iter().enumerate() {
        for (i, step) in journey.steps.iter().enumerate() {
            if step.channels.is_empty() {
                continue;
            }
            out.push(Expectation {
                journey: j,
                step: Some(super::StepId(i as u32)),
                segments: Vec::new(),
                check: rules::Check::Channel {
                    allowed: step.channels.clone(),
                },
                severity: Severity::Yellow,
                source: rules::RuleSource {
                    span: step.span,
                    file: lines.file(step.span.start),
                    line: lines.line(step.span.start),
                    text: format!("step {} {{ via {} }}", step.name, step.channels.join(", ")),
                    set: None,
                    module: None,
                },
            });
        }
    }
    out
}

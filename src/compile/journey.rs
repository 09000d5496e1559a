//! [`CompiledJourney`]: one `journey` declaration made ready for evaluation and
//! simulation: its step table (names interned to [`StepId`]s in declaration
//! order), its stages, its goal, its abandonment timeout and its [`JourneyGraph`].

use super::automaton::Fragment;
use super::graph::JourneyGraph;
use super::path::PathBuilder;
use super::StepId;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::Span;
use crate::syntax;
use serde::Serialize;
use std::collections::BTreeMap;

/// One step of a compiled journey: everything the evaluator and renderers need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepInfo {
    /// The step's name, as used in `path` and `expect`.
    pub name: String,
    /// Its display label, if given.
    pub label: Option<String>,
    /// Index of its stage in [`CompiledJourney::stages`], if it is in one.
    pub stage: Option<usize>,
    /// True when below the line of visibility.
    pub backstage: bool,
    /// The channels of its `via` properties, in source order.
    pub channels: Vec<String>,
    /// Who the customer meets there, if said.
    pub owner: Option<String>,
    /// The event names that mean this step: its `match` names, or else its own name.
    pub match_names: Vec<String>,
    /// How long the step takes, `(min, max)` in seconds, for simulation.
    pub takes: Option<(u64, u64)>,
    /// Where the step's name is declared.
    pub span: Span,
}

impl StepInfo {
    /// The label to show: the display label, or else the name.
    pub fn display(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// One stage of a compiled journey.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageInfo {
    /// The stage's name.
    pub name: String,
    /// Its display label, if given.
    pub label: Option<String>,
    /// Where the stage's name is declared.
    pub span: Span,
}

/// A journey compiled: step table, stages, goal and graph.
#[derive(Debug, Clone)]
pub struct CompiledJourney {
    /// The journey's name.
    pub name: String,
    /// Its display label, if given.
    pub label: Option<String>,
    /// The segments it is for (empty: every customer).
    pub segments: Vec<String>,
    /// The steps in declaration order; a [`StepId`] indexes this table.
    pub steps: Vec<StepInfo>,
    /// The stages in declaration order.
    pub stages: Vec<StageInfo>,
    /// The compiled path.
    pub graph: JourneyGraph,
    /// The goal step, if declared (and known).
    pub goal: Option<StepId>,
    /// No progress for this many seconds means the journey is abandoned.
    pub abandon_after: Option<u64>,
    /// Where the `path` expression is written, if there is one.
    pub path_span: Option<Span>,
    /// Where the journey's name is declared.
    pub span: Span,
    by_name: BTreeMap<String, StepId>,
}

impl CompiledJourney {
    /// The step called `name`, if the journey declares it.
    pub fn step_id(&self, name: &str) -> Option<StepId> {
        self.by_name.get(name).copied()
    }

    /// The table entry of `step`.
    pub fn step_info(&self, step: StepId) -> Option<&StepInfo> {
        self.steps.get(step.index())
    }

    /// The name of `step` (empty for an id outside the table).
    pub fn step_name(&self, step: StepId) -> &str {
        self.step_info(step).map_or("", |s| s.name.as_str())
    }
}

/// Compile one journey: intern its steps, build its graph from its `path`.
///
/// A journey without a `path` (the checker reports E0212) gets a graph with only
/// the start node, which accepts the empty journey. A step declared twice (the
/// checker reports E0207) keeps its first declaration. Errors: E0203 for a step
/// name in the path that the journey does not declare (the checker reports it
/// too, with suggestions), E0701 when the path expands past [`super::MAX_NODES`].
pub fn compile_journey(journey: &syntax::Journey) -> Result<CompiledJourney, Vec<Diagnostic>> {
    let stages: Vec<StageInfo> = journey
        .stages()
        .map(|s| StageInfo {
            name: s.name.name.clone(),
            label: s.label.as_ref().map(|l| l.value.clone()),
            span: s.name.span,
        })
        .collect();
    let mut steps = Vec::new();
    let mut by_name = BTreeMap::new();
    for (stage, step) in journey.steps() {
        if by_name.contains_key(&step.name.name) {
            continue;
        }
        // Step tables are far smaller than u32::MAX entries.
        by_name.insert(step.name.name.clone(), StepId(steps.len() as u32));
        let stage = stage.and_then(|st| journey.stages().position(|s| std::ptr::eq(s, st)));
        steps.push(step_info(step, stage));
    }
    let path = journey.path();
    let fragment = match path {
        Some(path) => PathBuilder::new(&journey.name.name, |id: &syntax::Ident| {
            by_name.get(&id.name).copied()
        })
        .build(path)?,
        None => Fragment::empty(),
    };
    let graph = JourneyGraph::from_fragment(&fragment, steps.len());
    Ok(CompiledJourney {
        name: journey.name.name.clone(),
        label: journey.label.as_ref().map(|l| l.value.clone()),
        segments: journey.segments().iter().map(|s| s.name.clone()).collect(),
        goal: journey.goal().and_then(|g| by_name.get(&g.name).copied()),
        abandon_after: journey.abandon_after().map(|d| d.seconds),
        path_span: path.map(|p| p.span),
        span: journey.name.span,
        steps,
        stages,
        graph,
        by_name,
    })
}

fn step_info(step: &syntax::Step, stage: Option<usize>) -> StepInfo {
    let mut match_names: Vec<String> = step.match_names().map(|t| t.value.clone()).collect();
    if match_names.is_empty() {
        match_names.push(step.name.name.clone());
    }
    StepInfo {
        name: step.name.name.clone(),
        label: step.label.as_ref().map(|l| l.value.clone()),
        stage,
        backstage: step.is_backstage(),
        channels: step.channels().map(|c| c.name.clone()).collect(),
        owner: step.owner().map(|o| o.value.clone()),
        match_names,
        takes: step.takes().map(|(min, max)| (min.seconds, max.seconds)),
        span: step.name.span,
    }
}

//! Stage `map`: the journey map a CX architect draws, computed from a compiled
//! journey: one node per declared step (a repeat or `&` in the path never
//! duplicates a step), laid out left to right by stage, frontstage above and
//! backstage below the line of visibility, with the ideal path's transitions
//! collapsed from the compiled graph to steps.
//!
//! It sits after `compile` and `eval`: it reads a [`CompiledJourney`] and, for
//! health, an evaluation's [`Report`](crate::eval::Report) with what
//! [`Flow`] saw customers actually do. It never sees the syntax.
//!
//! The layout is computed here, deterministically (a layered layout with the
//! stages as ranks; see [`layout`]), so a rendering is byte-stable:
//! [`render_svg`] draws it as one SVG whose step groups carry `data-step` and,
//! with health, `data-health`.

mod flow;
mod health;
pub mod layout;
mod svg;
mod text;

pub use flow::{Flow, JourneyFlow};
pub use health::{JourneyHealth, StepHealth};
pub use svg::{escape, render_svg, render_svgs};
pub use text::{render_steps_dot, render_steps_mermaid};

use crate::compile::{CompiledJourney, StepId};
use std::collections::BTreeSet;

/// A transition between two steps of the map: `from` is `None` for the start.
pub type Transition = (Option<StepId>, StepId);

/// A journey's map: its steps placed, and the ideal path's transitions.
#[derive(Debug, Clone)]
pub struct JourneyMap<'j> {
    /// The journey drawn.
    pub journey: &'j CompiledJourney,
    /// Where each step is drawn, indexed by [`StepId`].
    pub places: Vec<layout::Place>,
    /// The transitions the path allows, collapsed to steps, sorted.
    pub edges: BTreeSet<Transition>,
    /// The number of columns.
    pub columns: usize,
    /// The most frontstage steps in one column.
    pub front_rows: usize,
    /// The most backstage steps in one column.
    pub back_rows: usize,
    /// Steps at which the journey may end (an accepting node is theirs).
    pub ends: Vec<bool>,
}

impl<'j> JourneyMap<'j> {
    /// The map of a compiled journey.
    pub fn new(journey: &'j CompiledJourney) -> JourneyMap<'j> {
        let edges = step_edges(journey);
        let layout = layout::layout(journey, &edges);
        let g = &journey.graph;
        let mut ends = vec![false; journey.steps.len()];
        for node in g.graph().node_indices() {
            if let Some(step) = g.step(node) {
                if g.is_accepting(node) {
                    if let Some(end) = ends.get_mut(step.index()) {
                        *end = true;
                    }
                }
            }
        }
        JourneyMap {
            journey,
            places: layout.places,
            edges,
            columns: layout.columns,
            front_rows: layout.front_rows,
            back_rows: layout.back_rows,
            ends,
        }
    }

    /// True when the path allows `to` right after `from` (`None`: first).
    pub fn allows(&self, transition: Transition) -> bool {
        self.edges.contains(&transition)
    }
}

/// The compiled graph's edges, each read as "from this step (or the start) to
/// that step": every occurrence of a step is that step.
fn step_edges(journey: &CompiledJourney) -> BTreeSet<Transition> {
    use petgraph::visit::EdgeRef;
    let g = &journey.graph;
    g.graph()
        .edge_references()
        .filter_map(|e| {
            let to = g.step(e.target())?;
            Some((g.step(e.source()), to))
        })
        .collect()
}

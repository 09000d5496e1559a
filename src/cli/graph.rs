//! `cxl graph POLICY [--journey J] --format dot|mermaid|json|map-svg [--view steps|automaton]`:
//! the journey map.

use super::common::{self, Stop, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use super::output;
use cxl::compile::{render_dot, render_json, render_mermaid, CompiledJourney};
use cxl::map::{render_steps_dot, render_steps_mermaid, render_svg, render_svgs, JourneyMap};

/// The graph formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz dot.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// The compiled automaton's nodes, edges, stages and accepting set as JSON.
    Json,
    /// The journey map as SVG: steps by stage, frontstage above the line of visibility.
    MapSvg,
}

/// What dot and Mermaid draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphView {
    /// One node per declared step: the journey map.
    Steps,
    /// The compiled automaton: one node per step occurrence.
    Automaton,
}

/// Arguments of `cxl graph`.
#[derive(clap::Args)]
pub struct GraphArgs {
    /// The policy file.
    policy: String,
    /// Only this journey (default: every journey of the file).
    #[arg(long)]
    journey: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
    /// What dot and Mermaid draw: the steps (the map) or the compiled automaton.
    #[arg(long, value_enum, default_value = "steps")]
    view: GraphView,
}

/// Print the graphs; exit 1 when the policy has errors, 2 for an unknown journey.
pub fn run(args: &GraphArgs) -> u8 {
    graph(args).unwrap_or_else(|stop| stop.exit_code())
}

fn graph(args: &GraphArgs) -> Result<u8, Stop> {
    output::plan(&[("the policy", Some(&args.policy))], [])?;
    let Ok(policy) = common::compile_entry(&args.policy)? else {
        return Ok(EXIT_FINDINGS);
    };
    let journeys: Vec<_> = policy
        .program
        .journeys
        .iter()
        .filter(|j| args.journey.as_ref().is_none_or(|name| &j.name == name))
        .collect();
    if journeys.is_empty() {
        let names: Vec<&str> = policy
            .program
            .journeys
            .iter()
            .map(|j| j.name.as_str())
            .collect();
        to_stderr!(
            "error: no journey `{}` in `{}` (journeys: {})",
            args.journey.as_deref().unwrap_or(""),
            args.policy,
            names.join(", ")
        );
        return Ok(EXIT_USAGE);
    }
    let out = match args.format {
        GraphFormat::Json => {
            let all: Vec<serde_json::Value> = journeys.iter().map(|j| render_json(j)).collect();
            let value = if all.len() == 1 {
                all.into_iter().next().unwrap_or_default()
            } else {
                serde_json::Value::Array(all)
            };
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n"
        }
        // Several journeys' maps make one SVG document, not several.
        GraphFormat::MapSvg if journeys.len() > 1 => {
            let maps: Vec<JourneyMap<'_>> = journeys.iter().map(|j| JourneyMap::new(j)).collect();
            render_svgs(&maps)
        }
        format => journeys
            .iter()
            .map(|j| render(j, format, args.view))
            .collect(),
    };
    output::print(&out)?;
    Ok(EXIT_OK)
}

/// One journey in a text format.
fn render(journey: &CompiledJourney, format: GraphFormat, view: GraphView) -> String {
    let map = JourneyMap::new(journey);
    match (format, view) {
        (GraphFormat::MapSvg, _) => render_svg(&map, None),
        (GraphFormat::Dot, GraphView::Steps) => render_steps_dot(&map),
        (GraphFormat::Mermaid, GraphView::Steps) => render_steps_mermaid(&map),
        (GraphFormat::Dot, GraphView::Automaton) => render_dot(journey),
        (GraphFormat::Mermaid, GraphView::Automaton) => render_mermaid(journey),
        // JSON is rendered whole by the caller.
        (GraphFormat::Json, _) => render_json(journey).to_string(),
    }
}

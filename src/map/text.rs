//! The map's step view in Graphviz dot and Mermaid (`cxl graph --view
//! steps`, the default): one node per declared step (`s0`, `s1`, … in
//! declaration order; `start` is the start), captioned with its label, owner
//! and channels; stages as clusters with their backstage steps in a nested
//! dashed cluster; the goal bold and filled, steps the journey may end at
//! double-bordered; a transition labelled with its simulation weight when
//! every compiled edge it stands for has the same one.

use super::{JourneyMap, Transition};
use crate::compile::{caption, dot_escape, dot_label, mermaid_escape, mermaid_label, percent};
use crate::compile::{CompiledJourney, StepId};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The steps of each stage (index `stages.len()`: outside every stage),
/// frontstage then backstage, in declaration order.
fn groups(j: &CompiledJourney) -> Vec<[Vec<StepId>; 2]> {
    let mut groups: Vec<[Vec<StepId>; 2]> = vec![[Vec::new(), Vec::new()]; j.stages.len() + 1];
    for (i, step) in j.steps.iter().enumerate() {
        let g = step.stage.unwrap_or(j.stages.len()).min(j.stages.len());
        groups[g][usize::from(step.backstage)].push(StepId(i as u32));
    }
    groups
}

/// Each transition's weight, when all the compiled edges it stands for agree.
fn weights(j: &CompiledJourney) -> BTreeMap<Transition, Option<f64>> {
    use petgraph::visit::EdgeRef;
    let g = &j.graph;
    let mut out: BTreeMap<Transition, Option<f64>> = BTreeMap::new();
    for e in g.graph().edge_references() {
        let Some(to) = g.step(e.target()) else {
            continue;
        };
        let w = e.weight().weight;
        out.entry((g.step(e.source()), to))
            .and_modify(|old| {
                if *old != w {
                    *old = None;
                }
            })
            .or_insert(w);
    }
    out
}

fn id(from: Option<StepId>) -> String {
    from.map_or_else(|| "start".to_string(), |s| format!("s{}", s.index()))
}

/// The map's step view in Graphviz dot.
pub fn render_steps_dot(map: &JourneyMap<'_>) -> String {
    let j = map.journey;
    let mut out = String::new();
    let title = j.label.as_deref().unwrap_or(&j.name);
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&j.name));
    let _ = writeln!(out, "  rankdir=LR;\n  label=\"{}\";", dot_escape(title));
    out.push_str("  node [shape=box, style=rounded];\n");
    out.push_str("  start [label=\"start\", shape=circle];\n");
    for (i, [front, back]) in groups(j).iter().enumerate() {
        let (indent, cluster) = match j.stages.get(i) {
            Some(stage) => {
                let _ = writeln!(out, "  subgraph \"cluster_{}\" {{", dot_escape(&stage.name));
                let title = stage.label.as_deref().unwrap_or(&stage.name);
                let _ = writeln!(out, "    label=\"{}\";", dot_escape(title));
                ("    ", format!("cluster_{}_backstage", stage.name))
            }
            None => ("  ", "cluster_backstage".to_string()),
        };
        dot_steps(map, front, indent, &mut out);
        if !back.is_empty() {
            let _ = writeln!(out, "{indent}subgraph \"{}\" {{", dot_escape(&cluster));
            let _ = writeln!(
                out,
                "{indent}  label=\"backstage\";\n{indent}  style=dashed;"
            );
            dot_steps(map, back, &format!("{indent}  "), &mut out);
            let _ = writeln!(out, "{indent}}}");
        }
        if j.stages.get(i).is_some() {
            out.push_str("  }\n");
        }
    }
    let weights = weights(j);
    for &(from, to) in &map.edges {
        let _ = write!(out, "  {} -> {}", id(from), id(Some(to)));
        if let Some(Some(w)) = weights.get(&(from, to)) {
            let _ = write!(out, " [label=\"{}\"]", percent(*w));
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

fn dot_steps(map: &JourneyMap<'_>, steps: &[StepId], indent: &str, out: &mut String) {
    let j = map.journey;
    for &s in steps {
        let Some(info) = j.step_info(s) else { continue };
        let mut style = vec!["rounded"];
        let mut attrs = vec![format!("label=\"{}\"", dot_label(&caption(info)))];
        if info.backstage {
            style.push("dashed");
        }
        if j.goal == Some(s) {
            style.extend(["bold", "filled"]);
            attrs.push("fillcolor=palegreen".into());
        }
        if style.len() > 1 {
            attrs.push(format!("style=\"{}\"", style.join(",")));
        }
        if map.ends.get(s.index()).copied().unwrap_or(false) {
            attrs.push("peripheries=2".into());
        }
        let _ = writeln!(out, "{indent}{} [{}];", id(Some(s)), attrs.join(", "));
    }
}

/// The map's step view as a Mermaid flowchart.
pub fn render_steps_mermaid(map: &JourneyMap<'_>) -> String {
    let j = map.journey;
    let mut out = String::from("flowchart LR\n  start((start))\n");
    for (i, [front, back]) in groups(j).iter().enumerate() {
        let (indent, cluster) = match j.stages.get(i) {
            Some(stage) => {
                let title = stage.label.as_deref().unwrap_or(&stage.name);
                let _ = writeln!(
                    out,
                    "  subgraph stage_{}[\"{}\"]",
                    stage.name,
                    mermaid_escape(title)
                );
                ("    ", format!("stage_{}_backstage", stage.name))
            }
            None => ("  ", "backstage_outside".to_string()),
        };
        mermaid_steps(map, front, indent, &mut out);
        if !back.is_empty() {
            let _ = writeln!(out, "{indent}subgraph {cluster}[\"backstage\"]");
            mermaid_steps(map, back, &format!("{indent}  "), &mut out);
            let _ = writeln!(out, "{indent}end");
            let _ = writeln!(out, "{indent}style {cluster} stroke-dasharray: 5 5");
        }
        if j.stages.get(i).is_some() {
            out.push_str("  end\n");
        }
    }
    let weights = weights(j);
    for &(from, to) in &map.edges {
        match weights.get(&(from, to)) {
            Some(Some(w)) => {
                let _ = writeln!(
                    out,
                    "  {} -->|\"{}\"| {}",
                    id(from),
                    percent(*w),
                    id(Some(to))
                );
            }
            _ => _ = writeln!(out, "  {} --> {}", id(from), id(Some(to))),
        }
    }
    let ids = |f: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..j.steps.len())
            .filter(|&i| f(i))
            .map(|i| format!("s{i}"))
            .collect()
    };
    let back = ids(&|i| j.steps[i].backstage);
    let goal = ids(&|i| j.goal.is_some_and(|g| g.index() == i));
    if !back.is_empty() {
        out.push_str("  classDef backstage stroke-dasharray: 5 5\n");
        let _ = writeln!(out, "  class {} backstage", back.join(","));
    }
    if !goal.is_empty() {
        out.push_str("  classDef goal stroke-width:3px,fill:#d4f7d4\n");
        let _ = writeln!(out, "  class {} goal", goal.join(","));
    }
    out
}

fn mermaid_steps(map: &JourneyMap<'_>, steps: &[StepId], indent: &str, out: &mut String) {
    let j = map.journey;
    for &s in steps {
        let Some(info) = j.step_info(s) else { continue };
        let text = mermaid_label(&caption(info));
        if map.ends.get(s.index()).copied().unwrap_or(false) {
            let _ = writeln!(out, "{indent}{}(((\"{text}\")))", id(Some(s)));
        } else {
            let _ = writeln!(out, "{indent}{}(\"{text}\")", id(Some(s)));
        }
    }
}

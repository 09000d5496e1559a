//! Renderings of a compiled journey for `cxl graph`: Graphviz dot, Mermaid, JSON.
//!
//! Layout, the same in dot and Mermaid: left to right; node ids `n0`, `n1`, …
//! in construction order (`n0` is the start node), so output is deterministic
//! and stable; every stage is a cluster; the backstage steps of a stage sit in a
//! nested "backstage" cluster drawn dashed, and the nodes themselves are dashed,
//! so they read as below the line of visibility (backstage steps outside any
//! stage get a top-level "backstage" cluster). Accepting nodes have a double
//! border (dot `peripheries=2`, Mermaid double circle); the goal is bold and
//! filled; edges with a simulation weight are labelled with it in percent.

use super::journey::{CompiledJourney, StepInfo};
use super::NodeIndex;
use petgraph::visit::EdgeRef;
use serde_json::{json, Value};
use std::fmt::Write;

/// The nodes of one cluster: frontstage, then backstage.
#[derive(Default)]
struct Group {
    front: Vec<NodeIndex>,
    back: Vec<NodeIndex>,
}

/// Nodes grouped by stage (index `stages.len()` holds nodes outside any stage).
fn groups(j: &CompiledJourney) -> Vec<Group> {
    let mut groups: Vec<Group> = (0..=j.stages.len()).map(|_| Group::default()).collect();
    for node in j.graph.graph().node_indices().skip(1) {
        let Some(info) = j.graph.step(node).and_then(|s| j.step_info(s)) else {
            continue;
        };
        let g = info.stage.unwrap_or(j.stages.len()).min(j.stages.len());
        if info.backstage {
            groups[g].back.push(node);
        } else {
            groups[g].front.push(node);
        }
    }
    groups
}

fn is_backstage(j: &CompiledJourney, node: NodeIndex) -> bool {
    j.graph
        .step(node)
        .and_then(|s| j.step_info(s))
        .is_some_and(|i| i.backstage)
}

fn is_goal(j: &CompiledJourney, node: NodeIndex) -> bool {
    j.goal.is_some() && j.graph.step(node) == j.goal
}

/// A step's caption lines: its label, then its owner and its channels when
/// said (the map's conventions, shared by the automaton and the step views).
pub fn caption(info: &StepInfo) -> Vec<String> {
    let mut lines = vec![info.display().to_string()];
    if let Some(owner) = &info.owner {
        lines.push(owner.clone());
    }
    if !info.channels.is_empty() {
        lines.push(format!("via {}", info.channels.join(", ")));
    }
    lines
}

/// A node's caption lines (`start` for the start node).
fn node_caption(j: &CompiledJourney, node: NodeIndex) -> Vec<String> {
    j.graph
        .step(node)
        .and_then(|s| j.step_info(s))
        .map_or_else(|| vec!["start".to_string()], caption)
}

/// Caption lines as one dot label: each line escaped, joined by `\n`.
pub fn dot_label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| dot_escape(l))
        .collect::<Vec<_>>()
        .join("\\n")
}

/// Caption lines as one Mermaid label: each line escaped, joined by `<br/>`.
pub fn mermaid_label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| mermaid_escape(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// A simulation weight in percent, `85%`.
pub fn percent(weight: f64) -> String {
    let p = weight * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round())
    } else {
        format!("{p:.1}%")
    }
}

/// `s` inside a dot string.
pub fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The journey graph in Graphviz dot.
pub fn render_dot(j: &CompiledJourney) -> String {
    let mut out = String::new();
    let title = j.label.as_deref().unwrap_or(&j.name);
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&j.name));
    let _ = writeln!(out, "  rankdir=LR;\n  label=\"{}\";", dot_escape(title));
    out.push_str("  node [shape=box, style=rounded];\n");
    out.push_str("  n0 [label=\"start\", shape=circle");
    if j.graph.is_accepting(j.graph.start()) {
        out.push_str(", peripheries=2");
    }
    out.push_str("];\n");
    let groups = groups(j);
    for (i, g) in groups.iter().enumerate() {
        match j.stages.get(i) {
            Some(stage) => {
                let _ = writeln!(out, "  subgraph \"cluster_{}\" {{", stage.name);
                let title = stage.label.as_deref().unwrap_or(&stage.name);
                let _ = writeln!(out, "    label=\"{}\";", dot_escape(title));
                dot_nodes(j, &g.front, "    ", &mut out);
                dot_backstage(
                    j,
                    &g.back,
                    &format!("cluster_{}_backstage", stage.name),
                    "    ",
                    &mut out,
                );
                out.push_str("  }\n");
            }
            None => {
                dot_nodes(j, &g.front, "  ", &mut out);
                dot_backstage(j, &g.back, "cluster_backstage", "  ", &mut out);
            }
        }
    }
    for e in j.graph.graph().edge_references() {
        let _ = write!(out, "  n{} -> n{}", e.source().index(), e.target().index());
        if let Some(w) = e.weight().weight {
            let _ = write!(out, " [label=\"{}\"]", percent(w));
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

fn dot_backstage(
    j: &CompiledJourney,
    nodes: &[NodeIndex],
    id: &str,
    indent: &str,
    out: &mut String,
) {
    if nodes.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}subgraph \"{id}\" {{");
    let _ = writeln!(
        out,
        "{indent}  label=\"backstage\";\n{indent}  style=dashed;"
    );
    dot_nodes(j, nodes, &format!("{indent}  "), out);
    let _ = writeln!(out, "{indent}}}");
}

fn dot_nodes(j: &CompiledJourney, nodes: &[NodeIndex], indent: &str, out: &mut String) {
    for &n in nodes {
        let mut style = vec!["rounded"];
        let mut attrs = vec![format!("label=\"{}\"", dot_label(&node_caption(j, n)))];
        if is_backstage(j, n) {
            style.push("dashed");
        }
        if is_goal(j, n) {
            style.extend(["bold", "filled"]);
            attrs.push("fillcolor=palegreen".into());
        }
        if style.len() > 1 {
            attrs.push(format!("style=\"{}\"", style.join(",")));
        }
        if j.graph.is_accepting(n) {
            attrs.push("peripheries=2".into());
        }
        let _ = writeln!(out, "{indent}n{} [{}];", n.index(), attrs.join(", "));
    }
}

/// `s` inside a Mermaid label: quotes and the characters Mermaid reads as
/// markup become entities.
pub fn mermaid_escape(s: &str) -> String {
    s.replace('#', "#35;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// The journey graph as a Mermaid flowchart.
pub fn render_mermaid(j: &CompiledJourney) -> String {
    let mut out = String::from("flowchart LR\n");
    let start = if j.graph.is_accepting(j.graph.start()) {
        "n0(((start)))"
    } else {
        "n0((start))"
    };
    let _ = writeln!(out, "  {start}");
    let groups = groups(j);
    for (i, g) in groups.iter().enumerate() {
        match j.stages.get(i) {
            Some(stage) => {
                let title = stage.label.as_deref().unwrap_or(&stage.name);
                let _ = writeln!(
                    out,
                    "  subgraph stage_{}[\"{}\"]",
                    stage.name,
                    mermaid_escape(title)
                );
                mermaid_nodes(j, &g.front, "    ", &mut out);
                mermaid_backstage(
                    j,
                    &g.back,
                    &format!("stage_{}_backstage", stage.name),
                    "    ",
                    &mut out,
                );
                out.push_str("  end\n");
            }
            None => {
                mermaid_nodes(j, &g.front, "  ", &mut out);
                mermaid_backstage(j, &g.back, "backstage_outside", "  ", &mut out);
            }
        }
    }
    for e in j.graph.graph().edge_references() {
        let (s, t) = (e.source().index(), e.target().index());
        match e.weight().weight {
            Some(w) => _ = writeln!(out, "  n{s} -->|\"{}\"| n{t}", percent(w)),
            None => _ = writeln!(out, "  n{s} --> n{t}"),
        }
    }
    mermaid_classes(j, &mut out);
    out
}

fn mermaid_backstage(
    j: &CompiledJourney,
    nodes: &[NodeIndex],
    id: &str,
    indent: &str,
    out: &mut String,
) {
    if nodes.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}subgraph {id}[\"backstage\"]");
    mermaid_nodes(j, nodes, &format!("{indent}  "), out);
    let _ = writeln!(out, "{indent}end");
    let _ = writeln!(out, "{indent}style {id} stroke-dasharray: 5 5");
}

fn mermaid_nodes(j: &CompiledJourney, nodes: &[NodeIndex], indent: &str, out: &mut String) {
    for &n in nodes {
        let text = mermaid_label(&node_caption(j, n));
        let id = n.index();
        if j.graph.is_accepting(n) {
            let _ = writeln!(out, "{indent}n{id}(((\"{text}\")))");
        } else {
            let _ = writeln!(out, "{indent}n{id}(\"{text}\")");
        }
    }
}

fn mermaid_classes(j: &CompiledJourney, out: &mut String) {
    let nodes: Vec<NodeIndex> = j.graph.graph().node_indices().collect();
    let ids = |f: &dyn Fn(NodeIndex) -> bool| {
        nodes
            .iter()
            .filter(|&&n| f(n))
            .map(|n| format!("n{}", n.index()))
            .collect::<Vec<_>>()
    };
    let back = ids(&|n| is_backstage(j, n));
    let goal = ids(&|n| is_goal(j, n));
    if !back.is_empty() {
        out.push_str("  classDef backstage stroke-dasharray: 5 5\n");
        let _ = writeln!(out, "  class {} backstage", back.join(","));
    }
    if !goal.is_empty() {
        out.push_str("  classDef goal stroke-width:3px,fill:#d4f7d4\n");
        let _ = writeln!(out, "  class {} goal", goal.join(","));
    }
}

/// The journey graph as JSON: journey, steps table, stages, nodes and edges.
pub fn render_json(j: &CompiledJourney) -> Value {
    let g = &j.graph;
    let nodes: Vec<Value> = g
        .graph()
        .node_indices()
        .map(|n| match g.step(n) {
            None => json!({ "id": "n0", "kind": "start", "accepting": g.is_accepting(n) }),
            Some(step) => json!({
                "id": format!("n{}", n.index()),
                "kind": "step",
                "step": j.step_name(step),
                "accepting": g.is_accepting(n),
                "goal": is_goal(j, n),
            }),
        })
        .collect();
    let edges: Vec<Value> = g
        .graph()
        .edge_references()
        .map(|e| {
            json!({
                "from": format!("n{}", e.source().index()),
                "to": format!("n{}", e.target().index()),
                "weight": e.weight().weight,
            })
        })
        .collect();
    let steps: Vec<Value> = j
        .steps
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "label": s.label,
                "stage": s.stage.and_then(|i| j.stages.get(i)).map(|st| st.name.as_str()),
                "backstage": s.backstage,
                "channels": s.channels,
                "owner": s.owner,
                "match": s.match_names,
            })
        })
        .collect();
    let stages: Vec<Value> = j
        .stages
        .iter()
        .map(|s| json!({ "name": s.name, "label": s.label }))
        .collect();
    json!({
        "journey": j.name,
        "label": j.label,
        "goal": j.goal.map(|s| j.step_name(s)),
        "start": "n0",
        "stages": stages,
        "steps": steps,
        "nodes": nodes,
        "edges": edges,
    })
}

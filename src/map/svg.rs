//! The map as one SVG (`cxl graph --format map-svg`, and each journey of the
//! HTML report). Every number is an integer and every element comes out in a
//! fixed order, so the text is byte-stable.
//!
//! Conventions (docs/language.md §4.6): stages are bands left to right; the
//! dashed line of visibility runs across, frontstage steps above it and
//! backstage steps below; each step is a box with its label, owner and
//! channels, one group carrying `data-step="NAME"`; the goal has a thick green
//! border, a step the journey may end at a double one; the ideal path's
//! transitions are grey arrows. With health: a dot per step
//! (`data-health="green|yellow|red|none"`), counts on the box and on hover,
//! the transitions customers took drawn over the ideal ones (blue, width by
//! count; red with their count where the path forbids them), steps nobody
//! reached dashed and marked "skipped".

use super::health::JourneyHealth;
use super::{JourneyMap, Transition};
use crate::compile::{StepId, StepInfo};
use crate::eval::Health;
use std::fmt::Write;

const MARGIN: i64 = 20;
const START_W: i64 = 70;
const COL_W: i64 = 230;
const NODE_W: i64 = 200;
const NODE_H: i64 = 84;
const ROW_H: i64 = 104;
const HEADER: i64 = 48;
const LINE_GAP: i64 = 22;
const LEGEND: i64 = 44;
/// Forbidden transitions drawn, the most taken first: more would hide the map.
const FORBIDDEN_DRAWN: usize = 10;
const MIN_WIDTH_WITH_LEGEND: i64 = 800;
/// Labels longer than this are cut on the box (the hover has them whole).
const LABEL_CHARS: usize = 27;

/// `s` with the five XML special characters escaped, for text and attribute
/// values alike: every name and label on the map comes from a policy or a log.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A box's top-left corner and the start circle's centre.
struct Geometry {
    line_y: i64,
    width: i64,
    height: i64,
    start: (i64, i64),
}

impl Geometry {
    fn of(map: &JourneyMap<'_>, health: bool) -> Geometry {
        let front = map.front_rows as i64;
        let back = map.back_rows as i64;
        let line_y = HEADER + front * ROW_H + LINE_GAP - (ROW_H - NODE_H);
        let line_y = line_y.max(HEADER + LINE_GAP);
        let start_y = if front > 0 {
            line_y - LINE_GAP - NODE_H / 2
        } else {
            line_y + LINE_GAP + NODE_H / 2
        };
        Geometry {
            line_y,
            // The legend needs room even under a small map.
            width: (START_W + map.columns as i64 * COL_W + MARGIN).max(if health {
                MIN_WIDTH_WITH_LEGEND
            } else {
                0
            }),
            height: line_y
                + LINE_GAP
                + (back * ROW_H - (ROW_H - NODE_H)).max(0)
                + MARGIN
                + if health { LEGEND } else { 0 },
            start: (MARGIN + 14, start_y),
        }
    }

    fn corner(&self, map: &JourneyMap<'_>, step: StepId) -> (i64, i64) {
        let Some(p) = map.places.get(step.index()) else {
            return (0, 0);
        };
        let x = START_W + p.column as i64 * COL_W + (COL_W - NODE_W) / 2;
        let row = p.row as i64;
        let y = if p.backstage {
            self.line_y + LINE_GAP + row * ROW_H
        } else {
            self.line_y - LINE_GAP - NODE_H - row * ROW_H
        };
        (x, y)
    }
}

/// The map as SVG, with the evaluation's overlay when `health` is given.
pub fn render_svg(map: &JourneyMap<'_>, health: Option<&JourneyHealth>) -> String {
    svg(map, health, None)
}

/// Several maps (the journeys of one file) as one SVG document: each map
/// a nested `<svg>`, one under the other.
pub fn render_svgs(maps: &[JourneyMap<'_>]) -> String {
    let sizes: Vec<(i64, i64)> = maps
        .iter()
        .map(|m| {
            let g = Geometry::of(m, false);
            (g.width, g.height)
        })
        .collect();
    let width = sizes.iter().map(|s| s.0).max().unwrap_or(0);
    let height: i64 = sizes.iter().map(|s| s.1).sum();
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"journey-maps\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n"
    );
    let mut y = 0;
    for (map, (_, h)) in maps.iter().zip(&sizes) {
        out.push_str(&svg(map, None, Some(y)));
        y += h;
    }
    out.push_str("</svg>\n");
    out
}

/// One map; `at` places it at that height inside another SVG.
fn svg(map: &JourneyMap<'_>, health: Option<&JourneyHealth>, at: Option<i64>) -> String {
    let j = map.journey;
    let geo = Geometry::of(map, health.is_some());
    let id = format!("map-{}", id_part(&j.name));
    let mut out = String::new();
    let place = at.map_or_else(String::new, |y| format!(" x=\"0\" y=\"{y}\""));
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"journey-map\" data-journey=\"{}\"{place} \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, Arial, sans-serif\">",
        escape(&j.name),
        w = geo.width,
        h = geo.height
    );
    let _ = writeln!(
        out,
        "<title>{}</title>",
        escape(j.label.as_deref().unwrap_or(&j.name))
    );
    let _ = writeln!(
        out,
        "<defs><marker id=\"{id}-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#777\"/></marker></defs>"
    );
    stages(&mut out, map, &geo);
    line_of_visibility(&mut out, &geo);
    for &(from, to) in &map.edges {
        let d = edge_path(map, &geo, from, to);
        let _ = writeln!(
            out,
            "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"{d}\" fill=\"none\" stroke=\"#999\" \
             stroke-width=\"1.5\" marker-end=\"url(#{id}-arrow)\"/>",
            escape(end_name(map, from)),
            escape(map.journey.step_name(to))
        );
    }
    if let Some(flow) = health.and_then(|h| h.flow.as_ref()) {
        flows(&mut out, map, &geo, &flow.transitions);
    }
    start(&mut out, &geo);
    for (i, step) in j.steps.iter().enumerate() {
        let step_id = StepId(i as u32);
        let h = health.and_then(|h| h.steps.get(i));
        node(&mut out, map, &geo, step_id, step, h, health);
    }
    if health.is_some() {
        legend(&mut out, &geo);
    }
    out.push_str("</svg>\n");
    out
}

/// A journey name made safe for an element id (names are identifiers, but
/// this never trusts that).
fn id_part(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn end_name<'a>(map: &'a JourneyMap<'_>, from: Option<StepId>) -> &'a str {
    from.map_or("start", |s| map.journey.step_name(s))
}

fn stages(out: &mut String, map: &JourneyMap<'_>, geo: &Geometry) {
    let j = map.journey;
    for (s, stage) in j.stages.iter().enumerate() {
        let columns = map
            .places
            .iter()
            .zip(&j.steps)
            .filter(|(_, step)| step.stage == Some(s))
            .map(|(p, _)| p.column);
        let (Some(lo), Some(hi)) = (columns.clone().min(), columns.max()) else {
            continue;
        };
        let x = START_W + lo as i64 * COL_W + 4;
        let w = (hi - lo + 1) as i64 * COL_W - 8;
        let fill = if s % 2 == 0 { "#f3f6fa" } else { "#eef3ee" };
        let _ = writeln!(
            out,
            "<g class=\"stage\" data-stage=\"{}\"><rect x=\"{x}\" y=\"8\" width=\"{w}\" height=\"{}\" rx=\"6\" \
             fill=\"{fill}\"/><text x=\"{}\" y=\"30\" font-size=\"14\" font-weight=\"bold\" fill=\"#334\">{}</text></g>",
            escape(&stage.name),
            geo.height - 16,
            x + 10,
            escape(&cut(stage.label.as_deref().unwrap_or(&stage.name), 28 * (hi - lo + 1)))
        );
    }
}

fn line_of_visibility(out: &mut String, geo: &Geometry) {
    let _ = writeln!(
        out,
        "<g class=\"line-of-visibility\"><line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#667\" \
         stroke-width=\"1\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#667\" \
         text-anchor=\"end\">line of visibility</text></g>",
        MARGIN,
        geo.width - MARGIN,
        geo.width - MARGIN,
        geo.line_y - 4,
        y = geo.line_y
    );
}

fn start(out: &mut String, geo: &Geometry) {
    let (x, y) = geo.start;
    let _ = writeln!(
        out,
        "<g class=\"start\"><circle cx=\"{x}\" cy=\"{y}\" r=\"12\" fill=\"#334\"/><text x=\"{x}\" y=\"{}\" \
         font-size=\"10\" text-anchor=\"middle\" fill=\"#334\">start</text></g>",
        y + 26
    );
}

/// The path of a transition: forward edges leave a box's right side for the
/// next box's left; a repeat loops over its box; an edge back (or within a
/// column) arcs above the boxes, or below when both ends are backstage.
fn edge_path(map: &JourneyMap<'_>, geo: &Geometry, from: Option<StepId>, to: StepId) -> String {
    let (tx, ty) = geo.corner(map, to);
    let (tcol, tback) = map
        .places
        .get(to.index())
        .map_or((0, false), |p| (p.column, p.backstage));
    let Some(from) = from else {
        let (sx, sy) = (geo.start.0 + 12, geo.start.1);
        let (ex, ey) = (tx, ty + NODE_H / 2);
        let dx = (ex - sx) / 2;
        return format!("M{sx},{sy} C{},{sy} {},{ey} {ex},{ey}", sx + dx, ex - dx);
    };
    let (fx, fy) = geo.corner(map, from);
    let (fcol, fback) = map
        .places
        .get(from.index())
        .map_or((0, false), |p| (p.column, p.backstage));
    if from == to {
        let (a, b) = (fx + NODE_W - 44, fx + NODE_W - 14);
        return format!(
            "M{a},{fy} C{},{} {},{} {b},{fy}",
            a - 6,
            fy - 34,
            b + 6,
            fy - 34
        );
    }
    if tcol > fcol {
        let (sx, sy) = (fx + NODE_W, fy + NODE_H / 2);
        let (ex, ey) = (tx, ty + NODE_H / 2);
        let dx = ((ex - sx) / 2).max(20);
        return format!("M{sx},{sy} C{},{sy} {},{ey} {ex},{ey}", sx + dx, ex - dx);
    }
    if tcol == fcol {
        let (sx, sy) = (fx + NODE_W, fy + NODE_H / 2 + 8);
        let (ex, ey) = (tx + NODE_W, ty + NODE_H / 2 - 8);
        return format!("M{sx},{sy} C{},{sy} {},{ey} {ex},{ey}", sx + 28, ex + 28);
    }
    let span = (fcol - tcol) as i64;
    let (sx, ex) = (fx + NODE_W / 2 - 10, tx + NODE_W / 2 + 10);
    if fback && tback {
        let (sy, ey) = (fy + NODE_H, ty + NODE_H);
        let c = sy.max(ey) + 18 + 8 * span.min(4);
        format!("M{sx},{sy} C{sx},{c} {ex},{c} {ex},{ey}")
    } else {
        let c = fy.min(ty) - 18 - 8 * span.min(4);
        format!("M{sx},{fy} C{sx},{c} {ex},{c} {ex},{ty}")
    }
}

/// The transitions customers took, over the ideal ones: every allowed one,
/// and the [`FORBIDDEN_DRAWN`] most taken of those the path forbids (the
/// hover of the map's title counts the rest).
fn flows(
    out: &mut String,
    map: &JourneyMap<'_>,
    geo: &Geometry,
    transitions: &std::collections::BTreeMap<Transition, u64>,
) {
    let max = transitions.values().copied().max().unwrap_or(1).max(1);
    let mut forbidden: Vec<(Transition, u64)> = transitions
        .iter()
        .filter(|(t, n)| **n > 0 && !map.allows(**t))
        .map(|(t, n)| (*t, *n))
        .collect();
    forbidden.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let hidden: u64 = forbidden.iter().skip(FORBIDDEN_DRAWN).map(|f| f.1).sum();
    forbidden.truncate(FORBIDDEN_DRAWN);
    let drawn = transitions
        .iter()
        .filter(|(t, n)| **n > 0 && map.allows(**t))
        .map(|(t, n)| (*t, *n))
        .chain(forbidden.iter().copied());
    for ((from, to), count) in drawn {
        let allowed = map.allows((from, to));
        let width = 1 + (9 * count).div_ceil(max);
        let d = edge_path(map, geo, from, to);
        let (class, colour) = if allowed {
            ("flow", "#2f6fd0")
        } else {
            ("flow forbidden", "#d4351c")
        };
        let _ = write!(
            out,
            "<path class=\"{class}\" data-from=\"{}\" data-to=\"{}\" data-count=\"{count}\" d=\"{d}\" fill=\"none\" \
             stroke=\"{colour}\" stroke-opacity=\"0.5\" stroke-width=\"{width}\"><title>{} \u{2192} {}: {count}{}</title></path>",
            escape(end_name(map, from)),
            escape(map.journey.step_name(to)),
            escape(end_name(map, from)),
            escape(map.journey.step_name(to)),
            if allowed { "" } else { " (the path forbids it)" }
        );
        out.push('\n');
        if !allowed {
            let (x, y) = midpoint(&d);
            let _ = writeln!(
                out,
                "<text class=\"flow-count\" x=\"{x}\" y=\"{y}\" font-size=\"11\" font-weight=\"bold\" \
                 fill=\"#d4351c\" text-anchor=\"middle\">{count}</text>"
            );
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "<text class=\"flow-hidden\" x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#d4351c\" text-anchor=\"end\">\
             {hidden} more forbidden transitions taken, not drawn</text>",
            geo.width - MARGIN,
            geo.height - MARGIN - LEGEND + 8
        );
    }
}

/// The point halfway along a cubic path `Mx,y Cx,y x,y x,y` written by
/// [`edge_path`].
fn midpoint(d: &str) -> (i64, i64) {
    let nums: Vec<i64> = d
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match nums.as_slice() {
        [x0, y0, x1, y1, x2, y2, x3, y3] => (
            (x0 + 3 * x1 + 3 * x2 + x3) / 8,
            (y0 + 3 * y1 + 3 * y2 + y3) / 8 - 3,
        ),
        _ => (0, 0),
    }
}

fn cut(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        return s.to_string();
    }
    let mut out: String = s.chars().take(chars.saturating_sub(1)).collect();
    out.push('\u{2026}');
    out
}

fn colour(health: Health) -> &'static str {
    match health {
        Health::Green => "#2e9d48",
        Health::Yellow => "#e6b400",
        Health::Red => "#d4351c",
        Health::None => "#b8b8b8",
    }
}

fn health_word(health: Health) -> &'static str {
    match health {
        Health::Green => "green",
        Health::Yellow => "yellow",
        Health::Red => "red",
        Health::None => "none",
    }
}

fn node(
    out: &mut String,
    map: &JourneyMap<'_>,
    geo: &Geometry,
    id: StepId,
    step: &StepInfo,
    h: Option<&super::StepHealth>,
    journey: Option<&JourneyHealth>,
) {
    let (x, y) = geo.corner(map, id);
    let goal = map.journey.goal == Some(id);
    let end = map.ends.get(id.index()).copied().unwrap_or(false);
    let entered = journey
        .and_then(|j| j.summary.as_ref())
        .is_some_and(|s| s.entered > 0);
    let skipped = h.is_some_and(|h| h.visits == 0) && entered;
    let mut class = String::from("step");
    for (on, word) in [
        (step.backstage, " backstage"),
        (goal, " goal"),
        (end, " end"),
        (skipped, " skipped"),
    ] {
        if on {
            class.push_str(word);
        }
    }
    let _ = write!(
        out,
        "<g class=\"{class}\" data-step=\"{}\"",
        escape(&step.name)
    );
    if let Some(h) = h {
        let _ = write!(out, " data-health=\"{}\"", health_word(h.health));
    }
    out.push('>');
    let _ = write!(out, "<title>{}</title>", escape(&hover(step, h)));
    let (stroke, width) = if goal { ("#2e9d48", 3) } else { ("#556", 1) };
    let dash = if step.backstage || skipped {
        " stroke-dasharray=\"5 3\""
    } else {
        ""
    };
    let fill = if skipped { "#f4f4f4" } else { "#ffffff" };
    let _ = write!(
        out,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"8\" fill=\"{fill}\" \
         stroke=\"{stroke}\" stroke-width=\"{width}\"{dash}/>"
    );
    if end {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"none\" stroke=\"{stroke}\" \
             stroke-width=\"1\"{dash}/>",
            x + 3,
            y + 3,
            NODE_W - 6,
            NODE_H - 6
        );
    }
    if goal {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" font-weight=\"bold\" fill=\"#2e9d48\">GOAL</text>",
            x + 4,
            y - 4
        );
    }
    let text = |out: &mut String, dy: i64, size: u32, colour: &str, s: &str| {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{size}\" fill=\"{colour}\">{}</text>",
            x + 10,
            y + dy,
            escape(&cut(s, LABEL_CHARS))
        );
    };
    // The caption's lines, one under the other: label, owner, channels.
    for (i, line) in crate::compile::caption(step).iter().enumerate() {
        let (size, colour) = if i == 0 { (13, "#112") } else { (11, "#445") };
        text(out, 22 + 17 * i as i64, size, colour, line);
    }
    if let Some(h) = h {
        let counts = if skipped {
            "skipped".to_string()
        } else if h.drop_off > 0 {
            format!("{} visits \u{b7} {} dropped", h.visits, h.drop_off)
        } else {
            format!("{} visits", h.visits)
        };
        text(out, 76, 11, "#223", &counts);
        let _ = write!(
            out,
            "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"8\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"2\"/>",
            x + NODE_W - 14,
            y + 14,
            colour(h.health)
        );
    }
    out.push_str("</g>\n");
}

/// The hover text of a step: its whole label, owner, channels and, with
/// health, its counts and top finding kinds.
fn hover(step: &StepInfo, h: Option<&super::StepHealth>) -> String {
    let mut s = format!("{} ({})", step.display(), step.name);
    if step.backstage {
        s.push_str(", backstage");
    }
    if let Some(owner) = &step.owner {
        let _ = write!(s, "\nowner: {owner}");
    }
    if !step.channels.is_empty() {
        let _ = write!(s, "\nvia: {}", step.channels.join(", "));
    }
    if let Some(h) = h {
        let _ = write!(
            s,
            "\nhealth: {}; {} visits, {} customers, {} yellow, {} red, {} dropped off",
            health_word(h.health),
            h.visits,
            h.reached,
            h.yellow,
            h.red,
            h.drop_off
        );
        if !h.top_kinds.is_empty() {
            let kinds: Vec<String> = h
                .top_kinds
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = write!(s, "\ntop findings: {}", kinds.join(", "));
        }
    }
    s
}

fn legend(out: &mut String, geo: &Geometry) {
    let y = geo.height - MARGIN;
    let mut x = MARGIN;
    out.push_str("<g class=\"legend\" font-size=\"11\" fill=\"#334\">");
    for (health, word) in [
        (Health::Green, "green"),
        (Health::Yellow, "yellow"),
        (Health::Red, "red"),
        (Health::None, "not visited"),
    ] {
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"6\" fill=\"{}\"/><text x=\"{}\" y=\"{y}\">{word}</text>",
            x + 6,
            y - 4,
            colour(health),
            x + 16
        );
        x += 90;
    }
    let _ = write!(
        out,
        "<line x1=\"{x}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#2f6fd0\" stroke-opacity=\"0.5\" stroke-width=\"5\"/>\
         <text x=\"{}\" y=\"{y}\">taken (width by count)</text>",
        y - 4,
        x + 24,
        y - 4,
        x + 30
    );
    x += 190;
    let _ = write!(
        out,
        "<line x1=\"{x}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d4351c\" stroke-opacity=\"0.5\" stroke-width=\"5\"/>\
         <text x=\"{}\" y=\"{y}\">taken, forbidden by the path</text>",
        y - 4,
        x + 24,
        y - 4,
        x + 30
    );
    out.push_str("</g>\n");
}

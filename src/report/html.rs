//! The report as one self-contained HTML page (`cxl report`): inline CSS and
//! SVG, no script, no network (its Content-Security-Policy forbids both), so
//! it opens from disk and prints well.
//!
//! Sections: the summary, then per journey its map with health, its funnel
//! and its time to goal against the goal's SLAs; then the top findings grouped
//! by rule (each with its `file:line` and a few example customers),
//! escalations by team, and data quality. Every value that came from the log
//! or the policy goes through [`escape`]: the page runs nothing it was given.

use crate::compile::{AnchorRef, Check, CompiledJourney, Policy};
use crate::eval::{FindingGroup, Level, Report};
use crate::events::time::human_duration;
use crate::map::{escape, render_svg, JourneyFlow, JourneyHealth, JourneyMap};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything the page is made of.
#[derive(Debug, Clone, Copy)]
pub struct HtmlInput<'a> {
    /// The policy evaluated.
    pub policy: &'a Policy,
    /// The evaluation.
    pub report: &'a Report,
    /// What customers did, per journey in the policy's order ([`crate::map::Flow`]).
    pub flows: &'a [JourneyFlow],
    /// The policy's file name, for `file:line` references.
    pub policy_name: &'a str,
    /// The log's name.
    pub log_name: &'a str,
}

/// Finding groups shown, largest first.
const TOP_GROUPS: usize = 12;
/// Example customers per finding group.
const EXAMPLES: usize = 3;
/// Bars of the time-to-goal plot.
const BINS: usize = 24;

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#223}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccd}\
h3{font-size:15px;margin:18px 0 6px}.meta{color:#556;font-size:13px}\
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #ccd;padding:3px 8px;text-align:left}\
th{background:#f0f2f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.problem{background:#fde8e4;border:1px solid #d4351c;padding:8px 12px;margin:8px 0;font-weight:bold}\
.map{overflow-x:auto;border:1px solid #e2e4ea;padding:4px;margin:6px 0}\
.funnel .bar{background:#2f6fd0;height:14px;display:inline-block;vertical-align:middle}\
.funnel td.b{width:420px}.kind{font-family:monospace}code{background:#f4f5f8;padding:1px 4px}\
.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}\
.green{background:#2e9d48}.yellow{background:#e6b400}.red{background:#d4351c}.none{background:#b8b8b8}\
@media print{body{margin:8mm;max-width:none}section{break-inside:avoid}.map{overflow:visible;border:none}\
svg{max-width:100%;height:auto}}";

/// The page.
pub fn render_html(input: &HtmlInput<'_>) -> String {
    let mut out = String::new();
    head(&mut out, input);
    problems(&mut out, input.report);
    summary(&mut out, input.report);
    for (j, journey) in input.policy.program.journeys.iter().enumerate() {
        journey_section(&mut out, input, journey, input.flows.get(j));
    }
    findings(&mut out, input);
    escalations(&mut out, input.report);
    data_quality(&mut out, input.report);
    out.push_str("</body>\n</html>\n");
    out
}

fn head(out: &mut String, input: &HtmlInput<'_>) {
    let title = format!("cxl report: {} on {}", input.policy_name, input.log_name);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // No script at all, nothing from the network: what the page shows is all in it.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        out,
        "<h1>{}</h1>\n<p class=\"meta\">policy <code>{}</code> \u{b7} log <code>{}</code> \u{b7} as of {}</p>",
        escape(&title),
        escape(input.policy_name),
        escape(input.log_name),
        input.report.as_of
    );
}

fn problems(out: &mut String, report: &Report) {
    for problem in &report.problems {
        let _ = writeln!(
            out,
            "<p class=\"problem\" data-problem=\"{}\">{}</p>",
            problem.kind(),
            escape(&problem.message(&report.input))
        );
    }
}

fn summary(out: &mut String, report: &Report) {
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<table>\n<tr><th>journey</th><th>judged</th>\
                  <th>fit</th><th>unfit</th><th>incomplete</th><th>conformance</th><th>reached goal</th>\
                  <th>median time to goal</th></tr>\n");
    for j in &report.journeys {
        let _ = writeln!(
            out,
            "<tr data-journey=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&j.journey),
            escape(j.label.as_deref().unwrap_or(&j.journey)),
            j.entered,
            j.fit,
            j.unfit,
            j.incomplete,
            j.conformance.map_or("-".to_string(), |c| format!("{c:.1}%")),
            j.reached_goal,
            j.median_seconds_to_goal
                .map_or("-".to_string(), |s| human_duration(s as i64))
        );
    }
    out.push_str("</table>\n");
    let count = |l: Level| report.level_counts.get(&l).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "<p>findings: <span class=\"dot red\"></span>{} red, <span class=\"dot yellow\"></span>{} yellow, \
         {} info \u{b7} escalations: {}</p>\n</section>",
        count(Level::Red),
        count(Level::Yellow),
        count(Level::Info),
        report.escalations_fired
    );
}

fn journey_section(
    out: &mut String,
    input: &HtmlInput<'_>,
    journey: &CompiledJourney,
    flow: Option<&JourneyFlow>,
) {
    let map = JourneyMap::new(journey);
    let health = JourneyHealth::new(journey, input.report, flow);
    let _ = writeln!(
        out,
        "<section class=\"journey\" data-journey=\"{}\">\n<h2>Journey: {}</h2>",
        escape(&journey.name),
        escape(journey.label.as_deref().unwrap_or(&journey.name))
    );
    out.push_str("<h3>Map</h3>\n<div class=\"map\">\n");
    out.push_str(&render_svg(&map, Some(&health)));
    out.push_str("</div>\n");
    if let Some(flow) = flow {
        funnel(out, &map, flow);
        time_to_goal(out, input.policy, journey, flow);
    }
    out.push_str("</section>\n");
}

/// Customers reaching each step, steps in path order.
fn funnel(out: &mut String, map: &JourneyMap<'_>, flow: &JourneyFlow) {
    out.push_str(
        "<h3>Funnel</h3>\n<p class=\"meta\">Customers who reached each step at least once, of the customers \
         with any event of the journey: each customer counts once per step however often they came back \
         (customers, not events).</p>\n<table class=\"funnel\">\n<tr><th>step</th><th>customers</th>\
         <th>share</th><th class=\"b\"></th></tr>\n",
    );
    let j = map.journey;
    let mut order: Vec<usize> = (0..j.steps.len()).collect();
    order.sort_by_key(|&i| (map.places.get(i).map_or(0, |p| p.rank), i));
    let total = flow.customers.max(1);
    for i in order {
        let reached = flow.reached.get(i).copied().unwrap_or(0);
        let share = 100.0 * reached as f64 / total as f64;
        let _ = writeln!(
            out,
            "<tr data-step=\"{}\"><td>{}</td><td class=\"n\">{reached}</td><td class=\"n\">{share:.1}%</td>\
             <td class=\"b\"><span class=\"bar\" style=\"width:{}px\"></span></td></tr>",
            escape(&j.steps[i].name),
            escape(j.steps[i].display()),
            (share * 4.0).round() as u64
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<p class=\"meta\">{} customers in all.</p>",
        flow.customers
    );
}

/// The goal's time limits from the journey's start (or a first step): the
/// SLAs the time to goal is drawn against, with the segments they are for.
fn goal_slas(policy: &Policy, journey: &CompiledJourney) -> Vec<(u64, String)> {
    let Some(goal) = journey.goal else {
        return Vec::new();
    };
    let Some(j) = policy
        .program
        .journeys
        .iter()
        .position(|x| x.name == journey.name)
    else {
        return Vec::new();
    };
    let first: Vec<_> = journey
        .graph
        .successors(journey.graph.start())
        .filter_map(|n| journey.graph.step(n))
        .collect();
    let mut slas: Vec<(u64, String)> = policy
        .program
        .expectations
        .iter()
        .filter(|e| e.journey == j && e.step == Some(goal))
        .filter_map(|e| match e.check {
            Check::Within { limit, anchor }
                if anchor == AnchorRef::JourneyStart
                    || matches!(anchor, AnchorRef::Step(s) if first.contains(&s)) =>
            {
                let who = if e.segments.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", e.segments.join(", "))
                };
                Some((limit, format!("SLA {}{who}", human_duration(limit as i64))))
            }
            _ => None,
        })
        .collect();
    slas.sort();
    slas.dedup();
    slas
}

/// A histogram of the times to goal, with the median and the goal's SLAs.
fn time_to_goal(out: &mut String, policy: &Policy, journey: &CompiledJourney, flow: &JourneyFlow) {
    let Some(goal) = journey.goal.and_then(|g| journey.step_info(g)) else {
        return;
    };
    let _ = writeln!(
        out,
        "<h3>Time to goal</h3>\n<p class=\"meta\">From each customer's first event of the journey to their first \
         <code>{}</code>: {} customers reached it.</p>",
        escape(&goal.name),
        flow.times_to_goal.len()
    );
    let times = &flow.times_to_goal;
    let (Some(&last), false) = (times.last(), times.is_empty()) else {
        return;
    };
    let slas = goal_slas(policy, journey);
    let top = slas.iter().map(|s| s.0).max().unwrap_or(0).max(last).max(1);
    let bin = top.div_ceil(BINS as u64).max(1);
    let mut counts = [0u64; BINS];
    for &t in times {
        counts[((t / bin) as usize).min(BINS - 1)] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(1).max(1);
    let (w, h, left, bottom) = (720i64, 220i64, 40i64, 40i64);
    let plot_w = w - left - 20;
    let plot_h = h - bottom - 20;
    let x_of = |t: u64| left + (plot_w as u64 * t / (bin * BINS as u64)) as i64;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"time-to-goal\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">"
    );
    let bar_w = plot_w / BINS as i64;
    for (i, &c) in counts.iter().enumerate() {
        let bh = plot_h * c as i64 / most as i64;
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{bh}\" fill=\"#2f6fd0\"><title>{} to {}: {c}</title></rect>",
            left + i as i64 * bar_w + 1,
            20 + plot_h - bh,
            bar_w - 2,
            human_duration((i as u64 * bin) as i64),
            human_duration(((i as u64 + 1) * bin) as i64)
        );
    }
    let axis_y = 20 + plot_h;
    let _ = writeln!(
        out,
        "<line x1=\"{left}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#334\"/>",
        left + plot_w
    );
    for k in 0..=4u64 {
        let t = bin * BINS as u64 * k / 4;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x_of(t),
            axis_y + 14,
            human_duration(t as i64)
        );
    }
    let median = times[times.len() / 2];
    let mut marks = vec![(
        median,
        format!("median {}", human_duration(median as i64)),
        "#223",
    )];
    marks.extend(slas.into_iter().map(|(t, label)| (t, label, "#d4351c")));
    for (i, (t, label, colour)) in marks.iter().enumerate() {
        let x = x_of(*t);
        let _ = writeln!(
            out,
            "<line class=\"mark\" x1=\"{x}\" y1=\"16\" x2=\"{x}\" y2=\"{axis_y}\" stroke=\"{colour}\" \
             stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
            x + 3,
            30 + 13 * i as i64,
            escape(label)
        );
    }
    let within: Vec<String> = marks
        .iter()
        .skip(1)
        .map(|(t, label, _)| {
            let n = times.partition_point(|&x| x <= *t);
            format!(
                "{}: {:.1}% within",
                label,
                100.0 * n as f64 / times.len() as f64
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<text x=\"{left}\" y=\"{}\">{}</text>\n</svg>",
        h - 6,
        escape(&within.join(" \u{b7} "))
    );
}

fn findings(out: &mut String, input: &HtmlInput<'_>) {
    let report = input.report;
    out.push_str("<section id=\"findings\">\n<h2>Top findings by rule</h2>\n");
    let mut groups: Vec<&FindingGroup> = report.finding_groups.iter().collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.level.cmp(&a.level)));
    if groups.is_empty() {
        out.push_str("<p>No findings.</p>\n");
    } else {
        out.push_str(
            "<table>\n<tr><th>level</th><th>kind</th><th>count</th><th>rule</th><th>example customers</th></tr>\n",
        );
    }
    for g in groups.into_iter().take(TOP_GROUPS) {
        let rule = g.rule.as_ref().map_or("-".to_string(), |r| {
            format!(
                "<code>{}:{}</code> <code>{}</code>",
                escape(r.file.as_deref().unwrap_or(input.policy_name)),
                r.line,
                escape(&r.text)
            )
        });
        let mut examples: Vec<&str> = Vec::new();
        for f in &report.findings {
            if f.kind == g.kind && f.level == g.level && f.rule == g.rule {
                if let Some(c) = f.customer.as_deref() {
                    if !examples.contains(&c) {
                        examples.push(c);
                    }
                }
            }
            if examples.len() >= EXAMPLES {
                break;
            }
        }
        let examples: Vec<String> = examples
            .iter()
            .map(|c| format!("<code class=\"customer\">{}</code>", escape(c)))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><span class=\"dot {}\"></span>{}</td><td class=\"kind\">{}</td><td class=\"n\">{}</td>\
             <td>{rule}</td><td>{}</td></tr>",
            g.level,
            g.level,
            g.kind,
            g.count,
            examples.join(" ")
        );
    }
    if !report.finding_groups.is_empty() {
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

fn escalations(out: &mut String, report: &Report) {
    out.push_str("<section id=\"escalations\">\n<h2>Escalations by team</h2>\n");
    let mut teams: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    for e in &report.escalations {
        let slot = teams.entry(e.recipient.as_str()).or_default();
        slot[e.severity as usize] += 1;
    }
    if teams.is_empty() {
        let _ = writeln!(
            out,
            "<p>{} escalations fired.</p>",
            report.escalations_fired
        );
    } else {
        out.push_str("<table>\n<tr><th>team</th><th>red</th><th>yellow</th><th>info</th></tr>\n");
        for (team, [info, yellow, red]) in teams {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{red}</td><td class=\"n\">{yellow}</td><td class=\"n\">{info}</td></tr>",
                escape(team)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

fn data_quality(out: &mut String, report: &Report) {
    let i = &report.input;
    let _ = writeln!(
        out,
        "<section id=\"data-quality\">\n<h2>Data quality</h2>\n<table>\n<tr><th>events read</th><td class=\"n\">{}</td></tr>\n\
         <tr><th>matching no step</th><td class=\"n\">{}</td></tr>\n<tr><th>late</th><td class=\"n\">{}</td></tr>\n\
         <tr><th>duplicate</th><td class=\"n\">{}</td></tr>\n<tr><th>records rejected</th><td class=\"n\">{}</td></tr>\n\
         <tr><th>outside the journeys' segments</th><td class=\"n\">{}</td></tr>\n</table>",
        i.events, i.unmapped, i.late, i.duplicates, i.rejected, i.out_of_segment
    );
    if !report.unmapped.is_empty() {
        let mut names: Vec<(&String, &u64)> = report.unmapped.iter().collect();
        names.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        out.push_str("<h3>Event names matching no step</h3>\n<table>\n");
        for (name, n) in names.into_iter().take(10) {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"n\">{n}</td></tr>",
                escape(name)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

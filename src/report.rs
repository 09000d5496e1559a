//! Stage `report`: renderings of one [`Report`]. Text for a person (summary
//! first, then findings grouped by rule with the policy line quoted); JSON comes
//! from serde directly; NDJSON ends with [`summary_line`]; one self-contained
//! HTML page with the journey maps ([`render_html`]). The CI formats, SARIF
//! ([`render_sarif`]) and GitHub workflow commands ([`render_github`]), render
//! the findings of a report, the failed tests of `cxl test` or the diagnostics
//! of `cxl check` alike, from one list of [`annotation::Annotation`]s.

pub mod annotation;
mod github;
mod html;
mod sarif;

pub use github::render_github;
pub use html::{render_html, HtmlInput};
pub use sarif::{render_sarif, SARIF_SCHEMA};

use crate::eval::{EscalationRecord, Evidence, Finding, Health, Report};
use std::fmt::Write;

/// What the text rendering needs beyond the report.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions<'a> {
    /// The policy's file name, for `file:line` references.
    pub policy_name: &'a str,
    /// The log's name.
    pub log_name: &'a str,
    /// Print rule, anchor, deadline and evidence under each finding.
    pub explain: bool,
    /// Findings shown per group.
    pub show: usize,
}

/// The report as text for a person.
///
/// A run with [`Report::problems`] says so on its first lines and its last,
/// where a person (or a log's tail) cannot miss it.
pub fn render_text(report: &Report, options: &TextOptions<'_>) -> String {
    let mut out = String::new();
    problems(&mut out, report);
    header(&mut out, report, options);
    journeys(&mut out, report);
    steps(&mut out, report);
    findings(&mut out, report, options);
    escalations(&mut out, report, options);
    verdict(&mut out, report);
    out
}

/// The word a run with problems is flagged with.
fn headline(report: &Report) -> &'static str {
    if report.judged {
        "PARTLY JUDGED"
    } else {
        "NOTHING JUDGED"
    }
}

/// One line per problem, first of all.
fn problems(out: &mut String, report: &Report) {
    for problem in &report.problems {
        let _ = writeln!(
            out,
            "{}: {}",
            headline(report),
            problem.message(&report.input)
        );
    }
}

/// The last line of a run with problems: whatever the findings say, it is no
/// evidence that all is well.
fn verdict(out: &mut String, report: &Report) {
    if report.problems.is_empty() {
        return;
    }
    let what = if report.judged {
        "most of the input was not judged"
    } else {
        "no journey instance was judged"
    };
    let _ = writeln!(
        out,
        "\n{}: {what}; this report is no evidence that all is well",
        headline(report)
    );
}

/// The last line of NDJSON output: the summary without the findings and
/// escalations, which went out as records of their own (see
/// [`escalation_line`]); `escalations_fired` counts the latter.
pub fn summary_line(report: &Report) -> serde_json::Result<String> {
    let mut value = serde_json::to_value(report)?;
    if let Some(map) = value.as_object_mut() {
        map.remove("findings");
        map.remove("escalations");
        map.insert("summary".into(), serde_json::Value::Bool(true));
    }
    serde_json::to_string(&value)
}

/// An escalation as an NDJSON record among the findings: the record with
/// `"kind": "escalation"` first, as a finding's line starts with its kind.
pub fn escalation_line(record: &EscalationRecord) -> serde_json::Result<String> {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        kind: &'static str,
        #[serde(flatten)]
        record: &'a EscalationRecord,
    }
    serde_json::to_string(&Line {
        kind: "escalation",
        record,
    })
}

/// `--format json`, written as the run goes: the document opens with its
/// `findings`, each written as it is decided ([`json_item`]), then its
/// `escalations`, then the summary ([`json_summary`]). The key order is
/// `findings`, `escalations`, then the summary's keys in [`Report`]'s order;
/// the layout is serde_json's pretty one, so the whole reads as if printed at
/// once. The document's first bytes.
pub const JSON_OPEN: &str = "{\n  \"findings\": [";

/// One finding or escalation of a [`JSON_OPEN`] document, as an array item:
/// after `[` or the item before it (`first` says which), indented as serde's
/// pretty printer indents an array inside the top-level object.
pub fn json_item(value: &impl serde::Serialize, first: bool) -> serde_json::Result<String> {
    let pretty = serde_json::to_string_pretty(value)?;
    let sep = if first { "" } else { "," };
    Ok(format!("{sep}\n    {}", pretty.replace('\n', "\n    ")))
}

/// What closes an array of [`json_item`]s: `]` on a line of its own, or
/// straight after `[` when it had none.
pub fn json_array_end(items: u64) -> &'static str {
    if items == 0 {
        "]"
    } else {
        "\n  ]"
    }
}

/// The rest of a [`JSON_OPEN`] document after its `findings` array: the
/// `escalations` key (whose items follow), then, from [`json_summary`], the
/// summary.
pub const JSON_ESCALATIONS: &str = ",\n  \"escalations\": [";

/// The end of a [`JSON_OPEN`] document after its `escalations` array: every
/// key of the report but `findings` and `escalations`, in the report's order,
/// and the closing brace.
pub fn json_summary(report: &Report) -> serde_json::Result<String> {
    let pretty = serde_json::to_string_pretty(report)?;
    let members: Vec<&str> = top_level_members(&pretty)
        .into_iter()
        .filter(|m| !m.starts_with("  \"findings\":") && !m.starts_with("  \"escalations\":"))
        .collect();
    Ok(format!(",\n{}\n}}\n", members.join(",\n")))
}

/// The members of a pretty-printed JSON object, each as printed (indented,
/// without the comma after it). In serde's pretty layout a member of the
/// top-level object starts a line with two spaces and a quote; anything
/// nested is indented further, and no string holds a raw newline.
fn top_level_members(pretty: &str) -> Vec<&str> {
    let body = pretty
        .strip_prefix("{\n")
        .and_then(|b| b.strip_suffix("\n}"))
        .unwrap_or("");
    let mut starts: Vec<usize> = body.match_indices("\n  \"").map(|(at, _)| at + 1).collect();
    starts.insert(0, 0);
    starts
        .iter()
        .zip(starts.iter().skip(1).chain([&(body.len() + 1)]))
        .filter_map(|(&start, &next)| body.get(start..next - 1))
        .map(|m| m.strip_suffix(',').unwrap_or(m))
        .filter(|m| !m.is_empty())
        .collect()
}

fn header(out: &mut String, report: &Report, options: &TextOptions<'_>) {
    let i = &report.input;
    let _ = writeln!(
        out,
        "cxl eval {} on {} (as of {})",
        options.policy_name, options.log_name, report.as_of
    );
    let _ = writeln!(
        out,
        "input: {} events; {} unmapped, {} late, {} duplicate, {} rejected, {} outside the journeys' segments",
        i.events, i.unmapped, i.late, i.duplicates, i.rejected, i.out_of_segment
    );
}

fn journeys(out: &mut String, report: &Report) {
    let _ = writeln!(out, "\njourneys");
    let mut rows = vec![row(&[
        "journey",
        "entered",
        "goal",
        "fit",
        "unfit",
        "incomplete",
        "conformance",
        "fitness",
        "median to goal",
        "abandoned",
        "open",
    ])];
    for j in &report.journeys {
        rows.push(vec![
            j.journey.clone(),
            j.entered.to_string(),
            j.reached_goal.to_string(),
            j.fit.to_string(),
            j.unfit.to_string(),
            j.incomplete.to_string(),
            // No instance judged: no figure, rather than a 100% nobody earned.
            j.conformance.map_or("-".into(), |c| format!("{c:.1}%")),
            // The mean fitness of the optimal alignments; none when off.
            j.alignment
                .as_ref()
                .map_or("-".into(), |a| format!("{:.3}", a.fitness_mean)),
            j.median_seconds_to_goal.map_or("-".into(), |s| {
                crate::events::time::human_duration(s as i64)
            }),
            j.abandoned.to_string(),
            j.open.to_string(),
        ]);
    }
    table(out, &rows);
}

fn steps(out: &mut String, report: &Report) {
    let _ = writeln!(out, "\nsteps");
    let mut rows = vec![row(&[
        "journey", "stage", "step", "visits", "yellow", "red", "health",
    ])];
    for s in &report.steps {
        let step = if s.backstage {
            format!("{} (backstage)", s.step)
        } else {
            s.step.clone()
        };
        rows.push(vec![
            s.journey.clone(),
            s.stage.clone().unwrap_or_else(|| "-".into()),
            step,
            s.visits.to_string(),
            s.yellow.to_string(),
            s.red.to_string(),
            health(s.health).into(),
        ]);
    }
    table(out, &rows);
}

fn health(h: Health) -> &'static str {
    match h {
        Health::None => "-",
        Health::Green => "green",
        Health::Yellow => "YELLOW",
        Health::Red => "RED",
    }
}

/// Findings grouped by kind and rule, most serious groups first.
fn findings(out: &mut String, report: &Report, options: &TextOptions<'_>) {
    let counts: Vec<String> = report
        .level_counts
        .iter()
        .rev()
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    let _ = writeln!(
        out,
        "\nfindings: {}",
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    );
    for group in &report.finding_groups {
        let place = match &group.rule {
            Some(rule) => format!(
                "  {}:{}  {}",
                rule.file.as_deref().unwrap_or(options.policy_name),
                rule.line,
                rule_text(rule)
            ),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {} x{}{place}",
            group.level, group.kind, group.count
        );
        let members = report
            .findings
            .iter()
            .filter(|f| f.kind == group.kind && f.level == group.level && f.rule == group.rule);
        let mut shown = 0u64;
        for f in members.take(options.show) {
            finding_line(out, f, options.explain);
            shown += 1;
        }
        if group.count > shown {
            let _ = writeln!(out, "      ... and {} more", group.count - shown);
        }
    }
}

/// A group's rule as its header quotes it: a long rule (a journey's `path`)
/// is cut at a word, as the line above the findings is for finding the rule;
/// `--explain` and JSON give it whole.
fn rule_text(rule: &crate::compile::RuleSource) -> String {
    const LONGEST: usize = 80;
    let text = match rule.text.char_indices().nth(LONGEST) {
        Some((cut, _)) => {
            let head = &rule.text[..cut];
            format!(
                "{} …",
                head.rsplit_once(' ').map_or(head, |(words, _)| words)
            )
        }
        None => rule.text.clone(),
    };
    match rule.set.as_ref().map(|s| (s, rule.module.as_deref())) {
        Some((set, Some(module))) => format!("`{text}` (from `{set}` in {module})"),
        Some((set, None)) => format!("`{text}` (from `{set}`)"),
        None => format!("`{text}`"),
    }
}

fn finding_line(out: &mut String, f: &Finding, explain: bool) {
    let who = match (&f.customer, &f.journey, f.instance) {
        (Some(c), Some(j), Some(i)) => format!("{c} {j}#{i}"),
        (Some(c), _, _) => c.clone(),
        _ => String::new(),
    };
    let _ = writeln!(out, "      {}  {who}  {}", f.time, f.message);
    if !explain {
        return;
    }
    if let Some(rule) = &f.rule {
        let _ = writeln!(out, "        rule: {}: {}", rule_line(rule), rule.text);
    }
    // In the order they happened: the anchor (with its event when that is
    // among the evidence, so it is said once), the deadline, the other evidence.
    let is_anchor = |e: &Evidence| e.role == "anchor" && Some(e.time) == f.anchor;
    match (f.anchor, f.evidence.iter().find(|e| is_anchor(e))) {
        (_, Some(e)) => evidence_line(out, e),
        (Some(anchor), None) => {
            let _ = writeln!(out, "        anchor: {anchor}");
        }
        (None, None) => {}
    }
    if let Some(deadline) = f.deadline {
        let _ = writeln!(out, "        deadline: {deadline} (inclusive)");
    }
    for e in f.evidence.iter().filter(|e| !is_anchor(e)) {
        evidence_line(out, e);
    }
}

/// One event of a finding's evidence, with its role and input line.
fn evidence_line(out: &mut String, e: &Evidence) {
    let at = if e.line > 0 {
        format!(" (line {})", e.line)
    } else {
        String::new()
    };
    let _ = writeln!(out, "        {}: `{}` at {}{at}", e.role, e.event, e.time);
}

fn escalations(out: &mut String, report: &Report, options: &TextOptions<'_>) {
    // Counted in full; the report may keep only the first (see `Retention`).
    let fired = report.escalations_fired;
    let _ = writeln!(out, "\nescalations: {fired}");
    let show = options.show.max(1) * crate::eval::ESCALATIONS_PER_GROUP;
    for e in report.escalations.iter().take(show) {
        let who = match (&e.customer, &e.journey, e.instance, &e.step) {
            (Some(c), Some(j), Some(i), _) => format!("{c} {j}#{i}"),
            (_, Some(j), _, Some(s)) => format!("{j}.{s}"),
            _ => String::new(),
        };
        let by = e
            .respond_by
            .map_or(String::new(), |t| format!(", respond by {t}"));
        let _ = writeln!(
            out,
            "  {}  {} tier {} -> \"{}\" ({}{by})  {who}: {}",
            e.time, e.escalation, e.tier, e.recipient, e.severity, e.reason
        );
        if options.explain {
            escalation_explained(out, e);
        }
    }
    let shown = report.escalations.len().min(show) as u64;
    if fired > shown {
        let _ = writeln!(out, "  ... and {} more", fired - shown);
    }
}

/// Where a rule is written: `line 12`, or `segments.cxl line 12` in a policy
/// of several files.
fn rule_line(rule: &crate::compile::RuleSource) -> String {
    match &rule.file {
        Some(file) => format!("{file} line {}", rule.line),
        None => format!("line {}", rule.line),
    }
}

/// Under an escalation with `--explain`: its rule, and the finding it fired on.
fn escalation_explained(out: &mut String, e: &EscalationRecord) {
    let _ = writeln!(out, "    rule: {}: {}", rule_line(&e.rule), e.rule.text);
    if let Some(f) = &e.finding {
        let at = match (&e.journey, &f.step) {
            (Some(j), Some(s)) => format!(" at {j}.{s}"),
            _ => String::new(),
        };
        let _ = writeln!(out, "    fired on: `{}`{at}, {}", f.kind, f.time);
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// Left-aligned columns, two spaces apart.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::RuleSource;

    fn quoted(text: &str) -> String {
        let rule = RuleSource {
            span: crate::diagnostic::Span::new(0, text.len()),
            file: None,
            line: 1,
            text: text.to_string(),
            set: None,
            module: None,
        };
        rule_text(&rule)
    }

    #[test]
    fn a_long_rule_is_cut_at_a_word_in_a_group_header() {
        assert_eq!(quoted("within 1h after report"), "`within 1h after report`");
        let clause = "asks_once account_number, date_of_birth, security_answer else red";
        assert_eq!(quoted(clause), format!("`{clause}`"), "a clause fits");
        let path = "path report_claim -> acknowledge -> (appraise & request_docs{0,2}) -> decide -> settled";
        assert_eq!(
            quoted(path),
            "`path report_claim -> acknowledge -> (appraise & request_docs{0,2}) -> decide -> …`"
        );
        // Counted in characters, not bytes: no cut inside one.
        let wide = "é".repeat(90);
        assert_eq!(quoted(&wide), format!("`{} …`", "é".repeat(80)));
    }
}

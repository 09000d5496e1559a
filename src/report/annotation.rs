//! What the CI formats ([`super::render_sarif`], [`super::render_github`]) render: one list of
//! [`Annotation`]s, each a rule's result at a place in a file, made from the
//! diagnostics of `check`, the failed tests of `test` or the findings of `eval`,
//! and the [`Rule`]s they come from (the one table of diagnostic codes, the
//! finding kinds, a failed test).

use crate::diagnostic::{Code, Diagnostic, LineIndex, Sources, Span};
use crate::eval::{Finding, FindingKind, Level as FindingLevel};
use crate::scenario::TestResult;
use serde_json::{Map, Value};

/// How serious an annotation is, in the three levels SARIF and GitHub share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Informational (`note` in SARIF, `notice` on GitHub).
    Note,
    /// A warning.
    Warning,
    /// An error.
    Error,
}

impl From<crate::diagnostic::Level> for Severity {
    fn from(level: crate::diagnostic::Level) -> Severity {
        match level {
            crate::diagnostic::Level::Warning => Severity::Warning,
            crate::diagnostic::Level::Error => Severity::Error,
        }
    }
}

impl From<FindingLevel> for Severity {
    fn from(level: FindingLevel) -> Severity {
        match level {
            FindingLevel::Info => Severity::Note,
            FindingLevel::Yellow => Severity::Warning,
            FindingLevel::Red => Severity::Error,
        }
    }
}

/// A range of lines and columns, 1-based; columns count characters, and the end
/// column is the one after the last character (SARIF's convention). Columns are
/// absent when only the line is known (a line of a log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First line.
    pub start_line: usize,
    /// First column, if known.
    pub start_column: Option<usize>,
    /// Last line.
    pub end_line: usize,
    /// The column after the last character, if known.
    pub end_column: Option<usize>,
}

impl Region {
    /// The region of byte span `span` in `text`, whose lines `lines` indexes. A
    /// span past the end (an error at end of input) is pulled back inside.
    pub fn of(span: Span, text: &str, lines: &LineIndex) -> Region {
        let start = span.start.min(text.len());
        let end = span.end.min(text.len()).max(start);
        let (start_line, start_column) = lines.line_col(text, start);
        let (end_line, end_column) = lines.line_col(text, end);
        Region {
            start_line,
            start_column: Some(start_column),
            end_line,
            end_column: Some(end_column),
        }
    }

    /// One whole line.
    pub fn line(line: usize) -> Region {
        Region {
            start_line: line,
            start_column: None,
            end_line: line,
            end_column: None,
        }
    }
}

/// A place in a file, with what to say there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file's path as the user gave it.
    pub file: String,
    /// Where in it; `None` for the file as a whole.
    pub region: Option<Region>,
    /// What to say there (may be empty).
    pub message: String,
}

/// One result: a rule that found something, where, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// The rule's id: a diagnostic code, a finding kind, `test_failed`.
    pub rule: String,
    /// How serious.
    pub severity: Severity,
    /// What happened; may run over several lines.
    pub message: String,
    /// Where; `None` when it is about no place in a file.
    pub location: Option<Location>,
    /// Related places ("first defined here").
    pub related: Vec<Location>,
    /// Facts beside the message (a finding's customer, journey, time).
    pub properties: Map<String, Value>,
}

/// A rule results come from, for the list a SARIF run starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its id, as [`Annotation::rule`] names it.
    pub id: String,
    /// What it means, in one line.
    pub summary: String,
    /// Where to read more.
    pub help: String,
    /// The severity of its results unless a result says otherwise.
    pub severity: Severity,
}

/// The rule id of a failed inline test.
pub const TEST_FAILED: &str = "test_failed";

/// Every diagnostic code, as rules: the one table of codes.
pub fn diagnostic_rules() -> Vec<Rule> {
    Code::ALL
        .iter()
        .map(|&code| Rule {
            id: code.as_str().to_string(),
            summary: code.summary().to_string(),
            help: format!(
                "{code}: {}. See the table of diagnostic codes in docs/language.md, section 13.",
                code.summary()
            ),
            severity: code.level().into(),
        })
        .collect()
}

/// The rules of `cxl test`: every diagnostic code, and a failed test.
pub fn test_rules() -> Vec<Rule> {
    let mut rules = diagnostic_rules();
    rules.push(Rule {
        id: TEST_FAILED.to_string(),
        summary: "an inline test's expectations did not hold".to_string(),
        help: "An `expect` line of a `test` block did not hold when `cxl test` played its \
               scenario. See docs/language.md, section 9."
            .to_string(),
        severity: Severity::Error,
    });
    rules
}

/// Every finding kind, as rules.
pub fn finding_rules() -> Vec<Rule> {
    FindingKind::ALL
        .iter()
        .map(|&kind| Rule {
            id: kind.as_str().to_string(),
            summary: kind.summary().to_string(),
            help: format!(
                "`{kind}`: {}. See the findings in docs/language.md, section 10.",
                kind.summary()
            ),
            // The rule that produced a finding sets its level; red is the default.
            severity: match kind.category() {
                crate::eval::Category::DataQuality => Severity::Warning,
                _ => Severity::Error,
            },
        })
        .collect()
}

/// Where spans of a policy are: its files, each with its lines indexed once.
struct Places<'a> {
    sources: &'a Sources,
    lines: Vec<LineIndex>,
}

impl<'a> Places<'a> {
    fn new(sources: &'a Sources) -> Self {
        let lines = (0..sources.files().len())
            .map(|i| LineIndex::new(sources.file_text(i)))
            .collect();
        Places { sources, lines }
    }

    /// `span` in the file it is in, with `message`.
    fn at(&self, span: Span, message: &str) -> Location {
        let index = self.sources.index_of(span.start);
        let (file, region) = match (self.sources.locate(span), self.lines.get(index)) {
            (Some((file, local)), Some(lines)) => (
                file.name.clone(),
                Some(Region::of(local, self.sources.file_text(index), lines)),
            ),
            _ => (String::new(), None),
        };
        Location {
            file,
            region,
            message: message.to_string(),
        }
    }
}

/// The diagnostics of a policy, each at its primary label in the file that
/// label is in, its other labels related places in theirs.
pub fn from_diagnostics(diagnostics: &[Diagnostic], sources: &Sources) -> Vec<Annotation> {
    let places = Places::new(sources);
    let whole = || Location {
        file: sources
            .files()
            .first()
            .map_or(String::new(), |f| f.name.clone()),
        region: None,
        message: String::new(),
    };
    diagnostics
        .iter()
        .map(|d| {
            let primary = d.labels.iter().find(|l| l.primary);
            let message = match &d.help {
                Some(help) => format!("{}\nhelp: {help}", d.message),
                None => d.message.clone(),
            };
            Annotation {
                rule: d.code.as_str().to_string(),
                severity: d.level.into(),
                message,
                location: Some(primary.map_or_else(whole, |l| places.at(l.span, &l.message))),
                related: d
                    .labels
                    .iter()
                    .filter(|l| !l.primary)
                    .map(|l| places.at(l.span, &l.message))
                    .collect(),
                properties: Map::new(),
            }
        })
        .collect()
}

/// The failed tests of a policy, each at the test's declaration in its file,
/// its message the failures with what happened instead.
pub fn from_tests<'a>(
    results: impl IntoIterator<Item = &'a TestResult>,
    sources: &Sources,
) -> Vec<Annotation> {
    let places = Places::new(sources);
    results
        .into_iter()
        .filter(|r| !r.passed())
        .map(|r| {
            let mut message = format!("test `{}` failed", r.name);
            for failure in &r.failures {
                message.push_str(&format!("\n{failure}"));
                for line in &failure.context {
                    message.push_str(&format!("\n  {line}"));
                }
            }
            Annotation {
                rule: TEST_FAILED.to_string(),
                severity: Severity::Error,
                message,
                location: Some(places.at(r.span, "")),
                related: Vec::new(),
                properties: Map::new(),
            }
        })
        .collect()
}

/// The files a finding can point into: the policy's (at a rule's span) and the
/// log (at an evidence line, for findings no rule made).
#[derive(Debug, Clone, Copy)]
pub struct FindingFiles<'a> {
    /// The policy's files.
    pub policy: &'a Sources,
    /// The log's name as given.
    pub log: &'a str,
}

/// Findings of `cxl eval`: each at the span of the rule that produced it, or,
/// for a finding about the input, at its line of the log.
pub fn from_findings(findings: &[Finding], files: FindingFiles<'_>) -> Vec<Annotation> {
    let places = Places::new(files.policy);
    findings
        .iter()
        .map(|f| {
            // The latest event of the evidence read from a file: the one that decided.
            let log_line = f
                .evidence
                .iter()
                .filter(|e| e.line > 0)
                .max_by_key(|e| (e.time, e.line))
                .map(|e| e.line);
            let location = match (&f.rule, log_line) {
                (Some(rule), _) => Some(places.at(rule.span, &rule.text)),
                (None, Some(line)) => Some(Location {
                    file: files.log.to_string(),
                    region: Some(Region::line(usize::try_from(line).unwrap_or(usize::MAX))),
                    message: String::new(),
                }),
                (None, None) => None,
            };
            Annotation {
                rule: f.kind.as_str().to_string(),
                severity: f.level.into(),
                message: match who(f) {
                    Some(who) => format!("{} ({who}, {})", f.message, f.time),
                    None => f.message.clone(),
                },
                location,
                related: Vec::new(),
                properties: finding_properties(f, files.log, log_line),
            }
        })
        .collect()
}

/// Whose journey a finding is about, as the text report says it: `c3 claim#1`.
fn who(f: &Finding) -> Option<String> {
    match (&f.customer, &f.journey, f.instance) {
        (Some(c), Some(j), Some(i)) => Some(format!("{c} {j}#{i}")),
        (Some(c), _, _) => Some(c.clone()),
        _ => None,
    }
}

/// Who, where and when of a finding, for the annotation's properties.
fn finding_properties(f: &Finding, log: &str, log_line: Option<u64>) -> Map<String, Value> {
    let mut properties = Map::new();
    let mut put = |key: &str, value: Value| {
        properties.insert(key.to_string(), value);
    };
    if let Some(customer) = &f.customer {
        put("customer", customer.as_str().into());
    }
    if let Some(journey) = &f.journey {
        put("journey", journey.as_str().into());
    }
    if let Some(instance) = f.instance {
        put("instance", instance.into());
    }
    if let Some(step) = &f.step {
        put("step", step.as_str().into());
    }
    put("time", f.time.to_string().into());
    put("log", log.into());
    if let Some(line) = log_line {
        put("logLine", line.into());
    }
    properties
}

//! The one diagnostic type every stage reports problems with, its stable codes,
//! and its renderings (human, via miette, and JSON).
//!
//! A stage never stops at its first problem: it returns a `Vec<Diagnostic>`, and the
//! caller decides how to show them. Messages follow Cedar's rules: lowercase, no
//! final period, the user's names in backticks, one line; the why goes in `help`.

mod files;
mod levels;
mod source;
mod span;

pub use files::{Lines, SourceFile, Sources};
pub use levels::{Levels, LevelsError};
use serde::Serialize;
use source::SourceText;
pub use span::Span;
use std::fmt;
use std::sync::Arc;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth a look; the policy still compiles.
    Warning,
    /// The policy cannot be compiled.
    Error,
}

/// A stable diagnostic code. Codes are grouped by stage: `E01xx` syntax, `E02xx`
/// names, `E03xx` types, `E04xx`/`W04xx` journey lints, `E07xx` compile limits.
/// Each is documented in `docs/language.md`; a code is never reused for another meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// E0101: the text does not follow the grammar.
    Syntax,
    /// E0102: a string literal is never closed.
    UnterminatedString,
    /// E0103: a `{` is never closed, or a `}` closes nothing.
    UnbalancedBrace,
    /// E0104: a duration literal is malformed (unknown unit, overflow).
    InvalidDuration,
    /// E0105: a number literal is malformed or too large.
    InvalidNumber,
    /// E0106: a timestamp literal is malformed.
    InvalidTimestamp,
    /// E0107: repetition bounds are backwards or too large (`{3,1}`).
    InvalidRepetition,
    /// E0108: a character that cannot start any token.
    UnexpectedCharacter,
    /// E0109: an expression or path nested deeper than the parser allows.
    NestingTooDeep,
    /// E0201: a segment name that is not declared.
    UnknownSegment,
    /// E0202: a journey name that is not declared.
    UnknownJourney,
    /// E0203: a step name that is not declared in the journey.
    UnknownStep,
    /// E0204: an expectation set that is not declared.
    UnknownExpectationSet,
    /// E0205: a `use` of a module that does not exist.
    UnknownModule,
    /// E0206: a metric that is not declared.
    UnknownMetric,
    /// E0207: a name declared twice in the same namespace.
    DuplicateName,
    /// E0208: a function that does not exist in conditions.
    UnknownFunction,
    /// E0209: a test refers to a customer it does not declare.
    UnknownCustomer,
    /// E0210: a test refers to an escalation that is not declared.
    UnknownEscalation,
    /// E0211: a clause that may appear once appears twice (two `goal`s).
    DuplicateClause,
    /// E0212: a clause that is required is missing (a journey with no `path`).
    MissingClause,
    /// E0213: a `source` setting that does not exist.
    UnknownSetting,
    /// E0214: a `source` setting with a value it cannot take.
    InvalidSetting,
    /// E0215: a policy file that `use`s itself, through the files it uses.
    UseCycle,
    /// E0216: a `use`d policy file that cannot be read.
    UnreadableFile,
    /// E0301: two sides of a comparison have types that cannot be compared.
    TypeMismatch,
    /// E0302: a condition that is not true/false.
    NotBoolean,
    /// E0303: a function called with the wrong number or kind of arguments.
    BadArgument,
    /// E0304: one attribute used as two different types.
    ConflictingAttributeType,
    /// E0305: a value outside its allowed range (a metric's range, a percentage over 100).
    OutOfRange,
    /// W0401: a step declared but never used in the journey's `path`.
    StepNotInPath,
    /// E0402: the goal cannot be reached by any path.
    GoalUnreachable,
    /// W0403: a step from which no path reaches the journey's goal.
    DeadEndStep,
    /// E0404: a time limit anchored to a step that can never come before its target.
    AnchorNeverPrecedes,
    /// E0405: thresholds that contradict each other, so one can never be met.
    ContradictoryThresholds,
    /// E0406: an escalation that notifies nobody.
    NoRecipient,
    /// W0407: a warning time at or after the time limit, so it never warns.
    WarningNeverFires,
    /// W0408: a journey with no `goal`.
    NoGoal,
    /// W0409: a segment that no journey or rule uses.
    UnusedSegment,
    /// W0410: a `# cxl: allow(...)` comment that silences nothing.
    UnusedSuppression,
    /// E0701: a path expands to more graph nodes than the compiler allows.
    PathTooLarge,
}

impl Code {
    /// Every code, in order.
    pub const ALL: &'static [Code] = &[
        Code::Syntax,
        Code::UnterminatedString,
        Code::UnbalancedBrace,
        Code::InvalidDuration,
        Code::InvalidNumber,
        Code::InvalidTimestamp,
        Code::InvalidRepetition,
        Code::UnexpectedCharacter,
        Code::NestingTooDeep,
        Code::UnknownSegment,
        Code::UnknownJourney,
        Code::UnknownStep,
        Code::UnknownExpectationSet,
        Code::UnknownModule,
        Code::UnknownMetric,
        Code::DuplicateName,
        Code::UnknownFunction,
        Code::UnknownCustomer,
        Code::UnknownEscalation,
        Code::DuplicateClause,
        Code::MissingClause,
        Code::UnknownSetting,
        Code::InvalidSetting,
        Code::UseCycle,
        Code::UnreadableFile,
        Code::TypeMismatch,
        Code::NotBoolean,
        Code::BadArgument,
        Code::ConflictingAttributeType,
        Code::OutOfRange,
        Code::StepNotInPath,
        Code::GoalUnreachable,
        Code::DeadEndStep,
        Code::AnchorNeverPrecedes,
        Code::ContradictoryThresholds,
        Code::NoRecipient,
        Code::WarningNeverFires,
        Code::NoGoal,
        Code::UnusedSegment,
        Code::UnusedSuppression,
        Code::PathTooLarge,
    ];

    /// The stable code, e.g. `E0101`.
    pub fn as_str(self) -> &'static str {
        self.entry().0
    }

    /// What the code means, in one line (for rule lists such as SARIF's).
    pub fn summary(self) -> &'static str {
        self.entry().1
    }

    /// The one table of codes: the stable code and what it means.
    fn entry(self) -> (&'static str, &'static str) {
        match self {
            Code::Syntax => ("E0101", "the text does not follow the grammar"),
            Code::UnterminatedString => ("E0102", "a string literal is never closed"),
            Code::UnbalancedBrace => ("E0103", "a `{` is never closed, or a `}` closes nothing"),
            Code::InvalidDuration => (
                "E0104",
                "a duration literal is malformed (unknown unit, overflow)",
            ),
            Code::InvalidNumber => ("E0105", "a number literal is malformed or too large"),
            Code::InvalidTimestamp => ("E0106", "a timestamp literal is malformed"),
            Code::InvalidRepetition => (
                "E0107",
                "repetition bounds are backwards or too large (`{3,1}`)",
            ),
            Code::UnexpectedCharacter => ("E0108", "a character that cannot start any token"),
            Code::NestingTooDeep => (
                "E0109",
                "an expression or path nested deeper than the parser allows",
            ),
            Code::UnknownSegment => ("E0201", "a segment name that is not declared"),
            Code::UnknownJourney => ("E0202", "a journey name that is not declared"),
            Code::UnknownStep => ("E0203", "a step name that is not declared in the journey"),
            Code::UnknownExpectationSet => ("E0204", "an expectation set that is not declared"),
            Code::UnknownModule => ("E0205", "a `use` of a module that does not exist"),
            Code::UnknownMetric => ("E0206", "a metric that is not declared"),
            Code::DuplicateName => ("E0207", "a name declared twice in the same namespace"),
            Code::UnknownFunction => ("E0208", "a function that does not exist in conditions"),
            Code::UnknownCustomer => ("E0209", "a test refers to a customer it does not declare"),
            Code::UnknownEscalation => (
                "E0210",
                "a test refers to an escalation that is not declared",
            ),
            Code::DuplicateClause => (
                "E0211",
                "a clause that may appear once appears twice (two `goal`s)",
            ),
            Code::MissingClause => (
                "E0212",
                "a clause that is required is missing (a journey with no `path`)",
            ),
            Code::UnknownSetting => ("E0213", "a `source` setting that does not exist"),
            Code::InvalidSetting => ("E0214", "a `source` setting with a value it cannot take"),
            Code::UseCycle => (
                "E0215",
                "a policy file that `use`s itself, through the files it uses",
            ),
            Code::UnreadableFile => ("E0216", "a `use`d policy file that cannot be read"),
            Code::TypeMismatch => (
                "E0301",
                "two sides of a comparison have types that cannot be compared",
            ),
            Code::NotBoolean => ("E0302", "a condition that is not true/false"),
            Code::BadArgument => (
                "E0303",
                "a function called with the wrong number or kind of arguments",
            ),
            Code::ConflictingAttributeType => {
                ("E0304", "one attribute used as two different types")
            }
            Code::OutOfRange => (
                "E0305",
                "a value outside its allowed range (a metric's range, a percentage over 100)",
            ),
            Code::StepNotInPath => (
                "W0401",
                "a step declared but never used in the journey's `path`",
            ),
            Code::GoalUnreachable => ("E0402", "the goal cannot be reached by any path"),
            Code::DeadEndStep => (
                "W0403",
                "a step from which no path reaches the journey's goal",
            ),
            Code::AnchorNeverPrecedes => (
                "E0404",
                "a time limit anchored to a step that can never come before its target",
            ),
            Code::ContradictoryThresholds => (
                "E0405",
                "thresholds that contradict each other, so one can never be met",
            ),
            Code::NoRecipient => ("E0406", "an escalation that notifies nobody"),
            Code::WarningNeverFires => (
                "W0407",
                "a warning time at or after the time limit, so it never warns",
            ),
            Code::NoGoal => ("W0408", "a journey with no `goal`"),
            Code::UnusedSegment => ("W0409", "a segment that no journey or rule uses"),
            Code::UnusedSuppression => (
                "W0410",
                "a `# cxl: allow(...)` comment that silences nothing",
            ),
            Code::PathTooLarge => (
                "E0701",
                "a path expands to more graph nodes than the compiler allows",
            ),
        }
    }

    /// The code written as `text` (`W0401`), if there is one.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == text)
    }

    /// The level a diagnostic with this code has.
    pub fn level(self) -> Level {
        if self.as_str().starts_with('W') {
            Level::Warning
        } else {
            Level::Error
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A place in the source that matters to a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// True for the place the problem is; false for related places ("first defined here").
    pub primary: bool,
}

/// One problem found in a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Error or warning (follows from the code).
    pub level: Level,
    /// One lowercase line, no final period.
    pub message: String,
    /// The places that matter, the primary one first.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with `code` and `message`, its level taken from the code.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            level: code.level(),
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Add the primary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Add a secondary label: a related place.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Add help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Move every label `offset` bytes to the right.
    pub fn shift(&mut self, offset: usize) {
        for label in &mut self.labels {
            label.span = label.span.shifted(offset);
        }
    }

    /// True for errors (not warnings).
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// The span of the primary label, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// Sort diagnostics by position, then code, so output never depends on the order
/// in which checks ran.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.primary_span().map(|s| (s.start, s.end)), d.code));
}

/// "Did you mean" help: the candidate closest to `name`, if close enough to be a typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.to_string()))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// A diagnostic bound to its source text, so miette can render it. Labels in
/// other files of the policy are notes of their own, each with its own file.
#[derive(Debug)]
pub struct SourceDiagnostic {
    diagnostic: Diagnostic,
    source: Arc<SourceText>,
    related: Vec<SourceDiagnostic>,
    /// True for the places of a diagnostic in a file other than its own.
    elsewhere: bool,
}

impl SourceDiagnostic {
    /// Bind `diagnostic` to the file `name` whose text is `text`.
    pub fn new(diagnostic: Diagnostic, name: &str, text: &str) -> Self {
        SourceDiagnostic {
            diagnostic,
            source: Arc::new(SourceText::new(name, text)),
            related: Vec::new(),
            elsewhere: false,
        }
    }
}

impl fmt::Display for SourceDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for SourceDiagnostic {}

impl miette::Diagnostic for SourceDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        // A place in another file shows under its diagnostic, which has the code.
        (!self.elsewhere).then(|| Box::new(self.diagnostic.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.level {
            _ if self.elsewhere => miette::Severity::Advice,
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&*self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let len = self.source.len();
        Some(Box::new(self.diagnostic.labels.iter().map(move |l| {
            // A span past the end (an error at end of input) is pulled back inside.
            let start = l.span.start.min(len);
            let end = l.span.end.min(len).max(start);
            let span = self.source.fit_label(Span::new(start, end));
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if l.primary {
                miette::LabeledSpan::new_primary_with_span(text, span)
            } else {
                miette::LabeledSpan::new_with_span(text, span)
            }
        })))
    }
}

/// Render diagnostics of one file for a person, in the order given (see
/// [`render_human_files`]).
pub fn render_human(diagnostics: &[Diagnostic], name: &str, text: &str, color: bool) -> String {
    render_human_files(diagnostics, &Sources::single(name, text), color)
}

/// Render diagnostics for a person, in the order given, each shown in the file
/// its primary label is in, with its labels in other files of the policy
/// below it, each with its own file. `color` adds ANSI colours and unicode art;
/// without it the output is plain text fit for snapshots. Each file is indexed
/// once for all of them, so the time is linear in their number.
pub fn render_human_files(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut texts: Vec<Option<Arc<SourceText>>> = vec![None; sources.files().len()];
    let mut out = String::new();
    for diagnostic in diagnostics {
        let mut bound = bind(diagnostic, sources, &mut texts);
        // Writing to a String cannot fail.
        let _ = handler.render_report(&mut out, &bound);
        // Its places in other files follow, each as a note with its own file
        // (miette's related diagnostics would each say `Advice:` first).
        for place in std::mem::take(&mut bound.related) {
            out.push('\n');
            let _ = handler.render_report(&mut out, &place);
        }
        out.push('\n');
    }
    out
}

/// `diagnostic` with its labels moved into their files: those in the primary
/// label's file stay, those in each other file become a related diagnostic.
fn bind(
    diagnostic: &Diagnostic,
    sources: &Sources,
    texts: &mut [Option<Arc<SourceText>>],
) -> SourceDiagnostic {
    let home = diagnostic
        .primary_span()
        .or_else(|| diagnostic.labels.first().map(|l| l.span))
        .map_or(0, |s| sources.index_of(s.start));
    let mut text_of = |index: usize| -> Arc<SourceText> {
        match texts.get_mut(index) {
            Some(slot) => Arc::clone(slot.get_or_insert_with(|| {
                let name = sources.files().get(index).map_or("", |f| f.name.as_str());
                Arc::new(SourceText::new(name, sources.file_text(index)))
            })),
            None => Arc::new(SourceText::new("", "")),
        }
    };
    let mut own = Diagnostic {
        labels: Vec::new(),
        ..diagnostic.clone()
    };
    let mut others: Vec<(usize, Vec<Label>)> = Vec::new();
    for label in &diagnostic.labels {
        let index = sources.index_of(label.span.start);
        let local = sources.locate(label.span).map_or(label.span, |(_, s)| s);
        let moved = Label {
            span: local,
            ..label.clone()
        };
        if index == home {
            own.labels.push(moved);
        } else if let Some((_, labels)) = others.iter_mut().find(|(i, _)| *i == index) {
            labels.push(moved);
        } else {
            others.push((index, vec![moved]));
        }
    }
    let related = others
        .into_iter()
        .map(|(index, labels)| SourceDiagnostic {
            diagnostic: Diagnostic {
                message: format!(
                    "in `{}`",
                    sources.files().get(index).map_or("", |f| f.name.as_str())
                ),
                labels,
                help: None,
                ..diagnostic.clone()
            },
            source: text_of(index),
            related: Vec::new(),
            elsewhere: true,
        })
        .collect();
    SourceDiagnostic {
        diagnostic: own,
        source: text_of(home),
        related,
        elsewhere: false,
    }
}

/// Diagnostics of one file as JSON (see [`to_json_files`]).
pub fn to_json(diagnostics: &[Diagnostic], name: &str, text: &str) -> Vec<serde_json::Value> {
    to_json_files(diagnostics, &Sources::single(name, text))
}

/// Diagnostics as JSON, one value each: the file of the primary label, code,
/// level, message, help, and labels with their file, 1-based line and column
/// and byte offsets within that file. Each file is indexed once for all of
/// them.
pub fn to_json_files(diagnostics: &[Diagnostic], sources: &Sources) -> Vec<serde_json::Value> {
    let lines: Vec<LineIndex> = (0..sources.files().len())
        .map(|i| LineIndex::new(sources.file_text(i)))
        .collect();
    diagnostics
        .iter()
        .map(|d| one_to_json(d, sources, &lines))
        .collect()
}

fn one_to_json(
    diagnostic: &Diagnostic,
    sources: &Sources,
    lines: &[LineIndex],
) -> serde_json::Value {
    let home = diagnostic
        .primary_span()
        .or_else(|| diagnostic.labels.first().map(|l| l.span))
        .map_or(0, |s| sources.index_of(s.start));
    let name = |index: usize| sources.files().get(index).map_or("", |f| f.name.as_str());
    let labels: Vec<serde_json::Value> = diagnostic
        .labels
        .iter()
        .map(|l| {
            let index = sources.index_of(l.span.start);
            let span = sources.locate(l.span).map_or(l.span, |(_, s)| s);
            let text = sources.file_text(index);
            let (line, column) = lines
                .get(index)
                .map_or((1, 1), |lines| lines.line_col(text, span.start));
            serde_json::json!({
                "file": name(index),
                "start": span.start,
                "end": span.end,
                "line": line,
                "column": column,
                "message": l.message,
                "primary": l.primary,
            })
        })
        .collect();
    serde_json::json!({
        "file": name(home),
        "code": diagnostic.code.as_str(),
        "level": diagnostic.level,
        "message": diagnostic.message,
        "help": diagnostic.help,
        "labels": labels,
    })
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where each line of a text starts, for turning many offsets into line numbers
/// without rescanning the text each time.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the lines of `text`.
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// The 1-based line and column (in characters) of byte `offset` in `text`, the
    /// text this index was made from: [`line_col`] without reading the lines before.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = text.get(start..offset).map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// The 0-based index of the line of byte `offset`.
    fn index(&self, offset: usize) -> usize {
        self.line(offset).saturating_sub(1)
    }

    /// Where the 0-based line `line` starts, if the text has that many lines.
    fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// How many lines the text has (a final newline starts an empty last line).
    fn count(&self) -> usize {
        self.starts.len()
    }
}

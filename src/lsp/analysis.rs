//! What the server answers, computed from one document's text: diagnostics, the
//! outline, hover, definitions, references and completions. Pure functions of the
//! text and a position, so they are tested (and fuzzed) without a client.

use super::index::{Kind, NameIndex, Occurrence};
use super::position::LineIndex;
use crate::diagnostic::{Diagnostic, Level};
use crate::syntax::{self, Decl, Journey, Span, Step, StepProp};
use lsp_types::{
    CompletionItem, CompletionItemKind, DiagnosticRelatedInformation, DiagnosticSeverity,
    DocumentSymbol, Location, NumberOrString, Position, Range, SemanticToken, SymbolKind, TextEdit,
    Uri,
};

/// One document, parsed and indexed.
pub struct Analysis<'t> {
    text: &'t str,
    lines: LineIndex,
    file: syntax::PolicyFile,
    names: NameIndex,
}

/// Keywords that start a top-level declaration: the splitter's own list.
const TOP_KEYWORDS: &[&str] = crate::syntax::DECLARATION_KEYWORDS;
/// Keywords that start a clause of a journey.
const JOURNEY_KEYWORDS: &[&str] = &["for", "goal", "abandon after", "stage", "step", "path"];
/// Keywords that start a property of a step.
const STEP_KEYWORDS: &[&str] = &["via", "owner", "match", "backstage", "frontstage", "takes"];
/// Keywords that start an expectation.
const CLAUSE_KEYWORDS: &[&str] = &[
    "within",
    "warn after",
    "via",
    "asks_once",
    "attempts",
    "use",
];
/// Keywords that start a clause of an escalation.
const ESCALATE_KEYWORDS: &[&str] = &["when", "notify", "then notify"];
/// Keywords that start a line of a test.
const TEST_KEYWORDS: &[&str] = &["customer", "expect"];

impl<'t> Analysis<'t> {
    /// Parse and index `text`. Never panics, whatever the text.
    pub fn new(text: &'t str) -> Self {
        let parsed = syntax::parse(text);
        let names = NameIndex::new(&parsed.file);
        Analysis {
            text,
            lines: LineIndex::new(text),
            file: parsed.file,
            names,
        }
    }

    /// The range of a span.
    fn range(&self, span: Span) -> Range {
        self.lines.range(self.text, span)
    }

    /// The byte offset of a position.
    pub fn offset(&self, position: Position) -> usize {
        self.lines.offset(self.text, position)
    }

    /// Every diagnostic `check` gives for the text, as the protocol has them: the
    /// code, the message with the primary label's note and the help, the related
    /// places as related information in `uri`.
    pub fn diagnostics(&self, uri: &Uri) -> Vec<lsp_types::Diagnostic> {
        crate::check_source(self.text)
            .iter()
            .map(|d| self.diagnostic(uri, d))
            .collect()
    }

    fn diagnostic(&self, uri: &Uri, d: &Diagnostic) -> lsp_types::Diagnostic {
        let span = d.primary_span().unwrap_or(Span::new(0, 0));
        let mut message = d.message.clone();
        if let Some(label) = d.labels.iter().find(|l| l.primary && !l.message.is_empty()) {
            message.push_str(&format!("\n{}", label.message));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related: Vec<_> = d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .map(|l| DiagnosticRelatedInformation {
                location: Location::new(uri.clone(), self.range(l.span)),
                message: if l.message.is_empty() {
                    "related".to_string()
                } else {
                    l.message.clone()
                },
            })
            .collect();
        lsp_types::Diagnostic {
            range: self.range(span),
            severity: Some(match d.level {
                Level::Error => DiagnosticSeverity::ERROR,
                Level::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.as_str().to_string())),
            source: Some("cxl".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        }
    }

    /// The edits that put the document in `cxl fmt`'s layout: none when it already
    /// is, else one that replaces the whole text (editors reduce it to what
    /// changed). A document with syntax errors is refused, never half formatted.
    pub fn formatting(&self) -> Result<Vec<TextEdit>, crate::format::FormatError> {
        let formatted = crate::format::format(self.text)?;
        if formatted == self.text {
            return Ok(Vec::new());
        }
        let whole = self.range(Span::new(0, self.text.len()));
        Ok(vec![TextEdit::new(whole, formatted)])
    }

    /// The semantic tokens of the document, delta encoded, in the order of
    /// [`super::legend`]: each name classified by the name index.
    pub fn semantic_tokens(&self) -> Vec<SemanticToken> {
        super::tokens::semantic_tokens(self.text, &self.names, &self.lines)
    }

    /// The outline: journeys with their stages and steps, then segments, metrics,
    /// expectations, expectation sets, escalations and tests, in source order.
    pub fn symbols(&self) -> Vec<DocumentSymbol> {
        self.file
            .decls
            .iter()
            .filter_map(|decl| {
                let (name, kind, detail, children) = match decl {
                    Decl::Journey(j) => (
                        j.name.name.clone(),
                        SymbolKind::MODULE,
                        j.label.as_ref().map(|l| l.value.clone()),
                        self.journey_children(j),
                    ),
                    Decl::Segment(s) => (
                        s.name.name.clone(),
                        SymbolKind::CLASS,
                        s.label.as_ref().map(|l| l.value.clone()),
                        Vec::new(),
                    ),
                    Decl::Metric(m) => (
                        m.name.name.clone(),
                        SymbolKind::PROPERTY,
                        m.label.as_ref().map(|l| l.value.clone()),
                        Vec::new(),
                    ),
                    Decl::Expect(e) => (
                        format!("expect {}", self.slice(e.target.span)),
                        SymbolKind::EVENT,
                        None,
                        Vec::new(),
                    ),
                    Decl::ExpectationSet(s) => (
                        s.name.name.clone(),
                        SymbolKind::INTERFACE,
                        s.label.as_ref().map(|l| l.value.clone()),
                        Vec::new(),
                    ),
                    Decl::Escalate(e) => (
                        e.name.name.clone(),
                        SymbolKind::FUNCTION,
                        e.label.as_ref().map(|l| l.value.clone()),
                        Vec::new(),
                    ),
                    Decl::Test(t) => (
                        format!("test {:?}", t.name.value),
                        SymbolKind::METHOD,
                        None,
                        Vec::new(),
                    ),
                    Decl::Use(_) | Decl::Source(_) => return None,
                };
                let selection = match decl {
                    Decl::Journey(j) => j.name.span,
                    Decl::Segment(s) => s.name.span,
                    Decl::Metric(m) => m.name.span,
                    Decl::Expect(e) => e.target.span,
                    Decl::ExpectationSet(s) => s.name.span,
                    Decl::Escalate(e) => e.name.span,
                    Decl::Test(t) => t.name.span,
                    Decl::Use(u) => u.span,
                    Decl::Source(s) => s.span,
                };
                Some(self.symbol(name, kind, detail, decl.span(), selection, children))
            })
            .collect()
    }

    fn journey_children(&self, j: &Journey) -> Vec<DocumentSymbol> {
        let step = |s: &Step| {
            let detail = s.label.as_ref().map(|l| l.value.clone());
            self.symbol(
                s.name.name.clone(),
                SymbolKind::FUNCTION,
                detail,
                s.span,
                s.name.span,
                Vec::new(),
            )
        };
        j.items
            .iter()
            .filter_map(|item| match item {
                syntax::JourneyItem::Stage(stage) => Some(self.symbol(
                    stage.name.name.clone(),
                    SymbolKind::NAMESPACE,
                    stage.label.as_ref().map(|l| l.value.clone()),
                    stage.span,
                    stage.name.span,
                    stage.steps.iter().map(step).collect(),
                )),
                syntax::JourneyItem::Step(s) => Some(step(s)),
                _ => None,
            })
            .collect()
    }

    fn symbol(
        &self,
        name: String,
        kind: SymbolKind,
        detail: Option<String>,
        span: Span,
        selection: Span,
        children: Vec<DocumentSymbol>,
    ) -> DocumentSymbol {
        // The protocol requires a non-empty name.
        let name = if name.is_empty() {
            "?".to_string()
        } else {
            name
        };
        #[allow(deprecated)]
        DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: self.range(span),
            selection_range: self.range(selection),
            children: (!children.is_empty()).then_some(children),
        }
    }

    fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// The name at `position`, if any.
    fn occurrence(&self, position: Position) -> Option<&Occurrence> {
        self.names.at(self.offset(position))
    }

    /// Where the name at `position` is declared.
    pub fn definition(&self, position: Position) -> Option<Range> {
        let occurrence = self.occurrence(position)?;
        let definition = self.names.definition(occurrence)?;
        Some(self.range(definition.span))
    }

    /// Every place the name at `position` is written; its declaration only when
    /// `include_declaration`.
    pub fn references(&self, position: Position, include_declaration: bool) -> Vec<Range> {
        let Some(occurrence) = self.occurrence(position) else {
            return Vec::new();
        };
        self.names
            .references(occurrence)
            .filter(|o| include_declaration || !o.is_definition)
            .map(|o| self.range(o.span))
            .collect()
    }

    /// Markdown about the name at `position`, and the range of that name.
    pub fn hover(&self, position: Position) -> Option<(String, Range)> {
        let occurrence = self.occurrence(position)?;
        let range = self.range(occurrence.span);
        let name = occurrence.name.as_str();
        let text = match &occurrence.kind {
            Kind::Step(journey) => self.hover_step(journey, name)?,
            Kind::Stage(journey) => format!("**stage** `{name}` of journey `{journey}`"),
            Kind::Journey => {
                let j = self.journeys().find(|j| j.name.name == name)?;
                let mut out = format!("**journey** `{name}`");
                if let Some(label) = &j.label {
                    out.push_str(&format!(" — {}", label.value));
                }
                let segments: Vec<_> = j.segments().iter().map(|s| s.name.as_str()).collect();
                if !segments.is_empty() {
                    out.push_str(&format!("\n\nfor {}", segments.join(", ")));
                }
                if let Some(goal) = j.goal() {
                    out.push_str(&format!("\n\ngoal `{}`", goal.name));
                }
                out
            }
            Kind::Segment => {
                let s = self.file.decls.iter().find_map(|d| match d {
                    Decl::Segment(s) if s.name.name == name => Some(s),
                    _ => None,
                })?;
                let mut out = format!("**segment** `{name}`");
                if let Some(label) = &s.label {
                    out.push_str(&format!(" — {}", label.value));
                }
                if let Some(when) = &s.when {
                    out.push_str(&format!("\n\n```cxl\nwhen {}\n```", self.slice(when.span)));
                }
                out
            }
            Kind::Metric => {
                let m = self.file.decls.iter().find_map(|d| match d {
                    Decl::Metric(m) if m.name.name == name => Some(m),
                    _ => None,
                })?;
                let mut out = format!("**metric** `{name}`");
                if let Some(label) = &m.label {
                    out.push_str(&format!(" — {}", label.value));
                }
                if let Some((low, high)) = &m.range {
                    out.push_str(&format!("\n\nrange {}..{}", low.value, high.value));
                }
                if let Some(better) = &m.better {
                    let dir = match better.value {
                        syntax::Better::Higher => "higher",
                        syntax::Better::Lower => "lower",
                    };
                    out.push_str(&format!("\n\n{dir} is better"));
                }
                out
            }
            Kind::ExpectationSet => format!("**expectations** `{name}`"),
            Kind::Escalation => format!("**escalation** `{name}`"),
        };
        Some((text, range))
    }

    fn journeys(&self) -> impl Iterator<Item = &Journey> {
        self.file.decls.iter().filter_map(|d| match d {
            Decl::Journey(j) => Some(j),
            _ => None,
        })
    }

    fn hover_step(&self, journey: &str, name: &str) -> Option<String> {
        let j = self.journeys().find(|j| j.name.name == journey)?;
        let (stage, step) = j.steps().find(|(_, s)| s.name.name == name)?;
        let mut out = format!("**step** `{journey}.{name}`");
        if let Some(label) = &step.label {
            out.push_str(&format!(" — {}", label.value));
        }
        if let Some(stage) = stage {
            out.push_str(&format!("\n\nstage `{}`", stage.name.name));
        }
        if let Some(owner) = step.owner() {
            out.push_str(&format!("\n\nowner: {}", owner.value));
        }
        let channels: Vec<_> = step.channels().map(|c| c.name.as_str()).collect();
        if !channels.is_empty() {
            out.push_str(&format!("\n\nvia {}", channels.join(", ")));
        }
        if step
            .props
            .iter()
            .any(|p| matches!(p, StepProp::Backstage(_)))
        {
            out.push_str("\n\nbackstage");
        }
        // The expectations that hold at this step: `expect journey.step` and `journey.*`.
        let mut clauses = Vec::new();
        for decl in &self.file.decls {
            let Decl::Expect(e) = decl else { continue };
            let at_step = e.target.step.as_ref().is_none_or(|s| s.name == name);
            if e.target.journey.name == journey && at_step {
                let scope = if e.segments.is_empty() {
                    String::new()
                } else {
                    let names: Vec<_> = e.segments.iter().map(|s| s.name.as_str()).collect();
                    format!(" (for {})", names.join(", "))
                };
                for clause in &e.clauses {
                    clauses.push(format!("- `{}`{scope}", self.slice(clause.span)));
                }
            }
        }
        if !clauses.is_empty() {
            out.push_str("\n\nexpectations:\n");
            out.push_str(&clauses.join("\n"));
        }
        Some(out)
    }

    /// Names and keywords that fit at `position`: step names of the enclosing
    /// journey in a `path` or `goal`, segment names after `for`, keywords at the
    /// start of a declaration or clause.
    pub fn completions(&self, position: Position) -> Vec<CompletionItem> {
        let offset = self.offset(position);
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.rsplit('\n').next().unwrap_or("");
        // The word being typed is replaced by the completion; what matters is before it.
        let head = line.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
        let words: Vec<&str> = head
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        let first = words.first().copied().unwrap_or("");
        let last = words.last().copied().unwrap_or("");
        if first == "path" || last == "goal" {
            return self.step_items(offset);
        }
        if first == "for" || last == "for" {
            let segments = self.names.declared(&Kind::Segment);
            return items(segments.into_iter(), CompletionItemKind::CLASS);
        }
        if head.trim().is_empty() {
            return items(
                self.keywords_at(offset).iter().copied(),
                CompletionItemKind::KEYWORD,
            );
        }
        Vec::new()
    }

    fn step_items(&self, offset: usize) -> Vec<CompletionItem> {
        if let Some(journey) = self.enclosing_journey(offset) {
            let steps = self.names.declared(&Kind::Step(journey));
            return items(steps.into_iter(), CompletionItemKind::FUNCTION);
        }
        // A journey being typed does not parse (`path a -> `): its steps are the
        // names the parser recovered after the keyword `step`.
        let Some(broken) = self
            .file
            .broken
            .iter()
            .find(|b| b.span.start <= offset && offset <= b.span.end)
        else {
            return Vec::new();
        };
        let mut steps: Vec<&str> = Vec::new();
        for ident in &broken.declares {
            let before = self.text.get(..ident.span.start).unwrap_or("").trim_end();
            let after_step = before.strip_suffix("step").is_some_and(|rest| {
                !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            if after_step && !steps.contains(&ident.name.as_str()) {
                steps.push(&ident.name);
            }
        }
        items(steps.into_iter(), CompletionItemKind::FUNCTION)
    }

    fn enclosing_journey(&self, offset: usize) -> Option<String> {
        self.journeys()
            .find(|j| j.span.start <= offset && offset <= j.span.end)
            .map(|j| j.name.name.clone())
    }

    /// The keywords that may start a line at `offset`, from the declaration around
    /// it; in text that does not parse, from the keyword that opened the block.
    fn keywords_at(&self, offset: usize) -> &'static [&'static str] {
        let inside = |span: Span| span.start < offset && offset < span.end;
        for decl in &self.file.decls {
            if !inside(decl.span()) {
                continue;
            }
            return match decl {
                Decl::Journey(j) => {
                    let in_step = j.steps().any(|(_, s)| inside(s.span));
                    if in_step {
                        STEP_KEYWORDS
                    } else {
                        JOURNEY_KEYWORDS
                    }
                }
                Decl::Expect(_) | Decl::ExpectationSet(_) => CLAUSE_KEYWORDS,
                Decl::Escalate(_) => ESCALATE_KEYWORDS,
                Decl::Segment(_) => &["when"],
                Decl::Metric(_) => &["range", "higher is better", "lower is better"],
                Decl::Test(_) => TEST_KEYWORDS,
                Decl::Use(_) | Decl::Source(_) => &[],
            };
        }
        block_keywords(self.text.get(..offset).unwrap_or(""))
    }
}

/// The keywords for the innermost open `{` before the end of `before`, found by
/// counting braces outside strings and comments: for text the parser rejects.
fn block_keywords(before: &str) -> &'static [&'static str] {
    let mut opened: Vec<&str> = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    let mut word_start = 0;
    let mut last_keyword = "";
    let mut prev = '\0';
    for (i, c) in before.char_indices() {
        if in_comment {
            in_comment = c != '\n';
        } else if in_string {
            in_string = !(c == '"' && prev != '\\');
        } else {
            match c {
                '#' => in_comment = true,
                '"' => in_string = true,
                '{' => opened.push(last_keyword),
                '}' => {
                    opened.pop();
                }
                _ => {}
            }
            let is_word = c.is_ascii_alphanumeric() || c == '_';
            if !is_word {
                let word = before.get(word_start..i).unwrap_or("");
                if TOP_KEYWORDS.contains(&word) || word == "stage" || word == "step" {
                    last_keyword = word;
                }
                word_start = i + c.len_utf8();
            }
        }
        prev = c;
    }
    match opened.last().copied() {
        None => TOP_KEYWORDS,
        Some("journey") | Some("stage") => JOURNEY_KEYWORDS,
        Some("step") => STEP_KEYWORDS,
        Some("expect") | Some("expectations") => CLAUSE_KEYWORDS,
        Some("escalate") => ESCALATE_KEYWORDS,
        Some("segment") => &["when"],
        Some("test") => TEST_KEYWORDS,
        Some(_) => &[],
    }
}

fn items<'a>(
    names: impl Iterator<Item = &'a str>,
    kind: CompletionItemKind,
) -> Vec<CompletionItem> {
    names
        .map(|name| CompletionItem {
            label: name.to_string(),
            kind: Some(kind),
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small policy with one of each kind of name; line 1 has non-ASCII text
    /// before a name, so its columns differ in bytes and UTF-16 units.
    const POLICY: &str = r#"metric csat "Zufriedenheit 😀" { range 1..5; higher is better }
segment gold "Gold – ünd mehr" { when tier == "gold" }
journey claim "Claim" {
  for gold
  goal settled
  stage intake {
    step report "Report" {
      via web, phone
      owner "Intake"
    }
  }
  step settled { via email }
  path report -> settled
}
expect claim.settled for gold {
  within 1h after report
  csat >= 4 else yellow
}
"#;

    /// The position of the `nth` (0-based) occurrence of `needle`, plus `delta`
    /// bytes, in UTF-16 columns.
    fn at(text: &str, needle: &str, nth: usize, delta: usize) -> Position {
        let offset = text
            .match_indices(needle)
            .nth(nth)
            .map(|(i, _)| i + delta)
            .unwrap_or_else(|| panic!("`{needle}` #{nth} is in the text"));
        LineIndex::new(text).position(text, offset)
    }

    #[test]
    fn definition_and_references_follow_the_names() {
        let a = Analysis::new(POLICY);
        // `settled` in the path goes to the step declaration.
        let use_in_path = at(POLICY, "settled", 2, 2);
        let def = a.definition(use_in_path).expect("a definition");
        assert_eq!(def.start, at(POLICY, "settled", 1, 0));
        // goal, declaration, path, expect target.
        assert_eq!(a.references(use_in_path, true).len(), 4);
        assert_eq!(a.references(use_in_path, false).len(), 3);
        // The segment used in `expect ... for gold` and `for gold`.
        let segment_use = at(POLICY, "gold", 3, 1);
        assert_eq!(
            a.definition(segment_use).map(|r| r.start),
            Some(at(POLICY, "gold", 0, 0))
        );
        // Whitespace names nothing.
        assert_eq!(a.definition(Position::new(2, 1)), None);
    }

    #[test]
    fn hover_tells_what_a_name_is() {
        let a = Analysis::new(POLICY);
        let (step, _) = a
            .hover(at(POLICY, "report", 0, 1))
            .expect("hover on a step");
        assert!(step.contains("owner: Intake"), "{step}");
        assert!(step.contains("via web, phone"), "{step}");
        let (settled, _) = a.hover(at(POLICY, "settled", 3, 0)).expect("hover");
        assert!(settled.contains("within 1h after report"), "{settled}");
        assert!(settled.contains("csat >= 4 else yellow"), "{settled}");
        assert!(settled.contains("(for gold)"), "{settled}");
        let (segment, _) = a.hover(at(POLICY, "gold", 2, 0)).expect("hover");
        assert!(segment.contains("when tier == \"gold\""), "{segment}");
        let (metric, _) = a.hover(at(POLICY, "csat", 1, 0)).expect("hover");
        assert!(metric.contains("range 1..5"), "{metric}");
        assert!(metric.contains("higher is better"), "{metric}");
    }

    #[test]
    fn symbols_nest_journeys_stages_and_steps() {
        let a = Analysis::new(POLICY);
        let symbols = a.symbols();
        let names: Vec<_> = symbols.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["csat", "gold", "claim", "expect claim.settled"]);
        let claim = &symbols[2];
        let children = claim.children.as_deref().unwrap_or_default();
        let kids: Vec<_> = children.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(kids, ["intake", "settled"]);
        let steps = children[0].children.as_deref().unwrap_or_default();
        assert_eq!(steps[0].name, "report");
        // The segment's name comes after `–` and `ü`: UTF-16 columns.
        assert_eq!(symbols[1].selection_range.start, Position::new(1, 8));
    }

    #[test]
    fn diagnostics_carry_code_help_and_utf16_ranges() {
        // `ö` is 2 bytes and `😀` 4, but 1 and 2 UTF-16 units: `gol` is at byte 27, unit 24.
        let text = "segment gold { when tier == \"gold\" }\njourney j \"Jö 😀\" { for gol\n path a\n step a {} }\n";
        let uri: Uri = "file:///p.cxl".parse().expect("a URI");
        let diagnostics = Analysis::new(text).diagnostics(&uri);
        let unknown = diagnostics
            .iter()
            .find(|d| d.code == Some(NumberOrString::String("E0201".into())))
            .expect("an unknown segment");
        assert_eq!(unknown.range.start, Position::new(1, 24));
        assert_eq!(unknown.range.end, Position::new(1, 27));
        assert!(
            unknown.message.contains("help: did you mean `gold`?"),
            "{}",
            unknown.message
        );
        assert_eq!(unknown.severity, Some(DiagnosticSeverity::ERROR));
    }

    #[test]
    fn completion_fits_the_context() {
        let labels = |text: &str, position: Position| -> Vec<String> {
            Analysis::new(text)
                .completions(position)
                .into_iter()
                .map(|c| c.label)
                .collect()
        };
        // Step names in a path.
        let path_end = at(POLICY, "-> settled", 0, 3);
        assert_eq!(labels(POLICY, path_end), ["report", "settled"]);
        // Segment names after `for`.
        assert_eq!(labels(POLICY, Position::new(3, 6)), ["gold"]);
        // Keywords at the start of a declaration, of a journey clause, of a step property.
        let top = labels(POLICY, Position::new(18, 0));
        assert!(top.contains(&"journey".to_string()), "{top:?}");
        let in_journey = labels(POLICY, Position::new(11, 0));
        assert!(in_journey.contains(&"path".to_string()), "{in_journey:?}");
        let in_step = labels(POLICY, Position::new(8, 0));
        assert!(in_step.contains(&"owner".to_string()), "{in_step:?}");
        // In a journey still being typed (it does not parse): steps the parser
        // recovered, keywords from the open braces.
        let typing = POLICY.replacen("path report -> settled", "path report -> ", 1);
        let path_end = at(&typing, "path report -> ", 0, 15);
        assert_eq!(labels(&typing, path_end), ["report", "settled"]);
        let typing = "journey j {\n  step a {\n    \n";
        let in_broken_step = labels(typing, Position::new(2, 4));
        assert!(
            in_broken_step.contains(&"via".to_string()),
            "{in_broken_step:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// No text and no position makes an answer panic.
        #[test]
        fn never_panics(
            text in prop_oneof![
                ".{0,200}",
                "[a-z {}\"#\\n.>|&*?()é😀-]{0,200}",
                Just(POLICY.to_string()).prop_flat_map(|p| {
                    let len = p.len();
                    (Just(p), 0..len, 0..len).prop_map(|(p, a, b)| {
                        let (a, b) = (a.min(b), a.max(b));
                        let cut = |i: usize| (0..=i).rev().find(|&j| p.is_char_boundary(j)).unwrap_or(0);
                        format!("{}{}", &p[..cut(a)], &p[cut(b)..])
                    })
                }),
            ],
            line in 0u32..20,
            character in 0u32..80,
        ) {
            let a = Analysis::new(&text);
            let uri: Uri = "file:///x.cxl".parse().expect("a URI");
            let position = Position::new(line, character);
            let _ = a.diagnostics(&uri);
            let _ = a.symbols();
            let _ = a.hover(position);
            let _ = a.definition(position);
            let _ = a.references(position, true);
            let _ = a.completions(position);
        }
    }
}

//! `# cxl: allow(W0401, W0403)`: comments that silence warnings where a policy
//! means what a lint warns about (a rejection that is a legitimate exit).
//!
//! A suppression at the end of a line silences its codes on that line: the
//! diagnostics whose primary label starts there. On a line of its own it
//! silences them in what follows it (after any other comment lines): the whole
//! declaration or journey clause that starts there (a `path` over several
//! lines, a stage, a step), else that one line. (`cxl fmt` moves a comment
//! inside a clause to the line before it, where it still covers the clause.) Only warnings can be
//! silenced. A suppression that silences nothing, names no code or an error's
//! code, or is not of the form `allow(CODE, ...)` is itself a warning, W0410,
//! so that none outlives the warning it was written for; "silences nothing"
//! is only judged when the policy has no errors, since errors stop the lints
//! that would have had something to silence.

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::syntax::{Comment, Decl, JourneyItem, PolicyFile};

/// What a comment starts with to be a directive to cxl.
const PREFIX: &str = "cxl:";

/// One `# cxl: allow(...)` comment.
struct Suppression {
    /// The codes as written, each with its span.
    codes: Vec<(String, Span)>,
    /// The bytes it silences in, if any.
    scope: Option<std::ops::Range<usize>>,
    /// Whether each code silenced something.
    used: Vec<bool>,
}

/// Drop the warnings the policy's suppressions silence, and add a W0410 for
/// every suppression that is wrong or (in a policy without errors) silences
/// nothing. The result is sorted.
pub(crate) fn apply(
    diagnostics: Vec<Diagnostic>,
    comments: &[Comment],
    file: &PolicyFile,
    text: &str,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut suppressions: Vec<Suppression> = comments
        .iter()
        .filter_map(|c| parse(c, file, text, &mut problems))
        .collect();
    let mut kept: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| !silenced(d, &mut suppressions))
        .collect();
    let has_errors = kept.iter().any(Diagnostic::is_error);
    for s in &suppressions {
        for ((code, span), used) in s.codes.iter().zip(&s.used) {
            if let Some(problem) = judge(code, *span, *used, has_errors) {
                problems.push(problem);
            }
        }
    }
    kept.extend(problems);
    crate::diagnostic::sort(&mut kept);
    kept
}

/// Whether a suppression silences `d`, marking the one that does as used.
fn silenced(d: &Diagnostic, suppressions: &mut [Suppression]) -> bool {
    if d.code.level() != crate::diagnostic::Level::Warning {
        return false;
    }
    let Some(at) = d.primary_span().map(|s| s.start) else {
        return false;
    };
    for s in suppressions.iter_mut() {
        if !s.scope.as_ref().is_some_and(|r| r.contains(&at)) {
            continue;
        }
        let code = d.code.as_str();
        if let Some(i) = s.codes.iter().position(|(c, _)| c == code) {
            if let Some(used) = s.used.get_mut(i) {
                *used = true;
            }
            return true;
        }
    }
    false
}

/// The W0410 for one code of a suppression, if it deserves one.
fn judge(code: &str, span: Span, used: bool, has_errors: bool) -> Option<Diagnostic> {
    let warning = |message: String, label: &str| {
        Some(Diagnostic::new(Code::UnusedSuppression, message).with_label(span, label))
    };
    match Code::parse(code) {
        None => warning(format!("`{code}` is not a diagnostic code"), "no such code")
            .map(|d| d.with_help("codes are listed in docs/language.md, section 13")),
        Some(c) if c.level() != crate::diagnostic::Level::Warning => warning(
            format!("`{code}` is an error, which cannot be allowed"),
            "only warnings can be allowed",
        )
        .map(|d| d.with_help("fix the error instead")),
        Some(_) if !used && !has_errors => warning(
            format!("nothing here has `{code}` to allow"),
            "silences nothing",
        )
        .map(|d| {
            d.with_help(
                "remove it; or put it at the end of the line the warning points at, or on \
                 the line before its declaration",
            )
        }),
        Some(_) => None,
    }
}

/// The suppression a comment is, if it is one; a comment that starts with
/// `cxl:` but is not one is a problem.
fn parse(
    comment: &Comment,
    file: &PolicyFile,
    text: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<Suppression> {
    let body = comment.text.trim_start();
    let directive = body.strip_prefix(PREFIX)?.trim_start();
    // Where `directive` starts in the file: after the `#` and what was trimmed.
    let base = comment.span.start + 1 + (comment.text.len() - directive.len());
    let codes = directive
        .strip_prefix("allow(")
        .and_then(|rest| rest.split_once(')').map(|(inside, _)| inside));
    let Some(inside) = codes.filter(|inside| !inside.trim().is_empty()) else {
        problems.push(
            Diagnostic::new(
                Code::UnusedSuppression,
                "a `# cxl:` comment that is not `# cxl: allow(CODE, ...)`",
            )
            .with_label(comment.span, "not a suppression")
            .with_help("write `# cxl: allow(W0401)`, several codes separated by commas"),
        );
        return None;
    };
    let mut codes = Vec::new();
    let mut offset = base + "allow(".len();
    for part in inside.split(',') {
        let code = part.trim();
        let start = offset + (part.len() - part.trim_start().len());
        codes.push((code.to_string(), Span::new(start, start + code.len())));
        offset += part.len() + 1;
    }
    let used = vec![false; codes.len()];
    Some(Suppression {
        codes,
        scope: scope(comment.span, file, text),
        used,
    })
}

/// The bytes a suppression at `span` silences in: its line when code comes
/// before it; else the declaration, or the line, after it and the comment
/// lines below it; nothing when a blank line comes first.
fn scope(span: Span, file: &PolicyFile, text: &str) -> Option<std::ops::Range<usize>> {
    let (start, end) = line_at(text, span.start);
    let before = text.get(start..span.start).unwrap_or("");
    if !before.trim().is_empty() {
        return Some(start..end);
    }
    let mut next = end + 1;
    while next < text.len() {
        let (start, end) = line_at(text, next);
        let line = text.get(start..end).unwrap_or("").trim();
        if line.is_empty() {
            return None;
        }
        if !line.starts_with('#') {
            // The outermost declaration or clause that starts on the line.
            let item = items(file)
                .filter(|d| (start..=end).contains(&d.start))
                .max_by_key(|d| d.len());
            return Some(item.map_or(start..end, |d| d.start..d.end));
        }
        next = end + 1;
    }
    None
}

/// The spans a suppression on the line before can cover whole: every
/// declaration, and the clauses of journeys (a `path` over several lines, a
/// stage, a step).
fn items(file: &PolicyFile) -> impl Iterator<Item = Span> + '_ {
    file.decls.iter().flat_map(|decl| {
        let mut spans = vec![decl.span()];
        if let Decl::Journey(journey) = decl {
            for item in &journey.items {
                match item {
                    JourneyItem::For { span, .. }
                    | JourneyItem::AbandonAfter { span, .. }
                    | JourneyItem::Path { span, .. } => spans.push(*span),
                    JourneyItem::Goal(name) => spans.push(name.span),
                    JourneyItem::Step(step) => spans.push(step.span),
                    JourneyItem::Stage(stage) => {
                        spans.push(stage.span);
                        spans.extend(stage.steps.iter().map(|s| s.span));
                    }
                }
            }
        }
        spans
    })
}

/// The line around byte `at`: its start, and its end before the newline.
fn line_at(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| at + i);
    (start, end)
}

//! pest over one declaration at a time, and the conversion of pest's errors into
//! diagnostics that speak the user's language ("expected a step name after `->`").

use super::build::Builder;
use super::expected;
use super::lexer::Chunk;
use super::{Decl, Span};
use crate::diagnostic::{Code, Diagnostic};
use pest::error::InputLocation;
use pest::Parser;
use pest_derive::Parser;

/// The pest parser generated from `grammar/cxl.pest`.
#[derive(Parser)]
#[grammar = "../grammar/cxl.pest"]
pub(crate) struct CxlParser;

/// Parse one chunk into a declaration, or a syntax diagnostic.
pub(crate) fn parse_chunk(chunk: &Chunk, diagnostics: &mut Vec<Diagnostic>) -> Option<Decl> {
    // pest's error detail costs time on every parse and is only needed to explain
    // a failure, so a failed chunk is parsed again with it. The switch is global:
    // it is only ever turned on (never off), so parses on other threads can never
    // lose the detail they need.
    let result = match CxlParser::parse(Rule::decl_entry, &chunk.text) {
        Ok(pairs) => Ok(pairs),
        Err(_) => {
            pest::set_error_detail(true);
            CxlParser::parse(Rule::decl_entry, &chunk.text)
        }
    };
    match result {
        Ok(mut pairs) => {
            let entry = pairs.next()?;
            let mut builder = Builder::new(chunk.start, diagnostics);
            builder.decl_entry(entry)
        }
        Err(error) => {
            diagnostics.push(syntax_error(chunk, &error));
            None
        }
    }
}

/// Turn pest's error into a diagnostic with a plain-language message.
fn syntax_error(chunk: &Chunk, error: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let text = &chunk.text;
    let own = text.get(..chunk.end - chunk.start).unwrap_or(text);
    let raw_found = expected::found_token(own, pos);
    let width = raw_found.as_ref().map_or(0, |f| f.len());
    let found = raw_found.map(|f| expected::shorten(&f));
    let previous = expected::previous_token(text, pos);
    let wanted = expected::describe(error, previous.as_deref());
    let at = chunk.start + pos.min(chunk.end.saturating_sub(chunk.start));
    let span = Span::new(at, at + width);
    let message = match (&previous, &found) {
        (Some(prev), Some(found)) => format!("expected {wanted} after `{prev}`, found `{found}`"),
        (Some(prev), None) => format!("expected {wanted} after `{prev}`"),
        (None, Some(found)) => format!("expected {wanted}, found `{found}`"),
        (None, None) => format!("expected {wanted}"),
    };
    let label = match &found {
        Some(found) => format!("`{found}` is not allowed here"),
        None => "the declaration ends here".to_string(),
    };
    let mut diagnostic = Diagnostic::new(Code::Syntax, message).with_label(span, label);
    if let Some(help) = expected::help(error, previous.as_deref(), found.as_deref()) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

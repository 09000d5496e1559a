//! `cxl fmt`: a policy file in the one canonical layout (docs/language.md,
//! "Layout"), with every comment kept in its place.
//!
//! The formatter sits right after `syntax`: it takes the AST and the comments the
//! declaration splitter collected, and writes the file anew. A file with a
//! syntax error is refused with its diagnostics, never half formatted. Before it
//! hands its output back, the formatter parses it again and compares: the same
//! declarations (up to spans) and the same comments, in the same order, or it
//! refuses with [`FormatError::Unstable`], so a bug here can never change what a
//! policy means.

mod doc;
mod print;

use crate::diagnostic::Diagnostic;
use crate::syntax::{self, PolicyFile};

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    /// The file does not parse: its syntax diagnostics.
    #[error("the file has syntax errors")]
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not mean the same: a bug in the formatter,
    /// caught before anything is written.
    #[error("formatting would change the policy ({0}); the file is left as it is")]
    Unstable(String),
}

/// `text` in the canonical layout.
pub fn format(text: &str) -> Result<String, FormatError> {
    let parsed = syntax::parse(text);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Syntax(parsed.diagnostics));
    }
    let out = print::Printer::new(text, &parsed.comments).file(&parsed.file);
    let again = syntax::parse(&out);
    if again.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Unstable("the output does not parse".into()));
    }
    if !same_meaning(&parsed.file, &again.file) {
        return Err(FormatError::Unstable("the declarations differ".into()));
    }
    let texts = |p: &syntax::ParsedFile| -> Vec<String> {
        p.comments
            .iter()
            .map(|c| c.text.trim_end().to_string())
            .collect()
    };
    if texts(&parsed) != texts(&again) {
        return Err(FormatError::Unstable("the comments differ".into()));
    }
    Ok(out)
}

/// Whether two files declare the same, whatever their layout: the ASTs are
/// equal once every span is left out.
pub fn same_meaning(a: &PolicyFile, b: &PolicyFile) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(mut a), Ok(mut b)) => {
            strip_spans(&mut a);
            strip_spans(&mut b);
            a == b
        }
        _ => false,
    }
}

/// Removes every span from a serialized AST: the `span` fields, and the
/// `start`/`end` of a span serialized in place of a variant's fields.
fn strip_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.remove("start");
            map.remove("end");
            map.values_mut().for_each(strip_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

//! Stage 1: policy text to an AST in which every node has a span.
//!
//! `lexer` (logos) splits a file into top-level declarations so that one broken
//! declaration does not hide the errors of the others; `parser` (pest, grammar in
//! `grammar/cxl.pest`) parses each declaration and builds the AST.

mod ast;
mod build;
mod build_expr;
mod expected;
mod lexer;
mod literal;
mod parser;
mod span;

pub use crate::diagnostic::Span;
pub use ast::*;
pub(crate) use lexer::DECLARATION_KEYWORDS;
pub use lexer::MAX_NESTING;
pub use span::Spanned;

use crate::diagnostic::Diagnostic;

/// A `#` comment, kept beside the AST for the formatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The comment text without the `#`.
    pub text: String,
    /// Where it stands, `#` included.
    pub span: Span,
}

/// The result of parsing one file: the declarations that parsed, every syntax
/// diagnostic, and the comments.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFile {
    /// The declarations that parsed; broken ones are left out.
    pub file: PolicyFile,
    /// Every syntax error, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// Every comment, in source order.
    pub comments: Vec<Comment>,
}

/// Parse a whole policy file, reporting every syntax error it can find.
pub fn parse(text: &str) -> ParsedFile {
    parse_at(text, 0)
}

/// [`parse`] a file that stands at byte `base` of a policy made of several files
/// ([`crate::load`]): every span of the result is `base` further on, so spans
/// of different files never overlap.
pub fn parse_at(text: &str, base: usize) -> ParsedFile {
    let mut split = lexer::split(text);
    if base > 0 {
        for chunk in &mut split.chunks {
            chunk.start += base;
            chunk.end += base;
        }
        for d in &mut split.diagnostics {
            d.shift(base);
        }
        for c in &mut split.comments {
            c.span = c.span.shifted(base);
        }
        for e in &mut split.error_spans {
            *e = e.shifted(base);
        }
    }
    let mut diagnostics = split.diagnostics;
    let mut decls = Vec::new();
    let mut broken = Vec::new();
    for chunk in &split.chunks {
        // A chunk nested too deep was reported by the lexer; pest would recurse as
        // deep as it nests.
        let mut chunk_diagnostics = Vec::new();
        let decl = match chunk.too_deep {
            true => None,
            false => parser::parse_chunk(chunk, &mut chunk_diagnostics),
        };
        match decl {
            Some(decl) => decls.push(decl),
            None => broken.push(lexer::recover(chunk)),
        }
        // A lexical error was already reported; pest tripping over it says nothing new.
        chunk_diagnostics.retain(|d| {
            let at = d.primary_span().map_or(usize::MAX, |s| s.start);
            !split
                .error_spans
                .iter()
                .any(|e| e.start <= at && at <= e.end)
        });
        diagnostics.extend(chunk_diagnostics);
    }
    crate::diagnostic::sort(&mut diagnostics);
    ParsedFile {
        file: PolicyFile { decls, broken },
        diagnostics,
        comments: split.comments,
    }
}

/// A duration as written in a policy (`30s`, `1h30m`, `1.5h`, `2d`), in seconds;
/// for command-line flags that take one.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    literal::duration_seconds(text.trim()).map_err(|p| p.message().to_string())
}

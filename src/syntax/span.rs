//! [`Spanned`]: a value of the AST with the [`Span`] it was written at.

use crate::diagnostic::Span;
use serde::Serialize;

/// A value together with where it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it stands in the source.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wrap `value` with `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

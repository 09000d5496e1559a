//! cxl: a customer-experience rules engine and policy language.
//!
//! Data flows one way, and the module tree shows the flow:
//! `syntax` (text → AST) → `check` (names, types, lints) → `compile` (journey graphs,
//! rules) → `eval` (findings over recorded interactions) → `report` (renderings),
//! with `events` (input records) feeding `eval`. The library reads no clock, no
//! environment and no files on its own, and prints nothing: the CLI does that.

pub mod check;
pub mod compare;
pub mod compile;
pub mod diagnostic;
pub mod eval;
pub mod events;
pub mod format;
pub mod load;
pub mod lsp;
pub mod map;
pub mod profile;
pub mod report;
pub mod scenario;
pub mod simulate;
pub mod stdlib;
pub mod syntax;

pub use compile::{Policy, Program};
pub use diagnostic::{Code, Diagnostic, Level};

/// Every diagnostic of a policy's text: syntax, then names, types and lints.
/// The one front-end entry point the CLI, the tests and a language server share.
pub fn check_source(text: &str) -> Vec<Diagnostic> {
    compile::diagnostics(text)
}

//! Pieces every verb shares: reading policy files, printing diagnostics, formats.

use cxl::diagnostic::{self, Diagnostic};
use std::io::IsTerminal;

/// Exit code: nothing at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: errors or findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;
/// Exit code (`eval`): the run judged too little to be read as a verdict: no
/// journey instance, or most events unmapped, or most records rejected.
pub const EXIT_UNJUDGED: u8 = 3;

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagnosticFormat {
    /// For a person: source excerpts, labels and help (stderr).
    Human,
    /// One JSON array of diagnostics (stdout), for machines.
    Json,
}

/// Read a file, or say why not on stderr.
pub fn read_file(path: &str) -> Result<String, u8> {
    std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read `{path}`: {error}");
        EXIT_USAGE
    })
}

/// Print diagnostics of one file for a person, on stderr.
pub fn print_human(diagnostics: &[Diagnostic], name: &str, text: &str) {
    if diagnostics.is_empty() {
        return;
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    eprint!(
        "{}",
        diagnostic::render_human(diagnostics, name, text, color)
    );
}

/// "2 errors, 1 warning".
pub fn count_summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    format!(
        "{} {}, {} {}",
        errors,
        plural(errors, "error"),
        warnings,
        plural(warnings, "warning")
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

//! `cxl fmt [--check] [--diff] PATHS`: policy files in the canonical layout.
//!
//! Files are rewritten in place through [`output::OutputFile`] (a temporary file
//! renamed over the original), and only when their text changes. A file with a
//! syntax error is refused with its diagnostics and left as it is.

use super::common::{self, Stop, EXIT_FINDINGS, EXIT_OK};
use super::output::{self, RecordWriter};
use cxl::format::{format, FormatError};

/// Arguments of `cxl fmt`.
#[derive(clap::Args)]
pub struct FmtArgs {
    /// Policy files, or directories searched for `.cxl` files (recursively).
    #[arg(required = true)]
    paths: Vec<String>,
    /// Write nothing; list the files that are not formatted, and exit 1 if any.
    #[arg(long)]
    check: bool,
    /// Write nothing; print a unified diff of what formatting would change
    /// (exit 1 if anything would).
    #[arg(long)]
    diff: bool,
}

/// Format every file; exit 1 when one is refused (or, with `--check` or
/// `--diff`, would change).
pub fn run(args: &FmtArgs) -> u8 {
    fmt(args).unwrap_or_else(|stop| stop.exit_code())
}

fn fmt(args: &FmtArgs) -> Result<u8, Stop> {
    let files = common::policy_files(&args.paths)?;
    let mut stdout = RecordWriter::stdout();
    let mut failed = false;
    for path in &files {
        let text = match common::read_file(path) {
            Ok(text) => text,
            Err(code) => return Ok(code),
        };
        let formatted = match format(&text) {
            Ok(formatted) => formatted,
            Err(FormatError::Syntax(diagnostics)) => {
                common::print_human(&diagnostics, path, &text);
                to_stderr!(
                    "{path}: not formatted: {}",
                    common::count_summary(&diagnostics)
                );
                failed = true;
                continue;
            }
            Err(error @ FormatError::Unstable(_)) => {
                to_stderr!("error: {path}: {error}");
                failed = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.diff {
            stdout.text(&unified_diff(path, &text, &formatted))?;
            failed = true;
        } else if args.check {
            stdout.line(path)?;
            failed = true;
        } else {
            write_in_place(path, &formatted)?;
        }
    }
    stdout.flush()?;
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// Replaces the file through a temporary file beside it.
fn write_in_place(path: &str, text: &str) -> Result<(), Stop> {
    let [target] = output::plan(&[], [("the policy", Some(path))])?;
    let Some(target) = target else {
        return Ok(());
    };
    let mut file = output::OutputFile::create(&target, false)?;
    file.text(text)?;
    file.finish()?;
    Ok(())
}

/// A unified diff, `--- path` / `+++ path (formatted)`, three lines of context.
fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(path, &format!("{path} (formatted)"))
        .to_string()
}

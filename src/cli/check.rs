//! `cxl check FILES`: every problem of every file, at once.

use super::common::{self, DiagnosticFormat, Stop, EXIT_FINDINGS, EXIT_OK};
use super::output;
use cxl::diagnostic;

/// Arguments of `cxl check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Policy files, or directories searched for `.cxl` files (recursively).
    #[arg(required = true)]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: DiagnosticFormat,
    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    deny_warnings: bool,
}

/// Check every file; exit 1 if any has an error (or a warning with `--deny-warnings`).
pub fn run(args: &CheckArgs) -> u8 {
    check(args).unwrap_or_else(|stop| stop.exit_code())
}

fn check(args: &CheckArgs) -> Result<u8, Stop> {
    let files = common::policy_files(&args.files)?;
    output::plan_policies(&files)?;
    let mut failed = false;
    let mut json = Vec::new();
    for path in &files {
        let text = match common::read_file(path) {
            Ok(text) => text,
            Err(code) => return Ok(code),
        };
        let diagnostics = cxl::check_source(&text);
        failed |= diagnostics
            .iter()
            .any(|d| d.is_error() || args.deny_warnings);
        match args.format {
            DiagnosticFormat::Human => {
                common::print_human(&diagnostics, path, &text);
                to_stderr!("{path}: {}", common::count_summary(&diagnostics));
            }
            DiagnosticFormat::Json => {
                json.extend(diagnostic::to_json(&diagnostics, path, &text));
            }
        }
    }
    if args.format == DiagnosticFormat::Json {
        let out = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        output::print(&(out + "\n"))?;
    }
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

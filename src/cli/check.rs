//! `cxl check FILES`: every problem of every file, at once.

use super::common::{self, DiagnosticFormat, LintArgs, Stop, EXIT_FINDINGS, EXIT_OK};
use super::output;
use cxl::diagnostic;
use cxl::report::{self, annotation};

/// Arguments of `cxl check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Policy files, or directories searched for `.cxl` files (recursively).
    #[arg(required = true)]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: DiagnosticFormat,
    #[command(flatten)]
    lints: LintArgs,
}

/// Check every file; exit 1 if any has an error (or a warning `--deny` makes one).
pub fn run(args: &CheckArgs) -> u8 {
    check(args).unwrap_or_else(|stop| stop.exit_code())
}

fn check(args: &CheckArgs) -> Result<u8, Stop> {
    let files = common::policy_files(&args.files)?;
    output::plan_policies(&files)?;
    let levels = args.lints.levels()?;
    let mut failed = false;
    let mut json = Vec::new();
    let mut annotations = Vec::new();
    for path in &files {
        let text = match common::read_file(path) {
            Ok(text) => text,
            Err(code) => return Ok(code),
        };
        let diagnostics = levels.apply(cxl::check_source(&text));
        failed |= diagnostics.iter().any(|d| d.is_error());
        match args.format {
            DiagnosticFormat::Human => {
                common::print_human(&diagnostics, path, &text);
                to_stderr!("{path}: {}", common::count_summary(&diagnostics));
            }
            DiagnosticFormat::Json => {
                json.extend(diagnostic::to_json(&diagnostics, path, &text));
            }
            DiagnosticFormat::Sarif | DiagnosticFormat::Github => {
                annotations.extend(annotation::from_diagnostics(&diagnostics, path, &text));
            }
        }
    }
    match args.format {
        DiagnosticFormat::Human => {}
        DiagnosticFormat::Json => {
            let out = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
            output::print(&(out + "\n"))?;
        }
        DiagnosticFormat::Sarif => {
            let sarif = report::render_sarif(&annotation::diagnostic_rules(), &annotations);
            let out = serde_json::to_string_pretty(&sarif).map_err(|e| e.to_string())?;
            output::print(&(out + "\n"))?;
        }
        DiagnosticFormat::Github => output::print(&report::render_github(&annotations))?,
    }
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

//! `cxl check FILES`: every problem of every file, at once. A file another
//! named file `use`s is checked as part of that one's policy, not on its own.

use super::common::{self, DiagnosticFormat, LintArgs, Stop, EXIT_FINDINGS, EXIT_OK};
use super::output;
use cxl::diagnostic;
use cxl::report::{self, annotation};
use std::collections::BTreeSet;

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
    let levels = args.lints.levels()?;
    let policies = common::policies(&files)?;
    let mut failed = false;
    let mut json = Vec::new();
    let mut annotations = Vec::new();
    let mut seen = BTreeSet::new();
    for loaded in &policies {
        let sources = &loaded.sources;
        let diagnostics = levels.apply(cxl::compile::loaded_diagnostics(loaded));
        let diagnostics = common::report_once(diagnostics, sources, &mut seen);
        failed |= diagnostics.iter().any(|d| d.is_error());
        match args.format {
            DiagnosticFormat::Human => {
                common::print_human_files(&diagnostics, sources);
                let path = sources.files().first().map_or("", |f| f.name.as_str());
                to_stderr!("{path}: {}", common::count_summary(&diagnostics));
            }
            DiagnosticFormat::Json => {
                json.extend(diagnostic::to_json_files(&diagnostics, sources));
            }
            DiagnosticFormat::Sarif | DiagnosticFormat::Github => {
                annotations.extend(annotation::from_diagnostics(&diagnostics, sources));
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

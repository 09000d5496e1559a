//! Pieces every verb shares: reading policy files, printing diagnostics, formats,
//! how a run that stops early ends.

use super::output::WriteError;
use cxl::diagnostic::{self, Diagnostic, Levels, Sources};
use cxl::load::Loaded;
use cxl::Policy;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};

/// Exit code: nothing at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: errors or findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad usage, unreadable input, or output that cannot be written.
pub const EXIT_USAGE: u8 = 2;
/// Exit code (`eval`): the run judged too little to be read as a verdict: no
/// journey instance, or most events unmapped, or most records rejected.
pub const EXIT_UNJUDGED: u8 = 3;

/// Why a run stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// Bad usage or input: the message says which.
    #[error("{0}")]
    Usage(String),
    /// Output could not be written, or stdout was closed.
    #[error(transparent)]
    Output(#[from] WriteError),
}

impl Stop {
    /// The run's exit code, after saying why on stderr (a closed stdout is
    /// quiet, and exit 0).
    pub fn exit_code(&self) -> u8 {
        match self {
            Stop::Usage(message) => {
                to_stderr!("error: {message}");
                EXIT_USAGE
            }
            Stop::Output(error) => error.exit_code(),
        }
    }
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Usage(message)
    }
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagnosticFormat {
    /// For a person: source excerpts, labels and help (stderr).
    Human,
    /// One JSON array of diagnostics (stdout), for machines.
    Json,
    /// One SARIF 2.1.0 document (stdout), for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (stdout), one annotation per line.
    Github,
}

/// `--allow CODE` and `--deny CODE|warnings`: the command line's say over
/// warnings, after the policy's own `# cxl: allow(...)` comments.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LintArgs {
    /// Silence the warning CODE (repeatable).
    #[arg(long, value_name = "CODE")]
    allow: Vec<String>,
    /// Make the warning CODE an error, or every warning with `--deny warnings`
    /// (repeatable).
    #[arg(long, value_name = "CODE")]
    deny: Vec<String>,
    /// The same as `--deny warnings`.
    #[arg(long)]
    deny_warnings: bool,
}

impl LintArgs {
    /// The levels asked for, or why they cannot be (a usage error).
    pub fn levels(&self) -> Result<Levels, Stop> {
        let deny = self.deny.iter().map(String::as_str);
        let deny = deny.chain(self.deny_warnings.then_some("warnings"));
        Levels::new(self.allow.iter().map(String::as_str), deny)
            .map_err(|e| Stop::Usage(format!("--allow/--deny: {e}")))
    }
}

/// Read the policy files `paths` and every file they `use`, each once: one
/// policy. A path that cannot be read is a usage error; a `use`d file that
/// cannot be read is a diagnostic of the policy (E0216).
pub fn load_policy(paths: &[String]) -> Result<Loaded, Stop> {
    let mut read = |path: &str| std::fs::read_to_string(path).map_err(|e| io_reason(&e));
    cxl::load::load(paths, &mut read).map_err(|e| Stop::Usage(e.to_string()))
}

/// The policies among the files `files` (for `check` and `test`): each file is
/// one policy with the files it `use`s, except a file another of them uses,
/// which is part of that one's policy and not checked on its own (its
/// segments would be unused, its names unknown); files that only use each
/// other (a cycle) are taken in order. Each policy's files come first in it.
/// Refused when stdout is redirected onto any file they read.
pub fn policies(files: &[String]) -> Result<Vec<Loaded>, Stop> {
    let mut loads = Vec::new();
    for file in files {
        loads.push(load_policy(std::slice::from_ref(file))?);
    }
    let used: BTreeSet<String> = loads.iter().flat_map(|l| l.paths().skip(1)).collect();
    let mut covered = BTreeSet::new();
    let mut roots = vec![false; loads.len()];
    for (i, load) in loads.iter().enumerate() {
        if !used.contains(&cxl::load::normal(&files[i])) {
            roots[i] = true;
            covered.extend(load.paths());
        }
    }
    for (i, load) in loads.iter().enumerate() {
        if !covered.contains(&cxl::load::normal(&files[i])) {
            roots[i] = true;
            covered.extend(load.paths());
        }
    }
    let policies: Vec<Loaded> = loads
        .into_iter()
        .zip(roots)
        .filter_map(|(load, root)| root.then_some(load))
        .collect();
    let read: Vec<String> = policies
        .iter()
        .flat_map(|p| p.sources.files().iter().map(|f| f.name.clone()))
        .collect();
    super::output::plan_policies(&read)?;
    Ok(policies)
}

/// `diagnostics` of one policy (its files `sources`) without those `seen`
/// reported for another policy: a problem in a file two policies use is
/// reported once. Files are told apart by their normal path.
pub fn report_once(
    diagnostics: Vec<Diagnostic>,
    sources: &Sources,
    seen: &mut BTreeSet<String>,
) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter(|d| {
            let place = d.primary_span().and_then(|s| sources.locate(s));
            let key = match place {
                Some((file, span)) => format!(
                    "{}:{}:{}:{}:{}",
                    cxl::load::normal(&file.name),
                    span.start,
                    span.end,
                    d.code,
                    d.message
                ),
                None => format!("{}:{}", d.code, d.message),
            };
            // A file of this policy only is never deduplicated against itself.
            let shared = place.is_some_and(|(file, _)| {
                sources.files().first().is_some_and(|f| f.name != file.name)
            });
            !shared || seen.insert(key)
        })
        .collect()
}

/// The policy file `path`, with the files it uses, compiled (for the verbs
/// that take one policy file); on errors, they are printed, and the inner
/// `Err` is their count ("1 error, 0 warnings").
pub fn compile_entry(path: &str) -> Result<Result<Policy, String>, Stop> {
    let loaded = load_policy(&[path.to_string()])?;
    Ok(Policy::compile_loaded(&loaded).map_err(|diagnostics| {
        print_human_files(&diagnostics, &loaded.sources);
        count_summary(&diagnostics)
    }))
}

/// Why a file cannot be read, in the messages' style: `no such file or
/// directory`, without the OS's error number.
fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// Compile a policy with `levels` applied to its diagnostics: a warning made
/// an error fails it as an error does.
pub fn compile(loaded: &Loaded, levels: &Levels) -> Result<Policy, Vec<Diagnostic>> {
    match Policy::compile_loaded(loaded) {
        Ok(mut policy) => {
            let warnings = levels.apply(std::mem::take(&mut policy.warnings));
            if warnings.iter().any(Diagnostic::is_error) {
                return Err(warnings);
            }
            policy.warnings = warnings;
            Ok(policy)
        }
        Err(diagnostics) => Err(levels.apply(diagnostics)),
    }
}

/// The `.cxl` files named or found under the directories named (recursively,
/// each directory's in name order; symlinked directories are not followed), for
/// `check`, `test` and `fmt`.
pub fn policy_files(paths: &[String]) -> Result<Vec<String>, Stop> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
        if meta.is_dir() {
            walk(std::path::Path::new(path), &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &std::path::Path, files: &mut Vec<String>) -> Result<(), Stop> {
    let read = |e: std::io::Error| format!("cannot read `{}`: {e}", dir.display());
    let mut entries = std::fs::read_dir(dir)
        .map_err(read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(read)?;
        if kind.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "cxl") {
            files.push(path.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Read a file, or say why not on stderr.
pub fn read_file(path: &str) -> Result<String, u8> {
    std::fs::read_to_string(path).map_err(|error| {
        to_stderr!("error: cannot read `{path}`: {error}");
        EXIT_USAGE
    })
}

/// Print diagnostics of one file for a person, on stderr.
pub fn print_human(diagnostics: &[Diagnostic], name: &str, text: &str) {
    print_human_files(diagnostics, &Sources::single(name, text));
}

/// Print diagnostics of a policy's files for a person, on stderr, each in its file.
pub fn print_human_files(diagnostics: &[Diagnostic], sources: &Sources) {
    if diagnostics.is_empty() {
        return;
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let rendered = diagnostic::render_human_files(diagnostics, sources, color);
    // Nowhere to report a failure to write stderr; the exit code still tells.
    let _ = std::io::stderr().write_all(rendered.as_bytes());
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

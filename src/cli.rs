//! The command-line interface: one file per verb, each an `Args` struct and a
//! function returning an exit code. Only this module touches the process (files,
//! stdout, stderr, terminal detection).
//!
//! Exit codes: 0 clean, 1 findings or errors at or above the threshold, 2 usage,
//! input or output error. A closed stdout (the reader went away) ends a run quietly
//! with 0. Stdout is written only through [`output::RecordWriter`], stderr only
//! through `to_stderr!`: neither can panic.

// `print!` and `eprint!` panic when the write fails (a full disk, a closed pipe).
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// `eprintln!` that cannot panic: when stderr itself cannot be written there is
/// nowhere left to say so, and the exit code still tells.
macro_rules! to_stderr {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod check;
mod common;
mod compare;
mod completions;
mod eval;
mod fmt;
mod graph;
mod input;
mod lsp;
mod man;
mod output;
mod profile;
mod report;
mod simulate;
mod test;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// cxl: customer-experience policies, checked and evaluated.
#[derive(Parser)]
#[command(name = "cxl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files: syntax, names, types and journey lints.
    Check(check::CheckArgs),
    /// Set the ideal journey (simulated, or an earlier log) against the actual one.
    Compare(compare::CompareArgs),
    /// Print a shell's completion script for cxl (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
    /// Replay a log of interactions on a policy: off-path customers, broken steps, escalations.
    Eval(eval::EvalArgs),
    /// Put policy files in the canonical layout, keeping every comment.
    Fmt(fmt::FmtArgs),
    /// Print a journey's graph (the journey map) as dot, mermaid or JSON.
    Graph(graph::GraphArgs),
    /// Print the manual page of cxl (roff, for `man -l -`).
    Man,
    /// Serve the language server protocol over stdio, for editors.
    Lsp(lsp::LspArgs),
    /// Profile a log before writing a policy for it: activities, variants, timings.
    Profile(profile::ProfileArgs),
    /// Write one self-contained HTML page: journey maps with health, funnel, findings.
    Report(report::ReportArgs),
    /// Play the ideal journeys of a policy as an event log, with deviations on request.
    Simulate(simulate::SimulateArgs),
    /// Run the inline `test` blocks of policy files.
    Test(test::TestArgs),
}

/// Parse the command line and run the verb.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // --help and --version are not usage errors.
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let code = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Completions(args) => completions::run(&args, Cli::command()),
        Command::Fmt(args) => fmt::run(&args),
        Command::Man => man::run(Cli::command()),
        Command::Eval(args) => eval::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Profile(args) => profile::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Test(args) => test::run(&args),
    };
    ExitCode::from(code)
}

//! `cxl completions SHELL`: the shell's completion script, generated from the
//! command-line definition itself (clap_complete), so it never lags behind.

use super::common::Stop;
use super::output;
use clap_complete::Shell;

/// Arguments of `cxl completions`.
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish or powershell.
    #[arg(value_enum)]
    shell: CompletionShell,
}

/// The shells a script is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// Bash: `source <(cxl completions bash)`.
    Bash,
    /// Zsh: write it as `_cxl` in a directory of `$fpath`.
    Zsh,
    /// Fish: write it to `~/.config/fish/completions/cxl.fish`.
    Fish,
    /// PowerShell: `cxl completions powershell | Out-String | Invoke-Expression`.
    Powershell,
}

/// Print the script on stdout.
pub fn run(args: &CompletionsArgs, mut command: clap::Command) -> u8 {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "cxl", &mut script);
    let result = output::print(&String::from_utf8_lossy(&script)).map_err(Stop::from);
    result.map_or_else(|stop| stop.exit_code(), |()| 0)
}

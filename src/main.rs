//! The `cxl` command line. Thin: flags in, a library call, a renderer, an exit code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

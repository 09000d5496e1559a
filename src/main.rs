//! The `cxl` command line. Thin: flags in, a library call, a renderer, an exit code.

mod cli;

/// An evaluation allocates small, short-lived values per event (attributes,
/// per-customer state); mimalloc serves them several times faster than the
/// system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}

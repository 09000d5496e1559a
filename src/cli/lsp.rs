//! `cxl lsp`: the language server over stdio, for editors. The protocol and the
//! answers live in [`cxl::lsp`]; this verb only owns the process's stdin and stdout.

use clap::Args;

/// Arguments of `cxl lsp` (none: editors start it as is).
#[derive(Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; stdio is the only transport.
    #[arg(long, hide = true)]
    stdio: bool,
}

/// Serve until the client shuts down or stdin ends: 0 on a clean end, 2 when the
/// client broke the protocol.
pub fn run(args: &LspArgs) -> u8 {
    let _ = args.stdio;
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let served = cxl::lsp::serve(&connection);
    // Dropping the connection closes the writer's channel, so its thread can end.
    drop(connection);
    let joined = io_threads.join();
    match (served, joined) {
        (Ok(()), _) => 0,
        (Err(error), _) => {
            to_stderr!("error: {error}");
            2
        }
    }
}

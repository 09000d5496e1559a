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

/// Serve until the client shuts down or stdin ends: 0 on a clean end (`exit`, or
/// stdin closed), 2 when the client broke the protocol or sent a message that
/// cannot be read.
pub fn run(args: &LspArgs) -> u8 {
    let _ = args.stdio;
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let served = cxl::lsp::serve(&connection);
    // Dropping the connection closes the writer's channel, so its thread can end.
    drop(connection);
    match served {
        Err(error) if !error.is_disconnected() => {
            // The reader may still be waiting on a live client's stdin: no join.
            to_stderr!("error: {error}");
            2
        }
        // The client is gone or said `exit`: the reader has ended, and tells why.
        _ => match io_threads.join() {
            Ok(()) => 0,
            Err(error) => {
                to_stderr!("error: cannot read the client's messages: {error}");
                2
            }
        },
    }
}

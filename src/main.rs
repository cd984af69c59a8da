//! The `assay` command: parse the command line and run one subcommand.

use std::process::ExitCode;

/// See Cargo.toml: large columns are reused instead of being handed back to the kernel.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Deep (but bounded) rule text makes the parser recurse; a roomy stack keeps every
/// accepted input well inside it, whatever the platform's default.
const STACK_SIZE: usize = 64 * 1024 * 1024;

fn main() -> ExitCode {
    let worker = std::thread::Builder::new().name("assay".into()).stack_size(STACK_SIZE).spawn(assay::cli::main);
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => ExitCode::from(assay::cli::internal_error()),
    }
}

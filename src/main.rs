use clap::Parser;

/// mimalloc rather than the system's allocator: under 64 connections at once the invoice list
/// spent a fifth of its time in glibc's malloc and free (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    partnership_billing::services::configure_sqlite();
    let cli = partnership_billing::cli::Cli::parse();
    partnership_billing::cli::init_tracing();
    match partnership_billing::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

use clap::Parser;

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

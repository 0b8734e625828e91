use std::process::ExitCode;

use clap::Parser as _;
use govskills_api::{cli::Cli, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.config.log_format);
    match govskills_api::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "govskills stopped");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

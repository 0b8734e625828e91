use std::process::ExitCode;

use clap::Parser as _;
use govskills_api::{cli::Cli, config::LogFormat, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_format = cli.config.log_format;
    telemetry::init(log_format);
    match govskills_api::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Said once: as a log record where logs are collected as JSON, else as a plain line
            // for the person at the terminal.
            match log_format {
                LogFormat::Json => tracing::error!(error = format!("{err:#}"), "govskills stopped"),
                LogFormat::Pretty => eprintln!("error: {err:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

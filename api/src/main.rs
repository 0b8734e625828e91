use std::process::ExitCode;

use clap::Parser as _;
use govskills_api::{cli::Cli, config::LogFormat, telemetry};

/// jemalloc rather than glibc's malloc: a request builds and drops many small values (rows,
/// GraphQL values, JSON), and on the catalogue page glibc's malloc and free took a fifth of the
/// server's CPU. Measured on the same binary (`LD_PRELOAD`, docs/PERFORMANCE.md): glibc 5.5 ms of
/// CPU per catalogue request, mimalloc 4.2 ms, jemalloc 3.9 ms.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

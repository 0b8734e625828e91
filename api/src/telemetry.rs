//! Logging: pretty for people, JSON for log collectors; level from `RUST_LOG`. Logs go to
//! standard error, so standard output stays clean for commands such as `export-schema`.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// The filter without `RUST_LOG`. The database pool's own messages (`sqlx_core::pool::inner`)
/// are left out: while the database address reaches a standby it logs an error for every
/// connection it opens and closes again, several a second per waiting request; the service logs
/// that once per burst itself (`metrics::record_standby_refused`), as it does an unreachable
/// database.
const DEFAULT_FILTER: &str =
    "info,sqlx=warn,sqlx_core::pool::inner=off,sea_orm=warn,sea_orm_migration=warn";

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Pretty => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // A subscriber set already (by a test harness) is fine.
    drop(result);
}

//! Prometheus metrics: the process-wide recorder, the names of what we measure, and the few
//! helpers the HTTP layer and resolvers call. `GET /metrics` renders them (`http/metrics.rs`).
//!
//! What is measured:
//!
//! - `http_requests_total{operation,status}`: requests by GraphQL operation name (or route) and
//!   HTTP status;
//! - `http_request_duration_seconds{operation}`: latency histogram, same `operation` label;
//! - `db_pool_connections`, `db_pool_idle`: the database pool, read at each scrape;
//! - `session_store_errors_total`: calls to the session store (Redis) that failed;
//! - `database_unavailable_total`: requests answered `UNAVAILABLE` because the database could
//!   not be reached; `database_standby_refused_total`: new connections closed because the server
//!   was a standby (in recovery), which a failover that has not finished leaves behind;
//! - `logins_total{outcome}`: `succeeded`, `failed` (wrong email or password, disabled account)
//!   or `throttled`;
//! - `db_statements_total`: SQL statements executed since start-up (not the migrations); the
//!   benchmark reads it before and after a journey to get statements per request;
//! - `jobs{state}`: the background job queue by state (`queued`, `running`, `done`, `dead`),
//!   read from the database at each scrape;
//! - `privacy_purged_total{kind}`: what the retention purge removed (`attempt_answers`,
//!   `self_assessments`, `notifications`, `audit_events`, `accounts_erased`).
//!
//! `certificates_issued_total` arrives with the certificates issue, counted where a certificate is
//! issued; it is deliberately not registered before anything can increment it.

use std::{
    collections::HashSet,
    sync::{Mutex, OnceLock, PoisonError},
    time::Duration,
};

use anyhow::Context as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "http_request_duration_seconds";
pub const DB_POOL_CONNECTIONS: &str = "db_pool_connections";
pub const DB_POOL_IDLE: &str = "db_pool_idle";
pub const SESSION_STORE_ERRORS: &str = "session_store_errors_total";
pub const DATABASE_UNAVAILABLE: &str = "database_unavailable_total";
pub const DATABASE_STANDBY_REFUSED: &str = "database_standby_refused_total";
pub const LOGINS: &str = "logins_total";
pub const DB_STATEMENTS: &str = "db_statements_total";
pub const JOBS: &str = "jobs";
pub const PRIVACY_PURGED: &str = "privacy_purged_total";
pub const CATALOGUE_ANSWERS: &str = "catalogue_answers_total";

/// Upper bounds of the latency buckets, in seconds: from a cached read to an argon2 hash under
/// load, and the 30 s shutdown grace as the last finite bucket.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often recorded histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Most distinct GraphQL operation names that get a label of their own. Operation names come
/// from clients, so without a limit anyone could grow the metrics (and Prometheus) without
/// bound; names beyond it are counted as [`OTHER`].
pub const MAX_OPERATION_LABELS: usize = 200;
/// The `operation` label of a GraphQL request without an operation name.
pub const ANONYMOUS: &str = "anonymous";
/// The `operation` label once [`MAX_OPERATION_LABELS`] is reached, and of unknown routes.
pub const OTHER: &str = "other";
/// Longest operation name kept as a label.
const MAX_OPERATION_NAME_LEN: usize = 64;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static OPERATIONS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// Installs the process-wide recorder, once (tests start many applications in one process).
pub fn install() -> anyhow::Result<()> {
    if HANDLE.get().is_some() {
        return Ok(());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(HTTP_REQUEST_DURATION.to_owned()),
            LATENCY_BUCKETS,
        )
        .context("failed to configure the latency histogram")?
        .build_recorder();
    let handle = recorder.handle();
    // Two applications starting at once may both get here; only one recorder can be global,
    // and the handle that is kept must be the one of that recorder.
    HANDLE.get_or_init(|| {
        if let Err(err) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %err, "a metrics recorder was already installed");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(error = %err, "cannot start the metrics upkeep thread");
        }
        handle
    });
    Ok(())
}

fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by GraphQL operation name (or route) and status"
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency by GraphQL operation name (or route)"
    );
    metrics::describe_gauge!(DB_POOL_CONNECTIONS, "Open connections in the database pool");
    metrics::describe_gauge!(DB_POOL_IDLE, "Idle connections in the database pool");
    metrics::describe_counter!(
        SESSION_STORE_ERRORS,
        "Session store (Redis) calls that failed"
    );
    metrics::describe_counter!(
        DATABASE_UNAVAILABLE,
        "Requests answered UNAVAILABLE because the database could not be reached"
    );
    metrics::describe_counter!(
        DATABASE_STANDBY_REFUSED,
        "New database connections closed because the server was a standby (in recovery)"
    );
    metrics::describe_counter!(LOGINS, "Sign-in attempts by outcome");
    metrics::describe_gauge!(JOBS, "Jobs of the background queue by state");
    metrics::describe_counter!(
        CATALOGUE_ANSWERS,
        "Catalogue queries that could be answered from kept answers, by whether one was kept"
    );
    metrics::describe_counter!(
        DB_STATEMENTS,
        "SQL statements executed since start-up, migrations excluded"
    );
}

/// Every metric in the Prometheus text format, with the pool gauges and the job queue read
/// now; `None` before [`install`].
pub async fn render(db: &DatabaseConnection) -> Option<String> {
    let handle = HANDLE.get()?;
    record_pool(db);
    record_jobs(db).await;
    Some(handle.render())
}

/// The job queue by state; a database that cannot be read leaves the last figures.
async fn record_jobs(db: &DatabaseConnection) {
    match govskills_domain::jobs::counts(db).await {
        Ok(counts) => {
            for state in govskills_domain::jobs::JobState::ALL {
                let jobs = counts
                    .iter()
                    .find(|(name, _)| name == state.as_str())
                    .map_or(0, |(_, jobs)| *jobs);
                #[expect(clippy::cast_precision_loss, reason = "job counts are far below 2^52")]
                metrics::gauge!(JOBS, "state" => state.as_str()).set(jobs as f64);
            }
        }
        Err(err) => tracing::warn!(error = %err, "cannot count the job queue for /metrics"),
    }
}

fn record_pool(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    metrics::gauge!(DB_POOL_CONNECTIONS).set(f64::from(size));
    #[expect(
        clippy::cast_precision_loss,
        reason = "a pool holds far fewer than 2^52 connections"
    )]
    metrics::gauge!(DB_POOL_IDLE).set(idle as f64);
}

/// The `operation` label for a GraphQL operation name given by a client: the name itself while
/// it is a plausible GraphQL name and fewer than [`MAX_OPERATION_LABELS`] names have been seen,
/// else [`OTHER`].
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name else {
        return ANONYMOUS.to_owned();
    };
    let plausible = !name.is_empty()
        && name.len() <= MAX_OPERATION_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !plausible {
        return OTHER.to_owned();
    }
    let mut seen = OPERATIONS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if seen.contains(name) || seen.len() < MAX_OPERATION_LABELS {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        OTHER.to_owned()
    }
}

/// Counts one finished HTTP request and its latency.
pub fn record_request(operation: String, status: u16, elapsed: Duration) {
    metrics::counter!(HTTP_REQUESTS, "operation" => operation.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, "operation" => operation)
        .record(elapsed.as_secs_f64());
}

/// How a sign-in attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Succeeded,
    /// Wrong email or password, or a disabled account.
    Failed,
    /// Refused by login throttling before the password was checked.
    Throttled,
}

pub fn record_login(outcome: LoginOutcome) {
    let outcome = match outcome {
        LoginOutcome::Succeeded => "succeeded",
        LoginOutcome::Failed => "failed",
        LoginOutcome::Throttled => "throttled",
    };
    metrics::counter!(LOGINS, "outcome" => outcome).increment(1);
}

/// Counts a catalogue query answered from a kept answer (`kept`) or worked out afresh.
pub fn record_catalogue_answer(kept: bool) {
    let result = if kept { "kept" } else { "worked_out" };
    metrics::counter!(CATALOGUE_ANSWERS, "result" => result).increment(1);
}

/// Counts one executed SQL statement (called from the database's metric callback).
pub fn record_statement() {
    metrics::counter!(DB_STATEMENTS).increment(1);
}

/// Whether something logged at `last` (Unix seconds) may be logged again: once per burst, at
/// most every ten seconds; if so, `last` becomes now.
fn once_per_burst(last: &std::sync::atomic::AtomicI64) -> bool {
    use std::sync::atomic::Ordering;
    let now = chrono::Utc::now().timestamp();
    let logged = last.load(Ordering::Relaxed);
    now - logged >= 10
        && last
            .compare_exchange(logged, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// Counts a request that found the database unreachable, and logs it once per burst (at most
/// every ten seconds), not once per request.
pub fn record_database_unavailable(cause: &str) {
    static LAST_LOGGED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    metrics::counter!(DATABASE_UNAVAILABLE).increment(1);
    if once_per_burst(&LAST_LOGGED) {
        tracing::warn!(
            cause,
            "the database cannot be reached; answering UNAVAILABLE"
        );
    }
}

/// Counts a new connection closed because the server was a standby, and logs it once per burst.
pub fn record_standby_refused() {
    static LAST_LOGGED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    metrics::counter!(DATABASE_STANDBY_REFUSED).increment(1);
    if once_per_burst(&LAST_LOGGED) {
        tracing::warn!(
            "the database address reaches a standby (in recovery), not a primary; \
             refusing its connections until it is promoted or the address moves"
        );
    }
}

pub fn record_session_store_error() {
    metrics::counter!(SESSION_STORE_ERRORS).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_names_or_a_fixed_word() {
        assert_eq!(operation_label(None), ANONYMOUS);
        assert_eq!(operation_label(Some("CreateUser")), "CreateUser");
        assert_eq!(operation_label(Some("")), OTHER);
        assert_eq!(operation_label(Some("drop table; --")), OTHER);
        assert_eq!(operation_label(Some(&"a".repeat(65))), OTHER);
    }
}

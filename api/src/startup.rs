//! `Application::build` does everything `govskills serve` and the black-box tests share:
//! check the configuration, connect and migrate the database, set up the session store, build
//! the schema once, and bind the listener (port 0 picks a free port, reported by `port()`).

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context as _;
use govskills_domain::{clock::Clock, credentials::IssuerSource};
use govskills_migration::{Migrator, MigratorTrait};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use secrecy::ExposeSecret;

use crate::{
    config::Config,
    context::Services,
    graphql, http,
    session::{MemoryStore, RedisStore, SessionPolicy, SessionStore},
    state::AppState,
    verify_throttle::VerifyThrottle,
    worker::Worker,
};

/// How long in-flight requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub struct Application {
    acceptor: TcpAcceptor,
    port: u16,
    state: AppState,
    sql_statements: Arc<AtomicU64>,
    /// The background worker this process runs beside the server, unless `--no-workers`.
    worker: Option<Worker>,
    clock: Arc<Clock>,
}

/// Installs rustls' ring crypto provider (the one the database driver already uses) as the
/// process default, for outgoing HTTPS (`verify-credential --jwks https://...`). HTTP clients
/// built with reqwest need a default provider; installing it again does nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        install_tls_provider();
        config.validate_serve()?;
        // What the accessibility statement names; production refuses to start without it.
        let accessibility = Arc::new(crate::accessibility::Accessibility::from_config(config)?);
        crate::metrics::install()?;
        let mut db = connect_database(config).await?;
        if config.skip_migrations {
            tracing::info!("not applying migrations (GOVSKILLS_SKIP_MIGRATIONS)");
        } else {
            migrate(&db).await?;
        }
        // Counted from here on: the statements that serve requests, not the migrations.
        let sql_statements = Arc::new(AtomicU64::new(0));
        let mut read_db = connect_read_replica(config).await?;
        for pool in std::iter::once(&mut db).chain(read_db.as_mut()) {
            let counter = Arc::clone(&sql_statements);
            pool.set_metric_callback(move |_| {
                counter.fetch_add(1, Ordering::Relaxed);
                crate::metrics::record_statement();
            });
        }
        let read_db = read_db.unwrap_or_else(|| db.clone());

        let acceptor = TcpListener::bind(config.listen.as_str())
            .into_acceptor()
            .await
            .with_context(|| format!("failed to listen on {}", config.listen))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().map(std::net::SocketAddr::port))
            .context("the listener has no TCP address")?;
        // Without GOVSKILLS_PUBLIC_URL, links name the address actually bound (port 0 included).
        let public_url = config.public_url.clone().unwrap_or_else(|| {
            let host = config
                .listen
                .rsplit_once(':')
                .map_or(config.listen.as_str(), |(host, _)| host);
            format!("http://{host}:{port}")
        });
        let issuer = IssuerSource::new(config.configured_issuer_keys()?, &public_url);
        // Every process records its key at start, so that the order in which replicas record
        // keys is the order in which the operator rolled them out (see `credentials::issuer`).
        // Where a Job migrates (`--skip-migrations`) the table may not exist yet: the key is
        // then recorded on first use, and published meanwhile all the same.
        match issuer.get(&db).await {
            Ok(loaded) => {
                for key in loaded.keys() {
                    tracing::info!(kid = key.kid(), algorithm = %key.algorithm(), "certificate issuer key loaded");
                }
            }
            Err(err) if config.skip_migrations => {
                tracing::warn!(
                    error = %err,
                    "the certificate issuer's key is not recorded yet (migrations pending?); \
                     it will be on first use"
                );
            }
            Err(err) => {
                return Err(anyhow::Error::new(err))
                    .context("failed to load the certificate issuer's key");
            }
        }

        let policy = SessionPolicy {
            idle: config.session_idle(),
            lifetime: config.session_lifetime(),
        };
        let sessions: Arc<dyn SessionStore> = match &config.redis_url {
            Some(url) => Arc::new(RedisStore::new(
                url,
                config.redis_ca()?,
                config.redis_key_prefix.clone(),
                policy,
            )?),
            None => {
                tracing::warn!(
                    "GOVSKILLS_REDIS_URL is not set: sessions live in this process only; \
                     they are not shared between replicas and end when it restarts"
                );
                Arc::new(MemoryStore::new(policy))
            }
        };
        let verify_throttle = Arc::new(VerifyThrottle::new(
            Arc::clone(&sessions),
            config.verify_rate_limit,
        ));
        let services = Services {
            db,
            read_db,
            sessions,
            secure_cookies: config.is_production(),
            session_lifetime: config.session_lifetime(),
            batch_window: Duration::from_millis(config.dataloader_window_ms),
            report_min_group_size: config.report_min_group_size(),
            issuer: Arc::new(issuer),
            verify_throttle,
            oidc: Arc::new(crate::oidc::Oidc::new(
                config.secret_key()?,
                config.is_production(),
                &public_url,
                &config.cors_origins,
            )?),
        };
        let clock = Arc::new(config.clock());
        let worker = (!config.no_workers)
            .then(|| worker(config, services.db.clone(), &public_url, Arc::clone(&clock)))
            .transpose()?;
        let state = AppState {
            api: Arc::new(graphql::schema(services.clone(), config.is_production())),
            services,
            production: config.is_production(),
            cors_origins: Arc::new(config.cors_origins.clone()),
            trust_forwarded_for: config.trust_forwarded_for,
            accessibility,
            answers: Arc::new(http::answers::Answers::new(
                config.catalogue_cache_mb.saturating_mul(1 << 20),
            )),
        };

        Ok(Self {
            acceptor,
            port,
            state,
            sql_statements,
            worker,
            clock,
        })
    }

    /// The clock the background worker goes by; tests move it forward.
    pub fn clock(&self) -> Arc<Clock> {
        Arc::clone(&self.clock)
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many SQL statements the service has executed since start-up; benchmarks and tests
    /// read it to show that a request's statement count does not grow with the data it returns.
    pub fn sql_statements(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.sql_statements)
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.services.db
    }

    /// The certificate issuer (signing key, loaded on first use, and public base URL).
    pub fn issuer(&self) -> &IssuerSource {
        &self.state.services.issuer
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_with_shutdown(shutdown_signal()).await
    }

    /// Serves until `signal` completes, then lets in-flight requests finish (up to
    /// [`SHUTDOWN_GRACE`]) and closes the database pool.
    pub async fn run_with_shutdown(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let db = self.state.services.db.clone();
        // The worker stops (after its round) when the server does.
        let stop = Arc::new(tokio::sync::Notify::new());
        let worker = self.worker.map(|worker| {
            let stop = Arc::clone(&stop);
            tokio::spawn(worker.run(async move { stop.notified().await }))
        });
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(http::routes(self.state), signal, Some(SHUTDOWN_GRACE))
            .await
            .context("the HTTP server failed");
        stop.notify_one();
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        served?;
        db.close()
            .await
            .context("failed to close the database pool")?;
        Ok(())
    }
}

/// The background worker of a process, with the configured mail relay (if any).
pub fn worker(
    config: &Config,
    db: DatabaseConnection,
    public_url: &str,
    clock: Arc<Clock>,
) -> anyhow::Result<Worker> {
    Ok(Worker {
        db,
        mailer: crate::mailer::Mailer::from_config(config)?,
        public_url: public_url.trim_end_matches('/').to_owned(),
        clock,
        poll: Duration::from_millis(config.worker_poll_ms),
        scan_every: Duration::from_secs(config.notification_scan_secs),
        id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
    })
}

/// Connects to the configured database; on SQLite, turns on write-ahead logging so readers do
/// not wait for writers.
///
/// Through a restart or a failover of PostgreSQL the pool keeps itself usable:
///
/// - it pings a connection that has been idle for [`PING_AFTER_IDLE`] or longer before handing
///   it out, and opens a fresh one in place of one that died, so the first request after a
///   restart (which takes far longer than that) is served, not refused. Under load a connection
///   comes back to the pool and goes out again within milliseconds, and then goes unpinged: a
///   ping for every statement cost a round trip each (about a tenth of the server's CPU on the
///   catalogue page, docs/PERFORMANCE.md). One that dies in those milliseconds fails its
///   statement with `ConnectionLost`, and a query is then run again
///   ([`crate::graphql::execute`]);
/// - while no connection can be opened it tries again with a backoff (doubling from 10 ms, at most
///   a fifth of the acquire timeout) until the acquire timeout, then the request is
///   `UNAVAILABLE`;
/// - it keeps no connection to a standby: each new connection asks `pg_is_in_recovery()`, and
///   one to a server in recovery (a standby, or an old primary the address now reaches) is
///   closed and counts as a failed attempt, so requests are `UNAVAILABLE` and `/readyz` 503
///   until the address reaches a primary again. A server cannot leave recovery other than by
///   promotion, so checking when a connection opens is enough. sqlx reads neither
///   `target_session_attrs` nor several hosts in one URL (see deploy/README.md).
pub async fn connect_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let mut options = pool_options(config, config.database_url.expose_secret());
    // sqlx's own `after_connect`, run on every new connection (SeaORM's `after_connect` runs
    // once, after the pool is made). It replaces the one SeaORM installs only for
    // `set_schema_search_path`, which we do not use.
    options.map_sqlx_postgres_pool_opts(|pool| {
        pool.after_connect(refuse_standby)
            .before_acquire(ping_if_idle)
    });
    let db = Database::connect(options)
        .await
        .context("failed to connect to the database (GOVSKILLS_DATABASE_URL)")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL")
            .await
            .context("failed to switch SQLite to write-ahead logging")?;
    }
    Ok(db)
}

/// The pool for reads that may lag (`GOVSKILLS_DATABASE_READ_URL`, a standby of the primary),
/// or `None` without one. It behaves like the primary's pool through restarts, except that a
/// server in recovery is what it is meant to reach.
pub async fn connect_read_replica(config: &Config) -> anyhow::Result<Option<DatabaseConnection>> {
    let Some(url) = &config.database_read_url else {
        return Ok(None);
    };
    let mut options = pool_options(config, url.expose_secret());
    options.map_sqlx_postgres_pool_opts(|pool| pool.before_acquire(ping_if_idle));
    let db = Database::connect(options)
        .await
        .context("failed to connect to the read replica (GOVSKILLS_DATABASE_READ_URL)")?;
    Ok(Some(db))
}

/// What both pools share: size, timeouts, no statement logging, no ping for a connection in
/// use moments ago.
fn pool_options(config: &Config, url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(config.database_max_connections)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .sqlx_logging(false);
    options
}

/// How long a pooled connection may have been idle before it is pinged on its way out: far
/// shorter than any restart of PostgreSQL, far longer than a connection rests under load.
const PING_AFTER_IDLE: Duration = Duration::from_millis(50);

/// Pings a connection that has been idle for [`PING_AFTER_IDLE`]; `Ok(false)` (a dead one)
/// makes the pool close it and hand out another.
fn ping_if_idle(
    connection: &mut sea_orm::sqlx::PgConnection,
    meta: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> futures_util::future::BoxFuture<'_, Result<bool, sea_orm::sqlx::Error>> {
    Box::pin(async move {
        if meta.idle_for < PING_AFTER_IDLE {
            return Ok(true);
        }
        Ok(sea_orm::sqlx::Connection::ping(connection).await.is_ok())
    })
}

/// Fails for a connection to a PostgreSQL server in recovery (a standby), so that the pool
/// closes it and tries again; see [`connect_database`].
fn refuse_standby(
    connection: &mut sea_orm::sqlx::PgConnection,
    _: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> futures_util::future::BoxFuture<'_, Result<(), sea_orm::sqlx::Error>> {
    Box::pin(async move {
        let in_recovery: bool = sea_orm::sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(connection)
            .await?;
        if in_recovery {
            crate::metrics::record_standby_refused();
            return Err(sea_orm::sqlx::Error::Configuration(
                "the database server is a standby (pg_is_in_recovery() is true); \
                 GovSkills writes, and waits for a primary"
                    .into(),
            ));
        }
        Ok(())
    })
}

/// Key of the PostgreSQL advisory lock that serialises migrations across processes (any fixed
/// number; this one is "GovSkill" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x476f_7653_6b69_6c6c;

/// Applies pending migrations.
///
/// On PostgreSQL, several processes may do this at once (replicas starting together, a
/// migration Job next to `serve`): each first takes a transaction-level advisory lock and runs
/// the migrations inside that same transaction, so they wait for each other, and the next one
/// finds nothing left to do. The lock is held by the connection that runs the migrations and
/// ends with the transaction, also if the process dies. (A session-level `pg_advisory_lock` would
/// need one connection held for the whole run, which a pool does not promise between
/// statements.) Each migration runs in a savepoint of that transaction, so all pending
/// migrations apply together or not at all. A future migration that cannot run inside a
/// transaction (`CREATE INDEX CONCURRENTLY`) would need a session lock on a dedicated
/// connection instead.
///
/// SQLite is one file for one process and needs no lock.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None)
            .await
            .context("failed to run database migrations");
    }
    let txn = db
        .begin()
        .await
        .context("failed to begin the migration transaction")?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [MIGRATION_LOCK_KEY.into()],
    ))
    .await
    .context("failed to take the migration lock")?;
    Migrator::up(&txn, None)
        .await
        .context("failed to run database migrations")?;
    txn.commit()
        .await
        .context("failed to commit the database migrations")
}

pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

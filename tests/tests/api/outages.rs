//! The database or the session store going away and coming back, against real servers the tests
//! control: a throw-away PostgreSQL cluster (`initdb`, `pg_ctl` of the installed PostgreSQL) on a
//! loopback port in a temporary directory, stopped and started under the running service; and a
//! private redis-server, frozen and thawed (so it keeps its sessions).

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use sea_orm::{
    ConnectionTrait as _, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait as _,
};
use serde_json::json;

use crate::{
    helpers::{LEARNER1, PASSWORD, TRAINER, TestApp, error_code, spawn_app_with},
    learning::published_course,
    notifications::{FIRST_DAY_EMAILS, WEEKS_LATER_EMAILS, mail_to},
    smtp_server::SmtpServer,
};

/// The directory of the installed PostgreSQL's programs (the newest version).
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("initdb of an installed PostgreSQL")
}

/// Whether this process runs as root, where PostgreSQL's programs must run as `postgres`.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Runs one of the installed PostgreSQL's programs (as `postgres` when root) and panics,
/// with its standard error, if it fails.
fn run(program: &str, args: &[&str]) {
    let path = postgres_bin().join(program);
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&path);
        command
    } else {
        Command::new(&path)
    };
    let output = command
        .args(args)
        .output()
        .expect("a PostgreSQL program runs");
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A throw-away PostgreSQL cluster.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    /// A temporary directory the cluster's programs may write (owned by `postgres` when root).
    fn directory() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("govskills-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a directory");
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown runs");
            assert!(status.success());
        }
        dir
    }

    fn new() -> Self {
        let cluster = Self {
            dir: Self::directory(),
            port: free_port(),
        };
        let data = cluster.data();
        run(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        );
        cluster.start();
        cluster
    }

    /// A standby of `primary`, as a failover finds one: a base backup that streams from it
    /// (`pg_basebackup -R`), started on a port of its own, read-only until promoted.
    fn standby_of(primary: &Cluster) -> Self {
        let standby = Self {
            dir: Self::directory(),
            port: free_port(),
        };
        let data = standby.data();
        let port = primary.port.to_string();
        run(
            "pg_basebackup",
            &[
                "-D",
                &data,
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
        );
        standby.start();
        standby
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn start_args(&self) -> Vec<String> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        [
            "-D",
            &self.data(),
            "-o",
            &options,
            "-l",
            &log,
            "-w",
            "start",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn stop_args(&self, mode: &str) -> Vec<String> {
        ["-D", &self.data(), "-m", mode, "-w", "stop"]
            .map(str::to_owned)
            .to_vec()
    }

    fn start(&self) {
        run_owned("pg_ctl", &self.start_args());
    }

    /// Stops the server: `fast` (clients disconnected, clean) or `immediate` (as a crash).
    fn stop(&self, mode: &str) {
        run_owned("pg_ctl", &self.stop_args(mode));
    }

    /// Stops the server in `mode` and starts it again, off the async runtime, so the service
    /// under test keeps running meanwhile (it sees the restart as a client would).
    async fn restart(&self, mode: &str) {
        let (stop, start) = (self.stop_args(mode), self.start_args());
        tokio::task::spawn_blocking(move || {
            run_owned("pg_ctl", &stop);
            run_owned("pg_ctl", &start);
        })
        .await
        .expect("restarted");
    }

    /// Stops the server in `mode` off the async runtime (see [`Cluster::restart`]).
    async fn stop_meanwhile(&self, mode: &str) {
        let stop = self.stop_args(mode);
        tokio::task::spawn_blocking(move || run_owned("pg_ctl", &stop))
            .await
            .expect("stopped");
    }

    /// Starts the server off the async runtime (see [`Cluster::restart`]).
    async fn start_meanwhile(&self) {
        let start = self.start_args();
        tokio::task::spawn_blocking(move || run_owned("pg_ctl", &start))
            .await
            .expect("started");
    }

    /// Makes a standby the primary (`pg_ctl promote`, waiting until it is).
    fn promote(&self) {
        run("pg_ctl", &["-D", &self.data(), "-w", "promote"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A connection of the test's own (not the service's pool).
    async fn connect(&self) -> DatabaseConnection {
        Database::connect(self.url())
            .await
            .expect("the cluster is reachable")
    }
}

fn run_owned(program: &str, args: &[String]) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(program, &args);
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let path = postgres_bin().join("pg_ctl");
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(Path::new(&self.dir));
    }
}

/// Waits until a statement of the service waits for a lock the test holds.
async fn until_waiting_for_a_lock(observer: &DatabaseConnection) {
    let started = Instant::now();
    loop {
        let waiting = observer
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
            ))
            .await
            .expect("pg_stat_activity is readable")
            .and_then(|row| row.try_get::<i64>("", "n").ok())
            .unwrap_or_default();
        if waiting > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the service's statement never waited for the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ready(app: &TestApp) -> StatusCode {
    app.client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz answers")
        .status()
}

/// Waits until `/readyz` says `expected`, and returns how long that took.
async fn until_ready_is(app: &TestApp, expected: StatusCode, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if ready(app).await == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "/readyz did not turn {expected} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const CATALOGUE: &str = "{ courses(first: 5) { edges { node { id title } } } }";

/// The catalogue with a field whose answer is never kept (`canEdit` depends on who asks), so
/// each request reads the courses (`catalogue_answers.rs`).
const CATALOGUE_READ_AFRESH: &str = "{ courses(first: 5) { edges { node { id title canEdit } } } }";

/// The service on the database at `url` (a throw-away cluster, or a forwarder to one).
async fn app_on(url: String) -> TestApp {
    spawn_app_with(|config| {
        config.database_url = secrecy::SecretString::from(url);
    })
    .await
}

/// The service with its sessions in `redis`.
async fn app_with_sessions_on(redis: &PrivateRedis) -> TestApp {
    let url = format!("redis://127.0.0.1:{}", redis.port);
    spawn_app_with(|config| {
        config.redis_url = Some(secrecy::SecretString::from(url));
    })
    .await
}

#[tokio::test]
async fn while_the_database_is_away_answers_are_unavailable_and_it_recovers_without_a_restart() {
    let cluster = Cluster::new();
    let app = app_on(cluster.url()).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    app.ok(CATALOGUE, json!({}), &learner).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (course, _) = published_course(&app, &trainer, "Working offline", 1).await;
    let enrollments = app.count("enrollments").await;

    for mode in ["fast", "immediate"] {
        cluster.stop(mode);

        // Readiness follows within seconds; liveness stays, so nothing restarts needlessly.
        let took = until_ready_is(
            &app,
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(5),
        )
        .await;
        eprintln!("{mode}: not ready {took:?} after the database stopped");
        let alive = app
            .client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("sent");
        assert_eq!(alive.status(), StatusCode::OK);

        // A signed-in request: the session's user cannot be loaded. Retryable, not a bug.
        let response = app
            .post(&json!({ "query": CATALOGUE }), Some(&learner))
            .await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{mode}");
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("5")
        );
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{mode}: {body}");
        // An anonymous one reaches its resolver and hears the same.
        let verify = app
            .gql(
                "{ verifyCertificate(code: \"ABCD-EFGH-JKMN-PQRS-TVWX-YZ23\") { status } }",
                json!({}),
                None,
            )
            .await;
        assert_eq!(error_code(&verify), Some("UNAVAILABLE"), "{mode}: {verify}");
        // A mutation is not half-stored: it is refused before anything is written.
        let enroll = app
            .gql(
                "mutation($id: ID!) { enroll(courseId: $id) { id } }",
                json!({ "id": course }),
                Some(&learner),
            )
            .await;
        assert_eq!(error_code(&enroll), Some("UNAVAILABLE"), "{mode}: {enroll}");
        // A plain route: 503 with Retry-After.
        let csv = app
            .client
            .get(app.url("/reports/completion.csv?orgUnitId=00000000-0000-0000-0000-000000000000"))
            .bearer_auth(&learner)
            .send()
            .await
            .expect("sent");
        assert_eq!(csv.status(), StatusCode::SERVICE_UNAVAILABLE, "{mode}");
        assert!(csv.headers().contains_key("retry-after"));

        cluster.start();
        let took = until_ready_is(&app, StatusCode::OK, Duration::from_secs(15)).await;
        eprintln!("{mode}: ready again {took:?} after the database was back");
        app.ok(CATALOGUE, json!({}), &learner).await;
        assert_eq!(app.count("enrollments").await, enrollments, "{mode}");
    }
    // Served normally afterwards: a write goes through.
    app.ok(
        "mutation($id: ID!) { enroll(courseId: $id) { id } }",
        json!({ "id": course }),
        &learner,
    )
    .await;
    assert_eq!(app.count("enrollments").await, enrollments + 1);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("database_unavailable_total"),
        "the outage is counted on /metrics"
    );
}

/// A private redis-server for one test.
struct PrivateRedis {
    server: std::process::Child,
    port: u16,
}

impl PrivateRedis {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let server = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (it is installed where the tests run)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { server, port }
    }

    /// Freezes (`STOP`) or thaws (`CONT`) the server: unreachable, yet keeping what it holds.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.server.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.signal("CONT");
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[tokio::test]
async fn while_redis_is_away_signed_in_requests_are_unavailable_never_anonymous() {
    let redis = PrivateRedis::start();
    let app = app_with_sessions_on(&redis).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let me = "{ me { email } }";
    assert_eq!(
        app.ok(me, json!({}), &learner).await["me"]["email"],
        LEARNER1
    );

    redis.signal("STOP");
    until_ready_is(
        &app,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(5),
    )
    .await;
    let response = app.post(&json!({ "query": me }), Some(&learner)).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.expect("JSON");
    // Never answered as if nobody were signed in.
    assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{body}");
    assert!(body["data"].is_null(), "{body}");
    let login = app.try_login(LEARNER1, PASSWORD).await;
    assert_eq!(error_code(&login), Some("UNAVAILABLE"), "{login}");

    redis.signal("CONT");
    until_ready_is(&app, StatusCode::OK, Duration::from_secs(15)).await;
    // Redis kept the sessions: the same token works again.
    assert_eq!(
        app.ok(me, json!({}), &learner).await["me"]["email"],
        LEARNER1
    );
}

/// Runs `CATALOGUE` several times at once, so that the pool opens several connections and keeps
/// them idle afterwards; returns how many it keeps.
async fn fill_the_pool(app: &TestApp, token: &str) -> usize {
    futures_util::future::join_all((0..4).map(|_| app.ok(CATALOGUE, json!({}), token))).await;
    app.db.get_postgres_connection_pool().num_idle()
}

/// The first request after a restart meets only dead idle connections in the pool. The pool
/// pings a connection that has been idle for a moment before handing it out
/// (`startup::PING_AFTER_IDLE`) and opens a fresh one in place of a dead one, so that request
/// is served, not refused. Without the ping this test fails: the first query is `UNAVAILABLE`.
#[tokio::test]
async fn after_a_restart_the_first_query_is_served_on_a_fresh_connection() {
    let cluster = Cluster::new();
    let app = app_on(cluster.url()).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    for mode in ["fast", "immediate"] {
        let idle = fill_the_pool(&app, &learner).await;
        assert!(idle >= 2, "{mode}: the pool holds idle connections: {idle}");
        cluster.restart(mode).await;
        let started = Instant::now();
        let answer = app.gql(CATALOGUE, json!({}), Some(&learner)).await;
        assert!(answer.get("errors").is_none(), "{mode}: {answer}");
        eprintln!(
            "{mode}: the first query after the restart was answered in {:?}",
            started.elapsed()
        );
    }
}

/// A query whose connection dies under it (PostgreSQL restarting while the statement runs) is
/// run once more on a fresh connection, which the pool opens as soon as the server is back:
/// the client gets its answer, not `UNAVAILABLE`.
#[tokio::test]
async fn a_query_caught_in_a_restart_is_run_again_on_a_fresh_connection_and_answered() {
    let cluster = Cluster::new();
    let app = app_on(cluster.url()).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    app.ok(CATALOGUE_READ_AFRESH, json!({}), &learner).await;
    for mode in ["fast", "immediate"] {
        // The catalogue waits for a lock the test holds, so the restart finds it running.
        let test = cluster.connect().await;
        let lock = test.begin().await.expect("a transaction");
        lock.execute_unprepared("LOCK TABLE courses IN ACCESS EXCLUSIVE MODE")
            .await
            .expect("locked");
        let started = Instant::now();
        let (answer, ()) = tokio::join!(
            app.gql(CATALOGUE_READ_AFRESH, json!({}), Some(&learner)),
            async {
                until_waiting_for_a_lock(&test).await;
                cluster.restart(mode).await;
            }
        );
        assert!(answer.get("errors").is_none(), "{mode}: {answer}");
        assert!(
            answer["data"]["courses"]["edges"].is_array(),
            "{mode}: {answer}"
        );
        eprintln!(
            "{mode}: the query caught in the restart was answered after {:?}",
            started.elapsed()
        );
        drop(lock);
    }
}

/// A mutation whose transaction the restart cut short is `UNAVAILABLE`, nothing of it is
/// stored, and it is not run again behind the client's back (though the server is back at once,
/// and a second run would have gone through): the client decides, and `enroll` is safe to
/// repeat.
#[tokio::test]
async fn a_mutation_caught_in_a_restart_is_unavailable_stores_nothing_and_is_not_run_again() {
    let cluster = Cluster::new();
    let app = app_on(cluster.url()).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let enroll = "mutation($id: ID!) { enroll(courseId: $id) { id } }";
    for mode in ["fast", "immediate"] {
        let (course, _) = published_course(&app, &trainer, &format!("Restarts ({mode})"), 1).await;
        let enrollments = app.count("enrollments").await;
        let events = app.count("audit_events").await;
        // The enrolment is inserted, then its audit event waits for a lock the test holds.
        let test = cluster.connect().await;
        let lock = test.begin().await.expect("a transaction");
        lock.execute_unprepared("LOCK TABLE audit_events IN EXCLUSIVE MODE")
            .await
            .expect("locked");
        let (answer, ()) = tokio::join!(
            app.gql(enroll, json!({ "id": course }), Some(&learner)),
            async {
                until_waiting_for_a_lock(&test).await;
                cluster.restart(mode).await;
            }
        );
        drop(lock);
        assert_eq!(error_code(&answer), Some("UNAVAILABLE"), "{mode}: {answer}");
        until_ready_is(&app, StatusCode::OK, Duration::from_secs(15)).await;
        // Give a second run behind the client's back every chance to show up.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(app.count("enrollments").await, enrollments, "{mode}");
        assert_eq!(app.count("audit_events").await, events, "{mode}");
        // The client repeats it: once, however often.
        for _ in 0..2 {
            app.ok(enroll, json!({ "id": course }), &learner).await;
        }
        assert_eq!(app.count("enrollments").await, enrollments + 1, "{mode}");
    }
}

/// A TCP forwarder on a loopback port: the database address GovSkills is given (in production a
/// DNS name, a virtual IP or a proxy), pointed at one server and then at another, as a failover
/// moves it.
struct Forwarder {
    port: u16,
    target: std::sync::Arc<std::sync::atomic::AtomicU16>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    async fn to(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let own = listener.local_addr().expect("its address").port();
        let target = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(port));
        let current = std::sync::Arc::clone(&target);
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let port = current.load(std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    if let Ok(mut server) =
                        tokio::net::TcpStream::connect(("127.0.0.1", port)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self {
            port: own,
            target,
            task,
        }
    }

    /// New connections go to `port` from now on.
    fn point_at(&self, port: u16) {
        self.target.store(port, std::sync::atomic::Ordering::SeqCst);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// After a failover whose address reaches the standby before it is promoted, GovSkills keeps no
/// connection to it (each new connection asks `pg_is_in_recovery()`): answers are
/// `UNAVAILABLE` and `/readyz` 503, not stale reads and refused writes. Once the standby is
/// promoted GovSkills serves normally, without a restart.
#[tokio::test]
async fn a_standby_is_refused_until_it_is_promoted_then_served_without_a_restart() {
    let primary = Cluster::new();
    let address = Forwarder::to(primary.port).await;
    let app = app_on(address.url()).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (course, _) = published_course(&app, &trainer, "Failing over", 1).await;
    app.ok(CATALOGUE, json!({}), &learner).await;
    // A base backup of everything above, streaming what comes after.
    let standby = Cluster::standby_of(&primary);
    let enrollments = app.count("enrollments").await;

    // The primary fails; the address reaches the standby, still in recovery.
    primary.stop("immediate");
    address.point_at(standby.port);
    until_ready_is(
        &app,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(5),
    )
    .await;
    let read = app.gql(CATALOGUE, json!({}), Some(&learner)).await;
    // (`me` for the session, else the catalogue: either way, retryable.)
    assert_eq!(error_code(&read), Some("UNAVAILABLE"), "{read}");
    let write = app
        .gql(
            "mutation($id: ID!) { enroll(courseId: $id) { id } }",
            json!({ "id": course }),
            Some(&learner),
        )
        .await;
    assert_eq!(error_code(&write), Some("UNAVAILABLE"), "{write}");
    assert_eq!(ready(&app).await, StatusCode::SERVICE_UNAVAILABLE);

    // The failover completes.
    standby.promote();
    let promoted = Instant::now();
    let took = until_ready_is(&app, StatusCode::OK, Duration::from_secs(15)).await;
    app.ok(CATALOGUE, json!({}), &learner).await;
    app.ok(
        "mutation($id: ID!) { enroll(courseId: $id) { id } }",
        json!({ "id": course }),
        &learner,
    )
    .await;
    eprintln!(
        "ready {took:?} after the promotion; serving reads and writes {:?} after it",
        promoted.elapsed()
    );
    assert_eq!(app.count("enrollments").await, enrollments + 1);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("database_standby_refused_total"),
        "refusals are counted on /metrics"
    );
}

/// The email jobs by state, and how many distinct unique keys they have.
async fn email_jobs(db: &DatabaseConnection) -> (Vec<(String, i64)>, i64) {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT state, COUNT(*) AS n FROM jobs WHERE kind = '{}' GROUP BY state \
                 ORDER BY state",
                govskills_domain::notifications::SEND_EMAIL
            ),
        ))
        .await
        .expect("jobs are readable");
    let states = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "state").expect("a state"),
                row.try_get::<i64>("", "n").expect("a count"),
            )
        })
        .collect();
    let keys = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT COUNT(DISTINCT unique_key) AS n FROM jobs WHERE kind = '{}'",
                govskills_domain::notifications::SEND_EMAIL
            ),
        ))
        .await
        .expect("jobs are readable")
        .and_then(|row| row.try_get::<i64>("", "n").ok())
        .unwrap_or_default();
    (states, keys)
}

/// Waits for `expected` messages in all, then a few more worker rounds and scans, and checks
/// that nothing more went out, that no message went out twice (distinct Message-IDs), and that
/// every email job is `done`, each queued once.
async fn every_email_once(app: &TestApp, smtp: &SmtpServer, expected: usize, mode: &str) {
    smtp.wait_for(expected, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), expected, "{mode}");
    let mut ids: Vec<String> = mails
        .iter()
        .map(|mail| mail.header("Message-ID").expect("a Message-ID"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected, "{mode}: no message went out twice");
    let (states, keys) = email_jobs(&app.db).await;
    let expected = i64::try_from(expected).expect("a few");
    assert_eq!(
        states,
        vec![("done".to_owned(), expected)],
        "{mode}: every email job done"
    );
    assert_eq!(keys, expected, "{mode}: each queued once");
}

/// The worker pauses while the database is away and resumes when it returns, without losing or
/// repeating anything, wherever the outage finds it:
///
/// - `fast`: the first day's notifications are queued, the worker has claimed them and waits in
///   its first statement (for a row lock the test holds) when the database restarts: it pauses,
///   and when the database is back it queues the jobs it held again at once (not after they go
///   stale), giving back the interrupted attempt;
/// - `immediate`, three weeks on: the database crashes while the worker is sending the reminders
///   (the relay takes half a second a message) and is away for seven seconds, longer than the
///   pool waits for a connection: the message being sent is recorded as sent when the database
///   is back (the worker keeps trying), not sent again, and the rest follow.
///
/// Every email job ends `done`, each message arrives once, and no job is left running.
#[tokio::test]
async fn background_work_pauses_while_the_database_is_away_and_every_job_is_done_once() {
    let cluster = Cluster::new();
    let app = app_on(cluster.url()).await;
    app.load_full_demo().await;
    let smtp = SmtpServer::start_slow();

    // fast: the first day's emails queued, their notifications locked by the test.
    let queued = govskills_domain::notifications::scan(&app.db, chrono::Utc::now())
        .await
        .expect("scan");
    assert_eq!(queued, FIRST_DAY_EMAILS as u64);
    let test = cluster.connect().await;
    let lock = test.begin().await.expect("a transaction");
    lock.execute_unprepared("SELECT id FROM notifications FOR NO KEY UPDATE")
        .await
        .expect("locked");
    let worker = app.spawn_replica(mail_to(&smtp)).await;
    until_waiting_for_a_lock(&test).await;
    let (held, _) = email_jobs(&app.db).await;
    assert_eq!(
        held,
        vec![("running".to_owned(), FIRST_DAY_EMAILS as i64)],
        "the worker holds them"
    );
    cluster.restart("fast").await;
    drop(lock);
    let back = Instant::now();
    smtp.wait_for(1, Duration::from_secs(30)).await;
    let first = back.elapsed();
    smtp.wait_for(FIRST_DAY_EMAILS, Duration::from_secs(30))
        .await;
    eprintln!(
        "fast: the worker held {FIRST_DAY_EMAILS} jobs; the first email went out {first:?} and \
         the last {:?} after the database was back (the relay takes 0.5 s a message)",
        back.elapsed()
    );
    every_email_once(&app, &smtp, FIRST_DAY_EMAILS, "fast").await;
    let attempts = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT MAX(attempts) AS n FROM jobs WHERE kind = '{}'",
                govskills_domain::notifications::SEND_EMAIL
            ),
        ))
        .await
        .expect("jobs are readable")
        .and_then(|row| row.try_get::<i32>("", "n").ok());
    assert_eq!(attempts, Some(1), "the interrupted attempt is given back");

    // immediate: three weeks on, the database crashes while the worker is sending.
    worker.clock.advance(chrono::Duration::days(22));
    let expected = FIRST_DAY_EMAILS + WEEKS_LATER_EMAILS;
    smtp.wait_for(FIRST_DAY_EMAILS + 1, Duration::from_secs(30))
        .await;
    // The next message is on its way to the relay (half a second) when the database goes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    cluster.stop_meanwhile("immediate").await;
    // Longer than a request waits for a connection (the pool's acquire timeout, 5 s).
    tokio::time::sleep(Duration::from_secs(7)).await;
    let arrived = smtp.messages().len();
    assert!(
        arrived < expected,
        "the outage came while the reminders were being sent ({arrived} of {expected})"
    );
    cluster.start_meanwhile().await;
    let back = Instant::now();
    smtp.wait_for(expected, Duration::from_secs(30)).await;
    eprintln!(
        "immediate: {arrived} of {expected} emails had gone out; the rest {:?} after the \
         database was back",
        back.elapsed()
    );
    every_email_once(&app, &smtp, expected, "immediate").await;

    let running = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM jobs WHERE state = 'running'",
        ))
        .await
        .expect("jobs are readable")
        .and_then(|row| row.try_get::<i64>("", "n").ok());
    assert_eq!(running, Some(0), "no job is left held");
}

/// What one client of a load saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    unavailable: u64,
    /// Anything else: a bug (an `INTERNAL`, an anonymous answer to a signed-in request, ...).
    wrong: Vec<String>,
}

impl Tally {
    fn add(&mut self, other: Self) {
        self.ok += other.ok;
        self.unavailable += other.unavailable;
        self.wrong.extend(other.wrong);
    }
}

/// Runs `clients` loops of `request` until `stop` is set; each answer is judged by `judge`
/// (`Some(true)`: success, `Some(false)`: `UNAVAILABLE`, `None`: wrong).
async fn load<F, Fut>(clients: usize, stop: &std::sync::atomic::AtomicBool, request: F) -> Tally
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<bool, String>>,
{
    let loops = (0..clients).map(|client| {
        let request = &request;
        async move {
            let mut tally = Tally::default();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match request(client).await {
                    Ok(true) => tally.ok += 1,
                    Ok(false) => tally.unavailable += 1,
                    Err(wrong) => tally.wrong.push(wrong),
                }
            }
            tally
        }
    });
    let mut total = Tally::default();
    for tally in futures_util::future::join_all(loops).await {
        total.add(tally);
    }
    total
}

/// Judges a GraphQL answer: success, `UNAVAILABLE`, or wrong (with the answer).
fn judge(
    body: &serde_json::Value,
    succeeded: impl Fn(&serde_json::Value) -> bool,
) -> Result<bool, String> {
    match error_code(body) {
        None if succeeded(body) => Ok(true),
        Some("UNAVAILABLE") => Ok(false),
        _ => Err(body.to_string()),
    }
}

const SELF_ASSESS: &str =
    "mutation($r: [SelfRatingInput!]!) { submitSelfAssessment(ratings: $r) { totalGap } }";

/// Under load (catalogue reads and self-assessments, each of which stores two ratings and an
/// audit event in one transaction), PostgreSQL stops (fast, then immediate) and comes back:
/// every answer is a success or `UNAVAILABLE`, never a bug; no self-assessment is half-stored;
/// every one answered as a success is stored; and the load is served again afterwards.
#[tokio::test]
async fn under_load_every_answer_in_an_outage_is_a_success_or_unavailable_and_nothing_is_half_stored()
 {
    let cluster = Cluster::new();
    let app = app_on(cluster.url()).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    published_course(&app, &trainer, "Working under load", 2).await;
    let (c11, c12) = (
        crate::helpers::digcomp(&app, "1.1").await,
        crate::helpers::digcomp(&app, "1.2").await,
    );
    let ratings = "competence_results WHERE source = 'self_assessed'";
    let assessed = "audit_events WHERE action = 'competence.self_assessed'";

    for mode in ["fast", "immediate"] {
        let (ratings_before, events_before) = (app.count(ratings).await, app.count(assessed).await);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (app, token, c11, c12) = (&app, learner.as_str(), c11.as_str(), c12.as_str());
        let reads = load(4, &stop, move |_| async move {
            let body = app.gql(CATALOGUE, json!({}), Some(token)).await;
            judge(&body, |body| body["data"]["courses"]["edges"].is_array())
        });
        let writes = load(2, &stop, move |client| async move {
            let ratings = json!({ "r": [
                { "competenceId": c11, "level": 1 + client % 3 },
                { "competenceId": c12, "level": 2 },
            ] });
            let body = app.gql(SELF_ASSESS, ratings, Some(token)).await;
            judge(&body, |body| {
                body["data"]["submitSelfAssessment"].is_object()
            })
        });
        let outage = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            cluster.stop_meanwhile(mode).await;
            until_ready_is(app, StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(5)).await;
            // Down for longer than a request waits for a connection (the pool's acquire
            // timeout, 5 s): requests that arrive meanwhile are answered UNAVAILABLE rather
            // than all waiting for the database to come back (which made the outage unfelt
            // when no write happened to be in flight at the stop).
            tokio::time::sleep(Duration::from_secs(6)).await;
            cluster.start_meanwhile().await;
            until_ready_is(app, StatusCode::OK, Duration::from_secs(15)).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        };
        let (reads, writes, ()) = tokio::join!(reads, writes, outage);

        assert!(
            reads.wrong.is_empty(),
            "{mode}: reads answered wrongly: {:?}",
            reads.wrong
        );
        assert!(
            writes.wrong.is_empty(),
            "{mode}: writes answered wrongly: {:?}",
            writes.wrong
        );
        assert!(
            reads.unavailable + writes.unavailable > 0,
            "{mode}: the outage was not felt"
        );
        assert!(reads.ok > 0 && writes.ok > 0, "{mode}: nothing was served");
        // Whole or nothing: two ratings and one event per stored self-assessment.
        let stored = app.count(assessed).await - events_before;
        assert_eq!(
            app.count(ratings).await - ratings_before,
            2 * stored,
            "{mode}"
        );
        // Every success is stored. (One answered UNAVAILABLE may have committed just before its
        // connection died: a client cannot know, which is why writes are never retried.)
        let succeeded = i64::try_from(writes.ok).expect("a count");
        let unavailable = i64::try_from(writes.unavailable).expect("a count");
        assert!(
            succeeded <= stored && stored <= succeeded + unavailable,
            "{mode}: {succeeded} succeeded, {unavailable} unavailable, {stored} stored"
        );
        eprintln!(
            "{mode}: reads {} ok / {} unavailable; writes {succeeded} ok / {unavailable} unavailable",
            reads.ok, reads.unavailable
        );
    }
}

/// Under load on signed-in requests, Redis freezes and thaws: every answer is the signed-in
/// person or `UNAVAILABLE`, never anonymous, and the sessions work again afterwards.
#[tokio::test]
async fn under_load_while_redis_is_away_no_signed_in_request_is_answered_as_anonymous() {
    let redis = PrivateRedis::start();
    let app = app_with_sessions_on(&redis).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (app_ref, token) = (&app, learner.as_str());
    let requests = load(6, &stop, move |_| async move {
        let body = app_ref
            .gql("{ me { email } }", json!({}), Some(token))
            .await;
        judge(&body, |body| body["data"]["me"]["email"] == LEARNER1)
    });
    let outage = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        redis.signal("STOP");
        until_ready_is(
            &app,
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(5),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        redis.signal("CONT");
        until_ready_is(&app, StatusCode::OK, Duration::from_secs(15)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let (tally, ()) = tokio::join!(requests, outage);
    assert!(
        tally.wrong.is_empty(),
        "answered wrongly: {:?}",
        tally.wrong
    );
    assert!(tally.unavailable > 0, "the outage was not felt");
    assert!(tally.ok > 0);
    eprintln!("redis: {} ok / {} unavailable", tally.ok, tally.unavailable);
}

/// With a read replica (`GOVSKILLS_DATABASE_READ_URL`, here a real streaming standby), the
/// published catalogue and the reports' figures are read there, and what must see its own
/// writes reads the primary. With the standby's replay paused (a replica lagging behind), a
/// course published on the primary is missing from the catalogue until replay resumes, while
/// the course itself and the trainer's own list of drafts show the trainer's changes at once;
/// the reports answer from the standby, which takes no writes.
#[tokio::test]
async fn with_a_read_replica_the_catalogue_and_reports_read_there_and_writers_see_their_writes() {
    let primary = Cluster::new();
    let standby = Cluster::standby_of(&primary);
    let app = spawn_app_with(|config| {
        config.database_url = secrecy::SecretString::from(primary.url());
        config.database_read_url = Some(secrecy::SecretString::from(standby.url()));
    })
    .await;
    let (learner, trainer) = (
        app.login(LEARNER1, PASSWORD).await,
        app.login(TRAINER, PASSWORD).await,
    );
    let hr = app.login(crate::helpers::HR, PASSWORD).await;
    let ministry = app
        .org_unit_id(&hr, "Ministry of Digital Affairs (demo)")
        .await;
    let catalogue = async |token: &str| -> Vec<String> {
        app.ok(CATALOGUE, json!({}), token).await["courses"]["edges"]
            .as_array()
            .expect("a page")
            .iter()
            .map(|edge| edge["node"]["title"].as_str().expect("a title").to_owned())
            .collect()
    };
    // Waits until the standby has replayed far enough for the catalogue to list `title`.
    let until_listed = async |title: &str| {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !catalogue(&learner)
            .await
            .iter()
            .any(|listed| listed == title)
        {
            assert!(
                Instant::now() < deadline,
                "the standby never listed {title}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    // A course published before the pause reaches the standby.
    published_course(&app, &trainer, "Published earlier", 1).await;
    until_listed("Published earlier").await;

    let replica = standby.connect().await;
    replica
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .expect("replay pauses");
    let (course, _) = published_course(&app, &trainer, "Published on the primary", 1).await;
    let draft = app
        .ok(
            "mutation($c: ID!) { createCourseVersion(courseId: $c) { id status } }",
            json!({ "c": course }),
            &trainer,
        )
        .await;
    let draft_id = draft["createCourseVersion"]["id"].as_str().expect("an id");

    // The catalogue lags with the replica ...
    let titles = catalogue(&learner).await;
    assert_eq!(titles, ["Published earlier"]);
    // ... what the writer reads back does not.
    let found = app
        .ok(
            "query($c: ID!) { course(id: $c) { title status } }",
            json!({ "c": course }),
            &learner,
        )
        .await;
    assert_eq!(found["course"]["status"], "PUBLISHED", "{found}");
    let drafts = app
        .ok(
            "{ courses(filter: { status: DRAFT }) { edges { node { id } } } }",
            json!({}),
            &trainer,
        )
        .await;
    assert!(
        drafts["courses"]["edges"]
            .as_array()
            .expect("a page")
            .iter()
            .any(|edge| edge["node"]["id"] == draft_id),
        "{drafts}"
    );
    // The reports read the standby (which refuses writes) and their audited staff lists the
    // primary.
    let reports = app
        .ok(
            "query($unit: ID!) {
                skillGapReport(orgUnitId: $unit) { suppressed staff(first: 5) { nodes { totalGap } } }
                aiLiteracyReport(orgUnitId: $unit) { totals { staffUsingAiSystems } }
                completionReport(orgUnitId: $unit) { courses { enrolled } }
            }",
            json!({ "unit": ministry }),
            &hr,
        )
        .await;
    assert_eq!(reports["skillGapReport"]["suppressed"], false, "{reports}");

    replica
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .expect("replay resumes");
    until_listed("Published on the primary").await;
}

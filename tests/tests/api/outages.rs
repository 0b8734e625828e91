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
use serde_json::json;

use crate::{
    helpers::{LEARNER1, PASSWORD, TRAINER, TestApp, error_code, spawn_app_with},
    learning::published_course,
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

/// A throw-away PostgreSQL cluster.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn run(&self, program: &str, args: &[&str]) {
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

    fn new() -> Self {
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
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let cluster = Self { dir, port };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server: `fast` (clients disconnected, clean) or `immediate` (as a crash).
    fn stop(&self, mode: &str) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", mode, "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
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

#[tokio::test]
async fn while_the_database_is_away_answers_are_unavailable_and_it_recovers_without_a_restart() {
    let cluster = Cluster::new();
    let url = cluster.url();
    let app = spawn_app_with(|config| {
        config.database_url = secrecy::SecretString::from(url);
    })
    .await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    app.ok(CATALOGUE, json!({}), &learner).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (course, _) = published_course(&app, &trainer, "Working offline", 1).await;
    let enrollments = app.count("enrollments").await;

    for mode in ["fast", "immediate"] {
        cluster.stop(mode);

        // Readiness follows within seconds; liveness stays, so nothing restarts needlessly.
        until_ready_is(
            &app,
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(5),
        )
        .await;
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
        until_ready_is(&app, StatusCode::OK, Duration::from_secs(15)).await;
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
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
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
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_app_with(|config| {
        config.redis_url = Some(secrecy::SecretString::from(url));
    })
    .await;
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

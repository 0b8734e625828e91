//! Starts the real server on port 0 with its own database (and Redis key prefix) per test, and
//! speaks GraphQL to it over HTTP.
//!
//! Backends: SQLite and the in-process session store by default; PostgreSQL when
//! `GOVSKILLS_TEST_DATABASE_URL` names a server (each test creates its own database there) and
//! Redis when `GOVSKILLS_TEST_REDIS_URL` is set (each test uses its own key prefix).

use std::path::PathBuf;

use govskills_api::{config::Config, startup::Application};
use govskills_domain::credentials::{Algorithm, IssuerKey};
use govskills_domain::demo;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN: &str = "admin@demo.govskills.test";
pub const HR: &str = "hr@demo.govskills.test";
pub const TRAINER: &str = "trainer@demo.govskills.test";
pub const LEARNER1: &str = "learner1@demo.govskills.test";
pub const LEARNER2: &str = "learner2@demo.govskills.test";
pub const PASSWORD: &str = demo::PASSWORD;

pub struct TestApp {
    pub address: String,
    /// A client without a cookie store: sessions travel as bearer tokens unless a test says so.
    pub client: reqwest::Client,
    /// A direct connection for arranging data and for proving that nothing changed.
    pub db: DatabaseConnection,
    /// SQL statements the server has executed (see `Application::sql_statements`).
    pub sql_statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The clock its background worker goes by, which a test moves forward.
    pub clock: std::sync::Arc<govskills_domain::clock::Clock>,
    sqlite_file: Option<PathBuf>,
    database_url: String,
    /// The configuration it was started with, for starting replicas of it.
    config: Config,
    /// Dropping it (with the `TestApp`) stops the server, as does [`TestApp::shutdown`].
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Whether the tests run against PostgreSQL and Redis (as CI does in its second pass).
pub fn external_backends() -> bool {
    std::env::var("GOVSKILLS_TEST_DATABASE_URL").is_ok()
        && std::env::var("GOVSKILLS_TEST_REDIS_URL").is_ok()
}

/// A fresh database URL for one test, and the SQLite file to remove afterwards.
async fn fresh_database() -> (String, Option<PathBuf>) {
    match std::env::var("GOVSKILLS_TEST_DATABASE_URL") {
        Ok(server) => {
            let name = format!("govskills_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(server.as_str())
                .await
                .expect("GOVSKILLS_TEST_DATABASE_URL must name a reachable PostgreSQL server");
            admin
                .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
                .await
                .expect("failed to create the test database");
            admin.close().await.expect("closed");
            let (base, _) = server
                .rsplit_once('/')
                .expect("GOVSKILLS_TEST_DATABASE_URL must end in /DATABASE");
            (format!("{base}/{name}"), None)
        }
        Err(_) => {
            let file = std::env::temp_dir().join(format!("govskills-test-{}.db", Uuid::new_v4()));
            (format!("sqlite://{}?mode=rwc", file.display()), Some(file))
        }
    }
}

/// The issuer keys every test server is configured with (an RSA and an Ed25519 key, as PEM),
/// made once per test process: generating a 3072-bit RSA key for each test would cost more
/// than the test. A test of key generation itself sets `issuer_key` to `None`.
pub fn test_issuer_keys() -> &'static str {
    static KEYS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        Algorithm::ALL
            .into_iter()
            .map(|algorithm| {
                IssuerKey::generate(algorithm)
                    .expect("a key")
                    .to_pem()
                    .to_owned()
            })
            .collect()
    })
}

/// The configuration of a test server before a test adjusts it.
pub async fn test_config() -> (Config, Option<PathBuf>) {
    let (database_url, sqlite_file) = fresh_database().await;
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".into();
    config.database_url = SecretString::from(database_url);
    config.database_max_connections = 5;
    config.issuer_key = Some(SecretString::from(test_issuer_keys().to_owned()));
    // A worker's rounds would add statements to the counts tests take; the notification tests
    // turn it on (`with_workers`).
    config.no_workers = true;
    if let Ok(redis) = std::env::var("GOVSKILLS_TEST_REDIS_URL") {
        config.redis_url = Some(SecretString::from(redis));
        config.redis_key_prefix = format!("govskills-test:{}:", Uuid::new_v4().simple());
    }
    (config, sqlite_file)
}

/// Gives the DataLoaders a 50 ms window, for tests that count statements of queries whose
/// fields load through them. A loader whose keys arrive after its window closed queries twice,
/// and how long the executor takes to walk a long list depends on how busy the machine is
/// (tests run in parallel on a debug build), not on the code; a wide window takes that out of
/// the count. (The catalogue needs none: it reads its page ahead.)
pub fn wide_batch_window(config: &mut Config) {
    config.dataloader_window_ms = 50;
}

/// Runs the background worker with quick rounds (for the notification tests).
pub fn with_workers(config: &mut Config) {
    config.no_workers = false;
    config.worker_poll_ms = 50;
    config.notification_scan_secs = 1;
}

/// A server with the demo organisation and accounts.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    // The server's logs, when a failure needs them: TEST_LOG=1 cargo test ...
    if std::env::var_os("TEST_LOG").is_some() {
        govskills_api::telemetry::init(govskills_api::config::LogFormat::Pretty);
    }
    let (mut config, sqlite_file) = test_config().await;
    adjust(&mut config);
    let app = Application::build(&config)
        .await
        .expect("the test server starts");
    demo::seed(app.db()).await.expect("demo data loads");
    serve(app, config, sqlite_file)
}

/// Serves a built application in the background.
fn serve(app: Application, config: Config, sqlite_file: Option<PathBuf>) -> TestApp {
    let database_url = config.database_url.expose_secret().to_owned();
    let port = app.port();
    let db = app.db().clone();
    let sql_statements = app.sql_statements();
    let clock = app.clock();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_with_shutdown(async {
        let _ = stopped.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        db,
        sql_statements,
        clock,
        sqlite_file,
        database_url,
        config,
        shutdown: Some(shutdown),
        server: Some(server),
    }
}

impl TestApp {
    /// Another process of the same service: the same database and session store (as replicas
    /// behind a load balancer), its configuration adjusted by `adjust`. It removes no files when
    /// dropped; the first one does.
    pub async fn spawn_replica(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        config.skip_migrations = true;
        adjust(&mut config);
        let app = Application::build(&config)
            .await
            .expect("the replica starts");
        serve(app, config, None)
    }

    /// The issuer as the server loads it (its configured keys), for signing in-process.
    pub async fn issuer(&self) -> govskills_domain::credentials::Issuer {
        let keys = self.config.configured_issuer_keys().expect("keys");
        govskills_domain::credentials::Issuer::load(&self.db, keys, &self.address)
            .await
            .expect("issuer")
    }

    /// Loads the rest of the demo as `serve --demo` does (the tests start from the demo
    /// organisation and accounts only): the course, the certificate template and the story.
    pub async fn load_full_demo(&self) {
        demo::seed_course(&self.db).await.expect("demo course");
        demo::seed_certificate(&self.db)
            .await
            .expect("demo template");
        let issuer = self.issuer().await;
        demo::seed_story(&self.db, &issuer)
            .await
            .expect("demo story");
    }

    /// The configuration it was started with, for running a command-line command against the
    /// same database as an operator would.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sends the server its shutdown signal and waits until it has stopped: in-flight requests
    /// finished, the database pool closed (so `self.db` no longer works; see
    /// [`TestApp::reconnect`]). Returns what `run_with_shutdown` returned.
    pub async fn shutdown(&mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("the server task does not panic"),
            None => Ok(()),
        }
    }

    /// A new connection to the test database, for looking at it after [`TestApp::shutdown`].
    pub async fn reconnect(&self) -> DatabaseConnection {
        Database::connect(self.database_url.as_str())
            .await
            .expect("the test database is reachable")
    }

    /// Runs an operation that must succeed and returns its `data`.
    pub async fn ok(&self, query: &str, variables: Value, token: &str) -> Value {
        let response = self.gql(query, variables, Some(token)).await;
        assert!(
            response.get("errors").is_none(),
            "{query} failed: {response}"
        );
        response["data"].clone()
    }

    /// How many SQL statements running `query` costs the server.
    pub async fn statements_for(&self, query: &str, variables: Value, token: &str) -> u64 {
        use std::sync::atomic::Ordering;
        let before = self.sql_statements.load(Ordering::SeqCst);
        self.ok(query, variables, token).await;
        self.sql_statements.load(Ordering::SeqCst) - before
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs a GraphQL request and returns the HTTP response.
    pub async fn post(&self, body: &Value, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(self.url("/graphql")).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the server answers")
    }

    /// Runs an operation and returns the JSON response (`data` and `errors`).
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.post(&json!({ "query": query, "variables": variables }), token)
            .await
            .json()
            .await
            .expect("a JSON response")
    }

    /// Signs in and returns the token; panics if sign-in fails.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self.try_login(email, password).await;
        response["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login of {email} failed: {response}"))
            .to_owned()
    }

    pub async fn try_login(&self, email: &str, password: &str) -> Value {
        self.gql(
            "mutation($email: String!, $password: String!) {
                login(email: $email, password: $password) { token user { id email } }
            }",
            json!({ "email": email, "password": password }),
            None,
        )
        .await
    }

    /// The signed-in user's id and email, or `Value::Null` when not signed in.
    pub async fn me(&self, token: &str) -> Value {
        let response = self
            .gql("{ me { id email roles } }", json!({}), Some(token))
            .await;
        assert!(response.get("errors").is_none(), "me failed: {response}");
        response["data"]["me"].clone()
    }

    /// The id of the org unit with this name.
    pub async fn org_unit_id(&self, token: &str, name: &str) -> String {
        let response = self
            .gql("{ orgUnits { id name } }", json!({}), Some(token))
            .await;
        response["data"]["orgUnits"]
            .as_array()
            .and_then(|units| units.iter().find(|unit| unit["name"] == name))
            .and_then(|unit| unit["id"].as_str())
            .unwrap_or_else(|| panic!("no org unit {name}: {response}"))
            .to_owned()
    }

    /// Creates a user as `token`'s user and returns the new id.
    pub async fn create_user(&self, token: &str, email: &str, org_unit_id: &str) -> String {
        let response = self
            .try_create_user(token, email, "a long enough password", org_unit_id)
            .await;
        response["data"]["createUser"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createUser failed: {response}"))
            .to_owned()
    }

    pub async fn try_create_user(
        &self,
        token: &str,
        email: &str,
        password: &str,
        org_unit_id: &str,
    ) -> Value {
        self.gql(
            "mutation($input: CreateUserInput!) {
                createUser(input: $input) { id email displayName roles orgUnit { id name } }
            }",
            json!({ "input": {
                "email": email,
                "displayName": "Test Person",
                "password": password,
                "orgUnitId": org_unit_id,
            }}),
            Some(token),
        )
        .await
    }

    /// A new top-level unit (another authority than the demo ministry), created by the
    /// platform administrator `admin`; its id.
    pub async fn create_authority(&self, admin: &str, name: &str) -> String {
        self.ok(
            "mutation($name: String!) { createOrgUnit(input: { name: $name }) { id } }",
            json!({ "name": name }),
            admin,
        )
        .await["createOrgUnit"]["id"]
            .as_str()
            .expect("an org unit id")
            .to_owned()
    }

    /// Someone holding `role` (`ADMIN`, `HR`, `TRAINER`) at `unit`, created and granted by
    /// `admin`, signed in: their token.
    pub async fn person_with_role(
        &self,
        admin: &str,
        unit: &str,
        email: &str,
        role: &str,
    ) -> String {
        let id = self.create_user(admin, email, unit).await;
        self.ok(
            "mutation($id: ID!, $role: Role!, $unit: ID!) {
                setUserRoles(userId: $id, grants: [{ role: $role, orgUnitId: $unit }]) { id }
            }",
            json!({ "id": id, "role": role, "unit": unit }),
            admin,
        )
        .await;
        self.login(email, "a long enough password").await
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("text")
    }

    /// Counts the rows of a table, to prove that a refused request wrote nothing.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query runs")
            .expect("one row");
        row.try_get::<i64>("", "n").expect("a count")
    }
}

impl TestApp {
    /// Action, actor id and target id of the newest audit event.
    pub async fn latest_audit_event(&self) -> (String, Option<String>, Option<String>) {
        use govskills_domain::entities::audit_event;
        use sea_orm::{EntityTrait, QueryOrder};
        let event = audit_event::Entity::find()
            .order_by_desc(audit_event::Column::CreatedAt)
            .one(&self.db)
            .await
            .expect("audit query runs")
            .expect("an audit event");
        (
            event.action,
            event.actor_id.map(|id| id.to_string()),
            event.target_id.map(|id| id.to_string()),
        )
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// The message of the first error.
pub fn error_message(response: &Value) -> &str {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
}

/// Asserts the response failed with `code` (and, where given, on input `field`).
#[track_caller]
pub fn assert_error(response: &Value, code: &str, field: Option<&str>) {
    assert_eq!(
        error_code(response),
        Some(code),
        "unexpected response: {response}"
    );
    if let Some(field) = field {
        assert_eq!(
            response["errors"][0]["extensions"]["field"].as_str(),
            Some(field),
            "unexpected field in {response}"
        );
    }
}

/// The id of a DigComp 2.2 competence by its code, as a client finds it.
pub async fn digcomp(app: &TestApp, code: &str) -> String {
    let response = app
        .gql(
            "{ frameworks { code areas { competences { id code } } } }",
            json!({}),
            None,
        )
        .await;
    for framework in response["data"]["frameworks"]
        .as_array()
        .expect("frameworks")
    {
        if framework["code"] != "DIGCOMP" {
            continue;
        }
        for area in framework["areas"].as_array().expect("areas") {
            for competence in area["competences"].as_array().expect("competences") {
                if competence["code"] == code {
                    return competence["id"].as_str().expect("id").to_owned();
                }
            }
        }
    }
    panic!("no DigComp competence {code}");
}

/// GETs a CSV export (or any plain route) with an optional bearer token.
pub async fn get_csv(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent")
}

/// The records of a CSV export, after its byte order mark, the header row included.
pub fn parse_csv(body: &str) -> Vec<Vec<String>> {
    let body = body
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("a CSV record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The cargo target directory (`CARGO_TARGET_DIR`, else the workspace's `target`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// The Python of the virtualenv `target/{name}-venv` with what `tests/{name}/requirements.txt`
/// pins (the SCIM checker, the SMTP server): made once, under a file lock so that parallel test
/// processes wait for the first, and reused while the requirements are unchanged. `.ci/run`
/// prepares the same ones up front.
pub fn python_venv(name: &str) -> PathBuf {
    use std::{fs, process::Command};

    let requirements = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(name)
        .join("requirements.txt");
    let wanted = fs::read(&requirements).expect("the requirements file");
    let venv = target_dir().join(format!("{name}-venv"));
    let marker = venv.join(".requirements");
    fs::create_dir_all(target_dir()).expect("the target directory");
    let lock =
        fs::File::create(target_dir().join(format!("{name}-venv.lock"))).expect("a lock file");
    lock.lock().expect("the venv lock");
    if fs::read(&marker).ok().as_deref() != Some(wanted.as_slice()) {
        let _ = fs::remove_dir_all(&venv);
        let status =
            Command::new(std::env::var("GOVSKILLS_TEST_PYTHON").unwrap_or("python3".into()))
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 runs (set GOVSKILLS_TEST_PYTHON to use another)");
        assert!(status.success(), "python3 -m venv failed");
        let status = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .status()
            .expect("pip runs");
        assert!(
            status.success(),
            "pip install -r tests/{name}/requirements.txt failed"
        );
        fs::write(&marker, &wanted).expect("the marker");
    }
    venv.join("bin/python")
}

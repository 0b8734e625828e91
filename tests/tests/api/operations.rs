//! Operations: graceful shutdown, metrics, migrations with several processes.

use std::time::Duration;

use govskills_api::startup::{self, Application};
use sea_orm::ConnectionTrait as _;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{ADMIN, PASSWORD, external_backends, spawn_app, test_config};

/// How many accounts the slow mutation creates; each costs an argon2 hash.
const ACCOUNTS: usize = 6;

#[tokio::test]
async fn an_in_flight_mutation_completes_and_is_kept_when_the_server_shuts_down() {
    // Arrange: one mutation that creates several accounts, one password hash after another.
    let mut app = spawn_app().await;
    let token = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&token, "Department of Citizen Services")
        .await;
    let run = Uuid::new_v4().simple().to_string();
    let emails: Vec<String> = (0..ACCOUNTS)
        .map(|i| format!("shutdown-{run}-{i}@demo.govskills.test"))
        .collect();
    let fields: String = emails
        .iter()
        .enumerate()
        .map(|(i, email)| {
            format!(
                r#"u{i}: createUser(input: {{ email: "{email}", displayName: "Person {i}",
                    password: "a long enough password", orgUnitId: "{unit}" }}) {{ id }}
                "#
            )
        })
        .collect();
    let users_before = app.count("users").await;
    let request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": format!("mutation CreateMany {{ {fields} }}") }))
        .send();
    let in_flight = tokio::spawn(request);

    // Wait until the first account is written: the mutation is then running, with more to go.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.count("users").await == users_before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the mutation never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Act: shut down while it runs.
    let stopped = app.shutdown();
    let (stopped, response) = tokio::join!(stopped, in_flight);

    // Assert: the server stopped cleanly, the response arrived whole, and every account is kept.
    stopped.expect("the server stops cleanly");
    let response = response
        .expect("the request task does not panic")
        .expect("the in-flight request gets its response");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("a JSON body");
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    for i in 0..ACCOUNTS {
        assert!(
            body["data"][format!("u{i}")]["id"].is_string(),
            "account {i} missing from {body}"
        );
    }
    assert!(
        app.db.ping().await.is_err(),
        "the server closed its database pool"
    );
    let db = app.reconnect().await;
    let kept = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM users WHERE email LIKE 'shutdown-{run}-%'"),
        ))
        .await
        .expect("count query runs")
        .expect("one row")
        .try_get::<i64>("", "n")
        .expect("a count");
    assert_eq!(kept, i64::try_from(ACCOUNTS).expect("a small number"));
    db.close().await.expect("closed");

    // A stopped server accepts no new connections.
    let refused = reqwest::Client::new()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect_err("nothing listens after shutdown");
    assert!(refused.is_connect(), "unexpected error: {refused}");
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_status_in_prometheus_format() {
    // Arrange
    let app = spawn_app().await;
    let operation = format!("MetricsProbe{}", Uuid::new_v4().simple());
    let response = app
        .post(
            &json!({ "query": format!("query {operation} {{ me {{ id }} }}") }),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    let failed = app.try_login(ADMIN, "not the right password").await;
    assert!(failed.get("errors").is_some(), "{failed}");

    // Act
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("the server answers");

    // Assert
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.expect("a text body");
    assert!(
        text.contains("# TYPE http_requests_total counter"),
        "no request counter in:\n{text}"
    );
    assert!(
        text.contains(&format!(
            r#"http_requests_total{{operation="{operation}",status="200"}} 1"#
        )),
        "the probe is not counted in:\n{text}"
    );
    assert!(
        text.contains(&format!(
            r#"http_request_duration_seconds_bucket{{operation="{operation}",le="+Inf"}} 1"#
        )),
        "no latency histogram for the probe in:\n{text}"
    );
    assert!(text.contains(r#"logins_total{outcome="failed"}"#), "{text}");
    assert!(text.contains("db_pool_connections "), "{text}");
    assert!(text.contains("db_pool_idle "), "{text}");
}

#[tokio::test]
async fn processes_migrating_one_database_at_once_all_succeed() {
    if !external_backends() {
        // SQLite is one file for one process; the lock this test is about is PostgreSQL's.
        return;
    }
    // Arrange: two pools on one fresh database, as two replicas would have.
    let (config, _) = test_config().await;
    let first = startup::connect_database(&config).await.expect("connects");
    let second = startup::connect_database(&config).await.expect("connects");

    // Act
    let (a, b) = tokio::join!(startup::migrate(&first), startup::migrate(&second));

    // Assert
    a.expect("the first migration run succeeds");
    b.expect("the second migration run succeeds");
    let applied = first
        .query_one_raw(sea_orm::Statement::from_string(
            first.get_database_backend(),
            "SELECT COUNT(*) AS n, COUNT(DISTINCT version) AS d FROM seaql_migrations",
        ))
        .await
        .expect("query runs")
        .expect("one row");
    let total: i64 = applied.try_get("", "n").expect("a count");
    let distinct: i64 = applied.try_get("", "d").expect("a count");
    assert!(total > 0, "no migration recorded");
    assert_eq!(total, distinct, "a migration was recorded twice");
    first.close().await.expect("closed");
    second.close().await.expect("closed");
}

#[tokio::test]
async fn serve_with_skip_migrations_leaves_the_schema_alone() {
    // Arrange
    let (mut config, sqlite_file) = test_config().await;
    config.skip_migrations = true;

    // Act
    let app = Application::build(&config)
        .await
        .expect("the server starts without migrating");

    // Assert: not even the migrations table exists.
    let probe = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await;
    assert!(probe.is_err(), "migrations ran: {probe:?}");
    app.db().clone().close().await.expect("closed");
    if let Some(file) = sqlite_file {
        let _ = std::fs::remove_file(file);
    }
}

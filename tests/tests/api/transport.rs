//! The GraphQL-over-HTTP rules: batches, GET mutations, content types, limits, error masking,
//! request ids, production hardening and an unreachable session store.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, LEARNER1, PASSWORD, assert_error, error_message, external_backends, spawn_app,
    spawn_app_with, test_config,
};

#[tokio::test]
async fn json_batches_are_refused() {
    let app = spawn_app().await;
    let response = app
        .post(
            &json!([{ "query": "{ me { id } }" }, { "query": "{ me { id } }" }]),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_error(&body, "BAD_USER_INPUT", None);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("batch")
    );
}

#[tokio::test]
async fn mutations_over_get_are_refused_and_queries_work() {
    let app = spawn_app().await;
    let users = app.count("users").await;
    let mutation =
        format!(r#"mutation {{ login(email: "{LEARNER1}", password: "{PASSWORD}") {{ token }} }}"#);
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", mutation.as_str())])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "no session was started"
    );
    assert_error(
        &response.json().await.expect("json"),
        "BAD_USER_INPUT",
        None,
    );

    let token = app.login(LEARNER1, PASSWORD).await;
    let query = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ me { email } }")])
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(query.status(), StatusCode::OK);
    let body: Value = query.json().await.expect("json");
    assert_eq!(body["data"]["me"]["email"], LEARNER1);
    assert_eq!(app.count("users").await, users);
}

#[tokio::test]
async fn a_post_that_is_not_json_is_refused_as_a_possible_cross_site_request() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let audits = app.count("audit_events").await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .bearer_auth(&admin)
            .body(r#"{"query":"mutation { createOrgUnit(input: {name: \"Forged\"}) { id } }"}"#)
            .send()
            .await
            .expect("answers");
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_error(
            &response.json().await.expect("json"),
            "BAD_USER_INPUT",
            None,
        );
    }
    assert_eq!(app.count("audit_events").await, audits);
    assert_eq!(app.count("org_units").await, 3);
}

#[tokio::test]
async fn over_large_bodies_are_refused() {
    let app = spawn_app().await;
    let padding = "x".repeat(300 * 1024);
    let response = app
        .post(
            &json!({ "query": "{ me { id } }", "variables": { "pad": padding } }),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn over_deep_queries_are_refused() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let deep = format!(
        "{{ orgUnits {}id{} }}",
        "{ parent ".repeat(20),
        " }".repeat(20)
    );
    let response = app.gql(&deep, json!({}), Some(&admin)).await;
    assert_error(&response, "BAD_USER_INPUT", None);
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nested too deep"),
        "{response}"
    );
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn every_response_carries_a_request_id_that_errors_repeat() {
    let app = spawn_app().await;
    let response = app
        .post(&json!({ "query": "mutation { logout }" }), None)
        .await;
    let header = response
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .expect("x-request-id header")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    assert_error(&body, "UNAUTHENTICATED", None);
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        header.as_str()
    );
}

#[tokio::test]
async fn internal_errors_are_masked_with_a_request_id() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let units = app.count("org_units").await;
    // Break the database under the running service: the audit write inside the transaction fails.
    sea_orm::ConnectionTrait::execute_unprepared(&app.db, "DROP TABLE audit_events")
        .await
        .expect("dropped");

    let response = app
        .gql(
            r#"mutation { createOrgUnit(input: { name: "Will not exist" }) { id } }"#,
            json!({}),
            Some(&admin),
        )
        .await;

    assert_error(&response, "INTERNAL", None);
    let error = &response["errors"][0];
    assert!(
        error["extensions"]["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        !message.to_lowercase().contains("audit_events"),
        "{message}"
    );
    assert!(!message.to_lowercase().contains("table"), "{message}");
    assert_eq!(
        app.count("org_units").await,
        units,
        "the transaction rolled back"
    );
}

#[tokio::test]
async fn health_and_readiness_report_ok() {
    let app = spawn_app().await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("answers");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("answers");
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(
        body,
        json!({ "status": "ok", "database": "ok", "sessions": "ok" })
    );
}

#[tokio::test]
async fn an_unreachable_session_store_fails_cleanly_and_never_as_anonymous() {
    let broken = spawn_app_with(|config| {
        config.redis_url = Some(secrecy::SecretString::from(
            "redis://127.0.0.1:1".to_owned(),
        ));
    })
    .await;
    let token = "A".repeat(43);

    let login = broken.try_login(LEARNER1, PASSWORD).await;
    assert_error(&login, "UNAVAILABLE", None);
    assert!(login["data"].is_null(), "{login}");

    let with_token = broken
        .post(&json!({ "query": "{ me { id } }" }), Some(token.as_str()))
        .await;
    assert_eq!(with_token.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = with_token.json().await.expect("json");
    assert_error(&body, "UNAVAILABLE", None);
    assert!(
        body.get("data").is_none() || body["data"].is_null(),
        "{body}"
    );

    let ready = broken
        .client
        .get(broken.url("/readyz"))
        .send()
        .await
        .expect("answers");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready: Value = ready.json().await.expect("json");
    assert_eq!(ready["sessions"], "unreachable");
    let health = broken
        .client
        .get(broken.url("/healthz"))
        .send()
        .await
        .expect("answers");
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn production_refuses_to_start_without_postgres_and_redis() {
    let (mut config, _file) = test_config().await;
    config.environment = govskills_api::config::Environment::Production;
    config.database_url = secrecy::SecretString::from("sqlite://prod.db?mode=rwc".to_owned());
    let error = govskills_api::startup::Application::build(&config)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("PostgreSQL"), "{error}");
    assert!(
        !std::path::Path::new("prod.db").exists(),
        "nothing was created"
    );
}

#[tokio::test]
async fn production_hides_introspection_suggestions_and_graphiql() {
    if !external_backends() {
        // Production needs PostgreSQL and Redis; CI's second pass provides them.
        eprintln!("skipped: set GOVSKILLS_TEST_DATABASE_URL and GOVSKILLS_TEST_REDIS_URL");
        return;
    }
    let key = govskills_domain::credentials::IssuerKey::generate()
        .and_then(|key| key.to_pkcs8_pem())
        .expect("a key");
    let app = spawn_app_with(|config| {
        config.environment = govskills_api::config::Environment::Production;
        // Production signs certificates only with a configured key.
        config.issuer_key = Some(secrecy::SecretString::from(key));
    })
    .await;

    // Introspection is refused with a code that says why, not answered with a silent null.
    let introspection = app.gql(&introspection_query(), json!({}), None).await;
    assert_error(&introspection, "INTROSPECTION_DISABLED", None);
    assert!(
        error_message(&introspection).contains("schema.graphql"),
        "{introspection}"
    );
    assert!(introspection["data"].is_null(), "{introspection}");
    assert!(
        !introspection.to_string().contains("AuthPayload"),
        "{introspection}"
    );
    let one_type = app
        .gql(
            "query { me { id } ... on Query { __type(name: \"User\") { name } } }",
            json!({}),
            None,
        )
        .await;
    assert_error(&one_type, "INTROSPECTION_DISABLED", None);
    // __typename is not introspection of the schema and keeps working.
    let typename = app.gql("{ __typename }", json!({}), None).await;
    assert_eq!(typename["data"]["__typename"], "Query", "{typename}");

    let typo = app.gql("{ orgUnit { id } }", json!({}), None).await;
    let message = typo["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!message.contains("Did you mean"), "{message}");

    let graphiql = app
        .client
        .get(app.url("/graphiql"))
        .send()
        .await
        .expect("answers");
    assert_eq!(graphiql.status(), StatusCode::NOT_FOUND);

    let login = app
        .post(&json!({ "query": format!(r#"mutation {{ login(email: "{LEARNER1}", password: "{PASSWORD}") {{ token }} }}"#) }), None)
        .await;
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}

/// The type-reference part of the introspection query GraphiQL sends (nine levels of `ofType`).
fn introspection_query() -> String {
    let mut type_ref = "kind name".to_owned();
    for _ in 0..9 {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    format!(
        "{{ __schema {{ queryType {{ name }} types {{ kind name fields(includeDeprecated: true) {{
            name args {{ name type {{ {type_ref} }} }} type {{ {type_ref} }} }} }} }} }}"
    )
}

#[tokio::test]
async fn development_offers_graphiql_and_suggestions() {
    let app = spawn_app().await;
    let graphiql = app
        .client
        .get(app.url("/graphiql"))
        .send()
        .await
        .expect("answers");
    assert_eq!(graphiql.status(), StatusCode::OK);
    let introspection = app.gql(&introspection_query(), json!({}), None).await;
    assert!(introspection.get("errors").is_none(), "{introspection}");
    assert_eq!(
        introspection["data"]["__schema"]["queryType"]["name"],
        "Query"
    );
    let typo = app.gql("{ orgUnit { id } }", json!({}), None).await;
    assert!(
        typo["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Did you mean"),
        "{typo}"
    );
}

#[tokio::test]
async fn certificate_verification_keeps_answering_while_the_session_store_is_down() {
    let broken = spawn_app_with(|config| {
        config.redis_url = Some(secrecy::SecretString::from(
            "redis://127.0.0.1:1".to_owned(),
        ));
        config.verify_rate_limit = 3;
    })
    .await;
    let code = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23";

    // The page, the GraphQL query and the download answer as they would with Redis up: this
    // code is unknown.
    let page = broken
        .client
        .get(broken.url(&format!("/verify/{code}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let query = broken
        .gql(
            "query($code: String!) { verifyCertificate(code: $code) { status } }",
            json!({ "code": code }),
            None,
        )
        .await;
    assert_eq!(
        query["data"]["verifyCertificate"]["status"], "NOT_FOUND",
        "{query}"
    );
    let download = broken
        .client
        .get(broken.url(&format!("/credentials/{code}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(download.status(), StatusCode::NOT_FOUND);
    let body: Value = download.json().await.expect("json");
    assert_eq!(body["error"]["code"], "NOT_FOUND", "{body}");

    // The limit still holds, counted in this process: the fourth check within the minute.
    let fourth = broken
        .client
        .get(broken.url(&format!("/verify/{code}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(fourth.status(), StatusCode::TOO_MANY_REQUESTS);
}

//! The right of access (GDPR Art. 15 and 20): `GET /me/export.json` and `exportUserData`.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TestApp, assert_error, get_csv, spawn_app,
};

/// The tables with a foreign key to `users`, as `table.column`, read from the database itself.
async fn tables_referring_to_users(app: &TestApp) -> BTreeSet<String> {
    let sql = match app.db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT DISTINCT tc.table_name AS name FROM information_schema.table_constraints tc \
             JOIN information_schema.constraint_column_usage ccu \
               ON ccu.constraint_name = tc.constraint_name \
             WHERE tc.constraint_type = 'FOREIGN KEY' AND ccu.table_name = 'users' \
               AND tc.table_name <> 'users'"
        }
        _ => {
            "SELECT DISTINCT m.name AS name FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) p \
             WHERE m.type = 'table' AND p.\"table\" = 'users' AND m.name <> 'users'"
        }
    };
    let rows = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("the schema can be read");
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").expect("a name"))
        .collect()
}

async fn my_export(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    get_csv(app, "/me/export.json", token).await
}

#[tokio::test]
async fn my_export_holds_everything_about_me_and_every_table_that_names_a_person() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let lena = app.login(LEARNER1, PASSWORD).await;
    app.ok(
        "mutation { setLocale(locale: \"de\") { id } }",
        json!({}),
        &lena,
    )
    .await;

    let response = my_export(&app, Some(&lena)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment")),
    );
    let text = response.text().await.expect("a body");
    assert!(!text.contains("password_hash"), "no password hash");
    assert!(!text.contains("$argon2"), "no password hash");
    let document: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(document["format"], "govskills-personal-data/1");
    let tables = document["tables"].as_object().expect("tables");
    assert_eq!(tables["users"][0]["email"], LEARNER1);
    assert_eq!(tables["users"][0]["locale"], "de");
    let enrollments = tables["enrollments"].as_array().expect("enrollments");
    assert_eq!(enrollments.len(), 1, "the demo course");
    assert!(
        !tables["lesson_progress"]
            .as_array()
            .expect("progress")
            .is_empty(),
        "Lena did a lesson"
    );
    assert!(
        !tables["user_job_roles"]
            .as_array()
            .expect("job role")
            .is_empty()
    );
    assert!(
        !tables["ai_instruction_acknowledgements"]
            .as_array()
            .expect("acknowledgements")
            .is_empty()
    );
    assert!(
        !tables["rollout_assignments"]
            .as_array()
            .expect("rollout")
            .is_empty()
    );
    assert!(
        tables["audit_events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|event| event["action"] == "user.locale_set"
                || event["subject_user_id"] == tables["users"][0]["id"]),
        "the events about Lena are in it"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'user.data_exported'")
            .await,
        1,
        "the export is recorded"
    );
    // Nobody else's rows: every enrolment and result is Lena's.
    let lena_id = tables["users"][0]["id"].clone();
    for table in [
        "enrollments",
        "competence_results",
        "notifications",
        "attempts",
    ] {
        for row in tables[table].as_array().expect("rows") {
            assert_eq!(row["user_id"], lena_id, "{table}: {row}");
        }
    }

    // Every table that refers to a person is in the export: a new one cannot be forgotten.
    let exported: BTreeSet<String> = tables.keys().cloned().collect();
    let missing: Vec<String> = tables_referring_to_users(&app)
        .await
        .difference(&exported)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "tables with a user reference missing from privacy::export: {missing:?}"
    );
}

#[tokio::test]
async fn an_admin_covering_the_person_exports_their_data_and_nobody_else_can() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let lena = app.login(LEARNER1, PASSWORD).await;
    let luis = app.login(LEARNER2, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let lena_id = app.me(&lena).await["id"].clone();
    const EXPORT: &str = "mutation($id: ID!) { exportUserData(userId: $id) }";

    let answer = app.ok(EXPORT, json!({ "id": lena_id }), &admin).await;
    let document: Value =
        serde_json::from_str(answer["exportUserData"].as_str().expect("a string")).expect("JSON");
    assert_eq!(document["tables"]["users"][0]["email"], LEARNER1);
    let exported_events = app
        .count("audit_events WHERE action = 'user.data_exported'")
        .await;
    assert_eq!(exported_events, 1);

    // Someone in another authority, with its own administrator.
    let other = app.create_authority(&admin, "Other authority").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@other.example", "ADMIN")
        .await;
    for token in [&hr, &luis, &other_admin] {
        let answer = app.gql(EXPORT, json!({ "id": lena_id }), Some(token)).await;
        assert_error(&answer, "FORBIDDEN", None);
    }
    let unknown = app
        .gql(
            EXPORT,
            json!({ "id": "00000000-0000-0000-0000-000000000000" }),
            Some(&admin),
        )
        .await;
    assert_error(&unknown, "NOT_FOUND", None);
    let malformed = app.gql(EXPORT, json!({ "id": "nope" }), Some(&admin)).await;
    assert_error(&malformed, "BAD_USER_INPUT", Some("userId"));
    assert_eq!(
        app.count("audit_events WHERE action = 'user.data_exported'")
            .await,
        1,
        "a refused export is not one"
    );

    // Without a session there is nothing to export.
    let anonymous = my_export(&app, None).await;
    assert_eq!(anonymous.status(), 401);
}

const ERASE: &str =
    "mutation($id: ID!, $reason: String!) { eraseUser(userId: $id, reason: $reason) }";

#[tokio::test]
async fn erasing_a_person_leaves_no_name_behind_and_verifiers_see_revoked() {
    let app = spawn_app().await;
    let (lena, admin, certificate) = crate::certificates::certified(&app, None).await;
    let code = certificate["code"].as_str().expect("a code").to_owned();
    let lena_id = app.me(&lena).await["id"].clone();
    let competence = crate::helpers::digcomp(&app, "1.1").await;
    app.ok(
        "mutation($r: [SelfRatingInput!]!) { submitSelfAssessment(ratings: $r) { totalGap } }",
        json!({ "r": [{ "competenceId": competence, "level": 2 }] }),
        &lena,
    )
    .await;
    let users_before = app.count("users").await;

    let answer = app
        .ok(
            ERASE,
            json!({ "id": lena_id, "reason": "Request 2026-114 of 1 December" }),
            &admin,
        )
        .await;
    assert_eq!(answer["eraseUser"], true);

    // The session is over and the password gone.
    let me = app.gql("{ me { id } }", json!({}), Some(&lena)).await;
    assert!(me["data"]["me"].is_null(), "{me}");
    let login = app
        .gql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": LEARNER1, "p": PASSWORD }),
            None,
        )
        .await;
    assert!(login.get("errors").is_some(), "{login}");

    // Verifiers see REVOKED and no name.
    let verified = app
        .gql(
            "query($c: String!) { verifyCertificate(code: $c) { status holderName } }",
            json!({ "c": code }),
            None,
        )
        .await;
    assert_eq!(verified["data"]["verifyCertificate"]["status"], "REVOKED");
    let holder = verified["data"]["verifyCertificate"]["holderName"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(!holder.contains("Lena"), "{holder}");

    // Nothing that names her is left in the account; the record stays, pseudonymous.
    assert_eq!(app.count("users").await, users_before);
    let person = app
        .ok(
            "query($id: ID!) { user(id: $id) { displayName email status } }",
            json!({ "id": lena_id }),
            &admin,
        )
        .await;
    let name = person["user"]["displayName"].as_str().expect("a name");
    assert!(name.starts_with("Erased person "), "{name}");
    assert!(
        !person["user"]["email"]
            .as_str()
            .expect("an email")
            .contains("learner1")
    );
    assert_eq!(person["user"]["status"], "DISABLED");
    let self_assessed = app
        .count(&format!(
            "competence_results WHERE source = 'self_assessed' AND user_id IN (SELECT id FROM users WHERE display_name = '{name}')"
        ))
        .await;
    assert_eq!(self_assessed, 0);
    assert_eq!(
        app.count("audit_events WHERE action = 'user.erased'").await,
        1
    );

    // Irreversible: a second erasure is a conflict and changes nothing.
    let again = app
        .gql(
            ERASE,
            json!({ "id": lena_id, "reason": "again" }),
            Some(&admin),
        )
        .await;
    assert_error(&again, "CONFLICT", Some("userId"));
    assert_eq!(
        app.count("audit_events WHERE action = 'user.erased'").await,
        1
    );
}

#[tokio::test]
async fn erasure_is_refused_outside_ones_units_without_a_reason_and_for_the_last_platform_admin() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let lena = app.login(LEARNER1, PASSWORD).await;
    let lena_id = app.me(&lena).await["id"].clone();
    let admin_id = app.me(&admin).await["id"].clone();
    let other = app.create_authority(&admin, "Other authority").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@other.example", "ADMIN")
        .await;

    for token in [&hr, &other_admin] {
        let answer = app
            .gql(ERASE, json!({ "id": lena_id, "reason": "r" }), Some(token))
            .await;
        assert_error(&answer, "FORBIDDEN", None);
    }
    for reason in ["", "   ", &"x".repeat(1_001)] {
        let answer = app
            .gql(
                ERASE,
                json!({ "id": lena_id, "reason": reason }),
                Some(&admin),
            )
            .await;
        assert_error(&answer, "BAD_USER_INPUT", Some("reason"));
    }
    // The only platform administrator cannot erase themself.
    let answer = app
        .gql(
            ERASE,
            json!({ "id": admin_id, "reason": "leaving" }),
            Some(&admin),
        )
        .await;
    assert_error(&answer, "CONFLICT", None);
    assert_eq!(
        app.count("audit_events WHERE action = 'user.erased'").await,
        0
    );
    let me = app.ok("{ me { displayName } }", json!({}), &lena).await;
    assert_eq!(me["me"]["displayName"], "Lena Learner", "nothing changed");
}

//! The audit trail: `auditEvents` and `GET /audit-events.csv` for administrators, of the units
//! their grants cover, newest first, filtered by actor, person, action and time.

use serde_json::{Value, json};

use crate::{
    helpers::{
        ADMIN, HR, LEARNER1, PASSWORD, TestApp, assert_error, get_csv, parse_csv, spawn_app,
        spawn_app_with, wide_batch_window,
    },
    learning::user_id,
};

const TRAIL: &str = "query($first: Int, $after: String, $filter: AuditFilter) {
    auditEvents(first: $first, after: $after, filter: $filter) {
        edges { cursor node {
            id action actor { id displayName } subject { id displayName } targetType targetId
            orgUnit { name } at details
        } }
        pageInfo { hasNextPage endCursor }
    }
}";

fn actions(response: &Value) -> Vec<String> {
    response["auditEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["action"].as_str().expect("action").to_owned())
        .collect()
}

/// Lena (learner1, Department of Citizen Services) granted TRAINER by the platform admin, then
/// her page read by HR; and an administrator of Citizen Services. Returns (Lena's id, that
/// administrator's token).
async fn lena_with_history(app: &TestApp) -> (String, String) {
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let lena = user_id(app, &app.login(LEARNER1, PASSWORD).await).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    app.ok(
        "mutation($id: ID!, $unit: ID!) {
            setUserRoles(userId: $id, grants: [{ role: TRAINER, orgUnitId: $unit }]) { id }
        }",
        json!({ "id": lena, "unit": unit }),
        &admin,
    )
    .await;
    app.ok(
        "query($id: ID!) { user(id: $id) { enrollments { edges { node { status } } } } }",
        json!({ "id": lena }),
        &hr,
    )
    .await;
    let local_admin = app
        .person_with_role(&admin, &unit, "admin.cs@demo.govskills.test", "ADMIN")
        .await;
    (lena, local_admin)
}

#[tokio::test]
async fn an_administrator_reads_the_trail_of_their_units_newest_first() {
    let app = spawn_app().await;
    let (lena, local_admin) = lena_with_history(&app).await;

    let about_lena = app
        .ok(
            TRAIL,
            json!({ "filter": { "subjectId": lena } }),
            &local_admin,
        )
        .await;
    let edges = about_lena["auditEvents"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges[0]["node"]["action"], "personal_data.read");
    assert_eq!(edges[0]["node"]["actor"]["displayName"], "Hanna HR");
    assert_eq!(edges[0]["node"]["subject"]["displayName"], "Lena Learner");
    assert_eq!(
        edges[0]["node"]["orgUnit"]["name"],
        "Department of Citizen Services"
    );
    let details: Value =
        serde_json::from_str(edges[0]["node"]["details"].as_str().expect("details")).expect("JSON");
    assert_eq!(details["read"], json!(["enrollments"]));
    assert!(
        actions(&about_lena)
            .iter()
            .any(|action| action.starts_with("user.roles")),
        "{about_lena}"
    );
    let times: Vec<&str> = edges
        .iter()
        .map(|edge| edge["node"]["at"].as_str().expect("at"))
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);

    let reads = app
        .ok(
            TRAIL,
            json!({ "filter": { "actions": ["personal_data.read"] } }),
            &local_admin,
        )
        .await;
    assert_eq!(actions(&reads), ["personal_data.read"]);

    // Paging: the first event, then the rest after its cursor, are the whole list.
    let all = actions(&about_lena);
    let first = app
        .ok(
            TRAIL,
            json!({ "first": 1, "filter": { "subjectId": lena } }),
            &local_admin,
        )
        .await;
    assert_eq!(first["auditEvents"]["pageInfo"]["hasNextPage"], true);
    let rest = app
        .ok(
            TRAIL,
            json!({ "after": first["auditEvents"]["pageInfo"]["endCursor"],
                "filter": { "subjectId": lena } }),
            &local_admin,
        )
        .await;
    let mut paged = actions(&first);
    paged.extend(actions(&rest));
    assert_eq!(paged, all);

    // A time window: nothing is older than a minute ago, everything is before the next hour.
    let now = chrono::Utc::now();
    let window = |from: chrono::DateTime<chrono::Utc>, until: chrono::DateTime<chrono::Utc>| json!({ "filter": { "subjectId": lena, "from": from.to_rfc3339(), "until": until.to_rfc3339() } });
    let recent = app
        .ok(
            TRAIL,
            window(
                now - chrono::Duration::minutes(1),
                now + chrono::Duration::hours(1),
            ),
            &local_admin,
        )
        .await;
    assert_eq!(actions(&recent), all);
    let old = app
        .ok(
            TRAIL,
            window(
                now - chrono::Duration::days(2),
                now - chrono::Duration::days(1),
            ),
            &local_admin,
        )
        .await;
    assert_eq!(actions(&old), Vec::<String>::new());
}

#[tokio::test]
async fn the_trail_is_for_administrators_of_the_units_it_concerns() {
    let app = spawn_app().await;
    let (lena, _) = lena_with_history(&app).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let other = app.create_authority(&admin, "Other authority").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@other.test", "ADMIN")
        .await;

    let elsewhere = app
        .ok(
            TRAIL,
            json!({ "filter": { "subjectId": lena } }),
            &other_admin,
        )
        .await;
    assert_eq!(actions(&elsewhere), Vec::<String>::new());
    let own_only = app.ok(TRAIL, json!({ "first": 100 }), &other_admin).await;
    for edge in own_only["auditEvents"]["edges"].as_array().expect("edges") {
        assert_eq!(edge["node"]["orgUnit"]["name"], "Other authority", "{edge}");
    }
    // The platform administrator reads everything, platform-wide events included.
    let everything = app.ok(TRAIL, json!({ "first": 100 }), &admin).await;
    assert!(
        everything["auditEvents"]["edges"]
            .as_array()
            .expect("edges")
            .len()
            > own_only["auditEvents"]["edges"]
                .as_array()
                .expect("edges")
                .len()
    );

    for email in [HR, LEARNER1] {
        let token = app.login(email, PASSWORD).await;
        assert_error(
            &app.gql(TRAIL, json!({}), Some(&token)).await,
            "FORBIDDEN",
            None,
        );
    }
    assert_error(
        &app.gql(TRAIL, json!({}), None).await,
        "UNAUTHENTICATED",
        None,
    );
    let now = chrono::Utc::now().to_rfc3339();
    for (variables, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "not a cursor" }), "after"),
        (json!({ "filter": { "actorId": "x" } }), "actorId"),
        (json!({ "filter": { "subjectId": "x" } }), "subjectId"),
        (json!({ "filter": { "from": now, "until": now } }), "until"),
    ] {
        assert_error(
            &app.gql(TRAIL, variables, Some(&admin)).await,
            "BAD_USER_INPUT",
            Some(field),
        );
    }
}

#[tokio::test]
async fn a_page_of_the_trail_costs_the_same_statements_for_5_and_for_50_events() {
    let app = spawn_app_with(wide_batch_window).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app.org_unit_id(&admin, "Department of Data and AI").await;
    for i in 0..50 {
        app.create_user(&admin, &format!("t{i}@demo.govskills.test"), &unit)
            .await;
    }
    let five = app
        .statements_for(TRAIL, json!({ "first": 5 }), &admin)
        .await;
    let fifty = app
        .statements_for(TRAIL, json!({ "first": 50 }), &admin)
        .await;
    assert_eq!(five, fifty, "5 events: {five} statements, 50: {fifty}");
}

#[tokio::test]
async fn the_trail_exports_as_csv_with_formulas_neutralised() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app.org_unit_id(&admin, "Department of Data and AI").await;
    let created = app
        .ok(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": {
                "email": "formula@demo.govskills.test",
                "displayName": "=HYPERLINK(\"http://example.test\")",
                "password": "a long enough password",
                "orgUnitId": unit,
            }}),
            &admin,
        )
        .await;
    let person = created["createUser"]["id"].as_str().expect("id").to_owned();

    let response = get_csv(
        &app,
        &format!("/audit-events.csv?subjectId={person}"),
        Some(&admin),
    )
    .await;
    assert_eq!(response.status(), 200);
    let rows = parse_csv(&response.text().await.expect("body"));
    assert_eq!(
        rows[0],
        [
            "at",
            "action",
            "actor id",
            "actor",
            "subject id",
            "subject",
            "org unit",
            "target type",
            "target id",
            "details"
        ]
    );
    assert!(rows.len() >= 2, "{rows:?}");
    assert_eq!(rows[1][4], person);
    assert_eq!(rows[1][5], "'=HYPERLINK(\"http://example.test\")");
    assert_eq!(rows[1][6], "Department of Data and AI");

    let hr = app.login(HR, PASSWORD).await;
    let refused = get_csv(&app, "/audit-events.csv", Some(&hr)).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(get_csv(&app, "/audit-events.csv", None).await.status(), 401);
    let malformed = get_csv(&app, "/audit-events.csv?from=yesterday", Some(&admin)).await;
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.expect("JSON error");
    assert_eq!(body["error"]["field"], "from");
}

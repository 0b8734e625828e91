//! SCIM 2.0 provisioning: provisioning tokens (GraphQL) and `/scim/v2` (HTTP), black-box; and
//! the scim2-tester conformance checker run against the real server.

use std::{path::Path, process::Command};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, HR, LEARNER1, PASSWORD, TestApp, assert_error, spawn_app, spawn_app_with,
};

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const DATA_AND_AI: &str = "Department of Data and AI";
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub(crate) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const CREATE_TOKEN: &str = "mutation($unit: ID!, $description: String!) {
    createProvisioningToken(orgUnitId: $unit, description: $description) {
        token provisioningToken { id description createdAt lastUsedAt revokedAt }
    }
}";

const TOKENS: &str = "query($unit: ID!) {
    provisioningTokens(orgUnitId: $unit) { id description orgUnitId createdAt lastUsedAt revokedAt }
}";

/// A provisioning token of the demo ministry, created by the platform administrator.
async fn ministry_token(app: &TestApp) -> String {
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    token_for(app, &admin, &ministry).await
}

pub(crate) async fn token_for(app: &TestApp, admin: &str, unit: &str) -> String {
    app.ok(
        CREATE_TOKEN,
        json!({ "unit": unit, "description": "HR system" }),
        admin,
    )
    .await["createProvisioningToken"]["token"]
        .as_str()
        .expect("a secret")
        .to_owned()
}

/// One SCIM request: the status and the JSON answer (`Null` for none).
pub(crate) async fn scim(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/scim/v2{path}")))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("the SCIM request is sent");
    let status = response.status();
    if status != StatusCode::NO_CONTENT {
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(content_type, "application/scim+json", "{path}");
    }
    let text = response.text().await.expect("a body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("a JSON answer")
    };
    (status, json)
}

/// Asserts a SCIM error with its status and `scimType`.
fn assert_scim_error(answer: &(StatusCode, Value), status: u16, scim_type: Option<&str>) {
    let (got, body) = answer;
    assert_eq!(got.as_u16(), status, "{body}");
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], status.to_string(), "{body}");
    match scim_type {
        Some(scim_type) => assert_eq!(body["scimType"], scim_type, "{body}"),
        None => assert!(body.get("scimType").is_none(), "{body}"),
    }
}

fn new_user(user_name: &str, department: Option<&str>) -> Value {
    let mut user = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": user_name,
        "externalId": format!("hr-{user_name}"),
        "name": { "givenName": "Maria", "familyName": "Huber" },
        "displayName": "Maria Huber",
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true,
    });
    if let Some(department) = department {
        user[ENTERPRISE] = json!({ "department": department });
    }
    user
}

async fn create(app: &TestApp, token: &str, user: Value) -> Value {
    let (status, body) = scim(app, Method::POST, "/Users", token, Some(user)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

fn filter_path(filter: &str) -> String {
    format!(
        "/Users?filter={}",
        url_encode(filter) // userName eq "..."
    )
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The id of the account `user_name` names, through a SCIM filter.
async fn find_id(app: &TestApp, token: &str, user_name: &str) -> String {
    let (status, list) = scim(
        app,
        Method::GET,
        &filter_path(&format!("userName eq \"{user_name}\"")),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["totalResults"], 1, "{list}");
    list["Resources"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

#[tokio::test]
async fn an_authority_admin_creates_lists_and_revokes_tokens_whose_secret_is_shown_once() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let authority_admin = app
        .person_with_role(&admin, &ministry, "it@demo.govskills.test", "ADMIN")
        .await;

    let created = app
        .ok(
            CREATE_TOKEN,
            json!({ "unit": ministry, "description": "Entra ID" }),
            &authority_admin,
        )
        .await["createProvisioningToken"]
        .clone();
    let secret = created["token"].as_str().expect("a secret").to_owned();
    assert!(secret.len() >= 43, "at least 256 bits: {secret}");
    assert!(created["provisioningToken"]["revokedAt"].is_null());

    // The secret works, and is never shown again.
    let (status, _) = scim(&app, Method::GET, "/Users?count=1", &secret, None).await;
    assert_eq!(status, StatusCode::OK);
    let listed = app
        .ok(TOKENS, json!({ "unit": ministry }), &authority_admin)
        .await;
    assert_eq!(listed["provisioningTokens"][0]["description"], "Entra ID");
    assert!(!listed["provisioningTokens"][0]["lastUsedAt"].is_null());
    assert!(!listed.to_string().contains(&secret));
    let stored: Vec<String> = {
        use govskills_domain::entities::provisioning_token;
        use sea_orm::EntityTrait;
        provisioning_token::Entity::find()
            .all(&app.db)
            .await
            .expect("tokens")
            .into_iter()
            .map(|token| token.token_hash)
            .collect()
    };
    assert!(
        stored
            .iter()
            .all(|hash| hash.len() == 64 && *hash != secret)
    );

    // Revoked: refused at once, in the SCIM error format.
    let id = created["provisioningToken"]["id"].clone();
    let revoked = app
        .ok(
            "mutation($id: ID!) { revokeProvisioningToken(id: $id) }",
            json!({ "id": id }),
            &authority_admin,
        )
        .await;
    assert_eq!(revoked["revokeProvisioningToken"], true);
    let refused = scim(&app, Method::GET, "/Users", &secret, None).await;
    assert_scim_error(&refused, 401, None);
    let listed = app
        .ok(TOKENS, json!({ "unit": ministry }), &authority_admin)
        .await;
    assert!(!listed["provisioningTokens"][0]["revokedAt"].is_null());
    // No token at all, or a made-up one: the same.
    assert_scim_error(
        &scim(&app, Method::GET, "/Users", "gsp_made-up", None).await,
        401,
        None,
    );
}

#[tokio::test]
async fn only_an_administrator_of_the_authority_manages_its_tokens() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let department = app.org_unit_id(&admin, DATA_AND_AI).await;
    let other = app.create_authority(&admin, "City of Graz").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@graz.example", "ADMIN")
        .await;
    let hr = app.login(HR, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let events = app.count("audit_events").await;

    for (token, who) in [(&hr, "HR"), (&learner, "learner"), (&other_admin, "other")] {
        let response = app
            .gql(
                CREATE_TOKEN,
                json!({ "unit": ministry, "description": "x" }),
                Some(token),
            )
            .await;
        assert_error(&response, "FORBIDDEN", None);
        let response = app
            .gql(TOKENS, json!({ "unit": ministry }), Some(token))
            .await;
        assert_error(&response, "FORBIDDEN", None);
        assert_eq!(app.count("provisioning_tokens").await, 0, "{who}");
    }
    // A unit below the authority is not an authority.
    let response = app
        .gql(
            CREATE_TOKEN,
            json!({ "unit": department, "description": "x" }),
            Some(&admin),
        )
        .await;
    assert_error(&response, "BAD_USER_INPUT", Some("orgUnitId"));
    assert_eq!(app.count("provisioning_tokens").await, 0);
    assert_eq!(app.count("audit_events").await, events);

    // Another authority's administrator cannot revoke the ministry's token either.
    let id = app
        .ok(
            CREATE_TOKEN,
            json!({ "unit": ministry, "description": "HR" }),
            &admin,
        )
        .await["createProvisioningToken"]["provisioningToken"]["id"]
        .clone();
    let response = app
        .gql(
            "mutation($id: ID!) { revokeProvisioningToken(id: $id) }",
            json!({ "id": id }),
            Some(&other_admin),
        )
        .await;
    assert_error(&response, "NOT_FOUND", None);
    let listed = app.ok(TOKENS, json!({ "unit": ministry }), &admin).await;
    assert!(listed["provisioningTokens"][0]["revokedAt"].is_null());
}

#[tokio::test]
async fn scim_creates_reads_lists_pages_replaces_patches_and_deletes_users() {
    let app = spawn_app().await;
    let token = ministry_token(&app).await;

    let created = create(&app, &token, new_user("maria.huber@graz.example", None)).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["userName"], "maria.huber@graz.example");
    assert_eq!(created["externalId"], "hr-maria.huber@graz.example");
    assert_eq!(created["displayName"], "Maria Huber");
    assert_eq!(created["active"], true);
    assert_eq!(created["meta"]["resourceType"], "User");
    let (status, read) = scim(&app, Method::GET, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);
    // Created without a password: password sign-in does not work.
    let login = app
        .try_login("maria.huber@graz.example", "a long enough password")
        .await;
    assert_error(&login, "UNAUTHENTICATED", None);

    // Filters: userName regardless of case, externalId exactly.
    assert_eq!(find_id(&app, &token, "MARIA.Huber@graz.example").await, id);
    let (_, by_external) = scim(
        &app,
        Method::GET,
        &filter_path("externalId eq \"hr-maria.huber@graz.example\""),
        &token,
        None,
    )
    .await;
    assert_eq!(by_external["totalResults"], 1);
    assert_eq!(by_external["Resources"][0]["id"], id.as_str());

    // Paging: startIndex is 1-based, count bounds the page.
    for n in 0..3 {
        create(&app, &token, new_user(&format!("p{n}@graz.example"), None)).await;
    }
    let (_, all) = scim(&app, Method::GET, "/Users", &token, None).await;
    let total = all["totalResults"].as_u64().expect("a total");
    assert!(total >= 4, "{all}");
    let (_, page) = scim(
        &app,
        Method::GET,
        "/Users?startIndex=2&count=2",
        &token,
        None,
    )
    .await;
    assert_eq!(page["totalResults"], total);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["Resources"][0]["id"], all["Resources"][1]["id"]);
    assert_eq!(page["Resources"][1]["id"], all["Resources"][2]["id"]);

    // PUT replaces.
    let mut replacement = new_user("maria.huber@graz.example", None);
    replacement["displayName"] = json!("Maria Huber-Berg");
    replacement["externalId"] = json!("E-1");
    let (status, replaced) = scim(
        &app,
        Method::PUT,
        &format!("/Users/{id}"),
        &token,
        Some(replacement),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["displayName"], "Maria Huber-Berg");
    assert_eq!(replaced["externalId"], "E-1");

    // PATCH as Entra ID sends it (no path, capitalised op, "False" as a string) ...
    let (status, patched) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "m.huber@graz.example" },
                { "op": "Replace", "path": "name.familyName", "value": "Berger" },
                { "op": "Replace", "value": { "active": "False" } },
            ],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["emails"][0]["value"], "m.huber@graz.example");
    assert_eq!(patched["displayName"], "Maria Berger");
    assert_eq!(patched["active"], false);
    // ... and as Keycloak sends it (paths, lower-case ops).
    let (status, patched) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                { "op": "replace", "path": "active", "value": true },
                { "op": "replace", "path": "displayName", "value": "Maria B." },
                { "op": "add", "path": "externalId", "value": "E-2" },
                { "op": "remove", "path": "externalId" },
            ],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["active"], true);
    assert_eq!(patched["displayName"], "Maria B.");
    assert!(patched.get("externalId").is_none(), "{patched}");

    // The directory shows the changes (search text included).
    let admin = app.login(ADMIN, PASSWORD).await;
    let found = app
        .ok(
            "query($search: String) { users(filter: { search: $search }) { nodes { id displayName email } } }",
            json!({ "search": "maria b." }),
            &admin,
        )
        .await;
    assert_eq!(found["users"]["nodes"][0]["id"], id.as_str(), "{found}");

    // DELETE deactivates: gone for SCIM, kept (disabled) for GovSkills.
    let (status, _) = scim(&app, Method::DELETE, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_scim_error(
        &scim(&app, Method::GET, &format!("/Users/{id}"), &token, None).await,
        404,
        None,
    );
    let person = app
        .ok(
            "query($id: ID!) { user(id: $id) { status } }",
            json!({ "id": id }),
            &admin,
        )
        .await;
    assert_eq!(person["user"]["status"], "DISABLED", "{person}");
    // Created again by the HR system: the same account comes back.
    let again = create(&app, &token, new_user("maria.huber@graz.example", None)).await;
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["active"], true);
}

#[tokio::test]
async fn a_department_places_the_user_in_the_unit_with_that_external_id() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let data = app.org_unit_id(&admin, DATA_AND_AI).await;
    let updated = app
        .ok(
            "mutation($id: ID!) { updateOrgUnit(id: $id, input: { externalId: \"D-AI\" }) { externalId } }",
            json!({ "id": data }),
            &admin,
        )
        .await;
    assert_eq!(updated["updateOrgUnit"]["externalId"], "D-AI");
    // Unique within the authority.
    let duplicate = app
        .gql(
            "mutation($parent: ID!) { createOrgUnit(input: { name: \"Twin\", parentId: $parent, externalId: \"D-AI\" }) { id } }",
            json!({ "parent": ministry }),
            Some(&admin),
        )
        .await;
    assert_error(&duplicate, "CONFLICT", Some("externalId"));
    let token = token_for(&app, &admin, &ministry).await;

    let placed = create(&app, &token, new_user("ai@graz.example", Some("D-AI"))).await;
    assert_eq!(placed[ENTERPRISE]["department"], "D-AI");
    let unplaced = create(&app, &token, new_user("top@graz.example", None)).await;
    assert!(unplaced.get(ENTERPRISE).is_none(), "{unplaced}");

    // HR sees both in the directory before they ever signed in.
    let hr = app.login(HR, PASSWORD).await;
    let in_unit = app
        .ok(
            "query($unit: ID!) { users(filter: { orgUnitId: $unit }) { nodes { email orgUnit { id } } } }",
            json!({ "unit": data }),
            &hr,
        )
        .await;
    let emails: Vec<&str> = in_unit["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|node| node["email"].as_str())
        .collect();
    assert!(emails.contains(&"ai@graz.example"), "{in_unit}");
    assert!(!emails.contains(&"top@graz.example"), "{in_unit}");
    let everyone = app
        .ok(
            "{ users(first: 100) { nodes { email orgUnit { id } } } }",
            json!({}),
            &hr,
        )
        .await;
    let top = everyone["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|node| node["email"] == "top@graz.example")
        .expect("the user without a department")
        .clone();
    assert_eq!(top["orgUnit"]["id"], ministry.as_str());

    // PATCH the department (the Entra ID form), and to one that does not exist.
    let id = unplaced["id"].as_str().expect("an id");
    let (status, moved) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "Add", "path": format!("{ENTERPRISE}:department"), "value": "D-AI" },
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved[ENTERPRISE]["department"], "D-AI");
    let refused = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "NOPE" },
        ]})),
    )
    .await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    let (_, unchanged) = scim(&app, Method::GET, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(unchanged[ENTERPRISE]["department"], "D-AI");
}

#[tokio::test]
async fn deactivation_ends_the_users_sessions_at_once_and_keeps_their_learning_records() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let token = ministry_token(&app).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let enrollments = app
        .ok("{ myEnrollments { nodes { id } } }", json!({}), &learner)
        .await["myEnrollments"]["nodes"]
        .as_array()
        .expect("enrolments")
        .len();
    assert!(enrollments > 0);
    let (rows_before, results_before) = (
        app.count("enrollments").await,
        app.count("competence_results").await,
    );

    // An account created in GovSkills is found by its email as userName, then deactivated.
    let id = find_id(&app, &token, LEARNER1).await;
    let (status, patched) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "value": { "active": false } },
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["active"], false);

    assert!(app.me(&learner).await.is_null(), "the session has ended");
    let refused = app
        .gql(
            "{ myEnrollments { nodes { id } } }",
            json!({}),
            Some(&learner),
        )
        .await;
    assert_error(&refused, "UNAUTHENTICATED", None);
    assert_error(
        &app.try_login(LEARNER1, PASSWORD).await,
        "UNAUTHENTICATED",
        None,
    );
    assert_eq!(app.count("enrollments").await, rows_before);
    assert_eq!(app.count("competence_results").await, results_before);

    // Re-activated: the person signs in again and finds their records.
    let (status, _) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "path": "active", "value": true },
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let learner = app.login(LEARNER1, PASSWORD).await;
    let again = app
        .ok("{ myEnrollments { nodes { id } } }", json!({}), &learner)
        .await;
    assert_eq!(
        again["myEnrollments"]["nodes"].as_array().map(Vec::len),
        Some(enrollments)
    );

    // DELETE ends the sessions as well.
    let (status, _) = scim(&app, Method::DELETE, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(app.me(&learner).await.is_null());
    assert_eq!(app.count("enrollments").await, rows_before);
}

#[tokio::test]
async fn a_token_sees_and_changes_only_its_own_authoritys_accounts() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let graz = app.create_authority(&admin, "City of Graz").await;
    let outsider = app.create_user(&admin, "clerk@graz.example", &graz).await;
    let graz_token = token_for(&app, &admin, &graz).await;
    let graz_user = create(&app, &graz_token, new_user("hr@graz.example", None)).await;
    let token = token_for(&app, &admin, &ministry).await;
    let events = app.count("audit_events").await;

    for id in [outsider.as_str(), graz_user["id"].as_str().expect("an id")] {
        let path = format!("/Users/{id}");
        assert_scim_error(
            &scim(&app, Method::GET, &path, &token, None).await,
            404,
            None,
        );
        assert_scim_error(
            &scim(
                &app,
                Method::PUT,
                &path,
                &token,
                Some(new_user("taken@graz.example", None)),
            )
            .await,
            404,
            None,
        );
        assert_scim_error(
            &scim(
                &app,
                Method::PATCH,
                &path,
                &token,
                Some(json!({ "schemas": [PATCH_OP], "Operations": [
                    { "op": "replace", "path": "active", "value": false },
                ]})),
            )
            .await,
            404,
            None,
        );
        assert_scim_error(
            &scim(&app, Method::DELETE, &path, &token, None).await,
            404,
            None,
        );
    }
    let (_, list) = scim(
        &app,
        Method::GET,
        &filter_path("userName eq \"clerk@graz.example\""),
        &token,
        None,
    )
    .await;
    assert_eq!(list["totalResults"], 0, "{list}");
    // Nothing changed: still active, no event written.
    let (_, still) = scim(
        &app,
        Method::GET,
        &format!("/Users/{}", graz_user["id"].as_str().expect("id")),
        &graz_token,
        None,
    )
    .await;
    assert_eq!(still["active"], true);
    assert_eq!(still["userName"], "hr@graz.example");
    assert_eq!(app.count("audit_events").await, events);
}

#[tokio::test]
async fn bad_input_is_refused_in_the_scim_error_format_and_changes_nothing() {
    let app = spawn_app().await;
    let token = ministry_token(&app).await;
    let created = create(&app, &token, new_user("anna@graz.example", None)).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    let (users, events) = (app.count("users").await, app.count("audit_events").await);

    // The same userName in another case.
    let mut twin = new_user("ANNA@Graz.Example", None);
    twin["emails"] = json!([{ "value": "other@graz.example" }]);
    let refused = scim(&app, Method::POST, "/Users", &token, Some(twin)).await;
    assert_scim_error(&refused, 409, Some("uniqueness"));
    // A userName another account has as its email.
    let mut clash = new_user(HR, None);
    clash["emails"] = json!([{ "value": "third@graz.example" }]);
    let refused = scim(&app, Method::POST, "/Users", &token, Some(clash)).await;
    assert_scim_error(&refused, 409, Some("uniqueness"));

    // Unknown attributes and wrong types.
    let mut unknown = new_user("bert@graz.example", None);
    unknown["favouriteColour"] = json!("blue");
    let refused = scim(&app, Method::POST, "/Users", &token, Some(unknown)).await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    let mut wrong = new_user("bert@graz.example", None);
    wrong["active"] = json!(5);
    let refused = scim(&app, Method::POST, "/Users", &token, Some(wrong)).await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    let refused = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "value": { "displayName": "Anna", "shoeSize": 39 } },
        ]})),
    )
    .await;
    assert_scim_error(&refused, 400, Some("invalidValue"));
    let refused = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "path": "active", "value": "maybe" },
        ]})),
    )
    .await;
    assert_scim_error(&refused, 400, Some("invalidValue"));

    // Malformed and unsupported filters.
    for filter in ["userName eq", "userName eq \"a\" and (", "title co \"x\""] {
        let refused = scim(&app, Method::GET, &filter_path(filter), &token, None).await;
        assert_scim_error(&refused, 400, Some("invalidFilter"));
    }
    // Unknown users and ids that are not ours.
    for path in [
        "/Users/not-an-id",
        "/Users/0190b4a2-0000-7000-8000-000000000000",
    ] {
        assert_scim_error(
            &scim(&app, Method::GET, path, &token, None).await,
            404,
            None,
        );
    }

    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("audit_events").await, events);
    let (_, unchanged) = scim(&app, Method::GET, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(unchanged, created);
}

#[tokio::test]
async fn every_scim_write_is_audited() {
    let app = spawn_app().await;
    let token = ministry_token(&app).await;
    let created = create(&app, &token, new_user("carla@graz.example", None)).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(
        (action.as_str(), actor, target.as_deref()),
        ("user.scim_created", None, Some(id.as_str()))
    );
    scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "path": "displayName", "value": "Carla M." },
        ]})),
    )
    .await;
    assert_eq!(app.latest_audit_event().await.0, "user.scim_patched");
    scim(&app, Method::DELETE, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(app.latest_audit_event().await.0, "user.scim_deleted");
}

#[tokio::test]
async fn the_scim2_tester_conformance_checker_reports_no_failures() {
    let python = tokio::task::spawn_blocking(|| crate::helpers::python_venv("scim"))
        .await
        .expect("the checker is installed");
    let app = spawn_app_with(|_| {}).await;
    let token = ministry_token(&app).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scim/check.py");
    let base = app.url("/scim/v2");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(base)
            .arg(token)
            .output()
            .expect("the checker runs")
    })
    .await
    .expect("the checker finished");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "scim2-tester reported failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" 0 failed"), "{report}");
    assert!(!report.contains("SKIPPED"), "every check ran:\n{report}");
}

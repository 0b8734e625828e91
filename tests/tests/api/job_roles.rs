//! Job roles: creating, listing, updating and assigning them, within each admin's scope.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TestApp, assert_error, error_message, spawn_app,
};

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const CITIZEN_SERVICES: &str = "Department of Citizen Services";
const DATA_AND_AI: &str = "Department of Data and AI";

const JOB_ROLE: &str = "id name description usesAiSystems orgUnit { id name }
    requirements { competence { code } level }";

/// DigComp 2.2 competence ids by code, as a client finds them.
async fn digcomp_ids(app: &TestApp) -> HashMap<String, String> {
    let response = app
        .gql(
            "{ frameworks { code version areas { competences { id code } } } }",
            json!({}),
            None,
        )
        .await;
    let digcomp = response["data"]["frameworks"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["code"] == "DIGCOMP"))
        .unwrap_or_else(|| panic!("DigComp is listed: {response}"));
    digcomp["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .flat_map(|area| area["competences"].as_array().expect("competences"))
        .map(|c| {
            (
                c["code"].as_str().expect("code").to_owned(),
                c["id"].as_str().expect("id").to_owned(),
            )
        })
        .collect()
}

fn id_of(response: &Value, field: &str) -> String {
    response["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {response}"))
        .to_owned()
}

async fn create_job_role(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($input: CreateJobRoleInput!) {{ createJobRole(input: $input) {{ {JOB_ROLE} }} }}"
        ),
        json!({ "input": input }),
        Some(token),
    )
    .await
}

/// Creates a job role with no requirements and returns its id.
async fn simple_job_role(app: &TestApp, token: &str, name: &str, unit: Option<&str>) -> String {
    let input =
        json!({ "name": name, "usesAiSystems": false, "orgUnitId": unit, "requirements": [] });
    id_of(&create_job_role(app, token, input).await, "createJobRole")
}

async fn update_job_role(app: &TestApp, token: &str, id: &str, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($id: ID!, $input: UpdateJobRoleInput!) {{
                updateJobRole(id: $id, input: $input) {{ {JOB_ROLE} }}
            }}"
        ),
        json!({ "id": id, "input": input }),
        Some(token),
    )
    .await
}

async fn assign(app: &TestApp, token: &str, user_id: &str, job_role_id: Option<&str>) -> Value {
    app.gql(
        "mutation($user: ID!, $role: ID) {
            assignJobRole(userId: $user, jobRoleId: $role) { id jobRole { id name } }
        }",
        json!({ "user": user_id, "role": job_role_id }),
        Some(token),
    )
    .await
}

async fn job_roles(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app
        .gql(
            &format!("{{ jobRoles {{ {JOB_ROLE} }} }}"),
            json!({}),
            Some(token),
        )
        .await;
    response["data"]["jobRoles"]
        .as_array()
        .unwrap_or_else(|| panic!("jobRoles failed: {response}"))
        .clone()
}

async fn job_role_names(app: &TestApp, token: &str) -> Vec<String> {
    job_roles(app, token)
        .await
        .iter()
        .map(|role| role["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    app.me(token).await["id"]
        .as_str()
        .expect("signed in")
        .to_owned()
}

async fn create_unit(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> String {
    let response = app
        .gql(
            "mutation($input: CreateOrgUnitInput!) { createOrgUnit(input: $input) { id } }",
            json!({ "input": { "name": name, "parentId": parent } }),
            Some(token),
        )
        .await;
    id_of(&response, "createOrgUnit")
}

/// Opens an account in `unit` with ADMIN held there, and signs it in.
async fn admin_at(app: &TestApp, platform: &str, email: &str, unit: &str) -> String {
    let id = app.create_user(platform, email, unit).await;
    let granted = app
        .gql(
            "mutation($id: ID!, $unit: ID!) {
                setUserRoles(userId: $id, grants: [{ role: ADMIN, orgUnitId: $unit }]) { roles }
            }",
            json!({ "id": id, "unit": unit }),
            Some(platform),
        )
        .await;
    assert!(granted.get("errors").is_none(), "{granted}");
    app.login(email, "a long enough password").await
}

fn required(ids: &HashMap<String, String>, code: &str, level: i64) -> Value {
    json!({ "competenceId": ids[code], "level": level })
}

fn caseworker(ids: &HashMap<String, String>, unit: &str) -> Value {
    json!({
        "name": "Caseworker",
        "description": "Decides on citizens' applications, increasingly with AI-assisted triage.",
        "usesAiSystems": true,
        "orgUnitId": unit,
        "requirements": [
            required(ids, "4.2", 5),
            required(ids, "1.1", 4),
            required(ids, "2.3", 3),
        ],
    })
}

fn codes_and_levels(role: &Value) -> Vec<(String, i64)> {
    role["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .map(|r| {
            (
                r["competence"]["code"].as_str().expect("code").to_owned(),
                r["level"].as_i64().expect("level"),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected
        .iter()
        .map(|(code, level)| ((*code).to_owned(), *level))
        .collect()
}

#[tokio::test]
async fn an_admin_creates_lists_updates_and_assigns_a_job_role() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let ids = digcomp_ids(&app).await;

    // Create.
    let created = create_job_role(&app, &admin, caseworker(&ids, &ministry)).await;
    assert!(created.get("errors").is_none(), "{created}");
    let role = &created["data"]["createJobRole"];
    let role_id = role["id"].as_str().expect("id").to_owned();
    assert_eq!(role["name"], "Caseworker");
    assert_eq!(role["usesAiSystems"], true);
    assert_eq!(role["orgUnit"]["name"], MINISTRY);
    assert_eq!(
        codes_and_levels(role),
        pairs(&[("1.1", 4), ("2.3", 3), ("4.2", 5)]),
        "requirements come in the framework's order"
    );
    let admin_id = user_id(&app, &admin).await;
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "job_role.created");
    assert_eq!(actor.as_deref(), Some(admin_id.as_str()));
    assert_eq!(target.as_deref(), Some(role_id.as_str()));

    // List.
    let listed = job_roles(&app, &admin).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], role_id.as_str());
    assert_eq!(listed[0]["requirements"].as_array().map(Vec::len), Some(3));

    // Update: requirements are replaced; what is left out stays.
    let updated = update_job_role(
        &app,
        &admin,
        &role_id,
        json!({
            "name": "  Benefits caseworker ",
            "usesAiSystems": false,
            "requirements": [required(&ids, "5.4", 2), required(&ids, "1.1", 5)],
        }),
    )
    .await;
    assert!(updated.get("errors").is_none(), "{updated}");
    let role = &updated["data"]["updateJobRole"];
    assert_eq!(role["name"], "Benefits caseworker");
    assert_eq!(role["usesAiSystems"], false);
    assert_eq!(
        role["description"],
        "Decides on citizens' applications, increasingly with AI-assisted triage."
    );
    assert_eq!(codes_and_levels(role), pairs(&[("1.1", 5), ("5.4", 2)]));
    assert_eq!(app.count("job_role_requirements").await, 2);
    assert_eq!(app.latest_audit_event().await.0, "job_role.updated");

    // Assign to a learner, who then sees it as their own job role.
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;
    let assigned = assign(&app, &admin, &learner_id, Some(&role_id)).await;
    assert_eq!(
        assigned["data"]["assignJobRole"]["jobRole"]["name"], "Benefits caseworker",
        "{assigned}"
    );
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "user.job_role_set");
    assert_eq!(actor.as_deref(), Some(admin_id.as_str()));
    assert_eq!(target.as_deref(), Some(learner_id.as_str()));
    let me = app
        .gql(
            "{ me { jobRole { name usesAiSystems requirements { competence { code } level } } } }",
            json!({}),
            Some(&learner),
        )
        .await;
    let held = &me["data"]["me"]["jobRole"];
    assert_eq!(held["name"], "Benefits caseworker", "{me}");
    assert_eq!(codes_and_levels(held), pairs(&[("1.1", 5), ("5.4", 2)]));
    assert_eq!(
        job_role_names(&app, &learner).await,
        ["Benefits caseworker"]
    );

    // A null job role clears it.
    let cleared = assign(&app, &admin, &learner_id, None).await;
    assert!(
        cleared["data"]["assignJobRole"]["jobRole"].is_null(),
        "{cleared}"
    );
    assert_eq!(app.count("user_job_roles").await, 0);
}

#[tokio::test]
async fn required_levels_outside_the_framework_and_other_bad_input_are_refused() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let ids = digcomp_ids(&app).await;
    let archived = app
        .gql(
            "mutation($id: ID!) { archiveCompetence(competenceId: $id) { archived } }",
            json!({ "id": ids["4.4"] }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        archived["data"]["archiveCompetence"]["archived"], true,
        "{archived}"
    );
    let before = (
        app.count("job_roles").await,
        app.count("job_role_requirements").await,
    );
    let with_requirements = |requirements: Value| {
        let mut input = caseworker(&ids, &ministry);
        input["requirements"] = requirements;
        input
    };

    let cases = [
        (
            json!([required(&ids, "1.1", 9)]),
            "level 9 is outside the range 1 to 8 of DIGCOMP 2.2 (competence 1.1)",
        ),
        (
            json!([required(&ids, "2.1", 0)]),
            "outside the range 1 to 8",
        ),
        (
            json!([{ "competenceId": uuid::Uuid::new_v4().to_string(), "level": 3 }]),
            "does not exist",
        ),
        (
            json!([{ "competenceId": "not-an-id", "level": 3 }]),
            "not a valid id",
        ),
        (
            json!([required(&ids, "4.4", 3)]),
            "competence 4.4 is archived",
        ),
        (
            json!([required(&ids, "1.1", 3), required(&ids, "1.1", 4)]),
            "listed twice",
        ),
        (
            Value::Array(vec![required(&ids, "1.1", 3); 201]),
            "at most 200",
        ),
    ];
    for (requirements, message) in cases {
        let response = create_job_role(&app, &admin, with_requirements(requirements)).await;
        assert_error(&response, "BAD_USER_INPUT", Some("requirements"));
        assert!(error_message(&response).contains(message), "{response}");
    }

    let mut unnamed = caseworker(&ids, &ministry);
    unnamed["name"] = json!("   ");
    assert_error(
        &create_job_role(&app, &admin, unnamed).await,
        "BAD_USER_INPUT",
        Some("name"),
    );
    let mut rambling = caseworker(&ids, &ministry);
    rambling["description"] = json!("x".repeat(2001));
    assert_error(
        &create_job_role(&app, &admin, rambling).await,
        "BAD_USER_INPUT",
        Some("description"),
    );
    let mut malformed_unit = caseworker(&ids, &ministry);
    malformed_unit["orgUnitId"] = json!("nope");
    assert_error(
        &create_job_role(&app, &admin, malformed_unit).await,
        "BAD_USER_INPUT",
        Some("orgUnitId"),
    );
    assert_eq!(
        (
            app.count("job_roles").await,
            app.count("job_role_requirements").await
        ),
        before
    );

    // An update with a bad level leaves the job role as it was.
    let role_id = id_of(
        &create_job_role(&app, &admin, caseworker(&ids, &ministry)).await,
        "createJobRole",
    );
    let refused = update_job_role(
        &app,
        &admin,
        &role_id,
        json!({ "name": "Renamed", "requirements": [required(&ids, "3.1", 9)] }),
    )
    .await;
    assert_error(&refused, "BAD_USER_INPUT", Some("requirements"));
    let listed = job_roles(&app, &admin).await;
    assert_eq!(listed[0]["name"], "Caseworker");
    assert_eq!(
        codes_and_levels(&listed[0]),
        pairs(&[("1.1", 4), ("2.3", 3), ("4.2", 5)])
    );

    // A second job role of the same name in the same unit is a conflict, whatever its case.
    let mut again = caseworker(&ids, &ministry);
    again["name"] = json!("CASEWORKER");
    assert_error(
        &create_job_role(&app, &admin, again).await,
        "CONFLICT",
        Some("name"),
    );
    assert_eq!(app.count("job_roles").await, before.0 + 1);
}

/// Rows of every table a job role change writes to.
async fn counts(app: &TestApp) -> [i64; 4] {
    [
        app.count("job_roles").await,
        app.count("job_role_requirements").await,
        app.count("user_job_roles").await,
        app.count("audit_events").await,
    ]
}

#[tokio::test]
async fn learners_and_hr_cannot_create_update_or_assign_job_roles() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let ids = digcomp_ids(&app).await;
    let role_id = id_of(
        &create_job_role(&app, &admin, caseworker(&ids, &ministry)).await,
        "createJobRole",
    );
    let learner = app.login(LEARNER1, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;
    let before = counts(&app).await;

    for token in [&learner, &hr] {
        let mut input = caseworker(&ids, &ministry);
        input["name"] = json!("Rogue job");
        let created = create_job_role(&app, token, input).await;
        assert_error(&created, "FORBIDDEN", None);
        assert_eq!(error_message(&created), "this needs the ADMIN role");
        assert_error(
            &update_job_role(&app, token, &role_id, json!({ "name": "Hijacked" })).await,
            "FORBIDDEN",
            None,
        );
        assert_error(
            &assign(&app, token, &learner_id, Some(&role_id)).await,
            "FORBIDDEN",
            None,
        );
    }

    assert_eq!(counts(&app).await, before);
    assert_eq!(job_role_names(&app, &learner).await, ["Caseworker"]);
    let anonymous = app.gql("{ jobRoles { id } }", json!({}), None).await;
    assert_error(&anonymous, "UNAUTHENTICATED", None);
}

#[tokio::test]
async fn an_authority_admin_manages_and_assigns_job_roles_only_within_their_subtree() {
    let app = spawn_app().await;
    let platform = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&platform, MINISTRY).await;
    let citizen = app.org_unit_id(&platform, CITIZEN_SERVICES).await;
    let data_ai = app.org_unit_id(&platform, DATA_AND_AI).await;
    let region = create_unit(&app, &platform, "Region of Example", None).await;
    let policy_officer = simple_job_role(&app, &platform, "Policy officer", Some(&ministry)).await;
    let data_steward = simple_job_role(&app, &platform, "Data steward", Some(&data_ai)).await;
    let tax_inspector = simple_job_role(&app, &platform, "Tax inspector", Some(&region)).await;
    let public_servant = simple_job_role(&app, &platform, "Public servant", None).await;
    let learner1 = user_id(&app, &app.login(LEARNER1, PASSWORD).await).await;
    let learner2 = user_id(&app, &app.login(LEARNER2, PASSWORD).await).await;

    // A departmental administrator for Citizen Services only.
    let dept_admin = admin_at(&app, &platform, "dept-admin@agency.example", &citizen).await;
    let clerk = simple_job_role(&app, &dept_admin, "Front desk clerk", Some(&citizen)).await;
    let before = (
        app.count("job_roles").await,
        app.count("user_job_roles").await,
    );

    // Not creating at the ministry above, nor platform-wide; not changing the ministry's job role.
    for unit in [Some(ministry.as_str()), None] {
        let input = json!({ "name": "Outsider", "usesAiSystems": false, "orgUnitId": unit, "requirements": [] });
        assert_error(
            &create_job_role(&app, &dept_admin, input).await,
            "FORBIDDEN",
            None,
        );
    }
    assert_error(
        &update_job_role(
            &app,
            &dept_admin,
            &policy_officer,
            json!({ "name": "Mine" }),
        )
        .await,
        "FORBIDDEN",
        None,
    );
    // Not assigning to someone outside the subtree, even a job role that would apply.
    assert_error(
        &assign(&app, &dept_admin, &learner2, Some(&clerk)).await,
        "FORBIDDEN",
        None,
    );
    assert_error(
        &assign(&app, &dept_admin, &learner2, Some(&public_servant)).await,
        "FORBIDDEN",
        None,
    );
    // Not a job role for a sibling department: it does not apply to the user.
    let sibling = assign(&app, &dept_admin, &learner1, Some(&data_steward)).await;
    assert_error(&sibling, "BAD_USER_INPUT", Some("jobRoleId"));
    assert!(
        error_message(&sibling).contains(DATA_AND_AI),
        "the message says where the job role applies: {sibling}"
    );
    // Not a job role of another authority, which looks as if it did not exist.
    let foreign = assign(&app, &dept_admin, &learner1, Some(&tax_inspector)).await;
    assert_error(&foreign, "BAD_USER_INPUT", Some("jobRoleId"));
    assert!(
        error_message(&foreign).contains("does not exist"),
        "{foreign}"
    );
    assert!(!error_message(&foreign).contains("Region"), "{foreign}");
    // Nor can the platform administrator give it to someone it does not apply to.
    assert_error(
        &assign(&app, &platform, &learner1, Some(&tax_inspector)).await,
        "BAD_USER_INPUT",
        Some("jobRoleId"),
    );
    assert_eq!(
        (
            app.count("job_roles").await,
            app.count("user_job_roles").await
        ),
        before
    );

    // Within the subtree: the ministry's, the platform-wide and the department's own job roles.
    for role in [&policy_officer, &public_servant, &clerk] {
        let assigned = assign(&app, &dept_admin, &learner1, Some(role)).await;
        assert_eq!(
            assigned["data"]["assignJobRole"]["jobRole"]["id"],
            role.as_str(),
            "{assigned}"
        );
    }
    assert_eq!(app.count("user_job_roles").await, 1);
}

#[tokio::test]
async fn job_roles_of_another_authority_are_not_listed() {
    let app = spawn_app().await;
    let platform = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&platform, MINISTRY).await;
    let region = create_unit(&app, &platform, "Region of Example", None).await;
    let tax_office = create_unit(&app, &platform, "Tax Office", Some(&region)).await;
    simple_job_role(&app, &platform, "Caseworker", Some(&ministry)).await;
    simple_job_role(&app, &platform, "Tax inspector", Some(&tax_office)).await;
    simple_job_role(&app, &platform, "Public servant", None).await;
    let region_admin = admin_at(&app, &platform, "region-admin@agency.example", &region).await;

    assert_eq!(
        job_role_names(&app, &platform).await,
        ["Caseworker", "Public servant", "Tax inspector"]
    );
    for email in [LEARNER1, LEARNER2, HR] {
        let token = app.login(email, PASSWORD).await;
        assert_eq!(
            job_role_names(&app, &token).await,
            ["Caseworker", "Public servant"],
            "{email}"
        );
    }
    assert_eq!(
        job_role_names(&app, &region_admin).await,
        ["Public servant", "Tax inspector"]
    );
}

//! The people directory: `users` and `user` for HR and administrators, limited to the people
//! they cover, searchable regardless of case and accents on both engines.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, HR, LEARNER1, PASSWORD, TRAINER, TestApp, assert_error, spawn_app};

const USERS: &str = "query($first: Int, $after: String, $filter: UserFilter) {
    users(first: $first, after: $after, filter: $filter) {
        edges { cursor node { id displayName email status } }
        pageInfo { hasNextPage endCursor }
    }
}";

fn names(response: &Value) -> Vec<String> {
    response["users"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            edge["node"]["displayName"]
                .as_str()
                .expect("name")
                .to_owned()
        })
        .collect()
}

async fn create_named(app: &TestApp, admin: &str, unit: &str, email: &str, name: &str) -> String {
    let response = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": {
                "email": email, "displayName": name, "password": "a long enough password",
                "orgUnitId": unit,
            }}),
            Some(admin),
        )
        .await;
    response["data"]["createUser"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createUser failed: {response}"))
        .to_owned()
}

#[tokio::test]
async fn hr_finds_people_by_name_or_email_ignoring_case_and_accents() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    create_named(
        &app,
        &admin,
        &unit,
        "ana.dj@demo.govskills.test",
        "Ana Đorđević",
    )
    .await;
    create_named(
        &app,
        &admin,
        &unit,
        "zoe.m@demo.govskills.test",
        "Zoë Müller",
    )
    .await;
    create_named(
        &app,
        &admin,
        &unit,
        "eleni@demo.govskills.test",
        "Ελένη Παπαδοπούλου",
    )
    .await;

    for (search, expected) in [
        ("dordevic", "Ana Đorđević"),
        ("ĐORĐEVIĆ", "Ana Đorđević"),
        ("MULLER", "Zoë Müller"),
        ("zoe.m@", "Zoë Müller"),
        ("ελενη", "Ελένη Παπαδοπούλου"),
    ] {
        let found = app
            .ok(USERS, json!({ "filter": { "search": search } }), &hr)
            .await;
        assert_eq!(names(&found), [expected], "{search}: {found}");
    }
}

#[tokio::test]
async fn the_directory_filters_by_unit_job_role_role_and_status() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;

    // The five demo accounts and the five colleagues of Lena's in the demo's e-permit rollout.
    let everyone = app.ok(USERS, json!({}), &hr).await;
    assert_eq!(
        names(&everyone),
        [
            "Ada Admin",
            "Carla Caseworker",
            "Hanna HR",
            "Ines Intake",
            "Lena Learner",
            "Luis Learner",
            "Omar Officer",
            "Petra Permits",
            "Sven Service",
            "Tomas Trainer"
        ]
    );
    let own_staff = app
        .ok(
            USERS,
            json!({ "filter": { "orgUnitId": ministry, "includeSubunits": false } }),
            &hr,
        )
        .await;
    assert_eq!(names(&own_staff), ["Ada Admin", "Hanna HR"]);
    let trainers = app
        .ok(USERS, json!({ "filter": { "role": "TRAINER" } }), &hr)
        .await;
    assert_eq!(names(&trainers), ["Tomas Trainer"]);
    let learners = app
        .ok(USERS, json!({ "filter": { "role": "LEARNER" } }), &hr)
        .await;
    assert_eq!(names(&learners).len(), 10);
    let job_roles = app.ok("{ jobRoles { id name } }", json!({}), &admin).await;
    let caseworker = job_roles["jobRoles"]
        .as_array()
        .expect("job roles")
        .iter()
        .find(|role| role["name"] == "Caseworker (demo)")
        .expect("the demo caseworker")["id"]
        .clone();
    let caseworkers = app
        .ok(USERS, json!({ "filter": { "jobRoleId": caseworker } }), &hr)
        .await;
    assert_eq!(names(&caseworkers), ["Lena Learner"]);

    let learner = app.me(&app.login(LEARNER1, PASSWORD).await).await["id"].clone();
    app.ok(
        "mutation($id: ID!) { updateUser(userId: $id, input: { status: DISABLED }) { id } }",
        json!({ "id": learner }),
        &admin,
    )
    .await;
    let disabled = app
        .ok(USERS, json!({ "filter": { "status": "DISABLED" } }), &hr)
        .await;
    assert_eq!(names(&disabled), ["Lena Learner"]);
}

#[tokio::test]
async fn people_outside_ones_units_are_neither_listed_nor_found() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let other = app.create_authority(&admin, "Other authority").await;
    let outsider = create_named(&app, &admin, &other, "out@other.test", "Otto Outsider").await;

    for email in [LEARNER1, TRAINER] {
        let token = app.login(email, PASSWORD).await;
        assert_error(
            &app.gql(USERS, json!({}), Some(&token)).await,
            "FORBIDDEN",
            None,
        );
    }
    let listed = app.ok(USERS, json!({}), &hr).await;
    assert!(!names(&listed).contains(&"Otto Outsider".to_owned()));
    let in_other = app
        .ok(USERS, json!({ "filter": { "orgUnitId": other } }), &hr)
        .await;
    assert_eq!(names(&in_other), Vec::<String>::new());
    let found = app
        .ok(
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": outsider }),
            &hr,
        )
        .await;
    assert!(found["user"].is_null(), "{found}");

    // The platform administrator sees everyone.
    let found = app
        .ok(
            "query($id: ID!) { user(id: $id) { displayName } }",
            json!({ "id": outsider }),
            &admin,
        )
        .await;
    assert_eq!(found["user"]["displayName"], "Otto Outsider");
}

#[tokio::test]
async fn the_directory_pages_in_name_order_at_the_same_cost_for_5_and_20_people() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app.org_unit_id(&admin, "Department of Data and AI").await;
    for i in 0..20 {
        create_named(
            &app,
            &admin,
            &unit,
            &format!("p{i}@demo.govskills.test"),
            &format!("Person {i:02}"),
        )
        .await;
    }
    let filter = json!({ "search": "person" });
    let first = app
        .ok(USERS, json!({ "first": 15, "filter": filter }), &admin)
        .await;
    assert_eq!(names(&first).len(), 15);
    assert_eq!(names(&first)[0], "Person 00");
    let after = first["users"]["pageInfo"]["endCursor"].clone();
    let rest = app
        .ok(
            USERS,
            json!({ "first": 15, "after": after, "filter": filter }),
            &admin,
        )
        .await;
    assert_eq!(
        names(&rest),
        [
            "Person 15",
            "Person 16",
            "Person 17",
            "Person 18",
            "Person 19"
        ]
    );
    assert_eq!(rest["users"]["pageInfo"]["hasNextPage"], false);

    let five = app
        .statements_for(USERS, json!({ "first": 5, "filter": filter }), &admin)
        .await;
    let twenty = app
        .statements_for(USERS, json!({ "first": 20, "filter": filter }), &admin)
        .await;
    assert_eq!(five, twenty);
}

#[tokio::test]
async fn malformed_directory_arguments_are_bad_input() {
    let app = spawn_app().await;
    let hr = app.login(HR, PASSWORD).await;
    for (variables, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "not a cursor" }), "after"),
        (json!({ "filter": { "orgUnitId": "x" } }), "orgUnitId"),
        (
            json!({ "filter": { "orgUnitId": "00000000-0000-0000-0000-000000000000" } }),
            "orgUnitId",
        ),
        (json!({ "filter": { "jobRoleId": "x" } }), "jobRoleId"),
    ] {
        let response = app.gql(USERS, variables.clone(), Some(&hr)).await;
        assert_error(&response, "BAD_USER_INPUT", Some(field));
    }
    let response = app
        .gql("{ user(id: \"nonsense\") { id } }", json!({}), Some(&hr))
        .await;
    assert_error(&response, "BAD_USER_INPUT", Some("id"));
}

//! The organisation tree: creating, listing and moving units, within each admin's scope.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, LEARNER1, LEARNER2, PASSWORD, TestApp, assert_error, spawn_app};

async fn create_unit(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> Value {
    app.gql(
        "mutation($input: CreateOrgUnitInput!) {
            createOrgUnit(input: $input) { id name depth parent { id } }
        }",
        json!({ "input": { "name": name, "parentId": parent } }),
        Some(token),
    )
    .await
}

fn id_of(response: &Value, field: &str) -> String {
    response["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {response}"))
        .to_owned()
}

#[tokio::test]
async fn a_platform_admin_builds_a_new_authority_that_other_authorities_do_not_see() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;

    let region = create_unit(&app, &admin, "Region of Example", None).await;
    let region_id = id_of(&region, "createOrgUnit");
    assert_eq!(region["data"]["createOrgUnit"]["depth"], 0);
    let office = create_unit(&app, &admin, "Tax Office", Some(&region_id)).await;
    assert_eq!(
        office["data"]["createOrgUnit"]["parent"]["id"],
        region_id.as_str()
    );
    assert_eq!(office["data"]["createOrgUnit"]["depth"], 1);

    let everything = app
        .gql("{ orgUnits { name } }", json!({}), Some(&admin))
        .await;
    assert_eq!(
        everything["data"]["orgUnits"].as_array().map(Vec::len),
        Some(5)
    );

    // A learner of the demo ministry sees their own authority's three units only.
    let learner = app.login(LEARNER1, PASSWORD).await;
    let seen = app
        .gql("{ orgUnits { name } }", json!({}), Some(&learner))
        .await;
    let names: Vec<&str> = seen["data"]["orgUnits"]
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|unit| unit["name"].as_str())
        .collect();
    assert_eq!(names.len(), 3, "{seen}");
    assert!(!names.contains(&"Region of Example") && !names.contains(&"Tax Office"));
}

#[tokio::test]
async fn only_platform_admins_create_authorities_and_names_are_unique_among_siblings() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let learner = app.login(LEARNER2, PASSWORD).await;
    let units = app.count("org_units").await;

    assert_error(
        &create_unit(&app, &learner, "Rogue", None).await,
        "FORBIDDEN",
        None,
    );
    assert_error(
        &create_unit(&app, &learner, "Rogue", Some(&ministry)).await,
        "FORBIDDEN",
        None,
    );
    assert_error(
        &create_unit(
            &app,
            &admin,
            "department of citizen services",
            Some(&ministry),
        )
        .await,
        "CONFLICT",
        Some("name"),
    );
    assert_error(
        &create_unit(&app, &admin, "   ", Some(&ministry)).await,
        "BAD_USER_INPUT",
        Some("name"),
    );
    assert_error(
        &create_unit(&app, &admin, "Orphan", Some("nope")).await,
        "BAD_USER_INPUT",
        Some("parentId"),
    );
    assert_error(
        &create_unit(
            &app,
            &admin,
            "Orphan",
            Some(&uuid::Uuid::new_v4().to_string()),
        )
        .await,
        "NOT_FOUND",
        None,
    );
    assert_eq!(app.count("org_units").await, units);
}

#[tokio::test]
async fn moving_a_unit_carries_its_subtree_and_stays_inside_the_admins_scope() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let citizen = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let data_ai = app.org_unit_id(&admin, "Department of Data and AI").await;
    let team = id_of(
        &create_unit(&app, &admin, "Front Desk", Some(&citizen)).await,
        "createOrgUnit",
    );
    let desk = id_of(
        &create_unit(&app, &admin, "Desk 1", Some(&team)).await,
        "createOrgUnit",
    );
    let move_unit = |id: String, to: String, token: String| {
        let app = &app;
        async move {
            app.gql(
                "mutation($id: ID!, $to: ID!) { moveOrgUnit(id: $id, newParentId: $to) { id depth parent { id } } }",
                json!({ "id": id, "to": to }),
                Some(&token),
            )
            .await
        }
    };

    // Into its own subtree: refused.
    assert_error(
        &move_unit(team.clone(), desk.clone(), admin.clone()).await,
        "BAD_USER_INPUT",
        Some("newParentId"),
    );

    let moved = move_unit(team.clone(), data_ai.clone(), admin.clone()).await;
    assert_eq!(
        moved["data"]["moveOrgUnit"]["parent"]["id"],
        data_ai.as_str(),
        "{moved}"
    );

    // The desk came along, one level deeper than its new grandparent.
    let tree = app
        .gql(
            "{ orgUnits { id depth parent { id parent { id } } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let desk_row = tree["data"]["orgUnits"]
        .as_array()
        .expect("units")
        .iter()
        .find(|unit| unit["id"] == desk.as_str())
        .expect("desk listed")
        .clone();
    assert_eq!(desk_row["parent"]["parent"]["id"], data_ai.as_str());
    assert_eq!(desk_row["depth"], 3);

    // An administrator of Data and AI only cannot move the team out to Citizen Services.
    let dept_admin_id = app
        .create_user(&admin, "data-admin@agency.example", &data_ai)
        .await;
    app.gql(
        "mutation($id: ID!, $unit: ID!) { setUserRoles(userId: $id, grants: [{ role: ADMIN, orgUnitId: $unit }]) { id } }",
        json!({ "id": dept_admin_id, "unit": data_ai }),
        Some(&admin),
    )
    .await;
    let dept_admin = app
        .login("data-admin@agency.example", "a long enough password")
        .await;
    // The moved subtree's paths are rewritten, so it lies under Data and AI for everything
    // that reads the tree by path (here the department administrator's own units).
    let own = app.ok("{ orgUnits { id } }", json!({}), &dept_admin).await;
    let own: Vec<&str> = own["orgUnits"]
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|unit| unit["id"].as_str())
        .collect();
    assert!(
        own.contains(&team.as_str()) && own.contains(&desk.as_str()),
        "the moved units lie under their new parent: {own:?}"
    );
    assert_error(
        &move_unit(team.clone(), citizen.clone(), dept_admin).await,
        "FORBIDDEN",
        None,
    );
    let after = app
        .gql("{ orgUnits { id parent { id } } }", json!({}), Some(&admin))
        .await;
    let team_row = after["data"]["orgUnits"]
        .as_array()
        .expect("units")
        .iter()
        .find(|unit| unit["id"] == team.as_str())
        .expect("team listed")
        .clone();
    assert_eq!(team_row["parent"]["id"], data_ai.as_str(), "nothing moved");
}

#[tokio::test]
async fn org_units_need_a_signed_in_user() {
    let app = spawn_app().await;
    assert_error(
        &app.gql("{ orgUnits { id } }", json!({}), None).await,
        "UNAUTHENTICATED",
        None,
    );
}

//! Competence frameworks: DigComp 2.2 as shipped, adding a framework, archiving a competence.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, HR, PASSWORD, TestApp, assert_error, error_message, spawn_app};

const FRAMEWORKS: &str = "{ frameworks { id code version name levelCount
    levels { level name band }
    areas { code name competences { id code name archived } } } }";

async fn frameworks(app: &TestApp) -> Value {
    let response = app.gql(FRAMEWORKS, json!({}), None).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["frameworks"].clone()
}

fn digcomp(frameworks: &Value) -> &Value {
    frameworks
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|f| f["code"] == "DIGCOMP" && f["version"] == "2.2")
        })
        .expect("DigComp 2.2 is built in")
}

#[tokio::test]
async fn digcomp_2_2_ships_with_its_areas_competences_and_levels() {
    let app = spawn_app().await;
    let all = frameworks(&app).await;
    let digcomp = digcomp(&all);

    let areas = digcomp["areas"].as_array().expect("areas");
    let area_names: Vec<&str> = areas.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(
        area_names,
        [
            "Information and data literacy",
            "Communication and collaboration",
            "Digital content creation",
            "Safety",
            "Problem solving"
        ]
    );
    let competences: Vec<(&str, &str)> = areas
        .iter()
        .flat_map(|a| a["competences"].as_array().expect("competences"))
        .map(|c| {
            (
                c["code"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(competences.len(), 21);
    for expected in [
        (
            "1.1",
            "Browsing, searching and filtering data, information and digital content",
        ),
        (
            "2.3",
            "Engaging in citizenship through digital technologies",
        ),
        ("2.5", "Netiquette"),
        ("3.3", "Copyright and licences"),
        ("4.2", "Protecting personal data and privacy"),
        ("5.4", "Identifying digital competence gaps"),
    ] {
        assert!(competences.contains(&expected), "{expected:?} missing");
    }
    let counts: Vec<usize> = areas
        .iter()
        .map(|a| a["competences"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(counts, [3, 6, 4, 4, 4]);

    assert_eq!(digcomp["levelCount"], 8);
    let levels = digcomp["levels"].as_array().expect("levels");
    let bands: Vec<(i64, &str)> = levels
        .iter()
        .map(|l| {
            (
                l["level"].as_i64().unwrap_or(0),
                l["band"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        bands,
        [
            (1, "Foundation"),
            (2, "Foundation"),
            (3, "Intermediate"),
            (4, "Intermediate"),
            (5, "Advanced"),
            (6, "Advanced"),
            (7, "Highly specialised"),
            (8, "Highly specialised")
        ]
    );
}

fn ai_literacy() -> Value {
    json!({
        "code": "ai-lit",
        "version": "1.0",
        "name": "AI literacy for public servants",
        "levelCount": 4,
        "levels": [
            { "name": "Aware", "band": "Basic" },
            { "name": "User", "band": "Basic" },
            { "name": "Critical user", "band": "Advanced" },
            { "name": "Steward", "band": "Advanced" }
        ],
        "areas": [
            { "code": "A", "name": "Understanding AI", "competences": [
                { "code": "A.1", "name": "Knowing what AI systems can and cannot do" },
                { "code": "A.2", "name": "Recognising AI-generated content" }
            ]},
            { "code": "B", "name": "Using AI responsibly", "competences": [
                { "code": "B.1", "name": "Checking AI output before acting on it" }
            ]}
        ]
    })
}

async fn create_framework(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        "mutation($input: CreateFrameworkInput!) {
            createFramework(input: $input) { id code version levelCount
                levels { level name } areas { code competences { code } } }
        }",
        json!({ "input": input }),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_platform_admin_adds_an_ai_literacy_framework() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;

    let response = create_framework(&app, &admin, ai_literacy()).await;

    assert!(response.get("errors").is_none(), "{response}");
    let created = &response["data"]["createFramework"];
    assert_eq!(created["code"], "AI-LIT");
    assert_eq!(
        created["levels"][3],
        json!({ "level": 4, "name": "Steward" })
    );
    assert_eq!(created["areas"][1]["competences"][0]["code"], "B.1");
    assert_eq!(frameworks(&app).await.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn framework_input_mistakes_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let before = (
        app.count("competence_frameworks").await,
        app.count("competences").await,
    );

    let mut wrong_levels = ai_literacy();
    wrong_levels["levelCount"] = json!(5);
    assert_error(
        &create_framework(&app, &admin, wrong_levels).await,
        "BAD_USER_INPUT",
        Some("levels"),
    );

    let mut too_many = ai_literacy();
    too_many["levelCount"] = json!(21);
    too_many["levels"] = json!([]);
    assert_error(
        &create_framework(&app, &admin, too_many).await,
        "BAD_USER_INPUT",
        Some("levelCount"),
    );

    let mut twice = ai_literacy();
    twice["areas"][1]["competences"][0]["code"] = json!("A.1");
    let response = create_framework(&app, &admin, twice).await;
    assert_error(&response, "BAD_USER_INPUT", Some("areas"));
    assert!(error_message(&response).contains("A.1"), "{response}");

    let mut no_areas = ai_literacy();
    no_areas["areas"] = json!([]);
    assert_error(
        &create_framework(&app, &admin, no_areas).await,
        "BAD_USER_INPUT",
        Some("areas"),
    );

    let mut digcomp_again = ai_literacy();
    digcomp_again["code"] = json!("digcomp");
    digcomp_again["version"] = json!("2.2");
    assert_error(
        &create_framework(&app, &admin, digcomp_again).await,
        "CONFLICT",
        Some("code"),
    );

    assert_eq!(
        (
            app.count("competence_frameworks").await,
            app.count("competences").await
        ),
        before
    );
}

#[tokio::test]
async fn only_platform_admins_add_frameworks_or_archive_competences() {
    let app = spawn_app().await;
    let hr = app.login(HR, PASSWORD).await;
    let competence = digcomp(&frameworks(&app).await)["areas"][0]["competences"][0]["id"].clone();
    let before = app.count("competence_frameworks").await;

    assert_error(
        &create_framework(&app, &hr, ai_literacy()).await,
        "FORBIDDEN",
        None,
    );
    let archive = app
        .gql(
            "mutation($id: ID!) { archiveCompetence(competenceId: $id) { archived } }",
            json!({ "id": competence }),
            Some(&hr),
        )
        .await;
    assert_error(&archive, "FORBIDDEN", None);

    assert_eq!(app.count("competence_frameworks").await, before);
    assert_eq!(
        digcomp(&frameworks(&app).await)["areas"][0]["competences"][0]["archived"],
        false
    );
}

#[tokio::test]
async fn an_archived_competence_stays_listed_and_flagged() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let competence = digcomp(&frameworks(&app).await)["areas"][3]["competences"][3]["id"].clone();

    let archived = app
        .gql(
            "mutation($id: ID!) { archiveCompetence(competenceId: $id) { code archived } }",
            json!({ "id": competence }),
            Some(&admin),
        )
        .await;

    assert_eq!(
        archived["data"]["archiveCompetence"],
        json!({ "code": "4.4", "archived": true }),
        "{archived}"
    );
    let listed = digcomp(&frameworks(&app).await)["areas"][3]["competences"][3].clone();
    assert_eq!(listed["archived"], true);
    assert_eq!(app.count("competences").await, 21);
}

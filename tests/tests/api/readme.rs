//! The README's walk-throughs, run against a server with the demo loaded as `serve --demo`
//! loads it. Every operation of every ```graphql block runs as the account its walk-through
//! signs in with, the placeholders (`MINISTRY-ID`, `COURSE-ID`, ...) replaced by the ids a reader
//! looks up on the way, and must succeed: the walk-throughs cannot drift from the product.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{ADMIN, LEARNER1, PASSWORD, TestApp, digcomp, spawn_app};

/// A fenced GraphQL block and the walk-through it stands in.
struct Block {
    /// The walk-through's heading and text, up to the block.
    section: String,
    graphql: String,
}

fn readme_blocks() -> Vec<Block> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md is readable");
    let mut blocks = Vec::new();
    let mut section = String::new();
    let mut graphql: Option<String> = None;
    for line in readme.lines() {
        match &mut graphql {
            Some(block) if line.trim_start().starts_with("```") => {
                blocks.push(Block {
                    section: section.clone(),
                    graphql: std::mem::take(block),
                });
                graphql = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None if line.trim_start().starts_with("```graphql") => graphql = Some(String::new()),
            None => {
                if line.starts_with('#') {
                    section.clear();
                }
                section.push_str(line);
                section.push('\n');
            }
        }
    }
    blocks
}

/// The operations of a block, one per top-level `{ ... }` (with its `query`/`mutation` prefix).
fn operations(block: &str) -> Vec<String> {
    let mut operations = Vec::new();
    let mut current = String::new();
    let mut depth = 0_i32;
    for line in block.lines() {
        // A `#` outside a string starts a comment; the README's strings hold none.
        let line = line.split('#').next().unwrap_or_default();
        for c in line.chars() {
            current.push(c);
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        operations.push(current.trim().to_owned());
                        current.clear();
                    }
                }
                _ => {}
            }
        }
        current.push('\n');
    }
    operations
}

/// The account a block runs as: the last "sign in as `EMAIL`" of its walk-through before it.
fn account(section: &str) -> String {
    let lower = section.to_lowercase();
    if let Some(start) = lower.rfind("sign in as `") {
        let rest = &section[start + "sign in as `".len()..];
        return rest[..rest.find('`').expect("closing backtick")].to_owned();
    }
    if lower.contains("demo admin") {
        return ADMIN.to_owned();
    }
    panic!("the walk-through does not say whom to sign in as:\n{section}");
}

/// The ids a reader looks up before the blocks that need them.
async fn placeholders(app: &TestApp) -> HashMap<&'static str, String> {
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let course = app
        .ok(
            "{ courses(filter: { search: \"Checking information\" }) { nodes { id modules { lessons { id kind } } } } }",
            json!({}),
            &learner,
        )
        .await;
    let course = &course["courses"]["nodes"][0];
    let lesson = course["modules"][0]["lessons"]
        .as_array()
        .expect("lessons")
        .iter()
        .find(|lesson| lesson["kind"] == "TEXT")
        .expect("a text lesson");
    let assessments = app
        .ok("{ assessments { id title } }", json!({}), &learner)
        .await;
    let placement = assessments["assessments"]
        .as_array()
        .expect("assessments")
        .iter()
        .find(|a| a["title"] == govskills_domain::demo::PLACEMENT_TEST_TITLE)
        .expect("the placement test");
    let citizen_services = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    HashMap::from([
        (
            "MINISTRY-ID",
            app.org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
                .await,
        ),
        (
            "PASTE-THE-UNIT-ID-HERE",
            app.org_unit_id(&admin, "Department of Citizen Services")
                .await,
        ),
        ("CITIZEN-SERVICES-ID", citizen_services.clone()),
        ("ROLLOUT-ID", {
            let rollouts = app
                .ok(
                    "query($unit: ID!) { rollouts(orgUnitId: $unit) { id } }",
                    json!({ "unit": citizen_services }),
                    &admin,
                )
                .await;
            text(&rollouts["rollouts"][0]["id"])
        }),
        ("COMPETENCE-ID", digcomp(app, "4.2").await),
        (
            "USER-ID",
            text(&app.me(&app.login(LEARNER1, PASSWORD).await).await["id"]),
        ),
        ("COURSE-ID", text(&course["id"])),
        ("LESSON-ID", text(&lesson["id"])),
        ("ASSESSMENT-ID", text(&placement["id"])),
    ])
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

#[tokio::test]
async fn every_graphql_example_in_the_readme_runs_against_the_demo() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let mut ids = placeholders(&app).await;
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut ran = 0;

    for block in readme_blocks() {
        let email = account(&block.section);
        if !tokens.contains_key(&email) {
            let token = app.login(&email, PASSWORD).await;
            tokens.insert(email.clone(), token);
        }
        let token = &tokens[&email];
        for operation in operations(&block.graphql) {
            let mut query = operation.clone();
            for (placeholder, id) in &ids {
                query = query.replace(&format!("\"{placeholder}\""), &format!("\"{id}\""));
            }
            assert!(
                !query.contains("-ID\""),
                "a placeholder the test does not know in:\n{query}"
            );
            let response = app.gql(&query, json!({}), Some(token)).await;
            assert!(
                response.get("errors").is_none(),
                "README example failed as {email}:\n{query}\n{response}"
            );
            ran += 1;
            // The placement test's attempt, as the reader takes it from the answer.
            if let Some(attempt) = response["data"].get("startAttempt") {
                let question = attempt["questions"]
                    .as_array()
                    .expect("questions")
                    .iter()
                    .find(|q| !q["options"].as_array().is_none_or(Vec::is_empty))
                    .expect("a question with options");
                ids.insert("ATTEMPT-ID", text(&attempt["id"]));
                ids.insert("QUESTION-ID", text(&question["id"]));
                ids.insert("OPTION-ID", text(&question["options"][0]["id"]));
            }
        }
    }
    // Every walk-through: the login, the org units, createUser, createCourse, the placement
    // test's three steps, the HR reports, the certificate's four.
    assert!(ran >= 12, "only {ran} README operations ran");
}

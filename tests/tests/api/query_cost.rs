//! The query cost limit: lists count once per item they may hold (`first` of a connection, a
//! fixed size for lists without paging), so a short query cannot ask for a huge answer.

use serde_json::json;

use crate::{
    helpers::{LEARNER1, PASSWORD, TRAINER, assert_error, error_message, spawn_app},
    learning::published_course,
};

/// The catalogue page the web client and the bench ask for
/// (`/work/shared/perf/catalogue.govskills.graphql` and `govskills-bench`'s catalogue journey).
const CATALOGUE: &str = "query Catalogue {
  courses(first: 20) { edges { node {
    id title language
    owner { displayName }
    competenceTargets { targetLevel competence { code name area { name } } }
    modules { title lessons { title kind estimatedMinutes } }
  } } }
}";

const BENCH_CATALOGUE: &str = "query Catalogue { courses(first: 20) { edges { node {
  id title totalMinutes owner { displayName }
  competenceTargets { targetLevel competence { code name area { name } } }
  modules { title lessons { title kind html estimatedMinutes } } } } } }";

#[tokio::test]
async fn nested_lists_with_a_large_first_are_refused_for_their_complexity() {
    let app = spawn_app().await;
    let learner = app.login(LEARNER1, PASSWORD).await;

    let response = app
        .gql(
            &CATALOGUE.replace("first: 20", "first: 100"),
            json!({}),
            Some(&learner),
        )
        .await;

    assert_error(&response, "BAD_USER_INPUT", None);
    let message = error_message(&response);
    assert!(
        message.contains("complexity") && message.contains("30000"),
        "{response}"
    );
    assert!(message.contains("`first`"), "{response}");
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn two_thousand_fields_over_a_page_of_a_hundred_are_refused() {
    let app = spawn_app().await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    // About 20 KB and 2,000 fields: within the old limit of 2,000 fields, yet an answer of
    // 200,000 values once the page is full.
    let aliases: String = (0..1_990).map(|i| format!("t{i}: title ")).collect();

    let response = app
        .gql(
            &format!("{{ courses(first: 100) {{ edges {{ node {{ {aliases} }} }} }} }}"),
            json!({}),
            Some(&learner),
        )
        .await;

    assert_error(&response, "BAD_USER_INPUT", None);
    assert!(
        error_message(&response).contains("complexity"),
        "{response}"
    );
    assert!(response["data"].is_null(), "{response}");
}

#[tokio::test]
async fn the_catalogue_page_of_the_client_and_the_bench_still_passes() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    for i in 0..3 {
        published_course(&app, &trainer, &format!("Course {i}"), 3).await;
    }

    for query in [CATALOGUE, BENCH_CATALOGUE] {
        let response = app.gql(query, json!({}), Some(&learner)).await;

        assert!(response.get("errors").is_none(), "{response}");
        let courses = response["data"]["courses"]["edges"]
            .as_array()
            .expect("a page of courses");
        assert_eq!(courses.len(), 3, "{response}");
        assert!(
            courses[0]["node"]["modules"][0]["lessons"][0]["title"].is_string(),
            "{response}"
        );
    }
}

//! The by-id lookups (`course`, `enrollment`, `attempt`, `assessment`, `question`): a malformed id
//! is a client bug and says so; a well-formed id of nothing you may see is `null`.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TRAINER, assert_error, error_message, spawn_app};

/// Every query that looks one row up by `id` and answers `null` when there is none.
const LOOKUPS: [&str; 5] = ["course", "enrollment", "attempt", "assessment", "question"];

#[tokio::test]
async fn a_malformed_id_in_a_by_id_lookup_is_bad_user_input_naming_the_argument() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;

    for lookup in LOOKUPS {
        for malformed in ["not-a-uuid", "", "12345"] {
            let response = app
                .gql(
                    &format!("query($id: ID!) {{ {lookup}(id: $id) {{ id }} }}"),
                    json!({ "id": malformed }),
                    Some(&trainer),
                )
                .await;

            assert_error(&response, "BAD_USER_INPUT", Some("id"));
            assert_eq!(
                error_message(&response),
                "id is not a valid id",
                "{lookup}: {response}"
            );
            assert_eq!(response["errors"][0]["path"], json!([lookup]), "{response}");
            assert!(response["data"][lookup].is_null(), "{response}");
        }
    }
}

#[tokio::test]
async fn a_well_formed_unknown_id_in_a_by_id_lookup_is_still_null_without_an_error() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;

    for lookup in LOOKUPS {
        let response = app
            .gql(
                &format!("query($id: ID!) {{ {lookup}(id: $id) {{ id }} }}"),
                json!({ "id": Uuid::new_v4().to_string() }),
                Some(&trainer),
            )
            .await;

        assert!(response.get("errors").is_none(), "{lookup}: {response}");
        assert!(response["data"][lookup].is_null(), "{response}");
    }
}

#[tokio::test]
async fn a_malformed_id_is_refused_only_after_the_caller_is_known() {
    let app = spawn_app().await;

    // Signed out, the answer is about signing in, whatever the id looks like.
    for lookup in LOOKUPS {
        let response = app
            .gql(
                &format!("query($id: ID!) {{ {lookup}(id: $id) {{ id }} }}"),
                json!({ "id": "not-a-uuid" }),
                None,
            )
            .await;

        assert_error(&response, "UNAUTHENTICATED", None);
    }
}

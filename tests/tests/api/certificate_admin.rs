//! The certificate administration list: an administrator finds the certificates of the people
//! they cover, by template, holder and status, and revokes one without asking its holder.

use serde_json::{Value, json};

use crate::{
    certificates::{complete, enroll, template},
    helpers::{
        ADMIN, LEARNER1, PASSWORD, TRAINER, TestApp, assert_error, error_message, spawn_app,
    },
    learning::published_course,
};

const LIST: &str = "query($first: Int, $after: String, $filter: CertificateFilter) {
    certificates(first: $first, after: $after, filter: $filter) {
        edges { cursor node { id status holderName holder { id displayName }
            template { id title } } }
        pageInfo { hasNextPage endCursor }
    }
}";

/// learner1 holding `count` certificates (one per template over one course): (admin token,
/// learner1's id, the template ids).
async fn certified_many(app: &TestApp, count: usize) -> (String, String, Vec<String>) {
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (course, lessons) = published_course(app, &trainer, "AI at work", 1).await;
    let mut templates = Vec::new();
    for _ in 0..count {
        templates.push(template(app, &admin, &[&course], None).await);
    }
    enroll(app, &learner, &course).await;
    complete(app, &learner, &lessons[0]).await;
    let learner_id = app.me(&learner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    (admin, learner_id, templates)
}

fn nodes(response: &Value) -> Vec<Value> {
    response["certificates"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test]
async fn an_administrator_finds_a_certificate_and_revokes_it_without_asking_the_holder() {
    let app = spawn_app().await;
    let (admin, learner_id, templates) = certified_many(&app, 2).await;

    let all = app.ok(LIST, json!({}), &admin).await;
    assert_eq!(nodes(&all).len(), 2, "{all}");
    let mine = app
        .ok(
            LIST,
            json!({ "filter": { "holderId": learner_id, "templateId": templates[0] } }),
            &admin,
        )
        .await;
    let found = nodes(&mine);
    assert_eq!(found.len(), 1, "{mine}");
    assert_eq!(found[0]["holderName"], "Lena Learner");
    assert_eq!(found[0]["holder"]["id"], json!(learner_id));
    assert_eq!(found[0]["template"]["id"], json!(templates[0]));
    assert_eq!(found[0]["status"], "VALID");

    app.ok(
        "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"issued in error\") { status } }",
        json!({ "id": found[0]["id"] }),
        &admin,
    )
    .await;
    let revoked = app
        .ok(LIST, json!({ "filter": { "status": "REVOKED" } }), &admin)
        .await;
    assert_eq!(nodes(&revoked).len(), 1);
    assert_eq!(nodes(&revoked)[0]["id"], found[0]["id"]);
    let valid = app
        .ok(LIST, json!({ "filter": { "status": "VALID" } }), &admin)
        .await;
    assert_eq!(nodes(&valid).len(), 1);
    assert_ne!(nodes(&valid)[0]["id"], found[0]["id"]);
}

#[tokio::test]
async fn the_list_pages_newest_first_at_the_same_cost_for_5_and_20_certificates() {
    let app = spawn_app().await;
    let (admin, _, _) = certified_many(&app, 20).await;

    let first = app.ok(LIST, json!({ "first": 15 }), &admin).await;
    assert_eq!(nodes(&first).len(), 15);
    assert_eq!(first["certificates"]["pageInfo"]["hasNextPage"], true);
    let after = first["certificates"]["pageInfo"]["endCursor"].clone();
    let rest = app
        .ok(LIST, json!({ "first": 15, "after": after }), &admin)
        .await;
    assert_eq!(nodes(&rest).len(), 5);
    assert_eq!(rest["certificates"]["pageInfo"]["hasNextPage"], false);
    let ids: Vec<Value> = nodes(&first)
        .into_iter()
        .chain(nodes(&rest))
        .map(|node| node["id"].clone())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.as_str().cmp(&a.as_str()));
    assert_eq!(ids, sorted, "newest (largest UUIDv7) first");

    let five = app
        .statements_for(LIST, json!({ "first": 5 }), &admin)
        .await;
    let twenty = app
        .statements_for(LIST, json!({ "first": 20 }), &admin)
        .await;
    assert_eq!(five, twenty);
}

#[tokio::test]
async fn only_administrators_list_certificates_and_only_of_people_they_cover() {
    let app = spawn_app().await;
    let (admin, learner_id, _) = certified_many(&app, 1).await;
    for email in [LEARNER1, TRAINER] {
        let token = app.login(email, PASSWORD).await;
        let refused = app.gql(LIST, json!({}), Some(&token)).await;
        assert_error(&refused, "FORBIDDEN", None);
        assert!(refused["data"].is_null(), "{refused}");
    }

    // The administrator of another authority sees none of the ministry's certificates, even
    // when naming the holder.
    let other = app.create_authority(&admin, "Other authority").await;
    let other_admin = app
        .person_with_role(&admin, &other, "other.admin@other.test", "ADMIN")
        .await;
    for filter in [json!({}), json!({ "holderId": learner_id })] {
        let none = app
            .ok(LIST, json!({ "filter": filter }), &other_admin)
            .await;
        assert_eq!(nodes(&none), Vec::<Value>::new(), "{none}");
    }
}

#[tokio::test]
async fn malformed_list_arguments_are_bad_input() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    for (variables, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "not a cursor" }), "after"),
        (json!({ "filter": { "holderId": "nobody" } }), "holderId"),
        (json!({ "filter": { "templateId": "x" } }), "templateId"),
        (json!({ "filter": { "status": "NOT_FOUND" } }), "status"),
    ] {
        let response = app.gql(LIST, variables.clone(), Some(&admin)).await;
        assert_error(&response, "BAD_USER_INPUT", Some(field));
        assert!(!error_message(&response).is_empty(), "{variables}");
    }
}

const TEMPLATES: &str = "{ certificateTemplates { id title validityMonths archivedAt } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateCertificateTemplateInput!) {
    updateCertificateTemplate(id: $id, input: $input) { id title description issuerName validityMonths }
}";
const ARCHIVE: &str =
    "mutation($id: ID!) { archiveCertificateTemplate(id: $id) { id archivedAt } }";

#[tokio::test]
async fn an_administrator_edits_and_archives_a_template_and_issued_certificates_stay_valid() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (course, lessons) = published_course(&app, &trainer, "AI at work", 2).await;
    let template_id = template(&app, &admin, &[&course], Some(24)).await;

    let listed = app.ok(TEMPLATES, json!({}), &admin).await;
    assert_eq!(
        listed["certificateTemplates"][0]["id"],
        json!(template_id),
        "{listed}"
    );
    let updated = app
        .ok(
            UPDATE,
            json!({ "id": template_id, "input": { "title": "AI at work, certified", "validityMonths": null } }),
            &admin,
        )
        .await;
    assert_eq!(
        updated["updateCertificateTemplate"]["title"],
        "AI at work, certified"
    );
    assert!(updated["updateCertificateTemplate"]["validityMonths"].is_null());

    // A certificate issued before archiving stays valid; after it, nothing more is issued.
    let other = app.login(crate::helpers::LEARNER2, PASSWORD).await;
    enroll(&app, &learner, &course).await;
    for lesson in &lessons {
        complete(&app, &learner, lesson).await;
    }
    let archived = app.ok(ARCHIVE, json!({ "id": template_id }), &admin).await;
    assert!(archived["archiveCertificateTemplate"]["archivedAt"].is_string());
    let again = app.ok(ARCHIVE, json!({ "id": template_id }), &admin).await;
    assert_eq!(
        again["archiveCertificateTemplate"]["archivedAt"],
        archived["archiveCertificateTemplate"]["archivedAt"]
    );
    enroll(&app, &other, &course).await;
    for lesson in &lessons {
        complete(&app, &other, lesson).await;
    }
    let mine = |token: String| {
        let app = &app;
        async move {
            app.ok("{ myCertificates { status } }", json!({}), &token)
                .await["myCertificates"]
                .clone()
        }
    };
    assert_eq!(mine(learner).await, json!([{ "status": "VALID" }]));
    assert_eq!(mine(other).await, json!([]));

    // An archived template does not change.
    let refused = app
        .gql(
            UPDATE,
            json!({ "id": template_id, "input": { "title": "Renamed" } }),
            Some(&admin),
        )
        .await;
    assert_error(&refused, "CONFLICT", Some("id"));
}

#[tokio::test]
async fn template_administration_refuses_other_people_and_bad_input_and_changes_nothing() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let (course, _) = published_course(&app, &trainer, "AI at work", 1).await;
    // A template for everyone (the platform administrator's).
    let template_id = template(&app, &admin, &[&course], Some(24)).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let authority_admin = app
        .person_with_role(
            &admin,
            &ministry,
            "ministry.admin@demo.govskills.test",
            "ADMIN",
        )
        .await;
    let audits = app.count("audit_events").await;

    for email in [LEARNER1, TRAINER] {
        let token = app.login(email, PASSWORD).await;
        assert_error(
            &app.gql(TEMPLATES, json!({}), Some(&token)).await,
            "FORBIDDEN",
            None,
        );
        assert_error(
            &app.gql(ARCHIVE, json!({ "id": template_id }), Some(&token))
                .await,
            "FORBIDDEN",
            None,
        );
    }
    // The ministry's administrator sees the template for everyone but does not manage it.
    let seen = app.ok(TEMPLATES, json!({}), &authority_admin).await;
    assert_eq!(seen["certificateTemplates"][0]["id"], json!(template_id));
    assert_error(
        &app.gql(
            ARCHIVE,
            json!({ "id": template_id }),
            Some(&authority_admin),
        )
        .await,
        "FORBIDDEN",
        None,
    );
    for (input, field) in [
        (json!({ "validityMonths": 0 }), "validityMonths"),
        (json!({ "validityMonths": 121 }), "validityMonths"),
        (json!({ "description": "  " }), "description"),
        (json!({ "title": "" }), "title"),
        (json!({ "issuerName": "Ministry\u{202E}" }), "issuerName"),
    ] {
        let refused = app
            .gql(
                UPDATE,
                json!({ "id": template_id, "input": input }),
                Some(&admin),
            )
            .await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
    }
    assert_error(
        &app.gql(ARCHIVE, json!({ "id": "nonsense" }), Some(&admin))
            .await,
        "BAD_USER_INPUT",
        Some("id"),
    );
    assert_error(
        &app.gql(
            ARCHIVE,
            json!({ "id": "00000000-0000-0000-0000-000000000000" }),
            Some(&admin),
        )
        .await,
        "NOT_FOUND",
        None,
    );

    assert_eq!(app.count("audit_events").await, audits);
    let unchanged = app.ok(TEMPLATES, json!({}), &admin).await;
    assert_eq!(unchanged["certificateTemplates"][0]["validityMonths"], 24);
    assert!(unchanged["certificateTemplates"][0]["archivedAt"].is_null());
}

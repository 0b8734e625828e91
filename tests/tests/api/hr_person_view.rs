//! The staff-council setting `hrPersonView` (`PASS_FAIL`: HR and administrators see completion
//! and pass/fail of another person, no scores, attempt counts or self-assessments), trainers'
//! access to scores, the person's own log of who looked, and erasure leaving no name in older
//! audit events.

use govskills_domain::{
    demo::FINAL_TEST_TITLE,
    entities::{assessment, audit_event, user},
};
use sea_orm::{ActiveModelTrait as _, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{
        ADMIN, HR, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, get_csv, parse_csv,
        spawn_app,
    },
    learning::user_id,
};

const SET_PRIVACY: &str = "mutation($unit: ID!, $input: ReportPrivacyInput!) {
    setReportPrivacy(orgUnitId: $unit, input: $input) { hrPersonView effectiveMinGroupSize }
}";

const PROFILE: &str = "query($id: ID!) { user(id: $id) {
    enrollments { edges { node { status overdue completedAt progress { done total } } } }
    competenceProfile { resultsView totalGap competences {
        competence { code } currentLevel source assessedAt selfAssessed requiredLevel gap } }
    certificates { id status }
} }";

const OWN_PROFILE: &str = "{ myCompetenceProfile { resultsView totalGap competences {
    competence { code } currentLevel source selfAssessed requiredLevel gap } } }";

const TRAIL: &str = "query($filter: AuditFilter) {
    auditEvents(first: 100, filter: $filter) { edges { node { action details } } }
}";

/// The competence `code` of a profile.
fn competence<'a>(profile: &'a Value, code: &str) -> &'a Value {
    profile["competences"]
        .as_array()
        .expect("competences")
        .iter()
        .find(|entry| entry["competence"]["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {profile}"))
}

/// The details of the events of `person` with `action`, as `token` reads them in
/// `auditEvents`.
async fn details(app: &TestApp, token: &str, person: &str, action: &str) -> Vec<Value> {
    let trail = app
        .ok(
            TRAIL,
            json!({ "filter": { "subjectId": person, "actions": [action] } }),
            token,
        )
        .await;
    trail["auditEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            serde_json::from_str(edge["node"]["details"].as_str().expect("details"))
                .expect("details are JSON")
        })
        .collect()
}

/// Luis's rows of the skill-gap export of `unit`, competence 1.1, as `token` downloads it.
async fn luis_in_export(app: &TestApp, token: &str, unit: &str) -> Vec<String> {
    let response = get_csv(
        app,
        &format!("/reports/skill-gaps.csv?orgUnitId={unit}"),
        Some(token),
    )
    .await;
    assert_eq!(response.status(), 200);
    let rows = parse_csv(&response.text().await.expect("a body"));
    rows.into_iter()
        .find(|row| row[0] == "Luis Learner" && row[2] == "1.1")
        .unwrap_or_else(|| panic!("Luis's 1.1 row in the export"))
}

/// Luis takes the demo course's final test and submits it unanswered: failed, 0 points.
/// Luis's total gap on the skill-gap report's staff page, as `token` sees it.
async fn luis_total_gap(app: &TestApp, token: &str, unit: &str, luis: &str) -> i64 {
    let report = app
        .ok(
            "query($u: ID!) { skillGapReport(orgUnitId: $u) { staff(first: 100) { nodes { user { id } totalGap } } } }",
            json!({ "u": unit }),
            token,
        )
        .await;
    report["skillGapReport"]["staff"]["nodes"]
        .as_array()
        .expect("staff")
        .iter()
        .find(|row| row["user"]["id"] == luis)
        .and_then(|row| row["totalGap"].as_i64())
        .unwrap_or_else(|| panic!("Luis is on the staff page: {report}"))
}

async fn luis_fails_the_final_test(app: &TestApp, luis: &str) {
    let test = assessment::Entity::find()
        .filter(assessment::Column::Title.eq(FINAL_TEST_TITLE))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the demo's final test");
    let started = app
        .ok(
            "mutation($id: ID!) { startAttempt(assessmentId: $id) { id attemptNumber } }",
            json!({ "id": test.id.to_string() }),
            luis,
        )
        .await;
    let result = app
        .ok(
            "mutation($id: ID!) { submitAttempt(attemptId: $id) { score passed } }",
            json!({ "id": started["startAttempt"]["id"] }),
            luis,
        )
        .await;
    assert_eq!(
        result["submitAttempt"],
        json!({ "score": 0, "passed": false })
    );
}

#[tokio::test]
async fn pass_fail_limits_hr_to_completion_and_pass_fail_and_the_person_still_sees_everything() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let luis_token = app.login(LEARNER2, PASSWORD).await;
    let luis = user_id(&app, &luis_token).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    luis_fails_the_final_test(&app, &luis_token).await;
    // No suppression, so the export lists everyone.
    let no_suppression = json!({ "minGroupSize": 0, "minGroupSizeReason": "test" });
    app.ok(
        SET_PRIVACY,
        json!({ "unit": ministry, "input": no_suppression }),
        &admin,
    )
    .await;

    // FULL (the default): HR sees Luis's self-assessment, and the trail his score.
    let full = app.ok(PROFILE, json!({ "id": luis }), &hr).await;
    let profile = &full["user"]["competenceProfile"];
    assert_eq!(profile["resultsView"], "FULL");
    let c11 = competence(profile, "1.1");
    assert_eq!(
        (
            &c11["currentLevel"],
            &c11["source"],
            &c11["selfAssessed"],
            &c11["requiredLevel"],
            &c11["gap"]
        ),
        (
            &json!(3),
            &json!("SELF"),
            &json!(true),
            &json!(4),
            &json!(1)
        ),
        "{profile}"
    );
    let scored = details(&app, &admin, &luis, "attempt.scored").await;
    assert_eq!(
        (&scored[0]["score"], &scored[0]["maxScore"]),
        (&json!(0), &json!(6))
    );
    assert_eq!(
        details(&app, &admin, &luis, "attempt.started").await[0]["attemptNumber"],
        1
    );
    assert!(
        details(&app, &admin, &luis, "competence.self_assessed").await[0]["ratings"].is_array()
    );
    assert_eq!(
        luis_in_export(&app, &hr, &ministry).await[4..],
        ["4", "3", "no", "1"]
    );
    let full_gap = luis_total_gap(&app, &hr, &ministry, &luis).await;

    // Neither a learner nor HR may change the setting; nothing changes.
    let policies = app.count("privacy_policies").await;
    for token in [&luis_token, &hr] {
        let refused = app
            .gql(
                SET_PRIVACY,
                json!({ "unit": ministry, "input": { "hrPersonView": "PASS_FAIL" } }),
                Some(token),
            )
            .await;
        assert_error(&refused, "FORBIDDEN", None);
    }
    assert_eq!(app.count("privacy_policies").await, policies);
    let read = app
        .ok(
            "query($unit: ID!) { reportPrivacy(orgUnitId: $unit) { hrPersonView } }",
            json!({ "unit": ministry }),
            &luis_token,
        )
        .await;
    assert_eq!(read["reportPrivacy"]["hrPersonView"], "FULL");

    // The ministry's ADMIN limits HR to pass/fail.
    let set = app
        .ok(
            SET_PRIVACY,
            json!({ "unit": ministry, "input": { "hrPersonView": "PASS_FAIL" } }),
            &admin,
        )
        .await;
    assert_eq!(set["setReportPrivacy"]["hrPersonView"], "PASS_FAIL");

    // HR: completion yes, self-assessments no (the competence reads as without a level).
    let limited = app.ok(PROFILE, json!({ "id": luis }), &hr).await;
    let user = &limited["user"];
    assert_eq!(
        user["enrollments"]["edges"][0]["node"]["status"], "ACTIVE",
        "{limited}"
    );
    assert_eq!(user["enrollments"]["edges"][0]["node"]["overdue"], true);
    assert!(user["enrollments"]["edges"][0]["node"]["progress"]["total"].as_i64() > Some(0));
    let profile = &user["competenceProfile"];
    assert_eq!(profile["resultsView"], "PASS_FAIL");
    for (code, required) in [("1.1", 4), ("1.2", 5), ("1.3", 5)] {
        assert_eq!(
            competence(profile, code),
            &json!({ "competence": { "code": code }, "currentLevel": null, "source": null,
                "assessedAt": null, "selfAssessed": false, "requiredLevel": required,
                "gap": required }),
            "{profile}"
        );
    }
    assert!(!profile.to_string().contains("SELF"), "{profile}");
    // The administrator's trail keeps what happened and whether it passed, not the score,
    // the attempt number or the ratings.
    let scored = details(&app, &admin, &luis, "attempt.scored").await;
    assert_eq!(
        (
            &scored[0]["score"],
            &scored[0]["maxScore"],
            &scored[0]["passed"]
        ),
        (&Value::Null, &Value::Null, &json!(false))
    );
    assert_eq!(
        details(&app, &admin, &luis, "attempt.started").await[0]["attemptNumber"],
        Value::Null
    );
    assert_eq!(
        details(&app, &admin, &luis, "competence.self_assessed").await[0]["ratings"],
        Value::Null
    );
    // The export leaves the self-assessed level out and counts the gap from 0.
    assert_eq!(
        luis_in_export(&app, &hr, &ministry).await[4..],
        ["4", "", "no", "4"]
    );
    // The staff page ranks him as if he had not rated himself: the gaps HR sees on his page.
    let seen_gaps: i64 = limited["user"]["competenceProfile"]["competences"]
        .as_array()
        .expect("competences")
        .iter()
        .filter_map(|c| c["gap"].as_i64())
        .sum();
    let limited_gap = luis_total_gap(&app, &hr, &ministry, &luis).await;
    assert_eq!(limited_gap, seen_gaps);
    assert!(limited_gap > full_gap, "{limited_gap} > {full_gap}");

    // Luis still sees all of his own.
    let own = app.ok(OWN_PROFILE, json!({}), &luis_token).await;
    let profile = &own["myCompetenceProfile"];
    assert_eq!(profile["resultsView"], "FULL");
    assert_eq!(competence(profile, "1.1")["currentLevel"], 3);
    assert_eq!(competence(profile, "1.1")["selfAssessed"], true);
    let me = app
        .ok(
            "{ me { competenceProfile { resultsView competences { competence { code } currentLevel } } } }",
            json!({}),
            &luis_token,
        )
        .await;
    assert_eq!(me["me"]["competenceProfile"]["resultsView"], "FULL");
    assert_eq!(
        competence(&me["me"]["competenceProfile"], "1.1")["currentLevel"],
        3
    );

    // Back to FULL: HR sees it again.
    app.ok(
        SET_PRIVACY,
        json!({ "unit": ministry, "input": { "hrPersonView": "FULL" } }),
        &admin,
    )
    .await;
    let full = app.ok(PROFILE, json!({ "id": luis }), &hr).await;
    assert_eq!(
        competence(&full["user"]["competenceProfile"], "1.1")["currentLevel"],
        3
    );
}

#[tokio::test]
async fn the_person_sees_who_read_and_exported_their_data() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let luis_token = app.login(LEARNER2, PASSWORD).await;
    let luis = user_id(&app, &luis_token).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    app.ok(
        SET_PRIVACY,
        json!({ "unit": ministry, "input": { "hrPersonView": "PASS_FAIL" } }),
        &admin,
    )
    .await;

    // HR reads his profile (limited, and still recorded); the administrator lists the
    // certificates of the people they cover and exports his data.
    app.ok(PROFILE, json!({ "id": luis }), &hr).await;
    app.ok(
        "query($holder: ID!) { certificates(filter: { holderId: $holder }) { edges { node { id } } } }",
        json!({ "holder": luis }),
        &admin,
    )
    .await;
    app.ok(
        "mutation($id: ID!) { exportUserData(userId: $id) }",
        json!({ "id": luis }),
        &admin,
    )
    .await;
    // His own export is no one else's look.
    let own_export = get_csv(&app, "/me/export.json", Some(&luis_token)).await;
    assert_eq!(own_export.status(), 200);

    let log = app
        .ok(
            "{ myDataAccessLog(first: 20) { edges { node { action actor { displayName } details } } } }",
            json!({}),
            &luis_token,
        )
        .await;
    let entries: Vec<(String, String)> = log["myDataAccessLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            (
                edge["node"]["action"].as_str().expect("action").to_owned(),
                edge["node"]["actor"]["displayName"]
                    .as_str()
                    .expect("an actor")
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("user.data_exported".to_owned(), "Ada Admin".to_owned()),
            ("personal_data.read".to_owned(), "Hanna HR".to_owned()),
        ],
        "{log}"
    );
    // The certificate list named nobody here (Luis holds none), so it left no read.
    let hr_read: Value = serde_json::from_str(
        log["myDataAccessLog"]["edges"][1]["node"]["details"]
            .as_str()
            .expect("details"),
    )
    .expect("JSON");
    assert_eq!(
        hr_read["read"],
        json!(["certificates", "competenceProfile", "enrollments"])
    );
}

#[tokio::test]
async fn trainers_see_scores_of_their_own_assessments_only() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let luis_token = app.login(LEARNER2, PASSWORD).await;
    luis_fails_the_final_test(&app, &luis_token).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let test = assessment::Entity::find()
        .filter(assessment::Column::Title.eq(FINAL_TEST_TITLE))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the final test")
        .id
        .to_string();
    let stats =
        "query($id: ID!) { assessment(id: $id) { title stats { attempts averagePercent } } }";

    // Its owner, who wrote the demo course around it, sees how it went.
    let owner = app.login(TRAINER, PASSWORD).await;
    let read = app.ok(stats, json!({ "id": test }), &owner).await;
    assert_eq!(
        read["assessment"]["stats"],
        json!({ "attempts": 1, "averagePercent": 0.0 })
    );

    // Another trainer of the ministry may use it from the bank, but sees no scores, whatever
    // the setting, and nobody's attempt.
    let other = app
        .person_with_role(&admin, &ministry, "trainer2@demo.govskills.test", "TRAINER")
        .await;
    let usable = app
        .ok(
            "query($id: ID!) { assessment(id: $id) { title } }",
            json!({ "id": test }),
            &other,
        )
        .await;
    assert_eq!(usable["assessment"]["title"], FINAL_TEST_TITLE);
    let refused = app.gql(stats, json!({ "id": test }), Some(&other)).await;
    assert_error(&refused, "FORBIDDEN", None);
    let attempt = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("attempt.scored"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the scored attempt")
        .target_id
        .expect("the attempt");
    let attempt_read = app
        .ok(
            "query($id: ID!) { attempt(id: $id) { id } }",
            json!({ "id": attempt.to_string() }),
            &other,
        )
        .await;
    assert_eq!(attempt_read["attempt"], Value::Null);
    app.ok(
        SET_PRIVACY,
        json!({ "unit": ministry, "input": { "hrPersonView": "FULL" } }),
        &admin,
    )
    .await;
    let still = app.gql(stats, json!({ "id": test }), Some(&other)).await;
    assert_error(&still, "FORBIDDEN", None);
}

#[tokio::test]
async fn erasure_rewrites_older_audit_details_that_name_the_person() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let jane = app
        .create_user(&admin, "jane.doe@agency.example", &unit)
        .await;
    app.ok(
        "mutation($id: ID!) { updateUser(userId: $id, input: { displayName: \"Jane Doe\" }) { id } }",
        json!({ "id": jane }),
        &admin,
    )
    .await;
    let jane_id = Uuid::parse_str(&jane).expect("an id");
    // Her HR master data, as SCIM would have set it.
    user::ActiveModel {
        id: Set(jane_id),
        user_name: Set(Some("JDoe@agency.example".to_owned())),
        external_id: Set(Some("HR-4711".to_owned())),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("her SCIM ids");
    let admin_id = Uuid::parse_str(&user_id(&app, &admin).await).expect("an id");
    // Events as older versions, an import or SCIM wrote them: naming her.
    let legacy = [
        (
            "user.created",
            json!({ "email": "jane.doe@agency.example", "displayName": "Jane Doe" }),
        ),
        (
            "user.scim_created",
            json!({ "userName": "JDOE@agency.example", "externalId": "HR-4711",
                "name": { "formatted": "Jane Doe" }, "emails": ["Jane.Doe@agency.example"] }),
        ),
        (
            "user.updated",
            json!({ "note": "renamed to Jane Doe (jane.doe@agency.example)" }),
        ),
    ];
    let mut ids = Vec::new();
    for (action, details) in legacy {
        let id = Uuid::now_v7();
        audit_event::ActiveModel {
            id: Set(id),
            actor_id: Set(Some(admin_id)),
            action: Set(action.to_owned()),
            target_type: Set("user".to_owned()),
            target_id: Set(Some(jane_id)),
            subject_user_id: Set(Some(jane_id)),
            org_unit_id: Set(Some(Uuid::parse_str(&unit).expect("an id"))),
            details: Set(details),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(&app.db)
        .await
        .expect("a legacy event");
        ids.push(id);
    }
    // Someone else's event with a name that merely starts like hers stays as it is.
    let other = Uuid::now_v7();
    audit_event::ActiveModel {
        id: Set(other),
        actor_id: Set(Some(admin_id)),
        action: Set("user.updated".to_owned()),
        target_type: Set("org_unit".to_owned()),
        target_id: Set(None),
        subject_user_id: Set(None),
        org_unit_id: Set(None),
        details: Set(json!({ "note": "Jane Doerr moved" })),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&app.db)
    .await
    .expect("another event");
    let events = app.count("audit_events").await;

    app.ok(
        "mutation($id: ID!, $reason: String!) { eraseUser(userId: $id, reason: $reason) }",
        json!({ "id": jane, "reason": "Request by Jane Doe <jane.doe@agency.example>, ref 12" }),
        &admin,
    )
    .await;

    // Search the whole table: neither her email nor her name nor her HR ids are left.
    let all = audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("the trail");
    assert_eq!(all.len() as i64, events + 1, "only the erasure was added");
    for event in &all {
        let text = event.details.to_string().to_lowercase();
        for old in ["jane.doe@agency.example", "jdoe@agency.example", "hr-4711"] {
            assert!(!text.contains(old), "{old} in {}: {text}", event.action);
        }
        if event.id != other {
            assert!(
                !text.contains("jane doe"),
                "her name in {}: {text}",
                event.action
            );
        }
    }
    let pseudonym = all
        .iter()
        .find(|event| event.action == "user.erased")
        .expect("the erasure")
        .details["pseudonym"]
        .as_str()
        .expect("a pseudonym")
        .to_owned();
    let erased_email = format!("erased-{}@erased.invalid", jane_id.simple());
    let by_id = |id: Uuid| all.iter().find(|event| event.id == id).expect("kept");
    // Who did what to whom stays.
    for id in &ids {
        let event = by_id(*id);
        assert_eq!(
            (event.actor_id, event.subject_user_id, event.target_id),
            (Some(admin_id), Some(jane_id), Some(jane_id))
        );
    }
    assert_eq!(
        by_id(ids[0]).details,
        json!({ "email": erased_email, "displayName": pseudonym })
    );
    assert_eq!(
        by_id(ids[1]).details,
        json!({ "userName": erased_email, "externalId": pseudonym,
            "name": { "formatted": pseudonym }, "emails": [erased_email] })
    );
    assert_eq!(
        by_id(ids[2]).details,
        json!({ "note": format!("renamed to {pseudonym} ({erased_email})") })
    );
    assert_eq!(by_id(other).details, json!({ "note": "Jane Doerr moved" }));
    let erased = all
        .iter()
        .find(|event| event.action == "user.erased")
        .expect("the erasure");
    assert_eq!(
        erased.details["reason"],
        format!("Request by {pseudonym} <{erased_email}>, ref 12")
    );
}

#[tokio::test]
async fn the_administrators_certificate_list_shows_in_each_holders_log() {
    let app = spawn_app().await;
    let (learner, admin, certificate) = crate::certificates::certified(&app, None).await;
    let listed = app
        .ok(
            "{ certificates { edges { node { id holder { displayName } } } } }",
            json!({}),
            &admin,
        )
        .await;
    assert_eq!(
        listed["certificates"]["edges"][0]["node"]["id"],
        certificate["id"]
    );
    let log = app
        .ok(
            "{ myDataAccessLog { edges { node { action actor { displayName } details } } } }",
            json!({}),
            &learner,
        )
        .await;
    let edges = log["myDataAccessLog"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 1, "{log}");
    assert_eq!(edges[0]["node"]["action"], "personal_data.read");
    assert_eq!(edges[0]["node"]["actor"]["displayName"], "Ada Admin");
    let details: Value =
        serde_json::from_str(edges[0]["node"]["details"].as_str().expect("details")).expect("JSON");
    assert_eq!(details["read"], json!(["certificates"]));
}

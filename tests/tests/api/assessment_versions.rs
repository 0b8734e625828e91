//! Editing assessments (a new version: attempts keep what they were given) and archiving them
//! (no new attempts; open ones are finished, results and certificates stay).

use serde_json::{Value, json};

use crate::{
    assessments::{attempt_id, create_assessment, question_bank, save, start, submit},
    helpers::{
        ADMIN, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, digcomp,
        error_message, spawn_app,
    },
};

const UPDATE: &str = "mutation($id: ID!, $input: UpdateAssessmentInput!) {
    updateAssessment(id: $id, input: $input) { id version } }";

const ARCHIVE: &str = "mutation($id: ID!) { archiveAssessment(id: $id) { id version archivedAt } }";

/// Everything an edit could change, as a trainer reads it.
const SNAPSHOT: &str = "query($id: ID!) { assessment(id: $id) { id title description version
    archivedAt selection visibility passMarkPercent masteryThresholdPercent timeLimitSeconds
    maxAttempts questions { id } drawRules { competence { code } level count } } }";

async fn snapshot(app: &TestApp, token: &str, assessment: &str) -> Value {
    app.ok(SNAPSHOT, json!({ "id": assessment }), token).await["assessment"].clone()
}

async fn update(app: &TestApp, token: &str, assessment: &str, input: Value) -> Value {
    app.gql(
        UPDATE,
        json!({ "id": assessment, "input": input }),
        Some(token),
    )
    .await
}

async fn archive(app: &TestApp, token: &str, assessment: &str) -> Value {
    app.gql(ARCHIVE, json!({ "id": assessment }), Some(token))
        .await
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn an_edit_raises_the_version_and_changes_new_attempts_while_a_started_one_keeps_its_questions_and_pass_mark()
 {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let early_learner = app.login(LEARNER1, PASSWORD).await;
    let late_learner = app.login(LEARNER2, PASSWORD).await;
    let (s1, t1, _, e1) = question_bank(&app, &trainer).await;
    // Pass mark 50 (the helper's), mastery threshold 70 (the default).
    let assessment =
        create_assessment(&app, &trainer, json!({ "questionIds": [s1.id, t1.id] })).await;
    assert_eq!(snapshot(&app, &trainer, &assessment).await["version"], 1);

    // Started before the edit: one of two right, 50 %.
    let early = attempt_id(&start(&app, &early_learner, &assessment).await);
    save(&app, &early_learner, &early, &s1.id, &s1.correct).await;
    save(&app, &early_learner, &early, &t1.id, &t1.wrong).await;

    let events = app.count("audit_events").await;
    let edited = app
        .ok(
            "mutation($id: ID!, $input: UpdateAssessmentInput!) {
                updateAssessment(id: $id, input: $input) {
                    id title version passMarkPercent masteryThresholdPercent selection
                    archivedAt questions { id } } }",
            json!({ "id": assessment, "input": {
                "title": "Information literacy check, revised",
                "passMarkPercent": 75,
                "masteryThresholdPercent": 100,
                "questionIds": [s1.id, t1.id, e1.id],
            }}),
            &trainer,
        )
        .await;
    let edited = &edited["updateAssessment"];
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["title"], "Information literacy check, revised");
    assert_eq!(edited["passMarkPercent"], 75);
    assert_eq!(edited["masteryThresholdPercent"], 100);
    assert_eq!(edited["selection"], "FIXED");
    assert_eq!(edited["archivedAt"], Value::Null);
    assert_eq!(
        ids(&edited["questions"]),
        [s1.id.clone(), t1.id.clone(), e1.id.clone()]
    );
    assert_eq!(
        app.count("audit_events").await,
        events + 1,
        "one audit event"
    );
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "assessment.updated");
    assert_eq!(actor.as_deref(), app.me(&trainer).await["id"].as_str());
    assert_eq!(target.as_deref(), Some(assessment.as_str()));

    // Started after it: the new questions and the new pass mark. Two of three right, 66.7 %,
    // is short of 75 %.
    let late = start(&app, &late_learner, &assessment).await;
    assert_eq!(
        ids(&late["questions"]),
        [s1.id.clone(), t1.id.clone(), e1.id.clone()]
    );
    let late_id = attempt_id(&late);
    save(&app, &late_learner, &late_id, &s1.id, &s1.correct).await;
    save(&app, &late_learner, &late_id, &t1.id, &t1.correct).await;
    save(&app, &late_learner, &late_id, &e1.id, &e1.wrong[..1]).await;
    let late_result = submit(&app, &late_learner, &late_id).await;
    let late_result = &late_result["data"]["submitAttempt"];
    assert_eq!(late_result["score"], 2, "{late_result}");
    assert_eq!(late_result["passed"], false);
    let thresholds = app
        .ok(
            "query($id: ID!) { attempt(id: $id) { assessmentVersion
                result { passMarkPercent masteryThresholdPercent } } }",
            json!({ "id": late_id }),
            &late_learner,
        )
        .await;
    assert_eq!(
        thresholds["attempt"],
        json!({ "assessmentVersion": 2,
            "result": { "passMarkPercent": 75, "masteryThresholdPercent": 100 } })
    );

    // The attempt started before the edit keeps its two questions, and is scored with the
    // pass mark it started under: 50 % passes 50 %, though not the new 75 %.
    let before_submit = app
        .ok(
            "query($id: ID!) { attempt(id: $id) { assessmentVersion questions { id }
                assessment { version passMarkPercent } } }",
            json!({ "id": early }),
            &early_learner,
        )
        .await;
    assert_eq!(before_submit["attempt"]["assessmentVersion"], 1);
    assert_eq!(
        ids(&before_submit["attempt"]["questions"]),
        [s1.id.clone(), t1.id.clone()]
    );
    assert_eq!(
        before_submit["attempt"]["assessment"],
        json!({ "version": 2, "passMarkPercent": 75 }),
        "the assessment itself is at its new version"
    );
    let early_result = submit(&app, &early_learner, &early).await;
    assert!(early_result.get("errors").is_none(), "{early_result}");
    let early_result = &early_result["data"]["submitAttempt"];
    assert_eq!(
        (
            early_result["score"].clone(),
            early_result["maxScore"].clone(),
            early_result["passed"].clone()
        ),
        (json!(1), json!(2), json!(true)),
        "{early_result}"
    );
    let mine = app
        .ok(
            "query($a: ID!) { assessment(id: $a) { myAttempts { id assessmentVersion passed } } }",
            json!({ "a": assessment }),
            &early_learner,
        )
        .await;
    assert_eq!(
        mine["assessment"]["myAttempts"],
        json!([{ "id": early, "assessmentVersion": 1, "passed": true }])
    );
    let scored = app
        .ok(
            "query($id: ID!) { attempt(id: $id) { result { passMarkPercent masteryThresholdPercent } } }",
            json!({ "id": early }),
            &early_learner,
        )
        .await;
    assert_eq!(
        scored["attempt"]["result"],
        json!({ "passMarkPercent": 50, "masteryThresholdPercent": 70 })
    );
}

#[tokio::test]
async fn an_edit_leaves_what_it_does_not_name_and_can_turn_a_fixed_list_into_a_random_draw() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, m2, _) = question_bank(&app, &trainer).await;
    let browsing = digcomp(&app, "1.1").await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id], "description": "Before the course",
            "timeLimitSeconds": 600, "maxAttempts": 3 }),
    )
    .await;
    let before = snapshot(&app, &trainer, &assessment).await;

    // A random draw of two level-1 questions of 1.1 (S1 and T1), without a time limit.
    let edited = update(
        &app,
        &trainer,
        &assessment,
        json!({ "draw": [{ "competenceId": browsing, "level": 1, "count": 2 }],
            "timeLimitSeconds": null }),
    )
    .await;
    assert!(edited.get("errors").is_none(), "{edited}");
    let after = snapshot(&app, &trainer, &assessment).await;
    let mut expected = before.clone();
    expected["version"] = json!(2);
    expected["selection"] = json!("RANDOM");
    expected["timeLimitSeconds"] = Value::Null;
    expected["questions"] = json!([]);
    expected["drawRules"] = json!([{ "competence": { "code": "1.1" }, "level": 1, "count": 2 }]);
    assert_eq!(after, expected, "only what the edit named changed");

    let attempt = start(&app, &learner, &assessment).await;
    let mut drawn = ids(&attempt["questions"]);
    drawn.sort();
    let mut pool = vec![s1.id.clone(), t1.id.clone()];
    pool.sort();
    assert_eq!(drawn, pool);
    assert_eq!(attempt["deadlineAt"], Value::Null, "no time limit any more");

    // An edit that gives nothing changes nothing, not even the version.
    let events = app.count("audit_events").await;
    let unchanged = update(&app, &trainer, &assessment, json!({})).await;
    assert_eq!(unchanged["data"]["updateAssessment"]["version"], 2);
    assert_eq!(app.count("audit_events").await, events);

    // And back to a fixed list.
    update(
        &app,
        &trainer,
        &assessment,
        json!({ "questionIds": [m2.id] }),
    )
    .await;
    let fixed = snapshot(&app, &trainer, &assessment).await;
    assert_eq!(fixed["version"], 3);
    assert_eq!(fixed["selection"], "FIXED");
    assert_eq!(ids(&fixed["questions"]), std::slice::from_ref(&m2.id));
    assert_eq!(fixed["drawRules"], json!([]));
}

#[tokio::test]
async fn an_archived_assessment_takes_no_new_attempts_but_an_open_one_is_finished_and_earns_its_certificate()
 {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let taking = app.login(LEARNER1, PASSWORD).await;
    let late = app.login(LEARNER2, PASSWORD).await;
    let (s1, t1, _, _) = question_bank(&app, &trainer).await;
    let assessment =
        create_assessment(&app, &trainer, json!({ "questionIds": [s1.id, t1.id] })).await;
    app.ok(
        "mutation($a: ID!) { createCertificateTemplate(input: { title: \"Information literacy\",
            description: \"Checked\", issuerName: \"Ministry\",
            assessments: [{ assessmentId: $a, minPercent: 100 }] }) { id } }",
        json!({ "a": assessment }),
        &admin,
    )
    .await;
    let open = attempt_id(&start(&app, &taking, &assessment).await);

    let events = app.count("audit_events").await;
    let archived = archive(&app, &trainer, &assessment).await;
    let archived = &archived["data"]["archiveAssessment"];
    assert!(archived["archivedAt"].is_string(), "{archived}");
    assert_eq!(archived["version"], 1, "archiving is not an edit");
    assert_eq!(app.count("audit_events").await, events + 1);
    assert_eq!(app.latest_audit_event().await.0, "assessment.archived");
    // Archiving again changes nothing and records nothing.
    let again = archive(&app, &trainer, &assessment).await;
    assert_eq!(&again["data"]["archiveAssessment"], archived);
    assert_eq!(app.count("audit_events").await, events + 1);

    // No new attempt.
    let refused = app
        .gql(
            "mutation($id: ID!) { startAttempt(assessmentId: $id) { id } }",
            json!({ "id": assessment }),
            Some(&late),
        )
        .await;
    assert_error(&refused, "CONFLICT", Some("assessmentId"));
    assert!(error_message(&refused).contains("archived"), "{refused}");
    assert_eq!(app.count("attempts").await, 1);

    // The open attempt is still there to be finished, and what it earns counts.
    assert_eq!(attempt_id(&start(&app, &taking, &assessment).await), open);
    for question in [&s1, &t1] {
        let saved = save(&app, &taking, &open, &question.id, &question.correct).await;
        assert_eq!(saved["data"]["saveAnswer"], true, "{saved}");
    }
    let result = submit(&app, &taking, &open).await;
    assert_eq!(result["data"]["submitAttempt"]["passed"], true, "{result}");
    let held = app
        .ok(
            "{ myCertificates { status template { title } } }",
            json!({}),
            &taking,
        )
        .await;
    assert_eq!(
        held["myCertificates"],
        json!([{ "status": "VALID", "template": { "title": "Information literacy" } }])
    );
    // ...but once it is submitted, no other.
    let after = app
        .gql(
            "mutation($id: ID!) { startAttempt(assessmentId: $id) { id } }",
            json!({ "id": assessment }),
            Some(&taking),
        )
        .await;
    assert_error(&after, "CONFLICT", Some("assessmentId"));

    // It leaves the lists unless asked for, and stays readable with its attempts.
    for token in [&trainer, &taking] {
        let lists = app
            .ok(
                "{ assessments { id } all: assessments(includeArchived: true) { id archivedAt } }",
                json!({}),
                token,
            )
            .await;
        assert_eq!(lists["assessments"], json!([]));
        assert_eq!(
            lists["all"],
            json!([{ "id": assessment, "archivedAt": archived["archivedAt"] }])
        );
    }
    let read = app
        .ok(
            "query($a: ID!) { assessment(id: $a) { archivedAt myAttempts { id passed } } }",
            json!({ "a": assessment }),
            &taking,
        )
        .await;
    assert_eq!(read["assessment"]["archivedAt"], archived["archivedAt"]);
    assert_eq!(
        read["assessment"]["myAttempts"],
        json!([{ "id": open, "passed": true }])
    );

    // An archived assessment is not edited.
    let edit = update(&app, &trainer, &assessment, json!({ "title": "Revived" })).await;
    assert_error(&edit, "CONFLICT", Some("id"));
    let now = snapshot(&app, &trainer, &assessment).await;
    assert_eq!(
        (now["title"].clone(), now["version"].clone()),
        (json!("Information literacy check"), json!(1))
    );
}

#[tokio::test]
async fn an_archived_assessment_goes_into_no_new_lesson_or_certificate_template() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (s1, _, _, _) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(&app, &trainer, json!({ "questionIds": [s1.id] })).await;
    archive(&app, &trainer, &assessment).await;
    let unit = app
        .org_unit_id(&trainer, "Ministry of Digital Affairs (demo)")
        .await;
    let course = app
        .ok(
            "mutation($unit: ID!) { createCourse(input: { title: \"Draft\", language: \"en\",
                orgUnitId: $unit }) { id } }",
            json!({ "unit": unit }),
            &trainer,
        )
        .await["createCourse"]["id"]
        .clone();
    let module = app
        .ok(
            "mutation($c: ID!) { addModule(courseId: $c, input: { title: \"M\" }) { id } }",
            json!({ "c": course }),
            &trainer,
        )
        .await["addModule"]["id"]
        .clone();
    let (lessons, templates) = (
        app.count("lessons").await,
        app.count("certificate_templates").await,
    );

    let lesson = app
        .gql(
            "mutation($m: ID!, $a: ID!) { addLesson(moduleId: $m, input: { title: \"Test\",
                kind: ASSESSMENT, assessmentId: $a }) { id } }",
            json!({ "m": module, "a": assessment }),
            Some(&trainer),
        )
        .await;
    assert_error(&lesson, "BAD_USER_INPUT", Some("assessmentId"));
    assert!(error_message(&lesson).contains("archived"), "{lesson}");
    let template = app
        .gql(
            "mutation($a: ID!) { createCertificateTemplate(input: { title: \"T\",
                description: \"D\", issuerName: \"Ministry\",
                assessments: [{ assessmentId: $a, minPercent: 80 }] }) { id } }",
            json!({ "a": assessment }),
            Some(&admin),
        )
        .await;
    assert_error(&template, "BAD_USER_INPUT", Some("assessments"));
    assert!(error_message(&template).contains("archived"), "{template}");
    assert_eq!(
        (
            app.count("lessons").await,
            app.count("certificate_templates").await
        ),
        (lessons, templates)
    );
}

#[tokio::test]
async fn only_its_owner_or_an_administrator_of_its_unit_edits_or_archives_an_assessment() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, _, _, _) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(&app, &trainer, json!({ "questionIds": [s1.id] })).await;
    // A trainer of a department of the ministry uses the ministry's assessments, but does not
    // own this one; a trainer of another authority does not see it at all.
    let department = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let department_trainer = app
        .person_with_role(&admin, &department, "trainer@citizen.example", "TRAINER")
        .await;
    let region = app.create_authority(&admin, "Region North").await;
    let other_trainer = app
        .person_with_role(&admin, &region, "trainer@north.example", "TRAINER")
        .await;
    let seen = app
        .ok(
            "query($a: ID!) { assessment(id: $a) { canEdit } }",
            json!({ "a": assessment }),
            &department_trainer,
        )
        .await;
    assert_eq!(seen["assessment"]["canEdit"], false);

    let before = snapshot(&app, &trainer, &assessment).await;
    let events = app.count("audit_events").await;
    let edit = json!({ "title": "Taken over", "passMarkPercent": 10 });
    for (who, token, code) in [
        ("a learner", &learner, "FORBIDDEN"),
        (
            "a trainer of another unit",
            &department_trainer,
            "FORBIDDEN",
        ),
        (
            "a trainer of another authority",
            &other_trainer,
            "NOT_FOUND",
        ),
    ] {
        let edited = update(&app, token, &assessment, edit.clone()).await;
        assert_eq!(
            edited["errors"][0]["extensions"]["code"], code,
            "{who} edits: {edited}"
        );
        let archived = archive(&app, token, &assessment).await;
        assert_eq!(
            archived["errors"][0]["extensions"]["code"], code,
            "{who} archives: {archived}"
        );
    }
    assert_eq!(snapshot(&app, &trainer, &assessment).await, before);
    assert_eq!(app.count("audit_events").await, events);

    // An administrator covering its unit may.
    let by_admin = update(
        &app,
        &admin,
        &assessment,
        json!({ "title": "Checked by the admin" }),
    )
    .await;
    assert_eq!(
        by_admin["data"]["updateAssessment"]["version"], 2,
        "{by_admin}"
    );
}

#[tokio::test]
async fn bad_edits_are_refused_with_the_field_to_fix_and_change_nothing() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (s1, t1, _, _) = question_bank(&app, &trainer).await;
    let browsing = digcomp(&app, "1.1").await;
    let assessment =
        create_assessment(&app, &trainer, json!({ "questionIds": [s1.id, t1.id] })).await;
    let before = snapshot(&app, &trainer, &assessment).await;
    let events = app.count("audit_events").await;

    let unknown_question = "0190a4a0-0000-7000-8000-000000000000";
    let cases = [
        (
            json!({ "passMarkPercent": 101 }),
            "passMarkPercent",
            "passMarkPercent must be 0 to 100",
        ),
        (
            json!({ "passMarkPercent": -1 }),
            "passMarkPercent",
            "passMarkPercent must be 0 to 100",
        ),
        (
            json!({ "title": "   " }),
            "title",
            "title must not be empty",
        ),
        (
            json!({ "title": "Fine", "masteryThresholdPercent": 0 }),
            "masteryThresholdPercent",
            "masteryThresholdPercent must be 1 to 100",
        ),
        (
            json!({ "timeLimitSeconds": 0 }),
            "timeLimitSeconds",
            "timeLimitSeconds must be",
        ),
        (
            json!({ "maxAttempts": 0 }),
            "maxAttempts",
            "maxAttempts must be",
        ),
        (
            json!({ "questionIds": [] }),
            "questionIds",
            "give either questionIds",
        ),
        (
            json!({ "questionIds": [unknown_question] }),
            "questionIds",
            "does not exist",
        ),
        (
            json!({ "questionIds": ["not-an-id"] }),
            "questionIds",
            "not a valid id",
        ),
        (
            json!({ "questionIds": [s1.id, s1.id] }),
            "questionIds",
            "listed twice",
        ),
        (
            json!({ "questionIds": [s1.id],
                "draw": [{ "competenceId": browsing, "level": 1, "count": 1 }] }),
            "draw",
            "not both",
        ),
        (
            json!({ "draw": [{ "competenceId": browsing, "level": 1, "count": 5 }] }),
            "draw",
            "only 2 questions",
        ),
    ];
    for (input, field, message) in cases {
        let refused = update(&app, &trainer, &assessment, input.clone()).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
        assert!(
            error_message(&refused).contains(message),
            "{input}: {refused}"
        );
    }

    let malformed = update(&app, &trainer, "not-an-id", json!({ "title": "X" })).await;
    assert_error(&malformed, "BAD_USER_INPUT", Some("id"));
    assert_eq!(error_message(&malformed), "id is not a valid id");
    let malformed = archive(&app, &trainer, "not-an-id").await;
    assert_error(&malformed, "BAD_USER_INPUT", Some("id"));
    // An unknown id is NOT_FOUND, as for every other mutation of a thing that may not exist
    // (and exactly what a trainer who may not use the assessment gets).
    let unknown = "0190a4a0-0000-7000-8000-000000000001";
    let missing = update(&app, &trainer, unknown, json!({ "title": "X" })).await;
    assert_error(&missing, "NOT_FOUND", None);
    assert_eq!(error_message(&missing), "assessment not found");
    assert_error(&archive(&app, &trainer, unknown).await, "NOT_FOUND", None);

    assert_eq!(snapshot(&app, &trainer, &assessment).await, before);
    assert_eq!(app.count("audit_events").await, events);
    assert_eq!(app.count("assessment_items").await, 2);
}

#[tokio::test]
async fn two_edits_at_the_same_moment_never_share_a_version() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (s1, t1, _, _) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(&app, &trainer, json!({ "questionIds": [s1.id] })).await;

    let (first, second) = tokio::join!(
        update(
            &app,
            &trainer,
            &assessment,
            json!({ "questionIds": [t1.id] })
        ),
        update(
            &app,
            &trainer,
            &assessment,
            json!({ "passMarkPercent": 60 })
        ),
    );
    let mut versions = Vec::new();
    for response in [&first, &second] {
        match response["data"]["updateAssessment"]["version"].as_i64() {
            Some(version) => versions.push(version),
            // The one that read the version the other replaced is refused, not lost.
            None => assert_error(response, "CONFLICT", Some("id")),
        }
    }
    versions.sort_unstable();
    let expected: Vec<i64> = (2..2 + versions.len() as i64).collect();
    assert_eq!(versions, expected, "{first} {second}");
    let now = snapshot(&app, &trainer, &assessment).await;
    assert_eq!(now["version"], 1 + versions.len() as i64);
}

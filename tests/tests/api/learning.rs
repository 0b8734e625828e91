//! Learning: enrolments, lesson progress and completion, the learner's own list.

use serde_json::{Value, json};

use crate::helpers::{
    LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, spawn_app, spawn_app_with,
};

const ENROLLMENT_FIELDS: &str = "id status source dueAt overdue completedAt
    progress { done total percent } course { id title } assignedBy { displayName }";

/// The id of a DigComp 2.2 competence by its code.
async fn digcomp(app: &TestApp, code: &str) -> String {
    let response = app
        .gql(
            "{ frameworks { code areas { competences { id code } } } }",
            json!({}),
            None,
        )
        .await;
    for framework in response["data"]["frameworks"]
        .as_array()
        .expect("frameworks")
    {
        if framework["code"] != "DIGCOMP" {
            continue;
        }
        for area in framework["areas"].as_array().expect("areas") {
            for competence in area["competences"].as_array().expect("competences") {
                if competence["code"] == code {
                    return competence["id"].as_str().expect("id").to_owned();
                }
            }
        }
    }
    panic!("no DigComp competence {code}");
}

fn id_of(response: &Value, field: &str) -> String {
    response["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {response}"))
        .to_owned()
}

/// A published course of the ministry with `lessons` text lessons in one module; returns the
/// course id and the lesson ids.
async fn published_course(
    app: &TestApp,
    trainer: &str,
    title: &str,
    lessons: usize,
) -> (String, Vec<String>) {
    let ministry = app
        .org_unit_id(trainer, "Ministry of Digital Affairs (demo)")
        .await;
    let competence = digcomp(app, "1.2").await;
    let created = app
        .gql(
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": { "title": title, "language": "en", "orgUnitId": ministry,
                "competenceTargets": [{ "competenceId": competence, "targetLevel": 3 }] } }),
            Some(trainer),
        )
        .await;
    let course = id_of(&created, "createCourse");
    let module = app
        .gql(
            "mutation($course: ID!) { addModule(courseId: $course, input: { title: \"Basics\" }) { id } }",
            json!({ "course": course }),
            Some(trainer),
        )
        .await;
    let module = id_of(&module, "addModule");
    let mut ids = Vec::new();
    for i in 0..lessons {
        let lesson = app
            .gql(
                "mutation($module: ID!, $input: AddLessonInput!) { addLesson(moduleId: $module, input: $input) { id } }",
                json!({ "module": module, "input": { "title": format!("Lesson {i}"), "kind": "TEXT", "markdown": "Hello", "estimatedMinutes": 5 } }),
                Some(trainer),
            )
            .await;
        ids.push(id_of(&lesson, "addLesson"));
    }
    let published = app
        .gql(
            "mutation($id: ID!) { publishCourse(courseId: $id) { status } }",
            json!({ "id": course }),
            Some(trainer),
        )
        .await;
    assert_eq!(
        published["data"]["publishCourse"]["status"], "PUBLISHED",
        "{published}"
    );
    (course, ids)
}

async fn enroll(app: &TestApp, token: &str, course: &str) -> Value {
    app.gql(
        &format!("mutation($id: ID!) {{ enroll(courseId: $id) {{ {ENROLLMENT_FIELDS} }} }}"),
        json!({ "id": course }),
        Some(token),
    )
    .await
}

async fn complete(app: &TestApp, token: &str, lesson: &str) -> Value {
    app.gql(
        &format!(
            "mutation($id: ID!) {{ completeLesson(lessonId: $id) {{ {ENROLLMENT_FIELDS} }} }}"
        ),
        json!({ "id": lesson }),
        Some(token),
    )
    .await
}

async fn my_enrollments(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(
        &format!(
            "{{ myEnrollments(first: 100) {{ edges {{ node {{ {ENROLLMENT_FIELDS} }} }} }} }}"
        ),
        json!({}),
        token,
    )
    .await["myEnrollments"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test]
async fn a_learner_enrols_works_through_a_course_and_completes_it() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (course, lessons) = published_course(&app, &trainer, "Safe passwords", 2).await;

    let enrolled = enroll(&app, &learner, &course).await;
    let enrollment = &enrolled["data"]["enroll"];
    assert_eq!(enrollment["status"], "ACTIVE", "{enrolled}");
    assert_eq!(enrollment["source"], "SELF");
    assert_eq!(enrollment["overdue"], false);
    assert_eq!(enrollment["assignedBy"], Value::Null);
    assert_eq!(
        enrollment["progress"],
        json!({ "done": 0, "total": 2, "percent": 0 })
    );
    let id = enrollment["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.latest_audit_event().await.0,
        "enrollment.created".to_owned()
    );

    let first = complete(&app, &learner, &lessons[0]).await;
    let first = &first["data"]["completeLesson"];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["status"], "ACTIVE");
    assert_eq!(
        first["progress"],
        json!({ "done": 1, "total": 2, "percent": 50 })
    );
    assert_eq!(first["completedAt"], Value::Null);

    let last = complete(&app, &learner, &lessons[1]).await;
    let last = &last["data"]["completeLesson"];
    assert_eq!(last["status"], "COMPLETED");
    assert_eq!(
        last["progress"],
        json!({ "done": 2, "total": 2, "percent": 100 })
    );
    assert!(last["completedAt"].is_string());
    assert_eq!(
        app.latest_audit_event().await,
        (
            "enrollment.completed".to_owned(),
            Some(
                app.me(&learner).await["id"]
                    .as_str()
                    .expect("id")
                    .to_owned()
            ),
            Some(id.clone())
        )
    );

    let listed = my_enrollments(&app, &learner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "COMPLETED");
    assert_eq!(listed[0]["course"]["id"], course.as_str());
}

#[tokio::test]
async fn enrolling_and_completing_twice_change_nothing() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (course, lessons) = published_course(&app, &trainer, "Twice", 2).await;

    let first = id_of(&enroll(&app, &learner, &course).await, "enroll");
    let again = id_of(&enroll(&app, &learner, &course).await, "enroll");
    assert_eq!(first, again);
    assert_eq!(app.count("enrollments").await, 1);

    let events = app.count("audit_events").await;
    let once = complete(&app, &learner, &lessons[0]).await;
    let twice = complete(&app, &learner, &lessons[0]).await;
    assert_eq!(
        once["data"]["completeLesson"]["progress"],
        twice["data"]["completeLesson"]["progress"]
    );
    assert_eq!(
        twice["data"]["completeLesson"]["progress"]["done"], 1,
        "{twice}"
    );
    assert_eq!(app.count("lesson_progress").await, 1);
    assert_eq!(app.count("audit_events").await, events);

    // Completed courses stay completed.
    complete(&app, &learner, &lessons[1]).await;
    let after = complete(&app, &learner, &lessons[1]).await;
    assert_eq!(after["data"]["completeLesson"]["status"], "COMPLETED");
    assert_eq!(app.count("lesson_progress").await, 2);
}

#[tokio::test]
async fn a_lesson_of_a_course_the_learner_is_not_enrolled_in_is_not_found() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let other = app.login(LEARNER2, PASSWORD).await;
    let (course, lessons) = published_course(&app, &trainer, "Not mine", 1).await;
    enroll(&app, &other, &course).await;
    let progress = app.count("lesson_progress").await;
    let enrollments = app.count("enrollments").await;

    let response = complete(&app, &learner, &lessons[0]).await;
    assert_error(&response, "NOT_FOUND", None);
    let unknown = complete(&app, &learner, &uuid::Uuid::now_v7().to_string()).await;
    assert_error(&unknown, "NOT_FOUND", None);

    assert_eq!(app.count("lesson_progress").await, progress);
    assert_eq!(app.count("enrollments").await, enrollments);
}

#[tokio::test]
async fn a_learner_reading_someone_elses_enrolment_gets_null() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let other = app.login(LEARNER2, PASSWORD).await;
    let (course, _) = published_course(&app, &trainer, "Private", 1).await;
    let theirs = id_of(&enroll(&app, &other, &course).await, "enroll");
    let query = "query($id: ID!) { enrollment(id: $id) { id status } }";

    let own = app.ok(query, json!({ "id": theirs }), &other).await;
    assert_eq!(own["enrollment"]["id"], theirs.as_str());
    let someone_elses = app.ok(query, json!({ "id": theirs }), &learner).await;
    let unknown = app
        .ok(
            query,
            json!({ "id": uuid::Uuid::now_v7().to_string() }),
            &learner,
        )
        .await;
    assert_eq!(someone_elses, json!({ "enrollment": null }));
    assert_eq!(someone_elses, unknown);

    // Withdrawing someone else's enrolment is the same NOT_FOUND as an unknown one.
    let response = app
        .gql(
            "mutation($id: ID!) { withdrawEnrollment(enrollmentId: $id) { status } }",
            json!({ "id": theirs }),
            Some(&learner),
        )
        .await;
    assert_error(&response, "NOT_FOUND", None);
}

#[tokio::test]
async fn a_learner_withdraws_from_a_course_they_chose_and_it_is_audited() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (course, _) = published_course(&app, &trainer, "Changed my mind", 1).await;
    let id = id_of(&enroll(&app, &learner, &course).await, "enroll");

    let withdrawn = app
        .ok(
            "mutation($id: ID!) { withdrawEnrollment(enrollmentId: $id) { id status } }",
            json!({ "id": id }),
            &learner,
        )
        .await;
    assert_eq!(withdrawn["withdrawEnrollment"]["status"], "WITHDRAWN");
    let (action, _, target) = app.latest_audit_event().await;
    assert_eq!(action, "enrollment.withdrawn");
    assert_eq!(target.as_deref(), Some(id.as_str()));
    assert!(my_enrollments(&app, &learner).await.is_empty());

    // Enrolling again resumes the same enrolment.
    let again = enroll(&app, &learner, &course).await;
    assert_eq!(again["data"]["enroll"]["id"], id.as_str());
    assert_eq!(again["data"]["enroll"]["status"], "ACTIVE");
}

#[tokio::test]
async fn my_enrollments_costs_the_same_statements_for_3_and_for_12_enrolments() {
    // See the catalogue's statement-count test for why the batch window is wide.
    let app = spawn_app_with(|config| config.dataloader_window_ms = 20).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    for i in 0..12 {
        let (course, lessons) = published_course(&app, &trainer, &format!("Course {i}"), 2).await;
        enroll(&app, &learner, &course).await;
        complete(&app, &learner, &lessons[0]).await;
    }
    let query = &format!(
        "query($first: Int) {{ myEnrollments(first: $first) {{ edges {{ cursor node {{ {ENROLLMENT_FIELDS} course {{ modules {{ title }} }} }} }} pageInfo {{ hasNextPage }} }} }}"
    );
    let three = app
        .statements_for(query, json!({ "first": 3 }), &learner)
        .await;
    let twelve = app
        .statements_for(query, json!({ "first": 12 }), &learner)
        .await;
    assert_eq!(
        three, twelve,
        "statements for 3 enrolments: {three}, for 12: {twelve}"
    );
    assert!(three <= 12, "a page of enrolments costs {three} statements");
}

#[tokio::test]
async fn my_enrollments_pages_with_cursors() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    for i in 0..3 {
        let (course, _) = published_course(&app, &trainer, &format!("Course {i}"), 1).await;
        enroll(&app, &learner, &course).await;
    }
    let query = "query($after: String) { myEnrollments(first: 2, after: $after) {
        edges { cursor node { course { title } } } pageInfo { hasNextPage endCursor } } }";
    let first = app.ok(query, json!({}), &learner).await;
    let page = &first["myEnrollments"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    // Most recently active first.
    assert_eq!(page["edges"][0]["node"]["course"]["title"], "Course 2");
    assert_eq!(page["edges"][1]["node"]["course"]["title"], "Course 1");
    let second = app
        .ok(
            query,
            json!({ "after": page["pageInfo"]["endCursor"] }),
            &learner,
        )
        .await;
    let page = &second["myEnrollments"];
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(page["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["edges"][0]["node"]["course"]["title"], "Course 0");
}

//! Learning: enrolments, lesson progress and completion, the learner's own list.

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, digcomp, spawn_app,
    spawn_app_with, wide_batch_window,
};

const ENROLLMENT_FIELDS: &str = "id status source dueAt overdue completedAt
    progress { done total percent } course { id title } assignedBy { displayName }";

pub(crate) fn id_of(response: &Value, field: &str) -> String {
    response["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {response}"))
        .to_owned()
}

/// A published course of the ministry with `lessons` text lessons in one module; returns the
/// course id and the lesson ids.
pub(crate) async fn published_course(
    app: &TestApp,
    trainer: &str,
    title: &str,
    lessons: usize,
) -> (String, Vec<String>) {
    published_course_for(app, trainer, title, lessons, "1.2", 3).await
}

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";

/// Like `published_course`, developing DigComp competence `code` up to `level`.
async fn published_course_for(
    app: &TestApp,
    trainer: &str,
    title: &str,
    lessons: usize,
    code: &str,
    level: i32,
) -> (String, Vec<String>) {
    published_course_of(app, trainer, MINISTRY, title, lessons, code, level).await
}

/// A published course owned by the unit named `owner`, visible to that unit's subtree.
async fn published_course_of(
    app: &TestApp,
    trainer: &str,
    owner: &str,
    title: &str,
    lessons: usize,
    code: &str,
    level: i32,
) -> (String, Vec<String>) {
    let unit = app.org_unit_id(trainer, owner).await;
    let competence = digcomp(app, code).await;
    let created = app
        .gql(
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": { "title": title, "language": "en", "orgUnitId": unit,
                "competenceTargets": [{ "competenceId": competence, "targetLevel": level }] } }),
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

pub(crate) async fn enroll(app: &TestApp, token: &str, course: &str) -> Value {
    app.gql(
        &format!("mutation($id: ID!) {{ enroll(courseId: $id) {{ {ENROLLMENT_FIELDS} }} }}"),
        json!({ "id": course }),
        Some(token),
    )
    .await
}

pub(crate) async fn complete(app: &TestApp, token: &str, lesson: &str) -> Value {
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
    let app = spawn_app_with(wide_batch_window).await;
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

/// The learner's dashboard in one request, as `govskills-bench` asks for it.
const DASHBOARD: &str = "{ me { displayName roles orgUnit { name } jobRole { name } }
  myEnrollments(first: 20) { edges { node { status overdue course { title }
    progress { done total percent } } } }
  myCompetenceProfile { totalGap competences { competence { code } currentLevel gap } }
  myRecommendations(first: 5) { title } }";

#[tokio::test]
async fn the_dashboard_costs_the_same_statements_for_one_enrolment_and_for_six() {
    let app = spawn_app_with(wide_batch_window).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    // A job role that requires more of competence 1.2 than the courses below teach: each of
    // them closes part of the gap, so each is recommended.
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let role = app
        .ok(
            "mutation($input: CreateJobRoleInput!) { createJobRole(input: $input) { id } }",
            json!({ "input": { "name": "Case worker", "usesAiSystems": false, "orgUnitId": ministry,
                "requirements": [{ "competenceId": digcomp(&app, "1.2").await, "level": 4 }] } }),
            &admin,
        )
        .await["createJobRole"]["id"]
        .clone();
    app.ok(
        "mutation($user: ID!, $role: ID) { assignJobRole(userId: $user, jobRoleId: $role) { id } }",
        json!({ "user": user_id(&app, &learner).await, "role": role }),
        &admin,
    )
    .await;
    let mut costs = Vec::new();
    for i in 0..6 {
        let (course, lessons) = published_course(&app, &trainer, &format!("Course {i}"), 3).await;
        enroll(&app, &learner, &course).await;
        complete(&app, &learner, &lessons[0]).await;
        if i == 0 || i == 5 {
            costs.push(app.statements_for(DASHBOARD, json!({}), &learner).await);
        }
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for one enrolment and for six: {costs:?}"
    );
    // Each field's own read, once: the session's person, unit and grants (1), the job role
    // (1), the enrolments with their courses (1), their progress (1), the profile (3) and
    // the recommendations (1).
    assert!(costs[0] <= 8, "the dashboard costs {} statements", costs[0]);

    let dashboard = app.ok(DASHBOARD, json!({}), &learner).await;
    let me = &dashboard["me"];
    assert_eq!(
        me["orgUnit"]["name"], "Department of Citizen Services",
        "{me}"
    );
    assert_eq!(me["jobRole"]["name"], "Case worker", "{me}");
    assert_eq!(
        dashboard["myCompetenceProfile"]["totalGap"], 4,
        "{dashboard}"
    );
    let recommended = dashboard["myRecommendations"].as_array().expect("courses");
    assert_eq!(recommended.len(), 5, "{dashboard}");
    let enrolments = dashboard["myEnrollments"]["edges"]
        .as_array()
        .expect("edges");
    let courses: Vec<&Value> = enrolments
        .iter()
        .filter(|edge| {
            edge["node"]["course"]["title"]
                .as_str()
                .is_some_and(|title| title.starts_with("Course "))
        })
        .collect();
    assert_eq!(courses.len(), 6, "{enrolments:?}");
    for edge in courses {
        assert_eq!(
            edge["node"]["progress"],
            json!({ "done": 1, "total": 3, "percent": 33 }),
            "{edge}"
        );
    }
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

pub(crate) async fn user_id(app: &TestApp, token: &str) -> String {
    app.me(token).await["id"].as_str().expect("id").to_owned()
}

pub(crate) async fn assign(
    app: &TestApp,
    hr: &str,
    course: &str,
    users: &[&str],
    due_at: Value,
) -> Value {
    app.gql(
        &format!("mutation($course: ID!, $users: [ID!]!, $due: DateTime) {{
            assignCourse(courseId: $course, userIds: $users, dueAt: $due) {{ {ENROLLMENT_FIELDS} }} }}"),
        json!({ "course": course, "users": users, "due": due_at }),
        Some(hr),
    )
    .await
}

pub(crate) fn days_from_now(days: i64) -> Value {
    json!((chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339())
}

#[tokio::test]
async fn hr_assigning_outside_their_units_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner1 = app.login(LEARNER1, PASSWORD).await;
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let (learner1, learner2) = (
        user_id(&app, &learner1).await,
        user_id(&app, &learner2).await,
    );
    let other = app.create_authority(&admin, "Other authority").await;
    let outsider = app
        .create_user(&admin, "outsider@example.test", &other)
        .await;
    let (course, _) = published_course(&app, &trainer, "Mandatory", 1).await;
    let enrollments = app.count("enrollments").await;
    let events = app.count("audit_events").await;

    let response = assign(
        &app,
        &hr,
        &course,
        &[&learner1, &outsider, &learner2],
        days_from_now(7),
    )
    .await;
    assert_error(&response, "FORBIDDEN", None);
    let alone = assign(&app, &hr, &course, &[&outsider], Value::Null).await;
    assert_error(&alone, "FORBIDDEN", None);
    // Nor may anyone without HR assign.
    let as_trainer = assign(&app, &trainer, &course, &[&learner1], Value::Null).await;
    assert_error(&as_trainer, "FORBIDDEN", None);

    assert_eq!(app.count("enrollments").await, enrollments);
    assert_eq!(app.count("audit_events").await, events);

    // Inside the HR officer's units it works.
    let ok = assign(
        &app,
        &hr,
        &course,
        &[&learner1, &learner2],
        days_from_now(7),
    )
    .await;
    let assigned = ok["data"]["assignCourse"].as_array().expect("enrollments");
    assert_eq!(assigned.len(), 2, "{ok}");
    for enrollment in assigned {
        assert_eq!(enrollment["source"], "ASSIGNED");
        assert_eq!(enrollment["assignedBy"]["displayName"], "Hanna HR");
        assert!(enrollment["dueAt"].is_string());
    }
    assert_eq!(app.count("enrollments").await, enrollments + 2);
}

#[tokio::test]
async fn hr_assigns_a_course_to_a_whole_org_unit() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner1 = app.login(LEARNER1, PASSWORD).await;
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let department = app.org_unit_id(&hr, "Department of Citizen Services").await;
    // A second member of the department, so the whole unit means more than one learner.
    let new_member = app
        .create_user(&admin, "new.member@example.test", &department)
        .await;
    let (course, _) = published_course(&app, &trainer, "For the department", 1).await;

    let response = app
        .ok(
            "mutation($course: ID!, $unit: ID!) { assignCourseToOrgUnit(courseId: $course, orgUnitId: $unit) { id source } }",
            json!({ "course": course, "unit": department }),
            &hr,
        )
        .await;
    assert_eq!(
        response["assignCourseToOrgUnit"].as_array().map(Vec::len),
        Some(2),
        "{response}"
    );
    let mine = my_enrollments(&app, &learner1).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["source"], "ASSIGNED");
    assert_eq!(mine[0]["course"]["id"], course.as_str());
    assert!(my_enrollments(&app, &learner2).await.is_empty());
    let member = app
        .login("new.member@example.test", "a long enough password")
        .await;
    assert_eq!(user_id(&app, &member).await, new_member);
    assert_eq!(my_enrollments(&app, &member).await.len(), 1);

    // A learner cannot assign.
    let refused = app
        .gql(
            "mutation($course: ID!, $unit: ID!) { assignCourseToOrgUnit(courseId: $course, orgUnitId: $unit) { id } }",
            json!({ "course": course, "unit": department }),
            Some(&learner1),
        )
        .await;
    assert_error(&refused, "FORBIDDEN", None);
}

#[tokio::test]
async fn hr_assigns_a_course_to_everyone_holding_a_job_role_in_their_units() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner1 = app.login(LEARNER1, PASSWORD).await;
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let caseworker = app
        .ok(
            "mutation($unit: ID!) { createJobRole(input: { name: \"Caseworker\", description: \"\", usesAiSystems: true, orgUnitId: $unit, requirements: [] }) { id } }",
            json!({ "unit": ministry }),
            &admin,
        )
        .await["createJobRole"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let holder = user_id(&app, &learner1).await;
    app.ok(
        "mutation($user: ID!, $role: ID!) { assignJobRole(userId: $user, jobRoleId: $role) { id } }",
        json!({ "user": holder, "role": caseworker }),
        &admin,
    )
    .await;
    let (course, _) = published_course(&app, &trainer, "For caseworkers", 1).await;
    let assign = |token: String, role: String| {
        let app = &app;
        let course = course.clone();
        async move {
            app.gql(
                "mutation($course: ID!, $role: ID!) { assignCourseToJobRole(courseId: $course, jobRoleId: $role) { id source } }",
                json!({ "course": course, "role": role }),
                Some(&token),
            )
            .await
        }
    };
    let enrollments = app.count("enrollments").await;

    // A learner cannot assign, and an unknown job role does not exist; nothing is written.
    assert_error(
        &assign(learner2.clone(), caseworker.clone()).await,
        "FORBIDDEN",
        None,
    );
    assert_error(
        &assign(hr.clone(), uuid::Uuid::new_v4().to_string()).await,
        "NOT_FOUND",
        None,
    );
    assert_eq!(app.count("enrollments").await, enrollments);

    let assigned = assign(hr.clone(), caseworker).await;
    assert_eq!(
        assigned["data"]["assignCourseToJobRole"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{assigned}"
    );
    assert_eq!(my_enrollments(&app, &learner1).await.len(), 1);
    assert!(my_enrollments(&app, &learner2).await.is_empty());
}

#[tokio::test]
async fn overdue_assignments_come_first_then_the_soonest_due_then_recent_activity() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let me = user_id(&app, &learner).await;
    let (later, _) = published_course(&app, &trainer, "Due later", 1).await;
    let (overdue, _) = published_course(&app, &trainer, "Overdue", 1).await;
    let (soon, _) = published_course(&app, &trainer, "Due soon", 1).await;
    let (own, _) = published_course(&app, &trainer, "My own choice", 1).await;
    assign(&app, &hr, &later, &[&me], days_from_now(30)).await;
    assign(&app, &hr, &overdue, &[&me], days_from_now(-1)).await;
    assign(&app, &hr, &soon, &[&me], days_from_now(2)).await;
    enroll(&app, &learner, &own).await;

    let listed = my_enrollments(&app, &learner).await;
    let titles: Vec<&str> = listed
        .iter()
        .map(|e| e["course"]["title"].as_str().expect("title"))
        .collect();
    assert_eq!(
        titles,
        ["Overdue", "Due soon", "Due later", "My own choice"]
    );
    let overdue_flags: Vec<&Value> = listed.iter().map(|e| &e["overdue"]).collect();
    assert_eq!(
        overdue_flags,
        [&json!(true), &json!(false), &json!(false), &json!(false)]
    );
}

#[tokio::test]
async fn assigning_a_self_enrolled_course_turns_it_into_an_assignment_and_hr_can_cancel_it() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let me = user_id(&app, &learner).await;
    let (course, lessons) = published_course(&app, &trainer, "Chosen, then required", 2).await;
    let own = id_of(&enroll(&app, &learner, &course).await, "enroll");
    complete(&app, &learner, &lessons[0]).await;

    let response = assign(&app, &hr, &course, &[&me], days_from_now(5)).await;
    let assigned = &response["data"]["assignCourse"][0];
    assert_eq!(assigned["id"], own.as_str(), "{response}");
    assert_eq!(assigned["source"], "ASSIGNED");
    assert!(assigned["dueAt"].is_string());
    assert_eq!(assigned["progress"]["done"], 1);
    assert_eq!(app.count("enrollments").await, 1);

    // Mandatory: the learner cannot withdraw.
    let withdraw = app
        .gql(
            "mutation($id: ID!) { withdrawEnrollment(enrollmentId: $id) { status } }",
            json!({ "id": own }),
            Some(&learner),
        )
        .await;
    assert_error(&withdraw, "FORBIDDEN", None);

    let cancelled = app
        .ok(
            "mutation($id: ID!) { cancelAssignment(enrollmentId: $id) { id status } }",
            json!({ "id": own }),
            &hr,
        )
        .await;
    assert_eq!(cancelled["cancelAssignment"]["status"], "CANCELLED");
    let (action, _, target) = app.latest_audit_event().await;
    assert_eq!(action, "enrollment.cancelled");
    assert_eq!(target.as_deref(), Some(own.as_str()));
    assert!(my_enrollments(&app, &learner).await.is_empty());

    // A learner cannot cancel assignments.
    let refused = app
        .gql(
            "mutation($id: ID!) { cancelAssignment(enrollmentId: $id) { status } }",
            json!({ "id": own }),
            Some(&learner),
        )
        .await;
    assert_error(&refused, "FORBIDDEN", None);
}

async fn recommended(app: &TestApp, token: &str) -> Vec<String> {
    app.ok(
        "{ myRecommendations(first: 10) { title } }",
        json!({}),
        token,
    )
    .await["myRecommendations"]
        .as_array()
        .expect("courses")
        .iter()
        .map(|course| course["title"].as_str().expect("title").to_owned())
        .collect()
}

#[tokio::test]
async fn recommendations_follow_the_gaps_and_change_after_a_self_assessment() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let me = user_id(&app, &learner).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let (information, safety) = (digcomp(&app, "1.2").await, digcomp(&app, "4.2").await);
    let role = app
        .ok(
            "mutation($input: CreateJobRoleInput!) { createJobRole(input: $input) { id } }",
            json!({ "input": { "name": "Case worker", "usesAiSystems": false, "orgUnitId": ministry,
                "requirements": [{ "competenceId": information, "level": 4 }, { "competenceId": safety, "level": 2 }] } }),
            &admin,
        )
        .await["createJobRole"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.ok(
        "mutation($user: ID!, $role: ID) { assignJobRole(userId: $user, jobRoleId: $role) { id } }",
        json!({ "user": me, "role": role }),
        &admin,
    )
    .await;
    published_course_for(&app, &trainer, "Evaluating information", 1, "1.2", 3).await;
    let (protecting, lessons) =
        published_course_for(&app, &trainer, "Protecting data", 1, "4.2", 2).await;
    published_course_for(&app, &trainer, "Unrelated", 1, "2.1", 5).await;

    let profile_query = "{ myCompetenceProfile { totalGap competences { competence { id }
        currentLevel source selfAssessed requiredLevel gap } } }";
    let profile = app.ok(profile_query, json!({}), &learner).await;
    assert_eq!(profile["myCompetenceProfile"]["totalGap"], 6, "{profile}");
    // The biggest gap first.
    assert_eq!(
        recommended(&app, &learner).await,
        ["Evaluating information", "Protecting data"]
    );

    // The dashboard asks for both at once: they share one read of the profile, so the profile
    // costs no statement beside the recommendations, and both answer as they do alone.
    let recommendations_query = "{ myRecommendations(first: 5) { title } }";
    let both_query = "{ myCompetenceProfile { totalGap competences { competence { id }
        currentLevel source selfAssessed requiredLevel gap } } myRecommendations(first: 5) { title } }";
    let both = app.ok(both_query, json!({}), &learner).await;
    assert_eq!(both["myCompetenceProfile"], profile["myCompetenceProfile"]);
    assert_eq!(
        both["myRecommendations"],
        json!([{ "title": "Evaluating information" }, { "title": "Protecting data" }])
    );
    let alone = app
        .statements_for(recommendations_query, json!({}), &learner)
        .await;
    let together = app.statements_for(both_query, json!({}), &learner).await;
    assert_eq!(
        together, alone,
        "recommendations alone cost {alone} statements, with the profile {together}"
    );

    let assessed = app
        .ok(
            "mutation($ratings: [SelfRatingInput!]!) { submitSelfAssessment(ratings: $ratings) { totalGap
                competences { competence { id } currentLevel source selfAssessed requiredLevel gap } } }",
            json!({ "ratings": [{ "competenceId": information, "level": 3 }] }),
            &learner,
        )
        .await;
    let entry = assessed["submitSelfAssessment"]["competences"]
        .as_array()
        .expect("competences")
        .iter()
        .find(|entry| entry["competence"]["id"] == information.as_str())
        .cloned()
        .expect("the rated competence");
    assert_eq!(entry["currentLevel"], 3);
    assert_eq!(entry["source"], "SELF");
    assert_eq!(entry["selfAssessed"], true);
    assert_eq!(entry["requiredLevel"], 4);
    assert_eq!(entry["gap"], 1);
    assert_eq!(assessed["submitSelfAssessment"]["totalGap"], 3);
    // A course aiming at level 3 no longer closes a gap at level 3.
    assert_eq!(recommended(&app, &learner).await, ["Protecting data"]);

    // Out-of-range levels are refused.
    let invalid = app
        .gql(
            "mutation($ratings: [SelfRatingInput!]!) { submitSelfAssessment(ratings: $ratings) { totalGap } }",
            json!({ "ratings": [{ "competenceId": information, "level": 99 }] }),
            Some(&learner),
        )
        .await;
    assert_error(&invalid, "BAD_USER_INPUT", Some("ratings"));

    // A completed course is not recommended again.
    enroll(&app, &learner, &protecting).await;
    complete(&app, &learner, &lessons[0]).await;
    assert!(recommended(&app, &learner).await.is_empty());
}

#[tokio::test]
async fn hr_assigns_a_departments_course_only_to_staff_who_can_take_it() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner1 = app.login(LEARNER1, PASSWORD).await;
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let (learner1, learner2) = (
        user_id(&app, &learner1).await,
        user_id(&app, &learner2).await,
    );
    let (course, _) = published_course_of(
        &app,
        &trainer,
        "Department of Citizen Services",
        "Counter service",
        1,
        "1.2",
        3,
    )
    .await;
    let enrollments = app.count("enrollments").await;

    // Luis works in the other department and cannot take the course.
    let refused = assign(&app, &hr, &course, &[&learner1, &learner2], Value::Null).await;
    assert_error(&refused, "BAD_USER_INPUT", Some("userIds"));
    assert_eq!(app.count("enrollments").await, enrollments);

    let ok = assign(&app, &hr, &course, &[&learner1], Value::Null).await;
    assert_eq!(ok["data"]["assignCourse"][0]["source"], "ASSIGNED", "{ok}");
}

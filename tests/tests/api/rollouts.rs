//! Rollouts (issue 18): planning training against a go-live date, launching it (assignments for
//! what each affected person lacks), and readiness day by day, with the access-gate list.
//!
//! The organisation used by most tests, inside the demo ministry:
//!
//! ```text
//! Department of Citizen Services   Lena (demo learner 1)
//! ├── Permits                      Paula, Peter
//! └── Registry                     Rita
//! Department of Data and AI        Luis (demo learner 2), the demo trainer
//! ```
//!
//! The rollout of the "e-permit service" in Citizen Services requires DigComp 1.1 and 1.2 at
//! level 2; course A teaches 1.1, course B teaches 1.2; the assessment has one level-2 question
//! on each (answering one right verifies level 2 in it).

use chrono::{DateTime, Duration, Timelike as _, Utc};
use govskills_domain::{entities::competence_result::ResultSource, learning, scale};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    assessments::{create_assessment, split_options, start, submit},
    helpers::{
        ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, digcomp, get_csv,
        parse_csv, spawn_app, spawn_app_with, wide_batch_window,
    },
    learning::{complete, id_of, user_id},
};

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const CITIZEN_SERVICES: &str = "Department of Citizen Services";
const DATA_AND_AI: &str = "Department of Data and AI";
const SERVICE: &str = "e-permit service";

const ROLLOUT_FIELDS: &str = "id name description service goLiveOn leadTimeDays trainingDueOn
    readinessTarget readyByCourses status launchedAt createdAt updatedAt
    orgUnit { id } aiSystem { id }
    affectedUnits { orgUnit { id } includeSubunits }
    jobRoles { id }
    requirements { competence { id } level }
    courses { id }
    assessment { id }";

const READINESS: &str = "query($id: ID!, $first: Int) { rolloutReadiness(rolloutId: $id) {
    rollout { id status }
    affected ready inTraining notStarted overdue readyPercent target projectedPercent status
    competences { competence { id } level below averageShortfall }
    subunits { orgUnit { id name } affected suppressed ready readyPercent }
    history { day affected ready readyPercent }
    notReady(first: $first) {
        pageInfo { hasNextPage endCursor }
        edges { node {
            user { id displayName } orgUnit { id name } status
            missing { competence { id } level }
        } }
    }
} }";

/// The tables a refused request must leave as they were.
const TABLES: [&str; 5] = [
    "rollouts",
    "rollout_assignments",
    "rollout_snapshots",
    "enrollments",
    "audit_events",
];

async fn rows(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push((table, app.count(table).await));
    }
    counts
}

/// Today (UTC) plus `offset` days, as a GraphQL `Date`.
fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

/// The end of the day `offset` days from today: when a rollout assignment falls due.
fn end_of_day(offset: i64) -> DateTime<Utc> {
    (Utc::now().date_naive() + Duration::days(offset))
        .and_hms_opt(23, 59, 59)
        .expect("a time")
        .and_utc()
}

#[track_caller]
fn assert_due_at(at: &Value, offset: i64) {
    let parsed: DateTime<Utc> = at
        .as_str()
        .unwrap_or_else(|| panic!("a due date, not {at}"))
        .parse()
        .expect("an RFC 3339 date-time");
    let parsed = parsed.with_nanosecond(0).expect("a time without fractions");
    assert_eq!(
        parsed,
        end_of_day(offset),
        "due {at}, expected the end of {}",
        day(offset)
    );
}

#[track_caller]
fn assert_ok(response: &Value) {
    assert!(response.get("errors").is_none(), "{response}");
}

/// Asserts a refusal: its code, its `extensions.field` (one of `fields`, when given) and a
/// message naming what to fix (containing one of each group of `words`, ignoring case, spaces
/// and hyphens).
#[track_caller]
fn assert_refused(response: &Value, code: &str, fields: &[&str], words: &[&[&str]]) {
    assert_error(response, code, None);
    if !fields.is_empty() {
        let field = response["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap_or_else(|| panic!("no extensions.field (expected {fields:?}) in {response}"));
        assert!(
            fields.contains(&field),
            "field {field}, expected one of {fields:?}: {response}"
        );
    }
    let normalise = |s: &str| -> String {
        s.to_lowercase()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .collect()
    };
    let message = normalise(
        response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default(),
    );
    assert!(!message.is_empty(), "an empty message: {response}");
    for group in words {
        assert!(
            group.iter().any(|word| message.contains(&normalise(word))),
            "the message should mention one of {group:?}: {response}"
        );
    }
}

/// The `data.<field>` of a response that must have succeeded.
#[track_caller]
fn data<'a>(response: &'a Value, field: &str) -> &'a Value {
    assert_ok(response);
    &response["data"][field]
}

struct Q {
    id: String,
    correct: Vec<String>,
    wrong: Vec<String>,
}

struct World {
    admin: String,
    hr: String,
    trainer: String,
    ministry: String,
    citizen: String,
    data_ai: String,
    permits: String,
    registry: String,
    c11: String,
    c12: String,
    course_a: String,
    lessons_a: Vec<String>,
    course_b: String,
    assessment: String,
    q11: Q,
    q12: Q,
    lena: (String, String),
    paula: (String, String),
    peter: (String, String),
    rita: (String, String),
}

async fn create_unit(app: &TestApp, admin: &str, name: &str, parent: &str) -> String {
    let response = app
        .gql(
            "mutation($input: CreateOrgUnitInput!) { createOrgUnit(input: $input) { id } }",
            json!({ "input": { "name": name, "parentId": parent } }),
            Some(admin),
        )
        .await;
    id_of(&response, "createOrgUnit")
}

/// A new person in `unit`, signed in: their id and token.
async fn person(app: &TestApp, admin: &str, name: &str, unit: &str) -> (String, String) {
    let email = format!("{}@rollout.test", name.to_lowercase());
    let response = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "email": email, "displayName": name, "password": PASSWORD,
                "orgUnitId": unit } }),
            Some(admin),
        )
        .await;
    let id = id_of(&response, "createUser");
    (id, app.login(&email, PASSWORD).await)
}

async fn job_role(app: &TestApp, admin: &str, name: &str, unit: &str) -> String {
    let response = app
        .gql(
            "mutation($input: CreateJobRoleInput!) { createJobRole(input: $input) { id } }",
            json!({ "input": { "name": name, "usesAiSystems": false, "orgUnitId": unit,
                "requirements": [] } }),
            Some(admin),
        )
        .await;
    id_of(&response, "createJobRole")
}

async fn give_job_role(app: &TestApp, admin: &str, user: &str, role: &str) {
    app.ok(
        "mutation($user: ID!, $role: ID) { assignJobRole(userId: $user, jobRoleId: $role) { id } }",
        json!({ "user": user, "role": role }),
        admin,
    )
    .await;
}

/// A published course owned by `unit` teaching each `(competence, target level)`, with
/// `lessons` text lessons; its id and its lessons' ids.
async fn course(
    app: &TestApp,
    author: &str,
    unit: &str,
    title: &str,
    teaches: &[(&str, i32)],
    lessons: usize,
) -> (String, Vec<String>) {
    let targets: Vec<Value> = teaches
        .iter()
        .map(|(competence, level)| json!({ "competenceId": competence, "targetLevel": level }))
        .collect();
    let created = app
        .gql(
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": { "title": title, "language": "en", "orgUnitId": unit,
                "competenceTargets": targets } }),
            Some(author),
        )
        .await;
    let course = id_of(&created, "createCourse");
    let module = app
        .gql(
            "mutation($course: ID!) { addModule(courseId: $course, input: { title: \"Basics\" }) { id } }",
            json!({ "course": course }),
            Some(author),
        )
        .await;
    let module = id_of(&module, "addModule");
    let mut ids = Vec::new();
    for i in 0..lessons {
        let lesson = app
            .gql(
                "mutation($module: ID!, $input: AddLessonInput!) { addLesson(moduleId: $module, input: $input) { id } }",
                json!({ "module": module, "input": { "title": format!("Lesson {i}"),
                    "kind": "TEXT", "markdown": "Hello", "estimatedMinutes": 5 } }),
                Some(author),
            )
            .await;
        ids.push(id_of(&lesson, "addLesson"));
    }
    let published = app
        .gql(
            "mutation($id: ID!) { publishCourse(courseId: $id) { status } }",
            json!({ "id": course }),
            Some(author),
        )
        .await;
    assert_eq!(
        published["data"]["publishCourse"]["status"], "PUBLISHED",
        "{published}"
    );
    (course, ids)
}

/// A level-2 single-choice question on `competence` in the ministry's bank.
async fn question(app: &TestApp, trainer: &str, unit: &str, competence: &str, marker: &str) -> Q {
    let data = app
        .ok(
            "mutation($input: CreateQuestionInput!) { createQuestion(input: $input) {
                id options { id text correct } } }",
            json!({ "input": {
                "orgUnitId": unit, "competenceId": competence, "level": 2,
                "kind": "SINGLE_CHOICE", "prompt": format!("{marker}: which is right?"),
                "explanation": "Because.", "points": 1,
                "options": [
                    { "text": format!("{marker} right"), "correct": true },
                    { "text": format!("{marker} wrong A"), "correct": false },
                    { "text": format!("{marker} wrong B"), "correct": false },
                ],
            } }),
            trainer,
        )
        .await;
    let (correct, wrong) = split_options(&data["createQuestion"]);
    Q {
        id: data["createQuestion"]["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        correct,
        wrong,
    }
}

/// Takes the world's assessment as `token`, answering 1.1 and 1.2 rightly or wrongly: a
/// right answer verifies level 2 in that competence, a wrong one level 0.
async fn take_assessment(
    app: &TestApp,
    world: &World,
    token: &str,
    right_11: bool,
    right_12: bool,
) {
    let attempt = start(app, token, &world.assessment).await;
    let attempt = attempt["id"].as_str().expect("attempt id").to_owned();
    for (q, right) in [(&world.q11, right_11), (&world.q12, right_12)] {
        let answer = if right {
            q.correct.clone()
        } else {
            vec![q.wrong[0].clone()]
        };
        let saved = app
            .gql(
                "mutation($a: ID!, $q: ID!, $answer: [String!]!) { saveAnswer(attemptId: $a, questionId: $q, answer: $answer) }",
                json!({ "a": attempt, "q": q.id, "answer": answer }),
                Some(token),
            )
            .await;
        assert_eq!(saved["data"]["saveAnswer"], true, "{saved}");
    }
    let submitted = submit(app, token, &attempt).await;
    assert_eq!(
        submitted["data"]["submitAttempt"]["status"], "SUBMITTED",
        "{submitted}"
    );
}

async fn build_world(app: &TestApp) -> World {
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let citizen = app.org_unit_id(&admin, CITIZEN_SERVICES).await;
    let data_ai = app.org_unit_id(&admin, DATA_AND_AI).await;
    let permits = create_unit(app, &admin, "Permits", &citizen).await;
    let registry = create_unit(app, &admin, "Registry", &citizen).await;
    let c11 = digcomp(app, "1.1").await;
    let c12 = digcomp(app, "1.2").await;
    let (course_a, lessons_a) = course(
        app,
        &trainer,
        &ministry,
        "Searching the e-permit register",
        &[(&c11, 3)],
        2,
    )
    .await;
    let (course_b, _) = course(
        app,
        &trainer,
        &ministry,
        "Checking e-permit documents",
        &[(&c12, 3)],
        2,
    )
    .await;
    let q11 = question(app, &trainer, &ministry, &c11, "Q11").await;
    let q12 = question(app, &trainer, &ministry, &c12, "Q12").await;
    let assessment = create_assessment(
        app,
        &trainer,
        json!({ "title": "E-permit readiness check", "questionIds": [q11.id, q12.id] }),
    )
    .await;
    let lena_token = app.login(LEARNER1, PASSWORD).await;
    let lena = (user_id(app, &lena_token).await, lena_token);
    let paula = person(app, &admin, "Paula", &permits).await;
    let peter = person(app, &admin, "Peter", &permits).await;
    let rita = person(app, &admin, "Rita", &registry).await;
    World {
        admin,
        hr,
        trainer,
        ministry,
        citizen,
        data_ai,
        permits,
        registry,
        c11,
        c12,
        course_a,
        lessons_a,
        course_b,
        assessment,
        q11,
        q12,
        lena,
        paula,
        peter,
        rita,
    }
}

/// The rollout of the e-permit service in Citizen Services (with its sub-units), go-live in
/// 42 days with a 14-day lead time, with `changes` applied (a `null` removes a field).
fn rollout_input(world: &World, changes: Value) -> Value {
    let mut input = json!({
        "orgUnitId": world.citizen,
        "name": "E-permit go-live",
        "description": "Permits move to the new e-permit service.",
        "service": SERVICE,
        "goLiveOn": day(42),
        "leadTimeDays": 14,
        "readinessTarget": 80,
        "affectedUnits": [{ "orgUnitId": world.citizen, "includeSubunits": true }],
        "requirements": [
            { "competenceId": world.c11, "level": 2 },
            { "competenceId": world.c12, "level": 2 },
        ],
        "courseIds": [world.course_a, world.course_b],
        "assessmentId": world.assessment,
    });
    for (key, value) in changes.as_object().expect("an object") {
        if value.is_null() {
            input.as_object_mut().expect("object").remove(key);
        } else {
            input[key] = value.clone();
        }
    }
    input
}

async fn try_create(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($input: CreateRolloutInput!) {{ createRollout(input: $input) {{ {ROLLOUT_FIELDS} }} }}"
        ),
        json!({ "input": input }),
        token,
    )
    .await
}

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    data(&try_create(app, Some(token), input).await, "createRollout").clone()
}

async fn update(app: &TestApp, token: Option<&str>, id: &str, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($id: ID!, $input: UpdateRolloutInput!) {{ updateRollout(id: $id, input: $input) {{ {ROLLOUT_FIELDS} }} }}"
        ),
        json!({ "id": id, "input": input }),
        token,
    )
    .await
}

async fn launch(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    app.gql(
        &format!("mutation($id: ID!) {{ launchRollout(id: $id) {{ {ROLLOUT_FIELDS} }} }}"),
        json!({ "id": id }),
        token,
    )
    .await
}

async fn try_readiness(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    app.gql(READINESS, json!({ "id": id, "first": 20 }), token)
        .await
}

async fn readiness(app: &TestApp, token: &str, id: &str) -> Value {
    data(
        &try_readiness(app, Some(token), id).await,
        "rolloutReadiness",
    )
    .clone()
}

async fn list(app: &TestApp, token: Option<&str>, unit: &str) -> Value {
    app.gql(
        "query($unit: ID!) { rollouts(orgUnitId: $unit) { id name status goLiveOn } }",
        json!({ "unit": unit }),
        token,
    )
    .await
}

/// The ids of the rollouts `rollouts(orgUnitId)` lists.
async fn listed(app: &TestApp, token: &str, unit: &str) -> Vec<String> {
    data(&list(app, Some(token), unit).await, "rollouts")
        .as_array()
        .expect("rollouts")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The signed-in person's enrolments, with the rollout each came from.
async fn my_enrollments(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(
        "{ myEnrollments(first: 100) { edges { node {
            id status source dueAt completedAt course { id }
            rollout { id name service goLiveOn trainingDueOn reason }
        } } } }",
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

/// The signed-in person's enrolment in `course`, if any.
async fn enrollment_in(app: &TestApp, token: &str, course: &str) -> Option<Value> {
    my_enrollments(app, token)
        .await
        .into_iter()
        .find(|e| e["course"]["id"] == course)
}

/// The course ids of the signed-in person's enrolments, sorted.
async fn enrolled_courses(app: &TestApp, token: &str) -> Vec<String> {
    let mut courses: Vec<String> = my_enrollments(app, token)
        .await
        .iter()
        .map(|e| e["course"]["id"].as_str().expect("course id").to_owned())
        .collect();
    courses.sort();
    courses
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

/// The not-ready people of a readiness answer as `(user id, status, [(competence, level)])`.
/// A not-ready person: user id, status, missing `(competence, level)`s.
type NotReady = (String, String, Vec<(String, i64)>);

fn not_ready(readiness: &Value) -> Vec<NotReady> {
    let mut people: Vec<NotReady> = readiness["notReady"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            let mut missing: Vec<(String, i64)> = node["missing"]
                .as_array()
                .expect("missing")
                .iter()
                .map(|m| {
                    (
                        m["competence"]["id"].as_str().expect("id").to_owned(),
                        m["level"].as_i64().expect("level"),
                    )
                })
                .collect();
            missing.sort();
            (
                node["user"]["id"].as_str().expect("id").to_owned(),
                node["status"].as_str().expect("status").to_owned(),
                missing,
            )
        })
        .collect();
    people.sort();
    people
}

/// The counts of a readiness answer: `[affected, ready, inTraining, notStarted, overdue]`,
/// after checking that they add up.
#[track_caller]
fn counts(readiness: &Value) -> [i64; 5] {
    let get = |key: &str| {
        readiness[key]
            .as_i64()
            .unwrap_or_else(|| panic!("{key}: {readiness}"))
    };
    let counts = [
        get("affected"),
        get("ready"),
        get("inTraining"),
        get("notStarted"),
        get("overdue"),
    ];
    assert_eq!(
        counts[0],
        counts[1..].iter().sum::<i64>(),
        "ready + inTraining + notStarted + overdue = affected: {readiness}"
    );
    counts
}

/// Checks the percentages and the status of a readiness answer agree with each other.
#[track_caller]
fn assert_consistent(readiness: &Value) {
    let [affected, ready, ..] = counts(readiness);
    let percent = readiness["readyPercent"].as_f64().expect("readyPercent");
    let expected = if affected == 0 {
        0.0
    } else {
        100.0 * ready as f64 / affected as f64
    };
    assert!(
        (percent - expected).abs() < 0.01,
        "readyPercent: {readiness}"
    );
    let projected = readiness["projectedPercent"]
        .as_f64()
        .expect("projectedPercent");
    assert!(
        (0.0..=100.0).contains(&projected),
        "projectedPercent out of range: {readiness}"
    );
    let target = readiness["target"].as_f64().expect("target");
    let on_track = projected >= target || percent >= target;
    assert_eq!(
        readiness["status"],
        if on_track { "ON_TRACK" } else { "AT_RISK" },
        "status against projectedPercent and target: {readiness}"
    );
}

fn competence_row<'a>(readiness: &'a Value, competence: &str) -> &'a Value {
    readiness["competences"]
        .as_array()
        .expect("competences")
        .iter()
        .find(|c| c["competence"]["id"] == competence)
        .unwrap_or_else(|| panic!("{competence} in {readiness}"))
}

fn subunit_row<'a>(readiness: &'a Value, unit: &str) -> &'a Value {
    readiness["subunits"]
        .as_array()
        .expect("subunits")
        .iter()
        .find(|s| s["orgUnit"]["id"] == unit)
        .unwrap_or_else(|| panic!("sub-unit {unit} in {readiness}"))
}

fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {value}"))
        .to_owned()
}

fn access_gate_path(rollout: &str) -> String {
    format!("/reports/rollouts/{rollout}/access-gate.csv")
}

#[tokio::test]
async fn hr_plans_launches_and_watches_a_rollout_become_ready() {
    let app = spawn_app().await;
    let w = build_world(&app).await;
    let hr_id = user_id(&app, &w.hr).await;
    // Before the rollout exists, Peter passes a placement test in 1.1 (but not 1.2).
    take_assessment(&app, &w, &w.peter.1, true, false).await;

    let rollout = create(&app, &w.hr, rollout_input(&w, json!({}))).await;
    let rollout_id = id(&rollout);
    assert_eq!(rollout["status"], "DRAFT");
    assert_eq!(rollout["name"], "E-permit go-live");
    assert_eq!(rollout["service"], SERVICE);
    assert_eq!(rollout["orgUnit"]["id"], w.citizen.as_str());
    assert_eq!(rollout["goLiveOn"], day(42));
    assert_eq!(rollout["leadTimeDays"], 14);
    assert_eq!(rollout["trainingDueOn"], day(28));
    assert_eq!(rollout["readinessTarget"], 80);
    assert_eq!(rollout["readyByCourses"], false);
    assert_eq!(rollout["launchedAt"], Value::Null);
    assert_eq!(rollout["aiSystem"], Value::Null);
    assert_eq!(rollout["assessment"]["id"], w.assessment.as_str());
    assert_eq!(
        rollout["affectedUnits"],
        json!([{ "orgUnit": { "id": w.citizen }, "includeSubunits": true }])
    );
    assert_eq!(rollout["jobRoles"], json!([]));
    let mut requirements: Vec<(String, i64)> = rollout["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .map(|r| (id(&r["competence"]), r["level"].as_i64().expect("level")))
        .collect();
    requirements.sort();
    let mut both_requirements = vec![(w.c11.clone(), 2), (w.c12.clone(), 2)];
    both_requirements.sort();
    assert_eq!(requirements, both_requirements);
    let mut courses: Vec<String> = rollout["courses"]
        .as_array()
        .expect("courses")
        .iter()
        .map(id)
        .collect();
    courses.sort();
    assert_eq!(courses, sorted(&[&w.course_a, &w.course_b]));
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "rollout.created");
    assert_eq!(actor.as_deref(), Some(hr_id.as_str()));
    assert_eq!(target.as_deref(), Some(rollout_id.as_str()));
    // Listed for its unit and for the ministry above it; readable by id.
    assert_eq!(listed(&app, &w.hr, &w.citizen).await, [rollout_id.as_str()]);
    assert_eq!(
        listed(&app, &w.hr, &w.ministry).await,
        [rollout_id.as_str()]
    );
    let read = app
        .ok(
            &format!("query($id: ID!) {{ rollout(id: $id) {{ {ROLLOUT_FIELDS} }} }}"),
            json!({ "id": rollout_id }),
            &w.hr,
        )
        .await;
    assert_eq!(read["rollout"], rollout);
    // A draft assigns nothing.
    assert!(my_enrollments(&app, &w.lena.1).await.is_empty());

    let enrollments = app.count("enrollments").await;
    let launched = data(
        &launch(&app, Some(&w.hr), &rollout_id).await,
        "launchRollout",
    )
    .clone();
    assert_eq!(launched["status"], "LAUNCHED");
    assert!(launched["launchedAt"].is_string(), "{launched}");
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "rollout.launched");
    assert_eq!(actor.as_deref(), Some(hr_id.as_str()));
    assert_eq!(target.as_deref(), Some(rollout_id.as_str()));

    // Lena, Paula and Rita get both courses; Peter, verified in 1.1 already, only course B.
    assert_eq!(app.count("enrollments").await, enrollments + 7);
    let both = sorted(&[&w.course_a, &w.course_b]);
    for who in [&w.lena, &w.paula, &w.rita] {
        assert_eq!(enrolled_courses(&app, &who.1).await, both);
    }
    assert_eq!(
        enrolled_courses(&app, &w.peter.1).await,
        [w.course_b.as_str()]
    );
    // Luis in Data and AI is not affected.
    let luis = app.login(LEARNER2, PASSWORD).await;
    assert!(my_enrollments(&app, &luis).await.is_empty());
    for enrollment in my_enrollments(&app, &w.lena.1).await {
        assert_eq!(enrollment["status"], "ACTIVE", "{enrollment}");
        assert_eq!(enrollment["source"], "ASSIGNED", "{enrollment}");
        assert_due_at(&enrollment["dueAt"], 28);
        let from = &enrollment["rollout"];
        assert_eq!(from["id"], rollout_id.as_str(), "{enrollment}");
        assert_eq!(from["name"], "E-permit go-live");
        assert_eq!(from["service"], SERVICE);
        assert_eq!(from["goLiveOn"], day(42));
        assert_eq!(from["trainingDueOn"], day(28));
        let reason = from["reason"].as_str().expect("a reason");
        assert!(
            reason.contains(SERVICE) && reason.contains(&day(42)),
            "the reason names the service and the go-live day: {reason}"
        );
    }

    // Nobody is ready yet: Peter lacks 1.2.
    let figures = readiness(&app, &w.hr, &rollout_id).await;
    assert_eq!(figures["rollout"]["id"], rollout_id.as_str());
    assert_eq!(counts(&figures), [4, 0, 0, 4, 0]);
    assert_eq!(figures["readyPercent"], 0.0);
    assert_eq!(figures["target"], 80);
    assert_consistent(&figures);
    let c11 = competence_row(&figures, &w.c11);
    assert_eq!(c11["level"], 2);
    assert_eq!(c11["below"], 3, "Peter's verified 1.1 is enough: {figures}");
    assert_eq!(c11["averageShortfall"], 2.0);
    let c12 = competence_row(&figures, &w.c12);
    assert_eq!(c12["below"], 4);
    assert_eq!(c12["averageShortfall"], 2.0);
    assert_eq!(
        figures["subunits"]
            .as_array()
            .expect("subunits")
            .iter()
            .map(|s| s["orgUnit"]["name"].clone())
            .collect::<Vec<_>>(),
        ["Permits", "Registry"]
    );
    assert_eq!(
        subunit_row(&figures, &w.permits),
        &json!({ "orgUnit": { "id": w.permits, "name": "Permits" }, "affected": 2,
            "suppressed": false, "ready": 0, "readyPercent": 0.0 })
    );
    assert_eq!(subunit_row(&figures, &w.registry)["affected"], 1);
    assert_eq!(
        figures["history"],
        json!([{ "day": day(0), "affected": 4, "ready": 0, "readyPercent": 0.0 }])
    );

    // Lena starts course A: in training.
    assert_ok(&complete(&app, &w.lena.1, &w.lessons_a[0]).await);
    let figures = readiness(&app, &w.hr, &rollout_id).await;
    assert_eq!(counts(&figures), [4, 0, 1, 3, 0]);
    assert_consistent(&figures);

    // Lena and Paula pass the assessment: both levels verified, so they are ready.
    take_assessment(&app, &w, &w.lena.1, true, true).await;
    take_assessment(&app, &w, &w.paula.1, true, true).await;
    let figures = readiness(&app, &w.hr, &rollout_id).await;
    assert_eq!(counts(&figures), [4, 2, 0, 2, 0]);
    assert_eq!(figures["readyPercent"], 50.0);
    assert_consistent(&figures);
    assert_eq!(competence_row(&figures, &w.c11)["below"], 1);
    assert_eq!(competence_row(&figures, &w.c12)["below"], 2);
    let permits = subunit_row(&figures, &w.permits);
    assert_eq!(permits["ready"], 1);
    assert_eq!(permits["readyPercent"], 50.0);
    assert_eq!(subunit_row(&figures, &w.registry)["ready"], 0);
    // One snapshot a day: today's, as it now stands.
    let history = figures["history"].as_array().expect("history");
    assert_eq!(history.len(), 1, "{figures}");
    assert_eq!(history[0]["day"], day(0));
    assert_eq!(history[0]["affected"], 4);
    // Peter misses 1.2, Rita both; neither has begun a rollout course.
    assert_eq!(not_ready(&figures), {
        let mut expected = vec![
            (
                w.peter.0.clone(),
                "NOT_STARTED".to_owned(),
                vec![(w.c12.clone(), 2)],
            ),
            (
                w.rita.0.clone(),
                "NOT_STARTED".to_owned(),
                both_requirements.clone(),
            ),
        ];
        expected.sort();
        expected
    });
    assert_eq!(figures["notReady"]["pageInfo"]["hasNextPage"], false);
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "rollout.not_ready_listed");
    assert_eq!(actor.as_deref(), Some(hr_id.as_str()));
    assert_eq!(target.as_deref(), Some(rollout_id.as_str()));

    // The access gate lists exactly the ready people.
    let response = get_csv(&app, &access_gate_path(&rollout_id), Some(&w.hr)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let csv = parse_csv(&response.text().await.expect("body"));
    assert_eq!(csv[0], ["user_id", "display_name", "email", "org_unit"]);
    let mut gate: Vec<Vec<String>> = csv[1..].to_vec();
    gate.sort();
    let mut expected_gate = vec![
        vec![
            w.lena.0.clone(),
            "Lena Learner".to_owned(),
            LEARNER1.to_owned(),
            CITIZEN_SERVICES.to_owned(),
        ],
        vec![
            w.paula.0.clone(),
            "Paula".to_owned(),
            "paula@rollout.test".to_owned(),
            "Permits".to_owned(),
        ],
    ];
    expected_gate.sort();
    assert_eq!(gate, expected_gate);
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "rollout.access_gate_exported");
    assert_eq!(actor.as_deref(), Some(hr_id.as_str()));
    assert_eq!(target.as_deref(), Some(rollout_id.as_str()));

    // Launching again changes nothing.
    let before = rows(&app).await;
    let again = data(
        &launch(&app, Some(&w.hr), &rollout_id).await,
        "launchRollout",
    )
    .clone();
    assert_eq!(again["status"], "LAUNCHED");
    assert_eq!(again["launchedAt"], launched["launchedAt"]);
    let after = rows(&app).await;
    assert_eq!(
        after[..4],
        before[..4],
        "a second launch assigns nothing and records nothing new"
    );
    assert_eq!(
        enrolled_courses(&app, &w.peter.1).await,
        [w.course_b.as_str()]
    );
}

#[tokio::test]
async fn a_completed_rollout_course_makes_ready_only_where_the_rollout_says_so() {
    let app = spawn_app().await;
    let w = build_world(&app).await;
    let only_11 = json!([{ "competenceId": w.c11, "level": 2 }]);
    let by_courses = create(
        &app,
        &w.hr,
        rollout_input(
            &w,
            json!({ "name": "By courses", "readyByCourses": true, "requirements": only_11,
                "courseIds": [w.course_a] }),
        ),
    )
    .await;
    assert_eq!(by_courses["readyByCourses"], true);
    let by_levels = create(
        &app,
        &w.hr,
        rollout_input(
            &w,
            json!({ "name": "By levels", "requirements": only_11, "courseIds": [w.course_a] }),
        ),
    )
    .await;
    assert_eq!(by_levels["readyByCourses"], false);
    for rollout in [&by_courses, &by_levels] {
        assert_ok(&launch(&app, Some(&w.hr), &id(rollout)).await);
    }
    // Both rollouts assign course A; Lena has one enrolment in it, and completes it.
    assert_eq!(
        enrolled_courses(&app, &w.lena.1).await,
        [w.course_a.as_str()]
    );
    for lesson in &w.lessons_a {
        assert_ok(&complete(&app, &w.lena.1, lesson).await);
    }
    let enrollment = enrollment_in(&app, &w.lena.1, &w.course_a)
        .await
        .expect("the assignment");
    assert_eq!(enrollment["status"], "COMPLETED");

    let figures = readiness(&app, &w.hr, &id(&by_courses)).await;
    assert_eq!(counts(&figures), [4, 1, 0, 3, 0]);
    assert_consistent(&figures);
    assert!(
        !not_ready(&figures)
            .iter()
            .any(|(user, ..)| *user == w.lena.0),
        "{figures}"
    );
    let response = get_csv(&app, &access_gate_path(&id(&by_courses)), Some(&w.hr)).await;
    let csv = parse_csv(&response.text().await.expect("body"));
    assert_eq!(csv.len(), 2, "{csv:?}");
    assert_eq!(csv[1][0], w.lena.0);

    // Without readyByCourses, Lena's level is still unverified: in training (a completed
    // enrolment in a rollout course), not ready.
    let figures = readiness(&app, &w.hr, &id(&by_levels)).await;
    assert_eq!(counts(&figures), [4, 0, 1, 3, 0]);
    assert_consistent(&figures);
    let lena = not_ready(&figures)
        .into_iter()
        .find(|(user, ..)| *user == w.lena.0)
        .expect("Lena is not ready");
    assert_eq!(lena.1, "IN_TRAINING");
    assert_eq!(lena.2, [(w.c11.clone(), 2)]);
}

#[tokio::test]
async fn people_who_join_an_affected_unit_or_job_role_later_get_the_assignment() {
    let app = spawn_app().await;
    let w = build_world(&app).await;
    let clerk = job_role(&app, &w.admin, "Permit clerk", &w.ministry).await;
    let (course_c, _) = course(
        &app,
        &w.trainer,
        &w.ministry,
        "E-permit desk procedures",
        &[(&w.c11, 3)],
        1,
    )
    .await;
    let by_unit = create(&app, &w.hr, rollout_input(&w, json!({}))).await;
    let by_role = create(
        &app,
        &w.hr,
        rollout_input(
            &w,
            json!({ "name": "Clerks", "affectedUnits": [], "jobRoleIds": [clerk],
                "requirements": [{ "competenceId": w.c11, "level": 2 }],
                "courseIds": [course_c], "assessmentId": null }),
        ),
    )
    .await;
    assert_eq!(by_role["jobRoles"], json!([{ "id": clerk }]));
    for rollout in [&by_unit, &by_role] {
        assert_ok(&launch(&app, Some(&w.hr), &id(rollout)).await);
    }
    // Nobody holds the clerk role yet.
    assert_eq!(counts(&readiness(&app, &w.hr, &id(&by_role)).await)[0], 0);

    // Nora joins Permits after the launch: she gets both courses, due as everyone's.
    let nora = person(&app, &w.admin, "Nora", &w.permits).await;
    assert_eq!(
        enrolled_courses(&app, &nora.1).await,
        sorted(&[&w.course_a, &w.course_b])
    );
    for enrollment in my_enrollments(&app, &nora.1).await {
        assert_eq!(enrollment["source"], "ASSIGNED");
        assert_due_at(&enrollment["dueAt"], 28);
        assert_eq!(enrollment["rollout"]["id"], id(&by_unit).as_str());
    }
    assert_eq!(counts(&readiness(&app, &w.hr, &id(&by_unit)).await)[0], 5);

    // Rita becomes a clerk: she gets the clerks' course too.
    assert!(enrollment_in(&app, &w.rita.1, &course_c).await.is_none());
    give_job_role(&app, &w.admin, &w.rita.0, &clerk).await;
    let assigned = enrollment_in(&app, &w.rita.1, &course_c)
        .await
        .expect("the clerks' course after the job role");
    assert_eq!(assigned["source"], "ASSIGNED");
    assert_due_at(&assigned["dueAt"], 28);
    assert_eq!(assigned["rollout"]["id"], id(&by_role).as_str());
    assert_eq!(assigned["rollout"]["name"], "Clerks");
    let figures = readiness(&app, &w.hr, &id(&by_role)).await;
    assert_eq!(counts(&figures), [1, 0, 0, 1, 0]);

    // A clerk outside Citizen Services is not affected.
    let luis = app.login(LEARNER2, PASSWORD).await;
    let luis_id = user_id(&app, &luis).await;
    give_job_role(&app, &w.admin, &luis_id, &clerk).await;
    assert!(my_enrollments(&app, &luis).await.is_empty());
    assert_eq!(counts(&readiness(&app, &w.hr, &id(&by_role)).await)[0], 1);
}

#[tokio::test]
async fn moving_the_go_live_date_moves_the_due_date_of_open_assignments() {
    let app = spawn_app().await;
    let w = build_world(&app).await;
    let rollout = create(&app, &w.hr, rollout_input(&w, json!({}))).await;
    let rollout_id = id(&rollout);
    assert_ok(&launch(&app, Some(&w.hr), &rollout_id).await);
    // Rita completes course A before the date moves.
    for lesson in &w.lessons_a {
        assert_ok(&complete(&app, &w.rita.1, lesson).await);
    }
    let done = enrollment_in(&app, &w.rita.1, &w.course_a)
        .await
        .expect("Rita's course A");
    assert_eq!(done["status"], "COMPLETED");
    assert_due_at(&done["dueAt"], 28);

    let moved = data(
        &update(
            &app,
            Some(&w.hr),
            &rollout_id,
            json!({ "goLiveOn": day(50), "name": "E-permit go-live (moved)" }),
        )
        .await,
        "updateRollout",
    )
    .clone();
    assert_eq!(moved["goLiveOn"], day(50));
    assert_eq!(moved["trainingDueOn"], day(36));
    assert_eq!(moved["name"], "E-permit go-live (moved)");
    assert_eq!(moved["status"], "LAUNCHED");
    assert_eq!(app.latest_audit_event().await.0, "rollout.updated");
    for course in [&w.course_a, &w.course_b] {
        let open = enrollment_in(&app, &w.lena.1, course)
            .await
            .expect("Lena's assignment");
        assert_due_at(&open["dueAt"], 36);
        assert_eq!(open["rollout"]["goLiveOn"], day(50));
        assert_eq!(open["rollout"]["trainingDueOn"], day(36));
    }
    let open = enrollment_in(&app, &w.rita.1, &w.course_b)
        .await
        .expect("Rita's course B");
    assert_due_at(&open["dueAt"], 36);
    // A completed assignment keeps its due date.
    let done_after = enrollment_in(&app, &w.rita.1, &w.course_a)
        .await
        .expect("Rita's course A");
    assert_eq!(done_after["dueAt"], done["dueAt"]);
    assert_eq!(done_after["completedAt"], done["completedAt"]);

    // A shorter lead time moves them again.
    let shorter = data(
        &update(&app, Some(&w.hr), &rollout_id, json!({ "leadTimeDays": 7 })).await,
        "updateRollout",
    )
    .clone();
    assert_eq!(shorter["trainingDueOn"], day(43));
    let open = enrollment_in(&app, &w.paula.1, &w.course_a)
        .await
        .expect("Paula's course A");
    assert_due_at(&open["dueAt"], 43);
    // Nothing was assigned twice.
    assert_eq!(my_enrollments(&app, &w.lena.1).await.len(), 2);
}

#[tokio::test]
async fn bad_rollout_input_is_refused_on_its_field_and_writes_nothing() {
    let app = spawn_app().await;
    let w = build_world(&app).await;
    let (unrelated, _) = course(
        &app,
        &w.trainer,
        &w.ministry,
        "Netiquette",
        &[(&digcomp(&app, "2.5").await, 3)],
        1,
    )
    .await;
    let unknown = Uuid::new_v4().to_string();
    let before = rows(&app).await;
    let go_live: &[&str] = &["go-live", "goLiveOn", "go live"];
    type Case<'a> = (&'a str, Value, &'a [&'a str], Vec<&'a [&'a str]>);
    let cases: Vec<Case<'_>> = vec![
        (
            "blank name",
            json!({ "name": "  " }),
            &["name"],
            vec![&["name"]],
        ),
        (
            "blank service",
            json!({ "service": "" }),
            &["service"],
            vec![&["service"]],
        ),
        (
            "go-live today",
            json!({ "goLiveOn": day(0) }),
            &["goLiveOn"],
            vec![go_live],
        ),
        (
            "go-live in the past",
            json!({ "goLiveOn": day(-3) }),
            &["goLiveOn"],
            vec![go_live],
        ),
        (
            "negative lead time",
            json!({ "leadTimeDays": -1 }),
            &["leadTimeDays"],
            vec![&["lead time", "leadTimeDays"], &["365"]],
        ),
        (
            "lead time over a year",
            json!({ "leadTimeDays": 366 }),
            &["leadTimeDays"],
            vec![&["lead time", "leadTimeDays"], &["365"]],
        ),
        (
            "target 0",
            json!({ "readinessTarget": 0 }),
            &["readinessTarget"],
            vec![&["target"], &["100"]],
        ),
        (
            "target 101",
            json!({ "readinessTarget": 101 }),
            &["readinessTarget"],
            vec![&["target"], &["100"]],
        ),
        (
            "level outside the framework",
            json!({ "requirements": [{ "competenceId": w.c11, "level": 99 }] }),
            &["requirements"],
            vec![&["level"], &["8"]],
        ),
        (
            "level 0",
            json!({ "requirements": [{ "competenceId": w.c11, "level": 0 }] }),
            &["requirements"],
            vec![&["level"], &["8"]],
        ),
        (
            "a competence twice",
            json!({ "requirements": [
                { "competenceId": w.c11, "level": 2 }, { "competenceId": w.c11, "level": 3 }] }),
            &["requirements"],
            vec![&["twice", "once", "duplicate", "more than one", "already"]],
        ),
        (
            "no requirement",
            json!({ "requirements": [], "courseIds": [w.course_a] }),
            &["requirements"],
            vec![&["requirement", "competence"]],
        ),
        (
            "unknown competence",
            json!({ "requirements": [{ "competenceId": unknown, "level": 2 }] }),
            &["requirements", "competenceId"],
            vec![&["competence"]],
        ),
        (
            "no course",
            json!({ "courseIds": [] }),
            &["courseIds"],
            vec![&["course"]],
        ),
        (
            "a course teaching none of the required competences",
            json!({ "courseIds": [w.course_a, w.course_b, unrelated] }),
            &["courseIds"],
            vec![&["teach"]],
        ),
        (
            "unknown course",
            json!({ "courseIds": [w.course_a, unknown] }),
            &["courseIds"],
            vec![&["course"]],
        ),
        (
            "nobody affected",
            json!({ "affectedUnits": [], "jobRoleIds": [] }),
            &["affectedUnits", "jobRoleIds"],
            vec![&["affected", "job role", "unit"]],
        ),
        (
            "an affected unit outside the rollout's unit",
            json!({ "affectedUnits": [{ "orgUnitId": w.data_ai, "includeSubunits": true }] }),
            &["affectedUnits"],
            vec![&[
                "outside", "inside", "within", "under", "subtree", "sub-unit", "part of",
            ]],
        ),
        (
            "unknown job role",
            json!({ "jobRoleIds": [unknown] }),
            &["jobRoleIds"],
            vec![&["job role", "jobRole"]],
        ),
    ];
    for (case, changes, fields, words) in cases {
        let response = try_create(&app, Some(&w.hr), rollout_input(&w, changes)).await;
        assert!(
            response["data"].is_null() || response["data"]["createRollout"].is_null(),
            "{case}: {response}"
        );
        let words: Vec<&[&str]> = words;
        assert_refused(&response, "BAD_USER_INPUT", fields, &words);
        assert_eq!(rows(&app).await, before, "{case} wrote something");
    }
    assert!(listed(&app, &w.hr, &w.citizen).await.is_empty());

    // A lead time longer than the time left: it can be planned, but not launched.
    let late = create(
        &app,
        &w.hr,
        rollout_input(&w, json!({ "goLiveOn": day(5), "leadTimeDays": 10 })),
    )
    .await;
    assert_eq!(late["trainingDueOn"], day(-5));
    let before = rows(&app).await;
    let refused = launch(&app, Some(&w.hr), &id(&late)).await;
    assert_refused(
        &refused,
        "BAD_USER_INPUT",
        &[],
        &[&["lead time"], &[&day(-5)], &["passed"]],
    );
    assert_eq!(rows(&app).await, before, "a refused launch wrote something");
    assert!(my_enrollments(&app, &w.lena.1).await.is_empty());
    let still = app
        .ok(
            "query($id: ID!) { rollout(id: $id) { status launchedAt } }",
            json!({ "id": id(&late) }),
            &w.hr,
        )
        .await;
    assert_eq!(
        still["rollout"],
        json!({ "status": "DRAFT", "launchedAt": null })
    );

    // Updates are checked the same way.
    for (changes, field) in [
        (json!({ "goLiveOn": day(0) }), "goLiveOn"),
        (json!({ "leadTimeDays": -1 }), "leadTimeDays"),
        (json!({ "readinessTarget": 101 }), "readinessTarget"),
        (json!({ "name": " " }), "name"),
        (
            json!({ "requirements": [{ "competenceId": w.c12, "level": 99 }] }),
            "requirements",
        ),
        (json!({ "courseIds": [unrelated] }), "courseIds"),
    ] {
        let response = update(&app, Some(&w.hr), &id(&late), changes.clone()).await;
        assert_error(&response, "BAD_USER_INPUT", Some(field));
        assert_eq!(rows(&app).await, before, "{changes} wrote something");
    }
}

#[tokio::test]
async fn launched_rollouts_keep_their_scope_and_closed_ones_cannot_change() {
    let app = spawn_app().await;
    let w = build_world(&app).await;
    let rollout = create(&app, &w.hr, rollout_input(&w, json!({}))).await;
    let rollout_id = id(&rollout);
    assert_ok(&launch(&app, Some(&w.hr), &rollout_id).await);
    let before = rows(&app).await;
    for changes in [
        json!({ "requirements": [{ "competenceId": w.c11, "level": 3 }] }),
        json!({ "courseIds": [w.course_a] }),
        json!({ "affectedUnits": [{ "orgUnitId": w.permits, "includeSubunits": true }] }),
    ] {
        let response = update(&app, Some(&w.hr), &rollout_id, changes.clone()).await;
        assert_error(&response, "CONFLICT", None);
        assert_eq!(rows(&app).await, before, "{changes} wrote something");
    }
    // The status may go to LIVE, then CLOSED; never back through update.
    let live = data(
        &update(&app, Some(&w.hr), &rollout_id, json!({ "status": "LIVE" })).await,
        "updateRollout",
    )
    .clone();
    assert_eq!(live["status"], "LIVE");
    let closed = data(
        &update(
            &app,
            Some(&w.hr),
            &rollout_id,
            json!({ "status": "CLOSED" }),
        )
        .await,
        "updateRollout",
    )
    .clone();
    assert_eq!(closed["status"], "CLOSED");
    let before = rows(&app).await;
    for changes in [
        json!({ "name": "Renamed" }),
        json!({ "goLiveOn": day(60) }),
        json!({ "status": "LIVE" }),
    ] {
        let response = update(&app, Some(&w.hr), &rollout_id, changes.clone()).await;
        assert_error(&response, "CONFLICT", None);
        assert_eq!(rows(&app).await, before, "{changes} wrote something");
    }
    let still = app
        .ok(
            "query($id: ID!) { rollout(id: $id) { name status goLiveOn } }",
            json!({ "id": rollout_id }),
            &w.hr,
        )
        .await;
    assert_eq!(
        still["rollout"],
        json!({ "name": "E-permit go-live", "status": "CLOSED", "goLiveOn": day(42) })
    );

    // A draft cannot be launched through updateRollout.
    let draft = create(&app, &w.hr, rollout_input(&w, json!({ "name": "Draft" }))).await;
    let before = rows(&app).await;
    let response = update(
        &app,
        Some(&w.hr),
        &id(&draft),
        json!({ "status": "LAUNCHED" }),
    )
    .await;
    assert!(
        matches!(
            response["errors"][0]["extensions"]["code"].as_str(),
            Some("BAD_USER_INPUT" | "CONFLICT")
        ),
        "{response}"
    );
    assert_eq!(rows(&app).await, before);
}

#[tokio::test]
async fn only_hr_covering_the_rollouts_unit_plans_launches_and_reads_it() {
    let app = spawn_app().await;
    let w = build_world(&app).await;
    let learner = w.lena.1.clone();
    let trainer = w.trainer.clone();
    // HR for the sibling department only.
    let sibling_hr = app
        .person_with_role(&w.admin, &w.data_ai, "hr-data@rollout.test", "HR")
        .await;

    let before = rows(&app).await;
    for token in [&learner, &trainer, &sibling_hr] {
        let response = try_create(&app, Some(token), rollout_input(&w, json!({}))).await;
        assert_error(&response, "FORBIDDEN", None);
        assert_eq!(rows(&app).await, before);
    }
    let anonymous = try_create(&app, None, rollout_input(&w, json!({}))).await;
    assert_error(&anonymous, "UNAUTHENTICATED", None);
    assert_eq!(rows(&app).await, before);
    assert!(listed(&app, &w.hr, &w.citizen).await.is_empty());

    let rollout = create(&app, &w.hr, rollout_input(&w, json!({}))).await;
    let rollout_id = id(&rollout);
    let before = rows(&app).await;
    for token in [&learner, &trainer, &sibling_hr] {
        assert_error(
            &launch(&app, Some(token), &rollout_id).await,
            "FORBIDDEN",
            None,
        );
        assert_error(
            &try_readiness(&app, Some(token), &rollout_id).await,
            "FORBIDDEN",
            None,
        );
        assert_error(
            &update(
                &app,
                Some(token),
                &rollout_id,
                json!({ "name": "Mine now" }),
            )
            .await,
            "FORBIDDEN",
            None,
        );
        assert_error(
            &list(&app, Some(token), &w.citizen).await,
            "FORBIDDEN",
            None,
        );
        let read = app
            .gql(
                "query($id: ID!) { rollout(id: $id) { id name } }",
                json!({ "id": rollout_id }),
                Some(token),
            )
            .await;
        assert_error(&read, "FORBIDDEN", None);
        let csv = get_csv(&app, &access_gate_path(&rollout_id), Some(token)).await;
        assert_eq!(csv.status(), 403);
        let body: Value = csv.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "FORBIDDEN", "{body}");
        assert_eq!(
            rows(&app).await,
            before,
            "a refused request wrote something"
        );
    }
    let anonymous = try_readiness(&app, None, &rollout_id).await;
    assert_error(&anonymous, "UNAUTHENTICATED", None);
    assert_eq!(
        get_csv(&app, &access_gate_path(&rollout_id), None)
            .await
            .status(),
        401
    );
    // Nothing was launched or assigned.
    assert!(my_enrollments(&app, &w.lena.1).await.is_empty());
    let still = app
        .ok(
            "query($id: ID!) { rollout(id: $id) { name status } }",
            json!({ "id": rollout_id }),
            &w.hr,
        )
        .await;
    assert_eq!(
        still["rollout"],
        json!({ "name": "E-permit go-live", "status": "DRAFT" })
    );
    // The sibling HR officer's own department lists none of it.
    assert!(listed(&app, &sibling_hr, &w.data_ai).await.is_empty());

    // Unknown ids.
    let unknown = Uuid::new_v4().to_string();
    let before = rows(&app).await;
    assert_error(
        &launch(&app, Some(&w.hr), &unknown).await,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &try_readiness(&app, Some(&w.hr), &unknown).await,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &update(&app, Some(&w.hr), &unknown, json!({ "name": "x" })).await,
        "NOT_FOUND",
        None,
    );
    let read = app
        .gql(
            "query($id: ID!) { rollout(id: $id) { id } }",
            json!({ "id": unknown }),
            Some(&w.hr),
        )
        .await;
    assert_error(&read, "NOT_FOUND", None);
    assert_eq!(
        get_csv(&app, &access_gate_path(&unknown), Some(&w.hr))
            .await
            .status(),
        404
    );
    assert_eq!(rows(&app).await, before);

    // A platform administrator may launch and read it.
    assert_ok(&launch(&app, Some(&w.admin), &rollout_id).await);
    assert_eq!(counts(&readiness(&app, &w.admin, &rollout_id).await)[0], 4);
}

#[tokio::test]
async fn small_sub_units_are_suppressed_and_their_members_named_nowhere() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(2)).await;
    let w = build_world(&app).await;
    let rollout = create(&app, &w.hr, rollout_input(&w, json!({}))).await;
    let rollout_id = id(&rollout);
    assert_ok(&launch(&app, Some(&w.hr), &rollout_id).await);

    let figures = readiness(&app, &w.hr, &rollout_id).await;
    // The rollout's own totals stay whole.
    assert_eq!(counts(&figures), [4, 0, 0, 4, 0]);
    // Permits has 2 affected (shown), Registry only Rita (suppressed).
    let permits = subunit_row(&figures, &w.permits);
    assert_eq!(permits["suppressed"], false);
    assert_eq!(permits["affected"], 2);
    assert_eq!(permits["ready"], 0);
    assert_eq!(permits["readyPercent"], 0.0);
    let registry = subunit_row(&figures, &w.registry);
    assert_eq!(registry["suppressed"], true, "{figures}");
    assert_eq!(registry["ready"], Value::Null);
    assert_eq!(registry["readyPercent"], Value::Null);
    let named: Vec<String> = not_ready(&figures)
        .into_iter()
        .map(|(user, ..)| user)
        .collect();
    assert_eq!(named, sorted(&[&w.lena.0, &w.paula.0, &w.peter.0]));
}

#[tokio::test]
async fn readiness_costs_the_same_statements_for_100_and_for_1000_affected_people() {
    // With a minimum group size, its statements run (1: and suppress nothing, so that both
    // organisations show alike); they read no unit one by one.
    let app = spawn_app_with(|config| {
        wide_batch_window(config);
        config.report_min_group_size = Some(1);
    })
    .await;
    let issuer = app.issuer().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let c11 = digcomp(&app, "1.1").await;
    let c21 = digcomp(&app, "2.1").await;
    let mut costs = Vec::new();
    for (name, staff) in [("Small ministry", 100), ("Larger ministry", 1000)] {
        let generated = scale::generate(&app.db, &issuer, name, staff, 11)
            .await
            .expect("the organisation is generated");
        let unit = generated.authority.id.to_string();
        let hr = app.login(&generated.hr_email, scale::PASSWORD).await;
        let (course_id, lessons) = course(
            &app,
            &admin,
            &unit,
            "New case system",
            &[(&c11, 4), (&c21, 4)],
            2,
        )
        .await;
        let rollout = create(
            &app,
            &hr,
            json!({
                "orgUnitId": unit, "name": "Case system", "service": "case system",
                "goLiveOn": day(42), "leadTimeDays": 14, "readinessTarget": 90,
                "affectedUnits": [{ "orgUnitId": unit }],
                "requirements": [
                    { "competenceId": c11, "level": 3 }, { "competenceId": c21, "level": 3 },
                ],
                "courseIds": [course_id],
            }),
        )
        .await;
        let rollout_id = id(&rollout);
        assert_ok(&launch(&app, Some(&hr), &rollout_id).await);
        let figures = readiness(&app, &hr, &rollout_id).await;
        let affected = counts(&figures)[0];
        assert!(
            affected >= i64::from(staff),
            "{affected} affected of {staff}"
        );
        // Generated staff rarely hold both levels: one is made ready (a verified result, as
        // an assessment records it), another starts the course.
        let slug = generated.authority.id.simple().to_string();
        let staff_token = |i: u32| {
            let email = format!("staff{i}-{}@scale.govskills.test", &slug[..8]);
            let app = &app;
            async move { app.login(&email, scale::PASSWORD).await }
        };
        let ready_one = user_id(&app, &staff_token(2).await).await;
        learning::record_results(
            &app.db,
            ready_one.parse().expect("user id"),
            &[
                (c11.parse().expect("competence id"), 8),
                (c21.parse().expect("competence id"), 8),
            ],
            ResultSource::Assessment,
            None,
            Utc::now(),
        )
        .await
        .expect("results recorded");
        assert_ok(&complete(&app, &staff_token(1).await, &lessons[0]).await);
        let figures = readiness(&app, &hr, &rollout_id).await;
        assert!(figures["ready"].as_i64().expect("ready") > 0, "{figures}");
        assert!(
            figures["inTraining"].as_i64().expect("in training") > 0,
            "{figures}"
        );
        assert_eq!(
            figures["notReady"]["edges"].as_array().map(Vec::len),
            Some(20),
            "a full first page"
        );
        let cost = app
            .statements_for(READINESS, json!({ "id": rollout_id, "first": 20 }), &hr)
            .await;
        costs.push((staff, affected, cost));
    }
    assert!(costs[1].1 > costs[0].1 * 5, "{costs:?}");
    assert_eq!(
        costs[0].2, costs[1].2,
        "statements per readiness: {costs:?}"
    );
}

#[tokio::test]
async fn the_worker_records_a_running_rollouts_readiness_every_day_nobody_looks() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let hr = app.login(HR, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let citizen = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let rollouts = app
        .ok(
            "query($u: ID!) { rollouts(orgUnitId: $u) { id assessment { title } } }",
            json!({ "u": citizen }),
            &hr,
        )
        .await;
    let rollout = rollouts["rollouts"][0]["id"].clone();
    assert_eq!(
        rollouts["rollouts"][0]["assessment"]["title"],
        govskills_domain::demo::PLACEMENT_TEST_TITLE,
        "the demo rollout's levels are proved by the placement test"
    );
    let days = async || -> Vec<String> {
        app.ok(
            "query($r: ID!) { rolloutReadiness(rolloutId: $r) { history { day } } }",
            json!({ "r": rollout }),
            &hr,
        )
        .await["rolloutReadiness"]["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|point| point["day"].as_str().expect("a day").to_owned())
            .collect()
    };
    let before = days().await;
    // The demo launched a week ago: seven days before today, and today.
    assert_eq!(before.len(), 8, "{before:?}");

    // Two days on, with nobody reading the report, the worker records each day once.
    let worker = app.spawn_replica(crate::helpers::with_workers).await;
    let mut expected = before.clone();
    for offset in 1..=2 {
        worker.clock.advance(Duration::days(1));
        let day = (Utc::now() + Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string();
        expected.push(day.clone());
        let mut found = false;
        for _ in 0..60 {
            let snapshots = rollout_snapshot_days(&app).await;
            if snapshots.contains(&day) {
                found = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert!(found, "no snapshot for {day}");
    }
    assert_eq!(rollout_snapshot_days(&app).await, expected);
}

/// The days of the demo rollout's snapshots, oldest first, read from the database (reading the
/// report would record today's itself).
async fn rollout_snapshot_days(app: &TestApp) -> Vec<String> {
    use sea_orm::{EntityTrait as _, QueryOrder as _};
    govskills_domain::entities::rollout_snapshot::Entity::find()
        .order_by_asc(govskills_domain::entities::rollout_snapshot::Column::Day)
        .all(&app.db)
        .await
        .expect("snapshots")
        .into_iter()
        .map(|snapshot| snapshot.day.format("%Y-%m-%d").to_string())
        .collect()
}

//! A person's page (`user(id)` with their enrolments, competence profile and certificates), a
//! course's roster (`Course.enrollments`), and the one audit event per person that each request
//! reading other people's learning data leaves.

use govskills_domain::{demo::COURSE_TITLE, entities::audit_event};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{
        ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, spawn_app,
        spawn_app_with, wide_batch_window,
    },
    learning::{assign, enroll, published_course, user_id},
};

const PERSON_PAGE: &str = "query($id: ID!) { user(id: $id) {
    displayName orgUnitPath { name } jobRole { name }
    enrollments { edges { node { course { title } status overdue progress { done total } } } }
    competenceProfile { totalGap competences { competence { code } currentLevel requiredLevel gap } }
    certificates { id }
} }";

const ROSTER: &str =
    "query($id: ID!, $first: Int, $after: String, $filter: CourseEnrollmentFilter) {
    course(id: $id) { enrollments(first: $first, after: $after, filter: $filter) {
        edges { cursor node { user { id displayName } status overdue progress { done total } } }
        pageInfo { hasNextPage endCursor }
    } }
}";

/// How many reads of `person`'s learning data the audit trail holds.
async fn reads_of(app: &TestApp, person: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("personal_data.read"))
        .filter(audit_event::Column::SubjectUserId.eq(Uuid::parse_str(person).expect("an id")))
        .count(&app.db)
        .await
        .expect("count")
}

async fn all_reads(app: &TestApp) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("personal_data.read"))
        .count(&app.db)
        .await
        .expect("count")
}

fn roster_names(response: &Value) -> Vec<String> {
    response["course"]["enrollments"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            edge["node"]["user"]["displayName"]
                .as_str()
                .expect("name")
                .to_owned()
        })
        .collect()
}

async fn demo_course(app: &TestApp, token: &str) -> String {
    let found = app
        .ok(
            "query($search: String) { courses(filter: { search: $search }) { edges { node { id } } } }",
            json!({ "search": COURSE_TITLE }),
            token,
        )
        .await;
    found["courses"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the demo course: {found}"))
        .to_owned()
}

#[tokio::test]
async fn hr_reads_a_persons_learning_data_and_the_trail_shows_it_once_per_request() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let hr = app.login(HR, PASSWORD).await;
    let learner1 = app.login(LEARNER1, PASSWORD).await;
    let lena = user_id(&app, &learner1).await;
    let luis = user_id(&app, &app.login(LEARNER2, PASSWORD).await).await;

    let page = app.ok(PERSON_PAGE, json!({ "id": lena }), &hr).await;
    let user = &page["user"];
    assert_eq!(
        user["orgUnitPath"],
        json!([
            { "name": "Ministry of Digital Affairs (demo)" },
            { "name": "Department of Citizen Services" }
        ])
    );
    assert_eq!(user["jobRole"]["name"], "Caseworker (demo)");
    assert_eq!(
        user["enrollments"]["edges"],
        json!([{ "node": { "course": { "title": COURSE_TITLE }, "status": "ACTIVE",
            "overdue": false, "progress": { "done": 1, "total": user["enrollments"]["edges"][0]["node"]["progress"]["total"] } } }])
    );
    let competences = user["competenceProfile"]["competences"]
        .as_array()
        .expect("competences");
    assert!(competences.len() >= 21, "DigComp 2.2 has 21: {page}");
    assert!(
        user["competenceProfile"]["totalGap"].as_i64() > Some(0),
        "{page}"
    );
    assert_eq!(user["certificates"], json!([]));
    // Three fields of one person in one request: one event, naming what was read.
    assert_eq!(reads_of(&app, &lena).await, 1);
    let event = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("personal_data.read"))
        .one(&app.db)
        .await
        .expect("read")
        .expect("the event");
    assert_eq!(
        event.details["read"],
        json!(["certificates", "competenceProfile", "enrollments"])
    );
    assert_eq!(
        event.actor_id,
        Some(Uuid::parse_str(&user_id(&app, &hr).await).expect("id"))
    );

    // Two people in one request: one event each.
    let both = "query($a: ID!, $b: ID!) {
        a: user(id: $a) { enrollments { edges { node { status } } } }
        b: user(id: $b) { certificates { id } competenceProfile { totalGap } }
    }";
    app.ok(both, json!({ "a": lena, "b": luis }), &hr).await;
    assert_eq!(reads_of(&app, &lena).await, 2);
    assert_eq!(reads_of(&app, &luis).await, 1);

    // Lena sees who read her data.
    let log = app
        .ok(
            "{ myDataAccessLog(first: 10) { edges { node { action actor { displayName } details } } } }",
            json!({}),
            &learner1,
        )
        .await;
    let edges = log["myDataAccessLog"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 2, "{log}");
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["actor"]["displayName"] == "Hanna HR")
    );
    // Luis's log holds only the read of his data.
    let luis_log = app
        .ok(
            "{ myDataAccessLog { edges { node { subject { id } } } } }",
            json!({}),
            &app.login(LEARNER2, PASSWORD).await,
        )
        .await;
    assert_eq!(
        luis_log["myDataAccessLog"]["edges"],
        json!([{ "node": { "subject": { "id": luis } } }])
    );

    // What the directory shows is no learning data, and one's own is not audited.
    let before = all_reads(&app).await;
    app.ok(
        "query($id: ID!) { user(id: $id) { displayName email orgUnitPath { name } } }",
        json!({ "id": lena }),
        &hr,
    )
    .await;
    let own = app
        .ok(
            "{ me { enrollments { edges { node { status } } } competenceProfile { totalGap } certificates { id } } }",
            json!({}),
            &learner1,
        )
        .await;
    assert_eq!(
        own["me"]["enrollments"]["edges"][0]["node"]["status"],
        "ACTIVE"
    );
    assert_eq!(all_reads(&app).await, before);
}

#[tokio::test]
async fn learning_data_stays_with_the_person_and_those_who_cover_them() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner1 = app.login(LEARNER1, PASSWORD).await;
    let lena = user_id(&app, &learner1).await;
    let luis = user_id(&app, &app.login(LEARNER2, PASSWORD).await).await;
    let citizen_services = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let local_hr = app
        .person_with_role(&admin, &citizen_services, "hr.cs@demo.govskills.test", "HR")
        .await;
    let other = app.create_authority(&admin, "Other authority").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@other.test", "ADMIN")
        .await;
    let before = all_reads(&app).await;

    // HR of Citizen Services reads Lena (their unit), not Luis (Data and AI).
    let page = app.ok(PERSON_PAGE, json!({ "id": lena }), &local_hr).await;
    assert_eq!(page["user"]["displayName"], "Lena Learner");
    let outside = app.ok(PERSON_PAGE, json!({ "id": luis }), &local_hr).await;
    assert!(outside["user"].is_null(), "{outside}");
    let elsewhere = app
        .ok(PERSON_PAGE, json!({ "id": lena }), &other_admin)
        .await;
    assert!(elsewhere["user"].is_null(), "{elsewhere}");
    assert_eq!(all_reads(&app).await, before + 1);

    // A learner or a trainer has no directory to read from.
    for token in [&learner1, &app.login(TRAINER, PASSWORD).await] {
        let refused = app
            .gql(PERSON_PAGE, json!({ "id": luis }), Some(token))
            .await;
        assert_error(&refused, "FORBIDDEN", None);
    }
    assert_error(
        &app.gql(PERSON_PAGE, json!({ "id": "not-an-id" }), Some(&local_hr))
            .await,
        "BAD_USER_INPUT",
        Some("id"),
    );
    assert_eq!(all_reads(&app).await, before + 1);
}

#[tokio::test]
async fn a_roster_shows_editors_everyone_hr_their_people_and_a_learner_themselves() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let lena = user_id(&app, &app.login(LEARNER1, PASSWORD).await).await;
    let luis = user_id(&app, &learner2).await;
    let course = demo_course(&app, &trainer).await;

    let roster = app.ok(ROSTER, json!({ "id": course }), &trainer).await;
    // The demo's e-permit rollout assigned the course to Lena's colleagues who lacked the levels.
    assert_eq!(
        roster_names(&roster),
        [
            "Ines Intake",
            "Lena Learner",
            "Luis Learner",
            "Petra Permits",
            "Sven Service"
        ]
    );
    let edges = &roster["course"]["enrollments"]["edges"];
    assert_eq!(edges[1]["node"]["overdue"], false);
    assert_eq!(edges[1]["node"]["progress"]["done"], 1);
    assert_eq!(edges[2]["node"]["overdue"], true);
    assert_eq!(edges[2]["node"]["user"]["id"], luis.as_str());
    // The trainer read each person's progress: one event each.
    assert_eq!(reads_of(&app, &lena).await, 1);
    assert_eq!(reads_of(&app, &luis).await, 1);

    let searched = app
        .ok(
            ROSTER,
            json!({ "id": course, "filter": { "search": "LUÍS" } }),
            &trainer,
        )
        .await;
    assert_eq!(roster_names(&searched), ["Luis Learner"]);
    let completed = app
        .ok(
            ROSTER,
            json!({ "id": course, "filter": { "status": "COMPLETED" } }),
            &trainer,
        )
        .await;
    assert_eq!(roster_names(&completed), Vec::<String>::new());

    let citizen_services = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let local_hr = app
        .person_with_role(&admin, &citizen_services, "hr.cs@demo.govskills.test", "HR")
        .await;
    let covered = app.ok(ROSTER, json!({ "id": course }), &local_hr).await;
    // The new HR officer works in the department too, so the e-permit rollout assigned them the
    // course when their account was made.
    assert_eq!(
        roster_names(&covered),
        [
            "Ines Intake",
            "Lena Learner",
            "Petra Permits",
            "Sven Service",
            "Test Person"
        ]
    );

    let before = reads_of(&app, &luis).await;
    let own = app.ok(ROSTER, json!({ "id": course }), &learner2).await;
    assert_eq!(roster_names(&own), ["Luis Learner"]);
    assert_eq!(
        reads_of(&app, &luis).await,
        before,
        "one's own is not audited"
    );

    for (variables, field) in [
        (json!({ "id": course, "first": 101 }), "first"),
        (json!({ "id": course, "first": -1 }), "first"),
        (
            json!({ "id": course, "after": "bm90IGEgY3Vyc29y!" }),
            "after",
        ),
    ] {
        assert_error(
            &app.gql(ROSTER, variables, Some(&trainer)).await,
            "BAD_USER_INPUT",
            Some(field),
        );
    }
}

#[tokio::test]
async fn rosters_and_person_pages_cost_the_same_statements_for_few_rows_and_many() {
    let app = spawn_app_with(wide_batch_window).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let unit = app.org_unit_id(&admin, "Department of Data and AI").await;
    let (course, _) = published_course(&app, &trainer, "Roster course", 2).await;
    let mut people = Vec::new();
    for i in 0..20 {
        people.push(
            app.create_user(&admin, &format!("r{i}@demo.govskills.test"), &unit)
                .await,
        );
    }
    let ids: Vec<&str> = people.iter().map(String::as_str).collect();
    assign(&app, &hr, &course, &ids, json!(null)).await;

    let five = app
        .statements_for(ROSTER, json!({ "id": course, "first": 5 }), &trainer)
        .await;
    let twenty = app
        .statements_for(ROSTER, json!({ "id": course, "first": 20 }), &trainer)
        .await;
    assert_eq!(
        five, twenty,
        "roster of 5: {five} statements, of 20: {twenty}"
    );

    // Paging walks the whole roster once.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(
                ROSTER,
                json!({ "id": course, "first": 8, "after": after }),
                &trainer,
            )
            .await;
        seen.extend(roster_names(&page));
        let info = &page["course"]["enrollments"]["pageInfo"];
        if info["hasNextPage"] == false {
            break;
        }
        after = info["endCursor"].clone();
    }
    assert_eq!(seen.len(), 20);

    // A person with 2 enrolments and one with 8 cost the same to show.
    let learner = app.login(LEARNER1, PASSWORD).await;
    let lena = user_id(&app, &learner).await;
    let luis = user_id(&app, &app.login(LEARNER2, PASSWORD).await).await;
    let mut courses = Vec::new();
    for i in 0..8 {
        courses.push(
            published_course(&app, &trainer, &format!("Course {i}"), 1)
                .await
                .0,
        );
    }
    for course in &courses[..2] {
        assign(&app, &hr, course, &[luis.as_str()], json!(null)).await;
    }
    for course in &courses {
        enroll(&app, &learner, course).await;
    }
    let two = app
        .statements_for(PERSON_PAGE, json!({ "id": luis }), &hr)
        .await;
    let eight = app
        .statements_for(PERSON_PAGE, json!({ "id": lena }), &hr)
        .await;
    assert_eq!(
        two, eight,
        "a page with 2 enrolments: {two} statements, with 8: {eight}"
    );
}

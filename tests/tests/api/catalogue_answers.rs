//! Catalogue answers kept and given again (`api/src/http/answers.rs`): a learner's catalogue
//! page is worked out once and then given again until something it shows changes, whichever
//! writer changed it and whichever server is asked, and never to somebody who would see
//! another catalogue.
//!
//! Whether an answer was kept shows in what it costs: a kept answer reads the session's user
//! and the catalogue's version only, an answer worked out reads the courses and their parts.

use std::sync::atomic::Ordering;

use govskills_domain::entities::competence;
use sea_orm::{
    ConnectionTrait as _, EntityTrait as _,
    sea_query::{Alias, Expr, ExprTrait as _, Query},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    courses::{digcomp, published_course},
    helpers::{ADMIN, LEARNER1, PASSWORD, TRAINER, TestApp, spawn_app},
    learning::user_id,
    skill_gap_counts::update_user,
};

/// The catalogue page of the comparison with PostGraphile (`../shared/perf`), with ids and the
/// lessons' text (as `govskills-bench` asks for it).
const PAGE: &str = "query Catalogue { courses(first: 20) { edges { node {
    id title language
    owner { displayName }
    competenceTargets { targetLevel competence { code name area { name } } }
    modules { id title lessons { id title kind html estimatedMinutes } }
} } } }";

/// The page's answer, and how many SQL statements it cost the server.
async fn read(app: &TestApp, token: &str, query: &str) -> (Value, u64) {
    let before = app.sql_statements.load(Ordering::SeqCst);
    let data = app.ok(query, json!({}), token).await;
    (data, app.sql_statements.load(Ordering::SeqCst) - before)
}

/// The titles of a catalogue answer, in order.
fn titles(page: &Value) -> Vec<String> {
    page["courses"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["title"].as_str().expect("title").to_owned())
        .collect()
}

/// A JSON string or number as a value to write.
fn json_value(value: &Value) -> sea_orm::Value {
    match value {
        Value::String(text) => text.clone().into(),
        Value::Number(number) => i32::try_from(number.as_i64().expect("an integer"))
            .expect("small")
            .into(),
        other => panic!("not written here: {other}"),
    }
}

/// The next read shows `expected`, worked out afresh, and the one after is kept again.
async fn assert_shown_then_kept(
    app: &TestApp,
    token: &str,
    expected: &Value,
    kept: u64,
    what: &str,
) {
    let (page, cost) = read(app, token, PAGE).await;
    assert_eq!(&page, expected, "after a change of {what}");
    assert!(
        cost > kept,
        "after a change of {what}, worked out again: {cost} statements"
    );
    assert_eq!(
        read(app, token, PAGE).await,
        (expected.clone(), kept),
        "then kept again ({what})"
    );
}

fn uuid(id: &Value) -> Uuid {
    Uuid::parse_str(id.as_str().expect("an id")).expect("a UUID")
}

/// The demo organisation with one published course of the ministry, and who is signed in.
struct Demo {
    app: TestApp,
    trainer: String,
    learner: String,
    admin: String,
    ministry: String,
    competence: String,
    course: String,
}

async fn demo_with_course(title: &str) -> Demo {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&trainer, "Ministry of Digital Affairs (demo)")
        .await;
    let (competence, _) = digcomp(&app, "1.2").await;
    let course = published_course(&app, &trainer, &ministry, title, &competence).await;
    Demo {
        app,
        trainer,
        learner,
        admin,
        ministry,
        competence,
        course,
    }
}

#[tokio::test]
async fn a_kept_answer_is_given_until_anything_it_shows_changes_whoever_changes_it() {
    let Demo {
        app,
        trainer,
        learner,
        admin,
        ministry,
        competence: competence_id,
        course: id,
    } = demo_with_course("Safe passwords").await;

    let (first, worked_out) = read(&app, &learner, PAGE).await;
    let (again, kept) = read(&app, &learner, PAGE).await;
    assert_eq!(again, first);
    assert!(
        kept < worked_out,
        "the second read is kept: {kept} statements, the first {worked_out}"
    );
    let node = first["courses"]["edges"][0]["node"].clone();
    assert_eq!(node["title"], "Safe passwords", "{first}");
    let module = uuid(&node["modules"][0]["id"]);
    let lesson_id = uuid(&node["modules"][0]["lessons"][0]["id"]);
    let course_id = Uuid::parse_str(&id).expect("a UUID");
    let competence_id = Uuid::parse_str(&competence_id).expect("a UUID");

    // A change of another kind (the learner's language) keeps the answer.
    app.ok(
        "mutation { setLocale(locale: \"de\") { id } }",
        json!({}),
        &learner,
    )
    .await;
    assert_eq!(read(&app, &learner, PAGE).await, (first.clone(), kept));

    // Each change, written straight into the database as any writer could, shows at once,
    // and the answer with it is kept in turn.
    let area = competence::Entity::find_by_id(competence_id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the competence")
        .area_id;
    // What is written, where, and where and how it shows on the page.
    let changes = [
        (
            "courses",
            "title",
            json!("Passwords, safely"),
            "id",
            course_id,
            "/title",
            None,
        ),
        (
            "course_modules",
            "title",
            json!("First steps"),
            "id",
            module,
            "/modules/0/title",
            None,
        ),
        (
            "lessons",
            "estimated_minutes",
            json!(9),
            "id",
            lesson_id,
            "/modules/0/lessons/0/estimatedMinutes",
            None,
        ),
        (
            "lessons",
            "body",
            json!("Hello **again**"),
            "id",
            lesson_id,
            "/modules/0/lessons/0/html",
            Some(json!("<p>Hello <strong>again</strong></p>\n")),
        ),
        (
            "course_competences",
            "target_level",
            json!(4),
            "course_id",
            course_id,
            "/competenceTargets/0/targetLevel",
            None,
        ),
        (
            "competences",
            "name",
            json!("Evaluating things"),
            "id",
            competence_id,
            "/competenceTargets/0/competence/name",
            None,
        ),
        (
            "competence_areas",
            "name",
            json!("Literacy"),
            "id",
            area,
            "/competenceTargets/0/competence/area/name",
            None,
        ),
    ];
    let mut expected = first;
    for (table, column, written, key, id, shown, rendered) in changes {
        let statement = Query::update()
            .table(Alias::new(table))
            .value(Alias::new(column), json_value(&written))
            .and_where(Expr::col(Alias::new(key)).eq(id))
            .to_owned();
        app.db.execute(&statement).await.expect("changed");
        *expected["courses"]["edges"][0]["node"]
            .pointer_mut(shown)
            .expect("shown") = rendered.unwrap_or(written);
        assert_shown_then_kept(&app, &learner, &expected, kept, column).await;
    }
    let removed = Query::delete()
        .from_table(Alias::new("course_competences"))
        .and_where(Expr::col(Alias::new("course_id")).eq(course_id))
        .to_owned();
    app.db.execute(&removed).await.expect("removed");
    expected["courses"]["edges"][0]["node"]["competenceTargets"] = json!([]);
    assert_shown_then_kept(&app, &learner, &expected, kept, "a removed target").await;

    // The owner's new name, through the API.
    let owner = user_id(&app, &trainer).await;
    update_user(
        &app,
        &admin,
        &owner,
        json!({ "displayName": "Tessa Trainer-Neu" }),
    )
    .await;
    expected["courses"]["edges"][0]["node"]["owner"]["displayName"] = json!("Tessa Trainer-Neu");
    assert_shown_then_kept(&app, &learner, &expected, kept, "the owner's name").await;

    // A new course published: listed first (newest first).
    published_course(
        &app,
        &trainer,
        &ministry,
        "Phishing",
        &competence_id.to_string(),
    )
    .await;
    assert_eq!(
        titles(&read(&app, &learner, PAGE).await.0),
        ["Phishing", "Passwords, safely"]
    );
}

#[tokio::test]
async fn a_kept_answer_goes_only_to_those_who_see_the_same_catalogue() {
    let Demo {
        app,
        trainer,
        learner,
        admin,
        ministry,
        ..
    } = demo_with_course("Ministry only").await;
    let region = app.create_authority(&admin, "Region of Example").await;
    let clerk_id = app
        .create_user(&admin, "clerk@region.example", &region)
        .await;
    let clerk = app
        .login("clerk@region.example", "a long enough password")
        .await;

    let (page, _) = read(&app, &learner, PAGE).await;
    let (_, kept) = read(&app, &learner, PAGE).await;
    assert_eq!(titles(&page), ["Ministry only"]);

    // Another authority's clerk, asking the very same, sees nothing of the ministry's.
    let (elsewhere, cost) = read(&app, &clerk, PAGE).await;
    assert_eq!(titles(&elsewhere), Vec::<String>::new(), "{elsewhere}");
    assert!(cost > kept, "worked out for the clerk: {cost}");

    // Moved into the ministry, the clerk sees its course.
    update_user(&app, &admin, &clerk_id, json!({ "orgUnitId": ministry })).await;
    assert_eq!(titles(&read(&app, &clerk, PAGE).await.0), ["Ministry only"]);

    // The trainer sees their own courses too, and is answered afresh every time.
    let (_, trainer_first) = read(&app, &trainer, PAGE).await;
    let (_, trainer_again) = read(&app, &trainer, PAGE).await;
    assert_eq!(trainer_again, trainer_first, "nothing kept for an editor");
    assert!(trainer_again > kept);

    // A field outside the catalogue's plain data is never kept.
    let editable = "{ courses { edges { node { title canEdit } } } }";
    let (_, once) = read(&app, &learner, editable).await;
    let (_, twice) = read(&app, &learner, editable).await;
    assert_eq!(once, twice, "nothing kept when a field depends on who asks");
    assert!(twice > kept);
}

#[tokio::test]
async fn a_course_published_through_one_server_shows_on_another_at_once() {
    let Demo {
        app,
        trainer,
        ministry,
        competence,
        ..
    } = demo_with_course("First").await;
    let replica = app.spawn_replica(|_| {}).await;
    let learner = replica.login(LEARNER1, PASSWORD).await;

    let (page, _) = read(&replica, &learner, PAGE).await;
    let (again, _) = read(&replica, &learner, PAGE).await;
    assert_eq!(titles(&again), titles(&page));
    assert_eq!(titles(&page), ["First"]);

    published_course(&app, &trainer, &ministry, "Second", &competence).await;
    assert_eq!(
        titles(&read(&replica, &learner, PAGE).await.0),
        ["Second", "First"]
    );
}

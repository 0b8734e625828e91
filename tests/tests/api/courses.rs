//! Course authoring, publishing, versions and the catalogue.

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, LEARNER1, PASSWORD, TRAINER, TestApp, assert_error, error_message, spawn_app,
};

const COURSE_FIELDS: &str = "id title status version totalMinutes canEdit
    competenceTargets { competence { code } targetLevel }
    modules { title position lessons { title kind position html markdown url estimatedMinutes } }";

/// The id of a DigComp 2.2 competence by its code, and of its area.
pub(crate) async fn digcomp(app: &TestApp, code: &str) -> (String, String) {
    let response = app
        .gql(
            "{ frameworks { code areas { id competences { id code } } } }",
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
                    return (
                        competence["id"].as_str().expect("id").to_owned(),
                        area["id"].as_str().expect("id").to_owned(),
                    );
                }
            }
        }
    }
    panic!("no DigComp competence {code}");
}

pub(crate) async fn create_course(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        &format!("mutation($input: CreateCourseInput!) {{ createCourse(input: $input) {{ {COURSE_FIELDS} }} }}"),
        json!({ "input": input }),
        Some(token),
    )
    .await
}

pub(crate) async fn add_module(app: &TestApp, token: &str, course: &str, title: &str) -> Value {
    app.gql(
        "mutation($course: ID!, $title: String!) { addModule(courseId: $course, input: { title: $title }) { id title position } }",
        json!({ "course": course, "title": title }),
        Some(token),
    )
    .await
}

pub(crate) async fn add_lesson(app: &TestApp, token: &str, module: &str, input: Value) -> Value {
    app.gql(
        "mutation($module: ID!, $input: AddLessonInput!) {
            addLesson(moduleId: $module, input: $input) { id title kind html markdown url position }
        }",
        json!({ "module": module, "input": input }),
        Some(token),
    )
    .await
}

pub(crate) async fn publish(app: &TestApp, token: &str, course: &str) -> Value {
    app.gql(
        &format!("mutation($id: ID!) {{ publishCourse(courseId: $id) {{ {COURSE_FIELDS} }} }}"),
        json!({ "id": course }),
        Some(token),
    )
    .await
}

async fn course(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(
        &format!("query($id: ID!) {{ course(id: $id) {{ {COURSE_FIELDS} }} }}"),
        json!({ "id": id }),
        token,
    )
    .await["course"]
        .clone()
}

pub(crate) fn id_of(response: &Value, field: &str) -> String {
    response["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {response}"))
        .to_owned()
}

/// A published course of the ministry with one module and one text lesson.
pub(crate) async fn published_course(
    app: &TestApp,
    token: &str,
    ministry: &str,
    title: &str,
    competence: &str,
) -> String {
    let created = create_course(
        app,
        token,
        json!({ "title": title, "summary": "About digital things", "language": "en", "orgUnitId": ministry,
                "competenceTargets": [{ "competenceId": competence, "targetLevel": 3 }] }),
    )
    .await;
    let course = id_of(&created, "createCourse");
    let module = id_of(
        &add_module(app, token, &course, "Basics").await,
        "addModule",
    );
    let lesson = add_lesson(
        app,
        token,
        &module,
        json!({ "title": "Read", "kind": "TEXT", "markdown": "Hello", "estimatedMinutes": 5 }),
    )
    .await;
    id_of(&lesson, "addLesson");
    let published = publish(app, token, &course).await;
    assert_eq!(
        published["data"]["publishCourse"]["status"], "PUBLISHED",
        "{published}"
    );
    course
}

struct Setup {
    app: TestApp,
    trainer: String,
    learner: String,
    ministry: String,
    competence: String,
    area: String,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let ministry = app
        .org_unit_id(&trainer, "Ministry of Digital Affairs (demo)")
        .await;
    let (competence, area) = digcomp(&app, "1.2").await;
    Setup {
        app,
        trainer,
        learner,
        ministry,
        competence,
        area,
    }
}

#[tokio::test]
async fn a_trainer_builds_and_publishes_a_course_that_a_learner_finds_by_competence() {
    let Setup {
        app,
        trainer,
        learner,
        ministry,
        competence,
        area,
    } = setup().await;

    let created = create_course(
        &app,
        &trainer,
        json!({ "title": "Checking sources", "summary": "Evaluate what you read online",
                "language": "de-AT", "orgUnitId": ministry,
                "competenceTargets": [{ "competenceId": competence, "targetLevel": 4 }] }),
    )
    .await;
    let course_id = id_of(&created, "createCourse");
    assert_eq!(created["data"]["createCourse"]["status"], "DRAFT");
    assert_eq!(created["data"]["createCourse"]["canEdit"], true);

    let first = id_of(
        &add_module(&app, &trainer, &course_id, "Why sources matter").await,
        "addModule",
    );
    let second = id_of(
        &add_module(&app, &trainer, &course_id, "Practice").await,
        "addModule",
    );
    add_lesson(&app, &trainer, &first, json!({ "title": "Intro", "kind": "TEXT", "markdown": "# Intro\n\n*Think* first.", "estimatedMinutes": 10 })).await;
    let link = add_lesson(&app, &trainer, &second, json!({ "title": "EU guidance", "kind": "LINK", "url": "https://europa.eu/", "estimatedMinutes": 15 })).await;
    assert_eq!(
        link["data"]["addLesson"]["url"], "https://europa.eu/",
        "{link}"
    );
    // The practice module should come first after all.
    app.ok(
        "mutation($c: ID!, $m: [ID!]!) { reorderModules(courseId: $c, moduleIds: $m) { id } }",
        json!({ "c": course_id, "m": [second, first] }),
        &trainer,
    )
    .await;

    let published = publish(&app, &trainer, &course_id).await;
    let published = &published["data"]["publishCourse"];
    assert_eq!(published["status"], "PUBLISHED");
    assert_eq!(published["totalMinutes"], 25);
    assert_eq!(published["modules"][0]["title"], "Practice");
    assert_eq!(
        published["modules"][1]["lessons"][0]["html"],
        "<h1>Intro</h1>\n<p><em>Think</em> first.</p>\n"
    );

    let found = app
        .ok(
            "query($f: CourseFilter) { courses(first: 10, filter: $f) { edges { node { id title canEdit competenceTargets { competence { code name } targetLevel } } } } }",
            json!({ "f": { "competenceId": competence } }),
            &learner,
        )
        .await;
    let edges = found["courses"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 1, "{found}");
    assert_eq!(edges[0]["node"]["id"], course_id.as_str());
    assert_eq!(edges[0]["node"]["canEdit"], false);
    assert_eq!(edges[0]["node"]["competenceTargets"][0]["targetLevel"], 4);

    for filter in [
        json!({ "areaId": area }),
        json!({ "minLevel": 4, "maxLevel": 4 }),
        json!({ "language": "de" }),
        json!({ "search": "SOURCES" }),
        json!({ "search": "read online" }),
    ] {
        let found = app
            .ok(
                "query($f: CourseFilter) { courses(filter: $f) { edges { node { id } } } }",
                json!({ "f": filter }),
                &learner,
            )
            .await;
        assert_eq!(
            found["courses"]["edges"].as_array().map(Vec::len),
            Some(1),
            "{filter}"
        );
    }
    for filter in [
        json!({ "minLevel": 5 }),
        json!({ "language": "fr" }),
        json!({ "search": "100%_" }),
    ] {
        let found = app
            .ok(
                "query($f: CourseFilter) { courses(filter: $f) { edges { node { id } } } }",
                json!({ "f": filter }),
                &learner,
            )
            .await;
        assert_eq!(
            found["courses"]["edges"].as_array().map(Vec::len),
            Some(0),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn publishing_says_everything_a_course_still_lacks() {
    let Setup {
        app,
        trainer,
        ministry,
        competence,
        ..
    } = setup().await;
    let empty = id_of(
        &create_course(
            &app,
            &trainer,
            json!({ "title": "Empty", "language": "en", "orgUnitId": ministry }),
        )
        .await,
        "createCourse",
    );

    let refused = publish(&app, &trainer, &empty).await;
    assert_error(&refused, "BAD_USER_INPUT", Some("courseId"));
    assert_eq!(
        error_message(&refused),
        "the course cannot be published yet: it needs at least one module, at least one competence target"
    );

    let module = id_of(
        &add_module(&app, &trainer, &empty, "Lonely module").await,
        "addModule",
    );
    let refused = publish(&app, &trainer, &empty).await;
    assert!(
        error_message(&refused).contains("a lesson in module \"Lonely module\""),
        "{refused}"
    );

    add_lesson(
        &app,
        &trainer,
        &module,
        json!({ "title": "Final test", "kind": "ASSESSMENT" }),
    )
    .await;
    app.ok(
        "mutation($c: ID!, $t: [CompetenceTargetInput!]!) { setCourseCompetences(courseId: $c, targets: $t) { id } }",
        json!({ "c": empty, "t": [{ "competenceId": competence, "targetLevel": 2 }] }),
        &trainer,
    )
    .await;
    let refused = publish(&app, &trainer, &empty).await;
    assert_eq!(
        error_message(&refused),
        "the course cannot be published yet: it needs an assessment for lesson \"Final test\""
    );
    assert_eq!(course(&app, &trainer, &empty).await["status"], "DRAFT");
}

#[tokio::test]
async fn a_published_course_changes_only_through_a_new_version() {
    let Setup {
        app,
        trainer,
        learner,
        ministry,
        competence,
        ..
    } = setup().await;
    let v1 = published_course(&app, &trainer, &ministry, "Safe passwords", &competence).await;

    assert_error(
        &add_module(&app, &trainer, &v1, "Sneaked in").await,
        "CONFLICT",
        Some("courseId"),
    );

    let v2 = app
        .ok(
            "mutation($id: ID!) { createCourseVersion(courseId: $id) { id version status } }",
            json!({ "id": v1 }),
            &trainer,
        )
        .await;
    let v2_id = v2["createCourseVersion"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(v2["createCourseVersion"]["version"], 2);
    let again = app
        .gql(
            "mutation($id: ID!) { createCourseVersion(courseId: $id) { id } }",
            json!({ "id": v1 }),
            Some(&trainer),
        )
        .await;
    assert_error(&again, "CONFLICT", Some("courseId"));

    // Learners keep seeing version 1 until version 2 is published.
    assert!(course(&app, &learner, &v2_id).await.is_null());
    assert_eq!(course(&app, &learner, &v1).await["status"], "PUBLISHED");

    let module = id_of(
        &add_module(&app, &trainer, &v2_id, "New material").await,
        "addModule",
    );
    add_lesson(
        &app,
        &trainer,
        &module,
        json!({ "title": "New lesson", "kind": "TEXT", "markdown": "New" }),
    )
    .await;
    let published = publish(&app, &trainer, &v2_id).await;
    assert_eq!(
        published["data"]["publishCourse"]["modules"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{published}"
    );
    assert!(
        course(&app, &learner, &v1).await.is_null(),
        "version 1 is archived"
    );
    assert_eq!(course(&app, &trainer, &v1).await["status"], "ARCHIVED");
}

#[tokio::test]
async fn a_trainer_cannot_edit_someone_elses_course_and_learners_cannot_see_drafts() {
    let Setup {
        app,
        trainer,
        learner,
        ministry,
        competence,
        ..
    } = setup().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let other_id = app
        .create_user(&admin, "other.trainer@agency.example", &ministry)
        .await;
    app.ok(
        "mutation($id: ID!, $unit: ID!) { setUserRoles(userId: $id, grants: [{ role: TRAINER, orgUnitId: $unit }]) { id } }",
        json!({ "id": other_id, "unit": ministry }),
        &admin,
    )
    .await;
    let other = app
        .login("other.trainer@agency.example", "a long enough password")
        .await;

    let draft = id_of(
        &create_course(
            &app,
            &trainer,
            json!({ "title": "Work in progress", "language": "en", "orgUnitId": ministry }),
        )
        .await,
        "createCourse",
    );
    let published = published_course(&app, &trainer, &ministry, "Finished", &competence).await;
    let modules = app.count("course_modules").await;

    // A draft does not exist for anyone but its editors: the same answer as an unknown id.
    for token in [&learner, &other] {
        assert!(course(&app, token, &draft).await.is_null());
        assert!(
            course(&app, token, &uuid::Uuid::now_v7().to_string())
                .await
                .is_null()
        );
        assert_error(
            &add_module(&app, token, &draft, "x").await,
            "NOT_FOUND",
            None,
        );
        let listed = app
            .ok(
                "{ courses(filter: { status: DRAFT }) { edges { node { id } } } }",
                json!({}),
                token,
            )
            .await;
        assert_eq!(listed["courses"]["edges"], json!([]));
    }
    // A published course is visible, but not editable, to another trainer.
    assert_eq!(course(&app, &other, &published).await["canEdit"], false);
    let refused = app
        .gql(
            "mutation($id: ID!) { archiveCourse(courseId: $id) { id } }",
            json!({ "id": published }),
            Some(&other),
        )
        .await;
    assert_error(&refused, "FORBIDDEN", None);
    assert_error(
        &add_module(&app, &learner, &published, "x").await,
        "FORBIDDEN",
        None,
    );
    assert_eq!(app.count("course_modules").await, modules);

    // Once a co-author, the other trainer may edit the draft.
    app.ok(
        "mutation($c: ID!, $u: ID!) { addCourseCoAuthor(courseId: $c, userId: $u) { id } }",
        json!({ "c": draft, "u": other_id }),
        &trainer,
    )
    .await;
    id_of(
        &add_module(&app, &other, &draft, "Co-written").await,
        "addModule",
    );
    // An admin of the unit may act on any of its courses.
    assert_eq!(course(&app, &admin, &draft).await["canEdit"], true);
}

#[tokio::test]
async fn learners_cannot_author_and_trainers_only_for_their_units() {
    let Setup {
        app,
        trainer,
        learner,
        ministry,
        ..
    } = setup().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let region = app.create_authority(&admin, "Other authority").await;
    let courses = app.count("courses").await;

    let refused = create_course(
        &app,
        &learner,
        json!({ "title": "Mine", "language": "en", "orgUnitId": ministry }),
    )
    .await;
    assert_error(&refused, "FORBIDDEN", None);
    let refused = create_course(
        &app,
        &trainer,
        json!({ "title": "Theirs", "language": "en", "orgUnitId": region }),
    )
    .await;
    assert_error(&refused, "FORBIDDEN", None);
    assert_eq!(app.count("courses").await, courses);
}

#[tokio::test]
async fn markdown_comes_back_inert_and_only_web_links_are_accepted() {
    let Setup {
        app,
        trainer,
        ministry,
        ..
    } = setup().await;
    let course = id_of(
        &create_course(
            &app,
            &trainer,
            json!({ "title": "XSS", "language": "en", "orgUnitId": ministry }),
        )
        .await,
        "createCourse",
    );
    let module = id_of(&add_module(&app, &trainer, &course, "M").await, "addModule");
    let payload = "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n<a href=\"JAVASCRIPT:alert(4)\" onclick=\"x()\">y</a>";

    let lesson = add_lesson(
        &app,
        &trainer,
        &module,
        json!({ "title": "Payload", "kind": "TEXT", "markdown": payload }),
    )
    .await;
    let html = lesson["data"]["addLesson"]["html"]
        .as_str()
        .expect("html")
        .to_lowercase();
    for dangerous in ["<script", "onerror", "onclick", "javascript:"] {
        assert!(!html.contains(dangerous), "{dangerous} survived in {html}");
    }
    assert_eq!(
        lesson["data"]["addLesson"]["markdown"], payload,
        "stored as written"
    );

    let lessons = app.count("lessons").await;
    for url in [
        "javascript:alert(1)",
        "data:text/html,<script>x</script>",
        "ftp://files.example",
        "not a url",
    ] {
        let refused = add_lesson(
            &app,
            &trainer,
            &module,
            json!({ "title": "Bad link", "kind": "LINK", "url": url }),
        )
        .await;
        assert_error(&refused, "BAD_USER_INPUT", Some("url"));
    }
    let refused = add_lesson(
        &app,
        &trainer,
        &module,
        json!({ "title": "No text", "kind": "TEXT" }),
    )
    .await;
    assert_error(&refused, "BAD_USER_INPUT", Some("body"));
    let refused = add_lesson(
        &app,
        &trainer,
        &module,
        json!({ "title": "Long", "kind": "TEXT", "markdown": "x", "estimatedMinutes": 601 }),
    )
    .await;
    assert_error(&refused, "BAD_USER_INPUT", Some("estimatedMinutes"));
    assert_eq!(app.count("lessons").await, lessons);

    // A lesson can be removed from a draft; the rest close up.
    let second = id_of(
        &add_lesson(
            &app,
            &trainer,
            &module,
            json!({ "title": "Second", "kind": "VIDEO", "url": "https://video.example/1" }),
        )
        .await,
        "addLesson",
    );
    let first = course_lessons(&app, &trainer, &course).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.ok(
        "mutation($id: ID!) { removeLesson(lessonId: $id) }",
        json!({ "id": first }),
        &trainer,
    )
    .await;
    let rest = course_lessons(&app, &trainer, &course).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["id"], second.as_str());
    assert_eq!(rest[0]["position"], 1);
}

async fn course_lessons(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    app.ok(
        "query($id: ID!) { course(id: $id) { modules { lessons { id position } } } }",
        json!({ "id": id }),
        token,
    )
    .await["course"]["modules"][0]["lessons"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn course_input_mistakes_are_refused_and_nothing_is_written() {
    let Setup {
        app,
        trainer,
        ministry,
        competence,
        ..
    } = setup().await;
    let courses = app.count("courses").await;

    let cases = [
        (
            json!({ "title": "T", "language": "en", "orgUnitId": ministry,
                 "competenceTargets": [{ "competenceId": competence, "targetLevel": 9 }] }),
            "competenceTargets",
            "outside the range 1 to 8",
        ),
        (
            json!({ "title": "T", "language": "en", "orgUnitId": ministry,
                 "competenceTargets": [{ "competenceId": competence, "targetLevel": 0 }] }),
            "competenceTargets",
            "outside the range",
        ),
        (
            json!({ "title": "T", "language": "en", "orgUnitId": ministry,
                 "competenceTargets": [{ "competenceId": uuid::Uuid::new_v4().to_string(), "targetLevel": 2 }] }),
            "competenceTargets",
            "does not exist",
        ),
        (
            json!({ "title": "T", "language": "english please", "orgUnitId": ministry }),
            "language",
            "BCP 47",
        ),
        (
            json!({ "title": "  ", "language": "en", "orgUnitId": ministry }),
            "title",
            "must not be empty",
        ),
        (
            json!({ "title": "T", "language": "en", "orgUnitId": "nope" }),
            "orgUnitId",
            "not a valid id",
        ),
    ];
    for (input, field, message) in cases {
        let refused = create_course(&app, &trainer, input).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
        assert!(error_message(&refused).contains(message), "{refused}");
    }
    assert_eq!(app.count("courses").await, courses);
}

#[tokio::test]
async fn the_catalogue_pages_cleanly_at_its_edges() {
    let Setup {
        app,
        trainer,
        learner,
        ministry,
        competence,
        ..
    } = setup().await;
    for i in 0..3 {
        published_course(
            &app,
            &trainer,
            &ministry,
            &format!("Course {i}"),
            &competence,
        )
        .await;
    }
    let page = |first: i64, after: Option<String>| {
        let app = &app;
        let learner = learner.clone();
        async move {
            app.gql(
                "query($first: Int, $after: String) { courses(first: $first, after: $after) {
                    edges { cursor node { title } } pageInfo { hasNextPage endCursor } } }",
                json!({ "first": first, "after": after }),
                Some(&learner),
            )
            .await
        }
    };

    let first = page(2, None).await;
    let titles: Vec<&str> = first["data"]["courses"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["title"].as_str())
        .collect();
    assert_eq!(titles, ["Course 2", "Course 1"], "newest first");
    assert_eq!(first["data"]["courses"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["data"]["courses"]["pageInfo"]["endCursor"]
        .as_str()
        .map(str::to_owned);

    let last = page(2, cursor).await;
    assert_eq!(
        last["data"]["courses"]["edges"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(last["data"]["courses"]["pageInfo"]["hasNextPage"], false);
    let end = last["data"]["courses"]["pageInfo"]["endCursor"]
        .as_str()
        .map(str::to_owned);

    let empty = page(2, end).await;
    assert_eq!(empty["data"]["courses"]["edges"], json!([]));
    assert_eq!(empty["data"]["courses"]["pageInfo"]["hasNextPage"], false);

    assert_error(
        &page(2, Some("not-a-cursor".into())).await,
        "BAD_USER_INPUT",
        Some("after"),
    );
    assert_error(&page(101, None).await, "BAD_USER_INPUT", Some("first"));
    assert_error(&page(-1, None).await, "BAD_USER_INPUT", Some("first"));
    assert_error(
        &app.gql("{ courses { edges { cursor } } }", json!({}), None)
            .await,
        "UNAUTHENTICATED",
        None,
    );
}

#[tokio::test]
async fn an_org_unit_course_stays_inside_its_subtree_and_a_platform_course_is_shared() {
    let Setup {
        app,
        trainer,
        ministry,
        competence,
        ..
    } = setup().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let region = app.create_authority(&admin, "Region of Example").await;
    app.create_user(&admin, "clerk@region.example", &region)
        .await;
    let outsider = app
        .login("clerk@region.example", "a long enough password")
        .await;

    let internal = published_course(&app, &trainer, &ministry, "Ministry only", &competence).await;
    let shared = id_of(
        &create_course(&app, &trainer, json!({ "title": "For everyone", "language": "en", "orgUnitId": ministry, "visibility": "PLATFORM",
            "competenceTargets": [{ "competenceId": competence, "targetLevel": 1 }] })).await,
        "createCourse",
    );
    let module = id_of(
        &add_module(&app, &trainer, &shared, "Only module").await,
        "addModule",
    );
    add_lesson(
        &app,
        &trainer,
        &module,
        json!({ "title": "Only lesson", "kind": "TEXT", "markdown": "Hi" }),
    )
    .await;
    publish(&app, &trainer, &shared).await;

    assert!(course(&app, &outsider, &internal).await.is_null());
    assert_eq!(
        course(&app, &outsider, &shared).await["title"],
        "For everyone"
    );
    let listed = app
        .ok(
            "{ courses { edges { node { title } } } }",
            json!({}),
            &outsider,
        )
        .await;
    assert_eq!(
        listed["courses"]["edges"],
        json!([{ "node": { "title": "For everyone" } }])
    );
}

#[tokio::test]
async fn a_catalogue_page_costs_the_same_statements_for_5_and_for_50_courses() {
    // Every part of the page is read ahead for all its courses, one statement per part, so no
    // field waits for a loader window: how many batches a loader makes of 50 courses depends on
    // how busy the machine is, never on the code, and such a count could differ between runs.
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let ministry = app
        .org_unit_id(&trainer, "Ministry of Digital Affairs (demo)")
        .await;
    let (competence, _) = digcomp(&app, "1.2").await;
    let (second_competence, _) = digcomp(&app, "4.2").await;
    for i in 0..50 {
        let course = id_of(
            &create_course(&app, &trainer, json!({ "title": format!("Course {i}"), "language": "en", "orgUnitId": ministry,
                "competenceTargets": [{ "competenceId": competence, "targetLevel": 2 }, { "competenceId": second_competence, "targetLevel": 3 }] })).await,
            "createCourse",
        );
        for m in 0..2 {
            let module = id_of(
                &add_module(&app, &trainer, &course, &format!("Module {m}")).await,
                "addModule",
            );
            for l in 0..2 {
                add_lesson(&app, &trainer, &module, json!({ "title": format!("Lesson {l}"), "kind": "TEXT", "markdown": "text", "estimatedMinutes": 5 })).await;
            }
        }
        assert_eq!(
            publish(&app, &trainer, &course).await["data"]["publishCourse"]["status"],
            "PUBLISHED"
        );
    }
    let query = "query($first: Int) { courses(first: $first) { edges { node {
        title totalMinutes canEdit owner { displayName } coAuthors { displayName } orgUnit { name }
        competenceTargets { targetLevel competence { code name area { name } framework { code } } }
        modules { title lessons { title kind html estimatedMinutes } } } } pageInfo { hasNextPage } } }";

    let five = app
        .statements_for(query, json!({ "first": 5 }), &learner)
        .await;
    let fifty = app
        .statements_for(query, json!({ "first": 50 }), &learner)
        .await;

    let titles = app
        .statements_for(
            "{ courses(first: 50) { edges { node { title } } } }",
            json!({}),
            &learner,
        )
        .await;

    assert_eq!(
        five, fifty,
        "statements for 5 courses: {five}, for 50: {fifty}"
    );
    // Co-authors, their users and the owners, units, targets, competences, areas, frameworks,
    // modules, lessons and the lessons' Markdown: ten reads ahead, and none by a loader. The
    // page of titles only reads the catalogue's version besides (its answer can be kept:
    // `catalogue_answers.rs`); the full page asks for fields that are never kept.
    assert_eq!(
        five,
        titles + 9,
        "the page with titles only costs {titles} statements, with everything {five}"
    );
}

#[tokio::test]
async fn the_demo_course_is_published_once_and_found_by_competence() {
    let Setup { app, learner, .. } = setup().await;
    let (competence, _) = digcomp(&app, "1.1").await;
    for _ in 0..2 {
        govskills_domain::demo::seed_course(&app.db)
            .await
            .expect("the demo course loads");
    }

    let found = app
        .ok(
            "query($f: CourseFilter) { courses(filter: $f) { edges { node { title status totalMinutes competenceTargets { competence { code } } } } } }",
            json!({ "f": { "competenceId": competence } }),
            &learner,
        )
        .await;

    let edges = found["courses"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 1, "{found}");
    assert_eq!(
        edges[0]["node"]["title"],
        govskills_domain::demo::COURSE_TITLE
    );
    assert_eq!(edges[0]["node"]["status"], "PUBLISHED");
    assert_eq!(edges[0]["node"]["totalMinutes"], 50);
    // Targets come in the framework's order, whatever order they were stored in.
    assert_eq!(
        edges[0]["node"]["competenceTargets"],
        json!([{ "competence": { "code": "1.1" } }, { "competence": { "code": "1.2" } }])
    );
}

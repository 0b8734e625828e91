//! Classes of input that must be answered alike on both engines, decided once for every input of
//! the class: NUL characters, invisible format characters in names, concurrent writers, text
//! search beyond ASCII, and introspection where it is off.

use serde_json::{Value, json};

use crate::{
    helpers::{
        ADMIN, HR, LEARNER1, PASSWORD, TRAINER, TestApp, assert_error, error_message, spawn_app,
    },
    learning::{id_of, published_course},
};

/// Counts of the tables a refused request could have written to.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "courses",
        "course_modules",
        "lessons",
        "questions",
        "enrollments",
        "certificate_templates",
        "audit_events",
    ] {
        counts.push(app.count(table).await);
    }
    counts
}

#[tokio::test]
async fn a_nul_character_in_any_text_input_is_refused_naming_the_input() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let before = counts(&app).await;

    // (query, variables, token, the input the error must name)
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        // Inline in the query, in a filter.
        (
            "{ courses(filter: { search: \"K\\u0000I\" }) { edges { cursor } } }",
            json!({}),
            &trainer,
            "search",
        ),
        (
            "query($language: String) { courses(filter: { language: $language }) { edges { cursor } } }",
            json!({ "language": "de\u{0}" }),
            &trainer,
            "language",
        ),
        // Through a variable, in an input object.
        (
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": {
                "title": "AI basics", "summary": "What \u{0}AI is", "language": "en",
                "orgUnitId": ministry,
            }}),
            &trainer,
            "summary",
        ),
        // A variable left out takes its default, which is checked too.
        (
            "mutation($title: String! = \"AI\\u0000\") { createCourse(input: { title: $title, language: \"en\", orgUnitId: \"00000000-0000-0000-0000-000000000000\" }) { id } }",
            json!({}),
            &trainer,
            "title",
        ),
        // Nested in a list of input objects.
        (
            "mutation($input: CreateQuestionInput!) { createQuestion(input: $input) { id } }",
            json!({ "input": {
                "competenceId": "00000000-0000-0000-0000-000000000000", "level": 1, "orgUnitId": ministry,
                "kind": "SINGLE_CHOICE", "prompt": "Which one?",
                "options": [
                    { "text": "this one", "correct": true },
                    { "text": "that\u{0}one", "correct": false },
                ],
            }}),
            &trainer,
            "text",
        ),
        // A plain argument.
        (
            "mutation { revokeCertificate(certificateId: \"00000000-0000-0000-0000-000000000000\", reason: \"fraud\\u0000\") { id } }",
            json!({}),
            &admin,
            "reason",
        ),
        // An account's name.
        (
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": {
                "email": "nul@demo.govskills.test", "displayName": "Nu\u{0}ll",
                "password": "a long enough password", "orgUnitId": ministry,
            }}),
            &admin,
            "displayName",
        ),
    ];
    for (query, variables, token, field) in cases {
        let response = app.gql(query, variables, Some(token)).await;
        assert_error(&response, "BAD_USER_INPUT", Some(field));
        assert!(
            error_message(&response).contains("NUL"),
            "{query}: {response}"
        );
        assert!(response["data"].is_null(), "{response}");
    }

    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn names_and_titles_refuse_bidirectional_overrides_and_invisible_characters() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let before = counts(&app).await;

    for spoof in [
        "Anna \u{202E}greB",
        "Anna\u{2067}Berg\u{2069}",
        "An\u{200B}na",
    ] {
        let user = app
            .gql(
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": {
                    "email": "spoof@demo.govskills.test", "displayName": spoof,
                    "password": "a long enough password", "orgUnitId": ministry,
                }}),
                Some(&admin),
            )
            .await;
        assert_error(&user, "BAD_USER_INPUT", Some("displayName"));
        assert!(error_message(&user).contains("invisible"), "{user}");

        let course = app
            .gql(
                "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
                json!({ "input": { "title": spoof, "language": "en", "orgUnitId": ministry } }),
                Some(&trainer),
            )
            .await;
        assert_error(&course, "BAD_USER_INPUT", Some("title"));
    }

    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn ten_simultaneous_assignments_of_one_person_all_succeed_and_write_one_enrolment() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = app.me(&learner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (course, _) = published_course(&app, &trainer, "Double clicks", 1).await;
    let enrollments = app.count("enrollments").await;

    let assign = || {
        app.gql(
            "mutation($course: ID!, $user: ID!) {
                assignCourse(courseId: $course, userIds: [$user], dueAt: \"2030-01-31T00:00:00Z\") { id }
            }",
            json!({ "course": course, "user": learner_id }),
            Some(&hr),
        )
    };
    let responses = futures_util::future::join_all((0..10).map(|_| assign())).await;

    let mut ids = Vec::new();
    for response in &responses {
        assert!(response.get("errors").is_none(), "{response}");
        ids.push(response["data"]["assignCourse"][0]["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one enrolment for all: {responses:?}");
    assert_eq!(app.count("enrollments").await, enrollments + 1);
}

#[tokio::test]
async fn text_search_ignores_case_and_accents_beyond_ascii_on_both_engines() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let titles = [
        "Über Künstliche Intelligenz",
        "Éducation numérique et IA",
        "Digitalna pismenost u Đakovu",
        "Τεχνητή Νοημοσύνη στη Δημόσια Διοίκηση",
    ];
    let mut ids = Vec::new();
    for title in titles {
        ids.push(published_course(&app, &trainer, title, 1).await.0);
    }

    for (search, expected) in [
        ("über künstliche", 0),
        ("ÜBER KÜNSTLICHE", 0),
        ("uber kunstliche", 0),
        ("éducation NUMÉRIQUE", 1),
        ("education numerique", 1),
        ("đakovu", 2),
        ("ĐAKOVU", 2),
        ("τεχνητή νοημοσύνη", 3),
        ("ΤΕΧΝΗΤΗ ΝΟΗΜΟΣΥΝΗ", 3),
        ("δημοσια διοικηση", 3),
    ] {
        let response = app
            .ok(
                "query($search: String) { courses(filter: { search: $search }) { edges { node { id } } } }",
                json!({ "search": search }),
                &learner,
            )
            .await;
        let found: Vec<&str> = response["courses"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .filter_map(|edge| edge["node"]["id"].as_str())
            .collect();
        assert_eq!(found, [ids[expected].as_str()], "{search:?}: {response}");
    }

    // A wildcard character is searched for as itself.
    let none = app
        .ok(
            "{ courses(filter: { search: \"%\" }) { edges { node { id } } } }",
            json!({}),
            &learner,
        )
        .await;
    assert_eq!(none["courses"]["edges"], json!([]), "{none}");
}

#[tokio::test]
async fn a_renamed_course_is_found_by_its_new_title_only() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let created = app
        .gql(
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": { "title": "Alte Fassung", "language": "de", "orgUnitId": ministry } }),
            Some(&trainer),
        )
        .await;
    let course = id_of(&created, "createCourse");
    app.ok(
        "mutation($id: ID!) { updateCourse(courseId: $id, input: { title: \"Größere Änderung\" }) { id } }",
        json!({ "id": course }),
        &trainer,
    )
    .await;

    let search = |term: &'static str| {
        app.ok(
            "query($term: String) { courses(filter: { search: $term, status: DRAFT }) { edges { node { id } } } }",
            json!({ "term": term }),
            &trainer,
        )
    };
    assert_eq!(
        search("GROSSERE ANDERUNG").await["courses"]["edges"][0]["node"]["id"],
        json!(course)
    );
    assert_eq!(search("alte fassung").await["courses"]["edges"], json!([]));
}

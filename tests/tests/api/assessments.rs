//! Assessments: question banks, attempts, scoring exactly once, and the levels it verifies.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{
    LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, digcomp, error_message, spawn_app,
};

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";

const QUESTION_FIELDS: &str = "id version level kind prompt promptHtml explanation points
    competence { code } options { id text correct }";

const ATTEMPT_FIELDS: &str = "id attemptNumber status startedAt deadlineAt submittedAt
    assessment { id title passMarkPercent timeLimitSeconds maxAttempts myAttempts { id status score } }
    questions { id position kind promptHtml level points competence { code }
        options { id text } answer answeredAt }
    result { score }";

const RESULT_FIELDS: &str = "attemptId status score maxScore percent passed
    questions { questionId correct awardedPoints points chosenOptionIds correctOptionIds explanationHtml promptHtml }
    demonstratedLevels { competence { code } level }";

/// A question as created: its id and the ids of its correct and wrong options.
pub(crate) struct Q {
    pub(crate) id: String,
    pub(crate) correct: Vec<String>,
    pub(crate) wrong: Vec<String>,
}

pub(crate) fn split_options(question: &Value) -> (Vec<String>, Vec<String>) {
    let mut correct = Vec::new();
    let mut wrong = Vec::new();
    for option in question["options"].as_array().expect("options") {
        let id = option["id"].as_str().expect("option id").to_owned();
        if option["correct"] == true {
            correct.push(id);
        } else {
            wrong.push(id);
        }
    }
    (correct, wrong)
}

fn create_question_input(
    unit: &str,
    competence: &str,
    level: i32,
    kind: &str,
    marker: &str,
) -> Value {
    let mut input = json!({
        "orgUnitId": unit, "competenceId": competence, "level": level, "kind": kind,
        "prompt": format!("**{marker}** which is right?"),
        "explanation": format!("EXPLANATION-{marker}"), "points": 1,
    });
    match kind {
        "SINGLE_CHOICE" => {
            input["options"] = json!([
                { "text": format!("{marker} right"), "correct": true },
                { "text": format!("{marker} wrong A"), "correct": false },
                { "text": format!("{marker} wrong B"), "correct": false },
            ]);
        }
        "MULTIPLE_CHOICE" => {
            input["options"] = json!([
                { "text": format!("{marker} right 1"), "correct": true },
                { "text": format!("{marker} right 2"), "correct": true },
                { "text": format!("{marker} wrong"), "correct": false },
            ]);
        }
        _ => input["trueFalseAnswer"] = json!(true),
    }
    input
}

async fn create_question(
    app: &TestApp,
    trainer: &str,
    competence: &str,
    level: i32,
    kind: &str,
    marker: &str,
) -> Q {
    let unit = app.org_unit_id(trainer, MINISTRY).await;
    let data = app
        .ok(
            &format!("mutation($input: CreateQuestionInput!) {{ createQuestion(input: $input) {{ {QUESTION_FIELDS} }} }}"),
            json!({ "input": create_question_input(&unit, competence, level, kind, marker) }),
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

pub(crate) async fn create_assessment(app: &TestApp, trainer: &str, extra: Value) -> String {
    let unit = app.org_unit_id(trainer, MINISTRY).await;
    let mut input =
        json!({ "title": "Information literacy check", "orgUnitId": unit, "passMarkPercent": 50 });
    for (key, value) in extra.as_object().expect("object") {
        input[key] = value.clone();
    }
    let data = app
        .ok(
            "mutation($input: CreateAssessmentInput!) { createAssessment(input: $input) { id } }",
            json!({ "input": input }),
            trainer,
        )
        .await;
    data["createAssessment"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

pub(crate) async fn start(app: &TestApp, learner: &str, assessment: &str) -> Value {
    app.ok(
        &format!("mutation($id: ID!) {{ startAttempt(assessmentId: $id) {{ {ATTEMPT_FIELDS} }} }}"),
        json!({ "id": assessment }),
        learner,
    )
    .await["startAttempt"]
        .clone()
}

pub(crate) async fn save(
    app: &TestApp,
    learner: &str,
    attempt: &str,
    question: &str,
    answer: &[String],
) -> Value {
    app.gql(
        "mutation($a: ID!, $q: ID!, $answer: [String!]!) { saveAnswer(attemptId: $a, questionId: $q, answer: $answer) }",
        json!({ "a": attempt, "q": question, "answer": answer }),
        Some(learner),
    )
    .await
}

pub(crate) async fn submit(app: &TestApp, learner: &str, attempt: &str) -> Value {
    app.gql(
        &format!("mutation($id: ID!) {{ submitAttempt(attemptId: $id) {{ {RESULT_FIELDS} }} }}"),
        json!({ "id": attempt }),
        Some(learner),
    )
    .await
}

async fn count_where(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {sql}"),
        ))
        .await
        .expect("count query runs")
        .expect("one row");
    row.try_get::<i64>("", "n").expect("a count")
}

pub(crate) fn attempt_id(attempt: &Value) -> String {
    attempt["id"].as_str().expect("attempt id").to_owned()
}

/// Three questions on DigComp 1.1 (levels 1, 1, 2) and one on 1.2 (level 1).
pub(crate) async fn question_bank(app: &TestApp, trainer: &str) -> (Q, Q, Q, Q) {
    let browsing = digcomp(app, "1.1").await;
    let evaluating = digcomp(app, "1.2").await;
    (
        create_question(app, trainer, &browsing, 1, "SINGLE_CHOICE", "S1").await,
        create_question(app, trainer, &browsing, 1, "TRUE_FALSE", "T1").await,
        create_question(app, trainer, &browsing, 2, "MULTIPLE_CHOICE", "M2").await,
        create_question(app, trainer, &evaluating, 1, "SINGLE_CHOICE", "E1").await,
    )
}

#[tokio::test]
async fn a_learner_takes_an_assessment_and_the_levels_shown_become_verified() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, m2, e1) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id, e1.id] }),
    )
    .await;

    let attempt = start(&app, &learner, &assessment).await;
    assert_eq!(attempt["status"], "OPEN");
    assert_eq!(attempt["attemptNumber"], 1);
    assert_eq!(attempt["result"], Value::Null);
    let questions = attempt["questions"].as_array().expect("questions");
    let order: Vec<&str> = questions
        .iter()
        .map(|q| q["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        order,
        [&s1.id, &t1.id, &m2.id, &e1.id],
        "a fixed list keeps its order"
    );
    assert!(
        questions[0]["promptHtml"]
            .as_str()
            .expect("html")
            .contains("<strong>S1</strong>")
    );
    assert_eq!(questions[1]["options"][0]["text"], "True");
    // Starting again returns the open attempt, with the same option order.
    let again = start(&app, &learner, &assessment).await;
    assert_eq!(again["id"], attempt["id"]);
    assert_eq!(again["questions"], attempt["questions"]);

    let id = attempt_id(&attempt);
    // S1 wrong first, then replaced by the right answer; T1 right; M2 right; E1 wrong.
    for (question, answer) in [
        (&s1.id, vec![s1.wrong[0].clone()]),
        (&s1.id, s1.correct.clone()),
        (&t1.id, t1.correct.clone()),
        (&m2.id, m2.correct.clone()),
        (&e1.id, vec![e1.wrong[1].clone()]),
    ] {
        let saved = save(&app, &learner, &id, question, &answer).await;
        assert_eq!(saved["data"]["saveAnswer"], true, "{saved}");
    }
    let seen = app
        .ok(
            &format!("query($id: ID!) {{ attempt(id: $id) {{ {ATTEMPT_FIELDS} }} }}"),
            json!({ "id": id }),
            &learner,
        )
        .await;
    assert_eq!(
        seen["attempt"]["questions"][0]["answer"],
        json!(s1.correct),
        "re-answering replaces"
    );

    let submitted = submit(&app, &learner, &id).await;
    let result = &submitted["data"]["submitAttempt"];
    assert_eq!(result["status"], "SUBMITTED", "{submitted}");
    assert_eq!(result["score"], 3);
    assert_eq!(result["maxScore"], 4);
    assert_eq!(result["percent"], 75.0);
    assert_eq!(result["passed"], true);
    assert_eq!(result["questions"][0]["correct"], true);
    assert_eq!(result["questions"][3]["correct"], false);
    assert_eq!(
        result["questions"][3]["correctOptionIds"],
        json!(e1.correct)
    );
    assert!(
        result["questions"][3]["explanationHtml"]
            .as_str()
            .expect("explanation")
            .contains("EXPLANATION-E1")
    );
    // 1.1: levels 1 and 2 mastered; 1.2: its only level (1) failed. Ordered by competence id.
    let mut levels = result["demonstratedLevels"]
        .as_array()
        .expect("levels")
        .clone();
    levels.sort_by_key(|l| {
        l["competence"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    assert_eq!(
        levels,
        [
            json!({ "competence": { "code": "1.1" }, "level": 2 }),
            json!({ "competence": { "code": "1.2" }, "level": 0 })
        ]
    );

    let profile = app
        .ok(
            "{ myCompetenceProfile { competences { competence { code } currentLevel source selfAssessed } } }",
            json!({}),
            &learner,
        )
        .await;
    let entry = profile["myCompetenceProfile"]["competences"]
        .as_array()
        .expect("competences")
        .iter()
        .find(|c| c["competence"]["code"] == "1.1")
        .cloned()
        .expect("1.1 in the profile");
    assert_eq!(entry["currentLevel"], 2);
    assert_eq!(entry["source"], "ASSESSMENT");
    assert_eq!(entry["selfAssessed"], false);

    // The trainer sees how it went; the learner may not.
    let stats_query = "query($id: ID!) { assessment(id: $id) { stats { attempts passed passRatePercent averagePercent
        questions { question { id } attempts correct correctPercent } } } }";
    let stats = app
        .ok(stats_query, json!({ "id": assessment }), &trainer)
        .await;
    let stats = &stats["assessment"]["stats"];
    assert_eq!(stats["attempts"], 1);
    assert_eq!(stats["passed"], 1);
    assert_eq!(stats["passRatePercent"], 100.0);
    assert_eq!(stats["averagePercent"], 75.0);
    let e1_stats = stats["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["question"]["id"] == e1.id.as_str())
        .expect("E1 stats");
    assert_eq!(
        (e1_stats["attempts"].clone(), e1_stats["correct"].clone()),
        (json!(1), json!(0))
    );
    let refused = app
        .gql(stats_query, json!({ "id": assessment }), Some(&learner))
        .await;
    assert_error(&refused, "FORBIDDEN", None);

    // A second attempt is a new one.
    let second = start(&app, &learner, &assessment).await;
    assert_eq!(second["attemptNumber"], 2);
    assert_ne!(second["id"], attempt["id"]);
}

/// Every object key anywhere in `value`.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                out.push(key.clone());
                keys(value, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn no_correct_answer_or_explanation_reaches_a_learner_before_submission() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, m2, e1) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id, e1.id] }),
    )
    .await;

    let started = app
        .gql(
            &format!(
                "mutation($id: ID!) {{ startAttempt(assessmentId: $id) {{ {ATTEMPT_FIELDS} }} }}"
            ),
            json!({ "id": assessment }),
            Some(&learner),
        )
        .await;
    let id = started["data"]["startAttempt"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    save(&app, &learner, &id, &s1.id, &s1.correct).await;
    let read = app
        .gql(
            &format!("query($id: ID!, $a: ID!) {{ attempt(id: $id) {{ {ATTEMPT_FIELDS} }}
                assessment(id: $a) {{ id title description selection visibility passMarkPercent
                    masteryThresholdPercent drawRules {{ level count }} myAttempts {{ id status score passed percent }} canEdit }} }}"),
            json!({ "id": id, "a": assessment }),
            Some(&learner),
        )
        .await;
    for response in [&started, &read] {
        assert!(response.get("errors").is_none(), "{response}");
        let text = response.to_string();
        assert!(
            !text.contains("EXPLANATION"),
            "an explanation leaked: {text}"
        );
        let mut all = Vec::new();
        keys(response, &mut all);
        assert!(
            all.iter()
                .all(|key| !key.to_lowercase().contains("correct")),
            "a correctness field reached the learner: {all:?}"
        );
        // Options carry exactly an id and a text.
        for question in response["data"]
            .as_object()
            .and_then(|data| data.values().find(|v| v.get("questions").is_some()))
            .and_then(|attempt| attempt["questions"].as_array())
            .expect("questions")
        {
            for option in question["options"].as_array().expect("options") {
                let mut option_keys: Vec<&String> =
                    option.as_object().expect("object").keys().collect();
                option_keys.sort();
                assert_eq!(option_keys, ["id", "text"]);
            }
        }
    }
    // The assessment's questions with their answers are for trainers only.
    let questions = app
        .gql(
            "query($a: ID!) { assessment(id: $a) { questions { options { id correct } } } }",
            json!({ "a": assessment }),
            Some(&learner),
        )
        .await;
    assert_error(&questions, "FORBIDDEN", None);
    assert!(
        !questions.to_string().contains(&s1.correct[0]),
        "{questions}"
    );
    let bank = app
        .gql(
            "query($q: ID!) { question(id: $q) { options { correct } } }",
            json!({ "q": s1.id }),
            Some(&learner),
        )
        .await;
    assert_eq!(
        bank,
        json!({ "data": { "question": null } }),
        "a learner sees no bank"
    );
}

#[tokio::test]
async fn two_submissions_at_the_same_moment_write_one_score() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, m2, e1) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id, e1.id] }),
    )
    .await;
    let id = attempt_id(&start(&app, &learner, &assessment).await);
    for q in [&s1, &t1, &m2, &e1] {
        save(&app, &learner, &id, &q.id, &q.correct).await;
    }

    let (first, second) = tokio::join!(submit(&app, &learner, &id), submit(&app, &learner, &id));
    assert!(first.get("errors").is_none(), "{first}");
    assert!(second.get("errors").is_none(), "{second}");
    assert_eq!(first["data"], second["data"], "both see the one result");
    assert_eq!(first["data"]["submitAttempt"]["score"], 4);
    // A retry after a lost response is the same result too.
    let retry = submit(&app, &learner, &id).await;
    assert_eq!(retry["data"], first["data"]);

    let scored = {
        use govskills_domain::entities::audit_event;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("attempt.scored"))
            .filter(audit_event::Column::TargetId.eq(uuid::Uuid::parse_str(&id).expect("uuid")))
            .count(&app.db)
            .await
            .expect("count")
    };
    assert_eq!(scored, 1, "scored exactly once");
    let results = count_where(&app, "competence_results WHERE source = 'assessment'").await;
    assert_eq!(
        results, 2,
        "one verified result per demonstrated competence (1.1 and 1.2)"
    );
}

#[tokio::test]
async fn an_answer_after_the_deadline_is_refused_and_the_attempt_is_scored_with_what_came_in_time()
{
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, _, _) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id], "timeLimitSeconds": 1 }),
    )
    .await;
    let attempt = start(&app, &learner, &assessment).await;
    assert!(attempt["deadlineAt"].is_string());
    let id = attempt_id(&attempt);
    let saved = save(&app, &learner, &id, &s1.id, &s1.correct).await;
    assert_eq!(saved["data"]["saveAnswer"], true, "{saved}");

    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let late = save(&app, &learner, &id, &t1.id, &t1.correct).await;
    assert_error(&late, "DEADLINE_PASSED", None);
    let read = app
        .ok(
            &format!("query($id: ID!) {{ attempt(id: $id) {{ status questions {{ answer }} result {{ {RESULT_FIELDS} }} }} }}"),
            json!({ "id": id }),
            &learner,
        )
        .await;
    assert_eq!(read["attempt"]["status"], "EXPIRED");
    assert_eq!(
        read["attempt"]["questions"][1]["answer"],
        json!([]),
        "the late answer was not saved"
    );
    assert_eq!(
        read["attempt"]["result"]["score"], 1,
        "scored with the answer saved in time"
    );
    assert_eq!(read["attempt"]["result"]["status"], "EXPIRED");
    let submitted = submit(&app, &learner, &id).await;
    assert_eq!(submitted["data"]["submitAttempt"]["score"], 1);

    // After submission (not a deadline) the refusal says so.
    let untimed = create_assessment(&app, &trainer, json!({ "questionIds": [s1.id] })).await;
    let other = attempt_id(&start(&app, &learner, &untimed).await);
    submit(&app, &learner, &other).await;
    let after = save(&app, &learner, &other, &s1.id, &s1.correct).await;
    assert_error(&after, "ATTEMPT_SUBMITTED", None);
}

#[tokio::test]
async fn someone_elses_attempt_is_not_found_exactly_like_an_unknown_one() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let owner = app.login(LEARNER1, PASSWORD).await;
    let intruder = app.login(LEARNER2, PASSWORD).await;
    let (s1, _, _, _) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(&app, &trainer, json!({ "questionIds": [s1.id] })).await;
    let id = attempt_id(&start(&app, &owner, &assessment).await);
    save(&app, &owner, &id, &s1.id, &s1.wrong[..1]).await;

    let theirs = save(&app, &intruder, &id, &s1.id, &s1.correct).await;
    let unknown = save(
        &app,
        &intruder,
        "0190a4a0-0000-7000-8000-000000000000",
        &s1.id,
        &s1.correct,
    )
    .await;
    assert_error(&theirs, "NOT_FOUND", None);
    assert_eq!(
        theirs["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    assert_eq!(error_message(&theirs), "attempt not found");
    assert_error(&submit(&app, &intruder, &id).await, "NOT_FOUND", None);
    let read = app
        .ok(
            "query($id: ID!) { attempt(id: $id) { id } }",
            json!({ "id": id }),
            &intruder,
        )
        .await;
    assert_eq!(read["attempt"], Value::Null);

    // Nothing changed: the owner's answer stands and the attempt is open.
    let mine = app
        .ok(
            "query($id: ID!) { attempt(id: $id) { status questions { answer } } }",
            json!({ "id": id }),
            &owner,
        )
        .await;
    assert_eq!(mine["attempt"]["status"], "OPEN");
    assert_eq!(
        mine["attempt"]["questions"][0]["answer"],
        json!(&s1.wrong[..1])
    );
}

#[tokio::test]
async fn malformed_answers_are_refused_with_the_field_to_fix_and_nothing_saved() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, m2, e1) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id] }),
    )
    .await;
    let id = attempt_id(&start(&app, &learner, &assessment).await);

    let cases: [(&str, &str, Vec<String>); 6] = [
        (
            "an unknown option id",
            &s1.id,
            vec!["0190a4a0-0000-7000-8000-000000000000".into()],
        ),
        ("not an id at all", &s1.id, vec!["the right one".into()]),
        ("an option of another question", &s1.id, t1.correct.clone()),
        (
            "two options for single choice",
            &s1.id,
            vec![s1.correct[0].clone(), s1.wrong[0].clone()],
        ),
        (
            "two options for true/false",
            &t1.id,
            vec![t1.correct[0].clone(), t1.wrong[0].clone()],
        ),
        ("an empty answer", &m2.id, vec![]),
    ];
    for (case, question, answer) in cases {
        let refused = save(&app, &learner, &id, question, &answer).await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{case}: {refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], "answer",
            "{case}: {refused}"
        );
    }
    let twice = save(
        &app,
        &learner,
        &id,
        &m2.id,
        &[m2.correct[0].clone(), m2.correct[0].clone()],
    )
    .await;
    assert_error(&twice, "BAD_USER_INPUT", Some("answer"));
    let outside = save(&app, &learner, &id, &e1.id, &e1.correct).await;
    assert_error(&outside, "BAD_USER_INPUT", Some("questionId"));
    let malformed = save(&app, &learner, "not-an-id", &s1.id, &s1.correct).await;
    assert_error(&malformed, "BAD_USER_INPUT", Some("attemptId"));

    assert_eq!(
        count_where(&app, "attempt_questions WHERE answer IS NOT NULL").await,
        0
    );
    // Several options are fine for multiple choice.
    let ok = save(&app, &learner, &id, &m2.id, &m2.correct).await;
    assert_eq!(ok["data"]["saveAnswer"], true, "{ok}");
}

#[tokio::test]
async fn attempts_beyond_the_maximum_are_refused() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, _, _, _) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id], "maxAttempts": 1 }),
    )
    .await;
    let id = attempt_id(&start(&app, &learner, &assessment).await);
    submit(&app, &learner, &id).await;

    let refused = app
        .gql(
            "mutation($id: ID!) { startAttempt(assessmentId: $id) { id } }",
            json!({ "id": assessment }),
            Some(&learner),
        )
        .await;
    assert_error(&refused, "CONFLICT", Some("assessmentId"));
    assert!(
        error_message(&refused).contains("all 1 attempts"),
        "{refused}"
    );
    assert_eq!(app.count("attempts").await, 1);
}

#[tokio::test]
async fn editing_a_question_keeps_what_earlier_attempts_saw_and_scored() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let browsing = digcomp(&app, "1.1").await;
    let q = create_question(&app, &trainer, &browsing, 1, "SINGLE_CHOICE", "OLD").await;
    let assessment = create_assessment(&app, &trainer, json!({ "questionIds": [q.id] })).await;
    let first = attempt_id(&start(&app, &learner, &assessment).await);
    save(&app, &learner, &first, &q.id, &q.correct).await;
    let before = submit(&app, &learner, &first).await;
    assert_eq!(before["data"]["submitAttempt"]["score"], 1);

    // The trainer rewrites the question: new prompt, and the old right answer is now wrong.
    let unit = app.org_unit_id(&trainer, MINISTRY).await;
    let mut content = create_question_input(&unit, &browsing, 1, "SINGLE_CHOICE", "NEW");
    content.as_object_mut().expect("object").remove("orgUnitId");
    let revised = app
        .ok(
            &format!("mutation($id: ID!, $input: QuestionContentInput!) {{ updateQuestion(questionId: $id, input: $input) {{ {QUESTION_FIELDS} }} }}"),
            json!({ "id": q.id, "input": content }),
            &trainer,
        )
        .await;
    assert_eq!(revised["updateQuestion"]["version"], 2);
    assert_eq!(revised["updateQuestion"]["id"], q.id.as_str());

    let old = app
        .ok(
            &format!("query($id: ID!) {{ attempt(id: $id) {{ questions {{ promptHtml }} result {{ {RESULT_FIELDS} }} }} }}"),
            json!({ "id": first }),
            &learner,
        )
        .await;
    assert!(
        old["attempt"]["questions"][0]["promptHtml"]
            .as_str()
            .expect("html")
            .contains("OLD")
    );
    assert_eq!(
        old["attempt"]["result"], before["data"]["submitAttempt"],
        "the old result is unchanged"
    );

    let second = start(&app, &learner, &assessment).await;
    let html = second["questions"][0]["promptHtml"].as_str().expect("html");
    assert!(
        html.contains("NEW"),
        "a new attempt gets the new version: {html}"
    );
    let texts: Vec<&str> = second["questions"][0]["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["text"].as_str().expect("text"))
        .collect();
    assert!(texts.iter().all(|t| t.starts_with("NEW")), "{texts:?}");
    // The old version's option is not an option of the new attempt.
    let stale = save(&app, &learner, &attempt_id(&second), &q.id, &q.correct).await;
    assert_error(&stale, "BAD_USER_INPUT", Some("answer"));

    // Only the owner (or an administrator) edits; a learner is refused and nothing changes.
    let refused = app
        .gql(
            "mutation($id: ID!, $input: QuestionContentInput!) { updateQuestion(questionId: $id, input: $input) { id } }",
            json!({ "id": q.id, "input": content }),
            Some(&learner),
        )
        .await;
    assert_error(&refused, "NOT_FOUND", None);
    assert_eq!(app.count("question_versions").await, 2);
}

#[tokio::test]
async fn authoring_refuses_bad_questions_and_assessments_and_writes_nothing() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let unit = app.org_unit_id(&trainer, MINISTRY).await;
    let browsing = digcomp(&app, "1.1").await;
    let mutation =
        "mutation($input: CreateQuestionInput!) { createQuestion(input: $input) { id } }";

    let by_learner = app
        .gql(
            mutation,
            json!({ "input": create_question_input(&unit, &browsing, 1, "SINGLE_CHOICE", "X") }),
            Some(&learner),
        )
        .await;
    assert_error(&by_learner, "FORBIDDEN", None);

    let mut two_right = create_question_input(&unit, &browsing, 1, "SINGLE_CHOICE", "X");
    two_right["options"][1]["correct"] = json!(true);
    let mut no_answer = create_question_input(&unit, &browsing, 1, "TRUE_FALSE", "X");
    no_answer
        .as_object_mut()
        .expect("object")
        .remove("trueFalseAnswer");
    let mut bad_level = create_question_input(&unit, &browsing, 1, "SINGLE_CHOICE", "X");
    bad_level["level"] = json!(9);
    let mut no_prompt = create_question_input(&unit, &browsing, 1, "SINGLE_CHOICE", "X");
    no_prompt["prompt"] = json!("  ");
    let mut no_points = create_question_input(&unit, &browsing, 1, "SINGLE_CHOICE", "X");
    no_points["points"] = json!(0);
    for (input, field) in [
        (two_right, "options"),
        (no_answer, "trueFalseAnswer"),
        (bad_level, "competenceId"),
        (no_prompt, "prompt"),
        (no_points, "points"),
    ] {
        let refused = app
            .gql(mutation, json!({ "input": input }), Some(&trainer))
            .await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
    }
    assert_eq!(app.count("questions").await, 0);

    let q = create_question(&app, &trainer, &browsing, 1, "SINGLE_CHOICE", "Q").await;
    let assessment_mutation =
        "mutation($input: CreateAssessmentInput!) { createAssessment(input: $input) { id } }";
    for (extra, field) in [
        (json!({}), "questionIds"),
        (
            json!({ "questionIds": [q.id], "draw": [{ "competenceId": browsing, "level": 1, "count": 1 }] }),
            "draw",
        ),
        (
            json!({ "draw": [{ "competenceId": browsing, "level": 1, "count": 2 }] }),
            "draw",
        ),
        (
            json!({ "questionIds": ["0190a4a0-0000-7000-8000-000000000000"] }),
            "questionIds",
        ),
        (
            json!({ "questionIds": [q.id], "passMarkPercent": 101 }),
            "passMarkPercent",
        ),
        (
            json!({ "questionIds": [q.id], "timeLimitSeconds": 0 }),
            "timeLimitSeconds",
        ),
        (
            json!({ "questionIds": [q.id], "maxAttempts": 0 }),
            "maxAttempts",
        ),
    ] {
        let mut input = json!({ "title": "T", "orgUnitId": unit, "passMarkPercent": 50 });
        for (key, value) in extra.as_object().expect("object") {
            input[key] = value.clone();
        }
        let refused = app
            .gql(
                assessment_mutation,
                json!({ "input": input }),
                Some(&trainer),
            )
            .await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
    }
    assert_eq!(app.count("assessments").await, 0);
}

#[tokio::test]
async fn a_random_draw_gives_each_attempt_the_asked_number_of_questions() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let browsing = digcomp(&app, "1.1").await;
    let mut pool = Vec::new();
    for marker in ["R1", "R2", "R3"] {
        pool.push(
            create_question(&app, &trainer, &browsing, 2, "SINGLE_CHOICE", marker)
                .await
                .id,
        );
    }
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "draw": [{ "competenceId": browsing, "level": 2, "count": 2 }] }),
    )
    .await;
    let attempt = start(&app, &learner, &assessment).await;
    let ids: Vec<String> = attempt["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| q["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|id| pool.contains(id)));
    assert!(
        attempt["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .all(|q| q["level"] == 2)
    );
}

#[tokio::test]
async fn passing_a_courses_final_test_completes_the_course_and_shows_verified_levels() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let outsider = app.login(LEARNER2, PASSWORD).await;
    let unit = app.org_unit_id(&trainer, MINISTRY).await;
    let (s1, t1, m2, _) = question_bank(&app, &trainer).await;
    let final_test = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id], "visibility": "LESSONS_ONLY", "passMarkPercent": 60 }),
    )
    .await;
    let browsing = digcomp(&app, "1.1").await;
    let course = app
        .ok(
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": { "title": "Browsing well", "language": "en", "orgUnitId": unit,
                "competenceTargets": [{ "competenceId": browsing, "targetLevel": 2 }] } }),
            &trainer,
        )
        .await["createCourse"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let module = app
        .ok(
            "mutation($c: ID!) { addModule(courseId: $c, input: { title: \"All\" }) { id } }",
            json!({ "c": course }),
            &trainer,
        )
        .await["addModule"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let add_lesson = "mutation($m: ID!, $input: AddLessonInput!) { addLesson(moduleId: $m, input: $input) { id kind assessmentId } }";
    let reading = app
        .ok(
            add_lesson,
            json!({ "m": module, "input": { "title": "Read", "kind": "TEXT", "markdown": "Search well." } }),
            &trainer,
        )
        .await["addLesson"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // An assessment the trainer cannot use, or a misplaced assessmentId, is refused.
    for input in [
        json!({ "title": "Test", "kind": "ASSESSMENT", "assessmentId": "0190a4a0-0000-7000-8000-000000000000" }),
        json!({ "title": "Text", "kind": "TEXT", "markdown": "x", "assessmentId": final_test }),
    ] {
        let refused = app
            .gql(
                add_lesson,
                json!({ "m": module, "input": input }),
                Some(&trainer),
            )
            .await;
        assert_error(&refused, "BAD_USER_INPUT", Some("assessmentId"));
    }
    let test_lesson = app
        .ok(
            add_lesson,
            json!({ "m": module, "input": { "title": "Final test", "kind": "ASSESSMENT", "assessmentId": final_test } }),
            &trainer,
        )
        .await["addLesson"]
        .clone();
    assert_eq!(test_lesson["assessmentId"], final_test.as_str());
    app.ok(
        "mutation($c: ID!) { publishCourse(courseId: $c) { status } }",
        json!({ "c": course }),
        &trainer,
    )
    .await;

    // Only through the course: not enrolled, it does not exist.
    let not_enrolled = app
        .gql(
            "mutation($id: ID!) { startAttempt(assessmentId: $id) { id } }",
            json!({ "id": final_test }),
            Some(&outsider),
        )
        .await;
    assert_error(&not_enrolled, "NOT_FOUND", None);

    app.ok(
        "mutation($c: ID!) { enroll(courseId: $c) { id } }",
        json!({ "c": course }),
        &learner,
    )
    .await;
    let done_directly = app
        .gql(
            "mutation($l: ID!) { completeLesson(lessonId: $l) { id } }",
            json!({ "l": test_lesson["id"] }),
            Some(&learner),
        )
        .await;
    assert_error(&done_directly, "CONFLICT", Some("lessonId"));
    app.ok(
        "mutation($l: ID!) { completeLesson(lessonId: $l) { status } }",
        json!({ "l": reading }),
        &learner,
    )
    .await;

    // A failed attempt leaves the course open.
    let failed = attempt_id(&start(&app, &learner, &final_test).await);
    let result = submit(&app, &learner, &failed).await;
    assert_eq!(result["data"]["submitAttempt"]["passed"], false, "{result}");
    let enrollments = "{ myEnrollments { edges { node { status progress { done total } } } } }";
    let open = app.ok(enrollments, json!({}), &learner).await;
    assert_eq!(
        open["myEnrollments"]["edges"][0]["node"]["status"],
        "ACTIVE"
    );
    assert_eq!(
        open["myEnrollments"]["edges"][0]["node"]["progress"]["done"],
        1
    );

    let passing = attempt_id(&start(&app, &learner, &final_test).await);
    for q in [&s1, &t1, &m2] {
        save(&app, &learner, &passing, &q.id, &q.correct).await;
    }
    let passed = submit(&app, &learner, &passing).await;
    assert_eq!(passed["data"]["submitAttempt"]["passed"], true, "{passed}");
    let done = app.ok(enrollments, json!({}), &learner).await;
    let node = &done["myEnrollments"]["edges"][0]["node"];
    assert_eq!(node["status"], "COMPLETED", "{done}");
    assert_eq!(node["progress"], json!({ "done": 2, "total": 2 }));

    let profile = app
        .ok(
            "{ myCompetenceProfile { competences { competence { code } currentLevel source } } }",
            json!({}),
            &learner,
        )
        .await;
    let browsing_level = profile["myCompetenceProfile"]["competences"]
        .as_array()
        .expect("competences")
        .iter()
        .find(|c| c["competence"]["code"] == "1.1")
        .cloned()
        .expect("1.1");
    assert_eq!(browsing_level["currentLevel"], 2);
    assert_eq!(browsing_level["source"], "ASSESSMENT");
}

/// The correct option ids of every question the trainer may use, by question id.
pub(crate) async fn answer_key(
    app: &TestApp,
    trainer: &str,
) -> std::collections::HashMap<String, Vec<String>> {
    let bank = app
        .ok(
            "{ questions { id options { id correct } } }",
            json!({}),
            trainer,
        )
        .await;
    bank["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| {
            let (correct, _) = split_options(q);
            (q["id"].as_str().expect("id").to_owned(), correct)
        })
        .collect()
}

#[tokio::test]
async fn the_demo_placement_test_and_final_test_verify_levels_and_complete_the_course() {
    let app = spawn_app().await;
    for _ in 0..2 {
        govskills_domain::demo::seed_course(&app.db)
            .await
            .expect("the demo course loads");
    }
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER2, PASSWORD).await;
    let key = answer_key(&app, &trainer).await;
    assert_eq!(key.len(), 6, "the demo bank is loaded once");

    // The placement test is listed for the learner; the final test only in its course.
    let listed = app
        .ok(
            "{ assessments { id title selection } }",
            json!({}),
            &learner,
        )
        .await;
    let listed = listed["assessments"].as_array().expect("assessments");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        listed[0]["title"],
        govskills_domain::demo::PLACEMENT_TEST_TITLE
    );
    assert_eq!(listed[0]["selection"], "RANDOM");
    let placement = listed[0]["id"].as_str().expect("id").to_owned();
    let attempt = start(&app, &learner, &placement).await;
    let questions = attempt["questions"].as_array().expect("questions").clone();
    assert_eq!(questions.len(), 6);
    let id = attempt_id(&attempt);
    for question in &questions {
        let qid = question["id"].as_str().expect("id");
        save(&app, &learner, &id, qid, &key[qid]).await;
    }
    let result = submit(&app, &learner, &id).await;
    let mut levels = result["data"]["submitAttempt"]["demonstratedLevels"]
        .as_array()
        .expect("levels")
        .clone();
    levels.sort_by_key(|l| {
        l["competence"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    assert_eq!(
        levels,
        [
            json!({ "competence": { "code": "1.1" }, "level": 3 }),
            json!({ "competence": { "code": "1.2" }, "level": 3 })
        ]
    );

    // The course's final test completes the course.
    let course = app
        .ok(
            "{ courses { edges { node { id modules { lessons { id kind assessmentId } } } } } }",
            json!({}),
            &learner,
        )
        .await;
    let node = &course["courses"]["edges"][0]["node"];
    let course_id = node["id"].as_str().expect("id").to_owned();
    app.ok(
        "mutation($c: ID!) { enroll(courseId: $c) { id } }",
        json!({ "c": course_id }),
        &learner,
    )
    .await;
    let mut final_test = None;
    for module in node["modules"].as_array().expect("modules") {
        for lesson in module["lessons"].as_array().expect("lessons") {
            if lesson["kind"] == "ASSESSMENT" {
                final_test = lesson["assessmentId"].as_str().map(str::to_owned);
            } else {
                app.ok(
                    "mutation($l: ID!) { completeLesson(lessonId: $l) { id } }",
                    json!({ "l": lesson["id"] }),
                    &learner,
                )
                .await;
            }
        }
    }
    let final_test = final_test.expect("the demo course has a final test");
    let attempt = start(&app, &learner, &final_test).await;
    assert_eq!(attempt["assessment"]["timeLimitSeconds"], 1200);
    let id = attempt_id(&attempt);
    for question in attempt["questions"].as_array().expect("questions") {
        let qid = question["id"].as_str().expect("id");
        save(&app, &learner, &id, qid, &key[qid]).await;
    }
    assert_eq!(
        submit(&app, &learner, &id).await["data"]["submitAttempt"]["passed"],
        true
    );
    let enrollments = app
        .ok(
            "{ myEnrollments { edges { node { status } } } }",
            json!({}),
            &learner,
        )
        .await;
    assert_eq!(
        enrollments["myEnrollments"]["edges"][0]["node"]["status"],
        "COMPLETED"
    );
}

#[tokio::test]
async fn a_trainer_of_another_authority_can_neither_see_nor_use_the_ministrys_bank() {
    let app = spawn_app().await;
    let admin = app.login(crate::helpers::ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (s1, _, _, _) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(&app, &trainer, json!({ "questionIds": [s1.id] })).await;

    let region = app.create_authority(&admin, "Region North").await;
    let other = app
        .person_with_role(&admin, &region, "trainer@north.example", "TRAINER")
        .await;

    let seen = app
        .ok(
            "query($q: ID!, $a: ID!) { question(id: $q) { id } assessment(id: $a) { id } questions { id } assessments { id } }",
            json!({ "q": s1.id, "a": assessment }),
            &other,
        )
        .await;
    assert_eq!(
        seen,
        json!({ "question": null, "assessment": null, "questions": [], "assessments": [] })
    );
    let borrowed = app
        .gql(
            "mutation($input: CreateAssessmentInput!) { createAssessment(input: $input) { id } }",
            json!({ "input": { "title": "Borrowed", "orgUnitId": region, "passMarkPercent": 50, "questionIds": [s1.id] } }),
            Some(&other),
        )
        .await;
    assert_error(&borrowed, "BAD_USER_INPUT", Some("questionIds"));
    let edited = app
        .gql(
            "mutation($id: ID!, $input: QuestionContentInput!) { updateQuestion(questionId: $id, input: $input) { id } }",
            json!({ "id": s1.id, "input": { "competenceId": digcomp(&app, "1.1").await, "level": 1,
                "kind": "TRUE_FALSE", "prompt": "Changed?", "trueFalseAnswer": false } }),
            Some(&other),
        )
        .await;
    assert_error(&edited, "NOT_FOUND", None);
    let in_their_unit = app
        .gql(
            "mutation($input: CreateQuestionInput!) { createQuestion(input: $input) { id } }",
            json!({ "input": create_question_input(&app.org_unit_id(&admin, MINISTRY).await, &digcomp(&app, "1.1").await, 1, "SINGLE_CHOICE", "X") }),
            Some(&other),
        )
        .await;
    assert_error(&in_their_unit, "FORBIDDEN", None);
    assert_eq!(app.count("assessments").await, 1);
    assert_eq!(app.count("question_versions").await, 4);
}

#[tokio::test]
async fn starting_twice_at_the_same_moment_opens_one_attempt() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, _, _) = question_bank(&app, &trainer).await;
    let assessment =
        create_assessment(&app, &trainer, json!({ "questionIds": [s1.id, t1.id] })).await;
    let (first, second) = tokio::join!(
        start(&app, &learner, &assessment),
        start(&app, &learner, &assessment)
    );
    assert_eq!(first["id"], second["id"]);
    assert_eq!(app.count("attempts").await, 1);
    assert_eq!(app.count("attempt_questions").await, 2);
}

#[tokio::test]
async fn reading_an_attempt_costs_the_same_statements_for_one_question_or_six() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, m2, e1) = question_bank(&app, &trainer).await;
    let browsing = digcomp(&app, "1.1").await;
    let extra = [
        create_question(&app, &trainer, &browsing, 3, "SINGLE_CHOICE", "X1").await,
        create_question(&app, &trainer, &browsing, 3, "MULTIPLE_CHOICE", "X2").await,
    ];
    let small = create_assessment(&app, &trainer, json!({ "questionIds": [s1.id] })).await;
    let large = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id, e1.id, extra[0].id, extra[1].id] }),
    )
    .await;
    let query = "query($id: ID!) { attempt(id: $id) { id status questions { id kind promptHtml level
        competence { code name } options { id text } answer } assessment { title drawRules { level } } } }";
    let mut costs = Vec::new();
    for assessment in [&small, &large] {
        let id = attempt_id(&start(&app, &learner, assessment).await);
        costs.push(
            app.statements_for(query, json!({ "id": id }), &learner)
                .await,
        );
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for 1 question and for 6: {costs:?}"
    );
}

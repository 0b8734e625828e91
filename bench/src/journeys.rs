//! The journeys: the data each needs (prepared through the API, as the demo and scale accounts)
//! and one iteration of each.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use hdrhistogram::Histogram;
use serde_json::json;

use crate::{
    client::{Client, Timed, str_at},
    report,
};

/// Demo accounts (domain/src/demo.rs) and the password of the learners the benchmark creates.
pub const DEMO_PASSWORD: &str = "demo-password-2026";
pub const ADMIN: &str = "admin@demo.govskills.test";
pub const TRAINER: &str = "trainer@demo.govskills.test";
pub const LEARNER1: &str = "learner1@demo.govskills.test";
/// Every `govskills seed-scale` account signs in with it.
pub const SCALE_PASSWORD: &str = "scale-password-2026";
const BENCH_PASSWORD: &str = "bench-password-2026";
const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const PLACEMENT_TEST: &str = "DigComp placement test: information and data literacy";
const DEMO_COURSE_SEARCH: &str = "Checking information online";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Journey {
    /// A catalogue page (20 courses) with owner, modules, lessons and competence targets.
    Catalogue,
    /// `me`, `myEnrollments`, `myCompetenceProfile`, `myRecommendations` in one request.
    Dashboard,
    /// startAttempt, saveAnswer for each question, submitAttempt of the placement test.
    Attempt,
    /// `verifyCertificate` and the `GET /verify/{code}` page of one certificate.
    Verify,
    /// `login` (argon2id): bound by the password hash by design.
    Login,
    /// `skillGapReport`, `aiLiteracyReport`, `completionReport` of a `seed-scale` org unit.
    Reports,
}

impl Journey {
    pub fn name(self) -> &'static str {
        match self {
            Self::Catalogue => "catalogue",
            Self::Dashboard => "dashboard",
            Self::Attempt => "attempt",
            Self::Verify => "verify",
            Self::Login => "login",
            Self::Reports => "reports",
        }
    }
}

pub const CATALOGUE: &str = "query Catalogue { courses(first: 20) { edges { node {
  id title totalMinutes owner { displayName }
  competenceTargets { targetLevel competence { code name area { name } } }
  modules { title lessons { title kind html estimatedMinutes } } } } } }";

const DASHBOARD: &str = "query Dashboard {
  me { id email displayName roles orgUnit { name } jobRole { name } }
  myEnrollments(first: 20) { edges { node { id status dueAt overdue course { id title }
    progress { done total percent } } } }
  myCompetenceProfile { totalGap competences { competence { code name } currentLevel requiredLevel gap } }
  myRecommendations(first: 5) { id title totalMinutes } }";

const START: &str = "mutation Start($id: ID!) { startAttempt(assessmentId: $id) {
  id questions { id kind promptHtml options { id text } } } }";
const SAVE: &str = "mutation Save($a: ID!, $q: ID!, $answer: [String!]!) {
  saveAnswer(attemptId: $a, questionId: $q, answer: $answer) }";
const SUBMIT: &str = "mutation Submit($id: ID!) { submitAttempt(attemptId: $id) {
  score maxScore percent passed demonstratedLevels { competence { code } level } } }";
const VERIFY: &str = "query Verify($code: String!) { verifyCertificate(code: $code) {
  status title holderName issuerName issuedAt expiresAt } }";
const LOGIN: &str =
    "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

const SKILL_GAPS: &str = "query SkillGaps($unit: ID!) { skillGapReport(orgUnitId: $unit) {
  staffCount
  competences { competence { code } staffWithRequirement belowRequired averageShortfall
    withoutVerifiedResult levelDistribution { level staff } }
  subunits { orgUnit { name } suppressed staffCount competences { competence { code } belowRequired } }
  staff(first: 20) { edges { node { displayName totalGap orgUnit { name } } } } } }";
const AI_LITERACY: &str = "query AiLiteracy($unit: ID!) { aiLiteracyReport(orgUnitId: $unit) {
  totals { staffUsingAiSystems certified missing overdue assigned certifiedPercent }
  subunits { orgUnit { name } suppressed counts { certified missing } }
  uncertified(first: 20) { edges { node { displayName jobRole status dueAt orgUnit { name } } } } } }";
const COMPLETION: &str = "query Completion($unit: ID!) { completionReport(orgUnitId: $unit) {
  courses { course { title } enrolled assigned completed overdue } } }";

/// What the journeys use, prepared once before any measurement.
pub struct Fixture {
    /// learner1's session: the catalogue and the dashboard.
    pub learner1: String,
    /// Learners created for this run, one per worker: (email, session).
    pub learners: Vec<(String, String)>,
    pub placement_test: Option<String>,
    /// Question id to its correct option ids (the trainer's view of the demo bank).
    pub answer_key: HashMap<String, Vec<String>>,
    pub certificate_code: Option<String>,
    /// (HR session, org unit id) of a `seed-scale` organisation.
    pub reports: Option<(String, String)>,
}

/// What to prepare.
pub struct Needs {
    pub learners: usize,
    pub attempt: bool,
    pub verify: bool,
    pub reports: Option<(String, String)>,
}

impl Fixture {
    pub async fn prepare(client: &Client, needs: &Needs) -> anyhow::Result<Self> {
        let learner1 = client.login(LEARNER1, DEMO_PASSWORD).await?;
        let mut fixture = Self {
            learner1,
            learners: Vec::new(),
            placement_test: None,
            answer_key: HashMap::new(),
            certificate_code: None,
            reports: None,
        };
        if needs.learners > 0 {
            fixture.learners = create_learners(client, needs.learners).await?;
        }
        if needs.attempt || needs.verify {
            let trainer = client.login(TRAINER, DEMO_PASSWORD).await?;
            fixture.answer_key = answer_key(client, &trainer).await?;
        }
        if needs.attempt {
            let (_, token) = fixture.learners.first().context("no learner")?;
            let listed = client
                .ok("{ assessments { id title } }", json!({}), Some(token))
                .await?;
            let found = listed["assessments"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["title"] == PLACEMENT_TEST)
                .context("the demo placement test is not listed: start the server with --demo")?;
            fixture.placement_test = Some(str_at(found, &["id"])?);
        }
        if needs.verify {
            let (_, token) = fixture.learners.first().context("no learner")?;
            fixture.certificate_code =
                Some(earn_certificate(client, token, &fixture.answer_key).await?);
        }
        if let Some((unit, hr)) = &needs.reports {
            let token = client.login(hr, SCALE_PASSWORD).await?;
            fixture.reports = Some((token, unit.clone()));
        }
        Ok(fixture)
    }
}

/// Creates `count` learners in the demo ministry (as the demo admin) and signs each in.
async fn create_learners(client: &Client, count: usize) -> anyhow::Result<Vec<(String, String)>> {
    let admin = client.login(ADMIN, DEMO_PASSWORD).await?;
    let units = client
        .ok("{ orgUnits { id name } }", json!({}), Some(&admin))
        .await?;
    let ministry = units["orgUnits"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["name"] == MINISTRY)
        .context("the demo ministry is missing: start the server with --demo")?;
    let ministry = str_at(ministry, &["id"])?;
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let mut learners = Vec::with_capacity(count);
    for i in 0..count {
        let email = format!("bench-{run}-{i}@bench.govskills.test");
        client
            .ok(
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": { "email": email, "displayName": format!("Bench learner {i}"),
                    "orgUnitId": ministry, "password": BENCH_PASSWORD } }),
                Some(&admin),
            )
            .await?;
        let token = client.login(&email, BENCH_PASSWORD).await?;
        learners.push((email, token));
    }
    Ok(learners)
}

async fn answer_key(
    client: &Client,
    trainer: &str,
) -> anyhow::Result<HashMap<String, Vec<String>>> {
    let bank = client
        .ok(
            "{ questions { id options { id correct } } }",
            json!({}),
            Some(trainer),
        )
        .await?;
    let mut key = HashMap::new();
    for question in bank["questions"].as_array().into_iter().flatten() {
        let correct = question["options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["correct"] == true)
            .filter_map(|o| o["id"].as_str().map(str::to_owned))
            .collect();
        key.insert(str_at(question, &["id"])?, correct);
    }
    Ok(key)
}

/// Finishes the demo course as `learner` (every lesson, then the final test with the right
/// answers) and returns the code of the certificate that earns.
async fn earn_certificate(
    client: &Client,
    learner: &str,
    key: &HashMap<String, Vec<String>>,
) -> anyhow::Result<String> {
    let found = client
        .ok(
            "query($s: String!) { courses(filter: { search: $s }) { edges { node { id
                modules { lessons { id kind assessmentId } } } } } }",
            json!({ "s": DEMO_COURSE_SEARCH }),
            Some(learner),
        )
        .await?;
    let node = &found["courses"]["edges"][0]["node"];
    let course = str_at(node, &["id"]).context("the demo course is missing")?;
    client
        .ok(
            "mutation($c: ID!) { enroll(courseId: $c) { id } }",
            json!({ "c": course }),
            Some(learner),
        )
        .await?;
    let mut final_test = None;
    for module in node["modules"].as_array().into_iter().flatten() {
        for lesson in module["lessons"].as_array().into_iter().flatten() {
            if lesson["kind"] == "ASSESSMENT" {
                final_test = Some(str_at(lesson, &["assessmentId"])?);
            } else {
                client
                    .ok(
                        "mutation($l: ID!) { completeLesson(lessonId: $l) { status } }",
                        json!({ "l": str_at(lesson, &["id"])? }),
                        Some(learner),
                    )
                    .await?;
            }
        }
    }
    let final_test = final_test.context("the demo course has no final test")?;
    let started = client
        .ok(START, json!({ "id": final_test }), Some(learner))
        .await?;
    let attempt = str_at(&started, &["startAttempt", "id"])?;
    for question in started["startAttempt"]["questions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let id = str_at(question, &["id"])?;
        let answer = key.get(&id).cloned().unwrap_or_default();
        client
            .ok(
                SAVE,
                json!({ "a": attempt, "q": id, "answer": answer }),
                Some(learner),
            )
            .await?;
    }
    let result = client
        .ok(SUBMIT, json!({ "id": attempt }), Some(learner))
        .await?;
    if result["submitAttempt"]["passed"] != true {
        bail!("the demo final test was not passed: {result}");
    }
    let mine = client
        .ok("{ myCertificates { code } }", json!({}), Some(learner))
        .await?;
    str_at(&mine["myCertificates"][0], &["code"]).context("no certificate was issued")
}

/// Latencies and errors by kind of request, of one worker.
#[derive(Default)]
pub struct Recorder {
    pub by_label: HashMap<&'static str, (Histogram<u64>, u64)>,
    /// Labels in the order first seen.
    pub order: Vec<&'static str>,
}

impl Recorder {
    pub fn record<T>(&mut self, label: &'static str, timed: &Timed<T>) {
        let entry = self.by_label.entry(label).or_insert_with(|| {
            self.order.push(label);
            (report::histogram(), 0)
        });
        let micros = u64::try_from(timed.elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        entry.0.saturating_record(micros);
        if timed.result.is_err() {
            entry.1 += 1;
        }
    }

    pub fn merge(&mut self, other: Self) {
        for label in other.order {
            if let Some((histogram, errors)) = other.by_label.get(label) {
                let entry = self.by_label.entry(label).or_insert_with(|| {
                    self.order.push(label);
                    (report::histogram(), 0)
                });
                // Same bounds on both sides: adding cannot fail.
                let _ = entry.0.add(histogram);
                entry.1 += errors;
            }
        }
    }

    pub fn requests(&self) -> u64 {
        self.by_label.values().map(|(h, _)| h.len()).sum()
    }
}

/// One iteration of `journey` by worker `worker`.
pub async fn iterate(
    journey: Journey,
    client: &Client,
    fixture: &Fixture,
    worker: usize,
    recorder: &mut Recorder,
) {
    match journey {
        Journey::Catalogue => {
            let timed = client
                .gql(CATALOGUE, json!({}), Some(&fixture.learner1))
                .await;
            recorder.record("catalogue", &timed);
        }
        Journey::Dashboard => {
            let timed = client
                .gql(DASHBOARD, json!({}), Some(&fixture.learner1))
                .await;
            recorder.record("dashboard", &timed);
        }
        Journey::Attempt => attempt(client, fixture, worker, recorder).await,
        Journey::Verify => {
            let code = fixture.certificate_code.as_deref().unwrap_or_default();
            let timed = client.gql(VERIFY, json!({ "code": code }), None).await;
            let valid =
                matches!(&timed.result, Ok(data) if data["verifyCertificate"]["status"] == "VALID");
            recorder.record(
                "verify (verifyCertificate)",
                &Timed {
                    elapsed: timed.elapsed,
                    result: if valid {
                        Ok(())
                    } else {
                        Err(anyhow::anyhow!("not VALID"))
                    },
                },
            );
            let page = client.get(&format!("verify/{code}")).await;
            recorder.record("verify (GET /verify/{code})", &page);
        }
        Journey::Login => {
            let email = fixture
                .learners
                .get(worker % fixture.learners.len().max(1))
                .map_or(LEARNER1, |(email, _)| email.as_str());
            let password = if email == LEARNER1 {
                DEMO_PASSWORD
            } else {
                BENCH_PASSWORD
            };
            let timed = client
                .gql(LOGIN, json!({ "e": email, "p": password }), None)
                .await;
            recorder.record("login", &timed);
        }
        Journey::Reports => {
            let Some((token, unit)) = &fixture.reports else {
                return;
            };
            let vars = json!({ "unit": unit });
            let timed = client.gql(SKILL_GAPS, vars.clone(), Some(token)).await;
            recorder.record("skillGapReport", &timed);
            let timed = client.gql(AI_LITERACY, vars.clone(), Some(token)).await;
            recorder.record("aiLiteracyReport", &timed);
            let timed = client.gql(COMPLETION, vars, Some(token)).await;
            recorder.record("completionReport", &timed);
        }
    }
}

async fn attempt(client: &Client, fixture: &Fixture, worker: usize, recorder: &mut Recorder) {
    let Some((_, token)) = fixture.learners.get(worker % fixture.learners.len().max(1)) else {
        return;
    };
    let test = fixture.placement_test.as_deref().unwrap_or_default();
    let started = client.gql(START, json!({ "id": test }), Some(token)).await;
    recorder.record("attempt: startAttempt", &started);
    let Ok(data) = started.result else {
        return;
    };
    let Ok(attempt) = str_at(&data, &["startAttempt", "id"]) else {
        return;
    };
    for question in data["startAttempt"]["questions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Ok(id) = str_at(question, &["id"]) else {
            continue;
        };
        let answer = fixture.answer_key.get(&id).cloned().unwrap_or_default();
        let saved = client
            .gql(
                SAVE,
                json!({ "a": attempt, "q": id, "answer": answer }),
                Some(token),
            )
            .await;
        recorder.record("attempt: saveAnswer", &saved);
    }
    let submitted = client
        .gql(SUBMIT, json!({ "id": attempt }), Some(token))
        .await;
    recorder.record("attempt: submitAttempt", &submitted);
}

//! The AI register (EU AI Act Art. 4, 26(2), 49(3)): the authority's AI systems, who deals with
//! each and which measures they must meet, the evidence per person and system, and the AI Act
//! report built from it.

use chrono::{DateTime, Duration, Utc};
use govskills_domain::{
    entities::{audit_event, course, enrollment, job_role, user},
    scale,
};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{
        ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, digcomp, get_csv,
        parse_csv, spawn_app, spawn_app_with, wide_batch_window,
    },
    learning::{complete, enroll, id_of, published_course, user_id},
};

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const CITIZEN_SERVICES: &str = "Department of Citizen Services";
const DATA_AND_AI: &str = "Department of Data and AI";

const SYSTEM: &str = "id name purpose provider authorityRole riskClass annexIiiArea euDatabaseId
    publicRegisterUrl instructionsUrl orgUnit { id } ownerOrgUnit { id } contact { id }
    status version retrainingSince registrationMissing
    changes { version summary requiresRetraining }
    uses { kind jobRole { id } person { id } }
    measures { kind course { id } instructions minLevel competence { id } }";

/// The register's own tables, the enrolments it assigns and the audit trail: what a refused
/// request must leave as it was.
const TABLES: [&str; 7] = [
    "ai_systems",
    "ai_system_uses",
    "ai_system_measures",
    "ai_system_changes",
    "ai_instruction_acknowledgements",
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

/// A register entry of the ministry's (a `CreateAiSystemInput`).
fn entry(org_unit: &str, name: &str, risk_class: &str, annex_iii_area: Option<i32>) -> Value {
    json!({
        "orgUnitId": org_unit,
        "name": name,
        "purpose": format!("What {name} is used for"),
        "provider": "Vendor Ltd",
        "authorityRole": "DEPLOYER",
        "riskClass": risk_class,
        "annexIiiArea": annex_iii_area,
        "status": "IN_USE",
    })
}

/// `entry` with more fields set.
fn with(mut input: Value, fields: Value) -> Value {
    let object = input.as_object_mut().expect("an object");
    for (key, value) in fields.as_object().expect("an object") {
        object.insert(key.clone(), value.clone());
    }
    input
}

/// An `UpdateAiSystemInput` from a `CreateAiSystemInput`: the same without `orgUnitId`.
fn replacement(mut input: Value) -> Value {
    input
        .as_object_mut()
        .expect("an object")
        .remove("orgUnitId");
    input
}

async fn try_create(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($input: CreateAiSystemInput!) {{ createAiSystem(input: $input) {{ {SYSTEM} }} }}"
        ),
        json!({ "input": input }),
        token,
    )
    .await
}

/// Creates a system and returns it.
async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    let response = try_create(app, Some(token), input).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["createAiSystem"].clone()
}

async fn create_id(app: &TestApp, token: &str, input: Value) -> String {
    create(app, token, input).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn update(app: &TestApp, token: Option<&str>, id: &str, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($id: ID!, $input: UpdateAiSystemInput!) {{
                updateAiSystem(id: $id, input: $input) {{ {SYSTEM} }}
            }}"
        ),
        json!({ "id": id, "input": input }),
        token,
    )
    .await
}

async fn system(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    app.gql(
        &format!("query($id: ID!) {{ aiSystem(id: $id) {{ {SYSTEM} }} }}"),
        json!({ "id": id }),
        token,
    )
    .await
}

async fn register(app: &TestApp, token: Option<&str>, unit: &str) -> Value {
    app.gql(
        "query($unit: ID!) { aiSystems(orgUnitId: $unit) { id name riskClass version } }",
        json!({ "unit": unit }),
        token,
    )
    .await
}

async fn change(
    app: &TestApp,
    token: Option<&str>,
    id: &str,
    summary: &str,
    requires_retraining: bool,
    due_in_days: Option<i32>,
) -> Value {
    app.gql(
        &format!(
            "mutation($id: ID!, $input: AiSystemChangeInput!) {{
                recordAiSystemChange(aiSystemId: $id, input: $input) {{ {SYSTEM} }}
            }}"
        ),
        json!({ "id": id, "input": { "summary": summary,
            "requiresRetraining": requires_retraining, "dueInDays": due_in_days } }),
        token,
    )
    .await
}

async fn set_use(app: &TestApp, token: Option<&str>, id: &str, role: &str, kind: &str) -> Value {
    app.gql(
        "mutation($id: ID!, $role: ID!, $kind: AiSystemUseKind!) {
            setAiSystemUse(aiSystemId: $id, jobRoleId: $role, kind: $kind) { id uses { kind jobRole { id } } }
        }",
        json!({ "id": id, "role": role, "kind": kind }),
        token,
    )
    .await
}

async fn remove_use(app: &TestApp, token: Option<&str>, id: &str, role: &str) -> Value {
    app.gql(
        "mutation($id: ID!, $role: ID!) {
            removeAiSystemUse(aiSystemId: $id, jobRoleId: $role) { id uses { kind } }
        }",
        json!({ "id": id, "role": role }),
        token,
    )
    .await
}

async fn set_person_use(
    app: &TestApp,
    token: Option<&str>,
    id: &str,
    person: &str,
    kind: Option<&str>,
) -> Value {
    app.gql(
        "mutation($id: ID!, $user: ID!, $kind: AiSystemUseKind) {
            setAiSystemPersonUse(aiSystemId: $id, userId: $user, kind: $kind) { id uses { kind person { id } } }
        }",
        json!({ "id": id, "user": person, "kind": kind }),
        token,
    )
    .await
}

async fn set_measures(app: &TestApp, token: Option<&str>, id: &str, input: Value) -> Value {
    app.gql(
        "mutation($id: ID!, $input: AiSystemMeasuresInput!) {
            setAiSystemMeasures(aiSystemId: $id, input: $input) {
                id measures { kind course { id } instructions minLevel competence { id } }
            }
        }",
        json!({ "id": id, "input": input }),
        token,
    )
    .await
}

async fn acknowledge(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    app.gql(
        "mutation($id: ID!) { acknowledgeAiSystemInstructions(aiSystemId: $id) }",
        json!({ "id": id }),
        token,
    )
    .await
}

#[track_caller]
fn assert_ok(response: &Value) {
    assert!(response.get("errors").is_none(), "{response}");
}

async fn job_role(app: &TestApp, admin: &str, name: &str, unit: &str, uses_ai: bool) -> String {
    let response = app
        .gql(
            "mutation($input: CreateJobRoleInput!) { createJobRole(input: $input) { id } }",
            json!({ "input": { "name": name, "usesAiSystems": uses_ai, "orgUnitId": unit,
                "requirements": [] } }),
            Some(admin),
        )
        .await;
    id_of(&response, "createJobRole")
}

async fn give_job_role(app: &TestApp, admin: &str, user: &str, role: Option<&str>) {
    app.ok(
        "mutation($user: ID!, $role: ID) { assignJobRole(userId: $user, jobRoleId: $role) { id } }",
        json!({ "user": user, "role": role }),
        admin,
    )
    .await;
}

/// A new person in `unit`, signed in: their id and token.
async fn person(app: &TestApp, admin: &str, name: &str, unit: &str) -> (String, String) {
    let email = format!("{}@ministry.test", name.to_lowercase());
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

/// The signed-in person's enrolments in `course`.
async fn enrolments_in(app: &TestApp, token: &str, course: &str) -> Vec<Value> {
    app.ok(
        "{ myEnrollments(first: 100) { edges { node {
            id status source dueAt completedAt course { id } progress { done total }
        } } } }",
        json!({}),
        token,
    )
    .await["myEnrollments"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .filter(|node| node["course"]["id"] == course)
        .collect()
}

/// Asserts `at` is `days` from now, give or take ten minutes.
#[track_caller]
fn assert_due_in(at: &Value, days: i64) {
    let at: DateTime<Utc> = at
        .as_str()
        .unwrap_or_else(|| panic!("a due date, not {at}"))
        .parse()
        .expect("a date");
    let expected = Utc::now() + Duration::days(days);
    assert!(
        (at - expected).num_minutes().abs() < 10,
        "due {at}, expected about {expected}"
    );
}

/// The audit events with this action, oldest first.
async fn audit_events(app: &TestApp, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_asc(audit_event::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("audit query runs")
}

const REPORT: &str = "query($unit: ID!) { aiActReport(orgUnitId: $unit) {
    totals { ...counts }
    systems {
        system { id name riskClass version registrationMissing }
        counts { ...counts }
        oversightPersons oversightCompetent registrationMissing
        instructionsRequired instructionsAcknowledged
    }
    subunits { orgUnit { id name } suppressed counts { ...counts } }
} }
fragment counts on AiActCounts { people compliant overdue due stale missing }";

const GAPS: &str = "query($unit: ID!) { aiActReport(orgUnitId: $unit) {
    gaps(first: 100) { edges { node {
        user { id displayName } orgUnit { name } aiSystemId aiSystemName kind status dueAt
        openMeasures { measure targetId minLevel status }
    } } }
} }";

const OVERSIGHT: &str = "query($unit: ID!, $system: ID!) { aiActReport(orgUnitId: $unit) {
    oversight(aiSystemId: $system) {
        user { id displayName } orgUnit { name } kind status openMeasures { measure status }
    }
} }";

async fn report(app: &TestApp, token: &str, unit: &str) -> Value {
    app.ok(REPORT, json!({ "unit": unit }), token).await["aiActReport"].clone()
}

/// One system's row of a report.
fn system_row<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["systems"]
        .as_array()
        .expect("systems")
        .iter()
        .find(|row| row["system"]["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report}"))
}

fn counts(people: i64, compliant: i64, overdue: i64, due: i64, stale: i64, missing: i64) -> Value {
    json!({ "people": people, "compliant": compliant, "overdue": overdue, "due": due,
        "stale": stale, "missing": missing })
}

async fn gaps(app: &TestApp, token: &str, unit: &str) -> Vec<Value> {
    app.ok(GAPS, json!({ "unit": unit }), token).await["aiActReport"]["gaps"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test]
async fn an_admin_registers_systems_and_everyone_in_the_authority_reads_the_register() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let citizen = app.org_unit_id(&admin, CITIZEN_SERVICES).await;
    let data_ai = app.org_unit_id(&admin, DATA_AND_AI).await;
    let admin_id = user_id(&app, &admin).await;
    let created_before = audit_events(&app, "ai_system.created").await.len();

    let scoring_input = with(
        entry(
            &ministry,
            "Benefit-fraud risk scoring",
            "HIGH_RISK",
            Some(5),
        ),
        json!({
            "euDatabaseId": "EU-AI-2026-000123",
            "publicRegisterUrl": "https://algorithms.example.org/benefit-scoring",
            "instructionsUrl": "https://intranet.example.org/scoring/instructions",
            "ownerOrgUnitId": data_ai,
            "contactUserId": admin_id,
        }),
    );
    let scoring = create(&app, &admin, scoring_input).await;
    let scoring_id = scoring["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.latest_audit_event().await,
        (
            "ai_system.created".to_owned(),
            Some(admin_id.clone()),
            Some(scoring_id.clone())
        )
    );
    assert_eq!(scoring["name"], "Benefit-fraud risk scoring");
    assert_eq!(
        scoring["purpose"],
        "What Benefit-fraud risk scoring is used for"
    );
    assert_eq!(scoring["provider"], "Vendor Ltd");
    assert_eq!(scoring["authorityRole"], "DEPLOYER");
    assert_eq!(scoring["riskClass"], "HIGH_RISK");
    assert_eq!(scoring["annexIiiArea"], 5);
    assert_eq!(scoring["euDatabaseId"], "EU-AI-2026-000123");
    assert_eq!(
        scoring["publicRegisterUrl"],
        "https://algorithms.example.org/benefit-scoring"
    );
    assert_eq!(
        scoring["instructionsUrl"],
        "https://intranet.example.org/scoring/instructions"
    );
    assert_eq!(scoring["orgUnit"]["id"], ministry.as_str());
    assert_eq!(scoring["ownerOrgUnit"]["id"], data_ai.as_str());
    assert_eq!(scoring["contact"]["id"], admin_id.as_str());
    // A new system is at version 1 with no change logged.
    assert_eq!(scoring["status"], "IN_USE");
    assert_eq!(scoring["version"], 1);
    assert_eq!(scoring["retrainingSince"], Value::Null);
    assert_eq!(scoring["registrationMissing"], false);
    assert_eq!(scoring["changes"], json!([]));
    assert_eq!(scoring["uses"], json!([]));
    assert_eq!(scoring["measures"], json!([]));

    let chatbot_input = with(
        entry(&ministry, "Citizen chatbot", "TRANSPARENCY", None),
        json!({ "publicRegisterUrl": "https://algorithms.example.org/chatbot",
            "ownerOrgUnitId": citizen, "authorityRole": "BOTH" }),
    );
    let chatbot = create_id(&app, &admin, chatbot_input.clone()).await;
    let translation = create_id(
        &app,
        &admin,
        with(
            entry(&ministry, "Translation tool", "MINIMAL", None),
            json!({ "status": "PLANNED" }),
        ),
    )
    .await;
    assert_eq!(
        audit_events(&app, "ai_system.created").await.len(),
        created_before + 3
    );

    // A learner of a sub-unit reads the whole authority's register, by name.
    let listed = register(&app, Some(&learner), &citizen).await;
    assert_ok(&listed);
    let ours: Vec<Value> = listed["data"]["aiSystems"]
        .as_array()
        .expect("systems")
        .iter()
        .filter(|s| {
            [&scoring_id, &chatbot, &translation]
                .iter()
                .any(|id| s["id"] == id.as_str())
        })
        .cloned()
        .collect();
    assert_eq!(
        ours,
        [
            json!({ "id": scoring_id, "name": "Benefit-fraud risk scoring", "riskClass": "HIGH_RISK", "version": 1 }),
            json!({ "id": chatbot, "name": "Citizen chatbot", "riskClass": "TRANSPARENCY", "version": 1 }),
            json!({ "id": translation, "name": "Translation tool", "riskClass": "MINIMAL", "version": 1 }),
        ]
    );
    let read = system(&app, Some(&learner), &scoring_id).await;
    assert_ok(&read);
    assert_eq!(read["data"]["aiSystem"], scoring);
    let read = system(&app, Some(&learner), &translation).await;
    assert_eq!(read["data"]["aiSystem"]["status"], "PLANNED");
    assert_eq!(read["data"]["aiSystem"]["authorityRole"], "DEPLOYER");

    // An update replaces the whole entry: what it leaves out is cleared.
    let updated = update(
        &app,
        Some(&admin),
        &chatbot,
        json!({
            "name": "Citizen chatbot (v2 wording)",
            "purpose": "Answers citizens' questions about benefits",
            "provider": "Other Vendor",
            "authorityRole": "DEPLOYER",
            "riskClass": "TRANSPARENCY",
            "status": "PLANNED",
        }),
    )
    .await;
    assert_ok(&updated);
    let updated = &updated["data"]["updateAiSystem"];
    assert_eq!(updated["name"], "Citizen chatbot (v2 wording)");
    assert_eq!(
        updated["purpose"],
        "Answers citizens' questions about benefits"
    );
    assert_eq!(updated["provider"], "Other Vendor");
    assert_eq!(updated["authorityRole"], "DEPLOYER");
    assert_eq!(updated["status"], "PLANNED");
    assert_eq!(updated["publicRegisterUrl"], Value::Null);
    assert_eq!(updated["ownerOrgUnit"], Value::Null);
    // An update of the entry is no change of the system: the version stays.
    assert_eq!(updated["version"], 1);
    assert_eq!(
        app.latest_audit_event().await,
        (
            "ai_system.updated".to_owned(),
            Some(admin_id.clone()),
            Some(chatbot.clone())
        )
    );
    let event = audit_events(&app, "ai_system.updated")
        .await
        .pop()
        .expect("an update event");
    assert_eq!(event.details["before"]["name"], "Citizen chatbot");
    assert_eq!(
        event.details["after"]["name"],
        "Citizen chatbot (v2 wording)"
    );
    let reread = system(&app, Some(&learner), &chatbot).await;
    assert_eq!(&reread["data"]["aiSystem"], updated);

    // Updating again with the same entry is safe.
    let again = update(
        &app,
        Some(&admin),
        &chatbot,
        replacement(with(chatbot_input, json!({ "status": "IN_USE" }))),
    )
    .await;
    assert_ok(&again);
    assert_eq!(again["data"]["updateAiSystem"]["name"], "Citizen chatbot");
    assert_eq!(
        again["data"]["updateAiSystem"]["publicRegisterUrl"],
        "https://algorithms.example.org/chatbot"
    );
    assert_eq!(audit_events(&app, "ai_system.updated").await.len(), 2);
}

#[tokio::test]
async fn bad_register_input_is_refused_on_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let citizen = app.org_unit_id(&admin, CITIZEN_SERVICES).await;
    let other = app.create_authority(&admin, "Other Agency").await;
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let learner2_id = user_id(&app, &learner2).await;
    let (course, _) = published_course(&app, &trainer, "Using AI safely", 1).await;
    let competence = digcomp(&app, "1.1").await;

    let scoring = create_id(
        &app,
        &admin,
        entry(
            &ministry,
            "Benefit-fraud risk scoring",
            "HIGH_RISK",
            Some(5),
        ),
    )
    .await;
    assert_ok(
        &set_person_use(
            &app,
            Some(&admin),
            &scoring,
            &learner2_id,
            Some("OVERSIGHT"),
        )
        .await,
    );
    let minimal = create_id(
        &app,
        &admin,
        entry(&ministry, "Translation tool", "MINIMAL", None),
    )
    .await;
    let retired = create_id(
        &app,
        &admin,
        with(
            entry(&ministry, "Old chatbot", "TRANSPARENCY", None),
            json!({ "status": "RETIRED" }),
        ),
    )
    .await;
    let job = job_role(&app, &admin, "Translator", &ministry, false).await;
    let before = rows(&app).await;

    let creates = [
        (
            entry(&ministry, "Social scoring", "PROHIBITED", None),
            "riskClass",
        ),
        (
            entry(&ministry, "Scoring", "HIGH_RISK", None),
            "annexIiiArea",
        ),
        (
            entry(&ministry, "Scoring", "HIGH_RISK", Some(9)),
            "annexIiiArea",
        ),
        (
            entry(&ministry, "Scoring", "HIGH_RISK", Some(0)),
            "annexIiiArea",
        ),
        (
            entry(&ministry, "Translation", "MINIMAL", Some(5)),
            "annexIiiArea",
        ),
        (
            entry(&ministry, "Chatbot", "TRANSPARENCY", Some(1)),
            "annexIiiArea",
        ),
        (entry(&ministry, "   ", "MINIMAL", None), "name"),
        (
            with(
                entry(&ministry, "Translation", "MINIMAL", None),
                json!({ "publicRegisterUrl": "http://algorithms.example.org/translation" }),
            ),
            "publicRegisterUrl",
        ),
        (
            with(
                entry(&ministry, "Translation", "MINIMAL", None),
                json!({ "instructionsUrl": "not a url" }),
            ),
            "instructionsUrl",
        ),
        (
            with(
                entry(&ministry, "Translation", "MINIMAL", None),
                json!({ "ownerOrgUnitId": other }),
            ),
            "ownerOrgUnitId",
        ),
        // A register belongs to the authority: its top-level unit is named.
        (entry(&citizen, "Translation", "MINIMAL", None), "orgUnitId"),
    ];
    for (input, field) in creates {
        let refused = try_create(&app, Some(&admin), input.clone()).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
        assert_eq!(refused["data"], Value::Null, "{input}");
    }

    // The same rules on update; the entry stays as it was.
    for (input, field) in [
        (entry(&ministry, "Scoring", "PROHIBITED", None), "riskClass"),
        (
            entry(&ministry, "Scoring", "HIGH_RISK", None),
            "annexIiiArea",
        ),
        (entry(&ministry, "", "HIGH_RISK", Some(5)), "name"),
    ] {
        let refused = update(&app, Some(&admin), &scoring, replacement(input)).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
    }

    // Oversight (Art. 26(2)) is for high-risk systems only.
    assert_error(
        &set_use(&app, Some(&admin), &minimal, &job, "OVERSIGHT").await,
        "BAD_USER_INPUT",
        Some("kind"),
    );
    assert_error(
        &set_person_use(
            &app,
            Some(&admin),
            &minimal,
            &learner2_id,
            Some("OVERSIGHT"),
        )
        .await,
        "BAD_USER_INPUT",
        Some("kind"),
    );
    assert_error(
        &set_measures(
            &app,
            Some(&admin),
            &minimal,
            json!({ "kind": "OVERSIGHT", "instructions": true }),
        )
        .await,
        "BAD_USER_INPUT",
        Some("kind"),
    );

    // Measures: an unknown course, levels outside 1 to 8, a competence twice.
    for (input, field) in [
        (
            json!({ "kind": "OPERATOR", "courseIds": [Uuid::new_v4().to_string()] }),
            "courseIds",
        ),
        (
            json!({ "kind": "OPERATOR", "courseIds": [course],
                "competences": [{ "competenceId": competence, "minLevel": 0 }] }),
            "competences",
        ),
        (
            json!({ "kind": "OPERATOR",
                "competences": [{ "competenceId": competence, "minLevel": 9 }] }),
            "competences",
        ),
        (
            json!({ "kind": "OPERATOR", "competences": [
                { "competenceId": competence, "minLevel": 2 },
                { "competenceId": competence, "minLevel": 3 },
            ] }),
            "competences",
        ),
        (
            json!({ "kind": "OPERATOR", "competences": [
                { "competenceId": Uuid::new_v4().to_string(), "minLevel": 2 },
            ] }),
            "competences",
        ),
        (
            json!({ "kind": "OPERATOR", "certificateTemplateIds": [Uuid::new_v4().to_string()] }),
            "certificateTemplateIds",
        ),
    ] {
        let refused = set_measures(&app, Some(&admin), &scoring, input.clone()).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
    }

    // Changes: a summary, and a due date 1 to 365 days away.
    for (summary, due, field) in [
        ("  ", None, "summary"),
        ("New model", Some(0), "dueInDays"),
        ("New model", Some(400), "dueInDays"),
        ("New model", Some(-3), "dueInDays"),
    ] {
        let refused = change(&app, Some(&admin), &scoring, summary, true, due).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
    }

    // A retired system: no acknowledgement, no change.
    let learner = app.login(LEARNER1, PASSWORD).await;
    assert_error(
        &acknowledge(&app, Some(&learner), &retired).await,
        "CONFLICT",
        Some("aiSystemId"),
    );
    assert_error(
        &change(&app, Some(&admin), &retired, "Switched off", false, None).await,
        "CONFLICT",
        Some("aiSystemId"),
    );

    // A high-risk system with an oversight person stays high-risk until that use is removed.
    let demoted = update(
        &app,
        Some(&admin),
        &scoring,
        replacement(entry(
            &ministry,
            "Benefit-fraud risk scoring",
            "MINIMAL",
            None,
        )),
    )
    .await;
    assert_error(&demoted, "CONFLICT", Some("riskClass"));

    assert_eq!(rows(&app).await, before);
    let unchanged = system(&app, Some(&admin), &scoring).await["data"]["aiSystem"].clone();
    assert_eq!(unchanged["riskClass"], "HIGH_RISK");
    assert_eq!(unchanged["annexIiiArea"], 5);
    assert_eq!(unchanged["name"], "Benefit-fraud risk scoring");
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["measures"], json!([]));
    assert_eq!(
        unchanged["uses"],
        json!([{ "kind": "OVERSIGHT", "jobRole": null, "person": { "id": learner2_id } }])
    );

    // Once the oversight person is unlinked, the system may be reclassified.
    assert_ok(&set_person_use(&app, Some(&admin), &scoring, &learner2_id, None).await);
    let demoted = update(
        &app,
        Some(&admin),
        &scoring,
        replacement(entry(
            &ministry,
            "Benefit-fraud risk scoring",
            "MINIMAL",
            None,
        )),
    )
    .await;
    assert_ok(&demoted);
    assert_eq!(demoted["data"]["updateAiSystem"]["riskClass"], "MINIMAL");
    assert_eq!(
        demoted["data"]["updateAiSystem"]["annexIiiArea"],
        Value::Null
    );
}

#[tokio::test]
async fn only_the_authoritys_admin_writes_the_register_and_other_authorities_do_not_see_it() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let citizen = app.org_unit_id(&admin, CITIZEN_SERVICES).await;
    let other = app.create_authority(&admin, "Other Agency").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@other-agency.test", "ADMIN")
        .await;
    let (course, _) = published_course(&app, &trainer, "Using AI safely", 1).await;
    let role = job_role(&app, &admin, "Caseworker", &ministry, false).await;
    let scoring_input = entry(
        &ministry,
        "Benefit-fraud risk scoring",
        "HIGH_RISK",
        Some(5),
    );
    let scoring = create_id(&app, &admin, scoring_input.clone()).await;
    let before = rows(&app).await;

    let writes = |token: Option<String>| {
        let (app, scoring, role, course, learner_id, ministry, input) = (
            &app,
            scoring.clone(),
            role.clone(),
            course.clone(),
            learner_id.clone(),
            ministry.clone(),
            scoring_input.clone(),
        );
        async move {
            let token = token.as_deref();
            vec![
                (
                    "createAiSystem",
                    try_create(app, token, entry(&ministry, "Mine", "MINIMAL", None)).await,
                ),
                (
                    "updateAiSystem",
                    update(app, token, &scoring, replacement(input)).await,
                ),
                (
                    "recordAiSystemChange",
                    change(app, token, &scoring, "New model", true, Some(14)).await,
                ),
                (
                    "setAiSystemUse",
                    set_use(app, token, &scoring, &role, "OPERATOR").await,
                ),
                (
                    "removeAiSystemUse",
                    remove_use(app, token, &scoring, &role).await,
                ),
                (
                    "setAiSystemPersonUse",
                    set_person_use(app, token, &scoring, &learner_id, Some("OVERSIGHT")).await,
                ),
                (
                    "setAiSystemMeasures",
                    set_measures(
                        app,
                        token,
                        &scoring,
                        json!({ "kind": "OPERATOR", "courseIds": [course] }),
                    )
                    .await,
                ),
            ]
        }
    };

    // A learner, the HR officer and a trainer read the register but do not write it.
    for token in [&learner, &hr, &trainer] {
        for (operation, response) in writes(Some(token.clone())).await {
            assert_eq!(
                response["errors"][0]["extensions"]["code"], "FORBIDDEN",
                "{operation}: {response}"
            );
            assert_eq!(response["data"], Value::Null, "{operation}");
        }
        assert_ok(&system(&app, Some(token), &scoring).await);
    }

    // The administrator of another authority does not see the ministry's register at all.
    for (operation, response) in writes(Some(other_admin.clone())).await {
        let expected = if operation == "createAiSystem" {
            "FORBIDDEN"
        } else {
            "NOT_FOUND"
        };
        assert_eq!(
            response["errors"][0]["extensions"]["code"], expected,
            "{operation}: {response}"
        );
    }
    assert_error(
        &system(&app, Some(&other_admin), &scoring).await,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &register(&app, Some(&other_admin), &ministry).await,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &register(&app, Some(&other_admin), &citizen).await,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &acknowledge(&app, Some(&other_admin), &scoring).await,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &app.gql(REPORT, json!({ "unit": ministry }), Some(&other_admin))
            .await,
        "FORBIDDEN",
        None,
    );
    // Their own register is theirs: empty, and the ministry's people and job roles are not
    // theirs to link.
    assert_eq!(
        register(&app, Some(&other_admin), &other).await["data"]["aiSystems"],
        json!([])
    );
    assert_error(
        &register(&app, Some(&learner), &other).await,
        "NOT_FOUND",
        None,
    );

    // Nobody signed in: nothing at all.
    for (operation, response) in writes(None).await {
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{operation}: {response}"
        );
    }
    for response in [
        register(&app, None, &ministry).await,
        system(&app, None, &scoring).await,
        acknowledge(&app, None, &scoring).await,
        app.gql(REPORT, json!({ "unit": ministry }), None).await,
    ] {
        assert_error(&response, "UNAUTHENTICATED", None);
    }

    // The AI Act report is for HR and ADMIN.
    for token in [&learner, &trainer] {
        let refused = app
            .gql(REPORT, json!({ "unit": ministry }), Some(token))
            .await;
        assert_error(&refused, "FORBIDDEN", None);
        let refused = app.gql(GAPS, json!({ "unit": citizen }), Some(token)).await;
        assert_error(&refused, "FORBIDDEN", None);
    }
    assert_eq!(rows(&app).await, before);

    let mine = create_id(
        &app,
        &other_admin,
        entry(&other, "Our chatbot", "TRANSPARENCY", None),
    )
    .await;
    let before = rows(&app).await;
    assert_error(
        &set_use(&app, Some(&other_admin), &mine, &role, "OPERATOR").await,
        "BAD_USER_INPUT",
        Some("jobRoleId"),
    );
    assert_error(
        &set_person_use(
            &app,
            Some(&other_admin),
            &mine,
            &learner_id,
            Some("OPERATOR"),
        )
        .await,
        "BAD_USER_INPUT",
        Some("userId"),
    );
    assert_error(
        &set_measures(
            &app,
            Some(&other_admin),
            &mine,
            json!({ "kind": "OPERATOR", "courseIds": [course] }),
        )
        .await,
        "BAD_USER_INPUT",
        Some("courseIds"),
    );
    // The ministry's learner neither reads nor acknowledges another authority's system.
    assert_error(
        &system(&app, Some(&learner), &mine).await,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &acknowledge(&app, Some(&learner), &mine).await,
        "NOT_FOUND",
        None,
    );
    assert_eq!(rows(&app).await, before);
    let ministry_register =
        register(&app, Some(&learner), &ministry).await["data"]["aiSystems"].clone();
    assert!(
        ministry_register
            .as_array()
            .expect("systems")
            .iter()
            .all(|s| s["id"] != mine.as_str()),
        "{ministry_register}"
    );
}

/// The ministry with a high-risk system whose operators must complete a course and acknowledge
/// its instructions; a job role linked to it as `OPERATOR`.
struct Operated {
    admin: String,
    hr: String,
    ministry: String,
    system: String,
    role: String,
    course: String,
    lessons: Vec<String>,
}

async fn operated(app: &TestApp) -> Operated {
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let (course, lessons) = published_course(app, &trainer, "Working with risk scores", 1).await;
    let role = job_role(app, &admin, "Benefits caseworker", &ministry, false).await;
    let system = create_id(
        app,
        &admin,
        entry(
            &ministry,
            "Benefit-fraud risk scoring",
            "HIGH_RISK",
            Some(5),
        ),
    )
    .await;
    let measures = set_measures(
        app,
        Some(&admin),
        &system,
        json!({ "kind": "OPERATOR", "courseIds": [course], "instructions": true }),
    )
    .await;
    assert_ok(&measures);
    let mut listed: Vec<(Value, Value, Value)> =
        measures["data"]["setAiSystemMeasures"]["measures"]
            .as_array()
            .expect("measures")
            .iter()
            .map(|m| {
                (
                    m["kind"].clone(),
                    m["course"]["id"].clone(),
                    m["instructions"].clone(),
                )
            })
            .collect();
    listed.sort_by_key(|m| m.2.as_bool());
    assert_eq!(
        listed,
        [
            (json!("OPERATOR"), json!(course), json!(false)),
            (json!("OPERATOR"), Value::Null, json!(true)),
        ]
    );
    let linked = set_use(app, Some(&admin), &system, &role, "OPERATOR").await;
    assert_ok(&linked);
    assert_eq!(
        linked["data"]["setAiSystemUse"]["uses"],
        json!([{ "kind": "OPERATOR", "jobRole": { "id": role } }])
    );
    Operated {
        admin,
        hr,
        ministry,
        system,
        role,
        course,
        lessons,
    }
}

/// The gaps of one person for one system.
fn gap_of<'a>(gaps: &'a [Value], user: &str, system: &str) -> Option<&'a Value> {
    gaps.iter()
        .find(|gap| gap["user"]["id"] == user && gap["aiSystemId"] == system)
}

/// A gap's open measures as `(measure, status)`, sorted.
fn open_measures(gap: &Value) -> Vec<(String, String)> {
    let mut open: Vec<(String, String)> = gap["openMeasures"]
        .as_array()
        .expect("open measures")
        .iter()
        .map(|m| {
            (
                m["measure"].as_str().expect("measure").to_owned(),
                m["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    open.sort();
    open
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn operating_a_system_assigns_its_course_once_and_a_change_makes_the_evidence_stale() {
    let app = spawn_app().await;
    let org = operated(&app).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;
    assert_eq!(
        enrolments_in(&app, &learner, &org.course).await,
        Vec::<Value>::new()
    );

    // Getting a job role linked to the system assigns its required course, due in 30 days.
    give_job_role(&app, &org.admin, &learner_id, Some(&org.role)).await;
    let enrolments = enrolments_in(&app, &learner, &org.course).await;
    assert_eq!(enrolments.len(), 1, "{enrolments:?}");
    assert_eq!(enrolments[0]["status"], "ACTIVE");
    assert_eq!(enrolments[0]["source"], "ASSIGNED");
    assert_due_in(&enrolments[0]["dueAt"], 30);
    let assigned = audit_events(&app, "enrollment.assigned").await;
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].details["aiSystemId"], org.system.as_str());
    let job_role_set = audit_events(&app, "user.job_role_set").await;
    assert_eq!(
        job_role_set.last().expect("audited").details["aiCoursesAssigned"],
        1
    );

    // Once: losing and getting the job role again, or linking it again, assigns nothing new.
    let enrolment_rows = app.count("enrollments").await;
    give_job_role(&app, &org.admin, &learner_id, None).await;
    give_job_role(&app, &org.admin, &learner_id, Some(&org.role)).await;
    assert_ok(&set_use(&app, Some(&org.admin), &org.system, &org.role, "OPERATOR").await);
    assert_eq!(app.count("enrollments").await, enrolment_rows);
    assert_eq!(enrolments_in(&app, &learner, &org.course).await, enrolments);
    assert_eq!(audit_events(&app, "enrollment.assigned").await.len(), 1);

    // The report: one operator, due, with the instructions not yet acknowledged.
    let first = report(&app, &org.hr, &org.ministry).await;
    let row = system_row(&first, &org.system);
    assert_eq!(row["counts"], counts(1, 0, 0, 1, 0, 0));
    assert_eq!(row["instructionsRequired"], 1);
    assert_eq!(row["instructionsAcknowledged"], 0);
    assert_eq!(row["oversightPersons"], 0);
    assert_eq!(first["totals"], counts(1, 0, 0, 1, 0, 0));
    let listed = gaps(&app, &org.hr, &org.ministry).await;
    let gap = gap_of(&listed, &learner_id, &org.system).expect("learner1 has a gap");
    assert_eq!(gap["user"]["displayName"], "Lena Learner");
    assert_eq!(gap["orgUnit"]["name"], CITIZEN_SERVICES);
    assert_eq!(gap["aiSystemName"], "Benefit-fraud risk scoring");
    assert_eq!(gap["kind"], "OPERATOR");
    assert_eq!(gap["status"], "DUE");
    assert_eq!(gap["dueAt"], enrolments[0]["dueAt"]);
    assert_eq!(
        open_measures(gap),
        pairs(&[("COURSE", "DUE"), ("INSTRUCTIONS", "MISSING")])
    );
    let course_measure = gap["openMeasures"]
        .as_array()
        .expect("open")
        .iter()
        .find(|m| m["measure"] == "COURSE")
        .expect("the course");
    assert_eq!(course_measure["targetId"], org.course.as_str());

    // Completing the course and acknowledging the instructions: compliant.
    let done = complete(&app, &learner, &org.lessons[0]).await;
    assert_eq!(
        done["data"]["completeLesson"]["status"], "COMPLETED",
        "{done}"
    );
    assert_eq!(
        acknowledge(&app, Some(&learner), &org.system).await["data"]["acknowledgeAiSystemInstructions"],
        true
    );
    assert_eq!(
        app.latest_audit_event().await,
        (
            "ai_system.instructions_acknowledged".to_owned(),
            Some(learner_id.clone()),
            Some(org.system.clone())
        )
    );
    // Again for the same version: nothing new.
    let events = app.count("audit_events").await;
    assert_eq!(
        acknowledge(&app, Some(&learner), &org.system).await["data"]["acknowledgeAiSystemInstructions"],
        true
    );
    assert_eq!(app.count("ai_instruction_acknowledgements").await, 1);
    assert_eq!(app.count("audit_events").await, events);
    let compliant = report(&app, &org.hr, &org.ministry).await;
    let row = system_row(&compliant, &org.system);
    assert_eq!(row["counts"], counts(1, 1, 0, 0, 0, 0));
    assert_eq!(row["instructionsAcknowledged"], 1);
    assert!(
        gap_of(
            &gaps(&app, &org.hr, &org.ministry).await,
            &learner_id,
            &org.system
        )
        .is_none()
    );

    // Getting the job role again does not reopen the completed course.
    give_job_role(&app, &org.admin, &learner_id, None).await;
    give_job_role(&app, &org.admin, &learner_id, Some(&org.role)).await;
    assert_eq!(
        enrolments_in(&app, &learner, &org.course).await[0]["status"],
        "COMPLETED"
    );

    // A change that needs retraining: version 2, the course reopened and due in 14 days, the
    // acknowledgement stale.
    let changed = change(
        &app,
        Some(&org.admin),
        &org.system,
        "New scoring model",
        true,
        Some(14),
    )
    .await;
    assert_ok(&changed);
    let changed = &changed["data"]["recordAiSystemChange"];
    assert_eq!(changed["version"], 2);
    assert!(changed["retrainingSince"].is_string(), "{changed}");
    assert_eq!(
        changed["changes"],
        json!([{ "version": 2, "summary": "New scoring model", "requiresRetraining": true }])
    );
    assert_eq!(
        app.latest_audit_event().await.0,
        "ai_system.changed".to_owned()
    );
    let reopened = enrolments_in(&app, &learner, &org.course).await;
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0]["id"], enrolments[0]["id"]);
    assert_eq!(reopened[0]["status"], "ACTIVE");
    assert_eq!(reopened[0]["source"], "ASSIGNED");
    assert_eq!(reopened[0]["completedAt"], Value::Null);
    assert_eq!(reopened[0]["progress"]["done"], 0);
    assert_due_in(&reopened[0]["dueAt"], 14);
    let stale = report(&app, &org.hr, &org.ministry).await;
    let row = system_row(&stale, &org.system);
    assert_eq!(row["system"]["version"], 2);
    assert_eq!(row["counts"], counts(1, 0, 0, 1, 0, 0));
    assert_eq!(row["instructionsAcknowledged"], 0);
    let listed = gaps(&app, &org.hr, &org.ministry).await;
    let gap = gap_of(&listed, &learner_id, &org.system).expect("a gap again");
    assert_eq!(gap["status"], "DUE");
    assert_eq!(gap["dueAt"], reopened[0]["dueAt"]);
    assert_eq!(
        open_measures(gap),
        pairs(&[("COURSE", "DUE"), ("INSTRUCTIONS", "STALE")])
    );

    // Acknowledging the new version and completing again: compliant again.
    assert_ok(&acknowledge(&app, Some(&learner), &org.system).await);
    let done = complete(&app, &learner, &org.lessons[0]).await;
    assert_eq!(
        done["data"]["completeLesson"]["status"], "COMPLETED",
        "{done}"
    );
    let again = report(&app, &org.hr, &org.ministry).await;
    assert_eq!(
        system_row(&again, &org.system)["counts"],
        counts(1, 1, 0, 0, 0, 0)
    );
    assert_eq!(
        system_row(&again, &org.system)["instructionsAcknowledged"],
        1
    );
    assert!(
        gap_of(
            &gaps(&app, &org.hr, &org.ministry).await,
            &learner_id,
            &org.system
        )
        .is_none()
    );
    assert_eq!(app.count("ai_instruction_acknowledgements").await, 2);

    // A change without retraining leaves the course alone; the instructions of the new version
    // still need acknowledging.
    let minor = change(
        &app,
        Some(&org.admin),
        &org.system,
        "Typo in the manual",
        false,
        None,
    )
    .await;
    assert_ok(&minor);
    assert_eq!(minor["data"]["recordAiSystemChange"]["version"], 3);
    assert_eq!(
        enrolments_in(&app, &learner, &org.course).await[0]["status"],
        "COMPLETED"
    );
    let listed = gaps(&app, &org.hr, &org.ministry).await;
    let gap = gap_of(&listed, &learner_id, &org.system).expect("instructions stale");
    assert_eq!(gap["status"], "STALE");
    assert_eq!(open_measures(gap), pairs(&[("INSTRUCTIONS", "STALE")]));
    assert_eq!(
        system(&app, Some(&learner), &org.system).await["data"]["aiSystem"]["changes"],
        json!([
            { "version": 3, "summary": "Typo in the manual", "requiresRetraining": false },
            { "version": 2, "summary": "New scoring model", "requiresRetraining": true },
        ])
    );
}

#[tokio::test]
async fn a_named_oversight_person_is_listed_with_whether_they_are_competent() {
    let app = spawn_app().await;
    let org = operated(&app).await;
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let learner2_id = user_id(&app, &learner2).await;
    // Luis holds the operators' job role, and is also named to oversee the system: the named
    // link wins, so he counts once, as oversight.
    give_job_role(&app, &org.admin, &learner2_id, Some(&org.role)).await;
    assert_ok(
        &set_measures(
            &app,
            Some(&org.admin),
            &org.system,
            json!({ "kind": "OVERSIGHT", "instructions": true, "courseIds": [org.course] }),
        )
        .await,
    );
    let named = set_person_use(
        &app,
        Some(&org.admin),
        &org.system,
        &learner2_id,
        Some("OVERSIGHT"),
    )
    .await;
    assert_ok(&named);
    let mut uses: Vec<Value> = named["data"]["setAiSystemPersonUse"]["uses"]
        .as_array()
        .expect("uses")
        .clone();
    uses.sort_by_key(|u| u["kind"].as_str().map(str::to_owned));
    assert_eq!(
        uses,
        [
            json!({ "kind": "OPERATOR", "person": null }),
            json!({ "kind": "OVERSIGHT", "person": { "id": learner2_id } }),
        ]
    );
    let enrolments = enrolments_in(&app, &learner2, &org.course).await;
    assert_eq!(enrolments.len(), 1);
    assert_eq!(enrolments[0]["source"], "ASSIGNED");

    let before = report(&app, &org.hr, &org.ministry).await;
    let row = system_row(&before, &org.system);
    assert_eq!(row["oversightPersons"], 1);
    assert_eq!(row["oversightCompetent"], 0);
    assert_eq!(row["counts"]["people"], 1);
    let oversight = app
        .ok(
            OVERSIGHT,
            json!({ "unit": org.ministry, "system": org.system }),
            &org.hr,
        )
        .await["aiActReport"]["oversight"]
        .clone();
    assert_eq!(
        oversight,
        json!([{
            "user": { "id": learner2_id, "displayName": "Luis Learner" },
            "orgUnit": { "name": DATA_AND_AI },
            "kind": "OVERSIGHT",
            "status": "DUE",
            "openMeasures": oversight[0]["openMeasures"],
        }])
    );
    assert_eq!(
        open_measures(&oversight[0]),
        pairs(&[("COURSE", "DUE"), ("INSTRUCTIONS", "MISSING")])
    );
    // An audited read, recorded as what it is.
    let event = audit_events(&app, "report.staff_read")
        .await
        .pop()
        .expect("audited");
    assert_eq!(event.details["report"], "aiAct");
    assert_eq!(event.details["list"], "oversight");
    assert_eq!(event.details["export"], Value::Null, "{}", event.details);

    let lessons = org.lessons.clone();
    let done = complete(&app, &learner2, &lessons[0]).await;
    assert_eq!(
        done["data"]["completeLesson"]["status"], "COMPLETED",
        "{done}"
    );
    assert_ok(&acknowledge(&app, Some(&learner2), &org.system).await);
    let after = report(&app, &org.hr, &org.ministry).await;
    let row = system_row(&after, &org.system);
    assert_eq!(row["oversightPersons"], 1);
    assert_eq!(row["oversightCompetent"], 1);
    assert_eq!(row["counts"], counts(1, 1, 0, 0, 0, 0));
    let oversight = app
        .ok(
            OVERSIGHT,
            json!({ "unit": org.ministry, "system": org.system }),
            &org.hr,
        )
        .await["aiActReport"]["oversight"]
        .clone();
    assert_eq!(oversight[0]["status"], "COMPLIANT");
    assert_eq!(oversight[0]["openMeasures"], json!([]));

    // Unnamed, he is an operator again through his job role (whose measures he meets too).
    assert_ok(&set_person_use(&app, Some(&org.admin), &org.system, &learner2_id, None).await);
    let unnamed = report(&app, &org.hr, &org.ministry).await;
    let row = system_row(&unnamed, &org.system);
    assert_eq!(row["oversightPersons"], 0);
    assert_eq!(row["counts"], counts(1, 1, 0, 0, 0, 0));
}

const AI_LITERACY: &str = "query($unit: ID!) { aiLiteracyReport(orgUnitId: $unit) {
    totals { staffUsingAiSystems missing }
} }";

#[tokio::test]
async fn the_ai_literacy_report_counts_job_roles_linked_in_the_register() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;
    let role = job_role(&app, &admin, "Translator", &ministry, false).await;
    give_job_role(&app, &admin, &learner_id, Some(&role)).await;
    let translation = create_id(
        &app,
        &admin,
        entry(&ministry, "Translation tool", "MINIMAL", None),
    )
    .await;
    let using = async || {
        app.ok(AI_LITERACY, json!({ "unit": ministry }), &hr).await["aiLiteracyReport"]["totals"]
            ["staffUsingAiSystems"]
            .as_i64()
            .expect("a count")
    };
    // The job role says it uses no AI systems, and the register does not link it yet.
    assert_eq!(using().await, 0);

    assert_ok(&set_use(&app, Some(&admin), &translation, &role, "AFFECTED_STAFF").await);
    assert_eq!(using().await, 1);
    assert_ok(&remove_use(&app, Some(&admin), &translation, &role).await);
    assert_eq!(using().await, 0);
    assert_ok(&set_use(&app, Some(&admin), &translation, &role, "OPERATOR").await);
    assert_eq!(using().await, 1);
    // A retired system no longer counts.
    assert_ok(
        &update(
            &app,
            Some(&admin),
            &translation,
            replacement(with(
                entry(&ministry, "Translation tool", "MINIMAL", None),
                json!({ "status": "RETIRED" }),
            )),
        )
        .await,
    );
    assert_eq!(using().await, 0);
    // Nor is it in the AI Act report.
    let report = report(&app, &hr, &ministry).await;
    assert!(
        report["systems"]
            .as_array()
            .expect("systems")
            .iter()
            .all(|row| row["system"]["id"] != translation.as_str()),
        "{report}"
    );
}

#[tokio::test]
async fn a_high_risk_system_in_use_without_its_eu_database_registration_is_flagged() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let input = entry(
        &ministry,
        "Benefit-fraud risk scoring",
        "HIGH_RISK",
        Some(5),
    );
    let scoring = create(&app, &admin, input.clone()).await;
    let scoring_id = scoring["id"].as_str().expect("id").to_owned();
    let chatbot = create_id(
        &app,
        &admin,
        entry(&ministry, "Citizen chatbot", "TRANSPARENCY", None),
    )
    .await;
    assert_eq!(scoring["registrationMissing"], true);
    assert_eq!(scoring["euDatabaseId"], Value::Null);

    let flagged = report(&app, &hr, &ministry).await;
    assert_eq!(
        system_row(&flagged, &scoring_id)["registrationMissing"],
        true
    );
    assert_eq!(system_row(&flagged, &chatbot)["registrationMissing"], false);

    // A blank id is no id.
    let blank = update(
        &app,
        Some(&admin),
        &scoring_id,
        replacement(with(input.clone(), json!({ "euDatabaseId": "   " }))),
    )
    .await;
    assert_ok(&blank);
    assert_eq!(blank["data"]["updateAiSystem"]["euDatabaseId"], Value::Null);
    assert_eq!(blank["data"]["updateAiSystem"]["registrationMissing"], true);

    let registered = update(
        &app,
        Some(&admin),
        &scoring_id,
        replacement(with(input, json!({ "euDatabaseId": "EU-AI-2026-000123" }))),
    )
    .await;
    assert_ok(&registered);
    assert_eq!(
        registered["data"]["updateAiSystem"]["registrationMissing"],
        false
    );
    let fine = report(&app, &hr, &ministry).await;
    assert_eq!(system_row(&fine, &scoring_id)["registrationMissing"], false);
    assert_eq!(
        system_row(&fine, &scoring_id)["system"]["registrationMissing"],
        false
    );
}

#[tokio::test]
async fn the_gaps_are_an_audited_read_that_names_no_one_of_a_suppressed_subunit() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(2)).await;
    let org = operated(&app).await;
    let citizen = app.org_unit_id(&org.admin, CITIZEN_SERVICES).await;
    let hr_id = user_id(&app, &org.hr).await;
    let mut names = Vec::new();
    for name in ["Carla", "Cem", "Chris"] {
        let (id, _) = person(&app, &org.admin, name, &citizen).await;
        give_job_role(&app, &org.admin, &id, Some(&org.role)).await;
        names.push(name);
    }
    // Luis of Data and AI is the only one there who deals with the system: too few to show.
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let learner2_id = user_id(&app, &learner2).await;
    give_job_role(&app, &org.admin, &learner2_id, Some(&org.role)).await;
    // Two in Records: the smallest group beside him (Citizen Services has three), suppressed
    // too, or the totals less Citizen Services would give him away.
    let records = app
        .ok(
            "mutation($parent: ID!) { createOrgUnit(input: { name: \"Department of Records\",
                parentId: $parent }) { id } }",
            json!({ "parent": org.ministry }),
            &org.admin,
        )
        .await["createOrgUnit"]["id"]
        .as_str()
        .expect("unit")
        .to_owned();
    for name in ["Rosa", "Rolf"] {
        let (id, _) = person(&app, &org.admin, name, &records).await;
        give_job_role(&app, &org.admin, &id, Some(&org.role)).await;
    }

    // Chris's assignment is past due (moved there rather than waited for).
    let chris = user::Entity::find()
        .filter(user::Column::Email.eq("chris@ministry.test"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Chris")
        .id;
    let course_id: Uuid = org.course.parse().expect("course id");
    let moved = enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::DueAt,
            Expr::value(Utc::now() - Duration::days(1)),
        )
        .filter(enrollment::Column::UserId.eq(chris))
        .filter(enrollment::Column::CourseId.eq(course_id))
        .exec(&app.db)
        .await
        .expect("due date moved");
    assert_eq!(moved.rows_affected, 1);

    // The counts name no one and are not audited.
    let reads = audit_events(&app, "report.staff_read").await.len();
    let counted = report(&app, &org.hr, &org.ministry).await;
    assert_eq!(audit_events(&app, "report.staff_read").await.len(), reads);
    assert_eq!(counted["totals"], counts(6, 0, 1, 5, 0, 0));
    assert_eq!(
        system_row(&counted, &org.system)["counts"],
        counts(6, 0, 1, 5, 0, 0)
    );
    assert_eq!(
        counted["subunits"]
            .as_array()
            .expect("subunits")
            .iter()
            .map(|s| json!([s["orgUnit"]["name"], s["suppressed"], s["counts"]]))
            .collect::<Vec<_>>(),
        [
            json!([CITIZEN_SERVICES, false, counts(3, 0, 1, 2, 0, 0)]),
            json!([DATA_AND_AI, true, null]),
            json!(["Department of Records", true, null]),
        ]
    );

    let listed = gaps(&app, &org.hr, &org.ministry).await;
    // The overdue first.
    assert_eq!(listed[0]["user"]["displayName"], "Chris");
    assert_eq!(listed[0]["status"], "OVERDUE");
    assert_eq!(
        open_measures(&listed[0]),
        pairs(&[("COURSE", "OVERDUE"), ("INSTRUCTIONS", "MISSING")])
    );
    let mut listed_names: Vec<&str> = listed
        .iter()
        .map(|gap| gap["user"]["displayName"].as_str().expect("name"))
        .collect();
    listed_names.sort_unstable();
    assert_eq!(listed_names, names);
    assert!(
        listed
            .iter()
            .all(|gap| gap["user"]["id"] != learner2_id.as_str())
    );
    let reads_after = audit_events(&app, "report.staff_read").await;
    assert_eq!(reads_after.len(), reads + 1);
    let event = reads_after.last().expect("audited");
    assert_eq!(event.actor_id.map(|id| id.to_string()), Some(hr_id.clone()));
    assert_eq!(
        event.target_id.map(|id| id.to_string()),
        Some(org.ministry.clone())
    );
    assert_eq!(event.details["report"], "aiAct");
    assert_eq!(event.details["list"], "gaps");

    // The export leaves him out too, and is audited as an export.
    let response = get_csv(
        &app,
        &format!("/reports/ai-act.csv?orgUnitId={}", org.ministry),
        Some(&org.hr),
    )
    .await;
    assert_eq!(response.status(), 200);
    let csv = parse_csv(&response.text().await.expect("body"));
    assert_eq!(csv[0][0], "name");
    let mut exported: Vec<&str> = csv[1..].iter().map(|row| row[0].as_str()).collect();
    exported.sort_unstable();
    assert_eq!(exported, names);
    let event = audit_events(&app, "report.staff_read")
        .await
        .pop()
        .expect("audited");
    assert_eq!(event.details["report"], "aiAct");
    assert_eq!(event.details["export"], "csv");

    // Without a minimum group size he is named.
    let open = spawn_app().await;
    let org = operated(&open).await;
    let learner2 = open.login(LEARNER2, PASSWORD).await;
    let learner2_id = user_id(&open, &learner2).await;
    give_job_role(&open, &org.admin, &learner2_id, Some(&org.role)).await;
    let listed = gaps(&open, &org.hr, &org.ministry).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["user"]["id"], learner2_id.as_str());
}

/// Registers two systems in a generated authority, linked to its job roles and one named
/// person, with measures; returns the high-risk system's id.
async fn register_for(app: &TestApp, admin: &str, generated: &scale::Generated) -> String {
    let authority = generated.authority.id;
    let unit = authority.to_string();
    let roles = job_role::Entity::find()
        .filter(job_role::Column::OrgUnitId.eq(authority))
        .all(&app.db)
        .await
        .expect("job roles");
    let role = |name: &str| {
        roles
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("job role {name}"))
            .id
            .to_string()
    };
    let ai_course = course::Entity::find()
        .filter(course::Column::OrgUnitId.eq(authority))
        .filter(course::Column::Title.eq("AI for public servants"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the generated AI course")
        .id
        .to_string();
    let hr = user::Entity::find()
        .filter(user::Column::Email.eq(generated.hr_email.as_str()))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the HR officer")
        .id
        .to_string();
    let competence = digcomp(app, "1.2").await;
    let scoring = create_id(
        app,
        admin,
        entry(&unit, "Risk scoring", "HIGH_RISK", Some(5)),
    )
    .await;
    let chatbot = create_id(app, admin, entry(&unit, "Chatbot", "TRANSPARENCY", None)).await;
    for (system, kind, input) in [
        (
            &scoring,
            "OPERATOR",
            json!({ "kind": "OPERATOR", "courseIds": [ai_course], "instructions": true,
                "competences": [{ "competenceId": competence, "minLevel": 3 }] }),
        ),
        (
            &scoring,
            "OVERSIGHT",
            json!({ "kind": "OVERSIGHT", "courseIds": [ai_course], "instructions": true }),
        ),
        (
            &chatbot,
            "AFFECTED_STAFF",
            json!({ "kind": "AFFECTED_STAFF", "instructions": true }),
        ),
    ] {
        assert_eq!(input["kind"], kind);
        assert_ok(&set_measures(app, Some(admin), system, input).await);
    }
    for (system, role_name, kind) in [
        (&scoring, "Data steward", "OPERATOR"),
        (&scoring, "Team lead", "OVERSIGHT"),
        (&chatbot, "Front-office clerk", "AFFECTED_STAFF"),
        (&chatbot, "Communications officer", "OPERATOR"),
    ] {
        assert_ok(&set_use(app, Some(admin), system, &role(role_name), kind).await);
    }
    assert_ok(&set_person_use(app, Some(admin), &scoring, &hr, Some("OVERSIGHT")).await);
    assert_ok(&change(app, Some(admin), &scoring, "New model", true, Some(14)).await);
    scoring
}

#[tokio::test]
async fn the_ai_act_report_costs_the_same_statements_for_100_and_for_1000_staff() {
    // With a minimum group size, its statements run (1: and suppress nothing, so that both
    // organisations show alike); they read no unit one by one.
    let app = spawn_app_with(|config| {
        wide_batch_window(config);
        config.report_min_group_size = Some(1);
    })
    .await;
    let issuer = app.issuer().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let mut costs = Vec::new();
    for (name, staff) in [("Small ministry", 100), ("Larger ministry", 1000)] {
        let generated = scale::generate(&app.db, &issuer, name, staff, 11)
            .await
            .expect("the organisation is generated");
        let scoring = register_for(&app, &admin, &generated).await;
        let hr = app.login(&generated.hr_email, scale::PASSWORD).await;
        let unit = generated.authority.id.to_string();
        let figures = report(&app, &hr, &unit).await;
        // The organisation is large enough for every status but the named ones to show.
        let people = figures["totals"]["people"].as_i64().expect("people");
        assert!(people > 0, "{figures}");
        let row = system_row(&figures, &scoring);
        assert_eq!(row["system"]["version"], 2);
        assert!(
            row["oversightPersons"].as_i64().expect("oversight") > 1,
            "{row}"
        );
        let listed = gaps(&app, &hr, &unit).await;
        assert!(!listed.is_empty(), "gaps at {staff} staff");
        let mut cost = Vec::new();
        for (query, variables) in [
            (REPORT, json!({ "unit": unit })),
            (GAPS, json!({ "unit": unit })),
            (OVERSIGHT, json!({ "unit": unit, "system": scoring })),
        ] {
            cost.push(app.statements_for(query, variables, &hr).await);
        }
        costs.push((staff, people, cost));
    }
    assert!(costs[1].1 > costs[0].1 * 5, "{costs:?}");
    assert_eq!(costs[0].2, costs[1].2, "statements per query: {costs:?}");
}

#[tokio::test]
async fn two_changes_at_once_get_consecutive_versions() {
    let app = spawn_app().await;
    let org = operated(&app).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;
    give_job_role(&app, &org.admin, &learner_id, Some(&org.role)).await;

    let (first, second) = tokio::join!(
        change(
            &app,
            Some(&org.admin),
            &org.system,
            "First change",
            true,
            Some(10)
        ),
        change(
            &app,
            Some(&org.admin),
            &org.system,
            "Second change",
            true,
            Some(20)
        ),
    );
    assert_ok(&first);
    assert_ok(&second);
    let mut versions = [
        first["data"]["recordAiSystemChange"]["version"].as_i64(),
        second["data"]["recordAiSystemChange"]["version"].as_i64(),
    ];
    versions.sort_unstable();
    assert_eq!(versions, [Some(2), Some(3)]);
    let logged = system(&app, Some(&learner), &org.system).await["data"]["aiSystem"].clone();
    assert_eq!(logged["version"], 3);
    assert_eq!(
        logged["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| c["version"].clone())
            .collect::<Vec<_>>(),
        [json!(3), json!(2)]
    );
    // Still one enrolment for the learner, assigned once per change at most.
    assert_eq!(enrolments_in(&app, &learner, &org.course).await.len(), 1);
}

/// What the certificate tests read of a certificate.
const HELD: &str = "{ myCertificates { id code sequence status issuedAt expiresAt credential
    aiSystems { aiSystemId name version } } }";

/// The signed-in person's certificates, oldest first.
async fn held(app: &TestApp, token: &str) -> Vec<Value> {
    let mut certificates = app.ok(HELD, json!({}), token).await["myCertificates"]
        .as_array()
        .expect("certificates")
        .clone();
    certificates.sort_by_key(|c| c["sequence"].as_i64());
    certificates
}

/// The achievement's alignments to AI systems in a credential (a VC-JWT): its payload decoded.
fn system_alignments(credential: &Value) -> Vec<Value> {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let token = credential.as_str().expect("a credential");
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).expect("a payload"))
            .expect("base64url"),
    )
    .expect("JSON");
    payload["credentialSubject"]["achievement"]["alignment"]
        .as_array()
        .expect("alignments")
        .iter()
        .filter(|a| a["targetType"] == "ext:AISystem")
        .cloned()
        .collect()
}

/// The public verification of a code: `verifyCertificate` and the page.
async fn verification(app: &TestApp, code: &str) -> (Value, String) {
    let verified = app
        .gql(
            "query($code: String!) { verifyCertificate(code: $code) {
                status aiSystems { name version } } }",
            json!({ "code": code }),
            None,
        )
        .await;
    assert_ok(&verified);
    let page = app
        .client
        .get(app.url(&format!("/verify/{code}?lang=en")))
        .send()
        .await
        .expect("the page answers")
        .text()
        .await
        .expect("a body");
    (verified["data"]["verifyCertificate"].clone(), page)
}

/// Waits until the wall clock is past the second `at` (an issue time, kept to the second) lies
/// in: what the register records next then happens in a later second than that issuance.
async fn after_the_second_of(at: &Value) {
    let at: DateTime<Utc> = at.as_str().expect("a time").parse().expect("a date");
    let wait = at + Duration::seconds(1) - Utc::now();
    if let Ok(wait) = wait.to_std() {
        tokio::time::sleep(wait).await;
    }
}

#[tokio::test]
async fn a_certificate_of_a_template_tied_to_systems_names_them_with_their_versions() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let (course, lessons) = published_course(&app, &trainer, "AI at work", 1).await;
    let template = crate::certificates::template(&app, &admin, &[&course], Some(24)).await;
    let tie = |kind: &'static str| json!({ "kind": kind, "certificateTemplateIds": [template] });

    let scoring_input = with(
        entry(
            &ministry,
            "Benefit-fraud risk scoring",
            "HIGH_RISK",
            Some(5),
        ),
        json!({ "publicRegisterUrl": "https://algorithms.example/risk-scoring" }),
    );
    let scoring = create_id(&app, &admin, scoring_input.clone()).await;
    assert_ok(&set_measures(&app, Some(&admin), &scoring, tie("OPERATOR")).await);
    assert_ok(&set_measures(&app, Some(&admin), &scoring, tie("OVERSIGHT")).await);
    let chatbot = create_id(
        &app,
        &admin,
        entry(&ministry, "Citizen chatbot", "TRANSPARENCY", None),
    )
    .await;
    assert_ok(&set_measures(&app, Some(&admin), &chatbot, tie("AFFECTED_STAFF")).await);
    // A retired system the template was tied to covers nothing any more.
    let retired_input = entry(&ministry, "Old translation tool", "MINIMAL", None);
    let retired = create_id(&app, &admin, retired_input.clone()).await;
    assert_ok(&set_measures(&app, Some(&admin), &retired, tie("OPERATOR")).await);
    assert_ok(
        &update(
            &app,
            Some(&admin),
            &retired,
            replacement(with(retired_input, json!({ "status": "RETIRED" }))),
        )
        .await,
    );
    // Version 2 of the risk scoring: a change that needs no retraining.
    assert_ok(&change(&app, Some(&admin), &scoring, "New thresholds", false, None).await);

    enroll(&app, &learner, &course).await;
    assert_ok(&complete(&app, &learner, &lessons[0]).await);
    let certificates = held(&app, &learner).await;
    assert_eq!(certificates.len(), 1, "{certificates:?}");
    let certificate = &certificates[0];
    assert_eq!(
        certificate["aiSystems"],
        json!([
            { "aiSystemId": scoring, "name": "Benefit-fraud risk scoring", "version": 2 },
            { "aiSystemId": chatbot, "name": "Citizen chatbot", "version": 1 },
        ])
    );

    // The signed credential says so as alignments of the achievement, after the competences.
    assert_eq!(
        system_alignments(&certificate["credential"]),
        [
            json!({
                "type": ["Alignment"],
                "targetName": "Benefit-fraud risk scoring (version 2)",
                "targetType": "ext:AISystem",
                "targetCode": "2",
                "targetUrl": "https://algorithms.example/risk-scoring",
                "targetDescription": "What Benefit-fraud risk scoring is used for",
            }),
            json!({
                "type": ["Alignment"],
                "targetName": "Citizen chatbot (version 1)",
                "targetType": "ext:AISystem",
                "targetCode": "1",
                "targetUrl": format!("urn:uuid:{chatbot}"),
                "targetDescription": "What Citizen chatbot is used for",
            }),
        ]
    );
    let code = certificate["code"].as_str().expect("a code");
    let downloaded = app
        .client
        .get(app.url(&format!("/credentials/{code}")))
        .send()
        .await
        .expect("the credential answers")
        .text()
        .await
        .expect("a body");
    assert_eq!(downloaded, certificate["credential"].as_str().expect("jwt"));
    let issued = audit_events(&app, "certificate.issued").await;
    assert_eq!(
        issued.last().expect("audited").details["aiSystems"],
        json!([
            { "aiSystemId": scoring, "version": 2 },
            { "aiSystemId": chatbot, "version": 1 },
        ])
    );

    // Public verification names them too (name and version only).
    let (verified, page) = verification(&app, code).await;
    assert_eq!(
        verified,
        json!({ "status": "VALID", "aiSystems": [
            { "name": "Benefit-fraud risk scoring", "version": 2 },
            { "name": "Citizen chatbot", "version": 1 },
        ] })
    );
    assert!(
        page.contains(
            "Covers the AI systems: Benefit-fraud risk scoring (version 2), Citizen chatbot (version 1)"
        ),
        "{page}"
    );
    assert!(!page.contains("Old translation tool"), "{page}");

    // What a certificate covers is what it was issued for: renaming or changing a system later
    // changes nothing on it.
    assert_ok(
        &update(
            &app,
            Some(&admin),
            &scoring,
            replacement(with(scoring_input, json!({ "name": "Risk scoring 2027" }))),
        )
        .await,
    );
    assert_ok(&change(&app, Some(&admin), &chatbot, "New model", false, None).await);
    assert_eq!(
        held(&app, &learner).await[0]["aiSystems"],
        certificate["aiSystems"]
    );
    assert_eq!(verification(&app, code).await.0, verified);
}

#[tokio::test]
async fn a_certificate_made_stale_by_retraining_is_renewed_when_the_course_is_completed_again() {
    let app = spawn_app().await;
    let org = operated(&app).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;
    let template = crate::certificates::template(&app, &org.admin, &[&org.course], Some(24)).await;
    // Operators must complete the course and hold the certificate (and no more, here).
    assert_ok(
        &set_measures(
            &app,
            Some(&org.admin),
            &org.system,
            json!({ "kind": "OPERATOR", "courseIds": [org.course],
                "certificateTemplateIds": [template] }),
        )
        .await,
    );
    give_job_role(&app, &org.admin, &learner_id, Some(&org.role)).await;
    assert_ok(&complete(&app, &learner, &org.lessons[0]).await);
    let first = held(&app, &learner).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let first = first[0].clone();
    assert_eq!(first["sequence"], 1);
    assert_eq!(
        first["aiSystems"],
        json!([{ "aiSystemId": org.system, "name": "Benefit-fraud risk scoring", "version": 1 }])
    );
    assert!(
        gap_of(
            &gaps(&app, &org.hr, &org.ministry).await,
            &learner_id,
            &org.system
        )
        .is_none()
    );

    // A change that needs retraining: the course reopened and due, the certificate stale, and
    // nothing issued by the change itself.
    after_the_second_of(&first["issuedAt"]).await;
    let certificates = app.count("certificates").await;
    assert_ok(
        &change(
            &app,
            Some(&org.admin),
            &org.system,
            "New scoring model",
            true,
            Some(14),
        )
        .await,
    );
    assert_eq!(app.count("certificates").await, certificates);
    let listed = gaps(&app, &org.hr, &org.ministry).await;
    let gap = gap_of(&listed, &learner_id, &org.system).expect("a gap after the change");
    assert_eq!(gap["status"], "DUE");
    assert_eq!(
        open_measures(gap),
        pairs(&[("CERTIFICATE", "STALE"), ("COURSE", "DUE")])
    );
    let stale = report(&app, &org.hr, &org.ministry).await;
    assert_eq!(
        system_row(&stale, &org.system)["counts"],
        counts(1, 0, 0, 1, 0, 0)
    );

    // Completing the reopened course renews the certificate for the new version; the old one
    // stays valid, and the person is compliant again.
    assert_ok(&complete(&app, &learner, &org.lessons[0]).await);
    let both = held(&app, &learner).await;
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[0]["id"], first["id"]);
    let renewal = &both[1];
    assert_eq!(renewal["sequence"], 2);
    assert_eq!(renewal["status"], "VALID");
    assert_eq!(
        renewal["aiSystems"],
        json!([{ "aiSystemId": org.system, "name": "Benefit-fraud risk scoring", "version": 2 }])
    );
    assert_eq!(
        system_alignments(&renewal["credential"])[0]["targetName"],
        "Benefit-fraud risk scoring (version 2)"
    );
    // A renewal: a full validity period from its own issue date.
    let expires = |c: &Value| -> DateTime<Utc> {
        c["expiresAt"]
            .as_str()
            .expect("an expiry")
            .parse()
            .expect("a date")
    };
    assert!(expires(renewal) > expires(&first), "{both:?}");
    assert!(
        gap_of(
            &gaps(&app, &org.hr, &org.ministry).await,
            &learner_id,
            &org.system
        )
        .is_none()
    );
    let again = report(&app, &org.hr, &org.ministry).await;
    assert_eq!(
        system_row(&again, &org.system)["counts"],
        counts(1, 1, 0, 0, 0, 0)
    );
    let (verified, page) = verification(&app, first["code"].as_str().expect("a code")).await;
    assert_eq!(verified["status"], "VALID");
    assert_eq!(
        verified["aiSystems"],
        json!([{ "name": "Benefit-fraud risk scoring", "version": 1 }])
    );
    assert!(
        page.contains("Benefit-fraud risk scoring (version 1)"),
        "{page}"
    );
    let renewed = audit_events(&app, "certificate.issued").await;
    assert_eq!(renewed.len(), 2);
    assert_eq!(renewed[1].details["sequence"], 2);
    assert_eq!(renewed[1].details["reissue"], false);

    // Held after the change: a change that needs no retraining renews nothing, and neither
    // does a later completion of another course.
    assert_ok(
        &change(
            &app,
            Some(&org.admin),
            &org.system,
            "Typo in the manual",
            false,
            None,
        )
        .await,
    );
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (other, other_lessons) = published_course(&app, &trainer, "Something else", 1).await;
    enroll(&app, &learner, &other).await;
    assert_ok(&complete(&app, &learner, &other_lessons[0]).await);
    assert_eq!(held(&app, &learner).await.len(), 2);
}

/// A course every authority's staff may take (`PLATFORM` visibility), owned by the ministry,
/// with one lesson: its id and the lesson's.
async fn platform_course(app: &TestApp, trainer: &str, ministry: &str) -> (String, String) {
    let competence = digcomp(app, "1.2").await;
    let course = id_of(
        &app.gql(
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": { "title": "AI for everyone", "language": "en",
                "orgUnitId": ministry, "visibility": "PLATFORM",
                "competenceTargets": [{ "competenceId": competence, "targetLevel": 3 }] } }),
            Some(trainer),
        )
        .await,
        "createCourse",
    );
    let module = id_of(
        &app.gql(
            "mutation($c: ID!) { addModule(courseId: $c, input: { title: \"Basics\" }) { id } }",
            json!({ "c": course }),
            Some(trainer),
        )
        .await,
        "addModule",
    );
    let lesson = id_of(
        &app.gql(
            "mutation($m: ID!) { addLesson(moduleId: $m, input: { title: \"One\", kind: TEXT,
                markdown: \"Hello\", estimatedMinutes: 5 }) { id } }",
            json!({ "m": module }),
            Some(trainer),
        )
        .await,
        "addLesson",
    );
    app.ok(
        "mutation($c: ID!) { publishCourse(courseId: $c) { status } }",
        json!({ "c": course }),
        trainer,
    )
    .await;
    (course, lesson)
}

#[tokio::test]
async fn another_authoritys_staff_earning_the_same_template_are_covered_by_none_of_the_ministrys_systems()
 {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    let (course, lesson) = platform_course(&app, &trainer, &ministry).await;
    // A template for everyone, tied to the ministry's risk scoring, which then needs retraining.
    let template = crate::certificates::template(&app, &admin, &[&course], Some(24)).await;
    let scoring = create_id(
        &app,
        &admin,
        entry(
            &ministry,
            "Benefit-fraud risk scoring",
            "HIGH_RISK",
            Some(5),
        ),
    )
    .await;
    assert_ok(
        &set_measures(
            &app,
            Some(&admin),
            &scoring,
            json!({ "kind": "OPERATOR", "certificateTemplateIds": [template] }),
        )
        .await,
    );
    let other = app.create_authority(&admin, "Other Agency").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@other-agency.test", "ADMIN")
        .await;
    let outsider_id = app
        .create_user(&admin, "clerk@other-agency.test", &other)
        .await;
    let outsider = app
        .login("clerk@other-agency.test", "a long enough password")
        .await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = user_id(&app, &learner).await;

    for token in [&outsider, &learner] {
        enroll(&app, token, &course).await;
        assert_ok(&complete(&app, token, &lesson).await);
    }
    let theirs = held(&app, &outsider).await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["aiSystems"], json!([]));
    assert_eq!(
        system_alignments(&theirs[0]["credential"]),
        Vec::<Value>::new()
    );
    let (verified, page) = verification(&app, theirs[0]["code"].as_str().expect("a code")).await;
    assert_eq!(verified, json!({ "status": "VALID", "aiSystems": [] }));
    assert!(!page.contains("Covers the AI systems"), "{page}");
    assert!(!page.contains("Benefit-fraud"), "{page}");
    let ours = held(&app, &learner).await;
    assert_eq!(ours[0]["aiSystems"][0]["aiSystemId"], scoring.as_str());

    // Their administrator sees their own staff's certificate, and not the ministry's.
    let listed = app
        .ok(
            "query($holder: ID) { certificates(first: 100, filter: { holderId: $holder }) {
                edges { node { holder { id } aiSystems { aiSystemId name version } } } } }",
            json!({ "holder": null }),
            &other_admin,
        )
        .await;
    assert_eq!(
        listed["certificates"]["edges"],
        json!([{ "node": { "holder": { "id": outsider_id }, "aiSystems": [] } }])
    );
    let filtered = app
        .ok(
            "query($holder: ID) { certificates(first: 100, filter: { holderId: $holder }) {
                edges { node { aiSystems { name } } } } }",
            json!({ "holder": learner_id }),
            &other_admin,
        )
        .await;
    assert_eq!(filtered["certificates"]["edges"], json!([]));

    // The ministry's retraining does not touch them: nothing reopened, nothing issued.
    after_the_second_of(&theirs[0]["issuedAt"]).await;
    assert_ok(&change(&app, Some(&admin), &scoring, "New model", true, Some(14)).await);
    assert_eq!(
        enrolments_in(&app, &outsider, &course).await[0]["status"],
        "COMPLETED"
    );
    assert_eq!(held(&app, &outsider).await, theirs);
}

#[tokio::test]
async fn a_reissue_after_a_key_compromise_covers_what_the_certificate_it_replaces_covered() {
    use govskills_domain::credentials::{Algorithm, IssuerKey};
    use secrecy::SecretString;

    let key = |key: IssuerKey| SecretString::from(key.to_pem().to_owned());
    let old_key = IssuerKey::generate(Algorithm::EdDsa).expect("a key");
    let old_kid = old_key.kid().to_owned();
    let old = spawn_app_with(|config| config.issuer_key = Some(key(old_key))).await;
    let admin = old.login(ADMIN, PASSWORD).await;
    let trainer = old.login(TRAINER, PASSWORD).await;
    let learner = old.login(LEARNER1, PASSWORD).await;
    let ministry = old.org_unit_id(&admin, MINISTRY).await;
    let (course, lessons) = published_course(&old, &trainer, "AI at work", 1).await;
    let template = crate::certificates::template(&old, &admin, &[&course], Some(24)).await;
    let input = entry(&ministry, "Citizen chatbot", "TRANSPARENCY", None);
    let chatbot = create_id(&old, &admin, input.clone()).await;
    assert_ok(
        &set_measures(
            &old,
            Some(&admin),
            &chatbot,
            json!({ "kind": "OPERATOR", "certificateTemplateIds": [template] }),
        )
        .await,
    );
    enroll(&old, &learner, &course).await;
    assert_ok(&complete(&old, &learner, &lessons[0]).await);
    let issued = held(&old, &learner).await;
    assert_eq!(issued.len(), 1, "{issued:?}");
    // The system moves on (renamed, version 2) before the key is found compromised.
    assert_ok(
        &update(
            &old,
            Some(&admin),
            &chatbot,
            replacement(with(input, json!({ "name": "Citizen assistant" }))),
        )
        .await,
    );
    assert_ok(&change(&old, Some(&admin), &chatbot, "New model", false, None).await);

    let app = old
        .spawn_replica(|config| {
            config.issuer_key = Some(key(IssuerKey::generate(Algorithm::EdDsa).expect("a key")));
        })
        .await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let done = app
        .ok(
            "mutation($kid: String!) { revokeCertificatesSignedBy(kid: $kid,
                reason: \"Key leaked\") { revoked reissued } }",
            json!({ "kid": old_kid }),
            &admin,
        )
        .await;
    assert_eq!(
        done["revokeCertificatesSignedBy"],
        json!({ "revoked": 1, "reissued": 1 })
    );
    let learner = app.login(LEARNER1, PASSWORD).await;
    let both = held(&app, &learner).await;
    assert_eq!(both.len(), 2, "{both:?}");
    let reissue = &both[1];
    assert_eq!(reissue["status"], "VALID");
    assert_eq!(reissue["aiSystems"], issued[0]["aiSystems"]);
    assert_eq!(
        reissue["aiSystems"],
        json!([{ "aiSystemId": chatbot, "name": "Citizen chatbot", "version": 1 }])
    );
    assert_eq!(
        system_alignments(&reissue["credential"])[0]["targetName"],
        "Citizen chatbot (version 1)"
    );
}

//! HR reports: skill gaps, completion, CSV exports; their numbers checked against a small
//! organisation whose right answers are worked out by hand below.

use chrono::{Duration, Utc};
use govskills_domain::entities::{audit_event, certificate};
use govskills_domain::{entities::competence_result::ResultSource, learning, scale};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{
        ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, digcomp, get_csv,
        parse_csv, spawn_app, spawn_app_with, wide_batch_window,
    },
    learning::{assign, complete, days_from_now, enroll, id_of, published_course, user_id},
};

/// The hand-built organisation:
///
/// ```text
/// Agency            Hilde (HR for the Agency; no job role)
/// ├── Alpha         Anna (Analyst), Axel (Analyst)
/// └── Beta          Bruno (no job role), Berta (no job role)
///     └── Beta-1    Bert (Clerk)
/// ```
///
/// Analyst requires DigComp 1.1 at level 4 and 2.1 at level 3; Clerk requires 1.1 at level 2.
/// Results (latest verified, else latest self-assessment, else 0):
/// - Anna: 1.1 self-assessed 5 (gap 0, unverified); 2.1 verified 1 (gap 2).
/// - Axel: 1.1 verified 2 and, later, self-assessed 4: the verified 2 counts (gap 2);
///   2.1 nothing (gap 3, unverified).
/// - Bert: 1.1 nothing (gap 2, unverified).
struct Agency {
    agency: String,
    alpha: String,
    beta: String,
    hr: String,
    c11: String,
    c21: String,
}

pub(crate) async fn create_unit(
    app: &TestApp,
    token: &str,
    name: &str,
    parent: Option<&str>,
) -> String {
    let response = app
        .gql(
            "mutation($input: CreateOrgUnitInput!) { createOrgUnit(input: $input) { id } }",
            json!({ "input": { "name": name, "parentId": parent } }),
            Some(token),
        )
        .await;
    id_of(&response, "createOrgUnit")
}

pub(crate) async fn person(app: &TestApp, admin: &str, name: &str, unit: &str) -> String {
    let local: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let email = format!("{}@agency.test", local.to_lowercase());
    let response = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "email": email, "displayName": name, "password": PASSWORD,
                "orgUnitId": unit } }),
            Some(admin),
        )
        .await;
    id_of(&response, "createUser")
}

pub(crate) async fn job_role(
    app: &TestApp,
    admin: &str,
    name: &str,
    unit: &str,
    requirements: Value,
) -> String {
    let response = app
        .gql(
            "mutation($input: CreateJobRoleInput!) { createJobRole(input: $input) { id } }",
            json!({ "input": { "name": name, "usesAiSystems": false, "orgUnitId": unit,
                "requirements": requirements } }),
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

/// A result as the assessments feature or HR would record it, written through the domain's
/// one writer of results so that these tests pin the report's arithmetic independently of how
/// results come about.
pub(crate) async fn result(
    app: &TestApp,
    user: &str,
    competence: &str,
    level: i32,
    source: ResultSource,
    minutes_ago: i64,
) {
    let user = user.parse().expect("user id");
    let competence = competence.parse().expect("competence id");
    let at = Utc::now() - Duration::minutes(minutes_ago);
    learning::record_results(&app.db, user, &[(competence, level)], source, None, at)
        .await
        .expect("result recorded");
}

async fn build_agency(app: &TestApp) -> Agency {
    let admin = app.login(ADMIN, PASSWORD).await;
    let agency = create_unit(app, &admin, "Agency", None).await;
    let alpha = create_unit(app, &admin, "Alpha", Some(&agency)).await;
    let beta = create_unit(app, &admin, "Beta", Some(&agency)).await;
    let beta1 = create_unit(app, &admin, "Beta-1", Some(&beta)).await;
    let c11 = digcomp(app, "1.1").await;
    let c21 = digcomp(app, "2.1").await;
    let analyst = job_role(
        app,
        &admin,
        "Analyst",
        &agency,
        json!([{ "competenceId": c11, "level": 4 }, { "competenceId": c21, "level": 3 }]),
    )
    .await;
    let clerk = job_role(
        app,
        &admin,
        "Clerk",
        &agency,
        json!([{ "competenceId": c11, "level": 2 }]),
    )
    .await;

    let hilde = person(app, &admin, "Hilde", &agency).await;
    app.ok(
        "mutation($id: ID!, $unit: ID!) { setUserRoles(userId: $id, grants: [{ role: HR, orgUnitId: $unit }]) { id } }",
        json!({ "id": hilde, "unit": agency }),
        &admin,
    )
    .await;
    let anna = person(app, &admin, "Anna", &alpha).await;
    let axel = person(app, &admin, "Axel", &alpha).await;
    person(app, &admin, "Bruno", &beta).await;
    person(app, &admin, "Berta", &beta).await;
    let bert = person(app, &admin, "Bert", &beta1).await;
    for (user, role) in [(&anna, &analyst), (&axel, &analyst), (&bert, &clerk)] {
        give_job_role(app, &admin, user, role).await;
    }
    result(app, &anna, &c11, 5, ResultSource::SelfAssessed, 30).await;
    result(app, &anna, &c21, 1, ResultSource::Assessment, 30).await;
    result(app, &axel, &c11, 2, ResultSource::Assessment, 60).await;
    result(app, &axel, &c11, 4, ResultSource::SelfAssessed, 10).await;

    let hr = app.login("hilde@agency.test", PASSWORD).await;
    Agency {
        agency,
        alpha,
        beta,
        hr,
        c11,
        c21,
    }
}

const REPORT: &str = "query($unit: ID!, $subunits: Boolean, $framework: ID) {
    skillGapReport(orgUnitId: $unit, includeSubunits: $subunits, frameworkId: $framework) {
        orgUnit { id } includeSubunits staffCount
        competences { ...gap }
        subunits { orgUnit { id name } suppressed staffCount competences { ...gap } }
    }
}
fragment gap on CompetenceGap {
    competence { id code }
    staffWithRequirement belowRequired averageShortfall withoutVerifiedResult
    levelDistribution { level staff }
}";

/// The figures of one competence, as `[staff, below, average shortfall, unverified,
/// [[level, staff]...]]`, for compact comparisons.
pub(crate) fn figures(gaps: &Value, competence: &str) -> Value {
    let gap = gaps
        .as_array()
        .expect("competences")
        .iter()
        .find(|gap| gap["competence"]["id"] == competence)
        .unwrap_or_else(|| panic!("{competence} in {gaps}"));
    let levels: Vec<Value> = gap["levelDistribution"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|l| json!([l["level"], l["staff"]]))
        .collect();
    json!([
        gap["staffWithRequirement"],
        gap["belowRequired"],
        gap["averageShortfall"],
        gap["withoutVerifiedResult"],
        levels
    ])
}

#[tokio::test]
async fn the_skill_gap_report_matches_the_hand_computed_figures() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;

    let report =
        app.ok(REPORT, json!({ "unit": org.agency }), &org.hr).await["skillGapReport"].clone();

    assert_eq!(report["includeSubunits"], true);
    // Hilde, Anna, Axel, Bruno, Berta, Bert.
    assert_eq!(report["staffCount"], 6);
    let competences = &report["competences"];
    assert_eq!(competences.as_array().map(Vec::len), Some(2), "{report}");
    // 1.1: Anna 5 (self), Axel 2 (verified), Bert 0; Axel and Bert each 2 short.
    assert_eq!(
        figures(competences, &org.c11),
        json!([3, 2, 2.0, 2, [[0, 1], [2, 1], [5, 1]]])
    );
    // 2.1: Anna 1 (verified, 2 short), Axel 0 (3 short).
    assert_eq!(
        figures(competences, &org.c21),
        json!([2, 2, 2.5, 1, [[0, 1], [1, 1]]])
    );

    let subunits = report["subunits"].as_array().expect("subunits");
    let names: Vec<&Value> = subunits.iter().map(|s| &s["orgUnit"]["name"]).collect();
    assert_eq!(names, ["Alpha", "Beta"]);
    let alpha = &subunits[0];
    assert_eq!(alpha["orgUnit"]["id"], org.alpha.as_str());
    assert_eq!(alpha["suppressed"], false);
    assert_eq!(alpha["staffCount"], 2);
    assert_eq!(
        figures(&alpha["competences"], &org.c11),
        json!([2, 1, 2.0, 1, [[2, 1], [5, 1]]])
    );
    assert_eq!(
        figures(&alpha["competences"], &org.c21),
        json!([2, 2, 2.5, 1, [[0, 1], [1, 1]]])
    );
    // Beta counts Beta-1's Bert too.
    let beta = &subunits[1];
    assert_eq!(beta["orgUnit"]["id"], org.beta.as_str());
    assert_eq!(beta["staffCount"], 3);
    assert_eq!(beta["competences"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        figures(&beta["competences"], &org.c11),
        json!([1, 1, 2.0, 1, [[0, 1]]])
    );
}

#[tokio::test]
async fn without_subunits_the_report_covers_only_the_units_own_staff() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;

    let own = app
        .ok(
            REPORT,
            json!({ "unit": org.agency, "subunits": false }),
            &org.hr,
        )
        .await["skillGapReport"]
        .clone();
    // Only Hilde works in the Agency itself, and she has no job role.
    assert_eq!(own["staffCount"], 1);
    assert_eq!(own["competences"], json!([]));
    assert_eq!(own["subunits"], json!([]));

    let alpha = app
        .ok(
            REPORT,
            json!({ "unit": org.alpha, "subunits": false }),
            &org.hr,
        )
        .await["skillGapReport"]
        .clone();
    assert_eq!(alpha["staffCount"], 2);
    assert_eq!(
        figures(&alpha["competences"], &org.c11),
        json!([2, 1, 2.0, 1, [[2, 1], [5, 1]]])
    );
}

#[tokio::test]
async fn a_framework_without_requirements_reports_no_competences() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let framework = app
        .ok(
            "mutation($input: CreateFrameworkInput!) { createFramework(input: $input) { id } }",
            json!({ "input": {
                "code": "ai-lit", "version": "1.0", "name": "AI literacy", "levelCount": 2,
                "levels": [{ "name": "Aware", "band": "Basic" }, { "name": "User", "band": "Basic" }],
                "areas": [{ "code": "A", "name": "Understanding AI",
                    "competences": [{ "code": "A.1", "name": "Knowing what AI can do" }] }],
            } }),
            &admin,
        )
        .await["createFramework"]["id"]
        .clone();

    let digcomp = app
        .ok("{ frameworks { id code } }", json!({}), &org.hr)
        .await["frameworks"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["code"] == "DIGCOMP").cloned())
        .expect("DigComp");
    let limited = app
        .ok(
            REPORT,
            json!({ "unit": org.agency, "framework": digcomp["id"] }),
            &org.hr,
        )
        .await["skillGapReport"]
        .clone();
    assert_eq!(limited["competences"].as_array().map(Vec::len), Some(2));

    let other = app
        .ok(
            REPORT,
            json!({ "unit": org.agency, "framework": framework }),
            &org.hr,
        )
        .await["skillGapReport"]
        .clone();
    assert_eq!(other["staffCount"], 6);
    assert_eq!(other["competences"], json!([]));
}

const STAFF: &str = "query($unit: ID!, $first: Int, $after: String) {
    skillGapReport(orgUnitId: $unit) {
        staff(first: $first, after: $after) {
            pageInfo { hasNextPage endCursor }
            edges { node { displayName orgUnit { name } totalGap competencesBelow } }
        }
    }
}";

#[tokio::test]
async fn the_staff_with_the_largest_gaps_come_first_page_by_page_and_the_read_is_audited() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;

    let first = app
        .ok(STAFF, json!({ "unit": org.agency, "first": 2 }), &org.hr)
        .await["skillGapReport"]["staff"]
        .clone();
    // Axel: 2 + 3 = 5; Anna: 0 + 2 = 2; Bert: 2. Ties by name.
    let nodes: Vec<Value> = first["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(
        nodes,
        [
            json!({ "displayName": "Axel", "orgUnit": { "name": "Alpha" }, "totalGap": 5, "competencesBelow": 2 }),
            json!({ "displayName": "Anna", "orgUnit": { "name": "Alpha" }, "totalGap": 2, "competencesBelow": 1 }),
        ]
    );
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let hilde = user_id(&app, &org.hr).await;
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "report.staff_read");
    assert_eq!(actor.as_deref(), Some(hilde.as_str()));
    assert_eq!(target.as_deref(), Some(org.agency.as_str()));

    let rest = app
        .ok(
            STAFF,
            json!({ "unit": org.agency, "first": 2, "after": first["pageInfo"]["endCursor"] }),
            &org.hr,
        )
        .await["skillGapReport"]["staff"]
        .clone();
    assert_eq!(rest["edges"][0]["node"]["displayName"], "Bert");
    assert_eq!(rest["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn reading_a_report_outside_ones_units_is_refused_and_records_nothing() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    // Hilde is HR for the Agency only; the demo HR officer for the demo ministry only.
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let demo_hr = app.login(HR, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let audit_events = app.count("audit_events").await;

    for (token, unit) in [(&org.hr, &ministry), (&demo_hr, &org.agency)] {
        let refused = app.gql(REPORT, json!({ "unit": unit }), Some(token)).await;
        assert_error(&refused, "FORBIDDEN", None);
        assert_eq!(
            refused["errors"][0]["message"],
            "your HR or ADMIN role does not cover this org unit"
        );
    }
    for token in [&learner, &trainer] {
        let refused = app
            .gql(STAFF, json!({ "unit": org.agency }), Some(token))
            .await;
        assert_error(&refused, "FORBIDDEN", None);
        assert_eq!(
            refused["errors"][0]["message"],
            "reports need the HR or ADMIN role"
        );
    }
    let anonymous = app.gql(REPORT, json!({ "unit": org.agency }), None).await;
    assert_error(&anonymous, "UNAUTHENTICATED", None);
    let completion = app
        .gql(
            "query($unit: ID!) { completionReport(orgUnitId: $unit) { courses { enrolled } } }",
            json!({ "unit": org.agency }),
            Some(&demo_hr),
        )
        .await;
    assert_error(&completion, "FORBIDDEN", None);
    assert_eq!(app.count("audit_events").await, audit_events);

    // A platform administrator reads any unit.
    let report = app.ok(REPORT, json!({ "unit": org.agency }), &admin).await;
    assert_eq!(report["skillGapReport"]["staffCount"], 6);
}

#[tokio::test]
async fn malformed_and_unknown_ids_get_clear_errors() {
    let app = spawn_app().await;
    let hr = app.login(HR, PASSWORD).await;
    let malformed = app
        .gql(REPORT, json!({ "unit": "not-an-id" }), Some(&hr))
        .await;
    assert_error(&malformed, "BAD_USER_INPUT", Some("orgUnitId"));
    assert_eq!(
        malformed["errors"][0]["message"],
        "orgUnitId is not a valid id"
    );

    let unknown = app
        .gql(
            REPORT,
            json!({ "unit": Uuid::new_v4().to_string() }),
            Some(&hr),
        )
        .await;
    assert_error(&unknown, "NOT_FOUND", None);

    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let framework = app
        .gql(
            REPORT,
            json!({ "unit": ministry, "framework": Uuid::new_v4().to_string() }),
            Some(&hr),
        )
        .await;
    assert_error(&framework, "NOT_FOUND", None);
    assert_eq!(framework["errors"][0]["message"], "framework not found");

    let cursor = app
        .gql(
            STAFF,
            json!({ "unit": ministry, "after": "nonsense!" }),
            Some(&hr),
        )
        .await;
    assert_error(&cursor, "BAD_USER_INPUT", Some("after"));
}

#[tokio::test]
async fn sub_units_smaller_than_the_minimum_group_size_are_suppressed() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(3)).await;
    let org = build_agency(&app).await;

    let report =
        app.ok(REPORT, json!({ "unit": org.agency }), &org.hr).await["skillGapReport"].clone();
    let subunits = report["subunits"].as_array().expect("subunits");
    // Alpha has 2 staff (below 3): nothing is shown. Beta has exactly 3: shown.
    assert_eq!(
        subunits[0],
        json!({ "orgUnit": { "id": org.alpha, "name": "Alpha" }, "suppressed": true,
            "staffCount": null, "competences": null })
    );
    assert_eq!(subunits[1]["suppressed"], false);
    assert_eq!(subunits[1]["staffCount"], 3);
    // The unit's own totals are not a sub-unit's and stay visible.
    assert_eq!(report["staffCount"], 6);
}

#[tokio::test]
async fn the_members_of_a_suppressed_sub_unit_are_named_in_no_list() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(3)).await;
    let org = build_agency(&app).await;

    // Alpha (Anna and Axel, 2 staff) is suppressed; Beta (3 staff, Bert among them) is not.
    let staff = app
        .ok(
            "query($unit: ID!) { skillGapReport(orgUnitId: $unit) {
                staff(first: 10) { nodes { displayName } } } }",
            json!({ "unit": org.agency }),
            &org.hr,
        )
        .await;
    assert_eq!(
        staff["skillGapReport"]["staff"]["nodes"],
        json!([{ "displayName": "Bert" }])
    );
    let csv = get_csv(
        &app,
        &format!("/reports/skill-gaps.csv?orgUnitId={}", org.agency),
        Some(&org.hr),
    )
    .await;
    let names: Vec<String> = parse_csv(&csv.text().await.expect("body"))
        .into_iter()
        .skip(1)
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(names, ["Bert"]);
}

const COMPLETION: &str = "query($unit: ID!, $subunits: Boolean) {
    completionReport(orgUnitId: $unit, includeSubunits: $subunits) {
        courses { course { title } enrolled assigned completed assignedCompleted overdue }
    }
}";

#[tokio::test]
async fn the_completion_report_counts_assignments_completions_and_overdue_ones() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let first = app.login(LEARNER1, PASSWORD).await;
    let second = app.login(LEARNER2, PASSWORD).await;
    let (mandatory, lessons) = published_course(&app, &trainer, "Mandatory", 1).await;
    let (optional, _) = published_course(&app, &trainer, "Optional", 1).await;
    let first_id = user_id(&app, &first).await;
    let second_id = user_id(&app, &second).await;
    assign(&app, &hr, &mandatory, &[&first_id], days_from_now(-1)).await;
    assign(&app, &hr, &mandatory, &[&second_id], days_from_now(7)).await;
    complete(&app, &second, &lessons[0]).await;
    enroll(&app, &trainer, &mandatory).await;
    enroll(&app, &first, &optional).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let citizen = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;

    let report = app.ok(COMPLETION, json!({ "unit": ministry }), &hr).await;
    assert_eq!(
        report["completionReport"]["courses"],
        json!([
            { "course": { "title": "Mandatory" }, "enrolled": 3, "assigned": 2, "completed": 1,
              "assignedCompleted": 1, "overdue": 1 },
            { "course": { "title": "Optional" }, "enrolled": 1, "assigned": 0, "completed": 0,
              "assignedCompleted": 0, "overdue": 0 },
        ])
    );
    // Citizen Services holds only the first learner.
    let report = app.ok(COMPLETION, json!({ "unit": citizen }), &hr).await;
    assert_eq!(
        report["completionReport"]["courses"],
        json!([
            { "course": { "title": "Mandatory" }, "enrolled": 1, "assigned": 1, "completed": 0,
              "assignedCompleted": 0, "overdue": 1 },
            { "course": { "title": "Optional" }, "enrolled": 1, "assigned": 0, "completed": 0,
              "assignedCompleted": 0, "overdue": 0 },
        ])
    );
}

#[tokio::test]
async fn the_skill_gap_export_lists_every_requirement_and_neutralises_formulas() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    // A name a spreadsheet would run as a formula.
    let sneaky = person(&app, &admin, "=HYPERLINK(\"http://evil.test\")", &org.alpha).await;
    let analyst = app.ok("{ jobRoles { id name } }", json!({}), &admin).await["jobRoles"]
        .as_array()
        .and_then(|roles| roles.iter().find(|r| r["name"] == "Analyst").cloned())
        .expect("Analyst");
    give_job_role(&app, &admin, &sneaky, analyst["id"].as_str().expect("id")).await;

    let response = get_csv(
        &app,
        &format!("/reports/skill-gaps.csv?orgUnitId={}", org.agency),
        Some(&org.hr),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let rows = parse_csv(&response.text().await.expect("body"));
    // Header, then by unit, name and competence: Alpha's Anna, Axel and the formula name
    // (each two requirements), then Beta-1's Bert.
    assert_eq!(
        rows[0],
        [
            "name",
            "org unit",
            "competence code",
            "competence",
            "required level",
            "current level",
            "verified",
            "gap"
        ]
    );
    let short: Vec<Vec<&str>> = rows[1..]
        .iter()
        .map(|r| {
            vec![
                r[0].as_str(),
                r[1].as_str(),
                r[2].as_str(),
                r[4].as_str(),
                r[5].as_str(),
                r[6].as_str(),
                r[7].as_str(),
            ]
        })
        .collect();
    assert_eq!(
        short,
        [
            vec![
                "'=HYPERLINK(\"http://evil.test\")",
                "Alpha",
                "1.1",
                "4",
                "0",
                "no",
                "4"
            ],
            vec![
                "'=HYPERLINK(\"http://evil.test\")",
                "Alpha",
                "2.1",
                "3",
                "0",
                "no",
                "3"
            ],
            vec!["Anna", "Alpha", "1.1", "4", "5", "no", "0"],
            vec!["Anna", "Alpha", "2.1", "3", "1", "yes", "2"],
            vec!["Axel", "Alpha", "1.1", "4", "2", "yes", "2"],
            vec!["Axel", "Alpha", "2.1", "3", "0", "no", "3"],
            vec!["Bert", "Beta-1", "1.1", "2", "0", "no", "2"],
        ]
    );
    let (action, _, target) = app.latest_audit_event().await;
    assert_eq!(action, "report.staff_read");
    assert_eq!(target.as_deref(), Some(org.agency.as_str()));
}

#[tokio::test]
async fn malformed_export_parameters_are_answered_in_the_json_error_shape() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;
    let audit_events = app.count("audit_events").await;
    for (query, field, message) in [
        (
            format!("orgUnitId={}&includeSubunits=maybe", org.agency),
            "includeSubunits",
            "includeSubunits must be true or false",
        ),
        (
            "orgUnitId=not-a-uuid".to_owned(),
            "orgUnitId",
            "orgUnitId is not a valid id",
        ),
    ] {
        for path in ["/reports/skill-gaps.csv", "/reports/completion.csv"] {
            let response = get_csv(&app, &format!("{path}?{query}"), Some(&org.hr)).await;
            assert_eq!(response.status(), 400, "{path}?{query}");
            let body: Value = response.json().await.expect("JSON error");
            assert_eq!(body["error"]["code"], "BAD_USER_INPUT", "{body}");
            assert_eq!(body["error"]["field"], field, "{body}");
            assert_eq!(body["error"]["message"], message, "{body}");
            assert!(body["error"]["requestId"].is_string(), "{body}");
        }
    }
    assert_eq!(app.count("audit_events").await, audit_events);
}

#[tokio::test]
async fn the_exports_are_authorised_like_the_queries() {
    let app = spawn_app().await;
    let org = build_agency(&app).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let demo_hr = app.login(HR, PASSWORD).await;
    let audit_events = app.count("audit_events").await;
    for path in [
        "/reports/skill-gaps.csv",
        "/reports/ai-literacy.csv",
        "/reports/completion.csv",
    ] {
        let url = format!("{path}?orgUnitId={}", org.agency);
        let anonymous = get_csv(&app, &url, None).await;
        assert_eq!(anonymous.status(), 401);
        let body: Value = anonymous.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED");

        let outside = get_csv(&app, &url, Some(&demo_hr)).await;
        assert_eq!(outside.status(), 403);
        let body: Value = outside.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "FORBIDDEN");

        let learner = get_csv(&app, &url, Some(&learner)).await;
        assert_eq!(learner.status(), 403);

        let missing = get_csv(&app, path, Some(&org.hr)).await;
        assert_eq!(missing.status(), 400);
        let body: Value = missing.json().await.expect("JSON error");
        assert_eq!(body["error"]["field"], "orgUnitId");
        assert_eq!(body["error"]["message"], "orgUnitId is required");
    }
    let unknown_framework = get_csv(
        &app,
        &format!(
            "/reports/skill-gaps.csv?orgUnitId={}&frameworkId={}",
            org.agency,
            Uuid::new_v4()
        ),
        Some(&org.hr),
    )
    .await;
    assert_eq!(unknown_framework.status(), 404);
    let body: Value = unknown_framework.json().await.expect("JSON error");
    assert_eq!(body["error"]["message"], "framework not found");
    assert_eq!(app.count("audit_events").await, audit_events);

    let completion = get_csv(
        &app,
        &format!("/reports/completion.csv?orgUnitId={}", org.agency),
        Some(&org.hr),
    )
    .await;
    assert_eq!(completion.status(), 200);
    let rows = parse_csv(&completion.text().await.expect("body"));
    assert_eq!(
        rows,
        [[
            "course",
            "version",
            "enrolled",
            "assigned",
            "completed",
            "assigned completed",
            "overdue"
        ]]
    );
}

const AI_REPORT: &str = "query($unit: ID!) {
    aiLiteracyReport(orgUnitId: $unit) {
        totals { staffUsingAiSystems certified assigned overdue missing certifiedPercent }
        subunits { orgUnit { name } suppressed counts { staffUsingAiSystems certified assigned overdue missing } }
        uncertified(first: 10) { edges { node { displayName orgUnit { name } jobRole status dueAt } } }
    }
}";

/// The demo ministry with people whose job role uses AI systems, in every AI-literacy status:
///
/// - Citizen Services: Carla certified; Cem assigned (due in a week); Chris overdue (due
///   yesterday); Conny nothing.
/// - Data and AI: Dana certified, then revoked; Dirk certified, then expired; Doro in a job
///   without AI systems (not counted).
pub(crate) struct AiMinistry {
    pub(crate) ministry: String,
    pub(crate) citizen: String,
    pub(crate) data_ai: String,
    pub(crate) admin: String,
    pub(crate) hr: String,
    /// The course the AI certificate requires, and its one lesson.
    pub(crate) course: String,
    pub(crate) lesson: String,
    pub(crate) ai_role: String,
    pub(crate) other_role: String,
    /// Each person's id and session, by name.
    pub(crate) people: std::collections::HashMap<&'static str, (String, String)>,
}

pub(crate) async fn build_ai_ministry(app: &TestApp) -> AiMinistry {
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let citizen = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let data_ai = app.org_unit_id(&admin, "Department of Data and AI").await;
    let ai_role = app
        .ok(
            "mutation($unit: ID!) { createJobRole(input: { name: \"AI user\", usesAiSystems: true,
                orgUnitId: $unit, requirements: [] }) { id } }",
            json!({ "unit": ministry }),
            &admin,
        )
        .await["createJobRole"]["id"]
        .as_str()
        .expect("job role")
        .to_owned();
    let other_role = app
        .ok(
            "mutation($unit: ID!) { createJobRole(input: { name: \"Archivist\", usesAiSystems: false,
                orgUnitId: $unit, requirements: [] }) { id } }",
            json!({ "unit": ministry }),
            &admin,
        )
        .await["createJobRole"]["id"]
        .as_str()
        .expect("job role")
        .to_owned();
    let (course, lessons) = published_course(app, &trainer, "AI basics", 1).await;
    app.ok(
        "mutation($course: ID!) { createCertificateTemplate(input: {
            title: \"AI Certificate\", description: \"AI literacy\", issuerName: \"Ministry\",
            courseIds: [$course], validityMonths: 24, attestsAiLiteracy: true }) { id } }",
        json!({ "course": course }),
        &admin,
    )
    .await;

    let mut people = std::collections::HashMap::new();
    for (name, unit, role) in [
        ("Carla", &citizen, &ai_role),
        ("Cem", &citizen, &ai_role),
        ("Chris", &citizen, &ai_role),
        ("Conny", &citizen, &ai_role),
        ("Dana", &data_ai, &ai_role),
        ("Dirk", &data_ai, &ai_role),
        ("Doro", &data_ai, &other_role),
    ] {
        let id = person(app, &admin, name, unit).await;
        give_job_role(app, &admin, &id, role).await;
        let token = app
            .login(&format!("{}@agency.test", name.to_lowercase()), PASSWORD)
            .await;
        people.insert(name, (id, token));
    }
    for name in ["Carla", "Dana", "Dirk"] {
        let token = &people[name].1;
        enroll(app, token, &course).await;
        complete(app, token, &lessons[0]).await;
    }
    assign(app, &hr, &course, &[&people["Cem"].0], days_from_now(7)).await;
    assign(app, &hr, &course, &[&people["Chris"].0], days_from_now(-1)).await;

    let certificate = |name: &str| {
        let token = people[name].1.clone();
        async move {
            app.ok("{ myCertificates { id } }", json!({}), &token).await["myCertificates"][0]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a certificate for the course"))
                .to_owned()
        }
    };
    let dana = certificate("Dana").await;
    app.ok(
        "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"issued in error\") { id } }",
        json!({ "id": dana }),
        &admin,
    )
    .await;
    // Expiry is two years away; the test moves it into the past rather than waiting.
    let dirk = certificate("Dirk").await;
    certificate::Entity::update_many()
        .col_expr(
            certificate::Column::ExpiresAt,
            Expr::col(certificate::Column::IssuedAt),
        )
        .filter(certificate::Column::Id.eq(dirk.parse::<Uuid>().expect("certificate id")))
        .exec(&app.db)
        .await
        .expect("expiry moved");
    AiMinistry {
        ministry,
        citizen,
        data_ai,
        admin,
        hr,
        course,
        lesson: lessons[0].clone(),
        ai_role,
        other_role,
        people,
    }
}

#[tokio::test]
async fn the_ai_literacy_report_counts_each_person_under_one_status() {
    let app = spawn_app().await;
    let AiMinistry { ministry, hr, .. } = build_ai_ministry(&app).await;

    let report =
        app.ok(AI_REPORT, json!({ "unit": ministry }), &hr).await["aiLiteracyReport"].clone();
    assert_eq!(
        report["totals"],
        json!({ "staffUsingAiSystems": 6, "certified": 1, "assigned": 1, "overdue": 1,
            "missing": 3, "certifiedPercent": 100.0 / 6.0 })
    );
    assert_eq!(
        report["subunits"],
        json!([
            { "orgUnit": { "name": "Department of Citizen Services" }, "suppressed": false,
              "counts": { "staffUsingAiSystems": 4, "certified": 1, "assigned": 1, "overdue": 1, "missing": 1 } },
            { "orgUnit": { "name": "Department of Data and AI" }, "suppressed": false,
              "counts": { "staffUsingAiSystems": 2, "certified": 0, "assigned": 0, "overdue": 0, "missing": 2 } },
        ])
    );
    let listed: Vec<(String, String)> = report["uncertified"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["node"]["displayName"].as_str().expect("name").to_owned(),
                e["node"]["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("Chris", "OVERDUE"),
        ("Conny", "MISSING"),
        ("Dana", "MISSING"),
        ("Dirk", "MISSING"),
        ("Cem", "ASSIGNED"),
    ];
    assert_eq!(
        listed,
        expected.map(|(name, status)| (name.to_owned(), status.to_owned()))
    );
    assert!(report["uncertified"]["edges"][0]["node"]["dueAt"].is_string());
    assert_eq!(
        report["uncertified"]["edges"][0]["node"]["jobRole"],
        "AI user"
    );
    assert_eq!(app.latest_audit_event().await.0, "report.staff_read");
}

#[tokio::test]
async fn ai_literacy_counts_of_small_groups_and_their_complements_are_suppressed_and_exported_as_csv()
 {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(3)).await;
    let AiMinistry { ministry, hr, .. } = build_ai_ministry(&app).await;

    let report =
        app.ok(AI_REPORT, json!({ "unit": ministry }), &hr).await["aiLiteracyReport"].clone();
    // Data and AI has two people using AI systems: below 3. Citizen Services, the only other
    // sub-unit with any, would give them away (the totals less its counts): suppressed too.
    assert_eq!(
        report["subunits"],
        json!([
            { "orgUnit": { "name": "Department of Citizen Services" }, "suppressed": true, "counts": null },
            { "orgUnit": { "name": "Department of Data and AI" }, "suppressed": true, "counts": null },
        ])
    );
    assert_eq!(report["totals"]["staffUsingAiSystems"], 6);
    assert_eq!(report["uncertified"]["edges"], json!([]));

    // A third department with three people using AI systems: the smallest cell beside Data
    // and AI, so it is the complement, and Citizen Services shows.
    let admin = app.login(ADMIN, PASSWORD).await;
    let records = create_unit(&app, &admin, "Department of Records", Some(&ministry)).await;
    let ai_role = app
        .ok(
            "mutation($unit: ID!) { createJobRole(input: { name: \"Records AI user\",
                usesAiSystems: true, orgUnitId: $unit, requirements: [] }) { id } }",
            json!({ "unit": ministry }),
            &admin,
        )
        .await["createJobRole"]["id"]
        .as_str()
        .expect("job role")
        .to_owned();
    for name in ["Rosa", "Rolf", "Ruth"] {
        let id = person(&app, &admin, name, &records).await;
        give_job_role(&app, &admin, &id, &ai_role).await;
    }
    let report =
        app.ok(AI_REPORT, json!({ "unit": ministry }), &hr).await["aiLiteracyReport"].clone();
    let subunits: Vec<Value> = report["subunits"]
        .as_array()
        .expect("subunits")
        .iter()
        .map(|s| json!([s["orgUnit"]["name"], s["suppressed"]]))
        .collect();
    assert_eq!(
        subunits,
        [
            json!(["Department of Citizen Services", false]),
            json!(["Department of Data and AI", true]),
            json!(["Department of Records", true]),
        ]
    );
    assert_eq!(report["subunits"][0]["counts"]["staffUsingAiSystems"], 4);

    let response = get_csv(
        &app,
        &format!("/reports/ai-literacy.csv?orgUnitId={ministry}"),
        Some(&hr),
    )
    .await;
    assert_eq!(response.status(), 200);
    let rows = parse_csv(&response.text().await.expect("body"));
    let short: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str(), r[3].as_str()])
        .collect();
    assert_eq!(
        short,
        [
            ["name", "org unit", "status"],
            ["Chris", "Department of Citizen Services", "overdue"],
            ["Conny", "Department of Citizen Services", "missing"],
            // Dana and Dirk of Data and AI, whose counts are suppressed, are not named either,
            // nor Rosa, Rolf and Ruth of Records.
            ["Cem", "Department of Citizen Services", "assigned"],
            ["Carla", "Department of Citizen Services", "certified"],
        ]
    );
}

#[tokio::test]
async fn a_generated_organisation_shows_whole_in_the_reports() {
    let app = spawn_app().await;
    let issuer = app.issuer().await;
    let generated = scale::generate(&app.db, &issuer, "Generated ministry", 250, 7)
        .await
        .expect("the organisation is generated");
    assert_eq!(generated.units, 3);
    let hr = app.login(&generated.hr_email, scale::PASSWORD).await;
    let unit = generated.authority.id.to_string();

    let gaps = app.ok(REPORT, json!({ "unit": unit }), &hr).await;
    // The staff and their HR officer.
    assert_eq!(gaps["skillGapReport"]["staffCount"], 251);
    assert_eq!(
        gaps["skillGapReport"]["subunits"].as_array().map(Vec::len),
        Some(3)
    );
    let completion = app.ok(COMPLETION, json!({ "unit": unit }), &hr).await;
    let enrolled: i64 = completion["completionReport"]["courses"]
        .as_array()
        .expect("courses")
        .iter()
        .map(|c| c["enrolled"].as_i64().expect("enrolled"))
        .sum();
    assert_eq!(
        enrolled,
        i64::try_from(generated.enrollments).expect("small")
    );
    let ai = app.ok(AI_REPORT, json!({ "unit": unit }), &hr).await;
    let totals = &ai["aiLiteracyReport"]["totals"];
    let certified = totals["certified"].as_i64().expect("certified");
    assert!(certified > 0 && certified <= i64::try_from(generated.certificates).expect("small"));
    assert_eq!(
        totals["staffUsingAiSystems"].as_i64(),
        ["certified", "assigned", "overdue", "missing"]
            .iter()
            .map(|k| totals[k].as_i64())
            .sum::<Option<i64>>()
    );
    // Generated certificates are signed like issued ones: one verifies by its code.
    let code = certificate::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("a certificate")
        .code;
    let verified = app
        .ok(
            "query($code: String!) { verifyCertificate(code: $code) { status holderName } }",
            json!({ "code": code }),
            &hr,
        )
        .await;
    assert!(
        ["VALID", "EXPIRED", "REVOKED"].contains(
            &verified["verifyCertificate"]["status"]
                .as_str()
                .expect("status")
        )
    );
}

#[tokio::test]
async fn each_report_costs_the_same_statements_for_100_and_for_1000_staff() {
    // With a minimum group size, its statements run (1: and suppress nothing, so that both
    // organisations show alike); they read no unit one by one.
    let app = spawn_app_with(|config| {
        wide_batch_window(config);
        config.report_min_group_size = Some(1);
    })
    .await;
    let issuer = app.issuer().await;
    let mut costs = Vec::new();
    for (name, staff) in [("Small ministry", 100), ("Larger ministry", 1000)] {
        let generated = scale::generate(&app.db, &issuer, name, staff, 11)
            .await
            .expect("the organisation is generated");
        let hr = app.login(&generated.hr_email, scale::PASSWORD).await;
        let unit = json!({ "unit": generated.authority.id.to_string() });
        let mut cost = Vec::new();
        for query in [REPORT, STAFF, AI_REPORT, COMPLETION] {
            cost.push(app.statements_for(query, unit.clone(), &hr).await);
        }
        costs.push(cost);
    }
    assert_eq!(costs[0], costs[1], "statements per report: {costs:?}");
}

/// The council of the complementary-suppression tests: nobody of its own, and three
/// departments, Small (4 staff), North and South (30 each). Everyone is a Caseworker (a job
/// role that uses AI systems and needs DigComp 1.1 at level 3, which nobody has yet), deals
/// with the council's chatbot (whose instructions nobody has acknowledged) and is affected by
/// the council's rollout.
struct Council {
    admin: String,
    council: String,
    small: String,
    /// North or South, whichever sorts first by path: the complement of Small.
    complement: String,
    /// The other one, shown.
    shown: String,
    names: std::collections::HashMap<String, &'static str>,
    rollout: String,
    course: String,
    c11: String,
}

async fn build_council(app: &TestApp) -> Council {
    let admin = app.login(ADMIN, PASSWORD).await;
    let council = create_unit(app, &admin, "Council", None).await;
    let small = create_unit(app, &admin, "Small", Some(&council)).await;
    let north = create_unit(app, &admin, "North", Some(&council)).await;
    let south = create_unit(app, &admin, "South", Some(&council)).await;
    let c11 = digcomp(app, "1.1").await;
    let caseworker = app
        .ok(
            "mutation($unit: ID!, $c11: ID!) { createJobRole(input: { name: \"Caseworker\",
                usesAiSystems: true, orgUnitId: $unit,
                requirements: [{ competenceId: $c11, level: 3 }] }) { id } }",
            json!({ "unit": council, "c11": c11 }),
            &admin,
        )
        .await["createJobRole"]["id"]
        .as_str()
        .expect("job role")
        .to_owned();
    for (unit, name, staff) in [
        (&small, "Small", 4),
        (&north, "North", 30),
        (&south, "South", 30),
    ] {
        for i in 1..=staff {
            let id = person(app, &admin, &format!("{name} {i}"), unit).await;
            give_job_role(app, &admin, &id, &caseworker).await;
        }
    }
    let chatbot = app
        .ok(
            "mutation($unit: ID!) { createAiSystem(input: { orgUnitId: $unit, name: \"Chatbot\",
                purpose: \"Answers citizens\", provider: \"Vendor Ltd\", authorityRole: DEPLOYER,
                riskClass: TRANSPARENCY, status: IN_USE }) { id } }",
            json!({ "unit": council }),
            &admin,
        )
        .await["createAiSystem"]["id"]
        .as_str()
        .expect("system")
        .to_owned();
    app.ok(
        "mutation($id: ID!) { setAiSystemMeasures(aiSystemId: $id,
            input: { kind: AFFECTED_STAFF, instructions: true }) { id } }",
        json!({ "id": chatbot }),
        &admin,
    )
    .await;
    app.ok(
        "mutation($id: ID!, $role: ID!) { setAiSystemUse(aiSystemId: $id, jobRoleId: $role,
            kind: AFFECTED_STAFF) { id } }",
        json!({ "id": chatbot, "role": caseworker }),
        &admin,
    )
    .await;
    let course = council_course(app, &admin, &council, &c11).await;
    let rollout = council_rollout(app, &admin, &council, &course, &c11).await;
    // Paths end in the units' ids, so the tie between North and South goes by id.
    let (complement, shown) = if north < south {
        (north.clone(), south.clone())
    } else {
        (south.clone(), north.clone())
    };
    let names = [(small.clone(), "Small"), (north, "North"), (south, "South")]
        .into_iter()
        .collect();
    Council {
        admin,
        council,
        small,
        complement,
        shown,
        names,
        rollout,
        course,
        c11,
    }
}

/// A published course of the council teaching DigComp 1.1 up to level 3.
async fn council_course(app: &TestApp, admin: &str, council: &str, c11: &str) -> String {
    let created = app
        .gql(
            "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
            json!({ "input": { "title": "Case files", "language": "en", "orgUnitId": council,
                "competenceTargets": [{ "competenceId": c11, "targetLevel": 3 }] } }),
            Some(admin),
        )
        .await;
    let course = id_of(&created, "createCourse");
    let module = app
        .gql(
            "mutation($course: ID!) { addModule(courseId: $course, input: { title: \"Basics\" }) { id } }",
            json!({ "course": course }),
            Some(admin),
        )
        .await;
    let module = id_of(&module, "addModule");
    app.ok(
        "mutation($module: ID!) { addLesson(moduleId: $module, input: { title: \"One\",
            kind: TEXT, markdown: \"Hello\", estimatedMinutes: 5 }) { id } }",
        json!({ "module": module }),
        admin,
    )
    .await;
    app.ok(
        "mutation($id: ID!) { publishCourse(courseId: $id) { status } }",
        json!({ "id": course }),
        admin,
    )
    .await;
    course
}

/// A draft rollout of the unit's whole subtree, needing DigComp 1.1 at level 3.
async fn council_rollout(
    app: &TestApp,
    admin: &str,
    unit: &str,
    course: &str,
    c11: &str,
) -> String {
    let go_live = (Utc::now() + Duration::days(42)).date_naive().to_string();
    app.ok(
        "mutation($input: CreateRolloutInput!) { createRollout(input: $input) { id } }",
        json!({ "input": {
            "orgUnitId": unit, "name": "Case files", "service": "case-file system",
            "goLiveOn": go_live, "leadTimeDays": 14, "readinessTarget": 80,
            "affectedUnits": [{ "orgUnitId": unit, "includeSubunits": true }],
            "requirements": [{ "competenceId": c11, "level": 3 }],
            "courseIds": [course],
        } }),
        admin,
    )
    .await["createRollout"]["id"]
        .as_str()
        .expect("rollout")
        .to_owned()
}

const COUNCIL_REPORTS: &str = "query($unit: ID!) {
    skillGapReport(orgUnitId: $unit) {
        suppressed staffCount competences { staffWithRequirement }
        subunits { orgUnit { id } suppressed staffCount competences { belowRequired } }
        staff(first: 100) { nodes { orgUnit { id } } }
    }
    aiLiteracyReport(orgUnitId: $unit) {
        suppressed totals { staffUsingAiSystems }
        subunits { orgUnit { id } suppressed counts { staffUsingAiSystems } }
        uncertified(first: 100) { nodes { orgUnit { id } } }
    }
    aiActReport(orgUnitId: $unit) {
        suppressed totals { people } systems { counts { people } }
        subunits { orgUnit { id } suppressed counts { people } }
        gaps(first: 100) { nodes { orgUnit { id } } }
    }
    completionReport(orgUnitId: $unit) { suppressed courses { enrolled } }
}";

const COUNCIL_READINESS: &str = "query($id: ID!) { rolloutReadiness(rolloutId: $id) {
    suppressed affected ready status competences { below } history { day }
    subunits { orgUnit { id } suppressed affected ready readyPercent }
    notReady(first: 100) { nodes { orgUnit { id } } }
} }";

/// Each breakdown's sub-units as (id, suppressed, the figure), by id.
fn breakdown(subunits: &Value, figure: &str) -> Vec<(String, bool, Value)> {
    let mut rows: Vec<(String, bool, Value)> = subunits
        .as_array()
        .unwrap_or_else(|| panic!("subunits: {subunits}"))
        .iter()
        .map(|row| {
            let value = figure
                .split('.')
                .fold(row, |value, key| &value[key])
                .clone();
            (
                row["orgUnit"]["id"].as_str().expect("id").to_owned(),
                row["suppressed"].as_bool().expect("suppressed"),
                value,
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// The units of the people a list names, each once, sorted.
fn units_named(list: &Value) -> Vec<String> {
    let mut units: Vec<String> = list["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|node| node["orgUnit"]["id"].as_str().expect("unit").to_owned())
        .collect();
    units.sort();
    units.dedup();
    units
}

/// The org unit names (column 1) in an export, each once, sorted; with the response status.
async fn csv_units(app: &TestApp, path: &str, token: &str) -> (u16, Vec<String>) {
    let response = get_csv(app, path, Some(token)).await;
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    if status != 200 {
        return (status, vec![body]);
    }
    let mut units: Vec<String> = parse_csv(&body)
        .into_iter()
        .skip(1)
        .map(|row| row[1].clone())
        .collect();
    units.sort();
    units.dedup();
    (status, units)
}

#[tokio::test]
async fn a_small_sub_unit_and_its_complement_are_suppressed_everywhere_but_the_totals_show() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(5)).await;
    let c = build_council(&app).await;
    let mut expected = vec![
        (c.small.clone(), true, Value::Null),
        (c.complement.clone(), true, Value::Null),
        (c.shown.clone(), false, json!(30)),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));

    let reports = app
        .ok(COUNCIL_REPORTS, json!({ "unit": c.council }), &c.admin)
        .await;
    // The authority's totals show everyone.
    let gaps = &reports["skillGapReport"];
    assert_eq!(gaps["suppressed"], false);
    assert_eq!(gaps["staffCount"], 64);
    assert_eq!(gaps["competences"][0]["staffWithRequirement"], 64);
    let literacy = &reports["aiLiteracyReport"];
    assert_eq!(literacy["suppressed"], false);
    assert_eq!(literacy["totals"]["staffUsingAiSystems"], 64);
    let act = &reports["aiActReport"];
    assert_eq!(act["suppressed"], false);
    assert_eq!(act["totals"]["people"], 64);
    assert_eq!(act["systems"][0]["counts"]["people"], 64);
    assert_eq!(reports["completionReport"]["suppressed"], false);
    // Small (4) is below 5, and South or North (30) is suppressed with it, or the totals less
    // the one shown would give Small away.
    assert_eq!(breakdown(&gaps["subunits"], "staffCount"), expected);
    assert!(
        gaps["subunits"]
            .as_array()
            .expect("subunits")
            .iter()
            .all(|row| row["suppressed"] == row["competences"].is_null())
    );
    assert_eq!(
        breakdown(&literacy["subunits"], "counts.staffUsingAiSystems"),
        expected
    );
    assert_eq!(breakdown(&act["subunits"], "counts.people"), expected);
    // The lists name only people of the sub-unit shown.
    for list in [&gaps["staff"], &literacy["uncertified"], &act["gaps"]] {
        assert_eq!(units_named(list), std::slice::from_ref(&c.shown), "{list}");
    }

    let readiness = app
        .ok(COUNCIL_READINESS, json!({ "id": c.rollout }), &c.admin)
        .await["rolloutReadiness"]
        .clone();
    assert_eq!(readiness["suppressed"], false);
    assert_eq!(readiness["affected"], 64);
    assert_eq!(readiness["ready"], 0);
    assert_eq!(breakdown(&readiness["subunits"], "affected"), expected);
    assert_eq!(
        breakdown(&readiness["subunits"], "readyPercent"),
        expected
            .iter()
            .map(|(id, suppressed, _)| {
                let figure = if *suppressed { Value::Null } else { json!(0.0) };
                (id.clone(), *suppressed, figure)
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        units_named(&readiness["notReady"]),
        std::slice::from_ref(&c.shown)
    );

    // The exports leave out the same people.
    let shown_name = c.names[&c.shown].to_owned();
    for export in ["skill-gaps", "ai-literacy", "ai-act"] {
        let path = format!("/reports/{export}.csv?orgUnitId={}", c.council);
        assert_eq!(
            csv_units(&app, &path, &c.admin).await,
            (200, vec![shown_name.clone()]),
            "{export}"
        );
    }
}

#[tokio::test]
async fn asking_for_a_suppressed_units_own_report_shows_nothing_that_identifies_it() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(5)).await;
    let c = build_council(&app).await;
    let events = audit_events(&app).await;

    for unit in [&c.small, &c.complement] {
        let reports = app
            .ok(COUNCIL_REPORTS, json!({ "unit": unit }), &c.admin)
            .await;
        let gaps = &reports["skillGapReport"];
        assert_eq!(
            [
                &gaps["suppressed"],
                &gaps["staffCount"],
                &gaps["competences"],
                &gaps["subunits"]
            ],
            [&json!(true), &Value::Null, &Value::Null, &Value::Null],
            "{gaps}"
        );
        assert_eq!(gaps["staff"]["nodes"], json!([]));
        let literacy = &reports["aiLiteracyReport"];
        assert_eq!(
            [
                &literacy["suppressed"],
                &literacy["totals"],
                &literacy["subunits"]
            ],
            [&json!(true), &Value::Null, &Value::Null]
        );
        assert_eq!(literacy["uncertified"]["nodes"], json!([]));
        let act = &reports["aiActReport"];
        assert_eq!(
            [
                &act["suppressed"],
                &act["totals"],
                &act["systems"],
                &act["subunits"]
            ],
            [&json!(true), &Value::Null, &Value::Null, &Value::Null]
        );
        assert_eq!(act["gaps"]["nodes"], json!([]));
        let completion = &reports["completionReport"];
        assert_eq!(completion["suppressed"], true);
        assert_eq!(completion["courses"], Value::Null);
        // The unit's own staff only: the same.
        let own = app
            .ok(
                "query($unit: ID!) { skillGapReport(orgUnitId: $unit, includeSubunits: false) {
                    suppressed staffCount } }",
                json!({ "unit": unit }),
                &c.admin,
            )
            .await;
        assert_eq!(
            own["skillGapReport"],
            json!({ "suppressed": true, "staffCount": null })
        );
        // The exports are refused, naming the unit.
        for export in ["skill-gaps", "ai-literacy", "ai-act", "completion"] {
            let response = get_csv(
                &app,
                &format!("/reports/{export}.csv?orgUnitId={unit}"),
                Some(&c.admin),
            )
            .await;
            assert_eq!(response.status(), 409, "{export}");
            let body: Value = response.json().await.expect("JSON");
            assert_eq!(body["error"]["code"], "CONFLICT");
            assert_eq!(body["error"]["field"], "orgUnitId");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .expect("message")
                    .contains("fewer than 5"),
                "{body}"
            );
        }
    }
    // Nobody was named, so no read of people was recorded.
    assert_eq!(audit_events(&app).await, events);

    // A rollout of the complementary unit alone shows no figures either.
    let rollout = council_rollout(&app, &c.admin, &c.complement, &c.course, &c.c11).await;
    let readiness = app
        .ok(COUNCIL_READINESS, json!({ "id": rollout }), &c.admin)
        .await["rolloutReadiness"]
        .clone();
    assert_eq!(
        readiness,
        json!({ "suppressed": true, "affected": null, "ready": null, "status": null,
            "competences": null, "history": null, "subunits": null,
            "notReady": { "nodes": [] } })
    );

    // The unit shown answers in full.
    let shown = app
        .ok(COUNCIL_REPORTS, json!({ "unit": c.shown }), &c.admin)
        .await;
    assert_eq!(shown["skillGapReport"]["suppressed"], false);
    assert_eq!(shown["skillGapReport"]["staffCount"], 30);
    assert_eq!(shown["aiActReport"]["totals"]["people"], 30);
}

async fn audit_events(app: &TestApp) -> u64 {
    audit_event::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

const REPORT_PRIVACY: &str = "mutation($unit: ID!, $input: ReportPrivacyInput!) {
    setReportPrivacy(orgUnitId: $unit, input: $input) { minGroupSize effectiveMinGroupSize }
}";

#[tokio::test]
async fn an_authoritys_own_minimum_group_size_wins_over_the_platforms() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(5)).await;
    let c = build_council(&app).await;
    let small_report = "query($unit: ID!) { skillGapReport(orgUnitId: $unit) {
        suppressed staffCount } }";

    // 3: Small's 4 may show, and nothing needs a complement.
    let set = app
        .ok(
            REPORT_PRIVACY,
            json!({ "unit": c.council, "input": { "minGroupSize": 3 } }),
            &c.admin,
        )
        .await;
    assert_eq!(
        set["setReportPrivacy"],
        json!({ "minGroupSize": 3, "effectiveMinGroupSize": 3 })
    );
    let reports = app
        .ok(COUNCIL_REPORTS, json!({ "unit": c.council }), &c.admin)
        .await;
    for (report, figure) in [
        ("skillGapReport", "staffCount"),
        ("aiLiteracyReport", "counts.staffUsingAiSystems"),
        ("aiActReport", "counts.people"),
    ] {
        let rows = breakdown(&reports[report]["subunits"], figure);
        assert!(
            rows.iter().all(|(_, suppressed, _)| !suppressed),
            "{report}: {rows:?}"
        );
    }
    assert_eq!(
        app.ok(small_report, json!({ "unit": c.small }), &c.admin)
            .await["skillGapReport"],
        json!({ "suppressed": false, "staffCount": 4 })
    );
    let readiness = app
        .ok(COUNCIL_READINESS, json!({ "id": c.rollout }), &c.admin)
        .await;
    let rows = breakdown(&readiness["rolloutReadiness"]["subunits"], "affected");
    assert!(
        rows.iter().all(|(_, suppressed, _)| !suppressed),
        "{rows:?}"
    );

    // 31, above the platform's: North and South are now too small as well.
    app.ok(
        REPORT_PRIVACY,
        json!({ "unit": c.council, "input": { "minGroupSize": 31 } }),
        &c.admin,
    )
    .await;
    let reports = app
        .ok(COUNCIL_REPORTS, json!({ "unit": c.council }), &c.admin)
        .await;
    let rows = breakdown(&reports["skillGapReport"]["subunits"], "staffCount");
    assert!(
        rows.iter().all(|(_, suppressed, _)| *suppressed),
        "{rows:?}"
    );
    assert_eq!(reports["skillGapReport"]["staffCount"], 64);

    // Back to the platform's default: Small and its complement again.
    app.ok(
        REPORT_PRIVACY,
        json!({ "unit": c.council, "input": { "minGroupSize": null } }),
        &c.admin,
    )
    .await;
    assert_eq!(
        app.ok(small_report, json!({ "unit": c.small }), &c.admin)
            .await["skillGapReport"],
        json!({ "suppressed": true, "staffCount": null })
    );
    // Another authority's setting changes nothing here, and the demo ministry, with none of
    // its own, keeps the platform's.
    let ministry = app
        .org_unit_id(&c.admin, "Ministry of Digital Affairs (demo)")
        .await;
    let privacy = app
        .ok(
            "query($unit: ID!) { reportPrivacy(orgUnitId: $unit) { minGroupSize effectiveMinGroupSize } }",
            json!({ "unit": ministry }),
            &c.admin,
        )
        .await;
    assert_eq!(
        privacy["reportPrivacy"],
        json!({ "minGroupSize": null, "effectiveMinGroupSize": 5 })
    );
}

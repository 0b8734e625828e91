//! HR reports: skill gaps, completion, CSV exports; their numbers checked against a small
//! organisation whose right answers are worked out by hand below.

use chrono::{Duration, Utc};
use govskills_domain::entities::certificate;
use govskills_domain::{entities::competence_result::ResultSource, learning, scale};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{
        ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, digcomp, get_csv,
        parse_csv, spawn_app, spawn_app_with,
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

async fn create_unit(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> String {
    let response = app
        .gql(
            "mutation($input: CreateOrgUnitInput!) { createOrgUnit(input: $input) { id } }",
            json!({ "input": { "name": name, "parentId": parent } }),
            Some(token),
        )
        .await;
    id_of(&response, "createOrgUnit")
}

async fn person(app: &TestApp, admin: &str, name: &str, unit: &str) -> String {
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

async fn job_role(
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
async fn result(
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
fn figures(gaps: &Value, competence: &str) -> Value {
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
    let app = spawn_app_with(|config| config.report_min_group_size = 3).await;
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
    let app = spawn_app_with(|config| config.report_min_group_size = 3).await;
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
async fn build_ai_ministry(app: &TestApp) -> (String, String) {
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
    (ministry, hr)
}

#[tokio::test]
async fn the_ai_literacy_report_counts_each_person_under_one_status() {
    let app = spawn_app().await;
    let (ministry, hr) = build_ai_ministry(&app).await;

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
async fn ai_literacy_counts_of_small_groups_are_suppressed_and_exported_as_csv() {
    let app = spawn_app_with(|config| config.report_min_group_size = 3).await;
    let (ministry, hr) = build_ai_ministry(&app).await;

    let report =
        app.ok(AI_REPORT, json!({ "unit": ministry }), &hr).await["aiLiteracyReport"].clone();
    // Data and AI has two people using AI systems: below 3.
    assert_eq!(report["subunits"][0]["suppressed"], false);
    assert_eq!(
        report["subunits"][1],
        json!({ "orgUnit": { "name": "Department of Data and AI" }, "suppressed": true, "counts": null })
    );

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
            // Dana and Dirk of Data and AI, whose counts are suppressed, are not named either.
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
    let app = spawn_app_with(|config| config.dataloader_window_ms = 20).await;
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

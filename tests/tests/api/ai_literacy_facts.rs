//! The AI-literacy report's figures and its list of the uncertified against the live rows of
//! its CSV export, after every kind of change to the data a status comes from: assignments
//! made, cancelled and completed, certificates issued, revoked and expiring, job roles given,
//! switched and changed to use AI systems or not, people moved between units, disabled,
//! enabled and erased, and a certificate template no longer attesting AI literacy.
//!
//! The export works each person's status out from the live tables; the report counts and
//! lists from facts the database keeps per person. Whatever changes, the two must agree: the
//! totals, each direct sub-unit's counts, and the list page by page.

use std::collections::BTreeMap;

use govskills_domain::entities::{certificate, certificate_template};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{PASSWORD, TestApp, get_csv, parse_csv, spawn_app},
    learning::{assign, complete, days_from_now, enroll},
    reports::{AiMinistry, build_ai_ministry, person},
    skill_gap_counts::{set_job_role, update_user},
};

const FIGURES: &str = "query($unit: ID!) {
    aiLiteracyReport(orgUnitId: $unit) {
        totals { ...counts }
        subunits { orgUnit { name } suppressed counts { ...counts } }
    }
}
fragment counts on AiLiteracyCounts { staffUsingAiSystems certified assigned overdue missing }";

const PAGE: &str = "query($unit: ID!, $after: String) {
    aiLiteracyReport(orgUnitId: $unit) {
        uncertified(first: 2, after: $after) {
            pageInfo { hasNextPage endCursor }
            edges { node { displayName orgUnit { name } jobRole status dueAt } }
        }
    }
}";

/// Counts per status, in the report's field names.
fn counts<'a>(statuses: impl Iterator<Item = &'a str>) -> Value {
    let mut by_status: BTreeMap<&str, i64> = ["certified", "assigned", "overdue", "missing"]
        .into_iter()
        .map(|status| (status, 0))
        .collect();
    let mut total = 0;
    for status in statuses {
        *by_status
            .get_mut(status)
            .unwrap_or_else(|| panic!("unknown status {status}")) += 1;
        total += 1;
    }
    json!({
        "staffUsingAiSystems": total,
        "certified": by_status["certified"],
        "assigned": by_status["assigned"],
        "overdue": by_status["overdue"],
        "missing": by_status["missing"],
    })
}

/// A due date (RFC 3339, or empty for none) as milliseconds, so that the query's and the
/// export's ways of writing it compare.
fn millis(due: &str) -> String {
    if due.is_empty() {
        return String::new();
    }
    chrono::DateTime::parse_from_rfc3339(due)
        .unwrap_or_else(|_| panic!("a date: {due}"))
        .timestamp_millis()
        .to_string()
}

/// The report's figures and its whole list of the uncertified (read two at a time) equal what
/// the export's live rows make of them. Every person of the ministry sits in a direct sub-unit.
async fn assert_report_matches_the_live_rows(app: &TestApp, m: &AiMinistry, step: &str) {
    let unit = json!({ "unit": m.ministry });
    let response = get_csv(
        app,
        &format!("/reports/ai-literacy.csv?orgUnitId={}", m.ministry),
        Some(&m.hr),
    )
    .await;
    assert_eq!(response.status(), 200, "{step}: export");
    let rows = parse_csv(&response.text().await.expect("body"));
    assert_eq!(rows[0], ["name", "org unit", "job role", "status", "due"]);
    let live = &rows[1..];

    let report = app.ok(FIGURES, unit.clone(), &m.hr).await["aiLiteracyReport"].clone();
    assert_eq!(
        report["totals"],
        counts(live.iter().map(|row| row[3].as_str())),
        "{step}: totals"
    );
    for subunit in report["subunits"].as_array().expect("subunits") {
        let name = subunit["orgUnit"]["name"].as_str().expect("name");
        assert_eq!(subunit["suppressed"], false, "{step}: {name}");
        assert_eq!(
            subunit["counts"],
            counts(
                live.iter()
                    .filter(|row| row[1] == name)
                    .map(|row| row[3].as_str())
            ),
            "{step}: {name}"
        );
    }

    let mut listed = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(PAGE, json!({ "unit": m.ministry, "after": after }), &m.hr)
            .await["aiLiteracyReport"]["uncertified"]
            .clone();
        for edge in page["edges"].as_array().expect("edges") {
            let node = &edge["node"];
            let due = millis(node["dueAt"].as_str().unwrap_or_default());
            listed.push([
                node["displayName"].as_str().expect("name").to_owned(),
                node["orgUnit"]["name"].as_str().expect("unit").to_owned(),
                node["jobRole"].as_str().expect("job role").to_owned(),
                node["status"].as_str().expect("status").to_lowercase(),
                due,
            ]);
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<[String; 5]> = live
        .iter()
        .filter(|row| row[3] != "certified")
        .map(|row| {
            [
                row[0].clone(),
                row[1].clone(),
                row[2].clone(),
                row[3].clone(),
                millis(&row[4]),
            ]
        })
        .collect();
    assert_eq!(listed, expected, "{step}: the uncertified");
}

async fn uses_ai_systems(app: &TestApp, admin: &str, role: &str, uses: bool) {
    app.ok(
        "mutation($id: ID!, $uses: Boolean) { updateJobRole(id: $id, input: { usesAiSystems: $uses }) { id } }",
        json!({ "id": role, "uses": uses }),
        admin,
    )
    .await;
}

/// The id of the first enrollment listed in `assignment` (an `assignCourse` answer).
fn enrollment_of(assignment: &Value) -> String {
    assignment["data"]["assignCourse"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an enrollment: {assignment}"))
        .to_owned()
}

#[tokio::test]
async fn the_ai_literacy_report_follows_assignments_certificates_roles_and_people() {
    let app = spawn_app().await;
    let m = build_ai_ministry(&app).await;
    let id = |name: &str| m.people[name].0.clone();
    let token = |name: &str| m.people[name].1.clone();
    assert_report_matches_the_live_rows(&app, &m, "as built").await;

    // Conny, with nothing under way, is assigned the course (due in three days); Chris's
    // overdue assignment is cancelled.
    enrollment_of(&assign(&app, &m.hr, &m.course, &[&id("Conny")], days_from_now(3)).await);
    assert_report_matches_the_live_rows(&app, &m, "Conny assigned").await;
    let chris = app
        .ok(
            "{ courseEnrollments: myEnrollments(first: 10) { edges { node { id } } } }",
            json!({}),
            &token("Chris"),
        )
        .await["courseEnrollments"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("Chris's assignment")
        .to_owned();
    app.ok(
        "mutation($id: ID!) { cancelAssignment(enrollmentId: $id) { id } }",
        json!({ "id": chris }),
        &m.hr,
    )
    .await;
    assert_report_matches_the_live_rows(&app, &m, "Chris's assignment cancelled").await;

    // Cem completes the course he was assigned and is certified; Conny completes hers.
    complete(&app, &token("Cem"), &m.lesson).await;
    assert_report_matches_the_live_rows(&app, &m, "Cem certified").await;
    complete(&app, &token("Conny"), &m.lesson).await;
    assert_report_matches_the_live_rows(&app, &m, "Conny certified").await;

    // Carla's certificate expires (moved into the past rather than waited for); Cem's is
    // revoked.
    let certificate_of = |name: &'static str| {
        let token = token(name);
        let app = &app;
        async move {
            app.ok("{ myCertificates { id } }", json!({}), &token).await["myCertificates"][0]["id"]
                .as_str()
                .expect("a certificate")
                .parse::<Uuid>()
                .expect("certificate id")
        }
    };
    let carla = certificate_of("Carla").await;
    certificate::Entity::update_many()
        .col_expr(
            certificate::Column::ExpiresAt,
            Expr::col(certificate::Column::IssuedAt),
        )
        .filter(certificate::Column::Id.eq(carla))
        .exec(&app.db)
        .await
        .expect("expiry moved");
    assert_report_matches_the_live_rows(&app, &m, "Carla's certificate expired").await;
    let cem = certificate_of("Cem").await;
    app.ok(
        "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"issued in error\") { id } }",
        json!({ "id": cem.to_string() }),
        &m.admin,
    )
    .await;
    assert_report_matches_the_live_rows(&app, &m, "Cem's certificate revoked").await;

    // Chris is assigned again, already overdue.
    enrollment_of(&assign(&app, &m.hr, &m.course, &[&id("Chris")], days_from_now(-2)).await);
    assert_report_matches_the_live_rows(&app, &m, "Chris assigned again").await;

    // Eve joins with the AI role: nothing under way. She enrols of her own accord (not an
    // assignment: still missing), then HR assigns her the course, due next month.
    let eve = person(&app, &m.admin, "Eve", &m.citizen).await;
    set_job_role(&app, &m.admin, &eve, Some(&m.ai_role)).await;
    assert_report_matches_the_live_rows(&app, &m, "Eve joined").await;
    let eve_token = app.login("eve@agency.test", PASSWORD).await;
    enroll(&app, &eve_token, &m.course).await;
    assert_report_matches_the_live_rows(&app, &m, "Eve enrolled herself").await;
    enrollment_of(&assign(&app, &m.hr, &m.course, &[&eve], days_from_now(30)).await);
    assert_report_matches_the_live_rows(&app, &m, "Eve assigned").await;

    // Doro's job role starts using AI systems, and stops again; Dirk switches to it, has no job
    // role for a while, and gets the AI role back.
    uses_ai_systems(&app, &m.admin, &m.other_role, true).await;
    assert_report_matches_the_live_rows(&app, &m, "Archivists use AI systems").await;
    uses_ai_systems(&app, &m.admin, &m.other_role, false).await;
    set_job_role(&app, &m.admin, &id("Dirk"), Some(&m.other_role)).await;
    assert_report_matches_the_live_rows(&app, &m, "Dirk an archivist").await;
    set_job_role(&app, &m.admin, &id("Dirk"), None).await;
    assert_report_matches_the_live_rows(&app, &m, "Dirk without a job role").await;
    set_job_role(&app, &m.admin, &id("Dirk"), Some(&m.ai_role)).await;
    assert_report_matches_the_live_rows(&app, &m, "Dirk back").await;

    // Chris moves to Data and AI; Cem is disabled, then enabled; Dana is erased.
    update_user(
        &app,
        &m.admin,
        &id("Chris"),
        json!({ "orgUnitId": m.data_ai }),
    )
    .await;
    assert_report_matches_the_live_rows(&app, &m, "Chris moved").await;
    update_user(&app, &m.admin, &id("Cem"), json!({ "status": "DISABLED" })).await;
    assert_report_matches_the_live_rows(&app, &m, "Cem disabled").await;
    update_user(&app, &m.admin, &id("Cem"), json!({ "status": "ACTIVE" })).await;
    assert_report_matches_the_live_rows(&app, &m, "Cem enabled").await;
    app.ok(
        "mutation($id: ID!) { eraseUser(userId: $id, reason: \"left the service\") }",
        json!({ "id": id("Dana") }),
        &m.admin,
    )
    .await;
    assert_report_matches_the_live_rows(&app, &m, "Dana erased").await;

    // The template stops attesting AI literacy (no mutation does this; the database is
    // changed directly, as any other writer might), and attests it again.
    for attests in [false, true] {
        certificate_template::Entity::update_many()
            .col_expr(
                certificate_template::Column::AttestsAiLiteracy,
                Expr::value(attests),
            )
            .exec(&app.db)
            .await
            .expect("template changed");
        assert_report_matches_the_live_rows(&app, &m, &format!("attests: {attests}")).await;
    }

    let report = app.ok(FIGURES, json!({ "unit": m.ministry }), &m.hr).await;
    assert_eq!(
        report["aiLiteracyReport"]["totals"],
        json!({ "staffUsingAiSystems": 6, "certified": 1, "assigned": 1, "overdue": 1,
            "missing": 3 }),
        "Conny certified; Eve assigned; Chris overdue; Carla, Cem and Dirk missing: {report}"
    );
}

/// Writers changing the same people at once: on PostgreSQL their transactions interleave (each
/// trigger locks the people it works out again, so the later waits for the earlier); SQLite
/// runs one writer at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_leave_the_report_equal_to_the_live_rows() {
    let app = spawn_app().await;
    let m = build_ai_ministry(&app).await;
    let (app, m) = (&app, &m);
    let id = |name: &str| m.people[name].0.clone();
    let eve = person(app, &m.admin, "Eve", &m.citizen).await;
    set_job_role(app, &m.admin, &eve, Some(&m.ai_role)).await;
    // Signed in before (d) can disable her: a disabled account cannot sign in.
    let eve_token = app.login("eve@agency.test", PASSWORD).await;

    // (a) HR assigning Conny and Eve the course, due in the past or the future, and cancelling.
    let assignments = async {
        for round in 0..8 {
            let due = days_from_now(if round % 2 == 0 { -1 } else { 5 });
            for person in [id("Conny"), eve.clone()] {
                let assigned = assign(app, &m.hr, &m.course, &[&person], due.clone()).await;
                // Eve may be disabled just then (d), which refuses the assignment.
                let Some(enrollment) = assigned["data"]["assignCourse"].get(0) else {
                    assert_eq!(person, eve, "{assigned}");
                    assert_eq!(
                        assigned["errors"][0]["message"],
                        format!("user {eve} is disabled")
                    );
                    continue;
                };
                if round % 3 == 2 {
                    let cancelled = app
                        .gql(
                            "mutation($id: ID!) { cancelAssignment(enrollmentId: $id) { id } }",
                            json!({ "id": enrollment["id"] }),
                            Some(&m.hr),
                        )
                        .await;
                    // Eve may have completed the course just then (b), which is no longer
                    // cancellable; or have enrolled herself after an earlier cancellation and
                    // completed, and the assignment found her own enrolment done.
                    if cancelled.get("errors").is_some() {
                        assert_eq!(person, eve, "{cancelled}");
                        let message = cancelled["errors"][0]["message"].as_str();
                        assert!(
                            [
                                Some("only an active assignment can be cancelled"),
                                Some(
                                    "this enrolment is the learner's own choice, not an assignment"
                                ),
                            ]
                            .contains(&message),
                            "{cancelled}"
                        );
                    }
                }
            }
        }
    };

    // (b) Eve completing the course while HR assigns it to her (unless she is disabled and
    // signed out meanwhile).
    let learning = async {
        enroll(app, &eve_token, &m.course).await;
        complete(app, &eve_token, &m.lesson).await;
    };

    // (c) Cem and Conny switching between the AI role and the other one; the other role
    // starting and stopping to use AI systems.
    let roles = async {
        for round in 0..8 {
            let (cem, conny) = if round % 2 == 0 {
                (&m.other_role, &m.ai_role)
            } else {
                (&m.ai_role, &m.other_role)
            };
            set_job_role(app, &m.admin, &id("Cem"), Some(cem)).await;
            set_job_role(app, &m.admin, &id("Conny"), Some(conny)).await;
            uses_ai_systems(app, &m.admin, &m.other_role, round % 3 == 0).await;
        }
    };

    // (d) Chris moving between the departments, Eve disabled and enabled.
    let people = async {
        for round in 0..8 {
            let (unit, status) = if round % 2 == 0 {
                (&m.data_ai, "DISABLED")
            } else {
                (&m.citizen, "ACTIVE")
            };
            update_user(app, &m.admin, &id("Chris"), json!({ "orgUnitId": unit })).await;
            update_user(app, &m.admin, &eve, json!({ "status": status })).await;
        }
    };

    // (e) The template's flag flipping underneath (as another writer might), which works out
    // again everyone with its certificates or enrolled in its course.
    let template = async {
        for round in 0..6 {
            certificate_template::Entity::update_many()
                .col_expr(
                    certificate_template::Column::AttestsAiLiteracy,
                    Expr::value(round % 2 == 1),
                )
                .exec(&app.db)
                .await
                .expect("template changed");
        }
    };

    tokio::join!(assignments, learning, roles, people, template);
    assert_report_matches_the_live_rows(app, m, "after the concurrent changes").await;
}

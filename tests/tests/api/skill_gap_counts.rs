//! The skill-gap report's figures against the live rows of its CSV export, after every kind of
//! change to the data they come from: results (verified and self-assessed, raised and
//! lowered), job roles given, switched and taken away, requirements changed, people moved
//! between units, a unit moved with its staff to another parent and back, accounts disabled,
//! enabled and erased, a competence archived, and SCIM provisioning.
//!
//! The export lists one row per (person, required competence) straight from the live tables;
//! the report's figures may come from counters maintained alongside them. Whatever changes, the
//! two must agree: per competence, for the unit, each of its direct sub-units and the unit's own
//! staff. Head counts are checked against the people directory, which reads the accounts; the
//! staff page (per-person totals, also maintained) against each person's live rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use govskills_domain::entities::competence_result::ResultSource;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    assessments::{attempt_id, create_assessment, question_bank, save, start, submit},
    helpers::{ADMIN, PASSWORD, TRAINER, TestApp, digcomp, get_csv, parse_csv, spawn_app_with},
    reports::{create_unit, figures, job_role, person, result},
    scim::{ENTERPRISE, PATCH_OP, USER_SCHEMA, scim, token_for},
};

const REPORT: &str = "query($unit: ID!, $subunits: Boolean) {
    skillGapReport(orgUnitId: $unit, includeSubunits: $subunits) {
        suppressed staffCount competences { ...gap }
        subunits { orgUnit { id name } suppressed staffCount competences { ...gap } }
    }
}
fragment gap on CompetenceGap {
    competence { id code }
    staffWithRequirement belowRequired averageShortfall withoutVerifiedResult
    levelDistribution { level staff }
}";

const STAFF_PAGE: &str = "query($unit: ID!, $subunits: Boolean, $after: String) {
    skillGapReport(orgUnitId: $unit, includeSubunits: $subunits) {
        staff(first: 2, after: $after) {
            pageInfo { hasNextPage endCursor } nodes { displayName totalGap competencesBelow }
        }
    }
}";

const ACTIVE_STAFF: &str = "query($unit: ID!, $subunits: Boolean) {
    users(first: 100, filter: { orgUnitId: $unit, includeSubunits: $subunits, status: ACTIVE }) {
        pageInfo { hasNextPage } nodes { orgUnit { id } }
    }
}";

/// One competence's figures over a group of staff, as the report states them or as worked out
/// from the export's rows.
#[derive(Debug, Default)]
struct Figures {
    staff: i64,
    /// Staff per current level; levels nobody is at are left out.
    levels: BTreeMap<i64, i64>,
    below: i64,
    average_shortfall: Option<f64>,
    unverified: i64,
}

impl PartialEq for Figures {
    fn eq(&self, other: &Self) -> bool {
        let averages = match (self.average_shortfall, other.average_shortfall) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        averages
            && (self.staff, &self.levels, self.below, self.unverified)
                == (other.staff, &other.levels, other.below, other.unverified)
    }
}

/// The report's figures per competence code.
fn reported(gaps: &Value) -> BTreeMap<String, Figures> {
    let mut figures = BTreeMap::new();
    for gap in gaps
        .as_array()
        .unwrap_or_else(|| panic!("a list of competences: {gaps}"))
    {
        let count = |key: &str| {
            gap[key]
                .as_i64()
                .unwrap_or_else(|| panic!("{key} in {gap}"))
        };
        let mut levels = BTreeMap::new();
        for level in gap["levelDistribution"].as_array().expect("levels") {
            let staff = level["staff"].as_i64().expect("staff");
            if staff != 0 {
                *levels
                    .entry(level["level"].as_i64().expect("level"))
                    .or_default() += staff;
            }
        }
        let code = gap["competence"]["code"].as_str().expect("code").to_owned();
        let previous = figures.insert(
            code.clone(),
            Figures {
                staff: count("staffWithRequirement"),
                levels,
                below: count("belowRequired"),
                average_shortfall: gap["averageShortfall"].as_f64(),
                unverified: count("withoutVerifiedResult"),
            },
        );
        assert!(previous.is_none(), "{code} reported twice: {gaps}");
    }
    figures
}

/// One row of the export: a person's current level and gap in one required competence.
#[derive(Debug)]
struct LiveRow {
    name: String,
    unit_name: String,
    code: String,
    current_level: i64,
    verified: bool,
    gap: i64,
}

/// The figures per competence code worked out from export rows.
fn tally<'a>(rows: impl Iterator<Item = &'a LiveRow>) -> BTreeMap<String, Figures> {
    let mut sums: BTreeMap<String, (Figures, i64)> = BTreeMap::new();
    for row in rows {
        let (figures, shortfall) = sums.entry(row.code.clone()).or_default();
        figures.staff += 1;
        *figures.levels.entry(row.current_level).or_default() += 1;
        if row.gap > 0 {
            figures.below += 1;
            *shortfall += row.gap;
        }
        if !row.verified {
            figures.unverified += 1;
        }
    }
    sums.into_iter()
        .map(|(code, (mut figures, shortfall))| {
            figures.average_shortfall =
                (figures.below > 0).then(|| shortfall as f64 / figures.below as f64);
            (code, figures)
        })
        .collect()
}

/// The rows of `GET /reports/skill-gaps.csv` for the unit (its whole subtree, or its own staff).
async fn live_rows(app: &TestApp, token: &str, unit: &str, subunits: bool) -> Vec<LiveRow> {
    let response = get_csv(
        app,
        &format!("/reports/skill-gaps.csv?orgUnitId={unit}&includeSubunits={subunits}"),
        Some(token),
    )
    .await;
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "the export: {body}");
    let mut rows = parse_csv(&body).into_iter();
    assert_eq!(
        rows.next().expect("a header"),
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
    rows.map(|row| {
        let number = |i: usize| -> i64 {
            row[i]
                .parse()
                .unwrap_or_else(|_| panic!("a number in column {i}: {row:?}"))
        };
        let (required, current_level, gap) = (number(4), number(5), number(7));
        assert_eq!(gap, (required - current_level).max(0), "{row:?}");
        LiveRow {
            name: row[0].clone(),
            unit_name: row[1].clone(),
            code: row[2].clone(),
            current_level,
            verified: match row[6].as_str() {
                "yes" => true,
                "no" => false,
                other => panic!("verified is {other:?} in {row:?}"),
            },
            gap,
        }
    })
    .collect()
}

/// The org units the token sees: id to (name, parent id).
async fn unit_tree(app: &TestApp, token: &str) -> HashMap<String, (String, Option<String>)> {
    app.ok("{ orgUnits { id name parent { id } } }", json!({}), token)
        .await["orgUnits"]
        .as_array()
        .expect("units")
        .iter()
        .map(|unit| {
            (
                unit["id"].as_str().expect("id").to_owned(),
                (
                    unit["name"].as_str().expect("name").to_owned(),
                    unit["parent"]["id"].as_str().map(str::to_owned),
                ),
            )
        })
        .collect()
}

/// The direct sub-unit of `unit` that `descendant` lies in (itself, or one of its ancestors);
/// `None` for `unit` itself and for units outside it.
fn direct_subunit(
    tree: &HashMap<String, (String, Option<String>)>,
    unit: &str,
    descendant: &str,
) -> Option<String> {
    let mut current = descendant.to_owned();
    loop {
        let parent = tree.get(&current)?.1.clone()?;
        if parent == unit {
            return Some(current);
        }
        current = parent;
    }
}

/// The org units (ids) of the active staff of the unit, one per person, from the directory.
async fn active_staff(app: &TestApp, token: &str, unit: &str, subunits: bool) -> Vec<String> {
    let users = app
        .ok(
            ACTIVE_STAFF,
            json!({ "unit": unit, "subunits": subunits }),
            token,
        )
        .await["users"]
        .clone();
    assert_eq!(users["pageInfo"]["hasNextPage"], false, "{users}");
    users["nodes"]
        .as_array()
        .expect("people")
        .iter()
        .map(|user| user["orgUnit"]["id"].as_str().expect("unit").to_owned())
        .collect()
}

/// Notes where the report's figures differ from those worked out from the live rows.
fn compare(
    problems: &mut Vec<String>,
    group: &str,
    report: &BTreeMap<String, Figures>,
    live: &BTreeMap<String, Figures>,
) {
    let codes: BTreeSet<&String> = report.keys().chain(live.keys()).collect();
    for code in codes {
        match (report.get(code), live.get(code)) {
            (Some(reported), Some(counted)) if reported == counted => {}
            (reported, counted) => problems.push(format!(
                "{group}, competence {code}: the report says {reported:?}, the live rows give \
                 {counted:?}"
            )),
        }
    }
}

/// Notes where the report's staff list (largest total gap first, then by name), read two at a
/// time, differs from the people with a gap in the live rows: (name, total gap, competences
/// below).
async fn compare_staff_page(
    problems: &mut Vec<String>,
    app: &TestApp,
    hr: &str,
    (unit, subunits): (&str, bool),
    group: &str,
    rows: &[LiveRow],
) {
    // Page by page, two at a time, so that equal totals across a page's end count too.
    let mut reported: Vec<(String, i64, i64)> = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(
                STAFF_PAGE,
                json!({ "unit": unit, "subunits": subunits, "after": after }),
                hr,
            )
            .await["skillGapReport"]["staff"]
            .clone();
        reported.extend(page["nodes"].as_array().expect("staff").iter().map(|node| {
            (
                node["displayName"].as_str().expect("name").to_owned(),
                node["totalGap"].as_i64().expect("total"),
                node["competencesBelow"].as_i64().expect("below"),
            )
        }));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        assert!(reported.len() < 100, "{group}: the staff pages do not end");
        after = page["pageInfo"]["endCursor"].clone();
    }
    let mut totals: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let (total, below) = totals.entry(&row.name).or_default();
        *total += row.gap;
        *below += i64::from(row.gap > 0);
    }
    let mut live: Vec<(String, i64, i64)> = totals
        .into_iter()
        .filter(|(_, (total, _))| *total > 0)
        .map(|(name, (total, below))| (name.to_owned(), total, below))
        .collect();
    live.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if reported != live {
        problems.push(format!(
            "{group}: the staff page lists {reported:?}, the live rows give {live:?}"
        ));
    }
}

/// Asserts that the skill-gap report of `unit` (with its sub-units, as by default; and of its
/// own staff only) states exactly the figures its CSV export's rows give, per competence, for
/// the unit and for each direct sub-unit, and the head counts the people directory gives.
async fn assert_counts_match_the_live_rows(app: &TestApp, hr: &str, unit: &str, step: &str) {
    let tree = unit_tree(app, hr).await;
    let unit_name = &tree.get(unit).expect("the unit is visible").0;
    // The export names units; within the unit's subtree the names are unique (the test's).
    let mut ids_by_name: HashMap<&str, &str> = HashMap::new();
    for (id, (name, _)) in &tree {
        if id == unit || direct_subunit(&tree, unit, id).is_some() {
            assert!(
                ids_by_name.insert(name, id).is_none(),
                "two units named {name}"
            );
        }
    }
    let subunit_of_row = |row: &LiveRow| {
        let id = ids_by_name
            .get(row.unit_name.as_str())
            .unwrap_or_else(|| panic!("{step}: a row of a unit outside {unit_name}: {row:?}"));
        direct_subunit(&tree, unit, id)
    };
    let mut problems = Vec::new();

    // The whole subtree.
    let report = app.ok(REPORT, json!({ "unit": unit }), hr).await["skillGapReport"].clone();
    assert_eq!(report["suppressed"], false, "{step}: {report}");
    let rows = live_rows(app, hr, unit, true).await;
    compare(
        &mut problems,
        unit_name,
        &reported(&report["competences"]),
        &tally(rows.iter()),
    );
    compare_staff_page(&mut problems, app, hr, (unit, true), unit_name, &rows).await;
    let staff = active_staff(app, hr, unit, true).await;
    if report["staffCount"] != json!(staff.len()) {
        problems.push(format!(
            "{unit_name}: staffCount {} but {} active staff",
            report["staffCount"],
            staff.len()
        ));
    }

    // Each direct sub-unit with its subtree.
    let children: BTreeSet<&str> = tree
        .iter()
        .filter(|(_, (_, parent))| parent.as_deref() == Some(unit))
        .map(|(id, _)| id.as_str())
        .collect();
    let subunits = report["subunits"].as_array().expect("subunits");
    let listed: BTreeSet<&str> = subunits
        .iter()
        .map(|s| s["orgUnit"]["id"].as_str().expect("id"))
        .collect();
    if listed != children {
        problems.push(format!(
            "{unit_name}: sub-units {listed:?} listed, {children:?} exist"
        ));
    }
    for subunit in subunits {
        let id = subunit["orgUnit"]["id"].as_str().expect("id");
        let name = format!("{unit_name} / {}", subunit["orgUnit"]["name"]);
        assert_eq!(subunit["suppressed"], false, "{step}: {subunit}");
        compare(
            &mut problems,
            &name,
            &reported(&subunit["competences"]),
            &tally(
                rows.iter()
                    .filter(|row| subunit_of_row(row).as_deref() == Some(id)),
            ),
        );
        let staff = staff
            .iter()
            .filter(|staff_unit| direct_subunit(&tree, unit, staff_unit).as_deref() == Some(id))
            .count();
        if subunit["staffCount"] != json!(staff) {
            problems.push(format!(
                "{name}: staffCount {} but {staff} active staff",
                subunit["staffCount"]
            ));
        }
    }

    // The unit's own staff only.
    let own = app
        .ok(REPORT, json!({ "unit": unit, "subunits": false }), hr)
        .await["skillGapReport"]
        .clone();
    assert_eq!(own["suppressed"], false, "{step}: {own}");
    let own_rows = live_rows(app, hr, unit, false).await;
    assert!(
        own_rows.iter().all(|row| subunit_of_row(row).is_none()),
        "{step}: the export of {unit_name}'s own staff lists others: {own_rows:?}"
    );
    let own_name = format!("{unit_name} (own staff)");
    compare(
        &mut problems,
        &own_name,
        &reported(&own["competences"]),
        &tally(own_rows.iter()),
    );
    compare_staff_page(&mut problems, app, hr, (unit, false), &own_name, &own_rows).await;
    let own_staff = active_staff(app, hr, unit, false).await.len();
    if own["staffCount"] != json!(own_staff) {
        problems.push(format!(
            "{own_name}: staffCount {} but {own_staff} active staff",
            own["staffCount"]
        ));
    }

    assert!(
        problems.is_empty(),
        "after {step}, the skill-gap report of {unit_name} drifted from the live rows:\n{}",
        problems.join("\n")
    );
}

/// The test organisation:
///
/// ```text
/// Counting Office   Hanna (HR for the office; no job role), Ida (Clerk)
/// ├── North         Ada (Analyst), Ben (Analyst)
/// │   └── North-East  Cleo (Clerk), Dan (Analyst)
/// └── South         Eva (Clerk), Finn (Clerk), Gus (no job role)
/// ```
///
/// Analyst requires DigComp 1.1 at level 4, 1.2 at 2 and 2.1 at 3; Clerk requires 1.1 at 2
/// (the competence both require, at different levels) and 3.1 at 1. Nobody has a result yet.
/// A person holds at most one job role (`assignJobRole` replaces it), so nobody holds both;
/// Dan switches from one to the other instead.
struct Office {
    admin: String,
    hr: String,
    office: String,
    north: String,
    north_east: String,
    south: String,
    analyst: String,
    clerk: String,
    /// People by first name.
    people: HashMap<&'static str, String>,
    /// DigComp competences by code.
    competences: HashMap<&'static str, String>,
}

impl Office {
    fn person(&self, name: &str) -> &str {
        &self.people[name]
    }

    fn competence(&self, code: &str) -> &str {
        &self.competences[code]
    }

    /// The report of the office and of North (which holds North-East, while it does) against
    /// the live rows.
    async fn check(&self, app: &TestApp, step: &str) {
        assert_counts_match_the_live_rows(app, &self.hr, &self.office, step).await;
        assert_counts_match_the_live_rows(app, &self.hr, &self.north, step).await;
    }

    /// As `check`, and the report of South too.
    async fn check_with_south(&self, app: &TestApp, step: &str) {
        self.check(app, step).await;
        assert_counts_match_the_live_rows(app, &self.hr, &self.south, step).await;
    }
}

/// The email `person` gives each of them.
fn email(name: &str) -> String {
    format!("{}@agency.test", name.to_lowercase())
}

/// `[{ competenceId, level }]` for DigComp codes and levels.
fn requirements(competences: &HashMap<&'static str, String>, levels: &[(&str, i32)]) -> Value {
    levels
        .iter()
        .map(|(code, level)| json!({ "competenceId": competences[*code], "level": level }))
        .collect()
}

/// Gives someone a job role, or takes theirs away (`None`).
pub(crate) async fn set_job_role(app: &TestApp, admin: &str, user: &str, role: Option<&str>) {
    app.ok(
        "mutation($user: ID!, $role: ID) { assignJobRole(userId: $user, jobRoleId: $role) { id } }",
        json!({ "user": user, "role": role }),
        admin,
    )
    .await;
}

/// Replaces a job role's requirements.
async fn set_requirements(app: &TestApp, admin: &str, role: &str, requirements: Value) {
    app.ok(
        "mutation($id: ID!, $requirements: [RequiredLevelInput!]) {
            updateJobRole(id: $id, input: { requirements: $requirements }) { id } }",
        json!({ "id": role, "requirements": requirements }),
        admin,
    )
    .await;
}

/// Moves a unit, with its subtree, under another parent.
async fn move_unit(app: &TestApp, admin: &str, unit: &str, new_parent: &str) {
    let moved = app
        .ok(
            "mutation($id: ID!, $to: ID!) { moveOrgUnit(id: $id, newParentId: $to) { parent { id } } }",
            json!({ "id": unit, "to": new_parent }),
            admin,
        )
        .await;
    assert_eq!(moved["moveOrgUnit"]["parent"]["id"], new_parent, "{moved}");
}

/// Changes an account (`UpdateUserInput`).
pub(crate) async fn update_user(app: &TestApp, admin: &str, user: &str, input: Value) {
    app.ok(
        "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(userId: $id, input: $input) { id } }",
        json!({ "id": user, "input": input }),
        admin,
    )
    .await;
}

async fn self_assess(app: &TestApp, token: &str, ratings: Value) {
    app.ok(
        "mutation($ratings: [SelfRatingInput!]!) { submitSelfAssessment(ratings: $ratings) { totalGap } }",
        json!({ "ratings": ratings }),
        token,
    )
    .await;
}

async fn build_office(app: &TestApp) -> Office {
    let admin = app.login(ADMIN, PASSWORD).await;
    let office = create_unit(app, &admin, "Counting Office", None).await;
    let north = create_unit(app, &admin, "North", Some(&office)).await;
    let north_east = create_unit(app, &admin, "North-East", Some(&north)).await;
    let south = create_unit(app, &admin, "South", Some(&office)).await;
    let mut competences = HashMap::new();
    for code in ["1.1", "1.2", "2.1", "3.1", "5.1"] {
        competences.insert(code, digcomp(app, code).await);
    }
    let analyst = job_role(
        app,
        &admin,
        "Analyst",
        &office,
        requirements(&competences, &[("1.1", 4), ("1.2", 2), ("2.1", 3)]),
    )
    .await;
    let clerk = job_role(
        app,
        &admin,
        "Clerk",
        &office,
        requirements(&competences, &[("1.1", 2), ("3.1", 1)]),
    )
    .await;

    let mut people = HashMap::new();
    for (name, unit, role) in [
        ("Hanna", &office, None),
        ("Ida", &office, Some(&clerk)),
        ("Ada", &north, Some(&analyst)),
        ("Ben", &north, Some(&analyst)),
        ("Cleo", &north_east, Some(&clerk)),
        ("Dan", &north_east, Some(&analyst)),
        ("Eva", &south, Some(&clerk)),
        ("Finn", &south, Some(&clerk)),
        ("Gus", &south, None),
    ] {
        let id = person(app, &admin, name, unit).await;
        if let Some(role) = role {
            set_job_role(app, &admin, &id, Some(role)).await;
        }
        people.insert(name, id);
    }
    app.ok(
        "mutation($id: ID!, $unit: ID!) {
            setUserRoles(userId: $id, grants: [{ role: HR, orgUnitId: $unit }]) { id } }",
        json!({ "id": people["Hanna"], "unit": office }),
        &admin,
    )
    .await;
    let hr = app.login(&email("Hanna"), PASSWORD).await;
    Office {
        admin,
        hr,
        office,
        north,
        north_east,
        south,
        analyst,
        clerk,
        people,
        competences,
    }
}

/// A server whose reports suppress no group, whatever the environment says (as in
/// development), so that every figure shows and every person is exported.
async fn spawn_unsuppressed_app() -> TestApp {
    spawn_app_with(|config| config.report_min_group_size = Some(0)).await
}

/// One competence's figures in the report of a unit, as `reports::figures` gives them.
async fn figures_of(app: &TestApp, hr: &str, unit: &str, competence: &str) -> Value {
    let report = app.ok(REPORT, json!({ "unit": unit }), hr).await;
    figures(&report["skillGapReport"]["competences"], competence)
}

#[tokio::test]
async fn the_skill_gap_counts_follow_results_job_roles_and_requirements() {
    let app = spawn_unsuppressed_app().await;
    let o = build_office(&app).await;
    let c11 = o.competence("1.1").to_owned();

    o.check(&app, "building the organisation").await;
    // 1.1: the three Analysts (4 short each) and the four Clerks (2 short each), nobody with a
    // result: 7 below, 20 levels short in all.
    assert_eq!(
        figures_of(&app, &o.hr, &o.office, &c11).await,
        json!([7, 7, 20.0 / 7.0, 7, [[0, 7]]])
    );
    let report = app.ok(REPORT, json!({ "unit": o.office }), &o.hr).await;
    assert_eq!(report["skillGapReport"]["staffCount"], 9);

    // 1. Results.
    result(&app, o.person("Ada"), &c11, 5, ResultSource::Manual, 0).await;
    o.check(&app, "a manual result raising Ada's 1.1 to 5")
        .await;
    result(&app, o.person("Ada"), &c11, 2, ResultSource::Manual, 0).await;
    o.check(&app, "a manual result lowering Ada's 1.1 to 2")
        .await;

    // Ben passes an assessment on 1.1 (levels 1 and 2) and 1.2 (level 1) through the API,
    // then does worse in a second attempt: a verified result lowers his level.
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (s1, t1, m2, e1) = question_bank(&app, &trainer).await;
    let assessment = create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id, e1.id], "visibility": "PLATFORM" }),
    )
    .await;
    let ben = app.login(&email("Ben"), PASSWORD).await;
    for (attempt, m2_answer, step) in [
        (
            1,
            &m2.correct,
            "Ben's assessment verifying 1.1 at 2 and 1.2 at 1",
        ),
        (2, &m2.wrong, "Ben's second attempt verifying 1.1 at 1 only"),
    ] {
        let started = start(&app, &ben, &assessment).await;
        assert_eq!(started["attemptNumber"], attempt);
        let id = attempt_id(&started);
        for (question, answer) in [
            (&s1.id, &s1.correct),
            (&t1.id, &t1.correct),
            (&m2.id, m2_answer),
            (&e1.id, &e1.correct),
        ] {
            let saved = save(&app, &ben, &id, question, answer).await;
            assert_eq!(saved["data"]["saveAnswer"], true, "{saved}");
        }
        let submitted = submit(&app, &ben, &id).await;
        assert_eq!(
            submitted["data"]["submitAttempt"]["passed"], true,
            "{submitted}"
        );
        o.check(&app, step).await;
    }

    let cleo = app.login(&email("Cleo"), PASSWORD).await;
    self_assess(
        &app,
        &cleo,
        requirements(&o.competences, &[("1.1", 3), ("3.1", 1)]),
    )
    .await;
    o.check(&app, "Cleo's self-assessment (no verified result)")
        .await;
    let ada = app.login(&email("Ada"), PASSWORD).await;
    self_assess(&app, &ada, requirements(&o.competences, &[("1.1", 5)])).await;
    o.check(&app, "Ada's self-assessment over her verified 1.1")
        .await;
    let eva = app.login(&email("Eva"), PASSWORD).await;
    self_assess(&app, &eva, requirements(&o.competences, &[("1.1", 1)])).await;
    o.check(&app, "Eva's self-assessment").await;
    result(&app, o.person("Eva"), &c11, 2, ResultSource::Manual, 0).await;
    o.check(&app, "a manual result replacing Eva's self-assessment")
        .await;
    // 1.1 now: Ada 2 (verified, 2 short), Ben 1 (verified, 3 short), Dan 0 (4 short), Cleo 3
    // (self-assessed), Eva 2 (verified), Finn and Ida 0 (2 short each).
    assert_eq!(
        figures_of(&app, &o.hr, &o.office, &c11).await,
        json!([7, 5, 13.0 / 5.0, 4, [[0, 3], [1, 1], [2, 2], [3, 1]]])
    );

    // 2. Job roles.
    set_job_role(&app, &o.admin, o.person("Gus"), Some(&o.analyst)).await;
    o.check(&app, "giving Gus the Analyst job role").await;
    set_job_role(&app, &o.admin, o.person("Dan"), Some(&o.clerk)).await;
    o.check(
        &app,
        "switching Dan from Analyst (1.1 at 4) to Clerk (1.1 at 2)",
    )
    .await;
    set_job_role(&app, &o.admin, o.person("Finn"), None).await;
    o.check(&app, "taking Finn's job role away").await;

    // 3. Requirements.
    set_requirements(
        &app,
        &o.admin,
        &o.clerk,
        requirements(&o.competences, &[("1.1", 3), ("3.1", 1)]),
    )
    .await;
    o.check(&app, "raising Clerk's 1.1 to 3").await;
    set_requirements(
        &app,
        &o.admin,
        &o.clerk,
        requirements(&o.competences, &[("1.1", 3), ("3.1", 1), ("5.1", 2)]),
    )
    .await;
    o.check(&app, "adding 5.1 to Clerk").await;
    set_requirements(
        &app,
        &o.admin,
        &o.analyst,
        requirements(&o.competences, &[("1.1", 4), ("2.1", 3)]),
    )
    .await;
    o.check(&app, "removing 1.2 from Analyst").await;
    let report = app.ok(REPORT, json!({ "unit": o.office }), &o.hr).await;
    assert!(
        !report.to_string().contains("\"1.2\""),
        "nobody needs 1.2 any more: {report}"
    );

    // 4. Folding (the worker's scan does it): one row per key is left, the figures stay.
    let before = app.count("skill_gap_counts").await;
    govskills_domain::reports::skill_gaps::fold_counts(&app.reconnect().await)
        .await
        .expect("the counters fold");
    let after = app.count("skill_gap_counts").await;
    assert!(
        after < before,
        "folding leaves fewer rows ({before} before, {after} after)"
    );
    o.check(&app, "folding the counters").await;
    assert_eq!(
        app.ok(REPORT, json!({ "unit": o.office }), &o.hr).await,
        report,
        "the report is the same after folding"
    );
    let folded = app.count("skill_gap_counts").await;
    govskills_domain::reports::skill_gaps::fold_counts(&app.reconnect().await)
        .await
        .expect("folding again");
    assert_eq!(
        app.count("skill_gap_counts").await,
        folded,
        "nothing left to fold"
    );
}

#[tokio::test]
async fn the_skill_gap_counts_follow_people_units_archiving_and_provisioning() {
    let app = spawn_unsuppressed_app().await;
    let o = build_office(&app).await;
    // Some results to move about: verified, self-assessed, and in the competence archived below.
    for (name, code, level, source) in [
        ("Ada", "1.1", 2, ResultSource::Manual),
        ("Ben", "1.1", 5, ResultSource::Assessment),
        ("Ben", "2.1", 1, ResultSource::SelfAssessed),
        ("Cleo", "1.1", 1, ResultSource::SelfAssessed),
        ("Cleo", "3.1", 1, ResultSource::Manual),
        ("Dan", "1.2", 3, ResultSource::Assessment),
        ("Eva", "1.1", 3, ResultSource::Manual),
        ("Eva", "3.1", 2, ResultSource::SelfAssessed),
        ("Ida", "3.1", 1, ResultSource::SelfAssessed),
    ] {
        result(&app, o.person(name), o.competence(code), level, source, 0).await;
    }
    o.check_with_south(&app, "building the organisation with results")
        .await;

    // 4. Moving a unit, then people, between units. North-East moves with Cleo (Clerk) and Dan
    // (Analyst) from under North to under South: both leave North's figures (and the office's
    // North sub-unit) and join South's. Then it moves back, for the people moves below.
    let staff_count = |unit: &str| {
        let (app, hr, unit) = (&app, &o.hr, unit.to_owned());
        async move {
            app.ok(REPORT, json!({ "unit": unit }), hr).await["skillGapReport"]["staffCount"]
                .as_i64()
                .expect("a staff count")
        }
    };
    let south_before = staff_count(&o.south).await;
    let moved_staff = 2; // Cleo and Dan.
    move_unit(&app, &o.admin, &o.north_east, &o.south).await;
    o.check_with_south(&app, "moving North-East (Cleo and Dan) from North to South")
        .await;
    assert_eq!(
        staff_count(&o.south).await,
        south_before + moved_staff,
        "South counts North-East's staff once it holds North-East"
    );
    move_unit(&app, &o.admin, &o.north_east, &o.north).await;
    o.check_with_south(
        &app,
        "moving North-East (Cleo and Dan) back from South to North",
    )
    .await;
    assert_eq!(staff_count(&o.south).await, south_before);

    update_user(
        &app,
        &o.admin,
        o.person("Ada"),
        json!({ "orgUnitId": o.south }),
    )
    .await;
    o.check(&app, "moving Ada from North to South").await;
    update_user(
        &app,
        &o.admin,
        o.person("Cleo"),
        json!({ "orgUnitId": o.office }),
    )
    .await;
    o.check(&app, "moving Cleo from North-East to the office itself")
        .await;
    update_user(
        &app,
        &o.admin,
        o.person("Dan"),
        json!({ "orgUnitId": o.south }),
    )
    .await;
    o.check(&app, "moving Dan from North-East (under North) to South")
        .await;

    // 5. Disabling and enabling.
    update_user(
        &app,
        &o.admin,
        o.person("Ben"),
        json!({ "status": "DISABLED" }),
    )
    .await;
    o.check(&app, "disabling Ben").await;
    update_user(
        &app,
        &o.admin,
        o.person("Ben"),
        json!({ "status": "ACTIVE" }),
    )
    .await;
    o.check(&app, "enabling Ben again").await;

    // 6. Erasure: the account is disabled and its self-assessments go; enabled again, the
    // pseudonym counts with its verified levels only.
    app.ok(
        "mutation($id: ID!) { eraseUser(userId: $id, reason: \"request 42\") }",
        json!({ "id": o.person("Eva") }),
        &o.admin,
    )
    .await;
    o.check(&app, "erasing Eva").await;
    update_user(
        &app,
        &o.admin,
        o.person("Eva"),
        json!({ "status": "ACTIVE" }),
    )
    .await;
    o.check(&app, "enabling Eva's erased account again").await;

    // 7. Archiving a competence: it leaves both.
    app.ok(
        "mutation($id: ID!) { archiveCompetence(competenceId: $id) { id } }",
        json!({ "id": o.competence("3.1") }),
        &o.admin,
    )
    .await;
    o.check(&app, "archiving 3.1").await;
    let report = app.ok(REPORT, json!({ "unit": o.office }), &o.hr).await;
    assert!(
        !report.to_string().contains("\"3.1\""),
        "3.1 is archived: {report}"
    );
    let rows = live_rows(&app, &o.hr, &o.office, true).await;
    assert!(rows.iter().all(|row| row.code != "3.1"), "{rows:?}");
    assert!(!rows.is_empty());

    // 8. SCIM provisioning from the HR system: accounts created, moved between units,
    // deactivated and deleted.
    for (unit, external_id) in [(&o.north, "N"), (&o.south, "S")] {
        app.ok(
            "mutation($id: ID!, $externalId: String) {
                updateOrgUnit(id: $id, input: { externalId: $externalId }) { id } }",
            json!({ "id": unit, "externalId": external_id }),
            &o.admin,
        )
        .await;
    }
    let token = token_for(&app, &o.admin, &o.office).await;
    let mut jo = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": "jo@counting.test",
        "externalId": "hr-jo",
        "name": { "givenName": "Jo", "familyName": "Provisioned" },
        "displayName": "Jo",
        "emails": [{ "value": "jo@counting.test", "type": "work", "primary": true }],
        "active": true,
    });
    jo[ENTERPRISE] = json!({ "department": "S" });
    let (status, created) = scim(&app, Method::POST, "/Users", &token, Some(jo)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let jo = created["id"].as_str().expect("an id").to_owned();
    o.check(&app, "SCIM creating Jo in South").await;
    set_job_role(&app, &o.admin, &jo, Some(&o.clerk)).await;
    o.check(&app, "giving Jo the Clerk job role").await;
    let (status, moved) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{jo}"),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "N" },
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    o.check(&app, "SCIM moving Jo to North").await;
    let (status, deactivated) = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{}", o.person("Ida")),
        &token,
        Some(json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "path": "active", "value": false },
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deactivated}");
    o.check(&app, "SCIM deactivating Ida").await;
    let (status, _) = scim(&app, Method::DELETE, &format!("/Users/{jo}"), &token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    o.check(&app, "SCIM deleting Jo").await;
}

/// Writers at once, as in a busy office: an administrator changing Analyst's requirements
/// (1.1 at 2 and at 4, competences added and removed, among them Clerk's 3.1), learners
/// rating themselves (several competences per submission, in differing orders) while HR now
/// and then records a verified result, an administrator switching people's job roles, and
/// another moving people between units and disabling and enabling one. Every change succeeds,
/// and afterwards the counters agree with the live rows. On PostgreSQL the triggers' changes
/// interleave (the row locks order them); SQLite runs one writer at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_leave_the_counts_equal_to_the_live_rows() {
    let app = spawn_unsuppressed_app().await;
    let o = build_office(&app).await;
    let (app, o) = (&app, &o);

    // (a) Analyst's requirements: 1.1 at 2 and at 4; 1.2 and 3.1 (which Clerk requires too)
    // and 5.1 come and go.
    let requirement_changes = async {
        let admin = app.login(ADMIN, PASSWORD).await;
        let sets: [&[(&str, i32)]; 4] = [
            &[("1.1", 2), ("1.2", 2), ("2.1", 3), ("3.1", 1)],
            &[("1.1", 4), ("1.2", 2), ("2.1", 3)],
            &[("1.1", 2), ("2.1", 3), ("5.1", 2)],
            &[("1.1", 4), ("1.2", 2), ("2.1", 3), ("3.1", 2)],
        ];
        for round in 0..20 {
            let set = requirements(&o.competences, sets[round % sets.len()]);
            set_requirements(app, &admin, &o.analyst, set).await;
        }
    };

    // (b) Two learners taking turns, each rating three competences per submission, the set,
    // the levels and the order changing every time (the second writer's in reverse order);
    // every seventh turn HR records a verified 1.1 for the learner instead.
    let self_assessments = |learners: [&'static str; 2], reverse: bool| async move {
        let tokens = [
            app.login(&email(learners[0]), PASSWORD).await,
            app.login(&email(learners[1]), PASSWORD).await,
        ];
        let codes = ["1.1", "1.2", "2.1", "3.1", "5.1"];
        for turn in 0..20 {
            let learner = turn % 2;
            if turn % 7 == 6 {
                let level = (turn % 4 + 1) as i32;
                result(
                    app,
                    o.person(learners[learner]),
                    o.competence("1.1"),
                    level,
                    ResultSource::Manual,
                    0,
                )
                .await;
                continue;
            }
            let mut ratings: Vec<(&str, i32)> = (0..3)
                .map(|k| {
                    let code = codes[(turn + k) % codes.len()];
                    (code, ((turn * 3 + k) % 5 + 1) as i32)
                })
                .collect();
            if reverse {
                ratings.reverse();
            }
            self_assess(
                app,
                &tokens[learner],
                requirements(&o.competences, &ratings),
            )
            .await;
        }
    };

    // (c) Dan switching between Analyst and Clerk; Gus given Analyst and having it taken away.
    let job_role_changes = async {
        let admin = app.login(ADMIN, PASSWORD).await;
        for round in 0..12 {
            let (dan, gus) = if round % 2 == 0 {
                (&o.clerk, Some(o.analyst.as_str()))
            } else {
                (&o.analyst, None)
            };
            set_job_role(app, &admin, o.person("Dan"), Some(dan)).await;
            set_job_role(app, &admin, o.person("Gus"), gus).await;
        }
    };

    // (d) Ben moving between North and South, Cleo between North-East and South, and Gus
    // (whose job role changes meanwhile) disabled and enabled.
    let people_changes = async {
        let admin = app.login(ADMIN, PASSWORD).await;
        for round in 0..7 {
            let there = round % 2 == 0;
            let (ben, cleo, gus) = if there {
                (&o.south, &o.south, "DISABLED")
            } else {
                (&o.north, &o.north_east, "ACTIVE")
            };
            update_user(app, &admin, o.person("Ben"), json!({ "orgUnitId": ben })).await;
            update_user(app, &admin, o.person("Gus"), json!({ "status": gus })).await;
            update_user(app, &admin, o.person("Cleo"), json!({ "orgUnitId": cleo })).await;
        }
    };

    tokio::join!(
        requirement_changes,
        self_assessments(["Ada", "Dan"], false),
        self_assessments(["Ben", "Cleo"], true),
        job_role_changes,
        people_changes,
    );

    o.check_with_south(app, "the concurrent changes").await;
}

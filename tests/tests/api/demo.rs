//! The first day: what a new learner and the people of `serve --demo` see before they have done
//! anything themselves.

use govskills_domain::demo;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, spawn_app};

const PROFILE: &str = "{ myCompetenceProfile { totalGap competences {
    competence { code } currentLevel requiredLevel gap selfAssessed } } }";

fn entry<'a>(profile: &'a Value, code: &str) -> &'a Value {
    profile["myCompetenceProfile"]["competences"]
        .as_array()
        .expect("competences")
        .iter()
        .find(|entry| entry["competence"]["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {profile}"))
}

#[tokio::test]
async fn a_new_learner_without_a_job_role_sees_every_digcomp_competence_to_rate() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    app.create_user(&admin, "new.learner@demo.govskills.test", &unit)
        .await;
    let learner = app
        .login("new.learner@demo.govskills.test", "a long enough password")
        .await;

    let profile = app.ok(PROFILE, json!({}), &learner).await;

    let competences = profile["myCompetenceProfile"]["competences"]
        .as_array()
        .expect("competences");
    assert_eq!(competences.len(), 21, "{profile}");
    assert_eq!(competences[0]["competence"]["code"], "1.1");
    assert_eq!(competences[20]["competence"]["code"], "5.4");
    assert!(
        competences
            .iter()
            .all(|c| c["requiredLevel"].is_null() && c["currentLevel"].is_null() && c["gap"] == 0),
        "{profile}"
    );
    assert_eq!(profile["myCompetenceProfile"]["totalGap"], 0);
}

#[tokio::test]
async fn the_demo_learners_see_gaps_assignments_and_recommendations_on_the_first_day() {
    let app = spawn_app().await;
    app.load_full_demo().await;

    // learner1: a caseworker with required levels, assigned the demo course with a start made.
    let learner1 = app.login(LEARNER1, PASSWORD).await;
    let profile = app.ok(PROFILE, json!({}), &learner1).await;
    assert_eq!(
        profile["myCompetenceProfile"]["competences"]
            .as_array()
            .expect("competences")
            .len(),
        21
    );
    assert_eq!(entry(&profile, "1.2")["requiredLevel"], 4);
    assert_eq!(entry(&profile, "1.2")["gap"], 4);
    let recommended = app
        .ok(
            "{ myRecommendations(first: 5) { title } }",
            json!({}),
            &learner1,
        )
        .await;
    assert_eq!(
        recommended["myRecommendations"][0]["title"],
        demo::COURSE_TITLE,
        "{recommended}"
    );
    let enrollments = app
        .ok(
            "{ myEnrollments { nodes { source overdue dueAt progress { done total } completedLessonIds
                course { title modules { lessons { id } } } } } }",
            json!({}),
            &learner1,
        )
        .await;
    let enrolment = &enrollments["myEnrollments"]["nodes"][0];
    assert_eq!(enrolment["source"], "ASSIGNED", "{enrollments}");
    assert_eq!(enrolment["overdue"], false);
    assert_eq!(enrolment["progress"]["done"], 1);
    // The course page can tick off the lesson done: the first one.
    assert_eq!(
        enrolment["completedLessonIds"],
        json!([enrolment["course"]["modules"][0]["lessons"][0]["id"]])
    );

    // learner2: uses AI systems, overdue, and has rated themselves.
    let learner2 = app.login(LEARNER2, PASSWORD).await;
    let profile = app.ok(PROFILE, json!({}), &learner2).await;
    assert_eq!(entry(&profile, "1.1")["currentLevel"], 3);
    assert_eq!(entry(&profile, "1.1")["selfAssessed"], true);
    assert_eq!(entry(&profile, "1.1")["gap"], 1);
    let enrollments = app
        .ok(
            "{ myEnrollments { nodes { overdue } } }",
            json!({}),
            &learner2,
        )
        .await;
    assert_eq!(enrollments["myEnrollments"]["nodes"][0]["overdue"], true);

    // HR sees both of them in the reports.
    let hr = app.login(HR, PASSWORD).await;
    let ministry = app
        .org_unit_id(&hr, "Ministry of Digital Affairs (demo)")
        .await;
    let reports = app
        .ok(
            "query($unit: ID!) {
                skillGapReport(orgUnitId: $unit) { staff(first: 10) { nodes { displayName totalGap user { id displayName } } } }
                aiLiteracyReport(orgUnitId: $unit) { totals { staffUsingAiSystems overdue }
                    uncertified(first: 10) { nodes { user { id displayName } } } }
            }",
            json!({ "unit": ministry }),
            &hr,
        )
        .await;
    let staff: Vec<&str> = reports["skillGapReport"]["staff"]["nodes"]
        .as_array()
        .expect("staff")
        .iter()
        .filter_map(|person| person["displayName"].as_str())
        .collect();
    assert!(
        staff.contains(&"Lena Learner") && staff.contains(&"Luis Learner"),
        "{reports}"
    );
    // Luis's job role uses AI systems; Lena's is linked to systems in the AI register.
    assert_eq!(
        reports["aiLiteracyReport"]["totals"]["staffUsingAiSystems"],
        2
    );
    assert_eq!(reports["aiLiteracyReport"]["totals"]["overdue"], 1);

    // The demo register: three systems; the high-risk one lacks its EU database registration
    // and has Luis as its named oversight person; Lena's chatbot evidence went stale when the
    // chatbot changed.
    let act = app
        .ok(
            "query($unit: ID!) { aiActReport(orgUnitId: $unit) {
                systems { system { name riskClass version } registrationMissing oversightPersons }
                gaps(first: 20) { nodes { user { displayName } aiSystemName kind status
                    openMeasures { measure status } } } } }",
            json!({ "unit": ministry }),
            &hr,
        )
        .await;
    let systems = act["aiActReport"]["systems"].as_array().expect("systems");
    assert_eq!(systems.len(), 3, "{act}");
    let scoring = systems
        .iter()
        .find(|s| s["system"]["riskClass"] == "HIGH_RISK")
        .expect("the high-risk system");
    assert_eq!(scoring["registrationMissing"], true);
    assert_eq!(scoring["oversightPersons"], 1);
    let chatbot = systems
        .iter()
        .find(|s| s["system"]["riskClass"] == "TRANSPARENCY")
        .expect("the chatbot");
    assert_eq!(chatbot["system"]["version"], 2);
    let gaps = act["aiActReport"]["gaps"]["nodes"]
        .as_array()
        .expect("gaps");
    let lena_chatbot = gaps
        .iter()
        .find(|g| {
            g["user"]["displayName"] == "Lena Learner"
                && g["aiSystemName"] == chatbot["system"]["name"]
        })
        .expect("Lena's chatbot gap");
    assert_eq!(lena_chatbot["status"], "STALE", "{act}");
    assert_eq!(
        lena_chatbot["openMeasures"],
        json!([{ "measure": "INSTRUCTIONS", "status": "STALE" }])
    );

    // A row carries the person, so HR goes straight from it to an assignment.
    let learner2_id = app.me(&learner2).await["id"].clone();
    let row = &reports["aiLiteracyReport"]["uncertified"]["nodes"][0]["user"];
    assert_eq!(
        row,
        &json!({ "id": learner2_id, "displayName": "Luis Learner" })
    );
    let lena = reports["skillGapReport"]["staff"]["nodes"]
        .as_array()
        .expect("staff")
        .iter()
        .find(|person| person["displayName"] == "Lena Learner")
        .expect("Lena");
    assert_eq!(lena["user"]["displayName"], "Lena Learner");
    let course = app
        .ok(
            "{ courses(filter: { search: \"Checking information\" }) { nodes { id } } }",
            json!({}),
            &hr,
        )
        .await["courses"]["nodes"][0]["id"]
        .clone();
    let assigned = app
        .ok(
            "mutation($course: ID!, $user: ID!) { assignCourse(courseId: $course, userIds: [$user]) { id } }",
            json!({ "course": course, "user": lena["user"]["id"] }),
            &hr,
        )
        .await;
    assert_eq!(assigned["assignCourse"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn loading_the_demo_twice_changes_nothing() {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let tables = [
        "users",
        "job_roles",
        "job_role_requirements",
        "courses",
        "enrollments",
        "lesson_progress",
        "user_job_roles",
        "competence_results",
        "certificate_templates",
        "audit_events",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(app.count(table).await);
    }

    app.load_full_demo().await;

    let mut after = Vec::new();
    for table in tables {
        after.push(app.count(table).await);
    }
    assert_eq!(after, before, "{tables:?}");
}

//! An authority's data-protection settings: its retention policy (GDPR Art. 5(1)(e)), changed by
//! its ADMIN with `setRetentionPolicy` and applied by the daily purge, and its report privacy
//! settings (`setReportPrivacy`).

use std::time::Duration;

use chrono::Duration as Days;
use serde_json::{Value, json};

use crate::{
    assessments::{attempt_id, create_assessment, question_bank, save, start, submit},
    helpers::{
        ADMIN, HR, LEARNER1, PASSWORD, TestApp, assert_error, spawn_app, spawn_app_with,
        with_workers,
    },
};

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";

const POLICY_FIELDS: &str = "authority { id name } attemptAnswersMonths selfAssessmentsMonths \
                             auditEventsMonths disabledAccountsMonths notificationsMonths updatedAt";

async fn policy(app: &TestApp, token: &str, unit: &str) -> Value {
    app.gql(
        &format!("query($u: ID!) {{ retentionPolicy(orgUnitId: $u) {{ {POLICY_FIELDS} }} }}"),
        json!({ "u": unit }),
        Some(token),
    )
    .await
}

async fn set_policy(app: &TestApp, token: &str, unit: &str, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($u: ID!, $i: RetentionPolicyInput!) {{ \
               setRetentionPolicy(orgUnitId: $u, input: $i) {{ {POLICY_FIELDS} }} }}"
        ),
        json!({ "u": unit, "i": input }),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn everyone_in_the_authority_reads_the_policy_and_only_its_admin_changes_it() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;

    // The defaults, for a learner too, through any unit of the authority.
    let own_unit = app
        .ok("{ me { orgUnit { id } } }", json!({}), &learner)
        .await["me"]["orgUnit"]["id"]
        .as_str()
        .expect("a unit")
        .to_owned();
    let read = policy(&app, &learner, &own_unit).await;
    let read = &read["data"]["retentionPolicy"];
    assert_eq!(read["authority"]["id"], ministry.as_str(), "{read}");
    assert_eq!(read["attemptAnswersMonths"], 12);
    assert_eq!(read["selfAssessmentsMonths"], 24);
    assert_eq!(read["auditEventsMonths"], 72);
    assert_eq!(read["disabledAccountsMonths"], 24);
    assert_eq!(read["notificationsMonths"], 12);
    assert!(read["updatedAt"].is_null());

    // Wrong users: HR and learners cannot change it; nothing is written.
    for token in [&hr, &learner] {
        let refused = set_policy(&app, token, &ministry, json!({ "notificationsMonths": 3 })).await;
        assert_error(&refused, "FORBIDDEN", None);
    }
    // Another authority's admin can neither read nor change it.
    let other = app.create_authority(&admin, "Regional Office").await;
    let stranger = app
        .person_with_role(&admin, &other, "admin@region.example", "ADMIN")
        .await;
    assert_error(&policy(&app, &stranger, &ministry).await, "FORBIDDEN", None);
    assert_error(
        &set_policy(
            &app,
            &stranger,
            &ministry,
            json!({ "notificationsMonths": 3 }),
        )
        .await,
        "FORBIDDEN",
        None,
    );

    // Bad input names the field and changes nothing.
    for (input, field) in [
        (json!({ "attemptAnswersMonths": 0 }), "attemptAnswersMonths"),
        (
            json!({ "selfAssessmentsMonths": -6 }),
            "selfAssessmentsMonths",
        ),
        (json!({ "auditEventsMonths": 1201 }), "auditEventsMonths"),
        (
            json!({ "disabledAccountsMonths": 0 }),
            "disabledAccountsMonths",
        ),
        (json!({ "notificationsMonths": -1 }), "notificationsMonths"),
        // A valid period beside an invalid one is not half-applied.
        (
            json!({ "notificationsMonths": 6, "auditEventsMonths": 0 }),
            "auditEventsMonths",
        ),
    ] {
        let refused = set_policy(&app, &admin, &ministry, input.clone()).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
    }
    assert_error(
        &set_policy(&app, &admin, &own_unit, json!({ "notificationsMonths": 6 })).await,
        "BAD_USER_INPUT",
        Some("orgUnitId"),
    );
    assert_error(
        &set_policy(
            &app,
            &admin,
            "00000000-0000-0000-0000-000000000000",
            json!({ "notificationsMonths": 6 }),
        )
        .await,
        "NOT_FOUND",
        None,
    );
    assert_eq!(app.count("privacy_policies").await, 0);
    assert_eq!(
        app.count("audit_events WHERE action = 'retention_policy.updated'")
            .await,
        0
    );

    // The authority's ADMIN changes one period; the others stay; it is audited.
    let changed = set_policy(&app, &admin, &ministry, json!({ "notificationsMonths": 6 })).await;
    let changed = &changed["data"]["setRetentionPolicy"];
    assert_eq!(changed["notificationsMonths"], 6, "{changed}");
    assert_eq!(changed["attemptAnswersMonths"], 12);
    assert!(changed["updatedAt"].is_string());
    let read = policy(&app, &learner, &ministry).await;
    assert_eq!(read["data"]["retentionPolicy"]["notificationsMonths"], 6);
    assert_eq!(
        app.count("audit_events WHERE action = 'retention_policy.updated'")
            .await,
        1
    );
    // The other authority still has the defaults.
    let theirs = policy(&app, &stranger, &other).await;
    assert_eq!(theirs["data"]["retentionPolicy"]["notificationsMonths"], 12);
}

/// A scored attempt of `learner` with saved answers.
async fn scored_attempt(app: &TestApp, trainer: &str, learner: &str) {
    let (s1, t1, m2, e1) = question_bank(app, trainer).await;
    let assessment = create_assessment(
        app,
        trainer,
        json!({ "questionIds": [s1.id, t1.id, m2.id, e1.id] }),
    )
    .await;
    let attempt = start(app, learner, &assessment).await;
    let id = attempt_id(&attempt);
    for (question, answer) in [(&s1.id, &s1.correct), (&t1.id, &t1.correct)] {
        let saved = save(app, learner, &id, question, answer).await;
        assert_eq!(saved["data"]["saveAnswer"], true, "{saved}");
    }
    let scored = submit(app, learner, &id).await;
    assert!(scored.get("errors").is_none(), "{scored}");
}

async fn self_assess(app: &TestApp, token: &str) {
    let competence = crate::helpers::digcomp(app, "1.1").await;
    app.ok(
        "mutation($r: [SelfRatingInput!]!) { submitSelfAssessment(ratings: $r) { totalGap } }",
        json!({ "r": [{ "competenceId": competence, "level": 2 }] }),
        token,
    )
    .await;
}

/// Counts the rows `table_where` selects, with `{staff}` standing for the ids of the staff of
/// the authority named `authority`.
async fn of_authority(app: &TestApp, table_where: &str, authority: &str) -> i64 {
    let staff = format!(
        "(SELECT u.id FROM users u JOIN org_units o ON o.id = u.org_unit_id \
           WHERE o.path LIKE (SELECT path FROM org_units WHERE name = '{authority}') || '%')"
    );
    app.count(&table_where.replace("{staff}", &staff)).await
}

#[tokio::test]
async fn the_daily_purge_applies_each_authoritys_policy_once_and_reports_it() {
    let app = spawn_app_with(with_workers).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(crate::helpers::TRAINER, PASSWORD).await;
    let lena = app.login(LEARNER1, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;
    scored_attempt(&app, &trainer, &lena).await;
    self_assess(&app, &lena).await;
    // Someone who left: disabled today.
    let leaver = app
        .create_user(&admin, "leaver@demo.govskills.test", &ministry)
        .await;
    app.ok(
        "mutation($id: ID!) { updateUser(userId: $id, input: { status: DISABLED }) { id } }",
        json!({ "id": leaver }),
        &admin,
    )
    .await;
    // Another authority keeps the defaults: its data stays.
    let region = app.create_authority(&admin, "Regional Office").await;
    let region_admin = app
        .person_with_role(&admin, &region, "admin@region.example", "ADMIN")
        .await;
    self_assess(&app, &region_admin).await;

    let everything_one_month = json!({
        "attemptAnswersMonths": 1, "selfAssessmentsMonths": 1, "auditEventsMonths": 1,
        "disabledAccountsMonths": 1, "notificationsMonths": 1,
    });
    let set = set_policy(&app, &admin, &ministry, everything_one_month).await;
    assert!(set.get("errors").is_none(), "{set}");

    let answers = "attempt_questions WHERE answer IS NOT NULL AND attempt_id IN \
                   (SELECT id FROM attempts WHERE user_id IN {staff})";
    assert!(
        of_authority(&app, answers, MINISTRY).await > 0,
        "Lena's answers are kept for now"
    );
    let ministry_events = "audit_events WHERE org_unit_id IN (SELECT id FROM org_units WHERE path LIKE \
         (SELECT path FROM org_units WHERE name = 'Ministry of Digital Affairs (demo)') || '%')";
    let region_events = "audit_events WHERE org_unit_id IN (SELECT id FROM org_units WHERE path \
                         LIKE (SELECT path FROM org_units WHERE name = 'Regional Office') || '%')";
    let region_events_before = app.count(region_events).await;
    assert!(region_events_before > 0);
    // Today's purge (run at start-up) removed nothing: everything is younger than a month.
    assert_eq!(
        app.count("audit_events WHERE action = 'retention.purged'")
            .await,
        0
    );

    // Six weeks later, the day's purge runs by itself.
    app.clock.advance(Days::days(42));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app
        .count("audit_events WHERE action = 'retention.purged'")
        .await
        == 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the purge did not run"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The ministry's old data is gone...
    assert_eq!(of_authority(&app, answers, MINISTRY).await, 0, "answers");
    assert!(
        app.count("attempts WHERE score IS NOT NULL").await > 0,
        "scores stay"
    );
    assert_eq!(
        of_authority(
            &app,
            "competence_results WHERE source = 'self_assessed' AND user_id IN {staff}",
            MINISTRY
        )
        .await,
        0,
        "self-assessments"
    );
    assert_eq!(
        of_authority(
            &app,
            "competence_levels WHERE verified = false AND user_id IN {staff}",
            MINISTRY
        )
        .await,
        0,
        "the levels they made"
    );
    assert_eq!(
        of_authority(&app, "notifications WHERE user_id IN {staff}", MINISTRY).await,
        0,
        "notifications"
    );
    assert_eq!(
        app.count(&format!("{ministry_events} AND action = 'user.created'"))
            .await,
        0,
        "old audit events"
    );
    let erased_email = format!(
        "erased-{}@erased.invalid",
        leaver.parse::<uuid::Uuid>().expect("an id").simple()
    );
    assert_eq!(
        app.count(&format!(
            "users WHERE email = '{erased_email}' AND erased_at IS NOT NULL"
        ))
        .await,
        1,
        "the leaver is erased"
    );
    assert_eq!(
        app.count("users WHERE email = 'leaver@demo.govskills.test'")
            .await,
        0
    );
    // ... the other authority's is not.
    assert_eq!(
        of_authority(
            &app,
            "competence_results WHERE source = 'self_assessed' AND user_id IN {staff}",
            "Regional Office"
        )
        .await,
        1
    );
    assert!(app.count(region_events).await >= region_events_before);
    // The purge is on the record, with counts and no names.
    let purged = app
        .count(&format!(
            "{ministry_events} AND action = 'retention.purged' AND actor_id IS NULL"
        ))
        .await;
    assert_eq!(purged, 1);

    // Idempotent: run again (as `govskills purge` would), nothing more goes. Only the events
    // the first run wrote go now: the audit trail stamps them with the real time, which this
    // test's clock, six weeks ahead, sees as older than a month.
    let written_by_the_purge = app
        .count("audit_events WHERE action IN ('retention.purged', 'user.erased')")
        .await;
    let again = govskills_api::worker::purge(&app.db, app.clock.now())
        .await
        .expect("the purge runs");
    assert_eq!(
        again,
        govskills_domain::privacy::purge::Purged {
            audit_events: u64::try_from(written_by_the_purge).expect("a count"),
            ..Default::default()
        },
    );

    // What it removed is on /metrics.
    let metrics = app.metrics().await;
    for kind in [
        "attempt_answers",
        "self_assessments",
        "notifications",
        "audit_events",
        "accounts_erased",
    ] {
        assert!(
            metrics.contains(&format!("privacy_purged_total{{kind=\"{kind}\"}}")),
            "{kind} missing from /metrics"
        );
    }
}

const PRIVACY_FIELDS: &str = "authority { id } minGroupSize effectiveMinGroupSize \
                              minGroupSizeReason hrPersonView updatedAt";

async fn set_privacy(app: &TestApp, token: &str, unit: &str, input: Value) -> Value {
    app.gql(
        &format!(
            "mutation($u: ID!, $i: ReportPrivacyInput!) {{ \
               setReportPrivacy(orgUnitId: $u, input: $i) {{ {PRIVACY_FIELDS} }} }}"
        ),
        json!({ "u": unit, "i": input }),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_minimum_group_size_below_three_needs_a_recorded_reason_and_stays_in_range() {
    let app = spawn_app_with(|config| config.report_min_group_size = Some(5)).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let hr = app.login(HR, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, MINISTRY).await;

    // Everyone in the authority (the staff council too) reads the settings: the platform's
    // default until the ADMIN sets the authority's own.
    let read = app
        .ok(
            &format!("query($u: ID!) {{ reportPrivacy(orgUnitId: $u) {{ {PRIVACY_FIELDS} }} }}"),
            json!({ "u": ministry }),
            &learner,
        )
        .await;
    let read = &read["reportPrivacy"];
    assert!(read["minGroupSize"].is_null(), "{read}");
    assert_eq!(read["effectiveMinGroupSize"], 5);
    assert_eq!(read["hrPersonView"], "FULL");

    // Wrong users and bad input change nothing.
    for token in [&hr, &learner] {
        assert_error(
            &set_privacy(&app, token, &ministry, json!({ "minGroupSize": 7 })).await,
            "FORBIDDEN",
            None,
        );
    }
    for (input, field) in [
        (json!({ "minGroupSize": -1 }), "minGroupSize"),
        (json!({ "minGroupSize": 1001 }), "minGroupSize"),
        (json!({ "minGroupSize": 2 }), "minGroupSizeReason"),
        (
            json!({ "minGroupSize": 0, "minGroupSizeReason": "  " }),
            "minGroupSizeReason",
        ),
        (
            json!({ "minGroupSize": 1, "minGroupSizeReason": "x".repeat(501) }),
            "minGroupSizeReason",
        ),
    ] {
        assert_error(
            &set_privacy(&app, &admin, &ministry, input).await,
            "BAD_USER_INPUT",
            Some(field),
        );
    }
    assert_eq!(app.count("privacy_policies").await, 0);

    // 3 or more needs no reason.
    let set = app
        .ok(
            &format!(
                "mutation($u: ID!) {{ setReportPrivacy(orgUnitId: $u, input: {{ minGroupSize: 8 }}) \
                 {{ {PRIVACY_FIELDS} }} }}"
            ),
            json!({ "u": ministry }),
            &admin,
        )
        .await;
    assert_eq!(set["setReportPrivacy"]["effectiveMinGroupSize"], 8);
    assert!(set["setReportPrivacy"]["minGroupSizeReason"].is_null());

    // Below 3 with a reason: allowed, and the reason is recorded in the settings and the audit
    // trail.
    let reason = "Staff council agreement 2026/7: teams of two report jointly";
    let set = set_privacy(
        &app,
        &admin,
        &ministry,
        json!({ "minGroupSize": 2, "minGroupSizeReason": reason }),
    )
    .await;
    let set = &set["data"]["setReportPrivacy"];
    assert_eq!(set["minGroupSize"], 2, "{set}");
    assert_eq!(set["minGroupSizeReason"], reason);
    assert_eq!(
        app.count(&format!(
            "audit_events WHERE action = 'report_privacy.updated' AND CAST(details AS TEXT) LIKE '%{reason}%'"
        ))
        .await,
        1
    );
    // Only the view changes: the size and its reason stay.
    let set = set_privacy(
        &app,
        &admin,
        &ministry,
        json!({ "hrPersonView": "PASS_FAIL" }),
    )
    .await;
    let set = &set["data"]["setReportPrivacy"];
    assert_eq!(set["minGroupSize"], 2, "{set}");
    assert_eq!(set["minGroupSizeReason"], reason);
    assert_eq!(set["hrPersonView"], "PASS_FAIL");
    // Back to the platform's default: the reason goes with the exception.
    let set = set_privacy(&app, &admin, &ministry, json!({ "minGroupSize": null })).await;
    let set = &set["data"]["setReportPrivacy"];
    assert!(set["minGroupSize"].is_null(), "{set}");
    assert_eq!(set["effectiveMinGroupSize"], 5);
    assert!(set["minGroupSizeReason"].is_null());
}

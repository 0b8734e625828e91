//! Notifications in the app and by email, through a real SMTP server (aiosmtpd on a loopback
//! port), sent by the background worker on the durable job queue; the worker's clock is moved
//! forward instead of waiting days.

use std::time::Duration;

use chrono::{Duration as Days, SubsecRound as _};
use govskills_api::config::Config;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::{
    helpers::{
        ADMIN, LEARNER1, LEARNER2, PASSWORD, TestApp, assert_error, spawn_app, spawn_app_with,
        with_workers,
    },
    smtp_server::{ReceivedMail, SmtpServer},
};

const FROM: &str = "GovSkills <training@ministry.example>";

/// The demo people with an open assignment on the first day: Lena (due in four weeks, for the
/// e-permit rollout), Luis (a week overdue), and Lena's colleagues Petra, Sven and Ines, whom
/// the rollout assigned the course.
pub(crate) const FIRST_DAY_EMAILS: usize = 5;

/// Three weeks and a day later: the four whose assignment is due in four weeks get a due-in-a-week
/// reminder, and Luis, four weeks overdue by then, his weekly one.
pub(crate) const WEEKS_LATER_EMAILS: usize = 5;

pub(crate) fn mail_to(server: &SmtpServer) -> impl Fn(&mut Config) + '_ {
    move |config: &mut Config| {
        with_workers(config);
        config.smtp_url = Some(SecretString::from(server.url()));
        config.mail_from = Some(FROM.to_owned());
    }
}

/// The demo with everything it has done, served without a worker; returns it and Lena's token.
async fn demo_without_worker() -> (TestApp, String) {
    let app = spawn_app().await;
    app.load_full_demo().await;
    let lena = app.login(LEARNER1, PASSWORD).await;
    (app, lena)
}

fn for_recipient<'a>(mails: &'a [ReceivedMail], email: &str) -> Vec<&'a ReceivedMail> {
    mails
        .iter()
        .filter(|mail| mail.to.iter().any(|to| to == email))
        .collect()
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let answer = app
        .ok(
            "{ myNotifications(first: 50) { edges { node { id kind title body link mandatory readAt emailState } } } me { unreadNotificationCount } }",
            json!({}),
            token,
        )
        .await;
    answer["myNotifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    app.ok("{ me { unreadNotificationCount } }", json!({}), token)
        .await["me"]["unreadNotificationCount"]
        .as_i64()
        .expect("a count")
}

#[tokio::test]
async fn the_first_day_sends_each_assignment_once_in_the_learners_language_and_shows_it_in_the_app()
{
    let (app, lena) = demo_without_worker().await;
    let set = app
        .ok(
            "mutation { setLocale(locale: \"de-AT\") { locale } }",
            json!({}),
            &lena,
        )
        .await;
    assert_eq!(set["setLocale"]["locale"], "de-AT");

    let smtp = SmtpServer::start();
    let worker = app.spawn_replica(mail_to(&smtp)).await;
    let mails = smtp
        .wait_for(FIRST_DAY_EMAILS, Duration::from_secs(30))
        .await;

    let to_lena = for_recipient(&mails, LEARNER1);
    assert_eq!(to_lena.len(), 1, "{mails:?}");
    let mail = to_lena[0];
    assert_eq!(
        mail.subject(),
        "Neue Pflichtschulung: Checking information online"
    );
    let text = mail.text_body();
    assert!(text.contains("/courses/"), "{text}");
    assert!(
        text.contains(&worker.address),
        "links use the public URL: {text}"
    );
    assert!(
        text.contains("verpflichtend"),
        "mandatory and says so: {text}"
    );
    assert!(
        mail.header("List-Unsubscribe").is_none(),
        "mandatory training cannot be unsubscribed"
    );
    let message_id = mail.header("Message-ID").expect("a Message-ID");
    assert!(message_id.ends_with("@ministry.example>"), "{message_id}");
    assert!(mail.html_body().contains("lang=\"de\""));
    assert!(mail.from.contains("training@ministry.example"));

    let to_luis = for_recipient(&mails, LEARNER2);
    assert_eq!(to_luis.len(), 1, "{mails:?}");
    assert!(
        to_luis[0].subject().to_lowercase().contains("overdue"),
        "{}",
        to_luis[0].subject()
    );

    // Several more scans find nothing new: each occasion is sent once.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(smtp.messages().len(), FIRST_DAY_EMAILS);

    // In the app, in German, unread until marked.
    let shown = notifications(&app, &lena).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["kind"], "ASSIGNED");
    assert_eq!(shown[0]["mandatory"], true);
    assert_eq!(shown[0]["emailState"], "sent");
    assert!(
        shown[0]["title"]
            .as_str()
            .expect("a title")
            .starts_with("Neue Pflichtschulung")
    );
    assert_eq!(unread(&app, &lena).await, 1);
    let marked = app
        .ok(
            "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }",
            json!({ "ids": [shown[0]["id"]] }),
            &lena,
        )
        .await;
    assert_eq!(marked["markNotificationsRead"], 1);
    assert_eq!(unread(&app, &lena).await, 0);
    let again = app
        .ok("mutation { markNotificationsRead }", json!({}), &lena)
        .await;
    assert_eq!(again["markNotificationsRead"], 0, "safe to repeat");
}

#[tokio::test]
async fn a_week_later_the_due_reminder_arrives_and_its_unsubscribe_link_switches_it_off() {
    let (app, lena) = demo_without_worker().await;
    let smtp = SmtpServer::start();
    let worker = app.spawn_replica(mail_to(&smtp)).await;
    smtp.wait_for(FIRST_DAY_EMAILS, Duration::from_secs(30))
        .await;

    // Lena's assignment is due in four weeks: 22 days on, it is due within a week.
    worker.clock.advance(Days::days(22));
    let mails = smtp
        .wait_for(
            FIRST_DAY_EMAILS + WEEKS_LATER_EMAILS,
            Duration::from_secs(30),
        )
        .await;
    let reminders: Vec<&ReceivedMail> = for_recipient(&mails, LEARNER1)
        .into_iter()
        .filter(|mail| mail.subject().starts_with("Due in"))
        .collect();
    assert_eq!(reminders.len(), 1, "{mails:?}");
    let unsubscribe = reminders[0]
        .header("List-Unsubscribe")
        .expect("a reminder can be switched off");
    assert_eq!(
        reminders[0].header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let url = unsubscribe.trim_matches(['<', '>']);
    assert!(url.starts_with(&worker.address), "{url}");

    // Following the link changes nothing; the one-click POST does.
    let page = app.client.get(url).send().await.expect("GET");
    assert_eq!(page.status(), 200);
    let before = app
        .ok(
            "{ myNotificationPreferences { kinds { kind email mandatory } } }",
            json!({}),
            &lena,
        )
        .await;
    assert!(
        before["myNotificationPreferences"]["kinds"]
            .as_array()
            .expect("preferences")
            .iter()
            .filter(|p| p["kind"] != "HR_DIGEST")
            .all(|p| p["email"] == true)
    );
    let posted = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("POST");
    assert_eq!(posted.status(), 200);
    let after = app
        .ok(
            "{ myNotificationPreferences { kinds { kind email mandatory } } }",
            json!({}),
            &lena,
        )
        .await;
    let due_soon = after["myNotificationPreferences"]["kinds"]
        .as_array()
        .expect("preferences")
        .iter()
        .find(|p| p["kind"] == "DUE_SOON")
        .expect("DUE_SOON")
        .clone();
    assert_eq!(due_soon["email"], false);

    // An unknown link is a 404 and changes nothing.
    let unknown = app
        .client
        .post(format!("{}/notifications/unsubscribe/nope", app.address))
        .send()
        .await
        .expect("POST");
    assert_eq!(unknown.status(), 404);

    // Switched off in the settings: the next reminder (due tomorrow) is in the app, not in the
    // mailbox.
    let set = app
        .ok(
            "mutation { setNotificationPreferences(input: { kinds: [{ kind: DUE_TOMORROW, email: false }] }) { kinds { kind email } } }",
            json!({}),
            &lena,
        )
        .await;
    assert!(
        set["setNotificationPreferences"]["kinds"]
            .as_array()
            .expect("preferences")
            .iter()
            .any(|p| p["kind"] == "DUE_TOMORROW" && p["email"] == false)
    );
    // To half a day before the due date.
    let due: chrono::DateTime<chrono::Utc> = app
        .ok("{ myEnrollments { nodes { dueAt } } }", json!({}), &lena)
        .await["myEnrollments"]["nodes"][0]["dueAt"]
        .as_str()
        .expect("a due date")
        .parse()
        .expect("a date");
    worker
        .clock
        .advance(due - Days::hours(12) - worker.clock.now());
    let mut tomorrow = Value::Null;
    for _ in 0..120 {
        if let Some(found) = notifications(&app, &lena)
            .await
            .into_iter()
            .find(|n| n["kind"] == "DUE_TOMORROW" && n["emailState"] != "pending")
        {
            tomorrow = found;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(tomorrow["emailState"], "skipped", "{tomorrow}");
    assert_eq!(tomorrow["mandatory"], false);
    assert_eq!(
        for_recipient(&smtp.messages(), LEARNER1).len(),
        2,
        "assignment and due-in-a-week only"
    );
}

#[tokio::test]
async fn two_replicas_scanning_at_the_same_time_send_each_reminder_once() {
    let (app, _) = demo_without_worker().await;
    let smtp = SmtpServer::start();
    let first = app.spawn_replica(mail_to(&smtp)).await;
    let second = app.spawn_replica(mail_to(&smtp)).await;
    smtp.wait_for(FIRST_DAY_EMAILS, Duration::from_secs(30))
        .await;
    // Both move a week on and scan again, several times.
    first.clock.advance(Days::days(22));
    second.clock.advance(Days::days(22));
    smtp.wait_for(
        FIRST_DAY_EMAILS + WEEKS_LATER_EMAILS,
        Duration::from_secs(30),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let mails_now = smtp.messages();
    assert_eq!(mails_now.len(), FIRST_DAY_EMAILS + WEEKS_LATER_EMAILS);
    let mut ids: Vec<String> = mails_now
        .iter()
        .map(|mail| mail.header("Message-ID").expect("Message-ID"))
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no message went out twice: {ids:?}");
    assert_eq!(
        for_recipient(&mails_now, LEARNER1).len(),
        2,
        "Lena: assigned, due in a week"
    );
}

#[tokio::test]
async fn a_worker_that_died_holding_jobs_is_replaced_and_the_emails_still_go_out_once() {
    let (app, _) = demo_without_worker().await;
    // As if a worker had found the first day's occasions, claimed their jobs and died.
    let now = chrono::Utc::now();
    let found = govskills_domain::notifications::scan(&app.db, now)
        .await
        .expect("scan");
    assert_eq!(found, FIRST_DAY_EMAILS as u64);
    let claimed = govskills_domain::jobs::claim(&app.db, "dead-worker", now, 100)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), FIRST_DAY_EMAILS);

    let smtp = SmtpServer::start();
    let worker = app.spawn_replica(mail_to(&smtp)).await;
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(smtp.messages().len(), 0, "the dead worker's jobs are held");
    // Ten minutes on, they are taken to be lost and queued again.
    worker.clock.advance(Days::minutes(11));
    smtp.wait_for(FIRST_DAY_EMAILS, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(smtp.messages().len(), FIRST_DAY_EMAILS);
}

#[tokio::test]
async fn with_the_relay_refusing_jobs_retry_with_backoff_then_wait_dead_for_a_platform_admin() {
    let (app, lena) = demo_without_worker().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let smtp = SmtpServer::start_failing();
    let worker = app.spawn_replica(mail_to(&smtp)).await;

    // Attempts 1 to 5, each after the backoff (30 s, 1, 2, 4 minutes), moved along by the clock.
    let dead = async || {
        app.ok(
            "{ deadJobs(first: 50) { id kind state attempts lastError } }",
            json!({}),
            &admin,
        )
        .await["deadJobs"]
            .as_array()
            .expect("jobs")
            .clone()
    };
    let mut found = Vec::new();
    for _ in 0..80 {
        worker.clock.advance(Days::minutes(5));
        tokio::time::sleep(Duration::from_millis(300)).await;
        found = dead().await;
        if found.len() == FIRST_DAY_EMAILS {
            break;
        }
    }
    assert_eq!(found.len(), FIRST_DAY_EMAILS, "{found:?}");
    for job in &found {
        assert_eq!(job["kind"], "send_email");
        assert_eq!(job["state"], "dead");
        assert_eq!(job["attempts"], 5);
        assert!(
            job["lastError"].as_str().expect("an error").contains("451"),
            "{job}"
        );
    }
    assert_eq!(smtp.messages().len(), 0);
    // Nothing is lost: the notifications are in the app all along.
    assert_eq!(notifications(&app, &lena).await.len(), 1);

    // Learners and HR do not see the queue.
    let learner = app.gql("{ deadJobs { id } }", json!({}), Some(&lena)).await;
    assert_error(&learner, "FORBIDDEN", None);
    let refused = app
        .gql(
            "mutation($id: ID!) { retryJob(id: $id) { id } }",
            json!({ "id": found[0]["id"] }),
            Some(&lena),
        )
        .await;
    assert_error(&refused, "FORBIDDEN", None);

    // A retried job is queued again with fresh attempts; retrying it twice is a conflict.
    let retried = app
        .ok(
            "mutation($id: ID!) { retryJob(id: $id) { state attempts } }",
            json!({ "id": found[0]["id"] }),
            &admin,
        )
        .await;
    assert_eq!(retried["retryJob"]["attempts"], 0);
    let twice = app
        .gql(
            "mutation($id: ID!) { retryJob(id: $id) { state } }",
            json!({ "id": found[0]["id"] }),
            Some(&admin),
        )
        .await;
    assert_error(&twice, "CONFLICT", Some("id"));
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let (app, lena) = demo_without_worker().await;
    let luis = app.login(LEARNER2, PASSWORD).await;

    let long = "x".repeat(40);
    for locale in ["xx", "de_DE", "english", "de-", long.as_str()] {
        let answer = app
            .gql(
                "mutation($l: String) { setLocale(locale: $l) { locale } }",
                json!({ "l": locale }),
                Some(&lena),
            )
            .await;
        assert_error(&answer, "BAD_USER_INPUT", Some("locale"));
    }
    let me = app.ok("{ me { locale } }", json!({}), &lena).await;
    assert!(me["me"]["locale"].is_null(), "unchanged: {me}");

    // Mandatory training cannot be switched off; nothing of the request is applied.
    let answer = app
        .gql(
            "mutation { setNotificationPreferences(input: { kinds: [{ kind: DUE_SOON, email: false }, { kind: ASSIGNED, email: false }] }) { kinds { kind email } } }",
            json!({}),
            Some(&lena),
        )
        .await;
    assert_error(&answer, "BAD_USER_INPUT", Some("kinds"));
    let prefs = app
        .ok(
            "{ myNotificationPreferences { kinds { kind email } } }",
            json!({}),
            &lena,
        )
        .await;
    assert!(
        prefs["myNotificationPreferences"]["kinds"]
            .as_array()
            .expect("preferences")
            .iter()
            .filter(|p| p["kind"] != "HR_DIGEST")
            .all(|p| p["email"] == true),
        "{prefs}"
    );

    // Someone else's notification is NOT_FOUND, like an unknown one, and stays unread.
    govskills_domain::notifications::scan(&app.db, chrono::Utc::now())
        .await
        .expect("scan");
    let lenas = notifications(&app, &lena).await;
    assert_eq!(lenas.len(), 1);
    for ids in [
        json!([lenas[0]["id"]]),
        json!(["00000000-0000-0000-0000-000000000000"]),
    ] {
        let answer = app
            .gql(
                "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }",
                json!({ "ids": ids }),
                Some(&luis),
            )
            .await;
        assert_error(&answer, "NOT_FOUND", None);
    }
    assert_eq!(unread(&app, &lena).await, 1);
    assert_eq!(unread(&app, &luis).await, 1, "Luis's own stays unread too");

    // Nobody reads another person's unread count.
    let hr = app.login(crate::helpers::HR, PASSWORD).await;
    let lena_id = app.me(&lena).await["id"].clone();
    let other = app
        .ok(
            "query($id: ID!) { user(id: $id) { unreadNotificationCount } }",
            json!({ "id": lena_id }),
            &hr,
        )
        .await;
    assert!(
        other["user"]["unreadNotificationCount"].is_null(),
        "{other}"
    );
}

#[tokio::test]
async fn an_smtp_url_without_a_host_or_sender_stops_the_service_from_starting() {
    for (url, from, expected) in [
        ("smtp://", Some(FROM), "no host"),
        ("http://mail.example.org", Some(FROM), "smtp://"),
        ("smtp://127.0.0.1:2525", None, "GOVSKILLS_MAIL_FROM"),
        (
            "smtp://127.0.0.1:2525",
            Some("not an address"),
            "not an email address",
        ),
    ] {
        let (mut config, _file) = crate::helpers::test_config().await;
        with_workers(&mut config);
        config.smtp_url = Some(SecretString::from(url.to_owned()));
        config.mail_from = from.map(str::to_owned);
        let Err(err) = govskills_api::startup::Application::build(&config).await else {
            panic!("{url} with {from:?} was accepted");
        };
        let message = format!("{err:#}");
        assert!(message.contains(expected), "{url}: {message}");
    }
    // Without a relay, the service starts and keeps notifications in the app.
    let app = spawn_app_with(with_workers).await;
    assert!(app.config().smtp_url.is_none());
}

const RECERTIFY: &str = "mutation($t: ID!, $d: Int, $c: ID) {
    setCertificateRecertification(templateId: $t, daysBefore: $d, courseId: $c) {
        daysBefore course { title } } }";

#[tokio::test]
async fn a_holder_is_assigned_the_course_again_before_the_certificate_expires_and_renews_it() {
    let app = spawn_app().await;
    let (lena, admin, certificate) = crate::certificates::certified(&app, Some(12)).await;
    let templates = app
        .ok("{ certificateTemplates { id title } }", json!({}), &admin)
        .await;
    let template = templates["certificateTemplates"][0]["id"].clone();
    let course = app
        .ok(
            "{ courses(filter: { search: \"AI at work\" }) { nodes { id modules { lessons { id } } } } }",
            json!({}),
            &lena,
        )
        .await["courses"]["nodes"][0]
        .clone();
    let course_id = course["id"].clone();
    let lesson = course["modules"][0]["lessons"][0]["id"].clone();

    // Bad input and the wrong user change nothing.
    for (days, course, field) in [
        (json!(0), course_id.clone(), "daysBefore"),
        (json!(366), course_id.clone(), "daysBefore"),
        (
            json!(30),
            json!("00000000-0000-0000-0000-000000000000"),
            "courseId",
        ),
        (json!(30), Value::Null, "courseId"),
        (Value::Null, course_id.clone(), "daysBefore"),
    ] {
        let answer = app
            .gql(
                RECERTIFY,
                json!({ "t": template, "d": days, "c": course }),
                Some(&admin),
            )
            .await;
        assert_error(&answer, "BAD_USER_INPUT", Some(field));
    }
    let answer = app
        .gql(
            RECERTIFY,
            json!({ "t": template, "d": 30, "c": course_id }),
            Some(&lena),
        )
        .await;
    assert_error(&answer, "FORBIDDEN", None);
    assert_eq!(app.count("certificate_recertifications").await, 0);

    let set = app
        .ok(
            RECERTIFY,
            json!({ "t": template, "d": 30, "c": course_id }),
            &admin,
        )
        .await;
    assert_eq!(set["setCertificateRecertification"]["daysBefore"], 30);

    // Eleven months on, three weeks before expiry (arranged in the database: certificates are
    // issued at the real time), the worker assigns the course again, due on the expiry date.
    let expires_at = {
        use govskills_domain::entities::certificate;
        use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, sea_query::Expr};
        let now = chrono::Utc::now().trunc_subsecs(0);
        let expires_at = now + Days::days(21);
        certificate::Entity::update_many()
            .col_expr(
                certificate::Column::IssuedAt,
                Expr::value(now - Days::days(344)),
            )
            .col_expr(
                certificate::Column::ExpiresAt,
                Expr::value(Some(expires_at)),
            )
            .filter(
                certificate::Column::Id.eq(certificate["id"]
                    .as_str()
                    .expect("id")
                    .parse::<uuid::Uuid>()
                    .expect("uuid")),
            )
            .exec(&app.db)
            .await
            .expect("arranged");
        expires_at
    };
    let _worker = app.spawn_replica(with_workers).await;
    let mut assigned = Value::Null;
    for _ in 0..80 {
        let enrolments = app
            .ok(
                "{ myEnrollments { nodes { status source dueAt course { id } } } }",
                json!({}),
                &lena,
            )
            .await;
        if let Some(found) = enrolments["myEnrollments"]["nodes"]
            .as_array()
            .expect("enrolments")
            .iter()
            .find(|e| e["course"]["id"] == course_id && e["status"] == "ACTIVE")
        {
            assigned = found.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(assigned["source"], "ASSIGNED", "{assigned}");
    let due: chrono::DateTime<chrono::Utc> = assigned["dueAt"]
        .as_str()
        .expect("a due date")
        .parse()
        .expect("a date");
    assert_eq!(due, expires_at);

    // Taking it again earns the next certificate at once; the first stays valid until it expires.
    crate::certificates::complete(&app, &lena, lesson.as_str().expect("an id")).await;
    let mine = crate::certificates::mine(&app, &lena).await;
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(mine.iter().any(|c| c["sequence"] == 2));

    // Once per certificate: later scans assign nothing more.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        app.count("audit_events WHERE action = 'enrollment.assigned'")
            .await,
        1
    );

    // A template whose certificates never expire has nothing to recertify.
    let forever =
        crate::certificates::template(&app, &admin, &[course_id.as_str().expect("id")], None).await;
    let answer = app
        .gql(
            RECERTIFY,
            json!({ "t": forever, "d": 30, "c": course_id }),
            Some(&admin),
        )
        .await;
    assert_error(&answer, "BAD_USER_INPUT", Some("daysBefore"));
}

#[tokio::test]
async fn hr_who_switch_the_weekly_digest_on_get_a_count_of_overdue_staff_once_a_week() {
    let (app, lena) = demo_without_worker().await;
    let hr = app.login(crate::helpers::HR, PASSWORD).await;
    // Off unless switched on.
    let prefs = app
        .ok(
            "{ myNotificationPreferences { kinds { kind email } } }",
            json!({}),
            &lena,
        )
        .await;
    let digest = prefs["myNotificationPreferences"]["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|p| p["kind"] == "HR_DIGEST")
        .expect("HR_DIGEST")
        .clone();
    assert_eq!(digest["email"], false);
    app.ok(
        "mutation { setNotificationPreferences(input: { kinds: [{ kind: HR_DIGEST, email: true }] }) { kinds { kind email } } }",
        json!({}),
        &hr,
    )
    .await;

    let smtp = SmtpServer::start();
    let worker = app.spawn_replica(mail_to(&smtp)).await;
    let mails = smtp
        .wait_for(FIRST_DAY_EMAILS + 1, Duration::from_secs(30))
        .await;
    let digests = for_recipient(&mails, crate::helpers::HR);
    assert_eq!(digests.len(), 1, "{mails:?}");
    // Luis, a week overdue, is the one; the digest counts and names nobody.
    assert_eq!(digests[0].subject(), "Weekly digest: 1 person overdue");
    assert!(!digests[0].text_body().contains("Luis"));
    assert!(digests[0].header("List-Unsubscribe").is_some());
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(for_recipient(&smtp.messages(), crate::helpers::HR).len(), 1);

    // A week later, another.
    worker.clock.advance(Days::days(7));
    for _ in 0..80 {
        if for_recipient(&smtp.messages(), crate::helpers::HR).len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(for_recipient(&smtp.messages(), crate::helpers::HR).len(), 2);
}

#[tokio::test]
async fn notifications_are_in_the_authoritys_language_unless_the_person_chose_their_own() {
    let (app, lena) = demo_without_worker().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let luis = app.login(LEARNER2, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    const PROFILE: &str = "mutation($unit: ID!, $input: IssuerProfileInput!) {
        updateIssuerProfile(orgUnitId: $unit, input: $input) { name language } }";
    let refused = app
        .gql(
            PROFILE,
            json!({ "unit": ministry, "input": { "name": "Ministère", "language": "xx" } }),
            Some(&admin),
        )
        .await;
    assert_error(&refused, "BAD_USER_INPUT", Some("language"));
    let set = app
        .ok(
            PROFILE,
            json!({ "unit": ministry, "input": { "name": "Ministère", "language": "fr" } }),
            &admin,
        )
        .await;
    assert_eq!(set["updateIssuerProfile"]["language"], "fr");
    app.ok(
        "mutation { setLocale(locale: \"de\") { id } }",
        json!({}),
        &luis,
    )
    .await;

    let smtp = SmtpServer::start();
    let _worker = app.spawn_replica(mail_to(&smtp)).await;
    let mails = smtp
        .wait_for(FIRST_DAY_EMAILS, Duration::from_secs(30))
        .await;
    assert_eq!(
        for_recipient(&mails, LEARNER1)[0].subject(),
        "Nouvelle formation obligatoire : Checking information online"
    );
    assert!(
        for_recipient(&mails, LEARNER2)[0]
            .subject()
            .starts_with("Überfällig"),
        "{}",
        for_recipient(&mails, LEARNER2)[0].subject()
    );
    let shown = notifications(&app, &lena).await;
    assert!(
        shown[0]["title"]
            .as_str()
            .expect("a title")
            .starts_with("Nouvelle formation obligatoire")
    );

    // The unsubscribe page speaks the visitor's language.
    let page = app
        .client
        .get(format!(
            "{}/notifications/unsubscribe/some-token?lang=de",
            app.address
        ))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("a page");
    assert!(page.contains("Diese E-Mails abbestellen?"), "{page}");
}

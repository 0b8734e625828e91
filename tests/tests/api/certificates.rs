//! Certificates: templates, automatic issuance, signed credentials, verification, revocation,
//! expiry and renewal.
//!
//! Expiry cannot be waited for in a test, so the expiry tests move a certificate's dates (and,
//! for renewal, the completion it was issued for) into the past through the direct database
//! connection, as if the months had passed; everything else goes through HTTP.

use chrono::{Duration, Utc};
use govskills_domain::{
    credentials::{self, Issuer, IssuerKey, Jwks},
    entities::{certificate, enrollment},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    assessments,
    helpers::{
        ADMIN, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, assert_error, spawn_app,
        spawn_app_with,
    },
    learning::{id_of, published_course},
};

const MINISTRY: &str = "Ministry of Digital Affairs (demo)";
const TITLE: &str = "AI Certificate for Public Servants";
const CERTIFICATE_FIELDS: &str = "id code status issuedAt expiresAt revokedAt sequence
    verificationUrl credentialUrl credential template { title }";
const VERIFY: &str = "query($code: String!) { verifyCertificate(code: $code) {
    status code holderName title issuerName issuedAt expiresAt revokedAt } }";

async fn publish(app: &TestApp, trainer: &str, course: &str) {
    let published = app
        .gql(
            "mutation($id: ID!) { publishCourse(courseId: $id) { status } }",
            json!({ "id": course }),
            Some(trainer),
        )
        .await;
    assert_eq!(
        published["data"]["publishCourse"]["status"], "PUBLISHED",
        "{published}"
    );
}

async fn try_template(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        "mutation($input: CreateCertificateTemplateInput!) {
            createCertificateTemplate(input: $input) {
                id title validityMonths attestsAiLiteracy courses { id } alignments { code name }
            }
        }",
        json!({ "input": input }),
        Some(token),
    )
    .await
}

fn template_input(courses: &[&str], validity: Option<i32>) -> Value {
    json!({
        "title": TITLE,
        "description": "Uses AI systems at work knowingly and responsibly (EU AI Act Art. 4).",
        "issuerName": "Ministry of Digital Affairs",
        "validityMonths": validity,
        "attestsAiLiteracy": true,
        "courseIds": courses,
        "alignments": [
            { "frameworkCode": "DIGCOMP", "competenceCode": "1.2" },
            { "frameworkCode": "DIGCOMP", "competenceCode": "4.2" },
        ],
    })
}

pub(crate) async fn template(
    app: &TestApp,
    admin: &str,
    courses: &[&str],
    validity: Option<i32>,
) -> String {
    let response = try_template(app, admin, template_input(courses, validity)).await;
    id_of(&response, "createCertificateTemplate")
}

pub(crate) async fn enroll(app: &TestApp, token: &str, course: &str) {
    app.ok(
        "mutation($c: ID!) { enroll(courseId: $c) { id } }",
        json!({ "c": course }),
        token,
    )
    .await;
}

pub(crate) async fn complete(app: &TestApp, token: &str, lesson: &str) -> Value {
    app.gql(
        "mutation($l: ID!) { completeLesson(lessonId: $l) { status } }",
        json!({ "l": lesson }),
        Some(token),
    )
    .await
}

pub(crate) async fn mine(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(
        &format!("{{ myCertificates {{ {CERTIFICATE_FIELDS} }} }}"),
        json!({}),
        token,
    )
    .await["myCertificates"]
        .as_array()
        .expect("a list")
        .clone()
}

async fn verify(app: &TestApp, code: &str) -> Value {
    let response = app.gql(VERIFY, json!({ "code": code }), None).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["verifyCertificate"].clone()
}

async fn page(app: &TestApp, code: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(&format!("/verify/{code}")))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// A learner holding a certificate of a one-lesson course: (learner token, admin token,
/// certificate).
pub(crate) async fn certified(app: &TestApp, validity: Option<i32>) -> (String, String, Value) {
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (course, lessons) = published_course(app, &trainer, "AI at work", 1).await;
    template(app, &admin, &[&course], validity).await;
    enroll(app, &learner, &course).await;
    complete(app, &learner, &lessons[0]).await;
    let certificates = mine(app, &learner).await;
    assert_eq!(certificates.len(), 1, "{certificates:?}");
    (learner, admin, certificates[0].clone())
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    use govskills_domain::entities::audit_event;
    use sea_orm::PaginatorTrait;
    i64::try_from(
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .count(&app.db)
            .await
            .expect("counted"),
    )
    .expect("fits")
}

#[tokio::test]
async fn a_certificate_is_issued_on_completing_the_last_criterion_and_not_before() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (first, first_lessons) = published_course(&app, &trainer, "AI at work", 1).await;
    let (second, second_lessons) =
        published_course(&app, &trainer, "AI and personal data", 2).await;
    let created = try_template(&app, &admin, template_input(&[&first, &second], Some(24))).await;
    let created = &created["data"]["createCertificateTemplate"];
    assert_eq!(created["title"], TITLE);
    assert_eq!(created["validityMonths"], 24);
    assert_eq!(created["attestsAiLiteracy"], true);
    assert_eq!(created["courses"].as_array().map(Vec::len), Some(2));
    assert_eq!(created["alignments"][1]["code"], "4.2");
    enroll(&app, &learner, &first).await;
    enroll(&app, &learner, &second).await;

    complete(&app, &learner, &first_lessons[0]).await;
    complete(&app, &learner, &second_lessons[0]).await;
    assert!(mine(&app, &learner).await.is_empty(), "one lesson is left");
    assert_eq!(app.count("certificates").await, 0);

    let done = complete(&app, &learner, &second_lessons[1]).await;
    assert_eq!(done["data"]["completeLesson"]["status"], "COMPLETED");
    let certificates = mine(&app, &learner).await;
    assert_eq!(certificates.len(), 1);
    let certificate = &certificates[0];
    assert_eq!(certificate["status"], "VALID");
    assert_eq!(certificate["sequence"], 1);
    assert_eq!(certificate["template"]["title"], TITLE);
    let code = certificate["code"].as_str().expect("a code");
    assert_eq!(code.len(), 29, "six groups of four: {code}");
    let issued: chrono::DateTime<Utc> = certificate["issuedAt"]
        .as_str()
        .and_then(|at| at.parse().ok())
        .expect("issuedAt");
    let expires: chrono::DateTime<Utc> = certificate["expiresAt"]
        .as_str()
        .and_then(|at| at.parse().ok())
        .expect("expiresAt");
    assert!((Utc::now() - issued).num_seconds().abs() < 60);
    assert_eq!(
        expires,
        issued
            .checked_add_months(chrono::Months::new(24))
            .expect("a date")
    );
    assert!(
        certificate["verificationUrl"]
            .as_str()
            .is_some_and(|url| url.starts_with(&app.address) && url.ends_with(code)),
        "{certificate}"
    );
    assert_eq!(audit_count(&app, "certificate.issued").await, 1);

    let verified = verify(&app, code).await;
    assert_eq!(verified["status"], "VALID");
    assert_eq!(verified["holderName"], "Lena Learner");
    assert_eq!(verified["title"], TITLE);
    assert_eq!(verified["issuerName"], "Ministry of Digital Affairs");
    assert_eq!(verified["issuedAt"], certificate["issuedAt"]);
    assert_eq!(verified["expiresAt"], certificate["expiresAt"]);

    // Codes forgive case and separators.
    let typed = code.to_lowercase().replace('-', " ");
    assert_eq!(verify(&app, &typed).await["status"], "VALID");

    let (status, html) = page(&app, code).await;
    assert_eq!(status, 200);
    assert!(html.contains("Valid"), "{html}");
    assert!(html.contains("Lena Learner") && html.contains(TITLE));
}

#[tokio::test]
async fn completing_two_criteria_at_the_same_moment_issues_exactly_one_certificate() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let (first, first_lessons) = published_course(&app, &trainer, "AI at work", 1).await;
    let (second, second_lessons) =
        published_course(&app, &trainer, "AI and personal data", 1).await;
    template(&app, &admin, &[&first, &second], None).await;
    for learner in [LEARNER1, LEARNER2] {
        let token = app.login(learner, PASSWORD).await;
        enroll(&app, &token, &first).await;
        enroll(&app, &token, &second).await;
        // The two last criteria at once, and the same lesson twice.
        let (a, b, c) = tokio::join!(
            complete(&app, &token, &first_lessons[0]),
            complete(&app, &token, &second_lessons[0]),
            complete(&app, &token, &second_lessons[0]),
        );
        for response in [a, b, c] {
            assert!(response.get("errors").is_none(), "{response}");
        }
        let certificates = mine(&app, &token).await;
        assert_eq!(certificates.len(), 1, "{learner}: {certificates:?}");
    }
    assert_eq!(app.count("certificates").await, 2);
    assert_eq!(audit_count(&app, "certificate.issued").await, 2);
}

#[tokio::test]
async fn the_credential_verifies_with_the_published_key_and_fails_when_altered() {
    let app = spawn_app().await;
    let (_, _, certificate) = certified(&app, Some(12)).await;
    let code = certificate["code"].as_str().expect("code");

    let download = app
        .client
        .get(app.url(&format!("/credentials/{code}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-type"].to_str().ok(),
        Some("application/vc+jwt")
    );
    let jwt = download.text().await.expect("a body");
    assert_eq!(jwt, certificate["credential"].as_str().expect("credential"));

    let jwks: Jwks = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("a JWKS");
    // Both algorithms' keys are published; the authority signs with RS256 by default.
    let mut algorithms: Vec<String> = jwks
        .keys
        .iter()
        .map(|key| serde_json::to_value(key).expect("JSON")["alg"].to_string())
        .collect();
    algorithms.sort();
    algorithms.dedup();
    assert_eq!(algorithms, ["\"EdDSA\"", "\"RS256\""]);

    let verified = credentials::verify(&jwt, &jwks, Utc::now()).expect("the credential verifies");
    assert_eq!(verified.algorithm, credentials::Algorithm::Rs256);
    let vc = &verified.credential;
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(vc["name"], TITLE);
    assert_eq!(
        vc["credentialSubject"]["achievement"]["alignment"][0]["targetCode"],
        "1.2"
    );
    assert_eq!(vc["id"], certificate["credentialUrl"]);

    // One byte of the payload changed: the signature no longer matches.
    let mut bytes = jwt.clone().into_bytes();
    let dot = jwt.find('.').expect("a dot");
    let at = dot + 10;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).expect("ascii");
    assert!(credentials::verify(&altered, &jwks, Utc::now()).is_err());

    // The same credential as JSON.
    let json: Value = app
        .client
        .get(app.url(&format!("/credentials/{code}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(&json, vc);
}

#[tokio::test]
async fn retired_keys_stay_published_so_old_credentials_still_verify() {
    let app = spawn_app().await;
    let (_, _, certificate) = certified(&app, None).await;
    let jwt = certificate["credential"].as_str().expect("credential");
    // An operator configures a new RSA key (what a restart with GOVSKILLS_ISSUER_KEY does).
    let new_key = IssuerKey::generate(credentials::Algorithm::Rs256).expect("a key");
    Issuer::load(&app.db, vec![new_key.clone()], &app.address)
        .await
        .expect("the new key loads");
    let jwks: Jwks = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("a JWKS");
    let by_thumbprint: Vec<_> = jwks
        .keys
        .iter()
        .filter(|key| {
            key.common
                .key_id
                .as_deref()
                .is_some_and(|kid| !kid.contains('/'))
        })
        .collect();
    assert_eq!(
        by_thumbprint.len(),
        3,
        "two RSA keys, one retired, and the Ed25519 key"
    );
    assert!(
        jwks.keys
            .iter()
            .any(|key| key.common.key_id.as_deref() == Some(new_key.kid()))
    );
    credentials::verify(jwt, &jwks, Utc::now()).expect("the old credential still verifies");
}

#[tokio::test]
async fn tampered_and_unknown_codes_are_not_found_on_every_path() {
    let app = spawn_app().await;
    let (_, _, certificate) = certified(&app, None).await;
    let code = certificate["code"].as_str().expect("code");
    let first = code.chars().next().expect("a character");
    let tampered = format!("{}{}", if first == 'A' { 'B' } else { 'A' }, &code[1..]);
    for unknown in [
        tampered.as_str(),
        "hello",
        "",
        "0000-0000-0000-0000-0000-0000",
    ] {
        let verified = verify(&app, unknown).await;
        assert_eq!(verified["status"], "NOT_FOUND", "{unknown:?}");
        assert_eq!(verified["holderName"], Value::Null);
        assert_eq!(verified["title"], Value::Null);
    }
    let (status, html) = page(&app, &tampered).await;
    assert_eq!(status, 404);
    assert!(html.contains("Certificate not found"), "{html}");
    assert!(!html.contains("Lena"));
    let download = app
        .client
        .get(app.url(&format!("/credentials/{tampered}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(download.status(), 404);
}

#[tokio::test]
async fn revocation_shows_on_both_paths_at_once_and_is_audited() {
    let app = spawn_app().await;
    let (learner, admin, certificate) = certified(&app, Some(12)).await;
    let code = certificate["code"].as_str().expect("code");
    let id = certificate["id"].as_str().expect("id");
    let revoke = "mutation($id: ID!, $reason: String!) {
        revokeCertificate(certificateId: $id, reason: $reason) { id status revokedAt revocationReason } }";

    let blank = app
        .gql(revoke, json!({ "id": id, "reason": "   " }), Some(&admin))
        .await;
    assert_error(&blank, "BAD_USER_INPUT", Some("reason"));
    assert_eq!(verify(&app, code).await["status"], "VALID");

    let revoked = app
        .ok(
            revoke,
            json!({ "id": id, "reason": "Issued in error" }),
            &admin,
        )
        .await;
    assert_eq!(revoked["revokeCertificate"]["status"], "REVOKED");
    assert_eq!(
        revoked["revokeCertificate"]["revocationReason"],
        "Issued in error"
    );
    let verified = verify(&app, code).await;
    assert_eq!(verified["status"], "REVOKED");
    assert_eq!(
        verified["revokedAt"],
        revoked["revokeCertificate"]["revokedAt"]
    );
    let (status, html) = page(&app, code).await;
    assert_eq!(status, 200);
    assert!(html.contains("Revoked"), "{html}");
    assert!(html.contains("no longer valid"), "{html}");
    assert_eq!(mine(&app, &learner).await[0]["status"], "REVOKED");
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "certificate.revoked");
    assert!(actor.is_some());
    assert_eq!(target.as_deref(), Some(id));

    let again = app
        .gql(revoke, json!({ "id": id, "reason": "twice" }), Some(&admin))
        .await;
    assert_error(&again, "CONFLICT", Some("certificateId"));
    let unknown = app
        .gql(
            revoke,
            json!({ "id": Uuid::new_v4().to_string(), "reason": "x" }),
            Some(&admin),
        )
        .await;
    assert_error(&unknown, "NOT_FOUND", None);
}

#[tokio::test]
async fn an_expired_certificate_shows_as_expired_on_both_paths() {
    let app = spawn_app().await;
    let (learner, _, certificate) = certified(&app, Some(12)).await;
    let code = certificate["code"].as_str().expect("code");
    let id: Uuid = certificate["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    // A year has passed.
    certificate::ActiveModel {
        id: Set(id),
        issued_at: Set(Utc::now() - Duration::days(400)),
        expires_at: Set(Some(Utc::now() - Duration::days(35))),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("moved into the past");
    assert_eq!(verify(&app, code).await["status"], "EXPIRED");
    assert_eq!(mine(&app, &learner).await[0]["status"], "EXPIRED");
    let (status, html) = page(&app, code).await;
    assert_eq!(status, 200);
    assert!(html.contains("Expired"), "{html}");
    assert!(html.contains("expired on"), "{html}");
}

#[tokio::test]
async fn meeting_the_criteria_again_after_expiry_renews_the_certificate() {
    let app = spawn_app().await;
    let (learner, _, certificate) = certified(&app, Some(12)).await;
    let id: Uuid = certificate["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    certificate::ActiveModel {
        id: Set(id),
        issued_at: Set(Utc::now() - Duration::days(400)),
        expires_at: Set(Some(Utc::now() - Duration::days(35))),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("moved into the past");
    let user: Uuid = app.me(&learner).await["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("an id");
    enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::CompletedAt,
            sea_orm::sea_query::Expr::value(Some(Utc::now() - Duration::days(401))),
        )
        .filter(enrollment::Column::UserId.eq(user))
        .exec(&app.db)
        .await
        .expect("moved into the past");

    // Completing something unrelated renews nothing: the old completion predates the expiry.
    let trainer = app.login(TRAINER, PASSWORD).await;
    let (other, other_lessons) = published_course(&app, &trainer, "Spreadsheets", 1).await;
    enroll(&app, &learner, &other).await;
    complete(&app, &learner, &other_lessons[0]).await;
    assert_eq!(mine(&app, &learner).await.len(), 1);

    // The refresher: a new version of the course, taken after the expiry.
    let course_id = app
        .ok(
            "{ myEnrollments { edges { node { course { id title } } } } }",
            json!({}),
            &learner,
        )
        .await["myEnrollments"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|edge| edge["node"]["course"]["title"] == "AI at work")
        .and_then(|edge| edge["node"]["course"]["id"].as_str())
        .expect("the course")
        .to_owned();
    let draft = app
        .ok(
            "mutation($id: ID!) { createCourseVersion(courseId: $id) { id modules { lessons { id } } } }",
            json!({ "id": course_id }),
            &trainer,
        )
        .await;
    let draft = &draft["createCourseVersion"];
    let new_version = draft["id"].as_str().expect("id").to_owned();
    let new_lesson = draft["modules"][0]["lessons"][0]["id"]
        .as_str()
        .expect("a lesson")
        .to_owned();
    publish(&app, &trainer, &new_version).await;
    enroll(&app, &learner, &new_version).await;
    complete(&app, &learner, &new_lesson).await;

    let certificates = mine(&app, &learner).await;
    assert_eq!(certificates.len(), 2, "{certificates:?}");
    assert_eq!(certificates[0]["status"], "VALID");
    assert_eq!(certificates[0]["sequence"], 2);
    assert_eq!(certificates[1]["status"], "EXPIRED");
    assert_ne!(certificates[0]["code"], certificates[1]["code"]);
}

#[tokio::test]
async fn the_verify_page_escapes_a_display_name_containing_html() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let name = "<script>alert('x')</script> & <b>Eve</b>";
    let created = app
        .gql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "email": "eve@demo.govskills.test", "displayName": name,
                "password": "a long enough password", "orgUnitId": unit } }),
            Some(&admin),
        )
        .await;
    id_of(&created, "createUser");
    let eve = app
        .login("eve@demo.govskills.test", "a long enough password")
        .await;
    let (course, lessons) = published_course(&app, &trainer, "AI at work", 1).await;
    template(&app, &admin, &[&course], None).await;
    enroll(&app, &eve, &course).await;
    complete(&app, &eve, &lessons[0]).await;
    let code = mine(&app, &eve).await[0]["code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert_eq!(verify(&app, &code).await["holderName"], name);
    let (status, html) = page(&app, &code).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<b>Eve"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;Eve&lt;/b&gt;"),
        "{html}"
    );
}

#[tokio::test]
async fn renaming_the_holder_does_not_change_the_name_a_certificate_shows() {
    // Arrange: a certificate issued to the learner under their name at the time.
    let app = spawn_app().await;
    let (learner, admin, certificate) = certified(&app, None).await;
    let code = certificate["code"].as_str().expect("code");
    let jwt = certificate["credential"].as_str().expect("credential");
    let jwks: Jwks = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("a JWKS");
    let attested = credentials::verify(jwt, &jwks, Utc::now())
        .expect("the credential verifies")
        .credential["credentialSubject"]["identifier"][1]["identityHash"]
        .as_str()
        .expect("the credential names the holder (after the hashed email)")
        .to_owned();
    assert_eq!(verify(&app, code).await["holderName"], attested.as_str());
    let user_id = app.me(&learner).await["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    // Act: an administrator renames the holder.
    let renamed = app
        .gql(
            "mutation($id: ID!, $input: UpdateUserInput!) {
                updateUser(userId: $id, input: $input) { displayName } }",
            json!({ "id": user_id, "input": { "displayName": "Lena Renamed" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateUser"]["displayName"], "Lena Renamed",
        "{renamed}"
    );

    // Assert: both verification paths still show the name the credential attests.
    assert_eq!(verify(&app, code).await["holderName"], attested.as_str());
    let (status, html) = page(&app, code).await;
    assert_eq!(status, 200);
    assert!(html.contains(&attested), "{html}");
    assert!(!html.contains("Lena Renamed"), "{html}");
    assert_eq!(
        mine(&app, &learner).await[0]["credential"].as_str(),
        Some(jwt),
        "the stored credential is unchanged"
    );
}

#[tokio::test]
async fn verification_shows_nothing_personal_beyond_the_listed_fields() {
    let app = spawn_app().await;
    let (learner, _, certificate) = certified(&app, Some(12)).await;
    let code = certificate["code"].as_str().expect("code");
    let me = app.me(&learner).await;
    let user_id = me["id"].as_str().expect("id");
    let secrets = [
        LEARNER1,
        user_id,
        "Department of Citizen Services",
        "learner1",
    ];
    let response = app.gql(VERIFY, json!({ "code": code }), None).await;
    let verification = response["data"]["verifyCertificate"]
        .as_object()
        .expect("an object");
    let mut keys: Vec<&str> = verification.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "code",
            "expiresAt",
            "holderName",
            "issuedAt",
            "issuerName",
            "revokedAt",
            "status",
            "title"
        ]
    );
    let (_, html) = page(&app, code).await;
    let credential = app
        .client
        .get(app.url(&format!("/credentials/{code}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("a body");
    for body in [response.to_string(), html, credential] {
        for secret in secrets {
            assert!(!body.contains(secret), "{secret} leaked in {body}");
        }
    }
}

#[tokio::test]
async fn a_learner_can_neither_create_templates_nor_revoke() {
    let app = spawn_app().await;
    let (learner, _, certificate) = certified(&app, None).await;
    let id = certificate["id"].as_str().expect("id");
    let templates = app.count("certificate_templates").await;
    let refused = try_template(&app, &learner, template_input(&[], None)).await;
    assert_error(&refused, "FORBIDDEN", None);
    assert_eq!(app.count("certificate_templates").await, templates);
    let refused = app
        .gql(
            "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"mine\") { id } }",
            json!({ "id": id }),
            Some(&learner),
        )
        .await;
    assert_error(&refused, "FORBIDDEN", None);
    assert_eq!(
        verify(&app, certificate["code"].as_str().expect("code")).await["status"],
        "VALID"
    );
    let anonymous = app.gql("{ myCertificates { id } }", json!({}), None).await;
    assert_error(&anonymous, "UNAUTHENTICATED", None);
}

#[tokio::test]
async fn an_administrator_of_another_authority_cannot_revoke() {
    let app = spawn_app().await;
    let (_, platform, certificate) = certified(&app, None).await;
    let id = certificate["id"].as_str().expect("id");
    let other = app.create_authority(&platform, "City of Elsewhere").await;
    let foreign = app
        .person_with_role(&platform, &other, "admin@elsewhere.example", "ADMIN")
        .await;
    let refused = app
        .gql(
            "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"not ours\") { id } }",
            json!({ "id": id }),
            Some(&foreign),
        )
        .await;
    // As for the holder's account: another authority's administrator is FORBIDDEN.
    assert_error(&refused, "FORBIDDEN", None);
    assert_eq!(
        verify(&app, certificate["code"].as_str().expect("code")).await["status"],
        "VALID"
    );
    // Nor can they create a template for everyone, or for the ministry.
    let ministry = app.org_unit_id(&platform, MINISTRY).await;
    let mut input = template_input(&[], None);
    input["orgUnitId"] = json!(ministry);
    assert_error(
        &try_template(&app, &foreign, input).await,
        "FORBIDDEN",
        None,
    );
    assert_error(
        &try_template(&app, &foreign, template_input(&[], None)).await,
        "FORBIDDEN",
        None,
    );
}

#[tokio::test]
async fn template_input_errors_say_what_to_fix_and_write_nothing() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let (course, _) = published_course(&app, &trainer, "AI at work", 1).await;
    let valid = template_input(&[&course], Some(12));
    let with = |field: &str, value: Value| {
        let mut input = valid.clone();
        input[field] = value;
        input
    };
    let cases = [
        (with("title", json!("  ")), "title"),
        (with("issuerName", json!("")), "issuerName"),
        (with("description", json!("")), "description"),
        (with("validityMonths", json!(0)), "validityMonths"),
        (with("validityMonths", json!(121)), "validityMonths"),
        (with("courseIds", json!([])), "courseIds"),
        (
            with("courseIds", json!([Uuid::new_v4().to_string()])),
            "courseIds",
        ),
        (with("courseIds", json!(["not-an-id"])), "courseIds"),
        (
            with(
                "assessments",
                json!([{ "assessmentId": Uuid::new_v4().to_string(), "minPercent": 101.0 }]),
            ),
            "assessments",
        ),
        (
            with(
                "assessments",
                json!([{ "assessmentId": Uuid::new_v4().to_string(), "minPercent": 80.0 }]),
            ),
            "assessments",
        ),
        (
            with(
                "alignments",
                json!([{ "frameworkCode": "DIGCOMP", "competenceCode": "9.9" }]),
            ),
            "alignments",
        ),
        (
            with(
                "alignments",
                json!([{ "frameworkCode": "NOPE", "competenceCode": "1.1" }]),
            ),
            "alignments",
        ),
        (
            with(
                "alignments",
                json!([
                    { "frameworkCode": "DIGCOMP", "competenceCode": "1.1" },
                    { "frameworkCode": "DIGCOMP", "competenceCode": "1.1" }
                ]),
            ),
            "alignments",
        ),
    ];
    for (input, field) in cases {
        let response = try_template(&app, &admin, input).await;
        assert_error(&response, "BAD_USER_INPUT", Some(field));
        assert!(
            !crate::helpers::error_message(&response).is_empty(),
            "{response}"
        );
    }
    assert_eq!(app.count("certificate_templates").await, 0);
    assert_eq!(app.count("certificate_template_courses").await, 0);
    // And the valid input works, audited.
    template(&app, &admin, &[&course], Some(12)).await;
    let (action, _, _) = app.latest_audit_event().await;
    assert_eq!(action, "certificate_template.created");
}

#[tokio::test]
async fn verification_is_rate_limited_per_client_address() {
    let app = spawn_app_with(|config| config.verify_rate_limit = 3).await;
    let code = "0000-0000-0000-0000-0000-0000";
    for _ in 0..2 {
        assert_eq!(verify(&app, code).await["status"], "NOT_FOUND");
    }
    let (status, _) = page(&app, code).await;
    assert_eq!(status, 404);
    let refused = app.gql(VERIFY, json!({ "code": code }), None).await;
    assert_error(&refused, "RATE_LIMITED", None);
    let (status, html) = page(&app, code).await;
    assert_eq!(status, 429);
    assert!(html.contains("Too many checks"));
    let download = app
        .client
        .get(app.url(&format!("/credentials/{code}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(download.status(), 429);
}

#[tokio::test]
async fn finishing_the_demo_course_earns_the_demo_certificate_which_verifies_offline() {
    let app = spawn_app().await;
    for _ in 0..2 {
        govskills_domain::demo::seed_course(&app.db)
            .await
            .expect("the demo course loads");
        govskills_domain::demo::seed_certificate(&app.db)
            .await
            .expect("the demo certificate loads");
    }
    assert_eq!(app.count("certificate_templates").await, 1);
    let learner = app.login(LEARNER1, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let found = app
        .ok(
            "{ courses(filter: { search: \"Checking information\" }) { edges { node { id
                modules { lessons { id kind assessmentId } } } } } }",
            json!({}),
            &learner,
        )
        .await;
    let node = &found["courses"]["edges"][0]["node"];
    let course = node["id"].as_str().expect("the demo course");
    enroll(&app, &learner, course).await;
    let lessons: Vec<&Value> = node["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .flat_map(|module| module["lessons"].as_array().expect("lessons"))
        .collect();
    let mut final_test = None;
    for lesson in &lessons {
        assert!(mine(&app, &learner).await.is_empty());
        if lesson["kind"] == "ASSESSMENT" {
            final_test = lesson["assessmentId"].as_str();
        } else {
            complete(&app, &learner, lesson["id"].as_str().expect("id")).await;
        }
    }
    // Every text lesson is done, but the certificate also needs the final test passed.
    assert!(mine(&app, &learner).await.is_empty());
    let trainer = app.login(TRAINER, PASSWORD).await;
    let key = assessments::answer_key(&app, &trainer).await;
    let attempt = assessments::start(&app, &learner, final_test.expect("a final test")).await;
    let attempt_id = assessments::attempt_id(&attempt);
    for question in attempt["questions"].as_array().expect("questions") {
        let question = question["id"].as_str().expect("id");
        assessments::save(&app, &learner, &attempt_id, question, &key[question]).await;
    }
    let result = assessments::submit(&app, &learner, &attempt_id).await;
    assert_eq!(result["data"]["submitAttempt"]["passed"], true, "{result}");
    let certificate = mine(&app, &learner).await.remove(0);
    assert_eq!(
        certificate["template"]["title"],
        govskills_domain::demo::CERTIFICATE_TITLE
    );
    let code = certificate["code"].as_str().expect("code");

    // A stranger scans the QR code: the page is valid and carries the code of its own URL.
    let (status, html) = page(&app, code).await;
    assert_eq!(status, 200);
    assert!(html.contains("Valid"));
    assert!(html.contains("data:image/svg+xml;base64,"), "{html}");
    assert!(html.contains(certificate["verificationUrl"].as_str().expect("url")));

    // The downloaded credential verifies with `govskills verify-credential`, its status list
    // included; an altered copy does not.
    let file = std::env::temp_dir().join(format!("govskills-credential-{}.jwt", Uuid::new_v4()));
    std::fs::write(&file, certificate["credential"].as_str().expect("jwt")).expect("written");
    let verify_file = |file: std::path::PathBuf, offline: bool| govskills_api::cli::Cli {
        config: govskills_api::config::Config::defaults(),
        command: Some(govskills_api::cli::Command::VerifyCredential {
            file,
            jwks: app.url("/.well-known/jwks.json"),
            offline,
        }),
    };
    govskills_api::cli::run(verify_file(file.clone(), false))
        .await
        .expect("the credential verifies, status included");
    let altered_file = file.with_extension("altered.jwt");
    let mut altered = std::fs::read(&file).expect("read");
    let at = altered.len() / 2;
    altered[at] = if altered[at] == b'x' { b'y' } else { b'x' };
    std::fs::write(&altered_file, altered).expect("written");
    let refused = govskills_api::cli::run(verify_file(altered_file.clone(), false)).await;
    assert!(refused.is_err(), "an altered credential must not verify");
    let _ = std::fs::remove_file(altered_file);

    // Revoking it flips both paths.
    app.ok(
        "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"Test\") { id } }",
        json!({ "id": certificate["id"] }),
        &admin,
    )
    .await;
    // ... and the status list: the verifier refuses it when it can reach the list, and says
    // it could not check when told to stay offline.
    let refused = govskills_api::cli::run(verify_file(file.clone(), false))
        .await
        .expect_err("a revoked credential must not pass");
    assert!(format!("{refused:#}").contains("REVOKED"), "{refused:#}");
    govskills_api::cli::run(verify_file(file.clone(), true))
        .await
        .expect("offline, only the signature and dates are checked");
    let _ = std::fs::remove_file(file);
    assert_eq!(verify(&app, code).await["status"], "REVOKED");
    assert!(page(&app, code).await.1.contains("Revoked"));
}

#[tokio::test]
async fn passing_an_assessment_issues_the_certificate_only_at_its_minimum_percent() {
    let app = spawn_app().await;
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let (s1, t1, m2, e1) = assessments::question_bank(&app, &trainer).await;
    let questions = [&s1, &t1, &m2, &e1];
    let assessment = assessments::create_assessment(
        &app,
        &trainer,
        json!({ "questionIds": questions.map(|q| q.id.clone()) }),
    )
    .await;
    app.ok(
        "mutation($a: ID!) { createCertificateTemplate(input: { title: \"Information literacy\",
            description: \"Checked\", issuerName: \"Ministry\",
            assessments: [{ assessmentId: $a, minPercent: 100 }] }) { id } }",
        json!({ "a": assessment }),
        &admin,
    )
    .await;

    // 75 %: passes the assessment's pass mark (50 %), not the template's 100 %.
    let attempt = assessments::start(&app, &learner, &assessment).await;
    let id = assessments::attempt_id(&attempt);
    for (i, question) in questions.iter().enumerate() {
        let answer = if i == 0 {
            &question.wrong[..1]
        } else {
            &question.correct[..]
        };
        assessments::save(&app, &learner, &id, &question.id, answer).await;
    }
    let result = assessments::submit(&app, &learner, &id).await;
    assert_eq!(result["data"]["submitAttempt"]["passed"], true, "{result}");
    assert!(mine(&app, &learner).await.is_empty());
    assert_eq!(app.count("certificates").await, 0);

    // 100 %: the submit issues it, in the same transaction as the score.
    let attempt = assessments::start(&app, &learner, &assessment).await;
    let id = assessments::attempt_id(&attempt);
    for question in questions {
        assessments::save(&app, &learner, &id, &question.id, &question.correct).await;
    }
    assessments::submit(&app, &learner, &id).await;
    let held = mine(&app, &learner).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["template"]["title"], "Information literacy");
    assert_eq!(held[0]["status"], "VALID");
}

//! A compromised issuer key: after a rotation, a platform administrator (the mutation) or the
//! operator (`govskills revoke-key`) revokes every still-valid certificate the old key signed,
//! and each holder who still meets the criteria gets a new certificate signed by the new key.
//!
//! The command line is tested by running `cli::run` with the `RevokeKey` command, as `main`
//! does after clap has parsed the arguments (the parsing itself is clap's, and `--help` shows
//! it); it calls the same domain function as the mutation.

use govskills_domain::{
    credentials::{self, Algorithm, IssuerKey, Jwks},
    entities::{audit_event, certificate},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::{
    assessments,
    helpers::{ADMIN, LEARNER1, PASSWORD, TRAINER, TestApp, assert_error, spawn_app_with},
    learning::{complete, enroll},
};

const REVOKE: &str = "mutation($kid: String!, $reason: String!) {
    revokeCertificatesSignedBy(kid: $kid, reason: $reason) { kid currentKid revoked reissued } }";
const MINE: &str = "{ myCertificates { id code status sequence issuedAt expiresAt revokedAt
    revocationReason credential template { title } } }";
const VERIFY: &str = "query($code: String!) { verifyCertificate(code: $code) { status } }";
const REASON: &str = "Key leaked in an incident (INC-2026-17)";

fn new_key() -> (String, SecretString) {
    let key = IssuerKey::generate(Algorithm::EdDsa).expect("a key");
    (
        key.kid().to_owned(),
        SecretString::from(key.to_pem().to_owned()),
    )
}

async fn mine(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(MINE, json!({}), token).await["myCertificates"]
        .as_array()
        .expect("a list")
        .clone()
}

async fn status(app: &TestApp, code: &str) -> Value {
    let response = app.gql(VERIFY, json!({ "code": code }), None).await;
    response["data"]["verifyCertificate"]["status"].clone()
}

/// The `kid` that signed a credential, checked against the key set the server publishes.
async fn signed_by(app: &TestApp, credential: &Value) -> String {
    let jwks: Jwks = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("a key set");
    credentials::verify(
        credential.as_str().expect("a credential"),
        &jwks,
        chrono::Utc::now(),
    )
    .expect("the credential verifies with the published keys")
    .kid
}

/// The demo's AI certificate earned by `LEARNER1` (the demo course's lessons completed and its
/// final test passed), signed by the app's key; returns the learner's token and the
/// certificate.
async fn earn_demo_certificate(app: &TestApp) -> (String, Value) {
    govskills_domain::demo::seed_course(&app.db)
        .await
        .expect("the demo course loads");
    govskills_domain::demo::seed_certificate(&app.db)
        .await
        .expect("the demo certificate loads");
    let learner = app.login(LEARNER1, PASSWORD).await;
    let found = app
        .ok(
            "{ courses(filter: { search: \"Checking information\" }) { edges { node { id
                modules { lessons { id kind assessmentId } } } } } }",
            json!({}),
            &learner,
        )
        .await;
    let node = &found["courses"]["edges"][0]["node"];
    enroll(app, &learner, node["id"].as_str().expect("the demo course")).await;
    let mut final_test = None;
    for lesson in node["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .flat_map(|module| module["lessons"].as_array().expect("lessons"))
    {
        if lesson["kind"] == "ASSESSMENT" {
            final_test = lesson["assessmentId"].as_str();
        } else {
            complete(app, &learner, lesson["id"].as_str().expect("id")).await;
        }
    }
    let trainer = app.login(TRAINER, PASSWORD).await;
    let key = assessments::answer_key(app, &trainer).await;
    let attempt = assessments::start(app, &learner, final_test.expect("a final test")).await;
    let attempt_id = assessments::attempt_id(&attempt);
    for question in attempt["questions"].as_array().expect("questions") {
        let question = question["id"].as_str().expect("id");
        assessments::save(app, &learner, &attempt_id, question, &key[question]).await;
    }
    let result = assessments::submit(app, &learner, &attempt_id).await;
    assert_eq!(result["data"]["submitAttempt"]["passed"], true, "{result}");
    let certificates = mine(app, &learner).await;
    assert_eq!(certificates.len(), 1, "{certificates:?}");
    (learner, certificates[0].clone())
}

/// An app signing with K1 where `LEARNER1` holds the demo certificate, and a replica of it
/// rolled out with K2: (K1's kid, K2's kid, the K1 app, the K2 replica, the certificate).
async fn rotated() -> (String, String, TestApp, TestApp, Value) {
    let (old_kid, old_key) = new_key();
    let (new_kid, new_key) = new_key();
    let old = spawn_app_with(|config| config.issuer_key = Some(old_key)).await;
    let (_, certificate) = earn_demo_certificate(&old).await;
    assert_eq!(signed_by(&old, &certificate["credential"]).await, old_kid);
    let new = old
        .spawn_replica(|config| config.issuer_key = Some(new_key))
        .await;
    (old_kid, new_kid, old, new, certificate)
}

async fn audit_events(app: &TestApp, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_asc(audit_event::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("audit events")
}

/// What a refused request must leave as it was: rows of every table it could write.
async fn snapshot(app: &TestApp) -> [i64; 3] {
    [
        app.count("certificates").await,
        app.count("certificates WHERE revoked_at IS NOT NULL").await,
        app.count("audit_events").await,
    ]
}

#[tokio::test]
async fn revoking_a_compromised_keys_certificates_reissues_them_under_the_new_key_audited() {
    let (old_kid, new_kid, _old, app, certificate) = rotated().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let code = certificate["code"].as_str().expect("code");
    assert_eq!(status(&app, code).await, "VALID");

    let done = app
        .ok(REVOKE, json!({ "kid": old_kid, "reason": REASON }), &admin)
        .await;
    assert_eq!(
        done["revokeCertificatesSignedBy"],
        json!({ "kid": old_kid, "currentKid": new_kid, "revoked": 1, "reissued": 1 })
    );

    // The old certificate is revoked on the public path, with the reason.
    assert_eq!(status(&app, code).await, "REVOKED");
    let certificates = mine(&app, &learner).await;
    assert_eq!(certificates.len(), 2, "{certificates:?}");
    let old = certificates
        .iter()
        .find(|c| c["id"] == certificate["id"])
        .expect("the old certificate");
    assert_eq!(old["status"], "REVOKED");
    assert_eq!(old["revocationReason"], REASON);
    // The new one is valid, signed by the new key (the old key stays published, so the
    // revoked credential still verifies as a signature while its status says revoked), and
    // keeps the old one's expiry: a new signature is not a new validity period.
    let new = certificates
        .iter()
        .find(|c| c["id"] != certificate["id"])
        .expect("the new certificate");
    assert_eq!(new["status"], "VALID");
    assert_eq!(new["sequence"], 2);
    assert_eq!(new["template"], certificate["template"]);
    assert_eq!(new["expiresAt"], certificate["expiresAt"]);
    assert_ne!(new["code"], certificate["code"]);
    assert_eq!(signed_by(&app, &new["credential"]).await, new_kid);
    assert_eq!(signed_by(&app, &old["credential"]).await, old_kid);
    assert_eq!(
        status(&app, new["code"].as_str().expect("code")).await,
        "VALID"
    );

    // Audited: one event for the operation, by the administrator, with the counts; and the
    // revocation and the issuance as a single revocation and an issuance record them.
    let admin_id = app.me(&admin).await["id"].as_str().expect("id").to_owned();
    let operation = audit_events(&app, "issuer_key.certificates_revoked").await;
    assert_eq!(operation.len(), 1);
    assert_eq!(
        operation[0].actor_id.map(|id| id.to_string()),
        Some(admin_id.clone())
    );
    assert_eq!(operation[0].target_type, "issuer_key");
    assert_eq!(operation[0].details["kid"], old_kid);
    assert_eq!(operation[0].details["currentKid"], new_kid);
    assert_eq!(operation[0].details["reason"], REASON);
    assert_eq!(operation[0].details["revoked"], 1);
    assert_eq!(operation[0].details["reissued"], 1);
    let revoked = audit_events(&app, "certificate.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(
        revoked[0].target_id.map(|id| id.to_string()).as_deref(),
        certificate["id"].as_str()
    );
    assert_eq!(revoked[0].actor_id.map(|id| id.to_string()), Some(admin_id));
    assert_eq!(revoked[0].details["kind"], "keyCompromise");
    let issued = audit_events(&app, "certificate.issued").await;
    assert_eq!(issued.len(), 2, "the first issuance and the re-issue");
    assert_eq!(
        issued[1].target_id.map(|id| id.to_string()).as_deref(),
        new["id"].as_str()
    );
    assert_eq!(issued[1].details["reissue"], true);

    // Running it again finds nothing left to do (the re-issued certificate is the new key's).
    let again = app
        .ok(REVOKE, json!({ "kid": old_kid, "reason": REASON }), &admin)
        .await;
    assert_eq!(again["revokeCertificatesSignedBy"]["revoked"], 0);
    assert_eq!(again["revokeCertificatesSignedBy"]["reissued"], 0);
    assert_eq!(mine(&app, &learner).await.len(), 2);
}

#[tokio::test]
async fn only_a_platform_administrator_may_revoke_a_keys_certificates_and_bad_requests_change_nothing()
 {
    let (old_kid, new_kid, _old, app, certificate) = rotated().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    // An administrator of the ministry itself (covering the holder), but not of the platform.
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let authority_admin = app
        .create_user(&admin, "admin@ministry.example", &ministry)
        .await;
    app.ok(
        "mutation($id: ID!, $unit: ID!) { setUserRoles(userId: $id, grants: [{ role: ADMIN, orgUnitId: $unit }]) { id } }",
        json!({ "id": authority_admin, "unit": ministry }),
        &admin,
    )
    .await;
    let authority_admin = app
        .login("admin@ministry.example", "a long enough password")
        .await;
    let before = snapshot(&app).await;

    let valid = json!({ "kid": old_kid, "reason": REASON });
    for (token, code) in [
        (Some(learner.as_str()), "FORBIDDEN"),
        (Some(authority_admin.as_str()), "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ] {
        assert_error(&app.gql(REVOKE, valid.clone(), token).await, code, None);
    }
    // Refused before anything is read: an unknown key gives the same answer to them.
    assert_error(
        &app.gql(
            REVOKE,
            json!({ "kid": "no-such-key", "reason": REASON }),
            Some(&learner),
        )
        .await,
        "FORBIDDEN",
        None,
    );

    let unknown = app
        .gql(
            REVOKE,
            json!({ "kid": "no-such-key", "reason": REASON }),
            Some(&admin),
        )
        .await;
    assert_error(&unknown, "NOT_FOUND", None);
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("kid")),
        "{unknown}"
    );
    assert_error(
        &app.gql(
            REVOKE,
            json!({ "kid": new_kid, "reason": REASON }),
            Some(&admin),
        )
        .await,
        "CONFLICT",
        Some("kid"),
    );
    for reason in ["", "   "] {
        assert_error(
            &app.gql(
                REVOKE,
                json!({ "kid": old_kid, "reason": reason }),
                Some(&admin),
            )
            .await,
            "BAD_USER_INPUT",
            Some("reason"),
        );
    }

    assert_eq!(snapshot(&app).await, before);
    assert_eq!(
        status(&app, certificate["code"].as_str().expect("code")).await,
        "VALID"
    );
}

#[tokio::test]
async fn a_server_still_signing_with_the_compromised_key_refuses_to_revoke_it() {
    let (old_kid, _, old, _new, certificate) = rotated().await;
    // The process that still runs with K1 (the rollout has not reached it): K1 is the key it
    // would re-issue with, so it refuses, and tells the operator to rotate first.
    let admin = old.login(ADMIN, PASSWORD).await;
    let before = snapshot(&old).await;
    let refused = old
        .gql(
            REVOKE,
            json!({ "kid": old_kid, "reason": REASON }),
            Some(&admin),
        )
        .await;
    assert_error(&refused, "CONFLICT", Some("kid"));
    assert_eq!(snapshot(&old).await, before);
    assert_eq!(
        status(&old, certificate["code"].as_str().expect("code")).await,
        "VALID"
    );
}

#[tokio::test]
async fn the_revoke_key_command_revokes_and_reissues_as_the_operator() {
    let (old_kid, new_kid, _old, app, certificate) = rotated().await;

    // What `govskills revoke-key KID --reason TEXT` runs, with the replica's (new) key.
    govskills_api::cli::run(govskills_api::cli::Cli {
        config: app.config().clone(),
        command: Some(govskills_api::cli::Command::RevokeKey {
            kid: old_kid.clone(),
            reason: REASON.to_owned(),
        }),
    })
    .await
    .expect("the command succeeds");

    let learner = app.login(LEARNER1, PASSWORD).await;
    assert_eq!(
        status(&app, certificate["code"].as_str().expect("code")).await,
        "REVOKED"
    );
    let certificates = mine(&app, &learner).await;
    let new = certificates
        .iter()
        .find(|c| c["status"] == "VALID")
        .expect("a re-issued certificate");
    assert_eq!(signed_by(&app, &new["credential"]).await, new_kid);
    // By the operator: no account is named, on the certificate or in the audit.
    let old_id: uuid::Uuid = certificate["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a certificate id");
    let old = certificate::Entity::find_by_id(old_id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the old certificate");
    assert!(old.revoked_at.is_some());
    assert_eq!(old.revoked_by, None);
    assert_eq!(old.signing_kid, old_kid);
    let operation = audit_events(&app, "issuer_key.certificates_revoked").await;
    assert_eq!(operation.len(), 1);
    assert_eq!(operation[0].actor_id, None);
    assert_eq!(operation[0].details["revoked"], 1);
    assert_eq!(operation[0].details["reissued"], 1);

    // And refused like the mutation: the current key, and an empty reason.
    for (kid, reason) in [(new_kid.as_str(), REASON), (old_kid.as_str(), " ")] {
        let refused = govskills_api::cli::run(govskills_api::cli::Cli {
            config: app.config().clone(),
            command: Some(govskills_api::cli::Command::RevokeKey {
                kid: kid.to_owned(),
                reason: reason.to_owned(),
            }),
        })
        .await;
        assert!(refused.is_err(), "{kid} {reason:?} must be refused");
    }
}

//! Open Badges 3.0 as written (section 8.2, the JWT proof format), read the way a strict
//! verifier or wallet reads it: from the token, and from the URLs the token names (the issuer
//! profile, the key, the status list, the competences). Plus the authority's issuer profile and
//! a holder's wallet DID, with their bad input and wrong users.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use govskills_domain::credentials::{self, Jwks, status};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{
    certificates::{certified, mine},
    helpers::{ADMIN, LEARNER1, PASSWORD, TestApp, assert_error, spawn_app},
};

/// The properties section 8.2.4.1 requires at the top of the JWT payload (the credential's own
/// required properties) and the registered claims mapped from them.
const REQUIRED: [&str; 6] = [
    "@context",
    "id",
    "type",
    "issuer",
    "validFrom",
    "credentialSubject",
];

fn part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

async fn get(app: &TestApp, url: &str) -> reqwest::Response {
    let path = url
        .strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{url} is not served by the app at {}", app.address));
    app.client.get(app.url(path)).send().await.expect("answers")
}

async fn get_json(app: &TestApp, url: &str) -> Value {
    let response = get(app, url).await;
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.expect("JSON")
}

/// Whether the status list `url` says position `index` is revoked, after checking its
/// signature against the issuer's published keys.
async fn revoked_in_list(app: &TestApp, url: &str, index: u32, issuer: &Value) -> bool {
    let jwks: Jwks = get(app, &format!("{}/jwks.json", issuer.as_str().expect("id")))
        .await
        .json()
        .await
        .expect("a JWKS");
    let token = get(app, url).await.text().await.expect("a body");
    let list = credentials::verify_status_list(&token, &jwks, issuer, Utc::now())
        .expect("the status list verifies");
    status::bit_is_set(&list, index).expect("the entry exists")
}

#[tokio::test]
async fn a_credential_is_open_badges_3_as_written_and_every_url_in_it_resolves() {
    let app = spawn_app().await;
    let (learner, admin, certificate) = certified(&app, None).await;
    let token = certificate["credential"].as_str().expect("credential");

    // The header: RS256 by default, and a kid a verifier can dereference to the key.
    let header = part(token, 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    let kid = header["kid"].as_str().expect("a kid");

    // The payload is the credential itself, with the registered claims mapped from it.
    let payload = part(token, 1);
    for property in REQUIRED {
        assert!(
            payload.get(property).is_some(),
            "{property} missing: {payload}"
        );
    }
    assert!(payload.get("vc").is_none(), "no VC 1.1 wrapper");
    assert_eq!(
        payload["@context"],
        json!([credentials::VC_CONTEXT, credentials::OB_CONTEXT])
    );
    assert_eq!(
        payload["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(payload["iss"], payload["issuer"]["id"]);
    assert_eq!(payload["jti"], payload["id"]);
    assert_eq!(payload["id"], certificate["credentialUrl"]);
    let subject = &payload["credentialSubject"];
    assert!(
        subject["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("urn:uuid:"))
    );
    assert_eq!(payload["sub"], subject["id"]);
    assert!(payload["nbf"].is_i64() && payload["iat"].is_i64());
    assert_eq!(subject["type"], json!(["AchievementSubject"]));
    let achievement = &subject["achievement"];
    for property in ["id", "type", "criteria", "description", "name"] {
        assert!(
            achievement.get(property).is_some(),
            "achievement.{property}"
        );
    }
    assert_eq!(
        payload["credentialSchema"][0]["type"],
        "1EdTechJsonSchemaValidator2019"
    );

    // The holder: a name, and their email only as a salted hash they can recompute.
    let email = app.me(&learner).await["email"]
        .as_str()
        .expect("an email")
        .to_owned();
    assert!(!token.contains(&email));
    let identifiers = subject["identifier"].as_array().expect("identifiers");
    let hashed = &identifiers[0];
    assert_eq!(hashed["type"], "IdentityObject");
    assert_eq!(hashed["identityType"], "emailAddress");
    assert_eq!(hashed["hashed"], true);
    let salt = hashed["salt"].as_str().expect("a salt");
    let digest = Sha256::digest(format!("{email}{salt}").as_bytes());
    let expected: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hashed["identityHash"], format!("sha256${expected}"));
    assert_eq!(identifiers[1]["identityType"], "name");

    // The issuer is the authority, at its own profile URL, which serves its profile.
    let issuer = &payload["issuer"];
    let issuer_id = issuer["id"].as_str().expect("an issuer id");
    assert!(
        issuer_id.starts_with(&format!("{}/issuers/", app.address)),
        "{issuer_id}"
    );
    assert_eq!(issuer["type"], json!(["Profile"]));
    assert_eq!(issuer["name"], "Ministry of Digital Affairs (demo)");
    let profile = get_json(&app, issuer_id).await;
    assert_eq!(profile["id"], issuer_id);
    assert_eq!(profile["name"], issuer["name"]);

    // The kid is a URL under the profile serving the very key that verifies the token.
    assert!(kid.starts_with(&format!("{issuer_id}/keys/")), "{kid}");
    let jwk: jsonwebtoken::jwk::Jwk = get(&app, kid).await.json().await.expect("a JWK");
    assert_eq!(jwk.common.key_id.as_deref(), Some(kid));
    credentials::verify(token, &Jwks { keys: vec![jwk] }, Utc::now())
        .expect("the key at the kid URL verifies the credential");
    // The platform's key set names it by that URL too, for verifiers that match kids exactly.
    let published: Value = get_json(&app, &app.url("/.well-known/jwks.json")).await;
    assert!(
        published["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|key| key["kid"] == kid),
        "{published}"
    );

    // Each competence has its own URL, which describes it.
    let alignments = achievement["alignment"].as_array().expect("alignments");
    assert!(!alignments.is_empty());
    let mut urls: Vec<&str> = alignments
        .iter()
        .map(|a| a["targetUrl"].as_str().expect("a url"))
        .collect();
    for alignment in alignments {
        assert_eq!(alignment["targetType"], "ceasn:Competency");
        let described = get_json(&app, alignment["targetUrl"].as_str().expect("url")).await;
        assert_eq!(described["name"], alignment["targetName"]);
        assert_eq!(described["code"], alignment["targetCode"]);
    }
    urls.dedup();
    assert_eq!(urls.len(), alignments.len(), "one URL per competence");

    // Revocation: the status list entry is clear, then set once the certificate is revoked;
    // the list is cacheable and revalidates by ETag.
    let entry = &payload["credentialStatus"];
    assert_eq!(entry["type"], "BitstringStatusListEntry");
    assert_eq!(entry["statusPurpose"], "revocation");
    let list_url = entry["statusListCredential"].as_str().expect("a list URL");
    let index: u32 = entry["statusListIndex"]
        .as_str()
        .expect("an index")
        .parse()
        .expect("a number");
    assert!(!revoked_in_list(&app, list_url, index, &issuer["id"]).await);
    let first = get(&app, list_url).await;
    assert_eq!(
        first.headers()["content-type"].to_str().ok(),
        Some("application/vc+jwt")
    );
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .is_ok_and(|value| value.contains("max-age"))
    );
    let etag = first.headers()["etag"]
        .to_str()
        .expect("an ETag")
        .to_owned();
    let path = list_url.strip_prefix(&app.address).expect("ours");
    let unchanged = app
        .client
        .get(app.url(path))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answers");
    assert_eq!(unchanged.status(), 304);

    app.ok(
        "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"Test\") { id } }",
        json!({ "id": certificate["id"] }),
        &admin,
    )
    .await;
    assert!(revoked_in_list(&app, list_url, index, &issuer["id"]).await);
    let changed = app
        .client
        .get(app.url(path))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answers");
    assert_eq!(changed.status(), 200, "a revocation changes the ETag");

    // The credential download says it was revoked.
    let code = certificate["code"].as_str().expect("code");
    let download = app
        .client
        .get(app.url(&format!("/credentials/{code}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["x-credential-status"].to_str().ok(),
        Some("revoked")
    );
}

const PROFILE: &str = "query($unit: ID!) { issuerProfile(orgUnitId: $unit) {
    orgUnitId urlId name address streetAddress postalCode locality country email website
    chosenAlgorithm algorithm } }";
const UPDATE: &str = "mutation($unit: ID!, $input: IssuerProfileInput!) {
    updateIssuerProfile(orgUnitId: $unit, input: $input) { name address email website algorithm } }";

fn profile_input() -> Value {
    json!({
        "name": "Federal Ministry of Digital Affairs",
        "streetAddress": "Platz der Republik 1",
        "postalCode": "11011",
        "locality": "Berlin",
        "country": "de",
        "email": "certificates@ministry.example",
        "website": "https://ministry.example",
        "algorithm": "EDDSA",
    })
}

#[tokio::test]
async fn an_authority_issues_under_its_own_profile_and_algorithm() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let before =
        app.ok(PROFILE, json!({ "unit": ministry }), &admin).await["issuerProfile"].clone();
    assert_eq!(before["name"], "Ministry of Digital Affairs (demo)");
    assert_eq!(before["chosenAlgorithm"], Value::Null);
    assert_eq!(before["algorithm"], "RS256");

    let updated = app
        .ok(
            UPDATE,
            json!({ "unit": ministry, "input": profile_input() }),
            &admin,
        )
        .await;
    assert_eq!(
        updated["updateIssuerProfile"],
        json!({
            "name": "Federal Ministry of Digital Affairs",
            "address": "Platz der Republik 1, 11011 Berlin, DE",
            "email": "certificates@ministry.example",
            "website": "https://ministry.example/",
            "algorithm": "EDDSA",
        })
    );
    let (action, _, _) = app.latest_audit_event().await;
    assert_eq!(action, "issuer_profile.updated");

    // New credentials are signed with EdDSA and name the authority as it presents itself.
    let (_, _, certificate) = certified(&app, None).await;
    let token = certificate["credential"].as_str().expect("credential");
    assert_eq!(part(token, 0)["alg"], "EdDSA");
    let issuer = &part(token, 1)["issuer"];
    assert_eq!(issuer["name"], "Federal Ministry of Digital Affairs");
    assert_eq!(issuer["email"], "certificates@ministry.example");
    assert_eq!(issuer["address"]["addressLocality"], "Berlin");
    assert_eq!(issuer["address"]["addressCountryCode"], "DE");
    let jwks: Jwks = get(
        &app,
        &format!("{}/jwks.json", issuer["id"].as_str().expect("id")),
    )
    .await
    .json()
    .await
    .expect("a JWKS");
    let verified = credentials::verify(token, &jwks, Utc::now()).expect("verifies");
    assert_eq!(verified.algorithm, credentials::Algorithm::EdDsa);
}

#[tokio::test]
async fn bad_profiles_and_wrong_users_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let other = app.create_authority(&admin, "Other authority").await;
    let other_admin = app
        .person_with_role(&admin, &other, "admin@other.example", "ADMIN")
        .await;
    // A unit below an authority is not an issuer.
    let department = app
        .ok(
            "mutation($parent: ID!) { createOrgUnit(input: { name: \"Dept\", parentId: $parent }) { id } }",
            json!({ "parent": ministry }),
            &admin,
        )
        .await["createOrgUnit"]["id"]
        .clone();
    let before = app.ok(PROFILE, json!({ "unit": ministry }), &admin).await;
    let audit_before = app.count("audit_events").await;

    let with = |change: Value| {
        let mut input = profile_input();
        for (key, value) in change.as_object().expect("an object") {
            input[key] = value.clone();
        }
        json!({ "unit": ministry, "input": input })
    };
    for (change, field) in [
        (json!({ "name": "  " }), "name"),
        (json!({ "country": "Germany" }), "country"),
        (json!({ "country": "D1" }), "country"),
        (json!({ "email": "not an address" }), "email"),
        (json!({ "website": "http://ministry.example" }), "url"),
        (json!({ "website": "ministry.example" }), "url"),
        (json!({ "postalCode": "1".repeat(21) }), "postalCode"),
        (
            json!({ "streetAddress": "line one\nline two" }),
            "streetAddress",
        ),
    ] {
        let refused = app.gql(UPDATE, with(change.clone()), Some(&admin)).await;
        assert_error(&refused, "BAD_USER_INPUT", Some(field));
        assert!(refused["data"].is_null() || refused["data"]["updateIssuerProfile"].is_null());
    }
    let refused = app
        .gql(
            UPDATE,
            json!({ "unit": department, "input": profile_input() }),
            Some(&admin),
        )
        .await;
    assert_error(&refused, "BAD_USER_INPUT", Some("orgUnitId"));
    let missing = app
        .gql(PROFILE, json!({ "unit": department }), Some(&admin))
        .await;
    assert_error(&missing, "NOT_FOUND", None);

    // Wrong users: a learner, and the administrator of another authority.
    for token in [&learner, &other_admin] {
        let refused = app.gql(UPDATE, with(json!({})), Some(token)).await;
        assert_error(&refused, "FORBIDDEN", None);
    }
    let anonymous = app.gql(UPDATE, with(json!({})), None).await;
    assert_error(&anonymous, "UNAUTHENTICATED", None);

    assert_eq!(
        app.ok(PROFILE, json!({ "unit": ministry }), &admin).await,
        before
    );
    assert_eq!(app.count("audit_events").await, audit_before);
    assert_eq!(app.count("issuer_profiles").await, 0);
}

#[tokio::test]
async fn unknown_issuers_lists_keys_and_competences_are_not_found() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let unknown = uuid::Uuid::new_v4();
    for path in [
        "/issuers/not-a-uuid".to_owned(),
        format!("/issuers/{unknown}"),
        format!("/issuers/{unknown}/jwks.json"),
        format!("/issuers/{unknown}/status/0"),
        format!("/issuers/{ministry}/status/-1"),
        format!("/issuers/{ministry}/status/x"),
        format!("/issuers/{ministry}/keys/not-a-key"),
        format!("/competences/{unknown}"),
        "/competences/not-a-uuid".to_owned(),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{path}");
    }
    // An authority that has issued nothing still publishes an empty, signed list.
    let list = app
        .client
        .get(app.url(&format!("/issuers/{ministry}/status/0")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("answers");
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.expect("JSON");
    assert_eq!(
        list["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(list["credentialSubject"]["statusPurpose"], "revocation");
}

const SET_DID: &str = "mutation($did: String) { setWalletDid(did: $did) { walletDid } }";

#[tokio::test]
async fn a_linked_wallet_did_becomes_the_subject_of_new_credentials() {
    let app = spawn_app().await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let audit_before = app.count("audit_events").await;
    for bad in [
        "did:",
        "did:KEY:abc",
        "mailto:someone@example.org",
        "did:key:a b",
    ] {
        let refused = app
            .gql(SET_DID, json!({ "did": bad }), Some(&learner))
            .await;
        assert_error(&refused, "BAD_USER_INPUT", Some("did"));
    }
    let too_long = format!("did:key:{}", "z".repeat(500));
    let refused = app
        .gql(SET_DID, json!({ "did": too_long }), Some(&learner))
        .await;
    assert_error(&refused, "BAD_USER_INPUT", Some("did"));
    let anonymous = app
        .gql(SET_DID, json!({ "did": "did:key:z6Mk" }), None)
        .await;
    assert_error(&anonymous, "UNAUTHENTICATED", None);
    assert_eq!(app.count("audit_events").await, audit_before);
    let wallet = "{ me { walletDid } }";
    assert_eq!(
        app.ok(wallet, json!({}), &learner).await["me"]["walletDid"],
        Value::Null
    );

    let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let linked = app.ok(SET_DID, json!({ "did": did }), &learner).await;
    assert_eq!(linked["setWalletDid"]["walletDid"], did);
    let (_, _, certificate) = certified(&app, None).await;
    let payload = part(certificate["credential"].as_str().expect("jwt"), 1);
    assert_eq!(payload["sub"], did);
    assert_eq!(payload["credentialSubject"]["id"], did);

    let unlinked = app.ok(SET_DID, json!({ "did": null }), &learner).await;
    assert_eq!(unlinked["setWalletDid"]["walletDid"], Value::Null);
    assert_eq!(mine(&app, &learner).await.len(), 1);
}

//! Open Badges 3.0 `OpenBadgeCredential`s (W3C Verifiable Credentials Data Model 2.0) in the
//! JWT proof format of the Open Badges 3.0 specification (section 8.2), and their offline
//! verification.
//!
//! The JWT payload is the credential itself (`@context`, `id`, `type`, `issuer`, `validFrom`,
//! `credentialSubject`, ...) plus the registered claims mapped from it:
//!
//! | claim | value |
//! | --- | --- |
//! | `iss` | `issuer.id`: the issuing authority's profile URL |
//! | `jti` | `id`: the credential's `/credentials/{code}` URL |
//! | `sub` | `credentialSubject.id`: the holder's wallet DID, or a `urn:uuid:` of this credential |
//! | `nbf`, `iat` | `validFrom` in seconds since the epoch |
//! | `exp` | `validUntil` in seconds, when the certificate expires |
//!
//! The header is `{"alg": "RS256" or "EdDSA", "kid": <key URL under the issuer profile>,
//! "typ": "JWT"}`. The holder is named by display name and by a salted SHA-256 hash of their
//! email address (`IdentityObject`s), which they can prove without the credential exposing it.
//! `credentialStatus` points at the authority's revocation status list (see [`super::status`]).

use chrono::{DateTime, SecondsFormat, TimeZone as _, Utc};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::keys::{self, Algorithm, IssuerKey, Jwks, JwsError};

pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// 1EdTech's JSON Schema of an `AchievementCredential`, which the credentials name in
/// `credentialSchema` so a verifier can validate their shape.
pub const OB_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

/// One competence the achievement aligns to.
#[derive(Clone, Debug)]
pub struct Alignment {
    /// The competence's name, e.g. "Protecting personal data and privacy".
    pub name: String,
    /// Its code in the framework, e.g. "4.2".
    pub code: String,
    /// The framework's name, e.g. "DigComp 2.2: The Digital Competence Framework for Citizens".
    pub framework: String,
    /// Where this competence is described: a URL of its own.
    pub url: String,
}

/// An AI system the achievement was earned for (its template is tied to the system in the
/// issuing authority's AI register), as the system was at issuance. It goes into the
/// achievement's `alignment` beside the competences, with the extension type `ext:AISystem`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemAlignment {
    /// The system's id in the register.
    pub id: uuid::Uuid,
    /// Its name, e.g. "Benefit-fraud risk scoring".
    pub name: String,
    /// Its version (1, and one more per recorded change).
    pub version: i32,
    /// What it is used for.
    pub purpose: String,
    /// Where the authority publishes it (its algorithm register entry), if it does.
    pub public_register_url: Option<String>,
}

/// Who a credential is about.
#[derive(Clone, Debug)]
pub struct Subject {
    /// `credentialSubject.id` and `sub`: the holder's wallet DID, or a `urn:uuid:`.
    pub id: String,
    /// The holder's display name.
    pub name: String,
    /// The holder's email address, which the credential carries only hashed with `salt`.
    pub email: String,
    pub salt: String,
}

impl Subject {
    /// `sha256$` and the hex SHA-256 of the email address (trimmed, lower case) followed by the
    /// salt: Open Badges 3.0's `IdentityHash`.
    pub fn email_hash(&self) -> String {
        email_hash(&self.email, &self.salt)
    }
}

/// The `IdentityHash` of an email address with `salt`, as a holder recomputes it to prove the
/// credential is theirs.
pub fn email_hash(email: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{}{salt}", email.trim().to_lowercase()).as_bytes());
    format!("sha256${}", data_encoding::HEXLOWER.encode(&digest))
}

/// What goes into one credential.
#[derive(Clone, Debug)]
pub struct Badge {
    /// The credential's id (a URL).
    pub id: String,
    /// The issuing authority's Open Badges `Profile` (see `IssuerProfile::json`); its `id` is
    /// the profile URL.
    pub issuer: Value,
    pub subject: Subject,
    /// The achievement (the certificate template): id (a URI), name, description, criteria.
    pub achievement_id: String,
    pub title: String,
    pub description: String,
    pub criteria: String,
    pub alignments: Vec<Alignment>,
    /// The AI systems it was earned for, after the competences in `alignment`.
    pub systems: Vec<SystemAlignment>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The `credentialStatus` entry (see `StatusEntry::json`), if the credential has one.
    pub status: Option<Value>,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Badge {
    /// The `OpenBadgeCredential` JSON.
    pub fn credential(&self) -> Value {
        let alignment: Vec<Value> = self
            .alignments
            .iter()
            .map(|a| {
                json!({
                    "type": ["Alignment"],
                    "targetName": a.name,
                    "targetCode": a.code,
                    "targetFramework": a.framework,
                    "targetUrl": a.url,
                    "targetType": "ceasn:Competency",
                })
            })
            .chain(self.systems.iter().map(|system| {
                json!({
                    "type": ["Alignment"],
                    "targetName": format!("{} (version {})", system.name, system.version),
                    "targetType": "ext:AISystem",
                    "targetCode": system.version.to_string(),
                    "targetUrl": system
                        .public_register_url
                        .clone()
                        .unwrap_or_else(|| format!("urn:uuid:{}", system.id)),
                    "targetDescription": system.purpose,
                })
            }))
            .collect();
        let mut credential = json!({
            "@context": [VC_CONTEXT, OB_CONTEXT],
            "id": self.id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": self.issuer,
            "validFrom": timestamp(self.valid_from),
            "name": self.title,
            "credentialSubject": {
                "id": self.subject.id,
                "type": ["AchievementSubject"],
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "identityType": "emailAddress",
                        "hashed": true,
                        "identityHash": self.subject.email_hash(),
                        "salt": self.subject.salt,
                    },
                    {
                        "type": "IdentityObject",
                        "identityType": "name",
                        "hashed": false,
                        "identityHash": self.subject.name,
                    },
                ],
                "achievement": {
                    "id": self.achievement_id,
                    "type": ["Achievement"],
                    "achievementType": "Certificate",
                    "name": self.title,
                    "description": self.description,
                    "criteria": { "narrative": self.criteria },
                    "alignment": alignment,
                },
            },
            "credentialSchema": [{
                "id": OB_SCHEMA,
                "type": "1EdTechJsonSchemaValidator2019",
            }],
        });
        if let Some(until) = self.valid_until {
            credential["validUntil"] = json!(timestamp(until));
        }
        if let Some(status) = &self.status {
            credential["credentialStatus"] = status.clone();
        }
        credential
    }

    /// The signed credential: its JSON with the registered claims, signed with `key`, whose
    /// URL under the issuer's profile is `key_url`.
    pub fn sign(&self, key: &IssuerKey, key_url: &str) -> String {
        let mut claims = self.credential();
        claims["iss"] = self.issuer["id"].clone();
        claims["jti"] = json!(self.id);
        claims["sub"] = json!(self.subject.id);
        claims["nbf"] = json!(self.valid_from.timestamp());
        claims["iat"] = json!(self.valid_from.timestamp());
        if let Some(until) = self.valid_until {
            claims["exp"] = json!(until.timestamp());
        }
        key.sign("JWT", key_url, &claims)
    }
}

/// The JWT registered claims a credential's payload adds to the credential.
const REGISTERED_CLAIMS: [&str; 6] = ["iss", "jti", "sub", "nbf", "iat", "exp"];

/// The credential a payload carries: the payload without the registered claims, or the `vc`
/// claim of a credential issued before GovSkills followed section 8.2 to the letter.
fn credential_in(mut claims: Value) -> Option<Value> {
    if let Some(vc) = claims.get("vc").filter(|vc| vc.is_object()) {
        return Some(vc.clone());
    }
    let object = claims.as_object_mut()?;
    for claim in REGISTERED_CLAIMS {
        object.remove(claim);
    }
    Some(claims)
}

/// Why a credential did not verify.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(transparent)]
    Jws(#[from] JwsError),
    #[error("the token carries no Open Badges credential: {0}")]
    NotACredential(&'static str),
    #[error("the credential is not valid before {0}")]
    NotYetValid(DateTime<Utc>),
    #[error("the credential expired at {0}")]
    Expired(DateTime<Utc>),
}

/// A credential whose signature and dates checked out.
#[derive(Debug)]
pub struct VerifiedCredential {
    /// The thumbprint of the key that signed it, and its algorithm.
    pub kid: String,
    pub algorithm: Algorithm,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The `OpenBadgeCredential` JSON.
    pub credential: Value,
}

impl VerifiedCredential {
    /// The status list URL and position `credentialStatus` names, if it names one.
    pub fn status_entry(&self) -> Option<(String, u32)> {
        let status = &self.credential["credentialStatus"];
        Some((
            status["statusListCredential"].as_str()?.to_owned(),
            status["statusListIndex"].as_str()?.parse().ok()?,
        ))
    }
}

/// How far a verifier's clock may lag the issuer's for a fresh credential.
const CLOCK_SKEW_SECS: i64 = 60;

fn seconds(claims: &Value, name: &'static str) -> Result<Option<DateTime<Utc>>, CredentialError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
            .map(Some)
            .ok_or(CredentialError::NotACredential(
                "nbf and exp must be seconds since the epoch",
            )),
    }
}

/// The credential JSON a VC-JWT carries, read without verifying it: for showing a credential
/// this service stored itself. `None` if the token does not decode.
pub fn credential_of(token: &str) -> Option<Value> {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    credential_in(serde_json::from_slice::<Value>(&payload).ok()?)
}

/// Verifies a VC-JWT offline against a key set: the signature (by `kid`, RS256 or EdDSA), that
/// it holds an `OpenBadgeCredential` whose issuer, id and subject match `iss`, `jti` and `sub`,
/// and that `now` lies between `nbf` and `exp`. Revocation is the status list's business (see
/// [`VerifiedCredential::status_entry`]).
pub fn verify(
    token: &str,
    jwks: &Jwks,
    now: DateTime<Utc>,
) -> Result<VerifiedCredential, CredentialError> {
    let verified = keys::verify(token, jwks)?;
    let claims = verified.claims;
    let legacy = claims.get("vc").is_some();
    let credential = credential_in(claims.clone()).ok_or(CredentialError::NotACredential(
        "the payload is not a JSON object",
    ))?;
    let types = credential["type"].as_array();
    if !types.is_some_and(|types| {
        types
            .iter()
            .any(|t| t == "OpenBadgeCredential" || t == "AchievementCredential")
    }) {
        return Err(CredentialError::NotACredential(
            "it is not an OpenBadgeCredential",
        ));
    }
    let issuer_id = credential["issuer"]
        .get("id")
        .or_else(|| credential.get("issuer").filter(|i| i.is_string()));
    if claims.get("iss") != issuer_id {
        return Err(CredentialError::NotACredential(
            "iss does not match the credential's issuer",
        ));
    }
    if claims.get("jti") != credential.get("id") {
        return Err(CredentialError::NotACredential(
            "jti does not match the credential's id",
        ));
    }
    if !legacy
        && (claims.get("sub").is_none()
            || claims.get("sub") != credential["credentialSubject"].get("id"))
    {
        return Err(CredentialError::NotACredential(
            "sub does not match the credential subject's id",
        ));
    }
    let valid_from =
        seconds(&claims, "nbf")?.ok_or(CredentialError::NotACredential("there is no nbf claim"))?;
    let valid_until = seconds(&claims, "exp")?;
    if now + chrono::Duration::seconds(CLOCK_SKEW_SECS) < valid_from {
        return Err(CredentialError::NotYetValid(valid_from));
    }
    if let Some(until) = valid_until
        && now >= until
    {
        return Err(CredentialError::Expired(until));
    }
    Ok(VerifiedCredential {
        kid: verified.kid,
        algorithm: verified.algorithm,
        valid_from,
        valid_until,
        credential,
    })
}

#[cfg(test)]
mod tests {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    use chrono::Duration;

    use super::*;

    const REQUIRED: [&str; 6] = [
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "credentialSubject",
    ];

    fn badge(now: DateTime<Utc>, valid_until: Option<DateTime<Utc>>) -> Badge {
        Badge {
            id: "https://skills.example/credentials/7K2M-Q9XD".into(),
            issuer: json!({
                "id": "https://skills.example/issuers/0192e0f0-0000-7000-8000-000000000009",
                "type": ["Profile"],
                "name": "Ministry of Digital Affairs",
            }),
            subject: Subject {
                id: "did:example:lena".into(),
                name: "Lena Learner".into(),
                email: "Lena@Ministry.example".into(),
                salt: "pepper".into(),
            },
            achievement_id: "urn:uuid:0192e0f0-0000-7000-8000-000000000001".into(),
            title: "AI Certificate for Public Servants".into(),
            description: "Uses AI systems at work responsibly.".into(),
            criteria: "Complete the course \"AI at work\".".into(),
            alignments: vec![Alignment {
                name: "Protecting personal data and privacy".into(),
                code: "4.2".into(),
                framework: "DigComp 2.2".into(),
                url: "https://skills.example/competences/x".into(),
            }],
            systems: Vec::new(),
            valid_from: now,
            valid_until,
            status: None,
        }
    }

    fn setup(alg: Algorithm) -> (IssuerKey, Jwks, DateTime<Utc>) {
        let key = IssuerKey::generate(alg).expect("random");
        let jwks = Jwks {
            keys: vec![key.jwk()],
        };
        (key, jwks, Utc::now())
    }

    fn payload(token: &str) -> Value {
        let part = token.split('.').nth(1).expect("three parts");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
    }

    #[test]
    fn the_payload_is_the_credential_with_its_registered_claims() {
        for alg in Algorithm::ALL {
            let (key, jwks, now) = setup(alg);
            let token = badge(now, Some(now + Duration::days(365))).sign(&key, key.kid());
            let claims = payload(&token);
            for property in REQUIRED {
                assert!(
                    claims.get(property).is_some(),
                    "{property} missing at the top"
                );
            }
            assert_eq!(claims["sub"], "did:example:lena");
            assert_eq!(claims["sub"], claims["credentialSubject"]["id"]);
            assert_eq!(claims["iss"], claims["issuer"]["id"]);
            assert_eq!(claims["jti"], claims["id"]);
            assert!(claims.get("vc").is_none());

            let verified = verify(&token, &jwks, now).expect("verifies");
            assert_eq!(verified.kid, key.kid());
            assert_eq!(verified.algorithm, alg);
            let vc = verified.credential;
            assert_eq!(vc["@context"], json!([VC_CONTEXT, OB_CONTEXT]));
            assert!(vc.get("iss").is_none(), "the credential has no JWT claims");
            assert_eq!(
                vc["credentialSubject"]["achievement"]["alignment"][0]["targetType"],
                "ceasn:Competency"
            );
            assert!(vc["validUntil"].is_string());
        }
    }

    #[test]
    fn the_ai_systems_it_was_earned_for_follow_the_competences_in_the_alignment() {
        let (key, jwks, now) = setup(Algorithm::EdDsa);
        let mut badge = badge(now, None);
        let scoring = uuid::Uuid::from_u128(7);
        badge.systems = vec![
            SystemAlignment {
                id: scoring,
                name: "Risk scoring".into(),
                version: 3,
                purpose: "Ranks benefit claims for review.".into(),
                public_register_url: None,
            },
            SystemAlignment {
                id: uuid::Uuid::from_u128(8),
                name: "Chatbot".into(),
                version: 1,
                purpose: "Answers citizens' questions.".into(),
                public_register_url: Some("https://register.example/chatbot".into()),
            },
        ];
        let token = badge.sign(&key, key.kid());
        let alignment = &verify(&token, &jwks, now).expect("verifies").credential["credentialSubject"]
            ["achievement"]["alignment"];
        assert_eq!(alignment[0]["targetType"], "ceasn:Competency");
        assert_eq!(
            alignment[1],
            json!({
                "type": ["Alignment"],
                "targetName": "Risk scoring (version 3)",
                "targetType": "ext:AISystem",
                "targetCode": "3",
                "targetUrl": format!("urn:uuid:{scoring}"),
                "targetDescription": "Ranks benefit claims for review.",
            })
        );
        assert_eq!(
            alignment[2]["targetUrl"],
            "https://register.example/chatbot"
        );
        assert_eq!(alignment.as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn the_email_is_carried_only_as_a_salted_hash_the_holder_can_recompute() {
        let (key, _, now) = setup(Algorithm::EdDsa);
        let token = badge(now, None).sign(&key, key.kid());
        assert!(!token.contains("Ministry.example"));
        let identifier = &payload(&token)["credentialSubject"]["identifier"][0];
        assert_eq!(identifier["identityType"], "emailAddress");
        assert_eq!(identifier["hashed"], true);
        assert_eq!(
            identifier["identityHash"],
            email_hash("lena@ministry.example", "pepper")
        );
        // printf 'lena@ministry.examplepepper' | sha256sum
        assert_eq!(
            email_hash(" Lena@Ministry.example ", "pepper"),
            "sha256$735a782f90deacde50c3ef528072a4316229d8428ff86839cb242a3b14ba08b2"
        );
    }

    #[test]
    fn changing_one_byte_of_the_payload_breaks_the_signature() {
        let (key, jwks, now) = setup(Algorithm::Rs256);
        let token = badge(now, None).sign(&key, key.kid());
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url");
        let at = payload
            .windows(5)
            .position(|w| w == b"Lena ")
            .expect("the holder's name is in the payload");
        payload[at] = b'M';
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(&payload),
            parts[2]
        );
        assert_eq!(
            verify(&forged, &jwks, now).err(),
            Some(CredentialError::Jws(JwsError::Signature))
        );
    }

    #[test]
    fn an_unknown_key_id_fails() {
        let (key, _, now) = setup(Algorithm::EdDsa);
        let token = badge(now, None).sign(&key, key.kid());
        let other = Jwks {
            keys: vec![IssuerKey::generate(Algorithm::EdDsa).expect("random").jwk()],
        };
        assert!(matches!(
            verify(&token, &other, now).err(),
            Some(CredentialError::Jws(JwsError::UnknownKey { .. }))
        ));
    }

    #[test]
    fn an_expired_credential_fails_and_a_future_one_too() {
        let (key, jwks, now) = setup(Algorithm::EdDsa);
        let until = now + Duration::days(30);
        let token = badge(now, Some(until)).sign(&key, key.kid());
        assert!(verify(&token, &jwks, now + Duration::days(29)).is_ok());
        assert_eq!(
            verify(&token, &jwks, now + Duration::days(31)).err(),
            Some(CredentialError::Expired(
                Utc.timestamp_opt(until.timestamp(), 0)
                    .single()
                    .expect("a time")
            ))
        );
        assert!(matches!(
            verify(&token, &jwks, now - Duration::days(1)).err(),
            Some(CredentialError::NotYetValid(_))
        ));
    }

    #[test]
    fn a_signed_token_that_is_no_credential_fails() {
        let (key, jwks, now) = setup(Algorithm::EdDsa);
        let token = key.sign(
            "JWT",
            key.kid(),
            &json!({ "iss": "x", "nbf": now.timestamp() }),
        );
        assert!(matches!(
            verify(&token, &jwks, now).err(),
            Some(CredentialError::NotACredential(_))
        ));
        let mut claims = payload(&badge(now, None).sign(&key, key.kid()));
        claims["sub"] = json!("did:example:someone-else");
        let token = key.sign("JWT", key.kid(), &claims);
        assert!(matches!(
            verify(&token, &jwks, now).err(),
            Some(CredentialError::NotACredential(_))
        ));
    }
}

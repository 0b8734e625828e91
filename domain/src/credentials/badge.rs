//! Open Badges 3.0 `OpenBadgeCredential`s (W3C Verifiable Credentials Data Model 2.0) in VC-JWT
//! form, and their offline verification.
//!
//! The form, chosen once: a compact JWS (see [`super::jws`]) with header
//! `{"alg": "EdDSA", "kid": <key id>, "typ": "JWT"}` whose claims are the JWT registered claims
//! mapped from the credential, as the Open Badges 3.0 specification's VC-JWT proof format
//! describes, plus the credential itself in `vc`:
//!
//! | claim | value |
//! | --- | --- |
//! | `iss` | `vc.issuer.id` (the service's public base URL) |
//! | `jti` | `vc.id` (the credential's `/credentials/{code}` URL) |
//! | `nbf`, `iat` | `vc.validFrom` in seconds since the epoch |
//! | `exp` | `vc.validUntil` in seconds, when the certificate expires |
//! | `vc` | the `OpenBadgeCredential` JSON |
//!
//! There is no `sub`: the subject has no identifier outside GovSkills, and the credential names
//! its holder only by display name (an `IdentityObject` of type `name`).

use chrono::{DateTime, SecondsFormat, TimeZone as _, Utc};
use serde_json::{Value, json};

use super::jws::{self, IssuerKey, Jwks, JwsError};

pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// One competence the achievement aligns to.
#[derive(Clone, Debug)]
pub struct Alignment {
    /// The competence's name, e.g. "Protecting personal data and privacy".
    pub name: String,
    /// Its code in the framework, e.g. "4.2".
    pub code: String,
    /// The framework's name, e.g. "DigComp 2.2: The Digital Competence Framework for Citizens".
    pub framework: String,
    /// Where the framework (or the competence) is described.
    pub url: String,
}

/// What goes into one credential.
#[derive(Clone, Debug)]
pub struct Badge {
    /// The credential's id (a URL).
    pub id: String,
    /// The issuer's id (a URL) and name.
    pub issuer_id: String,
    pub issuer_name: String,
    /// The holder's display name.
    pub holder_name: String,
    /// The achievement (the certificate template): id (a URI), name, description, criteria.
    pub achievement_id: String,
    pub title: String,
    pub description: String,
    pub criteria: String,
    pub alignments: Vec<Alignment>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
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
                    "targetType": "CFItem",
                })
            })
            .collect();
        let mut credential = json!({
            "@context": [VC_CONTEXT, OB_CONTEXT],
            "id": self.id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {
                "id": self.issuer_id,
                "type": ["Profile"],
                "name": self.issuer_name,
            },
            "validFrom": timestamp(self.valid_from),
            "name": self.title,
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": [{
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": false,
                    "identityHash": self.holder_name,
                }],
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
        });
        if let Some(until) = self.valid_until {
            credential["validUntil"] = json!(timestamp(until));
        }
        credential
    }

    /// The VC-JWT: the credential signed with `key`.
    pub fn sign(&self, key: &IssuerKey) -> String {
        let mut claims = json!({
            "iss": self.issuer_id,
            "jti": self.id,
            "nbf": self.valid_from.timestamp(),
            "iat": self.valid_from.timestamp(),
            "vc": self.credential(),
        });
        if let Some(until) = self.valid_until {
            claims["exp"] = json!(until.timestamp());
        }
        key.sign("JWT", &claims)
    }
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
    /// The key that signed it.
    pub kid: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The `OpenBadgeCredential` JSON.
    pub credential: Value,
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

/// The credential JSON (the `vc` claim) a VC-JWT carries, read without verifying it: for showing a
/// credential this service stored itself. `None` if the token does not decode.
pub fn credential_of(token: &str) -> Option<Value> {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    serde_json::from_slice::<Value>(&payload)
        .ok()?
        .get("vc")
        .cloned()
}

/// Verifies a VC-JWT offline against a key set: the signature (by `kid`, EdDSA only), that it
/// holds an `OpenBadgeCredential` whose issuer and id match `iss` and `jti`, and that `now` lies
/// between `nbf` and `exp`. It cannot know about revocation: that is what the issuer's
/// verification page is for.
pub fn verify(
    token: &str,
    jwks: &Jwks,
    now: DateTime<Utc>,
) -> Result<VerifiedCredential, CredentialError> {
    let verified = jws::verify(token, jwks)?;
    let claims = verified.claims;
    let credential = claims
        .get("vc")
        .filter(|vc| vc.is_object())
        .cloned()
        .ok_or(CredentialError::NotACredential("there is no vc claim"))?;
    let types = credential["type"].as_array();
    if !types.is_some_and(|types| types.iter().any(|t| t == "OpenBadgeCredential")) {
        return Err(CredentialError::NotACredential(
            "vc is not an OpenBadgeCredential",
        ));
    }
    if claims.get("iss") != credential["issuer"].get("id") {
        return Err(CredentialError::NotACredential(
            "iss does not match the credential's issuer",
        ));
    }
    if claims.get("jti") != credential.get("id") {
        return Err(CredentialError::NotACredential(
            "jti does not match the credential's id",
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

    fn badge(now: DateTime<Utc>, valid_until: Option<DateTime<Utc>>) -> Badge {
        Badge {
            id: "https://skills.example/credentials/7K2M-Q9XD".into(),
            issuer_id: "https://skills.example".into(),
            issuer_name: "Ministry of Digital Affairs".into(),
            holder_name: "Lena Learner".into(),
            achievement_id: "urn:uuid:0192e0f0-0000-7000-8000-000000000001".into(),
            title: "AI Certificate for Public Servants".into(),
            description: "Uses AI systems at work responsibly.".into(),
            criteria: "Complete the course \"AI at work\".".into(),
            alignments: vec![Alignment {
                name: "Protecting personal data and privacy".into(),
                code: "4.2".into(),
                framework: "DigComp 2.2".into(),
                url: "https://skills.example/digcomp".into(),
            }],
            valid_from: now,
            valid_until,
        }
    }

    fn setup() -> (IssuerKey, Jwks, DateTime<Utc>) {
        let key = IssuerKey::generate().expect("random");
        let jwks = Jwks {
            keys: vec![key.jwk()],
        };
        (key, jwks, Utc::now())
    }

    #[test]
    fn a_credential_verifies_with_the_right_key() {
        let (key, jwks, now) = setup();
        let token = badge(now, Some(now + Duration::days(365))).sign(&key);
        let verified = verify(&token, &jwks, now).expect("verifies");
        assert_eq!(verified.kid, key.kid());
        let vc = verified.credential;
        assert_eq!(vc["@context"], json!([VC_CONTEXT, OB_CONTEXT]));
        assert_eq!(
            vc["type"],
            json!(["VerifiableCredential", "OpenBadgeCredential"])
        );
        assert_eq!(vc["issuer"]["type"], json!(["Profile"]));
        assert_eq!(
            vc["credentialSubject"]["achievement"]["alignment"][0]["targetCode"],
            "4.2"
        );
        assert!(vc["validUntil"].is_string());
    }

    #[test]
    fn changing_one_byte_of_the_payload_breaks_the_signature() {
        let (key, jwks, now) = setup();
        let token = badge(now, None).sign(&key);
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
        let (key, _, now) = setup();
        let token = badge(now, None).sign(&key);
        let other = Jwks {
            keys: vec![IssuerKey::generate().expect("random").jwk()],
        };
        assert_eq!(
            verify(&token, &other, now).err(),
            Some(CredentialError::Jws(JwsError::UnknownKey(key.kid().into())))
        );
    }

    #[test]
    fn an_expired_credential_fails_and_a_future_one_too() {
        let (key, jwks, now) = setup();
        let until = now + Duration::days(30);
        let token = badge(now, Some(until)).sign(&key);
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
        let (key, jwks, now) = setup();
        let token = key.sign("JWT", &json!({ "iss": "x", "nbf": now.timestamp() }));
        assert!(matches!(
            verify(&token, &jwks, now).err(),
            Some(CredentialError::NotACredential(_))
        ));
    }
}

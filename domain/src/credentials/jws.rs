//! Ed25519 issuer keys, their JWKs, and compact JWS (RFC 7515) signing and verification with
//! `alg: EdDSA` (RFC 8037).
//!
//! Compact JWS is small enough to write here against `ed25519-dalek` directly: three base64url
//! parts, and a signature over the first two. That keeps the crypto to one well-reviewed crate
//! and the verification rules in view: the algorithm is fixed to EdDSA (a token cannot choose
//! another), the key is looked up by `kid` in the JWKS given, and signatures are checked with
//! `verify_strict` (no malleable or small-order keys).

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    Signature, Signer as _, SigningKey, VerifyingKey,
    pkcs8::{
        DecodePrivateKey as _, EncodePrivateKey as _, KeypairBytes, spki::der::pem::LineEnding,
    },
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The one algorithm GovSkills signs and accepts.
pub const ALG: &str = "EdDSA";

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the issuer key is not an Ed25519 private key in PKCS#8 PEM form: {0}")]
    Pem(String),
    #[error("the OS random generator failed: {0}")]
    Random(String),
}

/// An issuer's Ed25519 signing key with its key id. `Debug` shows only the key id.
#[derive(Clone)]
pub struct IssuerKey {
    signing: SigningKey,
    kid: String,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuerKey(kid: {}, private key redacted)", self.kid)
    }
}

impl IssuerKey {
    fn new(signing: SigningKey) -> Self {
        let kid = thumbprint(&public_x(&signing.verifying_key()));
        Self { signing, kid }
    }

    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Result<Self, KeyError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|err| KeyError::Random(err.to_string()))?;
        Ok(Self::new(SigningKey::from_bytes(&secret)))
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`), as written by
    /// `openssl genpkey -algorithm ed25519`.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem.trim())
            .map(Self::new)
            .map_err(|err| KeyError::Pem(err.to_string()))
    }

    /// The key as PKCS#8 v1 PEM (without the optional public key, which OpenSSL 3.0 cannot
    /// read), as `openssl genpkey -algorithm ed25519` writes it.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        KeypairBytes {
            secret_key: self.signing.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|err| KeyError::Pem(err.to_string()))
    }

    /// The key id: the RFC 7638 thumbprint of the public key, so it follows from the key itself.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Jwk {
        Jwk::ed25519(public_x(&self.signing.verifying_key()))
    }

    /// Signs `claims` as a compact JWS with header `{alg: EdDSA, kid, typ}`.
    pub fn sign(&self, typ: &str, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({ "alg": ALG, "kid": self.kid, "typ": typ });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// The `x` member of an Ed25519 JWK: the public key in base64url.
fn public_x(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// RFC 7638 thumbprint of an Ed25519 public key: SHA-256 of the required members in
/// lexicographic order, without white space, in base64url.
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A public key as a JSON Web Key (RFC 8037 `OKP`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub crv: String,
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

impl Jwk {
    /// The JWK of an Ed25519 public key given as base64url `x`, with its thumbprint as `kid`.
    pub fn ed25519(x: String) -> Self {
        Self {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            kid: thumbprint(&x),
            x,
            alg: Some(ALG.into()),
            use_: Some("sig".into()),
        }
    }

    fn verifying_key(&self) -> Option<VerifyingKey> {
        if self.kty != "OKP" || self.crv != "Ed25519" {
            return None;
        }
        let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(&self.x).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }
}

/// A JSON Web Key Set: `{"keys": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Why a JWS did not verify.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS: {0}")]
    Malformed(&'static str),
    #[error("the algorithm {0:?} is not accepted; only EdDSA is")]
    Algorithm(String),
    #[error("no Ed25519 key with id {0:?} in the key set")]
    UnknownKey(String),
    #[error("the signature does not match: the credential was altered or signed with another key")]
    Signature,
}

/// A JWS whose signature verified, with its header and decoded claims.
#[derive(Debug)]
pub struct Verified {
    pub kid: String,
    pub claims: serde_json::Value,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// Checks a compact JWS against `jwks`: EdDSA only, the key named by `kid`, a strict Ed25519
/// signature over the first two parts. Says nothing about the claims' dates; callers check them.
pub fn verify(token: &str, jwks: &Jwks) -> Result<Verified, JwsError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed(
            "it must have three parts separated by dots",
        ));
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(JwsError::Malformed("the header is not base64url JSON"))?;
    if header.alg != ALG {
        return Err(JwsError::Algorithm(header.alg));
    }
    let kid = header
        .kid
        .ok_or(JwsError::Malformed("the header names no key (kid)"))?;
    let key = jwks
        .keys
        .iter()
        .filter(|jwk| jwk.kid == kid)
        .find_map(Jwk::verifying_key)
        .ok_or_else(|| JwsError::UnknownKey(kid.clone()))?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(JwsError::Malformed(
            "the signature is not 64 bytes of base64url",
        ))?;
    let input_len = header_and_payload_len(token);
    key.verify_strict(
        &token.as_bytes()[..input_len],
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| JwsError::Signature)?;
    let claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(JwsError::Malformed("the payload is not base64url JSON"))?;
    Ok(Verified { kid, claims })
}

/// Length of `header.payload`, the signing input.
fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_pkcs8_pem_and_keep_their_kid() {
        let key = IssuerKey::generate().expect("random");
        let pem = key.to_pkcs8_pem().expect("encodes");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        let again = IssuerKey::from_pkcs8_pem(&pem).expect("decodes");
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.jwk(), key.jwk());
        assert!(!format!("{key:?}").contains(&pem));
        assert!(IssuerKey::from_pkcs8_pem("not a key").is_err());
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn a_signed_token_verifies_with_its_key_only() {
        let key = IssuerKey::generate().expect("random");
        let other = IssuerKey::generate().expect("random");
        let claims = serde_json::json!({ "hello": "world" });
        let token = key.sign("JWT", &claims);
        let jwks = Jwks {
            keys: vec![other.jwk(), key.jwk()],
        };
        let verified = verify(&token, &jwks).expect("verifies");
        assert_eq!(verified.claims, claims);
        assert_eq!(verified.kid, key.kid());

        let wrong = Jwks {
            keys: vec![Jwk {
                kid: key.kid().to_owned(),
                ..other.jwk()
            }],
        };
        assert_eq!(verify(&token, &wrong).err(), Some(JwsError::Signature));
    }

    #[test]
    fn another_algorithm_is_refused_before_any_key_is_used() {
        let key = IssuerKey::generate().expect("random");
        let token = key.sign("JWT", &serde_json::json!({}));
        let (_, rest) = token.split_once('.').expect("parts");
        let none = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, key.kid()));
        let jwks = Jwks {
            keys: vec![key.jwk()],
        };
        assert_eq!(
            verify(&format!("{none}.{rest}"), &jwks).err(),
            Some(JwsError::Algorithm("none".into()))
        );
    }
}

//! Issuer keys (Ed25519 for `EdDSA`, RSA for `RS256`), their public JWKs, and compact JWS
//! signing and verification.
//!
//! The JOSE work (headers, base64url, signatures, JWK parameters) is `jsonwebtoken`'s; what is
//! ours is which keys exist, how they are named and which algorithms a token may use. A key is
//! named by its RFC 7638 thumbprint; a credential's JWS header names it by a URL that ends in
//! that thumbprint (`{issuer profile}/keys/{thumbprint}`), so a verifier can fetch it, and
//! [`verify`] accepts either form. Only `EdDSA` and `RS256` are accepted, and only with a key of
//! the matching type: a token cannot choose `none`, an HMAC algorithm, or another key's type.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{
        DecodePrivateKey as _, EncodePrivateKey as _, KeypairBytes, spki::der::pem::LineEnding,
    },
};
use jsonwebtoken::{
    DecodingKey, EncodingKey, Header, Validation,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
        OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
    },
};
use sha2::{Digest as _, Sha256};

/// A set of public keys, `{"keys": [...]}`.
pub type Jwks = JwkSet;

/// The signature algorithms GovSkills signs and accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037): small keys and signatures.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256: the algorithm Open Badges 3.0 requires every verifier
    /// to support.
    Rs256,
}

impl Algorithm {
    pub const ALL: [Self; 2] = [Self::Rs256, Self::EdDsa];

    /// The JOSE name, also what the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == name)
    }

    fn jose(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the issuer key is neither an Ed25519 nor an RSA (2048 bits or more) private key in PEM form: {0}"
    )]
    Pem(String),
    #[error("the OS random generator failed: {0}")]
    Random(String),
}

/// The modulus size of generated RSA keys.
const RSA_BITS: usize = 3072;
/// The smallest RSA modulus accepted from an operator.
const RSA_MIN_BITS: usize = 2048;

/// An issuer's signing key with its algorithm and key id. `Debug` shows only the key id.
#[derive(Clone)]
pub struct IssuerKey {
    algorithm: Algorithm,
    kid: String,
    pem: String,
    encoding: EncodingKey,
    /// The public key's JWK parameters (`x`, or `n` and `e`).
    public: AlgorithmParameters,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "IssuerKey({}, kid: {}, private key redacted)",
            self.algorithm, self.kid
        )
    }
}

impl IssuerKey {
    fn from_parts(
        algorithm: Algorithm,
        pem: String,
        encoding: EncodingKey,
        public: AlgorithmParameters,
    ) -> Self {
        Self {
            algorithm,
            kid: thumbprint(&public),
            pem,
            encoding,
            public,
        }
    }

    fn ed25519(signing: &SigningKey) -> Result<Self, KeyError> {
        // PKCS#8 v1 without the optional public key, as `openssl genpkey -algorithm ed25519`
        // writes it (and OpenSSL 3.0 can read).
        let pem = KeypairBytes {
            secret_key: signing.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|err| KeyError::Pem(err.to_string()))?
        .to_string();
        let encoding = EncodingKey::from_ed_pem(pem.as_bytes())
            .map_err(|err| KeyError::Pem(err.to_string()))?;
        let public = AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes()),
        });
        Ok(Self::from_parts(Algorithm::EdDsa, pem, encoding, public))
    }

    fn rsa(pem: String) -> Result<Self, KeyError> {
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|err| KeyError::Pem(err.to_string()))?;
        let jwk = Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::RS256)
            .map_err(|err| KeyError::Pem(err.to_string()))?;
        if let AlgorithmParameters::RSA(params) = &jwk.algorithm {
            let modulus = URL_SAFE_NO_PAD
                .decode(&params.n)
                .map_err(|err| KeyError::Pem(err.to_string()))?;
            let bits = modulus.len() * 8
                - modulus
                    .first()
                    .map_or(0, |byte| byte.leading_zeros() as usize);
            if bits < RSA_MIN_BITS {
                return Err(KeyError::Pem(format!(
                    "the RSA key has {bits} bits; at least {RSA_MIN_BITS} are needed"
                )));
            }
        }
        Ok(Self::from_parts(
            Algorithm::Rs256,
            pem,
            encoding,
            jwk.algorithm,
        ))
    }

    /// A fresh key of `algorithm` from the operating system's random generator (RSA keys have
    /// 3072 bits).
    pub fn generate(algorithm: Algorithm) -> Result<Self, KeyError> {
        match algorithm {
            Algorithm::EdDsa => {
                let mut secret = [0u8; 32];
                getrandom::fill(&mut secret).map_err(|err| KeyError::Random(err.to_string()))?;
                Self::ed25519(&SigningKey::from_bytes(&secret))
            }
            Algorithm::Rs256 => {
                let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
                let key = rsa::PrivateKey::new(&mut rng, RSA_BITS)
                    .map_err(|err| KeyError::Random(err.to_string()))?;
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|err| KeyError::Pem(err.to_string()))?
                    .to_string();
                Self::rsa(pem)
            }
        }
    }

    /// Reads one private key in PEM form: Ed25519 as PKCS#8 (`openssl genpkey -algorithm
    /// ed25519`), or RSA as PKCS#8 or PKCS#1 (`openssl genpkey -algorithm rsa -pkeyopt
    /// rsa_keygen_bits:3072`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let pem = pem.trim();
        if let Ok(signing) = SigningKey::from_pkcs8_pem(pem) {
            return Self::ed25519(&signing);
        }
        Self::rsa(format!("{pem}\n"))
    }

    /// Reads every PEM private key in `text` (one per algorithm at most), as
    /// `GOVSKILLS_ISSUER_KEY` may hold an Ed25519 and an RSA key one after the other.
    pub fn all_from_pem(text: &str) -> Result<Vec<Self>, KeyError> {
        let mut keys: Vec<Self> = Vec::new();
        let mut block: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if line.starts_with("-----BEGIN ") {
                block = Some(String::new());
            }
            let Some(lines) = block.as_mut() else {
                continue;
            };
            lines.push_str(line);
            lines.push('\n');
            if !line.starts_with("-----END ") {
                continue;
            }
            let key = Self::from_pem(&block.take().unwrap_or_default())?;
            if keys.iter().any(|k| k.algorithm == key.algorithm) {
                return Err(KeyError::Pem(format!(
                    "two {} keys were given; give at most one per algorithm",
                    key.algorithm
                )));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(KeyError::Pem(
                "no complete PEM private key (-----BEGIN ... -----END ...) found".into(),
            ));
        }
        Ok(keys)
    }

    /// The key as PEM (PKCS#8), as stored for a development key.
    pub fn to_pem(&self) -> &str {
        &self.pem
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key id: the RFC 7638 thumbprint of the public key, so it follows from the key itself.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK, named by its thumbprint.
    pub fn jwk(&self) -> Jwk {
        public_jwk(self.algorithm, self.public.clone(), self.kid.clone())
    }

    /// The public key's parameters as stored in `issuer_keys.public_key`: JSON of the JWK's
    /// key members.
    pub fn stored_public_key(&self) -> String {
        serde_json::to_string(&self.public).unwrap_or_default()
    }

    /// Signs `claims` as a compact JWS with header `{alg, kid: key_url, typ}`.
    pub fn sign(&self, typ: &str, key_url: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(self.algorithm.jose());
        header.typ = Some(typ.to_owned());
        header.kid = Some(key_url.to_owned());
        // Encoding a JSON value with a key this struct parsed cannot fail.
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap_or_default()
    }
}

fn public_jwk(algorithm: Algorithm, params: AlgorithmParameters, kid: String) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(match algorithm {
                Algorithm::EdDsa => KeyAlgorithm::EdDSA,
                Algorithm::Rs256 => KeyAlgorithm::RS256,
            }),
            key_id: Some(kid),
            ..CommonParameters::default()
        },
        algorithm: params,
    }
}

/// The JWK of a key recorded in `issuer_keys`: `public_key` is the JSON of its key members, or
/// (rows from before RSA keys existed) an Ed25519 key's bare `x`.
pub fn stored_jwk(algorithm: Algorithm, public_key: &str) -> Option<Jwk> {
    let params = match serde_json::from_str::<AlgorithmParameters>(public_key) {
        Ok(params) => params,
        Err(_) if algorithm == Algorithm::EdDsa => {
            AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: public_key.to_owned(),
            })
        }
        Err(_) => return None,
    };
    let kid = thumbprint(&params);
    Some(public_jwk(algorithm, params, kid))
}

/// RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, without white
/// space, in base64url.
pub fn thumbprint(params: &AlgorithmParameters) -> String {
    let canonical = match params {
        AlgorithmParameters::OctetKeyPair(p) => {
            format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, p.x)
        }
        AlgorithmParameters::RSA(p) => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, p.e, p.n),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The thumbprint a `kid` names: the `kid` itself, or the last path segment of a key URL.
pub fn kid_thumbprint(kid: &str) -> &str {
    kid.rsplit_once("/keys/").map_or(kid, |(_, tail)| tail)
}

/// Why a JWS did not verify.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS: {0}")]
    Malformed(String),
    #[error("the algorithm {0:?} is not accepted; only RS256 and EdDSA are")]
    Algorithm(String),
    #[error("no {alg} key with id {kid:?} in the key set")]
    UnknownKey { alg: String, kid: String },
    #[error("the signature does not match: the credential was altered or signed with another key")]
    Signature,
}

/// A JWS whose signature verified, with the key's thumbprint and the decoded claims.
#[derive(Debug)]
pub struct Verified {
    pub kid: String,
    pub algorithm: Algorithm,
    pub claims: serde_json::Value,
}

/// Checks a compact JWS against `jwks`: `RS256` or `EdDSA` only, with the key `kid` names (by
/// thumbprint or key URL) and of the algorithm's type. Says nothing about the claims' dates;
/// callers check them.
pub fn verify(token: &str, jwks: &Jwks) -> Result<Verified, JwsError> {
    let token = token.trim();
    let header =
        jsonwebtoken::decode_header(token).map_err(|err| JwsError::Malformed(err.to_string()))?;
    let algorithm = match header.alg {
        jsonwebtoken::Algorithm::EdDSA => Algorithm::EdDsa,
        jsonwebtoken::Algorithm::RS256 => Algorithm::Rs256,
        other => return Err(JwsError::Algorithm(format!("{other:?}"))),
    };
    let kid = header
        .kid
        .as_deref()
        .map(kid_thumbprint)
        .ok_or_else(|| JwsError::Malformed("the header names no key (kid)".into()))?;
    let unknown = || JwsError::UnknownKey {
        alg: algorithm.as_str().into(),
        kid: kid.to_owned(),
    };
    let jwk = jwks
        .keys
        .iter()
        .find(|jwk| {
            jwk.common.key_id.as_deref().map(kid_thumbprint) == Some(kid)
                && matches!(
                    (&jwk.algorithm, algorithm),
                    (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDsa)
                        | (AlgorithmParameters::RSA(_), Algorithm::Rs256)
                )
        })
        .ok_or_else(unknown)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| unknown())?;
    let mut validation = Validation::new(algorithm.jose());
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).map_err(
        |err| match err.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => JwsError::Signature,
            _ => JwsError::Malformed(err.to_string()),
        },
    )?;
    Ok(Verified {
        kid: kid.to_owned(),
        algorithm,
        claims: data.claims,
    })
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::{RSAKeyParameters, RSAKeyType};

    use super::*;

    fn set(keys: &[&IssuerKey]) -> Jwks {
        Jwks {
            keys: keys.iter().map(|k| k.jwk()).collect(),
        }
    }

    #[test]
    fn a_key_survives_a_pem_round_trip_and_debug_hides_it() {
        for alg in Algorithm::ALL {
            let key = IssuerKey::generate(alg).expect("random");
            let again = IssuerKey::from_pem(key.to_pem()).expect("decodes");
            assert_eq!(again.kid(), key.kid());
            assert_eq!(again.algorithm(), alg);
            assert_eq!(again.jwk(), key.jwk());
            assert!(!format!("{key:?}").contains(key.to_pem()));
        }
        assert!(IssuerKey::from_pem("not a key").is_err());
    }

    #[test]
    fn several_keys_are_read_from_one_text_one_per_algorithm() {
        let ed = IssuerKey::generate(Algorithm::EdDsa).expect("random");
        let rsa = IssuerKey::generate(Algorithm::Rs256).expect("random");
        let both = format!("{}\n{}", ed.to_pem(), rsa.to_pem());
        let keys = IssuerKey::all_from_pem(&both).expect("reads both");
        assert_eq!(
            keys.iter().map(IssuerKey::kid).collect::<Vec<_>>(),
            [ed.kid(), rsa.kid()]
        );
        let twice = format!("{}{}", ed.to_pem(), ed.to_pem());
        assert!(IssuerKey::all_from_pem(&twice).is_err());
        assert!(IssuerKey::all_from_pem("").is_err());
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
        let jwk = stored_jwk(
            Algorithm::EdDsa,
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        )
        .expect("a key");
        assert_eq!(
            jwk.common.key_id.as_deref(),
            Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        );
        // RFC 7638 section 3.1: the thumbprint of the example RSA key.
        let rsa = AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
            e: "AQAB".into(),
        });
        assert_eq!(
            thumbprint(&rsa),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn a_signed_token_verifies_with_its_key_only_and_by_key_url() {
        for alg in Algorithm::ALL {
            let key = IssuerKey::generate(alg).expect("random");
            let other = IssuerKey::generate(alg).expect("random");
            let claims = serde_json::json!({ "hello": "world" });
            let url = format!("https://skills.example/issuers/x/keys/{}", key.kid());
            let token = key.sign("JWT", &url, &claims);
            let verified = verify(&token, &set(&[&other, &key])).expect("verifies");
            assert_eq!(verified.claims, claims);
            assert_eq!(verified.kid, key.kid());
            assert_eq!(verified.algorithm, alg);

            let mut wrong = other.jwk();
            wrong.common.key_id = Some(key.kid().to_owned());
            assert_eq!(
                verify(&token, &Jwks { keys: vec![wrong] }).err(),
                Some(JwsError::Signature)
            );
        }
    }

    #[test]
    fn another_algorithm_or_a_key_of_another_type_is_refused() {
        let key = IssuerKey::generate(Algorithm::EdDsa).expect("random");
        let token = key.sign("JWT", key.kid(), &serde_json::json!({}));
        let (_, rest) = token.split_once('.').expect("parts");
        let jwks = set(&[&key]);
        for alg in ["none", "HS256"] {
            let header =
                URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","kid":"{}"}}"#, key.kid()));
            assert!(verify(&format!("{header}.{rest}"), &jwks).is_err(), "{alg}");
        }
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"RS256","kid":"{}"}}"#, key.kid()));
        assert!(matches!(
            verify(&format!("{header}.{rest}"), &jwks).err(),
            Some(JwsError::UnknownKey { .. })
        ));
    }
}

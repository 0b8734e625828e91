//! The issuer: the keys that sign new credentials (one per algorithm, `RS256` and `EdDSA`), and
//! the key set that verifies old ones, kept in `issuer_keys`.
//!
//! In production the keys are configured (a secret holding one PEM key per algorithm) and only
//! their public halves are recorded; in development one key per algorithm is generated on first
//! start and stored whole, so restarts keep them. Whenever the signing key of an algorithm
//! changes, the keys of that algorithm before it are retired: they sign nothing more but stay in
//! the JWKS, so the credentials they signed still verify. Both algorithms stay in the JWKS side
//! by side, so an authority can move from one to the other without breaking anything issued.
//!
//! Key state never depends on which replica loaded or signed last. Every process records the
//! keys it is configured with when it starts (`INSERT .. ON CONFLICT (kid) DO NOTHING`, so the
//! first record of a key keeps its time), and the newest recorded key of an algorithm is its
//! current one: loading retires every other key of that algorithm and never brings a retired
//! key back. During a rolling rotation a replica that still runs with the old key keeps signing
//! with it (it has no other) without making it current again, and every process publishes its
//! own keys in the JWKS even before they are recorded ([`IssuerSource::jwks`]).
//!
//! The keys are the platform's; each authority issues as itself (see [`super::profile`]) and
//! publishes the same keys under its own profile URL, which its credentials' `kid` point to.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::OnConflict,
};
use uuid::Uuid;

use super::keys::{Algorithm, IssuerKey, Jwks, stored_jwk};
use crate::{
    Error, Result,
    entities::{issuer_key, issuer_profile},
};

/// Who issues credentials: the signing key of each algorithm the platform holds, and the public
/// base URL the credentials' ids and the issuers' profile URLs are built from.
#[derive(Clone, Debug)]
pub struct Issuer {
    /// One key per algorithm, `RS256` first when there is one.
    keys: Vec<IssuerKey>,
    base_url: String,
}

impl Issuer {
    /// An issuer with `keys` (tests and tools; the service uses [`Issuer::load`]).
    pub fn new(mut keys: Vec<IssuerKey>, base_url: &str) -> Self {
        keys.sort_by_key(|key| {
            Algorithm::ALL
                .iter()
                .position(|alg| *alg == key.algorithm())
        });
        Self {
            keys,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The signing keys for this process: the `configured` ones (recorded if new); or, when
    /// none is configured (development), the stored development key of each algorithm, else a
    /// new one, stored. Then every key but the newest recorded one of its algorithm is retired.
    pub async fn load(
        db: &DatabaseConnection,
        configured: Vec<IssuerKey>,
        base_url: &str,
    ) -> Result<Self> {
        let now = Utc::now();
        let txn = crate::db::begin(db).await?;
        let mut keys = Vec::new();
        if configured.is_empty() {
            for algorithm in Algorithm::ALL {
                keys.push(development_key(&txn, algorithm, now).await?);
            }
        } else {
            for key in configured {
                issuer_key::Entity::insert(issuer_key::ActiveModel {
                    kid: Set(key.kid().to_owned()),
                    public_key: Set(key.stored_public_key()),
                    algorithm: Set(key.algorithm().as_str().to_owned()),
                    private_key: Set(None),
                    created_at: Set(now),
                    retired_at: Set(None),
                })
                .on_conflict(
                    OnConflict::column(issuer_key::Column::Kid)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
                keys.push(key);
            }
        }
        for algorithm in Algorithm::ALL {
            let newest = issuer_key::Entity::find()
                .filter(issuer_key::Column::Algorithm.eq(algorithm.as_str()))
                .order_by_desc(issuer_key::Column::CreatedAt)
                .order_by_desc(issuer_key::Column::Kid)
                .one(&txn)
                .await?;
            let Some(newest) = newest else { continue };
            issuer_key::Entity::update_many()
                .col_expr(
                    issuer_key::Column::RetiredAt,
                    sea_orm::sea_query::Expr::value(Some(now)),
                )
                .filter(issuer_key::Column::Algorithm.eq(algorithm.as_str()))
                .filter(issuer_key::Column::RetiredAt.is_null())
                .filter(issuer_key::Column::Kid.ne(newest.kid))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(Self::new(keys, base_url))
    }

    /// Every key this process signs with, `RS256` first.
    pub fn keys(&self) -> &[IssuerKey] {
        &self.keys
    }

    /// The key that signs with `algorithm`, if the platform holds one.
    pub fn key_for(&self, algorithm: Algorithm) -> Option<&IssuerKey> {
        self.keys.iter().find(|key| key.algorithm() == algorithm)
    }

    /// The key with this id, if this process signs with it.
    pub fn key_by_kid(&self, kid: &str) -> Option<&IssuerKey> {
        self.keys.iter().find(|key| key.kid() == kid)
    }

    /// What an authority signs with unless it chose otherwise: `RS256`, which every Open
    /// Badges 3.0 verifier must support, when the platform holds an RSA key; else `EdDSA`.
    pub fn default_algorithm(&self) -> Algorithm {
        self.keys
            .first()
            .map_or(Algorithm::Rs256, IssuerKey::algorithm)
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The profile URL of the authority `authority_id`: its credentials' `issuer.id`.
    pub fn profile_url(&self, authority_id: Uuid) -> String {
        profile_url(&self.base_url, authority_id)
    }

    /// Where the public key `kid` is published under an authority's profile: the `kid` of
    /// the JWS headers it signs.
    pub fn key_url(&self, authority_id: Uuid, kid: &str) -> String {
        key_url(&self.base_url, authority_id, kid)
    }

    /// The page a person sees for a code.
    pub fn verify_url(&self, code: &super::VerificationCode) -> String {
        verify_url(&self.base_url, code)
    }

    /// Where the credential of a code is downloaded; also the credential's id.
    pub fn credential_url(&self, code: &super::VerificationCode) -> String {
        credential_url(&self.base_url, code)
    }
}

/// The stored development key of `algorithm`, else a new one, stored.
async fn development_key(
    txn: &impl sea_orm::ConnectionTrait,
    algorithm: Algorithm,
    now: chrono::DateTime<Utc>,
) -> Result<IssuerKey> {
    let stored = issuer_key::Entity::find()
        .filter(issuer_key::Column::Algorithm.eq(algorithm.as_str()))
        .filter(issuer_key::Column::RetiredAt.is_null())
        .filter(issuer_key::Column::PrivateKey.is_not_null())
        .order_by_desc(issuer_key::Column::CreatedAt)
        .one(txn)
        .await?;
    if let Some(pem) = stored.and_then(|row| row.private_key) {
        return IssuerKey::from_pem(&pem)
            .map_err(|err| Error::Internal(anyhow::Error::new(err).context("stored issuer key")));
    }
    let key =
        IssuerKey::generate(algorithm).map_err(|err| Error::Internal(anyhow::Error::new(err)))?;
    issuer_key::ActiveModel {
        kid: Set(key.kid().to_owned()),
        public_key: Set(key.stored_public_key()),
        algorithm: Set(algorithm.as_str().to_owned()),
        private_key: Set(Some(key.to_pem().to_owned())),
        created_at: Set(now),
        retired_at: Set(None),
    }
    .insert(txn)
    .await?;
    tracing::info!(kid = key.kid(), %algorithm, "generated a development issuer key");
    Ok(key)
}

/// The issuer of a running service, loaded on first use: at start-up where the service migrates
/// the database itself, else (`GOVSKILLS_SKIP_MIGRATIONS`, where a Job migrates) when first
/// needed, so a replica can start before the schema has its `issuer_keys` table.
#[derive(Debug)]
pub struct IssuerSource {
    cell: tokio::sync::OnceCell<Issuer>,
    configured: Vec<IssuerKey>,
    base_url: String,
}

impl IssuerSource {
    pub fn new(configured: Vec<IssuerKey>, base_url: &str) -> Self {
        Self {
            cell: tokio::sync::OnceCell::new(),
            configured,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The issuer, loading it (see [`Issuer::load`]) the first time.
    pub async fn get(&self, db: &DatabaseConnection) -> Result<&Issuer> {
        self.cell
            .get_or_try_init(|| Issuer::load(db, self.configured.clone(), &self.base_url))
            .await
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The page a person sees for a code.
    pub fn verify_url(&self, code: &super::VerificationCode) -> String {
        verify_url(&self.base_url, code)
    }

    /// Where the credential of a code is downloaded; also the credential's id.
    pub fn credential_url(&self, code: &super::VerificationCode) -> String {
        credential_url(&self.base_url, code)
    }

    /// What `/.well-known/jwks.json` publishes: every recorded key (see [`jwks`]) and this
    /// process's configured keys, which a replica that has not recorded them yet (the schema is
    /// still being migrated) would otherwise leave out.
    pub async fn jwks(&self, db: &impl sea_orm::ConnectionTrait) -> Result<Jwks> {
        let recorded = jwks(db).await;
        let mut jwks = match recorded {
            Ok(jwks) => jwks,
            // No `issuer_keys` table yet: this process's own keys are all there is to publish.
            Err(_) if !self.configured.is_empty() => Jwks { keys: Vec::new() },
            Err(err) => return Err(err),
        };
        for key in &self.configured {
            if !jwks
                .keys
                .iter()
                .any(|jwk| jwk.common.key_id.as_deref() == Some(key.kid()))
            {
                jwks.keys.push(key.jwk());
            }
        }
        Ok(jwks)
    }
}

fn profile_url(base_url: &str, authority_id: Uuid) -> String {
    format!("{base_url}/issuers/{authority_id}")
}

fn key_url(base_url: &str, authority_id: Uuid, kid: &str) -> String {
    format!("{}/keys/{kid}", profile_url(base_url, authority_id))
}

impl IssuerSource {
    /// What `/.well-known/jwks.json` publishes: every key by its thumbprint ([`Self::jwks`]),
    /// and again under the URL of every authority that has issued, so a verifier that matches
    /// a credential's `kid` (a key URL) exactly finds it in this one set too.
    pub async fn published_jwks(&self, db: &impl sea_orm::ConnectionTrait) -> Result<Jwks> {
        let own = self.jwks(db).await?;
        let authorities: Vec<Uuid> = issuer_profile::Entity::find()
            .select_only()
            .column(issuer_profile::Column::OrgUnitId)
            .order_by_asc(issuer_profile::Column::OrgUnitId)
            .into_tuple()
            .all(db)
            .await
            // No `issuer_profiles` table yet (migrations pending): nothing issued under one.
            .unwrap_or_default();
        let mut keys = own.keys.clone();
        for authority_id in authorities {
            keys.extend(named_under(&own, &self.base_url, authority_id).keys);
        }
        Ok(Jwks { keys })
    }
}

fn verify_url(base_url: &str, code: &super::VerificationCode) -> String {
    format!("{base_url}/verify/{}", code.grouped())
}

fn credential_url(base_url: &str, code: &super::VerificationCode) -> String {
    format!("{base_url}/credentials/{}", code.grouped())
}

/// Every key the issuer signs or signed with, oldest first, named by thumbprint: what
/// `/.well-known/jwks.json` publishes.
pub async fn jwks(db: &impl sea_orm::ConnectionTrait) -> Result<Jwks> {
    let rows = issuer_key::Entity::find()
        .order_by_asc(issuer_key::Column::CreatedAt)
        .order_by_asc(issuer_key::Column::Kid)
        .all(db)
        .await?;
    Ok(Jwks {
        keys: rows
            .into_iter()
            .filter_map(|row| stored_jwk(Algorithm::parse(&row.algorithm)?, &row.public_key))
            .collect(),
    })
}

/// The key set an authority's profile publishes (`{profile}/jwks.json`): the same keys, each
/// named by its URL under the profile, as the credentials' JWS headers name them.
pub fn jwks_under(jwks: &Jwks, issuer: &Issuer, authority_id: Uuid) -> Jwks {
    named_under(jwks, issuer.base_url(), authority_id)
}

fn named_under(jwks: &Jwks, base_url: &str, authority_id: Uuid) -> Jwks {
    Jwks {
        keys: jwks
            .keys
            .iter()
            .cloned()
            .map(|mut jwk| {
                jwk.common.key_id = jwk
                    .common
                    .key_id
                    .map(|kid| key_url(base_url, authority_id, &kid));
                jwk
            })
            .collect(),
    }
}

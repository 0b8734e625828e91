//! The issuer: the key that signs new credentials, and the key set that verifies old ones, kept
//! in `issuer_keys`.
//!
//! In production the key is configured (a secret) and only its public half is recorded; in
//! development one is generated on first start and stored whole, so restarts keep it. Whenever
//! the signing key changes, the keys before it are retired: they sign nothing more but stay in
//! the JWKS, so the credentials they signed still verify.
//!
//! Key state never depends on which replica loaded or signed last. Every process records the
//! key it is configured with when it starts (`INSERT .. ON CONFLICT (kid) DO NOTHING`, so the
//! first record of a key keeps its time), and the newest recorded key is the current one: loading
//! retires every other key (`UPDATE issuer_keys SET retired_at = now WHERE retired_at IS NULL AND
//! kid <> newest`) and never brings a retired key back. During a rolling rotation a replica that
//! still runs with the old key keeps signing with it (it has no other) without making it current
//! again, and every process publishes its own key in the JWKS even before it is recorded
//! ([`IssuerSource::jwks`]).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::OnConflict,
};

use super::jws::{IssuerKey, Jwk, Jwks};
use crate::{Error, Result, entities::issuer_key};

/// Who issues credentials: the signing key and the public base URL the credentials' ids and the
/// issuer's id are built from.
#[derive(Clone, Debug)]
pub struct Issuer {
    key: IssuerKey,
    base_url: String,
}

impl Issuer {
    /// An issuer with `key` (tests and tools; the service uses [`Issuer::load`]).
    pub fn new(key: IssuerKey, base_url: &str) -> Self {
        Self {
            key,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The signing key for this process: `configured` (recorded if it is new), else the stored
    /// development key, else a new one, stored. Then every key but the newest recorded one is
    /// retired.
    pub async fn load(
        db: &DatabaseConnection,
        configured: Option<IssuerKey>,
        base_url: &str,
    ) -> Result<Self> {
        let now = Utc::now();
        let txn = crate::db::begin(db).await?;
        let key = match configured {
            Some(key) => {
                issuer_key::Entity::insert(issuer_key::ActiveModel {
                    kid: Set(key.kid().to_owned()),
                    public_key: Set(key.jwk().x),
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
                key
            }
            None => {
                let stored = issuer_key::Entity::find()
                    .filter(issuer_key::Column::RetiredAt.is_null())
                    .filter(issuer_key::Column::PrivateKey.is_not_null())
                    .order_by_desc(issuer_key::Column::CreatedAt)
                    .one(&txn)
                    .await?;
                match stored.and_then(|row| row.private_key) {
                    Some(pem) => IssuerKey::from_pkcs8_pem(&pem).map_err(|err| {
                        Error::Internal(anyhow::Error::new(err).context("stored issuer key"))
                    })?,
                    None => {
                        let key = IssuerKey::generate()
                            .map_err(|err| Error::Internal(anyhow::Error::new(err)))?;
                        let pem = key
                            .to_pkcs8_pem()
                            .map_err(|err| Error::Internal(anyhow::Error::new(err)))?;
                        issuer_key::ActiveModel {
                            kid: Set(key.kid().to_owned()),
                            public_key: Set(key.jwk().x),
                            private_key: Set(Some(pem)),
                            created_at: Set(now),
                            retired_at: Set(None),
                        }
                        .insert(&txn)
                        .await?;
                        tracing::info!(kid = key.kid(), "generated a development issuer key");
                        key
                    }
                }
            }
        };
        let newest = issuer_key::Entity::find()
            .order_by_desc(issuer_key::Column::CreatedAt)
            .order_by_desc(issuer_key::Column::Kid)
            .one(&txn)
            .await?
            .map_or_else(|| key.kid().to_owned(), |row| row.kid);
        issuer_key::Entity::update_many()
            .col_expr(
                issuer_key::Column::RetiredAt,
                sea_orm::sea_query::Expr::value(Some(now)),
            )
            .filter(issuer_key::Column::RetiredAt.is_null())
            .filter(issuer_key::Column::Kid.ne(newest))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Self::new(key, base_url))
    }

    pub fn key(&self) -> &IssuerKey {
        &self.key
    }

    /// The public base URL, without a trailing slash; also the issuer's id.
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
}

/// The issuer of a running service, loaded on first use: at start-up where the service migrates
/// the database itself, else (`GOVSKILLS_SKIP_MIGRATIONS`, where a Job migrates) when first
/// needed, so a replica can start before the schema has its `issuer_keys` table.
#[derive(Debug)]
pub struct IssuerSource {
    cell: tokio::sync::OnceCell<Issuer>,
    configured: Option<IssuerKey>,
    base_url: String,
}

impl IssuerSource {
    pub fn new(configured: Option<IssuerKey>, base_url: &str) -> Self {
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
    /// process's configured key, which a replica that has not recorded it yet (the schema is
    /// still being migrated) would otherwise leave out.
    pub async fn jwks(&self, db: &impl sea_orm::ConnectionTrait) -> Result<Jwks> {
        let recorded = jwks(db).await;
        let mut jwks = match (recorded, &self.configured) {
            (Ok(jwks), _) => jwks,
            // No `issuer_keys` table yet: this process's own key is all there is to publish.
            (Err(_), Some(_)) => Jwks { keys: Vec::new() },
            (Err(err), None) => return Err(err),
        };
        if let Some(key) = &self.configured
            && !jwks.keys.iter().any(|jwk| jwk.kid == key.kid())
        {
            jwks.keys.push(key.jwk());
        }
        Ok(jwks)
    }
}

fn verify_url(base_url: &str, code: &super::VerificationCode) -> String {
    format!("{base_url}/verify/{}", code.grouped())
}

fn credential_url(base_url: &str, code: &super::VerificationCode) -> String {
    format!("{base_url}/credentials/{}", code.grouped())
}

/// Every key the issuer signs or signed with, oldest first: what `/.well-known/jwks.json`
/// publishes.
pub async fn jwks(db: &impl sea_orm::ConnectionTrait) -> Result<Jwks> {
    let rows = issuer_key::Entity::find()
        .order_by_asc(issuer_key::Column::CreatedAt)
        .order_by_asc(issuer_key::Column::Kid)
        .all(db)
        .await?;
    Ok(Jwks {
        keys: rows
            .into_iter()
            .map(|row| Jwk::ed25519(row.public_key))
            .collect(),
    })
}

//! SCIM 2.0 provisioning: an authority's provisioning tokens, and the accounts its HR master
//! data creates, changes and deactivates with them.
//!
//! A token belongs to one authority (a top-level unit) and sees only the accounts whose unit
//! lies in that authority's subtree: anyone else's is `NotFound`, as an unknown id is. The
//! secret is shown once, when the token is created; the database keeps its SHA-256. Accounts
//! provisioned this way have no password (an empty `password_hash`): people sign in through
//! their authority's identity provider. Deactivating an account disables it and the caller
//! ends its sessions; nothing a person learned or earned is ever deleted here.
//!
//! This module speaks in plain values ([`AccountInput`], [`Account`]); the SCIM wire format
//! (JSON, filters, PATCH operations) is the HTTP layer's.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    sea_query::{Expr, ExprTrait as _, Func, SimpleExpr},
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    Error, Result,
    accounts::search_text,
    audit::{self, Target},
    auth::{self, Actor, Scope},
    entities::{
        org_unit, provisioning_token,
        user::{self, UserStatus},
    },
    org,
    types::{Email, Name, Role},
};

/// The prefix of every provisioning secret, so a leaked one is recognisable (secret scanners).
const SECRET_PREFIX: &str = "gsp_";

const DUPLICATE_USER_NAME: &str = "an account with this userName already exists";

/// `lower(users.user_name) = lower(name)`: as the unique index `uq_users_user_name` compares.
fn same_user_name(name: String) -> SimpleExpr {
    Func::lower(Expr::col((user::Entity, user::Column::UserName))).eq(Func::lower(Expr::val(name)))
}

/// SHA-256 of a secret, hex-encoded: what the database keeps.
fn hash_secret(secret: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

/// A fresh secret: `gsp_` and 256 random bits in unpadded base64url.
fn generate_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| anyhow::anyhow!("the OS random generator failed: {err}"))?;
    Ok(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// A new token and its secret, which exists only here: it is never stored nor shown again.
#[derive(Debug)]
pub struct CreatedToken {
    pub token: provisioning_token::Model,
    pub secret: String,
}

/// Creates a provisioning token for an authority (an `ADMIN` covering its top-level unit, or a
/// platform `ADMIN`).
pub async fn create_token(
    db: &DatabaseConnection,
    actor: &Actor,
    org_unit_id: Uuid,
    description: &str,
) -> Result<CreatedToken> {
    actor.require_role(Role::Admin)?;
    let description = Name::parse(description, "description")?.into_inner();
    let unit = org::administered_authority(db, actor, org_unit_id, "a provisioning token").await?;
    let secret = generate_secret()?;
    let txn = crate::db::begin(db).await?;
    let token = provisioning_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_unit_id: Set(unit.id),
        description: Set(description),
        token_hash: Set(hash_secret(&secret)),
        created_by: Set(Some(actor.id())),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "provisioning_token.created",
        Target::ProvisioningToken(token.id),
        json!({ "description": token.description }),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedToken { token, secret })
}

/// Revokes a token at once (an administrator of its authority). Revoking a revoked token
/// changes nothing.
pub async fn revoke_token(
    db: &DatabaseConnection,
    actor: &Actor,
    token_id: Uuid,
) -> Result<provisioning_token::Model> {
    actor.require_role(Role::Admin)?;
    let token = provisioning_token::Entity::find_by_id(token_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("provisioning token"))?;
    let unit = org::find(db, token.org_unit_id).await?;
    if !actor.covers(Role::Admin, &unit.path) {
        // Another authority's token: as if it did not exist.
        return Err(Error::NotFound("provisioning token"));
    }
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let txn = crate::db::begin(db).await?;
    let revoked = provisioning_token::ActiveModel {
        id: Set(token.id),
        revoked_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "provisioning_token.revoked",
        Target::ProvisioningToken(token.id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(revoked)
}

/// The tokens of an authority, newest first (an administrator of the authority).
pub async fn tokens(
    db: &DatabaseConnection,
    actor: &Actor,
    org_unit_id: Uuid,
) -> Result<Vec<provisioning_token::Model>> {
    let unit = org::administered_authority(db, actor, org_unit_id, "a provisioning token").await?;
    Ok(provisioning_token::Entity::find()
        .filter(provisioning_token::Column::OrgUnitId.eq(unit.id))
        .order_by_desc(provisioning_token::Column::CreatedAt)
        .order_by_desc(provisioning_token::Column::Id)
        .all(db)
        .await?)
}

/// The authority a valid provisioning token speaks for. Only [`authenticate`] builds one, so
/// holding one proves the token was checked.
#[derive(Clone, Debug)]
pub struct Authority {
    token_id: Uuid,
    unit: org_unit::Model,
}

impl Authority {
    /// The authority's top-level unit.
    pub fn unit(&self) -> &org_unit::Model {
        &self.unit
    }

    pub fn token_id(&self) -> Uuid {
        self.token_id
    }

    fn covers(&self, path: &str) -> bool {
        path.starts_with(self.unit.path.as_str())
    }
}

/// The authority of an unrevoked token whose secret is `secret`; anything else is
/// `Unauthenticated`. Records when the token was last used (at most once a minute).
pub async fn authenticate(db: &DatabaseConnection, secret: &str) -> Result<Authority> {
    let plausible = secret.len() == SECRET_PREFIX.len() + 43 && secret.starts_with(SECRET_PREFIX);
    if !plausible {
        return Err(Error::Unauthenticated);
    }
    let Some(token) = provisioning_token::Entity::find()
        .filter(provisioning_token::Column::TokenHash.eq(hash_secret(secret)))
        .filter(provisioning_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Err(Error::Unauthenticated);
    };
    let unit = org::find(db, token.org_unit_id).await?;
    let now = Utc::now();
    let stale = token
        .last_used_at
        .is_none_or(|at| now - at > chrono::TimeDelta::minutes(1));
    if stale {
        provisioning_token::Entity::update_many()
            .col_expr(provisioning_token::Column::LastUsedAt, Expr::value(now))
            .filter(provisioning_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok(Authority {
        token_id: token.id,
        unit,
    })
}

/// A provisioned account as SCIM shows it: the account and its unit.
#[derive(Clone, Debug)]
pub struct Account {
    pub user: user::Model,
    pub unit: org_unit::Model,
}

impl Account {
    /// The account's SCIM `userName`: the one it was provisioned with, else its email.
    pub fn user_name(&self) -> &str {
        self.user.user_name.as_deref().unwrap_or(&self.user.email)
    }

    /// The enterprise extension's `department`: the external id of the account's unit.
    pub fn department(&self) -> Option<&str> {
        self.unit.external_id.as_deref()
    }

    fn input(&self) -> AccountInput {
        AccountInput {
            user_name: self.user_name().to_owned(),
            external_id: self.user.external_id.clone(),
            display_name: Some(self.user.display_name.clone()),
            email: Some(self.user.email.clone()),
            active: self.user.status == UserStatus::Active,
            department: self.department().map(str::to_owned),
        }
    }
}

/// What SCIM says about an account, parsed from the wire by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInput {
    pub user_name: String,
    pub external_id: Option<String>,
    /// Falls back to the user name when missing.
    pub display_name: Option<String>,
    /// Falls back to the user name when that is an email address.
    pub email: Option<String>,
    pub active: bool,
    /// An org unit's external id within the authority; none: the authority's top-level unit.
    pub department: Option<String>,
}

/// An [`AccountInput`] checked against the rules.
struct Parsed {
    user_name: String,
    external_id: Option<String>,
    display_name: String,
    email: Email,
    status: UserStatus,
}

fn parse(input: &AccountInput) -> Result<Parsed> {
    let user_name = Name::parse(&input.user_name, "userName")?.into_inner();
    let external_id = input
        .external_id
        .as_deref()
        .map(|id| Name::parse(id, "externalId").map(Name::into_inner))
        .transpose()?;
    let display_name = Name::parse(
        input.display_name.as_deref().unwrap_or(&user_name),
        "displayName",
    )?
    .into_inner();
    let email = match &input.email {
        Some(email) => Email::parse(email).map_err(|_| {
            Error::invalid("emails", "emails[].value must be a valid email address")
        })?,
        None => Email::parse(&user_name).map_err(|_| {
            Error::invalid(
                "emails",
                "an account needs an email address: send emails, or a userName that is one",
            )
        })?,
    };
    Ok(Parsed {
        user_name,
        external_id,
        display_name,
        email,
        status: if input.active {
            UserStatus::Active
        } else {
            UserStatus::Disabled
        },
    })
}

/// The unit `department` names inside the authority (its top-level unit for none).
async fn unit_for(
    db: &impl ConnectionTrait,
    authority: &Authority,
    department: Option<&str>,
) -> Result<org_unit::Model> {
    match department {
        None => Ok(authority.unit.clone()),
        Some(department) => org::find_by_external_id(db, &authority.unit.path, department)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "department",
                    format!("no org unit of this authority has the externalId {department:?}"),
                )
            }),
    }
}

/// Refuses a user name or email another account (`except`) already has: the user name
/// regardless of case, as the unique index on `lower(user_name)` does.
async fn ensure_unique(
    db: &impl ConnectionTrait,
    parsed: &Parsed,
    except: Option<Uuid>,
) -> Result<()> {
    // An account without a SCIM user name answers to its email as one.
    let mut same_name = user::Entity::find().filter(
        sea_orm::Condition::any()
            .add(same_user_name(parsed.user_name.clone()))
            .add(
                sea_orm::Condition::all()
                    .add(user::Column::UserName.is_null())
                    .add(user::Column::Email.eq(parsed.user_name.trim().to_lowercase())),
            ),
    );
    let mut same_email = user::Entity::find().filter(user::Column::Email.eq(parsed.email.as_str()));
    if let Some(id) = except {
        same_name = same_name.filter(user::Column::Id.ne(id));
        same_email = same_email.filter(user::Column::Id.ne(id));
    }
    if same_name.count(db).await? > 0 {
        return Err(Error::Conflict {
            field: "userName",
            message: DUPLICATE_USER_NAME.into(),
        });
    }
    if same_email.count(db).await? > 0 {
        return Err(Error::Conflict {
            field: "emails",
            message: crate::accounts::DUPLICATE_EMAIL.into(),
        });
    }
    Ok(())
}

/// Maps a unique-index violation (a concurrent creation that passed the pre-check) to the
/// field it concerns.
fn on_duplicate<T>(result: std::result::Result<T, sea_orm::DbErr>) -> Result<T> {
    result.map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("user_name") => {
            Error::Conflict {
                field: "userName",
                message: DUPLICATE_USER_NAME.into(),
            }
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict {
            field: "emails",
            message: crate::accounts::DUPLICATE_EMAIL.into(),
        },
        _ => err.into(),
    })
}

/// Creates an account in the authority, without a password.
pub async fn create(
    db: &DatabaseConnection,
    authority: &Authority,
    input: &AccountInput,
) -> Result<Account> {
    let parsed = parse(input)?;
    if let Some(id) = deprovisioned_match(db, authority, &parsed).await? {
        return revive(db, authority, id, input).await;
    }
    let txn = crate::db::begin(db).await?;
    let unit = unit_for(&txn, authority, input.department.as_deref()).await?;
    ensure_unique(&txn, &parsed, None).await?;
    let now = Utc::now();
    let user = on_duplicate(
        user::ActiveModel {
            id: Set(Uuid::new_v4()),
            search_text: Set(search_text(&parsed.display_name, parsed.email.as_str())),
            email: Set(parsed.email.as_str().to_owned()),
            display_name: Set(parsed.display_name),
            password_hash: Set(String::new()),
            org_unit_id: Set(unit.id),
            status: Set(parsed.status),
            created_at: Set(now),
            updated_at: Set(now),
            external_id: Set(parsed.external_id),
            user_name: Set(Some(parsed.user_name)),
            deprovisioned_at: Set(None),
            wallet_did: Set(None),
            locale: Set(None),
            erased_at: Set(None),
            disabled_at: Set((parsed.status == UserStatus::Disabled).then_some(now)),
        }
        .insert(&txn)
        .await,
    )?;
    crate::rollouts::on_staff_changed(&txn, None, user.id, now).await?;
    audit::record(
        &txn,
        None,
        "user.scim_created",
        Target::User(user.id),
        json!({ "tokenId": authority.token_id, "orgUnitId": unit.id, "active": input.active }),
    )
    .await?;
    txn.commit().await?;
    Ok(Account { user, unit })
}

/// An account of the authority that SCIM deleted earlier with the user name or email of a new
/// one: the person is back, and so are their records.
async fn deprovisioned_match(
    db: &impl ConnectionTrait,
    authority: &Authority,
    parsed: &Parsed,
) -> Result<Option<Uuid>> {
    let found = user::Entity::find()
        .find_also_related(org_unit::Entity)
        .filter(org::in_subtree(&authority.unit.path))
        .filter(user::Column::DeprovisionedAt.is_not_null())
        .filter(
            sea_orm::Condition::any()
                .add(same_user_name(parsed.user_name.clone()))
                .add(user::Column::Email.eq(parsed.email.as_str())),
        )
        .one(db)
        .await?;
    Ok(found.map(|(user, _)| user.id))
}

/// Brings back an account SCIM deleted, as the new input says.
async fn revive(
    db: &DatabaseConnection,
    authority: &Authority,
    user_id: Uuid,
    input: &AccountInput,
) -> Result<Account> {
    let txn = crate::db::begin(db).await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::DeprovisionedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    let changed = change_in(&txn, authority, user_id, "user.scim_restored", |wanted| {
        *wanted = input.clone();
        Ok(())
    })
    .await?;
    txn.commit().await?;
    Ok(changed.account)
}

/// Loads an account of the authority; anyone else's is `NotFound`.
async fn find_in(
    db: &impl ConnectionTrait,
    authority: &Authority,
    user_id: Uuid,
) -> Result<Account> {
    match user::Entity::find_by_id(user_id)
        .find_also_related(org_unit::Entity)
        .one(db)
        .await?
    {
        Some((user, Some(unit)))
            if authority.covers(&unit.path) && user.deprovisioned_at.is_none() =>
        {
            Ok(Account { user, unit })
        }
        _ => Err(Error::NotFound("user")),
    }
}

/// An account of the authority.
pub async fn find(
    db: &DatabaseConnection,
    authority: &Authority,
    user_id: Uuid,
) -> Result<Account> {
    find_in(db, authority, user_id).await
}

/// Which accounts a list asks for: SCIM's `id eq`, `userName eq` (regardless of case) and `externalId
/// eq` (exact), both when both are given.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    pub id: Option<Uuid>,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
}

/// One page of accounts of the authority, in creation order: the total and the accounts from
/// `offset` (0-based), at most `limit`.
pub async fn list(
    db: &DatabaseConnection,
    authority: &Authority,
    filter: &AccountFilter,
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<Account>)> {
    let mut query = user::Entity::find()
        .find_also_related(org_unit::Entity)
        .filter(org::in_subtree(&authority.unit.path))
        .filter(user::Column::DeprovisionedAt.is_null());
    if let Some(user_name) = &filter.user_name {
        // An account provisioned otherwise has its email as its user name.
        query = query.filter(
            sea_orm::Condition::any()
                .add(same_user_name(user_name.clone()))
                .add(
                    sea_orm::Condition::all()
                        .add(user::Column::UserName.is_null())
                        .add(user::Column::Email.eq(user_name.trim().to_lowercase())),
                ),
        );
    }
    if let Some(external_id) = &filter.external_id {
        query = query.filter(user::Column::ExternalId.eq(external_id.as_str()));
    }
    if let Some(id) = filter.id {
        query = query.filter(user::Column::Id.eq(id));
    }
    let total = query.clone().count(db).await?;
    if limit == 0 {
        return Ok((total, Vec::new()));
    }
    let rows = query
        .order_by_asc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let accounts = rows
        .into_iter()
        .filter_map(|(user, unit)| unit.map(|unit| Account { user, unit }))
        .collect();
    Ok((total, accounts))
}

/// The result of a change: the account, and whether its sessions must end now (it was
/// deactivated).
#[derive(Debug)]
pub struct Changed {
    pub account: Account,
    pub end_sessions: bool,
}

/// Changes an account of the authority: `change` gets what the account says now (as an
/// [`AccountInput`]) and edits it, inside the transaction, so a PATCH applies to the account
/// as it stands. A `PUT` replaces the whole input. `action` names the audit event.
pub async fn update(
    db: &DatabaseConnection,
    authority: &Authority,
    user_id: Uuid,
    action: &str,
    change: impl FnOnce(&mut AccountInput) -> Result<()>,
) -> Result<Changed> {
    let txn = crate::db::begin(db).await?;
    let changed = change_in(&txn, authority, user_id, action, change).await?;
    txn.commit().await?;
    Ok(changed)
}

/// [`update`] inside the caller's transaction.
async fn change_in(
    txn: &DatabaseTransaction,
    authority: &Authority,
    user_id: Uuid,
    action: &str,
    change: impl FnOnce(&mut AccountInput) -> Result<()>,
) -> Result<Changed> {
    // Touch the row first, so concurrent changes of one account are ordered.
    user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::col(user::Column::UpdatedAt))
        .filter(user::Column::Id.eq(user_id))
        .exec(txn)
        .await?;
    let current = find_in(txn, authority, user_id).await?;
    let before = current.input();
    let mut wanted = before.clone();
    change(&mut wanted)?;
    let parsed = parse(&wanted)?;
    if wanted == before && !matches!(action, "user.scim_restored" | "user.scim_deleted") {
        return Ok(Changed {
            account: current,
            end_sessions: false,
        });
    }
    ensure_unique(txn, &parsed, Some(current.user.id)).await?;
    let unit = if wanted.department == before.department {
        current.unit.clone()
    } else {
        unit_for(txn, authority, wanted.department.as_deref()).await?
    };
    let deactivating =
        current.user.status == UserStatus::Active && parsed.status == UserStatus::Disabled;
    if deactivating {
        refuse_last_platform_admin(txn, current.user.id).await?;
    }
    let mut changes = serde_json::Map::new();
    for (name, changed) in [
        ("userName", wanted.user_name != before.user_name),
        ("externalId", wanted.external_id != before.external_id),
        ("displayName", wanted.display_name != before.display_name),
        ("email", wanted.email != before.email),
    ] {
        if changed {
            changes.insert(name.into(), json!(true));
        }
    }
    if unit.id != current.unit.id {
        changes.insert(
            "orgUnitId".into(),
            json!({ "from": current.unit.id, "to": unit.id }),
        );
    }
    if wanted.active != before.active {
        changes.insert("active".into(), json!(wanted.active));
    }
    changes.insert("tokenId".into(), json!(authority.token_id));
    let user = on_duplicate(
        user::ActiveModel {
            id: Set(current.user.id),
            search_text: Set(search_text(&parsed.display_name, parsed.email.as_str())),
            email: Set(parsed.email.as_str().to_owned()),
            display_name: Set(parsed.display_name),
            org_unit_id: Set(unit.id),
            status: Set(parsed.status),
            disabled_at: Set(match parsed.status {
                UserStatus::Active => None,
                UserStatus::Disabled => current.user.disabled_at.or(Some(Utc::now())),
            }),
            updated_at: Set(Utc::now()),
            external_id: Set(parsed.external_id),
            user_name: Set(Some(parsed.user_name)),
            ..Default::default()
        }
        .update(txn)
        .await,
    )?;
    // Moved into a unit a rollout affects, or active again: its training.
    crate::rollouts::on_staff_changed(txn, None, user.id, Utc::now()).await?;
    audit::record(
        txn,
        None,
        action,
        Target::User(user.id),
        serde_json::Value::Object(changes),
    )
    .await?;
    Ok(Changed {
        account: Account { user, unit },
        end_sessions: deactivating,
    })
}

/// SCIM `DELETE`: deactivates the account and hides it from SCIM (`deprovisioned_at`); its
/// learning records and certificates stay. The caller ends its sessions.
pub async fn delete(db: &DatabaseConnection, authority: &Authority, user_id: Uuid) -> Result<()> {
    let txn = crate::db::begin(db).await?;
    change_in(&txn, authority, user_id, "user.scim_deleted", |input| {
        input.active = false;
        Ok(())
    })
    .await?;
    user::Entity::update_many()
        .col_expr(user::Column::DeprovisionedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Deactivation by an HR system must not leave the platform without an active platform
/// administrator: such an account is managed in GovSkills itself.
async fn refuse_last_platform_admin(db: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    let is_platform_admin = auth::load_grants(db, user_id)
        .await?
        .iter()
        .any(|grant| grant.role == Role::Admin && grant.scope == Scope::Platform);
    if is_platform_admin {
        return Err(Error::invalid(
            "active",
            "this account is a platform administrator; deactivate it in GovSkills",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_prefixed_and_hash_stably() {
        let (a, b) = (
            generate_secret().expect("random"),
            generate_secret().expect("random"),
        );
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
        assert_eq!(hash_secret(&a), hash_secret(&a.clone()));
        assert_eq!(hash_secret(&a).len(), 64);
    }
}

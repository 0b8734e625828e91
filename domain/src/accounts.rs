//! Accounts: creating users, signing in, passwords, role grants and account status.
//!
//! An authority's administrator manages only accounts inside their subtree, including the unit
//! an account is moved *to* and every unit a role is granted at.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    JoinType, PaginatorTrait, QueryFilter, QuerySelect, RelationTrait, Set, TransactionSession,
    TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    DbResultExt, Error, Result,
    audit::{self, Target},
    auth::{self, Actor, Scope},
    entities::{
        org_unit, role_grant,
        user::{self, UserStatus},
    },
    org, password,
    types::{Email, Name, Password, Role},
};

/// The most role grants one account may hold; more is almost certainly a client bug.
pub const MAX_GRANTS: usize = 50;

pub(crate) const DUPLICATE_EMAIL: &str = "an account with this email already exists";

/// What an administrator provides to open an account.
#[derive(Debug)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub org_unit_id: Uuid,
}

/// A role to grant, at a unit or (with no unit) platform-wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GrantRequest {
    pub role: Role,
    pub org_unit_id: Option<Uuid>,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub org_unit_id: Option<Uuid>,
    pub status: Option<UserStatus>,
}

/// Creates an account with the given grants and no permission check: for the operator's
/// command line and the demo data. Administrators go through [`create_user`].
pub async fn provision(
    db: &(impl ConnectionTrait + TransactionTrait),
    input: NewUser,
    grants: &[GrantRequest],
) -> Result<user::Model> {
    let (email, display_name, password) = parse_new_user(&input)?;
    org::find(db, input.org_unit_id).await?;
    let hash = password::hash(password).await?;
    let txn = crate::db::begin(db).await?;
    let user = insert_user(&txn, email, display_name, hash, input.org_unit_id).await?;
    insert_grants(&txn, user.id, grants, None).await?;
    audit::record(
        &txn,
        None,
        "user.provisioned",
        Target::User(user.id),
        json!({ "grants": grants_json(grants) }),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Opens an account in an org unit the administrator covers.
pub async fn create_user(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewUser,
) -> Result<user::Model> {
    actor.require_role(Role::Admin)?;
    let (email, display_name, password) = parse_new_user(&input)?;
    let unit = org::find(db, input.org_unit_id).await?;
    actor.require_covers(Role::Admin, &unit.path, "that org unit")?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(Error::Conflict {
            field: "email",
            message: DUPLICATE_EMAIL.into(),
        });
    }
    let hash = password::hash(password).await?;
    let txn = crate::db::begin(db).await?;
    let user = insert_user(&txn, email, display_name, hash, unit.id).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "user.created",
        Target::User(user.id),
        json!({ "orgUnitId": unit.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

fn parse_new_user(input: &NewUser) -> Result<(Email, Name, Password)> {
    Ok((
        Email::parse(&input.email)?,
        Name::parse(&input.display_name, "displayName")?,
        Password::parse(input.password.clone(), "password")?,
    ))
}

/// What the people directory's search compares: a person's display name and email, folded.
pub fn search_text(display_name: &str, email: &str) -> String {
    crate::search::searchable(&[display_name, email])
}

pub(crate) async fn insert_user(
    db: &impl ConnectionTrait,
    email: Email,
    display_name: Name,
    password_hash: String,
    org_unit_id: Uuid,
) -> Result<user::Model> {
    let now = Utc::now();
    let display_name = display_name.into_inner();
    let user = user::ActiveModel {
        id: Set(Uuid::new_v4()),
        search_text: Set(search_text(&display_name, email.as_str())),
        email: Set(email.as_str().to_owned()),
        display_name: Set(display_name),
        password_hash: Set(password_hash),
        org_unit_id: Set(org_unit_id),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    // The pre-check above can race with a concurrent creation; the index decides.
    .on_unique_violation("email", DUPLICATE_EMAIL)?;
    // Joining a unit a rollout affects: its training.
    crate::rollouts::on_staff_changed(db, None, user.id, now).await?;
    Ok(user)
}

async fn insert_grants(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    grants: &[GrantRequest],
    granted_by: Option<Uuid>,
) -> Result<()> {
    let now = Utc::now();
    for grant in grants {
        role_grant::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user_id),
            role: Set(grant.role),
            org_unit_id: Set(grant.org_unit_id),
            granted_by: Set(granted_by),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn grants_json(grants: &[GrantRequest]) -> serde_json::Value {
    grants
        .iter()
        .map(|grant| json!({ "role": auth::role_name(grant.role), "orgUnitId": grant.org_unit_id }))
        .collect()
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// Loads an account the administrator covers, with its unit.
pub(crate) async fn find_managed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_id: Uuid,
) -> Result<(user::Model, org_unit::Model)> {
    actor.require_role(Role::Admin)?;
    let Some((user, Some(unit))) = user::Entity::find_by_id(user_id)
        .find_also_related(org_unit::Entity)
        .one(db)
        .await?
    else {
        return Err(Error::NotFound("user"));
    };
    actor.require_covers(Role::Admin, &unit.path, "this user's org unit")?;
    Ok((user, unit))
}

/// Checks an email and password; an unknown email, a wrong password and a disabled account
/// give the same error after the same work.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<user::Model> {
    // No account can have a password outside the allowed lengths, so refusing it at once
    // reveals nothing about the account, and spares argon2 a megabyte-long input.
    if Password::parse(password.to_owned(), "password").is_err() {
        return Err(Error::InvalidCredentials);
    }
    let user = match Email::parse(email) {
        Ok(email) => find_by_email(db, &email).await?,
        Err(_) => None,
    };
    // An account without a password (one that arrived by SCIM or through an identity provider)
    // has an empty `password_hash`: checked against the dummy hash, so it costs the same.
    let stored = user
        .as_ref()
        .map(|user| user.password_hash.clone())
        .filter(|hash| !hash.is_empty());
    let matches = password::verify(password, stored).await?;
    match user {
        Some(user) if matches && user.status == UserStatus::Active => {
            // Only someone who knows the password learns this.
            if !crate::identity::password_allowed(db, &user).await? {
                return Err(Error::forbidden(
                    "your authority signs in through its identity provider, not with a password: \
                     see signInOptions",
                ));
            }
            Ok(user)
        }
        _ => Err(Error::InvalidCredentials),
    }
}

/// Changes the actor's own password after checking the current one.
pub async fn change_password(
    db: &DatabaseConnection,
    actor: &Actor,
    current: &str,
    new: String,
) -> Result<()> {
    let new = Password::parse(new, "newPassword")?;
    if !password::verify(current, Some(actor.user.password_hash.clone())).await? {
        return Err(Error::invalid(
            "currentPassword",
            "the current password is incorrect",
        ));
    }
    let hash = password::hash(new).await?;
    let txn = crate::db::begin(db).await?;
    user::ActiveModel {
        id: Set(actor.id()),
        password_hash: Set(hash),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "user.password_changed",
        Target::User(actor.id()),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The longest wallet identifier accepted.
const MAX_DID_CHARS: usize = 500;

/// Whether `did` is a DID as W3C DID Core 1.0 writes one: `did:`, a method name of lower-case
/// letters and digits, `:`, and a method-specific id of `idchar`s (letters, digits, `.-_:`, and
/// `%` with two hex digits) that does not end in `:`.
fn is_did(did: &str) -> bool {
    let Some((method, id)) = did
        .strip_prefix("did:")
        .and_then(|rest| rest.split_once(':'))
    else {
        return false;
    };
    let bytes = id.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(at, b)| {
        *b != b'%'
            || bytes
                .get(at + 1..at + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !id.is_empty()
        && !id.ends_with(':')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:%".contains(&b))
        && escapes_ok
}

/// Links the actor's wallet identifier (a DID), or unlinks it (`None`); audited. New
/// certificates name it as their subject.
pub async fn set_wallet_did(
    db: &DatabaseConnection,
    actor: &Actor,
    did: Option<&str>,
) -> Result<user::Model> {
    let did = did.map(str::trim).filter(|did| !did.is_empty());
    if let Some(did) = did
        && (did.chars().count() > MAX_DID_CHARS || !is_did(did))
    {
        return Err(Error::invalid(
            "did",
            format!(
                "did must be a DID such as did:key:z6Mk... (did:<method>:<id>, at most {MAX_DID_CHARS} characters)"
            ),
        ));
    }
    let txn = crate::db::begin(db).await?;
    let updated = user::ActiveModel {
        id: Set(actor.id()),
        wallet_did: Set(did.map(str::to_owned)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        if did.is_some() {
            "user.wallet_linked"
        } else {
            "user.wallet_unlinked"
        },
        Target::User(actor.id()),
        json!({ "did": did }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Longest language tag accepted.
const MAX_LOCALE_CHARS: usize = 35;

/// A BCP 47 language tag whose subtags are in the IANA registry (`de`, `fr-BE`, `sr-Latn-RS`),
/// in its canonical form; anything else (`xx`, `english`, `de_DE`) is refused.
pub(crate) fn parse_locale(raw: &str, field: &'static str) -> Result<String> {
    let refuse = || {
        Error::invalid(
            field,
            format!("{raw:?} is not a known language tag such as \"de\", \"fr-BE\" or \"en\""),
        )
    };
    if raw.len() > MAX_LOCALE_CHARS {
        return Err(refuse());
    }
    let tag = language_tags::LanguageTag::parse(raw).map_err(|_| refuse())?;
    tag.validate().map_err(|_| refuse())?;
    Ok(tag.canonicalize().map_err(|_| refuse())?.to_string())
}

/// Sets the actor's preferred language (`None`: the default), which their notifications use.
pub async fn set_locale(
    db: &DatabaseConnection,
    actor: &Actor,
    locale: Option<&str>,
) -> Result<user::Model> {
    let normalised = locale
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|tag| parse_locale(tag, "locale"))
        .transpose()?;
    Ok(user::ActiveModel {
        id: Set(actor.id()),
        locale: Set(normalised),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// Replaces a user's role grants. The administrator must cover the user, every unit granted at,
/// and every grant the user holds now (so nobody removes a grant they could not have given).
pub async fn set_roles(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    requested: Vec<GrantRequest>,
) -> Result<user::Model> {
    let (user, _) = find_managed(db, actor, user_id).await?;
    let requested: Vec<GrantRequest> = requested
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if requested.len() > MAX_GRANTS {
        return Err(Error::invalid(
            "grants",
            format!("an account can hold at most {MAX_GRANTS} role grants"),
        ));
    }

    let unit_ids: Vec<Uuid> = requested.iter().filter_map(|g| g.org_unit_id).collect();
    let units: HashMap<Uuid, org_unit::Model> = org::find_many(db, &unit_ids)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit))
        .collect();
    for grant in &requested {
        match grant.org_unit_id {
            None if grant.role != Role::Admin => {
                return Err(Error::invalid(
                    "grants",
                    format!(
                        "{} is granted at an org unit; only ADMIN can be platform-wide",
                        auth::role_name(grant.role)
                    ),
                ));
            }
            None => require_platform_admin(actor)?,
            Some(id) => {
                let unit = units.get(&id).ok_or_else(|| {
                    Error::invalid("grants", format!("org unit {id} does not exist"))
                })?;
                actor.require_covers(Role::Admin, &unit.path, "every org unit granted at")?;
            }
        }
    }
    let current = auth::load_grants(db, user.id).await?;
    for grant in &current {
        let covered = match &grant.scope {
            Scope::Platform => actor.is_platform(Role::Admin),
            Scope::Unit { path, .. } => actor.covers(Role::Admin, path),
        };
        if !covered {
            return Err(Error::forbidden(
                "this user holds roles outside your scope; ask a platform administrator",
            ));
        }
    }

    let removes_admin = current.iter().any(|grant| {
        grant.role == Role::Admin
            && !requested
                .iter()
                .any(|wanted| wanted.role == Role::Admin && wanted.org_unit_id == grant.unit_id())
    });
    if removes_admin && user.id == actor.id() {
        return Err(Error::Conflict {
            field: "grants",
            message: "you cannot remove your own ADMIN grant; ask another administrator".into(),
        });
    }
    let removes_platform_admin = current
        .iter()
        .any(|grant| grant.role == Role::Admin && grant.scope == Scope::Platform)
        && !requested
            .iter()
            .any(|wanted| wanted.role == Role::Admin && wanted.org_unit_id.is_none());

    let txn = crate::db::begin(db).await?;
    if removes_platform_admin {
        keep_a_platform_admin(&txn, user.id, "grants").await?;
    }
    role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    insert_grants(&txn, user.id, &requested, Some(actor.id())).await?;
    let before: Vec<GrantRequest> = current
        .iter()
        .map(|grant| GrantRequest {
            role: grant.role,
            org_unit_id: grant.unit_id(),
        })
        .collect();
    audit::record(
        &txn,
        Some(actor.id()),
        "user.roles_set",
        Target::User(user.id),
        json!({ "before": grants_json(&before), "after": grants_json(&requested) }),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Refuses a change that would leave the platform without an active platform administrator
/// (only shell access, `govskills create-admin`, would bring one back): called inside the
/// transaction of a change that takes platform ADMIN away from `leaving` (removing the grant,
/// disabling the account).
///
/// It first locks every platform ADMIN grant (`UPDATE role_grants SET role = role WHERE role =
/// 'ADMIN' AND org_unit_id IS NULL`), so two administrators removing each other at the same moment
/// are ordered: on PostgreSQL the second waits for the first to commit, and its count (read
/// committed: a new statement sees the committed change) then finds nobody left; on SQLite the
/// `BEGIN IMMEDIATE` of [`crate::db::begin`] already orders the two writers.
pub(crate) async fn keep_a_platform_admin(
    txn: &impl ConnectionTrait,
    leaving: Uuid,
    field: &'static str,
) -> Result<()> {
    let platform_admins = || {
        Condition::all()
            .add(role_grant::Column::Role.eq(Role::Admin))
            .add(role_grant::Column::OrgUnitId.is_null())
    };
    role_grant::Entity::update_many()
        .col_expr(
            role_grant::Column::Role,
            Expr::col(role_grant::Column::Role),
        )
        .filter(platform_admins())
        .exec(txn)
        .await?;
    let others = role_grant::Entity::find()
        .join(JoinType::InnerJoin, role_grant::Relation::User.def())
        .filter(platform_admins())
        .filter(user::Column::Status.eq(UserStatus::Active))
        .filter(role_grant::Column::UserId.ne(leaving))
        .count(txn)
        .await?;
    if others == 0 {
        return Err(Error::Conflict {
            field,
            message: "this would leave no active platform administrator; \
                      make someone else a platform administrator first"
                .into(),
        });
    }
    Ok(())
}

fn require_platform_admin(actor: &Actor) -> Result<()> {
    if actor.is_platform(Role::Admin) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "only a platform administrator can grant or remove platform-wide roles",
        ))
    }
}

/// The result of [`update_user`]: the account, and whether its sessions must end now.
#[derive(Debug)]
pub struct UpdatedUser {
    pub user: user::Model,
    pub end_sessions: bool,
}

/// Renames, moves, disables or re-enables an account. Moving needs the administrator to cover
/// both the current and the destination unit.
pub async fn update_user(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    update: UserUpdate,
) -> Result<UpdatedUser> {
    let (user, _) = find_managed(db, actor, user_id).await?;
    let display_name = update
        .display_name
        .map(|name| Name::parse(&name, "displayName"))
        .transpose()?;
    if let Some(unit_id) = update.org_unit_id {
        let unit = org::find(db, unit_id).await?;
        actor.require_covers(Role::Admin, &unit.path, "the destination org unit")?;
    }
    if update.status == Some(UserStatus::Disabled) && user.id == actor.id() {
        return Err(Error::Conflict {
            field: "status",
            message: "you cannot disable your own account".into(),
        });
    }

    let mut changes = serde_json::Map::new();
    let mut model = user::ActiveModel {
        id: Set(user.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(name) = display_name {
        changes.insert("displayName".into(), json!(true));
        let name = name.into_inner();
        model.search_text = Set(search_text(&name, &user.email));
        model.display_name = Set(name);
    }
    if let Some(unit_id) = update.org_unit_id.filter(|id| *id != user.org_unit_id) {
        changes.insert(
            "orgUnitId".into(),
            json!({ "from": user.org_unit_id, "to": unit_id }),
        );
        model.org_unit_id = Set(unit_id);
    }
    let end_sessions = update.status == Some(UserStatus::Disabled);
    if let Some(status) = update.status.filter(|status| *status != user.status) {
        changes.insert("status".into(), json!(status_name(status)));
        model.status = Set(status);
        model.disabled_at = Set((status == UserStatus::Disabled).then(Utc::now));
    }

    let txn = crate::db::begin(db).await?;
    if end_sessions && user.status == UserStatus::Active {
        let is_platform_admin = auth::load_grants(&txn, user.id)
            .await?
            .iter()
            .any(|grant| grant.role == Role::Admin && grant.scope == Scope::Platform);
        if is_platform_admin {
            keep_a_platform_admin(&txn, user.id, "status").await?;
        }
    }
    let user = model.update(&txn).await?;
    if changes.contains_key("orgUnitId") || changes.contains_key("status") {
        // Now in a unit a rollout affects, or active again: its training.
        crate::rollouts::on_staff_changed(&txn, Some(actor.id()), user.id, Utc::now()).await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "user.updated",
        Target::User(user.id),
        serde_json::Value::Object(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(UpdatedUser { user, end_sessions })
}

fn status_name(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "active",
        UserStatus::Disabled => "disabled",
    }
}

/// The role grants of many users at once (for batch loading).
pub async fn grants_of_users(
    db: &impl ConnectionTrait,
    user_ids: &[Uuid],
) -> Result<Vec<role_grant::Model>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(role_grant::Entity::find()
        .filter(role_grant::Column::UserId.is_in(user_ids.iter().copied()))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dids_follow_the_did_core_syntax() {
        for did in [
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "did:web:skills.example:users:lena",
            "did:example:123%3A456",
        ] {
            assert!(is_did(did), "{did}");
        }
        for not in [
            "did:",
            "did:key",
            "did::x",
            "did:KEY:x",
            "did:key:",
            "did:key:x:",
            "did:key:a b",
            "did:key:%zz",
            "mailto:lena@example.org",
        ] {
            assert!(!is_did(not), "{not}");
        }
    }
}

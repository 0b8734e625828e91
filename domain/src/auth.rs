//! Who is acting, and what their role grants let them touch.
//!
//! An [`Actor`] is loaded afresh for every request, so a role change or a disabled account takes
//! effect on the next request. Scope checks compare materialised paths: a grant held at unit U
//! covers every unit whose path starts with U's path.

use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, prelude::*};
use uuid::Uuid;

use crate::{
    Error, Result,
    entities::{org_unit, role_grant, user},
    types::Role,
};

/// Where a grant applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere: a platform operator.
    Platform,
    /// The subtree of one org unit.
    Unit { id: Uuid, path: String },
}

impl Scope {
    fn covers(&self, path: &str) -> bool {
        match self {
            Self::Platform => true,
            Self::Unit { path: own, .. } => path.starts_with(own.as_str()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

impl Grant {
    /// The org unit the grant is held at; `None` for a platform-wide grant.
    pub fn unit_id(&self) -> Option<Uuid> {
        match &self.scope {
            Scope::Platform => None,
            Scope::Unit { id, .. } => Some(*id),
        }
    }
}

/// A signed-in, active user with their grants.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: user::Model,
    /// The user's own org unit (its materialised path decides what the catalogue shows).
    pub unit: org_unit::Model,
    pub grants: Vec<Grant>,
}

impl Actor {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    /// Whether one of the actor's grants of `role` covers the unit at `path`.
    pub fn covers(&self, role: Role, path: &str) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.role == role && grant.scope.covers(path))
    }

    /// A condition on `org_units` that holds for the units a grant of `role` covers: every
    /// unit for a platform grant, the subtrees of unit grants, none without a grant.
    pub fn covered_units(&self, role: Role) -> sea_orm::Condition {
        if self.is_platform(role) {
            return sea_orm::Condition::all();
        }
        self.grants
            .iter()
            .filter(|grant| grant.role == role)
            .filter_map(|grant| match &grant.scope {
                Scope::Unit { path, .. } => Some(crate::org::in_subtree(path)),
                Scope::Platform => None,
            })
            .fold(sea_orm::Condition::any(), sea_orm::Condition::add)
    }

    pub fn holds(&self, role: Role) -> bool {
        self.grants.iter().any(|grant| grant.role == role)
    }

    pub fn is_platform(&self, role: Role) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.role == role && grant.scope == Scope::Platform)
    }

    /// Fails unless the actor holds `role` anywhere: the cheap first check before any lookup,
    /// so a learner learns nothing about the rows they asked for.
    pub fn require_role(&self, role: Role) -> Result<()> {
        if self.holds(role) {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "this needs the {} role",
                role_name(role)
            )))
        }
    }

    /// Fails unless a grant of `role` covers the unit at `path`.
    pub fn require_covers(&self, role: Role, path: &str, what: &str) -> Result<()> {
        if self.covers(role, path) {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "your {} role does not cover {what}",
                role_name(role)
            )))
        }
    }

    /// Path prefixes of every authority (top-level unit) the actor belongs to or holds a grant
    /// in; `None` for a platform-wide grant, which sees everything.
    pub fn authority_prefixes(&self) -> Option<Vec<String>> {
        let mut prefixes = vec![crate::org::authority_prefix(&self.unit.path).to_owned()];
        for grant in &self.grants {
            match &grant.scope {
                Scope::Platform => return None,
                Scope::Unit { path, .. } => {
                    prefixes.push(crate::org::authority_prefix(path).to_owned());
                }
            }
        }
        prefixes.sort();
        prefixes.dedup();
        Some(prefixes)
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Trainer => "TRAINER",
        Role::Hr => "HR",
        Role::Admin => "ADMIN",
    }
}

/// Loads the actor for a session's user: `None` when the account is gone or disabled. One
/// statement, since every signed-in request starts with it: the user with their unit,
/// and their grants with their units' paths, one row per grant (one row without any).
pub async fn load_actor(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<Actor>> {
    use sea_orm::{
        FromQueryResult, Iterable as _,
        sea_query::{Alias, Expr, ExprTrait as _, JoinType, Query},
    };
    let (unit, held, held_unit) = (
        Alias::new("unit"),
        Alias::new("held"),
        Alias::new("held_unit"),
    );
    let mut query = Query::select();
    for column in user::Column::iter() {
        query.expr_as(
            Expr::col((user::Entity, column)),
            Alias::new(format!("u_{}", column.as_str())),
        );
    }
    for column in org_unit::Column::iter() {
        query.expr_as(
            Expr::col((unit.clone(), column)),
            Alias::new(format!("o_{}", column.as_str())),
        );
    }
    query
        .expr_as(
            Expr::col((held.clone(), role_grant::Column::Id)),
            Alias::new("grant_id"),
        )
        .expr_as(
            Expr::col((held.clone(), role_grant::Column::Role)),
            Alias::new("grant_role"),
        )
        .expr_as(
            Expr::col((held.clone(), role_grant::Column::OrgUnitId)),
            Alias::new("grant_unit_id"),
        )
        .expr_as(
            Expr::col((held_unit.clone(), org_unit::Column::Path)),
            Alias::new("grant_path"),
        )
        .from(user::Entity)
        .join_as(
            JoinType::InnerJoin,
            org_unit::Entity,
            unit.clone(),
            Expr::col((unit, org_unit::Column::Id)).equals((user::Entity, user::Column::OrgUnitId)),
        )
        .join_as(
            JoinType::LeftJoin,
            role_grant::Entity,
            held.clone(),
            Expr::col((held.clone(), role_grant::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .join_as(
            JoinType::LeftJoin,
            org_unit::Entity,
            held_unit.clone(),
            Expr::col((held_unit, org_unit::Column::Id))
                .equals((held, role_grant::Column::OrgUnitId)),
        )
        .and_where(Expr::col((user::Entity, user::Column::Id)).eq(user_id));
    let rows = db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let user = user::Model::from_query_result(first, "u_")?;
    if user.status != user::UserStatus::Active {
        return Ok(None);
    }
    let unit = org_unit::Model::from_query_result(first, "o_")?;
    let mut grants = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(id) = row.try_get::<Option<Uuid>>("", "grant_id")? else {
            continue;
        };
        grants.push(grant(
            id,
            row.try_get("", "grant_role")?,
            row.try_get("", "grant_unit_id")?,
            row.try_get("", "grant_path")?,
        )?);
    }
    Ok(Some(Actor { user, unit, grants }))
}

/// The grants of one user, with the paths of the units they are held at.
pub async fn load_grants(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Grant>> {
    let rows = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(user_id))
        .find_also_related(org_unit::Entity)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(row, unit)| {
            grant(
                row.id,
                row.role,
                row.org_unit_id,
                unit.map(|unit| unit.path),
            )
        })
        .collect()
}

/// Grant `id` of `role`, held at the unit `unit_id` whose path is `path` (read by a join), or
/// platform-wide without a unit. A unit id whose unit was not found is our fault: `Internal`.
fn grant(id: Uuid, role: Role, unit_id: Option<Uuid>, path: Option<String>) -> Result<Grant> {
    let scope = match (unit_id, path) {
        (None, _) => Scope::Platform,
        (Some(id), Some(path)) => Scope::Unit { id, path },
        (Some(unit), None) => {
            return Err(Error::Internal(anyhow::anyhow!(
                "role grant {id} refers to missing org unit {unit}"
            )));
        }
    };
    Ok(Grant { role, scope })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(grants: Vec<Grant>) -> Actor {
        Actor {
            user: user::Model {
                id: Uuid::nil(),
                email: "a@b.example".into(),
                display_name: "A".into(),
                password_hash: String::new(),
                org_unit_id: Uuid::nil(),
                status: user::UserStatus::Active,
                created_at: chrono::Utc::now(),
                updated_at: chrono::Utc::now(),
                search_text: String::new(),
                external_id: None,
                user_name: None,
                deprovisioned_at: None,
                wallet_did: None,
                locale: None,
                erased_at: None,
                disabled_at: None,
            },
            unit: org_unit::Model {
                id: Uuid::nil(),
                parent_id: None,
                name: "A".into(),
                path: "/r/a/".into(),
                depth: 1,
                created_at: chrono::Utc::now(),
                external_id: None,
            },
            grants,
        }
    }

    fn at(role: Role, path: &str) -> Grant {
        Grant {
            role,
            scope: Scope::Unit {
                id: Uuid::nil(),
                path: path.into(),
            },
        }
    }

    #[test]
    fn a_unit_grant_covers_its_subtree_only() {
        let admin = actor(vec![at(Role::Admin, "/r/a/")]);
        assert!(admin.covers(Role::Admin, "/r/a/"));
        assert!(admin.covers(Role::Admin, "/r/a/b/"));
        assert!(!admin.covers(Role::Admin, "/r/"));
        assert!(!admin.covers(Role::Admin, "/r/ab/"));
        assert!(!admin.covers(Role::Hr, "/r/a/"));
    }

    #[test]
    fn a_platform_grant_covers_everything() {
        let admin = actor(vec![Grant {
            role: Role::Admin,
            scope: Scope::Platform,
        }]);
        assert!(admin.covers(Role::Admin, "/x/y/"));
        assert_eq!(admin.authority_prefixes(), None);
    }

    #[test]
    fn authority_prefixes_include_own_and_granted_authorities() {
        let hr = actor(vec![at(Role::Hr, "/s/t/")]);
        assert_eq!(
            hr.authority_prefixes(),
            Some(vec!["/r/".to_owned(), "/s/".to_owned()])
        );
    }
}

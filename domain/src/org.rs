//! The organisation tree.
//!
//! Each unit stores a materialised path `/<root>/<child>/.../<self>/` of simple-form UUIDs, so a
//! subtree is one indexed prefix scan (`path LIKE '/r/a/%'`) on SQLite and PostgreSQL alike, and
//! "is X inside Y" is a string prefix test. Top-level units are separate authorities: nothing of
//! one is shown to another unless shared on purpose.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
    sea_query::{BinOper, Expr, ExprTrait, Func},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    entities::org_unit,
    types::{Name, Role},
};

/// A filter for every unit in the subtree whose root has `path` (the root included).
///
/// A range rather than `LIKE 'path%'`, so that both engines use the path index: paths hold
/// only `[0-9a-f/]` and compare bytewise (the column has the "C" collation on PostgreSQL), so
/// every descendant of `/r/a/` sorts in `['/r/a/', '/r/a0')`.
pub fn in_subtree(path: &str) -> Condition {
    let upper = format!("{}0", path.trim_end_matches('/'));
    Condition::all()
        .add(org_unit::Column::Path.gte(path))
        .add(org_unit::Column::Path.lt(upper))
}

/// The path prefix of the authority (top-level unit) that `path` lies in.
pub fn authority_prefix(path: &str) -> &str {
    // "/<root>/..." : the root segment ends at the second slash.
    match path.get(1..).and_then(|rest| rest.find('/')) {
        Some(end) => &path[..end + 2],
        None => path,
    }
}

/// The id of the authority (top-level unit) that `path` lies in.
pub fn authority_id(path: &str) -> Result<Uuid> {
    let root = authority_prefix(path).trim_matches('/');
    Uuid::parse_str(root)
        .map_err(|_| Error::Internal(anyhow::anyhow!("org unit path {path:?} has no root id")))
}

/// The authority (a top-level unit) `org_unit_id` names, which `actor` administers (an
/// `ADMIN` grant covering it, or platform-wide); `what` says what belongs to an authority, for
/// the error when the unit is not a top-level one.
pub async fn administered_authority(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Uuid,
    what: &str,
) -> Result<org_unit::Model> {
    actor.require_role(Role::Admin)?;
    let unit = find(db, org_unit_id).await?;
    actor.require_covers(Role::Admin, &unit.path, "that authority")?;
    if unit.parent_id.is_some() {
        return Err(Error::invalid(
            "orgUnitId",
            format!("{what} belongs to an authority: name its top-level org unit"),
        ));
    }
    Ok(unit)
}

/// The ids of the units on `path`, from the root down to the unit itself.
pub fn ids_on_path(path: &str) -> Vec<Uuid> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .filter_map(|segment| Uuid::parse_str(segment).ok())
        .collect()
}

fn child_path(parent: Option<&org_unit::Model>, id: Uuid) -> String {
    let parent_path = parent.map_or("/", |parent| parent.path.as_str());
    format!("{parent_path}{}/", id.simple())
}

/// Inserts a unit without any permission check: for services that checked already, the demo
/// data and the operator's command line.
pub async fn insert(
    db: &impl ConnectionTrait,
    parent: Option<&org_unit::Model>,
    name: Name,
) -> Result<org_unit::Model> {
    let id = Uuid::new_v4();
    let unit = org_unit::ActiveModel {
        id: Set(id),
        parent_id: Set(parent.map(|parent| parent.id)),
        name: Set(name.into_inner()),
        path: Set(child_path(parent, id)),
        depth: Set(parent.map_or(0, |parent| parent.depth + 1)),
        created_at: Set(Utc::now()),
        external_id: Set(None),
    }
    .insert(db)
    .await?;
    Ok(unit)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<org_unit::Model> {
    org_unit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("org unit"))
}

/// Units by id, for batch loading; missing ids are simply absent.
pub async fn find_many(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<org_unit::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

async fn ensure_unique_sibling_name(
    db: &impl ConnectionTrait,
    parent_id: Option<Uuid>,
    name: &Name,
) -> Result<()> {
    let siblings = org_unit::Entity::find().filter(match parent_id {
        Some(parent) => org_unit::Column::ParentId.eq(parent),
        None => org_unit::Column::ParentId.is_null(),
    });
    let wanted = name.clone().into_inner().to_lowercase();
    let clash = siblings
        .all(db)
        .await?
        .into_iter()
        .any(|sibling| sibling.name.to_lowercase() == wanted);
    if clash {
        return Err(Error::Conflict {
            field: "name",
            message: "a unit with this name already exists at this place in the tree".into(),
        });
    }
    Ok(())
}

/// Creates a unit under `parent_id`, or a new authority when there is none (platform
/// administrators only). An authority's administrator creates units inside their subtree.
/// `external_id`, when given, must be unique within the authority.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    parent_id: Option<Uuid>,
    external_id: Option<&str>,
) -> Result<org_unit::Model> {
    actor.require_role(Role::Admin)?;
    let name = Name::parse(name, "name")?;
    let external_id = external_id.map(parse_external_id).transpose()?;
    let parent = match parent_id {
        None if !actor.is_platform(Role::Admin) => {
            return Err(Error::forbidden(
                "only a platform administrator can create a top-level authority",
            ));
        }
        None => None,
        Some(parent_id) => {
            let parent = find(db, parent_id).await?;
            actor.require_covers(Role::Admin, &parent.path, "the parent org unit")?;
            Some(parent)
        }
    };
    let txn = crate::db::begin(db).await?;
    ensure_unique_sibling_name(&txn, parent_id, &name).await?;
    let mut unit = insert(&txn, parent.as_ref(), name).await?;
    if let Some(external_id) = external_id {
        ensure_unique_external_id(&txn, authority_prefix(&unit.path), &external_id, unit.id)
            .await?;
        unit = org_unit::ActiveModel {
            id: Set(unit.id),
            external_id: Set(Some(external_id)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "org_unit.created",
        Target::OrgUnit(unit.id),
        json!({ "name": unit.name, "parentId": unit.parent_id, "externalId": unit.external_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(unit)
}

/// An external id follows the rules of a name: 1 to 200 characters after trimming, nothing
/// invisible.
fn parse_external_id(raw: &str) -> Result<String> {
    Ok(Name::parse(raw, "externalId")?.into_inner())
}

/// Refuses an external id another unit of the authority (`authority_path`) already has.
///
/// First touches the authority's top-level row (`UPDATE org_units SET name = name WHERE path =
/// ..`), so two administrators giving units of one authority the same id at once are ordered
/// (on SQLite `BEGIN IMMEDIATE` already orders them), and the second sees the first's unit.
async fn ensure_unique_external_id(
    txn: &impl ConnectionTrait,
    authority_path: &str,
    external_id: &str,
    own_id: Uuid,
) -> Result<()> {
    org_unit::Entity::update_many()
        .col_expr(org_unit::Column::Name, Expr::col(org_unit::Column::Name))
        .filter(org_unit::Column::Path.eq(authority_path))
        .exec(txn)
        .await?;
    if let Some(other) = find_by_external_id(txn, authority_path, external_id).await?
        && other.id != own_id
    {
        return Err(Error::Conflict {
            field: "externalId",
            message: "another unit of this authority already has this external id".into(),
        });
    }
    Ok(())
}

/// The unit of the authority whose top-level unit has the materialised path `authority_path`
/// (see [`authority_prefix`]) that carries `external_id` (compared exactly, after trimming), if
/// any. Unchecked: for SCIM provisioning and identity-provider sign-in, which have decided the
/// authority already.
pub async fn find_by_external_id(
    db: &impl ConnectionTrait,
    authority_path: &str,
    external_id: &str,
) -> Result<Option<org_unit::Model>> {
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::ExternalId.eq(external_id.trim()))
        .filter(in_subtree(authority_path))
        .one(db)
        .await?)
}

/// Renames a unit and sets or clears its external id (ADMIN of the unit). `None` leaves a
/// field as it is; `Some(None)` clears the external id.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: Uuid,
    name: Option<&str>,
    external_id: Option<Option<&str>>,
) -> Result<org_unit::Model> {
    actor.require_role(Role::Admin)?;
    let unit = find(db, unit_id).await?;
    actor.require_covers(Role::Admin, &unit.path, "this org unit")?;
    let name = name.map(|name| Name::parse(name, "name")).transpose()?;
    let external_id = external_id
        .map(|id| id.map(parse_external_id).transpose())
        .transpose()?;
    let txn = crate::db::begin(db).await?;
    let mut model = org_unit::ActiveModel {
        id: Set(unit.id),
        ..Default::default()
    };
    let mut changes = serde_json::Map::new();
    if let Some(name) = name.filter(|name| name.clone().into_inner() != unit.name) {
        let text = name.clone().into_inner();
        if text.to_lowercase() != unit.name.to_lowercase() {
            ensure_unique_sibling_name(&txn, unit.parent_id, &name).await?;
        }
        changes.insert("name".into(), json!({ "from": unit.name, "to": text }));
        model.name = Set(text);
    }
    if let Some(external_id) = external_id.filter(|id| *id != unit.external_id) {
        if let Some(wanted) = &external_id {
            ensure_unique_external_id(&txn, authority_prefix(&unit.path), wanted, unit.id).await?;
        }
        changes.insert(
            "externalId".into(),
            json!({ "from": unit.external_id, "to": external_id }),
        );
        model.external_id = Set(external_id);
    }
    if changes.is_empty() {
        return Ok(unit);
    }
    let unit = model.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "org_unit.updated",
        Target::OrgUnit(unit.id),
        serde_json::Value::Object(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(unit)
}

/// The top-level unit called `name`, created when missing (operator tools and demo data).
pub async fn find_or_create_authority(
    db: &impl ConnectionTrait,
    name: Name,
) -> Result<org_unit::Model> {
    let existing = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.is_null())
        .filter(org_unit::Column::Name.eq(name.clone().into_inner()))
        .one(db)
        .await?;
    match existing {
        Some(unit) => Ok(unit),
        None => insert(db, None, name).await,
    }
}

/// The child of `parent` called `name`, created when missing (demo data).
pub async fn find_or_create_child(
    db: &impl ConnectionTrait,
    parent: &org_unit::Model,
    name: Name,
) -> Result<org_unit::Model> {
    let existing = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(parent.id))
        .filter(org_unit::Column::Name.eq(name.clone().into_inner()))
        .one(db)
        .await?;
    match existing {
        Some(unit) => Ok(unit),
        None => insert(db, Some(parent), name).await,
    }
}

/// Moves a unit (with its subtree) under another parent. The actor must administer both the
/// unit and the place it moves to; a unit cannot move into its own subtree.
pub async fn move_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    unit_id: Uuid,
    new_parent_id: Uuid,
) -> Result<org_unit::Model> {
    actor.require_role(Role::Admin)?;
    let unit = find(db, unit_id).await?;
    actor.require_covers(Role::Admin, &unit.path, "this org unit")?;
    if unit.parent_id.is_none() && !actor.is_platform(Role::Admin) {
        return Err(Error::forbidden(
            "only a platform administrator can move a top-level authority",
        ));
    }
    let new_parent = find(db, new_parent_id).await?;
    actor.require_covers(Role::Admin, &new_parent.path, "the destination org unit")?;
    if new_parent.path.starts_with(&unit.path) {
        return Err(Error::invalid(
            "newParentId",
            "a unit cannot move under itself or one of its own sub-units",
        ));
    }
    if unit.parent_id == Some(new_parent.id) {
        return Ok(unit);
    }

    let new_path = child_path(Some(&new_parent), unit.id);
    let depth_delta = new_parent.depth + 1 - unit.depth;
    let txn = crate::db::begin(db).await?;
    ensure_unique_sibling_name(&txn, Some(new_parent.id), &Name::parse(&unit.name, "name")?)
        .await?;
    // One statement rewrites the whole subtree: the new prefix plus each path's old tail.
    let old_len = i32::try_from(unit.path.len()).map_err(anyhow::Error::from)?;
    org_unit::Entity::update_many()
        .col_expr(
            org_unit::Column::Path,
            // Built, not written as custom SQL: a custom `$1` is no placeholder for SQLite's
            // query builder, which bound the wrong values and left every moved path broken.
            Expr::val(new_path).binary(
                BinOper::Custom("||"),
                Func::cust("SUBSTR")
                    .arg(Expr::col(org_unit::Column::Path))
                    .arg(old_len + 1),
            ),
        )
        .col_expr(
            org_unit::Column::Depth,
            Expr::col(org_unit::Column::Depth).add(depth_delta),
        )
        .filter(in_subtree(&unit.path))
        .exec(&txn)
        .await?;
    let moved = org_unit::ActiveModel {
        id: Set(unit.id),
        parent_id: Set(Some(new_parent.id)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "org_unit.moved",
        Target::OrgUnit(unit.id),
        json!({ "from": unit.parent_id, "to": new_parent.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(moved)
}

/// The units the actor may see: every unit of their own authority and of authorities they hold
/// a grant in; everything for a platform-wide grant. Ordered as a depth-first walk of the tree.
pub async fn list_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<org_unit::Model>> {
    let mut query = org_unit::Entity::find().order_by_asc(org_unit::Column::Path);
    if let Some(prefixes) = actor.authority_prefixes() {
        let mut any = Condition::any();
        for prefix in prefixes {
            any = any.add(in_subtree(&prefix));
        }
        query = query.filter(any);
    }
    Ok(query.all(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_its_units_from_the_root_down() {
        let (root, unit) = (Uuid::now_v7(), Uuid::now_v7());
        let path = child_path(None, root);
        assert_eq!(ids_on_path(&path), vec![root]);
        let path = format!("{path}{}/", unit.simple());
        assert_eq!(ids_on_path(&path), vec![root, unit]);
    }

    #[test]
    fn authority_prefix_is_the_root_segment() {
        assert_eq!(authority_prefix("/r/a/b/"), "/r/");
        assert_eq!(authority_prefix("/r/"), "/r/");
    }
}

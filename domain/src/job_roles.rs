//! Job roles: the jobs staff hold ("Caseworker", "Data steward"), the competence level each
//! requires, whether staff in it use AI systems, and which job role each person holds.
//!
//! A job role belongs to an org unit and is for the staff of that unit's subtree; one without a
//! unit is platform-wide, for staff of every authority. Administrators covering the unit manage
//! it; a platform-wide job role needs a platform administrator. A person holds at most one job
//! role, and only one that applies to their org unit.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Error, Result,
    accounts::find_managed,
    audit::{self, Target},
    auth::Actor,
    competences,
    entities::{competence, job_role, job_role_requirement, org_unit, user, user_job_role},
    org,
    types::{Name, Role},
};

/// Most required levels one job role may list; more is almost certainly a client bug.
pub const MAX_REQUIREMENTS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A required level of one competence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub competence_id: Uuid,
    pub level: i32,
}

/// What an administrator provides to create a job role.
#[derive(Debug)]
pub struct NewJobRole {
    pub name: String,
    pub description: String,
    pub uses_ai_systems: bool,
    /// The unit whose subtree the job role is for; `None`: platform-wide.
    pub org_unit_id: Option<Uuid>,
    pub requirements: Vec<Requirement>,
}

/// Changes to a job role; `None` leaves a field as it is. Requirements, when given, replace the
/// current ones.
#[derive(Debug, Default)]
pub struct JobRoleUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub uses_ai_systems: Option<bool>,
    pub requirements: Option<Vec<Requirement>>,
}

pub(crate) fn parse_description(raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            "description",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid(
            "description",
            "description must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Checks the number of requirements, then each competence and level against its framework.
async fn check_requirements(db: &impl ConnectionTrait, requirements: &[Requirement]) -> Result<()> {
    let pairs: Vec<(Uuid, i32)> = requirements
        .iter()
        .map(|r| (r.competence_id, r.level))
        .collect();
    competences::check_levels(db, "requirements", &pairs).await?;
    Ok(())
}

fn check_requirement_count(requirements: &[Requirement]) -> Result<()> {
    if requirements.len() > MAX_REQUIREMENTS {
        return Err(Error::invalid(
            "requirements",
            format!("a job role can require at most {MAX_REQUIREMENTS} competence levels"),
        ));
    }
    Ok(())
}

fn requirements_json(requirements: &[Requirement]) -> serde_json::Value {
    requirements
        .iter()
        .map(|r| json!({ "competenceId": r.competence_id, "level": r.level }))
        .collect()
}

/// Fails unless the actor administers the job role's unit (or, for a platform-wide job role, the
/// platform). Returns the unit.
async fn require_manages(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Option<Uuid>,
    what: &str,
) -> Result<Option<org_unit::Model>> {
    match org_unit_id {
        None if actor.is_platform(Role::Admin) => Ok(None),
        None => Err(Error::forbidden(
            "only a platform administrator can manage platform-wide job roles",
        )),
        Some(id) => {
            let unit = org::find(db, id).await?;
            actor.require_covers(Role::Admin, &unit.path, what)?;
            Ok(Some(unit))
        }
    }
}

/// Two job roles of one unit (or two platform-wide ones) may not share a name, whatever its case.
async fn ensure_unique_name(
    db: &impl ConnectionTrait,
    org_unit_id: Option<Uuid>,
    name: &str,
    except: Option<Uuid>,
) -> Result<()> {
    let mut query = job_role::Entity::find().filter(job_role::Column::OrgUnitId.eq(org_unit_id));
    if let Some(id) = except {
        query = query.filter(job_role::Column::Id.ne(id));
    }
    let wanted = name.to_lowercase();
    let clash = query
        .all(db)
        .await?
        .iter()
        .any(|role| role.name.to_lowercase() == wanted);
    if clash {
        return Err(Error::Conflict {
            field: "name",
            message: "a job role with this name already exists for this org unit".into(),
        });
    }
    Ok(())
}

async fn insert_requirements(
    db: &impl ConnectionTrait,
    job_role_id: Uuid,
    requirements: &[Requirement],
) -> Result<()> {
    if requirements.is_empty() {
        return Ok(());
    }
    let rows = requirements
        .iter()
        .map(|r| job_role_requirement::ActiveModel {
            job_role_id: Set(job_role_id),
            competence_id: Set(r.competence_id),
            level: Set(r.level),
        });
    job_role_requirement::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Creates a job role (ADMIN covering its org unit; platform ADMIN for a platform-wide one).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewJobRole,
) -> Result<job_role::Model> {
    actor.require_role(Role::Admin)?;
    let name = Name::parse(&input.name, "name")?.into_inner();
    let description = parse_description(&input.description)?;
    check_requirement_count(&input.requirements)?;
    require_manages(db, actor, input.org_unit_id, "that org unit").await?;
    check_requirements(db, &input.requirements).await?;

    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    ensure_unique_name(&txn, input.org_unit_id, &name, None).await?;
    let role = job_role::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_unit_id: Set(input.org_unit_id),
        name: Set(name),
        description: Set(description),
        uses_ai_systems: Set(input.uses_ai_systems),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_requirements(&txn, role.id, &input.requirements).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "job_role.created",
        Target::JobRole(role.id),
        json!({
            "name": role.name,
            "orgUnitId": role.org_unit_id,
            "usesAiSystems": role.uses_ai_systems,
            "requirements": requirements_json(&input.requirements),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(role)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<job_role::Model> {
    job_role::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("job role"))
}

/// Renames a job role, changes its description or `uses_ai_systems`, or replaces its required
/// levels (ADMIN covering the job role's org unit; platform ADMIN for a platform-wide one).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    job_role_id: Uuid,
    update: JobRoleUpdate,
) -> Result<job_role::Model> {
    actor.require_role(Role::Admin)?;
    let role = find(db, job_role_id).await?;
    require_manages(db, actor, role.org_unit_id, "this job role's org unit").await?;
    let name = update
        .name
        .map(|name| Name::parse(&name, "name").map(Name::into_inner))
        .transpose()?;
    let description = update
        .description
        .as_deref()
        .map(parse_description)
        .transpose()?;
    if let Some(requirements) = &update.requirements {
        check_requirement_count(requirements)?;
        check_requirements(db, requirements).await?;
    }

    let mut changes = serde_json::Map::new();
    let mut model = job_role::ActiveModel {
        id: Set(role.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let renamed = name.filter(|name| *name != role.name);
    if let Some(name) = &renamed {
        changes.insert("name".into(), json!({ "from": role.name, "to": name }));
        model.name = Set(name.clone());
    }
    if let Some(description) = description.filter(|d| *d != role.description) {
        changes.insert("description".into(), json!(true));
        model.description = Set(description);
    }
    if let Some(uses) = update
        .uses_ai_systems
        .filter(|u| *u != role.uses_ai_systems)
    {
        changes.insert("usesAiSystems".into(), json!(uses));
        model.uses_ai_systems = Set(uses);
    }

    let txn = crate::db::begin(db).await?;
    if let Some(name) = &renamed {
        ensure_unique_name(&txn, role.org_unit_id, name, Some(role.id)).await?;
    }
    let updated = model.update(&txn).await?;
    if let Some(requirements) = &update.requirements {
        job_role_requirement::Entity::delete_many()
            .filter(job_role_requirement::Column::JobRoleId.eq(role.id))
            .exec(&txn)
            .await?;
        insert_requirements(&txn, role.id, requirements).await?;
        changes.insert("requirements".into(), requirements_json(requirements));
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "job_role.updated",
        Target::JobRole(role.id),
        serde_json::Value::Object(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Whether the actor may see a job role held at the unit with `unit_path`: the test
/// [`list_visible`] makes in SQL. (Platform-wide job roles are visible to everyone.)
fn visible_to(actor: &Actor, unit_path: &str) -> bool {
    actor.authority_prefixes().is_none_or(|prefixes| {
        prefixes
            .iter()
            .any(|prefix| unit_path.starts_with(prefix.as_str()))
    })
}

/// The job roles the actor may see: those of units in their own authority and in authorities
/// they hold a grant in, and the platform-wide ones; every job role for a platform-wide grant.
/// Ordered by name.
pub async fn list_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<job_role::Model>> {
    let mut query = job_role::Entity::find()
        .order_by_asc(job_role::Column::Name)
        .order_by_asc(job_role::Column::Id);
    if let Some(prefixes) = actor.authority_prefixes() {
        let mut authorities = Condition::any();
        for prefix in prefixes {
            authorities = authorities.add(org::in_subtree(&prefix));
        }
        let units = org_unit::Entity::find()
            .select_only()
            .column(org_unit::Column::Id)
            .filter(authorities)
            .into_query();
        query = query.filter(
            Condition::any()
                .add(job_role::Column::OrgUnitId.is_null())
                .add(job_role::Column::OrgUnitId.in_subquery(units)),
        );
    }
    Ok(query.all(db).await?)
}

/// Sets (`Some`) or clears (`None`) a user's job role (ADMIN covering the user's org unit). The
/// job role must apply to the user: platform-wide, or held at a unit whose subtree contains the
/// user's unit. A job role the actor cannot see is reported as not existing.
pub async fn assign(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    job_role_id: Option<Uuid>,
) -> Result<user::Model> {
    let (user, user_unit) = find_managed(db, actor, user_id).await?;
    if let Some(id) = job_role_id {
        let unknown = || Error::invalid("jobRoleId", format!("job role {id} does not exist"));
        let role = job_role::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(unknown)?;
        if let Some(unit_id) = role.org_unit_id {
            let unit = org::find(db, unit_id).await?;
            if !visible_to(actor, &unit.path) {
                return Err(unknown());
            }
            if !user_unit.path.starts_with(&unit.path) {
                return Err(Error::invalid(
                    "jobRoleId",
                    format!(
                        "job role \"{}\" is for staff of {} and its sub-units; this user's org unit \
                         {} is outside it",
                        role.name, unit.name, user_unit.name
                    ),
                ));
            }
        }
    }

    let current = user_job_role::Entity::find_by_id(user.id).one(db).await?;
    let before = current.as_ref().map(|held| held.job_role_id);
    if before == job_role_id {
        return Ok(user);
    }
    let txn = crate::db::begin(db).await?;
    match job_role_id {
        Some(id) => {
            // An upsert, so two administrators assigning at once cannot trip the primary key.
            user_job_role::Entity::insert(user_job_role::ActiveModel {
                user_id: Set(user.id),
                job_role_id: Set(id),
                assigned_at: Set(Utc::now()),
                assigned_by: Set(Some(actor.id())),
            })
            .on_conflict(
                OnConflict::column(user_job_role::Column::UserId)
                    .update_columns([
                        user_job_role::Column::JobRoleId,
                        user_job_role::Column::AssignedAt,
                        user_job_role::Column::AssignedBy,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        None => {
            user_job_role::Entity::delete_many()
                .filter(user_job_role::Column::UserId.eq(user.id))
                .exec(&txn)
                .await?;
        }
    }
    // Starting to deal with the AI systems the job role is linked to: their required courses.
    let ai_assigned = match job_role_id {
        Some(id) => {
            crate::ai_register::on_job_role_assigned(
                &txn,
                Some(actor.id()),
                user.id,
                id,
                Utc::now(),
            )
            .await?
        }
        None => 0,
    };
    // Now in a job role a rollout affects: its training.
    let rollout_assigned = match job_role_id {
        Some(_) => {
            crate::rollouts::on_staff_changed(&txn, Some(actor.id()), user.id, Utc::now()).await?
        }
        None => 0,
    };
    audit::record(
        &txn,
        Some(actor.id()),
        "user.job_role_set",
        Target::User(user.id),
        json!({ "before": before, "after": job_role_id, "aiCoursesAssigned": ai_assigned, "rolloutCoursesAssigned": rollout_assigned }),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// The job role each of many users holds, in one statement (for batch loading): `(user id,
/// job role)`; users without one are absent.
pub async fn held_by(
    db: &impl ConnectionTrait,
    user_ids: &[Uuid],
) -> Result<Vec<(Uuid, job_role::Model)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let role = user_job_role::Entity::belongs_to(job_role::Entity)
        .from(user_job_role::Column::JobRoleId)
        .to(job_role::Column::Id)
        .into();
    let rows = user_job_role::Entity::find()
        .select_also(job_role::Entity)
        .join(JoinType::InnerJoin, role)
        .filter(user_job_role::Column::UserId.is_in(user_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(held, role)| role.map(|role| (held.user_id, role)))
        .collect())
}

/// Job roles by id, for batch loading; missing ids are simply absent.
pub async fn job_roles_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<job_role::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(job_role::Entity::find()
        .filter(job_role::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The required levels of the job role `user_id` holds (none without one), in no order.
pub async fn requirements_of_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<job_role_requirement::Model>> {
    Ok(job_role_requirement::Entity::find()
        .filter(
            job_role_requirement::Column::JobRoleId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(user_job_role::Column::JobRoleId)
                    .from(user_job_role::Entity)
                    .and_where(user_job_role::Column::UserId.eq(user_id))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?)
}

/// The required levels of many job roles, each job role's in its frameworks' competence order.
pub async fn requirements_of(
    db: &impl ConnectionTrait,
    job_role_ids: &[Uuid],
) -> Result<Vec<job_role_requirement::Model>> {
    if job_role_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(job_role_requirement::Entity::find()
        .inner_join(competence::Entity)
        .filter(job_role_requirement::Column::JobRoleId.is_in(job_role_ids.iter().copied()))
        .order_by_asc(competence::Column::FrameworkId)
        .order_by_asc(competence::Column::Position)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_trimmed_keep_line_breaks_and_are_bounded() {
        assert_eq!(
            parse_description("  Line one\n\tLine two  ").expect("valid"),
            "Line one\n\tLine two"
        );
        assert!(parse_description(&"x".repeat(MAX_DESCRIPTION_CHARS)).is_ok());
        assert!(parse_description(&"ä".repeat(MAX_DESCRIPTION_CHARS + 1)).is_err());
        assert!(parse_description("bell \u{7}").is_err());
    }
}

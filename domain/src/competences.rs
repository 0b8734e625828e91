//! Competence frameworks (DigComp 2.2 built in, more added by platform administrators), their
//! areas, competences and proficiency levels.
//!
//! Frameworks are reference data shared by every authority. A competence is never deleted while
//! anything refers to it; it is archived, after which nothing new may refer to it.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    DbResultExt, Error, Result,
    audit::{self, Target},
    auth::Actor,
    entities::{competence, competence_area, competence_framework, proficiency_level},
    types::{Name, Role},
};

/// Most proficiency levels a framework may define.
pub const MAX_LEVELS: i32 = 20;

pub async fn list_frameworks(
    db: &impl ConnectionTrait,
) -> Result<Vec<competence_framework::Model>> {
    Ok(competence_framework::Entity::find()
        .order_by_asc(competence_framework::Column::Code)
        .order_by_asc(competence_framework::Column::Version)
        .all(db)
        .await?)
}

/// The platform's default framework, DigComp 2.2 (code and version), shipped by the
/// migrations: every competence profile shows it, so a learner with no job role and no results
/// still sees what they could rate themselves on.
pub const DEFAULT_FRAMEWORK: (&str, &str) = ("DIGCOMP", "2.2");

/// The default framework ([`DEFAULT_FRAMEWORK`]); `None` only if someone removed it.
pub async fn default_framework(
    db: &impl ConnectionTrait,
) -> Result<Option<competence_framework::Model>> {
    Ok(competence_framework::Entity::find()
        .filter(is_default_framework())
        .one(db)
        .await?)
}

/// The default framework's row, as a condition on `competence_frameworks`.
fn is_default_framework() -> Condition {
    let (code, version) = DEFAULT_FRAMEWORK;
    Condition::all()
        .add(competence_framework::Column::Code.eq(code))
        .add(competence_framework::Column::Version.eq(version))
}

/// The competences a competence profile shows: every competence of the default framework and
/// of the frameworks of `competence_ids` (those the person's job role requires and those they
/// have results for), archived ones included, areas in their order, competences in area order;
/// one statement.
pub async fn competences_in_use(
    db: &impl ConnectionTrait,
    competence_ids: &[Uuid],
) -> Result<Vec<competence::Model>> {
    let mut frameworks = Condition::any().add(is_default_framework());
    if !competence_ids.is_empty() {
        frameworks = frameworks.add(
            competence_framework::Column::Id.in_subquery(
                Query::select()
                    .column(competence::Column::FrameworkId)
                    .from(competence::Entity)
                    .and_where(competence::Column::Id.is_in(competence_ids.iter().copied()))
                    .to_owned(),
            ),
        );
    }
    let in_use = Query::select()
        .column(competence_framework::Column::Id)
        .from(competence_framework::Entity)
        .cond_where(frameworks)
        .to_owned();
    let area = competence::Entity::belongs_to(competence_area::Entity)
        .from(competence::Column::AreaId)
        .to(competence_area::Column::Id)
        .into();
    Ok(competence::Entity::find()
        .join(JoinType::InnerJoin, area)
        .filter(competence_area::Column::FrameworkId.in_subquery(in_use))
        .order_by_asc(competence_area::Column::Position)
        .order_by_asc(competence_area::Column::FrameworkId)
        .order_by_asc(competence::Column::Position)
        .all(db)
        .await?)
}

batch!(
    /// Frameworks by id.
    frameworks_by_ids, competence_framework, Id
);

batch!(
    /// Areas by id.
    areas_by_ids, competence_area, Id
);

batch!(
    /// Competences by id.
    competences_by_ids, competence, Id
);

batch!(
    /// The levels of many frameworks, in level order.
    levels_of, proficiency_level, FrameworkId, Level
);

batch!(
    /// The areas of many frameworks, in their order.
    areas_of, competence_area, FrameworkId, Position
);

batch!(
    /// The competences of many areas, in their order (archived ones included, flagged).
    competences_of, competence, AreaId, Position
);

/// Checks that each `(competence, level)` names a current competence and a level inside its
/// framework's range, and returns the competences. `field` names the input in errors.
pub async fn check_levels(
    db: &impl ConnectionTrait,
    field: &'static str,
    levels: &[(Uuid, i32)],
) -> Result<Vec<competence::Model>> {
    let mut seen = HashSet::new();
    for (id, _) in levels {
        if !seen.insert(*id) {
            return Err(Error::invalid(
                field,
                format!("competence {id} is listed twice"),
            ));
        }
    }
    let ids: Vec<Uuid> = levels.iter().map(|(id, _)| *id).collect();
    let competences: HashMap<Uuid, competence::Model> = competences_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let framework_ids: Vec<Uuid> = competences.values().map(|c| c.framework_id).collect();
    let frameworks: HashMap<Uuid, competence_framework::Model> =
        frameworks_by_ids(db, &framework_ids)
            .await?
            .into_iter()
            .map(|f| (f.id, f))
            .collect();
    let mut checked = Vec::with_capacity(levels.len());
    for (id, level) in levels {
        let competence = competences
            .get(id)
            .ok_or_else(|| Error::invalid(field, format!("competence {id} does not exist")))?;
        if competence.archived_at.is_some() {
            return Err(Error::invalid(
                field,
                format!("competence {} is archived", competence.code),
            ));
        }
        let framework = frameworks
            .get(&competence.framework_id)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("competence {id} has no framework")))?;
        if !(1..=framework.level_count).contains(level) {
            return Err(Error::invalid(
                field,
                format!(
                    "level {level} is outside the range 1 to {} of {} {} (competence {})",
                    framework.level_count, framework.code, framework.version, competence.code
                ),
            ));
        }
        checked.push(competence.clone());
    }
    Ok(checked)
}

/// A proficiency level of a new framework.
#[derive(Debug)]
pub struct NewLevel {
    pub name: String,
    pub band: String,
    pub description: String,
}

#[derive(Debug)]
pub struct NewCompetence {
    pub code: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug)]
pub struct NewArea {
    pub code: String,
    pub name: String,
    pub competences: Vec<NewCompetence>,
}

/// A framework to add, such as an *AI literacy* framework.
#[derive(Debug)]
pub struct NewFramework {
    pub code: String,
    pub version: String,
    pub name: String,
    pub description: String,
    pub level_count: i32,
    /// Empty: levels named "Level 1" and so on; else exactly `level_count` of them.
    pub levels: Vec<NewLevel>,
    pub areas: Vec<NewArea>,
}

fn parse_code(raw: &str, field: &'static str, max: usize) -> Result<String> {
    let code = raw.trim();
    let valid = !code.is_empty()
        && code.len() <= max
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("{field} must be 1 to {max} letters, digits, '.', '-' or '_'"),
        ))
    }
}

/// Adds a framework with its levels, areas and competences (platform administrators only).
pub async fn create_framework(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewFramework,
) -> Result<competence_framework::Model> {
    if !actor.is_platform(Role::Admin) {
        return Err(Error::forbidden(
            "only a platform administrator can add competence frameworks",
        ));
    }
    let code = parse_code(&input.code, "code", 40)?.to_uppercase();
    let version = parse_code(&input.version, "version", 20)?;
    let name = Name::parse(&input.name, "name")?;
    if !(1..=MAX_LEVELS).contains(&input.level_count) {
        return Err(Error::invalid(
            "levelCount",
            format!("levelCount must be 1 to {MAX_LEVELS}"),
        ));
    }
    let level_count = usize::try_from(input.level_count).map_err(anyhow::Error::from)?;
    if !input.levels.is_empty() && input.levels.len() != level_count {
        return Err(Error::invalid(
            "levels",
            format!("give exactly {level_count} levels, or none for default names"),
        ));
    }
    if input.areas.is_empty() {
        return Err(Error::invalid(
            "areas",
            "a framework needs at least one area",
        ));
    }
    let mut area_codes = HashSet::new();
    let mut competence_codes = HashSet::new();
    for area in &input.areas {
        if !area_codes.insert(parse_code(&area.code, "areas", 20)?) {
            return Err(Error::invalid(
                "areas",
                format!("area code {} is used twice", area.code),
            ));
        }
        Name::parse(&area.name, "areas")?;
        if area.competences.is_empty() {
            return Err(Error::invalid(
                "areas",
                format!("area {} needs at least one competence", area.code),
            ));
        }
        for competence in &area.competences {
            if !competence_codes.insert(parse_code(&competence.code, "areas", 20)?) {
                return Err(Error::invalid(
                    "areas",
                    format!("competence code {} is used twice", competence.code),
                ));
            }
            Name::parse(&competence.name, "areas")?;
        }
    }

    let txn = crate::db::begin(db).await?;
    let framework = competence_framework::ActiveModel {
        id: Set(Uuid::new_v4()),
        code: Set(code),
        version: Set(version),
        name: Set(name.into_inner()),
        description: Set(input.description.trim().to_owned()),
        level_count: Set(input.level_count),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .on_unique_violation(
        "code",
        "a framework with this code and version already exists",
    )?;

    let levels: Vec<proficiency_level::ActiveModel> = (1..=input.level_count)
        .zip((0..level_count).map(|i| input.levels.get(i)))
        .map(|(level, given)| proficiency_level::ActiveModel {
            framework_id: Set(framework.id),
            level: Set(level),
            name: Set(given.map_or_else(|| format!("Level {level}"), |l| l.name.trim().to_owned())),
            band: Set(given.map(|l| l.band.trim().to_owned()).unwrap_or_default()),
            description: Set(given
                .map(|l| l.description.trim().to_owned())
                .unwrap_or_default()),
        })
        .collect();
    proficiency_level::Entity::insert_many(levels)
        .exec(&txn)
        .await?;

    let mut position = 0;
    for (area_position, area) in (1..).zip(&input.areas) {
        let area_id = Uuid::new_v4();
        competence_area::ActiveModel {
            id: Set(area_id),
            framework_id: Set(framework.id),
            code: Set(area.code.trim().to_owned()),
            name: Set(area.name.trim().to_owned()),
            position: Set(area_position),
        }
        .insert(&txn)
        .await?;
        let competences: Vec<competence::ActiveModel> = area
            .competences
            .iter()
            .map(|c| {
                position += 1;
                competence::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    framework_id: Set(framework.id),
                    area_id: Set(area_id),
                    code: Set(c.code.trim().to_owned()),
                    name: Set(c.name.trim().to_owned()),
                    description: Set(c.description.trim().to_owned()),
                    position: Set(position),
                    archived_at: Set(None),
                }
            })
            .collect();
        competence::Entity::insert_many(competences)
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "framework.created",
        Target::Framework(framework.id),
        json!({ "code": framework.code, "version": framework.version }),
    )
    .await?;
    txn.commit().await?;
    Ok(framework)
}

/// Archives a competence: it stays for everything that refers to it, and nothing new may.
pub async fn archive_competence(
    db: &DatabaseConnection,
    actor: &Actor,
    competence_id: Uuid,
) -> Result<competence::Model> {
    if !actor.is_platform(Role::Admin) {
        return Err(Error::forbidden(
            "only a platform administrator can archive competences",
        ));
    }
    let competence = competence::Entity::find_by_id(competence_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("competence"))?;
    if competence.archived_at.is_some() {
        return Ok(competence);
    }
    let txn = crate::db::begin(db).await?;
    let archived = competence::ActiveModel {
        id: Set(competence.id),
        archived_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "competence.archived",
        Target::Competence(competence.id),
        json!({ "code": competence.code }),
    )
    .await?;
    txn.commit().await?;
    Ok(archived)
}

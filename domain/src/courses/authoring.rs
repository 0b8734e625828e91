//! Creating and editing a course draft: its title, summary, language, visibility, competence
//! targets and co-authors. The draft's modules and lessons are in `structure.rs`; publishing,
//! archiving and new versions in `lifecycle.rs`.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{CourseAccess, catalogue, load_editable};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    competences,
    entities::{
        course::{self, CourseStatus, Visibility},
        course_author, course_competence, user,
    },
    org,
    types::{Name, Role},
};

/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 2_000;

/// A new course.
#[derive(Debug)]
pub struct NewCourse {
    pub title: String,
    pub summary: String,
    pub language: String,
    pub org_unit_id: Uuid,
    pub visibility: Visibility,
    /// Competences the course develops, with the level it aims for.
    pub targets: Vec<(Uuid, i32)>,
}

/// Changes to a draft's description; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct CourseUpdate {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub language: Option<String>,
    pub visibility: Option<Visibility>,
}

fn parse_summary(raw: &str) -> Result<String> {
    let summary = raw.trim();
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err(Error::invalid(
            "summary",
            format!("summary must be at most {MAX_SUMMARY_CHARS} characters"),
        ));
    }
    Ok(summary.to_owned())
}

/// A well-formed BCP 47 language tag, e.g. `de`, `de-AT`, `sr-Latn-RS`.
fn parse_language(raw: &str) -> Result<String> {
    let tag = language_tags::LanguageTag::parse(raw.trim()).map_err(|_| {
        Error::invalid(
            "language",
            "language must be a BCP 47 language tag such as en, de-AT or sr-Latn",
        )
    })?;
    Ok(tag.to_string())
}

pub(super) fn require_draft(access: &CourseAccess) -> Result<()> {
    match access.course.status {
        CourseStatus::Draft => Ok(()),
        CourseStatus::Published => Err(Error::Conflict {
            field: "courseId",
            message: "a published course does not change; create a new draft version of it".into(),
        }),
        CourseStatus::Archived => Err(Error::Conflict {
            field: "courseId",
            message: "an archived course does not change".into(),
        }),
    }
}

pub(super) async fn touch(db: &impl ConnectionTrait, course_id: Uuid) -> Result<()> {
    course::ActiveModel {
        id: Set(course_id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub(super) async fn insert_targets(
    db: &impl ConnectionTrait,
    course_id: Uuid,
    targets: &[(Uuid, i32)],
) -> Result<()> {
    if targets.is_empty() {
        return Ok(());
    }
    course_competence::Entity::insert_many(targets.iter().map(|(competence, level)| {
        course_competence::ActiveModel {
            course_id: Set(course_id),
            competence_id: Set(*competence),
            target_level: Set(*level),
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Creates a draft course owned by a unit the actor trains or administers.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewCourse,
) -> Result<course::Model> {
    if !actor.holds(Role::Trainer) && !actor.holds(Role::Admin) {
        return Err(Error::forbidden("this needs the TRAINER role"));
    }
    let title = Name::parse(&input.title, "title")?;
    let summary = parse_summary(&input.summary)?;
    let language = parse_language(&input.language)?;
    let unit = org::find(db, input.org_unit_id).await?;
    if !actor.covers(Role::Trainer, &unit.path) && !actor.covers(Role::Admin, &unit.path) {
        return Err(Error::forbidden(
            "you can create courses only for org units you train or administer",
        ));
    }
    competences::check_levels(db, "competenceTargets", &input.targets).await?;

    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let title = title.into_inner();
    let course = course::ActiveModel {
        id: Set(Uuid::now_v7()),
        search_text: Set(catalogue::search_text(&title, &summary)),
        title: Set(title),
        summary: Set(summary),
        language: Set(language),
        status: Set(CourseStatus::Draft),
        visibility: Set(input.visibility),
        owner_id: Set(actor.id()),
        org_unit_id: Set(unit.id),
        version: Set(1),
        previous_version_id: Set(None),
        published_at: Set(None),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_targets(&txn, course.id, &input.targets).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "course.created",
        Target::Course(course.id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(course)
}

/// Changes a draft's title, summary, language or visibility.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    update: CourseUpdate,
) -> Result<course::Model> {
    let access = load_editable(db, actor, course_id).await?;
    require_draft(&access)?;
    let mut model = course::ActiveModel {
        id: Set(course_id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let title = update
        .title
        .map(|title| Name::parse(&title, "title").map(Name::into_inner))
        .transpose()?;
    let summary = update.summary.as_deref().map(parse_summary).transpose()?;
    if title.is_some() || summary.is_some() {
        model.search_text = Set(catalogue::search_text(
            title.as_deref().unwrap_or(&access.course.title),
            summary.as_deref().unwrap_or(&access.course.summary),
        ));
    }
    if let Some(title) = title {
        model.title = Set(title);
    }
    if let Some(summary) = summary {
        model.summary = Set(summary);
    }
    if let Some(language) = update.language {
        model.language = Set(parse_language(&language)?);
    }
    if let Some(visibility) = update.visibility {
        model.visibility = Set(visibility);
    }
    Ok(model.update(db).await?)
}

/// Replaces the competences a draft develops and their target levels.
pub async fn set_targets(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    targets: Vec<(Uuid, i32)>,
) -> Result<course::Model> {
    let access = load_editable(db, actor, course_id).await?;
    require_draft(&access)?;
    competences::check_levels(db, "competenceTargets", &targets).await?;
    let txn = crate::db::begin(db).await?;
    course_competence::Entity::delete_many()
        .filter(course_competence::Column::CourseId.eq(course_id))
        .exec(&txn)
        .await?;
    insert_targets(&txn, course_id, &targets).await?;
    touch(&txn, course_id).await?;
    txn.commit().await?;
    Ok(access.course)
}

/// Adds a co-author (owner or administrator only); the co-author must hold `TRAINER`.
pub async fn add_co_author(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    user_id: Uuid,
) -> Result<course::Model> {
    let access = load_editable(db, actor, course_id).await?;
    if access.course.owner_id != actor.id() && !actor.covers(Role::Admin, &access.unit.path) {
        return Err(Error::forbidden(
            "only the owner or an administrator adds co-authors",
        ));
    }
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::invalid("userId", "no such user"))?;
    let grants = crate::auth::load_grants(db, user_id).await?;
    if !grants.iter().any(|grant| grant.role == Role::Trainer) {
        return Err(Error::invalid(
            "userId",
            "a co-author must hold the TRAINER role",
        ));
    }
    if user_id == access.course.owner_id || access.co_authors.contains(&user_id) {
        return Ok(access.course);
    }
    let txn = crate::db::begin(db).await?;
    course_author::ActiveModel {
        course_id: Set(course_id),
        user_id: Set(user_id),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "course.co_author_added",
        Target::Course(course_id),
        json!({ "userId": user_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(access.course)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_follow_bcp_47() {
        for good in ["en", "de-AT", "sr-Latn-RS", "fr"] {
            assert!(parse_language(good).is_ok(), "{good}");
        }
        for bad in ["", "english please", "de_AT", "12"] {
            assert!(parse_language(bad).is_err(), "{bad}");
        }
    }
}

//! A course's life: what is missing for publication, publishing (which archives the version it
//! replaces), archiving, and starting a new draft version of a published course.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    authoring::{insert_targets, require_draft},
    load_editable,
};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    entities::{
        course::{self, CourseStatus},
        course_author, course_competence, course_module,
        lesson::{self, LessonKind},
    },
};

/// What a draft still lacks before it can be published; empty when it is complete.
pub async fn missing_for_publication(
    db: &impl ConnectionTrait,
    course: &course::Model,
) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    if course.title.trim().is_empty() {
        missing.push("a title".to_owned());
    }
    let modules = course_module::Entity::find()
        .filter(course_module::Column::CourseId.eq(course.id))
        .order_by_asc(course_module::Column::Position)
        .all(db)
        .await?;
    let lessons = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course.id))
        .all(db)
        .await?;
    if modules.is_empty() {
        missing.push("at least one module".to_owned());
    }
    for module in &modules {
        if !lessons.iter().any(|lesson| lesson.module_id == module.id) {
            missing.push(format!("a lesson in module \"{}\"", module.title));
        }
    }
    for lesson in lessons
        .iter()
        .filter(|l| l.kind == LessonKind::Assessment && l.assessment_id.is_none())
    {
        missing.push(format!("an assessment for lesson \"{}\"", lesson.title));
    }
    let targets = course_competence::Entity::find()
        .filter(course_competence::Column::CourseId.eq(course.id))
        .count(db)
        .await?;
    if targets == 0 {
        missing.push("at least one competence target".to_owned());
    }
    Ok(missing)
}

/// Publishes a complete draft. A new version replaces (archives) the version it was made from.
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
) -> Result<course::Model> {
    let access = load_editable(db, actor, course_id).await?;
    require_draft(&access)?;
    let missing = missing_for_publication(db, &access.course).await?;
    if !missing.is_empty() {
        return Err(Error::invalid(
            "courseId",
            format!(
                "the course cannot be published yet: it needs {}",
                missing.join(", ")
            ),
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    if let Some(previous) = access.course.previous_version_id {
        course::ActiveModel {
            id: Set(previous),
            status: Set(CourseStatus::Archived),
            archived_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    let published = course::ActiveModel {
        id: Set(course_id),
        status: Set(CourseStatus::Published),
        published_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "course.published",
        Target::Course(course_id),
        json!({ "version": published.version, "replaces": access.course.previous_version_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(published)
}

/// Archives a course: it leaves the catalogue and stops changing.
pub async fn archive(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
) -> Result<course::Model> {
    let access = load_editable(db, actor, course_id).await?;
    if access.course.status == CourseStatus::Archived {
        return Ok(access.course);
    }
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let archived = course::ActiveModel {
        id: Set(course_id),
        status: Set(CourseStatus::Archived),
        archived_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "course.archived",
        Target::Course(course_id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(archived)
}

/// Starts a new draft version of a published course, copying its description, targets,
/// co-authors, modules and lessons. One draft version at a time.
pub async fn new_version(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
) -> Result<course::Model> {
    let access = load_editable(db, actor, course_id).await?;
    if access.course.status != CourseStatus::Published {
        return Err(Error::Conflict {
            field: "courseId",
            message: "only a published course gets a new version; edit the draft itself".into(),
        });
    }
    let existing = course::Entity::find()
        .filter(course::Column::PreviousVersionId.eq(course_id))
        .filter(course::Column::Status.eq(CourseStatus::Draft))
        .one(db)
        .await?;
    if existing.is_some() {
        return Err(Error::Conflict {
            field: "courseId",
            message: "this course already has a draft version".into(),
        });
    }
    let source = access.course;
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let draft = course::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(source.title.clone()),
        summary: Set(source.summary.clone()),
        search_text: Set(source.search_text.clone()),
        language: Set(source.language.clone()),
        status: Set(CourseStatus::Draft),
        visibility: Set(source.visibility),
        owner_id: Set(source.owner_id),
        org_unit_id: Set(source.org_unit_id),
        version: Set(source.version + 1),
        previous_version_id: Set(Some(source.id)),
        published_at: Set(None),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let targets: Vec<(Uuid, i32)> = course_competence::Entity::find()
        .filter(course_competence::Column::CourseId.eq(source.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| (t.competence_id, t.target_level))
        .collect();
    insert_targets(&txn, draft.id, &targets).await?;
    for user_id in &access.co_authors {
        course_author::ActiveModel {
            course_id: Set(draft.id),
            user_id: Set(*user_id),
        }
        .insert(&txn)
        .await?;
    }
    let lessons = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(source.id))
        .all(&txn)
        .await?;
    for module in course_module::Entity::find()
        .filter(course_module::Column::CourseId.eq(source.id))
        .all(&txn)
        .await?
    {
        let copy = course_module::ActiveModel {
            id: Set(Uuid::now_v7()),
            course_id: Set(draft.id),
            title: Set(module.title.clone()),
            position: Set(module.position),
        }
        .insert(&txn)
        .await?;
        for lesson in lessons.iter().filter(|l| l.module_id == module.id) {
            lesson::ActiveModel {
                id: Set(Uuid::now_v7()),
                module_id: Set(copy.id),
                course_id: Set(draft.id),
                title: Set(lesson.title.clone()),
                kind: Set(lesson.kind),
                body: Set(lesson.body.clone()),
                url: Set(lesson.url.clone()),
                assessment_id: Set(lesson.assessment_id),
                estimated_minutes: Set(lesson.estimated_minutes),
                position: Set(lesson.position),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "course.version_started",
        Target::Course(draft.id),
        json!({ "from": source.id, "version": draft.version }),
    )
    .await?;
    txn.commit().await?;
    Ok(draft)
}

//! The structure of a course draft: its modules and lessons, added, reordered and removed.

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::{
    authoring::{require_draft, touch},
    load_editable,
};
use crate::{
    Error, Result,
    auth::Actor,
    entities::{
        course, course_module,
        lesson::{self, LessonKind},
    },
    types::Name,
};

/// Longest lesson text, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;

/// Longest estimate for one lesson, in minutes.
pub const MAX_LESSON_MINUTES: i32 = 600;

/// A new lesson.
#[derive(Debug)]
pub struct NewLesson {
    pub title: String,
    pub kind: LessonKind,
    /// Markdown, for text lessons.
    pub body: Option<String>,
    /// http(s) URL, for video and link lessons.
    pub url: Option<String>,
    /// The assessment, for assessment lessons: one the actor may use.
    pub assessment_id: Option<Uuid>,
    pub estimated_minutes: i32,
}

fn parse_url(raw: Option<&str>) -> Result<String> {
    let raw = raw.map(str::trim).unwrap_or_default();
    let url = url::Url::parse(raw)
        .map_err(|_| Error::invalid("url", "url must be an absolute http or https URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::invalid(
            "url",
            "url must be an absolute http or https URL",
        ));
    }
    if raw.len() > 2_000 {
        return Err(Error::invalid("url", "url must be at most 2000 characters"));
    }
    Ok(url.to_string())
}

/// Adds a module at the end of a draft.
pub async fn add_module(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    title: &str,
) -> Result<course_module::Model> {
    let access = load_editable(db, actor, course_id).await?;
    require_draft(&access)?;
    let title = Name::parse(title, "title")?;
    let txn = crate::db::begin(db).await?;
    let count = course_module::Entity::find()
        .filter(course_module::Column::CourseId.eq(course_id))
        .count(&txn)
        .await?;
    let module = course_module::ActiveModel {
        id: Set(Uuid::now_v7()),
        course_id: Set(course_id),
        title: Set(title.into_inner()),
        position: Set(i32::try_from(count).map_err(anyhow::Error::from)? + 1),
    }
    .insert(&txn)
    .await?;
    touch(&txn, course_id).await?;
    txn.commit().await?;
    Ok(module)
}

async fn find_module(db: &impl ConnectionTrait, module_id: Uuid) -> Result<course_module::Model> {
    course_module::Entity::find_by_id(module_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("module"))
}

/// Adds a lesson at the end of a draft's module.
pub async fn add_lesson(
    db: &DatabaseConnection,
    actor: &Actor,
    module_id: Uuid,
    input: NewLesson,
) -> Result<lesson::Model> {
    let module = find_module(db, module_id).await?;
    // A module of a course the actor may not see is as unknown as the course.
    let access = load_editable(db, actor, module.course_id)
        .await
        .map_err(|err| match err {
            Error::NotFound(_) => Error::NotFound("module"),
            other => other,
        })?;
    require_draft(&access)?;
    let title = Name::parse(&input.title, "title")?;
    if !(0..=MAX_LESSON_MINUTES).contains(&input.estimated_minutes) {
        return Err(Error::invalid(
            "estimatedMinutes",
            format!("estimatedMinutes must be 0 to {MAX_LESSON_MINUTES}"),
        ));
    }
    let (body, url) = match input.kind {
        LessonKind::Text => {
            let body = input.body.unwrap_or_default();
            if body.trim().is_empty() {
                return Err(Error::invalid(
                    "body",
                    "a text lesson needs a body (Markdown)",
                ));
            }
            if body.chars().count() > MAX_BODY_CHARS {
                return Err(Error::invalid(
                    "body",
                    format!("body must be at most {MAX_BODY_CHARS} characters"),
                ));
            }
            (Some(body), None)
        }
        LessonKind::Video | LessonKind::Link => (None, Some(parse_url(input.url.as_deref())?)),
        LessonKind::Assessment => (None, None),
    };
    let assessment_id = match (input.kind, input.assessment_id) {
        (LessonKind::Assessment, Some(id)) => {
            // One the actor may not use is as unknown as one that does not exist.
            let access = crate::assessments::load_usable(db, actor, id)
                .await
                .map_err(|err| match err {
                    Error::NotFound(_) => {
                        Error::invalid("assessmentId", format!("assessment {id} does not exist"))
                    }
                    other => other,
                })?;
            if access.assessment().archived_at.is_some() {
                return Err(Error::invalid(
                    "assessmentId",
                    format!("assessment {id} is archived: it takes no new attempts"),
                ));
            }
            Some(id)
        }
        (LessonKind::Assessment, None) => None,
        (_, Some(_)) => {
            return Err(Error::invalid(
                "assessmentId",
                "only an ASSESSMENT lesson takes an assessmentId",
            ));
        }
        (_, None) => None,
    };
    let txn = crate::db::begin(db).await?;
    let count = lesson::Entity::find()
        .filter(lesson::Column::ModuleId.eq(module_id))
        .count(&txn)
        .await?;
    let lesson = lesson::ActiveModel {
        id: Set(Uuid::now_v7()),
        module_id: Set(module_id),
        course_id: Set(module.course_id),
        title: Set(title.into_inner()),
        kind: Set(input.kind),
        body: Set(body),
        url: Set(url),
        assessment_id: Set(assessment_id),
        estimated_minutes: Set(input.estimated_minutes),
        position: Set(i32::try_from(count).map_err(anyhow::Error::from)? + 1),
    }
    .insert(&txn)
    .await?;
    touch(&txn, module.course_id).await?;
    txn.commit().await?;
    Ok(lesson)
}

/// Checks that `wanted` lists exactly the ids of `existing`, each once.
fn check_permutation(field: &'static str, existing: &[Uuid], wanted: &[Uuid]) -> Result<()> {
    let have: HashSet<&Uuid> = existing.iter().collect();
    let want: HashSet<&Uuid> = wanted.iter().collect();
    if want.len() != wanted.len() || have != want {
        return Err(Error::invalid(
            field,
            format!(
                "{field} must list each of the {} current items exactly once",
                existing.len()
            ),
        ));
    }
    Ok(())
}

/// Puts a draft's modules in the given order.
pub async fn reorder_modules(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    order: Vec<Uuid>,
) -> Result<course::Model> {
    let access = load_editable(db, actor, course_id).await?;
    require_draft(&access)?;
    let existing: Vec<Uuid> = course_module::Entity::find()
        .filter(course_module::Column::CourseId.eq(course_id))
        .all(db)
        .await?
        .into_iter()
        .map(|module| module.id)
        .collect();
    check_permutation("moduleIds", &existing, &order)?;
    let txn = crate::db::begin(db).await?;
    for (position, id) in (1..).zip(order) {
        course_module::ActiveModel {
            id: Set(id),
            position: Set(position),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    touch(&txn, course_id).await?;
    txn.commit().await?;
    Ok(access.course)
}

/// Puts a draft module's lessons in the given order.
pub async fn reorder_lessons(
    db: &DatabaseConnection,
    actor: &Actor,
    module_id: Uuid,
    order: Vec<Uuid>,
) -> Result<course_module::Model> {
    let module = find_module(db, module_id).await?;
    let access = load_editable(db, actor, module.course_id).await?;
    require_draft(&access)?;
    let existing: Vec<Uuid> = lesson::Entity::find()
        .filter(lesson::Column::ModuleId.eq(module_id))
        .all(db)
        .await?
        .into_iter()
        .map(|lesson| lesson.id)
        .collect();
    check_permutation("lessonIds", &existing, &order)?;
    let txn = crate::db::begin(db).await?;
    for (position, id) in (1..).zip(order) {
        lesson::ActiveModel {
            id: Set(id),
            position: Set(position),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    touch(&txn, module.course_id).await?;
    txn.commit().await?;
    Ok(module)
}

/// Removes a lesson from a draft and closes the gap in its module's order.
pub async fn remove_lesson(db: &DatabaseConnection, actor: &Actor, lesson_id: Uuid) -> Result<()> {
    let lesson = lesson::Entity::find_by_id(lesson_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("lesson"))?;
    let access = load_editable(db, actor, lesson.course_id).await?;
    require_draft(&access)?;
    let txn = crate::db::begin(db).await?;
    lesson::Entity::delete_by_id(lesson_id).exec(&txn).await?;
    let rest = lesson::Entity::find()
        .filter(lesson::Column::ModuleId.eq(lesson.module_id))
        .order_by_asc(lesson::Column::Position)
        .all(&txn)
        .await?;
    for (position, remaining) in (1..).zip(rest) {
        if remaining.position != position {
            lesson::ActiveModel {
                id: Set(remaining.id),
                position: Set(position),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
    }
    touch(&txn, lesson.course_id).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_accepted() {
        assert!(parse_url(Some("https://example.org/video")).is_ok());
        assert!(parse_url(Some("http://example.org")).is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://example.org",
            "example.org",
            "",
        ] {
            assert!(parse_url(Some(bad)).is_err(), "{bad}");
        }
        assert!(parse_url(None).is_err());
    }

    #[test]
    fn a_reorder_must_list_every_item_once() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(check_permutation("ids", &[a, b], &[b, a]).is_ok());
        assert!(check_permutation("ids", &[a, b], &[a]).is_err());
        assert!(check_permutation("ids", &[a, b], &[a, a]).is_err());
        assert!(check_permutation("ids", &[a, b], &[a, b, Uuid::now_v7()]).is_err());
    }
}

//! Creating and editing courses.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
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
        course_author, course_competence, course_module,
        lesson::{self, LessonKind},
        user,
    },
    org,
    types::{Name, Role},
};

/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 2_000;
/// Longest lesson text, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;
/// Longest estimate for one lesson, in minutes.
pub const MAX_LESSON_MINUTES: i32 = 600;

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

fn require_draft(access: &CourseAccess) -> Result<()> {
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

async fn touch(db: &impl ConnectionTrait, course_id: Uuid) -> Result<()> {
    course::ActiveModel {
        id: Set(course_id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

async fn insert_targets(
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
            crate::assessments::load_usable(db, actor, id)
                .await
                .map_err(|err| match err {
                    Error::NotFound(_) => {
                        Error::invalid("assessmentId", format!("assessment {id} does not exist"))
                    }
                    other => other,
                })?;
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
    fn language_tags_follow_bcp_47() {
        for good in ["en", "de-AT", "sr-Latn-RS", "fr"] {
            assert!(parse_language(good).is_ok(), "{good}");
        }
        for bad in ["", "english please", "de_AT", "12"] {
            assert!(parse_language(bad).is_err(), "{bad}");
        }
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

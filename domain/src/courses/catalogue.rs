//! The catalogue: what each person may find, filtered and paged, and batch reads for the
//! nested parts of a course.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query},
};
use uuid::Uuid;

use crate::{
    Result,
    auth::{Actor, Scope},
    entities::{
        competence,
        course::{self, CourseStatus, Visibility},
        course_author, course_competence, course_module, lesson, org_unit, user,
    },
    org, search,
    types::Role,
};

/// What the catalogue is narrowed to; `None` fields do not narrow.
#[derive(Debug, Default)]
pub struct CatalogueFilter {
    pub competence_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    /// Only courses with a competence target at or above this level.
    pub min_level: Option<i32>,
    /// Only courses with a competence target at or below this level.
    pub max_level: Option<i32>,
    /// A BCP 47 tag; `de` also finds `de-AT`.
    pub language: Option<String>,
    /// Words to find in the title or summary, ignoring case.
    pub search: Option<String>,
    /// Default: published. Drafts and archived courses list only those the actor may edit.
    pub status: Option<CourseStatus>,
}

/// One page of the catalogue.
#[derive(Debug)]
pub struct Page {
    pub courses: Vec<course::Model>,
    pub has_next_page: bool,
}

/// Units whose courses the actor's own unit lies under: the actor's unit and its ancestors,
/// read off its materialised path.
fn own_unit_and_ancestors(actor: &Actor) -> Vec<Uuid> {
    actor
        .org_path
        .split('/')
        .filter_map(|segment| Uuid::try_parse(segment).ok())
        .collect()
}

/// Courses the actor may edit (owner, co-author, or admin of the unit), as a condition.
fn editable_by(actor: &Actor) -> Condition {
    if actor.is_platform(Role::Admin) {
        return Condition::all();
    }
    let mut any = Condition::any();
    if actor.holds(Role::Trainer) {
        any = any.add(course::Column::OwnerId.eq(actor.id())).add(
            course::Column::Id.in_subquery(
                Query::select()
                    .column(course_author::Column::CourseId)
                    .from(course_author::Entity)
                    .and_where(course_author::Column::UserId.eq(actor.id()))
                    .to_owned(),
            ),
        );
    }
    for grant in &actor.grants {
        if let (Role::Admin, Scope::Unit { path, .. }) = (grant.role, &grant.scope) {
            any = any.add(
                course::Column::OrgUnitId.in_subquery(
                    Query::select()
                        .column(org_unit::Column::Id)
                        .from(org_unit::Entity)
                        .cond_where(org::in_subtree(path))
                        .to_owned(),
                ),
            );
        }
    }
    // With no way to edit anything, nothing matches.
    any.add(Expr::val(1).eq(0))
}

/// Published courses the actor may take.
fn takeable_by(actor: &Actor) -> Condition {
    Condition::all()
        .add(course::Column::Status.eq(CourseStatus::Published))
        .add(
            Condition::any()
                .add(course::Column::Visibility.eq(Visibility::Platform))
                .add(course::Column::OrgUnitId.is_in(own_unit_and_ancestors(actor))),
        )
}

/// Those of `ids` that are published courses the actor may take.
pub async fn takeable_among(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<Vec<course::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(course::Entity::find()
        .filter(takeable_by(actor))
        .filter(course::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// What the catalogue's text search compares: a course's title and summary, folded.
pub(crate) fn search_text(title: &str, summary: &str) -> String {
    search::searchable(&[title, summary])
}

/// A page of courses, newest first, after the course `after` (exclusive).
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &CatalogueFilter,
    after: Option<Uuid>,
    first: u64,
) -> Result<Page> {
    let status = filter.status.unwrap_or(CourseStatus::Published);
    let visible = if status == CourseStatus::Published {
        Condition::any()
            .add(takeable_by(actor))
            .add(editable_by(actor))
    } else {
        editable_by(actor)
    };
    let mut condition = Condition::all()
        .add(course::Column::Status.eq(status))
        .add(visible);

    if filter.competence_id.is_some()
        || filter.area_id.is_some()
        || filter.min_level.is_some()
        || filter.max_level.is_some()
    {
        let mut targets = Query::select()
            .column((
                course_competence::Entity,
                course_competence::Column::CourseId,
            ))
            .from(course_competence::Entity)
            .to_owned();
        if let Some(id) = filter.competence_id {
            targets.and_where(course_competence::Column::CompetenceId.eq(id));
        }
        if let Some(area) = filter.area_id {
            targets
                .inner_join(
                    competence::Entity,
                    Expr::col((competence::Entity, competence::Column::Id)).equals((
                        course_competence::Entity,
                        course_competence::Column::CompetenceId,
                    )),
                )
                .and_where(Expr::col((competence::Entity, competence::Column::AreaId)).eq(area));
        }
        if let Some(min) = filter.min_level {
            targets.and_where(course_competence::Column::TargetLevel.gte(min));
        }
        if let Some(max) = filter.max_level {
            targets.and_where(course_competence::Column::TargetLevel.lte(max));
        }
        condition = condition.add(course::Column::Id.in_subquery(targets));
    }
    if let Some(language) = &filter.language {
        let language = language.trim().to_lowercase();
        let column = Func::lower(Expr::col(course::Column::Language));
        condition = condition.add(
            Condition::any()
                .add(Expr::expr(column.clone()).eq(language.clone()))
                .add(Expr::expr(column).like(
                    LikeExpr::new(format!("{}-%", search::like_escaped(&language))).escape('\\'),
                )),
        );
    }
    if let Some(pattern) = filter.search.as_deref().and_then(search::contains_pattern) {
        condition = condition
            .add(Expr::col(course::Column::SearchText).like(LikeExpr::new(pattern).escape('\\')));
    }
    if let Some(after) = after {
        condition = condition.add(course::Column::Id.lt(after));
    }

    let mut courses = course::Entity::find()
        .filter(condition)
        .order_by_desc(course::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next_page = courses.len() as u64 > first;
    courses.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Page {
        courses,
        has_next_page,
    })
}

batch!(
    /// Modules of many courses, in order.
    modules_of, course_module, CourseId, Position
);
batch!(
    /// Lessons of many modules, in order.
    lessons_of_modules, lesson, ModuleId, Position
);
batch!(
    /// Lessons of many courses.
    lessons_of_courses, lesson, CourseId, Position
);
batch!(
    /// Competence targets of many courses.
    targets_of, course_competence, CourseId
);
batch!(
    /// Co-authors of many courses.
    co_authors_of, course_author, CourseId
);
batch!(
    /// Users by id (course owners and co-authors).
    users_by_ids, user, Id
);
batch!(
    /// Courses by id (for enrolments; access was decided when the enrolment was made).
    courses_by_ids, course, Id
);

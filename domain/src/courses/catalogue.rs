//! The catalogue: what each person may find, filtered and paged, and batch reads for the
//! nested parts of a course.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, Statement,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    Error, Result,
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

/// What the published catalogue shown to `actor` depends on besides what they ask for: the
/// path of their unit (its courses and those of the units above it), when they may edit no
/// course. `None` for those who may (trainers, administrators), whose catalogue lists their
/// own courses as well.
pub fn audience(actor: &Actor) -> Option<&str> {
    (!actor.holds(Role::Trainer) && !actor.holds(Role::Admin)).then_some(actor.unit.path.as_str())
}

/// The catalogue's version: a number the database raises in every transaction that changes
/// what a catalogue page can show (migration 000026). Read before the catalogue itself, it
/// tells whether an answer kept since is still the answer.
pub async fn version(db: &impl ConnectionTrait) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM catalogue_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the catalogue_version row is missing")))?;
    Ok(row.try_get::<i64>("", "version")?)
}

/// Published courses the actor may take.
fn takeable_by(actor: &Actor) -> Condition {
    Condition::all()
        .add(course::Column::Status.eq(CourseStatus::Published))
        .add(
            Condition::any()
                .add(course::Column::Visibility.eq(Visibility::Platform))
                .add(course::Column::OrgUnitId.is_in(org::ids_on_path(&actor.unit.path))),
        )
}

/// The targets on `competence_ids` of the published courses the actor may take, each with its
/// course, leaving out the courses `skip` selects; one statement.
pub async fn takeable_targeting(
    db: &impl ConnectionTrait,
    actor: &Actor,
    competence_ids: &[Uuid],
    skip: SelectStatement,
) -> Result<Vec<(course_competence::Model, course::Model)>> {
    if competence_ids.is_empty() {
        return Ok(Vec::new());
    }
    let targeted = course_competence::Entity::belongs_to(course::Entity)
        .from(course_competence::Column::CourseId)
        .to(course::Column::Id)
        .into();
    let rows = course_competence::Entity::find()
        .select_also(course::Entity)
        .join(JoinType::InnerJoin, targeted)
        .filter(course_competence::Column::CompetenceId.is_in(competence_ids.iter().copied()))
        .filter(course_competence::Column::CourseId.not_in_subquery(skip))
        .filter(takeable_by(actor))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(target, course)| course.map(|course| (target, course)))
        .collect())
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
/// Lessons of many modules, in order, without their Markdown (`body` is `None`; see
/// [`lesson_bodies`]).
pub async fn lessons_of_modules(
    db: &impl ConnectionTrait,
    module_ids: &[Uuid],
) -> Result<Vec<lesson::Model>> {
    lessons_without_body(db, lesson::Column::ModuleId, module_ids).await
}

/// Lessons of many courses, in order within each module, without their Markdown (`body` is
/// `None`; see [`lesson_bodies`]).
pub async fn lessons_of_courses(
    db: &impl ConnectionTrait,
    course_ids: &[Uuid],
) -> Result<Vec<lesson::Model>> {
    lessons_without_body(db, lesson::Column::CourseId, course_ids).await
}

/// The lessons whose `parent` column is one of `ids`, every column but the Markdown, which a
/// list of lessons rarely shows and which is most of a lesson's size: the catalogue page read
/// about 230 KB of it from the database for every request before.
async fn lessons_without_body(
    db: &impl ConnectionTrait,
    parent: lesson::Column,
    ids: &[Uuid],
) -> Result<Vec<lesson::Model>> {
    use lesson::Column as C;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Read as tuples, by position: a page of lessons is hundreds of rows, and a model's
    // columns are looked up by name, row by row.
    type Row = (
        Uuid,
        Uuid,
        Uuid,
        String,
        lesson::LessonKind,
        Option<String>,
        Option<Uuid>,
        i32,
        i32,
    );
    let rows: Vec<Row> = lesson::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::ModuleId,
            C::CourseId,
            C::Title,
            C::Kind,
            C::Url,
            C::AssessmentId,
            C::EstimatedMinutes,
            C::Position,
        ])
        .filter(parent.is_in(ids.iter().copied()))
        .order_by_asc(C::Position)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                module_id,
                course_id,
                title,
                kind,
                url,
                assessment_id,
                estimated_minutes,
                position,
            )| {
                lesson::Model {
                    id,
                    module_id,
                    course_id,
                    title,
                    kind,
                    body: None,
                    url,
                    assessment_id,
                    estimated_minutes,
                    position,
                }
            },
        )
        .collect())
}

/// The Markdown of the text lessons among `ids`, by lesson id (lessons without any are left
/// out).
pub async fn lesson_bodies(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(lesson::Entity::find()
        .select_only()
        .columns([lesson::Column::Id, lesson::Column::Body])
        .filter(lesson::Column::Id.is_in(ids.iter().copied()))
        .filter(lesson::Column::Body.is_not_null())
        .into_tuple()
        .all(db)
        .await?)
}
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

/// What a page of courses shows besides the courses, where it is asked for: [`read_ahead`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Wanted {
    pub owners: bool,
    /// The co-author rows (for the list, or to decide who may edit).
    pub co_authors: bool,
    /// The co-authors' users (implies `co_authors`).
    pub co_author_users: bool,
    pub org_units: bool,
    pub targets: bool,
    /// The targets' competences (implies `targets`).
    pub competences: bool,
    /// The competences' areas (implies `competences`).
    pub areas: bool,
    /// The competences' frameworks (implies `competences`).
    pub frameworks: bool,
    pub modules: bool,
    /// The courses' lessons, without their Markdown (for the modules' lists or the courses'
    /// totals).
    pub lessons: bool,
    /// The text lessons' Markdown (implies `lessons`).
    pub bodies: bool,
}

/// The rows [`read_ahead`] read; a part not wanted is empty.
#[derive(Debug, Default)]
pub struct AheadOfPage {
    /// The owners and the co-authors, each once.
    pub users: Vec<user::Model>,
    pub co_authors: Vec<course_author::Model>,
    pub org_units: Vec<org_unit::Model>,
    pub targets: Vec<course_competence::Model>,
    pub competences: Vec<competence::Model>,
    pub areas: Vec<crate::entities::competence_area::Model>,
    pub frameworks: Vec<crate::entities::competence_framework::Model>,
    pub modules: Vec<course_module::Model>,
    pub lessons: Vec<lesson::Model>,
    /// The Markdown of the text lessons among `lessons`, by lesson id.
    pub bodies: Vec<(Uuid, String)>,
}

/// Reads what a page of courses shows, for all its courses at once: a fixed handful of
/// statements however long the page, each chain of them (co-authors then users; targets then
/// competences then areas and frameworks; lessons then their Markdown) running beside the
/// others.
pub async fn read_ahead(
    db: &impl ConnectionTrait,
    courses: &[course::Model],
    wanted: Wanted,
) -> Result<AheadOfPage> {
    let ids: Vec<Uuid> = courses.iter().map(|course| course.id).collect();
    let people = async {
        let co_authors = if wanted.co_authors || wanted.co_author_users {
            co_authors_of(db, &ids).await?
        } else {
            Vec::new()
        };
        let owners = courses
            .iter()
            .filter(|_| wanted.owners)
            .map(|course| course.owner_id);
        let authors = co_authors
            .iter()
            .filter(|_| wanted.co_author_users)
            .map(|author| author.user_id);
        let users = users_by_ids(db, &distinct(owners.chain(authors))).await?;
        Ok((co_authors, users))
    };
    let org_units = async {
        if wanted.org_units {
            org::find_many(db, &distinct(courses.iter().map(|c| c.org_unit_id))).await
        } else {
            Ok(Vec::new())
        }
    };
    let targets = async {
        if !(wanted.targets || wanted.competences || wanted.areas || wanted.frameworks) {
            return Ok(Default::default());
        }
        let targets = targets_of(db, &ids).await?;
        if !(wanted.competences || wanted.areas || wanted.frameworks) {
            return Ok((targets, Vec::new(), Vec::new(), Vec::new()));
        }
        let competence_ids = distinct(targets.iter().map(|t| t.competence_id));
        let competences = crate::competences::competences_by_ids(db, &competence_ids).await?;
        let areas = async {
            if wanted.areas {
                let ids = distinct(competences.iter().map(|c| c.area_id));
                crate::competences::areas_by_ids(db, &ids).await
            } else {
                Ok(Vec::new())
            }
        };
        let frameworks = async {
            if wanted.frameworks {
                let ids = distinct(competences.iter().map(|c| c.framework_id));
                crate::competences::frameworks_by_ids(db, &ids).await
            } else {
                Ok(Vec::new())
            }
        };
        let (areas, frameworks) = tokio::try_join!(areas, frameworks)?;
        Ok((targets, competences, areas, frameworks))
    };
    let modules = async {
        if wanted.modules {
            modules_of(db, &ids).await
        } else {
            Ok(Vec::new())
        }
    };
    let lessons = async {
        if !(wanted.lessons || wanted.bodies) {
            return Ok((Vec::new(), Vec::new()));
        }
        let lessons = lessons_of_courses(db, &ids).await?;
        if !wanted.bodies {
            return Ok((lessons, Vec::new()));
        }
        let texts: Vec<Uuid> = lessons
            .iter()
            .filter(|lesson| lesson.kind == lesson::LessonKind::Text)
            .map(|lesson| lesson.id)
            .collect();
        let bodies = lesson_bodies(db, &texts).await?;
        Ok((lessons, bodies))
    };
    let (
        (co_authors, users),
        org_units,
        (targets, competences, areas, frameworks),
        modules,
        (lessons, bodies),
    ) = tokio::try_join!(people, org_units, targets, modules, lessons)?;
    Ok(AheadOfPage {
        users,
        co_authors,
        org_units,
        targets,
        competences,
        areas,
        frameworks,
        modules,
        lessons,
        bodies,
    })
}

/// Each id once.
fn distinct(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

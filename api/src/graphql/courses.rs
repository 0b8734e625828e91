//! Courses and the catalogue: `courses`, `course`, and the authoring mutations.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use govskills_domain::{
    courses::{self, CatalogueFilter, CourseUpdate, NewCourse, NewLesson},
    entities::{
        course::{self, CourseStatus as DbStatus, Visibility as DbVisibility},
        course_module,
        lesson::{self, LessonKind as DbLessonKind},
    },
    learning, markdown, people,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    accounts::User,
    context::{actor, loader, request, services},
    cursor, data_access,
    frameworks::Competence,
    learning::{Enrollment, EnrollmentStatus},
    list_cost,
    loaders::{
        AreaLoader, CoAuthorLoader, CoAuthorsOf, CompetenceLoader, CourseLessonLoader,
        CourseLessonsOf, FrameworkLoader, LessonBodyLoader, LessonLoader, LessonsOf, LoadRequired,
        ModuleLoader, ModulesOf, OrgUnitLoader, TargetLoader, TargetsOf, UserLoader, grouped,
    },
    org_units::OrgUnit,
    page_size, paged_cost, parse_after, parse_id,
};
use super::{id, missing};
use crate::error::{ApiResult, OptionalExt};

/// Where a course is in its life.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CourseStatus {
    /// Being written; visible to its editors only.
    Draft,
    /// In the catalogue; its structure no longer changes.
    Published,
    /// Out of the catalogue, kept for the record.
    Archived,
}

/// Who may find and take a published course.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CourseVisibility {
    /// Staff of the owning unit and its sub-units.
    OrgUnit,
    /// Everyone on the platform: the shared catalogue across authorities.
    Platform,
}

/// What a lesson is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonKind {
    /// Markdown text, delivered as sanitised HTML.
    Text,
    /// A video at an http(s) URL.
    Video,
    /// A page elsewhere at an http(s) URL.
    Link,
    /// An assessment: done by passing it (see `startAttempt`).
    Assessment,
}

mirror!(CourseStatus, DbStatus, [Draft, Published, Archived]);
mirror!(CourseVisibility, DbVisibility, [OrgUnit, Platform]);
mirror!(LessonKind, DbLessonKind, [Text, Video, Link, Assessment]);

/// Narrows a course's roster; every field is optional.
#[derive(InputObject, Default)]
pub struct CourseEnrollmentFilter {
    /// Only enrolments in this state.
    pub status: Option<EnrollmentStatus>,
    /// Text to find in the learner's display name or email, ignoring case and accents.
    pub search: Option<String>,
}

pub struct Course(pub course::Model);

/// A course: modules of lessons that develop competences up to target levels.
#[Object]
impl Course {
    /// The course's unique id; each version of a course has its own.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The course's title (1 to 200 characters).
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// A short description for the catalogue (at most 2000 characters); may be empty.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// BCP 47 language tag, e.g. `de-AT`.
    async fn language(&self) -> &str {
        &self.0.language
    }

    /// Where the course is in its life: draft, published or archived.
    async fn status(&self) -> CourseStatus {
        self.0.status.into()
    }

    /// Who may find and take the course once it is published.
    async fn visibility(&self) -> CourseVisibility {
        self.0.visibility.into()
    }

    /// 1 for a first edition; each new draft version counts up.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The published version this one replaces (or replaced), if any.
    async fn previous_version_id(&self) -> Option<ID> {
        self.0.previous_version_id.map(id)
    }

    /// When this version was published; null while it is a draft, or if it was archived without
    /// ever being published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// When the course, its modules or its lessons last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The unit that owns the course; with `ORG_UNIT` visibility, its subtree may take it.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// The trainer who owns the course.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<CourseAuthor> {
        loader::<UserLoader>(ctx)?
            .load_required(self.0.owner_id, "user")
            .await
            .map(|user| CourseAuthor(User(user)))
    }

    /// Trainers who may edit the course besides its owner.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn co_authors(&self, ctx: &Context<'_>) -> ApiResult<Vec<CourseAuthor>> {
        let ids: Vec<Uuid> = loader::<CoAuthorLoader>(ctx)?
            .load_one(CoAuthorsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|author| author.user_id)
            .collect();
        let users = loader::<UserLoader>(ctx)?.load_many(ids).await?;
        Ok(users
            .into_values()
            .map(|user| CourseAuthor(User(user)))
            .collect())
    }

    /// The competences the course develops and the level it aims for in each, in the order of
    /// their framework.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn competence_targets(&self, ctx: &Context<'_>) -> ApiResult<Vec<CompetenceTarget>> {
        let targets = loader::<TargetLoader>(ctx)?
            .load_one(TargetsOf(self.0.id))
            .await?
            .unwrap_or_default();
        let competences = loader::<CompetenceLoader>(ctx)?
            .load_many(targets.iter().map(|t| t.competence_id))
            .await?;
        targets
            .into_iter()
            .map(|target| {
                let competence = competences
                    .get(&target.competence_id)
                    .cloned()
                    .ok_or_else(|| missing("competence", target.competence_id))?;
                Ok(CompetenceTarget {
                    competence: Competence(competence),
                    target_level: target.target_level,
                })
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(|mut targets| {
                targets.sort_by_key(|t| (t.competence.0.framework_id, t.competence.0.position));
                targets
            })
    }

    /// The modules in order.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn modules(&self, ctx: &Context<'_>) -> ApiResult<Vec<Module>> {
        Ok(loader::<ModuleLoader>(ctx)?
            .load_one(ModulesOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Module)
            .collect())
    }

    /// The sum of the lessons' estimated minutes.
    async fn total_minutes(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(loader::<CourseLessonLoader>(ctx)?
            .load_one(CourseLessonsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .iter()
            .map(|lesson| lesson.estimated_minutes)
            .sum())
    }

    /// Who is enrolled and how far each has got, in the learners' name order. The course's
    /// editors see every enrolment; HR officers and administrators those of the people their
    /// grants cover; anyone else their own. Each read of other people's enrolments is recorded
    /// in the audit trail, once per request.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many enrolments to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
        #[graphql(desc = "Narrows the roster; leave out for every enrolment you may see.")]
        filter: Option<CourseEnrollmentFilter>,
    ) -> ApiResult<Connection<String, Enrollment>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let after: Option<people::After> = parse_after(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = learning::RosterFilter {
            status: filter.status.map(Into::into),
            search: filter.search,
        };
        let page = learning::roster(
            &services(ctx)?.db,
            actor,
            self.0.id,
            &filter,
            after.as_ref(),
            u64::try_from(first).unwrap_or(u64::MAX),
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        for (enrollment, user) in page.entries {
            data_access::note(ctx, user.id, "course.enrollments")?;
            let key = people::After {
                display_name: user.display_name,
                id: enrollment.id,
            };
            connection
                .edges
                .push(Edge::new(cursor(key), Enrollment(enrollment)));
        }
        Ok(connection)
    }

    /// Whether you may edit this course.
    async fn can_edit(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let Some(actor) = request(ctx)?.actor.as_ref() else {
            return Ok(false);
        };
        // Both loads start together, in the same batch round as `orgUnit` and `coAuthors`, so
        // this field adds no statement of its own.
        let (co_authors, unit) = tokio::join!(
            loader::<CoAuthorLoader>(ctx)?.load_one(CoAuthorsOf(self.0.id)),
            loader::<OrgUnitLoader>(ctx)?.load_one(self.0.org_unit_id),
        );
        let unit = unit?.ok_or_else(|| missing("org unit", self.0.org_unit_id))?;
        let co_authors: Vec<Uuid> = co_authors?
            .unwrap_or_default()
            .into_iter()
            .map(|author| author.user_id)
            .collect();
        Ok(courses::may_edit(actor, &self.0, &unit, &co_authors))
    }
}

pub struct CourseAuthor(User);

/// An author of a course, as the catalogue shows them: name only.
#[Object]
impl CourseAuthor {
    /// The author's user id.
    async fn id(&self) -> ID {
        id(self.0.0.id)
    }

    /// The author's display name.
    async fn display_name(&self) -> &str {
        &self.0.0.display_name
    }
}

/// A competence a course develops, and the level it aims for.
#[derive(SimpleObject)]
pub struct CompetenceTarget {
    /// The competence the course develops.
    pub competence: Competence,
    /// The proficiency level the course aims for, within the competence's framework's range (1
    /// to `levelCount`).
    pub target_level: i32,
}

pub struct Module(pub course_module::Model);

/// An ordered part of a course.
#[Object]
impl Module {
    /// The module's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The module's title (1 to 200 characters).
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// 1 for the first module.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The lessons in order.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn lessons(&self, ctx: &Context<'_>) -> ApiResult<Vec<Lesson>> {
        Ok(loader::<LessonLoader>(ctx)?
            .load_one(LessonsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Lesson)
            .collect())
    }
}

/// A lesson. Lists of lessons are read without their Markdown (`body` is `None`), which
/// [`Lesson::body`] reads where it is asked for.
pub struct Lesson(pub lesson::Model);

impl Lesson {
    /// A text lesson's Markdown: the row's, or where it was read without, its own read.
    async fn body(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        if self.0.body.is_some() || self.0.kind != DbLessonKind::Text {
            return Ok(self.0.body.clone());
        }
        loader::<LessonBodyLoader>(ctx)?.load_one(self.0.id).await
    }
}

/// A step of a module.
#[Object]
impl Lesson {
    /// The lesson's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The lesson's title (1 to 200 characters).
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What the lesson is; it decides which of `markdown`, `url` and `assessmentId` is set.
    async fn kind(&self) -> LessonKind {
        self.0.kind.into()
    }

    /// 1 for the first lesson of its module.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// How long the lesson takes, in minutes, as its author estimates it (0 to 600).
    async fn estimated_minutes(&self) -> i32 {
        self.0.estimated_minutes
    }

    /// A text lesson's Markdown as the author wrote it (for editing; never render it yourself).
    async fn markdown(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        self.body(ctx).await
    }

    /// A text lesson rendered to sanitised HTML: no scripts, event handlers or `javascript:`
    /// links.
    async fn html(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(self.body(ctx).await?.as_deref().map(markdown::render))
    }

    /// A video or link lesson's http(s) URL.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// An assessment lesson's assessment: take it with `startAttempt(assessmentId:)`.
    async fn assessment_id(&self) -> Option<ID> {
        self.0.assessment_id.map(id)
    }
}

/// Narrows the catalogue; every field is optional.
#[derive(InputObject, Default)]
pub struct CourseFilter {
    /// Courses that develop this competence.
    pub competence_id: Option<ID>,
    /// Courses that develop a competence of this framework area.
    pub area_id: Option<ID>,
    /// Courses with a target level at or above this.
    pub min_level: Option<i32>,
    /// Courses with a target level at or below this.
    pub max_level: Option<i32>,
    /// A BCP 47 tag; `de` also finds `de-AT`.
    pub language: Option<String>,
    /// Text to find in the title or summary, ignoring case and accents ("uber" finds "Über"),
    /// alike on every database.
    pub search: Option<String>,
    /// Default `PUBLISHED`. `DRAFT` and `ARCHIVED` list the courses you may edit.
    pub status: Option<CourseStatus>,
}

/// A competence a course develops and the level it aims for.
#[derive(InputObject)]
pub struct CompetenceTargetInput {
    /// A current (not archived) competence, each at most once per course.
    pub competence_id: ID,
    /// Within the competence's framework's level range.
    pub target_level: i32,
}

/// A new course, created as a draft.
#[derive(InputObject)]
pub struct CreateCourseInput {
    /// 1 to 200 characters after trimming, no control characters.
    pub title: String,
    /// A short description for the catalogue, at most 2000 characters; empty when left out.
    #[graphql(default)]
    pub summary: String,
    /// BCP 47 language tag, e.g. `en`, `de-AT`.
    pub language: String,
    /// The owning unit; you must train or administer it.
    pub org_unit_id: ID,
    /// Who may take the course once published; `ORG_UNIT` when left out.
    #[graphql(default_with = "CourseVisibility::OrgUnit")]
    pub visibility: CourseVisibility,
    /// The competences the course develops and the level it aims for in each; none when left
    /// out (publishing needs at least one).
    #[graphql(default)]
    pub competence_targets: Vec<CompetenceTargetInput>,
}

/// Changes to a draft; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateCourseInput {
    /// A new title: 1 to 200 characters after trimming, no control characters.
    pub title: Option<String>,
    /// A new summary, at most 2000 characters (an empty string clears it).
    pub summary: Option<String>,
    /// A new BCP 47 language tag, e.g. `en`, `de-AT`.
    pub language: Option<String>,
    /// Who may take the course once published.
    pub visibility: Option<CourseVisibility>,
}

/// A new module, added at the end.
#[derive(InputObject)]
pub struct AddModuleInput {
    /// 1 to 200 characters after trimming, no control characters.
    pub title: String,
}

/// A new lesson, added at the end of its module.
#[derive(InputObject)]
pub struct AddLessonInput {
    /// 1 to 200 characters after trimming, no control characters.
    pub title: String,
    /// What the lesson is; it decides which of `markdown`, `url` and `assessmentId` is needed.
    pub kind: LessonKind,
    /// Markdown, for `TEXT` lessons.
    pub markdown: Option<String>,
    /// An http(s) URL, for `VIDEO` and `LINK` lessons.
    pub url: Option<String>,
    /// The assessment, for `ASSESSMENT` lessons: one you may use (see `createAssessment`).
    /// Publishing refuses an assessment lesson without one.
    pub assessment_id: Option<ID>,
    /// 0 to 600.
    #[graphql(default)]
    pub estimated_minutes: i32,
}

fn targets(input: Vec<CompetenceTargetInput>) -> ApiResult<Vec<(Uuid, i32)>> {
    input
        .into_iter()
        .map(|t| {
            Ok((
                parse_id(&t.competence_id, "competenceTargets")?,
                t.target_level,
            ))
        })
        .collect()
}

fn ids(input: &[ID], field: &'static str) -> ApiResult<Vec<Uuid>> {
    input.iter().map(|id| parse_id(id, field)).collect()
}

/// Reads what the query selects of each course of a catalogue page at once
/// ([`courses::read_ahead`]) and hands it to the loaders, so that the fields below find it
/// loaded instead of each level waiting for its loader's window in turn: a page costs the same
/// statements however long it is and however busy the machine.
async fn read_ahead(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    page: &[course::Model],
) -> ApiResult<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    if page.is_empty() || !node.exists() {
        return Ok(());
    }
    let (targets, modules) = (node.field("competenceTargets"), node.field("modules"));
    let competence = targets.field("competence");
    let lessons = modules.field("lessons");
    let total_minutes = node.field("totalMinutes").exists();
    // `canEdit` decides from the co-authors and the unit.
    let can_edit = node.field("canEdit").exists();
    let wanted = courses::Wanted {
        owners: node.field("owner").exists(),
        co_authors: can_edit || node.field("coAuthors").exists(),
        co_author_users: node.field("coAuthors").exists(),
        org_units: can_edit || node.field("orgUnit").exists(),
        targets: targets.exists(),
        competences: competence.exists(),
        areas: competence.field("area").exists(),
        frameworks: competence.field("framework").exists(),
        modules: modules.exists(),
        lessons: lessons.exists() || total_minutes,
        bodies: lessons.field("markdown").exists() || lessons.field("html").exists(),
    };
    let ahead = courses::read_ahead(db, page, wanted).await?;
    let users = ahead.users.into_iter().map(|user| (user.id, user));
    loader::<UserLoader>(ctx)?.feed_many(users).await;
    if wanted.co_authors {
        let courses = page.iter().map(|course| CoAuthorsOf(course.id));
        let authors = grouped(courses, ahead.co_authors, |row| CoAuthorsOf(row.course_id));
        loader::<CoAuthorLoader>(ctx)?.feed_many(authors).await;
    }
    let units = ahead.org_units.into_iter().map(|unit| (unit.id, unit));
    loader::<OrgUnitLoader>(ctx)?.feed_many(units).await;
    if wanted.targets {
        let courses = page.iter().map(|course| TargetsOf(course.id));
        let targets = grouped(courses, ahead.targets, |row| TargetsOf(row.course_id));
        loader::<TargetLoader>(ctx)?.feed_many(targets).await;
    }
    let competences = ahead.competences.into_iter().map(|row| (row.id, row));
    loader::<CompetenceLoader>(ctx)?
        .feed_many(competences)
        .await;
    let areas = ahead.areas.into_iter().map(|row| (row.id, row));
    loader::<AreaLoader>(ctx)?.feed_many(areas).await;
    let frameworks = ahead.frameworks.into_iter().map(|row| (row.id, row));
    loader::<FrameworkLoader>(ctx)?.feed_many(frameworks).await;
    loader::<LessonBodyLoader>(ctx)?
        .feed_many(ahead.bodies)
        .await;
    if total_minutes {
        let courses = page.iter().map(|course| CourseLessonsOf(course.id));
        let lessons = grouped(courses, ahead.lessons.clone(), |row| {
            CourseLessonsOf(row.course_id)
        });
        loader::<CourseLessonLoader>(ctx)?.feed_many(lessons).await;
    }
    if lessons.exists() {
        let modules = ahead.modules.iter().map(|module| LessonsOf(module.id));
        let lessons = grouped(modules, ahead.lessons, |row| LessonsOf(row.module_id));
        loader::<LessonLoader>(ctx)?.feed_many(lessons).await;
    }
    if wanted.modules {
        let courses = page.iter().map(|course| ModulesOf(course.id));
        let modules = grouped(courses, ahead.modules, |row| ModulesOf(row.course_id));
        loader::<ModuleLoader>(ctx)?.feed_many(modules).await;
    }
    Ok(())
}

#[derive(Default)]
pub struct CourseQuery;

#[Object]
impl CourseQuery {
    /// The catalogue: courses you may see, newest first, filtered.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn courses(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many courses to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
        #[graphql(desc = "Narrows the list; leave out for every published course you may see.")]
        filter: Option<CourseFilter>,
    ) -> ApiResult<Connection<String, Course>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let after = parse_after(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = CatalogueFilter {
            competence_id: filter
                .competence_id
                .map(|id| parse_id(&id, "competenceId"))
                .transpose()?,
            area_id: filter
                .area_id
                .map(|id| parse_id(&id, "areaId"))
                .transpose()?,
            min_level: filter.min_level,
            max_level: filter.max_level,
            language: filter.language,
            search: filter.search,
            status: filter.status.map(Into::into),
        };
        // The published catalogue may come from the read replica; the drafts and archived
        // courses an editor lists must show their own changes at once.
        let services = services(ctx)?;
        let db = match filter.status {
            None | Some(DbStatus::Published) => &services.read_db,
            Some(DbStatus::Draft | DbStatus::Archived) => &services.db,
        };
        let page = courses::page(
            db,
            actor,
            &filter,
            after,
            u64::try_from(first).unwrap_or(u64::MAX),
        )
        .await?;
        read_ahead(ctx, db, &page.courses).await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        connection.edges.extend(
            page.courses
                .into_iter()
                .map(|course| Edge::new(cursor(course.id), Course(course))),
        );
        Ok(connection)
    }

    /// One course, if you may see it (drafts only for their editors).
    async fn course(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The course's id; an unknown one gives null, a malformed one `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
    ) -> ApiResult<Option<Course>> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&id, "id")?;
        Ok(courses::load_visible(&services(ctx)?.db, actor, course_id)
            .await
            .optional()?
            .map(|access| Course(access.into_course())))
    }
}

#[derive(Default)]
pub struct CourseMutation;

#[Object]
impl CourseMutation {
    /// Creates a draft course (TRAINER or ADMIN of the owning unit). Not safe to repeat: each
    /// call creates another draft.
    async fn create_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new course.")] input: CreateCourseInput,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let new = NewCourse {
            org_unit_id: parse_id(&input.org_unit_id, "orgUnitId")?,
            targets: targets(input.competence_targets)?,
            title: input.title,
            summary: input.summary,
            language: input.language,
            visibility: input.visibility.into(),
        };
        Ok(Course(
            courses::create(&services(ctx)?.db, actor, new).await?,
        ))
    }

    /// Changes a draft's title, summary, language or visibility. Safe to repeat.
    async fn update_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the draft to change.")] course_id: ID,
        #[graphql(desc = "The changes; fields left out stay as they are.")]
        input: UpdateCourseInput,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let update = CourseUpdate {
            title: input.title,
            summary: input.summary,
            language: input.language,
            visibility: input.visibility.map(Into::into),
        };
        let course_id = parse_id(&course_id, "courseId")?;
        Ok(Course(
            courses::update(&services(ctx)?.db, actor, course_id, update).await?,
        ))
    }

    /// Replaces the competences a draft develops and their target levels. Safe to repeat.
    async fn set_course_competences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the draft to change.")] course_id: ID,
        #[graphql(
            desc = "The complete new list of targets, each competence at most once (an empty \
                    list removes them all)."
        )]
        targets: Vec<CompetenceTargetInput>,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        let targets = self::targets(targets)?;
        Ok(Course(
            courses::set_targets(&services(ctx)?.db, actor, course_id, targets).await?,
        ))
    }

    /// Lets another trainer edit the course (its owner or an ADMIN). Safe to repeat.
    async fn add_course_co_author(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the course.")] course_id: ID,
        #[graphql(
            desc = "The id of the user to add; they must hold `TRAINER`, or the error is \
                    `BAD_USER_INPUT`. Adding an author again changes nothing."
        )]
        user_id: ID,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        let user_id = parse_id(&user_id, "userId")?;
        Ok(Course(
            courses::add_co_author(&services(ctx)?.db, actor, course_id, user_id).await?,
        ))
    }

    /// Adds a module at the end of a draft. Not safe to repeat: each call adds another module.
    async fn add_module(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the draft to add the module to.")] course_id: ID,
        #[graphql(desc = "The new module.")] input: AddModuleInput,
    ) -> ApiResult<Module> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        let module =
            courses::add_module(&services(ctx)?.db, actor, course_id, &input.title).await?;
        Ok(Module(module))
    }

    /// Adds a lesson at the end of a draft's module. Not safe to repeat: each call adds another
    /// lesson.
    async fn add_lesson(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the module to add the lesson to; its course must be a draft.")]
        module_id: ID,
        #[graphql(desc = "The new lesson.")] input: AddLessonInput,
    ) -> ApiResult<Lesson> {
        let actor = actor(ctx)?;
        let module_id = parse_id(&module_id, "moduleId")?;
        let new = NewLesson {
            title: input.title,
            kind: input.kind.into(),
            body: input.markdown,
            url: input.url,
            assessment_id: input
                .assessment_id
                .as_ref()
                .map(|id| parse_id(id, "assessmentId"))
                .transpose()?,
            estimated_minutes: input.estimated_minutes,
        };
        Ok(Lesson(
            courses::add_lesson(&services(ctx)?.db, actor, module_id, new).await?,
        ))
    }

    /// Puts a draft's modules in this order (every module once). Safe to repeat.
    async fn reorder_modules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the draft whose modules are reordered.")] course_id: ID,
        #[graphql(
            desc = "The ids of all the draft's modules, each exactly once, in the new order; \
                    any other list gives `BAD_USER_INPUT`."
        )]
        module_ids: Vec<ID>,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        let order = ids(&module_ids, "moduleIds")?;
        Ok(Course(
            courses::reorder_modules(&services(ctx)?.db, actor, course_id, order).await?,
        ))
    }

    /// Puts a draft module's lessons in this order (every lesson once). Safe to repeat.
    async fn reorder_lessons(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the module whose lessons are reordered.")] module_id: ID,
        #[graphql(
            desc = "The ids of all the module's lessons, each exactly once, in the new order; \
                    any other list gives `BAD_USER_INPUT`."
        )]
        lesson_ids: Vec<ID>,
    ) -> ApiResult<Module> {
        let actor = actor(ctx)?;
        let module_id = parse_id(&module_id, "moduleId")?;
        let order = ids(&lesson_ids, "lessonIds")?;
        Ok(Module(
            courses::reorder_lessons(&services(ctx)?.db, actor, module_id, order).await?,
        ))
    }

    /// Removes a lesson from a draft. A repeat is `NOT_FOUND`: the lesson is gone.
    async fn remove_lesson(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the lesson to remove; its course must be a draft.")]
        lesson_id: ID,
    ) -> ApiResult<bool> {
        let actor = actor(ctx)?;
        let lesson_id = parse_id(&lesson_id, "lessonId")?;
        courses::remove_lesson(&services(ctx)?.db, actor, lesson_id).await?;
        Ok(true)
    }

    /// Publishes a complete draft; the error says what is missing otherwise. A new version
    /// replaces (archives) the version it was made from. A repeat is `CONFLICT`: the course is
    /// published already.
    async fn publish_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the draft to publish.")] course_id: ID,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        Ok(Course(
            courses::publish(&services(ctx)?.db, actor, course_id).await?,
        ))
    }

    /// Takes a course out of the catalogue for good. Safe to repeat.
    async fn archive_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the course to archive; archiving it again changes nothing.")]
        course_id: ID,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        Ok(Course(
            courses::archive(&services(ctx)?.db, actor, course_id).await?,
        ))
    }

    /// Starts a new draft version of a published course, to change its structure. A repeat is
    /// `CONFLICT`: the course has a draft version already.
    async fn create_course_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the published course to copy; a course that already has a draft \
                    version gives `CONFLICT`."
        )]
        course_id: ID,
    ) -> ApiResult<Course> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        Ok(Course(
            courses::new_version(&services(ctx)?.db, actor, course_id).await?,
        ))
    }
}

//! Learning: enrolments, lesson progress and the learner's own list (`myEnrollments`).

use async_graphql::InputObject;
use async_graphql::{
    Context, Enum, ID, Object,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use govskills_domain::{
    entities::{
        competence_result::ResultSource as DbResultSource,
        enrollment::{self, EnrollmentSource as DbSource, EnrollmentStatus as DbStatus},
        user,
    },
    learning,
    privacy::policy,
};

use super::id;
use super::{
    context::{actor, loader, own_profile, services},
    courses::Course,
    cursor,
    frameworks::Competence,
    list_cost,
    loaders::{
        CourseLoader, EnrollmentRolloutLoader, LessonCountLoader, LoadRequired, ProgressLoader,
        ProgressOf, UserLoader,
    },
    page_size, paged_cost, parse_after, parse_id,
    privacy::HrPersonView,
    reports::ReportPerson,
    rollouts::EnrollmentRollout,
    sized_list_cost,
};
use crate::error::{ApiResult, OptionalExt};

/// Where an enrolment is in its life.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrollmentStatus {
    /// Being worked through.
    Active,
    /// Every lesson done.
    Completed,
    /// The learner left a course they had chosen.
    Withdrawn,
    /// HR took the assignment back.
    Cancelled,
}

/// How the learner came to take the course.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrollmentSource {
    /// The learner chose it.
    #[graphql(name = "SELF")]
    SelfEnrolled,
    /// HR assigned it: mandatory training.
    Assigned,
}

mirror!(
    EnrollmentStatus,
    DbStatus,
    [Active, Completed, Withdrawn, Cancelled]
);

impl From<DbSource> for EnrollmentSource {
    fn from(value: DbSource) -> Self {
        match value {
            DbSource::SelfEnrolled => Self::SelfEnrolled,
            DbSource::Assigned => Self::Assigned,
        }
    }
}

/// A learner taking a course, by their own choice or assigned by HR.
pub struct Enrollment(pub enrollment::Model);

/// A learner taking a course, by their own choice or assigned by HR.
#[Object]
impl Enrollment {
    /// The enrolment's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The course taken (the version enrolled in, even after a newer one is published).
    async fn course(&self, ctx: &Context<'_>) -> ApiResult<Course> {
        loader::<CourseLoader>(ctx)?
            .load_required(self.0.course_id, "course")
            .await
            .map(Course)
    }

    /// Active, completed, withdrawn or cancelled.
    async fn status(&self) -> EnrollmentStatus {
        self.0.status.into()
    }

    /// Chosen by the learner or assigned by HR.
    async fn source(&self) -> EnrollmentSource {
        self.0.source.into()
    }

    /// When an assignment is due, if it has a due date.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }

    /// Past its due date and not completed.
    async fn overdue(&self) -> bool {
        learning::is_overdue(&self.0, Utc::now())
    }

    /// The rollout this assignment prepares for, and why ("You will use the new e-permit
    /// service from 2027-03-01."); null for other enrolments.
    async fn rollout(&self, ctx: &Context<'_>) -> ApiResult<Option<EnrollmentRollout>> {
        Ok(loader::<EnrollmentRolloutLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .map(EnrollmentRollout))
    }

    /// How much of the course is done.
    async fn progress(&self, ctx: &Context<'_>) -> ApiResult<Progress> {
        let counts = loader::<LessonCountLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(Progress {
            done: i32::try_from(counts.done).unwrap_or(i32::MAX),
            total: i32::try_from(counts.total).unwrap_or(i32::MAX),
        })
    }

    /// The lessons of the course you have done, in the order you did them, so a course page
    /// can tick them off. An assessment lesson is done when its assessment is passed.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn completed_lesson_ids(&self, ctx: &Context<'_>) -> ApiResult<Vec<ID>> {
        let mut done = loader::<ProgressLoader>(ctx)?
            .load_one(ProgressOf(self.0.id))
            .await?
            .unwrap_or_default();
        done.sort_by_key(|progress| (progress.completed_at, progress.lesson_id));
        Ok(done
            .into_iter()
            .map(|progress| id(progress.lesson_id))
            .collect())
    }

    /// When the last lesson was done.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }

    /// When the learner last did something in the course (or enrolled).
    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.0.last_activity_at
    }

    /// When the enrolment was made.
    async fn enrolled_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The learner, to go from a roster row to the person (`user(id)`, `assignCourse`).
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<ReportPerson> {
        let user = loader::<UserLoader>(ctx)?
            .load_required(self.0.user_id, "user")
            .await?;
        Ok(ReportPerson {
            id: id(user.id),
            display_name: user.display_name,
        })
    }

    /// Who assigned the course, for an assignment.
    async fn assigned_by(&self, ctx: &Context<'_>) -> ApiResult<Option<Assigner>> {
        let Some(user_id) = self.0.assigned_by else {
            return Ok(None);
        };
        Ok(loader::<UserLoader>(ctx)?
            .load_one(user_id)
            .await?
            .map(Assigner))
    }
}

/// A page of someone's enrolments as a connection (`myEnrollments`, `User.enrollments`).
pub async fn enrollment_connection(
    ctx: &Context<'_>,
    has_previous: bool,
    page: learning::Page,
) -> ApiResult<Connection<String, Enrollment>> {
    // The courses were read with the page: `course` finds them loaded.
    loader::<CourseLoader>(ctx)?
        .feed_many(page.courses.into_iter().map(|course| (course.id, course)))
        .await;
    let mut connection = Connection::new(has_previous, page.has_next_page);
    connection.edges.extend(
        page.enrollments
            .into_iter()
            .map(|enrollment| Edge::new(cursor(enrollment.id), Enrollment(enrollment))),
    );
    Ok(connection)
}

/// How much of a course is done.
pub struct Progress {
    done: i32,
    total: i32,
}

/// How much of a course is done.
#[Object]
impl Progress {
    /// Lessons done.
    async fn done(&self) -> i32 {
        self.done
    }

    /// Lessons in the course.
    async fn total(&self) -> i32 {
        self.total
    }

    /// Lessons done as a whole percentage (0 for a course without lessons).
    async fn percent(&self) -> i32 {
        if self.total == 0 {
            0
        } else {
            self.done * 100 / self.total
        }
    }
}

/// The HR officer who assigned a course, as a learner sees them: name only.
pub struct Assigner(user::Model);

/// The HR officer who assigned a course, as a learner sees them: name only.
#[Object]
impl Assigner {
    /// Their user id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Their name.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
}

/// Where a competence level comes from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompetenceResultSource {
    /// The learner rated themselves.
    #[graphql(name = "SELF")]
    SelfAssessed,
    /// A passed assessment.
    Assessment,
    /// Recorded by HR.
    Manual,
}

impl From<DbResultSource> for CompetenceResultSource {
    fn from(value: DbResultSource) -> Self {
        match value {
            DbResultSource::SelfAssessed => Self::SelfAssessed,
            DbResultSource::Assessment => Self::Assessment,
            DbResultSource::Manual => Self::Manual,
        }
    }
}

/// Your competences: where you are, where your job role needs you, and the gap.
pub struct CompetenceProfile {
    entries: Vec<learning::ProfileEntry>,
    view: HrPersonView,
}

impl CompetenceProfile {
    /// A profile as the domain gave it for `view` (already applied to `entries`).
    pub fn new(entries: Vec<learning::ProfileEntry>, view: policy::HrPersonView) -> Self {
        Self {
            entries,
            view: view.into(),
        }
    }

    /// One's own profile: everything.
    fn own(entries: Vec<learning::ProfileEntry>) -> Self {
        Self::new(entries, policy::HrPersonView::Full)
    }
}

/// Your competences: where you are, where your job role needs you, and the gap.
#[Object]
impl CompetenceProfile {
    /// What this profile shows: `FULL` (your own, always, and another person's where their
    /// authority allows it), or `PASS_FAIL` when HR or an administrator reads someone whose
    /// authority limits them to completion and pass/fail: then self-assessments are left out
    /// (such a competence has a null `currentLevel`, `source` and `assessedAt`, `selfAssessed`
    /// false, and its gap counts from 0), and only verified levels show.
    async fn results_view(&self) -> HrPersonView {
        self.view
    }

    /// Every competence of the frameworks in use, in framework order: the platform's default
    /// framework (DigComp 2.2, all 21 competences) for everyone, even without a job role or any
    /// result, plus those your job role requires and those you have results for.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn competences(&self) -> Vec<CompetenceLevel> {
        self.entries.iter().cloned().map(CompetenceLevel).collect()
    }

    /// The sum of the gaps.
    async fn total_gap(&self) -> i32 {
        self.entries.iter().map(learning::ProfileEntry::gap).sum()
    }
}

/// One competence of your profile.
pub struct CompetenceLevel(learning::ProfileEntry);

/// One competence of your profile.
#[Object]
impl CompetenceLevel {
    /// The competence.
    async fn competence(&self) -> Competence {
        Competence(self.0.competence.clone())
    }

    /// Your current level: the latest verified result, else your latest self-assessment;
    /// null if there is neither, and in a `PASS_FAIL` view of someone else (see
    /// `CompetenceProfile.resultsView`) when there is only a self-assessment.
    async fn current_level(&self) -> Option<i32> {
        self.0.current.as_ref().map(|result| result.level)
    }

    /// Where the current level comes from; null without one (as `currentLevel`).
    async fn source(&self) -> Option<CompetenceResultSource> {
        self.0.current.as_ref().map(|result| result.source.into())
    }

    /// When the current level was recorded; null without one (as `currentLevel`).
    async fn assessed_at(&self) -> Option<DateTime<Utc>> {
        self.0.current.as_ref().map(|result| result.created_at)
    }

    /// Whether the current level is only your own rating (no verified result exists); always
    /// false in a `PASS_FAIL` view, which leaves self-assessments out.
    async fn self_assessed(&self) -> bool {
        self.0
            .current
            .as_ref()
            .is_some_and(|result| result.source == DbResultSource::SelfAssessed)
    }

    /// The level your job role requires, if it requires this competence.
    async fn required_level(&self) -> Option<i32> {
        self.0.required
    }

    /// How far the current level (0 without one) falls short of the required level; never
    /// negative.
    async fn gap(&self) -> i32 {
        self.0.gap()
    }
}

/// Your rating of yourself in one competence.
#[derive(InputObject)]
pub struct SelfRatingInput {
    /// The competence rated.
    pub competence_id: ID,
    /// Within the competence's framework's level range.
    pub level: i32,
}

#[derive(Default)]
pub struct LearningQuery;

#[Object]
impl LearningQuery {
    /// Your active and completed enrolments, what needs attention first: overdue, then due
    /// soonest, then most recently active.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn my_enrollments(
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
    ) -> ApiResult<Connection<String, Enrollment>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let after = parse_after(after.as_deref())?;
        let page = learning::page_of(&services(ctx)?.db, actor.id(), after, first).await?;
        enrollment_connection(ctx, after.is_some(), page).await
    }

    /// Your competence profile.
    async fn my_competence_profile(&self, ctx: &Context<'_>) -> ApiResult<CompetenceProfile> {
        Ok(CompetenceProfile::own(own_profile(ctx).await?.to_vec()))
    }

    /// Published courses you can take that close your biggest gaps first, without those you
    /// completed.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn my_recommendations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many courses to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
    ) -> ApiResult<Vec<Course>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let profile = own_profile(ctx).await?;
        Ok(
            learning::recommendations(&services(ctx)?.db, actor, profile, first)
                .await?
                .into_iter()
                .map(Course)
                .collect(),
        )
    }

    /// One of your enrolments; null if it does not exist or is not yours.
    async fn enrollment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The enrolment's id; an unknown one gives null, a malformed one `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
    ) -> ApiResult<Option<Enrollment>> {
        let actor = actor(ctx)?;
        let enrollment_id = parse_id(&id, "id")?;
        Ok(
            learning::find_visible(&services(ctx)?.db, actor, enrollment_id)
                .await
                .optional()?
                .map(Enrollment),
        )
    }
}

#[derive(Default)]
pub struct LearningMutation;

#[Object]
impl LearningMutation {
    /// Enrols you in a published course you can see. Enrolling again returns the existing
    /// enrolment: safe to repeat.
    async fn enroll(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the course; one you cannot see is `NOT_FOUND`, one that is not \
                    published is `CONFLICT`."
        )]
        course_id: ID,
    ) -> ApiResult<Enrollment> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        Ok(Enrollment(
            learning::enroll(&services(ctx)?.db, actor, course_id).await?,
        ))
    }

    /// Records that you did a lesson (doing it again changes nothing). When every lesson is
    /// done the enrolment completes. An assessment lesson is done by passing its assessment
    /// (`startAttempt`, `submitAttempt`), not here (`CONFLICT`). A lesson of a course you are
    /// not enrolled in is `NOT_FOUND`. Safe to repeat.
    async fn complete_lesson(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the lesson done.")] lesson_id: ID,
    ) -> ApiResult<Enrollment> {
        let actor = actor(ctx)?;
        let lesson_id = parse_id(&lesson_id, "lessonId")?;
        let services = services(ctx)?;
        Ok(Enrollment(
            learning::complete_lesson(
                &services.db,
                services.issuer.get(&services.db).await?,
                actor,
                lesson_id,
            )
            .await?,
        ))
    }

    /// Assigns a published course as mandatory training (HR) to users inside the org units you
    /// are HR for, optionally due at `dueAt`. If any one user is outside, the whole call is
    /// `FORBIDDEN` and nothing is written. Someone already enrolled by their own choice gets
    /// the assignment and due date on their existing enrolment. Safe to repeat: assigning again
    /// updates the same enrolments (to the due date given), and each person is notified once.
    #[graphql(complexity = "sized_list_cost(user_ids.len(), child_complexity)")]
    async fn assign_course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the published course to assign.")] course_id: ID,
        #[graphql(
            desc = "The ids of the users to assign it to (duplicates count once); an unknown or \
                    disabled user gives `BAD_USER_INPUT`."
        )]
        user_ids: Vec<ID>,
        #[graphql(
            desc = "When the training is due; leave out for no due date. An active enrolment \
                    past it shows as `overdue`."
        )]
        due_at: Option<DateTime<Utc>>,
    ) -> ApiResult<Vec<Enrollment>> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        let user_ids = user_ids
            .iter()
            .map(|id| parse_id(id, "userIds"))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(
            learning::assign(&services(ctx)?.db, actor, course_id, user_ids, due_at)
                .await?
                .into_iter()
                .map(Enrollment)
                .collect(),
        )
    }

    /// Assigns a published course (HR) to every active member of an org unit and its
    /// sub-units, which must be inside the org units you are HR for. Safe to repeat, as
    /// `assignCourse` is.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn assign_course_to_org_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the published course to assign.")] course_id: ID,
        #[graphql(desc = "The id of the org unit whose members (sub-units included) get it.")]
        org_unit_id: ID,
        #[graphql(
            desc = "When the training is due; leave out for no due date. An active enrolment \
                    past it shows as `overdue`."
        )]
        due_at: Option<DateTime<Utc>>,
    ) -> ApiResult<Vec<Enrollment>> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        Ok(
            learning::assign_to_org_unit(&services(ctx)?.db, actor, course_id, org_unit_id, due_at)
                .await?
                .into_iter()
                .map(Enrollment)
                .collect(),
        )
    }

    /// Assigns a published course (HR) to everyone holding a job role who works in the org units
    /// you are HR for; holders elsewhere are left out. Safe to repeat, as `assignCourse` is.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn assign_course_to_job_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the published course to assign.")] course_id: ID,
        #[graphql(desc = "The id of the job role whose holders get it.")] job_role_id: ID,
        #[graphql(
            desc = "When the training is due; leave out for no due date. An active enrolment \
                    past it shows as `overdue`."
        )]
        due_at: Option<DateTime<Utc>>,
    ) -> ApiResult<Vec<Enrollment>> {
        let actor = actor(ctx)?;
        let course_id = parse_id(&course_id, "courseId")?;
        let job_role_id = parse_id(&job_role_id, "jobRoleId")?;
        Ok(
            learning::assign_to_job_role(&services(ctx)?.db, actor, course_id, job_role_id, due_at)
                .await?
                .into_iter()
                .map(Enrollment)
                .collect(),
        )
    }

    /// Cancels an active assignment (HR covering the learner). Safe to repeat.
    async fn cancel_assignment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the assigned enrolment. Cancelling it again changes nothing; a \
                    self-chosen, completed or withdrawn enrolment gives `CONFLICT`."
        )]
        enrollment_id: ID,
    ) -> ApiResult<Enrollment> {
        let actor = actor(ctx)?;
        let enrollment_id = parse_id(&enrollment_id, "enrollmentId")?;
        Ok(Enrollment(
            learning::cancel_assignment(&services(ctx)?.db, actor, enrollment_id).await?,
        ))
    }

    /// Rates yourself in competences; your ratings count as your current level only where no
    /// verified result exists, and are flagged as self-assessed. Safe to repeat: the same
    /// ratings again leave your levels as they are.
    async fn submit_self_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Your ratings: at least one, each competence at most once, each level within \
                    its framework's range."
        )]
        ratings: Vec<SelfRatingInput>,
    ) -> ApiResult<CompetenceProfile> {
        let actor = actor(ctx)?;
        let ratings = ratings
            .iter()
            .map(|rating| Ok((parse_id(&rating.competence_id, "ratings")?, rating.level)))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(CompetenceProfile::own(
            learning::submit_self_assessment(&services(ctx)?.db, actor, ratings).await?,
        ))
    }

    /// Withdraws you from a course you enrolled in yourself (an assignment is HR's to cancel).
    /// Safe to repeat.
    async fn withdraw_enrollment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of your enrolment. Withdrawing again changes nothing; an assignment \
                    gives `FORBIDDEN`, a completed or cancelled enrolment `CONFLICT`."
        )]
        enrollment_id: ID,
    ) -> ApiResult<Enrollment> {
        let actor = actor(ctx)?;
        let enrollment_id = parse_id(&enrollment_id, "enrollmentId")?;
        Ok(Enrollment(
            learning::withdraw(&services(ctx)?.db, actor, enrollment_id).await?,
        ))
    }
}

//! Rollouts of a digital service and readiness for go-live (`rollouts`, `rollout`,
//! `rolloutReadiness`, `createRollout`, `updateRollout`, `launchRollout`), and the rollout an
//! assignment belongs to (`Enrollment.rollout`).

use async_graphql::{
    Context, Enum, ID, InputObject, InputValueError, InputValueResult, Object, Scalar, ScalarType,
    Value, connection::Connection,
};
use chrono::{DateTime, NaiveDate, Utc};
use govskills_domain::{
    entities::{rollout, rollout_snapshot},
    rollouts::{
        self, RolloutInput, RolloutStatus as DomainStatus, RolloutUpdate, UnitInput,
        readiness::{
            self, CompetenceReadiness, Figures, NotReady, Outlook, PersonStatus, Readiness,
            SubunitReadiness,
        },
    },
};
use uuid::Uuid;

use super::{
    ai_register::AiSystem,
    assessments::Assessment,
    context::{actor, loader, services},
    courses::Course,
    frameworks::Competence,
    id,
    job_roles::JobRole,
    loaders::{
        CompetenceLoader, CourseLoader, JobRoleLoader, LoadRequired, OrgUnitLoader,
        RolloutCourseLoader, RolloutCoursesOf, RolloutJobRoleLoader, RolloutJobRolesOf,
        RolloutRequirementLoader, RolloutRequirementsOf, RolloutUnitLoader, RolloutUnitsOf,
    },
    org_units::OrgUnit,
    paged_cost, parse_id,
    reports::{ReportPerson, ranked_page},
};
use crate::error::ApiResult;

/// A calendar day, `YYYY-MM-DD` (ISO 8601), without a time or time zone.
pub struct Date(pub NaiveDate);

/// A calendar day, as an ISO 8601 string `YYYY-MM-DD` (e.g. `2027-03-01`), without a time or
/// time zone.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("{raw:?} is not a date YYYY-MM-DD"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Where a rollout is in its life.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutStatus {
    /// Being planned: nothing is assigned yet, everything can change.
    Draft,
    /// Launched: training is assigned and go-live lies ahead. Its dates, name and target can
    /// change; whom it affects and what it requires cannot.
    Launched,
    /// The service is live.
    Live,
    /// Over; it can no longer change.
    Closed,
}

impl From<DomainStatus> for RolloutStatus {
    fn from(value: DomainStatus) -> Self {
        match value {
            DomainStatus::Draft => Self::Draft,
            DomainStatus::Launched => Self::Launched,
            DomainStatus::Live => Self::Live,
            DomainStatus::Closed => Self::Closed,
        }
    }
}

impl From<RolloutStatus> for DomainStatus {
    fn from(value: RolloutStatus) -> Self {
        match value {
            RolloutStatus::Draft => Self::Draft,
            RolloutStatus::Launched => Self::Launched,
            RolloutStatus::Live => Self::Live,
            RolloutStatus::Closed => Self::Closed,
        }
    }
}

/// Whether a rollout is expected to reach its readiness target by go-live.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutReadinessStatus {
    /// The target is reached, or will be at the current rate.
    OnTrack,
    /// At the current rate, the target will not be reached by go-live.
    AtRisk,
}

/// Where one affected person stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutPersonStatus {
    /// Every required level is verified (or, where the rollout allows, taught by a completed
    /// course).
    Ready,
    /// Not ready, but working on a rollout course.
    InTraining,
    /// Not ready and not started.
    NotStarted,
    /// Not ready, and the training due day has passed.
    Overdue,
}

/// A digital service or system going live in an org unit on a date.
pub struct Rollout(pub rollout::Model);

/// A digital service or system going live in an org unit on a date: the staff it affects, the
/// competence levels they need by then, the courses that teach them and the readiness target.
#[Object]
impl Rollout {
    /// The rollout's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The org unit that plans it; its HR and ADMIN manage it.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// Its name, e.g. "E-permit service".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it is about, for the people affected.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The system or service going live, as learners see it named.
    async fn service(&self) -> &str {
        &self.0.service
    }

    /// The AI system from the register going live, if it is one (and you can see it).
    async fn ai_system(&self, ctx: &Context<'_>) -> ApiResult<Option<AiSystem>> {
        let Some(system_id) = self.0.ai_system_id else {
            return Ok(None);
        };
        match govskills_domain::ai_register::find_visible(
            &services(ctx)?.db,
            actor(ctx)?,
            system_id,
        )
        .await
        {
            Ok(system) => Ok(Some(AiSystem(system))),
            Err(govskills_domain::Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The day it goes live.
    async fn go_live_on(&self) -> Date {
        Date(self.0.go_live_on)
    }

    /// Days before go-live by which training must be done (0 to 365).
    async fn lead_time_days(&self) -> i32 {
        self.0.lead_time_days
    }

    /// The day training must be done by: go-live minus the lead time. Assignments are due at
    /// the end of that day (UTC).
    async fn training_due_on(&self) -> Date {
        Date(rollouts::training_due_on(&self.0))
    }

    /// The percentage of affected staff that should be ready on go-live day (1 to 100).
    async fn readiness_target(&self) -> i32 {
        self.0.readiness_target
    }

    /// Whether completing a rollout course that teaches a required competence counts as meeting
    /// it; otherwise only a verified level does.
    async fn ready_by_courses(&self) -> bool {
        self.0.ready_by_courses
    }

    /// Draft, launched, live or closed.
    async fn status(&self) -> ApiResult<RolloutStatus> {
        Ok(DomainStatus::of(&self.0)?.into())
    }

    /// The org units whose staff it affects.
    async fn affected_units(&self, ctx: &Context<'_>) -> ApiResult<Vec<RolloutUnit>> {
        let rows = loader::<RolloutUnitLoader>(ctx)?
            .load_one(RolloutUnitsOf(self.0.id))
            .await?
            .unwrap_or_default();
        let units = loader::<OrgUnitLoader>(ctx)?
            .load_many(rows.iter().map(|row| row.org_unit_id))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(RolloutUnit {
                    unit: units.get(&row.org_unit_id)?.clone(),
                    include_subunits: row.include_subunits,
                })
            })
            .collect())
    }

    /// The job roles whose holders it affects (within the affected units, where there are
    /// any).
    async fn job_roles(&self, ctx: &Context<'_>) -> ApiResult<Vec<JobRole>> {
        let rows = loader::<RolloutJobRoleLoader>(ctx)?
            .load_one(RolloutJobRolesOf(self.0.id))
            .await?
            .unwrap_or_default();
        let roles = loader::<JobRoleLoader>(ctx)?
            .load_many(rows.iter().map(|row| row.job_role_id))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| roles.get(&row.job_role_id).cloned().map(JobRole))
            .collect())
    }

    /// The competence levels the affected staff need by go-live.
    async fn requirements(&self, ctx: &Context<'_>) -> ApiResult<Vec<RolloutRequirement>> {
        Ok(loader::<RolloutRequirementLoader>(ctx)?
            .load_one(RolloutRequirementsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|row| RolloutRequirement {
                competence_id: row.competence_id,
                level: row.level,
            })
            .collect())
    }

    /// The courses that teach what it requires, in order.
    async fn courses(&self, ctx: &Context<'_>) -> ApiResult<Vec<Course>> {
        let rows = loader::<RolloutCourseLoader>(ctx)?
            .load_one(RolloutCoursesOf(self.0.id))
            .await?
            .unwrap_or_default();
        let courses = loader::<CourseLoader>(ctx)?
            .load_many(rows.iter().map(|row| row.course_id))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| courses.get(&row.course_id).cloned().map(Course))
            .collect())
    }

    /// The assessment that proves the required levels, if there is one (and you can see it).
    async fn assessment(&self, ctx: &Context<'_>) -> ApiResult<Option<Assessment>> {
        let Some(assessment_id) = self.0.assessment_id else {
            return Ok(None);
        };
        match govskills_domain::assessments::find_assessment(
            &services(ctx)?.db,
            actor(ctx)?,
            assessment_id,
        )
        .await
        {
            Ok(access) => Ok(Some(Assessment(access))),
            Err(govskills_domain::Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// When it was launched.
    async fn launched_at(&self) -> Option<DateTime<Utc>> {
        self.0.launched_at
    }

    /// When it was planned.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An org unit a rollout affects.
pub struct RolloutUnit {
    unit: govskills_domain::entities::org_unit::Model,
    include_subunits: bool,
}

/// An org unit whose staff a rollout affects.
#[Object]
impl RolloutUnit {
    /// The org unit.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.unit.clone())
    }

    /// Whether the staff of its sub-units are affected too.
    async fn include_subunits(&self) -> bool {
        self.include_subunits
    }
}

/// A competence level a rollout requires.
pub struct RolloutRequirement {
    competence_id: Uuid,
    level: i32,
}

/// A competence level the affected staff of a rollout need by go-live.
#[Object]
impl RolloutRequirement {
    /// The competence.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// The level needed (within the competence's framework).
    async fn level(&self) -> i32 {
        self.level
    }
}

/// A rollout's readiness.
pub struct RolloutReadiness(Readiness);

impl RolloutReadiness {
    fn figures(&self) -> Option<&Figures> {
        self.0.figures.shown()
    }
}

/// Whether a rollout's affected staff will be ready on go-live day: counts, per competence,
/// per sub-unit (under the minimum group size), a projection and the daily history. Every
/// figure is null when the minimum group size withholds the rollout's org unit (`suppressed`).
#[Object]
impl RolloutReadiness {
    /// The rollout.
    async fn rollout(&self) -> Rollout {
        Rollout(self.0.rollout.clone())
    }

    /// Whether the figures are withheld under the minimum group size (the authority's
    /// `reportPrivacy`, else the platform's), as `skillGapReport` would be for the rollout's
    /// org unit: then every figure is null and `notReady` is empty.
    async fn suppressed(&self) -> bool {
        self.0.figures.is_suppressed()
    }

    /// Active staff the rollout affects; null when withheld.
    async fn affected(&self) -> Option<i64> {
        self.figures().map(|f| f.totals.affected)
    }

    /// Of them, ready: every required level verified (or taught by a completed course, where
    /// the rollout allows); null when withheld.
    async fn ready(&self) -> Option<i64> {
        self.figures().map(|f| f.totals.ready)
    }

    /// Not ready, working on a rollout course (before the training due day); null when
    /// withheld.
    async fn in_training(&self) -> Option<i64> {
        self.figures().map(|f| f.totals.in_training)
    }

    /// Not ready and not started (before the training due day); null when withheld.
    async fn not_started(&self) -> Option<i64> {
        self.figures().map(|f| f.totals.not_started)
    }

    /// Not ready after the training due day (then everyone not ready is overdue); null when
    /// withheld.
    async fn overdue(&self) -> Option<i64> {
        self.figures().map(|f| f.totals.overdue)
    }

    /// Ready, in percent of affected (0 to 100; 0 when nobody is affected); null when withheld.
    async fn ready_percent(&self) -> Option<f64> {
        self.figures().map(|f| f.totals.ready_percent())
    }

    /// The target percentage.
    async fn target(&self) -> i32 {
        self.0.rollout.readiness_target
    }

    /// The readiness expected on go-live day: today's plus the daily gain since the first
    /// snapshot for each day left (at most 100); null when withheld.
    async fn projected_percent(&self) -> Option<f64> {
        self.figures().map(|f| f.projected_percent)
    }

    /// `ON_TRACK` when the target is reached or projected to be, else `AT_RISK`; null when
    /// withheld.
    async fn status(&self) -> Option<RolloutReadinessStatus> {
        self.figures().map(|f| match f.outlook {
            Outlook::OnTrack => RolloutReadinessStatus::OnTrack,
            Outlook::AtRisk => RolloutReadinessStatus::AtRisk,
        })
    }

    /// Per required competence: how many are below it and by how much, most below first;
    /// null when withheld.
    async fn competences(&self) -> Option<Vec<RolloutCompetenceReadiness>> {
        self.figures().map(|f| {
            f.competences
                .iter()
                .cloned()
                .map(RolloutCompetenceReadiness)
                .collect()
        })
    }

    /// Per direct sub-unit of the rollout's org unit, by name; groups suppressed under the
    /// minimum group size show no figures; null when withheld.
    async fn subunits(&self) -> Option<Vec<RolloutSubunitReadiness>> {
        self.figures().map(|f| {
            f.subunits
                .iter()
                .cloned()
                .map(RolloutSubunitReadiness)
                .collect()
        })
    }

    /// One snapshot per day since launch, oldest first (today's is the latest figure); null
    /// when withheld.
    async fn history(&self) -> Option<Vec<RolloutSnapshot>> {
        self.figures()
            .map(|f| f.history.iter().cloned().map(RolloutSnapshot).collect())
    }

    /// The people not ready, by name, with what each misses; members of suppressed sub-units
    /// are left out (everyone when withheld). Every read is recorded in the audit log.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn not_ready(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many people to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
    ) -> ApiResult<Connection<String, RolloutPerson>> {
        let db = &services(ctx)?.db;
        let actor = actor(ctx)?;
        ranked_page(first, after, RolloutPerson, async |page| {
            readiness::not_ready(db, actor, &self.0, page, Utc::now()).await
        })
        .await
    }
}

/// One required competence across a rollout's staff.
pub struct RolloutCompetenceReadiness(CompetenceReadiness);

/// One required competence across a rollout's affected staff.
#[Object]
impl RolloutCompetenceReadiness {
    /// The competence.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.0.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// The level required.
    async fn level(&self) -> i32 {
        self.0.required
    }

    /// Affected people who do not meet it.
    async fn below(&self) -> i64 {
        self.0.below
    }

    /// Among them, the average number of levels missing (0 when nobody is below).
    async fn average_shortfall(&self) -> f64 {
        self.0.average_shortfall()
    }
}

/// One sub-unit's readiness.
pub struct RolloutSubunitReadiness(SubunitReadiness);

/// The readiness of one direct sub-unit of a rollout's org unit.
#[Object]
impl RolloutSubunitReadiness {
    /// The sub-unit (its own sub-units included).
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.unit.clone())
    }

    /// Affected people in it; null when suppressed.
    async fn affected(&self) -> Option<i64> {
        self.0.counts.shown().map(|c| c.affected)
    }

    /// Whether its figures are withheld under the minimum group size (the authority's
    /// `reportPrivacy`, else the platform's): it has fewer staff, or fewer affected people,
    /// than that, or is suppressed so that such a group beside it cannot be worked out from
    /// the totals.
    async fn suppressed(&self) -> bool {
        self.0.counts.is_suppressed()
    }

    /// Ready people in it; null when suppressed.
    async fn ready(&self) -> Option<i64> {
        self.0.counts.shown().map(|c| c.ready)
    }

    /// Ready, in percent of affected; null when suppressed.
    async fn ready_percent(&self) -> Option<f64> {
        self.0
            .counts
            .shown()
            .map(|c| readiness::percent(c.ready, c.affected))
    }
}

/// A day's readiness.
pub struct RolloutSnapshot(rollout_snapshot::Model);

/// A rollout's readiness on one day (the latest figure of that day).
#[Object]
impl RolloutSnapshot {
    /// The day.
    async fn day(&self) -> Date {
        Date(self.0.day)
    }

    /// Affected people that day.
    async fn affected(&self) -> i32 {
        self.0.affected
    }

    /// Ready people that day.
    async fn ready(&self) -> i32 {
        self.0.ready
    }

    /// Ready, in percent of affected (0 when nobody was).
    async fn ready_percent(&self) -> f64 {
        readiness::percent(i64::from(self.0.ready), i64::from(self.0.affected))
    }
}

/// A person not yet ready for a rollout.
pub struct RolloutPerson(NotReady);

/// A person not yet ready for a rollout, for their manager: where they stand and what they
/// miss.
#[Object]
impl RolloutPerson {
    /// The person.
    async fn user(&self) -> ReportPerson {
        ReportPerson {
            id: id(self.0.user_id),
            display_name: self.0.display_name.clone(),
        }
    }

    /// Their org unit.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// In training, not started or overdue.
    async fn status(&self) -> RolloutPersonStatus {
        match self.0.status {
            PersonStatus::Ready => RolloutPersonStatus::Ready,
            PersonStatus::InTraining => RolloutPersonStatus::InTraining,
            PersonStatus::NotStarted => RolloutPersonStatus::NotStarted,
            PersonStatus::Overdue => RolloutPersonStatus::Overdue,
        }
    }

    /// The requirements they do not meet yet.
    async fn missing(&self) -> Vec<RolloutRequirement> {
        self.0
            .missing
            .iter()
            .map(|(competence_id, level)| RolloutRequirement {
                competence_id: *competence_id,
                level: *level,
            })
            .collect()
    }
}

/// The rollout an assignment belongs to, as its learner sees it.
pub struct EnrollmentRollout(pub rollout::Model);

/// The rollout an assignment belongs to, and why the learner has it.
#[Object]
impl EnrollmentRollout {
    /// The rollout's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The rollout's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The system or service going live.
    async fn service(&self) -> &str {
        &self.0.service
    }

    /// The day it goes live.
    async fn go_live_on(&self) -> Date {
        Date(self.0.go_live_on)
    }

    /// The day training must be done by.
    async fn training_due_on(&self) -> Date {
        Date(rollouts::training_due_on(&self.0))
    }

    /// Why, in a sentence: "You will use the new e-permit service from 2027-03-01."
    async fn reason(&self) -> String {
        rollouts::reason(&self.0)
    }
}

/// An org unit a rollout affects.
#[derive(InputObject)]
pub struct RolloutUnitInput {
    /// The org unit; it must lie in the rollout's org unit (or be it).
    pub org_unit_id: ID,
    /// Whether the staff of its sub-units are affected too.
    #[graphql(default = true)]
    pub include_subunits: bool,
}

/// A competence level a rollout requires.
#[derive(InputObject)]
pub struct RolloutRequirementInput {
    /// The competence.
    pub competence_id: ID,
    /// The level needed, within the competence's framework.
    pub level: i32,
}

/// A new rollout.
#[derive(InputObject)]
pub struct CreateRolloutInput {
    /// The org unit that plans it; your HR or ADMIN role must cover it.
    pub org_unit_id: ID,
    /// Its name, 1 to 200 characters.
    pub name: String,
    /// What it is about (at most 2,000 characters).
    #[graphql(default)]
    pub description: String,
    /// The system or service going live, as learners see it named (1 to 200 characters).
    pub service: String,
    /// The AI system from the authority's register going live, if it is one.
    pub ai_system_id: Option<ID>,
    /// The day it goes live; after today.
    pub go_live_on: Date,
    /// Days before go-live by which training must be done, 0 to 365.
    pub lead_time_days: i32,
    /// The percentage of affected staff that should be ready on go-live day, 1 to 100.
    #[graphql(default = 90)]
    pub readiness_target: i32,
    /// Whether completing a rollout course that teaches a required competence counts as meeting
    /// it.
    #[graphql(default)]
    pub ready_by_courses: bool,
    /// The org units whose staff it affects. With job roles too, only their holders there.
    #[graphql(default)]
    pub affected_units: Vec<RolloutUnitInput>,
    /// The job roles whose holders it affects. At least one unit or job role is needed.
    #[graphql(default)]
    pub job_role_ids: Vec<ID>,
    /// The competence levels needed by go-live; at least one.
    pub requirements: Vec<RolloutRequirementInput>,
    /// Published courses that teach the required competences; each must teach at least one.
    pub course_ids: Vec<ID>,
    /// An assessment that proves the required levels.
    pub assessment_id: Option<ID>,
}

/// A change to a rollout; a field left out stays as it is.
#[derive(InputObject)]
pub struct UpdateRolloutInput {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new name of the service going live.
    pub service: Option<String>,
    /// Link an AI system from the register.
    pub ai_system_id: Option<ID>,
    /// A new go-live day (after today); the due dates of open assignments move with it.
    pub go_live_on: Option<Date>,
    /// A new lead time (0 to 365 days); the due dates of open assignments move with it.
    pub lead_time_days: Option<i32>,
    /// A new readiness target (1 to 100).
    pub readiness_target: Option<i32>,
    /// Whether completed courses count (draft only).
    pub ready_by_courses: Option<bool>,
    /// New affected units (draft only).
    pub affected_units: Option<Vec<RolloutUnitInput>>,
    /// New affected job roles (draft only).
    pub job_role_ids: Option<Vec<ID>>,
    /// New requirements (draft only).
    pub requirements: Option<Vec<RolloutRequirementInput>>,
    /// New courses (draft only).
    pub course_ids: Option<Vec<ID>>,
    /// A new assessment (draft only).
    pub assessment_id: Option<ID>,
    /// `LIVE` (from launched) or `CLOSED`; a launch is `launchRollout`.
    pub status: Option<RolloutStatus>,
}

fn units(input: Vec<RolloutUnitInput>) -> ApiResult<Vec<UnitInput>> {
    input
        .into_iter()
        .map(|unit| {
            Ok(UnitInput {
                org_unit_id: parse_id(&unit.org_unit_id, "affectedUnits")?,
                include_subunits: unit.include_subunits,
            })
        })
        .collect()
}

fn ids(input: &[ID], field: &'static str) -> ApiResult<Vec<Uuid>> {
    input.iter().map(|id| parse_id(id, field)).collect()
}

fn requirements(input: Vec<RolloutRequirementInput>) -> ApiResult<Vec<(Uuid, i32)>> {
    input
        .into_iter()
        .map(|r| Ok((parse_id(&r.competence_id, "requirements")?, r.level)))
        .collect()
}

fn optional_id(input: Option<&ID>, field: &'static str) -> ApiResult<Option<Uuid>> {
    input.map(|id| parse_id(id, field)).transpose()
}

#[derive(Default)]
pub struct RolloutQuery;

#[Object]
impl RolloutQuery {
    /// The rollouts of an org unit and its sub-units, latest go-live first (HR or ADMIN
    /// covering the unit).
    async fn rollouts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The org unit; one your HR or ADMIN role does not cover gives \
                          `FORBIDDEN`.")]
        org_unit_id: ID,
    ) -> ApiResult<Vec<Rollout>> {
        let unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        Ok(rollouts::list(&services(ctx)?.db, actor(ctx)?, unit_id)
            .await?
            .into_iter()
            .map(Rollout)
            .collect())
    }

    /// One rollout (HR or ADMIN covering its org unit).
    async fn rollout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rollout's id.")] id: ID,
    ) -> ApiResult<Rollout> {
        let rollout_id = parse_id(&id, "id")?;
        Ok(Rollout(
            rollouts::find_managed(&services(ctx)?.db, actor(ctx)?, rollout_id)
                .await?
                .0,
        ))
    }

    /// Whether a rollout's staff will be ready on go-live day (HR or ADMIN covering its org
    /// unit). Records today's snapshot of a launched rollout.
    async fn rollout_readiness(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rollout's id.")] rollout_id: ID,
    ) -> ApiResult<RolloutReadiness> {
        let rollout_id = parse_id(&rollout_id, "rolloutId")?;
        let services = services(ctx)?;
        Ok(RolloutReadiness(
            readiness::readiness(
                &services.db,
                actor(ctx)?,
                rollout_id,
                services.report_min_group_size,
                Utc::now(),
            )
            .await?,
        ))
    }
}

#[derive(Default)]
pub struct RolloutMutation;

#[Object]
impl RolloutMutation {
    /// Plans a rollout (HR or ADMIN covering the org unit); it starts as `DRAFT`. Audited. Not
    /// safe to repeat: each call plans another rollout.
    async fn create_rollout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rollout.")] input: CreateRolloutInput,
    ) -> ApiResult<Rollout> {
        let input = RolloutInput {
            org_unit_id: parse_id(&input.org_unit_id, "orgUnitId")?,
            ai_system_id: optional_id(input.ai_system_id.as_ref(), "aiSystemId")?,
            assessment_id: optional_id(input.assessment_id.as_ref(), "assessmentId")?,
            job_role_ids: ids(&input.job_role_ids, "jobRoleIds")?,
            course_ids: ids(&input.course_ids, "courseIds")?,
            units: units(input.affected_units)?,
            requirements: requirements(input.requirements)?,
            name: input.name,
            description: input.description,
            service: input.service,
            go_live_on: input.go_live_on.0,
            lead_time_days: input.lead_time_days,
            readiness_target: input.readiness_target,
            ready_by_courses: input.ready_by_courses,
        };
        Ok(Rollout(
            rollouts::create(&services(ctx)?.db, actor(ctx)?, input, Utc::now()).await?,
        ))
    }

    /// Changes a rollout (HR or ADMIN covering its org unit). A closed one cannot change; a
    /// launched one keeps whom it affects and what it requires. Audited. Safe to repeat.
    async fn update_rollout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rollout's id.")] id: ID,
        #[graphql(desc = "What changes.")] input: UpdateRolloutInput,
    ) -> ApiResult<Rollout> {
        let rollout_id = parse_id(&id, "id")?;
        let update = RolloutUpdate {
            ai_system_id: optional_id(input.ai_system_id.as_ref(), "aiSystemId")?,
            assessment_id: optional_id(input.assessment_id.as_ref(), "assessmentId")?,
            job_role_ids: input
                .job_role_ids
                .as_deref()
                .map(|list| ids(list, "jobRoleIds"))
                .transpose()?,
            course_ids: input
                .course_ids
                .as_deref()
                .map(|list| ids(list, "courseIds"))
                .transpose()?,
            units: input.affected_units.map(units).transpose()?,
            requirements: input.requirements.map(requirements).transpose()?,
            name: input.name,
            description: input.description,
            service: input.service,
            go_live_on: input.go_live_on.map(|date| date.0),
            lead_time_days: input.lead_time_days,
            readiness_target: input.readiness_target,
            ready_by_courses: input.ready_by_courses,
            status: input.status.map(Into::into),
        };
        Ok(Rollout(
            rollouts::update(
                &services(ctx)?.db,
                actor(ctx)?,
                rollout_id,
                update,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Launches a rollout (HR or ADMIN covering its org unit): each affected person is
    /// assigned the rollout's courses for the required levels they lack, due at the end of the
    /// training due day. Refused when that day has passed. Audited. Safe to repeat: a launched
    /// rollout is returned unchanged.
    async fn launch_rollout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rollout's id.")] id: ID,
    ) -> ApiResult<Rollout> {
        let rollout_id = parse_id(&id, "id")?;
        Ok(Rollout(
            rollouts::launch(&services(ctx)?.db, actor(ctx)?, rollout_id, Utc::now()).await?,
        ))
    }
}

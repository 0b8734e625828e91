//! Rollouts: a digital service or system going live in an org unit on a date, the staff it
//! affects, the competence levels they need by then and the courses that teach them.
//!
//! HR or ADMIN covering the unit plan a rollout (`Draft`), launch it (`Launched`: each
//! affected person is assigned the rollout's courses for the requirements they do not meet,
//! due at the end of the training due day, go-live minus the lead time), mark it `Live` and
//! finally `Closed`. A launched rollout keeps what it requires and whom it affects; its dates
//! may move, and moving them moves the due dates of its open assignments. People who join the
//! affected units or job roles later are assigned the same when they join
//! ([`on_staff_changed`]).
//!
//! Readiness is recorded once a day for every running rollout ([`snapshot_due`], from the
//! background worker) and at every read, so the history has a point per day.
//!
//! Affected staff are the active accounts in the affected units (with their sub-units where
//! the rollout says so); with job roles named too, only the holders of those roles there; with
//! job roles only, their holders anywhere in the rollout's unit. Readiness is
//! [`readiness`]'s.

pub mod readiness;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set, TransactionTrait, sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    competences, courses,
    entities::{
        ai_system, assessment,
        course::{CourseStatus, Visibility},
        course_competence,
        enrollment::{self, EnrollmentStatus},
        job_role, org_unit, rollout, rollout_assignment, rollout_course, rollout_job_role,
        rollout_requirement, rollout_snapshot, rollout_unit,
    },
    job_roles,
    learning::assignments::{self, AssignedFor, Reopen},
    org,
    reports::statement,
    types::{Name, Role},
};

/// Longest lead time, in days.
pub const MAX_LEAD_TIME_DAYS: i32 = 365;

/// How many people one assignment statement names at most.
const ASSIGN_CHUNK: usize = 500;

/// Where a rollout is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutStatus {
    /// Being planned; nothing assigned yet.
    Draft,
    /// Launched: training assigned, go-live ahead.
    Launched,
    /// The service is live.
    Live,
    /// Over; read-only.
    Closed,
}

impl RolloutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Launched => "launched",
            Self::Live => "live",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Ok(match raw {
            "draft" => Self::Draft,
            "launched" => Self::Launched,
            "live" => Self::Live,
            "closed" => Self::Closed,
            other => {
                return Err(Error::Internal(anyhow::anyhow!(
                    "unknown rollout status {other:?}"
                )));
            }
        })
    }

    /// Of a stored rollout.
    pub fn of(rollout: &rollout::Model) -> Result<Self> {
        Self::parse(&rollout.status)
    }

    /// Whether training has been assigned (launched or live).
    fn is_running(self) -> bool {
        matches!(self, Self::Launched | Self::Live)
    }
}

/// An affected org unit.
#[derive(Clone, Copy, Debug)]
pub struct UnitInput {
    pub org_unit_id: Uuid,
    pub include_subunits: bool,
}

/// What a new rollout says.
#[derive(Clone, Debug)]
pub struct RolloutInput {
    pub org_unit_id: Uuid,
    pub name: String,
    pub description: String,
    pub service: String,
    pub ai_system_id: Option<Uuid>,
    pub go_live_on: NaiveDate,
    pub lead_time_days: i32,
    pub readiness_target: i32,
    pub ready_by_courses: bool,
    pub units: Vec<UnitInput>,
    pub job_role_ids: Vec<Uuid>,
    /// Competence and level.
    pub requirements: Vec<(Uuid, i32)>,
    pub course_ids: Vec<Uuid>,
    pub assessment_id: Option<Uuid>,
}

/// A change to a rollout; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct RolloutUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub service: Option<String>,
    pub ai_system_id: Option<Uuid>,
    pub go_live_on: Option<NaiveDate>,
    pub lead_time_days: Option<i32>,
    pub readiness_target: Option<i32>,
    pub ready_by_courses: Option<bool>,
    pub units: Option<Vec<UnitInput>>,
    pub job_role_ids: Option<Vec<Uuid>>,
    pub requirements: Option<Vec<(Uuid, i32)>>,
    pub course_ids: Option<Vec<Uuid>>,
    pub assessment_id: Option<Uuid>,
    /// `Live` or `Closed` (a launch is [`launch`]'s).
    pub status: Option<RolloutStatus>,
}

impl RolloutUpdate {
    /// Whether it changes what the rollout requires or whom it affects.
    fn changes_plan(&self) -> bool {
        self.units.is_some()
            || self.job_role_ids.is_some()
            || self.requirements.is_some()
            || self.course_ids.is_some()
            || self.assessment_id.is_some()
            || self.ready_by_courses.is_some()
    }
}

/// The day by which training must be done: go-live minus the lead time.
pub fn training_due_on(rollout: &rollout::Model) -> NaiveDate {
    rollout.go_live_on - Duration::days(i64::from(rollout.lead_time_days))
}

/// When a rollout's assignments are due: the last second of its training due day, UTC.
pub fn due_at(rollout: &rollout::Model) -> DateTime<Utc> {
    (training_due_on(rollout) + Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc()
        - Duration::seconds(1)
}

/// Refuses anyone without the `HR` or `ADMIN` role before anything is read.
fn require_hr_or_admin(actor: &Actor) -> Result<()> {
    if actor.holds(Role::Hr) || actor.holds(Role::Admin) {
        Ok(())
    } else {
        Err(Error::forbidden("rollouts need the HR or ADMIN role"))
    }
}

/// Whether the actor may manage rollouts of the unit at `path`: `HR` or `ADMIN` covering it.
fn check_manages(actor: &Actor, path: &str) -> Result<()> {
    if !actor.covers(Role::Hr, path) && !actor.covers(Role::Admin, path) {
        return Err(Error::forbidden(
            "your HR or ADMIN role does not cover this org unit",
        ));
    }
    Ok(())
}

/// An org unit whose rollouts the actor manages.
async fn manageable_unit(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unit_id: Uuid,
) -> Result<org_unit::Model> {
    require_hr_or_admin(actor)?;
    let unit = org::find(db, unit_id).await?;
    check_manages(actor, &unit.path)?;
    Ok(unit)
}

/// A rollout the actor manages, with its org unit.
pub async fn find_managed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(rollout::Model, org_unit::Model)> {
    require_hr_or_admin(actor)?;
    let rollout = rollout::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("rollout"))?;
    let unit = org::find(db, rollout.org_unit_id).await?;
    check_manages(actor, &unit.path)?;
    Ok((rollout, unit))
}

/// The rollouts of an org unit and its sub-units, latest go-live first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Uuid,
) -> Result<Vec<rollout::Model>> {
    let unit = manageable_unit(db, actor, org_unit_id).await?;
    Ok(rollout::Entity::find()
        .filter(
            rollout::Column::OrgUnitId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(org::in_subtree(&unit.path))
                    .to_owned(),
            ),
        )
        .order_by_desc(rollout::Column::GoLiveOn)
        .order_by_asc(rollout::Column::Id)
        .all(db)
        .await?)
}

/// What a rollout is made of, checked.
struct Plan {
    units: Vec<UnitInput>,
    job_role_ids: Vec<Uuid>,
    requirements: Vec<(Uuid, i32)>,
    course_ids: Vec<Uuid>,
}

fn check_go_live(go_live_on: NaiveDate, today: NaiveDate) -> Result<()> {
    if go_live_on <= today {
        return Err(Error::invalid(
            "goLiveOn",
            format!("goLiveOn must be after today ({today}); it is {go_live_on}"),
        ));
    }
    Ok(())
}

fn check_lead_time(days: i32) -> Result<()> {
    if !(0..=MAX_LEAD_TIME_DAYS).contains(&days) {
        return Err(Error::invalid(
            "leadTimeDays",
            format!("leadTimeDays must be 0 to {MAX_LEAD_TIME_DAYS}; it is {days}"),
        ));
    }
    Ok(())
}

fn check_target(percent: i32) -> Result<()> {
    if !(1..=100).contains(&percent) {
        return Err(Error::invalid(
            "readinessTarget",
            format!("readinessTarget is a percentage from 1 to 100; it is {percent}"),
        ));
    }
    Ok(())
}

/// Checks who a rollout of `unit` affects and what it requires and teaches.
async fn check_plan(db: &impl ConnectionTrait, unit: &org_unit::Model, plan: Plan) -> Result<Plan> {
    if plan.units.is_empty() && plan.job_role_ids.is_empty() {
        return Err(Error::invalid(
            "affectedUnits",
            "name the affected org units, job roles or both",
        ));
    }
    let mut seen = HashSet::new();
    for affected in &plan.units {
        if !seen.insert(affected.org_unit_id) {
            return Err(Error::invalid(
                "affectedUnits",
                format!("org unit {} is listed twice", affected.org_unit_id),
            ));
        }
    }
    let units = org::find_many(
        db,
        &plan.units.iter().map(|u| u.org_unit_id).collect::<Vec<_>>(),
    )
    .await?;
    for affected in &plan.units {
        let inside = units
            .iter()
            .find(|u| u.id == affected.org_unit_id)
            .is_some_and(|u| u.path.starts_with(&unit.path));
        if !inside {
            return Err(Error::invalid(
                "affectedUnits",
                format!(
                    "no org unit {} inside the rollout's org unit \"{}\"",
                    affected.org_unit_id, unit.name
                ),
            ));
        }
    }
    let job_role_ids: BTreeSet<Uuid> = plan.job_role_ids.iter().copied().collect();
    let roles = job_role::Entity::find()
        .filter(job_role::Column::Id.is_in(job_role_ids.iter().copied()))
        .all(db)
        .await?;
    let role_units = org::find_many(
        db,
        &roles
            .iter()
            .filter_map(|r| r.org_unit_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    for id in &job_role_ids {
        // A job role for every authority, or for a unit in the rollout's authority.
        let fits = roles.iter().find(|r| r.id == *id).is_some_and(|role| {
            role.org_unit_id.is_none_or(|unit_id| {
                role_units.iter().any(|u| {
                    u.id == unit_id
                        && org::authority_prefix(&u.path) == org::authority_prefix(&unit.path)
                })
            })
        });
        if !fits {
            return Err(Error::invalid(
                "jobRoleIds",
                format!("no job role {id} in the rollout's authority"),
            ));
        }
    }

    if plan.requirements.is_empty() {
        return Err(Error::invalid(
            "requirements",
            "name at least one required competence level",
        ));
    }
    competences::check_levels(db, "requirements", &plan.requirements).await?;

    let course_ids: BTreeSet<Uuid> = plan.course_ids.iter().copied().collect();
    if course_ids.is_empty() {
        return Err(Error::invalid(
            "courseIds",
            "name at least one course that teaches the required competences",
        ));
    }
    let taught = course_competence::Entity::find()
        .filter(course_competence::Column::CourseId.is_in(course_ids.iter().copied()))
        .all(db)
        .await?;
    for course_id in &course_ids {
        let access = match courses::load_access(db, *course_id).await {
            Ok(access) => Some(access),
            Err(Error::NotFound(_)) => None,
            Err(err) => return Err(err),
        };
        // Published, and open to the rollout's staff.
        let usable = access.as_ref().is_some_and(|access| {
            access.course.status == CourseStatus::Published
                && (access.course.visibility == Visibility::Platform
                    || unit.path.starts_with(&access.unit.path))
        });
        let Some(access) = access.filter(|_| usable) else {
            return Err(Error::invalid(
                "courseIds",
                format!("no published course {course_id} that the rollout's staff can take"),
            ));
        };
        let teaches = taught.iter().any(|t| {
            t.course_id == *course_id
                && plan.requirements.iter().any(|(c, _)| *c == t.competence_id)
        });
        if !teaches {
            return Err(Error::invalid(
                "courseIds",
                format!(
                    "the course \"{}\" teaches none of the required competences",
                    access.course.title
                ),
            ));
        }
    }
    Ok(Plan {
        job_role_ids: job_role_ids.into_iter().collect(),
        course_ids: plan
            .course_ids
            .iter()
            .copied()
            .filter({
                let mut seen = HashSet::new();
                move |id| seen.insert(*id)
            })
            .collect(),
        ..plan
    })
}

/// Checks that an AI system is in the rollout's authority and an assessment exists.
async fn check_links(
    db: &impl ConnectionTrait,
    unit: &org_unit::Model,
    ai_system_id: Option<Uuid>,
    assessment_id: Option<Uuid>,
) -> Result<()> {
    if let Some(id) = ai_system_id {
        let authority = org::authority_id(&unit.path)?;
        let found = ai_system::Entity::find_by_id(id).one(db).await?;
        if found.is_none_or(|system| system.org_unit_id != authority) {
            return Err(Error::invalid(
                "aiSystemId",
                format!("no AI system {id} in the authority's register"),
            ));
        }
    }
    if let Some(id) = assessment_id
        && assessment::Entity::find_by_id(id).one(db).await?.is_none()
    {
        return Err(Error::invalid(
            "assessmentId",
            format!("no assessment {id}"),
        ));
    }
    Ok(())
}

/// Replaces what a rollout affects, requires and teaches.
async fn write_plan(txn: &impl ConnectionTrait, rollout_id: Uuid, plan: &Plan) -> Result<()> {
    rollout_unit::Entity::delete_many()
        .filter(rollout_unit::Column::RolloutId.eq(rollout_id))
        .exec(txn)
        .await?;
    rollout_job_role::Entity::delete_many()
        .filter(rollout_job_role::Column::RolloutId.eq(rollout_id))
        .exec(txn)
        .await?;
    rollout_requirement::Entity::delete_many()
        .filter(rollout_requirement::Column::RolloutId.eq(rollout_id))
        .exec(txn)
        .await?;
    rollout_course::Entity::delete_many()
        .filter(rollout_course::Column::RolloutId.eq(rollout_id))
        .exec(txn)
        .await?;
    if !plan.units.is_empty() {
        rollout_unit::Entity::insert_many(plan.units.iter().map(|u| rollout_unit::ActiveModel {
            rollout_id: Set(rollout_id),
            org_unit_id: Set(u.org_unit_id),
            include_subunits: Set(u.include_subunits),
        }))
        .exec_without_returning(txn)
        .await?;
    }
    if !plan.job_role_ids.is_empty() {
        rollout_job_role::Entity::insert_many(plan.job_role_ids.iter().map(|id| {
            rollout_job_role::ActiveModel {
                rollout_id: Set(rollout_id),
                job_role_id: Set(*id),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    rollout_requirement::Entity::insert_many(plan.requirements.iter().map(|(id, level)| {
        rollout_requirement::ActiveModel {
            rollout_id: Set(rollout_id),
            competence_id: Set(*id),
            level: Set(*level),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    rollout_course::Entity::insert_many(plan.course_ids.iter().zip(0..).map(|(id, position)| {
        rollout_course::ActiveModel {
            rollout_id: Set(rollout_id),
            course_id: Set(*id),
            position: Set(position),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Plans a rollout (`Draft`) in an org unit the actor manages; audited.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: RolloutInput,
    now: DateTime<Utc>,
) -> Result<rollout::Model> {
    let unit = manageable_unit(db, actor, input.org_unit_id).await?;
    let name = Name::parse(&input.name, "name")?.into_inner();
    let service = Name::parse(&input.service, "service")?.into_inner();
    let description = job_roles::parse_description(&input.description)?;
    check_go_live(input.go_live_on, now.date_naive())?;
    check_lead_time(input.lead_time_days)?;
    check_target(input.readiness_target)?;
    let plan = check_plan(
        db,
        &unit,
        Plan {
            units: input.units,
            job_role_ids: input.job_role_ids,
            requirements: input.requirements,
            course_ids: input.course_ids,
        },
    )
    .await?;
    check_links(db, &unit, input.ai_system_id, input.assessment_id).await?;

    let txn = db.begin().await?;
    let model = rollout::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_unit_id: Set(unit.id),
        name: Set(name),
        description: Set(description),
        service: Set(service),
        ai_system_id: Set(input.ai_system_id),
        go_live_on: Set(input.go_live_on),
        lead_time_days: Set(input.lead_time_days),
        readiness_target: Set(input.readiness_target),
        ready_by_courses: Set(input.ready_by_courses),
        assessment_id: Set(input.assessment_id),
        status: Set(RolloutStatus::Draft.as_str().to_owned()),
        created_by: Set(Some(actor.id())),
        launched_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    write_plan(&txn, model.id, &plan).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "rollout.created",
        Target::Rollout(model.id),
        json!({
            "name": model.name,
            "goLiveOn": model.go_live_on,
            "leadTimeDays": model.lead_time_days,
            "requirements": plan.requirements,
            "courseIds": plan.course_ids,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Changes a rollout the actor manages; audited. A closed rollout cannot change, a running one
/// keeps its plan; moving the dates of a running one moves the due dates of its open
/// assignments.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: RolloutUpdate,
    now: DateTime<Utc>,
) -> Result<rollout::Model> {
    let (current, unit) = find_managed(db, actor, id).await?;
    let status = RolloutStatus::of(&current)?;
    if status == RolloutStatus::Closed {
        return Err(Error::Conflict {
            field: "id",
            message: "the rollout is closed and can no longer be changed".into(),
        });
    }
    if status.is_running() && input.changes_plan() {
        return Err(Error::Conflict {
            field: "input",
            message: "a launched rollout keeps its affected staff, requirements, courses and \
                      assessment; close it and plan a new one to change them"
                .into(),
        });
    }
    let next_status = match input.status {
        None => status,
        Some(RolloutStatus::Closed) => RolloutStatus::Closed,
        Some(RolloutStatus::Live) if status == RolloutStatus::Live => status,
        Some(RolloutStatus::Live) if status == RolloutStatus::Launched => RolloutStatus::Live,
        Some(RolloutStatus::Live) => {
            return Err(Error::invalid(
                "status",
                "only a launched rollout can go live; launch it first",
            ));
        }
        Some(other) if other == status => status,
        Some(_) => {
            return Err(Error::invalid(
                "status",
                "status can be set to LIVE or CLOSED here; use launchRollout to launch",
            ));
        }
    };
    let mut active = rollout::ActiveModel {
        id: Set(current.id),
        updated_at: Set(now),
        status: Set(next_status.as_str().to_owned()),
        ..Default::default()
    };
    if let Some(name) = &input.name {
        active.name = Set(Name::parse(name, "name")?.into_inner());
    }
    if let Some(service) = &input.service {
        active.service = Set(Name::parse(service, "service")?.into_inner());
    }
    if let Some(description) = &input.description {
        active.description = Set(job_roles::parse_description(description)?);
    }
    if let Some(go_live_on) = input.go_live_on {
        check_go_live(go_live_on, now.date_naive())?;
        active.go_live_on = Set(go_live_on);
    }
    if let Some(days) = input.lead_time_days {
        check_lead_time(days)?;
        active.lead_time_days = Set(days);
    }
    if let Some(percent) = input.readiness_target {
        check_target(percent)?;
        active.readiness_target = Set(percent);
    }
    if let Some(by_courses) = input.ready_by_courses {
        active.ready_by_courses = Set(by_courses);
    }
    if input.ai_system_id.is_some() {
        active.ai_system_id = Set(input.ai_system_id);
    }
    if input.assessment_id.is_some() {
        active.assessment_id = Set(input.assessment_id);
    }
    check_links(db, &unit, input.ai_system_id, input.assessment_id).await?;
    let plan = if input.changes_plan() {
        let (units, job_role_ids, requirements, course_ids) = current_plan(db, id).await?;
        Some(
            check_plan(
                db,
                &unit,
                Plan {
                    units: input.units.clone().unwrap_or(units),
                    job_role_ids: input.job_role_ids.clone().unwrap_or(job_role_ids),
                    requirements: input.requirements.clone().unwrap_or(requirements),
                    course_ids: input.course_ids.clone().unwrap_or(course_ids),
                },
            )
            .await?,
        )
    } else {
        None
    };
    let proposed_go_live = input.go_live_on.unwrap_or(current.go_live_on);
    let proposed_lead = input.lead_time_days.unwrap_or(current.lead_time_days);

    let txn = db.begin().await?;
    let updated = active.update(&txn).await?;
    if let Some(plan) = &plan {
        write_plan(&txn, id, plan).await?;
    }
    let moved = updated.go_live_on != current.go_live_on
        || updated.lead_time_days != current.lead_time_days;
    let mut moved_assignments = 0;
    if moved && RolloutStatus::of(&updated)?.is_running() {
        moved_assignments = move_due_dates(&txn, &updated).await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "rollout.updated",
        Target::Rollout(id),
        json!({
            "name": input.name,
            "goLiveOn": input.go_live_on.map(|_| proposed_go_live),
            "leadTimeDays": input.lead_time_days.map(|_| proposed_lead),
            "readinessTarget": input.readiness_target,
            "status": input.status.map(|_| next_status.as_str()),
            "planChanged": plan.is_some(),
            "movedAssignments": moved_assignments,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The affected units, job roles, requirements and courses of a rollout as stored.
async fn current_plan(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<(Vec<UnitInput>, Vec<Uuid>, Vec<(Uuid, i32)>, Vec<Uuid>)> {
    let units = rollout_unit::Entity::find()
        .filter(rollout_unit::Column::RolloutId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|u| UnitInput {
            org_unit_id: u.org_unit_id,
            include_subunits: u.include_subunits,
        })
        .collect();
    let roles = rollout_job_role::Entity::find()
        .filter(rollout_job_role::Column::RolloutId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.job_role_id)
        .collect();
    let requirements = rollout_requirement::Entity::find()
        .filter(rollout_requirement::Column::RolloutId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.competence_id, r.level))
        .collect();
    let courses = rollout_course::Entity::find()
        .filter(rollout_course::Column::RolloutId.eq(id))
        .order_by_asc(rollout_course::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.course_id)
        .collect();
    Ok((units, roles, requirements, courses))
}

/// Moves the due date of the rollout's open assignments to its (new) due date.
async fn move_due_dates(txn: &impl ConnectionTrait, rollout: &rollout::Model) -> Result<u64> {
    let result = enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::DueAt,
            sea_orm::sea_query::Expr::value(Some(due_at(rollout))),
        )
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Active))
        .filter(
            enrollment::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(rollout_assignment::Column::EnrollmentId)
                    .from(rollout_assignment::Entity)
                    .and_where(rollout_assignment::Column::RolloutId.eq(rollout.id))
                    .to_owned(),
            ),
        )
        .exec(txn)
        .await?;
    Ok(result.rows_affected)
}

/// Launches a rollout the actor manages: assigns each affected person what they lack, due at
/// the end of the training due day, and records today's readiness. Launching a launched (or
/// live) rollout again changes nothing. Audited.
pub async fn launch(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<rollout::Model> {
    let (current, _) = find_managed(db, actor, id).await?;
    match RolloutStatus::of(&current)? {
        RolloutStatus::Draft => {}
        RolloutStatus::Launched | RolloutStatus::Live => return Ok(current),
        RolloutStatus::Closed => {
            return Err(Error::Conflict {
                field: "id",
                message: "the rollout is closed and cannot be launched".into(),
            });
        }
    }
    let today = now.date_naive();
    check_go_live(current.go_live_on, today)?;
    let due_on = training_due_on(&current);
    if due_on < today {
        return Err(Error::invalid(
            "leadTimeDays",
            format!(
                "the training lead time of {} days ended on {due_on}, which has passed; move \
                 goLiveOn later or shorten leadTimeDays",
                current.lead_time_days
            ),
        ));
    }
    let txn = db.begin().await?;
    // Only one launch wins: the status moves from draft once.
    let launched = rollout::Entity::update_many()
        .col_expr(
            rollout::Column::Status,
            sea_orm::sea_query::Expr::value(RolloutStatus::Launched.as_str()),
        )
        .col_expr(
            rollout::Column::LaunchedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .col_expr(
            rollout::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(rollout::Column::Id.eq(id))
        .filter(rollout::Column::Status.eq(RolloutStatus::Draft.as_str()))
        .exec(&txn)
        .await?;
    if launched.rows_affected == 0 {
        txn.rollback().await?;
        return find_managed(db, actor, id).await.map(|(r, _)| r);
    }
    let rollout = rollout::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("rollout"))?;
    let assigned = assign_missing(&txn, &rollout, Some(actor.id()), None, now).await?;
    let figures = readiness::totals(&txn, &rollout, now).await?;
    record_snapshot(&txn, id, figures.affected, figures.ready, now).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "rollout.launched",
        Target::Rollout(id),
        json!({
            "assigned": assigned,
            "affected": figures.affected,
            "ready": figures.ready,
            "dueAt": due_at(&rollout),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(rollout)
}

/// Records today's readiness of every launched or live rollout that has no snapshot for today
/// yet, so the daily history has a point for every day even when nobody looks (the background
/// worker calls it with each scan; a second replica doing the same overwrites the same row).
/// Returns how many it recorded.
pub async fn snapshot_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<usize> {
    let today = now.date_naive();
    let running = rollout::Entity::find()
        .filter(rollout::Column::Status.is_in([
            RolloutStatus::Launched.as_str(),
            RolloutStatus::Live.as_str(),
        ]))
        .filter(
            rollout::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(rollout_snapshot::Column::RolloutId)
                    .from(rollout_snapshot::Entity)
                    .and_where(rollout_snapshot::Column::Day.eq(today))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    for rollout in &running {
        let figures = readiness::totals(db, rollout, now).await?;
        record_snapshot(db, rollout.id, figures.affected, figures.ready, now).await?;
    }
    Ok(running.len())
}

/// Upserts the rollout's readiness for `now`'s day.
pub(crate) async fn record_snapshot(
    db: &impl ConnectionTrait,
    rollout_id: Uuid,
    affected: i64,
    ready: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    rollout_snapshot::Entity::insert(rollout_snapshot::ActiveModel {
        rollout_id: Set(rollout_id),
        day: Set(now.date_naive()),
        affected: Set(i32::try_from(affected).unwrap_or(i32::MAX)),
        ready: Set(i32::try_from(ready).unwrap_or(i32::MAX)),
        taken_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            rollout_snapshot::Column::RolloutId,
            rollout_snapshot::Column::Day,
        ])
        .update_columns([
            rollout_snapshot::Column::Affected,
            rollout_snapshot::Column::Ready,
            rollout_snapshot::Column::TakenAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A course one affected person is to be assigned.
#[derive(Debug, FromQueryResult)]
struct Missing {
    user_id: Uuid,
    course_id: Uuid,
}

/// Assigns, inside `txn`, each affected person (or only `only`) the rollout's courses for the
/// requirements they do not meet and that the rollout has not assigned them yet; records what
/// it assigned. Returns how many enrolments it created or changed.
async fn assign_missing(
    txn: &impl ConnectionTrait,
    rollout: &rollout::Model,
    by: Option<Uuid>,
    only: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<usize> {
    let (affected, mut values) = readiness::affected_cte(txn, rollout, only, &[]).await?;
    let n = values.len();
    values.push(rollout.id.into());
    let sql = format!(
        "{affected} \
         SELECT DISTINCT a.user_id, rc.course_id \
         FROM affected a \
         JOIN rollout_requirements r ON r.rollout_id = ${r} \
         JOIN rollout_courses rc ON rc.rollout_id = r.rollout_id \
         JOIN course_competences cc \
           ON cc.course_id = rc.course_id AND cc.competence_id = r.competence_id \
         LEFT JOIN competence_levels l \
           ON l.user_id = a.user_id AND l.competence_id = r.competence_id AND l.verified \
         WHERE (l.level IS NULL OR l.level < r.level) \
           AND NOT EXISTS ( \
             SELECT 1 FROM rollout_assignments x \
             WHERE x.rollout_id = r.rollout_id AND x.user_id = a.user_id \
               AND x.course_id = rc.course_id)",
        r = n + 1
    );
    let missing = Missing::find_by_statement(statement(txn, sql, values))
        .all(txn)
        .await?;
    let mut by_course: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for row in missing {
        by_course
            .entry(row.course_id)
            .or_default()
            .push(row.user_id);
    }
    let due = due_at(rollout);
    let mut assigned = 0;
    for (course_id, mut users) in by_course {
        users.sort();
        for chunk in users.chunks(ASSIGN_CHUNK) {
            let made = assignments::assign_in(
                txn,
                by,
                course_id,
                chunk,
                Some(due),
                Reopen::Never,
                AssignedFor::Rollout(rollout.id),
            )
            .await?;
            if made.is_empty() {
                continue;
            }
            assigned += made.len();
            rollout_assignment::Entity::insert_many(made.into_iter().map(
                |(user_id, enrollment_id)| rollout_assignment::ActiveModel {
                    rollout_id: Set(rollout.id),
                    user_id: Set(user_id),
                    course_id: Set(course_id),
                    enrollment_id: Set(enrollment_id),
                    assigned_at: Set(now),
                },
            ))
            .on_conflict(
                OnConflict::columns([
                    rollout_assignment::Column::RolloutId,
                    rollout_assignment::Column::UserId,
                    rollout_assignment::Column::CourseId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        }
    }
    Ok(assigned)
}

/// When a person joins (is created, moves to another unit, gets a job role), inside `txn`:
/// the running rollouts that now affect them assign what they lack, once.
pub async fn on_staff_changed(
    txn: &impl ConnectionTrait,
    by: Option<Uuid>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<usize> {
    let Some(person) = crate::entities::user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
    else {
        return Ok(0);
    };
    let unit = org::find(txn, person.org_unit_id).await?;
    let running = rollout::Entity::find()
        .filter(rollout::Column::Status.is_in([
            RolloutStatus::Launched.as_str(),
            RolloutStatus::Live.as_str(),
        ]))
        .all(txn)
        .await?;
    if running.is_empty() {
        return Ok(0);
    }
    let units = org::find_many(
        txn,
        &running.iter().map(|r| r.org_unit_id).collect::<Vec<_>>(),
    )
    .await?;
    let mut assigned = 0;
    for rollout in running {
        let covers = units
            .iter()
            .any(|u| u.id == rollout.org_unit_id && unit.path.starts_with(&u.path));
        if covers {
            assigned += assign_missing(txn, &rollout, by, Some(user_id), now).await?;
        }
    }
    Ok(assigned)
}

/// Why a learner has a rollout's assignment, in a sentence: "You will use the new e-permit
/// service from 2027-03-01."
pub fn reason(rollout: &rollout::Model) -> String {
    format!(
        "You will use the new {} from {}.",
        rollout.service,
        rollout.go_live_on.format("%Y-%m-%d")
    )
}

/// The rollouts that assigned each of `enrollment_ids`, for a learner's dashboard.
pub async fn for_enrollments(
    db: &impl ConnectionTrait,
    enrollment_ids: &[Uuid],
) -> Result<Vec<(Uuid, rollout::Model)>> {
    if enrollment_ids.is_empty() {
        return Ok(Vec::new());
    }
    let links = rollout_assignment::Entity::find()
        .filter(rollout_assignment::Column::EnrollmentId.is_in(enrollment_ids.iter().copied()))
        .all(db)
        .await?;
    let rollouts = rollout::Entity::find()
        .filter(rollout::Column::Id.is_in(links.iter().map(|l| l.rollout_id)))
        .all(db)
        .await?;
    Ok(links
        .into_iter()
        .filter_map(|link| {
            let rollout = rollouts.iter().find(|r| r.id == link.rollout_id)?;
            Some((link.enrollment_id, rollout.clone()))
        })
        .collect())
}

/// The parts of rollouts, for batch loading: affected units, job roles, requirements and
/// courses of each of `ids`.
pub async fn units_of(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<rollout_unit::Model>> {
    Ok(rollout_unit::Entity::find()
        .filter(rollout_unit::Column::RolloutId.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn job_roles_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<rollout_job_role::Model>> {
    Ok(rollout_job_role::Entity::find()
        .filter(rollout_job_role::Column::RolloutId.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn requirements_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<rollout_requirement::Model>> {
    Ok(rollout_requirement::Entity::find()
        .filter(rollout_requirement::Column::RolloutId.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn courses_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<rollout_course::Model>> {
    Ok(rollout_course::Entity::find()
        .filter(rollout_course::Column::RolloutId.is_in(ids.iter().copied()))
        .order_by_asc(rollout_course::Column::Position)
        .all(db)
        .await?)
}

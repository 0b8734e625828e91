//! HR's assignments: a course assigned to users, an org unit's subtree or a job role's holders,
//! all inside the actor's HR scope or nothing; and cancelling them.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    DbResultExt, Error, Result,
    audit::{self, Target},
    auth::Actor,
    courses::{self, CourseAccess},
    entities::{
        course::{CourseStatus, Visibility},
        enrollment::{self, EnrollmentSource, EnrollmentStatus},
        lesson_progress, org_unit,
        user::{self, UserStatus},
        user_job_role,
    },
    job_roles, org,
    types::Role,
};

/// Assigns a published course to users inside the actor's `HR` subtrees, due at `due_at`. If
/// any one user is outside, nothing is written. A user already enrolled by their own choice (or
/// withdrawn, or cancelled) gets an active assignment that keeps their progress; a completed
/// enrolment stays as it is.
pub async fn assign(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    user_ids: Vec<Uuid>,
    due_at: Option<DateTime<Utc>>,
) -> Result<Vec<enrollment::Model>> {
    actor.require_role(Role::Hr)?;
    let mut user_ids = user_ids;
    user_ids.sort();
    user_ids.dedup();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids.iter().copied()))
        .all(db)
        .await?;
    if users.len() != user_ids.len() {
        return Err(Error::invalid("userIds", "no such user"));
    }
    let access = assignable_course(db, actor, course_id).await?;
    assign_users(db, actor, &access, users, due_at).await
}

/// Assigns a published course to every active member of an org unit's subtree, which must lie
/// inside the actor's `HR` subtrees.
pub async fn assign_to_org_unit(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    org_unit_id: Uuid,
    due_at: Option<DateTime<Utc>>,
) -> Result<Vec<enrollment::Model>> {
    actor.require_role(Role::Hr)?;
    let unit = org::find(db, org_unit_id).await?;
    actor.require_covers(Role::Hr, &unit.path, "org unit")?;
    let access = assignable_course(db, actor, course_id).await?;
    let users = user::Entity::find()
        .filter(user::Column::Status.eq(UserStatus::Active))
        .filter(
            user::Column::OrgUnitId.in_subquery(
                Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(org::in_subtree(&unit.path))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    assign_users(db, actor, &access, users, due_at).await
}

/// Assigns a published course to every active holder of a job role who works inside the
/// actor's `HR` subtrees; holders elsewhere are another HR office's to assign and are left out.
/// A job role the actor cannot see is `NotFound`.
pub async fn assign_to_job_role(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
    job_role_id: Uuid,
    due_at: Option<DateTime<Utc>>,
) -> Result<Vec<enrollment::Model>> {
    actor.require_role(Role::Hr)?;
    let visible = job_roles::list_visible(db, actor).await?;
    if !visible.iter().any(|role| role.id == job_role_id) {
        return Err(Error::NotFound("job role"));
    }
    let access = assignable_course(db, actor, course_id).await?;
    let holders = user::Entity::find()
        .filter(user::Column::Status.eq(UserStatus::Active))
        .filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(user_job_role::Column::UserId)
                    .from(user_job_role::Entity)
                    .and_where(user_job_role::Column::JobRoleId.eq(job_role_id))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let unit_ids: Vec<Uuid> = holders.iter().map(|user| user.org_unit_id).collect();
    let units = org::find_many(db, &unit_ids).await?;
    let in_scope = holders
        .into_iter()
        .filter(|user| {
            units
                .iter()
                .any(|unit| unit.id == user.org_unit_id && actor.covers(Role::Hr, &unit.path))
        })
        .collect();
    assign_users(db, actor, &access, in_scope, due_at).await
}

async fn assignable_course(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
) -> Result<CourseAccess> {
    // HR may assign a published course they can see, or one owned inside their HR scope (a
    // department's course, say, that staff there can take); anything else does not exist for
    // them. Whether each learner can take it is checked per learner.
    let access = courses::load_access(db, course_id).await?;
    let published = access.course.status == CourseStatus::Published;
    let in_scope = published && actor.covers(Role::Hr, &access.unit.path);
    if !access.can_see(actor) && !in_scope {
        return Err(Error::NotFound("course"));
    }
    if !published {
        return Err(Error::Conflict {
            field: "courseId",
            message: "only a published course can be assigned".into(),
        });
    }
    Ok(access)
}

async fn assign_users(
    db: &DatabaseConnection,
    actor: &Actor,
    access: &CourseAccess,
    users: Vec<user::Model>,
    due_at: Option<DateTime<Utc>>,
) -> Result<Vec<enrollment::Model>> {
    let units = org::find_many(
        db,
        &users
            .iter()
            .map(|user| user.org_unit_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    for user in &users {
        if user.status != UserStatus::Active {
            return Err(Error::invalid(
                "userIds",
                format!("user {} is disabled", user.id),
            ));
        }
        let path = units
            .iter()
            .find(|unit| unit.id == user.org_unit_id)
            .map(|unit| unit.path.as_str())
            .ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("unit of user {} is missing", user.id))
            })?;
        if !actor.covers(Role::Hr, path) {
            return Err(Error::forbidden(
                "you can assign courses only to users in the org units you are HR for",
            ));
        }
        let visible = access.course.visibility == Visibility::Platform
            || path.starts_with(access.unit.path.as_str());
        if !visible {
            return Err(Error::invalid(
                "userIds",
                format!("the course is not available to user {}", user.id),
            ));
        }
    }

    let now = Utc::now();
    let course_id = access.course.id;
    let txn = crate::db::begin(db).await?;
    // Assignments of one person run one at a time, so that the same course assigned twice at
    // once (a double click) finds the first enrolment and updates it, rather than both
    // inserting and the second failing on the unique index.
    crate::db::lock_users(&txn, users.iter().map(|user| user.id)).await?;
    let existing = enrollment::Entity::find()
        .filter(enrollment::Column::CourseId.eq(course_id))
        .filter(enrollment::Column::UserId.is_in(users.iter().map(|user| user.id)))
        .all(&txn)
        .await?;
    let mut result = Vec::with_capacity(users.len());
    for user in &users {
        let enrollment = match existing.iter().find(|e| e.user_id == user.id) {
            Some(e) if e.status == EnrollmentStatus::Completed => {
                result.push(e.clone());
                continue;
            }
            Some(e) => {
                enrollment::ActiveModel {
                    id: Set(e.id),
                    source: Set(EnrollmentSource::Assigned),
                    assigned_by: Set(Some(actor.id())),
                    due_at: Set(due_at),
                    status: Set(EnrollmentStatus::Active),
                    ..Default::default()
                }
                .update(&txn)
                .await?
            }
            None => enrollment::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user.id),
                course_id: Set(course_id),
                source: Set(EnrollmentSource::Assigned),
                assigned_by: Set(Some(actor.id())),
                due_at: Set(due_at),
                status: Set(EnrollmentStatus::Active),
                completed_at: Set(None),
                last_activity_at: Set(now),
                created_at: Set(now),
            }
            .insert(&txn)
            .await
            .on_unique_violation(
                "userIds",
                "someone enrolled in the course meanwhile; try again",
            )?,
        };
        audit::record(
            &txn,
            Some(actor.id()),
            "enrollment.assigned",
            Target::Enrollment(enrollment.id),
            json!({ "courseId": course_id, "userId": user.id, "dueAt": due_at }),
        )
        .await?;
        result.push(enrollment);
    }
    txn.commit().await?;
    Ok(result)
}

/// Cancels an assignment (`HR` covering the learner); an enrolment the actor may not see is
/// `NotFound`.
pub async fn cancel_assignment(
    db: &DatabaseConnection,
    actor: &Actor,
    enrollment_id: Uuid,
) -> Result<enrollment::Model> {
    actor.require_role(Role::Hr)?;
    let enrollment = enrollment::Entity::find_by_id(enrollment_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("enrollment"))?;
    let learner = user::Entity::find_by_id(enrollment.user_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("enrollment"))?;
    let unit = org::find(db, learner.org_unit_id).await?;
    if !actor.covers(Role::Hr, &unit.path) {
        return Err(Error::NotFound("enrollment"));
    }
    if enrollment.source != EnrollmentSource::Assigned {
        return Err(Error::Conflict {
            field: "enrollmentId",
            message: "this enrolment is the learner's own choice, not an assignment".into(),
        });
    }
    match enrollment.status {
        EnrollmentStatus::Cancelled => return Ok(enrollment),
        EnrollmentStatus::Active => {}
        _ => {
            return Err(Error::Conflict {
                field: "enrollmentId",
                message: "only an active assignment can be cancelled".into(),
            });
        }
    }
    let txn = crate::db::begin(db).await?;
    let enrollment = enrollment::ActiveModel {
        id: Set(enrollment.id),
        status: Set(EnrollmentStatus::Cancelled),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "enrollment.cancelled",
        Target::Enrollment(enrollment.id),
        json!({ "courseId": enrollment.course_id, "userId": enrollment.user_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(enrollment)
}
/// Whether an assignment reopens a completed enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reopen {
    /// A completed enrolment stays completed: a first assignment.
    Never,
    /// A completed enrolment is reopened, its lesson progress cleared: retraining after a
    /// change. Its earlier completion stays in the audit trail.
    Completed,
}

/// What an assignment made by GovSkills itself is for, which its audit event names.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AssignedFor {
    /// A system in the AI register requires the course.
    AiSystem(Uuid),
    /// A rollout's staff need what the course teaches.
    Rollout(Uuid),
    /// A certificate's holder recertifies before it expires.
    Recertification(Uuid),
}

/// Assigns `course_id` to `user_ids` inside `txn` on behalf of `reason`, due at `due_at`:
/// creates the enrolment, or turns an open one into an assignment with that due date; reopens
/// a completed one only when `reopen` says so. Returns the enrolments it created or changed,
/// as (user, enrolment), each audited.
pub(crate) async fn assign_in(
    txn: &impl ConnectionTrait,
    by: Option<Uuid>,
    course_id: Uuid,
    user_ids: &[Uuid],
    due_at: Option<DateTime<Utc>>,
    reopen: Reopen,
    reason: AssignedFor,
) -> Result<Vec<(Uuid, Uuid)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    crate::db::lock_users(txn, user_ids.iter().copied()).await?;
    let existing = enrollment::Entity::find()
        .filter(enrollment::Column::CourseId.eq(course_id))
        .filter(enrollment::Column::UserId.is_in(user_ids.iter().copied()))
        .all(txn)
        .await?;
    let now = Utc::now();
    let mut changed = Vec::new();
    for user_id in user_ids {
        let found = existing.iter().find(|e| e.user_id == *user_id);
        let (enrollment_id, previous) = match found {
            Some(e) if e.status == EnrollmentStatus::Completed && reopen == Reopen::Never => {
                continue;
            }
            Some(e)
                if e.status == EnrollmentStatus::Active
                    && e.source == EnrollmentSource::Assigned
                    && e.due_at
                        .is_some_and(|due| due_at.is_none_or(|new| due <= new)) =>
            {
                // Already assigned, due no later: nothing to tighten.
                continue;
            }
            Some(e) => {
                if e.status == EnrollmentStatus::Completed {
                    lesson_progress::Entity::delete_many()
                        .filter(lesson_progress::Column::EnrollmentId.eq(e.id))
                        .exec(txn)
                        .await?;
                }
                enrollment::ActiveModel {
                    id: Set(e.id),
                    source: Set(EnrollmentSource::Assigned),
                    assigned_by: Set(by),
                    due_at: Set(due_at),
                    status: Set(EnrollmentStatus::Active),
                    completed_at: Set(None),
                    ..Default::default()
                }
                .update(txn)
                .await?;
                (e.id, Some((e.status, e.completed_at)))
            }
            None => {
                let id = Uuid::now_v7();
                enrollment::ActiveModel {
                    id: Set(id),
                    user_id: Set(*user_id),
                    course_id: Set(course_id),
                    source: Set(EnrollmentSource::Assigned),
                    assigned_by: Set(by),
                    due_at: Set(due_at),
                    status: Set(EnrollmentStatus::Active),
                    completed_at: Set(None),
                    last_activity_at: Set(now),
                    created_at: Set(now),
                }
                .insert(txn)
                .await?;
                (id, None)
            }
        };
        let mut details = json!({
            "courseId": course_id,
            "userId": user_id,
            "dueAt": due_at,
            "reopenedCompletion": previous.and_then(|(_, completed_at)| completed_at),
        });
        match reason {
            AssignedFor::AiSystem(id) => details["aiSystemId"] = json!(id),
            AssignedFor::Rollout(id) => details["rolloutId"] = json!(id),
            AssignedFor::Recertification(id) => details["certificateId"] = json!(id),
        }
        audit::record(
            txn,
            by,
            "enrollment.assigned",
            Target::Enrollment(enrollment_id),
            details,
        )
        .await?;
        changed.push((*user_id, enrollment_id));
    }
    Ok(changed)
}

//! Learning: enrolments, lesson progress and completion, and the learner's own list.
//!
//! Who may do what:
//! - Every signed-in user may enrol in a published course they can see (`courses::load_visible`)
//!   and works through their own enrolments. Enrolments are private: someone else's enrolment
//!   is `NotFound`, as if it did not exist.
//! - A learner withdraws from a course they chose; an assignment is HR's to cancel.
//! - `HR` assigns a published course to users inside the subtrees their grants cover, and
//!   cancels assignments of users they cover. One user outside refuses the whole call.
//!
//! A course completes when every lesson is done ([`mark_lesson_done`], the one place that
//! records a lesson and completes the enrolment). Assessment lessons are done by passing their
//! assessment: scoring a passed attempt marks the lesson done in the learner's active enrolment
//! of each course that uses the assessment (see `assessments`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
    sea_query::{Expr, OnConflict, Query},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    DbResultExt, Error, Result,
    audit::{self, Target},
    auth::Actor,
    certificates, competences,
    courses::{self, CourseAccess},
    credentials::Issuer,
    entities::{
        competence, competence_level,
        competence_result::{self, ResultSource},
        course::{self, CourseStatus, Visibility},
        course_competence,
        enrollment::{self, EnrollmentSource, EnrollmentStatus},
        lesson::{self, LessonKind},
        lesson_progress, org_unit,
        user::{self, UserStatus},
        user_job_role,
    },
    job_roles, org,
    types::Role,
};

/// One page of a learner's enrolments.
#[derive(Debug)]
pub struct Page {
    pub enrollments: Vec<enrollment::Model>,
    pub has_next_page: bool,
}

/// Whether an enrolment is past its due date and not yet completed.
pub fn is_overdue(enrollment: &enrollment::Model, now: DateTime<Utc>) -> bool {
    enrollment.status == EnrollmentStatus::Active && enrollment.due_at.is_some_and(|due| due < now)
}

async fn find_own(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    course_id: Uuid,
) -> Result<Option<enrollment::Model>> {
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(user_id))
        .filter(enrollment::Column::CourseId.eq(course_id))
        .one(db)
        .await?)
}

/// Enrols the actor in a published course they can see. Enrolling again returns the existing
/// enrolment; one the learner had withdrawn from (or whose assignment was cancelled) becomes an
/// active enrolment of their own again, keeping its progress.
pub async fn enroll(
    db: &DatabaseConnection,
    actor: &Actor,
    course_id: Uuid,
) -> Result<enrollment::Model> {
    let access = courses::load_visible(db, actor, course_id).await?;
    if access.course.status != CourseStatus::Published {
        return Err(Error::Conflict {
            field: "courseId",
            message: "only a published course can be taken".into(),
        });
    }
    if let Some(existing) = find_own(db, actor.id(), course_id).await? {
        if !matches!(
            existing.status,
            EnrollmentStatus::Withdrawn | EnrollmentStatus::Cancelled
        ) {
            return Ok(existing);
        }
        let now = Utc::now();
        let txn = crate::db::begin(db).await?;
        let enrollment = enrollment::ActiveModel {
            id: Set(existing.id),
            status: Set(EnrollmentStatus::Active),
            source: Set(EnrollmentSource::SelfEnrolled),
            assigned_by: Set(None),
            due_at: Set(None),
            last_activity_at: Set(now),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        audit::record(
            &txn,
            Some(actor.id()),
            "enrollment.resumed",
            Target::Enrollment(enrollment.id),
            json!({ "courseId": course_id }),
        )
        .await?;
        txn.commit().await?;
        return Ok(enrollment);
    }

    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let inserted = enrollment::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(actor.id()),
        course_id: Set(course_id),
        source: Set(EnrollmentSource::SelfEnrolled),
        assigned_by: Set(None),
        due_at: Set(None),
        status: Set(EnrollmentStatus::Active),
        completed_at: Set(None),
        last_activity_at: Set(now),
        created_at: Set(now),
    }
    .insert(&txn)
    .await;
    let enrollment = match inserted {
        Ok(enrollment) => enrollment,
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            // A concurrent request enrolled first: that enrolment is the answer.
            drop(txn);
            return find_own(db, actor.id(), course_id).await?.ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("enrolment vanished after a race"))
            });
        }
        Err(err) => return Err(err.into()),
    };
    audit::record(
        &txn,
        Some(actor.id()),
        "enrollment.created",
        Target::Enrollment(enrollment.id),
        json!({ "courseId": course_id, "source": "self" }),
    )
    .await?;
    txn.commit().await?;
    Ok(enrollment)
}

/// Records that the actor did a lesson (idempotent). A lesson of a course the actor is not
/// enrolled in is `NotFound`. When every lesson is done the enrolment completes. An assessment
/// lesson cannot be done here: it is done by passing its assessment (`assessments::submit_attempt`).
pub async fn complete_lesson(
    db: &DatabaseConnection,
    issuer: &Issuer,
    actor: &Actor,
    lesson_id: Uuid,
) -> Result<enrollment::Model> {
    let lesson = lesson::Entity::find_by_id(lesson_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("lesson"))?;
    let enrollment = find_own(db, actor.id(), lesson.course_id)
        .await?
        .filter(|e| {
            matches!(
                e.status,
                EnrollmentStatus::Active | EnrollmentStatus::Completed
            )
        })
        .ok_or(Error::NotFound("lesson"))?;
    if lesson.kind == LessonKind::Assessment {
        return Err(Error::Conflict {
            field: "lessonId",
            message: "an assessment lesson is done by passing its assessment".into(),
        });
    }
    let already = lesson_progress::Entity::find_by_id((enrollment.id, lesson_id))
        .one(db)
        .await?;
    if already.is_some() || enrollment.status == EnrollmentStatus::Completed {
        return Ok(enrollment);
    }
    let txn = crate::db::begin(db).await?;
    let enrollment =
        mark_lesson_done(&txn, issuer, actor.id(), &enrollment, lesson_id, Utc::now()).await?;
    txn.commit().await?;
    Ok(enrollment)
}

/// Records that a lesson of `enrollment` is done (idempotent) and completes the enrolment when
/// every lesson of its course is done, with the audit event; the one place that does this, for
/// `complete_lesson` and for a passed assessment lesson. Runs inside the caller's transaction
/// `txn`; `actor_id` is who is recorded as doing it (the learner). Returns the enrolment as it
/// now stands.
pub(crate) async fn mark_lesson_done(
    txn: &impl ConnectionTrait,
    issuer: &Issuer,
    actor_id: Uuid,
    enrollment: &enrollment::Model,
    lesson_id: Uuid,
    now: DateTime<Utc>,
) -> Result<enrollment::Model> {
    lesson_progress::Entity::insert(lesson_progress::ActiveModel {
        enrollment_id: Set(enrollment.id),
        lesson_id: Set(lesson_id),
        completed_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            lesson_progress::Column::EnrollmentId,
            lesson_progress::Column::LessonId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    // Touch the enrolment before reading its progress: the row lock orders two lessons done at
    // the same moment (a text lesson and a passed test, say), so the second one reads the
    // first one's progress and completes the course.
    let mut enrollment = enrollment::ActiveModel {
        id: Set(enrollment.id),
        last_activity_at: Set(now),
        ..Default::default()
    }
    .update(txn)
    .await?;
    let lessons = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(enrollment.course_id))
        .all(txn)
        .await?;
    let done = lesson_progress::Entity::find()
        .filter(lesson_progress::Column::EnrollmentId.eq(enrollment.id))
        .all(txn)
        .await?;
    // Assessment lessons count like any other: their progress row is written when the
    // learner passes the assessment.
    let complete = enrollment.status == EnrollmentStatus::Active
        && lessons
            .iter()
            .all(|l| done.iter().any(|d| d.lesson_id == l.id));
    if complete {
        enrollment = enrollment::ActiveModel {
            id: Set(enrollment.id),
            status: Set(EnrollmentStatus::Completed),
            completed_at: Set(Some(now)),
            ..Default::default()
        }
        .update(txn)
        .await?;
        audit::record(
            txn,
            Some(actor_id),
            "enrollment.completed",
            Target::Enrollment(enrollment.id),
            json!({ "courseId": enrollment.course_id }),
        )
        .await?;
        certificates::issue_due(txn, issuer, actor_id, now).await?;
    }
    Ok(enrollment)
}

/// The actor's own enrolment by id; anyone else's is `NotFound`.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    enrollment_id: Uuid,
) -> Result<enrollment::Model> {
    enrollment::Entity::find_by_id(enrollment_id)
        .one(db)
        .await?
        .filter(|e| e.user_id == actor.id())
        .ok_or(Error::NotFound("enrollment"))
}

/// Withdraws the actor from a course they enrolled in themselves (idempotent). An assignment
/// is mandatory: only HR cancels it.
pub async fn withdraw(
    db: &DatabaseConnection,
    actor: &Actor,
    enrollment_id: Uuid,
) -> Result<enrollment::Model> {
    let enrollment = find_visible(db, actor, enrollment_id).await?;
    if enrollment.source != EnrollmentSource::SelfEnrolled {
        return Err(Error::forbidden(
            "an assigned course is mandatory; only HR can cancel the assignment",
        ));
    }
    match enrollment.status {
        EnrollmentStatus::Withdrawn => return Ok(enrollment),
        EnrollmentStatus::Completed => {
            return Err(Error::Conflict {
                field: "enrollmentId",
                message: "a completed course cannot be withdrawn from".into(),
            });
        }
        EnrollmentStatus::Cancelled => {
            return Err(Error::Conflict {
                field: "enrollmentId",
                message: "this assignment was cancelled".into(),
            });
        }
        EnrollmentStatus::Active => {}
    }
    let txn = crate::db::begin(db).await?;
    let enrollment = enrollment::ActiveModel {
        id: Set(enrollment.id),
        status: Set(EnrollmentStatus::Withdrawn),
        last_activity_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "enrollment.withdrawn",
        Target::Enrollment(enrollment.id),
        json!({ "courseId": enrollment.course_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(enrollment)
}

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

/// Sort key of "what needs attention first": overdue, then due soonest, then most recently
/// active; the id breaks ties so the order is total (and a cursor stable).
fn attention_key(
    e: &enrollment::Model,
    now: DateTime<Utc>,
) -> (u8, i64, std::cmp::Reverse<i64>, std::cmp::Reverse<Uuid>) {
    let bucket = if is_overdue(e, now) {
        0
    } else if e.status == EnrollmentStatus::Active && e.due_at.is_some() {
        1
    } else {
        2
    };
    let due = match bucket {
        0 | 1 => e.due_at.map_or(0, |d| d.timestamp_micros()),
        _ => 0,
    };
    (
        bucket,
        due,
        std::cmp::Reverse(e.last_activity_at.timestamp_micros()),
        std::cmp::Reverse(e.id),
    )
}

/// A page of the actor's active and completed enrolments, what needs attention first, after
/// the enrolment `after` (exclusive). A learner has tens of enrolments, not thousands: they are
/// read in one statement and ordered here, where "overdue" is easy to say.
pub async fn my_page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    after: Option<Uuid>,
    first: usize,
) -> Result<Page> {
    let now = Utc::now();
    let mut all = enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(actor.id()))
        .filter(
            enrollment::Column::Status
                .is_in([EnrollmentStatus::Active, EnrollmentStatus::Completed]),
        )
        .all(db)
        .await?;
    all.sort_by_key(|e| attention_key(e, now));
    let start = match after {
        None => 0,
        Some(after) => {
            all.iter()
                .position(|e| e.id == after)
                .ok_or_else(|| Error::invalid("after", "after is not a cursor from this list"))?
                + 1
        }
    };
    let mut enrollments: Vec<_> = all.into_iter().skip(start).collect();
    let has_next_page = enrollments.len() > first;
    enrollments.truncate(first);
    Ok(Page {
        enrollments,
        has_next_page,
    })
}

batch!(
    /// Lessons done, for many enrolments.
    progress_of, lesson_progress, EnrollmentId
);

/// One competence of a learner's profile.
#[derive(Clone, Debug)]
pub struct ProfileEntry {
    pub competence: competence::Model,
    /// The latest verified result, else the latest self-assessment.
    pub current: Option<competence_result::Model>,
    /// What the learner's job role requires.
    pub required: Option<i32>,
}

impl ProfileEntry {
    /// The current level (0 without one).
    pub fn current_level(&self) -> i32 {
        self.current.as_ref().map_or(0, |result| result.level)
    }

    /// How far the current level falls short of the required one (never negative).
    pub fn gap(&self) -> i32 {
        (self.required.unwrap_or(0) - self.current_level()).max(0)
    }
}

/// The actor's competence profile: every competence of the frameworks in use (those the
/// actor's job role requires, and those the actor has results for), with the current level,
/// the required level and the gap, in framework order.
pub async fn profile(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<ProfileEntry>> {
    let job_roles = job_roles::job_roles_of_users(db, &[actor.id()]).await?;
    let role_ids: Vec<Uuid> = job_roles.iter().map(|role| role.job_role_id).collect();
    let requirements = job_roles::requirements_of(db, &role_ids).await?;
    // The current result of each competence, as `competence_levels` holds it (see
    // `record_results`), rather than the whole history ranked again here.
    let results = competence_result::Entity::find()
        .filter(
            competence_result::Column::Id.in_subquery(
                Query::select()
                    .column(competence_level::Column::ResultId)
                    .from(competence_level::Entity)
                    .and_where(competence_level::Column::UserId.eq(actor.id()))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let mut used: Vec<Uuid> = requirements
        .iter()
        .map(|r| r.competence_id)
        .chain(results.iter().map(|r| r.competence_id))
        .collect();
    used.sort();
    used.dedup();
    let used = competences::competences_by_ids(db, &used).await?;
    let area_ids: Vec<Uuid> = used.iter().map(|c| c.area_id).collect();
    let areas = competences::areas_by_ids(db, &area_ids).await?;
    let mut framework_ids: Vec<Uuid> = areas.iter().map(|a| a.framework_id).collect();
    framework_ids.sort();
    framework_ids.dedup();
    let all_areas = competences::areas_of(db, &framework_ids).await?;
    let all_area_ids: Vec<Uuid> = all_areas.iter().map(|a| a.id).collect();
    let all = competences::competences_of(db, &all_area_ids).await?;
    let mut entries: Vec<ProfileEntry> = all
        .into_iter()
        .map(|competence| {
            let current = results
                .iter()
                .find(|r| r.competence_id == competence.id)
                .cloned();
            let required = requirements
                .iter()
                .filter(|r| r.competence_id == competence.id)
                .map(|r| r.level)
                .max();
            ProfileEntry {
                competence,
                current,
                required,
            }
        })
        .collect();
    // Areas in framework order, competences in area order.
    entries.sort_by_key(|entry| {
        all_areas
            .iter()
            .position(|area| area.id == entry.competence.area_id)
            .unwrap_or(usize::MAX)
    });
    Ok(entries)
}

/// Records results of one user (each a competence and a level) from one source (with the
/// attempt they come from, for assessment results), and updates
/// their current levels (`competence_levels`): a verified result always becomes current; a
/// self-assessment only where nothing verified is current. Every writer of results goes
/// through here, so the current levels never disagree with the history. Call it inside the
/// transaction of the change that produced the results.
pub async fn record_results(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    results: &[(Uuid, i32)],
    source: ResultSource,
    attempt_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let rows: Vec<competence_result::ActiveModel> = results
        .iter()
        .map(|(competence_id, level)| competence_result::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            competence_id: Set(*competence_id),
            level: Set(*level),
            source: Set(source),
            attempt_id: Set(attempt_id),
            created_at: Set(now),
        })
        .collect();
    let verified = source != ResultSource::SelfAssessed;
    let levels = rows.iter().map(|row| competence_level::ActiveModel {
        user_id: row.user_id.clone(),
        competence_id: row.competence_id.clone(),
        level: row.level.clone(),
        verified: Set(verified),
        result_id: row.id.clone(),
        updated_at: Set(now),
    });
    let levels: Vec<_> = levels.collect();
    competence_result::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    competence_level::Entity::insert_many(levels)
        .on_conflict(
            OnConflict::columns([
                competence_level::Column::UserId,
                competence_level::Column::CompetenceId,
            ])
            .update_columns([
                competence_level::Column::Level,
                competence_level::Column::Verified,
                competence_level::Column::ResultId,
                competence_level::Column::UpdatedAt,
            ])
            // A self-assessment never replaces a verified level.
            .action_and_where(Expr::cust(
                "excluded.verified OR NOT competence_levels.verified",
            ))
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Derives the current level of every (user, competence) that has results but no current
/// level yet, from the history: for bulk loads (`scale`), which write results directly.
pub async fn derive_missing_levels(txn: &impl ConnectionTrait) -> Result<()> {
    txn.execute_unprepared(
        "INSERT INTO competence_levels \
           (user_id, competence_id, level, verified, result_id, updated_at) \
         SELECT user_id, competence_id, level, verified, id, created_at FROM ( \
           SELECT r.id, r.user_id, r.competence_id, r.level, r.created_at, \
             r.source <> 'self_assessed' AS verified, \
             ROW_NUMBER() OVER ( \
               PARTITION BY r.user_id, r.competence_id \
               ORDER BY CASE WHEN r.source = 'self_assessed' THEN 0 ELSE 1 END DESC, \
                 r.created_at DESC, r.id DESC \
             ) AS rn \
           FROM competence_results r \
           WHERE NOT EXISTS (SELECT 1 FROM competence_levels l \
             WHERE l.user_id = r.user_id AND l.competence_id = r.competence_id) \
         ) ranked WHERE rn = 1",
    )
    .await?;
    Ok(())
}

/// Records the actor's own ratings (each within its framework's level range) and returns the
/// updated profile. Self-ratings count only where no verified result exists.
pub async fn submit_self_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    ratings: Vec<(Uuid, i32)>,
) -> Result<Vec<ProfileEntry>> {
    if ratings.is_empty() {
        return Err(Error::invalid("ratings", "rate at least one competence"));
    }
    competences::check_levels(db, "ratings", &ratings).await?;
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    record_results(
        &txn,
        actor.id(),
        &ratings,
        ResultSource::SelfAssessed,
        None,
        now,
    )
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "competence.self_assessed",
        Target::User(actor.id()),
        json!({ "ratings": ratings.iter().map(|(id, level)| json!({ "competenceId": id, "level": level })).collect::<Vec<_>>() }),
    )
    .await?;
    txn.commit().await?;
    profile(db, actor).await
}

/// Published courses the actor may take that close their biggest gaps first (a target above
/// the current level on a competence with a gap), skipping courses they completed.
pub async fn recommendations(
    db: &impl ConnectionTrait,
    actor: &Actor,
    first: usize,
) -> Result<Vec<course::Model>> {
    let entries = profile(db, actor).await?;
    let gaps: Vec<&ProfileEntry> = entries.iter().filter(|e| e.gap() > 0).collect();
    if gaps.is_empty() || first == 0 {
        return Ok(Vec::new());
    }
    let gap_ids: Vec<Uuid> = gaps.iter().map(|e| e.competence.id).collect();
    let targets = course_competence::Entity::find()
        .filter(course_competence::Column::CompetenceId.is_in(gap_ids))
        .all(db)
        .await?;
    // The biggest gap each course closes, and the sum of the gaps it closes.
    let mut scores: std::collections::HashMap<Uuid, (i32, i32)> = Default::default();
    for target in &targets {
        let Some(entry) = gaps
            .iter()
            .find(|e| e.competence.id == target.competence_id)
        else {
            continue;
        };
        if target.target_level > entry.current_level() {
            let score = scores.entry(target.course_id).or_default();
            score.0 = score.0.max(entry.gap());
            score.1 += entry.gap();
        }
    }
    let completed: Vec<Uuid> = enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(actor.id()))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Completed))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.course_id)
        .collect();
    let candidates: Vec<Uuid> = scores
        .keys()
        .copied()
        .filter(|id| !completed.contains(id))
        .collect();
    let mut courses = courses::takeable_among(db, actor, &candidates).await?;
    courses.sort_by_key(|course| {
        let (biggest, total) = scores.get(&course.id).copied().unwrap_or_default();
        (
            std::cmp::Reverse(biggest),
            std::cmp::Reverse(total),
            std::cmp::Reverse(course.id),
        )
    });
    courses.truncate(first);
    Ok(courses)
}

//! Enrolments: enrolling, lesson progress and completion, withdrawing, and the learner's own
//! list, what needs attention first.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType,
    QueryFilter, QuerySelect, Set, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{Achievement, record_achievement};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    courses,
    credentials::Issuer,
    entities::{
        course::{self, CourseStatus},
        enrollment::{self, EnrollmentSource, EnrollmentStatus},
        lesson::{self, LessonKind},
        lesson_progress,
    },
};

/// One page of a learner's enrolments, with their courses.
#[derive(Debug)]
pub struct Page {
    pub enrollments: Vec<enrollment::Model>,
    /// The course of each enrolment on the page, read with it.
    pub courses: Vec<course::Model>,
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
    let recorded = record_achievement(
        &txn,
        issuer,
        actor.id(),
        Achievement::LessonDone {
            enrollment: &enrollment,
            lesson_id,
        },
        Utc::now(),
    )
    .await?;
    txn.commit().await?;
    recorded
        .enrollments
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a lesson done left no enrolment")))
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

/// A page of a person's active and completed enrolments, what needs attention first, after
/// the enrolment `after` (exclusive). A learner has tens of enrolments, not thousands: they are
/// read in one statement and ordered here, where "overdue" is easy to say. Who may read whose
/// enrolments is the caller's decision.
pub async fn page_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    after: Option<Uuid>,
    first: usize,
) -> Result<Page> {
    let now = Utc::now();
    let taken = enrollment::Entity::belongs_to(course::Entity)
        .from(enrollment::Column::CourseId)
        .to(course::Column::Id)
        .into();
    let mut all = enrollment::Entity::find()
        .select_also(course::Entity)
        .join(JoinType::InnerJoin, taken)
        .filter(enrollment::Column::UserId.eq(user_id))
        .filter(
            enrollment::Column::Status
                .is_in([EnrollmentStatus::Active, EnrollmentStatus::Completed]),
        )
        .all(db)
        .await?;
    all.sort_by_key(|(e, _)| attention_key(e, now));
    let start = match after {
        None => 0,
        Some(after) => {
            all.iter()
                .position(|(e, _)| e.id == after)
                .ok_or_else(|| Error::invalid("after", "after is not a cursor from this list"))?
                + 1
        }
    };
    let mut rows: Vec<_> = all.into_iter().skip(start).collect();
    let has_next_page = rows.len() > first;
    rows.truncate(first);
    let (enrollments, courses) = rows.into_iter().unzip::<_, _, Vec<_>, Vec<_>>();
    Ok(Page {
        enrollments,
        courses: courses.into_iter().flatten().collect(),
        has_next_page,
    })
}

/// How much of a course an enrolment has done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LessonCounts {
    /// Lessons done (an assessment lesson when its assessment is passed).
    pub done: i64,
    /// Lessons in the course now.
    pub total: i64,
}

/// The [`LessonCounts`] of each of many enrolments (for batch loading), in one statement.
pub async fn lesson_counts(
    db: &impl ConnectionTrait,
    enrollment_ids: &[Uuid],
) -> Result<Vec<(Uuid, LessonCounts)>> {
    if enrollment_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Uuid, i64, i64)> = enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::Id)
        .column_as(
            Expr::cust(
                "(SELECT COUNT(*) FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id \
                 WHERE p.enrollment_id = enrollments.id AND l.course_id = enrollments.course_id)",
            ),
            "done",
        )
        .column_as(
            Expr::cust(
                "(SELECT COUNT(*) FROM lessons l WHERE l.course_id = enrollments.course_id)",
            ),
            "total",
        )
        .filter(enrollment::Column::Id.is_in(enrollment_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, done, total)| (id, LessonCounts { done, total }))
        .collect())
}

batch!(
    /// Lessons done, for many enrolments.
    progress_of, lesson_progress, EnrollmentId
);

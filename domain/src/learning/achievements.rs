//! Achievements: the one path by which what a learner did counts. A lesson done and an attempt
//! scored both go through [`record_achievement`], which records the results, marks lessons done,
//! completes enrolments and then asks for certificate issuance once, all inside the transaction
//! of the event.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use super::record_results;
use crate::{
    Result,
    audit::{self, Target},
    certificates,
    credentials::Issuer,
    entities::{
        attempt,
        competence_result::ResultSource,
        enrollment::{self, EnrollmentStatus},
        lesson::{self, LessonKind},
        lesson_progress,
    },
};

/// What a learner achieved in one event.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Achievement<'a> {
    /// A lesson (not an assessment lesson) done in one of the learner's enrolments.
    LessonDone {
        enrollment: &'a enrollment::Model,
        lesson_id: Uuid,
    },
    /// An attempt scored: the competence levels it demonstrated, and whether it passed. A
    /// passed attempt does every lesson that uses its assessment in the learner's active
    /// enrolments.
    AttemptScored {
        attempt: &'a attempt::Model,
        levels: &'a [(Uuid, i32)],
        passed: bool,
    },
}

/// What recording an achievement changed.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// The enrolments a lesson was done in, as they now stand.
    pub enrollments: Vec<enrollment::Model>,
}

/// Records what `user_id` achieved in one event, inside `txn`, the transaction of that event:
/// the results an attempt demonstrated (through [`record_results`]), the lessons done, the
/// enrolments this completes; then, when it completed a course or passed an assessment (what a
/// certificate's criteria name), asks [`certificates::issue_due`] once.
pub(crate) async fn record_achievement(
    txn: &impl ConnectionTrait,
    issuer: &Issuer,
    user_id: Uuid,
    achievement: Achievement<'_>,
    now: DateTime<Utc>,
) -> Result<Recorded> {
    // The person's `users` row first, before any enrolment or result of theirs changes, as
    // HR's assignments lock it first too: locked in the other order (the enrolment, then the
    // person when a certificate may be due), the two would wait for each other (a deadlock,
    // seen on PostgreSQL with a learner completing a course while HR assigned it again).
    crate::db::lock_users(txn, [user_id]).await?;
    let mut recorded = Recorded::default();
    let mut completed_any = false;
    let mut passed = false;
    match achievement {
        Achievement::LessonDone {
            enrollment,
            lesson_id,
        } => {
            let (enrollment, completed) =
                mark_lesson_done(txn, user_id, enrollment, &[lesson_id], now).await?;
            completed_any |= completed;
            recorded.enrollments.push(enrollment);
        }
        Achievement::AttemptScored {
            attempt,
            levels,
            passed: attempt_passed,
        } => {
            record_results(
                txn,
                user_id,
                levels,
                ResultSource::Assessment,
                Some(attempt.id),
                now,
            )
            .await?;
            if attempt_passed {
                passed = true;
                let lessons = lesson::Entity::find()
                    .filter(lesson::Column::AssessmentId.eq(attempt.assessment_id))
                    .filter(lesson::Column::Kind.eq(LessonKind::Assessment))
                    .all(txn)
                    .await?;
                if !lessons.is_empty() {
                    let enrollments = enrollment::Entity::find()
                        .filter(enrollment::Column::UserId.eq(user_id))
                        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Active))
                        .filter(
                            enrollment::Column::CourseId.is_in(lessons.iter().map(|l| l.course_id)),
                        )
                        .all(txn)
                        .await?;
                    for enrollment in &enrollments {
                        let lesson_ids: Vec<Uuid> = lessons
                            .iter()
                            .filter(|l| l.course_id == enrollment.course_id)
                            .map(|l| l.id)
                            .collect();
                        let (enrollment, completed) =
                            mark_lesson_done(txn, user_id, enrollment, &lesson_ids, now).await?;
                        completed_any |= completed;
                        recorded.enrollments.push(enrollment);
                    }
                }
            }
        }
    }
    // Nothing else can meet a criterion: a certificate names courses to complete and
    // assessments to pass.
    if completed_any || passed {
        certificates::issue_due(txn, issuer, user_id, now).await?;
    }
    Ok(recorded)
}

/// Records that lessons of `enrollment` are done (idempotent) and completes the enrolment when
/// every lesson of its course is done, with the audit event; `actor_id` is who is recorded as
/// doing it (the learner). Returns the enrolment as it now stands, and whether this completed it.
async fn mark_lesson_done(
    txn: &impl ConnectionTrait,
    actor_id: Uuid,
    enrollment: &enrollment::Model,
    lesson_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(enrollment::Model, bool)> {
    if lesson_ids.is_empty() {
        return Ok((enrollment.clone(), false));
    }
    lesson_progress::Entity::insert_many(lesson_ids.iter().map(|lesson_id| {
        lesson_progress::ActiveModel {
            enrollment_id: Set(enrollment.id),
            lesson_id: Set(*lesson_id),
            completed_at: Set(now),
        }
    }))
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
    let enrollment = enrollment::ActiveModel {
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
    if !complete {
        return Ok((enrollment, false));
    }
    let enrollment = enrollment::ActiveModel {
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
    Ok((enrollment, true))
}

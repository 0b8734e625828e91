//! The trainer's statistics of an assessment: how its scored attempts went, per question too.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, Func, Query},
};
use uuid::Uuid;

use super::AssessmentAccess;
use crate::{
    Error, Result,
    auth::Actor,
    entities::{attempt, attempt_question, course, course_author, lesson},
    types::Role,
};

/// How an assessment's submitted attempts went.
#[derive(Clone, Debug)]
pub struct AssessmentStats {
    /// Submitted (or expired and scored) attempts.
    pub attempts: i64,
    pub passed: i64,
    /// Mean percent of those attempts; `None` without any.
    pub average_percent: Option<f64>,
    /// Per question, most answered first.
    pub questions: Vec<QuestionStats>,
}

/// How often a question was answered correctly in an assessment's scored attempts.
#[derive(Clone, Debug)]
pub struct QuestionStats {
    pub question_id: Uuid,
    /// Scored attempts that contained it.
    pub attempts: i64,
    pub correct: i64,
}

/// The statistics of an assessment (already loaded and visible to the actor): they come from
/// people's scores, so only those whose assessment or course it is read them, whatever the
/// authority's `hr_person_view`: those who may edit it (its owner while a `TRAINER`, an
/// `ADMIN` covering its unit) and a `TRAINER` who owns or co-authors a course with a lesson
/// that uses it. A trainer who may only use it from a shared bank, and anyone else, is
/// `Forbidden`.
pub async fn stats(
    db: &impl ConnectionTrait,
    actor: &Actor,
    access: &AssessmentAccess,
) -> Result<AssessmentStats> {
    if !access.can_edit(actor) && !authors_a_course_using(db, actor, access.assessment.id).await? {
        return Err(Error::forbidden(
            "only the assessment's owner, administrators of its unit and the authors of courses \
             that use it see its statistics",
        ));
    }
    let assessment_id = access.assessment.id;
    let passed_sum = Expr::cust("SUM(CASE WHEN passed THEN 1 ELSE 0 END)");
    let (attempts, passed, average_percent) = attempt::Entity::find()
        .select_only()
        .column_as(attempt::Column::Id.count(), "attempts")
        .column_as(passed_sum, "passed")
        .column_as(
            Expr::expr(Func::avg(Expr::col(attempt::Column::Percent))),
            "average",
        )
        .filter(attempt::Column::AssessmentId.eq(assessment_id))
        .filter(attempt::Column::SubmittedAt.is_not_null())
        .into_tuple::<(i64, Option<i64>, Option<f64>)>()
        .one(db)
        .await?
        .unwrap_or((0, None, None));
    let scored = Query::select()
        .column(attempt::Column::Id)
        .from(attempt::Entity)
        .and_where(attempt::Column::AssessmentId.eq(assessment_id))
        .and_where(attempt::Column::SubmittedAt.is_not_null())
        .to_owned();
    let mut questions: Vec<QuestionStats> = attempt_question::Entity::find()
        .select_only()
        .column(attempt_question::Column::QuestionId)
        .column_as(attempt_question::Column::QuestionId.count(), "attempts")
        .column_as(
            Expr::cust("SUM(CASE WHEN correct THEN 1 ELSE 0 END)"),
            "correct",
        )
        .filter(attempt_question::Column::AttemptId.in_subquery(scored))
        .group_by(attempt_question::Column::QuestionId)
        .into_tuple::<(Uuid, i64, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(question_id, attempts, correct)| QuestionStats {
            question_id,
            attempts,
            correct: correct.unwrap_or(0),
        })
        .collect();
    questions.sort_by_key(|q| (std::cmp::Reverse(q.attempts), q.question_id));
    Ok(AssessmentStats {
        attempts,
        passed: passed.unwrap_or(0),
        average_percent: if attempts == 0 { None } else { average_percent },
        questions,
    })
}

/// Whether `actor`, as a `TRAINER`, owns or co-authors a course with a lesson that uses the
/// assessment.
async fn authors_a_course_using(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<bool> {
    if !actor.holds(Role::Trainer) {
        return Ok(false);
    }
    let authored = Condition::any()
        .add(
            lesson::Column::CourseId.in_subquery(
                Query::select()
                    .column(course::Column::Id)
                    .from(course::Entity)
                    .and_where(course::Column::OwnerId.eq(actor.id()))
                    .to_owned(),
            ),
        )
        .add(
            lesson::Column::CourseId.in_subquery(
                Query::select()
                    .column(course_author::Column::CourseId)
                    .from(course_author::Entity)
                    .and_where(course_author::Column::UserId.eq(actor.id()))
                    .to_owned(),
            ),
        );
    Ok(lesson::Entity::find()
        .filter(lesson::Column::AssessmentId.eq(assessment_id))
        .filter(authored)
        .one(db)
        .await?
        .is_some())
}

//! Attempts: starting (questions, order and option order fixed), saving answers, and scoring
//! exactly once, on submission or on the first touch after the deadline.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveEnum as _, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect as _, Set,
    sea_query::{Expr, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    AssessmentAccess,
    authoring::{draw_pool, draw_rules_of, items_of},
    load_assessment,
    questions::{current_versions, options_of_versions, versions_by_ids},
    scoring::{self, DemonstratedLevel, ScoredItem},
};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    credentials::Issuer,
    entities::{
        assessment::{self, Selection},
        attempt::{self, ClosedBy},
        attempt_question,
        enrollment::{self, EnrollmentStatus},
        lesson::{self, LessonKind},
        question_option,
        question_version::{self, QuestionKind},
    },
    learning::{self, Achievement},
};

/// A question as an attempt holds it: the exact version, and its options in the attempt's
/// order. Options carry `is_correct`; only the result of a scored attempt may show it.
#[derive(Clone, Debug)]
pub struct AttemptItem {
    pub row: attempt_question::Model,
    pub version: question_version::Model,
    pub options: Vec<question_option::Model>,
}

impl AttemptItem {
    /// The option ids chosen, in the order they were saved.
    pub fn chosen(&self) -> Vec<Uuid> {
        parse_ids(self.row.answer.as_deref())
    }

    /// The correct option ids, in the attempt's order.
    pub fn correct_options(&self) -> Vec<Uuid> {
        self.options
            .iter()
            .filter(|option| option.is_correct)
            .map(|option| option.id)
            .collect()
    }
}

/// An attempt with its assessment and questions in order.
#[derive(Clone, Debug)]
pub struct AttemptDetail {
    pub attempt: attempt::Model,
    pub access: AssessmentAccess,
    pub items: Vec<AttemptItem>,
}

impl AttemptDetail {
    /// Whether it has been scored (submitted, or closed by its deadline).
    pub fn is_scored(&self) -> bool {
        self.attempt.submitted_at.is_some()
    }

    /// The competence levels a scored attempt demonstrates (see
    /// [`scoring::demonstrated_levels`]), at the mastery threshold it started under; empty
    /// while it is open.
    pub fn demonstrated_levels(&self) -> Vec<DemonstratedLevel> {
        if !self.is_scored() {
            return Vec::new();
        }
        scoring::demonstrated_levels(
            &scored_items(&self.items),
            self.attempt.mastery_threshold_percent,
        )
    }
}

fn scored_items(items: &[AttemptItem]) -> Vec<ScoredItem> {
    items
        .iter()
        .map(|item| ScoredItem {
            competence_id: item.version.competence_id,
            level: item.version.level,
            awarded: item.row.awarded_points.unwrap_or(0),
            points: item.version.points,
        })
        .collect()
}

fn parse_ids(json: Option<&str>) -> Vec<Uuid> {
    json.and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

fn to_json(ids: &[Uuid]) -> Result<String> {
    serde_json::to_string(ids).map_err(|err| Error::Internal(err.into()))
}

/// Shuffles in place (Fisher-Yates) with randomness from the operating system, by way of
/// random UUIDs, so no extra dependency is needed for a shuffle.
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let random = Uuid::new_v4().as_u128();
        let j = usize::try_from(random % (i as u128 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

fn expired(attempt: &attempt::Model, now: DateTime<Utc>) -> bool {
    attempt.submitted_at.is_none() && attempt.deadline_at.is_some_and(|deadline| deadline <= now)
}

/// Whether the actor is enrolled (active or completed) in a course that has the assessment as
/// a lesson.
async fn enrolled_through_lesson(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<bool> {
    let found = enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(actor.id()))
        .filter(
            enrollment::Column::Status
                .is_in([EnrollmentStatus::Active, EnrollmentStatus::Completed]),
        )
        .filter(
            enrollment::Column::CourseId.in_subquery(
                Query::select()
                    .column(lesson::Column::CourseId)
                    .from(lesson::Entity)
                    .and_where(lesson::Column::AssessmentId.eq(assessment_id))
                    .and_where(lesson::Column::Kind.eq(LessonKind::Assessment))
                    .to_owned(),
            ),
        )
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// An assessment the actor may take: one open to them on its own, or a lesson of a course
/// they are enrolled in. Anything else is `NotFound`.
pub async fn load_takeable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    let access = load_assessment(db, assessment_id).await?;
    if access.open_to(actor) || enrolled_through_lesson(db, actor, assessment_id).await? {
        Ok(access)
    } else {
        Err(Error::NotFound("assessment"))
    }
}

pub(crate) async fn load_takeable_or_usable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    let access = load_assessment(db, assessment_id).await?;
    if access.can_use(actor)
        || access.open_to(actor)
        || enrolled_through_lesson(db, actor, assessment_id).await?
    {
        Ok(access)
    } else {
        Err(Error::NotFound("assessment"))
    }
}

/// The items of attempts, in position order.
async fn load_items(db: &impl ConnectionTrait, attempt_id: Uuid) -> Result<Vec<AttemptItem>> {
    let rows = attempt_question::Entity::find()
        .filter(attempt_question::Column::AttemptId.eq(attempt_id))
        .order_by_asc(attempt_question::Column::Position)
        .all(db)
        .await?;
    let version_ids: Vec<Uuid> = rows.iter().map(|row| row.question_version_id).collect();
    let versions: HashMap<Uuid, question_version::Model> = versions_by_ids(db, &version_ids)
        .await?
        .into_iter()
        .map(|version| (version.id, version))
        .collect();
    let mut options: HashMap<Uuid, question_option::Model> = options_of_versions(db, &version_ids)
        .await?
        .into_iter()
        .map(|option| (option.id, option))
        .collect();
    rows.into_iter()
        .map(|row| {
            let version = versions
                .get(&row.question_version_id)
                .cloned()
                .ok_or_else(|| {
                    Error::Internal(anyhow::anyhow!(
                        "question version {} is missing",
                        row.question_version_id
                    ))
                })?;
            let ordered = parse_ids(Some(&row.option_order))
                .into_iter()
                .filter_map(|id| options.remove(&id))
                .collect();
            Ok(AttemptItem {
                row,
                version,
                options: ordered,
            })
        })
        .collect()
}

async fn detail(
    db: &impl ConnectionTrait,
    attempt: attempt::Model,
    access: AssessmentAccess,
) -> Result<AttemptDetail> {
    let items = load_items(db, attempt.id).await?;
    Ok(AttemptDetail {
        attempt,
        access,
        items,
    })
}

/// The actor's own attempt; anyone else's is `NotFound`, exactly like an unknown id.
async fn find_own(
    db: &impl ConnectionTrait,
    actor: &Actor,
    attempt_id: Uuid,
) -> Result<attempt::Model> {
    attempt::Entity::find_by_id(attempt_id)
        .one(db)
        .await?
        .filter(|attempt| attempt.user_id == actor.id())
        .ok_or(Error::NotFound("attempt"))
}

/// Scores an attempt if its deadline has passed and it is still open (first touch after the
/// deadline), and returns it as it now stands.
async fn settle(
    db: &DatabaseConnection,
    issuer: &Issuer,
    attempt: attempt::Model,
) -> Result<attempt::Model> {
    let now = Utc::now();
    if !expired(&attempt, now) {
        return Ok(attempt);
    }
    score(db, issuer, &attempt, ClosedBy::Deadline, now).await?;
    attempt::Entity::find_by_id(attempt.id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("attempt {} vanished", attempt.id)))
}

/// The questions a new attempt gets: current versions, in order, each with its option order.
async fn pick_questions(
    db: &impl ConnectionTrait,
    access: &AssessmentAccess,
) -> Result<Vec<(question_version::Model, Vec<Uuid>)>> {
    let assessment = &access.assessment;
    let question_ids: Vec<Uuid> = match assessment.selection {
        Selection::Fixed => items_of(db, &[assessment.id])
            .await?
            .into_iter()
            .map(|item| item.question_id)
            .collect(),
        Selection::Random => {
            let mut picked = Vec::new();
            for rule in draw_rules_of(db, &[assessment.id]).await? {
                let mut pool: Vec<Uuid> =
                    draw_pool(db, &access.unit.path, rule.competence_id, rule.level)
                        .await?
                        .into_iter()
                        .map(|q| q.id)
                        .filter(|id| !picked.contains(id))
                        .collect();
                shuffle(&mut pool);
                pool.truncate(usize::try_from(rule.question_count).unwrap_or(0));
                picked.extend(pool);
            }
            picked
        }
    };
    if question_ids.is_empty() {
        return Err(Error::Conflict {
            field: "assessmentId",
            message: "this assessment has no questions to give".into(),
        });
    }
    let mut versions: HashMap<Uuid, question_version::Model> = current_versions(db, &question_ids)
        .await?
        .into_iter()
        .map(|version| (version.question_id, version))
        .collect();
    let version_ids: Vec<Uuid> = versions.values().map(|version| version.id).collect();
    let options = options_of_versions(db, &version_ids).await?;
    question_ids
        .iter()
        .map(|question_id| {
            let version = versions.remove(question_id).ok_or_else(|| {
                Error::Internal(anyhow::anyhow!(
                    "question {question_id} has no current version"
                ))
            })?;
            let mut order: Vec<Uuid> = options
                .iter()
                .filter(|option| option.question_version_id == version.id)
                .map(|option| option.id)
                .collect();
            // True comes before False; choice options are shuffled per attempt.
            if version.kind != QuestionKind::TrueFalse {
                shuffle(&mut order);
            }
            Ok((version, order))
        })
        .collect()
}

/// Starts an attempt, or returns the actor's open one. A new attempt fixes its questions (the
/// current version of each), their order and each question's option order, and records the
/// assessment's version, pass mark and mastery threshold, with which it is scored whatever
/// later edits change. Refused once the assessment's maximum attempts are used, and for an
/// archived assessment (an open attempt at one is still returned, to be finished). An open
/// attempt past its deadline is scored first.
pub async fn start_attempt(
    db: &DatabaseConnection,
    issuer: &Issuer,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AttemptDetail> {
    let mut access = load_takeable(db, actor, assessment_id).await?;
    // Another round only after a concurrent start won the race for the attempt number, or an
    // edit or archive of the assessment committed while this start was under way.
    for _ in 0..3 {
        let attempts = attempt::Entity::find()
            .filter(attempt::Column::AssessmentId.eq(assessment_id))
            .filter(attempt::Column::UserId.eq(actor.id()))
            .order_by_asc(attempt::Column::AttemptNumber)
            .all(db)
            .await?;
        if let Some(open) = attempts.iter().find(|a| a.submitted_at.is_none()).cloned() {
            let open = settle(db, issuer, open).await?;
            if open.submitted_at.is_none() {
                return detail(db, open, access).await;
            }
        }
        if access.assessment.archived_at.is_some() {
            return Err(Error::Conflict {
                field: "assessmentId",
                message: "this assessment is archived: it takes no new attempts".into(),
            });
        }
        let used = i32::try_from(attempts.len()).map_err(anyhow::Error::from)?;
        if let Some(max) = access.assessment.max_attempts
            && used >= max
        {
            return Err(Error::Conflict {
                field: "assessmentId",
                message: format!("you have used all {max} attempts at this assessment"),
            });
        }
        let picked = pick_questions(db, &access).await?;
        let now = Utc::now();
        let txn = crate::db::begin(db).await?;
        // The assessment again, `FOR SHARE` on PostgreSQL (SQLite's write lock, taken by
        // `BEGIN IMMEDIATE`, already orders this after any edit): an edit or archive committed
        // since it was read above shows here, and this start begins again; one not yet
        // committed waits for this start to commit (its `UPDATE` needs the row). So the
        // questions picked and the version and thresholds recorded are of one version.
        let current = assessment::Entity::find_by_id(assessment_id)
            .lock_shared()
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("assessment"))?;
        if current.version != access.assessment.version
            || current.archived_at != access.assessment.archived_at
        {
            drop(txn);
            access = AssessmentAccess {
                assessment: current,
                unit: access.unit,
            };
            continue;
        }
        let inserted = attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            assessment_id: Set(assessment_id),
            user_id: Set(actor.id()),
            attempt_number: Set(used + 1),
            started_at: Set(now),
            deadline_at: Set(current
                .time_limit_seconds
                .map(|seconds| now + Duration::seconds(i64::from(seconds)))),
            submitted_at: Set(None),
            closed_by: Set(None),
            score: Set(None),
            max_score: Set(None),
            percent: Set(None),
            passed: Set(None),
            updated_at: Set(now),
            assessment_version: Set(current.version),
            pass_mark_percent: Set(current.pass_mark_percent),
            mastery_threshold_percent: Set(current.mastery_threshold_percent),
        }
        .insert(&txn)
        .await;
        let attempt = match inserted {
            Ok(attempt) => attempt,
            Err(err)
                if matches!(
                    err.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                // A concurrent start took this number: its attempt is the open one.
                drop(txn);
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        attempt_question::Entity::insert_many(
            picked
                .iter()
                .zip(1..)
                .map(|((version, order), position)| {
                    Ok(attempt_question::ActiveModel {
                        attempt_id: Set(attempt.id),
                        question_id: Set(version.question_id),
                        position: Set(position),
                        question_version_id: Set(version.id),
                        option_order: Set(to_json(order)?),
                        answer: Set(None),
                        answered_at: Set(None),
                        awarded_points: Set(None),
                        correct: Set(None),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        )
        .exec(&txn)
        .await?;
        audit::record(
            &txn,
            Some(actor.id()),
            "attempt.started",
            Target::Attempt(attempt.id),
            json!({
                "assessmentId": assessment_id,
                "assessmentVersion": attempt.assessment_version,
                "attemptNumber": attempt.attempt_number,
            }),
        )
        .await?;
        txn.commit().await?;
        return detail(db, attempt, access).await;
    }
    Err(Error::Conflict {
        field: "assessmentId",
        message: "another attempt was being started, or the assessment changed, at the same \
                  moment; try again"
            .into(),
    })
}

/// Saves the actor's answer to one question of their open attempt, replacing an earlier one.
/// `answer` lists option ids of that question: at least one, each once, and only one for a
/// single-choice or true/false question. Refused with [`Error::AttemptSubmitted`] after
/// submission and [`Error::DeadlinePassed`] after the deadline (which scores the attempt with
/// the answers saved in time).
pub async fn save_answer(
    db: &DatabaseConnection,
    issuer: &Issuer,
    actor: &Actor,
    attempt_id: Uuid,
    question_id: Uuid,
    answer: &[String],
) -> Result<()> {
    let attempt = find_own(db, actor, attempt_id).await?;
    let deadline = attempt.deadline_at;
    check_open(db, issuer, attempt).await?;
    let row = attempt_question::Entity::find_by_id((attempt_id, question_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::invalid("questionId", "this question is not part of the attempt"))?;
    let version = question_version::Entity::find_by_id(row.question_version_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("question version is missing")))?;
    let offered = parse_ids(Some(&row.option_order));
    if answer.is_empty() {
        return Err(Error::invalid("answer", "choose at least one option"));
    }
    let mut chosen = Vec::with_capacity(answer.len());
    for raw in answer {
        let id = Uuid::parse_str(raw.trim())
            .ok()
            .filter(|id| offered.contains(id))
            .ok_or_else(|| {
                Error::invalid(
                    "answer",
                    format!("\"{raw}\" is not an option of this question"),
                )
            })?;
        if chosen.contains(&id) {
            return Err(Error::invalid("answer", "an option is chosen twice"));
        }
        chosen.push(id);
    }
    if version.kind != QuestionKind::MultipleChoice && chosen.len() > 1 {
        return Err(Error::invalid(
            "answer",
            "this question takes exactly one option",
        ));
    }

    let now = Utc::now();
    // Checked again just before writing, so the time spent on the checks above cannot let a
    // late answer in; the next touch scores the attempt.
    if deadline.is_some_and(|deadline| deadline <= now) {
        return Err(Error::DeadlinePassed(
            "the time for this attempt is up; it is scored with the answers saved in time".into(),
        ));
    }
    let txn = crate::db::begin(db).await?;
    // Touch the attempt first, only while it is open: it takes the row (on SQLite the database)
    // write lock, so a concurrent submit either scores after this answer or refuses it.
    let touched = attempt::Entity::update_many()
        .col_expr(attempt::Column::UpdatedAt, Expr::value(now))
        .filter(attempt::Column::Id.eq(attempt_id))
        .filter(attempt::Column::SubmittedAt.is_null())
        .exec(&txn)
        .await?;
    if touched.rows_affected == 0 {
        drop(txn);
        return Err(Error::AttemptSubmitted(
            "this attempt has been submitted; answers can no longer change".into(),
        ));
    }
    attempt_question::Entity::update_many()
        .col_expr(
            attempt_question::Column::Answer,
            Expr::value(to_json(&chosen)?),
        )
        .col_expr(attempt_question::Column::AnsweredAt, Expr::value(now))
        .filter(attempt_question::Column::AttemptId.eq(attempt_id))
        .filter(attempt_question::Column::QuestionId.eq(question_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Refuses a submitted attempt, and scores and refuses one past its deadline.
async fn check_open(
    db: &DatabaseConnection,
    issuer: &Issuer,
    attempt: attempt::Model,
) -> Result<()> {
    if attempt.submitted_at.is_some() {
        return Err(Error::AttemptSubmitted(
            "this attempt has been submitted; answers can no longer change".into(),
        ));
    }
    let attempt = settle(db, issuer, attempt).await?;
    if attempt.closed_by == Some(ClosedBy::Deadline) {
        return Err(Error::DeadlinePassed(
            "the time for this attempt is up; it was scored with the answers saved in time".into(),
        ));
    }
    if attempt.submitted_at.is_some() {
        return Err(Error::AttemptSubmitted(
            "this attempt has been submitted; answers can no longer change".into(),
        ));
    }
    Ok(())
}

/// Submits the actor's attempt and returns it scored. Scoring happens once: a second submit, at
/// the same moment or later, returns the same result. An attempt past its deadline is scored
/// with the answers saved in time.
pub async fn submit_attempt(
    db: &DatabaseConnection,
    issuer: &Issuer,
    actor: &Actor,
    attempt_id: Uuid,
) -> Result<AttemptDetail> {
    let attempt = find_own(db, actor, attempt_id).await?;
    if attempt.submitted_at.is_none() {
        let now = Utc::now();
        let closed_by = if expired(&attempt, now) {
            ClosedBy::Deadline
        } else {
            ClosedBy::Learner
        };
        score(db, issuer, &attempt, closed_by, now).await?;
    }
    find_attempt(db, issuer, actor, attempt_id).await
}

/// The actor's own attempt (scored first if its deadline has passed); anyone else's is
/// `NotFound`.
pub async fn find_attempt(
    db: &DatabaseConnection,
    issuer: &Issuer,
    actor: &Actor,
    attempt_id: Uuid,
) -> Result<AttemptDetail> {
    let attempt = settle(db, issuer, find_own(db, actor, attempt_id).await?).await?;
    let access = load_assessment(db, attempt.assessment_id).await?;
    detail(db, attempt, access).await
}

/// The actor's attempts at an assessment they may see, oldest first (an open one past its
/// deadline is scored first).
pub async fn my_attempts(
    db: &DatabaseConnection,
    issuer: &Issuer,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<Vec<attempt::Model>> {
    let attempts = attempt::Entity::find()
        .filter(attempt::Column::AssessmentId.eq(assessment_id))
        .filter(attempt::Column::UserId.eq(actor.id()))
        .order_by_asc(attempt::Column::AttemptNumber)
        .all(db)
        .await?;
    let mut settled = Vec::with_capacity(attempts.len());
    for attempt in attempts {
        settled.push(settle(db, issuer, attempt).await?);
    }
    Ok(settled)
}

/// Scores an open attempt, exactly once, with the pass mark and mastery threshold recorded on
/// it when it started.
///
/// The transaction opens with `UPDATE attempts SET submitted_at = .. WHERE id = .. AND
/// submitted_at IS NULL`. Of two concurrent calls, one updates the row and scores; the other
/// waits for its lock (PostgreSQL's row lock, SQLite's write lock), then updates nothing and
/// leaves, writing nothing. Scores and the audit event are written in the same transaction, and
/// so is what the attempt achieved, through `learning::record_achievement`: demonstrated levels
/// (as verified competence results), course progress for a passed assessment lesson, and the
/// certificates that earns.
async fn score(
    db: &DatabaseConnection,
    issuer: &Issuer,
    attempt: &attempt::Model,
    closed_by: ClosedBy,
    now: DateTime<Utc>,
) -> Result<()> {
    let submitted_at = match closed_by {
        ClosedBy::Learner => now,
        ClosedBy::Deadline => attempt.deadline_at.unwrap_or(now).min(now),
    };
    let txn = crate::db::begin(db).await?;
    let claimed = attempt::Entity::update_many()
        .col_expr(attempt::Column::SubmittedAt, Expr::value(submitted_at))
        .col_expr(attempt::Column::ClosedBy, Expr::value(closed_by.to_value()))
        .col_expr(attempt::Column::UpdatedAt, Expr::value(now))
        .filter(attempt::Column::Id.eq(attempt.id))
        .filter(attempt::Column::SubmittedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        // Someone else scored it first; their result stands.
        drop(txn);
        return Ok(());
    }
    let mut items = load_items(&txn, attempt.id).await?;
    let (mut total, mut max) = (0, 0);
    for item in &mut items {
        let correct = scoring::is_correct(&item.chosen(), &item.correct_options());
        let awarded = if correct { item.version.points } else { 0 };
        total += awarded;
        max += item.version.points;
        attempt_question::Entity::update_many()
            .col_expr(
                attempt_question::Column::AwardedPoints,
                Expr::value(awarded),
            )
            .col_expr(attempt_question::Column::Correct, Expr::value(correct))
            .filter(attempt_question::Column::AttemptId.eq(attempt.id))
            .filter(attempt_question::Column::QuestionId.eq(item.row.question_id))
            .exec(&txn)
            .await?;
        item.row.awarded_points = Some(awarded);
        item.row.correct = Some(correct);
    }
    let passed = scoring::reaches(total, max, attempt.pass_mark_percent);
    let percent = scoring::percent(total, max);
    attempt::ActiveModel {
        id: Set(attempt.id),
        score: Set(Some(total)),
        max_score: Set(Some(max)),
        percent: Set(Some(percent)),
        passed: Set(Some(passed)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let levels: Vec<DemonstratedLevel> =
        scoring::demonstrated_levels(&scored_items(&items), attempt.mastery_threshold_percent)
            .into_iter()
            .filter(|level| level.level > 0)
            .collect();
    let results: Vec<(Uuid, i32)> = levels.iter().map(|l| (l.competence_id, l.level)).collect();
    audit::record(
        &txn,
        Some(attempt.user_id),
        "attempt.scored",
        Target::Attempt(attempt.id),
        json!({
            "assessmentId": attempt.assessment_id,
            "closedBy": closed_by.to_value(),
            "score": total,
            "maxScore": max,
            "passed": passed,
            "levels": levels.iter().map(|l| json!({ "competenceId": l.competence_id, "level": l.level })).collect::<Vec<_>>(),
        }),
    )
    .await?;
    // What the attempt achieved (results, assessment lessons done, courses completed, and the
    // certificates that earns) counts through learning's one path, in this same transaction.
    learning::record_achievement(
        &txn,
        issuer,
        attempt.user_id,
        Achievement::AttemptScored {
            attempt,
            levels: &results,
            passed,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

//! Writing questions (with versions) and assessments, and the trainer's statistics.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Func, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{AssessmentAccess, QuestionAccess, can_use_unit, load_question, owning_unit};
use crate::{
    DbResultExt, Error, Result,
    audit::{self, Target},
    auth::Actor,
    competences,
    entities::{
        assessment::{self, AssessmentVisibility, Selection},
        assessment_draw_rule, assessment_item, attempt, attempt_question, org_unit, question,
        question_option,
        question_version::{self, QuestionKind},
    },
    org,
    types::Name,
};

/// Longest prompt or explanation, in characters.
pub const MAX_PROMPT_CHARS: usize = 10_000;
/// Longest option text, in characters.
pub const MAX_OPTION_CHARS: usize = 500;
/// Most options of a choice question.
pub const MAX_OPTIONS: usize = 20;
/// Most points one question may carry.
pub const MAX_POINTS: i32 = 100;
/// Most questions of an assessment (fixed list, or drawn in total).
pub const MAX_QUESTIONS: usize = 200;
/// Longest time limit: a day, in seconds.
pub const MAX_TIME_LIMIT_SECONDS: i32 = 86_400;
/// Most attempts an assessment may allow.
pub const MAX_ATTEMPTS: i32 = 100;
/// Mastery threshold when none is given, in percent.
pub const DEFAULT_MASTERY_THRESHOLD: i32 = 70;
/// The option texts of a true/false question, in order.
pub const TRUE_FALSE_OPTIONS: [&str; 2] = ["True", "False"];

/// What a question asks, for a new question or a new version of one.
#[derive(Debug, Clone)]
pub struct QuestionInput {
    pub competence_id: Uuid,
    pub level: i32,
    pub kind: QuestionKind,
    /// Markdown.
    pub prompt: String,
    /// Option texts with whether each is correct (choice questions).
    pub options: Vec<(String, bool)>,
    /// The correct answer of a true/false question.
    pub true_false_answer: Option<bool>,
    /// Markdown, shown after submission.
    pub explanation: Option<String>,
    pub points: i32,
}

/// A question's current version with its options, in order.
#[derive(Clone, Debug)]
pub struct QuestionDetail {
    pub question: question::Model,
    pub version: question_version::Model,
    pub options: Vec<question_option::Model>,
}

fn check_text(field: &'static str, raw: &str, max: usize) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, format!("{field} must not be empty")));
    }
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A checked question: prompt, explanation and the options to write.
struct CheckedQuestion {
    prompt: String,
    explanation: Option<String>,
    options: Vec<(String, bool)>,
}

async fn check_question(
    db: &impl ConnectionTrait,
    input: &QuestionInput,
) -> Result<CheckedQuestion> {
    competences::check_levels(db, "competenceId", &[(input.competence_id, input.level)]).await?;
    let prompt = check_text("prompt", &input.prompt, MAX_PROMPT_CHARS)?;
    let explanation = match input.explanation.as_deref() {
        None => None,
        Some(raw) if raw.trim().is_empty() => None,
        Some(raw) => Some(check_text("explanation", raw, MAX_PROMPT_CHARS)?),
    };
    if !(1..=MAX_POINTS).contains(&input.points) {
        return Err(Error::invalid(
            "points",
            format!("points must be 1 to {MAX_POINTS}"),
        ));
    }
    let options = match input.kind {
        QuestionKind::TrueFalse => {
            if !input.options.is_empty() {
                return Err(Error::invalid(
                    "options",
                    "a true/false question has no options of its own; give trueFalseAnswer",
                ));
            }
            let answer = input.true_false_answer.ok_or_else(|| {
                Error::invalid(
                    "trueFalseAnswer",
                    "a true/false question needs trueFalseAnswer",
                )
            })?;
            vec![
                (TRUE_FALSE_OPTIONS[0].to_owned(), answer),
                (TRUE_FALSE_OPTIONS[1].to_owned(), !answer),
            ]
        }
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            if input.true_false_answer.is_some() {
                return Err(Error::invalid(
                    "trueFalseAnswer",
                    "only a true/false question takes trueFalseAnswer",
                ));
            }
            if !(2..=MAX_OPTIONS).contains(&input.options.len()) {
                return Err(Error::invalid(
                    "options",
                    format!("a choice question needs 2 to {MAX_OPTIONS} options"),
                ));
            }
            let mut seen = HashSet::new();
            let mut options = Vec::with_capacity(input.options.len());
            for (text, correct) in &input.options {
                let text = check_text("options", text, MAX_OPTION_CHARS)?;
                if !seen.insert(text.to_lowercase()) {
                    return Err(Error::invalid(
                        "options",
                        format!("option \"{text}\" is listed twice"),
                    ));
                }
                options.push((text, *correct));
            }
            let correct = options.iter().filter(|(_, correct)| *correct).count();
            match (input.kind, correct) {
                (QuestionKind::SingleChoice, 1) => {}
                (QuestionKind::SingleChoice, _) => {
                    return Err(Error::invalid(
                        "options",
                        "a single-choice question needs exactly one correct option",
                    ));
                }
                (_, 0) => {
                    return Err(Error::invalid(
                        "options",
                        "a multiple-choice question needs at least one correct option",
                    ));
                }
                _ => {}
            }
            options
        }
    };
    Ok(CheckedQuestion {
        prompt,
        explanation,
        options,
    })
}

async fn insert_version(
    db: &impl ConnectionTrait,
    actor: &Actor,
    question_id: Uuid,
    version: i32,
    input: &QuestionInput,
    checked: CheckedQuestion,
) -> Result<(question_version::Model, Vec<question_option::Model>)> {
    let now = Utc::now();
    let version = question_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        question_id: Set(question_id),
        version: Set(version),
        competence_id: Set(input.competence_id),
        level: Set(input.level),
        kind: Set(input.kind),
        prompt: Set(checked.prompt),
        explanation: Set(checked.explanation),
        points: Set(input.points),
        created_by: Set(actor.id()),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .on_unique_violation(
        "questionId",
        "someone edited the question meanwhile; try again",
    )?;
    let mut options = Vec::with_capacity(checked.options.len());
    for (position, (text, is_correct)) in (1..).zip(checked.options) {
        options.push(
            question_option::ActiveModel {
                id: Set(Uuid::now_v7()),
                question_version_id: Set(version.id),
                position: Set(position),
                text: Set(text),
                is_correct: Set(is_correct),
            }
            .insert(db)
            .await?,
        );
    }
    Ok((version, options))
}

/// Writes a question into the bank of a unit the actor trains or administers.
pub async fn create_question(
    db: &DatabaseConnection,
    actor: &Actor,
    org_unit_id: Uuid,
    input: QuestionInput,
) -> Result<QuestionDetail> {
    let unit = owning_unit(db, actor, org_unit_id, "questions").await?;
    let checked = check_question(db, &input).await?;
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let question = question::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(actor.id()),
        org_unit_id: Set(unit.id),
        competence_id: Set(input.competence_id),
        level: Set(input.level),
        current_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let (version, options) = insert_version(&txn, actor, question.id, 1, &input, checked).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "question.created",
        Target::Question(question.id),
        json!({ "version": 1 }),
    )
    .await?;
    txn.commit().await?;
    Ok(QuestionDetail {
        question,
        version,
        options,
    })
}

/// Edits a question by writing a new version of it (owner or administrator). Attempts already
/// started keep the version they were given, with its scoring; new attempts get this one.
pub async fn revise_question(
    db: &DatabaseConnection,
    actor: &Actor,
    question_id: Uuid,
    input: QuestionInput,
) -> Result<QuestionDetail> {
    let access = load_question(db, question_id).await?;
    if !access.can_use(actor) {
        return Err(Error::NotFound("question"));
    }
    if !access.can_edit(actor) {
        return Err(Error::forbidden(
            "only the question's owner and administrators of its unit can edit it",
        ));
    }
    let checked = check_question(db, &input).await?;
    let next = access.question.current_version + 1;
    let txn = crate::db::begin(db).await?;
    let (version, options) =
        insert_version(&txn, actor, question_id, next, &input, checked).await?;
    let question = question::ActiveModel {
        id: Set(question_id),
        competence_id: Set(input.competence_id),
        level: Set(input.level),
        current_version: Set(next),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "question.revised",
        Target::Question(question_id),
        json!({ "version": next }),
    )
    .await?;
    txn.commit().await?;
    Ok(QuestionDetail {
        question,
        version,
        options,
    })
}

/// A question the actor may use, with its current version; anything else is `NotFound`.
pub async fn find_question(
    db: &impl ConnectionTrait,
    actor: &Actor,
    question_id: Uuid,
) -> Result<QuestionAccess> {
    let access = load_question(db, question_id).await?;
    if access.can_use(actor) {
        Ok(access)
    } else {
        Err(Error::NotFound("question"))
    }
}

/// Questions the actor may use, newest first, optionally of one competence (and level).
pub async fn list_questions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    competence_id: Option<Uuid>,
    level: Option<i32>,
) -> Result<Vec<question::Model>> {
    if !actor.holds(crate::types::Role::Trainer) && !actor.holds(crate::types::Role::Admin) {
        return Err(Error::forbidden("this needs the TRAINER role"));
    }
    let mut query = question::Entity::find().order_by_desc(question::Column::Id);
    if let Some(competence_id) = competence_id {
        query = query.filter(question::Column::CompetenceId.eq(competence_id));
    }
    if let Some(level) = level {
        query = query.filter(question::Column::Level.eq(level));
    }
    if let Some(prefixes) = actor.authority_prefixes() {
        let mut any = Condition::any();
        for prefix in prefixes {
            any = any.add(org::in_subtree(&prefix));
        }
        query = query.filter(
            question::Column::OrgUnitId.in_subquery(
                Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(any)
                    .to_owned(),
            ),
        );
    }
    let questions = query.all(db).await?;
    let unit_ids: Vec<Uuid> = questions.iter().map(|q| q.org_unit_id).collect();
    let units: HashMap<Uuid, org_unit::Model> = org::find_many(db, &unit_ids)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit))
        .collect();
    Ok(questions
        .into_iter()
        .filter(|q| {
            units.get(&q.org_unit_id).is_some_and(|unit| {
                QuestionAccess {
                    question: q.clone(),
                    unit: unit.clone(),
                }
                .can_use(actor)
            })
        })
        .collect())
}

batch!(
    /// Questions by id (no access decided: for rows already reached through an allowed path).
    questions_by_ids, question, Id
);
batch!(
    /// Question versions by id.
    versions_by_ids, question_version, Id
);
batch!(
    /// Options of question versions, in order.
    options_of_versions, question_option, QuestionVersionId, Position
);
batch!(
    /// The questions of fixed assessments, in order.
    items_of, assessment_item, AssessmentId, Position
);
batch!(
    /// The draw rules of random assessments, in order.
    draw_rules_of, assessment_draw_rule, AssessmentId, Position
);
batch!(
    /// Assessments by id.
    assessments_by_ids, assessment, Id
);

/// The current versions of questions.
pub async fn current_versions(
    db: &impl ConnectionTrait,
    question_ids: &[Uuid],
) -> Result<Vec<question_version::Model>> {
    let questions = questions_by_ids(db, question_ids).await?;
    if questions.is_empty() {
        return Ok(Vec::new());
    }
    let mut any = Condition::any();
    for q in &questions {
        any = any.add(
            Condition::all()
                .add(question_version::Column::QuestionId.eq(q.id))
                .add(question_version::Column::Version.eq(q.current_version)),
        );
    }
    Ok(question_version::Entity::find().filter(any).all(db).await?)
}

/// A new assessment.
#[derive(Debug)]
pub struct NewAssessment {
    pub title: String,
    pub description: String,
    pub org_unit_id: Uuid,
    pub visibility: AssessmentVisibility,
    pub pass_mark_percent: i32,
    pub mastery_threshold_percent: i32,
    pub time_limit_seconds: Option<i32>,
    pub max_attempts: Option<i32>,
    /// A fixed list of questions, in order (or empty for a random draw).
    pub question_ids: Vec<Uuid>,
    /// Random draw rules: competence, level, how many questions (or empty for a fixed list).
    pub draw: Vec<(Uuid, i32, i32)>,
}

/// Whether a question at `question_path` is in the pool of an assessment at `assessment_path`:
/// what a trainer at the assessment's unit could use (its unit, the units above, the units
/// below).
fn in_pool(assessment_path: &str, question_path: &str) -> bool {
    assessment_path.starts_with(question_path) || question_path.starts_with(assessment_path)
}

/// The questions a random draw of `competence_id` at `level` picks from, for an assessment of
/// the unit at `unit_path`.
pub(crate) async fn draw_pool(
    db: &impl ConnectionTrait,
    unit_path: &str,
    competence_id: Uuid,
    level: i32,
) -> Result<Vec<question::Model>> {
    let candidates = question::Entity::find()
        .filter(question::Column::CompetenceId.eq(competence_id))
        .filter(question::Column::Level.eq(level))
        .filter(
            question::Column::OrgUnitId.in_subquery(
                Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(org::in_subtree(org::authority_prefix(unit_path)))
                    .to_owned(),
            ),
        )
        .order_by_asc(question::Column::Id)
        .all(db)
        .await?;
    let unit_ids: Vec<Uuid> = candidates.iter().map(|q| q.org_unit_id).collect();
    let units: HashMap<Uuid, String> = org::find_many(db, &unit_ids)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit.path))
        .collect();
    Ok(candidates
        .into_iter()
        .filter(|q| {
            units
                .get(&q.org_unit_id)
                .is_some_and(|path| in_pool(unit_path, path))
        })
        .collect())
}

fn check_range(
    field: &'static str,
    value: i32,
    range: std::ops::RangeInclusive<i32>,
) -> Result<()> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{field} must be {} to {}", range.start(), range.end()),
        ))
    }
}

/// Creates an assessment owned by a unit the actor trains or administers: either a fixed,
/// ordered list of questions the actor may use, or random draw rules whose pools hold enough
/// questions.
pub async fn create_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAssessment,
) -> Result<AssessmentAccess> {
    let unit = owning_unit(db, actor, input.org_unit_id, "assessments").await?;
    let title = Name::parse(&input.title, "title")?;
    let description = input.description.trim().to_owned();
    if description.chars().count() > MAX_PROMPT_CHARS {
        return Err(Error::invalid(
            "description",
            format!("description must be at most {MAX_PROMPT_CHARS} characters"),
        ));
    }
    check_range("passMarkPercent", input.pass_mark_percent, 0..=100)?;
    check_range(
        "masteryThresholdPercent",
        input.mastery_threshold_percent,
        1..=100,
    )?;
    if let Some(limit) = input.time_limit_seconds {
        check_range("timeLimitSeconds", limit, 1..=MAX_TIME_LIMIT_SECONDS)?;
    }
    if let Some(max) = input.max_attempts {
        check_range("maxAttempts", max, 1..=MAX_ATTEMPTS)?;
    }
    let selection = match (input.question_ids.is_empty(), input.draw.is_empty()) {
        (false, true) => Selection::Fixed,
        (true, false) => Selection::Random,
        (true, true) => {
            return Err(Error::invalid(
                "questionIds",
                "give either questionIds (a fixed list) or draw (a random draw)",
            ));
        }
        (false, false) => {
            return Err(Error::invalid(
                "draw",
                "give either questionIds (a fixed list) or draw (a random draw), not both",
            ));
        }
    };
    match selection {
        Selection::Fixed => {
            if input.question_ids.len() > MAX_QUESTIONS {
                return Err(Error::invalid(
                    "questionIds",
                    format!("an assessment has at most {MAX_QUESTIONS} questions"),
                ));
            }
            let unique: HashSet<&Uuid> = input.question_ids.iter().collect();
            if unique.len() != input.question_ids.len() {
                return Err(Error::invalid("questionIds", "a question is listed twice"));
            }
            let questions = questions_by_ids(db, &input.question_ids).await?;
            let unit_ids: Vec<Uuid> = questions.iter().map(|q| q.org_unit_id).collect();
            let units: HashMap<Uuid, String> = org::find_many(db, &unit_ids)
                .await?
                .into_iter()
                .map(|unit| (unit.id, unit.path))
                .collect();
            for id in &input.question_ids {
                let usable = questions.iter().find(|q| q.id == *id).is_some_and(|q| {
                    units.get(&q.org_unit_id).is_some_and(|path| {
                        super::can_edit_owned(actor, q.owner_id, path) || can_use_unit(actor, path)
                    })
                });
                if !usable {
                    return Err(Error::invalid(
                        "questionIds",
                        format!("question {id} does not exist"),
                    ));
                }
            }
        }
        Selection::Random => {
            let mut seen = HashSet::new();
            let mut total = 0;
            for (competence_id, level, count) in &input.draw {
                if !seen.insert((*competence_id, *level)) {
                    return Err(Error::invalid(
                        "draw",
                        "a competence and level is listed twice",
                    ));
                }
                competences::check_levels(db, "draw", &[(*competence_id, *level)]).await?;
                check_range("draw", *count, 1..=MAX_QUESTIONS as i32)?;
                total += *count;
                let available = draw_pool(db, &unit.path, *competence_id, *level)
                    .await?
                    .len();
                if available < *count as usize {
                    return Err(Error::invalid(
                        "draw",
                        format!(
                            "only {available} questions of competence {competence_id} at level \
                             {level} are available to draw {count} from"
                        ),
                    ));
                }
            }
            if total > MAX_QUESTIONS as i32 {
                return Err(Error::invalid(
                    "draw",
                    format!("an assessment has at most {MAX_QUESTIONS} questions"),
                ));
            }
        }
    }

    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let assessment = assessment::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title.into_inner()),
        description: Set(description),
        owner_id: Set(actor.id()),
        org_unit_id: Set(unit.id),
        visibility: Set(input.visibility),
        selection: Set(selection),
        pass_mark_percent: Set(input.pass_mark_percent),
        mastery_threshold_percent: Set(input.mastery_threshold_percent),
        time_limit_seconds: Set(input.time_limit_seconds),
        max_attempts: Set(input.max_attempts),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if !input.question_ids.is_empty() {
        assessment_item::Entity::insert_many((1..).zip(&input.question_ids).map(
            |(position, question_id)| assessment_item::ActiveModel {
                assessment_id: Set(assessment.id),
                position: Set(position),
                question_id: Set(*question_id),
            },
        ))
        .exec(&txn)
        .await?;
    }
    if !input.draw.is_empty() {
        assessment_draw_rule::Entity::insert_many((1..).zip(&input.draw).map(
            |(position, (competence_id, level, count))| assessment_draw_rule::ActiveModel {
                assessment_id: Set(assessment.id),
                position: Set(position),
                competence_id: Set(*competence_id),
                level: Set(*level),
                question_count: Set(*count),
            },
        ))
        .exec(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "assessment.created",
        Target::Assessment(assessment.id),
        json!({ "selection": match selection { Selection::Fixed => "fixed", Selection::Random => "random" } }),
    )
    .await?;
    txn.commit().await?;
    Ok(AssessmentAccess { assessment, unit })
}

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

/// The statistics of an assessment (already loaded and visible to the actor), for trainers who
/// may use it; anyone else is `Forbidden`.
pub async fn stats(
    db: &impl ConnectionTrait,
    actor: &Actor,
    access: &AssessmentAccess,
) -> Result<AssessmentStats> {
    if !access.can_use(actor) {
        return Err(Error::forbidden(
            "only trainers who may use this assessment see its statistics",
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

/// An assessment the actor may see: as a trainer who may use it, as a learner it is open to,
/// or through a course they are enrolled in. Anything else is `NotFound`.
pub async fn find_assessment(
    db: &impl ConnectionTrait,
    actor: &Actor,
    assessment_id: Uuid,
) -> Result<AssessmentAccess> {
    super::attempts::load_takeable_or_usable(db, actor, assessment_id).await
}

/// The assessments the actor may take on their own (open to their unit or the platform), and
/// for trainers also those they may use; newest first.
pub async fn list_assessments(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<AssessmentAccess>> {
    // The units above the actor (and their own), from their materialised path.
    let own_line: Vec<Uuid> = actor
        .org_path
        .split('/')
        .filter_map(|segment| Uuid::parse_str(segment).ok())
        .collect();
    let mut condition = Condition::any()
        .add(assessment::Column::Visibility.eq(AssessmentVisibility::Platform))
        .add(
            Condition::all()
                .add(assessment::Column::Visibility.eq(AssessmentVisibility::OrgUnit))
                .add(assessment::Column::OrgUnitId.is_in(own_line)),
        );
    let trainer =
        actor.holds(crate::types::Role::Trainer) || actor.holds(crate::types::Role::Admin);
    if trainer {
        let mut in_authorities = Condition::any();
        match actor.authority_prefixes() {
            None => in_authorities = in_authorities.add(Expr::value(true)),
            Some(prefixes) => {
                for prefix in prefixes {
                    in_authorities = in_authorities.add(org::in_subtree(&prefix));
                }
            }
        }
        condition = condition.add(
            assessment::Column::OrgUnitId.in_subquery(
                Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(in_authorities)
                    .to_owned(),
            ),
        );
    }
    let found = assessment::Entity::find()
        .filter(condition)
        .order_by_desc(assessment::Column::Id)
        .all(db)
        .await?;
    let unit_ids: Vec<Uuid> = found.iter().map(|a| a.org_unit_id).collect();
    let units: HashMap<Uuid, org_unit::Model> = org::find_many(db, &unit_ids)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit))
        .collect();
    Ok(found
        .into_iter()
        .filter_map(|assessment| {
            let unit = units.get(&assessment.org_unit_id)?.clone();
            let access = AssessmentAccess { assessment, unit };
            (access.open_to(actor) || access.can_use(actor)).then_some(access)
        })
        .collect())
}

//! The question bank: writing questions (every edit a new version), finding and listing the
//! ones a trainer may use, and the batch reads of questions, versions and options.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set, sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use super::{QuestionAccess, load_question, owning_unit};
use crate::{
    DbResultExt, Error, Result,
    audit::{self, Target},
    auth::Actor,
    competences,
    entities::{
        org_unit, question, question_option,
        question_version::{self, QuestionKind},
    },
    org,
};

/// Longest prompt or explanation, in characters.
pub const MAX_PROMPT_CHARS: usize = 10_000;
/// Longest option text, in characters.
pub const MAX_OPTION_CHARS: usize = 500;
/// Most options of a choice question.
pub const MAX_OPTIONS: usize = 20;
/// Most points one question may carry.
pub const MAX_POINTS: i32 = 100;
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

//! Assessments: question banks (`createQuestion`, `updateQuestion`), assessments
//! (`createAssessment`, `updateAssessment`, `archiveAssessment`, with statistics for trainers)
//! and attempts (`startAttempt`, `saveAnswer`, `submitAttempt`).
//!
//! Correctness and explanations appear only on `AttemptResult` (a scored attempt) and on
//! `Question` (trainers who may use the question); `Attempt` and `AttemptQuestion`, which a
//! learner sees while answering, have no field that could carry them.

mod assessment;
mod attempts;
mod questions;

pub use self::{assessment::*, attempts::*, questions::*};

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use govskills_domain::{
    assessments::{
        self, AssessmentAccess, AssessmentUpdate, AttemptDetail, AttemptItem, NewAssessment,
        QuestionInput, scoring::DemonstratedLevel,
    },
    entities::{
        assessment::{AssessmentVisibility as DbVisibility, Selection as DbSelection},
        assessment_draw_rule,
        attempt::{self, ClosedBy},
        question, question_option,
        question_version::QuestionKind as DbKind,
    },
    markdown,
};

use super::{
    context::{actor, issuer, loader, services},
    frameworks::Competence,
    list_cost,
    loaders::{
        CompetenceLoader, CurrentVersionLoader, CurrentVersionOf, DrawRuleLoader, DrawRulesOf,
        ItemLoader, ItemsOf, LoadRequired, OptionLoader, OptionsOf, OrgUnitLoader, QuestionLoader,
    },
    org_units::OrgUnit,
    parse_id,
};
use super::{id, missing};
use crate::error::{ApiResult, OptionalExt};
use uuid::Uuid;

/// The ids of a fixed list of questions, in order (`questionIds`).
fn parse_question_ids(ids: &[ID]) -> ApiResult<Vec<Uuid>> {
    ids.iter().map(|id| parse_id(id, "questionIds")).collect()
}

/// Draw rules as the domain takes them: (competence, level, count).
fn parse_draw(rules: &[DrawRuleInput]) -> ApiResult<Vec<(Uuid, i32, i32)>> {
    rules
        .iter()
        .map(|rule| {
            Ok((
                parse_id(&rule.competence_id, "draw")?,
                rule.level,
                rule.count,
            ))
        })
        .collect()
}

/// A nullable input field: left out (`None`), null (`Some(None)`) or a value.
fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

#[derive(Default)]
pub struct AssessmentQuery;

#[Object]
impl AssessmentQuery {
    /// A question you may use (trainers); null if it does not exist or is not yours to use.
    async fn question(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The question's id; an unknown one gives null, a malformed one `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
    ) -> ApiResult<Option<Question>> {
        let actor = actor(ctx)?;
        let question_id = parse_id(&id, "id")?;
        Ok(
            assessments::find_question(&services(ctx)?.db, actor, question_id)
                .await
                .optional()?
                .map(|access| Question(access.into_question())),
        )
    }

    /// The questions you may use (trainers), newest first, optionally of one competence and
    /// level.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only questions testing this competence; leave out for all.")]
        competence_id: Option<ID>,
        #[graphql(desc = "Only questions testing this level; leave out for all.")] level: Option<
            i32,
        >,
    ) -> ApiResult<Vec<Question>> {
        let actor = actor(ctx)?;
        let competence_id = competence_id
            .as_ref()
            .map(|id| parse_id(id, "competenceId"))
            .transpose()?;
        Ok(
            assessments::list_questions(&services(ctx)?.db, actor, competence_id, level)
                .await?
                .into_iter()
                .map(Question)
                .collect(),
        )
    }

    /// An assessment you may take, or use as a trainer; null otherwise.
    async fn assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The assessment's id; an unknown one gives null, a malformed one `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
    ) -> ApiResult<Option<Assessment>> {
        let actor = actor(ctx)?;
        let assessment_id = parse_id(&id, "id")?;
        Ok(
            assessments::find_assessment(&services(ctx)?.db, actor, assessment_id)
                .await
                .optional()?
                .map(Assessment),
        )
    }

    /// The assessments you may take on their own (placement tests, say), and if you are a
    /// trainer also those you may use; newest first. Assessments that are only course lessons
    /// appear in their course. Archived assessments are left out unless asked for.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = false,
            desc = "Also list archived assessments (see `Assessment.archivedAt`), which take \
                    no new attempts; default false."
        )]
        include_archived: bool,
    ) -> ApiResult<Vec<Assessment>> {
        let actor = actor(ctx)?;
        Ok(
            assessments::list_assessments(&services(ctx)?.db, actor, include_archived)
                .await?
                .into_iter()
                .map(Assessment)
                .collect(),
        )
    }

    /// One of your attempts (scored first if its time has run out); null if it does not exist
    /// or is not yours.
    async fn attempt(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The attempt's id; an unknown one gives null, a malformed one `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
    ) -> ApiResult<Option<Attempt>> {
        let actor = actor(ctx)?;
        let attempt_id = parse_id(&id, "id")?;
        Ok(
            assessments::find_attempt(&services(ctx)?.db, issuer(ctx).await?, actor, attempt_id)
                .await
                .optional()?
                .map(Attempt),
        )
    }
}

#[derive(Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// Writes a question into the bank of a unit you train or administer (TRAINER). Not safe to
    /// repeat: each call writes another question.
    async fn create_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new question and the unit whose bank holds it.")]
        input: CreateQuestionInput,
    ) -> ApiResult<Question> {
        let actor = actor(ctx)?;
        let org_unit_id = parse_id(&input.org_unit_id, "orgUnitId")?;
        let content = input.content.into_domain()?;
        Ok(Question(
            assessments::create_question(&services(ctx)?.db, actor, org_unit_id, content)
                .await?
                .question,
        ))
    }

    /// Edits a question (its owner, or an administrator of its unit) by writing a new version.
    /// Attempts already started keep the version they were given, and their scores. Safe to
    /// repeat: a repeat writes one more version with the same content.
    async fn update_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the question to edit.")] question_id: ID,
        #[graphql(desc = "The question's complete new content, which replaces the current one.")]
        input: QuestionContentInput,
    ) -> ApiResult<Question> {
        let actor = actor(ctx)?;
        let question_id = parse_id(&question_id, "questionId")?;
        let content = input.into_domain()?;
        Ok(Question(
            assessments::revise_question(&services(ctx)?.db, actor, question_id, content)
                .await?
                .question,
        ))
    }

    /// Creates an assessment owned by a unit you train or administer (TRAINER): a fixed list
    /// of questions or a random draw per competence and level. Use it as a course lesson with
    /// `addLesson(input: { kind: ASSESSMENT, assessmentId })`. Not safe to repeat: each call
    /// creates another assessment.
    async fn create_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new assessment.")] input: CreateAssessmentInput,
    ) -> ApiResult<Assessment> {
        let actor = actor(ctx)?;
        let new = NewAssessment {
            title: input.title,
            description: input.description,
            org_unit_id: parse_id(&input.org_unit_id, "orgUnitId")?,
            visibility: input.visibility.into(),
            pass_mark_percent: input.pass_mark_percent,
            mastery_threshold_percent: input.mastery_threshold_percent,
            time_limit_seconds: input.time_limit_seconds,
            max_attempts: input.max_attempts,
            question_ids: parse_question_ids(&input.question_ids)?,
            draw: parse_draw(&input.draw)?,
        };
        Ok(Assessment(
            assessments::create_assessment(&services(ctx)?.db, actor, new).await?,
        ))
    }

    /// Edits an assessment (its owner while a trainer, or an administrator of its unit):
    /// fields left out stay as they are, the others are checked as `createAssessment` checks
    /// them, and `version` goes up by one. Attempts already started keep what they were given:
    /// their questions, and the pass mark and mastery threshold they are scored with (see
    /// `Attempt.assessmentVersion`); attempts started from now on get the new version. An
    /// input without any field leaves everything, the version too, as it is. `FORBIDDEN` for
    /// anyone else who may use the assessment; `CONFLICT` for an archived one, and for one
    /// edited or archived by someone else meanwhile. Audited. Safe to repeat: a repeat gives one
    /// more version with the same values.
    async fn update_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The assessment's id; one you may not use gives `NOT_FOUND`, a malformed one \
                    `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
        #[graphql(desc = "What to change; fields left out stay as they are.")]
        input: UpdateAssessmentInput,
    ) -> ApiResult<Assessment> {
        let actor = actor(ctx)?;
        let assessment_id = parse_id(&id, "id")?;
        let update = AssessmentUpdate {
            title: input.title,
            description: input.description,
            pass_mark_percent: input.pass_mark_percent,
            mastery_threshold_percent: input.mastery_threshold_percent,
            time_limit_seconds: maybe(input.time_limit_seconds),
            max_attempts: maybe(input.max_attempts),
            question_ids: input
                .question_ids
                .as_deref()
                .map(parse_question_ids)
                .transpose()?,
            draw: input.draw.as_deref().map(parse_draw).transpose()?,
        };
        Ok(Assessment(
            assessments::update_assessment(&services(ctx)?.db, actor, assessment_id, update)
                .await?,
        ))
    }

    /// Archives an assessment (whoever may edit it): it takes no new attempts (`startAttempt`
    /// gives `CONFLICT`) and leaves the `assessments` list unless `includeArchived` is asked
    /// for. Attempts already open can still be answered and submitted; results, and the
    /// certificates they earned, stay. Archiving an archived assessment changes nothing and
    /// returns it as it is: safe to repeat. Audited.
    async fn archive_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The assessment's id; one you may not use gives `NOT_FOUND`, a malformed one \
                    `BAD_USER_INPUT` on `id`."
        )]
        id: ID,
    ) -> ApiResult<Assessment> {
        let actor = actor(ctx)?;
        let assessment_id = parse_id(&id, "id")?;
        Ok(Assessment(
            assessments::archive_assessment(&services(ctx)?.db, actor, assessment_id).await?,
        ))
    }

    /// Starts an attempt at an assessment you may take, or returns your open one. Its
    /// questions, their order and their options' order are fixed for the attempt, and so are
    /// the pass mark and mastery threshold it is scored with (the assessment's current
    /// version). `CONFLICT` once you have used the maximum attempts, and for an archived
    /// assessment (your open attempt at one is still returned, to be finished). Safe to repeat:
    /// your open attempt is returned.
    async fn start_attempt(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the assessment to take.")] assessment_id: ID,
    ) -> ApiResult<Attempt> {
        let actor = actor(ctx)?;
        let assessment_id = parse_id(&assessment_id, "assessmentId")?;
        Ok(Attempt(
            assessments::start_attempt(
                &services(ctx)?.db,
                issuer(ctx).await?,
                actor,
                assessment_id,
            )
            .await?,
        ))
    }

    /// Saves your answer to one question of your open attempt, replacing an earlier one: the
    /// ids of the options you choose (one for single choice and true/false). `ATTEMPT_SUBMITTED`
    /// after submission, `DEADLINE_PASSED` after the time limit; someone else's attempt is
    /// `NOT_FOUND`. Safe to repeat.
    async fn save_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of your open attempt.")] attempt_id: ID,
        #[graphql(
            desc = "The id of the question answered; one not in the attempt gives \
                    `BAD_USER_INPUT`."
        )]
        question_id: ID,
        #[graphql(
            desc = "The ids of the options chosen: at least one, each once, exactly one for \
                    single choice and true/false; anything else gives `BAD_USER_INPUT`."
        )]
        answer: Vec<String>,
    ) -> ApiResult<bool> {
        let actor = actor(ctx)?;
        let attempt_id = parse_id(&attempt_id, "attemptId")?;
        let question_id = parse_id(&question_id, "questionId")?;
        assessments::save_answer(
            &services(ctx)?.db,
            issuer(ctx).await?,
            actor,
            attempt_id,
            question_id,
            &answer,
        )
        .await?;
        Ok(true)
    }

    /// Submits your attempt and returns its result. Scored once on the server: submitting
    /// again (or twice at once) returns the same result: safe to repeat.
    async fn submit_attempt(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of your attempt; someone else's is `NOT_FOUND`.")] attempt_id: ID,
    ) -> ApiResult<AttemptResult> {
        let actor = actor(ctx)?;
        let attempt_id = parse_id(&attempt_id, "attemptId")?;
        Ok(AttemptResult(
            assessments::submit_attempt(&services(ctx)?.db, issuer(ctx).await?, actor, attempt_id)
                .await?,
        ))
    }
}

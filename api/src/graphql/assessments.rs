//! Assessments: question banks (`createQuestion`, `updateQuestion`), assessments
//! (`createAssessment`, with statistics for trainers) and attempts (`startAttempt`,
//! `saveAnswer`, `submitAttempt`).
//!
//! Correctness and explanations appear only on `AttemptResult` (a scored attempt) and on
//! `Question` (trainers who may use the question); `Attempt` and `AttemptQuestion`, which a
//! learner sees while answering, have no field that could carry them.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use govskills_domain::{
    assessments::{
        self, AssessmentAccess, AttemptDetail, AttemptItem, NewAssessment, QuestionInput,
        scoring::DemonstratedLevel,
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

/// How a question is answered.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionKind {
    /// Exactly one option is correct; one is chosen.
    SingleChoice,
    /// One or more options are correct; the answer must choose all of them and nothing else.
    MultipleChoice,
    /// The options "True" and "False"; one is chosen.
    TrueFalse,
}

/// Who may take an assessment on its own (as a course lesson, everyone enrolled may).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssessmentVisibility {
    /// Staff of the owning unit and its sub-units.
    OrgUnit,
    /// Everyone on the platform.
    Platform,
    /// Only as a lesson of a course the learner is enrolled in.
    LessonsOnly,
}

/// How an attempt's questions are chosen.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionSelection {
    /// The assessment's questions, in their order.
    Fixed,
    /// A random draw per competence and level.
    Random,
}

/// Where an attempt is in its life.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptStatus {
    /// Answers can be saved.
    Open,
    /// Submitted and scored.
    Submitted,
    /// Its time ran out; scored with the answers saved in time.
    Expired,
}

mirror!(
    QuestionKind,
    DbKind,
    [SingleChoice, MultipleChoice, TrueFalse]
);
mirror!(
    AssessmentVisibility,
    DbVisibility,
    [OrgUnit, Platform, LessonsOnly]
);
mirror!(QuestionSelection, DbSelection, [Fixed, Random]);

fn status(attempt: &attempt::Model) -> AttemptStatus {
    match (attempt.submitted_at, attempt.closed_by) {
        (None, _) => AttemptStatus::Open,
        (Some(_), Some(ClosedBy::Deadline)) => AttemptStatus::Expired,
        (Some(_), _) => AttemptStatus::Submitted,
    }
}

/// A question of a bank, as trainers who may use it see it: its current version with the
/// correct answers.
pub struct Question(pub question::Model);

/// A question of a bank, as trainers who may use it see it: its current version with the
/// correct answers.
#[Object]
impl Question {
    /// The question's id (stable across versions).
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The current version: 1, then one more with each edit.
    async fn version(&self) -> i32 {
        self.0.current_version
    }

    /// The competence the question tests.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.0.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// The proficiency level the question tests.
    async fn level(&self) -> i32 {
        self.0.level
    }

    /// Single choice, multiple choice or true/false.
    async fn kind(&self, ctx: &Context<'_>) -> ApiResult<QuestionKind> {
        Ok(self.current(ctx).await?.kind.into())
    }

    /// The prompt's Markdown as the author wrote it (for editing; never render it yourself).
    async fn prompt(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(self.current(ctx).await?.prompt)
    }

    /// The prompt rendered to sanitised HTML.
    async fn prompt_html(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(markdown::render(&self.current(ctx).await?.prompt))
    }

    /// Shown to learners after submission (Markdown as written).
    async fn explanation(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(self.current(ctx).await?.explanation)
    }

    /// The points a correct answer earns.
    async fn points(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(self.current(ctx).await?.points)
    }

    /// The options, in the author's order, with which are correct.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn options(&self, ctx: &Context<'_>) -> ApiResult<Vec<QuestionOption>> {
        let version = self.current(ctx).await?;
        Ok(loader::<OptionLoader>(ctx)?
            .load_one(OptionsOf(version.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(QuestionOption)
            .collect())
    }

    /// The unit whose bank holds the question.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// When the current version was written.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

impl Question {
    async fn current(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<govskills_domain::entities::question_version::Model> {
        loader::<CurrentVersionLoader>(ctx)?
            .load_one(CurrentVersionOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .next()
            .ok_or_else(|| missing("current version of question", self.0.id))
    }
}

/// An option of a question, with whether it is correct (trainers only).
pub struct QuestionOption(question_option::Model);

/// An option of a question, with whether it is correct (trainers only).
#[Object]
impl QuestionOption {
    /// The option's id (of this version of the question).
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// What the option says.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Whether choosing it is (part of) the correct answer.
    async fn correct(&self) -> bool {
        self.0.is_correct
    }
}

/// An assessment: how its questions are chosen, its pass mark and limits.
pub struct Assessment(pub AssessmentAccess);

/// An assessment: how its questions are chosen, its pass mark and limits.
#[Object]
impl Assessment {
    /// The assessment's id.
    async fn id(&self) -> ID {
        id(self.0.assessment().id)
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.0.assessment().title
    }

    /// What it is for (plain text).
    async fn description(&self) -> &str {
        &self.0.assessment().description
    }

    /// Who may take it on its own.
    async fn visibility(&self) -> AssessmentVisibility {
        self.0.assessment().visibility.into()
    }

    /// A fixed list of questions or a random draw.
    async fn selection(&self) -> QuestionSelection {
        self.0.assessment().selection.into()
    }

    /// The percent of the maximum score that passes.
    async fn pass_mark_percent(&self) -> i32 {
        self.0.assessment().pass_mark_percent
    }

    /// The percent of a competence level's points that demonstrates that level.
    async fn mastery_threshold_percent(&self) -> i32 {
        self.0.assessment().mastery_threshold_percent
    }

    /// The time an attempt has, in seconds; null for no limit.
    async fn time_limit_seconds(&self) -> Option<i32> {
        self.0.assessment().time_limit_seconds
    }

    /// How many attempts a learner may make; null for no limit.
    async fn max_attempts(&self) -> Option<i32> {
        self.0.assessment().max_attempts
    }

    /// The unit that owns the assessment.
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.unit().clone())
    }

    /// The draw rules of a random assessment, in order (empty for a fixed one).
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn draw_rules(&self, ctx: &Context<'_>) -> ApiResult<Vec<DrawRule>> {
        Ok(loader::<DrawRuleLoader>(ctx)?
            .load_one(DrawRulesOf(self.0.assessment().id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(DrawRule)
            .collect())
    }

    /// The questions of a fixed assessment, in order, with their correct answers: for
    /// trainers who may use the assessment; `FORBIDDEN` for anyone else.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn questions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Question>> {
        assessments::require_answer_key(actor(ctx)?, &self.0)?;
        let items = loader::<ItemLoader>(ctx)?
            .load_one(ItemsOf(self.0.assessment().id))
            .await?
            .unwrap_or_default();
        let questions = loader::<QuestionLoader>(ctx)?
            .load_many(items.iter().map(|item| item.question_id))
            .await?;
        items
            .iter()
            .map(|item| {
                questions
                    .get(&item.question_id)
                    .cloned()
                    .map(Question)
                    .ok_or_else(|| missing("question", item.question_id))
            })
            .collect()
    }

    /// How its attempts went: for trainers who may use the assessment; `FORBIDDEN` for anyone
    /// else.
    async fn stats(&self, ctx: &Context<'_>) -> ApiResult<AssessmentStats> {
        Ok(AssessmentStats(
            assessments::stats(&services(ctx)?.db, actor(ctx)?, &self.0).await?,
        ))
    }

    /// Your own attempts at it, oldest first.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn my_attempts(&self, ctx: &Context<'_>) -> ApiResult<Vec<AttemptSummary>> {
        let actor = actor(ctx)?;
        Ok(assessments::my_attempts(
            &services(ctx)?.db,
            issuer(ctx).await?,
            actor,
            self.0.assessment().id,
        )
        .await?
        .into_iter()
        .map(AttemptSummary)
        .collect())
    }

    /// Whether you may edit it (owner or administrator).
    async fn can_edit(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.0.can_edit(actor(ctx)?))
    }
}

/// A rule of a random assessment: draw `count` questions of a competence at a level.
pub struct DrawRule(assessment_draw_rule::Model);

/// A rule of a random assessment: draw `count` questions of a competence at a level.
#[Object]
impl DrawRule {
    /// The competence drawn from.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.0.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// The level drawn from.
    async fn level(&self) -> i32 {
        self.0.level
    }

    /// How many questions each attempt gets.
    async fn count(&self) -> i32 {
        self.0.question_count
    }
}

/// How an assessment's scored attempts went.
pub struct AssessmentStats(assessments::AssessmentStats);

/// How an assessment's scored attempts went.
#[Object]
impl AssessmentStats {
    /// Scored attempts (submitted, or closed by their deadline).
    async fn attempts(&self) -> i64 {
        self.0.attempts
    }

    /// Scored attempts that passed.
    async fn passed(&self) -> i64 {
        self.0.passed
    }

    /// Passed of scored attempts, 0 to 100; null without attempts.
    async fn pass_rate_percent(&self) -> Option<f64> {
        (self.0.attempts > 0).then(|| self.0.passed as f64 * 100.0 / self.0.attempts as f64)
    }

    /// The mean percent score of scored attempts; null without attempts.
    async fn average_percent(&self) -> Option<f64> {
        self.0.average_percent
    }

    /// Per question, how often it was answered correctly (item difficulty), most often given
    /// first.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn questions(&self, ctx: &Context<'_>) -> ApiResult<Vec<QuestionStats>> {
        let questions = loader::<QuestionLoader>(ctx)?
            .load_many(self.0.questions.iter().map(|q| q.question_id))
            .await?;
        self.0
            .questions
            .iter()
            .map(|stats| {
                let question = questions
                    .get(&stats.question_id)
                    .cloned()
                    .ok_or_else(|| missing("question", stats.question_id))?;
                Ok(QuestionStats {
                    question: Question(question),
                    attempts: stats.attempts,
                    correct: stats.correct,
                    correct_percent: if stats.attempts == 0 {
                        0.0
                    } else {
                        stats.correct as f64 * 100.0 / stats.attempts as f64
                    },
                })
            })
            .collect()
    }
}

/// How often one question was answered correctly in an assessment's scored attempts.
#[derive(SimpleObject)]
pub struct QuestionStats {
    /// The question (its current version).
    question: Question,
    /// Scored attempts that contained it.
    attempts: i64,
    /// Of those, how many answered it correctly.
    correct: i64,
    /// `correct` of `attempts`, 0 to 100: low values point at hard or broken questions.
    correct_percent: f64,
}

/// One of your attempts, in brief.
pub struct AttemptSummary(attempt::Model);

/// One of your attempts, in brief.
#[Object]
impl AttemptSummary {
    /// The attempt's id (see `attempt(id:)`).
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// 1 for your first attempt at the assessment.
    async fn attempt_number(&self) -> i32 {
        self.0.attempt_number
    }

    /// Open, submitted or expired.
    async fn status(&self) -> AttemptStatus {
        status(&self.0)
    }

    /// When it started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }

    /// When its time runs out; null without a time limit.
    async fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.0.deadline_at
    }

    /// When it was submitted (or closed by its deadline).
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }

    /// Points scored; null while open.
    async fn score(&self) -> Option<i32> {
        self.0.score
    }

    /// Points available; null while open.
    async fn max_score(&self) -> Option<i32> {
        self.0.max_score
    }

    /// Score as a percent of the maximum; null while open.
    async fn percent(&self) -> Option<f64> {
        self.0.percent
    }

    /// Whether it reached the pass mark; null while open.
    async fn passed(&self) -> Option<bool> {
        self.0.passed
    }
}

/// An attempt at an assessment: its questions as you were given them, and your answers. It
/// never says which options are correct; its `result` does, once it is scored.
pub struct Attempt(pub AttemptDetail);

/// An attempt at an assessment: its questions as you were given them, and your answers. It
/// never says which options are correct; its `result` does, once it is scored.
#[Object]
impl Attempt {
    /// The attempt's id.
    async fn id(&self) -> ID {
        id(self.0.attempt.id)
    }

    /// The assessment.
    async fn assessment(&self) -> Assessment {
        Assessment(self.0.access.clone())
    }

    /// 1 for your first attempt at the assessment.
    async fn attempt_number(&self) -> i32 {
        self.0.attempt.attempt_number
    }

    /// Open, submitted or expired.
    async fn status(&self) -> AttemptStatus {
        status(&self.0.attempt)
    }

    /// When it started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.attempt.started_at
    }

    /// When its time runs out; null without a time limit. Answers saved later are refused.
    async fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.0.attempt.deadline_at
    }

    /// When it was submitted (or closed by its deadline).
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.attempt.submitted_at
    }

    /// The questions, in the order this attempt gives them.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn questions(&self) -> Vec<AttemptQuestion> {
        self.0.items.iter().cloned().map(AttemptQuestion).collect()
    }

    /// The result, once scored; null while open.
    async fn result(&self) -> Option<AttemptResult> {
        self.0.is_scored().then(|| AttemptResult(self.0.clone()))
    }
}

/// A question as an attempt gives it: the version you were given and its options in your
/// order, without which are correct.
pub struct AttemptQuestion(AttemptItem);

/// A question as an attempt gives it: the version you were given and its options in your
/// order, without which are correct.
#[Object]
impl AttemptQuestion {
    /// The question's id: pass it to `saveAnswer`.
    async fn id(&self) -> ID {
        id(self.0.row.question_id)
    }

    /// 1 for the first question.
    async fn position(&self) -> i32 {
        self.0.row.position
    }

    /// Single choice (choose one), multiple choice (choose all that apply) or true/false.
    async fn kind(&self) -> QuestionKind {
        self.0.version.kind.into()
    }

    /// The prompt rendered to sanitised HTML.
    async fn prompt_html(&self) -> String {
        markdown::render(&self.0.version.prompt)
    }

    /// The competence the question tests.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.0.version.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// The level the question tests.
    async fn level(&self) -> i32 {
        self.0.version.level
    }

    /// The points a correct answer earns.
    async fn points(&self) -> i32 {
        self.0.version.points
    }

    /// The options, in this attempt's order.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn options(&self) -> Vec<AnswerOption> {
        self.0
            .options
            .iter()
            .map(|option| AnswerOption {
                id: id(option.id),
                text: option.text.clone(),
            })
            .collect()
    }

    /// The option ids you chose (empty if not answered yet).
    async fn answer(&self) -> Vec<ID> {
        self.0.chosen().into_iter().map(id).collect()
    }

    /// When you last saved an answer.
    async fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.0.row.answered_at
    }
}

/// An option to choose, without whether it is correct.
#[derive(SimpleObject)]
pub struct AnswerOption {
    /// Pass it to `saveAnswer`.
    id: ID,
    /// What the option says.
    text: String,
}

/// A scored attempt: the score, which answers were right, the explanations, and the competence
/// levels it demonstrates.
pub struct AttemptResult(AttemptDetail);

/// A scored attempt: the score, which answers were right, the explanations, and the competence
/// levels it demonstrates.
#[Object]
impl AttemptResult {
    /// The attempt's id.
    async fn attempt_id(&self) -> ID {
        id(self.0.attempt.id)
    }

    /// Submitted by you, or expired (scored with the answers saved in time).
    async fn status(&self) -> AttemptStatus {
        status(&self.0.attempt)
    }

    /// When it was submitted (or closed by its deadline).
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.attempt.submitted_at
    }

    /// Points scored.
    async fn score(&self) -> i32 {
        self.0.attempt.score.unwrap_or(0)
    }

    /// Points available.
    async fn max_score(&self) -> i32 {
        self.0.attempt.max_score.unwrap_or(0)
    }

    /// Score as a percent of the maximum, 0 to 100.
    async fn percent(&self) -> f64 {
        self.0.attempt.percent.unwrap_or(0.0)
    }

    /// Whether the score reached the assessment's pass mark.
    async fn passed(&self) -> bool {
        self.0.attempt.passed.unwrap_or(false)
    }

    /// Each question: your answer, the correct one, points and the explanation.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn questions(&self) -> Vec<QuestionResult> {
        self.0.items.iter().cloned().map(QuestionResult).collect()
    }

    /// For each competence in the attempt, the highest level L such that you scored at least
    /// the assessment's mastery threshold on that competence's questions at every level up to
    /// L that the attempt contained (0: none). Levels above 0 are recorded as verified results
    /// in your competence profile.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn demonstrated_levels(&self) -> Vec<DemonstratedLevelResult> {
        self.0
            .demonstrated_levels()
            .into_iter()
            .map(DemonstratedLevelResult)
            .collect()
    }
}

/// A competence level an attempt demonstrates.
pub struct DemonstratedLevelResult(DemonstratedLevel);

/// A competence level an attempt demonstrates.
#[Object(name = "DemonstratedLevel")]
impl DemonstratedLevelResult {
    /// The competence.
    async fn competence(&self, ctx: &Context<'_>) -> ApiResult<Competence> {
        loader::<CompetenceLoader>(ctx)?
            .load_required(self.0.competence_id, "competence")
            .await
            .map(Competence)
    }

    /// The level demonstrated; 0 when none is.
    async fn level(&self) -> i32 {
        self.0.level
    }
}

/// One question of a scored attempt.
pub struct QuestionResult(AttemptItem);

/// One question of a scored attempt.
#[Object]
impl QuestionResult {
    /// The question's id.
    async fn question_id(&self) -> ID {
        id(self.0.row.question_id)
    }

    /// 1 for the first question.
    async fn position(&self) -> i32 {
        self.0.row.position
    }

    /// The prompt (the version you were given) rendered to sanitised HTML.
    async fn prompt_html(&self) -> String {
        markdown::render(&self.0.version.prompt)
    }

    /// Whether your answer was exactly the correct options.
    async fn correct(&self) -> bool {
        self.0.row.correct.unwrap_or(false)
    }

    /// Points awarded.
    async fn awarded_points(&self) -> i32 {
        self.0.row.awarded_points.unwrap_or(0)
    }

    /// Points available.
    async fn points(&self) -> i32 {
        self.0.version.points
    }

    /// The options you chose.
    async fn chosen_option_ids(&self) -> Vec<ID> {
        self.0.chosen().into_iter().map(id).collect()
    }

    /// The correct options.
    async fn correct_option_ids(&self) -> Vec<ID> {
        self.0.correct_options().into_iter().map(id).collect()
    }

    /// The options in your order, each with whether it is correct.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn options(&self) -> Vec<QuestionOption> {
        self.0.options.iter().cloned().map(QuestionOption).collect()
    }

    /// Why the answer is what it is, rendered to sanitised HTML; null without one.
    async fn explanation_html(&self) -> Option<String> {
        self.0.version.explanation.as_deref().map(markdown::render)
    }
}

/// An option of a choice question.
#[derive(InputObject)]
pub struct OptionInput {
    /// What the option says (plain text, up to 500 characters).
    pub text: String,
    /// Whether choosing it is (part of) the correct answer.
    pub correct: bool,
}

/// A new question for a unit's bank.
#[derive(InputObject)]
pub struct CreateQuestionInput {
    /// A unit you train or administer; its bank holds the question.
    pub org_unit_id: ID,
    /// What the question asks.
    #[graphql(flatten)]
    pub content: QuestionContentInput,
}

/// What a question asks: the fields of `createQuestion` and `updateQuestion`.
#[derive(InputObject)]
pub struct QuestionContentInput {
    /// The competence tested.
    pub competence_id: ID,
    /// The level tested, within the competence's framework.
    pub level: i32,
    /// Single choice, multiple choice or true/false.
    pub kind: QuestionKind,
    /// Markdown, up to 10 000 characters; rendered and sanitised on output.
    pub prompt: String,
    /// 2 to 20 options for choice questions (exactly one correct for single choice, at least
    /// one for multiple choice); none for true/false.
    #[graphql(default)]
    pub options: Vec<OptionInput>,
    /// The correct answer of a true/false question.
    pub true_false_answer: Option<bool>,
    /// Markdown shown to learners after submission.
    pub explanation: Option<String>,
    /// 1 to 100 points for a correct answer.
    #[graphql(default = 1)]
    pub points: i32,
}

impl QuestionContentInput {
    fn into_domain(self) -> ApiResult<QuestionInput> {
        Ok(QuestionInput {
            competence_id: parse_id(&self.competence_id, "competenceId")?,
            level: self.level,
            kind: self.kind.into(),
            prompt: self.prompt,
            options: self
                .options
                .into_iter()
                .map(|option| (option.text, option.correct))
                .collect(),
            true_false_answer: self.true_false_answer,
            explanation: self.explanation,
            points: self.points,
        })
    }
}

/// Draw `count` questions of a competence at a level.
#[derive(InputObject)]
pub struct DrawRuleInput {
    /// The competence.
    pub competence_id: ID,
    /// The level.
    pub level: i32,
    /// 1 or more; the bank must hold at least this many questions that you may use.
    pub count: i32,
}

/// A new assessment: either `questionIds` (a fixed, ordered list) or `draw` (a random draw).
#[derive(InputObject)]
pub struct CreateAssessmentInput {
    /// Its title.
    pub title: String,
    /// What it is for (plain text).
    #[graphql(default)]
    pub description: String,
    /// A unit you train or administer; it owns the assessment.
    pub org_unit_id: ID,
    /// Who may take it on its own; default `ORG_UNIT`.
    #[graphql(default_with = "AssessmentVisibility::OrgUnit")]
    pub visibility: AssessmentVisibility,
    /// 0 to 100: the percent of the maximum score that passes.
    pub pass_mark_percent: i32,
    /// 1 to 100, default 70: the percent of a competence level's points that demonstrates the
    /// level.
    #[graphql(default = 70)]
    pub mastery_threshold_percent: i32,
    /// 1 to 86 400 seconds per attempt; none for no limit.
    pub time_limit_seconds: Option<i32>,
    /// 1 to 100 attempts per learner; none for no limit.
    pub max_attempts: Option<i32>,
    /// Questions you may use, in order (a fixed assessment).
    #[graphql(default)]
    pub question_ids: Vec<ID>,
    /// Draw rules (a random assessment).
    #[graphql(default)]
    pub draw: Vec<DrawRuleInput>,
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
    /// appear in their course.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn assessments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Assessment>> {
        let actor = actor(ctx)?;
        Ok(assessments::list_assessments(&services(ctx)?.db, actor)
            .await?
            .into_iter()
            .map(Assessment)
            .collect())
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
    /// Writes a question into the bank of a unit you train or administer (TRAINER).
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
    /// Attempts already started keep the version they were given, and their scores.
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
    /// `addLesson(input: { kind: ASSESSMENT, assessmentId })`.
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
            question_ids: input
                .question_ids
                .iter()
                .map(|id| parse_id(id, "questionIds"))
                .collect::<ApiResult<_>>()?,
            draw: input
                .draw
                .iter()
                .map(|rule| {
                    Ok((
                        parse_id(&rule.competence_id, "draw")?,
                        rule.level,
                        rule.count,
                    ))
                })
                .collect::<ApiResult<_>>()?,
        };
        Ok(Assessment(
            assessments::create_assessment(&services(ctx)?.db, actor, new).await?,
        ))
    }

    /// Starts an attempt at an assessment you may take, or returns your open one. Its
    /// questions, their order and their options' order are fixed for the attempt. `CONFLICT`
    /// once you have used the maximum attempts.
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
    /// `NOT_FOUND`.
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
    /// again (or twice at once) returns the same result.
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

//! Attempts as the API shows them: what a learner sees while answering (no field can carry a
//! correct answer), and the result of a scored attempt (where correctness and explanations
//! appear).

use super::*;

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

/// One of your attempts, in brief.
pub struct AttemptSummary(pub(super) attempt::Model);

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

    /// The version of the assessment this attempt was given (see `Assessment.version`).
    async fn assessment_version(&self) -> i32 {
        self.0.assessment_version
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

    /// Whether it reached the pass mark it started under; null while open.
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

    /// The assessment, as it is now: it may have been edited since this attempt started (see
    /// `assessmentVersion`).
    async fn assessment(&self) -> Assessment {
        Assessment(self.0.access.clone())
    }

    /// The version of the assessment this attempt was given: its questions, pass mark and
    /// mastery threshold are that version's, whatever later edits changed.
    async fn assessment_version(&self) -> i32 {
        self.0.attempt.assessment_version
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
pub struct AttemptResult(pub(super) AttemptDetail);

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

    /// Whether the score reached the pass mark (`passMarkPercent`).
    async fn passed(&self) -> bool {
        self.0.attempt.passed.unwrap_or(false)
    }

    /// The pass mark this attempt was scored with: the assessment's when the attempt started.
    async fn pass_mark_percent(&self) -> i32 {
        self.0.attempt.pass_mark_percent
    }

    /// The mastery threshold this attempt was scored with: the assessment's when the attempt
    /// started.
    async fn mastery_threshold_percent(&self) -> i32 {
        self.0.attempt.mastery_threshold_percent
    }

    /// Each question: your answer, the correct one, points and the explanation.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn questions(&self) -> Vec<QuestionResult> {
        self.0.items.iter().cloned().map(QuestionResult).collect()
    }

    /// For each competence in the attempt, the highest level L such that you scored at least
    /// the mastery threshold (`masteryThresholdPercent`) on that competence's questions at
    /// every level up to L that the attempt contained (0: none). Levels above 0 are recorded
    /// as verified results in your competence profile.
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

//! Assessments as the API shows them: fixed or drawn questions, draw rules, the trainer's
//! statistics, and the inputs that create and edit one.

use super::*;

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

    /// 1, then one more with each edit (`updateAssessment`). Each attempt records the version
    /// it was given (`Attempt.assessmentVersion`).
    async fn version(&self) -> i32 {
        self.0.assessment().version
    }

    /// When it was archived (`archiveAssessment`): it takes no new attempts; null while it is
    /// in use.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.assessment().archived_at
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

    /// How its attempts went, from learners' scores: for those whose assessment or course it
    /// is (its owner, administrators of its unit, trainers who own or co-author a course with
    /// a lesson that uses it), whatever the authority's `hrPersonView`; `FORBIDDEN` for anyone
    /// else, trainers who only use it from a shared bank included.
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

    /// Whether you may edit and archive it (owner or administrator).
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

/// Changes to an assessment: fields left out stay as they are; each given one is checked as in
/// `CreateAssessmentInput`. Giving `questionIds` or `draw` replaces how questions are chosen
/// (the other counts as empty): a fixed list becomes a random draw by giving `draw` alone.
#[derive(InputObject)]
pub struct UpdateAssessmentInput {
    /// A new title: 1 to 200 characters after trimming, no control or invisible characters.
    pub title: Option<String>,
    /// A new description (plain text, up to 10,000 characters).
    pub description: Option<String>,
    /// 0 to 100: the percent of the maximum score that passes attempts started from now on.
    pub pass_mark_percent: Option<i32>,
    /// 1 to 100: the percent of a competence level's points that demonstrates the level, in
    /// attempts started from now on.
    pub mastery_threshold_percent: Option<i32>,
    /// 1 to 86 400 seconds for attempts started from now on; null for no limit; left out: as
    /// it is.
    pub time_limit_seconds: MaybeUndefined<i32>,
    /// 1 to 100 attempts per learner (attempts already made count); null for no limit; left
    /// out: as it is.
    pub max_attempts: MaybeUndefined<i32>,
    /// Questions you may use, in order: the assessment becomes (or stays) a fixed list of
    /// them.
    pub question_ids: Option<Vec<ID>>,
    /// Draw rules: the assessment becomes (or stays) a random draw by them.
    pub draw: Option<Vec<DrawRuleInput>>,
}

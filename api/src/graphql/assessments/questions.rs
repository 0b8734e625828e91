//! Question banks as the API shows them: questions (with their answers, for trainers who may
//! use them), their options, and the inputs that write them.

use super::*;

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
pub struct QuestionOption(pub(super) question_option::Model);

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
    pub(super) fn into_domain(self) -> ApiResult<QuestionInput> {
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

use sea_orm::entity::prelude::*;

/// How a question is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum QuestionKind {
    /// Exactly one option is correct; one may be chosen.
    #[sea_orm(string_value = "single_choice")]
    SingleChoice,
    /// One or more options are correct; all correct and no wrong ones must be chosen.
    #[sea_orm(string_value = "multiple_choice")]
    MultipleChoice,
    /// Two options, "True" and "False".
    #[sea_orm(string_value = "true_false")]
    TrueFalse,
}

/// One version of a question, never changed once written.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub question_id: Uuid,
    /// 1, 2, ... per question.
    pub version: i32,
    pub competence_id: Uuid,
    pub level: i32,
    pub kind: QuestionKind,
    /// Markdown as written; rendered and sanitised on output.
    pub prompt: String,
    /// Shown only after submission.
    pub explanation: Option<String>,
    pub points: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

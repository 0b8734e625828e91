use sea_orm::entity::prelude::*;

/// Who closed an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ClosedBy {
    /// The learner submitted it.
    #[sea_orm(string_value = "learner")]
    Learner,
    /// Its deadline passed; it was scored when next touched.
    #[sea_orm(string_value = "deadline")]
    Deadline,
}

/// A learner's attempt at an assessment. Open while `submitted_at` is NULL; scored exactly once,
/// by the conditional UPDATE that sets `submitted_at`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attempts")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub assessment_id: Uuid,
    pub user_id: Uuid,
    /// 1, 2, ... per learner and assessment.
    pub attempt_number: i32,
    pub started_at: DateTimeUtc,
    pub deadline_at: Option<DateTimeUtc>,
    pub submitted_at: Option<DateTimeUtc>,
    pub closed_by: Option<ClosedBy>,
    pub score: Option<i32>,
    pub max_score: Option<i32>,
    /// 0..=100.
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub updated_at: DateTimeUtc,
    /// The assessment's version when the attempt started.
    pub assessment_version: i32,
    /// The pass mark it is scored with: the assessment's when it started.
    pub pass_mark_percent: i32,
    /// The mastery threshold it is scored with: the assessment's when it started.
    pub mastery_threshold_percent: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

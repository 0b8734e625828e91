use sea_orm::entity::prelude::*;

/// Who may take an assessment on its own (anyone enrolled in a course that uses it as a lesson
/// may take it there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AssessmentVisibility {
    /// Staff of the owning unit's subtree.
    #[sea_orm(string_value = "org_unit")]
    OrgUnit,
    /// Everyone on the platform.
    #[sea_orm(string_value = "platform")]
    Platform,
    /// Only as a lesson of a course the learner is enrolled in.
    #[sea_orm(string_value = "lessons_only")]
    LessonsOnly,
}

/// How an attempt's questions are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Selection {
    /// The assessment's items, in their order.
    #[sea_orm(string_value = "fixed")]
    Fixed,
    /// A random draw per the assessment's draw rules.
    #[sea_orm(string_value = "random")]
    Random,
}

/// An assessment: how its questions are chosen, its pass mark and limits. An edit writes the
/// row in place and raises `version`; attempts keep what they were given (their questions in
/// `attempt_questions`, their thresholds in `attempts`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub owner_id: Uuid,
    pub org_unit_id: Uuid,
    pub visibility: AssessmentVisibility,
    pub selection: Selection,
    /// 0..=100: the percent of the maximum score that passes.
    pub pass_mark_percent: i32,
    /// 1..=100: the percent of a competence level's points that demonstrates that level.
    pub mastery_threshold_percent: i32,
    pub time_limit_seconds: Option<i32>,
    pub max_attempts: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// 1, then one more with each edit. An attempt records the version it started under.
    pub version: i32,
    /// Set once archived: it takes no new attempts; its attempts and results stay.
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

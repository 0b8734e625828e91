use sea_orm::entity::prelude::*;

/// A question as one attempt was given it: the exact version, its position, the option order,
/// the answer saved, and once scored the points awarded.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attempt_questions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub attempt_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: Uuid,
    pub position: i32,
    pub question_version_id: Uuid,
    /// JSON array of option ids, in the order this attempt shows them.
    pub option_order: String,
    /// JSON array of the chosen option ids; `None` until answered.
    pub answer: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub awarded_points: Option<i32>,
    pub correct: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

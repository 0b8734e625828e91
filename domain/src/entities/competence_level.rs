use sea_orm::entity::prelude::*;

/// A user's current level in one competence: the latest verified result, else the latest
/// self-assessment. Kept up to date by [`crate::learning::record_results`], the only writer of
/// results; the history stays in `competence_results`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "competence_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub competence_id: Uuid,
    pub level: i32,
    /// From an assessment or HR, not a self-assessment.
    pub verified: bool,
    pub result_id: Uuid,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

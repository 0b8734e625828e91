use sea_orm::entity::prelude::*;

/// Where a competence result comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ResultSource {
    /// The learner rated themselves; counts only where nothing verified exists.
    #[sea_orm(string_value = "self_assessed")]
    SelfAssessed,
    /// A passed assessment (verified).
    #[sea_orm(string_value = "assessment")]
    Assessment,
    /// Recorded by HR (verified).
    #[sea_orm(string_value = "manual")]
    Manual,
}

/// A level a user reached in a competence, at a time; the history is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "competence_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub competence_id: Uuid,
    pub level: i32,
    pub source: ResultSource,
    /// The attempt that verified it (assessment results only).
    pub attempt_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// Who deals with an AI system: the holders of a job role, or one named person, and how.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_system_uses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ai_system_id: Uuid,
    /// Exactly one of `job_role_id` and `user_id` is set.
    pub job_role_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// `operator`, `oversight` or `affected_staff`.
    pub kind: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A job such as "Caseworker", with the competence levels it requires.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The unit whose subtree the job role is for; `None`: every authority.
    pub org_unit_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    /// Whether staff in this job use AI systems (EU AI Act Art. 4 requires AI literacy).
    pub uses_ai_systems: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

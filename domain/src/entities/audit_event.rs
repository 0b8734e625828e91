use sea_orm::entity::prelude::*;

/// Who did what to whom, and when. Written in the same transaction as the change it records.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// NULL for actions taken by the system or an operator's command line.
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    /// The person the event is about (the target itself, or the holder of the enrolment,
    /// attempt or certificate); NULL when it is about no one person.
    pub subject_user_id: Option<Uuid>,
    /// The org unit the event belongs to (the subject's unit, or the unit of what it concerns);
    /// NULL for platform-wide things, which only platform administrators read.
    pub org_unit_id: Option<Uuid>,
    pub details: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

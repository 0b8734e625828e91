use sea_orm::entity::prelude::*;

/// A question of a trainer's bank: its stable identity. What it asks lives in its versions
/// ([`super::question_version`]); an edit adds a version, so attempts keep what they were given.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "questions")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub org_unit_id: Uuid,
    /// The current version's competence, for drawing questions.
    pub competence_id: Uuid,
    /// The current version's level, for drawing questions.
    pub level: i32,
    /// The number of the current version.
    pub current_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

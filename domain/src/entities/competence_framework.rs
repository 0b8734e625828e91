use sea_orm::entity::prelude::*;

/// A competence framework, versioned by code and version (e.g. `DIGCOMP` `2.2`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "competence_frameworks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub version: String,
    pub name: String,
    pub description: String,
    /// Levels run from 1 to this number.
    pub level_count: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

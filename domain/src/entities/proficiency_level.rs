use sea_orm::entity::prelude::*;

/// One proficiency level of a framework, with its name and band (DigComp: Foundation,
/// Intermediate, Advanced, Highly specialised).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proficiency_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub framework_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: i32,
    pub name: String,
    pub band: String,
    pub description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

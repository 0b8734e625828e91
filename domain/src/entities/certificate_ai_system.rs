use sea_orm::entity::prelude::*;

/// An AI system a certificate was earned for, as it was at issuance: its template is tied to
/// the system (a measure of the system names the template).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_ai_systems")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub certificate_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ai_system_id: Uuid,
    /// The system's name at issuance.
    pub name: String,
    /// The system's version at issuance.
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// The level of one competence that a job role requires.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_role_requirements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_role_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub competence_id: Uuid,
    pub level: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::competence::Entity",
        from = "Column::CompetenceId",
        to = "super::competence::Column::Id"
    )]
    Competence,
}

impl Related<super::competence::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Competence.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A competence (DigComp 2.2 has 21, "1.1" to "5.4"). Never deleted while anything refers to it;
/// archived instead.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "competences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub framework_id: Uuid,
    pub area_id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::competence_framework::Entity",
        from = "Column::FrameworkId",
        to = "super::competence_framework::Column::Id"
    )]
    Framework,
}

impl Related<super::competence_framework::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Framework.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

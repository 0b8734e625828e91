use sea_orm::entity::prelude::*;

use crate::types::Role;

/// A role held at an org unit (scoped to its subtree), or platform-wide when `org_unit_id` is NULL.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub org_unit_id: Option<Uuid>,
    pub granted_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::org_unit::Entity",
        from = "Column::OrgUnitId",
        to = "super::org_unit::Column::Id"
    )]
    OrgUnit,
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrgUnit.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

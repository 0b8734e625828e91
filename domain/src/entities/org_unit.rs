use sea_orm::entity::prelude::*;

/// A node of the organisation tree. Top-level units (no parent) are separate authorities.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// Materialised path `/<root>/.../<id>/`; see [`crate::org::subtree_prefix`].
    pub path: String,
    pub depth: i32,
    pub created_at: DateTimeUtc,
    /// The key an HR system or identity provider knows the unit by (SCIM `department`, an
    /// OpenID Connect claim); unique within the unit's authority.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
}

impl ActiveModelBehavior for ActiveModel {}

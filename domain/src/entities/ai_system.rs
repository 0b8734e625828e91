use sea_orm::entity::prelude::*;

/// An AI system in an authority's register.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_systems")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The authority (top-level unit) whose register it is in.
    pub org_unit_id: Uuid,
    pub name: String,
    pub purpose: String,
    pub provider: String,
    /// `deployer`, `provider` or `both`.
    pub authority_role: String,
    /// `high_risk`, `transparency` or `minimal` (`prohibited` is never stored).
    pub risk_class: String,
    /// The Annex III area (1 to 8) of a high-risk system.
    pub annex_iii_area: Option<i32>,
    /// The registration in the EU database (Art. 49(3)).
    pub eu_database_id: Option<String>,
    pub public_register_url: Option<String>,
    /// Where its instructions for use are.
    pub instructions_url: Option<String>,
    pub owner_unit_id: Option<Uuid>,
    pub contact_user_id: Option<Uuid>,
    /// `planned`, `in_use` or `retired`.
    pub status: String,
    /// 1, and one more per recorded change.
    pub version: i32,
    /// When the latest change that needs retraining was recorded: evidence older than this is
    /// stale.
    pub retraining_since: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

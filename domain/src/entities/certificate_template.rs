use sea_orm::entity::prelude::*;

/// What a certificate attests and how it is earned (e.g. *AI Certificate for Public Servants*).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// The issuing organisation's name as the credential shows it.
    pub issuer_name: String,
    /// How long a certificate stays valid; `None`: it does not expire.
    pub validity_months: Option<i32>,
    /// Counts for the AI-literacy report (EU AI Act Art. 4).
    pub attests_ai_literacy: bool,
    /// Whose staff can earn it (that unit's subtree); `None`: everyone.
    pub org_unit_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// Since when it issues nothing more; certificates issued before stay as they are.
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

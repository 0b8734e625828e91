use sea_orm::entity::prelude::*;

/// How an authority (a top-level unit) appears as the issuer of its certificates. A missing row
/// means the defaults: the unit's name, no address or contact, the default algorithm.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issuer_profiles")]
pub struct Model {
    /// The authority.
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_unit_id: Uuid,
    /// The name it issues under; NULL: its top-level unit's name.
    pub name: Option<String>,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    /// `EdDSA` or `RS256`; NULL: the platform's default.
    pub algorithm: Option<String>,
    /// Whether its AI register is published at `/issuers/{id}/ai-register.csv`.
    pub publishes_ai_register: bool,
    /// The authority's language (BCP 47): the default of its staff's notifications.
    pub language: Option<String>,
    /// How many status list entries were handed out (see `credentials::status`).
    pub next_status_index: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// An authority's OpenID Connect provider.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The authority (a top-level org unit) whose people sign in here.
    pub org_unit_id: Uuid,
    pub name: String,
    pub issuer_url: String,
    pub client_id: String,
    /// Sealed with the configured key (see `crate::identity::SecretKey`); never shown.
    pub client_secret: String,
    /// Space-separated, `openid` always among them.
    pub scopes: String,
    /// JSON array of lower-case domains the provider is authoritative for.
    pub email_domains: Json,
    /// Whether someone unknown is given an account at their first sign-in.
    pub create_accounts: bool,
    /// The claim naming the person's org unit (matched against `org_units.external_id`).
    pub org_unit_claim: Option<String>,
    /// The claim naming the person's job role (matched against a job role's name).
    pub job_role_claim: Option<String>,
    /// Whether the authority's accounts may still sign in with a password.
    pub password_sign_in: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

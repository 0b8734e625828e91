use sea_orm::entity::prelude::*;

/// An account's state. Disabled accounts cannot sign in and have no sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UserStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "disabled")]
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Normalised (trimmed, lower case): see [`crate::types::Email`].
    pub email: String,
    pub display_name: String,
    /// PHC string of an argon2id hash; empty for an account without a password (provisioned by
    /// SCIM or created at its first sign-in through an identity provider).
    pub password_hash: String,
    pub org_unit_id: Uuid,
    pub status: UserStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Display name and email folded for the people directory's search
    /// ([`crate::accounts::search_text`]); written with them.
    pub search_text: String,
    /// SCIM `externalId`: the HR system's key of the person (accounts provisioned by SCIM).
    pub external_id: Option<String>,
    /// SCIM `userName`, as the provisioning client sent it; unique regardless of case.
    pub user_name: Option<String>,
    /// When SCIM deleted the account: it is disabled and kept with its records, but SCIM no
    /// longer shows it (a new SCIM creation with its userName or email brings it back).
    pub deprovisioned_at: Option<DateTimeUtc>,
    /// A wallet identifier (a DID) the holder linked; new credentials are issued to it.
    pub wallet_did: Option<String>,
    /// The preferred language (BCP 47, e.g. `de` or `fr-BE`) of notifications; `None`: English.
    pub locale: Option<String>,
    /// When the person's identifying data was erased (GDPR Art. 17); the account is a pseudonym
    /// from then on.
    pub erased_at: Option<DateTimeUtc>,
    /// Since when the account is disabled (`None` while active); retention erases it a set
    /// number of months later.
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
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

use sea_orm::entity::prelude::*;

/// A certificate issued to a person, with its verification code and signed credential.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub template_id: Uuid,
    pub user_id: Uuid,
    /// The holder's name as the credential attests it, fixed at issuance: a later rename of
    /// the account does not change what the certificate says.
    pub holder_name: String,
    /// 1 for the first of this template and person, one more per renewal.
    pub sequence: i32,
    /// Canonical verification code (see `credentials::VerificationCode`).
    pub code: String,
    pub issued_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
    pub revoked_by: Option<Uuid>,
    /// The signed credential (VC-JWT) as issued.
    pub credential: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

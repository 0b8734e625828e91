use sea_orm::entity::prelude::*;

/// Why a certificate was revoked, which decides whether it may be re-issued without fresh
/// evidence (see `certificates::due`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RevocationKind {
    /// An administrator took it back (`revokeCertificate`): a renewal needs fresh evidence.
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
    /// The key that signed it was compromised (`revokeCertificatesSignedBy`): not the holder's
    /// fault, so it is re-issued under the current key without fresh evidence.
    #[sea_orm(string_value = "key_compromise")]
    KeyCompromise,
}

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
    /// Why it was revoked; NULL while it is not.
    pub revocation_kind: Option<RevocationKind>,
    /// The `kid` of the key that signed the credential (its JWS header says the same), so the
    /// certificates of a compromised key are found by an indexed lookup.
    pub signing_kid: String,
    /// The signed credential (VC-JWT) as issued.
    pub credential: String,
    /// The authority that issued it; with `status_list` and `status_index`, its entry in that
    /// authority's revocation status list. NULL for certificates from before status lists.
    pub issuer_unit_id: Option<Uuid>,
    pub status_list: Option<i32>,
    pub status_index: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A key the certificate issuer signs (or signed) credentials with. Every row is published in
/// the JWKS, retired ones too, so credentials they signed still verify.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issuer_keys")]
pub struct Model {
    /// RFC 7638 thumbprint of the public key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    /// The public key: JSON of its JWK key members, or (an Ed25519 key) its bare base64url `x`.
    pub public_key: String,
    /// `EdDSA` or `RS256`.
    pub algorithm: String,
    /// PKCS#8 PEM of a key generated in development; never set for a configured key.
    pub private_key: Option<String>,
    pub created_at: DateTimeUtc,
    /// When it stopped signing.
    pub retired_at: Option<DateTimeUtc>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

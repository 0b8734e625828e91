//! How an authority appears as the issuer of its certificates (`issuerProfile`,
//! `updateIssuerProfile`), and a holder's wallet identifier (`setWalletDid`).

use async_graphql::{Context, Enum, ID, InputObject, Object};
use govskills_domain::{accounts, credentials};

use super::{
    accounts::User,
    context::{actor, services},
    id, parse_id,
};
use crate::error::ApiResult;

/// A signature algorithm for an authority's credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum CredentialAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: the algorithm every Open Badges 3.0 verifier must
    /// support, so the widest choice.
    #[graphql(name = "RS256")]
    Rs256,
    /// Ed25519 signatures: smaller and faster, read by most but not all verifiers.
    #[graphql(name = "EDDSA")]
    EdDsa,
}

impl From<CredentialAlgorithm> for credentials::Algorithm {
    fn from(value: CredentialAlgorithm) -> Self {
        match value {
            CredentialAlgorithm::Rs256 => Self::Rs256,
            CredentialAlgorithm::EdDsa => Self::EdDsa,
        }
    }
}

impl From<credentials::Algorithm> for CredentialAlgorithm {
    fn from(value: credentials::Algorithm) -> Self {
        match value {
            credentials::Algorithm::Rs256 => Self::Rs256,
            credentials::Algorithm::EdDsa => Self::EdDsa,
        }
    }
}

pub struct IssuerProfile(credentials::IssuerProfile);

/// An authority as the issuer of its certificates: what every credential it issues says in
/// `issuer`, and what its profile URL publishes.
#[Object]
impl IssuerProfile {
    /// The authority's top-level org unit.
    async fn org_unit_id(&self) -> ID {
        id(self.0.authority_id)
    }

    /// The profile's URL: the credentials' `issuer.id`, where verifiers find the profile and,
    /// under it, the keys (`/jwks.json`) and revocation status lists (`/status/{n}`).
    async fn url_id(&self) -> &str {
        &self.0.id
    }

    /// The name the authority issues under.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The postal address on one line; null when none is set.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Street and number.
    async fn street_address(&self) -> Option<&str> {
        self.0.street_address.as_deref()
    }

    /// The postal code.
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }

    /// The town or city.
    async fn locality(&self) -> Option<&str> {
        self.0.locality.as_deref()
    }

    /// The country, as an ISO 3166-1 alpha-2 code.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    /// Where verifiers write with questions about the authority's certificates.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// The authority's website.
    async fn website(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// The algorithm the authority chose; null: the platform's default.
    async fn chosen_algorithm(&self) -> Option<CredentialAlgorithm> {
        self.0.chosen_algorithm.map(Into::into)
    }

    /// The algorithm its new credentials are signed with.
    async fn algorithm(&self) -> CredentialAlgorithm {
        self.0.algorithm.into()
    }

    /// Whether its AI register is published for everyone, as an algorithm register
    /// (`/issuers/{id}/ai-register.csv` and `.json`).
    async fn publishes_ai_register(&self) -> bool {
        self.0.publishes_ai_register
    }

    /// The authority's language (BCP 47, e.g. `de`): the language of its staff's notifications
    /// unless a person chose their own (`setLocale`); null: English.
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }
}

/// An authority's issuer profile, replaced as a whole.
#[derive(InputObject)]
pub struct IssuerProfileInput {
    /// The name to issue under (1 to 200 characters), usually the authority's official name.
    pub name: String,
    /// Street and number; null or empty clears it.
    pub street_address: Option<String>,
    /// The postal code.
    pub postal_code: Option<String>,
    /// The town or city.
    pub locality: Option<String>,
    /// The country as a two-letter ISO 3166-1 code, such as `DE`.
    pub country: Option<String>,
    /// A contact address for verifiers.
    pub email: Option<String>,
    /// The authority's website, an `https://` address.
    pub website: Option<String>,
    /// The signature algorithm of new credentials; null: the platform's default (`RS256` where
    /// the platform holds an RSA key). Credentials already issued keep theirs.
    pub algorithm: Option<CredentialAlgorithm>,
    /// Whether to publish the authority's AI register for everyone (false when left out).
    #[graphql(default)]
    pub publishes_ai_register: bool,
    /// The authority's language (a registered BCP 47 tag such as `de` or `fr-BE`), the default
    /// of its staff's notifications; null: English.
    pub language: Option<String>,
}

#[derive(Default)]
pub struct IssuerQuery;

#[Object]
impl IssuerQuery {
    /// How an authority appears as the issuer of its certificates (public, as every credential
    /// it issues shows it). `NOT_FOUND` for a unit that is not an authority's top-level unit.
    async fn issuer_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The authority's top-level org unit.")] org_unit_id: ID,
    ) -> ApiResult<IssuerProfile> {
        let services = services(ctx)?;
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let issuer = services.issuer.get(&services.db).await?;
        Ok(IssuerProfile(
            credentials::profile(&services.db, issuer, org_unit_id).await?,
        ))
    }
}

#[derive(Default)]
pub struct IssuerMutation;

#[Object]
impl IssuerMutation {
    /// Replaces how an authority appears as the issuer of its certificates (ADMIN covering
    /// the authority, or platform ADMIN); audited. New credentials carry the new profile;
    /// those already issued keep what they were signed with. Safe to repeat.
    async fn update_issuer_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The authority's top-level org unit.")] org_unit_id: ID,
        #[graphql(desc = "The whole profile.")] input: IssuerProfileInput,
    ) -> ApiResult<IssuerProfile> {
        let services = services(ctx)?;
        let actor = actor(ctx)?;
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let issuer = services.issuer.get(&services.db).await?;
        let update = credentials::ProfileUpdate {
            name: input.name,
            street_address: input.street_address,
            postal_code: input.postal_code,
            locality: input.locality,
            country: input.country,
            email: input.email,
            url: input.website,
            algorithm: input.algorithm.map(Into::into),
            publishes_ai_register: input.publishes_ai_register,
            language: input.language,
        };
        Ok(IssuerProfile(
            credentials::update_profile(&services.db, actor, issuer, org_unit_id, update).await?,
        ))
    }

    /// Links (or, with null, unlinks) your wallet's identifier, a DID such as
    /// `did:key:z6Mk...`: certificates issued to you from now on name it as their subject
    /// (`credentialSubject.id`), so your wallet can prove they are yours. Certificates already
    /// issued are unchanged. Safe to repeat.
    async fn set_wallet_did(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The DID (`did:<method>:<id>`, at most 500 characters), or null.")]
        did: Option<String>,
    ) -> ApiResult<User> {
        let services = services(ctx)?;
        let actor = actor(ctx)?;
        Ok(User(
            accounts::set_wallet_did(&services.db, actor, did.as_deref()).await?,
        ))
    }
}

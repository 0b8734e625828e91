//! Signing in through an authority's identity provider: `signInOptions` (public),
//! `identityProviders`, `createIdentityProvider`, `updateIdentityProvider` (administrators).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use govskills_domain::{
    entities::identity_provider,
    identity::{self, ProviderInput, ProviderUpdate},
};

use super::{
    context::{actor, loader, services},
    id,
    loaders::{LoadRequired, OrgUnitLoader},
    org_units::OrgUnit,
    parse_id,
};
use crate::error::ApiResult;

/// An authority's OpenID Connect provider (Microsoft Entra ID, Keycloak, ADFS, ...). The
/// client secret is never shown.
pub struct IdentityProvider(pub identity_provider::Model);

/// An authority's OpenID Connect provider. The client secret is write-only.
#[Object]
impl IdentityProvider {
    /// The provider's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The name shown on the sign-in button, e.g. "Stadt Musterstadt (Entra ID)".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The authority (top-level org unit) whose people sign in here.
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<OrgUnit> {
        loader::<OrgUnitLoader>(ctx)?
            .load_required(self.0.org_unit_id, "org unit")
            .await
            .map(OrgUnit)
    }

    /// The issuer URL; its `/.well-known/openid-configuration` is read for everything else.
    async fn issuer_url(&self) -> &str {
        &self.0.issuer_url
    }

    /// The client id GovSkills is registered under at the provider.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }

    /// The scopes asked for, `openid` always among them.
    async fn scopes(&self) -> Vec<String> {
        self.0.scopes.split(' ').map(str::to_owned).collect()
    }

    /// The email domains the provider is authoritative for: `signInOptions` offers it for
    /// these, and an existing account with a verified email in one is linked at its first
    /// sign-in.
    async fn email_domains(&self) -> Vec<String> {
        serde_json::from_value(self.0.email_domains.clone()).unwrap_or_default()
    }

    /// Whether someone without an account gets one at their first sign-in.
    async fn create_accounts(&self) -> bool {
        self.0.create_accounts
    }

    /// The claim that names the person's org unit (matched against `OrgUnit.externalId` in
    /// the authority); without it, or when nothing matches, new accounts go into the authority
    /// itself.
    async fn org_unit_claim(&self) -> Option<&str> {
        self.0.org_unit_claim.as_deref()
    }

    /// The claim that names the person's job role: an account created at a first sign-in gets
    /// the job role of that name that applies to its org unit.
    async fn job_role_claim(&self) -> Option<&str> {
        self.0.job_role_claim.as_deref()
    }

    /// Whether the authority's accounts may still sign in with a password.
    async fn password_sign_in(&self) -> bool {
        self.0.password_sign_in
    }

    /// The redirect URI to register at the provider.
    async fn callback_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(services(ctx)?.oidc.callback_url(self.0.id))
    }

    /// Where a client sends the person to sign in (add `?returnTo=URL`).
    async fn start_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(services(ctx)?.oidc.start_url(self.0.id))
    }

    /// When it was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A provider offered on the sign-in form.
#[derive(SimpleObject)]
pub struct SignInProvider {
    /// The provider's id.
    pub id: ID,
    /// The name to show on its button.
    pub name: String,
    /// Where to send the browser (add `?returnTo=URL`, a page of the web client).
    pub start_url: String,
}

/// How someone with a given email signs in.
#[derive(SimpleObject)]
pub struct SignInOptions {
    /// Whether the password form may be used.
    pub password_allowed: bool,
    /// The identity providers to offer.
    pub providers: Vec<SignInProvider>,
}

/// A new identity provider for an authority.
#[derive(InputObject)]
pub struct CreateIdentityProviderInput {
    /// The authority (a top-level org unit) whose people sign in there; you must administer it.
    pub org_unit_id: ID,
    /// The name on the sign-in button: 1 to 200 characters.
    pub name: String,
    /// The issuer URL: `https://` (`http://` only on a loopback address), as the provider
    /// names itself in its discovery document.
    pub issuer_url: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret; stored sealed and never shown again.
    pub client_secret: String,
    /// Scopes beside `openid` (e.g. `email`, `profile`); `openid` is always asked for.
    #[graphql(default)]
    pub scopes: Vec<String>,
    /// Email domains the provider is authoritative for (each belongs to one provider at most).
    #[graphql(default)]
    pub email_domains: Vec<String>,
    /// Whether someone without an account gets one at their first sign-in (in the org unit
    /// `orgUnitClaim` names, else in the authority).
    #[graphql(default)]
    pub create_accounts: bool,
    /// The claim naming the person's org unit (matched against `OrgUnit.externalId`).
    pub org_unit_claim: Option<String>,
    /// The claim naming the person's job role (matched against the name of a job role that
    /// applies to their org unit), for accounts created at a first sign-in.
    pub job_role_claim: Option<String>,
    /// Whether the authority's accounts may still sign in with a password (true when left
    /// out).
    #[graphql(default = true)]
    pub password_sign_in: bool,
}

/// Changes to an identity provider; a field left out stays as it is.
#[derive(InputObject)]
pub struct UpdateIdentityProviderInput {
    /// The name on the sign-in button.
    pub name: Option<String>,
    /// The issuer URL.
    pub issuer_url: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// A new client secret (write-only).
    pub client_secret: Option<String>,
    /// Scopes beside `openid`.
    pub scopes: Option<Vec<String>>,
    /// Email domains the provider is authoritative for.
    pub email_domains: Option<Vec<String>>,
    /// Whether someone without an account gets one at their first sign-in.
    pub create_accounts: Option<bool>,
    /// The org-unit claim; null removes it.
    pub org_unit_claim: MaybeUndefined<String>,
    /// The job-role claim; null removes it.
    pub job_role_claim: MaybeUndefined<String>,
    /// Whether password sign-in stays allowed for the authority's accounts.
    pub password_sign_in: Option<bool>,
}

fn maybe(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// How someone with this email signs in: whether a password may be used and which identity
    /// providers to offer. Public; decided from the email's domain alone, so it says nothing
    /// about whether an account exists.
    async fn sign_in_options(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email the person typed.")] email: String,
    ) -> ApiResult<SignInOptions> {
        let services = services(ctx)?;
        let options = identity::sign_in_options(&services.db, &email).await?;
        Ok(SignInOptions {
            password_allowed: options.password_allowed,
            providers: options
                .providers
                .into_iter()
                .map(|provider| SignInProvider {
                    id: id(provider.id),
                    start_url: services.oidc.start_url(provider.id),
                    name: provider.name,
                })
                .collect(),
        })
    }

    /// Where to send the browser after `logout` so that the identity provider ends its session
    /// too (RP-initiated logout): the end-session URL of the provider you last signed in
    /// through, if it offers one; null otherwise (and for password sign-ins).
    async fn sign_out_url(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Where the provider sends the browser afterwards (registered at the provider \
                    as a post-logout redirect URI); on the public URL or a web-client origin, \
                    else `BAD_USER_INPUT`. The public URL when left out."
        )]
        return_to: Option<String>,
    ) -> ApiResult<Option<String>> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        let return_to = services.oidc.return_to(return_to.as_deref())?;
        let Some(provider) = identity::last_used_provider(&services.db, actor.id()).await? else {
            return Ok(None);
        };
        services.oidc.end_session_url(&provider, return_to).await
    }

    /// The identity providers of the authorities you administer (a platform `ADMIN`: all).
    async fn identity_providers(&self, ctx: &Context<'_>) -> ApiResult<Vec<IdentityProvider>> {
        let actor = actor(ctx)?;
        Ok(identity::providers(&services(ctx)?.db, actor)
            .await?
            .into_iter()
            .map(IdentityProvider)
            .collect())
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Configures an identity provider for an authority you administer (`ADMIN` of that
    /// top-level unit, or platform `ADMIN`). In production the client secret is sealed with
    /// `GOVSKILLS_SECRET_KEY`, which must be set. A repeat is `CONFLICT`: its email domains
    /// (field `emailDomains`), or else its name (field `name`), are taken.
    async fn create_identity_provider(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider.")] input: CreateIdentityProviderInput,
    ) -> ApiResult<IdentityProvider> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        let org_unit_id = parse_id(&input.org_unit_id, "orgUnitId")?;
        let provider = identity::create_provider(
            &services.db,
            actor,
            services.oidc.sealer(),
            org_unit_id,
            ProviderInput {
                name: input.name,
                issuer_url: input.issuer_url,
                client_id: input.client_id,
                client_secret: input.client_secret,
                scopes: input.scopes,
                email_domains: input.email_domains,
                create_accounts: input.create_accounts,
                org_unit_claim: input.org_unit_claim,
                job_role_claim: input.job_role_claim,
                password_sign_in: input.password_sign_in,
            },
        )
        .await?;
        Ok(IdentityProvider(provider))
    }

    /// Changes an identity provider of an authority you administer. Safe to repeat.
    async fn update_identity_provider(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider's id.")] id: ID,
        #[graphql(desc = "What to change.")] input: UpdateIdentityProviderInput,
    ) -> ApiResult<IdentityProvider> {
        let actor = actor(ctx)?;
        let services = services(ctx)?;
        let provider_id = parse_id(&id, "id")?;
        let provider = identity::update_provider(
            &services.db,
            actor,
            services.oidc.sealer(),
            provider_id,
            ProviderUpdate {
                name: input.name,
                issuer_url: input.issuer_url,
                client_id: input.client_id,
                client_secret: input.client_secret,
                scopes: input.scopes,
                email_domains: input.email_domains,
                create_accounts: input.create_accounts,
                org_unit_claim: maybe(input.org_unit_claim),
                job_role_claim: maybe(input.job_role_claim),
                password_sign_in: input.password_sign_in,
            },
        )
        .await?;
        Ok(IdentityProvider(provider))
    }
}

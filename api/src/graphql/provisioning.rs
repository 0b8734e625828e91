//! SCIM provisioning tokens: `provisioningTokens`, `createProvisioningToken`,
//! `revokeProvisioningToken`. The SCIM endpoint itself is `http/scim.rs`.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use govskills_domain::{entities::provisioning_token, provisioning};

use super::{
    context::{actor, services},
    id, list_cost, parse_id,
};
use crate::error::ApiResult;

pub struct ProvisioningToken(pub provisioning_token::Model);

/// An authority's credential for SCIM 2.0 provisioning (`<public URL>/scim/v2`, as a bearer
/// token). Its secret is shown once, when it is created; GovSkills keeps only its SHA-256.
#[Object]
impl ProvisioningToken {
    /// The token's unique id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// What the token is for (say, which HR system or identity provider uses it).
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The id of the authority (top-level org unit) whose accounts the token provisions.
    async fn org_unit_id(&self) -> ID {
        id(self.0.org_unit_id)
    }

    /// When the token was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the token was last used (to the minute); null if never.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// When the token was revoked; null while it is valid.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new provisioning token and its secret.
#[derive(SimpleObject)]
pub struct ProvisioningTokenPayload {
    /// The secret to configure in the HR system or identity provider, as a bearer token. It is
    /// shown only here, once: GovSkills stores only its hash.
    pub token: String,
    /// The token's record, as `provisioningTokens` lists it.
    pub provisioning_token: ProvisioningToken,
}

#[derive(Default)]
pub struct ProvisioningQuery;

#[Object]
impl ProvisioningQuery {
    /// The provisioning tokens of an authority, newest first, revoked ones included (ADMIN
    /// covering the authority, or platform ADMIN). Never their secrets.
    #[graphql(complexity = "list_cost(child_complexity)")]
    async fn provisioning_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The authority's top-level org unit; a unit below it gives `BAD_USER_INPUT`."
        )]
        org_unit_id: ID,
    ) -> ApiResult<Vec<ProvisioningToken>> {
        let actor = actor(ctx)?;
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let tokens = provisioning::tokens(&services(ctx)?.db, actor, org_unit_id).await?;
        Ok(tokens.into_iter().map(ProvisioningToken).collect())
    }
}

#[derive(Default)]
pub struct ProvisioningMutation;

#[Object]
impl ProvisioningMutation {
    /// Creates a SCIM provisioning token for an authority (ADMIN covering the authority, or
    /// platform ADMIN) and returns its secret, once. Not safe to repeat: each call makes another
    /// token (revoke one you do not use).
    async fn create_provisioning_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The authority's top-level org unit; a unit below it gives `BAD_USER_INPUT`."
        )]
        org_unit_id: ID,
        #[graphql(desc = "What the token is for (1 to 200 characters).")] description: String,
    ) -> ApiResult<ProvisioningTokenPayload> {
        let actor = actor(ctx)?;
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let created =
            provisioning::create_token(&services(ctx)?.db, actor, org_unit_id, &description)
                .await?;
        Ok(ProvisioningTokenPayload {
            token: created.secret,
            provisioning_token: ProvisioningToken(created.token),
        })
    }

    /// Revokes a provisioning token at once (ADMIN covering its authority, or platform ADMIN);
    /// SCIM requests with it are refused from then on. Safe to repeat: revoking it again
    /// changes nothing.
    async fn revoke_provisioning_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's id; another authority's gives `NOT_FOUND`.")] id: ID,
    ) -> ApiResult<bool> {
        let actor = actor(ctx)?;
        let token_id = parse_id(&id, "id")?;
        provisioning::revoke_token(&services(ctx)?.db, actor, token_id).await?;
        Ok(true)
    }
}

//! What every resolver may read: the shared services and this request's context.

use std::{net::IpAddr, sync::Arc, time::Duration};

use async_graphql::{
    Context,
    dataloader::{DataLoader, HashMapCache},
};
use govskills_domain::{
    auth::Actor,
    credentials::{Issuer, IssuerSource},
};
use sea_orm::DatabaseConnection;

use super::error::{ApiError, ApiResult};
use crate::session::{SessionStore, TokenHash};

/// Shared by all requests; attached to the schema once at start-up.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub sessions: Arc<dyn SessionStore>,
    /// Mark cookies `Secure` (production).
    pub secure_cookies: bool,
    pub session_lifetime: Duration,
    /// How long DataLoaders collect keys before they query.
    pub batch_window: Duration,
    /// Sub-units with fewer staff show no figures in reports (0: off).
    pub report_min_group_size: u32,
    /// Signs certificates' credentials; knows the public base URL.
    pub issuer: Arc<IssuerSource>,
    /// Certificate verifications allowed per client address per minute.
    pub verify_rate_limit: u32,
}

/// This request: who is calling and from where.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub client_ip: Option<IpAddr>,
    /// The session the request came with, if it is live.
    pub session: Option<TokenHash>,
    /// The signed-in user, loaded afresh for this request (so role changes apply at once).
    pub actor: Option<Actor>,
}

pub fn services<'a>(ctx: &Context<'a>) -> ApiResult<&'a Services> {
    ctx.data::<Services>()
        .map_err(|err| ApiError::internal(&anyhow::anyhow!("services missing: {}", err.message)))
}

pub fn request<'a>(ctx: &Context<'a>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>().map_err(|err| {
        ApiError::internal(&anyhow::anyhow!("request context missing: {}", err.message))
    })
}

/// This request's DataLoader for `T`.
pub fn loader<'a, T: Send + Sync + 'static>(
    ctx: &Context<'a>,
) -> ApiResult<&'a DataLoader<T, HashMapCache>> {
    ctx.data::<DataLoader<T, HashMapCache>>()
        .map_err(|err| ApiError::internal(&anyhow::anyhow!("data loader missing: {}", err.message)))
}

/// The certificate issuer (loaded on first use, then kept).
pub async fn issuer<'a>(ctx: &Context<'a>) -> ApiResult<&'a Issuer> {
    let services = services(ctx)?;
    Ok(services.issuer.get(&services.db).await?)
}

/// The signed-in user, or `UNAUTHENTICATED`.
pub fn actor<'a>(ctx: &Context<'a>) -> ApiResult<&'a Actor> {
    request(ctx)?
        .actor
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)
}

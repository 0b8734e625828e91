//! What every resolver may read, taken from async-graphql's context: the shared services,
//! this request's context, its DataLoaders and its other per-request reads.

use async_graphql::{
    Context,
    dataloader::{DataLoader, HashMapCache},
};
use govskills_domain::{auth::Actor, credentials::Issuer, learning};

use super::loaders::OwnProfile;
use crate::{
    context::{RequestContext, Services},
    error::{ApiError, ApiResult},
};

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

/// The actor's own competence profile ([`learning::profile`]), read at most once per request.
pub async fn own_profile<'a>(ctx: &Context<'a>) -> ApiResult<&'a [learning::ProfileEntry]> {
    let actor = actor(ctx)?;
    let db = &services(ctx)?.db;
    let cell = ctx.data::<OwnProfile>().map_err(|err| {
        ApiError::internal(&anyhow::anyhow!("own profile missing: {}", err.message))
    })?;
    let entries = cell
        .0
        .get_or_try_init(|| async { Ok::<_, ApiError>(learning::profile(db, actor.id()).await?) })
        .await?;
    Ok(entries)
}

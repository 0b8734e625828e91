//! Who is calling: the client address and the session presented with a request, for every
//! route that needs them (GraphQL and the CSV exports alike).

use std::net::IpAddr;

use poem::{Request, http::header};

use crate::{
    context::RequestContext, cookie::SESSION_COOKIE, error::ApiError, session::SessionToken,
    state::AppState,
};

/// The client's address: the last `X-Forwarded-For` hop when a trusted proxy sets it, else
/// the peer address.
pub fn client_ip(req: &Request, trust_forwarded_for: bool) -> Option<IpAddr> {
    let forwarded = trust_forwarded_for
        .then(|| req.headers().get_all("x-forwarded-for"))
        .and_then(|values| values.iter().next_back())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok());
    forwarded.or_else(|| req.remote_addr().as_socket_addr().map(|addr| addr.ip()))
}

/// The session token from `Authorization: Bearer`, else from the session cookie.
fn presented_token(req: &Request) -> Option<SessionToken> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let raw = match bearer {
        Some(raw) => raw.to_owned(),
        None => req.cookie().get(SESSION_COOKIE)?.value_str().to_owned(),
    };
    SessionToken::from_client(&raw)
}

/// Resolves the presented session into an actor. A store that cannot be reached is an error,
/// never a silent fall-back to anonymous.
pub async fn authenticate(
    state: &AppState,
    req: &Request,
    request_id: String,
) -> Result<RequestContext, ApiError> {
    let mut context = RequestContext {
        request_id,
        client_ip: client_ip(req, state.trust_forwarded_for),
        session: None,
        actor: None,
    };
    let Some(token) = presented_token(req) else {
        return Ok(context);
    };
    let services = &state.services;
    let hash = token.hash();
    let Some(session) = services.sessions.touch(&hash).await? else {
        return Ok(context);
    };
    let actor = govskills_domain::auth::load_actor(&services.db, session.user_id).await?;
    if actor.is_some() {
        context.session = Some(hash);
        context.actor = actor;
    }
    Ok(context)
}

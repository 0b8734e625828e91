//! Signing in with an email and password: the throttle, the password check, the new session
//! and its cookie, in that order, as one step. Every way in goes through [`sign_in`], so none
//! can skip the throttle or forget to take a successful attempt back.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use govskills_domain::{accounts, entities::user};

use crate::{
    context::Services,
    cookie,
    error::ApiResult,
    login_throttle::LoginThrottle,
    metrics::{self, LoginOutcome},
    session::SessionToken,
};

/// A new session, and what the client needs to use it.
pub struct SignedIn {
    pub user: user::Model,
    /// Handed to the client once; the store keeps only its hash.
    pub token: SessionToken,
    /// When the session ends at the latest, however active.
    pub expires_at: DateTime<Utc>,
    /// The `Set-Cookie` value that hands the same session to a browser.
    pub set_cookie: String,
}

/// Signs `email` in from `client`: counts the attempt against the throttle first (so a refused
/// attempt checks no password), then checks the password, then starts a session. An unknown
/// email and a wrong password are the same `UNAUTHENTICATED` error.
pub async fn sign_in(
    services: &Services,
    client: Option<IpAddr>,
    email: &str,
    password: &str,
) -> ApiResult<SignedIn> {
    let throttle = LoginThrottle::new(services.sessions.as_ref(), email, client);
    throttle.attempt().await?;
    let user = accounts::authenticate(&services.db, email, password)
        .await
        .inspect_err(|err| {
            if matches!(err, govskills_domain::Error::InvalidCredentials) {
                metrics::record_login(LoginOutcome::Failed);
            }
        })?;
    throttle.succeeded().await?;
    metrics::record_login(LoginOutcome::Succeeded);
    let token = services.sessions.create(user.id).await?;
    let set_cookie = cookie::session(&token, services.secure_cookies, services.session_lifetime);
    // A lifetime too long for chrono cannot end within any date it can show: no end at all.
    let expires_at = Utc::now()
        + chrono::Duration::from_std(services.session_lifetime).unwrap_or(chrono::Duration::MAX);
    Ok(SignedIn {
        user,
        token,
        expires_at,
        set_cookie,
    })
}

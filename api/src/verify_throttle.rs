//! Certificate verifications per client address, counted in the session store (Redis when
//! configured, so every replica sees the same counts), so codes cannot be guessed at speed.
//! The GraphQL query, the verify page and credential downloads share one counter.

use std::{net::IpAddr, time::Duration};

use crate::{
    error::{ApiError, ApiResult, Code},
    login_throttle::hashed,
    session::SessionStore,
};

/// The window the limit (`GOVSKILLS_VERIFY_RATE_LIMIT`) applies to.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Counts one verification from `client`; refuses it (`RATE_LIMITED`) over `limit` per window.
/// A request without a known address (not over TCP) is not counted.
pub async fn check(store: &dyn SessionStore, client: Option<IpAddr>, limit: u32) -> ApiResult<()> {
    let Some(ip) = client else {
        return Ok(());
    };
    // A hash, not the address: the store need not hold personal data.
    let key = hashed("verify-address", &ip.to_string());
    let counts = store.hit(&[key], WINDOW).await?;
    if counts.first().is_some_and(|count| *count > limit) {
        return Err(ApiError::new(
            Code::RateLimited,
            "too many certificate verifications from your address; try again in a minute",
        ));
    }
    Ok(())
}

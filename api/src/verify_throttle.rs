//! Certificate verifications per client address, counted in the session store (Redis when
//! configured, so every replica sees the same counts), so codes cannot be guessed at speed.
//! The GraphQL query, the verify page and credential downloads share one counter.
//!
//! Verifying a certificate needs no session, so it must not stop when Redis does: while the
//! shared store cannot be reached, verifications are counted in this process alone (the same
//! limit per replica instead of across them), and the outage is logged once a window, not once
//! a request.

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::{
    error::{ApiError, ApiResult, Code},
    login_throttle::hashed,
    session::{MemoryStore, SessionPolicy, SessionStore},
};

/// The window the limit (`GOVSKILLS_VERIFY_RATE_LIMIT`) applies to.
pub const WINDOW: Duration = Duration::from_secs(60);

pub struct VerifyThrottle {
    shared: Arc<dyn SessionStore>,
    /// Counts while `shared` cannot be reached.
    local: MemoryStore,
    limit: u32,
    /// When the outage was last logged (seconds since the epoch).
    last_warning: AtomicU64,
}

impl VerifyThrottle {
    pub fn new(shared: Arc<dyn SessionStore>, limit: u32) -> Self {
        Self {
            shared,
            local: MemoryStore::new(SessionPolicy {
                idle: WINDOW,
                lifetime: WINDOW,
            }),
            limit,
            last_warning: AtomicU64::new(0),
        }
    }

    /// Counts one verification from `client`; refuses it (`RATE_LIMITED`) over the limit per
    /// window. A request without a known address (not over TCP) is not counted.
    pub async fn check(&self, client: Option<IpAddr>) -> ApiResult<()> {
        let Some(ip) = client else {
            return Ok(());
        };
        // A hash, not the address: the store need not hold personal data.
        let keys = [hashed("verify-address", &ip.to_string())];
        let counts = match self.shared.hit(&keys, WINDOW).await {
            Ok(counts) => counts,
            Err(err) => {
                self.warn_once_a_window(&err);
                self.local.hit(&keys, WINDOW).await?
            }
        };
        if counts.first().is_some_and(|count| *count > self.limit) {
            return Err(ApiError::new(
                Code::RateLimited,
                "too many certificate verifications from your address; try again in a minute",
            ));
        }
        Ok(())
    }

    fn warn_once_a_window(&self, err: &crate::session::StoreError) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let last = self.last_warning.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= WINDOW.as_secs()
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                error = %err,
                "the session store is unreachable: certificate verifications are counted per process"
            );
        }
    }
}

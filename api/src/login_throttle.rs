//! Login throttling, per account and per client address, counted in the session store (Redis
//! when configured, so every replica sees the same counts).
//!
//! Every attempt is counted *before* the password is checked, atomically, so neither aliases in
//! one request nor parallel requests can slip past a limit; a successful attempt is taken back.
//! So in effect failures count, each one: a request carrying ten `login` aliases with a wrong
//! password makes ten failed attempts. Once a key is over its limit, attempts are refused
//! without checking any password until the window that began with the key's first attempt ends.

use std::{net::IpAddr, time::Duration};

use govskills_domain::types::Email;
use sha2::{Digest, Sha256};

use crate::{
    error::{ApiError, ApiResult, Code},
    metrics::{self, LoginOutcome},
    session::SessionStore,
};

/// Failed sign-ins allowed per account within the window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failed sign-ins allowed per client address within the window (many people may share one
/// office address, hence higher).
pub const ADDRESS_LIMIT: u32 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Keys hold a hash, not the email or address itself: Redis need not store personal data.
pub(crate) fn hashed(kind: &str, value: &str) -> String {
    format!("{kind}:{}", hex::encode(Sha256::digest(value.as_bytes())))
}

pub struct LoginThrottle<'a> {
    store: &'a dyn SessionStore,
    keys: Vec<String>,
    limits: Vec<u32>,
}

impl<'a> LoginThrottle<'a> {
    pub fn new(store: &'a dyn SessionStore, email: &str, client: Option<IpAddr>) -> Self {
        let mut keys = vec![hashed("account", &Email::normalise(email))];
        let mut limits = vec![ACCOUNT_LIMIT];
        if let Some(ip) = client {
            keys.push(hashed("address", &ip.to_string()));
            limits.push(ADDRESS_LIMIT);
        }
        Self {
            store,
            keys,
            limits,
        }
    }

    /// Counts this attempt; refuses it when any key is over its limit.
    pub async fn attempt(&self) -> ApiResult<()> {
        let counts = self.store.hit(&self.keys, WINDOW).await?;
        let limited = counts
            .iter()
            .zip(&self.limits)
            .any(|(count, limit)| count > limit);
        if limited {
            metrics::record_login(LoginOutcome::Throttled);
            return Err(ApiError::new(
                Code::RateLimited,
                format!(
                    "too many failed sign-in attempts; try again in {} minutes",
                    WINDOW.as_secs() / 60
                ),
            ));
        }
        Ok(())
    }

    /// The attempt succeeded: it does not count against anyone.
    pub async fn succeeded(&self) -> ApiResult<()> {
        Ok(self.store.unhit(&self.keys).await?)
    }
}

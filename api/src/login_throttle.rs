//! Login throttling, per account and per client address, counted in the session store (Redis
//! when configured, so every replica sees the same counts).
//!
//! Only failures count, each one: a request carrying ten `login` aliases makes ten attempts.
//! Once a key reaches its limit, further attempts are refused before any password is checked,
//! until the window that began with the key's first failure has passed.

use std::{net::IpAddr, time::Duration};

use sha2::{Digest, Sha256};

use crate::{
    graphql::error::{ApiError, ApiResult, Code},
    session::SessionStore,
};

/// Failed sign-ins allowed per account within the window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failed sign-ins allowed per client address within the window (many people may share one
/// office address, hence higher).
pub const ADDRESS_LIMIT: u32 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

pub struct LoginThrottle<'a> {
    store: &'a dyn SessionStore,
    account_key: String,
    keys: Vec<(String, u32)>,
}

impl<'a> LoginThrottle<'a> {
    pub fn new(store: &'a dyn SessionStore, email: &str, client: Option<IpAddr>) -> Self {
        // Keys hold a hash, not the address itself: Redis need not store personal data.
        let account = hex::encode(Sha256::digest(email.trim().to_lowercase().as_bytes()));
        let account_key = format!("account:{account}");
        let mut keys = vec![(account_key.clone(), ACCOUNT_LIMIT)];
        if let Some(ip) = client {
            keys.push((format!("address:{ip}"), ADDRESS_LIMIT));
        }
        Self {
            store,
            account_key,
            keys,
        }
    }

    fn key_names(&self) -> Vec<String> {
        self.keys.iter().map(|(key, _)| key.clone()).collect()
    }

    /// Refuses the attempt when any key has reached its limit.
    pub async fn check(&self) -> ApiResult<()> {
        let counts = self.store.failures(&self.key_names()).await?;
        let limited = self
            .keys
            .iter()
            .zip(counts)
            .any(|((_, limit), count)| count >= *limit);
        if limited {
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

    pub async fn failed(&self) -> ApiResult<()> {
        Ok(self.store.record_failure(&self.key_names(), WINDOW).await?)
    }

    /// A successful sign-in forgives the account's failures (not the address's).
    pub async fn succeeded(&self) -> ApiResult<()> {
        Ok(self.store.clear_failures(&self.account_key).await?)
    }
}

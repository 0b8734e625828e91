//! Login throttling, per account and per client address, counted in the session store (Redis
//! when configured, so every replica sees the same counts).
//!
//! Every attempt is counted *before* the password is checked, atomically, so neither aliases in
//! one request nor parallel requests can slip past a limit; a successful attempt is taken back.
//! So in effect failures count, each one: a request carrying ten `login` aliases with a wrong
//! password makes ten failed attempts.
//!
//! The two counts do different jobs. An account over [`ACCOUNT_LIMIT`] is refused, whatever the
//! password, until the window that began with its first failure ends: that stops guessing one
//! person's password. A client address is *not* refused for ordinary failure counts, because in
//! an authority hundreds of staff reach the service through one proxy or NAT address, and a few
//! people's typos (or one attacker) must not lock everyone out (OWASP's authentication cheat
//! sheet warns of lockout as denial of service). Instead, past [`ADDRESS_SLOW_AFTER`] failures an
//! address's attempts are slowed down progressively ([`address_delay`]), which makes spraying
//! passwords across many accounts slow, and only [`ADDRESS_CEILING`] failures (far beyond what an
//! office produces) refuse it outright.

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
/// Failed sign-ins from one client address within the window after which its attempts are
/// slowed down.
pub const ADDRESS_SLOW_AFTER: u32 = 100;
/// Failed sign-ins from one client address within the window after which its attempts are
/// refused: a scripted attack, not an office full of people mistyping.
pub const ADDRESS_CEILING: u32 = 1_000;
/// The longest an attempt is held back.
pub const MAX_DELAY: Duration = Duration::from_secs(2);
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// How long an attempt from an address with `failures` failures in the window waits before its
/// password is checked: nothing up to [`ADDRESS_SLOW_AFTER`], then 2 ms more for each further
/// failure, at most [`MAX_DELAY`]. A person who knows their password is slowed, never refused.
pub fn address_delay(failures: u32) -> Duration {
    let excess = failures.saturating_sub(ADDRESS_SLOW_AFTER);
    Duration::from_millis(2 * u64::from(excess)).min(MAX_DELAY)
}

/// Keys hold a hash, not the email or address itself: Redis need not store personal data.
pub(crate) fn hashed(kind: &str, value: &str) -> String {
    format!("{kind}:{}", hex::encode(Sha256::digest(value.as_bytes())))
}

pub struct LoginThrottle<'a> {
    store: &'a dyn SessionStore,
    /// The account's key, then the address's if the client address is known.
    keys: Vec<String>,
}

impl<'a> LoginThrottle<'a> {
    pub fn new(store: &'a dyn SessionStore, email: &str, client: Option<IpAddr>) -> Self {
        let mut keys = vec![hashed("account", &Email::normalise(email))];
        if let Some(ip) = client {
            keys.push(hashed("address", &ip.to_string()));
        }
        Self { store, keys }
    }

    /// Counts this attempt; refuses it when the account is over its limit or the address over
    /// its ceiling, and holds it back while the address has many recent failures.
    pub async fn attempt(&self) -> ApiResult<()> {
        let counts = self.store.hit(&self.keys, WINDOW).await?;
        // This attempt is counted too: the failures before it are one fewer.
        let account = counts.first().copied().unwrap_or(0);
        let address = counts.get(1).copied().unwrap_or(0);
        if account > ACCOUNT_LIMIT || address > ADDRESS_CEILING {
            metrics::record_login(LoginOutcome::Throttled);
            return Err(ApiError::new(
                Code::RateLimited,
                format!(
                    "too many failed sign-in attempts; try again in {} minutes",
                    WINDOW.as_secs() / 60
                ),
            ));
        }
        let delay = address_delay(address.saturating_sub(1));
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(())
    }

    /// The attempt succeeded: it does not count against anyone.
    pub async fn succeeded(&self) -> ApiResult<()> {
        Ok(self.store.unhit(&self.keys).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_slowed_progressively_and_never_beyond_the_maximum() {
        assert_eq!(address_delay(0), Duration::ZERO);
        assert_eq!(address_delay(ADDRESS_SLOW_AFTER), Duration::ZERO);
        assert_eq!(
            address_delay(ADDRESS_SLOW_AFTER + 1),
            Duration::from_millis(2)
        );
        assert_eq!(
            address_delay(ADDRESS_SLOW_AFTER + 100),
            Duration::from_millis(200)
        );
        assert_eq!(address_delay(ADDRESS_CEILING), Duration::from_millis(1_800));
        assert_eq!(address_delay(u32::MAX), MAX_DELAY);
    }
}

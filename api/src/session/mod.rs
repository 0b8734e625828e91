//! Sessions and login throttling behind one [`SessionStore`] trait, kept in Redis in production
//! and in process memory on the embedded default.
//!
//! A session token is 256 random bits, handed to the client once; the store keys sessions by the
//! token's SHA-256, so a leaked store reveals no usable token. Each session has a sliding idle
//! timeout and an absolute lifetime. A per-user index lets logout-everywhere, a password change
//! and disabling an account end every session of a user at once.

mod memory;
mod redis;

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use self::{memory::MemoryStore, redis::RedisStore};

/// The store could not be reached or answered nonsense. Requests that depend on it must fail
/// cleanly; they never fall back to anonymous.
#[derive(Debug, thiserror::Error)]
#[error("the session store is unavailable: {0:#}")]
pub struct StoreError(#[from] pub anyhow::Error);

pub type StoreResult<T> = Result<T, StoreError>;

/// The token a client presents, as it was handed out.
#[derive(Clone)]
pub struct SessionToken(String);

impl SessionToken {
    fn generate() -> StoreResult<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|err| anyhow::anyhow!("the OS random generator failed: {err}"))?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a token received from a client; anything implausible is rejected without a lookup.
    pub fn from_client(raw: &str) -> Option<Self> {
        let plausible = raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keys the session by.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// SHA-256 of a token, hex-encoded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A live session.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub user_id: Uuid,
    /// Unix milliseconds of sign-in; the absolute lifetime counts from here.
    pub created_at_ms: i64,
}

/// How long sessions last.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub lifetime: Duration,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session for `user_id` with a fresh token.
    async fn create(&self, user_id: Uuid) -> StoreResult<SessionToken>;

    /// The live session behind `hash`, extending its idle timeout; `None` if it has ended.
    async fn touch(&self, hash: &TokenHash) -> StoreResult<Option<Session>>;

    /// Ends one session.
    async fn end(&self, hash: &TokenHash) -> StoreResult<()>;

    /// Ends every session of `user_id` except `keep`.
    async fn end_all(&self, user_id: Uuid, keep: Option<&TokenHash>) -> StoreResult<()>;

    /// Counts one sign-in attempt under each key and returns each key's count within its
    /// window, atomically per key, so parallel attempts cannot slip past a limit. A key's
    /// window starts at its first counted attempt.
    async fn hit(&self, keys: &[String], window: Duration) -> StoreResult<Vec<u32>>;

    /// Takes back one attempt under each key (after it succeeded).
    async fn unhit(&self, keys: &[String]) -> StoreResult<()>;

    /// Keeps `value` under `key` for `ttl` (a sign-in through an identity provider waiting
    /// for its callback).
    async fn stash(&self, key: &str, value: &str, ttl: Duration) -> StoreResult<()>;

    /// Takes what `key` holds, once: a second take, or one after its time, finds nothing.
    async fn take(&self, key: &str) -> StoreResult<Option<String>>;

    /// Whether the store answers, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let a = SessionToken::generate().expect("random");
        let b = SessionToken::generate().expect("random");
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43, "256 bits in unpadded base64url");
        assert_eq!(
            a.hash(),
            SessionToken::from_client(a.expose())
                .expect("plausible")
                .hash()
        );
        assert_eq!(a.hash().as_str().len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn implausible_client_tokens_are_rejected() {
        assert!(SessionToken::from_client("").is_none());
        assert!(SessionToken::from_client("short").is_none());
        assert!(SessionToken::from_client(&"a".repeat(42).replace('a', "%")).is_none());
        assert!(SessionToken::from_client(&format!("{}!", "a".repeat(42))).is_none());
    }
}

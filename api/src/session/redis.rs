//! The Redis store, shared by every replica.
//!
//! Keys (all under the configured prefix):
//! - `session:<token hash>`: the [`Session`] as JSON; its TTL is the idle timeout, renewed by
//!   `GETEX` on each use, while the absolute lifetime is checked against `created_at_ms`.
//! - `user:<id>:sessions`: a set of the user's token hashes, for ending them all at once.
//! - `login-attempts:<key>`: a counter whose TTL is the throttling window.
//! - `stash:<key>`: a pending sign-in through an identity provider, with its own TTL, taken
//!   once with `GETDEL`.

use std::time::Duration;

use anyhow::Context as _;
use redis::{
    AsyncCommands, Client, TlsCertificates,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{
    Session, SessionPolicy, SessionStore, SessionToken, StoreResult, TokenHash, millis, now_ms,
};

pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    policy: SessionPolicy,
}

impl RedisStore {
    /// Prepares a connection without opening it: the service starts (and reports itself not
    /// ready) while Redis is down, and connects once Redis answers. `ca_pem`: the certificate
    /// authorities to trust for `rediss://` instead of the system's.
    pub fn new(
        url: &SecretString,
        ca_pem: Option<Vec<u8>>,
        prefix: String,
        policy: SessionPolicy,
    ) -> anyhow::Result<Self> {
        let client = match ca_pem {
            None => Client::open(url.expose_secret()),
            Some(root_cert) => Client::build_with_tls(
                url.expose_secret(),
                TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert),
                },
            ),
        }
        .context("invalid GOVSKILLS_REDIS_URL")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .context("failed to set up the Redis connection")?;
        Ok(Self {
            connection,
            prefix,
            policy,
        })
    }

    fn session_key(&self, hash: &TokenHash) -> String {
        format!("{}session:{}", self.prefix, hash.as_str())
    }

    fn user_key(&self, user_id: Uuid) -> String {
        format!("{}user:{user_id}:sessions", self.prefix)
    }

    fn attempt_key(&self, key: &str) -> String {
        format!("{}login-attempts:{key}", self.prefix)
    }

    fn stash_key(&self, key: &str) -> String {
        format!("{}stash:{key}", self.prefix)
    }

    fn conn(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

#[async_trait::async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, user_id: Uuid) -> StoreResult<SessionToken> {
        let token = SessionToken::generate()?;
        let session = Session {
            user_id,
            created_at_ms: now_ms(),
        };
        let json = serde_json::to_string(&session).context("failed to encode a session")?;
        let user_key = self.user_key(user_id);
        redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(self.session_key(&token.hash()))
            .arg(json)
            .arg("PX")
            .arg(millis(self.policy.idle))
            .ignore()
            .sadd(&user_key, token.hash().as_str())
            .ignore()
            .pexpire(&user_key, millis(self.policy.lifetime))
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .context("failed to store a session in Redis")?;
        Ok(token)
    }

    async fn touch(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        let raw: Option<String> = redis::cmd("GETEX")
            .arg(self.session_key(hash))
            .arg("PX")
            .arg(millis(self.policy.idle))
            .query_async(&mut self.conn())
            .await
            .context("failed to read a session from Redis")?;
        let Some(raw) = raw else {
            return Ok(None);
        };
        let session: Session =
            serde_json::from_str(&raw).context("a session in Redis is malformed")?;
        if now_ms() - session.created_at_ms >= millis(self.policy.lifetime) {
            self.end(hash).await?;
            return Ok(None);
        }
        Ok(Some(session))
    }

    async fn stash(&self, key: &str, value: &str, ttl: Duration) -> StoreResult<()> {
        let _: () = self
            .conn()
            .set_ex(self.stash_key(key), value, ttl.as_secs().max(1))
            .await
            .context("failed to keep a pending sign-in in Redis")?;
        Ok(())
    }

    async fn take(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn()
            .get_del(self.stash_key(key))
            .await
            .context("failed to take a pending sign-in from Redis")?)
    }

    async fn end(&self, hash: &TokenHash) -> StoreResult<()> {
        let _: () = self
            .conn()
            .del(self.session_key(hash))
            .await
            .context("failed to end a session in Redis")?;
        Ok(())
    }

    async fn end_all(&self, user_id: Uuid, keep: Option<&TokenHash>) -> StoreResult<()> {
        let user_key = self.user_key(user_id);
        let hashes: Vec<String> = self
            .conn()
            .smembers(&user_key)
            .await
            .context("failed to list a user's sessions in Redis")?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        for hash in hashes
            .into_iter()
            .filter(|h| Some(h.as_str()) != keep.map(TokenHash::as_str))
        {
            pipe.del(self.session_key(&TokenHash(hash.clone())))
                .ignore()
                .srem(&user_key, hash)
                .ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .context("failed to end a user's sessions in Redis")?;
        Ok(())
    }

    async fn hit(&self, keys: &[String], window: Duration) -> StoreResult<Vec<u32>> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for key in keys {
            let key = self.attempt_key(key);
            pipe.incr(&key, 1)
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(millis(window))
                .arg("NX")
                .ignore();
        }
        let counts: Vec<u32> = pipe
            .query_async(&mut self.conn())
            .await
            .context("failed to count a sign-in attempt in Redis")?;
        Ok(counts)
    }

    async fn unhit(&self, keys: &[String]) -> StoreResult<()> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for key in keys {
            pipe.decr(self.attempt_key(key), 1).ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .context("failed to take back a sign-in attempt in Redis")?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn())
            .await
            .context("Redis did not answer PING")?;
        Ok(())
    }
}

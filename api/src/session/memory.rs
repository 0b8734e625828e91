//! The in-process store of the embedded default: neither shared between replicas nor kept
//! across restarts.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use anyhow::anyhow;
use uuid::Uuid;

use super::{Session, SessionPolicy, SessionStore, SessionToken, StoreResult, TokenHash, now_ms};

struct Entry {
    session: Session,
    started: Instant,
    last_seen: Instant,
}

#[derive(Default)]
struct State {
    sessions: HashMap<TokenHash, Entry>,
    by_user: HashMap<Uuid, HashSet<TokenHash>>,
    attempts: HashMap<String, (u32, Instant, Duration)>,
    /// Pending sign-ins: the value and when it expires.
    stashed: HashMap<String, (String, Instant)>,
}

pub struct MemoryStore {
    policy: SessionPolicy,
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new(policy: SessionPolicy) -> Self {
        Self {
            policy,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> StoreResult<std::sync::MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| anyhow!("the in-process session store is poisoned").into())
    }

    fn is_live(&self, entry: &Entry, now: Instant) -> bool {
        now.duration_since(entry.last_seen) < self.policy.idle
            && now.duration_since(entry.started) < self.policy.lifetime
    }
}

impl State {
    fn remove(&mut self, hash: &TokenHash) {
        if let Some(entry) = self.sessions.remove(hash)
            && let Some(hashes) = self.by_user.get_mut(&entry.session.user_id)
        {
            hashes.remove(hash);
            if hashes.is_empty() {
                self.by_user.remove(&entry.session.user_id);
            }
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, user_id: Uuid) -> StoreResult<SessionToken> {
        let token = SessionToken::generate()?;
        let now = Instant::now();
        let mut state = self.lock()?;
        // Sweep ended sessions here, so memory stays bounded by the live ones.
        let ended: Vec<TokenHash> = state
            .sessions
            .iter()
            .filter(|(_, entry)| !self.is_live(entry, now))
            .map(|(hash, _)| hash.clone())
            .collect();
        for hash in &ended {
            state.remove(hash);
        }
        state
            .attempts
            .retain(|_, (_, first, window)| now.duration_since(*first) < *window);
        let hash = token.hash();
        state
            .by_user
            .entry(user_id)
            .or_default()
            .insert(hash.clone());
        state.sessions.insert(
            hash,
            Entry {
                session: Session {
                    user_id,
                    created_at_ms: now_ms(),
                },
                started: now,
                last_seen: now,
            },
        );
        Ok(token)
    }

    async fn touch(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        let now = Instant::now();
        let mut state = self.lock()?;
        let live = match state.sessions.get(hash) {
            None => return Ok(None),
            Some(entry) => self.is_live(entry, now),
        };
        if !live {
            state.remove(hash);
            return Ok(None);
        }
        Ok(state.sessions.get_mut(hash).map(|entry| {
            entry.last_seen = now;
            entry.session.clone()
        }))
    }

    async fn stash(&self, key: &str, value: &str, ttl: Duration) -> StoreResult<()> {
        let now = Instant::now();
        let mut state = self.lock()?;
        state.stashed.retain(|_, (_, expires)| *expires > now);
        state
            .stashed
            .insert(key.to_owned(), (value.to_owned(), now + ttl));
        Ok(())
    }

    async fn take(&self, key: &str) -> StoreResult<Option<String>> {
        let now = Instant::now();
        Ok(self
            .lock()?
            .stashed
            .remove(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(value, _)| value))
    }

    async fn end(&self, hash: &TokenHash) -> StoreResult<()> {
        self.lock()?.remove(hash);
        Ok(())
    }

    async fn end_all(&self, user_id: Uuid, keep: Option<&TokenHash>) -> StoreResult<()> {
        let mut state = self.lock()?;
        let hashes: Vec<TokenHash> = state
            .by_user
            .get(&user_id)
            .map(|hashes| {
                hashes
                    .iter()
                    .filter(|h| Some(*h) != keep)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for hash in &hashes {
            state.remove(hash);
        }
        Ok(())
    }

    async fn hit(&self, keys: &[String], window: Duration) -> StoreResult<Vec<u32>> {
        let now = Instant::now();
        let mut state = self.lock()?;
        Ok(keys
            .iter()
            .map(|key| {
                let entry = state
                    .attempts
                    .entry(key.clone())
                    .or_insert((0, now, window));
                if now.duration_since(entry.1) >= entry.2 {
                    *entry = (0, now, window);
                }
                entry.0 = entry.0.saturating_add(1);
                entry.0
            })
            .collect())
    }

    async fn unhit(&self, keys: &[String]) -> StoreResult<()> {
        let mut state = self.lock()?;
        for key in keys {
            if let Some(entry) = state.attempts.get_mut(key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        self.lock().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(idle_ms: u64, lifetime_ms: u64) -> MemoryStore {
        MemoryStore::new(SessionPolicy {
            idle: Duration::from_millis(idle_ms),
            lifetime: Duration::from_millis(lifetime_ms),
        })
    }

    #[tokio::test]
    async fn sessions_end_after_the_idle_timeout() {
        let store = store(50, 10_000);
        let token = store.create(Uuid::new_v4()).await.expect("created");
        assert!(store.touch(&token.hash()).await.expect("ok").is_some());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(store.touch(&token.hash()).await.expect("ok").is_none());
    }

    #[tokio::test]
    async fn end_all_keeps_only_the_named_session() {
        let store = store(10_000, 10_000);
        let user = Uuid::new_v4();
        let (a, b, c) = (
            store.create(user).await.expect("a"),
            store.create(user).await.expect("b"),
            store.create(Uuid::new_v4()).await.expect("c"),
        );
        store.end_all(user, Some(&a.hash())).await.expect("ended");
        assert!(store.touch(&a.hash()).await.expect("ok").is_some());
        assert!(store.touch(&b.hash()).await.expect("ok").is_none());
        assert!(store.touch(&c.hash()).await.expect("ok").is_some());
    }

    #[tokio::test]
    async fn attempts_count_per_key_within_the_window() {
        let store = store(10_000, 10_000);
        let keys = ["a".to_owned(), "b".to_owned()];
        let minute = Duration::from_secs(60);
        assert_eq!(store.hit(&keys, minute).await.expect("ok"), vec![1, 1]);
        assert_eq!(store.hit(&keys[..1], minute).await.expect("ok"), vec![2]);
        store.unhit(&keys).await.expect("ok");
        assert_eq!(store.hit(&keys, minute).await.expect("ok"), vec![2, 1]);
    }

    #[tokio::test]
    async fn an_attempt_window_restarts_after_it_passes() {
        let store = store(10_000, 10_000);
        let keys = ["a".to_owned()];
        let short = Duration::from_millis(30);
        store.hit(&keys, short).await.expect("ok");
        store.hit(&keys, short).await.expect("ok");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(store.hit(&keys, short).await.expect("ok"), vec![1]);
    }
}

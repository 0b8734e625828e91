//! Password hashing with argon2id at (at least) OWASP's parameters, off the async runtime.

use std::sync::LazyLock;

use anyhow::Context as _;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use tokio::sync::Semaphore;
use tracing::Span;

use crate::{Result, types::Password};

/// OWASP's second recommended setting: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

/// At most one hash per core at a time: a login storm queues here instead of starving
/// everything else (and memory: each hash holds 19 MiB).
static HASH_PERMITS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

/// The threads that hash: one per core, always the same ones (a rayon pool). On tokio's
/// blocking pool, hashes ran on whichever of many short-lived threads was free, and glibc gives
/// threads their own malloc arenas, each of which kept the freed 19 MiB of earlier hashes
/// resident: a login storm left the server at 400-800 MiB. On fixed threads each arena reuses
/// its own block (docs/PERFORMANCE.md has the before and after).
static HASHERS: LazyLock<Result<rayon::ThreadPool, String>> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(cores())
        .thread_name(|i| format!("password-hash-{i}"))
        // A panicking hash fails its own request (its reply channel is dropped), not the
        // process.
        .panic_handler(|_| {})
        .build()
        .map_err(|err| err.to_string())
});

/// A hash of a random password, verified against when the email is unknown, so that an
/// unknown email costs the same work as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    // A failing OS generator leaves zeros: still a password nobody types, at the same cost.
    let random = argon2::password_hash::try_generate_salt().unwrap_or_default();
    hasher()
        .hash_password(&random)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

fn hasher() -> Argon2<'static> {
    #[expect(clippy::unwrap_used, reason = "the constant parameters are valid")]
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Runs CPU-heavy work on the hashing threads, inside the caller's span, one per core at a
/// time.
async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _permit = HASH_PERMITS
        .acquire()
        .await
        .context("password hashing is shut down")?;
    let hashers = HASHERS
        .as_ref()
        .map_err(|err| anyhow::anyhow!("cannot start the password hashing threads: {err}"))?;
    let span = Span::current();
    let (reply, result) = tokio::sync::oneshot::channel();
    hashers.spawn(move || {
        let _ = reply.send(span.in_scope(work));
    });
    Ok(result.await.context("password hashing task failed")?)
}

/// Hashes a new password into a PHC string.
pub async fn hash(password: Password) -> Result<String> {
    let hash = run_blocking(move || {
        hasher()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
    })
    .await?
    .map_err(|err| anyhow::anyhow!("failed to hash a password: {err}"))?;
    Ok(hash)
}

/// Checks a password against a stored hash; with no stored hash, spends the same effort and
/// returns `false`.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool> {
    let password = password.to_owned();
    run_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let matches = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        known && matches
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = Password::parse("correct horse battery".into(), "password").expect("valid");
        let hash = hash(password).await.expect("hashes");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify("correct horse battery", Some(hash.clone()))
                .await
                .expect("runs")
        );
        assert!(
            !verify("correct horse batterY", Some(hash))
                .await
                .expect("runs")
        );
    }

    #[tokio::test]
    async fn parallel_hashes_all_complete_on_the_fixed_threads() {
        let password = Password::parse("correct horse battery".into(), "password").expect("valid");
        let hashes =
            futures_util::future::join_all((0..(cores() * 3)).map(|_| hash(password.clone())))
                .await;
        for hash in hashes {
            let hash = hash.expect("hashes");
            assert!(
                verify("correct horse battery", Some(hash))
                    .await
                    .expect("runs")
            );
        }
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("anything at all", None).await.expect("runs"));
    }
}

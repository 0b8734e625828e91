//! The background worker: every replica runs one unless started with `--no-workers`, and
//! `govskills worker` runs only it. Each round it claims due jobs from the queue and runs them;
//! every `scan_every` it also scans for notifications that are due, records the day's readiness
//! of running rollouts that have none yet, queues the recertifications whose window has begun,
//! and queues stale jobs again.
//! While the database is away, rounds fail and the worker pauses: it logs that once, and tries
//! again each round (every poll interval, each try waiting as long as the pool's acquire
//! timeout). Nothing is lost or done twice:
//!
//! - a job that finds the database away is not failed (no attempt counted, no backoff): the
//!   round stops, and the jobs the round had claimed are queued again at the start of the first
//!   round that reaches the database (`jobs::release`), not only when they go stale;
//! - what a job has done outside the database (an email sent) and the job being done are
//!   recorded with patience: while the database is away the worker keeps trying for up to
//!   [`RECORD_PATIENCE`], so the email is not sent a second time (after that, or if the process
//!   stops meanwhile, the job runs again later and the email goes out again with the same
//!   Message-ID);
//! - the queue's unique keys keep work that scans find again from being queued twice.

use std::{future::Future, sync::Arc, time::Duration};

use govskills_domain::{
    certificates, clock::Clock, jobs, notifications, privacy, reports, rollouts,
};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use crate::mailer::Mailer;

/// Jobs one round claims at most.
const CLAIM: u64 = 20;

/// How long the worker keeps trying to record what it has done (an email sent, a job done)
/// while the database is away, before it leaves the job to be run again later.
pub const RECORD_PATIENCE: Duration = Duration::from_secs(60);

/// A worker of this process.
pub struct Worker {
    pub db: DatabaseConnection,
    pub mailer: Option<Mailer>,
    pub public_url: String,
    pub clock: Arc<Clock>,
    /// How long to wait between rounds when there was nothing to do.
    pub poll: Duration,
    /// How often to scan for due notifications.
    pub scan_every: Duration,
    /// Names this worker in the jobs it holds.
    pub id: String,
}

impl Worker {
    /// Runs rounds until `shutdown` completes (finishing the round under way).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        if self.mailer.is_none() {
            tracing::info!(
                "GOVSKILLS_SMTP_URL is not set: notifications stay in the app, no email is sent"
            );
        }
        tokio::pin!(shutdown);
        let mut last_scan: Option<tokio::time::Instant> = None;
        // Since a round failed: the jobs it claimed are still held by this worker, and whether
        // the failure was the database being away (the worker is paused).
        let mut interrupted: Option<bool> = None;
        loop {
            let scan = last_scan.is_none_or(|at| at.elapsed() >= self.scan_every);
            let round = async {
                if let Some(paused) = interrupted {
                    let released = jobs::release(&self.db, &self.id, self.clock.now()).await?;
                    if paused {
                        tracing::info!(
                            released,
                            "the database is back; the worker resumes (the jobs it held are \
                             queued again)"
                        );
                    }
                }
                self.round(scan).await
            };
            let busy = match round.await {
                Ok(ran) => {
                    interrupted = None;
                    if scan {
                        last_scan = Some(tokio::time::Instant::now());
                    }
                    ran > 0
                }
                Err(err) if is_unavailable(&err) => {
                    if interrupted != Some(true) {
                        tracing::warn!(
                            cause = unavailable_cause(&err),
                            "the database cannot be reached; the worker pauses until it can"
                        );
                    }
                    interrupted = Some(true);
                    false
                }
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "a worker round failed; retrying");
                    interrupted = Some(interrupted == Some(true));
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = tokio::time::sleep(self.poll) => {}
                }
            }
        }
    }

    /// One round: a scan if `scan`, then the due jobs. Returns how many jobs ran.
    pub async fn round(&self, scan: bool) -> anyhow::Result<usize> {
        let now = self.clock.now();
        if scan {
            let recovered = jobs::recover_stale(&self.db, now).await?;
            if recovered > 0 {
                tracing::warn!(recovered, "jobs whose worker went away are queued again");
            }
            rollouts::snapshot_due(&self.db, now).await?;
            certificates::queue_recertifications(&self.db, now).await?;
            jobs::enqueue(&self.db, vec![privacy::purge::daily_job(now)], now).await?;
            reports::skill_gaps::fold_counts(&self.db).await?;
            let new = notifications::scan(&self.db, now).await?;
            if new > 0 {
                tracing::info!(new, "notifications due");
            }
        }
        let claimed = jobs::claim(&self.db, &self.id, now, CLAIM).await?;
        let ran = claimed.len();
        for job in claimed {
            match self.execute(&job.kind, &job.payload).await {
                Ok(()) => {
                    self.record(|| jobs::complete(&self.db, job.id, self.clock.now()))
                        .await?;
                }
                // Not the job's failure: the round stops, and the next one that reaches the
                // database queues this job and the rest of the round's again.
                Err(err) if is_unavailable(&err) => return Err(err),
                Err(err) => {
                    let error = format!("{err:#}");
                    let state = jobs::fail(&self.db, &job, &error, self.clock.now()).await?;
                    tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts,
                        state = state.as_str(), %error, "a job failed");
                }
            }
        }
        Ok(ran)
    }

    async fn execute(&self, kind: &str, payload: &Value) -> anyhow::Result<()> {
        match kind {
            notifications::SEND_EMAIL => self.send_email(id_in(payload, "notificationId")?).await,
            certificates::RECERTIFY => Ok(certificates::recertify(
                &self.db,
                id_in(payload, "certificateId")?,
                self.clock.now(),
            )
            .await?),
            privacy::purge::PURGE => purge(&self.db, self.clock.now()).await.map(drop),
            other => anyhow::bail!("unknown job kind {other:?}"),
        }
    }

    /// Records, then sends, then marks: a retry after a failed send reuses the Message-ID, and
    /// a sent notification is not sent again.
    async fn send_email(&self, id: Uuid) -> anyhow::Result<()> {
        let Some(mailer) = &self.mailer else {
            notifications::skip_email(&self.db, id).await?;
            return Ok(());
        };
        let Some(email) =
            notifications::prepare_email(&self.db, id, &self.public_url, mailer.domain()).await?
        else {
            return Ok(());
        };
        mailer.send(&email).await?;
        self.record(|| notifications::mark_emailed(&self.db, id, self.clock.now()))
            .await?;
        Ok(())
    }

    /// Runs `write`, which records something already done, until it succeeds: while the
    /// database is unreachable it tries again every second for up to [`RECORD_PATIENCE`].
    async fn record<F, Fut>(&self, write: F) -> govskills_domain::Result<()>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = govskills_domain::Result<()>>,
    {
        let started = tokio::time::Instant::now();
        loop {
            match write().await {
                Err(govskills_domain::Error::Unavailable { .. })
                    if started.elapsed() < RECORD_PATIENCE =>
                {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                done => return done,
            }
        }
    }
}

/// Whether `err` is the database being unreachable (a pause, not a failure of the job).
fn is_unavailable(err: &anyhow::Error) -> bool {
    unavailable_cause(err).is_some()
}

/// Why the database could not be reached, if that is what `err` says.
fn unavailable_cause(err: &anyhow::Error) -> Option<&str> {
    match err.downcast_ref::<govskills_domain::Error>() {
        Some(govskills_domain::Error::Unavailable { cause, .. }) => Some(cause),
        _ => None,
    }
}

/// Applies the retention policies, then logs what was removed and counts it on `/metrics`
/// (`privacy_purged_total{kind}`).
pub async fn purge(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<privacy::purge::Purged> {
    let purged = privacy::purge::run(db, now).await?;
    for (kind, removed) in purged.kinds() {
        metrics::counter!(crate::metrics::PRIVACY_PURGED, "kind" => kind).increment(removed);
    }
    tracing::info!(
        attempt_answers = purged.attempt_answers,
        self_assessments = purged.self_assessments,
        notifications = purged.notifications,
        audit_events = purged.audit_events,
        accounts_erased = purged.accounts_erased,
        "retention purge done"
    );
    Ok(purged)
}

/// The id a job's payload names under `field`.
fn id_in(payload: &Value, field: &str) -> anyhow::Result<Uuid> {
    payload[field]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("a job payload without a valid {field}"))
}

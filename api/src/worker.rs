//! The background worker: every replica runs one unless started with `--no-workers`, and
//! `govskills worker` runs only it. Each round it claims due jobs from the queue and runs them;
//! every `scan_every` it also scans for notifications that are due, records the day's readiness
//! of running rollouts that have none yet, queues the recertifications whose window has begun,
//! and queues stale jobs again.
//! While the database is away, rounds fail, are logged, and the worker waits and tries again:
//! jobs stay queued, nothing is lost, and the queue's unique keys keep anything from being done
//! twice.

use std::{future::Future, sync::Arc, time::Duration};

use govskills_domain::{certificates, clock::Clock, jobs, notifications, rollouts};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use crate::mailer::Mailer;

/// Jobs one round claims at most.
const CLAIM: u64 = 20;

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
        loop {
            let scan = last_scan.is_none_or(|at| at.elapsed() >= self.scan_every);
            let busy = match self.round(scan).await {
                Ok(ran) => {
                    if scan {
                        last_scan = Some(tokio::time::Instant::now());
                    }
                    ran > 0
                }
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "a worker round failed; retrying");
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
            let new = notifications::scan(&self.db, now).await?;
            if new > 0 {
                tracing::info!(new, "notifications due");
            }
        }
        let claimed = jobs::claim(&self.db, &self.id, now, CLAIM).await?;
        let ran = claimed.len();
        for job in claimed {
            match self.execute(&job.kind, &job.payload).await {
                Ok(()) => jobs::complete(&self.db, job.id, self.clock.now()).await?,
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
        notifications::mark_emailed(&self.db, id, self.clock.now()).await?;
        Ok(())
    }
}

/// The id a job's payload names under `field`.
fn id_in(payload: &Value, field: &str) -> anyhow::Result<Uuid> {
    payload[field]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("a job payload without a valid {field}"))
}

//! A durable job queue on the service's own database, the way graphile-worker, Oban and River
//! keep theirs on PostgreSQL.
//!
//! A job has a kind, a JSON payload and a time it may run at. Workers claim due jobs in one
//! statement (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`, so two
//! workers never claim the same job; SQLite has one writer at a time and needs no lock clause),
//! run them, and mark them `done`, or, on failure, queue them again after an exponential backoff
//! until `max_attempts`, after which they are `dead` (the dead-letter state, listed for a
//! platform ADMIN, who may retry them). A job whose worker died while running it (held longer
//! than [`STALE_AFTER`]) is queued again. Enqueueing with a `unique_key` already there does
//! nothing, so work found by several replicas at once is queued once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, sea_query::OnConflict,
};
use serde_json::Value;
use uuid::Uuid;

use crate::{Error, Result, auth::Actor, entities::job, types::Role};

/// Attempts before a job is dead, unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 5;

/// A running job held longer than this is taken to have lost its worker.
pub const STALE_AFTER: Duration = Duration::minutes(10);

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Failed `max_attempts` times: kept for an operator to look at and retry.
    Dead,
}

impl JobState {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Running, Self::Done, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

/// Work to queue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: Value,
    pub unique_key: Option<String>,
    pub run_at: DateTime<Utc>,
}

/// Queues jobs; those whose `unique_key` is queued already are skipped. Returns how many were
/// new.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    jobs: Vec<NewJob>,
    now: DateTime<Utc>,
) -> Result<u64> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let rows = jobs.into_iter().map(|job| job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(job.kind.to_owned()),
        payload: Set(job.payload),
        unique_key: Set(job.unique_key),
        state: Set(JobState::Queued.as_str().to_owned()),
        run_at: Set(job.run_at),
        attempts: Set(0),
        max_attempts: Set(DEFAULT_MAX_ATTEMPTS),
        last_error: Set(None),
        locked_by: Set(None),
        locked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    });
    let inserted = job::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(job::Column::UniqueKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted)
}

/// Claims up to `limit` due jobs for `worker`: they are `running`, held by it, one attempt
/// more.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<job::Model>> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_at = $2, \
           attempts = attempts + 1, updated_at = $2 \
         WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $2 \
           ORDER BY run_at LIMIT $3{lock}) \
         RETURNING *"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(
        job::Model::find_by_statement(Statement::from_sql_and_values(
            backend,
            sql,
            [worker.into(), now.into(), limit.into()],
        ))
        .all(db)
        .await?,
    )
}

/// Marks a claimed job done.
pub async fn complete(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::State, JobState::Done.as_str().into())
        .col_expr(job::Column::LockedBy, Option::<String>::None.into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// How long a job waits after its `attempts`-th failure: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds(30 * 2_i64.pow(exponent)).min(Duration::hours(1))
}

/// Records a claimed job's failure: queued again after [`backoff`], or `dead` after its last
/// attempt. Returns the state it is in now.
pub async fn fail(
    db: &impl ConnectionTrait,
    job: &job::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<JobState> {
    let state = if job.attempts >= job.max_attempts {
        JobState::Dead
    } else {
        JobState::Queued
    };
    let error: String = error.chars().take(2_000).collect();
    job::Entity::update_many()
        .col_expr(job::Column::State, state.as_str().into())
        .col_expr(job::Column::LastError, Some(error).into())
        .col_expr(job::Column::RunAt, (now + backoff(job.attempts)).into())
        .col_expr(job::Column::LockedBy, Option::<String>::None.into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Id.eq(job.id))
        .exec(db)
        .await?;
    Ok(state)
}

/// Queues again the jobs whose worker has held them longer than [`STALE_AFTER`] (it died, or
/// lost the database). Returns how many.
pub async fn recover_stale(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::State, JobState::Queued.as_str().into())
        .col_expr(job::Column::LockedBy, Option::<String>::None.into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::State.eq(JobState::Running.as_str()))
        .filter(job::Column::LockedAt.lt(now - STALE_AFTER))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Queues again the jobs `worker` still holds, at the start of its first round after one that
/// failed (the database went away under it): it runs none of them any more. The interrupted
/// attempt is given back, since an outage is not the job's failure, and the job may run at once.
/// Returns how many.
pub async fn release(db: &impl ConnectionTrait, worker: &str, now: DateTime<Utc>) -> Result<u64> {
    use sea_orm::sea_query::{Expr, ExprTrait as _};
    let result = job::Entity::update_many()
        .col_expr(job::Column::State, JobState::Queued.as_str().into())
        .col_expr(job::Column::LockedBy, Option::<String>::None.into())
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).sub(1),
        )
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::State.eq(JobState::Running.as_str()))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// How many jobs are in each state, for `/metrics`.
pub async fn counts(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    #[derive(FromQueryResult)]
    struct Row {
        state: String,
        jobs: i64,
    }
    let rows = Row::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT state, COUNT(*) AS jobs FROM jobs GROUP BY state",
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.state, row.jobs)).collect())
}

fn require_platform_admin(actor: &Actor) -> Result<()> {
    if actor.is_platform(Role::Admin) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "the job queue is for platform administrators",
        ))
    }
}

/// The dead jobs, newest first (a platform ADMIN).
pub async fn dead(db: &impl ConnectionTrait, actor: &Actor, limit: u64) -> Result<Vec<job::Model>> {
    require_platform_admin(actor)?;
    Ok(job::Entity::find()
        .filter(job::Column::State.eq(JobState::Dead.as_str()))
        .order_by_desc(job::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Queues a dead job again, with fresh attempts (a platform ADMIN); audited.
pub async fn retry(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<job::Model> {
    require_platform_admin(actor)?;
    let found = job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("job"))?;
    if found.state != JobState::Dead.as_str() {
        return Err(Error::Conflict {
            field: "id",
            message: format!(
                "only a dead job can be retried; this one is {}",
                found.state
            ),
        });
    }
    let retried = job::Entity::update_many()
        .col_expr(job::Column::State, JobState::Queued.as_str().into())
        .col_expr(job::Column::Attempts, 0.into())
        .col_expr(job::Column::RunAt, now.into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(JobState::Dead.as_str()))
        .exec(db)
        .await?;
    if retried.rows_affected == 0 {
        return Err(Error::Conflict {
            field: "id",
            message: "the job was retried meanwhile".into(),
        });
    }
    crate::audit::record(
        db,
        Some(actor.id()),
        "job.retried",
        crate::audit::Target::Job(id),
        serde_json::json!({ "kind": &found.kind, "lastError": &found.last_error }),
    )
    .await?;
    // As it was queued (a worker may claim it at once).
    Ok(job::Model {
        state: JobState::Queued.as_str().to_owned(),
        attempts: 0,
        run_at: now,
        updated_at: now,
        ..found
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_half_a_minute_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(8), Duration::hours(1));
        assert_eq!(backoff(50), Duration::hours(1));
    }
}

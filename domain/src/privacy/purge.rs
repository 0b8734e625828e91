//! The retention purge (GDPR Art. 5(1)(e)): applies each authority's [`Retention`] to the
//! personal data of its staff, in batches of [`BATCH`] rows, each batch its own short
//! transaction, so a large backlog never holds long locks and an interrupted purge resumes
//! where it stopped. It is idempotent: what is gone stays gone, and a second run the same day
//! finds nothing more.
//!
//! What it removes, per authority (the staff's authority is the top-level unit of their org
//! unit):
//! - the answers of attempts scored more than `attempt_answers_months` ago (the score,
//!   pass/fail and verified levels stay, as after an erasure);
//! - self-assessed levels given more than `self_assessments_months` ago (and the current
//!   level they made, if no later one replaced it);
//! - notifications made more than `notifications_months` ago;
//! - audit events older than `audit_events_months` (events of no authority: the default);
//! - accounts disabled more than `disabled_accounts_months` ago are erased
//!   ([`super::erase_for_retention`]).
//!
//! Each authority's purge that removed anything is recorded in its audit trail
//! (`retention.purged`, with the counts, no names).
//!
//! The background worker queues it once a day ([`PURGE`]); `govskills purge` runs it from a
//! cron job where no worker runs.

use chrono::{DateTime, Months, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::policy::{self, Retention};
use crate::{
    Result,
    audit::{self, Target},
    entities::{
        attempt, attempt_question, audit_event, competence_level, competence_result,
        competence_result::ResultSource, notification, org_unit, user,
    },
    jobs::NewJob,
};

/// The job kind of the daily purge.
pub const PURGE: &str = "privacy.purge";

/// Rows one batch removes at most.
pub const BATCH: u64 = 500;

/// What a purge removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Attempts whose answers were deleted.
    pub attempt_answers: u64,
    pub self_assessments: u64,
    pub notifications: u64,
    pub audit_events: u64,
    /// Disabled accounts erased.
    pub accounts_erased: u64,
}

impl Purged {
    /// Each kind with its count, for logs and metrics.
    pub fn kinds(&self) -> [(&'static str, u64); 5] {
        [
            ("attempt_answers", self.attempt_answers),
            ("self_assessments", self.self_assessments),
            ("notifications", self.notifications),
            ("audit_events", self.audit_events),
            ("accounts_erased", self.accounts_erased),
        ]
    }

    fn add(&mut self, other: Self) {
        self.attempt_answers += other.attempt_answers;
        self.self_assessments += other.self_assessments;
        self.notifications += other.notifications;
        self.audit_events += other.audit_events;
        self.accounts_erased += other.accounts_erased;
    }
}

/// The day's purge job (once a day across replicas: the queue's unique key).
pub fn daily_job(now: DateTime<Utc>) -> NewJob {
    NewJob {
        kind: PURGE,
        payload: serde_json::json!({}),
        unique_key: Some(format!("{PURGE}:{}", now.date_naive())),
        run_at: now,
    }
}

/// `months` before `now`.
fn cutoff(now: DateTime<Utc>, months: i32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months.unsigned_abs()))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Applies every authority's retention policy as of `now`.
pub async fn run(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Purged> {
    let authorities = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.is_null())
        .all(db)
        .await?;
    let mut purged = Purged::default();
    for authority in authorities {
        let retention = policy::row(db, authority.id)
            .await?
            .map_or(Retention::DEFAULT, |row| Retention::of(&row));
        let removed = purge_authority(db, &authority.path, &retention, now).await?;
        if removed != Purged::default() {
            // The authority's evidence that its policy is applied.
            audit::record(
                db,
                None,
                "retention.purged",
                Target::OrgUnit(authority.id),
                serde_json::Value::Object(
                    removed
                        .kinds()
                        .into_iter()
                        .map(|(kind, count)| (kind.to_owned(), count.into()))
                        .collect(),
                ),
            )
            .await?;
        }
        purged.add(removed);
    }
    // Events of no authority (platform-wide things) keep the default period.
    let platform_events_before = cutoff(now, Retention::DEFAULT.audit_events_months);
    purged.audit_events += batched(|| {
        delete_batch::<audit_event::Entity>(
            db,
            audit_event::Column::Id,
            Condition::all()
                .add(audit_event::Column::OrgUnitId.is_null())
                .add(audit_event::Column::CreatedAt.lt(platform_events_before)),
        )
    })
    .await?;
    Ok(purged)
}

/// Runs `step` until a batch removes fewer than [`BATCH`] rows; the total removed.
async fn batched<F, Fut>(mut step: F) -> Result<u64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u64>>,
{
    let mut total = 0;
    loop {
        let removed = step().await?;
        total += removed;
        if removed < BATCH {
            return Ok(total);
        }
    }
}

/// A subquery of the ids of the org units of the authority whose path is `prefix`.
fn units_of(prefix: &str) -> sea_orm::sea_query::SelectStatement {
    let upper = format!("{}0", prefix.trim_end_matches('/'));
    Query::select()
        .column(org_unit::Column::Id)
        .from(org_unit::Entity)
        .and_where(org_unit::Column::Path.gte(prefix))
        .and_where(org_unit::Column::Path.lt(upper))
        .to_owned()
}

/// A subquery of the ids of the accounts of the authority whose path is `prefix`.
fn staff_of(prefix: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::OrgUnitId.in_subquery(units_of(prefix)))
        .to_owned()
}

async fn purge_authority(
    db: &DatabaseConnection,
    prefix: &str,
    retention: &Retention,
    now: DateTime<Utc>,
) -> Result<Purged> {
    let answers_before = cutoff(now, retention.attempt_answers_months);
    let attempt_answers = batched(|| async move {
        let with_answers = Query::select()
            .column(attempt_question::Column::AttemptId)
            .from(attempt_question::Entity)
            .and_where(attempt_question::Column::Answer.is_not_null())
            .to_owned();
        let ids = batch_of_ids::<attempt::Entity>(
            db,
            attempt::Column::Id,
            Condition::all()
                .add(attempt::Column::UserId.in_subquery(staff_of(prefix)))
                .add(attempt::Column::SubmittedAt.lt(answers_before))
                .add(attempt::Column::Id.in_subquery(with_answers)),
        )
        .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        attempt_question::Entity::update_many()
            .col_expr(
                attempt_question::Column::Answer,
                Expr::value(Option::<String>::None),
            )
            .filter(attempt_question::Column::AttemptId.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
        Ok(ids.len() as u64)
    })
    .await?;

    let ratings_before = cutoff(now, retention.self_assessments_months);
    let self_assessments = batched(|| async move {
        let ids = batch_of_ids::<competence_result::Entity>(
            db,
            competence_result::Column::Id,
            Condition::all()
                .add(competence_result::Column::UserId.in_subquery(staff_of(prefix)))
                .add(competence_result::Column::Source.eq(ResultSource::SelfAssessed))
                .add(competence_result::Column::CreatedAt.lt(ratings_before)),
        )
        .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let txn = crate::db::begin(db).await?;
        // A current level a purged self-assessment made goes with it.
        competence_level::Entity::delete_many()
            .filter(competence_level::Column::Verified.eq(false))
            .filter(competence_level::Column::ResultId.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
        let removed = competence_result::Entity::delete_many()
            .filter(competence_result::Column::Id.is_in(ids))
            .exec(&txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        Ok(removed)
    })
    .await?;

    let notifications_before = cutoff(now, retention.notifications_months);
    let notifications = batched(|| {
        delete_batch::<notification::Entity>(
            db,
            notification::Column::Id,
            Condition::all()
                .add(notification::Column::UserId.in_subquery(staff_of(prefix)))
                .add(notification::Column::CreatedAt.lt(notifications_before)),
        )
    })
    .await?;

    let events_before = cutoff(now, retention.audit_events_months);
    let audit_events = batched(|| {
        delete_batch::<audit_event::Entity>(
            db,
            audit_event::Column::Id,
            Condition::all()
                .add(audit_event::Column::OrgUnitId.in_subquery(units_of(prefix)))
                .add(audit_event::Column::CreatedAt.lt(events_before)),
        )
    })
    .await?;

    let disabled_before = cutoff(now, retention.disabled_accounts_months);
    let expired: Vec<Uuid> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrgUnitId.in_subquery(units_of(prefix)))
        .filter(user::Column::Status.eq(user::UserStatus::Disabled))
        .filter(user::Column::ErasedAt.is_null())
        .filter(user::Column::DisabledAt.lt(disabled_before))
        .into_tuple()
        .all(db)
        .await?;
    let mut accounts_erased = 0;
    for user_id in expired {
        if super::erase_for_retention(db, user_id, now).await? {
            accounts_erased += 1;
        }
    }

    Ok(Purged {
        attempt_answers,
        self_assessments,
        notifications,
        audit_events,
        accounts_erased,
    })
}

/// Up to [`BATCH`] ids (the UUID column `id`) of the rows of `E` that `filter` selects.
async fn batch_of_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    filter: Condition,
) -> Result<Vec<Uuid>> {
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(filter)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?)
}

/// Deletes up to [`BATCH`] rows of `E` that `filter` selects; how many it deleted.
async fn delete_batch<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    filter: Condition,
) -> Result<u64> {
    let ids = batch_of_ids::<E>(db, id, filter).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(E::delete_many()
        .filter(id.is_in(ids))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn cutoffs_are_calendar_months_back() {
        let now = Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).unwrap();
        assert_eq!(
            cutoff(now, 1),
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap()
        );
        assert_eq!(
            cutoff(now, 72),
            Utc.with_ymd_and_hms(2020, 3, 31, 12, 0, 0).unwrap()
        );
    }

    #[test]
    fn the_daily_job_is_unique_per_day() {
        let morning = Utc.with_ymd_and_hms(2026, 12, 6, 1, 0, 0).unwrap();
        let evening = Utc.with_ymd_and_hms(2026, 12, 6, 23, 0, 0).unwrap();
        let next = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 1).unwrap();
        assert_eq!(daily_job(morning).unique_key, daily_job(evening).unique_key);
        assert_ne!(daily_job(morning).unique_key, daily_job(next).unique_key);
    }
}

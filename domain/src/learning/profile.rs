//! The competence profile (current and required levels, gaps), self-assessment, and the one
//! writer of results and current levels, `record_results`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict, Query},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    competences,
    entities::{
        competence, competence_level,
        competence_result::{self, ResultSource},
    },
    job_roles,
    people::LearningDataAccess,
    privacy::policy::HrPersonView,
};

/// One competence of a learner's profile.
#[derive(Clone, Debug)]
pub struct ProfileEntry {
    pub competence: competence::Model,
    /// The latest verified result, else the latest self-assessment.
    pub current: Option<competence_result::Model>,
    /// What the learner's job role requires.
    pub required: Option<i32>,
}

impl ProfileEntry {
    /// The current level (0 without one).
    pub fn current_level(&self) -> i32 {
        self.current.as_ref().map_or(0, |result| result.level)
    }

    /// How far the current level falls short of the required one (never negative).
    pub fn gap(&self) -> i32 {
        (self.required.unwrap_or(0) - self.current_level()).max(0)
    }
}

/// A person's competence profile: every competence of the frameworks in use (the platform's
/// default framework, DigComp 2.2, for everyone; those the person's job role requires; those
/// they have results for), with the current level, the required level and the gap, areas in
/// their order, competences in area order ([`competences::competences_in_use`]); three
/// statements. Who may read whose profile is the caller's decision.
pub async fn profile(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<ProfileEntry>> {
    let requirements = job_roles::requirements_of_user(db, user_id);
    // The current result of each competence, as `competence_levels` holds it (see
    // `record_results`), rather than the whole history ranked again here.
    let results = async {
        Ok(competence_result::Entity::find()
            .filter(
                competence_result::Column::Id.in_subquery(
                    Query::select()
                        .column(competence_level::Column::ResultId)
                        .from(competence_level::Entity)
                        .and_where(competence_level::Column::UserId.eq(user_id))
                        .to_owned(),
                ),
            )
            .all(db)
            .await?)
    };
    let (requirements, results) = tokio::try_join!(requirements, results)?;
    let mut used: Vec<Uuid> = requirements
        .iter()
        .map(|r| r.competence_id)
        .chain(results.iter().map(|r| r.competence_id))
        .collect();
    used.sort();
    used.dedup();
    let entries = competences::competences_in_use(db, &used)
        .await?
        .into_iter()
        .map(|competence| {
            let current = results
                .iter()
                .find(|r| r.competence_id == competence.id)
                .cloned();
            let required = requirements
                .iter()
                .filter(|r| r.competence_id == competence.id)
                .map(|r| r.level)
                .max();
            ProfileEntry {
                competence,
                current,
                required,
            }
        })
        .collect();
    Ok(entries)
}

/// The competence profile of the person `access` was granted for, as the reader may see it:
/// [`profile`], except that under [`HrPersonView::PassFail`] (HR or an administrator reading
/// someone else's profile in an authority whose staff council limits them to completion and
/// pass/fail) a competence whose current level is only a self-assessment shows no current
/// level, and its gap counts from 0, as if the person had not rated themselves. Verified levels
/// (demonstrated by passing an assessment at a level's mastery threshold, or recorded by HR)
/// stay: they are what a passed assessment shows.
pub async fn profile_for(
    db: &impl ConnectionTrait,
    access: &LearningDataAccess,
) -> Result<Vec<ProfileEntry>> {
    let mut entries = profile(db, access.user_id()).await?;
    if access.view() == HrPersonView::PassFail {
        for entry in &mut entries {
            if entry
                .current
                .as_ref()
                .is_some_and(|result| result.source == ResultSource::SelfAssessed)
            {
                entry.current = None;
            }
        }
    }
    Ok(entries)
}

/// Records results of one user (each a competence and a level) from one source (with the
/// attempt they come from, for assessment results), and updates
/// their current levels (`competence_levels`): a verified result always becomes current; a
/// self-assessment only where nothing verified is current. Every writer of results goes
/// through here, so the current levels never disagree with the history. Call it inside the
/// transaction of the change that produced the results.
pub async fn record_results(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    results: &[(Uuid, i32)],
    source: ResultSource,
    attempt_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let rows: Vec<competence_result::ActiveModel> = results
        .iter()
        .map(|(competence_id, level)| competence_result::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            competence_id: Set(*competence_id),
            level: Set(*level),
            source: Set(source),
            attempt_id: Set(attempt_id),
            created_at: Set(now),
        })
        .collect();
    let verified = source != ResultSource::SelfAssessed;
    let levels = rows.iter().map(|row| competence_level::ActiveModel {
        user_id: row.user_id.clone(),
        competence_id: row.competence_id.clone(),
        level: row.level.clone(),
        verified: Set(verified),
        result_id: row.id.clone(),
        updated_at: Set(now),
    });
    let levels: Vec<_> = levels.collect();
    competence_result::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    competence_level::Entity::insert_many(levels)
        .on_conflict(
            OnConflict::columns([
                competence_level::Column::UserId,
                competence_level::Column::CompetenceId,
            ])
            .update_columns([
                competence_level::Column::Level,
                competence_level::Column::Verified,
                competence_level::Column::ResultId,
                competence_level::Column::UpdatedAt,
            ])
            // A self-assessment never replaces a verified level.
            .action_and_where(Expr::cust(
                "excluded.verified OR NOT competence_levels.verified",
            ))
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Derives the current level of every (user, competence) that has results but no current
/// level yet, from the history: for bulk loads (`scale`), which write results directly.
pub async fn derive_missing_levels(txn: &impl ConnectionTrait) -> Result<()> {
    txn.execute_unprepared(
        "INSERT INTO competence_levels \
           (user_id, competence_id, level, verified, result_id, updated_at) \
         SELECT user_id, competence_id, level, verified, id, created_at FROM ( \
           SELECT r.id, r.user_id, r.competence_id, r.level, r.created_at, \
             r.source <> 'self_assessed' AS verified, \
             ROW_NUMBER() OVER ( \
               PARTITION BY r.user_id, r.competence_id \
               ORDER BY CASE WHEN r.source = 'self_assessed' THEN 0 ELSE 1 END DESC, \
                 r.created_at DESC, r.id DESC \
             ) AS rn \
           FROM competence_results r \
           WHERE NOT EXISTS (SELECT 1 FROM competence_levels l \
             WHERE l.user_id = r.user_id AND l.competence_id = r.competence_id) \
         ) ranked WHERE rn = 1",
    )
    .await?;
    Ok(())
}

/// Records the actor's own ratings (each within its framework's level range) and returns the
/// updated profile. Self-ratings count only where no verified result exists.
pub async fn submit_self_assessment(
    db: &DatabaseConnection,
    actor: &Actor,
    ratings: Vec<(Uuid, i32)>,
) -> Result<Vec<ProfileEntry>> {
    if ratings.is_empty() {
        return Err(Error::invalid("ratings", "rate at least one competence"));
    }
    competences::check_levels(db, "ratings", &ratings).await?;
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    record_results(
        &txn,
        actor.id(),
        &ratings,
        ResultSource::SelfAssessed,
        None,
        now,
    )
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "competence.self_assessed",
        Target::User(actor.id()),
        json!({ "ratings": ratings.iter().map(|(id, level)| json!({ "competenceId": id, "level": level })).collect::<Vec<_>>() }),
    )
    .await?;
    txn.commit().await?;
    profile(db, actor.id()).await
}

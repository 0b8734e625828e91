//! Whether a rollout's staff will be ready on go-live day.
//!
//! A person is ready when every requirement is met: their verified level of the competence (an
//! assessment or a manual rating; a self-assessment does not count) is at least the required
//! one, or, where the rollout says so, they completed a rollout course that teaches it. Of
//! those not ready, everyone is `Overdue` once the training due day has passed; before that,
//! those with lesson progress or a completed rollout course are `InTraining`, the rest
//! `NotStarted`.
//!
//! Every figure comes from a fixed number of statements whatever the number of affected staff:
//! the database decides per person and counts; Rust folds the few aggregate rows. The minimum
//! group size is the one of the HR reports ([`crate::reports::suppression`]): a rollout whose
//! org unit the authority's staff pattern withholds shows no figures at all; sub-units that
//! pattern suppresses, or with fewer affected people than the minimum, and their complements,
//! show none, and lists that name people leave their members out.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Value,
};
use serde_json::json;
use uuid::Uuid;

use super::{RolloutStatus, find_managed, record_snapshot, training_due_on};
use crate::{
    Result,
    audit::{self, Target},
    auth::Actor,
    entities::{org_unit, rollout, rollout_job_role, rollout_snapshot, rollout_unit},
    org,
    reports::{Group, PageRequest, SEGMENT, Suppression, statement},
};

/// Where a person not yet ready stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonStatus {
    Ready,
    InTraining,
    NotStarted,
    Overdue,
}

/// Whether the rollout is expected to reach its target by go-live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outlook {
    OnTrack,
    AtRisk,
}

/// The `WITH affected AS (...)` clause: `affected (user_id, org_unit_id, display_name, path)`,
/// the active people the rollout affects (or only `only`), leaving out the subtrees at `hidden`
/// paths. Reads the rollout's units and job roles (two statements). Parameters are numbered
/// from `$1` in the order they appear; the caller appends its own after them.
pub(crate) async fn affected_cte(
    db: &impl ConnectionTrait,
    rollout: &rollout::Model,
    only: Option<Uuid>,
    hidden: &[String],
) -> Result<(String, Vec<Value>)> {
    let units = rollout_unit::Entity::find()
        .filter(rollout_unit::Column::RolloutId.eq(rollout.id))
        .all(db)
        .await?;
    let has_roles = rollout_job_role::Entity::find()
        .filter(rollout_job_role::Column::RolloutId.eq(rollout.id))
        .one(db)
        .await?
        .is_some();
    let mut values: Vec<Value> = Vec::new();
    let param = |values: &mut Vec<Value>, value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    let range = |path: &str| (path.to_owned(), format!("{}0", path.trim_end_matches('/')));
    let mut unit_conditions = Vec::new();
    if units.is_empty() {
        let home = org::find(db, rollout.org_unit_id).await?;
        let (lower, upper) = range(&home.path);
        let (lower, upper) = (
            param(&mut values, lower.into()),
            param(&mut values, upper.into()),
        );
        unit_conditions.push(format!("(o.path >= {lower} AND o.path < {upper})"));
    } else {
        let models =
            org::find_many(db, &units.iter().map(|u| u.org_unit_id).collect::<Vec<_>>()).await?;
        for unit in &units {
            let Some(model) = models.iter().find(|m| m.id == unit.org_unit_id) else {
                continue;
            };
            if unit.include_subunits {
                let (lower, upper) = range(&model.path);
                let (lower, upper) = (
                    param(&mut values, lower.into()),
                    param(&mut values, upper.into()),
                );
                unit_conditions.push(format!("(o.path >= {lower} AND o.path < {upper})"));
            } else {
                let id = param(&mut values, model.id.into());
                unit_conditions.push(format!("o.id = {id}"));
            }
        }
        if unit_conditions.is_empty() {
            unit_conditions.push("1 = 0".to_owned());
        }
    }
    let mut sql = format!(
        "WITH affected AS ( \
           SELECT u.id AS user_id, u.org_unit_id AS org_unit_id, u.display_name AS display_name, \
             o.path AS path \
           FROM users u JOIN org_units o ON o.id = u.org_unit_id \
           WHERE u.status = 'active' AND ({})",
        unit_conditions.join(" OR ")
    );
    if has_roles {
        let id = param(&mut values, rollout.id.into());
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM user_job_roles uj \
               JOIN rollout_job_roles rj ON rj.job_role_id = uj.job_role_id \
               WHERE uj.user_id = u.id AND rj.rollout_id = {id})"
        ));
    }
    if let Some(user_id) = only {
        let id = param(&mut values, user_id.into());
        sql.push_str(&format!(" AND u.id = {id}"));
    }
    for path in hidden {
        let (lower, upper) = range(path);
        let (lower, upper) = (
            param(&mut values, lower.into()),
            param(&mut values, upper.into()),
        );
        sql.push_str(&format!(
            " AND NOT (o.path >= {lower} AND o.path < {upper})"
        ));
    }
    sql.push_str(" )");
    Ok((sql, values))
}

/// `affected`, then `pr (user_id, path, org_unit_id, display_name, competence_id, required,
/// level, met)`, one row per person and requirement. The rollout's id is the last parameter.
async fn requirement_cte(
    db: &impl ConnectionTrait,
    rollout: &rollout::Model,
    hidden: &[String],
) -> Result<(String, Vec<Value>)> {
    let (affected, mut values) = affected_cte(db, rollout, None, hidden).await?;
    values.push(rollout.id.into());
    let r = format!("${}", values.len());
    let by_courses = if rollout.ready_by_courses {
        "OR EXISTS (SELECT 1 FROM enrollments e \
           JOIN rollout_courses rc ON rc.course_id = e.course_id AND rc.rollout_id = r.rollout_id \
           JOIN course_competences cc \
             ON cc.course_id = e.course_id AND cc.competence_id = r.competence_id \
           WHERE e.user_id = a.user_id AND e.status = 'completed')"
    } else {
        ""
    };
    let sql = format!(
        "{affected}, \
         pr AS ( \
           SELECT a.user_id, a.path, a.org_unit_id, a.display_name, r.competence_id, \
             r.level AS required, COALESCE(l.level, 0) AS level, \
             CASE WHEN COALESCE(l.level, 0) >= r.level {by_courses} THEN 1 ELSE 0 END AS met \
           FROM affected a \
           JOIN rollout_requirements r ON r.rollout_id = {r} \
           LEFT JOIN competence_levels l \
             ON l.user_id = a.user_id AND l.competence_id = r.competence_id AND l.verified \
         )"
    );
    Ok((sql, values))
}

/// [`requirement_cte`], then `person (user_id, path, org_unit_id, display_name, ready,
/// started)`, one row per person. The rollout's id is the last parameter.
///
/// A person's name and unit come along from `affected`, so that a page of people needs no
/// join with `users` after the grouping (PostgreSQL misjudges how many rows the grouping
/// leaves and joined them by nested loops: 0.9 s at 100,000 staff).
async fn person_cte(
    db: &impl ConnectionTrait,
    rollout: &rollout::Model,
    hidden: &[String],
) -> Result<(String, Vec<Value>)> {
    let (requirements, values) = requirement_cte(db, rollout, hidden).await?;
    let r = format!("${}", values.len());
    let sql = format!(
        "{requirements}, \
         person AS ( \
           SELECT p.user_id, p.path, p.org_unit_id, p.display_name, MIN(p.met) AS ready, \
             CASE WHEN EXISTS ( \
               SELECT 1 FROM enrollments e \
               JOIN rollout_courses rc ON rc.course_id = e.course_id AND rc.rollout_id = {r} \
               WHERE e.user_id = p.user_id AND (e.status = 'completed' OR EXISTS ( \
                 SELECT 1 FROM lesson_progress lp WHERE lp.enrollment_id = e.id))) \
             THEN 1 ELSE 0 END AS started \
           FROM pr p GROUP BY p.user_id, p.path, p.org_unit_id, p.display_name \
         )"
    );
    Ok((sql, values))
}

/// Counts per direct sub-unit (keyed by its path; the unit itself by its own path).
#[derive(Clone, Debug)]
struct UnitRow {
    unit_path: String,
    affected: i64,
    ready: i64,
    started: i64,
}

/// The counts per direct sub-unit of `unit` and per requirement, from one evaluation of every
/// affected person against every requirement: one statement, whose rows are of either kind.
async fn figure_rows(
    db: &impl ConnectionTrait,
    rollout: &rollout::Model,
    unit: &org_unit::Model,
) -> Result<(Vec<UnitRow>, Vec<CompetenceReadiness>)> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        unit_path: Option<String>,
        competence_id: Option<Uuid>,
        required: i32,
        affected: i64,
        ready: i64,
        started: i64,
        below: i64,
        shortfall: i64,
    }
    let (cte, mut values) = person_cte(db, rollout, &[]).await?;
    values.push(
        i32::try_from(unit.path.len() + SEGMENT)
            .unwrap_or(i32::MAX)
            .into(),
    );
    let sql = format!(
        "{cte} \
         SELECT substr(path, 1, ${}) AS unit_path, NULL AS competence_id, 0 AS required, \
           COUNT(*) AS affected, COALESCE(SUM(ready), 0) AS ready, \
           COALESCE(SUM(CASE WHEN ready = 0 AND started = 1 THEN 1 ELSE 0 END), 0) AS started, \
           0 AS below, 0 AS shortfall \
         FROM person GROUP BY 1 \
         UNION ALL \
         SELECT NULL, competence_id, MIN(required), 0, 0, 0, COALESCE(SUM(1 - met), 0), \
           COALESCE(SUM(CASE WHEN met = 0 AND required > level THEN required - level \
             ELSE 0 END), 0) \
         FROM pr GROUP BY competence_id",
        values.len()
    );
    let mut units = Vec::new();
    let mut competences = Vec::new();
    for row in Row::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?
    {
        match (row.unit_path, row.competence_id) {
            (Some(unit_path), _) => units.push(UnitRow {
                unit_path,
                affected: row.affected,
                ready: row.ready,
                started: row.started,
            }),
            (None, Some(competence_id)) => competences.push(CompetenceReadiness {
                competence_id,
                required: row.required,
                below: row.below,
                shortfall: row.shortfall,
            }),
            (None, None) => {}
        }
    }
    Ok((units, competences))
}

/// How many are affected and how many ready.
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    pub affected: i64,
    pub ready: i64,
    pub in_training: i64,
    pub not_started: i64,
    pub overdue: i64,
}

impl Totals {
    fn of<'a>(rows: impl Iterator<Item = &'a UnitRow>, overdue: bool) -> Self {
        let mut totals = Self::default();
        for row in rows {
            totals.affected += row.affected;
            totals.ready += row.ready;
            let not_ready = row.affected - row.ready;
            if overdue {
                totals.overdue += not_ready;
            } else {
                totals.in_training += row.started;
                totals.not_started += not_ready - row.started;
            }
        }
        totals
    }

    /// Ready, in percent of affected (0 when nobody is affected).
    pub fn ready_percent(&self) -> f64 {
        percent(self.ready, self.affected)
    }
}

/// `part` in percent of `whole` (0 when `whole` is).
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        #[expect(clippy::cast_precision_loss, reason = "head counts are far below 2^52")]
        let value = part as f64 * 100.0 / whole as f64;
        value
    }
}

/// Whether the training due day of `rollout` has passed on `today`.
fn is_overdue(rollout: &rollout::Model, today: NaiveDate) -> bool {
    today > training_due_on(rollout)
}

/// The rollout's totals now (three statements).
pub(crate) async fn totals(
    db: &impl ConnectionTrait,
    rollout: &rollout::Model,
    now: DateTime<Utc>,
) -> Result<Totals> {
    let unit = org::find(db, rollout.org_unit_id).await?;
    let (rows, _) = figure_rows(db, rollout, &unit).await?;
    Ok(Totals::of(
        rows.iter(),
        is_overdue(rollout, now.date_naive()),
    ))
}

/// One requirement across the affected staff.
#[derive(Clone, Debug)]
pub struct CompetenceReadiness {
    pub competence_id: Uuid,
    pub required: i32,
    /// People who do not meet it.
    pub below: i64,
    /// The sum of the levels missing, among those who do not meet it.
    pub shortfall: i64,
}

impl CompetenceReadiness {
    /// The average number of levels missing among those below (0 when nobody is).
    pub fn average_shortfall(&self) -> f64 {
        if self.below == 0 {
            0.0
        } else {
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            let value = self.shortfall as f64 / self.below as f64;
            value
        }
    }
}

/// A direct sub-unit's affected and ready people.
#[derive(Clone, Copy, Debug)]
pub struct SubunitCounts {
    pub affected: i64,
    pub ready: i64,
}

/// A direct sub-unit's readiness.
#[derive(Clone, Debug)]
pub struct SubunitReadiness {
    pub unit: org_unit::Model,
    /// Its counts, unless its group is suppressed.
    pub counts: Group<SubunitCounts>,
}

/// The figures of a rollout's readiness.
#[derive(Clone, Debug)]
pub struct Figures {
    pub totals: Totals,
    pub competences: Vec<CompetenceReadiness>,
    pub subunits: Vec<SubunitReadiness>,
    /// One snapshot per day, oldest first (today's included).
    pub history: Vec<rollout_snapshot::Model>,
    /// Expected readiness on go-live day at the rate since the first snapshot.
    pub projected_percent: f64,
    pub outlook: Outlook,
}

/// A rollout's readiness.
#[derive(Clone, Debug)]
pub struct Readiness {
    pub rollout: rollout::Model,
    /// Suppressed when the minimum group size withholds the rollout's org unit.
    pub figures: Group<Figures>,
    /// Paths of the sub-units too small to show, whose members lists leave out.
    small: Vec<String>,
}

/// The readiness of a rollout the actor manages (HR or ADMIN covering its unit), with today's
/// snapshot recorded, under the minimum group size of its authority
/// (`platform_min_group_size` where it has none of its own). A fixed number of statements
/// whatever the number of affected staff.
pub async fn readiness(
    db: &impl ConnectionTrait,
    actor: &Actor,
    rollout_id: Uuid,
    platform_min_group_size: u32,
    now: DateTime<Utc>,
) -> Result<Readiness> {
    let (rollout, unit) = find_managed(db, actor, rollout_id).await?;
    let suppression = Suppression::load(db, &unit, true, platform_min_group_size).await?;
    let today = now.date_naive();
    let (rows, mut competences) = figure_rows(db, &rollout, &unit).await?;
    let totals = Totals::of(rows.iter(), is_overdue(&rollout, today));
    if RolloutStatus::of(&rollout)?.is_running() {
        record_snapshot(db, rollout.id, totals.affected, totals.ready, now).await?;
    }
    if suppression.pattern.report {
        return Ok(Readiness {
            rollout,
            figures: Group::Suppressed,
            small: Vec::new(),
        });
    }

    competences.sort_by(|a, b| {
        b.below
            .cmp(&a.below)
            .then(a.competence_id.cmp(&b.competence_id))
    });

    let mut children = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(unit.id))
        .all(db)
        .await?;
    children.sort_by(|a, b| a.name.cmp(&b.name));
    // The group of a cell is its affected people as well as its staff.
    let affected: Vec<(String, i64)> = rows
        .iter()
        .map(|row| (row.unit_path.clone(), row.affected))
        .collect();
    let small = suppression.subunits_by(&unit.path, &affected);
    let subunits = children
        .into_iter()
        .map(|child| {
            let row = rows.iter().find(|row| row.unit_path == child.path);
            let counts = Group::new(small.contains(&child.path), || SubunitCounts {
                affected: row.map_or(0, |row| row.affected),
                ready: row.map_or(0, |row| row.ready),
            });
            SubunitReadiness {
                unit: child,
                counts,
            }
        })
        .collect();

    let history = rollout_snapshot::Entity::find()
        .filter(rollout_snapshot::Column::RolloutId.eq(rollout.id))
        .order_by_asc(rollout_snapshot::Column::Day)
        .all(db)
        .await?;
    let projected_percent = project(&rollout, &history, totals.ready_percent(), today);
    let outlook = if projected_percent >= f64::from(rollout.readiness_target)
        || totals.ready_percent() >= f64::from(rollout.readiness_target)
    {
        Outlook::OnTrack
    } else {
        Outlook::AtRisk
    };
    Ok(Readiness {
        rollout,
        figures: Group::Shown(Figures {
            totals,
            competences,
            subunits,
            history,
            projected_percent,
            outlook,
        }),
        small,
    })
}

/// The readiness expected on go-live day: today's, plus the daily gain since the first
/// snapshot for each day left (never below today's, never above 100).
fn project(
    rollout: &rollout::Model,
    history: &[rollout_snapshot::Model],
    now_percent: f64,
    today: NaiveDate,
) -> f64 {
    let days_left = (rollout.go_live_on - today).num_days().max(0);
    let Some(first) = history.first() else {
        return now_percent;
    };
    let elapsed = (today - first.day).num_days();
    if elapsed <= 0 || days_left == 0 {
        return now_percent;
    }
    let first_percent = percent(i64::from(first.ready), i64::from(first.affected));
    #[expect(clippy::cast_precision_loss, reason = "day counts are small")]
    let rate = ((now_percent - first_percent) / elapsed as f64).max(0.0);
    #[expect(clippy::cast_precision_loss, reason = "day counts are small")]
    let projected = now_percent + rate * days_left as f64;
    projected.min(100.0)
}

/// A person not yet ready, with what they miss.
#[derive(Clone, Debug)]
pub struct NotReady {
    pub user_id: Uuid,
    pub display_name: String,
    pub org_unit_id: Uuid,
    pub status: PersonStatus,
    /// The requirements not met: competence and required level.
    pub missing: Vec<(Uuid, i32)>,
}

/// One page of the people not ready, by name, leaving out members of sub-units too small to
/// show (nobody when the figures are withheld). Names people, so the read is audited.
pub async fn not_ready(
    db: &impl ConnectionTrait,
    actor: &Actor,
    readiness: &Readiness,
    page: PageRequest,
    now: DateTime<Utc>,
) -> Result<Vec<NotReady>> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        user_id: Uuid,
        display_name: String,
        org_unit_id: Uuid,
        started: i32,
    }
    #[derive(Debug, FromQueryResult)]
    struct MissingRow {
        user_id: Uuid,
        competence_id: Uuid,
        required: i32,
    }
    if readiness.figures.is_suppressed() {
        return Ok(Vec::new());
    }
    let rollout = &readiness.rollout;
    let (cte, mut values) = person_cte(db, rollout, &readiness.small).await?;
    values.push(i64::try_from(page.first).unwrap_or(i64::MAX).into());
    values.push(i64::try_from(page.offset).unwrap_or(i64::MAX).into());
    let sql = format!(
        "{cte} SELECT user_id, display_name, org_unit_id, started FROM person \
         WHERE ready = 0 ORDER BY display_name, user_id LIMIT ${} OFFSET ${}",
        values.len() - 1,
        values.len()
    );
    let rows = Row::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?;

    let mut missing: HashMap<Uuid, Vec<(Uuid, i32)>> = HashMap::new();
    if !rows.is_empty() {
        // Without `person`, PostgreSQL reads `pr` only for these people instead of writing it
        // out for everyone first.
        let (cte, mut values) = requirement_cte(db, rollout, &readiness.small).await?;
        let first = values.len() + 1;
        let placeholders: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, _)| format!("${}", first + i))
            .collect();
        values.extend(rows.iter().map(|row| Value::from(row.user_id)));
        let sql = format!(
            "{cte} SELECT user_id, competence_id, required FROM pr \
             WHERE met = 0 AND user_id IN ({}) ORDER BY competence_id",
            placeholders.join(", ")
        );
        for row in MissingRow::find_by_statement(statement(db, sql, values))
            .all(db)
            .await?
        {
            missing
                .entry(row.user_id)
                .or_default()
                .push((row.competence_id, row.required));
        }
    }
    let overdue = is_overdue(rollout, now.date_naive());
    let people: Vec<NotReady> = rows
        .into_iter()
        .map(|row| NotReady {
            status: if overdue {
                PersonStatus::Overdue
            } else if row.started == 1 {
                PersonStatus::InTraining
            } else {
                PersonStatus::NotStarted
            },
            missing: missing.remove(&row.user_id).unwrap_or_default(),
            user_id: row.user_id,
            display_name: row.display_name,
            org_unit_id: row.org_unit_id,
        })
        .collect();
    audit::record(
        db,
        Some(actor.id()),
        "rollout.not_ready_listed",
        Target::Rollout(rollout.id),
        json!({
            "offset": page.offset,
            "listed": people.iter().map(|p| p.user_id).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(people)
}

/// A ready person, for the access-gate list.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ReadyPerson {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub org_unit: String,
}

/// Everyone affected who is ready, by name, for the team that grants access on go-live day
/// (HR or ADMIN covering the rollout's unit). Names people: audited.
pub async fn access_gate(
    db: &impl ConnectionTrait,
    actor: &Actor,
    rollout_id: Uuid,
) -> Result<(rollout::Model, Vec<ReadyPerson>)> {
    let (rollout, _) = find_managed(db, actor, rollout_id).await?;
    let (cte, values) = person_cte(db, &rollout, &[]).await?;
    let sql = format!(
        "{cte} SELECT p.user_id, u.display_name, u.email, o.name AS org_unit \
         FROM person p JOIN users u ON u.id = p.user_id \
         JOIN org_units o ON o.id = u.org_unit_id \
         WHERE p.ready = 1 ORDER BY u.display_name, p.user_id"
    );
    let people = ReadyPerson::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?;
    audit::record(
        db,
        Some(actor.id()),
        "rollout.access_gate_exported",
        Target::Rollout(rollout.id),
        json!({ "ready": people.len() }),
    )
    .await?;
    Ok((rollout, people))
}

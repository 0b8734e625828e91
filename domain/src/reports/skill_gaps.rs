//! The skill-gap report: how far the staff of an org unit fall short of the levels their job
//! roles require.
//!
//! For every person in scope and every competence their job role requires (archived
//! competences left out): the *current level* is the latest verified result (assessment or
//! manual), else the latest self-assessment, else 0, exactly as in the learner's own profile
//! ([`crate::learning::profile`]), read from `competence_levels`, which holds it ready
//! ([`crate::learning::record_results`]) so that no report ranks the result history; the *gap*
//! is the required level minus the current level, never negative. "Without a verified result"
//! counts those whose current level is a self-assessment or nothing.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use super::{Group, PageRequest, Scope, find_framework, headcounts, staff_cte, statement};
use crate::{
    Result,
    audit::{self, Target},
    auth::Actor,
    entities::{competence_framework, org_unit},
};

/// One competence's figures over a group of staff.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompetenceGap {
    pub competence_id: Uuid,
    /// Staff whose job role requires this competence.
    pub staff_with_requirement: i64,
    /// How many of them are at each current level (0: no result), by level.
    pub levels: BTreeMap<i32, i64>,
    /// How many are below their required level.
    pub below_required: i64,
    /// The sum of the shortfalls of those below.
    pub total_shortfall: i64,
    /// How many have no verified result.
    pub without_verified_result: i64,
}

impl CompetenceGap {
    /// By how many levels those below fall short, on average (`None` when nobody is below).
    pub fn average_shortfall(&self) -> Option<f64> {
        (self.below_required > 0).then(|| self.total_shortfall as f64 / self.below_required as f64)
    }

    fn add(&mut self, row: &Row) {
        self.staff_with_requirement += row.staff;
        *self.levels.entry(row.current_level).or_default() += row.staff;
        self.below_required += row.below;
        self.total_shortfall += row.shortfall;
        self.without_verified_result += row.unverified;
    }
}

/// A direct sub-unit's part of the report.
#[derive(Clone, Debug)]
pub struct SubunitGaps {
    pub unit: org_unit::Model,
    pub staff: i64,
    pub competences: Group<Vec<CompetenceGap>>,
}

/// A skill-gap report asked for: its scope and framework, checked. Its parts are computed
/// separately ([`aggregates`], [`largest_gaps`], [`detail_rows`]), so a client asking only for
/// the staff list does not pay for the aggregates. Suppressed sub-units (the scope's, by staff)
/// show no figures and none of their members by name; a withheld scope shows nothing.
#[derive(Clone, Debug)]
pub struct SkillGapReport {
    pub scope: Scope,
    pub framework: Option<competence_framework::Model>,
}

impl SkillGapReport {
    /// Checks the framework (an unknown one is `NotFound`).
    pub async fn new(
        db: &impl ConnectionTrait,
        scope: Scope,
        framework_id: Option<Uuid>,
    ) -> Result<Self> {
        Ok(Self {
            scope,
            framework: find_framework(db, framework_id).await?,
        })
    }

    /// The scope of the lists that name people: without the members of suppressed sub-units.
    fn naming_people(&self) -> Scope {
        self.scope.naming_people(self.scope.suppressed_subunits())
    }

    fn framework_id(&self) -> Option<Uuid> {
        self.framework.as_ref().map(|f| f.id)
    }
}

/// The figures of a skill-gap report.
#[derive(Clone, Debug)]
pub struct Aggregates {
    /// Active staff in scope, with or without a job role.
    pub staff: i64,
    pub competences: Vec<CompetenceGap>,
    pub subunits: Vec<SubunitGaps>,
}

/// A person with a gap, for the list of those who most need training.
#[derive(Clone, Debug, FromQueryResult)]
pub struct StaffGap {
    pub user_id: Uuid,
    pub display_name: String,
    pub org_unit_id: Uuid,
    /// The sum of their gaps over the competences in the report.
    pub total_gap: i64,
    /// In how many competences they are below the required level.
    pub competences_below: i64,
}

/// One row of the detailed export: a person and one required competence.
#[derive(Clone, Debug, FromQueryResult)]
pub struct StaffCompetenceGap {
    pub display_name: String,
    pub org_unit_name: String,
    pub competence_code: String,
    pub competence_name: String,
    pub required: i32,
    pub current_level: i32,
    pub verified: bool,
    pub gap: i32,
}

/// Aggregates per (unit key, competence, current level).
#[derive(Debug, FromQueryResult)]
struct Row {
    unit_path: String,
    competence_id: Uuid,
    current_level: i32,
    staff: i64,
    below: i64,
    shortfall: i64,
    unverified: i64,
}

/// The `WITH` clause behind every part of the report: `staff`, then `gaps (user_id,
/// org_unit_id, path, competence_id, required, current_level, verified, gap)` with one row per
/// person in scope and competence their job role requires. Parameters: `$1`, `$2` and, with a
/// framework, `$3`. With `verified_only`, a self-assessed level counts as none (for rows that
/// name people under the staff council's pass/fail setting). `competences` says which
/// competences count: those in use (the report's) or the archived ones.
fn gaps_cte(
    scope: &Scope,
    framework_id: Option<Uuid>,
    verified_only: bool,
    competences: Competences,
) -> (String, Vec<Value>) {
    let (staff, mut values) = staff_cte(scope);
    let framework = match framework_id {
        Some(id) => {
            values.push(id.into());
            "AND c.framework_id = $3"
        }
        None => "",
    };
    let verified = if verified_only { "AND l.verified" } else { "" };
    let archived = match competences {
        Competences::InUse => "IS NULL",
        Competences::Archived => "IS NOT NULL",
    };
    let sql = format!(
        "{staff}, \
         gaps AS ( \
           SELECT s.user_id, s.org_unit_id, s.path, r.competence_id, r.level AS required, \
             COALESCE(l.level, 0) AS current_level, \
             CASE WHEN l.verified THEN 1 ELSE 0 END AS verified, \
             CASE WHEN r.level > COALESCE(l.level, 0) \
               THEN r.level - COALESCE(l.level, 0) ELSE 0 END AS gap \
           FROM staff s \
           JOIN user_job_roles uj ON uj.user_id = s.user_id \
           JOIN job_role_requirements r ON r.job_role_id = uj.job_role_id \
           JOIN competences c ON c.id = r.competence_id \
           LEFT JOIN competence_levels l \
             ON l.user_id = s.user_id AND l.competence_id = r.competence_id {verified} \
           WHERE c.archived_at {archived} {framework} \
         )"
    );
    (sql, values)
}

/// Which competences [`gaps_cte`] lists.
#[derive(Clone, Copy, Debug)]
enum Competences {
    InUse,
    Archived,
}

/// The figures of the skill-gap report (three statements, whatever the staff count; none for
/// a withheld scope), summed from `skill_gap_counts`, which the database keeps per unit,
/// competence and current level as the data changes (migration 000023), so that a ministry's
/// figures cost about a hundred counters per unit instead of a join of every person with every
/// requirement and level. Suppressed sub-units show none.
pub async fn aggregates(
    db: &impl ConnectionTrait,
    report: &SkillGapReport,
) -> Result<Group<Aggregates>> {
    let scope = &report.scope;
    if scope.suppressed() {
        return Ok(Group::Suppressed);
    }
    let suppressed = scope.suppressed_subunits();
    let (lower, upper) = scope.path_range();
    let mut values: Vec<Value> = vec![lower.into(), upper.into(), scope.unit.id.into()];
    let framework = match report.framework_id() {
        Some(id) => {
            values.push(id.into());
            "AND c.framework_id = $4"
        }
        None => "",
    };
    let units = scope.units_condition();
    // Each unit's counters go to the direct sub-unit it lies under, or to the unit's own
    // members (`[path, path + "0")` is the unit alone). Grouping by those few cells (rather
    // than by a prefix of every unit's path) lets PostgreSQL see how few groups there are and
    // sum them in a hash table instead of sorting all the counters on disk.
    let subunits = if scope.include_subunits {
        "SELECT path, rtrim(path, '/') || '0' AS upper FROM org_units WHERE parent_id = $3 \
         UNION ALL "
    } else {
        ""
    };
    let sql = format!(
        "SELECT s.path AS unit_path, k.competence_id, k.current_level, \
           CAST(SUM(k.staff) AS BIGINT) AS staff, CAST(SUM(k.below) AS BIGINT) AS below, \
           CAST(SUM(k.shortfall) AS BIGINT) AS shortfall, \
           CAST(SUM(k.unverified) AS BIGINT) AS unverified \
         FROM ({subunits}SELECT path, path || '0' AS upper FROM org_units WHERE id = $3) s \
         JOIN org_units o ON o.path >= s.path AND o.path < s.upper \
         JOIN skill_gap_counts k ON k.org_unit_id = o.id \
         JOIN competences c ON c.id = k.competence_id \
         WHERE {units} AND c.archived_at IS NULL {framework} \
         GROUP BY 1, 2, 3 HAVING SUM(k.staff) <> 0"
    );
    let rows = Row::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?;
    let headcounts = headcounts(db, scope).await?;
    let subunits = scope.subunits(db).await?;

    let fold = |rows: &mut dyn Iterator<Item = &Row>| {
        let mut by_competence: BTreeMap<Uuid, CompetenceGap> = BTreeMap::new();
        for row in rows {
            by_competence
                .entry(row.competence_id)
                .or_insert_with(|| CompetenceGap {
                    competence_id: row.competence_id,
                    ..Default::default()
                })
                .add(row);
        }
        by_competence.into_values().collect::<Vec<_>>()
    };
    let competences = fold(&mut rows.iter());
    let staff = headcounts.iter().map(|(_, staff)| staff).sum();
    let subunits = subunits
        .into_iter()
        .map(|unit| {
            let staff = headcounts
                .iter()
                .find(|(path, _)| *path == unit.path)
                .map_or(0, |(_, staff)| *staff);
            let competences = Group::new(suppressed.contains(&unit.path), || {
                fold(&mut rows.iter().filter(|row| row.unit_path == unit.path))
            });
            SubunitGaps {
                unit,
                staff,
                competences,
            }
        })
        .collect();
    Ok(Group::Shown(Aggregates {
        staff,
        competences,
        subunits,
    }))
}

/// The staff with the largest total gaps, largest first (ties by name), one page; members of
/// suppressed sub-units are not listed, and a withheld scope lists nobody. The totals come
/// from `skill_gap_totals`, which the database keeps per person as the data changes
/// (migration 000024), so a ministry's page sums about one row per person. This names people,
/// so the read is recorded as an audit event.
pub async fn largest_gaps(
    db: &impl ConnectionTrait,
    actor: &Actor,
    report: &SkillGapReport,
    page: PageRequest,
) -> Result<Vec<StaffGap>> {
    if report.scope.suppressed() {
        return Ok(Vec::new());
    }
    let framework_id = report.framework_id();
    // Under the staff council's pass/fail setting a self-assessment neither ranks nor shows.
    let view = crate::privacy::person_view::of_report(db, &report.scope).await?;
    let verified_only = view == crate::privacy::policy::HrPersonView::PassFail;
    // The totals the database keeps per person count archived competences too; their live
    // gaps (usually none) are taken away.
    let scope = report.naming_people();
    let (cte, mut values) = gaps_cte(&scope, framework_id, verified_only, Competences::Archived);
    let (gap, below) = if verified_only {
        ("verified_gap", "verified_below")
    } else {
        ("total_gap", "below")
    };
    let framework = if framework_id.is_some() {
        " AND t.framework_id = $3"
    } else {
        ""
    };
    let units = scope.units_condition();
    let limit = values.len() + 1;
    // The total of the page's last person: only those at or above it need their names (for
    // the order by name among equal totals), a few hundred instead of everyone.
    values.extend(page.values());
    let sql = format!(
        "{cte}, \
         archived AS ( \
           SELECT user_id, SUM(gap) AS gap, SUM(CASE WHEN gap > 0 THEN 1 ELSE 0 END) AS below \
           FROM gaps GROUP BY user_id \
         ), \
         totals AS MATERIALIZED ( \
           SELECT t.user_id, SUM(t.{gap}) - COALESCE(MIN(a.gap), 0) AS total_gap, \
             SUM(t.{below}) - COALESCE(MIN(a.below), 0) AS competences_below \
           FROM skill_gap_totals t JOIN org_units o ON o.id = t.org_unit_id \
           LEFT JOIN archived a ON a.user_id = t.user_id \
           WHERE {units}{framework} \
           GROUP BY t.user_id \
         ), \
         last AS (SELECT total_gap FROM totals ORDER BY total_gap DESC LIMIT 1 OFFSET ${cut}) \
         SELECT t.user_id, u.display_name, u.org_unit_id, t.total_gap, t.competences_below \
         FROM totals t JOIN users u ON u.id = t.user_id \
         WHERE t.total_gap > 0 AND t.total_gap >= COALESCE((SELECT total_gap FROM last), 0) \
         ORDER BY t.total_gap DESC, u.display_name, t.user_id \
         LIMIT ${limit} OFFSET ${offset}",
        offset = limit + 1,
        cut = limit + 2,
    );
    let staff = StaffGap::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?;
    audit::record(
        db,
        Some(actor.id()),
        "report.staff_read",
        Target::OrgUnit(report.scope.unit.id),
        json!({
            "report": "skillGaps",
            "includeSubunits": report.scope.include_subunits,
            "frameworkId": framework_id,
            "offset": page.offset,
            "people": staff.len(),
        }),
    )
    .await?;
    Ok(staff)
}

/// Every person's gap in every required competence, for the CSV export, ordered by unit, name
/// and competence; members of suppressed sub-units are left out, as in [`largest_gaps`]; a
/// withheld scope is `Conflict`. A stream, so the export never holds the whole report in
/// memory.
pub async fn detail_rows<'a, C: ConnectionTrait + sea_orm::StreamTrait>(
    db: &'a C,
    actor: &Actor,
    report: &SkillGapReport,
) -> Result<impl futures_util::Stream<Item = Result<StaffCompetenceGap, sea_orm::DbErr>> + Send + 'a>
{
    let (scope, framework_id) = (&report.scope, report.framework_id());
    scope.require_shown()?;
    let (cte, values) = gaps_cte(
        &report.naming_people(),
        framework_id,
        false,
        Competences::InUse,
    );
    let sql = format!(
        "{cte} SELECT u.display_name, o.name AS org_unit_name, c.code AS competence_code, \
           c.name AS competence_name, g.required, g.current_level, \
           CASE WHEN g.verified = 1 THEN TRUE ELSE FALSE END AS verified, g.gap \
         FROM gaps g JOIN users u ON u.id = g.user_id \
         JOIN org_units o ON o.id = g.org_unit_id \
         JOIN competences c ON c.id = g.competence_id \
         ORDER BY o.name, u.display_name, g.user_id, c.code"
    );
    audit::record(
        db,
        Some(actor.id()),
        "report.staff_read",
        Target::OrgUnit(scope.unit.id),
        json!({
            "report": "skillGaps",
            "export": "csv",
            "includeSubunits": scope.include_subunits,
            "frameworkId": framework_id,
        }),
    )
    .await?;
    Ok(
        StaffCompetenceGap::find_by_statement(statement(db, sql, values))
            .stream(db)
            .await?,
    )
}

/// A table that database triggers keep as rows of differences (migrations 000023 and 000024):
/// its name, the columns of its key and its figures.
struct Differences {
    table: &'static str,
    key: &'static [&'static str],
    figures: &'static [&'static str],
}

const COUNTS: Differences = Differences {
    table: "skill_gap_counts",
    key: &["org_unit_id", "competence_id", "current_level"],
    figures: &["staff", "below", "shortfall", "unverified"],
};

const TOTALS: Differences = Differences {
    table: "skill_gap_totals",
    key: &["user_id", "org_unit_id", "framework_id"],
    figures: &["total_gap", "below", "verified_gap", "verified_below"],
};

/// Folds the rows of each key of `skill_gap_counts` and of `skill_gap_totals` into one (the
/// triggers only ever insert differences, see migrations 000023 and 000024) and drops keys
/// whose figures are all zero. Sums are unchanged, so readers see the same figures before,
/// during and after; folding at the same time on several replicas is safe (on PostgreSQL each
/// row is deleted, and summed, by one of them). Run by the worker's scan.
pub async fn fold_counts(db: &DatabaseConnection) -> Result<()> {
    fold(db, &COUNTS).await?;
    fold(db, &TOTALS).await
}

async fn fold(db: &DatabaseConnection, differences: &Differences) -> Result<()> {
    let table = differences.table;
    let key = differences.key.join(", ");
    let columns = format!("{key}, {}", differences.figures.join(", "));
    let each = |template: fn(&str) -> String, separator: &str| {
        let parts: Vec<String> = differences.figures.iter().map(|f| template(f)).collect();
        parts.join(separator)
    };
    let sums = each(|figure| format!("SUM({figure})"), ", ");
    let not_zero = each(|figure| format!("SUM({figure}) <> 0"), " OR ");
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!(
            "WITH gone AS ( \
               DELETE FROM {table} WHERE ({key}) IN ( \
                 SELECT {key} FROM {table} GROUP BY {key} HAVING COUNT(*) > 1) \
               RETURNING * \
             ) \
             INSERT INTO {table} ({columns}) \
             SELECT {key}, {sums} FROM gone GROUP BY {key} HAVING {not_zero}"
        ))
        .await?;
        return Ok(());
    }
    // SQLite has one writer at a time: the rows there before are summed into new rows (with
    // higher row ids), then removed.
    let txn = crate::db::begin(db).await?;
    let last = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT COALESCE(MAX(rowid), 0) AS last FROM {table}"),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "last"))
        .transpose()?
        .unwrap_or(0);
    let folded = format!(
        "rowid <= {last} AND ({key}) IN (SELECT {key} FROM {table} \
         WHERE rowid <= {last} GROUP BY {key} HAVING COUNT(*) > 1)"
    );
    txn.execute_unprepared(&format!(
        "INSERT INTO {table} ({columns}) \
         SELECT {key}, {sums} FROM {table} WHERE {folded} \
         GROUP BY {key} HAVING {not_zero}"
    ))
    .await?;
    txn.execute_unprepared(&format!("DELETE FROM {table} WHERE {folded}"))
        .await?;
    txn.commit().await?;
    Ok(())
}

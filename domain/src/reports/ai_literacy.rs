//! The AI-literacy report: the evidence an administration shows for Article 4 of the EU AI Act.
//!
//! It covers the staff in scope whose job role uses AI systems: flagged `usesAiSystems`, or linked
//! to a system in the authority's AI register that is not retired. Each of them has one status, the
//! first that applies:
//!
//! 1. `Certified`: holds a certificate of a template that attests AI literacy, neither revoked
//!    nor expired.
//! 2. `Overdue`: has an open assignment (by HR, not completed) of a course that such a template
//!    requires, past its due date.
//! 3. `Assigned`: has such an assignment, not yet due (or without a due date).
//! 4. `Missing`: none of these: nothing is under way.
//!
//! An expired or revoked certificate counts as none; so does a course completed without the
//! rest of the template's criteria (the certificate is what counts).
//!
//! The figures and the list of the uncertified read the facts the database keeps per person
//! (`ai_literacy_people`, migration 000025, kept by triggers) and work each status out at the
//! report's time; the export works it out from the live tables, so the two check each other
//! (`tests/tests/api/ai_literacy_facts.rs`).

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt as _};
use sea_orm::{ConnectionTrait, FromQueryResult, StreamTrait, Value};
use serde_json::json;
use uuid::Uuid;

use super::{
    Group, PageRequest, Scope, authority_range, counts_per_unit, staff_cte, statement,
    suppressed_error, suppression::Pattern, units_in_range,
};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    entities::org_unit,
};

/// Where a person using AI systems stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Certified,
    Overdue,
    Assigned,
    Missing,
}

impl Status {
    fn parse(raw: &str) -> Result<Self> {
        match raw {
            "certified" => Ok(Self::Certified),
            "overdue" => Ok(Self::Overdue),
            "assigned" => Ok(Self::Assigned),
            "missing" => Ok(Self::Missing),
            other => Err(Error::Internal(anyhow::anyhow!(
                "unknown AI-literacy status {other:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certified => "certified",
            Self::Overdue => "overdue",
            Self::Assigned => "assigned",
            Self::Missing => "missing",
        }
    }
}

/// How many people using AI systems are at each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub certified: i64,
    pub overdue: i64,
    pub assigned: i64,
    pub missing: i64,
}

impl Counts {
    /// Everyone using AI systems.
    pub fn total(&self) -> i64 {
        self.certified + self.overdue + self.assigned + self.missing
    }

    fn add(&mut self, status: Status, n: i64) {
        match status {
            Status::Certified => self.certified += n,
            Status::Overdue => self.overdue += n,
            Status::Assigned => self.assigned += n,
            Status::Missing => self.missing += n,
        }
    }
}

/// A direct sub-unit's part of the report.
#[derive(Clone, Debug)]
pub struct SubunitCounts {
    pub unit: org_unit::Model,
    pub counts: Group<Counts>,
}

/// The figures of a report.
#[derive(Clone, Debug)]
pub struct Figures {
    pub counts: Counts,
    pub subunits: Vec<SubunitCounts>,
}

/// The report over a scope.
#[derive(Clone, Debug)]
pub struct AiLiteracyReport {
    pub scope: Scope,
    pub now: DateTime<Utc>,
    /// Suppressed when the whole report is withheld.
    pub figures: Group<Figures>,
    /// Paths of the sub-units whose counts are suppressed: the lists leave their members out.
    hidden: Vec<String>,
}

impl AiLiteracyReport {
    /// Checks that the report is not withheld (else `Conflict`), before an export.
    pub fn require_shown(&self) -> Result<()> {
        if self.figures.is_suppressed() {
            return Err(suppressed_error(self.scope.min_group_size()));
        }
        Ok(())
    }
}

/// A person using AI systems and their status (in [`uncertified`], never `Certified`).
#[derive(Clone, Debug)]
pub struct Uncertified {
    pub user_id: Uuid,
    pub display_name: String,
    pub org_unit_id: Uuid,
    pub org_unit_name: String,
    pub job_role: String,
    pub status: Status,
    /// The earliest due date of their open assignments, if any.
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, FromQueryResult)]
struct PersonRow {
    user_id: Uuid,
    display_name: String,
    org_unit_id: Uuid,
    org_unit_name: String,
    job_role: String,
    status: String,
    due_at: Option<DateTime<Utc>>,
}

impl TryFrom<PersonRow> for Uncertified {
    type Error = Error;

    fn try_from(row: PersonRow) -> Result<Self> {
        Ok(Self {
            status: Status::parse(&row.status)?,
            user_id: row.user_id,
            display_name: row.display_name,
            org_unit_id: row.org_unit_id,
            org_unit_name: row.org_unit_name,
            job_role: row.job_role,
            due_at: row.due_at,
        })
    }
}

/// `ai_roles (id, name)`: the job roles that use AI systems: flagged, or linked to a system in
/// the AI register that is not retired. No parameters.
const AI_ROLES: &str = "ai_roles AS ( \
       SELECT j.id, j.name FROM job_roles j \
       WHERE j.uses_ai_systems OR EXISTS ( \
         SELECT 1 FROM ai_system_uses au JOIN ai_systems sy ON sy.id = au.ai_system_id \
         WHERE au.job_role_id = j.id AND sy.status <> 'retired') \
     )";

/// After `staff`: `ai (user_id, org_unit_id, path, job_role)`, one row per person in `staff`
/// whose job role uses AI systems. No parameters.
const AI_CTE: &str = "ai AS ( \
       SELECT s.user_id, s.org_unit_id, s.path, r.name AS job_role \
       FROM staff s \
       JOIN user_job_roles uj ON uj.user_id = s.user_id \
       JOIN ai_roles r ON r.id = uj.job_role_id \
     )";

/// `staff`, then `ai_status (user_id, org_unit_id, path, job_role, status, due_at)`: one row
/// per person in scope whose job role uses AI systems, worked out from the live tables (for
/// the export, which lists everyone). Parameters `$1`, `$2` and `$3` (now).
fn status_cte(scope: &Scope, now: DateTime<Utc>) -> (String, Vec<Value>) {
    let (staff, mut values) = staff_cte(scope);
    values.push(now.into());
    let sql = format!(
        "{staff}, {AI_ROLES}, {AI_CTE}, \
         certified AS ( \
           SELECT DISTINCT c.user_id FROM certificates c \
           JOIN certificate_templates t ON t.id = c.template_id \
           WHERE t.attests_ai_literacy AND c.revoked_at IS NULL \
             AND (c.expires_at IS NULL OR c.expires_at > $3) \
         ), \
         assigned AS ( \
           SELECT e.user_id, MIN(e.due_at) AS due_at, \
             MAX(CASE WHEN e.due_at IS NOT NULL AND e.due_at < $3 THEN 1 ELSE 0 END) AS overdue \
           FROM enrollments e \
           JOIN certificate_template_courses tc ON tc.course_id = e.course_id \
           JOIN certificate_templates t ON t.id = tc.template_id \
           WHERE t.attests_ai_literacy AND e.source = 'assigned' AND e.status = 'active' \
           GROUP BY e.user_id \
         ), \
         ai_status AS ( \
           SELECT ai.user_id, ai.org_unit_id, ai.path, ai.job_role, \
             CASE WHEN cf.user_id IS NOT NULL THEN 'certified' \
               WHEN a.user_id IS NULL THEN 'missing' \
               WHEN a.overdue = 1 THEN 'overdue' ELSE 'assigned' END AS status, \
             a.due_at \
           FROM ai \
           LEFT JOIN certified cf ON cf.user_id = ai.user_id \
           LEFT JOIN assigned a ON a.user_id = ai.user_id \
         )"
    );
    (sql, values)
}

/// The rank of the status of a person `p` of `ai_literacy_people` (migration 000025) at the
/// time `$3`: 0 overdue, 1 missing, 2 assigned, 3 certified; the order of the lists.
const RANK: &str = "CASE WHEN p.certified_forever OR p.certified_until > $3 THEN 3 \
     WHEN NOT p.assigned THEN 1 \
     WHEN p.earliest_due < $3 THEN 0 ELSE 2 END";

/// The status of a rank of [`RANK`], as [`Status::parse`] reads it.
const STATUS_OF_RANK: &str = "CASE status_rank WHEN 0 THEN 'overdue' WHEN 1 THEN 'missing' \
     WHEN 2 THEN 'assigned' ELSE 'certified' END";

/// `ai_roles`, then `people (user_id, org_unit_id, job_role, status_rank, due_at)`: the people
/// whose job role uses AI systems in the units `o` meeting `units` (the path range `$1`, `$2`),
/// with their status's [`RANK`] at the time `$3`, from the facts the database keeps per person
/// (migration 000025).
fn people_cte(units: &str) -> String {
    format!(
        "WITH {AI_ROLES}, people AS ( \
           SELECT p.user_id, p.org_unit_id, r.name AS job_role, {RANK} AS status_rank, \
             p.earliest_due AS due_at \
           FROM ai_literacy_people p JOIN ai_roles r ON r.id = p.job_role_id \
           WHERE p.org_unit_id IN (SELECT o.id FROM org_units o WHERE {units}) \
         )"
    )
}

/// The counts of the report (two statements, whatever the staff count, and one more under a
/// minimum group size). The group of a cell is its staff using AI systems, as well as its
/// staff: fewer than the minimum and even the counts could point at a person
/// ([`Scope::pattern_for`]).
pub async fn report(
    db: &impl ConnectionTrait,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<AiLiteracyReport> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        unit_path: String,
        status: String,
        people: i64,
    }
    let pattern = if scope.min_group_size() > 0 {
        let (lower, upper) = authority_range(&scope.unit.path);
        let population = counts_per_unit(
            db,
            format!(
                "WITH {AI_ROLES} SELECT o.path, x.people FROM ( \
                   SELECT p.org_unit_id, COUNT(*) AS people \
                   FROM ai_literacy_people p JOIN ai_roles r ON r.id = p.job_role_id \
                   GROUP BY p.org_unit_id \
                 ) x JOIN org_units o ON o.id = x.org_unit_id \
                 WHERE o.path >= $1 AND o.path < $2"
            ),
            vec![lower.into(), upper.into()],
        )
        .await?;
        scope.pattern_for(&population)
    } else {
        Pattern::default()
    };
    if pattern.report {
        return Ok(AiLiteracyReport {
            scope,
            now,
            figures: Group::Suppressed,
            hidden: Vec::new(),
        });
    }
    // Counted per unit first, then per direct sub-unit: a third of the work of taking each
    // person's unit path.
    let (lower, upper) = scope.path_range();
    let values: Vec<Value> = vec![
        lower.into(),
        upper.into(),
        now.into(),
        scope.subunit_prefix_len().into(),
    ];
    let sql = format!(
        "{cte} SELECT substr(o.path, 1, $4) AS unit_path, {STATUS_OF_RANK} AS status, \
           CAST(SUM(x.people) AS BIGINT) AS people \
         FROM (SELECT org_unit_id, status_rank, COUNT(*) AS people FROM people GROUP BY 1, 2) x \
         JOIN org_units o ON o.id = x.org_unit_id \
         GROUP BY 1, 2",
        cte = people_cte(&scope.units_condition()),
    );
    let rows = Row::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?
        .into_iter()
        .map(|row| Ok((row.unit_path, Status::parse(&row.status)?, row.people)))
        .collect::<Result<Vec<_>>>()?;
    let count = |filter: &dyn Fn(&str) -> bool| {
        let mut counts = Counts::default();
        for (path, status, people) in &rows {
            if filter(path) {
                counts.add(*status, *people);
            }
        }
        counts
    };
    let counts = count(&|_| true);
    let subunits = scope
        .subunits(db)
        .await?
        .into_iter()
        .map(|unit| {
            let figures = count(&|path| path == unit.path);
            let counts = Group::new(pattern.subunits.contains(&unit.path), || figures);
            SubunitCounts { unit, counts }
        })
        .collect();
    Ok(AiLiteracyReport {
        scope,
        now,
        figures: Group::Shown(Figures { counts, subunits }),
        hidden: pattern.subunits.into_iter().collect(),
    })
}

/// One page of the uncertified people of the report (overdue first, then missing, then
/// assigned; by name), from the facts the database keeps per person.
fn page_sql(report: &AiLiteracyReport, page: PageRequest) -> (String, Vec<Value>) {
    let (lower, upper) = report.scope.path_range();
    let mut values = vec![lower.into(), upper.into(), report.now.into()];
    values.extend(page.values());
    // Members of sub-units whose counts are suppressed are not named either. Only the people
    // up to the status of the page's last one need their names (for the order by name within
    // a status): on a first page, usually the overdue alone.
    let sql = format!(
        "{cte}, \
         listed AS MATERIALIZED (SELECT * FROM people WHERE status_rank < 3), \
         last AS (SELECT status_rank FROM listed ORDER BY status_rank LIMIT 1 OFFSET $6) \
         SELECT l.user_id, u.display_name, l.org_unit_id, o.name AS org_unit_name, \
           l.job_role, {STATUS_OF_RANK} AS status, l.due_at \
         FROM listed l JOIN users u ON u.id = l.user_id \
         JOIN org_units o ON o.id = l.org_unit_id \
         WHERE l.status_rank <= COALESCE((SELECT status_rank FROM last), 2) \
         ORDER BY l.status_rank, u.display_name, l.user_id LIMIT $4 OFFSET $5",
        cte = people_cte(&units_in_range(&report.hidden)),
    );
    (sql, values)
}

/// Everyone of the report with their status, worked out from the live tables (so the export
/// also checks the facts the report counts): overdue first, then missing, then assigned, then
/// certified; by name.
fn export_sql(report: &AiLiteracyReport) -> (String, Vec<Value>) {
    // Members of sub-units whose counts are suppressed are not named either.
    let (cte, values) = status_cte(
        &report.scope.naming_people(report.hidden.clone()),
        report.now,
    );
    let sql = format!(
        "{cte} SELECT s.user_id, u.display_name, s.org_unit_id, o.name AS org_unit_name, \
           s.job_role, s.status, s.due_at \
         FROM ai_status s JOIN users u ON u.id = s.user_id \
         JOIN org_units o ON o.id = s.org_unit_id \
         ORDER BY CASE s.status WHEN 'overdue' THEN 0 WHEN 'missing' THEN 1 \
             WHEN 'assigned' THEN 2 ELSE 3 END, \
           u.display_name, s.user_id"
    );
    (sql, values)
}

async fn audit_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    report: &AiLiteracyReport,
    page: Option<PageRequest>,
) -> Result<()> {
    audit::record(
        db,
        Some(actor.id()),
        "report.staff_read",
        Target::OrgUnit(report.scope.unit.id),
        json!({
            "report": "aiLiteracy",
            "offset": page.map(|p| p.offset),
            "export": page.is_none().then_some("csv"),
        }),
    )
    .await
}

/// One page of the people using AI systems without a valid certificate (overdue first, then
/// those with nothing under way, then those assigned; by name); nobody for a withheld report.
/// Names people, so the read is recorded as an audit event.
pub async fn uncertified(
    db: &impl ConnectionTrait,
    actor: &Actor,
    report: &AiLiteracyReport,
    page: PageRequest,
) -> Result<Vec<Uncertified>> {
    if report.figures.is_suppressed() {
        return Ok(Vec::new());
    }
    let (sql, values) = page_sql(report, page);
    let people = PersonRow::find_by_statement(statement(db, sql, values))
        .all(db)
        .await?
        .into_iter()
        .map(Uncertified::try_from)
        .collect::<Result<Vec<_>>>()?;
    audit_read(db, actor, report, Some(page)).await?;
    Ok(people)
}

/// Everyone using AI systems with their status, for the CSV export: a stream, so the export
/// never holds the whole list in memory. Audited like [`uncertified`]; a withheld report is
/// `Conflict`.
pub async fn export_rows<'a, C: ConnectionTrait + StreamTrait>(
    db: &'a C,
    actor: &Actor,
    report: &AiLiteracyReport,
) -> Result<impl Stream<Item = Result<Uncertified>> + Send + 'a> {
    report.require_shown()?;
    audit_read(db, actor, report, None).await?;
    let (sql, values) = export_sql(report);
    Ok(PersonRow::find_by_statement(statement(db, sql, values))
        .stream(db)
        .await?
        .map(|row| Uncertified::try_from(row?)))
}

//! Evidence of AI literacy per person and system: which measures a person who deals with a
//! system has met, when, for which version, and their status.
//!
//! One measure is, for one person:
//! - a course: `Met` when their enrolment is completed (at or after the system's latest change
//!   that needs retraining, else `Stale`); `Overdue` or `Due` while it is assigned and open;
//!   else `Missing`;
//! - a certificate template: `Met` while they hold a valid certificate of it issued at or after
//!   that change (to the second, as issue times are kept; else `Stale`); else `Missing`. A
//!   stale certificate is renewed when the person meets its criteria again after the change
//!   (see `certificates::due`);
//! - a competence level: `Met` when their latest verified result (an assessment or a manual
//!   rating; a self-assessment does not count) is at least the level; else `Missing`. A level
//!   says what a person can do, not what they learnt about one system, so a change does not
//!   make it stale;
//! - the instructions for use: `Met` when acknowledged for the current version, `Stale` when
//!   only for an earlier one, else `Missing`.
//!
//! A person's status for a system is the first that applies: `Compliant` (every measure met),
//! `Overdue` (a required course assigned and past due), `Due` (assigned, not yet due), `Stale`
//! (met only for an earlier version), `Missing`.
//!
//! [`gather`] reads everything for a scope in a fixed number of statements, whatever the
//! number of staff; [`evaluate`] decides, purely.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter};
use uuid::Uuid;

use super::{RiskClass, SystemStatus, UseKind};
use crate::{
    Result,
    entities::{ai_system, ai_system_measure, ai_system_use, org_unit},
    reports::{Scope, statement},
};

/// Where a person stands for one system, or one measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Compliant,
    Overdue,
    Due,
    Stale,
    Missing,
}

impl Status {
    pub const ALL: [Self; 5] = [
        Self::Compliant,
        Self::Overdue,
        Self::Due,
        Self::Stale,
        Self::Missing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::Overdue => "overdue",
            Self::Due => "due",
            Self::Stale => "stale",
            Self::Missing => "missing",
        }
    }

    /// How urgent: the lower, the more (a person's worst status across systems is the most
    /// urgent one).
    pub fn urgency(self) -> u8 {
        match self {
            Self::Overdue => 0,
            Self::Missing => 1,
            Self::Stale => 2,
            Self::Due => 3,
            Self::Compliant => 4,
        }
    }

    /// The more urgent of two.
    pub fn worse(self, other: Self) -> Self {
        if other.urgency() < self.urgency() {
            other
        } else {
            self
        }
    }
}

/// What one measure asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    Course(Uuid),
    Certificate(Uuid),
    Competence { competence_id: Uuid, min_level: i32 },
    Instructions,
}

impl Measure {
    /// The measure in a few words, naming its course, template or competence by `names`.
    pub fn label(&self, names: &HashMap<Uuid, String>) -> String {
        let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
        match self {
            Self::Course(id) => format!("course \"{}\"", name(id)),
            Self::Certificate(id) => format!("certificate \"{}\"", name(id)),
            Self::Competence {
                competence_id,
                min_level,
            } => format!("\"{}\" at level {min_level}", name(competence_id)),
            Self::Instructions => "instructions acknowledged".to_owned(),
        }
    }

    pub fn of(row: &ai_system_measure::Model) -> Option<Self> {
        if row.instructions {
            return Some(Self::Instructions);
        }
        if let Some(id) = row.course_id {
            return Some(Self::Course(id));
        }
        if let Some(id) = row.template_id {
            return Some(Self::Certificate(id));
        }
        Some(Self::Competence {
            competence_id: row.competence_id?,
            min_level: row.min_level?,
        })
    }
}

/// A person's enrolment in a course a measure names.
#[derive(Clone, Debug, FromQueryResult)]
pub struct EnrolmentFact {
    pub user_id: Uuid,
    pub course_id: Uuid,
    pub status: String,
    pub source: String,
    pub due_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A person's certificate of a template a measure names.
#[derive(Clone, Debug, FromQueryResult)]
pub struct CertificateFact {
    pub user_id: Uuid,
    pub template_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A person's latest verified level in a competence a measure names.
#[derive(Clone, Debug, FromQueryResult)]
pub struct LevelFact {
    pub user_id: Uuid,
    pub competence_id: Uuid,
    pub level: i32,
}

/// The newest version of a system's instructions a person acknowledged.
#[derive(Clone, Debug, FromQueryResult)]
pub struct AcknowledgementFact {
    pub user_id: Uuid,
    pub ai_system_id: Uuid,
    pub version: i32,
}

/// Someone in scope who deals with a system.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Involvement {
    pub user_id: Uuid,
    pub display_name: String,
    pub org_unit_id: Uuid,
    pub org_unit_name: String,
    pub path: String,
    pub ai_system_id: Uuid,
    pub kind: String,
    /// Whether they are linked by name (else through their job role).
    pub named: bool,
}

/// Everything the evidence of a scope rests on.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub systems: Vec<ai_system::Model>,
    pub uses: Vec<ai_system_use::Model>,
    pub measures: Vec<ai_system_measure::Model>,
    pub involvements: Vec<Involvement>,
    pub enrolments: HashMap<(Uuid, Uuid), EnrolmentFact>,
    /// By (person, template).
    pub certificates: HashMap<(Uuid, Uuid), Vec<CertificateFact>>,
    pub levels: HashMap<(Uuid, Uuid), i32>,
    pub acknowledged: HashMap<(Uuid, Uuid), i32>,
    /// The titles and names of the courses, templates and competences the measures name.
    pub names: HashMap<Uuid, String>,
}

/// How a person meets one system's measures.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub user_id: Uuid,
    pub display_name: String,
    pub org_unit_id: Uuid,
    pub org_unit_name: String,
    pub path: String,
    pub ai_system_id: Uuid,
    pub kind: UseKind,
    pub status: Status,
    /// Each measure and its status.
    pub measures: Vec<(Measure, Status)>,
    /// The earliest due date of the open assignments among them.
    pub due_at: Option<DateTime<Utc>>,
}

/// The systems of the authority `$3` that are not retired.
const LIVE: &str = "SELECT id FROM ai_systems WHERE org_unit_id = $3 AND status <> 'retired'";

/// Who deals with which live system of the authority `$3`: `(user_id, ai_system_id, kind,
/// named)`, through their job role unless they are named for that system, and as named.
fn involved() -> String {
    format!(
        "SELECT uj.user_id, au.ai_system_id, au.kind, FALSE AS named \
         FROM user_job_roles uj JOIN ai_system_uses au ON au.job_role_id = uj.job_role_id \
         WHERE au.ai_system_id IN ({LIVE}) \
           AND NOT EXISTS (SELECT 1 FROM ai_system_uses n \
             WHERE n.ai_system_id = au.ai_system_id AND n.user_id = uj.user_id) \
         UNION ALL \
         SELECT au.user_id, au.ai_system_id, au.kind, TRUE AS named \
         FROM ai_system_uses au WHERE au.user_id IS NOT NULL AND au.ai_system_id IN ({LIVE})"
    )
}

/// How many people deal with a live system of `authority`, per unit of the whole authority
/// (one statement): the groups the AI Act report's minimum group size is about.
pub(crate) async fn people_per_unit(
    db: &impl ConnectionTrait,
    scope: &Scope,
    authority: &org_unit::Model,
) -> Result<crate::reports::suppression::UnitCounts> {
    let (staff, mut values) = crate::reports::authority_staff_cte(scope);
    values.push(authority.id.into());
    crate::reports::counts_per_unit(
        db,
        format!(
            "{staff} SELECT s.path, COUNT(DISTINCT s.user_id) AS people \
             FROM staff s JOIN ({}) x ON x.user_id = s.user_id GROUP BY s.path",
            involved()
        ),
        values,
    )
    .await
}

/// Reads the facts of every system of the scope's authority and every person in scope who
/// deals with one: ten statements at most, whatever the number of staff.
pub async fn gather(
    db: &impl ConnectionTrait,
    scope: &Scope,
    authority: &org_unit::Model,
) -> Result<Facts> {
    let systems: Vec<ai_system::Model> = ai_system::Entity::find()
        .filter(ai_system::Column::OrgUnitId.eq(authority.id))
        .filter(ai_system::Column::Status.ne(SystemStatus::Retired.as_str()))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = systems.iter().map(|s| s.id).collect();
    let uses = super::uses(db, &ids).await?;
    let measures = super::measures(db, &ids).await?;
    let (staff, mut values) = crate::reports::staff_cte(scope);
    values.push(authority.id.into());
    let live = LIVE;
    // The staff of the scope written out rather than joined from `staff` (with the same
    // parameters: `$1` and `$2` the path range, `$3` the authority), so that the accounts are
    // read once for both the scope and the names: a third less time at 100,000 staff.
    let involvements = Involvement::find_by_statement(statement(
        db,
        format!(
            "SELECT u.id AS user_id, u.display_name, u.org_unit_id, o.name AS org_unit_name, \
               o.path, x.ai_system_id, x.kind, x.named \
             FROM users u JOIN org_units o ON o.id = u.org_unit_id \
             JOIN ({}) x ON x.user_id = u.id \
             WHERE u.status = 'active' AND {}",
            involved(),
            scope.units_condition(),
        ),
        values.clone(),
    ))
    .all(db)
    .await?;
    let measured = |column: &str| {
        format!(
            "SELECT {column} FROM ai_system_measures WHERE {column} IS NOT NULL \
             AND ai_system_id IN ({live})"
        )
    };
    let enrolments = EnrolmentFact::find_by_statement(statement(
        db,
        format!(
            "{staff} SELECT e.user_id, e.course_id, e.status, e.source, e.due_at, e.completed_at \
             FROM enrollments e JOIN staff s ON s.user_id = e.user_id \
             WHERE e.course_id IN ({})",
            measured("course_id")
        ),
        values.clone(),
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|fact| ((fact.user_id, fact.course_id), fact))
    .collect();
    let certificates = CertificateFact::find_by_statement(statement(
        db,
        format!(
            "{staff} SELECT c.user_id, c.template_id, c.issued_at, c.expires_at, c.revoked_at \
             FROM certificates c JOIN staff s ON s.user_id = c.user_id \
             WHERE c.template_id IN ({})",
            measured("template_id")
        ),
        values.clone(),
    ))
    .all(db)
    .await?
    .into_iter()
    .fold(HashMap::new(), |mut by_key: HashMap<_, Vec<_>>, fact| {
        by_key
            .entry((fact.user_id, fact.template_id))
            .or_default()
            .push(fact);
        by_key
    });
    let levels = LevelFact::find_by_statement(statement(
        db,
        format!(
            "{staff} SELECT r.user_id, r.competence_id, r.level \
             FROM competence_results r JOIN staff s ON s.user_id = r.user_id \
             WHERE r.source <> 'self_assessed' AND r.competence_id IN ({}) \
               AND NOT EXISTS (SELECT 1 FROM competence_results later \
                 WHERE later.user_id = r.user_id AND later.competence_id = r.competence_id \
                   AND later.source <> 'self_assessed' \
                   AND (later.created_at > r.created_at \
                     OR (later.created_at = r.created_at AND later.id > r.id)))",
            measured("competence_id")
        ),
        values.clone(),
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|fact| ((fact.user_id, fact.competence_id), fact.level))
    .collect();
    let acknowledged = AcknowledgementFact::find_by_statement(statement(
        db,
        format!(
            "{staff} SELECT a.user_id, a.ai_system_id, MAX(a.version) AS version \
             FROM ai_instruction_acknowledgements a JOIN staff s ON s.user_id = a.user_id \
             WHERE a.ai_system_id IN ({live}) GROUP BY a.user_id, a.ai_system_id"
        ),
        values,
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|fact| ((fact.user_id, fact.ai_system_id), fact.version))
    .collect();
    let mut names: HashMap<Uuid, String> = HashMap::new();
    let course_ids: Vec<Uuid> = measures.iter().filter_map(|m| m.course_id).collect();
    for course in crate::courses::courses_by_ids(db, &course_ids).await? {
        names.insert(course.id, course.title);
    }
    let template_ids: Vec<Uuid> = measures.iter().filter_map(|m| m.template_id).collect();
    for template in crate::certificates::templates_by_ids(db, &template_ids).await? {
        names.insert(template.id, template.title);
    }
    let competence_ids: Vec<Uuid> = measures.iter().filter_map(|m| m.competence_id).collect();
    for competence in crate::competences::competences_by_ids(db, &competence_ids).await? {
        names.insert(
            competence.id,
            format!("{} {}", competence.code, competence.name),
        );
    }
    Ok(Facts {
        names,
        systems,
        uses,
        measures,
        involvements,
        enrolments,
        certificates,
        levels,
        acknowledged,
    })
}

/// The evidence of every involvement in `facts`, at `now`.
pub fn evaluate(facts: &Facts, now: DateTime<Utc>) -> Vec<Evidence> {
    let systems: HashMap<Uuid, &ai_system::Model> =
        facts.systems.iter().map(|s| (s.id, s)).collect();
    facts
        .involvements
        .iter()
        .filter_map(|inv| {
            let system = systems.get(&inv.ai_system_id)?;
            let kind = UseKind::parse(&inv.kind).ok()?;
            let since = system.retraining_since;
            let fresh = |at: DateTime<Utc>| since.is_none_or(|since| at >= since);
            let mut due_at: Option<DateTime<Utc>> = None;
            let measures: Vec<(Measure, Status)> = facts
                .measures
                .iter()
                .filter(|m| m.ai_system_id == system.id && m.kind == kind.as_str())
                .filter_map(Measure::of)
                .map(|measure| {
                    let status = match &measure {
                        Measure::Course(course_id) => {
                            match facts.enrolments.get(&(inv.user_id, *course_id)) {
                                Some(e) if e.status == "completed" => match e.completed_at {
                                    Some(at) if fresh(at) => Status::Compliant,
                                    _ => Status::Stale,
                                },
                                Some(e) if e.status == "active" && e.source == "assigned" => {
                                    if let Some(due) = e.due_at {
                                        due_at = Some(due_at.map_or(due, |d| d.min(due)));
                                    }
                                    if e.due_at.is_some_and(|due| due < now) {
                                        Status::Overdue
                                    } else {
                                        Status::Due
                                    }
                                }
                                _ => Status::Missing,
                            }
                        }
                        Measure::Certificate(template_id) => {
                            let valid: Vec<&CertificateFact> = facts
                                .certificates
                                .get(&(inv.user_id, *template_id))
                                .into_iter()
                                .flatten()
                                .filter(|c| {
                                    c.revoked_at.is_none() && c.expires_at.is_none_or(|at| at > now)
                                })
                                .collect();
                            // Issue times are whole seconds: compared as the renewal
                            // rule compares them (`certificates::due::issued_since`).
                            let issued_fresh = |c: &&CertificateFact| {
                                since.is_none_or(|since| {
                                    crate::certificates::due::issued_since(c.issued_at, since)
                                })
                            };
                            if valid.iter().any(issued_fresh) {
                                Status::Compliant
                            } else if valid.is_empty() {
                                Status::Missing
                            } else {
                                Status::Stale
                            }
                        }
                        Measure::Competence {
                            competence_id,
                            min_level,
                        } => match facts.levels.get(&(inv.user_id, *competence_id)) {
                            Some(level) if level >= min_level => Status::Compliant,
                            _ => Status::Missing,
                        },
                        Measure::Instructions => {
                            match facts.acknowledged.get(&(inv.user_id, system.id)) {
                                Some(version) if *version >= system.version => Status::Compliant,
                                Some(_) => Status::Stale,
                                None => Status::Missing,
                            }
                        }
                    };
                    (measure, status)
                })
                .collect();
            let status = overall(measures.iter().map(|(_, status)| *status));
            Some(Evidence {
                user_id: inv.user_id,
                display_name: inv.display_name.clone(),
                org_unit_id: inv.org_unit_id,
                org_unit_name: inv.org_unit_name.clone(),
                path: inv.path.clone(),
                ai_system_id: system.id,
                kind,
                status,
                measures,
                due_at,
            })
        })
        .collect()
}

/// A person's status for a system from the statuses of its measures: compliant when every
/// one is met, else the first of overdue, due and stale that some measure is, else missing.
pub fn overall(measures: impl IntoIterator<Item = Status>) -> Status {
    let statuses: Vec<Status> = measures.into_iter().collect();
    if statuses.iter().all(|status| *status == Status::Compliant) {
        return Status::Compliant;
    }
    [Status::Overdue, Status::Due, Status::Stale]
        .into_iter()
        .find(|status| statuses.contains(status))
        .unwrap_or(Status::Missing)
}

/// Whether a high-risk system in use by a public authority lacks its EU database registration
/// (Art. 49(3)).
pub fn registration_missing(system: &ai_system::Model) -> bool {
    RiskClass::parse(&system.risk_class).ok() == Some(RiskClass::HighRisk)
        && system.authority_role != "provider"
        && system.status != SystemStatus::Retired.as_str()
        && system.eu_database_id.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_is_the_first_that_applies() {
        use Status::*;
        assert_eq!(overall([]), Compliant);
        assert_eq!(overall([Compliant, Compliant]), Compliant);
        assert_eq!(overall([Compliant, Due, Overdue]), Overdue);
        assert_eq!(overall([Due, Missing]), Due);
        assert_eq!(overall([Stale, Missing]), Stale);
        assert_eq!(overall([Compliant, Missing]), Missing);
        assert_eq!(Compliant.worse(Missing), Missing);
        assert_eq!(Overdue.worse(Missing), Overdue);
    }
}

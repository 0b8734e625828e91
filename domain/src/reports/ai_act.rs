//! The AI Act report: which AI systems the authority deploys, who deals with each, which
//! measures they have met, and where the gaps are (EU AI Act Art. 4, 26(2), 49(3)).
//!
//! Built from the register and the evidence ([`crate::ai_register::evidence`]): a fixed number
//! of statements whatever the number of staff, then folded in Rust. Per system: the people by
//! status, the oversight persons (how many, how many competent), whether the EU database
//! registration a high-risk system needs is there, and how many acknowledged the current
//! instructions. Per direct sub-unit: the people by their most urgent status, under the minimum
//! group size rules of the other reports, the group of a cell being its people who deal with AI
//! systems as well as its staff ([`Scope::pattern_for`]). Lists that name people are audited
//! reads.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{Group, PageRequest, Scope, suppressed_error, suppression::Pattern};
use crate::{
    Result,
    ai_register::{
        UseKind,
        evidence::{self, Evidence, Measure, Status},
    },
    audit::{self, Target},
    auth::Actor,
    entities::{ai_system, org_unit},
    org,
};

/// How many people (or person-system pairs, per system) are at each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub compliant: i64,
    pub overdue: i64,
    pub due: i64,
    pub stale: i64,
    pub missing: i64,
}

impl StatusCounts {
    pub fn total(&self) -> i64 {
        self.compliant + self.overdue + self.due + self.stale + self.missing
    }

    fn add(&mut self, status: Status) {
        match status {
            Status::Compliant => self.compliant += 1,
            Status::Overdue => self.overdue += 1,
            Status::Due => self.due += 1,
            Status::Stale => self.stale += 1,
            Status::Missing => self.missing += 1,
        }
    }
}

/// One system's part of the report.
#[derive(Clone, Debug)]
pub struct SystemFigures {
    pub system: ai_system::Model,
    /// The people in scope who deal with it, by status.
    pub counts: StatusCounts,
    /// People linked as `OVERSIGHT`, and how many of them meet every measure.
    pub oversight: i64,
    pub oversight_competent: i64,
    /// A high-risk system a public authority deploys without its EU database registration.
    pub registration_missing: bool,
    /// People who must acknowledge the instructions, and those who did for the current version.
    pub instructions_required: i64,
    pub instructions_acknowledged: i64,
}

/// A direct sub-unit's part of the report.
#[derive(Clone, Debug)]
pub struct SubunitFigures {
    pub unit: org_unit::Model,
    pub counts: Group<StatusCounts>,
}

/// The figures of a report.
#[derive(Clone, Debug)]
pub struct Figures {
    pub systems: Vec<SystemFigures>,
    /// The people in scope who deal with any system, by their most urgent status.
    pub counts: StatusCounts,
    pub subunits: Vec<SubunitFigures>,
}

/// The report over a scope.
#[derive(Clone, Debug)]
pub struct AiActReport {
    pub scope: Scope,
    pub now: DateTime<Utc>,
    /// Suppressed when the whole report is withheld.
    pub figures: Group<Figures>,
    /// Every person-system pair, for the audited lists (none when withheld).
    evidence: Vec<Evidence>,
    /// Paths of the sub-units whose figures are suppressed: the lists leave their members out.
    hidden: Vec<String>,
    /// Names of what the measures name (see `Measure::label`).
    pub names: std::collections::HashMap<Uuid, String>,
}

impl AiActReport {
    /// Checks that the report is not withheld (else `Conflict`), before an export.
    pub fn require_shown(&self) -> Result<()> {
        if self.figures.is_suppressed() {
            return Err(suppressed_error(self.scope.min_group_size()));
        }
        Ok(())
    }
}

/// Builds the report (a fixed number of statements, one more under a minimum group size;
/// a withheld report reads no evidence).
pub async fn report(
    db: &impl sea_orm::ConnectionTrait,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<AiActReport> {
    let authority = org::find(db, org::authority_id(&scope.unit.path)?).await?;
    let pattern = if scope.min_group_size() > 0 {
        scope.pattern_for(&evidence::people_per_unit(db, &scope, &authority).await?)
    } else {
        Pattern::default()
    };
    if pattern.report {
        return Ok(AiActReport {
            scope,
            now,
            figures: Group::Suppressed,
            evidence: Vec::new(),
            hidden: Vec::new(),
            names: Default::default(),
        });
    }
    let facts = evidence::gather(db, &scope, &authority).await?;
    let mut evidence = evidence::evaluate(&facts, now);
    evidence.sort_by(|a, b| {
        a.display_name
            .cmp(&b.display_name)
            .then(a.user_id.cmp(&b.user_id))
    });
    let mut systems: Vec<SystemFigures> = facts
        .systems
        .iter()
        .map(|system| {
            let mine: Vec<&Evidence> = evidence
                .iter()
                .filter(|e| e.ai_system_id == system.id)
                .collect();
            let mut counts = StatusCounts::default();
            for e in &mine {
                counts.add(e.status);
            }
            let oversight: Vec<&&Evidence> = mine
                .iter()
                .filter(|e| e.kind == UseKind::Oversight)
                .collect();
            let instructions: Vec<Status> = mine
                .iter()
                .flat_map(|e| {
                    e.measures
                        .iter()
                        .filter(|(m, _)| *m == Measure::Instructions)
                        .map(|(_, status)| *status)
                })
                .collect();
            SystemFigures {
                system: system.clone(),
                counts,
                oversight: count(oversight.len()),
                oversight_competent: count(
                    oversight
                        .iter()
                        .filter(|e| e.status == Status::Compliant)
                        .count(),
                ),
                registration_missing: evidence::registration_missing(system),
                instructions_required: count(instructions.len()),
                instructions_acknowledged: count(
                    instructions
                        .iter()
                        .filter(|s| **s == Status::Compliant)
                        .count(),
                ),
            }
        })
        .collect();
    systems.sort_by(|a, b| a.system.name.cmp(&b.system.name));
    let worst = |filter: &dyn Fn(&Evidence) -> bool| {
        let mut by_person: std::collections::HashMap<Uuid, Status> = Default::default();
        for e in evidence.iter().filter(|e| filter(e)) {
            by_person
                .entry(e.user_id)
                .and_modify(|status| *status = status.worse(e.status))
                .or_insert(e.status);
        }
        let mut counts = StatusCounts::default();
        for status in by_person.into_values() {
            counts.add(status);
        }
        counts
    };
    let counts = worst(&|_| true);
    let subunits = scope
        .subunits(db)
        .await?
        .into_iter()
        .map(|unit| {
            let figures = worst(&|e| e.path.starts_with(&unit.path));
            SubunitFigures {
                counts: Group::new(pattern.subunits.contains(&unit.path), || figures),
                unit,
            }
        })
        .collect();
    Ok(AiActReport {
        scope,
        now,
        figures: Group::Shown(Figures {
            systems,
            counts,
            subunits,
        }),
        evidence,
        hidden: pattern.subunits.into_iter().collect(),
        names: facts.names,
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A person with a gap for one system.
#[derive(Clone, Debug)]
pub struct Gap {
    pub user_id: Uuid,
    pub display_name: String,
    pub org_unit_id: Uuid,
    pub org_unit_name: String,
    pub ai_system_id: Uuid,
    pub ai_system_name: String,
    pub kind: UseKind,
    pub status: Status,
    /// The measures not met, each with its status.
    pub open: Vec<(Measure, Status)>,
    pub due_at: Option<DateTime<Utc>>,
}

fn listed<'a>(report: &'a AiActReport, only_gaps: bool) -> impl Iterator<Item = Gap> + 'a {
    // Members of sub-units whose figures are suppressed are not named either.
    let hidden = &report.hidden;
    let systems = report.figures.shown().map_or(&[][..], |f| &f.systems[..]);
    report
        .evidence
        .iter()
        .filter(move |e| !only_gaps || e.status != Status::Compliant)
        .filter(move |e| !hidden.iter().any(|path| e.path.starts_with(path)))
        .map(|e| Gap {
            user_id: e.user_id,
            display_name: e.display_name.clone(),
            org_unit_id: e.org_unit_id,
            org_unit_name: e.org_unit_name.clone(),
            ai_system_id: e.ai_system_id,
            ai_system_name: systems
                .iter()
                .find(|s| s.system.id == e.ai_system_id)
                .map(|s| s.system.name.clone())
                .unwrap_or_default(),
            kind: e.kind,
            status: e.status,
            open: e
                .measures
                .iter()
                .filter(|(_, status)| *status != Status::Compliant)
                .cloned()
                .collect(),
            due_at: e.due_at,
        })
}

async fn audit_read(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    report: &AiActReport,
    list: &str,
    page: Option<PageRequest>,
) -> Result<()> {
    audit::record(
        db,
        Some(actor.id()),
        "report.staff_read",
        Target::OrgUnit(report.scope.unit.id),
        json!({
            "report": "aiAct",
            "list": list,
            "offset": page.map(|p| p.offset),
            // Only the whole list (`all`) is the CSV export; the oversight list is a query.
            "export": (list == "all").then_some("csv"),
        }),
    )
    .await
}

/// One page of the people with gaps (most urgent first, then by name); nobody for a withheld
/// report. An audited read.
pub async fn gaps(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    report: &AiActReport,
    page: PageRequest,
) -> Result<Vec<Gap>> {
    if report.figures.is_suppressed() {
        return Ok(Vec::new());
    }
    let mut all: Vec<Gap> = listed(report, true).collect();
    all.sort_by_key(|gap| gap.status.urgency());
    let page_rows = all
        .into_iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(page.first).unwrap_or(usize::MAX))
        .collect();
    audit_read(db, actor, report, "gaps", Some(page)).await?;
    Ok(page_rows)
}

/// The oversight persons of one system and whether each meets every measure (nobody for a
/// withheld report). An audited read.
pub async fn oversight(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    report: &AiActReport,
    system_id: Uuid,
) -> Result<Vec<Gap>> {
    if report.figures.is_suppressed() {
        return Ok(Vec::new());
    }
    let people = listed(report, false)
        .filter(|gap| gap.ai_system_id == system_id && gap.kind == UseKind::Oversight)
        .collect();
    audit_read(db, actor, report, "oversight", None).await?;
    Ok(people)
}

/// Everyone of the report with their status per system, for the CSV export. An audited read;
/// a withheld report is `Conflict`.
pub async fn export_rows(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    report: &AiActReport,
) -> Result<Vec<Gap>> {
    report.require_shown()?;
    audit_read(db, actor, report, "all", None).await?;
    Ok(listed(report, false).collect())
}

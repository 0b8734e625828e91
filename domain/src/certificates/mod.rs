//! Certificates: templates (criteria, validity, competence alignments), automatic issuance of
//! signed Open Badges 3.0 credentials, revocation, and public verification by code.
//!
//! Who may do what:
//! - An `ADMIN` creates templates: for their own units' staff (a unit their grant covers), or,
//!   platform-wide, for everyone.
//! - Nobody issues by hand. [`issue_due`] runs inside the transaction of every event that can
//!   complete a template's criteria (a course completed, an assessment passed) and issues what
//!   is due, so a certificate exists exactly when its criteria are met.
//! - An `ADMIN` covering the holder's unit revokes, with a reason. Another authority's
//!   administrator is refused as they are for the holder's account (`Forbidden`).
//! - A platform `ADMIN`, or the operator's command line, revokes every certificate a
//!   compromised signing key signed ([`revoke_signed_by`]); those whose criteria still hold are
//!   re-issued under the current key at once.
//! - Anyone verifies a code; the answer names only the holder (by the name the certificate was
//!   issued to, which a later rename does not change), the certificate, its issuer and dates,
//!   the AI systems it covers (name and version), and the status.
//!
//! A template tied to AI systems (a measure of a system in the AI register names it) issues
//! certificates that say what they cover: the systems of the holder's authority that are not
//! retired, with their name and version at issuance, recorded in `certificate_ai_systems` and
//! stated in the credential as `ext:AISystem` alignments. A re-issue after a key compromise
//! covers what the certificate it replaces covered. A change to such a system that needs
//! retraining makes these certificates stale in the register's evidence; meeting the criteria
//! again afterwards renews them (see [`due`]).
//!
//! When is a certificate due? When the person meets every criterion of a template that applies to
//! their unit (every course completed, in that version or a later one; every assessment passed
//! with at least its minimum percent), and holds no valid certificate of it. A renewal (after
//! expiry, or after revocation) needs fresh evidence: at least one criterion met after the
//! previous certificate ended. Otherwise any later course completion would silently renew an
//! expired certificate, and a validity period would mean nothing. The exception is a
//! certificate revoked because its signing key was compromised, which was not the holder's
//! doing: it is re-issued on the old evidence, with the old expiry. A valid certificate issued
//! before a change that needed retraining, to a system the template is tied to, is renewed
//! when a criterion is met again after the change. [`issue_due`] gathers the
//! facts in a fixed handful of statements; the pure function [`due::due`] decides, and is
//! tested case by case.
//!
//! No double issuance, and no missed one, under concurrency: [`issue_due`] first locks the
//! person's `users` row ([`crate::db::lock_users`]), so issuance for one person runs one
//! transaction at a time; on PostgreSQL the statements after the lock see what the transaction
//! before committed (read committed takes a new snapshot per statement), and SQLite has one
//! writer at a time anyway. Two courses completed at the same moment thus issue once, by the
//! second, which sees both completions. Behind the lock, the unique index on (template, person,
//! sequence) with `ON CONFLICT DO NOTHING` makes a second insert of the same certificate a no-op.

pub mod due;
mod list;
mod templates;

pub use list::{CertificateFilter, CertificatePage, list};
pub use templates::{
    MAX_RECERTIFY_DAYS, TemplateUpdate, archive_template, recertification, set_recertification,
    templates, update_template,
};

use std::collections::HashMap;

use chrono::{DateTime, Months, SubsecRound as _, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, OnConflict, Query},
};
use serde_json::json;
use uuid::Uuid;

use self::due::{Criteria, Due, Evidence, Held, PassedAttempt};
pub use crate::entities::certificate::RevocationKind;
use crate::{
    Error, Result,
    ai_register::SystemStatus,
    audit::{self, Target},
    auth::Actor,
    courses,
    credentials::{
        self, Alignment, Badge, Issuer, IssuerProfile, IssuerSource, StatusEntry, Subject,
        SystemAlignment, VerificationCode, status,
    },
    entities::{
        ai_system, ai_system_measure, assessment, attempt, certificate, certificate_ai_system,
        certificate_template, certificate_template_assessment, certificate_template_competence,
        certificate_template_course, competence, competence_framework,
        enrollment::{self, EnrollmentStatus},
        issuer_key, user,
    },
    org,
    types::{Name, Role},
};

/// A competence to align a template to, named as people know it: framework code (and version,
/// where several exist) and competence code, e.g. `DIGCOMP` `4.2`.
#[derive(Clone, Debug)]
pub struct AlignmentRef {
    pub framework_code: String,
    pub framework_version: Option<String>,
    pub competence_code: String,
}

/// What a new template says.
#[derive(Clone, Debug)]
pub struct NewTemplate {
    pub title: String,
    pub description: String,
    pub issuer_name: String,
    /// 1..=120 months, or `None` for no expiry.
    pub validity_months: Option<i32>,
    pub attests_ai_literacy: bool,
    /// Whose staff can earn it; `None`: everyone (platform `ADMIN` only).
    pub org_unit_id: Option<Uuid>,
    pub course_ids: Vec<Uuid>,
    /// Assessment id and minimum percent (0..=100).
    pub assessments: Vec<(Uuid, f64)>,
    pub alignments: Vec<AlignmentRef>,
}

pub const MAX_VALIDITY_MONTHS: i32 = 120;
const MAX_DESCRIPTION_CHARS: usize = 5_000;
const MAX_REASON_CHARS: usize = 1_000;

/// A template's description: trimmed, not empty, at most [`MAX_DESCRIPTION_CHARS`].
pub(crate) fn parse_description(raw: &str) -> Result<String> {
    let description = raw.trim().to_owned();
    if description.is_empty() {
        return Err(Error::invalid(
            "description",
            "description must say what the certificate attests",
        ));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            "description",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(description)
}

/// A validity period: 1 to [`MAX_VALIDITY_MONTHS`] months, or none for no expiry.
pub(crate) fn check_validity(months: Option<i32>) -> Result<()> {
    match months {
        Some(months) if !(1..=MAX_VALIDITY_MONTHS).contains(&months) => Err(Error::invalid(
            "validityMonths",
            format!("validityMonths must be 1 to {MAX_VALIDITY_MONTHS}, or left out for no expiry"),
        )),
        _ => Ok(()),
    }
}

/// Creates a template (`ADMIN`), audited.
pub async fn create_template(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewTemplate,
) -> Result<certificate_template::Model> {
    actor.require_role(Role::Admin)?;
    match input.org_unit_id {
        Some(unit_id) => {
            let unit = org::find(db, unit_id)
                .await
                .map_err(|_| Error::invalid("orgUnitId", "no such org unit"))?;
            actor.require_covers(Role::Admin, &unit.path, "that org unit")?;
        }
        None if actor.is_platform(Role::Admin) => {}
        None => {
            return Err(Error::forbidden(
                "only a platform administrator can create a template for everyone; give the orgUnitId of your units",
            ));
        }
    }
    let title = Name::parse(&input.title, "title")?.into_inner();
    let issuer_name = Name::parse(&input.issuer_name, "issuerName")?.into_inner();
    let description = parse_description(&input.description)?;
    check_validity(input.validity_months)?;
    let mut course_ids = input.course_ids;
    course_ids.sort();
    course_ids.dedup();
    let mut assessments = input.assessments;
    assessments.sort_by_key(|(id, _)| *id);
    if assessments.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        return Err(Error::invalid(
            "assessments",
            "each assessment may be named once",
        ));
    }
    if course_ids.is_empty() && assessments.is_empty() {
        return Err(Error::invalid(
            "courseIds",
            "name at least one course to complete or assessment to pass",
        ));
    }
    for course_id in &course_ids {
        let visible = match courses::load_access(db, *course_id).await {
            Ok(access) => access.can_see(actor),
            Err(Error::NotFound(_)) => false,
            Err(err) => return Err(err),
        };
        if !visible {
            return Err(Error::invalid(
                "courseIds",
                format!("no such course: {course_id}"),
            ));
        }
    }
    for (assessment_id, min_percent) in &assessments {
        if !(0.0..=100.0).contains(min_percent) {
            return Err(Error::invalid("assessments", "minPercent must be 0 to 100"));
        }
        match assessment::Entity::find_by_id(*assessment_id)
            .one(db)
            .await?
        {
            None => {
                return Err(Error::invalid(
                    "assessments",
                    format!("no such assessment: {assessment_id}"),
                ));
            }
            Some(found) if found.archived_at.is_some() => {
                return Err(Error::invalid(
                    "assessments",
                    format!("assessment {assessment_id} is archived: nobody can pass it any more"),
                ));
            }
            Some(_) => {}
        }
    }
    let competence_ids = resolve_alignments(db, &input.alignments).await?;

    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let template = certificate_template::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title),
        description: Set(description),
        issuer_name: Set(issuer_name),
        validity_months: Set(input.validity_months),
        attests_ai_literacy: Set(input.attests_ai_literacy),
        org_unit_id: Set(input.org_unit_id),
        created_by: Set(Some(actor.id())),
        created_at: Set(now),
        archived_at: Set(None),
    }
    .insert(&txn)
    .await?;
    if !course_ids.is_empty() {
        certificate_template_course::Entity::insert_many(course_ids.iter().map(|course_id| {
            certificate_template_course::ActiveModel {
                template_id: Set(template.id),
                course_id: Set(*course_id),
            }
        }))
        .exec(&txn)
        .await?;
    }
    if !assessments.is_empty() {
        certificate_template_assessment::Entity::insert_many(assessments.iter().map(
            |(assessment_id, min_percent)| certificate_template_assessment::ActiveModel {
                template_id: Set(template.id),
                assessment_id: Set(*assessment_id),
                min_percent: Set(*min_percent),
            },
        ))
        .exec(&txn)
        .await?;
    }
    if !competence_ids.is_empty() {
        certificate_template_competence::Entity::insert_many(
            competence_ids
                .iter()
                .enumerate()
                .map(
                    |(position, competence_id)| certificate_template_competence::ActiveModel {
                        template_id: Set(template.id),
                        competence_id: Set(*competence_id),
                        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                    },
                ),
        )
        .exec(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "certificate_template.created",
        Target::CertificateTemplate(template.id),
        json!({
            "title": template.title,
            "orgUnitId": template.org_unit_id,
            "courseIds": course_ids,
            "assessments": assessments.iter().map(|(id, min)| json!({ "assessmentId": id, "minPercent": min })).collect::<Vec<_>>(),
            "competenceIds": competence_ids,
            "validityMonths": template.validity_months,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(template)
}

/// Resolves framework and competence codes to competence ids, in the order given, refusing
/// unknown, ambiguous, archived and duplicate ones.
async fn resolve_alignments(
    db: &impl ConnectionTrait,
    alignments: &[AlignmentRef],
) -> Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(alignments.len());
    for alignment in alignments {
        let framework_code = alignment.framework_code.trim();
        let mut query = competence_framework::Entity::find()
            .filter(competence_framework::Column::Code.eq(framework_code));
        if let Some(version) = &alignment.framework_version {
            query = query.filter(competence_framework::Column::Version.eq(version.trim()));
        }
        let frameworks = query.all(db).await?;
        let framework = match frameworks.as_slice() {
            [] => {
                return Err(Error::invalid(
                    "alignments",
                    format!("no competence framework {framework_code:?}"),
                ));
            }
            [one] => one,
            _ => {
                return Err(Error::invalid(
                    "alignments",
                    format!(
                        "framework {framework_code:?} has several versions; give frameworkVersion"
                    ),
                ));
            }
        };
        let code = alignment.competence_code.trim();
        let competence = competence::Entity::find()
            .filter(competence::Column::FrameworkId.eq(framework.id))
            .filter(competence::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "alignments",
                    format!("{} has no competence {code:?}", framework.name),
                )
            })?;
        if competence.archived_at.is_some() {
            return Err(Error::invalid(
                "alignments",
                format!("competence {code} of {} is archived", framework.name),
            ));
        }
        if ids.contains(&competence.id) {
            return Err(Error::invalid(
                "alignments",
                format!("competence {code} of {} is named twice", framework.name),
            ));
        }
        ids.push(competence.id);
    }
    Ok(ids)
}

/// Whether a certificate counts at `now`: neither revoked nor expired.
pub fn is_valid(certificate: &certificate::Model, now: DateTime<Utc>) -> bool {
    Status::of(certificate, now) == Status::Valid
}

/// Everything the issuance rule needs about one person: gathered in a fixed handful of
/// statements, whatever the number of templates (the walk back through course versions adds
/// one per version level, and versions are few).
struct Facts {
    holder: user::Model,
    evidence: Evidence,
    /// The templates with at least one criterion the person has met, each with its criteria.
    templates: Vec<(certificate_template::Model, Criteria)>,
    /// The person's certificates of those templates.
    held: Vec<certificate::Model>,
    /// The AI systems each template is tied to (not retired, of the holder's authority), by
    /// template, in name order.
    systems: HashMap<Uuid, Vec<TiedSystem>>,
}

/// An AI system a template is tied to (a measure of the system names the template), as it is
/// now.
#[derive(Clone, Debug, FromQueryResult)]
struct TiedSystem {
    template_id: Uuid,
    id: Uuid,
    name: String,
    version: i32,
    purpose: String,
    public_register_url: Option<String>,
    retraining_since: Option<DateTime<Utc>>,
}

impl TiedSystem {
    fn alignment(&self) -> SystemAlignment {
        SystemAlignment {
            id: self.id,
            name: self.name.clone(),
            version: self.version,
            purpose: self.purpose.clone(),
            public_register_url: self.public_register_url.clone(),
        }
    }
}

/// The AI systems of `authority_id` that are not retired and are tied to one of `template_ids`,
/// each with the template, in one statement.
async fn tied_systems(
    db: &impl ConnectionTrait,
    template_ids: &[Uuid],
    authority_id: Uuid,
) -> Result<HashMap<Uuid, Vec<TiedSystem>>> {
    use sea_orm::sea_query::ExprTrait as _;

    let measure = |column: ai_system_measure::Column| (ai_system_measure::Entity, column);
    let system = |column: ai_system::Column| (ai_system::Entity, column);
    let query = Query::select()
        .distinct()
        .column(measure(ai_system_measure::Column::TemplateId))
        .columns([
            system(ai_system::Column::Id),
            system(ai_system::Column::Name),
            system(ai_system::Column::Version),
            system(ai_system::Column::Purpose),
            system(ai_system::Column::PublicRegisterUrl),
            system(ai_system::Column::RetrainingSince),
        ])
        .from(ai_system_measure::Entity)
        .inner_join(
            ai_system::Entity,
            Expr::col(system(ai_system::Column::Id))
                .equals(measure(ai_system_measure::Column::AiSystemId)),
        )
        .and_where(
            Expr::col(measure(ai_system_measure::Column::TemplateId))
                .is_in(template_ids.iter().copied()),
        )
        .and_where(Expr::col(system(ai_system::Column::OrgUnitId)).eq(authority_id))
        .and_where(Expr::col(system(ai_system::Column::Status)).ne(SystemStatus::Retired.as_str()))
        .order_by(system(ai_system::Column::Name), sea_orm::Order::Asc)
        .order_by(system(ai_system::Column::Id), sea_orm::Order::Asc)
        .to_owned();
    let rows = TiedSystem::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    let mut by_template: HashMap<Uuid, Vec<TiedSystem>> = HashMap::new();
    for row in rows {
        by_template.entry(row.template_id).or_default().push(row);
    }
    Ok(by_template)
}

/// The courses a person has completed, each mapped to when: the completed course itself and
/// every earlier version of it (a template names one version; a later one counts too).
async fn completed_courses(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<HashMap<Uuid, DateTime<Utc>>> {
    let completed = enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(user_id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Completed))
        .all(db)
        .await?;
    let mut done: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let mut frontier: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    for e in completed {
        let at = e.completed_at.unwrap_or(e.last_activity_at);
        frontier.push((e.course_id, at));
    }
    // Walk back through previous versions, one query per level (versions are few).
    while !frontier.is_empty() {
        let mut next_ids = Vec::new();
        for (id, at) in &frontier {
            let entry = done.entry(*id).or_insert(*at);
            *entry = (*entry).max(*at);
            next_ids.push(*id);
        }
        let courses = courses::courses_by_ids(db, &next_ids).await?;
        frontier = courses
            .into_iter()
            .filter_map(|c| {
                let at = done.get(&c.id).copied()?;
                // A version already known is walked again only with a later completion.
                c.previous_version_id
                    .filter(|previous| done.get(previous).is_none_or(|known| *known < at))
                    .map(|previous| (previous, at))
            })
            .collect();
    }
    Ok(done)
}

/// Gathers the [`Facts`] of `user_id`, after locking their `users` row (see the module docs).
/// `None` if no template has a criterion they met.
async fn gather(txn: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<Facts>> {
    // One issuance per person at a time; see the module docs.
    crate::db::lock_users(txn, [user_id]).await?;
    let holder = user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let courses_done = completed_courses(txn, user_id).await?;
    let passed: Vec<PassedAttempt> = attempt::Entity::find()
        .filter(attempt::Column::UserId.eq(user_id))
        .filter(attempt::Column::SubmittedAt.is_not_null())
        .filter(attempt::Column::Passed.eq(true))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|a| {
            Some(PassedAttempt {
                assessment_id: a.assessment_id,
                percent: a.percent?,
                submitted_at: a.submitted_at?,
            })
        })
        .collect();
    if courses_done.is_empty() && passed.is_empty() {
        return Ok(None);
    }

    // Templates with at least one criterion the person has met, in one statement.
    let mut met = Condition::any();
    if !courses_done.is_empty() {
        met = met.add(
            certificate_template::Column::Id.in_subquery(
                Query::select()
                    .column(certificate_template_course::Column::TemplateId)
                    .from(certificate_template_course::Entity)
                    .and_where(
                        certificate_template_course::Column::CourseId
                            .is_in(courses_done.keys().copied()),
                    )
                    .to_owned(),
            ),
        );
    }
    if !passed.is_empty() {
        met = met.add(
            certificate_template::Column::Id.in_subquery(
                Query::select()
                    .column(certificate_template_assessment::Column::TemplateId)
                    .from(certificate_template_assessment::Entity)
                    .and_where(
                        certificate_template_assessment::Column::AssessmentId
                            .is_in(passed.iter().map(|a| a.assessment_id)),
                    )
                    .to_owned(),
            ),
        );
    }
    // An archived template issues nothing more (its certificates stay as they are).
    let templates = certificate_template::Entity::find()
        .filter(met)
        .filter(certificate_template::Column::ArchivedAt.is_null())
        .order_by_asc(certificate_template::Column::Id)
        .all(txn)
        .await?;
    if templates.is_empty() {
        return Ok(None);
    }
    let template_ids: Vec<Uuid> = templates.iter().map(|t| t.id).collect();
    let course_criteria = course_criteria_of(txn, &template_ids).await?;
    let recertifications = crate::entities::certificate_recertification::Entity::find()
        .filter(
            crate::entities::certificate_recertification::Column::TemplateId
                .is_in(template_ids.iter().copied()),
        )
        .all(txn)
        .await?;
    let assessment_criteria = assessment_criteria_of(txn, &template_ids).await?;
    let held = certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(user_id))
        .filter(certificate::Column::TemplateId.is_in(template_ids.iter().copied()))
        .all(txn)
        .await?;
    let mut unit_ids: Vec<Uuid> = templates.iter().filter_map(|t| t.org_unit_id).collect();
    unit_ids.push(holder.org_unit_id);
    let units: HashMap<Uuid, String> = org::find_many(txn, &unit_ids)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit.path))
        .collect();
    let holder_path = units
        .get(&holder.org_unit_id)
        .cloned()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the holder's org unit is missing")))?;
    // Only the holder's authority's systems: a template for everyone may be tied to systems of
    // several authorities, and each authority's register speaks for its own staff.
    let systems = tied_systems(txn, &template_ids, org::authority_id(&holder_path)?).await?;

    let templates = templates
        .into_iter()
        .filter_map(|template| {
            // A template's unit cannot vanish (the foreign key restricts deletion); if it
            // did, the template would apply to nobody.
            let unit_path = match template.org_unit_id {
                Some(unit_id) => Some(units.get(&unit_id)?.clone()),
                None => None,
            };
            let criteria = Criteria {
                unit_path,
                courses: course_criteria
                    .iter()
                    .filter(|c| c.template_id == template.id)
                    .map(|c| c.course_id)
                    .collect(),
                assessments: assessment_criteria
                    .iter()
                    .filter(|c| c.template_id == template.id)
                    .map(|c| (c.assessment_id, c.min_percent))
                    .collect(),
                retraining_since: systems
                    .get(&template.id)
                    .into_iter()
                    .flatten()
                    .filter_map(|system| system.retraining_since)
                    .max(),
                recertify_days_before: recertifications
                    .iter()
                    .find(|r| r.template_id == template.id)
                    .map(|r| i64::from(r.days_before)),
            };
            Some((template, criteria))
        })
        .collect();
    Ok(Some(Facts {
        holder,
        evidence: Evidence {
            holder_path,
            courses_done,
            passed,
        },
        templates,
        held,
        systems,
    }))
}

/// Issues every certificate now due to `user_id`, inside `txn`, the transaction of the event
/// that may have completed the criteria. Returns what it issued. The facts are gathered first
/// ([`gather`]); whether each template is due is [`due::due`]'s to decide.
pub async fn issue_due(
    txn: &impl ConnectionTrait,
    issuer: &Issuer,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<certificate::Model>> {
    let Some(facts) = gather(txn, user_id).await? else {
        return Ok(Vec::new());
    };
    let mut issued = Vec::new();
    for (template, criteria) in &facts.templates {
        let held: Vec<Held> = facts
            .held
            .iter()
            .filter(|c| c.template_id == template.id)
            .map(|c| Held {
                sequence: c.sequence,
                issued_at: c.issued_at,
                expires_at: c.expires_at,
                revoked_at: c.revoked_at,
                revocation_kind: c.revocation_kind,
            })
            .collect();
        let (sequence, expiry, systems) = match due::due(criteria, &facts.evidence, &held, now) {
            // The systems as they are now: what the holder was (re)trained for.
            Due::Issue { sequence } => (
                sequence,
                Expiry::Template,
                facts
                    .systems
                    .get(&template.id)
                    .into_iter()
                    .flatten()
                    .map(TiedSystem::alignment)
                    .collect(),
            ),
            // What the certificate it replaces covered: a new signature, not new evidence.
            Due::Reissue {
                sequence,
                expires_at,
            } => {
                let replaced = facts
                    .held
                    .iter()
                    .filter(|c| c.template_id == template.id)
                    .max_by_key(|c| c.sequence);
                let systems = match replaced {
                    Some(replaced) => covered_by(txn, replaced.id).await?,
                    None => Vec::new(),
                };
                (sequence, Expiry::At(expires_at), systems)
            }
            Due::NotForHolder | Due::NotMet | Due::StillValid | Due::NoFreshEvidence => continue,
        };
        if let Some(certificate) = issue(
            txn,
            issuer,
            &facts.holder,
            template,
            Issuance {
                sequence,
                expiry,
                systems,
            },
            now,
        )
        .await?
        {
            issued.push(certificate);
        }
    }
    Ok(issued)
}

/// The AI systems a certificate covers, as its credential states them: the name and version
/// recorded at issuance, the purpose and published address as the register has them now.
async fn covered_by(
    db: &impl ConnectionTrait,
    certificate_id: Uuid,
) -> Result<Vec<SystemAlignment>> {
    let recorded = ai_systems_of_certificates(db, &[certificate_id]).await?;
    if recorded.is_empty() {
        return Ok(Vec::new());
    }
    let systems: HashMap<Uuid, ai_system::Model> = ai_system::Entity::find()
        .filter(ai_system::Column::Id.is_in(recorded.iter().map(|r| r.ai_system_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|system| (system.id, system))
        .collect();
    Ok(recorded
        .into_iter()
        .map(|row| {
            let system = systems.get(&row.ai_system_id);
            SystemAlignment {
                id: row.ai_system_id,
                name: row.name,
                version: row.version,
                purpose: system.map(|s| s.purpose.clone()).unwrap_or_default(),
                public_register_url: system.and_then(|s| s.public_register_url.clone()),
            }
        })
        .collect())
}

/// The rows that record which AI systems `certificate` covers (for `certificate_ai_systems`).
pub fn covered_rows(
    certificate: &certificate::Model,
    systems: &[SystemAlignment],
) -> Vec<certificate_ai_system::ActiveModel> {
    systems
        .iter()
        .map(|system| certificate_ai_system::ActiveModel {
            certificate_id: Set(certificate.id),
            ai_system_id: Set(system.id),
            name: Set(system.name.clone()),
            version: Set(system.version),
        })
        .collect()
}

/// What [`issue`] issues beyond the template and holder.
struct Issuance {
    sequence: i32,
    expiry: Expiry,
    /// The AI systems the certificate covers.
    systems: Vec<SystemAlignment>,
}

/// When a new certificate expires.
#[derive(Clone, Copy, Debug)]
enum Expiry {
    /// The template's validity period from the issue date: a first issuance or a renewal.
    Template,
    /// Then (`None`: never): a re-issue keeps the expiry of the certificate it replaces.
    At(Option<DateTime<Utc>>),
}

/// Who signs a certificate, and as whom: the platform's keys and the issuing authority's
/// profile (whose algorithm picks the key).
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    pub issuer: &'a Issuer,
    pub profile: &'a IssuerProfile,
}

/// A certificate of `template` for `holder`, issued at `now` (to the second) with a fresh code,
/// its credential signed as `signer.profile`'s authority: built, not stored. `criteria` and
/// `alignments` are the template's ([`criteria_narrative`], [`alignments_of`]); `systems` the
/// AI systems it covers (stored beside it with [`covered_rows`]); `status` its entry in the
/// authority's status list ([`status::allocate`]).
#[expect(
    clippy::too_many_arguments,
    reason = "what a credential says; a struct would only rename them"
)]
pub fn sign(
    signer: Signer<'_>,
    holder: &user::Model,
    template: &certificate_template::Model,
    criteria: String,
    alignments: Vec<Alignment>,
    systems: Vec<SystemAlignment>,
    sequence: i32,
    status: Option<StatusEntry>,
    now: DateTime<Utc>,
) -> Result<certificate::Model> {
    sign_until(
        signer,
        holder,
        template,
        Content {
            criteria,
            alignments,
            systems,
            status,
        },
        sequence,
        now,
        Expiry::Template,
    )
}

/// What a credential says beyond its template and holder.
struct Content {
    criteria: String,
    alignments: Vec<Alignment>,
    /// The AI systems it covers.
    systems: Vec<SystemAlignment>,
    status: Option<StatusEntry>,
}

fn sign_until(
    signer: Signer<'_>,
    holder: &user::Model,
    template: &certificate_template::Model,
    content: Content,
    sequence: i32,
    now: DateTime<Utc>,
    expiry: Expiry,
) -> Result<certificate::Model> {
    let Signer { issuer, profile } = signer;
    let key = issuer
        .key_for(profile.algorithm)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no {} issuer key", profile.algorithm)))?;
    let code = VerificationCode::generate()?;
    let issued_at = now.trunc_subsecs(0);
    let expires_at = match (expiry, template.validity_months) {
        (Expiry::At(at), _) => at,
        (Expiry::Template, Some(months)) => Some(
            issued_at
                .checked_add_months(Months::new(u32::try_from(months).unwrap_or(0)))
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("expiry out of range")))?,
        ),
        (Expiry::Template, None) => None,
    };
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|err| Error::Internal(anyhow::anyhow!("random salt: {err}")))?;
    let badge = Badge {
        id: issuer.credential_url(&code),
        issuer: profile.json(),
        subject: Subject {
            id: holder
                .wallet_did
                .clone()
                .unwrap_or_else(|| format!("urn:uuid:{}", Uuid::new_v4())),
            name: holder.display_name.clone(),
            email: holder.email.clone(),
            salt: data_encoding::HEXLOWER.encode(&salt),
        },
        achievement_id: format!("urn:uuid:{}", template.id),
        title: template.title.clone(),
        description: template.description.clone(),
        criteria: content.criteria,
        alignments: content.alignments,
        systems: content.systems,
        valid_from: issued_at,
        valid_until: expires_at,
        status: content.status.map(|entry| entry.json(&profile.id)),
    };
    Ok(certificate::Model {
        id: Uuid::now_v7(),
        template_id: template.id,
        user_id: holder.id,
        holder_name: badge.subject.name.clone(),
        sequence,
        code: code.as_str().to_owned(),
        issued_at,
        expires_at,
        revoked_at: None,
        revoked_reason: None,
        revoked_by: None,
        revocation_kind: None,
        // The key that signs the credential below, whose URL its JWS header names.
        signing_kid: key.kid().to_owned(),
        credential: badge.sign(key, &issuer.key_url(profile.authority_id, key.kid())),
        issuer_unit_id: Some(profile.authority_id),
        status_list: content.status.map(|entry| entry.list),
        status_index: content.status.map(|entry| entry.index),
    })
}

/// The authority that issues `template`'s certificates to `holder`: the one the template
/// belongs to, or, for a template offered to everyone, the holder's own.
pub async fn issuing_profile(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    holder: &user::Model,
    template: &certificate_template::Model,
) -> Result<IssuerProfile> {
    credentials::profile_of_unit(
        db,
        issuer,
        template.org_unit_id.unwrap_or(holder.org_unit_id),
    )
    .await
}

/// Signs and stores one certificate with the AI systems it covers; `None` if the same one was
/// issued meanwhile.
async fn issue(
    txn: &impl ConnectionTrait,
    issuer: &Issuer,
    holder: &user::Model,
    template: &certificate_template::Model,
    issuance: Issuance,
    now: DateTime<Utc>,
) -> Result<Option<certificate::Model>> {
    let Issuance {
        sequence,
        expiry,
        systems,
    } = issuance;
    let profile = issuing_profile(txn, issuer, holder, template).await?;
    let covered = systems.clone();
    let content = Content {
        criteria: criteria_narrative(txn, template.id).await?,
        alignments: alignments_of(txn, issuer, template.id).await?,
        systems,
        status: Some(status::allocate(txn, profile.authority_id).await?),
    };
    let model = sign_until(
        Signer {
            issuer,
            profile: &profile,
        },
        holder,
        template,
        content,
        sequence,
        now,
        expiry,
    )?;
    let inserted = certificate::Entity::insert(certificate::ActiveModel::from(model.clone()))
        .on_conflict(
            OnConflict::columns([
                certificate::Column::TemplateId,
                certificate::Column::UserId,
                certificate::Column::Sequence,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    if !covered.is_empty() {
        certificate_ai_system::Entity::insert_many(covered_rows(&model, &covered))
            .exec_without_returning(txn)
            .await?;
    }
    audit::record(
        txn,
        None,
        "certificate.issued",
        Target::Certificate(model.id),
        json!({
            "templateId": template.id,
            "userId": holder.id,
            "sequence": sequence,
            "expiresAt": model.expires_at,
            "reissue": matches!(expiry, Expiry::At(_)),
            "signingKid": model.signing_kid,
            "aiSystems": covered
                .iter()
                .map(|system| json!({ "aiSystemId": system.id, "version": system.version }))
                .collect::<Vec<_>>(),
        }),
    )
    .await?;
    tracing::info!(certificate = %model.id, template = %template.id, "certificate issued");
    Ok(Some(model))
}

/// The criteria in words, for the credential's `criteria.narrative`.
pub async fn criteria_narrative(db: &impl ConnectionTrait, template_id: Uuid) -> Result<String> {
    let course_ids: Vec<Uuid> = certificate_template_course::Entity::find()
        .filter(certificate_template_course::Column::TemplateId.eq(template_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.course_id)
        .collect();
    let mut courses = courses::courses_by_ids(db, &course_ids).await?;
    courses.sort_by(|a, b| a.title.cmp(&b.title));
    let criteria = certificate_template_assessment::Entity::find()
        .filter(certificate_template_assessment::Column::TemplateId.eq(template_id))
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::Id.is_in(criteria.iter().map(|c| c.assessment_id)))
        .all(db)
        .await?;
    let mut parts: Vec<String> = courses
        .iter()
        .map(|c| format!("Completed the course \"{}\".", c.title))
        .collect();
    for criterion in &criteria {
        let title = assessments
            .iter()
            .find(|a| a.id == criterion.assessment_id)
            .map_or("an assessment", |a| a.title.as_str());
        parts.push(format!(
            "Passed the assessment \"{title}\" with at least {}%.",
            criterion.min_percent
        ));
    }
    Ok(parts.join(" "))
}

/// The template's competence alignments, in order, each with its own URL
/// (`{public URL}/competences/{id}`, where the competence is published; see
/// [`competence_url`]).
pub async fn alignments_of(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    template_id: Uuid,
) -> Result<Vec<Alignment>> {
    let rows = certificate_template_competence::Entity::find()
        .filter(certificate_template_competence::Column::TemplateId.eq(template_id))
        .order_by_asc(certificate_template_competence::Column::Position)
        .all(db)
        .await?;
    let competences = crate::competences::competences_by_ids(
        db,
        &rows.iter().map(|r| r.competence_id).collect::<Vec<_>>(),
    )
    .await?;
    let frameworks = crate::competences::frameworks_by_ids(
        db,
        &competences
            .iter()
            .map(|c| c.framework_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let competence = competences.iter().find(|c| c.id == row.competence_id)?;
            let framework = frameworks
                .iter()
                .find(|f| f.id == competence.framework_id)?;
            Some(Alignment {
                name: competence.name.clone(),
                code: competence.code.clone(),
                framework: framework.name.clone(),
                url: competence_url(issuer.base_url(), competence.id),
            })
        })
        .collect())
}

/// Where a competence is published (`GET /competences/{id}`): the `targetUrl` of alignments to
/// it, one URL per competence.
pub fn competence_url(base_url: &str, competence_id: Uuid) -> String {
    format!("{base_url}/competences/{competence_id}")
}

/// Revokes a certificate (`ADMIN` covering the holder's unit), with a reason; audited.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    certificate_id: Uuid,
    reason: &str,
) -> Result<certificate::Model> {
    actor.require_role(Role::Admin)?;
    let reason = parse_reason(reason)?;
    let certificate = certificate::Entity::find_by_id(certificate_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("certificate"))?;
    let holder = user::Entity::find_by_id(certificate.user_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("certificate"))?;
    let unit = org::find(db, holder.org_unit_id).await?;
    actor.require_covers(Role::Admin, &unit.path, "the holder's org unit")?;
    // Microseconds, what both engines store, so the model returned below is the row as read.
    let now = Utc::now().trunc_subsecs(6);
    let txn = crate::db::begin(db).await?;
    let revocation = Revocation {
        by: Some(actor.id()),
        reason,
        kind: RevocationKind::Withdrawn,
        at: now,
    };
    if !revocation.apply(&txn, &certificate).await? {
        return Err(Error::Conflict {
            field: "certificateId",
            message: "the certificate is already revoked".into(),
        });
    }
    txn.commit().await?;
    Ok(certificate::Model {
        revoked_at: Some(now),
        revoked_reason: Some(revocation.reason.to_owned()),
        revoked_by: Some(actor.id()),
        revocation_kind: Some(revocation.kind),
        ..certificate
    })
}

/// A revocation reason: trimmed, 1 to [`MAX_REASON_CHARS`] characters (field `reason`).
pub(crate) fn parse_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            "reason",
            "say why the certificate is revoked",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(Error::invalid(
            "reason",
            format!("reason must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(reason)
}

/// One revocation, as both paths ([`revoke`] and [`revoke_signed_by`]) write it.
struct Revocation<'a> {
    /// Who revoked (`None`: the operator's command line).
    by: Option<Uuid>,
    reason: &'a str,
    kind: RevocationKind,
    at: DateTime<Utc>,
}

impl Revocation<'_> {
    /// Revokes `certificate` inside `txn` and records `certificate.revoked`; `false` (and
    /// nothing written) if it was revoked already. The `UPDATE` is conditional, so an earlier
    /// revocation, or two at once, record one.
    async fn apply(
        &self,
        txn: &impl ConnectionTrait,
        certificate: &certificate::Model,
    ) -> Result<bool> {
        let updated = certificate::Entity::update_many()
            .col_expr(certificate::Column::RevokedAt, Expr::value(Some(self.at)))
            .col_expr(
                certificate::Column::RevokedReason,
                Expr::value(Some(self.reason.to_owned())),
            )
            .col_expr(certificate::Column::RevokedBy, Expr::value(self.by))
            .col_expr(
                certificate::Column::RevocationKind,
                Expr::value(Some(self.kind)),
            )
            .filter(certificate::Column::Id.eq(certificate.id))
            .filter(certificate::Column::RevokedAt.is_null())
            .exec(txn)
            .await?;
        if updated.rows_affected == 0 {
            return Ok(false);
        }
        let kind = match self.kind {
            RevocationKind::Withdrawn => "withdrawn",
            RevocationKind::KeyCompromise => "keyCompromise",
        };
        audit::record(
            txn,
            self.by,
            "certificate.revoked",
            Target::Certificate(certificate.id),
            json!({
                "userId": certificate.user_id,
                "templateId": certificate.template_id,
                "reason": self.reason,
                "kind": kind,
            }),
        )
        .await?;
        Ok(true)
    }
}

/// Who revokes the certificates of a key: a signed-in platform administrator, or the operator
/// at the command line (`govskills revoke-key`), who has the database and the configuration
/// and so needs no account.
#[derive(Clone, Copy, Debug)]
pub enum KeyRevoker<'a> {
    Admin(&'a Actor),
    /// Unchecked: only the command line may pass this.
    Operator,
}

/// What [`revoke_signed_by`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRevocation {
    /// The compromised key.
    pub kid: String,
    /// The key that signs in its place (the same algorithm's current key), if the platform
    /// still signs with that algorithm.
    pub current_kid: Option<String>,
    /// Certificates revoked: those the key signed that were still valid.
    pub revoked: u64,
    /// Certificates issued in their place, under the current key, to holders whose criteria
    /// still hold.
    pub reissued: u64,
}

/// Revokes every still-valid certificate whose credential was signed with the key `kid`, for
/// `reason`, then re-issues under the issuer's (current) key what is due to each holder again;
/// audited as one `issuer_key.certificates_revoked` event, beside the `certificate.revoked` and
/// `certificate.issued` events of each certificate. Expired and already revoked certificates
/// are left as they are: they count for nothing already.
///
/// Refused: anyone but a platform `ADMIN` (`Forbidden`, before anything is read); an empty
/// reason (`Invalid` on `reason`); a key the issuer never recorded (`NotFound`, "kid"); the
/// current signing key, which would sign the re-issued certificates (`Conflict` on `kid`: rotate
/// first); and an issuer whose own key is retired (`Conflict` on `kid`: this process has not
/// got the new key yet, so it would re-issue under an old one). The issuer comes as its
/// source and is loaded only after the authorisation check, since loading it may write
/// (`Issuer::load` records the configured key).
///
/// The certificates are found by `certificates.signing_kid` (indexed), written at issuance
/// from the key that signs the credential and filled for older rows from each credential's JWS
/// header by migration 10. Reading every credential's header here instead would need no
/// column, but would decode every certificate ever issued while the transaction holds its
/// locks, and would put a second reader of the credential format into the service.
///
/// One transaction for the whole key: either every certificate is revoked and every re-issue
/// made, with the audit events, or nothing is; a failure never leaves a holder revoked and not
/// re-issued, nor the counts of the audit event wrong. The holders' `users` rows are locked
/// first (as [`issue_due`] locks them), so issuance for them waits until the key's certificates
/// are settled. A key signs one organisation's certificates, and this is an emergency run
/// rarely: holding the write lock for it (SQLite) is the price of all-or-nothing. Running it
/// again is safe: it finds only what is still valid, e.g. certificates a replica that still ran
/// with the old key issued meanwhile.
#[tracing::instrument(skip(db, by, reason, issuer))]
pub async fn revoke_signed_by(
    db: &DatabaseConnection,
    by: KeyRevoker<'_>,
    kid: &str,
    reason: &str,
    issuer: &IssuerSource,
) -> Result<KeyRevocation> {
    let actor_id = match by {
        KeyRevoker::Admin(actor) => {
            if !actor.is_platform(Role::Admin) {
                return Err(Error::forbidden(
                    "only a platform administrator can revoke the certificates of a signing key",
                ));
            }
            Some(actor.id())
        }
        KeyRevoker::Operator => None,
    };
    let reason = parse_reason(reason)?;
    let kid = kid.trim();
    let issuer = issuer.get(db).await?;
    let now = Utc::now().trunc_subsecs(6);
    let txn = crate::db::begin(db).await?;
    let Some(compromised) = issuer_key::Entity::find_by_id(kid.to_owned())
        .one(&txn)
        .await?
    else {
        return Err(Error::NotFound("kid"));
    };
    if issuer.key_by_kid(kid).is_some() {
        return Err(Error::Conflict {
            field: "kid",
            message: format!(
                "{kid} is a current signing key: rotate to a new key first, then revoke what {kid} signed"
            ),
        });
    }
    // The key that now signs in the compromised key's place (same algorithm), if any.
    let current_kid = credentials::Algorithm::parse(&compromised.algorithm)
        .and_then(|alg| issuer.key_for(alg))
        .map(|key| key.kid().to_owned());
    if let Some(current_kid) = &current_kid {
        let current = issuer_key::Entity::find_by_id(current_kid.clone())
            .one(&txn)
            .await?;
        if current.is_none_or(|key| key.retired_at.is_some()) {
            return Err(Error::Conflict {
                field: "kid",
                message: format!(
                    "this server signs with the retired key {current_kid}: run this where the newest key is configured"
                ),
            });
        }
    }
    let signed = certificate::Entity::find()
        .filter(certificate::Column::SigningKid.eq(kid))
        .filter(certificate::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(certificate::Column::ExpiresAt.is_null())
                .add(certificate::Column::ExpiresAt.gt(now)),
        )
        .order_by_asc(certificate::Column::UserId)
        .order_by_asc(certificate::Column::Id)
        .all(&txn)
        .await?;
    // Ordered by holder above, so each holder once.
    let mut holders: Vec<Uuid> = signed.iter().map(|c| c.user_id).collect();
    holders.dedup();
    crate::db::lock_users(&txn, holders.iter().copied()).await?;
    let revocation = Revocation {
        by: actor_id,
        reason,
        kind: RevocationKind::KeyCompromise,
        at: now,
    };
    let mut revoked = 0_u64;
    for certificate in &signed {
        if revocation.apply(&txn, certificate).await? {
            revoked += 1;
        }
    }
    let mut reissued = 0_u64;
    for holder in &holders {
        // A holder whose criteria no longer hold (moved to a unit the template is not for, say)
        // gets nothing; `due` decides, as for any issuance.
        let issued = issue_due(&txn, issuer, *holder, now).await?;
        reissued += u64::try_from(issued.len()).unwrap_or(u64::MAX);
    }
    audit::record(
        &txn,
        actor_id,
        "issuer_key.certificates_revoked",
        Target::IssuerKey,
        json!({
            "kid": kid,
            "currentKid": current_kid,
            "reason": reason,
            "revoked": revoked,
            "reissued": reissued,
            "byOperator": actor_id.is_none(),
        }),
    )
    .await?;
    txn.commit().await?;
    tracing::warn!(
        kid,
        revoked,
        reissued,
        "certificates of a compromised key revoked"
    );
    Ok(KeyRevocation {
        kid: kid.to_owned(),
        current_kid,
        revoked,
        reissued,
    })
}

/// A person's certificates, newest first. Who may read whose is the caller's decision.
pub async fn held_by(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(user_id))
        .order_by_desc(certificate::Column::IssuedAt)
        .order_by_desc(certificate::Column::Id)
        .all(db)
        .await?)
}

/// A certificate's status as anyone may learn it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Valid,
    Expired,
    Revoked,
    NotFound,
}

impl Status {
    pub fn of(certificate: &certificate::Model, now: DateTime<Utc>) -> Self {
        if certificate.revoked_at.is_some() {
            Self::Revoked
        } else if certificate.expires_at.is_some_and(|at| at <= now) {
            Self::Expired
        } else {
            Self::Valid
        }
    }
}

/// A competence a certificate attests, as its template names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestedCompetence {
    pub name: String,
    /// The competence's code in its framework, e.g. `4.2`.
    pub code: String,
    /// The framework's name, e.g. `DigComp 2.2`.
    pub framework: String,
}

/// An AI system a certificate covers, as public verification shows it: its name and version
/// at issuance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestedAiSystem {
    pub name: String,
    pub version: i32,
}

/// What a verification shows: nothing about the holder but the name the certificate was issued
/// to (and, for the caller's eyes only, the holder's account id, so a page can tell the holder
/// from a stranger; it is never shown).
#[derive(Clone, Debug)]
pub struct Verification {
    pub status: Status,
    /// The code in its grouped form, when it names a certificate.
    pub code: Option<VerificationCode>,
    pub holder_name: Option<String>,
    pub title: Option<String>,
    pub issuer_name: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// What the certificate attests, in the template's words.
    pub description: Option<String>,
    /// The competences the template is aligned to, in order.
    pub competences: Vec<AttestedCompetence>,
    /// The AI systems it covers, as they were at issuance, by name.
    pub ai_systems: Vec<AttestedAiSystem>,
    /// The issuing authority as it presents itself (name, address, contact), when it has a
    /// profile.
    pub issuer: Option<IssuerProfile>,
    /// The holder's account: to recognise the holder's own visit. Never to be shown.
    pub holder_user_id: Option<Uuid>,
}

impl Verification {
    pub fn not_found() -> Self {
        Self {
            status: Status::NotFound,
            code: None,
            holder_name: None,
            title: None,
            issuer_name: None,
            issued_at: None,
            expires_at: None,
            revoked_at: None,
            description: None,
            competences: Vec::new(),
            ai_systems: Vec::new(),
            issuer: None,
            holder_user_id: None,
        }
    }
}

/// Looks a code up (public). Anything that is not a code, and a code of no certificate, is
/// `NotFound`.
pub async fn verify(
    db: &impl ConnectionTrait,
    issuer: &Issuer,
    code: &str,
) -> Result<Verification> {
    let Some((certificate, code)) = find_by_code(db, code).await? else {
        return Ok(Verification::not_found());
    };
    let template = certificate_template::Entity::find_by_id(certificate.template_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("template of a certificate is missing")))?;
    let profile = match certificate.issuer_unit_id {
        Some(authority_id) => credentials::profile(db, issuer, authority_id).await?,
        // Issued before authorities issued as themselves: the authority it would be now.
        None => {
            let holder = user::Entity::find_by_id(certificate.user_id)
                .one(db)
                .await?
                .ok_or_else(|| {
                    Error::Internal(anyhow::anyhow!("holder of a certificate is missing"))
                })?;
            issuing_profile(db, issuer, &holder, &template).await?
        }
    };
    let competences = alignments_of(db, issuer, template.id)
        .await?
        .into_iter()
        .map(|alignment| AttestedCompetence {
            name: alignment.name,
            code: alignment.code,
            framework: alignment.framework,
        })
        .collect();
    let ai_systems = ai_systems_of_certificates(db, &[certificate.id])
        .await?
        .into_iter()
        .map(|row| AttestedAiSystem {
            name: row.name,
            version: row.version,
        })
        .collect();
    Ok(Verification {
        status: Status::of(&certificate, Utc::now()),
        code: Some(code),
        // The name the credential attests, stored at issuance; never the account's current
        // display name, which a rename changes.
        holder_name: Some(certificate.holder_name),
        title: Some(template.title),
        issuer_name: Some(template.issuer_name),
        issued_at: Some(certificate.issued_at),
        expires_at: certificate.expires_at,
        revoked_at: certificate.revoked_at,
        description: Some(template.description),
        competences,
        ai_systems,
        issuer: Some(profile),
        holder_user_id: Some(certificate.user_id),
    })
}

/// The certificate with this code, if the text is a code and names one.
pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<(certificate::Model, VerificationCode)>> {
    let Some(code) = VerificationCode::parse(code) else {
        return Ok(None);
    };
    Ok(certificate::Entity::find()
        .filter(certificate::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .map(|certificate| (certificate, code)))
}

batch!(
    /// Templates by id.
    templates_by_ids, certificate_template, Id
);
batch!(
    /// Course criteria of many templates.
    course_criteria_of, certificate_template_course, TemplateId
);
batch!(
    /// Assessment criteria of many templates.
    assessment_criteria_of, certificate_template_assessment, TemplateId
);
batch!(
    /// Competence alignments of many templates, in order.
    alignments_of_templates, certificate_template_competence, TemplateId, Position
);
batch!(
    /// The AI systems many certificates cover, as recorded at issuance, by name.
    ai_systems_of_certificates, certificate_ai_system, CertificateId, Name
);

/// The job that assigns a holder their template's recertification course.
pub const RECERTIFY: &str = "recertify";

/// Queues, once per certificate, the recertification of every valid certificate whose template
/// has one and whose window (its days before expiry) has begun at `now` (the background
/// worker's scan). Returns how many were new.
pub async fn queue_recertifications(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    use crate::entities::certificate_recertification;

    let plans = certificate_recertification::Entity::find().all(db).await?;
    if plans.is_empty() {
        return Ok(0);
    }
    let longest = plans.iter().map(|p| p.days_before).max().unwrap_or(0);
    let candidates = certificate::Entity::find()
        .filter(certificate::Column::TemplateId.is_in(plans.iter().map(|p| p.template_id)))
        .filter(certificate::Column::RevokedAt.is_null())
        .filter(certificate::Column::ExpiresAt.gt(now))
        .filter(
            certificate::Column::ExpiresAt.lte(now + chrono::Duration::days(i64::from(longest))),
        )
        .all(db)
        .await?;
    let jobs: Vec<crate::jobs::NewJob> = candidates
        .iter()
        .filter(|c| {
            let plan = plans.iter().find(|p| p.template_id == c.template_id);
            match (plan, c.expires_at) {
                (Some(plan), Some(expires_at)) => {
                    expires_at - chrono::Duration::days(i64::from(plan.days_before)) <= now
                }
                _ => false,
            }
        })
        .map(|c| crate::jobs::NewJob {
            kind: RECERTIFY,
            payload: json!({ "certificateId": c.id }),
            unique_key: Some(format!("recertify:{}", c.id)),
            run_at: now,
        })
        .collect();
    crate::jobs::enqueue(db, jobs, now).await
}

/// Assigns the holder of `certificate_id` their template's recertification course, due when the
/// certificate expires (a completed enrolment is reopened: they take it again). Nothing when the
/// certificate was revoked or has expired meanwhile, or the template no longer recertifies.
pub async fn recertify(
    db: &DatabaseConnection,
    certificate_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(held) = certificate::Entity::find_by_id(certificate_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(plan) = recertification(db, held.template_id).await? else {
        return Ok(());
    };
    if held.revoked_at.is_some() || held.expires_at.is_none_or(|at| at <= now) {
        return Ok(());
    }
    let txn = crate::db::begin(db).await?;
    crate::learning::assignments::assign_in(
        &txn,
        None,
        plan.course_id,
        &[held.user_id],
        held.expires_at,
        crate::learning::assignments::Reopen::Completed,
        crate::learning::assignments::AssignedFor::Recertification(certificate_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

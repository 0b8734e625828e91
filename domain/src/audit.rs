//! Audit events, written in the same transaction as the change they record, and the audit trail
//! administrators read.
//!
//! Every event carries the person it is about (`subject_user_id`) and the org unit it belongs to
//! (`org_unit_id`), derived from its target inside the `INSERT` itself (no extra round trip): the
//! person's unit for events about a person, an enrolment, an attempt or a certificate; the unit
//! of the course, question, assessment, template, job role or org unit otherwise; none for
//! platform-wide things. An administrator reads the events of the units their grants cover (a
//! platform administrator: all).

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait as _, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::Actor,
    entities::{
        ai_system, assessment, attempt, audit_event, certificate, certificate_template, course,
        enrollment, job_role, org_unit, provisioning_token, question, rollout, user,
    },
    types::Role,
};

/// What an audit event is about.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    User(Uuid),
    OrgUnit(Uuid),
    Framework(Uuid),
    Competence(Uuid),
    JobRole(Uuid),
    Course(Uuid),
    Enrollment(Uuid),
    Question(Uuid),
    Assessment(Uuid),
    Attempt(Uuid),
    CertificateTemplate(Uuid),
    Certificate(Uuid),
    /// One of the issuer's signing keys, named by `kid` in the details (a key has no UUID).
    IssuerKey,
    /// An authority's SCIM provisioning token; it belongs to the authority's top-level unit.
    ProvisioningToken(Uuid),
    /// An AI system in an authority's register.
    AiSystem(Uuid),
    /// A rollout of a digital service in an org unit.
    Rollout(Uuid),
    /// A job of the background queue.
    Job(Uuid),
}

impl Target {
    fn parts(self) -> (&'static str, Option<Uuid>) {
        match self {
            Self::User(id) => ("user", Some(id)),
            Self::OrgUnit(id) => ("org_unit", Some(id)),
            Self::Framework(id) => ("competence_framework", Some(id)),
            Self::Competence(id) => ("competence", Some(id)),
            Self::JobRole(id) => ("job_role", Some(id)),
            Self::Course(id) => ("course", Some(id)),
            Self::Enrollment(id) => ("enrollment", Some(id)),
            Self::Question(id) => ("question", Some(id)),
            Self::Assessment(id) => ("assessment", Some(id)),
            Self::Attempt(id) => ("attempt", Some(id)),
            Self::CertificateTemplate(id) => ("certificate_template", Some(id)),
            Self::Certificate(id) => ("certificate", Some(id)),
            Self::IssuerKey => ("issuer_key", None),
            Self::ProvisioningToken(id) => ("provisioning_token", Some(id)),
            Self::AiSystem(id) => ("ai_system", Some(id)),
            Self::Rollout(id) => ("rollout", Some(id)),
            Self::Job(id) => ("job", Some(id)),
        }
    }

    /// The person the event is about and the org unit it belongs to, as expressions the
    /// `INSERT` evaluates.
    fn scope(self) -> (Expr, Expr) {
        let none = || Expr::value(Option::<Uuid>::None);
        match self {
            Self::User(id) => (Expr::value(id), unit_of_person(Expr::value(id))),
            Self::Enrollment(id) => person_of(enrollment::Entity, enrollment::Column::UserId, id),
            Self::Attempt(id) => person_of(attempt::Entity, attempt::Column::UserId, id),
            Self::Certificate(id) => {
                person_of(certificate::Entity, certificate::Column::UserId, id)
            }
            Self::OrgUnit(id) => (none(), Expr::value(id)),
            Self::Course(id) => (
                none(),
                column_of(course::Entity, course::Column::OrgUnitId, id),
            ),
            Self::Question(id) => (
                none(),
                column_of(question::Entity, question::Column::OrgUnitId, id),
            ),
            Self::Assessment(id) => (
                none(),
                column_of(assessment::Entity, assessment::Column::OrgUnitId, id),
            ),
            Self::CertificateTemplate(id) => (
                none(),
                column_of(
                    certificate_template::Entity,
                    certificate_template::Column::OrgUnitId,
                    id,
                ),
            ),
            Self::JobRole(id) => (
                none(),
                column_of(job_role::Entity, job_role::Column::OrgUnitId, id),
            ),
            Self::ProvisioningToken(id) => (
                none(),
                column_of(
                    provisioning_token::Entity,
                    provisioning_token::Column::OrgUnitId,
                    id,
                ),
            ),
            Self::AiSystem(id) => (
                none(),
                column_of(ai_system::Entity, ai_system::Column::OrgUnitId, id),
            ),
            Self::Rollout(id) => (
                none(),
                column_of(rollout::Entity, rollout::Column::OrgUnitId, id),
            ),
            Self::Framework(_) | Self::Competence(_) | Self::IssuerKey | Self::Job(_) => {
                (none(), none())
            }
        }
    }
}

/// `(SELECT column FROM entity WHERE id = id)`.
fn column_of<E: EntityTrait>(entity: E, column: E::Column, id: Uuid) -> Expr
where
    E::Column: ColumnTrait,
{
    let mut select = Query::select();
    select
        .column(column)
        .from(entity)
        .and_where(Expr::col((entity, Alias::new("id"))).eq(id));
    scalar(select)
}

/// The person an enrolment, attempt or certificate belongs to, and that person's unit.
fn person_of<E: EntityTrait>(entity: E, user_column: E::Column, id: Uuid) -> (Expr, Expr)
where
    E::Column: ColumnTrait,
{
    let person = column_of(entity, user_column, id);
    (person.clone(), unit_of_person(person))
}

/// `(SELECT org_unit_id FROM users WHERE id = person)`.
fn unit_of_person(person: Expr) -> Expr {
    let mut select = Query::select();
    select
        .column(user::Column::OrgUnitId)
        .from(user::Entity)
        .and_where(Expr::col((user::Entity, user::Column::Id)).eq(person));
    scalar(select)
}

fn scalar(select: SelectStatement) -> Expr {
    Expr::SubQuery(None, Box::new(select.into()))
}

/// When an event happens, to the microsecond both engines keep (so a cursor holds exactly
/// what was stored).
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// The values of one event's row, its person and unit derived from `target`.
fn insert(
    actor: Option<Uuid>,
    action: &str,
    target: Target,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> Vec<Expr> {
    let (target_type, target_id) = target.parts();
    let (subject, unit) = target.scope();
    vec![
        Expr::value(Uuid::now_v7()),
        Expr::value(actor),
        Expr::value(action),
        Expr::value(target_type),
        Expr::value(target_id),
        subject,
        unit,
        Expr::value(details),
        Expr::value(at),
    ]
}

fn insert_statement(
    rows: impl IntoIterator<Item = Vec<Expr>>,
) -> sea_orm::sea_query::InsertStatement {
    let mut statement = Query::insert();
    statement.into_table(audit_event::Entity).columns([
        audit_event::Column::Id,
        audit_event::Column::ActorId,
        audit_event::Column::Action,
        audit_event::Column::TargetType,
        audit_event::Column::TargetId,
        audit_event::Column::SubjectUserId,
        audit_event::Column::OrgUnitId,
        audit_event::Column::Details,
        audit_event::Column::CreatedAt,
    ]);
    for row in rows {
        statement.values_panic(row);
    }
    statement
}

/// Records `action` by `actor` (None: the system or an operator's command line) on `target`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    action: &str,
    target: Target,
    details: serde_json::Value,
) -> Result<()> {
    let row = insert(actor, action, target, details, now());
    db.execute(&insert_statement([row])).await?;
    Ok(())
}

/// The action of a read of other people's learning data.
pub const PERSONAL_DATA_READ: &str = "personal_data.read";

/// Records that `actor` read the learning data (`what`: the fields, by their API names) of each
/// of `people`: one event per person, all in one statement. The caller reads nothing of its own:
/// `people` excludes the actor.
pub async fn record_reads(
    db: &impl ConnectionTrait,
    actor: Uuid,
    people: &[Uuid],
    what: &[&str],
    operation: Option<&str>,
) -> Result<()> {
    if people.is_empty() {
        return Ok(());
    }
    let at = now();
    let details = serde_json::json!({ "read": what, "operation": operation });
    let rows = people.iter().map(|&person| {
        insert(
            Some(actor),
            PERSONAL_DATA_READ,
            Target::User(person),
            details.clone(),
            at,
        )
    });
    db.execute(&insert_statement(rows)).await?;
    Ok(())
}

/// Narrows the audit trail; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Who acted.
    pub actor_id: Option<Uuid>,
    /// The person the events are about.
    pub subject_id: Option<Uuid>,
    /// Exact action names (`role.granted`, `personal_data.read`, ...); any of them.
    pub actions: Vec<String>,
    /// From this time on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// Where a page starts: after this event, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct After {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl After {
    pub fn of(event: &audit_event::Model) -> Self {
        Self {
            created_at: event.created_at,
            id: event.id,
        }
    }
}

/// One page of the audit trail and whether more follow.
#[derive(Debug)]
pub struct AuditPage {
    pub events: Vec<audit_event::Model>,
    pub has_next_page: bool,
}

/// The audit events of the units the actor's `ADMIN` grants cover (a platform `ADMIN`: every
/// event, the platform-wide ones included), newest first, after `after`. Anyone else is
/// `Forbidden` before anything is read. Listing is the question here, so a filter naming a
/// person outside the actor's units gives an empty page.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AuditFilter,
    after: Option<After>,
    first: u64,
) -> Result<AuditPage> {
    actor.require_role(Role::Admin)?;
    if let (Some(from), Some(until)) = (filter.from, filter.until)
        && from >= until
    {
        return Err(Error::invalid("until", "until must be later than from"));
    }
    let mut condition = Condition::all();
    if !actor.is_platform(Role::Admin) {
        condition = condition.add(
            audit_event::Column::OrgUnitId.in_subquery(
                Query::select()
                    .column(org_unit::Column::Id)
                    .from(org_unit::Entity)
                    .cond_where(actor.covered_units(Role::Admin))
                    .to_owned(),
            ),
        );
    }
    if let Some(actor_id) = filter.actor_id {
        condition = condition.add(audit_event::Column::ActorId.eq(actor_id));
    }
    if let Some(subject_id) = filter.subject_id {
        condition = condition.add(audit_event::Column::SubjectUserId.eq(subject_id));
    }
    if !filter.actions.is_empty() {
        condition = condition.add(audit_event::Column::Action.is_in(filter.actions.clone()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(audit_event::Column::CreatedAt.gte(from));
    }
    if let Some(until) = filter.until {
        condition = condition.add(audit_event::Column::CreatedAt.lt(until));
    }
    let mut page = newest_first(db, condition, after, first).await?;
    withhold_results(db, actor, &mut page.events).await?;
    Ok(page)
}

/// The details an administrator does not see of events about another person whose authority
/// limits HR and administrators to completion and pass/fail (`hr_person_view = 'pass_fail'`):
/// per action, the keys whose values read as `null`. What happened, to whom and whether it
/// passed stay; scores, attempt numbers and self-assessed levels do not.
pub const WITHHELD_UNDER_PASS_FAIL: [(&str, &[&str]); 3] = [
    ("attempt.started", &["attemptNumber"]),
    ("attempt.scored", &["score", "maxScore"]),
    ("competence.self_assessed", &["ratings"]),
];

/// Sets to `null` the details [`WITHHELD_UNDER_PASS_FAIL`] names in the events about people
/// other than `actor` whose authority (that of the person's current unit) has the `pass_fail`
/// setting. Two statements, only when the page holds such events.
async fn withhold_results(
    db: &impl ConnectionTrait,
    actor: &Actor,
    events: &mut [audit_event::Model],
) -> Result<()> {
    use std::collections::{HashMap, HashSet};

    use sea_orm::RelationTrait as _;

    use crate::{entities::privacy_policy, privacy::policy::HrPersonView};

    let withheld = |event: &audit_event::Model| -> Option<&'static [&'static str]> {
        let other = event.subject_user_id.is_some_and(|id| id != actor.id());
        WITHHELD_UNDER_PASS_FAIL
            .iter()
            .find(|(action, _)| other && *action == event.action)
            .map(|(_, keys)| *keys)
    };
    let mut people: Vec<Uuid> = events
        .iter()
        .filter(|event| withheld(event).is_some())
        .filter_map(|event| event.subject_user_id)
        .collect();
    if people.is_empty() {
        return Ok(());
    }
    people.sort();
    people.dedup();
    let paths: Vec<(Uuid, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(org_unit::Column::Path)
        .join(sea_orm::JoinType::InnerJoin, user::Relation::OrgUnit.def())
        .filter(user::Column::Id.is_in(people))
        .into_tuple()
        .all(db)
        .await?;
    let authority_of: HashMap<Uuid, Uuid> = paths
        .iter()
        .filter_map(|(person, path)| {
            crate::org::authority_id(path)
                .ok()
                .map(|authority| (*person, authority))
        })
        .collect();
    let mut authorities: Vec<Uuid> = authority_of.values().copied().collect();
    authorities.sort();
    authorities.dedup();
    let pass_fail: HashSet<Uuid> = privacy_policy::Entity::find()
        .select_only()
        .column(privacy_policy::Column::OrgUnitId)
        .filter(privacy_policy::Column::OrgUnitId.is_in(authorities))
        .filter(privacy_policy::Column::HrPersonView.eq(HrPersonView::PassFail.as_str()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for event in events.iter_mut() {
        let Some(keys) = withheld(event) else {
            continue;
        };
        let limited = event
            .subject_user_id
            .and_then(|person| authority_of.get(&person))
            .is_some_and(|authority| pass_fail.contains(authority));
        if let (true, serde_json::Value::Object(details)) = (limited, &mut event.details) {
            for key in keys {
                if let Some(value) = details.get_mut(*key) {
                    *value = serde_json::Value::Null;
                }
            }
        }
    }
    Ok(())
}

/// The action of an export of a person's data (`exportUserData`, `GET /me/export.json`).
pub const DATA_EXPORTED: &str = "user.data_exported";

/// Who read the actor's learning data (their `personal_data.read` events) or exported all
/// their data for them (`user.data_exported` by someone else), newest first: the person's own
/// view of the trail (GDPR Art. 15), open to everyone signed in.
pub async fn reads_of_me(
    db: &impl ConnectionTrait,
    actor: &Actor,
    after: Option<After>,
    first: u64,
) -> Result<AuditPage> {
    let condition = Condition::all()
        .add(audit_event::Column::SubjectUserId.eq(actor.id()))
        .add(
            Condition::any()
                .add(audit_event::Column::Action.eq(PERSONAL_DATA_READ))
                .add(
                    Condition::all()
                        .add(audit_event::Column::Action.eq(DATA_EXPORTED))
                        .add(audit_event::Column::ActorId.ne(actor.id())),
                ),
        );
    newest_first(db, condition, after, first).await
}

/// The events matching `condition`, newest first, after `after`.
async fn newest_first(
    db: &impl ConnectionTrait,
    mut condition: Condition,
    after: Option<After>,
    first: u64,
) -> Result<AuditPage> {
    if let Some(after) = after {
        condition = condition.add(
            Condition::any()
                .add(audit_event::Column::CreatedAt.lt(after.created_at))
                .add(
                    Condition::all()
                        .add(audit_event::Column::CreatedAt.eq(after.created_at))
                        .add(audit_event::Column::Id.lt(after.id)),
                ),
        );
    }
    let mut events = audit_event::Entity::find()
        .filter(condition)
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(first.saturating_add(1))
        .all(db)
        .await?;
    let has_next_page = events.len() as u64 > first;
    events.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(AuditPage {
        events,
        has_next_page,
    })
}

//! The authority's AI register and the measures its staff must meet for each system (EU AI Act
//! Art. 4: AI literacy suited to each person's role and the system's context; Art. 26(2): human
//! oversight of a high-risk system only by people with the competence, training and authority
//! for it; Art. 49(3): a public authority registers its high-risk use in the EU database).
//!
//! Who may do what:
//! - Everyone in an authority reads its register (it is meant to be public inside); other
//!   authorities' systems do not exist for them (`NotFound`). A platform grant reads every one.
//! - The authority's `ADMIN` (or a platform `ADMIN`) writes it: systems, their uses by job
//!   roles or named people, the measures each kind of use requires, and the change log.
//! - Anyone in the authority acknowledges a system's instructions for use, for its current
//!   version; a retired system's instructions are no longer acknowledged (`Conflict`).
//!
//! Rules the register enforces: a `PROHIBITED` system (Art. 5) is refused, not recorded; a
//! high-risk system names its Annex III area; only a high-risk system has `OVERSIGHT` users
//! (Art. 26(2)). Every write is audited.
//!
//! Measures reach people through the assignment machinery: a person who comes to deal with a
//! system (their job role is linked to it, they get such a job role, or they are named) is
//! assigned its required courses, due in [`DEFAULT_DUE_DAYS`], once; a change that needs
//! retraining assigns them again to everyone, completed ones reopened, with the due date the
//! change gives. Whether the measures are met is [`evidence`]'s business.

pub mod evidence;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set, sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    courses,
    entities::{
        ai_instruction_acknowledgement, ai_system, ai_system_change, ai_system_measure,
        ai_system_use, certificate_template, competence,
        course::CourseStatus,
        job_role, org_unit,
        user::{self, UserStatus},
        user_job_role,
    },
    learning::assignments,
    org,
    types::{Name, Role},
};

/// Days until a register-driven assignment is due, unless a change says otherwise.
pub const DEFAULT_DUE_DAYS: i64 = 30;
const MAX_PURPOSE_CHARS: usize = 2_000;
const MAX_SUMMARY_CHARS: usize = 2_000;

/// The risk class of an AI system under the EU AI Act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RiskClass {
    /// A prohibited practice (Art. 5): never recorded, refused.
    Prohibited,
    /// High-risk (Art. 6, Annex III).
    HighRisk,
    /// With transparency obligations (Art. 50), e.g. a chatbot.
    Transparency,
    Minimal,
}

/// The authority's role for a system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthorityRole {
    Deployer,
    Provider,
    Both,
}

/// Where a system is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemStatus {
    Planned,
    InUse,
    Retired,
}

/// How people deal with a system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UseKind {
    /// They operate it.
    Operator,
    /// They oversee it (Art. 26(2); high-risk systems only).
    Oversight,
    /// They are informed users, affected by its output.
    AffectedStaff,
}

macro_rules! stored_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// What the database stores.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The value the database stored.
            pub fn parse(raw: &str) -> Result<Self> {
                match raw {
                    $($text => Ok(Self::$variant),)+
                    other => Err(Error::Internal(anyhow::anyhow!(
                        concat!("unknown ", stringify!($ty), " {:?}"), other
                    ))),
                }
            }
        }
    };
}

stored_enum!(RiskClass { Prohibited => "prohibited", HighRisk => "high_risk", Transparency => "transparency", Minimal => "minimal" });
stored_enum!(AuthorityRole { Deployer => "deployer", Provider => "provider", Both => "both" });
stored_enum!(SystemStatus { Planned => "planned", InUse => "in_use", Retired => "retired" });
stored_enum!(UseKind { Operator => "operator", Oversight => "oversight", AffectedStaff => "affected_staff" });

/// What a system's entry says (create and update alike; an update replaces all of it).
#[derive(Clone, Debug)]
pub struct SystemInput {
    pub name: String,
    pub purpose: String,
    pub provider: String,
    pub authority_role: AuthorityRole,
    pub risk_class: RiskClass,
    pub annex_iii_area: Option<i32>,
    pub eu_database_id: Option<String>,
    pub public_register_url: Option<String>,
    pub instructions_url: Option<String>,
    pub owner_unit_id: Option<Uuid>,
    pub contact_user_id: Option<Uuid>,
    pub status: SystemStatus,
}

/// A checked [`SystemInput`].
struct Checked {
    name: String,
    purpose: String,
    provider: String,
    annex_iii_area: Option<i32>,
    eu_database_id: Option<String>,
    public_register_url: Option<String>,
    instructions_url: Option<String>,
}

fn optional(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn https_url(value: Option<String>, field: &'static str) -> Result<Option<String>> {
    optional(value)
        .map(|raw| match url::Url::parse(&raw) {
            Ok(url) if url.scheme() == "https" && url.host().is_some() && raw.len() <= 500 => {
                Ok(url.to_string())
            }
            _ => Err(Error::invalid(
                field,
                format!("{field} must be an https:// address of at most 500 characters"),
            )),
        })
        .transpose()
}

async fn check(
    db: &impl ConnectionTrait,
    authority: &org_unit::Model,
    input: &SystemInput,
) -> Result<Checked> {
    match input.risk_class {
        RiskClass::Prohibited => {
            return Err(Error::invalid(
                "riskClass",
                "a prohibited AI practice (EU AI Act Art. 5) may not be deployed, so it cannot be registered",
            ));
        }
        RiskClass::HighRisk => match input.annex_iii_area {
            Some(1..=8) => {}
            Some(_) => {
                return Err(Error::invalid(
                    "annexIiiArea",
                    "annexIiiArea must be 1 to 8, the areas of Annex III",
                ));
            }
            None => {
                return Err(Error::invalid(
                    "annexIiiArea",
                    "a high-risk system names its Annex III area (1 to 8)",
                ));
            }
        },
        RiskClass::Transparency | RiskClass::Minimal if input.annex_iii_area.is_some() => {
            return Err(Error::invalid(
                "annexIiiArea",
                "only a high-risk system has an Annex III area",
            ));
        }
        RiskClass::Transparency | RiskClass::Minimal => {}
    }
    let name = Name::parse(&input.name, "name")?.into_inner();
    let provider = Name::parse(&input.provider, "provider")?.into_inner();
    let purpose = input.purpose.trim().to_owned();
    if purpose.is_empty() || purpose.chars().count() > MAX_PURPOSE_CHARS {
        return Err(Error::invalid(
            "purpose",
            format!(
                "purpose must say what the system is used for, in at most {MAX_PURPOSE_CHARS} characters"
            ),
        ));
    }
    let eu_database_id = optional(input.eu_database_id.clone());
    if eu_database_id
        .as_ref()
        .is_some_and(|id| id.chars().count() > 100 || id.chars().any(char::is_control))
    {
        return Err(Error::invalid(
            "euDatabaseId",
            "euDatabaseId must be one line of at most 100 characters",
        ));
    }
    if let Some(unit_id) = input.owner_unit_id {
        let unit = org::find(db, unit_id)
            .await
            .map_err(|_| Error::invalid("ownerOrgUnitId", "no such org unit"))?;
        if !unit.path.starts_with(&authority.path) {
            return Err(Error::invalid(
                "ownerOrgUnitId",
                "the owning unit must belong to the authority",
            ));
        }
    }
    if let Some(user_id) = input.contact_user_id
        && !in_authority(db, user_id, &authority.path).await?
    {
        return Err(Error::invalid(
            "contactUserId",
            "the contact person must be someone in the authority",
        ));
    }
    Ok(Checked {
        name,
        purpose,
        provider,
        annex_iii_area: input.annex_iii_area,
        eu_database_id,
        public_register_url: https_url(input.public_register_url.clone(), "publicRegisterUrl")?,
        instructions_url: https_url(input.instructions_url.clone(), "instructionsUrl")?,
    })
}

/// Registers a system in the authority `org_unit_id` (its `ADMIN`); audited.
pub async fn create_system(
    db: &DatabaseConnection,
    actor: &Actor,
    org_unit_id: Uuid,
    input: SystemInput,
) -> Result<ai_system::Model> {
    let authority = org::administered_authority(db, actor, org_unit_id, "an AI register").await?;
    let checked = check(db, &authority, &input).await?;
    let now = Utc::now();
    let txn = crate::db::begin(db).await?;
    let system = ai_system::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_unit_id: Set(authority.id),
        name: Set(checked.name),
        purpose: Set(checked.purpose),
        provider: Set(checked.provider),
        authority_role: Set(input.authority_role.as_str().to_owned()),
        risk_class: Set(input.risk_class.as_str().to_owned()),
        annex_iii_area: Set(checked.annex_iii_area),
        eu_database_id: Set(checked.eu_database_id),
        public_register_url: Set(checked.public_register_url),
        instructions_url: Set(checked.instructions_url),
        owner_unit_id: Set(input.owner_unit_id),
        contact_user_id: Set(input.contact_user_id),
        status: Set(input.status.as_str().to_owned()),
        version: Set(1),
        retraining_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "ai_system.created",
        Target::AiSystem(system.id),
        json!({ "name": system.name, "riskClass": system.risk_class, "status": system.status }),
    )
    .await?;
    txn.commit().await?;
    Ok(system)
}

/// A system the actor may read: one of their authority's (or any, for a platform grant).
/// Anything else is `NotFound`.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<ai_system::Model> {
    Ok(find_with_authority(db, actor, id).await?.0)
}

/// [`find_visible`], with the authority whose register it is in.
async fn find_with_authority(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(ai_system::Model, org_unit::Model)> {
    let system = ai_system::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("AI system"))?;
    let authority = org::find(db, system.org_unit_id).await?;
    if !reads_authority(actor, &authority.path) {
        return Err(Error::NotFound("AI system"));
    }
    Ok((system, authority))
}

/// Whether the person `user_id` exists and works in the authority at `authority_path`.
async fn in_authority(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    authority_path: &str,
) -> Result<bool> {
    let Some(person) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(false);
    };
    Ok(org::find(db, person.org_unit_id)
        .await?
        .path
        .starts_with(authority_path))
}

/// Oversight (Art. 26(2)) is for high-risk systems only.
fn check_kind(system: &ai_system::Model, kind: Option<UseKind>) -> Result<()> {
    if kind == Some(UseKind::Oversight)
        && RiskClass::parse(&system.risk_class)? != RiskClass::HighRisk
    {
        return Err(Error::invalid(
            "kind",
            "OVERSIGHT (EU AI Act Art. 26(2)) applies to high-risk systems only",
        ));
    }
    Ok(())
}

fn reads_authority(actor: &Actor, authority_path: &str) -> bool {
    actor
        .authority_prefixes()
        .is_none_or(|prefixes| prefixes.iter().any(|prefix| prefix == authority_path))
}

/// A system the actor administers (`ADMIN` covering its authority); `NotFound` if they may not
/// even read it, `Forbidden` if they may read but not write.
async fn find_administered(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<(ai_system::Model, org_unit::Model)> {
    actor.require_role(Role::Admin)?;
    let (system, authority) = find_with_authority(db, actor, id).await?;
    actor.require_covers(Role::Admin, &authority.path, "that authority")?;
    Ok((system, authority))
}

/// The register of the authority `org_unit_id` (anyone in it), by name.
pub async fn systems(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Uuid,
) -> Result<Vec<ai_system::Model>> {
    let unit = org::find(db, org_unit_id).await?;
    let authority_id = org::authority_id(&unit.path)?;
    let authority = org::find(db, authority_id).await?;
    if !reads_authority(actor, &authority.path) {
        return Err(Error::NotFound("org unit"));
    }
    Ok(ai_system::Entity::find()
        .filter(ai_system::Column::OrgUnitId.eq(authority.id))
        .order_by_asc(ai_system::Column::Name)
        .order_by_asc(ai_system::Column::Id)
        .all(db)
        .await?)
}

/// The register of an authority as its public endpoint publishes it: every entry, retired ones
/// included (with their status), by name. No actor: the authority decides on its issuer
/// profile whether it is public (`publishes_ai_register`).
pub async fn public_register(
    db: &impl ConnectionTrait,
    authority_id: Uuid,
) -> Result<Vec<ai_system::Model>> {
    let unit = org::find(db, authority_id).await?;
    if unit.parent_id.is_some() {
        return Err(Error::NotFound("authority"));
    }
    Ok(ai_system::Entity::find()
        .filter(ai_system::Column::OrgUnitId.eq(unit.id))
        .order_by_asc(ai_system::Column::Name)
        .order_by_asc(ai_system::Column::Id)
        .all(db)
        .await?)
}

/// Replaces a system's entry (`ADMIN` of its authority); audited. Oversight uses of a system
/// that is no longer high-risk are refused: remove them first.
pub async fn update_system(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: SystemInput,
) -> Result<ai_system::Model> {
    let (system, authority) = find_administered(db, actor, id).await?;
    let checked = check(db, &authority, &input).await?;
    if input.risk_class != RiskClass::HighRisk
        && ai_system_use::Entity::find()
            .filter(ai_system_use::Column::AiSystemId.eq(id))
            .filter(ai_system_use::Column::Kind.eq(UseKind::Oversight.as_str()))
            .one(db)
            .await?
            .is_some()
    {
        return Err(Error::Conflict {
            field: "riskClass",
            message: "oversight (Art. 26(2)) is only for high-risk systems: remove the oversight uses first".into(),
        });
    }
    let txn = crate::db::begin(db).await?;
    let updated = ai_system::ActiveModel {
        id: Set(system.id),
        name: Set(checked.name),
        purpose: Set(checked.purpose),
        provider: Set(checked.provider),
        authority_role: Set(input.authority_role.as_str().to_owned()),
        risk_class: Set(input.risk_class.as_str().to_owned()),
        annex_iii_area: Set(checked.annex_iii_area),
        eu_database_id: Set(checked.eu_database_id),
        public_register_url: Set(checked.public_register_url),
        instructions_url: Set(checked.instructions_url),
        owner_unit_id: Set(input.owner_unit_id),
        contact_user_id: Set(input.contact_user_id),
        status: Set(input.status.as_str().to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "ai_system.updated",
        Target::AiSystem(id),
        json!({
            "before": { "name": system.name, "riskClass": system.risk_class, "status": system.status },
            "after": { "name": updated.name, "riskClass": updated.risk_class, "status": updated.status },
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// A material change to a system.
#[derive(Clone, Debug)]
pub struct ChangeInput {
    pub summary: String,
    pub requires_retraining: bool,
    /// Days until the renewed assignments are due (1 to 365; default [`DEFAULT_DUE_DAYS`]).
    pub due_in_days: Option<i64>,
}

/// Records a change (`ADMIN` of its authority): the version goes up by one and the change is
/// logged; when it needs retraining, every earlier piece of evidence turns stale and everyone
/// who deals with the system is assigned its required courses again, due in the days given.
/// One transaction; audited.
pub async fn record_change(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: ChangeInput,
    now: DateTime<Utc>,
) -> Result<ai_system::Model> {
    let (system, _) = find_administered(db, actor, id).await?;
    let summary = input.summary.trim().to_owned();
    if summary.is_empty() || summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err(Error::invalid(
            "summary",
            format!("summary must say what changed, in at most {MAX_SUMMARY_CHARS} characters"),
        ));
    }
    let due_days = input.due_in_days.unwrap_or(DEFAULT_DUE_DAYS);
    if !(1..=365).contains(&due_days) {
        return Err(Error::invalid("dueInDays", "dueInDays must be 1 to 365"));
    }
    if SystemStatus::parse(&system.status)? == SystemStatus::Retired {
        return Err(Error::Conflict {
            field: "aiSystemId",
            message: "the system is retired: a change to it is not recorded".into(),
        });
    }
    let txn = crate::db::begin(db).await?;
    // Lock the system's row by writing it first, so two changes at once get versions in turn.
    let mut updated = ai_system::ActiveModel {
        id: Set(system.id),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let version = updated.version + 1;
    let mut active: ai_system::ActiveModel = updated.clone().into();
    active.version = Set(version);
    if input.requires_retraining {
        active.retraining_since = Set(Some(now));
    }
    updated = active.update(&txn).await?;
    ai_system_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        ai_system_id: Set(system.id),
        version: Set(version),
        summary: Set(summary.clone()),
        requires_retraining: Set(input.requires_retraining),
        recorded_by: Set(Some(actor.id())),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let mut reassigned = 0;
    if input.requires_retraining {
        let people = people_of(&txn, &system, None).await?;
        for (kind, user_ids) in &people {
            for course_id in required_courses(&txn, system.id, *kind).await? {
                reassigned += assignments::assign_in(
                    &txn,
                    Some(actor.id()),
                    course_id,
                    user_ids,
                    Some(now + Duration::days(due_days)),
                    assignments::Reopen::Completed,
                    assignments::AssignedFor::AiSystem(system.id),
                )
                .await?
                .len() as u64;
            }
        }
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "ai_system.changed",
        Target::AiSystem(system.id),
        json!({
            "version": version,
            "summary": summary,
            "requiresRetraining": input.requires_retraining,
            "reassigned": reassigned,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The change log of a system, newest first.
pub async fn changes(
    db: &impl ConnectionTrait,
    system_id: Uuid,
) -> Result<Vec<ai_system_change::Model>> {
    Ok(ai_system_change::Entity::find()
        .filter(ai_system_change::Column::AiSystemId.eq(system_id))
        .order_by_desc(ai_system_change::Column::Version)
        .all(db)
        .await?)
}

/// Who is linked to a system: a job role's holders or one named person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    JobRole(Uuid),
    Person(Uuid),
}

/// Links a job role's holders, or one named person, to a system as `kind` (replacing how they
/// were linked); `None` unlinks them. `ADMIN` of the system's authority; audited. The people
/// who newly deal with it are assigned its required courses.
pub async fn set_use(
    db: &DatabaseConnection,
    actor: &Actor,
    system_id: Uuid,
    subject: Subject,
    kind: Option<UseKind>,
    now: DateTime<Utc>,
) -> Result<ai_system::Model> {
    let (system, authority) = find_administered(db, actor, system_id).await?;
    check_kind(&system, kind)?;
    match subject {
        Subject::JobRole(job_role_id) => {
            let role = job_role::Entity::find_by_id(job_role_id).one(db).await?;
            let fits = match role.as_ref().and_then(|role| role.org_unit_id) {
                None => role.is_some(),
                Some(unit_id) => org::find(db, unit_id)
                    .await?
                    .path
                    .starts_with(&authority.path),
            };
            if !fits {
                return Err(Error::invalid(
                    "jobRoleId",
                    "no such job role in this authority",
                ));
            }
        }
        Subject::Person(user_id) => {
            if !in_authority(db, user_id, &authority.path).await? {
                return Err(Error::invalid("userId", "no such person in this authority"));
            }
        }
    }
    let (job_role_id, user_id) = match subject {
        Subject::JobRole(id) => (Some(id), None),
        Subject::Person(id) => (None, Some(id)),
    };
    let txn = crate::db::begin(db).await?;
    let existing = ai_system_use::Entity::find()
        .filter(ai_system_use::Column::AiSystemId.eq(system_id))
        .filter(match subject {
            Subject::JobRole(id) => ai_system_use::Column::JobRoleId.eq(id),
            Subject::Person(id) => ai_system_use::Column::UserId.eq(id),
        })
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|row| row.kind.clone());
    match (existing, kind) {
        (Some(row), Some(kind)) => {
            ai_system_use::ActiveModel {
                id: Set(row.id),
                kind: Set(kind.as_str().to_owned()),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        (None, Some(kind)) => {
            ai_system_use::ActiveModel {
                id: Set(Uuid::now_v7()),
                ai_system_id: Set(system_id),
                job_role_id: Set(job_role_id),
                user_id: Set(user_id),
                kind: Set(kind.as_str().to_owned()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        (Some(row), None) => {
            ai_system_use::Entity::delete_by_id(row.id)
                .exec(&txn)
                .await?;
        }
        (None, None) => {}
    }
    let mut assigned = 0;
    if let Some(kind) = kind {
        let people = people_of(&txn, &system, Some(subject)).await?;
        let user_ids: Vec<Uuid> = people.into_values().flatten().collect();
        for course_id in required_courses(&txn, system_id, kind).await? {
            assigned += assignments::assign_in(
                &txn,
                Some(actor.id()),
                course_id,
                &user_ids,
                Some(now + Duration::days(DEFAULT_DUE_DAYS)),
                assignments::Reopen::Never,
                assignments::AssignedFor::AiSystem(system_id),
            )
            .await?
            .len() as u64;
        }
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "ai_system.use_set",
        Target::AiSystem(system_id),
        json!({
            "jobRoleId": job_role_id,
            "userId": user_id,
            "before": before,
            "after": kind.map(UseKind::as_str),
            "assigned": assigned,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(system)
}

/// How one system is used: by job role or by named person.
pub async fn uses(
    db: &impl ConnectionTrait,
    system_ids: &[Uuid],
) -> Result<Vec<ai_system_use::Model>> {
    Ok(ai_system_use::Entity::find()
        .filter(ai_system_use::Column::AiSystemId.is_in(system_ids.iter().copied()))
        .order_by_asc(ai_system_use::Column::CreatedAt)
        .all(db)
        .await?)
}

/// What one kind of use of a system requires.
#[derive(Clone, Debug, Default)]
pub struct MeasuresInput {
    pub course_ids: Vec<Uuid>,
    pub template_ids: Vec<Uuid>,
    /// Competence and minimum level (1 to 8).
    pub competences: Vec<(Uuid, i32)>,
    /// Whether the system's instructions for use must be acknowledged, in its current version.
    pub instructions: bool,
}

/// Replaces what `kind` of use of a system requires (`ADMIN` of its authority); audited. The
/// people of that kind of use are assigned any newly required course.
pub async fn set_measures(
    db: &DatabaseConnection,
    actor: &Actor,
    system_id: Uuid,
    kind: UseKind,
    input: MeasuresInput,
    now: DateTime<Utc>,
) -> Result<ai_system::Model> {
    let (system, authority) = find_administered(db, actor, system_id).await?;
    check_kind(&system, Some(kind))?;
    let course_ids: BTreeSet<Uuid> = input.course_ids.iter().copied().collect();
    for course_id in &course_ids {
        let access = match courses::load_access(db, *course_id).await {
            Ok(access) => Some(access),
            Err(Error::NotFound(_)) => None,
            Err(err) => return Err(err),
        };
        let usable = access.is_some_and(|access| {
            access.course.status == CourseStatus::Published
                && (access.course.visibility == crate::entities::course::Visibility::Platform
                    || access.unit.path.starts_with(&authority.path))
        });
        if !usable {
            return Err(Error::invalid(
                "courseIds",
                format!("no published course {course_id} that the authority's staff can take"),
            ));
        }
    }
    let template_ids: BTreeSet<Uuid> = input.template_ids.iter().copied().collect();
    let templates = certificate_template::Entity::find()
        .filter(certificate_template::Column::Id.is_in(template_ids.iter().copied()))
        .filter(certificate_template::Column::ArchivedAt.is_null())
        .all(db)
        .await?;
    for template_id in &template_ids {
        let template = templates.iter().find(|t| t.id == *template_id);
        let fits = match template.map(|t| t.org_unit_id) {
            None => false,
            Some(None) => true,
            Some(Some(unit_id)) => org::find(db, unit_id)
                .await?
                .path
                .starts_with(&authority.path),
        };
        if !fits {
            return Err(Error::invalid(
                "certificateTemplateIds",
                format!("no certificate template {template_id} for the authority's staff"),
            ));
        }
    }
    let mut competences: HashMap<Uuid, i32> = HashMap::new();
    for (competence_id, level) in &input.competences {
        if !(1..=8).contains(level) {
            return Err(Error::invalid("competences", "minLevel must be 1 to 8"));
        }
        if competences.insert(*competence_id, *level).is_some() {
            return Err(Error::invalid(
                "competences",
                "each competence may be named once",
            ));
        }
    }
    let found = competence::Entity::find()
        .filter(competence::Column::Id.is_in(competences.keys().copied()))
        .filter(competence::Column::ArchivedAt.is_null())
        .all(db)
        .await?;
    if found.len() != competences.len() {
        return Err(Error::invalid("competences", "no such competence"));
    }
    let txn = crate::db::begin(db).await?;
    ai_system_measure::Entity::delete_many()
        .filter(ai_system_measure::Column::AiSystemId.eq(system_id))
        .filter(ai_system_measure::Column::Kind.eq(kind.as_str()))
        .exec(&txn)
        .await?;
    let blank = || ai_system_measure::ActiveModel {
        id: Set(Uuid::now_v7()),
        ai_system_id: Set(system_id),
        kind: Set(kind.as_str().to_owned()),
        course_id: Set(None),
        template_id: Set(None),
        competence_id: Set(None),
        min_level: Set(None),
        instructions: Set(false),
    };
    let mut rows = Vec::new();
    for course_id in &course_ids {
        rows.push(ai_system_measure::ActiveModel {
            course_id: Set(Some(*course_id)),
            ..blank()
        });
    }
    for template_id in &template_ids {
        rows.push(ai_system_measure::ActiveModel {
            template_id: Set(Some(*template_id)),
            ..blank()
        });
    }
    let mut ordered: Vec<(Uuid, i32)> = competences.into_iter().collect();
    ordered.sort();
    for (competence_id, level) in &ordered {
        rows.push(ai_system_measure::ActiveModel {
            competence_id: Set(Some(*competence_id)),
            min_level: Set(Some(*level)),
            ..blank()
        });
    }
    if input.instructions {
        rows.push(ai_system_measure::ActiveModel {
            instructions: Set(true),
            ..blank()
        });
    }
    if !rows.is_empty() {
        ai_system_measure::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    let people = people_of(&txn, &system, None).await?;
    let user_ids = people.get(&kind).cloned().unwrap_or_default();
    let mut assigned = 0;
    for course_id in &course_ids {
        assigned += assignments::assign_in(
            &txn,
            Some(actor.id()),
            *course_id,
            &user_ids,
            Some(now + Duration::days(DEFAULT_DUE_DAYS)),
            assignments::Reopen::Never,
            assignments::AssignedFor::AiSystem(system_id),
        )
        .await?
        .len() as u64;
    }
    audit::record(
        &txn,
        Some(actor.id()),
        "ai_system.measures_set",
        Target::AiSystem(system_id),
        json!({
            "kind": kind.as_str(),
            "courseIds": course_ids,
            "templateIds": template_ids,
            "competences": ordered.iter().map(|(id, level)| json!({ "competenceId": id, "minLevel": level })).collect::<Vec<_>>(),
            "instructions": input.instructions,
            "assigned": assigned,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(system)
}

/// The measures of many systems.
pub async fn measures(
    db: &impl ConnectionTrait,
    system_ids: &[Uuid],
) -> Result<Vec<ai_system_measure::Model>> {
    Ok(ai_system_measure::Entity::find()
        .filter(ai_system_measure::Column::AiSystemId.is_in(system_ids.iter().copied()))
        .order_by_asc(ai_system_measure::Column::Id)
        .all(db)
        .await?)
}

/// Records that the actor read and acknowledged a system's instructions for use, for its
/// current version (anyone in its authority; again for the same version changes nothing).
/// A retired system's are refused (`Conflict`). Audited.
pub async fn acknowledge_instructions(
    db: &DatabaseConnection,
    actor: &Actor,
    system_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let (system, authority) = find_with_authority(db, actor, system_id).await?;
    if !actor.unit.path.starts_with(&authority.path) {
        return Err(Error::forbidden(
            "only staff of the authority acknowledge its systems' instructions",
        ));
    }
    if SystemStatus::parse(&system.status)? == SystemStatus::Retired {
        return Err(Error::Conflict {
            field: "aiSystemId",
            message: "the system is retired: its instructions are no longer acknowledged".into(),
        });
    }
    let txn = crate::db::begin(db).await?;
    let inserted = ai_instruction_acknowledgement::Entity::insert(
        ai_instruction_acknowledgement::ActiveModel {
            ai_system_id: Set(system.id),
            user_id: Set(actor.id()),
            version: Set(system.version),
            acknowledged_at: Set(now),
        },
    )
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            ai_instruction_acknowledgement::Column::AiSystemId,
            ai_instruction_acknowledgement::Column::UserId,
            ai_instruction_acknowledgement::Column::Version,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted > 0 {
        audit::record(
            &txn,
            Some(actor.id()),
            "ai_system.instructions_acknowledged",
            Target::AiSystem(system.id),
            json!({ "version": system.version }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The active people who deal with `system` (or, with `only`, those one link covers), by kind.
/// A person linked both by name and through their job role counts under their named link.
async fn people_of(
    db: &impl ConnectionTrait,
    system: &ai_system::Model,
    only: Option<Subject>,
) -> Result<HashMap<UseKind, Vec<Uuid>>> {
    let links = ai_system_use::Entity::find()
        .filter(ai_system_use::Column::AiSystemId.eq(system.id))
        .all(db)
        .await?;
    let authority = org::find(db, system.org_unit_id).await?;
    let in_authority = Query::select()
        .column(org_unit::Column::Id)
        .from(org_unit::Entity)
        .cond_where(org::in_subtree(&authority.path))
        .to_owned();
    let role_kinds: HashMap<Uuid, UseKind> = links
        .iter()
        .filter_map(|link| Some((link.job_role_id?, UseKind::parse(&link.kind).ok()?)))
        .filter(|(role, _)| only.is_none_or(|only| only == Subject::JobRole(*role)))
        .collect();
    let person_kinds: HashMap<Uuid, UseKind> = links
        .iter()
        .filter_map(|link| Some((link.user_id?, UseKind::parse(&link.kind).ok()?)))
        .filter(|(person, _)| only.is_none_or(|only| only == Subject::Person(*person)))
        .collect();
    let mut by_person: HashMap<Uuid, UseKind> = HashMap::new();
    if !role_kinds.is_empty() {
        let holders = user_job_role::Entity::find()
            .filter(user_job_role::Column::JobRoleId.is_in(role_kinds.keys().copied()))
            .filter(
                user_job_role::Column::UserId.in_subquery(
                    Query::select()
                        .column(user::Column::Id)
                        .from(user::Entity)
                        .cond_where(
                            Condition::all()
                                .add(user::Column::Status.eq(UserStatus::Active))
                                .add(user::Column::OrgUnitId.in_subquery(in_authority.clone())),
                        )
                        .to_owned(),
                ),
            )
            .all(db)
            .await?;
        for holder in holders {
            if let Some(kind) = role_kinds.get(&holder.job_role_id) {
                by_person.insert(holder.user_id, *kind);
            }
        }
    }
    if !person_kinds.is_empty() {
        let named = user::Entity::find()
            .filter(user::Column::Id.is_in(person_kinds.keys().copied()))
            .filter(user::Column::Status.eq(UserStatus::Active))
            .all(db)
            .await?;
        for person in named {
            if let Some(kind) = person_kinds.get(&person.id) {
                by_person.insert(person.id, *kind);
            }
        }
    }
    let mut by_kind: HashMap<UseKind, Vec<Uuid>> = HashMap::new();
    for (person, kind) in by_person {
        by_kind.entry(kind).or_default().push(person);
    }
    for people in by_kind.values_mut() {
        people.sort();
    }
    Ok(by_kind)
}

/// The courses `kind` of use of a system requires.
async fn required_courses(
    db: &impl ConnectionTrait,
    system_id: Uuid,
    kind: UseKind,
) -> Result<Vec<Uuid>> {
    Ok(ai_system_measure::Entity::find()
        .filter(ai_system_measure::Column::AiSystemId.eq(system_id))
        .filter(ai_system_measure::Column::Kind.eq(kind.as_str()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|measure| measure.course_id)
        .collect())
}

/// When a person gets a job role (inside `txn`, the assignment's): the courses required by the
/// systems that job role is linked to are assigned to them, due in [`DEFAULT_DUE_DAYS`], once.
pub async fn on_job_role_assigned(
    txn: &impl ConnectionTrait,
    by: Option<Uuid>,
    user_id: Uuid,
    job_role_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    let links = ai_system_use::Entity::find()
        .filter(ai_system_use::Column::JobRoleId.eq(job_role_id))
        .all(txn)
        .await?;
    let mut assigned = 0;
    for link in links {
        let Some(system) = ai_system::Entity::find_by_id(link.ai_system_id)
            .one(txn)
            .await?
        else {
            continue;
        };
        if SystemStatus::parse(&system.status)? == SystemStatus::Retired {
            continue;
        }
        for course_id in required_courses(txn, system.id, UseKind::parse(&link.kind)?).await? {
            assigned += assignments::assign_in(
                txn,
                by,
                course_id,
                &[user_id],
                Some(now + Duration::days(DEFAULT_DUE_DAYS)),
                assignments::Reopen::Never,
                assignments::AssignedFor::AiSystem(system.id),
            )
            .await?
            .len() as u64;
        }
    }
    Ok(assigned)
}

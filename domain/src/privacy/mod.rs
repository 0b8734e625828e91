//! A person's right of access and to data portability (GDPR Art. 15 and 20): everything GovSkills
//! holds about them as one machine-readable JSON document.
//!
//! [`export`] reads every table that refers to a person, each under its table name in `tables`:
//! their account (without the password hash), grants, job role, sign-in links, enrolments and
//! lesson progress, rollout assignments, attempts and their answers, competence results and
//! levels, certificates with their signed credentials and the AI systems they cover, AI
//! acknowledgements and named uses, notifications and preferences, the audit events about them
//! and by them, and what they are named in as staff (courses, questions and assessments they
//! own, templates, rollouts and tokens they created, AI systems they are the contact for,
//! assignments they made, certificates they revoked, retention and report privacy settings they
//! changed). A test fails when a table with a foreign
//! key to `users` is not in the export, so a new one cannot be forgotten.

mod audit_details;
pub mod person_view;
pub mod policy;
pub mod purge;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{
    Result, accounts,
    audit::{self, Target},
    auth::Actor,
    entities::{
        ai_instruction_acknowledgement, ai_system, ai_system_change, ai_system_use, assessment,
        attempt, attempt_question, audit_event, certificate, certificate_ai_system,
        certificate_template, competence_level, competence_result, course, course_author,
        enrollment, lesson_progress, notification, notification_preference, privacy_policy,
        provisioning_token, question, question_version, role_grant, rollout, rollout_assignment,
        user, user_identity, user_job_role,
    },
};

/// The format of the document, so a reader knows what to expect.
pub const FORMAT: &str = "govskills-personal-data/1";

/// Columns never exported: secrets and derived search keys.
const WITHHELD: [&str; 3] = ["password_hash", "search_text", "token_hash"];

/// The rows of `E` matching `condition`, as JSON objects with their column names, oldest first
/// where the table has an order.
async fn rows<E>(db: &impl ConnectionTrait, condition: Condition) -> Result<Vec<Value>>
where
    E: EntityTrait,
{
    let found = E::find().filter(condition).into_json().all(db).await?;
    Ok(found
        .into_iter()
        .map(|mut row| {
            if let Value::Object(map) = &mut row {
                for column in WITHHELD {
                    map.remove(column);
                }
            }
            row
        })
        .collect())
}

/// Everything about `user_id`, as of `now` (not audited: see [`export_for`] and [`export_own`]).
pub async fn export(db: &impl ConnectionTrait, user_id: Uuid, now: DateTime<Utc>) -> Result<Value> {
    let enrolments = Condition::all().add(enrollment::Column::UserId.eq(user_id));
    let enrolment_ids: Vec<Uuid> = enrollment::Entity::find()
        .filter(enrolments.clone())
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let attempt_ids: Vec<Uuid> = attempt::Entity::find()
        .filter(attempt::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let certificate_ids: Vec<Uuid> = certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();

    let mut tables = Map::new();
    let mut put = |name: &str, value: Vec<Value>| {
        tables.insert(name.to_owned(), Value::Array(value));
    };
    put(
        "users",
        rows::<user::Entity>(db, Condition::all().add(user::Column::Id.eq(user_id))).await?,
    );
    put(
        "role_grants",
        rows::<role_grant::Entity>(
            db,
            Condition::all().add(role_grant::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "user_job_roles",
        rows::<user_job_role::Entity>(
            db,
            Condition::all().add(user_job_role::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "user_identities",
        rows::<user_identity::Entity>(
            db,
            Condition::all().add(user_identity::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "enrollments",
        rows::<enrollment::Entity>(
            db,
            Condition::any()
                .add(enrollment::Column::UserId.eq(user_id))
                .add(enrollment::Column::AssignedBy.eq(user_id)),
        )
        .await?,
    );
    put(
        "lesson_progress",
        rows::<lesson_progress::Entity>(
            db,
            Condition::all().add(lesson_progress::Column::EnrollmentId.is_in(enrolment_ids)),
        )
        .await?,
    );
    put(
        "rollout_assignments",
        rows::<rollout_assignment::Entity>(
            db,
            Condition::all().add(rollout_assignment::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "attempts",
        rows::<attempt::Entity>(
            db,
            Condition::all().add(attempt::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "attempt_questions",
        rows::<attempt_question::Entity>(
            db,
            Condition::all().add(attempt_question::Column::AttemptId.is_in(attempt_ids)),
        )
        .await?,
    );
    put(
        "competence_results",
        rows::<competence_result::Entity>(
            db,
            Condition::all().add(competence_result::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "competence_levels",
        rows::<competence_level::Entity>(
            db,
            Condition::all().add(competence_level::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "certificates",
        rows::<certificate::Entity>(
            db,
            Condition::any()
                .add(certificate::Column::UserId.eq(user_id))
                .add(certificate::Column::RevokedBy.eq(user_id)),
        )
        .await?,
    );
    put(
        "certificate_ai_systems",
        rows::<certificate_ai_system::Entity>(
            db,
            Condition::all()
                .add(certificate_ai_system::Column::CertificateId.is_in(certificate_ids)),
        )
        .await?,
    );
    put(
        "ai_instruction_acknowledgements",
        rows::<ai_instruction_acknowledgement::Entity>(
            db,
            Condition::all().add(ai_instruction_acknowledgement::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "ai_system_uses",
        rows::<ai_system_use::Entity>(
            db,
            Condition::all().add(ai_system_use::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "ai_systems",
        rows::<ai_system::Entity>(
            db,
            Condition::all().add(ai_system::Column::ContactUserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "ai_system_changes",
        rows::<ai_system_change::Entity>(
            db,
            Condition::all().add(ai_system_change::Column::RecordedBy.eq(user_id)),
        )
        .await?,
    );
    put(
        "notifications",
        rows::<notification::Entity>(
            db,
            Condition::all().add(notification::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "notification_preferences",
        rows::<notification_preference::Entity>(
            db,
            Condition::all().add(notification_preference::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "courses",
        rows::<course::Entity>(
            db,
            Condition::all().add(course::Column::OwnerId.eq(user_id)),
        )
        .await?,
    );
    put(
        "course_authors",
        rows::<course_author::Entity>(
            db,
            Condition::all().add(course_author::Column::UserId.eq(user_id)),
        )
        .await?,
    );
    put(
        "questions",
        rows::<question::Entity>(
            db,
            Condition::all().add(question::Column::OwnerId.eq(user_id)),
        )
        .await?,
    );
    put(
        "question_versions",
        rows::<question_version::Entity>(
            db,
            Condition::all().add(question_version::Column::CreatedBy.eq(user_id)),
        )
        .await?,
    );
    put(
        "assessments",
        rows::<assessment::Entity>(
            db,
            Condition::all().add(assessment::Column::OwnerId.eq(user_id)),
        )
        .await?,
    );
    put(
        "certificate_templates",
        rows::<certificate_template::Entity>(
            db,
            Condition::all().add(certificate_template::Column::CreatedBy.eq(user_id)),
        )
        .await?,
    );
    put(
        "provisioning_tokens",
        rows::<provisioning_token::Entity>(
            db,
            Condition::all().add(provisioning_token::Column::CreatedBy.eq(user_id)),
        )
        .await?,
    );
    put(
        "privacy_policies",
        rows::<privacy_policy::Entity>(
            db,
            Condition::all().add(privacy_policy::Column::UpdatedBy.eq(user_id)),
        )
        .await?,
    );
    put(
        "rollouts",
        rows::<rollout::Entity>(
            db,
            Condition::all().add(rollout::Column::CreatedBy.eq(user_id)),
        )
        .await?,
    );
    let events = audit_event::Entity::find()
        .filter(
            Condition::any()
                .add(audit_event::Column::SubjectUserId.eq(user_id))
                .add(audit_event::Column::ActorId.eq(user_id)),
        )
        .order_by_asc(audit_event::Column::CreatedAt)
        .into_json()
        .all(db)
        .await?;
    put("audit_events", events);

    Ok(json!({
        "format": FORMAT,
        "exportedAt": now,
        "userId": user_id,
        "tables": Value::Object(tables),
    }))
}

/// The signed-in person's own data (`GET /me/export.json`); the export is audited.
pub async fn export_own(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Value> {
    let document = export(db, actor.id(), now).await?;
    audit::record(
        db,
        Some(actor.id()),
        audit::DATA_EXPORTED,
        Target::User(actor.id()),
        json!({ "by": "self" }),
    )
    .await?;
    Ok(document)
}

/// A person's data for an ADMIN covering them (`exportUserData`); audited.
pub async fn export_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Value> {
    accounts::find_managed(db, actor, user_id).await?;
    let document = export(db, user_id, now).await?;
    audit::record(
        db,
        Some(actor.id()),
        audit::DATA_EXPORTED,
        Target::User(user_id),
        json!({ "by": "admin" }),
    )
    .await?;
    Ok(document)
}

/// The stable pseudonym that replaces an erased person's name: the same for the same account.
pub fn pseudonym(user_id: Uuid) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(user_id.as_bytes());
    format!(
        "Erased person {}",
        data_encoding::HEXLOWER.encode(&digest[..4])
    )
}

/// What an erasure did.
#[derive(Clone, Debug)]
pub struct Erased {
    pub user: user::Model,
    pub certificates_revoked: u64,
}

/// Erases a person's identifying data (GDPR Art. 17), for an ADMIN covering them, in one
/// transaction: the account keeps its id but gets a pseudonym for a name, a placeholder email,
/// no password, sign-in links, grants, wallet or language, and is disabled; their answers and
/// self-assessments are deleted, as are their notifications; their valid certificates are
/// revoked ("erased") and every certificate of theirs names the pseudonym, so a verifier sees
/// `REVOKED` and no name (a credential already handed out stays the holder's own). Enrolments,
/// scores and verified levels stay, counted under the pseudonym. Audit events keep their ids
/// (who did what to whom), but wherever their details name the person (email, display name,
/// SCIM `userName` or `externalId`, wallet DID, sign-in subject; the reason given here too) the
/// name becomes the pseudonym and the email the erased form ([`audit_details`]). Irreversible:
/// a second erasure is `Conflict`; the last active platform administrator cannot be erased.
/// Audited with the reason. The caller ends the person's sessions.
pub async fn erase(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Erased> {
    let reason = crate::certificates::parse_reason(reason)?;
    let (person, _) = accounts::find_managed(db, actor, user_id).await?;
    erase_person(db, Some(actor.id()), person, reason, now).await
}

/// Erases an account whose retention period after deactivation has ended (the purge): as
/// [`erase`], by no one. Returns whether it was erased: not when it is active again, erased
/// already, or the last platform administrator.
pub(crate) async fn erase_for_retention(
    db: &sea_orm::DatabaseConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(person) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(false);
    };
    if person.status != user::UserStatus::Disabled {
        return Ok(false);
    }
    match erase_person(db, None, person, RETENTION_REASON, now).await {
        Ok(_) => Ok(true),
        Err(crate::Error::Conflict { .. }) => Ok(false),
        Err(err) => Err(err),
    }
}

/// The reason recorded when the purge erases a disabled account.
pub const RETENTION_REASON: &str = "the retention period after deactivation ended";

/// Erases `person` on behalf of `actor_id` (none: the purge); see [`erase`].
async fn erase_person(
    db: &sea_orm::DatabaseConnection,
    actor_id: Option<Uuid>,
    person: user::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Erased> {
    use sea_orm::{ActiveModelTrait as _, Set, sea_query::Expr};

    use crate::{
        Error,
        entities::{certificate::RevocationKind, competence_result::ResultSource},
        types::Role,
    };

    let user_id = person.id;
    if person.erased_at.is_some() {
        return Err(Error::Conflict {
            field: "userId",
            message: "this person's data was erased already".into(),
        });
    }
    let txn = crate::db::begin(db).await?;
    crate::db::lock_users(&txn, [user_id]).await?;
    let is_platform_admin = crate::auth::load_grants(&txn, user_id)
        .await?
        .iter()
        .any(|grant| grant.role == Role::Admin && grant.scope == crate::auth::Scope::Platform);
    if is_platform_admin {
        accounts::keep_a_platform_admin(&txn, user_id, "userId").await?;
    }
    let name = pseudonym(user_id);
    let email = audit_details::erased_email(user_id);
    // What named the person, to be replaced in older audit events' details too.
    let subjects: Vec<String> = user_identity::Entity::find()
        .filter(user_identity::Column::UserId.eq(user_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|identity| identity.subject)
        .collect();
    let named = audit_details::replacements(
        [
            (Some(person.email.clone()), true),
            (Some(person.display_name.clone()), false),
            (person.user_name.clone(), false),
            (person.external_id.clone(), false),
            (person.wallet_did.clone(), false),
        ]
        .into_iter()
        .chain(subjects.into_iter().map(|subject| (Some(subject), false))),
        &name,
        &email,
    );
    let erased = user::ActiveModel {
        id: Set(user_id),
        display_name: Set(name.clone()),
        email: Set(email.clone()),
        search_text: Set(accounts::search_text(&name, &email)),
        password_hash: Set(String::new()),
        status: Set(user::UserStatus::Disabled),
        external_id: Set(None),
        user_name: Set(None),
        wallet_did: Set(None),
        locale: Set(None),
        erased_at: Set(Some(now)),
        disabled_at: Set(person.disabled_at.or(Some(now))),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    user_identity::Entity::delete_many()
        .filter(user_identity::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    notification::Entity::delete_many()
        .filter(notification::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    notification_preference::Entity::delete_many()
        .filter(notification_preference::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    // Answers go; the scores stay (they identify no one once the person is a pseudonym).
    attempt_question::Entity::update_many()
        .col_expr(
            attempt_question::Column::Answer,
            Expr::value(Option::<String>::None),
        )
        .filter(
            attempt_question::Column::AttemptId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(attempt::Column::Id)
                    .from(attempt::Entity)
                    .and_where(attempt::Column::UserId.eq(user_id))
                    .to_owned(),
            ),
        )
        .exec(&txn)
        .await?;
    competence_result::Entity::delete_many()
        .filter(competence_result::Column::UserId.eq(user_id))
        .filter(competence_result::Column::Source.eq(ResultSource::SelfAssessed))
        .exec(&txn)
        .await?;
    competence_level::Entity::delete_many()
        .filter(competence_level::Column::UserId.eq(user_id))
        .filter(competence_level::Column::Verified.eq(false))
        .exec(&txn)
        .await?;
    let revoked = certificate::Entity::update_many()
        .col_expr(certificate::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(
            certificate::Column::RevokedReason,
            Expr::value(Some("erased")),
        )
        .col_expr(certificate::Column::RevokedBy, Expr::value(actor_id))
        .col_expr(
            certificate::Column::RevocationKind,
            Expr::value(Some(RevocationKind::Withdrawn)),
        )
        .filter(certificate::Column::UserId.eq(user_id))
        .filter(certificate::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    certificate::Entity::update_many()
        .col_expr(certificate::Column::HolderName, Expr::value(name.clone()))
        .filter(certificate::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor_id,
        "user.erased",
        Target::User(user_id),
        json!({ "reason": reason, "pseudonym": name, "certificatesRevoked": revoked }),
    )
    .await?;
    // Last, so that a reason naming the person is rewritten too.
    audit_details::pseudonymise(&txn, &named).await?;
    txn.commit().await?;
    Ok(Erased {
        user: erased,
        certificates_revoked: revoked,
    })
}

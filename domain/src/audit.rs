//! Audit events, written in the same transaction as the change they record.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::{Result, entities::audit_event};

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
        }
    }
}

/// Records `action` by `actor` (None: the system or an operator's command line) on `target`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    action: &str,
    target: Target,
    details: serde_json::Value,
) -> Result<()> {
    let (target_type, target_id) = target.parts();
    audit_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        actor_id: Set(actor),
        action: Set(action.to_owned()),
        target_type: Set(target_type.to_owned()),
        target_id: Set(target_id),
        details: Set(details),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

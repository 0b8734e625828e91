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
}

impl Target {
    fn parts(self) -> (&'static str, Uuid) {
        match self {
            Self::User(id) => ("user", id),
            Self::OrgUnit(id) => ("org_unit", id),
            Self::Framework(id) => ("competence_framework", id),
            Self::Competence(id) => ("competence", id),
            Self::JobRole(id) => ("job_role", id),
            Self::Course(id) => ("course", id),
            Self::Enrollment(id) => ("enrollment", id),
            Self::Question(id) => ("question", id),
            Self::Assessment(id) => ("assessment", id),
            Self::Attempt(id) => ("attempt", id),
            Self::CertificateTemplate(id) => ("certificate_template", id),
            Self::Certificate(id) => ("certificate", id),
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
        target_id: Set(Some(target_id)),
        details: Set(details),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

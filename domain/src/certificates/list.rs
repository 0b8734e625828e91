//! The certificate administration list: the certificates of the people an administrator covers,
//! newest first, by template, holder and status.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, RelationTrait as _,
};
use uuid::Uuid;

use super::Status;
use crate::{
    Error, Result,
    auth::Actor,
    entities::{certificate, user},
    types::Role,
};

/// Narrows the list; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct CertificateFilter {
    pub template_id: Option<Uuid>,
    pub holder_id: Option<Uuid>,
    /// Valid, expired or revoked (`NotFound` is not a certificate's status).
    pub status: Option<Status>,
}

/// One page of certificates and whether more follow.
#[derive(Debug)]
pub struct CertificatePage {
    pub certificates: Vec<certificate::Model>,
    pub has_next_page: bool,
}

/// The certificates of the people whose org unit the actor's `ADMIN` grants cover (a platform
/// `ADMIN`: everyone's), newest first, after the certificate `after` (exclusive). Anyone but an
/// administrator is `Forbidden` before anything is read. Listing is the question here, so a
/// filter naming a person or template outside the actor's reach gives an empty page, like one
/// that matches nothing: the list never says whether such a person has certificates.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &CertificateFilter,
    after: Option<Uuid>,
    first: u64,
    now: DateTime<Utc>,
) -> Result<CertificatePage> {
    actor.require_role(Role::Admin)?;
    let mut condition = Condition::all().add(actor.covered_units(Role::Admin));
    if let Some(template_id) = filter.template_id {
        condition = condition.add(certificate::Column::TemplateId.eq(template_id));
    }
    if let Some(holder_id) = filter.holder_id {
        condition = condition.add(certificate::Column::UserId.eq(holder_id));
    }
    match filter.status {
        None => {}
        Some(Status::Valid) => {
            condition = condition.add(certificate::Column::RevokedAt.is_null()).add(
                Condition::any()
                    .add(certificate::Column::ExpiresAt.is_null())
                    .add(certificate::Column::ExpiresAt.gt(now)),
            );
        }
        Some(Status::Expired) => {
            condition = condition
                .add(certificate::Column::RevokedAt.is_null())
                .add(certificate::Column::ExpiresAt.lte(now));
        }
        Some(Status::Revoked) => {
            condition = condition.add(certificate::Column::RevokedAt.is_not_null());
        }
        Some(Status::NotFound) => {
            return Err(Error::invalid(
                "status",
                "status is VALID, EXPIRED or REVOKED",
            ));
        }
    }
    if let Some(after) = after {
        condition = condition.add(certificate::Column::Id.lt(after));
    }
    let mut certificates = certificate::Entity::find()
        .join(JoinType::InnerJoin, holder())
        .join(JoinType::InnerJoin, user::Relation::OrgUnit.def())
        .filter(condition)
        .order_by_desc(certificate::Column::Id)
        .limit(first.saturating_add(1))
        .all(db)
        .await?;
    let has_next_page = certificates.len() as u64 > first;
    certificates.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(CertificatePage {
        certificates,
        has_next_page,
    })
}

/// certificates.user_id -> users.id (the entity declares no relations of its own).
fn holder() -> RelationDef {
    certificate::Entity::belongs_to(user::Entity)
        .from(certificate::Column::UserId)
        .to(user::Column::Id)
        .into()
}

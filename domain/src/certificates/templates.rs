//! Administering certificate templates: the list an administrator manages, editing what a
//! template says, and archiving one so that it issues nothing more.
//!
//! Who may do what: an `ADMIN` lists the templates of the units their grants cover and the
//! platform-wide ones (which apply to their staff too); a template is changed or archived by an
//! `ADMIN` covering its unit, a platform-wide one by a platform administrator only. Criteria are
//! not edited: a template whose criteria change is a new template (archive the old one), so a
//! certificate always means what it meant when it was issued.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set, sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use super::{check_validity, parse_description};
use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    entities::{certificate_recertification, certificate_template, org_unit},
    org,
    types::{Name, Role},
};

/// Changes to what a template says; `None` leaves a field as it is. `validity_months:
/// Some(None)` removes the expiry of certificates issued from now on.
#[derive(Debug, Default)]
pub struct TemplateUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub issuer_name: Option<String>,
    pub validity_months: Option<Option<i32>>,
}

/// The templates the actor administers or that apply to everyone, newest first (`ADMIN`;
/// anyone else is `Forbidden` before anything is read).
pub async fn templates(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<certificate_template::Model>> {
    actor.require_role(Role::Admin)?;
    let covered_units = Query::select()
        .column((org_unit::Entity, org_unit::Column::Id))
        .from(org_unit::Entity)
        .cond_where(actor.covered_units(Role::Admin))
        .to_owned();
    Ok(certificate_template::Entity::find()
        .filter(
            Condition::any()
                .add(certificate_template::Column::OrgUnitId.is_null())
                .add(certificate_template::Column::OrgUnitId.in_subquery(covered_units)),
        )
        .order_by_desc(certificate_template::Column::CreatedAt)
        .order_by_desc(certificate_template::Column::Id)
        .all(db)
        .await?)
}

/// Loads a template the actor may change: one they cannot see is `NotFound`, one they see but
/// do not administer (a platform-wide one, for an authority's administrator) `Forbidden`.
async fn load_managed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    template_id: Uuid,
) -> Result<certificate_template::Model> {
    actor.require_role(Role::Admin)?;
    let template = certificate_template::Entity::find_by_id(template_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("certificate template"))?;
    match template.org_unit_id {
        Some(unit_id) => {
            let unit = org::find(db, unit_id).await?;
            if !actor.covers(Role::Admin, &unit.path) {
                return Err(Error::NotFound("certificate template"));
            }
        }
        None if actor.is_platform(Role::Admin) => {}
        None => {
            return Err(Error::forbidden(
                "only a platform administrator changes a template for everyone",
            ));
        }
    }
    Ok(template)
}

/// Changes what a template says, for certificates issued from now on (issued ones keep the
/// credential they were signed with). An archived template does not change. Audited.
pub async fn update_template(
    db: &DatabaseConnection,
    actor: &Actor,
    template_id: Uuid,
    update: TemplateUpdate,
) -> Result<certificate_template::Model> {
    let template = load_managed(db, actor, template_id).await?;
    if template.archived_at.is_some() {
        return Err(Error::Conflict {
            field: "id",
            message: "an archived template does not change".into(),
        });
    }
    let mut model = certificate_template::ActiveModel {
        id: Set(template.id),
        ..Default::default()
    };
    let mut changed = Vec::new();
    if let Some(title) = update.title {
        model.title = Set(Name::parse(&title, "title")?.into_inner());
        changed.push("title");
    }
    if let Some(description) = update.description {
        model.description = Set(parse_description(&description)?);
        changed.push("description");
    }
    if let Some(issuer_name) = update.issuer_name {
        model.issuer_name = Set(Name::parse(&issuer_name, "issuerName")?.into_inner());
        changed.push("issuerName");
    }
    if let Some(validity_months) = update.validity_months {
        check_validity(validity_months)?;
        model.validity_months = Set(validity_months);
        changed.push("validityMonths");
    }
    if changed.is_empty() {
        return Ok(template);
    }
    let txn = crate::db::begin(db).await?;
    let template = model.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "certificate_template.updated",
        Target::CertificateTemplate(template.id),
        json!({ "changed": changed }),
    )
    .await?;
    txn.commit().await?;
    Ok(template)
}

/// Archives a template: it issues nothing more, and the certificates it issued stay valid
/// until they expire or are revoked. Archiving an archived template changes nothing. Audited.
pub async fn archive_template(
    db: &DatabaseConnection,
    actor: &Actor,
    template_id: Uuid,
) -> Result<certificate_template::Model> {
    let template = load_managed(db, actor, template_id).await?;
    if template.archived_at.is_some() {
        return Ok(template);
    }
    let txn = crate::db::begin(db).await?;
    let template = certificate_template::ActiveModel {
        id: Set(template.id),
        archived_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor.id()),
        "certificate_template.archived",
        Target::CertificateTemplate(template.id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(template)
}

/// Most days before expiry a recertification may start.
pub const MAX_RECERTIFY_DAYS: i32 = 365;

/// Sets how a template's holders recertify (`Some((days_before, course_id))`): `days_before`
/// days before a certificate expires (1 to [`MAX_RECERTIFY_DAYS`], within the validity period)
/// its holder is assigned the course again, due on the expiry date, once per certificate, by
/// the background worker. `None` turns it off. For the template's administrators; audited.
pub async fn set_recertification(
    db: &DatabaseConnection,
    actor: &Actor,
    template_id: Uuid,
    plan: Option<(i32, Uuid)>,
) -> Result<Option<certificate_recertification::Model>> {
    let template = load_managed(db, actor, template_id).await?;
    if let Some((days, course_id)) = plan {
        let Some(months) = template.validity_months else {
            return Err(Error::invalid(
                "daysBefore",
                "the template's certificates never expire; give it a validity period first",
            ));
        };
        if !(1..=MAX_RECERTIFY_DAYS.min(months * 28)).contains(&days) {
            return Err(Error::invalid(
                "daysBefore",
                format!(
                    "daysBefore must be 1 to {} (within the {months}-month validity period)",
                    MAX_RECERTIFY_DAYS.min(months * 28)
                ),
            ));
        }
        let published = crate::courses::load_access(db, course_id)
            .await
            .ok()
            .filter(|access| {
                access.course.status == crate::entities::course::CourseStatus::Published
            });
        if published.is_none() {
            return Err(Error::invalid(
                "courseId",
                format!("no published course {course_id}"),
            ));
        }
    }
    let txn = crate::db::begin(db).await?;
    certificate_recertification::Entity::delete_by_id(template_id)
        .exec(&txn)
        .await?;
    let saved = match plan {
        Some((days, course_id)) => Some(
            certificate_recertification::ActiveModel {
                template_id: Set(template_id),
                days_before: Set(days),
                course_id: Set(course_id),
            }
            .insert(&txn)
            .await?,
        ),
        None => None,
    };
    audit::record(
        &txn,
        Some(actor.id()),
        "certificate_template.recertification_set",
        Target::CertificateTemplate(template_id),
        serde_json::json!({
            "daysBefore": plan.map(|(days, _)| days),
            "courseId": plan.map(|(_, course)| course),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A template's recertification, if it has one.
pub async fn recertification(
    db: &impl ConnectionTrait,
    template_id: Uuid,
) -> Result<Option<certificate_recertification::Model>> {
    Ok(certificate_recertification::Entity::find_by_id(template_id)
        .one(db)
        .await?)
}

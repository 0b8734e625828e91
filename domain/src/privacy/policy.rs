//! An authority's data-protection settings (one `privacy_policies` row; none: the defaults).
//!
//! - **Retention** (GDPR Art. 5(1)(e)): how many months each kind of personal data is kept;
//!   [`super::purge`] applies it. Everyone in the authority may read it; its `ADMIN` changes
//!   it (audited).
//! - **Report privacy**, as staff councils require: the minimum group size of its reports (the
//!   platform's default unless set; below 3 only with a recorded reason) and whether HR sees
//!   a person's scores, attempt counts and self-assessments or only completion and pass/fail.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Error, Result,
    audit::{self, Target},
    auth::Actor,
    entities::{org_unit, privacy_policy},
    org,
};

/// How many months each kind of personal data is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Answers of an attempt, after it was scored (the score itself stays).
    pub attempt_answers_months: i32,
    /// Self-assessed competence levels, after they were given.
    pub self_assessments_months: i32,
    /// Audit events, after they happened.
    pub audit_events_months: i32,
    /// Disabled accounts, after they were disabled: then they are erased.
    pub disabled_accounts_months: i32,
    /// Notifications, after they were made.
    pub notifications_months: i32,
}

impl Retention {
    /// The defaults, common in public employers' records schedules.
    pub const DEFAULT: Self = Self {
        attempt_answers_months: 12,
        self_assessments_months: 24,
        audit_events_months: 72,
        disabled_accounts_months: 24,
        notifications_months: 12,
    };

    /// The periods a settings row holds.
    pub(crate) fn of(row: &privacy_policy::Model) -> Self {
        Self {
            attempt_answers_months: row.attempt_answers_months,
            self_assessments_months: row.self_assessments_months,
            audit_events_months: row.audit_events_months,
            disabled_accounts_months: row.disabled_accounts_months,
            notifications_months: row.notifications_months,
        }
    }
}

/// The longest retention period accepted: 100 years.
pub const MAX_MONTHS: i32 = 1200;

/// The smallest minimum group size allowed without a recorded reason.
pub const MIN_GROUP_SIZE_FLOOR: u32 = 3;

/// The largest minimum group size accepted.
pub const MAX_GROUP_SIZE: u32 = 1000;

/// The longest reason for a minimum group size below the floor.
const MAX_REASON_CHARS: usize = 500;

/// What HR and ADMIN see of a person's results in person-level views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HrPersonView {
    /// Everything: levels, scores, attempt counts, self-assessments.
    Full,
    /// Completion and pass/fail only: no scores, no attempt counts, no self-assessments.
    PassFail,
}

impl HrPersonView {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::PassFail => "pass_fail",
        }
    }

    fn parse(stored: &str) -> Self {
        match stored {
            "pass_fail" => Self::PassFail,
            _ => Self::Full,
        }
    }
}

/// An authority's retention policy.
#[derive(Clone, Debug)]
pub struct RetentionPolicy {
    pub authority: org_unit::Model,
    pub retention: Retention,
    /// Who changed it last, and when; `None` while the defaults apply.
    pub updated_by: Option<Uuid>,
    pub updated_at: Option<chrono::DateTime<Utc>>,
}

/// An authority's report privacy settings.
#[derive(Clone, Debug)]
pub struct ReportPrivacy {
    pub authority: org_unit::Model,
    /// The authority's own minimum group size; `None`: the platform's default.
    pub min_group_size: Option<u32>,
    /// The minimum group size in force.
    pub effective_min_group_size: u32,
    /// Why it is below [`MIN_GROUP_SIZE_FLOOR`], as recorded.
    pub min_group_size_reason: Option<String>,
    pub hr_person_view: HrPersonView,
    pub updated_by: Option<Uuid>,
    pub updated_at: Option<chrono::DateTime<Utc>>,
}

/// The settings row of the authority `authority_id`, if any.
pub async fn row(
    db: &impl ConnectionTrait,
    authority_id: Uuid,
) -> Result<Option<privacy_policy::Model>> {
    Ok(privacy_policy::Entity::find_by_id(authority_id)
        .one(db)
        .await?)
}

/// The minimum group size in force for reports on the unit at `path`: its authority's, or
/// `platform_default`.
pub async fn min_group_size(
    db: &impl ConnectionTrait,
    path: &str,
    platform_default: u32,
) -> Result<u32> {
    let row = row(db, org::authority_id(path)?).await?;
    Ok(effective_min_group_size(row.as_ref(), platform_default))
}

fn effective_min_group_size(row: Option<&privacy_policy::Model>, platform_default: u32) -> u32 {
    row.and_then(|row| row.min_group_size)
        .and_then(|size| u32::try_from(size).ok())
        .unwrap_or(platform_default)
}

/// What HR sees of the results of a person in the unit at `path`.
pub async fn hr_person_view(db: &impl ConnectionTrait, path: &str) -> Result<HrPersonView> {
    Ok(row(db, org::authority_id(path)?)
        .await?
        .map_or(HrPersonView::Full, |row| {
            HrPersonView::parse(&row.hr_person_view)
        }))
}

/// The authority `org_unit_id` lies in, if the actor belongs to it or holds a grant in it.
async fn readable_authority(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Uuid,
) -> Result<org_unit::Model> {
    let unit = org::find(db, org_unit_id).await?;
    let prefix = org::authority_prefix(&unit.path);
    if let Some(prefixes) = actor.authority_prefixes()
        && !prefixes.iter().any(|own| own == prefix)
    {
        return Err(Error::forbidden(
            "only people of that authority can read its policy",
        ));
    }
    org::find(db, org::authority_id(&unit.path)?).await
}

/// The retention policy of the authority `org_unit_id` lies in (any of its units will do);
/// readable by everyone in the authority.
pub async fn retention_policy(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Uuid,
) -> Result<RetentionPolicy> {
    let authority = readable_authority(db, actor, org_unit_id).await?;
    let row = row(db, authority.id).await?;
    Ok(RetentionPolicy {
        retention: row.as_ref().map_or(Retention::DEFAULT, Retention::of),
        updated_by: row.as_ref().and_then(|row| row.updated_by),
        updated_at: row.as_ref().map(|row| row.updated_at),
        authority,
    })
}

/// A change to the retention policy: `None` keeps a period as it is.
#[derive(Clone, Debug, Default)]
pub struct RetentionUpdate {
    pub attempt_answers_months: Option<i32>,
    pub self_assessments_months: Option<i32>,
    pub audit_events_months: Option<i32>,
    pub disabled_accounts_months: Option<i32>,
    pub notifications_months: Option<i32>,
}

fn months(value: Option<i32>, current: i32, field: &'static str) -> Result<i32> {
    match value {
        None => Ok(current),
        Some(months) if months < 1 => Err(Error::invalid(
            field,
            format!("{field} must be at least 1 month (got {months})"),
        )),
        Some(months) if months > MAX_MONTHS => Err(Error::invalid(
            field,
            format!("{field} must be at most {MAX_MONTHS} months (got {months})"),
        )),
        Some(months) => Ok(months),
    }
}

/// The row to write: the current one, or the defaults for an authority without one.
fn current_or_default(
    row: Option<privacy_policy::Model>,
    authority_id: Uuid,
) -> privacy_policy::Model {
    row.unwrap_or(privacy_policy::Model {
        org_unit_id: authority_id,
        attempt_answers_months: Retention::DEFAULT.attempt_answers_months,
        self_assessments_months: Retention::DEFAULT.self_assessments_months,
        audit_events_months: Retention::DEFAULT.audit_events_months,
        disabled_accounts_months: Retention::DEFAULT.disabled_accounts_months,
        notifications_months: Retention::DEFAULT.notifications_months,
        min_group_size: None,
        min_group_size_reason: None,
        hr_person_view: HrPersonView::Full.as_str().to_owned(),
        updated_by: None,
        updated_at: Utc::now(),
    })
}

/// Writes `model` (inserting or updating the authority's row) and records `action` with
/// `details`, in one transaction.
async fn save(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    exists: bool,
    model: privacy_policy::Model,
    action: &str,
    details: serde_json::Value,
) -> Result<privacy_policy::Model> {
    let txn = crate::db::begin(db).await?;
    let authority_id = model.org_unit_id;
    let active = model.into_active_model().reset_all();
    let saved = if exists {
        active.update(&txn).await?
    } else {
        active.insert(&txn).await?
    };
    audit::record(
        &txn,
        Some(actor.id()),
        action,
        Target::OrgUnit(authority_id),
        details,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Changes the retention policy of the authority `org_unit_id` (its top-level unit); its
/// `ADMIN` only, audited.
pub async fn set_retention_policy(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    org_unit_id: Uuid,
    update: RetentionUpdate,
) -> Result<RetentionPolicy> {
    let authority =
        org::administered_authority(db, actor, org_unit_id, "a retention policy").await?;
    let before = row(db, authority.id).await?;
    let exists = before.is_some();
    let mut model = current_or_default(before, authority.id);
    let old = Retention::of(&model);
    model.attempt_answers_months = months(
        update.attempt_answers_months,
        old.attempt_answers_months,
        "attemptAnswersMonths",
    )?;
    model.self_assessments_months = months(
        update.self_assessments_months,
        old.self_assessments_months,
        "selfAssessmentsMonths",
    )?;
    model.audit_events_months = months(
        update.audit_events_months,
        old.audit_events_months,
        "auditEventsMonths",
    )?;
    model.disabled_accounts_months = months(
        update.disabled_accounts_months,
        old.disabled_accounts_months,
        "disabledAccountsMonths",
    )?;
    model.notifications_months = months(
        update.notifications_months,
        old.notifications_months,
        "notificationsMonths",
    )?;
    model.updated_by = Some(actor.id());
    model.updated_at = Utc::now();
    let new = Retention::of(&model);
    let saved = save(
        db,
        actor,
        exists,
        model,
        "retention_policy.updated",
        json!({
            "attemptAnswersMonths": new.attempt_answers_months,
            "selfAssessmentsMonths": new.self_assessments_months,
            "auditEventsMonths": new.audit_events_months,
            "disabledAccountsMonths": new.disabled_accounts_months,
            "notificationsMonths": new.notifications_months,
        }),
    )
    .await?;
    Ok(RetentionPolicy {
        retention: new,
        updated_by: saved.updated_by,
        updated_at: Some(saved.updated_at),
        authority,
    })
}

fn report_privacy_of(
    authority: org_unit::Model,
    row: Option<&privacy_policy::Model>,
    platform_default: u32,
) -> ReportPrivacy {
    ReportPrivacy {
        min_group_size: row
            .and_then(|row| row.min_group_size)
            .and_then(|size| u32::try_from(size).ok()),
        effective_min_group_size: effective_min_group_size(row, platform_default),
        min_group_size_reason: row.and_then(|row| row.min_group_size_reason.clone()),
        hr_person_view: row.map_or(HrPersonView::Full, |row| {
            HrPersonView::parse(&row.hr_person_view)
        }),
        updated_by: row.and_then(|row| row.updated_by),
        updated_at: row.map(|row| row.updated_at),
        authority,
    }
}

/// The report privacy settings of the authority `org_unit_id` lies in; readable by everyone
/// in the authority.
pub async fn report_privacy(
    db: &impl ConnectionTrait,
    actor: &Actor,
    org_unit_id: Uuid,
    platform_default: u32,
) -> Result<ReportPrivacy> {
    let authority = readable_authority(db, actor, org_unit_id).await?;
    let row = row(db, authority.id).await?;
    Ok(report_privacy_of(authority, row.as_ref(), platform_default))
}

/// A change to the report privacy settings.
#[derive(Clone, Debug, Default)]
pub struct ReportPrivacyUpdate {
    /// `None`: keep; `Some(None)`: back to the platform's default; `Some(Some(n))`: `n`.
    pub min_group_size: Option<Option<i64>>,
    /// Required when the minimum group size is below [`MIN_GROUP_SIZE_FLOOR`].
    pub min_group_size_reason: Option<String>,
    /// `None`: keep.
    pub hr_person_view: Option<HrPersonView>,
}

/// Changes the report privacy settings of the authority `org_unit_id` (its top-level unit);
/// its `ADMIN` only, audited. A minimum group size below 3 needs a reason, which is recorded.
pub async fn set_report_privacy(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    org_unit_id: Uuid,
    update: ReportPrivacyUpdate,
    platform_default: u32,
) -> Result<ReportPrivacy> {
    let authority =
        org::administered_authority(db, actor, org_unit_id, "a report privacy setting").await?;
    let before = row(db, authority.id).await?;
    let exists = before.is_some();
    let mut model = current_or_default(before, authority.id);
    if let Some(size) = update.min_group_size {
        let size = size
            .map(|size| {
                u32::try_from(size)
                    .ok()
                    .filter(|size| *size <= MAX_GROUP_SIZE)
                    .ok_or_else(|| {
                        Error::invalid(
                            "minGroupSize",
                            format!(
                                "minGroupSize must be between 0 and {MAX_GROUP_SIZE} (got {size})"
                            ),
                        )
                    })
            })
            .transpose()?;
        model.min_group_size = size.map(|size| size as i32);
    }
    let reason = update
        .min_group_size_reason
        .as_deref()
        .map(str::trim)
        .filter(|reason| !reason.is_empty());
    let effective = effective_min_group_size(Some(&model), platform_default);
    if model.min_group_size.is_some() && effective < MIN_GROUP_SIZE_FLOOR {
        let reason = match reason {
            Some(reason) if reason.chars().count() > MAX_REASON_CHARS => {
                return Err(Error::invalid(
                    "minGroupSizeReason",
                    format!("minGroupSizeReason must be at most {MAX_REASON_CHARS} characters"),
                ));
            }
            Some(reason) => reason.to_owned(),
            None if update.min_group_size.is_none() && model.min_group_size_reason.is_some() => {
                model.min_group_size_reason.clone().unwrap_or_default()
            }
            None => {
                return Err(Error::invalid(
                    "minGroupSizeReason",
                    format!(
                        "a minimum group size below {MIN_GROUP_SIZE_FLOOR} can single people out: \
                         record why it is needed in minGroupSizeReason"
                    ),
                ));
            }
        };
        model.min_group_size_reason = Some(reason);
    } else {
        model.min_group_size_reason = None;
    }
    if let Some(view) = update.hr_person_view {
        model.hr_person_view = view.as_str().to_owned();
    }
    model.updated_by = Some(actor.id());
    model.updated_at = Utc::now();
    let details = json!({
        "minGroupSize": model.min_group_size,
        "minGroupSizeReason": model.min_group_size_reason,
        "hrPersonView": model.hr_person_view,
    });
    let saved = save(db, actor, exists, model, "report_privacy.updated", details).await?;
    Ok(report_privacy_of(authority, Some(&saved), platform_default))
}

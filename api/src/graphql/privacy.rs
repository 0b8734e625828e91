//! Data protection: `exportUserData` (a person's data for an ADMIN covering them, GDPR Art. 15
//! and 20; the person's own export is `GET /me/export.json`), `eraseUser` (Art. 17), an
//! authority's retention policy (`retentionPolicy`, `setRetentionPolicy`, Art. 5(1)(e)) and its
//! report privacy settings (`reportPrivacy`, `setReportPrivacy`).

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use govskills_domain::privacy::{
    self,
    policy::{self, RetentionUpdate},
};

use super::{
    context::{actor, services},
    org_units::OrgUnit,
    parse_id,
};
use crate::error::{ApiError, ApiResult};

pub struct RetentionPolicy(policy::RetentionPolicy);

/// How long an authority keeps each kind of personal data, in months. A daily purge deletes
/// what is older (and erases disabled accounts); until an ADMIN changes it, the defaults apply:
/// 12, 24, 72, 24 and 12 months.
#[Object]
impl RetentionPolicy {
    /// The authority (top-level org unit) the policy belongs to.
    async fn authority(&self) -> OrgUnit {
        OrgUnit(self.0.authority.clone())
    }

    /// The answers given in an attempt are deleted this many months after it was scored; the
    /// score, pass/fail and the verified levels stay.
    async fn attempt_answers_months(&self) -> i32 {
        self.0.retention.attempt_answers_months
    }

    /// Self-assessed competence levels are deleted this many months after they were given.
    async fn self_assessments_months(&self) -> i32 {
        self.0.retention.self_assessments_months
    }

    /// Audit events are deleted this many months after they happened.
    async fn audit_events_months(&self) -> i32 {
        self.0.retention.audit_events_months
    }

    /// A disabled account is erased (as `eraseUser` does) this many months after it was
    /// disabled.
    async fn disabled_accounts_months(&self) -> i32 {
        self.0.retention.disabled_accounts_months
    }

    /// Notifications are deleted this many months after they were made.
    async fn notifications_months(&self) -> i32 {
        self.0.retention.notifications_months
    }

    /// When an ADMIN last changed the policy; null while the defaults apply.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

/// A change to a retention policy. Each period is 1 to 1,200 months; one left out stays as it
/// is.
#[derive(InputObject)]
pub struct RetentionPolicyInput {
    /// Months to keep the answers of a scored attempt.
    attempt_answers_months: Option<i32>,
    /// Months to keep self-assessed levels.
    self_assessments_months: Option<i32>,
    /// Months to keep audit events.
    audit_events_months: Option<i32>,
    /// Months after which a disabled account is erased.
    disabled_accounts_months: Option<i32>,
    /// Months to keep notifications.
    notifications_months: Option<i32>,
}

/// What HR and ADMIN see of another person's results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum HrPersonView {
    /// Everything: levels, scores, attempt counts and self-assessments.
    Full,
    /// Completion and pass/fail only, as staff-council agreements commonly require: scores,
    /// attempt counts and self-assessments of others are null.
    PassFail,
}

impl From<HrPersonView> for policy::HrPersonView {
    fn from(value: HrPersonView) -> Self {
        match value {
            HrPersonView::Full => Self::Full,
            HrPersonView::PassFail => Self::PassFail,
        }
    }
}

impl From<policy::HrPersonView> for HrPersonView {
    fn from(value: policy::HrPersonView) -> Self {
        match value {
            policy::HrPersonView::Full => Self::Full,
            policy::HrPersonView::PassFail => Self::PassFail,
        }
    }
}

pub struct ReportPrivacy(policy::ReportPrivacy);

/// How an authority's reports and person views protect its staff.
#[Object]
impl ReportPrivacy {
    /// The authority (top-level org unit) the settings belong to.
    async fn authority(&self) -> OrgUnit {
        OrgUnit(self.0.authority.clone())
    }

    /// The authority's own minimum group size: report figures of a group with fewer active
    /// staff are suppressed. Null: the platform's default (`GOVSKILLS_REPORT_MIN_GROUP_SIZE`).
    async fn min_group_size(&self) -> Option<u32> {
        self.0.min_group_size
    }

    /// The minimum group size in force (0: no suppression).
    async fn effective_min_group_size(&self) -> u32 {
        self.0.effective_min_group_size
    }

    /// Why the authority's minimum group size is below 3, as its ADMIN recorded it.
    async fn min_group_size_reason(&self) -> Option<&str> {
        self.0.min_group_size_reason.as_deref()
    }

    /// What HR and ADMIN see of another person's results.
    async fn hr_person_view(&self) -> HrPersonView {
        self.0.hr_person_view.into()
    }

    /// When an ADMIN last changed the settings; null while the defaults apply.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

/// A change to an authority's report privacy settings; a field left out stays as it is.
#[derive(InputObject)]
pub struct ReportPrivacyInput {
    /// The minimum group size, 0 to 1,000; null: back to the platform's default. Below 3 only
    /// with a `minGroupSizeReason`, which is recorded.
    min_group_size: MaybeUndefined<i64>,
    /// Why a minimum group size below 3 is needed (e.g. the staff council's agreement); at
    /// most 500 characters. Ignored at 3 and above.
    min_group_size_reason: Option<String>,
    /// What HR and ADMIN see of another person's results.
    hr_person_view: Option<HrPersonView>,
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// The retention policy of the authority an org unit lies in; readable by everyone in the
    /// authority, `FORBIDDEN` for others.
    async fn retention_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The authority's top-level org unit, or any unit in it.")] org_unit_id: ID,
    ) -> ApiResult<RetentionPolicy> {
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        Ok(RetentionPolicy(
            policy::retention_policy(&services(ctx)?.db, actor(ctx)?, org_unit_id).await?,
        ))
    }

    /// The report privacy settings of the authority an org unit lies in; readable by everyone
    /// in the authority (the staff council included), `FORBIDDEN` for others.
    async fn report_privacy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The authority's top-level org unit, or any unit in it.")] org_unit_id: ID,
    ) -> ApiResult<ReportPrivacy> {
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let services = services(ctx)?;
        Ok(ReportPrivacy(
            policy::report_privacy(
                &services.db,
                actor(ctx)?,
                org_unit_id,
                services.report_min_group_size,
            )
            .await?,
        ))
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Everything GovSkills holds about a person, as the JSON document `GET /me/export.json`
    /// gives them (format `govskills-personal-data/1`): for an ADMIN covering the person's org
    /// unit, to answer a request the person made in writing. Audited (`user.data_exported`).
    /// Safe to repeat.
    async fn export_user_data(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person.")] user_id: ID,
    ) -> ApiResult<String> {
        let user_id = parse_id(&user_id, "userId")?;
        let document =
            privacy::export_for(&services(ctx)?.db, actor(ctx)?, user_id, Utc::now()).await?;
        serde_json::to_string(&document).map_err(|err| ApiError::internal(&err.into()))
    }

    /// Erases a person's identifying data (GDPR Art. 17), for an ADMIN covering them:
    /// irreversibly, in one step. Their name becomes a stable pseudonym, their email a
    /// placeholder; password, sign-in links, roles, wallet and language go, and the account is
    /// disabled with its sessions ended. Their answers, self-assessments and notifications are
    /// deleted; their valid certificates are revoked with the reason "erased", and verifiers see
    /// `REVOKED` and the pseudonym, not the name. Enrolments, scores and verified levels stay,
    /// under the pseudonym, so aggregates keep counting them. A second erasure gives `CONFLICT`;
    /// the last active platform administrator cannot be erased (`CONFLICT`). Audited with the
    /// reason.
    async fn erase_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person.")] user_id: ID,
        #[graphql(
            desc = "Why, for the record (e.g. the request's reference); 1 to 1,000 characters."
        )]
        reason: String,
    ) -> ApiResult<bool> {
        let user_id = parse_id(&user_id, "userId")?;
        let services = services(ctx)?;
        let erased =
            privacy::erase(&services.db, actor(ctx)?, user_id, &reason, Utc::now()).await?;
        services.sessions.end_all(erased.user.id, None).await?;
        Ok(true)
    }

    /// Changes the retention policy of an authority: its ADMIN only (`FORBIDDEN` otherwise),
    /// naming its top-level org unit. Each period is 1 to 1,200 months (`BAD_USER_INPUT`
    /// naming the field otherwise, and nothing changes). Audited (`retention_policy.updated`).
    /// Safe to repeat.
    async fn set_retention_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The authority's top-level org unit.")] org_unit_id: ID,
        #[graphql(desc = "The periods to change.")] input: RetentionPolicyInput,
    ) -> ApiResult<RetentionPolicy> {
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let update = RetentionUpdate {
            attempt_answers_months: input.attempt_answers_months,
            self_assessments_months: input.self_assessments_months,
            audit_events_months: input.audit_events_months,
            disabled_accounts_months: input.disabled_accounts_months,
            notifications_months: input.notifications_months,
        };
        Ok(RetentionPolicy(
            policy::set_retention_policy(&services(ctx)?.db, actor(ctx)?, org_unit_id, update)
                .await?,
        ))
    }

    /// Changes an authority's report privacy settings: its ADMIN only (`FORBIDDEN`
    /// otherwise), naming its top-level org unit. A minimum group size out of 0..=1,000, or
    /// below 3 without a reason, is `BAD_USER_INPUT` and nothing changes. Audited
    /// (`report_privacy.updated`, with the reason). Safe to repeat.
    async fn set_report_privacy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The authority's top-level org unit.")] org_unit_id: ID,
        #[graphql(desc = "The settings to change.")] input: ReportPrivacyInput,
    ) -> ApiResult<ReportPrivacy> {
        let org_unit_id = parse_id(&org_unit_id, "orgUnitId")?;
        let services = services(ctx)?;
        let update = policy::ReportPrivacyUpdate {
            min_group_size: match input.min_group_size {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(size) => Some(Some(size)),
            },
            min_group_size_reason: input.min_group_size_reason,
            hr_person_view: input.hr_person_view.map(Into::into),
        };
        Ok(ReportPrivacy(
            policy::set_report_privacy(
                &services.db,
                actor(ctx)?,
                org_unit_id,
                update,
                services.report_min_group_size,
            )
            .await?,
        ))
    }
}

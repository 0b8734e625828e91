//! Data protection: `exportUserData` (a person's data for an ADMIN covering them, GDPR Art. 15
//! and 20; the person's own export is `GET /me/export.json`) and `eraseUser` (Art. 17).

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use govskills_domain::privacy;

use super::{
    context::{actor, services},
    parse_id,
};
use crate::error::{ApiError, ApiResult};

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
}

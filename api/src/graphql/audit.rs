//! The audit trail: `auditEvents`, for administrators, of the units their grants cover.

use async_graphql::{
    Context, ID, InputObject, Object,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use govskills_domain::{audit, entities::audit_event};
use uuid::Uuid;

use super::{
    CursorKey,
    context::{actor, loader, services},
    cursor, id,
    loaders::{LoadRequired, OrgUnitLoader, UserLoader},
    org_units::OrgUnit,
    page_size, paged_cost, parse_after, parse_id,
    reports::ReportPerson,
};
use crate::error::ApiResult;

/// A place in the trail, newest first: the time in microseconds since 1970, then the id.
impl CursorKey for audit::After {
    fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.created_at.timestamp_micros().to_be_bytes().to_vec();
        bytes.extend_from_slice(self.id.as_bytes());
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (micros, id) = bytes.split_at_checked(8)?;
        Some(Self {
            created_at: DateTime::from_timestamp_micros(i64::from_be_bytes(
                micros.try_into().ok()?,
            ))?,
            id: Uuid::from_slice(id).ok()?,
        })
    }
}

/// Something that happened and who did it: role changes, assignments, certificates issued and
/// revoked, reads of other people's learning data, and every other change GovSkills records.
pub struct AuditEvent(pub audit_event::Model);

async fn person(ctx: &Context<'_>, user_id: Option<Uuid>) -> ApiResult<Option<ReportPerson>> {
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    // An event outlives nothing it names today, but a trail must still read if it ever does.
    Ok(loader::<UserLoader>(ctx)?
        .load_one(user_id)
        .await?
        .map(|user| ReportPerson {
            id: id(user.id),
            display_name: user.display_name,
        }))
}

/// Something that happened and who did it.
#[Object]
impl AuditEvent {
    /// The event's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// What happened, as a dotted name: `role.granted`, `course.assigned`,
    /// `certificate.revoked`, `personal_data.read`, ...
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// Who did it; null for the system itself or an operator's command line.
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<ReportPerson>> {
        person(ctx, self.0.actor_id).await
    }

    /// The person it is about (the account changed, the learner of an enrolment or attempt,
    /// the holder of a certificate, the person whose data was read); null when it is about no
    /// one person.
    async fn subject(&self, ctx: &Context<'_>) -> ApiResult<Option<ReportPerson>> {
        person(ctx, self.0.subject_user_id).await
    }

    /// The kind of thing it concerns: `user`, `org_unit`, `course`, `enrollment`, `assessment`,
    /// `certificate`, `certificate_template`, `job_role`, `issuer_key`, ...
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    /// The id of the thing it concerns, if it has one.
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.map(id)
    }

    /// The org unit it belongs to; null for platform-wide things (frameworks, signing keys).
    async fn org_unit(&self, ctx: &Context<'_>) -> ApiResult<Option<OrgUnit>> {
        let Some(unit_id) = self.0.org_unit_id else {
            return Ok(None);
        };
        loader::<OrgUnitLoader>(ctx)?
            .load_required(unit_id, "org unit")
            .await
            .map(|unit| Some(OrgUnit(unit)))
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// What else was recorded, as a JSON object in text (its keys depend on the action). In
    /// `auditEvents` (and `/audit-events.csv`), events about someone else whose authority
    /// limits HR and administrators to completion and pass/fail (`ReportPrivacy.hrPersonView:
    /// PASS_FAIL`) keep their keys but read `null` for scores, attempt numbers and
    /// self-assessed levels: `attempt.started` `attemptNumber`, `attempt.scored` `score` and
    /// `maxScore` (`passed` stays), `competence.self_assessed` `ratings`.
    async fn details(&self) -> String {
        self.0.details.to_string()
    }
}

/// Narrows the audit trail; every field is optional.
#[derive(InputObject, Default)]
pub struct AuditFilter {
    /// Only what this person did.
    pub actor_id: Option<ID>,
    /// Only events about this person (including reads of their data).
    pub subject_id: Option<ID>,
    /// Only these actions (exact names, e.g. `personal_data.read`); leave out for all.
    pub actions: Option<Vec<String>>,
    /// Only events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time; must be later than `from`.
    pub until: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// The domain's filter, ids parsed (a malformed one is `BAD_USER_INPUT` on its field).
    pub fn parse(self) -> ApiResult<audit::AuditFilter> {
        Ok(audit::AuditFilter {
            actor_id: self
                .actor_id
                .map(|id| parse_id(&id, "actorId"))
                .transpose()?,
            subject_id: self
                .subject_id
                .map(|id| parse_id(&id, "subjectId"))
                .transpose()?,
            actions: self.actions.unwrap_or_default(),
            from: self.from,
            until: self.until,
        })
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit trail of the org units your `ADMIN` grants cover (a platform administrator:
    /// all of it, platform-wide events included), newest first. Anyone else gets `FORBIDDEN`.
    /// The same as CSV: `GET /audit-events.csv` with the filter's fields as query parameters.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many events to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
        #[graphql(desc = "Narrows the trail; leave out for all you may read.")] filter: Option<
            AuditFilter,
        >,
    ) -> ApiResult<Connection<String, AuditEvent>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let after: Option<audit::After> = parse_after(after.as_deref())?;
        let filter = filter.unwrap_or_default().parse()?;
        let page = audit::page(
            &services(ctx)?.db,
            actor,
            &filter,
            after,
            u64::try_from(first).unwrap_or(u64::MAX),
        )
        .await?;
        Ok(connection(after.is_some(), page))
    }

    /// Who read your learning data (your enrolments, competence levels, certificates): HR
    /// officers, administrators and trainers, one `personal_data.read` event per request, whose
    /// `details` names what was read; and each export of all your data by an administrator
    /// (`exportUserData`: `user.data_exported`). Newest first.
    #[graphql(complexity = "paged_cost(first, child_complexity)")]
    async fn my_data_access_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many events to return: 20 when left out, at most 100; a negative or \
                    larger number gives `BAD_USER_INPUT`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page; leave out for the first page. A \
                    string that is not a cursor from this list gives `BAD_USER_INPUT`."
        )]
        after: Option<String>,
    ) -> ApiResult<Connection<String, AuditEvent>> {
        let actor = actor(ctx)?;
        let first = page_size(first)?;
        let after: Option<audit::After> = parse_after(after.as_deref())?;
        let page = audit::reads_of_me(
            &services(ctx)?.db,
            actor,
            after,
            u64::try_from(first).unwrap_or(u64::MAX),
        )
        .await?;
        Ok(connection(after.is_some(), page))
    }
}

fn connection(has_previous: bool, page: audit::AuditPage) -> Connection<String, AuditEvent> {
    let mut connection = Connection::new(has_previous, page.has_next_page);
    connection.edges.extend(
        page.events
            .into_iter()
            .map(|event| Edge::new(cursor(audit::After::of(&event)), AuditEvent(event))),
    );
    connection
}

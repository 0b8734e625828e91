//! `GET /audit-events.csv?actorId=..&subjectId=..&actions=a,b&from=..&until=..`: the audit
//! trail as `auditEvents` gives it (same authorisation, same filter, newest first), every
//! matching event, streamed like the report exports (see `reports.rs`: byte order mark, header
//! row, spreadsheet formulas neutralised). Times are RFC 3339.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use govskills_domain::{audit, courses, org};
use poem::{
    Request, Response, handler,
    web::{Data, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    auth::authenticate,
    error_response,
    reports::{csv_response, parse_uuid},
    request_id,
};
use crate::{error::ApiError, state::AppState};

/// Events read from the database per round trip.
const BATCH: u64 = 500;

/// The query string, named as `AuditFilter`'s fields (`actions` comma-separated). Taken as
/// text and parsed here, so a malformed value is answered in the routes' JSON error shape.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditParams {
    actor_id: Option<String>,
    subject_id: Option<String>,
    actions: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

fn parse_time(value: Option<&str>, field: &'static str) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::bad_input(
                        field,
                        format!("{field} is not an RFC 3339 time such as 2026-12-01T09:30:00Z"),
                    )
                })
        })
        .transpose()
}

impl AuditParams {
    fn filter(&self) -> Result<audit::AuditFilter, ApiError> {
        Ok(audit::AuditFilter {
            actor_id: parse_uuid(self.actor_id.as_deref(), "actorId")?,
            subject_id: parse_uuid(self.subject_id.as_deref(), "subjectId")?,
            actions: self
                .actions
                .as_deref()
                .map(|actions| {
                    actions
                        .split(',')
                        .map(str::trim)
                        .filter(|action| !action.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            from: parse_time(self.from.as_deref(), "from")?,
            until: parse_time(self.until.as_deref(), "until")?,
        })
    }
}

/// `GET /audit-events.csv`
#[handler]
pub async fn audit_events_csv(
    req: &Request,
    Query(params): Query<AuditParams>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    let db = state.services.db.clone();
    let prepared = async {
        let filter = params.filter()?;
        let context = authenticate(state, req, String::new()).await?;
        let actor = context.actor.ok_or_else(ApiError::unauthenticated)?;
        // The first batch is read here, so that a refusal is an error response, not a file.
        let first = audit::page(&db, &actor, &filter, None, BATCH).await?;
        Ok::<_, ApiError>((actor, filter, first))
    }
    .await;
    let (actor, filter, mut page) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return error_response(&err, &request_id),
    };
    csv_response(
        "audit-events.csv",
        &[
            "at",
            "action",
            "actor id",
            "actor",
            "subject id",
            "subject",
            "org unit",
            "target type",
            "target id",
            "details",
        ],
        move |mut sink| async move {
            loop {
                let mut people: Vec<Uuid> = page
                    .events
                    .iter()
                    .flat_map(|event| [event.actor_id, event.subject_user_id])
                    .flatten()
                    .collect();
                people.sort();
                people.dedup();
                let names: HashMap<Uuid, String> = courses::users_by_ids(&db, &people)
                    .await?
                    .into_iter()
                    .map(|user| (user.id, user.display_name))
                    .collect();
                let mut units: Vec<Uuid> =
                    page.events.iter().filter_map(|e| e.org_unit_id).collect();
                units.sort();
                units.dedup();
                let units: HashMap<Uuid, String> = org::find_many(&db, &units)
                    .await?
                    .into_iter()
                    .map(|unit| (unit.id, unit.name))
                    .collect();
                let text = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
                let name = |id: Option<Uuid>| {
                    id.and_then(|id| names.get(&id).cloned())
                        .unwrap_or_default()
                };
                for event in &page.events {
                    sink.write([
                        event.created_at.to_rfc3339(),
                        event.action.clone(),
                        text(event.actor_id),
                        name(event.actor_id),
                        text(event.subject_user_id),
                        name(event.subject_user_id),
                        event
                            .org_unit_id
                            .and_then(|id| units.get(&id).cloned())
                            .unwrap_or_default(),
                        event.target_type.clone(),
                        text(event.target_id),
                        event.details.to_string(),
                    ])
                    .await?;
                }
                let Some(last) = page.events.last().filter(|_| page.has_next_page) else {
                    break;
                };
                let after = audit::After::of(last);
                page = audit::page(&db, &actor, &filter, Some(after), BATCH).await?;
            }
            Ok(sink)
        },
    )
}

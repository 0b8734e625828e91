//! CSV exports of the HR reports, under the same authorisation as their GraphQL queries:
//!
//! - `GET /reports/skill-gaps.csv?orgUnitId=..&includeSubunits=true&frameworkId=..`: one row per
//!   person and competence their job role requires. Where the authority limits HR and
//!   administrators to completion and pass/fail (`hrPersonView: PASS_FAIL`), the `current
//!   level` cell of a row that is not `verified` is empty and its `gap` counts from 0, so no
//!   self-assessment shows (`privacy::person_view::skill_gap_cells`).
//! - `GET /reports/ai-literacy.csv?orgUnitId=..`: one row per person whose job role uses AI
//!   systems, with their status (certified, overdue, assigned, missing).
//! - `GET /reports/completion.csv?orgUnitId=..&includeSubunits=true`: one row per course.
//! - `GET /reports/ai-act.csv?orgUnitId=..`: one row per person and AI system they deal with,
//!   with their status and the measures they have not met.
//! - `GET /reports/rollouts/{id}/access-gate.csv`: the people ready for a rollout, for the team
//!   that grants access to the new service on go-live day.
//!
//! Under the minimum group size (the authority's `reportPrivacy`, else the platform's), the
//! exports follow their queries: the members of suppressed sub-units are left out, and a report
//! the query would show as `suppressed: true` is answered `409 CONFLICT` naming `orgUnitId`
//! (a file cannot say "withheld", and an empty one would read as "nobody").
//!
//! The session comes as for `/graphql` (bearer token or cookie). Files are UTF-8 with a byte
//! order mark (so spreadsheet programs read them as UTF-8) and a header row, and are streamed
//! in chunks as the database returns rows, never built whole in memory. Cells a spreadsheet
//! would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) are
//! neutralised with a leading apostrophe, as OWASP recommends against CSV injection.
//! Errors are JSON: `{"error": {"code", "message", "field", "requestId"}}` with a matching status.

use std::{
    borrow::Cow,
    future::Future,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use chrono::Utc;
use futures_util::{StreamExt as _, pin_mut};
use govskills_domain::{
    auth::Actor,
    privacy::person_view,
    reports::{
        Scope, ai_act, ai_literacy, completion,
        skill_gaps::{self, SkillGapReport},
    },
    rollouts::readiness,
};
use poem::{
    Body, Request, Response, handler,
    http::header,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use tokio::sync::mpsc;
use tracing::Instrument as _;
use uuid::Uuid;

use super::{auth::authenticate, error_response, request_id};
use crate::{error::ApiError, state::AppState};

/// Rows are sent to the client in chunks of about this many bytes.
const CHUNK_BYTES: usize = 64 * 1024;

/// The query string of every report export (named as the GraphQL arguments).
///
/// Every parameter is taken as text and parsed here, so that a malformed value is answered in
/// the routes' JSON error shape naming the parameter (poem's `Query` extractor would answer a
/// typed field it cannot parse with a plain-text 400 before the handler runs; with text fields
/// it cannot fail).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportParams {
    org_unit_id: Option<String>,
    include_subunits: Option<String>,
    framework_id: Option<String>,
}

pub(super) fn parse_uuid(
    value: Option<&str>,
    field: &'static str,
) -> Result<Option<Uuid>, ApiError> {
    value
        .map(|raw| {
            Uuid::parse_str(raw)
                .map_err(|_| ApiError::bad_input(field, format!("{field} is not a valid id")))
        })
        .transpose()
}

impl ReportParams {
    fn org_unit_id(&self) -> Result<Uuid, ApiError> {
        parse_uuid(self.org_unit_id.as_deref(), "orgUnitId")?
            .ok_or_else(|| ApiError::bad_input("orgUnitId", "orgUnitId is required"))
    }

    /// `includeSubunits`: `true` or `false`, default true.
    fn include_subunits(&self) -> Result<bool, ApiError> {
        match self.include_subunits.as_deref() {
            None | Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(ApiError::bad_input(
                "includeSubunits",
                "includeSubunits must be true or false",
            )),
        }
    }
}

/// A cell as written to the file: text a spreadsheet would evaluate gets a leading apostrophe.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The bytes the CSV writer has produced and the sink has not yet sent. (`csv::Writer` lends
/// out its output only by reference, so the sink keeps a handle of its own.)
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Pending {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::io::Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where an export writes its records: buffers them as CSV and hands full chunks to the
/// response body.
pub struct CsvSink {
    writer: csv::Writer<Pending>,
    pending: Pending,
    sender: mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
}

impl CsvSink {
    /// Writes one record (text cells neutralised); sends a chunk when enough has gathered.
    /// Fails when the client has gone away, which ends the export.
    pub async fn write<I, S>(&mut self, record: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.writer.write_record(
            record
                .into_iter()
                .map(|cell| neutralise(cell.as_ref()).into_owned()),
        )?;
        if self.pending.lock().len() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        let chunk = std::mem::replace(&mut *self.pending.lock(), Vec::with_capacity(CHUNK_BYTES));
        if !chunk.is_empty() {
            self.sender
                .send(Ok(chunk))
                .await
                .map_err(|_| anyhow::anyhow!("the client went away"))?;
        }
        Ok(())
    }
}

/// A streamed CSV download: `produce` runs on its own task and writes the rows; a failure part
/// way is logged and cuts the response short, so a client never takes a partial file for a
/// whole one.
pub(super) fn csv_response<F, Fut>(filename: &str, header_row: &[&str], produce: F) -> Response
where
    F: FnOnce(CsvSink) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<CsvSink>> + Send,
{
    let (sender, mut receiver) = mpsc::channel(4);
    let pending = Pending::default();
    let mut writer = csv::Writer::from_writer(pending.clone());
    let header_written = writer.write_record(header_row);
    let mut bom = "\u{feff}".as_bytes().to_vec();
    let sink = CsvSink {
        writer,
        pending,
        sender,
    };
    tokio::spawn(
        async move {
            let result = async {
                header_written?;
                let mut sink = produce(sink).await?;
                sink.flush().await?;
                anyhow::Ok(())
            }
            .await;
            if let Err(err) = result {
                tracing::error!(error = format!("{err:#}"), "CSV export failed part way");
            }
        }
        .in_current_span(),
    );
    let chunks = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx)).map(
        move |chunk: Result<Vec<u8>, std::io::Error>| {
            chunk.map(|bytes| {
                if bom.is_empty() {
                    bytes
                } else {
                    let mut first = std::mem::take(&mut bom);
                    first.extend_from_slice(&bytes);
                    first
                }
            })
        },
    );
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_bytes_stream(chunks))
}

/// The signed-in actor and the checked scope of a report request, which the minimum group
/// size does not withhold (else `CONFLICT`). `include_subunits` is the query's
/// `includeSubunits` (default true) where the report has it.
async fn authorise(
    state: &AppState,
    req: &Request,
    params: &ReportParams,
    include_subunits: bool,
) -> Result<(Actor, Scope), ApiError> {
    let context = authenticate(state, req, String::new()).await?;
    let actor = context.actor.ok_or_else(ApiError::unauthenticated)?;
    let unit_id = params.org_unit_id()?;
    let scope = Scope::load(
        &state.services.read_db,
        &actor,
        unit_id,
        include_subunits,
        state.services.report_min_group_size,
    )
    .await?;
    scope.require_shown()?;
    Ok((actor, scope))
}

/// `GET /reports/skill-gaps.csv`
#[handler]
pub async fn skill_gaps_csv(
    req: &Request,
    Query(params): Query<ReportParams>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    let prepared = async {
        let framework_id = parse_uuid(params.framework_id.as_deref(), "frameworkId")?;
        let subunits = params.include_subunits()?;
        let (actor, scope) = authorise(state, req, &params, subunits).await?;
        let report = SkillGapReport::new(&state.services.read_db, scope, framework_id).await?;
        Ok::<_, ApiError>((actor, report))
    }
    .await;
    let (actor, report) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return error_response(&err, &request_id),
    };
    let db = state.services.db.clone();
    csv_response(
        "skill-gaps.csv",
        &[
            "name",
            "org unit",
            "competence code",
            "competence",
            "required level",
            "current level",
            "verified",
            "gap",
        ],
        move |mut sink| async move {
            let view = person_view::of_report(&db, &report.scope).await?;
            let rows = skill_gaps::detail_rows(&db, &actor, &report).await?;
            pin_mut!(rows);
            while let Some(row) = rows.next().await {
                let row = row?;
                let cells = person_view::skill_gap_cells(view, &row);
                sink.write([
                    row.display_name.as_str(),
                    row.org_unit_name.as_str(),
                    row.competence_code.as_str(),
                    row.competence_name.as_str(),
                    &row.required.to_string(),
                    &cells
                        .current_level
                        .map(|level| level.to_string())
                        .unwrap_or_default(),
                    if row.verified { "yes" } else { "no" },
                    &cells.gap.to_string(),
                ])
                .await?;
            }
            Ok(sink)
        },
    )
}

/// `GET /reports/ai-literacy.csv`
#[handler]
pub async fn ai_literacy_csv(
    req: &Request,
    Query(params): Query<ReportParams>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    // Like `aiLiteracyReport`, always the whole subtree.
    let (actor, scope) = match authorise(state, req, &params, true).await {
        Ok(prepared) => prepared,
        Err(err) => return error_response(&err, &request_id),
    };
    let db = state.services.db.clone();
    // The export names people: those of sub-units whose counts are suppressed are left out, as
    // in the query's list; a report withheld for its staff using AI systems is refused.
    let report = match ai_literacy::report(&db, scope, Utc::now())
        .await
        .and_then(|report| report.require_shown().map(|()| report))
    {
        Ok(report) => report,
        Err(err) => return error_response(&err.into(), &request_id),
    };
    csv_response(
        "ai-literacy.csv",
        &["name", "org unit", "job role", "status", "due"],
        move |mut sink| async move {
            let rows = ai_literacy::export_rows(&db, &actor, &report).await?;
            pin_mut!(rows);
            while let Some(row) = rows.next().await {
                let row = row?;
                let due = row.due_at.map(|due| due.to_rfc3339()).unwrap_or_default();
                sink.write([
                    row.display_name.as_str(),
                    row.org_unit_name.as_str(),
                    row.job_role.as_str(),
                    row.status.as_str(),
                    due.as_str(),
                ])
                .await?;
            }
            Ok(sink)
        },
    )
}

/// `GET /reports/ai-act.csv`
#[handler]
pub async fn ai_act_csv(
    req: &Request,
    Query(params): Query<ReportParams>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    // Like `aiActReport`, always the whole subtree.
    let (actor, scope) = match authorise(state, req, &params, true).await {
        Ok(prepared) => prepared,
        Err(err) => return error_response(&err, &request_id),
    };
    let db = state.services.db.clone();
    let report = match ai_act::report(&db, scope, Utc::now())
        .await
        .and_then(|report| report.require_shown().map(|()| report))
    {
        Ok(report) => report,
        Err(err) => return error_response(&err.into(), &request_id),
    };
    csv_response(
        "ai-act.csv",
        &[
            "name",
            "org unit",
            "AI system",
            "use",
            "status",
            "open measures",
            "due",
        ],
        move |mut sink| async move {
            for row in ai_act::export_rows(&db, &actor, &report).await? {
                let due = row.due_at.map(|due| due.to_rfc3339()).unwrap_or_default();
                let open = row
                    .open
                    .iter()
                    .map(|(measure, status)| {
                        format!("{} ({})", measure.label(&report.names), status.as_str())
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                sink.write([
                    row.display_name.as_str(),
                    row.org_unit_name.as_str(),
                    row.ai_system_name.as_str(),
                    row.kind.as_str(),
                    row.status.as_str(),
                    open.as_str(),
                    due.as_str(),
                ])
                .await?;
            }
            Ok(sink)
        },
    )
}

/// `GET /reports/rollouts/{id}/access-gate.csv`
#[handler]
pub async fn access_gate_csv(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    let prepared = async {
        let rollout_id = parse_uuid(Some(&id), "id")?.unwrap_or_default();
        let context = authenticate(state, req, String::new()).await?;
        let actor = context.actor.ok_or_else(ApiError::unauthenticated)?;
        Ok::<_, ApiError>(readiness::access_gate(&state.services.db, &actor, rollout_id).await?)
    };
    let (_, people) = match prepared.await {
        Ok(prepared) => prepared,
        Err(err) => return error_response(&err, &request_id),
    };
    csv_response(
        "access-gate.csv",
        &["user_id", "display_name", "email", "org_unit"],
        move |mut sink| async move {
            for person in &people {
                let user_id = person.user_id.to_string();
                sink.write([
                    user_id.as_str(),
                    person.display_name.as_str(),
                    person.email.as_str(),
                    person.org_unit.as_str(),
                ])
                .await?;
            }
            Ok(sink)
        },
    )
}

/// `GET /reports/completion.csv`
#[handler]
pub async fn completion_csv(
    req: &Request,
    Query(params): Query<ReportParams>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    let authorised = async {
        let subunits = params.include_subunits()?;
        authorise(state, req, &params, subunits).await
    };
    let scope = match authorised.await {
        Ok((_, scope)) => scope,
        Err(err) => return error_response(&err, &request_id),
    };
    let report = match completion::report(&state.services.read_db, scope, Utc::now()).await {
        Ok(report) => report,
        Err(err) => return error_response(&err.into(), &request_id),
    };
    csv_response(
        "completion.csv",
        &[
            "course",
            "version",
            "enrolled",
            "assigned",
            "completed",
            "assigned completed",
            "overdue",
        ],
        move |mut sink| async move {
            for course in report.courses.shown().into_iter().flatten() {
                sink.write([
                    course.title.as_str(),
                    &course.version.to_string(),
                    &course.enrolled.to_string(),
                    &course.assigned.to_string(),
                    &course.completed.to_string(),
                    &course.assigned_completed.to_string(),
                    &course.overdue.to_string(),
                ])
                .await?;
            }
            Ok(sink)
        },
    )
}

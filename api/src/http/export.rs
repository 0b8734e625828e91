//! `GET /me/export.json`: everything GovSkills holds about the signed-in person (GDPR Art. 15
//! and 20), as one JSON document (`privacy::export`), downloaded as a file. The session comes as
//! for `/graphql`; the export is audited.

use chrono::Utc;
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};

use super::{auth::authenticate, error_response, request_id};
use crate::{error::ApiError, state::AppState};

#[handler]
pub async fn my_export(req: &Request, Data(state): Data<&AppState>) -> Response {
    let request_id = request_id(req);
    let prepared = async {
        let context = authenticate(state, req, String::new()).await?;
        let actor = context.actor.ok_or_else(ApiError::unauthenticated)?;
        let document =
            govskills_domain::privacy::export_own(&state.services.db, &actor, Utc::now()).await?;
        serde_json::to_vec_pretty(&document).map_err(|err| ApiError::internal(&err.into()))
    };
    match prepared.await {
        Ok(body) => Response::builder()
            .status(StatusCode::OK)
            .content_type("application/json")
            .header(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"govskills-my-data.json\"",
            )
            .header(header::CACHE_CONTROL, "no-store")
            .body(body),
        Err(err) => error_response(&err, &request_id),
    }
}

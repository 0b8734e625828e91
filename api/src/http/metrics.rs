//! `/metrics`: every metric in the Prometheus text format (see `crate::metrics` for the list).
//!
//! It is served on the main port so one listener is enough; operators keep it off the public
//! ingress (deploy/README.md), as it tells anyone who can read it how busy the service is.

use poem::{IntoResponse, Response, handler, http::StatusCode, web::Data};

use crate::state::AppState;

#[handler]
pub async fn metrics(Data(state): Data<&AppState>) -> Response {
    match crate::metrics::render(&state.services.db).await {
        Some(text) => text
            .with_content_type("text/plain; version=0.0.4; charset=utf-8")
            .into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

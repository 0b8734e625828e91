//! `/healthz` (the process is up) and `/readyz` (it can serve: database and session store reachable).

use poem::{
    handler,
    http::StatusCode,
    web::{Data, Json},
};
use serde_json::{Value, json};

use crate::state::AppState;

#[handler]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[handler]
pub async fn readyz(Data(state): Data<&AppState>) -> (StatusCode, Json<Value>) {
    let database = state.services.db.ping().await;
    let sessions = state.services.sessions.ping().await;
    if let Err(err) = &database {
        tracing::warn!(error = %err, "readiness: database unreachable");
    }
    if let Err(err) = &sessions {
        tracing::warn!(error = %err, "readiness: session store unreachable");
    }
    let word = |ok: bool| if ok { "ok" } else { "unreachable" };
    let ready = database.is_ok() && sessions.is_ok();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": word(ready),
            "database": word(database.is_ok()),
            "sessions": word(sessions.is_ok()),
        })),
    )
}

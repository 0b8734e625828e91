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
    // A database or store that does not answer within this long counts as unreachable, so the
    // load balancer hears about an outage in seconds, not after a connection timeout.
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
    let timed_out = || anyhow::anyhow!("no answer within {PATIENCE:?}");
    let (database, sessions) = tokio::join!(
        tokio::time::timeout(PATIENCE, state.services.db.ping()),
        tokio::time::timeout(PATIENCE, state.services.sessions.ping()),
    );
    let database = database
        .map_err(|_| timed_out())
        .and_then(|ping| ping.map_err(anyhow::Error::new));
    let sessions = sessions
        .map_err(|_| timed_out())
        .and_then(|ping| ping.map_err(|err| anyhow::anyhow!("{err:#}")));
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

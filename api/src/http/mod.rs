//! The HTTP surface: routes, the GraphQL transport rules, request ids and tracing.

pub mod answers;
mod audit;
mod auth;
mod certificates;
mod export;
mod graphql;
mod health;
mod i18n;
mod issuers;
mod metrics;
mod oidc;
mod public_page;
mod reports;
mod scim;
mod statement;
mod unsubscribe;
mod verify_page;

use std::{
    sync::{Arc, OnceLock},
    time::Instant,
};

use poem::{
    Endpoint, EndpointExt, IntoResponse, Response, Route, get,
    http::{HeaderValue, Method, StatusCode},
    middleware::{CookieJarManager, Cors},
};
use tracing::{Instrument, field::Empty};
use uuid::Uuid;

pub use self::graphql::GraphQLEndpoint;
use crate::{
    error::{ApiError, Code},
    state::AppState,
};

/// Largest request body accepted (a GraphQL document with variables).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The request id of this request, available to handlers as request data.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Where the GraphQL endpoint leaves the operation name it read (`None`: no name given), for
/// the request metrics `trace_request` records once the response is ready.
#[derive(Clone, Debug, Default)]
pub struct OperationSlot(Arc<OnceLock<Option<String>>>);

impl OperationSlot {
    pub fn set(&self, name: Option<&str>) {
        // Set once per request; a second call could only repeat the same name.
        let _ = self.0.set(name.map(str::to_owned));
    }
}

/// Routes other than `/graphql`, each its own `operation` label in the request metrics.
const PLAIN_ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/graphiql",
    "/reports/skill-gaps.csv",
    "/reports/ai-literacy.csv",
    "/reports/completion.csv",
    "/reports/ai-act.csv",
    "/audit-events.csv",
    "/me/export.json",
    "/.well-known/jwks.json",
    "/verify",
    "/accessibility",
    scim::ROUTE_LABEL,
];

/// The label of every `/verify/{code}` page: one label, not one per code.
const VERIFY_PAGE_LABEL: &str = "/verify/:code";

/// The label of every rollout's access-gate list.
const ACCESS_GATE_LABEL: &str = "/reports/rollouts/:id/access-gate.csv";

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Builds every route of the service.
pub fn routes(state: AppState) -> impl Endpoint {
    let mut route = Route::new()
        .at("/graphql", GraphQLEndpoint::new(state.clone()))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz).data(state.clone()))
        .at("/metrics", get(metrics::metrics).data(state.clone()))
        .at(
            "/reports/skill-gaps.csv",
            get(reports::skill_gaps_csv).data(state.clone()),
        )
        .at(
            "/reports/ai-literacy.csv",
            get(reports::ai_literacy_csv).data(state.clone()),
        )
        .at(
            "/reports/ai-act.csv",
            get(reports::ai_act_csv).data(state.clone()),
        )
        .at(
            "/reports/rollouts/:id/access-gate.csv",
            get(reports::access_gate_csv).data(state.clone()),
        )
        .at(
            "/me/export.json",
            get(export::my_export).data(state.clone()),
        )
        .at(
            "/notifications/unsubscribe/:token",
            get(unsubscribe::confirm).post(unsubscribe::unsubscribe.data(state.clone())),
        )
        .at(
            "/reports/completion.csv",
            get(reports::completion_csv).data(state.clone()),
        )
        .at(
            "/audit-events.csv",
            get(audit::audit_events_csv).data(state.clone()),
        )
        .at(
            "/auth/oidc/:provider_id/start",
            get(oidc::start).data(state.clone()),
        )
        .at(
            "/auth/oidc/:provider_id/callback",
            get(oidc::callback).data(state.clone()),
        )
        .at("/scim/v2", scim::scim.data(state.clone()))
        .at("/scim/v2/*path", scim::scim.data(state.clone()))
        .at(
            "/.well-known/jwks.json",
            get(certificates::jwks).data(state.clone()),
        )
        .at(
            "/credentials/:code",
            get(certificates::credential).data(state.clone()),
        )
        .at("/issuers/:id", get(issuers::profile).data(state.clone()))
        .at(
            "/issuers/:id/jwks.json",
            get(issuers::profile_jwks).data(state.clone()),
        )
        .at(
            "/issuers/:id/:file",
            get(issuers::ai_register).data(state.clone()),
        )
        .at(
            "/issuers/:id/keys/:kid",
            get(issuers::key).data(state.clone()),
        )
        .at(
            "/issuers/:id/status/:list",
            get(issuers::status_list).data(state.clone()),
        )
        .at(
            "/competences/:id",
            get(issuers::competence).data(state.clone()),
        )
        .at("/verify", get(verify_page::verify_form))
        .at(
            "/verify/:code",
            get(verify_page::verify_page).data(state.clone()),
        )
        .at(
            "/accessibility",
            get(statement::accessibility_statement).data(state.clone()),
        );
    if !state.production {
        route = route.at("/graphiql", get(graphql::graphiql));
    }
    let cors = state.cors_origins.iter().fold(
        Cors::new()
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(["content-type", "authorization"])
            .expose_headers([REQUEST_ID_HEADER]),
        |cors, origin| cors.allow_origin(origin.as_str()),
    );
    route
        .with_if(!state.cors_origins.is_empty(), cors)
        .with(CookieJarManager::new())
        .around(trace_request)
}

/// One span per request with method, path, operation name, status and duration, and a request
/// id that is logged, given to the GraphQL layer and returned in `x-request-id`. Also counts the
/// request and its latency in the metrics, by operation name (or route) and status.
async fn trace_request<E: Endpoint>(ep: Arc<E>, mut req: poem::Request) -> poem::Result<Response> {
    let request_id = Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
        operation = Empty,
        status = Empty,
        duration_ms = Empty,
    );
    let path = req.uri().path().to_owned();
    let operation = OperationSlot::default();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(operation.clone());
    let started = Instant::now();
    let mut response = match ep.call(req).instrument(span.clone()).await {
        Ok(response) => response.into_response(),
        Err(err) => err.into_response(),
    };
    let status = response.status();
    let elapsed = started.elapsed();
    span.record("status", status.as_u16());
    span.record("duration_ms", elapsed.as_millis());
    let label = if path == "/graphql" {
        crate::metrics::operation_label(operation.0.get().and_then(Option::as_deref))
    } else if PLAIN_ROUTES.contains(&path.as_str()) {
        path
    } else if path.starts_with("/verify/") {
        VERIFY_PAGE_LABEL.to_owned()
    } else if path.starts_with("/notifications/unsubscribe/") {
        "/notifications/unsubscribe/:token".to_owned()
    } else if path.starts_with("/reports/rollouts/") {
        ACCESS_GATE_LABEL.to_owned()
    } else if path.starts_with("/scim/v2/") {
        scim::ROUTE_LABEL.to_owned()
    } else if let Some(rest) = path.strip_prefix("/issuers/") {
        // One label per route, not per authority, key or list.
        match rest.split('/').nth(1) {
            None => "/issuers/:id".to_owned(),
            Some("jwks.json") => "/issuers/:id/jwks.json".to_owned(),
            Some("keys") => "/issuers/:id/keys/:kid".to_owned(),
            Some("status") => "/issuers/:id/status/:list".to_owned(),
            Some("ai-register.csv" | "ai-register.json") => "/issuers/:id/ai-register".to_owned(),
            Some(_) => "other".to_owned(),
        }
    } else if path.starts_with("/competences/") {
        "/competences/:id".to_owned()
    } else if let Some(rest) = path.strip_prefix("/auth/oidc/") {
        // One label per route, not per provider.
        match rest.rsplit_once('/') {
            Some((_, "start")) => "/auth/oidc/start".to_owned(),
            Some((_, "callback")) => "/auth/oidc/callback".to_owned(),
            _ => crate::metrics::OTHER.to_owned(),
        }
    } else {
        crate::metrics::OTHER.to_owned()
    };
    crate::metrics::record_request(label, status.as_u16(), elapsed);
    span.in_scope(|| {
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("request failed");
        } else {
            tracing::info!("request finished");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// The HTTP status of an error code.
pub(super) fn status_of(code: Code) -> StatusCode {
    match code {
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Forbidden => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::BadUserInput | Code::IntrospectionDisabled => StatusCode::BAD_REQUEST,
        Code::Conflict | Code::AttemptSubmitted | Code::DeadlinePassed => StatusCode::CONFLICT,
        Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error of a plain (non-GraphQL) route as JSON: `{"error": {"code", "message", "field",
/// "requestId"}}` with the status its code stands for.
pub(super) fn error_response(err: &ApiError, request_id: &str) -> Response {
    let body = serde_json::json!({
        "error": {
            "code": err.code().as_str(),
            "message": err.message(),
            "field": err.field(),
            "requestId": request_id,
        }
    });
    let response = Response::builder()
        .status(status_of(err.code()))
        .content_type("application/json; charset=utf-8")
        .header(poem::http::header::CACHE_CONTROL, "no-store");
    // Worth trying again shortly: the database or the session store is away.
    let response = if err.code() == Code::Unavailable {
        response.header(poem::http::header::RETRY_AFTER, RETRY_AFTER_SECONDS)
    } else {
        response
    };
    response.body(body.to_string())
}

/// What `Retry-After` says when the database or the session store cannot be reached.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// This request's id (set by [`trace_request`]).
pub(super) fn request_id(req: &poem::Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default()
}

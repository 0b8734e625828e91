//! `/graphql` over HTTP, with the transport rules of DESIGN.md section 6:
//! one operation per request (JSON batches get 400), queries only over GET (405 otherwise),
//! POST bodies only as `application/json` (415 otherwise: a cross-site form cannot send it
//! without a CORS preflight), bodies of at most [`MAX_BODY_BYTES`] (413).

use async_graphql::{
    http::GraphiQLSource,
    parser::{parse_query, types::OperationType},
};
use poem::{
    Endpoint, IntoResponse, Request, Response, handler,
    http::{HeaderValue, Method, StatusCode, header},
    web::Html,
};
use serde_json::json;

use super::{MAX_BODY_BYTES, OperationSlot, auth::authenticate, request_id};
use crate::{error::Code, graphql, state::AppState};

pub struct GraphQLEndpoint {
    state: AppState,
}

impl GraphQLEndpoint {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// A refusal before any GraphQL runs, shaped like a GraphQL error so clients parse one format.
fn refuse(status: StatusCode, code: Code, message: &str, request_id: &str) -> Response {
    let body = json!({
        "errors": [{
            "message": message,
            "extensions": { "code": code.as_str(), "requestId": request_id },
        }]
    });
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether the operation this request would run is anything but a query. A document that does
/// not parse is left for execution to report.
fn runs_non_query(request: &async_graphql::Request) -> bool {
    let Ok(document) = parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty != OperationType::Query
    })
}

/// The name of the operation a request runs, for logs and metrics: `operationName` when given,
/// else the name the document gives its only operation (many clients leave `operationName` out).
fn operation_name(request: &async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let document = parse_query(&request.query).ok()?;
    let mut operations = document.operations.iter();
    let (name, _) = operations.next()?;
    if operations.next().is_some() {
        return None;
    }
    name.map(|name| name.as_str().to_owned())
}

impl Endpoint for GraphQLEndpoint {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let request_id = request_id(&req);
        let reject =
            |status, message: &str| refuse(status, Code::BadUserInput, message, &request_id);

        let gql_request = match *req.method() {
            Method::GET => {
                let query = req.uri().query().unwrap_or_default();
                let Ok(parsed) = async_graphql::http::parse_query_string(query) else {
                    return Ok(reject(
                        StatusCode::BAD_REQUEST,
                        "the query string is not a valid GraphQL request",
                    ));
                };
                if runs_non_query(&parsed) {
                    return Ok(reject(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "mutations must be sent with POST",
                    )
                    .with_header(header::ALLOW, "POST")
                    .into_response());
                }
                parsed
            }
            Method::POST => {
                if !is_json(&req) {
                    return Ok(reject(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "POST requests must have Content-Type: application/json",
                    ));
                }
                let body = match req.take_body().into_bytes_limit(MAX_BODY_BYTES).await {
                    Ok(body) => body,
                    Err(poem::error::ReadBodyError::PayloadTooLarge) => {
                        return Ok(reject(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            &format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
                        ));
                    }
                    Err(err) => return Err(err.into()),
                };
                match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(serde_json::Value::Array(_)) => {
                        return Ok(reject(
                            StatusCode::BAD_REQUEST,
                            "batched requests are not supported; send one operation per request",
                        ));
                    }
                    Ok(value) => match serde_json::from_value(value) {
                        Ok(parsed) => parsed,
                        Err(err) => {
                            return Ok(reject(
                                StatusCode::BAD_REQUEST,
                                &format!("the body is not a GraphQL request: {err}"),
                            ));
                        }
                    },
                    Err(err) => {
                        return Ok(reject(
                            StatusCode::BAD_REQUEST,
                            &format!("the body is not valid JSON: {err}"),
                        ));
                    }
                }
            }
            _ => {
                return Ok(reject(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "use GET for queries or POST for any operation",
                )
                .with_header(header::ALLOW, "GET, POST")
                .into_response());
            }
        };
        let operation = operation_name(&gql_request);
        tracing::Span::current().record("operation", operation.as_deref().unwrap_or("-"));
        if let Some(slot) = req.extensions().get::<OperationSlot>() {
            slot.set(operation.as_deref());
        }

        let context = match authenticate(&self.state, &req, request_id.clone()).await {
            Ok(context) => context,
            Err(err) => {
                let status = if err.code() == Code::Unavailable {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                let error = async_graphql::Error::from(err);
                let mut refused = refuse_with(status, error, &request_id);
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    refused.headers_mut().insert(
                        header::RETRY_AFTER,
                        HeaderValue::from_static(super::RETRY_AFTER_SECONDS),
                    );
                }
                return Ok(refused);
            }
        };

        let services = &self.state.services;
        let response = graphql::execute(&self.state.schema, services, gql_request, context).await;
        let mut http = Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(serde_json::to_vec(&response).map_err(poem::error::InternalServerError)?);
        for (name, value) in &response.http_headers {
            http.headers_mut().append(name, value.clone());
        }
        http.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(http)
    }
}

fn refuse_with(status: StatusCode, error: async_graphql::Error, request_id: &str) -> Response {
    let mut error = error.into_server_error(async_graphql::Pos::default());
    error.locations.clear();
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("requestId", request_id);
    let body = json!({ "errors": [error] });
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

/// GraphiQL, in development only.
#[handler]
pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("GovSkills GraphiQL")
            .finish(),
    )
}

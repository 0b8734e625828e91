//! `/graphql` over HTTP, as the GraphQL-over-HTTP draft
//! (<https://graphql.github.io/graphql-over-http/draft/>) has it, with the transport rules of
//! DESIGN.md section 6:
//!
//! - The response is `application/graphql-response+json` or `application/json`, whichever the
//!   `Accept` header prefers (by q-value; on a tie the one listed first), and 406 when `Accept`
//!   allows neither. `*/*` alone, or no `Accept` at all, gives `application/json`, which legacy
//!   clients (they send no `Accept`) understand and the `graphql-http` audit checks for; the
//!   draft's text past its 2025 watershed recommends the new type there instead.
//! - A request error (the body or query string is not a GraphQL request, the document does not
//!   parse or validate, a variable cannot be coerced, the operation cannot be chosen) has no
//!   `data` entry, as the GraphQL specification says. As `application/graphql-response+json`
//!   it is answered with 400; as `application/json` with 200 once the request is well-formed
//!   (the draft's legacy behaviour) and 400 when it is not. An operation that ran answers 200
//!   with `data`, its field errors included.
//! - One operation per request (JSON batches get 400), queries only over GET (405 otherwise),
//!   POST bodies only as UTF-8 `application/json` (415 otherwise: a cross-site form cannot send
//!   it without a CORS preflight), bodies of at most [`MAX_BODY_BYTES`] (413).
//! - `data` holds the fields in the order the operation asked for them (see
//!   [`crate::graphql::conformance`]), and every error keeps its `extensions.code`.

use async_graphql::{http::GraphiQLSource, parser::types::OperationType};
use bytes::Bytes;
use poem::{
    Endpoint, IntoResponse, Request, Response, handler,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    web::Html,
};
use serde_json::{Map, Value, json};

use super::{MAX_BODY_BYTES, OperationSlot, answers::Lookup, auth::authenticate, request_id};
use crate::{error::Code, graphql, state::AppState};

pub struct GraphQLEndpoint {
    state: AppState,
}

impl GraphQLEndpoint {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The media types a response can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MediaType {
    /// `application/graphql-response+json`: the status code tells a request error (4xx, no
    /// `data`) from an execution result (200).
    GraphQLResponse,
    /// `application/json`, for legacy clients: 200 for every well-formed request.
    Json,
}

impl MediaType {
    const ALL: [Self; 2] = [Self::GraphQLResponse, Self::Json];

    fn subtype(self) -> &'static str {
        match self {
            Self::GraphQLResponse => "graphql-response+json",
            Self::Json => "json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// One media range of an `Accept` header.
struct MediaRange {
    ty: String,
    subtype: String,
    /// The q-value in thousandths (RFC 9110 allows three decimals).
    quality: u16,
    charset: Option<String>,
}

impl MediaRange {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(';');
        let (ty, subtype) = parts.next()?.trim().split_once('/')?;
        let (ty, subtype) = (ty.trim(), subtype.trim());
        if ty.is_empty() || subtype.is_empty() {
            return None;
        }
        let mut range = Self {
            ty: ty.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            quality: 1000,
            charset: None,
        };
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => {
                    let q: f32 = value.parse().ok()?;
                    if !(0.0..=1.0).contains(&q) {
                        return None;
                    }
                    // In 0..=1000 by the check above.
                    range.quality = (q * 1000.0).round() as u16;
                }
                "charset" => range.charset = Some(value.to_ascii_lowercase()),
                _ => {}
            }
        }
        Some(range)
    }

    /// How specifically this range names `media` (2 exactly, 1 as `application/*`, 0 as
    /// `*/*`), or `None` when it does not (a charset other than UTF-8 included).
    fn specificity(&self, media: MediaType) -> Option<u8> {
        if self
            .charset
            .as_deref()
            .is_some_and(|charset| charset != "utf-8" && charset != "utf8")
        {
            return None;
        }
        match (self.ty.as_str(), self.subtype.as_str()) {
            ("*", "*") => Some(0),
            ("application", "*") => Some(1),
            ("application", subtype) if subtype == media.subtype() => Some(2),
            _ => None,
        }
    }
}

/// How much a client wants a media type: q-value, how specifically a range names it, the
/// range's position (earlier first), and on a shared wildcard `application/json`.
type Rank = (u16, u8, std::cmp::Reverse<usize>, bool);

/// The media type to answer in, from the `Accept` headers: the acceptable one with the highest
/// q-value (each taking the q of the most specific range that names it), on a tie the one named
/// more specifically, then the one listed first, and between two matched by the same wildcard
/// `application/json`. No `Accept` (or none that parses) means `application/json`; `None`
/// when `Accept` allows neither type (406).
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let ranges: Vec<MediaRange> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(MediaRange::parse)
        .collect();
    if ranges.is_empty() {
        return Some(MediaType::Json);
    }
    let mut best: Option<(Rank, MediaType)> = None;
    for media in MediaType::ALL {
        let mut matched: Option<(u8, usize)> = None;
        for (position, range) in ranges.iter().enumerate() {
            if let Some(specificity) = range.specificity(media)
                && matched.is_none_or(|(best, _)| specificity > best)
            {
                matched = Some((specificity, position));
            }
        }
        let Some((specificity, position)) = matched else {
            continue;
        };
        let quality = ranges[position].quality;
        if quality == 0 {
            continue;
        }
        let rank = (
            quality,
            specificity,
            std::cmp::Reverse(position),
            media == MediaType::Json,
        );
        if best.as_ref().is_none_or(|(best, _)| rank > *best) {
            best = Some((rank, media));
        }
    }
    best.map(|(_, media)| media)
}

/// A refusal before any GraphQL runs, shaped like a GraphQL request error (no `data`) so
/// clients parse one format.
fn refuse(
    status: StatusCode,
    media: MediaType,
    code: Code,
    message: &str,
    request_id: &str,
) -> Response {
    let body = json!({
        "errors": [{
            "message": message,
            "extensions": { "code": code.as_str(), "requestId": request_id },
        }]
    });
    Response::builder()
        .status(status)
        .content_type(media.content_type())
        .body(body.to_string())
}

fn refuse_with(
    status: StatusCode,
    media: MediaType,
    error: async_graphql::Error,
    request_id: &str,
) -> Response {
    let mut error = error.into_server_error(async_graphql::Pos::default());
    error.locations.clear();
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("requestId", request_id);
    let body = json!({ "errors": [error] });
    Response::builder()
        .status(status)
        .content_type(media.content_type())
        .body(body.to_string())
}

/// Whether the body is `application/json` in UTF-8 (the charset left out, or named as UTF-8).
fn is_json(req: &Request) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|parameter| match parameter.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                let charset = value.trim().trim_matches('"');
                charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
            }
            _ => true,
        })
}

/// The parameters of a GET request from its query string: `query` and `operationName` as
/// strings (an empty `operationName` as none, as the draft says), `variables` and
/// `extensions` as JSON. Other parameters are not ours and are ignored.
fn get_parameters(query_string: &str) -> Result<Map<String, Value>, String> {
    let mut parameters = Map::new();
    for (name, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        let value = match name.as_ref() {
            "query" => Value::String(value.into_owned()),
            "operationName" if value.is_empty() => continue,
            "operationName" => Value::String(value.into_owned()),
            "variables" | "extensions" => serde_json::from_str(&value)
                .map_err(|err| format!("`{name}` is not valid JSON: {err}"))?,
            _ => continue,
        };
        if parameters.contains_key(name.as_ref()) {
            return Err(format!("`{name}` is given more than once"));
        }
        parameters.insert(name.into_owned(), value);
    }
    Ok(parameters)
}

/// A GraphQL request from its parameters, which make a well-formed GraphQL-over-HTTP request
/// only with `query` a string, `operationName` a string, `variables` and `extensions` maps
/// (each optional one may be `null`). The message says what is wrong otherwise.
fn graphql_request(mut parameters: Map<String, Value>) -> Result<async_graphql::Request, String> {
    let query = match parameters.remove("query") {
        Some(Value::String(query)) => query,
        Some(_) => return Err("`query` must be a string: the GraphQL document".into()),
        None => return Err("`query` is missing: the GraphQL document to run".into()),
    };
    let mut request = async_graphql::Request::new(query);
    match parameters.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string".into()),
    }
    match parameters.remove("variables") {
        None | Some(Value::Null) => {}
        Some(variables @ Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(variables));
        }
        Some(_) => {
            return Err("`variables` must be an object of variable names and values".into());
        }
    }
    match parameters.remove("extensions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(extensions)) => {
            for (name, value) in extensions {
                let value = async_graphql::Value::from_json(value)
                    .map_err(|err| format!("`extensions` cannot be read: {err}"))?;
                request.extensions.0.insert(name, value);
            }
        }
        Some(_) => return Err("`extensions` must be an object".into()),
    }
    Ok(request)
}

/// Whether the operation this request would run is anything but a query. A document that does
/// not parse is left for execution to report.
fn runs_non_query(request: &mut async_graphql::Request) -> bool {
    let wanted = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&wanted, name) {
            (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty != OperationType::Query
    })
}

/// The name of the operation a request runs, for logs and metrics: `operationName` when given,
/// else the name the document gives its only operation (many clients leave `operationName` out).
///
/// The document is parsed here once and kept in the request, which execution then runs.
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let document = request.parsed_query().ok()?;
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
        let is_get = match *req.method() {
            Method::GET => true,
            Method::POST => false,
            _ => {
                return Ok(refuse(
                    StatusCode::METHOD_NOT_ALLOWED,
                    MediaType::Json,
                    Code::BadUserInput,
                    "use GET for queries or POST for any operation",
                    &request_id,
                )
                .with_header(header::ALLOW, "GET, POST")
                .into_response());
            }
        };
        let Some(media) = negotiate(req.headers()) else {
            return Ok(refuse(
                StatusCode::NOT_ACCEPTABLE,
                MediaType::Json,
                Code::BadUserInput,
                "the Accept header allows neither of the media types this endpoint answers in: \
                 application/graphql-response+json and application/json",
                &request_id,
            ));
        };
        let reject =
            |status, message: &str| refuse(status, media, Code::BadUserInput, message, &request_id);

        let parameters = if is_get {
            match get_parameters(req.uri().query().unwrap_or_default()) {
                Ok(parameters) => parameters,
                Err(message) => return Ok(reject(StatusCode::BAD_REQUEST, &message)),
            }
        } else {
            if !is_json(&req) {
                return Ok(reject(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "POST requests must have Content-Type: application/json (in UTF-8)",
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
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(parameters)) => parameters,
                Ok(Value::Array(_)) => {
                    return Ok(reject(
                        StatusCode::BAD_REQUEST,
                        "batched requests are not supported; send one operation per request",
                    ));
                }
                Ok(_) => {
                    return Ok(reject(
                        StatusCode::BAD_REQUEST,
                        "the body is not a GraphQL request: a JSON object with `query` expected",
                    ));
                }
                Err(err) => {
                    return Ok(reject(
                        StatusCode::BAD_REQUEST,
                        &format!("the body is not valid JSON: {err}"),
                    ));
                }
            }
        };
        let mut gql_request = match graphql_request(parameters) {
            Ok(request) => request,
            Err(message) => return Ok(reject(StatusCode::BAD_REQUEST, &message)),
        };
        if is_get && runs_non_query(&mut gql_request) {
            return Ok(reject(
                StatusCode::METHOD_NOT_ALLOWED,
                "mutations must be sent with POST",
            )
            .with_header(header::ALLOW, "POST")
            .into_response());
        }
        let operation = operation_name(&mut gql_request);
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
                let mut refused = refuse_with(status, media, error, &request_id);
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
        let answers = &self.state.answers;
        let ticket = match answers
            .look_up(&mut gql_request, context.actor.as_ref(), &services.read_db)
            .await
        {
            Some(Lookup::Kept(body)) => return Ok(answer(StatusCode::OK, media, body)),
            Some(Lookup::Missing(ticket)) => Some(ticket),
            None => None,
        };
        let ran = graphql::execute(&self.state.api, services, gql_request, context).await;
        let graphql::Executed {
            response, executed, ..
        } = &ran;
        let (status, body) = if *executed {
            // An execution result: `data` (null too, where a non-null field failed) and any
            // field errors.
            (StatusCode::OK, serde_json::to_vec(&response))
        } else {
            // A request error: nothing ran, so there is no `data` entry.
            let status = match media {
                MediaType::GraphQLResponse => StatusCode::BAD_REQUEST,
                MediaType::Json => StatusCode::OK,
            };
            let mut body = json!({ "errors": response.errors });
            if !response.extensions.is_empty() {
                body["extensions"] = json!(response.extensions);
            }
            (status, serde_json::to_vec(&body))
        };
        let body = Bytes::from(body.map_err(poem::error::InternalServerError)?);
        if let Some(ticket) = ticket {
            answers.keep(ticket, &ran, &body);
        }
        let mut http = answer(status, media, body);
        for (name, value) in &response.http_headers {
            http.headers_mut().append(name, value.clone());
        }
        // Again, after the resolvers' headers: nothing they set makes an answer storable.
        http.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(http)
    }
}

/// An answer of `/graphql`, never to be stored by a browser or proxy (it is personal).
fn answer(status: StatusCode, media: MediaType, body: Bytes) -> Response {
    Response::builder()
        .status(status)
        .content_type(media.content_type())
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
        .body(body)
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

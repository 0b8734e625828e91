//! SCIM 2.0 provisioning (RFC 7643 / 7644) under `/scim/v2`: an authority's HR master data
//! creates, changes and deactivates its accounts here.
//!
//! - `GET /scim/v2/ServiceProviderConfig`, `/ResourceTypes[/{id}]`, `/Schemas[/{id}]`:
//!   discovery, describing exactly what is served (users; PATCH and filters; no groups, bulk,
//!   sorting, ETags or password changes);
//! - `GET /scim/v2/Users?filter=..&startIndex=..&count=..` (filters: `userName eq`,
//!   `externalId eq`, `id eq`, joined by `and`; also as `POST /scim/v2/Users/.search`),
//!   `POST /scim/v2/Users`,
//!   `GET|PUT|PATCH|DELETE /scim/v2/Users/{id}`.
//!
//! Every request carries `Authorization: Bearer <provisioning token>`; the token's authority
//! bounds everything it sees (`provisioning::Authority`). Bodies and answers are
//! `application/scim+json`; errors are SCIM errors (`urn:...:Error`, `status`, `scimType`,
//! `detail`) built from the same [`ApiError`] as every other route. The wire format (the
//! `scim_v2` crate's filter and PATCH grammars, the JSON shapes) is handled here; the rules are
//! `domain::provisioning`'s.
//!
//! What a user is in SCIM terms: `userName` (unique regardless of case), `externalId`,
//! `displayName` (else `name.formatted`, else given and family name, else `userName`),
//! `emails` (one address: the primary one, else the first; else a `userName` that is an
//! address), `active`, and the enterprise extension's `department`, an org unit's `externalId`
//! in the authority (none: the authority's top-level unit). Other attributes of the RFC's User
//! and enterprise schemas are accepted and not stored; an attribute neither schema defines is
//! `400 invalidValue`.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use govskills_domain::provisioning::{self, Account, AccountFilter, AccountInput, Authority};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};
use scim_v2::{
    filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, PatchPath},
    models::{
        errors::{ScimHttpError, ScimType},
        others::{OperationTarget, PatchOp, PatchOperation},
    },
    schema_urns::{
        ENTERPRISE_USER, ERROR, LIST_RESPONSE, PATCH_OP, RESOURCE_TYPE, SCHEMA,
        SERVICE_PROVIDER_CONFIG, USER,
    },
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{MAX_BODY_BYTES, request_id};
use crate::{
    error::{ApiError, Code},
    state::AppState,
};

/// The media type of every SCIM answer.
const SCIM_JSON: &str = "application/scim+json";
/// Page size when a list does not say (`count`), and the most one page holds.
const MAX_RESULTS: u64 = 200;

/// A SCIM error: the status, the `scimType` where RFC 7644 3.12 defines one, and a detail.
#[derive(Debug)]
struct ScimError {
    status: StatusCode,
    scim_type: Option<ScimType>,
    detail: String,
}

impl ScimError {
    fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some(ScimType::InvalidValue),
            detail,
        )
    }

    fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some(ScimType::InvalidFilter),
            detail,
        )
    }

    fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(ScimType::InvalidPath), detail)
    }

    fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some(ScimType::InvalidSyntax),
            detail,
        )
    }

    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, None, "resource not found")
    }

    fn response(&self) -> Response {
        let body = ScimHttpError {
            schemas: vec![ERROR.to_owned()],
            scim_type: self.scim_type.clone(),
            detail: Some(self.detail.clone()),
            status: self.status.as_u16().to_string(),
        };
        let mut response = Response::builder()
            .status(self.status)
            .content_type(SCIM_JSON)
            .header(header::CACHE_CONTROL, "no-store");
        if self.status == StatusCode::UNAUTHORIZED {
            response = response.header(header::WWW_AUTHENTICATE, "Bearer");
        }
        response.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<ApiError> for ScimError {
    fn from(err: ApiError) -> Self {
        let field = err.field().unwrap_or_default();
        let (status, scim_type) = match err.code() {
            Code::Unauthenticated => (StatusCode::UNAUTHORIZED, None),
            Code::Forbidden => (StatusCode::FORBIDDEN, None),
            Code::NotFound => (StatusCode::NOT_FOUND, None),
            Code::BadUserInput => (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue)),
            Code::Conflict => (StatusCode::CONFLICT, Some(ScimType::Uniqueness)),
            Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, None),
            Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, None),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        let detail = if field.is_empty() {
            err.message().to_owned()
        } else {
            format!("{field}: {}", err.message())
        };
        Self::new(status, scim_type, detail)
    }
}

impl From<govskills_domain::Error> for ScimError {
    fn from(err: govskills_domain::Error) -> Self {
        ApiError::from(err).into()
    }
}

type ScimResult<T> = Result<T, ScimError>;

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .content_type(SCIM_JSON)
        .header(header::CACHE_CONTROL, "no-store")
        .body(body.to_string())
}

/// Every request under `/scim/v2`: authenticate the token, then dispatch on method and path.
#[handler]
pub async fn scim(req: &Request, body: Body, Data(state): Data<&AppState>) -> Response {
    let outcome = async {
        let authority = authenticate(state, req).await?;
        dispatch(state, req, body, &authority).await
    }
    .await;
    outcome.unwrap_or_else(|err| {
        if err.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(request_id = request_id(req), "SCIM request failed");
        }
        err.response()
    })
}

async fn authenticate(state: &AppState, req: &Request) -> ScimResult<Authority> {
    let secret = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            ScimError::new(
                StatusCode::UNAUTHORIZED,
                None,
                "a provisioning token is required (Authorization: Bearer ...)",
            )
        })?;
    provisioning::authenticate(&state.services.db, secret)
        .await
        .map_err(|err| match err {
            govskills_domain::Error::Unauthenticated => ScimError::new(
                StatusCode::UNAUTHORIZED,
                None,
                "the provisioning token is unknown or revoked",
            ),
            other => other.into(),
        })
}

async fn dispatch(
    state: &AppState,
    req: &Request,
    body: Body,
    authority: &Authority,
) -> ScimResult<Response> {
    let path = req.uri().path().trim_start_matches("/scim/v2");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method().clone();
    let base = format!("{}/scim/v2", state.services.issuer.base_url());
    let query = Params::parse(req.uri().query().unwrap_or_default());
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["ServiceProviderConfig"]) => Ok(json_response(
            StatusCode::OK,
            &service_provider_config(&base),
        )),
        ("GET", ["ResourceTypes"]) => Ok(json_response(
            StatusCode::OK,
            &list_of(vec![resource_type(&base)]),
        )),
        ("GET", ["ResourceTypes", "User"]) => {
            Ok(json_response(StatusCode::OK, &resource_type(&base)))
        }
        ("GET", ["Schemas"]) => Ok(json_response(
            StatusCode::OK,
            &list_of(vec![user_schema(&base)]),
        )),
        ("GET", ["Schemas", id]) if *id == USER => {
            Ok(json_response(StatusCode::OK, &user_schema(&base)))
        }
        ("GET", ["Users"]) => list_users(state, authority, &base, &query).await,
        ("POST", ["Users", ".search"] | [".search"]) => {
            let query = Params::from_search(&read_json(body).await?)?;
            list_users(state, authority, &base, &query).await
        }
        ("POST", ["Users"]) => {
            let input = account_input(&read_json(body).await?)?;
            let account = provisioning::create(&state.services.db, authority, &input).await?;
            let json = project(user_json(&account, &base), &query)?;
            let mut response = json_response(StatusCode::CREATED, &json);
            if let Ok(location) = header::HeaderValue::from_str(&location(&base, &account)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(response)
        }
        ("GET", ["Users", id]) => {
            let account = provisioning::find(&state.services.db, authority, user_id(id)?).await?;
            Ok(json_response(
                StatusCode::OK,
                &project(user_json(&account, &base), &query)?,
            ))
        }
        ("PUT", ["Users", id]) => {
            let id = user_id(id)?;
            let input = account_input(&read_json(body).await?)?;
            let changed = provisioning::update(
                &state.services.db,
                authority,
                id,
                "user.scim_replaced",
                |wanted| {
                    *wanted = input;
                    Ok(())
                },
            )
            .await?;
            if changed.end_sessions {
                end_sessions(state, changed.account.user.id).await?;
            }
            Ok(json_response(
                StatusCode::OK,
                &project(user_json(&changed.account, &base), &query)?,
            ))
        }
        ("PATCH", ["Users", id]) => {
            let id = user_id(id)?;
            let operations = patch_operations(&read_json(body).await?)?;
            let mut refused = None;
            let changed = provisioning::update(
                &state.services.db,
                authority,
                id,
                "user.scim_patched",
                |wanted| {
                    apply_patch(wanted, &operations).map_err(|err| {
                        // Carried out of the domain's closure as a field error, restored below.
                        let message = err.detail.clone();
                        refused = Some(err);
                        govskills_domain::Error::invalid("Operations", message)
                    })
                },
            )
            .await
            .map_err(|err| refused.take().unwrap_or_else(|| err.into()))?;
            if changed.end_sessions {
                end_sessions(state, changed.account.user.id).await?;
            }
            Ok(json_response(
                StatusCode::OK,
                &project(user_json(&changed.account, &base), &query)?,
            ))
        }
        ("DELETE", ["Users", id]) => {
            let id = user_id(id)?;
            provisioning::delete(&state.services.db, authority, id).await?;
            end_sessions(state, id).await?;
            Ok(Response::builder().status(StatusCode::NO_CONTENT).finish())
        }
        (
            _,
            [
                "ServiceProviderConfig" | "ResourceTypes" | "Schemas" | "Users",
                ..,
            ],
        ) => {
            let known = matches!(
                segments.as_slice(),
                ["ServiceProviderConfig"] | ["ResourceTypes" | "Schemas" | "Users"] | ["Users", _]
            );
            if known {
                Err(ScimError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    None,
                    format!("{method} is not supported here"),
                ))
            } else {
                Err(ScimError::not_found())
            }
        }
        _ => Err(ScimError::not_found()),
    }
}

/// Ends every session of a deactivated account, at once.
async fn end_sessions(state: &AppState, user_id: Uuid) -> ScimResult<()> {
    state
        .services
        .sessions
        .end_all(user_id, None)
        .await
        .map_err(|err| ScimError::from(ApiError::from(err)))
}

fn user_id(raw: &str) -> ScimResult<Uuid> {
    // An id we never issued names nothing.
    Uuid::parse_str(raw).map_err(|_| ScimError::not_found())
}

async fn read_json(body: Body) -> ScimResult<Value> {
    let bytes = body.into_bytes_limit(MAX_BODY_BYTES).await.map_err(|_| {
        ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("a request body holds at most {MAX_BODY_BYTES} bytes"),
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|err| ScimError::invalid_syntax(format!("the body is not valid JSON: {err}")))
}

/// The query string, names compared regardless of case as RFC 7644 3.4.2 allows.
struct Params(HashMap<String, String>);

impl Params {
    fn parse(query: &str) -> Self {
        Self(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| (name.to_lowercase(), value.into_owned()))
                .collect(),
        )
    }

    /// The parameters of a `POST .search` body (RFC 7644 3.4.3), as a query string has them.
    fn from_search(body: &Value) -> ScimResult<Self> {
        let Value::Object(map) = body else {
            return Err(ScimError::invalid_syntax(
                "a search request must be a JSON object",
            ));
        };
        let mut params = HashMap::new();
        for (name, value) in map {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                _ => continue,
            };
            params.insert(name.to_lowercase(), text);
        }
        Ok(Self(params))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(&name.to_lowercase()).map(String::as_str)
    }

    fn number(&self, name: &str) -> ScimResult<Option<i64>> {
        self.get(name)
            .map(|raw| {
                raw.trim()
                    .parse::<i64>()
                    .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer")))
            })
            .transpose()
    }
}

async fn list_users(
    state: &AppState,
    authority: &Authority,
    base: &str,
    query: &Params,
) -> ScimResult<Response> {
    let filter = query.get("filter").map(parse_filter).transpose()?;
    let filter = filter.unwrap_or(Some(AccountFilter::default()));
    // RFC 7644 3.4.2.4: a startIndex below 1 is 1, a negative count is 0.
    let start = query.number("startIndex")?.unwrap_or(1).max(1);
    let count = query.number("count")?.map_or(MAX_RESULTS, |count| {
        count.clamp(0, MAX_RESULTS as i64) as u64
    });
    let (total, accounts) = match &filter {
        Some(filter) => {
            provisioning::list(
                &state.services.db,
                authority,
                filter,
                start as u64 - 1,
                count,
            )
            .await?
        }
        None => (0, Vec::new()),
    };
    let resources = accounts
        .iter()
        .map(|account| project(user_json(account, base), query))
        .collect::<ScimResult<Vec<_>>>()?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}

/// A list filter as the domain takes it; `Ok(None)`: a filter that matches nothing (an
/// `id` that is not one of ours).
fn parse_filter(raw: &str) -> ScimResult<Option<AccountFilter>> {
    let filter: Filter = raw
        .parse()
        .map_err(|err| ScimError::invalid_filter(format!("the filter does not parse: {err}")))?;
    let mut wanted = AccountFilter::default();
    let terms = match &filter {
        Filter::And(operands) => operands.as_slice().to_vec(),
        other => vec![other.clone()],
    };
    let unsupported = || {
        ScimError::invalid_filter(
            "supported filters: userName eq, externalId eq and id eq, joined by and",
        )
    };
    let mut matches_nothing = false;
    for term in terms {
        let Filter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(value))) = term
        else {
            return Err(unsupported());
        };
        if path.sub_attr.is_some() || path.uri.as_deref().is_some_and(|uri| uri != USER) {
            return Err(unsupported());
        }
        match path.name.to_lowercase().as_str() {
            "username" => wanted.user_name = Some(value),
            "externalid" => wanted.external_id = Some(value),
            "id" => match Uuid::parse_str(&value) {
                Ok(id) => wanted.id = Some(id),
                Err(_) => matches_nothing = true,
            },
            _ => return Err(unsupported()),
        }
    }
    Ok((!matches_nothing).then_some(wanted))
}

fn location(base: &str, account: &Account) -> String {
    format!("{base}/Users/{}", account.user.id)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An account as a SCIM User.
fn user_json(account: &Account, base: &str) -> Value {
    let user = &account.user;
    let mut json = json!({
        "schemas": [USER],
        "id": user.id.to_string(),
        "userName": account.user_name(),
        "displayName": user.display_name,
        "emails": [{ "value": user.email }],
        "active": user.status == govskills_domain::entities::user::UserStatus::Active,
        "meta": {
            "resourceType": "User",
            "created": timestamp(user.created_at),
            "lastModified": timestamp(user.updated_at),
            "location": location(base, account),
        },
    });
    if let Some(external_id) = &user.external_id {
        json["externalId"] = json!(external_id);
    }
    if let Some(department) = account.department() {
        json["schemas"] = json!([USER, ENTERPRISE_USER]);
        json[ENTERPRISE_USER] = json!({ "department": department });
    }
    json
}

/// `attributes` / `excludedAttributes` (RFC 7644 3.9): `id` and `schemas` are always returned.
fn project(mut json: Value, query: &Params) -> ScimResult<Value> {
    let names = |raw: Option<&str>| -> Vec<String> {
        raw.unwrap_or_default()
            .split(',')
            .map(|name| name.trim().to_lowercase())
            .filter(|name| !name.is_empty())
            .collect()
    };
    let attributes = names(query.get("attributes"));
    let excluded = names(query.get("excludedAttributes"));
    if attributes.is_empty() && excluded.is_empty() {
        return Ok(json);
    }
    let Some(object) = json.as_object_mut() else {
        return Ok(json);
    };
    // Each attribute as (top-level key, sub-attribute), URN prefixes resolved.
    let split = |name: &str| -> (String, Option<String>) {
        let enterprise = ENTERPRISE_USER.to_lowercase();
        let user = USER.to_lowercase();
        if let Some(rest) = name.strip_prefix(&format!("{enterprise}:")) {
            return (enterprise, Some(rest.to_owned()));
        }
        if name == enterprise {
            return (enterprise, None);
        }
        let name = name.strip_prefix(&format!("{user}:")).unwrap_or(name);
        match name.split_once('.') {
            Some((top, sub)) => (top.to_owned(), Some(sub.to_owned())),
            None => (name.to_owned(), None),
        }
    };
    let always = ["id", "schemas"];
    let keys: Vec<String> = object.keys().cloned().collect();
    if !attributes.is_empty() {
        let wanted: Vec<(String, Option<String>)> = attributes.iter().map(|a| split(a)).collect();
        for key in keys {
            let lower = key.to_lowercase();
            if always.contains(&lower.as_str()) {
                continue;
            }
            let subs: Vec<&Option<String>> = wanted
                .iter()
                .filter(|(top, _)| *top == lower)
                .map(|(_, sub)| sub)
                .collect();
            if subs.is_empty() {
                object.remove(&key);
            } else if subs.iter().all(|sub| sub.is_some()) {
                let keep: Vec<String> = subs.iter().filter_map(|sub| (*sub).clone()).collect();
                retain_sub(object.get_mut(&key), |sub| {
                    keep.contains(&sub.to_lowercase())
                });
            }
        }
    } else {
        for (top, sub) in excluded.iter().map(|name| split(name)) {
            if always.contains(&top.as_str()) {
                continue;
            }
            let Some(key) = object.keys().find(|key| key.to_lowercase() == top).cloned() else {
                continue;
            };
            match sub {
                None => {
                    object.remove(&key);
                }
                Some(sub) => retain_sub(object.get_mut(&key), |name| name.to_lowercase() != sub),
            }
        }
    }
    Ok(json)
}

/// Keeps the sub-attributes `keep` names in a complex value (or in each value of a list).
fn retain_sub(value: Option<&mut Value>, keep: impl Fn(&str) -> bool) {
    match value {
        Some(Value::Object(map)) => map.retain(|name, _| keep(name)),
        Some(Value::Array(items)) => {
            for item in items {
                if let Value::Object(map) = item {
                    map.retain(|name, _| keep(name));
                }
            }
        }
        _ => {}
    }
}

fn list_of(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

fn service_provider_config(base: &str) -> Value {
    let unsupported = json!({ "supported": false });
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": unsupported,
        "sort": unsupported,
        "etag": unsupported,
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Provisioning token",
            "description": "A provisioning token of the authority, created by its administrator \
                            in GovSkills (createProvisioningToken), as a bearer token.",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

fn resource_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "An account of the authority's staff",
        "schema": USER,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/User"),
        },
    })
}

/// A simple attribute of the published schema.
fn attribute(name: &str, kind: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": required,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

/// The User schema as served: the attributes stored, no more (so a client, or a conformance
/// checker, that fills every published attribute gets each back as it sent it). The enterprise
/// extension's `department` is accepted and answered but not published: its values must name
/// existing org units, which a client cannot discover.
fn user_schema(base: &str) -> Value {
    let mut user_name = attribute(
        "userName",
        "string",
        true,
        "Unique identifier of the account, unique regardless of case.",
    );
    user_name["uniqueness"] = json!("server");
    let mut emails = attribute(
        "emails",
        "complex",
        true,
        "The account's email address (one: the primary one, else the first sent).",
    );
    emails["multiValued"] = json!(true);
    emails["subAttributes"] = json!([attribute("value", "string", true, "The email address.")]);
    json!({
        "schemas": [SCHEMA],
        "id": USER,
        "name": "User",
        "description": "An account of the authority's staff",
        "attributes": [
            user_name,
            attribute("displayName", "string", true, "The name shown for the person."),
            emails,
            attribute(
                "active",
                "boolean",
                true,
                "Whether the account may sign in; false disables it and ends its sessions.",
            ),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{USER}"),
        },
    })
}

/// Attributes of the RFC's User schema that are accepted and not stored.
const IGNORED: &[&str] = &[
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "password",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509certificates",
];

/// Attributes of the enterprise extension that are accepted and not stored.
const IGNORED_ENTERPRISE: &[&str] = &[
    "employeenumber",
    "costcenter",
    "organization",
    "division",
    "manager",
];

fn string(value: &Value, name: &str) -> ScimResult<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text.clone())),
        _ => Err(ScimError::invalid_value(format!("{name} must be a string"))),
    }
}

/// `active` as a boolean; Entra ID sends the strings "True" and "False".
fn boolean(value: &Value, name: &str) -> ScimResult<bool> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::invalid_value(format!(
            "{name} must be a boolean"
        ))),
    }
}

/// The address of an `emails` value: the primary one, else the first.
fn email_of(value: &Value) -> ScimResult<Option<String>> {
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![value.clone()],
        _ => return Err(ScimError::invalid_value("emails must be a list of objects")),
    };
    let mut first = None;
    for item in &items {
        let Value::Object(map) = item else {
            return Err(ScimError::invalid_value("emails must be a list of objects"));
        };
        let value = map
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("value"))
            .map(|(_, value)| string(value, "emails.value"))
            .transpose()?
            .flatten();
        let primary = map
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("primary"))
            .map(|(_, value)| boolean(value, "emails.primary"))
            .transpose()?
            .unwrap_or(false);
        if primary && value.is_some() {
            return Ok(value);
        }
        if first.is_none() {
            first = value;
        }
    }
    Ok(first)
}

/// The parts of a `name` a request sent.
#[derive(Default)]
struct NameParts {
    formatted: Option<String>,
    given: Option<String>,
    family: Option<String>,
}

impl NameParts {
    fn set(&mut self, sub: &str, value: &Value) -> ScimResult<()> {
        let text = string(value, &format!("name.{sub}"))?;
        match sub.to_lowercase().as_str() {
            "formatted" => self.formatted = text,
            "givenname" => self.given = text,
            "familyname" => self.family = text,
            "middlename" | "honorificprefix" | "honorificsuffix" => {}
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "name.{sub} is not an attribute of User"
                )));
            }
        }
        Ok(())
    }

    fn set_all(&mut self, value: &Value) -> ScimResult<()> {
        match value {
            Value::Null => Ok(()),
            Value::Object(map) => map.iter().try_for_each(|(sub, value)| self.set(sub, value)),
            _ => Err(ScimError::invalid_value("name must be an object")),
        }
    }

    fn is_empty(&self) -> bool {
        self.formatted.is_none() && self.given.is_none() && self.family.is_none()
    }

    /// The display name they make, given the current one (for a part that was not sent).
    fn display_name(&self, current: Option<&str>) -> Option<String> {
        if let Some(formatted) = &self.formatted {
            return Some(formatted.clone());
        }
        if self.given.is_none() && self.family.is_none() {
            return None;
        }
        let (current_given, current_family) = current
            .and_then(|name| name.split_once(' '))
            .map_or((current.unwrap_or_default(), ""), |(given, family)| {
                (given, family)
            });
        let given = self.given.as_deref().unwrap_or(current_given);
        let family = self.family.as_deref().unwrap_or(current_family);
        let joined = format!("{given} {family}").trim().to_owned();
        (!joined.is_empty()).then_some(joined)
    }
}

/// A whole User from a `POST` or `PUT` body.
fn account_input(body: &Value) -> ScimResult<AccountInput> {
    let Value::Object(map) = body else {
        return Err(ScimError::invalid_syntax("the body must be a JSON object"));
    };
    let mut input = AccountInput {
        user_name: String::new(),
        external_id: None,
        display_name: None,
        email: None,
        active: true,
        department: None,
    };
    let mut name = NameParts::default();
    let mut user_name = None;
    for (key, value) in map {
        let lower = key.to_lowercase();
        let attribute = lower
            .strip_prefix(&format!("{}:", USER.to_lowercase()))
            .unwrap_or(&lower);
        match attribute {
            "schemas" | "id" | "meta" => {}
            "username" => user_name = string(value, "userName")?,
            "externalid" => input.external_id = string(value, "externalId")?,
            "displayname" => input.display_name = string(value, "displayName")?,
            "active" => {
                if !value.is_null() {
                    input.active = boolean(value, "active")?;
                }
            }
            "emails" => input.email = email_of(value)?,
            "name" => name.set_all(value)?,
            ignored if IGNORED.contains(&ignored) => {}
            _ if lower == ENTERPRISE_USER.to_lowercase() => match value {
                Value::Null => {}
                Value::Object(extension) => {
                    for (key, value) in extension {
                        set_enterprise(&mut input, key, value)?;
                    }
                }
                _ => {
                    return Err(ScimError::invalid_value(
                        "the enterprise extension must be an object",
                    ));
                }
            },
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "{key} is not an attribute of User"
                )));
            }
        }
    }
    input.user_name = user_name.ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    if input.display_name.is_none() {
        input.display_name = name.display_name(None);
    }
    Ok(input)
}

fn set_enterprise(input: &mut AccountInput, key: &str, value: &Value) -> ScimResult<()> {
    match key.to_lowercase().as_str() {
        "department" => input.department = string(value, "department")?,
        ignored if IGNORED_ENTERPRISE.contains(&ignored) => {}
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{key} is not an attribute of the enterprise extension"
            )));
        }
    }
    Ok(())
}

/// A PATCH request's operations (RFC 7644 3.5.2), as the `scim_v2` crate parses them.
fn patch_operations(body: &Value) -> ScimResult<Vec<PatchOperation>> {
    let patch: PatchOp = serde_json::from_value(body.clone()).map_err(|err| {
        let message = err.to_string();
        if message.contains("invalid SCIM path") {
            ScimError::invalid_path(message)
        } else {
            ScimError::invalid_syntax(format!("not a PatchOp: {message}"))
        }
    })?;
    if !patch.schemas.iter().any(|schema| schema == PATCH_OP) {
        return Err(ScimError::invalid_syntax(format!(
            "a PATCH body's schemas must hold {PATCH_OP}"
        )));
    }
    Ok(patch.operations)
}

/// What a PATCH path names, of the attributes served.
enum Target {
    UserName,
    ExternalId,
    DisplayName,
    Active,
    Emails,
    Name(Option<String>),
    Department,
    /// The enterprise extension as a whole.
    Enterprise,
    Ignored,
}

fn target_of(path: &AttrPath) -> ScimResult<Target> {
    let unknown = || ScimError::invalid_path(format!("{path} is not an attribute of User"));
    let uri = path.uri.as_deref().map(str::to_lowercase);
    let name = path.name.to_lowercase();
    let sub = path.sub_attr.as_deref();
    if uri.as_deref() == Some(&ENTERPRISE_USER.to_lowercase()) {
        return match name.as_str() {
            "department" if sub.is_none() => Ok(Target::Department),
            ignored if IGNORED_ENTERPRISE.contains(&ignored) => Ok(Target::Ignored),
            _ => Err(unknown()),
        };
    }
    if uri.is_some() && uri.as_deref() != Some(&USER.to_lowercase()) {
        // The grammar may read a bare extension URN as a URI with its last segment as name.
        let whole = format!("{}:{}", path.uri.as_deref().unwrap_or_default(), path.name);
        return if whole.eq_ignore_ascii_case(ENTERPRISE_USER) && sub.is_none() {
            Ok(Target::Enterprise)
        } else {
            Err(unknown())
        };
    }
    let target = match (name.as_str(), sub) {
        ("username", None) => Target::UserName,
        ("externalid", None) => Target::ExternalId,
        ("displayname", None) => Target::DisplayName,
        ("active", None) => Target::Active,
        ("emails", None | Some("value" | "Value")) => Target::Emails,
        ("emails", Some(_)) => Target::Ignored,
        ("name", sub) => Target::Name(sub.map(str::to_owned)),
        (ignored, _) if IGNORED.contains(&ignored) => Target::Ignored,
        _ => return Err(unknown()),
    };
    Ok(target)
}

/// Applies PATCH operations to what the account says now.
fn apply_patch(input: &mut AccountInput, operations: &[PatchOperation]) -> ScimResult<()> {
    let mut name = NameParts::default();
    let display_before = input.display_name.clone();
    let mut display_set = false;
    for operation in operations {
        match operation {
            PatchOperation::Add(target) | PatchOperation::Replace(target) => match target {
                OperationTarget::WithPath { path, value } => {
                    let value = value.clone().unwrap_or(Value::Null);
                    set_path(input, &mut name, &mut display_set, path, &value)?;
                }
                OperationTarget::WithoutPath { value } => {
                    for (key, value) in value {
                        let path: PatchPath = key.parse().map_err(|_| {
                            ScimError::invalid_value(format!("{key} is not an attribute of User"))
                        })?;
                        // An attribute in the value is not a path: unknown is invalidValue.
                        set_path(input, &mut name, &mut display_set, &path, value).map_err(
                            |err| match err.scim_type {
                                Some(ScimType::InvalidPath) => ScimError::invalid_value(err.detail),
                                _ => err,
                            },
                        )?;
                    }
                }
            },
            PatchOperation::Remove { path, .. } => remove_path(input, &mut name, path)?,
        }
    }
    if !display_set && !name.is_empty() {
        input.display_name = name.display_name(display_before.as_deref());
    }
    Ok(())
}

fn attr_of(path: &PatchPath) -> &AttrPath {
    match path {
        PatchPath::Attr(attr) => attr,
        PatchPath::Value(value_path) => &value_path.attr,
    }
}

fn set_path(
    input: &mut AccountInput,
    name: &mut NameParts,
    display_set: &mut bool,
    path: &PatchPath,
    value: &Value,
) -> ScimResult<()> {
    let required = |field: &str, value: Option<String>| {
        value.ok_or_else(|| ScimError::invalid_value(format!("{field} cannot be empty")))
    };
    match target_of(attr_of(path))? {
        Target::UserName => input.user_name = required("userName", string(value, "userName")?)?,
        Target::ExternalId => input.external_id = string(value, "externalId")?,
        Target::DisplayName => {
            input.display_name = Some(required("displayName", string(value, "displayName")?)?);
            *display_set = true;
        }
        Target::Active => input.active = boolean(value, "active")?,
        Target::Emails => {
            // `emails[type eq "work"].value` carries the address itself.
            let email = match value {
                Value::String(text) => Some(text.clone()),
                other => email_of(other)?,
            };
            input.email = Some(required("emails", email)?);
        }
        Target::Name(None) => name.set_all(value)?,
        Target::Name(Some(sub)) => name.set(&sub, value)?,
        Target::Department => input.department = string(value, "department")?,
        Target::Enterprise => match value {
            Value::Object(extension) => {
                for (key, value) in extension {
                    set_enterprise(input, key, value)?;
                }
            }
            Value::Null => {}
            _ => {
                return Err(ScimError::invalid_value(
                    "the enterprise extension must be an object",
                ));
            }
        },
        Target::Ignored => {}
    }
    Ok(())
}

fn remove_path(input: &mut AccountInput, name: &mut NameParts, path: &PatchPath) -> ScimResult<()> {
    let required = |field: &str| {
        Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some(ScimType::Mutability),
            format!("{field} is required and cannot be removed"),
        ))
    };
    match target_of(attr_of(path))? {
        Target::UserName => return required("userName"),
        Target::DisplayName => return required("displayName"),
        Target::Emails => return required("emails"),
        Target::Active => return required("active"),
        Target::ExternalId => input.external_id = None,
        Target::Department | Target::Enterprise => input.department = None,
        Target::Name(_) => *name = NameParts::default(),
        Target::Ignored => {}
    }
    Ok(())
}

/// The label of SCIM requests in the request metrics.
pub const ROUTE_LABEL: &str = "/scim/v2";

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(raw: &str) -> ScimResult<Option<AccountFilter>> {
        parse_filter(raw)
    }

    #[test]
    fn filters_on_user_name_and_external_id_are_understood() {
        let parsed = filter(r#"userName eq "Jane@Example.org" and externalId eq "42""#)
            .expect("valid")
            .expect("matches something");
        assert_eq!(parsed.user_name.as_deref(), Some("Jane@Example.org"));
        assert_eq!(parsed.external_id.as_deref(), Some("42"));
    }

    #[test]
    fn malformed_and_unsupported_filters_are_invalid_filter() {
        for raw in [r#"userName eq"#, r#"userName co "x""#, r#"title eq "x""#] {
            let err = filter(raw).expect_err(raw);
            assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{raw}");
        }
    }

    #[test]
    fn entra_and_keycloak_patches_apply() {
        let mut input = AccountInput {
            user_name: "jane@example.org".into(),
            external_id: None,
            display_name: Some("Jane Doe".into()),
            email: Some("jane@example.org".into()),
            active: true,
            department: None,
        };
        let entra = patch_operations(&json!({
            "schemas": [PATCH_OP],
            "Operations": [
                { "op": "Replace", "path": "name.familyName", "value": "Roe" },
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "jr@example.org" },
                { "op": "Add", "path": format!("{ENTERPRISE_USER}:department"), "value": "IT" },
                { "op": "replace", "value": { "active": "False" } },
            ],
        }))
        .expect("parses");
        apply_patch(&mut input, &entra).expect("applies");
        assert_eq!(input.display_name.as_deref(), Some("Jane Roe"));
        assert_eq!(input.email.as_deref(), Some("jr@example.org"));
        assert_eq!(input.department.as_deref(), Some("IT"));
        assert!(!input.active);
        let keycloak = patch_operations(&json!({
            "schemas": [PATCH_OP],
            "Operations": [
                { "op": "replace", "path": "active", "value": true },
                { "op": "remove", "path": format!("{ENTERPRISE_USER}:department") },
            ],
        }))
        .expect("parses");
        apply_patch(&mut input, &keycloak).expect("applies");
        assert!(input.active);
        assert_eq!(input.department, None);
    }
}

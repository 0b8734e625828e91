//! What a verifier or wallet dereferences, all public and cacheable: each authority's issuer
//! profile (`/issuers/{id}`, the credentials' `issuer.id`), its keys (`/issuers/{id}/jwks.json`,
//! `/issuers/{id}/keys/{kid}`, the credentials' `kid`), its revocation status lists
//! (`/issuers/{id}/status/{list}`) and the competences credentials align to
//! (`/competences/{id}`).

use govskills_domain::{
    competences,
    credentials::{self, Issuer, status},
};
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::{certificates::wants_json, error_response, request_id};
use crate::{
    error::{ApiError, Code},
    state::AppState,
};

/// How long a cache may keep a profile, a key or a status list before asking again. Short for
/// status lists, so a revocation reaches verifiers within minutes.
const PROFILE_MAX_AGE: u32 = 3600;
const STATUS_MAX_AGE: u32 = 300;

fn not_found(req: &Request, what: &str) -> Response {
    error_response(
        &ApiError::new(Code::NotFound, format!("no such {what}")),
        &request_id(req),
    )
}

async fn issuer<'a>(req: &Request, state: &'a AppState) -> Result<&'a Issuer, Response> {
    state
        .services
        .issuer
        .get(&state.services.db)
        .await
        .map_err(|err| error_response(&err.into(), &request_id(req)))
}

/// A public JSON document, with an ETag so caches can revalidate cheaply.
fn public_json(req: &Request, body: &str, content_type: &str, max_age: u32) -> Response {
    let etag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..16])
    );
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, format!("public, max-age={max_age}"))
        .header(header::ETAG, etag.as_str())
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::VARY, "Accept");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if matches {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    builder.content_type(content_type).body(body.to_owned())
}

fn parse_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}

/// The authority's Open Badges 3.0 `Profile`.
#[handler]
pub async fn profile(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    let issuer = match issuer(req, state).await {
        Ok(issuer) => issuer,
        Err(response) => return response,
    };
    let Some(id) = parse_id(&id) else {
        return not_found(req, "issuer");
    };
    match credentials::profile(&state.services.db, issuer, id).await {
        Ok(profile) => {
            let mut document = profile.json();
            document["@context"] = json!([credentials::VC_CONTEXT, credentials::OB_CONTEXT]);
            document["jwks"] = json!(format!("{}/jwks.json", profile.id));
            public_json(
                req,
                &serde_json::to_string_pretty(&document).unwrap_or_default(),
                "application/json",
                PROFILE_MAX_AGE,
            )
        }
        Err(govskills_domain::Error::NotFound(_)) => not_found(req, "issuer"),
        Err(err) => error_response(&err.into(), &request_id(req)),
    }
}

/// The key set under an authority's profile: every key, named by its URL there.
async fn key_set(req: &Request, state: &AppState, id: &str) -> Result<credentials::Jwks, Response> {
    let issuer = issuer(req, state).await?;
    let id = parse_id(id).ok_or_else(|| not_found(req, "issuer"))?;
    let db = &state.services.db;
    match credentials::profile(db, issuer, id).await {
        Ok(_) => {}
        Err(govskills_domain::Error::NotFound(_)) => return Err(not_found(req, "issuer")),
        Err(err) => return Err(error_response(&err.into(), &request_id(req))),
    }
    let jwks = state
        .services
        .issuer
        .jwks(db)
        .await
        .map_err(|err| error_response(&err.into(), &request_id(req)))?;
    Ok(credentials::jwks_under(&jwks, issuer, id))
}

/// Every key of the platform, retired ones too, named by URL under this authority's profile.
#[handler]
pub async fn profile_jwks(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    match key_set(req, state, &id).await {
        Ok(jwks) => public_json(
            req,
            &serde_json::to_string(&jwks).unwrap_or_default(),
            "application/jwk-set+json",
            PROFILE_MAX_AGE,
        ),
        Err(response) => response,
    }
}

/// One key, what a credential's `kid` names.
#[handler]
pub async fn key(
    req: &Request,
    Path((id, kid)): Path<(String, String)>,
    Data(state): Data<&AppState>,
) -> Response {
    let jwks = match key_set(req, state, &id).await {
        Ok(jwks) => jwks,
        Err(response) => return response,
    };
    let found = jwks.keys.into_iter().find(|jwk| {
        jwk.common
            .key_id
            .as_deref()
            .is_some_and(|url| credentials::kid_thumbprint(url) == kid)
    });
    match found {
        Some(jwk) => public_json(
            req,
            &serde_json::to_string(&jwk).unwrap_or_default(),
            "application/jwk+json",
            PROFILE_MAX_AGE,
        ),
        None => not_found(req, "key"),
    }
}

/// A revocation status list: the signed `BitstringStatusListCredential` (`application/vc+jwt`),
/// or with `Accept: application/json` the credential it carries.
#[handler]
pub async fn status_list(
    req: &Request,
    Path((id, list)): Path<(String, String)>,
    Data(state): Data<&AppState>,
) -> Response {
    let issuer = match issuer(req, state).await {
        Ok(issuer) => issuer,
        Err(response) => return response,
    };
    let (Some(id), Ok(list)) = (parse_id(&id), list.parse::<i32>()) else {
        return not_found(req, "status list");
    };
    if list < 0 {
        return not_found(req, "status list");
    }
    let db = &state.services.db;
    let authority = match credentials::profile(db, issuer, id).await {
        Ok(authority) => authority,
        Err(govskills_domain::Error::NotFound(_)) => return not_found(req, "issuer"),
        Err(err) => return error_response(&err.into(), &request_id(req)),
    };
    match status::list_credential(db, issuer, &authority, list).await {
        Ok((_, credential)) if wants_json(req) => public_json(
            req,
            &serde_json::to_string_pretty(&credential).unwrap_or_default(),
            "application/json",
            STATUS_MAX_AGE,
        ),
        Ok((token, _)) => public_json(req, &token, "application/vc+jwt", STATUS_MAX_AGE),
        Err(err) => error_response(&err.into(), &request_id(req)),
    }
}

/// An authority's AI register as published for everyone, in the shape of a public algorithm
/// register (one entry per system, no personal data), when the authority chose to publish it
/// (`publishesAiRegister` on its issuer profile); else `404`. JSON (`.json`) or CSV (`.csv`).
#[handler]
pub async fn ai_register(
    req: &Request,
    Path((id, format)): Path<(String, String)>,
    Data(state): Data<&AppState>,
) -> Response {
    let issuer = match issuer(req, state).await {
        Ok(issuer) => issuer,
        Err(response) => return response,
    };
    let (Some(id), Some(csv)) = (
        parse_id(&id),
        match format.as_str() {
            "ai-register.csv" => Some(true),
            "ai-register.json" => Some(false),
            _ => None,
        },
    ) else {
        return not_found(req, "register");
    };
    let db = &state.services.db;
    let authority = match credentials::profile(db, issuer, id).await {
        Ok(authority) if authority.publishes_ai_register => authority,
        Ok(_) | Err(govskills_domain::Error::NotFound(_)) => return not_found(req, "register"),
        Err(err) => return error_response(&err.into(), &request_id(req)),
    };
    let systems = match govskills_domain::ai_register::public_register(db, id).await {
        Ok(systems) => systems,
        Err(err) => return error_response(&err.into(), &request_id(req)),
    };
    let rows: Vec<[String; 13]> = systems
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                authority.name.clone(),
                s.purpose.clone(),
                s.provider.clone(),
                s.authority_role.clone(),
                s.risk_class.clone(),
                s.annex_iii_area.map(|a| a.to_string()).unwrap_or_default(),
                s.eu_database_id.clone().unwrap_or_default(),
                s.status.clone(),
                s.version.to_string(),
                s.updated_at.to_rfc3339(),
                s.public_register_url.clone().unwrap_or_default(),
                s.instructions_url.clone().unwrap_or_default(),
            ]
        })
        .collect();
    const COLUMNS: [&str; 13] = [
        "name",
        "organisation",
        "purpose",
        "provider",
        "role",
        "riskClass",
        "annexIiiArea",
        "euDatabaseId",
        "status",
        "version",
        "updatedAt",
        "publicRegisterUrl",
        "instructionsUrl",
    ];
    if csv {
        let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        let written = writer.write_record(COLUMNS).and_then(|()| {
            rows.iter().try_for_each(|row| {
                writer.write_record(
                    row.iter()
                        .map(|cell| super::reports::neutralise(cell).into_owned()),
                )
            })
        });
        let body = written.map_err(|err| anyhow::anyhow!(err)).and_then(|()| {
            writer
                .into_inner()
                .map_err(|err| anyhow::anyhow!(err.to_string()))
        });
        return match body {
            Ok(bytes) => public_json(
                req,
                &String::from_utf8_lossy(&bytes),
                "text/csv; charset=utf-8",
                PROFILE_MAX_AGE,
            ),
            Err(err) => error_response(
                &govskills_domain::Error::Internal(err).into(),
                &request_id(req),
            ),
        };
    }
    let entries: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            COLUMNS
                .iter()
                .zip(row)
                .map(|(column, value)| ((*column).to_owned(), json!(value)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect();
    public_json(
        req,
        &serde_json::to_string_pretty(
            &json!({ "organisation": authority.name, "systems": entries }),
        )
        .unwrap_or_default(),
        "application/json",
        PROFILE_MAX_AGE,
    )
}

/// A competence, where the credentials' alignments point (`targetUrl`).
#[handler]
pub async fn competence(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(req, "competence");
    };
    let db = &state.services.db;
    let found = match competences::competences_by_ids(db, &[id]).await {
        Ok(found) => found,
        Err(err) => return error_response(&err.into(), &request_id(req)),
    };
    let Some(competence) = found.into_iter().next() else {
        return not_found(req, "competence");
    };
    let framework = match competences::frameworks_by_ids(db, &[competence.framework_id]).await {
        Ok(frameworks) => frameworks.into_iter().next(),
        Err(err) => return error_response(&err.into(), &request_id(req)),
    };
    let document = json!({
        "id": govskills_domain::certificates::competence_url(state.services.issuer.base_url(), competence.id),
        "type": "ceasn:Competency",
        "name": competence.name,
        "code": competence.code,
        "description": competence.description,
        "framework": framework.map(|f| json!({ "name": f.name, "code": f.code, "version": f.version })),
    });
    public_json(
        req,
        &serde_json::to_string_pretty(&document).unwrap_or_default(),
        "application/json",
        PROFILE_MAX_AGE,
    )
}

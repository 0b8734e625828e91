//! The public certificate routes for software: `/.well-known/jwks.json` (the issuer's public
//! keys) and `/credentials/{code}` (the signed credential). The pages for people, `/verify` and
//! `/verify/{code}`, are `verify_page.rs`.

use govskills_domain::{certificates, credentials};
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::{auth::client_ip, error_response, request_id};
use crate::{
    error::{ApiError, Code},
    state::AppState,
};

fn internal(err: govskills_domain::Error) -> Response {
    // The conversion logs the cause of an internal error.
    let _logged = ApiError::from(err);
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .content_type("text/plain; charset=utf-8")
        .body("internal error")
}

/// The issuer's public keys, retired ones included, so every credential it ever signed verifies:
/// by thumbprint, and by key URL under each authority that issued.
#[handler]
pub async fn jwks(Data(state): Data<&AppState>) -> Response {
    match state
        .services
        .issuer
        .published_jwks(&state.services.db)
        .await
    {
        Ok(jwks) => Response::builder()
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "public, max-age=300")
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .body(serde_json::to_string(&jwks).unwrap_or_default()),
        Err(err) => internal(err),
    }
}

/// Counts a verification; the refusal to send when over the limit.
async fn throttled(req: &Request, state: &AppState) -> Option<ApiError> {
    state
        .services
        .verify_throttle
        .check(client_ip(req, state.trust_forwarded_for))
        .await
        .err()
}

/// Whether `Accept` names `application/json` (then a credential is answered as its JSON).
pub(super) fn wants_json(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|part| {
                part.split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            })
        })
}

/// Says whether a downloaded credential is `valid`, `expired` or `revoked` today.
pub const CREDENTIAL_STATUS_HEADER: &str = "x-credential-status";

/// The signed credential: the VC-JWT (`application/vc+jwt`), or with `Accept: application/json`
/// the credential JSON it carries. Revocation does not change the credential; its status is in
/// the `x-credential-status` header, in the issuer's status list and on the verify page.
#[handler]
pub async fn credential(
    req: &Request,
    Path(code): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    if let Some(refusal) = throttled(req, state).await {
        return error_response(&refusal, &request_id);
    }
    let found = match certificates::find_by_code(&state.services.db, &code).await {
        Ok(found) => found,
        Err(err) => return error_response(&err.into(), &request_id),
    };
    let Some((certificate, _)) = found else {
        let missing = ApiError::new(Code::NotFound, "no certificate has this code");
        return error_response(&missing, &request_id);
    };
    // The credential is the holder's and never changes; whether it still stands does, and is
    // said beside it (and in the issuer's status list its `credentialStatus` names).
    let status = match certificates::Status::of(&certificate, chrono::Utc::now()) {
        certificates::Status::Revoked => "revoked",
        certificates::Status::Expired => "expired",
        certificates::Status::Valid | certificates::Status::NotFound => "valid",
    };
    let response = Response::builder()
        .header(header::CACHE_CONTROL, "no-store")
        .header(CREDENTIAL_STATUS_HEADER, status)
        .header(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            CREDENTIAL_STATUS_HEADER,
        );
    if wants_json(req) {
        let credential = credentials::credential_of(&certificate.credential);
        match credential {
            Some(vc) => response
                .content_type("application/json")
                .body(serde_json::to_string_pretty(&vc).unwrap_or_default()),
            None => internal(govskills_domain::Error::Internal(anyhow::anyhow!(
                "stored credential of {} does not decode",
                certificate.id
            ))),
        }
    } else {
        response
            .content_type("application/vc+jwt")
            .body(certificate.credential)
    }
}

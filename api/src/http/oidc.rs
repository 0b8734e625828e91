//! `GET /auth/oidc/{providerId}/start?returnTo=URL` and `GET /auth/oidc/{providerId}/callback`:
//! signing in through an authority's identity provider (see [`crate::oidc`]). A successful
//! callback starts an ordinary session (the same token, cookie and timeouts as a password
//! sign-in) and redirects to `returnTo`; anything else is a short HTML page that says what
//! happened and what to do, with the status that fits.

use maud::{DOCTYPE, html};
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{request_id, status_of};
use crate::{
    cookie,
    error::ApiError,
    metrics::{self, LoginOutcome},
    state::AppState,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartParams {
    return_to: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn provider_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad_input("providerId", "no such identity provider"))
}

/// The page a person sees when a sign-in does not go through.
fn page(err: &ApiError, request_id: &str) -> Response {
    let body = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Sign-in did not work – GovSkills" }
            }
            body {
                main {
                    h1 { "Sign-in did not work" }
                    p { (err.message()) }
                    p { "If this keeps happening, give your GovSkills administrator this reference: "
                        code { (request_id) } }
                }
            }
        }
    };
    Response::builder()
        .status(status_of(err.code()))
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body.into_string())
}

fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// `GET /auth/oidc/{providerId}/start`
#[handler]
pub async fn start(
    req: &Request,
    Path(raw_id): Path<String>,
    Query(params): Query<StartParams>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    let oidc = &state.services.oidc;
    let result = async {
        let id = provider_id(&raw_id)?;
        let return_to = oidc.return_to(params.return_to.as_deref())?;
        oidc.start(&state.services, id, return_to).await
    }
    .await;
    match result {
        Ok(location) => redirect(&location),
        Err(err) => page(&err, &request_id),
    }
}

/// `GET /auth/oidc/{providerId}/callback`
#[handler]
pub async fn callback(
    req: &Request,
    Path(raw_id): Path<String>,
    Query(params): Query<CallbackParams>,
    Data(state): Data<&AppState>,
) -> Response {
    let request_id = request_id(req);
    let services = &state.services;
    let result = async {
        let id = provider_id(&raw_id)?;
        if let Some(error) = &params.error {
            return Err(ApiError::bad_input(
                "error",
                format!(
                    "the identity provider refused the sign-in ({error}{}{})",
                    if params.error_description.is_some() {
                        ": "
                    } else {
                        ""
                    },
                    params.error_description.as_deref().unwrap_or("")
                ),
            ));
        }
        let (Some(code), Some(oidc_state)) = (&params.code, &params.state) else {
            return Err(ApiError::bad_input(
                "code",
                "the identity provider sent neither a code nor an error: start again",
            ));
        };
        let (user, return_to) = services
            .oidc
            .callback(services, id, code, oidc_state)
            .await?;
        let token = services.sessions.create(user.id).await?;
        Ok((token, return_to))
    }
    .await;
    match result {
        Ok((token, return_to)) => {
            metrics::record_login(LoginOutcome::Succeeded);
            let mut response = redirect(&return_to);
            let set_cookie =
                cookie::session(&token, services.secure_cookies, services.session_lifetime);
            if let Ok(value) = set_cookie.parse() {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(err) => {
            metrics::record_login(LoginOutcome::Failed);
            page(&err, &request_id)
        }
    }
}

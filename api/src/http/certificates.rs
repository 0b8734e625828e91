//! The public certificate routes: `/.well-known/jwks.json` (the issuer's public keys),
//! `/credentials/{code}` (the signed credential) and `/verify/{code}` (the page a person sees
//! after scanning a certificate's QR code).
//!
//! The verify page is rendered with maud, which escapes every interpolated value, and is built
//! to WCAG 2.1 AA: a `lang` attribute, one `h1` and `h2`s in order, text and status colours with
//! a contrast ratio above 7:1, the status in words (never in colour alone), a viewport that
//! reflows on a phone, and the QR code as an image with a text alternative and its link in text.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use govskills_domain::{
    certificates::{self, Status, Verification},
    credentials,
};
use maud::{DOCTYPE, Markup, PreEscaped, html};
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

/// The issuer's public keys, retired ones included, so every credential it ever signed verifies.
#[handler]
pub async fn jwks(Data(state): Data<&AppState>) -> Response {
    match state.services.issuer.jwks(&state.services.db).await {
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

fn wants_json(req: &Request) -> bool {
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

/// The signed credential: the VC-JWT (`application/vc+jwt`), or with `Accept: application/json`
/// the credential JSON it carries. Revocation does not change the credential; its status is on
/// the verify page.
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
    let response = Response::builder().header(header::CACHE_CONTROL, "no-store");
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

/// The page a person sees after scanning a certificate's QR code.
#[handler]
pub async fn verify_page(
    req: &Request,
    Path(code): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    if throttled(req, state).await.is_some() {
        return html_response(
            StatusCode::TOO_MANY_REQUESTS,
            &page(
                "Too many checks",
                html! {
                    h1 { "Too many checks" }
                    p { "This address has checked many certificates in a short time. Please wait a minute and try again." }
                },
            ),
        );
    }
    let verification = match certificates::verify(&state.services.db, &code).await {
        Ok(verification) => verification,
        Err(err) => return internal(err),
    };
    let status = if verification.status == Status::NotFound {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let own_url = verification
        .code
        .as_ref()
        .map(|code| state.services.issuer.verify_url(code));
    html_response(
        status,
        &verification_page(&verification, own_url.as_deref()),
    )
}

fn html_response(status: StatusCode, markup: &Markup) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-robots-tag", "noindex")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        )
        .body(markup.clone().into_string())
}

const CSS: &str = r"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:1.125rem;line-height:1.5;color:#1b1b1b;background:#fff}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.75rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem}
.status{padding:1rem;border-left:.5rem solid;margin:0 0 1.5rem;font-size:1.25rem}
.valid{background:#e6f4ea;border-color:#0a5c2c;color:#0a3d1f}
.expired{background:#fff4d6;border-color:#7a5200;color:#4d3400}
.revoked,.not-found{background:#fde8e8;border-color:#8a1c1c;color:#5c1010}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dt{font-weight:700}
dd{margin:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
a{color:#0b4f9c;overflow-wrap:anywhere}
a:focus-visible{outline:3px solid #0b4f9c;outline-offset:2px}
img{max-width:100%;height:auto;display:block;margin:.5rem 0}
";

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " - GovSkills" }
                style { (PreEscaped(CSS)) }
            }
            body {
                main { (body) }
            }
        }
    }
}

fn date(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
            (at.format("%-d %B %Y"))
        }
    }
}

/// A QR code of `url` as an SVG image with a text alternative.
fn qr_code(url: &str) -> Markup {
    let svg = qrcode::QrCode::new(url.as_bytes()).map(|code| {
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build()
    });
    match svg {
        Ok(svg) => html! {
            img src=(format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)))
                alt=(format!("QR code linking to this verification page: {url}"))
                width="200" height="200";
        },
        Err(_) => html! {},
    }
}

fn verification_page(v: &Verification, own_url: Option<&str>) -> Markup {
    let (class, word) = match v.status {
        Status::Valid => ("valid", "Valid"),
        Status::Expired => ("expired", "Expired"),
        Status::Revoked => ("revoked", "Revoked"),
        Status::NotFound => ("not-found", "Not found"),
    };
    if v.status == Status::NotFound {
        return page(
            "Certificate not found",
            html! {
                h1 { "Certificate not found" }
                p class={"status " (class)} { strong { (word) } ": no certificate has this code." }
                p { "Check the code for typing mistakes and try again. Codes have 24 letters and digits in groups of four." }
            },
        );
    }
    page(
        "Certificate verification",
        html! {
            h1 { "Certificate verification" }
            p class={"status " (class)} {
                strong { (word) }
                @match v.status {
                    Status::Valid => ": this certificate is genuine and in force.",
                    Status::Expired => {
                        ": this certificate is genuine but expired"
                        @if let Some(at) = v.expires_at { " on " (date(at)) }
                        "."
                    },
                    Status::Revoked => {
                        ": this certificate was revoked"
                        @if let Some(at) = v.revoked_at { " on " (date(at)) }
                        " and is no longer valid."
                    },
                    Status::NotFound => "",
                }
            }
            h2 { "Details" }
            dl {
                dt { "Holder" }
                dd { (v.holder_name.as_deref().unwrap_or_default()) }
                dt { "Certificate" }
                dd { (v.title.as_deref().unwrap_or_default()) }
                dt { "Issued by" }
                dd { (v.issuer_name.as_deref().unwrap_or_default()) }
                dt { "Issued on" }
                dd { @if let Some(at) = v.issued_at { (date(at)) } }
                dt { "Expires on" }
                dd {
                    @match v.expires_at {
                        Some(at) => (date(at)),
                        None => "Does not expire",
                    }
                }
                @if let Some(at) = v.revoked_at {
                    dt { "Revoked on" }
                    dd { (date(at)) }
                }
                @if let Some(code) = &v.code {
                    dt { "Code" }
                    dd { (code.grouped()) }
                }
            }
            @if let Some(url) = own_url {
                h2 { "This page" }
                (qr_code(url))
                p { "Link: " a href=(url) { (url) } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use govskills_domain::credentials::VerificationCode;

    use super::*;

    #[test]
    fn the_page_escapes_what_it_shows() {
        let v = Verification {
            status: Status::Valid,
            code: VerificationCode::generate().ok(),
            holder_name: Some("<script>alert(1)</script> & Co".into()),
            title: Some("AI \"Certificate\"".into()),
            issuer_name: Some("Ministry".into()),
            issued_at: Some(Utc::now()),
            expires_at: None,
            revoked_at: None,
        };
        let html = verification_page(&v, Some("https://x.example/verify/A")).into_string();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"),
            "{html}"
        );
        assert!(html.contains(r#"<html lang="en">"#));
        assert!(html.contains("alt=\"QR code linking to this verification page"));
    }
}

//! The verify pages: `GET /verify/{code}`, the page a person sees after scanning a certificate's
//! QR code, and `GET /verify`, the form to type or paste a code (`?code=` redirects to the
//! code's page, `303`), which the "not found" page offers again.
//!
//! A certificate's page says who stands behind it (the issuing authority's name, address and
//! contact from its issuer profile, in the header), its status in words, what it attests (the
//! template's description and competences), and offers the signed credential for download; the
//! holder, signed in, also gets an "Add to LinkedIn" link. Nothing about the holder is shown
//! but the name the certificate was issued to. The frame, the languages and the policy are
//! `public_page.rs` and `i18n.rs`.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Datelike as _, Utc};
use govskills_domain::{
    certificates::{self, AttestedCompetence, Status, Verification},
    credentials::VerificationCode,
};
use maud::{Markup, html};
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::{
    auth::authenticate,
    i18n::{Chosen, Lang, Texts, query_param},
    public_page::{Authority, Frame, html_response},
    request_id,
};
use crate::{error::ApiError, state::AppState};

/// What chooses a verify page: the language, and the session (the holder sees more).
const VARY: &str = "Accept-Language, Cookie, Authorization";

/// `GET /verify`: the form; with `?code=`, the code's page (`303`) or the form with what is
/// wrong with the code.
#[handler]
pub async fn verify_form(req: &Request) -> Response {
    let chosen = Chosen::of(req);
    let texts = chosen.texts();
    let Some(raw) = query_param(req, "code") else {
        let page = Frame {
            chosen,
            path: "/verify",
            title: texts.form_title,
            authority: None,
        }
        .render(html! {
            h1 { (texts.form_title) }
            p { (texts.form_intro) }
            (code_form(chosen, "", None))
        });
        return html_response(StatusCode::OK, chosen.lang, VARY, &page);
    };
    let typed = code_in(&raw);
    if let Some(code) = VerificationCode::parse(typed) {
        let location = chosen.href(&format!("/verify/{}", code.grouped()));
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::VARY, VARY)
            .finish();
    }
    let problem = if typed.trim().is_empty() {
        texts.form_empty
    } else {
        texts.form_invalid
    };
    let title = format!("{}{}{}", texts.error, texts.colon, texts.form_title);
    // What was typed goes back into the field, within reason.
    let shown: String = raw.chars().take(200).collect();
    let page = Frame {
        chosen,
        path: "/verify",
        title: &title,
        authority: None,
    }
    .render(html! {
        h1 { (texts.form_title) }
        p { (texts.form_intro) }
        (code_form(chosen, &shown, Some(problem)))
    });
    html_response(StatusCode::BAD_REQUEST, chosen.lang, VARY, &page)
}

/// The code in what was typed or pasted: a code, or the link of a QR code (`.../verify/CODE`).
fn code_in(raw: &str) -> &str {
    let raw = raw.trim();
    match raw.rsplit_once("/verify/") {
        Some((_, rest)) => rest.split(['?', '#', '/']).next().unwrap_or_default(),
        None => raw,
    }
}

/// The code form: a labelled input with its hint (and what is wrong, when something is), sent
/// with `GET` to `/verify`. A chosen language travels along.
fn code_form(chosen: Chosen, value: &str, problem: Option<&str>) -> Markup {
    let texts = chosen.texts();
    let described_by = if problem.is_some() {
        "code-error code-hint"
    } else {
        "code-hint"
    };
    html! {
        form method="get" action="/verify" {
            @if chosen.explicit {
                input type="hidden" name="lang" value=(chosen.lang.tag());
            }
            label for="code" { (texts.form_label) }
            p class="hint" id="code-hint" { (texts.form_hint) }
            @if let Some(problem) = problem {
                p class="field-error" id="code-error" {
                    (texts.error) (texts.colon) (problem)
                }
            }
            input type="text" id="code" name="code" value=(value)
                autocomplete="off" autocapitalize="characters" spellcheck="false"
                aria-describedby=(described_by)
                aria-invalid=[problem.map(|_| "true")]
                autofocus[problem.is_some()];
            button class="button" type="submit" { (texts.form_submit) }
        }
    }
}

/// `GET /verify/{code}`: the page a person sees after scanning a certificate's QR code.
#[handler]
pub async fn verify_page(
    req: &Request,
    Path(code): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    let chosen = Chosen::of(req);
    let texts = chosen.texts();
    let path = req.uri().path();
    if state
        .services
        .verify_throttle
        .check(super::auth::client_ip(req, state.trust_forwarded_for))
        .await
        .is_err()
    {
        let page = Frame {
            chosen,
            path,
            title: texts.too_many_title,
            authority: None,
        }
        .render(html! {
            h1 { (texts.too_many_title) }
            p { (texts.too_many_text) }
        });
        return html_response(StatusCode::TOO_MANY_REQUESTS, chosen.lang, VARY, &page);
    }
    let db = &state.services.db;
    let verified = match state.services.issuer.get(db).await {
        Ok(issuer) => certificates::verify(db, issuer, &code).await,
        Err(err) => Err(err),
    };
    let verification = match verified {
        Ok(verification) => verification,
        Err(err) => {
            // The conversion logs the cause of an internal error.
            let _logged = ApiError::from(err);
            return internal();
        }
    };
    if verification.status == Status::NotFound {
        let page = not_found_page(chosen, path);
        return html_response(StatusCode::NOT_FOUND, chosen.lang, VARY, &page);
    }
    let own_url = verification
        .code
        .as_ref()
        .map(|code| state.services.issuer.verify_url(code));
    let holder = is_holder(state, req, &verification).await;
    let page = verification_page(chosen, path, &verification, own_url.as_deref(), holder);
    html_response(StatusCode::OK, chosen.lang, VARY, &page)
}

fn internal() -> Response {
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .content_type("text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body("internal error")
}

/// Whether the request carries the holder's own session. A session store that cannot be
/// reached shows the page as to anyone (a stranger's view hides nothing the holder needs).
async fn is_holder(state: &AppState, req: &Request, verification: &Verification) -> bool {
    let Some(holder) = verification.holder_user_id else {
        return false;
    };
    match authenticate(state, req, request_id(req)).await {
        Ok(context) => context.actor.is_some_and(|actor| actor.id() == holder),
        Err(err) => {
            tracing::warn!(error = err.message(), "verify page: session not checked");
            false
        }
    }
}

fn not_found_page(chosen: Chosen, path: &str) -> Markup {
    let texts = chosen.texts();
    Frame {
        chosen,
        path,
        title: texts.not_found_title,
        authority: None,
    }
    .render(html! {
        h1 { (texts.not_found_title) }
        p class="status not-found" {
            strong { (texts.not_found_word) } (texts.colon) (texts.not_found_text)
        }
        p { (texts.not_found_hint) }
        h2 { (texts.check_another) }
        (code_form(chosen, "", None))
    })
}

fn date(lang: Lang, at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.format("%Y-%m-%d")) { (lang.date(at)) }
    }
}

/// A QR code of `url` as an SVG image with a text alternative.
fn qr_code(texts: &Texts, url: &str) -> Markup {
    let svg = qrcode::QrCode::new(url.as_bytes()).map(|code| {
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build()
    });
    match svg {
        Ok(svg) => html! {
            img src=(format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)))
                alt=(format!("{}{url}", texts.qr_alt))
                width="200" height="200";
        },
        Err(_) => html! {},
    }
}

/// Competences grouped by framework, in the order they come.
fn by_framework(competences: &[AttestedCompetence]) -> Vec<(&str, Vec<&AttestedCompetence>)> {
    let mut groups: Vec<(&str, Vec<&AttestedCompetence>)> = Vec::new();
    for competence in competences {
        match groups
            .iter_mut()
            .find(|(framework, _)| *framework == competence.framework)
        {
            Some((_, group)) => group.push(competence),
            None => groups.push((&competence.framework, vec![competence])),
        }
    }
    groups
}

/// LinkedIn's "add a certification to your profile" link, filled in from the certificate.
fn linkedin_url(v: &Verification, organization: &str, own_url: Option<&str>) -> Option<String> {
    let mut url = url::Url::parse("https://www.linkedin.com/profile/add").ok()?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("startTask", "CERTIFICATION_NAME");
        query.append_pair("name", v.title.as_deref().unwrap_or_default());
        query.append_pair("organizationName", organization);
        if let Some(issued) = v.issued_at {
            query.append_pair("issueYear", &issued.year().to_string());
            query.append_pair("issueMonth", &issued.month().to_string());
        }
        if let Some(expires) = v.expires_at {
            query.append_pair("expirationYear", &expires.year().to_string());
            query.append_pair("expirationMonth", &expires.month().to_string());
        }
        if let Some(own) = own_url {
            query.append_pair("certUrl", own);
        }
        if let Some(code) = &v.code {
            query.append_pair("certId", &code.grouped());
        }
    }
    Some(url.into())
}

fn verification_page(
    chosen: Chosen,
    path: &str,
    v: &Verification,
    own_url: Option<&str>,
    holder: bool,
) -> Markup {
    let lang = chosen.lang;
    let texts = chosen.texts();
    let (class, word) = match v.status {
        Status::Valid => ("valid", texts.valid_word),
        Status::Expired => ("expired", texts.expired_word),
        Status::Revoked => ("revoked", texts.revoked_word),
        Status::NotFound => ("not-found", texts.not_found_word),
    };
    let issuer_name = v.issuer_name.as_deref().unwrap_or_default();
    let authority = match &v.issuer {
        Some(profile) => Authority {
            name: &profile.name,
            address: profile.address.as_deref(),
            email: profile.email.as_deref(),
            url: profile.url.as_deref(),
        },
        None => Authority {
            name: issuer_name,
            address: None,
            email: None,
            url: None,
        },
    };
    let organization = authority.name;
    let linkedin = (holder && v.status != Status::Revoked)
        .then(|| linkedin_url(v, organization, own_url))
        .flatten();
    let download = v.code.as_ref().map(|code| {
        (
            format!("/credentials/{}", code.grouped()),
            format!("certificate-{}.jwt", code.grouped()),
        )
    });
    let body = html! {
        h1 { (texts.page_title) }
        p class={"status " (class)} {
            strong { (word) } (texts.colon)
            @match v.status {
                Status::Valid => (texts.valid_text),
                Status::Expired => {
                    @match v.expires_at {
                        Some(at) => { (texts.expired_on.0) (date(lang, at)) (texts.expired_on.1) },
                        None => (texts.expired_undated),
                    }
                },
                Status::Revoked => {
                    @match v.revoked_at {
                        Some(at) => { (texts.revoked_on.0) (date(lang, at)) (texts.revoked_on.1) },
                        None => (texts.revoked_undated),
                    }
                },
                Status::NotFound => (texts.not_found_text),
            }
        }
        h2 { (texts.details) }
        dl {
            dt { (texts.holder) }
            dd { (v.holder_name.as_deref().unwrap_or_default()) }
            dt { (texts.certificate) }
            dd { (v.title.as_deref().unwrap_or_default()) }
            dt { (texts.issued_by) }
            dd { (issuer_name) }
            dt { (texts.issued_on) }
            dd { @if let Some(at) = v.issued_at { (date(lang, at)) } }
            dt { (texts.valid_until) }
            dd {
                @match v.expires_at {
                    Some(at) => (date(lang, at)),
                    None => (texts.no_expiry),
                }
            }
            @if let Some(at) = v.revoked_at {
                dt { (texts.revoked_on_label) }
                dd { (date(lang, at)) }
            }
            @if let Some(code) = &v.code {
                dt { (texts.code) }
                dd { (code.grouped()) }
            }
        }
        @if v.description.is_some() || !v.competences.is_empty() || !v.ai_systems.is_empty() {
            h2 { (texts.attests) }
            @if let Some(description) = &v.description {
                p class="text" { (description) }
            }
            @if !v.ai_systems.is_empty() {
                p class="ai-systems" {
                    (texts.ai_systems) (texts.colon)
                    @for (i, system) in v.ai_systems.iter().enumerate() {
                        @if i > 0 { ", " }
                        (system.name) " (" (texts.version) " " (system.version) ")"
                    }
                }
            }
            @if !v.competences.is_empty() {
                h3 { (texts.competences) }
                @for (framework, competences) in by_framework(&v.competences) {
                    p { (framework) }
                    ul {
                        @for competence in competences {
                            li { (competence.code) " " (competence.name) }
                        }
                    }
                }
            }
        }
        @if let Some((href, file)) = &download {
            h2 { (texts.credential_heading) }
            p { (texts.credential_text) }
            p {
                a class="button" href=(href) download=(file) type="application/vc+jwt" {
                    (texts.download)
                }
                @if let Some(linkedin) = &linkedin {
                    a class="button secondary" href=(linkedin) { (texts.linkedin) }
                }
            }
            @if linkedin.is_some() {
                p class="hint" { (texts.linkedin_note) }
            }
        }
        @if let Some(url) = own_url {
            h2 { (texts.this_page) }
            (qr_code(texts, url))
            p { (texts.link) (texts.colon) a href=(url) { (url) } }
        }
    };
    Frame {
        chosen,
        path,
        title: texts.page_title,
        authority: Some(authority),
    }
    .render(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Verification {
        let mut v = Verification::not_found();
        v.status = Status::Valid;
        v.code = VerificationCode::generate().ok();
        v.holder_name = Some("<script>alert(1)</script> & Co".into());
        v.title = Some("AI \"Certificate\"".into());
        v.issuer_name = Some("Ministry".into());
        v.issued_at = Some(Utc::now());
        v.description = Some("Uses <b>AI</b>\nresponsibly".into());
        v.competences = vec![AttestedCompetence {
            name: "Netiquette".into(),
            code: "2.5".into(),
            framework: "DigComp 2.2".into(),
        }];
        v.holder_user_id = Some(uuid::Uuid::new_v4());
        v
    }

    fn english() -> Chosen {
        Chosen {
            lang: Lang::En,
            explicit: false,
        }
    }

    #[test]
    fn the_page_escapes_what_it_shows_and_never_the_holders_account() {
        let v = valid();
        let html = verification_page(
            english(),
            "/verify/X",
            &v,
            Some("https://x.example/verify/A"),
            false,
        )
        .into_string();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"),
            "{html}"
        );
        assert!(html.contains("Uses &lt;b&gt;AI&lt;/b&gt;"), "{html}");
        assert!(html.contains(r#"<html lang="en">"#));
        assert!(html.contains("alt=\"QR code linking to this verification page"));
        assert!(
            html.contains("<p>DigComp 2.2</p><ul><li>2.5 Netiquette</li></ul>"),
            "{html}"
        );
        assert!(html.contains("download=\"certificate-"), "{html}");
        assert!(!html.contains("Covers the AI systems"), "{html}");
        assert!(!html.contains("linkedin"), "{html}");
        let account = v.holder_user_id.map(|id| id.to_string());
        assert!(!html.contains(account.as_deref().unwrap_or("-")));
    }

    #[test]
    fn the_ai_systems_a_certificate_covers_are_named_with_their_versions() {
        use govskills_domain::certificates::AttestedAiSystem;

        let mut v = valid();
        v.ai_systems = vec![
            AttestedAiSystem {
                name: "Risk <scoring>".into(),
                version: 2,
            },
            AttestedAiSystem {
                name: "Chatbot".into(),
                version: 1,
            },
        ];
        let html = verification_page(english(), "/verify/X", &v, None, false).into_string();
        assert!(
            html.contains(
                "Covers the AI systems: Risk &lt;scoring&gt; (version 2), Chatbot (version 1)"
            ),
            "{html}"
        );
        let german = Chosen {
            lang: Lang::De,
            explicit: true,
        };
        let html = verification_page(german, "/verify/X", &v, None, false).into_string();
        assert!(
            html.contains("Umfasst die KI-Systeme: Risk &lt;scoring&gt; (Version 2)"),
            "{html}"
        );
    }

    #[test]
    fn the_holder_gets_a_filled_in_linkedin_link() {
        let mut v = valid();
        v.expires_at = Utc::now().checked_add_months(chrono::Months::new(13));
        let html = verification_page(
            english(),
            "/verify/X",
            &v,
            Some("https://x.example/verify/A"),
            true,
        )
        .into_string();
        let link =
            linkedin_url(&v, "Ministry", Some("https://x.example/verify/A")).expect("a link");
        assert!(link.starts_with(
            "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=AI+%22Certificate%22&organizationName=Ministry&issueYear="
        ), "{link}");
        assert!(link.contains("&expirationYear="), "{link}");
        assert!(
            link.contains("&certUrl=https%3A%2F%2Fx.example%2Fverify%2FA&certId="),
            "{link}"
        );
        assert!(html.contains(&link.replace('&', "&amp;")), "{html}");
        v.status = Status::Revoked;
        let revoked = verification_page(english(), "/verify/X", &v, None, true).into_string();
        assert!(!revoked.contains("linkedin"), "{revoked}");
    }

    #[test]
    fn a_pasted_link_or_a_typed_code_is_read() {
        assert_eq!(code_in(" abcd efgh "), "abcd efgh");
        assert_eq!(
            code_in("https://skills.example/verify/ABCD-EFGH?lang=de#x"),
            "ABCD-EFGH"
        );
        assert_eq!(code_in(""), "");
    }
}

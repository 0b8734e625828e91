//! The public pages over HTTP: the verify page in the visitor's language, the form to type a
//! code, who stands behind a certificate, what the holder alone sees, and the accessibility
//! statement every public page links to. (Their accessibility in a real browser:
//! `accessibility.rs`.)

use chrono::{Duration, Utc};
use govskills_domain::entities::certificate;
use reqwest::{StatusCode, header};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    certificates::{complete, enroll, template},
    helpers::{ADMIN, LEARNER1, LEARNER2, PASSWORD, TRAINER, TestApp, spawn_app, spawn_app_with},
    learning::published_course,
};

/// A code no certificate has.
pub(crate) const UNKNOWN: &str = "0000-0000-0000-0000-0000-0000";
/// The authority behind the demo's certificates (the demo ministry, a top-level unit).
const AUTHORITY: &str = "Ministry of Digital Affairs (demo)";

/// One learner's three certificates of three one-course templates: one valid, one revoked, one
/// expired (its dates moved a year into the past, as if the months had passed).
pub(crate) struct Certified {
    pub learner: String,
    pub valid: String,
    pub revoked: String,
    pub expired: String,
}

pub(crate) async fn three_certificates(app: &TestApp) -> Certified {
    let trainer = app.login(TRAINER, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let mut codes = Vec::new();
    for title in ["AI at work", "AI and personal data", "Spreadsheets"] {
        let (course, lessons) = published_course(app, &trainer, title, 1).await;
        template(app, &admin, &[&course], Some(12)).await;
        enroll(app, &learner, &course).await;
        complete(app, &learner, &lessons[0]).await;
        let held = app
            .ok("{ myCertificates { id code } }", json!({}), &learner)
            .await;
        let new: Vec<(String, String)> = held["myCertificates"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|held| {
                (
                    held["id"].as_str().expect("an id").to_owned(),
                    held["code"].as_str().expect("a code").to_owned(),
                )
            })
            .filter(|held| !codes.contains(held))
            .collect();
        assert_eq!(new.len(), 1, "one new certificate for {title}: {held}");
        codes.extend(new);
    }
    let (revoked_id, revoked) = codes[1].clone();
    app.ok(
        "mutation($id: ID!) { revokeCertificate(certificateId: $id, reason: \"Issued in error\") { id } }",
        json!({ "id": revoked_id }),
        &admin,
    )
    .await;
    let (expired_id, expired) = codes[2].clone();
    certificate::ActiveModel {
        id: Set(expired_id.parse::<Uuid>().expect("a uuid")),
        issued_at: Set(Utc::now() - Duration::days(400)),
        expires_at: Set(Some(Utc::now() - Duration::days(35))),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("moved into the past");
    Certified {
        learner,
        valid: codes[0].1.clone(),
        revoked,
        expired,
    }
}

/// Gives the demo ministry's issuer profile a postal address, an email address and a website.
pub(crate) async fn set_ministry_profile(app: &TestApp) {
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app.org_unit_id(&admin, AUTHORITY).await;
    app.ok(
        "mutation($id: ID!, $input: IssuerProfileInput!) {
            updateIssuerProfile(orgUnitId: $id, input: $input) { name } }",
        json!({ "id": ministry, "input": {
            "name": "Ministry of Digital Affairs",
            "streetAddress": "Alt-Moabit 140",
            "postalCode": "10557",
            "locality": "Berlin",
            "country": "DE",
            "email": "certificates@ministry.example",
            "website": "https://ministry.example/",
        } }),
        &admin,
    )
    .await;
}

/// A GET without following redirects, with extra headers: status, headers and body.
async fn get(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, header::HeaderMap, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let mut request = client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("a body"))
}

fn header_of<'a>(headers: &'a header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// The `<header>` element of a page.
fn page_header(html: &str) -> &str {
    html.split_once("<header>")
        .and_then(|(_, rest)| rest.split_once("</header>"))
        .map(|(header, _)| header)
        .unwrap_or_else(|| panic!("no <header> in {html}"))
}

#[tokio::test]
async fn the_page_speaks_the_visitors_language_and_lang_in_the_address_wins() {
    let app = spawn_app().await;
    let certified = three_certificates(&app).await;
    let path = format!("/verify/{}", certified.valid);

    let (status, headers, html) = get(
        &app,
        &path,
        &[("accept-language", "de-DE,de;q=0.9,en;q=0.5")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<html lang="de">"#), "{html}");
    assert!(
        html.contains("Zertifikatsprüfung") && html.contains("Gültig"),
        "{html}"
    );
    assert!(html.contains("Was dieses Zertifikat bescheinigt"), "{html}");
    assert_eq!(header_of(&headers, "content-language"), "de");
    assert!(
        header_of(&headers, "vary").contains("Accept-Language"),
        "{headers:?}"
    );
    // Dates as German writes them: "1. Dezember 2026".
    let year = Utc::now().format("%Y").to_string();
    let german_day = format!(
        "{}. {}",
        Utc::now().format("%-d"),
        [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ][usize::try_from(chrono::Datelike::month0(&Utc::now())).expect("a month")]
    );
    assert!(
        html.contains(&format!("{german_day} {year}")),
        "{german_day} {year} in {html}"
    );

    // q-values count: French preferred over German here.
    let (_, _, html) = get(
        &app,
        &path,
        &[("accept-language", "de;q=0.4, fr;q=0.8, it")],
    )
    .await;
    assert!(html.contains(r#"<html lang="fr">"#), "{html}");
    assert!(html.contains("Valide"), "{html}");

    // ?lang= wins over the header, and the page's links carry it on.
    let (_, headers, html) = get(
        &app,
        &format!("{path}?lang=fr"),
        &[("accept-language", "de")],
    )
    .await;
    assert_eq!(header_of(&headers, "content-language"), "fr");
    assert!(html.contains(r#"<html lang="fr">"#), "{html}");
    assert!(
        html.contains("ce certificat est authentique et en vigueur."),
        "{html}"
    );
    assert!(html.contains(r#"href="/accessibility?lang=fr""#), "{html}");
    // The switch: every language, each named in itself.
    for (tag, name) in [("en", "English"), ("de", "Deutsch"), ("fr", "Français")] {
        assert!(
            html.contains(&format!(
                r#"href="{path}?lang={tag}" hreflang="{tag}" lang="{tag}""#
            )),
            "{tag} in {html}"
        );
        assert!(html.contains(name), "{name}");
    }
    assert!(html.contains(r#"aria-current="true""#), "{html}");

    // A language we do not have: English.
    let (_, _, html) = get(
        &app,
        &format!("{path}?lang=xx"),
        &[("accept-language", "it")],
    )
    .await;
    assert!(html.contains(r#"<html lang="en">"#), "{html}");
    assert!(
        html.contains("this certificate is genuine and in force."),
        "{html}"
    );

    // The other states, in German.
    let (_, _, html) = get(&app, &format!("/verify/{}?lang=de", certified.revoked), &[]).await;
    assert!(
        html.contains("Widerrufen") && html.contains("nicht mehr gültig"),
        "{html}"
    );
    let (_, _, html) = get(&app, &format!("/verify/{}?lang=de", certified.expired), &[]).await;
    assert!(
        html.contains("Abgelaufen") && html.contains("abgelaufen."),
        "{html}"
    );
    let (status, _, html) = get(&app, &format!("/verify/{UNKNOWN}?lang=de"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Zertifikat nicht gefunden"), "{html}");
}

#[tokio::test]
async fn the_form_sends_a_typed_or_pasted_code_to_its_page() {
    let app = spawn_app().await;
    let certified = three_certificates(&app).await;

    let (status, headers, html) = get(&app, "/verify", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"<form method="get" action="/verify">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<label for="code">Certificate code</label>"#),
        "{html}"
    );
    assert!(html.contains(r#"id="code" name="code""#), "{html}");
    assert!(html.contains(r#"aria-describedby="code-hint""#), "{html}");
    assert!(
        html.contains(r#"<button class="button" type="submit">Check</button>"#),
        "{html}"
    );
    let policy = header_of(&headers, "content-security-policy");
    assert!(
        policy.contains("default-src 'none'") && policy.contains("form-action 'self'"),
        "{policy}"
    );
    assert!(!policy.contains("unsafe-inline"), "{policy}");

    // Typed as a person types it: lower case, spaces.
    let typed = certified.valid.to_lowercase().replace('-', " ");
    let (status, headers, _) = get(
        &app,
        &format!("/verify?code={}", typed.replace(' ', "+")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&headers, "location"),
        format!("/verify/{}", certified.valid)
    );

    // Pasted as the QR code's link, in a chosen language: the language goes along.
    let pasted = format!("{}/verify/{}", app.address, certified.valid);
    let url = format!("/verify?lang=de&code={}", url_encode(&pasted));
    let (status, headers, _) = get(&app, &url, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = header_of(&headers, "location").to_owned();
    assert_eq!(location, format!("/verify/{}?lang=de", certified.valid));
    let (status, _, html) = get(&app, &location, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Gültig"), "{html}");

    // The form in German keeps German for the result.
    let (_, _, html) = get(&app, "/verify?lang=de", &[]).await;
    assert!(
        html.contains(r#"<input type="hidden" name="lang" value="de">"#),
        "{html}"
    );
    assert!(html.contains("Zertifikatscode"), "{html}");

    // A well-formed code of no certificate: its page says so and offers the form again.
    let (status, headers, _) = get(&app, &format!("/verify?code={UNKNOWN}"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, html) = get(&app, header_of(&headers, "location"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Certificate not found"), "{html}");
    assert!(html.contains("Check another code"), "{html}");
    assert!(
        html.contains(r#"<form method="get" action="/verify">"#),
        "{html}"
    );
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_bad_code_in_the_form_is_answered_with_what_is_wrong() {
    let app = spawn_app().await;
    for (query, message, lang) in [
        ("code=hello", "This is not a certificate code.", "en"),
        (
            "code=%3Cscript%3Ex%3C%2Fscript%3E",
            "This is not a certificate code.",
            "en",
        ),
        ("code=++", "Enter the certificate code.", "en"),
        ("code=1234&lang=de", "Das ist kein Zertifikatscode.", "de"),
        ("code=&lang=fr", "Saisissez le code du certificat.", "fr"),
    ] {
        let (status, _, html) = get(&app, &format!("/verify?{query}"), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(html.contains(message), "{query}: {html}");
        assert!(
            html.contains(&format!(r#"<html lang="{lang}">"#)),
            "{query}: {html}"
        );
        assert!(html.contains(r#"aria-invalid="true""#), "{query}: {html}");
        assert!(
            html.contains(r#"aria-describedby="code-error code-hint""#),
            "{query}: {html}"
        );
        assert!(html.contains(r#"<title>Error: "#) || lang != "en", "{html}");
        assert!(!html.contains("<script>x"), "{html}");
    }
    // What was typed stays in the field, escaped.
    let (_, _, html) = get(&app, "/verify?code=%22%3E%3Cb%3Ex", &[]).await;
    assert!(html.contains(r#"value="&quot;&gt;&lt;b&gt;x""#), "{html}");
}

#[tokio::test]
async fn the_header_says_which_authority_stands_behind_the_certificate() {
    let app = spawn_app().await;
    let certified = three_certificates(&app).await;
    for code in [&certified.valid, &certified.revoked, &certified.expired] {
        let (_, _, html) = get(&app, &format!("/verify/{code}"), &[]).await;
        let header = page_header(&html);
        assert!(header.contains("Certificate issued by"), "{header}");
        assert!(header.contains(AUTHORITY), "{header}");
    }
    // With the authority's postal address and contact in its issuer profile, the header shows
    // them.
    set_ministry_profile(&app).await;
    let (_, _, html) = get(&app, &format!("/verify/{}", certified.valid), &[]).await;
    let header = page_header(&html);
    assert!(
        header.contains("<strong>Ministry of Digital Affairs</strong>"),
        "{header}"
    );
    assert!(header.contains("<address>"), "{header}");
    assert!(
        header.contains("Alt-Moabit 140, 10557 Berlin, DE"),
        "{header}"
    );
    assert!(
        header.contains(r#"<a href="mailto:certificates@ministry.example">"#),
        "{header}"
    );
    assert!(
        header.contains(r#"<a href="https://ministry.example/">"#),
        "{header}"
    );

    // What it attests: the template's description and its competences.
    let (_, _, html) = get(&app, &format!("/verify/{}", certified.valid), &[]).await;
    assert!(html.contains("What this certificate attests"), "{html}");
    assert!(
        html.contains("Uses AI systems at work knowingly and responsibly"),
        "{html}"
    );
    assert!(
        html.contains("<li>1.2 Evaluating data, information and digital content</li>"),
        "{html}"
    );
    assert!(
        html.contains("<li>4.2 Protecting personal data and privacy</li>"),
        "{html}"
    );
    // And the credential to download.
    assert!(
        html.contains(&format!(
            r#"href="/credentials/{0}" download="certificate-{0}.jwt""#,
            certified.valid
        )),
        "{html}"
    );
    // A page without a certificate names no authority.
    let (_, _, html) = get(&app, &format!("/verify/{UNKNOWN}"), &[]).await;
    assert!(
        !page_header(&html).contains("Certificate issued by"),
        "{html}"
    );
}

#[tokio::test]
async fn only_the_holders_own_session_sees_the_linkedin_link() {
    let app = spawn_app().await;
    let certified = three_certificates(&app).await;
    let path = format!("/verify/{}", certified.valid);
    let linkedin = "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME";

    let (_, headers, html) = get(&app, &path, &[]).await;
    assert!(!html.contains("linkedin.com"), "{html}");
    assert!(
        header_of(&headers, "vary").contains("Cookie"),
        "{headers:?}"
    );

    // The holder, by the session cookie a browser sends, and by bearer token.
    let cookie = format!("govskills_session={}", certified.learner);
    let (_, _, html) = get(&app, &path, &[("cookie", &cookie)]).await;
    assert!(html.contains(linkedin), "{html}");
    let link = html
        .split_once(linkedin)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(query, _)| query.replace("&amp;", "&"))
        .expect("the link");
    assert!(link.contains("&organizationName=Ministry"), "{link}");
    assert!(
        link.contains(&format!("&certId={}", certified.valid)),
        "{link}"
    );
    assert!(
        link.contains("&issueYear=") && link.contains("&expirationYear="),
        "{link}"
    );
    assert!(
        link.contains(&format!("&certUrl={}", url_encode(&app.url(&path)))),
        "{link}"
    );
    let bearer = format!("Bearer {}", certified.learner);
    let (_, _, html) = get(&app, &path, &[("authorization", &bearer)]).await;
    assert!(html.contains(linkedin), "{html}");

    // Someone else signed in, a stale session, a revoked certificate: no link.
    let other = app.login(LEARNER2, PASSWORD).await;
    let (_, _, html) = get(
        &app,
        &path,
        &[("cookie", &format!("govskills_session={other}"))],
    )
    .await;
    assert!(!html.contains("linkedin.com"), "{html}");
    let (_, _, html) = get(
        &app,
        &path,
        &[("cookie", &format!("govskills_session={}", "x".repeat(43)))],
    )
    .await;
    assert!(!html.contains("linkedin.com"), "{html}");
    let (status, _, html) = get(
        &app,
        &format!("/verify/{}", certified.revoked),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("linkedin.com"), "{html}");
    // The holder's account never shows.
    let me = app.me(&certified.learner).await;
    let (_, _, html) = get(&app, &path, &[("cookie", &cookie)]).await;
    assert!(!html.contains(me["id"].as_str().expect("an id")), "{html}");
    assert!(!html.contains(LEARNER1), "{html}");
}

#[tokio::test]
async fn the_accessibility_statement_names_the_configured_contacts_and_every_page_links_it() {
    let app = spawn_app_with(|config| {
        config.accessibility_contact = Some("barrierefreiheit@agency.example".into());
        config.accessibility_enforcement_url =
            Some("https://enforcement.example/schlichtung".into());
    })
    .await;
    let certified = three_certificates(&app).await;

    let (status, headers, html) = get(&app, "/accessibility", &[("accept-language", "de")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, "vary"), "Accept-Language");
    assert!(html.contains(r#"<html lang="de">"#), "{html}");
    assert!(
        html.contains("<h1>Erklärung zur Barrierefreiheit</h1>"),
        "{html}"
    );
    for section in [
        "Stand der Vereinbarkeit mit den Anforderungen",
        "Nicht barrierefreie Inhalte",
        "Feedback und Kontakt",
        "Durchsetzungsverfahren",
    ] {
        assert!(html.contains(section), "{section}: {html}");
    }
    assert!(
        html.contains(r#"<a href="mailto:barrierefreiheit@agency.example">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="https://enforcement.example/schlichtung">"#),
        "{html}"
    );
    let (_, _, english) = get(&app, "/accessibility?lang=en", &[("accept-language", "de")]).await;
    for section in [
        "Compliance status",
        "Non-accessible content",
        "Feedback and contact",
        "Enforcement procedure",
    ] {
        assert!(english.contains(section), "{section}: {english}");
    }

    // Every public page links the statement from its footer.
    for path in [
        format!("/verify/{}", certified.valid),
        format!("/verify/{}", certified.revoked),
        format!("/verify/{UNKNOWN}"),
        "/verify".to_owned(),
        "/verify?code=nonsense".to_owned(),
        "/accessibility".to_owned(),
    ] {
        let (_, _, html) = get(&app, &path, &[]).await;
        let footer = html
            .split_once("<footer>")
            .map(|(_, footer)| footer)
            .unwrap_or_else(|| panic!("no footer on {path}: {html}"));
        assert!(
            footer.contains(r#"<a href="/accessibility">Accessibility statement</a>"#),
            "{path}: {footer}"
        );
    }
}

#[tokio::test]
async fn the_public_pages_are_counted_by_route_not_by_code() {
    let app = spawn_app().await;
    for path in [
        "/verify".to_owned(),
        format!("/verify/{UNKNOWN}"),
        "/verify/AAAA-BBBB".to_owned(),
        "/accessibility".to_owned(),
    ] {
        get(&app, &path, &[]).await;
    }
    let (_, _, metrics) = get(&app, "/metrics", &[]).await;
    for label in ["/verify", "/verify/:code", "/accessibility"] {
        assert!(
            metrics.contains(&format!(r#"http_requests_total{{operation="{label}","#)),
            "{label} in {metrics}"
        );
    }
    assert!(!metrics.contains(UNKNOWN), "{metrics}");
}

#[tokio::test]
async fn a_development_server_shows_placeholders_in_the_statement() {
    let app = spawn_app().await;
    let (status, _, html) = get(&app, "/accessibility?lang=fr", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Déclaration d'accessibilité"), "{html}");
    assert!(html.contains("mailto:accessibility@example.org"), "{html}");
}

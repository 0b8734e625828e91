//! The frame of every public page (the verify pages and the accessibility statement): a
//! `<header>` that says whose page it is, the language switch, `<main>`, and a `<footer>` that
//! links the accessibility statement, in the visitor's language (see `i18n.rs`).
//!
//! The pages are rendered with maud, which escapes every interpolated value, and built to WCAG
//! 2.1 AA: `<html lang>` in the page's language, each language's name in the switch marked with
//! its own `lang` and `hreflang`, landmarks, one `h1` and headings in order, text and status
//! colours with a contrast ratio above 7:1, visible focus, the status in words (never in colour
//! alone), and a layout that reflows down to 320 CSS pixels. The policy allows nothing from
//! elsewhere: the one style sheet is inline and allowed by its hash, images are `data:` URLs.

use std::sync::LazyLock;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use poem::{
    Response,
    http::{StatusCode, header},
};
use sha2::{Digest as _, Sha256};

use super::i18n::{Chosen, Lang};

const CSS: &str = r"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:1.125rem;line-height:1.5;color:#1b1b1b;background:#fff}
.skip{position:absolute;left:-100vw;top:0;background:#fff;padding:.5rem 1rem}
.skip:focus{left:0;z-index:1}
header,footer{background:#f3f3f3;border-color:#6f6f6f;border-style:solid;border-width:0}
header{border-bottom-width:1px}
footer{border-top-width:1px;margin-top:2rem}
.bar,main,.footer-in{max-width:40rem;margin:0 auto;padding:1rem}
main{padding:1.5rem 1rem}
.bar{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline;justify-content:space-between}
.site{font-weight:700;margin:0}
.langs ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.langs a[aria-current]{font-weight:700;text-decoration:none}
.issuer{max-width:40rem;margin:0 auto;padding:0 1rem 1rem}
.issuer p{margin:0}
.issuer address{font-style:normal}
h1{font-size:1.75rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem}
h3{font-size:1.125rem;margin:1.25rem 0 .25rem}
.status{padding:1rem;border-left:.5rem solid;margin:0 0 1.5rem;font-size:1.25rem}
.valid{background:#e6f4ea;border-color:#0a5c2c;color:#0a3d1f}
.expired{background:#fff4d6;border-color:#7a5200;color:#4d3400}
.revoked,.not-found{background:#fde8e8;border-color:#8a1c1c;color:#5c1010}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dt{font-weight:700}
dd{margin:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
.text{white-space:pre-line;overflow-wrap:anywhere}
a{color:#0b4f9c;overflow-wrap:anywhere}
a:focus-visible,input:focus-visible,button:focus-visible{outline:3px solid #0b4f9c;outline-offset:2px}
.button{display:inline-block;background:#0b4f9c;color:#fff;border:2px solid #0b4f9c;border-radius:.25rem;padding:.5rem 1rem;font:inherit;font-weight:700;text-decoration:none;cursor:pointer;margin:.25rem 1rem .25rem 0}
.button.secondary{background:#fff;color:#0b4f9c}
.button:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
label{display:block;font-weight:700}
.hint{color:#4a4a4a;margin:.25rem 0 .5rem}
.field-error{color:#8a1c1c;font-weight:700;margin:.25rem 0 .5rem}
input[type=text]{display:block;width:100%;max-width:24em;font:inherit;padding:.5rem;border:2px solid #1b1b1b;border-radius:0;margin:0 0 1rem}
input[aria-invalid=true]{border-color:#8a1c1c;border-width:3px}
img{max-width:100%;height:auto;display:block;margin:.5rem 0}
";

/// The policy of every public page: nothing but its own style sheet and `data:` images, forms
/// posting only here, no framing.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
});

/// Who stands behind a certificate, for the header of its page.
pub struct Authority<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub email: Option<&'a str>,
    pub url: Option<&'a str>,
}

/// A public page: its language, the path the language switch links to (this page's own, without
/// query), its title, and the authority behind what it shows.
pub struct Frame<'a> {
    pub chosen: Chosen,
    pub path: &'a str,
    pub title: &'a str,
    pub authority: Option<Authority<'a>>,
}

impl Frame<'_> {
    pub fn render(&self, body: Markup) -> Markup {
        let chosen = self.chosen;
        let texts = chosen.texts();
        html! {
            (DOCTYPE)
            html lang=(chosen.lang.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="robots" content="noindex";
                    title { (self.title) " - GovSkills" }
                    style { (PreEscaped(CSS)) }
                }
                body {
                    a class="skip" href="#content" { (texts.skip_to_content) }
                    header {
                        div class="bar" {
                            p class="site" { (texts.site_name) }
                            (self.language_switch())
                        }
                        @if let Some(authority) = &self.authority {
                            (issuer_block(chosen.lang, authority))
                        }
                    }
                    main id="content" tabindex="-1" { (body) }
                    footer {
                        div class="footer-in" {
                            a href=(chosen.href("/verify")) { (texts.footer_verify) }
                            " · "
                            a href=(chosen.href("/accessibility")) { (texts.footer_accessibility) }
                        }
                    }
                }
            }
        }
    }

    fn language_switch(&self) -> Markup {
        let current = self.chosen.lang;
        html! {
            nav class="langs" aria-label=(current.texts().language) {
                ul {
                    @for lang in Lang::ALL {
                        li {
                            a href=(format!("{}?lang={}", self.path, lang.tag()))
                                hreflang=(lang.tag()) lang=(lang.tag())
                                aria-current=[(lang == current).then_some("true")] {
                                (lang.native_name())
                            }
                        }
                    }
                }
            }
        }
    }
}

fn issuer_block(lang: Lang, authority: &Authority<'_>) -> Markup {
    let texts = lang.texts();
    html! {
        div class="issuer" {
            p { (texts.issued_by_header) }
            p { strong { (authority.name) } }
            @if authority.address.is_some() || authority.email.is_some() || authority.url.is_some() {
                address {
                    @if let Some(address) = authority.address { (address) br; }
                    @if let Some(email) = authority.email {
                        (texts.email) (texts.colon) a href=(format!("mailto:{email}")) { (email) } br;
                    }
                    @if let Some(url) = authority.url.filter(|url| is_web_url(url)) {
                        (texts.website) (texts.colon) a href=(url) { (url) }
                    }
                }
            }
        }
    }
}

/// Only `http(s)` links are rendered from stored values (never `javascript:`).
fn is_web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// A public page's response: HTML in the page's language, never cached, the strict policy, and
/// `Vary` naming what chose it.
pub fn html_response(status: StatusCode, lang: Lang, vary: &str, markup: &Markup) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::CONTENT_LANGUAGE, lang.tag())
        .header(header::VARY, vary)
        .header("x-robots-tag", "noindex")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY.as_str(),
        )
        .body(markup.clone().into_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Chosen;

    #[test]
    fn the_policy_allows_exactly_the_inline_style_sheet() {
        let page = Frame {
            chosen: Chosen {
                lang: Lang::De,
                explicit: true,
            },
            path: "/verify",
            title: "T",
            authority: Some(Authority {
                name: "Amt <für> Tests",
                address: Some("Hauptstraße 1, 10115 Berlin"),
                email: Some("info@amt.example"),
                url: Some("javascript:alert(1)"),
            }),
        }
        .render(html! { h1 { "T" } })
        .into_string();
        let css = page
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map(|(css, _)| css)
            .expect("a style sheet");
        let hash = STANDARD.encode(Sha256::digest(css.as_bytes()));
        assert!(CONTENT_SECURITY_POLICY.contains(&format!("'sha256-{hash}'")));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(page.contains(r#"<html lang="de">"#), "{page}");
        assert!(page.contains("Amt &lt;für&gt; Tests"), "{page}");
        assert!(!page.contains("javascript:"), "{page}");
        assert!(page.contains(r#"href="/accessibility?lang=de""#), "{page}");
        assert!(
            page.contains(r#"href="/verify?lang=fr" hreflang="fr" lang="fr""#),
            "{page}"
        );
    }
}

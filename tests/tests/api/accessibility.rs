//! The public pages in a real browser: `tests/a11y/check.mjs` loads every state of the verify
//! pages (a valid, a revoked, an expired and an unknown certificate, the holder's own view, the
//! code form, the form with an error) and the accessibility statement, in English, German and
//! French, in Debian's headless Chromium at desktop width and at 320 px, and runs axe-core's WCAG
//! 2.1 A and AA rules (axe-core and playwright-core pinned in `tests/a11y/package-lock.json`).
//! The test fails naming every violation, every resource the page's policy blocked, and every
//! page that needs horizontal scrolling at 320 px.
//!
//! Needs Node.js and `/usr/bin/chromium` (or `$CHROMIUM`); `.ci/run` installs both and runs
//! `npm ci` in `tests/a11y`, which the test also does itself when the packages are missing.

use std::{path::PathBuf, process::Command};

use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::{
    helpers::spawn_app,
    verify_page::{UNKNOWN, set_ministry_profile, three_certificates},
};

fn checker_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("a11y")
}

/// Installs the checker's packages from the lock file once per test run (CI does it up front).
async fn node_modules() {
    static INSTALLED: OnceCell<()> = OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            let dir = checker_dir();
            if dir.join("node_modules/axe-core").exists()
                && dir.join("node_modules/playwright-core").exists()
            {
                return;
            }
            let status = tokio::task::spawn_blocking(|| {
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(checker_dir())
                    .status()
            })
            .await
            .expect("npm ran")
            .expect("npm (Node.js) is installed");
            assert!(status.success(), "npm ci in tests/a11y failed");
        })
        .await;
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "{} is missing: install Debian's chromium (`apt-get install chromium`, as .ci/run does) \
         or set CHROMIUM to a Chromium binary",
        path.display()
    );
    path
}

/// Runs the checker on `pages` (URLs or `{"url", "headers"}` objects): its JSON results.
async fn check(pages: Vec<Value>) -> Vec<Value> {
    node_modules().await;
    let chromium = chromium();
    let args: Vec<String> = pages
        .iter()
        .map(|page| match page {
            Value::String(url) => url.clone(),
            other => other.to_string(),
        })
        .collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("check.mjs")
            .args(args)
            .current_dir(checker_dir())
            .env("CHROMIUM", chromium)
            .output()
    })
    .await
    .expect("node ran")
    .expect("node (Node.js) is installed");
    assert!(
        output.status.success(),
        "check.mjs failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "check.mjs printed no JSON ({err}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Every problem of one result, one line each.
fn problems(result: &Value) -> Vec<String> {
    let at = format!(
        "{} {} ({})",
        result["url"].as_str().unwrap_or_default(),
        result["headers"],
        result["width"].as_str().unwrap_or_default()
    );
    let mut found = Vec::new();
    for violation in result["violations"].as_array().into_iter().flatten() {
        let targets: Vec<String> = violation["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|node| {
                format!(
                    "{} {}",
                    node["target"],
                    node["summary"].as_str().unwrap_or_default()
                )
            })
            .collect();
        found.push(format!(
            "{at}: {} [{}] {}: {}",
            violation["id"].as_str().unwrap_or_default(),
            violation["impact"].as_str().unwrap_or_default(),
            violation["help"].as_str().unwrap_or_default(),
            targets.join("; ")
        ));
    }
    for blocked in result["cspBlocked"].as_array().into_iter().flatten() {
        found.push(format!("{at}: the page's policy blocked: {blocked}"));
    }
    if result["horizontalOverflow"].as_u64().unwrap_or_default() > 0 {
        found.push(format!(
            "{at}: scrolls sideways by {} px",
            result["horizontalOverflow"]
        ));
    }
    found
}

#[tokio::test]
async fn every_state_of_the_public_pages_has_no_wcag_violation_in_a_real_browser() {
    let app = spawn_app().await;
    let certified = three_certificates(&app).await;
    // The header with everything a profile can say: address, email, website.
    set_ministry_profile(&app).await;
    let mut pages = Vec::new();
    let mut expected = Vec::new();
    for lang in ["en", "de", "fr"] {
        for (path, status) in [
            (format!("/verify/{}", certified.valid), 200),
            (format!("/verify/{}", certified.revoked), 200),
            (format!("/verify/{}", certified.expired), 200),
            (format!("/verify/{UNKNOWN}"), 404),
            ("/verify".to_owned(), 200),
            ("/accessibility".to_owned(), 200),
        ] {
            pages.push(json!(app.url(&format!("{path}?lang={lang}"))));
            expected.push((status, lang));
        }
        // The form answering a mistyped code.
        pages.push(json!(
            app.url(&format!("/verify?lang={lang}&code=nonsense"))
        ));
        expected.push((400, lang));
    }
    // The holder's own view (with the LinkedIn link), chosen by Accept-Language.
    pages.push(json!({
        "url": app.url(&format!("/verify/{}", certified.valid)),
        "headers": {
            "Accept-Language": "de-DE,de;q=0.9",
            "Authorization": format!("Bearer {}", certified.learner),
        },
    }));
    expected.push((200, "de"));

    let results = check(pages.clone()).await;
    assert_eq!(results.len(), pages.len() * 2, "{results:?}");
    let mut found = Vec::new();
    for (i, result) in results.iter().enumerate() {
        let (status, lang) = expected[i % pages.len()];
        assert_eq!(result["status"], status, "{result}");
        assert_eq!(result["lang"], lang, "{result}");
        found.extend(problems(result));
    }
    assert!(
        found.is_empty(),
        "{} accessibility problems:\n{}",
        found.len(),
        found.join("\n")
    );
    eprintln!(
        "axe-core {}: no WCAG 2.1 A/AA violation on {} pages at desktop width and 320 px",
        results[0]["axeVersion"].as_str().unwrap_or("?"),
        pages.len()
    );
}

#[tokio::test]
async fn the_checker_finds_violations_where_there_are_some() {
    // A page of ours made wrong on purpose is out of reach; the checker's own verdict on a
    // broken page served by a throw-away server shows that it reports what it finds.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0_u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let body = "<!DOCTYPE html><html><head><title>x</title></head><body>\
                <img src=\"data:,\"><p style=\"color:#ccc\">faint</p></body></html>";
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    let results = check(vec![json!(format!("http://127.0.0.1:{port}/"))]).await;
    server.abort();
    let found = problems(&results[0]);
    for rule in ["html-has-lang", "image-alt", "color-contrast"] {
        assert!(
            found.iter().any(|problem| problem.contains(rule)),
            "{rule} not reported: {found:?}"
        );
    }
}

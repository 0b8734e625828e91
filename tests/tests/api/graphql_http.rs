//! The GraphQL-over-HTTP audit of `graphql-http` (its `serverAudits`, pinned in
//! `tests/graphql-http/package-lock.json`) against the real server: every MUST and every SHOULD
//! of the draft it checks passes. `tests/graphql-http/audit.mjs` runs the audits one after the
//! other and prints their results as JSON; the test fails naming each failed MUST or SHOULD,
//! with the reason and what the server answered.
//!
//! Needs Node.js; `.ci/run` runs `npm ci` in `tests/graphql-http`, which the test also does
//! itself when the packages are missing.

use std::{path::PathBuf, process::Command};

use serde_json::Value;
use tokio::sync::OnceCell;

use crate::helpers::spawn_app;

fn audit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("graphql-http")
}

/// Installs the audit's packages from the lock file once per test run (CI does it up front).
async fn node_modules() {
    static INSTALLED: OnceCell<()> = OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            let dir = audit_dir();
            if dir.join("node_modules/graphql-http").exists()
                && dir.join("node_modules/graphql").exists()
            {
                return;
            }
            let status = tokio::task::spawn_blocking(|| {
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(audit_dir())
                    .status()
            })
            .await
            .expect("npm ran")
            .expect("npm (Node.js) is installed");
            assert!(status.success(), "npm ci in tests/graphql-http failed");
        })
        .await;
}

/// One line for a failed audit: what it checks, why it failed, what the server answered.
fn describe(result: &Value) -> String {
    format!(
        "{} {}: {} (answered {} {}: {})",
        result["id"].as_str().unwrap_or_default(),
        result["name"].as_str().unwrap_or_default(),
        result["reason"].as_str().unwrap_or_default(),
        result["responseStatus"],
        result["responseContentType"]
            .as_str()
            .unwrap_or("no content type"),
        result["responseBody"].as_str().unwrap_or("(body not kept)"),
    )
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_every_must_and_should() {
    node_modules().await;
    let app = spawn_app().await;
    let url = app.url("/graphql");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("audit.mjs")
            .arg(url)
            .current_dir(audit_dir())
            .output()
    })
    .await
    .expect("node ran")
    .expect("node (Node.js) is installed");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "audit.mjs printed no JSON ({err}, {}): {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let results = report["results"].as_array().expect("results");
    let failed = |levels: &[&str]| -> Vec<String> {
        results
            .iter()
            .filter(|result| {
                result["status"] != "ok"
                    && levels.contains(&result["level"].as_str().unwrap_or_default())
            })
            .map(describe)
            .collect()
    };

    let required = failed(&["MUST", "SHOULD"]);
    assert!(
        required.is_empty(),
        "{} MUST or SHOULD audits failed:\n{}",
        required.len(),
        required.join("\n")
    );
    assert!(
        output.status.success(),
        "audit.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The audits ran (a package that exported none would pass nothing).
    for level in ["MUST", "SHOULD"] {
        assert!(
            report["summary"][level]["passed"]
                .as_u64()
                .unwrap_or_default()
                >= 10,
            "{level}: {}",
            report["summary"]
        );
    }
    let optional = failed(&["MAY"]);
    eprintln!(
        "graphql-http audit: {}{}",
        report["summary"],
        if optional.is_empty() {
            String::new()
        } else {
            format!("; MAY audits not passed:\n{}", optional.join("\n"))
        }
    );
}

//! The certificate issuer's keys across replicas: every process publishes the key it is
//! configured with, and the key the operator rolled out last is the current one, whichever
//! replica started or signed last.

use govskills_domain::{
    credentials::{Algorithm, IssuerKey},
    entities::issuer_key,
};
use sea_orm::{EntityTrait, QueryOrder};
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with, test_config};

fn new_key() -> (String, SecretString) {
    let key = IssuerKey::generate(Algorithm::EdDsa).expect("a key");
    (
        key.kid().to_owned(),
        SecretString::from(key.to_pem().to_owned()),
    )
}

async fn published_kids(app: &TestApp) -> Vec<String> {
    let jwks: Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| key["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// The recorded keys, oldest first: (kid, retired).
async fn recorded(app: &TestApp) -> Vec<(String, bool)> {
    issuer_key::Entity::find()
        .order_by_asc(issuer_key::Column::CreatedAt)
        .all(&app.db)
        .await
        .expect("keys")
        .into_iter()
        .map(|row| (row.kid, row.retired_at.is_some()))
        .collect()
}

#[tokio::test]
async fn a_rolling_key_rotation_across_two_replicas_makes_the_new_key_current_for_good() {
    let (old_kid, old_key) = new_key();
    let (new_kid, new_key_pem) = new_key();
    let old = spawn_app_with(|config| config.issuer_key = Some(old_key.clone())).await;
    assert_eq!(recorded(&old).await, [(old_kid.clone(), false)]);

    // The rollout starts a replica with the new key next to the old one.
    let new = old
        .spawn_replica(|config| config.issuer_key = Some(new_key_pem))
        .await;
    assert_eq!(
        recorded(&old).await,
        [(old_kid.clone(), true), (new_kid.clone(), false)]
    );
    for replica in [&old, &new] {
        let kids = published_kids(replica).await;
        assert!(
            kids.contains(&old_kid) && kids.contains(&new_kid),
            "{kids:?}"
        );
    }

    // A replica that (re)starts with the old Secret before the rollout reaches it does not make
    // the old key current again.
    let restarted = old
        .spawn_replica(|config| config.issuer_key = Some(old_key))
        .await;
    assert_eq!(
        recorded(&restarted).await,
        [(old_kid.clone(), true), (new_kid.clone(), false)]
    );
}

#[tokio::test]
async fn a_replica_publishes_its_key_before_the_schema_is_migrated() {
    let (kid, key) = new_key();
    let (mut config, sqlite_file) = test_config().await;
    config.skip_migrations = true;
    config.issuer_key = Some(key);
    let app = govskills_api::startup::Application::build(&config)
        .await
        .expect("a replica starts before the migration Job has run");
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());

    let jwks: Value = reqwest::get(format!("http://127.0.0.1:{port}/.well-known/jwks.json"))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    server.abort();
    if let Some(file) = sqlite_file {
        let _ = std::fs::remove_file(file);
    }
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert_eq!(kids, [kid.as_str()], "{jwks}");
}

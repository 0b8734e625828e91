//! Session lifetimes: the sliding idle timeout and the absolute lifetime.

use std::time::Duration;

use crate::helpers::{LEARNER1, PASSWORD, spawn_app_with};

#[tokio::test]
async fn a_session_ends_after_the_idle_timeout() {
    let app = spawn_app_with(|config| {
        config.session_idle_secs = 1;
        config.session_lifetime_secs = 60;
    })
    .await;
    let token = app.login(LEARNER1, PASSWORD).await;
    assert_eq!(app.me(&token).await["email"], LEARNER1);

    tokio::time::sleep(Duration::from_millis(1_500)).await;

    assert!(app.me(&token).await.is_null());
}

#[tokio::test]
async fn activity_keeps_a_session_alive_until_its_absolute_lifetime() {
    let app = spawn_app_with(|config| {
        config.session_idle_secs = 1;
        config.session_lifetime_secs = 2;
    })
    .await;
    let token = app.login(LEARNER1, PASSWORD).await;

    // Each request slides the idle timeout: 1.5 s of activity outlives a 1 s idle timeout.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(app.me(&token).await["email"], LEARNER1);
    }
    // But not the 2 s lifetime.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(app.me(&token).await.is_null());
}

#[tokio::test]
async fn tokens_that_were_never_issued_are_anonymous() {
    let app = spawn_app_with(|_| {}).await;
    for token in [
        "A".repeat(43),
        "short".to_owned(),
        "has spaces in it".to_owned(),
    ] {
        assert!(app.me(&token).await.is_null(), "{token}");
    }
}

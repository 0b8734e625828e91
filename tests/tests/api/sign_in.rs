//! Signing in goes one way (throttle, password, session, cookie), and the throttle knows an
//! account by the same normal form of its email as the accounts themselves.

use crate::helpers::{LEARNER1, LEARNER2, PASSWORD, assert_error, spawn_app};

#[tokio::test]
async fn failures_with_the_email_in_other_case_and_spacing_count_against_the_same_account() {
    let app = spawn_app().await;
    let shouted = LEARNER1.to_uppercase();
    let spaced = format!("  {LEARNER1} ");
    let variants = [LEARNER1, shouted.as_str(), spaced.as_str()];

    // Five failures, spread over three spellings of one address (the account limit is five).
    for email in variants.iter().cycle().take(5) {
        assert_error(
            &app.try_login(email, "a wrong password!").await,
            "UNAUTHENTICATED",
            None,
        );
    }

    // Each spelling is now refused, the right password included: it is one account.
    for email in variants {
        assert_error(&app.try_login(email, PASSWORD).await, "RATE_LIMITED", None);
    }
    // Someone else at the same address still signs in.
    app.login(LEARNER2, PASSWORD).await;
}

#[tokio::test]
async fn a_sign_in_with_the_email_in_other_case_and_spacing_starts_a_session() {
    let app = spawn_app().await;

    let token = app
        .login(&format!("  {} ", LEARNER1.to_uppercase()), PASSWORD)
        .await;

    assert_eq!(app.me(&token).await["email"], LEARNER1);
}

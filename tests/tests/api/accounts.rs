//! Accounts: creating users, signing in and out, passwords, roles and account status.

use sea_orm::ConnectionTrait as _;
use serde_json::json;

use crate::helpers::{
    ADMIN, HR, LEARNER1, LEARNER2, PASSWORD, assert_error, error_message, spawn_app,
};

const NEW_PASSWORD: &str = "an entirely new passphrase";

#[tokio::test]
async fn an_admin_creates_a_user_who_signs_in_and_out() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;

    let created = app
        .try_create_user(
            &admin,
            "New.Person@Agency.Example",
            "a long enough password",
            &unit,
        )
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    let user = &created["data"]["createUser"];
    assert_eq!(user["email"], "new.person@agency.example");
    assert_eq!(user["roles"], json!(["LEARNER"]));
    assert_eq!(user["orgUnit"]["name"], "Department of Citizen Services");

    // Signing in ignores the case of the email.
    let token = app
        .login("NEW.person@agency.example", "a long enough password")
        .await;
    assert_eq!(app.me(&token).await["email"], "new.person@agency.example");

    let logout = app
        .gql("mutation { logout }", json!({}), Some(&token))
        .await;
    assert_eq!(logout["data"]["logout"], true, "{logout}");
    assert!(app.me(&token).await.is_null(), "the token no longer works");
}

#[tokio::test]
async fn the_session_cookie_signs_a_browser_in_and_logout_clears_it() {
    let app = spawn_app().await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let login = browser
        .post(app.url("/graphql"))
        .json(&json!({ "query": format!(
            r#"mutation {{ login(email: "{LEARNER1}", password: "{PASSWORD}") {{ token }} }}"#
        )}))
        .send()
        .await
        .expect("answers");
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let me = |client: reqwest::Client| {
        let url = app.url("/graphql");
        async move {
            client
                .post(url)
                .json(&json!({ "query": "{ me { email } }" }))
                .send()
                .await
                .expect("answers")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(me(browser.clone()).await["data"]["me"]["email"], LEARNER1);

    browser
        .post(app.url("/graphql"))
        .json(&json!({ "query": "mutation { logout }" }))
        .send()
        .await
        .expect("answers");
    assert!(me(browser).await["data"]["me"].is_null());
}

#[tokio::test]
async fn logout_everywhere_ends_every_session_of_that_user_only() {
    let app = spawn_app().await;
    let phone = app.login(LEARNER1, PASSWORD).await;
    let laptop = app.login(LEARNER1, PASSWORD).await;
    let colleague = app.login(LEARNER2, PASSWORD).await;
    assert_ne!(phone, laptop, "each sign-in gets a fresh token");

    let response = app
        .gql("mutation { logoutEverywhere }", json!({}), Some(&phone))
        .await;
    assert_eq!(response["data"]["logoutEverywhere"], true, "{response}");

    assert!(app.me(&phone).await.is_null());
    assert!(app.me(&laptop).await.is_null());
    assert_eq!(app.me(&colleague).await["email"], LEARNER2);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let here = app.login(LEARNER1, PASSWORD).await;
    let elsewhere = app.login(LEARNER1, PASSWORD).await;

    let response = app
        .gql(
            "mutation($current: String!, $new: String!) {
                changePassword(currentPassword: $current, newPassword: $new)
            }",
            json!({ "current": PASSWORD, "new": NEW_PASSWORD }),
            Some(&here),
        )
        .await;
    assert_eq!(response["data"]["changePassword"], true, "{response}");

    assert_eq!(app.me(&here).await["email"], LEARNER1);
    assert!(app.me(&elsewhere).await.is_null());
    assert_error(
        &app.try_login(LEARNER1, PASSWORD).await,
        "UNAUTHENTICATED",
        None,
    );
    app.login(LEARNER1, NEW_PASSWORD).await;
}

#[tokio::test]
async fn a_wrong_current_password_or_a_short_new_one_changes_nothing() {
    let app = spawn_app().await;
    let token = app.login(LEARNER1, PASSWORD).await;
    let other = app.login(LEARNER1, PASSWORD).await;
    let change = |current: &'static str, new: &'static str| {
        app.gql(
            "mutation($current: String!, $new: String!) {
                changePassword(currentPassword: $current, newPassword: $new)
            }",
            json!({ "current": current, "new": new }),
            Some(&token),
        )
    };

    assert_error(
        &change("not my password!", NEW_PASSWORD).await,
        "BAD_USER_INPUT",
        Some("currentPassword"),
    );
    assert_error(
        &change(PASSWORD, "too short").await,
        "BAD_USER_INPUT",
        Some("newPassword"),
    );

    app.login(LEARNER1, PASSWORD).await;
    assert_eq!(
        app.me(&other).await["email"],
        LEARNER1,
        "other sessions live on"
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_sign_in() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = app.me(&learner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let response = app
        .gql(
            "mutation($id: ID!) { updateUser(userId: $id, input: { status: DISABLED }) { status } }",
            json!({ "id": learner_id }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        response["data"]["updateUser"]["status"], "DISABLED",
        "{response}"
    );

    assert!(app.me(&learner).await.is_null());
    let refused = app.try_login(LEARNER1, PASSWORD).await;
    assert_error(&refused, "UNAUTHENTICATED", None);
    assert_eq!(
        error_message(&refused),
        "the email or password is incorrect"
    );
}

#[tokio::test]
async fn a_duplicate_email_in_other_case_is_a_conflict_and_creates_nothing() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let users_before = app.count("users").await;

    let response = app
        .try_create_user(
            &admin,
            "LEARNER1@Demo.GovSkills.Test",
            "a long enough password",
            &unit,
        )
        .await;

    assert_error(&response, "CONFLICT", Some("email"));
    assert_eq!(
        error_message(&response),
        "an account with this email already exists"
    );
    assert_eq!(app.count("users").await, users_before);
}

#[tokio::test]
async fn passwords_outside_12_to_128_characters_are_refused() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let users_before = app.count("users").await;

    for password in ["elevenchars".to_owned(), "x".repeat(129)] {
        let response = app
            .try_create_user(&admin, "someone@agency.example", &password, &unit)
            .await;
        assert_error(&response, "BAD_USER_INPUT", Some("password"));
        assert!(error_message(&response).contains("12 to 128"), "{response}");
    }
    // Exactly at the limits is fine, and nothing is truncated: 128 characters sign in as typed.
    let longest = "y".repeat(128);
    app.try_create_user(&admin, "longest@agency.example", &longest, &unit)
        .await;
    app.login("longest@agency.example", &longest).await;
    assert_error(
        &app.try_login("longest@agency.example", &"y".repeat(127))
            .await,
        "UNAUTHENTICATED",
        None,
    );
    assert_eq!(app.count("users").await, users_before + 1);
}

#[tokio::test]
async fn malformed_emails_are_refused() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let users_before = app.count("users").await;

    for email in [
        "not-an-email",
        "two@@agency.example",
        "Name <name@agency.example>",
        "",
    ] {
        let response = app
            .try_create_user(&admin, email, "a long enough password", &unit)
            .await;
        assert_error(&response, "BAD_USER_INPUT", Some("email"));
    }
    assert_eq!(app.count("users").await, users_before);
}

#[tokio::test]
async fn a_learner_cannot_create_users_or_set_roles() {
    let app = spawn_app().await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let learner_id = app.me(&learner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (users, grants) = (app.count("users").await, app.count("role_grants").await);

    let hr = app.login(HR, PASSWORD).await;
    for token in [&learner, &hr] {
        let create = app
            .try_create_user(
                token,
                "sneaky@agency.example",
                "a long enough password",
                &unit,
            )
            .await;
        assert_error(&create, "FORBIDDEN", None);
        assert_eq!(error_message(&create), "this needs the ADMIN role");
    }

    let promote = app
        .gql(
            "mutation($id: ID!) { setUserRoles(userId: $id, grants: [{ role: ADMIN }]) { roles } }",
            json!({ "id": learner_id }),
            Some(&learner),
        )
        .await;
    assert_error(&promote, "FORBIDDEN", None);

    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("role_grants").await, grants);
    assert_eq!(app.me(&learner).await["roles"], json!(["LEARNER"]));
}

#[tokio::test]
async fn anonymous_callers_are_asked_to_sign_in() {
    let app = spawn_app().await;
    let response = app
        .gql("mutation { logoutEverywhere }", json!({}), None)
        .await;
    assert_error(&response, "UNAUTHENTICATED", None);
    let response = app.gql("{ me { id } }", json!({}), None).await;
    assert!(response["data"]["me"].is_null(), "{response}");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_are_indistinguishable() {
    let app = spawn_app().await;
    let unknown = app.try_login("nobody@agency.example", PASSWORD).await;
    let wrong = app.try_login(LEARNER1, "not the right password").await;
    let malformed = app.try_login("not an email", PASSWORD).await;

    for response in [&unknown, &wrong, &malformed] {
        assert_error(response, "UNAUTHENTICATED", None);
        assert!(response["data"].is_null(), "{response}");
    }
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(
        unknown["errors"][0]["message"],
        malformed["errors"][0]["message"]
    );
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_even_with_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_error(
            &app.try_login(LEARNER1, "a wrong password!").await,
            "UNAUTHENTICATED",
            None,
        );
    }

    let throttled = app.try_login(LEARNER1, PASSWORD).await;
    assert_error(&throttled, "RATE_LIMITED", None);
    assert!(
        error_message(&throttled).contains("try again"),
        "{throttled}"
    );
    // Another account from the same address is not locked out by someone else's failures.
    app.login(LEARNER2, PASSWORD).await;
}

#[tokio::test]
async fn failures_for_other_accounts_from_one_address_do_not_lock_out_a_colleague() {
    let app = spawn_app().await;
    // 200 failed sign-ins from this one address (an office behind a NAT, or someone spraying
    // passwords), five for each of 40 accounts, so no account reaches its own limit.
    for batch in 0..20 {
        let aliases: String = (0..10)
            .map(|i| {
                let account = (batch * 10 + i) / 5;
                format!(
                    r#"a{i}: login(email: "colleague{account}@demo.govskills.test", password: "a wrong password!") {{ token }} "#
                )
            })
            .collect();
        let response = app
            .gql(&format!("mutation {{ {aliases} }}"), json!({}), None)
            .await;
        let errors = response["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 10, "{response}");
        assert!(
            errors
                .iter()
                .all(|error| error["extensions"]["code"] == "UNAUTHENTICATED"),
            "{response}"
        );
    }

    // Someone who knows their password still gets in from the same address.
    app.login(LEARNER1, PASSWORD).await;
}

#[tokio::test]
async fn login_aliases_in_one_request_count_as_separate_attempts() {
    let app = spawn_app().await;
    let aliases: String = (0..7)
        .map(|i| {
            format!(
                r#"a{i}: login(email: "{LEARNER1}", password: "a wrong password!") {{ token }} "#
            )
        })
        .collect();
    let response = app
        .gql(&format!("mutation {{ {aliases} }}"), json!({}), None)
        .await;

    let codes: Vec<&str> = response["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["extensions"]["code"].as_str())
        .collect();
    assert_eq!(codes.len(), 7, "{response}");
    assert_eq!(
        codes
            .iter()
            .filter(|code| **code == "UNAUTHENTICATED")
            .count(),
        5
    );
    assert_eq!(
        codes.iter().filter(|code| **code == "RATE_LIMITED").count(),
        2
    );
    assert_error(
        &app.try_login(LEARNER1, PASSWORD).await,
        "RATE_LIMITED",
        None,
    );
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = app.me(&learner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let unit = app
        .org_unit_id(&admin, "Department of Citizen Services")
        .await;
    let set_roles = |grants: serde_json::Value| {
        app.gql(
            "mutation($id: ID!, $grants: [RoleGrantInput!]!) {
                setUserRoles(userId: $id, grants: $grants) { roles grants { role orgUnitId } }
            }",
            json!({ "id": learner_id, "grants": grants }),
            Some(&admin),
        )
    };

    let granted = set_roles(
        json!([{ "role": "ADMIN", "orgUnitId": unit }, { "role": "HR", "orgUnitId": ministry }]),
    )
    .await;
    assert_eq!(
        granted["data"]["setUserRoles"]["roles"],
        json!(["LEARNER", "HR", "ADMIN"]),
        "{granted}"
    );
    app.create_user(&learner, "made-by-new-admin@agency.example", &unit)
        .await;

    set_roles(json!([])).await;
    let refused = app
        .try_create_user(
            &learner,
            "too-late@agency.example",
            "a long enough password",
            &unit,
        )
        .await;
    assert_error(&refused, "FORBIDDEN", None);
    assert_eq!(app.me(&learner).await["roles"], json!(["LEARNER"]));
}

#[tokio::test]
async fn granting_learner_or_a_malformed_unit_is_bad_input_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = app.me(&learner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let grants_before = app.count("role_grants").await;
    let set_roles = |grants: serde_json::Value| {
        app.gql(
            "mutation($id: ID!, $grants: [RoleGrantInput!]!) {
                setUserRoles(userId: $id, grants: $grants) { roles }
            }",
            json!({ "id": learner_id, "grants": grants }),
            Some(&admin),
        )
    };

    assert_error(
        &set_roles(json!([{ "role": "LEARNER" }])).await,
        "BAD_USER_INPUT",
        Some("grants"),
    );
    // Only ADMIN can be held platform-wide.
    let trainer_everywhere = set_roles(json!([{ "role": "TRAINER" }])).await;
    assert_error(&trainer_everywhere, "BAD_USER_INPUT", Some("grants"));
    assert!(error_message(&trainer_everywhere).contains("only ADMIN can be platform-wide"));
    assert_error(
        &set_roles(json!([{ "role": "HR", "orgUnitId": "not-a-uuid" }])).await,
        "BAD_USER_INPUT",
        Some("grants"),
    );
    assert_error(
        &set_roles(json!([{ "role": "HR", "orgUnitId": uuid::Uuid::new_v4().to_string() }])).await,
        "BAD_USER_INPUT",
        Some("grants"),
    );
    assert_eq!(app.count("role_grants").await, grants_before);
}

#[tokio::test]
async fn an_authority_admin_manages_only_their_own_subtree() {
    let app = spawn_app().await;
    let platform = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&platform, "Ministry of Digital Affairs (demo)")
        .await;
    let citizen = app
        .org_unit_id(&platform, "Department of Citizen Services")
        .await;
    let data_ai = app
        .org_unit_id(&platform, "Department of Data and AI")
        .await;

    // A departmental administrator for Citizen Services only.
    let dept_admin_id = app
        .create_user(&platform, "dept-admin@agency.example", &citizen)
        .await;
    let granted = app
        .gql(
            "mutation($id: ID!, $unit: ID!) {
                setUserRoles(userId: $id, grants: [{ role: ADMIN, orgUnitId: $unit }]) { roles }
            }",
            json!({ "id": dept_admin_id, "unit": citizen }),
            Some(&platform),
        )
        .await;
    assert!(granted.get("errors").is_none(), "{granted}");
    let dept_admin = app
        .login("dept-admin@agency.example", "a long enough password")
        .await;
    let colleague = app
        .create_user(&dept_admin, "colleague@agency.example", &citizen)
        .await;
    let (users, grants) = (app.count("users").await, app.count("role_grants").await);

    // Not in a sibling department, nor at the ministry above.
    for unit in [&data_ai, &ministry] {
        let refused = app
            .try_create_user(
                &dept_admin,
                "outside@agency.example",
                "a long enough password",
                unit,
            )
            .await;
        assert_error(&refused, "FORBIDDEN", None);
    }
    // Not moving someone out of their subtree.
    let moved = app
        .gql(
            "mutation($id: ID!, $unit: ID!) { updateUser(userId: $id, input: { orgUnitId: $unit }) { id } }",
            json!({ "id": colleague, "unit": data_ai }),
            Some(&dept_admin),
        )
        .await;
    assert_error(&moved, "FORBIDDEN", None);
    // Not granting at the ministry, nor platform-wide.
    for grant in [
        json!({ "role": "HR", "orgUnitId": ministry }),
        json!({ "role": "ADMIN" }),
    ] {
        let refused = app
            .gql(
                "mutation($id: ID!, $grants: [RoleGrantInput!]!) { setUserRoles(userId: $id, grants: $grants) { id } }",
                json!({ "id": colleague, "grants": [grant] }),
                Some(&dept_admin),
            )
            .await;
        assert_error(&refused, "FORBIDDEN", None);
    }
    // Not touching the platform administrator, who belongs to the ministry.
    let platform_id = app.me(&platform).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let refused = app
        .gql(
            "mutation($id: ID!) { updateUser(userId: $id, input: { status: DISABLED }) { id } }",
            json!({ "id": platform_id }),
            Some(&dept_admin),
        )
        .await;
    assert_error(&refused, "FORBIDDEN", None);

    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("role_grants").await, grants);
    assert_eq!(app.me(&platform).await["email"], ADMIN);
}

#[tokio::test]
async fn role_changes_are_audited() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let learner = app.login(LEARNER1, PASSWORD).await;
    let learner_id = app.me(&learner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let audits_before = app.count("audit_events").await;

    let response = app
        .gql(
            "mutation($id: ID!) { setUserRoles(userId: $id, grants: [{ role: ADMIN }]) { roles } }",
            json!({ "id": learner_id }),
            Some(&admin),
        )
        .await;

    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(app.count("audit_events").await, audits_before + 1);
    let admin_id = app.me(&admin).await["id"].as_str().expect("id").to_owned();
    let (action, actor, target) = app.latest_audit_event().await;
    assert_eq!(action, "user.roles_set");
    assert_eq!(actor.as_deref(), Some(admin_id.as_str()));
    assert_eq!(target.as_deref(), Some(learner_id.as_str()));
}

const SET_ROLES: &str = "mutation($id: ID!, $grants: [RoleGrantInput!]!) { setUserRoles(userId: $id, grants: $grants) { roles } }";

/// A second platform administrator, signed in: (id, token).
async fn second_platform_admin(app: &crate::helpers::TestApp, admin: &str) -> (String, String) {
    let ministry = app
        .org_unit_id(admin, "Ministry of Digital Affairs (demo)")
        .await;
    let id = app
        .create_user(admin, "second.admin@demo.govskills.test", &ministry)
        .await;
    let granted = app
        .gql(
            SET_ROLES,
            json!({ "id": id, "grants": [{ "role": "ADMIN" }] }),
            Some(admin),
        )
        .await;
    assert!(granted.get("errors").is_none(), "{granted}");
    let token = app
        .login("second.admin@demo.govskills.test", "a long enough password")
        .await;
    (id, token)
}

#[tokio::test]
async fn an_admin_cannot_take_away_their_own_admin_grant() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let admin_id = app.me(&admin).await["id"].as_str().expect("id").to_owned();
    let grants = app.count("role_grants").await;
    let audits = app.count("audit_events").await;

    for remaining in [
        json!([]),
        json!([{ "role": "HR", "orgUnitId": app.org_unit_id(&admin, "Ministry of Digital Affairs (demo)").await }]),
    ] {
        let refused = app
            .gql(
                SET_ROLES,
                json!({ "id": admin_id, "grants": remaining }),
                Some(&admin),
            )
            .await;
        assert_error(&refused, "CONFLICT", Some("grants"));
        assert!(
            error_message(&refused).contains("your own ADMIN grant"),
            "{refused}"
        );
    }

    assert_eq!(app.count("role_grants").await, grants);
    assert_eq!(app.count("audit_events").await, audits);
    assert_eq!(app.me(&admin).await["roles"], json!(["LEARNER", "ADMIN"]));
}

#[tokio::test]
async fn an_authority_admin_cannot_disable_the_last_platform_admin() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let admin_id = app.me(&admin).await["id"].as_str().expect("id").to_owned();
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let authority_admin_id = app
        .create_user(&admin, "ministry.admin@demo.govskills.test", &ministry)
        .await;
    let granted = app
        .gql(
            SET_ROLES,
            json!({ "id": authority_admin_id, "grants": [{ "role": "ADMIN", "orgUnitId": ministry }] }),
            Some(&admin),
        )
        .await;
    assert!(granted.get("errors").is_none(), "{granted}");
    let authority_admin = app
        .login(
            "ministry.admin@demo.govskills.test",
            "a long enough password",
        )
        .await;
    let audits = app.count("audit_events").await;

    // The platform administrator belongs to the ministry, so its administrator covers the
    // account; but it is the only platform administrator there is.
    let refused = app
        .gql(
            "mutation($id: ID!) { updateUser(userId: $id, input: { status: DISABLED }) { id } }",
            json!({ "id": admin_id }),
            Some(&authority_admin),
        )
        .await;
    assert_error(&refused, "CONFLICT", Some("status"));
    assert!(
        error_message(&refused).contains("no active platform administrator"),
        "{refused}"
    );

    assert_eq!(app.count("audit_events").await, audits);
    assert_eq!(app.me(&admin).await["email"], ADMIN);
}

#[tokio::test]
async fn two_platform_admins_removing_each_other_at_once_leave_one() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let admin_id = app.me(&admin).await["id"].as_str().expect("id").to_owned();
    let (second_id, second) = second_platform_admin(&app, &admin).await;

    let (first, other) = tokio::join!(
        app.gql(
            SET_ROLES,
            json!({ "id": second_id, "grants": [] }),
            Some(&admin)
        ),
        app.gql(
            SET_ROLES,
            json!({ "id": admin_id, "grants": [] }),
            Some(&second)
        ),
    );

    let succeeded = [&first, &other]
        .iter()
        .filter(|response| response.get("errors").is_none())
        .count();
    assert_eq!(succeeded, 1, "exactly one wins: {first} {other}");
    let loser = if first.get("errors").is_some() {
        &first
    } else {
        &other
    };
    // The loser is refused either inside its transaction (nobody would be left) or, when it
    // arrives after the winner committed, before it: it no longer holds ADMIN.
    let code = loser["errors"][0]["extensions"]["code"].as_str();
    assert!(matches!(code, Some("CONFLICT" | "FORBIDDEN")), "{loser}");
    let platform_admins = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM role_grants WHERE role = 'ADMIN' AND org_unit_id IS NULL",
        ))
        .await
        .expect("count query runs")
        .expect("one row")
        .try_get::<i64>("", "n")
        .expect("a count");
    assert_eq!(platform_admins, 1);
}

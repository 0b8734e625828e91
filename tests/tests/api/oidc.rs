//! Signing in through an identity provider, against a real one: the OpenID-certified Node
//! library `oidc-provider` (pinned in `tests/oidc/package-lock.json`), started on a loopback
//! port by each test, with a client registered for the test server. The tests drive the whole
//! authorization code flow over HTTP as a browser would, submitting the provider's development
//! login and consent forms.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use reqwest::{StatusCode, Url, header};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::{
    helpers::{ADMIN, HR, LEARNER1, PASSWORD, TestApp, assert_error, spawn_app},
    learning::user_id,
};

const CLIENT_SECRET: &str = "a-client-secret-for-the-tests";

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// Installs the provider's packages from the lock file once per test run (CI does it up front).
async fn node_modules() {
    static INSTALLED: OnceCell<()> = OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            if provider_dir().join("node_modules/oidc-provider").exists() {
                return;
            }
            let status = tokio::task::spawn_blocking(|| {
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(provider_dir())
                    .status()
            })
            .await
            .expect("npm ran")
            .expect("npm (Node.js) is installed");
            assert!(status.success(), "npm ci in tests/oidc failed");
        })
        .await;
}

/// A running `oidc-provider`.
struct TestProvider {
    child: Child,
    port: u16,
}

impl TestProvider {
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl TestProvider {
    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the provider on `port` with the client's redirect URIs and the accounts (login
    /// to claims); returns once it accepts connections.
    async fn start(port: u16, redirect_uris: &[String], accounts: &Value) -> Self {
        Self::start_with(port, redirect_uris, accounts, &[]).await
    }

    /// Like `start`, with extra environment for provider.mjs (a clock behind, a wrong nonce).
    async fn start_with(
        port: u16,
        redirect_uris: &[String],
        accounts: &Value,
        env: &[(&str, &str)],
    ) -> Self {
        node_modules().await;
        let child = Command::new("node")
            .envs(env.iter().copied())
            .arg("provider.mjs")
            .current_dir(provider_dir())
            .env("PORT", port.to_string())
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URIS", json!(redirect_uris).to_string())
            .env("ACCOUNTS", accounts.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (Node.js) is installed");
        let provider = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer());
        loop {
            if reqwest::get(&discovery)
                .await
                .is_ok_and(|response| response.status().is_success())
            {
                return provider;
            }
            assert!(Instant::now() < deadline, "oidc-provider did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// What a test sets up: the server, an identity provider configured for the demo ministry, and
/// the provider itself.
struct Setup {
    app: TestApp,
    admin: String,
    provider_id: String,
    provider: TestProvider,
}

const PROVIDER_FIELDS: &str = "id name issuerUrl clientId scopes emailDomains createAccounts
    orgUnitClaim passwordSignIn callbackUrl startUrl orgUnit { name }";

async fn setup(input: Value, accounts: Value) -> Setup {
    let app = spawn_app().await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let ministry = app
        .org_unit_id(&admin, "Ministry of Digital Affairs (demo)")
        .await;
    let port = free_port();
    let mut input = input;
    input["orgUnitId"] = json!(ministry);
    input["issuerUrl"] = json!(format!("http://127.0.0.1:{port}"));
    input["clientId"] = json!("govskills");
    input["clientSecret"] = json!(CLIENT_SECRET);
    let created = app
        .ok(
            &format!(
                "mutation($input: CreateIdentityProviderInput!) {{
                    createIdentityProvider(input: $input) {{ {PROVIDER_FIELDS} }} }}"
            ),
            json!({ "input": input }),
            &admin,
        )
        .await;
    let created = &created["createIdentityProvider"];
    let provider_id = created["id"].as_str().expect("an id").to_owned();
    let callback = created["callbackUrl"]
        .as_str()
        .expect("a callback")
        .to_owned();
    assert_eq!(
        callback,
        app.url(&format!("/auth/oidc/{provider_id}/callback"))
    );
    let provider = TestProvider::start(port, &[callback], &accounts).await;
    Setup {
        app,
        admin,
        provider_id,
        provider,
    }
}

fn accounts() -> Value {
    json!({
        "lena": { "email": LEARNER1, "email_verified": true, "name": "Lena Learner" },
        "unverified": { "email": "learner2@demo.govskills.test", "email_verified": false },
        "newcomer": { "email": "nina.new@demo.govskills.test", "email_verified": true,
            "name": "Nina Newcomer", "department": "CS-01", "job_title": "Caseworker (demo)" },
        "stranger": { "email": "sam@elsewhere.test", "email_verified": true, "name": "Sam" },
    })
}

fn provider_input() -> Value {
    json!({ "name": "Demo ministry (test provider)", "scopes": ["email", "profile", "department"],
        "emailDomains": ["demo.govskills.test"] })
}

/// The end of a browser's journey through the flow: our callback's response (not followed).
struct Landing {
    status: StatusCode,
    location: Option<String>,
    token: Option<String>,
    body: String,
    callback_url: Option<String>,
}

/// Signs in as `login` at the provider, as a browser would, from `/start?returnTo=..`.
async fn sign_in(app: &TestApp, provider_id: &str, login: &str, return_to: &str) -> Landing {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("a client");
    let mut url = Url::parse(&app.url(&format!("/auth/oidc/{provider_id}/start"))).expect("a URL");
    url.query_pairs_mut().append_pair("returnTo", return_to);
    let mut response = browser.get(url.clone()).send().await.expect("sent");
    let mut callback_url = None;
    for _ in 0..20 {
        let at = response.url().clone();
        if at.as_str().starts_with(&app.address) && at.path().ends_with("/callback") {
            callback_url = Some(at.to_string());
            break;
        }
        if response.status().is_redirection() {
            let location = response.headers()[header::LOCATION]
                .to_str()
                .expect("a location");
            let next = at.join(location).expect("a URL");
            if !next.as_str().starts_with(&app.address)
                && !next.as_str().starts_with("http://127.0.0.1")
            {
                // Sent somewhere else: that is where the journey ends.
                return landing(response, None).await;
            }
            response = browser.get(next).send().await.expect("sent");
            continue;
        }
        if at.as_str().starts_with(&app.address) {
            // One of our pages (an error before the provider was reached).
            return landing(response, None).await;
        }
        // The provider's development login or consent form.
        let page = response.text().await.expect("a page");
        let action = page
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a form in {page}"));
        let target = at.join(action).expect("a URL");
        // The forms' hidden `prompt` says which step this is.
        let body = if page.contains("name=\"login\"") {
            format!("prompt=login&login={login}&password=anything")
        } else {
            "prompt=consent".to_owned()
        };
        response = browser
            .post(target)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("sent");
    }
    landing(response, callback_url).await
}

async fn landing(response: reqwest::Response, callback_url: Option<String>) -> Landing {
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let token = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.strip_prefix("govskills_session="))
        .and_then(|rest| rest.split(';').next())
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    Landing {
        status,
        location,
        token,
        body,
        callback_url,
    }
}

async fn whoami(app: &TestApp, token: &str) -> Value {
    app.ok(
        "{ me { id email displayName orgUnit { name } } }",
        json!({}),
        token,
    )
    .await["me"]
        .clone()
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider_and_lands_with_a_session() {
    let setup = setup(provider_input(), accounts()).await;
    let app = &setup.app;
    let return_to = app.url("/graphiql");

    // Lena's account exists; her verified email is in the provider's domain: linked.
    let landed = sign_in(app, &setup.provider_id, "lena", &return_to).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert_eq!(landed.location.as_deref(), Some(return_to.as_str()));
    let token = landed.token.expect("a session cookie");
    let me = app.me(&token).await;
    assert_eq!(me["email"], LEARNER1);
    let lena = user_id(app, &app.login(LEARNER1, PASSWORD).await).await;
    assert_eq!(me["id"], lena.as_str());

    // The callback cannot be replayed: its state was used.
    let callback = landed.callback_url.expect("the callback URL");
    let replayed = app.client.get(&callback).send().await.expect("sent");
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(
        replayed
            .text()
            .await
            .expect("a page")
            .contains("already used"),
        "the page says why"
    );
    // Nor can a state be made up.
    let tampered = callback.replace("state=", "state=x");
    let refused = app.client.get(&tampered).send().await.expect("sent");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // The second time she is known by her subject at the provider.
    let again = sign_in(app, &setup.provider_id, "lena", &return_to).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let token = again.token.expect("a session");
    assert_eq!(app.me(&token).await["id"], lena.as_str());
    assert_eq!(app.count("user_identities").await, 1);

    // Signing out at the provider too.
    let sign_out = "query($to: String) { signOutUrl(returnTo: $to) }";
    let url = app.ok(sign_out, json!({}), &token).await["signOutUrl"].clone();
    let url = Url::parse(url.as_str().expect("an end-session URL")).expect("a URL");
    assert_eq!(
        url.origin(),
        Url::parse(&setup.provider.issuer())
            .expect("a URL")
            .origin()
    );
    assert!(
        url.query_pairs()
            .any(|(k, v)| k == "client_id" && v == "govskills")
    );
    let by_password = app.login(HR, PASSWORD).await;
    assert!(app.ok(sign_out, json!({}), &by_password).await["signOutUrl"].is_null());
    assert_error(
        &app.gql(
            sign_out,
            json!({ "to": "https://evil.example/" }),
            Some(&token),
        )
        .await,
        "BAD_USER_INPUT",
        Some("returnTo"),
    );
}

#[tokio::test]
async fn a_newcomer_gets_an_account_in_the_unit_the_provider_names() {
    let mut input = provider_input();
    input["createAccounts"] = json!(true);
    input["orgUnitClaim"] = json!("department");
    input["jobRoleClaim"] = json!("job_title");
    let setup = setup(input, accounts()).await;
    let app = &setup.app;
    app.load_full_demo().await;
    let citizen_services = app
        .org_unit_id(&setup.admin, "Department of Citizen Services")
        .await;
    app.ok(
        "mutation($id: ID!) { updateOrgUnit(id: $id, input: { externalId: \"CS-01\" }) { id } }",
        json!({ "id": citizen_services }),
        &setup.admin,
    )
    .await;

    let landed = sign_in(app, &setup.provider_id, "newcomer", &app.url("/")).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    let token = landed.token.expect("a session");
    let landed_token = &token;
    let me = whoami(app, landed_token).await;
    assert_eq!(me["email"], "nina.new@demo.govskills.test");
    assert_eq!(me["displayName"], "Nina Newcomer");
    assert_eq!(me["orgUnit"]["name"], "Department of Citizen Services");
    let job_role = app
        .ok("{ me { jobRole { name } } }", json!({}), landed_token)
        .await;
    assert_eq!(job_role["me"]["jobRole"]["name"], "Caseworker (demo)");
    // The account has no password: nobody can sign in with one.
    let by_password = app
        .try_login("nina.new@demo.govskills.test", "a long enough password")
        .await;
    assert_error(&by_password, "UNAUTHENTICATED", None);

    // HR sees her at once.
    let hr = app.login(HR, PASSWORD).await;
    let found = app
        .ok(
            "{ users(filter: { search: \"nina\" }) { edges { node { displayName } } } }",
            json!({}),
            &hr,
        )
        .await;
    assert_eq!(
        found["users"]["edges"][0]["node"]["displayName"],
        "Nina Newcomer"
    );
}

#[tokio::test]
async fn sign_ins_the_provider_cannot_vouch_for_are_refused() {
    let setup = setup(provider_input(), accounts()).await;
    let app = &setup.app;
    let users = app.count("users").await;

    // Another domain, and accounts are not created: the page says whom to ask.
    let stranger = sign_in(app, &setup.provider_id, "stranger", &app.url("/")).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    assert!(stranger.body.contains("administrator"), "{}", stranger.body);
    assert!(stranger.token.is_none());
    // An email the provider did not verify is not linked to the account that has it.
    let unverified = sign_in(app, &setup.provider_id, "unverified", &app.url("/")).await;
    assert_eq!(unverified.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("user_identities").await, 0);

    // No open redirect.
    let elsewhere = sign_in(app, &setup.provider_id, "lena", "https://evil.example/").await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    assert!(elsewhere.body.contains("returnTo"), "{}", elsewhere.body);
    // An unknown provider.
    let unknown = sign_in(
        app,
        "00000000-0000-0000-0000-000000000000",
        "lena",
        &app.url("/"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // A disabled account cannot sign in through the provider either.
    let lena = user_id(app, &app.login(LEARNER1, PASSWORD).await).await;
    app.ok(
        "mutation($id: ID!) { updateUser(userId: $id, input: { status: DISABLED }) { id } }",
        json!({ "id": lena }),
        &setup.admin,
    )
    .await;
    let disabled = sign_in(app, &setup.provider_id, "lena", &app.url("/")).await;
    assert_eq!(disabled.status, StatusCode::FORBIDDEN);
    assert!(disabled.body.contains("disabled"), "{}", disabled.body);
    assert!(disabled.token.is_none());
}

#[tokio::test]
async fn a_key_rotated_at_the_provider_is_fetched_again() {
    let mut setup = setup(provider_input(), accounts()).await;
    let return_to = setup.app.url("/");
    let first = sign_in(&setup.app, &setup.provider_id, "lena", &return_to).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    // A restart generates new signing keys; GovSkills still holds the old ones.
    let port = setup.provider.port;
    let callback = setup
        .app
        .url(&format!("/auth/oidc/{}/callback", setup.provider_id));
    let kids = |jwks: Value| -> Vec<Value> {
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|key| key["kid"].clone())
            .collect()
    };
    let jwks = format!("{}/jwks", setup.provider.issuer());
    let before = kids(
        reqwest::get(&jwks)
            .await
            .expect("jwks")
            .json()
            .await
            .expect("JSON"),
    );
    setup.provider.stop();
    setup.provider = TestProvider::start(port, &[callback], &accounts()).await;
    let after = kids(
        reqwest::get(&jwks)
            .await
            .expect("jwks")
            .json()
            .await
            .expect("JSON"),
    );
    assert_ne!(before, after, "the provider signs with a new key");
    let second = sign_in(&setup.app, &setup.provider_id, "lena", &return_to).await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);
    assert!(second.token.is_some());
}

#[tokio::test]
async fn sign_in_options_and_password_sign_in_follow_the_authority() {
    let mut input = provider_input();
    input["passwordSignIn"] = json!(false);
    let setup = setup(input, accounts()).await;
    let app = &setup.app;
    let options = "query($email: String!) { signInOptions(email: $email) {
        passwordAllowed providers { id name startUrl } } }";
    let anonymous = app
        .gql(
            options,
            json!({ "email": "Someone@Demo.GovSkills.test" }),
            None,
        )
        .await;
    let found = &anonymous["data"]["signInOptions"];
    assert_eq!(found["passwordAllowed"], false, "{anonymous}");
    assert_eq!(found["providers"][0]["id"], setup.provider_id.as_str());
    assert_eq!(
        found["providers"][0]["startUrl"],
        app.url(&format!("/auth/oidc/{}/start", setup.provider_id))
    );
    let other = app
        .gql(options, json!({ "email": "someone@elsewhere.test" }), None)
        .await;
    assert_eq!(
        other["data"]["signInOptions"],
        json!({ "passwordAllowed": true, "providers": [] })
    );

    // The password is right, but the authority signs in through its provider.
    let refused = app.try_login(LEARNER1, PASSWORD).await;
    assert_error(&refused, "FORBIDDEN", None);
    // People of other authorities are not affected.
    let other_unit = app.create_authority(&setup.admin, "Other authority").await;
    app.create_user(&setup.admin, "olga@other.test", &other_unit)
        .await;
    app.login("olga@other.test", "a long enough password").await;
}

#[tokio::test]
async fn only_the_authoritys_administrators_configure_its_providers() {
    let setup = setup(provider_input(), accounts()).await;
    let app = &setup.app;
    let create = "mutation($input: CreateIdentityProviderInput!) {
        createIdentityProvider(input: $input) { id } }";
    let ministry = app
        .org_unit_id(&setup.admin, "Ministry of Digital Affairs (demo)")
        .await;
    let department = app
        .org_unit_id(&setup.admin, "Department of Citizen Services")
        .await;
    let valid = json!({ "orgUnitId": ministry, "name": "Second", "issuerUrl": "https://login.example.org/tenant",
        "clientId": "c", "clientSecret": "s", "emailDomains": ["second.example"] });
    let with = |field: &str, value: Value| {
        let mut input = valid.clone();
        input[field] = value;
        json!({ "input": input })
    };
    let providers = app.count("identity_providers").await;

    for email in [HR, LEARNER1] {
        let token = app.login(email, PASSWORD).await;
        assert_error(
            &app.gql(create, json!({ "input": valid }), Some(&token))
                .await,
            "FORBIDDEN",
            None,
        );
    }
    for (variables, field) in [
        (with("orgUnitId", json!(department)), "orgUnitId"),
        (with("orgUnitId", json!("x")), "orgUnitId"),
        (
            with("issuerUrl", json!("ftp://login.example.org")),
            "issuerUrl",
        ),
        (
            with("issuerUrl", json!("http://login.example.org")),
            "issuerUrl",
        ),
        (
            with("issuerUrl", json!("https://login.example.org/?tenant=1")),
            "issuerUrl",
        ),
        (with("name", json!("")), "name"),
        (with("clientSecret", json!("  ")), "clientSecret"),
        (
            with("emailDomains", json!(["not a domain"])),
            "emailDomains",
        ),
        (with("scopes", json!(["e\"vil"])), "scopes"),
        (with("orgUnitClaim", json!("no spaces")), "orgUnitClaim"),
    ] {
        assert_error(
            &app.gql(create, variables, Some(&setup.admin)).await,
            "BAD_USER_INPUT",
            Some(field),
        );
    }
    // A domain signs in through one provider at most.
    assert_error(
        &app.gql(
            create,
            with("emailDomains", json!(["demo.govskills.test"])),
            Some(&setup.admin),
        )
        .await,
        "CONFLICT",
        Some("emailDomains"),
    );
    // So is a second provider of the same name in the authority (a repeated call).
    assert_error(
        &app.gql(
            create,
            with("name", json!("Demo ministry (test provider)")),
            Some(&setup.admin),
        )
        .await,
        "CONFLICT",
        Some("name"),
    );
    assert_eq!(app.count("identity_providers").await, providers);

    // Another authority's administrator neither sees nor changes it.
    let other = app.create_authority(&setup.admin, "Other authority").await;
    let other_admin = app
        .person_with_role(&setup.admin, &other, "admin@other.test", "ADMIN")
        .await;
    let listed = app
        .ok("{ identityProviders { id } }", json!({}), &other_admin)
        .await;
    assert_eq!(listed["identityProviders"], json!([]));
    let update = "mutation($id: ID!) { updateIdentityProvider(id: $id, input: { name: \"Mine\" }) { name } }";
    assert_error(
        &app.gql(
            update,
            json!({ "id": setup.provider_id }),
            Some(&other_admin),
        )
        .await,
        "NOT_FOUND",
        None,
    );
    // The secret is never shown back.
    let own = app
        .ok(
            &format!("{{ identityProviders {{ {PROVIDER_FIELDS} }} }}"),
            json!({}),
            &setup.admin,
        )
        .await;
    assert!(!own.to_string().contains(CLIENT_SECRET));
    assert_eq!(
        own["identityProviders"][0]["name"],
        "Demo ministry (test provider)"
    );
    let changed = app
        .ok(update, json!({ "id": setup.provider_id }), &setup.admin)
        .await;
    assert_eq!(changed["updateIdentityProvider"]["name"], "Mine");
}

#[tokio::test]
async fn an_expired_id_token_or_a_wrong_nonce_starts_no_session() {
    for (env, why) in [
        (("CLOCK_BEHIND_SECONDS", "7200"), "Expired"),
        (("WRONG_NONCE", "1"), "Invalid nonce"),
    ] {
        let mut setup = setup(provider_input(), accounts()).await;
        let callback = setup
            .app
            .url(&format!("/auth/oidc/{}/callback", setup.provider_id));
        let port = setup.provider.port;
        setup.provider.stop();
        setup.provider = TestProvider::start_with(port, &[callback], &accounts(), &[env]).await;
        let landed = sign_in(&setup.app, &setup.provider_id, "lena", &setup.app.url("/")).await;
        assert_eq!(
            landed.status,
            StatusCode::BAD_REQUEST,
            "{env:?}: {}",
            landed.body
        );
        assert!(
            landed.body.contains("ID token was refused"),
            "{env:?}: {}",
            landed.body
        );
        assert!(landed.body.contains(why), "{env:?}: {}", landed.body);
        assert!(landed.token.is_none(), "{env:?}");
        assert_eq!(setup.app.count("user_identities").await, 0);
    }
}

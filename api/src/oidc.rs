//! Signing in through an authority's OpenID Connect provider: the authorization code flow with
//! PKCE, by the `openidconnect` crate (discovery, the token request, ID-token validation: its
//! signature against the provider's keys, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`, and only
//! asymmetric algorithms). The domain ([`govskills_domain::identity`]) decides who the verified
//! person is.
//!
//! `start` keeps `state` (the key), the nonce, the PKCE verifier and where to return in the
//! session store for [`PENDING_TTL`]; `callback` takes them back once, so a callback cannot be
//! replayed. Providers' metadata (with their keys) is cached for [`METADATA_TTL`], and fetched
//! again at once when an ID token's signature does not verify against it (a key rotated at the
//! provider).

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use govskills_domain::{
    entities::{identity_provider, user},
    identity::{self, SecretKey, SecretSealer, SignInClaims},
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _,
    core::{
        CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm,
        CoreProviderMetadata,
    },
};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::{
    context::Services,
    error::{ApiError, Code},
};

/// How long a started sign-in waits for its callback.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// How long a provider's discovered metadata and keys are used before they are fetched again.
pub const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The signature algorithms an ID token may use: asymmetric ones only (never `none`, never an
/// HMAC keyed with the client secret).
const ALGORITHMS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// A client built from discovered metadata: the authorization endpoint is set, the token and
/// user-info endpoints may be.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A sign-in waiting for its callback.
#[derive(Serialize, Deserialize)]
struct Pending {
    provider_id: Uuid,
    nonce: String,
    pkce_verifier: String,
    return_to: String,
}

/// What went wrong talking to a provider over HTTP.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

pub struct Oidc {
    sealer: SecretSealer,
    public_url: Url,
    /// Where a sign-in may return to: the public URL's origin and the web clients' origins.
    return_origins: Vec<url::Origin>,
    /// Follows no redirects (as `openidconnect` asks, against SSRF through a provider).
    http: reqwest::Client,
    metadata: Mutex<HashMap<Uuid, (CoreProviderMetadata, Instant)>>,
}

impl Oidc {
    pub fn new(
        secret_key: Option<SecretKey>,
        production: bool,
        public_url: &str,
        web_origins: &[String],
    ) -> anyhow::Result<Self> {
        let public_url = Url::parse(public_url)
            .map_err(|err| anyhow::anyhow!("GOVSKILLS_PUBLIC_URL is not a URL: {err}"))?;
        let mut return_origins = vec![public_url.origin()];
        for origin in web_origins {
            if let Ok(url) = Url::parse(origin) {
                return_origins.push(url.origin());
            }
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            sealer: SecretSealer::new(secret_key, production),
            public_url,
            return_origins,
            http,
            metadata: Mutex::default(),
        })
    }

    /// How providers' client secrets are sealed and opened.
    pub fn sealer(&self) -> &SecretSealer {
        &self.sealer
    }

    /// Where a provider sends the person back: the redirect URI to register there.
    pub fn callback_url(&self, provider_id: Uuid) -> String {
        self.join(&format!("/auth/oidc/{provider_id}/callback"))
    }

    /// Where a client starts a sign-in through the provider.
    pub fn start_url(&self, provider_id: Uuid) -> String {
        self.join(&format!("/auth/oidc/{provider_id}/start"))
    }

    fn join(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_str().trim_end_matches('/'))
    }

    /// `returnTo`, if it is on an allowed origin (no open redirect); the public URL when absent.
    pub fn return_to(&self, raw: Option<&str>) -> Result<String, ApiError> {
        let Some(raw) = raw else {
            return Ok(self.public_url.to_string());
        };
        let url = Url::parse(raw)
            .map_err(|_| ApiError::bad_input("returnTo", "returnTo must be an absolute URL"))?;
        if self.return_origins.contains(&url.origin()) {
            Ok(url.to_string())
        } else {
            Err(ApiError::bad_input(
                "returnTo",
                "returnTo must be on GovSkills' public URL or an allowed web-client origin",
            ))
        }
    }

    /// The HTTP client `openidconnect` calls: each request an owned future on a clone of ours.
    fn http_client(
        &self,
    ) -> impl Fn(
        HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'static>,
    > + use<> {
        let http = self.http.clone();
        move |request| Box::pin(send(http.clone(), request))
    }

    /// The provider's end-session endpoint (RP-initiated logout) with our client id and where to
    /// come back to, if its discovery document names one. Read from the document itself, since
    /// the crate's core metadata does not carry it.
    pub async fn end_session_url(
        &self,
        provider: &identity_provider::Model,
        return_to: String,
    ) -> Result<Option<String>, ApiError> {
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer_url);
        let document: serde_json::Value = self
            .http
            .get(&discovery)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|err| unreachable_provider(provider, &err.to_string()))?
            .json()
            .await
            .map_err(|err| unreachable_provider(provider, &err.to_string()))?;
        let Some(endpoint) = document
            .get("end_session_endpoint")
            .and_then(serde_json::Value::as_str)
            .and_then(|endpoint| Url::parse(endpoint).ok())
        else {
            return Ok(None);
        };
        let mut url = endpoint;
        url.query_pairs_mut()
            .append_pair("client_id", &provider.client_id)
            .append_pair("post_logout_redirect_uri", &return_to);
        Ok(Some(url.to_string()))
    }

    /// The provider's metadata and keys: cached, or discovered now (`fresh`: always now).
    async fn metadata(
        &self,
        provider: &identity_provider::Model,
        fresh: bool,
    ) -> Result<CoreProviderMetadata, ApiError> {
        if !fresh {
            let cached = self
                .metadata
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&provider.id)
                .filter(|(_, at)| at.elapsed() < METADATA_TTL)
                .map(|(metadata, _)| metadata.clone());
            if let Some(metadata) = cached {
                return Ok(metadata);
            }
        }
        let issuer = IssuerUrl::new(provider.issuer_url.clone())
            .map_err(|_| unreachable_provider(provider, "its issuer URL is invalid"))?;
        let client = self.http_client();
        let metadata = CoreProviderMetadata::discover_async(issuer, &client)
            .await
            .map_err(|err| unreachable_provider(provider, &err.to_string()))?;
        self.metadata
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(provider.id, (metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    fn client(
        &self,
        provider: &identity_provider::Model,
        metadata: CoreProviderMetadata,
    ) -> Result<Client, ApiError> {
        let secret = self.sealer.open(provider)?;
        let redirect = RedirectUrl::new(self.callback_url(provider.id))
            .map_err(|err| ApiError::internal(&anyhow::anyhow!("bad callback URL: {err}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(secret)),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in through `provider_id`: the provider's authorization URL to redirect to.
    pub async fn start(
        &self,
        services: &Services,
        provider_id: Uuid,
        return_to: String,
    ) -> Result<String, ApiError> {
        let provider = identity::find_provider(&services.db, provider_id).await?;
        let metadata = self.metadata(&provider, false).await?;
        let client = self.client(&provider, metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in provider.scopes.split(' ').filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, state, nonce) = request.url();
        let pending = Pending {
            provider_id,
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
        };
        let pending = serde_json::to_string(&pending)
            .map_err(|err| ApiError::internal(&anyhow::Error::new(err)))?;
        services
            .sessions
            .stash(&pending_key(state.secret()), &pending, PENDING_TTL)
            .await?;
        Ok(url.to_string())
    }

    /// Finishes a sign-in: takes the pending sign-in `state` names (once), exchanges the code,
    /// verifies the ID token and finds the person. Returns them and where to send them.
    pub async fn callback(
        &self,
        services: &Services,
        provider_id: Uuid,
        code: &str,
        state: &str,
    ) -> Result<(user::Model, String), ApiError> {
        let expired = || {
            ApiError::bad_input(
                "state",
                "this sign-in has expired or was already used: start again",
            )
        };
        let pending = services
            .sessions
            .take(&pending_key(state))
            .await?
            .ok_or_else(expired)?;
        let pending: Pending = serde_json::from_str(&pending).map_err(|_| expired())?;
        if pending.provider_id != provider_id {
            return Err(expired());
        }
        let provider = identity::find_provider(&services.db, provider_id).await?;
        let metadata = self.metadata(&provider, false).await?;
        let client = self.client(&provider, metadata)?;
        let http = self.http_client();
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|err| unreachable_provider(&provider, &err.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&http)
            .await
            .map_err(|err| {
                tracing::warn!(provider = %provider.id, error = %err, "the code exchange failed");
                ApiError::bad_input(
                    "code",
                    "the identity provider did not accept this sign-in: start again",
                )
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| ApiError::bad_input("code", "the identity provider sent no ID token"))?;
        let nonce = Nonce::new(pending.nonce);
        let claims = match verify(&client, id_token, &nonce, &provider) {
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                // A key the cached set does not hold: the provider may have rotated its keys.
                let metadata = self.metadata(&provider, true).await?;
                let client = self.client(&provider, metadata)?;
                verify(&client, id_token, &nonce, &provider)
            }
            other => other,
        }
        .map_err(|err| {
            tracing::warn!(provider = %provider.id, error = %err, "an ID token was refused");
            ApiError::bad_input("id_token", format!("the ID token was refused: {err}"))
        })?;
        let user = identity::resolve_sign_in(&services.db, &provider, &claims).await?;
        Ok((user, pending.return_to))
    }
}

/// Sends one of `openidconnect`'s requests with our client (which follows no redirects).
async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|err| HttpError(err.to_string()))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|err| HttpError(err.to_string()))?;
    let mut answer = HttpResponse::new(body.to_vec());
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

fn pending_key(state: &str) -> String {
    format!("oidc:{state}")
}

fn unreachable_provider(provider: &identity_provider::Model, why: &str) -> ApiError {
    tracing::warn!(provider = %provider.id, issuer = %provider.issuer_url, why, "identity provider unavailable");
    ApiError::new(
        Code::Unavailable,
        format!(
            "the identity provider {} cannot be reached; try again later",
            provider.name
        ),
    )
}

/// Verifies the ID token and reads what the domain needs from it. The org-unit claim may be one
/// the standard claims do not know: it is read from the token's payload, whose signature was
/// verified just before.
fn verify(
    client: &Client,
    id_token: &CoreIdToken,
    nonce: &Nonce,
    provider: &identity_provider::Model,
) -> Result<SignInClaims, ClaimsVerificationError> {
    let org_unit_claim = provider.org_unit_claim.as_deref();
    let job_role_claim = provider.job_role_claim.as_deref();
    let verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS);
    let claims = id_token.claims(&verifier, nonce)?;
    let payload: serde_json::Value = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    Ok(SignInClaims {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_owned()),
        org_unit: text_claim(&payload, org_unit_claim),
        job_role: text_claim(&payload, job_role_claim),
    })
}

/// A claim's value as text (a string, or a number such as a cost-centre code).
fn text_claim(payload: &serde_json::Value, claim: Option<&str>) -> Option<String> {
    match payload.get(claim?)? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

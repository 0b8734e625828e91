//! A thin GraphQL-over-HTTP client: one pooled connection set shared by every worker.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use url::Url;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
}

/// The outcome of one timed request: its latency and whether it failed (transport error, a
/// status other than 200, or a GraphQL `errors` list).
pub struct Timed<T> {
    pub elapsed: Duration,
    pub result: anyhow::Result<T>,
}

impl Client {
    pub fn new(base: Url, concurrency: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency.max(1) * 2)
            .timeout(Duration::from_secs(300))
            .build()
            .context("failed to build the HTTP client")?;
        Ok(Self { http, base })
    }

    pub fn url(&self, path: &str) -> anyhow::Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("bad path {path}"))
    }

    /// Runs a GraphQL operation and times it, to the last byte of the body.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Timed<Value> {
        let started = Instant::now();
        let result = self.gql_inner(query, variables, token).await;
        Timed {
            elapsed: started.elapsed(),
            result,
        }
    }

    async fn gql_inner(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(self.url("graphql")?)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.context("request failed")?;
        let status = response.status();
        let body: Value = response.json().await.context("no JSON body")?;
        if !status.is_success() {
            bail!("HTTP {status}: {body}");
        }
        if let Some(errors) = body.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }

    /// A GraphQL operation during preparation: untimed, and its failure stops the run.
    pub async fn ok(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        self.gql(query, variables, token)
            .await
            .result
            .with_context(|| format!("preparing: {}", first_words(query)))
    }

    /// A GET, timed to the last byte; a status other than 200 is a failure.
    pub async fn get(&self, path: &str) -> Timed<usize> {
        let started = Instant::now();
        let result = async {
            let response = self.http.get(self.url(path)?).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            if !status.is_success() {
                bail!("HTTP {status} for {path}");
            }
            Ok(body.len())
        }
        .await;
        Timed {
            elapsed: started.elapsed(),
            result,
        }
    }

    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        let response = self.http.get(self.url("metrics")?).send().await?;
        if !response.status().is_success() {
            bail!("/metrics answered {}", response.status());
        }
        Ok(response.text().await?)
    }

    /// Signs in and returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let data = self
            .ok(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": password }),
                None,
            )
            .await
            .with_context(|| format!("signing in as {email}"))?;
        str_at(&data, &["login", "token"])
    }
}

fn first_words(query: &str) -> String {
    query
        .split_whitespace()
        .take(6)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The string at `path` in a JSON value.
pub fn str_at(value: &Value, path: &[&str]) -> anyhow::Result<String> {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    at.as_str()
        .map(str::to_owned)
        .with_context(|| format!("no string at {} in {value}", path.join(".")))
}

//! What the HTTP handlers share.

use std::sync::Arc;

use crate::{context::Services, graphql::Api};

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    /// The schema, built once at start-up.
    pub api: Arc<Api>,
    pub production: bool,
    pub cors_origins: Arc<Vec<String>>,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// What the accessibility statement names: feedback contact and enforcement body.
    pub accessibility: Arc<crate::accessibility::Accessibility>,
    /// Catalogue answers kept to give again while the catalogue has not changed.
    pub answers: Arc<crate::http::answers::Answers>,
}

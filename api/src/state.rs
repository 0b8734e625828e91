//! What the HTTP handlers share.

use std::sync::Arc;

use crate::{context::Services, graphql::AppSchema};

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    /// Built once at start-up; cloning is cheap (an `Arc`).
    pub schema: AppSchema,
    pub production: bool,
    pub cors_origins: Arc<Vec<String>>,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// What the accessibility statement names: feedback contact and enforcement body.
    pub accessibility: Arc<crate::accessibility::Accessibility>,
}

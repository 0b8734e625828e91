//! What the HTTP handlers, the GraphQL resolvers and the throttles share: the services every
//! request may use, and who is calling this time.

use std::{net::IpAddr, sync::Arc, time::Duration};

use govskills_domain::{auth::Actor, credentials::IssuerSource};
use sea_orm::DatabaseConnection;

use crate::{
    session::{SessionStore, TokenHash},
    verify_throttle::VerifyThrottle,
};

/// Shared by all requests; attached to the schema once at start-up.
#[derive(Clone)]
pub struct Services {
    /// The primary: every write, and every read that must see the writes before it.
    pub db: DatabaseConnection,
    /// Where the catalogue and the reports read: the read replica
    /// (`GOVSKILLS_DATABASE_READ_URL`), which may lag the primary by seconds, else the primary.
    pub read_db: DatabaseConnection,
    pub sessions: Arc<dyn SessionStore>,
    /// Mark cookies `Secure` (production).
    pub secure_cookies: bool,
    pub session_lifetime: Duration,
    /// How long DataLoaders collect keys before they query.
    pub batch_window: Duration,
    /// The platform's default minimum group size of reports (0: off), for authorities without
    /// their own ([`govskills_domain::privacy::policy`]).
    pub report_min_group_size: u32,
    /// Signs certificates' credentials; knows the public base URL.
    pub issuer: Arc<IssuerSource>,
    /// Certificate verifications per client address (`GOVSKILLS_VERIFY_RATE_LIMIT` a minute).
    pub verify_throttle: Arc<VerifyThrottle>,
    /// Sign-in through identity providers: the secret key, the allowed return origins, the
    /// providers' discovered metadata.
    pub oidc: Arc<crate::oidc::Oidc>,
}

/// This request: who is calling and from where.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub client_ip: Option<IpAddr>,
    /// The session the request came with, if it is live.
    pub session: Option<TokenHash>,
    /// The signed-in user, loaded afresh for this request (so role changes apply at once).
    pub actor: Option<Actor>,
}

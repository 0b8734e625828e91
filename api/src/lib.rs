//! The GovSkills service: configuration, command line, HTTP server, GraphQL API and sessions.
//! `main.rs` is a thin wrapper around [`cli::run`]; the black-box tests start the same
//! [`startup::Application`].

pub mod accessibility;
pub mod cli;
pub mod config;
pub mod context;
pub mod cookie;
pub mod error;
pub mod graphql;
pub mod http;
pub mod login_throttle;
pub mod mailer;
pub mod metrics;
pub mod oidc;
pub mod session;
pub mod sign_in;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod verify_throttle;
pub mod worker;

//! Black-box tests of the GovSkills API: each starts the real server on port 0 with its own
//! database and speaks GraphQL over HTTP. See `helpers.rs` for how backends are chosen.

mod accounts;
mod assessment_versions;
mod assessments;
mod audit_trail;
mod certificate_admin;
mod certificates;
mod courses;
mod demo;
mod frameworks;
mod hardening;
mod helpers;
mod issuer_keys;
mod job_roles;
mod key_compromise;
mod learning;
mod lookups;
mod oidc;
mod operations;
mod org_units;
mod outages;
mod people;
mod person_pages;
mod query_cost;
mod readme;
mod redis_tls;
mod reports;
mod schema;
mod scim;
mod sessions;
mod sign_in;
mod transport;

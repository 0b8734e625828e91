//! SeaORM entities: the tables as the database sees them. They never leave the domain's API
//! boundary as GraphQL types; the API maps them into its own types.

pub mod audit_event;
pub mod org_unit;
pub mod role_grant;
pub mod user;

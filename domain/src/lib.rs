//! GovSkills' business: entities, rules and services.
//!
//! This crate knows nothing of GraphQL, HTTP or Redis. Every service takes the database connection
//! and, where the action needs one, the [`auth::Actor`] performing it, and decides itself whether
//! that actor may touch the rows involved. Callers map [`Error`] to their own boundary's errors.

#[macro_use]
mod batch;

pub mod accounts;
pub mod ai_register;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod certificates;
pub mod clock;
pub mod competences;
pub mod courses;
pub mod credentials;
pub mod db;
pub mod demo;
pub mod entities;
mod error;
pub mod identity;
pub mod job_roles;
pub mod jobs;
pub mod learning;
pub mod markdown;
pub mod notifications;
pub mod org;
pub mod password;
pub mod people;
pub mod privacy;
pub mod provisioning;
pub mod reports;
pub mod rollouts;
pub mod scale;
pub mod search;
pub mod types;

pub use error::{DbResultExt, Error, Result};

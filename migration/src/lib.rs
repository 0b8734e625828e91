//! Database migrations for GovSkills. Every migration runs unchanged on SQLite and PostgreSQL.
//!
//! Migrations are append-only: a released migration is never edited, a change is a new one.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_accounts;
mod m20261127_000002_competences;
mod m20261127_000003_courses;
mod m20261127_000004_learning;
mod m20261127_000005_assessments;
mod m20261127_000006_certificates;
mod m20261127_000007_competence_levels;
mod m20261201_000008_certificate_holder_name;
mod m20261201_000009_course_search_text;
mod m20261201_000010_certificate_signing_kid;

/// Every migration of GovSkills, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_accounts::Migration),
            Box::new(m20261127_000002_competences::Migration),
            Box::new(m20261127_000003_courses::Migration),
            Box::new(m20261127_000004_learning::Migration),
            Box::new(m20261127_000005_assessments::Migration),
            Box::new(m20261127_000006_certificates::Migration),
            Box::new(m20261127_000007_competence_levels::Migration),
            Box::new(m20261201_000008_certificate_holder_name::Migration),
            Box::new(m20261201_000009_course_search_text::Migration),
            Box::new(m20261201_000010_certificate_signing_kid::Migration),
        ]
    }
}

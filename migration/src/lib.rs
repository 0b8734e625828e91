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
mod m20261201_000011_certificate_template_archived_at;
mod m20261201_000012_user_search_text;
mod m20261201_000013_audit_event_scope;
mod m20261201_000014_assessment_versions;
mod m20261201_000015_provisioning;
mod m20261201_000016_identity_providers;
mod m20261201_000017_issuer_profiles;
mod m20261201_000018_ai_register;
mod m20261206_000019_certificate_ai_systems;
mod m20261206_000020_rollouts;
mod m20261206_000021_notifications;
mod m20261206_000022_privacy_policies;
mod m20261206_000023_skill_gap_counts;
mod m20261206_000024_skill_gap_totals;
mod m20261206_000025_ai_literacy_people;
mod m20261206_000026_catalogue_version;
mod search_text;

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
            Box::new(m20261201_000011_certificate_template_archived_at::Migration),
            Box::new(m20261201_000012_user_search_text::Migration),
            Box::new(m20261201_000013_audit_event_scope::Migration),
            Box::new(m20261201_000014_assessment_versions::Migration),
            Box::new(m20261201_000015_provisioning::Migration),
            Box::new(m20261201_000016_identity_providers::Migration),
            Box::new(m20261201_000017_issuer_profiles::Migration),
            Box::new(m20261201_000018_ai_register::Migration),
            Box::new(m20261206_000019_certificate_ai_systems::Migration),
            Box::new(m20261206_000020_rollouts::Migration),
            Box::new(m20261206_000021_notifications::Migration),
            Box::new(m20261206_000022_privacy_policies::Migration),
            Box::new(m20261206_000023_skill_gap_counts::Migration),
            Box::new(m20261206_000024_skill_gap_totals::Migration),
            Box::new(m20261206_000025_ai_literacy_people::Migration),
            Box::new(m20261206_000026_catalogue_version::Migration),
        ]
    }
}

/// What the migrations' own tests share: a fresh database, and the rows a certificate needs
/// (written as the tables stood when those migrations shipped).
#[cfg(test)]
mod test_support {
    use sea_orm_migration::{prelude::*, sea_orm::DatabaseConnection};
    use uuid::Uuid;

    /// A fresh database: on the PostgreSQL server `GOVSKILLS_TEST_DATABASE_URL` names when it
    /// is set (as the black-box tests do), else SQLite in memory.
    pub async fn fresh_database() -> DatabaseConnection {
        use sea_orm_migration::sea_orm::Database;

        let url = match std::env::var("GOVSKILLS_TEST_DATABASE_URL") {
            Ok(server) => {
                let name = format!("govskills_test_{}", Uuid::now_v7().simple());
                let admin = Database::connect(server.as_str())
                    .await
                    .expect("a reachable PostgreSQL server");
                admin
                    .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
                    .await
                    .expect("a test database");
                admin.close().await.expect("closed");
                let (base, _) = server.rsplit_once('/').expect("a URL ending in /DATABASE");
                format!("{base}/{name}")
            }
            Err(_) => "sqlite::memory:".to_owned(),
        };
        Database::connect(url.as_str()).await.expect("connected")
    }

    /// An org unit, a holder named `display_name` in it, and a certificate template: (holder,
    /// template).
    pub async fn holder_and_template(
        db: &impl ConnectionTrait,
        display_name: &str,
    ) -> (Uuid, Uuid) {
        let now = chrono::Utc::now();
        let (unit, user, template) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let statements = [
            Query::insert()
                .into_table(Alias::new("org_units"))
                .columns(["id", "name", "path", "depth", "created_at"].map(Alias::new))
                .values_panic([
                    unit.into(),
                    "Ministry".into(),
                    format!("/{}/", unit.simple()).into(),
                    0.into(),
                    now.into(),
                ])
                .to_owned(),
            Query::insert()
                .into_table(Alias::new("users"))
                .columns(
                    [
                        "id",
                        "email",
                        "display_name",
                        "password_hash",
                        "org_unit_id",
                        "status",
                        "created_at",
                        "updated_at",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    user.into(),
                    "lena@example.test".into(),
                    display_name.into(),
                    "x".into(),
                    unit.into(),
                    "active".into(),
                    now.into(),
                    now.into(),
                ])
                .to_owned(),
            Query::insert()
                .into_table(Alias::new("certificate_templates"))
                .columns(
                    [
                        "id",
                        "title",
                        "description",
                        "issuer_name",
                        "attests_ai_literacy",
                        "created_at",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    template.into(),
                    "AI".into(),
                    "AI".into(),
                    "Ministry".into(),
                    false.into(),
                    now.into(),
                ])
                .to_owned(),
        ];
        for statement in &statements {
            db.execute(statement).await.expect("arranged");
        }
        (user, template)
    }
}

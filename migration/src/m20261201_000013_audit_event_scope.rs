//! `audit_events.subject_user_id` (the person an event is about) and `audit_events.org_unit_id`
//! (the unit it belongs to: the subject's unit, or the unit of the course, question, assessment,
//! template, job role or org unit it concerns), so that an administrator reads the audit trail
//! of their units and can filter it by person. Existing events are filled in from their target
//! as the tables stand; events about platform-wide things (frameworks, competences, signing
//! keys) belong to no unit.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Target types whose subject is a person reached through a table's `user_id`.
const PERSON_TABLES: [(&str, &str); 3] = [
    ("enrollment", "enrollments"),
    ("attempt", "attempts"),
    ("certificate", "certificates"),
];

/// Target types that belong to the unit in a table's `org_unit_id`.
const UNIT_TABLES: [(&str, &str); 5] = [
    ("course", "courses"),
    ("question", "questions"),
    ("assessment", "assessments"),
    ("certificate_template", "certificate_templates"),
    ("job_role", "job_roles"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [AuditEvents::SubjectUserId, AuditEvents::OrgUnitId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .add_column(uuid_null(column))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE audit_events SET subject_user_id = target_id WHERE target_type = 'user'",
        )
        .await?;
        for (target_type, table) in PERSON_TABLES {
            db.execute_unprepared(&format!(
                "UPDATE audit_events SET subject_user_id = \
                 (SELECT user_id FROM {table} WHERE {table}.id = audit_events.target_id) \
                 WHERE target_type = '{target_type}'"
            ))
            .await?;
        }
        db.execute_unprepared(
            "UPDATE audit_events SET org_unit_id = \
             (SELECT org_unit_id FROM users WHERE users.id = audit_events.subject_user_id) \
             WHERE subject_user_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE audit_events SET org_unit_id = target_id WHERE target_type = 'org_unit'",
        )
        .await?;
        for (target_type, table) in UNIT_TABLES {
            db.execute_unprepared(&format!(
                "UPDATE audit_events SET org_unit_id = \
                 (SELECT org_unit_id FROM {table} WHERE {table}.id = audit_events.target_id) \
                 WHERE target_type = '{target_type}'"
            ))
            .await?;
        }
        for (name, columns) in [
            (
                "ix_audit_events_created",
                [AuditEvents::CreatedAt, AuditEvents::Id],
            ),
            (
                "ix_audit_events_unit",
                [AuditEvents::OrgUnitId, AuditEvents::CreatedAt],
            ),
            (
                "ix_audit_events_subject",
                [AuditEvents::SubjectUserId, AuditEvents::CreatedAt],
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(columns[0])
                        .col(columns[1])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "ix_audit_events_created",
            "ix_audit_events_unit",
            "ix_audit_events_subject",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(AuditEvents::Table)
                        .to_owned(),
                )
                .await?;
        }
        for column in [AuditEvents::SubjectUserId, AuditEvents::OrgUnitId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    SubjectUserId,
    OrgUnitId,
    CreatedAt,
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::sea_orm::ConnectionTrait as _;
    use uuid::Uuid;

    use super::*;
    use crate::{
        Migrator,
        test_support::{fresh_database, holder_and_template},
    };

    #[tokio::test]
    async fn existing_events_get_their_person_and_unit() {
        let db = fresh_database().await;
        Migrator::up(&db, Some(12)).await.expect("migrated to 12");
        let now = chrono::Utc::now();
        let (user, template) = holder_and_template(&db, "Lena Learner").await;
        let row = db
            .query_one(
                Query::select()
                    .column(Alias::new("org_unit_id"))
                    .from(Alias::new("users"))
                    .and_where(Expr::col(Alias::new("id")).eq(user)),
            )
            .await
            .expect("read")
            .expect("the user");
        let unit: Uuid = row.try_get("", "org_unit_id").expect("a unit");
        let (about_user, about_template, about_key) =
            (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        for (id, target_type, target_id) in [
            (about_user, "user", Some(user)),
            (about_template, "certificate_template", Some(template)),
            (about_key, "issuer_key", None),
        ] {
            let insert = Query::insert()
                .into_table(Alias::new("audit_events"))
                .columns(
                    [
                        "id",
                        "action",
                        "target_type",
                        "target_id",
                        "details",
                        "created_at",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    id.into(),
                    "test.action".into(),
                    target_type.into(),
                    target_id.into(),
                    serde_json::json!({}).into(),
                    now.into(),
                ])
                .to_owned();
            db.execute(&insert).await.expect("an event");
        }

        Migrator::up(&db, None).await.expect("migrated");

        // The template of `holder_and_template` is platform-wide: it belongs to no unit.
        for (id, subject, org_unit) in [
            (about_user, Some(user), Some(unit)),
            (about_template, None, None),
            (about_key, None, None),
        ] {
            let row = db
                .query_one(
                    Query::select()
                        .columns([AuditEvents::SubjectUserId, AuditEvents::OrgUnitId])
                        .from(AuditEvents::Table)
                        .and_where(Expr::col(AuditEvents::Id).eq(id)),
                )
                .await
                .expect("read")
                .expect("the event");
            let found: (Option<Uuid>, Option<Uuid>) = (
                row.try_get("", "subject_user_id").expect("subject"),
                row.try_get("", "org_unit_id").expect("unit"),
            );
            assert_eq!(found, (subject, org_unit), "event about {id}");
        }
    }
}

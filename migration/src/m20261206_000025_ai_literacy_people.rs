//! Per-person AI-literacy facts (issue 21): `ai_literacy_people` holds, for every active person
//! with a job role, their unit and job role, and what their AI-literacy status is made of:
//! whether they hold an AI-literacy certificate without expiry, the latest expiry of those that
//! have one, whether HR assigned them a course such a certificate requires, and the earliest
//! due date of those assignments. So the AI-literacy report over a ministry of 100,000 counts
//! one narrow row per person instead of joining every person with their job role, certificates
//! and enrollments on each read.
//!
//! The status itself depends on the clock (a certificate expires, an assignment falls due),
//! so it is worked out when reading, from these facts and the time of the report. Whether a job
//! role uses AI systems (its flag, or a link to an AI system that is not retired) is read from
//! the job roles then as well: a handful of rows, and no trigger on the AI register.
//!
//! Triggers keep the rows, so every writer keeps them right without knowing of them
//! (certificates issued, revoked or expiring, assignments made, completed or withdrawn, job
//! roles given and taken, people moved, disabled and erased, SCIM, the data generator). Each
//! trigger works a person's row out again from the live tables; on PostgreSQL it first locks
//! the person's `users` row (`FOR NO KEY UPDATE`, as migration 000023's triggers do), so that of
//! two transactions changing the same person, the later one waits and works the row out from
//! what the earlier committed (each statement of a PL/pgSQL function sees what was committed
//! before it began). Without the lock the concurrency test of `ai_literacy_facts.rs` fails.
//! Changes to certificate templates (the AI-literacy flag, the courses required) work out
//! again the rows of everyone they concern, locking them in order.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::m20261206_000023_skill_gap_counts::{Trigger, create_triggers, drop_triggers};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The certificates of `c` that attest AI literacy and are not revoked, of the person `u`.
const CERTIFICATES: &str = "FROM certificates c \
     JOIN certificate_templates t ON t.id = c.template_id \
     WHERE c.user_id = u.id AND t.attests_ai_literacy AND c.revoked_at IS NULL";

/// The open assignments `e` of the person `u` to a course an AI-literacy certificate requires.
const ASSIGNMENTS: &str = "FROM enrollments e \
     JOIN certificate_template_courses tc ON tc.course_id = e.course_id \
     JOIN certificate_templates t ON t.id = tc.template_id \
     WHERE e.user_id = u.id AND t.attests_ai_literacy \
       AND e.source = 'assigned' AND e.status = 'active'";

/// The rows of the people selected by `people` (an SQL list or query of user ids), worked out
/// from the live tables.
fn rows(people: &str) -> String {
    format!(
        "SELECT u.id, u.org_unit_id, uj.job_role_id, \
           EXISTS (SELECT 1 {CERTIFICATES} AND c.expires_at IS NULL), \
           (SELECT MAX(c.expires_at) {CERTIFICATES}), \
           EXISTS (SELECT 1 {ASSIGNMENTS}), \
           (SELECT MIN(e.due_at) {ASSIGNMENTS}) \
         FROM users u JOIN user_job_roles uj ON uj.user_id = u.id \
         WHERE u.id IN ({people}) AND u.status = 'active'"
    )
}

const COLUMNS: &str = "user_id, org_unit_id, job_role_id, certified_forever, certified_until, \
     assigned, earliest_due";

/// The statements that work out again the rows of the people selected by `people`.
fn refresh(people: &str) -> Vec<String> {
    vec![
        format!("DELETE FROM ai_literacy_people WHERE user_id IN ({people})"),
        format!(
            "INSERT INTO ai_literacy_people ({COLUMNS}) {}",
            rows(people)
        ),
    ]
}

/// PostgreSQL's lock for a change about the people of `people`: their rows, in order.
fn lock_people(people: &str) -> String {
    format!("1 FROM users WHERE id IN ({people}) ORDER BY id FOR NO KEY UPDATE")
}

/// The person `row`.`user_id` if the enrollment `row` is an assignment that counts: to a course
/// an AI-literacy certificate requires (else the trigger changes nothing and locks nothing).
fn assigned_person(row: &str) -> String {
    format!(
        "SELECT {row}.user_id WHERE EXISTS ( \
           SELECT 1 FROM certificate_template_courses tc \
           JOIN certificate_templates t ON t.id = tc.template_id \
           WHERE tc.course_id = {row}.course_id AND t.attests_ai_literacy)"
    )
}

/// Everyone with a certificate of the template `row`.`id` or enrolled in one of its courses.
fn template_people(row: &str) -> String {
    format!(
        "SELECT c.user_id FROM certificates c WHERE c.template_id = {row}.id \
         UNION SELECT e.user_id FROM enrollments e \
           JOIN certificate_template_courses tc ON tc.course_id = e.course_id \
         WHERE tc.template_id = {row}.id"
    )
}

fn triggers() -> Vec<Trigger> {
    let trigger = |name: &str, table, when, people: String| Trigger {
        name: format!("ai_literacy_people_{name}"),
        table,
        when,
        lock: lock_people(&people),
        statements: refresh(&people),
    };
    let both = |id: &str| format!("OLD.{id}, NEW.{id}");
    vec![
        trigger(
            "person_changed",
            "users",
            "AFTER UPDATE OF status, org_unit_id",
            "NEW.id".into(),
        ),
        // Nothing deletes people today (erasure keeps a pseudonymous row); should anything do
        // so, its row goes too.
        trigger("person_deleted", "users", "AFTER DELETE", "OLD.id".into()),
        trigger(
            "role_given",
            "user_job_roles",
            "AFTER INSERT",
            "NEW.user_id".into(),
        ),
        trigger(
            "role_changed",
            "user_job_roles",
            "AFTER UPDATE",
            both("user_id"),
        ),
        trigger(
            "role_taken",
            "user_job_roles",
            "AFTER DELETE",
            "OLD.user_id".into(),
        ),
        trigger(
            "certificate_issued",
            "certificates",
            "AFTER INSERT",
            "NEW.user_id".into(),
        ),
        trigger(
            "certificate_changed",
            "certificates",
            "AFTER UPDATE OF user_id, template_id, expires_at, revoked_at",
            both("user_id"),
        ),
        trigger(
            "certificate_deleted",
            "certificates",
            "AFTER DELETE",
            "OLD.user_id".into(),
        ),
        trigger(
            "enrolled",
            "enrollments",
            "AFTER INSERT",
            assigned_person("NEW"),
        ),
        trigger(
            "enrollment_changed",
            "enrollments",
            "AFTER UPDATE OF user_id, course_id, source, status, due_at",
            format!(
                "{} UNION {}",
                assigned_person("OLD"),
                assigned_person("NEW")
            ),
        ),
        trigger(
            "unenrolled",
            "enrollments",
            "AFTER DELETE",
            assigned_person("OLD"),
        ),
        trigger(
            "template_changed",
            "certificate_templates",
            "AFTER UPDATE OF attests_ai_literacy",
            template_people("NEW"),
        ),
        trigger(
            "course_required",
            "certificate_template_courses",
            "AFTER INSERT",
            "SELECT e.user_id FROM enrollments e WHERE e.course_id = NEW.course_id".into(),
        ),
        trigger(
            "course_changed",
            "certificate_template_courses",
            "AFTER UPDATE",
            "SELECT e.user_id FROM enrollments e \
             WHERE e.course_id IN (OLD.course_id, NEW.course_id)"
                .into(),
        ),
        trigger(
            "course_dropped",
            "certificate_template_courses",
            "AFTER DELETE",
            "SELECT e.user_id FROM enrollments e WHERE e.course_id = OLD.course_id".into(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AiLiteracyPeople::Table)
                    .col(uuid(AiLiteracyPeople::UserId).primary_key())
                    .col(uuid(AiLiteracyPeople::OrgUnitId))
                    .col(uuid(AiLiteracyPeople::JobRoleId))
                    // An AI-literacy certificate, neither revoked nor with an expiry; the
                    // latest expiry of those that have one.
                    .col(boolean(AiLiteracyPeople::CertifiedForever))
                    .col(timestamp_with_time_zone_null(
                        AiLiteracyPeople::CertifiedUntil,
                    ))
                    // An open assignment of a course such a certificate requires; the
                    // earliest due date of those.
                    .col(boolean(AiLiteracyPeople::Assigned))
                    .col(timestamp_with_time_zone_null(AiLiteracyPeople::EarliestDue))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ai_literacy_people_unit")
                    .table(AiLiteracyPeople::Table)
                    .col(AiLiteracyPeople::OrgUnitId)
                    .to_owned(),
            )
            .await?;
        create_triggers(manager, triggers()).await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO ai_literacy_people ({COLUMNS}) {}",
            rows("SELECT id FROM users")
        ))
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ANALYZE ai_literacy_people").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_triggers(manager, triggers()).await?;
        manager
            .drop_table(Table::drop().table(AiLiteracyPeople::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AiLiteracyPeople {
    Table,
    UserId,
    OrgUnitId,
    JobRoleId,
    CertifiedForever,
    CertifiedUntil,
    Assigned,
    EarliestDue,
}

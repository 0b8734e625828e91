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
//! trigger selects the people a change concerns and works their rows out again from the live
//! tables (a delete and an insert). On PostgreSQL, where writers run side by side:
//!
//! - The people are selected once, into an array, which the lock, the delete and the insert
//!   share: selected again by each statement (each sees what was committed before it began),
//!   they could differ, and the insert would then meet a row the delete had left.
//! - A change about one or two people (their account, job role, certificates or enrolments)
//!   takes the table in `ROW EXCLUSIVE` mode first, which does not hold up other such changes,
//!   then locks those people's `users` rows in id order (`FOR NO KEY UPDATE`, as the triggers
//!   of migration 000023 and `db::lock_users` do): of two transactions changing the same
//!   person, the later one waits, and works the row out from what the earlier committed.
//! - A change to a certificate template (its AI-literacy flag, the courses it requires)
//!   concerns everybody with its certificates or enrolled in its courses. It takes the table in
//!   `SHARE ROW EXCLUSIVE` mode, so it waits for every transaction that has changed a row of it
//!   and holds up every other until it commits; it then selects its people, and locks none of
//!   them (nobody else can change their rows meanwhile). Enrolments in courses that no such
//!   template requires change no row, but their trigger still takes the table lock before it
//!   decides, so that a template changing at the same moment cannot miss them.
//!
//! The concurrency test of `ai_literacy_facts.rs` fails without these locks. SQLite runs one
//! writer at a time.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

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

/// One trigger: it works out again the rows of the people `people` selects (a query of user
/// ids, which may name the changed row as `NEW` and `OLD`).
struct PeopleTrigger {
    name: String,
    table: &'static str,
    when: &'static str,
    people: String,
    /// A change to a certificate template, which concerns everybody with its certificates or
    /// enrolled in its courses; else a change about one or two people.
    template: bool,
}

impl PeopleTrigger {
    /// PostgreSQL: a function and its trigger. The people are selected once, after the table
    /// lock (see the module docs), into an array that the lock, the delete and the insert share.
    fn postgres(&self) -> String {
        let Self {
            name,
            table,
            when,
            people,
            template,
        } = self;
        let (mode, lock_people) = if *template {
            ("SHARE ROW EXCLUSIVE", "")
        } else {
            (
                "ROW EXCLUSIVE",
                "PERFORM 1 FROM users WHERE id = ANY(people) ORDER BY id FOR NO KEY UPDATE;\n",
            )
        };
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
             DECLARE people uuid[];\n\
             BEGIN\n\
             LOCK TABLE ai_literacy_people IN {mode} MODE;\n\
             people := ARRAY(SELECT DISTINCT p FROM ({people}) AS chosen(p) WHERE p IS NOT NULL);\n\
             IF cardinality(people) > 0 THEN\n\
             {lock_people}\
             DELETE FROM ai_literacy_people WHERE user_id = ANY(people);\n\
             INSERT INTO ai_literacy_people ({COLUMNS}) {rows};\n\
             END IF;\n\
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n\
             RETURN NEW;\n\
             END $$;\n\
             CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();",
            rows = rows("SELECT unnest(people)"),
        )
    }

    /// SQLite (one writer at a time): the two statements, each selecting the people.
    fn sqlite(&self) -> String {
        let Self {
            name,
            table,
            when,
            people,
            ..
        } = self;
        format!(
            "CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW BEGIN\n\
             DELETE FROM ai_literacy_people WHERE user_id IN ({people});\n\
             INSERT INTO ai_literacy_people ({COLUMNS}) {rows};\n\
             END;",
            rows = rows(people),
        )
    }
}

/// The person `row`.`user_id` if the enrollment `row` is an assignment that counts: to a course
/// an AI-literacy certificate requires (else the trigger changes nothing and locks no person).
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

fn triggers() -> Vec<PeopleTrigger> {
    let person = |name: &str, table, when, people: String| PeopleTrigger {
        name: format!("ai_literacy_people_{name}"),
        table,
        when,
        people,
        template: false,
    };
    let template = |name: &str, table, when, people: String| PeopleTrigger {
        template: true,
        ..person(name, table, when, people)
    };
    let one = |id: &str| format!("SELECT {id}");
    let both = |id: &str| format!("SELECT OLD.{id} UNION SELECT NEW.{id}");
    vec![
        person(
            "person_changed",
            "users",
            "AFTER UPDATE OF status, org_unit_id",
            one("NEW.id"),
        ),
        // Nothing deletes people today (erasure keeps a pseudonymous row); should anything do
        // so, its row goes too.
        person("person_deleted", "users", "AFTER DELETE", one("OLD.id")),
        person(
            "role_given",
            "user_job_roles",
            "AFTER INSERT",
            one("NEW.user_id"),
        ),
        person(
            "role_changed",
            "user_job_roles",
            "AFTER UPDATE",
            both("user_id"),
        ),
        person(
            "role_taken",
            "user_job_roles",
            "AFTER DELETE",
            one("OLD.user_id"),
        ),
        person(
            "certificate_issued",
            "certificates",
            "AFTER INSERT",
            one("NEW.user_id"),
        ),
        person(
            "certificate_changed",
            "certificates",
            "AFTER UPDATE OF user_id, template_id, expires_at, revoked_at",
            both("user_id"),
        ),
        person(
            "certificate_deleted",
            "certificates",
            "AFTER DELETE",
            one("OLD.user_id"),
        ),
        person(
            "enrolled",
            "enrollments",
            "AFTER INSERT",
            assigned_person("NEW"),
        ),
        person(
            "enrollment_changed",
            "enrollments",
            "AFTER UPDATE OF user_id, course_id, source, status, due_at",
            format!(
                "{} UNION {}",
                assigned_person("OLD"),
                assigned_person("NEW")
            ),
        ),
        person(
            "unenrolled",
            "enrollments",
            "AFTER DELETE",
            assigned_person("OLD"),
        ),
        template(
            "template_changed",
            "certificate_templates",
            "AFTER UPDATE OF attests_ai_literacy",
            template_people("NEW"),
        ),
        template(
            "course_required",
            "certificate_template_courses",
            "AFTER INSERT",
            "SELECT e.user_id FROM enrollments e WHERE e.course_id = NEW.course_id".into(),
        ),
        template(
            "course_changed",
            "certificate_template_courses",
            "AFTER UPDATE",
            "SELECT e.user_id FROM enrollments e \
             WHERE e.course_id IN (OLD.course_id, NEW.course_id)"
                .into(),
        ),
        template(
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
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for trigger in triggers() {
            let sql = if postgres {
                trigger.postgres()
            } else {
                trigger.sqlite()
            };
            db.execute_unprepared(&sql).await?;
        }
        db.execute_unprepared(&format!(
            "INSERT INTO ai_literacy_people ({COLUMNS}) {}",
            rows("SELECT id FROM users")
        ))
        .await?;
        if postgres {
            db.execute_unprepared("ANALYZE ai_literacy_people").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for PeopleTrigger { name, table, .. } in triggers() {
            let sql = if postgres {
                format!("DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();")
            } else {
                format!("DROP TRIGGER {name};")
            };
            db.execute_unprepared(&sql).await?;
        }
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

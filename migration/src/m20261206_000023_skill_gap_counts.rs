//! Skill-gap counters (issue 21): `skill_gap_counts` holds, per org unit, required competence
//! and current level, how many of the unit's active staff with that competence required are
//! at that level, how many of them are below the level required, by how many levels in all,
//! and how many have no verified result; so that the skill-gap report over a ministry of
//! 100,000 sums about a hundred counters per unit instead of joining every person with every
//! requirement and level.
//!
//! The counters are kept by triggers, so that every writer keeps them right without knowing
//! of them (results, self-assessments, job roles and their requirements, moves between units,
//! disabling and erasure, SCIM and HR imports, the retention purge, the data generator). Each
//! trigger adds the change its own row makes, computed from the row's old and new values and
//! from tables the statement does not change; a statement changing many rows therefore adds
//! the right sum whether the engine runs row triggers at once (SQLite) or at the end of the
//! statement (PostgreSQL). On PostgreSQL, concurrent transactions are kept from counting past
//! each other by row locks: a change about a person locks that person's row and shares the
//! rows of their job roles; a change to a role's requirements locks the role's row. (SQLite
//! has one writer at a time.)
//!
//! A trigger only ever inserts: each change is a row of differences, and the report sums the
//! rows per key. Updating one row per key instead made concurrent writers wait for each
//! other's counter rows in opposite orders (deadlocks, seen by the concurrency test). The
//! worker folds the rows of each key into one from time to time
//! (`reports::skill_gaps::fold_counts`); folding never changes a sum. Archived competences
//! and the framework are filtered when reading, so archiving needs no trigger.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Adds `sign` times what the rows of `rows` count for to the counters. `rows` selects, per
/// person and required competence, the unit `a`, the competence `b`, the required level `c`,
/// the current level `d`, whether it is verified, `e`, and the person `p` (which the
/// per-person totals of migration 000024 need).
fn add(rows: &str, sign: i32) -> String {
    format!(
        "INSERT INTO skill_gap_counts \
           (org_unit_id, competence_id, current_level, staff, below, shortfall, unverified) \
         SELECT a, b, d, {sign} * COUNT(*), \
           {sign} * SUM(CASE WHEN c > d THEN 1 ELSE 0 END), \
           {sign} * SUM(CASE WHEN c > d THEN c - d ELSE 0 END), \
           {sign} * SUM(CASE WHEN e THEN 0 ELSE 1 END) \
         FROM ({rows}) AS x GROUP BY a, b, d"
    )
}

/// What a person (`row`.`id`) counts for, with the unit and status of `row`: every
/// requirement of every job role they hold, at their current level.
fn person(row: &str) -> String {
    format!(
        "SELECT {row}.org_unit_id AS a, r.competence_id AS b, r.level AS c, \
           COALESCE(l.level, 0) AS d, COALESCE(l.verified, FALSE) AS e, uj.user_id AS p \
         FROM user_job_roles uj \
         JOIN job_role_requirements r ON r.job_role_id = uj.job_role_id \
         LEFT JOIN competence_levels l ON l.user_id = uj.user_id AND l.competence_id = r.competence_id \
         WHERE uj.user_id = {row}.id AND {row}.status = 'active'"
    )
}

/// What the job role `row`.`job_role_id` adds for the person `row`.`user_id`.
fn holding(row: &str) -> String {
    format!(
        "SELECT u.org_unit_id AS a, r.competence_id AS b, r.level AS c, \
           COALESCE(l.level, 0) AS d, COALESCE(l.verified, FALSE) AS e, u.id AS p \
         FROM users u \
         JOIN job_role_requirements r ON r.job_role_id = {row}.job_role_id \
         LEFT JOIN competence_levels l ON l.user_id = u.id AND l.competence_id = r.competence_id \
         WHERE u.id = {row}.user_id AND u.status = 'active'"
    )
}

/// What the requirement `row` adds for every active holder of its job role.
fn requirement(row: &str) -> String {
    format!(
        "SELECT u.org_unit_id AS a, {row}.competence_id AS b, {row}.level AS c, \
           COALESCE(l.level, 0) AS d, COALESCE(l.verified, FALSE) AS e, u.id AS p \
         FROM user_job_roles uj \
         JOIN users u ON u.id = uj.user_id \
         LEFT JOIN competence_levels l ON l.user_id = u.id AND l.competence_id = {row}.competence_id \
         WHERE uj.job_role_id = {row}.job_role_id AND u.status = 'active'"
    )
}

/// Where the person `row`.`user_id` counts for `row`.`competence_id`, at the level given.
fn level(row: &str, level: &str, verified: &str) -> String {
    format!(
        "SELECT u.org_unit_id AS a, r.competence_id AS b, r.level AS c, {level} AS d, \
           {verified} AS e, u.id AS p \
         FROM users u \
         JOIN user_job_roles uj ON uj.user_id = u.id \
         JOIN job_role_requirements r ON r.job_role_id = uj.job_role_id \
         WHERE u.id = {row}.user_id AND r.competence_id = {row}.competence_id \
           AND u.status = 'active'"
    )
}

/// One trigger: its name, table, timing and event, the PostgreSQL lock it takes (a call
/// with the row's values) and its statements.
pub(crate) struct Trigger {
    name: String,
    table: &'static str,
    when: &'static str,
    lock: String,
    statements: Vec<String>,
}

/// The triggers that keep a table of differences: `{prefix}_level_inserted` and so on, each
/// adding its rows' part with `add` (this migration's [`add`] for the counters).
pub(crate) fn triggers(prefix: &str, add: fn(&str, i32) -> String) -> Vec<Trigger> {
    let person_lock = |row: &str, id: &str| format!("skill_gap_lock_person({row}.{id}, NULL)");
    let with_role =
        |row: &str| format!("skill_gap_lock_person({row}.user_id, ARRAY[{row}.job_role_id])");
    let role_lock = |row: &str| format!("skill_gap_lock_role({row}.job_role_id)");
    vec![
        Trigger {
            name: format!("{prefix}_level_inserted"),
            table: "competence_levels",
            when: "AFTER INSERT",
            lock: person_lock("NEW", "user_id"),
            statements: vec![
                add(&level("NEW", "0", "FALSE"), -1),
                add(&level("NEW", "NEW.level", "NEW.verified"), 1),
            ],
        },
        Trigger {
            name: format!("{prefix}_level_updated"),
            table: "competence_levels",
            when: "AFTER UPDATE",
            lock: person_lock("NEW", "user_id"),
            statements: vec![
                add(&level("OLD", "OLD.level", "OLD.verified"), -1),
                add(&level("NEW", "NEW.level", "NEW.verified"), 1),
            ],
        },
        Trigger {
            name: format!("{prefix}_level_deleted"),
            table: "competence_levels",
            when: "AFTER DELETE",
            lock: person_lock("OLD", "user_id"),
            statements: vec![
                add(&level("OLD", "OLD.level", "OLD.verified"), -1),
                add(&level("OLD", "0", "FALSE"), 1),
            ],
        },
        Trigger {
            name: format!("{prefix}_role_given"),
            table: "user_job_roles",
            when: "AFTER INSERT",
            lock: with_role("NEW"),
            statements: vec![add(&holding("NEW"), 1)],
        },
        // Assigning a job role to someone who holds one replaces it (an upsert).
        Trigger {
            name: format!("{prefix}_role_changed"),
            table: "user_job_roles",
            when: "AFTER UPDATE",
            lock: "skill_gap_lock_person(NEW.user_id, ARRAY[OLD.job_role_id, NEW.job_role_id])"
                .into(),
            statements: vec![add(&holding("OLD"), -1), add(&holding("NEW"), 1)],
        },
        Trigger {
            name: format!("{prefix}_role_taken"),
            table: "user_job_roles",
            when: "AFTER DELETE",
            lock: with_role("OLD"),
            statements: vec![add(&holding("OLD"), -1)],
        },
        Trigger {
            name: format!("{prefix}_requirement_added"),
            table: "job_role_requirements",
            when: "AFTER INSERT",
            lock: role_lock("NEW"),
            statements: vec![add(&requirement("NEW"), 1)],
        },
        Trigger {
            name: format!("{prefix}_requirement_changed"),
            table: "job_role_requirements",
            when: "AFTER UPDATE",
            lock: role_lock("NEW"),
            statements: vec![add(&requirement("OLD"), -1), add(&requirement("NEW"), 1)],
        },
        Trigger {
            name: format!("{prefix}_requirement_removed"),
            table: "job_role_requirements",
            when: "AFTER DELETE",
            lock: role_lock("OLD"),
            statements: vec![add(&requirement("OLD"), -1)],
        },
        Trigger {
            name: format!("{prefix}_person_changed"),
            table: "users",
            when: "AFTER UPDATE OF status, org_unit_id",
            lock: person_lock("NEW", "id"),
            statements: vec![add(&person("OLD"), -1), add(&person("NEW"), 1)],
        },
        // Before, while the person's job roles and levels are still there: deleting a person
        // deletes those by cascade, and their triggers then find no person to count.
        Trigger {
            name: format!("{prefix}_person_deleted"),
            table: "users",
            when: "BEFORE DELETE",
            lock: person_lock("OLD", "id"),
            statements: vec![add(&person("OLD"), -1)],
        },
    ]
}

/// PostgreSQL's locks, row locks (kept in the rows, so a transaction touching 100,000 people
/// does not fill the lock table as advisory locks would): the person's row, then a shared lock
/// on the rows of their job roles and of `extra` (roles a changed or removed holding no longer
/// lists); a change to a role's requirements locks the role's row alone, so the two never wait
/// for each other in a cycle. `FOR NO KEY UPDATE` leaves foreign-key checks free.
const POSTGRES_LOCKS: &str = "\
CREATE FUNCTION skill_gap_lock_person(person uuid, extra uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM users WHERE id = person FOR NO KEY UPDATE;
  PERFORM 1 FROM job_roles WHERE id IN (
      SELECT job_role_id FROM user_job_roles WHERE user_id = person
      UNION SELECT unnest(extra))
    ORDER BY id FOR SHARE;
END $$;
CREATE FUNCTION skill_gap_lock_role(role uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM job_roles WHERE id = role FOR NO KEY UPDATE;
END $$;";

pub(crate) const BACKFILL: &str = "SELECT u.org_unit_id AS a, r.competence_id AS b, r.level AS c, \
       COALESCE(l.level, 0) AS d, COALESCE(l.verified, FALSE) AS e, u.id AS p \
     FROM users u \
     JOIN user_job_roles uj ON uj.user_id = u.id \
     JOIN job_role_requirements r ON r.job_role_id = uj.job_role_id \
     LEFT JOIN competence_levels l ON l.user_id = u.id AND l.competence_id = r.competence_id \
     WHERE u.status = 'active'";

const PREFIX: &str = "skill_gap_counts";

/// Creates `triggers` (on PostgreSQL each with its function, which first takes its lock).
pub(crate) async fn create_triggers(
    manager: &SchemaManager<'_>,
    triggers: Vec<Trigger>,
) -> Result<(), DbErr> {
    let postgres = manager.get_database_backend() == DbBackend::Postgres;
    for Trigger {
        name,
        table,
        when,
        lock,
        statements,
    } in triggers
    {
        let body: String = statements.iter().map(|s| format!("{s};\n")).collect();
        let sql = if postgres {
            format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
                 BEGIN\nPERFORM {lock};\n{body}\
                 IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\nRETURN NEW;\nEND $$;\n\
                 CREATE TRIGGER {name} {when} ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION {name}();"
            )
        } else {
            format!("CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW BEGIN\n{body}END;")
        };
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Drops what [`create_triggers`] created.
pub(crate) async fn drop_triggers(
    manager: &SchemaManager<'_>,
    triggers: Vec<Trigger>,
) -> Result<(), DbErr> {
    let postgres = manager.get_database_backend() == DbBackend::Postgres;
    for Trigger { name, table, .. } in triggers {
        let sql = if postgres {
            format!("DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();")
        } else {
            format!("DROP TRIGGER {name};")
        };
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SkillGapCounts::Table)
                    .col(uuid(SkillGapCounts::OrgUnitId))
                    .col(uuid(SkillGapCounts::CompetenceId))
                    .col(integer(SkillGapCounts::CurrentLevel))
                    // Of the active staff of the unit with the competence required, at that
                    // level: how many, how many below the level required, by how many levels
                    // in all, and how many without a verified result.
                    .col(big_integer(SkillGapCounts::Staff))
                    .col(big_integer(SkillGapCounts::Below))
                    .col(big_integer(SkillGapCounts::Shortfall))
                    .col(big_integer(SkillGapCounts::Unverified))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_skill_gap_counts_unit")
                    .table(SkillGapCounts::Table)
                    .col(SkillGapCounts::OrgUnitId)
                    .col(SkillGapCounts::CompetenceId)
                    .col(SkillGapCounts::CurrentLevel)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        if postgres {
            db.execute_unprepared(POSTGRES_LOCKS).await?;
        }
        create_triggers(manager, triggers(PREFIX, add)).await?;
        db.execute_unprepared(&add(BACKFILL, 1)).await?;
        if postgres {
            db.execute_unprepared("ANALYZE skill_gap_counts").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        drop_triggers(manager, triggers(PREFIX, add)).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "DROP FUNCTION skill_gap_lock_person(uuid, uuid[]); \
                 DROP FUNCTION skill_gap_lock_role(uuid);",
            )
            .await?;
        }
        manager
            .drop_table(Table::drop().table(SkillGapCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SkillGapCounts {
    Table,
    OrgUnitId,
    CompetenceId,
    CurrentLevel,
    Staff,
    Below,
    Shortfall,
    Unverified,
}

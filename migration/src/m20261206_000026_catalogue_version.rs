//! The catalogue's version (issue 21): one number that every transaction changing what a
//! catalogue page can show raises, so that a server may keep a catalogue answer and give it
//! again for as long as the number has not moved, on every replica of the service alike.
//!
//! What a page shows comes from courses, their modules and lessons, their competence targets,
//! the competences and areas those name, and the display names of the courses' owners; a
//! trigger on each raises the number (on `users` only when a display name changes).
//!
//! On PostgreSQL the triggers are deferred constraint triggers: the row of `catalogue_version`
//! is updated, and so locked, only while the transaction commits, once per transaction, after
//! every other lock it takes. So two writers never wait for each other on it mid-transaction,
//! and it can take part in no deadlock. A reader that reads the number first and the catalogue
//! after sees data at least as new as the number. SQLite has one writer at a time; its row
//! triggers raise the number within the writing transaction.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose changes raise the version, each with the condition on the changed row
/// (for updates) under which they do.
const TABLES: [(&str, Option<&str>); 7] = [
    ("courses", None),
    ("course_modules", None),
    ("lessons", None),
    ("course_competences", None),
    ("competences", None),
    ("competence_areas", None),
    ("users", Some("OLD.display_name <> NEW.display_name")),
];

/// The events of a table's trigger: only updates of a display name for `users` (nobody owns a
/// course before they exist, and nothing deletes a course's owner).
fn events(table: &str) -> &'static str {
    if table == "users" {
        "UPDATE"
    } else {
        "INSERT OR UPDATE OR DELETE"
    }
}

#[derive(DeriveIden)]
enum CatalogueVersion {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogueVersion::Table)
                    .col(
                        ColumnDef::new(CatalogueVersion::Id)
                            .small_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CatalogueVersion::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO catalogue_version (id, version) VALUES (1, 1)")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Once per transaction: the setting is local to it (and undone with it).
            db.execute_unprepared(
                "CREATE FUNCTION catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$\n\
                 BEGIN\n\
                 IF current_setting('govskills.catalogue_changed', true) = 'yes' THEN\n\
                   RETURN NULL;\n\
                 END IF;\n\
                 PERFORM set_config('govskills.catalogue_changed', 'yes', true);\n\
                 UPDATE catalogue_version SET version = version + 1 WHERE id = 1;\n\
                 RETURN NULL;\n\
                 END $$;",
            )
            .await?;
            for (table, condition) in TABLES {
                let when = condition.map_or(String::new(), |c| format!("WHEN ({c}) "));
                db.execute_unprepared(&format!(
                    "CREATE CONSTRAINT TRIGGER catalogue_changed_{table} \
                     AFTER {events} ON {table} DEFERRABLE INITIALLY DEFERRED \
                     FOR EACH ROW {when}EXECUTE FUNCTION catalogue_changed();",
                    events = events(table),
                ))
                .await?;
            }
        } else {
            for (table, condition) in TABLES {
                let when = condition.map_or(String::new(), |c| format!("WHEN {c} "));
                for event in events(table).split(" OR ") {
                    let name = format!("catalogue_changed_{table}_{}", event.to_lowercase());
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}\
                         BEGIN UPDATE catalogue_version SET version = version + 1 WHERE id = 1; END;"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            for (table, _) in TABLES {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER catalogue_changed_{table} ON {table};"
                ))
                .await?;
            }
            db.execute_unprepared("DROP FUNCTION catalogue_changed();")
                .await?;
        } else {
            for (table, _) in TABLES {
                for event in events(table).split(" OR ") {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER catalogue_changed_{table}_{};",
                        event.to_lowercase()
                    ))
                    .await?;
                }
            }
        }
        manager
            .drop_table(Table::drop().table(CatalogueVersion::Table).to_owned())
            .await
    }
}

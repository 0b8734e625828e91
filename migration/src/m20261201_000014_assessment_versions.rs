//! Assessment versions and archiving, and what each attempt started under.
//!
//! `assessments.version` (1, then one more with each edit) and `assessments.archived_at` (an
//! archived assessment takes no new attempts; the ones it has stay, open ones can still be
//! submitted).
//!
//! `attempts.assessment_version`, `attempts.pass_mark_percent` and
//! `attempts.mastery_threshold_percent`: the version an attempt was given and the thresholds it
//! is scored with, written when it starts and never changed, so editing an assessment never
//! changes how an attempt already started is scored. Existing attempts are filled from their
//! assessment, which has been at version 1 until now.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time. NOT NULL columns get a
        // default, which SQLite can add to a table with rows; for the attempts' thresholds the
        // backfill below replaces it in every row (every attempt has its assessment, by
        // fk_attempts_assessment), and starting an attempt always writes all three.
        manager
            .alter_table(
                Table::alter()
                    .table(Assessments::Table)
                    .add_column(integer(Assessments::Version).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Assessments::Table)
                    .add_column(timestamp_with_time_zone_null(Assessments::ArchivedAt))
                    .to_owned(),
            )
            .await?;
        for column in [
            Attempts::AssessmentVersion,
            Attempts::PassMarkPercent,
            Attempts::MasteryThresholdPercent,
        ] {
            let default = match column {
                Attempts::AssessmentVersion => 1,
                _ => 0,
            };
            manager
                .alter_table(
                    Table::alter()
                        .table(Attempts::Table)
                        .add_column(integer(column).default(default))
                        .to_owned(),
                )
                .await?;
        }

        // Every attempt so far was given version 1 (the default) and is scored with its
        // assessment's thresholds as they stand: no assessment has been edited before this.
        let of_assessment = |column: Assessments| {
            SimpleExpr::SubQuery(
                None,
                Box::new(
                    Query::select()
                        .column(column)
                        .from(Assessments::Table)
                        .and_where(
                            Expr::col((Assessments::Table, Assessments::Id))
                                .equals((Attempts::Table, Attempts::AssessmentId)),
                        )
                        .to_owned()
                        .into_sub_query_statement(),
                ),
            )
        };
        manager
            .get_connection()
            .execute(
                Query::update()
                    .table(Attempts::Table)
                    .value(
                        Attempts::PassMarkPercent,
                        of_assessment(Assessments::PassMarkPercent),
                    )
                    .value(
                        Attempts::MasteryThresholdPercent,
                        of_assessment(Assessments::MasteryThresholdPercent),
                    ),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Attempts::MasteryThresholdPercent,
            Attempts::PassMarkPercent,
            Attempts::AssessmentVersion,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Attempts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Assessments::ArchivedAt, Assessments::Version] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Assessments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Assessments {
    Table,
    Id,
    PassMarkPercent,
    MasteryThresholdPercent,
    Version,
    ArchivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attempts {
    Table,
    AssessmentId,
    AssessmentVersion,
    PassMarkPercent,
    MasteryThresholdPercent,
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

    /// How many migrations come before this one.
    fn before_this() -> u32 {
        let position = Migrator::migrations()
            .iter()
            .position(|migration| migration.name() == Migration.name())
            .expect("this migration is registered");
        <u32 as TryFrom<usize>>::try_from(position).expect("a few migrations")
    }

    #[tokio::test]
    async fn existing_attempts_keep_the_thresholds_of_their_assessment() {
        let db = fresh_database().await;
        Migrator::up(&db, Some(before_this()))
            .await
            .expect("migrated to the one before");
        let now = chrono::Utc::now();
        let (user, _) = holder_and_template(&db, "Lena Learner").await;
        let unit: Uuid = db
            .query_one(
                Query::select()
                    .column(Alias::new("org_unit_id"))
                    .from(Alias::new("users"))
                    .and_where(Expr::col(Alias::new("id")).eq(user)),
            )
            .await
            .expect("read")
            .expect("the holder")
            .try_get("", "org_unit_id")
            .expect("a unit");
        // Two assessments with different thresholds, one attempt at each.
        let mut attempts = Vec::new();
        for (pass_mark, mastery) in [(50, 70), (80, 90)] {
            let (assessment, attempt) = (Uuid::now_v7(), Uuid::now_v7());
            let statements = [
                Query::insert()
                    .into_table(Alias::new("assessments"))
                    .columns(
                        [
                            "id",
                            "title",
                            "description",
                            "owner_id",
                            "org_unit_id",
                            "visibility",
                            "selection",
                            "pass_mark_percent",
                            "mastery_threshold_percent",
                            "created_at",
                            "updated_at",
                        ]
                        .map(Alias::new),
                    )
                    .values_panic([
                        assessment.into(),
                        "Check".into(),
                        "".into(),
                        user.into(),
                        unit.into(),
                        "platform".into(),
                        "fixed".into(),
                        pass_mark.into(),
                        mastery.into(),
                        now.into(),
                        now.into(),
                    ])
                    .to_owned(),
                Query::insert()
                    .into_table(Alias::new("attempts"))
                    .columns(
                        [
                            "id",
                            "assessment_id",
                            "user_id",
                            "attempt_number",
                            "started_at",
                            "updated_at",
                        ]
                        .map(Alias::new),
                    )
                    .values_panic([
                        attempt.into(),
                        assessment.into(),
                        user.into(),
                        1.into(),
                        now.into(),
                        now.into(),
                    ])
                    .to_owned(),
            ];
            for statement in &statements {
                db.execute(statement).await.expect("arranged");
            }
            attempts.push((assessment, attempt, pass_mark, mastery));
        }

        Migrator::up(&db, Some(1)).await.expect("migrated");

        for (assessment, attempt, pass_mark, mastery) in attempts {
            let row = db
                .query_one(
                    Query::select()
                        .columns([
                            Attempts::AssessmentVersion,
                            Attempts::PassMarkPercent,
                            Attempts::MasteryThresholdPercent,
                        ])
                        .from(Attempts::Table)
                        .and_where(Expr::col(Alias::new("id")).eq(attempt)),
                )
                .await
                .expect("read")
                .expect("the attempt");
            let read = |column: &str| row.try_get::<i32>("", column).expect("a number");
            assert_eq!(
                (
                    read("assessment_version"),
                    read("pass_mark_percent"),
                    read("mastery_threshold_percent")
                ),
                (1, pass_mark, mastery)
            );
            let row = db
                .query_one(
                    Query::select()
                        .columns([Assessments::Version, Assessments::ArchivedAt])
                        .from(Assessments::Table)
                        .and_where(Expr::col(Assessments::Id).eq(assessment)),
                )
                .await
                .expect("read")
                .expect("the assessment");
            assert_eq!(row.try_get::<i32>("", "version").expect("a version"), 1);
            assert_eq!(
                row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "archived_at")
                    .expect("archived_at"),
                None
            );
        }
    }
}

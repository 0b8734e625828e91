//! Current competence levels: one row per user and competence, kept beside the result history
//! so that reports over a ministry join it instead of ranking the whole history on every read.
//!
//! The row holds the latest verified result (assessment or manual), else the latest
//! self-assessment: the rule of the learner's profile. Existing results are carried over.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CompetenceLevels::Table)
                    .col(uuid(CompetenceLevels::UserId))
                    .col(uuid(CompetenceLevels::CompetenceId))
                    .col(integer(CompetenceLevels::Level))
                    .col(boolean(CompetenceLevels::Verified))
                    // The result the level comes from.
                    .col(uuid(CompetenceLevels::ResultId))
                    .col(timestamp_with_time_zone(CompetenceLevels::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_competence_levels")
                            .col(CompetenceLevels::UserId)
                            .col(CompetenceLevels::CompetenceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_competence_levels_user")
                            .from(CompetenceLevels::Table, CompetenceLevels::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_competence_levels_competence")
                            .from(CompetenceLevels::Table, CompetenceLevels::CompetenceId)
                            .to(Competences::Table, Competences::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_competence_levels_result")
                            .from(CompetenceLevels::Table, CompetenceLevels::ResultId)
                            .to(CompetenceResults::Table, CompetenceResults::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Carry over what the history says today (both engines have window functions).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO competence_levels \
                   (user_id, competence_id, level, verified, result_id, updated_at) \
                 SELECT user_id, competence_id, level, verified, id, created_at FROM ( \
                   SELECT id, user_id, competence_id, level, created_at, \
                     source <> 'self_assessed' AS verified, \
                     ROW_NUMBER() OVER ( \
                       PARTITION BY user_id, competence_id \
                       ORDER BY CASE WHEN source = 'self_assessed' THEN 0 ELSE 1 END DESC, \
                         created_at DESC, id DESC \
                     ) AS rn \
                   FROM competence_results \
                 ) ranked WHERE rn = 1",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CompetenceLevels::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CompetenceLevels {
    Table,
    UserId,
    CompetenceId,
    Level,
    Verified,
    ResultId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Competences {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CompetenceResults {
    Table,
    Id,
}

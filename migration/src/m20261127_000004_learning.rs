//! Learning: enrolments (self-chosen or assigned, with due dates), lesson progress, and
//! competence results (self-assessed or verified).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Enrollments::Table)
                    // UUIDv7.
                    .col(pk_uuid(Enrollments::Id))
                    .col(uuid(Enrollments::UserId))
                    .col(uuid(Enrollments::CourseId))
                    // self_enrolled | assigned ("self" would clash with a keyword in SeaORM's derive)
                    .col(string_len(Enrollments::Source, 16))
                    .col(uuid_null(Enrollments::AssignedBy))
                    .col(timestamp_with_time_zone_null(Enrollments::DueAt))
                    // active | completed | withdrawn | cancelled
                    .col(string_len(Enrollments::Status, 16))
                    .col(timestamp_with_time_zone_null(Enrollments::CompletedAt))
                    .col(timestamp_with_time_zone(Enrollments::LastActivityAt))
                    .col(timestamp_with_time_zone(Enrollments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrollments_user")
                            .from(Enrollments::Table, Enrollments::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrollments_course")
                            .from(Enrollments::Table, Enrollments::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrollments_assigned_by")
                            .from(Enrollments::Table, Enrollments::AssignedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_enrollments_user_course")
                    .table(Enrollments::Table)
                    .col(Enrollments::UserId)
                    .col(Enrollments::CourseId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_enrollments_course")
                    .table(Enrollments::Table)
                    .col(Enrollments::CourseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LessonProgress::Table)
                    .col(uuid(LessonProgress::EnrollmentId))
                    .col(uuid(LessonProgress::LessonId))
                    .col(timestamp_with_time_zone(LessonProgress::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(LessonProgress::EnrollmentId)
                            .col(LessonProgress::LessonId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lesson_progress_enrollment")
                            .from(LessonProgress::Table, LessonProgress::EnrollmentId)
                            .to(Enrollments::Table, Enrollments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lesson_progress_lesson")
                            .from(LessonProgress::Table, LessonProgress::LessonId)
                            .to(Lessons::Table, Lessons::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CompetenceResults::Table)
                    .col(pk_uuid(CompetenceResults::Id))
                    .col(uuid(CompetenceResults::UserId))
                    .col(uuid(CompetenceResults::CompetenceId))
                    .col(integer(CompetenceResults::Level))
                    // self_assessed | assessment | manual
                    .col(string_len(CompetenceResults::Source, 16))
                    .col(timestamp_with_time_zone(CompetenceResults::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_competence_results_user")
                            .from(CompetenceResults::Table, CompetenceResults::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_competence_results_competence")
                            .from(CompetenceResults::Table, CompetenceResults::CompetenceId)
                            .to(Competences::Table, Competences::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_competence_results_user_competence")
                    .table(CompetenceResults::Table)
                    .col(CompetenceResults::UserId)
                    .col(CompetenceResults::CompetenceId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CompetenceResults::Table.into_iden(),
            LessonProgress::Table.into_iden(),
            Enrollments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Competences {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Enrollments {
    Table,
    Id,
    UserId,
    CourseId,
    Source,
    AssignedBy,
    DueAt,
    Status,
    CompletedAt,
    LastActivityAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LessonProgress {
    Table,
    EnrollmentId,
    LessonId,
    CompletedAt,
}

#[derive(DeriveIden)]
enum CompetenceResults {
    Table,
    Id,
    UserId,
    CompetenceId,
    Level,
    Source,
    CreatedAt,
}

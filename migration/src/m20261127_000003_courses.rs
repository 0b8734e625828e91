//! Courses: versions, co-authors, competence targets, ordered modules and lessons.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Courses::Table)
                    // UUIDv7: time-ordered, so the catalogue pages by id alone.
                    .col(pk_uuid(Courses::Id))
                    .col(string_len(Courses::Title, 200))
                    .col(text(Courses::Summary))
                    .col(string_len(Courses::Language, 35))
                    .col(string_len(Courses::Status, 16))
                    .col(string_len(Courses::Visibility, 16))
                    .col(uuid(Courses::OwnerId))
                    .col(uuid(Courses::OrgUnitId))
                    .col(integer(Courses::Version))
                    // The published course this draft will replace, if it is a new version.
                    .col(uuid_null(Courses::PreviousVersionId))
                    .col(timestamp_with_time_zone_null(Courses::PublishedAt))
                    .col(timestamp_with_time_zone_null(Courses::ArchivedAt))
                    .col(timestamp_with_time_zone(Courses::CreatedAt))
                    .col(timestamp_with_time_zone(Courses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_courses_owner")
                            .from(Courses::Table, Courses::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_courses_org_unit")
                            .from(Courses::Table, Courses::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_courses_previous_version")
                            .from(Courses::Table, Courses::PreviousVersionId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_courses_status", Courses::Status),
            ("ix_courses_org_unit", Courses::OrgUnitId),
            ("ix_courses_owner", Courses::OwnerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Courses::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CourseAuthors::Table)
                    .col(uuid(CourseAuthors::CourseId))
                    .col(uuid(CourseAuthors::UserId))
                    .primary_key(
                        Index::create()
                            .col(CourseAuthors::CourseId)
                            .col(CourseAuthors::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_authors_course")
                            .from(CourseAuthors::Table, CourseAuthors::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_authors_user")
                            .from(CourseAuthors::Table, CourseAuthors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_authors_user")
                    .table(CourseAuthors::Table)
                    .col(CourseAuthors::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CourseCompetences::Table)
                    .col(uuid(CourseCompetences::CourseId))
                    .col(uuid(CourseCompetences::CompetenceId))
                    .col(integer(CourseCompetences::TargetLevel))
                    .primary_key(
                        Index::create()
                            .col(CourseCompetences::CourseId)
                            .col(CourseCompetences::CompetenceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_competences_course")
                            .from(CourseCompetences::Table, CourseCompetences::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_competences_competence")
                            .from(CourseCompetences::Table, CourseCompetences::CompetenceId)
                            .to(Competences::Table, Competences::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_competences_competence")
                    .table(CourseCompetences::Table)
                    .col(CourseCompetences::CompetenceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CourseModules::Table)
                    .col(pk_uuid(CourseModules::Id))
                    .col(uuid(CourseModules::CourseId))
                    .col(string_len(CourseModules::Title, 200))
                    .col(integer(CourseModules::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_course_modules_course")
                            .from(CourseModules::Table, CourseModules::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_course_modules_course")
                    .table(CourseModules::Table)
                    .col(CourseModules::CourseId)
                    .col(CourseModules::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Lessons::Table)
                    .col(pk_uuid(Lessons::Id))
                    .col(uuid(Lessons::ModuleId))
                    .col(uuid(Lessons::CourseId))
                    .col(string_len(Lessons::Title, 200))
                    .col(string_len(Lessons::Kind, 16))
                    // Markdown as written, for text lessons.
                    .col(text_null(Lessons::Body))
                    // http(s) only, for video and link lessons.
                    .col(string_len_null(Lessons::Url, 2000))
                    // The assessment of an assessment lesson (wired up by the assessments issue).
                    .col(uuid_null(Lessons::AssessmentId))
                    .col(integer(Lessons::EstimatedMinutes))
                    .col(integer(Lessons::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lessons_module")
                            .from(Lessons::Table, Lessons::ModuleId)
                            .to(CourseModules::Table, CourseModules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lessons_course")
                            .from(Lessons::Table, Lessons::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_lessons_module", [Lessons::ModuleId, Lessons::Position]),
            ("ix_lessons_course", [Lessons::CourseId, Lessons::Position]),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Lessons::Table)
                        .col(columns[0].clone())
                        .col(columns[1].clone())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Lessons::Table.into_iden(),
            CourseModules::Table.into_iden(),
            CourseCompetences::Table.into_iden(),
            CourseAuthors::Table.into_iden(),
            Courses::Table.into_iden(),
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
enum OrgUnits {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Competences {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    Title,
    Summary,
    Language,
    Status,
    Visibility,
    OwnerId,
    OrgUnitId,
    Version,
    PreviousVersionId,
    PublishedAt,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseAuthors {
    Table,
    CourseId,
    UserId,
}

#[derive(DeriveIden)]
enum CourseCompetences {
    Table,
    CourseId,
    CompetenceId,
    TargetLevel,
}

#[derive(DeriveIden, Clone)]
enum CourseModules {
    Table,
    Id,
    CourseId,
    Title,
    Position,
}

#[derive(DeriveIden, Clone)]
enum Lessons {
    Table,
    Id,
    ModuleId,
    CourseId,
    Title,
    Kind,
    Body,
    Url,
    AssessmentId,
    EstimatedMinutes,
    Position,
}

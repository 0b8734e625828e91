//! Rollouts of a digital service (issue 18): `rollouts` (one per service going live in an org
//! unit, with its go-live date, lead time and readiness target), who it affects
//! (`rollout_units`, `rollout_job_roles`), what they need (`rollout_requirements`: competence
//! levels) and what teaches it (`rollout_courses`), the enrolments a launch assigned
//! (`rollout_assignments`, so an assignment can say which rollout it is for and its due date
//! can follow the go-live date) and one readiness snapshot per rollout and day
//! (`rollout_snapshots`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The foreign key from `table.rollout_id` to its rollout, deleted with it.
fn to_rollout(name: &str, table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("rollout_id"))
        .to(Rollouts::Table, Rollouts::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Rollouts::Table)
                    .col(uuid(Rollouts::Id).primary_key())
                    .col(uuid(Rollouts::OrgUnitId))
                    .col(string_len(Rollouts::Name, 200))
                    .col(text(Rollouts::Description))
                    .col(string_len(Rollouts::Service, 200))
                    .col(uuid_null(Rollouts::AiSystemId))
                    .col(date(Rollouts::GoLiveOn))
                    .col(integer(Rollouts::LeadTimeDays))
                    .col(integer(Rollouts::ReadinessTarget))
                    .col(boolean(Rollouts::ReadyByCourses))
                    .col(uuid_null(Rollouts::AssessmentId))
                    .col(string_len(Rollouts::Status, 16))
                    .col(uuid_null(Rollouts::CreatedBy))
                    .col(timestamp_with_time_zone_null(Rollouts::LaunchedAt))
                    .col(timestamp_with_time_zone(Rollouts::CreatedAt))
                    .col(timestamp_with_time_zone(Rollouts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollouts_org_unit")
                            .from(Rollouts::Table, Rollouts::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollouts_ai_system")
                            .from(Rollouts::Table, Rollouts::AiSystemId)
                            .to(AiSystems::Table, AiSystems::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollouts_assessment")
                            .from(Rollouts::Table, Rollouts::AssessmentId)
                            .to(Assessments::Table, Assessments::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollouts_created_by")
                            .from(Rollouts::Table, Rollouts::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_rollouts_org_unit")
                    .table(Rollouts::Table)
                    .col(Rollouts::OrgUnitId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutUnits::Table)
                    .col(uuid(RolloutUnits::RolloutId))
                    .col(uuid(RolloutUnits::OrgUnitId))
                    .col(boolean(RolloutUnits::IncludeSubunits))
                    .primary_key(
                        Index::create()
                            .name("pk_rollout_units")
                            .col(RolloutUnits::RolloutId)
                            .col(RolloutUnits::OrgUnitId),
                    )
                    .foreign_key(&mut to_rollout(
                        "fk_rollout_units_rollout",
                        RolloutUnits::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollout_units_org_unit")
                            .from(RolloutUnits::Table, RolloutUnits::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutJobRoles::Table)
                    .col(uuid(RolloutJobRoles::RolloutId))
                    .col(uuid(RolloutJobRoles::JobRoleId))
                    .primary_key(
                        Index::create()
                            .name("pk_rollout_job_roles")
                            .col(RolloutJobRoles::RolloutId)
                            .col(RolloutJobRoles::JobRoleId),
                    )
                    .foreign_key(&mut to_rollout(
                        "fk_rollout_job_roles_rollout",
                        RolloutJobRoles::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollout_job_roles_job_role")
                            .from(RolloutJobRoles::Table, RolloutJobRoles::JobRoleId)
                            .to(JobRoles::Table, JobRoles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutRequirements::Table)
                    .col(uuid(RolloutRequirements::RolloutId))
                    .col(uuid(RolloutRequirements::CompetenceId))
                    .col(integer(RolloutRequirements::Level))
                    .primary_key(
                        Index::create()
                            .name("pk_rollout_requirements")
                            .col(RolloutRequirements::RolloutId)
                            .col(RolloutRequirements::CompetenceId),
                    )
                    .foreign_key(&mut to_rollout(
                        "fk_rollout_requirements_rollout",
                        RolloutRequirements::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollout_requirements_competence")
                            .from(
                                RolloutRequirements::Table,
                                RolloutRequirements::CompetenceId,
                            )
                            .to(Competences::Table, Competences::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutCourses::Table)
                    .col(uuid(RolloutCourses::RolloutId))
                    .col(uuid(RolloutCourses::CourseId))
                    .col(integer(RolloutCourses::Position))
                    .primary_key(
                        Index::create()
                            .name("pk_rollout_courses")
                            .col(RolloutCourses::RolloutId)
                            .col(RolloutCourses::CourseId),
                    )
                    .foreign_key(&mut to_rollout(
                        "fk_rollout_courses_rollout",
                        RolloutCourses::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollout_courses_course")
                            .from(RolloutCourses::Table, RolloutCourses::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutAssignments::Table)
                    .col(uuid(RolloutAssignments::RolloutId))
                    .col(uuid(RolloutAssignments::UserId))
                    .col(uuid(RolloutAssignments::CourseId))
                    .col(uuid(RolloutAssignments::EnrollmentId))
                    .col(timestamp_with_time_zone(RolloutAssignments::AssignedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_rollout_assignments")
                            .col(RolloutAssignments::RolloutId)
                            .col(RolloutAssignments::UserId)
                            .col(RolloutAssignments::CourseId),
                    )
                    .foreign_key(&mut to_rollout(
                        "fk_rollout_assignments_rollout",
                        RolloutAssignments::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollout_assignments_user")
                            .from(RolloutAssignments::Table, RolloutAssignments::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rollout_assignments_enrollment")
                            .from(RolloutAssignments::Table, RolloutAssignments::EnrollmentId)
                            .to(Enrollments::Table, Enrollments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_rollout_assignments_enrollment")
                    .table(RolloutAssignments::Table)
                    .col(RolloutAssignments::EnrollmentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutSnapshots::Table)
                    .col(uuid(RolloutSnapshots::RolloutId))
                    .col(date(RolloutSnapshots::Day))
                    .col(integer(RolloutSnapshots::Affected))
                    .col(integer(RolloutSnapshots::Ready))
                    .col(timestamp_with_time_zone(RolloutSnapshots::TakenAt))
                    .primary_key(
                        Index::create()
                            .name("pk_rollout_snapshots")
                            .col(RolloutSnapshots::RolloutId)
                            .col(RolloutSnapshots::Day),
                    )
                    .foreign_key(&mut to_rollout(
                        "fk_rollout_snapshots_rollout",
                        RolloutSnapshots::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RolloutSnapshots::Table.into_iden(),
            RolloutAssignments::Table.into_iden(),
            RolloutCourses::Table.into_iden(),
            RolloutRequirements::Table.into_iden(),
            RolloutJobRoles::Table.into_iden(),
            RolloutUnits::Table.into_iden(),
            Rollouts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Rollouts {
    Table,
    Id,
    OrgUnitId,
    Name,
    Description,
    Service,
    AiSystemId,
    GoLiveOn,
    LeadTimeDays,
    ReadinessTarget,
    ReadyByCourses,
    AssessmentId,
    Status,
    CreatedBy,
    LaunchedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RolloutUnits {
    Table,
    RolloutId,
    OrgUnitId,
    IncludeSubunits,
}

#[derive(DeriveIden)]
enum RolloutJobRoles {
    Table,
    RolloutId,
    JobRoleId,
}

#[derive(DeriveIden)]
enum RolloutRequirements {
    Table,
    RolloutId,
    CompetenceId,
    Level,
}

#[derive(DeriveIden)]
enum RolloutCourses {
    Table,
    RolloutId,
    CourseId,
    Position,
}

#[derive(DeriveIden)]
enum RolloutAssignments {
    Table,
    RolloutId,
    UserId,
    CourseId,
    EnrollmentId,
    AssignedAt,
}

#[derive(DeriveIden)]
enum RolloutSnapshots {
    Table,
    RolloutId,
    Day,
    Affected,
    Ready,
    TakenAt,
}

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum JobRoles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AiSystems {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Assessments {
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
}

#[derive(DeriveIden)]
enum Enrollments {
    Table,
    Id,
}

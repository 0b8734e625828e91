//! Competence frameworks with DigComp 2.2 as reference data, and job roles with the levels they
//! require.

use chrono::Utc;
use sea_orm_migration::{prelude::*, schema::*};
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A competence's code and name.
type Competence = (&'static str, &'static str);

/// DigComp 2.2: the five areas and 21 competences with their official codes and names.
const DIGCOMP_AREAS: [(&str, &str, &[Competence]); 5] = [
    (
        "1",
        "Information and data literacy",
        &[
            (
                "1.1",
                "Browsing, searching and filtering data, information and digital content",
            ),
            ("1.2", "Evaluating data, information and digital content"),
            ("1.3", "Managing data, information and digital content"),
        ],
    ),
    (
        "2",
        "Communication and collaboration",
        &[
            ("2.1", "Interacting through digital technologies"),
            ("2.2", "Sharing through digital technologies"),
            (
                "2.3",
                "Engaging in citizenship through digital technologies",
            ),
            ("2.4", "Collaborating through digital technologies"),
            ("2.5", "Netiquette"),
            ("2.6", "Managing digital identity"),
        ],
    ),
    (
        "3",
        "Digital content creation",
        &[
            ("3.1", "Developing digital content"),
            ("3.2", "Integrating and re-elaborating digital content"),
            ("3.3", "Copyright and licences"),
            ("3.4", "Programming"),
        ],
    ),
    (
        "4",
        "Safety",
        &[
            ("4.1", "Protecting devices"),
            ("4.2", "Protecting personal data and privacy"),
            ("4.3", "Protecting health and well-being"),
            ("4.4", "Protecting the environment"),
        ],
    ),
    (
        "5",
        "Problem solving",
        &[
            ("5.1", "Solving technical problems"),
            ("5.2", "Identifying needs and technological responses"),
            ("5.3", "Creatively using digital technologies"),
            ("5.4", "Identifying digital competence gaps"),
        ],
    ),
];

/// DigComp's eight proficiency levels: name, band, and what the level means (complexity of
/// tasks, autonomy, cognitive domain).
const DIGCOMP_LEVELS: [(&str, &str, &str); 8] = [
    (
        "Foundation 1",
        "Foundation",
        "Simple tasks, with guidance; remembering",
    ),
    (
        "Foundation 2",
        "Foundation",
        "Simple tasks, autonomously and with guidance where needed; remembering",
    ),
    (
        "Intermediate 3",
        "Intermediate",
        "Well-defined and routine tasks, and straightforward problems, on my own; understanding",
    ),
    (
        "Intermediate 4",
        "Intermediate",
        "Tasks, and well-defined and non-routine problems, independently and according to my needs; understanding",
    ),
    (
        "Advanced 5",
        "Advanced",
        "Different tasks and problems, guiding others; applying",
    ),
    (
        "Advanced 6",
        "Advanced",
        "Most appropriate tasks, adapting to others in a complex context; evaluating",
    ),
    (
        "Highly specialised 7",
        "Highly specialised",
        "Complex problems with limited solutions, integrating to contribute to professional practice and guiding others; creating",
    ),
    (
        "Highly specialised 8",
        "Highly specialised",
        "Complex problems with many interacting factors, proposing new ideas and processes to the field; creating",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tables(manager).await?;
        seed_digcomp(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UserJobRoles::Table.into_iden(),
            JobRoleRequirements::Table.into_iden(),
            JobRoles::Table.into_iden(),
            Competences::Table.into_iden(),
            CompetenceAreas::Table.into_iden(),
            ProficiencyLevels::Table.into_iden(),
            CompetenceFrameworks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(CompetenceFrameworks::Table)
                .col(pk_uuid(CompetenceFrameworks::Id))
                .col(string_len(CompetenceFrameworks::Code, 40))
                .col(string_len(CompetenceFrameworks::Version, 20))
                .col(string_len(CompetenceFrameworks::Name, 200))
                .col(text(CompetenceFrameworks::Description))
                .col(integer(CompetenceFrameworks::LevelCount))
                .col(timestamp_with_time_zone(CompetenceFrameworks::CreatedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_competence_frameworks_code_version")
                .table(CompetenceFrameworks::Table)
                .col(CompetenceFrameworks::Code)
                .col(CompetenceFrameworks::Version)
                .unique()
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(ProficiencyLevels::Table)
                .col(uuid(ProficiencyLevels::FrameworkId))
                .col(integer(ProficiencyLevels::Level))
                .col(string_len(ProficiencyLevels::Name, 100))
                .col(string_len(ProficiencyLevels::Band, 100))
                .col(text(ProficiencyLevels::Description))
                .primary_key(
                    Index::create()
                        .col(ProficiencyLevels::FrameworkId)
                        .col(ProficiencyLevels::Level),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_proficiency_levels_framework")
                        .from(ProficiencyLevels::Table, ProficiencyLevels::FrameworkId)
                        .to(CompetenceFrameworks::Table, CompetenceFrameworks::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(CompetenceAreas::Table)
                .col(pk_uuid(CompetenceAreas::Id))
                .col(uuid(CompetenceAreas::FrameworkId))
                .col(string_len(CompetenceAreas::Code, 20))
                .col(string_len(CompetenceAreas::Name, 200))
                .col(integer(CompetenceAreas::Position))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_competence_areas_framework")
                        .from(CompetenceAreas::Table, CompetenceAreas::FrameworkId)
                        .to(CompetenceFrameworks::Table, CompetenceFrameworks::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_competence_areas_code")
                .table(CompetenceAreas::Table)
                .col(CompetenceAreas::FrameworkId)
                .col(CompetenceAreas::Code)
                .unique()
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(Competences::Table)
                .col(pk_uuid(Competences::Id))
                .col(uuid(Competences::FrameworkId))
                .col(uuid(Competences::AreaId))
                .col(string_len(Competences::Code, 20))
                .col(string_len(Competences::Name, 300))
                .col(text(Competences::Description))
                .col(integer(Competences::Position))
                // Competences are never deleted while anything refers to them: archived instead.
                .col(timestamp_with_time_zone_null(Competences::ArchivedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_competences_framework")
                        .from(Competences::Table, Competences::FrameworkId)
                        .to(CompetenceFrameworks::Table, CompetenceFrameworks::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_competences_area")
                        .from(Competences::Table, Competences::AreaId)
                        .to(CompetenceAreas::Table, CompetenceAreas::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_competences_code")
                .table(Competences::Table)
                .col(Competences::FrameworkId)
                .col(Competences::Code)
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_competences_area")
                .table(Competences::Table)
                .col(Competences::AreaId)
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(JobRoles::Table)
                .col(pk_uuid(JobRoles::Id))
                // The authority (or unit) whose staff the job role is for; NULL: every authority.
                .col(uuid_null(JobRoles::OrgUnitId))
                .col(string_len(JobRoles::Name, 200))
                .col(text(JobRoles::Description))
                .col(boolean(JobRoles::UsesAiSystems))
                .col(timestamp_with_time_zone(JobRoles::CreatedAt))
                .col(timestamp_with_time_zone(JobRoles::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_job_roles_org_unit")
                        .from(JobRoles::Table, JobRoles::OrgUnitId)
                        .to(OrgUnits::Table, OrgUnits::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(JobRoleRequirements::Table)
                .col(uuid(JobRoleRequirements::JobRoleId))
                .col(uuid(JobRoleRequirements::CompetenceId))
                .col(integer(JobRoleRequirements::Level))
                .primary_key(
                    Index::create()
                        .col(JobRoleRequirements::JobRoleId)
                        .col(JobRoleRequirements::CompetenceId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_job_role_requirements_job_role")
                        .from(JobRoleRequirements::Table, JobRoleRequirements::JobRoleId)
                        .to(JobRoles::Table, JobRoles::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_job_role_requirements_competence")
                        .from(
                            JobRoleRequirements::Table,
                            JobRoleRequirements::CompetenceId,
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
                .table(UserJobRoles::Table)
                .col(uuid(UserJobRoles::UserId).primary_key())
                .col(uuid(UserJobRoles::JobRoleId))
                .col(timestamp_with_time_zone(UserJobRoles::AssignedAt))
                .col(uuid_null(UserJobRoles::AssignedBy))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_job_roles_user")
                        .from(UserJobRoles::Table, UserJobRoles::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_job_roles_job_role")
                        .from(UserJobRoles::Table, UserJobRoles::JobRoleId)
                        .to(JobRoles::Table, JobRoles::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_user_job_roles_job_role")
                .table(UserJobRoles::Table)
                .col(UserJobRoles::JobRoleId)
                .to_owned(),
        )
        .await?;
    Ok(())
}

async fn seed_digcomp(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let framework = Uuid::new_v4();
    manager
        .exec_stmt(
            Query::insert()
                .into_table(CompetenceFrameworks::Table)
                .columns([
                    CompetenceFrameworks::Id,
                    CompetenceFrameworks::Code,
                    CompetenceFrameworks::Version,
                    CompetenceFrameworks::Name,
                    CompetenceFrameworks::Description,
                    CompetenceFrameworks::LevelCount,
                    CompetenceFrameworks::CreatedAt,
                ])
                .values([
                    framework.into(),
                    "DIGCOMP".into(),
                    "2.2".into(),
                    "DigComp 2.2: The Digital Competence Framework for Citizens".into(),
                    "The European Commission's framework of 21 digital competences in five areas, with eight proficiency levels.".into(),
                    8.into(),
                    Utc::now().into(),
                ])
                .map_err(|err| DbErr::Custom(err.to_string()))?
                .to_owned(),
        )
        .await?;

    let mut levels = Query::insert()
        .into_table(ProficiencyLevels::Table)
        .columns([
            ProficiencyLevels::FrameworkId,
            ProficiencyLevels::Level,
            ProficiencyLevels::Name,
            ProficiencyLevels::Band,
            ProficiencyLevels::Description,
        ])
        .to_owned();
    for (level, (name, band, description)) in (1..).zip(DIGCOMP_LEVELS) {
        levels
            .values([
                framework.into(),
                level.into(),
                name.into(),
                band.into(),
                description.into(),
            ])
            .map_err(|err| DbErr::Custom(err.to_string()))?;
    }
    manager.exec_stmt(levels).await?;

    let mut areas = Query::insert()
        .into_table(CompetenceAreas::Table)
        .columns([
            CompetenceAreas::Id,
            CompetenceAreas::FrameworkId,
            CompetenceAreas::Code,
            CompetenceAreas::Name,
            CompetenceAreas::Position,
        ])
        .to_owned();
    let mut competences = Query::insert()
        .into_table(Competences::Table)
        .columns([
            Competences::Id,
            Competences::FrameworkId,
            Competences::AreaId,
            Competences::Code,
            Competences::Name,
            Competences::Description,
            Competences::Position,
        ])
        .to_owned();
    let mut position = 0;
    for (area_position, (code, name, members)) in (1..).zip(DIGCOMP_AREAS) {
        let area = Uuid::new_v4();
        areas
            .values([
                area.into(),
                framework.into(),
                code.into(),
                name.into(),
                area_position.into(),
            ])
            .map_err(|err| DbErr::Custom(err.to_string()))?;
        for (code, name) in members {
            position += 1;
            competences
                .values([
                    Uuid::new_v4().into(),
                    framework.into(),
                    area.into(),
                    (*code).into(),
                    (*name).into(),
                    "".into(),
                    position.into(),
                ])
                .map_err(|err| DbErr::Custom(err.to_string()))?;
        }
    }
    manager.exec_stmt(areas).await?;
    manager.exec_stmt(competences).await?;
    Ok(())
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
enum CompetenceFrameworks {
    Table,
    Id,
    Code,
    Version,
    Name,
    Description,
    LevelCount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProficiencyLevels {
    Table,
    FrameworkId,
    Level,
    Name,
    Band,
    Description,
}

#[derive(DeriveIden)]
enum CompetenceAreas {
    Table,
    Id,
    FrameworkId,
    Code,
    Name,
    Position,
}

#[derive(DeriveIden)]
enum Competences {
    Table,
    Id,
    FrameworkId,
    AreaId,
    Code,
    Name,
    Description,
    Position,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum JobRoles {
    Table,
    Id,
    OrgUnitId,
    Name,
    Description,
    UsesAiSystems,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum JobRoleRequirements {
    Table,
    JobRoleId,
    CompetenceId,
    Level,
}

#[derive(DeriveIden)]
enum UserJobRoles {
    Table,
    UserId,
    JobRoleId,
    AssignedAt,
    AssignedBy,
}

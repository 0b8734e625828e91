//! The authority's AI register (EU AI Act Art. 4, 26 and 49): `ai_systems` (one per system an
//! authority deploys or provides, with its risk class, EU database registration and version),
//! `ai_system_changes` (the change log; a change that needs retraining makes earlier evidence
//! stale), `ai_system_uses` (which job roles, or named people, operate or oversee a system or
//! are affected by it), `ai_system_measures` (what each kind of use requires: courses,
//! certificates, competence levels, acknowledged instructions) and
//! `ai_instruction_acknowledgements` (who acknowledged a system's instructions for use, for
//! which version).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AiSystems::Table)
                    .col(uuid(AiSystems::Id).primary_key())
                    .col(uuid(AiSystems::OrgUnitId))
                    .col(string_len(AiSystems::Name, 200))
                    .col(text(AiSystems::Purpose))
                    .col(string_len(AiSystems::Provider, 200))
                    .col(string_len(AiSystems::AuthorityRole, 16))
                    .col(string_len(AiSystems::RiskClass, 16))
                    .col(integer_null(AiSystems::AnnexIiiArea))
                    .col(string_len_null(AiSystems::EuDatabaseId, 100))
                    .col(string_len_null(AiSystems::PublicRegisterUrl, 500))
                    .col(string_len_null(AiSystems::InstructionsUrl, 500))
                    .col(uuid_null(AiSystems::OwnerUnitId))
                    .col(uuid_null(AiSystems::ContactUserId))
                    .col(string_len(AiSystems::Status, 16))
                    .col(integer(AiSystems::Version))
                    .col(timestamp_with_time_zone_null(AiSystems::RetrainingSince))
                    .col(timestamp_with_time_zone(AiSystems::CreatedAt))
                    .col(timestamp_with_time_zone(AiSystems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_systems_org_unit")
                            .from(AiSystems::Table, AiSystems::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_systems_owner_unit")
                            .from(AiSystems::Table, AiSystems::OwnerUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_systems_contact")
                            .from(AiSystems::Table, AiSystems::ContactUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ai_systems_org_unit")
                    .table(AiSystems::Table)
                    .col(AiSystems::OrgUnitId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AiSystemChanges::Table)
                    .col(uuid(AiSystemChanges::Id).primary_key())
                    .col(uuid(AiSystemChanges::AiSystemId))
                    .col(integer(AiSystemChanges::Version))
                    .col(text(AiSystemChanges::Summary))
                    .col(boolean(AiSystemChanges::RequiresRetraining))
                    .col(uuid_null(AiSystemChanges::RecordedBy))
                    .col(timestamp_with_time_zone(AiSystemChanges::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_system_changes_system")
                            .from(AiSystemChanges::Table, AiSystemChanges::AiSystemId)
                            .to(AiSystems::Table, AiSystems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_system_changes_recorded_by")
                            .from(AiSystemChanges::Table, AiSystemChanges::RecordedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ai_system_changes_version")
                    .table(AiSystemChanges::Table)
                    .col(AiSystemChanges::AiSystemId)
                    .col(AiSystemChanges::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AiSystemUses::Table)
                    .col(uuid(AiSystemUses::Id).primary_key())
                    .col(uuid(AiSystemUses::AiSystemId))
                    .col(uuid_null(AiSystemUses::JobRoleId))
                    .col(uuid_null(AiSystemUses::UserId))
                    .col(string_len(AiSystemUses::Kind, 16))
                    .col(timestamp_with_time_zone(AiSystemUses::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_system_uses_system")
                            .from(AiSystemUses::Table, AiSystemUses::AiSystemId)
                            .to(AiSystems::Table, AiSystems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_system_uses_job_role")
                            .from(AiSystemUses::Table, AiSystemUses::JobRoleId)
                            .to(JobRoles::Table, JobRoles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_system_uses_user")
                            .from(AiSystemUses::Table, AiSystemUses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("uq_ai_system_uses_job_role", AiSystemUses::JobRoleId),
            ("uq_ai_system_uses_user", AiSystemUses::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AiSystemUses::Table)
                        .col(AiSystemUses::AiSystemId)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AiSystemMeasures::Table)
                    .col(uuid(AiSystemMeasures::Id).primary_key())
                    .col(uuid(AiSystemMeasures::AiSystemId))
                    .col(string_len(AiSystemMeasures::Kind, 16))
                    .col(uuid_null(AiSystemMeasures::CourseId))
                    .col(uuid_null(AiSystemMeasures::TemplateId))
                    .col(uuid_null(AiSystemMeasures::CompetenceId))
                    .col(integer_null(AiSystemMeasures::MinLevel))
                    .col(boolean(AiSystemMeasures::Instructions).default(false))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_system_measures_system")
                            .from(AiSystemMeasures::Table, AiSystemMeasures::AiSystemId)
                            .to(AiSystems::Table, AiSystems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ai_system_measures_system")
                    .table(AiSystemMeasures::Table)
                    .col(AiSystemMeasures::AiSystemId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AiInstructionAcknowledgements::Table)
                    .col(uuid(AiInstructionAcknowledgements::AiSystemId))
                    .col(uuid(AiInstructionAcknowledgements::UserId))
                    .col(integer(AiInstructionAcknowledgements::Version))
                    .col(timestamp_with_time_zone(
                        AiInstructionAcknowledgements::AcknowledgedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(AiInstructionAcknowledgements::AiSystemId)
                            .col(AiInstructionAcknowledgements::UserId)
                            .col(AiInstructionAcknowledgements::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_acknowledgements_system")
                            .from(
                                AiInstructionAcknowledgements::Table,
                                AiInstructionAcknowledgements::AiSystemId,
                            )
                            .to(AiSystems::Table, AiSystems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_acknowledgements_user")
                            .from(
                                AiInstructionAcknowledgements::Table,
                                AiInstructionAcknowledgements::UserId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AiInstructionAcknowledgements::Table.into_iden(),
            AiSystemMeasures::Table.into_iden(),
            AiSystemUses::Table.into_iden(),
            AiSystemChanges::Table.into_iden(),
            AiSystems::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AiSystems {
    Table,
    Id,
    OrgUnitId,
    Name,
    Purpose,
    Provider,
    AuthorityRole,
    RiskClass,
    AnnexIiiArea,
    EuDatabaseId,
    PublicRegisterUrl,
    InstructionsUrl,
    OwnerUnitId,
    ContactUserId,
    Status,
    Version,
    RetrainingSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AiSystemChanges {
    Table,
    Id,
    AiSystemId,
    Version,
    Summary,
    RequiresRetraining,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum AiSystemUses {
    Table,
    Id,
    AiSystemId,
    JobRoleId,
    UserId,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AiSystemMeasures {
    Table,
    Id,
    AiSystemId,
    Kind,
    CourseId,
    TemplateId,
    CompetenceId,
    MinLevel,
    Instructions,
}

#[derive(DeriveIden)]
enum AiInstructionAcknowledgements {
    Table,
    AiSystemId,
    UserId,
    Version,
    AcknowledgedAt,
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

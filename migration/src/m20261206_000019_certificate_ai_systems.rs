//! `certificate_ai_systems`: the AI systems a certificate was earned for, as they were at
//! issuance (name and version), when its template is tied to a system of the holder's authority
//! (an `ai_system_measures` row names the template). One row per certificate and system;
//! deleted with the certificate. A system a certificate names cannot be deleted (the register
//! retires systems, it does not delete them).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CertificateAiSystems::Table)
                    .col(uuid(CertificateAiSystems::CertificateId))
                    .col(uuid(CertificateAiSystems::AiSystemId))
                    .col(text(CertificateAiSystems::Name))
                    .col(integer(CertificateAiSystems::Version))
                    .primary_key(
                        Index::create()
                            .col(CertificateAiSystems::CertificateId)
                            .col(CertificateAiSystems::AiSystemId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_ai_systems_certificate")
                            .from(
                                CertificateAiSystems::Table,
                                CertificateAiSystems::CertificateId,
                            )
                            .to(Certificates::Table, Certificates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_ai_systems_system")
                            .from(
                                CertificateAiSystems::Table,
                                CertificateAiSystems::AiSystemId,
                            )
                            .to(AiSystems::Table, AiSystems::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificate_ai_systems_system")
                    .table(CertificateAiSystems::Table)
                    .col(CertificateAiSystems::AiSystemId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CertificateAiSystems::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CertificateAiSystems {
    Table,
    CertificateId,
    AiSystemId,
    Name,
    Version,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AiSystems {
    Table,
    Id,
}

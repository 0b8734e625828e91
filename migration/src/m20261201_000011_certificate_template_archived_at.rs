//! `certificate_templates.archived_at`: an archived template issues nothing more, while the
//! certificates it issued stay as they are.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CertificateTemplates::Table)
                    .add_column(timestamp_with_time_zone_null(
                        CertificateTemplates::ArchivedAt,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CertificateTemplates::Table)
                    .drop_column(CertificateTemplates::ArchivedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CertificateTemplates {
    Table,
    ArchivedAt,
}

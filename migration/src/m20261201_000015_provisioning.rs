//! SCIM 2.0 provisioning: `org_units.external_id` (the HR system's key of a unit, unique within
//! an authority, which the service checks), `users.external_id` and `users.user_name` (SCIM's
//! `externalId` and `userName`; `userName` unique regardless of case), `users.deprovisioned_at`
//! (when SCIM deleted the account: it stays, disabled, with its records, but SCIM no longer
//! shows it), and `provisioning_tokens`,
//! an authority's SCIM credentials, stored only as the SHA-256 of the secret.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OrgUnits::Table)
                    .add_column(string_len_null(OrgUnits::ExternalId, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_org_units_external_id")
                    .table(OrgUnits::Table)
                    .col(OrgUnits::ExternalId)
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in [Users::ExternalId, Users::UserName] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(string_len_null(column, 320))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::DeprovisionedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_external_id")
                    .table(Users::Table)
                    .col(Users::ExternalId)
                    .to_owned(),
            )
            .await?;
        // An expression index, the same on both engines: SCIM's `userName` is not case-exact
        // (RFC 7643 4.1.1), so two names differing only in case are one name.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_users_user_name ON users (lower(user_name))",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProvisioningTokens::Table)
                    .col(uuid(ProvisioningTokens::Id).primary_key())
                    .col(uuid(ProvisioningTokens::OrgUnitId))
                    .col(string_len(ProvisioningTokens::Description, 200))
                    .col(string_len(ProvisioningTokens::TokenHash, 64))
                    .col(uuid_null(ProvisioningTokens::CreatedBy))
                    .col(timestamp_with_time_zone(ProvisioningTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        ProvisioningTokens::LastUsedAt,
                    ))
                    .col(timestamp_with_time_zone_null(ProvisioningTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_provisioning_tokens_org_unit")
                            .from(ProvisioningTokens::Table, ProvisioningTokens::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_provisioning_tokens_created_by")
                            .from(ProvisioningTokens::Table, ProvisioningTokens::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_provisioning_tokens_hash")
                    .table(ProvisioningTokens::Table)
                    .col(ProvisioningTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_provisioning_tokens_org_unit")
                    .table(ProvisioningTokens::Table)
                    .col(ProvisioningTokens::OrgUnitId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProvisioningTokens::Table).to_owned())
            .await?;
        for name in ["uq_users_user_name", "ix_users_external_id"] {
            manager
                .drop_index(Index::drop().name(name).table(Users::Table).to_owned())
                .await?;
        }
        for column in [Users::ExternalId, Users::UserName, Users::DeprovisionedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_org_units_external_id")
                    .table(OrgUnits::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OrgUnits::Table)
                    .drop_column(OrgUnits::ExternalId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
    ExternalId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    ExternalId,
    UserName,
    DeprovisionedAt,
}

#[derive(DeriveIden)]
enum ProvisioningTokens {
    Table,
    Id,
    OrgUnitId,
    Description,
    TokenHash,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

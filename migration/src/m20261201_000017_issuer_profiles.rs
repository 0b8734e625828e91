//! Each authority issues certificates as itself: `issuer_profiles` (its name (NULL: its top-level
//! unit's name), postal address,
//! contact and signature algorithm as a verifier sees them, whether it publishes its AI register,
//! and the counter its revocation
//! status list entries are allocated from); `issuer_keys.algorithm` (keys are `EdDSA` or
//! `RS256`; rows before this are Ed25519); `certificates.issuer_unit_id`, `status_list` and
//! `status_index` (the authority that issued a certificate and its entry in that authority's
//! status list; NULL for certificates issued before status lists existed); `issuer_keys.public_key`
//! widened to text for RSA keys; and
//! `users.wallet_did` (a holder's wallet identifier, which new credentials are issued to).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IssuerProfiles::Table)
                    .col(uuid(IssuerProfiles::OrgUnitId).primary_key())
                    .col(string_len_null(IssuerProfiles::Name, 200))
                    .col(string_len_null(IssuerProfiles::StreetAddress, 200))
                    .col(string_len_null(IssuerProfiles::PostalCode, 20))
                    .col(string_len_null(IssuerProfiles::Locality, 100))
                    .col(string_len_null(IssuerProfiles::Country, 2))
                    .col(string_len_null(IssuerProfiles::Email, 320))
                    .col(string_len_null(IssuerProfiles::Url, 500))
                    .col(string_len_null(IssuerProfiles::Algorithm, 8))
                    .col(boolean(IssuerProfiles::PublishesAiRegister).default(false))
                    .col(big_integer(IssuerProfiles::NextStatusIndex).default(0))
                    .col(timestamp_with_time_zone(IssuerProfiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_issuer_profiles_org_unit")
                            .from(IssuerProfiles::Table, IssuerProfiles::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(IssuerKeys::Table)
                    .add_column(string_len(IssuerKeys::Algorithm, 8).default("EdDSA"))
                    .to_owned(),
            )
            .await?;
        // An RSA public key (its JWK members) does not fit the 64 characters of an Ed25519 `x`.
        // SQLite does not enforce lengths (and cannot alter a column's type).
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .alter_table(
                    Table::alter()
                        .table(IssuerKeys::Table)
                        .modify_column(text(IssuerKeys::PublicKey))
                        .to_owned(),
                )
                .await?;
        }
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column(uuid_null(Certificates::IssuerUnitId))
                    .to_owned(),
            )
            .await?;
        for column in [Certificates::StatusList, Certificates::StatusIndex] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Certificates::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("uq_certificates_status_entry")
                    .table(Certificates::Table)
                    .col(Certificates::IssuerUnitId)
                    .col(Certificates::StatusList)
                    .col(Certificates::StatusIndex)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Users::WalletDid, 500))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::WalletDid)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_certificates_status_entry")
                    .table(Certificates::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Certificates::IssuerUnitId,
            Certificates::StatusList,
            Certificates::StatusIndex,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Certificates::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(IssuerKeys::Table)
                    .drop_column(IssuerKeys::Algorithm)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(IssuerProfiles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum IssuerProfiles {
    Table,
    OrgUnitId,
    Name,
    StreetAddress,
    PostalCode,
    Locality,
    Country,
    Email,
    Url,
    Algorithm,
    PublishesAiRegister,
    NextStatusIndex,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum IssuerKeys {
    Table,
    Algorithm,
    PublicKey,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    IssuerUnitId,
    StatusList,
    StatusIndex,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    WalletDid,
}

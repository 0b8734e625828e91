//! OpenID Connect sign-in: `identity_providers` (an authority's providers, with the client secret
//! sealed) and `user_identities` (an account linked to a provider's subject, unique per provider
//! and subject).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdentityProviders::Table)
                    .col(pk_uuid(IdentityProviders::Id))
                    .col(uuid(IdentityProviders::OrgUnitId))
                    .col(string_len(IdentityProviders::Name, 200))
                    .col(string_len(IdentityProviders::IssuerUrl, 500))
                    .col(string_len(IdentityProviders::ClientId, 500))
                    .col(text(IdentityProviders::ClientSecret))
                    .col(string_len(IdentityProviders::Scopes, 500))
                    .col(json(IdentityProviders::EmailDomains))
                    .col(boolean(IdentityProviders::CreateAccounts))
                    .col(string_len_null(IdentityProviders::OrgUnitClaim, 100))
                    .col(string_len_null(IdentityProviders::JobRoleClaim, 100))
                    .col(boolean(IdentityProviders::PasswordSignIn))
                    .col(timestamp_with_time_zone(IdentityProviders::CreatedAt))
                    .col(timestamp_with_time_zone(IdentityProviders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_identity_providers_org_unit")
                            .from(IdentityProviders::Table, IdentityProviders::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_identity_providers_name")
                    .table(IdentityProviders::Table)
                    .col(IdentityProviders::OrgUnitId)
                    .col(IdentityProviders::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserIdentities::Table)
                    .col(pk_uuid(UserIdentities::Id))
                    .col(uuid(UserIdentities::ProviderId))
                    .col(string_len(UserIdentities::Subject, 255))
                    .col(uuid(UserIdentities::UserId))
                    .col(timestamp_with_time_zone(UserIdentities::CreatedAt))
                    .col(timestamp_with_time_zone(UserIdentities::LastSignInAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_identities_provider")
                            .from(UserIdentities::Table, UserIdentities::ProviderId)
                            .to(IdentityProviders::Table, IdentityProviders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_identities_user")
                            .from(UserIdentities::Table, UserIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_user_identities_subject")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::ProviderId)
                    .col(UserIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_user_identities_user")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserIdentities::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(IdentityProviders::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum IdentityProviders {
    Table,
    Id,
    OrgUnitId,
    Name,
    IssuerUrl,
    ClientId,
    ClientSecret,
    Scopes,
    EmailDomains,
    CreateAccounts,
    OrgUnitClaim,
    JobRoleClaim,
    PasswordSignIn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserIdentities {
    Table,
    Id,
    ProviderId,
    Subject,
    UserId,
    CreatedAt,
    LastSignInAt,
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

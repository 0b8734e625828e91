//! Notifications and the job queue (issue 19): `jobs` (a durable queue on the database: a kind,
//! a JSON payload, when it may run, attempts, the worker holding it and its last error; a
//! `unique_key` makes enqueueing the same work twice a no-op), `notifications` (what a person is
//! told, in the app and by email, once per person and occasion: `uq_notifications_occasion`),
//! `notification_preferences` (per person and kind: whether to email),
//! `certificate_recertifications` (a template's holders are assigned a course again this many
//! days before their certificate expires), `users.locale` (the person's language, BCP 47; `issuer_profiles.language` is the authority's,
//! the default for its staff) and
//! `users.erased_at` (when the person's identifying data was erased, GDPR Art. 17).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(uuid(Jobs::Id).primary_key())
                    .col(string_len(Jobs::Kind, 40))
                    .col(json(Jobs::Payload))
                    .col(string_len_null(Jobs::UniqueKey, 200))
                    .col(string_len(Jobs::State, 16))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(integer(Jobs::Attempts))
                    .col(integer(Jobs::MaxAttempts))
                    .col(text_null(Jobs::LastError))
                    .col(string_len_null(Jobs::LockedBy, 100))
                    .col(timestamp_with_time_zone_null(Jobs::LockedAt))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_jobs_unique_key")
                    .table(Jobs::Table)
                    .col(Jobs::UniqueKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_state_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(uuid(Notifications::Id).primary_key())
                    .col(uuid(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 40))
                    .col(string_len(Notifications::Occasion, 200))
                    .col(json(Notifications::Params))
                    .col(boolean(Notifications::Mandatory))
                    .col(string_len(Notifications::EmailState, 16))
                    .col(string_len_null(Notifications::MessageId, 200))
                    .col(string_len(Notifications::UnsubscribeToken, 64))
                    .col(timestamp_with_time_zone_null(Notifications::EmailedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_user")
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_notifications_occasion")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Occasion)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_notifications_unsubscribe_token")
                    .table(Notifications::Table)
                    .col(Notifications::UnsubscribeToken)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationPreferences::Table)
                    .col(uuid(NotificationPreferences::UserId))
                    .col(string_len(NotificationPreferences::Kind, 40))
                    .col(boolean(NotificationPreferences::Email))
                    .primary_key(
                        Index::create()
                            .name("pk_notification_preferences")
                            .col(NotificationPreferences::UserId)
                            .col(NotificationPreferences::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_preferences_user")
                            .from(
                                NotificationPreferences::Table,
                                NotificationPreferences::UserId,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CertificateRecertifications::Table)
                    .col(uuid(CertificateRecertifications::TemplateId).primary_key())
                    .col(integer(CertificateRecertifications::DaysBefore))
                    .col(uuid(CertificateRecertifications::CourseId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_recertifications_template")
                            .from(
                                CertificateRecertifications::Table,
                                CertificateRecertifications::TemplateId,
                            )
                            .to(CertificateTemplates::Table, CertificateTemplates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_recertifications_course")
                            .from(
                                CertificateRecertifications::Table,
                                CertificateRecertifications::CourseId,
                            )
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Users::Locale, 35))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::ErasedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(IssuerProfiles::Table)
                    .add_column(string_len_null(IssuerProfiles::Language, 35))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IssuerProfiles::Table)
                    .drop_column(IssuerProfiles::Language)
                    .to_owned(),
            )
            .await?;
        for column in [Users::ErasedAt, Users::Locale] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            CertificateRecertifications::Table.into_iden(),
            NotificationPreferences::Table.into_iden(),
            Notifications::Table.into_iden(),
            Jobs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    UniqueKey,
    State,
    RunAt,
    Attempts,
    MaxAttempts,
    LastError,
    LockedBy,
    LockedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Occasion,
    Params,
    Mandatory,
    EmailState,
    MessageId,
    UnsubscribeToken,
    EmailedAt,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    UserId,
    Kind,
    Email,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Locale,
    ErasedAt,
}

#[derive(DeriveIden)]
enum IssuerProfiles {
    Table,
    Language,
}

#[derive(DeriveIden)]
enum CertificateRecertifications {
    Table,
    TemplateId,
    DaysBefore,
    CourseId,
}

#[derive(DeriveIden)]
enum CertificateTemplates {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
}

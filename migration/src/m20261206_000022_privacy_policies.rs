//! Data protection per authority (issue 20): `privacy_policies` holds an authority's retention
//! periods in months (attempt answers after scoring, self-assessments, audit events, disabled
//! accounts after deactivation, notifications), its reports' minimum group size (NULL: the
//! platform default; below 3 only with a recorded reason) and how much of a person's results
//! HR sees (`full`, or `pass_fail`: completion and pass/fail only). A missing row means the
//! defaults. `users.disabled_at` says since when an account is disabled, so that retention can
//! erase it; existing disabled accounts count from their last change.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PrivacyPolicies::Table)
                    .col(uuid(PrivacyPolicies::OrgUnitId).primary_key())
                    .col(integer(PrivacyPolicies::AttemptAnswersMonths))
                    .col(integer(PrivacyPolicies::SelfAssessmentsMonths))
                    .col(integer(PrivacyPolicies::AuditEventsMonths))
                    .col(integer(PrivacyPolicies::DisabledAccountsMonths))
                    .col(integer(PrivacyPolicies::NotificationsMonths))
                    .col(integer_null(PrivacyPolicies::MinGroupSize))
                    .col(text_null(PrivacyPolicies::MinGroupSizeReason))
                    .col(string_len(PrivacyPolicies::HrPersonView, 16))
                    .col(uuid_null(PrivacyPolicies::UpdatedBy))
                    .col(timestamp_with_time_zone(PrivacyPolicies::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_privacy_policies_org_unit")
                            .from(PrivacyPolicies::Table, PrivacyPolicies::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_privacy_policies_updated_by")
                            .from(PrivacyPolicies::Table, PrivacyPolicies::UpdatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::DisabledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::DisabledAt, Expr::col(Users::UpdatedAt))
                    .and_where(Expr::col(Users::Status).eq("disabled"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_disabled_at")
                    .table(Users::Table)
                    .col(Users::DisabledAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_users_disabled_at")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::DisabledAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PrivacyPolicies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PrivacyPolicies {
    Table,
    OrgUnitId,
    AttemptAnswersMonths,
    SelfAssessmentsMonths,
    AuditEventsMonths,
    DisabledAccountsMonths,
    NotificationsMonths,
    MinGroupSize,
    MinGroupSizeReason,
    HrPersonView,
    UpdatedBy,
    UpdatedAt,
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
    DisabledAt,
    UpdatedAt,
    Status,
}

//! Org units (a tree with a materialised path), users, role grants and audit events.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Paths compare bytewise on both engines (SQLite's default), so subtree range scans use
        // the index and sort as the domain expects.
        let mut path = string_len(OrgUnits::Path, 1000);
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            path.extra(r#"COLLATE "C""#);
        }
        manager
            .create_table(
                Table::create()
                    .table(OrgUnits::Table)
                    .col(pk_uuid(OrgUnits::Id))
                    .col(uuid_null(OrgUnits::ParentId))
                    .col(string_len(OrgUnits::Name, 200))
                    // "/<root id>/<child id>/.../<own id>/": a subtree is every row whose path
                    // starts with the path of its root, one indexed range scan on both engines.
                    .col(path)
                    .col(integer(OrgUnits::Depth))
                    .col(timestamp_with_time_zone(OrgUnits::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_units_parent")
                            .from(OrgUnits::Table, OrgUnits::ParentId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_org_units_path")
                    .table(OrgUnits::Table)
                    .col(OrgUnits::Path)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_org_units_parent")
                    .table(OrgUnits::Table)
                    .col(OrgUnits::ParentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    // Stored normalised (trimmed, lower case), so the unique index is
                    // case-insensitive on both engines.
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::DisplayName, 200))
                    .col(string_len(Users::PasswordHash, 200))
                    .col(uuid(Users::OrgUnitId))
                    .col(string_len(Users::Status, 16))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_org_unit")
                            .from(Users::Table, Users::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_users_email")
                    .table(Users::Table)
                    .col(Users::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_org_unit")
                    .table(Users::Table)
                    .col(Users::OrgUnitId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleGrants::Table)
                    .col(pk_uuid(RoleGrants::Id))
                    .col(uuid(RoleGrants::UserId))
                    .col(string_len(RoleGrants::Role, 16))
                    // NULL: platform-wide.
                    .col(uuid_null(RoleGrants::OrgUnitId))
                    .col(uuid_null(RoleGrants::GrantedBy))
                    .col(timestamp_with_time_zone(RoleGrants::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grants_user")
                            .from(RoleGrants::Table, RoleGrants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grants_org_unit")
                            .from(RoleGrants::Table, RoleGrants::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_role_grants_user")
                    .table(RoleGrants::Table)
                    .col(RoleGrants::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len(AuditEvents::TargetType, 64))
                    .col(uuid_null(AuditEvents::TargetId))
                    .col(json(AuditEvents::Details))
                    .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_target")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::TargetId)
                    .col(AuditEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            RoleGrants::Table.into_iden(),
            Users::Table.into_iden(),
            OrgUnits::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
    ParentId,
    Name,
    Path,
    Depth,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    OrgUnitId,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoleGrants {
    Table,
    Id,
    UserId,
    Role,
    OrgUnitId,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Details,
    CreatedAt,
}

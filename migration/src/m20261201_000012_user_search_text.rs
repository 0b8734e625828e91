//! `users.search_text`: a person's display name and email folded for search (lower case,
//! accents removed), so the people directory finds "Đorđević" by "dordevic" alike on SQLite and
//! PostgreSQL. Written by the domain whenever the name or email is; existing accounts are
//! filled in here, with the folding rule as migration 000009 shipped it.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

use crate::m20261201_000009_course_search_text::fold;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::SearchText)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let rows = db
            .query_all(
                Query::select()
                    .columns([Users::Id, Users::DisplayName, Users::Email])
                    .from(Users::Table),
            )
            .await?;
        for row in rows {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let name: String = row.try_get("", "display_name")?;
            let email: String = row.try_get("", "email")?;
            manager
                .exec_stmt(
                    Query::update()
                        .table(Users::Table)
                        .value(Users::SearchText, fold(&format!("{name}\n{email}")))
                        .and_where(Expr::col(Users::Id).eq(id))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::SearchText)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DisplayName,
    Email,
    SearchText,
}

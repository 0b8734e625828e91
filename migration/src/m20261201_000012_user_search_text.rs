//! `users.search_text`: a person's display name and email folded for search (lower case,
//! accents removed), so the people directory finds "Đorđević" by "dordevic" alike on SQLite and
//! PostgreSQL. Written by the domain whenever the name or email is; existing accounts are
//! filled in here.

use sea_orm_migration::prelude::*;

use crate::search_text;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        search_text::add_and_fill(manager, "users", &["display_name", "email"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        search_text::drop(manager, "users").await
    }
}

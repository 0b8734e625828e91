//! `courses.search_text`: a course's title and summary folded for search (lower case, accents
//! removed), so the catalogue's text search compares folded text with `LIKE` and gives the same
//! answer on SQLite (whose `lower()` folds ASCII only) and PostgreSQL. Written by the domain
//! whenever a title or summary is; existing courses are filled in here.

use sea_orm_migration::prelude::*;

use crate::search_text;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        search_text::add_and_fill(manager, "courses", &["title", "summary"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        search_text::drop(manager, "courses").await
    }
}

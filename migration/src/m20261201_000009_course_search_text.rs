//! `courses.search_text`: a course's title and summary folded for search (lower case, accents
//! removed), so the catalogue's text search compares folded text with `LIKE` and gives the same
//! answer on SQLite (whose `lower()` folds ASCII only) and PostgreSQL. Written by the domain
//! whenever a title or summary is; existing courses are filled in here.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};
use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Courses::Table)
                    .add_column(
                        ColumnDef::new(Courses::SearchText)
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
                    .columns([Courses::Id, Courses::Title, Courses::Summary])
                    .from(Courses::Table),
            )
            .await?;
        for row in rows {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let title: String = row.try_get("", "title")?;
            let summary: String = row.try_get("", "summary")?;
            manager
                .exec_stmt(
                    Query::update()
                        .table(Courses::Table)
                        .value(Courses::SearchText, fold(&format!("{title}\n{summary}")))
                        .and_where(Expr::col(Courses::Id).eq(id))
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
                    .table(Courses::Table)
                    .drop_column(Courses::SearchText)
                    .to_owned(),
            )
            .await
    }
}

/// The folding rule as this migration shipped it (`domain::search::fold` at the time): a
/// released migration keeps meaning what it meant, so it does not borrow the domain's code,
/// which may change.
pub(crate) fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'ß' => folded.push_str("ss"),
                'æ' => folded.push_str("ae"),
                'œ' => folded.push_str("oe"),
                'đ' => folded.push('d'),
                'ł' => folded.push('l'),
                'ø' => folded.push('o'),
                'ς' => folded.push('σ'),
                'ı' => folded.push('i'),
                other => folded.push(other),
            }
        }
    }
    folded
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    Title,
    Summary,
    SearchText,
}

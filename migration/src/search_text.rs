//! Adding a folded `search_text` column and filling it, shared by the migrations that gave
//! courses (000009) and users (000012) one. Released migrations use it, so its behaviour is
//! frozen: the folding rule here is the domain's `search::fold` as those migrations shipped,
//! kept apart because a migration must keep meaning what it meant when the domain changes.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};
use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};

/// Adds `search_text` (text, not null, default '') to `table` and fills it, for every row, with
/// the folded `sources` columns joined by a line break.
pub async fn add_and_fill(
    manager: &SchemaManager<'_>,
    table: &'static str,
    sources: &[&'static str],
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(
                    ColumnDef::new(Alias::new("search_text"))
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
                .column(Alias::new("id"))
                .columns(sources.iter().map(|source| Alias::new(*source)))
                .from(Alias::new(table)),
        )
        .await?;
    for row in rows {
        let id: uuid::Uuid = row.try_get("", "id")?;
        let mut parts = Vec::with_capacity(sources.len());
        for source in sources {
            parts.push(row.try_get::<String>("", source)?);
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(Alias::new(table))
                    .value(Alias::new("search_text"), fold(&parts.join("\n")))
                    .and_where(Expr::col(Alias::new("id")).eq(id))
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Drops the column again.
pub async fn drop(manager: &SchemaManager<'_>, table: &'static str) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .drop_column(Alias::new("search_text"))
                .to_owned(),
        )
        .await
}

/// The folding rule as it shipped: NFKD, combining marks removed, lower case, and the letters
/// that do not decompose mapped to their base letter.
fn fold(text: &str) -> String {
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

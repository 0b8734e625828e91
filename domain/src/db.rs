//! Transactions that behave alike on both engines.

use sea_orm::{DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};

/// Begins a transaction that may write.
///
/// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`). A deferred transaction that
/// reads first and writes later cannot wait for a concurrent writer: SQLite refuses the upgrade
/// at once with "database is locked" to avoid a deadlock, so a double click would end in an
/// internal error. An immediate one waits its turn for the busy timeout instead, and then sees
/// what the writer before it committed, which is what PostgreSQL's row locks give. PostgreSQL
/// ignores the mode.
pub async fn begin<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

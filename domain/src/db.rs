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

/// Locks the `users` rows of `user_ids` until the transaction ends (`SELECT .. ORDER BY id FOR
/// NO KEY UPDATE`, the lock an update takes), so that changes to one person's records run one at
/// a time: on PostgreSQL a second transaction waits here, and the statements after it see what
/// the first committed (read committed takes a new snapshot per statement). The rows are locked
/// in id order, as the triggers of migrations 000023 and 000025 lock them, so two transactions
/// locking several of the same people cannot each wait for the other. On SQLite, [`begin`] has
/// already ordered the writers, and nothing is done.
pub async fn lock_users(
    txn: &impl sea_orm::ConnectionTrait,
    user_ids: impl IntoIterator<Item = uuid::Uuid>,
) -> Result<(), DbErr> {
    use sea_orm::{
        ColumnTrait as _, DbBackend, EntityTrait as _, QueryFilter as _, QueryOrder as _,
        QuerySelect as _, sea_query::LockType,
    };

    use crate::entities::user;
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(user_ids))
        .order_by_asc(user::Column::Id)
        .lock(LockType::NoKeyUpdate)
        .into_tuple::<uuid::Uuid>()
        .all(txn)
        .await?;
    Ok(())
}

use sea_orm::{DbErr, SqlErr};

/// What went wrong in a domain service, split by whose fault it is.
///
/// Everything but [`Error::Internal`] is the caller's fault and safe to show them as it is;
/// `Internal` carries a cause for the log and must reach a client only as an opaque code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The action needs a signed-in user.
    #[error("you must be signed in to do this")]
    Unauthenticated,
    /// Email and password do not match an active account. Deliberately says no more.
    #[error("the email or password is incorrect")]
    InvalidCredentials,
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// An input is malformed or out of range; `field` names the input to fix.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The input is well-formed but clashes with what exists (a duplicate, a wrong state).
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// The attempt has been submitted: its answers no longer change.
    #[error("{0}")]
    AttemptSubmitted(String),
    /// The attempt's time is up: its answers no longer change.
    #[error("{0}")]
    DeadlinePassed(String),
    /// The database cannot be reached just now (connection refused or reset, pool timeout, the
    /// server shutting down, a read-only standby after a failover): neither the caller's fault
    /// nor a bug, and worth trying again. The cause is for the log only.
    #[error("the database cannot be reached just now; please try again in a moment")]
    Unavailable {
        cause: String,
        /// The connection a statement ran on died under it (the server shut down or restarted,
        /// the connection was reset), rather than no connection being had at all: a read may be
        /// run again on a fresh connection. A write may not be: see `api`'s `execute`.
        connection_lost: bool,
    },
    /// Our fault: a database or system failure. The cause is for the log only.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if is_unreachable(&err) {
            Self::Unavailable {
                cause: err.to_string(),
                connection_lost: is_connection_lost(&err),
            }
        } else {
            Self::Internal(anyhow::Error::new(err).context("database operation failed"))
        }
    }
}

/// Whether `err` says the database could not be reached (rather than that a statement failed).
fn is_unreachable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(cause))
        | DbErr::Exec(RuntimeErr::SqlxError(cause))
        | DbErr::Query(RuntimeErr::SqlxError(cause)) => match cause.as_ref() {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // PostgreSQL: connection exceptions (08), the server shutting down or not yet
            // accepting connections (57P01-57P03), too many connections (53300), and a
            // read-only transaction on a standby after a failover (25006).
            sqlx::Error::Database(database) => database.code().is_some_and(|code| {
                code.starts_with("08")
                    || matches!(
                        code.as_ref(),
                        "57P01" | "57P02" | "57P03" | "53300" | "25006"
                    )
            }),
            _ => false,
        },
        DbErr::Conn(_) => true,
        _ => false,
    }
}

/// Whether `err` says the connection a statement was sent on died under it: an I/O error, or
/// PostgreSQL ending the session (connection exceptions, 08; the server shutting down, 57P01,
/// 57P02). A connection that could not be had at all (the pool timed out: the server refused
/// or was a standby for as long as the pool waits) is not one: trying again at once would only
/// wait as long again.
fn is_connection_lost(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            match cause.as_ref() {
                sqlx::Error::Io(_) => true,
                sqlx::Error::Database(database) => database.code().is_some_and(|code| {
                    code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02")
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Maps a database constraint violation to a field error, as realworld-axum-sqlx's
/// `on_constraint` does, so a duplicate becomes `Conflict` instead of an internal error.
pub trait DbResultExt<T> {
    fn on_unique_violation(self, field: &'static str, message: &str) -> Result<T>;
}

impl<T> DbResultExt<T> for std::result::Result<T, DbErr> {
    fn on_unique_violation(self, field: &'static str, message: &str) -> Result<T> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict {
                field,
                message: message.to_owned(),
            },
            _ => err.into(),
        })
    }
}

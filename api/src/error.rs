//! The GraphQL boundary's one error type, with the stable `extensions.code` values clients rely on.

use async_graphql::ErrorExtensions as _;
use govskills_domain::Error as DomainError;

use crate::session::StoreError;

/// Stable error codes (`extensions.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    RateLimited,
    /// The attempt has been submitted: its answers no longer change.
    AttemptSubmitted,
    /// The attempt's time is up: its answers no longer change (it has been scored).
    DeadlinePassed,
    /// A backing service (the database, the session store) cannot be reached; try again later.
    Unavailable,
    /// The query asked for `__schema` or `__type` where introspection is off (production).
    IntrospectionDisabled,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::AttemptSubmitted => "ATTEMPT_SUBMITTED",
            Self::DeadlinePassed => "DEADLINE_PASSED",
            Self::Unavailable => "UNAVAILABLE",
            Self::IntrospectionDisabled => "INTROSPECTION_DISABLED",
            Self::Internal => "INTERNAL",
        }
    }
}

/// An error as a client sees it. Our own faults are logged with their cause where they are
/// converted, and reach the client only as `INTERNAL`, to which the endpoint adds the request id.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` type into
/// an error without a code, and this type must only be converted through its `From` impl.
#[derive(Clone, Debug)]
pub struct ApiError {
    code: Code,
    message: String,
    field: Option<&'static str>,
    /// `UNAVAILABLE` because the database connection in use died (see [`ConnectionLost`]).
    connection_lost: bool,
}

/// The source of a GraphQL error that is `UNAVAILABLE` because the database connection a
/// statement ran on died under it (a restart, a failover), not because no connection could be
/// had. `graphql::execute` runs a query that met one once more, on a fresh connection.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLost;

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            connection_lost: false,
        }
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            code: Code::BadUserInput,
            message: message.into(),
            field: Some(field),
            connection_lost: false,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            DomainError::Unauthenticated.to_string(),
        )
    }

    /// Logs `cause` and returns the opaque error the client sees.
    pub fn internal(cause: &anyhow::Error) -> Self {
        tracing::error!(error = format!("{cause:#}"), "internal error");
        Self::new(
            Code::Internal,
            "internal error; quote the request id when reporting it",
        )
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The input the error is about, if one is.
    pub fn field(&self) -> Option<&'static str> {
        self.field
    }
}

/// For lookups whose answer to "no such row" is `null` rather than an error.
pub trait OptionalExt<T> {
    /// `NOT_FOUND` becomes `Ok(None)`; every other error stays what it was.
    fn optional(self) -> ApiResult<Option<T>>;
}

impl<T, E: Into<ApiError>> OptionalExt<T> for Result<T, E> {
    fn optional(self) -> ApiResult<Option<T>> {
        match self.map_err(Into::into) {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.code == Code::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let message = err.to_string();
        match err {
            DomainError::NotFound(_) => Self::new(Code::NotFound, message),
            DomainError::Unauthenticated | DomainError::InvalidCredentials => {
                Self::new(Code::Unauthenticated, message)
            }
            DomainError::Forbidden(_) => Self::new(Code::Forbidden, message),
            DomainError::Invalid { field, .. } => Self::bad_input(field, message),
            DomainError::Conflict { field, .. } => Self {
                code: Code::Conflict,
                message,
                field: Some(field),
                connection_lost: false,
            },
            DomainError::AttemptSubmitted(_) => Self::new(Code::AttemptSubmitted, message),
            DomainError::DeadlinePassed(_) => Self::new(Code::DeadlinePassed, message),
            DomainError::Unavailable {
                cause,
                connection_lost,
            } => {
                crate::metrics::record_database_unavailable(&cause);
                Self {
                    connection_lost,
                    ..Self::new(Code::Unavailable, message)
                }
            }
            DomainError::Internal(cause) => Self::internal(&cause),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        crate::metrics::record_session_store_error();
        tracing::warn!(error = format!("{err:#}"), "session store unavailable");
        Self::new(
            Code::Unavailable,
            "sign-in is temporarily unavailable; please try again in a moment",
        )
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let mut error = async_graphql::Error::new(err.message).extend_with(|_, extensions| {
            extensions.set("code", err.code.as_str());
            if let Some(field) = err.field {
                extensions.set("field", field);
            }
        });
        if err.connection_lost {
            error.source = Some(std::sync::Arc::new(ConnectionLost));
        }
        error
    }
}

//! The GraphQL API. Each feature module registers its own queries and mutations; the root only
//! merges them. Resolvers stay thin: read the context, call a domain service, map the result.

/// `From` both ways between an API enum and the database enum it mirrors, variant by variant.
macro_rules! mirror {
    ($api:ident, $db:ident, [$($variant:ident),+]) => {
        impl From<$db> for $api {
            fn from(value: $db) -> Self {
                match value { $($db::$variant => Self::$variant),+ }
            }
        }
        impl From<$api> for $db {
            fn from(value: $api) -> Self {
                match value { $($api::$variant => Self::$variant),+ }
            }
        }
    };
}

pub mod accounts;
pub mod assessments;
pub mod certificates;
pub mod context;
pub mod courses;
mod descriptions;
pub mod error;
pub mod frameworks;
pub mod job_roles;
pub mod learning;
pub mod loaders;
pub mod org_units;
pub mod reports;

use async_graphql::{
    EmptySubscription, ID, MergedObject, Schema, SchemaBuilder, registry::SDLExportOptions,
};
use uuid::Uuid;

use self::{
    accounts::{AccountMutation, AccountQuery},
    assessments::{AssessmentMutation, AssessmentQuery},
    certificates::{CertificateMutation, CertificateQuery},
    context::{RequestContext, Services},
    courses::{CourseMutation, CourseQuery},
    error::{ApiError, ApiResult, Code},
    frameworks::{FrameworkMutation, FrameworkQuery},
    job_roles::{JobRoleMutation, JobRoleQuery},
    learning::{LearningMutation, LearningQuery},
    org_units::{OrgUnitMutation, OrgUnitQuery},
    reports::ReportQuery,
};

/// Deepest selection nesting a query may have. GraphiQL's introspection query nests 15 deep
/// (nine levels of `ofType`), and async-graphql applies the limit to introspection too.
pub const MAX_DEPTH: usize = 16;
/// Most fields (each counting 1) one query may select.
pub const MAX_COMPLEXITY: usize = 2_000;
/// Hard cap on `first` for every connection.
pub const MAX_PAGE_SIZE: usize = 100;

/// The entry points for reading. Most need a signed-in user (else `UNAUTHENTICATED`); `me`,
/// `frameworks` and `verifyCertificate` do not.
#[derive(MergedObject, Default)]
pub struct Query(
    AccountQuery,
    OrgUnitQuery,
    FrameworkQuery,
    JobRoleQuery,
    CourseQuery,
    LearningQuery,
    AssessmentQuery,
    ReportQuery,
    CertificateQuery,
);

/// The entry points for changing data. All but `login` need a signed-in user (else
/// `UNAUTHENTICATED`); where one needs a role, its description names it, and without it the
/// error is `FORBIDDEN`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutation,
    OrgUnitMutation,
    FrameworkMutation,
    JobRoleMutation,
    CourseMutation,
    LearningMutation,
    AssessmentMutation,
    CertificateMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder(production: bool) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(20);
    let builder = descriptions::describe_generated_types(builder);
    if production {
        builder.disable_introspection().disable_suggestions()
    } else {
        builder
    }
}

/// The schema with its shared services, built once at start-up.
pub fn schema(services: Services, production: bool) -> AppSchema {
    builder(production).data(services).finish()
}

/// The SDL committed as `schema.graphql` (sorted, so diffs are stable).
pub fn sdl() -> String {
    builder(false).finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// Runs one request with this request's context and per-request DataLoaders, then gives every
/// error a stable code and every internal error the request id.
pub async fn execute(
    schema: &AppSchema,
    services: &Services,
    request: async_graphql::Request,
    context: RequestContext,
) -> async_graphql::Response {
    let request_id = context.request_id.clone();
    let request = loaders::attach(request, &services.db, services.batch_window).data(context);
    let mut response = schema.execute(request).await;
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            // Errors async-graphql raises itself: parsing, validation, limits, input coercion.
            extensions.set("code", Code::BadUserInput.as_str());
        }
        extensions.set("requestId", request_id.as_str());
    }
    response
}

/// An id as the API shows it.
pub fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// A row another row points at is missing: our fault, logged.
pub fn missing(what: &str, id: Uuid) -> ApiError {
    ApiError::internal(&anyhow::anyhow!("{what} {id} is missing"))
}

/// Parses a client-supplied id; a malformed one is the client's fault.
pub fn parse_id(id: &ID, field: &'static str) -> ApiResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| ApiError::bad_input(field, format!("{field} is not a valid id")))
}

/// Clamps a connection's `first` argument: default 20, at most [`MAX_PAGE_SIZE`].
pub fn page_size(first: Option<i32>) -> ApiResult<usize> {
    match first {
        None => Ok(20),
        Some(n) if n < 0 => Err(ApiError::bad_input("first", "first must not be negative")),
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > MAX_PAGE_SIZE {
                Err(ApiError::bad_input(
                    "first",
                    format!("first must be at most {MAX_PAGE_SIZE}"),
                ))
            } else {
                Ok(n)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_capped() {
        assert_eq!(page_size(None).ok(), Some(20));
        assert_eq!(page_size(Some(0)).ok(), Some(0));
        assert_eq!(page_size(Some(100)).ok(), Some(100));
        assert_eq!(
            page_size(Some(101)).err().map(|err| err.code()),
            Some(Code::BadUserInput)
        );
        assert_eq!(
            page_size(Some(-1)).err().map(|err| err.code()),
            Some(Code::BadUserInput)
        );
    }
}

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
pub mod ai_register;
pub mod assessments;
pub mod audit;
pub mod certificates;
pub mod conformance;
pub mod context;
pub mod courses;
mod data_access;
mod descriptions;
pub mod frameworks;
pub mod identity;
mod input_guard;
pub mod issuers;
pub mod job_roles;
pub mod learning;
pub mod loaders;
pub mod notifications;
pub mod org_units;
pub mod privacy;
pub mod provisioning;
pub mod reports;
pub mod rollouts;

use async_graphql::{
    EmptySubscription, ID, MergedObject, Schema, SchemaBuilder, SchemaEnv,
    parser::types::ExecutableDocument, registry::SDLExportOptions,
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::{
    context::{RequestContext, Services},
    error::{ApiError, ApiResult, Code, ConnectionLost},
};

use self::{
    accounts::{AccountMutation, AccountQuery},
    ai_register::{AiRegisterMutation, AiRegisterQuery},
    assessments::{AssessmentMutation, AssessmentQuery},
    audit::AuditQuery,
    certificates::{CertificateMutation, CertificateQuery},
    courses::{CourseMutation, CourseQuery},
    frameworks::{FrameworkMutation, FrameworkQuery},
    identity::{IdentityMutation, IdentityQuery},
    issuers::{IssuerMutation, IssuerQuery},
    job_roles::{JobRoleMutation, JobRoleQuery},
    learning::{LearningMutation, LearningQuery},
    notifications::{NotificationMutation, NotificationQuery},
    org_units::{OrgUnitMutation, OrgUnitQuery},
    privacy::{PrivacyMutation, PrivacyQuery},
    provisioning::{ProvisioningMutation, ProvisioningQuery},
    reports::ReportQuery,
    rollouts::{RolloutMutation, RolloutQuery},
};

/// Deepest selection nesting a query may have. GraphiQL's introspection query nests 15 deep
/// (nine levels of `ofType`), and async-graphql applies the limit to introspection too.
pub const MAX_DEPTH: usize = 16;
/// The most one query may cost. The cost estimates how many values the answer can hold, before
/// anything runs, the way GitHub's and Shopify's cost models do, so that a short query cannot ask
/// for an answer too large to build or send:
///
/// - a field costs 1 plus the cost of what it selects;
/// - a connection (and the paged list `myRecommendations`) costs 1 plus `first` times what each
///   item selects, with `first` as the resolver takes it ([`DEFAULT_PAGE_SIZE`] when left out,
///   at most [`MAX_PAGE_SIZE`]): see [`paged_cost`];
/// - a list without paging (a course's modules, a module's lessons, a question's options, the
///   units of `orgUnits`, ...) costs 1 plus [`UNPAGED_LIST_SIZE`] times what each item selects,
///   and `assignCourse` its number of `userIds`: see [`list_cost`].
///
/// The catalogue page (`courses(first: 20)` with owner, competence targets, modules and lessons)
/// costs about 8,000; the same at `first: 50` about 26,000. A query over the limit is refused
/// before it runs with `BAD_USER_INPUT` and a message that names the limit.
pub const MAX_COMPLEXITY: usize = 30_000;
/// The size a list without paging is costed at. Most such lists are short by nature (a course's
/// modules, a module's lessons, a question's options, a framework's levels). The few that can be
/// longer (`orgUnits` and `jobRoles` of a large organisation, an assessment's up to 200
/// questions, a report's rows) are costed the same, so their cost is an underestimate, which
/// paging them would correct.
pub const UNPAGED_LIST_SIZE: usize = 10;
/// `first` of a connection when the client leaves it out.
pub const DEFAULT_PAGE_SIZE: usize = 20;
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
    AuditQuery,
    IdentityQuery,
    ProvisioningQuery,
    IssuerQuery,
    AiRegisterQuery,
    RolloutQuery,
    NotificationQuery,
    PrivacyQuery,
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
    IdentityMutation,
    ProvisioningMutation,
    IssuerMutation,
    AiRegisterMutation,
    RolloutMutation,
    NotificationMutation,
    PrivacyMutation,
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

/// The schema, and what running a request needs of it besides (see [`conformance`]).
pub struct Api {
    schema: AppSchema,
    /// The schema's types.
    env: SchemaEnv,
    /// Whether the schema answers introspection (development only).
    introspection: bool,
}

/// The schema with its shared services, built once at start-up.
pub fn schema(services: Services, production: bool) -> Api {
    Api {
        schema: builder(production).data(services).finish(),
        env: schema_env(production),
        introspection: !production,
    }
}

/// The types of the schema [`builder`] builds, which async-graphql shows to extensions only:
/// taken from a throw-away copy of the schema with an extension that keeps them, run once (on
/// `{ __typename }`, which completes at its first poll: nothing waits).
fn schema_env(production: bool) -> SchemaEnv {
    use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
    use futures_util::FutureExt as _;
    use std::sync::{Arc, Mutex, PoisonError};

    #[derive(Clone, Default)]
    struct Keep(Arc<Mutex<Option<SchemaEnv>>>);

    impl ExtensionFactory for Keep {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(self.clone())
        }
    }

    #[async_trait::async_trait]
    impl Extension for Keep {
        async fn execute(
            &self,
            ctx: &ExtensionContext<'_>,
            operation_name: Option<&str>,
            next: NextExecute<'_>,
        ) -> async_graphql::Response {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(ctx.schema_env.clone());
            next.run(ctx, operation_name).await
        }
    }

    let keep = Keep::default();
    let ran = builder(production)
        .extension(keep.clone())
        .finish()
        .execute("{ __typename }")
        .now_or_never();
    assert!(ran.is_some(), "`{{ __typename }}` waits for nothing");
    let env = keep.0.lock().unwrap_or_else(PoisonError::into_inner).take();
    env.expect("a query without fields executes")
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

/// The message async-graphql (7.2) gives a query over [`MAX_COMPLEXITY`].
const TOO_COMPLEX: &str = "Query is too complex.";

/// What running a request gave.
pub struct Executed {
    pub response: async_graphql::Response,
    /// Whether the operation was executed: `false` for a request error (nothing ran), which
    /// the transport answers without `data`.
    pub executed: bool,
    /// Whether it read other people's learning data (see [`data_access`]): such an answer is
    /// for this request alone.
    pub read_personal_data: bool,
}

/// Runs one request with this request's context and per-request DataLoaders, records what it
/// read of other people's learning data (see [`data_access`]), then gives every error a stable
/// code and every internal error the request id. [`conformance`] checks the request before and
/// orders the result after.
///
/// A query whose database connection died under it (a restart, a failover: see
/// [`ConnectionLost`]) is run once more, on a fresh connection, before anything is answered, so
/// the requests caught in a short restart are answered rather than refused. A mutation never is:
/// its transaction may or may not have committed, and only the client knows whether repeating
/// it is safe (the mutations that are say so in their descriptions). Connections that died
/// while idle for a moment need no second run: the pool pings those before handing them out
/// (see `startup::connect_database`).
pub async fn execute(
    api: &Api,
    services: &Services,
    mut request: async_graphql::Request,
    context: RequestContext,
) -> Executed {
    let request_id = context.request_id.clone();
    let reader = context.actor.as_ref().map(|actor| actor.id());
    let mut read_personal_data = false;
    let (response, executed) = match conformance::prepare(&mut request, api.introspection) {
        Err(errors) => (async_graphql::Response::from_errors(errors), false),
        Ok(document) => {
            let variables = request.variables.clone();
            let operation = request.operation_name.clone();
            let reads = std::sync::Arc::new(data_access::PersonalDataReads::default());
            let mut response = run(api, services, request, &document, context, &reads).await;
            let executed = conformance::finish(
                &api.env,
                &document,
                &variables,
                operation.as_deref(),
                &mut response,
            );
            read_personal_data = !reads.is_empty();
            if let Some(reader) = reader
                && let Err(err) = reads
                    .flush(&services.db, reader, operation.as_deref())
                    .await
            {
                // Nobody reads what the audit trail does not show.
                let mut error = async_graphql::Error::from(ApiError::from(err))
                    .into_server_error(async_graphql::Pos::default());
                error.locations.clear();
                response = async_graphql::Response::from_errors(vec![error]);
            }
            (response, executed)
        }
    };
    Executed {
        response: coded(response, &request_id),
        executed,
        read_personal_data,
    }
}

/// Executes a prepared request (`document` is its parsed query), once more for a query that
/// lost its connection; what it reads of personal data is noted in `reads`.
async fn run(
    api: &Api,
    services: &Services,
    request: async_graphql::Request,
    document: &ExecutableDocument,
    context: RequestContext,
    reads: &std::sync::Arc<data_access::PersonalDataReads>,
) -> async_graphql::Response {
    let is_query = conformance::is_query(document, request.operation_name.as_deref());
    // Copied before the run consumes it (cheap: strings and variables).
    let again = is_query.then(|| copy_request(&request));
    let once = |request| {
        api.schema.execute(
            loaders::attach(request, &services.db, services.batch_window)
                .data(context.clone())
                .data(reads.clone()),
        )
    };
    let mut response = once(request).await;
    if let Some(mut again) = again
        && response
            .errors
            .iter()
            .any(|error| error.source::<ConnectionLost>().is_some())
    {
        if answers_again(&services.db).await {
            tracing::info!("a query lost its database connection; running it again on a fresh one");
            again.set_parsed_query(document.clone());
            response = once(again).await;
        } else {
            tracing::info!(
                "a query lost its database connection, and the database did not come back \
                 within {RERUN_PATIENCE:?}"
            );
        }
    }
    response
}

/// Gives every error a stable code (async-graphql's own, from parsing, validation, limits and
/// input coercion, are `BAD_USER_INPUT`) and the request id.
fn coded(mut response: async_graphql::Response, request_id: &str) -> async_graphql::Response {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Code::BadUserInput.as_str());
            // async-graphql's own words ("Query is too complex.") say neither the limit nor
            // how the cost is counted, which a client needs to shrink the query.
            if error.message == TOO_COMPLEX {
                error.message = format!(
                    "query complexity is over the limit of {MAX_COMPLEXITY}: every field counts \
                     1, and what a list selects counts once per item (`first` items of a \
                     connection, {UNPAGED_LIST_SIZE} of a list without paging); ask for fewer \
                     items or fields"
                );
            }
        }
        extensions.set("requestId", request_id);
    }
    response
}

/// How long a query whose connection died waits for the database to answer again before it
/// is run once more; if the database does not answer by then, the query is `UNAVAILABLE`.
const RERUN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits until the database answers a ping again, for at most [`RERUN_PATIENCE`]. It looks
/// first after a pause: a server shutting down ends all its sessions at once, and an idle one
/// may still answer for a moment after ours was ended. A ping also rids the pool of the dead
/// idle connections (each is tested before it is handed out), so what runs next runs on a
/// connection opened since.
async fn answers_again(db: &sea_orm::DatabaseConnection) -> bool {
    const PAUSE: std::time::Duration = std::time::Duration::from_millis(100);
    tokio::time::timeout(RERUN_PATIENCE, async {
        loop {
            tokio::time::sleep(PAUSE).await;
            if db.ping().await.is_ok() {
                return;
            }
        }
    })
    .await
    .is_ok()
}

/// The same request again, to run a second time: its query, operation, variables and
/// extensions.
fn copy_request(request: &async_graphql::Request) -> async_graphql::Request {
    let mut copy =
        async_graphql::Request::new(request.query.clone()).variables(request.variables.clone());
    copy.operation_name.clone_from(&request.operation_name);
    copy.extensions = request.extensions.clone();
    copy.introspection_mode = request.introspection_mode;
    copy
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

/// The cost of a connection or a paged list (see [`MAX_COMPLEXITY`]): 1 plus `first` times what
/// each item selects. A `first` the resolver will refuse is costed at what it would accept, so
/// the client hears about `first` rather than about the cost.
pub fn paged_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.map_or(DEFAULT_PAGE_SIZE, |n| {
        usize::try_from(n).unwrap_or(0).min(MAX_PAGE_SIZE)
    });
    sized_list_cost(first, child_complexity)
}

/// The cost of a list without paging (see [`MAX_COMPLEXITY`]): as if it held
/// [`UNPAGED_LIST_SIZE`] items.
pub fn list_cost(child_complexity: usize) -> usize {
    sized_list_cost(UNPAGED_LIST_SIZE, child_complexity)
}

/// The cost of a list of `len` items: 1 plus `len` times what each item selects.
pub fn sized_list_cost(len: usize, child_complexity: usize) -> usize {
    len.saturating_mul(child_complexity).saturating_add(1)
}

/// Clamps a connection's `first` argument: default 20, at most [`MAX_PAGE_SIZE`].
pub fn page_size(first: Option<i32>) -> ApiResult<usize> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
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

/// What a connection's cursor holds: the id of the last row seen (a keyset position), or a
/// position in a ranking.
pub trait CursorKey: Sized {
    fn to_bytes(&self) -> Vec<u8>;
    fn from_bytes(bytes: &[u8]) -> Option<Self>;
}

impl CursorKey for Uuid {
    fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Uuid::from_slice(bytes).ok()
    }
}

/// A place in name order: the id's 16 bytes, then the name.
impl CursorKey for govskills_domain::people::After {
    fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.id.as_bytes().to_vec();
        bytes.extend_from_slice(self.display_name.as_bytes());
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (id, name) = bytes.split_at_checked(16)?;
        Some(Self {
            id: Uuid::from_slice(id).ok()?,
            display_name: String::from_utf8(name.to_vec()).ok()?,
        })
    }
}

impl CursorKey for u64 {
    fn to_bytes(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
    }
}

/// The cursor a connection hands out for `key`: base64url, so clients treat it as an opaque
/// token rather than something to compute.
pub fn cursor(key: impl CursorKey) -> String {
    URL_SAFE_NO_PAD.encode(key.to_bytes())
}

/// Reads a connection's `after` argument; anything but a cursor of ours is the client's fault.
pub fn parse_after<K: CursorKey>(after: Option<&str>) -> ApiResult<Option<K>> {
    after
        .map(|after| {
            URL_SAFE_NO_PAD
                .decode(after)
                .ok()
                .and_then(|bytes| K::from_bytes(&bytes))
                .ok_or_else(|| ApiError::bad_input("after", "after is not a cursor from this list"))
        })
        .transpose()
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

    /// What `query` costs, as validation computes it (no limit here, so any cost shows).
    async fn cost(query: &str) -> usize {
        let schema = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
            .extension(async_graphql::extensions::Analyzer)
            .finish();
        let response = schema.execute(query).await;
        let analyzer = response.extensions.get("analyzer").cloned();
        let Some(async_graphql::Value::Object(analyzer)) = analyzer else {
            panic!("no analysis of {query}: {:?}", response.errors);
        };
        match analyzer.get("complexity") {
            Some(async_graphql::Value::Number(n)) => n
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(usize::MAX),
            other => panic!("no complexity for {query}: {other:?}"),
        }
    }

    /// The catalogue page as the bench and the web client ask for it.
    const CATALOGUE: &str = "{ courses(first: 20) { edges { node {
        id title language owner { displayName }
        competenceTargets { targetLevel competence { code name area { name } } }
        modules { title lessons { title kind estimatedMinutes } } } } } }";

    #[tokio::test]
    async fn a_list_costs_what_each_item_selects_times_its_size() {
        // 1 for `courses`, then 20 times (edges 1 + node 1 + id 1).
        assert_eq!(cost("{ courses { edges { node { id } } } }").await, 61);
        assert_eq!(
            cost("{ courses(first: 5) { edges { node { id } } } }").await,
            16
        );
        // A `first` over the cap is costed at the cap; the resolver refuses it by name.
        assert_eq!(
            cost("{ courses(first: 1000) { edges { node { id } } } }").await,
            cost("{ courses(first: 100) { edges { node { id } } } }").await
        );
        // An unpaged list counts UNPAGED_LIST_SIZE items: 1 + 10 * (1 + 1 + 10 * 1).
        assert_eq!(
            cost("{ frameworks { code levels { level } } }").await,
            1 + UNPAGED_LIST_SIZE * (1 + 1 + UNPAGED_LIST_SIZE)
        );
    }

    #[tokio::test]
    async fn the_catalogue_page_fits_the_limit_and_a_hundred_of_it_does_not() {
        let page = cost(CATALOGUE).await;
        assert!((7_000..9_000).contains(&page), "the catalogue costs {page}");
        assert!(page <= MAX_COMPLEXITY);
        let hundred = cost(&CATALOGUE.replace("first: 20", "first: 100")).await;
        assert!(
            hundred > MAX_COMPLEXITY,
            "100 catalogue items cost {hundred}"
        );
    }

    #[test]
    fn cursors_read_back_what_they_hold() {
        let id = Uuid::now_v7();
        assert_eq!(parse_after::<Uuid>(Some(&cursor(id))).ok(), Some(Some(id)));
        assert_eq!(
            parse_after::<u64>(Some(&cursor(41_u64))).ok(),
            Some(Some(41))
        );
        assert_eq!(parse_after::<u64>(None).ok(), Some(None));
        // A row id is no ranking position, and neither is anything a client made up.
        for foreign in [cursor(id), "not a cursor".to_owned(), String::new()] {
            assert_eq!(
                parse_after::<u64>(Some(&foreign))
                    .err()
                    .map(|err| err.field()),
                Some(Some("after"))
            );
        }
    }
}

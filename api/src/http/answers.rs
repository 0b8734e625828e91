//! Catalogue answers kept and given again (issue 21).
//!
//! Most requests to `/graphql` are learners opening the catalogue, and most of them ask the
//! same question of the same data: a page of published courses with their parts. Working such
//! an answer out (about 1,200 fields on a page of 20 courses) costs the server far more than
//! the database's part. So the server keeps the answer, as the bytes it sent, and gives it
//! again to the next request that asks the same, as long as the catalogue has not changed.
//!
//! - **Which requests.** A query whose only root field is `courses` (and `__typename`),
//!   asking nowhere for a field outside [`FIELDS`]: plain catalogue data (titles, languages,
//!   owners' names, competence targets, modules and lessons), the same for everybody who sees
//!   the course. Fields that depend on who asks (`canEdit`, enrolments) or come from tables
//!   whose changes the version does not follow (co-authors, the course's unit, the
//!   competence's framework) are not in the list, and a request naming one runs as every other
//!   request.
//! - **Who.** People who may edit no course
//!   ([`govskills_domain::courses::audience`]): what the catalogue shows them depends only on
//!   their unit's place in the tree, which is part of the key. Trainers and administrators
//!   see their own courses too, and are answered afresh each time.
//! - **Until when.** An answer is kept with the catalogue's version
//!   ([`govskills_domain::courses::version`], raised by the database in every transaction
//!   that changes what a page can show, whichever server or tool wrote it). Each request reads
//!   the version first (one small statement, from where the catalogue is read); a kept answer
//!   of another version is not given. Data read after the version is at least as new as it,
//!   so an answer is never kept under a version newer than its data.
//! - **What is kept.** Only an answer that ran without any error, and read nobody's personal
//!   learning data (which must be recorded per read, [`crate::graphql::data_access`]).
//!
//! The memory is bounded (`GOVSKILLS_CATALOGUE_CACHE_MB`, 0 keeps nothing); the least used
//! answers go first.

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use bytes::Bytes;
use govskills_domain::{auth::Actor, courses};
use quick_cache::{Weighter, sync::Cache};
use sea_orm::DatabaseConnection;

use crate::graphql::Executed;

/// The fields a kept answer may hold, on whichever type: `courses` at the root, the
/// connection's, and the catalogue data of courses, their owners (`User`: only the id and
/// display name are listed), competence targets, competences, areas, modules and lessons (their
/// text, rendered or not, too: the same for everybody who sees the course).
const FIELDS: &[&str] = &[
    "__typename",
    "courses",
    "edges",
    "nodes",
    "node",
    "cursor",
    "pageInfo",
    "hasNextPage",
    "hasPreviousPage",
    "startCursor",
    "endCursor",
    "id",
    "title",
    "summary",
    "language",
    "visibility",
    "version",
    "publishedAt",
    "totalMinutes",
    "owner",
    "displayName",
    "competenceTargets",
    "targetLevel",
    "competence",
    "code",
    "name",
    "area",
    "modules",
    "position",
    "lessons",
    "kind",
    "estimatedMinutes",
    "html",
    "markdown",
    "url",
    "assessmentId",
];

/// What an answer is kept under: the request as sent, and the asker's view of the catalogue.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    query: String,
    operation: Option<String>,
    variables: String,
    audience: String,
}

#[derive(Clone)]
struct Answer {
    version: i64,
    body: Bytes,
}

/// Weighs an answer by the bytes it holds.
#[derive(Clone)]
struct ByLength;

impl Weighter<Key, Answer> for ByLength {
    fn weight(&self, key: &Key, answer: &Answer) -> u64 {
        let bytes = key.query.len()
            + key.operation.as_ref().map_or(0, String::len)
            + key.variables.len()
            + key.audience.len()
            + answer.body.len();
        u64::try_from(bytes).unwrap_or(u64::MAX)
    }
}

/// The answers a server keeps.
pub struct Answers {
    cache: Option<Cache<Key, Answer, ByLength>>,
}

/// A request that may be answered from what is kept.
pub enum Lookup {
    /// The kept answer: the body to send as it is.
    Kept(Bytes),
    /// None is kept for this version: work it out, then [`Answers::keep`] it.
    Missing(Ticket),
}

/// Where to keep an answer once worked out.
pub struct Ticket {
    key: Key,
    version: i64,
}

/// About how large one kept answer is (a page of 20 courses with their parts), to size the
/// cache's table.
const TYPICAL_ANSWER_BYTES: u64 = 32 * 1024;

impl Answers {
    /// Keeps at most `capacity` bytes of answers; 0 keeps none.
    pub fn new(capacity: u64) -> Self {
        Self {
            cache: (capacity > 0).then(|| {
                let items = usize::try_from((capacity / TYPICAL_ANSWER_BYTES).max(16))
                    .unwrap_or(usize::MAX);
                Cache::with_weighter(items, capacity, ByLength)
            }),
        }
    }

    /// For a catalogue query of someone who edits no course: the kept answer if the catalogue
    /// has not changed since, or where to keep this one. `None` for every other request (and
    /// when the version cannot be read: then the request runs as any other, and reports what
    /// is wrong).
    pub async fn look_up(
        &self,
        request: &mut async_graphql::Request,
        actor: Option<&Actor>,
        db: &DatabaseConnection,
    ) -> Option<Lookup> {
        let cache = self.cache.as_ref()?;
        let audience = courses::audience(actor?)?;
        if !request.extensions.0.is_empty() {
            return None;
        }
        let operation = request.operation_name.clone();
        let document = request.parsed_query().ok()?;
        if !asks_only_catalogue_data(document, operation.as_deref()) {
            return None;
        }
        let key = Key {
            query: request.query.clone(),
            operation,
            variables: serde_json::to_string(&request.variables).ok()?,
            audience: audience.to_owned(),
        };
        let version = courses::version(db).await.ok()?;
        let kept = cache.get(&key).filter(|answer| answer.version == version);
        crate::metrics::record_catalogue_answer(kept.is_some());
        Some(match kept {
            Some(answer) => Lookup::Kept(answer.body),
            None => Lookup::Missing(Ticket { key, version }),
        })
    }

    /// Keeps the answer `body` of the request `ran` worked out for `ticket`, if it may be
    /// given to others: it ran without any error, extension or header of its own, and read
    /// nobody's personal learning data.
    pub fn keep(&self, ticket: Ticket, ran: &Executed, body: &Bytes) {
        let Some(cache) = &self.cache else {
            return;
        };
        let response = &ran.response;
        if ran.executed
            && !ran.read_personal_data
            && response.errors.is_empty()
            && response.extensions.is_empty()
            && response.http_headers.is_empty()
        {
            let Ticket { key, version } = ticket;
            let body = body.clone();
            cache.insert(key, Answer { version, body });
        }
    }
}

/// Whether `document` is a single query (named `operation`, if that is given) that asks for
/// `courses` at its root and for nothing outside [`FIELDS`] anywhere, its fragments included.
fn asks_only_catalogue_data(document: &ExecutableDocument, operation: Option<&str>) -> bool {
    let mut operations = document.operations.iter();
    let (Some((name, definition)), None) = (operations.next(), operations.next()) else {
        return false;
    };
    if operation.is_some_and(|wanted| name.is_none_or(|name| name.as_str() != wanted)) {
        return false;
    }
    let definition = &definition.node;
    let root = &definition.selection_set.node.items;
    definition.ty == OperationType::Query
        && root
            .iter()
            .all(|s| matches!(field_name(&s.node), Some("courses" | "__typename")))
        && root.iter().any(|s| field_name(&s.node) == Some("courses"))
        && only_listed_fields(&definition.selection_set.node)
        && document
            .fragments
            .values()
            .all(|fragment| only_listed_fields(&fragment.node.selection_set.node))
}

/// The name of the field `selection` asks for (`None` for a fragment).
fn field_name(selection: &Selection) -> Option<&str> {
    match selection {
        Selection::Field(field) => Some(field.node.name.node.as_str()),
        _ => None,
    }
}

/// Whether every field of `set` and of the sets below it is one of [`FIELDS`] (the fragments
/// a spread names are checked on their own).
fn only_listed_fields(set: &SelectionSet) -> bool {
    set.items.iter().all(|selection| match &selection.node {
        Selection::Field(field) => {
            FIELDS.contains(&field.node.name.node.as_str())
                && only_listed_fields(&field.node.selection_set.node)
        }
        Selection::FragmentSpread(_) => true,
        Selection::InlineFragment(fragment) => {
            only_listed_fields(&fragment.node.selection_set.node)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asks(query: &str, operation: Option<&str>) -> bool {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        asks_only_catalogue_data(&document, operation)
    }

    #[test]
    fn only_catalogue_queries_of_listed_fields_are_kept() {
        let page = "{ courses(first: 20) { edges { node { id title owner { displayName }
            competenceTargets { targetLevel competence { code name area { name } } }
            modules { title lessons { title kind estimatedMinutes } } } } } }";
        assert!(asks(page, None));
        assert!(asks(&format!("query Catalogue {page}"), Some("Catalogue")));
        assert!(asks(&format!("query Catalogue {page}"), None));
        assert!(asks(
            "query Catalogue { courses { ...c } } fragment c on CourseConnection { nodes { title } }",
            Some("Catalogue")
        ));
        // Another operation name, another root field, a field of one person's, a mutation.
        assert!(!asks(
            "query Catalogue { courses { nodes { title } } }",
            Some("Other")
        ));
        assert!(!asks("{ courses { nodes { title } } me { id } }", None));
        assert!(!asks("{ courses { nodes { title canEdit } } }", None));
        assert!(!asks("{ courses { nodes { owner { email } } } }", None));
        assert!(!asks(
            "{ courses { ...c } } fragment c on CourseConnection { nodes { enrollments { totalCount } } }",
            None
        ));
        assert!(!asks(
            "{ courses { nodes { ... on Course { coAuthors { displayName } } } } }",
            None
        ));
        assert!(!asks(
            "{ ...root } fragment root on Query { courses { nodes { id } } }",
            None
        ));
        assert!(!asks("mutation { courses { nodes { id } } }", None));
        assert!(!asks("{ __typename }", None));
        assert!(!asks(
            "query A { courses { nodes { id } } } query B { courses { nodes { id } } }",
            Some("A")
        ));
    }
}

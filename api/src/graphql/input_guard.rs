//! Rules every GraphQL request meets before any resolver runs, decided once here rather than
//! input by input:
//!
//! - No string input may contain a NUL character (U+0000). PostgreSQL cannot store it in text
//!   (it answers "invalid byte sequence"), SQLite stores it silently; refusing it for every
//!   argument, input field and variable keeps the two engines alike and turns what would be an
//!   internal error into `BAD_USER_INPUT` naming the field.
//! - Where introspection is off (production), a query that asks for `__schema` or `__type` is
//!   refused with `INTROSPECTION_DISABLED`, instead of the `null` async-graphql answers, so a
//!   client developer knows why and where to look (the published `schema.graphql`).

use std::{collections::HashMap, convert::Infallible};

use async_graphql::{
    ErrorExtensionValues, Name, Pos, Positioned, ServerError, Value, Variables,
    parser::types::{ExecutableDocument, Field, Selection, SelectionSet},
};

use crate::error::Code;

/// The first rule `document` (with `variables`) breaks, as the request error to answer;
/// `introspection` says whether the schema answers introspection.
pub fn check(
    document: &ExecutableDocument,
    variables: &Variables,
    introspection: bool,
) -> Option<ServerError> {
    if !introspection && let Some(pos) = introspection_field(document) {
        return Some(error(
            "introspection is disabled on this server; the schema is published as \
             schema.graphql with the service's source",
            pos,
            Code::IntrospectionDisabled,
            None,
        ));
    }
    let (field, pos) = nul_input(document, variables)?;
    Some(error(
        &format!("{field} must not contain NUL characters (U+0000)"),
        pos,
        Code::BadUserInput,
        Some(&field),
    ))
}

fn error(message: &str, pos: Pos, code: Code, field: Option<&str>) -> ServerError {
    let mut error = ServerError::new(message, Some(pos));
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error.extensions = Some(extensions);
    error
}

/// Every selection set of the document: the operations' and the fragments'.
fn selection_sets(document: &ExecutableDocument) -> impl Iterator<Item = &SelectionSet> {
    document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        )
}

/// Calls `visit` for every field selected anywhere in `set`, nested ones included.
fn for_each_field<'a>(set: &'a SelectionSet, visit: &mut impl FnMut(&'a Positioned<Field>)) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                visit(field);
                for_each_field(&field.node.selection_set.node, visit);
            }
            Selection::InlineFragment(fragment) => {
                for_each_field(&fragment.node.selection_set.node, visit);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Where the document asks for `__schema` or `__type` (`__typename` is not introspection of
/// the schema and stays allowed).
fn introspection_field(document: &ExecutableDocument) -> Option<Pos> {
    let mut found = None;
    for set in selection_sets(document) {
        for_each_field(set, &mut |field| {
            let name = field.node.name.node.as_str();
            if found.is_none() && (name == "__schema" || name == "__type") {
                found = Some(field.pos);
            }
        });
    }
    found
}

/// The first input that holds a NUL character: the name of the argument or input field it was
/// given for (the innermost object key), and where in the query.
fn nul_input(document: &ExecutableDocument, variables: &Variables) -> Option<(String, Pos)> {
    // Variables the request leaves out take their default from the operation.
    let defaults: HashMap<&Name, &Value> = document
        .operations
        .iter()
        .flat_map(|(_, operation)| &operation.node.variable_definitions)
        .filter_map(|definition| {
            let definition = &definition.node;
            definition
                .default_value
                .as_ref()
                .map(|value| (&definition.name.node, &value.node))
        })
        .collect();
    let mut found = None;
    for set in selection_sets(document) {
        for_each_field(set, &mut |field| {
            for (name, value) in &field.node.arguments {
                if found.is_some() {
                    return;
                }
                // Variables stand in for their values (or defaults), so a NUL is found
                // whether it came inline or through a variable, under the input's own name.
                let resolved = value.node.clone().into_const_with(|variable| {
                    Ok::<_, Infallible>(
                        variables
                            .get(&variable)
                            .or_else(|| defaults.get(&variable).copied())
                            .cloned()
                            .unwrap_or_default(),
                    )
                });
                let Ok(resolved) = resolved;
                if let Some(key) = nul_in(&resolved, name.node.as_str()) {
                    found = Some((key, value.pos));
                }
            }
        });
    }
    found
}

/// The name of the innermost input (argument or input field) under `key` whose string holds a
/// NUL character.
fn nul_in(value: &Value, key: &str) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then(|| key.to_owned()),
        Value::List(items) => items.iter().find_map(|item| nul_in(item, key)),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(name, item)| nul_in(item, name.as_str())),
        _ => None,
    }
}

//! What async-graphql's executor leaves to the server to meet the GraphQL specification, made
//! good around each execution ([`prepare`] before it, [`finish`] after):
//!
//! - **Field order.** The specification serializes every object with its fields in the order
//!   the operation selected them ("serialized map ordering", after CollectFields()): fragments
//!   and inline fragments expanded where they stand, an alias as its own key, a key selected
//!   twice at its first place. async-graphql 7 resolves a selection set's fields concurrently
//!   and inserts each one as it completes (a `FuturesUnordered`; its issue #612), so a slow
//!   field lands after a quick one asked for later. Once execution has ended, [`Order`] puts
//!   every object of `data` back in the order of its selection set, walking the operation with
//!   the schema's types (the `__typename` or the fields present tell the concrete type behind
//!   an interface or union). Values are only moved, never added, dropped or changed.
//! - **Required variables.** async-graphql checks the value of every variable the operation
//!   uses (in validation, against the argument it feeds) but not that a variable of a non-null
//!   type without a default was given at all: the operation would run and fail field by field.
//!   CoerceVariableValues() makes that a request error, so it is refused before execution.
//! - **Request error or execution result.** The transport answers a request error (nothing
//!   ran: parse, validation, variable coercion, an operation that cannot be chosen) without a
//!   `data` entry, and as `application/graphql-response+json` with a 4xx status; an execution
//!   result keeps `data` and 200. async-graphql answers both with `data: null`; [`finish`]
//!   tells them apart (see [`executed`]).
//!
//! None of this is an async-graphql extension on purpose: with any extension registered,
//! async-graphql runs every field and every list item through the extension chain (a boxed
//! future and two registry look-ups each), which cost about a tenth of the server's CPU on the
//! catalogue page. The schema's types ([`SchemaEnv`]), which async-graphql shows only to
//! extensions, are taken once at start-up from a throw-away schema built the same way
//! ([`crate::graphql::Api`]).

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
};

use async_graphql::{
    Name, Positioned, Request, Response, SchemaEnv, ServerError, Value, Variables,
    indexmap::IndexMap,
    parser::types::{
        Directive, ExecutableDocument, Field, FragmentDefinition, OperationDefinition,
        OperationType, Selection, SelectionSet,
    },
    registry::{MetaTypeName, Registry},
};

use super::input_guard;

/// Parses the request (once: async-graphql runs the document kept in it) and makes the checks
/// that come before validation: the input guard's ([`input_guard`]) and required variables.
/// Returns the document for [`finish`], or the request errors.
pub fn prepare(
    request: &mut Request,
    introspection: bool,
) -> Result<ExecutableDocument, Vec<ServerError>> {
    let document = request.parsed_query().map_err(|error| vec![error])?.clone();
    if let Some(error) = input_guard::check(&document, &request.variables, introspection) {
        return Err(vec![error]);
    }
    if let Some(operation) = selected_operation(&document, request.operation_name.as_deref()) {
        let missing = missing_variables(&operation.node, &request.variables);
        if !missing.is_empty() {
            return Err(missing);
        }
    }
    Ok(document)
}

/// After execution: puts `data` in selection order and says whether the response is an
/// execution result (`true`) or a request error that validation raised (`false`).
pub fn finish(
    env: &SchemaEnv,
    document: &ExecutableDocument,
    variables: &Variables,
    operation_name: Option<&str>,
    response: &mut Response,
) -> bool {
    if !executed(response) {
        return false;
    }
    if let Some(operation) = selected_operation(document, operation_name) {
        let registry = &env.registry;
        let root = match operation.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        let order = Order {
            registry,
            fragments: &document.fragments,
            variables,
            plans: RefCell::default(),
        };
        order.value(
            &mut response.data,
            root,
            &[&operation.node.selection_set.node],
        );
    }
    true
}

/// Whether async-graphql executed the operation. A request error (validation, an operation
/// that cannot be chosen, the depth and cost limits) has no `data` and no error with a path;
/// an execution result has `data`, or, where a non-null field failed up to the root, an error
/// with that field's path.
fn executed(response: &Response) -> bool {
    response.data != Value::Null || response.errors.iter().any(|error| !error.path.is_empty())
}

/// Whether the operation `name` selects in `document` is a query.
pub fn is_query(document: &ExecutableDocument, name: Option<&str>) -> bool {
    selected_operation(document, name)
        .is_some_and(|operation| operation.node.ty == OperationType::Query)
}

/// The operation async-graphql runs: the one named, or the document's only one.
fn selected_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d Positioned<OperationDefinition>> {
    let mut operations = document.operations.iter();
    match name {
        Some(name) => operations
            .find(|(candidate, _)| candidate.is_some_and(|candidate| candidate.as_str() == name))
            .map(|(_, operation)| operation),
        None => {
            let (_, operation) = operations.next()?;
            operations.next().is_none().then_some(operation)
        }
    }
}

/// The errors CoerceVariableValues() raises for variables of a non-null type that were not
/// given (and have no default) or were given as `null`.
fn missing_variables(operation: &OperationDefinition, variables: &Variables) -> Vec<ServerError> {
    operation
        .variable_definitions
        .iter()
        .filter_map(|definition| {
            let node = &definition.node;
            if node.var_type.node.nullable {
                return None;
            }
            let name = node.name.node.as_str();
            let ty = &node.var_type.node;
            let message = match variables.get(name) {
                None if node.default_value.is_some() => return None,
                None => format!(r#"Variable "${name}" of required type "{ty}" was not provided."#),
                Some(Value::Null) => {
                    format!(r#"Variable "${name}" of non-null type "{ty}" must not be null."#)
                }
                Some(_) => return None,
            };
            Some(ServerError::new(message, Some(definition.pos)))
        })
        .collect()
}

/// The fields of a selection, by response key in the order CollectFields() gives them.
type Grouped<'a> = IndexMap<&'a str, Vec<&'a Field>>;

/// One response key of an object, in order: the selection sets under it and their named type.
struct Step<'a> {
    key: &'a str,
    ty: Option<&'a str>,
    sets: Vec<&'a SelectionSet>,
}

/// What a plan is made for: the selection sets (their addresses) and the concrete type.
type PlanKey<'a> = (Vec<usize>, &'a str);

/// Puts the objects of a result in the order of the operation's selection sets.
struct Order<'a> {
    registry: &'a Registry,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
    /// Plans already made, by the selection sets (their addresses) and the concrete type: a
    /// catalogue page has a list of lessons in each of its sixty modules, all alike.
    plans: RefCell<HashMap<PlanKey<'a>, Rc<[Step<'a>]>>>,
}

impl<'a> Order<'a> {
    /// Orders `value`, the result of the selection sets `sets` on a value of type `ty` (the
    /// field's named type; `None` where unknown, when every fragment is taken to apply).
    fn value(&self, value: &mut Value, ty: Option<&'a str>, sets: &[&'a SelectionSet]) {
        match value {
            Value::Object(map) => {
                let concrete = self.concrete_type(map, ty, sets);
                self.object(map, &self.plan(sets, concrete));
            }
            Value::List(items) => {
                // The items of a list of one object type share their plan: worked out once,
                // not once per item (a catalogue page has hundreds of lessons).
                let shared = ty
                    .and_then(|ty| self.registry.types.get(ty))
                    .filter(|meta| meta.possible_types().is_none())
                    .map(|meta| self.plan(sets, Some(meta.name())));
                for item in items {
                    match (item, &shared) {
                        (Value::Object(map), Some(plan)) => self.object(map, plan),
                        (item, _) => self.value(item, ty, sets),
                    }
                }
            }
            _ => {}
        }
    }

    /// The response keys of an object of type `concrete` in order, each with what it selects
    /// further and its named type.
    fn plan(&self, sets: &[&'a SelectionSet], concrete: Option<&'a str>) -> Rc<[Step<'a>]> {
        let Some(ty) = concrete else {
            return self.make_plan(sets, None);
        };
        let key = (
            sets.iter()
                .map(|set| std::ptr::from_ref(*set) as usize)
                .collect(),
            ty,
        );
        if let Some(plan) = self.plans.borrow().get(&key) {
            return Rc::clone(plan);
        }
        let plan = self.make_plan(sets, concrete);
        self.plans.borrow_mut().insert(key, Rc::clone(&plan));
        plan
    }

    fn make_plan(&self, sets: &[&'a SelectionSet], concrete: Option<&'a str>) -> Rc<[Step<'a>]> {
        self.collect(sets, concrete)
            .into_iter()
            .map(|(key, fields)| {
                let sets: Vec<&'a SelectionSet> = fields
                    .iter()
                    .map(|field| &field.selection_set.node)
                    .filter(|set| !set.items.is_empty())
                    .collect();
                let ty = match (concrete, fields.first()) {
                    (Some(parent), Some(field)) if !sets.is_empty() => {
                        self.field_type(parent, field.name.node.as_str())
                    }
                    _ => None,
                };
                Step { key, ty, sets }
            })
            .collect()
    }

    /// Puts `map` in the order of `plan`, and what each key holds in its own.
    fn object(&self, map: &mut IndexMap<Name, Value>, plan: &[Step<'a>]) {
        let in_order = map.len() == plan.len()
            && map
                .keys()
                .zip(plan)
                .all(|(key, step)| key.as_str() == step.key);
        if !in_order {
            let mut rest = std::mem::take(map);
            map.reserve(rest.len());
            for step in plan {
                if let Some((name, value)) = rest.swap_remove_entry(step.key) {
                    map.insert(name, value);
                }
            }
            // Nothing else should be there; if something is, it comes last rather than getting
            // lost.
            map.extend(rest);
        }
        for step in plan.iter().filter(|step| !step.sets.is_empty()) {
            if let Some(value) = map.get_mut(step.key) {
                self.value(value, step.ty, &step.sets);
            }
        }
    }

    /// The object type of a value whose field has the named type `ty`: that type itself, or
    /// behind an interface or union the possible type `__typename` names, else the possible
    /// type whose selection gives exactly the keys present.
    fn concrete_type(
        &self,
        map: &IndexMap<Name, Value>,
        ty: Option<&'a str>,
        sets: &[&'a SelectionSet],
    ) -> Option<&'a str> {
        let meta = self.registry.types.get(ty?)?;
        let Some(possible) = meta.possible_types() else {
            return Some(meta.name());
        };
        for (key, fields) in self.collect(sets, None) {
            if fields
                .first()
                .is_some_and(|field| field.name.node == "__typename")
                && let Some(Value::String(name)) = map.get(key)
            {
                return possible.get(name.as_str()).map(String::as_str);
            }
        }
        possible.iter().map(String::as_str).find(|candidate| {
            let keys = self.collect(sets, Some(candidate));
            keys.len() == map.len() && keys.keys().all(|key| map.contains_key(*key))
        })
    }

    /// The named type of field `field` of object type `parent`.
    fn field_type(&self, parent: &str, field: &str) -> Option<&'a str> {
        match field {
            "__schema" => Some("__Schema"),
            "__type" => Some("__Type"),
            _ => self
                .registry
                .types
                .get(parent)?
                .field_by_name(field)
                .map(|field| MetaTypeName::concrete_typename(&field.ty)),
        }
    }

    /// CollectFields() over each of `sets` in turn, for an object of type `ty`.
    fn collect(&self, sets: &[&'a SelectionSet], ty: Option<&str>) -> Grouped<'a> {
        let mut grouped = Grouped::new();
        for set in sets {
            self.collect_set(set, ty, &mut grouped, &mut HashSet::new());
        }
        grouped
    }

    fn collect_set(
        &self,
        set: &'a SelectionSet,
        ty: Option<&str>,
        grouped: &mut Grouped<'a>,
        visited: &mut HashSet<&'a str>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if !self.skipped(&field.node.directives) {
                        grouped
                            .entry(field.node.response_key().node.as_str())
                            .or_default()
                            .push(&field.node);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if self.skipped(&spread.node.directives) || !visited.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name)
                        && self.applies(Some(&fragment.node.type_condition.node.on.node), ty)
                    {
                        self.collect_set(&fragment.node.selection_set.node, ty, grouped, visited);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let condition = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|condition| condition.node.on.node.as_str());
                    if !self.skipped(&inline.node.directives) && self.applies(condition, ty) {
                        self.collect_set(&inline.node.selection_set.node, ty, grouped, visited);
                    }
                }
            }
        }
    }

    /// Whether a fragment with type condition `condition` applies to an object of type `ty`
    /// (always where either is unknown).
    fn applies(&self, condition: Option<&str>, ty: Option<&str>) -> bool {
        match (condition, ty) {
            (Some(condition), Some(ty)) => {
                condition == ty
                    || self
                        .registry
                        .types
                        .get(condition)
                        .is_some_and(|meta| meta.is_possible_type(ty))
            }
            _ => true,
        }
    }

    /// Whether `@skip` or `@include` leave the selection out.
    fn skipped(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().any(|directive| {
            let skip_when = match directive.node.name.node.as_str() {
                "skip" => true,
                "include" => false,
                _ => return false,
            };
            let condition = directive.node.get_argument("if").and_then(|value| {
                value
                    .node
                    .clone()
                    .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                    .ok()
            });
            matches!(condition, Some(Value::Boolean(value)) if value == skip_when)
        })
    }
}

//! `schema.graphql` is the committed API contract; it must match the code.

#[test]
fn schema_graphql_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let generated = govskills_api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("schema.graphql is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is out of date with the code. Regenerate it with\n\
         \n    UPDATE_SCHEMA=1 cargo test -p govskills-tests --test api schema\n\
         \n(or: cargo run -p govskills-api -- export-schema > schema.graphql) and commit it."
    );
}

/// Every type, field, argument, input field and enum value in the SDL has a description: the SDL
/// is the documentation client developers read. (The built-in directives `@include`, `@skip` and
/// `@specifiedBy` come from async-graphql, which gives their arguments none; they are not ours to
/// describe, so directive definitions are not checked.)
#[test]
fn every_schema_element_has_a_description() {
    use async_graphql_parser::{
        Positioned,
        types::{InputValueDefinition, TypeKind, TypeSystemDefinition},
    };

    fn described(description: Option<&Positioned<String>>) -> bool {
        description.is_some_and(|description| !description.node.trim().is_empty())
    }

    fn check_inputs(
        owner: &str,
        inputs: &[Positioned<InputValueDefinition>],
        missing: &mut Vec<String>,
    ) {
        for input in inputs {
            if !described(input.node.description.as_ref()) {
                missing.push(format!("{owner}.{}", input.node.name.node));
            }
        }
    }

    let sdl = govskills_api::graphql::sdl();
    let document = async_graphql_parser::parse_schema(&sdl).expect("the generated SDL parses");
    let mut missing = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if !described(ty.description.as_ref()) {
            missing.push(format!("type {name}"));
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    let path = format!("{name}.{}", field.name.node);
                    if !described(field.description.as_ref()) {
                        missing.push(path.clone());
                    }
                    check_inputs(&format!("{path}(argument)"), &field.arguments, &mut missing);
                }
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    let field = &field.node;
                    let path = format!("{name}.{}", field.name.node);
                    if !described(field.description.as_ref()) {
                        missing.push(path.clone());
                    }
                    check_inputs(&format!("{path}(argument)"), &field.arguments, &mut missing);
                }
            }
            TypeKind::InputObject(input) => check_inputs(name, &input.fields, &mut missing),
            TypeKind::Enum(enumeration) => {
                for value in &enumeration.values {
                    if !described(value.node.description.as_ref()) {
                        missing.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }
    assert!(
        missing.is_empty(),
        "{} schema elements have no description; give each a `///` doc comment (types, fields, \
         input fields, enum variants) or `#[graphql(desc = \"...\")]` (resolver arguments):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

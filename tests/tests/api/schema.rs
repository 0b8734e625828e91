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

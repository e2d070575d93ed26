//! With a schema, a field the schema lacks is accepted with a warning, and a close schema
//! field is suggested (design.md §3: unknown fields are accepted unless the user asks for
//! strict checking).

use std::sync::Arc;

use eqlc::ir::FieldType;
use eqlc::schema::Schema;
use eqlc::source::Source;

fn schema() -> Arc<Schema> {
    let mut s = Schema::new();
    s.insert("process.name", FieldType::Keyword);
    s.insert("process.pid", FieldType::Integer);
    s.insert("event.category", FieldType::Keyword);
    Arc::new(s)
}

#[test]
fn typo_gets_a_suggestion_and_stays_accepted() {
    let q = r#"process where process.nmae : "bash" and foo.bar == 2"#;
    let opts = eqlc::Options::with_schema(schema());
    let ast = eqlc::parse(q).unwrap();
    let (ir, diags) = eqlc::check::check_with_warnings(&ast, &opts);
    assert!(ir.is_some(), "warnings do not reject the rule");
    let text = diags.render(&Source::inline("q", q));
    assert!(
        text.contains("q:1:15: warning: field `process.nmae` is not in the schema"),
        "{text}"
    );
    assert!(text.contains("did you mean `process.name`?"), "{text}");
    assert!(
        text.contains("q:1:41: warning: field `foo.bar` is not in the schema"),
        "{text}"
    );
    assert_eq!(diags.len(), 2, "{text}");
    assert!(eqlc::compile_query(q, &opts).is_ok());
}

#[test]
fn no_schema_no_warning() {
    let q = r#"process where process.nmae : "bash""#;
    let ast = eqlc::parse(q).unwrap();
    let (_, diags) = eqlc::check::check_with_warnings(&ast, &eqlc::Options::default());
    assert!(diags.is_empty());
}

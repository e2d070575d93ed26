//! Elasticsearch conformance files: every query checks (with its data set's mapping), every
//! `verifier.failures` expression is rejected, every fold expression checks.

use std::path::Path;
use std::sync::Arc;

use eqlc::schema::Schema;
use eqlc::Options;

use crate::common::shared_dir;

/// Mapping files of the data set a query file runs on.
fn mappings_for(file: &str) -> &'static [&'static str] {
    match file {
        "test_queries.toml" | "additional_test_queries.toml" | "test_queries_date.toml" => {
            &["endgame-140.mapping"]
        }
        "test_queries_date_nanos.toml" => &["endgame-140-nanos.mapping"],
        "test_extra.toml" => &["extra.mapping"],
        "test_missing_events.toml" => &["missing-events.mapping"],
        "test_sample.toml" => &["sample1.mapping", "sample2.mapping", "sample3.mapping"],
        "test_sample_multi.toml" => &["sample-multi.mapping"],
        other => panic!("no mapping known for {other}"),
    }
}

fn schema_for(dir: &Path, file: &str) -> Schema {
    let mut s = Schema::new();
    for m in mappings_for(file) {
        s.extend(Schema::load(&dir.join("data").join(m)).expect("mapping loads"));
    }
    s
}

/// `test_extra.toml` has bare `null` inside arrays, which is not TOML.
fn preprocess(text: &str) -> String {
    text.replace("[null]", "[\"null\"]")
        .replace("[null,", "[\"null\",")
        .replace(", null]", ", \"null\"]")
        .replace(", null,", ", \"null\",")
}

fn queries(path: &Path) -> Vec<(String, String)> {
    let text = preprocess(&std::fs::read_to_string(path).expect("readable"));
    let v: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let list = v
        .get("queries")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|q| {
            let name = q.get("name").and_then(toml::Value::as_str).unwrap_or("?");
            let query = q.get("query").and_then(toml::Value::as_str).unwrap_or("");
            (name.to_string(), query.to_string())
        })
        .collect()
}

#[test]
fn every_conformance_query_checks() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("conformance/elasticsearch");
    let mut total = 0;
    let mut failures = Vec::new();
    let mut need_mapping = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("conformance dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    for file in &names {
        let schema = Arc::new(schema_for(&dir, file));
        let with_schema = Options::with_schema(schema);
        for (name, q) in queries(&dir.join(file)) {
            total += 1;
            if let Err(d) = eqlc::compile_query(&q, &with_schema) {
                let src = eqlc::source::Source::inline(format!("{file}:{name}"), q.as_str());
                failures.push(d.render(&src));
            }
            // Without a schema every `?field` counts as mapped, so `?x == ?y` becomes a
            // field-to-field comparison; only those two queries need the mapping.
            if eqlc::compile_query(&q, &Options::default()).is_err() {
                need_mapping.push(name);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    need_mapping.sort();
    assert_eq!(
        need_mapping,
        [
            "optionalFieldAsQueryKeysOnly",
            "sequenceOptionalFieldAsQueryKeysOnly"
        ]
    );
    assert_eq!(total, 301, "the README counts 301 active queries");
}

#[test]
fn optional_fields_follow_the_mapping() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("conformance/elasticsearch");
    let opts = Options::with_schema(Arc::new(schema_for(&dir, "test_extra.toml")));
    let q = eqlc::compile_query(
        "any where ?optional_field_mapping_only == null and ?not_mapped_at_all == null",
        &opts,
    )
    .expect("checks");
    let eqlc::ir::Body::Event(st) = &q.body else {
        panic!()
    };
    let eqlc::ir::ExprKind::And(v) = &st.condition.kind else {
        panic!("{:?}", st.condition)
    };
    let eqlc::ir::ExprKind::IsNull(a) = &v[0].kind else {
        panic!()
    };
    assert!(
        matches!(&a.kind, eqlc::ir::ExprKind::Field(f) if f.optional && f.ty == eqlc::ir::FieldType::Keyword)
    );
    let eqlc::ir::ExprKind::IsNull(b) = &v[1].kind else {
        panic!()
    };
    assert_eq!(b.kind, eqlc::ir::ExprKind::Literal(eqlc::ir::Literal::Null));
    // The alias keeps its path and takes the target's type.
    assert_eq!(q.category_field.path, "event.category");
    assert_eq!(q.category_field.ty, eqlc::ir::FieldType::Keyword);
}

/// Sections of the unit files, flattened: (section, kind, expression).
fn unit_expressions(path: &Path) -> Vec<(String, &'static str, String)> {
    let text = std::fs::read_to_string(path).expect("readable");
    let v: toml::Table = toml::from_str(&text).expect("unit file is TOML");
    let mut out = Vec::new();
    for (section, body) in &v {
        let get = |t: &toml::Value, k: &str| t.get(k).cloned();
        if let Some(tests) = get(body, "fold").and_then(|f| get(&f, "tests")) {
            for t in tests.as_array().into_iter().flatten() {
                if let Some(e) = t.get("expression").and_then(toml::Value::as_str) {
                    out.push((section.clone(), "fold", e.to_string()));
                }
            }
        }
        if let Some(fails) = get(body, "verifier").and_then(|f| get(&f, "failures")) {
            for t in fails.as_array().into_iter().flatten() {
                if let Some(e) = t.get("expression").and_then(toml::Value::as_str) {
                    out.push((section.clone(), "failure", e.to_string()));
                }
            }
        }
        for lp in get(body, "loop")
            .and_then(|l| l.as_array().cloned())
            .into_iter()
            .flatten()
        {
            let types: Vec<String> = lp
                .get("param")
                .and_then(|p| p.get("type"))
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect();
            let tests = lp
                .get("fold")
                .and_then(|f| f.get("tests"))
                .and_then(toml::Value::as_array);
            for t in tests.into_iter().flatten() {
                let Some(e) = t.get("expression").and_then(toml::Value::as_str) else {
                    continue;
                };
                for ty in &types {
                    let value = match ty.as_str() {
                        "bool" => "true",
                        "int" => "1",
                        "string" => "\"s\"",
                        "float" => "1.5",
                        _ => "null",
                    };
                    out.push((section.clone(), "fold", e.replace("$value", value)));
                }
            }
        }
    }
    out
}

#[test]
fn verifier_failures_are_rejected_and_fold_expressions_check() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("conformance/elasticsearch/unit");
    let (mut failures_seen, mut folds_seen) = (0, 0);
    let mut problems = Vec::new();
    for file in ["test_folding.toml", "test_string_functions.toml"] {
        for (section, kind, expr) in unit_expressions(&dir.join(file)) {
            // Python-era method syntax (`"hello":length()`), not accepted by ES.
            let python_only = expr.contains(":length()");
            let as_expr = eqlc::parse::parse_expression(&expr)
                .and_then(|e| eqlc::check::check_expr(&e, &Options::default()));
            let as_query = eqlc::compile_query(&format!("any where {expr}"), &Options::default());
            match kind {
                "failure" => {
                    failures_seen += 1;
                    if as_expr.is_ok() {
                        problems.push(format!("{file} [{section}] accepted: {expr}"));
                    }
                    if as_query.is_ok() {
                        problems.push(format!("{file} [{section}] accepted as a query: {expr}"));
                    }
                }
                _ if python_only => {
                    assert!(as_expr.is_err(), "method syntax should not parse: {expr}");
                }
                _ => {
                    folds_seen += 1;
                    if let Err(d) = as_expr {
                        problems.push(format!("{file} [{section}] rejected: {expr}: {d}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(failures_seen, 7);
    assert!(folds_seen > 150, "{folds_seen} fold expressions");
}

//! Turns every query of `shared/conformance/elasticsearch/*.toml` into a generated
//! matcher (one pack per case, through `eqlc::compile::compile_pack_with_schema`, the
//! pipeline the macros use), and the unit expectations of `unit/test_folding.toml` and
//! `unit/test_string_functions.toml` into one pack per file (one rule per expression).
//! Writes `$OUT_DIR/cases.rs`: the packs and the tables the runner walks.

#[path = "src/data.rs"]
#[allow(dead_code)]
mod data;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use eqlc::codegen::GenOptions;
use eqlc::compile::{compile_pack_with_schema, pretty, RuleSource};
use eqlc::rule_meta::RuleInfo;
use eqlc::schema::{es_field_type, Schema};
use quote::quote;

/// The suite files, in report order.
const SUITES: &[&str] = &[
    "test_queries.toml",
    "additional_test_queries.toml",
    "test_queries_date.toml",
    "test_queries_date_nanos.toml",
    "test_extra.toml",
    "test_missing_events.toml",
    "test_sample.toml",
    "test_sample_multi.toml",
];

fn main() {
    println!("cargo:rerun-if-env-changed=EQLC_SHARED");
    println!("cargo:rerun-if-env-changed=CI");
    // The generator's mode switch (`code` / `table`): CI runs the suite in both.
    println!("cargo:rerun-if-env-changed=EQLC_CODEGEN");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/data.rs");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("cases.rs");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let shared = match std::env::var_os("EQLC_SHARED") {
        Some(d) => PathBuf::from(d),
        None => manifest.join("../../shared"),
    };
    let es = shared.join("conformance/elasticsearch");
    println!("cargo:rerun-if-changed={}", es.display());
    if !es.is_dir() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "eqlc-conformance: the shared conformance data is missing: {} does not exist. \
                 Set EQLC_SHARED to the `shared` folder (holding conformance/elasticsearch).",
                es.display()
            );
        }
        println!(
            "cargo:warning=eqlc-conformance: no conformance data at {} (set EQLC_SHARED); \
             building an empty case table",
            es.display()
        );
        std::fs::write(
            &out,
            "/// Where the data was found at build time.\npub const SHARED_DIR: Option<&str> = None;\n\
             /// The cases.\npub static CASES: &[Case] = &[];\n/// Unit checks.\npub static UNITS: &[UnitCase] = &[];\n",
        )
        .expect("write cases.rs");
        return;
    }
    let shared = std::fs::canonicalize(&shared).unwrap_or(shared);
    let es = shared.join("conformance/elasticsearch");
    let mut g = Gen::default();
    for file in SUITES {
        g.suite(&es, file);
    }
    for file in ["test_folding.toml", "test_string_functions.toml"] {
        g.unit(&es, file);
    }
    let mut text = String::new();
    let shared_s = shared.display().to_string();
    writeln!(text, "/// Where the data was found at build time.").unwrap();
    writeln!(
        text,
        "pub const SHARED_DIR: Option<&str> = Some({shared_s:?});"
    )
    .unwrap();
    text.push_str(&g.items);
    writeln!(text, "/// The cases of the Elasticsearch suites.").unwrap();
    writeln!(text, "pub static CASES: &[Case] = &[\n{}];", g.table).unwrap();
    writeln!(text, "/// The unit checks.").unwrap();
    writeln!(text, "pub static UNITS: &[UnitCase] = &[\n{}];", g.units).unwrap();
    std::fs::write(&out, text).expect("write cases.rs");
}

#[derive(Default)]
struct Gen {
    items: String,
    table: String,
    units: String,
    n: usize,
    schemas: Vec<(&'static str, Arc<Schema>)>,
}

fn opts(name: &str, doc: &str) -> GenOptions {
    GenOptions {
        runtime: quote! { ::eqlc_runtime },
        vis: quote! { pub },
        name: eqlc::codegen::ident(name),
        doc: doc.to_string(),
    }
}

fn rule(name: &str, query: &str) -> RuleSource {
    RuleSource {
        info: RuleInfo {
            name: name.to_string(),
            rule_id: name.to_string(),
            severity: "low".into(),
            origin: "conformance".into(),
            ..RuleInfo::default()
        },
        query: query.to_string(),
        category_field: None,
        file: None,
        exceptions: Default::default(),
        tests: Vec::new(),
    }
}

/// The schema of a data set: its mappings plus what dynamic mapping gives the fields
/// of its documents that the mappings do not name.
fn schema_of(es: &Path, ds: &data::DataSet) -> Schema {
    let mut s = Schema::new();
    let mut mapped: Vec<String> = Vec::new();
    for m in ds.mappings {
        let p = es.join(m);
        println!("cargo:rerun-if-changed={}", p.display());
        let v = data::read_mapping(&p).unwrap_or_else(|e| panic!("{e}"));
        let info = data::mapping_info(&v);
        for (path, ty) in &info.types {
            s.insert(path.clone(), es_field_type(ty));
            mapped.push(path.clone());
        }
        for (path, target) in &info.aliases {
            let ty = info
                .types
                .iter()
                .find(|(p, _)| p == target)
                .map_or("object", |(_, t)| t.as_str());
            s.insert(path.clone(), es_field_type(ty));
            mapped.push(path.clone());
        }
    }
    let mut dynamic = Vec::new();
    for d in ds.data {
        let p = es.join(d);
        println!("cargo:rerun-if-changed={}", p.display());
        for doc in data::read_docs(&p).unwrap_or_else(|e| panic!("{e}")) {
            data::dynamic_fields(&doc, &mut dynamic);
        }
    }
    for (path, ty) in ds.extra_types {
        s.insert(*path, es_field_type(ty));
        mapped.push(path.to_string());
    }
    for (path, ty) in dynamic {
        if !mapped.contains(&path) {
            s.insert(path, es_field_type(&ty));
        }
    }
    if ds.time != data::TimeRule::None && !s.is_mapped("@timestamp") {
        s.insert("@timestamp", es_field_type("date"));
    }
    s
}

/// EQL literal of a TOML value.
fn eql_literal(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => {
            let mut o = String::from("\"");
            for c in s.chars() {
                match c {
                    '\\' => o.push_str("\\\\"),
                    '"' => o.push_str("\\\""),
                    '\n' => o.push_str("\\n"),
                    '\r' => o.push_str("\\r"),
                    '\t' => o.push_str("\\t"),
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        }
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f:?}"),
        toml::Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

impl Gen {
    fn schema(&mut self, es: &Path, ds: &'static data::DataSet) -> Arc<Schema> {
        if let Some((_, s)) = self.schemas.iter().find(|(id, _)| *id == ds.id) {
            return s.clone();
        }
        let s = Arc::new(schema_of(es, ds));
        self.schemas.push((ds.id, s.clone()));
        s
    }

    fn suite(&mut self, es: &Path, file: &str) {
        let path = es.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let mut text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        if file == "test_extra.toml" {
            // Not strict TOML: bare `null` inside arrays.
            text = text
                .replace("[null,", "[\"null\",")
                .replace(", null]", ", \"null\"]")
                .replace("[null]", "[\"null\"]")
                .replace(", null,", ", \"null\",");
        }
        let doc: toml::Value = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: invalid TOML: {e}", path.display()));
        let ds = data::data_set_of(file).expect("known suite");
        let schema = self.schema(es, ds);
        let queries = doc
            .get("queries")
            .and_then(toml::Value::as_array)
            .cloned()
            .unwrap_or_default();
        for q in &queries {
            let name = q.get("name").and_then(toml::Value::as_str).unwrap_or("?");
            let query = q.get("query").and_then(toml::Value::as_str).unwrap_or("");
            let ids = |v: &toml::Value| -> Vec<i64> {
                v.as_array()
                    .map(|a| a.iter().filter_map(toml::Value::as_integer).collect())
                    .unwrap_or_default()
            };
            let expected: Vec<Vec<i64>> = match q.get("expected_event_ids") {
                Some(toml::Value::Array(a)) if a.iter().any(toml::Value::is_array) => {
                    a.iter().map(ids).collect()
                }
                Some(v) => vec![ids(v)],
                None => vec![vec![]],
            };
            let join_keys: Option<Vec<String>> =
                q.get("join_keys").and_then(toml::Value::as_array).map(|a| {
                    a.iter()
                        .map(|v| match v {
                            toml::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect()
                });
            let size = q
                .get("size")
                .and_then(toml::Value::as_integer)
                .unwrap_or(50);
            let mspk = q
                .get("max_samples_per_key")
                .and_then(toml::Value::as_integer)
                .unwrap_or(1);
            self.n += 1;
            let module = format!("case_{}", self.n);
            let (run, error) = match self.gen_case(&module, name, query, &schema) {
                Ok(()) => (
                    format!(
                        "Some(|ds, size, mspk| crate::run_pack({module}::Pack::with_options(65_536, size, mspk), ds))"
                    ),
                    "None".into(),
                ),
                Err(e) => ("None".to_string(), format!("Some({e:?})")),
            };
            let exp: Vec<String> = expected.iter().map(|v| format!("&{v:?}")).collect();
            let jk = match &join_keys {
                Some(k) => format!("Some(&{k:?})"),
                None => "None".into(),
            };
            writeln!(
                self.table,
                "    Case {{ name: {name:?}, file: {file:?}, query: {query:?}, expected: &[{}], \
                 join_keys: {jk}, size: {size}, max_samples_per_key: {mspk}, data: {:?}, \
                 error: {error}, run: {run} }},",
                exp.join(", "),
                ds.id
            )
            .unwrap();
        }
    }

    fn gen_case(
        &mut self,
        module: &str,
        name: &str,
        query: &str,
        schema: &Arc<Schema>,
    ) -> Result<(), String> {
        let tokens = compile_pack_with_schema(
            &[rule(name, query)],
            Some(schema),
            &opts("Pack", &format!("Conformance case `{name}`.")),
        )
        .map_err(|e| e.join("\n"))?;
        writeln!(
            self.items,
            "/// Case `{name}`.\n#[allow(clippy::all)]\npub mod {module} {{"
        )
        .unwrap();
        self.items.push_str(&pretty(&tokens));
        self.items.push_str("}\n");
        Ok(())
    }

    fn unit(&mut self, es: &Path, file: &str) {
        let path = es.join("unit").join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc: toml::Value = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: invalid TOML: {e}", path.display()));
        // (section, expression, expected or None = null)
        let mut tests: Vec<(String, String, Option<toml::Value>, Option<String>)> = Vec::new();
        let mut failures: Vec<(String, String)> = Vec::new();
        let table = doc.as_table().cloned().unwrap_or_default();
        for (section, body) in &table {
            let na = body
                .get("case_insensitive")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false)
                .then(|| {
                    "Python-era `case_insensitive = true` section: ES `==` is case-sensitive"
                        .to_string()
                });
            let fold_tests = body
                .get("fold")
                .and_then(|f| f.get("tests"))
                .and_then(toml::Value::as_array)
                .cloned()
                .unwrap_or_default();
            for t in &fold_tests {
                let e = t
                    .get("expression")
                    .and_then(toml::Value::as_str)
                    .unwrap_or("");
                tests.push((
                    section.clone(),
                    e.to_string(),
                    t.get("expected").cloned(),
                    na.clone(),
                ));
            }
            for l in body
                .get("loop")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
            {
                let param = l.get("param");
                let var = param
                    .and_then(|p| p.get("name"))
                    .and_then(toml::Value::as_str)
                    .unwrap_or("value");
                let types: Vec<String> = param
                    .and_then(|p| p.get("type"))
                    .and_then(toml::Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let lt = l
                    .get("fold")
                    .and_then(|f| f.get("tests"))
                    .and_then(toml::Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for ty in &types {
                    let lit = match ty.as_str() {
                        "bool" => "true",
                        "int" => "1",
                        "string" => "\"abc\"",
                        "float" => "1.5",
                        _ => "null",
                    };
                    for t in &lt {
                        let e = t
                            .get("expression")
                            .and_then(toml::Value::as_str)
                            .unwrap_or("");
                        let e = e.replace(&format!("${var}"), lit);
                        tests.push((section.clone(), e, t.get("expected").cloned(), na.clone()));
                    }
                }
            }
            let fails = body
                .get("verifier")
                .and_then(|v| v.get("failures"))
                .and_then(toml::Value::as_array)
                .cloned()
                .unwrap_or_default();
            for t in &fails {
                let e = t
                    .get("expression")
                    .and_then(toml::Value::as_str)
                    .unwrap_or("");
                failures.push((section.clone(), e.to_string()));
            }
        }
        let pack_name = if file == "test_folding.toml" {
            "unit_folding"
        } else {
            "unit_string_functions"
        };
        let mut good: Vec<RuleSource> = Vec::new();
        let mut rows = String::new();
        let mut event = serde_json::Map::new();
        for (section, expr, expected, na) in &tests {
            let method = method_syntax(expr);
            let na = na.clone().or_else(|| {
                method.then(|| {
                    "Python-era method syntax `(x:length())`: not part of the ES grammar".into()
                })
            });
            let (exp_text, rule_text) = match expected {
                Some(v) => (
                    eql_literal(v),
                    format!("any where ({expr}) == {}", eql_literal(v)),
                ),
                None => ("null".to_string(), format!("any where ({expr}) == null")),
            };
            let conflict = conflict_of(expr);
            let (exp_text, rule_text) = match &conflict {
                Some((es_answer, _)) => (
                    es_answer.to_string(),
                    format!("any where ({expr}) == {es_answer}"),
                ),
                None => (exp_text, rule_text),
            };
            let file_expected = match expected {
                Some(v) => eql_literal(v),
                None => "null".into(),
            };
            let kind = if let Some(reason) = &na {
                format!("UnitKind::NotApplicable({reason:?})")
            } else if let Some((_, why)) = &conflict {
                format!("UnitKind::Conflict({why:?})")
            } else {
                "UnitKind::Check".into()
            };
            // Two rules per expectation: as written (the planner folds it), and with
            // its first literal read from the test event (generated code evaluates it).
            let mut variants = vec![(rule_text.clone(), "folded")];
            if na.is_none() {
                let field = format!("u.v{}", event.len());
                if let Some((e2, value)) = fieldize(&rule_text, &field) {
                    event.insert(field[2..].to_string(), value);
                    variants.push((e2, "from a field"));
                }
            }
            for (rule_text, how) in variants {
                let (index, error) = if na.is_some() {
                    ("None".to_string(), "None".to_string())
                } else {
                    let r = rule(&format!("{pack_name}_{}", good.len()), &rule_text);
                    match r.check() {
                        Ok(_) => {
                            good.push(r);
                            (format!("Some({})", good.len() - 1), "None".to_string())
                        }
                        Err(e) => ("None".to_string(), format!("Some({e:?})")),
                    }
                };
                let run = if index == "None" {
                    "None".to_string()
                } else {
                    format!(
                        "Some(|| crate::run_unit({pack_name}::Pack::new(), {pack_name}::EVENT))"
                    )
                };
                writeln!(
                    rows,
                    "    UnitCase {{ file: {file:?}, section: {section:?}, expression: {expr:?}, \
                     how: {how:?}, rule: {rule_text:?}, expected: {exp_text:?}, \
                     file_expected: {file_expected:?}, kind: {kind}, rule_index: {index}, \
                     error: {error}, run: {run} }},"
                )
                .unwrap();
                if na.is_some() {
                    break;
                }
            }
        }
        for (section, expr) in &failures {
            let rule_text = format!("any where ({expr}) == null");
            let r = rule("verifier", &rule_text);
            let compiled = compile_pack_with_schema(&[r], None, &opts("Pack", "")).is_ok();
            writeln!(
                rows,
                "    UnitCase {{ file: {file:?}, section: {section:?}, expression: {expr:?}, \
                 how: \"folded\", rule: {rule_text:?}, expected: \"compile error\", \
                 file_expected: \"compile error\", \
                 kind: UnitKind::MustFail {{ compiled: {compiled} }}, rule_index: None, error: None, run: None }},"
            )
            .unwrap();
        }
        match compile_pack_with_schema(
            &good,
            None,
            &opts("Pack", &format!("Unit checks of {file}.")),
        ) {
            Ok(tokens) => {
                let json = serde_json::json!({ "u": event }).to_string();
                writeln!(
                    self.items,
                    "/// Unit checks of `{file}`.\n#[allow(clippy::all)]\npub mod {pack_name} {{\n\
                     /// The test event: the literals the rules read from fields.\n\
                     pub const EVENT: &str = {json:?};"
                )
                .unwrap();
                self.items.push_str(&pretty(&tokens));
                self.items.push_str("}\n");
            }
            Err(e) => panic!("unit pack of {file} does not compile: {}", e.join("\n")),
        }
        self.units.push_str(&rows);
    }
}

/// `("hello":length())`: Python eql's method syntax.
fn method_syntax(expr: &str) -> bool {
    let b = expr.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b':' && w[1].is_ascii_alphabetic())
}

/// Expectations of the fold files that disagree with Elasticsearch's code
/// (eql-semantics.md §11; the files were inherited from Python eql): the ES answer as
/// an EQL literal, and why.
fn conflict_of(expr: &str) -> Option<(&'static str, &'static str)> {
    const NOT_FOUND: &str = "eql-semantics.md §5/§11: ES `between` returns \"\" when left or \
                             right is not found (the file has Python's null)";
    const EMPTY: &str = "eql-semantics.md §5/§11: ES `StringUtils.between` returns the input \
                         when left or right is empty (the file has Python's slice)";
    match expr {
        r#"between("welcome to the planet", "welcome", "village")"#
        | r#"between("welcome to the planet", "goodbye", "planet")"#
        | r#"between("welcome to the planet", "welcome", "x", false)"#
        | r#"between("welcome to the planet", "welcome", "x", true)"# => Some(("\"\"", NOT_FOUND)),
        r#"between("welcome to the planet", "", "x", true)"#
        | r#"between("welcome to the planet", "", "", false)"#
        | r#"between("welcome to the planet", "", "planet", false)"# => {
            Some(("\"welcome to the planet\"", EMPTY))
        }
        _ => None,
    }
}

/// The first string or number literal of a rule, replaced by the field `field`:
/// `(rewritten rule, the literal's value as JSON)`; `None` when there is none. Turns a
/// constant expression into one over an event field, so that the check runs through
/// generated code and the runtime instead of the planner's constant folding.
fn fieldize(rule: &str, field: &str) -> Option<(String, serde_json::Value)> {
    // Skip `any where (`.
    let skip = rule.find('(').map_or(0, |p| p + 1);
    let b = rule.as_bytes();
    let mut i = skip;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            if rule[i..].starts_with("\"\"\"") {
                let end = rule[i + 3..].find("\"\"\"")? + i + 3;
                let value = rule[i + 3..end].to_string();
                let rest = &rule[end + 3..];
                return Some((format!("{}{field}{rest}", &rule[..i]), value.into()));
            }
            let body = &rule[i + 1..];
            let mut value = String::new();
            let mut it = body.char_indices();
            let end = loop {
                let (off, ch) = it.next()?;
                match ch {
                    '"' => break i + 1 + off + 1,
                    '\\' => match it.next()?.1 {
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        'u' => {
                            let mut hex = String::new();
                            for (_, h) in it.by_ref() {
                                match h {
                                    '{' => {}
                                    '}' => break,
                                    h => hex.push(h),
                                }
                            }
                            value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                        }
                        other => value.push(other),
                    },
                    other => value.push(other),
                }
            };
            return Some((
                format!("{}{field}{}", &rule[..i], &rule[end..]),
                value.into(),
            ));
        }
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if c.is_ascii_digit() && !prev_ident {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            if j < b.len() && (b[j] == b'e' || b[j] == b'E') {
                j += 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            let text = &rule[i..j];
            let value: serde_json::Value = match text.parse::<i64>() {
                Ok(n) => n.into(),
                Err(_) => text.parse::<f64>().ok()?.into(),
            };
            return Some((format!("{}{field}{}", &rule[..i], &rule[j..]), value));
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    None
}

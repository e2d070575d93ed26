//! The detection-rules corpus: every EQL rule parses, checks, and prints back to the same
//! tree.

use std::sync::Arc;

use eqlc::schema::Schema;
use eqlc::{Options, RuleOutcome};

use crate::common::{shared_dir, toml_files};

fn corpus_files() -> Option<Vec<std::path::PathBuf>> {
    let shared = shared_dir()?;
    let base = shared.join("corpus/detection-rules");
    let mut files = toml_files(&base.join("rules"));
    files.extend(toml_files(&base.join("rules_building_block")));
    Some(files)
}

fn check_all(opts: &Options) -> Option<(usize, Vec<String>)> {
    let files = corpus_files()?;
    let mut ok = 0;
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable rule file");
        match eqlc::compile_rule_file(&f.display().to_string(), &text, opts) {
            RuleOutcome::Compiled { .. } => ok += 1,
            RuleOutcome::Skipped(r) => failures.push(format!("{}: skipped: {r}", f.display())),
            RuleOutcome::Failed {
                source,
                diagnostics,
            } => failures.push(diagnostics.render(&source)),
        }
    }
    Some((ok, failures))
}

#[test]
fn every_corpus_rule_checks() {
    let Some((ok, failures)) = check_all(&Options::default()) else {
        return;
    };
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ok, 1024, "expected the 1024 EQL rules of the corpus");
}

#[test]
fn every_corpus_rule_checks_with_the_ecs_schema() {
    let Some(shared) = shared_dir() else { return };
    let schema = Schema::load(&shared.join("schema/ecs-flat.json")).expect("ecs-flat.json loads");
    assert!(schema.len() > 4000);
    let Some((ok, failures)) = check_all(&Options::with_schema(Arc::new(schema))) else {
        return;
    };
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ok, 1024);
}

#[test]
fn corpus_rules_print_back_to_the_same_ast() {
    let Some(files) = corpus_files() else { return };
    let mut n = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable rule file");
        let Ok(eqlc::rule_file::Loaded::Rule(rule)) = eqlc::rule_file::parse_rule_file(&text)
        else {
            panic!("{} is not an EQL rule", f.display());
        };
        let ast = eqlc::parse(&rule.query).expect("corpus rule parses");
        let printed = ast.to_string();
        let again = eqlc::parse(&printed).unwrap_or_else(|d| {
            panic!(
                "{}: printed form does not parse: {d}\n{printed}",
                f.display()
            )
        });
        assert!(
            ast.same_as(&again),
            "{}: round trip changed the tree\n{printed}",
            f.display()
        );
        // Printing is a fixed point after one round.
        assert_eq!(printed, again.to_string());
        n += 1;
    }
    assert_eq!(n, 1024);
}

#[test]
fn seed_rule_compiles_to_the_expected_shape() {
    let Some(shared) = shared_dir() else { return };
    let path = shared.join(
        "corpus/detection-rules/rules/linux/execution_shell_via_lolbin_interpreter_linux.toml",
    );
    let text = std::fs::read_to_string(path).expect("seed rule");
    let RuleOutcome::Compiled { rule, query } =
        eqlc::compile_rule_file("seed.toml", &text, &Options::default())
    else {
        panic!("seed rule does not compile");
    };
    assert_eq!(rule.rule_id, "76e4d92b-61c1-4a95-ab61-5fd94179a1ee");
    assert_eq!(rule.language, "eql");
    assert!(!rule.threat.is_empty());
    let eqlc::ir::Body::Sequence(seq) = &query.body else {
        panic!("seed rule is a sequence");
    };
    assert_eq!(seq.maxspan, Some(1_000_000_000));
    assert_eq!(seq.stages.len(), 2);
    for st in &seq.stages {
        let keys: Vec<&str> = st.keys.iter().map(|k| k.path.as_str()).collect();
        assert_eq!(keys, ["host.id", "process.entity_id"]);
    }
    assert_eq!(
        seq.stages[0].category,
        eqlc::ir::Category::Named("process".into())
    );
    assert_eq!(query.category_field.path, "event.category");
}

//! Snapshots of generated code (formatted), one per shape the generator knows. A change
//! in generated code shows up here as a reviewable diff (`cargo insta review`).

use eqlc::codegen::{ident, GenOptions};
use eqlc::compile::{compile_pack, pretty, RuleSource};
use eqlc::rule_meta::RuleInfo;
use quote::quote;

/// A rule with the given name and id and otherwise default metadata.
fn rule(name: &str, rule_id: &str, query: &str) -> RuleSource {
    RuleSource {
        info: RuleInfo {
            name: name.into(),
            rule_id: rule_id.into(),
            severity: "low".into(),
            origin: "inline".into(),
            ..RuleInfo::default()
        },
        query: query.into(),
        category_field: None,
        file: None,
        exceptions: Default::default(),
        tests: Vec::new(),
    }
}

/// The formatted pack generated for `rules`.
fn generate(rules: &[RuleSource]) -> String {
    let opts = GenOptions {
        runtime: quote!(::eqlc_runtime),
        vis: quote!(pub),
        name: ident("Pack"),
        doc: "snapshot".into(),
    };
    pretty(&compile_pack(rules, &opts).expect("compiles"))
}

fn expand(query: &str) -> String {
    generate(&[rule("snapshot", "snapshot-rule", query)])
}

#[test]
fn event_rule_with_patterns() {
    insta::assert_snapshot!(expand(
        r#"process where process.name : ("bash", "*sh", "python*", "*ncat*", "n?t*") and process.args == "-e" and not process.pid in (1, 2)"#
    ));
}

#[test]
fn long_lists_become_sets() {
    insta::assert_snapshot!(expand(
        r#"file where file.extension in ("a", "b", "c", "d", "e", "f", "g") and file.name : ("A.EXE", "B.EXE", "C.EXE", "D.EXE", "E.EXE", "F.EXE")"#
    ));
}

#[test]
fn sequence_with_cidr_and_until() {
    insta::assert_snapshot!(expand(
        r#"sequence by host.id with maxspan=1s [process where event.type == "start"] by process.entity_id [network where not cidrmatch(destination.ip, "10.0.0.0/8", "::1")] by process.entity_id until [process where event.type == "end"] by process.entity_id"#
    ));
}

#[test]
fn computed_leaves() {
    insta::assert_snapshot!(expand(
        r##"any where length(process.name) > 3 and startsWith~(process.executable, "/TMP/") and process.pid + 1 == 5 and process.command_line regex~ """.*curl.*\|.*sh""" "##
    ));
}

/// The body of the generated `stateful_rules` (the number it returns).
fn stateful_rules_body(code: &str) -> String {
    let at = code.find("fn stateful_rules").expect("generated");
    let body = &code[at..];
    let open = body.find('{').unwrap();
    let close = body.find('}').unwrap();
    body[open + 1..close].trim().to_string()
}

#[test]
fn stateful_rules_counts_sequences_and_samples_in_both_shapes() {
    let rule = |i: usize, query: &str| rule(&format!("r{i}"), &format!("rule-{i}"), query);
    // 3 rules are generated as code, 66 as tables.
    for events in [1, 64] {
        let mut rules = vec![
            rule(
                0,
                "sequence by host.id [process where true] [network where true]",
            ),
            rule(
                1,
                "sample by host.id [process where true] [network where true]",
            ),
        ];
        for i in 0..events {
            rules.push(rule(i + 2, &format!("process where process.pid == {i}")));
        }
        let code = generate(&rules);
        assert_eq!(code.contains("TableSpec"), rules.len() >= 64);
        assert_eq!(
            stateful_rules_body(&code),
            "2usize",
            "{} rules",
            rules.len()
        );
    }
}

//! Snapshots of generated code (formatted), one per shape the generator knows. A change
//! in generated code shows up here as a reviewable diff (`cargo insta review`).

use eqlc::codegen::{ident, GenOptions};
use eqlc::compile::{compile_pack, pretty, RuleSource};
use eqlc::rule_meta::RuleInfo;
use quote::quote;

fn expand(query: &str) -> String {
    let src = RuleSource {
        info: RuleInfo {
            name: "snapshot".into(),
            rule_id: "snapshot-rule".into(),
            severity: "low".into(),
            origin: "inline".into(),
            ..RuleInfo::default()
        },
        query: query.into(),
        category_field: None,
        file: None,
    };
    let opts = GenOptions {
        runtime: quote!(::eqlc_runtime),
        vis: quote!(pub),
        name: ident("Pack"),
        doc: "snapshot".into(),
    };
    let tokens = compile_pack(&[src], &opts).expect("compiles");
    pretty(&tokens)
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

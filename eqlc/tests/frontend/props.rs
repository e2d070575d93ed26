//! Property tests: no input panics the parser or the checker, and printed ASTs parse back
//! to the same tree.

use eqlc::Options;
use proptest::prelude::*;

/// Tokens that make random input reach deep into the grammar.
const TOKENS: &[&str] = &[
    "process",
    "any",
    "where",
    "sequence",
    "sample",
    "by",
    "with",
    "maxspan",
    "=",
    "5s",
    "runs",
    "until",
    "[",
    "]",
    "![",
    "(",
    ")",
    ",",
    "|",
    "head",
    "tail",
    "1",
    "0",
    "-1",
    "2.5",
    ".5",
    "1e3",
    "\"x\"",
    "\"a*\"",
    "\"\"\"r\\\"\"\"",
    "'s'",
    "?\"q\"",
    "a",
    "b.c",
    "?d",
    "`e f`",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    ":",
    "in",
    "in~",
    "not",
    "like",
    "like~",
    "regex",
    "regex~",
    "and",
    "or",
    "+",
    "-",
    "*",
    "/",
    "%",
    "true",
    "false",
    "null",
    "length(",
    "startsWith~(",
    "cidrMatch(",
    "concat(",
    "number(",
    "/*",
    "*/",
    "//",
    "\n",
    " ",
    "\\u{41}",
];

fn check_no_panic(text: &str) {
    if let Ok(ast) = eqlc::parse(text) {
        let _ = eqlc::check(&ast, &Options::default());
        // Whatever parses must print to something that parses to the same tree.
        let printed = ast.to_string();
        match eqlc::parse(&printed) {
            Ok(again) => assert!(ast.same_as(&again), "{text:?} printed as {printed:?}"),
            Err(d) => panic!("{text:?} printed as {printed:?} which does not parse: {d}"),
        }
    }
    if let Ok(e) = eqlc::parse::parse_expression(text) {
        let _ = eqlc::check::check_expr(&e, &Options::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,60}") {
        check_no_panic(&text);
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(0..TOKENS.len(), 0..40)) {
        let text: Vec<&str> = tokens.iter().map(|i| TOKENS[*i]).collect();
        check_no_panic(&text.join(" "));
        check_no_panic(&text.concat());
    }

    #[test]
    fn event_queries_with_token_conditions(tokens in proptest::collection::vec(0..TOKENS.len(), 1..25)) {
        let text: Vec<&str> = tokens.iter().map(|i| TOKENS[*i]).collect();
        check_no_panic(&format!("process where {}", text.join(" ")));
    }

    #[test]
    fn rule_files_never_panic(body in "\\PC{0,80}") {
        let _ = eqlc::compile_rule_file("p.toml", &format!("[rule]\nname = \"x\"\nlanguage = \"eql\"\nquery = '''\n{body}\n'''\n"), &Options::default());
        let _ = eqlc::compile_rule_file("p.toml", &body, &Options::default());
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for n in [200, 5_000] {
        for text in [
            format!("any where {}a == 1{}", "(".repeat(n), ")".repeat(n)),
            format!("any where {}a", "not ".repeat(n)),
            format!("any where {}1 == 1", "-".repeat(n)),
            format!("any where a == {}", "[".repeat(n)),
        ] {
            assert!(eqlc::parse(&text).is_err(), "{}", &text[..40]);
        }
    }
}

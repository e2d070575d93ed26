//! The macro bodies as plain functions: errors in a rule file are reported at the file's
//! own line and column, every file read is tracked for rebuilds, and bad input never
//! panics.

use quote::quote;

fn expand_include(path: &str) -> String {
    eqlc::macro_support::include_rules(quote! {
        pub struct Pack;
        path = #path,
    })
    .to_string()
}

#[test]
fn file_errors_point_into_the_file() {
    let out = expand_include("../facade/tests/data/bad_rule.toml");
    // `=` is not an equality operator; the query starts on line 12 of the file.
    assert!(
        out.contains("bad_rule.toml:14:35: error:"),
        "diagnostic at the file's line and column: {out}"
    );
    assert!(out.contains("compile_error"), "{out}");
    assert!(
        out.contains("include_bytes"),
        "the file is tracked for rebuilds: {out}"
    );
    // The pack type still exists, so code naming it does not pile up errors.
    assert!(out.contains("struct Pack"), "{out}");
}

#[test]
fn missing_path_is_reported() {
    let out = expand_include("no/such/folder");
    assert!(out.contains("cannot read"), "{out}");
}

#[test]
fn absolute_paths_are_rejected() {
    let out = expand_include("/etc");
    assert!(out.contains("relative"), "{out}");
}

#[test]
fn garbage_input_never_panics() {
    for input in [
        quote! {},
        quote! { struct; },
        quote! { pub struct X; query = 5 },
        quote! { pub struct X; query = "sequence [" },
        quote! { pub struct X; name = "x" },
        quote! { pub struct X; query = "any where true", risk_score = 500 },
    ] {
        let out = eqlc::macro_support::rule(input).to_string();
        assert!(out.contains("compile_error"), "{out}");
    }
}

#[test]
fn a_good_inline_rule_expands_deterministically() {
    let input = quote! {
        pub struct R;
        name = "r",
        query = r#"sequence by host.id with maxspan=5s [process where process.name : "a*"] [network where true]"#,
    };
    let a = eqlc::macro_support::rule(input.clone()).to_string();
    let b = eqlc::macro_support::rule(input).to_string();
    assert_eq!(a, b);
    assert!(!a.contains("compile_error"), "{a}");
}

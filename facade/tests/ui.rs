//! Compile-fail tests: the macros' diagnostics name the rule's line and column and show
//! the offending text with a caret.

#[test]
fn diagnostics() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

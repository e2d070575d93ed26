//! Properties of the compiler front end on arbitrary input, shared by the fuzz targets
//! (`fuzz/fuzz_targets/`) and the stable smoke test (`eqlc/tests/fuzz_props.rs`).
//!
//! * parsing never panics, and every error renders (spans inside the text);
//! * a query that parses prints as EQL that parses again to the same printout;
//! * checking a parsed query never panics, and its diagnostics render;
//! * a rule file never panics the reader, and its diagnostics render at its own lines
//!   (the query-offset map stays inside the file); the same for exception files.

use eqlc::source::Source;

/// The longest input tried (longer inputs only slow the fuzzer down).
pub const MAX_LEN: usize = 8 << 10;

/// Parse and check `data` as a query.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > MAX_LEN {
        return;
    }
    let src = Source::inline("fuzz", text);
    match eqlc::parse(text) {
        Err(d) => {
            assert!(d.has_errors(), "a failed parse without an error: {text:?}");
            let _ = d.render(&src);
        }
        Ok(ast) => {
            let printed = ast.to_string();
            let again = eqlc::parse(&printed).unwrap_or_else(|d| {
                panic!(
                    "the printout of {text:?} does not parse:\n{printed}\n{}",
                    d.render(&Source::inline("printout", printed.as_str()))
                )
            });
            assert_eq!(
                again.to_string(),
                printed,
                "printout of {text:?} is not stable"
            );
            let (_, diags) = eqlc::check::check_with_warnings(&ast, &eqlc::Options::default());
            let _ = diags.render(&src);
        }
    }
}

/// Read `data` as a rule file (or exception file), check what it holds and render every
/// diagnostic.
pub fn rule_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > MAX_LEN {
        return;
    }
    match eqlc::compile_rule_file("fuzz.toml", text, &eqlc::Options::default()) {
        eqlc::RuleOutcome::Failed {
            source,
            diagnostics,
        } => {
            let _ = diagnostics.render(&source);
        }
        eqlc::RuleOutcome::Compiled { rule, .. } => {
            let src = rule.source("fuzz.toml", text);
            assert!(src.text_offset(rule.query.len()) <= text.len());
        }
        eqlc::RuleOutcome::Skipped(_) => {}
    }
}

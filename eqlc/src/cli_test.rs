//! The `eqlc test` command (included by `main.rs`): run the rules' `[[test]]` tables.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `eqlc test [--schema FILE] PATH...`: run every `[[test]]` of the rules under PATH with
/// the reference interpreter ([`eqlc::selftest::run_query`]). Exit status 0 when every
/// test passes, 1 when a test fails or a rule or test is invalid, 2 on usage errors.
pub fn cmd_test(args: &[String]) -> ExitCode {
    let mut paths = Vec::new();
    let mut schema = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--schema" => match it.next() {
                Some(v) => match eqlc::schema::Schema::load(Path::new(v)) {
                    Ok(s) => schema = Some(Arc::new(s)),
                    Err(e) => return usage(&e),
                },
                None => return usage("`--schema` needs a file"),
            },
            s if s.starts_with('-') && s.len() > 1 => {
                return usage(&format!("unknown option `{s}`"))
            }
            p => paths.push(PathBuf::from(p)),
        }
    }
    if paths.is_empty() {
        return usage("`test` needs a PATH (rule files or folders)");
    }
    let checked = match eqlc::build::load_and_check_with(&paths, schema.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            errln!("eqlc test: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = checked.invalid.len();
    for e in &checked.invalid {
        outln!("{e}");
    }
    // expired exception items and lists that reach no rule change what the tests see
    for n in &checked.notes {
        outln!("note: {n}");
    }
    // tests in a file that is not an EQL rule cannot run: say so, rather than pass (a
    // rule test has `events` or `expect`; a `Cargo.toml`'s `[[test]]` targets have not)
    for (path, reason) in &checked.skipped {
        let has_tests = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| t.get("test").and_then(|v| v.as_array()).cloned())
            .is_some_and(|tests| {
                tests.iter().any(|t| {
                    t.as_table()
                        .is_some_and(|t| t.contains_key("events") || t.contains_key("expect"))
                })
            });
        if has_tests {
            failed += 1;
            outln!(
                "{}: error: has [[test]] tables but is not an EQL rule ({reason}); its tests cannot run\n",
                path.display()
            );
        }
    }
    let (mut passed, mut tests, mut untested) = (0usize, 0usize, 0usize);
    for r in &checked.rules {
        if r.tests.is_empty() {
            untested += 1;
            continue;
        }
        // the rule checked in `load_and_check_with`; this is the same query again
        let q = match r.check_with(schema.as_ref()) {
            Ok(q) => q,
            Err(e) => {
                failed += 1;
                outln!("{e}");
                continue;
            }
        };
        for t in &r.tests {
            tests += 1;
            let result = t
                .events()
                .and_then(|events| t.compare(&eqlc::selftest::run_query(&q, &events)));
            match result {
                Ok(()) => {
                    passed += 1;
                    outln!("ok    {}:{}: {}", t.source.name, t.line(), t.case.name);
                }
                Err(e) => {
                    failed += 1;
                    outln!("FAIL  {}\n", e.trim_end());
                }
            }
        }
    }
    outln!(
        "{tests} test(s) of {} rule(s): {passed} passed, {} failed; {untested} rule(s) without tests",
        checked.rules.len() - untested,
        tests - passed
    );
    if !checked.invalid.is_empty() {
        outln!(
            "{} rule or exception file(s) failed to check",
            checked.invalid.len()
        );
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn usage(msg: &str) -> ExitCode {
    errln!("eqlc test: {msg}\nusage: eqlc test [--schema FILE] PATH...");
    ExitCode::from(2)
}

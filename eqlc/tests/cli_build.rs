//! `eqlc build` on small rule folders written here: a rule that fails to check stops the
//! build with its diagnostic (file, line, column, caret) unless `--skip-invalid`, and two
//! builds at once (they share the generated crate's folder) each get their own rules.
//!
//! Each build compiles a detector in release mode (the first one builds the runtime and
//! detector crates too), so these tests are `#[ignore]`d; CI runs them with
//! `cargo test --release -p eqlc --test cli_build -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A rule file in detection-rules layout.
fn rule(name: &str, id: &str, query: &str) -> String {
    format!(
        "[metadata]\ncreation_date = \"2024/01/01\"\n\n[rule]\nname = \"{name}\"\n\
         rule_id = \"{id}\"\ndescription = \"test\"\nrisk_score = 21\nseverity = \"low\"\n\
         type = \"eql\"\nlanguage = \"eql\"\nquery = '''\n{query}\n'''\n"
    )
}

/// A fresh folder under the test target directory.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-build")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test folder");
    dir
}

fn build(rules: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .arg("build")
        .arg("--rules")
        .arg(rules)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("run eqlc build")
}

/// The rule names a built detector lists (`--list-rules`: id, severity, name).
fn listed(detector: &Path) -> Vec<String> {
    let out = Command::new(detector)
        .arg("--list-rules")
        .output()
        .expect("run the built detector");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| l.rsplit('\t').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
#[ignore = "compiles detectors (release); CI runs it with --ignored"]
fn invalid_rules_stop_the_build_unless_skipped() {
    let dir = folder("invalid");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("good.toml"),
        rule(
            "Good rule",
            "good-1",
            r#"process where process.name == "curl""#,
        ),
    )
    .unwrap();
    std::fs::write(
        rules.join("bad.toml"),
        rule("Bad rule", "bad-1", "process where process.name == "),
    )
    .unwrap();
    let out = dir.join("detector");

    let r = build(&rules, &out, &[]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    // the query is line 13 of the file; it ends at the closing quotes on line 14
    assert!(err.contains("bad.toml:14:1: error"), "{err}");
    assert!(err.contains("^"), "a caret under the offending text: {err}");
    assert!(err.contains("--skip-invalid"), "a hint: {err}");
    assert!(!out.exists(), "no detector written");

    let r = build(&rules, &out, &["--skip-invalid"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{err}");
    assert!(err.contains("leaving out 1 invalid rule"), "{err}");
    assert_eq!(listed(&out), vec!["Good rule".to_string()]);
}

#[test]
#[ignore = "compiles detectors (release); CI runs it with --ignored"]
fn builds_at_the_same_time_each_get_their_own_rules() {
    let dir = folder("concurrent");
    let jobs: Vec<_> = ["Alpha", "Beta"]
        .into_iter()
        .map(|name| {
            let rules = dir.join(name);
            std::fs::create_dir_all(&rules).unwrap();
            let query = format!(r#"process where process.name == "{name}""#);
            std::fs::write(
                rules.join("r.toml"),
                rule(&format!("{name} rule"), name, &query),
            )
            .unwrap();
            let out = dir.join(format!("{name}-detector"));
            std::thread::spawn(move || {
                let r = build(&rules, &out, &[]);
                assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
                (name, out)
            })
        })
        .collect();
    for j in jobs {
        let (name, out) = j.join().expect("build thread");
        assert_eq!(listed(&out), vec![format!("{name} rule")]);
    }
}

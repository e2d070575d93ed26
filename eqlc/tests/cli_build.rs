//! `eqlc build` on small rule folders written here: a rule that fails to check stops the
//! build with its diagnostic (file, line, column, caret) unless `--skip-invalid`; two
//! builds at once (they share the generated crate's folder) each get their own rules;
//! `--schema` gives fields their types (with warnings for fields the schema lacks); and
//! exception lists in any `--rules` folder are compiled into the rules they name.
//!
//! Each build compiles a detector in release mode (the first one builds the runtime and
//! detector crates too), so these tests are `#[ignore]`d; CI runs them with
//! `cargo test --release -p eqlc --test cli_build -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Write a rule file in detection-rules layout to `path`, creating its folder.
fn write_rule(path: &Path, name: &str, id: &str, query: &str) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("create rule folder");
    let text = format!(
        "[metadata]\ncreation_date = \"2024/01/01\"\n\n[rule]\nname = \"{name}\"\n\
         rule_id = \"{id}\"\ndescription = \"test\"\nrisk_score = 21\nseverity = \"low\"\n\
         type = \"eql\"\nlanguage = \"eql\"\nquery = '''\n{query}\n'''\n"
    );
    std::fs::write(path, text).expect("write rule");
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
    build_from(&[rules], out, extra)
}

/// `eqlc build` with one `--rules` per folder.
fn build_from(folders: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eqlc"));
    cmd.arg("build");
    for f in folders {
        cmd.arg("--rules").arg(f);
    }
    cmd.arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("run eqlc build")
}

/// The `event.id` of the first event of each alert a built detector writes for `events`.
fn alerted(detector: &Path, events: &Path) -> Vec<String> {
    let out = Command::new(detector)
        .args(["--format", "ndjson", "-q"])
        .arg(events)
        .output()
        .expect("run the built detector");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let a: serde_json::Value = serde_json::from_str(l).unwrap();
            a["eqlc.events"][0]["event"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
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
    write_rule(
        &rules.join("good.toml"),
        "Good rule",
        "good-1",
        r#"process where process.name == "curl""#,
    );
    write_rule(
        &rules.join("bad.toml"),
        "Bad rule",
        "bad-1",
        "process where process.name == ",
    );
    let out = dir.join("detector");

    let r = build(&rules, &out, &[]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    // the query is line 13 of the file; the caret sits just after its last token, `==`
    // (29 characters in)
    assert!(err.contains("bad.toml:13:30: error"), "{err}");
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
            let query = format!(r#"process where process.name == "{name}""#);
            write_rule(&rules.join("r.toml"), &format!("{name} rule"), name, &query);
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

#[test]
#[ignore = "compiles detectors (release); CI runs it with --ignored"]
fn a_schema_gives_fields_their_types() {
    // `destination.ip == "10.0.0.0/8"`: on an `ip` field a CIDR literal matches every
    // address in the block; on an untyped field it is compared as text.
    let dir = folder("schema");
    let rules = dir.join("rules");
    write_rule(
        &rules.join("r.toml"),
        "Private destination",
        "cidr-1",
        r#"network where destination.ip == "10.0.0.0/8""#,
    );
    let schema = dir.join("schema.json");
    std::fs::write(
        &schema,
        r#"{"event.category": "keyword", "destination.ip": "ip"}"#,
    )
    .unwrap();
    let events = dir.join("events.ndjson");
    let event = |id: &str, ip: &str| {
        format!(
            r#"{{"@timestamp":"2024-01-01T00:00:0{id}Z","event":{{"id":"e{id}","category":"network"}},"destination":{{"ip":"{ip}"}}}}"#
        )
    };
    std::fs::write(
        &events,
        [event("1", "10.1.2.3"), event("2", "192.168.1.1")].join("\n") + "\n",
    )
    .unwrap();

    let typed = dir.join("typed");
    let schema_arg = schema.to_str().unwrap();
    let r = build(&rules, &typed, &["--schema", schema_arg]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(alerted(&typed, &events), vec!["e1".to_string()]);

    let untyped = dir.join("untyped");
    let r = build(&rules, &untyped, &[]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(alerted(&untyped, &events).is_empty());

    // a field the schema lacks is accepted with a warning that points at it (design §3)
    let unmapped = dir.join("unmapped");
    write_rule(
        &rules.join("r.toml"),
        "Unmapped",
        "cidr-2",
        r#"network where destination.ipp == "10.0.0.0/8""#,
    );
    let r = build(&rules, &unmapped, &["--schema", schema_arg]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{err}");
    assert!(
        err.contains("r.toml:13:15: warning: field `destination.ipp` is not in the schema"),
        "{err}"
    );
    assert!(err.contains("`destination.ip`"), "a suggestion: {err}");
}

#[test]
#[ignore = "compiles detectors (release); CI runs it with --ignored"]
fn exception_lists_in_another_folder_reach_their_rules() {
    let dir = folder("exceptions");
    let rules = dir.join("rules");
    write_rule(
        &rules.join("r.toml"),
        "Downloader",
        "dl-1",
        r#"process where process.name in ("curl", "wget")"#,
    );
    let lists = dir.join("exceptions");
    std::fs::create_dir_all(&lists).unwrap();
    let list = |items: &str| {
        format!(
            "[metadata]\nlist_name = \"allow\"\nrule_ids = [\"dl-1\"]\n\n[[exceptions]]\n\
             [exceptions.container]\nlist_id = \"allow\"\nname = \"allow\"\n\n{items}"
        )
    };
    std::fs::write(
        lists.join("allow.toml"),
        list(
            "[[exceptions.items]]\nname = \"mirror\"\nentries = [\n  \
             { field = \"process.parent.name\", type = \"match\", operator = \"included\", value = \"mirror\" },\n]\n\n\
             [[exceptions.items]]\nname = \"old\"\nexpire_time = \"2020-01-01T00:00:00Z\"\nentries = [\n  \
             { field = \"process.name\", type = \"match\", operator = \"included\", value = \"wget\" },\n]\n",
        ),
    )
    .unwrap();
    let out = dir.join("det");
    let r = build_from(&[&rules, &lists], &out, &[]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{err}");
    assert!(
        err.contains("exception item \"old\" has expired; left out"),
        "{err}"
    );
    assert!(
        err.contains("1 exception file(s): 1 item(s) compiled into 1 rule(s)"),
        "{err}"
    );
    let events = dir.join("events.ndjson");
    let ev = |i: u32, name: &str, parent: &str| {
        format!(
            r#"{{"@timestamp":"2024-01-01T00:00:0{i}Z","event":{{"id":"e{i}","category":"process"}},"process":{{"name":"{name}","parent":{{"name":"{parent}"}}}}}}"#
        )
    };
    std::fs::write(
        &events,
        [
            ev(1, "curl", "mirror"),
            ev(2, "curl", "bash"),
            ev(3, "wget", "bash"),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    assert_eq!(
        alerted(&out, &events),
        ["e2", "e3"],
        "e1 is excepted; the expired item lets e3 through"
    );
    // `check`, `expand` and `test` say so too
    let eqlc = |args: &[&Path]| {
        Command::new(env!("CARGO_BIN_EXE_eqlc"))
            .args(args.iter().map(|p| p.as_os_str()))
            .output()
            .unwrap()
    };
    let r = eqlc(&[Path::new("check"), &lists]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("2 item(s), all check; 1 expired, left out when rules are built"),
        "{text}"
    );
    let r = eqlc(&[Path::new("expand"), &rules, &lists]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{err}");
    assert!(
        err.contains("eqlc expand: note: ") && err.contains("\"old\" has expired"),
        "{err}"
    );
    let r = eqlc(&[Path::new("test"), &rules, &lists]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("note: ") && text.contains("\"old\" has expired"),
        "{text}"
    );

    // a broken exception file stops the build at its place, before cargo runs
    std::fs::write(
        lists.join("allow.toml"),
        list(
            "[[exceptions.items]]\nname = \"x\"\nentries = [{ field = \"a\", type = \"list\" }]\n",
        ),
    )
    .unwrap();
    let r = build_from(&[&rules, &lists], &dir.join("det2"), &[]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success(), "{err}");
    assert!(
        err.contains("allow.toml:12:34: error: value-list entries"),
        "{err}"
    );
    assert!(!dir.join("det2").exists());
}

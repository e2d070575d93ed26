//! The `eqlc check` command line: output, summary line, exit codes.

use std::path::PathBuf;
use std::process::Command;

fn eqlc(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .args(args)
        .output()
        .expect("eqlc runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eqlc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("sub")).expect("temp dir");
    d
}

#[test]
fn inline_queries() {
    let (code, out) = eqlc(&["check", "--query", "process where process.name : \"bash\""]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 1 rules: 1 ok, 0 failed")
    );
    let (code, out) = eqlc(&["check", "--query", "process where lenght(a) == 1"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("<query>:1:15: error: unknown function `lenght`"),
        "{out}"
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 1 rules: 0 ok, 1 failed")
    );
}

#[test]
fn folders_rules_and_skipped_files() {
    let d = temp_dir("folders");
    let rule =
        |q: &str| format!("[rule]\nname = \"r\"\nlanguage = \"eql\"\nquery = '''\n{q}\n'''\n");
    std::fs::write(d.join("good.toml"), rule("process where true")).expect("write");
    std::fs::write(d.join("sub/bad.toml"), rule("process where a = 1")).expect("write");
    std::fs::write(
        d.join("sub/kql.toml"),
        "[rule]\nname = \"k\"\nlanguage = \"kuery\"\nquery = \"a:b\"\n",
    )
    .expect("write");
    std::fs::write(d.join("notes.txt"), "not toml").expect("write");
    let (code, out) = eqlc(&["check", d.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("bad.toml:5:17: error: `=` is not a comparison operator"),
        "{out}"
    );
    assert!(
        out.contains("kql.toml: skipped: language `kuery`, not EQL"),
        "{out}"
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 2 rules: 1 ok, 1 failed")
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[cfg(unix)]
#[test]
fn folder_walks_survive_links_loops_stray_files_and_overlap() {
    use std::os::unix::fs::symlink;
    let d = temp_dir("walk");
    let rule = |id: &str| {
        format!("[rule]\nname = \"{id}\"\nrule_id = \"{id}\"\nlanguage = \"eql\"\nquery = 'process where true'\n")
    };
    std::fs::write(d.join("a.toml"), rule("a")).unwrap();
    std::fs::write(d.join("sub/b.toml"), rule("b")).unwrap();
    // loops: a link to the folder itself, and one back to its parent
    symlink(".", d.join("self")).unwrap();
    symlink("..", d.join("sub/up")).unwrap();
    // a folder reached through a link is searched (once)
    let other = temp_dir("walk-other");
    std::fs::write(other.join("c.toml"), rule("c")).unwrap();
    symlink(&other, d.join("linked")).unwrap();
    // an editor's lock file (a dangling hidden link) and a `.git` folder are passed over
    symlink("root@host.1234:1700000000", d.join(".#a.toml")).unwrap();
    std::fs::create_dir_all(d.join(".git")).unwrap();
    std::fs::write(d.join(".git/x.toml"), rule("git")).unwrap();
    // a crate manifest beside the rules is not a rule file
    std::fs::write(
        d.join("Cargo.toml"),
        "[package]\nname = \"x\"\n\n[[test]]\nname = \"t\"\npath = \"t.rs\"\nharness = false\n",
    )
    .unwrap();
    let dir = d.to_str().unwrap();
    let sub = d.join("sub");
    // the folder twice, and a sub-folder of it: each file once
    let (code, out) = eqlc(&["check", dir, dir, sub.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Cargo.toml: skipped: no `[rule]` table"),
        "{out}"
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 3 rules: 3 ok, 0 failed"),
        "{out}"
    );
    // `test` and `expand` walk the same way
    let (code, out) = eqlc(&["test", dir]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = eqlc(&["expand", dir]);
    assert_eq!(code, 0, "{out}");
    // a rule file that cannot be read, or is not UTF-8, fails alone, as a bad query would
    symlink("missing-target", d.join("dangling.toml")).unwrap();
    std::fs::write(d.join("latin1.toml"), b"[rule]\nname = \"caf\xe9\"\n").unwrap();
    let (code, out) = eqlc(&["check", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("dangling.toml: error: cannot read"), "{out}");
    assert!(out.contains("latin1.toml: error: not UTF-8"), "{out}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 5 rules: 3 ok, 2 failed"),
        "{out}"
    );
    let (code, out) = eqlc(&["test", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("latin1.toml: error: not UTF-8"), "{out}");
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&other);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(eqlc(&[]).0, 2);
    assert_eq!(eqlc(&["frobnicate"]).0, 2);
    assert_eq!(eqlc(&["check"]).0, 2);
    assert_eq!(eqlc(&["check", "--bogus"]).0, 2);
    assert_eq!(eqlc(&["check", "/nonexistent/eqlc/path"]).0, 2);
    assert_eq!(eqlc(&["help"]).0, 0);
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    // `eqlc expand rules/ | head -c 10`: the reader goes away after a few bytes
    use std::io::Read;
    use std::process::Stdio;
    // 20 copies of the bundled rule: far more output than a pipe buffers
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../rules/linux/execution_potential_reverse_shell_via_suspicious_child_process.toml");
    let text = std::fs::read_to_string(seed).expect("bundled rule");
    let rules = temp_dir("pipe");
    for i in 0..20 {
        let copy = text.replace("rule_id = \"", &format!("rule_id = \"copy-{i}-"));
        std::fs::write(rules.join(format!("r{i}.toml")), copy).expect("write rule");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .arg("expand")
        .arg(&rules)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("eqlc runs");
    let mut first = [0u8; 10];
    child
        .stdout
        .take()
        .expect("piped")
        .read_exact(&mut first)
        .expect("some output");
    // the pipe's read end is dropped here
    let out = child.wait_with_output().expect("eqlc ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn check_rejects_a_second_rule_with_the_same_id_as_build_does() {
    let d = temp_dir("dup");
    let rule = |name: &str| {
        format!(
            "[rule]\nname = \"{name}\"\nrule_id = \"same-id\"\nlanguage = \"eql\"\nquery = 'process where true'\n"
        )
    };
    std::fs::write(d.join("a.toml"), rule("first")).unwrap();
    std::fs::write(d.join("b.toml"), rule("second")).unwrap();
    let (code, out) = eqlc(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    // line 3, column 12 of b.toml is the id's first character
    assert!(
        out.contains("b.toml:3:12: error: rule_id `same-id` is already used by"),
        "{out}"
    );
    assert!(out.contains("a.toml"), "{out}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 2 rules: 1 ok, 1 failed")
    );
    // the first rule failing to check does not free its id, for `build` neither
    let bad = "[rule]\nname = \"first\"\nrule_id = \"same-id\"\nlanguage = \"eql\"\nquery = 'process where bogus(1)'\n";
    std::fs::write(d.join("a.toml"), bad).unwrap();
    let (code, out) = eqlc(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown function `bogus`"), "{out}");
    assert!(
        out.contains("b.toml:3:12: error: rule_id `same-id` is already used by"),
        "{out}"
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 2 rules: 0 ok, 2 failed")
    );
}

#[test]
fn build_refuses_an_unwritable_out_path_before_building() {
    let d = temp_dir("out");
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let rules = rules.to_str().unwrap();
    // a folder
    let (code, out) = eqlc(&["build", "--rules", rules, "--out", d.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is a folder"), "{out}");
    assert!(
        !out.contains("checking rules"),
        "stopped before any work: {out}"
    );
    // below a file
    std::fs::write(d.join("file"), "").unwrap();
    let below = d.join("file").join("det");
    let (code, out) = eqlc(&["build", "--rules", rules, "--out", below.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot create"), "{out}");
}

#[test]
fn test_runs_the_rules_self_tests() {
    let d = temp_dir("selftest");
    let rule = |id: &str, expect: &str| {
        format!(
            "[rule]\nname = \"{id}\"\nrule_id = \"{id}\"\nlanguage = \"eql\"\n\
             query = 'process where process.name : \"bash\"'\n\n\
             [[test]]\nname = \"case\"\nevents = '''\n\
             {{\"@timestamp\": 1, \"event\": {{\"category\": \"process\"}}, \"process\": {{\"name\": \"BASH\"}}}}\n\
             {{\"@timestamp\": 2, \"event\": {{\"category\": \"process\"}}, \"process\": {{\"name\": \"sh\"}}}}\n\
             '''\nexpect = {expect}\n"
        )
    };
    // `:` ignores case (eql-semantics.md §4): event 1 matches, event 2 does not
    std::fs::write(d.join("good.toml"), rule("good", "[[1]]")).unwrap();
    let (code, out) = eqlc(&["test", d.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("good.toml:13: case"), "{out}");
    assert!(
        out.contains("1 test(s) of 1 rule(s): 1 passed, 0 failed"),
        "{out}"
    );
    std::fs::write(d.join("wrong.toml"), rule("wrong", "[[2]]")).unwrap();
    let (code, out) = eqlc(&["test", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  ")
            && out.contains("wrong.toml:13: test `case`: expected [[2]], got [[1]]"),
        "{out}"
    );
    assert!(
        out.contains("2 test(s) of 2 rule(s): 1 passed, 1 failed"),
        "{out}"
    );
    let (code, out) = eqlc(&["test"]);
    assert_eq!(code, 2, "{out}");
    // tests in a file that is not an EQL rule cannot pass silently
    let other = temp_dir("selftest-kql");
    std::fs::write(
        other.join("kql.toml"),
        "[rule]\nname = \"k\"\nlanguage = \"kuery\"\nquery = 'a : 1'\n\n[[test]]\nevents = '''\n{\"@timestamp\": 1}\n'''\nexpect = [[1]]\n",
    )
    .unwrap();
    let (code, out) = eqlc(&["test", other.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("kql.toml: error: has [[test]] tables but is not an EQL rule"),
        "{out}"
    );
}

#[test]
fn rules_without_rule_id_are_named_by_their_path() {
    // Alert and group ids derive from the rule id: two rules without one must not share
    // it, so each is named by its file's path, with a note.
    let d = temp_dir("no-id");
    let rule = "[rule]\nname = \"r\"\nlanguage = \"eql\"\nquery = '''\nprocess where true\n'''\n";
    std::fs::write(d.join("a.toml"), rule).expect("write");
    std::fs::write(d.join("sub/b.toml"), rule).expect("write");
    let (code, out) = eqlc(&["check", d.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("a.toml: the rule has no `rule_id`; its alerts name it `a.toml`, its path in the rules folder"),
        "{out}"
    );
    assert!(out.contains("its alerts name it `sub/b.toml`"), "{out}");
    // the id is the path within the folder, the same wherever the folder is
    let loaded = eqlc::compile::load_rules(&d).expect("loads");
    let ids: Vec<&str> = loaded
        .rules
        .iter()
        .map(|r| r.info.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["a.toml", "sub/b.toml"], "{:?}", loaded.errors);
    let one = eqlc::compile::load_rules(&d.join("sub/b.toml")).expect("loads");
    assert_eq!(one.rules[0].info.rule_id, "b.toml");
    assert_eq!(loaded.notes.len(), 2, "{:?}", loaded.notes);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_exceptions_table_that_is_not_an_array_is_an_error_not_a_skipped_file() {
    // `[exceptions]` instead of `[[exceptions]]`, in an exception file and next to a
    // rule: reported at the table, never dropped in silence
    let d = temp_dir("exc-table");
    std::fs::write(
        d.join("list.toml"),
        "[metadata]\nlist_name = \"t\"\n\n[exceptions]\nname = \"x\"\n",
    )
    .expect("write");
    std::fs::write(
        d.join("rule.toml"),
        "[rule]\nname = \"r\"\nrule_id = \"r1\"\nlanguage = \"eql\"\nquery = '''\nprocess where true\n'''\n\n[exceptions]\nname = \"x\"\n",
    )
    .expect("write");
    let (code, out) = eqlc(&["check", d.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("list.toml:4:1: error: invalid exception file"),
        "{out}"
    );
    assert!(
        out.contains("rule.toml:9:1: error: invalid exception file"),
        "{out}"
    );
    assert!(
        out.contains("`[[exceptions]]` (an array of tables)"),
        "{out}"
    );
    assert!(!out.contains("skipped"), "{out}");
    let _ = std::fs::remove_dir_all(&d);
}

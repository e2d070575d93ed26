//! Exception lists compiled next to their rules (`tests/data/exceptions`: three rules, two
//! exception files and a list inside a rule file, written for this test). Every expectation follows from the meaning of
//! the entries in Kibana's exception filter (see `eqlc::exceptions`): an item applies when
//! all its entries hold; `match`/`match_any`/`wildcard` are case-sensitive and hold when
//! some value does; an `excluded` entry holds when no value matches (a missing field
//! included); an event an item applies to takes part in no stage of the rule.

use eqlc_sdk::runtime::{EventRef, RulePack, SlotBuf};
use serde_json::json;

eqlc_sdk::include_rules! {
    /// The downloader and stager rules with their exception lists.
    pub struct WithExceptions;
    path = "tests/data/exceptions",
}

/// Alerts as (rule name, handles of the events), for the events in order (1 s apart).
fn run(docs: &[serde_json::Value]) -> Vec<(String, Vec<u64>)> {
    let mut pack = WithExceptions::new();
    let names: Vec<String> = pack.rules().iter().map(|r| r.name.to_string()).collect();
    let mut buf = SlotBuf::new(pack.fields().len());
    let mut out = Vec::new();
    let mut sink = |a: eqlc_sdk::runtime::Alert<'_>| {
        out.push((
            names[a.rule].clone(),
            a.events.iter().flatten().map(|e| e.handle).collect(),
        ))
    };
    for (i, doc) in docs.iter().enumerate() {
        buf.fill_from(doc, pack.fields());
        let ev = EventRef {
            handle: i as u64,
            ts: i as i64 * 1_000_000_000,
        };
        pack.on_event(&buf.view(""), ev, &mut sink);
    }
    pack.flush(&mut sink);
    out
}

/// A started downloader with extra fields merged in.
fn download(extra: serde_json::Value) -> serde_json::Value {
    let mut doc = json!({"event": {"category": ["process"], "type": ["start"]},
                         "process": {"name": "curl"}});
    merge(&mut doc, extra);
    doc
}

fn merge(into: &mut serde_json::Value, from: serde_json::Value) {
    match (into, from) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Whether the downloader rule fires on `doc` alone.
fn fires(doc: serde_json::Value) -> bool {
    let alerts = run(&[doc]);
    assert!(alerts.iter().all(|(n, _)| n == "Downloader started"));
    !alerts.is_empty()
}

#[test]
fn the_rules_and_lists_load() {
    let pack = WithExceptions::new();
    let mut names: Vec<&str> = pack.rules().iter().map(|r| r.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Downloader started",
            "Scripting host listens",
            "Stager then payload"
        ]
    );
    assert!(
        fires(download(json!({}))),
        "no item applies to a bare event"
    );
}

#[test]
fn match_is_exact_and_case_sensitive() {
    assert!(!fires(download(
        json!({"process": {"parent": {"name": "ansible"}}})
    )));
    assert!(fires(download(
        json!({"process": {"parent": {"name": "Ansible"}}})
    )));
    // some value of a multi-valued field is enough
    assert!(!fires(download(
        json!({"process": {"parent": {"name": ["cron", "ansible"]}}})
    )));
}

#[test]
fn excluded_entries_hold_when_no_value_matches() {
    let svc = |host: serde_json::Value| download(json!({"user": {"name": "svc-b"}, "host": host}));
    assert!(!fires(svc(json!({"name": "prod-2"}))));
    assert!(
        fires(svc(json!({"name": "prod-1"}))),
        "excluded host: the item does not apply"
    );
    assert!(
        !fires(svc(json!({}))),
        "no host.name: the excluded entry holds"
    );
    assert!(fires(download(json!({"user": {"name": "svc-c"}}))));
}

#[test]
fn wildcards_unescape_and_stay_case_sensitive() {
    // the file's pattern is `/opt/back\up/*/bin/?url`: `\u` stands for `u`
    let exe = |p: &str| download(json!({"process": {"executable": p}}));
    assert!(!fires(exe("/opt/backup/v2/bin/curl")));
    assert!(!fires(exe("/opt/backup/a/b/bin/wurl")));
    assert!(
        fires(exe("/opt/backup/bin/curl")),
        "`*/bin/` needs its own `/bin/`"
    );
    assert!(fires(exe("/OPT/backup/v2/bin/curl")));
    assert!(
        fires(exe("/opt/backup/v2/bin/xcurl")),
        "`?` is one character"
    );
}

#[test]
fn os_types_restrict_an_item() {
    let signed = |os: serde_json::Value| {
        download(json!({"host": {"os": os}, "process": {"code_signature": {"trusted": false}}}))
    };
    assert!(
        !fires(signed(json!({"type": "macos"}))),
        "exists holds for `false`"
    );
    assert!(!fires(signed(json!({"name": {"caseless": "macos"}}))));
    assert!(fires(signed(json!({"type": "linux"}))));
    assert!(
        fires(signed(json!({"type": "macOS"}))),
        "os type matches exactly"
    );
    assert!(
        fires(download(json!({"host": {"os": {"type": "macos"}}}))),
        "no signature"
    );
    assert!(fires(download(
        json!({"host": {"os": {"type": "macos"}}, "process": {"code_signature": {"trusted": null}}})
    )));
}

#[test]
fn nested_entries_test_the_paths_below() {
    let sig = |status: &str| {
        download(json!({"process": {"Ext": {"code_signature": [
            {"subject_name": "Elastic", "status": status}]}}}))
    };
    assert!(!fires(sig("trusted")));
    assert!(fires(sig("errorExpired")));
}

#[test]
fn expired_items_are_left_out() {
    let wget = json!({"event": {"category": ["process"], "type": ["start"]},
                      "process": {"name": "wget"}});
    assert!(fires(wget), "the `wget` item expired in 2020");
    assert!(!fires(download(
        json!({"process": {"working_directory": "/srv/mirror"}})
    )));
}

#[test]
fn sequences_never_see_excepted_events() {
    let p = |host: &str, name: &str, args: &[&str]| {
        json!({"event": {"category": ["process"]}, "host": {"id": host},
               "process": {"name": name, "args": args}})
    };
    let alerts = run(&[
        p("h1", "stager", &[]),
        p("h1", "payload", &["--dry-run"]),
        p("h1", "payload", &["--go"]),
        p("h2", "stager", &["--dry-run"]),
        p("h2", "payload", &[]),
    ]);
    // h1: the dry-run payload is invisible, so the stager pairs with the next payload;
    // h2: the stager itself is invisible.
    assert_eq!(
        alerts,
        [("Stager then payload".to_string(), vec![0, 2])],
        "{alerts:?}"
    );
}

#[test]
fn a_list_inside_the_rule_file_applies_to_that_rule() {
    let listen = |port: serde_json::Value, host: &str| {
        json!({"event": {"category": ["network"], "action": "listen"}, "host": {"name": host},
               "process": {"name": "python3"}, "source": {"port": port}})
    };
    let fired = |doc| !run(&[doc]).is_empty();
    assert!(!fired(listen(json!("8000"), "dev-7")));
    assert!(
        !fired(listen(json!(3000), "dev-1")),
        "a number matches its text form"
    );
    assert!(
        fired(listen(json!(8000), "prod-7")),
        "both entries must hold"
    );
    assert!(fired(listen(json!(22), "dev-7")));
}

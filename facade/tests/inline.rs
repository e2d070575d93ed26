//! The inline `rule!` form and the file form on a rule written for this test.

use eqlc_sdk::runtime::{EventRef, RulePack, SlotBuf};
use serde_json::json;

eqlc_sdk::rule! {
    /// Shells started by a web server.
    pub struct WebShell;
    name = "Shell from web server",
    rule_id = "test-web-shell",
    severity = "high",
    risk_score = 73,
    tags = ["OS: Linux", "Tactic: Execution"],
    max_signals = 5,
    interval = "1m",
    query = r#"process where event.type == "start" and
               process.parent.name in ("nginx", "apache2", "httpd") and
               process.name : ("*sh", "python*")"#,
}

eqlc_sdk::include_rules! {
    /// One rule file written for this test.
    pub struct FromFile;
    path = "tests/data/one_rule.toml",
}

fn matches<P: RulePack>(pack: &mut P, doc: serde_json::Value) -> usize {
    let mut buf = SlotBuf::new(pack.fields().len());
    buf.fill_from(&doc, pack.fields());
    let mut n = 0;
    pack.on_event(&buf.view(""), EventRef { handle: 0, ts: 0 }, &mut |_| {
        n += 1
    });
    n
}

#[test]
fn inline_rule_matches_and_carries_metadata() {
    let mut p = WebShell::new();
    let meta = &p.rules()[0];
    assert_eq!(meta.name, "Shell from web server");
    assert_eq!(meta.rule_id, "test-web-shell");
    assert_eq!(meta.severity.as_str(), "high");
    assert_eq!(meta.risk_score, 73);
    assert_eq!(meta.max_signals, 5);
    assert_eq!(meta.interval_ns, 60_000_000_000);
    assert_eq!(meta.tags, &["OS: Linux", "Tactic: Execution"]);
    let hit = json!({"event": {"category": "process", "type": ["start"]},
                     "process": {"name": "BASH", "parent": {"name": "nginx"}}});
    assert_eq!(matches(&mut p, hit), 1);
    let miss = json!({"event": {"category": "process", "type": ["start"]},
                      "process": {"name": "bash", "parent": {"name": "NGINX"}}});
    assert_eq!(matches(&mut p, miss), 0, "`in` is case-sensitive");
}

#[test]
fn file_rule_matches() {
    let mut p = FromFile::new();
    assert_eq!(p.rules()[0].rule_id, "00000000-0000-4000-8000-000000000001");
    let hit = json!({"event": {"category": ["file"]}, "file": {"path": "/etc/shadow"}});
    assert_eq!(matches(&mut p, hit), 1);
    let miss = json!({"event": {"category": ["file"]}, "file": {"path": "/etc/passwd"}});
    assert_eq!(matches(&mut p, miss), 0);
}

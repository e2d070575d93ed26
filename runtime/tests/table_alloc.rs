//! The data-driven pack driver (`eqlc_runtime::table`): alerts through every dispatch
//! path (gate groups, a value index, a literal index, a shared test, a sequence), and no
//! allocation per event once warm.

use eqlc_runtime::sequence::{SequenceSpec, StageSpec};
use eqlc_runtime::table::{
    FilterGroup, GateSlot, KeyIndex, LiteralIndex, Node, TableEntry, TableFilter, TableRule,
    TableRuleKind, TableSpec, TableState, TextOp,
};
use eqlc_runtime::{EventRef, SlotBuf};
use eqlc_test_support::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

// slots: 0 event.category, 1 process.name, 2 process.command_line, 3 host.id, 4 host.os.type
static E0: Node = Node::Text(1, TextOp::EqFold("curl"));
static E1: Node = Node::And(&[Node::Shared(0), Node::Text(2, TextOp::ContainsFold("evil"))]);
static E2: Node = Node::Text(1, TextOp::Eq("bash"));
static E3: Node = Node::Const(true);
static SEQ: SequenceSpec = SequenceSpec {
    stages: &[
        StageSpec {
            filter: 0,
            missing: false,
        },
        StageSpec {
            filter: 1,
            missing: false,
        },
    ],
    keys: 1,
    maxspan: None,
    until_filter: None,
};
const PROCESS: u64 = 1;
const NETWORK: u64 = 2;
static SPEC: TableSpec = TableSpec {
    rules: &[
        TableRule {
            kind: TableRuleKind::Event,
            first_filter: 0,
            filters: 1,
            pipes: &[],
            rule_id: "r0",
        },
        TableRule {
            kind: TableRuleKind::Event,
            first_filter: 1,
            filters: 1,
            pipes: &[],
            rule_id: "r1",
        },
        TableRule {
            kind: TableRuleKind::Sequence(&SEQ),
            first_filter: 2,
            filters: 2,
            pipes: &[],
            rule_id: "r2",
        },
    ],
    filters: &[
        TableFilter { keys: &[], rule: 0 },
        TableFilter { keys: &[], rule: 1 },
        TableFilter {
            keys: &[(3, false)],
            rule: 2,
        },
        TableFilter {
            keys: &[(3, false)],
            rule: 2,
        },
    ],
    gates: &[GateSlot {
        slot: 0,
        names: &[("network", 1), ("process", 0)],
    }],
    entries: &[
        TableEntry {
            filter: 0,
            node: &E0,
            mask: PROCESS,
        },
        TableEntry {
            filter: 1,
            node: &E1,
            mask: PROCESS,
        },
        TableEntry {
            filter: 2,
            node: &E2,
            mask: PROCESS,
        },
        TableEntry {
            filter: 3,
            node: &E3,
            mask: NETWORK,
        },
    ],
    groups: &[
        FilterGroup {
            mask: PROCESS,
            entries: &[2],
        },
        FilterGroup {
            mask: NETWORK,
            entries: &[3],
        },
    ],
    index: &[KeyIndex {
        slot: 1,
        // fold_hash("curl"), checked below
        entries: &[(10_900_245_724_309_940_058, "curl", &[0])],
    }],
    literals: &[LiteralIndex {
        slot: 2,
        literals: &[("evil", &[1])],
    }],
    shared: &[Node::Text(4, TextOp::Eq("linux"))],
};

fn no_computed(_: &eqlc_runtime::record::SlotView<'_>, _: u32) -> bool {
    false
}

/// (category, name, command line, host, os)
const EVENTS: [(&str, &str, &str, &str, &str); 5] = [
    ("process", "CURL", "curl x", "h1", "linux"),
    ("process", "bash", "bash -c EVIL", "h1", "linux"),
    ("network", "", "", "h1", "linux"),
    ("process", "sh", "sh -c evil", "h2", "windows"),
    ("process", "ls", "ls", "h2", "linux"),
];

fn run(state: &mut TableState, buf: &mut SlotBuf, round: u64, alerts: &mut Vec<usize>) {
    for (i, (cat, name, cmd, host, os)) in EVENTS.iter().enumerate() {
        buf.clear();
        for (slot, v) in [cat, name, cmd, host, os].into_iter().enumerate() {
            if !v.is_empty() {
                buf.push_str_copy(slot, v);
            }
        }
        let ev = EventRef {
            handle: round * 10 + i as u64,
            ts: (round * 10 + i as u64) as i64,
        };
        state.on_event(&buf.view(""), ev, no_computed, &mut |a| alerts.push(a.rule));
    }
}

#[test]
fn table_dispatch_and_no_allocation() {
    // The index key's hash must be fold_hash("curl") for the lookup to find it.
    assert_eq!(
        eqlc_runtime::text::fold_hash("curl"),
        SPEC.index[0].entries[0].0
    );
    let mut state = TableState::new(&SPEC, 64, usize::MAX, 1);
    let mut buf = SlotBuf::new(5);
    let mut alerts = Vec::with_capacity(1024);
    run(&mut state, &mut buf, 0, &mut alerts);
    // CURL (value index, folded), bash -c EVIL (literal index + shared linux test), the
    // network event completing bash → network on h1; sh -c evil is on windows.
    assert_eq!(alerts, vec![0, 1, 2]);
    let before = eqlc_test_support::thread_allocations();
    for round in 1..100 {
        run(&mut state, &mut buf, round, &mut alerts);
    }
    assert_eq!(eqlc_test_support::thread_allocations() - before, 0);
    assert_eq!(alerts.len(), 300);
}

// An entry registered under two value keys and one literal: an event holding all three
// tests it once. Its condition is a computed leaf that counts its calls.
static ONCE_NODE: Node = Node::Computed(0);
static ONCE_SPEC: TableSpec = TableSpec {
    rules: &[TableRule {
        kind: TableRuleKind::Event,
        first_filter: 0,
        filters: 1,
        pipes: &[],
        rule_id: "once",
    }],
    filters: &[TableFilter { keys: &[], rule: 0 }],
    gates: &[],
    entries: &[TableEntry {
        filter: 0,
        node: &ONCE_NODE,
        mask: 0,
    }],
    groups: &[],
    index: &[KeyIndex {
        slot: 0,
        // fold_hash of "ab" and "cd", sorted by hash; checked below
        entries: &[
            (ONCE_HASHES[0].0, ONCE_HASHES[0].1, &[0]),
            (ONCE_HASHES[1].0, ONCE_HASHES[1].1, &[0]),
        ],
    }],
    literals: &[LiteralIndex {
        slot: 1,
        literals: &[("needle", &[0])],
    }],
    shared: &[],
};
const ONCE_HASHES: [(u64, &str); 2] = [
    (9_350_269_925_097_347_159, "ab"),
    (17_191_153_206_624_812_653, "cd"),
];

static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn count_calls(_: &eqlc_runtime::record::SlotView<'_>, _: u32) -> bool {
    CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    false
}

#[test]
fn an_entry_reached_under_several_keys_is_tested_once_per_event() {
    for (h, k) in ONCE_HASHES {
        assert_eq!(eqlc_runtime::text::fold_hash(k), h, "{k}");
    }
    assert!(
        ONCE_HASHES[0].0 < ONCE_HASHES[1].0,
        "index entries sorted by hash"
    );
    let mut state = TableState::new(&ONCE_SPEC, 64, usize::MAX, 1);
    let mut buf = SlotBuf::new(2);
    for (i, (values, line)) in [
        (&["ab", "cd", "AB"][..], "a needle, another needle"),
        (&["cd"][..], "no"),
        (&["x"][..], "no"),
    ]
    .into_iter()
    .enumerate()
    {
        buf.clear();
        for v in values {
            buf.push_str_copy(0, v);
        }
        buf.push_str_copy(1, line);
        let before = CALLS.load(std::sync::atomic::Ordering::Relaxed);
        let ev = EventRef {
            handle: i as u64,
            ts: i as i64,
        };
        state.on_event(&buf.view(""), ev, count_calls, &mut |_| {});
        let calls = CALLS.load(std::sync::atomic::Ordering::Relaxed) - before;
        assert_eq!(calls, [1, 1, 0][i], "event {i}");
    }
}

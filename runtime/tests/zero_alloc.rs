//! Steady-state zero-allocation checks for `SlotBuf` and the matching primitives. A
//! counting global allocator is installed for this test binary only.

use eqlc_test_support::Counting;

use eqlc_runtime::cidr::{cidr_match_str, Cidr};
use eqlc_runtime::text::{
    contains_fold, ends_with_fold, eq_fold, fold_hash, glob, starts_with_fold, FoldSet, StrSet,
};
use eqlc_runtime::time::parse_rfc3339;
use eqlc_runtime::{Record, SlotBuf, Value};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocs_in(f: impl FnOnce()) -> u64 {
    eqlc_test_support::allocations_in(f)
}

const LINE: &str = r#"{"@timestamp":"2022-02-16T23:49:50.5022851Z","process":{"name":"cmd.exe","args":["/c","whoami"]},"source":{"ip":"10.1.2.3"}}"#;

fn fill(buf: &mut SlotBuf, round: usize) {
    buf.clear();
    buf.set_timestamp(parse_rfc3339("2022-02-16T23:49:50.5022851Z"));
    // interleaved slots, line-borrowed and copied strings
    buf.push_str_line(0, 64, 71);
    buf.push_str_line(1, 82, 84);
    buf.push_str_copy(2, "10.1.2.3");
    buf.push_str_line(1, 87, 93);
    buf.push_int(3, round as i64);
    buf.push_str_copy(1, "escaped \"arg\"");
    buf.push_float(3, 1.5);
    buf.push_null(4);
    buf.push_bool(4, true);
}

fn scan(buf: &SlotBuf) -> usize {
    let view = buf.view(LINE);
    let mut n = 0;
    for slot in 0..5 {
        for v in view.values(slot) {
            if let Value::Str(s) = v {
                n += s.len();
            } else {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn slotbuf_steady_state_allocates_nothing() {
    let mut buf = SlotBuf::new(5);
    // warm-up grows the buffers
    fill(&mut buf, 0);
    let expect = scan(&buf);
    assert_eq!(
        buf.view(LINE).values(0).collect::<Vec<_>>(),
        [Value::Str("cmd.exe")]
    );
    let mut total = 0;
    let n = allocs_in(|| {
        for round in 0..1000 {
            fill(&mut buf, round);
            total += scan(&buf);
        }
    });
    assert_eq!(n, 0, "SlotBuf allocated {n} times in steady state");
    assert_eq!(total, expect * 1000);
}

#[test]
fn slotbuf_fill_from_json_steady_state() {
    let ev: serde_json::Value = serde_json::from_str(LINE).unwrap();
    let fields = ["process.name", "process.args", "source.ip", "@timestamp"];
    let mut buf = SlotBuf::new(fields.len());
    buf.fill_from(&ev, &fields);
    let n = allocs_in(|| {
        for _ in 0..1000 {
            buf.fill_from(&ev, &fields);
            assert_eq!(buf.view("").values(1).count(), 2);
        }
    });
    assert_eq!(n, 0);
}

#[test]
fn primitives_allocate_nothing() {
    static SET: StrSet = StrSet::new(&["a.exe", "cmd.exe", "z.exe"]);
    static BLOCKS: [Cidr; 2] = [Cidr::v4(0x0a00_0000, 8), Cidr::v6(0xfc00 << 112, 7)];
    let table = FoldSet::build_entries(&["CMD.EXE", "Powershell.exe", "café"]);
    let table: Vec<(u64, &'static str)> = table
        .into_iter()
        .map(|(h, s)| (h, &*Box::leak(s.into_boxed_str())))
        .collect();
    let fset = FoldSet::new(Box::leak(table.into_boxed_slice()));
    let mut hits = 0;
    let n = allocs_in(|| {
        for _ in 0..100 {
            hits += usize::from(eq_fold("CMD.EXE", "cmd.exe"));
            hits += usize::from(eq_fold("ΣΊΣΥΦΟΣ", "σίσυφοσ"));
            hits += usize::from(starts_with_fold("C:\\Windows\\x", "c:\\windows\\"));
            hits += usize::from(ends_with_fold("CAFÉ", "fé"));
            hits += usize::from(contains_fold("xxÉÉyy", "éy"));
            hits += usize::from(glob("C:\\Temp\\a.PS1", "c:\\*\\*.ps1", true));
            hits += usize::from(glob("aéc", "a?c", false));
            hits += usize::from(SET.contains("cmd.exe"));
            hits += usize::from(fset.contains("CAFÉ"));
            hits += usize::from(fset.contains("powershell.EXE"));
            hits += usize::from(fold_hash("ÀÉÎ") != 0);
            hits += usize::from(cidr_match_str("10.9.8.7", &BLOCKS));
            hits += usize::from(cidr_match_str("fd00::1", &BLOCKS));
            hits += usize::from(!cidr_match_str("not-an-ip", &BLOCKS));
            hits += usize::from(parse_rfc3339("2022-02-16T23:49:50.5022851+01:00").is_some());
        }
    });
    assert_eq!(n, 0, "primitives allocated {n} times");
    assert_eq!(hits, 1500);
}

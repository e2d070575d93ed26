//! `eqlc build` over the whole detection-rules corpus (issue 7): the 1,024 rules under
//! `../shared/corpus/detection-rules/{rules,rules_building_block}` build into one detector,
//! `--list-rules` lists all of them, and a sample of rules of different shapes gives
//! exactly the alerts that reading their queries (and `eql-semantics.md`) predicts on the
//! hand-written events in `tests/corpus/`.
//!
//! Slow (a release build of the generated crate), so `#[ignore]`d; CI runs it with
//! `cargo test --release -p eqlc --test corpus_build -- --ignored`. Without the corpus the
//! test is skipped, except under `CI=true`, where it fails.
//!
//! Only the sampled rules' alerts are checked: the other 1,017 rules may or may not fire
//! on these events, and their expectations are not derived here. The second test
//! ([`event_rules_vs_interpreter`]) covers every event rule of the corpus against the
//! reference interpreter on generated events. Both share one build of the detector.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// The `shared` folder: `EQLC_SHARED`, else `../shared` next to the workspace.
fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("EQLC_SHARED") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    let corpus = dir.join("corpus/detection-rules/rules");
    if corpus.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "corpus_build: no detection-rules corpus at {} (CI=true: the corpus must be present; \
         set EQLC_SHARED to the `shared` folder)",
        corpus.display()
    );
    eprintln!(
        "corpus_build: skipped, no corpus at {} (set EQLC_SHARED)",
        corpus.display()
    );
    None
}

/// One alert: the `event.id`s of its events, in order.
type Alert = Vec<String>;

/// Run the detector on one fixture; alerts per rule id, in output order.
fn alerts(detector: &Path, fixture: &str) -> BTreeMap<String, Vec<Alert>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(fixture);
    let out = Command::new(detector)
        .args(["--format", "ndjson", "-q"])
        .arg(&path)
        .output()
        .expect("run the corpus detector");
    assert!(
        out.status.success(),
        "detector failed on {fixture}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut by_rule: BTreeMap<String, Vec<Alert>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).expect("utf-8").lines() {
        let a: serde_json::Value = serde_json::from_str(line).expect("alert is JSON");
        let rule = a["kibana.alert.rule.rule_id"]
            .as_str()
            .expect("rule id")
            .to_string();
        let ids = a["eqlc.events"]
            .as_array()
            .expect("eqlc.events")
            .iter()
            .map(|e| e["event"]["id"].as_str().unwrap_or("?").to_string())
            .collect();
        by_rule.entry(rule).or_default().push(ids);
    }
    by_rule
}

fn ids(s: &[&str]) -> Alert {
    s.iter().map(|x| x.to_string()).collect()
}

/// (fixture, rule id, expected alerts). Each expectation comes from the rule's query:
struct Case {
    fixture: &'static str,
    rule_id: &'static str,
    expect: Vec<Alert>,
}

fn cases() -> Vec<Case> {
    let seq = |p: &str, r: std::ops::RangeInclusive<u32>| -> Alert {
        r.map(|i| format!("{p}{i}")).collect()
    };
    vec![
        // Single event, wildcard `:` (case-insensitive) and a long exclusion list:
        // file where host.os.type == "linux" and event.action in ("rename", "creation")
        // and file.path : "/etc/apt/apt.conf.d/*" and not (process.executable in (...
        // "/usr/bin/dpkg" ...) or file.path : "/etc/apt/apt.conf.d/*.tmp*" or ... or
        // process.executable == null or ...).
        // a2: dpkg excluded; a3: *.tmp*; a4: modification; a5: windows; a6: no
        // executable; a7: `:` ignores case in /ETC/APT.
        Case {
            fixture: "apt_single_event.ndjson",
            rule_id: "7c2e1297-7664-42bc-af11-6d5d35220b6b",
            expect: vec![ids(&["a1"]), ids(&["a7"])],
        },
        // Sequence with by and maxspan:
        // sequence by host.id with maxspan=3s [process where linux and event.type ==
        // "end" and process.name == "sshd"] [process where linux and event.type ==
        // "start" and event.action == "exec" and process.name == "strace"].
        // h2: 4 s apart (> 3 s); h4: other host; s7: action fork; s5→s8: exactly 3 s
        // (maxspan is inclusive).
        Case {
            fixture: "strace_sequence_by.ndjson",
            rule_id: "9eaa3fb1-3f70-48ed-bb0e-d7ae4d3c8f28",
            expect: vec![ids(&["s1", "s2"]), ids(&["s5", "s8"])],
        },
        // runs: sequence by host.id, user.name, process.parent.entity_id with maxspan=5s
        // [process where linux and exec and process.name == "openssl" and parent in
        // (bash, ..., python*) and args == "-in" and "-out" and in ("-k", "-pass", ...)
        // and not args in ("-d", ...)] with runs=10.
        // P1: 10 events → one alert; P2: only 9; P3: "-d" excludes every event.
        Case {
            fixture: "openssl_runs.ndjson",
            rule_id: "f530ca17-153b-4a7a-8cd3-98dd4b4ddf73",
            expect: vec![seq("o", 1..=10)],
        },
        // runs + until: sequence by okta.actor.id with maxspan=10m [any where okta.system
        // deny_push ...] with runs=5 until [any where okta.system and event_type in
        // (sso, ...) and outcome.result == "SUCCESS"].
        // A: 5 pushes → [A1..A5]. B: the SUCCESS after B3 drops its partials, then only
        // 2. C: 6 pushes → [C1..C5] and [C2..C6] (runs is sugar for 5 stages, §7.1: C6
        // completes the partial C2..C5). D: D5 is 11 min after D1 and D2 (> maxspan).
        Case {
            fixture: "okta_runs_until.ndjson",
            rule_id: "8a0fbd26-867f-11ee-947c-f661ea17fbcd",
            expect: vec![seq("A", 1..=5), seq("C", 1..=5), seq("C", 2..=6)],
        },
        // cidrmatch: network where event.action == "connection_accepted" and process.name
        // in ("ollama", "ollama.exe") and destination.port == 11434 and source.ip != null
        // and source.ip != "0.0.0.0" and not cidrmatch(source.ip, "10.0.0.0/8",
        // "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
        // "100.64.0.0/10", "::1", "fe80::/10", "fc00::/7", "ff00::/8").
        // n2 192.168/16, n3 fc00::/7, n6 172.16/12, n7 port, n8 0.0.0.0, n9 `in` is
        // case-sensitive, n10 action; n4 2001:db8::1 and n5 172.32.0.1 are outside.
        Case {
            fixture: "ollama_cidrmatch.ndjson",
            rule_id: "d8f2a1b3-c4e5-6789-abcd-ef0123456789",
            expect: vec![ids(&["n1"]), ids(&["n4"]), ids(&["n5"])],
        },
        // regex: process where linux and event.type == "start" and user.id == "0" and
        // process.executable regex~ """/var/run/\w+\.(pid|lock|reboot)""".
        // Whole-string match, case-insensitive: r2 upper case matches; r3 a '/' in \w+,
        // r4 trailing text, r5 user, r7 empty \w+, r8 event.type end.
        Case {
            fixture: "pid_file_regex.ndjson",
            rule_id: "3688577a-d196-11ec-90b0-f661ea17fbce",
            expect: vec![ids(&["r1"]), ids(&["r2"]), ids(&["r6"])],
        },
        // Large value list (2,609 names): library where windows and event.action ==
        // "load" and (relative_file_creation_time <= 3600 or
        // relative_file_name_modify_time <= 3600) and not dll.path : ("?:\\Windows\\
        // System32\\*", ...) and not (subject_name in ("Microsoft Windows", ...) and
        // trusted == true) and not status : (..., "errorChaining") and dll.name :
        // ("aadauthhelper.dll", ..., "xpsshhdr.dll") and not (...).
        // d1 mixed case, d4 recent rename, d8 untrusted signature; d2 not listed, d3
        // System32, d5 old, d6 trusted Microsoft, d7 errorChaining.
        Case {
            fixture: "dll_large_list.ndjson",
            rule_id: "fb01d790-9f74-4e76-97dd-b4b0f7bf6435",
            expect: vec![ids(&["d1"]), ids(&["d4"]), ids(&["d8"])],
        },
    ]
}

/// The corpus detector, built once per test run: both tests of this binary (run in
/// parallel threads) wait for the same build.
static DETECTOR: OnceLock<PathBuf> = OnceLock::new();

/// `eqlc build` of `shared/corpus/detection-rules/{rules,rules_building_block}` into
/// `CARGO_TARGET_TMPDIR/corpus-build/corpus-detector` (once; later calls return the path).
fn corpus_detector(shared: &Path) -> &'static Path {
    DETECTOR.get_or_init(|| {
        let rules = shared.join("corpus/detection-rules");
        let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-build");
        std::fs::create_dir_all(&out_dir).expect("create output folder");
        let detector = out_dir.join("corpus-detector");
        let t = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_eqlc"))
            .arg("build")
            .arg("--rules")
            .arg(rules.join("rules"))
            .arg("--rules")
            .arg(rules.join("rules_building_block"))
            .arg("--out")
            .arg(&detector)
            .status()
            .expect("run eqlc build");
        assert!(status.success(), "eqlc build failed ({status})");
        eprintln!("corpus_build: eqlc build took {:.1?}", t.elapsed());
        detector
    })
}

#[test]
#[ignore = "builds the 1,024-rule corpus detector (release); CI runs it with --ignored"]
fn corpus_builds_into_one_detector() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let detector = corpus_detector(&shared);

    let list = Command::new(detector)
        .arg("--list-rules")
        .output()
        .expect("run --list-rules");
    assert!(list.status.success());
    let listed = String::from_utf8(list.stdout).expect("utf-8");
    assert_eq!(listed.lines().count(), 1024, "--list-rules:\n{listed}");

    let mut failures = Vec::new();
    for c in cases() {
        let got = alerts(detector, c.fixture);
        assert!(
            listed.contains(c.rule_id),
            "{} is not in the corpus detector",
            c.rule_id
        );
        let got = got.get(c.rule_id).cloned().unwrap_or_default();
        if got != c.expect {
            failures.push(format!(
                "{} / {}: expected {:?}, got {:?}",
                c.fixture, c.rule_id, c.expect, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

mod event_rules_vs_interpreter {
    //! Corpus-wide differential test: the built corpus detector (a table rule pack: gates,
    //! value and literal indexes, covers, shared tests) gives exactly the alerts of the
    //! reference interpreter (`eqlc::interp::matches` plus the category test) for every
    //! event rule of the corpus (`Body::Event`, no pipes), on generated events.
    //!
    //! * **Rules** are loaded and checked with `eqlc::build::load_and_check`, as `eqlc
    //!   build` does, so the interpreter sees the IR the detector was generated from (no
    //!   schema: every field is read with the type its values have in the event).
    //! * **Events** come from a fixed-seed splitmix64 generator. Each targets one event
    //!   rule: its category, then every field its condition reads, filled from what the
    //!   condition compares that field with (exact strings, wildcard patterns with `*`/`?`
    //!   replaced by random text, regexes sampled, `in` members, numbers next to comparison
    //!   constants, addresses inside and outside CIDR blocks, lengths around `length()`
    //!   bounds, fields of one function call made to share text), with random ASCII case
    //!   flips (rarely a Unicode look-alike such as the Kelvin sign), and sometimes a value
    //!   another rule compares the field with, junk, `null`, nothing, or an array of 1–4
    //!   values (mostly for multi-valued fields such as `process.args`); plus a few fields
    //!   other rules read. Values stay type-correct for the ECS schema
    //!   (`shared/schema/ecs-flat.json`, `corpus-fields.json`: numbers or numeric strings
    //!   in numeric fields, addresses in `ip` fields, booleans in `boolean` fields), and the
    //!   detector must report 0 bad lines. Nested JSON objects, scalars or arrays of
    //!   scalars at the leaves, a unique `event.id` per event.
    //! * **Throttling**: events are spaced by the largest `interval` of any corpus rule
    //!   (6 h), so every `max_signals` window of every rule holds at most one event, and an
    //!   event rule alerts at most once per event: `max_signals` (≥ 1) can never suppress
    //!   an event-rule alert. The detector's summary must report 0 suppressed alerts.
    //! * **Comparison**: the set of (rule, `event.id`) of event-rule alerts equals the set
    //!   the interpreter predicts, and no event rule alerts twice on one event. On a
    //!   mismatch the first 20 differences are printed with the rule's id, file, query and
    //!   the event, and all of them are written to
    //!   `CARGO_TARGET_TMPDIR/corpus-differential/differences.txt` (next to the events,
    //!   `events.ndjson`), so that a human can decide who is right. Coverage figures are
    //!   printed (`--nocapture`) and checked so that the test cannot pass vacuously: 90%
    //!   of the event rules must fire on events aimed at them, and a quarter of the
    //!   events must match the rule they were aimed at.
    //! * `EQLC_DIFF_SEED` and `EQLC_DIFF_EVENTS` change the seed and the number of
    //!   events, to explore beyond the fixed run.

    use super::*;

    use std::collections::{BTreeSet, HashMap, HashSet};
    use std::net::IpAddr;

    use eqlc::ir::{Body, Category, CmpOp, Expr, ExprKind, FieldType, Func, Literal};
    use eqlc::schema::Schema;
    use eqlc_runtime::func::Val;
    use eqlc_runtime::{Event, Value};
    use serde_json::{Map, Value as Json};

    /// Events generated (`EQLC_DIFF_EVENTS` overrides it).
    const EVENTS: usize = 40_000;
    /// The generator's seed (`EQLC_DIFF_SEED` overrides it, to explore further).
    const SEED: u64 = 0x00e9_1c0d_ec0d_e5ee;

    /// An environment override of a default.
    fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
        match std::env::var(name) {
            Ok(v) => v
                .parse()
                .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
            Err(_) => default,
        }
    }

    /// splitmix64: tiny, deterministic, good enough to pick test values. It also carries
    /// the current event's case-flip rate (see [`flip_case`]).
    struct Rng {
        state: u64,
        flip: f64,
    }

    impl Rng {
        fn next(&mut self) -> u64 {
            self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Uniform in `0..n` (`n > 0`).
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// True with probability `p`.
        fn chance(&mut self, p: f64) -> bool {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
        }

        fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
            &v[self.below(v.len())]
        }
    }

    /// How a field's values are generated (its ECS type, as far as the detector's type
    /// check is concerned).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Text,
        Int,
        Float,
        Bool,
        Ip,
    }

    /// Something a condition compares a field with.
    #[derive(Debug, Clone)]
    enum Hint {
        /// An exact string (`==`, `in`, `in~`).
        Text(String),
        /// A wildcard pattern (`:`, `like`): `*`/`?` become random text.
        Pattern(String),
        /// Text with random text before and/or after it (`startsWith`, `endsWith`,
        /// `stringContains`, fragments of computed leaves).
        Around(String, bool, bool),
        /// A Lucene regex, sampled.
        Regex(String),
        Int(i64),
        Float(f64),
        Bool(bool),
        /// A CIDR block (`cidrMatch`): addresses inside, at the edges and just outside.
        Cidr(String),
        /// A `length()` bound: text of about that length.
        Len(usize),
    }

    /// What one event rule reads.
    struct RuleGen {
        /// Index into the checked rules.
        rule: usize,
        /// The category it requires (`None`: `any`).
        category: Option<String>,
        /// Its category field (`event.category` unless overridden).
        category_field: String,
        /// Every field its condition reads: hints from leaves in positive position, hints
        /// from leaves under a `not`.
        fields: Vec<(String, Vec<Hint>, Vec<Hint>)>,
        /// Fields read together by one function call (`startsWith~(a, substring(b, 0,
        /// -1))`): sometimes given related text.
        links: Vec<Vec<String>>,
        /// The condition's structure.
        plan: Plan,
    }

    /// Per field: its kind, whether it is usually multi-valued, every hint of every rule.
    struct FieldSpec {
        kind: Kind,
        multi: bool,
        pool: Vec<Hint>,
    }

    fn kind_of(schema: &Schema, path: &str) -> Kind {
        match schema.get(path) {
            Some(FieldType::Integer) => Kind::Int,
            Some(FieldType::Float) => Kind::Float,
            Some(FieldType::Boolean) => Kind::Bool,
            Some(FieldType::Ip) => Kind::Ip,
            _ => Kind::Text,
        }
    }

    /// The hint a constant gives for a field of `kind`, if it fits the field's type.
    fn literal_hint(kind: Kind, l: &Literal) -> Option<Hint> {
        match (kind, l) {
            (_, Literal::Null) => None,
            (Kind::Text, Literal::Str(s)) => Some(Hint::Text(s.clone())),
            (Kind::Text | Kind::Int, Literal::Int(i)) => Some(Hint::Int(*i)),
            (Kind::Text | Kind::Float | Kind::Int, Literal::Float(f)) => Some(Hint::Float(*f)),
            (Kind::Float, Literal::Int(i)) => Some(Hint::Float(*i as f64)),
            (Kind::Text | Kind::Bool, Literal::Bool(b)) => Some(Hint::Bool(*b)),
            (Kind::Int, Literal::Str(s)) => s.trim().parse().ok().map(Hint::Int),
            (Kind::Float, Literal::Str(s)) => s.trim().parse().ok().map(Hint::Float),
            (Kind::Bool, Literal::Str(s)) => s.parse().ok().map(Hint::Bool),
            (Kind::Ip, Literal::Str(s)) => {
                eqlc_runtime::cidr::parse_ip(s).map(|_| Hint::Text(s.clone()))
            }
            _ => None,
        }
    }

    /// Collects hints from a condition.
    struct Walk<'s> {
        schema: &'s Schema,
        fields: Vec<(String, Vec<Hint>, Vec<Hint>)>,
        links: Vec<Vec<String>>,
    }

    impl Walk<'_> {
        fn slot(&mut self, path: &str) -> usize {
            match self.fields.iter().position(|(p, ..)| p == path) {
                Some(i) => i,
                None => {
                    self.fields.push((path.to_string(), Vec::new(), Vec::new()));
                    self.fields.len() - 1
                }
            }
        }

        fn hint(&mut self, path: &str, neg: bool, h: Hint) {
            let i = self.slot(path);
            if neg {
                self.fields[i].2.push(h);
            } else {
                self.fields[i].1.push(h);
            }
        }

        fn kind(&self, path: &str) -> Kind {
            kind_of(self.schema, path)
        }

        /// Register the fields of `e` and give every text field the string constants that
        /// appear in `e` (and `extra`) as fragments; link the fields when there are several.
        fn computed(&mut self, e: &Expr, extra: Option<&Literal>, neg: bool) {
            let mut paths: Vec<String> = Vec::new();
            e.for_each_field(&mut |f| {
                if !paths.contains(&f.path) {
                    paths.push(f.path.clone());
                }
            });
            let mut strings = Vec::new();
            collect_strings(e, &mut strings);
            if let Some(Literal::Str(s)) = extra {
                strings.push(s.clone());
            }
            for p in &paths {
                self.slot(p);
                if self.kind(p) == Kind::Text {
                    for s in &strings {
                        self.hint(p, neg, Hint::Around(s.clone(), true, true));
                    }
                }
            }
            if paths.len() > 1 {
                self.links.push(paths);
            }
        }

        fn walk(&mut self, e: &Expr, neg: bool) {
            match &e.kind {
                ExprKind::And(v) | ExprKind::Or(v) => v.iter().for_each(|x| self.walk(x, neg)),
                ExprKind::Not(x) => self.walk(x, !neg),
                ExprKind::Literal(_) => {}
                ExprKind::Field(f) => self.hint(&f.path, neg, Hint::Bool(true)),
                ExprKind::IsNull(x) => self.computed(x, None, neg),
                ExprKind::Compare { op, lhs, rhs } => {
                    let (side, konst, op) = if rhs.is_constant() {
                        (lhs, rhs, *op)
                    } else {
                        (rhs, lhs, eqlc::interp::flip(*op))
                    };
                    let Some(c) = eqlc::interp::val_to_literal(&eqlc::interp::eval_const(konst))
                    else {
                        return self.computed(side, None, neg);
                    };
                    match &side.kind {
                        ExprKind::Field(f) => {
                            self.slot(&f.path);
                            if let Some(h) = literal_hint(self.kind(&f.path), &c) {
                                // `>` and `<` also get a value on the side that holds.
                                let beyond = match (&h, op) {
                                    (Hint::Int(n), CmpOp::Gt) => {
                                        Some(Hint::Int(n.saturating_add(1)))
                                    }
                                    (Hint::Int(n), CmpOp::Lt) => {
                                        Some(Hint::Int(n.saturating_sub(1)))
                                    }
                                    (Hint::Float(x), CmpOp::Gt) => Some(Hint::Float(x + 1.0)),
                                    (Hint::Float(x), CmpOp::Lt) => Some(Hint::Float(x - 1.0)),
                                    _ => None,
                                };
                                self.hint(&f.path, neg, h);
                                if let Some(b) = beyond {
                                    self.hint(&f.path, neg, b);
                                }
                            }
                        }
                        ExprKind::Call {
                            func: Func::Length,
                            args,
                            ..
                        } if matches!(&args[0].kind, ExprKind::Field(_)) => {
                            let ExprKind::Field(f) = &args[0].kind else {
                                unreachable!()
                            };
                            if let Literal::Int(n) = c {
                                let n = usize::try_from(n.clamp(0, 4000)).unwrap_or(0);
                                self.hint(&f.path, neg, Hint::Len(n));
                            } else {
                                self.slot(&f.path);
                            }
                        }
                        _ => self.computed(side, Some(&c), neg),
                    }
                }
                ExprKind::In { expr, list, .. } => match &expr.kind {
                    ExprKind::Field(f) => {
                        let k = self.kind(&f.path);
                        self.slot(&f.path);
                        for l in list {
                            if let Some(h) = literal_hint(k, l) {
                                self.hint(&f.path, neg, h);
                            }
                        }
                    }
                    _ => self.computed(expr, None, neg),
                },
                ExprKind::Like { expr, patterns, .. } => match &expr.kind {
                    ExprKind::Field(f) => {
                        for p in patterns {
                            self.hint(&f.path, neg, Hint::Pattern(p.clone()));
                        }
                    }
                    _ => self.computed(expr, None, neg),
                },
                ExprKind::Regex { expr, patterns, .. } => match &expr.kind {
                    ExprKind::Field(f) => {
                        for p in patterns {
                            self.hint(&f.path, neg, Hint::Regex(p.clone()));
                        }
                    }
                    _ => self.computed(expr, None, neg),
                },
                ExprKind::Call { func, args, .. } => {
                    let konst = |i: usize| {
                        args.get(i).filter(|a| a.is_constant()).and_then(|a| {
                            eqlc::interp::val_to_literal(&eqlc::interp::eval_const(a))
                        })
                    };
                    let field = match &args[0].kind {
                        ExprKind::Field(f) => Some(f.path.clone()),
                        _ => None,
                    };
                    match (func, field, konst(1)) {
                        (Func::CidrMatch, Some(f), _) => {
                            for i in 1..args.len() {
                                if let Some(Literal::Str(b)) = konst(i) {
                                    self.hint(&f, neg, Hint::Cidr(b));
                                }
                            }
                        }
                        (Func::StartsWith, Some(f), Some(Literal::Str(s))) => {
                            self.hint(&f, neg, Hint::Around(s, false, true))
                        }
                        (Func::EndsWith, Some(f), Some(Literal::Str(s))) => {
                            self.hint(&f, neg, Hint::Around(s, true, false))
                        }
                        (
                            Func::StringContains | Func::IndexOf | Func::Between,
                            Some(f),
                            Some(Literal::Str(s)),
                        ) => self.hint(&f, neg, Hint::Around(s, true, true)),
                        _ => self.computed(e, None, neg),
                    }
                }
                ExprKind::Arith { .. } | ExprKind::Neg(_) => self.computed(e, None, neg),
            }
        }
    }

    /// A condition's and/or/not structure over its leaves, to aim events at a match.
    enum Plan {
        All(Vec<Plan>),
        Any(Vec<Plan>),
        Not(Box<Plan>),
        /// `x == null`: true when the fields have no value.
        Absent(Vec<String>),
        /// Any other leaf: the fields it reads, each with the hints that can make it true.
        Leaf(Vec<(String, Vec<Hint>)>),
    }

    fn plan_of(e: &Expr, schema: &Schema) -> Plan {
        match &e.kind {
            ExprKind::And(v) => Plan::All(v.iter().map(|x| plan_of(x, schema)).collect()),
            ExprKind::Or(v) => Plan::Any(v.iter().map(|x| plan_of(x, schema)).collect()),
            ExprKind::Not(x) => Plan::Not(Box::new(plan_of(x, schema))),
            ExprKind::IsNull(x) => {
                let mut paths = Vec::new();
                x.for_each_field(&mut |f| paths.push(f.path.clone()));
                Plan::Absent(paths)
            }
            _ => {
                let mut w = Walk {
                    schema,
                    fields: Vec::new(),
                    links: Vec::new(),
                };
                w.walk(e, false);
                Plan::Leaf(w.fields.into_iter().map(|(p, pos, _)| (p, pos)).collect())
            }
        }
    }

    /// What one walk down a [`Plan`] asks of the event's fields.
    #[derive(Default)]
    struct Aim<'p> {
        /// Values that make chosen leaves true.
        must: HashMap<&'p str, Vec<&'p Hint>>,
        /// Fields that must have some value.
        present: HashSet<&'p str>,
        /// Fields better left out (leaves that should be false, `== null`).
        absent: HashSet<&'p str>,
    }

    /// Choose leaves to make `p` evaluate to `want` (one branch of each `or` to satisfy,
    /// one operand of each `and` to falsify).
    fn aim<'p>(rng: &mut Rng, p: &'p Plan, want: bool, out: &mut Aim<'p>) {
        match (p, want) {
            (Plan::All(v), true) | (Plan::Any(v), false) => {
                v.iter().for_each(|x| aim(rng, x, want, out))
            }
            (Plan::All(v), false) | (Plan::Any(v), true) => {
                let x = &v[rng.below(v.len())];
                aim(rng, x, want, out)
            }
            (Plan::Not(x), _) => aim(rng, x, !want, out),
            (Plan::Absent(ps), true) => out.absent.extend(ps.iter().map(String::as_str)),
            (Plan::Absent(ps), false) => out.present.extend(ps.iter().map(String::as_str)),
            (Plan::Leaf(fs), true) => {
                for (f, hints) in fs {
                    if hints.is_empty() {
                        out.present.insert(f);
                    } else {
                        out.must.entry(f).or_default().push(rng.pick(hints));
                    }
                }
            }
            (Plan::Leaf(fs), false) => out.absent.extend(fs.iter().map(|(f, _)| f.as_str())),
        }
    }

    fn collect_strings(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Literal(Literal::Str(s)) => out.push(s.clone()),
            ExprKind::Literal(_) | ExprKind::Field(_) => {}
            ExprKind::Not(x) | ExprKind::IsNull(x) | ExprKind::Neg(x) => collect_strings(x, out),
            ExprKind::And(v) | ExprKind::Or(v) => v.iter().for_each(|x| collect_strings(x, out)),
            ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arith { lhs, rhs, .. } => {
                collect_strings(lhs, out);
                collect_strings(rhs, out);
            }
            ExprKind::In { expr, list, .. } => {
                collect_strings(expr, out);
                for l in list {
                    if let Literal::Str(s) = l {
                        out.push(s.clone());
                    }
                }
            }
            ExprKind::Like { expr, patterns, .. } | ExprKind::Regex { expr, patterns, .. } => {
                collect_strings(expr, out);
                out.extend(patterns.iter().map(|p| p.replace(['*', '?'], "")));
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|x| collect_strings(x, out)),
        }
    }

    // ---- random values ------------------------------------------------------------

    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const TEXT: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./\\: =";

    fn random_text(rng: &mut Rng, len: usize) -> String {
        (0..len).map(|_| *rng.pick(TEXT) as char).collect()
    }

    fn junk_text(rng: &mut Rng) -> String {
        match rng.below(10) {
            0 => String::new(),
            1 => "straße İ ſ \u{212a} \"quoted\"\ttab".to_string(),
            2 => format!("C:\\Windows\\{}.exe", random_text(rng, 5)),
            3 => format!("/usr/bin/{}", random_text(rng, 4)),
            _ => {
                let n = 1 + rng.below(10);
                random_text(rng, n)
            }
        }
    }

    /// With the event's probability `rng.flip`, flip the case of ASCII letters (all of
    /// them, or some); rarely swap in a Unicode character that folds to an ASCII letter
    /// (Kelvin sign, long s).
    fn flip_case(rng: &mut Rng, s: &str) -> String {
        if !rng.chance(rng.flip) {
            return s.to_string();
        }
        let mut out: String = match rng.below(4) {
            0 => s.to_ascii_uppercase(),
            1 => s.to_ascii_lowercase(),
            _ => s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() && rng.chance(0.3) {
                        (c as u8 ^ 0x20) as char
                    } else {
                        c
                    }
                })
                .collect(),
        };
        if rng.chance(0.05) {
            out = out
                .replacen(['k', 'K'], "\u{212a}", 1)
                .replacen('s', "\u{17f}", 1);
        }
        out
    }

    /// Replace `*` by random text (often empty) and `?` by one character.
    fn expand(rng: &mut Rng, pattern: &str) -> String {
        let mut out = String::new();
        for c in pattern.chars() {
            match c {
                '*' => {
                    if rng.chance(0.6) {
                        let n = 1 + rng.below(6);
                        out.push_str(&random_text(rng, n));
                    }
                }
                '?' => out.push(*rng.pick(ALNUM) as char),
                c => out.push(c),
            }
        }
        out
    }

    fn random_ip(rng: &mut Rng) -> String {
        match rng.below(6) {
            0 => format!("{:x}:db8::{:x}", 0x2001, rng.below(65536)),
            1 => format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            ),
            2 => format!("192.168.{}.{}", rng.below(256), rng.below(256)),
            3 => "127.0.0.1".to_string(),
            _ => format!(
                "{}.{}.{}.{}",
                1 + rng.below(223),
                rng.below(256),
                rng.below(256),
                rng.below(256)
            ),
        }
    }

    /// An address inside the block (network address, last address or random), or just
    /// outside it; sometimes IPv4 written as IPv4-mapped IPv6.
    fn cidr_ip(rng: &mut Rng, block: &str) -> String {
        let (addr, len) = block.split_once('/').unwrap_or((block, ""));
        let Ok(ip) = addr.parse::<IpAddr>() else {
            return random_ip(rng);
        };
        let (bits, width): (u128, u32) = match ip {
            IpAddr::V4(a) => (u128::from(a.to_bits()), 32),
            IpAddr::V6(a) => (a.to_bits(), 128),
        };
        let prefix = len.parse::<u32>().unwrap_or(width).min(width);
        let host_mask: u128 = if prefix == width {
            0
        } else {
            (u128::MAX >> (128 - (width - prefix))) & mask_width(width)
        };
        let net = bits & !host_mask & mask_width(width);
        let r = (u128::from(rng.next()) << 64) | u128::from(rng.next());
        let v = match rng.below(6) {
            0 => net,
            1 => net | host_mask,
            2 if prefix > 0 => (net ^ (1u128 << (width - prefix))) | (r & host_mask),
            3 => r & mask_width(width),
            _ => net | (r & host_mask),
        };
        match ip {
            IpAddr::V4(_) => {
                let a = std::net::Ipv4Addr::from_bits(v as u32);
                if rng.chance(0.05) {
                    format!("::ffff:{a}")
                } else {
                    a.to_string()
                }
            }
            IpAddr::V6(_) => std::net::Ipv6Addr::from_bits(v).to_string(),
        }
    }

    fn mask_width(width: u32) -> u128 {
        if width == 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        }
    }

    /// A random string the Lucene regex (common subset) matches; `None` if the pattern
    /// uses something else.
    fn sample_regex(rng: &mut Rng, pattern: &str) -> Option<String> {
        let p: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let re = re_alt(&p, &mut i)?;
        if i != p.len() {
            return None;
        }
        let mut out = String::new();
        re_gen(rng, &re, &mut out);
        Some(out)
    }

    enum Re {
        Lit(char),
        Any,
        AnyString,
        Class(Vec<(char, char)>, bool),
        Alt(Vec<Re>),
        Cat(Vec<Re>),
        Rep(Box<Re>, u32, u32),
    }

    fn shorthand(c: char) -> Option<Vec<(char, char)>> {
        Some(match c {
            'd' => vec![('0', '9')],
            'w' => vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')],
            's' => vec![(' ', ' ')],
            _ => return None,
        })
    }

    fn re_alt(p: &[char], i: &mut usize) -> Option<Re> {
        let mut alts = vec![re_cat(p, i)?];
        while p.get(*i) == Some(&'|') {
            *i += 1;
            alts.push(re_cat(p, i)?);
        }
        Some(Re::Alt(alts))
    }

    fn re_cat(p: &[char], i: &mut usize) -> Option<Re> {
        let mut items = Vec::new();
        while let Some(&c) = p.get(*i) {
            if c == '|' || c == ')' {
                break;
            }
            *i += 1;
            let mut atom = match c {
                '(' => {
                    let r = re_alt(p, i)?;
                    if p.get(*i) != Some(&')') {
                        return None;
                    }
                    *i += 1;
                    r
                }
                '[' => re_class(p, i)?,
                '.' => Re::Any,
                '@' => Re::AnyString,
                '\\' => {
                    let e = *p.get(*i)?;
                    *i += 1;
                    match shorthand(e) {
                        Some(r) => Re::Class(r, false),
                        None => Re::Lit(e),
                    }
                }
                '"' => {
                    let mut lits = Vec::new();
                    while let Some(&x) = p.get(*i) {
                        *i += 1;
                        if x == '"' {
                            break;
                        }
                        lits.push(Re::Lit(x));
                    }
                    Re::Cat(lits)
                }
                '#' | '<' | '~' | '&' | '*' | '+' | '?' | '{' => return None,
                c => Re::Lit(c),
            };
            loop {
                let (lo, hi) = match p.get(*i) {
                    Some('*') => (0, 3),
                    Some('+') => (1, 3),
                    Some('?') => (0, 1),
                    Some('{') => {
                        let close = p[*i..].iter().position(|&x| x == '}')? + *i;
                        let inner: String = p[*i + 1..close].iter().collect();
                        let (a, b) = match inner.split_once(',') {
                            Some((a, "")) => {
                                let a: u32 = a.parse().ok()?;
                                (a, a + 3)
                            }
                            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                            None => {
                                let a: u32 = inner.parse().ok()?;
                                (a, a)
                            }
                        };
                        *i = close;
                        (a, b.min(a + 3))
                    }
                    _ => break,
                };
                *i += 1;
                atom = Re::Rep(Box::new(atom), lo, hi);
            }
            items.push(atom);
        }
        Some(Re::Cat(items))
    }

    fn re_class(p: &[char], i: &mut usize) -> Option<Re> {
        let negated = p.get(*i) == Some(&'^');
        if negated {
            *i += 1;
        }
        let mut ranges = Vec::new();
        loop {
            let c = *p.get(*i)?;
            *i += 1;
            let lo = match c {
                ']' => break,
                '\\' => {
                    let e = *p.get(*i)?;
                    *i += 1;
                    if let Some(r) = shorthand(e) {
                        ranges.extend(r);
                        continue;
                    }
                    e
                }
                c => c,
            };
            if p.get(*i) == Some(&'-') && p.get(*i + 1).is_some_and(|&x| x != ']') {
                let mut hi = p[*i + 1];
                *i += 2;
                if hi == '\\' {
                    hi = *p.get(*i)?;
                    *i += 1;
                }
                ranges.push((lo, hi.max(lo)));
            } else {
                ranges.push((lo, lo));
            }
        }
        Some(Re::Class(ranges, negated))
    }

    fn re_gen(rng: &mut Rng, re: &Re, out: &mut String) {
        match re {
            Re::Lit(c) => out.push(*c),
            Re::Any => out.push(*rng.pick(ALNUM) as char),
            Re::AnyString => {
                let n = rng.below(5);
                out.push_str(&random_text(rng, n));
            }
            Re::Class(ranges, false) if !ranges.is_empty() => {
                let (lo, hi) = *rng.pick(ranges);
                let span = u32::from(hi) - u32::from(lo) + 1;
                let c = char::from_u32(u32::from(lo) + (rng.next() % u64::from(span)) as u32);
                out.push(c.unwrap_or(lo));
            }
            Re::Class(ranges, _) => {
                for _ in 0..50 {
                    let c = (0x20 + rng.below(0x5f)) as u8 as char;
                    if !ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) {
                        out.push(c);
                        return;
                    }
                }
            }
            Re::Alt(v) => {
                let x = &v[rng.below(v.len())];
                re_gen(rng, x, out)
            }
            Re::Cat(v) => v.iter().for_each(|x| re_gen(rng, x, out)),
            Re::Rep(x, lo, hi) => {
                let n = lo + (rng.next() % u64::from(hi - lo + 1)) as u32;
                for _ in 0..n {
                    re_gen(rng, x, out);
                }
            }
        }
    }

    /// A value for a field of `kind` from a hint (`None`: junk of the right type).
    fn value(rng: &mut Rng, kind: Kind, hint: Option<&Hint>) -> Json {
        let text = |rng: &mut Rng, s: String| Json::String(flip_case(rng, &s));
        match (kind, hint) {
            (Kind::Text, Some(Hint::Text(s))) => {
                // Keyword fields take any scalar: sometimes the number or boolean the
                // text spells.
                match (s.parse::<i64>(), s.parse::<bool>()) {
                    (Ok(i), _) if rng.chance(0.15) => Json::from(i),
                    (_, Ok(b)) if rng.chance(0.15) => Json::Bool(b),
                    _ => text(rng, s.clone()),
                }
            }
            (Kind::Text, Some(Hint::Pattern(p))) => {
                let s = expand(rng, p);
                text(rng, s)
            }
            (Kind::Text, Some(Hint::Around(t, before, after))) => {
                let mut s = String::new();
                if *before && rng.chance(0.7) {
                    let n = 1 + rng.below(6);
                    s.push_str(&random_text(rng, n));
                }
                s.push_str(t);
                if *after && rng.chance(0.7) {
                    let n = 1 + rng.below(6);
                    s.push_str(&random_text(rng, n));
                }
                text(rng, s)
            }
            (Kind::Text, Some(Hint::Regex(r))) => {
                let s = sample_regex(rng, r).unwrap_or_else(|| junk_text(rng));
                text(rng, s)
            }
            (Kind::Text, Some(Hint::Len(n))) => {
                let n = (n + rng.below(3)).saturating_sub(1);
                Json::String(random_text(rng, n))
            }
            (Kind::Text | Kind::Ip, Some(Hint::Cidr(b))) => Json::String(cidr_ip(rng, b)),
            (Kind::Int, Some(Hint::Int(n))) | (Kind::Text, Some(Hint::Int(n))) => {
                let n = match rng.below(4) {
                    0 => n.saturating_sub(1),
                    1 => n.saturating_add(1),
                    _ => *n,
                };
                // Numbers as Elasticsearch would coerce them: numeric strings, and
                // integral floats (`7.0`).
                match rng.below(20) {
                    0 => Json::String(n.to_string()),
                    1 => Json::String(format!(" {n}.0")),
                    2 => Json::from(n as f64),
                    _ => Json::from(n),
                }
            }
            (Kind::Int, Some(Hint::Float(x))) => {
                let x = if rng.chance(0.5) { x.floor() } else { x.ceil() };
                Json::from(x as i64)
            }
            (Kind::Float | Kind::Text, Some(Hint::Float(x))) => {
                let x = x + [-0.5, 0.0, 0.0, 0.5][rng.below(4)];
                Json::from(x)
            }
            (Kind::Float, Some(Hint::Int(n))) => {
                Json::from(*n as f64 + 0.5 * rng.below(3) as f64 - 0.5)
            }
            (Kind::Bool | Kind::Text, Some(Hint::Bool(b))) => match rng.below(20) {
                0 | 1 => Json::String(b.to_string()),
                2 => Json::String(String::new()),
                _ => Json::Bool(*b),
            },
            (Kind::Ip, Some(Hint::Text(s))) => Json::String(s.clone()),
            (Kind::Ip, Some(Hint::Pattern(p))) => {
                let s: String = p
                    .chars()
                    .map(|c| match c {
                        '*' | '?' => char::from(b'0' + rng.below(10) as u8),
                        c => c,
                    })
                    .collect();
                match eqlc_runtime::cidr::parse_ip(&s) {
                    Some(_) => Json::String(s),
                    None => Json::String(random_ip(rng)),
                }
            }
            (Kind::Text, _) => Json::String(junk_text(rng)),
            (Kind::Int, _) => Json::from(rng.below(70_000) as i64 - 5),
            (Kind::Float, _) => Json::from(rng.below(10_000) as f64 / 7.0),
            (Kind::Bool, _) => Json::Bool(rng.chance(0.5)),
            (Kind::Ip, _) => Json::String(random_ip(rng)),
        }
    }

    /// One value (or `None`: leave the field out) for a field of the target rule: mostly
    /// from the rule's own hints (those in positive position first), sometimes another
    /// rule's, junk or `null`.
    fn field_value(rng: &mut Rng, spec: &FieldSpec, pos: &[Hint], neg: &[Hint]) -> Option<Json> {
        let own = |rng: &mut Rng| -> Option<&Hint> {
            match (pos.is_empty(), neg.is_empty()) {
                (false, true) => Some(rng.pick(pos)),
                (false, false) if rng.chance(0.8) => Some(rng.pick(pos)),
                (_, false) if rng.chance(0.6) => Some(rng.pick(neg)),
                _ => None,
            }
        };
        let r = rng.below(100);
        let hint = match r {
            0..=7 => return None,
            8..=11 => return Some(Json::Null),
            12..=19 => None,
            20..=29 if !spec.pool.is_empty() => Some(rng.pick(&spec.pool)),
            _ => own(rng),
        };
        if hint.is_none() && pos.is_empty() && !neg.is_empty() && rng.chance(0.5) {
            return None;
        }
        Some(value(rng, spec.kind, hint))
    }

    /// A scalar, or for multi-valued fields (and rarely others) an array of 1–4 values
    /// (`null` elements included).
    fn field_values(rng: &mut Rng, spec: &FieldSpec, pos: &[Hint], neg: &[Hint]) -> Option<Json> {
        let array = if spec.multi {
            rng.chance(0.6)
        } else {
            rng.chance(0.05)
        };
        if !array {
            return field_value(rng, spec, pos, neg);
        }
        let n = 1 + rng.below(4);
        let items: Vec<Json> = (0..n)
            .filter_map(|_| field_value(rng, spec, pos, neg))
            .collect();
        if items.is_empty() && rng.chance(0.5) {
            return None;
        }
        Some(Json::Array(items))
    }

    /// The value of field `p` for an event aimed at a match ([`Aim`]): every value the
    /// chosen leaves need (an array when there are several), something when it must be
    /// present, mostly nothing when it should be absent; fields off the chosen path get
    /// [`field_values`] half of the time.
    fn aimed_values(
        rng: &mut Rng,
        spec: &FieldSpec,
        a: &Aim<'_>,
        p: &str,
        pos: &[Hint],
        neg: &[Hint],
    ) -> Option<Json> {
        if let Some(hints) = a.must.get(p) {
            let mut vals: Vec<Json> = hints
                .iter()
                .map(|h| value(rng, spec.kind, Some(h)))
                .collect();
            if spec.multi && rng.chance(0.3) {
                vals.push(value(rng, spec.kind, None));
            }
            return Some(if vals.len() == 1 && !(spec.multi && rng.chance(0.3)) {
                vals.pop().expect("one")
            } else {
                Json::Array(vals)
            });
        }
        if a.present.contains(p) {
            return Some(value(rng, spec.kind, None));
        }
        if a.absent.contains(p) {
            return rng.chance(0.15).then(|| value(rng, spec.kind, None));
        }
        if rng.chance(0.5) {
            field_values(rng, spec, pos, neg)
        } else {
            None
        }
    }

    /// Related text for fields one call reads together.
    fn linked(rng: &mut Rng, base: &str, kind: Kind) -> Json {
        if kind == Kind::Ip {
            return Json::String(if rng.chance(0.6) {
                base.to_string()
            } else {
                random_ip(rng)
            });
        }
        let s = match rng.below(10) {
            0..=3 => base.to_string(),
            4 | 5 => format!("{base}$"),
            6 => format!("{base}."),
            7 => format!("{base}.{}", random_text(rng, 3)),
            8 => base.chars().take(base.chars().count() / 2).collect(),
            _ => junk_text(rng),
        };
        Json::String(flip_case(rng, &s))
    }

    /// Put `v` at dotted `path` in nested objects; `false` when it collides with a value
    /// or object already there.
    fn put(obj: &mut Map<String, Json>, path: &str, v: Json) -> bool {
        let mut cur = obj;
        let mut parts = path.split('.').peekable();
        while let Some(seg) = parts.next() {
            if parts.peek().is_none() {
                if cur.contains_key(seg) {
                    return false;
                }
                cur.insert(seg.to_string(), v);
                return true;
            }
            let next = cur
                .entry(seg.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            match next {
                Json::Object(m) => cur = m,
                _ => return false,
            }
        }
        false
    }

    /// The schema tables: types and which fields are usually multi-valued.
    fn load_schema(shared: &Path) -> (Schema, HashSet<String>) {
        let dir = shared.join("schema");
        let mut schema = Schema::load(&dir.join("ecs-flat.json")).expect("ecs-flat.json");
        schema.extend(Schema::load(&dir.join("corpus-fields.json")).expect("corpus-fields.json"));
        let mut multi = HashSet::new();
        for f in ["ecs-flat-detail.json", "corpus-fields.json"] {
            let text = std::fs::read_to_string(dir.join(f)).expect("schema table");
            let v: Json = serde_json::from_str(&text).expect("schema JSON");
            for (k, d) in v.as_object().expect("object") {
                if d["array"] == Json::Bool(true) {
                    multi.insert(k.clone());
                }
            }
        }
        (schema, multi)
    }

    /// The corpus as `eqlc build` checks it, and what the generator knows of its event
    /// rules.
    struct Corpus {
        checked: eqlc::build::Checked,
        /// The checked IR of every rule (same order as `checked.rules`).
        queries: Vec<eqlc::ir::Query>,
        /// Rule index by `rule_id`.
        by_id: HashMap<String, usize>,
        /// The event rules.
        gens: Vec<RuleGen>,
        /// Every field the event rules read.
        specs: HashMap<String, FieldSpec>,
        /// The keys of `specs`, sorted.
        fields: Vec<String>,
        /// Every category an event rule names.
        categories: Vec<String>,
        /// Time between two events, in seconds: the largest `interval` of any rule.
        spacing_s: i64,
    }

    impl Corpus {
        fn load(shared: &Path) -> Corpus {
            let dirs = [
                shared.join("corpus/detection-rules/rules"),
                shared.join("corpus/detection-rules/rules_building_block"),
            ];
            let checked = eqlc::build::load_and_check(&dirs).expect("load the corpus");
            assert!(checked.invalid.is_empty(), "{}", checked.invalid.join("\n"));
            let queries: Vec<eqlc::ir::Query> = checked
                .rules
                .iter()
                .map(|r| r.check().expect("checks"))
                .collect();
            let by_id: HashMap<String, usize> = checked
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| (r.info.rule_id.clone(), i))
                .collect();
            assert_eq!(by_id.len(), checked.rules.len(), "rule ids are unique");

            // Throttling can never suppress an event-rule alert when every window of
            // every rule holds at most one event (an event rule alerts at most once per
            // event, and every rule allows at least one alert per window).
            let spacing_ns = checked
                .rules
                .iter()
                .map(|r| r.info.interval_ns)
                .max()
                .expect("rules");
            assert!(checked.rules.iter().all(|r| r.info.max_signals >= 1));
            let spacing_s = i64::try_from(spacing_ns.div_ceil(1_000_000_000)).expect("spacing");

            let (schema, multi) = load_schema(shared);
            let mut gens = Vec::new();
            for (i, q) in queries.iter().enumerate() {
                let Body::Event(stage) = &q.body else {
                    continue;
                };
                if !q.pipes.is_empty() {
                    continue;
                }
                let mut w = Walk {
                    schema: &schema,
                    fields: Vec::new(),
                    links: Vec::new(),
                };
                w.walk(&stage.condition, false);
                w.fields
                    .retain(|(p, ..)| p != "event.id" && p != "@timestamp");
                gens.push(RuleGen {
                    rule: i,
                    category: match &stage.category {
                        Category::Any => None,
                        Category::Named(c) => Some(c.clone()),
                    },
                    category_field: q.category_field.path.clone(),
                    fields: w.fields,
                    links: w.links,
                    plan: plan_of(&stage.condition, &schema),
                });
            }
            let mut specs: HashMap<String, FieldSpec> = HashMap::new();
            for g in &gens {
                for (p, pos, neg) in &g.fields {
                    let s = specs.entry(p.clone()).or_insert_with(|| FieldSpec {
                        kind: kind_of(&schema, p),
                        multi: multi.contains(p),
                        pool: Vec::new(),
                    });
                    s.pool.extend(pos.iter().chain(neg).cloned());
                }
            }
            let mut fields: Vec<String> = specs.keys().cloned().collect();
            fields.sort();
            let categories: Vec<String> = gens
                .iter()
                .filter_map(|g| g.category.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            Corpus {
                checked,
                queries,
                by_id,
                gens,
                specs,
                fields,
                categories,
                spacing_s,
            }
        }

        /// A rule's file, relative to the corpus folder.
        fn file(&self, rule: usize) -> &str {
            let o = self.checked.rules[rule].info.origin.as_str();
            o.rfind("detection-rules/").map_or(o, |i| &o[i + 16..])
        }

        /// Event `n` (one NDJSON line), aimed at event rule `g`.
        fn event(&self, rng: &mut Rng, g: &RuleGen, n: usize) -> String {
            let specs = &self.specs;
            let mut flat: Vec<(String, Json)> = Vec::new();
            // Case flips on every text value of 40% of the events, a tenth of the others.
            rng.flip = if rng.chance(0.4) { 0.4 } else { 0.04 };
            if rng.chance(0.65) {
                // Aimed at a match: one way through the condition.
                let mut a = Aim::default();
                aim(rng, &g.plan, true, &mut a);
                for (p, pos, neg) in &g.fields {
                    if let Some(v) = aimed_values(rng, &specs[p], &a, p, pos, neg) {
                        flat.push((p.clone(), v));
                    }
                }
            } else {
                for (p, pos, neg) in &g.fields {
                    if let Some(v) = field_values(rng, &specs[p], pos, neg) {
                        flat.push((p.clone(), v));
                    }
                }
            }
            for link in &g.links {
                let numeric =
                    |p: &String| matches!(specs[p].kind, Kind::Int | Kind::Float | Kind::Bool);
                if !rng.chance(0.6) || link.iter().any(numeric) {
                    continue;
                }
                let ip = link.iter().any(|p| specs[p].kind == Kind::Ip);
                let base = match flat.iter().find(|(p, _)| link.contains(p)) {
                    _ if ip => random_ip(rng),
                    Some((_, Json::String(s))) => s.clone(),
                    _ => junk_text(rng),
                };
                flat.retain(|(p, _)| !link.contains(p));
                for p in link {
                    flat.push((p.clone(), linked(rng, &base, specs[p].kind)));
                }
            }
            // A few fields other rules read.
            for _ in 0..rng.below(4) {
                let p = rng.pick(&self.fields);
                if p == "event.id" || p == "@timestamp" || flat.iter().any(|(q, _)| q == p) {
                    continue;
                }
                if let Some(v) = field_values(rng, &specs[p], &[], &[]) {
                    flat.push((p.clone(), v));
                }
            }
            // The category (merged with the condition's own values of that field).
            let cat = match &g.category {
                Some(c) if rng.chance(0.02) => Some(c.to_ascii_uppercase()),
                Some(c) if rng.chance(0.97) => Some(c.clone()),
                _ if rng.chance(0.8) => Some(rng.pick(&self.categories).clone()),
                _ => None,
            };
            if let Some(c) = cat {
                let mut vals = vec![Json::String(c)];
                if rng.chance(0.1) {
                    vals.push(Json::String(rng.pick(&self.categories).clone()));
                }
                if let Some(k) = flat.iter().position(|(p, _)| *p == g.category_field) {
                    match flat.remove(k).1 {
                        Json::Array(a) => vals.extend(a),
                        v => vals.push(v),
                    }
                }
                let v = if vals.len() == 1 {
                    vals.pop().expect("one")
                } else {
                    Json::Array(vals)
                };
                flat.push((g.category_field.clone(), v));
            }
            let mut obj = Map::new();
            let ts = START_S + n as i64 * self.spacing_s;
            let ms = (n % 1000) as u32;
            let mut text = String::new();
            let ns = ts * 1_000_000_000 + i64::from(ms) * 1_000_000;
            eqlc_runtime::time::format_rfc3339(ns, &mut text).expect("format a time");
            obj.insert("@timestamp".into(), Json::String(text));
            put(&mut obj, "event.id", Json::String(format!("e{n}")));
            for (p, v) in flat {
                put(&mut obj, &p, v);
            }
            serde_json::to_string(&Json::Object(obj)).expect("JSON")
        }

        /// Run the detector on `input`: the (rule, event number) pairs of its event-rule
        /// alerts, and the pairs alerted more than once. Asserts a clean summary: no bad
        /// line, no suppressed alert.
        fn detect(&self, detector: &Path, input: &Path) -> (BTreeSet<(usize, usize)>, Vec<String>) {
            let out = Command::new(detector)
                .args(["--format", "ndjson"])
                .arg(input)
                .output()
                .expect("run the corpus detector");
            let summary = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "detector failed: {summary}");
            let count_after = |label: &str| -> u64 {
                let line = summary
                    .lines()
                    .find(|l| l.contains(label))
                    .unwrap_or_else(|| panic!("no `{label}` in the summary:\n{summary}"));
                let rest = &line[line.find(label).expect("label") + label.len()..];
                let digits: String = rest
                    .trim_start()
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().expect("a count")
            };
            assert_eq!(count_after("bad lines:"), 0, "bad lines:\n{summary}");
            assert_eq!(
                count_after("suppressed by max_signals:"),
                0,
                "suppressed alerts:\n{summary}"
            );
            let is_event_rule: HashSet<usize> = self.gens.iter().map(|g| g.rule).collect();
            let mut got = BTreeSet::new();
            let mut duplicates = Vec::new();
            for line in String::from_utf8(out.stdout).expect("utf-8").lines() {
                let a: Json = serde_json::from_str(line).expect("alert is JSON");
                let id = a["kibana.alert.rule.rule_id"].as_str().expect("rule id");
                let rule = *self.by_id.get(id).expect("a corpus rule");
                if !is_event_rule.contains(&rule) {
                    continue;
                }
                let events = a["eqlc.events"].as_array().expect("eqlc.events");
                assert_eq!(events.len(), 1, "event rule alert with one event: {line}");
                let eid = events[0]["event"]["id"].as_str().expect("event.id");
                let n: usize = eid[1..].parse().expect("e<n>");
                if !got.insert((rule, n)) {
                    duplicates.push(format!("{id} twice on {eid}"));
                }
            }
            (got, duplicates)
        }

        /// What the interpreter says: the (rule, event number) pairs where an event rule
        /// matches (its category test, then `eqlc::interp::matches`). Field values are
        /// flattened as the detector does (`Event for serde_json::Value`: arrays give
        /// every element, `null` elements are nulls). Two threads.
        fn reference(&self, lines: &[String]) -> BTreeSet<(usize, usize)> {
            let mut paths: BTreeSet<&str> = self.fields.iter().map(String::as_str).collect();
            for g in &self.gens {
                paths.insert(&g.category_field);
            }
            let stages: Vec<(usize, &eqlc::ir::Stage, &str)> = self
                .gens
                .iter()
                .map(|g| {
                    let Body::Event(s) = &self.queries[g.rule].body else {
                        unreachable!("event rules only")
                    };
                    (g.rule, s, g.category_field.as_str())
                })
                .collect();
            let run = |first: usize, lines: &[String]| -> Vec<(usize, usize)> {
                let mut hits = Vec::new();
                for (k, line) in lines.iter().enumerate() {
                    let e: Json = serde_json::from_str(line).expect("event JSON");
                    // owned copies (`Val<'static>`), so that the interpreter can borrow them
                    let mut store: HashMap<&str, Vec<Val<'static>>> = HashMap::new();
                    for p in &paths {
                        let mut vals = Vec::new();
                        e.field_values(p, &mut |v| vals.push(Val::from(v).into_owned()));
                        if !vals.is_empty() {
                            store.insert(p, vals);
                        }
                    }
                    let values = |path: &str| -> Vec<Value<'_>> {
                        store
                            .get(path)
                            .map(|v| v.iter().map(Val::as_value).collect())
                            .unwrap_or_default()
                    };
                    for &(rule, stage, cat_field) in &stages {
                        if eqlc::interp::stage_matches(stage, cat_field, &values) {
                            hits.push((rule, first + k));
                        }
                    }
                }
                hits
            };
            let (a, b) = lines.split_at(lines.len() / 2);
            std::thread::scope(|s| {
                let first = s.spawn(|| run(0, a));
                let second = run(a.len(), b);
                let first = first.join().expect("reference thread");
                first.into_iter().chain(second).collect()
            })
        }
    }

    /// The first event's time: 2024-01-01T00:00:00Z.
    const START_S: i64 = 1_704_067_200;

    #[test]
    #[ignore = "builds the 1,024-rule corpus detector (release); CI runs it with --ignored"]
    fn event_rules_agree_with_the_interpreter() {
        let Some(shared) = shared_dir() else {
            return;
        };
        let detector = corpus_detector(&shared);
        let t0 = Instant::now();
        let corpus = Corpus::load(&shared);
        let gens = &corpus.gens;

        // Events, each aimed at a random event rule.
        let events = setting("EQLC_DIFF_EVENTS", EVENTS);
        let seed = setting("EQLC_DIFF_SEED", SEED);
        let mut rng = Rng {
            state: seed,
            flip: 0.0,
        };
        let mut lines: Vec<String> = Vec::with_capacity(events);
        let mut targets: Vec<usize> = Vec::with_capacity(events);
        for n in 0..events {
            let g = &gens[rng.below(gens.len())];
            targets.push(g.rule);
            lines.push(corpus.event(&mut rng, g, n));
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-differential");
        std::fs::create_dir_all(&dir).expect("create output folder");
        let input = dir.join("events.ndjson");
        std::fs::write(&input, lines.join("\n") + "\n").expect("write events");
        let gen_time = t0.elapsed();

        let t1 = Instant::now();
        let (got, duplicates) = corpus.detect(detector, &input);
        let det_time = t1.elapsed();
        let t2 = Instant::now();
        let expected = corpus.reference(&lines);
        let ref_time = t2.elapsed();

        // Coverage.
        let fired: BTreeSet<usize> = expected.iter().map(|&(r, _)| r).collect();
        let targeted: BTreeSet<usize> = targets.iter().copied().collect();
        let on_target: Vec<(usize, usize)> = targets
            .iter()
            .copied()
            .enumerate()
            .map(|(n, r)| (r, n))
            .filter(|x| expected.contains(x))
            .collect();
        let hit_when_targeted: BTreeSet<usize> = on_target.iter().map(|&(r, _)| r).collect();
        eprintln!(
            "corpus differential: {events} events (seed {seed:#x}), {} event rules ({} targeted), \
             {} rules fired, {} expected alerts ({} on the targeted rule), {} rules matched \
             their own events; generation {gen_time:.1?}, detector {det_time:.1?}, \
             interpreter {ref_time:.1?}",
            gens.len(),
            targeted.len(),
            fired.len(),
            expected.len(),
            on_target.len(),
            hit_when_targeted.len(),
        );
        let never: Vec<&str> = gens
            .iter()
            .filter(|g| !fired.contains(&g.rule))
            .map(|g| corpus.file(g.rule))
            .collect();
        eprintln!(
            "corpus differential: {} event rules never fired: {never:?}",
            never.len()
        );

        // Differences, all written to a file, the first 20 in the failure message.
        let missed = expected
            .difference(&got)
            .map(|x| ("interpreter matches, detector gave no alert", x));
        let extra = got
            .difference(&expected)
            .map(|x| ("detector alerted, interpreter does not match", x));
        let diffs: Vec<(&str, usize, usize)> =
            missed.chain(extra).map(|(w, &(r, n))| (w, r, n)).collect();
        let entries: Vec<String> = diffs
            .iter()
            .map(|&(which, rule, n)| {
                let r = &corpus.checked.rules[rule];
                format!(
                    "\n{which}: rule {} ({})\n  query: {}\n  event: {}\n",
                    r.info.rule_id,
                    corpus.file(rule),
                    r.query.trim(),
                    lines[n]
                )
            })
            .collect();
        let report_file = dir.join("differences.txt");
        std::fs::write(&report_file, entries.concat()).expect("write the differences");
        let first = entries[..entries.len().min(20)].concat();
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for &(_, rule, _) in &diffs {
            *by_rule.entry(corpus.file(rule)).or_default() += 1;
        }
        assert!(
            diffs.is_empty() && duplicates.is_empty(),
            "{} differences ({} interpreter-only, {} detector-only) in {} rules: {by_rule:?}\
             \nduplicate alerts: {duplicates:?}\nall of them in {}; the first 20:{first}",
            diffs.len(),
            expected.difference(&got).count(),
            got.difference(&expected).count(),
            by_rule.len(),
            report_file.display(),
        );

        // Not vacuous: nearly every event rule fires, on events aimed at it.
        assert!(
            fired.len() * 10 >= gens.len() * 9,
            "only {} of {} event rules fired on the generated events",
            fired.len(),
            gens.len()
        );
        assert!(
            hit_when_targeted.len() * 10 >= targeted.len() * 9,
            "only {} of {} targeted event rules matched an event generated for them",
            hit_when_targeted.len(),
            targeted.len()
        );
        assert!(
            on_target.len() * 4 >= events,
            "only {} of {events} events matched the rule they were generated for",
            on_target.len()
        );
    }
}

//! Runs Elasticsearch's `sequences.series-spec` (pure state-machine specs, see
//! `shared/conformance/README.md`) through [`SequenceEngine`].
//!
//! Data location: `$EQLC_SHARED` or `$CARGO_MANIFEST_DIR/../../shared`. When neither
//! exists the test fails if `CI=true`, otherwise it prints how to set `EQLC_SHARED` and
//! passes vacuously.

use eqlc_runtime::sequence::{SequenceEngine, SequenceSpec, StageInput, StageSpec};
use eqlc_runtime::{EventRef, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

const REL: &str = "conformance/elasticsearch/unit/sequences.series-spec";

fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("EQLC_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    if dir.join(REL).is_file() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "conformance data not found at {} (set EQLC_SHARED to the shared/ directory)",
            dir.join(REL).display()
        );
    }
    eprintln!(
        "skipping: {} not found; set EQLC_SHARED=/path/to/shared to run this test",
        dir.join(REL).display()
    );
    None
}

#[derive(Debug)]
struct Spec {
    name: String,
    /// Per stage line: the events (number, key) matching it.
    stages: Vec<Vec<(u64, Option<String>)>>,
    /// Expected sequences: key (if written) and event numbers.
    expected: Vec<(Option<String>, Vec<u64>)>,
}

/// `[key|]Label<number>` → (key, number).
fn parse_token(tok: &str) -> (Option<String>, u64) {
    let (key, rest) = match tok.split_once('|') {
        Some((k, r)) => (Some(k.to_string()), r),
        None => (None, tok),
    };
    let digits = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
    assert!(!digits.is_empty(), "token without a number: {tok:?}");
    (key, digits.parse().unwrap())
}

fn parse(text: &str) -> Vec<Spec> {
    let mut specs = Vec::new();
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"));
    while let Some(name) = lines.next() {
        let mut stages = Vec::new();
        for l in lines.by_ref() {
            if l == ";" {
                break;
            }
            stages.push(
                l.split_whitespace()
                    .map(|t| {
                        let (k, n) = parse_token(t);
                        (n, k)
                    })
                    .collect(),
            );
        }
        let mut expected = Vec::new();
        for l in lines.by_ref() {
            if l == ";" {
                break;
            }
            let toks: Vec<_> = l.split_whitespace().map(parse_token).collect();
            expected.push((toks[0].0.clone(), toks.iter().map(|t| t.1).collect()));
        }
        specs.push(Spec {
            name: name.to_string(),
            stages,
            expected,
        });
    }
    specs
}

struct Input<'a> {
    stages: &'a [usize],
    key: Option<&'a str>,
}

impl StageInput for Input<'_> {
    fn matches(&self, f: usize) -> bool {
        self.stages.contains(&f)
    }
    fn key_values(&self, _f: usize, _k: usize, out: &mut dyn FnMut(Value<'_>)) {
        if let Some(k) = self.key {
            out(Value::Str(k));
        }
    }
    fn key_optional(&self, _f: usize, _k: usize) -> bool {
        false
    }
}

fn run(spec: &Spec) -> Vec<(Option<String>, Vec<u64>)> {
    let keyed = spec.stages.iter().flatten().any(|(_, k)| k.is_some());
    let stages: &'static [StageSpec] = Box::leak(
        (0..spec.stages.len())
            .map(|i| StageSpec {
                filter: i,
                missing: false,
            })
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let seq = SequenceSpec {
        stages,
        keys: usize::from(keyed),
        maxspan: None,
        until_filter: None,
    };
    // event number -> (stages, key)
    let mut events: BTreeMap<u64, (Vec<usize>, Option<String>)> = BTreeMap::new();
    for (i, line) in spec.stages.iter().enumerate() {
        for (n, k) in line {
            let e = events.entry(*n).or_default();
            e.0.push(i);
            if k.is_some() {
                e.1 = k.clone();
            }
        }
    }
    let mut engine = SequenceEngine::new(&seq, 64);
    let mut got = Vec::new();
    let mut collect = |m: eqlc_runtime::sequence::SequenceMatch<'_>| {
        let key = m.key.get(0).and_then(|v| v.as_str()).map(str::to_string);
        got.push((key, m.events.iter().map(|e| e.unwrap().handle).collect()));
    };
    for (n, (st, key)) in &events {
        let input = Input {
            stages: st,
            key: key.as_deref(),
        };
        engine.on_event(
            EventRef {
                handle: *n,
                ts: *n as i64,
            },
            &input,
            &mut collect,
        );
    }
    engine.flush(&mut collect);
    got
}

#[test]
fn series_spec() {
    let Some(dir) = shared_dir() else { return };
    let text = std::fs::read_to_string(dir.join(REL)).unwrap();
    let specs = parse(&text);
    assert_eq!(specs.len(), 25, "expected 25 specs in {REL}");
    let mut failures = Vec::new();
    for spec in &specs {
        let got = run(spec);
        let ok = got.len() == spec.expected.len()
            && got
                .iter()
                .zip(&spec.expected)
                .all(|(g, e)| g.1 == e.1 && (e.0.is_none() || g.0 == e.0));
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                spec.name, spec.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} specs failed:\n{}",
        failures.len(),
        specs.len(),
        failures.join("\n")
    );
    eprintln!("{} series specs passed", specs.len());
}

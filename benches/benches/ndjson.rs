//! `ndjson_e2e`: the detector loop over NDJSON bytes (decode only the fields the pack
//! reads, match, write alerts) beside
//!
//! * `baseline_serde_matcher`: the seed rule matched by hand over serde_json parsing of
//!   each line into a borrowed struct ([`eqlc_benches::serde_matcher`]), checked to find
//!   the detector's alerts before timing — the baseline of the goal (issue 5: ≥ 2× its
//!   throughput);
//! * `baseline_parse`: plain serde_json parsing of the same bytes into a borrowed struct,
//!   no matching at all.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::borrow::Cow;
use std::io;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use eqlc_benches::serde_matcher;
use eqlc_benches::stream::ndjson;
use eqlc_detector::detector::{Detector, Options};
use eqlc_rules::Bundled;
use serde::Deserialize;

#[global_allocator]
static ALLOC: eqlc_benches::alloc::Counting = eqlc_benches::alloc::Counting;

/// The fields the seed rule reads, as a hand-written serde model would declare them.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Doc<'a> {
    #[serde(rename = "@timestamp", borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow, default)]
    event: Option<EventF<'a>>,
    #[serde(borrow, default)]
    host: Option<Host<'a>>,
    #[serde(borrow, default)]
    process: Option<Process<'a>>,
    #[serde(borrow, default)]
    destination: Option<Dest<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct EventF<'a> {
    #[serde(borrow, default)]
    category: Vec<Cow<'a, str>>,
    #[serde(borrow, default, rename = "type")]
    kind: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    action: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Host<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    os: Option<Os<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Os<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Process<'a> {
    #[serde(borrow, default)]
    entity_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    args: Vec<Cow<'a, str>>,
    #[serde(default)]
    args_count: Option<i64>,
    #[serde(borrow, default)]
    parent: Option<Parent<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Parent<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Dest<'a> {
    #[serde(borrow, default)]
    ip: Option<Cow<'a, str>>,
}

fn detect(bytes: &[u8]) -> u64 {
    let mut d = Detector::new(Bundled::new(), Options::default(), io::sink(), io::sink());
    d.feed(bytes);
    d.finish()
        .expect("writing to a sink cannot fail")
        .total_alerts()
}

fn parse(bytes: &[u8]) -> usize {
    let mut n = 0;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let doc: Doc<'_> = serde_json::from_slice(line).expect("generator writes JSON");
        n += black_box(&doc).process.is_some() as usize;
    }
    n
}

fn e2e(c: &mut Criterion) {
    let bytes = ndjson(20_000, 40, 3);
    let events = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    println!(
        "ndjson_e2e: {} events, {:.0} bytes per event",
        events,
        bytes.len() as f64 / events as f64
    );
    let alerts = detect(&bytes);
    assert!(alerts >= 40, "the planted shells alert");
    assert_eq!(
        serde_matcher::count_alerts(&bytes),
        alerts,
        "the serde baseline finds the detector's alerts"
    );

    let mut g = c.benchmark_group("ndjson_e2e");
    g.throughput(Throughput::Elements(events));
    g.bench_function("eqlc_detector", |b| b.iter(|| black_box(detect(&bytes))));
    g.bench_function("baseline_serde_matcher", |b| {
        b.iter(|| black_box(serde_matcher::count_alerts(&bytes)))
    });
    g.bench_function("baseline_parse", |b| b.iter(|| black_box(parse(&bytes))));
    g.finish();
}

criterion_group!(benches, e2e);
criterion_main!(benches);

//! `corpus_pack`: the whole detection-rules corpus (1,024 rules) compiled as one pack by
//! the build script, run by the detector loop over a generated mixed stream (Linux,
//! Windows and macOS events, ~1.4 KB each), beside the seed-only pack (`eqlc-rules`) over
//! the same bytes in the same run. Prints events/s of both and their ratio.
//!
//! Allocations per event (warm): a corpus pack is warmed up on the first
//! [`WARM_EVENTS`] events of a longer generated stream (same generator settings), then
//! every allocation made while it matches the next 20,000 events of that same stream is
//! counted (pre-decoded, so only matching is measured). The measured events continue the
//! stream: later timestamps, new process entities, as a detector sees them; the warm-up
//! is long enough for every sequence rule's state to stop growing (rules without
//! `maxspan` keep every key until their capacity is full, which on this stream takes
//! ~150,000 events). The benchmark fails if that count is not 0.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::io;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eqlc_benches::stream::{run_decoded, warm_up};
use eqlc_detector::detector::{Detector, Options};
use eqlc_detector::gen::{generate, GenConfig, OsMix};
use eqlc_rules::Bundled;
use eqlc_runtime::RulePack;

#[global_allocator]
static ALLOC: eqlc_benches::alloc::Counting = eqlc_benches::alloc::Counting;

#[allow(clippy::all, missing_docs, unused, unused_qualifications)]
mod corpus {
    include!(concat!(env!("OUT_DIR"), "/corpus_pack.rs"));
}

/// Events of the warm-up before allocations are counted (see the module docs).
const WARM_EVENTS: u64 = 200_000;

fn mixed_cfg(n: u64) -> GenConfig {
    GenConfig {
        events: n,
        seed: 11,
        shells: 20,
        near_misses: 20,
        hosts: 200,
        os: OsMix::Mixed,
        ..GenConfig::default()
    }
}

fn mixed(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(&mixed_cfg(n), &mut out, None).expect("writing to a Vec cannot fail");
    out
}

/// Pending partials over all rules: `eqlc-detect --max-pending 200000` (a fifth of the
/// default), so that the sequence rules without `maxspan`, which keep every key until
/// their share is full, fill it within the warm-up (see the module docs).
const MAX_PENDING: usize = 200_000;

/// The corpus pack sized as `eqlc-detect` sizes it (`--max-pending` split among the rules
/// that keep state).
fn corpus_pack_new() -> corpus::Pack {
    let n = corpus::Pack::with_capacity(1).stateful_rules().max(1);
    corpus::Pack::with_capacity(MAX_PENDING / n)
}

/// The seed-only pack, sized the same way.
fn seed_pack_new() -> Bundled {
    Bundled::with_capacity(MAX_PENDING)
}

fn detect<P: RulePack>(pack: P, bytes: &[u8]) -> u64 {
    let mut d = Detector::new(pack, Options::default(), io::sink(), io::sink());
    d.feed(bytes);
    d.finish()
        .expect("writing to a sink cannot fail")
        .total_alerts()
}

fn corpus_pack(c: &mut Criterion) {
    let n_rules = corpus::Pack::with_capacity(1).rules().len();
    if n_rules == 0 {
        println!("corpus_pack: skipped (no corpus at build time; set EQLC_SHARED)");
        return;
    }
    let bytes = mixed(20_000);
    let events = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    println!(
        "corpus_pack: {n_rules} rules, {events} mixed events, {:.0} bytes per event",
        bytes.len() as f64 / events as f64
    );
    let corpus_alerts = detect(corpus_pack_new(), &bytes);
    let seed_alerts = detect(seed_pack_new(), &bytes);
    println!("corpus_pack: alerts: corpus {corpus_alerts}, seed only {seed_alerts}");

    // events/s of one pass each, interleaved, best of 5 (printed beside criterion's figures)
    let (mut best_c, mut best_s) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        let t = Instant::now();
        detect(corpus_pack_new(), &bytes);
        best_c = best_c.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        detect(seed_pack_new(), &bytes);
        best_s = best_s.min(t.elapsed().as_secs_f64());
    }
    let (rc, rs) = (events as f64 / best_c, events as f64 / best_s);
    println!(
        "corpus_pack: corpus {:.0} events/s, seed only {:.0} events/s (corpus at {:.2}x the seed-only rate)",
        rc,
        rs,
        rc / rs
    );

    // Matching only (events decoded beforehand), and allocations per event once warm:
    // WARM_EVENTS of a stream, then the next `events` of the same stream (module docs).
    let mut pack = corpus_pack_new();
    let t = Instant::now();
    let cont = warm_up(&mut pack, &mixed_cfg(events), WARM_EVENTS, events);
    println!(
        "corpus_pack: warm-up on {WARM_EVENTS} events ({} alerts) in {:.1} s",
        cont.warm_alerts,
        t.elapsed().as_secs_f64()
    );
    let before = eqlc_benches::alloc::allocations();
    let t = Instant::now();
    let alerts = run_decoded(&mut pack, &cont.events, cont.first_handle);
    let secs = t.elapsed().as_secs_f64();
    let allocs = eqlc_benches::alloc::allocations() - before;
    let per_event = allocs as f64 / cont.events.len() as f64;
    println!(
        "corpus_pack: matching only {:.0} events/s; allocations per event (warm: after \
         {WARM_EVENTS} events, over the next {} of the stream, {alerts} alerts): {per_event}",
        cont.events.len() as f64 / secs,
        cont.events.len()
    );
    assert_eq!(
        allocs,
        0,
        "the corpus pack allocated {allocs} times matching {} events once warm",
        cont.events.len()
    );
    drop(pack);

    let mut g = c.benchmark_group("corpus_pack");
    g.throughput(Throughput::Elements(events));
    g.bench_function("corpus_1024_rules", |b| {
        b.iter(|| detect(corpus_pack_new(), &bytes))
    });
    g.bench_function("seed_only", |b| b.iter(|| detect(seed_pack_new(), &bytes)));
    g.finish();
}

criterion_group!(benches, corpus_pack);
criterion_main!(benches);

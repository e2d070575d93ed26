//! `corpus_pack`: the whole detection-rules corpus (1,024 rules) compiled as one pack by
//! the build script, run by the detector loop over a generated mixed stream (Linux,
//! Windows and macOS events, ~1.4 KB each), beside the seed-only pack (`eqlc-rules`) over
//! the same bytes in the same run. Prints events/s of both and their ratio.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::io;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eqlc_benches::stream::{decode, Decoded};
use eqlc_detector::detector::{Detector, Options};
use eqlc_detector::gen::{generate, GenConfig, OsMix};
use eqlc_rules::Bundled;
use eqlc_runtime::{EventRef, RulePack};

#[global_allocator]
static ALLOC: eqlc_benches::alloc::Counting = eqlc_benches::alloc::Counting;

#[allow(clippy::all, missing_docs, unused, unused_qualifications)]
mod corpus {
    include!(concat!(env!("OUT_DIR"), "/corpus_pack.rs"));
}

fn mixed(n: u64) -> Vec<u8> {
    let cfg = GenConfig {
        events: n,
        seed: 11,
        shells: 20,
        near_misses: 20,
        hosts: 200,
        os: OsMix::Mixed,
        ..GenConfig::default()
    };
    let mut out = Vec::new();
    generate(&cfg, &mut out, None).expect("writing to a Vec cannot fail");
    out
}

/// Pending partials over all rules, as the detector's `--max-pending` default.
const MAX_PENDING: usize = 1_000_000;

/// The corpus pack sized as `eqlc-detect` sizes it (`--max-pending` / number of rules).
fn corpus_pack_new() -> corpus::Pack {
    let n = corpus::Pack::with_capacity(1).rules().len().max(1);
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

/// Match pre-decoded events (no decoding, no output): alerts.
fn run_decoded<P: RulePack>(pack: &mut P, events: &[Decoded]) -> u64 {
    let mut n = 0u64;
    for (i, e) in events.iter().enumerate() {
        let view = e.slots.view("");
        pack.on_event(
            &view,
            EventRef {
                handle: i as u64,
                ts: e.ts,
            },
            &mut |_| n += 1,
        );
    }
    n
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

    // Matching only (events decoded beforehand), and allocations per event once warm.
    let decoded = decode(&bytes, corpus::Pack::with_capacity(1).fields());
    let mut pack = corpus_pack_new();
    run_decoded(&mut pack, &decoded);
    let before = eqlc_benches::alloc::allocations();
    let t = Instant::now();
    run_decoded(&mut pack, &decoded);
    let secs = t.elapsed().as_secs_f64();
    let per_event = (eqlc_benches::alloc::allocations() - before) as f64 / events as f64;
    println!(
        "corpus_pack: matching only {:.0} events/s; allocations per event (warm): {per_event}",
        events as f64 / secs
    );

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

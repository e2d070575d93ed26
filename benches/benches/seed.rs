//! `seed_match` and `seed_stream`: the seed rule, compiled by eqlc, beside a hand-written
//! Rust matcher of the same rule over the same pre-decoded events.
//!
//! Allocations per event (warm): the generated matcher is warmed up on the first
//! [`WARM_EVENTS`] events of a generated stream, then every allocation made while it
//! matches the next 20,000 events of that same stream (later timestamps, new process
//! entities) is counted. The benchmark fails if that count is not 0.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use eqlc_benches::handwritten::{HandMatcher, Slots};
use eqlc_benches::stream::{decode, linux, ndjson, run_decoded, warm_up, Decoded};
use eqlc_rules::Bundled;
use eqlc_runtime::RulePack;

#[global_allocator]
static ALLOC: eqlc_benches::alloc::Counting = eqlc_benches::alloc::Counting;

/// Events of the warm-up before allocations are counted (see the module docs).
const WARM_EVENTS: u64 = 20_000;

fn run_generated(pack: &mut Bundled, events: &[Decoded]) -> u64 {
    run_decoded(pack, events, 0)
}

fn run_hand(m: &mut HandMatcher, slots: &Slots, events: &[Decoded]) -> u64 {
    let mut n = 0u64;
    for (i, e) in events.iter().enumerate() {
        let view = e.slots.view("");
        if m.on_event(&view, slots, e.ts, i as u64).is_some() {
            n += 1;
        }
    }
    n
}

fn seed(c: &mut Criterion) {
    let fields = Bundled::new().fields();
    let events = decode(&ndjson(20_000, 40, 7), fields);
    let slots = Slots::new(fields);

    // Both matchers must agree before their times mean anything.
    let gen_alerts = run_generated(&mut Bundled::new(), &events);
    let hand_alerts = run_hand(&mut HandMatcher::default(), &slots, &events);
    assert_eq!(
        gen_alerts, hand_alerts,
        "generated and hand-written matchers disagree"
    );
    assert!(gen_alerts >= 40, "the planted shells alert ({gen_alerts})");

    // Allocations per event once warm: WARM_EVENTS of a stream, then the next 20,000
    // of the same stream (module docs); must be 0.
    let mut pack = Bundled::new();
    let cont = warm_up(&mut pack, &linux(0, 80, 7), WARM_EVENTS, 20_000);
    let before = eqlc_benches::alloc::allocations();
    let alerts = run_decoded(&mut pack, &cont.events, cont.first_handle);
    let allocs = eqlc_benches::alloc::allocations() - before;
    let per_event = allocs as f64 / cont.events.len() as f64;
    println!(
        "seed_match: allocations per event (generated, warm: after {WARM_EVENTS} events, over \
         the next {} of the stream, {alerts} alerts): {per_event}",
        cont.events.len()
    );
    assert_eq!(
        allocs, 0,
        "the generated matcher allocated {allocs} times once warm"
    );

    let mut g = c.benchmark_group("seed_match");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("eqlc_generated", |b| {
        let mut pack = Bundled::new();
        b.iter(|| black_box(run_generated(&mut pack, &events)))
    });
    g.bench_function("baseline_handwritten", |b| {
        let mut m = HandMatcher::default();
        b.iter(|| black_box(run_hand(&mut m, &slots, &events)))
    });
    g.finish();

    // A larger stream with many hosts and entities.
    let big = decode(&ndjson(100_000, 200, 11), fields);
    let mut g = c.benchmark_group("seed_stream");
    g.throughput(Throughput::Elements(big.len() as u64));
    // A fresh pack per pass: the stream as a detector sees it once, not replayed into
    // state that keeps the previous passes' keys.
    g.bench_function("eqlc_generated", |b| {
        b.iter_batched(
            Bundled::new,
            |mut pack| black_box(run_generated(&mut pack, &big)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, seed);
criterion_main!(benches);

//! `compile`: eqlc's parse + check + plan + generate as plain functions, for the seed
#![allow(missing_docs)] // criterion_group! generates undocumented items
//! rule and for the whole detection-rules corpus (from ../shared), so compile-time
//! regressions show.

use std::path::PathBuf;

use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("EQLC_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    if p.is_dir() {
        Some(p)
    } else if std::env::var("CI").as_deref() == Ok("true") {
        panic!("../shared is missing (set EQLC_SHARED); CI needs the corpus");
    } else {
        eprintln!("compile bench: ../shared not found; set EQLC_SHARED=/path/to/shared for the corpus figure");
        None
    }
}

fn compile(c: &mut Criterion) {
    let seed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules/linux");
    let seed = eqlc::build::load_and_check(&[seed_dir]).expect("seed rule loads");
    let mut g = c.benchmark_group("compile");
    g.bench_function("seed_rule", |b| {
        b.iter(|| {
            black_box(
                eqlc::build::generate_pack_source(&seed.rules)
                    .unwrap()
                    .len(),
            )
        })
    });
    if let Some(shared) = shared() {
        let corpus = shared.join("corpus/detection-rules");
        let dirs = [corpus.join("rules"), corpus.join("rules_building_block")];
        g.sample_size(10);
        g.bench_function("corpus_check", |b| {
            b.iter(|| black_box(eqlc::build::load_and_check(&dirs).unwrap().rules.len()))
        });
        let rules = eqlc::build::load_and_check(&dirs).unwrap().rules;
        g.bench_function("corpus_generate", |b| {
            b.iter(|| black_box(eqlc::build::generate_pack_source(&rules).unwrap().len()))
        });
    }
    g.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);

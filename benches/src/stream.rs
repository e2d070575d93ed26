//! Benchmark data from the project's own deterministic generator.

use eqlc_detector::gen::{generate, GenConfig};
use eqlc_runtime::{Event, SlotBuf};

/// `n` generated Linux events (~1 KB each) with `shells` planted reverse shells, as
/// NDJSON bytes.
pub fn ndjson(n: u64, shells: u32, seed: u64) -> Vec<u8> {
    let cfg = GenConfig {
        events: n,
        seed,
        shells,
        near_misses: shells,
        hosts: 200,
        ..GenConfig::default()
    };
    let mut out = Vec::new();
    generate(&cfg, &mut out, None).expect("writing to a Vec cannot fail");
    out
}

/// One event decoded into slots for a pack's field list, with its timestamp.
pub struct Decoded {
    /// The slot values.
    pub slots: SlotBuf,
    /// `@timestamp` in ns.
    pub ts: i64,
}

/// Decode every line into slots for `fields` (done once, outside the timed loop).
pub fn decode(ndjson: &[u8], fields: &[&str]) -> Vec<Decoded> {
    ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).expect("generator writes JSON");
            let mut slots = SlotBuf::new(fields.len());
            slots.fill_from(&v, fields);
            let ts = v.timestamp().expect("generator writes @timestamp");
            Decoded { slots, ts }
        })
        .collect()
}

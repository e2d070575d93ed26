//! Benchmark data from the project's own deterministic generator.

use std::io;

use eqlc_detector::decode::{Decoder, FieldTrie, FieldType};
use eqlc_detector::gen::{generate, GenConfig};
use eqlc_runtime::{Event, EventRef, RulePack, SlotBuf};

/// `n` generated Linux events (~1 KB each) with `shells` planted reverse shells, as
/// NDJSON bytes.
pub fn ndjson(n: u64, shells: u32, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(&linux(n, shells, seed), &mut out, None).expect("writing to a Vec cannot fail");
    out
}

/// The generator settings of [`ndjson`].
pub fn linux(n: u64, shells: u32, seed: u64) -> GenConfig {
    GenConfig {
        events: n,
        seed,
        shells,
        near_misses: shells,
        hosts: 200,
        ..GenConfig::default()
    }
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

/// Match pre-decoded events with `pack` (no decoding, no output), event handles from
/// `first_handle`: the number of alerts.
pub fn run_decoded<P: RulePack>(pack: &mut P, events: &[Decoded], first_handle: u64) -> u64 {
    let mut n = 0u64;
    for (i, e) in events.iter().enumerate() {
        pack.on_event(
            &e.slots.view(""),
            EventRef {
                handle: first_handle + i as u64,
                ts: e.ts,
            },
            &mut |_| n += 1,
        );
    }
    n
}

/// What [`warm_up`] hands back: the measured continuation of the stream.
pub struct Continuation {
    /// The events after the warm-up, decoded.
    pub events: Vec<Decoded>,
    /// Handle of the first of them (the warm-up events were numbered before it).
    pub first_handle: u64,
    /// Alerts of the warm-up.
    pub warm_alerts: u64,
}

/// Generates one stream of `warm + measured` events (`cfg` with `events` replaced),
/// feeds its first `warm` events to `pack` as they are generated (decoded by the
/// detector's decoder into one reused [`SlotBuf`], nothing kept, handles `0..warm`),
/// and returns the last
/// `measured` events decoded: the continuation of the same stream, with later
/// timestamps and new entities, for measuring a pack that has reached its steady state.
pub fn warm_up<P: RulePack>(
    pack: &mut P,
    cfg: &GenConfig,
    warm: u64,
    measured: u64,
) -> Continuation {
    let fields = pack.fields();
    let mut sink = WarmSink {
        pack,
        decoder: Decoder::new(FieldTrie::new(fields, &|_| FieldType::Any)),
        buf: SlotBuf::new(fields.len()),
        line: Vec::new(),
        warm,
        fed: 0,
        alerts: 0,
        rest: Vec::new(),
    };
    let cfg = GenConfig {
        events: warm + measured,
        ..cfg.clone()
    };
    generate(&cfg, &mut sink, None).expect("the warm-up sink cannot fail");
    assert_eq!(sink.fed, warm, "the generator wrote {} events", sink.fed);
    Continuation {
        events: decode(&sink.rest, fields),
        first_handle: warm,
        warm_alerts: sink.alerts,
    }
}

/// The `io::Write` end of [`warm_up`]: complete lines are fed to the pack until `warm`
/// of them have been, the rest is kept.
struct WarmSink<'p, P> {
    pack: &'p mut P,
    decoder: Decoder,
    buf: SlotBuf,
    line: Vec<u8>,
    warm: u64,
    fed: u64,
    alerts: u64,
    rest: Vec<u8>,
}

impl<P: RulePack> WarmSink<'_, P> {
    fn feed_line(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let (line, ts) = self
            .decoder
            .decode_bytes(&self.line, &mut self.buf)
            .expect("generator writes JSON with @timestamp");
        let alerts = &mut self.alerts;
        self.pack.on_event(
            &self.buf.view(line),
            EventRef {
                handle: self.fed,
                ts,
            },
            &mut |_| *alerts += 1,
        );
        self.fed += 1;
        self.line.clear();
    }
}

impl<P: RulePack> io::Write for WarmSink<'_, P> {
    fn write(&mut self, mut bytes: &[u8]) -> io::Result<usize> {
        let n = bytes.len();
        while self.fed < self.warm && !bytes.is_empty() {
            match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.line.extend_from_slice(&bytes[..i]);
                    self.feed_line();
                    bytes = &bytes[i + 1..];
                }
                None => {
                    self.line.extend_from_slice(bytes);
                    bytes = &[];
                }
            }
        }
        self.rest.extend_from_slice(bytes);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

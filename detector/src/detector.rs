//! [`Detector`]: the event loop, generic over any [`RulePack`], fed with bytes.
//!
//! `feed` splits NDJSON into lines, `line` decodes one line into slots
//! ([`crate::decode`]), orders events ([`crate::reorder`]), gives each event the next
//! handle and keeps its raw line ([`crate::store`]), runs the pack, and writes alerts
//! ([`crate::output`]) subject to `max_signals`. Bad lines and stragglers are counted and
//! reported (rate-limited) on the diagnostics writer. No threads, no I/O of its own
//! except the two writers, so a benchmark can drive it over an in-memory buffer:
//!
//! ```
//! use eqlc_detector::{Detector, Options, handpack::SeedPack};
//! let input = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/sample.ndjson")).unwrap();
//! let mut out = Vec::new();
//! let mut det = Detector::new(SeedPack::with_capacity(1000), Options::default(), &mut out, std::io::sink());
//! det.feed(&input);
//! let stats = det.finish().unwrap();
//! assert!(stats.events > 0);
//! ```

use std::io::{self, Write};

use eqlc_runtime::meta::RuleMeta;
use eqlc_runtime::{Alert, EventRef, PackStats, RulePack, SlotBuf};

use crate::decode::{DecodeError, Decoder, FieldTrie, FieldType};
use crate::output::{self, DocReader, Format, MatchedEvent};
use crate::prefilter::{Prefilter, Verdict};
use crate::reorder::Reorder;
use crate::store::LineStore;

/// Detector settings (the command line maps onto these).
#[derive(Debug, Clone)]
pub struct Options {
    /// Lines longer than this many bytes are bad lines (`--max-line-bytes`).
    pub max_line_bytes: usize,
    /// Events are buffered this long (event time, ns) and released in timestamp order
    /// (`--reorder-window`); 0 = no reordering (the default here; the command line's is
    /// [`crate::cli::DEFAULT_REORDER_WINDOW_NS`]).
    pub reorder_window_ns: i64,
    /// At most this many events are held for reordering; beyond, the oldest is released
    /// early.
    pub reorder_max_events: usize,
    /// At most this many bytes of line text are held for reordering; beyond, the oldest
    /// is released early (so the buffer stays bounded however long the lines are).
    pub reorder_max_bytes: usize,
    /// Byte budget of the raw-line store for alert output (`--keep-bytes`).
    pub keep_bytes: usize,
    /// Output format.
    pub format: Format,
    /// Reject values Elasticsearch's mapping would refuse, for fields of known type
    /// ([`crate::ecs::ecs_type`]); `--no-type-check` turns it off.
    pub type_check: bool,
    /// Report the first this many bad lines (and stragglers) individually...
    pub report_first: u64,
    /// ...then every this many.
    pub report_every: u64,
    /// Name used as prefix of diagnostics.
    pub prog: &'static str,
    /// Skip lines no rule can match without decoding them ([`crate::prefilter`]), when
    /// the pack states what its filters require (with a reorder window they are held as
    /// their time only). Such lines are not checked for bad JSON or wrong types beyond
    /// what the prefilter reads.
    pub prefilter: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_line_bytes: 1 << 20,
            reorder_window_ns: 0,
            reorder_max_events: 100_000,
            reorder_max_bytes: 256 << 20,
            keep_bytes: 64 << 20,
            format: Format::Ndjson,
            type_check: true,
            report_first: 20,
            report_every: 1000,
            prog: "eqlc-detect",
            prefilter: true,
        }
    }
}

/// Counters of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events accepted: given to the pack, or skipped by the prefilter.
    pub events: u64,
    /// ... of which skipped by the prefilter (no rule can match them).
    pub skipped: u64,
    /// Input lines read (including bad and blank ones).
    pub lines: u64,
    /// Input bytes read (including newlines).
    pub bytes: u64,
    /// Bad lines, all classes.
    pub bad_lines: u64,
    /// ... of which not valid JSON (or not an object, or nested too deep).
    pub bad_json: u64,
    /// ... of which not UTF-8.
    pub bad_utf8: u64,
    /// ... of which longer than `max_line_bytes`.
    pub bad_too_long: u64,
    /// ... of which without a valid `@timestamp`.
    pub bad_timestamp: u64,
    /// ... of which with a value of the wrong type.
    pub bad_type: u64,
    /// Events older than events already released to the pack (dropped).
    pub stragglers: u64,
    /// Events the reorder buffer released before its window had passed, because it was
    /// full (`reorder_max_events` or `reorder_max_bytes`).
    pub released_early: u64,
    /// Stragglers that came within the reorder window but after the full buffer had
    /// released newer events early (the rest came later than the window).
    pub stragglers_by_full_buffer: u64,
    /// Alerts written, per rule (index as in `RulePack::rules`).
    pub alerts: Vec<u64>,
    /// Alerts suppressed by `max_signals`, per rule.
    pub suppressed: Vec<u64>,
    /// Alert events whose raw line was no longer held (embedded as `null`).
    pub lost_lines: u64,
    /// The pack's counters (evictions, expiries, pending).
    pub pack: PackStats,
}

impl Stats {
    /// Total alerts written.
    pub fn total_alerts(&self) -> u64 {
        self.alerts.iter().sum()
    }
    /// Total alerts suppressed.
    pub fn total_suppressed(&self) -> u64 {
        self.suppressed.iter().sum()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Throttle {
    window: i64,
    in_window: u64,
}

/// Everything an alert needs, apart from the pack.
struct Sink<W: Write> {
    out: W,
    format: Format,
    store: LineStore,
    rules: &'static [RuleMeta],
    throttle: Vec<Throttle>,
    alerts: Vec<u64>,
    suppressed: Vec<u64>,
    buf: Vec<u8>,
    /// Reads the fields an alert shows out of its matched lines.
    docs: DocReader,
    error: Option<io::Error>,
}

impl<W: Write> Sink<W> {
    fn on_alert(&mut self, a: Alert<'_>) {
        let Some(meta) = self.rules.get(a.rule) else {
            return;
        };
        // max_signals windows go by the alert's time, its latest event's
        let (_, ts) = output::alert_times(a.events);
        let interval = if meta.interval_ns == 0 {
            RuleMeta::DEFAULT_INTERVAL_NS
        } else {
            meta.interval_ns
        };
        let window = ts.div_euclid(interval.min(i64::MAX as u64) as i64);
        let th = &mut self.throttle[a.rule];
        if th.window != window || th.in_window == 0 {
            th.window = window;
            th.in_window = 0;
        }
        if th.in_window >= u64::from(meta.max_signals) {
            self.suppressed[a.rule] += 1;
            return;
        }
        th.in_window += 1;
        self.alerts[a.rule] += 1;
        if self.error.is_some() {
            return;
        }
        let mut events: Vec<MatchedEvent<'_>> = Vec::with_capacity(a.events.len());
        for e in a.events {
            if e.is_some_and(|e| self.store.get(e.handle).is_none()) {
                self.store.get_counted(e.unwrap().handle);
            }
        }
        for e in a.events {
            events.push(MatchedEvent {
                event: *e,
                raw: e.and_then(|e| self.store.get(e.handle)),
            });
        }
        self.buf.clear();
        match self.format {
            Format::Ndjson => output::write_ndjson(
                &mut self.buf,
                &mut self.docs,
                meta,
                &events,
                a.events,
                a.group_id,
            ),
            Format::Table => {
                output::write_table(&mut self.buf, &mut self.docs, meta, &events, a.events)
            }
        }
        if let Err(e) = output::emit(&mut self.out, &self.buf) {
            self.error = Some(e);
        }
    }
}

/// The detector loop over one rule pack `P`, writing alerts to `W` and diagnostics to `D`.
pub struct Detector<P: RulePack, W: Write, D: Write = Box<dyn Write + Send>> {
    pack: P,
    sink: Sink<W>,
    diag: D,
    opts: Options,
    decoder: Decoder,
    prefilter: Option<Prefilter>,
    slots: SlotBuf,
    reorder: Option<Reorder>,
    /// Partial line carried between `feed` calls.
    carry: Vec<u8>,
    /// Inside an over-long line: drop bytes until the next newline.
    skipping: bool,
    /// Time of the newest event given to the pack.
    last_ts: Option<i64>,
    source: String,
    lineno: u64,
    stats: Stats,
}

impl<P: RulePack, W: Write, D: Write> Detector<P, W, D> {
    /// A detector running `pack`, writing alerts to `out` and bad-line reports to `diag`.
    pub fn new(pack: P, opts: Options, out: W, diag: D) -> Self {
        let fields = pack.fields();
        let rules = pack.rules();
        let check = opts.type_check;
        let types = move |p: &str| {
            if check {
                crate::ecs::ecs_type(p)
            } else {
                FieldType::Any
            }
        };
        let decoder = Decoder::new(FieldTrie::new(fields, &types));
        let keep = opts.keep_bytes.max(opts.max_line_bytes + 1);
        let reorder = (opts.reorder_window_ns > 0).then(|| {
            Reorder::new(
                opts.reorder_window_ns,
                opts.reorder_max_events,
                opts.reorder_max_bytes,
            )
        });
        let prefilter = if opts.prefilter {
            Prefilter::new(fields, pack.prefilter())
        } else {
            None
        };
        Detector {
            sink: Sink {
                out,
                format: opts.format,
                store: LineStore::new(keep),
                rules,
                throttle: vec![Throttle::default(); rules.len()],
                alerts: vec![0; rules.len()],
                suppressed: vec![0; rules.len()],
                buf: Vec::new(),
                docs: DocReader::new(),
                error: None,
            },
            pack,
            diag,
            decoder,
            prefilter,
            slots: SlotBuf::new(fields.len()),
            reorder,
            carry: Vec::new(),
            skipping: false,
            last_ts: None,
            source: String::from("-"),
            lineno: 0,
            stats: Stats {
                alerts: vec![0; rules.len()],
                suppressed: vec![0; rules.len()],
                ..Stats::default()
            },
            opts,
        }
    }

    /// The pack.
    pub fn pack(&self) -> &P {
        &self.pack
    }

    /// Start a new input (name used in diagnostics); line numbers restart at 1. Ends the
    /// previous input first (see [`Detector::end_source`]).
    pub fn begin_source(&mut self, name: &str) {
        self.end_source();
        self.source.clear();
        self.source.push_str(name);
        self.lineno = 0;
    }

    /// End of the current input: a last line without a newline is processed.
    pub fn end_source(&mut self) {
        if self.skipping {
            self.skipping = false;
            self.lineno += 1;
            self.bad(DecodeError::TooLong);
        } else if !self.carry.is_empty() {
            let carry = core::mem::take(&mut self.carry);
            self.line(&carry);
            self.carry = carry;
            self.carry.clear();
        }
    }

    /// Process one whole line (without its newline) that is line `lineno` of input
    /// `name`, when inputs are merged line by line ([`crate::merge`]) rather than fed as
    /// chunks.
    pub fn line_at(&mut self, name: &str, lineno: u64, raw: &[u8]) {
        self.at(name, lineno);
        self.line(raw);
    }

    /// Count line `lineno` of input `name`, `len` bytes long, as too long (it was not
    /// kept; see [`Detector::line_at`]).
    pub fn too_long_at(&mut self, name: &str, lineno: u64, len: u64) {
        self.at(name, lineno);
        self.lineno += 1;
        self.stats.lines += 1;
        self.stats.bytes += len + 1;
        self.bad(DecodeError::TooLong);
    }

    /// Diagnostics name input `name`, and the next line is `lineno`.
    fn at(&mut self, name: &str, lineno: u64) {
        if self.source != name {
            self.source.clear();
            self.source.push_str(name);
        }
        self.lineno = lineno.saturating_sub(1);
    }

    /// Forget a partial line carried from the last chunk (input interrupted mid-line:
    /// the rest of that line will never come, so it is neither processed nor counted as
    /// bad).
    pub fn discard_partial_line(&mut self) {
        self.carry.clear();
        self.skipping = false;
    }

    /// Feed a chunk of NDJSON input (lines may span chunks).
    pub fn feed(&mut self, mut bytes: &[u8]) {
        // one byte more than the limit may be carried: a `\r` before the newline is not
        // part of the line (`line` checks the limit without it)
        let max = self.opts.max_line_bytes.saturating_add(1);
        while !bytes.is_empty() {
            match memchr::memchr(b'\n', bytes) {
                Some(i) => {
                    let part = &bytes[..i];
                    bytes = &bytes[i + 1..];
                    if self.skipping {
                        self.stats.bytes += part.len() as u64 + 1;
                        self.skipping = false;
                        self.lineno += 1;
                        self.stats.lines += 1;
                        self.bad(DecodeError::TooLong);
                    } else if self.carry.is_empty() {
                        self.line(part);
                    } else if self.carry.len() + part.len() > max {
                        self.stats.bytes += (self.carry.len() + part.len()) as u64 + 1;
                        self.carry.clear();
                        self.lineno += 1;
                        self.stats.lines += 1;
                        self.bad(DecodeError::TooLong);
                    } else {
                        let mut carry = core::mem::take(&mut self.carry);
                        carry.extend_from_slice(part);
                        self.line(&carry);
                        carry.clear();
                        self.carry = carry;
                    }
                }
                None => {
                    if self.skipping {
                        self.stats.bytes += bytes.len() as u64;
                    } else if self.carry.len() + bytes.len() > max {
                        self.stats.bytes += (self.carry.len() + bytes.len()) as u64;
                        self.carry.clear();
                        self.skipping = true;
                    } else {
                        self.carry.extend_from_slice(bytes);
                    }
                    break;
                }
            }
        }
    }

    /// Process one line (without its newline).
    pub fn line(&mut self, raw: &[u8]) {
        self.lineno += 1;
        self.stats.lines += 1;
        self.stats.bytes += raw.len() as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.len() > self.opts.max_line_bytes {
            self.bad(DecodeError::TooLong);
            return;
        }
        // A UTF-8 byte order mark opens files some Windows tools write (PowerShell's
        // `Out-File`): not part of the first event.
        let raw = match raw.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if self.lineno == 1 => rest,
            _ => raw,
        };
        if raw.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r')) {
            return;
        }
        if let Some(pf) = &self.prefilter {
            let Ok(text) = core::str::from_utf8(raw) else {
                self.bad(DecodeError::Utf8);
                return;
            };
            if let Verdict::Skip(ts) = pf.check(text) {
                // no rule can match: only ordering and the handle count, as for any event
                if let Some(r) = &mut self.reorder {
                    if r.insert_skip(ts, self.last_ts) {
                        self.release(false);
                    } else {
                        self.straggler(ts);
                    }
                    return;
                }
                if self.last_ts.is_some_and(|l| ts < l) {
                    self.straggler(ts);
                    return;
                }
                self.last_ts = Some(ts);
                self.sink.store.skip();
                self.stats.events += 1;
                self.stats.skipped += 1;
                return;
            }
            if self.reorder.is_none() {
                // checked above: decode as text
                match self.decoder.decode(text, &mut self.slots) {
                    Err(e) => self.bad(e),
                    Ok(ts) => self.accept(text, ts),
                }
                return;
            }
        }
        match &mut self.reorder {
            None => match self.decoder.decode_bytes(raw, &mut self.slots) {
                Err(e) => self.bad(e),
                Ok((line, ts)) => self.accept(line, ts),
            },
            Some(r) => {
                let res = r.insert(raw, &mut self.decoder, &mut self.slots, self.last_ts);
                match res {
                    Err(Some(e)) => self.bad(e),
                    Err(None) => self.straggler(0),
                    Ok(()) => self.release(false),
                }
            }
        }
    }

    /// A decoded event, without reordering: to the pack unless it is a straggler.
    fn accept(&mut self, line: &str, ts: i64) {
        if self.last_ts.is_some_and(|l| ts < l) {
            self.straggler(ts);
            return;
        }
        self.last_ts = Some(ts);
        run_event(&mut self.pack, &mut self.sink, &self.slots, line, ts);
        self.stats.events += 1;
    }

    /// Give the pack every event the reorder buffer holds, as if the window had passed
    /// over them (a live stream has gone quiet: its alerts should not wait for the next
    /// event). An event older than those released that comes later is a straggler.
    pub fn release_held(&mut self) {
        self.release(true);
    }

    /// Whether the reorder buffer holds events.
    pub fn holds_events(&self) -> bool {
        self.reorder.as_ref().is_some_and(|r| !r.is_empty())
    }

    /// Give the pack every reorder-buffered event that is due (all with `all`).
    fn release(&mut self, all: bool) {
        let Some(r) = &mut self.reorder else {
            return;
        };
        while let Some((idx, ts)) = r.pop_due(all) {
            if idx == Reorder::SKIP {
                self.last_ts = Some(ts);
                self.sink.store.skip();
                self.stats.events += 1;
                self.stats.skipped += 1;
                continue;
            }
            let (line, _) = r.get(idx, &mut self.slots);
            self.last_ts = Some(ts);
            run_event(&mut self.pack, &mut self.sink, &self.slots, line, ts);
            self.stats.events += 1;
            r.free(idx);
        }
    }

    fn report(&mut self, n: u64) -> bool {
        n <= self.opts.report_first || n.is_multiple_of(self.opts.report_every.max(1))
    }

    fn bad(&mut self, e: DecodeError) {
        self.stats.bad_lines += 1;
        match e.class() {
            "utf8" => self.stats.bad_utf8 += 1,
            "timestamp" => self.stats.bad_timestamp += 1,
            "type" => self.stats.bad_type += 1,
            "too_long" => self.stats.bad_too_long += 1,
            _ => self.stats.bad_json += 1,
        }
        let n = self.stats.bad_lines;
        if self.report(n) {
            let field = match e {
                DecodeError::WrongType { slot, .. } => self
                    .pack
                    .fields()
                    .get(slot as usize)
                    .map_or(String::new(), |f| format!(" ({f})")),
                _ => String::new(),
            };
            let _ = writeln!(
                self.diag,
                "{}: {}:{}: bad line skipped: {e}{field} [bad line #{n}]",
                self.opts.prog, self.source, self.lineno
            );
        }
    }

    fn straggler(&mut self, _ts: i64) {
        self.stats.stragglers += 1;
        let n = self.stats.stragglers;
        if self.report(n) {
            let _ = writeln!(
                self.diag,
                "{}: {}:{}: event older than events already processed, dropped [straggler #{n}]",
                self.opts.prog, self.source, self.lineno
            );
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats.clone();
        s.alerts.clone_from(&self.sink.alerts);
        s.suppressed.clone_from(&self.sink.suppressed);
        s.lost_lines = self.sink.store.lost();
        s.pack = self.pack.stats();
        if let Some(r) = &self.reorder {
            s.released_early = r.released_early();
            s.stragglers_by_full_buffer = r.stragglers_by_cause().1;
        }
        s
    }

    /// End of all input: process a pending partial line, release every buffered event,
    /// flush the pack (alerts that needed the end of input), flush the output. Returns the
    /// final counters, or the first output error (e.g. a closed pipe).
    pub fn finish(&mut self) -> io::Result<Stats> {
        self.end_source();
        self.release(true);
        let sink = &mut self.sink;
        self.pack.flush(&mut |a| sink.on_alert(a));
        if let Some(e) = self.sink.error.take() {
            return Err(e);
        }
        self.sink.out.flush()?;
        Ok(self.stats())
    }

    /// The first output error, if writing alerts failed (processing goes on, counting).
    pub fn output_error(&self) -> Option<&io::Error> {
        self.sink.error.as_ref()
    }
}

/// Give one decoded event to the pack, with the next handle.
#[inline]
fn run_event<P: RulePack, W: Write>(
    pack: &mut P,
    sink: &mut Sink<W>,
    slots: &SlotBuf,
    line: &str,
    ts: i64,
) {
    let handle = sink.store.push(line.as_bytes());
    let view = slots.view(line);
    pack.on_event(&view, EventRef { handle, ts }, &mut |a| sink.on_alert(a));
}

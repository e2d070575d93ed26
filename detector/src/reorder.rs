//! [`Reorder`]: a bounded buffer that releases events in timestamp order.
//!
//! With `--reorder-window W`, an event is held until an event at least `W` newer has
//! been seen (or the buffer holds `max_events`, or `max_bytes` of lines, or input ends),
//! then released in
//! `(timestamp, arrival)` order. An event older than the newest event already released
//! is a *straggler*: it is counted and dropped (the pack requires ascending time, and
//! sequence state that has moved on cannot be rewound).
//!
//! Entries (line text and the decoded values, as a [`SlotSnapshot`]) live in a pool and
//! are reused, so the buffer allocates nothing once it has reached its working size. A
//! held line is decoded once, when it arrives (to validate it and read its time); on
//! release its values are put back into the detector's one `SlotBuf`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use eqlc_runtime::{SlotBuf, SlotSnapshot};

use crate::decode::{DecodeError, Decoder};

struct Entry {
    line: String,
    /// The line's decoded values.
    values: SlotSnapshot,
    ts: i64,
}

impl Entry {
    /// Bytes the entry holds, as counted against the byte limit.
    fn bytes(&self) -> usize {
        self.line.len() + self.values.bytes()
    }
}

/// Free entries are kept by capacity class (`capacity = 2^class` bytes), so a line
/// reuses an entry that already fits it and entries are not regrown in steady state.
const CLASSES: usize = 32;

fn class_for_len(len: usize) -> usize {
    len.max(64).next_power_of_two().trailing_zeros() as usize
}

fn class_of_capacity(cap: usize) -> usize {
    (usize::BITS - 1 - cap.max(1).leading_zeros()) as usize
}

/// Most values, and copied-string bytes, every pooled entry gets room for (events of up
/// to this many, some 120 fields, are held without allocating once warm; a larger one
/// gets what it needs, given back when it is released).
const RESERVE_VALUES: usize = 128;
const RESERVE_ARENA: usize = 2 << 10;

/// The reorder buffer.
pub struct Reorder {
    window: i64,
    max_events: usize,
    max_bytes: usize,
    /// Bytes of the lines held.
    held_bytes: usize,
    pool: Vec<Entry>,
    free: Vec<Vec<usize>>,
    heap: BinaryHeap<Reverse<(i64, u64, usize)>>,
    arrival: u64,
    newest: Option<i64>,
    /// Most values and copied-string bytes of one event held so far.
    largest: (usize, usize),
    /// Events released before the window had passed over them, because the buffer was
    /// full.
    released_early: u64,
    /// Stragglers by cause: later than the window, or within it but older than an event
    /// the full buffer had released early.
    late_by_window: u64,
    late_by_full_buffer: u64,
}

impl Reorder {
    /// A buffer holding events for `window_ns` of event time, at most `max_events` and
    /// at most `max_bytes` of line text (beyond either, the oldest is released early).
    pub fn new(window_ns: i64, max_events: usize, max_bytes: usize) -> Reorder {
        Reorder {
            window: window_ns.max(0),
            max_events: max_events.max(1),
            max_bytes,
            held_bytes: 0,
            pool: Vec::new(),
            free: (0..CLASSES).map(|_| Vec::new()).collect(),
            heap: BinaryHeap::new(),
            arrival: 0,
            newest: None,
            largest: (0, 0),
            released_early: 0,
            late_by_window: 0,
            late_by_full_buffer: 0,
        }
    }

    fn take_entry(&mut self, len: usize) -> usize {
        let c = class_for_len(len);
        for k in c..CLASSES {
            if let Some(i) = self.free[k].pop() {
                return i;
            }
        }
        self.pool.push(Entry {
            line: String::with_capacity(1 << c),
            values: SlotSnapshot::new(),
            ts: 0,
        });
        let n = self.pool.len();
        for f in &mut self.free {
            if f.capacity() < n {
                f.reserve(n - f.len());
            }
        }
        n - 1
    }

    /// Decode `raw` (into `slots`, to validate it and read its time) and hold a copy of
    /// it and of its values. `Err(Some(e))`: a bad line; `Err(None)`: a straggler (older
    /// than `released`, the newest time already released).
    pub fn insert(
        &mut self,
        raw: &[u8],
        decoder: &mut Decoder,
        slots: &mut SlotBuf,
        released: Option<i64>,
    ) -> Result<(), Option<DecodeError>> {
        let (text, ts) = decoder.decode_bytes(raw, slots).map_err(Some)?;
        if released.is_some_and(|r| ts < r) {
            self.count_straggler(ts);
            return Err(None);
        }
        let idx = self.take_entry(text.len());
        let e = &mut self.pool[idx];
        e.line.clear();
        e.line.push_str(text);
        // every entry gets room for the largest event held so far (up to a bound), so
        // that once the largest has been seen an entry taken from the pool never grows; an
        // outsized event does not make every later entry outsized
        e.values.reserve(
            self.largest.0.min(RESERVE_VALUES),
            self.largest.1.min(RESERVE_ARENA),
        );
        slots.save(&mut e.values);
        let (n, a) = e.values.len();
        self.largest = (self.largest.0.max(n), self.largest.1.max(a));
        e.ts = ts;
        self.held_bytes += e.bytes();
        self.heap.push(Reverse((ts, self.arrival, idx)));
        self.arrival += 1;
        self.newest = Some(self.newest.map_or(ts, |n| n.max(ts)));
        Ok(())
    }

    /// Hold a line the prefilter has ruled out, as its time only ([`Reorder::SKIP`] on
    /// release): it takes its place in the order like any other line (so the events around
    /// it are released, and judged stragglers, exactly as if it had been decoded), but is
    /// neither copied nor decoded. `false`: not held, a straggler (older than `released`).
    pub fn insert_skip(&mut self, ts: i64, released: Option<i64>) -> bool {
        if released.is_some_and(|r| ts < r) {
            self.count_straggler(ts);
            return false;
        }
        self.heap.push(Reverse((ts, self.arrival, Self::SKIP)));
        self.arrival += 1;
        self.newest = Some(self.newest.map_or(ts, |n| n.max(ts)));
        true
    }

    /// The entry index [`Reorder::pop_due`] gives for a line held by
    /// [`Reorder::insert_skip`] (it has no line to [`Reorder::get`] or [`Reorder::free`]).
    pub const SKIP: usize = usize::MAX;

    /// The next entry due for release (every held entry with `all`), with its time.
    pub fn pop_due(&mut self, all: bool) -> Option<(usize, i64)> {
        let &Reverse((ts, _, idx)) = self.heap.peek()?;
        let in_time = self
            .newest
            .is_some_and(|n| ts <= n.saturating_sub(self.window));
        let full = self.heap.len() > self.max_events || self.held_bytes > self.max_bytes;
        if full && !in_time && !all {
            self.released_early += 1;
        }
        if all || full || in_time {
            self.heap.pop();
            if idx != Self::SKIP {
                self.held_bytes -= self.pool[idx].bytes();
            }
            Some((idx, ts))
        } else {
            None
        }
    }

    /// Line and time of a held entry; its values are put back into `slots` (as they were
    /// when it was inserted).
    pub fn get(&self, idx: usize, slots: &mut SlotBuf) -> (&str, i64) {
        let e = &self.pool[idx];
        slots.restore(&e.values);
        (&e.line, e.ts)
    }

    /// Return an entry to the pool.
    pub fn free(&mut self, idx: usize) {
        // an entry that held an outsized event goes back to the pool at the usual size
        self.pool[idx]
            .values
            .clear_and_shrink_to(RESERVE_VALUES, RESERVE_ARENA);
        let k = class_of_capacity(self.pool[idx].line.capacity()).min(CLASSES - 1);
        self.free[k].push(idx);
    }

    /// Events released before their window had passed, because the buffer held its
    /// most events or bytes (later events up to the window late may then be stragglers).
    pub fn released_early(&self) -> u64 {
        self.released_early
    }

    /// A straggler at `ts`: within the window of the newest event, it is one only because
    /// the full buffer released newer events early.
    fn count_straggler(&mut self, ts: i64) {
        if self
            .newest
            .is_some_and(|n| ts > n.saturating_sub(self.window))
        {
            self.late_by_full_buffer += 1;
        } else {
            self.late_by_window += 1;
        }
    }

    /// Stragglers (as [`Reorder::insert`] and [`Reorder::insert_skip`] found them) later
    /// than the window, and within it but dropped because the full buffer had released
    /// newer events early.
    pub fn stragglers_by_cause(&self) -> (u64, u64) {
        (self.late_by_window, self.late_by_full_buffer)
    }

    /// Number of events held.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{FieldTrie, FieldType};

    fn line(ms: i64, pad: usize) -> String {
        format!(r#"{{"@timestamp":{ms},"p":"{}"}}"#, "x".repeat(pad))
    }

    #[test]
    fn skipped_lines_hold_their_place_by_time() {
        let mut dec = Decoder::new(FieldTrie::new(&[], &|_| FieldType::Any));
        let mut slots = SlotBuf::new(0);
        let mut r = Reorder::new(3_600_000_000_000, 100, 1 << 20);
        r.insert(line(3, 1).as_bytes(), &mut dec, &mut slots, None)
            .unwrap();
        assert!(r.insert_skip(1_000_000, None));
        r.insert(line(2, 1).as_bytes(), &mut dec, &mut slots, None)
            .unwrap();
        let mut out = Vec::new();
        while let Some((i, ts)) = r.pop_due(true) {
            out.push((i == Reorder::SKIP, ts / 1_000_000));
            if i != Reorder::SKIP {
                r.free(i);
            }
        }
        assert_eq!(out, [(true, 1), (false, 2), (false, 3)]);
        // older than what was released: a straggler, not held
        assert!(!r.insert_skip(1_000_000, Some(3_000_000)));
        assert!(r.is_empty());
    }

    #[test]
    fn a_released_event_has_the_values_it_was_decoded_with() {
        use eqlc_runtime::{Record, Value};
        let mut dec = Decoder::new(FieldTrie::new(&["p", "q"], &|_| FieldType::Any));
        let mut slots = SlotBuf::new(2);
        let mut r = Reorder::new(3_600_000_000_000, 100, 1 << 20);
        // out of order, one with an escaped string (held in the snapshot, not the line)
        let lines = [
            r#"{"@timestamp":2,"p":"two","q":[1,2]}"#,
            r#"{"@timestamp":1,"p":"o\u006ee","q":null}"#,
        ];
        for l in lines {
            r.insert(l.as_bytes(), &mut dec, &mut slots, None).unwrap();
        }
        // the shared buffer now holds something else
        dec.decode(r#"{"@timestamp":9,"p":"other"}"#, &mut slots)
            .unwrap();
        let mut got = Vec::new();
        while let Some((i, ts)) = r.pop_due(true) {
            let (line, _) = r.get(i, &mut slots);
            let view = slots.view(line);
            let p: Vec<Value<'_>> = view.values(0).collect();
            let q: Vec<Value<'_>> = view.values(1).collect();
            got.push(format!("{}ms {p:?} {q:?}", ts / 1_000_000));
            r.free(i);
        }
        assert_eq!(
            got,
            [
                r#"1ms [Str("one")] [Null]"#,
                r#"2ms [Str("two")] [Int(1), Int(2)]"#
            ]
        );
    }

    #[test]
    fn an_outsized_event_does_not_shrink_the_buffer_for_the_rest() {
        // one event of 40,000 values, then 1,000 ordinary ones, all within a 1 h window
        // and 8 MiB: every one is held (when each entry took room for the largest event,
        // some 1 MB apiece, the buffer released nearly all of them early)
        let mut dec = Decoder::new(FieldTrie::new(&["p"], &|_| FieldType::Any));
        let mut slots = SlotBuf::new(1);
        let mut r = Reorder::new(3_600_000_000_000, 100_000, 8 << 20);
        let big = format!("{{\"@timestamp\":1,\"p\":[{}1]}}", "1,".repeat(39_999));
        r.insert(big.as_bytes(), &mut dec, &mut slots, None)
            .unwrap();
        for i in 0..1000 {
            let l = format!("{{\"@timestamp\":{},\"p\":\"x\"}}", 2 + i);
            r.insert(l.as_bytes(), &mut dec, &mut slots, None).unwrap();
            assert!(r.pop_due(false).is_none(), "released early at event {i}");
        }
        assert_eq!((r.len(), r.released_early()), (1001, 0));
        // released and freed, the big entry goes back to the usual size
        let mut released = 0;
        while let Some((i, _)) = r.pop_due(true) {
            r.free(i);
            released += 1;
        }
        assert_eq!(released, 1001);
        assert!(r
            .pool
            .iter()
            .all(|e| e.values.bytes() <= 128 * 24 + (2 << 10)));
    }

    #[test]
    fn holds_by_window_then_by_count_then_by_bytes() {
        let mut dec = Decoder::new(FieldTrie::new(&[], &|_| FieldType::Any));
        let mut slots = SlotBuf::new(0);
        let mut held = |r: &mut Reorder, lines: &[String]| {
            for l in lines {
                r.insert(l.as_bytes(), &mut dec, &mut slots, None).unwrap();
            }
            let mut out = Vec::new();
            while let Some((i, ts)) = r.pop_due(false) {
                assert_eq!(r.get(i, &mut slots).1, ts);
                out.push(ts / 1_000_000);
                r.free(i);
            }
            (out, r.len())
        };
        // a one-hour window, room for everything: nothing is due yet, out of order in
        let lines = [line(3, 10), line(1, 10), line(2, 10)];
        let mut r = Reorder::new(3_600_000_000_000, 100, 1 << 20);
        assert_eq!(held(&mut r, &lines), (vec![], 3));
        // at most two events: the oldest goes early, in time order
        let mut r = Reorder::new(3_600_000_000_000, 2, 1 << 20);
        assert_eq!(held(&mut r, &lines), (vec![1], 2));
        assert_eq!(r.released_early(), 1);
        // at most 100 bytes of lines (each is 33 bytes here): the oldest goes until the
        // rest fit
        assert_eq!(lines[0].len(), 33);
        let mut r = Reorder::new(3_600_000_000_000, 100, 70);
        assert_eq!(held(&mut r, &lines), (vec![1], 2));
        let mut r = Reorder::new(3_600_000_000_000, 100, 40);
        assert_eq!(held(&mut r, &lines), (vec![1, 2], 1));
    }
}

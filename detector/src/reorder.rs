//! [`Reorder`]: a bounded buffer that releases events in timestamp order.
//!
//! With `--reorder-window W`, an event is held until an event at least `W` newer has
//! been seen (or the buffer holds `max_events`, or input ends), then released in
//! `(timestamp, arrival)` order. An event older than the newest event already released
//! is a *straggler*: it is counted and dropped (the pack requires ascending time, and
//! sequence state that has moved on cannot be rewound).
//!
//! Entries (line text + decoded slots) live in a pool and are reused, so the buffer
//! allocates nothing once it has reached its working size.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use eqlc_runtime::SlotBuf;

use crate::decode::{DecodeError, Decoder};

struct Entry {
    line: String,
    slots: SlotBuf,
    ts: i64,
}

/// The reorder buffer.
pub struct Reorder {
    window: i64,
    max_events: usize,
    n_slots: usize,
    pool: Vec<Entry>,
    free: Vec<usize>,
    heap: BinaryHeap<Reverse<(i64, u64, usize)>>,
    arrival: u64,
    newest: Option<i64>,
}

impl Reorder {
    /// A buffer holding events for `window_ns` of event time, at most `max_events`.
    pub fn new(window_ns: i64, max_events: usize, n_slots: usize) -> Reorder {
        Reorder {
            window: window_ns.max(0),
            max_events: max_events.max(1),
            n_slots,
            pool: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            arrival: 0,
            newest: None,
        }
    }

    /// Decode `raw` into a pooled entry and hold it. `Err(Some(e))`: a bad line;
    /// `Err(None)`: a straggler (older than `released`, the newest released time).
    pub fn insert(
        &mut self,
        raw: &[u8],
        decoder: &mut Decoder,
        released: Option<i64>,
    ) -> Result<(), Option<DecodeError>> {
        let text = core::str::from_utf8(raw).map_err(|_| Some(DecodeError::Utf8))?;
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.pool.push(Entry {
                    line: String::new(),
                    slots: SlotBuf::new(self.n_slots),
                    ts: 0,
                });
                self.pool.len() - 1
            }
        };
        let e = &mut self.pool[idx];
        e.line.clear();
        e.line.push_str(text);
        let ts = match decoder.decode(&e.line, &mut e.slots) {
            Ok(ts) => ts,
            Err(err) => {
                self.free.push(idx);
                return Err(Some(err));
            }
        };
        if released.is_some_and(|r| ts < r) {
            self.free.push(idx);
            return Err(None);
        }
        e.ts = ts;
        self.heap.push(Reverse((ts, self.arrival, idx)));
        self.arrival += 1;
        self.newest = Some(self.newest.map_or(ts, |n| n.max(ts)));
        Ok(())
    }

    /// The next entry due for release (every held entry with `all`).
    pub fn pop_due(&mut self, all: bool) -> Option<usize> {
        let &Reverse((ts, _, idx)) = self.heap.peek()?;
        let due = all
            || self.heap.len() > self.max_events
            || self
                .newest
                .is_some_and(|n| ts <= n.saturating_sub(self.window));
        if due {
            self.heap.pop();
            Some(idx)
        } else {
            None
        }
    }

    /// Line, slots and time of a held entry.
    pub fn get(&self, idx: usize) -> (&str, &SlotBuf, i64) {
        let e = &self.pool[idx];
        (&e.line, &e.slots, e.ts)
    }

    /// Return an entry to the pool.
    pub fn free(&mut self, idx: usize) {
        self.free.push(idx);
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

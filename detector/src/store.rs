//! [`LineStore`]: the raw text of recent events, by handle, for alert output.
//!
//! A pack reports matched events as [`EventRef`](eqlc_runtime::EventRef) handles only;
//! the detector gives every event it feeds the next handle (0, 1, 2, ... in feed order)
//! and keeps its line here, so a sequence alert can embed the source documents of every
//! stage. The store is a circular byte log with a fixed budget (`--keep-bytes`): each
//! line is stored contiguously, the oldest lines are overwritten first. An alert whose
//! event has been overwritten already (a partial that waited longer than the budget
//! covers) embeds a placeholder instead, and the loss is counted
//! ([`LineStore::lost`]) and reported in the summary — never silent.
//!
//! Bound: the byte budget. With a budget of `B` bytes and events of `L` bytes on average,
//! the store covers the last `B / L` events; the default (64 MiB) covers about 65,000
//! events of 1 KB, i.e. any sequence whose first event is at most that many events older
//! than its last. Growth is lazy (up to the budget) and allocation-free afterwards.

use std::collections::VecDeque;

#[derive(Debug, Clone, Copy)]
struct Entry {
    handle: u64,
    start: u32,
    len: u32,
}

/// A circular store of the most recent event lines, addressed by consecutive handles.
#[derive(Debug)]
pub struct LineStore {
    buf: Vec<u8>,
    cap: usize,
    head: usize,
    /// Entries of the held lines, by ascending handle (consecutive unless handles were
    /// given out by [`LineStore::skip`]).
    entries: VecDeque<Entry>,
    /// Handles below this one are gone.
    first: u64,
    /// The next handle.
    next: u64,
    lost: u64,
    overwritten: u64,
}

impl LineStore {
    /// A store with a budget of `cap_bytes` (at least 1 KiB).
    pub fn new(cap_bytes: usize) -> LineStore {
        let cap = cap_bytes.clamp(1024, u32::MAX as usize);
        LineStore {
            buf: Vec::new(),
            cap,
            head: 0,
            entries: VecDeque::new(),
            first: 0,
            next: 0,
            lost: 0,
            overwritten: 0,
        }
    }

    /// The handle the next [`LineStore::push`] will get.
    pub fn next_handle(&self) -> u64 {
        self.next
    }

    /// Give out the next handle without keeping a line (an event no rule can match: its
    /// line is never asked for).
    pub fn skip(&mut self) -> u64 {
        self.next += 1;
        self.next - 1
    }

    /// Store `line` and return its handle. A line longer than the budget is not kept (its
    /// handle still advances).
    pub fn push(&mut self, line: &[u8]) -> u64 {
        let h = self.next;
        self.next += 1;
        let len = line.len();
        if len > self.cap {
            // cannot hold it: forget everything before it
            self.drop_front(self.entries.len());
            self.first = h + 1;
            self.overwritten += 1;
            return h;
        }
        if self.head + len > self.cap {
            // wrap: the previous lap's entries still ahead of head go first
            let old_head = self.head;
            while let Some(e) = self.entries.front() {
                if (e.start as usize) >= old_head {
                    self.drop_front(1);
                } else {
                    break;
                }
            }
            self.head = 0;
        }
        let (lo, hi) = (self.head, self.head + len);
        while let Some(e) = self.entries.front() {
            let s = e.start as usize;
            // entries ahead of head belong to the previous lap
            if s >= lo && s < hi.max(lo + 1) {
                self.drop_front(1);
            } else {
                break;
            }
        }
        if self.buf.len() == lo {
            // appending at the end (first lap): the whole budget is reserved at once (address
            // space only: pages are touched, and so resident, as lines arrive), so growing
            // neither copies nor zero-fills
            if self.buf.capacity() < hi {
                self.buf.reserve_exact(self.cap - self.buf.len());
            }
            self.buf.extend_from_slice(line);
        } else {
            if self.buf.len() < hi {
                self.buf.resize(hi, 0);
            }
            self.buf[lo..hi].copy_from_slice(line);
        }
        self.entries.push_back(Entry {
            handle: h,
            start: lo as u32,
            len: len as u32,
        });
        self.head = hi;
        h
    }

    fn drop_front(&mut self, n: usize) {
        for _ in 0..n {
            if let Some(e) = self.entries.pop_front() {
                self.first = e.handle + 1;
                self.overwritten += 1;
            }
        }
    }

    /// The line of `handle`, if still held.
    pub fn get(&self, handle: u64) -> Option<&[u8]> {
        let front = self.entries.front()?.handle;
        let guess = usize::try_from(handle.checked_sub(front)?).ok()?;
        let e = match self.entries.get(guess) {
            Some(e) if e.handle == handle => e,
            // handles were skipped: search
            _ => {
                let i = self
                    .entries
                    .binary_search_by_key(&handle, |e| e.handle)
                    .ok()?;
                &self.entries[i]
            }
        };
        Some(&self.buf[e.start as usize..(e.start + e.len) as usize])
    }

    /// Like [`LineStore::get`], counting a miss in [`LineStore::lost`].
    pub fn get_counted(&mut self, handle: u64) -> Option<&[u8]> {
        if self.get(handle).is_none() {
            self.lost += 1;
            return None;
        }
        self.get(handle)
    }

    /// Alert events whose line was no longer held.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Lines overwritten so far (normal operation; only [`LineStore::lost`] matters).
    pub fn overwritten(&self) -> u64 {
        self.overwritten
    }

    /// Number of lines held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no line is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_recent_lines_within_budget() {
        let mut s = LineStore::new(1024);
        let mut hs = Vec::new();
        for i in 0..1000u32 {
            let line = format!("line-{i:04}-{}", "x".repeat((i % 50) as usize));
            let h = s.push(line.as_bytes());
            assert_eq!(h, u64::from(i));
            hs.push(line);
            // every held line is intact, the newest is always held
            assert_eq!(s.get(h), Some(hs[i as usize].as_bytes()));
            let held: usize = (s.first..s.next_handle())
                .map(|h| s.get(h).unwrap().len())
                .sum();
            assert!(held <= 1024);
            for h2 in s.first..s.next_handle() {
                assert_eq!(s.get(h2), Some(hs[h2 as usize].as_bytes()), "{h2} at {i}");
            }
        }
        assert!(s.get(0).is_none());
        assert!(s.len() > 10);
        assert!(s.buf.len() <= 1024);
        assert!(s.get_counted(0).is_none());
        assert_eq!(s.lost(), 1);
    }

    #[test]
    fn skipped_handles_hold_no_line() {
        let mut s = LineStore::new(1024);
        let mut lines = Vec::new();
        for i in 0..500u64 {
            if i % 3 == 1 {
                assert_eq!(s.skip(), i);
            } else {
                let line = format!("line-{i:04}-{}", "y".repeat((i % 40) as usize));
                assert_eq!(s.push(line.as_bytes()), i);
            }
            lines.push(format!("line-{i:04}-{}", "y".repeat((i % 40) as usize)));
            for h in 0..=i {
                match s.get(h) {
                    Some(l) => assert_eq!(l, lines[h as usize].as_bytes(), "{h} at {i}"),
                    None => assert!(h % 3 == 1 || h < s.first, "{h} lost at {i}"),
                }
            }
        }
        assert!(s.get(499).is_none() && s.get(498).is_some() && s.get(497).is_some());
        assert!(s.buf.len() <= 1024);
    }

    #[test]
    fn oversize_line_is_not_kept() {
        let mut s = LineStore::new(1024);
        assert_eq!(s.push(b"a"), 0);
        assert_eq!(s.push(&[b'x'; 2000]), 1);
        assert_eq!(s.push(b"b"), 2);
        assert!(s.get(0).is_none());
        assert!(s.get(1).is_none());
        assert_eq!(s.get(2), Some(&b"b"[..]));
    }
}

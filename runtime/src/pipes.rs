//! `head N` / `tail N` pipes over a rule's results (eql-semantics.md §9).
//!
//! Pipes apply in order to the stream of results: `head N` keeps the first N results it
//! sees, `tail N` the last N (released at end of input, still in ascending order), and
//! chains compose (`tail 10 | head 7` = the first 7 of the last 10).
//!
//! [`LimitChain`] is the generic engine: results that only pass `head` pipes are emitted
//! at once (streaming), results that reach a `tail` are buffered there (at most N items
//! per `tail`) until [`LimitChain::flush`]. [`Limiter`] wraps it for [`Alert`]s.

use std::collections::VecDeque;

use crate::pack::{Alert, EventRef};
use crate::sequence::Key;

/// One pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pipe {
    /// `| head N`: the first N results.
    Head(u64),
    /// `| tail N`: the last N results.
    Tail(u64),
}

#[derive(Debug, Clone)]
enum Stage<T> {
    Head { left: u64 },
    Tail { cap: u64, buf: VecDeque<T> },
}

/// What to do with a new result, from the pipes before the first `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Dropped by a `head`.
    Drop,
    /// Passes every pipe: emit it now.
    Emit,
    /// Reaches a `tail`: hand it to [`LimitChain::buffer`].
    Buffer,
}

/// A chain of `head` / `tail` pipes over items of type `T`. Memory is bounded by the sum
/// of the `tail` sizes.
#[derive(Debug, Clone)]
pub struct LimitChain<T> {
    stages: Vec<Stage<T>>,
    /// Index of the first `tail` (or `stages.len()`).
    first_tail: usize,
}

impl<T> LimitChain<T> {
    /// A chain for `pipes` (in query order). An empty chain passes everything.
    pub fn new(pipes: &[Pipe]) -> Self {
        let stages: Vec<Stage<T>> = pipes
            .iter()
            .map(|p| match *p {
                Pipe::Head(n) => Stage::Head { left: n },
                Pipe::Tail(n) => Stage::Tail {
                    cap: n,
                    buf: VecDeque::new(),
                },
            })
            .collect();
        let first_tail = stages
            .iter()
            .position(|s| matches!(s, Stage::Tail { .. }))
            .unwrap_or(stages.len());
        LimitChain { stages, first_tail }
    }

    /// Decide about the next result (counts it against the `head`s before the first
    /// `tail`). After [`Decision::Buffer`], call [`LimitChain::buffer`] with the item.
    #[inline]
    pub fn decide(&mut self) -> Decision {
        for s in &mut self.stages[..self.first_tail] {
            if let Stage::Head { left } = s {
                if *left == 0 {
                    return Decision::Drop;
                }
                *left -= 1;
            }
        }
        if self.first_tail == self.stages.len() {
            Decision::Emit
        } else {
            Decision::Buffer
        }
    }

    /// Store an item that [`LimitChain::decide`] said to buffer (keeps the newest N).
    pub fn buffer(&mut self, item: T) {
        self.buffer_with(|_| item);
    }

    /// Like [`LimitChain::buffer`], with the item built by `make`, which is handed the
    /// oldest item when the `tail` is full and pushes it out (so that its buffers can be
    /// reused: once the `tail` holds N items, buffering allocates nothing). `make` is not
    /// called for a `tail 0`.
    pub fn buffer_with(&mut self, make: impl FnOnce(Option<T>) -> T) {
        if let Some(Stage::Tail { cap, buf }) = self.stages.get_mut(self.first_tail) {
            if *cap == 0 {
                return;
            }
            let old = if buf.len() as u64 >= *cap {
                buf.pop_front()
            } else {
                None
            };
            buf.push_back(make(old));
        }
    }

    /// Offer an item: `emit` is called now if it passes, otherwise it is dropped or
    /// buffered.
    pub fn offer(&mut self, item: T, emit: &mut dyn FnMut(T)) {
        match self.decide() {
            Decision::Drop => {}
            Decision::Emit => emit(item),
            Decision::Buffer => self.buffer(item),
        }
    }

    /// Whether no result can ever be emitted again (a leading `head` is exhausted), so
    /// the caller may stop matching.
    pub fn is_done(&self) -> bool {
        self.stages[..self.first_tail]
            .iter()
            .any(|s| matches!(s, Stage::Head { left: 0 }))
    }

    /// End of input: release what the `tail`s hold, through the rest of the chain, in
    /// ascending order.
    pub fn flush(&mut self, emit: &mut dyn FnMut(T)) {
        for i in self.first_tail..self.stages.len() {
            let items = match &mut self.stages[i] {
                Stage::Tail { buf, .. } => core::mem::take(buf),
                Stage::Head { .. } => continue,
            };
            for item in items {
                self.pass_from(i + 1, item, emit);
            }
        }
    }

    fn pass_from(&mut self, start: usize, item: T, emit: &mut dyn FnMut(T)) {
        for s in &mut self.stages[start..] {
            match s {
                Stage::Head { left } => {
                    if *left == 0 {
                        return;
                    }
                    *left -= 1;
                }
                Stage::Tail { cap, buf } => {
                    push_tail(*cap, buf, item);
                    return;
                }
            }
        }
        emit(item);
    }
}

fn push_tail<T>(cap: u64, buf: &mut VecDeque<T>, item: T) {
    if cap == 0 {
        return;
    }
    if buf.len() as u64 >= cap {
        buf.pop_front();
    }
    buf.push_back(item);
}

/// A buffered alert (owned copy of an [`Alert`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct HeldAlert {
    rule: usize,
    events: Vec<Option<EventRef>>,
    group_id: Option<u64>,
    /// The join key's bytes, when `has_key` (kept when there is none, for reuse).
    key: Vec<u8>,
    has_key: bool,
}

/// `head`/`tail` pipes over the alerts of one rule. Alerts that pass only `head`s are
/// forwarded at once without copying; alerts that reach a `tail` are copied and held
/// (at most N per `tail`) until [`Limiter::flush`].
#[derive(Debug, Clone)]
pub struct Limiter {
    chain: LimitChain<HeldAlert>,
}

impl Limiter {
    /// A limiter for `pipes` in query order.
    pub fn new(pipes: &[Pipe]) -> Self {
        Limiter {
            chain: LimitChain::new(pipes),
        }
    }

    /// Offer one result of rule `rule`; `out` is called now if it passes every pipe.
    pub fn offer(
        &mut self,
        rule: usize,
        events: &[Option<EventRef>],
        group_id: Option<u64>,
        out: &mut dyn FnMut(Alert<'_>),
    ) {
        self.offer_keyed(rule, events, group_id, None, out);
    }

    /// [`Limiter::offer`] for a result with a join key (sequences, samples).
    pub fn offer_keyed(
        &mut self,
        rule: usize,
        events: &[Option<EventRef>],
        group_id: Option<u64>,
        key: Option<Key<'_>>,
        out: &mut dyn FnMut(Alert<'_>),
    ) {
        match self.chain.decide() {
            Decision::Drop => {}
            Decision::Emit => out(Alert {
                rule,
                events,
                group_id,
                key,
            }),
            Decision::Buffer => self.chain.buffer_with(|old| {
                // Reuse the buffers of the alert pushed out of a full `tail`.
                let mut h = old.unwrap_or_else(|| HeldAlert {
                    rule,
                    events: Vec::with_capacity(events.len()),
                    group_id,
                    key: Vec::new(),
                    has_key: false,
                });
                h.rule = rule;
                h.group_id = group_id;
                h.events.clear();
                h.events.extend_from_slice(events);
                h.key.clear();
                h.has_key = key.is_some();
                if let Some(k) = key {
                    h.key.extend_from_slice(k.as_bytes());
                }
                h
            }),
        }
    }

    /// Whether nothing can be emitted any more (a leading `head` is used up).
    pub fn is_done(&self) -> bool {
        self.chain.is_done()
    }

    /// End of input: emit the alerts the `tail`s kept.
    pub fn flush(&mut self, out: &mut dyn FnMut(Alert<'_>)) {
        self.chain.flush(&mut |h: HeldAlert| {
            out(Alert {
                rule: h.rule,
                events: &h.events,
                group_id: h.group_id,
                key: h.has_key.then(|| Key::new(&h.key)),
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `pipes` over results 1..=n, returning (emitted before flush, after flush).
    fn run(pipes: &[Pipe], n: u32) -> (Vec<u32>, Vec<u32>) {
        let mut c = LimitChain::new(pipes);
        let mut now = Vec::new();
        for i in 1..=n {
            c.offer(i, &mut |x| now.push(x));
        }
        let mut later = Vec::new();
        c.flush(&mut |x| later.push(x));
        (now, later)
    }

    #[test]
    fn chains() {
        use Pipe::*;
        assert_eq!(run(&[], 3), (vec![1, 2, 3], vec![]));
        assert_eq!(run(&[Head(2)], 5), (vec![1, 2], vec![]));
        assert_eq!(run(&[Head(0)], 5), (vec![], vec![]));
        assert_eq!(run(&[Tail(2)], 5), (vec![], vec![4, 5]));
        assert_eq!(run(&[Tail(0)], 5), (vec![], vec![]));
        assert_eq!(run(&[Tail(10)], 3), (vec![], vec![1, 2, 3]));
        // tail 10 | head 7 over 1..=20: last 10 = 11..=20, first 7 of them
        assert_eq!(run(&[Tail(10), Head(7)], 20), (vec![], (11..=17).collect()));
        // head 7 | tail 3: first 7, then the last 3 of those
        assert_eq!(run(&[Head(7), Tail(3)], 20), (vec![], vec![5, 6, 7]));
        assert_eq!(run(&[Head(5), Head(3)], 20), (vec![1, 2, 3], vec![]));
        assert_eq!(run(&[Tail(5), Tail(2)], 20), (vec![], vec![19, 20]));
        assert_eq!(run(&[Head(10), Tail(5), Head(2)], 20), (vec![], vec![6, 7]));
    }

    #[test]
    fn done_and_bounded() {
        let mut c: LimitChain<u32> = LimitChain::new(&[Pipe::Head(1)]);
        assert!(!c.is_done());
        assert_eq!(c.decide(), Decision::Emit);
        assert!(c.is_done());
        assert_eq!(c.decide(), Decision::Drop);
        let mut t: LimitChain<u32> = LimitChain::new(&[Pipe::Tail(3)]);
        for i in 0..1000 {
            t.offer(i, &mut |_| unreachable!());
        }
        match &t.stages[0] {
            Stage::Tail { buf, .. } => assert_eq!(buf.len(), 3),
            Stage::Head { .. } => unreachable!(),
        }
        assert!(!t.is_done());
    }

    /// The join key of an alert survives a `tail` (the alert is copied and released at
    /// flush).
    #[test]
    fn keys_survive_tail() {
        let mut bytes = Vec::new();
        crate::sequence::encode_value(crate::Value::Str("h1"), &mut bytes);
        crate::sequence::encode_value(crate::Value::Int(7), &mut bytes);
        let ev = Some(EventRef { handle: 1, ts: 0 });
        let mut l = Limiter::new(&[Pipe::Tail(1)]);
        l.offer_keyed(
            0,
            &[ev],
            None,
            Some(Key::new(&bytes)),
            &mut |_| unreachable!(),
        );
        let mut got = Vec::new();
        l.flush(&mut |a| {
            got.push(
                a.key
                    .map(|k| k.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>()),
            )
        });
        assert_eq!(
            got,
            vec![Some(vec!["Str(\"h1\")".to_string(), "Int(7)".to_string()])]
        );
        // Without pipes-only heads the key is passed through as is; `offer` means no key.
        let mut h = Limiter::new(&[Pipe::Head(5)]);
        let mut keys = Vec::new();
        h.offer_keyed(0, &[ev], None, Some(Key::new(&bytes)), &mut |a| {
            keys.push(a.key.map(|k| k.len()))
        });
        h.offer(0, &[ev], None, &mut |a| keys.push(a.key.map(|k| k.len())));
        assert_eq!(keys, vec![Some(2), None]);
    }

    #[test]
    fn limiter_alerts() {
        let ev = |h| Some(EventRef { handle: h, ts: 0 });
        let mut l = Limiter::new(&[Pipe::Tail(1)]);
        let mut got = Vec::new();
        l.offer(0, &[ev(1)], None, &mut |a| {
            got.push(a.events[0].unwrap().handle)
        });
        l.offer(0, &[ev(2), None], Some(7), &mut |a| {
            got.push(a.events[0].unwrap().handle)
        });
        assert!(got.is_empty());
        let mut flushed = Vec::new();
        l.flush(&mut |a| flushed.push((a.rule, a.events.to_vec(), a.group_id)));
        assert_eq!(flushed, vec![(0, vec![ev(2), None], Some(7))]);

        let mut h = Limiter::new(&[Pipe::Head(1)]);
        let mut n = 0;
        h.offer(3, &[ev(1)], None, &mut |a| {
            assert_eq!(a.rule, 3);
            n += 1
        });
        h.offer(3, &[ev(2)], None, &mut |_| n += 1);
        assert_eq!(n, 1);
        assert!(h.is_done());
        h.flush(&mut |_| n += 1);
        assert_eq!(n, 1);
    }
}

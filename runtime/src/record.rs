//! Field access for generated matchers.
//!
//! Generated code never looks a field up by name: a pack numbers the field paths it reads
//! at build time (`RulePack::fields`), and matchers ask a [`Record`] for the values of
//! slot `i`. [`SlotBuf`] is reusable storage for one decoded event (filled by the
//! detector's decoder straight from JSON, or from any [`Event`] through
//! [`SlotBuf::fill_from`]).

use crate::value::Value;

/// One event as generated matchers see it: values by slot number.
pub trait Record {
    /// Iterator over the values of one slot.
    type Values<'s>: Iterator<Item = Value<'s>> + Clone
    where
        Self: 's;
    /// The values of slot `slot` (empty when the field is missing).
    fn values(&self, slot: usize) -> Self::Values<'_>;
}

// ---------------------------------------------------------------------------------------
// SlotBuf
// ---------------------------------------------------------------------------------------

/// "No entry" marker in the per-slot linked lists.
const NONE: u32 = u32::MAX;

/// A stored value: scalars inline, strings as byte ranges into the input line or into the
/// buffer's own text arena.
#[derive(Debug, Clone, Copy)]
enum Stored {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// `line[start..end]`.
    Line(u32, u32),
    /// `arena[start..end]`.
    Arena(u32, u32),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    val: Stored,
    /// Next entry of the same slot, or [`NONE`].
    next: u32,
}

#[derive(Debug, Clone, Copy)]
struct SlotHead {
    first: u32,
    last: u32,
}

const EMPTY_HEAD: SlotHead = SlotHead {
    first: NONE,
    last: NONE,
};

/// Reusable storage for one decoded event: the values of every slot, in push order per
/// slot.
///
/// Strings are either borrowed from the input line (a byte range, see
/// [`SlotBuf::push_str_line`]) or copied into an internal text arena
/// ([`SlotBuf::push_str_copy`], for strings that needed unescaping). Values of one slot
/// may be pushed in several calls, interleaved with pushes to other slots (JSON keys come
/// in any order; an array pushes one value per element).
///
/// After the internal buffers have grown to the size of the largest event seen, filling,
/// viewing and clearing allocate nothing.
///
/// ```
/// use eqlc_runtime::{Record, SlotBuf, Value};
/// let line = r#"{"process":{"name":"cmd.exe","pid":4}}"#;
/// let mut buf = SlotBuf::new(2);
/// buf.push_str_line(0, 20, 27);
/// buf.push_int(1, 4);
/// let view = buf.view(line);
/// assert_eq!(view.values(0).collect::<Vec<_>>(), [Value::Str("cmd.exe")]);
/// assert_eq!(view.values(1).collect::<Vec<_>>(), [Value::Int(4)]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct SlotBuf {
    heads: Vec<SlotHead>,
    entries: Vec<Entry>,
    touched: Vec<u32>,
    arena: String,
    ts: Option<i64>,
}

impl SlotBuf {
    /// Storage for `n_slots` slots, all empty.
    pub fn new(n_slots: usize) -> Self {
        SlotBuf {
            heads: vec![EMPTY_HEAD; n_slots],
            entries: Vec::with_capacity(n_slots.max(8)),
            touched: Vec::with_capacity(n_slots),
            arena: String::new(),
            ts: None,
        }
    }

    /// Number of slots.
    #[inline]
    pub fn n_slots(&self) -> usize {
        self.heads.len()
    }

    /// Forget every value and the timestamp. Cost is proportional to the number of slots
    /// that were filled, not to the number of slots. Keeps the capacity.
    #[inline]
    pub fn clear(&mut self) {
        for &s in &self.touched {
            self.heads[s as usize] = EMPTY_HEAD;
        }
        self.touched.clear();
        self.entries.clear();
        self.arena.clear();
        self.ts = None;
    }

    /// Whether no slot holds a value.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn push(&mut self, slot: usize, val: Stored) {
        let idx = self.entries.len() as u32;
        self.entries.push(Entry { val, next: NONE });
        let head = &mut self.heads[slot];
        if head.first == NONE {
            head.first = idx;
            self.touched.push(slot as u32);
        } else {
            self.entries[head.last as usize].next = idx;
        }
        head.last = idx;
    }

    /// Append JSON `null` to slot `slot`. Panics if `slot >= n_slots()`.
    #[inline]
    pub fn push_null(&mut self, slot: usize) {
        self.push(slot, Stored::Null);
    }

    /// Append a boolean to slot `slot`.
    #[inline]
    pub fn push_bool(&mut self, slot: usize, b: bool) {
        self.push(slot, Stored::Bool(b));
    }

    /// Append an integer to slot `slot`.
    #[inline]
    pub fn push_int(&mut self, slot: usize, i: i64) {
        self.push(slot, Stored::Int(i));
    }

    /// Append a float to slot `slot`.
    #[inline]
    pub fn push_float(&mut self, slot: usize, f: f64) {
        self.push(slot, Stored::Float(f));
    }

    /// Append a [`Value`] to slot `slot` (strings are copied into the arena).
    #[inline]
    pub fn push_value(&mut self, slot: usize, v: Value<'_>) {
        match v {
            Value::Null => self.push_null(slot),
            Value::Bool(b) => self.push_bool(slot, b),
            Value::Int(i) => self.push_int(slot, i),
            Value::Float(f) => self.push_float(slot, f),
            Value::Str(s) => self.push_str_copy(slot, s),
        }
    }

    /// Append a string to slot `slot`, copying it into the internal arena (use for
    /// strings that had escapes, or that do not come from the line given to
    /// [`SlotBuf::view`]).
    #[inline]
    pub fn push_str_copy(&mut self, slot: usize, s: &str) {
        let start = self.arena.len() as u32;
        self.arena.push_str(s);
        let end = self.arena.len() as u32;
        self.push(slot, Stored::Arena(start, end));
    }

    /// Append the string `line[start..end]` to slot `slot`, where `line` is the text that
    /// will be passed to [`SlotBuf::view`]. The range must lie on `char` boundaries of
    /// that line; a range that does not reads as the empty string.
    #[inline]
    pub fn push_str_line(&mut self, slot: usize, start: usize, end: usize) {
        self.push(slot, Stored::Line(start as u32, end as u32));
    }

    /// Set the event timestamp (nanoseconds since the Unix epoch).
    #[inline]
    pub fn set_timestamp(&mut self, ts: Option<i64>) {
        self.ts = ts;
    }

    /// The event timestamp set by [`SlotBuf::set_timestamp`] or [`SlotBuf::fill_from`].
    #[inline]
    pub fn timestamp(&self) -> Option<i64> {
        self.ts
    }

    /// A [`Record`] over the stored values; `line` is the text that
    /// [`SlotBuf::push_str_line`] ranges point into (pass `""` when none were pushed).
    #[inline]
    pub fn view<'a>(&'a self, line: &'a str) -> SlotView<'a> {
        SlotView { buf: self, line }
    }

    /// Clear, then fill slot `i` with the values of `fields[i]` of `e` (strings copied)
    /// and set the timestamp from [`Event::timestamp`]. Use [`SlotBuf::view`] with `""`
    /// afterwards. Panics if `fields.len() > n_slots()`.
    pub fn fill_from<E: Event + ?Sized>(&mut self, e: &E, fields: &[&str]) {
        self.clear();
        for (slot, path) in fields.iter().enumerate() {
            e.field_values(path, &mut |v| self.push_value(slot, v));
        }
        self.ts = e.timestamp();
    }
}

/// The values of a [`SlotBuf`] kept aside, to be put back later with
/// [`SlotBuf::restore`] (the detector's reorder buffer holds each event this way, so an
/// event is decoded once however long it waits). Strings borrowed from the line stay byte
/// ranges: restore with the same line text. Reusing a snapshot allocates nothing once it
/// has grown to the largest event saved in it.
#[derive(Debug, Clone, Default)]
pub struct SlotSnapshot {
    /// `(slot, value)`, slot by slot, each slot's values in push order.
    values: Vec<(u32, Stored)>,
    arena: String,
    ts: Option<i64>,
}

impl SlotSnapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        SlotSnapshot::default()
    }

    /// Bytes of memory the snapshot holds (its capacity, not counting the line).
    pub fn bytes(&self) -> usize {
        self.values.capacity() * core::mem::size_of::<(u32, Stored)>() + self.arena.capacity()
    }

    /// Number of values and of copied-string bytes held.
    pub fn len(&self) -> (usize, usize) {
        (self.values.len(), self.arena.len())
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Forget what the snapshot holds, and give back memory beyond room for `values`
    /// values and `arena` bytes of copied strings.
    pub fn clear_and_shrink_to(&mut self, values: usize, arena: usize) {
        self.values.clear();
        self.arena.clear();
        self.ts = None;
        if self.values.capacity() > values {
            self.values.shrink_to(values);
        }
        if self.arena.capacity() > arena {
            self.arena.shrink_to(arena);
        }
    }

    /// Make room for `values` values and `arena` bytes of copied strings, so that saving
    /// an event no larger allocates nothing.
    pub fn reserve(&mut self, values: usize, arena: usize) {
        self.values
            .reserve(values.saturating_sub(self.values.len()));
        self.arena.reserve(arena.saturating_sub(self.arena.len()));
    }
}

impl SlotBuf {
    /// Copy every value and the timestamp into `to` (replacing what it held).
    pub fn save(&self, to: &mut SlotSnapshot) {
        to.values.clear();
        for &slot in &self.touched {
            let mut i = self.heads[slot as usize].first;
            while i != NONE {
                let e = self.entries[i as usize];
                to.values.push((slot, e.val));
                i = e.next;
            }
        }
        to.arena.clear();
        to.arena.push_str(&self.arena);
        to.ts = self.ts;
    }

    /// Clear, then hold exactly what [`SlotBuf::save`] put in `from`: every slot has the
    /// same values in the same order, and the same timestamp. Panics if a saved slot is
    /// not below [`SlotBuf::n_slots`].
    pub fn restore(&mut self, from: &SlotSnapshot) {
        self.clear();
        for &(slot, val) in &from.values {
            self.push(slot as usize, val);
        }
        self.arena.push_str(&from.arena);
        self.ts = from.ts;
    }
}

/// A filled [`SlotBuf`] together with the line its string ranges point into.
#[derive(Debug, Clone, Copy)]
pub struct SlotView<'a> {
    buf: &'a SlotBuf,
    line: &'a str,
}

impl<'a> SlotView<'a> {
    /// The event timestamp (nanoseconds since the Unix epoch).
    #[inline]
    pub fn timestamp(&self) -> Option<i64> {
        self.buf.ts
    }

    /// The values of slot `slot` with the full lifetime `'a`.
    #[inline]
    pub fn slot(&self, slot: usize) -> SlotValues<'a> {
        SlotValues {
            buf: self.buf,
            line: self.line,
            next: self.buf.heads.get(slot).map_or(NONE, |h| h.first),
        }
    }
}

impl Record for SlotView<'_> {
    type Values<'s>
        = SlotValues<'s>
    where
        Self: 's;

    #[inline]
    fn values(&self, slot: usize) -> SlotValues<'_> {
        self.slot(slot)
    }
}

/// Iterator over the values of one slot of a [`SlotView`].
#[derive(Debug, Clone)]
pub struct SlotValues<'a> {
    buf: &'a SlotBuf,
    line: &'a str,
    next: u32,
}

impl<'a> Iterator for SlotValues<'a> {
    type Item = Value<'a>;

    #[inline]
    fn next(&mut self) -> Option<Value<'a>> {
        if self.next == NONE {
            return None;
        }
        let e = self.buf.entries[self.next as usize];
        self.next = e.next;
        Some(match e.val {
            Stored::Null => Value::Null,
            Stored::Bool(b) => Value::Bool(b),
            Stored::Int(i) => Value::Int(i),
            Stored::Float(f) => Value::Float(f),
            Stored::Line(s, e) => Value::Str(self.line.get(s as usize..e as usize).unwrap_or("")),
            Stored::Arena(s, e) => {
                Value::Str(self.buf.arena.get(s as usize..e as usize).unwrap_or(""))
            }
        })
    }
}

// ---------------------------------------------------------------------------------------
// Event
// ---------------------------------------------------------------------------------------

/// Generic field access by dotted path, for events that are not decoded by the detector
/// (library users matching their own types).
pub trait Event {
    /// Call `f` with every value of the field at dotted path `path` (e.g.
    /// `process.parent.name`). Arrays contribute each element (nested arrays are
    /// flattened too); objects are not values and contribute nothing; a missing field
    /// calls `f` zero times; JSON `null` is [`Value::Null`].
    fn field_values(&self, path: &str, f: &mut dyn FnMut(Value<'_>));

    /// The event time in nanoseconds since the Unix epoch, from `@timestamp`.
    fn timestamp(&self) -> Option<i64>;
}

impl<E: Event + ?Sized> Event for &E {
    fn field_values(&self, path: &str, f: &mut dyn FnMut(Value<'_>)) {
        (**self).field_values(path, f)
    }
    fn timestamp(&self) -> Option<i64> {
        (**self).timestamp()
    }
}

/// Visit every value of `v` (flattening arrays at any depth, skipping objects).
fn visit_json_values<'a>(v: &'a serde_json::Value, f: &mut dyn FnMut(Value<'a>)) {
    use serde_json::Value as J;
    match v {
        J::Null => f(Value::Null),
        J::Bool(b) => f(Value::Bool(*b)),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                f(Value::Int(i))
            } else if let Some(x) = n.as_f64() {
                f(Value::Float(x))
            }
        }
        J::String(s) => f(Value::Str(s)),
        J::Array(a) => {
            for e in a {
                visit_json_values(e, f);
            }
        }
        J::Object(_) => {}
    }
}

/// Look `path` up in `v`: the whole remaining path as a (possibly dotted) key, and every
/// split `head.rest` where `head` is a key holding an object (or an array of objects).
fn lookup_json<'a>(v: &'a serde_json::Value, path: &str, f: &mut dyn FnMut(Value<'a>)) {
    use serde_json::Value as J;
    match v {
        J::Object(map) => {
            if let Some(x) = map.get(path) {
                visit_json_values(x, f);
            }
            for (i, b) in path.bytes().enumerate() {
                if b == b'.' {
                    if let Some(inner) = map.get(&path[..i]) {
                        lookup_json(inner, &path[i + 1..], f);
                    }
                }
            }
        }
        // `{"process": [{"pid": 1}, {"pid": 2}]}` — Elasticsearch flattens arrays of
        // objects, so `process.pid` holds both values.
        J::Array(a) => {
            for e in a {
                lookup_json(e, path, f);
            }
        }
        _ => {}
    }
}

/// Every value of the field at dotted path `path` of a JSON event, borrowed from it: what
/// [`Event::field_values`] gives for a `serde_json::Value` (see that impl), for callers that
/// keep the values.
pub fn json_field_values<'a>(
    event: &'a serde_json::Value,
    path: &str,
    f: &mut dyn FnMut(Value<'a>),
) {
    if event.is_object() {
        lookup_json(event, path, f);
    }
}

/// `serde_json::Value` as an event: dotted paths are resolved through nested objects and
/// flat dotted keys alike (`{"process.pid": 1}`, `{"process": {"pid": 1}}` and
/// `{"process": {"parent.name": "x"}}` all work; when several spellings are present, the
/// values of all of them are visited). `@timestamp` is an RFC 3339 string (or a string of
/// digits, epoch milliseconds) or a number of epoch milliseconds.
impl Event for serde_json::Value {
    fn field_values(&self, path: &str, f: &mut dyn FnMut(Value<'_>)) {
        json_field_values(self, path, &mut |v| f(v));
    }

    fn timestamp(&self) -> Option<i64> {
        let mut out = None;
        let mut first = true;
        self.field_values("@timestamp", &mut |v| {
            if first {
                first = false;
                out = timestamp_of(v);
            }
        });
        out
    }
}

/// Nanoseconds since the epoch for a `@timestamp` value: text in Elasticsearch's default
/// date format (`strict_date_optional_time || epoch_millis`: RFC 3339, and also date only,
/// no seconds or no zone, taken as UTC; see [`crate::time::parse_date_lenient`]), a string
/// of digits (epoch milliseconds) or a number (epoch milliseconds).
///
/// The result is a whole number of milliseconds (finer digits are dropped, rounding down):
/// ECS maps `@timestamp` as a `date`, which Elasticsearch stores in milliseconds
/// (eql-semantics.md §6), so two events within one millisecond are simultaneous for
/// ordering, `maxspan` and missing-stage checks, and keep their arrival order, as in
/// Elasticsearch. (`date_nanos` timestamps are not modelled.)
pub fn timestamp_of(v: Value<'_>) -> Option<i64> {
    let ns = match v {
        Value::Str(s) => crate::time::parse_date_lenient(s)?,
        Value::Int(ms) => ms.checked_mul(1_000_000)?,
        Value::Float(ms) => {
            let ns = (ms * 1e6).round();
            if ns.is_finite() && ns.abs() < 9.2e18 {
                ns as i64
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(ns.div_euclid(1_000_000) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vals(e: &serde_json::Value, p: &str) -> Vec<String> {
        let mut out = Vec::new();
        e.field_values(p, &mut |v| out.push(format!("{v:?}")));
        out
    }

    #[test]
    fn interleaved_pushes_keep_per_slot_order() {
        let line = "abcdef";
        let mut b = SlotBuf::new(3);
        b.push_str_line(0, 0, 2);
        b.push_int(1, 7);
        b.push_str_copy(0, "x\"y");
        b.push_null(1);
        b.push_str_line(0, 4, 6);
        b.push_bool(2, true);
        b.push_float(1, 1.5);
        let v = b.view(line);
        assert_eq!(
            v.values(0).collect::<Vec<_>>(),
            [Value::Str("ab"), Value::Str("x\"y"), Value::Str("ef")]
        );
        assert_eq!(
            v.values(1).collect::<Vec<_>>(),
            [Value::Int(7), Value::Null, Value::Float(1.5)]
        );
        assert_eq!(v.values(2).collect::<Vec<_>>(), [Value::Bool(true)]);
        assert_eq!(v.values(99).count(), 0);
        let it = v.values(0);
        assert_eq!(it.clone().count(), 3);
        assert_eq!(it.count(), 3);
    }

    #[test]
    fn a_snapshot_restores_every_slot_in_order() {
        let line = r#"{"a":"xy","b":"z"}"#;
        let mut buf = SlotBuf::new(4);
        // interleaved slots, line and arena strings, every kind of value
        buf.push_str_line(2, 6, 8);
        buf.push_int(0, 7);
        buf.push_str_copy(2, "copied");
        buf.push_null(3);
        buf.push_float(0, 1.5);
        buf.push_bool(3, true);
        buf.push_str_line(1, 15, 16);
        buf.set_timestamp(Some(42));
        let seen = |b: &SlotBuf| -> Vec<Vec<String>> {
            let v = b.view(line);
            (0..4)
                .map(|s| v.values(s).map(|x| format!("{x:?}")).collect())
                .collect()
        };
        let want = seen(&buf);
        assert_eq!(want[2], [r#"Str("xy")"#, r#"Str("copied")"#]);
        let mut snap = SlotSnapshot::new();
        buf.save(&mut snap);
        // the buffer is reused for another event, then the snapshot comes back
        buf.clear();
        buf.push_str_copy(1, "other");
        buf.set_timestamp(Some(1));
        buf.restore(&snap);
        assert_eq!(seen(&buf), want);
        assert_eq!(buf.timestamp(), Some(42));
        // restoring into a fresh buffer gives the same
        let mut fresh = SlotBuf::new(4);
        fresh.restore(&snap);
        assert_eq!(seen(&fresh), want);
        assert!(snap.bytes() >= "copied".len());
    }

    #[test]
    fn clear_resets_only_touched_and_reuses() {
        let mut b = SlotBuf::new(4);
        b.push_int(3, 1);
        b.set_timestamp(Some(5));
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.timestamp(), None);
        assert_eq!(b.view("").values(3).count(), 0);
        b.push_int(3, 2);
        b.push_int(3, 3);
        assert_eq!(
            b.view("").values(3).collect::<Vec<_>>(),
            [Value::Int(2), Value::Int(3)]
        );
    }

    #[test]
    fn bad_line_range_reads_empty() {
        let mut b = SlotBuf::new(1);
        b.push_str_line(0, 1, 99);
        assert_eq!(b.view("é").values(0).collect::<Vec<_>>(), [Value::Str("")]);
    }

    #[test]
    fn json_paths_nested_flat_and_mixed() {
        let e = json!({"process.pid": 1, "process": {"pid": 2, "parent.name": "x", "parent": {"args": ["a", ["b", "c"], {"o": 1}]}}});
        assert_eq!(vals(&e, "process.pid"), ["Int(1)", "Int(2)"]);
        assert_eq!(vals(&e, "process.parent.name"), ["Str(\"x\")"]);
        assert_eq!(
            vals(&e, "process.parent.args"),
            ["Str(\"a\")", "Str(\"b\")", "Str(\"c\")"]
        );
        assert!(vals(&e, "process.parent").is_empty()); // objects are not values
        assert!(vals(&e, "nope").is_empty());
        let e = json!({"a": null, "b": [], "c": [null], "d": 1.5, "e": 18446744073709551615u64});
        assert_eq!(vals(&e, "a"), ["Null"]);
        assert!(vals(&e, "b").is_empty());
        assert_eq!(vals(&e, "c"), ["Null"]);
        assert_eq!(vals(&e, "d"), ["Float(1.5)"]);
        assert_eq!(vals(&e, "e"), ["Float(1.8446744073709552e19)"]);
        // arrays of objects are flattened like Elasticsearch does
        let e = json!({"p": [{"x": 1}, {"x": 2}]});
        assert_eq!(vals(&e, "p.x"), ["Int(1)", "Int(2)"]);
    }

    #[test]
    fn json_timestamps() {
        // whole milliseconds, rounded down (eql-semantics.md §6)
        let e = json!({"@timestamp": "2022-02-16T23:49:50.5022851Z"});
        assert_eq!(e.timestamp(), Some(1_645_055_390_502_000_000));
        let e = json!({"@timestamp": 1_645_055_390_502i64});
        assert_eq!(e.timestamp(), Some(1_645_055_390_502_000_000));
        let e = json!({"@timestamp": "1645055390502"});
        assert_eq!(e.timestamp(), Some(1_645_055_390_502_000_000));
        let e = json!({"@timestamp": 1.5});
        assert_eq!(e.timestamp(), Some(1_000_000));
        assert_eq!(json!({"@timestamp": "junk"}).timestamp(), None);
        assert_eq!(json!({}).timestamp(), None);
        assert_eq!(json!([1]).timestamp(), None);
    }

    #[test]
    fn fill_from_json() {
        let e = json!({"process": {"name": "cmd.exe", "args": ["/c", "dir"]}, "@timestamp": 1000});
        let mut b = SlotBuf::new(3);
        b.push_int(2, 9);
        b.fill_from(&e, &["process.name", "process.args", "missing"]);
        let v = b.view("");
        assert_eq!(v.values(0).collect::<Vec<_>>(), [Value::Str("cmd.exe")]);
        assert_eq!(
            v.values(1).collect::<Vec<_>>(),
            [Value::Str("/c"), Value::Str("dir")]
        );
        assert_eq!(v.values(2).count(), 0);
        assert_eq!(v.timestamp(), Some(1_000_000_000));
    }
}

//! The sequence state machine (`sequence [..] [..] ...`), exactly as `eql-semantics.md` §7.
//!
//! Generated code describes a sequence once with a [`SequenceSpec`] (usually `static`
//! data), builds one [`SequenceEngine`] per rule at start-up and then, for every event in
//! ascending time order, calls [`SequenceEngine::on_event`] with a [`StageInput`] that
//! answers "does the event pass filter `f`?" and "what are its join-key values?". At the
//! end of input it calls [`SequenceEngine::flush`].
//!
//! # Describing a sequence
//!
//! * [`SequenceSpec::stages`] lists the stages **with `runs` already expanded**: a stage
//!   `with runs=3` appears three times with the same filter index. Missing-event stages
//!   (`![ ... ]`) are flagged with [`StageSpec::missing`].
//! * Filter indices are chosen by the generated code; the engine only passes them back to
//!   [`StageInput`]. The `until` clause has its own filter index
//!   ([`SequenceSpec::until_filter`]).
//! * Every stage (and `until`) has the same number of key fields,
//!   [`SequenceSpec::keys`]: the sequence-level `by` fields followed by the stage's own
//!   `by` fields. [`StageInput::key_values`] is asked for key field `k` of filter `f`.
//!
//! # Algorithm (§7.1)
//!
//! For each key tuple and each positive stage except the last, at most one pending
//! partial sequence is kept (the newest). For every event the positive stages are tried
//! from the last to the first: the first stage (re)starts a partial, a later stage takes
//! (and removes) the partial of the previous positive stage, checks `maxspan` against the
//! partial's first event (inclusive bound; a failure still consumes the partial), and
//! either stores the extended partial or completes the sequence. Because stages are tried
//! last to first, an event never extends a partial it created itself, and the copies of a
//! `runs` stage always get distinct events. Then, if the event passes `until`, every
//! pending partial of each of its `until` key tuples is dropped (completions made by the
//! same event are kept).
//!
//! # Join keys (§7.3)
//!
//! A key tuple is built from the values of the key fields. Multi-valued fields contribute
//! each distinct non-null element and several key fields combine as a cartesian product;
//! `null` elements are ignored. A key field without any non-null value makes the event
//! skip that stage, unless the field is optional ([`StageInput::key_optional`], `?field`),
//! in which case the value is `null` and joins other `null`s.
//!
//! Keys compare by value and type: strings exactly (case-sensitive), booleans as
//! booleans, numbers **as numbers** — `Int(1)`, `Float(1.0)` are the same key (ES stores
//! a numeric field with one type, so `1` and `1.0` index identically); a float with an
//! integral value in the `i64` range is therefore reported as `Int` in [`Key`]. A string
//! `"1"` and a number `1` are different keys.
//!
//! # Missing-event stages (§7.2)
//!
//! Positive stages are matched as if missing stages were absent. A completed candidate is
//! then checked against events of the missing stages (their filter, their own key fields,
//! the candidate's key tuple), comparing timestamps only and strictly:
//!
//! * middle stages: any such event strictly between the two neighbouring positive events
//!   discards the candidate;
//! * leading stages: `L` = latest such event strictly before the first positive event;
//! * trailing stages: `T` = earliest such event strictly after the last positive event;
//! * the candidate is kept iff one of: no `L` and no `T`; stage 0 is missing and there
//!   is no `L`; the last stage is missing and there is no `T`; both ends missing and
//!   `T − L > maxspan`; only the start missing and `last − L > maxspan`; only the end
//!   missing and `T − first > maxspan`.
//!
//! Streaming consequences: the engine remembers, per key, the two latest distinct
//! timestamps of leading/middle missing-stage events (enough to answer "latest strictly
//! before t"). With trailing missing stages every candidate is **held back** until its
//! decision is final: either a `T` shows up (then the rule above decides at once), or the
//! event time passes the last moment a `T` could still matter (`L + maxspan` when a
//! leading `L` exists, `first + maxspan` otherwise — any later `T` keeps the candidate),
//! or [`SequenceEngine::flush`] is called (no `T`: kept). Held candidates are released in
//! completion order (a FIFO): a candidate decided early still waits for the undecided
//! ones completed before it, so the output stays in ascending order of the completing
//! event. All candidates of one sequence are held the same way, so the extra delay is at
//! most `maxspan` after the first positive event. Without a trailing missing stage,
//! results are emitted from `on_event` immediately. Without `maxspan` (ES rejects that
//! for `![`), a leading `L` always discards (`last − L > ∞` never holds) and trailing
//! candidates are held until `flush`.
//!
//! # Output order
//!
//! Ascending by the completing (last positive) event; completions of the same event
//! (several key tuples) by first positive event (arrival ordinal), then by key
//! ([`Key`]'s `Ord`: `null` < booleans < numbers < strings, strings byte-wise).
//!
//! # Bounded state
//!
//! The engine starts empty. Key entries (and held candidates) live in slabs of flat
//! arrays that grow by doubling, never past `capacity`, only when a new key arrives while
//! every slot is live (the hash table grows with them, sized for twice the slots, so
//! removals never make it allocate); freed slots are reused with their memory; the key
//! bytes of all entries share one buffer that is compacted in place (`keystore.rs`).
//! Scratch buffers grow to the largest event seen. So memory follows the number of keys
//! live at once, and `on_event` allocates only when that number (or the key bytes) passes
//! a doubling of its largest value so far: none in steady state, whether keys repeat or
//! every key is new and expires (see `tests/sequence_alloc.rs`).
//! [`SequenceEngine::preallocate`] sizes everything for `capacity` up front. State is one
//! entry per key tuple, at most `capacity` entries, kept in an LRU list by last update:
//!
//! * with `maxspan`, entries not updated for longer than `maxspan` are dropped before
//!   each event (their partials can never advance again); dropped partials are counted
//!   in [`EngineStats::expired`], as are partials consumed by a maxspan failure;
//! * when a new key needs an entry and all `capacity` entries are in use, the least
//!   recently updated entry is evicted; its partials are counted in
//!   [`EngineStats::evictions`] and the entry in [`EngineStats::evicted_entries`];
//! * at most `capacity` candidates are held for trailing missing stages; when full the
//!   oldest is dropped and counted in [`EngineStats::evictions`].
//!
//! Time is the largest timestamp seen so far: an event older than a previous one is
//! processed with its own timestamp for `maxspan` checks, but expiry never goes back
//! (so replaying a stream's timestamps keeps every key it touches until time passes the
//! first run's end, and the state grows accordingly).

use crate::__private::TextBuf;
use crate::keystore::KeyStore;
use crate::pack::{EventRef, PackStats};
use crate::value::Value;
use core::cmp::Ordering;
use core::hash::BuildHasher;
use hashbrown::HashTable;
use std::collections::VecDeque;

/// Static description of one sequence, built by generated code.
#[derive(Debug, Clone, Copy)]
pub struct SequenceSpec {
    /// The stages in order, `runs` already expanded (a `with runs=3` stage appears three
    /// times with the same filter).
    pub stages: &'static [StageSpec],
    /// Number of join-key fields of every stage (and of `until`): sequence-level `by`
    /// fields followed by the stage's own `by` fields. `0` = no join key.
    pub keys: usize,
    /// `maxspan` in nanoseconds (inclusive bound), if any.
    pub maxspan: Option<u64>,
    /// Filter index of the `until` clause, if any.
    pub until_filter: Option<usize>,
}

/// One (expanded) stage of a [`SequenceSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageSpec {
    /// Filter index passed to [`StageInput::matches`] and [`StageInput::key_values`].
    pub filter: usize,
    /// Whether this is a missing-event stage `![ ... ]`.
    pub missing: bool,
}

/// What the engine needs to know about one event; implemented by generated code.
pub trait StageInput {
    /// Whether the event passes filter `f` (the category test and condition of a stage,
    /// or of `until`).
    fn matches(&self, f: usize) -> bool;
    /// Feeds every value of key field `k` of filter `f` to `out`: several values for a
    /// multi-valued field, none when the field is missing. Explicit `null`s may be fed
    /// as [`Value::Null`]; they are ignored.
    fn key_values(&self, f: usize, k: usize, out: &mut dyn FnMut(Value<'_>));
    /// Whether key field `k` of filter `f` is optional (`?field`): then a field without
    /// any non-null value is the ordinary key value `null`.
    fn key_optional(&self, f: usize, k: usize) -> bool;
}

/// One completed sequence, as passed to the output callback.
#[derive(Debug, Clone, Copy)]
pub struct SequenceMatch<'a> {
    /// One entry per expanded stage; `None` for a missing-event stage.
    pub events: &'a [Option<EventRef>],
    /// The join-key tuple.
    pub key: Key<'a>,
}

/// Counters of a [`SequenceEngine`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Pending partials (and held candidates) dropped because the state was full.
    pub evictions: u64,
    /// Key entries evicted because the state was full.
    pub evicted_entries: u64,
    /// Pending partials dropped because their maxspan had passed (by expiry, or consumed
    /// by a maxspan failure).
    pub expired: u64,
    /// Pending partials now held.
    pub pending: u64,
    /// Key entries now in use.
    pub entries: u64,
    /// Completed candidates now held back for trailing missing-event stages (undecided,
    /// or decided and waiting behind an undecided earlier one).
    pub held: u64,
}

impl From<EngineStats> for PackStats {
    fn from(s: EngineStats) -> Self {
        PackStats {
            evictions: s.evictions,
            expired: s.expired,
            pending: s.pending,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------

const TAG_NULL: u8 = 0;
const TAG_BOOL: u8 = 1;
const TAG_INT: u8 = 2;
const TAG_FLOAT: u8 = 3;
const TAG_STR: u8 = 4;

/// The integer a string spells in canonical form (`0`, `-12`, `345`; no sign on zero, no
/// leading zeros, no `+`, within `i64`), if any.
fn canonical_int(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    match digits {
        [] => return None,
        [b'0'] if digits.len() == b.len() => return Some(0),
        [b'1'..=b'9', rest @ ..] if rest.iter().all(u8::is_ascii_digit) => {}
        _ => return None,
    }
    s.parse().ok()
}

/// The non-integral number a string spells in canonical form — the shortest decimal that
/// reads back as the same `f64`, as JSON writers print numbers (`1.5`, `-0.25`; no
/// exponent, no trailing zeros, no `+`) — if any.
fn canonical_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if !(3..=32).contains(&b.len()) {
        return None;
    }
    let mut dot = false;
    for &c in b {
        match c {
            b'0'..=b'9' | b'-' => {}
            b'.' => dot = true,
            _ => return None,
        }
    }
    if !dot {
        return None;
    }
    let x: f64 = s.parse().ok()?;
    if !x.is_finite() || x.fract() == 0.0 {
        return None;
    }
    (TextBuf::format(format_args!("{x}"))?.as_str().as_bytes() == b).then_some(x)
}

/// Appends the type-tagged encoding of one key value.
///
/// Keys compare as Elasticsearch indexes them (eql-semantics.md §7.3), and a field has one
/// mapping there: a keyword field indexes the JSON number `1` and the string `"1"` both as
/// `"1"`, a long field both as `1`; `true` and `"true"` likewise meet under either mapping.
/// Without the mapping, such values must therefore join each other: a string that spells
/// an integer canonically is encoded as that integer, one that spells another number
/// canonically (`"1.5"`, as JSON writes 1.5) as that number, `"true"`/`"false"` as
/// booleans. (`"01"` and `"1.50"` stay text: under a keyword mapping they differ from
/// `"1"` and `"1.5"`. Integral floats are integers, as under a numeric mapping.)
#[inline]
pub(crate) fn encode_value(v: Value<'_>, out: &mut Vec<u8>) {
    // the value the key stands for (one pass, no recursion, so that this inlines)
    let v = match v {
        Value::Str("true") => Value::Bool(true),
        Value::Str("false") => Value::Bool(false),
        // cheap rejections first: join keys are mostly ids and names
        Value::Str(s) if matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'-')) => {
            // at most 20 bytes: `-9223372036854775808`
            match (s.len() <= 20).then(|| canonical_int(s)).flatten() {
                Some(i) => Value::Int(i),
                None => canonical_float(s).map_or(v, Value::Float),
            }
        }
        other => other,
    };
    match v {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(b) => out.extend_from_slice(&[TAG_BOOL, b as u8]),
        Value::Int(i) => {
            out.push(TAG_INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            // Integral values in [-2^63, 2^63) convert to i64 exactly.
            const TWO_63: f64 = 9_223_372_036_854_775_808.0;
            if f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f) {
                out.push(TAG_INT);
                out.extend_from_slice(&(f as i64).to_le_bytes());
            } else {
                let bits = if f.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    f.to_bits()
                };
                out.push(TAG_FLOAT);
                out.extend_from_slice(&bits.to_le_bytes());
            }
        }
        Value::Str(s) => {
            out.push(TAG_STR);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// A join-key tuple, borrowed from the engine (a type-tagged byte encoding).
///
/// Iterate it for the values; [`Key::as_bytes`] gives a stable encoding (same values ⇒
/// same bytes) for hashing, e.g. into group ids. Ordering (`Ord`) is value by value:
/// `null` < booleans (`false` < `true`) < numbers (numerically) < strings (byte-wise).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key<'a> {
    bytes: &'a [u8],
}

impl<'a> Key<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Key { bytes }
    }

    /// The encoded key (stable across runs and engines).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The values of the tuple, in key-field order.
    pub fn iter(&self) -> KeyIter<'a> {
        KeyIter { rest: self.bytes }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the tuple is empty (a sequence without `by`).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Value `i` of the tuple.
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        self.iter().nth(i)
    }
}

impl core::fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Key<'a> {
    type Item = Value<'a>;
    type IntoIter = KeyIter<'a>;
    fn into_iter(self) -> KeyIter<'a> {
        self.iter()
    }
}

/// Iterator over the values of a [`Key`].
#[derive(Debug, Clone)]
pub struct KeyIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for KeyIter<'a> {
    type Item = Value<'a>;
    fn next(&mut self) -> Option<Value<'a>> {
        let (&tag, rest) = self.rest.split_first()?;
        let (v, rest) = match tag {
            TAG_NULL => (Value::Null, rest),
            TAG_BOOL => (Value::Bool(rest[0] != 0), &rest[1..]),
            TAG_INT => (
                Value::Int(i64::from_le_bytes(rest[..8].try_into().ok()?)),
                &rest[8..],
            ),
            TAG_FLOAT => (
                Value::Float(f64::from_bits(u64::from_le_bytes(
                    rest[..8].try_into().ok()?,
                ))),
                &rest[8..],
            ),
            _ => {
                let n = u32::from_le_bytes(rest[..4].try_into().ok()?) as usize;
                let s = core::str::from_utf8(&rest[4..4 + n]).ok()?;
                (Value::Str(s), &rest[4 + n..])
            }
        };
        self.rest = rest;
        Some(v)
    }
}

fn rank(v: Value<'_>) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) => 2,
        Value::Str(_) => 3,
    }
}

/// Orders two key tuples as Elasticsearch orders the keys of a field mapped by its values
/// (`sample` output, eql-semantics.md §8): position `k` holds a keyword field when
/// `textual[k]` (every value the field gave as a key was a JSON string, so dynamic mapping
/// makes it a keyword), and keyword keys sort by their text, byte by byte (`"1000"` before
/// `"999"`), although a string spelling a number is encoded as that number so that it
/// joins the number ([`encode_value`]; the canonical spelling is its text again). Other
/// positions sort as [`Key`]'s `Ord`. `null` comes first either way.
pub(crate) fn cmp_key_as_mapped(a: Key<'_>, b: Key<'_>, textual: &[bool]) -> Ordering {
    let (mut ia, mut ib) = (a.iter(), b.iter());
    let mut k = 0;
    loop {
        let (x, y) = match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (x, y),
        };
        let o = if textual.get(k).copied().unwrap_or(false) {
            match (x, y) {
                (Value::Null, Value::Null) => Ordering::Equal,
                (Value::Null, _) => Ordering::Less,
                (_, Value::Null) => Ordering::Greater,
                _ => KeyText::of(x).as_bytes().cmp(KeyText::of(y).as_bytes()),
            }
        } else {
            cmp_value(x, y)
        };
        if o != Ordering::Equal {
            return o;
        }
        k += 1;
    }
}

/// The text of a key value read from a JSON string (see [`cmp_key_as_mapped`]), without
/// allocating for numbers.
enum KeyText<'a> {
    Borrowed(&'a str),
    Formatted(TextBuf),
}

impl<'a> KeyText<'a> {
    fn of(v: Value<'a>) -> Self {
        // canonical spellings are at most 32 bytes (`canonical_float`), an i64 20
        let text = match v {
            Value::Str(s) => return KeyText::Borrowed(s),
            Value::Null => TextBuf::format(format_args!("")),
            Value::Bool(b) => TextBuf::format(format_args!("{b}")),
            Value::Int(i) => TextBuf::format(format_args!("{i}")),
            // Rust's shortest form: the spelling `canonical_float` accepts
            Value::Float(x) => TextBuf::format(format_args!("{x}")),
        };
        KeyText::Formatted(text.unwrap_or_default())
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            KeyText::Borrowed(s) => s.as_bytes(),
            KeyText::Formatted(t) => t.as_str().as_bytes(),
        }
    }
}

/// Orders two key values: `null` < booleans < numbers < strings.
pub(crate) fn cmp_value(a: Value<'_>, b: Value<'_>) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(&y),
        (Value::Int(x), Value::Int(y)) => x.cmp(&y),
        (Value::Int(x), Value::Float(y)) => (x as f64).total_cmp(&y),
        (Value::Float(x), Value::Int(y)) => x.total_cmp(&(y as f64)),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(&y),
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => rank(a).cmp(&rank(b)),
    }
}

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut a = self.iter();
        let mut b = other.iter();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(x), Some(y)) => match cmp_value(x, y) {
                    Ordering::Equal => {}
                    o => return o,
                },
            }
        }
    }
}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Scratch space computing the key tuples of one event for one filter (§7.3), without
/// allocating once warmed up.
#[derive(Debug, Default)]
pub(crate) struct KeyScratch {
    nkeys: usize,
    /// Per key field: the distinct encoded values, concatenated.
    fields: Vec<Vec<u8>>,
    /// Per key field: end offset of each value in `fields[k]`.
    ends: Vec<Vec<u32>>,
    /// The tuples, concatenated.
    tuples: Vec<u8>,
    /// End offset of each tuple in `tuples`.
    tuple_ends: Vec<u32>,
    odometer: Vec<usize>,
    tmp: Vec<u8>,
    /// Per key field: whether some value read by the last [`KeyScratch::collect`] was a
    /// JSON number or boolean rather than a string (see [`cmp_key_as_mapped`]).
    pub(crate) non_text: Vec<bool>,
}

impl KeyScratch {
    pub(crate) fn new(nkeys: usize) -> Self {
        KeyScratch {
            nkeys,
            fields: (0..nkeys).map(|_| Vec::with_capacity(64)).collect(),
            ends: (0..nkeys).map(|_| Vec::with_capacity(8)).collect(),
            tuples: Vec::with_capacity(256),
            tuple_ends: Vec::with_capacity(8),
            odometer: vec![0; nkeys],
            tmp: Vec::with_capacity(64),
            non_text: vec![false; nkeys],
        }
    }

    /// Computes the key tuples of the event for filter `f`; returns their number (0: the
    /// event does not take part).
    pub(crate) fn collect<I: StageInput + ?Sized>(&mut self, input: &I, f: usize) -> usize {
        self.tuples.clear();
        self.tuple_ends.clear();
        for k in 0..self.nkeys {
            let buf = &mut self.fields[k];
            let ends = &mut self.ends[k];
            let tmp = &mut self.tmp;
            let non_text = &mut self.non_text[k];
            *non_text = false;
            buf.clear();
            ends.clear();
            input.key_values(f, k, &mut |v| {
                if v.is_null() {
                    return;
                }
                *non_text |= !matches!(v, Value::Str(_));
                tmp.clear();
                encode_value(v, tmp);
                let mut start = 0usize;
                for &e in ends.iter() {
                    if buf[start..e as usize] == tmp[..] {
                        return;
                    }
                    start = e as usize;
                }
                buf.extend_from_slice(tmp);
                ends.push(buf.len() as u32);
            });
            if ends.is_empty() {
                if !input.key_optional(f, k) {
                    return 0;
                }
                buf.push(TAG_NULL);
                ends.push(1);
            }
        }
        // Cartesian product (odometer, last field fastest).
        for d in self.odometer.iter_mut() {
            *d = 0;
        }
        loop {
            for k in 0..self.nkeys {
                let i = self.odometer[k];
                let start = if i == 0 {
                    0
                } else {
                    self.ends[k][i - 1] as usize
                };
                let end = self.ends[k][i] as usize;
                self.tuples.extend_from_slice(&self.fields[k][start..end]);
            }
            self.tuple_ends.push(self.tuples.len() as u32);
            let mut k = self.nkeys;
            loop {
                if k == 0 {
                    return self.tuple_ends.len();
                }
                k -= 1;
                self.odometer[k] += 1;
                if self.odometer[k] < self.ends[k].len() {
                    break;
                }
                self.odometer[k] = 0;
            }
        }
    }

    /// Tuple `i` of the last [`KeyScratch::collect`].
    pub(crate) fn tuple(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.tuple_ends[i - 1] as usize
        };
        &self.tuples[start..self.tuple_ends[i] as usize]
    }
}

// ---------------------------------------------------------------------------------------
// Engine
// ---------------------------------------------------------------------------------------

const NIL: u32 = u32::MAX;
/// "No timestamp" in trackers and `lead`.
const NONE_TS: i64 = i64::MIN;

#[derive(Debug, Clone, Copy, Default)]
struct Partial {
    live: bool,
    violated: bool,
    first_ord: u64,
    first_ts: i64,
    /// `L` of the leading missing stages (NONE_TS: none).
    lead: i64,
}

#[derive(Debug, Clone, Copy)]
struct Tracker {
    last: i64,
    prev: i64,
}

impl Tracker {
    const EMPTY: Tracker = Tracker {
        last: NONE_TS,
        prev: NONE_TS,
    };

    fn record(&mut self, t: i64) {
        if self.last == NONE_TS || t > self.last {
            self.prev = self.last;
            self.last = t;
        } else if t < self.last && t > self.prev {
            self.prev = t;
        }
    }

    /// Latest recorded timestamp strictly before `t` (NONE_TS: none known).
    fn before(&self, t: i64) -> i64 {
        if self.last < t {
            self.last
        } else if self.prev < t {
            self.prev
        } else {
            NONE_TS
        }
    }
}

/// Per-entry bookkeeping; the entry's partials, event slots, trackers and key live in
/// flat per-engine arrays at the entry's index (see [`State`]).
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    prev: u32,
    next: u32,
    last_ts: i64,
    live: bool,
    npending: u32,
}

impl Entry {
    const EMPTY: Entry = Entry {
        hash: 0,
        prev: NIL,
        next: NIL,
        last_ts: 0,
        live: false,
        npending: 0,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Pending,
    Keep,
    Drop,
}

/// A candidate held for trailing missing stages; its events and key live in flat arrays
/// at its index (see [`SequenceEngine`]).
#[derive(Debug, Clone, Copy)]
struct Held {
    hash: u64,
    last_ts: i64,
    /// A `T` at or before this time discards the candidate; once time passes it, kept.
    deadline: i128,
    state: Decision,
}

impl Held {
    const EMPTY: Held = Held {
        hash: 0,
        last_ts: 0,
        deadline: 0,
        state: Decision::Pending,
    };
}

#[derive(Debug, Clone, Copy)]
struct Done {
    ev_off: u32,
    key_off: u32,
    key_end: u32,
    first_ord: u64,
    first_ts: i64,
    last_ts: i64,
    lead: i64,
}

#[derive(Debug)]
struct Config {
    nstages: usize,
    /// Expanded stage index of each positive stage.
    pos: Vec<usize>,
    /// Filter of each positive stage.
    pos_filter: Vec<usize>,
    /// For each positive stage j > 0: tracker indices of the missing stages between
    /// positive j-1 and j.
    gaps: Vec<Vec<usize>>,
    /// Tracker indices of the leading missing stages.
    leading: Vec<usize>,
    /// (filter, tracker index, leading?) of every leading/middle missing stage.
    tracked: Vec<(usize, usize, bool)>,
    /// Filters of the trailing missing stages.
    trailing: Vec<usize>,
    ntrackers: usize,
    /// Partials per entry: one per positive stage except the last.
    nparts: usize,
    maxspan: Option<u64>,
    until: Option<usize>,
    capacity: usize,
}

impl Config {
    fn maxspan_i128(&self) -> i128 {
        self.maxspan.map_or(i128::MAX / 4, |m| m as i128)
    }
}

/// Slots of a slab grow by doubling from this many, up to the capacity.
const MIN_SLOTS: usize = 16;

/// The next number of slots of a slab holding `len` of at most `capacity`.
fn grown(len: usize, capacity: usize) -> usize {
    (len.saturating_mul(2))
        .max(MIN_SLOTS)
        .min(capacity)
        .max(len + 1)
}

/// The key entries: a slab of entries (bookkeeping in `entries`, the rest in flat arrays
/// at the entry's index), a free list, a hash table from key to entry and an LRU list.
///
/// Every array grows by doubling, up to the capacity, only when all slots are live and a
/// new key arrives (the hash table is sized with them, for twice as many keys as slots,
/// so removals never make it allocate). Freed slots are reused with their memory.
#[derive(Debug)]
struct State {
    entries: Vec<Entry>,
    /// `cfg.nparts` per entry.
    parts: Vec<Partial>,
    /// `cfg.nparts * cfg.nstages` per entry.
    events: Vec<Option<EventRef>>,
    /// `cfg.ntrackers` per entry.
    trackers: Vec<Tracker>,
    keys: KeyStore,
    free: Vec<u32>,
    table: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    head: u32,
    tail: u32,
    live: usize,
    stats: EngineStats,
}

impl State {
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn find(&self, hash: u64, key: &[u8]) -> Option<u32> {
        let keys = &self.keys;
        self.table
            .find(hash, |&i| keys.get(i as usize) == key)
            .copied()
    }

    /// Makes room for `total` entries in every array (allocates only if needed).
    fn reserve(&mut self, total: usize, cfg: &Config) {
        if std::env::var_os("SEQDBG").is_some() {
            eprintln!(
                "GROW {:p} stages={} maxspan={:?} total={} key={:?}",
                self as *const _, cfg.nstages, cfg.maxspan, total, cfg.pos_filter
            );
        }
        let add = total.saturating_sub(self.entries.len());
        self.entries.reserve_exact(add);
        self.parts.reserve_exact(add * cfg.nparts);
        self.events.reserve_exact(add * cfg.nparts * cfg.nstages);
        self.trackers.reserve_exact(add * cfg.ntrackers);
        self.free
            .reserve_exact(total.saturating_sub(self.free.len()));
        self.keys.reserve_slots(total);
        let entries = &self.entries;
        let spare = self.table.capacity() - self.table.len();
        let want = total.saturating_mul(2).saturating_sub(self.table.len());
        if spare < want {
            self.table.reserve(want, |&j| entries[j as usize].hash);
        }
    }

    /// A new (not live) slot at the end of the slab.
    fn push_slot(&mut self, cfg: &Config) -> u32 {
        let n = self.entries.len();
        if n == self.entries.capacity() {
            self.reserve(grown(n, cfg.capacity), cfg);
        }
        self.entries.push(Entry::EMPTY);
        self.parts
            .extend(core::iter::repeat_n(Partial::default(), cfg.nparts));
        self.events
            .extend(core::iter::repeat_n(None, cfg.nparts * cfg.nstages));
        self.trackers
            .extend(core::iter::repeat_n(Tracker::EMPTY, cfg.ntrackers));
        self.keys.push_slot();
        n as u32
    }

    fn unlink(&mut self, i: u32) {
        let (p, n) = (self.entries[i as usize].prev, self.entries[i as usize].next);
        if p == NIL {
            self.head = n;
        } else {
            self.entries[p as usize].next = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.entries[n as usize].prev = p;
        }
    }

    fn push_front(&mut self, i: u32) {
        let old = self.head;
        {
            let e = &mut self.entries[i as usize];
            e.prev = NIL;
            e.next = old;
        }
        if old == NIL {
            self.tail = i;
        } else {
            self.entries[old as usize].prev = i;
        }
        self.head = i;
    }

    fn touch(&mut self, i: u32, now: i64) {
        self.entries[i as usize].last_ts = now;
        if self.head != i {
            self.unlink(i);
            self.push_front(i);
        }
    }

    fn parts_mut(&mut self, i: u32, cfg: &Config) -> &mut [Partial] {
        let n = cfg.nparts;
        &mut self.parts[i as usize * n..(i as usize + 1) * n]
    }

    fn trackers(&self, i: u32, cfg: &Config) -> &[Tracker] {
        let n = cfg.ntrackers;
        &self.trackers[i as usize * n..(i as usize + 1) * n]
    }

    fn trackers_mut(&mut self, i: u32, cfg: &Config) -> &mut [Tracker] {
        let n = cfg.ntrackers;
        &mut self.trackers[i as usize * n..(i as usize + 1) * n]
    }

    /// Event slots of entry `i`: `cfg.nparts` rows of `cfg.nstages`.
    fn events_mut(&mut self, i: u32, cfg: &Config) -> &mut [Option<EventRef>] {
        let n = cfg.nparts * cfg.nstages;
        &mut self.events[i as usize * n..(i as usize + 1) * n]
    }

    fn free_entry(&mut self, i: u32, cfg: &Config) {
        let (hash, np) = {
            let e = &self.entries[i as usize];
            (e.hash, e.npending)
        };
        if let Ok(found) = self.table.find_entry(hash, |&j| j == i) {
            found.remove();
        }
        self.unlink(i);
        let e = &mut self.entries[i as usize];
        e.live = false;
        e.npending = 0;
        for p in self.parts_mut(i, cfg) {
            p.live = false;
        }
        for t in self.trackers_mut(i, cfg) {
            *t = Tracker::EMPTY;
        }
        self.stats.pending -= np as u64;
        self.live -= 1;
        self.free.push(i);
    }

    /// Frees the entry if it holds nothing useful any more.
    fn maybe_free(&mut self, i: u32, cfg: &Config) {
        let e = &self.entries[i as usize];
        let tr = self.trackers(i, cfg);
        if e.npending == 0 && cfg.leading.iter().all(|&t| tr[t].last == NONE_TS) {
            self.free_entry(i, cfg);
        }
    }

    fn get_or_create(&mut self, hash: u64, key: &[u8], now: i64, cfg: &Config) -> u32 {
        if let Some(i) = self.find(hash, key) {
            return i;
        }
        if self.live >= cfg.capacity {
            let victim = self.tail;
            let np = self.entries[victim as usize].npending as u64;
            self.stats.evictions += np;
            self.stats.evicted_entries += 1;
            self.free_entry(victim, cfg);
        }
        let i = match self.free.pop() {
            Some(i) => i,
            None => self.push_slot(cfg),
        };
        self.keys.set(i as usize, key);
        {
            let e = &mut self.entries[i as usize];
            e.hash = hash;
            e.live = true;
            e.last_ts = now;
        }
        let entries = &self.entries;
        self.table
            .insert_unique(hash, i, |&j| entries[j as usize].hash);
        self.push_front(i);
        self.live += 1;
        i
    }
}

/// The sequence state machine of one rule. See the [module documentation](self).
#[derive(Debug)]
pub struct SequenceEngine {
    cfg: Config,
    st: State,
    ks: KeyScratch,
    next_ord: u64,
    now: i64,
    done: Vec<Done>,
    done_events: Vec<Option<EventRef>>,
    done_keys: Vec<u8>,
    done_order: Vec<u32>,
    /// Held-candidate slots (a slab like [`State`]'s: grows by doubling up to the
    /// capacity, freed slots reused), their events (`cfg.nstages` each) and keys.
    held: Vec<Held>,
    held_events: Vec<Option<EventRef>>,
    held_keys: KeyStore,
    held_free: Vec<u32>,
    held_q: VecDeque<u32>,
}

impl SequenceEngine {
    /// Builds an engine for `spec` holding at most `capacity` key entries (and at most
    /// `capacity` held candidates); `capacity` 0 is taken as 1. The state starts small
    /// and grows with the number of keys live at once (never past `capacity`); see
    /// [`SequenceEngine::preallocate`].
    pub fn new(spec: &SequenceSpec, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let nstages = spec.stages.len();
        let pos: Vec<usize> = (0..nstages).filter(|&i| !spec.stages[i].missing).collect();
        let pos_filter = pos.iter().map(|&i| spec.stages[i].filter).collect();
        let first = pos.first().copied().unwrap_or(nstages);
        let last = pos.last().copied().unwrap_or(0);
        let mut tracker_of = vec![usize::MAX; nstages];
        let mut tracked = Vec::new();
        let mut leading = Vec::new();
        let mut trailing = Vec::new();
        let mut ntrackers = 0;
        for (i, s) in spec.stages.iter().enumerate() {
            if !s.missing {
                continue;
            }
            if i > last && !pos.is_empty() {
                trailing.push(s.filter);
            } else {
                tracker_of[i] = ntrackers;
                tracked.push((s.filter, ntrackers, i < first));
                if i < first {
                    leading.push(ntrackers);
                }
                ntrackers += 1;
            }
        }
        let gaps = (0..pos.len())
            .map(|j| {
                if j == 0 {
                    Vec::new()
                } else {
                    (pos[j - 1] + 1..pos[j]).map(|i| tracker_of[i]).collect()
                }
            })
            .collect();
        let nparts = pos.len().saturating_sub(1);
        let cfg = Config {
            nstages,
            pos,
            pos_filter,
            gaps,
            leading,
            tracked,
            trailing,
            ntrackers,
            nparts,
            maxspan: spec.maxspan,
            until: spec.until_filter,
            capacity,
        };
        let st = State {
            entries: Vec::new(),
            parts: Vec::new(),
            events: Vec::new(),
            trackers: Vec::new(),
            keys: KeyStore::default(),
            free: Vec::new(),
            table: HashTable::new(),
            hasher: Default::default(),
            head: NIL,
            tail: NIL,
            live: 0,
            stats: EngineStats::default(),
        };
        SequenceEngine {
            st,
            ks: KeyScratch::new(spec.keys),
            next_ord: 0,
            now: i64::MIN,
            done: Vec::with_capacity(16),
            done_events: Vec::with_capacity(16 * nstages),
            done_keys: Vec::with_capacity(256),
            done_order: Vec::with_capacity(16),
            held: Vec::new(),
            held_events: Vec::new(),
            held_keys: KeyStore::default(),
            held_free: Vec::new(),
            held_q: VecDeque::new(),
            cfg,
        }
    }

    /// Allocates the state for `capacity` key entries (and, with trailing missing
    /// stages, `capacity` held candidates) now. Without it the state grows by doubling
    /// when more keys are live at once than ever before (never past `capacity`), so
    /// memory follows the state actually needed; either way, once the state has room for
    /// the live keys, `on_event` allocates nothing (key bytes are kept in one buffer per
    /// engine that is compacted in place, see `keystore.rs`).
    pub fn preallocate(&mut self) {
        while self.st.entries.len() < self.cfg.capacity {
            let i = self.st.push_slot(&self.cfg);
            self.st.free.push(i);
        }
        if !self.cfg.trailing.is_empty() {
            while self.held.len() < self.cfg.capacity {
                let h = self.push_held();
                self.held_free.push(h);
            }
            self.held_q
                .reserve(self.cfg.capacity.saturating_sub(self.held_q.len()));
        }
    }

    /// A new held-candidate slot at the end of the held slab.
    fn push_held(&mut self) -> u32 {
        let n = self.held.len();
        if n == self.held.capacity() {
            let total = grown(n, self.cfg.capacity);
            self.held.reserve_exact(total - n);
            self.held_events
                .reserve_exact((total - n) * self.cfg.nstages);
            self.held_free
                .reserve_exact(total.saturating_sub(self.held_free.len()));
            self.held_keys.reserve_slots(total);
        }
        self.held.push(Held::EMPTY);
        self.held_events
            .extend(core::iter::repeat_n(None, self.cfg.nstages));
        self.held_keys.push_slot();
        n as u32
    }

    /// Counters (evictions, expiries, current state size).
    pub fn stats(&self) -> EngineStats {
        let mut s = self.st.stats;
        s.entries = self.st.live as u64;
        s.held = self.held_q.len() as u64;
        s
    }

    /// Processes one event (events must come in ascending time order, ties in arrival
    /// order). Completed sequences whose result is final are passed to `out`, in
    /// ascending order of their completing event.
    pub fn on_event<I: StageInput + ?Sized>(
        &mut self,
        ev: EventRef,
        input: &I,
        out: &mut dyn FnMut(SequenceMatch<'_>),
    ) {
        let ord = self.next_ord;
        self.next_ord += 1;
        if ev.ts > self.now {
            self.now = ev.ts;
        }
        let now = self.now;
        let ms = self.cfg.maxspan_i128();

        // Expiry by event time.
        if self.cfg.maxspan.is_some() {
            while self.st.tail != NIL {
                let t = self.st.tail;
                let e = &self.st.entries[t as usize];
                if e.last_ts as i128 + ms >= now as i128 {
                    break;
                }
                self.st.stats.expired += e.npending as u64;
                self.st.free_entry(t, &self.cfg);
            }
        }

        // Trailing missing stages: this event may be the `T` of held candidates.
        if !self.held_q.is_empty() {
            for fi in 0..self.cfg.trailing.len() {
                let f = self.cfg.trailing[fi];
                if !input.matches(f) {
                    continue;
                }
                let n = self.ks.collect(input, f);
                for t in 0..n {
                    let key = self.ks.tuple(t);
                    let hash = self.st.hash(key);
                    for &h in self.held_q.iter() {
                        let c = &mut self.held[h as usize];
                        if c.state == Decision::Pending
                            && c.hash == hash
                            && c.last_ts < ev.ts
                            && self.held_keys.get(h as usize) == key
                        {
                            c.state = if (ev.ts as i128) <= c.deadline {
                                Decision::Drop
                            } else {
                                Decision::Keep
                            };
                        }
                    }
                }
            }
            self.release(now, out);
        }

        // Leading / middle missing stages: remember their timestamps per key.
        for ti in 0..self.cfg.tracked.len() {
            let (f, tr, lead) = self.cfg.tracked[ti];
            if !input.matches(f) {
                continue;
            }
            let n = self.ks.collect(input, f);
            for t in 0..n {
                let key = self.ks.tuple(t);
                let hash = self.st.hash(key);
                let idx = if lead {
                    Some(self.st.get_or_create(hash, key, now, &self.cfg))
                } else {
                    self.st.find(hash, key)
                };
                if let Some(idx) = idx {
                    self.st.trackers_mut(idx, &self.cfg)[tr].record(ev.ts);
                    self.st.touch(idx, now);
                }
            }
        }

        // Positive stages, last to first.
        self.done.clear();
        self.done_events.clear();
        self.done_keys.clear();
        let npos = self.cfg.pos.len();
        let nst = self.cfg.nstages;
        for j in (0..npos).rev() {
            let f = self.cfg.pos_filter[j];
            if !input.matches(f) {
                continue;
            }
            // Moved out for the loop (no allocation: an empty scratch is left behind).
            let mut ks = core::mem::take(&mut self.ks);
            let n = ks.collect(input, f);
            for t in 0..n {
                let key = ks.tuple(t);
                let hash = self.st.hash(key);
                if j == 0 {
                    self.start(hash, key, ev, ord, now);
                } else {
                    self.advance(j, hash, key, ev, now, ms);
                }
            }
            self.ks = ks;
        }

        // until: drop every pending partial of the until keys.
        if let Some(f) = self.cfg.until {
            if input.matches(f) {
                let n = self.ks.collect(input, f);
                for t in 0..n {
                    let key = self.ks.tuple(t);
                    let hash = self.st.hash(key);
                    if let Some(idx) = self.st.find(hash, key) {
                        for p in self.st.parts_mut(idx, &self.cfg) {
                            p.live = false;
                        }
                        let e = &mut self.st.entries[idx as usize];
                        self.st.stats.pending -= e.npending as u64;
                        e.npending = 0;
                        self.st.maybe_free(idx, &self.cfg);
                    }
                }
            }
        }

        // Completions of this event: order by first event, then key; then decide.
        if !self.done.is_empty() {
            self.done_order.clear();
            self.done_order.extend(0..self.done.len() as u32);
            let (done, keys) = (&self.done, &self.done_keys);
            self.done_order.sort_unstable_by(|&a, &b| {
                let (a, b) = (&done[a as usize], &done[b as usize]);
                a.first_ord.cmp(&b.first_ord).then_with(|| {
                    Key::new(&keys[a.key_off as usize..a.key_end as usize])
                        .cmp(&Key::new(&keys[b.key_off as usize..b.key_end as usize]))
                })
            });
            for oi in 0..self.done_order.len() {
                let d = self.done[self.done_order[oi] as usize];
                let events = &self.done_events[d.ev_off as usize..d.ev_off as usize + nst];
                let key = &self.done_keys[d.key_off as usize..d.key_end as usize];
                if self.cfg.trailing.is_empty() {
                    if self.keep_without_trailing(&d, ms) {
                        out(SequenceMatch {
                            events,
                            key: Key::new(key),
                        });
                    }
                } else {
                    let (state, deadline) = self.trailing_start(&d, ms);
                    if state == Decision::Drop {
                        continue;
                    }
                    if self.held_q.len() >= self.cfg.capacity {
                        if let Some(h) = self.held_q.pop_front() {
                            if self.held[h as usize].state != Decision::Drop {
                                self.st.stats.evictions += 1;
                            }
                            self.held_free.push(h);
                        }
                    }
                    let hash = self.st.hash(key);
                    let h = match self.held_free.pop() {
                        Some(h) => h,
                        None => self.push_held(),
                    };
                    let (hu, nst) = (h as usize, self.cfg.nstages);
                    let events = &self.done_events[d.ev_off as usize..d.ev_off as usize + nst];
                    let key = &self.done_keys[d.key_off as usize..d.key_end as usize];
                    self.held_events[hu * nst..(hu + 1) * nst].copy_from_slice(events);
                    self.held_keys.set(hu, key);
                    self.held[hu] = Held {
                        hash,
                        last_ts: d.last_ts,
                        deadline,
                        state,
                    };
                    self.held_q.push_back(h);
                }
            }
            if !self.cfg.trailing.is_empty() {
                self.release(now, out);
            }
        }
    }

    /// End of input: decides every candidate held for trailing missing-event stages (no
    /// later event can be their `T`, so they are kept) and emits them in order. Pending
    /// partials stay as they are.
    pub fn flush(&mut self, out: &mut dyn FnMut(SequenceMatch<'_>)) {
        let nst = self.cfg.nstages;
        while let Some(h) = self.held_q.pop_front() {
            let hu = h as usize;
            if self.held[hu].state != Decision::Drop {
                out(SequenceMatch {
                    events: &self.held_events[hu * nst..(hu + 1) * nst],
                    key: Key::new(self.held_keys.get(hu)),
                });
            }
            self.held_free.push(h);
        }
    }

    /// Emits decided held candidates from the front of the queue.
    fn release(&mut self, now: i64, out: &mut dyn FnMut(SequenceMatch<'_>)) {
        let nst = self.cfg.nstages;
        while let Some(&h) = self.held_q.front() {
            let hu = h as usize;
            let c = &mut self.held[hu];
            if c.state == Decision::Pending && c.deadline < now as i128 {
                c.state = Decision::Keep;
            }
            match c.state {
                Decision::Pending => break,
                Decision::Keep => out(SequenceMatch {
                    events: &self.held_events[hu * nst..(hu + 1) * nst],
                    key: Key::new(self.held_keys.get(hu)),
                }),
                Decision::Drop => {}
            }
            self.held_q.pop_front();
            self.held_free.push(h);
        }
    }

    /// §7.2 decision for a sequence without trailing missing stages.
    fn keep_without_trailing(&self, d: &Done, ms: i128) -> bool {
        if self.cfg.leading.is_empty() || d.lead == NONE_TS {
            return true;
        }
        d.last_ts as i128 - d.lead as i128 > ms
    }

    /// Initial decision (and deadline) of a candidate with trailing missing stages.
    fn trailing_start(&self, d: &Done, ms: i128) -> (Decision, i128) {
        let deadline = if self.cfg.leading.is_empty() {
            d.first_ts as i128 + ms
        } else if d.lead == NONE_TS {
            // Stage 0 is missing and there is no L: kept whatever T is.
            return (Decision::Keep, 0);
        } else {
            d.lead as i128 + ms
        };
        if deadline <= d.last_ts as i128 {
            // Any T is after the last positive event, hence after the deadline.
            (Decision::Keep, deadline)
        } else {
            (Decision::Pending, deadline)
        }
    }

    /// First positive stage: (re)start the partial of `key`.
    fn start(&mut self, hash: u64, key: &[u8], ev: EventRef, ord: u64, now: i64) {
        let cfg = &self.cfg;
        let st = &mut self.st;
        let npos = cfg.pos.len();
        let nst = cfg.nstages;
        if npos == 1 {
            // Completes at once.
            let mut lead = NONE_TS;
            if !cfg.leading.is_empty() {
                if let Some(idx) = st.find(hash, key) {
                    let tr = st.trackers(idx, cfg);
                    for &t in &cfg.leading {
                        lead = lead.max(tr[t].before(ev.ts));
                    }
                }
            }
            let ev_off = self.done_events.len() as u32;
            self.done_events.extend(core::iter::repeat_n(None, nst));
            self.done_events[ev_off as usize + cfg.pos[0]] = Some(ev);
            let key_off = self.done_keys.len() as u32;
            self.done_keys.extend_from_slice(key);
            self.done.push(Done {
                ev_off,
                key_off,
                key_end: self.done_keys.len() as u32,
                first_ord: ord,
                first_ts: ev.ts,
                last_ts: ev.ts,
                lead,
            });
            return;
        }
        let idx = st.get_or_create(hash, key, now, cfg);
        let mut lead = NONE_TS;
        let tr = st.trackers(idx, cfg);
        for &t in &cfg.leading {
            lead = lead.max(tr[t].before(ev.ts));
        }
        let po = idx as usize * cfg.nparts;
        if !st.parts[po].live {
            st.entries[idx as usize].npending += 1;
            st.stats.pending += 1;
        }
        st.parts[po] = Partial {
            live: true,
            violated: false,
            first_ord: ord,
            first_ts: ev.ts,
            lead,
        };
        let slot = &mut st.events_mut(idx, cfg)[..nst];
        slot.fill(None);
        slot[cfg.pos[0]] = Some(ev);
        st.touch(idx, now);
    }

    /// Positive stage `j > 0`: take the partial of stage `j - 1` and extend it.
    fn advance(&mut self, j: usize, hash: u64, key: &[u8], ev: EventRef, now: i64, ms: i128) {
        let cfg = &self.cfg;
        let st = &mut self.st;
        let nst = cfg.nstages;
        let Some(idx) = st.find(hash, key) else {
            return;
        };
        let po = idx as usize * cfg.nparts;
        let p = st.parts[po + j - 1];
        if !p.live {
            return;
        }
        st.parts[po + j - 1].live = false;
        st.entries[idx as usize].npending -= 1;
        st.stats.pending -= 1;
        if ev.ts as i128 - p.first_ts as i128 > ms {
            st.stats.expired += 1;
            st.maybe_free(idx, cfg);
            return;
        }
        let eo = idx as usize * cfg.nparts * nst;
        let prev_ts = st.events[eo + (j - 1) * nst + cfg.pos[j - 1]].map_or(NONE_TS, |r| r.ts);
        let mut violated = p.violated;
        let tr = st.trackers(idx, cfg);
        for &t in &cfg.gaps[j] {
            let b = tr[t].before(ev.ts);
            if b != NONE_TS && b > prev_ts {
                violated = true;
            }
        }
        if j == cfg.pos.len() - 1 {
            if !violated {
                let ev_off = self.done_events.len();
                self.done_events
                    .extend_from_slice(&st.events[eo + (j - 1) * nst..eo + j * nst]);
                self.done_events[ev_off + cfg.pos[j]] = Some(ev);
                let key_off = self.done_keys.len() as u32;
                self.done_keys.extend_from_slice(key);
                self.done.push(Done {
                    ev_off: ev_off as u32,
                    key_off,
                    key_end: self.done_keys.len() as u32,
                    first_ord: p.first_ord,
                    first_ts: p.first_ts,
                    last_ts: ev.ts,
                    lead: p.lead,
                });
            }
        } else {
            let events = st.events_mut(idx, cfg);
            events.copy_within((j - 1) * nst..j * nst, j * nst);
            events[j * nst + cfg.pos[j]] = Some(ev);
            if !st.parts[po + j].live {
                st.entries[idx as usize].npending += 1;
                st.stats.pending += 1;
            }
            st.parts[po + j] = Partial { violated, ..p };
        }
        st.touch(idx, now);
        st.maybe_free(idx, cfg);
    }
}

#[cfg(test)]
mod tests {
    //! Expected values come from `eql-semantics.md` §7 (and, for missing events, from the
    //! Elasticsearch QA file `test_missing_events.toml` over `missing-events.data`).
    use super::*;

    /// A hand-written event: the filters it passes and its key values per filter.
    #[derive(Clone)]
    struct Ev {
        h: u64,
        ts: i64,
        filters: Vec<usize>,
        /// `keys[k]` = values of key field `k` (the same for every filter).
        keys: Vec<Vec<Value<'static>>>,
        optional: bool,
    }

    impl StageInput for Ev {
        fn matches(&self, f: usize) -> bool {
            self.filters.contains(&f)
        }
        fn key_values(&self, _f: usize, k: usize, out: &mut dyn FnMut(Value<'_>)) {
            for v in &self.keys[k] {
                out(*v);
            }
        }
        fn key_optional(&self, _f: usize, _k: usize) -> bool {
            self.optional
        }
    }

    fn ev(h: u64, filters: &[usize]) -> Ev {
        Ev {
            h,
            ts: h as i64,
            filters: filters.to_vec(),
            keys: vec![],
            optional: false,
        }
    }

    fn kev(h: u64, filters: &[usize], key: &[Value<'static>]) -> Ev {
        Ev {
            h,
            ts: h as i64,
            filters: filters.to_vec(),
            keys: vec![key.to_vec()],
            optional: false,
        }
    }

    fn stages(filters: &[(usize, bool)]) -> &'static [StageSpec] {
        Box::leak(
            filters
                .iter()
                .map(|&(filter, missing)| StageSpec { filter, missing })
                .collect::<Vec<_>>()
                .into(),
        )
    }

    fn spec(
        filters: &[usize],
        keys: usize,
        maxspan: Option<u64>,
        until: Option<usize>,
    ) -> SequenceSpec {
        let st: Vec<(usize, bool)> = filters.iter().map(|&f| (f, false)).collect();
        SequenceSpec {
            stages: stages(&st),
            keys,
            maxspan,
            until_filter: until,
        }
    }

    type Out = Vec<(Vec<i64>, String)>;

    fn collect(out: &mut Out) -> impl FnMut(SequenceMatch<'_>) + '_ {
        |m| {
            out.push((
                m.events
                    .iter()
                    .map(|e| e.map_or(-1, |e| e.handle as i64))
                    .collect(),
                format!("{:?}", m.key),
            ))
        }
    }

    fn run_with(engine: &mut SequenceEngine, events: &[Ev]) -> Vec<Vec<i64>> {
        let mut out = Out::new();
        {
            let mut f = collect(&mut out);
            for e in events {
                engine.on_event(
                    EventRef {
                        handle: e.h,
                        ts: e.ts,
                    },
                    e,
                    &mut f,
                );
            }
            engine.flush(&mut f);
        }
        out.into_iter().map(|o| o.0).collect()
    }

    fn run(spec: &SequenceSpec, events: &[Ev]) -> Vec<Vec<i64>> {
        run_with(&mut SequenceEngine::new(spec, 64), events)
    }

    const A: usize = 0;
    const B: usize = 1;
    const C: usize = 2;
    const U: usize = 9;

    #[test]
    fn newest_wins() {
        let s = spec(&[A, B], 0, None, None);
        // §7.1: `A1 A2 B3` → [A2,B3]; `A1 B2 B3` → [A1,B2].
        assert_eq!(
            run(&s, &[ev(1, &[A]), ev(2, &[A]), ev(3, &[B])]),
            vec![vec![2, 3]]
        );
        assert_eq!(
            run(&s, &[ev(1, &[A]), ev(2, &[B]), ev(3, &[B])]),
            vec![vec![1, 2]]
        );
    }

    #[test]
    fn last_to_first() {
        // §7.1: `[true][true]` over 1,2,3 → [1,2], [2,3].
        let s = spec(&[A, A], 0, None, None);
        assert_eq!(
            run(&s, &[ev(1, &[A]), ev(2, &[A]), ev(3, &[A])]),
            vec![vec![1, 2], vec![2, 3]]
        );
    }

    #[test]
    fn maxspan_inclusive() {
        let s = spec(&[A, B], 0, Some(10), None);
        let at = |h, ts, f| Ev { ts, ..ev(h, &[f]) };
        assert_eq!(run(&s, &[at(1, 100, A), at(2, 110, B)]), vec![vec![1, 2]]);
        assert!(run(&s, &[at(1, 100, A), at(2, 111, B)]).is_empty());
        // Measured from the first event, not the previous one.
        let s3 = spec(&[A, B, C], 0, Some(10), None);
        assert!(run(&s3, &[at(1, 100, A), at(2, 105, B), at(3, 111, C)]).is_empty());
        assert_eq!(
            run(&s3, &[at(1, 100, A), at(2, 105, B), at(3, 110, C)]),
            vec![vec![1, 2, 3]]
        );
    }

    #[test]
    fn maxspan_failure_consumes() {
        // [A][B][C] maxspan 10: A@0 B@5 → partial at B; C@11 fails and consumes it, so a
        // later C can't complete it even though... it would fail anyway; the observable
        // part is that the partial is gone (pending 0, expired 1), and a new A restarts.
        let s = spec(&[A, B, C], 0, Some(10), None);
        let at = |h, ts, f: &[usize]| Ev { ts, ..ev(h, f) };
        let mut e = SequenceEngine::new(&s, 8);
        let got = run_with(&mut e, &[at(1, 0, &[A]), at(2, 5, &[B]), at(3, 11, &[C])]);
        assert!(got.is_empty());
        let st = e.stats();
        assert_eq!((st.pending, st.expired), (0, 1));
        // The consumed partial is not put back: an event that is both B and C at 11
        // finds nothing for C (consumed... by itself? no: stage C is tried first, finds
        // the B-partial, fails maxspan and drops it; stage B then finds no A-partial).
        let got = run(
            &s,
            &[
                at(1, 0, &[A]),
                at(2, 5, &[B]),
                at(3, 11, &[B, C]),
                at(4, 12, &[C]),
            ],
        );
        assert!(got.is_empty());
    }

    #[test]
    fn until_drops_partials() {
        let s = spec(&[A, B], 1, None, Some(U));
        let x = Value::Str("x");
        let y = Value::Str("y");
        // until of the same key cuts the partial.
        assert!(run(
            &s,
            &[kev(1, &[A], &[x]), kev(2, &[U], &[x]), kev(3, &[B], &[x])]
        )
        .is_empty());
        // until of another key does not.
        assert_eq!(
            run(
                &s,
                &[kev(1, &[A], &[x]), kev(2, &[U], &[y]), kev(3, &[B], &[x])]
            ),
            vec![vec![1, 3]]
        );
        // until after the last stage does not invalidate a completed sequence.
        assert_eq!(
            run(
                &s,
                &[kev(1, &[A], &[x]), kev(2, &[B], &[x]), kev(3, &[U], &[x])]
            ),
            vec![vec![1, 2]]
        );
        // A completion made by the until event itself is kept.
        assert_eq!(
            run(&s, &[kev(1, &[A], &[x]), kev(2, &[B, U], &[x])]),
            vec![vec![1, 2]]
        );
        // ... but partials it creates or advances are dropped.
        let s3 = spec(&[A, B, C], 1, None, Some(U));
        assert!(run(
            &s3,
            &[
                kev(1, &[A], &[x]),
                kev(2, &[B, U], &[x]),
                kev(3, &[C], &[x])
            ]
        )
        .is_empty());
        assert!(run(&s, &[kev(1, &[A, U], &[x]), kev(2, &[B], &[x])]).is_empty());
    }

    #[test]
    fn runs_need_distinct_events() {
        // `[A] with runs=3` = [A][A][A].
        let s = spec(&[A, A, A], 0, None, None);
        let evs: Vec<Ev> = (1..=4).map(|h| ev(h, &[A])).collect();
        assert_eq!(run(&s, &evs[..2]), Vec::<Vec<i64>>::new());
        assert_eq!(run(&s, &evs), vec![vec![1, 2, 3], vec![2, 3, 4]]);
    }

    #[test]
    fn multi_valued_keys() {
        let s = spec(&[A, B], 1, None, None);
        let (x, y, z) = (Value::Str("x"), Value::Str("y"), Value::Str("z"));
        // Each distinct non-null element is a key; duplicates collapse; nulls ignored.
        let a = kev(1, &[A], &[x, y, x, Value::Null]);
        let mut out = Out::new();
        let mut e = SequenceEngine::new(&s, 8);
        {
            let mut f = collect(&mut out);
            e.on_event(EventRef { handle: 1, ts: 1 }, &a, &mut f);
            assert_eq!(e.stats().pending, 2);
            // B under [y, x]: two completions of the same event, ordered by key.
            let b = kev(2, &[B], &[y, z, x]);
            e.on_event(EventRef { handle: 2, ts: 2 }, &b, &mut f);
        }
        assert_eq!(
            out,
            vec![
                (vec![1, 2], "[Str(\"x\")]".to_string()),
                (vec![1, 2], "[Str(\"y\")]".to_string())
            ]
        );
        // Ties: same completing event, ordered by first event first.
        let got = run(
            &s,
            &[
                kev(1, &[A], &[y]),
                kev(2, &[A], &[x]),
                kev(3, &[B], &[x, y]),
            ],
        );
        assert_eq!(got, vec![vec![1, 3], vec![2, 3]]);
        // Non-optional key: null / missing / [null] → the event takes no part.
        assert!(run(
            &s,
            &[kev(1, &[A], &[Value::Null]), kev(2, &[B], &[Value::Null])]
        )
        .is_empty());
        assert!(run(&s, &[kev(1, &[A], &[]), kev(2, &[B], &[])]).is_empty());
    }

    #[test]
    fn cartesian_keys() {
        let s = spec(&[A, B], 2, None, None);
        let (a1, a2, b1) = (Value::Str("a1"), Value::Str("a2"), Value::Int(7));
        let mk = |h, f, k0: &[Value<'static>], k1: &[Value<'static>]| Ev {
            h,
            ts: h as i64,
            filters: vec![f],
            keys: vec![k0.to_vec(), k1.to_vec()],
            optional: false,
        };
        let got = run(
            &s,
            &[
                mk(1, A, &[a1, a2], &[b1]),
                mk(2, B, &[a2], &[b1]),
                mk(3, B, &[a1], &[b1]),
            ],
        );
        assert_eq!(got, vec![vec![1, 2], vec![1, 3]]);
        // A missing second field excludes the event.
        assert!(run(&s, &[mk(1, A, &[a1], &[]), mk(2, B, &[a1], &[])]).is_empty());
    }

    #[test]
    fn optional_keys() {
        let s = spec(&[A, B], 1, None, None);
        let opt = |h, f, k: &[Value<'static>]| Ev {
            optional: true,
            ..kev(h, &[f], k)
        };
        // Missing, null and [null] are all the key `null` and join each other.
        assert_eq!(
            run(&s, &[opt(1, A, &[]), opt(2, B, &[Value::Null])]),
            vec![vec![1, 2]]
        );
        assert_eq!(
            run(
                &s,
                &[opt(1, A, &[Value::Null, Value::Null]), opt(2, B, &[])]
            ),
            vec![vec![1, 2]]
        );
        // [null, "a"] is just "a": does not join null.
        assert!(run(
            &s,
            &[opt(1, A, &[Value::Null, Value::Str("a")]), opt(2, B, &[])]
        )
        .is_empty());
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let s = spec(&[A, B], 1, None, None);
        assert_eq!(
            run(
                &s,
                &[
                    kev(1, &[A], &[Value::Int(1)]),
                    kev(2, &[B], &[Value::Float(1.0)])
                ]
            ),
            vec![vec![1, 2]]
        );
        // one field has one mapping: `1` and `"1"` are the same indexed value under a
        // keyword mapping ("1") and under a long one (1); `"01"` only under the latter,
        // so it stays apart (see `encode_value`)
        assert_eq!(
            run(
                &s,
                &[
                    kev(1, &[A], &[Value::Int(1)]),
                    kev(2, &[B], &[Value::Str("1")])
                ]
            ),
            vec![vec![1, 2]]
        );
        assert!(run(
            &s,
            &[
                kev(1, &[A], &[Value::Int(1)]),
                kev(2, &[B], &[Value::Str("01")])
            ]
        )
        .is_empty());
        assert!(run(
            &s,
            &[
                kev(1, &[A], &[Value::Float(1.5)]),
                kev(2, &[B], &[Value::Int(1)])
            ]
        )
        .is_empty());
        assert!(run(
            &s,
            &[
                kev(1, &[A], &[Value::Bool(true)]),
                kev(2, &[B], &[Value::Int(1)])
            ]
        )
        .is_empty());
    }

    #[test]
    fn eviction_counts_oldest() {
        let s = spec(&[A, B], 1, None, None);
        let k = |n: &'static str| Value::Str(n);
        let mut e = SequenceEngine::new(&s, 2);
        let got = run_with(
            &mut e,
            &[
                kev(1, &[A], &[k("k1")]),
                kev(2, &[A], &[k("k2")]),
                kev(3, &[A], &[k("k3")]), // full: k1 (oldest) evicted
                kev(4, &[B], &[k("k1")]),
                kev(5, &[B], &[k("k3")]),
            ],
        );
        assert_eq!(got, vec![vec![3, 5]]);
        let st = e.stats();
        assert_eq!(
            (st.evictions, st.evicted_entries, st.pending, st.entries),
            (1, 1, 1, 1)
        );
        // "Oldest" = least recently updated: touching k1 again makes k2 the victim.
        let mut e = SequenceEngine::new(&s, 2);
        let got = run_with(
            &mut e,
            &[
                kev(1, &[A], &[k("k1")]),
                kev(2, &[A], &[k("k2")]),
                kev(3, &[A], &[k("k1")]),
                kev(4, &[A], &[k("k3")]),
                kev(5, &[B], &[k("k2")]),
                kev(6, &[B], &[k("k1")]),
            ],
        );
        assert_eq!(got, vec![vec![3, 6]]);
        assert_eq!(e.stats().evictions, 1);
    }

    #[test]
    fn expiry_by_event_time() {
        let s = spec(&[A, B], 1, Some(10), None);
        let k = |n: &'static str| Value::Str(n);
        let at = |h, ts, f, n| Ev {
            ts,
            ..kev(h, &[f], &[k(n)])
        };
        let mut e = SequenceEngine::new(&s, 8);
        run_with(&mut e, &[at(1, 0, A, "k1"), at(2, 10, A, "k2")]);
        assert_eq!((e.stats().pending, e.stats().expired), (2, 0)); // 10 - 0 == maxspan: still alive
        run_with(&mut e, &[at(3, 11, A, "k3")]);
        let st = e.stats();
        assert_eq!((st.pending, st.expired, st.entries), (2, 1, 2));
        // Expired partials are gone for good.
        assert!(run_with(&mut e, &[at(4, 11, B, "k1")]).is_empty());
        assert_eq!(run_with(&mut e, &[at(5, 12, B, "k2")]), vec![vec![2, 5]]);
    }

    // ---- missing events ------------------------------------------------------------

    /// An event of `missing-events.data`.
    #[derive(Clone, Copy)]
    struct Me {
        seq: u64,
        ms: i64,
        tag: &'static str,
        k1: &'static str,
        k2: &'static str,
    }

    /// A filter: `tag == ...` (and `sequence > min_seq`), keyed by fields named in `by`.
    #[derive(Clone, Copy)]
    struct Mf {
        tag: &'static str,
        min_seq: u64,
        by: &'static [&'static str],
    }

    struct MeIn<'a> {
        e: Me,
        filters: &'a [Mf],
    }

    impl StageInput for MeIn<'_> {
        fn matches(&self, f: usize) -> bool {
            self.filters[f].tag == self.e.tag && self.e.seq > self.filters[f].min_seq
        }
        fn key_values(&self, f: usize, k: usize, out: &mut dyn FnMut(Value<'_>)) {
            out(Value::Str(if self.filters[f].by[k] == "k1" {
                self.e.k1
            } else {
                self.e.k2
            }))
        }
        fn key_optional(&self, _: usize, _: usize) -> bool {
            false
        }
    }

    const MS: i64 = 1_000_000;
    const SEC: u64 = 1_000_000_000;
    const MIN: u64 = 60 * SEC;

    fn me(seq: u64, ms: i64, tag: &'static str) -> Me {
        Me {
            seq,
            ms,
            tag,
            k1: "",
            k2: "",
        }
    }

    fn test1() -> Vec<Me> {
        vec![
            me(1, 1, "normal"),
            me(2, 2, "normal"),
            me(3, 3, "missing"),
            me(4, 4, "normal"),
        ]
    }

    fn test2() -> Vec<Me> {
        let t = ["normal", "normal", "missing", "normal", "normal", "missing"];
        let mut v: Vec<Me> = (0..6).map(|i| me(i as u64 + 1, i as i64, t[i])).collect();
        v.push(me(7, 2 * 60_000 + 6, "missing2"));
        v.push(me(8, 3 * 60_000 + 6, "missing2"));
        v
    }

    fn test3() -> Vec<Me> {
        let m = 60_000;
        vec![
            me(1, 0, "missing"),
            me(2, 10 * m + 1, "normal"),
            me(3, 20 * m + 1, "missing"),
            me(4, 21 * m + 1, "normal"),
            me(5, 29 * m + 1, "normal"),
            me(6, 31 * m + 1, "normal"),
        ]
    }

    fn test4() -> Vec<Me> {
        let t = [
            "A", "B", "M1", "B", "C", "M2", "D", "M1", "C", "B", "C", "D", "A", "B", "M3", "C",
            "D", "M4",
        ];
        (0..18)
            .map(|i| me(i as u64 + 1, i as i64 + 1, t[i]))
            .collect()
    }

    fn test5() -> Vec<Me> {
        let rows = [
            (0, "normal", "foo", "foo"),
            (1, "normal", "foo", "foo"),
            (3, "missing", "foo", "foo"),
            (4, "normal", "foo", "foo"),
            (5, "normal", "foo", "foo"),
            (6, "normal", "foo", "foo"),
            (7, "missing", "foo", "bar"),
            (8, "normal", "foo", "foo"),
            (9, "normal", "baz", "baz"),
            (10, "normal", "baz", "baz"),
            (11, "missing", "baz", "foo"),
            (12, "normal", "baz", "baz"),
        ];
        rows.iter()
            .enumerate()
            .map(|(i, &(ms, tag, k1, k2))| Me {
                seq: i as u64 + 1,
                ms,
                tag,
                k1,
                k2,
            })
            .collect()
    }

    /// Runs a sequence of (filter, missing?) stages over `data`; returns flattened ids
    /// (-1 for missing) and join keys.
    fn run_missing(
        stages_: &[(Mf, bool)],
        maxspan: u64,
        data: &[Me],
        flush: bool,
    ) -> (Vec<i64>, Vec<String>) {
        let filters: Vec<Mf> = stages_.iter().map(|s| s.0).collect();
        let st: Vec<(usize, bool)> = stages_.iter().enumerate().map(|(i, s)| (i, s.1)).collect();
        let spec = SequenceSpec {
            stages: stages(&st),
            keys: filters[0].by.len(),
            maxspan: Some(maxspan),
            until_filter: None,
        };
        let mut e = SequenceEngine::new(&spec, 64);
        let mut ids = Vec::new();
        let mut keys = Vec::new();
        let mut f = |m: SequenceMatch<'_>| {
            ids.extend(m.events.iter().map(|e| e.map_or(-1, |e| e.handle as i64)));
            keys.extend(m.key.iter().map(|v| v.as_str().unwrap().to_string()));
        };
        for &d in data {
            e.on_event(
                EventRef {
                    handle: d.seq,
                    ts: d.ms * MS,
                },
                &MeIn {
                    e: d,
                    filters: &filters,
                },
                &mut f,
            );
        }
        if flush {
            e.flush(&mut f);
        }
        (ids, keys)
    }

    const fn t(tag: &'static str) -> Mf {
        Mf {
            tag,
            min_seq: 0,
            by: &[],
        }
    }

    #[test]
    fn missing_in_between() {
        let n = (t("normal"), false);
        // missingInBetween_noMatches / _match
        assert_eq!(
            run_missing(&[n, (t("nonexisting"), true), n], SEC, &test1(), true).0,
            vec![1, -1, 2, 2, -1, 4]
        );
        assert_eq!(
            run_missing(&[n, (t("missing"), true), n], SEC, &test1(), true).0,
            vec![1, -1, 2]
        );
        // skipFirstMatchAndPickSecondCandidate
        assert_eq!(
            run_missing(&[n, n, (t("missing"), true), n], SEC, &test2(), true).0,
            vec![2, 4, -1, 5]
        );
    }

    #[test]
    fn missing_trailing() {
        // positivePlusMissing: 1 and 2 have event 3 within maxspan after them.
        let q = [(t("normal"), false), (t("missing"), true)];
        assert_eq!(run_missing(&q, SEC, &test1(), true).0, vec![4, -1]);
        // Event 4 is the last event: it is only decided by flush.
        assert_eq!(run_missing(&q, SEC, &test1(), false).0, Vec::<i64>::new());
        // A later event beyond first + maxspan releases it without flush.
        let mut data = test1();
        data.push(me(9, 4 + 1000 + 1, "other"));
        assert_eq!(run_missing(&q, SEC, &data, false).0, vec![4, -1]);
        // ... but not one exactly at first + maxspan (a T there would still discard).
        let mut data = test1();
        data.push(me(9, 4 + 1000, "other"));
        assert_eq!(run_missing(&q, SEC, &data, false).0, Vec::<i64>::new());
        // ... and a T exactly at first + maxspan does discard; one 1 ms later doesn't.
        let mut data = test1();
        data.push(me(9, 4 + 1000, "missing"));
        assert_eq!(run_missing(&q, SEC, &data, true).0, Vec::<i64>::new());
        let mut data = test1();
        data.push(me(9, 4 + 1001, "missing"));
        assert_eq!(run_missing(&q, SEC, &data, true).0, vec![4, -1]);
        // A missing event at the same timestamp as the last positive never counts.
        let data = vec![me(1, 1, "normal"), me(2, 1, "missing")];
        assert_eq!(run_missing(&q, SEC, &data, true).0, vec![1, -1]);
    }

    #[test]
    fn missing_leading() {
        let m = (t("missing"), true);
        let n = (t("normal"), false);
        // leadingSimple
        assert_eq!(
            run_missing(&[m, n], 3 * MIN, &test3(), true).0,
            vec![-1, 2, -1, 5, -1, 6]
        );
        // leadingAndTrailingExcluded1 / 2
        assert_eq!(
            run_missing(&[m, n, m], 19 * MIN, &test3(), true).0,
            vec![-1, 2, -1, -1, 4, -1, -1, 5, -1, -1, 6, -1]
        );
        assert_eq!(
            run_missing(&[m, n, m], 21 * MIN, &test3(), true).0,
            vec![-1, 4, -1, -1, 5, -1, -1, 6, -1]
        );
    }

    #[test]
    fn missing_multiple() {
        let (a, b, c, d) = (
            (t("A"), false),
            (t("B"), false),
            (t("C"), false),
            (t("D"), false),
        );
        let miss = |tag| (t(tag), true);
        let r = |q: &[(Mf, bool)]| run_missing(q, SEC, &test4(), true).0;
        assert_eq!(
            r(&[a, b, miss("M1"), c, miss("M2"), d]),
            vec![13, 14, -1, 16, -1, 17]
        );
        assert_eq!(r(&[a, b, miss("M1"), c, d]), vec![13, 14, -1, 16, 17]);
        assert_eq!(r(&[a, b, c, miss("M2"), d]), vec![13, 14, 16, -1, 17]);
        assert_eq!(
            r(&[a, b, miss("M1"), c, miss("M2"), d, miss("M4")]),
            Vec::<i64>::new()
        );
        assert_eq!(
            r(&[a, b, miss("none"), c, miss("none"), d]),
            vec![1, 2, -1, 5, -1, 7, 13, 14, -1, 16, -1, 17]
        );
        assert_eq!(
            r(&[a, b, c, miss("M2"), d, miss("none")]),
            vec![13, 14, 16, -1, 17, -1]
        );
        assert_eq!(
            r(&[miss("none"), a, b, c, miss("M2"), d]),
            vec![-1, 13, 14, 16, -1, 17]
        );
    }

    #[test]
    fn missing_with_keys() {
        let by = |tag, by: &'static [&'static str]| Mf {
            tag,
            min_seq: 0,
            by,
        };
        let n1 = (by("normal", &["k1"]), false);
        let n2 = (by("normal", &["k2"]), false);
        let n12 = (by("normal", &["k1", "k2"]), false);
        let foo2 = vec![2, 4, -1, 5, 4, 5, -1, 6];
        let four = vec![2, 4, -1, 5, 4, 5, -1, 6, 5, 6, -1, 8, 9, 10, -1, 12];
        // withByKey1 / withByKey2
        let (ids, keys) = run_missing(
            &[n1, n1, (by("missing", &["k1"]), true), n1],
            SEC,
            &test5(),
            true,
        );
        assert_eq!(
            (ids, keys),
            (foo2.clone(), vec!["foo".to_string(), "foo".into()])
        );
        // withByKey3: the missing stage is keyed by k2
        let (ids, keys) = run_missing(
            &[n1, n1, (by("missing", &["k2"]), true), n1],
            SEC,
            &test5(),
            true,
        );
        assert_eq!(ids, four);
        assert_eq!(keys, vec!["foo", "foo", "foo", "baz"]);
        // withByKey4
        let (ids, _) = run_missing(
            &[n2, n2, (by("missing", &["k2"]), true), n2],
            SEC,
            &test5(),
            true,
        );
        assert_eq!(ids, four);
        // withByKey5
        let m12 = (by("missing", &["k1", "k2"]), true);
        let (ids, keys) = run_missing(&[n12, n12, m12, n12], SEC, &test5(), true);
        assert_eq!(ids, four);
        assert_eq!(
            keys,
            vec!["foo", "foo", "foo", "foo", "foo", "foo", "baz", "baz"]
        );
        // withByKey6 (missing: `sequence > 10`); withByKey_tail = its last 2.
        let m6 = (
            Mf {
                tag: "missing",
                min_seq: 10,
                by: &["k1", "k2"],
            },
            true,
        );
        let (ids, _) = run_missing(&[n12, n12, m6, n12], SEC, &test5(), true);
        assert_eq!(
            ids,
            vec![1, 2, -1, 4, 2, 4, -1, 5, 4, 5, -1, 6, 5, 6, -1, 8, 9, 10, -1, 12]
        );
        assert_eq!(ids[ids.len() - 8..], [5, 6, -1, 8, 9, 10, -1, 12]);
        // withByKey_runs / withByKey_runsOnMissing
        let (ids, _) = run_missing(&[n12, n12, m12, n12], SEC, &test5(), true);
        assert_eq!(ids, four);
        let (ids, _) = run_missing(&[n12, n12, m12, m12, n12], SEC, &test5(), true);
        assert_eq!(
            ids,
            vec![2, 4, -1, -1, 5, 4, 5, -1, -1, 6, 5, 6, -1, -1, 8, 9, 10, -1, -1, 12]
        );
    }

    #[test]
    fn held_candidates_keep_order() {
        // [A] ![M] maxspan 10, keys: k. Candidate x@0 is held (no T yet); y@5 completes
        // later and is decided early by a T... no: y is kept only after its own deadline.
        // x gets a T at 20 (> 0 + 10: kept). Output must stay x, y.
        let mut spec_st = vec![(0usize, false), (1usize, true)];
        let s = SequenceSpec {
            stages: stages(&spec_st),
            keys: 1,
            maxspan: Some(10),
            until_filter: None,
        };
        spec_st.clear();
        let k = |n: &'static str| Value::Str(n);
        let at = |h, ts, f, n| Ev {
            ts,
            ..kev(h, &[f], &[k(n)])
        };
        let mut e = SequenceEngine::new(&s, 8);
        let mut out = Out::new();
        {
            let mut f = collect(&mut out);
            for x in [at(1, 0, 0, "x"), at(2, 5, 0, "y"), at(3, 6, 1, "y")] {
                e.on_event(
                    EventRef {
                        handle: x.h,
                        ts: x.ts,
                    },
                    &x,
                    &mut f,
                );
            }
        }
        // y was discarded by the T at 6 (6 - 5 <= 10); x still pending.
        assert!(out.is_empty());
        // x (pending) and y (decided, waiting behind x for release).
        assert_eq!(e.stats().held, 2);
        {
            let mut f = collect(&mut out);
            let z = at(4, 9, 0, "z"); // completes, held behind x
            e.on_event(EventRef { handle: 4, ts: 9 }, &z, &mut f);
            drop(f);
            assert!(out.is_empty());
            let mut f = collect(&mut out);
            let w = at(5, 11, 2, "w"); // passes x's deadline (0 + 10)
            e.on_event(EventRef { handle: 5, ts: 11 }, &w, &mut f);
        }
        assert_eq!(
            out.iter().map(|o| o.0.clone()).collect::<Vec<_>>(),
            vec![vec![1, -1]]
        );
        e.flush(&mut collect(&mut out));
        assert_eq!(
            out.iter().map(|o| o.0.clone()).collect::<Vec<_>>(),
            vec![vec![1, -1], vec![4, -1]]
        );
    }

    #[test]
    fn key_encoding_and_order() {
        let mut b = Vec::new();
        for v in [
            Value::Null,
            Value::Bool(false),
            Value::Int(-3),
            Value::Float(2.5),
            Value::Str("é\0x"),
        ] {
            encode_value(v, &mut b);
        }
        let k = Key::new(&b);
        assert_eq!(
            k.iter().collect::<Vec<_>>(),
            vec![
                Value::Null,
                Value::Bool(false),
                Value::Int(-3),
                Value::Float(2.5),
                Value::Str("é\0x")
            ]
        );
        assert_eq!(k.len(), 5);
        let enc = |v: Value<'_>| {
            let mut b = Vec::new();
            encode_value(v, &mut b);
            b
        };
        assert_eq!(enc(Value::Float(1.0)), enc(Value::Int(1)));
        assert_eq!(enc(Value::Float(-0.0)), enc(Value::Int(0)));
        let (n, t, one, two5, s) = (
            enc(Value::Null),
            enc(Value::Bool(true)),
            enc(Value::Int(1)),
            enc(Value::Float(2.5)),
            enc(Value::Str("GTA")),
        );
        let doom = enc(Value::Str("doom"));
        let keys = [&n, &t, &one, &two5, &s, &doom];
        // as indexed under either mapping: `1` and `"1"` meet, `"01"` stays text
        assert_eq!(enc(Value::Str("1")), one);
        assert_eq!(enc(Value::Str("-42")), enc(Value::Int(-42)));
        assert_eq!(enc(Value::Str("0")), enc(Value::Int(0)));
        assert_eq!(enc(Value::Str("true")), t);
        for text in [
            "01",
            "-0",
            "+1",
            "1.0",
            "",
            "-",
            "1a",
            "99999999999999999999",
            "True",
        ] {
            assert_eq!(enc(Value::Str(text))[0], TAG_STR, "{text:?}");
        }
        assert_eq!(canonical_int("-9223372036854775808"), Some(i64::MIN));
        // canonical decimals meet the numbers they spell; other spellings stay text
        for (text, x) in [
            ("1.5", 1.5),
            ("-0.25", -0.25),
            ("0.1", 0.1),
            ("123.456", 123.456),
        ] {
            assert_eq!(enc(Value::Str(text)), enc(Value::Float(x)), "{text:?}");
            assert_eq!(enc(Value::Str(text))[0], TAG_FLOAT, "{text:?}");
        }
        for text in [
            "1.50", "01.5", ".5", "1.", "1e2", "1.5e0", "+1.5", "-.5", "1.5.1", "NaN", "inf",
        ] {
            assert_eq!(enc(Value::Str(text))[0], TAG_STR, "{text:?}");
        }
        for w in keys.windows(2) {
            assert!(Key::new(w[0]) < Key::new(w[1]));
        }
    }
}

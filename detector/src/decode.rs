//! The fast-path event decoder: one NDJSON line in, the slots of a [`SlotBuf`] out.
//!
//! The field paths a pack reads are known when the detector starts
//! ([`RulePack::fields`](eqlc_runtime::RulePack::fields)). [`FieldTrie`] arranges them as a
//! trie of dotted-path *segments*; [`Decoder`] scans the JSON text once, walks each key
//! through the trie (a key may be a single segment or a flat dotted key such as
//! `"process.pid"`, and both spellings may be mixed at any depth), and
//!
//! * pushes the scalar values of every wanted field into its slot (arrays contribute every
//!   element, nested arrays are flattened, arrays of objects are descended into as
//!   Elasticsearch flattens them);
//! * borrows string values from the line when they have no escapes
//!   ([`SlotBuf::push_str_line`]), and unescapes the others into the `SlotBuf`'s arena;
//! * reads `@timestamp` as Elasticsearch's default date format does (RFC 3339 with 0–9
//!   fractional digits, date only, no zone as UTC, or epoch milliseconds), in whole
//!   milliseconds as a `date` field keeps it: the runtime's [`timestamp_of`];
//! * skips every other value without building anything, while still checking the JSON
//!   grammar (structure, string escapes, number syntax, literals), so malformed lines are
//!   rejected (raw control characters in strings too, as JSON and Elasticsearch forbid
//!   them).
//!
//! Optional type checks ([`FieldType`]) reject values that Elasticsearch's mapping would
//! refuse at index time (a non-numeric string in a `long` field, a non-address in an
//! `ip` field, ...): such a document never reaches a rule in Elasticsearch, so the
//! detector counts it as a bad line instead.
//!
//! Strings are found through a per-line *quote index*: one pass over the line (SSE2, 16
//! bytes per compare) sets a bit for every `"` and `\\`, and each string's end is then the
//! next set bit (`Text`), not a byte-by-byte search.
//!
//! Nothing is allocated per line once the scratch buffers and the `SlotBuf` have grown to
//! the largest line seen.

use core::fmt;

use eqlc_runtime::record::timestamp_of;
use eqlc_runtime::{SlotBuf, Value};

/// Maximum nesting depth of arrays and objects accepted in one line.
pub const MAX_DEPTH: u32 = 128;

const NONE: u32 = u32::MAX;
const ROOT: u32 = 0;

use eqlc_runtime::mapping::index_scalar;
pub use eqlc_runtime::mapping::FieldType;

/// Why a line was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid UTF-8.
    Utf8,
    /// Not valid JSON; `at` is the byte offset where the problem was seen.
    Syntax {
        /// Byte offset in the line.
        at: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// Valid JSON, but not an object.
    NotObject,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// No `@timestamp`.
    MissingTimestamp,
    /// `@timestamp` is there but is not a date.
    BadTimestamp,
    /// A value of a field with a known type that Elasticsearch would refuse.
    WrongType {
        /// The slot (index into the pack's fields).
        slot: u32,
        /// The expected type.
        expected: FieldType,
    },
    /// Longer than the configured maximum (detected by the line reader).
    TooLong,
}

impl DecodeError {
    /// A short stable name of the error class (used in counters).
    pub fn class(&self) -> &'static str {
        match self {
            DecodeError::Utf8 => "utf8",
            DecodeError::Syntax { .. } | DecodeError::NotObject | DecodeError::TooDeep => "json",
            DecodeError::MissingTimestamp | DecodeError::BadTimestamp => "timestamp",
            DecodeError::WrongType { .. } => "type",
            DecodeError::TooLong => "too_long",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Utf8 => f.write_str("invalid UTF-8"),
            DecodeError::Syntax { at, what } => write!(f, "invalid JSON at byte {at}: {what}"),
            DecodeError::NotObject => f.write_str("not a JSON object"),
            DecodeError::TooDeep => write!(f, "nested deeper than {MAX_DEPTH}"),
            DecodeError::MissingTimestamp => f.write_str("no @timestamp value"),
            DecodeError::BadTimestamp => f.write_str(
                "@timestamp is not a date (RFC 3339 text such as 2024-05-01T12:00:00Z, or epoch milliseconds)",
            ),
            DecodeError::WrongType { expected, .. } => {
                write!(
                    f,
                    "a field of type {} has a value of another type",
                    expected.name()
                )
            }
            DecodeError::TooLong => f.write_str("line too long"),
        }
    }
}

#[derive(Debug, Clone)]
struct Node {
    /// Child segments, as (segment bytes, node index).
    children: Vec<(Box<[u8]>, u32)>,
    /// The [`SegKey`] of each child segment, as `children`.
    keys: Vec<SegKey>,
    /// The children by [`SegKey::hash`]: an open-addressing table of indices into
    /// `children` (`NONE`: empty), a power of two at least twice as long as `children`;
    /// built by [`FieldTrie::new`].
    table: Box<[u32]>,
    /// Slots this path fills (normally zero or one).
    slots: Vec<u32>,
    /// Whether this path is `@timestamp`.
    ts: bool,
    /// Type check for values of this path.
    ty: FieldType,
}

impl Node {
    fn new() -> Node {
        Node {
            children: Vec::new(),
            keys: Vec::new(),
            table: Box::new([]),
            slots: Vec::new(),
            ts: false,
            ty: FieldType::Any,
        }
    }

    /// The error for a value this node's field type refuses.
    fn wrong_type(&self) -> DecodeError {
        DecodeError::WrongType {
            slot: self.slots[0],
            expected: self.ty,
        }
    }

    /// Fill `keys` and `table` from `children`.
    fn build_table(&mut self) {
        self.keys = self.children.iter().map(|(s, _)| SegKey::of(s)).collect();
        if self.children.is_empty() {
            self.table = Box::new([]);
            return;
        }
        let len = (self.children.len() * 2).next_power_of_two();
        let mut table = vec![NONE; len];
        for (i, (seg, _)) in self.children.iter().enumerate() {
            let mut at = SegKey::of(seg).hash() as usize & (len - 1);
            while table[at] != NONE {
                at = (at + 1) & (len - 1);
            }
            table[at] = i as u32;
        }
        self.table = table.into_boxed_slice();
    }
}

/// The first eight bytes of `s` (at least eight long) as a number.
#[inline]
fn word(s: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[..8]);
    u64::from_le_bytes(w)
}

/// A key segment summarised by its length and two words that, for segments of at most
/// [`SegKey::EXACT`] bytes, hold every byte: the first and last eight bytes (8–16
/// bytes), the first and last four (4–7), or the first, middle and last byte (0–3).
/// Equal summaries of such segments mean equal segments; longer ones are compared in
/// full after the summaries agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SegKey {
    len: usize,
    a: u64,
    b: u64,
}

impl SegKey {
    /// Segments up to this long are identified by their summary alone.
    const EXACT: usize = 16;

    #[inline]
    fn of(s: &[u8]) -> SegKey {
        let n = s.len();
        let (a, b) = if n >= 8 {
            (word(s), word(&s[n - 8..]))
        } else if n >= 4 {
            let four = |x: &[u8]| u64::from(u32::from_le_bytes([x[0], x[1], x[2], x[3]]));
            (four(s), four(&s[n - 4..]))
        } else if n > 0 {
            let (x, y, z) = (s[0], s[n / 2], s[n - 1]);
            (u64::from(x) | u64::from(y) << 8 | u64::from(z) << 16, 0)
        } else {
            (0, 0)
        };
        SegKey { len: n, a, b }
    }

    /// Whether the segment holds a `.` (a dotted key); exact for segments of at most
    /// [`SegKey::EXACT`] bytes, else `s` is searched.
    #[inline]
    fn has_dot(&self, s: &[u8]) -> bool {
        const LO: u64 = 0x0101_0101_0101_0101;
        const HI: u64 = 0x8080_8080_8080_8080;
        const DOTS: u64 = LO * b'.' as u64;
        if self.len > Self::EXACT {
            return memchr::memchr(b'.', s).is_some();
        }
        let zero = |w: u64| {
            let x = w ^ DOTS;
            x.wrapping_sub(LO) & !x & HI != 0
        };
        // padding bytes are zero, never a dot
        zero(self.a) || zero(self.b)
    }

    #[inline]
    fn hash(&self) -> u64 {
        let h = (self.a ^ self.b.rotate_left(29) ^ (self.len as u64) << 56)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ h >> 32
    }
}

/// The wanted field paths as a trie of dotted-path segments, built once at start-up.
#[derive(Debug, Clone)]
pub struct FieldTrie {
    nodes: Vec<Node>,
    n_slots: usize,
}

impl FieldTrie {
    /// A trie for `fields` (slot `i` = `fields[i]`) plus `@timestamp`; `types` gives
    /// the type to check for a path (return [`FieldType::Any`] for no check).
    pub fn new(fields: &[&str], types: &dyn Fn(&str) -> FieldType) -> FieldTrie {
        let mut t = FieldTrie {
            nodes: vec![Node::new()],
            n_slots: fields.len(),
        };
        for (i, path) in fields.iter().enumerate() {
            let n = t.insert(path);
            t.nodes[n as usize].slots.push(i as u32);
            t.nodes[n as usize].ty = types(path);
        }
        let n = t.insert("@timestamp");
        t.nodes[n as usize].ts = true;
        for node in &mut t.nodes {
            node.build_table();
        }
        t
    }

    fn insert(&mut self, path: &str) -> u32 {
        let mut cur = ROOT;
        for seg in path.split('.') {
            let found = self.nodes[cur as usize]
                .children
                .iter()
                .find(|(s, _)| **s == *seg.as_bytes())
                .map(|&(_, c)| c);
            cur = match found {
                Some(c) => c,
                None => {
                    let id = self.nodes.len() as u32;
                    self.nodes.push(Node::new());
                    self.nodes[cur as usize]
                        .children
                        .push((Box::from(seg.as_bytes()), id));
                    id
                }
            };
        }
        cur
    }

    /// Number of slots (fields).
    pub fn n_slots(&self) -> usize {
        self.n_slots
    }

    /// The child of `node` for segment `seg` (summarised as `k`).
    #[inline(always)]
    fn child(&self, node: u32, seg: &[u8], k: SegKey) -> Option<u32> {
        let n = &self.nodes[node as usize];
        if n.table.is_empty() {
            return None;
        }
        let mask = n.table.len() - 1;
        let mut at = k.hash() as usize & mask;
        loop {
            let i = n.table[at];
            if i == NONE {
                return None;
            }
            if n.keys[i as usize] == k
                && (k.len <= SegKey::EXACT || *n.children[i as usize].0 == *seg)
            {
                return Some(n.children[i as usize].1);
            }
            at = (at + 1) & mask;
        }
    }

    /// Walk a (possibly dotted) key from `node`; `NONE` when no wanted path continues.
    #[inline(always)]
    fn walk(&self, node: u32, key: &[u8]) -> u32 {
        if node == NONE || self.nodes[node as usize].table.is_empty() {
            return NONE;
        }
        let k = SegKey::of(key);
        // No segment holds a dot, so a key found whole has none: the dot test is needed
        // only for keys not found.
        if let Some(c) = self.child(node, key, k) {
            return c;
        }
        if !k.has_dot(key) {
            return NONE;
        }
        self.walk_dotted(node, key)
    }

    /// [`FieldTrie::walk`] for a key holding a `.`: segment by segment.
    #[inline(never)]
    fn walk_dotted(&self, node: u32, key: &[u8]) -> u32 {
        let mut cur = node;
        for seg in key.split(|&b| b == b'.') {
            match self.child(cur, seg, SegKey::of(seg)) {
                Some(c) => cur = c,
                None => return NONE,
            }
        }
        cur
    }
}

/// Decodes NDJSON lines into a [`SlotBuf`], reusing its scratch buffers.
#[derive(Debug, Clone)]
pub struct Decoder {
    trie: FieldTrie,
    key: Vec<u8>,
    scratch: String,
    /// The line's quote index ([`index_quotes`]), rebuilt per line.
    quotes: Vec<u64>,
    /// The wanted keys of the open objects, as trie nodes, to refuse one repeated
    /// ([`DUPLICATE_KEY`]).
    keys_seen: Vec<u32>,
}

impl Decoder {
    /// A decoder for the paths of `trie`.
    pub fn new(trie: FieldTrie) -> Decoder {
        Decoder {
            trie,
            key: Vec::new(),
            scratch: String::new(),
            quotes: Vec::new(),
            keys_seen: Vec::new(),
        }
    }

    /// Number of slots the decoder fills.
    pub fn n_slots(&self) -> usize {
        self.trie.n_slots
    }

    /// Check that `line` is UTF-8, then [`Decoder::decode`] it.
    pub fn decode_bytes<'l>(
        &mut self,
        line: &'l [u8],
        buf: &mut SlotBuf,
    ) -> Result<(&'l str, i64), DecodeError> {
        let s = core::str::from_utf8(line).map_err(|_| DecodeError::Utf8)?;
        let ts = self.decode(s, buf)?;
        Ok((s, ts))
    }

    /// Clear `buf`, fill it from the JSON object `line` and return the event's timestamp
    /// (also stored in `buf`). Use `buf.view(line)` afterwards.
    pub fn decode(&mut self, line: &str, buf: &mut SlotBuf) -> Result<i64, DecodeError> {
        buf.clear();
        let controls = index_quotes(line.as_bytes(), &mut self.quotes);
        let mut p = Parser {
            b: line.as_bytes(),
            quotes: &self.quotes,
            controls,
            s: line,
            i: 0,
            trie: &self.trie,
            buf,
            key: &mut self.key,
            scratch: &mut self.scratch,
            keys_seen: &mut self.keys_seen,
            ts: None,
        };
        p.keys_seen.clear();
        p.ws();
        if p.peek() != Some(b'{') {
            // distinguish "valid JSON but not an object" from garbage
            p.value(NONE, 0)?;
            p.ws();
            if p.i != p.b.len() {
                return Err(p.err("trailing characters"));
            }
            return Err(DecodeError::NotObject);
        }
        p.value(ROOT, 0)?;
        p.ws();
        if p.i != p.b.len() {
            return Err(p.err("trailing characters"));
        }
        match p.ts {
            None => Err(DecodeError::MissingTimestamp),
            Some(None) => Err(DecodeError::BadTimestamp),
            Some(Some(t)) => {
                p.buf.set_timestamp(Some(t));
                Ok(t)
            }
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    /// The quote index of `b`.
    quotes: &'a [u64],
    /// `b` holds a byte below 0x20 (see [`Text`]).
    controls: bool,
    s: &'a str,
    i: usize,
    trie: &'a FieldTrie,
    buf: &'a mut SlotBuf,
    key: &'a mut Vec<u8>,
    scratch: &'a mut String,
    keys_seen: &'a mut Vec<u32>,
    /// `None`: not seen; `Some(None)`: seen, invalid; `Some(Some(t))`: the first value.
    ts: Option<Option<i64>>,
}

impl<'a> Parser<'a> {
    /// The line with its quote index, for the scanning functions.
    #[inline]
    fn text(&self) -> Text<'a> {
        Text {
            b: self.b,
            quotes: self.quotes,
            controls: self.controls,
        }
    }

    #[inline]
    fn err(&self, what: &'static str) -> DecodeError {
        DecodeError::Syntax { at: self.i, what }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// Whether `node` wants scalar values (fills a slot or is `@timestamp`).
    #[inline]
    fn wants(&self, node: u32) -> bool {
        node != NONE && {
            let n = &self.trie.nodes[node as usize];
            !n.slots.is_empty() || n.ts
        }
    }

    fn value(&mut self, node: u32, depth: u32) -> Result<(), DecodeError> {
        if node == NONE {
            return self.skip_value(depth);
        }
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        match self.peek() {
            Some(b'{') => {
                if node != NONE {
                    let n = &self.trie.nodes[node as usize];
                    if !n.slots.is_empty() && n.children.is_empty() && n.ty != FieldType::Any {
                        return Err(DecodeError::WrongType {
                            slot: n.slots[0],
                            expected: n.ty,
                        });
                    }
                }
                self.object(node, depth)
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.value(node, depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => {
                let (start, end, escaped) = self.string()?;
                if self.wants(node) {
                    self.push_str(node, start, end, escaped)?;
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true", node, Value::Bool(true)),
            Some(b'f') => self.literal(b"false", node, Value::Bool(false)),
            Some(b'n') => self.literal(b"null", node, Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(node),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of line")),
        }
    }

    fn object(&mut self, node: u32, depth: u32) -> Result<(), DecodeError> {
        self.i += 1; // '{'
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        // the wanted keys of this object: `keys_seen[base..]`, summarised by node number
        let base = self.keys_seen.len();
        let mut summary = 0u64;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a key"));
            }
            let (ks, ke, escaped) = self.string()?;
            let child = if node == NONE || self.trie.nodes[node as usize].children.is_empty() {
                NONE
            } else if escaped {
                let mut key = core::mem::take(self.key);
                key.clear();
                let r = unescape_into_bytes(&self.b[ks..ke], &mut key);
                let c = match r {
                    Ok(()) => self.trie.walk(node, &key),
                    Err(()) => {
                        *self.key = key;
                        return Err(self.err("invalid escape in key"));
                    }
                };
                *self.key = key;
                c
            } else {
                self.trie.walk(node, &self.b[ks..ke])
            };
            if child != NONE {
                // a key names one trie node (whatever its spelling), and one node one key
                let bit = 1u64 << (child % 64);
                if summary & bit != 0 && self.keys_seen[base..].contains(&child) {
                    self.i = ks - 1;
                    return Err(self.err(DUPLICATE_KEY));
                }
                summary |= bit;
                self.keys_seen.push(child);
            }
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.i += 1;
            self.ws();
            self.value(child, depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.keys_seen.truncate(base);
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    /// Scan a string starting at the opening quote; returns the content range and whether
    /// it holds escapes. Validates escapes.
    #[inline(always)]
    fn string(&mut self) -> Result<(usize, usize, bool), DecodeError> {
        let start = self.i + 1;
        match scan_string(self.text(), self.i) {
            Ok((end, escaped)) => {
                self.i = end + 1;
                Ok((start, end, escaped))
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Skip a value no wanted path reaches, checking its grammar ([`skip_value`]).
    #[inline]
    fn skip_value(&mut self, depth: u32) -> Result<(), DecodeError> {
        match skip_value(self.text(), self.i, depth) {
            Ok(i) => {
                self.i = i;
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    #[cold]
    fn fail(&mut self, e: ScanError) -> DecodeError {
        match e {
            ScanError::TooDeep => DecodeError::TooDeep,
            ScanError::Syntax { at, what } => {
                self.i = at;
                DecodeError::Syntax { at, what }
            }
        }
    }

    fn literal(&mut self, word: &[u8], node: u32, v: Value<'static>) -> Result<(), DecodeError> {
        if !self.b[self.i..].starts_with(word) {
            return Err(self.err("invalid literal"));
        }
        self.i += word.len();
        if self.wants(node) {
            self.push_scalar(node, v)?;
        }
        Ok(())
    }

    fn number(&mut self, node: u32) -> Result<(), DecodeError> {
        let start = self.i;
        let integral = self.scan_number()?;
        if !self.wants(node) {
            return Ok(());
        }
        let i = self.i;
        let text = &self.s[start..i];
        let v = if integral {
            match text.parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(_) => Value::Float(text.parse::<f64>().unwrap_or(f64::INFINITY)),
            }
        } else {
            Value::Float(text.parse::<f64>().unwrap_or(f64::INFINITY))
        };
        if let Value::Float(f) = v {
            if !f.is_finite() {
                self.i = start;
                return Err(self.err("number out of range"));
            }
        }
        self.push_scalar(node, v)
    }

    /// Scan a number (grammar only); returns whether it is written as an integer.
    #[inline]
    fn scan_number(&mut self) -> Result<bool, DecodeError> {
        match scan_number(self.b, self.i) {
            Ok((i, integral)) => {
                self.i = i;
                Ok(integral)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Push a non-string scalar to every slot of `node` (and read it as the timestamp).
    fn push_scalar(&mut self, node: u32, v: Value<'_>) -> Result<(), DecodeError> {
        let n = &self.trie.nodes[node as usize];
        if n.ts && self.ts.is_none() {
            self.ts = Some(match v {
                Value::Null => None,
                v => timestamp_of(v),
            });
        }
        if n.slots.is_empty() {
            return Ok(());
        }
        // what the field's mapping indexes for the value (`None`: the document is refused);
        // a `long` keeps the integer part (Elasticsearch coerces `3.5` to 3)
        let Some(v) = index_scalar(n.ty, v) else {
            return Err(n.wrong_type());
        };
        for &s in &n.slots {
            self.buf.push_value(s as usize, v);
        }
        Ok(())
    }

    fn push_str(
        &mut self,
        node: u32,
        start: usize,
        end: usize,
        escaped: bool,
    ) -> Result<(), DecodeError> {
        let text: &str = if escaped {
            self.scratch.clear();
            if unescape_into(&self.s[start..end], self.scratch).is_err() {
                return Err(self.err("invalid \\u escape (lone surrogate)"));
            }
            self.scratch
        } else {
            &self.s[start..end]
        };
        let n = &self.trie.nodes[node as usize];
        if n.ts && self.ts.is_none() {
            self.ts = Some(timestamp_of(Value::Str(text)));
        }
        if n.slots.is_empty() {
            return Ok(());
        }
        if n.ty != FieldType::Any {
            // a numeric field indexes the number a string holds (`"443"`, `" 3.5 "` as 3
            // in a `long`), an empty string as `null`; other types keep the text or refuse
            match index_scalar(n.ty, Value::Str(text)) {
                None => return Err(n.wrong_type()),
                Some(Value::Str(_)) => {}
                Some(v) => {
                    for &s in &n.slots {
                        self.buf.push_value(s as usize, v);
                    }
                    return Ok(());
                }
            }
        }
        for &s in &n.slots {
            if escaped {
                self.buf.push_str_copy(s as usize, text);
            } else {
                self.buf.push_str_line(s as usize, start, end);
            }
        }
        Ok(())
    }
}

/// A grammar error found by the scanning functions.
#[derive(Debug, Clone, Copy)]
enum ScanError {
    TooDeep,
    Syntax { at: usize, what: &'static str },
}

#[inline]
fn syntax<T>(at: usize, what: &'static str) -> Result<T, ScanError> {
    Err(ScanError::Syntax { at, what })
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The string whose opening quote is at `b[i]`: the index of its closing quote and
/// whether it holds escapes (checked: `\\u` takes four hex digits).
#[inline(always)]
fn scan_string(t: Text<'_>, i: usize) -> Result<(usize, bool), ScanError> {
    let b = t.b;
    let mut j = t.next_quote_or_backslash(i + 1);
    let mut escaped = false;
    loop {
        match b.get(j) {
            None => return syntax(j, "unterminated string"),
            Some(b'"') => {
                if t.controls {
                    if let Some(k) = b[i + 1..j].iter().position(|&c| c < 0x20) {
                        return syntax(i + 1 + k, "raw control character in a string");
                    }
                }
                return Ok((j, escaped));
            }
            Some(_) => {
                // a backslash
                escaped = true;
                match b.get(j + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
                    Some(b'u') => {
                        let Some(unit) = escaped_unit(b, j) else {
                            return syntax(j, "invalid \\u escape");
                        };
                        j += 6;
                        match unit {
                            // a high surrogate must be followed by an escaped low one
                            0xD800..=0xDBFF => match escaped_unit(b, j) {
                                Some(0xDC00..=0xDFFF) => j += 6,
                                _ => return syntax(j - 6, "invalid \\u escape (lone surrogate)"),
                            },
                            0xDC00..=0xDFFF => {
                                return syntax(j - 6, "invalid \\u escape (lone surrogate)")
                            }
                            _ => {}
                        }
                    }
                    _ => return syntax(j, "invalid escape"),
                }
                j = t.next_quote_or_backslash(j);
            }
        }
    }
}

/// The UTF-16 unit of the `\\uXXXX` escape at `b[j]` (`None`: not such an escape).
#[inline]
fn escaped_unit(b: &[u8], j: usize) -> Option<u32> {
    let e = b.get(j..j + 6)?;
    (e[0] == b'\\' && e[1] == b'u' && e[2..].iter().all(u8::is_ascii_hexdigit))
        .then(|| hex4(&e[2..]))
}

/// The number at `b[i]` (grammar only): the index after it and whether it is written as
/// an integer.
#[inline]
fn scan_number(b: &[u8], mut i: usize) -> Result<(usize, bool), ScanError> {
    let start = i;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return syntax(i, "invalid number"),
    }
    let mut integral = true;
    if b.get(i) == Some(&b'.') {
        integral = false;
        i += 1;
        let d = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == d {
            return syntax(i, "invalid number");
        }
    }
    let exponent = matches!(b.get(i), Some(b'e' | b'E'));
    if exponent {
        integral = false;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let d = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == d {
            return syntax(i, "invalid number");
        }
    }
    // Only an exponent or some 300 digits can leave the range of a double (`1e999`);
    // Elasticsearch refuses such a document, skipped field or not.
    if (exponent || i - start > 300)
        && core::str::from_utf8(&b[start..i])
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .is_some_and(|f| !f.is_finite())
    {
        return syntax(start, "number out of range");
    }
    Ok((i, integral))
}

/// The error of a key an object holds twice: Elasticsearch refuses such a document
/// ("Duplicate field"), so no rule may see it, while the parser would otherwise take both
/// values (or, under two spellings such as `"a"` and `"\u0061"`, both too).
///
/// Only keys that lead to a field some rule reads are compared (as the trie nodes they
/// walk to, which is cheap); a repeated key that no rule reads is let through, as its
/// values change no result. (Comparing every key, by hash, cost about 5% of the whole
/// detector's instructions on the generated mixed stream.)
pub const DUPLICATE_KEY: &str =
    "a key repeated in one object (Elasticsearch refuses such a document: duplicate field)";

/// In a skipped object, at a key: the key, `:` and the whitespace before the value.
#[inline]
fn skip_key(t: Text<'_>, i: usize) -> Result<usize, ScanError> {
    let b = t.b;
    if b.get(i) != Some(&b'"') {
        return syntax(i, "expected a key");
    }
    let (end, _) = scan_string(t, i)?;
    let i = skip_ws(b, end + 1);
    if b.get(i) != Some(&b':') {
        return syntax(i, "expected ':'");
    }
    Ok(skip_ws(b, i + 1))
}

/// Skip the value at `b[i]` (at nesting `depth`) that no wanted path reaches, checking its
/// grammar: iterative (no trie, no recursion), the kinds of the open containers kept as
/// the bits of a `u128`. Returns the index after the value.
fn skip_value(t: Text<'_>, mut i: usize, depth: u32) -> Result<usize, ScanError> {
    let b = t.b;
    // bit k: the container opened at level k is an object
    let mut objects: u128 = 0;
    let mut level: u32 = 0;
    'value: loop {
        if depth + level > MAX_DEPTH {
            return Err(ScanError::TooDeep);
        }
        match b.get(i) {
            Some(b'"') => i = scan_string(t, i)?.0 + 1,
            Some(b'{') => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    if level >= 128 {
                        return Err(ScanError::TooDeep);
                    }
                    objects |= 1 << level;
                    level += 1;
                    i = skip_key(t, i)?;
                    continue 'value;
                }
            }
            Some(b'[') => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    if level >= 128 {
                        return Err(ScanError::TooDeep);
                    }
                    objects &= !(1 << level);
                    level += 1;
                    continue 'value;
                }
            }
            Some(b'-' | b'0'..=b'9') => i = scan_number(b, i)?.0,
            Some(b't') if b[i..].starts_with(b"true") => i += 4,
            Some(b'f') if b[i..].starts_with(b"false") => i += 5,
            Some(b'n') if b[i..].starts_with(b"null") => i += 4,
            Some(b't' | b'f' | b'n') => return syntax(i, "invalid literal"),
            Some(_) => return syntax(i, "unexpected character"),
            None => return syntax(i, "unexpected end of line"),
        }
        // after a value: close containers or go on to the next element
        loop {
            if level == 0 {
                return Ok(i);
            }
            let in_object = objects & (1 << (level - 1)) != 0;
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b',') => {
                    i = skip_ws(b, i + 1);
                    if in_object {
                        i = skip_key(t, i)?;
                    }
                    continue 'value;
                }
                Some(b'}') if in_object => {
                    i += 1;
                    level -= 1;
                }
                Some(b']') if !in_object => {
                    i += 1;
                    level -= 1;
                }
                _ if in_object => return syntax(i, "expected ',' or '}'"),
                _ => return syntax(i, "expected ',' or ']'"),
            }
        }
    }
}

/// A line and its quote index: bit `k` of `quotes[w]` is set when byte `64w + k` of `b`
/// is `"` or `\\`; `quotes` has `b.len() / 64 + 1` words, so every position up to and
/// including `b.len()` has a word. `controls`: the line holds a byte below 0x20 somewhere
/// (then strings are checked for raw control characters, which JSON forbids; lines
/// without any skip that check).
#[derive(Clone, Copy)]
struct Text<'a> {
    b: &'a [u8],
    quotes: &'a [u64],
    controls: bool,
}

impl Text<'_> {
    /// The index of the first `"` or `\\` at or after `from` (at most `b.len()`), or
    /// `b.len()` when there is none.
    #[inline]
    fn next_quote_or_backslash(self, from: usize) -> usize {
        let mut w = from / 64;
        let mut m = self.quotes[w] & (!0u64 << (from % 64));
        while m == 0 {
            w += 1;
            match self.quotes.get(w) {
                Some(&q) => m = q,
                None => return self.b.len(),
            }
        }
        w * 64 + m.trailing_zeros() as usize
    }
}

/// Build the quote index of `b` into `out` (see [`Text`]): 64 bytes at a time, with SSE2
/// where the target has it. Returns whether `b` holds a byte below 0x20.
fn index_quotes(b: &[u8], out: &mut Vec<u64>) -> bool {
    out.clear();
    let mut controls = false;
    let mut blocks = b.chunks_exact(64);
    for blk in &mut blocks {
        let (m, c) = block_mask(blk.try_into().expect("64-byte chunk"));
        out.push(m);
        controls |= c;
    }
    let rest = blocks.remainder();
    // padded with spaces: neither '"', '\\' nor a control character
    let mut last = [b' '; 64];
    last[..rest.len()].copy_from_slice(rest);
    let (m, c) = block_mask(&last);
    out.push(m);
    controls | c
}

/// Bit `k` set when `blk[k]` is `"` or `\\`; and whether some byte is below 0x20.
#[inline]
fn block_mask(blk: &[u8; 64]) -> (u64, bool) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: `block_mask_sse2` only needs the `sse2` target feature, and this branch
        // is compiled only when the whole build enables it (`cfg(target_feature =
        // "sse2")`, the default on x86_64), so every CPU this code runs on has it. It
        // takes a reference to an array, so there is no pointer to misuse.
        #[allow(unsafe_code)]
        unsafe {
            block_mask_sse2(blk)
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        block_mask_swar(blk)
    }
}

/// [`block_mask`] with SSE2: sixteen bytes compared per instruction.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn block_mask_sse2(blk: &[u8; 64]) -> (u64, bool) {
    use core::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_set_epi64x, _mm_setzero_si128,
    };
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let below_space = _mm_set1_epi8(0x1f);
    let mut controls = _mm_setzero_si128();
    let mut m = 0u64;
    for (k, lane) in blk.chunks_exact(16).enumerate() {
        let lo = u64::from_le_bytes(lane[..8].try_into().expect("8 bytes"));
        let hi = u64::from_le_bytes(lane[8..].try_into().expect("8 bytes"));
        let v = _mm_set_epi64x(hi as i64, lo as i64);
        let hits = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
        // one bit per byte, in byte order: the low 16 bits of the result
        m |= u64::from(_mm_movemask_epi8(hits) as u16) << (16 * k);
        // unsigned `v <= 0x1f`: min(v, 0x1f) == v
        controls = _mm_or_si128(controls, _mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v));
    }
    (m, _mm_movemask_epi8(controls) != 0)
}

/// [`block_mask`] eight bytes at a time in plain integer arithmetic (targets without SSE2;
/// also tested against the SSE2 version).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn block_mask_swar(blk: &[u8; 64]) -> (u64, bool) {
    const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const LO: u64 = 0x0101_0101_0101_0101;
    const TOP3: u64 = 0xE0E0_E0E0_E0E0_E0E0;
    // exact: 0x80 in each byte of `x` that is zero, nothing elsewhere (no borrows)
    let zero_bytes = |x: u64| !(((x & LO7) + LO7) | x | LO7);
    let mut m = 0u64;
    let mut controls = 0u64;
    for (k, word) in blk.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let hits = zero_bytes(w ^ (LO * u64::from(b'"'))) | zero_bytes(w ^ (LO * u64::from(b'\\')));
        // gather the eight high bits into the low byte, in byte order
        let bits = ((hits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        m |= bits << (8 * k);
        // a byte below 0x20 has its top three bits clear
        controls |= zero_bytes(w & TOP3);
    }
    (m, controls != 0)
}

fn hex4(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |acc, &c| {
        acc * 16
            + match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'a'..=b'f' => u32::from(c - b'a' + 10),
                _ => u32::from(c - b'A' + 10),
            }
    })
}

/// Unescape the content of a JSON string whose escapes were already validated by the
/// scanner. `Err` on a lone surrogate.
fn unescape_into(s: &str, out: &mut String) -> Result<(), ()> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match memchr::memchr(b'\\', &b[i..]) {
            None => {
                out.push_str(&s[i..]);
                return Ok(());
            }
            Some(off) => {
                out.push_str(&s[i..i + off]);
                i += off;
            }
        }
        let c = b.get(i + 1).copied().ok_or(())?;
        i += 2;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(b.get(i..i + 4).ok_or(())?);
                i += 4;
                if (0xD800..0xDC00).contains(&hi) {
                    if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
                        return Err(());
                    }
                    let lo = hex4(b.get(i + 2..i + 6).ok_or(())?);
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(());
                    }
                    i += 6;
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).ok_or(())?
                } else {
                    char::from_u32(hi).ok_or(())?
                }
            }
            _ => return Err(()),
        };
        out.push(ch);
    }
    Ok(())
}

fn unescape_into_bytes(raw: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
    // keys are short: decode through a stack-free path by reusing the String logic
    let s = core::str::from_utf8(raw).map_err(|_| ())?;
    let mut tmp = String::from_utf8(core::mem::take(out)).unwrap_or_default();
    tmp.clear();
    let r = unescape_into(s, &mut tmp);
    *out = tmp.into_bytes();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqlc_runtime::Record;

    fn run(fields: &[&str], line: &str) -> Result<(Vec<Vec<String>>, i64), DecodeError> {
        run_typed(fields, &|_| FieldType::Any, line)
    }

    fn run_typed(
        fields: &[&str],
        types: &dyn Fn(&str) -> FieldType,
        line: &str,
    ) -> Result<(Vec<Vec<String>>, i64), DecodeError> {
        let mut d = Decoder::new(FieldTrie::new(fields, types));
        let mut buf = SlotBuf::new(fields.len());
        let ts = d.decode(line, &mut buf)?;
        let v = buf.view(line);
        Ok((
            (0..fields.len())
                .map(|i| v.values(i).map(|x| format!("{x:?}")).collect())
                .collect(),
            ts,
        ))
    }

    const TS: &str = r#""@timestamp":"2022-02-16T23:49:50.5022851Z""#;

    #[test]
    fn a_key_repeated_in_one_object_refuses_the_line() {
        let dup = |line: &str| {
            matches!(
                run(&["process.name", "a.b"], line),
                Err(DecodeError::Syntax { what, .. }) if what == DUPLICATE_KEY
            )
        };
        // wanted, unwanted (skipped), nested in a skipped subtree, escaped spelling, top
        for line in [
            r#"{"@timestamp":1,"process":{"name":"a","name":"b"}}"#,
            r#"{"@timestamp":1,"process":{"pid":1,"name":"a","name":"c","pid":2}}"#,
            r#"{"@timestamp":1,"process":{"name":"a","n\u0061me":"b"}}"#,
            r#"{"@timestamp":1,"a":{"\u0062":1,"\u0062":2}}"#,
            r#"{"@timestamp":1,"x":1,"@timestamp":2}"#,
            r#"{"@timestamp":1,"a":{"b":1},"a":{"c":2}}"#,
        ] {
            assert!(dup(line), "{line}");
        }
        // the same key in different objects, at other depths, or once flat and once
        // nested (Elasticsearch merges those into one multi-valued field); and inside a
        // key no rule reads (see `DUPLICATE_KEY`)
        let ok = [
            r#"{"@timestamp":1,"a":{"b":1},"x":{"a":{"b":2}}}"#,
            r#"{"@timestamp":1,"y":[{"z":1},{"z":2}],"z":3}"#,
            r#"{"@timestamp":1,"process.name":"a","process":{"name":"b"}}"#,
            r#"{"@timestamp":1,"x":{"y":[{"z":1,"z":2}]}}"#,
            r#"{"@timestamp":1,"process":{"pid":1,"name":"a","pid":2}}"#,
            r#"{"@timestamp":1,"x":1,"x":2}"#,
        ];
        for line in ok {
            assert!(run(&["process.name", "a.b"], line).is_ok(), "{line}");
        }
        let (v, _) = run(&["process.name", "a.b"], ok[2]).unwrap();
        assert_eq!(v[0], ["Str(\"a\")", "Str(\"b\")"]);
        // many distinct keys in one object (summary bits collide) are fine
        let many: Vec<String> = (0..300).map(|i| format!("\"k{i}\":{i}")).collect();
        let line = format!("{{\"@timestamp\":1,{}}}", many.join(","));
        let wanted: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
        let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
        assert!(run(&wanted, &line).is_ok());
        let line = format!("{{\"@timestamp\":1,{},\"k123\":0}}", many.join(","));
        assert!(matches!(
            run(&wanted, &line),
            Err(DecodeError::Syntax { what, .. }) if what == DUPLICATE_KEY
        ));
    }

    #[test]
    fn segment_summaries_identify_short_segments_and_find_dots() {
        // every length up to EXACT: changing any one byte changes the summary
        for n in 0..=SegKey::EXACT {
            let base: Vec<u8> = (0..n as u8).map(|i| b'a' + i).collect();
            let k = SegKey::of(&base);
            assert!(!k.has_dot(&base));
            for at in 0..n {
                let mut other = base.clone();
                other[at] = b'Z';
                assert_ne!(SegKey::of(&other), k, "length {n}, byte {at}");
                other[at] = b'.';
                assert!(
                    SegKey::of(&other).has_dot(&other),
                    "length {n}, dot at {at}"
                );
            }
        }
        // longer segments: a dot anywhere is found, and lookups compare the bytes
        let long = b"abcdefgh_ijklmnop_qrstuvwx";
        assert!(!SegKey::of(long).has_dot(long));
        let mut dotted = *long;
        dotted[12] = b'.';
        assert!(SegKey::of(&dotted).has_dot(&dotted));
        let mut middle = *long;
        middle[12] = b'X'; // same first and last eight bytes, same length
        assert_eq!(SegKey::of(&middle), SegKey::of(long));
        let fields = ["abcdefgh_ijklmnop_qrstuvwx.x"];
        let line = |key: &str| format!(r#"{{"@timestamp":0,"{key}":{{"x":1}}}}"#);
        let (v, _) = run(&fields, &line("abcdefgh_ijklmnop_qrstuvwx")).unwrap();
        assert_eq!(v, vec![vec!["Int(1)".to_string()]]);
        let (v, _) = run(&fields, &line("abcdefgh_ijkXmnop_qrstuvwx")).unwrap();
        assert_eq!(v, vec![Vec::<String>::new()]);
    }

    #[test]
    fn nested_flat_and_mixed_paths() {
        let line = format!(
            r#"{{{TS},"process.pid":1,"process":{{"pid":2,"parent.name":"x","parent":{{"args":["a",["b","c"],{{"o":1}}]}}}},"other":{{"deep":[1,{{"x":[]}}]}}}}"#
        );
        let (v, ts) = run(
            &["process.pid", "process.parent.name", "process.parent.args"],
            &line,
        )
        .unwrap();
        // whole milliseconds (eql-semantics.md §6: a `date` keeps milliseconds)
        assert_eq!(ts, 1_645_055_390_502_000_000);
        assert_eq!(v[0], ["Int(1)", "Int(2)"]);
        assert_eq!(v[1], ["Str(\"x\")"]);
        assert_eq!(v[2], ["Str(\"a\")", "Str(\"b\")", "Str(\"c\")"]);
    }

    #[test]
    fn arrays_of_objects_flatten() {
        let line = format!(r#"{{{TS},"p":[{{"x":1}},{{"x":2,"y":3}}],"q":{{"x":null}}}}"#);
        let (v, _) = run(&["p.x", "q.x", "p"], &line).unwrap();
        assert_eq!(v[0], ["Int(1)", "Int(2)"]);
        assert_eq!(v[1], ["Null"]);
        assert!(v[2].is_empty()); // objects are not values
    }

    #[test]
    fn escapes_and_unicode() {
        let line = format!(
            r#"{{{TS},"a":"x\"y\\z\u00e9\ud83d\ude00","b":"plain é","c\u002ed":"k","e":["\n",1.5e3,-0,true,false,null]}}"#
        );
        let (v, _) = run(&["a", "b", "c.d", "e"], &line).unwrap();
        assert_eq!(v[0], ["Str(\"x\\\"y\\\\zé😀\")"]);
        assert_eq!(v[1], ["Str(\"plain é\")"]);
        assert_eq!(v[2], ["Str(\"k\")"]);
        assert_eq!(
            v[3],
            [
                "Str(\"\\n\")",
                "Float(1500.0)",
                "Int(0)",
                "Bool(true)",
                "Bool(false)",
                "Null"
            ]
        );
    }

    #[test]
    fn numbers() {
        let line =
            format!(r#"{{{TS},"a":[9223372036854775807,9223372036854775808,-12,0.25,1E2]}}"#);
        let (v, _) = run(&["a"], &line).unwrap();
        assert_eq!(
            v[0],
            [
                "Int(9223372036854775807)",
                "Float(9.223372036854776e18)",
                "Int(-12)",
                "Float(0.25)",
                "Float(100.0)"
            ]
        );
    }

    #[test]
    fn timestamps() {
        for (t, want) in [
            ("2022-02-16T23:49:50Z", 1_645_055_390_000_000_000),
            ("2022-02-16T23:49:50.5Z", 1_645_055_390_500_000_000),
            // digits below the millisecond are dropped (a `date` keeps milliseconds),
            // rounding down, also before 1970
            ("2022-02-16T23:49:50.123456789Z", 1_645_055_390_123_000_000),
            ("1969-12-31T23:59:59.9995Z", -1_000_000),
            ("2022-02-16T23:49:50.123+01:00", 1_645_051_790_123_000_000),
            // the rest of Elasticsearch's default date format: no zone is UTC, date only
            // is midnight, minutes without seconds
            ("2022-02-16T23:49:50.5", 1_645_055_390_500_000_000),
            ("2022-02-16", 1_644_969_600_000_000_000),
            ("2022-02-16T23:49", 1_645_055_340_000_000_000),
            ("1645055390500", 1_645_055_390_500_000_000),
        ] {
            let line = format!(r#"{{"@timestamp":"{t}"}}"#);
            assert_eq!(run(&[], &line).unwrap().1, want, "{t}");
        }
        // epoch millis as a number
        assert_eq!(
            run(&[], r#"{"@timestamp":1645055390500}"#).unwrap().1,
            1_645_055_390_500_000_000
        );
        // nested spelling and first value wins
        assert_eq!(
            run(&[], r#"{"@timestamp":["2022-02-16T23:49:50Z","junk"]}"#)
                .unwrap()
                .1,
            1_645_055_390_000_000_000
        );
        assert_eq!(run(&[], r#"{"a":1}"#), Err(DecodeError::MissingTimestamp));
        assert_eq!(
            run(&[], r#"{"@timestamp":"yesterday"}"#),
            Err(DecodeError::BadTimestamp)
        );
        assert_eq!(
            run(&[], r#"{"@timestamp":"2022-02-30T00:00:00Z"}"#),
            Err(DecodeError::BadTimestamp)
        );
        assert_eq!(
            run(&[], r#"{"@timestamp":null}"#),
            Err(DecodeError::BadTimestamp)
        );
        // @timestamp can also be a pack field
        let (v, _) = run(&["@timestamp"], r#"{"@timestamp":"2022-02-16T23:49:50Z"}"#).unwrap();
        assert_eq!(v[0], ["Str(\"2022-02-16T23:49:50Z\")"]);
    }

    #[test]
    fn malformed_lines() {
        let bad = [
            "",
            "{",
            "}",
            r#"{"@timestamp":"2022-02-16T23:49:50Z""#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z",}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z" "a":1}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":[1 2]}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":01}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":1.}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":-}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":tru}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":"\x"}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":"\u12"}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":"abc}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z",1:2}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z"}x"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":1e999}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","b":[-2E+400]}"#,
            r#"{"@timestamp":"2022-02-16T23:49:50Z","a":"\ud800"}"#,
        ];
        for l in bad {
            let r = run(&["a"], l);
            assert!(
                matches!(r, Err(DecodeError::Syntax { .. })),
                "{l:?} gave {r:?}"
            );
        }
        // raw control characters in strings, wanted (`a`) or skipped (`b`, a key), are not
        // JSON; the same characters as whitespace between tokens are
        for l in [
            "{\"@timestamp\":\"2022-02-16T23:49:50Z\",\"a\":\"x\ty\"}",
            "{\"@timestamp\":\"2022-02-16T23:49:50Z\",\"b\":\"x\u{1}y\"}",
            "{\"@timestamp\":\"2022-02-16T23:49:50Z\",\"b\n\":1}",
            "{\"@timestamp\":\"2022-02-16T23:49:50Z\",\"b\":[\"\n\"]}",
        ] {
            let r = run(&["a"], l);
            assert!(
                matches!(r, Err(DecodeError::Syntax { what, .. }) if what.contains("control")),
                "{l:?} gave {r:?}"
            );
        }
        // lone surrogates are not text, in skipped strings (`b`) as in wanted ones
        for l in [
            r#""b":"\udc00""#,
            r#""b":"\ud800x""#,
            r#""b":"\ud800\u0041""#,
        ] {
            let r = run(&["a"], &format!("{{{TS},{l}}}"));
            assert!(
                matches!(r, Err(DecodeError::Syntax { what, .. }) if what.contains("surrogate")),
                "{l:?} gave {r:?}"
            );
        }
        assert!(run(&["a"], &format!(r#"{{{TS},"b":"\ud83d\ude00"}}"#)).is_ok());
        let huge = "9".repeat(400);
        let r = run(&["a"], &format!(r#"{{{TS},"b":{huge}}}"#));
        assert!(
            matches!(
                r,
                Err(DecodeError::Syntax {
                    what: "number out of range",
                    ..
                })
            ),
            "{r:?}"
        );
        assert!(run(
            &["a"],
            &format!(r#"{{{TS},"b":[1e-999,{}]}}"#, &huge[..300])
        )
        .is_ok());
        let spaced = "{\t\"@timestamp\":\r\n\"2022-02-16T23:49:50Z\",\n\"a\" :\t\"x\\ty\"\t}";
        assert_eq!(
            run(&["a"], spaced).unwrap().0,
            vec![vec!["Str(\"x\\ty\")".to_string()]]
        );
        assert_eq!(run(&["a"], "[1,2]"), Err(DecodeError::NotObject));
        assert_eq!(run(&["a"], "42"), Err(DecodeError::NotObject));
        let deep = format!("{{{TS},\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(run(&["a"], &deep), Err(DecodeError::TooDeep));
        let mut d = Decoder::new(FieldTrie::new(&[], &|_| FieldType::Any));
        let mut buf = SlotBuf::new(0);
        assert_eq!(
            d.decode_bytes(b"{\"a\":\"\xff\"}", &mut buf).unwrap_err(),
            DecodeError::Utf8
        );
    }

    #[test]
    fn type_checks() {
        let types = |p: &str| match p {
            "n" => FieldType::Integer,
            "ip" => FieldType::Ip,
            "b" => FieldType::Boolean,
            _ => FieldType::Any,
        };
        let ok = [
            r#""n":3"#,
            r#""n":"3""#,
            r#""n":[1,"2.5",null]"#,
            r#""ip":"10.0.0.1""#,
            r#""ip":["::1","fe80::1"]"#,
            r#""b":true"#,
            r#""b":"false""#,
            r#""k":1000"#,
            r#""k":{"x":1}"#,
        ];
        for f in ok {
            let line = format!("{{{TS},{f}}}");
            assert!(
                run_typed(&["n", "ip", "b", "k"], &types, &line).is_ok(),
                "{line}"
            );
        }
        let bad = [
            r#""n":"three""#,
            r#""n":true"#,
            r#""n":{"x":1}"#,
            r#""ip":"not-an-ip""#,
            r#""ip":1234"#,
            r#""b":"yes""#,
            r#""b":1"#,
        ];
        for f in bad {
            let line = format!("{{{TS},{f}}}");
            assert!(
                matches!(
                    run_typed(&["n", "ip", "b", "k"], &types, &line),
                    Err(DecodeError::WrongType { .. })
                ),
                "{line}"
            );
        }
    }

    #[test]
    fn numeric_fields_hold_what_elasticsearch_indexes() {
        // `long` and `double` fields coerce (Elasticsearch's default): numbers in strings
        // are numbers, a `long` keeps the integer part, an empty string is null, and a
        // value beyond a `long` refuses the document
        let types = |p: &str| match p {
            "n" => FieldType::Integer,
            "f" => FieldType::Float,
            _ => FieldType::Any,
        };
        for (f, want) in [
            (r#""n":3.5"#, "Int(3)"),
            (r#""n":"3.5""#, "Int(3)"),
            (r#""n":" 443 ""#, "Int(443)"),
            (r#""n":-2.7"#, "Int(-2)"),
            (r#""n":"9007199254740993""#, "Int(9007199254740993)"),
            (r#""n":"""#, "Null"),
            (r#""f":"2.5""#, "Float(2.5)"),
            (r#""f":"""#, "Null"),
            (r#""k":"3.5""#, "Str(\"3.5\")"),
        ] {
            let line = format!("{{{TS},{f}}}");
            let (v, _) = run_typed(&["n", "f", "k"], &types, &line).unwrap();
            let got: Vec<&String> = v.iter().flatten().collect();
            assert_eq!(got, [want], "{line}");
        }
        for f in [
            r#""n":9223372036854775808"#,
            r#""n":"1e30""#,
            r#""n":-1e19"#,
        ] {
            let line = format!("{{{TS},{f}}}");
            assert!(
                matches!(
                    run_typed(&["n"], &types, &line),
                    Err(DecodeError::WrongType { .. })
                ),
                "{line}"
            );
        }
    }

    /// Mutated sample lines: the decoder rejects a line as JSON exactly when serde_json
    /// does (mutations that reach what the decoder documents it does not check — raw
    /// control characters, `\\u` escapes, exponents — are not generated), both when every
    /// value is skipped and with the seed rule's fields wanted.
    #[test]
    fn grammar_agrees_with_serde_json_on_mutations() {
        let sample = include_str!("../samples/sample.ndjson");
        let lines: Vec<&str> = sample.lines().take(60).collect();
        let seed_fields = [
            "event.category",
            "host.os.type",
            "event.type",
            "event.action",
            "process.name",
            "process.args",
            "process.args_count",
            "process.parent.name",
            "destination.ip",
            "host.id",
            "process.entity_id",
        ];
        let mut decoders = [
            Decoder::new(FieldTrie::new(&[], &|_| FieldType::Any)),
            Decoder::new(FieldTrie::new(&seed_fields, &|_| FieldType::Any)),
        ];
        let mut buf = SlotBuf::new(seed_fields.len());
        let mut rnd = xorshift(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"{}[],:\"1a-. 0tn\\\t";
        let mut checked = 0;
        for round in 0..6000 {
            let mut b = lines[round % lines.len()].as_bytes().to_vec();
            for _ in 0..1 + rnd(2) {
                let at = rnd(b.len() + 1);
                match rnd(3) {
                    0 if at < b.len() => {
                        b.remove(at);
                    }
                    1 if at < b.len() => b[at] = alphabet[rnd(alphabet.len())],
                    _ => b.insert(at, alphabet[rnd(alphabet.len())]),
                }
            }
            let Ok(line) = core::str::from_utf8(&b) else {
                continue;
            };
            let serde_ok = serde_json::from_str::<serde_json::Value>(line).is_ok();
            for d in &mut decoders {
                let r = d.decode(line, &mut buf);
                let ours_ok = !matches!(r, Err(DecodeError::Syntax { .. } | DecodeError::TooDeep));
                // valid JSON that is not an object is NotObject; serde_json accepts it
                let ours_ok = ours_ok || matches!(r, Err(DecodeError::NotObject));
                assert_eq!(ours_ok, serde_ok, "{line}: {r:?}");
                checked += 1;
            }
        }
        assert!(checked > 5000);
    }

    /// A small deterministic generator: `rnd(n)` is in `0..n`.
    fn xorshift(mut x: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        }
    }

    #[test]
    fn quote_index_agrees_with_a_byte_scan() {
        let mut rnd = xorshift(0x2545_f491_4f6c_dd1d);
        let mut quotes = Vec::new();
        let mut blocks = 0;
        for len in (0..200).chain([255, 256, 257, 1000]) {
            for _ in 0..20 {
                // mostly quotes and backslashes at random places, some long runs without;
                // control bytes (0x00..=0x1f) in some lines only
                let density = 1 + rnd(40);
                let with_controls = rnd(2) == 0;
                let b: Vec<u8> = (0..len)
                    .map(|_| match rnd(density) {
                        0 => b'"',
                        1 => b'\\',
                        2 if with_controls && rnd(8) == 0 => [0, 0x1f, b'\t', b'\n'][rnd(4)],
                        _ => [b'a', b'!', b' ', b']', 0x22 ^ 0x80, 0x5c ^ 0x80, 0x20, 0x7f][rnd(8)],
                    })
                    .collect();
                for blk in b.chunks_exact(64) {
                    let blk: &[u8; 64] = blk.try_into().unwrap();
                    let naive = blk
                        .iter()
                        .enumerate()
                        .filter(|(_, &c)| c == b'"' || c == b'\\')
                        .fold(0u64, |m, (k, _)| m | 1 << k);
                    let naive_controls = blk.iter().any(|&c| c < 0x20);
                    assert_eq!(block_mask(blk), (naive, naive_controls));
                    assert_eq!(block_mask_swar(blk), (naive, naive_controls));
                    blocks += 1;
                }
                let controls = index_quotes(&b, &mut quotes);
                assert_eq!(controls, b.iter().any(|&c| c < 0x20));
                assert_eq!(quotes.len(), b.len() / 64 + 1);
                let t = Text {
                    b: &b,
                    quotes: &quotes,
                    controls,
                };
                for from in 0..=b.len() {
                    let want = b[from..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\')
                        .map_or(b.len(), |k| from + k);
                    assert_eq!(t.next_quote_or_backslash(from), want, "{len} {from}");
                }
            }
        }
        assert!(blocks > 500);
    }

    #[test]
    fn deep_nesting_in_skipped_values() {
        for n in [126, 127, 128, 129, 200] {
            let line = format!("{{{TS},\"x\":{}1{}}}", "[".repeat(n), "]".repeat(n));
            let r = run(&["a"], &line);
            // the array at depth 1 holds values down to depth n + 1
            if n < MAX_DEPTH as usize {
                assert!(r.is_ok(), "{n}: {r:?}");
            } else {
                assert_eq!(r, Err(DecodeError::TooDeep), "{n}");
            }
            let line = format!("{{{TS},\"x\":{}{}}}", "{\"k\":".repeat(n), "}".repeat(n));
            let line = line.replacen("{\"k\":}", "{}", 1);
            let r = run(&["a"], &line);
            assert!(matches!(r, Ok(_) | Err(DecodeError::TooDeep)), "{n}: {r:?}");
        }
        let line = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert_eq!(run(&["a"], &line), Err(DecodeError::TooDeep));
    }

    #[test]
    fn reuse_clears_previous_values() {
        let mut d = Decoder::new(FieldTrie::new(&["a"], &|_| FieldType::Any));
        let mut buf = SlotBuf::new(1);
        let l1 = format!(r#"{{{TS},"a":"x\ty"}}"#);
        d.decode(&l1, &mut buf).unwrap();
        let l2 = format!(r#"{{{TS},"b":"z"}}"#);
        d.decode(&l2, &mut buf).unwrap();
        assert_eq!(buf.view(&l2).values(0).count(), 0);
    }
}

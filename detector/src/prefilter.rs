//! [`Prefilter`]: recognise lines no rule can match without decoding them.
//!
//! A pack may state what its filters require ([`RulePack::prefilter`](eqlc_runtime::RulePack::prefilter)): per filter, exact
//! case-sensitive tests such as `event.category == "process"` or `event.action in ("exec",
//! "fork")`. An event that passes no filter leaves the pack unchanged, so the detector need
//! not decode it: it only needs the event's timestamp (for ordering) and a handle.
//!
//! The check reads the line as bytes, never as a JSON tree. It is exact under these
//! conditions, and answers "decode" whenever one does not hold:
//!
//! * the line (UTF-8, checked by the caller) starts with `{` and ends with `}`, and holds
//!   **no backslash**: then
//!   every string's text is its raw bytes, and every `"` delimits a string;
//! * the line begins with the key `"@timestamp"` whose value is a string that parses as a
//!   date: that is the first `@timestamp` value, the one the decoder would use.
//!
//! For a test on field `a.b.leaf`, every key whose last dotted segment is `leaf` (a
//! `"leaf"` key at any depth, or a flat `"a.b.leaf"` / `"x.leaf"` key) is found by a
//! substring search for `leaf"` preceded by `"` or `.` and followed by `:`: in a line
//! without backslashes, a string followed by `:` is a key. The values of all such keys
//! are a superset of the field's values (the key may sit under another parent); they must
//! be strings or arrays of strings, else the answer is "decode". The line is skipped only
//! if every filter has a test whose leaf was seen with at least one value and none of
//! those values is one the test accepts.
//!
//! A skipped line is not checked any further: a line that is not valid JSON, or holds a
//! value of the wrong type, but shows a category no rule reads counts as a skipped event,
//! not as a bad line. A line without the tested keys (garbage, most broken lines) is
//! always decoded.

use eqlc_runtime::pack::ValueTest;
use eqlc_runtime::record::timestamp_of;
use eqlc_runtime::Value;
use memchr::memmem::Finder;

/// At most this many distinct key leaves are searched.
const MAX_LEAVES: usize = 8;
/// At most this many tests, all filters together.
const MAX_TESTS: usize = 64;

#[derive(Debug, Clone)]
struct Leaf {
    /// `leaf"`.
    finder: Finder<'static>,
    /// Length of the leaf name.
    len: usize,
    /// The tests reading this leaf (bit `i` = test `i`).
    mask: u64,
}

#[derive(Debug, Clone)]
struct Test {
    /// Bit `c` set: some value or prefix starts with byte `c` (both cases when folding);
    /// all bits set when one is empty.
    first: [u64; 4],
    values: &'static [&'static str],
    prefixes: &'static [&'static str],
    fold: bool,
}

impl Test {
    /// Whether the value `v` (raw JSON string content without escapes) may pass: when
    /// folding and `v` is not ASCII, the answer is yes (not worked out here).
    fn new(t: &ValueTest) -> Test {
        let mut first = [0u64; 4];
        for x in t.values.iter().chain(t.prefixes) {
            match x.as_bytes().first() {
                None => first = [u64::MAX; 4],
                Some(&c) => {
                    for c in [c, c.to_ascii_lowercase(), c.to_ascii_uppercase()] {
                        first[usize::from(c / 64)] |= 1 << (c % 64);
                    }
                }
            }
        }
        Test {
            first,
            values: t.values,
            prefixes: t.prefixes,
            fold: t.fold,
        }
    }

    fn accepts(&self, v: &[u8]) -> bool {
        match v.first() {
            // no value or prefix starts so (a non-ASCII value may fold to ASCII)
            Some(&c) if c < 0x80 && self.first[usize::from(c / 64)] & (1 << (c % 64)) == 0 => {
                return false
            }
            _ => {}
        }
        if self.fold {
            !v.is_ascii()
                || self
                    .values
                    .iter()
                    .any(|x| v.eq_ignore_ascii_case(x.as_bytes()))
                || self
                    .prefixes
                    .iter()
                    .any(|p| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
        } else {
            self.values.iter().any(|x| v == x.as_bytes())
                || self.prefixes.iter().any(|p| v.starts_with(p.as_bytes()))
        }
    }
}

/// A byte-level check that a line cannot matter to a pack; see the module docs.
#[derive(Debug, Clone)]
pub struct Prefilter {
    leaves: Vec<Leaf>,
    tests: Vec<Test>,
    /// Per filter: mask of its tests.
    filters: Vec<u64>,
}

/// What the prefilter found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No rule can match the line; its `@timestamp`.
    Skip(i64),
    /// The line must be decoded.
    Decode,
}

impl Prefilter {
    /// A prefilter for a pack reading `fields` that requires `tests` (see
    /// [`RulePack::prefilter`](eqlc_runtime::RulePack::prefilter)); `None` when nothing
    /// can be skipped (no conditions, a filter without tests, too many keys or tests).
    pub fn new(fields: &[&str], tests: Option<&[&[ValueTest]]>) -> Option<Prefilter> {
        let tests = tests?;
        let leaf_of = |slot: usize| {
            let path = *fields.get(slot)?;
            let leaf = path.rsplit('.').next().unwrap_or(path);
            (!leaf.is_empty() && !leaf.contains(['"', '\\'])).then_some(leaf)
        };
        // Leaves are searched least shared first: a leaf several fields end with
        // (`type`: `event.type`, `host.os.type`, ...) has many keys to look at and rarely
        // rules a line out, since all their values count.
        let mut leaves: Vec<(&str, Vec<&str>)> = Vec::new();
        for t in tests.iter().flat_map(|f| f.iter()) {
            let leaf = leaf_of(t.slot)?;
            let path = fields[t.slot];
            match leaves.iter_mut().find(|(l, _)| *l == leaf) {
                Some((_, ps)) if !ps.contains(&path) => ps.push(path),
                Some(_) => {}
                None => leaves.push((leaf, vec![path])),
            }
        }
        if leaves.len() > MAX_LEAVES || tests.is_empty() {
            return None;
        }
        // then, among equally shared leaves, those whose tests accept more values first (a
        // heuristic: short lists such as `host.os.type == "linux"` tend to hold for most
        // events of a stream)
        let accepted = |leaf: &str| {
            tests
                .iter()
                .flat_map(|f| f.iter())
                .filter(|t| leaf_of(t.slot) == Some(leaf))
                .map(|t| t.values.len() + t.prefixes.len())
                .sum::<usize>()
        };
        leaves.sort_by_key(|(leaf, ps)| (ps.len(), core::cmp::Reverse(accepted(leaf))));
        let mut pf = Prefilter {
            leaves: leaves
                .iter()
                .map(|(leaf, _)| Leaf {
                    finder: memchr::memmem::FinderBuilder::new()
                        .build_forward_with_ranker(JsonRank, format!("{leaf}\"").as_bytes())
                        .into_owned(),
                    len: leaf.len(),
                    mask: 0,
                })
                .collect(),
            tests: Vec::new(),
            filters: Vec::new(),
        };
        for f in tests {
            if f.is_empty() {
                return None;
            }
            let mut mask = 0u64;
            for t in *f {
                let leaf = leaf_of(t.slot)?;
                let li = leaves.iter().position(|(l, _)| *l == leaf)?;
                if pf.tests.len() == MAX_TESTS {
                    return None;
                }
                mask |= 1 << pf.tests.len();
                pf.leaves[li].mask |= 1 << pf.tests.len();
                pf.tests.push(Test::new(t));
            }
            pf.filters.push(mask);
        }
        Some(pf)
    }

    /// Whether `line` (without its newline) can be skipped, with its timestamp.
    pub fn check(&self, line: &str) -> Verdict {
        self.try_skip(line).map_or(Verdict::Decode, Verdict::Skip)
    }

    fn try_skip(&self, text: &str) -> Option<i64> {
        let line = trim(text.as_bytes());
        if line.first() != Some(&b'{') || line.last() != Some(&b'}') {
            return None;
        }
        if memchr::memchr(b'\\', line).is_some() {
            return None;
        }
        let ts = leading_timestamp(line)?;
        // tests that some value passed; tests whose leaf was searched and seen with values
        let mut passed = 0u64;
        let mut seen = 0u64;
        let mut done = 0u64;
        for leaf in &self.leaves {
            // only the tests of filters not failed yet, and not passed yet, are worked out
            let failed = seen & !passed;
            let alive = self
                .filters
                .iter()
                .filter(|&&f| f & failed == 0)
                .fold(0u64, |a, &f| a | f);
            let active = leaf.mask & alive & !passed;
            if active == 0 {
                done |= leaf.mask;
                continue;
            }
            let mut each = |v: &[u8]| {
                seen |= active;
                let mut m = active & !passed;
                while m != 0 {
                    let t = m.trailing_zeros() as usize;
                    m &= m - 1;
                    if self.tests[t].accepts(v) {
                        passed |= 1 << t;
                    }
                }
            };
            for p in leaf.finder.find_iter(line) {
                if p == 0 || !matches!(line[p - 1], b'"' | b'.') {
                    continue;
                }
                let mut j = skip_ws(line, p + leaf.len + 1);
                if line.get(j) != Some(&b':') {
                    continue; // a string value ending in the leaf name, not a key
                }
                j = skip_ws(line, j + 1);
                match line.get(j)? {
                    b'"' => {
                        let (s, _) = string_at(line, j)?;
                        each(s);
                    }
                    b'[' => {
                        j = skip_ws(line, j + 1);
                        if line.get(j) != Some(&b']') {
                            loop {
                                if line.get(j) != Some(&b'"') {
                                    return None;
                                }
                                let (s, end) = string_at(line, j)?;
                                each(s);
                                j = skip_ws(line, end);
                                match line.get(j)? {
                                    b',' => j = skip_ws(line, j + 1),
                                    b']' => break,
                                    _ => return None,
                                }
                            }
                        }
                    }
                    _ => return None,
                }
            }
            done |= leaf.mask;
            // a test fails when its leaf was seen and no value passed it
            let failed = seen & !passed;
            if self.filters.iter().all(|&f| f & failed != 0) {
                return Some(ts); // every filter fails
            }
            if self
                .filters
                .iter()
                .any(|&f| f & !done == 0 && f & failed == 0)
            {
                return None; // a filter can pass: decode
            }
        }
        None
    }
}

/// Byte frequencies of JSON event lines, for the substring search's choice of rare
/// bytes (the default ranking, made for prose, takes `"` for a rare byte).
#[derive(Debug, Clone, Copy)]
struct JsonRank;

impl memchr::arch::all::packedpair::HeuristicFrequencyRank for JsonRank {
    fn rank(&self, byte: u8) -> u8 {
        match byte {
            b'"' => 255,
            b':' | b',' | b'{' | b'}' | b'[' | b']' => 250,
            b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 200,
            b'0'..=b'9' | b'-' | b'.' => 180,
            b'h' | b'l' | b'd' | b'c' | b'u' | b'm' | b'p' | b'_' => 150,
            b'a'..=b'z' => 100,
            _ => 50,
        }
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let is_ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !is_ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_ws(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

/// The content of the string whose opening quote is at `i` (no backslashes in the line),
/// and the index after its closing quote.
#[inline]
fn string_at(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let len = memchr::memchr(b'"', b.get(i + 1..)?)?;
    Some((&b[i + 1..i + 1 + len], i + 2 + len))
}

/// `{ "@timestamp" : "<date>"` at the start of the (UTF-8) line: the date.
pub(crate) fn leading_timestamp(b: &[u8]) -> Option<i64> {
    let i = skip_ws(b, 1);
    let key = b"\"@timestamp\"";
    if !b.get(i..)?.starts_with(key) {
        return None;
    }
    let i = skip_ws(b, i + key.len());
    if b.get(i) != Some(&b':') {
        return None;
    }
    let i = skip_ws(b, i + 1);
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (s, _) = string_at(b, i)?;
    // between two quotes of a UTF-8 line: at char boundaries, so valid (and short)
    let s = core::str::from_utf8(s).ok()?;
    timestamp_of(Value::Str(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[&str] = &[
        "event.category",
        "event.action",
        "host.os.type",
        "process.name",
    ];
    static SEED: &[&[ValueTest]] = &[
        &[
            ValueTest {
                slot: 0,
                values: &["process"],
                prefixes: &[],
                fold: false,
            },
            ValueTest {
                slot: 1,
                values: &["exec", "fork"],
                prefixes: &[],
                fold: false,
            },
        ],
        &[
            ValueTest {
                slot: 0,
                values: &["network"],
                prefixes: &[],
                fold: false,
            },
            ValueTest {
                slot: 2,
                values: &["linux"],
                prefixes: &[],
                fold: false,
            },
            ValueTest {
                slot: 3,
                values: &["nc", "perl"],
                prefixes: &["python"],
                fold: true,
            },
        ],
    ];
    const TS: &str = r#""@timestamp":"2024-05-01T00:00:00Z""#;

    fn check(line: &str) -> Verdict {
        Prefilter::new(FIELDS, Some(SEED)).unwrap().check(line)
    }

    #[test]
    fn skips_only_what_no_filter_can_pass() {
        let t = 1_714_521_600_000_000_000;
        let mut skip = vec![
            format!(r#"{{{TS},"event":{{"category":["file"],"action":"exec"}}}}"#),
            format!(r#"{{{TS},"event":{{"category":"process","action":"end"}}}}"#),
            format!(r#"{{{TS},"event.category":["process"],"event.action":["end","x"]}}"#),
            format!(r#" {{ {TS} , "event" : {{ "category" : [ "file" , "iam" ] }} }} "#),
            // a string value ending in "category" is not a key
            format!(r#"{{{TS},"m":"category","event":{{"category":"file"}}}}"#),
        ];
        skip.extend([
            format!(r#"{{{TS},"event":{{"category":"network"}},"os":{{"type":"linux"}},"process":{{"name":"bash"}}}}"#),
            format!(r#"{{{TS},"event":{{"category":"network"}},"os":{{"type":"linux"}},"process":{{"name":"pythox"}}}}"#),
        ]);
        for l in &skip {
            assert_eq!(check(l), Verdict::Skip(t), "{l}");
        }
        let decode = [
            // passes a filter
            format!(r#"{{{TS},"event":{{"category":["process"],"action":"fork"}}}}"#),
            format!(
                r#"{{{TS},"event":{{"category":["file","network"]}},"host":{{"os":{{"type":"linux"}}}}}}"#
            ),
            // flat key spelling, and a key under another parent: superset, still passes
            format!(r#"{{{TS},"event.category":"network","x":{{"os.type":"linux"}}}}"#),
            // case-insensitive values and prefixes; non-ASCII values are not worked out
            format!(
                r#"{{{TS},"event":{{"category":"network"}},"os":{{"type":"linux"}},"process":{{"name":"NC"}}}}"#
            ),
            format!(
                r#"{{{TS},"event":{{"category":"network"}},"os":{{"type":"linux"}},"process":{{"name":"PyThOn3.11"}}}}"#
            ),
            format!(
                r#"{{{TS},"event":{{"category":"network"}},"os":{{"type":"linux"}},"process":{{"name":"é"}}}}"#
            ),
            // category missing: the decoder decides
            format!(r#"{{{TS},"event":{{"action":"end"}}}}"#),
            // escapes anywhere
            format!(r#"{{{TS},"event":{{"category":"file"}},"m":"a\"b"}}"#),
            format!(r#"{{{TS},"event":{{"category":"proc\u0065ss","action":"exec"}}}}"#),
            // values that are not strings
            format!(r#"{{{TS},"event":{{"category":5}}}}"#),
            format!(r#"{{{TS},"event":{{"category":["file",["x"]]}}}}"#),
            // timestamp not first, missing or bad; not an object
            r#"{"event":{"category":"file"},"@timestamp":"2024-05-01T00:00:00Z"}"#.into(),
            r#"{"@timestamp":"yesterday","event":{"category":"file"}}"#.into(),
            r#"{"@timestamp":["2024-05-01T00:00:00Z"],"event":{"category":"file"}}"#.into(),
            format!(r#"{{{TS},"event":{{"category":"file""#),
            "garbage".into(),
        ];
        for l in &decode {
            assert_eq!(check(l), Verdict::Decode, "{l}");
        }
        // "subcategory" is another key
        let l = format!(r#"{{{TS},"event":{{"subcategory":"file"}}}}"#);
        assert_eq!(check(&l), Verdict::Decode);
    }

    #[test]
    fn nothing_to_skip_without_conditions() {
        assert!(Prefilter::new(FIELDS, None).is_none());
        assert!(Prefilter::new(FIELDS, Some(&[&[]])).is_none());
        assert!(Prefilter::new(FIELDS, Some(&[])).is_none());
    }
}

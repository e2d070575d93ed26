//! Comparisons with Elasticsearch semantics: a field value against a constant.
//!
//! The entry point for generated code is [`compare_lit`]: it orders one field value
//! against a literal the way Elasticsearch would for a field of the given [`FieldKind`],
//! returning `None` when the two are not comparable (the leaf is then false for that
//! value). The building blocks are public too:
//!
//! * numbers: [`cmp_i64_f64`], [`Num`], [`num_of`] — integer/float mixes compare exactly
//!   (`serial_event_id < 4.5`);
//! * strings: [`cmp_str`] — code-point order, case-sensitive (`"S" < "s"`);
//! * versions: [`cmp_version`] — Elasticsearch's `version` field order (semantic
//!   versions by precedence, invalid versions after all valid ones);
//! * dates: [`date_of`] — string dates and epoch milliseconds to nanoseconds;
//! * IPs: [`ip_of`] — 128-bit addresses (IPv4 mapped), see [`crate::cidr`].

use core::cmp::Ordering;

use crate::cidr::{ip_bits, parse_ip, Cidr};
use crate::time::parse_date_lenient;
use crate::value::Value;

/// What the schema says about a field; decides how its values compare with a literal.
/// Mirrors the compiler's `ir::FieldType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FieldKind {
    /// No schema information: decided by the literal and the value. A numeric literal
    /// compares numerically (a string value that looks like a number is parsed, as a
    /// numeric field would have indexed it); a string literal compares as text (a number
    /// by its text, as a keyword field indexes it); booleans compare as booleans.
    #[default]
    Unknown,
    /// `keyword` and friends: everything compares as text (a numeric literal is turned
    /// into its text, as a term/range query on a keyword field does).
    Keyword,
    /// Integral numbers (`long`, `integer`, ...): values are coerced to integers as
    /// Elasticsearch indexes them (numeric strings parsed, fractions truncated).
    Integer,
    /// Floating point numbers: numeric strings are parsed.
    Float,
    /// `boolean`: `true`/`false` (also as strings).
    Boolean,
    /// `ip`: compared as 128-bit addresses; a CIDR literal matches (`Equal`) every
    /// address inside it.
    Ip,
    /// `date`: millisecond precision.
    Date,
    /// `date_nanos`: nanosecond precision.
    DateNanos,
    /// `version`: semantic-version order ([`cmp_version`]).
    Version,
}

/// A number, integer or float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
}

/// Exact order of an integer and a float (`None` if `f` is NaN).
#[inline]
pub fn cmp_i64_f64(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 as f64 is exact; every f64 in [-2^63, 2^63) truncates to an i64 exactly.
    if f >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if f < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    let ti = t as i64;
    match i.cmp(&ti) {
        Ordering::Equal => {
            let frac = f - t;
            Some(if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            })
        }
        o => Some(o),
    }
}

/// Exact numeric order of two numbers (`None` when a NaN is involved).
#[inline]
pub fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Int(x), Num::Float(y)) => cmp_i64_f64(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_i64_f64(y, x).map(Ordering::reverse),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
    }
}

/// Parse numeric text the way a numeric field coerces a string: optional surrounding
/// whitespace, an integer (if it fits `i64`) or a decimal/exponent float. `None` for
/// anything else (including `NaN`/`inf` spellings).
pub fn parse_num(s: &str) -> Option<Num> {
    let t = s.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if body.is_empty() {
        return None;
    }
    if body.bytes().all(|c| c.is_ascii_digit()) {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Num::Int(i));
        }
    }
    if !body.bytes().any(|c| c.is_ascii_digit())
        || !body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Num::Float)
}

/// The number in a value. Strings are parsed only when `coerce_str` is set (use it when
/// the field is known to be numeric: Elasticsearch coerces `"42"` in a `long` field to
/// 42, but a `keyword` field keeps it as text).
#[inline]
pub fn num_of(v: Value<'_>, coerce_str: bool) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::Int(i)),
        Value::Float(f) => Some(Num::Float(f)),
        Value::Str(s) if coerce_str => parse_num(s),
        _ => None,
    }
}

/// Code-point (= UTF-8 byte) order of two strings, case-sensitive.
#[inline]
pub fn cmp_str(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

/// A date value as nanoseconds since the epoch: strings in Elasticsearch's default date
/// format ([`parse_date_lenient`]: RFC 3339 / ISO dates, epoch-millis digits), numbers
/// as epoch milliseconds.
pub fn date_of(v: Value<'_>) -> Option<i64> {
    match v {
        Value::Str(s) => parse_date_lenient(s),
        Value::Int(ms) => ms.checked_mul(1_000_000),
        Value::Float(ms) => {
            let ns = (ms * 1e6).round();
            (ns.is_finite() && ns.abs() < 9.2e18).then_some(ns as i64)
        }
        _ => None,
    }
}

/// An IP value as 128 bits (IPv4 mapped, see [`crate::cidr`]).
#[inline]
pub fn ip_of(v: Value<'_>) -> Option<u128> {
    v.as_str().and_then(parse_ip).map(ip_bits)
}

/// Order of a boolean-ish value (`false < true`; strings `"true"`/`"false"` accepted,
/// as a `boolean` field does).
#[inline]
fn bool_of(v: Value<'_>) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(b),
        Value::Str("true") => Some(true),
        Value::Str("false") => Some(false),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------

const NUMERIC_MARKER: u8 = 0x01;
const PRERELEASE_SEP: u8 = 0x02;
const NO_PRERELEASE_SEP: u8 = 0x03;

/// Byte sink on the stack, spilling to the heap for long inputs.
struct Sink {
    stack: [u8; 96],
    len: usize,
    heap: Vec<u8>,
}

impl Sink {
    fn new() -> Self {
        Sink {
            stack: [0; 96],
            len: 0,
            heap: Vec::new(),
        }
    }
    #[inline]
    fn push(&mut self, b: u8) {
        if self.heap.is_empty() && self.len < self.stack.len() {
            self.stack[self.len] = b;
            self.len += 1;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.stack[..self.len]);
            }
            self.heap.push(b);
        }
    }
    fn extend(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b);
        }
    }
    fn bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }
}

fn is_num_id(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit) && (s == b"0" || s[0] != b'0')
}

fn legal_main(s: &[u8]) -> bool {
    s.split(|&b| b == b'.').all(is_num_id)
}

fn legal_pre_id(s: &[u8]) -> bool {
    if is_num_id(s) {
        return true;
    }
    // \d*[a-zA-Z-][0-9a-zA-Z-]*
    !s.is_empty()
        && s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && s.iter().any(|c| c.is_ascii_alphabetic() || *c == b'-')
}

fn legal_build_id(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// Append digit groups length-prefixed (`0x01`, `0x80 | len`, digits); other bytes as
/// they are. `false` if a group has 128 digits or more (Elasticsearch rejects those).
fn digit_groups(s: &[u8], out: &mut Sink) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_digit() {
            let start = i;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
            let n = i - start;
            if n >= 128 {
                return false;
            }
            out.push(NUMERIC_MARKER);
            out.push(0x80 | n as u8);
            out.extend(&s[start..i]);
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    true
}

/// Encode `v` as Elasticsearch's `version` field does (`VersionEncoder`); byte order of
/// the encodings is the field's sort order.
fn encode_version(v: &str, out: &mut Sink) {
    let b = v.as_bytes();
    // build suffix from the first '+' (if not at index 0), then pre-release from the
    // first '-' of the rest (if not at index 0)
    let (rest, build) = match b.iter().position(|&c| c == b'+') {
        Some(i) if i > 0 => (&b[..i], Some(&b[i..])),
        _ => (b, None),
    };
    let (main, pre) = match rest.iter().position(|&c| c == b'-') {
        Some(i) if i > 0 => (&rest[..i], Some(&rest[i..])),
        _ => (rest, None),
    };
    let legal = legal_main(main)
        && pre.is_none_or(|p| p[1..].split(|&c| c == b'.').all(legal_pre_id))
        && build.is_none_or(|p| p[1..].split(|&c| c == b'.').all(legal_build_id));
    let raw = |out: &mut Sink| {
        if b.is_empty() {
            out.push(NO_PRERELEASE_SEP);
        } else {
            out.extend(b);
        }
    };
    if !legal {
        return raw(out);
    }
    let ok = (|| {
        if !digit_groups(main, out) {
            return false;
        }
        match pre {
            Some(p) => {
                out.push(PRERELEASE_SEP);
                out.push(b'-');
                for (k, part) in p[1..].split(|&c| c == b'.').enumerate() {
                    if k > 0 {
                        out.push(b'.');
                    }
                    if part.iter().all(u8::is_ascii_digit) {
                        if !digit_groups(part, out) {
                            return false;
                        }
                    } else {
                        out.extend(part);
                    }
                }
            }
            None => out.push(NO_PRERELEASE_SEP),
        }
        if let Some(bs) = build {
            out.extend(bs);
        }
        true
    })();
    if !ok {
        // too-long digit group: treat as an invalid version
        *out = Sink::new();
        raw(out);
    }
}

/// Whether `v` is a valid version for Elasticsearch's `version` field (relaxed semver:
/// one or more numeric parts without leading zeros, optional `-pre.release`, optional
/// `+build`).
pub fn is_valid_version(v: &str) -> bool {
    let mut s = Sink::new();
    encode_version(v, &mut s);
    s.bytes().first() == Some(&NUMERIC_MARKER)
}

/// Order of two version strings as Elasticsearch's `version` field sorts them: numeric
/// parts numerically (`1.11.3 > 1.5.0`), a pre-release before its release
/// (`1.2.4-SNAPSHOT < 1.2.4`), pre-release identifiers numerically or in ASCII order
/// (numeric first), build suffixes in ASCII order; invalid versions after every valid one,
/// ordered by their UTF-8 bytes.
pub fn cmp_version(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (Sink::new(), Sink::new());
    encode_version(a, &mut x);
    encode_version(b, &mut y);
    x.bytes().cmp(y.bytes())
}

// ---------------------------------------------------------------------------------------
// compare_lit
// ---------------------------------------------------------------------------------------

/// Run `f` with the keyword text of `v` (numbers in decimal / Java double form,
/// booleans as `true`/`false`); `None` for `null`.
fn with_text<R>(v: Value<'_>, f: impl FnOnce(&str) -> R) -> Option<R> {
    let mut buf = crate::__private::TextBuf::new();
    crate::__private::as_text(v, &mut buf).map(f)
}

fn text_cmp(v: Value<'_>, lit: Value<'_>) -> Option<Ordering> {
    with_text(v, |a| with_text(lit, |b| cmp_str(a, b)))?
}

fn int_coerce(n: Num) -> Num {
    match n {
        Num::Float(f) if f.is_finite() && f.abs() < 9.2e18 => Num::Int(f.trunc() as i64),
        other => other,
    }
}

/// Order of the field value `v` relative to the literal `lit` for a field of kind
/// `kind`, or `None` when they do not compare (then every comparison operator, `==`
/// included, is false for this value). `==` is `Some(Equal)`.
///
/// | kind | value | literal | how |
/// |---|---|---|---|
/// | `Unknown` | number | number, or numeric string | numerically |
/// | `Unknown` | numeric string | number | numerically |
/// | `Unknown` | string | string | code points |
/// | `Unknown` | number / bool | string | text forms |
/// | `Unknown`, `Boolean` | bool (or `"true"`/`"false"`) | bool | `false < true` |
/// | `Keyword` | anything | anything | text forms (numbers as text) |
/// | `Integer`, `Float` | number or numeric string | number or numeric string | numerically (`Integer` truncates float values, as indexing does) |
/// | `Ip` | address text | address or CIDR text | 128-bit order; a CIDR literal is `Equal` to the addresses inside |
/// | `Date`, `DateNanos` | date text or epoch millis | date text or epoch millis | by time (`Date` at millisecond precision) |
/// | `Version` | text | text | [`cmp_version`] |
///
/// `null` on either side → `None`.
pub fn compare_lit(v: Value<'_>, kind: FieldKind, lit: &Value<'_>) -> Option<Ordering> {
    let lit = *lit;
    if v.is_null() || lit.is_null() {
        return None;
    }
    match kind {
        FieldKind::Unknown => match (v, lit) {
            (Value::Str(a), Value::Str(b)) => Some(cmp_str(a, b)),
            (Value::Bool(_), Value::Bool(_)) | (Value::Str(_), Value::Bool(_)) => {
                Some(bool_of(v)?.cmp(&bool_of(lit)?))
            }
            // A string literal says the field holds text (a keyword, as the rule's author
            // wrote it): a number compares by its text, as Elasticsearch compares a
            // number indexed into a keyword field (`event.code == "0100"` does not match
            // 100). Generated code tests `==` and `in` with string literals as text, so
            // the two agree.
            (Value::Bool(_) | Value::Int(_) | Value::Float(_), Value::Str(_)) => text_cmp(v, lit),
            (_, Value::Int(_) | Value::Float(_)) => cmp_num(num_of(v, true)?, num_of(lit, false)?),
            _ => None,
        },
        FieldKind::Keyword => text_cmp(v, lit),
        FieldKind::Integer => cmp_num(int_coerce(num_of(v, true)?), num_of(lit, true)?),
        FieldKind::Float => cmp_num(num_of(v, true)?, num_of(lit, true)?),
        FieldKind::Boolean => Some(bool_of(v)?.cmp(&bool_of(lit)?)),
        FieldKind::Ip => {
            let a = ip_of(v)?;
            let s = lit.as_str()?;
            if s.contains('/') {
                let c = Cidr::parse(s).ok()?;
                if c.contains_bits(a) {
                    return Some(Ordering::Equal);
                }
                return Some(a.cmp(&ip_bits(parse_ip(s.split('/').next()?)?)));
            }
            Some(a.cmp(&ip_bits(parse_ip(s)?)))
        }
        FieldKind::Date => {
            let a = date_of(v)?.div_euclid(1_000_000);
            let b = date_of(lit)?.div_euclid(1_000_000);
            Some(a.cmp(&b))
        }
        FieldKind::DateNanos => Some(date_of(v)?.cmp(&date_of(lit)?)),
        FieldKind::Version => with_text(v, |a| with_text(lit, |b| cmp_version(a, b)))?,
    }
}

/// `v == lit` with the rules of [`compare_lit`].
#[inline]
pub fn eq_lit(v: Value<'_>, kind: FieldKind, lit: &Value<'_>) -> bool {
    compare_lit(v, kind, lit) == Some(Ordering::Equal)
}

/// Order of two computed values (both sides known at run time, e.g. a function result
/// against a folded constant): numbers numerically, strings by code point, booleans
/// `false < true`; `null` or mixed kinds → `None`.
pub fn cmp_vals(a: Value<'_>, b: Value<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(cmp_str(x, y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            cmp_num(num_of(a, false)?, num_of(b, false)?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(v: Value<'_>, k: FieldKind, l: Value<'_>) -> Option<Ordering> {
        compare_lit(v, k, &l)
    }

    #[test]
    fn int_float_exact() {
        assert_eq!(cmp_i64_f64(4, 4.5), Some(Less));
        assert_eq!(cmp_i64_f64(5, 4.5), Some(Greater));
        assert_eq!(cmp_i64_f64(-3, 4.0), Some(Less));
        assert_eq!(cmp_i64_f64(3, 3.0), Some(Equal));
        assert_eq!(cmp_i64_f64(-4, -4.5), Some(Greater));
        assert_eq!(cmp_i64_f64(i64::MAX, 9.3e18), Some(Less));
        // i64::MAX as f64 rounds up to 2^63: the integer is smaller
        assert_eq!(cmp_i64_f64(i64::MAX, i64::MAX as f64), Some(Less));
        assert_eq!(cmp_i64_f64(i64::MIN, i64::MIN as f64), Some(Equal));
        assert_eq!(cmp_i64_f64(0, f64::NAN), None);
        assert_eq!(cmp_num(Num::Float(3.0), Num::Int(4)), Some(Less));
    }

    // test_folding.toml numeric and string comparisons (case-sensitive sections)
    #[test]
    fn folding_vectors() {
        use Value::*;
        let u = FieldKind::Unknown;
        assert_eq!(c(Int(-3), u, Int(4)), Some(Less));
        assert_eq!(c(Int(3), u, Int(4)), Some(Less));
        assert_eq!(c(Float(3.0), u, Float(4.0)), Some(Less));
        assert_eq!(c(Float(-3.0), u, Float(4.0)), Some(Less));
        assert_eq!(c(Int(3), u, Float(4.0)), Some(Less));
        assert_eq!(c(Float(3.0), u, Int(4)), Some(Less));
        assert_eq!(c(Float(-3.0), u, Int(4)), Some(Less));
        assert_eq!(c(Str("Foo"), u, Str("Foo")), Some(Equal));
        assert_eq!(c(Str("Foo"), u, Str("Bar")), Some(Greater));
        assert_eq!(c(Str("Foo"), u, Str("foo")), Some(Less)); // "S" < "s"
        assert_eq!(c(Str("foo"), u, Str("Foo")), Some(Greater));
        assert_eq!(c(Int(345), u, Int(345)), Some(Equal));
        assert_eq!(c(Null, u, Int(1)), None);
        assert_eq!(c(Int(1), u, Null), None);
    }

    #[test]
    fn unknown_kind_mixes() {
        use Value::*;
        let u = FieldKind::Unknown;
        // serial_event_id < 4.5
        assert_eq!(c(Int(4), u, Float(4.5)), Some(Less));
        assert_eq!(c(Int(5), u, Float(4.5)), Some(Greater));
        // numeric-looking strings vs numeric literal
        assert_eq!(c(Str("1000"), u, Int(1000)), Some(Equal));
        assert_eq!(c(Str("10"), u, Int(9)), Some(Greater));
        assert_eq!(c(Str("abc"), u, Int(9)), None);
        // number vs string literal: by the number's text, as in a keyword field
        assert_eq!(c(Int(1000), u, Str("1000")), Some(Equal));
        assert_eq!(c(Float(4.5), u, Str("4.5")), Some(Equal));
        assert_eq!(c(Int(1), u, Str("x")), Some(Less)); // "1" < "x" as text
        assert_eq!(c(Int(100), u, Str("0100")), Some(Greater)); // "100" > "0100"
        assert_eq!(c(Int(100), u, Str("20")), Some(Less)); // "100" < "20"
        assert_eq!(c(Float(1.0), u, Str("1")), Some(Greater)); // "1.0" > "1"
        assert_eq!(c(Bool(true), u, Bool(true)), Some(Equal));
        assert_eq!(c(Bool(false), u, Bool(true)), Some(Less));
        assert_eq!(c(Str("true"), u, Bool(true)), Some(Equal));
        assert_eq!(c(Bool(true), u, Str("true")), Some(Equal));
        assert_eq!(c(Bool(true), u, Int(1)), None);
        assert_eq!(c(Str("é"), u, Str("z")), Some(Greater)); // code points
        assert!(eq_lit(Str("a*"), u, &Str("a*"))); // no wildcards in ==
        assert!(!eq_lit(Str("ab"), u, &Str("a*")));
    }

    #[test]
    fn keyword_and_numeric_kinds() {
        use Value::*;
        let k = FieldKind::Keyword;
        assert_eq!(c(Str("10"), k, Int(9)), Some(Less)); // text order on keywords
        assert_eq!(c(Int(1000), k, Str("1000")), Some(Equal));
        assert_eq!(c(Float(4.5), k, Float(4.5)), Some(Equal));
        let i = FieldKind::Integer;
        assert_eq!(c(Str("10"), i, Int(9)), Some(Greater));
        assert_eq!(c(Int(4), i, Float(4.5)), Some(Less));
        assert_eq!(c(Float(5.7), i, Int(5)), Some(Equal)); // indexed as 5
        assert_eq!(c(Int(5), i, Str("5")), Some(Equal));
        assert_eq!(c(Str("x"), i, Int(5)), None);
        let f = FieldKind::Float;
        assert_eq!(c(Float(5.7), f, Int(5)), Some(Greater));
        assert_eq!(c(Str(" 2.5 "), f, Float(2.5)), Some(Equal));
        let b = FieldKind::Boolean;
        assert_eq!(c(Str("false"), b, Bool(false)), Some(Equal));
        assert_eq!(c(Int(0), b, Bool(false)), None);
    }

    #[test]
    fn ip_kind() {
        use Value::*;
        let k = FieldKind::Ip;
        assert_eq!(c(Str("10.0.0.1"), k, Str("10.0.0.1")), Some(Equal));
        assert_eq!(c(Str("10.0.0.1"), k, Str("10.0.0.2")), Some(Less));
        assert_eq!(c(Str("::ffff:10.0.0.1"), k, Str("10.0.0.1")), Some(Equal));
        assert_eq!(c(Str("10.9.9.9"), k, Str("10.0.0.0/8")), Some(Equal));
        assert_eq!(c(Str("11.0.0.0"), k, Str("10.0.0.0/8")), Some(Greater));
        assert_eq!(c(Str("junk"), k, Str("10.0.0.1")), None);
        assert_eq!(c(Str("2001:db8::1"), k, Str("10.0.0.1")), Some(Greater));
    }

    #[test]
    fn date_kinds() {
        use Value::*;
        let d = FieldKind::Date;
        let ts = Str("2017-08-30T20:47:33.123456Z");
        assert_eq!(c(ts, d, Str("2017-08-30T20:47:33.123Z")), Some(Equal)); // ms precision
        assert_eq!(
            c(ts, FieldKind::DateNanos, Str("2017-08-30T20:47:33.123Z")),
            Some(Greater)
        );
        assert_eq!(c(ts, d, Str("2017-08-30")), Some(Greater));
        assert_eq!(c(ts, d, Int(1_504_126_053_123)), Some(Equal)); // epoch millis
        assert_eq!(
            c(Int(1_504_126_053_000), d, Str("2017-08-30T20:47:33Z")),
            Some(Equal)
        );
        assert_eq!(c(Str("junk"), d, Str("2017-08-30")), None);
    }

    // test_extra.toml version cases + data/extra.data values
    #[test]
    fn versions() {
        assert_eq!(cmp_version("1.11.3", "1.5.0"), Greater);
        assert_eq!(cmp_version("1.2.4", "1.5.0"), Less);
        assert_eq!(cmp_version("1.2.4-SNAPSHOT", "1.5.0"), Less);
        assert_eq!(cmp_version("1.2.4-SNAPSHOT", "1.2.4"), Less);
        assert_eq!(cmp_version("1.5.0", "1.5.0"), Equal);
        // invalid versions sort after valid ones
        assert_eq!(cmp_version("bad", "1.5.0"), Greater);
        assert_eq!(cmp_version("bad", "99999.0"), Greater);
        assert_eq!(cmp_version("", "1.0"), Greater);
        assert_eq!(cmp_version("bad", "bae"), Less);
        assert!(!is_valid_version("bad"));
        assert!(!is_valid_version("1.02"));
        assert!(!is_valid_version("-1"));
        assert!(!is_valid_version("1.0-"));
        assert!(!is_valid_version("1.0+"));
        assert!(is_valid_version("1.2.3.4"));
        assert!(is_valid_version("1"));
        assert!(is_valid_version("1.0.0-alpha.1+build.5"));
        // semver precedence example: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta
        // < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(cmp_version(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(cmp_version("2.0", "10.0"), Less);
        assert_eq!(cmp_version("1.0", "1.0.0"), Less); // shorter main version first
        let long = format!("1.{}", "9".repeat(130));
        assert_eq!(cmp_version(&long, "1.0"), Greater); // invalid (group too long)
        use Value::*;
        let v = FieldKind::Version;
        assert_eq!(c(Str("1.11.3"), v, Str("1.5.0")), Some(Greater));
        assert_eq!(c(Str("bad"), v, Str("bad")), Some(Equal));
    }

    #[test]
    fn computed_values() {
        use Value::*;
        assert_eq!(cmp_vals(Int(995), Int(995)), Some(Equal));
        assert_eq!(cmp_vals(Int(2), Float(2.5)), Some(Less));
        assert_eq!(cmp_vals(Str("a"), Str("b")), Some(Less));
        assert_eq!(cmp_vals(Str("1"), Int(1)), None);
        assert_eq!(cmp_vals(Null, Null), None);
    }

    #[test]
    fn parse_numbers() {
        assert_eq!(parse_num("42"), Some(Num::Int(42)));
        assert_eq!(parse_num(" -42 "), Some(Num::Int(-42)));
        assert_eq!(parse_num("4.5"), Some(Num::Float(4.5)));
        assert_eq!(parse_num("1e3"), Some(Num::Float(1000.0)));
        assert_eq!(parse_num("99999999999999999999"), Some(Num::Float(1e20)));
        for bad in ["", "-", "abc", "inf", "NaN", "1.2.3x", "0x10"] {
            assert_eq!(parse_num(bad), None, "{bad}");
        }
    }
}

//! Computed values ([`Val`]) and the 16 EQL functions with Elasticsearch semantics
//! (eql-semantics.md §5), plus the arithmetic operators.
//!
//! Conventions shared by every function here:
//! * a `null` argument gives `null` unless the function documents otherwise;
//! * an argument of the wrong type (the checker rejects those at compile time) gives
//!   `null`;
//! * string positions and lengths are counted in **UTF-16 code units**, as Java's
//!   `String` does (identical to characters for text in the Basic Multilingual Plane);
//! * the `~` (case-insensitive) variants compare with Java `toLowerCase(Locale.ROOT)`
//!   applied per character ([`java_lower`]), but always return slices of the original
//!   text.

use std::borrow::Cow;
use std::fmt;

use crate::cidr::{cidr_match_str, Cidr};
use crate::value::Value;

/// A computed value: what a function or operator produces (strings may be borrowed from
/// the event or owned).
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
}

impl<'a> From<Value<'a>> for Val<'a> {
    #[inline]
    fn from(v: Value<'a>) -> Self {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(b),
            Value::Int(i) => Val::Int(i),
            Value::Float(f) => Val::Float(f),
            Value::Str(s) => Val::Str(Cow::Borrowed(s)),
        }
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(s: &'a str) -> Self {
        Val::Str(Cow::Borrowed(s))
    }
}

impl From<String> for Val<'_> {
    fn from(s: String) -> Self {
        Val::Str(Cow::Owned(s))
    }
}

impl From<i64> for Val<'_> {
    fn from(i: i64) -> Self {
        Val::Int(i)
    }
}

impl From<f64> for Val<'_> {
    fn from(f: f64) -> Self {
        Val::Float(f)
    }
}

impl From<bool> for Val<'_> {
    fn from(b: bool) -> Self {
        Val::Bool(b)
    }
}

impl<'a> Val<'a> {
    /// Whether this is `null`.
    #[inline]
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// The string, if this is one.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    #[inline]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is one.
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// As a condition: `true` only for `Bool(true)` (a `null` condition does not match).
    #[inline]
    pub fn is_true(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    /// A copy that owns its string.
    pub fn into_owned(self) -> Val<'static> {
        match self {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Int(i) => Val::Int(i),
            Val::Float(f) => Val::Float(f),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
        }
    }

    /// Borrow as a [`Value`] (for the comparison functions in [`crate::compare`]).
    #[inline]
    pub fn as_value(&self) -> Value<'_> {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Int(*i),
            Val::Float(f) => Value::Float(*f),
            Val::Str(s) => Value::Str(s),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Text forms
// ---------------------------------------------------------------------------------------

/// Write `f` as Java's `Double.toString` does (what Elasticsearch prints for doubles in
/// `string()` / `concat()`): `2.1828`, `1.0`, `100.0`, `1.0E7`, `1.0E-5`, `NaN`,
/// `Infinity`, `-0.0`. Plain notation for 10⁻³ ≤ |f| < 10⁷, otherwise computerized
/// scientific notation; the digits are the shortest that round-trip.
pub fn write_java_double<W: fmt::Write + ?Sized>(f: f64, w: &mut W) -> fmt::Result {
    if f.is_nan() {
        return w.write_str("NaN");
    }
    if f.is_infinite() {
        return w.write_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    }
    if f == 0.0 {
        return w.write_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    // Shortest round-trip digits from Rust's `{:e}`: "d.ddde±x".
    let mut buf = StackStr::<40>::new();
    write!(buf, "{:e}", f.abs())?;
    let s = buf.as_str();
    let (mant, exp) = s.split_once('e').ok_or(fmt::Error)?;
    let exp: i32 = exp.parse().map_err(|_| fmt::Error)?;
    let mut digits = StackStr::<24>::new();
    for c in mant.chars().filter(|c| c.is_ascii_digit()) {
        digits.write_char(c)?;
    }
    let d = digits.as_str();
    if f < 0.0 {
        w.write_char('-')?;
    }
    if (-3..7).contains(&exp) {
        if exp < 0 {
            w.write_str("0.")?;
            for _ in 0..(-exp - 1) {
                w.write_char('0')?;
            }
            w.write_str(d)
        } else {
            let int_len = exp as usize + 1;
            if d.len() <= int_len {
                w.write_str(d)?;
                for _ in d.len()..int_len {
                    w.write_char('0')?;
                }
                w.write_str(".0")
            } else {
                w.write_str(&d[..int_len])?;
                w.write_char('.')?;
                w.write_str(&d[int_len..])
            }
        }
    } else {
        w.write_str(&d[..1])?;
        w.write_char('.')?;
        w.write_str(if d.len() > 1 { &d[1..] } else { "0" })?;
        write!(w, "E{exp}")
    }
}

/// Write the textual form Elasticsearch uses for `string()` / `concat()`: strings as they
/// are, integers in decimal, floats as Java `Double.toString`, `true` / `false`. Writes
/// nothing for `null` (callers handle `null` first).
pub fn write_text<W: fmt::Write + ?Sized>(v: &Val<'_>, w: &mut W) -> fmt::Result {
    match v {
        Val::Null => Ok(()),
        Val::Bool(b) => w.write_str(if *b { "true" } else { "false" }),
        Val::Int(i) => write!(w, "{i}"),
        Val::Float(f) => write_java_double(*f, w),
        Val::Str(s) => w.write_str(s),
    }
}

/// Call `f` with the text form ([`write_text`]) of a non-string `v`, built on the stack
/// (numbers and booleans fit); `None` for `null`.
pub(crate) fn with_number_text<R>(v: &Val<'_>, f: impl FnOnce(&str) -> R) -> Option<R> {
    if v.is_null() {
        return None;
    }
    let mut buf = StackStr::<64>::new();
    if write_text(v, &mut buf).is_ok() {
        return Some(f(buf.as_str()));
    }
    let mut s = String::new();
    write_text(v, &mut s).ok()?;
    Some(f(&s))
}

/// A small string on the stack.
struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    fn new() -> Self {
        StackStr {
            buf: [0; N],
            len: 0,
        }
    }
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

use fmt::Write as _;

// ---------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

#[inline]
fn num(v: &Val<'_>) -> Option<Num> {
    match v {
        Val::Int(i) => Some(Num::I(*i)),
        Val::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

#[inline]
fn arith(
    a: &Val<'_>,
    b: &Val<'_>,
    int: fn(i64, i64) -> Option<i64>,
    float: fn(f64, f64) -> Option<f64>,
) -> Val<'static> {
    match (num(a), num(b)) {
        (Some(Num::I(x)), Some(Num::I(y))) => int(x, y).map_or(Val::Null, Val::Int),
        (Some(x), Some(y)) => {
            let x = match x {
                Num::I(i) => i as f64,
                Num::F(f) => f,
            };
            let y = match y {
                Num::I(i) => i as f64,
                Num::F(f) => f,
            };
            float(x, y).map_or(Val::Null, Val::Float)
        }
        _ => Val::Null,
    }
}

/// `a + b` / `add(a, b)`: integer if both are integers (overflow → `null`, Java's
/// `Math.addExact` raises an error), float otherwise; `null` or a non-number → `null`.
pub fn add(a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    arith(a, b, i64::checked_add, |x, y| Some(x + y))
}

/// `a - b` / `subtract(a, b)` (see [`add`]).
pub fn sub(a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    arith(a, b, i64::checked_sub, |x, y| Some(x - y))
}

/// `a * b` / `multiply(a, b)` (see [`add`]).
pub fn mul(a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    arith(a, b, i64::checked_mul, |x, y| Some(x * y))
}

/// `a / b` / `divide(a, b)`: integer division truncates toward zero (`7 / 2 == 3`,
/// `-7 / 2 == -3`); any float operand gives a float. Division by zero (integer or
/// float) → `null` (Elasticsearch raises an error; the doc says not to rely on it).
pub fn div(a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    arith(a, b, i64::checked_div, |x, y| (y != 0.0).then(|| x / y))
}

/// `a % b` / `modulo(a, b)`: Java remainder (sign of the dividend: `-7 % 3 == -1`);
/// modulo zero → `null`.
pub fn rem(a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    arith(a, b, i64::checked_rem, |x, y| (y != 0.0).then(|| x % y))
}

/// Unary minus (`-i64::MIN` → `null`).
pub fn neg(a: &Val<'_>) -> Val<'static> {
    match a {
        Val::Int(i) => i.checked_neg().map_or(Val::Null, Val::Int),
        Val::Float(f) => Val::Float(-f),
        _ => Val::Null,
    }
}

// ---------------------------------------------------------------------------------------
// String helpers
// ---------------------------------------------------------------------------------------

/// Java `Character.toLowerCase` for one character, as used by `String.toLowerCase`
/// (`Locale.ROOT`) in the `~` functions: the single-character lower case, or the
/// character itself when Unicode lower-cases it to several characters (only `İ`, which
/// Java turns into `i̇`). Java's context-dependent final sigma is not reproduced.
#[inline]
pub fn java_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

#[inline]
fn ch_eq(a: char, b: char, ci: bool) -> bool {
    a == b || (ci && java_lower(a) == java_lower(b))
}

/// Whether `hay[at..]` starts with `needle` (`at` a char boundary).
#[inline]
fn matches_at(hay: &str, at: usize, needle: &str, ci: bool) -> bool {
    if !ci {
        return hay.as_bytes()[at..].starts_with(needle.as_bytes());
    }
    let mut h = hay[at..].chars();
    needle
        .chars()
        .all(|n| h.next().is_some_and(|c| ch_eq(c, n, true)))
}

/// Byte length of `needle`'s match at `hay[at..]` (equal to `needle.len()` unless
/// case-insensitive matching paired characters of different UTF-8 lengths).
fn match_len(hay: &str, at: usize, needle: &str) -> usize {
    let n = needle.chars().count();
    hay[at..].chars().take(n).map(char::len_utf8).sum()
}

/// Byte index of the first match of `needle` in `hay` at or after byte `from`.
fn find_from(hay: &str, needle: &str, from: usize, ci: bool) -> Option<usize> {
    if !ci {
        return hay[from..].find(needle).map(|i| i + from);
    }
    let mut i = from;
    loop {
        if matches_at(hay, i, needle, true) {
            return Some(i);
        }
        if i >= hay.len() {
            return None;
        }
        i += hay[i..].chars().next().map_or(1, char::len_utf8);
    }
}

/// Byte index of the last match of `needle` in `hay`.
fn rfind(hay: &str, needle: &str, ci: bool) -> Option<usize> {
    if !ci {
        return hay.rfind(needle);
    }
    let mut i = hay.len();
    loop {
        if matches_at(hay, i, needle, true) {
            return Some(i);
        }
        if i == 0 {
            return None;
        }
        i -= 1;
        while !hay.is_char_boundary(i) {
            i -= 1;
        }
    }
}

/// UTF-16 length of `s` (Java `String.length()`).
#[inline]
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// UTF-16 offset of byte offset `b` (a char boundary) in `s`.
fn utf16_of_byte(s: &str, b: usize) -> usize {
    utf16_len(&s[..b])
}

/// Byte offset of UTF-16 offset `u` in `s` (clamped to the length). An offset inside a
/// surrogate pair rounds up (`up`) or down to the character boundary.
fn byte_of_utf16(s: &str, u: usize, up: bool) -> usize {
    if s.is_ascii() {
        return u.min(s.len());
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        if units >= u {
            return i;
        }
        let n = c.len_utf16();
        if units + n > u {
            return if up { i + c.len_utf8() } else { i };
        }
        units += n;
    }
    s.len()
}

#[inline]
fn sub_cow<'a>(s: &Cow<'a, str>, start: usize, end: usize) -> Val<'a> {
    match s {
        Cow::Borrowed(b) => Val::Str(Cow::Borrowed(&b[start..end])),
        Cow::Owned(o) => Val::Str(Cow::Owned(o[start..end].to_owned())),
    }
}

// ---------------------------------------------------------------------------------------
// The functions
// ---------------------------------------------------------------------------------------

/// `between(s, left, right[, greedy])` / `between~`: the text after the first `left` up
/// to the first `right` after it (greedy: up to the **last** `right` in `s`).
/// * `left` or `right` not found → `""`;
/// * `s`, `left` or `right` empty → `s` unchanged (Elasticsearch `StringUtils.between`;
///   the fold-test file expects Python's results instead — eql-semantics.md §11 says to
///   follow the ES code);
/// * greedy and the last `right` starts before the end of `left` → `null` (Java throws
///   `StringIndexOutOfBoundsException` there);
/// * any `null` argument (`greedy` `null` counts as `false`) → `null`.
pub fn between<'a>(
    s: &Val<'a>,
    left: &Val<'_>,
    right: &Val<'_>,
    greedy: &Val<'_>,
    ci: bool,
) -> Val<'a> {
    let (Val::Str(s), Some(l), Some(r)) = (s, left.as_str(), right.as_str()) else {
        return Val::Null;
    };
    let greedy = greedy.as_bool().unwrap_or(false);
    if s.is_empty() || l.is_empty() || r.is_empty() {
        return Val::Str(s.clone());
    }
    let Some(li) = find_from(s, l, 0, ci) else {
        return Val::Str(Cow::Borrowed(""));
    };
    let start = li + if ci { match_len(s, li, l) } else { l.len() };
    let ri = if greedy {
        rfind(s, r, ci)
    } else {
        find_from(s, r, start, ci)
    };
    match ri {
        None => Val::Str(Cow::Borrowed("")),
        Some(ri) if ri < start => Val::Null,
        Some(ri) => sub_cow(s, start, ri),
    }
}

/// `cidrMatch(ip, blocks...)`: whether the address text is inside any block; `null` →
/// `null`; text that is not an address → `false`.
pub fn cidr_match(ip: &Val<'_>, blocks: &[Cidr]) -> Val<'static> {
    match ip {
        Val::Str(s) => Val::Bool(cidr_match_str(s, blocks)),
        Val::Null => Val::Null,
        _ => Val::Bool(false),
    }
}

/// `concat(v...)`: the textual forms ([`write_text`]) joined; any `null` → `null`.
pub fn concat(args: &[Val<'_>]) -> Val<'static> {
    if args.iter().any(Val::is_null) {
        return Val::Null;
    }
    let mut out = String::new();
    for a in args {
        if write_text(a, &mut out).is_err() {
            return Val::Null;
        }
    }
    Val::Str(Cow::Owned(out))
}

/// A string buffer lent by a per-thread pool and given back (cleared, capacity kept) when
/// dropped. Generated code takes one per `concat`/`string` of a computed leaf, so that
/// building those strings allocates nothing once the pool's buffers have grown.
#[derive(Debug)]
pub struct Scratch(String);

std::thread_local! {
    static SCRATCH_POOL: core::cell::RefCell<Vec<String>> =
        const { core::cell::RefCell::new(Vec::new()) };
}

impl Scratch {
    /// A buffer from this thread's pool (a new, empty one when the pool is empty).
    pub fn take() -> Scratch {
        let s = SCRATCH_POOL
            .try_with(|p| p.borrow_mut().pop())
            .ok()
            .flatten();
        Scratch(s.unwrap_or_default())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let mut s = core::mem::take(&mut self.0);
        s.clear();
        // During thread teardown the pool may be gone: the buffer is then freed.
        let _ = SCRATCH_POOL.try_with(|p| p.borrow_mut().push(s));
    }
}

/// [`concat()`] built in `buf` (no allocation once `buf` has grown): the result borrows it.
pub fn concat_in<'b>(args: &[Val<'_>], buf: &'b mut Scratch) -> Val<'b> {
    if concat_into(args, &mut buf.0) {
        Val::Str(Cow::Borrowed(buf.0.as_str()))
    } else {
        Val::Null
    }
}

/// [`string`] with the text of a non-string built in `buf`: the result borrows `v`'s
/// string or `buf`.
pub fn string_in<'a>(v: &Val<'a>, buf: &'a mut Scratch) -> Val<'a> {
    match v {
        Val::Null => Val::Null,
        Val::Str(s) => Val::Str(s.clone()),
        other => {
            buf.0.clear();
            if write_text(other, &mut buf.0).is_err() {
                return Val::Null;
            }
            Val::Str(Cow::Borrowed(buf.0.as_str()))
        }
    }
}

/// Like [`concat()`], writing into a reusable buffer (cleared first); `false` when an
/// argument is `null` (the result is `null`).
pub fn concat_into(args: &[Val<'_>], out: &mut String) -> bool {
    out.clear();
    if args.iter().any(Val::is_null) {
        return false;
    }
    args.iter().all(|a| write_text(a, out).is_ok())
}

/// `endsWith(s, sub)` / `endsWith~`: `""` suffix → `true`; `null` → `null`.
pub fn ends_with(s: &Val<'_>, sub: &Val<'_>, ci: bool) -> Val<'static> {
    let (Some(s), Some(x)) = (s.as_str(), sub.as_str()) else {
        return Val::Null;
    };
    Val::Bool(if ci {
        let mut a = s.chars().rev();
        x.chars()
            .rev()
            .all(|n| a.next().is_some_and(|c| ch_eq(c, n, true)))
    } else {
        s.ends_with(x)
    })
}

/// `startsWith(s, sub)` / `startsWith~`: `""` prefix → `true`; `null` → `null`.
pub fn starts_with(s: &Val<'_>, sub: &Val<'_>, ci: bool) -> Val<'static> {
    let (Some(s), Some(x)) = (s.as_str(), sub.as_str()) else {
        return Val::Null;
    };
    Val::Bool(matches_at(s, 0, x, ci))
}

/// `indexOf(s, sub[, start])` / `indexOf~`: the first (UTF-16) index ≥ `start` where
/// `sub` occurs; not found → `null`. A negative `start` counts as 0; a `null` `start`
/// also counts as 0 (the ES fold tests expect `indexOf("foobarbaz", "o", null) == 1`;
/// the docs say `null` — eql-semantics.md §11; we follow the tests, as ES's code does).
/// An empty `sub` gives `min(start, length)` (Java `String.indexOf`). `null` `s` or
/// `sub` → `null`.
pub fn index_of(s: &Val<'_>, sub: &Val<'_>, start: &Val<'_>, ci: bool) -> Val<'static> {
    let (Some(s), Some(x)) = (s.as_str(), sub.as_str()) else {
        return Val::Null;
    };
    let from = match start {
        Val::Int(i) => (*i).max(0) as u64,
        Val::Null => 0,
        Val::Float(f) if *f >= 0.0 => *f as u64,
        Val::Float(_) => 0,
        _ => return Val::Null,
    };
    let len16 = utf16_len(s) as u64;
    if from > len16 {
        return if x.is_empty() {
            Val::Int(len16 as i64)
        } else {
            Val::Null
        };
    }
    let b = byte_of_utf16(s, from as usize, true);
    match find_from(s, x, b, ci) {
        Some(i) => Val::Int(utf16_of_byte(s, i) as i64),
        None => Val::Null,
    }
}

/// `length(s)`: length in UTF-16 code units (Java `String.length()`; characters for
/// BMP text); `null` → `null`.
pub fn length(s: &Val<'_>) -> Val<'static> {
    match s.as_str() {
        Some(s) => Val::Int(utf16_len(s) as i64),
        None => Val::Null,
    }
}

/// `number(s[, base])`: parse an integer or (base 10 only) a float.
/// * Surrounding whitespace is ignored; a leading `0x` selects base 16 when `base` is
///   `null`/absent or 16 (and is then skipped);
/// * base 10: an optional sign and digits → integer (if it fits `i64`), otherwise a Java
///   decimal/exponent float (`3.14`, `-1e5`, `.5`, `NaN`, `Infinity`);
/// * other bases (2–36): optional sign and digits of that base → integer;
/// * unparsable text or an invalid base → `null` (Elasticsearch raises an error);
/// * `null` → `null`.
pub fn number(s: &Val<'_>, base: &Val<'_>) -> Val<'static> {
    let Some(raw) = s.as_str() else {
        return Val::Null;
    };
    let t = raw.trim_matches(|c: char| c <= ' ');
    let hex = t.starts_with("0x");
    let base = match base {
        Val::Null => {
            if hex {
                16
            } else {
                10
            }
        }
        Val::Int(b) => *b,
        _ => return Val::Null,
    };
    if !(2..=36).contains(&base) {
        return Val::Null;
    }
    let t = if base == 16 && hex { &t[2..] } else { t };
    if base == 10 {
        if let Some(i) = parse_java_long(t, 10) {
            return Val::Int(i);
        }
        return parse_java_double(t).map_or(Val::Null, Val::Float);
    }
    parse_java_long(t, base as u32).map_or(Val::Null, Val::Int)
}

/// Java `Long.parseLong(s, radix)`: optional `+`/`-`, at least one digit, no spaces.
fn parse_java_long(s: &str, radix: u32) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    i64::from_str_radix(s, radix).ok()
}

/// Java `Double.parseDouble` for decimal text (no hex floats; `d`/`f` suffixes
/// accepted).
fn parse_java_double(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let neg = s.starts_with('-');
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => {
            return Some(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        _ => {}
    }
    let t = s.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(s);
    let b = t.strip_prefix(['+', '-']).unwrap_or(t);
    if b.is_empty()
        || !b
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        || !b.bytes().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    t.parse::<f64>().ok()
}

/// `string(v)`: the textual form ([`write_text`]); `null` → `null`. Strings are returned
/// as they are (borrowed).
pub fn string<'a>(v: &Val<'a>) -> Val<'a> {
    match v {
        Val::Null => Val::Null,
        Val::Str(s) => Val::Str(s.clone()),
        other => {
            let mut out = String::new();
            if write_text(other, &mut out).is_err() {
                return Val::Null;
            }
            Val::Str(Cow::Owned(out))
        }
    }
}

/// `stringContains(s, sub)` / `stringContains~`: **empty `s` or empty `sub` → `false`**
/// (Elasticsearch code); `null` → `null`.
pub fn string_contains(s: &Val<'_>, sub: &Val<'_>, ci: bool) -> Val<'static> {
    let (Some(s), Some(x)) = (s.as_str(), sub.as_str()) else {
        return Val::Null;
    };
    if s.is_empty() || x.is_empty() {
        return Val::Bool(false);
    }
    Val::Bool(find_from(s, x, 0, ci).is_some())
}

/// `substring(s, start[, end])` with Python slice semantics (UTF-16 positions):
/// negative positions count from the end, both are clamped to `[0, len]`, `end` is
/// exclusive, `start >= end` → `""`; `null` `start` → 0; `null`/absent `end` → to the end;
/// `null` `s` → `null`. A position inside a surrogate pair is moved to the next
/// character boundary (Java would split the pair).
pub fn substring<'a>(s: &Val<'a>, start: &Val<'_>, end: &Val<'_>) -> Val<'a> {
    let Val::Str(s) = s else {
        return Val::Null;
    };
    if s.is_empty() {
        return Val::Str(s.clone());
    }
    let len = utf16_len(s) as i64;
    let int = |v: &Val<'_>, dflt: i64| -> Option<i64> {
        match v {
            Val::Null => Some(dflt),
            Val::Int(i) => Some(*i),
            Val::Float(f) => Some(*f as i64),
            _ => None,
        }
    };
    let (Some(mut a), Some(mut b)) = (int(start, 0), int(end, len)) else {
        return Val::Null;
    };
    if a < 0 {
        a = (a + len).max(0);
    }
    if b < 0 {
        b = (b + len).max(0);
    } else if b > len {
        b = len;
    }
    if a >= b {
        return Val::Str(Cow::Borrowed(""));
    }
    let sa = byte_of_utf16(s, a as usize, true);
    let sb = byte_of_utf16(s, b as usize, true);
    if sa >= sb {
        return Val::Str(Cow::Borrowed(""));
    }
    sub_cow(s, sa, sb)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val<'_> {
        Val::Str(Cow::Borrowed(x))
    }
    fn st(x: &str) -> Val<'static> {
        Val::Str(Cow::Owned(x.to_owned()))
    }
    const N: Val<'static> = Val::Null;
    const T: Val<'static> = Val::Bool(true);
    const F: Val<'static> = Val::Bool(false);
    fn i(x: i64) -> Val<'static> {
        Val::Int(x)
    }

    fn jd(f: f64) -> String {
        let mut o = String::new();
        write_java_double(f, &mut o).unwrap();
        o
    }

    #[test]
    fn java_double_to_string() {
        // values from Java's Double.toString documentation / behaviour
        assert_eq!(jd(2.1828), "2.1828");
        assert_eq!(jd(4.5), "4.5");
        assert_eq!(jd(1.0), "1.0");
        assert_eq!(jd(100.0), "100.0");
        assert_eq!(jd(-21.0), "-21.0");
        assert_eq!(jd(0.001), "0.001");
        assert_eq!(jd(0.0001), "1.0E-4");
        assert_eq!(jd(1234567.0), "1234567.0");
        assert_eq!(jd(1.0e7), "1.0E7");
        assert_eq!(jd(1.0e10), "1.0E10");
        assert_eq!(jd(1.5e-5), "1.5E-5");
        assert_eq!(jd(123456789.125), "1.23456789125E8");
        assert_eq!(jd(0.1), "0.1");
        assert_eq!(jd(0.0), "0.0");
        assert_eq!(jd(-0.0), "-0.0");
        assert_eq!(jd(f64::NAN), "NaN");
        assert_eq!(jd(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(jd(7.0 / 3.0), "2.3333333333333335");
        assert_eq!(jd(f64::MAX), "1.7976931348623157E308");
        assert_eq!(jd(f64::MIN_POSITIVE), "2.2250738585072014E-308");
    }

    // test_folding.toml [arithmetic]
    #[test]
    fn arithmetic() {
        assert_eq!(add(&i(7), &i(3)), i(10));
        assert_eq!(add(&i(7), &i(-3)), i(4));
        assert_eq!(sub(&i(7), &i(3)), i(4));
        assert_eq!(sub(&i(7), &i(-3)), i(10));
        assert_eq!(mul(&i(7), &i(3)), i(21));
        assert_eq!(mul(&i(7), &Val::Float(3.0)), Val::Float(21.0));
        assert_eq!(mul(&i(-7), &Val::Float(3.0)), Val::Float(-21.0));
        assert_eq!(mul(&Val::Float(7.0), &i(3)), Val::Float(21.0));
        assert_eq!(div(&i(7), &i(3)), i(2));
        assert_eq!(div(&i(7), &Val::Float(3.0)), Val::Float(7.0 / 3.0));
        assert_eq!(div(&i(-7), &i(2)), i(-3)); // truncation, §4
        assert_eq!(rem(&i(7), &i(3)), i(1));
        assert_eq!(rem(&i(-7), &i(3)), i(-1)); // Java remainder
        assert_eq!(rem(&i(7), &i(-3)), i(1));
        // 3 + 4 - 5 * 6 / 7 == 3 ; ((3 + 4) - 5) * 6 / 7 == 1
        let a = sub(&add(&i(3), &i(4)), &div(&mul(&i(5), &i(6)), &i(7)));
        assert_eq!(a, i(3));
        let b = div(&mul(&sub(&add(&i(3), &i(4)), &i(5)), &i(6)), &i(7));
        assert_eq!(b, i(1));
        // null / overflow / division by zero
        assert_eq!(add(&N, &i(4)), N);
        assert_eq!(add(&i(i64::MAX), &i(1)), N);
        assert_eq!(div(&i(1), &i(0)), N);
        assert_eq!(div(&Val::Float(1.0), &i(0)), N);
        assert_eq!(rem(&i(1), &i(0)), N);
        assert_eq!(div(&i(i64::MIN), &i(-1)), N);
        assert_eq!(add(&s("1"), &i(1)), N);
        assert_eq!(neg(&i(5)), i(-5));
        assert_eq!(neg(&i(i64::MIN)), N);
        assert_eq!(add(&i(4), &Val::Float(0.5)), Val::Float(4.5)); // function docs
    }

    // test_string_functions.toml [between]; empty left/right follow the ES code (§11)
    #[test]
    fn between_fn() {
        let w = s("welcome to the planet");
        assert_eq!(between(&w, &N, &s("planet"), &F, false), N);
        assert_eq!(between(&w, &s("welcome"), &N, &F, false), N);
        assert_eq!(between(&N, &s("welcome"), &s("planet"), &F, false), N);
        assert_eq!(
            between(&w, &s("welcome"), &s("planet"), &F, false),
            s(" to the ")
        );
        // not found → "" in ES (the file's commented `null` is Python's)
        assert_eq!(between(&w, &s("welcome"), &s("village"), &F, false), s(""));
        assert_eq!(between(&w, &s("goodbye"), &s("planet"), &F, false), s(""));
        assert_eq!(between(&w, &s("welcome"), &s("e"), &F, false), s(" to th"));
        assert_eq!(
            between(&w, &s("welcome"), &s("e"), &T, false),
            s(" to the plan")
        );
        assert_eq!(between(&w, &s("welcome"), &s("x"), &F, false), s(""));
        assert_eq!(between(&w, &s("welcome"), &s("x"), &T, false), s(""));
        // empty left or right: ES returns the input (file expects Python's "" / prefix)
        assert_eq!(between(&w, &s(""), &s("x"), &T, false), w);
        assert_eq!(between(&w, &s(""), &s(""), &T, false), w);
        assert_eq!(between(&w, &s(""), &s(""), &F, false), w);
        assert_eq!(between(&w, &s(""), &s("planet"), &F, false), w);
        // case-insensitive returns the original slice
        let p = s("C:\\Windows\\System32\\CMD.exe");
        assert_eq!(
            between(&p, &s("system32\\"), &s(".EXE"), &F, true),
            s("CMD")
        );
        assert_eq!(between(&p, &s("system32\\"), &s(".EXE"), &F, false), s(""));
        // additional_test_queries betweenAdditional1/2 shape
        let fp = s("C:\\dev\\TestLogs\\something.json");
        assert_eq!(
            between(&fp, &s("dev"), &s(".json"), &F, false),
            s("\\TestLogs\\something")
        );
        assert_eq!(
            between(&fp, &s("dev"), &s(".json"), &T, false),
            s("\\TestLogs\\something")
        );
        // greedy with the last `right` inside/before `left`: Java throws → null
        assert_eq!(between(&s("ab"), &s("b"), &s("a"), &T, false), N);
        // owned input gives an owned slice
        assert_eq!(between(&st("xaby"), &s("x"), &s("y"), &N, false), s("ab"));
    }

    // test_string_functions.toml [concat], [string]
    #[test]
    fn concat_and_string() {
        assert_eq!(concat(&[N]), N);
        assert_eq!(concat(&[N, N, N]), N);
        assert_eq!(concat(&[s("a")]), s("a"));
        assert_eq!(
            concat(&[s("a"), s("||"), i(1), s("||"), s("b")]),
            s("a||1||b")
        );
        assert_eq!(concat(&[s("a"), s("||"), N, s("||"), s("b")]), N);
        assert_eq!(
            concat(&[s("a"), s("||"), i(1), s("||"), T, s("||"), s("b")]),
            s("a||1||true||b")
        );
        // test_folding.toml [complex]: concat(995 == 995, "...")
        assert_eq!(concat(&[T, s("...")]), s("true..."));
        let mut buf = String::new();
        assert!(concat_into(&[i(5), s("::"), Val::Float(4.5)], &mut buf));
        assert_eq!(buf, "5::4.5");
        assert!(!concat_into(&[i(5), N], &mut buf));

        assert_eq!(string(&N), N);
        assert_eq!(string(&i(1)), s("1"));
        assert_eq!(string(&T), s("true"));
        assert_eq!(string(&Val::Float(2.1828)), s("2.1828"));
        assert_eq!(string(&s("hello")), s("hello"));
    }

    // test_string_functions.toml [endswith*], [startswith*]
    #[test]
    fn starts_ends() {
        let f = s("FooBarBaz");
        assert_eq!(ends_with(&f, &s("Baz"), false), T);
        assert_eq!(ends_with(&f, &s("Foo"), false), F);
        assert_eq!(ends_with(&f, &s("baz"), false), F);
        assert_eq!(ends_with(&f, &s("baz"), true), T);
        assert_eq!(ends_with(&f, &s(""), false), T);
        assert_eq!(ends_with(&N, &s(""), false), N);
        assert_eq!(starts_with(&f, &N, false), N);
        assert_eq!(starts_with(&N, &s("Foo"), false), N);
        assert_eq!(starts_with(&f, &s("Foo"), false), T);
        assert_eq!(starts_with(&f, &s(""), false), T);
        assert_eq!(starts_with(&f, &s("FooBar"), false), T);
        assert_eq!(starts_with(&f, &s("Bar"), false), F);
        let fb = s("FooBar");
        assert_eq!(starts_with(&fb, &s("foo"), false), F);
        assert_eq!(starts_with(&fb, &s("Foo"), true), T);
        assert_eq!(starts_with(&fb, &s("FOO"), true), T);
        assert_eq!(starts_with(&fb, &s("foo"), true), T);
        assert_eq!(starts_with(&fb, &s("Bar"), true), F);
        assert_eq!(starts_with(&s("ÉCOLE"), &s("éc"), true), T);
        assert_eq!(starts_with(&s("Fo"), &s("Foo"), true), F);
    }

    // test_string_functions.toml [indexof]
    #[test]
    fn index_of_fn() {
        let f = s("foobarbaz");
        assert_eq!(index_of(&N, &s("L"), &N, false), N);
        assert_eq!(index_of(&f, &s("L"), &N, false), N);
        assert_eq!(index_of(&f, &N, &N, false), N);
        assert_eq!(index_of(&N, &N, &N, false), N);
        assert_eq!(index_of(&f, &s("o"), &N, false), i(1));
        assert_eq!(index_of(&f, &s("o"), &i(0), false), i(1));
        assert_eq!(index_of(&f, &s("o"), &i(1), false), i(1));
        assert_eq!(index_of(&f, &s("o"), &i(2), false), i(2));
        assert_eq!(index_of(&f, &s("r"), &N, false), i(5));
        assert_eq!(index_of(&f, &s("r"), &i(2), false), i(5));
        // beyond §5 table: negative start = 0, "" → start, past the end → null
        assert_eq!(index_of(&f, &s("o"), &i(-5), false), i(1));
        assert_eq!(index_of(&f, &s(""), &i(3), false), i(3));
        assert_eq!(index_of(&f, &s("o"), &i(100), false), N);
        assert_eq!(index_of(&f, &s("O"), &N, false), N);
        assert_eq!(index_of(&f, &s("O"), &N, true), i(1));
        assert_eq!(index_of(&s("éa"), &s("a"), &N, false), i(1)); // UTF-16 index
        assert_eq!(index_of(&s("😀a"), &s("a"), &N, false), i(2));
    }

    // test_string_functions.toml [length]
    #[test]
    fn length_fn() {
        assert_eq!(length(&N), N);
        assert_eq!(length(&s("")), i(0));
        assert_eq!(length(&s("foo")), i(3));
        assert_eq!(length(&s("héllo")), i(5));
        assert_eq!(length(&s("😀")), i(2)); // Java UTF-16 length
    }

    // test_string_functions.toml [number] (3.14 is the file's literal, not π)
    #[test]
    #[allow(clippy::approx_constant)]
    fn number_fn() {
        assert_eq!(number(&s("314"), &N), i(314));
        assert_eq!(number(&s("3.14"), &N), Val::Float(3.14));
        assert_eq!(number(&s("-3.14"), &i(10)), Val::Float(-3.14));
        assert_eq!(number(&s("-314"), &i(10)), i(-314));
        assert_eq!(number(&s("+314"), &i(10)), i(314));
        assert_eq!(number(&s("-3.14"), &N), Val::Float(-3.14));
        assert_eq!(number(&s("0x1337"), &N), i(4919));
        assert_eq!(number(&s("0x1337"), &i(16)), i(4919));
        assert_eq!(number(&s("52403"), &N), i(52403));
        assert_eq!(number(&s("052403"), &i(8)), i(21763));
        assert_eq!(number(&s("52403"), &i(7)), i(12890));
        // additional_test_queries numberStringEquality: number("31", 13) == 40
        assert_eq!(number(&s("31"), &i(13)), i(40));
        assert_eq!(number(&s("11"), &i(16)), i(17));
        // whitespace, garbage, null
        assert_eq!(number(&s("  42 "), &N), i(42));
        assert_eq!(number(&s("1e3"), &N), Val::Float(1000.0));
        assert_eq!(number(&s("abc"), &N), N);
        assert_eq!(number(&s(""), &N), N);
        assert_eq!(number(&s("inf"), &N), N);
        assert_eq!(number(&s("12"), &i(1)), N);
        assert_eq!(number(&s("9"), &i(8)), N);
        assert_eq!(number(&N, &N), N);
    }

    #[test]
    fn string_contains_fn() {
        assert_eq!(string_contains(&s("hello"), &s("ell"), false), T);
        assert_eq!(string_contains(&s("hello"), &s("ELL"), false), F);
        assert_eq!(string_contains(&s("hello"), &s("ELL"), true), T);
        assert_eq!(string_contains(&s(""), &s(""), false), F); // ES, not Python
        assert_eq!(string_contains(&s("a"), &s(""), false), F);
        assert_eq!(string_contains(&s(""), &s("a"), false), F);
        assert_eq!(string_contains(&N, &s("a"), false), N);
    }

    // test_string_functions.toml [substring]
    #[test]
    fn substring_fn() {
        let h = s("hello world");
        assert_eq!(substring(&N, &i(5), &N), N);
        assert_eq!(substring(&N, &N, &N), N);
        assert_eq!(substring(&h, &N, &N), s("hello world"));
        assert_eq!(substring(&h, &i(6), &N), s("world"));
        assert_eq!(substring(&h, &N, &i(5)), s("hello"));
        assert_eq!(substring(&h, &i(0), &i(5)), s("hello"));
        assert_eq!(substring(&h, &i(0), &i(500)), s("hello world"));
        assert_eq!(substring(&h, &i(5), &i(-1)), s(" worl"));
        assert_eq!(substring(&h, &i(3), &i(9)), s("lo wor"));
        assert_eq!(substring(&h, &i(-5), &N), s("world"));
        assert_eq!(substring(&h, &i(-5), &i(11)), s("world"));
        assert_eq!(substring(&h, &i(-5), &i(100)), s("world"));
        assert_eq!(substring(&h, &i(-60), &i(5)), s("hello"));
        assert_eq!(substring(&h, &i(-5), &N), s("world"));
        assert_eq!(substring(&h, &i(-5), &i(-1)), s("worl"));
        assert_eq!(substring(&h, &i(7), &i(3)), s(""));
        assert_eq!(substring(&s(""), &i(1), &N), s(""));
        assert_eq!(substring(&s("héllo"), &i(1), &i(3)), s("él"));
    }

    #[test]
    fn cidr_fn() {
        let blocks = [Cidr::parse("10.0.0.0/8").unwrap()];
        // additional_test_queries cidrMatchAdditional: string(cidrMatch(...)) : "true"
        assert_eq!(string(&cidr_match(&s("10.6.48.157"), &blocks)), s("true"));
        assert_eq!(cidr_match(&s("11.0.0.1"), &blocks), F);
        assert_eq!(cidr_match(&N, &blocks), N);
    }

    #[test]
    fn conversions() {
        assert_eq!(Val::from(Value::Str("x")), s("x"));
        assert_eq!(Val::from(Value::Int(3)), i(3));
        assert!(T.is_true() && !N.is_true() && !F.is_true());
        assert_eq!(st("x").into_owned(), s("x"));
        assert_eq!(s("x").as_value(), Value::Str("x"));
        assert_eq!(java_lower('İ'), 'İ');
        assert_eq!(java_lower('A'), 'a');
    }
}

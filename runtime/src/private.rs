//! Support for generated code only. Not a stable API: names and signatures change with
//! the code generator, which is always released together with this crate.

pub use crate::cidr::{cidr_match_str, Cidr};
pub use crate::compare::{compare_lit, FieldKind};
pub use crate::func::Val;
pub use crate::pack::{Alert, EventRef, PackStats, RulePack};
pub use crate::pipes::Limiter;
pub use crate::record::Record;
pub use crate::regex::LazyRegex;
pub use crate::text::{
    contains_fold, ends_with_fold, eq_fold, glob, starts_with_fold, FoldSet, StrSet,
};
pub use crate::value::Value;
pub use crate::{func, ops};

use core::fmt::Write as _;

/// Stack buffer that holds the text form of a non-string value (48 bytes; writing more
/// fails). The runtime's one such buffer: keyword text of values ([`as_text`]), join-key
/// text and canonical number spellings (`sequence`) all format into it.
pub struct TextBuf {
    buf: [u8; 48],
    len: usize,
}

impl TextBuf {
    /// An empty buffer.
    #[inline]
    pub const fn new() -> Self {
        TextBuf {
            buf: [0; 48],
            len: 0,
        }
    }

    /// `args` formatted, `None` when the text is longer than the buffer.
    #[inline]
    pub fn format(args: core::fmt::Arguments<'_>) -> Option<Self> {
        let mut t = TextBuf::new();
        t.write_fmt(args).ok()?;
        Some(t)
    }

    /// The text written so far.
    #[inline]
    pub fn as_str(&self) -> &str {
        // only whole `&str`s are ever copied in (`write_str`)
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Default for TextBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(core::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The text a keyword field would hold for this value: strings as they are, numbers and
/// booleans in their JSON text, doubles as Java prints them (an ECS producer may send
/// `user.id: 1000` for a keyword field; Elasticsearch indexes it as `"1000"`). `None` for
/// `null`.
#[inline]
pub fn as_text<'a>(v: Value<'a>, buf: &'a mut TextBuf) -> Option<&'a str> {
    match v {
        Value::Str(s) => Some(s),
        Value::Null => None,
        Value::Bool(true) => Some("true"),
        Value::Bool(false) => Some("false"),
        Value::Int(i) => {
            buf.len = 0;
            write!(buf, "{i}").ok()?;
            core::str::from_utf8(&buf.buf[..buf.len]).ok()
        }
        Value::Float(f) => {
            // as the reference interpreter and `string()` print a double (Java's
            // `Double.toString`: `1.0`, `1.0E20`), which for the usual decimals is the JSON
            // text Elasticsearch keeps for a number in a keyword field
            buf.len = 0;
            crate::func::write_java_double(f, buf).ok()?;
            core::str::from_utf8(&buf.buf[..buf.len]).ok()
        }
    }
}

/// Whether any value of `it`, read as keyword text, satisfies `f`.
#[inline]
pub fn any_text<'a, I, F>(it: I, mut f: F) -> bool
where
    I: Iterator<Item = Value<'a>>,
    F: FnMut(&str) -> bool,
{
    for v in it {
        match v {
            Value::Str(s) => {
                if f(s) {
                    return true;
                }
            }
            Value::Null => {}
            other => {
                let mut buf = TextBuf::new();
                if let Some(s) = as_text(other, &mut buf) {
                    if f(s) {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// Whether any value of `it` is an exact (case-sensitive) string equal to `s`; used for
/// the category test, which is a term query on a keyword field.
#[inline]
pub fn any_str_eq<'a, I>(it: I, s: &str) -> bool
where
    I: Iterator<Item = Value<'a>>,
{
    any_text(it, |v| v == s)
}

/// Whether `it` holds at least one non-null value.
#[inline]
pub fn exists<'a, I>(mut it: I) -> bool
where
    I: Iterator<Item = Value<'a>>,
{
    it.any(|v| !v.is_null())
}

/// The values of a field for a computed expression: every value, or a single `null`
/// when the field has none (eql-semantics.md §3.1: an absent field is evaluated once as
/// `null`).
#[inline]
pub fn or_null<'a, I>(it: I) -> OrNull<I>
where
    I: Iterator<Item = Value<'a>>,
{
    OrNull { it, any: false }
}

/// Iterator returned by [`or_null`].
#[derive(Clone)]
pub struct OrNull<I> {
    it: I,
    any: bool,
}

impl<'a, I: Iterator<Item = Value<'a>>> Iterator for OrNull<I> {
    type Item = Value<'a>;
    #[inline]
    fn next(&mut self) -> Option<Value<'a>> {
        match self.it.next() {
            Some(v) => {
                self.any = true;
                Some(v)
            }
            None if !self.any => {
                self.any = true;
                Some(Value::Null)
            }
            None => None,
        }
    }
}

/// Deterministic 64-bit id of a match: FNV-1a over the rule id and the matched events'
/// handles and timestamps. The same input gives the same id on every run.
pub fn group_id(rule_id: &str, events: &[Option<EventRef>]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(rule_id.as_bytes());
    for e in events {
        match e {
            Some(e) => {
                eat(&[1]);
                eat(&e.handle.to_le_bytes());
                eat(&e.ts.to_le_bytes());
            }
            None => eat(&[0]),
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms() {
        let mut b = TextBuf::new();
        assert_eq!(as_text(Value::Int(1000), &mut b), Some("1000"));
        let mut b = TextBuf::new();
        assert_eq!(as_text(Value::Float(4.5), &mut b), Some("4.5"));
        // doubles as the interpreter and `string()` print them (Java's Double.toString)
        for (f, text) in [
            (1.0, "1.0"),
            (1e20, "1.0E20"),
            (1e-7, "1.0E-7"),
            (-2.5e-3, "-0.0025"),
            (f64::MAX, "1.7976931348623157E308"),
        ] {
            let mut b = TextBuf::new();
            assert_eq!(as_text(Value::Float(f), &mut b), Some(text));
        }
        let mut b = TextBuf::new();
        assert_eq!(as_text(Value::Bool(true), &mut b), Some("true"));
        let mut b = TextBuf::new();
        assert_eq!(as_text(Value::Null, &mut b), None);
    }

    #[test]
    fn or_null_yields_one_null_for_missing() {
        let v: Vec<_> = or_null(core::iter::empty()).collect();
        assert_eq!(v, vec![Value::Null]);
        let v: Vec<_> = or_null([Value::Int(1), Value::Int(2)].into_iter()).collect();
        assert_eq!(v, vec![Value::Int(1), Value::Int(2)]);
    }

    #[test]
    fn group_ids_are_stable_and_distinct() {
        let a = [Some(EventRef { handle: 1, ts: 5 }), None];
        let b = [Some(EventRef { handle: 2, ts: 5 }), None];
        assert_eq!(group_id("r", &a), group_id("r", &a));
        assert_ne!(group_id("r", &a), group_id("r", &b));
        assert_ne!(group_id("r", &a), group_id("q", &a));
    }
}

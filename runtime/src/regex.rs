//! Regular expressions: Elasticsearch's `regex` / `regex~` use **Lucene `RegExp`** syntax
//! (with all optional operators enabled) and match the **whole** string
//! (eql-semantics.md §4).
//!
//! * Build time: [`lucene_to_rust_regex`] translates a Lucene pattern into an anchored
//!   pattern for Rust's `regex-syntax`, and validates it.
//! * Run time: [`Regex`] (built on `regex-automata`'s meta engine: finite automata and a
//!   bounded backtracker, linear time, no catastrophic backtracking) and [`LazyRegex`],
//!   which generated code keeps in a `static` and compiles on first use.
//!
//! # Lucene syntax handled (mirrors `org.apache.lucene.util.automaton.RegExp`)
//!
//! * literals; `\c` escapes any non-alphabetic character `c`; `\\` is a backslash;
//! * `.` any character (newlines included), `[...]`, `[^...]` (ranges `a-z`, escapes,
//!   `\d \D \s \S \w \W`), `(...)`, `()` (empty string), `|`;
//! * `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (they stack: `a**` is fine);
//! * `"..."` a quoted literal string;
//! * `@` any string, `#` the empty language, `<n-m>` a decimal interval (fixed width when
//!   both bounds have the same number of digits, otherwise any number of leading zeros);
//! * `^` and `$` are **ordinary characters** (no anchors; matching is always whole-string);
//! * `\d` = `[0-9]`, `\s` = `[\t\n\r ]`, `\w` = `[0-9A-Za-z_]` as Lucene ≥ 8.6 defines
//!   them (eql-semantics.md §4 says Lucene has no shorthand classes; the Lucene source
//!   does, and a corpus rule relies on `\s`); any other alphabetic escape (`\n`, `\t`,
//!   `\b`...) is an error, as in Lucene;
//! * a character that is not an operator where it appears is literal (`*a` is `\*a`).
//!
//! Not supported, rejected with an error: `~` (complement), `&` (intersection) and
//! `<name>` (named automata). Escape them (`\~`, `\&`, `\<`) to match them literally.
//!
//! # Case-insensitive (`regex~`)
//!
//! Elasticsearch runs `regex~` with Lucene's `ASCII_CASE_INSENSITIVE` flag: every
//! **literal ASCII letter** (also inside `[...]` and `"..."`) matches both cases; ranges
//! (`[a-z]`), `\w` and non-ASCII letters stay as written. The translation reproduces
//! exactly that (no `(?i)`).

use std::fmt::Write as _;
use std::sync::OnceLock;

use regex_automata::meta;

/// Parsed Lucene expression.
#[derive(Debug, Clone)]
enum Node {
    /// `#`: matches nothing.
    Empty,
    /// `@`: any string.
    AnyString,
    /// `.`
    AnyChar,
    /// One character.
    Char(char),
    /// `"..."` or `()`.
    Str(String),
    /// `[...]`: inclusive ranges; `fold` marks ranges that are single characters
    /// written as such (subject to case-insensitivity).
    Class {
        items: Vec<(char, char, bool)>,
        negated: bool,
    },
    Concat(Vec<Node>),
    Union(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
    Interval {
        min: u32,
        max: u32,
        digits: usize,
    },
}

struct Parser<'a> {
    s: Vec<char>,
    pos: usize,
    src: &'a str,
}

type PResult<T> = Result<T, String>;

impl Parser<'_> {
    fn more(&self) -> bool {
        self.pos < self.s.len()
    }
    fn peek(&self, set: &str) -> bool {
        self.more() && set.contains(self.s[self.pos])
    }
    fn eat(&mut self, c: char) -> bool {
        if self.more() && self.s[self.pos] == c {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn next(&mut self) -> PResult<char> {
        if !self.more() {
            return Err(format!(
                "unexpected end of regular expression `{}`",
                self.src
            ));
        }
        self.pos += 1;
        Ok(self.s[self.pos - 1])
    }
    fn err<T>(&self, what: &str) -> PResult<T> {
        Err(format!(
            "{what} at position {} of regular expression `{}`",
            self.pos, self.src
        ))
    }

    fn union(&mut self) -> PResult<Node> {
        let mut alts = vec![self.inter()?];
        while self.eat('|') {
            alts.push(self.inter()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Union(alts)
        })
    }

    fn inter(&mut self) -> PResult<Node> {
        let e = self.concat()?;
        if self.peek("&") {
            return self.err(
                "the intersection operator `&` is not supported (write `\\&` for a literal `&`)",
            );
        }
        Ok(e)
    }

    fn concat(&mut self) -> PResult<Node> {
        let mut parts = vec![self.repeat()?];
        while self.more() && !self.peek(")|&") {
            parts.push(self.repeat()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Concat(parts)
        })
    }

    fn number(&mut self) -> PResult<Option<u32>> {
        let start = self.pos;
        while self.peek("0123456789") {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(None);
        }
        let t: String = self.s[start..self.pos].iter().collect();
        t.parse::<u32>()
            .map(Some)
            .or_else(|_| self.err("repetition count too large"))
    }

    fn repeat(&mut self) -> PResult<Node> {
        let mut e = self.compl()?;
        while self.peek("?*+{") {
            let (min, max) = match self.next()? {
                '?' => (0, Some(1)),
                '*' => (0, None),
                '+' => (1, None),
                _ => {
                    let Some(n) = self.number()? else {
                        return self.err("integer expected");
                    };
                    let m = if self.eat(',') {
                        self.number()?
                    } else {
                        Some(n)
                    };
                    if !self.eat('}') {
                        return self.err("expected `}`");
                    }
                    if let Some(m) = m {
                        if n > m {
                            return self.err("invalid repetition range (out of order)");
                        }
                    }
                    (n, m)
                }
            };
            e = Node::Repeat {
                node: Box::new(e),
                min,
                max,
            };
        }
        Ok(e)
    }

    fn compl(&mut self) -> PResult<Node> {
        if self.peek("~") {
            return self.err(
                "the complement operator `~` is not supported (write `\\~` for a literal `~`)",
            );
        }
        self.class_exp()
    }

    fn class_exp(&mut self) -> PResult<Node> {
        if self.eat('[') {
            let negated = self.eat('^');
            let mut items = Vec::new();
            loop {
                self.class_item(&mut items)?;
                if !self.more() || self.peek("]") {
                    break;
                }
            }
            if !self.eat(']') {
                return self.err("expected `]`");
            }
            Ok(Node::Class { items, negated })
        } else {
            self.simple()
        }
    }

    /// After a consumed `\`: a predefined class, a backslash, or an error for other
    /// letters. `Ok(None)`: an escaped ordinary character follows (not consumed).
    fn predefined(&mut self) -> PResult<Option<Vec<(char, char, bool)>>> {
        const MAX: char = char::MAX;
        let c = if self.more() {
            self.s[self.pos]
        } else {
            return Ok(None);
        };
        let r = |a: char, b: char| (a, b, false);
        let set = match c {
            'd' => vec![r('0', '9')],
            'D' => vec![r('\0', '/'), r(':', MAX)],
            's' => vec![r('\t', '\n'), r('\r', '\r'), r(' ', ' ')],
            'S' => vec![
                r('\0', '\u{8}'),
                r('\u{b}', '\u{c}'),
                r('\u{e}', '\u{1f}'),
                r('!', MAX),
            ],
            'w' => vec![r('0', '9'), r('A', 'Z'), r('_', '_'), r('a', 'z')],
            'W' => vec![
                r('\0', '/'),
                r(':', '@'),
                r('[', '^'),
                r('`', '`'),
                r('{', MAX),
            ],
            '\\' => vec![('\\', '\\', true)],
            c if c.is_ascii_alphabetic() => {
                return self.err(&format!("invalid escape `\\{c}`"));
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        Ok(Some(set))
    }

    fn class_item(&mut self, items: &mut Vec<(char, char, bool)>) -> PResult<()> {
        if self.eat('\\') {
            if let Some(set) = self.predefined()? {
                items.extend(set);
                return Ok(());
            }
        }
        let c = self.char_exp()?;
        if self.eat('-') {
            let d = self.char_exp()?;
            if c > d {
                return self.err(&format!(
                    "invalid range `{c}-{d}` (from is greater than to)"
                ));
            }
            items.push((c, d, false));
        } else {
            items.push((c, c, true));
        }
        Ok(())
    }

    fn char_exp(&mut self) -> PResult<char> {
        self.eat('\\');
        self.next()
    }

    fn simple(&mut self) -> PResult<Node> {
        if self.eat('.') {
            return Ok(Node::AnyChar);
        }
        if self.eat('#') {
            return Ok(Node::Empty);
        }
        if self.eat('@') {
            return Ok(Node::AnyString);
        }
        if self.eat('"') {
            let start = self.pos;
            while self.more() && !self.peek("\"") {
                self.pos += 1;
            }
            if !self.eat('"') {
                return self.err("expected `\"`");
            }
            return Ok(Node::Str(self.s[start..self.pos - 1].iter().collect()));
        }
        if self.eat('(') {
            if self.eat(')') {
                return Ok(Node::Str(String::new()));
            }
            let e = self.union()?;
            if !self.eat(')') {
                return self.err("expected `)`");
            }
            return Ok(e);
        }
        if self.eat('<') {
            let start = self.pos;
            while self.more() && !self.peek(">") {
                self.pos += 1;
            }
            if !self.eat('>') {
                return self.err("expected `>`");
            }
            let body: String = self.s[start..self.pos - 1].iter().collect();
            let Some(i) = body.find('-') else {
                return self.err(&format!(
                    "named automaton `<{body}>` is not supported (write `\\<` for a literal `<`)"
                ));
            };
            let (smin, smax) = (&body[..i], &body[i + 1..]);
            let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if !ok(smin) || !ok(smax) {
                return self.err("interval syntax error");
            }
            let (Ok(a), Ok(b)) = (smin.parse::<i32>(), smax.parse::<i32>()) else {
                return self.err("interval syntax error");
            };
            let digits = if smin.len() == smax.len() {
                smin.len()
            } else {
                0
            };
            let (a, b) = (a.min(b) as u32, a.max(b) as u32);
            return Ok(Node::Interval {
                min: a,
                max: b,
                digits,
            });
        }
        if self.eat('\\') {
            if let Some(set) = self.predefined()? {
                return Ok(Node::Class {
                    items: set,
                    negated: false,
                });
            }
        }
        Ok(Node::Char(self.char_exp()?))
    }
}

/// Append `c` as a regex-syntax literal (hex escape unless ASCII alphanumeric).
fn lit(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

/// Append a literal character, as `[xX]` when case-insensitive and an ASCII letter.
fn lit_ci(out: &mut String, c: char, ci: bool) {
    if ci && c.is_ascii_alphabetic() {
        out.push('[');
        out.push(c.to_ascii_lowercase());
        out.push(c.to_ascii_uppercase());
        out.push(']');
    } else {
        lit(out, c);
    }
}

/// Regex for the fixed-width decimal strings from `lo` to `hi` (same length, lo ≤ hi).
fn fixed_range(lo: &[u8], hi: &[u8], out: &mut String) {
    if lo.is_empty() {
        return;
    }
    if lo[0] == hi[0] {
        out.push(lo[0] as char);
        return fixed_range(&lo[1..], &hi[1..], out);
    }
    let rest = lo.len() - 1;
    let all0 = lo[1..].iter().all(|&b| b == b'0');
    let all9 = hi[1..].iter().all(|&b| b == b'9');
    let any = |out: &mut String| {
        if rest > 0 {
            let _ = write!(out, "[0-9]{{{rest}}}");
        }
    };
    let mut alts: Vec<String> = Vec::new();
    let mut mid_lo = lo[0];
    if !all0 {
        let mut a = String::new();
        a.push(lo[0] as char);
        let nines = vec![b'9'; rest];
        fixed_range(&lo[1..], &nines, &mut a);
        alts.push(a);
        mid_lo += 1;
    }
    let mid_hi = if all9 { hi[0] } else { hi[0] - 1 };
    if mid_lo <= mid_hi {
        let mut m = String::new();
        let _ = write!(m, "[{}-{}]", mid_lo as char, mid_hi as char);
        any(&mut m);
        alts.push(m);
    }
    if !all9 {
        let mut z = String::new();
        z.push(hi[0] as char);
        let zeros = vec![b'0'; rest];
        fixed_range(&zeros, &hi[1..], &mut z);
        alts.push(z);
    }
    out.push_str("(?:");
    out.push_str(&alts.join("|"));
    out.push(')');
}

fn interval(min: u32, max: u32, digits: usize, out: &mut String) {
    if digits > 0 {
        let lo = format!("{min:0digits$}");
        let hi = format!("{max:0digits$}");
        return fixed_range(lo.as_bytes(), hi.as_bytes(), out);
    }
    let mut alts = Vec::new();
    let (lmin, lmax) = (min.to_string().len(), max.to_string().len());
    for len in lmin..=lmax {
        let floor = if len == 1 {
            0
        } else {
            10u64.pow(len as u32 - 1)
        };
        let ceil = 10u64.pow(len as u32) - 1;
        let a = u64::from(min).max(floor);
        let b = u64::from(max).min(ceil);
        if a <= b {
            let mut s = String::new();
            fixed_range(a.to_string().as_bytes(), b.to_string().as_bytes(), &mut s);
            alts.push(s);
        }
    }
    out.push_str("0*(?:");
    out.push_str(&alts.join("|"));
    out.push(')');
}

fn emit(n: &Node, ci: bool, out: &mut String) {
    match n {
        Node::Empty => out.push_str("[^\\x{0}-\\x{10FFFF}]"),
        Node::AnyString => out.push_str("(?s:.*)"),
        Node::AnyChar => out.push_str("(?s:.)"),
        Node::Char(c) => lit_ci(out, *c, ci),
        Node::Str(s) => {
            out.push_str("(?:");
            for c in s.chars() {
                lit_ci(out, c, ci);
            }
            out.push(')');
        }
        Node::Class { items, negated } => {
            out.push('[');
            if *negated {
                out.push('^');
            }
            for &(a, b, single) in items {
                if single {
                    lit(out, a);
                    if ci && a.is_ascii_alphabetic() {
                        let o = if a.is_ascii_lowercase() {
                            a.to_ascii_uppercase()
                        } else {
                            a.to_ascii_lowercase()
                        };
                        lit(out, o);
                    }
                } else {
                    lit(out, a);
                    out.push('-');
                    lit(out, b);
                }
            }
            out.push(']');
        }
        Node::Concat(parts) => {
            for p in parts {
                emit(p, ci, out);
            }
        }
        Node::Union(alts) => {
            out.push_str("(?:");
            for (i, a) in alts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(a, ci, out);
            }
            out.push(')');
        }
        Node::Repeat { node, min, max } => {
            out.push_str("(?:");
            emit(node, ci, out);
            out.push(')');
            match (min, max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (n, None) => {
                    let _ = write!(out, "{{{n},}}");
                }
                (n, Some(m)) if n == m => {
                    let _ = write!(out, "{{{n}}}");
                }
                (n, Some(m)) => {
                    let _ = write!(out, "{{{n},{m}}}");
                }
            }
        }
        Node::Interval { min, max, digits } => interval(*min, *max, *digits, out),
    }
}

/// Translate a Lucene regular expression (Elasticsearch `regex` / `regex~` pattern, as
/// the unescaped string value) into an anchored pattern for Rust's `regex-syntax` that
/// matches exactly the same whole strings, and check that it compiles. Several EQL
/// patterns may be joined with `|` first (Lucene union). See the module docs for the
/// syntax and the case-insensitive rules. Build-time helper.
pub fn lucene_to_rust_regex(pattern: &str, case_insensitive: bool) -> Result<String, String> {
    let mut p = Parser {
        s: pattern.chars().collect(),
        pos: 0,
        src: pattern,
    };
    let node = p.union()?;
    if p.more() {
        return p.err("unexpected `)`");
    }
    let mut out = String::from("\\A(?:");
    emit(&node, case_insensitive, &mut out);
    out.push_str(")\\z");
    Regex::new(&out).map_err(|e| format!("regular expression `{pattern}`: {e}"))?;
    Ok(out)
}

/// A compiled, whole-string-anchored regular expression (from
/// [`lucene_to_rust_regex`]). Matching takes linear time.
#[derive(Clone)]
pub struct Regex {
    re: meta::Regex,
    pattern: Box<str>,
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Regex").field(&self.pattern).finish()
    }
}

impl Regex {
    /// Compile a pattern produced by [`lucene_to_rust_regex`].
    pub fn new(translated: &str) -> Result<Regex, String> {
        meta::Regex::new(translated)
            .map(|re| Regex {
                re,
                pattern: translated.into(),
            })
            .map_err(|e| e.to_string())
    }

    /// Translate and compile a Lucene pattern (convenience for tools and tests).
    pub fn from_lucene(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
        Regex::new(&lucene_to_rust_regex(pattern, case_insensitive)?)
    }

    /// Whether the whole of `s` matches.
    #[inline]
    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }

    /// The (translated) pattern.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

/// A regular expression compiled on first use, for `static` items in generated code:
/// `static RE: LazyRegex = LazyRegex::new("<translated pattern>");`. A pattern that does
/// not compile (impossible for output of [`lucene_to_rust_regex`], which validates)
/// matches nothing.
#[derive(Debug)]
pub struct LazyRegex {
    pattern: &'static str,
    cell: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// Wrap a pattern produced by [`lucene_to_rust_regex`].
    pub const fn new(pattern: &'static str) -> Self {
        LazyRegex {
            pattern,
            cell: OnceLock::new(),
        }
    }

    /// The compiled expression (`None` if the pattern is invalid).
    pub fn get(&self) -> Option<&Regex> {
        self.cell
            .get_or_init(|| Regex::new(self.pattern).ok())
            .as_ref()
    }

    /// Whether the whole of `s` matches.
    #[inline]
    pub fn is_match(&self, s: &str) -> bool {
        self.get().is_some_and(|r| r.is_match(s))
    }

    /// The translated pattern.
    pub const fn pattern(&self) -> &'static str {
        self.pattern
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> Regex {
        Regex::from_lucene(p, false).unwrap_or_else(|e| panic!("{p}: {e}"))
    }
    fn rei(p: &str) -> Regex {
        Regex::from_lucene(p, true).unwrap_or_else(|e| panic!("{p}: {e}"))
    }
    fn check(r: &Regex, yes: &[&str], no: &[&str]) {
        for s in yes {
            assert!(r.is_match(s), "{r:?} should match {s:?}");
        }
        for s in no {
            assert!(!r.is_match(s), "{r:?} should not match {s:?}");
        }
    }

    #[test]
    fn whole_string_and_literal_anchors() {
        check(&re("abc"), &["abc"], &["xabc", "abcx", "ab", ""]);
        // ^ and $ are ordinary characters in Lucene
        check(&re("^a$"), &["^a$"], &["a"]);
        check(&re("a.c"), &["abc", "a\nc", "aéc"], &["ac", "abbc"]);
        check(&re("a|bc"), &["a", "bc"], &["abc"]);
        check(&re("(ab)+"), &["ab", "abab"], &["", "aba"]);
        check(&re("a{2,3}"), &["aa", "aaa"], &["a", "aaaa"]);
        check(&re("a{2}"), &["aa"], &["aaa"]);
        check(&re("a{2,}"), &["aa", "aaaaa"], &["a"]);
        check(&re("a**"), &["", "aaa"], &["b"]);
        check(&re("a?b"), &["b", "ab"], &["aab"]);
        check(&re("()a"), &["a"], &[""]);
        check(&re("\"a.b\"c"), &["a.bc"], &["axbc"]);
        check(&re("a\\.b"), &["a.b"], &["axb"]);
        check(&re("a\\\\b"), &["a\\b"], &["ab"]);
        check(&re("*a"), &["*a"], &["a"]); // leading * is a literal in Lucene
        check(&re("[]a]"), &["]", "a"], &["b"]);
        check(&re("[^/]+"), &["abc", "a\nb"], &["a/b", ""]);
        check(&re("[a-c\\-x]"), &["b", "-", "x"], &["d"]);
    }

    #[test]
    fn operators() {
        check(&re("a@"), &["a", "abc\nd"], &["b"]);
        check(&re("#"), &[], &["", "a"]);
        check(&re("a|#"), &["a"], &[""]);
        check(
            &re("<1-100>"),
            &["1", "42", "100", "007", "0100"],
            &["0", "101", ""],
        );
        check(
            &re("<01-10>"),
            &["01", "09", "10"],
            &["1", "11", "00", "010"],
        );
        check(&re("<10-1>"), &["5"], &["11"]);
        check(&re("<0-5>"), &["0", "5"], &["00", "6", ""]); // same width: fixed
        check(
            &re("port<1024-65535>"),
            &["port1024", "port65535", "port8080"],
            &["port1023", "port65536"],
        );
        assert!(lucene_to_rust_regex("a~b", false)
            .unwrap_err()
            .contains("complement"));
        assert!(lucene_to_rust_regex("a&b", false)
            .unwrap_err()
            .contains("intersection"));
        assert!(lucene_to_rust_regex("<foo>", false)
            .unwrap_err()
            .contains("named automaton"));
        check(&re("a\\~b\\&c\\<d"), &["a~b&c<d"], &[]);
    }

    #[test]
    fn predefined_classes_and_errors() {
        check(&re("\\d+"), &["0123"], &["a", "٣"]);
        check(
            &re("a\\sb"),
            &["a b", "a\tb", "a\nb", "a\rb"],
            &["a\u{b}b", "ab"],
        );
        check(&re("\\w+"), &["a_Z9"], &["a-b", "é"]);
        check(&re("\\S\\D\\W"), &["xx-"], &[" x-", "x1-", "xxx"]);
        check(&re("[\\s_]+"), &[" _\t"], &["x"]);
        for bad in [
            "", "a\\", "\\n", "\\t", "[a", "(a", "a)", "a{", "a{2,1}", "a{x}", "[z-a]", "\"ab",
            "<1-", "a|", "<a-b>",
        ] {
            assert!(lucene_to_rust_regex(bad, false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn case_insensitive_is_ascii_literals_only() {
        let r = rei("net1[ ]+localgroup");
        check(
            &r,
            &["NET1 LocalGroup", "net1  localgroup"],
            &["net1localgroup"],
        );
        // ranges are not case-folded by Lucene's ASCII_CASE_INSENSITIVE
        check(&rei("[a-z]+"), &["abc"], &["ABC"]);
        check(&rei("[abc]+"), &["aBC"], &["d"]);
        check(&rei("é"), &["é"], &["É"]);
        check(&rei("\"ab\""), &["AB"], &[]);
        check(&re("net1"), &["net1"], &["NET1"]);
    }

    // additional_test_queries.toml regex cases (command lines from the test data)
    #[test]
    fn conformance_patterns() {
        let cl = "net1  localgroup administrators";
        check(&re(".*?net1[ ]+localgroup.*?"), &[cl], &["net localgroup"]);
        check(
            &rei(".*?net1[ ]+localgroup.*?"),
            &["NET1 LOCALGROUP x"],
            &[],
        );
        check(&re(".*?net1.*?"), &[cl], &["net 1"]);
        check(
            &re(".*?net1[ ]+[a-z]{4,15}[ ]+.*?"),
            &["net1 localgroup administrators"],
            &["net1 lg x"],
        );
        let multi = re(".*?net[1]?  localgroup.*?|.*? myappserver.py .*?");
        check(
            &multi,
            &[cl, "net  localgroup", "python myappserver.py --x"],
            &["net1 localgroup", "myappserver.py"],
        );
    }

    // corpus patterns (STATS.txt / rule files), as unescaped string values
    #[test]
    fn corpus_patterns() {
        let ip = ".*[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}.*";
        check(&re(ip), &["curl http://10.1.2.3/x"], &["curl http://a.b/x"]);
        let tld = r".*\.(top|buzz|xyz|rest|ml|cf|gq|ga|onion|monster|cyou|quest|cc|bar|cfd|click|cam|surf|tk|shop|club|icu|pw|ws|online|fun|life|boats|store|hair|skin|motorcycles|christmas|lol|makeup|mom|bond|beauty|biz|live|work|zip|country|accountant|date|party|science|loan|win|men|faith|review|racing|download|host)";
        check(
            &re(tld),
            &["evil.example.top", "x.zip"],
            &["example.com", "top"],
        );
        check(
            &rei(r"/[a-z0-9\s_\-\\./]+\s"),
            &["/tmp/x.sh "],
            &["/tmp/x", "tmp ", "/TMP/X "], // `[a-z]` is a range: not case-folded
        );
        check(&re("[24][0-9]{3}"), &["4625", "2000"], &["3000", "462"]);
        check(
            &rei(".*(AWSLogs|CloudTrail|access-logs).*"),
            &["s3://b/awslogs/x"],
            &["s3://b/x"],
        );
        check(
            &rei("arn:aws:s3:::[^/]+/.*?(how|decrypt|restor|help|instruct|read|get|recov|save|encrypt|delet|info|ransom).*"),
            &["arn:aws:s3:::bucket/README_DECRYPT.txt"],
            &["arn:aws:s3:::bucket"],
        );
        check(
            &rei("(azure|sharp|blood)(hound)/.*"),
            &["SharpHound/1.0"],
            &["hound/1"],
        );
        let two = ".*[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}:[0-9]{1,5}:[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}:[0-9]{1,5}.*";
        check(&re(two), &["x 1.2.3.4:80:5.6.7.8:443 y"], &["1.2.3.4:80"]);
        check(
            &re("-[A-NP-Za-np-z][A-Za-z]*[RLDwW][A-Za-z]*"),
            &["-aR", "-Xw"],
            &["-oR", "-a"],
        );
        check(&rei("-[^-]*[uz][^-]*"), &["-xzf", "-U"], &["-x-u"]);
        check(
            &rei(r"\.[a-z0-9_\-][a-z0-9_\-\.]{1,254}"),
            &[".bashrc"],
            &[".a", "x.bashrc"],
        );
        check(
            &rei(r"php?[0-9]?\.?[0-9]{0,2}"),
            &["PHP7.4", "ph", "php"],
            &["phpx"],
        );
        check(&rei(r"[A-Z]:\\:.+"), &["C:\\:x"], &["C:\\x"]);
        check(
            &rei(r".*\$[0-9]+:[a-zA-Z_0-9]+:[a-zA-Z_0-9]+.*"),
            &["x $1:ab:cd y"],
            &["$a:b:c"],
        );
        check(
            &rei(
                r"C:\\Program Files( \(x86\))?\\ThinKiosk\\thinkiosk\.exe|.*\\PSAppDeployToolkit\\.*",
            ),
            &[
                "c:\\program files (x86)\\thinkiosk\\THINKIOSK.EXE",
                "d:\\PSAppDeployToolkit\\a",
            ],
            &["C:\\Program Files\\ThinKiosk\\other.exe"],
        );
        check(
            &rei("[0-9]{15}([1-9a-f]).*"),
            &["123456789012345a"],
            &["12345"],
        );
        check(
            &rei(r"https?:\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(:[0-9]{1,5})?\/.*"),
            &["HTTP://10.0.0.1:8080/a"],
            &["http://host/a"],
        );
        check(
            &rei(r"[C-Z]:\\Windows\\(System32|SysWOW64)\\[a-zA-Z0-9\-\_\.]+\.exe"),
            &["C:\\windows\\SYSTEM32\\cmd.exe"],
            &["C:\\Windows\\cmd.exe", "c:\\windows\\system32\\cmd.exe"], // [C-Z] is a range
        );
        check(
            &rei(r"/var/run/\w+\.(pid|lock|reboot)"),
            &["/var/run/x.PID"],
            &["/var/run/.pid"],
        );
        check(
            &rei(r".*[0-9]{1,3}(\.[0-9]{1,3}){3}.*"),
            &["a 1.2.3.4"],
            &["1.2.3"],
        );
        check(
            &rei(r"%systemroot%\\[a-z0-9]+\.exe"),
            &["%SystemRoot%\\abc.exe"],
            &[],
        );
        check(&re(".*[A-Za-z0-9][A-Za-z0-9\\-]*(\\.[A-Za-z0-9][A-Za-z0-9\\-]*)+(:[0-9]{1,5})?\\/[^ ]+.*"), &["curl evil.com/x"], &["curl evil/x"]);
        check(&re(r".*[ʰ-˿ᴬ-ᶻ]+.*"), &["pᵃypal"], &["paypal"]);
        check(&re(r"-[46AaCfGgKkMNnqsTtVvXxYy]+R.*"), &["-NR x"], &["-R"]);
        check(
            &re(r"(C:\\Program Files \(x86\)\\|C:\\Program Files\\)\w+.exe"),
            &["C:\\Program Files\\app.exe"],
            &["C:\\Program Files\\a b.exe"],
        );
        check(&re(r".*\.[a-zA-Z]{2,5}"), &["a.exe"], &["a.e"]);
    }

    #[test]
    fn lazy_static_use() {
        static RE: LazyRegex = LazyRegex::new("\\A(?:a+)\\z");
        assert!(RE.is_match("aaa"));
        assert!(!RE.is_match("aab"));
        static BAD: LazyRegex = LazyRegex::new("(");
        assert!(!BAD.is_match("("));
        assert_eq!(RE.pattern(), "\\A(?:a+)\\z");
        // the generator's output is stable
        assert_eq!(
            lucene_to_rust_regex("a.b|c", false).unwrap(),
            "\\A(?:(?:a(?s:.)b|c))\\z"
        );
    }
}

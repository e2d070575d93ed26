//! String matching primitives: case folding, prefix/suffix/substring tests, wildcard
//! patterns and constant value sets. Nothing here allocates, and event values are never
//! lower-cased into a new string: case-insensitive tests fold the value one `char` at a
//! time and compare with a pattern that the compiler folded at build time.
//!
//! # Case folding
//!
//! [`fold_char`] is Unicode *simple* case folding (one code point to one code point),
//! which is what Lucene's case-insensitive automata and eql-semantics.md §4 call for:
//!
//! * ASCII: `A-Z` → `a-z`.
//! * Otherwise the single-`char` result of [`char::to_lowercase`], which agrees with
//!   simple case folding (`CaseFolding.txt` status C + S) for every letter except:
//!   * `İ` (U+0130): its lower case is two chars (`i` + U+0307) and it has no simple
//!     folding, so it folds to itself (it does **not** match `i`);
//!   * lower-case letters that fold to another lower-case letter: final sigma `ς` → `σ`,
//!     long s `ſ` → `s`, micro sign `µ` → `μ`, Greek symbol variants (`ϐ ϑ ϕ ϖ ϰ ϱ ϵ`),
//!     `ͅ` and `ι` (U+1FBE) → `ι`, `ẛ` → `ṡ`, and the Cyrillic variants U+1C80–U+1C88;
//!     these come from a small table.
//! * `ẞ` (U+1E9E) → `ß`, Kelvin sign `K` → `k`, Ångström sign `Å` → `å` and Ohm sign
//!   `Ω` → `ω` fall out of `to_lowercase`.
//!
//! Cherokee is folded to lower case (Unicode folds it to upper case); only equivalence
//! matters, and it is the same.
//!
//! Functions with a `~` form (`startsWith~` ...) use Java `toLowerCase` instead; that is
//! in [`crate::func`].

/// Lower-case letters whose simple case folding is a different lower-case letter (sorted
/// by the first element).
const FOLD_EXCEPTIONS: &[(char, char)] = &[
    ('\u{00B5}', '\u{03BC}'), // µ micro sign → μ
    ('\u{017F}', 's'),        // ſ long s
    ('\u{0345}', '\u{03B9}'), // combining ypogegrammeni → ι
    ('\u{03C2}', '\u{03C3}'), // ς final sigma → σ
    ('\u{03D0}', '\u{03B2}'), // ϐ → β
    ('\u{03D1}', '\u{03B8}'), // ϑ → θ
    ('\u{03D5}', '\u{03C6}'), // ϕ → φ
    ('\u{03D6}', '\u{03C0}'), // ϖ → π
    ('\u{03F0}', '\u{03BA}'), // ϰ → κ
    ('\u{03F1}', '\u{03C1}'), // ϱ → ρ
    ('\u{03F5}', '\u{03B5}'), // ϵ → ε
    ('\u{1C80}', '\u{0432}'),
    ('\u{1C81}', '\u{0434}'),
    ('\u{1C82}', '\u{043E}'),
    ('\u{1C83}', '\u{0441}'),
    ('\u{1C84}', '\u{0442}'),
    ('\u{1C85}', '\u{0442}'),
    ('\u{1C86}', '\u{044A}'),
    ('\u{1C87}', '\u{0463}'),
    ('\u{1C88}', '\u{A64B}'),
    ('\u{1E9B}', '\u{1E61}'), // ẛ → ṡ
    ('\u{1FBE}', '\u{03B9}'), // ι prosgegrammeni → ι
];

/// Unicode simple case folding of one code point (see the module docs for the exact
/// rules).
#[inline]
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    fold_non_ascii(c)
}

#[inline(never)]
fn fold_non_ascii(c: char) -> char {
    if let Ok(i) = FOLD_EXCEPTIONS.binary_search_by(|e| e.0.cmp(&c)) {
        return FOLD_EXCEPTIONS[i].1;
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Append the case folding of `s` to `out` (build-time helper for the compiler, which
/// emits folded patterns).
pub fn fold_str_into(s: &str, out: &mut String) {
    out.extend(s.chars().map(fold_char));
}

/// The case folding of `s` as a new string (build-time helper).
pub fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_str_into(s, &mut out);
    out
}

/// Whether `s` equals its own case folding (patterns given to the `*_fold` functions
/// must be).
pub fn is_folded(s: &str) -> bool {
    s.chars().all(|c| fold_char(c) == c)
}

/// Case-insensitive equality: `fold(value) == folded`, where `folded` was folded with
/// [`fold_char`] beforehand.
#[inline]
pub fn eq_fold(value: &str, folded: &str) -> bool {
    let (v, p) = (value.as_bytes(), folded.as_bytes());
    // ASCII fast path: walk while both sides are ASCII.
    let mut i = 0;
    while i < v.len() && i < p.len() {
        let (a, b) = (v[i], p[i]);
        if a >= 0x80 || b >= 0x80 {
            return eq_fold_chars(&value[i..], &folded[i..]);
        }
        if a.to_ascii_lowercase() != b {
            return false;
        }
        i += 1;
    }
    v.len() == p.len()
}

fn eq_fold_chars(value: &str, folded: &str) -> bool {
    let mut p = folded.chars();
    for c in value.chars() {
        match p.next() {
            Some(pc) if pc == fold_char(c) => {}
            _ => return false,
        }
    }
    p.next().is_none()
}

/// Case-insensitive prefix test; `folded` is pre-folded. An empty prefix matches.
#[inline]
pub fn starts_with_fold(value: &str, folded: &str) -> bool {
    let (v, p) = (value.as_bytes(), folded.as_bytes());
    let mut i = 0;
    while i < p.len() {
        let Some(&a) = v.get(i) else { return false };
        let b = p[i];
        if a >= 0x80 || b >= 0x80 {
            return starts_with_fold_chars(&value[i..], &folded[i..]);
        }
        if a.to_ascii_lowercase() != b {
            return false;
        }
        i += 1;
    }
    true
}

fn starts_with_fold_chars(value: &str, folded: &str) -> bool {
    let mut v = value.chars();
    for pc in folded.chars() {
        match v.next() {
            Some(c) if fold_char(c) == pc => {}
            _ => return false,
        }
    }
    true
}

/// Case-insensitive suffix test; `folded` is pre-folded. An empty suffix matches.
#[inline]
pub fn ends_with_fold(value: &str, folded: &str) -> bool {
    let (v, p) = (value.as_bytes(), folded.as_bytes());
    let mut i = 0;
    while i < p.len() {
        let Some(&a) = v.len().checked_sub(i + 1).map(|k| &v[k]) else {
            return false;
        };
        let b = p[p.len() - 1 - i];
        if a >= 0x80 || b >= 0x80 {
            return ends_with_fold_chars(&value[..v.len() - i], &folded[..p.len() - i]);
        }
        if a.to_ascii_lowercase() != b {
            return false;
        }
        i += 1;
    }
    true
}

fn ends_with_fold_chars(value: &str, folded: &str) -> bool {
    let mut v = value.chars().rev();
    for pc in folded.chars().rev() {
        match v.next() {
            Some(c) if fold_char(c) == pc => {}
            _ => return false,
        }
    }
    true
}

/// Case-insensitive substring test; `folded` is pre-folded. An empty needle matches.
#[inline]
pub fn contains_fold(value: &str, folded: &str) -> bool {
    if folded.is_empty() {
        return true;
    }
    let first = folded.as_bytes()[0];
    let vb = value.as_bytes();
    let mut i = 0;
    while i < vb.len() {
        let b = vb[i];
        if b < 0x80 {
            if b.to_ascii_lowercase() == first && starts_with_fold(&value[i..], folded) {
                return true;
            }
            i += 1;
        } else {
            // a non-ASCII char may fold to anything (Kelvin sign → `k`)
            if starts_with_fold(&value[i..], folded) {
                return true;
            }
            i += utf8_len(b);
        }
    }
    false
}

/// Length of the UTF-8 sequence that starts with lead byte `b`.
#[inline]
fn utf8_len(b: u8) -> usize {
    match b {
        0..=0x7f => 1,
        0xf0.. => 4,
        0xe0.. => 3,
        _ => 2,
    }
}

// ---------------------------------------------------------------------------------------
// Wildcards
// ---------------------------------------------------------------------------------------

/// Decode the char at byte `i` of `s` (which must be on a boundary and `< s.len()`),
/// returning it and its length.
#[inline]
fn char_at(s: &str, i: usize) -> (char, usize) {
    let b = s.as_bytes()[i];
    if b < 0x80 {
        (b as char, 1)
    } else {
        let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
        (c, c.len_utf8())
    }
}

/// Wildcard match of the whole `value` against `pattern`: `*` matches any run of
/// characters (including none), `?` exactly one character (code point); there is no
/// escape. With `fold`, `pattern` must be pre-folded ([`fold_str`]) and the value is
/// folded on the fly. Worst case O(len(value) × len(pattern)), linear in practice
/// (backtracking only to the last `*`).
pub fn glob(value: &str, pattern: &str, fold: bool) -> bool {
    let (vb, pb) = (value.as_bytes(), pattern.as_bytes());
    let (mut v, mut p) = (0usize, 0usize);
    // (pattern index after the last '*', value index it was tried at)
    let mut star: Option<(usize, usize)> = None;
    while v < vb.len() {
        if p < pb.len() {
            match pb[p] {
                b'*' => {
                    p += 1;
                    star = Some((p, v));
                    continue;
                }
                b'?' => {
                    p += 1;
                    v += char_at(value, v).1;
                    continue;
                }
                _ => {
                    let (pc, pl) = char_at(pattern, p);
                    let (vc, vl) = char_at(value, v);
                    let vc = if fold { fold_char(vc) } else { vc };
                    if pc == vc {
                        p += pl;
                        v += vl;
                        continue;
                    }
                }
            }
        }
        // mismatch: let the last '*' swallow one more char
        match star {
            Some((sp, sv)) => {
                let nv = sv + char_at(value, sv).1;
                star = Some((sp, nv));
                p = sp;
                v = nv;
            }
            None => return false,
        }
    }
    pb[p..].iter().all(|&c| c == b'*')
}

/// Case-sensitive wildcard match (see [`glob`]).
#[inline]
pub fn glob_case(value: &str, pattern: &str) -> bool {
    glob(value, pattern, false)
}

/// Case-insensitive wildcard match with a pre-folded pattern (see [`glob`]).
#[inline]
pub fn glob_fold(value: &str, folded_pattern: &str) -> bool {
    glob(value, folded_pattern, true)
}

/// How a wildcard pattern can be tested most cheaply; the compiler classifies patterns
/// with [`classify_glob`] and emits the matching call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobKind<'p> {
    /// No wildcard: equality with the text.
    Exact(&'p str),
    /// `text*`: prefix test.
    Prefix(&'p str),
    /// `*text`: suffix test.
    Suffix(&'p str),
    /// `*text*`: substring test.
    Contains(&'p str),
    /// `*` (or `**`...): matches every string.
    Any,
    /// Anything else: full [`glob`].
    Glob,
}

/// Classify a wildcard pattern (build-time helper).
pub fn classify_glob(pattern: &str) -> GlobKind<'_> {
    if pattern.contains('?') {
        return GlobKind::Glob;
    }
    let inner = pattern.trim_matches('*');
    if inner.contains('*') {
        return GlobKind::Glob;
    }
    if inner.is_empty() {
        return if pattern.is_empty() {
            GlobKind::Exact("")
        } else {
            GlobKind::Any
        };
    }
    let lead = pattern.starts_with('*');
    let trail = pattern.ends_with('*');
    match (lead, trail) {
        (false, false) => GlobKind::Exact(inner),
        (false, true) => GlobKind::Prefix(inner),
        (true, false) => GlobKind::Suffix(inner),
        (true, true) => GlobKind::Contains(inner),
    }
}

// ---------------------------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------------------------

/// Seed of [`fold_hash`].
const HASH_SEED: u64 = 0x243f_6a88_85a3_08d3;
/// Multiplier of [`fold_hash`]'s mixing step (2^64 / golden ratio, odd).
const HASH_MUL: u64 = 0x9e37_79b9_7f4a_7c15;
/// The high bit of every byte of a word.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// ASCII upper-case letters of the word `w` (eight bytes) made lower-case; every other
/// byte, including those at or above 0x80, is left as it is.
#[inline(always)]
fn lower_word(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    let seven = w & !HIGH_BITS;
    // per byte, no carry between bytes: 0x7f + 0x3f < 0x100
    let ge_a = seven.wrapping_add(LO * u64::from(0x80 - b'A'));
    let gt_z = seven.wrapping_add(LO * u64::from(0x80 - b'Z' - 1));
    let upper = ge_a & !gt_z & !w & HIGH_BITS;
    w | upper >> 2
}

/// One 8-byte step of [`fold_hash`].
#[inline(always)]
fn hash_mix(h: u64, w: u64) -> u64 {
    let x = (h ^ w).wrapping_mul(HASH_MUL);
    x ^ x >> 29
}

/// The end of [`fold_hash`]: the byte count, then a final avalanche.
#[inline(always)]
fn hash_finish(h: u64, len: usize) -> u64 {
    let x = hash_mix(h, len as u64).wrapping_mul(HASH_MUL);
    x ^ x >> 32
}

/// Little-endian word of up to eight bytes, zero-padded.
#[inline(always)]
fn tail_word(b: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(buf)
}

/// Stable hash of the case folding of `s`: the UTF-8 bytes of `s.chars().map(fold_char)`
/// taken eight at a time (little-endian, the last word zero-padded), each word mixed in
/// with a multiply and shift, then the byte count. The same on every platform and run,
/// so the compiler can emit [`FoldSet`] and index tables at build time.
/// `fold_hash(s) == fold_hash(&fold_str(s))`.
///
/// An ASCII value is hashed a word at a time (its letters lower-cased in the word), so
/// the hash of a long value costs a step per eight bytes, not a multiply per byte.
#[inline]
pub fn fold_hash(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut h = HASH_SEED;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        if w & HIGH_BITS != 0 {
            return fold_hash_chars(s);
        }
        h = hash_mix(h, lower_word(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let w = tail_word(rest);
        if w & HIGH_BITS != 0 {
            return fold_hash_chars(s);
        }
        h = hash_mix(h, lower_word(w));
    }
    hash_finish(h, b.len())
}

/// [`fold_hash`] of a value that is not ASCII: its folded characters' bytes, streamed
/// into words.
#[cold]
fn fold_hash_chars(s: &str) -> u64 {
    let mut h = HASH_SEED;
    let (mut word, mut n, mut len) = ([0u8; 8], 0usize, 0usize);
    let mut buf = [0u8; 4];
    for c in s.chars() {
        for &b in fold_char(c).encode_utf8(&mut buf).as_bytes() {
            word[n] = b;
            n += 1;
            len += 1;
            if n == 8 {
                h = hash_mix(h, lower_word(u64::from_le_bytes(word)));
                n = 0;
            }
        }
    }
    if n > 0 {
        h = hash_mix(h, lower_word(tail_word(&word[..n])));
    }
    hash_finish(h, len)
}

/// A constant set of strings for case-sensitive `in (...)`: the entries sorted by
/// `str` order (byte order), no duplicates; lookup is a binary search.
#[derive(Debug, Clone, Copy)]
pub struct StrSet {
    items: &'static [&'static str],
}

impl StrSet {
    /// Wrap a sorted, de-duplicated slice (the generated code sorts at build time).
    pub const fn new(sorted: &'static [&'static str]) -> Self {
        StrSet { items: sorted }
    }

    /// Whether `s` is in the set.
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        self.items.binary_search(&s).is_ok()
    }

    /// The entries.
    pub const fn items(&self) -> &'static [&'static str] {
        self.items
    }
}

/// A constant set of strings for case-insensitive `in~ (...)` / `: (...)` without
/// wildcards: entries `(fold_hash(folded), folded)` sorted by that pair. Lookup hashes the
/// folded value on the fly (no buffer), binary-searches the hash and confirms with
/// [`eq_fold`].
#[derive(Debug, Clone, Copy)]
pub struct FoldSet {
    entries: &'static [(u64, &'static str)],
}

impl FoldSet {
    /// Wrap a table built by [`FoldSet::build_entries`] (sorted by `(hash, folded)`).
    pub const fn new(entries: &'static [(u64, &'static str)]) -> Self {
        FoldSet { entries }
    }

    /// Build-time helper: the sorted, de-duplicated `(fold_hash, folded string)` table
    /// for `items` (which need not be folded).
    pub fn build_entries<S: AsRef<str>>(items: &[S]) -> Vec<(u64, String)> {
        let mut v: Vec<(u64, String)> = items
            .iter()
            .map(|s| {
                let f = fold_str(s.as_ref());
                (fold_hash(&f), f)
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Whether some entry equals `s` case-insensitively.
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        let h = fold_hash(s);
        let start = self.entries.partition_point(|e| e.0 < h);
        self.entries[start..]
            .iter()
            .take_while(|e| e.0 == h)
            .any(|e| eq_fold(s, e.1))
    }

    /// The entries.
    pub const fn entries(&self) -> &'static [(u64, &'static str)] {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_char_rules() {
        assert_eq!(fold_char('A'), 'a');
        assert_eq!(fold_char('z'), 'z');
        assert_eq!(fold_char('É'), 'é');
        assert_eq!(fold_char('İ'), 'İ'); // no simple folding
        assert_eq!(fold_char('ı'), 'ı');
        assert_eq!(fold_char('ς'), 'σ');
        assert_eq!(fold_char('Σ'), 'σ');
        assert_eq!(fold_char('ẞ'), 'ß');
        assert_eq!(fold_char('ß'), 'ß');
        assert_eq!(fold_char('\u{212A}'), 'k'); // Kelvin
        assert_eq!(fold_char('\u{212B}'), 'å'); // Ångström
        assert_eq!(fold_char('\u{2126}'), 'ω'); // Ohm
        assert_eq!(fold_char('ſ'), 's');
        assert_eq!(fold_char('µ'), 'μ');
        assert_eq!(fold_char('ǅ'), 'ǆ');
        assert_eq!(fold_char('Ａ'), 'ａ');
        assert_eq!(fold_char('\u{1C80}'), 'в');
        assert!(FOLD_EXCEPTIONS.windows(2).all(|w| w[0].0 < w[1].0));
        // every char folds to a fixed point
        for c in (0u32..0x20000).filter_map(char::from_u32) {
            let f = fold_char(c);
            assert_eq!(fold_char(f), f, "{c:?}");
        }
    }

    #[test]
    fn equality_prefix_suffix_contains() {
        assert!(eq_fold("CMD.EXE", "cmd.exe"));
        assert!(!eq_fold("CMD.EXE", "cmd.ex"));
        assert!(!eq_fold("CMD.EX", "cmd.exe"));
        assert!(eq_fold("", ""));
        assert!(eq_fold("ΣΊΣΥΦΟΣ", "σίσυφοσ"));
        assert!(eq_fold("σίσυφος", "σίσυφοσ"));
        assert!(eq_fold("\u{212A}ey", "key")); // Kelvin sign folds to ASCII k
        assert!(!eq_fold("İ", "i"));
        assert!(eq_fold("STRASSE", "strasse"));
        assert!(!eq_fold("STRASSE", "straße")); // simple folding: ß ≠ ss
        assert!(eq_fold("STRAẞE", "straße"));

        assert!(starts_with_fold("C:\\Windows\\System32", "c:\\windows\\"));
        assert!(starts_with_fold("abc", ""));
        assert!(!starts_with_fold("ab", "abc"));
        assert!(starts_with_fold("ÉCOLE", "éc"));
        assert!(starts_with_fold("\u{212A}EY", "ke"));
        assert!(ends_with_fold("POWERSHELL.EXE", ".exe"));
        assert!(ends_with_fold("x", ""));
        assert!(!ends_with_fold("xe", "exe"));
        assert!(ends_with_fold("CAFÉ", "fé"));
        assert!(ends_with_fold("ΟΔΟΣ", "οσ"));
        assert!(contains_fold("C:\\Users\\Public\\X.exe", "\\public\\"));
        assert!(contains_fold("abc", ""));
        assert!(!contains_fold("abc", "abcd"));
        assert!(contains_fold("xxÉÉyy", "éy"));
        assert!(!contains_fold("", "a"));
    }

    #[test]
    fn globs() {
        assert!(glob("cmd.exe", "*.exe", false));
        assert!(glob("cmd.exe", "cmd.exe", false));
        assert!(!glob("cmd.exe", "CMD.exe", false));
        assert!(glob("CMD.EXE", "cmd.exe", true));
        assert!(glob("", "*", false));
        assert!(glob("", "", false));
        assert!(!glob("", "?", false));
        assert!(!glob("a", "", false));
        assert!(glob("abc", "a?c", false));
        assert!(!glob("ac", "a?c", false));
        assert!(glob("aéc", "a?c", false)); // ? = one code point
        assert!(glob("AÉC", "a?c", true));
        assert!(glob("aXbXc", "a*b*c", false));
        assert!(glob("abcbcd", "a*bcd", false));
        assert!(!glob("abcbce", "a*bcd", false));
        assert!(glob("mississippi", "m*iss*ppi", false));
        assert!(glob("x", "**x**", false));
        assert!(glob(
            "C:\\Windows\\Temp\\a.ps1",
            "c:\\windows\\*\\*.ps1",
            true
        ));
        assert!(!glob("C:\\Windows\\a.ps1", "c:\\windows\\*\\*.ps1", true));
        assert!(glob("ab", "a*?", false));
        assert!(!glob("a", "a*?", false));
        assert!(glob("1*", "1*", false)); // the pattern's * still is a wildcard
                                          // pathological pattern stays fast
        let v = "a".repeat(10_000);
        assert!(!glob(&v, "*a*a*a*a*a*a*b", false));
    }

    #[test]
    fn classify() {
        assert_eq!(classify_glob("abc"), GlobKind::Exact("abc"));
        assert_eq!(classify_glob("abc*"), GlobKind::Prefix("abc"));
        assert_eq!(classify_glob("**abc"), GlobKind::Suffix("abc"));
        assert_eq!(classify_glob("*abc*"), GlobKind::Contains("abc"));
        assert_eq!(classify_glob("*"), GlobKind::Any);
        assert_eq!(classify_glob(""), GlobKind::Exact(""));
        assert_eq!(classify_glob("a*c"), GlobKind::Glob);
        assert_eq!(classify_glob("a?"), GlobKind::Glob);
    }

    #[test]
    fn lower_word_lowers_each_ascii_letter_and_nothing_else() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                // the byte among neighbours that are letters, high bytes and punctuation
                let mut w = *b"Az\xff@[`{Q";
                w[pos] = b;
                let mut want = w;
                want.iter_mut().for_each(|x| x.make_ascii_lowercase());
                let got = lower_word(u64::from_le_bytes(w)).to_le_bytes();
                assert_eq!(got, want, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn word_hash_agrees_with_the_character_path() {
        // the ASCII fast path (words) and the streaming path (folded characters) are two
        // implementations of one definition: they must agree at every length
        let text = "The Quick Brown FOX jumps over the lazy dog 0123456789 /\\:*?";
        for start in 0..8 {
            for end in start..text.len() {
                let s = &text[start..end];
                assert_eq!(fold_hash(s), fold_hash_chars(s), "{s:?}");
                assert_eq!(fold_hash(s), fold_hash(&s.to_ascii_lowercase()), "{s:?}");
            }
        }
        // a non-ASCII character in each word position of a longer value
        for at in 0..20 {
            let mut s = "x".repeat(20);
            s.insert(at, '\u{212A}'); // Kelvin sign, folds to `k`
            let mut folded = "x".repeat(20);
            folded.insert(at, 'k');
            assert_eq!(fold_hash(&s), fold_hash(&folded), "{s:?}");
        }
        // padding is not content: the byte count is part of the hash
        assert_ne!(fold_hash("a"), fold_hash("a\0"));
        assert_ne!(fold_hash(""), fold_hash("\0"));
        assert_ne!(fold_hash("abcdefgh"), fold_hash("abcdefgh\0"));
    }

    #[test]
    fn hashing_and_sets() {
        assert_eq!(fold_hash("A"), fold_hash("a"));
        assert_eq!(fold_hash("CAFÉ"), fold_hash("café"));
        assert_eq!(fold_hash("ΟΔΟΣ"), fold_hash("οδος"));
        assert_ne!(fold_hash("ab"), fold_hash("ba"));

        static S: StrSet = StrSet::new(&["a", "b.exe", "cmd.exe", "Z"]);
        let _ = S;
        let mut items = ["cmd.exe", "a", "Z", "b.exe"];
        items.sort();
        let leaked: &'static [&'static str] = Box::leak(Box::new(items));
        let s = StrSet::new(leaked);
        assert!(s.contains("cmd.exe"));
        assert!(s.contains("Z"));
        assert!(!s.contains("z"));
        assert!(!s.contains("c"));

        let t = FoldSet::build_entries(&["CMD.exe", "PowerShell.EXE", "café", "cmd.EXE"]);
        assert_eq!(t.len(), 3);
        let t: Vec<(u64, &'static str)> = t
            .into_iter()
            .map(|(h, s)| (h, &*Box::leak(s.into_boxed_str())))
            .collect();
        let f = FoldSet::new(Box::leak(t.into_boxed_slice()));
        assert!(f.contains("cmd.exe"));
        assert!(f.contains("POWERSHELL.exe"));
        assert!(f.contains("CAFÉ"));
        assert!(!f.contains("cmd.ex"));
        assert!(!f.contains("1*"));
    }
}

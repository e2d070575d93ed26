//! `TextOp::Patterns` (a `PatternSet`: one literal search, then only the members whose
//! literal occurs) gives exactly the results of `TextOp::AnyOf` over the same members,
//! including on values that are not ASCII, where a character may fold to an ASCII one
//! that the ASCII-case-insensitive search cannot see (the Kelvin sign folds to `k`).

use eqlc_runtime::table::{PatternSet, TextOp};
use eqlc_runtime::text::StrSet;

/// Members as the compiler emits them (case-insensitive operands pre-folded), each with
/// the literal every value it passes contains (`""`: none, always tried).
static OPS: [TextOp; 12] = [
    TextOp::ContainsFold("getobject"),
    TextOp::GlobFold("*echo*wscript*"),
    TextOp::GlobFold("*k?lvin*"),
    TextOp::PrefixFold("cmd"),
    TextOp::SuffixFold(".js"),
    TextOp::Eq("Run"),
    TextOp::EqFold("straße"),
    TextOp::Contains("ABC"),
    TextOp::Glob("a*b"),
    TextOp::Set(StrSet::new(&["q", "zz"])),
    TextOp::ContainsFold("kmode"),
    TextOp::Suffix("Zx"),
];
static LITS: [&str; 12] = [
    "getobject",
    "wscript",
    "lvin",
    "cmd",
    ".js",
    "run",
    "",
    "abc",
    "a",
    "",
    "kmode",
    "zx",
];
static SET: PatternSet = PatternSet::new(&OPS, &LITS);

const FRAGMENTS: [&str; 27] = [
    "getobject",
    "GetObject",
    "echo",
    "wscript",
    "WScript",
    "k",
    "K",
    "\u{212A}",
    "lvin",
    "elvin",
    "MODE",
    "cmd",
    "CMD",
    ".js",
    ".JS",
    "Run",
    "run",
    "straße",
    "STRASSE",
    "abc",
    "ABC",
    "a",
    "b",
    "q",
    "zz",
    " ",
    "Zx",
];

/// splitmix64
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn a_pattern_set_agrees_with_any_of() {
    let any_of = TextOp::AnyOf(&OPS);
    let patterns = TextOp::Patterns(&SET);
    let mut rng = 7u64;
    let (mut hits, mut non_ascii_hits) = (0, 0);
    for _ in 0..50_000 {
        let n = next(&mut rng) % 5;
        let value: String = (0..n)
            .map(|_| FRAGMENTS[(next(&mut rng) % FRAGMENTS.len() as u64) as usize])
            .collect();
        let expected = any_of.test(&value);
        assert_eq!(patterns.test(&value), expected, "value {value:?}");
        if expected {
            hits += 1;
            if !value.is_ascii() {
                non_ascii_hits += 1;
            }
        }
    }
    // both outcomes, and the non-ASCII path, are exercised
    assert!(hits > 5_000 && hits < 45_000, "{hits} hits");
    assert!(non_ascii_hits > 100, "{non_ascii_hits} non-ASCII hits");
    // the corners by name
    for (value, expected) in [
        ("\u{212A}elvin", true),
        ("\u{212A}MODE", true), // Kelvin sign folds to k: no literal search finds it
        ("xx KALVIN yy", true), // k?lvin ignoring case
        ("Run", true),
        ("run", false), // Eq is case-sensitive (its literal matches, the test does not)
        ("STRASSE", false),
        ("Straße", true), // found without a literal
        ("zz", true),
        ("", false),
    ] {
        assert_eq!(patterns.test(value), expected, "{value:?}");
        assert_eq!(any_of.test(value), expected, "{value:?}");
    }
}

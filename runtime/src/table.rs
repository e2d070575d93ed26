//! Data-driven rule packs: matching driven by `static` tables instead of per-rule code.
//!
//! A pack of many rules (the whole detection-rules corpus is over a thousand) compiles
//! slowly and runs poorly when every rule is its own Rust code: every leaf becomes a
//! closure, every filter a function, and `on_event` one huge body that tests every rule
//! against every event. For such packs the code generator emits only data — one
//! [`Node`] tree per filter, a [`TableSpec`] describing rules, their filters, join keys
//! and pipes — and this module does the work, monomorphised once per [`Record`] type:
//!
//! * **Gates.** Exact tests that many filters require — the category test of `process
//!   where ...`, `host.os.type == "linux"`, `event.type == "start"` — become bits; an
//!   event's gate bits are computed once (one pass over each gate field's values), and
//!   only the groups of filters whose gate bits are all set are tested.
//! * **Indexes.** Filters that require a field to equal one of a few values
//!   (`process.name : ("bash", "sh")`) are found through a table keyed by the folded
//!   value, so only the filters under the event's own values are tested.
//! * **Literal indexes.** Filters that require a field to contain one of a few
//!   literals (`process.command_line : "*curl*"`) are found by one Aho-Corasick search
//!   per value over every such literal of the pack.
//! * **Pattern sets.** A long list of wildcard or substring tests of one value
//!   (`process.command_line : ("*GetObject*", "*echo*wscript*", ...)`) is a
//!   [`PatternSet`]: one Aho-Corasick search for the members' literals, then only the
//!   members whose literal occurs are tried.
//! * **Covers.** An entry may be registered under several keys of several indexes (one
//!   per branch of a disjunction); it is tested at most once per event.
//! * **Shared tests.** A condition that many filters require (`host.os.type ==
//!   "linux"`, `event.type == "start"`) is a [`Node::Shared`] entry, evaluated at most
//!   once per event and remembered.
//! * **One evaluator.** [`Node`] leaves describe the same tests generated code performs
//!   (`TextOp` mirrors the compiler's classified patterns), so results are identical;
//!   computed leaves (functions, arithmetic) stay generated code, reached through one
//!   function pointer.
//!
//! Alerts come out exactly as from generated per-rule code: in rule order for one event,
//! sequences and samples flushed in reverse rule order, then `tail` limiters in rule
//! order.

use crate::__private::{as_text, group_id, TextBuf};
use crate::cidr::{cidr_match_str, Cidr};
use crate::compare::{compare_lit, FieldKind};
use crate::pack::{Alert, EventRef, PackStats};
use crate::pipes::Limiter;
use crate::record::Record;
use crate::regex::LazyRegex;
use crate::sample::{SampleEngine, SampleSpec};
use crate::sequence::{SequenceEngine, SequenceSpec, StageInput};
use crate::text::{contains_fold, ends_with_fold, eq_fold, fold_hash, glob, starts_with_fold};
use crate::text::{FoldSet, StrSet};
use crate::value::Value;

/// A test of one string (the value of a field read as keyword text).
#[derive(Debug, Clone, Copy)]
pub enum TextOp {
    /// Any string.
    Any,
    /// Equal.
    Eq(&'static str),
    /// Equal ignoring case (the operand is pre-folded).
    EqFold(&'static str),
    /// Starts with.
    Prefix(&'static str),
    /// Starts with, ignoring case (pre-folded).
    PrefixFold(&'static str),
    /// Ends with.
    Suffix(&'static str),
    /// Ends with, ignoring case (pre-folded).
    SuffixFold(&'static str),
    /// Contains.
    Contains(&'static str),
    /// Contains, ignoring case (pre-folded).
    ContainsFold(&'static str),
    /// Wildcard pattern (`*`, `?`).
    Glob(&'static str),
    /// Wildcard pattern ignoring case (pre-folded).
    GlobFold(&'static str),
    /// Member of a set.
    Set(StrSet),
    /// Member of a set ignoring case.
    FoldSet(FoldSet),
    /// Whole-string regular expression.
    Regex(&'static LazyRegex),
    /// Any of several tests.
    AnyOf(&'static [TextOp]),
    /// Any of many tests, most of which need a literal: searched for all those literals
    /// at once ([`PatternSet`]).
    Patterns(&'static PatternSet),
}

impl TextOp {
    /// Whether `s` passes.
    pub fn test(&self, s: &str) -> bool {
        match *self {
            TextOp::Any => true,
            TextOp::Eq(p) => s == p,
            TextOp::EqFold(p) => eq_fold(s, p),
            TextOp::Prefix(p) => s.starts_with(p),
            TextOp::PrefixFold(p) => starts_with_fold(s, p),
            TextOp::Suffix(p) => s.ends_with(p),
            TextOp::SuffixFold(p) => ends_with_fold(s, p),
            TextOp::Contains(p) => s.contains(p),
            TextOp::ContainsFold(p) => contains_fold(s, p),
            TextOp::Glob(p) => glob(s, p, false),
            TextOp::GlobFold(p) => glob(s, p, true),
            TextOp::Set(set) => set.contains(s),
            TextOp::FoldSet(set) => set.contains(s),
            TextOp::Regex(re) => re.is_match(s),
            TextOp::AnyOf(ops) => ops.iter().any(|o| o.test(s)),
            TextOp::Patterns(set) => set.test(s),
        }
    }
}

/// Most members a [`PatternSet`] may have.
pub const PATTERN_SET_MAX: usize = 256;

/// A long list of text tests of one value (`process.command_line : ("*GetObject*",
/// "*echo*wscript*", ...)`) tested as one: every member that can only pass when the
/// value contains some literal (ignoring ASCII case) is tried only if one Aho-Corasick
/// search of the value finds that literal; the others are always tried. The searcher is
/// built by [`PatternSet::prepare`], which [`TableState::new`] calls for every set of its
/// pack (or else on first use).
///
/// A value that is not ASCII may hold a character that folds to an ASCII one (the Kelvin
/// sign folds to `k`), which the ASCII-case-insensitive search would miss: every member
/// is tried then. Results are those of [`TextOp::AnyOf`] over the members.
#[derive(Debug)]
pub struct PatternSet {
    /// The members (at most [`PATTERN_SET_MAX`]).
    ops: &'static [TextOp],
    /// Per member: a literal (ASCII, lower-case) that any value it passes contains,
    /// ignoring ASCII case; `""` when there is none.
    lits: &'static [&'static str],
    search: std::sync::OnceLock<PatternSearch>,
}

/// The built searcher of a [`PatternSet`].
#[derive(Debug)]
struct PatternSearch {
    ac: aho_corasick::AhoCorasick,
    /// Per searched literal: the members that need it.
    members: Vec<Vec<u16>>,
    /// Members without a literal.
    always: Vec<u16>,
}

impl PatternSet {
    /// A set of `ops` with their literals (`lits[i]` for `ops[i]`, `""`: none).
    /// Building the searcher panics if the lengths differ or there are more than
    /// [`PATTERN_SET_MAX`] members.
    pub const fn new(ops: &'static [TextOp], lits: &'static [&'static str]) -> Self {
        PatternSet {
            ops,
            lits,
            search: std::sync::OnceLock::new(),
        }
    }

    fn build(&self) -> PatternSearch {
        assert!(self.ops.len() == self.lits.len() && self.ops.len() <= PATTERN_SET_MAX);
        let mut distinct: Vec<&str> = Vec::new();
        let mut members: Vec<Vec<u16>> = Vec::new();
        let mut always = Vec::new();
        for (i, lit) in self.lits.iter().enumerate() {
            if lit.is_empty() {
                always.push(i as u16);
                continue;
            }
            match distinct.iter().position(|d| d == lit) {
                Some(p) => members[p].push(i as u16),
                None => {
                    distinct.push(lit);
                    members.push(vec![i as u16]);
                }
            }
        }
        // A contiguous NFA: cheap to build for the hundred-odd sets of a large pack, and
        // searches of short values gain little from a DFA.
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&distinct)
            .expect("literal set builds");
        PatternSearch {
            ac,
            members,
            always,
        }
    }

    /// Build the searcher now (the pack does this for every set when it is constructed,
    /// so that matching never allocates).
    pub fn prepare(&self) {
        self.search.get_or_init(|| self.build());
    }

    /// Whether `s` passes some member.
    pub fn test(&self, s: &str) -> bool {
        if !s.is_ascii() {
            return self.ops.iter().any(|o| o.test(s));
        }
        let search = self.search.get_or_init(|| self.build());
        if search.always.iter().any(|&m| self.ops[m as usize].test(s)) {
            return true;
        }
        let mut tried = [0u64; PATTERN_SET_MAX / 64];
        for found in search.ac.find_overlapping_iter(s) {
            for &m in &search.members[found.pattern().as_usize()] {
                let (w, bit) = (m as usize / 64, 1u64 << (m % 64));
                if tried[w] & bit == 0 {
                    tried[w] |= bit;
                    if self.ops[m as usize].test(s) {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Comparison operator of [`Node::Cmp`] (field on the left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOrd {
    /// `==`.
    Eq,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// A condition over one event.
#[derive(Debug, Clone, Copy)]
pub enum Node {
    /// Constant.
    Const(bool),
    /// All of.
    And(&'static [Node]),
    /// Any of.
    Or(&'static [Node]),
    /// Negation.
    Not(&'static Node),
    /// The slot has a non-null value.
    Exists(u32),
    /// Some value of the slot, read as keyword text, passes the test.
    Text(u32, TextOp),
    /// Some value of the slot compares with the constant.
    Cmp(u32, FieldKind, CmpOrd, Value<'static>),
    /// Some value of the slot is an IP inside one of the blocks.
    Cidr(u32, &'static [Cidr]),
    /// Computed leaf `i` of the pack (generated code).
    Computed(u32),
    /// Shared test `i` of the pack ([`TableSpec::shared`]), evaluated once per event.
    Shared(u32),
}

/// What a rule is.
#[derive(Debug, Clone, Copy)]
pub enum TableRuleKind {
    /// Event query (one filter).
    Event,
    /// Sequence.
    Sequence(&'static SequenceSpec),
    /// Sample.
    Sample(&'static SampleSpec),
}

/// One rule of a [`TableSpec`].
#[derive(Debug, Clone, Copy)]
pub struct TableRule {
    /// Shape.
    pub kind: TableRuleKind,
    /// Index of its first filter in [`TableSpec::filters`]; its filters are contiguous.
    pub first_filter: u32,
    /// Number of filters.
    pub filters: u32,
    /// `head`/`tail` pipes (empty: none).
    pub pipes: &'static [crate::pipes::Pipe],
    /// `rule_id` (for group ids).
    pub rule_id: &'static str,
}

/// One filter of a [`TableSpec`].
#[derive(Debug, Clone, Copy)]
pub struct TableFilter {
    /// Join keys: (slot, optional).
    pub keys: &'static [(u32, bool)],
    /// The rule it belongs to.
    pub rule: u32,
}

/// One alternative of a filter: the filter passes when one of its entries does (a
/// filter `(process and ...) or (file and ...)` has two entries, each with its own gates
/// and index keys; most filters have one).
#[derive(Debug, Clone, Copy)]
pub struct TableEntry {
    /// The filter.
    pub filter: u32,
    /// Condition, without the gate tests ([`TableEntry::mask`]).
    pub node: &'static Node,
    /// Gate bits the entry requires.
    pub mask: u64,
}

/// Entries reached by the value of one field: each requires that the field equal (at
/// least case-insensitively) one of its keys, so only the entries under the event's
/// values are tested.
#[derive(Debug, Clone, Copy)]
pub struct KeyIndex {
    /// Slot of the field.
    pub slot: u32,
    /// `(fold_hash(key), key folded, entries)`, sorted by `(hash, key)`.
    pub entries: &'static [(u64, &'static str, &'static [u32])],
}

/// The gate values of one field, with their bit numbers.
#[derive(Debug, Clone, Copy)]
pub struct GateSlot {
    /// Slot of the field.
    pub slot: u32,
    /// (value, bit), sorted by value.
    pub names: &'static [(&'static str, u32)],
}

/// Entries that require the same gate bits.
#[derive(Debug, Clone, Copy)]
pub struct FilterGroup {
    /// Gate bits every entry of the group requires (0: none).
    pub mask: u64,
    /// Entry indices.
    pub entries: &'static [u32],
}

/// Entries reached by substrings of one field: each requires that some value of the
/// field contain (ignoring ASCII case) one of its literals, so only the entries whose
/// literals occur in the event's values are tested. The literals of all entries are
/// searched at once (Aho-Corasick), once per value.
#[derive(Debug, Clone, Copy)]
pub struct LiteralIndex {
    /// Slot of the field.
    pub slot: u32,
    /// `(literal, entries)`: non-empty ASCII literals.
    pub literals: &'static [(&'static str, &'static [u32])],
}

/// The static description of a data-driven pack.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// Rules in pack order.
    pub rules: &'static [TableRule],
    /// Filters, grouped by rule in rule order.
    pub filters: &'static [TableFilter],
    /// Gates: exact tests (`field == "value"`, read as keyword text, case-sensitive —
    /// the category test of `process where` is one) that many filters require. Bit `b`
    /// of an event's gate mask is set when the named field holds the named value; the
    /// values of each field are read once per event.
    pub gates: &'static [GateSlot],
    /// Alternatives of the filters.
    pub entries: &'static [TableEntry],
    /// Entries in groups by the gate bits they require (the gate tests are not repeated
    /// in [`TableEntry::node`]); every entry not reached through an index.
    pub groups: &'static [FilterGroup],
    /// Entries reached through an index instead of a group.
    pub index: &'static [KeyIndex],
    /// Entries reached through a literal index instead of a group.
    pub literals: &'static [LiteralIndex],
    /// Tests shared by many filters (at most 64), referenced by [`Node::Shared`].
    pub shared: &'static [Node],
}

/// The mutable state of a data-driven pack: engines, limiters, per-event scratch.
#[derive(Debug)]
pub struct TableState {
    spec: &'static TableSpec,
    /// Per rule: index into `seqs` / `samples`.
    engine: Vec<u32>,
    /// Per rule: index into `lims`, or `u32::MAX`.
    lim: Vec<u32>,
    seqs: Vec<SequenceEngine>,
    samples: Vec<SampleEngine>,
    lims: Vec<Limiter>,
    /// Per-event filter hits (bit per filter).
    hits: Vec<u64>,
    /// Words of `hits` that may be non-zero.
    touched: Vec<u32>,
    /// Per-event entries already tested (bit per entry): an entry reached through several
    /// index keys is tested once.
    tested: Vec<u64>,
    /// Words of `tested` that may be non-zero.
    tested_touched: Vec<u32>,
    /// One searcher per [`TableSpec::literals`] entry.
    searchers: Vec<aho_corasick::AhoCorasick>,
    /// Per value index: its entries' positions by hash, an open-addressing table
    /// ([`key_table`]).
    key_tables: Vec<Box<[u32]>>,
    /// Per value index: bit `n` set when some key has `n` characters (bit 127: 127 or
    /// more). Folding maps characters one to one, so an ASCII value of `n` bytes can only
    /// equal a key of `n` characters.
    key_lens: Vec<u128>,
    /// Per literal index: the length of its shortest literal (a shorter value holds none).
    lit_min: Vec<usize>,
    /// Per value index: the gate masks its entries require ([`needed_masks`]).
    key_need: Vec<Box<[u64]>>,
    /// Per literal index: the gate masks its entries require ([`needed_masks`]).
    lit_need: Vec<Box<[u64]>>,
    /// Per literal index: literals seen in this event (bit per literal), and their list.
    lit_seen: Vec<Vec<u64>>,
    lit_found: Vec<u32>,
}

/// Per-event memo of shared tests.
struct Memo {
    known: u64,
    value: u64,
}

/// Evaluation context of one event.
struct Ctx<'r, R: Record + ?Sized> {
    rec: &'r R,
    computed: fn(&R, u32) -> bool,
    shared: &'static [Node],
    memo: Memo,
}

impl<R: Record + ?Sized> Ctx<'_, R> {
    fn eval(&mut self, n: &Node) -> bool {
        match *n {
            Node::Const(b) => b,
            Node::And(v) => v.iter().all(|x| self.eval(x)),
            Node::Or(v) => v.iter().any(|x| self.eval(x)),
            Node::Not(x) => !self.eval(x),
            Node::Exists(slot) => self.rec.values(slot as usize).any(|v| !v.is_null()),
            Node::Text(slot, op) => any_text(self.rec.values(slot as usize), &op),
            Node::Cmp(slot, kind, ord, lit) => self.rec.values(slot as usize).any(|v| {
                compare_lit(v, kind, &lit).is_some_and(|o| match ord {
                    CmpOrd::Eq => o.is_eq(),
                    CmpOrd::Lt => o.is_lt(),
                    CmpOrd::Le => o.is_le(),
                    CmpOrd::Gt => o.is_gt(),
                    CmpOrd::Ge => o.is_ge(),
                })
            }),
            Node::Cidr(slot, blocks) => self
                .rec
                .values(slot as usize)
                .any(|v| with_text(v, |s| cidr_match_str(s, blocks))),
            Node::Computed(i) => (self.computed)(self.rec, i),
            Node::Shared(i) => {
                let bit = 1u64 << (i & 63);
                if self.memo.known & bit == 0 {
                    let v = self.eval(&self.shared[i as usize]);
                    self.memo.known |= bit;
                    if v {
                        self.memo.value |= bit;
                    }
                }
                self.memo.value & bit != 0
            }
        }
    }
}

#[inline]
fn with_text(v: Value<'_>, f: impl FnOnce(&str) -> bool) -> bool {
    match v {
        Value::Str(s) => f(s),
        Value::Null => false,
        other => {
            let mut buf = TextBuf::new();
            as_text(other, &mut buf).is_some_and(f)
        }
    }
}

#[inline]
fn any_text<'a>(it: impl Iterator<Item = Value<'a>>, op: &TextOp) -> bool {
    for v in it {
        if with_text(v, |s| op.test(s)) {
            return true;
        }
    }
    false
}

/// Build the searchers of the [`PatternSet`]s under `n`.
fn prepare_patterns(n: &Node) {
    fn text(op: &TextOp) {
        match op {
            TextOp::Patterns(set) => set.prepare(),
            TextOp::AnyOf(ops) => ops.iter().for_each(text),
            _ => {}
        }
    }
    match n {
        Node::And(v) | Node::Or(v) => v.iter().for_each(prepare_patterns),
        Node::Not(x) => prepare_patterns(x),
        Node::Text(_, op) => text(op),
        _ => {}
    }
}

/// [`StageInput`] of one rule for one event.
struct Input<'r, R: ?Sized> {
    rec: &'r R,
    mask: u128,
    filters: &'static [TableFilter],
}

impl<R: Record + ?Sized> StageInput for Input<'_, R> {
    #[inline]
    fn matches(&self, f: usize) -> bool {
        f < 128 && self.mask & (1u128 << f) != 0
    }
    fn key_values(&self, f: usize, k: usize, out: &mut dyn FnMut(Value<'_>)) {
        let Some(&(slot, _)) = self.filters.get(f).and_then(|x| x.keys.get(k)) else {
            return;
        };
        for v in self.rec.values(slot as usize) {
            out(v);
        }
    }
    fn key_optional(&self, f: usize, k: usize) -> bool {
        self.filters
            .get(f)
            .and_then(|x| x.keys.get(k))
            .is_some_and(|&(_, o)| o)
    }
}

/// Report one result of rule `ri`, through its limiter when it has pipes.
fn emit(
    lims: &mut [Limiter],
    lim: u32,
    ri: usize,
    events: &[Option<EventRef>],
    group: Option<u64>,
    key: Option<crate::sequence::Key<'_>>,
    out: &mut dyn FnMut(Alert<'_>),
) {
    if lim == u32::MAX {
        out(Alert {
            rule: ri,
            events,
            group_id: group,
            key,
        });
    } else {
        lims[lim as usize].offer_keyed(ri, events, group, key, out);
    }
}

/// The open-addressing table of a value index: a power of two at least twice as long as
/// its entries (at least 1), each entry's position stored at its hash (masked) or the
/// first free place after it, `u32::MAX` elsewhere. A lookup probes from the value's hash
/// to the first free place, so it meets every entry of that hash, and usually only those:
/// one probe where a binary search over 2,609 keys took twelve.
fn key_table(ix: &KeyIndex) -> Box<[u32]> {
    let len = (ix.entries.len() * 2).next_power_of_two();
    let mut table = vec![u32::MAX; len];
    for (i, e) in ix.entries.iter().enumerate() {
        let mut at = e.0 as usize & (len - 1);
        while table[at] != u32::MAX {
            at = (at + 1) & (len - 1);
        }
        table[at] = u32::try_from(i).expect("index entries fit in u32");
    }
    table.into_boxed_slice()
}

/// The gate masks that the entries `xs` require, without those that require another's
/// bits and more: an event whose gate bits cover none of them can reach no entry of the
/// index, so its values need not be looked up at all. A Linux event skips the indexes of
/// Windows-only rules this way (about 28% of the values looked up on the generated mixed
/// stream).
fn needed_masks(spec: &TableSpec, xs: impl Iterator<Item = u32>) -> Box<[u64]> {
    let mut masks: Vec<u64> = xs.map(|x| spec.entries[x as usize].mask).collect();
    masks.sort_unstable_by_key(|m| (m.count_ones(), *m));
    masks.dedup();
    let mut kept: Vec<u64> = Vec::new();
    for m in masks {
        if !kept.iter().any(|&k| k & !m == 0) {
            kept.push(m);
        }
    }
    kept.into_boxed_slice()
}

/// Whether gate bits `bits` cover one of `need` (see [`needed_masks`]).
#[inline]
fn gates_allow(need: &[u64], bits: u64) -> bool {
    need.iter().any(|&m| m & !bits == 0)
}

/// Most literal bytes of one [`LiteralIndex`] searched with a DFA: at most that many states,
/// each a row of 4-byte transitions over the literals' byte classes (under 20 MiB even
/// with all 256 classes; the corpus's largest index has 4,787 bytes). A larger index takes
/// the automaton `aho_corasick` picks, which is smaller and slower. On the corpus the DFA
/// cut the whole detector's CPU time by about 4% against the contiguous NFA.
const DFA_MAX_LITERAL_BYTES: usize = 20_000;

/// The searchers of `spec`'s literal indexes, built once per process and shared by every
/// [`TableState`] of the spec (building them is most of a large pack's start-up time, and
/// a detector builds one state to read the pack's rules before the one it runs).
fn literal_searchers(spec: &'static TableSpec) -> Vec<aho_corasick::AhoCorasick> {
    type Cache = Vec<(usize, Vec<aho_corasick::AhoCorasick>)>;
    static CACHE: std::sync::Mutex<Cache> = std::sync::Mutex::new(Vec::new());
    // The spec is `'static`: its address identifies it for the life of the process.
    let id = spec as *const TableSpec as usize;
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, s)) = cache.iter().find(|(k, _)| *k == id) {
        // `AhoCorasick` is a shared handle: cloning it does not copy the automaton.
        return s.clone();
    }
    let built: Vec<_> = spec
        .literals
        .iter()
        .map(|l| {
            let bytes: usize = l.literals.iter().map(|(s, _)| s.len()).sum();
            let kind =
                (bytes <= DFA_MAX_LITERAL_BYTES).then_some(aho_corasick::AhoCorasickKind::DFA);
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(kind)
                .build(l.literals.iter().map(|(s, _)| s.as_bytes()))
                .expect("literal set builds")
        })
        .collect();
    cache.push((id, built.clone()));
    built
}

impl TableState {
    /// State for `spec`: sequence rules keep at most `capacity` pending join keys each;
    /// sample rules take the `sample_size` / `max_samples_per_key` knobs.
    pub fn new(
        spec: &'static TableSpec,
        capacity: usize,
        sample_size: usize,
        max_samples_per_key: usize,
    ) -> Self {
        let mut engine = Vec::with_capacity(spec.rules.len());
        let mut lim = Vec::with_capacity(spec.rules.len());
        let (mut seqs, mut samples, mut lims) = (Vec::new(), Vec::new(), Vec::new());
        for r in spec.rules {
            match r.kind {
                TableRuleKind::Event => engine.push(u32::MAX),
                TableRuleKind::Sequence(s) => {
                    engine.push(seqs.len() as u32);
                    seqs.push(SequenceEngine::new(s, capacity));
                }
                TableRuleKind::Sample(s) => {
                    engine.push(samples.len() as u32);
                    samples.push(SampleEngine::new(
                        s,
                        capacity,
                        sample_size,
                        max_samples_per_key,
                    ));
                }
            }
            if r.pipes.is_empty() {
                lim.push(u32::MAX);
            } else {
                lim.push(lims.len() as u32);
                lims.push(Limiter::new(r.pipes));
            }
        }
        for e in spec.entries {
            prepare_patterns(e.node);
        }
        spec.shared.iter().for_each(prepare_patterns);
        let searchers = literal_searchers(spec);
        let key_tables = spec.index.iter().map(key_table).collect();
        let key_lens = spec
            .index
            .iter()
            .map(|ix| {
                ix.entries
                    .iter()
                    .fold(0u128, |m, e| m | 1u128 << e.1.chars().count().min(127))
            })
            .collect();
        let lit_min = spec
            .literals
            .iter()
            .map(|l| l.literals.iter().map(|(s, _)| s.len()).min().unwrap_or(0))
            .collect();
        let key_need = spec
            .index
            .iter()
            .map(|ix| needed_masks(spec, ix.entries.iter().flat_map(|e| e.2.iter().copied())))
            .collect();
        let lit_need = spec
            .literals
            .iter()
            .map(|l| needed_masks(spec, l.literals.iter().flat_map(|e| e.1.iter().copied())))
            .collect();
        let lit_seen = spec
            .literals
            .iter()
            .map(|l| vec![0u64; l.literals.len().div_ceil(64)])
            .collect();
        let max_lits = spec.literals.iter().map(|l| l.literals.len()).max();
        TableState {
            spec,
            searchers,
            key_tables,
            key_lens,
            lit_min,
            key_need,
            lit_need,
            lit_seen,
            lit_found: Vec::with_capacity(max_lits.unwrap_or(0)),
            engine,
            lim,
            seqs,
            samples,
            lims,
            hits: vec![0; spec.filters.len().div_ceil(64)],
            touched: Vec::with_capacity(spec.filters.len().div_ceil(64)),
            tested: vec![0; spec.entries.len().div_ceil(64)],
            tested_touched: Vec::with_capacity(spec.entries.len().div_ceil(64)),
        }
    }

    /// Match one event. `computed(rec, i)` evaluates computed leaf `i`.
    pub fn on_event<R: Record + ?Sized>(
        &mut self,
        rec: &R,
        ev: EventRef,
        computed: fn(&R, u32) -> bool,
        out: &mut dyn FnMut(Alert<'_>),
    ) {
        let spec = self.spec;
        // 1. Gate bits.
        let mut bits = 0u64;
        for g in spec.gates {
            for v in rec.values(g.slot as usize) {
                with_text(v, |s| {
                    if let Ok(i) = g.names.binary_search_by(|(n, _)| (*n).cmp(s)) {
                        bits |= 1u64 << g.names[i].1;
                    }
                    false
                });
            }
        }
        // 2. The filters whose gates pass.
        let mut ctx = Ctx {
            rec,
            computed,
            shared: spec.shared,
            memo: Memo { known: 0, value: 0 },
        };
        let (hits, touched) = (&mut self.hits, &mut self.touched);
        let (tested, tested_touched) = (&mut self.tested, &mut self.tested_touched);
        let mut test = |x: u32, ctx: &mut Ctx<'_, R>| {
            let e = &spec.entries[x as usize];
            let (w, bit) = ((e.filter / 64) as usize, 1u64 << (e.filter % 64));
            if hits[w] & bit == 0 && ctx.eval(e.node) {
                if hits[w] == 0 {
                    touched.push(w as u32);
                }
                hits[w] |= bit;
            }
        };
        for g in spec.groups {
            if g.mask & !bits != 0 {
                continue;
            }
            for &x in g.entries {
                test(x, &mut ctx);
            }
        }
        // An entry reached through indexes (possibly under several keys): tested once,
        // when its gates pass.
        let mut reach = |x: u32, ctx: &mut Ctx<'_, R>| {
            if spec.entries[x as usize].mask & !bits != 0 {
                return;
            }
            let (w, bit) = ((x / 64) as usize, 1u64 << (x % 64));
            if tested[w] & bit != 0 {
                return;
            }
            if tested[w] == 0 {
                tested_touched.push(w as u32);
            }
            tested[w] |= bit;
            test(x, ctx);
        };
        for (((ix, &lens), table), need) in spec
            .index
            .iter()
            .zip(&self.key_lens)
            .zip(&self.key_tables)
            .zip(&self.key_need)
        {
            if !gates_allow(need, bits) {
                continue;
            }
            let mask = table.len() - 1;
            for v in rec.values(ix.slot as usize) {
                with_text(v, |s| {
                    if lens & 1u128 << s.len().min(127) == 0 && s.is_ascii() {
                        return false;
                    }
                    let h = fold_hash(s);
                    let mut at = h as usize & mask;
                    loop {
                        let i = table[at];
                        if i == u32::MAX {
                            break;
                        }
                        let e = &ix.entries[i as usize];
                        if e.0 == h && eq_fold(s, e.1) {
                            for &x in e.2 {
                                reach(x, &mut ctx);
                            }
                        }
                        at = (at + 1) & mask;
                    }
                    false
                });
            }
        }
        for (li, ix) in spec.literals.iter().enumerate() {
            if !gates_allow(&self.lit_need[li], bits) {
                continue;
            }
            let (seen, found) = (&mut self.lit_seen[li], &mut self.lit_found);
            let ac = &self.searchers[li];
            let min = self.lit_min[li];
            // A non-ASCII value may hold a character that folds to ASCII (the Kelvin sign
            // folds to `k`), which the ASCII-case-insensitive search would miss: then every
            // entry of the index is tested.
            let mut all = false;
            for v in rec.values(ix.slot as usize) {
                with_text(v, |s| {
                    // a non-ASCII character is at least two bytes, so a value with fewer
                    // bytes than the shortest literal has fewer characters too
                    if s.len() < min {
                        return false;
                    }
                    if !s.is_ascii() {
                        all = true;
                        return false;
                    }
                    for m in ac.find_overlapping_iter(s) {
                        let p = m.pattern().as_u32();
                        let (w, bit) = ((p / 64) as usize, 1u64 << (p % 64));
                        if seen[w] & bit == 0 {
                            seen[w] |= bit;
                            found.push(p);
                        }
                    }
                    false
                });
            }
            if all {
                found.clear();
                found.extend(0..ix.literals.len() as u32);
            }
            for &p in found.iter() {
                seen[(p / 64) as usize] = 0;
                for &x in ix.literals[p as usize].1 {
                    reach(x, &mut ctx);
                }
            }
            found.clear();
        }
        for &w in self.tested_touched.iter() {
            self.tested[w as usize] = 0;
        }
        self.tested_touched.clear();
        if self.touched.is_empty() {
            return;
        }
        // 3. Rules with a hit, in rule order.
        self.touched.sort_unstable();
        let mut cur_rule = u32::MAX;
        let mut mask = 0u128;
        for ti in 0..self.touched.len() {
            let w = self.touched[ti] as usize;
            let mut word = std::mem::take(&mut self.hits[w]);
            while word != 0 {
                let f = w as u32 * 64 + word.trailing_zeros();
                word &= word - 1;
                let tf = &spec.filters[f as usize];
                if tf.rule != cur_rule {
                    if cur_rule != u32::MAX {
                        self.fire(cur_rule as usize, mask, rec, ev, out);
                    }
                    cur_rule = tf.rule;
                    mask = 0;
                }
                let local = f - spec.rules[tf.rule as usize].first_filter;
                if local < 128 {
                    mask |= 1u128 << local;
                }
            }
        }
        if cur_rule != u32::MAX {
            self.fire(cur_rule as usize, mask, rec, ev, out);
        }
        self.touched.clear();
    }

    fn fire<R: Record + ?Sized>(
        &mut self,
        ri: usize,
        mask: u128,
        rec: &R,
        ev: EventRef,
        out: &mut dyn FnMut(Alert<'_>),
    ) {
        let r = &self.spec.rules[ri];
        let lim = self.lim[ri];
        let lims = &mut self.lims;
        match r.kind {
            TableRuleKind::Event => {
                emit(lims, lim, ri, &[Some(ev)], None, None, out);
            }
            TableRuleKind::Sequence(_) => {
                let first = r.first_filter as usize;
                let input = Input {
                    rec,
                    mask,
                    filters: &self.spec.filters[first..first + r.filters as usize],
                };
                let rule_id = r.rule_id;
                self.seqs[self.engine[ri] as usize].on_event(ev, &input, &mut |m| {
                    let g = Some(group_id(rule_id, m.events));
                    emit(lims, lim, ri, m.events, g, Some(m.key), out);
                });
            }
            TableRuleKind::Sample(_) => {
                let first = r.first_filter as usize;
                let input = Input {
                    rec,
                    mask,
                    filters: &self.spec.filters[first..first + r.filters as usize],
                };
                self.samples[self.engine[ri] as usize].on_event(ev, &input);
            }
        }
    }

    /// End of input: sequences and samples in reverse rule order, then the limiters.
    pub fn flush(&mut self, out: &mut dyn FnMut(Alert<'_>)) {
        let spec = self.spec;
        for ri in (0..spec.rules.len()).rev() {
            let r = &spec.rules[ri];
            let lim = self.lim[ri];
            let lims = &mut self.lims;
            let rule_id = r.rule_id;
            match r.kind {
                TableRuleKind::Event => {}
                TableRuleKind::Sequence(_) => {
                    self.seqs[self.engine[ri] as usize].flush(&mut |m| {
                        let g = Some(group_id(rule_id, m.events));
                        emit(lims, lim, ri, m.events, g, Some(m.key), out);
                    });
                }
                TableRuleKind::Sample(_) => {
                    self.samples[self.engine[ri] as usize].flush(&mut |m| {
                        let g = Some(group_id(rule_id, m.events));
                        emit(lims, lim, ri, m.events, g, Some(m.key), out);
                    });
                }
            }
        }
        for l in &mut self.lims {
            l.flush(out);
        }
    }

    /// Counters summed over all rules.
    pub fn stats(&self) -> PackStats {
        let mut s = PackStats::default();
        for e in &self.seqs {
            let st: PackStats = e.stats().into();
            s.evictions += st.evictions;
            s.expired += st.expired;
            s.pending += st.pending;
        }
        for e in &self.samples {
            let st: PackStats = e.stats().into();
            s.evictions += st.evictions;
            s.pending += st.pending;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static N: Node = Node::Const(true);

    fn spec_with_masks(masks: &'static [u64]) -> TableSpec {
        let entries: Vec<TableEntry> = masks
            .iter()
            .map(|&mask| TableEntry {
                filter: 0,
                node: &N,
                mask,
            })
            .collect();
        TableSpec {
            rules: &[],
            filters: &[],
            gates: &[],
            entries: Vec::leak(entries),
            groups: &[],
            index: &[],
            literals: &[],
            shared: &[],
        }
    }

    #[test]
    fn needed_masks_keep_only_the_least_demanding() {
        // 0b011 needs more than 0b001; 0b110 is independent; duplicates go.
        let spec = spec_with_masks(&[0b011, 0b001, 0b110, 0b001, 0b111]);
        let need = needed_masks(&spec, 0..5);
        assert_eq!(&*need, &[0b001, 0b110]);
        assert!(gates_allow(&need, 0b001));
        assert!(gates_allow(&need, 0b110));
        assert!(gates_allow(&need, 0b1111));
        assert!(!gates_allow(&need, 0b010));
        assert!(!gates_allow(&need, 0b100));
        assert!(!gates_allow(&need, 0));
        // An entry without gates makes the index always worth a look.
        let spec = spec_with_masks(&[0b100, 0]);
        let need = needed_masks(&spec, 0..2);
        assert_eq!(&*need, &[0]);
        assert!(gates_allow(&need, 0));
        // No entries at all: nothing to reach.
        assert!(!gates_allow(&needed_masks(&spec, 0..0), u64::MAX));
    }
}

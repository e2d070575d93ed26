//! Plan → Rust tokens for packs of many rules: data, not code.
//!
//! Per-rule code (a function per filter, a closure per leaf, a block per rule in one
//! `on_event`) is the fastest shape for a handful of rules, but for a thousand rules it
//! makes rustc and LLVM slow and the detector test every rule against every event. For
//! such packs [`generate_table_pack`] emits `static` tables that the runtime's
//! `eqlc_runtime::table` module interprets with one evaluator, monomorphised once per
//! record type:
//! * one `Node` tree per filter (the planner's [`Pred`], leaf for leaf);
//! * gates: exact tests many filters require (the category test of `process where`,
//!   `host.os.type == "linux"`, `event.type == "start"`) are bits found once per event,
//!   and only the groups of filters whose gate bits are all set are tested;
//! * indexes: a filter that requires a field to equal one of a few values
//!   (`process.name : ("bash", "sh")`) sits in that field's index under each folded value
//!   and is tested only when the event holds one of them;
//! * literal indexes: an entry that requires a field to contain one of a few literals
//!   (`process.command_line : "*curl*"`) is tested only when one Aho-Corasick search per
//!   value finds one of them;
//! * covers: each entry is reached through the registrations whose keys look rarest
//!   (popularity among the pack's entries stands in for frequency in events); a
//!   disjunction is registered under each branch (`choose_indexes`);
//! * shared tests: conjuncts that many filters require (`host.os.type == "linux"`) are
//!   numbered, ordered first, and evaluated at most once per event;
//! * computed leaves (functions and arithmetic) stay generated code, in one function.
//!
//! The pack's behaviour (alerts, their order, flush order, stats) is that of the
//! per-rule code ([`crate::codegen`]).

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal as Lit, TokenStream};
use quote::{format_ident, quote};

use crate::codegen::{field_kind_tokens, literal_tokens, GenOptions, PredGenAccess};
use crate::ir::{CmpOp, Pipe};
use crate::plan::{PackPlan, Pred, RuleKind, TextTest};
use crate::rule_meta::RuleInfo;

/// Packs with at least this many rules are generated as tables (unless the
/// `EQLC_CODEGEN` environment variable says `code` or `table`).
pub const TABLE_MIN_RULES: usize = 64;

/// At most this many shared tests per pack (one bit each in the per-event memo).
const MAX_SHARED: usize = 64;

/// An exact test becomes a gate when at least this many filters require it (category
/// tests always do, up to 64 gates).
const GATE_MIN_USES: usize = 2;

/// A filter is split into at most this many alternatives.
const MAX_ALTERNATIVES: usize = 8;

/// Literals shorter than this do not make an entry literal-indexed.
const MIN_LITERAL_LEN: usize = 3;

/// A conjunct becomes a shared test when at least this many filters require it.
const SHARED_MIN_USES: usize = 3;

/// Whether `plan` is generated as tables.
pub fn use_tables(plan: &PackPlan) -> bool {
    match std::env::var("EQLC_CODEGEN").as_deref() {
        Ok("table") => true,
        Ok("code") => false,
        _ => plan.rules.len() >= TABLE_MIN_RULES,
    }
}

fn u32_lit(n: usize) -> Lit {
    Lit::u32_unsuffixed(u32::try_from(n).expect("fits in u32"))
}

/// Statics and computed leaves collected while emitting nodes.
struct Emitter<'f> {
    fields: &'f [String],
    statics: Vec<TokenStream>,
    counter: usize,
    computed: Vec<TokenStream>,
    shared: BTreeMap<String, usize>,
}

impl PredGenAccess for Emitter<'_> {
    fn fields(&self) -> &[String] {
        self.fields
    }

    fn fresh(&mut self, what: &str) -> Ident {
        self.counter += 1;
        format_ident!("__EQLC_{}{}", what, self.counter)
    }

    fn push_static(&mut self, item: TokenStream) {
        self.statics.push(item);
    }
}

impl Emitter<'_> {
    /// A `Node` expression (constant) for `p`; conjuncts that are shared tests become
    /// `Shared` references when `share` is set.
    fn node(&mut self, p: &Pred, share: bool) -> TokenStream {
        if share {
            if let Some(&i) = self.shared.get(&shared_key(p)) {
                let i = u32_lit(i);
                return quote! { N::Shared(#i) };
            }
        }
        match p {
            Pred::Const(b) => quote! { N::Const(#b) },
            Pred::And(v) => {
                let parts: Vec<_> = v.iter().map(|x| self.node(x, false)).collect();
                quote! { N::And(&[#(#parts),*]) }
            }
            Pred::Or(v) => {
                let parts: Vec<_> = v.iter().map(|x| self.node(x, false)).collect();
                quote! { N::Or(&[#(#parts),*]) }
            }
            Pred::Not(x) => {
                let x = self.node(x, false);
                quote! { N::Not(&#x) }
            }
            Pred::Exists { slot } => {
                let s = u32_lit(*slot);
                quote! { N::Exists(#s) }
            }
            Pred::Text { slot, test } => {
                let s = u32_lit(*slot);
                let t = self.text(test);
                quote! { N::Text(#s, #t) }
            }
            Pred::Cmp { slot, ty, op, lit } => {
                let s = u32_lit(*slot);
                let k = field_kind_tokens(*ty);
                let o = match op {
                    CmpOp::Eq => quote! { Eq },
                    CmpOp::Lt => quote! { Lt },
                    CmpOp::Le => quote! { Le },
                    CmpOp::Gt => quote! { Gt },
                    CmpOp::Ge => quote! { Ge },
                };
                let l = literal_tokens(lit);
                quote! { N::Cmp(#s, #k, __T::CmpOrd::#o, #l) }
            }
            Pred::Cidr { slot, blocks } => {
                let s = u32_lit(*slot);
                let bs = blocks.iter().map(|c| {
                    format!("__rt::{}", c.to_tokens())
                        .parse::<TokenStream>()
                        .expect("Cidr::to_tokens gives a valid expression")
                });
                quote! { N::Cidr(#s, &[#(#bs),*]) }
            }
            Pred::Computed(e) => {
                let i = self.computed.len();
                let body = crate::codegen_expr::computed_leaf(e, self);
                let il = u32_lit(i);
                self.computed.push(quote! { #il => #body, });
                quote! { N::Computed(#il) }
            }
        }
    }

    fn text(&mut self, t: &TextTest) -> TokenStream {
        match t {
            TextTest::AnyString => quote! { T::Any },
            TextTest::Exact { s, fold: false } => quote! { T::Eq(#s) },
            TextTest::Exact { s, fold: true } => quote! { T::EqFold(#s) },
            TextTest::Prefix { s, fold: false } => quote! { T::Prefix(#s) },
            TextTest::Prefix { s, fold: true } => quote! { T::PrefixFold(#s) },
            TextTest::Suffix { s, fold: false } => quote! { T::Suffix(#s) },
            TextTest::Suffix { s, fold: true } => quote! { T::SuffixFold(#s) },
            TextTest::Contains { s, fold: false } => quote! { T::Contains(#s) },
            TextTest::Contains { s, fold: true } => quote! { T::ContainsFold(#s) },
            TextTest::Glob { p, fold: false } => quote! { T::Glob(#p) },
            TextTest::Glob { p, fold: true } => quote! { T::GlobFold(#p) },
            TextTest::Set {
                values,
                fold: false,
            } => quote! { T::Set(__rt::StrSet::new(&[#(#values),*])) },
            TextTest::Set { values, fold: true } => {
                let mut entries: Vec<(u64, &String)> = values
                    .iter()
                    .map(|v| (eqlc_runtime::text::fold_hash(v), v))
                    .collect();
                entries.sort();
                let es = entries.iter().map(|(h, v)| quote! { (#h, #v) });
                quote! { T::FoldSet(__rt::FoldSet::new(&[#(#es),*])) }
            }
            TextTest::Regex { pattern } => {
                let name = self.fresh("RE");
                self.statics.push(quote! {
                    static #name: __rt::LazyRegex = __rt::LazyRegex::new(#pattern);
                });
                quote! { T::Regex(&#name) }
            }
            TextTest::AnyOf(v) => {
                let parts: Vec<_> = v.iter().map(|x| self.text(x)).collect();
                let lits: Vec<String> = v.iter().map(member_literal).collect();
                let with_literal = lits.iter().filter(|l| !l.is_empty()).count();
                if v.len() > eqlc_runtime::table::PATTERN_SET_MAX || with_literal < PATTERN_SET_MIN
                {
                    return quote! { T::AnyOf(&[#(#parts),*]) };
                }
                let name = self.fresh("PS");
                self.statics.push(quote! {
                    static #name: __T::PatternSet =
                        __T::PatternSet::new(&[#(#parts),*], &[#(#lits),*]);
                });
                quote! { T::Patterns(&#name) }
            }
        }
    }
}

/// A list of text tests becomes a `PatternSet` (one literal search per value instead of
/// one scan per member) when at least this many members need a literal.
const PATTERN_SET_MIN: usize = 12;

/// The literal (ASCII, lower-case) that every value a list member passes contains,
/// ignoring ASCII case, or `""` when there is none (sets, regexes, non-ASCII text): the
/// `PatternSet` tries a member only when a value holds its literal.
fn member_literal(t: &TextTest) -> String {
    let leaf = Pred::Text {
        slot: 0,
        test: t.clone(),
    };
    match (t, literal_set(&leaf)) {
        (TextTest::Set { .. } | TextTest::AnyOf(_), _) => String::new(),
        (_, Some((_, mut lits))) if lits.len() == 1 => lits.pop().expect("one"),
        _ => String::new(),
    }
}

/// The identity of a conjunct, for sharing.
fn shared_key(p: &Pred) -> String {
    format!("{p:?}")
}

/// The conjuncts of a filter condition.
fn conjuncts(p: &Pred) -> Vec<&Pred> {
    match p {
        Pred::And(v) => v.iter().collect(),
        Pred::Const(true) => Vec::new(),
        other => vec![other],
    }
}

/// A gate: (slot, exact value).
type GateKey<'a> = (usize, &'a str);

/// The (slot, value) of a conjunct that can be a gate: a case-sensitive exact test.
fn gate_key(p: &Pred) -> Option<GateKey<'_>> {
    match p {
        Pred::Text {
            slot,
            test: TextTest::Exact { s, fold: false },
        } => Some((*slot, s.as_str())),
        _ => None,
    }
}

/// The field and folded keys of a conjunct that an index can serve: the field equals
/// (case-sensitively or not) one of a few strings.
fn index_keys(p: &Pred) -> Option<(usize, Vec<String>)> {
    fn keys(t: &TextTest, out: &mut Vec<String>) -> bool {
        match t {
            TextTest::Exact { s, .. } => out.push(eqlc_runtime::text::fold_str(s)),
            TextTest::Set { values, .. } => {
                out.extend(values.iter().map(|v| eqlc_runtime::text::fold_str(v)))
            }
            TextTest::AnyOf(v) => return v.iter().all(|x| keys(x, out)),
            _ => return false,
        }
        true
    }
    match p {
        Pred::Text { slot, test } => {
            let mut out = Vec::new();
            if !keys(test, &mut out) {
                return None;
            }
            out.sort();
            out.dedup();
            Some((*slot, out))
        }
        _ => None,
    }
}

/// One alternative of a filter: the filter passes when one of its alternatives does.
struct Alt {
    /// Global filter index.
    filter: usize,
    /// Whether `conj[0]` is the category test.
    cat: bool,
    /// Conjuncts.
    conj: Vec<Pred>,
}

/// Exact tests required by many alternatives (category tests always), at most 64, most
/// used first.
fn choose_gates(alts: &[Alt]) -> Vec<(usize, String)> {
    let mut uses: BTreeMap<GateKey<'_>, (bool, usize)> = BTreeMap::new();
    for a in alts {
        let mut seen = Vec::new();
        for (i, c) in a.conj.iter().enumerate() {
            if let Some(k) = gate_key(c) {
                if !seen.contains(&k) {
                    let e = uses.entry(k).or_insert((false, 0));
                    e.0 |= i == 0 && a.cat;
                    e.1 += 1;
                    seen.push(k);
                }
            }
        }
    }
    let mut gates: Vec<(GateKey<'_>, (bool, usize))> = uses
        .into_iter()
        .filter(|(_, (cat, n))| *cat || *n >= GATE_MIN_USES)
        .collect();
    gates.sort_by(|a, b| (b.1 .0, b.1 .1).cmp(&(a.1 .0, a.1 .1)).then(a.0.cmp(&b.0)));
    gates.truncate(64);
    gates
        .into_iter()
        .map(|((s, v), _)| (s, v.to_string()))
        .collect()
}

/// Split every alternative that has no index key outside `gates` at its first small
/// disjunction whose every branch has an index key or a gate.
fn split_unserved(alts: Vec<Alt>, gates: &[(usize, String)]) -> Vec<Alt> {
    let is_gate = |c: &Pred| {
        gate_key(c).is_some_and(|(slot, v)| gates.iter().any(|(s, g)| *s == slot && g == v))
    };
    let served = |c: &Pred| is_gate(c) || index_keys(c).is_some();
    let mut out = Vec::with_capacity(alts.len());
    for a in alts {
        let indexed = a
            .conj
            .iter()
            .any(|c| !is_gate(c) && index_keys(c).is_some());
        let pos = (!indexed)
            .then(|| {
                a.conj.iter().position(|c| {
                    let d = disjuncts(c);
                    d.len() > 1
                        && d.len() <= MAX_ALTERNATIVES
                        && d.iter().all(|x| conjuncts(x).iter().any(|c| served(c)))
                })
            })
            .flatten();
        let Some(pos) = pos else {
            out.push(a);
            continue;
        };
        let mut base = a.conj.clone();
        let or = base.remove(pos);
        for d in disjuncts(&or) {
            let mut conj = base.clone();
            conj.extend(conjuncts(&d).into_iter().cloned());
            out.push(Alt {
                filter: a.filter,
                cat: a.cat,
                conj,
            });
        }
    }
    out
}

/// The alternatives of a filter whose conjuncts are `head` + `conj`: one when some
/// conjunct is an exact test (a gate or index can serve it); otherwise, when one
/// conjunct is a small disjunction whose every branch has such a test (`(process and
/// ...) or (file and ...)`, `event.category in ("file", "process")`), one per branch.
fn alternatives(head: &[Pred], conj: Vec<Pred>) -> Vec<Vec<Pred>> {
    let mut all: Vec<Pred> = head.to_vec();
    all.extend(conj);
    if all
        .iter()
        .any(|c| gate_key(c).is_some() || index_keys(c).is_some())
    {
        return vec![all];
    }
    let pos = all.iter().position(|c| {
        let d = disjuncts(c);
        d.len() > 1
            && d.len() <= MAX_ALTERNATIVES
            && d.iter().all(|x| {
                conjuncts(x)
                    .iter()
                    .any(|c| gate_key(c).is_some() || index_keys(c).is_some())
            })
    });
    let Some(pos) = pos else {
        return vec![all];
    };
    let or = all.remove(pos);
    disjuncts(&or)
        .into_iter()
        .map(|d| {
            let mut v = all.clone();
            v.extend(conjuncts(&d).into_iter().cloned());
            v
        })
        .collect()
}

/// The branches of a disjunction (an `or`, or a list of exact strings on one field).
fn disjuncts(p: &Pred) -> Vec<Pred> {
    match p {
        Pred::Or(v) => v.clone(),
        Pred::Text {
            slot,
            test: TextTest::AnyOf(v),
        } if v
            .iter()
            .all(|t| matches!(t, TextTest::Exact { fold: false, .. })) =>
        {
            v.iter()
                .map(|t| Pred::Text {
                    slot: *slot,
                    test: t.clone(),
                })
                .collect()
        }
        Pred::Text {
            slot,
            test: TextTest::Set {
                values,
                fold: false,
            },
        } => values
            .iter()
            .map(|s| Pred::Text {
                slot: *slot,
                test: TextTest::Exact {
                    s: s.clone(),
                    fold: false,
                },
            })
            .collect(),
        other => vec![other.clone()],
    }
}

/// The field and literals of a conjunct that holds only if some value of the field
/// contains (ignoring ASCII case) one of the literals: exact, prefix, suffix and substring
/// tests, and the longest literal run of a wildcard pattern. ASCII literals only,
/// lower-cased.
fn literal_set(p: &Pred) -> Option<(usize, Vec<String>)> {
    fn lits(t: &TextTest, out: &mut Vec<String>) -> bool {
        match t {
            TextTest::Exact { s, .. }
            | TextTest::Prefix { s, .. }
            | TextTest::Suffix { s, .. }
            | TextTest::Contains { s, .. } => out.push(s.clone()),
            TextTest::Glob { p, .. } => {
                let longest = p
                    .split(['*', '?'])
                    .max_by_key(|x| x.len())
                    .unwrap_or_default();
                out.push(longest.to_string());
            }
            TextTest::Set { values, .. } => out.extend(values.iter().cloned()),
            TextTest::AnyOf(v) => return v.iter().all(|x| lits(x, out)),
            TextTest::AnyString | TextTest::Regex { .. } => return false,
        }
        true
    }
    let Pred::Text { slot, test } = p else {
        return None;
    };
    let mut out = Vec::new();
    if !lits(test, &mut out) || out.iter().any(|l| l.is_empty() || !l.is_ascii()) {
        return None;
    }
    let mut out: Vec<String> = out.iter().map(|l| l.to_ascii_lowercase()).collect();
    out.sort();
    out.dedup();
    Some((*slot, out))
}

/// How an entry is reached through an index: by the values of a field (keys folded) or
/// by literals found in them (lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
enum IndexCand {
    /// The field equals one of the keys.
    Value(usize, Vec<String>),
    /// Some value of the field contains one of the literals.
    Literal(usize, Vec<String>),
}

/// `(slot, key) → entries`: one value or literal index per slot.
type IndexMap = BTreeMap<usize, BTreeMap<String, Vec<usize>>>;

/// What a short literal costs on top of its popularity: a 3-byte literal occurs by chance
/// in far more values than a 12-byte one. Chosen so that a 3-byte literal weighs like a
/// key ten entries name.
fn literal_penalty(len: usize) -> usize {
    2 * 8usize.saturating_sub(len)
}

/// A cover of an entry spans at most this many index registrations.
const MAX_COVER: usize = 24;

/// The index registrations that can serve one leaf: a value test where there is one, else
/// a literal test whose literals are all long enough, else — for a list that mixes exact
/// values with patterns (`process.name : ("sh", "bash", "python*")`) — the exact values
/// in the value index and the patterns' literals in the literal index (the leaf holds
/// only if some value equals one of the former or contains one of the latter).
fn leaf_candidate(p: &Pred) -> Option<Vec<IndexCand>> {
    if let Some((slot, keys)) = index_keys(p) {
        return Some(vec![IndexCand::Value(slot, keys)]);
    }
    let long_enough = |lits: &[String]| lits.iter().all(|l| l.len() >= MIN_LITERAL_LEN);
    if let Some((slot, lits)) = literal_set(p) {
        if long_enough(&lits) {
            return Some(vec![IndexCand::Literal(slot, lits)]);
        }
    }
    let Pred::Text {
        slot,
        test: TextTest::AnyOf(members),
    } = p
    else {
        return None;
    };
    let (mut exact, mut patterns) = (Vec::new(), Vec::new());
    for m in members {
        let leaf = Pred::Text {
            slot: *slot,
            test: m.clone(),
        };
        if let Some((_, keys)) = index_keys(&leaf) {
            exact.extend(keys);
        } else {
            let (_, lits) = literal_set(&leaf)?;
            if !long_enough(&lits) {
                return None;
            }
            patterns.extend(lits);
        }
    }
    for v in [&mut exact, &mut patterns] {
        v.sort();
        v.dedup();
    }
    let value = (!exact.is_empty()).then_some(IndexCand::Value(*slot, exact));
    let literal = (!patterns.is_empty()).then_some(IndexCand::Literal(*slot, patterns));
    Some(value.into_iter().chain(literal).collect())
}

/// Every leaf candidate of `p` outside negations (the leaves a cover may use).
fn positive_candidates(p: &Pred, out: &mut Vec<IndexCand>) {
    match p {
        Pred::And(v) | Pred::Or(v) => v.iter().for_each(|x| positive_candidates(x, out)),
        other => out.extend(leaf_candidate(other).into_iter().flatten()),
    }
}

/// The cheapest cover of `p` and its cost: index registrations such that whenever `p`
/// holds for an event, the event triggers at least one of them. A leaf is covered by its
/// own candidate, a conjunction by its cheapest covered conjunct, a disjunction by the
/// union of covers of all its branches (none if a branch has none).
fn cover(p: &Pred, cost: &dyn Fn(&IndexCand) -> usize) -> Option<(usize, Vec<IndexCand>)> {
    match p {
        Pred::And(v) => cover_all(v.iter(), cost),
        Pred::Or(v) => {
            let (mut total, mut out) = (0, Vec::new());
            for x in v {
                let (c, cands) = cover(x, cost)?;
                total += c;
                out.extend(cands);
            }
            (out.len() <= MAX_COVER).then_some((total, out))
        }
        other => leaf_candidate(other).map(|c| (c.iter().map(cost).sum(), c)),
    }
}

/// The cheapest cover among conjuncts (ties: fewer registrations, then the first).
fn cover_all<'a>(
    conj: impl Iterator<Item = &'a Pred>,
    cost: &dyn Fn(&IndexCand) -> usize,
) -> Option<(usize, Vec<IndexCand>)> {
    conj.filter_map(|c| cover(c, cost))
        .min_by_key(|(c, v)| (*c, v.len()))
}

/// Pick how every entry is reached: through the cheapest cover of its conjuncts, the one
/// whose keys look rarest in events. Nothing is known of the events at build time, so a
/// key's popularity among the pack's entries stands in for its frequency: a value that
/// many rules name (`event.action == "exec"`, `host.os.type == "linux"`) is a common one,
/// and indexing by it would test its entries on most events; a process name or a
/// command-line fragment that few rules name is rare. A registration costs the sum over
/// its keys of the number of entries naming that key, plus [`literal_penalty`] per
/// literal. An entry whose condition is a disjunction (`process.name == "curl" or
/// process.args : "*curl*"`) is registered once per branch; the runtime tests it at most
/// once per event. Entries with no cover stay in their gate group.
///
/// Returns the value indexes, the literal indexes, and which entries they serve.
fn choose_indexes(rest: &[(u64, Vec<&Pred>)]) -> (IndexMap, IndexMap, Vec<bool>) {
    let mut value_pop: BTreeMap<(usize, String), usize> = BTreeMap::new();
    let mut lit_pop: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for (_, conj) in rest {
        let mut cands = Vec::new();
        conj.iter().for_each(|c| positive_candidates(c, &mut cands));
        let mut seen: Vec<(bool, usize, &str)> = Vec::new();
        for c in &cands {
            let (lit, slot, keys) = match c {
                IndexCand::Value(s, k) => (false, *s, k),
                IndexCand::Literal(s, l) => (true, *s, l),
            };
            for k in keys {
                if !seen.contains(&(lit, slot, k.as_str())) {
                    let pop = if lit { &mut lit_pop } else { &mut value_pop };
                    *pop.entry((slot, k.clone())).or_default() += 1;
                    seen.push((lit, slot, k.as_str()));
                }
            }
        }
    }
    let cost = |c: &IndexCand| -> usize {
        match c {
            IndexCand::Value(s, keys) => keys.iter().map(|k| value_pop[&(*s, k.clone())]).sum(),
            IndexCand::Literal(s, lits) => lits
                .iter()
                .map(|l| lit_pop[&(*s, l.clone())] + literal_penalty(l.len()))
                .sum(),
        }
    };
    let (mut index, mut lit_index) = (IndexMap::new(), IndexMap::new());
    let mut served = vec![false; rest.len()];
    for (e, (_, conj)) in rest.iter().enumerate() {
        let Some((_, cands)) = cover_all(conj.iter().copied(), &cost) else {
            continue;
        };
        for c in cands {
            let (map, slot, keys) = match c {
                IndexCand::Value(s, k) => (&mut index, s, k),
                IndexCand::Literal(s, l) => (&mut lit_index, s, l),
            };
            for k in keys {
                let list = map.entry(slot).or_default().entry(k).or_default();
                if list.last() != Some(&e) {
                    list.push(e);
                }
            }
        }
        served[e] = true;
    }
    (index, lit_index, served)
}

/// Whether a conjunct may be shared (cheap to remember, no generated code).
fn shareable(p: &Pred) -> bool {
    match p {
        Pred::Computed(_) | Pred::Const(_) => false,
        Pred::Not(x) => shareable(x),
        Pred::And(v) | Pred::Or(v) => v.iter().all(shareable),
        _ => true,
    }
}

fn pipes_tokens(pipes: &[Pipe], rt: &TokenStream) -> TokenStream {
    let ps = pipes.iter().map(|p| match p {
        Pipe::Head(n) => quote! { #rt::pipes::Pipe::Head(#n) },
        Pipe::Tail(n) => quote! { #rt::pipes::Pipe::Tail(#n) },
    });
    quote! { &[#(#ps),*] }
}

/// Generate the items of a data-driven pack (same public surface as
/// [`crate::codegen::generate_pack`]).
pub fn generate_table_pack(plan: &PackPlan, infos: &[RuleInfo], opts: &GenOptions) -> TokenStream {
    let rt = &opts.runtime;
    let name = &opts.name;
    let vis = &opts.vis;
    let doc = &opts.doc;
    let fields = plan.fields.iter().map(|f| Lit::string(f));
    let nfields = plan.fields.len();
    let metas = infos.iter().map(|i| i.to_tokens(rt));
    let nrules = infos.len();
    let stateful = plan.stateful_rules();
    let cap = crate::codegen::DEFAULT_CAPACITY;
    let new_doc = format!(
        "A pack whose sequence and sample rules keep at most {cap} pending join keys each."
    );

    // The alternatives ("entries") of every filter, each a list of conjuncts, the
    // category test first (flagged).
    let mut alts: Vec<Alt> = Vec::new();
    let mut gf = 0usize;
    for r in &plan.rules {
        for f in &r.filters {
            let mut head = Vec::new();
            if let Some(c) = &f.category {
                head.push(Pred::Text {
                    slot: r.category_slot,
                    test: TextTest::Exact {
                        s: c.clone(),
                        fold: false,
                    },
                });
            }
            let cat = f.category.is_some();
            let conj: Vec<Pred> = conjuncts(&f.pred).into_iter().cloned().collect();
            for c in alternatives(&head, conj) {
                alts.push(Alt {
                    filter: gf,
                    cat,
                    conj: c,
                });
            }
            gf += 1;
        }
    }
    let nfilters = gf;

    // Gates: exact tests required by many entries, categories first; at most 64. Entries
    // that neither gates nor an index would serve are split at a disjunction whose
    // branches they would serve, and the gates chosen again.
    let first_gates = choose_gates(&alts);
    let alts = split_unserved(alts, &first_gates);
    let gates = choose_gates(&alts);
    let gate_bit = |k: GateKey<'_>| gates.iter().position(|(s, v)| *s == k.0 && v == k.1);

    // Per entry: gate mask and the remaining conjuncts.
    let rest: Vec<(u64, Vec<&Pred>)> = alts
        .iter()
        .map(|a| {
            let mut mask = 0u64;
            let mut left = Vec::new();
            for c in &a.conj {
                match gate_key(c).and_then(gate_bit) {
                    Some(b) => mask |= 1u64 << b,
                    None => left.push(c),
                }
            }
            (mask, left)
        })
        .collect();

    // Indexes: an entry that requires a field to equal one of a few values (value index)
    // or to contain one of a few literals (literal index) is reached through that field's
    // index, and tested only for events holding one of them. See [`choose_indexes`].
    let (index, lit_index, served) = choose_indexes(&rest);

    // Shared tests: remaining conjuncts required by several entries, most used first.
    let mut uses: BTreeMap<String, (usize, &Pred)> = BTreeMap::new();
    for (_, conj) in &rest {
        let mut seen = Vec::new();
        for &c in conj {
            let k = shared_key(c);
            if shareable(c) && !seen.contains(&k) {
                uses.entry(k.clone()).or_insert((0, c)).0 += 1;
                seen.push(k);
            }
        }
    }
    let mut shared: Vec<(String, usize, &Pred)> = uses
        .into_iter()
        .filter(|(_, (n, _))| *n >= SHARED_MIN_USES)
        .map(|(k, (n, p))| (k, n, p))
        .collect();
    shared.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    shared.truncate(MAX_SHARED);

    let mut em = Emitter {
        fields: &plan.fields,
        statics: Vec::new(),
        counter: 0,
        computed: Vec::new(),
        shared: BTreeMap::new(),
    };
    let shared_nodes: Vec<TokenStream> = shared.iter().map(|(_, _, p)| em.node(p, false)).collect();
    em.shared = shared
        .iter()
        .enumerate()
        .map(|(i, (k, _, _))| (k.clone(), i))
        .collect();

    // Entries: one static node each.
    let mut filter_items = Vec::new();
    let mut entry_items = Vec::new();
    let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (e, (a, (mask, conj))) in alts.iter().zip(&rest).enumerate() {
        // Condition: shared conjuncts first (in shared order), then the rest.
        let mut parts: Vec<(usize, TokenStream)> = Vec::new();
        for &c in conj {
            let order = em
                .shared
                .get(&shared_key(c))
                .map_or(MAX_SHARED + 1, |&i| i + 1);
            parts.push((order, em.node(c, true)));
        }
        parts.sort_by_key(|(o, _)| *o);
        let parts: Vec<TokenStream> = parts.into_iter().map(|(_, t)| t).collect();
        let node = match parts.len() {
            0 => quote! { N::Const(true) },
            1 => parts[0].clone(),
            _ => quote! { N::And(&[#(#parts),*]) },
        };
        let ename = format_ident!("__EQLC_E{}", e);
        filter_items.push(quote! { static #ename: N = #node; });
        let fl = u32_lit(a.filter);
        entry_items.push(quote! { __T::TableEntry { filter: #fl, node: &#ename, mask: #mask } });
        if !served[e] {
            groups.entry(*mask).or_default().push(e);
        }
    }

    let mut filter_entries = Vec::new();
    let mut rule_entries = Vec::new();
    let mut gf = 0usize; // global filter index
    for (ri, rule) in plan.rules.iter().enumerate() {
        let first = gf;
        for f in &rule.filters {
            let keys = f.keys.iter().map(|(slot, o)| {
                let s = u32_lit(*slot);
                quote! { (#s, #o) }
            });
            let ril = u32_lit(ri);
            filter_entries.push(quote! {
                __T::TableFilter { keys: &[#(#keys),*], rule: #ril }
            });
            gf += 1;
        }
        let rule_id = &infos[ri].rule_id;
        let kind = match &rule.kind {
            RuleKind::Event => quote! { __T::TableRuleKind::Event },
            RuleKind::Sequence {
                stages,
                maxspan,
                until,
            } => {
                let spec = format_ident!("__EQLC_R{}_SPEC", ri);
                let nkeys = rule.filters[stages[0].0].keys.len();
                let stage_specs = stages.iter().map(|(f, missing)| {
                    quote! { #rt::sequence::StageSpec { filter: #f, missing: #missing } }
                });
                let maxspan = match maxspan {
                    Some(m) => quote! { ::core::option::Option::Some(#m) },
                    None => quote! { ::core::option::Option::None },
                };
                let until_t = match until {
                    Some(u) => quote! { ::core::option::Option::Some(#u) },
                    None => quote! { ::core::option::Option::None },
                };
                filter_items.push(quote! {
                    static #spec: #rt::sequence::SequenceSpec = #rt::sequence::SequenceSpec {
                        stages: &[#(#stage_specs),*],
                        keys: #nkeys,
                        maxspan: #maxspan,
                        until_filter: #until_t,
                    };
                });
                quote! { __T::TableRuleKind::Sequence(&#spec) }
            }
            RuleKind::Sample => {
                let spec = format_ident!("__EQLC_R{}_SAMPLE", ri);
                let filters = 0..rule.filters.len();
                let nkeys = rule.filters.first().map_or(0, |f| f.keys.len());
                filter_items.push(quote! {
                    static #spec: #rt::sample::SampleSpec = #rt::sample::SampleSpec {
                        filters: &[#(#filters),*],
                        keys: #nkeys,
                    };
                });
                quote! { __T::TableRuleKind::Sample(&#spec) }
            }
        };
        let pipes = pipes_tokens(&rule.pipes, rt);
        let (fl, nf) = (u32_lit(first), u32_lit(rule.filters.len()));
        rule_entries.push(quote! {
            __T::TableRule {
                kind: #kind, first_filter: #fl, filters: #nf, pipes: #pipes, rule_id: #rule_id,
            }
        });
    }
    // Gate table: per slot, values sorted with their bits.
    let mut slots: BTreeMap<usize, Vec<(&str, usize)>> = BTreeMap::new();
    for (b, (s, n)) in gates.iter().enumerate() {
        slots.entry(*s).or_default().push((n, b));
    }
    let gate_slots = slots.iter().map(|(s, names)| {
        let s = u32_lit(*s);
        let mut names = names.clone();
        names.sort();
        let ns = names.iter().map(|(n, b)| {
            let b = u32_lit(*b);
            quote! { (#n, #b) }
        });
        quote! { __T::GateSlot { slot: #s, names: &[#(#ns),*] } }
    });
    let groups = groups.iter().map(|(mask, fs)| {
        let fs = fs.iter().map(|&f| u32_lit(f));
        quote! { __T::FilterGroup { mask: #mask, entries: &[#(#fs),*] } }
    });
    let indexes = index.iter().map(|(slot, keys)| {
        let s = u32_lit(*slot);
        let mut es: Vec<(u64, &String, &Vec<usize>)> = keys
            .iter()
            .map(|(k, fs)| (eqlc_runtime::text::fold_hash(k), k, fs))
            .collect();
        es.sort();
        let es = es.iter().map(|(h, k, fs)| {
            let fs = fs.iter().map(|&f| u32_lit(f));
            quote! { (#h, #k, &[#(#fs),*]) }
        });
        quote! { __T::KeyIndex { slot: #s, entries: &[#(#es),*] } }
    });
    let literal_indexes = lit_index.iter().map(|(slot, lits)| {
        let s = u32_lit(*slot);
        let ls = lits.iter().map(|(l, es)| {
            let es = es.iter().map(|&e| u32_lit(e));
            quote! { (#l, &[#(#es),*]) }
        });
        quote! { __T::LiteralIndex { slot: #s, literals: &[#(#ls),*] } }
    });
    let nentries = entry_items.len();
    let statics = &em.statics;
    let computed = &em.computed;

    quote! {
        #[doc = #doc]
        #vis struct #name {
            table: #rt::table::TableState,
        }

        const _: () = {
            #[allow(unused_imports)]
            use #rt::__private as __rt;
            #[allow(unused_imports)]
            use __rt::Record as _;
            use #rt::table as __T;
            #[allow(unused_imports)]
            use __T::{Node as N, TextOp as T};

            static __EQLC_FIELDS: [&str; #nfields] = [#(#fields),*];
            static __EQLC_RULES: [#rt::RuleMeta; #nrules] = [#(#metas),*];

            #(#statics)*
            #(#filter_items)*

            static __EQLC_FILTERS: [__T::TableFilter; #nfilters] = [#(#filter_entries),*];
            static __EQLC_ENTRIES: [__T::TableEntry; #nentries] = [#(#entry_items),*];
            static __EQLC_TABLE: __T::TableSpec = __T::TableSpec {
                rules: &[#(#rule_entries),*],
                filters: &__EQLC_FILTERS,
                entries: &__EQLC_ENTRIES,
                gates: &[#(#gate_slots),*],
                groups: &[#(#groups),*],
                index: &[#(#indexes),*],
                literals: &[#(#literal_indexes),*],
                shared: &[#(#shared_nodes),*],
            };

            #[allow(clippy::all, unused_parens, unreachable_code, unused_variables)]
            fn __eqlc_computed<R: __rt::Record + ?Sized>(rec: &R, i: u32) -> bool {
                match i {
                    #(#computed)*
                    _ => false,
                }
            }

            impl #name {
                #[doc = #new_doc]
                pub fn new() -> Self {
                    Self::with_capacity(#cap)
                }

                /// A pack whose sequence rules keep at most `capacity` pending join keys
                /// each (the oldest is evicted, and counted, when full).
                pub fn with_capacity(capacity: usize) -> Self {
                    Self::with_options(capacity, usize::MAX, 1)
                }

                /// [`Self::with_capacity`], plus the knobs of `sample` rules (the
                /// Elasticsearch API's `size` and `max_samples_per_key`): each sample rule
                /// emits at most `sample_size` samples, at most `max_samples_per_key` per
                /// join key (and tracks at most `capacity` keys).
                pub fn with_options(
                    capacity: usize,
                    sample_size: usize,
                    max_samples_per_key: usize,
                ) -> Self {
                    Self {
                        table: __T::TableState::new(
                            &__EQLC_TABLE, capacity, sample_size, max_samples_per_key,
                        ),
                    }
                }
            }

            impl ::core::default::Default for #name {
                fn default() -> Self {
                    Self::new()
                }
            }

            impl __rt::RulePack for #name {
                fn fields(&self) -> &'static [&'static str] {
                    &__EQLC_FIELDS
                }

                fn rules(&self) -> &'static [#rt::RuleMeta] {
                    &__EQLC_RULES
                }

                fn on_event<R: __rt::Record + ?Sized>(
                    &mut self,
                    rec: &R,
                    ev: __rt::EventRef,
                    out: &mut dyn FnMut(__rt::Alert<'_>),
                ) {
                    self.table.on_event(rec, ev, __eqlc_computed::<R>, out);
                }

                fn flush(&mut self, out: &mut dyn FnMut(__rt::Alert<'_>)) {
                    self.table.flush(out);
                }

                fn stats(&self) -> __rt::PackStats {
                    self.table.stats()
                }

                fn stateful_rules(&self) -> usize {
                    #stateful
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(slot: usize, s: &str) -> Pred {
        Pred::Text {
            slot,
            test: TextTest::Exact {
                s: s.into(),
                fold: false,
            },
        }
    }

    fn contains(slot: usize, s: &str) -> Pred {
        Pred::Text {
            slot,
            test: TextTest::Contains {
                s: s.into(),
                fold: true,
            },
        }
    }

    /// Entries (gate mask 0) from conjunct lists.
    fn rest(entries: &[Vec<Pred>]) -> Vec<(u64, Vec<&Pred>)> {
        entries.iter().map(|c| (0, c.iter().collect())).collect()
    }

    fn keys(map: &IndexMap, slot: usize) -> Vec<(String, Vec<usize>)> {
        map.get(&slot)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    // slots: 0 event.action, 1 process.name, 2 process.command_line
    #[test]
    fn a_key_many_entries_name_loses_to_a_rare_one() {
        let names = ["curl", "wget", "nc", "socat", "perl"];
        let entries: Vec<Vec<Pred>> = names
            .iter()
            .map(|n| vec![exact(0, "exec"), exact(1, n)])
            .collect();
        let (index, lits, served) = choose_indexes(&rest(&entries));
        assert_eq!(served, vec![true; 5]);
        assert!(keys(&index, 0).is_empty(), "indexed by the popular `exec`");
        assert_eq!(keys(&index, 1).len(), 5);
        assert!(lits.is_empty());
    }

    #[test]
    fn a_disjunction_is_registered_under_every_branch() {
        let entries = vec![vec![
            exact(0, "exec"),
            Pred::Or(vec![exact(1, "curl"), contains(2, "wget ")]),
        ]];
        // `exec` costs 11 (entries naming it); the disjunction 1 + (1 + a 5-byte literal's
        // penalty 6) = 8.
        let mut all = entries.clone();
        for _ in 0..10 {
            all.push(vec![exact(0, "exec")]);
        }
        let (index, lits, served) = choose_indexes(&rest(&all));
        assert!(served[0]);
        assert_eq!(keys(&index, 1), vec![("curl".to_string(), vec![0])]);
        assert_eq!(keys(&lits, 2), vec![("wget ".to_string(), vec![0])]);
        // the entries with only `exec` are reached through it
        assert_eq!(
            keys(&index, 0),
            vec![("exec".to_string(), (1..=10).collect())]
        );
    }

    #[test]
    fn negations_and_wide_disjunctions_are_not_covers() {
        let wide: Vec<Pred> = (0..=MAX_COVER)
            .map(|i| exact(1, &format!("p{i}")))
            .collect();
        let entries = vec![
            vec![Pred::Not(Box::new(exact(1, "curl")))],
            vec![Pred::Or(wide)],
            vec![Pred::Or(vec![exact(1, "curl"), Pred::Exists { slot: 2 }])],
        ];
        let (index, lits, served) = choose_indexes(&rest(&entries));
        assert_eq!(served, vec![false, false, false]);
        assert!(index.is_empty() && lits.is_empty());
    }

    #[test]
    fn a_list_of_values_and_patterns_is_served_by_both_indexes() {
        // process.name : ("sh", "bash", "python*"): "sh" is too short for the literal
        // index, so only a split serves it — the exact names as values, the pattern's
        // literal in the literal index.
        let list = Pred::Text {
            slot: 1,
            test: TextTest::AnyOf(vec![
                TextTest::Set {
                    values: vec!["bash".into(), "sh".into()],
                    fold: false,
                },
                TextTest::Prefix {
                    s: "python".into(),
                    fold: false,
                },
            ]),
        };
        let mut entries = vec![vec![exact(0, "exec"), list]];
        entries.extend((0..10).map(|_| vec![exact(0, "exec")]));
        let (index, lits, served) = choose_indexes(&rest(&entries));
        assert!(served[0]);
        assert_eq!(
            keys(&index, 1),
            vec![("bash".to_string(), vec![0]), ("sh".to_string(), vec![0])]
        );
        assert_eq!(keys(&lits, 1), vec![("python".to_string(), vec![0])]);
        assert!(!keys(&index, 0).iter().any(|(_, v)| v.contains(&0)));
        // a member without a literal (a regex) leaves no cover on that leaf
        let regex = Pred::Text {
            slot: 1,
            test: TextTest::AnyOf(vec![
                TextTest::Exact {
                    s: "sh".into(),
                    fold: false,
                },
                TextTest::Regex {
                    pattern: "py.*".into(),
                },
            ]),
        };
        assert_eq!(leaf_candidate(&regex), None);
    }

    #[test]
    fn list_members_need_their_longest_literal() {
        let lit = |t: TextTest| member_literal(&t);
        let glob = |p: &str, fold| TextTest::Glob { p: p.into(), fold };
        assert_eq!(lit(glob("*echo*wscript*", true)), "wscript");
        assert_eq!(lit(glob("?:\\Users\\*", false)), ":\\users\\");
        assert_eq!(
            lit(TextTest::Exact {
                s: "Run".into(),
                fold: false
            }),
            "run"
        );
        // no single literal: sets, regexes, non-ASCII text
        let set = TextTest::Set {
            values: vec!["a".into(), "b".into()],
            fold: false,
        };
        assert_eq!(lit(set), "");
        assert_eq!(
            lit(TextTest::Regex {
                pattern: "a.*".into()
            }),
            ""
        );
        assert_eq!(
            lit(TextTest::Contains {
                s: "straße".into(),
                fold: true
            }),
            ""
        );
    }

    #[test]
    fn short_literals_weigh_more_than_long_ones() {
        assert!(literal_penalty(3) > literal_penalty(6));
        assert_eq!(literal_penalty(8), 0);
        // one entry: a 3-byte literal or a 12-byte one — the long one serves it
        let entries = vec![vec![contains(2, "abc"), contains(1, "powershell.e")]];
        let (_, lits, _) = choose_indexes(&rest(&entries));
        assert!(keys(&lits, 2).is_empty());
        assert_eq!(keys(&lits, 1).len(), 1);
    }
}

//! The optimised plan: what the code generator emits, one step away from Rust.
//!
//! [`plan_pack`] lowers checked queries ([`crate::ir::Query`]) into a [`PackPlan`]:
//! * every field the pack reads gets a slot number, shared by all rules (the category
//!   field too), so matchers read slots, never names;
//! * constant sub-expressions are folded (with the reference evaluator in
//!   [`crate::interp`], so folding and run time agree);
//! * leaves on a plain field become specialised tests: wildcard patterns are classified
//!   as exact / prefix / suffix / contains / glob with their case folded once, long value
//!   lists become static sets, `cidrMatch` blocks are parsed, regexes translated;
//! * `and`/`or` are flattened and their operands ordered cheapest first (evaluation has
//!   no side effects, so order never changes a result).
//!
//! Everything else (functions and arithmetic over fields) stays an expression
//! ([`Pred::Computed`]) that generated code evaluates per combination of field values.

use std::collections::BTreeMap;

use crate::interp;
use crate::ir::{self, Body, CmpOp, ExprKind, FieldType, Func, Literal, Pipe};
use eqlc_runtime::cidr::Cidr;

/// A whole rule pack.
#[derive(Debug, Clone, PartialEq)]
pub struct PackPlan {
    /// Field paths by slot number.
    pub fields: Vec<String>,
    /// One plan per rule, in input order.
    pub rules: Vec<RulePlan>,
}

impl PackPlan {
    /// How many rules keep state between events (sequences and samples).
    pub fn stateful_rules(&self) -> usize {
        self.rules
            .iter()
            .filter(|r| !matches!(r.kind, RuleKind::Event))
            .count()
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePlan {
    /// Slot of the category field of this rule.
    pub category_slot: usize,
    /// Distinct filters (stage conditions); sequences refer to them by index.
    pub filters: Vec<Filter>,
    /// Shape.
    pub kind: RuleKind,
    /// Pipes in order.
    pub pipes: Vec<Pipe>,
}

/// One stage filter: category test and condition, plus the stage's join keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// `None` for `any`.
    pub category: Option<String>,
    /// Condition.
    pub pred: Pred,
    /// Join keys: (slot, optional).
    pub keys: Vec<(usize, bool)>,
}

/// The shape of a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Event query over filter 0.
    Event,
    /// Sequence: stages with `runs` expanded.
    Sequence {
        /// (filter index, missing) per expanded stage.
        stages: Vec<(usize, bool)>,
        /// Nanoseconds.
        maxspan: Option<u64>,
        /// Filter index of `until`.
        until: Option<usize>,
    },
    /// Sample over filters 0..n.
    Sample,
}

/// A predicate over one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    /// Always true / always false.
    Const(bool),
    /// All of.
    And(Vec<Pred>),
    /// Any of.
    Or(Vec<Pred>),
    /// Negation of a leaf (or of a compound).
    Not(Box<Pred>),
    /// Some value of the slot, read as keyword text, passes the test.
    Text {
        /// Slot.
        slot: usize,
        /// Test.
        test: TextTest,
    },
    /// The slot has at least one non-null value.
    Exists {
        /// Slot.
        slot: usize,
    },
    /// Some value of the slot compares with a constant.
    Cmp {
        /// Slot.
        slot: usize,
        /// Field type (decides how values compare).
        ty: FieldType,
        /// Operator (field on the left).
        op: CmpOp,
        /// Constant on the right.
        lit: Literal,
    },
    /// Some value of the slot is an IP inside one of the blocks.
    Cidr {
        /// Slot.
        slot: usize,
        /// Blocks, parsed at build time.
        blocks: Vec<Cidr>,
    },
    /// A computed leaf: evaluated per combination of its fields' values; true iff some
    /// combination yields `true`.
    Computed(ir::Expr),
}

/// A test of one string.
#[derive(Debug, Clone, PartialEq)]
pub enum TextTest {
    /// Equal (to the folded pattern when `fold`).
    Exact {
        /// The string (already folded when `fold`).
        s: String,
        /// Case-insensitive.
        fold: bool,
    },
    /// Starts with.
    Prefix {
        /// The prefix (folded when `fold`).
        s: String,
        /// Case-insensitive.
        fold: bool,
    },
    /// Ends with.
    Suffix {
        /// The suffix (folded when `fold`).
        s: String,
        /// Case-insensitive.
        fold: bool,
    },
    /// Contains.
    Contains {
        /// The needle (folded when `fold`).
        s: String,
        /// Case-insensitive.
        fold: bool,
    },
    /// Wildcard pattern with `*`/`?` that is none of the above.
    Glob {
        /// The pattern (folded when `fold`).
        p: String,
        /// Case-insensitive.
        fold: bool,
    },
    /// Membership in a set of exact strings (folded when `fold`), sorted, deduplicated.
    Set {
        /// The members.
        values: Vec<String>,
        /// Case-insensitive.
        fold: bool,
    },
    /// Any string.
    AnyString,
    /// A regular expression (already translated to the runtime's syntax, anchored).
    Regex {
        /// Translated pattern.
        pattern: String,
    },
    /// Any of several tests.
    AnyOf(Vec<TextTest>),
}

/// Lists with at least this many exact members become a static set.
pub const SET_THRESHOLD: usize = 6;

/// Errors found while planning (invalid regex or CIDR that the checker let through).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    /// Message.
    pub message: String,
    /// Where.
    pub span: ir::Span,
}

/// Plan a pack from checked queries.
pub fn plan_pack(queries: &[&ir::Query]) -> Result<PackPlan, Vec<(usize, PlanError)>> {
    let mut slots = Slots::default();
    // Number every field first, in a deterministic order (sorted paths), so that slot
    // numbers do not depend on the order rules reference them.
    let mut all = Vec::new();
    for q in queries {
        all.push(q.category_field.path.clone());
        for st in q.stages() {
            st.condition
                .for_each_field(&mut |f| all.push(f.path.clone()));
            all.extend(st.keys.iter().map(|k| k.path.clone()));
        }
    }
    all.sort();
    all.dedup();
    for p in &all {
        slots.slot(p);
    }
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let mut errs = Vec::new();
        let r = plan_rule(q, &mut slots, &mut errs);
        errors.extend(errs.into_iter().map(|e| (i, e)));
        rules.push(r);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PackPlan {
        fields: slots.paths,
        rules,
    })
}

#[derive(Default)]
struct Slots {
    paths: Vec<String>,
    by_path: BTreeMap<String, usize>,
}

impl Slots {
    fn slot(&mut self, path: &str) -> usize {
        if let Some(&i) = self.by_path.get(path) {
            return i;
        }
        let i = self.paths.len();
        self.paths.push(path.to_string());
        self.by_path.insert(path.to_string(), i);
        i
    }
}

/// The filter of one stage: category, optimised condition, join-key slots.
fn filter(st: &ir::Stage, slots: &mut Slots, errs: &mut Vec<PlanError>) -> Filter {
    Filter {
        category: match &st.category {
            ir::Category::Any => None,
            ir::Category::Named(n) => Some(n.clone()),
        },
        pred: optimize(lower(&st.condition, slots, errs)),
        keys: st
            .keys
            .iter()
            .map(|k| (slots.slot(&k.path), k.optional))
            .collect(),
    }
}

fn plan_rule(q: &ir::Query, slots: &mut Slots, errs: &mut Vec<PlanError>) -> RulePlan {
    let category_slot = slots.slot(&q.category_field.path);
    let mut filters = Vec::new();
    // Identical stage filters of a sequence share one index (evaluated once per event).
    let mut filter_of = |st: &ir::Stage, slots: &mut Slots, errs: &mut Vec<PlanError>| {
        let f = filter(st, slots, errs);
        if let Some(i) = filters.iter().position(|g| *g == f) {
            i
        } else {
            filters.push(f);
            filters.len() - 1
        }
    };
    let kind = match &q.body {
        Body::Event(st) => {
            filter_of(st, slots, errs);
            RuleKind::Event
        }
        Body::Sequence(s) => {
            let mut stages = Vec::new();
            for st in &s.stages {
                let f = filter_of(st, slots, errs);
                for _ in 0..st.runs.max(1) {
                    stages.push((f, st.missing));
                }
            }
            let until = s.until.as_ref().map(|u| filter_of(u, slots, errs));
            RuleKind::Sequence {
                stages,
                maxspan: s.maxspan,
                until,
            }
        }
        Body::Sample(s) => {
            // Sample filters stay one per stage even when identical: each takes its
            // own event.
            for st in &s.stages {
                filters.push(filter(st, slots, errs));
            }
            RuleKind::Sample
        }
    };
    RulePlan {
        category_slot,
        filters,
        kind,
        pipes: q.pipes.clone(),
    }
}

/// Lower one condition into a predicate (before ordering).
fn lower(e: &ir::Expr, slots: &mut Slots, errs: &mut Vec<PlanError>) -> Pred {
    if e.is_constant() {
        return Pred::Const(matches!(interp::eval_const(e), interp::Val::Bool(true)));
    }
    match &e.kind {
        ExprKind::And(v) => Pred::And(v.iter().map(|x| lower(x, slots, errs)).collect()),
        ExprKind::Or(v) => Pred::Or(v.iter().map(|x| lower(x, slots, errs)).collect()),
        ExprKind::Not(x) => Pred::Not(Box::new(lower(x, slots, errs))),
        ExprKind::Field(f) => Pred::Cmp {
            slot: slots.slot(&f.path),
            ty: f.ty,
            op: CmpOp::Eq,
            lit: Literal::Bool(true),
        },
        ExprKind::IsNull(x) => match &x.kind {
            ExprKind::Field(f) => Pred::Not(Box::new(Pred::Exists {
                slot: slots.slot(&f.path),
            })),
            _ => computed(e, slots),
        },
        ExprKind::Compare { op, lhs, rhs } => {
            let (field, op, lit) = match (&lhs.kind, &rhs.kind) {
                (ExprKind::Field(f), _) if rhs.is_constant() => (f, *op, interp::eval_const(rhs)),
                (_, ExprKind::Field(f)) if lhs.is_constant() => {
                    (f, flip(*op), interp::eval_const(lhs))
                }
                _ => return computed(e, slots),
            };
            let slot = slots.slot(&field.path);
            let lit = match interp::val_to_literal(&lit) {
                Some(l) => l,
                None => return Pred::Const(false),
            };
            match (&lit, op, field.ty) {
                (Literal::Str(s), CmpOp::Eq, FieldType::Unknown | FieldType::Keyword) => {
                    Pred::Text {
                        slot,
                        test: TextTest::Exact {
                            s: s.clone(),
                            fold: false,
                        },
                    }
                }
                (Literal::Null, _, _) => Pred::Const(false),
                _ => Pred::Cmp {
                    slot,
                    ty: field.ty,
                    op,
                    lit,
                },
            }
        }
        ExprKind::In {
            expr,
            list,
            case_insensitive,
        } => {
            let ExprKind::Field(f) = &expr.kind else {
                return computed(e, slots);
            };
            let slot = slots.slot(&f.path);
            let textual = matches!(f.ty, FieldType::Unknown | FieldType::Keyword);
            let mut strs = Vec::new();
            let mut others = Vec::new();
            for l in list {
                match l {
                    Literal::Str(s) if textual || *case_insensitive => strs.push(s.clone()),
                    Literal::Null => {}
                    other => others.push(Pred::Cmp {
                        slot,
                        ty: f.ty,
                        op: CmpOp::Eq,
                        lit: other.clone(),
                    }),
                }
            }
            let mut alts = others;
            if !strs.is_empty() {
                alts.push(Pred::Text {
                    slot,
                    test: exact_list(strs, *case_insensitive),
                });
            }
            Pred::Or(alts)
        }
        ExprKind::Like {
            expr,
            patterns,
            case_insensitive,
        } => {
            let ExprKind::Field(f) = &expr.kind else {
                return computed(e, slots);
            };
            let slot = slots.slot(&f.path);
            Pred::Text {
                slot,
                test: wildcard_list(patterns, *case_insensitive),
            }
        }
        ExprKind::Regex {
            expr,
            patterns,
            case_insensitive,
        } => {
            let ExprKind::Field(f) = &expr.kind else {
                return computed(e, slots);
            };
            let slot = slots.slot(&f.path);
            let joined = patterns.join("|");
            match eqlc_runtime::regex::lucene_to_rust_regex(&joined, *case_insensitive) {
                Ok(pattern) => Pred::Text {
                    slot,
                    test: TextTest::Regex { pattern },
                },
                Err(message) => {
                    errs.push(PlanError {
                        message: format!("invalid regular expression: {message}"),
                        span: e.span.clone(),
                    });
                    Pred::Const(false)
                }
            }
        }
        ExprKind::Call {
            func: Func::CidrMatch,
            args,
            ..
        } if matches!(args[0].kind, ExprKind::Field(_))
            && args[1..].iter().all(|a| a.is_constant()) =>
        {
            let ExprKind::Field(f) = &args[0].kind else {
                unreachable!("guarded above")
            };
            let slot = slots.slot(&f.path);
            let mut blocks = Vec::new();
            for a in &args[1..] {
                match interp::eval_const(a) {
                    interp::Val::Str(s) => match Cidr::parse(&s) {
                        Ok(c) => blocks.push(c),
                        Err(m) => errs.push(PlanError {
                            message: format!("invalid CIDR block `{s}`: {m}"),
                            span: a.span.clone(),
                        }),
                    },
                    _ => errs.push(PlanError {
                        message: "cidrMatch blocks must be strings".into(),
                        span: a.span.clone(),
                    }),
                }
            }
            Pred::Cidr { slot, blocks }
        }
        _ => computed(e, slots),
    }
}

fn computed(e: &ir::Expr, slots: &mut Slots) -> Pred {
    e.for_each_field(&mut |f| {
        slots.slot(&f.path);
    });
    Pred::Computed(e.clone())
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
    }
}

fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    eqlc_runtime::text::fold_str_into(s, &mut out);
    out
}

/// Exact strings (for `in`, `in~`, and `:` without wildcards).
fn exact_list(mut values: Vec<String>, fold_case: bool) -> TextTest {
    if fold_case {
        values = values.iter().map(|v| fold(v)).collect();
    }
    values.sort();
    values.dedup();
    if values.len() == 1 {
        TextTest::Exact {
            s: values.pop().expect("one value"),
            fold: fold_case,
        }
    } else if values.len() >= SET_THRESHOLD {
        TextTest::Set {
            values,
            fold: fold_case,
        }
    } else {
        TextTest::AnyOf(
            values
                .into_iter()
                .map(|s| TextTest::Exact { s, fold: fold_case })
                .collect(),
        )
    }
}

/// Classify one wildcard pattern (`*` any run, `?` one character, no escapes).
pub fn classify(pattern: &str, fold_case: bool) -> TextTest {
    let p = if fold_case {
        fold(pattern)
    } else {
        pattern.to_string()
    };
    if p.contains('?') {
        return TextTest::Glob { p, fold: fold_case };
    }
    let stars = p.matches('*').count();
    if stars == 0 {
        return TextTest::Exact {
            s: p,
            fold: fold_case,
        };
    }
    if p.chars().all(|c| c == '*') {
        return TextTest::AnyString;
    }
    let inner = p.trim_matches('*');
    let lead = p.starts_with('*');
    let trail = p.ends_with('*');
    if !inner.contains('*') {
        let s = inner.to_string();
        return match (lead, trail) {
            (false, true) => TextTest::Prefix { s, fold: fold_case },
            (true, false) => TextTest::Suffix { s, fold: fold_case },
            (true, true) => TextTest::Contains { s, fold: fold_case },
            (false, false) => unreachable!("a star is somewhere"),
        };
    }
    TextTest::Glob { p, fold: fold_case }
}

fn wildcard_list(patterns: &[String], fold_case: bool) -> TextTest {
    let mut exact = Vec::new();
    let mut rest = Vec::new();
    for p in patterns {
        match classify(p, fold_case) {
            TextTest::Exact { s, .. } => exact.push(s),
            TextTest::AnyString => return TextTest::AnyString,
            t => rest.push(t),
        }
    }
    let mut alts = Vec::new();
    if !exact.is_empty() {
        // Already folded: do not fold again.
        exact.sort();
        exact.dedup();
        if exact.len() >= SET_THRESHOLD {
            alts.push(TextTest::Set {
                values: exact,
                fold: fold_case,
            });
        } else {
            alts.extend(
                exact
                    .into_iter()
                    .map(|s| TextTest::Exact { s, fold: fold_case }),
            );
        }
    }
    rest.sort_by_key(text_cost);
    alts.extend(rest);
    if alts.len() == 1 {
        alts.pop().expect("one")
    } else {
        TextTest::AnyOf(alts)
    }
}

fn text_cost(t: &TextTest) -> u32 {
    match t {
        TextTest::AnyString => 0,
        TextTest::Exact { .. } => 1,
        TextTest::Set { .. } => 2,
        TextTest::Prefix { .. } | TextTest::Suffix { .. } => 2,
        TextTest::Contains { .. } => 4,
        TextTest::Glob { .. } => 6,
        TextTest::Regex { .. } => 12,
        TextTest::AnyOf(v) => v.iter().map(text_cost).sum(),
    }
}

/// Estimated cost of evaluating a predicate (relative units).
pub fn cost(p: &Pred) -> u32 {
    match p {
        Pred::Const(_) => 0,
        Pred::Exists { .. } => 1,
        Pred::Text { test, .. } => 1 + text_cost(test),
        Pred::Cmp { .. } => 2,
        Pred::Cidr { blocks, .. } => 3 + blocks.len() as u32,
        Pred::Not(x) => cost(x),
        Pred::And(v) | Pred::Or(v) => v.iter().map(cost).sum(),
        Pred::Computed(_) => 40,
    }
}

/// A guess at how often a text test passes on an event that has the field: nothing is
/// known of the events at build time, so these are round figures that only need to be in
/// the right order (an exact value is rarer than a fragment, a fragment rarer than "any").
fn text_pass(t: &TextTest) -> f64 {
    match t {
        TextTest::AnyString => 0.9,
        TextTest::Exact { .. } => 0.02,
        TextTest::Set { values, .. } => (0.02 * values.len() as f64).min(0.3),
        TextTest::Prefix { .. } | TextTest::Suffix { .. } => 0.05,
        TextTest::Contains { .. } | TextTest::Glob { .. } => 0.05,
        TextTest::Regex { .. } => 0.1,
        TextTest::AnyOf(v) => 1.0 - v.iter().map(|x| 1.0 - text_pass(x)).product::<f64>(),
    }
}

/// Estimated probability that `p` holds for an event, treating operands as independent
/// (see `text_pass`). Used only to order operands: `optimize` puts the conjunct most
/// likely to fail cheaply first, so a rare test (`problemchild.prediction == 1`) runs
/// before long lists of exclusions (`not process.name : (...)`) that nearly always pass.
pub fn pass_probability(p: &Pred) -> f64 {
    match p {
        Pred::Const(b) => f64::from(u8::from(*b)),
        Pred::Exists { .. } => 0.7,
        Pred::Text { test, .. } => text_pass(test),
        Pred::Cmp { op, .. } => match op {
            CmpOp::Eq => 0.1,
            _ => 0.4,
        },
        Pred::Cidr { .. } => 0.3,
        Pred::Computed(_) => 0.3,
        Pred::Not(x) => 1.0 - pass_probability(x),
        Pred::And(v) => v.iter().map(pass_probability).product(),
        Pred::Or(v) => 1.0 - v.iter().map(|x| 1.0 - pass_probability(x)).product::<f64>(),
    }
}

/// Order key of a conjunct: expected cost per chance of ending the conjunction (lower
/// first). Sorting by it minimises the expected cost of a short-circuit `and` of
/// independent operands.
fn and_rank(p: &Pred) -> f64 {
    f64::from(cost(p)) / (1.0 - pass_probability(p)).max(1e-6)
}

/// Order key of a disjunct: expected cost per chance of ending the disjunction.
fn or_rank(p: &Pred) -> f64 {
    f64::from(cost(p)) / pass_probability(p).max(1e-6)
}

/// Flatten, fold constants and order operands so that the cheapest and most decisive
/// come first (`and_rank`, `or_rank`). Evaluation has no side effects, so the order
/// changes only the cost, never the result.
pub fn optimize(p: Pred) -> Pred {
    match p {
        Pred::And(v) => {
            let mut out = Vec::new();
            for x in v.into_iter().map(optimize) {
                match x {
                    Pred::Const(true) => {}
                    Pred::Const(false) => return Pred::Const(false),
                    Pred::And(inner) => out.extend(inner),
                    x => out.push(x),
                }
            }
            // Cheapest per chance of failing first: the conjunct that ends the test soonest.
            out.sort_by(|a, b| and_rank(a).total_cmp(&and_rank(b)));
            match out.len() {
                0 => Pred::Const(true),
                1 => out.pop().expect("one"),
                _ => Pred::And(out),
            }
        }
        Pred::Or(v) => {
            let mut out = Vec::new();
            for x in v.into_iter().map(optimize) {
                match x {
                    Pred::Const(false) => {}
                    Pred::Const(true) => return Pred::Const(true),
                    Pred::Or(inner) => out.extend(inner),
                    x => out.push(x),
                }
            }
            // Cheapest per chance of passing first.
            out.sort_by(|a, b| or_rank(a).total_cmp(&or_rank(b)));
            match out.len() {
                0 => Pred::Const(false),
                1 => out.pop().expect("one"),
                _ => Pred::Or(out),
            }
        }
        Pred::Not(x) => match optimize(*x) {
            Pred::Const(b) => Pred::Const(!b),
            Pred::Not(y) => *y,
            y => Pred::Not(Box::new(y)),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(slot: usize, s: &str) -> Pred {
        Pred::Text {
            slot,
            test: TextTest::Exact {
                s: s.into(),
                fold: false,
            },
        }
    }

    fn not(p: Pred) -> Pred {
        Pred::Not(Box::new(p))
    }

    #[test]
    fn a_rare_test_goes_before_exclusions_that_nearly_always_pass() {
        // `not x == "a" and not x == "b" and p == 1`: the exclusions cost as much as the
        // comparison, but it is the one likely to end the conjunction.
        let cmp = Pred::Cmp {
            slot: 2,
            ty: FieldType::Integer,
            op: CmpOp::Eq,
            lit: Literal::Int(1),
        };
        let p = optimize(Pred::And(vec![
            not(leaf(1, "a")),
            not(leaf(1, "b")),
            cmp.clone(),
        ]));
        assert_eq!(
            p,
            Pred::And(vec![cmp, not(leaf(1, "a")), not(leaf(1, "b"))])
        );
        // in a disjunction, the branch most likely to hold goes first
        let p = optimize(Pred::Or(vec![leaf(1, "a"), not(leaf(1, "b"))]));
        assert_eq!(p, Pred::Or(vec![not(leaf(1, "b")), leaf(1, "a")]));
    }

    #[test]
    fn pass_probabilities_combine_as_for_independent_tests() {
        let a = leaf(1, "a");
        let pa = pass_probability(&a);
        assert!(pa > 0.0 && pa < 0.1);
        let both = pass_probability(&Pred::And(vec![a.clone(), leaf(2, "b")]));
        assert!((both - pa * pa).abs() < 1e-12);
        let either = pass_probability(&Pred::Or(vec![a.clone(), leaf(2, "b")]));
        assert!((either - (1.0 - (1.0 - pa) * (1.0 - pa))).abs() < 1e-12);
        assert!((pass_probability(&not(a)) - (1.0 - pa)).abs() < 1e-12);
        assert_eq!(pass_probability(&Pred::Const(true)), 1.0);
    }
}

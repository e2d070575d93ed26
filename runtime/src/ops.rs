//! Operators over computed values ([`Val`]), with three-valued `null` logic
//! (eql-semantics.md §3.4). Generated code for computed expressions and the compiler's
//! reference interpreter both call these, so folding, interpretation and generated
//! matchers agree by construction.

use core::cmp::Ordering;

use crate::compare::{compare_lit, FieldKind};
use crate::func::Val;
use crate::text::{eq_fold, fold_char, glob};

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// Whether `ord` satisfies the operator.
    #[inline]
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord.is_eq(),
            CmpOp::Lt => ord.is_lt(),
            CmpOp::Le => ord.is_le(),
            CmpOp::Gt => ord.is_gt(),
            CmpOp::Ge => ord.is_ge(),
        }
    }
}

/// Whether a condition's value counts as a match (`true`; `null` and `false` do not).
#[inline]
pub fn truthy(v: &Val<'_>) -> bool {
    matches!(v, Val::Bool(true))
}

/// `not a`: `null` stays `null`.
pub fn not(a: &Val<'_>) -> Val<'static> {
    match a {
        Val::Bool(b) => Val::Bool(!b),
        _ => Val::Null,
    }
}

/// `a and b` (Kleene): `false` wins over `null`.
pub fn and(a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    match (a.as_bool(), b.as_bool()) {
        (Some(false), _) | (_, Some(false)) => Val::Bool(false),
        (Some(true), Some(true)) => Val::Bool(true),
        _ => Val::Null,
    }
}

/// `a or b` (Kleene): `true` wins over `null`.
pub fn or(a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    match (a.as_bool(), b.as_bool()) {
        (Some(true), _) | (_, Some(true)) => Val::Bool(true),
        (Some(false), Some(false)) => Val::Bool(false),
        _ => Val::Null,
    }
}

/// `a op b` where `a` is read with the rules of `kind` (the schema type of the field
/// it comes from; [`FieldKind::Unknown`] for computed values). `null` on either side →
/// `null`; values that cannot be ordered against each other → `false` for `==`, `null`
/// otherwise.
pub fn cmp(a: &Val<'_>, b: &Val<'_>, kind: FieldKind, op: CmpOp) -> Val<'static> {
    if a.is_null() || b.is_null() {
        return Val::Null;
    }
    match compare_lit(a.as_value(), kind, &b.as_value()) {
        Some(o) => Val::Bool(op.holds(o)),
        None if op == CmpOp::Eq => Val::Bool(false),
        None => Val::Null,
    }
}

/// `a == null`: whether `a` is `null`.
pub fn is_null(a: &Val<'_>) -> Val<'static> {
    Val::Bool(a.is_null())
}

/// `a in (list)` / `a in~ (list)` (no wildcards). With `ci`, string members must be
/// folded already (the compiler folds them). `null` → `null`.
pub fn in_list(a: &Val<'_>, list: &[Val<'_>], kind: FieldKind, ci: bool) -> Val<'static> {
    if a.is_null() {
        return Val::Null;
    }
    let hit = list.iter().any(|m| match (ci, m) {
        (true, Val::Str(s)) => with_text(a, |t| eq_fold(t, s)).unwrap_or(false),
        _ => matches!(cmp(a, m, kind, CmpOp::Eq), Val::Bool(true)),
    });
    Val::Bool(hit)
}

/// `a : (patterns)` / `like` / `like~`: wildcard match of the text of `a` against any
/// pattern (folded already when `ci`). `null` → `null`.
pub fn like(a: &Val<'_>, patterns: &[&str], ci: bool) -> Val<'static> {
    match with_text(a, |t| patterns.iter().any(|p| glob(t, p, ci))) {
        Some(b) => Val::Bool(b),
        None => Val::Null,
    }
}

/// Call `f` with the text form of `v` (strings as they are, numbers and booleans as
/// their text); `None` for `null`.
pub fn with_text<R>(v: &Val<'_>, f: impl FnOnce(&str) -> R) -> Option<R> {
    match v {
        Val::Null => None,
        Val::Str(s) => Some(f(s)),
        other => crate::func::with_number_text(other, f),
    }
}

/// Fold a pattern or list member at build time (Unicode simple case folding).
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_logic() {
        let t = Val::Bool(true);
        let f = Val::Bool(false);
        let n = Val::Null;
        assert_eq!(and(&t, &n), Val::Null);
        assert_eq!(and(&f, &n), Val::Bool(false));
        assert_eq!(or(&t, &n), Val::Bool(true));
        assert_eq!(or(&f, &n), Val::Null);
        assert_eq!(not(&n), Val::Null);
    }

    #[test]
    fn comparisons_with_null_are_null() {
        assert_eq!(
            cmp(&Val::Int(1), &Val::Null, FieldKind::Unknown, CmpOp::Lt),
            Val::Null
        );
        assert_eq!(
            cmp(&Val::Int(1), &Val::Int(2), FieldKind::Unknown, CmpOp::Lt),
            Val::Bool(true)
        );
        assert_eq!(
            cmp(
                &Val::from("S"),
                &Val::from("s"),
                FieldKind::Unknown,
                CmpOp::Lt
            ),
            Val::Bool(true)
        );
    }

    #[test]
    fn in_and_like() {
        let list = [Val::from("abc"), Val::Int(5)];
        assert_eq!(
            in_list(&Val::from("abc"), &list, FieldKind::Unknown, false),
            Val::Bool(true)
        );
        assert_eq!(
            in_list(&Val::from("ABC"), &list, FieldKind::Unknown, false),
            Val::Bool(false)
        );
        assert_eq!(
            in_list(&Val::from("ABC"), &list, FieldKind::Unknown, true),
            Val::Bool(true)
        );
        assert_eq!(
            in_list(&Val::Int(5), &list, FieldKind::Unknown, false),
            Val::Bool(true)
        );
        assert_eq!(like(&Val::from("Hello"), &["h*o"], true), Val::Bool(true));
        assert_eq!(like(&Val::from("Hello"), &["h*o"], false), Val::Bool(false));
        assert_eq!(like(&Val::Null, &["*"], false), Val::Null);
    }
}

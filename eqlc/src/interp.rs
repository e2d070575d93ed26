//! The reference evaluator: a small, direct interpreter of [`crate::ir`] conditions.
//!
//! It serves three purposes: constant folding in the planner ([`eval_const`]), a second
//! engine that every generated matcher must agree with (differential tests), and
//! `eqlc` tooling that evaluates a rule without compiling it. Every operator goes
//! through `eqlc_runtime::ops` / `eqlc_runtime::func`, the same functions generated code
//! calls, so the two engines differ only in structure (tree walk vs specialised code).
//!
//! Event-level semantics (eql-semantics.md §3): `and`/`or`/`not` combine *leaves*; a leaf
//! (any other node) is true iff some combination of values of the fields it reads
//! (every value of each field, or one `null` for a field without values) makes it
//! `true`. `x == null` is the exception: true iff no combination makes `x` non-null.

use std::borrow::Cow;

use eqlc_runtime::compare::FieldKind;
use eqlc_runtime::func;
use eqlc_runtime::ops::{self, CmpOp as ROp};
use eqlc_runtime::Value;

use crate::ir::{ArithOp, CmpOp, Expr, ExprKind, Field, FieldType, Func, Literal};

/// The runtime's computed value: what evaluation produces.
pub use eqlc_runtime::func::Val;

/// Evaluate an expression that reads no field (every field reads as `null`).
pub fn eval_const(e: &Expr) -> Val<'static> {
    eval(e, &|_| Val::Null).into_owned()
}

/// The literal of a constant value.
pub fn val_to_literal(v: &Val<'_>) -> Option<Literal> {
    Some(match v {
        Val::Null => Literal::Null,
        Val::Bool(b) => Literal::Bool(*b),
        Val::Int(i) => Literal::Int(*i),
        Val::Float(f) => Literal::Float(*f),
        Val::Str(s) => Literal::Str(s.to_string()),
    })
}

/// The value of a literal.
pub fn literal_val(l: &Literal) -> Val<'_> {
    match l {
        Literal::Null => Val::Null,
        Literal::Bool(b) => Val::Bool(*b),
        Literal::Int(i) => Val::Int(*i),
        Literal::Float(f) => Val::Float(*f),
        Literal::Str(s) => Val::Str(Cow::Borrowed(s)),
    }
}

/// The runtime's comparison kind for a field type.
pub fn field_kind(t: FieldType) -> FieldKind {
    match t {
        FieldType::Unknown => FieldKind::Unknown,
        FieldType::Keyword => FieldKind::Keyword,
        FieldType::Integer => FieldKind::Integer,
        FieldType::Float => FieldKind::Float,
        FieldType::Boolean => FieldKind::Boolean,
        FieldType::Ip => FieldKind::Ip,
        FieldType::Date => FieldKind::Date,
        FieldType::DateNanos => FieldKind::DateNanos,
        FieldType::Version => FieldKind::Version,
    }
}

/// The runtime's comparison operator.
pub fn rop(op: CmpOp) -> ROp {
    match op {
        CmpOp::Eq => ROp::Eq,
        CmpOp::Lt => ROp::Lt,
        CmpOp::Le => ROp::Le,
        CmpOp::Gt => ROp::Gt,
        CmpOp::Ge => ROp::Ge,
    }
}

/// The operator with its operands swapped (`a < b` ⇔ `b > a`).
pub fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
    }
}

/// The comparison kind of an operand: its field's type when it is a plain field.
pub fn operand_kind(e: &Expr) -> FieldKind {
    match &e.kind {
        ExprKind::Field(f) => field_kind(f.ty),
        _ => FieldKind::Unknown,
    }
}

/// Evaluate with one value bound per field (three-valued: `null` is a result).
pub fn eval<'a>(e: &'a Expr, env: &dyn Fn(&Field) -> Val<'a>) -> Val<'a> {
    match &e.kind {
        ExprKind::Literal(l) => literal_val(l),
        ExprKind::Field(f) => env(f),
        ExprKind::Not(x) => ops::not(&eval(x, env)),
        ExprKind::And(v) => {
            let mut acc = Val::Bool(true);
            for x in v {
                acc = ops::and(&acc, &eval(x, env));
            }
            acc
        }
        ExprKind::Or(v) => {
            let mut acc = Val::Bool(false);
            for x in v {
                acc = ops::or(&acc, &eval(x, env));
            }
            acc
        }
        ExprKind::Compare { op, lhs, rhs } => {
            let (a, b) = (eval(lhs, env), eval(rhs, env));
            // Read the field side with its schema type; keep it on the left.
            if matches!(rhs.kind, ExprKind::Field(_)) && !matches!(lhs.kind, ExprKind::Field(_)) {
                ops::cmp(&b, &a, operand_kind(rhs), rop(flip(*op)))
            } else {
                ops::cmp(&a, &b, operand_kind(lhs), rop(*op))
            }
        }
        ExprKind::IsNull(x) => ops::is_null(&eval(x, env)),
        ExprKind::In {
            expr,
            list,
            case_insensitive,
        } => {
            let a = eval(expr, env);
            let members = in_members(list, *case_insensitive);
            ops::in_list(&a, &members, operand_kind(expr), *case_insensitive)
        }
        ExprKind::Like {
            expr,
            patterns,
            case_insensitive,
        } => {
            let a = eval(expr, env);
            let pats = like_patterns(patterns, *case_insensitive);
            let refs: Vec<&str> = pats.iter().map(|s| s.as_ref()).collect();
            ops::like(&a, &refs, *case_insensitive)
        }
        ExprKind::Regex {
            expr,
            patterns,
            case_insensitive,
        } => {
            let a = eval(expr, env);
            let joined = patterns.join("|");
            let Ok(re) = eqlc_runtime::regex::Regex::from_lucene(&joined, *case_insensitive) else {
                return Val::Null;
            };
            match ops::with_text(&a, |t| re.is_match(t)) {
                Some(b) => Val::Bool(b),
                None => Val::Null,
            }
        }
        ExprKind::Arith { op, lhs, rhs } => {
            let (a, b) = (eval(lhs, env), eval(rhs, env));
            match op {
                ArithOp::Add => func::add(&a, &b),
                ArithOp::Sub => func::sub(&a, &b),
                ArithOp::Mul => func::mul(&a, &b),
                ArithOp::Div => func::div(&a, &b),
                ArithOp::Rem => func::rem(&a, &b),
            }
        }
        ExprKind::Neg(x) => func::neg(&eval(x, env)),
        ExprKind::Call {
            func: f,
            args,
            case_insensitive,
        } => {
            let vals: Vec<Val<'a>> = args.iter().map(|a| eval(a, env)).collect();
            call(*f, &vals, args, *case_insensitive)
        }
    }
}

/// The members of an `in` list as values (strings folded for `in~`).
pub fn in_members(list: &[Literal], ci: bool) -> Vec<Val<'static>> {
    list.iter()
        .map(|l| match (ci, l) {
            (true, Literal::Str(s)) => Val::Str(Cow::Owned(ops::fold(s))),
            _ => literal_val(l).into_owned(),
        })
        .collect()
}

/// Wildcard patterns, folded when case-insensitive.
pub fn like_patterns(patterns: &[String], ci: bool) -> Vec<Cow<'_, str>> {
    patterns
        .iter()
        .map(|p| {
            if ci {
                Cow::Owned(ops::fold(p))
            } else {
                Cow::Borrowed(p.as_str())
            }
        })
        .collect()
}

fn arg<'v, 'a>(vals: &'v [Val<'a>], i: usize) -> &'v Val<'a> {
    static NULL: Val<'static> = Val::Null;
    vals.get(i).unwrap_or(&NULL)
}

fn call<'a>(f: Func, vals: &[Val<'a>], args: &[Expr], ci: bool) -> Val<'a> {
    let a = |i| arg(vals, i);
    match f {
        Func::Add => func::add(a(0), a(1)),
        Func::Subtract => func::sub(a(0), a(1)),
        Func::Multiply => func::mul(a(0), a(1)),
        Func::Divide => func::div(a(0), a(1)),
        Func::Modulo => func::rem(a(0), a(1)),
        Func::Between => func::between(a(0), a(1), a(2), a(3), ci),
        Func::CidrMatch => {
            let blocks: Vec<_> = args[1..]
                .iter()
                .filter_map(|x| match eval_const(x) {
                    Val::Str(s) => eqlc_runtime::cidr::Cidr::parse(&s).ok(),
                    _ => None,
                })
                .collect();
            func::cidr_match(a(0), &blocks)
        }
        Func::Concat => func::concat(vals),
        Func::EndsWith => func::ends_with(a(0), a(1), ci),
        Func::StartsWith => func::starts_with(a(0), a(1), ci),
        Func::IndexOf => func::index_of(a(0), a(1), a(2), ci),
        Func::Length => func::length(a(0)),
        Func::Number => func::number(a(0), a(1)),
        Func::String => func::string(a(0)),
        Func::StringContains => func::string_contains(a(0), a(1), ci),
        Func::Substring => func::substring(a(0), a(1), a(2)),
    }
}

/// Whether an event passes a stage (`category where condition`): some value of the
/// category field (`category_field`) is the stage's category, exactly and case-sensitively
/// (`any` always passes), and the condition [`matches`]. `values(path)` gives every value
/// of a field.
pub fn stage_matches<'a>(
    stage: &'a crate::ir::Stage,
    category_field: &str,
    values: &dyn Fn(&str) -> Vec<Value<'a>>,
) -> bool {
    let category = match &stage.category {
        crate::ir::Category::Any => true,
        crate::ir::Category::Named(c) => values(category_field)
            .iter()
            .any(|v| matches!(v, Value::Str(s) if *s == c.as_str())),
    };
    category && matches(&stage.condition, values)
}

/// Event-level match of a condition. `values(path)` gives every value of a field.
///
/// A part that reads no field folds three-valued first, as Elasticsearch's optimizer
/// folds it (eql-semantics.md §3.4), and only its result is read two-valued: `not (1 <
/// null)` is `not null`, which is `null`, which does not match; the leaf-by-leaf rule
/// below would have made `1 < null` false and its negation true. The planner lowers such
/// parts the same way ([`eval_const`]), so compiled rules agree.
pub fn matches<'a>(cond: &'a Expr, values: &dyn Fn(&str) -> Vec<Value<'a>>) -> bool {
    if cond.is_constant() {
        return matches!(eval_const(cond), Val::Bool(true));
    }
    match &cond.kind {
        ExprKind::And(v) => v.iter().all(|x| matches(x, values)),
        ExprKind::Or(v) => v.iter().any(|x| matches(x, values)),
        ExprKind::Not(x) => !matches(x, values),
        ExprKind::IsNull(x) => !any_combination(x, values, &mut |v| !v.is_null()),
        ExprKind::Field(_) => any_combination(cond, values, &mut |v| {
            matches!(v, Val::Bool(true)) || matches!(v, Val::Str(s) if s == "true")
        }),
        _ => any_combination(cond, values, &mut |v| ops::truthy(v)),
    }
}

/// Whether some combination of the fields' values makes `pred(eval(e))` true.
fn any_combination<'a>(
    e: &'a Expr,
    values: &dyn Fn(&str) -> Vec<Value<'a>>,
    pred: &mut dyn FnMut(&Val<'_>) -> bool,
) -> bool {
    let mut fields: Vec<&Field> = Vec::new();
    e.for_each_field(&mut |f| {
        if !fields.iter().any(|g| g.path == f.path) {
            fields.push(f);
        }
    });
    let domains: Vec<Vec<Value<'a>>> = fields
        .iter()
        .map(|f| {
            let v = values(&f.path);
            if v.is_empty() {
                vec![Value::Null]
            } else {
                v
            }
        })
        .collect();
    let mut idx = vec![0usize; fields.len()];
    loop {
        let env = |f: &Field| -> Val<'a> {
            let i = fields.iter().position(|g| g.path == f.path).unwrap_or(0);
            Val::from(domains[i][idx[i]])
        };
        if pred(&eval(e, &env)) {
            return true;
        }
        // Next combination (odometer).
        let mut k = 0;
        loop {
            if k == idx.len() {
                return false;
            }
            idx[k] += 1;
            if idx[k] < domains[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

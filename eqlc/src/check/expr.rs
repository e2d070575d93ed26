//! Expressions: literals, fields, operators, and their types.
//!
//! Every `expr` method returns `None` when an error was reported for the expression (or one
//! of its parts); callers then skip their own checks to avoid follow-on errors.

use super::{field_expr_type, type_name, Checker};
use crate::ast::{self, Span};
use crate::diag::Diagnostic;
use crate::ir::{self, CmpOp, ExprKind, FieldType, Literal, Type};

const FIELD_COMPARISON: &str = "comparisons against fields are not (currently) supported";

fn mk(kind: ExprKind, ty: Type, span: Span) -> ir::Expr {
    ir::Expr { kind, ty, span }
}

fn literal_type(l: &Literal) -> Type {
    match l {
        Literal::Null => Type::Null,
        Literal::Bool(_) => Type::Bool,
        Literal::Int(_) => Type::Integer,
        Literal::Float(_) => Type::Float,
        Literal::Str(_) => Type::String,
    }
}

/// Whether the expression is the `null` literal (also an unmapped `?field`).
pub(super) fn is_null_literal(e: &ir::Expr) -> bool {
    matches!(e.kind, ExprKind::Literal(Literal::Null))
}

/// The literal value of a constant written as a literal, possibly signed or parenthesised.
pub(super) fn const_literal(e: &ir::Expr) -> Option<Literal> {
    match &e.kind {
        ExprKind::Literal(l) => Some(l.clone()),
        ExprKind::Neg(x) => match const_literal(x)? {
            Literal::Int(i) => i.checked_neg().map(Literal::Int),
            Literal::Float(f) => Some(Literal::Float(-f)),
            _ => None,
        },
        _ => None,
    }
}

/// Types usable where a boolean is expected.
pub(super) fn is_boolish(t: Type) -> bool {
    matches!(t, Type::Bool | Type::Any | Type::Null)
}

/// Types usable where a number is expected.
pub(super) fn is_numeric(t: Type) -> bool {
    matches!(t, Type::Integer | Type::Float | Type::Any | Type::Null)
}

/// Types usable where a string is expected.
pub(super) fn is_stringish(t: Type) -> bool {
    matches!(t, Type::String | Type::Any | Type::Null | Type::Field(_))
}

/// Result type of arithmetic on two numeric types.
pub(super) fn arith_type(a: Type, b: Type) -> Type {
    match (a, b) {
        (Type::Null, _) | (_, Type::Null) => Type::Null,
        (Type::Any, _) | (_, Type::Any) => Type::Any,
        (Type::Integer, Type::Integer) => Type::Integer,
        _ => Type::Float,
    }
}

/// The type an expression is checked as: arithmetic yields a number (or `null`) even on
/// fields of unknown type (its value type is [`Type::Any`] until run time), so for checking
/// conditions and comparisons it is a number.
pub(super) fn checked_type(e: &ir::Expr) -> Type {
    match (&e.kind, e.ty) {
        (ExprKind::Arith { .. }, Type::Any) => Type::Float,
        (_, t) => t,
    }
}

/// The name of [`checked_type`] for messages (`number` for arithmetic on unknown types).
pub(super) fn checked_type_name(e: &ir::Expr) -> &'static str {
    match (&e.kind, e.ty) {
        (ExprKind::Arith { .. }, Type::Any) => "number",
        (_, t) => type_name(t),
    }
}

/// Whether values of the two types can be compared.
fn comparable(a: Type, b: Type) -> bool {
    use Type::*;
    match (a, b) {
        (Any, _) | (_, Any) | (Null, _) | (_, Null) => true,
        (Integer | Float, Integer | Float) => true,
        (String, String) | (Bool, Bool) => true,
        (Field(FieldType::Date | FieldType::DateNanos), String | Integer | Float)
        | (String | Integer | Float, Field(FieldType::Date | FieldType::DateNanos)) => true,
        (Field(_), String) | (String, Field(_)) => true,
        (Field(x), Field(y)) => x == y,
        _ => false,
    }
}

impl Checker<'_> {
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        let span = e.span.clone();
        match &e.kind {
            ast::ExprKind::Literal(l) => {
                let l = match l {
                    ast::Literal::Null => Literal::Null,
                    ast::Literal::Bool(b) => Literal::Bool(*b),
                    ast::Literal::Number(ast::Number::Int(i)) => Literal::Int(*i),
                    ast::Literal::Number(ast::Number::Float(f)) => Literal::Float(*f),
                    ast::Literal::Str(s) => Literal::Str(s.clone()),
                };
                let ty = literal_type(&l);
                Some(mk(ExprKind::Literal(l), ty, span))
            }
            ast::ExprKind::Field(f) => {
                let path = f.path();
                match self.lookup(&path) {
                    Some(ty) => Some(mk(
                        ExprKind::Field(ir::Field {
                            path,
                            optional: f.optional,
                            ty,
                            span: f.span.clone(),
                        }),
                        field_expr_type(ty),
                        span,
                    )),
                    // Unmapped optional field: the null literal.
                    None if f.optional => {
                        Some(mk(ExprKind::Literal(Literal::Null), Type::Null, span))
                    }
                    // Unmapped plain field: unknown type (the schema may be incomplete),
                    // with a warning and the closest schema field as a suggestion.
                    None => {
                        self.unknown_field(&path, &f.span);
                        Some(mk(
                            ExprKind::Field(ir::Field {
                                path,
                                optional: false,
                                ty: FieldType::Unknown,
                                span: f.span.clone(),
                            }),
                            Type::Any,
                            span,
                        ))
                    }
                }
            }
            ast::ExprKind::Paren(x) => self.expr(x),
            ast::ExprKind::Unary { op, expr } => {
                let x = self.expr(expr)?;
                if !is_numeric(x.ty) {
                    self.err(Diagnostic::error(
                        span,
                        format!("unary `-`/`+` needs a number, found {}", type_name(x.ty)),
                    ));
                    return None;
                }
                match op {
                    ast::UnaryOp::Plus => Some(x),
                    ast::UnaryOp::Neg => {
                        let ty = x.ty;
                        Some(mk(ExprKind::Neg(Box::new(x)), ty, span))
                    }
                }
            }
            ast::ExprKind::Arith { op, lhs, rhs } => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let (l, r) = (l?, r?);
                let mut ok = true;
                for (x, a) in [(&l, lhs), (&r, rhs)] {
                    if !is_numeric(x.ty) {
                        self.err(Diagnostic::error(
                            a.span.clone(),
                            format!("`{}` needs numbers, found {}", op.as_str(), type_name(x.ty)),
                        ));
                        ok = false;
                    }
                }
                if !ok {
                    return None;
                }
                let aop = match op {
                    ast::ArithOp::Add => ir::ArithOp::Add,
                    ast::ArithOp::Sub => ir::ArithOp::Sub,
                    ast::ArithOp::Mul => ir::ArithOp::Mul,
                    ast::ArithOp::Div => ir::ArithOp::Div,
                    ast::ArithOp::Rem => ir::ArithOp::Rem,
                };
                let ty = arith_type(l.ty, r.ty);
                Some(mk(
                    ExprKind::Arith {
                        op: aop,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    ty,
                    span,
                ))
            }
            ast::ExprKind::Compare {
                op,
                op_span,
                lhs,
                rhs,
            } => self.compare(*op, op_span, lhs, rhs, span),
            ast::ExprKind::In {
                expr,
                negated,
                insensitive,
                op_span,
                list,
            } => {
                let x = self.in_list(expr, *insensitive, op_span, list, span.clone())?;
                Some(if *negated {
                    mk(ExprKind::Not(Box::new(x)), Type::Bool, span)
                } else {
                    x
                })
            }
            ast::ExprKind::Match {
                expr,
                op,
                op_span,
                patterns,
                ..
            } => self.pattern_match(expr, *op, op_span, patterns, span),
            ast::ExprKind::Not(x) => {
                let x = self.expr(x)?;
                if !is_boolish(x.ty) {
                    self.err(Diagnostic::error(
                        x.span.clone(),
                        format!("`not` needs a boolean, found {}", type_name(x.ty)),
                    ));
                    return None;
                }
                Some(mk(ExprKind::Not(Box::new(x)), Type::Bool, span))
            }
            ast::ExprKind::And(v) | ast::ExprKind::Or(v) => {
                let is_and = matches!(e.kind, ast::ExprKind::And(_));
                let word = if is_and { "and" } else { "or" };
                let mut out = Vec::new();
                let mut failed = false;
                for a in v {
                    match self.expr(a) {
                        Some(x) if is_boolish(x.ty) => {
                            // Flatten `(a and b) and c`.
                            match x.kind {
                                ExprKind::And(inner) if is_and => out.extend(inner),
                                ExprKind::Or(inner) if !is_and => out.extend(inner),
                                kind => out.push(ir::Expr { kind, ..x }),
                            }
                        }
                        Some(x) => {
                            self.err(Diagnostic::error(
                                a.span.clone(),
                                format!("`{word}` needs booleans, found {}", type_name(x.ty)),
                            ));
                            failed = true;
                        }
                        None => failed = true,
                    }
                }
                if failed {
                    return None;
                }
                let kind = if is_and {
                    ExprKind::And(out)
                } else {
                    ExprKind::Or(out)
                };
                Some(mk(kind, Type::Bool, span))
            }
            ast::ExprKind::Call {
                name,
                name_span,
                insensitive,
                args,
            } => {
                let checked: Vec<Option<ir::Expr>> = args.iter().map(|a| self.expr(a)).collect();
                self.call(name, name_span, *insensitive, args, checked, span)
            }
        }
    }

    fn compare(
        &mut self,
        op: ast::CompareOp,
        op_span: &Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Option<ir::Expr> {
        let l = self.expr(lhs);
        let r = self.expr(rhs);
        let (l, r) = (l?, r?);
        let negate = op == ast::CompareOp::Ne;
        if matches!(op, ast::CompareOp::Eq | ast::CompareOp::Ne)
            && (is_null_literal(&l) || is_null_literal(&r))
        {
            let operand = if is_null_literal(&r) { l } else { r };
            let x = mk(
                ExprKind::IsNull(Box::new(operand)),
                Type::Bool,
                span.clone(),
            );
            return Some(if negate {
                mk(ExprKind::Not(Box::new(x)), Type::Bool, span)
            } else {
                x
            });
        }
        if !l.is_constant() && !r.is_constant() {
            self.err(
                Diagnostic::error(span, FIELD_COMPARISON)
                    .with_label(rhs.span.clone(), "this side must be a constant")
                    .with_help("compare each field with a constant value"),
            );
            return None;
        }
        if !comparable(checked_type(&l), checked_type(&r)) && !self.schema_mismatch(&l, &r, op_span)
        {
            self.err(Diagnostic::error(
                op_span.clone(),
                format!(
                    "cannot compare {} with {}",
                    checked_type_name(&l),
                    checked_type_name(&r)
                ),
            ));
            return None;
        }
        let cop = match op {
            ast::CompareOp::Eq | ast::CompareOp::Ne => CmpOp::Eq,
            ast::CompareOp::Lt => CmpOp::Lt,
            ast::CompareOp::Le => CmpOp::Le,
            ast::CompareOp::Gt => CmpOp::Gt,
            ast::CompareOp::Ge => CmpOp::Ge,
        };
        let x = mk(
            ExprKind::Compare {
                op: cop,
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            Type::Bool,
            span.clone(),
        );
        Some(if negate {
            mk(ExprKind::Not(Box::new(x)), Type::Bool, span)
        } else {
            x
        })
    }

    /// Warn about a field the schema does not have (strict checking is the caller's
    /// choice: the field is still accepted, with unknown type).
    fn unknown_field(&mut self, path: &str, span: &Span) {
        let Some(schema) = &self.opts.schema else {
            return;
        };
        let mut d =
            Diagnostic::warning(span.clone(), format!("field `{path}` is not in the schema"));
        d = match super::suggest::closest(path, schema.iter().map(|(p, _)| p)) {
            Some(c) => d.with_help(format!("did you mean `{c}`?")),
            None => d.with_help(
                "fields outside the schema are read with the type they have in each event",
            ),
        };
        self.diags.push(d);
    }

    /// A type mismatch between a field typed by the schema and a constant is only a
    /// warning: the schema may not describe the index the rule runs on (e.g. ECS says
    /// `keyword` where the index maps a number). Returns whether it was reported as one.
    fn schema_mismatch(&mut self, a: &ir::Expr, b: &ir::Expr, span: &Span) -> bool {
        let field = match (&a.kind, &b.kind) {
            (ExprKind::Field(f), _) if b.is_constant() => f,
            (_, ExprKind::Field(f)) if a.is_constant() => f,
            _ => return false,
        };
        let other = if matches!(a.kind, ExprKind::Field(_)) {
            b.ty
        } else {
            a.ty
        };
        self.diags.push(
            Diagnostic::warning(
                span.clone(),
                format!(
                    "`{}` is {} in the schema but is compared with {}",
                    field.path,
                    format!("{:?}", field.ty).to_lowercase(),
                    type_name(other)
                ),
            )
            .with_help("Elasticsearch rejects this if the index maps the field with that type"),
        );
        true
    }

    /// A list item or pattern that must be a constant: report fields and non-literals.
    fn constant_item(&mut self, a: &ast::Expr, x: &ir::Expr, what: &str) -> Option<Literal> {
        if !x.is_constant() {
            self.err(
                Diagnostic::error(a.span.clone(), FIELD_COMPARISON)
                    .with_help(format!("{what} must be constants")),
            );
            return None;
        }
        let l = const_literal(x);
        if l.is_none() {
            self.err(Diagnostic::error(
                a.span.clone(),
                format!("{what} must be literal values"),
            ));
        }
        l
    }

    fn in_list(
        &mut self,
        expr: &ast::Expr,
        insensitive: bool,
        op_span: &Span,
        list: &[ast::Expr],
        span: Span,
    ) -> Option<ir::Expr> {
        let x = self.expr(expr);
        let op = if insensitive { "in~" } else { "in" };
        let mut items = Vec::new();
        let mut failed = false;
        for a in list {
            let Some(ix) = self.expr(a) else {
                failed = true;
                continue;
            };
            let Some(l) = self.constant_item(a, &ix, &format!("`{op}` list items")) else {
                failed = true;
                continue;
            };
            if insensitive && !matches!(l, Literal::Str(_) | Literal::Null) {
                self.err(Diagnostic::error(
                    a.span.clone(),
                    format!("`in~` compares strings, found {}", type_name(ix.ty)),
                ));
                failed = true;
                continue;
            }
            if let Some(x) = &x {
                if !comparable(checked_type(x), ix.ty) && !self.schema_mismatch(x, &ix, &a.span) {
                    self.err(
                        Diagnostic::error(
                            a.span.clone(),
                            format!(
                                "cannot compare {} with {}",
                                checked_type_name(x),
                                type_name(ix.ty)
                            ),
                        )
                        .with_label(op_span.clone(), format!("in this `{op}`")),
                    );
                    failed = true;
                    continue;
                }
            }
            if l != Literal::Null {
                items.push(l);
            }
        }
        let x = x?;
        if failed {
            return None;
        }
        if insensitive && !is_stringish(x.ty) {
            self.err(Diagnostic::error(
                expr.span.clone(),
                format!("`in~` compares strings, found {}", type_name(x.ty)),
            ));
            return None;
        }
        Some(mk(
            ExprKind::In {
                expr: Box::new(x),
                list: items,
                case_insensitive: insensitive,
            },
            Type::Bool,
            span,
        ))
    }

    fn pattern_match(
        &mut self,
        expr: &ast::Expr,
        op: ast::MatchOp,
        op_span: &Span,
        patterns: &[ast::Expr],
        span: Span,
    ) -> Option<ir::Expr> {
        let x = self.expr(expr);
        let opname = op.as_str();
        let mut pats = Vec::new();
        let mut failed = false;
        let is_regex = matches!(op, ast::MatchOp::Regex | ast::MatchOp::RegexInsensitive);
        for a in patterns {
            let Some(px) = self.expr(a) else {
                failed = true;
                continue;
            };
            match self.constant_item(a, &px, &format!("`{opname}` patterns")) {
                Some(Literal::Str(s)) => {
                    if is_regex {
                        let ci = op == ast::MatchOp::RegexInsensitive;
                        if let Err(m) = eqlc_runtime::regex::lucene_to_rust_regex(&s, ci) {
                            self.err(
                                Diagnostic::error(
                                    a.span.clone(),
                                    format!("invalid regular expression: {m}"),
                                )
                                .with_help("patterns use Lucene regular expression syntax"),
                            );
                            failed = true;
                        }
                    }
                    pats.push(s)
                }
                Some(_) => {
                    self.err(
                        Diagnostic::error(
                            a.span.clone(),
                            format!(
                                "`{opname}` needs a string pattern, found {}",
                                type_name(px.ty)
                            ),
                        )
                        .with_label(op_span.clone(), "operator here")
                        .with_help("patterns are double-quoted strings"),
                    );
                    failed = true;
                }
                None => failed = true,
            }
        }
        let x = x?;
        if !is_stringish(x.ty) {
            self.err(Diagnostic::error(
                expr.span.clone(),
                format!(
                    "`{opname}` needs a string operand, found {}",
                    type_name(x.ty)
                ),
            ));
            return None;
        }
        if failed {
            return None;
        }
        let kind = match op {
            ast::MatchOp::Colon | ast::MatchOp::Like | ast::MatchOp::LikeInsensitive => {
                ExprKind::Like {
                    expr: Box::new(x),
                    patterns: pats,
                    case_insensitive: op != ast::MatchOp::Like,
                }
            }
            ast::MatchOp::Regex | ast::MatchOp::RegexInsensitive => ExprKind::Regex {
                expr: Box::new(x),
                patterns: pats,
                case_insensitive: op == ast::MatchOp::RegexInsensitive,
            },
        };
        Some(mk(kind, Type::Bool, span))
    }
}

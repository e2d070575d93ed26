//! Query text → [`Ast`](crate::ast::Query): the pest grammar (`eql.pest`) and the lowering of
//! its pairs. This is the only module that knows about pest.
//!
//! Besides syntax errors, lowering rejects what the grammar accepts only to explain it
//! better: `=` as equality, chained comparisons, single-quoted and `?"..."` strings, bad
//! string escapes, out-of-range numbers, `by` after `with maxspan`, `maxspan`/`until` on
//! `sample`, `join`, and absurd nesting depth. All such errors of a query are collected.

use pest::iterators::Pair;
use pest::Parser as _;

use crate::ast::{
    ArithOp, Body, Category, CategoryKind, CompareOp, Expr, ExprKind, Field, Literal, MatchOp,
    MaxSpan, Number, Pipe, Query, Runs, Sample, Sequence, Span, Stage, Subquery, UnaryOp, KEYWORDS,
};
use crate::check::suggest::closest;
use crate::diag::{Diagnostic, Diagnostics};

mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "eql.pest"]
    pub struct EqlParser;
}

use grammar::{EqlParser, Rule};

/// Deepest expression nesting accepted (parentheses, `not`, unary operators).
pub const MAX_DEPTH: usize = 100;

/// Parse a whole query.
///
/// # Errors
/// A syntax error (one diagnostic), or every lowering error found.
pub fn parse_query(text: &str) -> Result<Query, Diagnostics> {
    let mut pairs = EqlParser::parse(Rule::query, text).map_err(|e| syntax_error(text, e))?;
    let Some(top) = pairs.next() else {
        return Err(Diagnostic::error(0..text.len(), "empty parse").into());
    };
    let mut l = Lower::default();
    let q = l.query(top);
    l.finish(q)
}

/// Parse a bare expression (no `category where`).
///
/// # Errors
/// As [`parse_query`].
pub fn parse_expression(text: &str) -> Result<Expr, Diagnostics> {
    let mut pairs =
        EqlParser::parse(Rule::expression_only, text).map_err(|e| syntax_error(text, e))?;
    let Some(top) = pairs.next() else {
        return Err(Diagnostic::error(0..text.len(), "empty parse").into());
    };
    let mut l = Lower::default();
    let e = match top.into_inner().find(|p| p.as_rule() == Rule::expr) {
        Some(p) => l.expr(p),
        None => return Err(Diagnostic::error(0..text.len(), "expected an expression").into()),
    };
    l.finish(e)
}

/// The pair's byte range, without trailing whitespace (pest may leave the whitespace
/// after the last token inside a rule).
fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    let trimmed = p
        .as_str()
        .trim_end_matches([' ', '\t', '\r', '\n', '\u{c}'])
        .len();
    s.start()..s.start() + trimmed
}

#[derive(Default)]
struct Lower {
    diags: Diagnostics,
    depth: usize,
}

impl Lower {
    fn finish<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.diags.has_errors() {
            Err(self.diags)
        } else {
            Ok(value)
        }
    }

    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn query(&mut self, p: Pair<'_, Rule>) -> Query {
        let span = span_of(&p);
        let mut body = None;
        let mut pipes = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::sequence => body = Some(self.sequence(c)),
                Rule::sample => body = Some(self.sample(c)),
                Rule::event_query => {
                    if let Some(s) = c.into_inner().next() {
                        body = Some(Body::Event(self.subquery(s)));
                    }
                }
                Rule::join_query => {
                    let sp = c.as_span();
                    self.err(
                        Diagnostic::error(sp.start()..sp.start() + 4, "`join` is not supported")
                            .with_help(
                                "Elasticsearch EQL has no `join`; use a `sequence` or a `sample`",
                            ),
                    );
                }
                Rule::pipe => pipes.push(self.pipe(c)),
                _ => {}
            }
        }
        let body = body.unwrap_or_else(|| {
            Body::Event(Subquery {
                category: Category {
                    kind: CategoryKind::Any,
                    span: 0..0,
                },
                condition: lit(Literal::Bool(true), 0..0),
                span: 0..0,
            })
        });
        Query { body, pipes, span }
    }

    fn pipe(&mut self, p: Pair<'_, Rule>) -> Pipe {
        let span = span_of(&p);
        let mut name = String::new();
        let mut name_span = span.clone();
        let mut args = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::pipe_name => {
                    name = c.as_str().to_string();
                    name_span = span_of(&c);
                }
                Rule::expr => args.push(self.expr(c)),
                _ => {}
            }
        }
        Pipe {
            name,
            name_span,
            args,
            span,
        }
    }

    /// `(by_clause | maxspan_clause)*` of a sequence or sample.
    fn params(&mut self, p: Pair<'_, Rule>, what: &str) -> (Vec<Field>, Option<MaxSpan>) {
        let mut by: Option<(Vec<Field>, Span)> = None;
        let mut maxspan: Option<MaxSpan> = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::by_clause => {
                    let sp = span_of(&c);
                    let keys = self.by_clause(c);
                    if let Some((_, first)) = &by {
                        self.err(
                            Diagnostic::error(
                                sp,
                                format!("`{what}` has more than one `by` clause"),
                            )
                            .with_label(first.clone(), "first `by` here")
                            .with_help("list all join keys in one `by`: `by a, b`"),
                        );
                    } else if let Some(m) = &maxspan {
                        self.err(
                            Diagnostic::error(sp.clone(), "`by` must come before `with maxspan`")
                                .with_label(m.span.clone(), "maxspan given here")
                                .with_help("write `sequence by <keys> with maxspan=<time>`"),
                        );
                        by = Some((keys, sp));
                    } else {
                        by = Some((keys, sp));
                    }
                }
                Rule::maxspan_clause => {
                    let sp = span_of(&c);
                    let m = self.maxspan(c);
                    if what == "sample" {
                        self.err(
                            Diagnostic::error(sp, "`sample` does not support `maxspan`")
                                .with_help("samples are unordered and have no time window"),
                        );
                    } else if maxspan.is_some() {
                        self.err(Diagnostic::error(sp, "`maxspan` is given twice"));
                    } else {
                        maxspan = Some(m);
                    }
                }
                _ => {}
            }
        }
        (by.map(|b| b.0).unwrap_or_default(), maxspan)
    }

    fn maxspan(&mut self, p: Pair<'_, Rule>) -> MaxSpan {
        let mut amount = String::new();
        let mut unit = None;
        let mut start = None;
        let mut end = 0;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::time_number => {
                    amount = c.as_str().to_string();
                    start = Some(c.as_span().start());
                    end = c.as_span().end();
                }
                Rule::time_unit => {
                    unit = Some(c.as_str().to_string());
                    end = c.as_span().end();
                }
                _ => {}
            }
        }
        let start = start.unwrap_or(end);
        MaxSpan {
            amount,
            unit,
            span: start..end.max(start),
        }
    }

    fn sequence(&mut self, p: Pair<'_, Rule>) -> Body {
        let span = span_of(&p);
        let mut by = Vec::new();
        let mut maxspan = None;
        let mut stages = Vec::new();
        let mut until = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::seq_params => (by, maxspan) = self.params(c, "sequence"),
                Rule::stage => stages.push(self.stage(c)),
                Rule::until_clause => {
                    if let Some(s) = c.into_inner().find(|x| x.as_rule() == Rule::stage) {
                        until = Some(Box::new(self.stage(s)));
                    }
                }
                _ => {}
            }
        }
        Body::Sequence(Sequence {
            by,
            maxspan,
            stages,
            until,
            span,
        })
    }

    fn sample(&mut self, p: Pair<'_, Rule>) -> Body {
        let span = span_of(&p);
        let mut by = Vec::new();
        let mut stages = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::seq_params => by = self.params(c, "sample").0,
                Rule::stage => stages.push(self.stage(c)),
                Rule::until_clause => {
                    self.err(
                        Diagnostic::error(span_of(&c), "`sample` does not support `until`")
                            .with_help("`until` only applies to `sequence`"),
                    );
                }
                _ => {}
            }
        }
        Body::Sample(Sample { by, stages, span })
    }

    fn stage(&mut self, p: Pair<'_, Rule>) -> Stage {
        let span = span_of(&p);
        let mut missing = false;
        let mut query = None;
        let mut by = Vec::new();
        let mut runs = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::missing_open => missing = true,
                Rule::subquery => query = Some(self.subquery(c)),
                Rule::by_clause => by = self.by_clause(c),
                Rule::runs_clause => {
                    if let Some(n) = c.into_inner().find(|x| x.as_rule() == Rule::number) {
                        let sp = span_of(&n);
                        let value = self.number(&n);
                        runs = Some(Runs { value, span: sp });
                    }
                }
                _ => {}
            }
        }
        let query = query.unwrap_or_else(|| Subquery {
            category: Category {
                kind: CategoryKind::Any,
                span: span.clone(),
            },
            condition: lit(Literal::Bool(true), span.clone()),
            span: span.clone(),
        });
        Stage {
            missing,
            query,
            by,
            runs,
            span,
        }
    }

    fn by_clause(&mut self, p: Pair<'_, Rule>) -> Vec<Field> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::field)
            .map(|c| self.field(c))
            .collect()
    }

    fn subquery(&mut self, p: Pair<'_, Rule>) -> Subquery {
        let span = span_of(&p);
        let mut category = Category {
            kind: CategoryKind::Any,
            span: span.start..span.start,
        };
        let mut condition = lit(Literal::Bool(true), span.clone());
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::category => category = self.category(c),
                Rule::expr => condition = self.expr(c),
                _ => {}
            }
        }
        Subquery {
            category,
            condition,
            span,
        }
    }

    fn category(&mut self, p: Pair<'_, Rule>) -> Category {
        let span = span_of(&p);
        let kind = match p.into_inner().next() {
            Some(c) => match c.as_rule() {
                Rule::kw_any => CategoryKind::Any,
                Rule::ident => CategoryKind::Name(c.as_str().to_string()),
                Rule::raw_string | Rule::dq_string | Rule::bad_string => {
                    CategoryKind::Name(self.string(c))
                }
                _ => CategoryKind::Any,
            },
            None => CategoryKind::Any,
        };
        Category { kind, span }
    }

    // -----------------------------------------------------------------------------------
    // Expressions

    fn enter(&mut self, span: &Span) -> bool {
        self.depth += 1;
        if self.depth == MAX_DEPTH + 1 {
            self.err(
                Diagnostic::error(span.clone(), "expression nested too deeply").with_help(format!(
                    "at most {MAX_DEPTH} levels of nesting are supported"
                )),
            );
        }
        self.depth <= MAX_DEPTH
    }

    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        if !self.enter(&span) {
            self.depth -= 1;
            return lit(Literal::Null, span);
        }
        let e = match p.into_inner().next() {
            Some(c) => self.or_expr(c),
            None => lit(Literal::Null, span),
        };
        self.depth -= 1;
        e
    }

    fn or_expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let mut v: Vec<Expr> = p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::and_expr)
            .map(|c| self.and_expr(c))
            .collect();
        if v.len() == 1 {
            v.pop().unwrap_or_else(|| lit(Literal::Null, span))
        } else {
            Expr {
                kind: ExprKind::Or(v),
                span,
            }
        }
    }

    fn and_expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let mut v: Vec<Expr> = p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::not_expr)
            .map(|c| self.not_expr(c))
            .collect();
        if v.len() == 1 {
            v.pop().unwrap_or_else(|| lit(Literal::Null, span))
        } else {
            Expr {
                kind: ExprKind::And(v),
                span,
            }
        }
    }

    fn not_expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let mut inner = p.into_inner();
        let Some(first) = inner.next() else {
            return lit(Literal::Null, span);
        };
        match first.as_rule() {
            Rule::kw_not => {
                if !self.enter(&span) {
                    self.depth -= 1;
                    return lit(Literal::Null, span);
                }
                let e = match inner.next() {
                    Some(c) => self.not_expr(c),
                    None => lit(Literal::Null, span.clone()),
                };
                self.depth -= 1;
                Expr {
                    kind: ExprKind::Not(Box::new(e)),
                    span,
                }
            }
            _ => self.predicate(first),
        }
    }

    fn predicate(&mut self, p: Pair<'_, Rule>) -> Expr {
        let mut inner = p.into_inner();
        let Some(first) = inner.next() else {
            return lit(Literal::Null, 0..0);
        };
        let lhs = self.sum(first);
        let tails: Vec<Pair<'_, Rule>> = inner.collect();
        if tails.len() > 1 {
            let op = tails[1].clone().into_inner().next().map(|o| span_of(&o));
            let sp = op.unwrap_or_else(|| span_of(&tails[1]));
            self.err(
                Diagnostic::error(sp, "comparison operators cannot be chained")
                    .with_label(span_of(&tails[0]), "first comparison here")
                    .with_help("combine the comparisons with `and`: `a < b and b <= c`"),
            );
        }
        match tails.into_iter().next() {
            Some(t) => self.pred_tail(lhs, t),
            None => lhs,
        }
    }

    fn pred_tail(&mut self, lhs: Expr, t: Pair<'_, Rule>) -> Expr {
        let tail_end = span_of(&t).end;
        let mut inner = t.into_inner();
        let Some(op) = inner.next() else {
            return lhs;
        };
        let op_span = span_of(&op);
        match op.as_rule() {
            Rule::cmp_op => {
                let cop = match op.as_str() {
                    "==" => CompareOp::Eq,
                    "!=" => CompareOp::Ne,
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    ">=" => CompareOp::Ge,
                    _ => {
                        self.err(
                            Diagnostic::error(op_span.clone(), "`=` is not a comparison operator")
                                .with_help("use `==` to compare for equality"),
                        );
                        CompareOp::Eq
                    }
                };
                let rhs = match inner.next() {
                    Some(r) => self.sum(r),
                    None => lit(Literal::Null, op_span.clone()),
                };
                let span = lhs.span.start..rhs.span.end;
                Expr {
                    kind: ExprKind::Compare {
                        op: cop,
                        op_span,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                }
            }
            Rule::in_op => {
                let kind = op.clone().into_inner().next().map(|k| k.as_rule());
                let (negated, insensitive) = match kind {
                    Some(Rule::not_in_i) => (true, true),
                    Some(Rule::not_in) => (true, false),
                    Some(Rule::in_i) => (false, true),
                    _ => (false, false),
                };
                let list: Vec<Expr> = inner
                    .filter(|c| c.as_rule() == Rule::expr)
                    .map(|c| self.expr(c))
                    .collect();
                let span = lhs.span.start..tail_end;
                Expr {
                    kind: ExprKind::In {
                        expr: Box::new(lhs),
                        negated,
                        insensitive,
                        op_span,
                        list,
                    },
                    span,
                }
            }
            _ => {
                let mop = match op.as_str() {
                    ":" => MatchOp::Colon,
                    "like" => MatchOp::Like,
                    "like~" => MatchOp::LikeInsensitive,
                    "regex" => MatchOp::Regex,
                    _ => MatchOp::RegexInsensitive,
                };
                let (patterns, list, end) = match inner.next() {
                    Some(r) if r.as_rule() == Rule::pattern_list => {
                        let end = tail_end;
                        let v = r
                            .into_inner()
                            .filter(|c| c.as_rule() == Rule::expr)
                            .map(|c| self.expr(c))
                            .collect();
                        (v, true, end)
                    }
                    Some(r) => {
                        let e = self.sum(r);
                        let end = e.span.end;
                        (vec![e], false, end)
                    }
                    None => (Vec::new(), false, op_span.end),
                };
                let span = lhs.span.start..end;
                Expr {
                    kind: ExprKind::Match {
                        expr: Box::new(lhs),
                        op: mop,
                        op_span,
                        patterns,
                        list,
                    },
                    span,
                }
            }
        }
    }

    fn sum(&mut self, p: Pair<'_, Rule>) -> Expr {
        self.binary_chain(p)
    }

    /// `sum` and `product`: operand (op operand)*, left-associative. The chain becomes a
    /// left-deep tree, one level per operator, and later stages recurse once per level:
    /// its operators count towards [`MAX_DEPTH`] like parentheses do (a chain of
    /// thousands of `+` would otherwise overflow the stack).
    fn binary_chain(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let ops = p.clone().into_inner().count() / 2;
        if self.depth + ops > MAX_DEPTH {
            self.err(
                Diagnostic::error(span.clone(), "arithmetic expression too long").with_help(
                    format!(
                        "at most {MAX_DEPTH} operators and levels of nesting together are supported; split the computation"
                    ),
                ),
            );
            return lit(Literal::Null, span);
        }
        self.depth += ops;
        let e = self.binary_chain_within(p);
        self.depth -= ops;
        e
    }

    fn binary_chain_within(&mut self, p: Pair<'_, Rule>) -> Expr {
        let mut inner = p.into_inner();
        let Some(first) = inner.next() else {
            return lit(Literal::Null, 0..0);
        };
        let mut acc = self.operand(first);
        while let Some(op) = inner.next() {
            let aop = match op.as_str() {
                "+" => ArithOp::Add,
                "-" => ArithOp::Sub,
                "*" => ArithOp::Mul,
                "/" => ArithOp::Div,
                _ => ArithOp::Rem,
            };
            let Some(r) = inner.next() else { break };
            let rhs = self.operand(r);
            let span = acc.span.start..rhs.span.end;
            acc = Expr {
                kind: ExprKind::Arith {
                    op: aop,
                    lhs: Box::new(acc),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        acc
    }

    fn operand(&mut self, p: Pair<'_, Rule>) -> Expr {
        match p.as_rule() {
            Rule::product => self.binary_chain(p),
            Rule::unary => self.unary(p),
            _ => lit(Literal::Null, span_of(&p)),
        }
    }

    fn unary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let mut ops = Vec::new();
        let mut prim = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::unary_op => ops.push((c.as_str() == "-", c.as_span().start())),
                Rule::primary => prim = Some(c),
                _ => {}
            }
        }
        if ops.len() > MAX_DEPTH {
            self.err(Diagnostic::error(span.clone(), "too many unary operators"));
            return lit(Literal::Null, span);
        }
        let mut e = match prim {
            Some(c) => self.primary(c),
            None => lit(Literal::Null, span.clone()),
        };
        for (neg, start) in ops.into_iter().rev() {
            let sp = start..e.span.end;
            e = Expr {
                kind: ExprKind::Unary {
                    op: if neg { UnaryOp::Neg } else { UnaryOp::Plus },
                    expr: Box::new(e),
                },
                span: sp,
            };
        }
        e
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let Some(c) = p.into_inner().next() else {
            return lit(Literal::Null, span);
        };
        match c.as_rule() {
            Rule::literal => self.literal(c),
            Rule::field => {
                let f = self.field(c);
                Expr {
                    span: f.span.clone(),
                    kind: ExprKind::Field(f),
                }
            }
            Rule::paren => {
                let inner = c.into_inner().find(|x| x.as_rule() == Rule::expr);
                let e = match inner {
                    Some(x) => self.expr(x),
                    None => lit(Literal::Null, span.clone()),
                };
                Expr {
                    kind: ExprKind::Paren(Box::new(e)),
                    span,
                }
            }
            Rule::call => self.call(c),
            _ => lit(Literal::Null, span),
        }
    }

    fn call(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let mut name = String::new();
        let mut name_span = span.clone();
        let mut insensitive = false;
        let mut args = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::func_name => {
                    let s = c.as_str();
                    insensitive = s.ends_with('~');
                    name = s.trim_end_matches('~').to_string();
                    name_span = span_of(&c);
                }
                Rule::expr => args.push(self.expr(c)),
                _ => {}
            }
        }
        if KEYWORDS.contains(&name.as_str()) {
            self.err(Diagnostic::error(
                name_span.clone(),
                format!("`{name}` is a keyword, not a function"),
            ));
        }
        Expr {
            kind: ExprKind::Call {
                name,
                name_span,
                insensitive,
                args,
            },
            span,
        }
    }

    fn literal(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let Some(c) = p.into_inner().next() else {
            return lit(Literal::Null, span);
        };
        let l = match c.as_rule() {
            Rule::kw_null => Literal::Null,
            Rule::kw_true => Literal::Bool(true),
            Rule::kw_false => Literal::Bool(false),
            Rule::number => Literal::Number(self.number(&c)),
            _ => Literal::Str(self.string(c)),
        };
        lit(l, span)
    }

    fn number(&mut self, p: &Pair<'_, Rule>) -> Number {
        let text = p.as_str();
        if text.contains(['.', 'e', 'E']) {
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Number::Float(x),
                _ => {
                    self.err(Diagnostic::error(
                        span_of(p),
                        format!("number `{text}` is out of range"),
                    ));
                    Number::Float(0.0)
                }
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => Number::Int(i),
                Err(_) => {
                    self.err(
                        Diagnostic::error(span_of(p), format!("integer `{text}` is too large"))
                            .with_help(format!("the largest integer is {}", i64::MAX)),
                    );
                    Number::Int(0)
                }
            }
        }
    }

    fn field(&mut self, p: Pair<'_, Rule>) -> Field {
        let span = span_of(&p);
        let mut optional = false;
        let mut segments = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::optional_mark => optional = true,
                Rule::field_path => {
                    for s in c.into_inner() {
                        match s.as_rule() {
                            Rule::quoted_ident => {
                                let raw = s.as_str();
                                let inner = &raw[1..raw.len() - 1];
                                if inner.is_empty() {
                                    self.err(Diagnostic::error(
                                        span_of(&s),
                                        "empty quoted field name",
                                    ));
                                }
                                segments.push(inner.replace("``", "`"));
                            }
                            _ => segments.push(s.as_str().to_string()),
                        }
                    }
                }
                _ => {}
            }
        }
        Field {
            segments,
            optional,
            span,
        }
    }

    /// Value of a `raw_string`, `dq_string` or `bad_string` pair.
    fn string(&mut self, p: Pair<'_, Rule>) -> String {
        let span = span_of(&p);
        match p.as_rule() {
            Rule::raw_string => {
                let mut s = String::new();
                for c in p.into_inner() {
                    s.push_str(c.as_str());
                }
                s
            }
            Rule::dq_string => {
                let inner = p.into_inner().next();
                match inner {
                    Some(i) => {
                        let start = i.as_span().start();
                        self.unescape(i.as_str(), start)
                    }
                    None => String::new(),
                }
            }
            _ => {
                let text = p.as_str();
                let (msg, body) = if let Some(rest) = text.strip_prefix('?') {
                    ("`?\"...\"` strings are not supported", rest)
                } else {
                    ("single-quoted strings are not supported", text)
                };
                let inner = &body[1..body.len().saturating_sub(1).max(1)];
                let help = if text.starts_with('?') {
                    "use double quotes, or `\"\"\"...\"\"\"` for a raw string".to_string()
                } else {
                    let mut h = String::from("use double quotes: ");
                    let _ = crate::ast::write_string(&mut h, inner);
                    h
                };
                self.err(Diagnostic::error(span, msg).with_help(help));
                inner.to_string()
            }
        }
    }

    /// Process the escapes of a `"..."` body starting at byte `base` of the query.
    fn unescape(&mut self, body: &str, base: usize) -> String {
        let mut out = String::with_capacity(body.len());
        let mut it = body.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((j, e)) = it.next() else { break };
            match e {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    // \u{H..H}, 2 to 8 hex digits.
                    let rest = &body[j + 1..];
                    let close = rest.find('}');
                    let ok = rest.starts_with('{')
                        && close.is_some_and(|k| {
                            let hex = &rest[1..k];
                            (2..=8).contains(&hex.len())
                                && hex.chars().all(|h| h.is_ascii_hexdigit())
                        });
                    let code = if ok {
                        close.and_then(|k| u32::from_str_radix(&rest[1..k], 16).ok())
                    } else {
                        None
                    };
                    match (close, code.and_then(char::from_u32)) {
                        (Some(k), Some(ch)) => {
                            out.push(ch);
                            // Skip `{...}`.
                            let stop = j + 1 + k;
                            while it.peek().is_some_and(|(x, _)| *x <= stop) {
                                it.next();
                            }
                        }
                        _ => {
                            let end = close.filter(|_| ok).map_or(j + 1, |k| j + 2 + k);
                            self.err(
                                Diagnostic::error(
                                    base + i..base + end.min(body.len()),
                                    "invalid unicode escape",
                                )
                                .with_help(
                                    "write `\\u{` and 2 to 8 hex digits of a valid code point, then `}`",
                                ),
                            );
                        }
                    }
                }
                other => {
                    self.err(
                        Diagnostic::error(
                            base + i..base + j + other.len_utf8(),
                            format!("unknown escape sequence `\\{other}`"),
                        )
                        .with_help(
                            "write `\\\\` for a backslash, or use a raw string `\"\"\"...\"\"\"`",
                        ),
                    );
                    out.push(other);
                }
            }
        }
        out
    }
}

fn lit(l: Literal, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal(l),
        span,
    }
}

// ---------------------------------------------------------------------------------------
// Syntax errors

fn describe(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of query",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_where => "`where`",
        Rule::kw_by => "`by`",
        Rule::kw_with => "`with`",
        Rule::kw_until => "`until`",
        Rule::kw_maxspan => "`maxspan`",
        Rule::kw_runs => "`runs`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::comma => "`,`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::kw_in | Rule::in_op | Rule::in_i | Rule::not_in | Rule::not_in_i => "`in`",
        Rule::cmp_op => "a comparison operator",
        Rule::match_op => "`:`, `like` or `regex`",
        Rule::add_op | Rule::mul_op => "an arithmetic operator",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::kw_not
        | Rule::predicate
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::primary
        | Rule::literal
        | Rule::unary_op => "an expression",
        Rule::field | Rule::field_path | Rule::ident | Rule::quoted_ident => "a field name",
        Rule::dot_segment => "a field name segment",
        Rule::number | Rule::time_number => "a number",
        Rule::time_unit => "a time unit",
        Rule::dq_string | Rule::raw_string | Rule::bad_string => "a string",
        Rule::category | Rule::kw_any => "an event category",
        Rule::subquery | Rule::event_query => "`<category> where <condition>`",
        Rule::stage | Rule::missing_open => "`[`",
        Rule::sequence | Rule::kw_sequence => "`sequence`",
        Rule::sample | Rule::kw_sample => "`sample`",
        Rule::pipe => "`|`",
        Rule::pipe_name => "a pipe name",
        Rule::call | Rule::func_name => "a function call",
        Rule::pattern_list | Rule::paren => "`(`",
        Rule::by_clause => "`by`",
        Rule::maxspan_clause | Rule::runs_clause => "`with`",
        Rule::until_clause => "`until`",
        _ => return None,
    })
}

/// Whether `rest` opens a double-quoted string (`"..."` or `"""..."""`) that does not close
/// before the end of its line (strings cannot span lines).
fn unterminated_string(rest: &str) -> bool {
    let line = rest.split(['\n', '\r']).next().unwrap_or("");
    if let Some(raw) = line.strip_prefix("\"\"\"") {
        return !raw.contains("\"\"\"");
    }
    let Some(body) = line.strip_prefix('"') else {
        return false;
    };
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return false,
            '\\' => {
                chars.next();
            }
            _ => {}
        }
    }
    true
}

/// The token found at `pos` (an identifier-like word, or one character).
fn found_at(text: &str, pos: usize) -> (String, Span) {
    let rest = &text[pos.min(text.len())..];
    if rest.trim().is_empty() {
        return ("end of query".to_string(), pos..pos);
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '@' || *c == '~')
        .collect();
    if !word.is_empty() {
        return (format!("`{word}`"), pos..pos + word.len());
    }
    let c = rest.chars().next().unwrap_or(' ');
    (format!("`{c}`"), pos..pos + c.len_utf8())
}

fn syntax_error(text: &str, e: pest::error::Error<Rule>) -> Diagnostics {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // at the end: point just after the last token, not at trailing blank lines (in a
    // rule file those lead to the closing quotes)
    let end = text.trim_end().len();
    let pos = if pos > end && text[end..].trim().is_empty() {
        end
    } else {
        pos
    };
    let (found, span) = found_at(text, pos);
    let (positives, custom) = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => (positives.clone(), None),
        ErrorVariant::CustomError { message } => (Vec::new(), Some(message.clone())),
    };
    if let Some(m) = custom {
        return Diagnostic::error(span, format!("syntax error: {m}")).into();
    }
    if unterminated_string(&text[pos.min(text.len())..]) {
        return Diagnostic::error(span, "unterminated string")
            .with_help(
                "a string ends with `\"` on the line it starts on; write a line break as `\\n`",
            )
            .into();
    }
    let mut expected: Vec<&str> = Vec::new();
    for r in &positives {
        if let Some(d) = describe(r) {
            if !expected.contains(&d) {
                expected.push(d);
            }
        }
    }
    let message = match expected.len() {
        0 => format!("unexpected {found}"),
        1 => format!("expected {}, found {found}", expected[0]),
        _ => {
            let last = expected.pop().unwrap_or_default();
            format!("expected {} or {last}, found {found}", expected.join(", "))
        }
    };
    let mut d = Diagnostic::error(span, message);
    // A misspelled `sequence` / `sample` reads as a category name.
    let first_word: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if first_word != "sequence" && first_word != "sample" {
        if let Some(k) = closest(&first_word, ["sequence", "sample"]) {
            if text[pos.min(text.len())..]
                .trim_start()
                .starts_with(['b', '[', 'w'])
            {
                return d.with_help(format!("did you mean `{k}`?")).into();
            }
        }
    }
    // Help for mis-cased or misspelled keywords and unsupported constructs.
    let word = text[pos.min(text.len())..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>();
    if !word.is_empty() {
        let lower = word.to_ascii_lowercase();
        if lower != word && KEYWORDS.contains(&lower.as_str()) {
            d = d.with_help(format!("keywords are lower-case: write `{lower}`"));
        } else {
            let wanted: Vec<&str> = positives
                .iter()
                .filter_map(|r| describe(r))
                .filter_map(|d| d.strip_prefix('`').and_then(|x| x.strip_suffix('`')))
                .filter(|k| k.chars().all(|c| c.is_ascii_lowercase()))
                .collect();
            if let Some(k) = closest(&lower, wanted.iter().copied()) {
                d = d.with_help(format!("did you mean `{k}`?"));
            } else if let Some(k) = closest(&lower, KEYWORDS.iter().copied()) {
                if lower.len() > 2 && lower != k {
                    d = d.with_help(format!("did you mean `{k}`?"));
                }
            }
        }
    } else if text[pos.min(text.len())..].starts_with('[') {
        d = d.with_help(
            "a query with several `[...]` stages must start with `sequence` or `sample`",
        );
    }
    d.into()
}

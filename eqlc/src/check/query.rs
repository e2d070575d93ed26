//! Query shapes: event queries, sequences, samples, stages, join keys, maxspan, pipes.

use super::suggest::closest;
use super::Checker;
use crate::ast::{self, Span};
use crate::diag::Diagnostic;
use crate::ir::{self, Type};

/// Largest `runs=N`.
pub const MAX_RUNS: i64 = 100;

/// Python-eql pipes that Elasticsearch does not have.
const PYTHON_PIPES: &[&str] = &[
    "count",
    "filter",
    "sort",
    "unique",
    "unique_count",
    "window",
];

impl Checker<'_> {
    pub(super) fn query(&mut self, q: &ast::Query) -> ir::Query {
        let (body, cat_span) = match &q.body {
            ast::Body::Event(s) => {
                let stage = self.stage_from(s, &[], &[], false, None, s.span.clone());
                (ir::Body::Event(stage), s.category.span.clone())
            }
            ast::Body::Sequence(s) => (
                ir::Body::Sequence(self.sequence(s)),
                s.stages
                    .first()
                    .map_or(s.span.clone(), |st| st.query.category.span.clone()),
            ),
            ast::Body::Sample(s) => (
                ir::Body::Sample(self.sample(s)),
                s.stages
                    .first()
                    .map_or(s.span.clone(), |st| st.query.category.span.clone()),
            ),
        };
        let pipes = q.pipes.iter().filter_map(|p| self.pipe(p)).collect();
        let path = self.opts.category_field.clone();
        let ty = self.lookup(&path).unwrap_or_default();
        ir::Query {
            body,
            pipes,
            category_field: ir::Field {
                path,
                optional: false,
                ty,
                span: cat_span,
            },
        }
    }

    /// Check the `where` part of a stage and build the IR stage.
    fn stage_from(
        &mut self,
        s: &ast::Subquery,
        outer_keys: &[ir::Field],
        own_keys: &[ast::Field],
        missing: bool,
        runs: Option<u32>,
        span: Span,
    ) -> ir::Stage {
        let category = match &s.category.kind {
            ast::CategoryKind::Any => ir::Category::Any,
            ast::CategoryKind::Name(n) => ir::Category::Named(n.clone()),
        };
        let condition = self.condition(&s.condition);
        let mut keys = outer_keys.to_vec();
        keys.extend(own_keys.iter().map(|f| self.field(f)));
        ir::Stage {
            category,
            condition,
            keys,
            missing,
            runs: runs.unwrap_or(1),
            span,
        }
    }

    /// A `where` condition: must be boolean.
    fn condition(&mut self, e: &ast::Expr) -> ir::Expr {
        match self.expr(e) {
            Some(x) => {
                let ty = super::expr::checked_type(&x);
                if !matches!(ty, Type::Bool | Type::Any | Type::Null) {
                    self.err(
                        Diagnostic::error(
                            e.span.clone(),
                            format!(
                                "the condition must be a boolean, found {}",
                                super::expr::checked_type_name(&x)
                            ),
                        )
                        .with_help("compare it with something, e.g. `... == \"value\"`"),
                    );
                }
                x
            }
            None => ir::Expr {
                kind: ir::ExprKind::Literal(ir::Literal::Bool(false)),
                ty: Type::Bool,
                span: e.span.clone(),
            },
        }
    }

    fn runs(&mut self, st: &ast::Stage) -> Option<u32> {
        let r = st.runs.as_ref()?;
        match r.value {
            ast::Number::Int(n) if (1..=MAX_RUNS).contains(&n) => u32::try_from(n).ok(),
            ast::Number::Int(n) => {
                self.err(
                    Diagnostic::error(
                        r.span.clone(),
                        format!("`runs` must be between 1 and {MAX_RUNS}, found {n}"),
                    )
                    .with_help("`with runs=N` repeats the stage N times"),
                );
                None
            }
            ast::Number::Float(_) => {
                self.err(Diagnostic::error(
                    r.span.clone(),
                    "`runs` must be an integer",
                ));
                None
            }
        }
    }

    fn keys(&mut self, by: &[ast::Field]) -> Vec<ir::Field> {
        by.iter().map(|f| self.field(f)).collect()
    }

    fn sequence(&mut self, s: &ast::Sequence) -> ir::Sequence {
        let outer = self.keys(&s.by);
        let maxspan = s.maxspan.as_ref().and_then(|m| self.maxspan(m));
        let mut stages = Vec::new();
        for st in &s.stages {
            let runs = self.runs(st);
            if st.missing && s.maxspan.is_none() {
                self.err(
                    Diagnostic::error(
                        st.span.start..st.span.start + 2,
                        "a missing-event stage `![...]` needs `with maxspan`",
                    )
                    .with_help("add `with maxspan=<time>` after `sequence` (and its `by`)"),
                );
            }
            stages.push(self.stage_from(
                &st.query,
                &outer,
                &st.by,
                st.missing,
                runs,
                st.span.clone(),
            ));
        }
        let until = s.until.as_ref().map(|u| {
            if let Some(r) = &u.runs {
                self.err(Diagnostic::error(
                    r.span.clone(),
                    "`with runs` is not allowed on `until`",
                ));
            }
            if u.missing {
                self.err(Diagnostic::error(
                    u.span.start..u.span.start + 2,
                    "`until` cannot be a missing-event stage",
                ));
            }
            self.stage_from(&u.query, &outer, &u.by, false, None, u.span.clone())
        });
        // Stage counts after `runs` expansion.
        let total: u64 = stages.iter().map(|st| u64::from(st.runs)).sum();
        if total < 2 {
            let sp = s
                .stages
                .first()
                .map_or(s.span.clone(), |st| st.span.clone());
            self.err(
                Diagnostic::error(
                    sp,
                    format!("a sequence needs at least 2 stages, found {total}"),
                )
                .with_help("add a stage, or repeat this one with `with runs=N`"),
            );
        }
        if !stages.is_empty() && stages.iter().all(|st| st.missing) {
            self.err(Diagnostic::error(
                s.span.clone(),
                "a sequence needs at least one stage that is not a missing-event stage `![...]`",
            ));
        }
        let all: Vec<&ast::Stage> = s.stages.iter().chain(s.until.as_deref()).collect();
        let irs: Vec<&ir::Stage> = stages.iter().chain(until.as_ref()).collect();
        self.key_counts(&all, &irs);
        ir::Sequence {
            stages,
            maxspan,
            until,
        }
    }

    fn sample(&mut self, s: &ast::Sample) -> ir::Sample {
        let outer = self.keys(&s.by);
        let mut stages = Vec::new();
        for st in &s.stages {
            if st.missing {
                self.err(
                    Diagnostic::error(
                        st.span.start..st.span.start + 2,
                        "`sample` does not support missing-event stages `![...]`",
                    )
                    .with_help("a sample takes one event for each of its `[...]` filters"),
                );
            }
            if let Some(r) = &st.runs {
                self.err(
                    Diagnostic::error(r.span.clone(), "`sample` does not support `with runs`")
                        .with_help(
                        "a sample takes one event per filter: write the filter again to want two",
                    ),
                );
            }
            stages.push(self.stage_from(&st.query, &outer, &st.by, false, None, st.span.clone()));
        }
        if stages.len() < 2 {
            let sp = s
                .stages
                .first()
                .map_or(s.span.clone(), |st| st.span.clone());
            self.err(Diagnostic::error(
                sp,
                format!("a sample needs at least 2 filters, found {}", stages.len()),
            ));
        }
        let all: Vec<&ast::Stage> = s.stages.iter().collect();
        let irs: Vec<&ir::Stage> = stages.iter().collect();
        self.key_counts(&all, &irs);
        ir::Sample { stages }
    }

    /// All stages (and `until`) must have the same number of join keys.
    fn key_counts(&mut self, ast_stages: &[&ast::Stage], stages: &[&ir::Stage]) {
        let Some(first) = stages.first() else { return };
        let n = first.keys.len();
        for (a, st) in ast_stages.iter().zip(stages).skip(1) {
            if st.keys.len() != n {
                let sp = match a.by.first() {
                    Some(f) => f.span.start..a.by.last().map_or(f.span.end, |l| l.span.end),
                    None => a.span.clone(),
                };
                self.err(
                    Diagnostic::error(
                        sp,
                        format!(
                            "inconsistent number of join keys: this stage has {}, the first has {n}",
                            st.keys.len()
                        ),
                    )
                    .with_label(ast_stages[0].span.clone(), format!("{n} join key(s) here"))
                    .with_help("every stage (and `until`) needs the same number of `by` keys"),
                );
            }
        }
    }

    fn maxspan(&mut self, m: &ast::MaxSpan) -> Option<u64> {
        const UNITS: [(&str, u64); 5] = [
            ("ms", 1_000_000),
            ("s", 1_000_000_000),
            ("m", 60_000_000_000),
            ("h", 3_600_000_000_000),
            ("d", 86_400_000_000_000),
        ];
        let amount: Option<u64> = if m.amount.is_empty() {
            self.err(Diagnostic::error(
                m.span.clone(),
                "`maxspan` needs a number and a time unit",
            ));
            return None;
        } else if m.amount.contains('.') {
            self.err(
                Diagnostic::error(
                    m.span.clone(),
                    format!("`maxspan` must be a whole number, found `{}`", m.amount),
                )
                .with_help("use a smaller unit, e.g. `1500ms` instead of `1.5s`"),
            );
            None
        } else {
            // the amount is a Java `long`, as Elasticsearch parses it
            match m
                .amount
                .parse::<u64>()
                .ok()
                .filter(|&n| n <= i64::MAX as u64)
                .ok_or(())
            {
                Ok(0) => {
                    self.err(Diagnostic::error(
                        m.span.clone(),
                        "`maxspan` must be greater than zero",
                    ));
                    None
                }
                Ok(n) => Some(n),
                Err(_) => {
                    self.err(Diagnostic::error(m.span.clone(), "`maxspan` is too large"));
                    None
                }
            }
        };
        let Some(unit) = &m.unit else {
            self.err(
                Diagnostic::error(m.span.clone(), "`maxspan` needs a time unit").with_help(
                    format!(
                        "write the unit after the number: `{}s` (units: ms, s, m, h, d)",
                        m.amount
                    ),
                ),
            );
            return None;
        };
        let Some((_, factor)) = UNITS.iter().find(|(u, _)| u == unit) else {
            let start = m.span.end - unit.len();
            let mut d = Diagnostic::error(start..m.span.end, format!("unknown time unit `{unit}`"));
            d = match closest(unit, UNITS.iter().map(|(u, _)| *u)) {
                Some(s) if unit.len() > 1 || s.len() > 1 => {
                    d.with_help(format!("did you mean `{s}`? (units: ms, s, m, h, d)"))
                }
                _ => d.with_help("units: ms, s, m, h, d"),
            };
            self.err(d);
            return None;
        };
        // Elasticsearch converts with Java's `TimeUnit`, which saturates; a span of
        // `u64::MAX` ns exceeds the distance between any two event times (i64 ns), so
        // saturating keeps every result
        Some(amount?.saturating_mul(*factor))
    }

    fn pipe(&mut self, p: &ast::Pipe) -> Option<ir::Pipe> {
        let make: fn(u64) -> ir::Pipe = match p.name.as_str() {
            "head" => ir::Pipe::Head,
            "tail" => ir::Pipe::Tail,
            other => {
                let mut d =
                    Diagnostic::error(p.name_span.clone(), format!("unrecognized pipe `{other}`"));
                d = if PYTHON_PIPES.contains(&other.to_ascii_lowercase().as_str()) {
                    d.with_help(format!(
                        "`{other}` exists only in Python eql; Elasticsearch EQL has only `head` and `tail`"
                    ))
                } else if let Some(s) = closest(other, ["head", "tail"]) {
                    d.with_help(format!("did you mean `{s}`?"))
                } else {
                    d.with_help("Elasticsearch EQL has only the `head` and `tail` pipes")
                };
                self.err(d);
                return None;
            }
        };
        let n = match p.args.as_slice() {
            [a] => match &a.kind {
                ast::ExprKind::Literal(ast::Literal::Number(ast::Number::Int(n))) => {
                    u64::try_from(*n).ok()
                }
                _ => None,
            },
            _ => None,
        };
        match n {
            Some(n) => Some(make(n)),
            None => {
                let sp = match (p.args.first(), p.args.last()) {
                    (Some(f), Some(l)) => f.span.start..l.span.end,
                    _ => p.name_span.clone(),
                };
                self.err(
                    Diagnostic::error(sp, format!("`{}` needs one non-negative integer", p.name))
                        .with_help(format!("e.g. `| {} 10`", p.name)),
                );
                None
            }
        }
    }
}

//! Syntax tree of an EQL query, as written.
//!
//! Produced by [`crate::parse()`], consumed by [`crate::check()`]. Every node carries the byte
//! [`Span`] of the text it was parsed from. Names are not resolved and nothing is typed
//! yet; the only things already rejected are those the grammar cannot express (see
//! `parse.rs`). `Display` writes a query back as EQL text that parses to the same tree
//! (compare with [`Query::same_as`], which ignores spans).

use std::fmt::{self, Display, Formatter, Write as _};

/// A byte range into the query text.
pub type Span = std::ops::Range<usize>;

/// A whole query: body plus pipes.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Event, sequence or sample part.
    pub body: Body,
    /// `| name args` pipes in source order (names not checked yet).
    pub pipes: Vec<Pipe>,
    /// The whole query.
    pub span: Span,
}

/// The three query shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `category where condition`.
    Event(Subquery),
    /// `sequence ...`.
    Sequence(Sequence),
    /// `sample ...`.
    Sample(Sample),
}

/// `category where condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// The event category.
    pub category: Category,
    /// The condition after `where`.
    pub condition: Expr,
    /// From the category to the end of the condition.
    pub span: Span,
}

/// An event category.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// `any` or a name.
    pub kind: CategoryKind,
    /// Where it was written.
    pub span: Span,
}

/// What a category is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryKind {
    /// `any`.
    Any,
    /// A bare identifier or a (double- or triple-quoted) string, unescaped.
    Name(String),
}

/// A `sequence` query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// Sequence-level `by` keys.
    pub by: Vec<Field>,
    /// `with maxspan=...`.
    pub maxspan: Option<MaxSpan>,
    /// The stages (positive and missing).
    pub stages: Vec<Stage>,
    /// `until [...]` (boxed to keep [`Body`] small).
    pub until: Option<Box<Stage>>,
    /// The whole sequence (without pipes).
    pub span: Span,
}

/// A `sample` query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Sample-level `by` keys.
    pub by: Vec<Field>,
    /// The filters.
    pub stages: Vec<Stage>,
    /// The whole sample (without pipes).
    pub span: Span,
}

/// `with maxspan=<number><unit>`, kept as written (validated by the checker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxSpan {
    /// The number as written (`5`, `1.5`, possibly empty).
    pub amount: String,
    /// The unit as written, if any (`ms`, `s`, ...).
    pub unit: Option<String>,
    /// Span of the value (number and unit).
    pub span: Span,
}

/// One `[category where condition] by keys with runs=N` clause, or `![...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Written `![`.
    pub missing: bool,
    /// Inside the brackets.
    pub query: Subquery,
    /// Stage `by` keys.
    pub by: Vec<Field>,
    /// `with runs=N`.
    pub runs: Option<Runs>,
    /// The whole clause.
    pub span: Span,
}

/// `with runs=N`.
#[derive(Debug, Clone, PartialEq)]
pub struct Runs {
    /// The number.
    pub value: Number,
    /// Span of the number.
    pub span: Span,
}

/// A pipe `| name args...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipe {
    /// Pipe name as written.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// Arguments.
    pub args: Vec<Expr>,
    /// The whole pipe, from `|`.
    pub span: Span,
}

/// A field reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Path segments (backticks removed; a quoted segment may itself contain dots).
    pub segments: Vec<String>,
    /// Written with a leading `?`.
    pub optional: bool,
    /// Where it was written (including `?`).
    pub span: Span,
}

impl Field {
    /// The dotted path (`process.parent.name`), segments joined with `.`.
    pub fn path(&self) -> String {
        self.segments.join(".")
    }
}

/// A number literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// Written without `.` or exponent, fits an `i64`.
    Int(i64),
    /// Written with `.` or an exponent (always finite).
    Float(f64),
}

/// A literal constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number (never negative: `-5` is a [`UnaryOp::Neg`]).
    Number(Number),
    /// A string, escapes processed.
    Str(String),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Literal(Literal),
    /// A field.
    Field(Field),
    /// `( e )`.
    Paren(Box<Expr>),
    /// `name(args)` or `name~(args)`.
    Call {
        /// Function name as written (without `~`).
        name: String,
        /// Span of the name (with `~`).
        name_span: Span,
        /// Written with `~`.
        insensitive: bool,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `-e` / `+e`.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        expr: Box<Expr>,
    },
    /// `a + b` etc.
    Arith {
        /// Operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `a == b` etc.
    Compare {
        /// Operator.
        op: CompareOp,
        /// Span of the operator.
        op_span: Span,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `e in (...)`, `e not in~ (...)`.
    In {
        /// Tested operand.
        expr: Box<Expr>,
        /// `not in`.
        negated: bool,
        /// `in~`.
        insensitive: bool,
        /// Span of the operator.
        op_span: Span,
        /// List items.
        list: Vec<Expr>,
    },
    /// `e : p`, `e like~ (p, ...)`, `e regex p`.
    Match {
        /// Tested operand.
        expr: Box<Expr>,
        /// Operator.
        op: MatchOp,
        /// Span of the operator.
        op_span: Span,
        /// Patterns.
        patterns: Vec<Expr>,
        /// Written as a parenthesised list.
        list: bool,
    },
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b and ...` (two or more operands).
    And(Vec<Expr>),
    /// `a or b or ...` (two or more operands).
    Or(Vec<Expr>),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `+`
    Plus,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Pattern operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `:`
    Colon,
    /// `like`
    Like,
    /// `like~`
    LikeInsensitive,
    /// `regex`
    Regex,
    /// `regex~`
    RegexInsensitive,
}

impl ArithOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

impl CompareOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

impl MatchOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Colon => ":",
            MatchOp::Like => "like",
            MatchOp::LikeInsensitive => "like~",
            MatchOp::Regex => "regex",
            MatchOp::RegexInsensitive => "regex~",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Span-insensitive comparison

impl Query {
    /// A copy with every span set to `0..0`.
    pub fn without_spans(&self) -> Query {
        let mut q = self.clone();
        q.clear_spans();
        q
    }

    /// Whether two queries are the same tree, ignoring spans.
    pub fn same_as(&self, other: &Query) -> bool {
        self.without_spans() == other.without_spans()
    }

    fn clear_spans(&mut self) {
        self.span = 0..0;
        match &mut self.body {
            Body::Event(s) => s.clear_spans(),
            Body::Sequence(s) => {
                s.span = 0..0;
                s.by.iter_mut().for_each(|f| f.span = 0..0);
                if let Some(m) = &mut s.maxspan {
                    m.span = 0..0;
                }
                s.stages.iter_mut().for_each(Stage::clear_spans);
                if let Some(u) = &mut s.until {
                    u.clear_spans();
                }
            }
            Body::Sample(s) => {
                s.span = 0..0;
                s.by.iter_mut().for_each(|f| f.span = 0..0);
                s.stages.iter_mut().for_each(Stage::clear_spans);
            }
        }
        for p in &mut self.pipes {
            p.span = 0..0;
            p.name_span = 0..0;
            p.args.iter_mut().for_each(Expr::clear_spans);
        }
    }
}

impl Stage {
    fn clear_spans(&mut self) {
        self.span = 0..0;
        self.query.clear_spans();
        self.by.iter_mut().for_each(|f| f.span = 0..0);
        if let Some(r) = &mut self.runs {
            r.span = 0..0;
        }
    }
}

impl Subquery {
    fn clear_spans(&mut self) {
        self.span = 0..0;
        self.category.span = 0..0;
        self.condition.clear_spans();
    }
}

impl Expr {
    /// A copy with every span set to `0..0`.
    pub fn without_spans(&self) -> Expr {
        let mut e = self.clone();
        e.clear_spans();
        e
    }

    fn clear_spans(&mut self) {
        self.span = 0..0;
        match &mut self.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Field(f) => f.span = 0..0,
            ExprKind::Paren(e) | ExprKind::Not(e) | ExprKind::Unary { expr: e, .. } => {
                e.clear_spans()
            }
            ExprKind::Call {
                name_span, args, ..
            } => {
                *name_span = 0..0;
                args.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::Arith { lhs, rhs, .. } => {
                lhs.clear_spans();
                rhs.clear_spans();
            }
            ExprKind::Compare {
                op_span, lhs, rhs, ..
            } => {
                *op_span = 0..0;
                lhs.clear_spans();
                rhs.clear_spans();
            }
            ExprKind::In {
                expr,
                op_span,
                list,
                ..
            } => {
                *op_span = 0..0;
                expr.clear_spans();
                list.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::Match {
                expr,
                op_span,
                patterns,
                ..
            } => {
                *op_span = 0..0;
                expr.clear_spans();
                patterns.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::And(v) | ExprKind::Or(v) => v.iter_mut().for_each(Expr::clear_spans),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Printer

/// The reserved words of the language (lower case).
pub const KEYWORDS: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "maxspan", "not", "null", "of", "or",
    "regex", "sample", "sequence", "true", "until", "where", "with",
];

/// Whether `s` can be written as a bare identifier (and is not a keyword).
pub fn is_plain_ident(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_' || first == '@')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&s)
}

/// Write `s` as a `"..."` EQL string literal with escapes.
pub fn write_string(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if c.is_control() => write!(out, "\\u{{{:02x}}}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

fn write_segment(out: &mut impl fmt::Write, s: &str, first: bool) -> fmt::Result {
    let plain = if first {
        is_plain_ident(s)
    } else {
        is_plain_ident(s) || (KEYWORDS.contains(&s))
    };
    if plain {
        out.write_str(s)
    } else {
        write!(out, "`{}`", s.replace('`', "``"))
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.optional {
            f.write_char('?')?;
        }
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            write_segment(f, s, i == 0)?;
        }
        Ok(())
    }
}

impl Display for Number {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => {
                // `{:?}` always writes a `.` or an exponent, so it reads back as a float.
                write!(f, "{x:?}")
            }
        }
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Str(s) => write_string(f, s),
        }
    }
}

/// Binding strength, low to high: or 1, and 2, not 3, comparison 4, + - 5, * / % 6,
/// unary 7, primary 8.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Or(_) => 1,
        ExprKind::And(_) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare { .. } | ExprKind::In { .. } | ExprKind::Match { .. } => 4,
        ExprKind::Arith {
            op: ArithOp::Add | ArithOp::Sub,
            ..
        } => 5,
        ExprKind::Arith { .. } => 6,
        ExprKind::Unary { .. } => 7,
        _ => 8,
    }
}

/// Write `e`, in parentheses when it binds less tightly than `min`.
fn write_at(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn write_list(f: &mut Formatter<'_>, items: &[Expr]) -> fmt::Result {
    f.write_char('(')?;
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    f.write_char(')')
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Literal(l) => write!(f, "{l}"),
            ExprKind::Field(x) => write!(f, "{x}"),
            ExprKind::Paren(e) => write!(f, "({e})"),
            ExprKind::Call {
                name,
                insensitive,
                args,
                ..
            } => {
                f.write_str(name)?;
                if *insensitive {
                    f.write_char('~')?;
                }
                write_list(f, args)
            }
            ExprKind::Unary { op, expr } => {
                f.write_str(match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Plus => "+",
                })?;
                // A space keeps `- -1` from reading as `--1` (which is fine) and `-.5` clear.
                if matches!(expr.kind, ExprKind::Unary { .. }) {
                    f.write_char(' ')?;
                }
                write_at(f, expr, 7)
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let p = precedence(self);
                write_at(f, lhs, p)?;
                write!(f, " {} ", op.as_str())?;
                write_at(f, rhs, p + 1)
            }
            ExprKind::Compare { op, lhs, rhs, .. } => {
                write_at(f, lhs, 5)?;
                write!(f, " {} ", op.as_str())?;
                write_at(f, rhs, 5)
            }
            ExprKind::In {
                expr,
                negated,
                insensitive,
                list,
                ..
            } => {
                write_at(f, expr, 5)?;
                f.write_str(if *negated { " not in" } else { " in" })?;
                f.write_str(if *insensitive { "~ " } else { " " })?;
                write_list(f, list)
            }
            ExprKind::Match {
                expr,
                op,
                patterns,
                list,
                ..
            } => {
                write_at(f, expr, 5)?;
                write!(f, " {} ", op.as_str())?;
                match (patterns.as_slice(), list) {
                    ([p], false) => write_at(f, p, 5),
                    _ => write_list(f, patterns),
                }
            }
            ExprKind::Not(e) => {
                f.write_str("not ")?;
                write_at(f, e, 3)
            }
            ExprKind::And(v) | ExprKind::Or(v) => {
                let (p, word) = if matches!(self.kind, ExprKind::And(_)) {
                    (2, " and ")
                } else {
                    (1, " or ")
                };
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(word)?;
                    }
                    // Operands of the same kind were flattened by the parser, so a nested
                    // one must have been parenthesised.
                    write_at(f, e, p + 1)?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Category {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CategoryKind::Any => f.write_str("any"),
            CategoryKind::Name(n) if is_plain_ident(n) => f.write_str(n),
            CategoryKind::Name(n) => write_string(f, n),
        }
    }
}

impl Display for Subquery {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} where {}", self.category, self.condition)
    }
}

fn write_by(f: &mut Formatter<'_>, by: &[Field]) -> fmt::Result {
    if by.is_empty() {
        return Ok(());
    }
    f.write_str(" by ")?;
    for (i, k) in by.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k}")?;
    }
    Ok(())
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(if self.missing { "![" } else { "[" })?;
        write!(f, "{}]", self.query)?;
        write_by(f, &self.by)?;
        if let Some(r) = &self.runs {
            write!(f, " with runs={}", r.value)?;
        }
        Ok(())
    }
}

impl Display for MaxSpan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.amount)?;
        if let Some(u) = &self.unit {
            f.write_str(u)?;
        }
        Ok(())
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.body {
            Body::Event(s) => write!(f, "{s}")?,
            Body::Sequence(s) => {
                f.write_str("sequence")?;
                write_by(f, &s.by)?;
                if let Some(m) = &s.maxspan {
                    write!(f, " with maxspan={m}")?;
                }
                for st in &s.stages {
                    write!(f, "\n  {st}")?;
                }
                if let Some(u) = &s.until {
                    write!(f, "\nuntil {u}")?;
                }
            }
            Body::Sample(s) => {
                f.write_str("sample")?;
                write_by(f, &s.by)?;
                for st in &s.stages {
                    write!(f, "\n  {st}")?;
                }
            }
        }
        for p in &self.pipes {
            write!(f, " | {}", p.name)?;
            for (i, a) in p.args.iter().enumerate() {
                f.write_str(if i == 0 { " " } else { ", " })?;
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

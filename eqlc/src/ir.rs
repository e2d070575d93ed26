//! Typed intermediate representation produced by the checker.
//!
//! The IR is what every later stage consumes (optimiser, code generator, reference
//! interpreter). Compared with the [`crate::ast`], names are resolved (function names are a
//! [`Func`], fields carry their schema type), literals are typed, `runs=N` is kept as a count
//! on its stage, sequence-level `by` keys are merged into every stage's key list, and every
//! construct Elasticsearch rejects has been rejected. Spans are byte ranges into the query
//! text, kept so that later stages can still point at the source.

use std::ops::Range;

/// A byte range into the query text.
pub type Span = Range<usize>;

/// One checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The event, sequence or sample part.
    pub body: Body,
    /// `| head N` / `| tail N` pipes, in source order.
    pub pipes: Vec<Pipe>,
    /// The field holding an event's category (`event.category` unless a rule overrides it
    /// with `event_category_override`).
    pub category_field: Field,
}

/// The three query shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `category where condition`.
    Event(Stage),
    /// `sequence ...`.
    Sequence(Sequence),
    /// `sample ...`.
    Sample(Sample),
}

/// One `[category where condition] by keys` clause (or the whole of an event query).
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Category filter.
    pub category: Category,
    /// The `where` condition (type [`Type::Bool`]).
    pub condition: Expr,
    /// Join keys: the sequence/sample-level `by` fields followed by this stage's own `by`
    /// fields. Empty for event queries.
    pub keys: Vec<Field>,
    /// `![...]`: a missing-event stage.
    pub missing: bool,
    /// `with runs=N` (1 when absent). The stage stands for `runs` consecutive copies.
    pub runs: u32,
    /// Span of the whole clause.
    pub span: Span,
}

/// Category of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Category {
    /// `any`: no category test.
    Any,
    /// A named category; matched exactly and case-sensitively against any value of the
    /// category field.
    Named(String),
}

/// A `sequence` query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// Stages in order (positive and missing), `runs` not expanded.
    pub stages: Vec<Stage>,
    /// `with maxspan=...` in nanoseconds.
    pub maxspan: Option<u64>,
    /// `until [...]`.
    pub until: Option<Stage>,
}

/// A `sample` query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Filters in order.
    pub stages: Vec<Stage>,
}

/// A pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipe {
    /// `| head N`: the first N results.
    Head(u64),
    /// `| tail N`: the last N results.
    Tail(u64),
}

/// A field reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The dotted path as written (backticks removed), e.g. `process.parent.name`.
    pub path: String,
    /// Written with a leading `?`.
    pub optional: bool,
    /// Type from the schema, [`FieldType::Unknown`] without one.
    pub ty: FieldType,
    /// Where it was written (for `category_field`, the span of the category name).
    pub span: Span,
}

/// Field types that change semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FieldType {
    /// Not in the schema (or no schema): values are taken as they come in the event.
    #[default]
    Unknown,
    /// `keyword` / `constant_keyword` / `wildcard` / `text` with keyword sub-field.
    Keyword,
    /// Integral numbers (`long`, `integer`, `short`, `byte`, `unsigned_long`).
    Integer,
    /// Floating point numbers (`double`, `float`, `half_float`, `scaled_float`).
    Float,
    /// `boolean`.
    Boolean,
    /// `ip`.
    Ip,
    /// `date` (millisecond precision).
    Date,
    /// `date_nanos`.
    DateNanos,
    /// `version` (compared by semantic version).
    Version,
}

/// Static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// `true`/`false`.
    Bool,
    /// Integral number.
    Integer,
    /// Floating point number.
    Float,
    /// String.
    String,
    /// The `null` literal (or an expression that is always null).
    Null,
    /// A field of type [`FieldType::Unknown`]: decided per value at run time.
    Any,
    /// A field typed by the schema as something other than the above (ip, date, version).
    Field(FieldType),
}

/// A typed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its static type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
}

/// Expression forms. Every leaf predicate (comparison, `in`, `:`/`like`, `regex`, boolean
/// function call) follows eql-semantics.md §3: true iff some value (or combination of
/// values, for computed operands) satisfies it; negations are [`ExprKind::Not`] of the
/// leaf.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Literal(Literal),
    /// A field's value(s).
    Field(Field),
    /// `not e` (also what `!=`, `not in`, `not in~` become: `Not(Compare Eq)`, `Not(In)`).
    Not(Box<Expr>),
    /// `a and b and ...` (at least two operands).
    And(Vec<Expr>),
    /// `a or b or ...` (at least two operands).
    Or(Vec<Expr>),
    /// `lhs op rhs`; at most one side references fields (checked). `!=` is represented as
    /// `Not(Compare { op: Eq })`. Comparisons with the `null` literal are [`ExprKind::IsNull`].
    Compare {
        /// Operator.
        op: CmpOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `e == null`: true iff `e` has no non-null value. (`e != null` is `Not(IsNull)`.)
    IsNull(Box<Expr>),
    /// `e in (...)` / `e in~ (...)`; the list holds constants only. `not in` is `Not(In)`.
    In {
        /// Tested operand.
        expr: Box<Expr>,
        /// Constant list (nulls removed; they never match).
        list: Vec<Literal>,
        /// `in~`: case-insensitive, still no wildcards.
        case_insensitive: bool,
    },
    /// `e : "p"`, `e : ("p", ...)`, `e like ...`, `e like~ ...`: wildcard patterns
    /// (`*` any run, `?` one character, no escapes).
    Like {
        /// Tested operand.
        expr: Box<Expr>,
        /// Patterns (unescaped string values).
        patterns: Vec<String>,
        /// `:` and `like~`.
        case_insensitive: bool,
    },
    /// `e regex "r"` / `regex~`: Lucene regular expressions, whole-string match; several
    /// patterns are alternatives.
    Regex {
        /// Tested operand.
        expr: Box<Expr>,
        /// Patterns (unescaped string values, Lucene syntax).
        patterns: Vec<String>,
        /// `regex~`.
        case_insensitive: bool,
    },
    /// `lhs op rhs` arithmetic.
    Arith {
        /// Operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// A function call.
    Call {
        /// Which function.
        func: Func,
        /// Arguments (arity already checked; optional trailing arguments may be absent).
        args: Vec<Expr>,
        /// The `~` form.
        case_insensitive: bool,
    },
}

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A string (escapes already processed).
    Str(String),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (integer division truncates)
    Div,
    /// `%` (sign of the dividend)
    Rem,
}

/// The 16 functions of Elasticsearch EQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// `add(a, b)`
    Add,
    /// `between(s, left, right[, greedy])`
    Between,
    /// `cidrMatch(ip, cidr...)`
    CidrMatch,
    /// `concat(v...)`
    Concat,
    /// `divide(a, b)`
    Divide,
    /// `endsWith(s, sub)`
    EndsWith,
    /// `indexOf(s, sub[, start])`
    IndexOf,
    /// `length(s)`
    Length,
    /// `modulo(a, b)`
    Modulo,
    /// `multiply(a, b)`
    Multiply,
    /// `number(s[, base])`
    Number,
    /// `startsWith(s, sub)`
    StartsWith,
    /// `string(v)`
    String,
    /// `stringContains(s, sub)`
    StringContains,
    /// `substring(s, start[, end])`
    Substring,
    /// `subtract(a, b)`
    Subtract,
}

impl Func {
    /// Every function, in alphabetical order.
    pub const ALL: [Func; 16] = [
        Func::Add,
        Func::Between,
        Func::CidrMatch,
        Func::Concat,
        Func::Divide,
        Func::EndsWith,
        Func::IndexOf,
        Func::Length,
        Func::Modulo,
        Func::Multiply,
        Func::Number,
        Func::StartsWith,
        Func::String,
        Func::StringContains,
        Func::Substring,
        Func::Subtract,
    ];

    /// The canonical (documented) spelling.
    pub fn name(self) -> &'static str {
        match self {
            Func::Add => "add",
            Func::Between => "between",
            Func::CidrMatch => "cidrMatch",
            Func::Concat => "concat",
            Func::Divide => "divide",
            Func::EndsWith => "endsWith",
            Func::IndexOf => "indexOf",
            Func::Length => "length",
            Func::Modulo => "modulo",
            Func::Multiply => "multiply",
            Func::Number => "number",
            Func::StartsWith => "startsWith",
            Func::String => "string",
            Func::StringContains => "stringContains",
            Func::Substring => "substring",
            Func::Subtract => "subtract",
        }
    }

    /// Look a function up by name, case-insensitively (`startswith` == `startsWith`).
    pub fn lookup(name: &str) -> Option<Func> {
        Func::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Whether a `~` (case-insensitive) form exists.
    pub fn has_insensitive_form(self) -> bool {
        matches!(
            self,
            Func::Between
                | Func::EndsWith
                | Func::IndexOf
                | Func::StartsWith
                | Func::StringContains
        )
    }

    /// Allowed argument counts: (minimum, maximum; `None` = unbounded).
    pub fn arity(self) -> (usize, Option<usize>) {
        match self {
            Func::Add
            | Func::Divide
            | Func::Modulo
            | Func::Multiply
            | Func::Subtract
            | Func::EndsWith
            | Func::StartsWith
            | Func::StringContains => (2, Some(2)),
            Func::Between => (3, Some(4)),
            Func::CidrMatch => (2, None),
            Func::Concat => (1, None),
            Func::IndexOf => (2, Some(3)),
            Func::Length | Func::String => (1, Some(1)),
            Func::Number => (1, Some(2)),
            Func::Substring => (2, Some(3)),
        }
    }
}

impl Expr {
    /// Visit every field referenced by this expression (in source order).
    pub fn for_each_field<'a>(&'a self, f: &mut dyn FnMut(&'a Field)) {
        match &self.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Field(x) => f(x),
            ExprKind::Not(e) | ExprKind::IsNull(e) | ExprKind::Neg(e) => e.for_each_field(f),
            ExprKind::And(v) | ExprKind::Or(v) => v.iter().for_each(|e| e.for_each_field(f)),
            ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arith { lhs, rhs, .. } => {
                lhs.for_each_field(f);
                rhs.for_each_field(f);
            }
            ExprKind::In { expr, .. }
            | ExprKind::Like { expr, .. }
            | ExprKind::Regex { expr, .. } => expr.for_each_field(f),
            ExprKind::Call { args, .. } => args.iter().for_each(|e| e.for_each_field(f)),
        }
    }

    /// Whether the expression references no field (it can be folded to a constant).
    pub fn is_constant(&self) -> bool {
        let mut any = false;
        self.for_each_field(&mut |_| any = true);
        !any
    }
}

impl Query {
    /// Every stage of the query (sequence stages, then `until`; or the sample filters; or
    /// the single event stage).
    pub fn stages(&self) -> Vec<&Stage> {
        match &self.body {
            Body::Event(s) => vec![s],
            Body::Sequence(q) => q.stages.iter().chain(q.until.as_ref()).collect(),
            Body::Sample(q) => q.stages.iter().collect(),
        }
    }
}

//! [`Ast`](crate::ast::Query) → typed [`ir::Query`]: names, types, functions, sequence rules.
//!
//! The checker resolves function names, types literals and fields (through an optional
//! [`Schema`]), lowers operators to their IR forms (`!=` → `Not(Compare Eq)`, `== null` →
//! `IsNull`, `not in` → `Not(In)`, `:` → case-insensitive `Like`, ...), merges
//! sequence-level join keys into every stage, converts `maxspan` to nanoseconds, and rejects
//! everything Elasticsearch rejects (eql-semantics.md). It keeps going after an error so
//! that every problem of a query is reported at once.
//!
//! Files: `query.rs` (query shapes, stages, pipes), `expr.rs` (operators and types),
//! `func.rs` (the 16 functions, cidr blocks), `suggest.rs` (edit distance).

mod expr;
mod func;
mod query;
pub mod suggest;

use std::sync::Arc;

use crate::ast;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{self, FieldType, Type};
use crate::schema::Schema;

/// Settings of a check.
#[derive(Debug, Clone)]
pub struct Options {
    /// The field holding the event category (`event.category`; detection-rules'
    /// `event_category_override` changes it).
    pub category_field: String,
    /// Field types and which fields exist. Without one every field is of unknown type and
    /// counts as mapped (so `?field` stays a field).
    pub schema: Option<Arc<Schema>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            category_field: "event.category".to_string(),
            schema: None,
        }
    }
}

impl Options {
    /// Default options with this schema.
    pub fn with_schema(schema: Arc<Schema>) -> Options {
        Options {
            schema: Some(schema),
            ..Options::default()
        }
    }
}

/// Check a parsed query.
///
/// # Errors
/// Every error found in the query.
pub fn check(query: &ast::Query, opts: &Options) -> Result<ir::Query, Diagnostics> {
    let mut c = Checker::new(opts);
    let q = c.query(query);
    c.finish(q)
}

/// Check a parsed query, also returning warnings (e.g. schema type mismatches).
///
/// The query is `None` when there are errors; the diagnostics then include them.
pub fn check_with_warnings(query: &ast::Query, opts: &Options) -> (Option<ir::Query>, Diagnostics) {
    let mut c = Checker::new(opts);
    let q = c.query(query);
    let ok = !c.diags.has_errors();
    (ok.then_some(q), c.diags)
}

/// Check a bare expression (as found in function/folding test files). The result may be of
/// any type.
///
/// # Errors
/// Every error found in the expression.
pub fn check_expr(expr: &ast::Expr, opts: &Options) -> Result<ir::Expr, Diagnostics> {
    let mut c = Checker::new(opts);
    let e = c.expr(expr);
    match e {
        Some(e) => c.finish(e),
        None => Err(c.diags),
    }
}

/// Checker state: options and the diagnostics found so far.
struct Checker<'o> {
    opts: &'o Options,
    diags: Diagnostics,
}

impl<'o> Checker<'o> {
    fn new(opts: &'o Options) -> Checker<'o> {
        Checker {
            opts,
            diags: Diagnostics::new(),
        }
    }

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

    /// Schema type of a path; `None` when a schema is present and does not map the path.
    fn lookup(&self, path: &str) -> Option<FieldType> {
        match &self.opts.schema {
            None => Some(FieldType::Unknown),
            Some(s) => s.get(path),
        }
    }

    /// An IR field for an AST field (always a field, even when optional and unmapped).
    fn field(&self, f: &ast::Field) -> ir::Field {
        let path = f.path();
        let ty = self.lookup(&path).unwrap_or_default();
        ir::Field {
            path,
            optional: f.optional,
            ty,
            span: f.span.clone(),
        }
    }
}

/// Expression type of a field type.
pub fn field_expr_type(ft: FieldType) -> Type {
    match ft {
        FieldType::Unknown => Type::Any,
        FieldType::Keyword => Type::String,
        FieldType::Integer => Type::Integer,
        FieldType::Float => Type::Float,
        FieldType::Boolean => Type::Bool,
        other => Type::Field(other),
    }
}

/// How a type is named in messages.
pub fn type_name(t: Type) -> &'static str {
    match t {
        Type::Bool => "boolean",
        Type::Integer => "integer",
        Type::Float => "float",
        Type::String => "string",
        Type::Null => "null",
        Type::Any => "a field of unknown type",
        Type::Field(FieldType::Ip) => "ip",
        Type::Field(FieldType::Date) => "date",
        Type::Field(FieldType::DateNanos) => "date_nanos",
        Type::Field(FieldType::Version) => "version",
        Type::Field(FieldType::Keyword) => "keyword",
        Type::Field(FieldType::Integer) => "integer",
        Type::Field(FieldType::Float) => "float",
        Type::Field(FieldType::Boolean) => "boolean",
        Type::Field(FieldType::Unknown) => "a field of unknown type",
    }
}

//! eqlc — the EQL rule compiler (library).
//!
//! Module map (data flows top to bottom; each step is a plain function whose output can be
//! printed and tested):
//!
//! | module | takes → returns |
//! |---|---|
//! | [`rule_file`] | a detection-rules TOML file → [`rule_file::RuleFile`] (metadata, query, where the query sits in the file) |
//! | [`source`] | query text + origin → [`source::Source`] (byte offset → file line:col) |
//! | [`parse`](mod@parse) (grammar in `eql.pest`) | query text → [`ast::Query`] (every node has a byte span) |
//! | [`ast`] | the syntax tree; `Display` prints it back as EQL |
//! | [`check`](mod@check) | [`ast::Query`] + [`check::Options`] ([`schema::Schema`], category field) → [`ir::Query`] |
//! | [`ir`] | the typed IR consumed by the optimiser, planner, code generator and interpreter |
//! | [`diag`] | [`diag::Diagnostics`]: every stage's errors, rendered like rustc |
//! | [`exceptions`] | exception-list TOML files → items added to the rules they name as `and not (...)` on every stage |
//! | [`schema`] | Elasticsearch mappings and `ecs-flat.json` → [`schema::Schema`] |
//! | [`plan`] | checked queries → [`plan::PackPlan`] (slots, folded constants, classified patterns, ordered tests) |
//! | [`interp`] | the reference evaluator over the IR (folding, differential tests) |
//! | [`selftest`] | a rule's `[[test]]` tables → results, through the interpreter and the runtime's engines, or through a compiled pack (`eqlc test`) |
//! | [`codegen`] | [`plan::PackPlan`] + [`rule_meta::RuleInfo`] → Rust tokens of one rule pack |
//! | [`compile`] | the whole pipeline for packs: rule sources → tokens; rule folders |
//! | [`macro_support`] | the bodies of the `eqlc-macros` macros |
//!
//! ```
//! let q = eqlc::compile_query(
//!     r#"process where process.name : "bash" and process.pid != 1"#,
//!     &eqlc::Options::default(),
//! )
//! .unwrap();
//! assert!(matches!(q.body, eqlc::ir::Body::Event(_)));
//! ```

pub mod ast;
pub mod build;
pub mod check;
pub mod codegen;
mod codegen_expr;
pub mod codegen_table;
pub mod compile;
pub mod diag;
pub mod exceptions;
pub mod interp;
pub mod ir;
pub mod macro_support;
pub mod parse;
pub mod plan;
pub mod rule_file;
pub mod rule_meta;
pub mod schema;
pub mod selftest;
pub mod source;

pub use check::Options;
pub use diag::{Diagnostic, Diagnostics};

/// Parse a query into its syntax tree.
///
/// # Errors
/// The syntax errors of the query.
pub fn parse(text: &str) -> Result<ast::Query, Diagnostics> {
    parse::parse_query(text)
}

/// Check a parsed query and produce the typed IR.
///
/// # Errors
/// Every error the checker found.
pub fn check(query: &ast::Query, opts: &Options) -> Result<ir::Query, Diagnostics> {
    check::check(query, opts)
}

/// Parse and check a query.
///
/// # Errors
/// The syntax errors, or every checker error.
pub fn compile_query(text: &str, opts: &Options) -> Result<ir::Query, Diagnostics> {
    let ast = parse(text)?;
    check(&ast, opts)
}

/// What compiling one rule file gave.
#[derive(Debug, Clone)]
pub enum RuleOutcome {
    /// An EQL rule that checks.
    Compiled {
        /// Its metadata and query text.
        rule: Box<rule_file::RuleFile>,
        /// The checked query.
        query: ir::Query,
    },
    /// Not an EQL rule (another language, or not a rule at all).
    Skipped(String),
    /// Errors; render them with `diagnostics.render(&source)`.
    Failed {
        /// The file, mapped so that query errors show at the file's lines.
        source: source::Source,
        /// What went wrong.
        diagnostics: Diagnostics,
    },
}

/// Read, parse and check a detection-rules TOML file. `name` is shown in diagnostics (the
/// file path); the rule's `event_category_override` replaces `opts.category_field`.
pub fn compile_rule_file(name: &str, text: &str, opts: &Options) -> RuleOutcome {
    let rule = match rule_file::parse_rule_file(text) {
        Ok(rule_file::Loaded::Rule(r)) => r,
        Ok(rule_file::Loaded::Skipped(reason)) => return RuleOutcome::Skipped(reason),
        Ok(rule_file::Loaded::Exceptions) => {
            return match check_exception_lists(text, opts) {
                Ok((n, 0)) => {
                    RuleOutcome::Skipped(format!("exception file ({n} item(s), all check)"))
                }
                Ok((n, expired)) => RuleOutcome::Skipped(format!(
                    "exception file ({n} item(s), all check; {expired} expired, left out when rules are built)"
                )),
                Err(diagnostics) => RuleOutcome::Failed {
                    source: source::Source::inline(name, text),
                    diagnostics,
                },
            };
        }
        Err(diagnostics) => {
            return RuleOutcome::Failed {
                source: source::Source::inline(name, text),
                diagnostics,
            }
        }
    };
    let mut opts = opts.clone();
    if let Some(f) = &rule.event_category_override {
        opts.category_field = f.clone();
    }
    match compile_query(&rule.query, &opts) {
        Ok(query) => {
            // `[[exceptions]]` next to the rule
            if rule.inline_exceptions {
                if let Err(diagnostics) = check_exception_lists(text, &opts) {
                    return RuleOutcome::Failed {
                        source: source::Source::inline(name, text),
                        diagnostics,
                    };
                }
            }
            RuleOutcome::Compiled { rule, query }
        }
        Err(diagnostics) => RuleOutcome::Failed {
            source: rule.source(name, text),
            diagnostics,
        },
    }
}

/// Read the `[[exceptions]]` lists of a file and check every item, expired or not: the
/// number of items and of those that have expired by now, or the diagnostics (spans into
/// `text`).
fn check_exception_lists(text: &str, opts: &Options) -> Result<(usize, usize), Diagnostics> {
    let (f, _) = exceptions::parse_exception_file(text, i64::MIN)?;
    let diagnostics = exceptions::check_file(&f, opts);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let now = compile::now_ns();
    let items = f.lists.iter().flat_map(|l| &l.items);
    let expired = items
        .clone()
        .filter(|it| it.expire_ns.is_some_and(|t| t <= now))
        .count();
    Ok((items.count(), expired))
}

//! The 16 functions: name resolution, `~` forms, arity, argument types, cidr blocks.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::expr::{arith_type, const_literal, is_boolish, is_numeric, is_stringish};
use super::suggest::closest;
use super::{type_name, Checker};
use crate::ast::{self, Span};
use crate::diag::Diagnostic;
use crate::ir::{self, ExprKind, Func, Literal, Type};

/// Functions of Python eql that Elasticsearch does not have.
const PYTHON_ONLY: &[&str] = &[
    "arrayContains",
    "arrayCount",
    "arraySearch",
    "match",
    "matchLite",
    "wildcard",
    "safe",
];

/// What an argument must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    Str,
    Int,
    Num,
    ConstBool,
    Ip,
    Cidr,
    Any,
}

impl Arg {
    fn describe(self) -> &'static str {
        match self {
            Arg::Str => "a string",
            Arg::Int => "an integer",
            Arg::Num => "a number",
            Arg::ConstBool => "a boolean constant",
            Arg::Ip => "an ip address",
            Arg::Cidr => "a constant string (a CIDR block or an address)",
            Arg::Any => "a value",
        }
    }
}

/// Expected kind of argument `i` (0-based) of `f`.
fn arg_kind(f: Func, i: usize) -> Arg {
    match f {
        Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo => Arg::Num,
        Func::Between => {
            if i < 3 {
                Arg::Str
            } else {
                Arg::ConstBool
            }
        }
        Func::CidrMatch => {
            if i == 0 {
                Arg::Ip
            } else {
                Arg::Cidr
            }
        }
        Func::Concat | Func::String => Arg::Any,
        Func::EndsWith | Func::StartsWith | Func::StringContains | Func::Length => Arg::Str,
        Func::IndexOf => {
            if i < 2 {
                Arg::Str
            } else {
                Arg::Int
            }
        }
        Func::Number => {
            if i == 0 {
                Arg::Str
            } else {
                Arg::Int
            }
        }
        Func::Substring => {
            if i == 0 {
                Arg::Str
            } else {
                Arg::Int
            }
        }
    }
}

fn ordinal(i: usize) -> &'static str {
    match i {
        0 => "first",
        1 => "second",
        2 => "third",
        3 => "fourth",
        _ => "next",
    }
}

fn arity_text(f: Func) -> String {
    match f.arity() {
        (a, Some(b)) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
        (a, Some(b)) => format!("{a} to {b} arguments"),
        (a, None) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
    }
}

/// Validate a cidrMatch block: `a.b.c.d/n`, `x:y::/n`, or a plain address.
pub fn parse_cidr(s: &str) -> Result<(), String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let max = if addr.parse::<Ipv4Addr>().is_ok() {
        32
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        128
    } else {
        return Err(format!("`{addr}` is not an IPv4 or IPv6 address"));
    };
    if let Some(p) = prefix {
        match p.parse::<u8>() {
            Ok(n) if n <= max && !p.starts_with('+') => {}
            _ => {
                return Err(format!(
                    "prefix length `{p}` must be a number from 0 to {max}"
                ))
            }
        }
    }
    Ok(())
}

impl Checker<'_> {
    pub(super) fn call(
        &mut self,
        name: &str,
        name_span: &Span,
        insensitive: bool,
        args: &[ast::Expr],
        checked: Vec<Option<ir::Expr>>,
        span: Span,
    ) -> Option<ir::Expr> {
        let Some(func) = Func::lookup(name) else {
            let mut d = Diagnostic::error(name_span.clone(), format!("unknown function `{name}`"));
            d = if let Some(p) = PYTHON_ONLY.iter().find(|p| p.eq_ignore_ascii_case(name)) {
                d.with_help(format!(
                    "`{p}` exists only in Python eql, not in Elasticsearch"
                ))
            } else if let Some(s) = closest(name, Func::ALL.iter().map(|f| f.name())) {
                d.with_help(format!("did you mean `{s}`?"))
            } else {
                d.with_help(
                    "Elasticsearch EQL functions: add, between, cidrMatch, concat, divide, endsWith, \
                     indexOf, length, modulo, multiply, number, startsWith, string, stringContains, \
                     substring, subtract",
                )
            };
            self.err(d);
            return None;
        };
        let mut ok = true;
        if insensitive && !func.has_insensitive_form() {
            self.err(
                Diagnostic::error(
                    name_span.clone(),
                    format!("`{}` has no case-insensitive `~` form", func.name()),
                )
                .with_help(
                    "only between, endsWith, indexOf, startsWith and stringContains have a `~` form",
                ),
            );
            ok = false;
        }
        let (min, max) = func.arity();
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            self.err(Diagnostic::error(
                span.clone(),
                format!(
                    "`{}` takes {}, found {}",
                    func.name(),
                    arity_text(func),
                    args.len()
                ),
            ));
            return None;
        }
        let mut out = Vec::with_capacity(checked.len());
        for (i, (a, x)) in args.iter().zip(checked).enumerate() {
            let Some(x) = x else {
                ok = false;
                continue;
            };
            let kind = arg_kind(func, i);
            let fits = match kind {
                Arg::Str | Arg::Ip => is_stringish(x.ty),
                Arg::Int => matches!(x.ty, Type::Integer | Type::Any | Type::Null),
                Arg::Num => is_numeric(x.ty),
                Arg::ConstBool => is_boolish(x.ty) && x.is_constant(),
                Arg::Any => true,
                Arg::Cidr => match const_literal(&x) {
                    Some(Literal::Str(s)) => match parse_cidr(&s) {
                        Ok(()) => true,
                        Err(m) => {
                            self.err(
                                Diagnostic::error(
                                    a.span.clone(),
                                    format!("invalid CIDR block `{s}`: {m}"),
                                )
                                .with_help("write e.g. `\"10.0.0.0/8\"`, `\"fe80::/10\"` or `\"127.0.0.1\"`"),
                            );
                            ok = false;
                            out.push(x);
                            continue;
                        }
                    },
                    _ => false,
                },
            };
            if !fits {
                let found = if x.is_constant() || kind != Arg::Cidr {
                    type_name(x.ty)
                } else {
                    "a field"
                };
                self.err(Diagnostic::error(
                    a.span.clone(),
                    format!(
                        "the {} argument of `{}` must be {}, found {found}",
                        ordinal(i),
                        func.name(),
                        kind.describe()
                    ),
                ));
                ok = false;
            }
            out.push(x);
        }
        if !ok {
            return None;
        }
        let ty = match func {
            Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo => {
                arith_type(out[0].ty, out[1].ty)
            }
            Func::Between | Func::Concat | Func::String | Func::Substring => Type::String,
            Func::CidrMatch | Func::EndsWith | Func::StartsWith | Func::StringContains => {
                Type::Bool
            }
            Func::IndexOf | Func::Length => Type::Integer,
            // An integer or a float, depending on the text: decided at run time.
            Func::Number => Type::Any,
        };
        Some(ir::Expr {
            kind: ExprKind::Call {
                func,
                args: out,
                case_insensitive: insensitive,
            },
            ty,
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cidr;

    #[test]
    fn cidr_blocks() {
        for ok in [
            "10.0.0.0/8",
            "127.0.0.1",
            "::1",
            "fe80::/10",
            "0.0.0.0/0",
            "::/128",
        ] {
            assert!(parse_cidr(ok).is_ok(), "{ok}");
        }
        for bad in [
            "10.0.0/8",
            "10.0.0.0/33",
            "x",
            "::/129",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "",
        ] {
            assert!(parse_cidr(bad).is_err(), "{bad}");
        }
    }
}

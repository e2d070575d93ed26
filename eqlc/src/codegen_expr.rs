//! Code for computed leaves: functions and arithmetic over fields.
//!
//! A computed leaf is true iff some combination of its fields' values (every value of
//! each field, or one `null` for a field without values) makes it `true`
//! (eql-semantics.md §3.1); `x == null` is true iff no combination makes `x` non-null.
//! The generated code loops over the combinations and evaluates the expression with
//! `eqlc_runtime::ops` / `eqlc_runtime::func`, the functions the reference interpreter
//! ([`crate::interp`]) uses too.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::codegen::PredGenAccess;
use crate::interp;
use crate::ir::{ArithOp, CmpOp, Expr, ExprKind, Field, Func, Literal};

/// The boolean expression of one computed leaf.
pub(crate) fn computed_leaf(e: &Expr, g: &mut impl PredGenAccess) -> TokenStream {
    let mut fields: Vec<String> = Vec::new();
    let (inner, want_non_null) = match &e.kind {
        ExprKind::IsNull(x) => (&**x, true),
        _ => (e, false),
    };
    inner.for_each_field(&mut |f| {
        if !fields.contains(&f.path) {
            fields.push(f.path.clone());
        }
    });
    let mut cx = Cx { fields, scratch: 0 };
    let value = expr(inner, &mut cx, g);
    let fields = &cx.fields;
    let test = if want_non_null {
        quote! { !(#value).is_null() }
    } else if matches!(inner.kind, ExprKind::Field(_)) {
        quote! { __rt::ops::truthy(&__rt::ops::cmp(&(#value), &__rt::Val::Bool(true), __rt::FieldKind::Boolean, __rt::ops::CmpOp::Eq)) }
    } else {
        quote! { __rt::ops::truthy(&(#value)) }
    };
    let mut body = quote! {
        if #test {
            __hit = true;
            break 'combos;
        }
    };
    for (i, path) in fields.iter().enumerate().rev() {
        let var = format_ident!("__v{}", i);
        let slot = g.slot_of(path);
        body = quote! {
            for #var in __rt::or_null(rec.values(#slot)) {
                #body
            }
        };
    }
    // Scratch buffers for the strings the expression builds (`concat`, `string` of a
    // number): taken from the runtime's per-thread pool, so that building them allocates
    // nothing once warm.
    let scratch = (0..cx.scratch).map(|i| {
        let s = format_ident!("__s{}", i);
        quote! { let mut #s = __rt::func::Scratch::take(); }
    });
    let found = quote! {
        {
            #(#scratch)*
            let mut __hit = false;
            #[allow(clippy::never_loop, unused_labels)]
            'combos: loop {
                #body
                break 'combos;
            }
            __hit
        }
    };
    if want_non_null {
        quote! { !#found }
    } else {
        found
    }
}

fn lit(l: &Literal) -> TokenStream {
    match l {
        Literal::Null => quote! { __rt::Val::Null },
        Literal::Bool(b) => quote! { __rt::Val::Bool(#b) },
        Literal::Int(i) => quote! { __rt::Val::Int(#i) },
        Literal::Float(f) => {
            let f = proc_macro2::Literal::f64_suffixed(*f);
            quote! { __rt::Val::Float(#f) }
        }
        Literal::Str(s) => quote! { __rt::Val::Str(::std::borrow::Cow::Borrowed(#s)) },
    }
}

fn kind(e: &Expr) -> TokenStream {
    match &e.kind {
        ExprKind::Field(f) => crate::codegen::field_kind_tokens(f.ty),
        _ => quote! { __rt::FieldKind::Unknown },
    }
}

fn op(o: CmpOp) -> TokenStream {
    match o {
        CmpOp::Eq => quote! { __rt::ops::CmpOp::Eq },
        CmpOp::Lt => quote! { __rt::ops::CmpOp::Lt },
        CmpOp::Le => quote! { __rt::ops::CmpOp::Le },
        CmpOp::Gt => quote! { __rt::ops::CmpOp::Gt },
        CmpOp::Ge => quote! { __rt::ops::CmpOp::Ge },
    }
}

/// What the expression generator of one computed leaf tracks.
struct Cx {
    /// The leaf's fields; field `i` is bound to `__v{i}`.
    fields: Vec<String>,
    /// Scratch buffers used so far; buffer `i` is `__s{i}`.
    scratch: usize,
}

impl Cx {
    /// A new scratch buffer's variable.
    fn scratch(&mut self) -> proc_macro2::Ident {
        self.scratch += 1;
        format_ident!("__s{}", self.scratch - 1)
    }
}

/// Tokens of an expression of type `Val<'_>` (fields bound to `__v{i}`).
fn expr(e: &Expr, cx: &mut Cx, g: &mut impl PredGenAccess) -> TokenStream {
    if e.is_constant() && !matches!(e.kind, ExprKind::Literal(_)) {
        if let Some(l) = interp::val_to_literal(&interp::eval_const(e)) {
            return lit(&l);
        }
    }
    match &e.kind {
        ExprKind::Literal(l) => lit(l),
        ExprKind::Field(Field { path, .. }) => {
            let i = cx.fields.iter().position(|p| p == path).unwrap_or(0);
            let v = format_ident!("__v{}", i);
            quote! { __rt::Val::from(#v) }
        }
        ExprKind::Not(x) => {
            let x = expr(x, cx, g);
            quote! { __rt::ops::not(&(#x)) }
        }
        ExprKind::And(v) | ExprKind::Or(v) => {
            let f = if matches!(e.kind, ExprKind::And(_)) {
                quote! { __rt::ops::and }
            } else {
                quote! { __rt::ops::or }
            };
            let mut it = v.iter();
            let first = it.next().map(|x| expr(x, cx, g)).unwrap_or_default();
            it.fold(first, |acc, x| {
                let x = expr(x, cx, g);
                quote! { #f(&(#acc), &(#x)) }
            })
        }
        ExprKind::Compare { op: o, lhs, rhs } => {
            let (a, b) = (expr(lhs, cx, g), expr(rhs, cx, g));
            if matches!(rhs.kind, ExprKind::Field(_)) && !matches!(lhs.kind, ExprKind::Field(_)) {
                let (k, o) = (kind(rhs), op(interp::flip(*o)));
                quote! { __rt::ops::cmp(&(#b), &(#a), #k, #o) }
            } else {
                let (k, o) = (kind(lhs), op(*o));
                quote! { __rt::ops::cmp(&(#a), &(#b), #k, #o) }
            }
        }
        ExprKind::IsNull(x) => {
            let x = expr(x, cx, g);
            quote! { __rt::ops::is_null(&(#x)) }
        }
        ExprKind::In {
            expr: x,
            list,
            case_insensitive,
        } => {
            let a = expr(x, cx, g);
            let members = interp::in_members(list, *case_insensitive);
            let items: Vec<TokenStream> = members
                .iter()
                .filter_map(interp::val_to_literal)
                .map(|l| lit(&l))
                .collect();
            let n = items.len();
            let name = g.add_static("IN", |name| {
                quote! { static #name: [__rt::Val<'static>; #n] = [#(#items),*]; }
            });
            let k = kind(x);
            let ci = *case_insensitive;
            quote! { __rt::ops::in_list(&(#a), &#name, #k, #ci) }
        }
        ExprKind::Like {
            expr: x,
            patterns,
            case_insensitive,
        } => {
            let a = expr(x, cx, g);
            let pats: Vec<String> = interp::like_patterns(patterns, *case_insensitive)
                .into_iter()
                .map(|c| c.into_owned())
                .collect();
            let n = pats.len();
            let name = g.add_static("LIKE", |name| {
                quote! { static #name: [&str; #n] = [#(#pats),*]; }
            });
            let ci = *case_insensitive;
            quote! { __rt::ops::like(&(#a), &#name, #ci) }
        }
        ExprKind::Regex {
            expr: x,
            patterns,
            case_insensitive,
        } => {
            let a = expr(x, cx, g);
            let joined = patterns.join("|");
            let translated =
                match eqlc_runtime::regex::lucene_to_rust_regex(&joined, *case_insensitive) {
                    Ok(t) => t,
                    Err(m) => {
                        let m = format!("invalid regular expression `{joined}`: {m}");
                        return quote! { ::core::compile_error!(#m) };
                    }
                };
            let name = g.add_static("RE", |name| {
                quote! { static #name: __rt::LazyRegex = __rt::LazyRegex::new(#translated); }
            });
            quote! {
                match __rt::ops::with_text(&(#a), |t| #name.is_match(t)) {
                    ::core::option::Option::Some(b) => __rt::Val::Bool(b),
                    ::core::option::Option::None => __rt::Val::Null,
                }
            }
        }
        ExprKind::Arith { op: o, lhs, rhs } => {
            let (a, b) = (expr(lhs, cx, g), expr(rhs, cx, g));
            let f = match o {
                ArithOp::Add => quote! { add },
                ArithOp::Sub => quote! { sub },
                ArithOp::Mul => quote! { mul },
                ArithOp::Div => quote! { div },
                ArithOp::Rem => quote! { rem },
            };
            quote! { __rt::func::#f(&(#a), &(#b)) }
        }
        ExprKind::Neg(x) => {
            let x = expr(x, cx, g);
            quote! { __rt::func::neg(&(#x)) }
        }
        ExprKind::Call {
            func,
            args,
            case_insensitive: ci,
        } => {
            let a: Vec<TokenStream> = args.iter().map(|x| expr(x, cx, g)).collect();
            let arg = |i: usize| -> TokenStream {
                a.get(i)
                    .cloned()
                    .unwrap_or_else(|| quote! { __rt::Val::Null })
            };
            match func {
                Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo => {
                    let f = match func {
                        Func::Add => quote! { add },
                        Func::Subtract => quote! { sub },
                        Func::Multiply => quote! { mul },
                        Func::Divide => quote! { div },
                        _ => quote! { rem },
                    };
                    let (x, y) = (arg(0), arg(1));
                    quote! { __rt::func::#f(&(#x), &(#y)) }
                }
                Func::Between => {
                    let (s, l, r, gr) = (arg(0), arg(1), arg(2), arg(3));
                    quote! { __rt::func::between(&(#s), &(#l), &(#r), &(#gr), #ci) }
                }
                Func::CidrMatch => {
                    let blocks: Vec<TokenStream> = args[1..]
                        .iter()
                        .filter_map(|x| match interp::eval_const(x) {
                            interp::Val::Str(s) => eqlc_runtime::cidr::Cidr::parse(&s).ok(),
                            _ => None,
                        })
                        .map(|c| {
                            format!("__rt::{}", c.to_tokens())
                                .parse()
                                .expect("Cidr::to_tokens gives a valid expression")
                        })
                        .collect();
                    let n = blocks.len();
                    let name = g.add_static("CIDRS", |name| {
                        quote! { static #name: [__rt::Cidr; #n] = [#(#blocks),*]; }
                    });
                    let x = arg(0);
                    quote! { __rt::func::cidr_match(&(#x), &#name) }
                }
                Func::Concat => {
                    let s = cx.scratch();
                    quote! { __rt::func::concat_in(&[#(#a),*], &mut #s) }
                }
                Func::EndsWith | Func::StartsWith | Func::StringContains => {
                    let f = match func {
                        Func::EndsWith => quote! { ends_with },
                        Func::StartsWith => quote! { starts_with },
                        _ => quote! { string_contains },
                    };
                    let (x, y) = (arg(0), arg(1));
                    quote! { __rt::func::#f(&(#x), &(#y), #ci) }
                }
                Func::IndexOf => {
                    let (x, y, z) = (arg(0), arg(1), arg(2));
                    quote! { __rt::func::index_of(&(#x), &(#y), &(#z), #ci) }
                }
                Func::Length => {
                    let x = arg(0);
                    quote! { __rt::func::length(&(#x)) }
                }
                Func::Number => {
                    let (x, y) = (arg(0), arg(1));
                    quote! { __rt::func::number(&(#x), &(#y)) }
                }
                Func::String => {
                    let x = arg(0);
                    let s = cx.scratch();
                    quote! { __rt::func::string_in(&(#x), &mut #s) }
                }
                Func::Substring => {
                    let (x, y, z) = (arg(0), arg(1), arg(2));
                    quote! { __rt::func::substring(&(#x), &(#y), &(#z)) }
                }
            }
        }
    }
}

//! The bodies of the `eqlc-macros` procedural macros, as plain functions over
//! `proc_macro2` tokens (testable without a compiler plugin).
//!
//! Input grammar of both macros:
//!
//! ```text
//! [#[doc = ...]]* [pub[(..)]] struct Name ;  (key = value),*  [,]
//! ```
//!
//! `rule!` keys: `name`, `query` (required), `rule_id`, `description`, `severity`,
//! `risk_score`, `tags = [..]`, `max_signals`, `interval`, `category_field`, `crate`.
//! `include_rules!` keys: `path` (a TOML file or a folder, relative to the calling
//! crate's `CARGO_MANIFEST_DIR`), `crate`.
//!
//! Errors never panic: they become `compile_error!` items (one per diagnostic, rendered
//! like `eqlc check`), followed by an empty pack of the requested name so that code
//! using the type does not pile up follow-on errors.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, Token, Visibility};

use crate::codegen::GenOptions;
use crate::compile::{self, RuleSource};
use crate::rule_meta::RuleInfo;

struct Input {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    pairs: Vec<(Ident, Expr)>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        input.parse::<Token![;]>()?;
        let mut pairs = Vec::new();
        let list = Punctuated::<Pair, Token![,]>::parse_terminated(input)?;
        for p in list {
            pairs.push((p.key, p.value));
        }
        Ok(Input {
            attrs,
            vis,
            name,
            pairs,
        })
    }
}

struct Pair {
    key: Ident,
    value: Expr,
}

impl Parse for Pair {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = if input.peek(Token![crate]) {
            let k: Token![crate] = input.parse()?;
            Ident::new("crate", k.span)
        } else {
            input.parse()?
        };
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        Ok(Pair { key, value })
    }
}

fn str_of(e: &Expr) -> syn::Result<String> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.value()),
        _ => Err(syn::Error::new_spanned(e, "expected a string literal")),
    }
}

fn int_of(e: &Expr) -> syn::Result<u64> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse(),
        _ => Err(syn::Error::new_spanned(e, "expected an integer literal")),
    }
}

fn strs_of(e: &Expr) -> syn::Result<Vec<String>> {
    match e {
        Expr::Array(a) => a.elems.iter().map(str_of).collect(),
        _ => Err(syn::Error::new_spanned(
            e,
            "expected an array of string literals",
        )),
    }
}

fn doc_of(attrs: &[Attribute], fallback: &str) -> String {
    let mut doc = String::new();
    for a in attrs {
        if a.path().is_ident("doc") {
            if let syn::Meta::NameValue(nv) = &a.meta {
                if let Ok(s) = str_of(&nv.value) {
                    if !doc.is_empty() {
                        doc.push('\n');
                    }
                    doc.push_str(s.trim());
                }
            }
        }
    }
    if doc.is_empty() {
        fallback.to_string()
    } else {
        doc
    }
}

fn gen_options(input: &Input, runtime: Option<TokenStream>, fallback_doc: &str) -> GenOptions {
    GenOptions {
        runtime: runtime.unwrap_or_else(|| quote! { ::eqlc_sdk::runtime }),
        vis: input.vis.to_token_stream(),
        name: input.name.clone(),
        doc: doc_of(&input.attrs, fallback_doc),
    }
}

/// Errors plus an empty pack of the requested name.
fn failure(opts: &GenOptions, messages: &[String], span: Span) -> TokenStream {
    let errors = messages
        .iter()
        .map(|m| quote_spanned! {span=> ::core::compile_error!(#m); });
    let empty = compile::empty_pack(opts);
    quote! { #(#errors)* #empty }
}

/// `rule!`: one inline rule.
pub fn rule(tokens: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(tokens) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    match rule_inner(&input) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

fn rule_inner(input: &Input) -> syn::Result<TokenStream> {
    let mut info = RuleInfo {
        severity: "medium".into(),
        risk_score: 21,
        max_signals: 100,
        interval_ns: 5 * 60 * 1_000_000_000,
        origin: "inline".into(),
        ..RuleInfo::default()
    };
    let mut query = None;
    let mut category_field = None;
    let mut runtime = None;
    for (k, v) in &input.pairs {
        match k.to_string().as_str() {
            "name" => info.name = str_of(v)?,
            "query" => query = Some((str_of(v)?, v.clone())),
            "rule_id" => info.rule_id = str_of(v)?,
            "description" => info.description = str_of(v)?,
            "severity" => {
                let s = str_of(v)?;
                if !["low", "medium", "high", "critical"].contains(&s.as_str()) {
                    return Err(syn::Error::new_spanned(
                        v,
                        "severity must be one of \"low\", \"medium\", \"high\", \"critical\"",
                    ));
                }
                info.severity = s;
            }
            "risk_score" => {
                let n = int_of(v)?;
                if n > 100 {
                    return Err(syn::Error::new_spanned(v, "risk_score must be 0..=100"));
                }
                info.risk_score = n as u8;
            }
            "tags" => info.tags = strs_of(v)?,
            "max_signals" => {
                info.max_signals = u32::try_from(int_of(v)?)
                    .map_err(|_| syn::Error::new_spanned(v, "max_signals is too large"))?
            }
            "interval" => {
                let s = str_of(v)?;
                info.interval_ns = eqlc_runtime::meta::parse_interval(&s).ok_or_else(|| {
                    syn::Error::new_spanned(v, "interval must look like `5m` (units s, m, h, d)")
                })?;
            }
            "category_field" => category_field = Some(str_of(v)?),
            "crate" => runtime = Some(v.to_token_stream()),
            other => {
                return Err(syn::Error::new_spanned(
                    k,
                    format!(
                        "unknown key `{other}`; expected one of name, query, rule_id, description, \
                         severity, risk_score, tags, max_signals, interval, category_field, crate"
                    ),
                ))
            }
        }
    }
    let Some((query, query_expr)) = query else {
        return Err(syn::Error::new(
            input.name.span(),
            "missing `query = \"...\"`",
        ));
    };
    if info.name.is_empty() {
        info.name = input.name.to_string();
    }
    if info.rule_id.is_empty() {
        info.rule_id = input.name.to_string();
    }
    let opts = gen_options(input, runtime, &format!("EQL rule pack: {}", info.name));
    let src = RuleSource {
        info,
        query,
        category_field,
        file: None,
        exceptions: Default::default(),
        tests: Vec::new(),
    };
    let span = query_expr_span(&query_expr);
    Ok(match compile::compile_pack(&[src], &opts) {
        Ok(t) => t,
        Err(msgs) => failure(&opts, &msgs, span),
    })
}

fn query_expr_span(e: &Expr) -> Span {
    syn::spanned::Spanned::span(e)
}

/// `include_rules!`: the EQL rules of a TOML file or a folder.
pub fn include_rules(tokens: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(tokens) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    match include_inner(&input) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

fn include_inner(input: &Input) -> syn::Result<TokenStream> {
    let mut path = None;
    let mut runtime = None;
    for (k, v) in &input.pairs {
        match k.to_string().as_str() {
            "path" => path = Some((str_of(v)?, v.clone())),
            "crate" => runtime = Some(v.to_token_stream()),
            other => {
                return Err(syn::Error::new_spanned(
                    k,
                    format!("unknown key `{other}`; expected `path` or `crate`"),
                ))
            }
        }
    }
    let Some((path, path_expr)) = path else {
        return Err(syn::Error::new(
            input.name.span(),
            "missing `path = \"rules\"` (a TOML rule file or a folder, relative to Cargo.toml)",
        ));
    };
    let rel = PathBuf::from(&path);
    if rel.is_absolute() {
        return Err(syn::Error::new_spanned(
            &path_expr,
            "use a path relative to the crate's Cargo.toml",
        ));
    }
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let full = base.join(&rel);
    let opts = gen_options(
        input,
        runtime,
        &format!("EQL rule pack compiled from `{path}`"),
    );
    let span = query_expr_span(&path_expr);
    let loaded = match compile::load_rules(&full) {
        Ok(l) => l,
        Err(msg) => return Ok(failure(&opts, &[msg], span)),
    };
    // Make cargo rebuild when any file read changes.
    let tracked = loaded.files.iter().map(|f| {
        let p = f.to_string_lossy().into_owned();
        quote! { const _: &[u8] = include_bytes!(#p); }
    });
    let tracked = quote! { #(#tracked)* };
    if !loaded.errors.is_empty() {
        let f = failure(&opts, &loaded.errors, span);
        return Ok(quote! { #tracked #f });
    }
    Ok(match compile::compile_pack(&loaded.rules, &opts) {
        Ok(t) => {
            let tests = compile::self_test_tokens(&loaded.rules, &opts);
            quote! { #tracked #t #tests }
        }
        Err(msgs) => {
            let f = failure(&opts, &msgs, span);
            quote! { #tracked #f }
        }
    })
}

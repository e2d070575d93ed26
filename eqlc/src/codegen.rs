//! Plan → Rust tokens.
//!
//! [`generate_pack`] turns a [`PackPlan`] plus rule metadata into the items of one rule
//! pack: a struct implementing the runtime's `RulePack`, its field table, its rule
//! metadata, one `#[inline]` function per distinct filter, and per-rule state (sequence
//! engines, sample engines, pipe limiters). Generated code reads fields by slot number
//! only, never by name, and calls the runtime through its hidden `__private` module.
//! The output depends only on the input (no hash-map iteration order, no randomness).

use proc_macro2::{Ident, Literal as Lit, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{CmpOp, FieldType, Literal, Pipe};
use crate::plan::{PackPlan, Pred, RuleKind, RulePlan, TextTest};
use crate::rule_meta::RuleInfo;

/// Options of the generator.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Path of the runtime crate in the generated code (e.g. `::eqlc_runtime` or
    /// `::eqlc_sdk::runtime`).
    pub runtime: TokenStream,
    /// Visibility of the pack struct.
    pub vis: TokenStream,
    /// Name of the pack struct.
    pub name: Ident,
    /// Doc comment for the pack struct.
    pub doc: String,
}

/// Default capacity (pending key entries per sequence rule) of `Pack::new()`.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// Generate the pack's items. Packs of many rules (see
/// [`crate::codegen_table::use_tables`]) are generated as data instead.
pub fn generate_pack(plan: &PackPlan, infos: &[RuleInfo], opts: &GenOptions) -> TokenStream {
    if crate::codegen_table::use_tables(plan) {
        return crate::codegen_table::generate_table_pack(plan, infos, opts);
    }
    let rt = &opts.runtime;
    let name = &opts.name;
    let vis = &opts.vis;
    let doc = &opts.doc;
    let fields = plan.fields.iter().map(|f| Lit::string(f));
    let nfields = plan.fields.len();
    let metas = infos.iter().map(|i| i.to_tokens(rt));
    let nrules = infos.len();
    let new_doc = format!(
        "A pack whose sequence and sample rules keep at most {DEFAULT_CAPACITY} pending join keys each."
    );

    let mut items = Vec::new();
    let mut state_fields = Vec::new();
    let mut state_inits = Vec::new();
    let mut on_event = Vec::new();
    let mut flushes = Vec::new();
    let mut stats = Vec::new();
    for (ri, rule) in plan.rules.iter().enumerate() {
        let g = RuleGen {
            fields: &plan.fields,
            ri,
            rule,
            rt,
            rule_id: &infos[ri].rule_id,
        };
        g.generate(
            &mut items,
            &mut state_fields,
            &mut state_inits,
            &mut on_event,
            &mut flushes,
            &mut stats,
        );
    }

    let prefilter = prefilter_tokens(plan, rt);
    let stateful = plan.stateful_rules();

    quote! {
        #[doc = #doc]
        #vis struct #name {
            #(#state_fields,)*
        }

        const _: () = {
            #[allow(unused_imports)]
            use #rt::__private as __rt;
            #[allow(unused_imports)]
            use __rt::Record as _;

            static __EQLC_FIELDS: [&str; #nfields] = [#(#fields),*];
            static __EQLC_RULES: [#rt::RuleMeta; #nrules] = [#(#metas),*];

            #(#items)*

            impl #name {
                #[doc = #new_doc]
                pub fn new() -> Self {
                    Self::with_capacity(#DEFAULT_CAPACITY)
                }

                /// A pack whose sequence rules keep at most `capacity` pending join keys
                /// each (the oldest is evicted, and counted, when full).
                pub fn with_capacity(capacity: usize) -> Self {
                    Self::with_options(capacity, usize::MAX, 1)
                }

                /// [`Self::with_capacity`], plus the knobs of `sample` rules (the
                /// Elasticsearch API's `size` and `max_samples_per_key`): each sample rule
                /// emits at most `sample_size` samples, at most `max_samples_per_key` per
                /// join key (and tracks at most `capacity` keys).
                #[allow(unused_variables)]
                pub fn with_options(
                    capacity: usize,
                    sample_size: usize,
                    max_samples_per_key: usize,
                ) -> Self {
                    Self { #(#state_inits,)* }
                }
            }

            impl ::core::default::Default for #name {
                fn default() -> Self {
                    Self::new()
                }
            }

            impl __rt::RulePack for #name {
                fn fields(&self) -> &'static [&'static str] {
                    &__EQLC_FIELDS
                }

                fn rules(&self) -> &'static [#rt::RuleMeta] {
                    &__EQLC_RULES
                }

                #[allow(unused_variables)]
                fn on_event<R: __rt::Record + ?Sized>(
                    &mut self,
                    rec: &R,
                    ev: __rt::EventRef,
                    out: &mut dyn FnMut(__rt::Alert<'_>),
                ) {
                    #(#on_event)*
                }

                #[allow(unused_variables)]
                fn flush(&mut self, out: &mut dyn FnMut(__rt::Alert<'_>)) {
                    #(#flushes)*
                }

                fn stats(&self) -> __rt::PackStats {
                    #[allow(unused_mut)]
                    let mut s = __rt::PackStats::default();
                    #(#stats)*
                    s
                }

                fn prefilter(
                    &self,
                ) -> ::core::option::Option<&'static [&'static [#rt::pack::ValueTest]]> {
                    #prefilter
                }

                fn stateful_rules(&self) -> usize {
                    #stateful
                }
            }
        };
    }
}

/// The body of `RulePack::prefilter`: per filter of every rule, the value tests it
/// requires (its category, and top-level conjuncts that are exact or prefix keyword tests,
/// or lists of them); `None` when some filter requires none (every event may matter).
fn prefilter_tokens(plan: &PackPlan, rt: &TokenStream) -> TokenStream {
    let mut entries = Vec::new();
    for rule in &plan.rules {
        for f in &rule.filters {
            let mut tests = Vec::new();
            if let Some(c) = &f.category {
                tests.push((rule.category_slot, (vec![c.clone()], Vec::new(), false)));
            }
            let conjuncts = match &f.pred {
                Pred::And(ps) => ps.as_slice(),
                p => core::slice::from_ref(p),
            };
            tests.extend(conjuncts.iter().filter_map(exact_leaf));
            if tests.is_empty() {
                return quote! { ::core::option::Option::None };
            }
            let tests = tests.iter().map(|(slot, (values, prefixes, fold))| {
                quote! {
                    #rt::pack::ValueTest {
                        slot: #slot,
                        values: &[#(#values),*],
                        prefixes: &[#(#prefixes),*],
                        fold: #fold,
                    }
                }
            });
            entries.push(quote! { &[#(#tests),*] });
        }
    }
    quote! { ::core::option::Option::Some(&[#(#entries),*]) }
}

/// Accepted (values, prefixes, fold) of a leaf test.
type Accepted = (Vec<String>, Vec<String>, bool);

/// `Some((slot, accepted))` when `p` holds only if some value of the slot is one of the
/// accepted values or starts with one of the accepted prefixes.
fn exact_leaf(p: &Pred) -> Option<(usize, Accepted)> {
    fn merge(a: &mut Option<Accepted>, b: Accepted) -> Option<()> {
        match a {
            None => *a = Some(b),
            Some(a) if a.2 == b.2 => {
                a.0.extend(b.0);
                a.1.extend(b.1);
            }
            Some(_) => return None,
        }
        Some(())
    }
    fn accepted(t: &TextTest) -> Option<Accepted> {
        match t {
            TextTest::Exact { s, fold } => Some((vec![s.clone()], Vec::new(), *fold)),
            TextTest::Set { values, fold } => Some((values.clone(), Vec::new(), *fold)),
            TextTest::Prefix { s, fold } => Some((Vec::new(), vec![s.clone()], *fold)),
            TextTest::AnyOf(ts) => {
                let mut acc = None;
                for t in ts {
                    merge(&mut acc, accepted(t)?)?;
                }
                acc
            }
            _ => None,
        }
    }
    match p {
        Pred::Text { slot, test } => Some((*slot, accepted(test)?)),
        Pred::Or(ps) => {
            let mut slot = None;
            let mut acc = None;
            for q in ps {
                let (s, a) = exact_leaf(q)?;
                if *slot.get_or_insert(s) != s {
                    return None;
                }
                merge(&mut acc, a)?;
            }
            Some((slot?, acc?))
        }
        _ => None,
    }
}

struct RuleGen<'a> {
    fields: &'a [String],
    ri: usize,
    rule: &'a RulePlan,
    rt: &'a TokenStream,
    rule_id: &'a str,
}

impl RuleGen<'_> {
    fn filter_fn(&self, fi: usize) -> Ident {
        format_ident!("__eqlc_r{}_f{}", self.ri, fi)
    }

    #[allow(clippy::too_many_arguments)]
    fn generate(
        &self,
        items: &mut Vec<TokenStream>,
        state_fields: &mut Vec<TokenStream>,
        state_inits: &mut Vec<TokenStream>,
        on_event: &mut Vec<TokenStream>,
        flushes: &mut Vec<TokenStream>,
        stats: &mut Vec<TokenStream>,
    ) {
        let ri = self.ri;
        let rt = self.rt;
        let rule_id = self.rule_id;
        // Filter functions.
        for (fi, f) in self.rule.filters.iter().enumerate() {
            let fname = self.filter_fn(fi);
            let mut ctx = PredGen {
                prefix: format!("__EQLC_R{}_F{}", ri, fi),
                statics: Vec::new(),
                counter: 0,
                fields: self.fields,
            };
            let cat = f.category.as_ref().map(|c| {
                let slot = self.rule.category_slot;
                quote! { __rt::any_str_eq(rec.values(#slot), #c) }
            });
            let body = ctx.pred(&f.pred);
            let body = match cat {
                Some(c) => quote! { #c && #body },
                None => body,
            };
            let statics = &ctx.statics;
            items.push(quote! {
                #(#statics)*
                #[inline]
                #[allow(clippy::all, unused_parens, unreachable_code, unused_variables)]
                fn #fname<R: __rt::Record + ?Sized>(rec: &R) -> bool {
                    #body
                }
            });
        }

        let limiter = pipes_tokens(&self.rule.pipes, rt);
        let lim_field = format_ident!("lim{}", ri);
        let has_lim = limiter.is_some();
        if let Some(l) = &limiter {
            state_fields.push(quote! { #lim_field: #rt::pipes::Limiter });
            state_inits.push(quote! { #lim_field: #l });
        }
        // How one result is reported: through the limiter when there are pipes.
        let emit = |events: TokenStream, group: TokenStream, key: TokenStream| -> TokenStream {
            if has_lim {
                quote! {
                    self.#lim_field.offer_keyed(#ri, #events, #group, #key, out);
                }
            } else {
                quote! {
                    out(__rt::Alert { rule: #ri, events: #events, group_id: #group, key: #key });
                }
            }
        };
        if has_lim {
            flushes.push(quote! { self.#lim_field.flush(out); });
        }

        match &self.rule.kind {
            RuleKind::Event => {
                let f0 = self.filter_fn(0);
                let e = emit(
                    quote! { &[::core::option::Option::Some(ev)] },
                    quote! { ::core::option::Option::None },
                    quote! { ::core::option::Option::None },
                );
                on_event.push(quote! {
                    if #f0(rec) {
                        #e
                    }
                });
            }
            RuleKind::Sequence {
                stages,
                maxspan,
                until,
            } => {
                let seq = format_ident!("seq{}", ri);
                let spec = format_ident!("__EQLC_R{}_SPEC", ri);
                let nkeys = self.rule.filters[stages[0].0].keys.len();
                let stage_specs = stages.iter().map(|(f, missing)| {
                    quote! { #rt::sequence::StageSpec { filter: #f, missing: #missing } }
                });
                let maxspan = match maxspan {
                    Some(m) => quote! { ::core::option::Option::Some(#m) },
                    None => quote! { ::core::option::Option::None },
                };
                let until_t = match until {
                    Some(u) => quote! { ::core::option::Option::Some(#u) },
                    None => quote! { ::core::option::Option::None },
                };
                items.push(quote! {
                    static #spec: #rt::sequence::SequenceSpec = #rt::sequence::SequenceSpec {
                        stages: &[#(#stage_specs),*],
                        keys: #nkeys,
                        maxspan: #maxspan,
                        until_filter: #until_t,
                    };
                });
                let input = self.stage_input(items);
                state_fields.push(quote! { #seq: #rt::sequence::SequenceEngine });
                state_inits
                    .push(quote! { #seq: #rt::sequence::SequenceEngine::new(&#spec, capacity) });
                let e = emit(
                    quote! { m.events },
                    quote! { ::core::option::Option::Some(__rt::group_id(#rule_id, m.events)) },
                    quote! { ::core::option::Option::Some(m.key) },
                );
                on_event.push(quote! {
                    {
                        let input = #input;
                        if input.mask != 0 {
                            let #seq = &mut self.#seq;
                            #seq.on_event(ev, &input, &mut |m| { #e });
                        }
                    }
                });
                flushes.insert(
                    0,
                    quote! {
                        {
                            let #seq = &mut self.#seq;
                            #seq.flush(&mut |m| { #e });
                        }
                    },
                );
                stats.push(quote! {
                    let st = self.#seq.stats();
                    s.evictions += st.evictions;
                    s.expired += st.expired;
                    s.pending += st.pending;
                });
            }
            RuleKind::Sample => {
                let smp = format_ident!("smp{}", ri);
                let spec = format_ident!("__EQLC_R{}_SAMPLE", ri);
                let filters = 0..self.rule.filters.len();
                let nkeys = self.rule.filters.first().map_or(0, |f| f.keys.len());
                items.push(quote! {
                    static #spec: #rt::sample::SampleSpec = #rt::sample::SampleSpec {
                        filters: &[#(#filters),*],
                        keys: #nkeys,
                    };
                });
                let input = self.stage_input(items);
                state_fields.push(quote! { #smp: #rt::sample::SampleEngine });
                state_inits.push(quote! {
                    #smp: #rt::sample::SampleEngine::new(
                        &#spec, capacity, sample_size, max_samples_per_key,
                    )
                });
                let e = emit(
                    quote! { m.events },
                    quote! { ::core::option::Option::Some(__rt::group_id(#rule_id, m.events)) },
                    quote! { ::core::option::Option::Some(m.key) },
                );
                on_event.push(quote! {
                    {
                        let input = #input;
                        if input.mask != 0 {
                            self.#smp.on_event(ev, &input);
                        }
                    }
                });
                flushes.insert(
                    0,
                    quote! {
                        {
                            let #smp = &mut self.#smp;
                            #smp.flush(&mut |m| { #e });
                        }
                    },
                );
                stats.push(quote! {
                    let st: __rt::PackStats = self.#smp.stats().into();
                    s.evictions += st.evictions;
                    s.pending += st.pending;
                });
            }
        }
    }

    /// Emit the `StageInput` type of a sequence/sample rule and return the expression
    /// that builds it for the current event (`rec`).
    fn stage_input(&self, items: &mut Vec<TokenStream>) -> TokenStream {
        let ri = self.ri;
        let rt = self.rt;
        let ty = format_ident!("__EqlcR{}Input", ri);
        let mask_terms = self.rule.filters.iter().enumerate().map(|(fi, _)| {
            let f = self.filter_fn(fi);
            let bit = 1u128 << fi;
            quote! { if #f(rec) { mask |= #bit; } }
        });
        let key_arms = self
            .rule
            .filters
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| {
                f.keys
                    .iter()
                    .enumerate()
                    .map(move |(k, (slot, _))| quote! { (#fi, #k) => #slot, })
            })
            .collect::<Vec<_>>();
        let opt_arms = self
            .rule
            .filters
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| {
                f.keys
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, o))| *o)
                    .map(move |(k, _)| quote! { (#fi, #k) => true, })
            })
            .collect::<Vec<_>>();
        items.push(quote! {
            struct #ty<'r, R: ?Sized> {
                rec: &'r R,
                mask: u128,
            }
            impl<R: __rt::Record + ?Sized> #rt::sequence::StageInput for #ty<'_, R> {
                #[inline]
                fn matches(&self, f: usize) -> bool {
                    f < 128 && self.mask & (1u128 << f) != 0
                }
                #[allow(unreachable_patterns, unreachable_code, unused_variables)]
                fn key_values(&self, f: usize, k: usize, out: &mut dyn FnMut(__rt::Value<'_>)) {
                    let slot: usize = match (f, k) {
                        #(#key_arms)*
                        _ => return,
                    };
                    for v in self.rec.values(slot) {
                        out(v);
                    }
                }
                #[allow(unreachable_patterns)]
                fn key_optional(&self, f: usize, k: usize) -> bool {
                    match (f, k) {
                        #(#opt_arms)*
                        _ => false,
                    }
                }
            }
        });
        quote! {
            {
                let mut mask: u128 = 0;
                #(#mask_terms)*
                #ty { rec, mask }
            }
        }
    }
}

fn pipes_tokens(pipes: &[Pipe], rt: &TokenStream) -> Option<TokenStream> {
    if pipes.is_empty() {
        return None;
    }
    let ps = pipes.iter().map(|p| match p {
        Pipe::Head(n) => quote! { #rt::pipes::Pipe::Head(#n) },
        Pipe::Tail(n) => quote! { #rt::pipes::Pipe::Tail(#n) },
    });
    Some(quote! { __rt::Limiter::new(&[#(#ps),*]) })
}

/// Generates the body of one filter function.
struct PredGen<'f> {
    prefix: String,
    statics: Vec<TokenStream>,
    counter: usize,
    fields: &'f [String],
}

/// What the expression generator needs from a generator of filters (per-rule code in
/// this module, tables in `codegen_table`): the pack's field table and a place for
/// static items with fresh names.
pub(crate) trait PredGenAccess {
    /// The pack's field paths by slot.
    fn fields(&self) -> &[String];
    /// A fresh identifier for a static item of kind `what`.
    fn fresh(&mut self, what: &str) -> Ident;
    /// Emit a static item.
    fn push_static(&mut self, item: TokenStream);

    /// Slot of a field path.
    fn slot_of(&self, path: &str) -> usize {
        self.fields()
            .iter()
            .position(|f| f == path)
            .expect("the planner gave every field a slot")
    }

    /// Add a static item named by `make`'s argument; returns the name.
    fn add_static(&mut self, what: &str, make: impl FnOnce(&Ident) -> TokenStream) -> Ident {
        let name = self.fresh(what);
        let item = make(&name);
        self.push_static(item);
        name
    }
}

impl PredGenAccess for PredGen<'_> {
    fn fields(&self) -> &[String] {
        self.fields
    }

    fn fresh(&mut self, what: &str) -> Ident {
        self.counter += 1;
        format_ident!("{}_{}{}", self.prefix, what, self.counter)
    }

    fn push_static(&mut self, item: TokenStream) {
        self.statics.push(item);
    }
}

impl PredGen<'_> {
    fn pred(&mut self, p: &Pred) -> TokenStream {
        match p {
            Pred::Const(b) => quote! { #b },
            Pred::And(v) => {
                let parts = v.iter().map(|x| self.pred(x)).collect::<Vec<_>>();
                quote! { (#(#parts)&&*) }
            }
            Pred::Or(v) => {
                let parts = v.iter().map(|x| self.pred(x)).collect::<Vec<_>>();
                quote! { (#(#parts)||*) }
            }
            Pred::Not(x) => {
                let x = self.pred(x);
                quote! { !(#x) }
            }
            Pred::Exists { slot } => quote! { __rt::exists(rec.values(#slot)) },
            Pred::Text { slot, test } => {
                let t = self.text(test);
                quote! { __rt::any_text(rec.values(#slot), |s: &str| #t) }
            }
            Pred::Cmp { slot, ty, op, lit } => {
                let c = cmp_tokens(*ty, *op, lit);
                quote! { rec.values(#slot).any(|v| #c) }
            }
            Pred::Cidr { slot, blocks } => {
                let name = self.fresh("CIDR");
                let n = blocks.len();
                let bs = blocks.iter().map(cidr_tokens);
                self.statics.push(quote! {
                    static #name: [__rt::Cidr; #n] = [#(#bs),*];
                });
                quote! { __rt::any_text(rec.values(#slot), |s: &str| __rt::cidr_match_str(s, &#name)) }
            }
            Pred::Computed(e) => crate::codegen_expr::computed_leaf(e, self),
        }
    }

    pub(crate) fn text(&mut self, t: &TextTest) -> TokenStream {
        match t {
            TextTest::AnyString => quote! { { let _ = s; true } },
            TextTest::Exact { s, fold: false } => quote! { s == #s },
            TextTest::Exact { s, fold: true } => quote! { __rt::eq_fold(s, #s) },
            TextTest::Prefix { s, fold: false } => quote! { s.starts_with(#s) },
            TextTest::Prefix { s, fold: true } => quote! { __rt::starts_with_fold(s, #s) },
            TextTest::Suffix { s, fold: false } => quote! { s.ends_with(#s) },
            TextTest::Suffix { s, fold: true } => quote! { __rt::ends_with_fold(s, #s) },
            TextTest::Contains { s, fold: false } => quote! { s.contains(#s) },
            TextTest::Contains { s, fold: true } => quote! { __rt::contains_fold(s, #s) },
            TextTest::Glob { p, fold } => quote! { __rt::glob(s, #p, #fold) },
            TextTest::Set {
                values,
                fold: false,
            } => {
                let name = self.fresh("SET");
                self.statics.push(quote! {
                    static #name: __rt::StrSet = __rt::StrSet::new(&[#(#values),*]);
                });
                quote! { #name.contains(s) }
            }
            TextTest::Set { values, fold: true } => {
                let name = self.fresh("FSET");
                let mut entries: Vec<(u64, &String)> = values
                    .iter()
                    .map(|v| (eqlc_runtime::text::fold_hash(v), v))
                    .collect();
                entries.sort();
                let es = entries.iter().map(|(h, v)| quote! { (#h, #v) });
                self.statics.push(quote! {
                    static #name: __rt::FoldSet = __rt::FoldSet::new(&[#(#es),*]);
                });
                quote! { #name.contains(s) }
            }
            TextTest::Regex { pattern } => {
                let name = self.fresh("RE");
                self.statics.push(quote! {
                    static #name: __rt::LazyRegex = __rt::LazyRegex::new(#pattern);
                });
                quote! { #name.is_match(s) }
            }
            TextTest::AnyOf(v) => {
                let parts = v.iter().map(|x| self.text(x)).collect::<Vec<_>>();
                quote! { (#(#parts)||*) }
            }
        }
    }
}

/// Tokens of a comparison of one value `v` with a constant.
fn cmp_tokens(ty: FieldType, op: CmpOp, lit: &Literal) -> TokenStream {
    let ord = match op {
        CmpOp::Eq => quote! { is_eq },
        CmpOp::Lt => quote! { is_lt },
        CmpOp::Le => quote! { is_le },
        CmpOp::Gt => quote! { is_gt },
        CmpOp::Ge => quote! { is_ge },
    };
    let kind = field_kind_tokens(ty);
    let lit = literal_tokens(lit);
    quote! { __rt::compare_lit(v, #kind, &#lit).is_some_and(::core::cmp::Ordering::#ord) }
}

pub(crate) fn field_kind_tokens(ty: FieldType) -> TokenStream {
    let k = match ty {
        FieldType::Unknown => quote! { Unknown },
        FieldType::Keyword => quote! { Keyword },
        FieldType::Integer => quote! { Integer },
        FieldType::Float => quote! { Float },
        FieldType::Boolean => quote! { Boolean },
        FieldType::Ip => quote! { Ip },
        FieldType::Date => quote! { Date },
        FieldType::DateNanos => quote! { DateNanos },
        FieldType::Version => quote! { Version },
    };
    quote! { __rt::FieldKind::#k }
}

pub(crate) fn literal_tokens(lit: &Literal) -> TokenStream {
    match lit {
        Literal::Null => quote! { __rt::Value::Null },
        Literal::Bool(b) => quote! { __rt::Value::Bool(#b) },
        Literal::Int(i) => quote! { __rt::Value::Int(#i) },
        Literal::Float(f) => {
            let f = Lit::f64_suffixed(*f);
            quote! { __rt::Value::Float(#f) }
        }
        Literal::Str(s) => quote! { __rt::Value::Str(#s) },
    }
}

fn cidr_tokens(c: &eqlc_runtime::cidr::Cidr) -> TokenStream {
    let src = format!("__rt::{}", c.to_tokens());
    src.parse()
        .expect("Cidr::to_tokens gives a valid expression")
}

/// A span-less identifier (for tests and tools).
pub fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{compile_pack, RuleSource};
    use crate::rule_meta::RuleInfo;

    fn generate(query: &str) -> String {
        let src = RuleSource {
            info: RuleInfo {
                name: "t".into(),
                rule_id: "t".into(),
                ..RuleInfo::default()
            },
            query: query.into(),
            category_field: None,
            file: None,
            exceptions: Default::default(),
            tests: Vec::new(),
        };
        let opts = GenOptions {
            runtime: quote!(::eqlc_runtime),
            vis: quote!(pub),
            name: ident("Pack"),
            doc: "t".into(),
        };
        compile_pack(&[src], &opts)
            .expect("compiles")
            .to_string()
            .replace(' ', "")
    }

    /// The pack struct lives outside the `const _` block where `__rt` is in scope: its
    /// limiter field must name the runtime by its path (a `| head` rule did not compile).
    #[test]
    fn limiter_field_uses_the_runtime_path() {
        let code = generate("process where true | head 2");
        let strukt = &code[..code.find("const_:()").expect("const block")];
        assert!(
            strukt.contains("lim0:::eqlc_runtime::pipes::Limiter"),
            "{strukt}"
        );
        assert!(!strukt.contains("__rt"), "{strukt}");
    }

    /// Sample rules build their engine from a static `SampleSpec` and the API knobs given
    /// to `with_options` (`size`, `max_samples_per_key`).
    #[test]
    fn sample_rules_take_size_and_max_samples_per_key() {
        let code = generate("sample by host [any where true] [any where false]");
        assert!(
            code.contains("sample::SampleSpec{filters:&[0usize,1usize],keys:1usize"),
            "{code}"
        );
        assert!(
            code.contains(
                "SampleEngine::new(&__EQLC_R0_SAMPLE,capacity,sample_size,max_samples_per_key"
            ),
            "{code}"
        );
        assert!(
            code.contains(
                "pubfnwith_options(capacity:usize,sample_size:usize,max_samples_per_key:usize"
            ),
            "{code}"
        );
    }

    /// Sequence and sample alerts carry the join key; event alerts do not.
    #[test]
    fn alerts_carry_the_join_key() {
        let seq = generate("sequence by host [any where true] [any where true] | tail 1");
        assert!(seq.contains("offer_keyed(0usize,m.events"), "{seq}");
        assert!(
            seq.contains("::core::option::Option::Some(m.key),out"),
            "{seq}"
        );
        let ev = generate("any where true");
        assert!(ev.contains("key:::core::option::Option::None"), "{ev}");
    }
}

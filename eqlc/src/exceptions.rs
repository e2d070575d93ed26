//! Exception lists (allow-lists) in the style of Elastic's: TOML files of the
//! detection-rules layout → conditions compiled into the rules they name.
//!
//! **Files.** An exception file has a `[metadata]` table (`list_name`, `rule_ids`, ...) and
//! one or more `[[exceptions]]` tables, each with a `container` (`list_id`, `name`, ...) and
//! `[[exceptions.items]]`. An item holds `entries`, optional `os_types` and an optional
//! `expire_time`. A list reaches a rule when the file's `metadata.rule_ids` holds the rule's
//! `rule_id`, or when the rule names the list's `list_id` in `[[rule.exceptions_list]]`.
//! A rule file may also hold `[[exceptions]]` tables itself: they apply to its rule.
//!
//! **Meaning**, as Kibana builds the query filter for a rule's exceptions
//! (`build_exception_filter.ts`):
//!
//! * an item applies to an event when *all* its entries hold (and, with `os_types`, when
//!   `host.os.type` or `host.os.name.caseless` is one of them);
//! * `match` is a `terms` query: some value of the field equals the value exactly
//!   (case-sensitive); `match_any`: equals one of the values; `wildcard`: a `wildcard`
//!   query, case-sensitive, `*` any run, `?` one character, `\` escapes the next character;
//!   `exists`: the field has a non-null value; `operator = "excluded"` negates the entry
//!   (Lucene `must_not`: an event without the field satisfies an excluded `match`);
//! * `nested` entries test `field.sub` paths. Elasticsearch tests them inside *one* object
//!   of a `nested` array; events here are flattened (as the decoder flattens arrays of
//!   objects), so the entries are tested over all the array's objects together. For the
//!   usual single-object arrays (`process.Ext.code_signature`) this is the same;
//! * `list` entries (Kibana value lists) live in Kibana, not in the file: they are an
//!   error, with a hint to write the values as `match_any`;
//! * Kibana passes the filter with every EQL request, so an event an exception applies to
//!   is invisible to the rule: for sequences it takes part in no stage (nor `until`, nor a
//!   missing-event stage), for samples in no filter. [`Exceptions::condition`] is therefore
//!   added as `and not (item or item ...)` to every stage's condition of the rule;
//! * `expire_time`: Kibana ignores an expired item at each rule run. Here the comparison is
//!   made once, when the rules are compiled: items that have expired by then are left out
//!   (and reported); the others stay in the built detector.
//!
//! The condition is EQL text built from the entries and checked like any query, so field
//! types from a schema apply (a `match` value on a `long` field is written as a number).
//! Entry fields are written optional (`?field`): a field the schema does not map then
//! matches nothing, as a `terms` query on an unmapped field, instead of failing the build.

use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics};
use crate::ir;
use crate::schema::Schema;
use crate::source::Source;

/// One exception file.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionFile {
    /// `metadata.list_name`.
    pub list_name: String,
    /// `metadata.rule_ids`: the rules every list of the file applies to.
    pub rule_ids: Vec<String>,
    /// The `[[exceptions]]` lists.
    pub lists: Vec<ExceptionList>,
}

/// One `[[exceptions]]` list.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionList {
    /// `container.list_id` (rules may name it in `[[rule.exceptions_list]]`).
    pub list_id: String,
    /// `container.name`.
    pub name: String,
    /// The items.
    pub items: Vec<Item>,
}

/// One exception item: it applies when all its entries hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `name`.
    pub name: String,
    /// `entries`.
    pub entries: Vec<Entry>,
    /// `os_types` (`linux`, `macos`, `windows`); empty: any.
    pub os_types: Vec<String>,
    /// `expire_time` in nanoseconds since the epoch.
    pub expire_ns: Option<i64>,
    /// Byte range of the item in its file.
    pub span: Range<usize>,
}

/// One entry of an item.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// `type = "match"`: some value equals `value`.
    Match {
        /// Field path.
        field: String,
        /// The value.
        value: String,
        /// `operator = "excluded"`.
        excluded: bool,
    },
    /// `type = "match_any"`: some value equals one of `values`.
    MatchAny {
        /// Field path.
        field: String,
        /// The values.
        values: Vec<String>,
        /// `operator = "excluded"`.
        excluded: bool,
    },
    /// `type = "wildcard"`: some value matches the pattern (already unescaped into an EQL
    /// `like` pattern).
    Wildcard {
        /// Field path.
        field: String,
        /// `*`/`?` pattern, no escapes left.
        pattern: String,
        /// `operator = "excluded"`.
        excluded: bool,
    },
    /// `type = "exists"`: the field has a non-null value.
    Exists {
        /// Field path.
        field: String,
        /// `operator = "excluded"`.
        excluded: bool,
    },
    /// `type = "nested"`: entries on `field.<their field>`.
    Nested {
        /// The parent path.
        field: String,
        /// Inner entries (never nested again).
        entries: Vec<Entry>,
    },
}

/// The exception items that apply to one rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exceptions {
    /// `[[rule.exceptions_list]]` list ids the rule names itself.
    pub list_refs: Vec<String>,
    /// The items, with the file each comes from (its text, for diagnostics).
    pub items: Vec<(Arc<Source>, Item)>,
}

impl Exceptions {
    /// Whether no item applies.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The EQL condition that is true when some item applies (`None`: no items), field
    /// values typed by `schema`.
    pub fn condition(&self, schema: Option<&Schema>) -> Option<String> {
        if self.items.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .items
            .iter()
            .map(|(_, it)| format!("({})", item_condition(it, schema)))
            .collect();
        Some(parts.join(" or "))
    }

    /// Add the items to a checked query: every stage's condition (positive, missing,
    /// `until`, sample filters) becomes `condition and not (item or item ...)`, so an event
    /// an item applies to takes part in nothing (see the module docs).
    ///
    /// # Errors
    /// An item whose condition does not check (with a schema: a `wildcard` on a numeric
    /// field, ...), rendered at the item in its file.
    pub fn apply(&self, q: &mut ir::Query, opts: &crate::check::Options) -> Result<(), String> {
        let Some(cond) = self.condition(opts.schema.as_deref()) else {
            return Ok(());
        };
        let mut rendered = Vec::new();
        for (src, it) in &self.items {
            if let Some(d) = item_diagnostic(it, opts) {
                rendered.push(d.render(src));
            }
        }
        if !rendered.is_empty() {
            return Err(rendered.join("\n"));
        }
        let text = format!("any where {cond}");
        let checked = crate::compile_query(&text, opts)
            .map_err(|d| d.render(&Source::inline("<exception lists>", text.clone())))?;
        let ir::Body::Event(stage) = checked.body else {
            unreachable!("`any where` is an event query");
        };
        let not = ir::Expr {
            span: stage.condition.span.clone(),
            ty: ir::Type::Bool,
            kind: ir::ExprKind::Not(Box::new(stage.condition)),
        };
        let add = |st: &mut ir::Stage| {
            let c = std::mem::replace(
                &mut st.condition,
                ir::Expr {
                    kind: ir::ExprKind::Literal(ir::Literal::Bool(true)),
                    ty: ir::Type::Bool,
                    span: 0..0,
                },
            );
            let span = c.span.clone();
            let operands = match c.kind {
                ir::ExprKind::And(mut v) => {
                    v.push(not.clone());
                    v
                }
                _ => vec![c, not.clone()],
            };
            st.condition = ir::Expr {
                kind: ir::ExprKind::And(operands),
                ty: ir::Type::Bool,
                span,
            };
        };
        match &mut q.body {
            ir::Body::Event(st) => add(st),
            ir::Body::Sequence(seq) => {
                seq.stages.iter_mut().for_each(add);
                if let Some(u) = &mut seq.until {
                    add(u);
                }
            }
            ir::Body::Sample(s) => s.stages.iter_mut().for_each(add),
        }
        Ok(())
    }
}

/// Check one item's condition on its own: `None` when it checks, else an error at the
/// item in its file, with the condition it reads as.
fn item_diagnostic(it: &Item, opts: &crate::check::Options) -> Option<Diagnostic> {
    let cond = item_condition(it, opts.schema.as_deref());
    let d = crate::compile_query(&format!("any where {cond}"), opts).err()?;
    let first = d.iter().next().map_or(String::new(), |x| x.message.clone());
    Some(
        Diagnostic::error(
            it.span.clone(),
            format!("exception item \"{}\" does not check: {first}", it.name),
        )
        .with_help(format!("its condition reads `{cond}`")),
    )
}

/// Check every item of an exception file on its own (for `eqlc check`): diagnostics at the
/// items that do not check.
pub fn check_file(file: &ExceptionFile, opts: &crate::check::Options) -> Diagnostics {
    let mut out = Diagnostics::new();
    for it in file.lists.iter().flat_map(|l| &l.items) {
        if let Some(d) = item_diagnostic(it, opts) {
            out.push(d);
        }
    }
    out
}

/// The condition of one item.
fn item_condition(it: &Item, schema: Option<&Schema>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !it.os_types.is_empty() {
        let list = it
            .os_types
            .iter()
            .map(|o| eql_string(o))
            .collect::<Vec<_>>()
            .join(", ");
        parts.push(format!(
            "(?host.os.type in ({list}) or ?host.os.name.caseless in ({list}))"
        ));
    }
    for e in &it.entries {
        parts.push(entry_condition(e, "", schema));
    }
    parts.join(" and ")
}

fn entry_condition(e: &Entry, parent: &str, schema: Option<&Schema>) -> String {
    let path = |f: &str| {
        if parent.is_empty() {
            f.to_string()
        } else {
            format!("{parent}.{f}")
        }
    };
    let (cond, excluded) = match e {
        Entry::Match {
            field,
            value,
            excluded,
        } => {
            let p = path(field);
            let lit = typed_literal(&p, value, schema);
            (format!("{} == {lit}", opt_field(&p)), *excluded)
        }
        Entry::MatchAny {
            field,
            values,
            excluded,
        } => {
            let p = path(field);
            let list = values
                .iter()
                .map(|v| typed_literal(&p, v, schema))
                .collect::<Vec<_>>()
                .join(", ");
            (format!("{} in ({list})", opt_field(&p)), *excluded)
        }
        Entry::Wildcard {
            field,
            pattern,
            excluded,
        } => (
            format!("{} like {}", opt_field(&path(field)), eql_string(pattern)),
            *excluded,
        ),
        Entry::Exists { field, excluded } => {
            (format!("{} != null", opt_field(&path(field))), *excluded)
        }
        Entry::Nested { field, entries } => {
            let p = path(field);
            let inner = entries
                .iter()
                .map(|x| entry_condition(x, &p, schema))
                .collect::<Vec<_>>()
                .join(" and ");
            (format!("({inner})"), false)
        }
    };
    if excluded {
        format!("not ({cond})")
    } else {
        cond
    }
}

/// A `match` value as an EQL literal: a number or boolean when the schema types the field
/// so and the text reads as one (Elasticsearch's `terms` query converts it the same way),
/// else a string.
fn typed_literal(field: &str, value: &str, schema: Option<&Schema>) -> String {
    use crate::ir::FieldType as T;
    let ty = schema.and_then(|s| s.get(field)).unwrap_or_default();
    let v = value.trim();
    match ty {
        T::Integer if v.parse::<i64>().is_ok() => v.to_string(),
        T::Float if v.parse::<f64>().is_ok_and(f64::is_finite) => v.to_string(),
        T::Boolean if v == "true" || v == "false" => v.to_string(),
        _ => eql_string(value),
    }
}

/// A field of an entry, written optional (`?field`): with a schema that does not map it,
/// the entry tests `null` (a `match` holds for no event, an `excluded` one for every
/// event), as Elasticsearch's `terms` query on an unmapped field matches nothing.
fn opt_field(path: &str) -> String {
    format!("?{}", eql_field(path))
}

/// `s` as an EQL double-quoted string literal.
pub fn eql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{{{:02x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A field path as EQL: segments that are not plain identifiers in backticks (a backtick
/// inside doubled).
pub fn eql_field(path: &str) -> String {
    path.split('.')
        .map(|seg| {
            let plain = seg
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
            if plain && !is_keyword(seg) {
                seg.to_string()
            } else {
                format!("`{}`", seg.replace('`', "``"))
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn is_keyword(s: &str) -> bool {
    const KW: &[&str] = &[
        "and", "any", "by", "false", "in", "like", "maxspan", "not", "null", "of", "or", "regex",
        "runs", "sample", "sequence", "true", "until", "where", "with", "join",
    ];
    KW.iter().any(|k| k.eq_ignore_ascii_case(s))
}

/// An Elasticsearch `wildcard` query value → an EQL `like` pattern: `\x` stands for `x`.
/// `Err` for an escaped `*` or `?` (a literal star or question mark, which `like` cannot
/// express) and for a trailing lone `\`.
fn wildcard_pattern(v: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(v.len());
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('*' | '?') => {
                return Err("an escaped `*` or `?` (a literal star or question mark) cannot be matched by a pattern here")
            }
            Some(x) => out.push(x),
            None => return Err("the value ends in a lone `\\`"),
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RawFile {
    metadata: Option<RawMeta>,
    exceptions: Vec<RawList>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawMeta {
    list_name: String,
    rule_ids: Vec<String>,
}

/// An `[[exceptions]]` list: a misspelt key (`[[exceptions.item]]`) is an error, not a
/// list without items.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    container: Option<RawContainer>,
    #[serde(default)]
    items: Vec<Spanned<RawItem>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawContainer {
    list_id: Option<String>,
    name: String,
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    name: String,
    #[serde(default)]
    list_id: Option<String>,
    entries: Vec<Spanned<RawEntry>>,
    #[serde(default)]
    os_types: Vec<String>,
    #[serde(default)]
    /// A string, or a TOML date-time written without quotes.
    expire_time: Option<Spanned<toml::Value>>,
}

/// An entry: its keys are few and fixed, so any other is an error (a misspelt `value`
/// would otherwise leave an entry that cannot be checked).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    field: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    operator: Option<Spanned<String>>,
    value: Option<Spanned<toml::Value>>,
    entries: Option<Vec<Spanned<RawEntry>>>,
    /// A value-list reference (`type = "list"`), refused with its own message.
    #[allow(dead_code)]
    list: Option<toml::Value>,
}

/// Read an exception file. Spans of the diagnostics are into `text`. `now_ns` decides
/// which items have expired; those are left out and listed in the second value.
///
/// # Errors
/// Invalid TOML, entries of unknown type, `list` entries, values of the wrong shape.
pub fn parse_exception_file(
    text: &str,
    now_ns: i64,
) -> Result<(ExceptionFile, Vec<String>), Diagnostics> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        Diagnostics::from(
            Diagnostic::error(
                e.span().unwrap_or(0..0),
                format!("invalid exception file: {}", e.message()),
            )
            .with_help(
                "exception lists are `[[exceptions]]` (an array of tables), each with an `[exceptions.container]` and `[[exceptions.items]]`",
            ),
        )
    })?;
    let meta = raw.metadata.unwrap_or_default();
    let mut diags = Diagnostics::new();
    let mut expired = Vec::new();
    let mut lists = Vec::new();
    for l in raw.exceptions {
        let container = l.container.unwrap_or_default();
        let mut list_id = container.list_id.clone();
        let mut items = Vec::new();
        for sit in l.items {
            let span = sit.span();
            let it = sit.into_inner();
            if list_id.is_none() {
                list_id = it.list_id.clone();
            }
            let expire_ns = match &it.expire_time {
                None => None,
                Some(t) => match match t.get_ref() {
                    toml::Value::String(s) => expire_time(s),
                    toml::Value::Datetime(d) => expire_time(&d.to_string()),
                    _ => None,
                } {
                    Some(ns) => ns,
                    None => {
                        diags.push(
                            Diagnostic::error(t.span(), "`expire_time` is not an RFC 3339 date")
                                .with_help("write it like `2026-12-31T00:00:00.000Z`"),
                        );
                        continue;
                    }
                },
            };
            let mut entries = Vec::new();
            for e in &it.entries {
                if let Some(x) = entry(e, false, &mut diags) {
                    entries.push(x);
                }
            }
            if it.entries.is_empty() {
                diags.push(Diagnostic::error(
                    span.clone(),
                    format!("exception item \"{}\" has no entries", it.name),
                ));
                continue;
            }
            for os in &it.os_types {
                if !matches!(os.as_str(), "linux" | "macos" | "windows") {
                    diags.push(Diagnostic::error(
                        span.clone(),
                        format!("exception item \"{}\": unknown os type `{os}`", it.name),
                    ));
                }
            }
            if expire_ns.is_some_and(|t| t <= now_ns) {
                expired.push(it.name.clone());
                continue;
            }
            items.push(Item {
                name: it.name,
                entries,
                os_types: it.os_types,
                expire_ns,
                span,
            });
        }
        lists.push(ExceptionList {
            list_id: list_id.unwrap_or_default(),
            name: container.name,
            items,
        });
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((
        ExceptionFile {
            list_name: meta.list_name,
            rule_ids: meta.rule_ids,
            lists,
        },
        expired,
    ))
}

fn entry(se: &Spanned<RawEntry>, in_nested: bool, diags: &mut Diagnostics) -> Option<Entry> {
    let e = se.get_ref();
    let span = se.span();
    let Some(field) = &e.field else {
        diags.push(Diagnostic::error(span, "exception entry without a `field`"));
        return None;
    };
    let name = field.get_ref().trim().to_string();
    if name.is_empty() || name.split('.').any(str::is_empty) {
        diags.push(Diagnostic::error(
            field.span(),
            "empty field path in an exception entry",
        ));
        return None;
    }
    let Some(kind) = &e.kind else {
        diags.push(
            Diagnostic::error(span, "exception entry without a `type`")
                .with_help("one of `match`, `match_any`, `wildcard`, `exists`, `nested`"),
        );
        return None;
    };
    let excluded = match e.operator.as_ref().map(|o| o.get_ref().as_str()) {
        None | Some("included") => false,
        Some("excluded") => true,
        Some(other) => {
            let o = e.operator.as_ref().expect("operator present");
            diags.push(
                Diagnostic::error(o.span(), format!("unknown operator `{other}`"))
                    .with_help("`included` or `excluded`"),
            );
            return None;
        }
    };
    // the entry's `value` and its span; a missing one is reported here, once
    let value = |diags: &mut Diagnostics| match &e.value {
        Some(v) => Some((v.span(), v.get_ref())),
        None => {
            diags.push(Diagnostic::error(span.clone(), "entry without a `value`"));
            None
        }
    };
    let string_value = |diags: &mut Diagnostics| -> Option<String> {
        match value(diags)? {
            (_, toml::Value::String(s)) => Some(s.clone()),
            (sp, _) => {
                diags.push(Diagnostic::error(
                    sp,
                    "this entry's `value` must be a string",
                ));
                None
            }
        }
    };
    match kind.get_ref().as_str() {
        "match" => {
            let value = string_value(diags)?;
            if value.is_empty() {
                let sp = e.value.as_ref().map_or(span.clone(), Spanned::span);
                diags.push(
                    Diagnostic::error(sp, "a `match` entry needs a non-empty `value`")
                        .with_help("Kibana refuses an empty value; to test that the field exists, use `type = \"exists\"`"),
                );
                return None;
            }
            Some(Entry::Match {
                field: name,
                value,
                excluded,
            })
        }
        "wildcard" => {
            let v = string_value(diags)?;
            match wildcard_pattern(&v) {
                Ok(pattern) => Some(Entry::Wildcard {
                    field: name,
                    pattern,
                    excluded,
                }),
                Err(why) => {
                    let sp = e.value.as_ref().map_or(span.clone(), Spanned::span);
                    diags.push(Diagnostic::error(sp, format!("wildcard value: {why}")));
                    None
                }
            }
        }
        "match_any" => match value(diags)? {
            (sp, toml::Value::Array(vs)) if !vs.is_empty() => {
                let mut values = Vec::new();
                for v in vs {
                    let toml::Value::String(s) = v else {
                        diags.push(Diagnostic::error(
                            sp,
                            "`match_any` values must all be strings",
                        ));
                        return None;
                    };
                    values.push(s.clone());
                }
                Some(Entry::MatchAny {
                    field: name,
                    values,
                    excluded,
                })
            }
            (sp, _) => {
                diags.push(Diagnostic::error(
                    sp,
                    "`match_any` needs a non-empty list of strings as its `value`",
                ));
                None
            }
        },
        "exists" => {
            if let Some(v) = &e.value {
                diags.push(
                    Diagnostic::error(v.span(), "an `exists` entry takes no `value`")
                        .with_help("`exists` tests only that the field has a value; to compare it, use `type = \"match\"`"),
                );
                return None;
            }
            Some(Entry::Exists {
                field: name,
                excluded,
            })
        }
        "nested" if in_nested => {
            diags.push(Diagnostic::error(
                kind.span(),
                "a `nested` entry inside a `nested` entry",
            ));
            None
        }
        "nested" => {
            let Some(inner) = &e.entries else {
                diags.push(Diagnostic::error(span, "`nested` entry without `entries`"));
                return None;
            };
            let mut entries = Vec::new();
            for x in inner {
                entries.push(entry(x, true, diags)?);
            }
            if entries.is_empty() {
                diags.push(Diagnostic::error(span, "`nested` entry with no `entries`"));
                return None;
            }
            Some(Entry::Nested {
                field: name,
                entries,
            })
        }
        "list" => {
            diags.push(
                Diagnostic::error(
                    kind.span(),
                    "value-list entries (`type = \"list\"`) refer to lists kept in Kibana",
                )
                .with_help("write the list's values here as a `match_any` entry"),
            );
            None
        }
        other => {
            diags.push(
                Diagnostic::error(kind.span(), format!("unknown entry type `{other}`"))
                    .with_help("one of `match`, `match_any`, `wildcard`, `exists`, `nested`"),
            );
            None
        }
    }
}

/// An item's `expire_time`: `Some(None)` for a date too far ahead to be held in
/// nanoseconds (after 2262: `9999-12-31T23:59:59.999Z` is a common "never"), which never
/// comes; `Some(Some(ns))` for one that can be (a date before 1678 has passed); `None`
/// when `s` is not an RFC 3339 date.
fn expire_time(s: &str) -> Option<Option<i64>> {
    if let Some(ns) = eqlc_runtime::time::parse_rfc3339(s) {
        return Some(Some(ns));
    }
    // the same date in a year that fits: valid, and beyond the range
    let year: i32 = s.get(..4)?.parse().ok()?;
    if s.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let probe = |y: i32| eqlc_runtime::time::parse_rfc3339(&format!("{y:04}{}", &s[4..]));
    match year {
        2262.. => probe(2000).map(|_| None),
        ..1678 => probe(2000).map(|_| Some(i64::MIN)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "[metadata]\nlist_name = \"t\"\nrule_ids = [\"r1\"]\n\n[[exceptions]]\n[exceptions.container]\nlist_id = \"l1\"\nname = \"L\"\n\n";

    fn file(items: &str) -> Result<(ExceptionFile, Vec<String>), String> {
        let text = format!("{HEAD}{items}");
        parse_exception_file(&text, 1_000_000_000_000_000_000)
            .map_err(|d| d.render(&Source::inline("x.toml", text.clone())))
    }

    fn item(entries: &str) -> String {
        format!("[[exceptions.items]]\nname = \"i\"\nentries = [{entries}]\n")
    }

    fn cond(entries: &str, schema: Option<&Schema>) -> String {
        let (f, _) = file(&item(entries)).unwrap();
        item_condition(&f.lists[0].items[0], schema)
    }

    #[test]
    fn entries_read_as_eql() {
        assert_eq!(
            cond(
                r#"{field = "a.b", type = "match", operator = "included", value = "x"}"#,
                None
            ),
            r#"?a.b == "x""#
        );
        assert_eq!(
            cond(
                r#"{field = "a", type = "match_any", operator = "excluded", value = ["x", "y"]},
                   {field = "c", type = "exists", operator = "included"}"#,
                None
            ),
            r#"not (?a in ("x", "y")) and ?c != null"#
        );
        // ES wildcard escapes: `\\` is a backslash, `\d` is `d`; the last `*` is a wildcard
        assert_eq!(
            cond(
                r#"{field = "p", type = "wildcard", value = 'C:\\Win\dows\\*'}"#,
                None
            ),
            r#"?p like "C:\\Windows\\*""#
        );
        assert_eq!(
            cond(
                r#"{field = "s", type = "nested", entries = [
                     {field = "n", type = "match", operator = "included", value = "E"},
                     {field = "t", type = "exists", operator = "excluded"}]}"#,
                None
            ),
            r#"(?s.n == "E" and not (?s.t != null))"#
        );
    }

    #[test]
    fn os_types_and_items_combine() {
        let (f, _) = file(&format!(
            "{}os_types = [\"linux\", \"macos\"]\n{}",
            item(r#"{field = "a", type = "match", value = "1"}"#),
            item(r#"{field = "b", type = "match", value = "2"}"#),
        ))
        .unwrap();
        let ex = Exceptions {
            list_refs: vec![],
            items: f.lists[0]
                .items
                .iter()
                .map(|it| (Arc::new(Source::inline("x", "")), it.clone()))
                .collect(),
        };
        assert_eq!(
            ex.condition(None).unwrap(),
            r#"((?host.os.type in ("linux", "macos") or ?host.os.name.caseless in ("linux", "macos")) and ?a == "1") or (?b == "2")"#
        );
    }

    #[test]
    fn values_take_the_schema_type() {
        let mut s = Schema::new();
        s.insert("process.pid", crate::ir::FieldType::Integer);
        s.insert("x.ok", crate::ir::FieldType::Boolean);
        let c = cond(
            r#"{field = "process.pid", type = "match_any", value = ["4", "x"]},
               {field = "x.ok", type = "match", value = "true"},
               {field = "process.name", type = "match", value = "4"}"#,
            Some(&s),
        );
        assert_eq!(
            c,
            r#"?process.pid in (4, "x") and ?x.ok == true and ?process.name == "4""#
        );
    }

    #[test]
    fn odd_fields_and_values_are_quoted_and_parse_back() {
        assert_eq!(
            eql_field("a.b c.`d`.sequence"),
            "a.`b c`.```d```.`sequence`"
        );
        assert_eq!(eql_field("@timestamp"), "@timestamp");
        let v = "q\"b\\s\nt\u{1}é";
        let q = format!("any where {} == {}", eql_field("a.b c"), eql_string(v));
        let parsed = crate::parse(&q).unwrap();
        let crate::ast::Body::Event(st) = &parsed.body else {
            panic!("{parsed:?}")
        };
        let shown = format!("{}", st.condition);
        assert!(shown.contains("`b c`"), "{shown}");
        let checked = crate::compile_query(&q, &crate::check::Options::default()).unwrap();
        let ir::Body::Event(st) = checked.body else {
            panic!()
        };
        let ir::ExprKind::Compare { rhs, .. } = st.condition.kind else {
            panic!("{:?}", st.condition)
        };
        assert_eq!(
            rhs.kind,
            ir::ExprKind::Literal(ir::Literal::Str(v.to_string()))
        );
    }

    #[test]
    fn bad_entries_are_errors_at_their_place() {
        let err = |entries: &str| file(&item(entries)).unwrap_err();
        let e = err(
            r#"{field = "a", type = "list", operator = "included", list = {id = "x", type = "keyword"}}"#,
        );
        assert!(
            e.contains("x.toml:12:33") && e.contains("value-list") && e.contains("match_any"),
            "{e}"
        );
        let e = err(r#"{field = "a", type = "regex", value = "x"}"#);
        assert!(
            e.contains("unknown entry type `regex`") && e.contains('^'),
            "{e}"
        );
        let e = err(r#"{field = "a", type = "wildcard", value = 'a\*'}"#);
        assert!(e.contains("literal star"), "{e}");
        let e = err(r#"{field = "a", type = "match_any", value = "x"}"#);
        assert!(e.contains("non-empty list"), "{e}");
        let e = err(r#"{field = "a", type = "match", value = 3}"#);
        assert!(e.contains("must be a string"), "{e}");
        let e = err(r#"{field = "a", type = "match", operator = "is", value = "x"}"#);
        assert!(e.contains("unknown operator `is`"), "{e}");
        let e = err(r#"{type = "exists"}"#);
        assert!(e.contains("without a `field`"), "{e}");
        let e = file("[[exceptions.items]]\nname = \"empty\"\nentries = []\n").unwrap_err();
        assert!(e.contains("has no entries"), "{e}");
        let e = file(&format!(
            "{}os_types = [\"beos\"]\n",
            item(r#"{field = "a", type = "exists"}"#)
        ))
        .unwrap_err();
        assert!(e.contains("unknown os type `beos`"), "{e}");
        // misspelt keys, an empty `match` value, a value on `exists`: errors at their place
        let e = err(r#"{field = "a", type = "match", value = "x", comment = "why"}"#);
        assert!(e.contains("unknown field `comment`"), "{e}");
        let e = err(r#"{field = "a", type = "match", value = ""}"#);
        assert!(
            e.contains("needs a non-empty `value`") && e.contains("x.toml:12:"),
            "{e}"
        );
        let e = err(r#"{field = "a", type = "exists", value = "x"}"#);
        assert!(e.contains("an `exists` entry takes no `value`"), "{e}");
        let e = file("[[exceptions.item]]\nname = \"i\"\n").unwrap_err();
        assert!(
            e.contains("unknown field `item`") && e.contains("items"),
            "{e}"
        );
    }

    #[test]
    fn the_layout_kibana_exports_reads_the_same() {
        // entries as arrays of tables, nested ones too, and an unquoted TOML date-time
        let text = format!(
            "{HEAD}[[exceptions.items]]\nname = \"i\"\ntype = \"simple\"\n\
             expire_time = 2001-09-09T01:46:41Z\n\
             [[exceptions.items.entries]]\nfield = \"a\"\noperator = \"included\"\n\
             type = \"match\"\nvalue = \"x\"\n\
             [[exceptions.items.entries]]\nfield = \"s\"\ntype = \"nested\"\n\
             [[exceptions.items.entries.entries]]\nfield = \"t\"\noperator = \"excluded\"\n\
             type = \"exists\"\n"
        );
        let (f, expired) = parse_exception_file(&text, 1_000_000_000_000_000_000).unwrap();
        assert!(expired.is_empty());
        let it = &f.lists[0].items[0];
        assert_eq!(it.expire_ns, Some(1_000_000_001_000_000_000));
        assert_eq!(
            item_condition(it, None),
            r#"?a == "x" and (not (?s.t != null))"#
        );
        let (_, expired) = parse_exception_file(&text, 1_000_000_002_000_000_000).unwrap();
        assert_eq!(expired, ["i"]);
    }

    #[test]
    fn expiry_is_decided_against_the_given_time() {
        let text = |t: &str| {
            format!(
                "{}expire_time = \"{t}\"\n",
                item(r#"{field = "a", type = "exists"}"#)
            )
        };
        // `file` compiles at 2001-09-09T01:46:40Z (1e18 ns)
        let (f, expired) = file(&text("2001-09-09T01:46:39Z")).unwrap();
        assert!(f.lists[0].items.is_empty());
        assert_eq!(expired, ["i"]);
        let (f, expired) = file(&text("2001-09-09T01:46:41Z")).unwrap();
        assert_eq!(f.lists[0].items.len(), 1);
        assert!(expired.is_empty());
        assert!(file(&text("2001-09-09")).unwrap_err().contains("RFC 3339"));
        // beyond what nanoseconds hold: the far future never comes, the far past has gone
        let (f, expired) = file(&text("9999-12-31T23:59:59.999Z")).unwrap();
        assert_eq!((f.lists[0].items.len(), expired.len()), (1, 0));
        let (f, expired) = file(&text("1000-01-01T00:00:00Z")).unwrap();
        assert_eq!((f.lists[0].items.len(), expired.len()), (0, 1));
        // but a malformed date in such a year is still an error
        assert!(file(&text("9999-13-31T00:00:00Z"))
            .unwrap_err()
            .contains("RFC 3339"));
    }

    #[test]
    fn fields_a_schema_lacks_are_not_errors() {
        // Kibana's `terms` query on an unmapped field matches nothing: no error either
        let mut s = Schema::new();
        s.insert("event.category", crate::ir::FieldType::Keyword);
        s.insert("process.name", crate::ir::FieldType::Keyword);
        let (f, _) = file(&item(
            r#"{field = "user.name", type = "match", value = "svc"},
               {field = "host.name", type = "match", operator = "excluded", value = "h"}"#,
        ))
        .unwrap();
        let opts = crate::check::Options {
            schema: Some(Arc::new(s)),
            ..Default::default()
        };
        assert!(check_file(&f, &opts).is_empty());
        let ex = Exceptions {
            list_refs: vec![],
            items: vec![(
                Arc::new(Source::inline("x", "")),
                f.lists[0].items[0].clone(),
            )],
        };
        let mut q = crate::compile_query(r#"process where process.name == "x""#, &opts).unwrap();
        ex.apply(&mut q, &opts).unwrap();
        let ir::Body::Event(st) = &q.body else {
            panic!()
        };
        let ir::ExprKind::And(parts) = &st.condition.kind else {
            panic!("{:?}", st.condition)
        };
        assert_eq!(parts.len(), 2, "the rule's test and `not (item)`");
        assert!(matches!(parts[1].kind, ir::ExprKind::Not(_)));
    }

    #[test]
    fn items_that_do_not_check_point_at_the_item() {
        let mut s = Schema::new();
        s.insert("n", crate::ir::FieldType::Integer);
        let text = format!(
            "{HEAD}{}",
            item(r#"{field = "n", type = "wildcard", value = "1*"}"#)
        );
        let (f, _) = parse_exception_file(&text, 0).unwrap();
        let opts = crate::check::Options {
            schema: Some(Arc::new(s)),
            ..Default::default()
        };
        let d = check_file(&f, &opts);
        let shown = d.render(&Source::inline("x.toml", text.clone()));
        assert!(
            shown.contains("x.toml:10:1") && shown.contains("does not check"),
            "{shown}"
        );
        assert!(shown.contains("?n like \"1*\""), "{shown}");
    }
}

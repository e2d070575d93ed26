//! The whole pipeline for packs: rule sources → checked IR → plan → tokens. Shared by
//! the macros, the `eqlc expand` / `eqlc build` commands and build scripts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proc_macro2::TokenStream;

use crate::codegen::{self, GenOptions};
use crate::exceptions::Exceptions;
use crate::ir;
use crate::plan;
use crate::rule_file::RuleFile;
use crate::rule_meta::{RuleInfo, TechniqueInfo, ThreatInfo};
use crate::schema::Schema;
use crate::source::Source;

/// One rule to compile.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Metadata.
    pub info: RuleInfo,
    /// The EQL query.
    pub query: String,
    /// `event_category_override` (default `event.category`).
    pub category_field: Option<String>,
    /// Where the query sits, for diagnostics (`None`: inline text).
    pub file: Option<Source>,
    /// Exception items compiled into the rule ([`crate::exceptions`]).
    pub exceptions: Exceptions,
    /// The rule file's `[[test]]` tables ([`crate::selftest`]).
    pub tests: Vec<crate::selftest::RuleTest>,
}

impl RuleSource {
    /// The source used to render diagnostics of this rule.
    pub fn source(&self) -> Source {
        match &self.file {
            Some(s) => s.clone(),
            None => Source::inline(self.info.origin.clone(), self.query.clone()),
        }
    }

    /// Parse and check the query.
    pub fn check(&self) -> Result<ir::Query, String> {
        self.check_with(None)
    }

    /// Parse and check the query against a field schema (types, which `?fields` exist).
    /// The rule's exception items are added to every stage ([`Exceptions::apply`]).
    pub fn check_with(&self, schema: Option<&Arc<Schema>>) -> Result<ir::Query, String> {
        let opts = self.options(schema);
        let mut q =
            crate::compile_query(&self.query, &opts).map_err(|d| d.render(&self.source()))?;
        self.exceptions.apply(&mut q, &opts)?;
        Ok(q)
    }

    /// [`RuleSource::check_with`] that also renders the warnings (fields the schema lacks,
    /// with suggestions; type mismatches): `None` when there are none. One parse, one
    /// check.
    pub fn check_with_warnings(
        &self,
        schema: Option<&Arc<Schema>>,
    ) -> Result<(ir::Query, Option<String>), String> {
        let ast = crate::parse(&self.query).map_err(|d| d.render(&self.source()))?;
        let opts = self.options(schema);
        let (ir, diags) = crate::check::check_with_warnings(&ast, &opts);
        match ir {
            Some(mut q) => {
                self.exceptions.apply(&mut q, &opts)?;
                Ok((q, (!diags.is_empty()).then(|| diags.render(&self.source()))))
            }
            None => Err(diags.render(&self.source())),
        }
    }

    fn options(&self, schema: Option<&Arc<Schema>>) -> crate::check::Options {
        let mut opts = crate::check::Options {
            schema: schema.cloned(),
            ..crate::check::Options::default()
        };
        if let Some(c) = &self.category_field {
            opts.category_field = c.clone();
        }
        opts
    }
}

/// Rules found under a path.
#[derive(Debug, Default)]
pub struct LoadedRules {
    /// EQL rules, sorted by file path.
    pub rules: Vec<RuleSource>,
    /// Every file read (for rebuild tracking).
    pub files: Vec<PathBuf>,
    /// Files that are not EQL rules, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Rendered errors of files that could not be read as rules or exception lists.
    pub errors: Vec<String>,
    /// Exception files read, with how many of their items reach some rule.
    pub exception_files: Vec<(PathBuf, usize)>,
    /// Notes for people: expired exception items left out, lists that reach no rule,
    /// rules naming lists that were not found, rules without a `rule_id` (named by their
    /// path instead).
    pub notes: Vec<String>,
}

/// Every `*.toml` file under `path` (or `path` itself when it is a file), sorted.
///
/// Folders are searched recursively and symbolic links are followed (a link to a folder
/// is searched like a folder, a link named `*.toml` to a file is read), but each folder
/// is searched once: a link back into a folder already searched (a loop) is passed over.
/// Hidden entries (a name starting with `.`: editor lock and backup files such as Emacs's
/// `.#rule.toml`, `.git`) are passed over too. A `*.toml` entry that cannot be read (a
/// dangling link) is still listed, so that reading it reports the error against it.
/// Fails when `path` or a folder under it cannot be read.
pub fn toml_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if !seen.insert(std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let rd = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: cannot read folder: {e}", dir.display()))?;
        for entry in rd.flatten() {
            let p = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            // `metadata` follows links; a dangling link has none
            let is_dir = std::fs::metadata(&p).is_ok_and(|m| m.is_dir());
            if is_dir {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// [`toml_files`] of every path, in order, each file once: a file reached twice (the
/// same folder named twice, a folder and a file inside it, a link) is kept where it
/// was first found.
pub fn toml_files_of(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for p in paths {
        for f in toml_files(p)? {
            if seen.insert(std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone())) {
                out.push(f);
            }
        }
    }
    Ok(out)
}

/// Read a rule file: its text, or the error to report against it (it cannot be read,
/// or it is not UTF-8).
pub fn read_rule_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); rule files are UTF-8 TOML",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Load every EQL rule file under `path` (a file or a folder, searched recursively), and
/// attach the exception files found there to the rules they name.
pub fn load_rules(path: &Path) -> Result<LoadedRules, String> {
    load_rule_paths(&[path.to_path_buf()])
}

/// The time now, in nanoseconds since the Unix epoch: what exception items' `expire_time`
/// is compared with when rules are compiled.
pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// [`load_rules`] over several paths: exception files in any of them reach rules in any.
pub fn load_rule_paths(paths: &[PathBuf]) -> Result<LoadedRules, String> {
    let mut loaded = LoadedRules::default();
    let mut exception_files = Vec::new();
    let now_ns = now_ns();
    for file in toml_files_of(paths)? {
        let text = match read_rule_file(&file) {
            Ok(t) => t,
            Err(e) => {
                loaded
                    .errors
                    .push(format!("{}: error: {e}\n", file.display()));
                continue;
            }
        };
        loaded
            .files
            .push(std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone()));
        let name = file.display().to_string();
        match crate::rule_file::parse_rule_file(&text) {
            Ok(crate::rule_file::Loaded::Rule(r)) => {
                let source = r.source(name.clone(), &text);
                let mut rs = rule_source(&r, name.clone(), source);
                if rs.info.rule_id.is_empty() {
                    // alert and group ids derive from the rule id: two rules without one
                    // would give the same ids for the same events
                    rs.info.rule_id = path_within(&file, paths);
                    loaded.notes.push(no_rule_id_note(&name, &rs.info.rule_id));
                }
                if r.inline_exceptions {
                    // `[[exceptions]]` next to the rule: they apply to it alone
                    let Some((src, f)) = read_exceptions(name, text, now_ns, &mut loaded) else {
                        continue;
                    };
                    for it in f.lists.into_iter().flat_map(|l| l.items) {
                        rs.exceptions.items.push((src.clone(), it));
                    }
                }
                loaded.rules.push(rs);
            }
            Ok(crate::rule_file::Loaded::Skipped(reason)) => loaded.skipped.push((file, reason)),
            Ok(crate::rule_file::Loaded::Exceptions) => {
                if let Some((src, f)) = read_exceptions(name, text, now_ns, &mut loaded) {
                    exception_files.push((file, src, f));
                }
            }
            Err(d) => loaded.errors.push(d.render(&Source::inline(name, text))),
        }
    }
    reject_duplicate_ids(&mut loaded);
    attach_exceptions(&mut loaded, exception_files);
    Ok(loaded)
}

/// The note for a rule file `name` without a `rule_id`, which is named `id` instead.
pub fn no_rule_id_note(name: &str, id: &str) -> String {
    format!(
        "{name}: the rule has no `rule_id`; its alerts name it `{id}`, its path in the rules folder (give it a `rule_id`, as Kibana needs one, so that its alert ids stay the same when the file moves)"
    )
}

/// The path of `file` within the folder of `roots` it was found under (its name when a
/// root is the file itself), with `/` separators: the same on every machine, wherever the
/// folder is.
pub fn path_within(file: &Path, roots: &[PathBuf]) -> String {
    let rel = roots
        .iter()
        .filter_map(|r| file.strip_prefix(r).ok())
        .find(|r| !r.as_os_str().is_empty())
        .or_else(|| file.file_name().map(Path::new))
        .unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A `rule_id` names one rule (Kibana keeps one rule per id): every later rule with the id
/// of an earlier one is an error (and left out), naming both files.
fn reject_duplicate_ids(loaded: &mut LoadedRules) {
    let mut first: std::collections::HashMap<String, String> = Default::default();
    let mut errors = Vec::new();
    loaded.rules.retain(|r| {
        if r.info.rule_id.is_empty() {
            return true;
        }
        match first.get(&r.info.rule_id) {
            None => {
                first.insert(r.info.rule_id.clone(), r.info.origin.clone());
                true
            }
            Some(earlier) => {
                let text = r.file.as_ref().map(|f| f.text.as_str());
                errors.push(duplicate_id_error(
                    &r.info.rule_id,
                    earlier,
                    &r.info.origin,
                    text,
                ));
                false
            }
        }
    });
    loaded.errors.extend(errors);
}

/// The error for a rule (in file `origin`, whose text is `file_text`) whose `rule_id` an
/// earlier rule (in `earlier`) already has: rendered at the id in the file when it can be
/// found there.
pub fn duplicate_id_error(
    id: &str,
    earlier: &str,
    origin: &str,
    file_text: Option<&str>,
) -> String {
    let d = |span| {
        crate::diag::Diagnostic::error(span, format!("rule_id `{id}` is already used by {earlier}"))
            .with_help("every rule needs its own `rule_id`; remove one copy or give it a new id")
    };
    let at = file_text.and_then(|t| {
        let k = t.find("rule_id")?;
        let v = k + t[k..].find(id)?;
        Some((t.to_string(), v..v + id.len()))
    });
    match at {
        Some((text, span)) => d(span).render(&Source::inline(origin, text)),
        None => d(0..0).render(&Source::inline(origin, String::new())),
    }
}

/// Read the exception lists of file `name`; expired items become notes, errors go to
/// `loaded.errors` (then `None`).
fn read_exceptions(
    name: String,
    text: String,
    now_ns: i64,
    loaded: &mut LoadedRules,
) -> Option<(Arc<Source>, crate::exceptions::ExceptionFile)> {
    match crate::exceptions::parse_exception_file(&text, now_ns) {
        Ok((f, expired)) => {
            for item in expired {
                loaded.notes.push(format!(
                    "{name}: exception item \"{item}\" has expired; left out"
                ));
            }
            Some((Arc::new(Source::inline(name, text)), f))
        }
        Err(d) => {
            loaded.errors.push(d.render(&Source::inline(name, text)));
            None
        }
    }
}

/// Give each rule the exception items of the lists that name it (file `rule_ids`) or that
/// it names (`[[rule.exceptions_list]]`); note lists and references that reach nothing.
fn attach_exceptions(
    loaded: &mut LoadedRules,
    files: Vec<(PathBuf, Arc<Source>, crate::exceptions::ExceptionFile)>,
) {
    let mut found_refs: std::collections::HashSet<String> = Default::default();
    for (path, src, f) in files {
        let mut reached = 0usize;
        for list in &f.lists {
            let mut rules_hit = 0usize;
            for r in loaded.rules.iter_mut() {
                let by_file = f.rule_ids.contains(&r.info.rule_id);
                let by_rule =
                    !list.list_id.is_empty() && r.exceptions.list_refs.contains(&list.list_id);
                if by_rule {
                    found_refs.insert(list.list_id.clone());
                }
                if by_file || by_rule {
                    rules_hit += 1;
                    for it in &list.items {
                        r.exceptions.items.push((src.clone(), it.clone()));
                    }
                }
            }
            if rules_hit > 0 {
                reached += list.items.len();
            } else {
                loaded.notes.push(format!(
                    "{}: exception list \"{}\" reaches no loaded rule (its `rule_ids` and \
                     `list_id` match none)",
                    path.display(),
                    if list.name.is_empty() {
                        &f.list_name
                    } else {
                        &list.name
                    }
                ));
            }
        }
        loaded.exception_files.push((path, reached));
    }
    for r in &loaded.rules {
        for id in &r.exceptions.list_refs {
            if !found_refs.contains(id) {
                loaded.notes.push(format!(
                    "{}: names exception list `{id}`, which no exception file holds",
                    r.info.origin
                ));
            }
        }
    }
}

/// The compile input of a rule read from a file.
pub fn rule_source(r: &RuleFile, origin: String, source: Source) -> RuleSource {
    let tests = r
        .tests
        .iter()
        .map(|t| crate::selftest::RuleTest {
            case: t.clone(),
            source: Source::embedded(
                origin.clone(),
                source.text.clone(),
                t.events_origin.map.clone(),
            ),
        })
        .collect();
    let info = RuleInfo {
        name: r.name.clone(),
        rule_id: r.rule_id.clone(),
        description: r.description.clone().unwrap_or_default().trim().to_string(),
        severity: r.severity.clone().unwrap_or_else(|| "medium".into()),
        risk_score: r.risk_score.unwrap_or(21).clamp(0, 100) as u8,
        tags: r.tags.clone(),
        max_signals: r
            .max_signals
            .map_or(100, |m| u32::try_from(m).unwrap_or(u32::MAX)),
        interval_ns: r
            .interval
            .as_deref()
            .and_then(eqlc_runtime::meta::parse_interval)
            .unwrap_or(eqlc_runtime::RuleMeta::DEFAULT_INTERVAL_NS),
        from: r.from.clone().unwrap_or_else(|| "now-6m".into()),
        note: r.note.clone().unwrap_or_default(),
        setup: r.setup.clone().unwrap_or_default(),
        references: r.references.clone(),
        index: r.index.clone(),
        threat: r
            .threat
            .iter()
            .map(|t| ThreatInfo {
                framework: t.framework.clone(),
                tactic: (
                    t.tactic.id.clone(),
                    t.tactic.name.clone(),
                    t.tactic.reference.clone(),
                ),
                techniques: t
                    .technique
                    .iter()
                    .map(|x| TechniqueInfo {
                        id: x.id.clone(),
                        name: x.name.clone(),
                        reference: x.reference.clone(),
                        subtechniques: x
                            .subtechnique
                            .iter()
                            .map(|s| (s.id.clone(), s.name.clone(), s.reference.clone()))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        origin,
    };
    RuleSource {
        info,
        query: r.query.clone(),
        category_field: r.event_category_override.clone(),
        file: Some(source),
        exceptions: Exceptions {
            list_refs: r.exceptions_list.clone(),
            items: Vec::new(),
        },
        tests,
    }
}

/// A `#[cfg(test)]` test function that runs every `[[test]]` of `rules` through the pack
/// `opts.name` (its `new()`), with `eqlc_runtime::selftest::check`: empty when no rule has
/// tests. `include_rules!` appends it to the pack, so `cargo test` of the crate runs the
/// rules' self-tests through the generated code.
pub fn self_test_tokens(rules: &[RuleSource], opts: &GenOptions) -> TokenStream {
    let mut cases = Vec::new();
    for r in rules {
        for t in &r.tests {
            let at = format!("{}:{}: test `{}`", t.source.name, t.line(), t.case.name);
            let id = &r.info.rule_id;
            let events = &t.case.events;
            let expect = t.case.expect.iter().map(|a| quote::quote! { &[#(#a),*] });
            cases.push(quote::quote! { (#at, #id, #events, &[#(#expect),*]) });
        }
    }
    if cases.is_empty() {
        return TokenStream::new();
    }
    let (name, rt) = (&opts.name, &opts.runtime);
    let test = quote::format_ident!("__eqlc_self_tests_of_{}", name);
    quote::quote! {
        /// The rules' `[[test]]` tables, through this pack.
        #[cfg(test)]
        #[test]
        #[allow(non_snake_case)]
        fn #test() {
            const CASES: &[(&str, &str, &str, &[&[usize]])] = &[#(#cases),*];
            let mut failed = ::std::vec::Vec::new();
            for (at, rule_id, events, expect) in CASES {
                let mut pack = #name::new();
                if let Err(e) = #rt::selftest::check(&mut pack, rule_id, events, expect) {
                    failed.push(::std::format!("{at}: {e}"));
                }
            }
            assert!(failed.is_empty(), "rule self-tests failed:\n{}", failed.join("\n"));
        }
    }
}

/// Compile rules into the tokens of one pack. On failure, every rule's rendered
/// diagnostics.
pub fn compile_pack(rules: &[RuleSource], opts: &GenOptions) -> Result<TokenStream, Vec<String>> {
    compile_pack_with_schema(rules, None, opts)
}

/// [`compile_pack`] with a field schema (Elasticsearch mapping): field types decide how
/// values compare (ip, version, date) and unmapped `?fields` become `null`.
pub fn compile_pack_with_schema(
    rules: &[RuleSource],
    schema: Option<&Arc<Schema>>,
    opts: &GenOptions,
) -> Result<TokenStream, Vec<String>> {
    let mut queries = Vec::new();
    let mut errors = Vec::new();
    for r in rules {
        match r.check_with(schema) {
            Ok(q) => queries.push(q),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let refs: Vec<&ir::Query> = queries.iter().collect();
    let plan = plan::plan_pack(&refs).map_err(|errs| {
        errs.into_iter()
            .map(|(i, e)| {
                crate::diag::Diagnostic::error(e.span, e.message).render(&rules[i].source())
            })
            .collect::<Vec<_>>()
    })?;
    let infos: Vec<RuleInfo> = rules.iter().map(|r| r.info.clone()).collect();
    Ok(codegen::generate_pack(&plan, &infos, opts))
}

/// A pack with no rules (emitted next to `compile_error!`s so that code using the type
/// still resolves).
pub fn empty_pack(opts: &GenOptions) -> TokenStream {
    let plan = plan::PackPlan {
        fields: Vec::new(),
        rules: Vec::new(),
    };
    codegen::generate_pack(&plan, &[], opts)
}

/// Format generated tokens as Rust source.
pub fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_id_names_one_rule() {
        let dir = std::env::temp_dir().join(format!("eqlc-dup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b")).unwrap();
        let rule = |name: &str, id: &str| {
            format!(
                "[rule]\nname = \"{name}\"\nrule_id = \"{id}\"\nlanguage = \"eql\"\n\
                 type = \"eql\"\nquery = 'process where true'\n"
            )
        };
        std::fs::write(dir.join("a.toml"), rule("first", "id-1")).unwrap();
        std::fs::write(dir.join("b/c.toml"), rule("copy", "id-1")).unwrap();
        std::fs::write(dir.join("d.toml"), rule("other", "id-2")).unwrap();
        let loaded = load_rules(&dir).unwrap();
        let names: Vec<&str> = loaded.rules.iter().map(|r| r.info.name.as_str()).collect();
        assert_eq!(names, ["first", "other"]);
        assert_eq!(loaded.errors.len(), 1);
        let e = &loaded.errors[0];
        assert!(
            e.contains("c.toml:3:12: error: rule_id `id-1` is already used by")
                && e.contains("a.toml")
                && e.contains('^'),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

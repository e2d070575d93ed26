//! The whole pipeline for packs: rule sources → checked IR → plan → tokens. Shared by
//! the macros, the `eqlc expand` / `eqlc build` commands and build scripts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proc_macro2::TokenStream;

use crate::codegen::{self, GenOptions};
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
    pub fn check_with(&self, schema: Option<&Arc<Schema>>) -> Result<ir::Query, String> {
        crate::compile_query(&self.query, &self.options(schema))
            .map_err(|d| d.render(&self.source()))
    }

    /// [`RuleSource::check_with`] that also renders the warnings (fields the schema lacks,
    /// with suggestions; type mismatches): `None` when there are none. One parse, one
    /// check.
    pub fn check_with_warnings(
        &self,
        schema: Option<&Arc<Schema>>,
    ) -> Result<(ir::Query, Option<String>), String> {
        let ast = crate::parse(&self.query).map_err(|d| d.render(&self.source()))?;
        let (ir, diags) = crate::check::check_with_warnings(&ast, &self.options(schema));
        match ir {
            Some(q) => Ok((q, (!diags.is_empty()).then(|| diags.render(&self.source())))),
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
    /// Rendered errors of files that could not be read as rules.
    pub errors: Vec<String>,
}

/// Every `*.toml` file under `path` (or `path` itself when it is a file), sorted.
pub fn toml_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: cannot read folder: {e}", dir.display()))?;
        for entry in rd {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let p = entry.path();
            let ft = entry
                .file_type()
                .map_err(|e| format!("{}: {e}", p.display()))?;
            if ft.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Load every EQL rule file under `path` (a file or a folder, searched recursively).
pub fn load_rules(path: &Path) -> Result<LoadedRules, String> {
    let mut loaded = LoadedRules::default();
    for file in toml_files(path)? {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        loaded
            .files
            .push(std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone()));
        let name = file.display().to_string();
        match crate::rule_file::parse_rule_file(&text) {
            Ok(crate::rule_file::Loaded::Rule(r)) => {
                let source = r.source(name.clone(), &text);
                loaded.rules.push(rule_source(&r, name, source));
            }
            Ok(crate::rule_file::Loaded::Skipped(reason)) => loaded.skipped.push((file, reason)),
            Err(d) => loaded.errors.push(d.render(&Source::inline(name, text))),
        }
    }
    Ok(loaded)
}

/// The compile input of a rule read from a file.
pub fn rule_source(r: &RuleFile, origin: String, source: Source) -> RuleSource {
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

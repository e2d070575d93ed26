//! The `eqlc` command line.
//!
//! ```text
//! eqlc check [--schema FILE] [--category-field FIELD] PATH...   check rule files / folders
//! eqlc check [--schema FILE] --query 'EQL'                      check one inline query
//! eqlc expand PATH...                                          print generated Rust
//! eqlc build --rules DIR... --out PATH [--skip-invalid] [--schema FILE]   build a detector binary
//! eqlc test [--schema FILE] PATH...                            run the rules' [[test]] tables
//! ```
//!
//! Exit status: 0 all rules check, 1 some rule failed, 2 usage error. Output to a closed
//! pipe (`eqlc expand rules/ | head`) ends the process quietly, with status 0; a closed
//! stderr is ignored (messages there are best effort).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use eqlc::schema::Schema;
use eqlc::source::Source;
use eqlc::{Options, RuleOutcome};

/// `print!` to stdout through [`emit`]: a closed pipe ends the process quietly.
macro_rules! out {
    ($($t:tt)*) => { $crate::emit(&mut std::io::stdout().lock(), format_args!($($t)*)) };
}
/// `println!` through [`emit`].
macro_rules! outln {
    () => { out!("\n") };
    ($($t:tt)*) => { out!("{}\n", format_args!($($t)*)) };
}
/// `eprintln!` that ignores write errors: diagnostics and progress are best effort, and a
/// closed stderr must not stop a build (nor end it with a success status).
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

mod cli_build;
mod cli_test;

/// Write `args`; when the reader has gone (a closed pipe), end the process quietly with
/// status 0, as the output was not wanted any more; on other write errors, with status 2.
fn emit(w: &mut dyn std::io::Write, args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(e) = w.write_fmt(args).and_then(|()| w.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        // best effort: stderr may be the stream that failed
        let _ = writeln!(std::io::stderr(), "eqlc: cannot write output: {e}");
        std::process::exit(2);
    }
}

const USAGE: &str = "\
usage: eqlc <command> [options]

commands:
  check [--schema FILE] [--category-field FIELD] PATH...
        check detection-rules TOML files (folders are searched for *.toml)
  check [--schema FILE] [--category-field FIELD] --query 'EQL'
        check one query
  expand PATH...
        print the Rust code generated for the rules under PATH
  build --rules DIR [--rules DIR ...] --out PATH [--skip-invalid] [--schema FILE]
        compile every EQL rule found into one detector binary at PATH
  test [--schema FILE] PATH...
        run the rules' self-tests ([[test]] tables: events and the alerts expected)
  help  print this text

--schema FILE  an Elasticsearch mapping (JSON) or a flat {\"field\": \"type\"} table
               such as shared/schema/ecs-flat.json

Rule folders may hold exception lists (detection-rules exception TOML files, or
[[exceptions]] tables inside a rule file): their items are compiled into the rules
they name. `check` checks them too.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `eqlc <command> --help` as well as `eqlc help`
    if args.len() > 1 && args[1..].iter().any(|a| a == "-h" || a == "--help") {
        outln!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match args.first().map(String::as_str) {
        Some("check") => cmd_check(&args[1..]),
        Some("expand") => cli_build::cmd_expand(&args[1..]),
        Some("build") => cli_build::cmd_build(&args[1..]),
        Some("test") => cli_test::cmd_test(&args[1..]),
        Some("help" | "-h" | "--help") => {
            outln!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command `{other}`")),
        None => usage_error("no command given"),
    }
}

fn usage_error(msg: &str) -> ExitCode {
    errln!("eqlc: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

/// Options of `eqlc check`.
struct CheckArgs {
    opts: Options,
    queries: Vec<String>,
    paths: Vec<PathBuf>,
}

fn parse_check_args(args: &[String]) -> Result<CheckArgs, String> {
    let mut opts = Options::default();
    let mut queries = Vec::new();
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match a.as_str() {
            "--query" | "-q" => queries.push(value(a)?),
            "--schema" => {
                let p = value(a)?;
                let s = Schema::load(Path::new(&p))?;
                opts.schema = Some(Arc::new(s));
            }
            "--category-field" => opts.category_field = value(a)?,
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option `{s}`")),
            p => paths.push(PathBuf::from(p)),
        }
    }
    if queries.is_empty() && paths.is_empty() {
        return Err("`check` needs a PATH or `--query`".to_string());
    }
    Ok(CheckArgs {
        opts,
        queries,
        paths,
    })
}

/// Print the warnings of a query that checks (schema type mismatches).
fn print_warnings(query: &str, source: &Source, opts: &Options) {
    if let Ok(ast) = eqlc::parse(query) {
        let (_, diags) = eqlc::check::check_with_warnings(&ast, opts);
        if !diags.is_empty() {
            outln!("{}", diags.render(source));
        }
    }
}

fn cmd_check(args: &[String]) -> ExitCode {
    let a = match parse_check_args(args) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    let files = match eqlc::compile::toml_files_of(&a.paths) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    let (mut ok, mut failed) = (0usize, 0usize);
    for (i, q) in a.queries.iter().enumerate() {
        let name = if a.queries.len() == 1 {
            "<query>".to_string()
        } else {
            format!("<query {}>", i + 1)
        };
        match eqlc::compile_query(q, &a.opts) {
            Ok(_) => {
                ok += 1;
                print_warnings(q, &Source::inline(name, q.as_str()), &a.opts);
            }
            Err(d) => {
                failed += 1;
                outln!("{}", d.render(&Source::inline(name, q.as_str())));
            }
        }
    }
    let mut ids: std::collections::HashMap<String, String> = Default::default();
    for f in &files {
        let name = f.display().to_string();
        let text = match eqlc::compile::read_rule_file(f) {
            Ok(t) => t,
            Err(e) => {
                failed += 1;
                outln!("{name}: error: {e}\n");
                continue;
            }
        };
        match eqlc::compile_rule_file(&name, &text, &a.opts) {
            RuleOutcome::Compiled { rule, .. } => {
                // one rule per `rule_id`, as `eqlc build` (and Kibana) require
                if !rule.rule_id.is_empty() {
                    if let Some(earlier) = ids.get(&rule.rule_id) {
                        failed += 1;
                        outln!(
                            "{}",
                            eqlc::compile::duplicate_id_error(
                                &rule.rule_id,
                                earlier,
                                &name,
                                Some(&text)
                            )
                        );
                        continue;
                    }
                    ids.insert(rule.rule_id.clone(), name.clone());
                }
                ok += 1;
                if rule.rule_id.is_empty() {
                    let id = eqlc::compile::path_within(f, &a.paths);
                    outln!("note: {}", eqlc::compile::no_rule_id_note(&name, &id));
                }
                if a.opts.schema.is_some() {
                    print_warnings(&rule.query, &rule.source(name.as_str(), &text), &a.opts);
                }
            }
            RuleOutcome::Skipped(reason) => outln!("{name}: skipped: {reason}"),
            RuleOutcome::Failed {
                source,
                diagnostics,
            } => {
                failed += 1;
                outln!("{}", diagnostics.render(&source));
                // its id is taken all the same, as `build` takes it: a later rule with
                // the same id is a duplicate whether or not this one checks
                if let Ok(eqlc::rule_file::Loaded::Rule(r)) =
                    eqlc::rule_file::parse_rule_file(&text)
                {
                    if !r.rule_id.is_empty() {
                        ids.entry(r.rule_id.clone()).or_insert_with(|| name.clone());
                    }
                }
            }
        }
    }
    outln!("checked {} rules: {ok} ok, {failed} failed", ok + failed);
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

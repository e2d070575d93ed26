//! The `eqlc expand` and `eqlc build` commands (included by `main.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `eqlc expand PATH...`: print the generated Rust of the rules under PATH, formatted.
pub fn cmd_expand(args: &[String]) -> ExitCode {
    if args.is_empty() || args.iter().any(|a| a.starts_with('-')) {
        errln!("eqlc: usage: eqlc expand PATH...  (rule files or folders)");
        return ExitCode::from(2);
    }
    let paths: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
    let checked = match eqlc::build::load_and_check(&paths) {
        Ok(c) => c,
        Err(e) => {
            errln!("eqlc: {e}");
            return ExitCode::from(2);
        }
    };
    if !checked.invalid.is_empty() {
        for e in &checked.invalid {
            errln!("{e}");
        }
        return ExitCode::from(1);
    }
    // what is left out of the pack is said, as `build` says it
    for n in &checked.notes {
        errln!("eqlc expand: note: {n}");
    }
    match eqlc::build::generate_pack_source(&checked.rules) {
        Ok(src) => {
            out!("{src}");
            ExitCode::SUCCESS
        }
        Err(errs) => {
            for e in errs {
                errln!("{e}");
            }
            ExitCode::from(1)
        }
    }
}

/// `eqlc build --rules DIR [--rules DIR ...] --out PATH [--skip-invalid] [--schema FILE]`.
pub fn cmd_build(args: &[String]) -> ExitCode {
    let mut rules = Vec::new();
    let mut out = None;
    let mut skip_invalid = false;
    let mut schema = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rules" => match it.next() {
                Some(v) => rules.push(PathBuf::from(v)),
                None => return usage("`--rules` needs a folder"),
            },
            "--out" | "-o" => match it.next() {
                Some(v) => out = Some(PathBuf::from(v)),
                None => return usage("`--out` needs a path"),
            },
            "--skip-invalid" => skip_invalid = true,
            "--schema" => match it.next() {
                Some(v) => match eqlc::schema::Schema::load(Path::new(v)) {
                    Ok(s) => schema = Some(std::sync::Arc::new(s)),
                    Err(e) => {
                        errln!("eqlc build: {e}");
                        return ExitCode::from(2);
                    }
                },
                None => return usage("`--schema` needs a file"),
            },
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let Some(out) = out else {
        return usage("`--out PATH` is required");
    };
    if rules.is_empty() {
        return usage("at least one `--rules DIR` is required");
    }
    // find out now, not after a minute of cargo, that the binary cannot be written there
    if let Err(e) = check_out_path(&out) {
        errln!("eqlc build: --out {}: {e}", out.display());
        return ExitCode::from(2);
    }
    let workspace = match workspace_root() {
        Some(w) => w,
        None => {
            errln!(
                "eqlc build: cannot find the eqlc workspace (runtime/ and detector/); set EQLC_WORKSPACE"
            );
            return ExitCode::from(2);
        }
    };
    errln!("eqlc build: checking rules ...");
    let checked = match eqlc::build::load_and_check_with(&rules, schema.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            errln!("eqlc build: {e}");
            return ExitCode::from(2);
        }
    };
    const SHOWN: usize = 20;
    for w in checked.warnings.iter().take(SHOWN) {
        errln!("{w}");
    }
    if checked.warnings.len() > SHOWN {
        errln!(
            "eqlc build: {} more rule(s) with warnings (`eqlc check --schema` lists all)",
            checked.warnings.len() - SHOWN
        );
    }
    for (p, why) in &checked.skipped {
        errln!("eqlc build: skipped {}: {why}", p.display());
    }
    for n in &checked.notes {
        errln!("eqlc build: note: {n}");
    }
    if !checked.exception_files.is_empty() {
        let items: usize = checked.exception_files.iter().map(|(_, n)| n).sum();
        let rules_with = checked
            .rules
            .iter()
            .filter(|r| !r.exceptions.is_empty())
            .count();
        errln!(
            "eqlc build: {} exception file(s): {items} item(s) compiled into {rules_with} rule(s)",
            checked.exception_files.len()
        );
    }
    if !checked.invalid.is_empty() {
        for e in &checked.invalid {
            errln!("{e}");
        }
        if !skip_invalid {
            errln!(
                "eqlc build: {} rule or exception file(s) failed to check; fix them or pass --skip-invalid",
                checked.invalid.len()
            );
            return ExitCode::from(1);
        }
        errln!(
            "eqlc build: leaving out {} invalid rule or exception file(s) (--skip-invalid)",
            checked.invalid.len()
        );
    }
    if checked.rules.is_empty() {
        errln!("eqlc build: no EQL rule to build");
        return ExitCode::from(1);
    }
    errln!(
        "eqlc build: generating code for {} rule(s) ...",
        checked.rules.len()
    );
    let src = match eqlc::build::generate_pack_source_with(&checked.rules, schema.as_ref()) {
        Ok(s) => s,
        Err(errs) => {
            for e in errs {
                errln!("{e}");
            }
            return ExitCode::from(1);
        }
    };
    let work = workspace.join("target").join("eqlc-build");
    // One build at a time in the shared work folder: another `eqlc build` would overwrite
    // the generated crate between our write and cargo's read. Held until we return.
    let _lock = match lock_work_dir(&work) {
        Ok(l) => l,
        Err(e) => {
            errln!("eqlc build: {e}");
            return ExitCode::from(2);
        }
    };
    let crate_dir = work.join("crate");
    let manifest = match eqlc::build::write_crate(&crate_dir, &workspace, &src) {
        Ok(m) => m,
        Err(e) => {
            errln!("eqlc build: {e}");
            return ExitCode::from(2);
        }
    };
    errln!("eqlc build: compiling the detector (cargo build --release) ...");
    if let Err(e) = eqlc::build::cargo_build(&manifest, &work.join("target"), &out) {
        errln!("eqlc build: {e}");
        return ExitCode::from(1);
    }
    errln!(
        "eqlc build: wrote {} ({} rules)",
        out.display(),
        checked.rules.len()
    );
    ExitCode::SUCCESS
}

/// Whether a file can be written at `out`: not a folder, and its folder exists or can be
/// created (it is created here, as the build would create it).
fn check_out_path(out: &Path) -> Result<(), String> {
    if out.is_dir() {
        return Err("is a folder; give the path of the binary to write".to_string());
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    if !parent.is_dir() {
        return Err(format!("{} is not a folder", parent.display()));
    }
    Ok(())
}

/// Take the exclusive lock of the work folder (`work/lock`), waiting for another build
/// that holds it; released when the returned file is dropped (or the process ends).
fn lock_work_dir(work: &Path) -> Result<std::fs::File, String> {
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let path = work.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => return Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => errln!(
            "eqlc build: waiting for another eqlc build to finish with {}",
            work.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(format!("cannot lock {}: {e}", path.display()))
        }
    }
    file.lock()
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(file)
}

fn usage(msg: &str) -> ExitCode {
    errln!(
        "eqlc build: {msg}\nusage: eqlc build --rules DIR [--rules DIR ...] --out PATH [--skip-invalid] [--schema FILE]"
    );
    ExitCode::from(2)
}

/// The workspace: `EQLC_WORKSPACE`, else the folder above `target/` of this executable,
/// else the compile-time location of this crate's parent.
fn workspace_root() -> Option<PathBuf> {
    let ok = |p: &PathBuf| p.join("runtime").is_dir() && p.join("detector").is_dir();
    if let Some(w) = std::env::var_os("EQLC_WORKSPACE").map(PathBuf::from) {
        return ok(&w).then_some(w);
    }
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    if ok(&built) {
        return std::fs::canonicalize(built).ok();
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().map(PathBuf::from).find(|p| ok(p))
}

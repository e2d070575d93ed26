//! Locating the shared test data.

use std::path::{Path, PathBuf};

/// The shared data folder: `$EQLC_SHARED`, else `<workspace>/../shared`. When it is missing,
/// fails under `CI=true` and otherwise prints how to point at it and returns `None`.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("EQLC_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    if dir.join("conformance").is_dir() && dir.join("corpus").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "shared test data not found at {} (CI=true): set EQLC_SHARED to the shared/ folder",
            dir.display()
        );
    }
    eprintln!(
        "skipping: shared test data not found at {}; run with EQLC_SHARED=/path/to/shared",
        dir.display()
    );
    None
}

/// Every `*.toml` under `dir`, sorted.
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

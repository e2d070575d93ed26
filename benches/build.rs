//! Generates the `corpus_pack` benchmark's pack: every EQL rule of the detection-rules
//! corpus (`../shared/corpus/detection-rules/{rules,rules_building_block}`, or
//! `$EQLC_SHARED/corpus/...`) compiled by the eqlc library into one pack, written to
//! `$OUT_DIR/corpus_pack.rs` for `include!`. Without the corpus an empty pack is written
//! (the benchmark then says it skipped), except under `CI=true`, where the build fails.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=EQLC_SHARED");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let shared = std::env::var_os("EQLC_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../shared"));
    let corpus = shared.join("corpus/detection-rules");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let src = if corpus.join("rules").is_dir() {
        println!("cargo:rerun-if-changed={}", corpus.join("rules").display());
        println!(
            "cargo:rerun-if-changed={}",
            corpus.join("rules_building_block").display()
        );
        generate(&corpus)
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "eqlc-benches: no detection-rules corpus at {} (CI=true: it must be present; \
             set EQLC_SHARED to the `shared` folder)",
            corpus.display()
        );
        println!(
            "cargo:warning=eqlc-benches: no corpus at {}; corpus_pack will be skipped",
            corpus.display()
        );
        let opts = eqlc::codegen::GenOptions {
            runtime: "::eqlc_runtime".parse().expect("path"),
            vis: "pub".parse().expect("vis"),
            name: eqlc::codegen::ident("Pack"),
            doc: "No corpus: an empty pack.".into(),
        };
        eqlc::compile::empty_pack(&opts).to_string()
    };
    std::fs::write(out.join("corpus_pack.rs"), src).expect("write the pack");
}

fn generate(corpus: &Path) -> String {
    let dirs = [corpus.join("rules"), corpus.join("rules_building_block")];
    let checked = eqlc::build::load_and_check(&dirs).expect("read the corpus");
    assert!(
        checked.invalid.is_empty(),
        "corpus rules fail to check:\n{}",
        checked.invalid.join("\n")
    );
    let opts = eqlc::codegen::GenOptions {
        runtime: "::eqlc_runtime".parse().expect("path"),
        vis: "pub".parse().expect("vis"),
        name: eqlc::codegen::ident("Pack"),
        doc: format!("{} corpus rules.", checked.rules.len()),
    };
    match eqlc::compile::compile_pack(&checked.rules, &opts) {
        Ok(tokens) => tokens.to_string(),
        Err(errs) => panic!("corpus rules fail to compile:\n{}", errs.join("\n")),
    }
}

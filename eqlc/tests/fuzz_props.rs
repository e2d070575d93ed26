//! The parser fuzz targets' properties (`fuzz/props/parse.rs`) on a fixed, generated set
//! of inputs, so that they hold on the stable toolchain and in CI: the project's own rule
//! and exception files, hand-written queries of every shape, and byte-level mutations of
//! all of them.

#[path = "../../fuzz/props/parse.rs"]
#[allow(dead_code)]
mod props;

#[path = "../../fuzz/props/mutate.rs"]
mod mutate;

fn files() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut out = Vec::new();
    for dir in [
        "rules/linux",
        "facade/tests/data",
        "facade/tests/data/exceptions",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            out.push(std::fs::read_to_string(p).unwrap());
        }
    }
    assert!(out.len() >= 6);
    out
}

const QUERIES: &[&str] = &[
    r#"process where process.name : ("*sh", "python?") and not process.args_count > 3"#,
    r#"sequence by host.id with maxspan=1s [process where true] by process.entity_id ![file where file.path like~ "/tmp/*"] [network where cidrmatch(destination.ip, "10.0.0.0/8")] until [process where event.type == "end"]"#,
    r#"sample by host.id [any where `odd field`.x == """raw "quoted""""] [any where ?maybe.x != null]"#,
    r#"any where length(substring(a, -2)) == 2 or between(b, "x", "y", true) : "z*" or a regex~ "[a-c]+\\d" | head 5 | tail 2"#,
    r#"sequence with maxspan=5m [process where process.pid in (1, 2.5, -3)] with runs=3 [file where startsWith~(file.name, "a\u{e9}")]"#,
];

#[test]
fn parser_properties_hold_on_seeds_and_mutations() {
    let files = files();
    let mut rng = mutate::Rng::new(0x2d35_8dcc_aa6c_78a5);
    let alphabet = b"[]()\",=:~!?`'\\ *.|\n0aNwy";
    let words: &[&[u8]] = &[
        b" and ",
        b" or ",
        b" not ",
        b"sequence ",
        b" by ",
        b" where ",
        b"\"\"\"",
        b" until ",
        b"'''",
        b"[rule]",
        b"query",
    ];
    for q in QUERIES {
        props::query(q.as_bytes());
    }
    for f in &files {
        props::rule_file(f.as_bytes());
    }
    for round in 0..4_000 {
        let mut q = QUERIES[round % QUERIES.len()].as_bytes().to_vec();
        mutate::mutate(&mut q, &mut rng, alphabet, words);
        props::query(&q);
        let mut f = files[round % files.len()].as_bytes().to_vec();
        mutate::mutate(&mut f, &mut rng, alphabet, words);
        props::rule_file(&f);
    }
}

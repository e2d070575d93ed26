//! The bundled rules' self-tests (`[[test]]` tables in their TOML files), run twice: through
//! the generated pack (`Bundled`, the code the detector runs) and through the reference
//! interpreter (`eqlc test rules/` runs the latter). Both must give exactly the alerts each
//! test expects.

use std::path::Path;

use eqlc::selftest::{run_pack, run_query};

#[test]
fn bundled_rules_pass_their_self_tests_in_both_engines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("linux");
    let loaded = eqlc::compile::load_rules(&dir).expect("rules folder reads");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(!loaded.rules.is_empty());
    for r in &loaded.rules {
        assert!(
            !r.tests.is_empty(),
            "{}: every bundled rule carries [[test]] tables",
            r.info.origin
        );
        let q = r.check().unwrap_or_else(|e| panic!("{e}"));
        for t in &r.tests {
            let events = t.events().unwrap_or_else(|e| panic!("{e}"));
            let mut pack = eqlc_rules::Bundled::new();
            if let Err(e) = t.compare(&run_pack(&mut pack, &r.info.rule_id, &events)) {
                panic!("generated pack: {e}");
            }
            if let Err(e) = t.compare(&run_query(&q, &events)) {
                panic!("interpreter: {e}");
            }
        }
    }
}

//! `cargo run --release -p eqlc-conformance`: run Elasticsearch's EQL QA suite through
//! eqlc-generated matchers and print one line per file, every failure, and
//! `conformance: P passed, F failed`. Exit status 1 when anything failed.

use std::process::ExitCode;

fn main() -> ExitCode {
    if eqlc_conformance::CASES.is_empty() {
        eprintln!(
            "eqlc-conformance: built without the conformance data (no cases).\n\
             Set EQLC_SHARED to the `shared` folder that holds conformance/elasticsearch\n\
             (default: <workspace>/../shared) and rebuild:\n\
             \n    EQLC_SHARED=/path/to/shared cargo run --release -p eqlc-conformance"
        );
        return ExitCode::from(2);
    }
    let report = eqlc_conformance::run_all();
    print!("{}", report.render());
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! `eqlc-detect`: the detector built with the rules bundled with eqlc (`eqlc-rules`).
//! See `eqlc-detect --help`.

fn main() -> std::process::ExitCode {
    eqlc_detector::main_with(eqlc_rules::Bundled::with_capacity)
}

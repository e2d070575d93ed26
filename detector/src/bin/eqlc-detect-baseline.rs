//! `eqlc-detect-baseline`: the detector built with the hand-written seed rule
//! ([`eqlc_detector::handpack::SeedPack`]) instead of generated code — a baseline for
//! benchmarks and a second opinion in differential tests. Same flags as `eqlc-detect`.

fn main() -> std::process::ExitCode {
    eqlc_detector::main_with(eqlc_detector::handpack::SeedPack::with_capacity)
}

//! Benchmarks of eqlc (see benches/).

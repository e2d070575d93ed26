//! Shared pieces of the eqlc benchmarks (the benchmarks themselves are in `benches/`).
//!
//! * [`stream`] — a deterministic generated Linux event stream (the detector's generator),
//!   as NDJSON lines and pre-decoded slot buffers.
//! * [`handwritten`] — the seed rule written by hand in plain Rust: the baseline the
//!   generated matcher is measured against.
//! * [`serde_matcher`] — the seed rule matched by hand over `serde_json` parsing: the
//!   baseline of the end-to-end NDJSON benchmark.
//! * [`alloc`] — a counting global allocator for allocations-per-event figures.

pub mod alloc;
pub mod handwritten;
pub mod serde_matcher;
pub mod stream;

//! Front-end tests: parser spans, checker IR, diagnostics, the detection-rules corpus, the
//! Elasticsearch conformance queries, and property tests. One test binary (fewer links).

mod check;
mod cli;
mod common;
mod conformance;
mod corpus;
mod diagnostics;
mod parse;
mod props;

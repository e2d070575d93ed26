//! The properties the fuzz targets check (see `props/`).

#[path = "../props/parse.rs"]
pub mod parse;

#[path = "../props/decode.rs"]
pub mod decode;

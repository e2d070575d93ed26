//! eqlc — the EQL rule compiler (library).
pub mod ir;

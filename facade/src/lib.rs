//! eqlc-sdk — the crate users depend on to compile EQL rules into their program.
//!
//! * [`rule!`] compiles one inline rule, [`include_rules!`] a folder of TOML rule files,
//!   each into a type that implements [`runtime::RulePack`].
//! * [`runtime`] is the eqlc runtime (events, records, alerts, rule metadata) that the
//!   generated code calls; generated code names it as `::eqlc_sdk::runtime` by default.

pub use eqlc_macros::{include_rules, rule};
pub use eqlc_runtime as runtime;

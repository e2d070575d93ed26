//! The rule pack bundled with eqlc.
//!
//! Every TOML rule file under this crate's folder (`linux/`, ...) in the layout of
//! Elastic's detection-rules repository is compiled at build time, by one
//! `include_rules!` call, into [`Bundled`]: a type implementing
//! [`eqlc_sdk::runtime::RulePack`]. The first rule is the seed rule, "Potential Reverse
//! Shell via Suspicious Child Process" (`linux/execution_potential_reverse_shell_via_suspicious_child_process.toml`).

eqlc_sdk::include_rules! {
    /// Every rule bundled with eqlc, compiled into one pack.
    pub struct Bundled;
    path = "linux",
}

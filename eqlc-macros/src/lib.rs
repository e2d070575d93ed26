//! Procedural macros of eqlc. Deliberately thin: each macro hands its input tokens to
//! the `eqlc` library ([`eqlc::macro_support`]) and returns what it produces. Errors come
//! back as `compile_error!` items that name the rule file, line and column; the macros
//! never panic.
//!
//! * [`rule!`] — one inline rule: `pub struct Name; name = "...", query = "...", ...`.
//! * [`include_rules!`] — every EQL rule of a TOML file or folder (detection-rules
//!   layout) as one rule pack.

use proc_macro::TokenStream;

/// Compile one inline EQL rule into a rule pack type.
///
/// ```ignore
/// eqlc_sdk::rule! {
///     /// Interpreter reverse shell.
///     pub struct ReverseShell;
///     name = "Interpreter reverse shell",
///     query = r#"process where process.name : "python*""#,
///     severity = "high",
/// }
/// ```
#[proc_macro]
pub fn rule(input: TokenStream) -> TokenStream {
    eqlc::macro_support::rule(input.into()).into()
}

/// Compile the EQL rules of a TOML file or folder (searched recursively), relative to
/// the calling crate's `Cargo.toml`, into one rule pack type. Exception lists in the folder
/// are compiled into the rules they name, and the rules' `[[test]]` tables become one
/// `#[cfg(test)]` test function that runs them through the pack (`cargo test`).
///
/// ```ignore
/// eqlc_sdk::include_rules! {
///     /// The bundled rules.
///     pub struct Bundled;
///     path = "rules",
/// }
/// ```
#[proc_macro]
pub fn include_rules(input: TokenStream) -> TokenStream {
    eqlc::macro_support::include_rules(input.into()).into()
}

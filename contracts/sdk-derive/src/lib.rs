//! `#[msg]`: the attribute that every message, query and answer type of a Tidepool contract
//! wears, like CosmWasm's `#[cw_serde]`. Use it as `tidepool_sdk::msg` (or through
//! `tidepool_sdk::prelude::*`); this crate is an implementation detail of the SDK.
//!
//! ```ignore
//! #[msg]
//! pub enum ExecuteMsg {
//!     Transfer { to: Address, amount: Uint128 },
//! }
//! ```
//!
//! expands to
//!
//! ```ignore
//! #[derive(::tidepool_sdk::serde::Serialize, ::tidepool_sdk::serde::Deserialize, Clone, Debug, PartialEq)]
//! #[serde(crate = "::tidepool_sdk::serde", rename_all = "snake_case", deny_unknown_fields)]
//! pub enum ExecuteMsg {
//!     Transfer { to: Address, amount: Uint128 },
//! }
//! ```
//!
//! so the JSON is `{"transfer": {"to": "0x…", "amount": "100"}}` and a misspelt field is an
//! error rather than silently ignored. Field names are already snake_case in Rust, so
//! `rename_all` only changes enum variants. More derives (`Copy`, `Eq`, `Default`) and field
//! attributes (`#[serde(default)]`) go beside it as usual. serde is reached through the SDK's
//! re-export, so a contract needs no serde dependency of its own for its messages.

use proc_macro::TokenStream;

/// Adds `Serialize, Deserialize, Clone, Debug, PartialEq` and
/// `#[serde(rename_all = "snake_case", deny_unknown_fields)]` to a struct or enum. See the
/// [crate documentation](crate).
#[proc_macro_attribute]
pub fn msg(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return r##"::core::compile_error!("#[msg] takes no arguments");"##.parse().expect("valid tokens");
    }
    let mut out: TokenStream = concat!(
        "#[derive(::tidepool_sdk::serde::Serialize, ::tidepool_sdk::serde::Deserialize, ",
        "::core::clone::Clone, ::core::fmt::Debug, ::core::cmp::PartialEq)] ",
        r#"#[serde(crate = "::tidepool_sdk::serde", rename_all = "snake_case", deny_unknown_fields)]"#,
    )
    .parse()
    .expect("valid tokens");
    out.extend(item);
    out
}

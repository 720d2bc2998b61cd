//! The token's storage layout.

use serde::{Deserialize, Serialize};
use tidepool_sdk::prelude::*;

/// Name, symbol, decimals, supply and minter.
#[derive(Serialize, Deserialize)]
pub struct TokenInfo {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub total_supply: Uint128,
    pub minter: Option<Address>,
}

pub const TOKEN_INFO: Item<TokenInfo> = Item::new("token_info");
pub const BALANCES: Map<Address, Uint128> = Map::new("balance");
/// `(owner, spender) → allowance`.
pub const ALLOWANCES: Map<(Address, Address), Uint128> = Map::new("allowance");

//! The token's messages, answers and events (JSON, `snake_case`; amounts are decimal strings).

use serde::Serialize;
use tidepool_sdk::prelude::*;

/// `{"name", "symbol", "decimals", "initial_balances": [{"address", "amount"}], "minter"}`;
/// `minter` may be `null` (no minting, fixed supply).
#[msg]
pub struct InstantiateMsg {
    /// Display name.
    pub name: String,
    /// Ticker.
    pub symbol: String,
    /// Decimals of one whole token.
    pub decimals: u8,
    /// Balances minted at creation.
    #[serde(default)]
    pub initial_balances: Vec<InitialBalance>,
    /// Who may mint, if anyone.
    #[serde(default)]
    pub minter: Option<Address>,
}

/// One initial holder.
#[msg]
pub struct InitialBalance {
    /// Holder.
    pub address: Address,
    /// Amount in base units.
    pub amount: Uint128,
}

/// Execute messages, e.g. `{"transfer": {"to": "0x…", "amount": "100"}}`.
#[msg]
pub enum ExecuteMsg {
    /// Moves the caller's tokens.
    Transfer {
        /// Recipient.
        to: Address,
        /// Amount.
        amount: Uint128,
    },
    /// Moves `owner`'s tokens within the caller's allowance.
    TransferFrom {
        /// Whose tokens.
        owner: Address,
        /// Recipient.
        to: Address,
        /// Amount.
        amount: Uint128,
    },
    /// Sets (replaces) `spender`'s allowance over the caller's tokens; `u128::MAX` is unlimited.
    Approve {
        /// Who may spend.
        spender: Address,
        /// The new allowance.
        amount: Uint128,
    },
    /// Creates tokens (minter only).
    Mint {
        /// Recipient.
        to: Address,
        /// Amount.
        amount: Uint128,
    },
    /// Destroys the caller's tokens.
    Burn {
        /// Amount.
        amount: Uint128,
    },
}

/// Queries, e.g. `{"balance": {"address": "0x…"}}`, `{"token_info": {}}`.
#[msg]
pub enum QueryMsg {
    /// → [`BalanceResponse`].
    Balance {
        /// Holder.
        address: Address,
    },
    /// → [`AllowanceResponse`].
    Allowance {
        /// Owner.
        owner: Address,
        /// Spender.
        spender: Address,
    },
    /// → [`TokenInfoResponse`].
    TokenInfo {},
}

/// `{"balance": "…"}`.
#[msg]
#[derive(Eq)]
pub struct BalanceResponse {
    /// Balance in base units.
    pub balance: Uint128,
}

/// `{"allowance": "…"}`.
#[msg]
#[derive(Eq)]
pub struct AllowanceResponse {
    /// Remaining allowance.
    pub allowance: Uint128,
}

/// `{"name", "symbol", "decimals", "total_supply", "minter", "reports_delivery"}`.
#[msg]
#[derive(Eq)]
pub struct TokenInfoResponse {
    /// Display name.
    pub name: String,
    /// Ticker.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
    /// Total supply in base units.
    pub total_supply: Uint128,
    /// The minter, if any.
    pub minter: Option<Address>,
    /// Whether `transfer` and `transfer_from` answer [`TransferResponse`], so a contract that
    /// receives tokens can learn what arrived from the answer instead of reading its balance
    /// before and after.
    pub reports_delivery: bool,
}

/// The answer of `transfer` and `transfer_from` when the token reports delivery:
/// `{"delivered": "…"}`, what the recipient was credited (less than the amount sent only for a
/// fee-on-transfer token).
#[msg]
#[derive(Eq)]
pub struct TransferResponse {
    /// Amount credited to the recipient.
    pub delivered: Uint128,
}

/// Event `transfer`: `{"from", "to", "amount", "delivered"}` (`delivered` < `amount` only for
/// a fee-on-transfer token).
#[derive(Serialize)]
pub struct TransferEvent {
    /// Sender.
    pub from: Address,
    /// Recipient.
    pub to: Address,
    /// Amount debited.
    pub amount: Uint128,
    /// Amount credited.
    pub delivered: Uint128,
}

/// Event `approve`: `{"owner", "spender", "amount"}`.
#[derive(Serialize)]
pub struct ApproveEvent {
    /// Owner.
    pub owner: Address,
    /// Spender.
    pub spender: Address,
    /// New allowance.
    pub amount: Uint128,
}

/// Event `mint`: `{"to", "amount"}`.
#[derive(Serialize)]
pub struct MintEvent {
    /// Recipient.
    pub to: Address,
    /// Amount.
    pub amount: Uint128,
}

/// Event `burn`: `{"from", "amount"}`.
#[derive(Serialize)]
pub struct BurnEvent {
    /// Holder.
    pub from: Address,
    /// Amount.
    pub amount: Uint128,
}

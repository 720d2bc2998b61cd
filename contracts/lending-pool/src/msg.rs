//! The pool's messages and answers (JSON, `snake_case`; amounts and WAD values are decimal
//! strings, bps plain numbers).

use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tidepool_sdk::prelude::*;

use crate::config::{MarketConfig, PoolConfig};
use crate::external::Arrival;
use crate::market::MarketState;

/// `{"oracle", "treasury", "owner"?, "close_factor_bps"?, "full_close_hf"?, "flash_premium_bps"?,
/// "flash_protocol_share_bps"?, "max_price_age"?, "max_positions"?}`. The owner defaults to the
/// instantiating account; the rest to LENDING.md's values (5000, 0.95e18, 9, 3000, 3600, 16).
#[msg]
pub struct InstantiateMsg {
    /// The price oracle.
    pub oracle: Address,
    /// Receives liquidation fees and, by default, withdrawn reserves.
    pub treasury: Address,
    /// The owner.
    #[serde(default)]
    pub owner: Option<Address>,
    /// Close factor, bps.
    #[serde(default)]
    pub close_factor_bps: Option<u32>,
    /// Full-close threshold, WAD.
    #[serde(default)]
    pub full_close_hf: Option<Uint128>,
    /// Flash premium, bps.
    #[serde(default)]
    pub flash_premium_bps: Option<u32>,
    /// Protocol share of the flash premium, bps.
    #[serde(default)]
    pub flash_protocol_share_bps: Option<u32>,
    /// Oldest accepted price, seconds.
    #[serde(default)]
    pub max_price_age: Option<u64>,
    /// Most markets per user.
    #[serde(default)]
    pub max_positions: Option<u32>,
}

/// An exact amount, or `"all"`: `"amount": "1000"` or `"amount": "all"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountOrAll {
    /// This many base units.
    Exact(Uint128),
    /// Everything (the whole balance or debt).
    All,
}

impl Serialize for AmountOrAll {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Exact(v) => v.serialize(s),
            Self::All => s.serialize_str("all"),
        }
    }
}

impl<'de> Deserialize<'de> for AmountOrAll {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AmountVisitor;
        impl Visitor<'_> for AmountVisitor {
            type Value = AmountOrAll;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount as a decimal string, or \"all\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AmountOrAll, E> {
                if v == "all" {
                    return Ok(AmountOrAll::All);
                }
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::invalid_value(de::Unexpected::Str(v), &self));
                }
                v.parse().map(AmountOrAll::Exact).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AmountOrAll, E> {
                Ok(AmountOrAll::Exact(Uint128::from(v)))
            }
        }
        d.deserialize_any(AmountVisitor)
    }
}

/// Execute messages, e.g. `{"supply": {"asset": "0x…", "amount": "1000"}}`.
#[msg]
pub enum ExecuteMsg {
    /// Owner: creates a market, pulling a seed deposit (≥ 1000 units) from the owner whose
    /// shares stay locked in the pool forever. The owner must have approved the pool.
    ListMarket {
        /// The token.
        asset: Address,
        /// Its configuration.
        config: MarketConfig,
        /// The seed deposit.
        seed: Uint128,
    },
    /// Owner: replaces a market's configuration (accrues first; re-validates).
    UpdateMarket {
        /// The market.
        asset: Address,
        /// The new configuration.
        config: MarketConfig,
    },
    /// Owner: pauses or unpauses one market, or (without `asset`) the whole pool.
    SetPaused {
        /// The market; `null` for the whole pool.
        #[serde(default)]
        asset: Option<Address>,
        /// Paused or not.
        paused: bool,
    },
    /// Deposits `amount` (pulled from the caller with `transfer_from`) for `on_behalf_of`.
    Supply {
        /// The market.
        asset: Address,
        /// Base units.
        amount: Uint128,
        /// Who gets the shares (default: the caller).
        #[serde(default)]
        on_behalf_of: Option<Address>,
    },
    /// Withdraws the caller's supply: an exact amount or `"all"`.
    Withdraw {
        /// The market.
        asset: Address,
        /// Base units, or `"all"`.
        amount: AmountOrAll,
        /// Recipient (default: the caller).
        #[serde(default)]
        to: Option<Address>,
    },
    /// Turns a supplied asset's use as collateral on or off.
    SetCollateral {
        /// The market.
        asset: Address,
        /// On or off.
        enabled: bool,
    },
    /// Borrows against the caller's collateral.
    Borrow {
        /// The market.
        asset: Address,
        /// Base units.
        amount: Uint128,
        /// Recipient (default: the caller).
        #[serde(default)]
        to: Option<Address>,
    },
    /// Repays up to `amount` (or `"all"`) of `on_behalf_of`'s debt, pulled from the caller.
    Repay {
        /// The market.
        asset: Address,
        /// Base units, or `"all"`.
        amount: AmountOrAll,
        /// Whose debt (default: the caller's).
        #[serde(default)]
        on_behalf_of: Option<Address>,
    },
    /// Repays part of an unhealthy borrower's debt for their collateral plus a bonus.
    Liquidate {
        /// The unhealthy account.
        borrower: Address,
        /// The debt to repay.
        debt_asset: Address,
        /// The collateral to seize.
        collateral_asset: Address,
        /// At most this much debt (`"all"`: as much as the close factor allows).
        debt_to_cover: AmountOrAll,
        /// Take the collateral as pool shares instead of tokens (works when the collateral
        /// market lacks cash).
        #[serde(default)]
        receive_shares: bool,
    },
    /// Lends `amount` to `receiver` for the duration of a call to its
    /// `{"execute_operation": {"asset", "amount", "premium", "initiator", "data"}}`; then pulls
    /// `amount + premium` back from it with `transfer_from`.
    FlashLoan {
        /// The market.
        asset: Address,
        /// Base units.
        amount: Uint128,
        /// The contract called back.
        receiver: Address,
        /// Passed through to the receiver (base64).
        #[serde(default)]
        data: Binary,
    },
    /// Owner: takes reserves out, at most `min(TR, cash)`.
    WithdrawReserves {
        /// The market.
        asset: Address,
        /// Base units.
        amount: Uint128,
        /// Recipient (default: the treasury).
        #[serde(default)]
        to: Option<Address>,
    },
    /// Anyone: accrues a market's interest to now.
    Accrue {
        /// The market.
        asset: Address,
    },
}

/// Queries, e.g. `{"position": {"user": "0x…"}}`. Answers reflect interest accrued up to the
/// current block, as the next transaction would see it.
#[msg]
pub enum QueryMsg {
    /// → [`MarketResponse`].
    Market {
        /// The market.
        asset: Address,
    },
    /// → `[MarketResponse]`, every market.
    Markets {},
    /// → [`RatesResponse`].
    Rates {
        /// The market.
        asset: Address,
    },
    /// → [`PositionResponse`]; fails if a needed price is zero or stale.
    Position {
        /// The account.
        user: Address,
    },
    /// → [`BalanceResponse`].
    Balance {
        /// The account.
        user: Address,
        /// The market.
        asset: Address,
    },
    /// → [`PoolConfig`].
    Config {},
    /// → [`PositionsResponse`]: the accounts with a position, in address order, a page at a time
    /// (what a dashboard lists without scanning events).
    Positions {
        /// Start after this account; from the first when absent.
        #[serde(default)]
        start_after: Option<Address>,
        /// At most this many accounts: default [`DEFAULT_POSITIONS_PAGE`], at most
        /// [`MAX_POSITIONS_PAGE`] (a larger value is read as the maximum).
        #[serde(default)]
        limit: Option<u32>,
    },
}

/// Accounts in a `positions` page when the query does not say.
pub const DEFAULT_POSITIONS_PAGE: u32 = 30;
/// Most accounts in one `positions` page: each is valued, and a query's gas is bounded.
pub const MAX_POSITIONS_PAGE: u32 = 100;

/// A page of accounts with a position.
#[msg]
#[derive(Eq)]
pub struct PositionsResponse {
    /// The accounts, in ascending address order.
    pub positions: Vec<AccountPosition>,
    /// Pass as `start_after` for the next page; `null` on the last page.
    pub next: Option<Address>,
}

/// One account's position, as `position` answers it, valued when every price it needs is fresh.
#[msg]
#[derive(Eq)]
pub struct AccountPosition {
    /// The account.
    pub user: Address,
    /// Per market (no prices needed).
    pub markets: Vec<BalanceResponse>,
    /// Totals (USD × 10^8) and the health factor; `null` when a price it needs is missing, zero
    /// or stale (`error` says which).
    pub valuation: Option<Valuation>,
    /// Why `valuation` is `null`.
    pub error: Option<String>,
}

/// An account's totals (USD × 10^8) and health factor (WAD; `u128::MAX` without debt).
#[msg]
#[derive(Eq)]
pub struct Valuation {
    /// Σ collateral value.
    pub collateral_value: Uint128,
    /// Σ collateral value × ltv.
    pub borrow_capacity: Uint128,
    /// Σ debt value.
    pub debt_value: Uint128,
    /// Σ(collateral × lt) / Σ debt.
    pub health_factor: Uint128,
}

/// A market: its config, state and derived figures.
#[msg]
#[derive(Eq)]
pub struct MarketResponse {
    /// The token.
    pub asset: Address,
    /// Its decimals.
    pub decimals: u8,
    /// Its configuration.
    pub config: MarketConfig,
    /// Whether it is paused.
    pub paused: bool,
    /// How a pull learns what arrived: `"reported"` (the token's `transfer_from` answer) or
    /// `"measured"` (the pool's balance before and after).
    pub arrival: Arrival,
    /// Its state, accrued to now.
    pub state: MarketState,
    /// Exchange rate (WAD tokens per share).
    pub exchange_rate: Uint128,
    /// Utilization (WAD).
    pub utilization: Uint128,
}

/// `{"utilization", "borrow_apr", "supply_apr"}`, all WAD.
#[msg]
#[derive(Eq)]
pub struct RatesResponse {
    /// TB / (cash + TB − TR).
    pub utilization: Uint128,
    /// Borrow APR.
    pub borrow_apr: Uint128,
    /// Supply APR: `apr·U·(1 − rf)`.
    pub supply_apr: Uint128,
}

/// An account's totals (USD × 10^8) and health factor (WAD; `u128::MAX` without debt).
#[msg]
#[derive(Eq)]
pub struct PositionResponse {
    /// Σ collateral value.
    pub collateral_value: Uint128,
    /// Σ collateral value × ltv.
    pub borrow_capacity: Uint128,
    /// Σ debt value.
    pub debt_value: Uint128,
    /// Σ(collateral × lt) / Σ debt.
    pub health_factor: Uint128,
    /// Per market.
    pub markets: Vec<BalanceResponse>,
}

/// One account in one market.
#[msg]
#[derive(Eq)]
pub struct BalanceResponse {
    /// The market.
    pub asset: Address,
    /// Supply shares.
    pub shares: Uint128,
    /// What the shares are worth now (floor).
    pub supplied: Uint128,
    /// Whether the supply counts as collateral.
    pub collateral: bool,
    /// Debt now (ceil).
    pub debt: Uint128,
}

/// The message a flash-loan receiver gets:
/// `{"execute_operation": {"asset", "amount", "premium", "initiator", "data"}}`.
#[msg]
pub enum ReceiverMsg {
    /// Use the funds, then approve the pool for `amount + premium`.
    ExecuteOperation {
        /// The token lent.
        asset: Address,
        /// Amount lent.
        amount: Uint128,
        /// Premium owed on top.
        premium: Uint128,
        /// Who asked for the loan.
        initiator: Address,
        /// The data passed to `flash_loan`.
        data: Binary,
    },
}

/// Pool config as returned by `{"config": {}}`.
pub type ConfigResponse = PoolConfig;

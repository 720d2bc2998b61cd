//! Calls from the pool to other contracts: tokens (transfer, transfer_from, balance,
//! decimals), the oracle (prices) and flash-loan receivers. Every token movement happens after
//! the pool has written its own state.

use serde::{Deserialize, Serialize};
use tidepool_sdk::prelude::*;

use crate::error::{PoolError, PoolResult};

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum TokenExecute {
    Transfer { to: Address, amount: Uint128 },
    TransferFrom { owner: Address, to: Address, amount: Uint128 },
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum TokenQuery {
    Balance { address: Address },
    TokenInfo {},
}

#[derive(Deserialize)]
struct BalanceAnswer {
    balance: Uint128,
}

#[derive(Deserialize)]
struct TransferAnswer {
    delivered: Uint128,
}

/// What the pool reads of a token's `token_info` at listing.
#[derive(Deserialize, Debug, Clone, Copy)]
pub struct TokenInfo {
    /// Decimals of one whole token.
    pub decimals: u8,
    /// Whether `transfer_from` answers `{"delivered": …}` (absent: it does not).
    #[serde(default)]
    pub reports_delivery: bool,
}

/// How a pull learns what arrived, chosen per market at listing (from `token_info`).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// The pool's balance read before and after the pull: two queries of the token. For tokens
    /// that do not report delivery, and markets listed before tokens could.
    #[default]
    Measured,
    /// The token's answer to `transfer_from`, `{"delivered": …}`: no query. It is the token's
    /// word, as its balance answer is; listing checked it against the balance once.
    Reported,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum OracleQuery<'a> {
    Price { asset: Address },
    Prices { assets: &'a [Address] },
}

#[derive(Deserialize)]
struct PricesAnswer {
    prices: Vec<OraclePrice>,
}

/// A price as the oracle reports it.
#[derive(Deserialize, Debug, Clone, Copy)]
pub struct OraclePrice {
    /// USD × 10^8 per whole token.
    pub price: Uint128,
    /// Block time it was set.
    pub updated_at: u64,
}

/// Sends `amount` of `asset` from the pool to `to` (nothing for 0).
///
/// # Errors
/// The token's failure.
pub fn send(asset: &Address, to: &Address, amount: Uint128) -> PoolResult<()> {
    if !amount.is_zero() {
        calls::call(asset, &TokenExecute::Transfer { to: *to, amount }, 0)?;
    }
    Ok(())
}

/// Pulls `amount` of `asset` from `owner` into the pool (`pool`) with `transfer_from`, and
/// checks that exactly `amount` arrived, learning it as `arrival` says, so a fee-on-transfer
/// token is refused rather than credited with tokens the pool never got.
///
/// # Errors
/// The token's failure, an answer that does not report delivery where it should, or
/// [`PoolError::UnsupportedToken`].
pub fn pull(asset: &Address, arrival: Arrival, owner: &Address, pool: &Address, amount: Uint128) -> PoolResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let received = match arrival {
        Arrival::Reported => delivered(&transfer_from(asset, owner, pool, amount)?)?,
        Arrival::Measured => {
            let before = balance(asset, pool)?;
            transfer_from(asset, owner, pool, amount)?;
            balance(asset, pool)?.saturating_sub(before)
        }
    };
    exactly(amount, received)
}

/// A listing's seed pull: measures what arrived by the pool's balance whatever the token
/// says, and if `arrival` is [`Arrival::Reported`], checks that the token's answer agrees, so
/// a market trusts a token's reports only after one was seen to be true.
///
/// # Errors
/// As [`pull`].
pub fn pull_seed(
    asset: &Address,
    arrival: Arrival,
    owner: &Address,
    pool: &Address,
    amount: Uint128,
) -> PoolResult<()> {
    let before = balance(asset, pool)?;
    let answer = transfer_from(asset, owner, pool, amount)?;
    exactly(amount, balance(asset, pool)?.saturating_sub(before))?;
    if arrival == Arrival::Reported {
        exactly(amount, delivered(&answer)?)?;
    }
    Ok(())
}

fn transfer_from(asset: &Address, owner: &Address, pool: &Address, amount: Uint128) -> PoolResult<Vec<u8>> {
    Ok(calls::call(asset, &TokenExecute::TransferFrom { owner: *owner, to: *pool, amount }, 0)?)
}

fn delivered(answer: &[u8]) -> PoolResult<Uint128> {
    let answer: TransferAnswer = tidepool_sdk::serde_json::from_slice(answer).map_err(|e| {
        ContractError::msg(format!("unsupported token: its transfer_from answer reports no delivery ({e})"))
    })?;
    Ok(answer.delivered)
}

fn exactly(expected: Uint128, received: Uint128) -> PoolResult<()> {
    if received == expected { Ok(()) } else { Err(PoolError::UnsupportedToken { expected, received }) }
}

/// `asset.balance(who)`.
///
/// # Errors
/// The token's failure.
pub fn balance(asset: &Address, who: &Address) -> PoolResult<Uint128> {
    let answer: BalanceAnswer = calls::query(asset, &TokenQuery::Balance { address: *who })?;
    Ok(answer.balance)
}

/// The token's `token_info`: its decimals, and whether it reports delivery.
///
/// # Errors
/// The token's failure.
pub fn token_info(asset: &Address) -> PoolResult<TokenInfo> {
    Ok(calls::query(asset, &TokenQuery::TokenInfo {})?)
}

/// The oracle's price for `asset`.
///
/// # Errors
/// The oracle's failure (e.g. no price set).
pub fn price(oracle: &Address, asset: &Address) -> PoolResult<OraclePrice> {
    Ok(calls::query(oracle, &OracleQuery::Price { asset: *asset })?)
}

/// The oracle's prices for `assets`, in order, in one query.
///
/// # Errors
/// The oracle's failure: a missing price, or an oracle without the `prices` query; or an
/// answer with a different number of prices.
pub fn prices(oracle: &Address, assets: &[Address]) -> PoolResult<Vec<OraclePrice>> {
    let answer: PricesAnswer = calls::query(oracle, &OracleQuery::Prices { assets })?;
    if answer.prices.len() != assets.len() {
        return Err(ContractError::msg("the oracle answered a different number of prices").into());
    }
    Ok(answer.prices)
}

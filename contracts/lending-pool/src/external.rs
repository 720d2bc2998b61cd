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
struct TokenInfoAnswer {
    decimals: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum OracleQuery {
    Price { asset: Address },
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
/// checks that exactly `amount` arrived, so a fee-on-transfer token is refused rather than
/// credited with tokens the pool never got.
///
/// # Errors
/// The token's failure, or [`PoolError::UnsupportedToken`].
pub fn pull(asset: &Address, owner: &Address, pool: &Address, amount: Uint128) -> PoolResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let before = balance(asset, pool)?;
    calls::call(asset, &TokenExecute::TransferFrom { owner: *owner, to: *pool, amount }, 0)?;
    let received = balance(asset, pool)?.saturating_sub(before);
    if received != amount {
        return Err(PoolError::UnsupportedToken { expected: amount, received });
    }
    Ok(())
}

/// `asset.balance(who)`.
///
/// # Errors
/// The token's failure.
pub fn balance(asset: &Address, who: &Address) -> PoolResult<Uint128> {
    let answer: BalanceAnswer = calls::query(asset, &TokenQuery::Balance { address: *who })?;
    Ok(answer.balance)
}

/// The token's decimals.
///
/// # Errors
/// The token's failure.
pub fn decimals(asset: &Address) -> PoolResult<u8> {
    let answer: TokenInfoAnswer = calls::query(asset, &TokenQuery::TokenInfo {})?;
    Ok(answer.decimals)
}

/// The oracle's price for `asset`.
///
/// # Errors
/// The oracle's failure (e.g. no price set).
pub fn price(oracle: &Address, asset: &Address) -> PoolResult<OraclePrice> {
    Ok(calls::query(oracle, &OracleQuery::Price { asset: *asset })?)
}

//! `liquidate`: Aave v3 rules (close factor, full close below `full_close_hf`, collateral cap)
//! and the bad-debt write-off when a borrower is left with debt and no collateral.

use serde::Serialize;
use tidepool_sdk::prelude::*;

use crate::error::{PoolError, PoolResult};
use crate::external;
use crate::liquidation::{LiquidationInput, liquidation_amounts};
use crate::market::{shares_for_deposit, shares_for_withdrawal};
use crate::math::WAD;
use crate::msg::AmountOrAll;
use crate::session::Session;

#[derive(Serialize)]
struct LiquidationEvent {
    liquidator: Address,
    borrower: Address,
    debt_asset: Address,
    collateral_asset: Address,
    repaid: Uint128,
    seized: Uint128,
    seized_shares: Uint128,
    protocol_fee: Uint128,
    health_factor: Uint128,
    receive_shares: bool,
}

#[derive(Serialize)]
struct BadDebtEvent {
    borrower: Address,
    asset: Address,
    debt: Uint128,
    absorbed_by_reserves: Uint128,
    deficit: Uint128,
}

/// Moves `shares` of `asset` to `to`'s position, turning collateral on for a first supply.
fn credit_shares(s: &mut Session, to: &Address, asset: &Address, shares: Uint128) -> PoolResult<()> {
    if shares.is_zero() {
        return Ok(());
    }
    let auto_collateral = s.market(asset)?.config.ltv > 0;
    let position = s.position(to, asset)?;
    if position.shares.is_zero() && auto_collateral {
        position.collateral = true;
    }
    position.shares = position.shares.checked_add(shares)?;
    Ok(())
}

/// `liquidate{borrower, debt_asset, collateral_asset, debt_to_cover, receive_shares}`.
pub fn liquidate(
    s: &mut Session,
    caller: Address,
    borrower: Address,
    debt_asset: Address,
    collateral_asset: Address,
    debt_to_cover: AmountOrAll,
    receive_shares: bool,
) -> PoolResult<()> {
    if caller == borrower {
        return Err(PoolError::NotLiquidatable("the liquidator is the borrower"));
    }
    s.require_active(&debt_asset)?;
    s.require_active(&collateral_asset)?;
    let health = s.health(&borrower, true)?;
    let health_factor = health.health_factor()?;
    if health_factor >= WAD {
        return Err(PoolError::NotLiquidatable("the health factor is not below 1"));
    }
    let (_, debt) = s.amounts(&borrower, &debt_asset)?;
    if debt.is_zero() {
        return Err(PoolError::NotLiquidatable("no debt in this asset"));
    }
    let (collateral, _) = s.amounts(&borrower, &collateral_asset)?;
    if collateral.is_zero() {
        return Err(PoolError::NotLiquidatable("no collateral in this asset"));
    }
    let input = LiquidationInput {
        health_factor,
        full_close_hf: s.config.full_close_hf,
        close_factor_bps: s.config.close_factor_bps,
        debt,
        debt_to_cover: match debt_to_cover {
            AmountOrAll::All => Uint128::MAX,
            AmountOrAll::Exact(v) => v,
        },
        collateral,
        debt_price: s.price(&debt_asset)?,
        debt_decimals: s.market(&debt_asset)?.decimals,
        collateral_price: s.price(&collateral_asset)?,
        collateral_decimals: s.market(&collateral_asset)?.decimals,
        lb: s.market(&collateral_asset)?.config.lb,
        liq_fee: s.market(&collateral_asset)?.config.liq_fee,
    };
    let amounts = liquidation_amounts(&input)?;
    if amounts.repay.is_zero() || amounts.seized.is_zero() {
        return Err(PoolError::NotLiquidatable("the amount is too small to seize anything"));
    }

    // Debt side: the borrower's debt falls by what the liquidator pays.
    let market = s.market(&debt_asset)?;
    let index = market.state.borrow_index;
    market.state.total_borrows = market.state.total_borrows.saturating_sub(amounts.repay);
    market.state.cash = market.state.cash.checked_add(amounts.repay)?;
    let position = s.position(&borrower, &debt_asset)?;
    position.principal = debt.checked_sub(amounts.repay)?;
    position.index_at_borrow = index;

    // Collateral side: the borrower loses shares worth C (all of them when C is everything).
    let ex = s.market(&collateral_asset)?.state.exchange_rate()?;
    let borrower_shares = s.position(&borrower, &collateral_asset)?.shares;
    let seized_shares = if amounts.seized == collateral {
        borrower_shares
    } else {
        shares_for_withdrawal(amounts.seized, ex)?.min(borrower_shares)
    };
    s.position(&borrower, &collateral_asset)?.shares = borrower_shares - seized_shares;
    let to_liquidator = amounts.to_liquidator();
    let treasury_shares = if receive_shares {
        s.ensure_slot(&caller, &collateral_asset)?;
        let liquidator_shares = shares_for_deposit(to_liquidator, ex)?;
        credit_shares(s, &caller, &collateral_asset, liquidator_shares)?;
        seized_shares - liquidator_shares
    } else {
        // Shares worth at least C − fee are burned for the tokens paid out.
        let burned = shares_for_withdrawal(to_liquidator, ex)?.min(seized_shares);
        let market = s.market(&collateral_asset)?;
        let cash = market.state.cash;
        if to_liquidator > cash {
            return Err(PoolError::InsufficientCash { available: cash });
        }
        market.state.cash = cash - to_liquidator;
        market.state.total_shares = market.state.total_shares.checked_sub(burned)?;
        seized_shares - burned
    };
    let treasury = s.config.treasury;
    credit_shares(s, &treasury, &collateral_asset, treasury_shares)?;
    s.event(
        "liquidate",
        &LiquidationEvent {
            liquidator: caller,
            borrower,
            debt_asset,
            collateral_asset,
            repaid: amounts.repay,
            seized: amounts.seized,
            seized_shares,
            protocol_fee: amounts.fee,
            health_factor,
            receive_shares,
        },
    );
    write_off_bad_debt(s, &borrower)?;
    s.commit()?;
    let arrival = s.market(&debt_asset)?.arrival;
    external::pull(&debt_asset, arrival, &caller, &s.pool, amounts.repay)?;
    if !receive_shares {
        external::send(&collateral_asset, &caller, to_liquidator)?;
    }
    Ok(())
}

/// If `borrower` has no collateral left but still owes, each remaining debt is written off:
/// the market's reserves absorb what they can, suppliers bear the rest (recorded as the
/// market's `deficit`), and `TB` drops by the whole debt.
fn write_off_bad_debt(s: &mut Session, borrower: &Address) -> PoolResult<()> {
    let assets = s.user_assets(borrower)?;
    let mut debts = Vec::new();
    for asset in &assets {
        let (collateral, debt) = s.amounts(borrower, asset)?;
        if !collateral.is_zero() {
            return Ok(());
        }
        if !debt.is_zero() {
            debts.push((*asset, debt));
        }
    }
    for (asset, debt) in debts {
        let market = s.market(&asset)?;
        let absorbed = debt.min(market.state.total_reserves);
        let deficit = debt - absorbed;
        market.state.total_reserves -= absorbed;
        market.state.total_borrows = market.state.total_borrows.saturating_sub(debt);
        market.state.deficit = market.state.deficit.checked_add(deficit)?;
        let position = s.position(borrower, &asset)?;
        position.principal = Uint128::ZERO;
        position.index_at_borrow = Uint128::ZERO;
        s.event(
            "bad_debt",
            &BadDebtEvent { borrower: *borrower, asset, debt, absorbed_by_reserves: absorbed, deficit },
        );
    }
    Ok(())
}

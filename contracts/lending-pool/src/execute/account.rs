//! A user's own actions: supply, withdraw, collateral on/off, borrow, repay.

use serde::Serialize;
use tidepool_sdk::prelude::*;

use crate::error::{PoolError, PoolResult};
use crate::external;
use crate::market::{assets_for_shares, current_debt, shares_for_deposit, shares_for_withdrawal};
use crate::msg::AmountOrAll;
use crate::session::Session;

#[derive(Serialize)]
struct SupplyEvent {
    asset: Address,
    from: Address,
    on_behalf_of: Address,
    amount: Uint128,
    shares: Uint128,
}

#[derive(Serialize)]
struct WithdrawEvent {
    asset: Address,
    user: Address,
    to: Address,
    amount: Uint128,
    shares: Uint128,
}

#[derive(Serialize)]
struct CollateralEvent {
    asset: Address,
    user: Address,
    enabled: bool,
}

#[derive(Serialize)]
struct BorrowEvent {
    asset: Address,
    user: Address,
    to: Address,
    amount: Uint128,
    debt: Uint128,
}

#[derive(Serialize)]
struct RepayEvent {
    asset: Address,
    from: Address,
    on_behalf_of: Address,
    amount: Uint128,
    debt: Uint128,
}

/// `supply`: shares = floor(amount·WAD/ex) > 0; supply cap; cash += amount; pull the tokens;
/// the first supply of an asset with ltv > 0 turns it on as collateral.
pub fn supply(
    s: &mut Session,
    caller: Address,
    asset: Address,
    amount: Uint128,
    beneficiary: Address,
) -> PoolResult<()> {
    if amount.is_zero() {
        return Err(PoolError::ZeroAmount);
    }
    s.require_active(&asset)?;
    s.ensure_slot(&beneficiary, &asset)?;
    let market = s.market(&asset)?;
    // The pool holds `cash` of a token whose supply is at most 2^128 − 1: no account holds more
    // than the rest. Said so here, before the figures below overflow on it.
    if market.state.cash.checked_add(amount).is_err() {
        return Err(PoolError::Msg(format!(
            "insufficient balance: no account can hold {amount}, as the pool already holds {} of the token",
            market.state.cash
        )));
    }
    let shares = shares_for_deposit(amount, market.state.exchange_rate()?)?;
    if shares.is_zero() {
        return Err(PoolError::ZeroShares);
    }
    if let Some(cap) = market.config.supply_cap
        && market.state.supplier_assets()?.checked_add(amount)? > cap
    {
        return Err(PoolError::CapExceeded("supply"));
    }
    market.state.cash = market.state.cash.checked_add(amount)?;
    market.state.total_shares = market.state.total_shares.checked_add(shares)?;
    let auto_collateral = market.config.ltv > 0;
    let position = s.position(&beneficiary, &asset)?;
    if position.shares.is_zero() && auto_collateral {
        position.collateral = true;
    }
    position.shares = position.shares.checked_add(shares)?;
    s.event("supply", &SupplyEvent { asset, from: caller, on_behalf_of: beneficiary, amount, shares });
    s.commit()?;
    let arrival = s.market(&asset)?.arrival;
    external::pull(&asset, arrival, &caller, &s.pool, amount)
}

/// `withdraw`: an exact amount burns ceil(amount·WAD/ex) shares; `all` pays
/// floor(shares·ex/WAD); amount ≤ cash; health check.
pub fn withdraw(s: &mut Session, caller: Address, asset: Address, amount: AmountOrAll, to: Address) -> PoolResult<()> {
    let position = *s.position(&caller, &asset)?;
    let market = s.market(&asset)?;
    let ex = market.state.exchange_rate()?;
    let (amount, shares) = match amount {
        AmountOrAll::All => (assets_for_shares(position.shares, ex)?, position.shares),
        AmountOrAll::Exact(a) => (a, shares_for_withdrawal(a, ex)?),
    };
    if amount.is_zero() {
        return Err(PoolError::ZeroAmount);
    }
    if shares > position.shares {
        return Err(PoolError::InsufficientBalance);
    }
    let cash = market.state.cash;
    if amount > cash {
        return Err(PoolError::InsufficientCash { available: cash });
    }
    market.state.cash = cash - amount;
    market.state.total_shares = market.state.total_shares.checked_sub(shares)?;
    let position = s.position(&caller, &asset)?;
    position.shares -= shares;
    if position.collateral {
        s.require_healthy(&caller)?;
    }
    s.event("withdraw", &WithdrawEvent { asset, user: caller, to, amount, shares });
    s.commit()?;
    external::send(&asset, &to, amount)
}

/// `set_collateral`: health check when disabling.
pub fn set_collateral(s: &mut Session, caller: Address, asset: Address, enabled: bool) -> PoolResult<()> {
    s.market(&asset)?;
    let position = s.position(&caller, &asset)?;
    if position.shares.is_zero() {
        return Err(PoolError::InsufficientBalance);
    }
    let was = position.collateral;
    position.collateral = enabled;
    if was && !enabled {
        s.require_healthy(&caller)?;
    }
    s.event("collateral", &CollateralEvent { asset, user: caller, enabled });
    s.commit()
}

/// `borrow`: amount ≤ cash; borrow cap; TB += amount; cash −= amount; health check.
pub fn borrow(s: &mut Session, caller: Address, asset: Address, amount: Uint128, to: Address) -> PoolResult<()> {
    if amount.is_zero() {
        return Err(PoolError::ZeroAmount);
    }
    s.require_active(&asset)?;
    s.ensure_slot(&caller, &asset)?;
    let position = *s.position(&caller, &asset)?;
    let market = s.market(&asset)?;
    let cash = market.state.cash;
    if amount > cash {
        return Err(PoolError::InsufficientCash { available: cash });
    }
    let total_borrows = market.state.total_borrows.checked_add(amount)?;
    if let Some(cap) = market.config.borrow_cap
        && total_borrows > cap
    {
        return Err(PoolError::CapExceeded("borrow"));
    }
    market.state.total_borrows = total_borrows;
    market.state.cash = cash - amount;
    let index = market.state.borrow_index;
    let debt = current_debt(position.principal, index, position.index_at_borrow)?.checked_add(amount)?;
    let position = s.position(&caller, &asset)?;
    position.principal = debt;
    position.index_at_borrow = index;
    s.require_healthy(&caller)?;
    s.event("borrow", &BorrowEvent { asset, user: caller, to, amount, debt });
    s.commit()?;
    external::send(&asset, &to, amount)
}

/// `repay`: pays min(amount, debt); TB = TB.saturating_sub(paid); cash += paid.
pub fn repay(
    s: &mut Session,
    caller: Address,
    asset: Address,
    amount: AmountOrAll,
    borrower: Address,
) -> PoolResult<()> {
    let position = *s.position(&borrower, &asset)?;
    let market = s.market(&asset)?;
    let index = market.state.borrow_index;
    let debt = current_debt(position.principal, index, position.index_at_borrow)?;
    let paid = match amount {
        AmountOrAll::All => debt,
        AmountOrAll::Exact(a) if a.is_zero() => return Err(PoolError::ZeroAmount),
        AmountOrAll::Exact(a) => a.min(debt),
    };
    if paid.is_zero() {
        return Err(PoolError::Msg("nothing to repay: no debt in this market".into()));
    }
    market.state.total_borrows = market.state.total_borrows.saturating_sub(paid);
    market.state.cash = market.state.cash.checked_add(paid)?;
    let position = s.position(&borrower, &asset)?;
    position.principal = debt - paid;
    position.index_at_borrow = if debt == paid { Uint128::ZERO } else { index };
    s.event("repay", &RepayEvent { asset, from: caller, on_behalf_of: borrower, amount: paid, debt: debt - paid });
    s.commit()?;
    let arrival = s.market(&asset)?.arrival;
    external::pull(&asset, arrival, &caller, &s.pool, paid)
}

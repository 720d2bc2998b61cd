//! `flash_loan`: lend, call the receiver back, pull `amount + premium`; the pool stays locked
//! for the whole callback, and any failure reverts the loan entirely.

use serde::Serialize;
use tidepool_sdk::prelude::*;

use crate::error::{PoolError, PoolResult};
use crate::external;
use crate::market::flash_premium;
use crate::msg::ReceiverMsg;
use crate::session::Session;

#[derive(Serialize)]
struct FlashLoanEvent {
    asset: Address,
    receiver: Address,
    initiator: Address,
    amount: Uint128,
    premium: Uint128,
    to_reserves: Uint128,
}

/// `flash_loan{asset, amount, receiver, data}`.
pub fn flash_loan(
    s: &mut Session,
    caller: Address,
    asset: Address,
    amount: Uint128,
    receiver: Address,
    data: Binary,
) -> PoolResult<()> {
    if amount.is_zero() {
        return Err(PoolError::ZeroAmount);
    }
    s.require_active(&asset)?;
    let split = flash_premium(amount, s.config.flash_premium_bps, s.config.flash_protocol_share_bps)?;
    let market = s.market(&asset)?;
    let cash = market.state.cash;
    if amount > cash {
        return Err(PoolError::InsufficientCash { available: cash });
    }
    // While the loan is out, `cash` is what the pool really holds.
    market.state.cash = cash - amount;
    s.commit()?;

    external::send(&asset, &receiver, amount)?;
    let msg = ReceiverMsg::ExecuteOperation { asset, amount, premium: split.premium, initiator: caller, data };
    calls::call(&receiver, &msg, 0)?;
    let owed = amount.checked_add(split.premium)?;
    let arrival = s.market(&asset)?.arrival;
    external::pull(&asset, arrival, &receiver, &s.pool, owed)?;

    let market = s.market(&asset)?;
    market.state.cash = market.state.cash.checked_add(owed)?;
    market.state.total_reserves = market.state.total_reserves.checked_add(split.to_reserves)?;
    s.event(
        "flash_loan",
        &FlashLoanEvent {
            asset,
            receiver,
            initiator: caller,
            amount,
            premium: split.premium,
            to_reserves: split.to_reserves,
        },
    );
    s.commit()
}

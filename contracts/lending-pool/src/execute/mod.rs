//! Execute messages: the pool-wide lock around every call, then one handler per message.
//! Every handler follows the same order: load (accruing every touched market), check, change
//! the session, one health check where collateral falls or debt rises, commit, then move
//! tokens.

mod account;
mod admin;
mod flash_loan;
mod liquidate;

use tidepool_sdk::{Context, Response};

use crate::error::{PoolError, PoolResult};
use crate::msg::ExecuteMsg;
use crate::session::Session;
use crate::state::LOCK;

pub use admin::instantiate;

/// The `execute` entry point.
///
/// # Errors
/// Whatever the handler refuses; [`PoolError::Locked`] on re-entry.
pub fn execute(ctx: &Context, msg: ExecuteMsg) -> PoolResult<Response> {
    // Second line of defence: the VM already refuses re-entry into a contract on the stack.
    if LOCK.may_load()?.unwrap_or(false) {
        return Err(PoolError::Locked);
    }
    LOCK.save(&true)?;
    let mut s = Session::new(ctx)?;
    let caller = ctx.caller();
    match msg {
        ExecuteMsg::ListMarket { asset, config, seed } => admin::list_market(&mut s, caller, asset, config, seed),
        ExecuteMsg::UpdateMarket { asset, config } => admin::update_market(&mut s, caller, asset, config),
        ExecuteMsg::SetPaused { asset, paused } => admin::set_paused(&mut s, caller, asset, paused),
        ExecuteMsg::WithdrawReserves { asset, amount, to } => {
            admin::withdraw_reserves(&mut s, caller, asset, amount, to)
        }
        ExecuteMsg::Accrue { asset } => admin::accrue(&mut s, asset),
        ExecuteMsg::Supply { asset, amount, on_behalf_of } => {
            account::supply(&mut s, caller, asset, amount, on_behalf_of.unwrap_or(caller))
        }
        ExecuteMsg::Withdraw { asset, amount, to } => {
            account::withdraw(&mut s, caller, asset, amount, to.unwrap_or(caller))
        }
        ExecuteMsg::SetCollateral { asset, enabled } => account::set_collateral(&mut s, caller, asset, enabled),
        ExecuteMsg::Borrow { asset, amount, to } => {
            account::borrow(&mut s, caller, asset, amount, to.unwrap_or(caller))
        }
        ExecuteMsg::Repay { asset, amount, on_behalf_of } => {
            account::repay(&mut s, caller, asset, amount, on_behalf_of.unwrap_or(caller))
        }
        ExecuteMsg::Liquidate { borrower, debt_asset, collateral_asset, debt_to_cover, receive_shares } => {
            liquidate::liquidate(&mut s, caller, borrower, debt_asset, collateral_asset, debt_to_cover, receive_shares)
        }
        ExecuteMsg::FlashLoan { asset, amount, receiver, data } => {
            flash_loan::flash_loan(&mut s, caller, asset, amount, receiver, data)
        }
    }?;
    LOCK.remove();
    Ok(s.response)
}

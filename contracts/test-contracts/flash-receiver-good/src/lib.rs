//! Test-only flash-loan receiver that repays: on `execute_operation` it approves the pool (its
//! caller) for `amount + premium`. It must hold enough of the asset to pay the premium.
//!
//! If `data` is non-empty it is sent to the pool as a raw execute message first (an attempt
//! to act on the pool from inside the callback, as in the Radiant exploit); the outcome is
//! recorded in a `reentry_attempt` event `{"ok", "error"}` and the loan goes on either way.
#![cfg_attr(target_arch = "wasm32", no_std)]

use serde::Serialize;
use tidepool_sdk::prelude::*;

/// `{}`.
#[msg]
#[derive(Default)]
pub struct InstantiateMsg {}

/// The pool's callback.
#[msg]
pub enum ExecuteMsg {
    /// `{"execute_operation": {"asset", "amount", "premium", "initiator", "data"}}`.
    ExecuteOperation {
        /// The token lent.
        asset: Address,
        /// Amount lent.
        amount: Uint128,
        /// Premium owed.
        premium: Uint128,
        /// Who asked for the loan.
        initiator: Address,
        /// Passed through; non-empty: a raw message to try on the pool.
        data: Binary,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum TokenMsg {
    Approve { spender: Address, amount: Uint128 },
}

#[derive(Serialize)]
struct AttemptEvent {
    ok: bool,
    error: String,
}

fn instantiate(_ctx: &Context, _msg: InstantiateMsg) -> Result<Response, ContractError> {
    Ok(Response::new())
}

fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
    let ExecuteMsg::ExecuteOperation { asset, amount, premium, data, .. } = msg;
    let pool = ctx.caller();
    let mut response = Response::new();
    if !data.0.is_empty() {
        let attempt = calls::call_raw(&pool, &data.0, 0, 0);
        let error = attempt.as_ref().err().map(|e| e.to_string()).unwrap_or_default();
        response = response.event("reentry_attempt", &AttemptEvent { ok: attempt.is_ok(), error });
    }
    let owed = amount.checked_add(premium)?;
    calls::call(&asset, &TokenMsg::Approve { spender: pool, amount: owed }, 0)?;
    Ok(response)
}

tidepool_sdk::entry_points! {
    instantiate = instantiate;
    execute = execute;
}

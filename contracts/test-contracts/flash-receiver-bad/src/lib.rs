//! Test-only flash-loan receiver that does not pay the premium: on `execute_operation` it
//! approves the pool for `amount` only, so the pool's pull of `amount + premium` fails and the
//! whole loan reverts.
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
        /// Premium owed (ignored).
        premium: Uint128,
        /// Who asked for the loan.
        initiator: Address,
        /// Ignored.
        data: Binary,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum TokenMsg {
    Approve { spender: Address, amount: Uint128 },
}

fn instantiate(_ctx: &Context, _msg: InstantiateMsg) -> Result<Response, ContractError> {
    Ok(Response::new())
}

fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
    let ExecuteMsg::ExecuteOperation { asset, amount, .. } = msg;
    calls::call(&asset, &TokenMsg::Approve { spender: ctx.caller(), amount }, 0)?;
    Ok(Response::new())
}

tidepool_sdk::entry_points! {
    instantiate = instantiate;
    execute = execute;
}

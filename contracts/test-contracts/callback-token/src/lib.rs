//! Test-only: the sample token plus a transfer hook. After `set_hook{msg}`, every transfer
//! (and `transfer_from`) calls the recipient's `execute` with `msg` (raw JSON) once the
//! balances are written — the Cream/AMP re-entry pattern. A recipient that is not a contract
//! is skipped; any other failure of the hook (e.g. the VM refusing re-entry into a pool that
//! is on the call stack) fails the transfer with the hook's error.
#![cfg_attr(target_arch = "wasm32", no_std)]

use serde::{Deserialize, Serialize};
use tidepool_sdk::prelude::*;
use token_base::Hooks;

/// `{"set_hook": {"msg": "{\"borrow\": …}"}}` (or `null` to turn it off), or any token message.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Sets the raw JSON sent to every recipient (anyone may; this is a test contract).
    SetHook {
        /// The message, or `null` for no callback.
        msg: Option<String>,
    },
    /// Any message of the plain token.
    #[serde(untagged)]
    Token(token_base::ExecuteMsg),
}

const HOOK: Item<String> = Item::new("hook");

struct CallbackHooks;

impl Hooks for CallbackHooks {
    fn after_transfer(&self, _from: &Address, to: &Address, _amount: Uint128) -> Result<(), ContractError> {
        let Some(msg) = HOOK.may_load()? else { return Ok(()) };
        match calls::call_raw(to, msg.as_bytes(), 0, 0) {
            Ok(_) => Ok(()),
            Err(e) if e.status == CallStatus::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::SetHook { msg: Some(m) } => {
            HOOK.save(&m)?;
            Ok(Response::new())
        }
        ExecuteMsg::SetHook { msg: None } => {
            HOOK.remove();
            Ok(Response::new())
        }
        ExecuteMsg::Token(m) => token_base::execute(ctx, m, &CallbackHooks),
    }
}

tidepool_sdk::entry_points! {
    instantiate = token_base::instantiate;
    execute = execute;
    query = token_base::query;
}

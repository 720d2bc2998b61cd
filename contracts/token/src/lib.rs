//! The sample fungible token of LENDING.md: balances, allowances, a minter; CW20/ERC-20 shape.
//! The logic and the message shapes live in `token-base` (shared with the test-only variants);
//! this crate only exports it.
#![cfg_attr(target_arch = "wasm32", no_std)]

use tidepool_sdk::{Context, ContractError, Response};
pub use token_base::{ExecuteMsg, InstantiateMsg, QueryMsg};

fn execute(ctx: &Context, msg: ExecuteMsg) -> Result<Response, ContractError> {
    token_base::execute(ctx, msg, &token_base::NoHooks)
}

tidepool_sdk::entry_points! {
    instantiate = token_base::instantiate;
    execute = execute;
    query = token_base::query;
}

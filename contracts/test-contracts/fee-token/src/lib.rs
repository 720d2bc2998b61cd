//! Test-only: the sample token with a fee on every transfer: the recipient gets
//! `amount − floor(amount·fee_bps/10000)` and the fee is burned. The lending pool must refuse
//! it (it checks what arrived).
#![cfg_attr(target_arch = "wasm32", no_std)]

use tidepool_sdk::prelude::*;
use token_base::Hooks;

/// `{"token": {…the token's instantiate message…}, "fee_bps": 100}`.
#[msg]
pub struct InstantiateMsg {
    /// The plain token's instantiate message.
    pub token: token_base::InstantiateMsg,
    /// Fee in basis points (at most 10000).
    pub fee_bps: u32,
}

const FEE_BPS: Item<u32> = Item::new("fee_bps");

struct FeeHooks;

impl Hooks for FeeHooks {
    fn delivered(&self, amount: Uint128) -> Result<Uint128, ContractError> {
        let fee_bps = Uint128::from(FEE_BPS.load()?);
        // amount·fee_bps cannot overflow for amounts below 2^114; wider ones pay the whole fee.
        let fee = amount.checked_mul(fee_bps).map_or(amount, |v| v / Uint128::new(10_000));
        Ok(amount - fee.min(amount))
    }
}

fn instantiate(ctx: &Context, msg: InstantiateMsg) -> Result<Response, ContractError> {
    ensure!(msg.fee_bps <= 10_000, "fee_bps must be at most 10000");
    FEE_BPS.save(&msg.fee_bps)?;
    token_base::instantiate(ctx, msg.token)
}

fn execute(ctx: &Context, msg: token_base::ExecuteMsg) -> Result<Response, ContractError> {
    token_base::execute(ctx, msg, &FeeHooks)
}

tidepool_sdk::entry_points! {
    instantiate = instantiate;
    execute = execute;
    query = token_base::query;
}

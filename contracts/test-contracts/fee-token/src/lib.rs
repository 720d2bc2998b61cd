//! Test-only: the sample token with a fee on every transfer: the recipient gets
//! `amount − floor(amount·fee_bps/10000)` and the fee is burned. The lending pool must refuse
//! it (it checks what arrived). With `"reports_delivery": false` it stands for a token that does
//! not report what it delivered, so the pool must measure its balance instead.
#![cfg_attr(target_arch = "wasm32", no_std)]

use tidepool_sdk::prelude::*;
use token_base::Hooks;

/// `{"token": {…the token's instantiate message…}, "fee_bps": 100, "reports_delivery": true}`
/// (`reports_delivery` is optional, default `true`).
#[msg]
pub struct InstantiateMsg {
    /// The plain token's instantiate message.
    pub token: token_base::InstantiateMsg,
    /// Fee in basis points (at most 10000).
    pub fee_bps: u32,
    /// Whether transfers answer what they delivered (and `token_info` says so).
    #[serde(default = "reports_by_default")]
    pub reports_delivery: bool,
}

fn reports_by_default() -> bool {
    true
}

const FEE_BPS: Item<u32> = Item::new("fee_bps");
const REPORTS_DELIVERY: Item<bool> = Item::new("reports_delivery");

struct FeeHooks;

impl Hooks for FeeHooks {
    fn delivered(&self, amount: Uint128) -> Result<Uint128, ContractError> {
        let fee_bps = Uint128::from(FEE_BPS.load()?);
        // amount·fee_bps cannot overflow for amounts below 2^114; wider ones pay the whole fee.
        let fee = amount.checked_mul(fee_bps).map_or(amount, |v| v / Uint128::new(10_000));
        Ok(amount - fee.min(amount))
    }

    fn reports_delivery(&self) -> Result<bool, ContractError> {
        // Unset where this code took over another token's storage (`set_code`): the default.
        Ok(REPORTS_DELIVERY.may_load()?.unwrap_or_else(reports_by_default))
    }
}

fn instantiate(ctx: &Context, msg: InstantiateMsg) -> Result<Response, ContractError> {
    ensure!(msg.fee_bps <= 10_000, "fee_bps must be at most 10000");
    FEE_BPS.save(&msg.fee_bps)?;
    REPORTS_DELIVERY.save(&msg.reports_delivery)?;
    token_base::instantiate(ctx, msg.token)
}

fn execute(ctx: &Context, msg: token_base::ExecuteMsg) -> Result<Response, ContractError> {
    token_base::execute(ctx, msg, &FeeHooks)
}

fn query(ctx: &Context, msg: token_base::QueryMsg) -> Result<Binary, ContractError> {
    token_base::query_with(ctx, msg, &FeeHooks)
}

tidepool_sdk::entry_points! {
    instantiate = instantiate;
    execute = execute;
    query = query;
}

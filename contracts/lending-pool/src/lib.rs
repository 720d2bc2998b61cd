//! The sample lending pool of LENDING.md: every market in one contract (Aave v3 / Mars / Blend
//! layout) with Compound-style share accounting over an internal cash counter.
//!
//! Read in this order: [`math`] (the constants; `a·b/c` rounded as asked, on the SDK's
//! `Uint128`), [`market`] (exchange rate, utilization, rate curve, accrual), [`health`],
//! [`liquidation`], [`config`] (validation) — all pure and unit-tested natively against
//! LENDING.md's vectors — then [`msg`] (the JSON interface), [`session`] (accrue-first working
//! set), `execute` and `query`.
//!
//! # Choices where LENDING.md is silent
//!
//! - **Pause** (`set_paused`, per market or pool-wide) refuses new supply, borrows, flash loans
//!   and liquidations; repay, withdraw and collateral changes stay open so users can always
//!   leave (health checks still apply).
//! - **Withdrawing supply that is not collateral** needs no health check: it backs nothing
//!   (Aave v3 does the same), so an account that is already unhealthy can still take it out,
//!   e.g. to repay. Every path that lowers collateral or adds debt is checked.
//! - **Caps** are `null` for none; the supply cap bounds `cash + TB − TR` after the deposit.
//! - **Liquidation** pays the liquidator `C − fee` in tokens (burning the borrower's shares),
//!   or with `receive_shares: true` in shares; the treasury's fee is always paid in shares.
//!   `debt_to_cover: "all"` means as much as the close factor allows.
//! - **Bad debt**: when a liquidation leaves the borrower with no collateral but some debt `d`
//!   in a market, `TB −= d`, reserves absorb `min(d, TR)`, and `deficit` grows by the rest:
//!   the part the suppliers bear.
//! - **Fee-on-transfer tokens** are refused: every pull fails unless exactly the amount
//!   arrived. A market learns what arrived from the token's `transfer_from` answer
//!   (`{"delivered"}`) if the token's `token_info` says it reports delivery, and from the pool's
//!   balance before and after otherwise; the listing's seed pull checks both.
//! - **Queries** answer with interest accrued to the current block (nothing is written).
//! - **The curve rule** is "the curve steepens at the kink" per unit of utilization
//!   (`slope1/u_opt < slope2/(1 − u_opt)`), not the literal `slope1 < slope2`, which would
//!   refuse LENDING.md's own vector V4 (Compound's JumpRate: slope1 0.18 > slope2 0.10).
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod config;
pub mod error;
mod execute;
mod external;
pub mod health;
pub mod liquidation;
pub mod market;
pub mod math;
pub mod msg;
mod query;
pub mod session;
pub mod state;

pub use msg::{ExecuteMsg, InstantiateMsg, QueryMsg};

tidepool_sdk::entry_points! {
    instantiate = execute::instantiate;
    execute = execute::execute;
    query = query::query;
}

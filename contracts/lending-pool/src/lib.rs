//! The sample lending pool of LENDING.md: every market in one contract (Aave v3 / Mars / Blend
//! layout) with Compound-style share accounting over an internal cash counter.
//!
//! Read in this order: [`math`] (256-bit `a·b/c` with explicit rounding), [`market`] (exchange
//! rate, utilization, rate curve, accrual), [`health`], [`liquidation`], [`config`]
//! (validation) — all pure and unit-tested natively against LENDING.md's vectors — then
//! [`msg`] (the JSON interface), [`session`] (accrue-first working set), `execute` and `query`.
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

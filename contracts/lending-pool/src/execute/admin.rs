//! The owner's actions (list and update markets, pause, withdraw reserves), `accrue`, and
//! instantiation.

use serde::Serialize;
use tidepool_sdk::prelude::*;

use crate::config::{MAX_DECIMALS, MIN_SEED, MarketConfig, PoolConfig};
use crate::error::{PoolError, PoolResult};
use crate::external::{self, Arrival};
use crate::market::{Market, MarketState};
use crate::msg::InstantiateMsg;
use crate::session::Session;
use crate::state::CONFIG;

#[derive(Serialize)]
struct MarketListedEvent {
    asset: Address,
    decimals: u8,
    config: MarketConfig,
    seed: Uint128,
}

#[derive(Serialize)]
struct MarketUpdatedEvent {
    asset: Address,
    config: MarketConfig,
}

#[derive(Serialize)]
struct PausedEvent {
    asset: Option<Address>,
    paused: bool,
}

#[derive(Serialize)]
struct ReservesEvent {
    asset: Address,
    to: Address,
    amount: Uint128,
}

/// LENDING.md's full-close threshold: at or below HF 0.95 a liquidation may repay the whole debt.
const DEFAULT_FULL_CLOSE_HF: Uint128 = Uint128::new(950_000_000_000_000_000);

/// `instantiate`: stores the validated pool config.
///
/// # Errors
/// [`PoolError::InvalidConfig`].
pub fn instantiate(ctx: &Context, msg: InstantiateMsg) -> PoolResult<Response> {
    let config = PoolConfig {
        owner: msg.owner.unwrap_or_else(|| ctx.caller()),
        oracle: msg.oracle,
        treasury: msg.treasury,
        close_factor_bps: msg.close_factor_bps.unwrap_or(5000),
        full_close_hf: msg.full_close_hf.unwrap_or(DEFAULT_FULL_CLOSE_HF),
        flash_premium_bps: msg.flash_premium_bps.unwrap_or(9),
        flash_protocol_share_bps: msg.flash_protocol_share_bps.unwrap_or(3000),
        max_price_age: msg.max_price_age.unwrap_or(3600),
        max_positions: msg.max_positions.unwrap_or(16),
        paused: false,
    };
    config.validate()?;
    CONFIG.save(&config)?;
    Ok(Response::new().event("pool_created", &config))
}

fn require_owner(s: &Session, caller: Address) -> PoolResult<()> {
    if caller == s.config.owner { Ok(()) } else { Err(PoolError::Unauthorized) }
}

/// `list_market`: owner; validates; pulls a seed (≥ 1000 units) whose shares the pool keeps.
pub fn list_market(
    s: &mut Session,
    caller: Address,
    asset: Address,
    config: MarketConfig,
    seed: Uint128,
) -> PoolResult<()> {
    require_owner(s, caller)?;
    config.validate()?;
    if s.market_exists(&asset)? {
        return Err(PoolError::MarketExists(asset));
    }
    if seed < MIN_SEED {
        return Err(PoolError::SeedTooSmall);
    }
    let token = external::token_info(&asset)?;
    let decimals = token.decimals;
    if decimals > MAX_DECIMALS {
        return Err(PoolError::InvalidConfig("token decimals must be at most 24"));
    }
    let mut state = MarketState::new(s.now);
    // ex starts at WAD, so the seed mints exactly `seed` shares, held by the pool forever.
    state.cash = seed;
    state.total_shares = seed;
    let arrival = if token.reports_delivery { Arrival::Reported } else { Arrival::Measured };
    s.insert_market(asset, Market { decimals, config, paused: false, arrival, state });
    let pool = s.pool;
    s.position(&pool, &asset)?.shares = seed;
    s.event("market_listed", &MarketListedEvent { asset, decimals, config, seed });
    s.commit()?;
    external::pull_seed(&asset, arrival, &caller, &pool, seed)
}

/// `update_market`: owner; accrues under the old config, then validates and replaces it.
pub fn update_market(s: &mut Session, caller: Address, asset: Address, config: MarketConfig) -> PoolResult<()> {
    require_owner(s, caller)?;
    config.validate()?;
    s.market(&asset)?.config = config;
    s.event("market_updated", &MarketUpdatedEvent { asset, config });
    s.commit()
}

/// `set_paused`: owner; one market or (without an asset) the whole pool.
pub fn set_paused(s: &mut Session, caller: Address, asset: Option<Address>, paused: bool) -> PoolResult<()> {
    require_owner(s, caller)?;
    match asset {
        Some(asset) => s.market(&asset)?.paused = paused,
        None => {
            s.config.paused = paused;
            CONFIG.save(&s.config)?;
        }
    }
    s.event("paused", &PausedEvent { asset, paused });
    s.commit()
}

/// `withdraw_reserves`: owner; amount ≤ min(TR, cash).
pub fn withdraw_reserves(
    s: &mut Session,
    caller: Address,
    asset: Address,
    amount: Uint128,
    to: Option<Address>,
) -> PoolResult<()> {
    require_owner(s, caller)?;
    if amount.is_zero() {
        return Err(PoolError::ZeroAmount);
    }
    let to = to.unwrap_or(s.config.treasury);
    let market = s.market(&asset)?;
    let (reserves, cash) = (market.state.total_reserves, market.state.cash);
    if amount > reserves.min(cash) {
        return Err(PoolError::Msg(format!("amount exceeds withdrawable reserves: {} available", reserves.min(cash))));
    }
    market.state.total_reserves = reserves.checked_sub(amount)?;
    market.state.cash = cash - amount;
    s.event("reserves_withdrawn", &ReservesEvent { asset, to, amount });
    s.commit()?;
    external::send(&asset, &to, amount)
}

/// `accrue`: anyone.
pub fn accrue(s: &mut Session, asset: Address) -> PoolResult<()> {
    s.market(&asset)?;
    s.commit()
}

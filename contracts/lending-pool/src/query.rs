//! Queries. They run the same [`Session`] as executes, so answers include interest accrued up
//! to the current block, but never commit.

use tidepool_sdk::prelude::*;

use crate::error::PoolResult;
use crate::market::{assets_for_shares, current_debt, supply_apr};
use crate::msg::{
    AccountPosition, BalanceResponse, DEFAULT_POSITIONS_PAGE, MAX_POSITIONS_PAGE, MarketResponse, PositionResponse,
    PositionsResponse, QueryMsg, RatesResponse, Valuation,
};
use crate::session::Session;
use crate::state::{CONFIG, MARKETS, POSITIONS};

/// The `query` entry point.
///
/// # Errors
/// Unknown market, zero or stale prices (for `position`), corrupt state.
pub fn query(ctx: &Context, msg: QueryMsg) -> PoolResult<Binary> {
    let mut s = Session::new(ctx)?;
    Ok(match msg {
        QueryMsg::Market { asset } => to_json_binary(&market(&mut s, asset)?)?,
        QueryMsg::Markets {} => {
            let mut all = Vec::new();
            for asset in MARKETS.keys(None, None, Order::Ascending) {
                all.push(market(&mut s, asset?)?);
            }
            to_json_binary(&all)?
        }
        QueryMsg::Rates { asset } => {
            let market = s.market(&asset)?;
            let utilization = market.state.utilization()?;
            let borrow_apr = market.borrow_apr()?;
            to_json_binary(&RatesResponse {
                utilization,
                borrow_apr,
                supply_apr: supply_apr(borrow_apr, utilization, market.config.rf)?,
            })?
        }
        QueryMsg::Position { user } => {
            let health = s.health(&user, true)?;
            let mut markets = Vec::new();
            for asset in s.user_assets(&user)? {
                markets.push(balance(&mut s, user, asset)?);
            }
            to_json_binary(&PositionResponse {
                collateral_value: health.collateral_value,
                borrow_capacity: health.borrow_capacity,
                debt_value: health.debt_value,
                health_factor: health.health_factor()?,
                markets,
            })?
        }
        QueryMsg::Balance { user, asset } => to_json_binary(&balance(&mut s, user, asset)?)?,
        QueryMsg::Config {} => to_json_binary(&CONFIG.load()?)?,
        QueryMsg::Positions { start_after, limit } => to_json_binary(&positions(&mut s, start_after, limit)?)?,
    })
}

/// A page of the accounts in [`POSITIONS`], in address order: one key range seek per account
/// (past all of the previous account's markets), so a page costs what its accounts cost.
fn positions(s: &mut Session, start_after: Option<Address>, limit: Option<u32>) -> PoolResult<PositionsResponse> {
    let limit = limit.unwrap_or(DEFAULT_POSITIONS_PAGE).clamp(1, MAX_POSITIONS_PAGE) as usize;
    // The key just past every `(user, asset)` of `user`: asset addresses are 20 bytes.
    let after = |user: Address| Bound::Exclusive((user, Address([0xff; 20])));
    let mut users = Vec::new();
    let mut cursor = start_after;
    while users.len() <= limit {
        let next = POSITIONS.keys(cursor.map(after), None, Order::Ascending).next().transpose()?;
        let Some((user, _)) = next else { break };
        users.push(user);
        cursor = Some(user);
    }
    // One more than the page was read to know whether another page follows.
    let next = if users.len() > limit {
        users.truncate(limit);
        users.last().copied()
    } else {
        None
    };
    let mut positions = Vec::with_capacity(users.len());
    for user in users {
        let mut markets = Vec::new();
        for asset in s.user_assets(&user)? {
            markets.push(balance(s, user, asset)?);
        }
        let (valuation, error) = match s.health(&user, true).and_then(|h| Ok((h, h.health_factor()?))) {
            Ok((h, health_factor)) => (
                Some(Valuation {
                    collateral_value: h.collateral_value,
                    borrow_capacity: h.borrow_capacity,
                    debt_value: h.debt_value,
                    health_factor,
                }),
                None,
            ),
            Err(e) => (None, Some(e.to_string())),
        };
        positions.push(AccountPosition { user, markets, valuation, error });
    }
    Ok(PositionsResponse { positions, next })
}

fn market(s: &mut Session, asset: Address) -> PoolResult<MarketResponse> {
    let m = s.market(&asset)?;
    Ok(MarketResponse {
        asset,
        decimals: m.decimals,
        config: m.config,
        paused: m.paused,
        arrival: m.arrival,
        state: m.state,
        exchange_rate: m.state.exchange_rate()?,
        utilization: m.state.utilization()?,
    })
}

fn balance(s: &mut Session, user: Address, asset: Address) -> PoolResult<BalanceResponse> {
    let position = *s.position(&user, &asset)?;
    let m = s.market(&asset)?;
    Ok(BalanceResponse {
        asset,
        shares: position.shares,
        supplied: assets_for_shares(position.shares, m.state.exchange_rate()?)?,
        collateral: position.collateral,
        debt: current_debt(position.principal, m.state.borrow_index, position.index_at_borrow)?,
    })
}

//! [`Session`]: the working set of one pool call. Markets are loaded once and accrued on load
//! (so every touched market is accrued before anything reads it), positions and prices are
//! cached, events collected, and [`Session::commit`] writes back only what changed, before
//! the handler moves any token.

use alloc::collections::btree_map;

use serde::Serialize;
use tidepool_sdk::prelude::*;

use crate::config::PoolConfig;
use crate::error::{PoolError, PoolResult};
use crate::external::{self, OraclePrice};
use crate::health::{Health, PositionValue};
use crate::market::{Market, assets_for_shares, current_debt};
use crate::state::{CONFIG, MARKETS, POSITIONS, Position};

/// Accrual details for the `accrue` event.
#[derive(Serialize)]
struct AccrueEvent {
    asset: Address,
    interest: Uint128,
    reserves: Uint128,
    borrow_index: Uint128,
    total_borrows: Uint128,
}

/// The working set of one call.
pub struct Session {
    /// Block time.
    pub now: u64,
    /// The pool's own address.
    pub pool: Address,
    /// The pool's configuration.
    pub config: PoolConfig,
    markets: BTreeMap<Address, (Market, Market)>,
    positions: BTreeMap<(Address, Address), (Position, Position)>,
    prices: BTreeMap<Address, Uint128>,
    /// Prices read ahead by [`Session::fetch_quotes`], not yet checked for zero or age.
    quotes: BTreeMap<Address, OraclePrice>,
    /// Events so far, emitted when the handler returns.
    pub response: Response,
}

impl Session {
    /// Starts a session for the current call.
    ///
    /// # Errors
    /// On missing or corrupt state.
    pub fn new(ctx: &Context) -> PoolResult<Self> {
        Ok(Session {
            now: ctx.block_time(),
            pool: ctx.self_address(),
            config: CONFIG.load()?,
            markets: BTreeMap::new(),
            positions: BTreeMap::new(),
            prices: BTreeMap::new(),
            quotes: BTreeMap::new(),
            response: Response::new(),
        })
    }

    /// Adds an event.
    pub fn event(&mut self, ty: &str, data: &impl Serialize) {
        self.response.events.push(Event::new(ty, data));
    }

    /// The market for `asset`, loaded and accrued to now on first use.
    ///
    /// # Errors
    /// [`PoolError::UnknownMarket`], or overflow in accrual.
    pub fn market(&mut self, asset: &Address) -> PoolResult<&mut Market> {
        if !self.markets.contains_key(asset) {
            let stored = MARKETS.may_load(asset)?.ok_or(PoolError::UnknownMarket(*asset))?;
            let mut market = stored.clone();
            let before = market.state;
            market.state.accrue(&market.config, self.now)?;
            if market.state.borrow_index != before.borrow_index {
                self.event(
                    "accrue",
                    &AccrueEvent {
                        asset: *asset,
                        interest: market.state.total_borrows - before.total_borrows,
                        reserves: market.state.total_reserves - before.total_reserves,
                        borrow_index: market.state.borrow_index,
                        total_borrows: market.state.total_borrows,
                    },
                );
            }
            self.markets.insert(*asset, (stored, market));
        }
        Ok(&mut self.markets.get_mut(asset).expect("inserted above").1)
    }

    /// Adds a market that does not exist yet (listing).
    pub fn insert_market(&mut self, asset: Address, market: Market) {
        // The "stored" copy differs from the new one, so commit writes it.
        let mut placeholder = market.clone();
        placeholder.decimals = placeholder.decimals.wrapping_add(1);
        self.markets.insert(asset, (placeholder, market));
    }

    /// The market if it exists, without error.
    ///
    /// # Errors
    /// Corrupt state or overflow.
    pub fn market_exists(&mut self, asset: &Address) -> PoolResult<bool> {
        Ok(self.markets.contains_key(asset) || MARKETS.has(asset))
    }

    /// `user`'s position in `asset` (empty if none).
    ///
    /// # Errors
    /// Corrupt state.
    pub fn position(&mut self, user: &Address, asset: &Address) -> PoolResult<&mut Position> {
        let entry = match self.positions.entry((*user, *asset)) {
            btree_map::Entry::Occupied(e) => e.into_mut(),
            btree_map::Entry::Vacant(e) => {
                let stored = POSITIONS.may_load(e.key())?.unwrap_or_default();
                e.insert((stored, stored))
            }
        };
        Ok(&mut entry.1)
    }

    /// The markets `user` has a non-empty position in, in address order.
    ///
    /// # Errors
    /// Corrupt state.
    pub fn user_assets(&mut self, user: &Address) -> PoolResult<Vec<Address>> {
        let mut assets: Vec<Address> = Vec::new();
        for asset in POSITIONS.prefix(user).keys(None, None, Order::Ascending) {
            assets.push(asset?);
        }
        for ((u, asset), (_, current)) in &self.positions {
            if u == user && !current.is_empty() && !assets.contains(asset) {
                assets.push(*asset);
            }
        }
        assets.retain(|a| self.positions.get(&(*user, *a)).is_none_or(|(_, p)| !p.is_empty()));
        assets.sort();
        Ok(assets)
    }

    /// Refuses a new position for `user` in `asset` past `max_positions`.
    ///
    /// # Errors
    /// [`PoolError::TooManyPositions`].
    pub fn ensure_slot(&mut self, user: &Address, asset: &Address) -> PoolResult<()> {
        if !self.position(user, asset)?.is_empty() {
            return Ok(());
        }
        if self.user_assets(user)?.len() >= self.config.max_positions as usize {
            return Err(PoolError::TooManyPositions);
        }
        Ok(())
    }

    /// The oracle price of `asset`, refusing zero and stale prices.
    ///
    /// # Errors
    /// [`PoolError::ZeroPrice`], [`PoolError::StalePrice`], or the oracle's failure.
    pub fn price(&mut self, asset: &Address) -> PoolResult<Uint128> {
        if let Some(p) = self.prices.get(asset) {
            return Ok(*p);
        }
        let p = match self.quotes.remove(asset) {
            Some(quote) => quote,
            None => external::price(&self.config.oracle, asset)?,
        };
        if p.price.is_zero() {
            return Err(PoolError::ZeroPrice(*asset));
        }
        if self.now.saturating_sub(p.updated_at) > self.config.max_price_age {
            return Err(PoolError::StalePrice(*asset));
        }
        self.prices.insert(*asset, p.price);
        Ok(p.price)
    }

    /// Reads the quotes of two or more `assets` in one oracle query (one instance of the oracle,
    /// not one each), for [`Session::price`] to check. Best effort: if the query fails (a
    /// missing price, an oracle without `prices`), nothing is kept, and `price` asks for each
    /// asset alone, failing as it always did.
    fn fetch_quotes(&mut self, assets: &[Address]) {
        if assets.len() < 2 {
            return;
        }
        if let Ok(quotes) = external::prices(&self.config.oracle, assets) {
            self.quotes.extend(assets.iter().copied().zip(quotes));
        }
    }

    /// `user`'s collateral (tokens, 0 when collateral is off) and debt (tokens) in `asset`.
    ///
    /// # Errors
    /// Unknown market, corrupt state or overflow.
    pub fn amounts(&mut self, user: &Address, asset: &Address) -> PoolResult<(Uint128, Uint128)> {
        let position = *self.position(user, asset)?;
        let market = self.market(asset)?;
        let collateral = if position.collateral {
            assets_for_shares(position.shares, market.state.exchange_rate()?)?
        } else {
            Uint128::ZERO
        };
        let debt = current_debt(position.principal, market.state.borrow_index, position.index_at_borrow)?;
        Ok((collateral, debt))
    }

    /// `user`'s health over every market they are in (all accrued). With `priced == false` and
    /// no debt anywhere, no price is read and the (trivially healthy) result has zero values:
    /// a user without debt never depends on the oracle.
    ///
    /// # Errors
    /// Prices, state or overflow.
    pub fn health(&mut self, user: &Address, priced: bool) -> PoolResult<Health> {
        let mut rows = Vec::new();
        for asset in self.user_assets(user)? {
            let (collateral, debt) = self.amounts(user, &asset)?;
            rows.push((asset, collateral, debt));
        }
        if !priced && rows.iter().all(|(_, _, debt)| debt.is_zero()) {
            return Ok(Health::default());
        }
        let unpriced: Vec<Address> = rows
            .iter()
            .filter(|(_, collateral, debt)| !(collateral.is_zero() && debt.is_zero()))
            .filter(|(asset, _, _)| !self.prices.contains_key(asset))
            .map(|(asset, _, _)| *asset)
            .collect();
        self.fetch_quotes(&unpriced);
        let mut values = Vec::with_capacity(rows.len());
        for (asset, collateral, debt) in rows {
            if collateral.is_zero() && debt.is_zero() {
                continue;
            }
            let price = self.price(&asset)?;
            let market = self.market(&asset)?;
            values.push(PositionValue {
                collateral,
                debt,
                price,
                decimals: market.decimals,
                ltv: market.config.ltv,
                lt: market.config.lt,
            });
        }
        Ok(Health::of(&values)?)
    }

    /// Fails unless `user` is healthy: the one check at the end of every path that lowers
    /// collateral or adds debt.
    ///
    /// # Errors
    /// [`PoolError::Unhealthy`], or a price/state failure.
    pub fn require_healthy(&mut self, user: &Address) -> PoolResult<()> {
        if self.health(user, false)?.is_healthy() { Ok(()) } else { Err(PoolError::Unhealthy) }
    }

    /// Fails if the pool or the market is paused.
    ///
    /// # Errors
    /// [`PoolError::Paused`].
    pub fn require_active(&mut self, asset: &Address) -> PoolResult<()> {
        let pool_paused = self.config.paused;
        if pool_paused || self.market(asset)?.paused {
            return Err(PoolError::Paused(*asset));
        }
        Ok(())
    }

    /// Writes every market and position that changed (removing emptied positions).
    ///
    /// # Errors
    /// Serialization failure.
    pub fn commit(&mut self) -> PoolResult<()> {
        for (asset, (stored, current)) in &mut self.markets {
            if stored != current {
                MARKETS.save(asset, current)?;
                *stored = current.clone();
            }
        }
        for (key, (stored, current)) in &mut self.positions {
            if stored != current {
                if current.is_empty() {
                    POSITIONS.remove(key);
                } else {
                    POSITIONS.save(key, current)?;
                }
                *stored = *current;
            }
        }
        Ok(())
    }
}

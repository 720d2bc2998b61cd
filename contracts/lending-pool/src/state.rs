//! The pool's storage layout.

use serde::{Deserialize, Serialize};
use tidepool_sdk::prelude::*;

use crate::config::PoolConfig;
use crate::market::Market;

/// The pool's configuration.
pub const CONFIG: Item<PoolConfig> = Item::new("config");
/// Set while an execute runs: the pool-wide lock.
pub const LOCK: Item<bool> = Item::new("lock");
/// Markets by asset.
pub const MARKETS: Map<Address, Market> = Map::new("market");
/// Positions by `(user, asset)`. The pool's own address holds the locked seed shares.
pub const POSITIONS: Map<(Address, Address), Position> = Map::new("position");

/// One account in one market.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// Supply shares.
    pub shares: Uint128,
    /// Whether the supply counts as collateral.
    pub collateral: bool,
    /// Debt at the last borrow or repay.
    pub principal: Uint128,
    /// The borrow index then.
    pub index_at_borrow: Uint128,
}

impl Position {
    /// No shares and no debt: the entry can be deleted.
    pub fn is_empty(&self) -> bool {
        self.shares.is_zero() && self.principal.is_zero()
    }
}

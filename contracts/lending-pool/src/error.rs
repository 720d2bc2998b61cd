//! The pool's errors. Each becomes the abort message a user sees in the receipt.

use core::fmt;

use tidepool_sdk::prelude::*;

/// Everything that can make a pool call fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// An SDK failure: storage, serialization, a failed token/oracle call.
    Sdk(ContractError),
    /// Overflow or division by zero in the fixed-point math.
    Math,
    /// The caller is not allowed.
    Unauthorized,
    /// The pool is already executing (re-entry through a callback).
    Locked,
    /// A configuration breaks a rule.
    InvalidConfig(&'static str),
    /// No market for the asset.
    UnknownMarket(Address),
    /// The asset already has a market.
    MarketExists(Address),
    /// The market (or the pool) is paused.
    Paused(Address),
    /// A zero amount where a positive one is needed.
    ZeroAmount,
    /// A deposit too small to mint a share.
    ZeroShares,
    /// The market holds less cash than asked for.
    InsufficientCash {
        /// Cash available.
        available: Uint128,
    },
    /// The user holds fewer shares or tokens than asked for.
    InsufficientBalance,
    /// The action would leave the account unhealthy.
    Unhealthy,
    /// A supply or borrow cap would be exceeded.
    CapExceeded(&'static str),
    /// The user is already in `max_positions` markets.
    TooManyPositions,
    /// The oracle's price is zero.
    ZeroPrice(Address),
    /// The oracle's price is older than `max_price_age`.
    StalePrice(Address),
    /// The token delivered a different amount than was transferred (fee-on-transfer).
    UnsupportedToken {
        /// Amount asked for.
        expected: Uint128,
        /// Amount that arrived.
        received: Uint128,
    },
    /// Liquidation refused.
    NotLiquidatable(&'static str),
    /// A seed below the minimum.
    SeedTooSmall,
    /// Any other failure.
    Msg(String),
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sdk(e) => write!(f, "{e}"),
            Self::Math => f.write_str("arithmetic overflow"),
            Self::Unauthorized => f.write_str("unauthorized: only the owner can do this"),
            Self::Locked => f.write_str("the pool is locked: re-entrant call refused"),
            Self::InvalidConfig(rule) => write!(f, "invalid config: {rule}"),
            Self::UnknownMarket(a) => write!(f, "no market for asset {a}"),
            Self::MarketExists(a) => write!(f, "a market for asset {a} already exists"),
            Self::Paused(a) => write!(f, "market {a} is paused"),
            Self::ZeroAmount => f.write_str("amount must be positive"),
            Self::ZeroShares => f.write_str("deposit too small: it would mint 0 shares"),
            Self::InsufficientCash { available } => write!(f, "not enough cash in the market: {available} available"),
            Self::InsufficientBalance => f.write_str("insufficient supplied balance"),
            Self::Unhealthy => f.write_str("the account would be unhealthy (borrow capacity below debt)"),
            Self::CapExceeded(which) => write!(f, "{which} cap exceeded"),
            Self::TooManyPositions => f.write_str("too many positions: max_positions reached"),
            Self::ZeroPrice(a) => write!(f, "zero price for asset {a}"),
            Self::StalePrice(a) => write!(f, "stale price for asset {a}"),
            Self::UnsupportedToken { expected, received } => {
                write!(f, "unsupported token: {received} arrived of {expected} sent (fee-on-transfer?)")
            }
            Self::NotLiquidatable(why) => write!(f, "cannot liquidate: {why}"),
            Self::SeedTooSmall => f.write_str("seed must be at least 1000 units"),
            Self::Msg(m) => f.write_str(m),
        }
    }
}

impl From<ContractError> for PoolError {
    fn from(e: ContractError) -> Self {
        Self::Sdk(e)
    }
}

impl From<OverflowError> for PoolError {
    fn from(_: OverflowError) -> Self {
        Self::Math
    }
}

/// The pool's result type.
pub type PoolResult<T> = Result<T, PoolError>;

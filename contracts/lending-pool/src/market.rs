//! One market's state and its formulas (LENDING.md "Formulas"): exchange rate, utilization, the
//! kinked rate curve, interest accrual, share and debt conversions, the flash-loan premium.
//! Pure: no host calls, so every vector is unit-tested natively.

use serde::{Deserialize, Serialize};
use tidepool_sdk::prelude::*;

use crate::config::{InterestModel, MarketConfig};
use crate::external::Arrival;
use crate::math::{BPS, SECONDS_PER_YEAR, WAD};

/// A market's balances and indexes. Every amount is in the asset's base units.
#[msg]
#[derive(Copy, Eq)]
pub struct MarketState {
    /// Tokens the pool holds for this market (internal: donations do not count).
    pub cash: Uint128,
    /// Total borrows, interest included (TB).
    pub total_borrows: Uint128,
    /// The protocol's reserves (TR), part of `cash + TB`.
    pub total_reserves: Uint128,
    /// Supply shares outstanding, the locked seed shares included.
    pub total_shares: Uint128,
    /// Grows with interest; debts scale by `index / index_at_borrow`. Starts at WAD.
    pub borrow_index: Uint128,
    /// Block time of the last accrual.
    pub last_accrual: u64,
    /// Bad debt written off that reserves could not absorb (borne by suppliers).
    pub deficit: Uint128,
}

impl MarketState {
    /// A fresh market at `now`.
    pub fn new(now: u64) -> Self {
        MarketState {
            cash: Uint128::ZERO,
            total_borrows: Uint128::ZERO,
            total_reserves: Uint128::ZERO,
            total_shares: Uint128::ZERO,
            borrow_index: WAD,
            last_accrual: now,
            deficit: Uint128::ZERO,
        }
    }

    /// `cash + TB − TR`: what the suppliers own.
    ///
    /// # Errors
    /// If reserves exceed `cash + TB` (a broken invariant).
    pub fn supplier_assets(&self) -> Result<Uint128, OverflowError> {
        self.cash.checked_add(self.total_borrows)?.checked_sub(self.total_reserves)
    }

    /// `ex = total_shares == 0 ? WAD : floor((cash + TB − TR)·WAD / total_shares)`.
    ///
    /// # Errors
    /// On a broken invariant or overflow.
    pub fn exchange_rate(&self) -> Result<Uint128, OverflowError> {
        if self.total_shares.is_zero() {
            return Ok(WAD);
        }
        self.supplier_assets()?.checked_mul_div_floor(WAD, self.total_shares)
    }

    /// `U = TB == 0 ? 0 : min(WAD, floor(TB·WAD / (cash + TB − TR)))`.
    ///
    /// # Errors
    /// On a broken invariant or overflow.
    pub fn utilization(&self) -> Result<Uint128, OverflowError> {
        if self.total_borrows.is_zero() {
            return Ok(Uint128::ZERO);
        }
        let assets = self.supplier_assets()?;
        if assets.is_zero() {
            return Ok(WAD);
        }
        Ok(self.total_borrows.checked_mul_div_floor(WAD, assets)?.min(WAD))
    }

    /// Accrues interest up to `now` (LENDING.md "accrue"): the APR comes from the state before
    /// accrual; `I = floor(f·TB/WAD)`, `TR += floor(I·rf/BPS)`, `index += floor(f·index/WAD)`.
    /// Nothing changes when `now ≤ last_accrual`.
    ///
    /// # Errors
    /// Overflow.
    pub fn accrue(&mut self, config: &MarketConfig, now: u64) -> Result<(), OverflowError> {
        if now <= self.last_accrual {
            return Ok(());
        }
        let dt = Uint128::from(now - self.last_accrual);
        let apr = borrow_apr(&config.interest, self.utilization()?)?;
        let f = (apr / SECONDS_PER_YEAR).checked_mul(dt)?;
        let interest = f.checked_mul_div_floor(self.total_borrows, WAD)?;
        let reserves = interest.checked_mul_div_floor(config.rf, BPS)?;
        self.total_borrows = self.total_borrows.checked_add(interest)?;
        self.total_reserves = self.total_reserves.checked_add(reserves)?;
        self.borrow_index = self.borrow_index.checked_add(f.checked_mul_div_floor(self.borrow_index, WAD)?)?;
        self.last_accrual = now;
        Ok(())
    }
}

/// A market as stored: the asset's decimals, its configuration and its state.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Market {
    /// The token's decimals (read from the token at listing).
    pub decimals: u8,
    /// Risk parameters, caps and curve.
    pub config: MarketConfig,
    /// Whether new supply, borrows, flash loans and liquidations are refused.
    pub paused: bool,
    /// How a pull learns what arrived (absent in markets listed before there was a choice).
    #[serde(default)]
    pub arrival: Arrival,
    /// Balances and indexes.
    pub state: MarketState,
}

impl Market {
    /// The current borrow APR (WAD).
    ///
    /// # Errors
    /// Overflow.
    pub fn borrow_apr(&self) -> Result<Uint128, OverflowError> {
        borrow_apr(&self.config.interest, self.state.utilization()?)
    }
}

/// `apr = U ≤ u_opt ? base + slope1·U/u_opt : base + slope1 + slope2·(U − u_opt)/(WAD − u_opt)`,
/// floored.
///
/// # Errors
/// Overflow (a config that validation would reject).
pub fn borrow_apr(m: &InterestModel, u: Uint128) -> Result<Uint128, OverflowError> {
    if u <= m.u_opt {
        m.base.checked_add(m.slope1.checked_mul_div_floor(u, m.u_opt)?)
    } else {
        m.base.checked_add(m.slope1)?.checked_add(m.slope2.checked_mul_div_floor(u - m.u_opt, WAD - m.u_opt)?)
    }
}

/// `supply_apr = apr·U·(1 − rf)`, each step floored.
///
/// # Errors
/// Overflow.
pub fn supply_apr(apr: Uint128, u: Uint128, rf: u32) -> Result<Uint128, OverflowError> {
    apr.checked_mul_div_floor(u, WAD)?.checked_mul_div_floor(BPS - Uint128::from(rf).min(BPS), BPS)
}

/// Shares minted for a deposit: `floor(amount·WAD/ex)`.
///
/// # Errors
/// Overflow or a zero rate.
pub fn shares_for_deposit(amount: Uint128, ex: Uint128) -> Result<Uint128, OverflowError> {
    amount.checked_mul_div_floor(WAD, ex)
}

/// Shares burned to withdraw an exact amount: `ceil(amount·WAD/ex)`.
///
/// # Errors
/// Overflow or a zero rate.
pub fn shares_for_withdrawal(amount: Uint128, ex: Uint128) -> Result<Uint128, OverflowError> {
    amount.checked_mul_div_ceil(WAD, ex)
}

/// Tokens that shares are worth: `floor(shares·ex/WAD)`.
///
/// # Errors
/// Overflow.
pub fn assets_for_shares(shares: Uint128, ex: Uint128) -> Result<Uint128, OverflowError> {
    shares.checked_mul_div_floor(ex, WAD)
}

/// A debt now: `ceil(principal·index/index_at_borrow)`.
///
/// # Errors
/// Overflow or a zero `index_at_borrow`.
pub fn current_debt(principal: Uint128, index: Uint128, index_at_borrow: Uint128) -> Result<Uint128, OverflowError> {
    if principal.is_zero() {
        return Ok(Uint128::ZERO);
    }
    principal.checked_mul_div_ceil(index, index_at_borrow)
}

/// A flash loan's premium and how it splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashPremium {
    /// `ceil(amount·premium_bps/BPS)`.
    pub premium: Uint128,
    /// `floor(premium·share_bps/BPS)`, added to reserves.
    pub to_reserves: Uint128,
}

/// The premium on a flash loan of `amount`.
///
/// # Errors
/// Overflow.
pub fn flash_premium(amount: Uint128, premium_bps: u32, share_bps: u32) -> Result<FlashPremium, OverflowError> {
    let premium = amount.checked_mul_div_ceil(premium_bps, BPS)?;
    let to_reserves = premium.checked_mul_div_floor(share_bps, BPS)?;
    Ok(FlashPremium { premium, to_reserves })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::weth_like;

    const E18: u128 = WAD.u128();

    fn state(cash: u128, tb: u128, tr: u128, shares: u128) -> MarketState {
        MarketState {
            cash: Uint128(cash),
            total_borrows: Uint128(tb),
            total_reserves: Uint128(tr),
            total_shares: Uint128(shares),
            ..MarketState::new(0)
        }
    }

    fn pct(p: u128, decimals: u32) -> Uint128 {
        // p / 10^decimals percent, in WAD.
        Uint128(p * E18 / 100 / 10u128.pow(decimals))
    }

    #[test]
    fn v1_exchange_rate() {
        let s = state(500 * E18, 500 * E18, 5 * E18, 500 * E18);
        assert_eq!(s.exchange_rate().unwrap(), 1_990_000_000_000_000_000);
        assert_eq!(state(0, 0, 0, 0).exchange_rate().unwrap(), WAD);
    }

    #[test]
    fn v2_accrual() {
        // r_sec = 1e12 exactly: an APR of 1e12 · SECONDS_PER_YEAR with the kink at 100 %.
        let mut config = weth_like();
        config.rf = 1000;
        config.interest = InterestModel {
            base: Uint128(1_000_000_000_000) * SECONDS_PER_YEAR,
            slope1: Uint128(0),
            slope2: Uint128(1),
            u_opt: WAD,
        };
        let mut s = state(10_000 * E18, 10_000 * E18, 100 * E18, 10_000 * E18);
        s.last_accrual = 100;
        s.accrue(&config, 101).unwrap();
        assert_eq!(s.total_borrows, 10_000_010_000_000_000_000_000); // 10000.01e18
        assert_eq!(s.total_reserves, 100_001_000_000_000_000_000); // 100.001e18
        assert_eq!(s.borrow_index, 1_000_001_000_000_000_000); // 1.000001e18
        assert_eq!(s.last_accrual, 101);
        // Accruing again in the same block changes nothing (invariant 5).
        let before = s;
        s.accrue(&config, 101).unwrap();
        assert_eq!(s, before);
    }

    #[test]
    fn v3_debt_from_index() {
        let e18 = |n: u128| Uint128(n * E18);
        assert_eq!(current_debt(e18(5), e18(3), e18(1)).unwrap(), 15 * E18);
        assert_eq!(current_debt(Uint128::ZERO, e18(3), e18(1)).unwrap(), 0);
    }

    #[test]
    fn v4_kinked_curve() {
        let m = InterestModel { base: pct(10, 0), slope1: pct(18, 0), slope2: pct(10, 0), u_opt: pct(90, 0) };
        for (u, apr) in [
            (0, pct(10, 0)),
            (10, pct(12, 0)),
            (89, pct(278, 1)),
            (90, pct(28, 0)),
            (91, pct(29, 0)),
            (100, pct(38, 0)),
        ] {
            assert_eq!(borrow_apr(&m, pct(u, 0)).unwrap(), apr, "U = {u} %");
        }
    }

    #[test]
    fn v5_aave_strategy() {
        let m = InterestModel { base: Uint128(0), slope1: pct(4, 0), slope2: pct(75, 0), u_opt: pct(80, 0) };
        for (u, borrow, supply) in
            [(0, pct(0, 0), pct(0, 0)), (80, pct(4, 0), pct(288, 2)), (100, pct(79, 0), pct(711, 1))]
        {
            let apr = borrow_apr(&m, pct(u, 0)).unwrap();
            assert_eq!(apr, borrow, "borrow APR at U = {u} %");
            assert_eq!(supply_apr(apr, pct(u, 0), 1000).unwrap(), supply, "supply APR at U = {u} %");
        }
    }

    #[test]
    fn v6_flash_premium() {
        let split = flash_premium(Uint128(800_000_000_000_000_000), 9, 3000).unwrap();
        assert_eq!(split.premium, 720_000_000_000_000);
        assert_eq!(split.to_reserves, 216_000_000_000_000);
        assert_eq!(split.premium - split.to_reserves, 504_000_000_000_000);
        let mut s = state(E18, 0, 0, E18);
        s.cash += split.premium;
        s.total_reserves = split.to_reserves;
        assert_eq!(s.exchange_rate().unwrap(), 1_000_504_000_000_000_000);
    }

    #[test]
    fn v7_shares_round_in_the_pools_favour() {
        // Index 3 at scale 1e6 is an exchange rate of 3e12 at scale 1e18.
        let ex = Uint128(3 * E18 / 1_000_000);
        let amount = Uint128(100_000_000_000);
        let minted = shares_for_deposit(amount, ex).unwrap();
        let burned = shares_for_withdrawal(amount, ex).unwrap();
        assert_eq!(minted, 33_333_333_333_333_333);
        assert_eq!(burned, 33_333_333_333_333_334);
        assert_eq!(assets_for_shares(minted, ex).unwrap(), 99_999_999_999);
        assert_eq!(burned.checked_mul_div_ceil(ex, WAD).unwrap(), 100_000_000_001);
    }

    #[test]
    fn utilization_bounds() {
        assert_eq!(state(100, 0, 0, 100).utilization().unwrap(), 0);
        assert_eq!(state(0, 100, 0, 100).utilization().unwrap(), WAD);
        assert_eq!(state(50, 50, 0, 100).utilization().unwrap(), WAD / Uint128(2));
        // Reserves larger than cash: U is capped at 100 %.
        assert_eq!(state(0, 100, 100, 100).utilization().unwrap(), WAD);
    }

    #[test]
    fn accrual_with_no_borrows_moves_only_the_clock() {
        let mut s = state(1000, 0, 0, 1000);
        s.accrue(&weth_like(), 1_000_000).unwrap();
        assert_eq!((s.total_borrows, s.borrow_index, s.last_accrual), (Uint128::ZERO, WAD, 1_000_000));
    }
}

//! The pool's and the markets' configuration, and the validation rules of LENDING.md. Pure.

use tidepool_sdk::prelude::*;

use crate::error::PoolError;
use crate::math::{BPS, WAD};

/// Largest token `decimals` a market accepts: keeps every price × amount × 10^decimals
/// intermediate inside 256 bits.
pub const MAX_DECIMALS: u8 = 24;
/// The curve rule's message.
const STEEPEN: &str = "the curve must steepen at the kink: slope1/u_opt < slope2/(1 − u_opt)";
/// Smallest seed deposit of a new market (LENDING.md: ≥ 1000 units).
pub const MIN_SEED: Uint128 = Uint128::new(1000);
/// The largest APR a curve may reach, 1000e18 (100 000 %): far from overflow in accrual
/// (`f·TB`, `f·index`).
const MAX_APR: Uint128 = Uint128::new(1000 * WAD.u128());

/// The kinked interest-rate curve, every field in WAD (`"70000000000000000"` = 7 %).
#[msg]
#[derive(Copy, Eq)]
pub struct InterestModel {
    /// APR at zero utilization.
    pub base: Uint128,
    /// APR added from 0 to `u_opt`.
    pub slope1: Uint128,
    /// APR added from `u_opt` to 100 %.
    pub slope2: Uint128,
    /// The kink.
    pub u_opt: Uint128,
}

/// A market's risk parameters (basis points), caps (base units; `null` = none) and curve.
#[msg]
#[derive(Copy, Eq)]
pub struct MarketConfig {
    /// Loan-to-value: how much of the collateral's value can be borrowed.
    pub ltv: u32,
    /// Liquidation threshold: the health factor's weight.
    pub lt: u32,
    /// Liquidation bonus (> 10000: 10500 = 5 % bonus).
    pub lb: u32,
    /// Protocol's share of the liquidation bonus.
    pub liq_fee: u32,
    /// Reserve factor: the protocol's share of interest.
    pub rf: u32,
    /// Most underlying a market may hold for suppliers (`cash + TB − TR`).
    #[serde(default)]
    pub supply_cap: Option<Uint128>,
    /// Most that may be borrowed (`TB`).
    #[serde(default)]
    pub borrow_cap: Option<Uint128>,
    /// The interest-rate curve.
    pub interest: InterestModel,
}

impl MarketConfig {
    /// Checks LENDING.md's rules: `ltv ≤ lt < 10000`, `lb > 10000`, `lt·lb/10000 ≤ 10000`,
    /// `liq_fee ≤ 10000`, `rf < 10000`, `0 < u_opt ≤ WAD`, and a curve that steepens at the kink
    /// (`slope1/u_opt < slope2/(1 − u_opt)`; LENDING.md's `slope1 < slope2`, generalised so that
    /// its vector V4 is a valid curve).
    ///
    /// # Errors
    /// [`PoolError::InvalidConfig`] naming the broken rule.
    pub fn validate(&self) -> Result<(), PoolError> {
        let (ltv, lt, lb) = (Uint128::from(self.ltv), Uint128::from(self.lt), Uint128::from(self.lb));
        let m = &self.interest;
        let rules: [(bool, &'static str); 7] = [
            (ltv <= lt, "ltv must not exceed lt"),
            (lt < BPS, "lt must be below 10000"),
            (lb > BPS, "lb must be above 10000"),
            (lt * lb / BPS <= BPS, "lt·lb/10000 must not exceed 10000"),
            (Uint128::from(self.liq_fee) <= BPS, "liq_fee must not exceed 10000"),
            (Uint128::from(self.rf) < BPS, "rf must be below 10000"),
            (!m.u_opt.is_zero() && m.u_opt <= WAD, "u_opt must be in (0, 1e18]"),
        ];
        for (ok, rule) in rules {
            if !ok {
                return Err(PoolError::InvalidConfig(rule));
            }
        }
        // LENDING.md writes this rule as `slope1 < slope2`, but its own vector V4 (Compound's
        // JumpRate: slope1 0.18, slope2 0.10, u_opt 0.9) breaks that literal form while being
        // a perfectly good kinked curve: 0.2 per unit of utilization below the kink, 1.0 above.
        // What the rule is for is that the curve steepens at the kink, so that is what is
        // checked, per unit of utilization: slope1/u_opt < slope2/(1 − u_opt). Every curve
        // LENDING.md lists passes; a flat or flattening curve is still refused.
        if Uint256::mul(m.slope1, WAD - m.u_opt) >= Uint256::mul(m.slope2, m.u_opt) {
            return Err(PoolError::InvalidConfig(STEEPEN));
        }
        if m.base.saturating_add(m.slope1).saturating_add(m.slope2) > MAX_APR {
            return Err(PoolError::InvalidConfig("base + slope1 + slope2 must not exceed 1000e18 (100000 % APR)"));
        }
        Ok(())
    }
}

/// The pool's configuration.
#[msg]
#[derive(Eq)]
pub struct PoolConfig {
    /// Lists markets, changes configs, pauses, withdraws reserves.
    pub owner: Address,
    /// The price oracle.
    pub oracle: Address,
    /// Receives liquidation fees (as shares) and withdrawn reserves by default.
    pub treasury: Address,
    /// Share of a debt that one liquidation may repay while HF > `full_close_hf`.
    pub close_factor_bps: u32,
    /// At or below this health factor (WAD) a liquidation may repay the whole debt.
    pub full_close_hf: Uint128,
    /// Flash-loan premium.
    pub flash_premium_bps: u32,
    /// Share of the flash-loan premium that goes to reserves (the rest to suppliers).
    pub flash_protocol_share_bps: u32,
    /// Oldest accepted price, in seconds.
    pub max_price_age: u64,
    /// Most markets one user may have a position in.
    pub max_positions: u32,
    /// Whether the whole pool is paused (see `set_paused`).
    pub paused: bool,
}

impl PoolConfig {
    /// Checks the pool-wide parameters.
    ///
    /// # Errors
    /// [`PoolError::InvalidConfig`] naming the broken rule.
    pub fn validate(&self) -> Result<(), PoolError> {
        let rules: [(bool, &'static str); 6] = [
            (
                self.close_factor_bps > 0 && Uint128::from(self.close_factor_bps) <= BPS,
                "close_factor_bps must be in (0, 10000]",
            ),
            (self.full_close_hf <= WAD, "full_close_hf must not exceed 1e18"),
            (Uint128::from(self.flash_premium_bps) <= BPS, "flash_premium_bps must not exceed 10000"),
            (Uint128::from(self.flash_protocol_share_bps) <= BPS, "flash_protocol_share_bps must not exceed 10000"),
            (self.max_price_age > 0, "max_price_age must be positive"),
            (self.max_positions > 0 && self.max_positions <= 64, "max_positions must be in [1, 64]"),
        ];
        for (ok, rule) in rules {
            if !ok {
                return Err(PoolError::InvalidConfig(rule));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// WETH-like defaults of LENDING.md.
    pub fn weth_like() -> MarketConfig {
        MarketConfig {
            ltv: 8000,
            lt: 8250,
            lb: 10500,
            liq_fee: 1000,
            rf: 1000,
            supply_cap: None,
            borrow_cap: None,
            interest: InterestModel {
                base: Uint128(0),
                slope1: Uint128(70_000_000_000_000_000),
                slope2: Uint128(3) * WAD,
                u_opt: Uint128(450_000_000_000_000_000),
            },
        }
    }

    #[test]
    fn defaults_are_valid() {
        weth_like().validate().unwrap();
        let mut usdc = weth_like();
        usdc.lt = 8500;
        usdc.interest = InterestModel {
            base: Uint128(0),
            slope1: Uint128(40_000_000_000_000_000),
            slope2: Uint128(600_000_000_000_000_000),
            u_opt: Uint128(900_000_000_000_000_000),
        };
        usdc.validate().unwrap();
    }

    #[test]
    fn the_vector_curves_are_valid_and_a_flattening_one_is_not() {
        let mut c = weth_like();
        let pct = |p: u128| Uint128(p) * WAD / Uint128(100);
        // V4 (Compound JumpRate): slope1 > slope2, yet 0.18/0.9 < 0.10/0.1.
        c.interest = InterestModel { base: pct(10), slope1: pct(18), slope2: pct(10), u_opt: pct(90) };
        c.validate().unwrap();
        // V5 (Aave).
        c.interest = InterestModel { base: pct(0), slope1: pct(4), slope2: pct(75), u_opt: pct(80) };
        c.validate().unwrap();
        // Exactly as steep on both sides, and flatter above the kink: refused.
        c.interest = InterestModel { base: pct(0), slope1: pct(9), slope2: pct(1), u_opt: pct(90) };
        assert_eq!(c.validate(), Err(PoolError::InvalidConfig(STEEPEN)));
        c.interest.slope1 = pct(10);
        assert_eq!(c.validate(), Err(PoolError::InvalidConfig(STEEPEN)));
    }

    #[test]
    fn each_rule_rejects() {
        type Case = (fn(&mut MarketConfig), &'static str);
        let cases: [Case; 8] = [
            (|c| c.ltv = 8300, "ltv must not exceed lt"),
            (|c| c.lt = 10000, "lt must be below 10000"),
            (|c| c.lb = 10000, "lb must be above 10000"),
            (|c| c.lb = 12500, "lt·lb/10000 must not exceed 10000"),
            (|c| c.rf = 10000, "rf must be below 10000"),
            (|c| c.interest.u_opt = Uint128(0), "u_opt must be in (0, 1e18]"),
            (|c| c.interest.u_opt = WAD + Uint128::ONE, "u_opt must be in (0, 1e18]"),
            (|c| c.interest.slope2 = c.interest.slope1, STEEPEN),
        ];
        for (mutate, rule) in cases {
            let mut c = weth_like();
            mutate(&mut c);
            assert_eq!(c.validate(), Err(PoolError::InvalidConfig(rule)));
        }
    }
}

//! How much a liquidation repays and seizes (LENDING.md "Liquidation", Aave v3 rules). Pure.

use tidepool_sdk::{OverflowError, Uint128};

use crate::math::{BPS, Rounding, mul3_div2, pow10};

/// The inputs of one liquidation, already accrued and priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationInput {
    /// The borrower's health factor (WAD); must be below WAD.
    pub health_factor: Uint128,
    /// At or below this HF the whole debt may be repaid.
    pub full_close_hf: Uint128,
    /// Share of the debt repayable above `full_close_hf`, bps.
    pub close_factor_bps: u32,
    /// The borrower's debt in the debt asset (tokens).
    pub debt: Uint128,
    /// What the liquidator offers to repay.
    pub debt_to_cover: Uint128,
    /// The borrower's collateral in the collateral asset (tokens).
    pub collateral: Uint128,
    /// Debt asset price (USD × 10^8 per whole token) and decimals.
    pub debt_price: Uint128,
    /// Debt asset decimals.
    pub debt_decimals: u8,
    /// Collateral asset price and decimals.
    pub collateral_price: Uint128,
    /// Collateral asset decimals.
    pub collateral_decimals: u8,
    /// The collateral market's liquidation bonus, bps (> 10000).
    pub lb: u32,
    /// The collateral market's protocol fee on the bonus, bps.
    pub liq_fee: u32,
}

/// The outcome: what the liquidator pays and what the collateral side moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationAmounts {
    /// Debt tokens the liquidator pays (and the borrower's debt falls by).
    pub repay: Uint128,
    /// Collateral tokens the borrower loses (C).
    pub seized: Uint128,
    /// The protocol's part of `seized` (to the treasury).
    pub fee: Uint128,
}

impl LiquidationAmounts {
    /// Collateral tokens the liquidator receives: `C − fee`.
    pub fn to_liquidator(&self) -> Uint128 {
        self.seized - self.fee
    }
}

/// Computes the liquidation:
///
/// ```text
/// cf = HF ≤ full_close_hf ? BPS : close_factor_bps
/// x  = min(debt_to_cover, floor(debt·cf/BPS))
/// base = floor(pD·x·10^decC / (pC·10^decD));  maxC = floor(base·lb/BPS)
/// if maxC > collateral: C = collateral; need = ceil(floor(pC·C·10^decD/(pD·10^decC))·BPS/lb)
/// else:                 C = maxC;       need = x
/// bonus = C − floor(C·BPS/lb); fee = ceil(bonus·liq_fee/BPS)
/// ```
///
/// # Errors
/// Overflow or a zero price.
pub fn liquidation_amounts(i: &LiquidationInput) -> Result<LiquidationAmounts, OverflowError> {
    let cf = if i.health_factor <= i.full_close_hf { BPS } else { Uint128::from(i.close_factor_bps) };
    let x = i.debt_to_cover.min(i.debt.checked_mul_div_floor(cf, BPS)?);
    let (dec_c, dec_d) = (pow10(i.collateral_decimals)?, pow10(i.debt_decimals)?);
    let lb = Uint128::from(i.lb);
    let base = mul3_div2(i.debt_price, x, dec_c, i.collateral_price, dec_d, Rounding::Floor)?;
    let max_c = base.checked_mul_div_floor(lb, BPS)?;
    let (seized, repay) = if max_c > i.collateral {
        let c = i.collateral;
        let debt_worth = mul3_div2(i.collateral_price, c, dec_d, i.debt_price, dec_c, Rounding::Floor)?;
        (c, debt_worth.checked_mul_div_ceil(BPS, lb)?)
    } else {
        (max_c, x)
    };
    let bonus = seized.checked_sub(seized.checked_mul_div_floor(BPS, lb)?)?;
    let fee = bonus.checked_mul_div_ceil(i.liq_fee, BPS)?;
    Ok(LiquidationAmounts { repay, seized, fee })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::WAD;

    const E18: u128 = WAD.u128();
    const USD: u128 = 100_000_000;

    /// A WETH-collateral, USDC-debt borrower.
    fn input(hf: u128, debt: u128, debt_to_cover: u128, collateral: u128) -> LiquidationInput {
        LiquidationInput {
            health_factor: Uint128(hf),
            full_close_hf: Uint128(950_000_000_000_000_000),
            close_factor_bps: 5000,
            debt: Uint128(debt),
            debt_to_cover: Uint128(debt_to_cover),
            collateral: Uint128(collateral),
            debt_price: Uint128(USD),
            debt_decimals: 6,
            collateral_price: Uint128(2000 * USD),
            collateral_decimals: 18,
            lb: 10500,
            liq_fee: 1000,
        }
    }

    #[test]
    fn close_factor_caps_above_full_close_threshold() {
        // HF 0.97: at most half of 10000 USDC; 5000 USDC buys 2.5 WETH + 5 % = 2.625 WETH.
        let a = liquidation_amounts(&input(970_000_000_000_000_000, 10_000_000_000, u128::MAX, 100 * E18)).unwrap();
        assert_eq!(a.repay, 5_000_000_000);
        assert_eq!(a.seized, 2_625_000_000_000_000_000);
        // bonus = 2.625 − floor(2.625/1.05) = 0.125 WETH; fee = 10 % of it.
        assert_eq!(a.fee, 12_500_000_000_000_000);
        assert_eq!(a.to_liquidator(), 2_612_500_000_000_000_000);
    }

    #[test]
    fn full_close_at_or_below_threshold() {
        let a = liquidation_amounts(&input(950_000_000_000_000_000, 10_000_000_000, u128::MAX, 100 * E18)).unwrap();
        assert_eq!(a.repay, 10_000_000_000);
        assert_eq!(a.seized, 5_250_000_000_000_000_000);
    }

    #[test]
    fn offer_below_the_cap_is_used_as_is() {
        let a = liquidation_amounts(&input(970_000_000_000_000_000, 10_000_000_000, 1_000_000_000, 100 * E18)).unwrap();
        assert_eq!(a.repay, 1_000_000_000);
        assert_eq!(a.seized, 525_000_000_000_000_000);
    }

    #[test]
    fn collateral_cap_lowers_the_repayment() {
        // Only 1 WETH left: C = 1 WETH; need = ceil(floor(2000 USDC)·BPS/lb) = 1904.761905 USDC.
        let a = liquidation_amounts(&input(900_000_000_000_000_000, 10_000_000_000, u128::MAX, E18)).unwrap();
        assert_eq!(a.seized, E18);
        assert_eq!(a.repay, 1_904_761_905);
        // The liquidator's bonus never beats lb: repay·lb/BPS ≥ value seized (up to a unit).
        assert!(a.repay * Uint128(10_500) / BPS >= 1_999_999_999);
    }
}

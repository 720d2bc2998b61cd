//! An account's collateral, borrowing capacity, debt and health factor, from its positions
//! with their prices (LENDING.md "Formulas"). Values are USD × 10^8. Pure.

use tidepool_sdk::{OverflowError, Uint128};

use crate::math::{BPS, Rounding, WAD, mul_div, pow10};

/// One market of an account, as the health computation needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionValue {
    /// Supplied tokens counted as collateral (`floor(shares·ex/WAD)`, 0 if collateral is off).
    pub collateral: Uint128,
    /// Debt in tokens (`ceil(principal·index/index_at_borrow)`).
    pub debt: Uint128,
    /// USD × 10^8 per whole token.
    pub price: Uint128,
    /// The token's decimals.
    pub decimals: u8,
    /// Loan-to-value, bps.
    pub ltv: u32,
    /// Liquidation threshold, bps.
    pub lt: u32,
}

/// `value(amount) = amount·price / 10^decimals`, rounded as asked.
///
/// # Errors
/// Overflow.
pub fn value(amount: Uint128, price: Uint128, decimals: u8, rounding: Rounding) -> Result<Uint128, OverflowError> {
    mul_div(amount, price, pow10(decimals)?, rounding)
}

/// An account's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    /// `Σ floor(value(collateral_i))`.
    pub collateral_value: Uint128,
    /// `Σ floor(collateral_i·ltv_i/BPS)`.
    pub borrow_capacity: Uint128,
    /// `Σ floor(collateral_i·lt_i/BPS)`.
    pub liquidation_value: Uint128,
    /// `Σ ceil(value(debt_j))`.
    pub debt_value: Uint128,
}

impl Health {
    /// Sums the positions.
    ///
    /// # Errors
    /// Overflow.
    pub fn of(positions: &[PositionValue]) -> Result<Health, OverflowError> {
        let mut h = Health::default();
        for p in positions {
            if !p.collateral.is_zero() {
                let c = value(p.collateral, p.price, p.decimals, Rounding::Floor)?;
                h.collateral_value = h.collateral_value.checked_add(c)?;
                h.borrow_capacity = h.borrow_capacity.checked_add(c.checked_mul_div_floor(p.ltv, BPS)?)?;
                h.liquidation_value = h.liquidation_value.checked_add(c.checked_mul_div_floor(p.lt, BPS)?)?;
            }
            if !p.debt.is_zero() {
                h.debt_value = h.debt_value.checked_add(value(p.debt, p.price, p.decimals, Rounding::Ceil)?)?;
            }
        }
        Ok(h)
    }

    /// `HF = Σ(collateral_i·lt_i/BPS)·WAD / Σ debt_j`; `u128::MAX` without debt.
    ///
    /// # Errors
    /// Overflow.
    pub fn health_factor(&self) -> Result<Uint128, OverflowError> {
        if self.debt_value.is_zero() {
            return Ok(Uint128::MAX);
        }
        self.liquidation_value.checked_mul_div_floor(WAD, self.debt_value)
    }

    /// `capacity ≥ Σ debt`: what borrow, withdraw and disabling collateral must leave.
    pub fn is_healthy(&self) -> bool {
        self.borrow_capacity >= self.debt_value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const E18: u128 = WAD.u128();
    const USD: u128 = 100_000_000;

    fn u(v: u128) -> Uint128 {
        Uint128::new(v)
    }

    #[test]
    fn values_round_against_the_user() {
        // 1 unit of a 6-decimal token at $1.00000001: collateral floors, debt ceils.
        assert_eq!(value(u(1), u(100_000_001), 6, Rounding::Floor).unwrap(), 100);
        assert_eq!(value(u(1), u(100_000_001), 6, Rounding::Ceil).unwrap(), 101);
    }

    #[test]
    fn health_of_a_typical_account() {
        // 10 WETH at $2000 as collateral (ltv 80 %, lt 82.5 %); 12000 USDC of debt at $1.
        let weth = PositionValue {
            collateral: u(10 * E18),
            debt: u(0),
            price: u(2000 * USD),
            decimals: 18,
            ltv: 8000,
            lt: 8250,
        };
        let usdc = PositionValue {
            collateral: u(0),
            debt: u(12_000_000_000),
            price: u(USD),
            decimals: 6,
            ltv: 8000,
            lt: 8500,
        };
        let h = Health::of(&[weth, usdc]).unwrap();
        assert_eq!(h.collateral_value, 20_000 * USD);
        assert_eq!(h.borrow_capacity, 16_000 * USD);
        assert_eq!(h.debt_value, 12_000 * USD);
        assert!(h.is_healthy());
        assert_eq!(h.health_factor().unwrap(), 1_375_000_000_000_000_000); // 16500 / 12000
        assert_eq!(Health::of(&[weth]).unwrap().health_factor().unwrap(), Uint128::MAX);
    }
}

//! Fixed-point arithmetic: the constants of LENDING.md, and `a·b/c` with the rounding chosen at
//! run time, over the SDK's [`Uint128`] (whose `checked_mul_div_floor`/`_ceil` carry the
//! 256-bit intermediate). Overflow and division by zero are errors, never wraps. Pure: no host
//! calls, so it is unit-tested natively.

use tidepool_sdk::{OverflowError, Uint128, Uint256};

/// 10^18: the scale of exchange rates, indexes, rates, utilization and health factors.
pub const WAD: Uint128 = Uint128::new(1_000_000_000_000_000_000);
/// 10^4: the scale of config factors (basis points).
pub const BPS: Uint128 = Uint128::new(10_000);
/// Seconds in a (365-day) year, for per-second rates.
pub const SECONDS_PER_YEAR: Uint128 = Uint128::new(31_536_000);

/// Which way a division rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Towards zero.
    Floor,
    /// Away from zero.
    Ceil,
}

/// `a·b/c` with a 256-bit intermediate, rounded as asked (the SDK's
/// [`Uint128::checked_mul_div_floor`] and [`Uint128::checked_mul_div_ceil`], for callers that
/// choose the rounding at run time).
///
/// # Errors
/// `c == 0`, or a result past `u128::MAX`.
pub fn mul_div(a: Uint128, b: Uint128, c: Uint128, rounding: Rounding) -> Result<Uint128, OverflowError> {
    match rounding {
        Rounding::Floor => a.checked_mul_div_floor(b, c),
        Rounding::Ceil => a.checked_mul_div_ceil(b, c),
    }
}

/// `(a·b·c)/(d·e)` with 256-bit intermediates, rounded as asked (the liquidation's price ×
/// decimals conversions).
///
/// # Errors
/// A zero denominator, an intermediate past 2^256, or a result past `u128::MAX`.
pub fn mul3_div2(
    a: Uint128,
    b: Uint128,
    c: Uint128,
    d: Uint128,
    e: Uint128,
    rounding: Rounding,
) -> Result<Uint128, OverflowError> {
    let numerator = Uint256::mul(a, b).checked_mul(c)?;
    let denominator = Uint256::mul(d, e);
    match rounding {
        Rounding::Floor => numerator.checked_div_floor(denominator),
        Rounding::Ceil => numerator.checked_div_ceil(denominator),
    }
}

/// `10^exp`.
///
/// # Errors
/// `exp > 38`.
pub fn pow10(exp: u8) -> Result<Uint128, OverflowError> {
    Uint128::new(10).checked_pow(u32::from(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> Uint128 {
        Uint128::new(v)
    }

    #[test]
    fn wide_product_and_division() {
        let max = Uint128::MAX;
        assert_eq!(mul_div(max, max, max, Rounding::Floor), Ok(max));
        assert_eq!(mul_div(max, u(3), u(3), Rounding::Floor), Ok(max));
        assert_eq!(mul_div(max, u(2), u(1), Rounding::Floor), Err(OverflowError));
        assert_eq!(mul_div(u(1), u(1), u(0), Rounding::Floor), Err(OverflowError));
        assert_eq!(mul_div(u(7), u(1), u(2), Rounding::Floor), Ok(u(3)));
        assert_eq!(mul_div(u(7), u(1), u(2), Rounding::Ceil), Ok(u(4)));
        assert_eq!(mul_div(u(6), u(1), u(2), Rounding::Ceil), Ok(u(3)));
        // 2^200 / 2^100 through the slow path.
        assert_eq!(mul3_div2(u(1 << 100), u(1 << 100), u(1), u(1 << 50), u(1 << 50), Rounding::Floor), Ok(u(1 << 100)));
        // A remainder in the slow path rounds up.
        assert_eq!(
            mul3_div2(u((1 << 100) + 1), u(1 << 100), u(1), u(1 << 100), u(2), Rounding::Ceil),
            Ok(u((1 << 99) + 1))
        );
        assert_eq!(mul3_div2(max, u(2), max, u(1), u(1), Rounding::Floor), Err(OverflowError));
        assert_eq!(pow10(38), Ok(u(10u128.pow(38))));
        assert_eq!(pow10(39), Err(OverflowError));
    }

    #[test]
    fn slow_division_matches_fast_one() {
        // Quotients across magnitudes: floor(a·b/c)·c ≤ a·b < (floor + 1)·c, and ceil is floor
        // or floor + 1.
        let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = (u(x >> (x % 97)), u((x.rotate_left(31) >> (x % 89)) | 1));
            let c = u((x.rotate_left(63) >> (x % 113)) | 1);
            if let Ok(q) = mul_div(a, b, c, Rounding::Floor) {
                let product = Uint256::mul(a, b);
                assert!(Uint256::mul(q, c) <= product);
                assert!(Uint256::from(q).checked_mul(c).unwrap() <= product);
                if let Ok(next) = q.checked_add(Uint128::ONE) {
                    assert!(Uint256::mul(next, c) > product);
                }
                let ceil = mul_div(a, b, c, Rounding::Ceil);
                assert!(ceil == Ok(q) || ceil == q.checked_add(Uint128::ONE), "{ceil:?} vs {q}");
            }
        }
    }

    #[test]
    fn v7_rounding_at_scale() {
        // LENDING.md V7: index 3, amount 100_000_000_000 at scale 1e6.
        let (amount, index, scale) = (u(100_000_000_000), u(3), u(1_000_000));
        let scaled_supply = amount.checked_mul_div_floor(scale, index).unwrap();
        let scaled_debt = amount.checked_mul_div_ceil(scale, index).unwrap();
        assert_eq!(scaled_supply, 33_333_333_333_333_333);
        assert_eq!(scaled_debt, 33_333_333_333_333_334);
        assert_eq!(scaled_supply.checked_mul_div_floor(index, scale).unwrap(), 99_999_999_999);
        assert_eq!(scaled_debt.checked_mul_div_ceil(index, scale).unwrap(), 100_000_000_001);
    }
}

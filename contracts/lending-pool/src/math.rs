//! Fixed-point arithmetic: the constants of LENDING.md and `a·b/c` through a 256-bit
//! intermediate with explicit rounding. Overflow and division by zero are errors, never wraps.
//! Pure: no host calls, so it is unit-tested natively.

/// 10^18: the scale of exchange rates, indexes, rates, utilization and health factors.
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// 10^4: the scale of config factors (basis points).
pub const BPS: u128 = 10_000;
/// Seconds in a (365-day) year, for per-second rates.
pub const SECONDS_PER_YEAR: u128 = 31_536_000;

/// Which way a division rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Towards zero.
    Floor,
    /// Away from zero.
    Ceil,
}

/// An arithmetic result that does not fit (or a division by zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MathError;

impl core::fmt::Display for MathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("arithmetic overflow")
    }
}

/// An unsigned 256-bit integer, just big enough for products of two `u128`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct U256 {
    // Field order matters: the derived `Ord` compares `hi` first.
    hi: u128,
    lo: u128,
}

const LOW64: u128 = u64::MAX as u128;

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256 { hi: 0, lo: 0 };

    /// Widens a `u128`.
    pub const fn from_u128(v: u128) -> Self {
        U256 { hi: 0, lo: v }
    }

    /// The exact product of two `u128`s.
    pub fn mul(a: u128, b: u128) -> Self {
        let (a1, a0) = (a >> 64, a & LOW64);
        let (b1, b0) = (b >> 64, b & LOW64);
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        let mid = (p00 >> 64) + (p01 & LOW64) + (p10 & LOW64);
        U256 { hi: p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64), lo: (p00 & LOW64) | (mid << 64) }
    }

    /// `self · b`, or `None` past 2^256.
    pub fn checked_mul_u128(self, b: u128) -> Option<Self> {
        let low = U256::mul(self.lo, b);
        let high = U256::mul(self.hi, b);
        if high.hi != 0 {
            return None;
        }
        Some(U256 { hi: high.lo.checked_add(low.hi)?, lo: low.lo })
    }

    /// The value as a `u128`, if it fits.
    pub fn to_u128(self) -> Option<u128> {
        (self.hi == 0).then_some(self.lo)
    }

    fn bit(self, i: u32) -> bool {
        if i >= 128 { (self.hi >> (i - 128)) & 1 == 1 } else { (self.lo >> i) & 1 == 1 }
    }

    fn set_bit(&mut self, i: u32) {
        if i >= 128 {
            self.hi |= 1 << (i - 128);
        } else {
            self.lo |= 1 << i;
        }
    }

    fn bits(self) -> u32 {
        if self.hi != 0 { 256 - self.hi.leading_zeros() } else { 128 - self.lo.leading_zeros() }
    }

    fn wrapping_sub(self, o: U256) -> U256 {
        let (lo, borrow) = self.lo.overflowing_sub(o.lo);
        U256 { hi: self.hi.wrapping_sub(o.hi).wrapping_sub(u128::from(borrow)), lo }
    }

    /// Quotient and remainder, or `None` for a zero divisor.
    pub fn div_rem(self, d: U256) -> Option<(U256, U256)> {
        if d == U256::ZERO {
            return None;
        }
        if self.hi == 0 && d.hi == 0 {
            return Some((U256::from_u128(self.lo / d.lo), U256::from_u128(self.lo % d.lo)));
        }
        // Shift-subtract long division; only reached when the product really needs 256 bits.
        let (mut q, mut r) = (U256::ZERO, U256::ZERO);
        for i in (0..self.bits()).rev() {
            let carry = r.hi >> 127;
            r = U256 { hi: (r.hi << 1) | (r.lo >> 127), lo: (r.lo << 1) | u128::from(self.bit(i)) };
            if carry == 1 || r >= d {
                r = r.wrapping_sub(d);
                q.set_bit(i);
            }
        }
        Some((q, r))
    }

    /// `self / d` rounded as asked, as a `u128`.
    ///
    /// # Errors
    /// Division by zero, or a quotient past `u128::MAX`.
    pub fn div_round(self, d: U256, rounding: Rounding) -> Result<u128, MathError> {
        let (q, r) = self.div_rem(d).ok_or(MathError)?;
        let q = q.to_u128().ok_or(MathError)?;
        match rounding {
            Rounding::Ceil if r != U256::ZERO => q.checked_add(1).ok_or(MathError),
            _ => Ok(q),
        }
    }
}

/// `a·b/c` with a 256-bit intermediate, rounded as asked.
///
/// # Errors
/// `c == 0`, or a result past `u128::MAX`.
pub fn mul_div(a: u128, b: u128, c: u128, rounding: Rounding) -> Result<u128, MathError> {
    U256::mul(a, b).div_round(U256::from_u128(c), rounding)
}

/// `floor(a·b/c)`.
///
/// # Errors
/// As [`mul_div`].
pub fn mul_div_floor(a: u128, b: u128, c: u128) -> Result<u128, MathError> {
    mul_div(a, b, c, Rounding::Floor)
}

/// `ceil(a·b/c)`.
///
/// # Errors
/// As [`mul_div`].
pub fn mul_div_ceil(a: u128, b: u128, c: u128) -> Result<u128, MathError> {
    mul_div(a, b, c, Rounding::Ceil)
}

/// `(a·b·c)/(d·e)` with 256-bit intermediates, rounded as asked (the liquidation's price ×
/// decimals conversions).
///
/// # Errors
/// A zero denominator, an intermediate past 2^256, or a result past `u128::MAX`.
pub fn mul3_div2(a: u128, b: u128, c: u128, d: u128, e: u128, rounding: Rounding) -> Result<u128, MathError> {
    let num = U256::mul(a, b).checked_mul_u128(c).ok_or(MathError)?;
    num.div_round(U256::mul(d, e), rounding)
}

/// `10^exp` as a `u128`.
///
/// # Errors
/// `exp > 38`.
pub fn pow10(exp: u8) -> Result<u128, MathError> {
    10u128.checked_pow(u32::from(exp)).ok_or(MathError)
}

/// Checked addition.
///
/// # Errors
/// Overflow.
pub fn add(a: u128, b: u128) -> Result<u128, MathError> {
    a.checked_add(b).ok_or(MathError)
}

/// Checked subtraction.
///
/// # Errors
/// Underflow.
pub fn sub(a: u128, b: u128) -> Result<u128, MathError> {
    a.checked_sub(b).ok_or(MathError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_product_and_division() {
        let p = U256::mul(u128::MAX, u128::MAX);
        assert_eq!(p.div_round(U256::from_u128(u128::MAX), Rounding::Floor), Ok(u128::MAX));
        assert_eq!(mul_div(u128::MAX, 3, 3, Rounding::Floor), Ok(u128::MAX));
        assert_eq!(mul_div(u128::MAX, 2, 1, Rounding::Floor), Err(MathError));
        assert_eq!(mul_div(1, 1, 0, Rounding::Floor), Err(MathError));
        assert_eq!(mul_div(7, 1, 2, Rounding::Floor), Ok(3));
        assert_eq!(mul_div(7, 1, 2, Rounding::Ceil), Ok(4));
        assert_eq!(mul_div(6, 1, 2, Rounding::Ceil), Ok(3));
        // 2^200 / 2^100 through the slow path.
        let big = U256::mul(1 << 100, 1 << 100);
        assert_eq!(big.div_round(U256::mul(1 << 50, 1 << 50), Rounding::Floor), Ok(1 << 100));
        // A remainder in the slow path rounds up.
        let odd = U256::mul((1 << 100) + 1, 1 << 100);
        assert_eq!(odd.div_round(U256::mul(1 << 100, 1 << 1), Rounding::Ceil), Ok((1 << 99) + 1));
        assert_eq!(U256::mul(u128::MAX, 2).checked_mul_u128(u128::MAX), None);
    }

    #[test]
    fn slow_division_matches_fast_one() {
        // Quotients computed both ways agree across magnitudes.
        let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = (x >> (x % 97), (x.rotate_left(31) >> (x % 89)) | 1);
            let c = (x.rotate_left(63) >> (x % 113)) | 1;
            let wide = U256::mul(a, b);
            // Cross-check: (a·b) / c computed by splitting a·b = q·c + r.
            if let Ok(q) = wide.div_round(U256::from_u128(c), Rounding::Floor) {
                let back = U256::mul(q, c);
                assert!(back <= wide);
                let rem = wide.wrapping_sub(back);
                assert!(rem < U256::from_u128(c));
            }
        }
    }

    #[test]
    fn v7_rounding_at_scale() {
        // LENDING.md V7: index 3, amount 100_000_000_000 at scale 1e6.
        let (amount, index, scale) = (100_000_000_000u128, 3u128, 1_000_000u128);
        let scaled_supply = mul_div_floor(amount, scale, index).unwrap();
        let scaled_debt = mul_div_ceil(amount, scale, index).unwrap();
        assert_eq!(scaled_supply, 33_333_333_333_333_333);
        assert_eq!(scaled_debt, 33_333_333_333_333_334);
        assert_eq!(mul_div_floor(scaled_supply, index, scale).unwrap(), 99_999_999_999);
        assert_eq!(mul_div_ceil(scaled_debt, index, scale).unwrap(), 100_000_000_001);
    }
}

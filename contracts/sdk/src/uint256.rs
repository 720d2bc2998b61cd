//! [`Uint256`]: just enough 256-bit arithmetic for fixed-point maths on [`Uint128`] amounts:
//! the exact product of two amounts, one more multiplication, and a division back to a
//! `Uint128` rounded down or up. Overflow and division by zero are errors, never wraps.

use crate::{OverflowError, Uint128};

/// An unsigned 256-bit integer, for intermediates such as `a·b` in `a·b/c`.
///
/// # Examples
///
/// ```
/// use tidepool_sdk::{Uint128, Uint256};
///
/// // (2^127 · 6) / 4 does not fit a u128 on the way, but its result does.
/// let product = Uint256::mul(Uint128::new(1 << 127), Uint128::new(6));
/// assert_eq!(product.checked_div_floor(Uint256::from(Uint128::new(4))).unwrap(), Uint128::new(3 << 126));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uint256 {
    // Field order matters: the derived `Ord` compares `hi` first.
    hi: u128,
    lo: u128,
}

const LOW64: u128 = u64::MAX as u128;

impl Uint256 {
    /// Zero.
    pub const ZERO: Uint256 = Uint256 { hi: 0, lo: 0 };

    /// The exact product of two `Uint128`s.
    pub fn mul(a: Uint128, b: Uint128) -> Self {
        let (a, b) = (a.0, b.0);
        let (a1, a0) = (a >> 64, a & LOW64);
        let (b1, b0) = (b >> 64, b & LOW64);
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        let mid = (p00 >> 64) + (p01 & LOW64) + (p10 & LOW64);
        Uint256 { hi: p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64), lo: (p00 & LOW64) | (mid << 64) }
    }

    /// `self · b`.
    ///
    /// # Errors
    /// Past `2^256 − 1`.
    pub fn checked_mul(self, b: Uint128) -> Result<Self, OverflowError> {
        let low = Uint256::mul(Uint128(self.lo), b);
        let high = Uint256::mul(Uint128(self.hi), b);
        if high.hi != 0 {
            return Err(OverflowError);
        }
        Ok(Uint256 { hi: high.lo.checked_add(low.hi).ok_or(OverflowError)?, lo: low.lo })
    }

    /// `floor(self / d)` as a `Uint128`.
    ///
    /// # Errors
    /// `d` is zero, or the quotient is past [`Uint128::MAX`].
    pub fn checked_div_floor(self, d: Uint256) -> Result<Uint128, OverflowError> {
        let (q, _) = self.div_rem(d)?;
        Uint128::try_from(q)
    }

    /// `ceil(self / d)` as a `Uint128`.
    ///
    /// # Errors
    /// `d` is zero, or the quotient is past [`Uint128::MAX`].
    pub fn checked_div_ceil(self, d: Uint256) -> Result<Uint128, OverflowError> {
        let (q, r) = self.div_rem(d)?;
        let q = Uint128::try_from(q)?;
        if r == Uint256::ZERO { Ok(q) } else { q.checked_add(Uint128::ONE) }
    }

    /// Quotient and remainder.
    fn div_rem(self, d: Uint256) -> Result<(Uint256, Uint256), OverflowError> {
        if d == Uint256::ZERO {
            return Err(OverflowError);
        }
        if self.hi == 0 && d.hi == 0 {
            return Ok((Uint256::from(self.lo / d.lo), Uint256::from(self.lo % d.lo)));
        }
        // Shift-subtract long division; only reached when the product really needs 256 bits.
        let (mut q, mut r) = (Uint256::ZERO, Uint256::ZERO);
        for i in (0..self.bits()).rev() {
            let carry = r.hi >> 127;
            r = Uint256 { hi: (r.hi << 1) | (r.lo >> 127), lo: (r.lo << 1) | u128::from(self.bit(i)) };
            if carry == 1 || r >= d {
                r = r.wrapping_sub(d);
                q.set_bit(i);
            }
        }
        Ok((q, r))
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

    fn wrapping_sub(self, o: Uint256) -> Uint256 {
        let (lo, borrow) = self.lo.overflowing_sub(o.lo);
        Uint256 { hi: self.hi.wrapping_sub(o.hi).wrapping_sub(u128::from(borrow)), lo }
    }
}

impl From<u128> for Uint256 {
    fn from(v: u128) -> Self {
        Uint256 { hi: 0, lo: v }
    }
}

impl From<Uint128> for Uint256 {
    fn from(v: Uint128) -> Self {
        Uint256::from(v.0)
    }
}

impl TryFrom<Uint256> for Uint128 {
    type Error = OverflowError;

    fn try_from(v: Uint256) -> Result<Self, OverflowError> {
        if v.hi == 0 { Ok(Uint128(v.lo)) } else { Err(OverflowError) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> Uint128 {
        Uint128(v)
    }

    #[test]
    fn wide_product_and_division() {
        let p = Uint256::mul(Uint128::MAX, Uint128::MAX);
        assert_eq!(p.checked_div_floor(Uint256::from(u128::MAX)), Ok(Uint128::MAX));
        assert_eq!(Uint128::try_from(p), Err(OverflowError));
        assert_eq!(p.checked_div_floor(Uint256::ZERO), Err(OverflowError));
        // 2^200 / 2^100 through the slow path.
        let big = Uint256::mul(u(1 << 100), u(1 << 100));
        assert_eq!(big.checked_div_floor(Uint256::mul(u(1 << 50), u(1 << 50))), Ok(u(1 << 100)));
        // A remainder in the slow path rounds up.
        let odd = Uint256::mul(u((1 << 100) + 1), u(1 << 100));
        assert_eq!(odd.checked_div_ceil(Uint256::mul(u(1 << 100), u(2))), Ok(u((1 << 99) + 1)));
        assert_eq!(Uint256::mul(Uint128::MAX, u(2)).checked_mul(Uint128::MAX), Err(OverflowError));
        assert_eq!(Uint256::mul(u(1 << 100), u(1 << 100)).checked_mul(u(1 << 50)).map(|v| v.bits()), Ok(251));
    }

    #[test]
    fn slow_division_matches_the_product() {
        // Quotients across magnitudes: q·c ≤ a·b < (q + 1)·c.
        let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = (x >> (x % 97), (x.rotate_left(31) >> (x % 89)) | 1);
            let c = (x.rotate_left(63) >> (x % 113)) | 1;
            let wide = Uint256::mul(u(a), u(b));
            if let Ok(q) = wide.checked_div_floor(Uint256::from(c)) {
                let back = Uint256::mul(q, u(c));
                assert!(back <= wide);
                assert!(wide.wrapping_sub(back) < Uint256::from(c));
            }
        }
    }
}

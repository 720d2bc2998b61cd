//! [`Uint128`]: a `u128` amount with the arithmetic a contract needs, that is a decimal string
//! in JSON, so JavaScript clients (whose numbers are doubles) never lose precision. Accepts a
//! JSON number too, for hand-written messages.
//!
//! Arithmetic comes in three kinds, as in CosmWasm:
//! - `checked_*` returns an [`OverflowError`] (which `?` turns into [`ContractError::Overflow`]
//!   or your own error): for amounts a user controls;
//! - `saturating_*` stops at `0` or `MAX`;
//! - the operators `+ - * /` (and `+=` …) panic on overflow and division by zero, whatever the
//!   build's `overflow-checks` setting, with the messages of `u128` ("attempt to add with
//!   overflow"): for sums a check before has already bounded. In a contract a panic aborts the
//!   call with that message, so a wrong bound never wraps a balance.
//!
//! [`Uint128::checked_mul_div_floor`] and [`Uint128::checked_mul_div_ceil`] compute `a·b/c`
//! through a 256-bit product ([`Uint256`]): the fixed-point step of share and interest maths.
//!
//! [`ContractError::Overflow`]: crate::ContractError::Overflow

use alloc::string::ToString;
use core::fmt;
use core::iter::Sum;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Sub, SubAssign};
use core::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{OverflowError, Uint256};

/// A `u128` amount, serialized as a decimal string (`"1000000"`), like CosmWasm's `Uint128`.
///
/// # Examples
///
/// ```
/// use tidepool_sdk::Uint128;
///
/// let balance = Uint128::new(100);
/// let sent = Uint128::new(30);
/// assert_eq!(balance - sent, Uint128::new(70));
/// assert!(balance > 99);
/// assert_eq!(balance.checked_sub(Uint128::new(101)).unwrap_err().to_string(), "arithmetic overflow");
/// // 100 · 1/3, rounded down and up, through a 256-bit product.
/// assert_eq!(balance.checked_mul_div_floor(1u128, 3u128).unwrap(), 33);
/// assert_eq!(balance.checked_mul_div_ceil(1u128, 3u128).unwrap(), 34);
/// assert_eq!(serde_json::to_string(&balance).unwrap(), r#""100""#);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uint128(pub u128);

impl Uint128 {
    /// Zero.
    pub const ZERO: Uint128 = Uint128(0);
    /// One.
    pub const ONE: Uint128 = Uint128(1);
    /// The largest value, `2^128 − 1`.
    pub const MAX: Uint128 = Uint128(u128::MAX);

    /// Wraps a value.
    pub const fn new(v: u128) -> Self {
        Uint128(v)
    }

    /// The value.
    pub const fn u128(self) -> u128 {
        self.0
    }

    /// Whether the value is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`.
    ///
    /// # Errors
    /// Past [`Uint128::MAX`].
    pub const fn checked_add(self, rhs: Self) -> Result<Self, OverflowError> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Ok(Uint128(v)),
            None => Err(OverflowError),
        }
    }

    /// `self − rhs`.
    ///
    /// # Errors
    /// Below zero.
    pub const fn checked_sub(self, rhs: Self) -> Result<Self, OverflowError> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Ok(Uint128(v)),
            None => Err(OverflowError),
        }
    }

    /// `self · rhs`.
    ///
    /// # Errors
    /// Past [`Uint128::MAX`].
    pub const fn checked_mul(self, rhs: Self) -> Result<Self, OverflowError> {
        match self.0.checked_mul(rhs.0) {
            Some(v) => Ok(Uint128(v)),
            None => Err(OverflowError),
        }
    }

    /// `self / rhs`, rounded down.
    ///
    /// # Errors
    /// `rhs` is zero.
    pub const fn checked_div(self, rhs: Self) -> Result<Self, OverflowError> {
        match self.0.checked_div(rhs.0) {
            Some(v) => Ok(Uint128(v)),
            None => Err(OverflowError),
        }
    }

    /// `self^exp`.
    ///
    /// # Errors
    /// Past [`Uint128::MAX`].
    pub const fn checked_pow(self, exp: u32) -> Result<Self, OverflowError> {
        match self.0.checked_pow(exp) {
            Some(v) => Ok(Uint128(v)),
            None => Err(OverflowError),
        }
    }

    /// `self + rhs`, or [`Uint128::MAX`].
    pub const fn saturating_add(self, rhs: Self) -> Self {
        Uint128(self.0.saturating_add(rhs.0))
    }

    /// `self − rhs`, or zero.
    pub const fn saturating_sub(self, rhs: Self) -> Self {
        Uint128(self.0.saturating_sub(rhs.0))
    }

    /// `self · rhs`, or [`Uint128::MAX`].
    pub const fn saturating_mul(self, rhs: Self) -> Self {
        Uint128(self.0.saturating_mul(rhs.0))
    }

    /// `floor(self · numerator / denominator)`, with the product in 256 bits so it cannot
    /// overflow on the way.
    ///
    /// # Errors
    /// A zero denominator, or a result past [`Uint128::MAX`].
    pub fn checked_mul_div_floor(
        self,
        numerator: impl Into<Uint128>,
        denominator: impl Into<Uint128>,
    ) -> Result<Self, OverflowError> {
        Uint256::mul(self, numerator.into()).checked_div_floor(Uint256::from(denominator.into()))
    }

    /// `ceil(self · numerator / denominator)`, with the product in 256 bits.
    ///
    /// # Errors
    /// A zero denominator, or a result past [`Uint128::MAX`].
    pub fn checked_mul_div_ceil(
        self,
        numerator: impl Into<Uint128>,
        denominator: impl Into<Uint128>,
    ) -> Result<Self, OverflowError> {
        Uint256::mul(self, numerator.into()).checked_div_ceil(Uint256::from(denominator.into()))
    }
}

/// The operators panic on overflow in every build profile, as `u128` does with
/// `overflow-checks = true` (which the SDK's contracts build with).
macro_rules! panicking_op {
    ($Op:ident $op:ident $OpAssign:ident $op_assign:ident $checked:ident $message:literal) => {
        impl $Op for Uint128 {
            type Output = Uint128;
            fn $op(self, rhs: Uint128) -> Uint128 {
                match self.0.$checked(rhs.0) {
                    Some(v) => Uint128(v),
                    None => panic!($message),
                }
            }
        }

        impl $OpAssign for Uint128 {
            fn $op_assign(&mut self, rhs: Uint128) {
                *self = $Op::$op(*self, rhs);
            }
        }
    };
}

panicking_op!(Add add AddAssign add_assign checked_add "attempt to add with overflow");
panicking_op!(Sub sub SubAssign sub_assign checked_sub "attempt to subtract with overflow");
panicking_op!(Mul mul MulAssign mul_assign checked_mul "attempt to multiply with overflow");
panicking_op!(Div div DivAssign div_assign checked_div "attempt to divide by zero");

impl Sum for Uint128 {
    fn sum<I: Iterator<Item = Uint128>>(iter: I) -> Uint128 {
        iter.fold(Uint128::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Uint128> for Uint128 {
    fn sum<I: Iterator<Item = &'a Uint128>>(iter: I) -> Uint128 {
        iter.copied().sum()
    }
}

impl PartialEq<u128> for Uint128 {
    fn eq(&self, other: &u128) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Uint128> for u128 {
    fn eq(&self, other: &Uint128) -> bool {
        *self == other.0
    }
}

impl PartialOrd<u128> for Uint128 {
    fn partial_cmp(&self, other: &u128) -> Option<core::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl PartialOrd<Uint128> for u128 {
    fn partial_cmp(&self, other: &Uint128) -> Option<core::cmp::Ordering> {
        self.partial_cmp(&other.0)
    }
}

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Uint128 {
            fn from(v: $t) -> Self {
                Uint128(v.into())
            }
        }
    )*};
}

from_unsigned!(u8, u16, u32, u64, u128);

impl From<Uint128> for u128 {
    fn from(v: Uint128) -> Self {
        v.0
    }
}

impl FromStr for Uint128 {
    type Err = core::num::ParseIntError;

    /// A decimal number, as `u128` parses it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Uint128)
    }
}

impl fmt::Display for Uint128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Uint128 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Uint128 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Uint128 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct UintVisitor;
        impl Visitor<'_> for UintVisitor {
            type Value = Uint128;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned integer as a decimal string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Uint128, E> {
                // `u128::from_str` accepts a leading '+'; a canonical amount does not have one.
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::invalid_value(de::Unexpected::Str(v), &self));
                }
                v.parse().map(Uint128).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Uint128, E> {
                Ok(Uint128(v.into()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Uint128, E> {
                Ok(Uint128(v))
            }
        }
        d.deserialize_any(UintVisitor)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn string_in_json_number_accepted() {
        let max = Uint128(u128::MAX);
        let json = serde_json::to_string(&max).unwrap();
        assert_eq!(json, "\"340282366920938463463374607431768211455\"");
        assert_eq!(serde_json::from_str::<Uint128>(&json).unwrap(), max);
        assert_eq!(serde_json::from_str::<Uint128>("42").unwrap(), Uint128(42));
        for bad in ["\"\"", "\"-1\"", "\"+1\"", "\"1.5\"", "\"340282366920938463463374607431768211456\"", "-1"] {
            assert!(serde_json::from_str::<Uint128>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn checked_and_saturating_arithmetic() {
        let (one, max) = (Uint128::ONE, Uint128::MAX);
        assert_eq!(max.checked_add(one), Err(OverflowError));
        assert_eq!(Uint128::ZERO.checked_sub(one), Err(OverflowError));
        assert_eq!(max.checked_mul(Uint128(2)), Err(OverflowError));
        assert_eq!(one.checked_div(Uint128::ZERO), Err(OverflowError));
        assert_eq!(Uint128(10).checked_pow(38), Ok(Uint128(10u128.pow(38))));
        assert_eq!(Uint128(10).checked_pow(39), Err(OverflowError));
        assert_eq!(Uint128(7).checked_add(Uint128(5)), Ok(Uint128(12)));
        assert_eq!(Uint128(7).checked_sub(Uint128(5)), Ok(Uint128(2)));
        assert_eq!(Uint128(7).checked_mul(Uint128(5)), Ok(Uint128(35)));
        assert_eq!(Uint128(7).checked_div(Uint128(5)), Ok(Uint128(1)));
        assert_eq!(max.saturating_add(one), max);
        assert_eq!(Uint128::ZERO.saturating_sub(one), Uint128::ZERO);
        assert_eq!(max.saturating_mul(Uint128(2)), max);
        assert_eq!(Uint128(3).saturating_sub(one), Uint128(2));
    }

    #[test]
    fn operators_panic_like_checked_u128() {
        let mut a = Uint128(10);
        a += Uint128(5);
        a -= Uint128(3);
        a *= Uint128(2);
        a /= Uint128(4);
        assert_eq!(a, Uint128(6));
        assert_eq!(Uint128(6) + Uint128(1) - Uint128(2) * Uint128(3), Uint128(1));
        assert_eq!([Uint128(1), Uint128(2), Uint128(3)].iter().sum::<Uint128>(), Uint128(6));
        let panics = |f: fn() -> Uint128| std::panic::catch_unwind(f).unwrap_err();
        let message = |p: &std::boxed::Box<dyn core::any::Any + Send>| *p.downcast_ref::<&str>().unwrap();
        assert_eq!(message(&panics(|| Uint128::MAX + Uint128::ONE)), "attempt to add with overflow");
        assert_eq!(message(&panics(|| Uint128::ZERO - Uint128::ONE)), "attempt to subtract with overflow");
        assert_eq!(message(&panics(|| Uint128::MAX * Uint128(2))), "attempt to multiply with overflow");
        assert_eq!(message(&panics(|| Uint128::ONE / Uint128::ZERO)), "attempt to divide by zero");
    }

    #[test]
    fn compares_and_converts_with_plain_integers() {
        let v = Uint128::new(1000);
        assert_eq!(v, 1000);
        assert_eq!(1000, v);
        assert!(v > 999 && v < 1001);
        assert!(999 < v && 1001 > v);
        assert_eq!(u128::from(v), 1000);
        assert_eq!(Uint128::from(7u8) + Uint128::from(7u32) + Uint128::from(7u64), Uint128(21));
        assert_eq!("123".parse::<Uint128>(), Ok(Uint128(123)));
        assert!("x".parse::<Uint128>().is_err());
        assert_eq!(std::format!("{v} {v:?}"), "1000 1000");
        assert!(Uint128::ZERO.is_zero() && !v.is_zero());
    }

    #[test]
    fn mul_div_rounds_as_asked_without_intermediate_overflow() {
        let max = Uint128::MAX;
        assert_eq!(max.checked_mul_div_floor(max, max), Ok(max));
        assert_eq!(max.checked_mul_div_floor(3u128, 3u128), Ok(max));
        assert_eq!(max.checked_mul_div_floor(2u128, 1u128), Err(OverflowError));
        assert_eq!(Uint128(1).checked_mul_div_floor(1u128, 0u128), Err(OverflowError));
        assert_eq!(Uint128(7).checked_mul_div_floor(1u128, 2u128), Ok(Uint128(3)));
        assert_eq!(Uint128(7).checked_mul_div_ceil(1u128, 2u128), Ok(Uint128(4)));
        assert_eq!(Uint128(6).checked_mul_div_ceil(1u128, 2u128), Ok(Uint128(3)));
        // ceil of a quotient that is exactly MAX stays MAX; one more unit overflows.
        assert_eq!(max.checked_mul_div_ceil(2u128, 2u128), Ok(max));
        assert_eq!(max.checked_mul_div_ceil(3u128, 2u128), Err(OverflowError));
    }
}
